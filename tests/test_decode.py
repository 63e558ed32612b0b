"""Stage 1: decoding every kind of input a phone or a person may send."""

from __future__ import annotations

import io

import numpy as np
import pytest
from conftest import FIXTURES, fixture_bytes, png_bytes
from PIL import Image

from pipeline.decode import decode_image
from pipeline.errors import MojiError


def _photo() -> Image.Image:
    return Image.open(FIXTURES / "smile.jpg").convert("RGB")


@pytest.mark.parametrize("mode", ["RGBA", "LA", "L", "P", "CMYK", "I;16", "I", "1"])
def test_every_mode_becomes_rgb(mode):
    image = _photo()
    if mode == "I;16":
        arr = np.asarray(image.convert("L"), dtype=np.uint16) * 257
        converted = Image.frombytes("I;16", image.size, arr.astype("<u2").tobytes())
    else:
        converted = image.convert(mode)
    fmt = "TIFF" if mode in ("CMYK", "I;16", "I") else "PNG"
    out = io.BytesIO()
    converted.save(out, fmt)
    decoded = decode_image(out.getvalue())
    assert decoded.rgb.dtype == np.uint8 and decoded.rgb.shape == (350, 350, 3)
    if mode == "I;16":  # 16-bit must be scaled, not clipped to white
        assert 40 < decoded.rgb.mean() < 215


def test_transparency_is_laid_over_white():
    image = Image.new("RGBA", (64, 64), (255, 0, 0, 0))
    decoded = decode_image(png_bytes(image))
    assert (decoded.rgb == 255).all()


def test_exif_orientation_is_applied():
    image = _photo().rotate(90, expand=True)  # stored sideways ...
    exif = Image.Exif()
    exif[0x0112] = 6  # ... with the tag that says "rotate 90 clockwise to view"
    out = io.BytesIO()
    image.resize((350, 300)).save(out, "JPEG", exif=exif)
    decoded = decode_image(out.getvalue())
    assert decoded.size == (300, 350)


def test_large_photo_is_downscaled_for_analysis():
    big = _photo().resize((3000, 3000))
    decoded = decode_image(png_bytes(big), max_side=1280)
    assert max(decoded.size) == 1280 and decoded.original_size == (3000, 3000)


@pytest.mark.parametrize("data", [b"", b"not an image at all", fixture_bytes("smile.jpg")[:300]])
def test_garbage_is_bad_image(data):
    with pytest.raises(MojiError) as err:
        decode_image(data)
    assert err.value.code == "bad_image"


def test_decompression_bomb_is_too_large():
    bomb = Image.new("1", (13000, 10000))  # 130 megapixels, a few kilobytes as PNG
    data = png_bytes(bomb)
    assert len(data) < 1_000_000
    with pytest.raises(MojiError) as err:
        decode_image(data)
    assert err.value.code == "too_large"


def test_tiny_image_is_refused():
    with pytest.raises(MojiError) as err:
        decode_image(png_bytes(Image.new("RGB", (8, 8))))
    assert err.value.code == "bad_image"
