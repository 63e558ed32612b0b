"""Stage 1: bytes to an upright RGB array, refusing what is not a sane photo."""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import MojiError

# A 12,000 x 10,000 photo is larger than any phone takes; past that it is a bomb, not a selfie.
MAX_PIXELS = int(os.environ.get("MOJI_MAX_PIXELS", 120_000_000))
MAX_BYTES = int(os.environ.get("MOJI_MAX_BYTES", 50 * 1024 * 1024))
# The landmarker works on a 256 px face crop; a longer side past this only costs time.
ANALYSIS_MAX_SIDE = int(os.environ.get("MOJI_ANALYSIS_MAX_SIDE", 1280))
# Pillow's own bomb check (a warning past this, an error past twice this) agrees with ours.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


@dataclass
class DecodedImage:
    """An upright RGB photo, perhaps downscaled, and the size it had."""

    rgb: np.ndarray  # (H, W, 3) uint8
    original_size: tuple[int, int]  # (width, height) before downscaling

    @property
    def size(self) -> tuple[int, int]:
        return self.rgb.shape[1], self.rgb.shape[0]


def _to_rgb(im: Image.Image) -> Image.Image:
    """Any Pillow mode to 8-bit RGB; transparency is laid over white."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16/32-bit greyscale: scale the real range to 8 bits rather than clip it.
        arr = np.asarray(im, dtype=np.float64)
        hi = arr.max() if arr.size else 1.0
        arr = np.clip(arr / (hi if hi > 0 else 1.0) * 255.0, 0, 255).astype(np.uint8)
        im = Image.fromarray(arr, "L")
    if im.mode == "F":
        arr = np.asarray(im, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        arr = ((arr - lo) / (hi - lo or 1.0) * 255.0).astype(np.uint8)
        im = Image.fromarray(arr, "L")
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        im = im.convert("RGBA")
        background = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(background, im)
    return im.convert("RGB")


def decode_image(
    data: bytes, max_pixels: int = MAX_PIXELS, max_side: int = ANALYSIS_MAX_SIDE
) -> DecodedImage:
    """Decode image bytes (JPEG, PNG, WEBP, ...): EXIF transpose, RGB, pixel limit, downscale."""
    if not data:
        raise MojiError("bad_image", "The file is empty.")
    if len(data) > MAX_BYTES:
        raise MojiError(
            "too_large", f"The file is {len(data) / 2**20:.0f} MB; Moji takes up to "
            f"{MAX_BYTES / 2**20:.0f} MB."
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
            width, height = im.size
            if width * height > max_pixels:
                raise MojiError(
                    "too_large",
                    f"The image is {width}x{height} pixels; Moji takes up to "
                    f"{max_pixels / 1e6:.0f} megapixels.",
                )
            # JPEG can decode straight to a smaller size, which is far faster for big photos.
            im.draft("RGB", (max_side, max_side))
            im.load()
            im = ImageOps.exif_transpose(im)
            im = _to_rgb(im)
    except MojiError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise MojiError("too_large", "The image has far too many pixels (a decompression bomb?); "
                        f"Moji takes up to {max_pixels / 1e6:.0f} megapixels.") from None
    except UnidentifiedImageError:
        raise MojiError("bad_image", "The file is not an image Moji can read.") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise MojiError("bad_image", f"The image could not be decoded ({exc}).") from None
    if min(im.size) < 16:
        raise MojiError("bad_image", f"The image is only {im.width}x{im.height} pixels.")
    if max(im.size) > max_side:
        im.thumbnail((max_side, max_side), Image.Resampling.BILINEAR)
    return DecodedImage(rgb=np.asarray(im), original_size=(width, height))
