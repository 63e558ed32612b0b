"""Faces found wherever they are: small faces in large photos, more than four of them, and
photos turned on their side or upside down without EXIF (issue 10, items 12 and 13)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from conftest import FIXTURES, png_bytes
from PIL import Image

from pipeline.decode import decode_image
from pipeline.style import load_style

FACES = ("neutral.jpg", "smile.jpg", "grin.jpg", "open.jpg", "frown.jpg", "eyes_closed.jpg",
         "turned_head_grin.jpg")


def _rgb(name: str) -> np.ndarray:
    return np.asarray(Image.open(FIXTURES / name).convert("RGB"))


def _scene(pipe, width: int, height: int, sizes: list[int], seed: int = 0):
    """Fixture faces pasted into a noisy scene at the given face sizes (the landmarks' box);
    returns the scene and each pasted face's box."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(40, 220, (height // 80 + 2, width // 80 + 2, 3)).astype(np.uint8)
    scene = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    scene = np.clip(scene + rng.normal(0, 12, scene.shape), 0, 255).astype(np.uint8)
    columns = len(sizes)
    truths = []
    for i, size in enumerate(sizes):
        rgb = _rgb(FACES[i % len(FACES)])
        x0, y0, x1, y1 = pipe.analyzer.detect(rgb)[0].bbox
        scale = size / max(x1 - x0, y1 - y0)
        piece = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        ph, pw = piece.shape[:2]
        cell = width // columns
        px = i * cell + int(rng.integers(0, max(1, cell - pw)))
        py = int(rng.integers(0, height - ph))
        scene[py:py + ph, px:px + pw] = piece
        truths.append((x0 * scale + px, y0 * scale + py, x1 * scale + px, y1 * scale + py))
    return scene, truths


def _found(faces, box) -> bool:
    x0, y0, x1, y1 = box
    for face in faces:
        fx0, fy0, fx1, fy1 = face.bbox
        cx, cy = (fx0 + fx1) / 2, (fy0 + fy1) / 2
        if x0 <= cx <= x1 and y0 <= cy <= y1 and 0.6 < face.size / (x1 - x0) < 1.7:
            return True
    return False


@pytest.mark.parametrize("width, height, sizes", [
    (2400, 1600, [40, 52, 64, 80, 100, 120]),  # a wide shot: six small faces
    (1280, 960, [110, 160, 230]),  # an event photo: faces a selfie pass would miss
])
def test_every_face_in_a_large_scene_is_found(pipe, width, height, sizes):
    scene, truths = _scene(pipe, width, height, sizes)
    faces = pipe.analyzer.detect(scene)
    missed = [sizes[i] for i, box in enumerate(truths) if not _found(faces, box)]
    assert not missed, f"faces of {missed} px not found"
    assert len(faces) <= len(sizes) + 1  # at most one face that was not pasted
    assert faces == sorted(faces, key=lambda f: -f.area)


def test_a_scene_of_small_faces_goes_through_decode(pipe):
    scene, truths = _scene(pipe, 3000, 2000, [44, 60, 90], seed=1)
    out = Image.fromarray(scene)
    import io

    buf = io.BytesIO()
    out.save(buf, "JPEG", quality=90)
    image = decode_image(buf.getvalue())
    assert image.size == (3000, 2000)  # up to 4096 px a side is analysed at full size
    faces = pipe.analyzer.detect(image.rgb)
    assert all(_found(faces, box) for box in truths)


def test_a_selfie_needs_no_tile_search(pipe, monkeypatch):
    def no_search(rgb):
        raise AssertionError("the tile search ran on a selfie")

    monkeypatch.setattr(pipe.analyzer, "_search", no_search)
    for name in ("neutral.jpg", "grin.jpg", "colour_turned.jpg"):
        assert len(pipe.analyzer.detect(_rgb(name))) == 1


def _parts(pipe, data: bytes) -> dict[str, tuple[str, ...]]:
    image, faces = pipe.analyze(data)
    assert faces, "no face found"
    matches = pipe.match(pipe.parse(image, faces[0]), load_style("classic"))
    return {kind: tuple(sorted(matches[kind].tags)) for kind in ("mouth", "eyes")}


@pytest.mark.parametrize("quarter", [1, 2, 3])
@pytest.mark.parametrize("name", ["smile.jpg", "grin.jpg", "eyes_closed.jpg", "open.jpg"])
def test_a_turned_photo_reads_as_upright(pipe, name, quarter):
    rgb = _rgb(name)
    upright = _parts(pipe, png_bytes(Image.fromarray(rgb)))
    turned = _parts(pipe, png_bytes(Image.fromarray(np.ascontiguousarray(np.rot90(rgb, quarter)))))
    assert turned == upright


def test_turned_landmarks_stay_in_the_turned_photo(pipe):
    rgb = _rgb("smile.jpg")
    (upright,) = pipe.analyzer.detect(rgb)
    (turned,) = pipe.analyzer.detect(np.ascontiguousarray(np.rot90(rgb)))
    height, width = rgb.shape[:2]
    # rot90 takes (x, y) to (y, width - x): the landmarks must follow the face there
    expected = np.stack([upright.landmarks[:, 1], width - upright.landmarks[:, 0]], axis=1)
    assert np.abs(turned.landmarks[:, :2] - expected).mean() < 3
    assert turned.roll_quarter == 3 and upright.roll_quarter == 0
    assert turned.image_size == (height, width)


def test_max_faces_is_configurable(pipe):
    from pipeline.analyze import AnalyzerOptions, FaceAnalyzer

    scene, _ = _scene(pipe, 2400, 1600, [60, 70, 80, 90, 100, 110], seed=2)
    assert len(pipe.analyzer.detect(scene)) >= 6
    with FaceAnalyzer(AnalyzerOptions(max_faces=2)) as analyzer:
        two = analyzer.detect(scene)
    assert len(two) == 2 and two[0].area >= two[1].area
