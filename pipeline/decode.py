"""Stage 1: bytes to an upright RGB array, refusing what is not a sane photo.

Memory is bounded, not just pixels: the size a photo takes once decoded (its mode's bytes per
pixel times its pixels) is checked before anything is decoded, JPEGs decode straight to a smaller
size, and the conversion to 8-bit RGB and the downscale run strip by strip, so no second copy of
a large photo (and no float copy at all) is ever made.
"""

from __future__ import annotations

import io
import math
import os
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import ExifTags, Image, UnidentifiedImageError

from .errors import MojiError

# A 12,000 x 10,000 photo is larger than any phone takes; past that it is a bomb, not a selfie.
MAX_PIXELS = int(os.environ.get("MOJI_MAX_PIXELS", 120_000_000))
MAX_BYTES = int(os.environ.get("MOJI_MAX_BYTES", 50 * 1024 * 1024))
# What the decoded photo may take in memory before it is reduced: 192 MB holds a 48 MP colour
# photo (Pillow keeps RGB and RGBA in 4 bytes a pixel) or a 96 MP 16-bit greyscale one; with
# the strip-wise conversion below a worker grows by about 1.3 times this at most.
MAX_DECODE_BYTES = int(os.environ.get("MOJI_MAX_DECODE_BYTES", 192 * 2**20))
# Faces of 40 px must still be 40 px when the landmarker sees them: photos up to 4096 px a side
# are analysed at full size (the analyzer downscales its own first, whole-photo pass).
ANALYSIS_MAX_SIDE = int(os.environ.get("MOJI_ANALYSIS_MAX_SIDE", 4096))
MIN_SIDE = 16
STRIP_BYTES = 16 * 2**20  # working memory of one strip of the conversion to RGB
# Pillow's own bomb check (a warning past this, an error past twice this) agrees with ours.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

# Bytes a pixel takes in Pillow's memory; every mode not listed takes 4 (RGB included).
_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2}
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs",
                b"mif1", b"msf1"}
_HIGH_DEPTH = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_90,
}


def limits_megapixels(max_pixels: int = MAX_PIXELS,
                      max_decode_bytes: int = MAX_DECODE_BYTES) -> dict[str, float]:
    """The largest photo taken, in megapixels, by kind: a JPEG decodes at a reduced size, so
    only the pixel limit holds it; a PNG (4 bytes a pixel in Pillow) and a WEBP (decoded twice
    over) are held by the memory budget first. What the README and the messages quote."""
    return {"jpeg": max_pixels / 1e6,
            "png": min(max_pixels, max_decode_bytes / 4) / 1e6,
            "webp": min(max_pixels, max_decode_bytes / 8) / 1e6}


def _too_large(width: int, height: int, limit_megapixels: float) -> dict[str, object]:
    """The numbers of a too_large error, for the person's message."""
    return {"width": width, "height": height,
            "megapixels": round(width * height / 1e6, 1),
            "limit_megapixels": round(limit_megapixels)}


@dataclass
class DecodedImage:
    """An upright RGB photo, perhaps downscaled, and the size it had."""

    rgb: np.ndarray  # (H, W, 3) uint8
    original_size: tuple[int, int]  # (width, height) before downscaling

    @property
    def size(self) -> tuple[int, int]:
        return self.rgb.shape[1], self.rgb.shape[0]


def is_heic(data: bytes) -> bool:
    """Whether bytes are a HEIC/HEIF photo (an ISO media file whose `ftyp` box names a HEIF
    brand). Pillow reads AVIF, the other HEIF-based format, so this is asked only of files
    Pillow could not identify."""
    if data[4:8] != b"ftyp":
        return False
    box_size = int.from_bytes(data[:4], "big")
    brands = data[8:12] + data[16:min(max(box_size, 16), 64)]
    return any(brands[i:i + 4] in _HEIF_BRANDS for i in range(0, len(brands) - 3, 4))


def decoded_bytes(mode: str, size: tuple[int, int]) -> int:
    """What an image of this mode and size takes in Pillow's memory once loaded."""
    return size[0] * size[1] * _BYTES_PER_PIXEL.get(mode, 4)


def _to_rgb(im: Image.Image, levels: tuple[float, float] | None = None) -> Image.Image:
    """Any Pillow mode to 8-bit RGB; transparency is laid over white.

    `levels`: the (low, high) of the whole photo for 16/32-bit and float modes, so that every
    strip of one photo is scaled alike (computed here when not given).
    """
    if im.mode in _HIGH_DEPTH:
        lo, hi = levels if levels is not None else _levels(im)
        arr = np.asarray(im)
        if arr.dtype == np.uint16:  # 16-bit greyscale: scale the real range, through a table
            table = np.arange(65536, dtype=np.float32) * np.float32(255.0 / (hi or 1.0))
            grey = np.clip(table, 0, 255).astype(np.uint8)[arr]
        else:  # 32-bit integer (its real range, like 16-bit) or float (stretched), in place
            base = np.float32(lo if im.mode == "F" else 0.0)
            span = (hi - lo) if im.mode == "F" else hi
            work = arr.astype(np.float32)
            work -= base
            work *= np.float32(255.0 / (span if span > 0 else 1.0))
            grey = np.clip(work, 0, 255, out=work).astype(np.uint8)
        im = Image.fromarray(grey, "L")
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        im = im.convert("RGBA")
        background = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(background, im)
    return im.convert("RGB")


def _levels(im: Image.Image) -> tuple[float, float]:
    lo, hi = im.getextrema()
    return float(lo), float(hi)


def _reduced_rgb(im: Image.Image, max_side: int) -> np.ndarray:
    """A loaded image as an RGB array with its longer side at most `max_side`.

    A large image is converted and resized a strip at a time (each strip with a few rows of
    context, so the seams do not show): memory is the output and one strip, never a second
    copy of the whole photo.
    """
    width, height = im.size
    scale = min(1.0, max_side / max(width, height))
    out_w, out_h = max(1, round(width * scale)), max(1, round(height * scale))
    levels = _levels(im) if im.mode in _HIGH_DEPTH else None
    if decoded_bytes(im.mode, im.size) <= STRIP_BYTES:
        rgb = _to_rgb(im, levels)
        if (out_w, out_h) != rgb.size:
            rgb = rgb.resize((out_w, out_h), Image.Resampling.BILINEAR)
        return np.asarray(rgb)
    out = np.empty((out_h, out_w, 3), np.uint8)
    step = max(1, int(STRIP_BYTES / (width * 4) * out_h / height))  # output rows a strip
    context = math.ceil(height / out_h) + 2 if (out_w, out_h) != im.size else 0
    for oy0 in range(0, out_h, step):
        oy1 = min(out_h, oy0 + step)
        sy0, sy1 = oy0 * height / out_h, oy1 * height / out_h
        top = max(0, math.floor(sy0) - context)
        bottom = min(height, math.ceil(sy1) + context)
        strip = _to_rgb(im.crop((0, top, width, bottom)), levels)
        if context:
            strip = strip.resize((out_w, oy1 - oy0), Image.Resampling.BILINEAR,
                                 box=(0, sy0 - top, width, sy1 - top))
        out[oy0:oy1] = np.asarray(strip)
    return out


def _describe(im: Image.Image) -> str:
    if im.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        return " with transparency"
    if im.mode in _HIGH_DEPTH:
        return " at 16 or 32 bits a pixel" if im.mode != "F" else " in floating point"
    return ""


def decode_image(
    data: bytes, max_pixels: int = MAX_PIXELS, max_side: int = ANALYSIS_MAX_SIDE,
    max_decode_bytes: int | None = None,
) -> DecodedImage:
    """Decode image bytes (JPEG, PNG, WEBP, ...): EXIF transpose, RGB, memory limit, downscale."""
    if not data:
        raise MojiError("bad_image", "The file is empty.")
    if len(data) > MAX_BYTES:
        raise MojiError(
            "too_large", f"The file is {len(data) / 2**20:.0f} MB; Moji takes up to "
            f"{MAX_BYTES / 2**20:.0f} MB."
        )
    budget = MAX_DECODE_BYTES if max_decode_bytes is None else max_decode_bytes
    width = height = 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # A broken EXIF block is read as no orientation; Pillow's warning says nothing more.
            warnings.filterwarnings("ignore", "Corrupt EXIF data", UserWarning)
            im = Image.open(io.BytesIO(data))
            width, height = im.size
            if width * height > max_pixels:
                raise MojiError(
                    "too_large",
                    f"The image is {width}x{height} pixels; Moji takes up to "
                    f"{max_pixels / 1e6:.0f} megapixels.",
                    **_too_large(width, height, max_pixels / 1e6),
                )
            if min(width, height) < MIN_SIDE:
                raise MojiError(
                    "too_small", f"The image is only {width}x{height} pixels, too small to hold "
                    f"a face. Send a photo at least {MIN_SIDE} pixels on each side.")
            # JPEG can decode straight to a smaller size (1/2, 1/4, 1/8), which is far faster
            # for big photos and keeps them in the memory budget: ask for the size whose longer
            # side is max_side (asking for max_side on both sides would keep a 4:3 photo under
            # 8192 px high at full size: an 88 MP JPEG would need 350 MB and be refused)
            scale = max_side / max(width, height)
            if scale < 1:
                im.draft("RGB", (max(1, int(width * scale)), max(1, int(height * scale))))
            need = decoded_bytes(im.mode, im.size)
            if im.format == "WEBP":  # libwebp decodes into a buffer that Pillow then copies
                need *= 2
            if need > budget:
                raise MojiError(
                    "too_large",
                    f"The image is {width}x{height} pixels{_describe(im)}: it would take "
                    f"{need / 2**20:.0f} MB to open, and Moji takes up to "
                    f"{budget / 2**20:.0f} MB. A JPEG or a smaller photo works.",
                    **_too_large(width, height, budget / (need / (im.size[0] * im.size[1]))
                                 / 1e6),
                )
            im.load()
            orientation = im.getexif().get(ExifTags.Base.Orientation, 1)
            rgb = _reduced_rgb(im, max_side)
            del im
            if orientation in _TRANSPOSE:
                rgb = np.asarray(Image.fromarray(rgb).transpose(_TRANSPOSE[orientation]))
    except MojiError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise MojiError("too_large", "The image has far too many pixels (a decompression bomb?); "
                        f"Moji takes up to {max_pixels / 1e6:.0f} megapixels.",
                        **(_too_large(width, height, max_pixels / 1e6) if width else {})
                        ) from None
    except UnidentifiedImageError:
        if is_heic(data):
            raise MojiError("heic", "The file is a HEIC/HEIF photo, which Moji cannot read; "
                            "send it as a JPEG or PNG.") from None
        raise MojiError("bad_image", "The file is not an image Moji can read.") from None
    except (OSError, ValueError, SyntaxError, MemoryError) as exc:
        raise MojiError("bad_image", f"The image could not be decoded ({exc}).") from None
    return DecodedImage(rgb=rgb, original_size=(width, height))
