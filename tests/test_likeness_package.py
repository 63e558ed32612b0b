"""pipeline/likeness is a package of one file per concern and trait, with no import loops."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "pipeline" / "likeness"
MODULES = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")


def _imports_within_package(module: str) -> set[str]:
    """The sibling modules `module` imports (at any depth: lazy imports count too)."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                and node.module.startswith("pipeline.likeness."):
            found.add(node.module.split(".")[2])
    return found & set(MODULES)


def test_no_module_imports_one_that_imports_it_back():
    graph = {m: _imports_within_package(m) for m in MODULES}
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        if state.get(m) == 1:
            raise AssertionError("import loop: " + " -> ".join([*path, m]))
        if state.get(m) == 2:
            return
        state[m] = 1
        for n in sorted(graph[m]):
            visit(n, [*path, m])
        state[m] = 2

    for m in MODULES:
        visit(m, [])
    # The old loop: the estimator imported its methods, which imported the estimator's module.
    assert "estimator" not in graph["bisenet_method"] | graph["basic_method"]


@pytest.mark.parametrize("module", MODULES)
def test_each_module_imports_alone(module):
    code = (f"import pipeline.likeness.{module}, sys; "
            "assert 'torch' not in sys.modules and 'mediapipe' not in sys.modules")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=PACKAGE.parent.parent, timeout=60)
    assert done.returncode == 0, done.stderr


def test_the_old_names_still_import():
    from pipeline.likeness import (  # noqa: F401
        HAIR_COLOUR_GROUPS,
        LIKENESS_KEYS,
        Likeness,
        LikenessEstimator,
        LikenessOptions,
        face_regions,
        find_bisenet_weights,
        find_segmenter,
        glasses_from_eyes,
        head_frame,
        hex_to_rgb,
        is_greyscale,
        monk_index,
    )
