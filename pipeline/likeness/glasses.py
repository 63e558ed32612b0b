"""Glasses: landmark cues (both methods) and BiSeNet's lens class."""

from __future__ import annotations

import numpy as np

from .. import landmarks as lm
from .classes import EYE_L, EYE_R, GLASSES
from .colour import image_luma
from .frame import FaceRegions, HeadFrame, eye_band

# Thresholds, in units of the frame's eye distance d (tuned on all of eval/likeness.csv before
# the by-person tuning / held-out split; see moji/evaluate_likeness.py for the record and the
# figures on each half). A logistic model over the area, BiSeNet's lens darkness and the
# landmark cues of glasses_from_eyes did no better than these three thresholds in by-person
# cross-validation on the tuning half (76.0% vs 75.9% balanced accuracy), so they stay.
GLASSES_AREA = 0.01  # eye_g pixels / d^2 (BiSeNet rarely calls anything else glasses)
SUNGLASSES_BAND = 0.5  # median luma around the eyes / cheek luma: dark lenses...
SUNGLASSES_LENS = 0.3  # ...or the lenses' own median luma / cheek luma


def glasses_from_eyes(frame: HeadFrame, regions: FaceRegions) -> dict[str, float]:
    """Landmark-only cues of glasses, each relative to the same face's cheeks.

    - bridge_edges: horizontal edges across the nose bridge between the eyes (the frame's
      bridge), where bare skin is smooth;
    - rim_edges / rim_min: the lower rims, a horizontal edge under each eye (mean / weaker side);
    - ring_edges / ring_min: edge energy on a ring just outside each eye's lens ellipse, below
      the brows (the rims and the lenses' outline), mean / weaker side;
    - highlights: share of the lens area (around the eye, not the eye) brighter than nearly all
      of the cheek (specular reflections on the lenses);
    - eye_dark / eye_band_dark: median luma of the eyes / of the lens ellipses vs the cheeks
      (dark lenses hide the eyes);
    - eye_contrast: the spread of luma inside the eyes (white sclera, dark iris) vs the cheek
      luma: low when the eyes are hidden behind tinted lenses;
    - eye_texture: high-pass energy inside the lens ellipses vs the cheeks (flat dark lenses).
    """
    import cv2

    luma = image_luma(frame.image)
    gy = np.abs(cv2.Sobel(luma, cv2.CV_32F, 0, 1, ksize=3))
    gx = np.abs(cv2.Sobel(luma, cv2.CV_32F, 1, 0, ksize=3))
    mag = gx + gy
    p = frame.points
    d = frame.eye_distance
    (lx, ly), (rx, ry) = p[lm.EYE_LEFT_CORNERS[1]], p[lm.EYE_RIGHT_CORNERS[0]]
    cx, cy = (lx + rx) / 2, (ly + ry) / 2
    s = frame.size
    valid = frame.valid

    def box(x0: float, x1: float, y0: float, y1: float) -> tuple[slice, slice]:
        x0, x1 = int(max(0, x0)), int(min(s, x1))
        y0, y1 = int(max(0, y0)), int(min(s, y1))
        return (slice(y0, max(y0 + 1, y1)), slice(x0, max(x0 + 1, x1)))

    bridge = box(cx - 0.12 * d, cx + 0.12 * d, cy - 0.35 * d, cy + 0.05 * d)
    cheek = box(cx - 0.12 * d, cx + 0.12 * d, cy + 0.35 * d, cy + 0.6 * d)
    ref = float(gy[cheek].mean() + gx[cheek].mean()) + 1.0
    eye_luma = float(np.median(luma[regions.eyes])) if regions.eyes.any() else 0.0
    cheek_pixels = luma[regions.cheeks] if regions.cheeks.any() else np.array([128.0])
    cheek_luma = float(np.median(cheek_pixels))
    cheek_high = float(np.percentile(cheek_pixels, 98))
    # The frame's lower rim: a horizontal edge under each eye.
    rims = []
    for eye in (lm.EYE_LEFT, lm.EYE_RIGHT):
        ex, ey = p[eye, 0].mean(), p[eye, 1].max()
        rims.append(float(gy[box(ex - 0.3 * d, ex + 0.3 * d, ey + 0.1 * d, ey + 0.35 * d)]
                          .max(axis=1).mean()))
    # Rings just outside each lens ellipse, below the brows; the lens ellipses without the eyes.
    # Computed in a box around each eye only (a whole-frame grid costs milliseconds).
    rings, lens_values = [], []
    for eye in (lm.EYE_LEFT, lm.EYE_RIGHT):
        ex, ey = p[eye].mean(axis=0)
        sl = box(ex - 0.55 * d, ex + 0.55 * d, ey - 0.35 * d, ey + 0.35 * d)
        yy, xx = np.mgrid[sl]
        r2 = (xx - ex) ** 2 / (0.35 * d) ** 2 + (yy - ey) ** 2 / (0.22 * d) ** 2
        ok = valid[sl]
        ring = (r2 > 1.0) & (r2 < 2.2) & (yy > ey - 0.1 * d) & ok
        rings.append(float(mag[sl][ring].mean()) / ref if ring.sum() > 5 else 1.0)
        lens_values.append(luma[sl][(r2 < 1.0) & ok & ~regions.eyes[sl]])
    lens_luma = np.concatenate(lens_values)
    band = eye_band(frame) & valid
    band_luma = float(np.median(luma[band])) if band.any() else 0.0
    highlights = float((lens_luma > max(cheek_high, 1.08 * cheek_luma)).mean()) \
        if len(lens_luma) else 0.0
    if regions.eyes.sum() > 5:
        lo, hi = np.percentile(luma[regions.eyes], [10, 90])
        contrast = float(hi - lo) / (cheek_luma + 1.0)
    else:
        contrast = 0.0
    detail = np.abs(luma - cv2.GaussianBlur(luma, (0, 0), max(1.0, s / 256)))
    cheek_detail = float(detail[regions.cheeks].mean()) + 0.5 if regions.cheeks.any() else 1.0
    texture = float(detail[band].mean()) / cheek_detail if band.any() else 1.0
    return {"bridge_edges": float(gy[bridge].max(axis=0).mean()) / ref,
            "rim_edges": float(np.mean(rims)) / ref,
            "rim_min": float(np.min(rims)) / ref,
            "ring_edges": float(np.mean(rings)),
            "ring_min": float(np.min(rings)),
            "highlights": highlights,
            "eye_dark": eye_luma / (cheek_luma + 1.0),
            "eye_band_dark": band_luma / (cheek_luma + 1.0),
            "eye_contrast": contrast,
            "eye_texture": texture}


def measure_glasses(frame: HeadFrame, regions: FaceRegions, labels: np.ndarray
                    ) -> tuple[str, dict[str, float]]:
    d = frame.eye_distance
    lens = labels == GLASSES
    band = eye_band(frame)
    area = float(lens.sum() / d**2)
    luma = image_luma(frame.image)
    cheek = float(np.median(luma[regions.cheeks])) + 1.0 if regions.cheeks.any() else 128.0
    # Over the eyes only (the rims are dark for every pair of glasses).
    inside = lens & band
    lens_dark = float(np.median(luma[inside])) / cheek if inside.sum() > 10 else 1.0
    eyes_seen = float(np.isin(labels, (EYE_L, EYE_R)).sum() / d**2)
    feats = {"lens_area": area, "lens_band": float(inside.sum() / max(1, band.sum())),
             "lens_dark": lens_dark, "eyes_seen": eyes_seen, **glasses_from_eyes(frame, regions)}
    if area < GLASSES_AREA:
        return "none", feats
    if feats["eye_band_dark"] < SUNGLASSES_BAND or lens_dark < SUNGLASSES_LENS:
        return "sunglasses", feats
    return "glasses", feats
