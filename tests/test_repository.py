"""The repository itself: no merge left half done."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# what git writes into a file it could not merge: "<<<<<<< ours", "=======", ">>>>>>> theirs"
# (and "||||||| base" with diff3), each at the start of a line
CONFLICT_MARKER = re.compile(r"^(?:<{7} |<{7}$|={7}$|>{7} |>{7}$|\|{7} )", re.MULTILINE)


def tracked_text_files() -> list[Path]:
    if not shutil.which("git") or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                           check=True).stdout.decode().split("\0")
    files = []
    for name in filter(None, names):
        path = ROOT / name
        if not path.is_file():  # deleted in the working tree, or a submodule
            continue
        head = path.read_bytes()[:8192]
        if b"\0" not in head:  # text, not an image or a model
            files.append(path)
    return files


def conflict_markers(text: str) -> list[tuple[int, str]]:
    """(line number, line) of each conflict marker line in `text`."""
    return [(text.count("\n", 0, m.start()) + 1, text[m.start():text.find("\n", m.start())]
             if "\n" in text[m.start():] else text[m.start():])
            for m in CONFLICT_MARKER.finditer(text)]


def test_the_marker_finder_finds_what_git_writes():
    merged = "a\n" + "<" * 7 + " HEAD\nours\n" + "=" * 7 + "\ntheirs\n" + ">" * 7 + " topic\n"
    assert [n for n, _ in conflict_markers(merged)] == [2, 4, 6]
    # headings, rules and arrows that only look alike are not markers
    assert not conflict_markers("Title\n" + "=" * 8 + "\n" + "=" * 7 + " x\n<<< a\n>> b\n")


def test_no_tracked_text_file_holds_a_conflict_marker():
    files = tracked_text_files()
    assert len(files) > 50
    found = [f"{path.relative_to(ROOT)}:{line}: {text}" for path in files
             for line, text in conflict_markers(path.read_text(errors="replace"))]
    assert not found, "merge conflict markers left in:\n" + "\n".join(found)


LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def test_readme_is_short_and_its_links_and_pictures_exist():
    """The README is read to the end (issue 18: at most 250 lines); every relative link and
    picture in it and in docs/ points at a file that is there."""
    readme = ROOT / "README.md"
    assert len(readme.read_text().splitlines()) <= 250
    broken = []
    for doc in [readme, *sorted((ROOT / "docs").glob("*.md"))]:
        for target in LINK.findall(doc.read_text()):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue  # a web address or a heading of the same page
            path = (doc.parent / target.split("#")[0]).resolve()
            if not path.exists():
                broken.append(f"{doc.relative_to(ROOT)}: {target}")
    assert not broken, "links to nothing:\n" + "\n".join(broken)
