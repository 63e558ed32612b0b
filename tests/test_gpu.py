"""The BiSeNet face parser on a device (MOJI_DEVICE) and in batches (BiSeNetParser.parse_many).

Batched parsing equals parsing one by one (on the CPU here, and on CUDA under `-m gpu`); on a
CUDA GPU the parser agrees with the CPU's. `pytest -m gpu tests/test_gpu.py` runs the GPU half,
which skips where torch sees no CUDA GPU.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from pipeline.bisenet import BiSeNetParser, find_weights  # noqa: E402
from pipeline.errors import MojiError  # noqa: E402
from pipeline.weights import pick_device  # noqa: E402

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PHOTOS = ["smile.jpg", "grin.jpg", "likeness_glasses.jpg", "likeness_long_hair.jpg"]
SIZE = 384  # the likeness's input side
cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="torch sees no CUDA GPU")


def head_crops(side: int = SIZE) -> list[np.ndarray]:
    """The fixtures' photos, centre-cropped square and resized: real faces at the likeness's
    input size (and one at another size, so that parse_many groups by size)."""
    from PIL import Image

    crops = []
    for i, name in enumerate(PHOTOS):
        image = Image.open(FIXTURES / name).convert("RGB")
        s = min(image.size)
        left, top = (image.width - s) // 2, (image.height - s) // 2
        size = side if i < len(PHOTOS) - 1 else side + 64
        crops.append(np.asarray(image.crop((left, top, left + s, top + s)).resize(
            (size, size), Image.BILINEAR)))
    return crops


@pytest.fixture(scope="module")
def weights() -> Path:
    path = find_weights(allow_download=False)
    if path is None:
        pytest.skip("79999_iter.pth is not in the model cache (moji models fetch bisenet)")
    return path


def agreement(a: np.ndarray, b: np.ndarray) -> float:
    return float((a == b).mean())


def one_by_one(parser: BiSeNetParser, crops: list[np.ndarray]) -> list[np.ndarray]:
    return [parser.parse_many([crop], size=SIZE)[0] for crop in crops]


def test_device_choice(monkeypatch):
    monkeypatch.setenv("MOJI_DEVICE", "cpu")
    assert pick_device() == "cpu"
    assert pick_device("cpu") == "cpu"
    monkeypatch.setenv("MOJI_DEVICE", "auto")
    assert pick_device() == ("cuda" if torch.cuda.is_available() else "cpu")
    monkeypatch.setenv("MOJI_DEVICE", "gpu0")
    with pytest.raises(MojiError, match="MOJI_DEVICE must be auto, cpu or cuda"):
        pick_device()
    if not torch.cuda.is_available():
        monkeypatch.setenv("MOJI_DEVICE", "cuda")
        with pytest.raises(MojiError, match="sees no CUDA GPU"):
            pick_device()


def test_batched_parse_equals_one_by_one_on_cpu(weights):
    parser = BiSeNetParser(weights=weights, device="cpu")
    crops = head_crops()
    batched = parser.parse_many(crops, size=SIZE)
    single = one_by_one(parser, crops)
    assert [b.shape for b in batched] == [c.shape[:2] for c in crops]
    for b, s in zip(batched, single, strict=True):
        assert agreement(b, s) > 0.999
    # real faces: skin (1) and hair (17) are found on each crop
    for labels in batched:
        assert (labels == 1).mean() > 0.05 and (labels == 17).mean() > 0.02


@pytest.mark.gpu
@cuda
def test_bisenet_on_cuda_equals_cpu(weights):
    crops = head_crops()
    on_cpu = BiSeNetParser(weights=weights, device="cpu").parse_many(crops, size=SIZE)
    on_gpu = BiSeNetParser(weights=weights, device="cuda").parse_many(crops, size=SIZE)
    for c, g in zip(on_cpu, on_gpu, strict=True):
        assert agreement(c, g) > 0.995  # TF32/cuDNN rounding flips a few border pixels


@pytest.mark.gpu
@cuda
def test_batched_equals_one_by_one_on_cuda(weights):
    parser = BiSeNetParser(weights=weights, device="cuda")
    crops = head_crops() * 4  # 16 faces: one forward per size
    batched = parser.parse_many(crops, size=SIZE)
    for b, s in zip(batched, one_by_one(parser, crops), strict=True):
        assert agreement(b, s) > 0.999


@pytest.mark.gpu
@cuda
def test_moji_device_auto_picks_cuda(monkeypatch, weights):
    monkeypatch.setenv("MOJI_DEVICE", "auto")
    assert BiSeNetParser(weights=weights).device == "cuda"
