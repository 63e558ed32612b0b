"""Hair colour names from a light-corrected colour (used by the Likeness type and hair.py)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .colour import srgb_to_lab


def name_hair_colour(rgb: Any, grey_photo: bool = False) -> str:
    """A hair colour name for a light-corrected hair colour.

    Thresholds tuned on the shared face photos (moji/evaluate_likeness.py records them).
    """
    lab = srgb_to_lab(np.asarray(rgb, dtype=np.float64)[:3])
    lightness, a, b = float(lab[0]), float(lab[1]), float(lab[2])
    chroma = float(np.hypot(a, b))
    if grey_photo:
        if lightness < 30:
            return "black"
        if lightness > 78:
            return "white"
        if lightness > 58:
            return "grey"
        return "dark_brown"
    if lightness < 24:
        return "black"
    if chroma < 9 and lightness > 45:
        return "white" if lightness > 75 else "grey"
    hue = float(np.degrees(np.arctan2(b, a)))
    if lightness > 55 and b > 18 and hue > 55:
        return "blonde"
    if a > 16 and hue < 52 and chroma > 24:
        return "red" if lightness > 42 else "auburn"
    if lightness < 34:
        return "dark_brown"
    return "brown" if lightness < 55 or chroma > 22 else "blonde"


# Typical shades-of-grey estimate of a neutrally lit portrait (channel / mean): faces fill the
# frame, so the average photo's "grey" is warm. The median over the 540 shared colour photos is
