"""Light correction: the photo's colour cast and exposure, divided out (see __init__)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .colour import image_luma
from .frame import FaceRegions, HeadFrame

# Typical shades-of-grey estimate of a neutrally lit portrait (channel / mean): faces fill the
# frame, so the average photo's "grey" is warm. The median over the 540 shared colour photos is
# (1.16, 0.96, 0.89); this slightly warmer value keeps corrected skin off the bluish light Monk
# swatches (1-2), and more photos within one Monk step under all four lights (94% vs 82%).
CAST_NEUTRAL = np.array([1.18, 0.97, 0.85])
CAST_STRENGTH = 1.0  # 1 = divide out the whole difference from CAST_NEUTRAL
EXPOSURE_LEVEL = 200.0  # the bright reference (percentile of luma) of a well exposed photo
EXPOSURE_PERCENTILE = 90.0  # the 97th clips when a photo is brightened: 88% -> 95% stable
EXPOSURE_STRENGTH = 0.9
# Eye whites and teeth as the white reference: on the shared colour photos (small crops, a few
# dozen sclera pixels at best) they made the cast less stable, not more (warm light: 94% of
# photos within one Monk step with them, 99.8% with shades of grey alone), so they are off.
USE_WHITES = False
WHITES_MIN = 30


@dataclass
class Light:
    """Per-channel gains that take this photo's colours to a neutral, normally exposed light."""

    gains: np.ndarray  # (3,)
    source: str  # what the cast was measured on: "sclera", "grey_world", "none"

    def apply(self, rgb: Any) -> np.ndarray:
        return np.clip(np.asarray(rgb, dtype=np.float64) * self.gains, 0, 255)


def estimate_light(rgb: np.ndarray, whites: np.ndarray | None = None,
                   grey_photo: bool = False) -> Light:
    """The light of a photo from references it gives: eye whites/teeth, grey world, highlights.

    `whites`: (N, 3) pixels of the eye whites and teeth, when found.
    """
    pixels = rgb.reshape(-1, 3)
    if len(pixels) > 40_000:
        pixels = pixels[:: len(pixels) // 40_000]
    pixels = pixels.astype(np.float64)
    luma = pixels @ np.array([0.299, 0.587, 0.114])
    bright = float(np.percentile(luma, EXPOSURE_PERCENTILE))
    exposure = (EXPOSURE_LEVEL / max(bright, 8.0)) ** EXPOSURE_STRENGTH
    if grey_photo:
        return Light(gains=np.full(3, exposure), source="none")
    source = "grey_world"
    cast = None
    if USE_WHITES and whites is not None and len(whites) >= WHITES_MIN:
        w = np.median(whites.astype(np.float64), axis=0)
        if w.min() > 20:
            # Eye whites are slightly warm even in neutral light: compare with that, not grey.
            cast = (w / w.mean()) / np.array([1.04, 1.0, 0.96])
            source = "sclera"
    if cast is None:
        keep = luma < 250  # clipped pixels have lost their colour
        p = 6.0
        norm = (np.mean(pixels[keep] ** p, axis=0) ** (1 / p)) if keep.sum() > 50 else \
            pixels.mean(axis=0) + 1.0
        cast = (norm / norm.mean()) / CAST_NEUTRAL
    cast = np.clip(cast, 0.6, 1.6) ** CAST_STRENGTH
    gains = exposure / cast
    gains *= 1.0 / float(gains @ np.array([0.299, 0.587, 0.114]) / exposure)
    return Light(gains=gains, source=source)


def lit_median(pixels: np.ndarray) -> np.ndarray:
    """The median colour of the brighter half of some pixels (the lit side, not the shadows)."""
    pixels = np.asarray(pixels, dtype=np.float64).reshape(-1, 3)
    if len(pixels) == 0:
        return np.array([150.0, 110.0, 90.0])
    luma = pixels @ np.array([0.299, 0.587, 0.114])
    cut = np.median(luma)
    upper = pixels[luma >= cut]
    return np.median(upper if len(upper) else pixels, axis=0)


def body_colour(pixels: np.ndarray) -> np.ndarray:
    """The colour of hair's body: the median of the pixels between the 20th and 60th
    percentile of luma. Highlights and stray skin or background at the mask's edges are
    brighter than hair; the plain median called 16% of black-haired heads brown or blonde.
    """
    pixels = np.asarray(pixels, dtype=np.float64).reshape(-1, 3)
    luma = pixels @ np.array([0.299, 0.587, 0.114])
    lo, hi = np.percentile(luma, [20, 60])
    body = pixels[(luma >= lo) & (luma <= hi)]
    return np.median(body if len(body) else pixels, axis=0)


def find_whites(frame: HeadFrame, regions: FaceRegions, mouth_open: float) -> np.ndarray:
    """Eye-white and teeth pixels: the bright, unsaturated pixels inside the eyes and lips."""
    img = frame.image.reshape(-1, 3)
    luma = image_luma(frame.image).reshape(-1)
    sat = (frame.image.max(axis=2).astype(np.float32) - frame.image.min(axis=2)).reshape(-1)
    picks = []
    masks = [regions.eyes.reshape(-1)]
    if mouth_open > 0.15:
        masks.append(regions.lips.reshape(-1))
    skin_luma = float(np.median(luma[regions.cheeks.reshape(-1)])) if regions.cheeks.any() else 0
    for mask in masks:
        idx = np.flatnonzero(mask)
        if len(idx) < 20:
            continue
        cut = np.percentile(luma[idx], 80)
        good = idx[(luma[idx] >= cut) & (luma[idx] > skin_luma * 0.9)]
        good = good[sat[good] < np.percentile(sat[idx], 50) + 1]
        picks.append(img[good])
    return np.concatenate(picks) if picks else np.zeros((0, 3), np.uint8)
