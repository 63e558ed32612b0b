"""Eye colour: the iris pixels between the landmarks' iris points (468-477), light-corrected,
named into EYE_COLOURS.

The iris ring is sampled between 35% and 90% of the iris radius (the pupil and the limbus
left out) and only where the eye is open (inside the eye outline); specular highlights and
lashes (the brightest and darkest fifth) are dropped. Most eyes in most photos are dark: a
colour is called blue, green, grey or hazel only when its hue and lightness say so clearly
(EYE_* thresholds), else dark brown or brown by lightness.
"""

from __future__ import annotations

import numpy as np

from .colour import hex_to_rgb, srgb_to_lab
from .frame import FaceRegions, HeadFrame
from .light import Light
from .vocabulary import EYE_COLOURS, EYE_SWATCHES

IRISES = ((468, (469, 470, 471, 472)), (473, (474, 475, 476, 477)))
EYE_MIN_PIXELS = 12  # fewer iris pixels than this (closed or tiny eyes): no reading
EYE_DARK_L = 26.0  # lightness below which an iris is dark brown
EYE_CHROMA = 7.0  # below this an iris has no hue to speak of: grey if light, else brown
EYE_LIGHT_L = 45.0  # a hueless iris lighter than this is grey


def iris_pixels(frame: HeadFrame, regions: FaceRegions) -> np.ndarray:
    """(N, 3) uint8 iris pixels of both eyes (empty without the 478-point landmarks)."""
    if len(frame.points) < 478:
        return np.zeros((0, 3), np.uint8)
    yy, xx = np.mgrid[0:frame.size, 0:frame.size]
    picks = []
    for centre, rim in IRISES:
        cx, cy = frame.points[centre]
        r = float(np.linalg.norm(frame.points[list(rim)] - frame.points[centre], axis=1).mean())
        if r < 1.5:
            continue
        d2 = (xx - cx) ** 2 + (yy - cy) ** 2
        ring = (d2 > (0.35 * r) ** 2) & (d2 < (0.9 * r) ** 2) & regions.eyes & frame.valid
        picks.append(frame.image[ring])
    pixels = np.concatenate(picks) if picks else np.zeros((0, 3), np.uint8)
    if len(pixels) < EYE_MIN_PIXELS:
        return pixels
    luma = pixels.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    lo, hi = np.percentile(luma, [20, 80])
    return pixels[(luma >= lo) & (luma <= hi)]


def name_eye_colour(rgb: tuple[int, int, int] | np.ndarray) -> tuple[str, ...]:
    """EYE_COLOURS ranked for a light-corrected iris colour, best first."""
    lab = srgb_to_lab(np.asarray(rgb, dtype=np.float64)[:3])
    lightness, a, b = float(lab[0]), float(lab[1]), float(lab[2])
    chroma = float(np.hypot(a, b))
    hue = float(np.degrees(np.arctan2(b, a))) % 360
    if chroma >= EYE_CHROMA and 180 <= hue < 300 and lightness > 30:
        best = "blue"
    elif chroma >= EYE_CHROMA and 100 <= hue < 180 and lightness > 30:
        best = "green"
    elif chroma < EYE_CHROMA and lightness > EYE_LIGHT_L:
        best = "grey"
    elif lightness < EYE_DARK_L:
        best = "dark_brown"
    elif 70 <= hue < 100 and lightness > 45:
        best = "hazel"
    else:
        best = "brown"
    swatches = {n: srgb_to_lab(hex_to_rgb(EYE_SWATCHES[n])) for n in EYE_COLOURS}
    rest = sorted((n for n in EYE_COLOURS if n != best),
                  key=lambda n: float(((swatches[n] - lab) ** 2).sum()))
    return (best, *rest)


def measure_eyes(frame: HeadFrame, regions: FaceRegions, light: Light, grey_photo: bool
                 ) -> tuple[str, tuple[int, int, int] | None, tuple[str, ...]]:
    """(eye colour, its light-corrected rgb or None, ranked names)."""
    pixels = iris_pixels(frame, regions)
    if len(pixels) < EYE_MIN_PIXELS:
        return "brown", None, ("brown", "dark_brown", "hazel")
    rgb = light.apply(np.median(pixels.astype(np.float64), axis=0))
    if grey_photo:
        # Lightness alone: dark or not, no hue.
        dark = float(srgb_to_lab(rgb)[0]) < EYE_DARK_L
        ranked = ("dark_brown", "brown", "hazel") if dark else ("brown", "dark_brown", "hazel")
        return ranked[0], None, ranked
    ranked = name_eye_colour(rgb)
    # Drawn between the measured colour and its name's swatch: the person's own shade, but
    # never an odd one from a few noisy pixels.
    swatch = np.array(hex_to_rgb(EYE_SWATCHES[ranked[0]]), np.float64)
    drawn = tuple(int(round(c)) for c in 0.5 * rgb + 0.5 * swatch)
    return ranked[0], drawn, ranked[:3]  # type: ignore[return-value]
