"""Shared fixtures: real photos from tests/fixtures, one pipeline per test session."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"

# Tests must never touch the network: a missing model is an error that says how to fix it.
os.environ.setdefault("MOJI_OFFLINE", "1")
# Four test processes (pytest -n 4) and the bots and workers they start share the machine's
# cores: one torch/OpenMP thread each, as `moji run` gives its workers their share. With the
# default (a thread per core in every process) their threads spin waiting for each other: a
# quarter of the suite's CPU time (docs/measured.md).
os.environ.setdefault("OMP_NUM_THREADS", "1")


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def faces_found(names: list[str]) -> dict:
    """{fixture name: (rgb, FaceAnalysis)}: each fixture photo decoded and its one face found
    (one landmarker for all)."""
    from pipeline.analyze import AnalyzerOptions, FaceAnalyzer
    from pipeline.decode import decode_image

    found = {}
    with FaceAnalyzer.create_from_options(AnalyzerOptions(max_faces=1)) as analyzer:
        for name in names:
            rgb = decode_image(fixture_bytes(name)).rgb
            (face,) = analyzer.detect(rgb)
            found[name] = (rgb, face)
    return found


def png_bytes(image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="session")
def pipe():
    from pipeline import Pipeline, PipelineOptions

    with Pipeline.from_options(PipelineOptions(style="classic", embedder="expression")) as p:
        yield p


@pytest.fixture
def no_face_png() -> bytes:
    """A real photo without a face: scikit-image's public-domain coffee cup."""
    from PIL import Image
    from skimage import data

    return png_bytes(Image.fromarray(data.coffee()))


def group_photo(faces: list[tuple[str, int]], gap: int = 20) -> bytes:
    """A JPEG of fixture faces in a row on grey, left to right: (fixture name, side in px)."""
    from PIL import Image

    height = max(side for _, side in faces) + 2 * gap
    canvas = Image.new("RGB", (sum(side + gap for _, side in faces) + gap, height),
                       (120, 120, 120))
    x = gap
    for name, side in faces:
        face = Image.open(FIXTURES / name).convert("RGB").resize((side, side))
        canvas.paste(face, (x, (height - side) // 2))
        x += side + gap
    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=92)
    return out.getvalue()


@pytest.fixture
def two_faces_jpeg() -> bytes:
    """Two fixture faces side by side, the right one larger."""
    from PIL import Image

    small = Image.open(FIXTURES / "neutral.jpg").convert("RGB").resize((240, 240))
    large = Image.open(FIXTURES / "grin.jpg").convert("RGB").resize((350, 350))
    canvas = Image.new("RGB", (620, 380), (120, 120, 120))
    canvas.paste(small, (10, 70))
    canvas.paste(large, (260, 15))
    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=92)
    return out.getvalue()
