"""Skin: the light-corrected colour of the lit cheeks, and its Monk index."""

from __future__ import annotations

import numpy as np

from .colour import _MONK_LAB, hex_to_rgb, monk_index, srgb_to_lab
from .light import Light, lit_median
from .vocabulary import MONK_SCALE

# Photo skin is shaded and the camera's tone curve darkens it: a gain that maps the corrected
# lit-cheek colour onto the Monk swatches' scale (chosen so that the mean Monk error on the
# labelled colour photos is near zero).
SKIN_TO_SWATCH = 0.97


def skin_from_pixels(pixels: np.ndarray, light: Light, grey_photo: bool = False
                     ) -> tuple[tuple[int, int, int], int]:
    """The light-corrected skin colour of some skin pixels, and its Monk index."""
    corrected = light.apply(lit_median(pixels)) * SKIN_TO_SWATCH
    corrected = np.clip(corrected, 0, 255)
    if grey_photo:
        # No colour: keep the lightness and borrow the chroma of the Monk swatch of that
        # lightness, so that a greyscale face gets a plausible skin colour.
        lightness = float(srgb_to_lab(corrected)[0])
        idx = int(np.argmin(np.abs(_MONK_LAB[:, 0] - lightness)))
        # Monk 1-4 share one lightness: take the middle of them rather than the first.
        idx = 2 if idx < 4 else idx
        rgb = hex_to_rgb(MONK_SCALE[idx])
        return rgb, idx + 1
    rgb = tuple(int(round(c)) for c in corrected)
    return rgb, monk_index(rgb)  # type: ignore[return-value]
