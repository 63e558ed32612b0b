"""`moji dataset parts`, `train autoencoder`, `visualize` and `models`, end to end."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

pytest.importorskip("torch")

from conftest import FIXTURES  # noqa: E402

from moji.cli import main  # noqa: E402
from pipeline.parse import PART_KINDS  # noqa: E402

PHOTOS = ("neutral.jpg", "grin.jpg", "open.jpg")


@pytest.fixture(scope="module")
def parts_dir(tmp_path_factory):
    """A parts dataset made by the command from three fixture photos and one without a face."""
    from PIL import Image
    from skimage import data

    photos = tmp_path_factory.mktemp("photos")
    for name in PHOTOS:
        shutil.copy(FIXTURES / name, photos / name)
    Image.fromarray(data.coffee()).save(photos / "coffee.png")
    (photos / "notes.txt").write_text("not a photo")
    out = tmp_path_factory.mktemp("parts")
    assert main(["dataset", "parts", str(photos), str(out)]) == 0
    return out


def test_dataset_parts_writes_canonical_crops(parts_dir, capsys):
    import cv2

    for kind in PART_KINDS:
        files = sorted(p.name for p in (parts_dir / kind).glob("*.png"))
        assert files == sorted(n.replace(".jpg", ".png") for n in PHOTOS)
        crop = cv2.imread(str(parts_dir / kind / "grin.png"))
        assert crop.shape == (306, 306, 3)
        assert 0 < (crop.sum(-1) > 0).mean() < (0.9 if kind == "face" else 0.2)
    manifest = (parts_dir / "manifest.csv").read_text().splitlines()
    assert "coffee.png,,no_face" in manifest and len(manifest) == 1 + len(PHOTOS) + 1


def test_train_autoencoder_one_tiny_run(parts_dir, tmp_path):
    from pipeline.embedders import get_embedder

    out = tmp_path / "run"
    code = main(["train", "autoencoder", str(parts_dir), "--out-dir", str(out), "--max-steps", "2",
                 "--batch-size", "2", "--eval-every", "1", "--styles", "", "--exclude", "",
                 "--val-photos", "1"])
    assert code == 0
    for name in ("ckpt.pt", "autoencoder.pt", "loss.png", "recon.png", "summary.json"):
        assert (out / name).stat().st_size > 0, name
    assert (out / "autoencoder.pt").stat().st_size < 3_000_000  # encoder only, float16
    for weights in (out / "autoencoder.pt", out / "ckpt.pt"):  # exported and full both load
        embedder = get_embedder("autoencoder", weights=weights, device="cpu")
        assert embedder.embed_crops(np.zeros((1, 306, 306, 3), np.uint8)).shape == (1, 8)


def _tiny_video(path, frames: int = 6) -> None:
    """A short clip of a fixture face drifting a few pixels per frame."""
    import cv2

    from moji.visualize import VideoWriter

    face = cv2.imread(str(FIXTURES / "smile.jpg"))[..., ::-1]
    face = cv2.resize(face, (288, 288))
    writer = VideoWriter(path, fps=6, size=(320, 320))
    for i in range(frames):
        canvas = np.full((320, 320, 3), 90, np.uint8)
        canvas[8 + i * 3:296 + i * 3, 10 + i * 2:298 + i * 2] = face
        writer.write(canvas)
    writer.close()


def test_visualize_writes_a_playable_video(tmp_path):
    import cv2

    clip, out = tmp_path / "clip.mp4", tmp_path / "out.mp4"
    _tiny_video(clip)
    assert main(["visualize", str(clip), "--out", str(out), "--style", "classic",
                 "--embedder", "autoencoder"]) == 0
    video = cv2.VideoCapture(str(out))
    frames = []
    while True:
        ok, frame = video.read()
        if not ok:
            break
        frames.append(frame)
    assert len(frames) == 6
    assert frames[0].shape == (400, 1280, 3)
    # the plot area holds pink (face) and purple (style part) bars
    plots = frames[-1][40:, 800:, ::-1].reshape(-1, 3).astype(int)
    assert (np.abs(plots - (255, 92, 168)).sum(1) < 60).any()
    assert (np.abs(plots - (123, 47, 190)).sum(1) < 60).any()


def test_models_list_and_fetch_messages(capsys):
    assert main(["models", "list"]) == 0
    listing = capsys.readouterr().out
    assert "resnet50.IMAGENET1K_V2" in listing and "autoencoder-parts-v1" in listing
    assert "bisenet" in listing and "selfie_segmenter" in listing


def test_models_fetch_bisenet_checks_the_cached_file(capsys):
    # CI seeds the cache with the official file; fetch finds it and checks its sha256.
    assert main(["models", "fetch", "bisenet"]) == 0
    assert capsys.readouterr().out.strip().endswith("79999_iter.pth")
