"""Signs of age: grey or white hair (or beard) and lines on the forehead and beside the mouth.

Conservative on purpose: a young face drawn with lines is a worse likeness than an older face
drawn without them. Lines are read as fine horizontal edges on the forehead and fine edges in
the nasolabial folds, relative to the same face's upper cheeks (which cancels the photo's
sharpness and noise). On the tuning people the line score does not tell older from younger
faces on these small photos (medians: Dwarakish, the oldest, 1.32; Jayamadhuri 1.34; the
90th percentiles 1.7-2.3), so lines never count alone: they only turn grey hair's "some" into
"marked" when they are above the tuning people's 90th percentile (AGE_LINES_WITH_GREY).
"""

from __future__ import annotations

import numpy as np

from .colour import image_luma
from .frame import FaceRegions, HeadFrame

AGE_LINES_WITH_GREY = 2.2  # line score that, with grey hair, makes signs "marked"
GREY_NAMES = ("grey", "white")


def line_score(frame: HeadFrame, regions: FaceRegions, skin: np.ndarray | None = None) -> float:
    """Fine horizontal edges on the forehead and fine edges in the nasolabial folds, each vs
    the cheeks' fine edges; the larger of the two."""
    import cv2

    luma = image_luma(frame.image)
    sigma = max(1.0, frame.size / 256)
    fine = luma - cv2.GaussianBlur(luma, (0, 0), sigma)
    gy = np.abs(cv2.Sobel(fine, cv2.CV_32F, 0, 1, ksize=3))
    mag = gy + np.abs(cv2.Sobel(fine, cv2.CV_32F, 1, 0, ksize=3))
    ok = frame.valid if skin is None else frame.valid & skin
    cheeks = regions.cheeks & ok
    if cheeks.sum() < 20:
        return 0.0
    ref_y = float(gy[cheeks].mean()) + 0.5
    ref = float(mag[cheeks].mean()) + 0.5
    p = frame.points
    d = frame.eye_distance
    yy, xx = np.mgrid[0:frame.size, 0:frame.size]
    cx = float(p[168, 0])
    forehead = ((yy < regions.brow_y - 0.15 * d) & (yy > regions.brow_y - 0.6 * d)
                & (np.abs(xx - cx) < 0.45 * d) & regions.oval & ok)
    scores = [float(gy[forehead].mean()) / ref_y] if forehead.sum() > 20 else []
    # The folds from the nose's wings (48, 278) to the mouth's corners (61, 291).
    folds = np.zeros_like(ok)
    for a, b in ((48, 61), (278, 291)):
        (x0, y0), (x1, y1) = p[a], p[b]
        for t in np.linspace(0, 1, 8):
            x, y = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
            folds |= (xx - x) ** 2 + (yy - y) ** 2 < (0.08 * d) ** 2
    folds &= ok
    if folds.sum() > 20:
        scores.append(float(mag[folds].mean()) / ref)
    return max(scores) if scores else 0.0


def age_signs(hair_colour: str | None, facial_hair_colour: str | None, lines: float
              ) -> tuple[str, tuple[str, ...]]:
    """(signs, ranked names) from the hair's and beard's colour names and the line score."""
    grey = hair_colour in GREY_NAMES or facial_hair_colour in GREY_NAMES
    if grey and lines >= AGE_LINES_WITH_GREY:
        return "marked", ("marked", "some", "none")
    if grey:
        return "some", ("some", "marked", "none")
    return "none", ("none", "some", "marked")
