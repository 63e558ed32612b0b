"""Skin: the light-corrected colour of the lit cheeks, kept on the band of real skin colours,
and its Monk index.

The band: real skin colours lie along the 10 Monk Skin Tone swatches in CIELAB (a curve from
pale pinkish beige to deep brown). A colour measured under an odd light can fall off it
(greenish, mustard, cream-yellow, grey); it is moved to the nearest point of the polyline
through the swatches, keeping a little of its own deviation (SKIN_BAND_AB in a*b*, SKIN_BAND_L
in lightness), so two people of the same depth still differ a little in undertone but no one
is drawn in a colour no skin has.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .colour import _MONK_LAB, hex_to_rgb, lab_to_srgb, monk_index, srgb_to_lab
from .light import Light, lit_median
from .vocabulary import MONK_SCALE

# Photo skin is shaded and the camera's tone curve darkens it: a gain that maps the corrected
# lit-cheek colour onto the Monk swatches' scale (chosen so that the mean Monk error on the
# labelled colour photos is near zero).
SKIN_TO_SWATCH = 0.97
# How far a drawn skin may lie from the swatches' polyline: in a*b* (undertone) and lightness.
SKIN_BAND_AB = 4.0
SKIN_BAND_L = 4.0
BAND_L_WEIGHT = 2.0
SKIN_BAND_RADIUS = float(np.hypot(BAND_L_WEIGHT * SKIN_BAND_L, SKIN_BAND_AB))


def nearest_on_band(lab: Any) -> tuple[np.ndarray, float]:
    """The nearest point (CIELAB) of the Monk polyline to `lab`, and its position along the
    scale (0 = Monk 1, 9 = Monk 10). Lightness weighs BAND_L_WEIGHT times a*b*: a colour off
    the band keeps its depth and loses its odd tint, not the other way round."""
    w = np.array([BAND_L_WEIGHT, 1.0, 1.0])
    lab = np.asarray(lab, dtype=np.float64) * w
    a, b = _MONK_LAB[:-1] * w, _MONK_LAB[1:] * w
    seg = b - a
    t = np.clip(((lab - a) * seg).sum(axis=1) / (seg * seg).sum(axis=1), 0.0, 1.0)
    points = a + t[:, None] * seg
    i = int(np.argmin(((points - lab) ** 2).sum(axis=1)))
    return points[i] / w, i + float(t[i])


def distance_from_band(rgb: Any) -> float:
    """How far an sRGB colour lies from the Monk polyline (CIELAB, lightness weighted
    BAND_L_WEIGHT times); a drawn skin is at most SKIN_BAND_RADIUS away."""
    w = np.array([BAND_L_WEIGHT, 1.0, 1.0])
    lab = srgb_to_lab(np.asarray(rgb, dtype=np.float64)[:3])
    point, _ = nearest_on_band(lab)
    return float(np.linalg.norm((lab - point) * w))


def onto_skin_band(rgb: Any) -> tuple[int, int, int]:
    """An sRGB colour moved onto the band of real skin colours (see the module's docstring)."""
    lab = srgb_to_lab(np.asarray(rgb, dtype=np.float64)[:3])
    point, _ = nearest_on_band(lab)
    off = lab - point
    ab = float(np.hypot(off[1], off[2]))
    if ab > SKIN_BAND_AB:
        off[1:] *= SKIN_BAND_AB / ab
    off[0] = float(np.clip(off[0], -SKIN_BAND_L, SKIN_BAND_L))
    out = lab_to_srgb(point + off)
    return tuple(int(round(c)) for c in out)  # type: ignore[return-value]


def skin_from_pixels(pixels: np.ndarray, light: Light, grey_photo: bool = False
                     ) -> tuple[tuple[int, int, int], int]:
    """The light-corrected skin colour of some skin pixels, on the skin band, and its Monk
    index."""
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
    # The Monk index is read from the corrected colour itself (as validated against the hand
    # labels and the light changes); the band only takes the odd tint out of the drawn colour.
    return onto_skin_band(corrected), monk_index(corrected)
