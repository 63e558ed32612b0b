"""Headwear from BiSeNet's hat class and its shape; its kind and colour.

measure_headwear names cap / hat / turban / headscarf from the hat mask's shape;
refine_headwear then tells a hijab (a headscarf that hides all the hair) and a keffiyeh (a
scarf with a fine woven check) from other scarves, and measures the headwear's colour.
"""

from __future__ import annotations

import numpy as np

from .classes import HAIR, HAT
from .colour import image_luma
from .frame import FaceRegions, HeadFrame
from .light import Light

HAT_AREA = 0.2  # hat pixels / d^2
HIJAB_HAIR = 0.05  # hair pixels beside and above the face / d^2 below which no hair shows
# Keffiyeh: no labelled keffiyeh among the shared photos, so these are set strictly by hand
# above what a plain dark scarf with folds gives (Mariam_Ali_Hassan_0001's hijab: 1.6, 2.5).
KEFFIYEH_CHECK = 2.2  # fine-scale texture of the scarf vs the face's cheeks: a woven check...
KEFFIYEH_CONTRAST = 0.35  # ...with both light and dark threads (luma spread / median)


def measure_headwear(frame: HeadFrame, regions: FaceRegions, labels: np.ndarray
                     ) -> tuple[str, dict[str, float]]:
    d = frame.eye_distance
    hat = labels == HAT
    area = float(hat.sum() / d**2)
    feats = {"hat_area": area}
    if area < HAT_AREA:
        return "none", feats
    ys, xs = np.nonzero(hat)
    top, bottom = np.percentile(ys, 2), np.percentile(ys, 98)
    left, right = np.percentile(xs, 2), np.percentile(xs, 98)
    height = (bottom - top) / d
    width = (right - left) / regions.face_width
    eye_y = frame.points[[33, 263], 1].mean()
    # Hat pixels beside the face below the eyes: a scarf or a beanie pulled over the ears.
    side = hat & ~regions.oval
    side_low = float(side[int(eye_y + 0.3 * d):].sum() / d**2)
    below_jaw = float(hat[int(regions.chin_y):].sum() / d**2)
    # How low the hat comes over the forehead, relative to the brows (in d; < 0: above).
    cx = int(frame.points[168, 0])
    col = hat[:, max(0, cx - 3):cx + 4].any(axis=1)
    low_edge = (np.nonzero(col)[0].max() - regions.brow_y) / d if col.any() else -1.0
    feats.update(hat_height=height, hat_width=width, hat_side_low=side_low,
                 hat_below_jaw=below_jaw, hat_low_edge=low_edge)
    # On the shared photos (tight crops that cut most hats off) the shapes barely separate
    # the types; caps are the most common, so they are the default.
    if below_jaw > 0.15 or side_low > 0.5:
        return "headscarf", feats
    if width > 1.45:
        return "hat", feats
    if height > 1.5 and low_edge < -0.5:
        return "turban", feats
    return "cap", feats


def refine_headwear(frame: HeadFrame, regions: FaceRegions, labels: np.ndarray, kind: str,
                    light: Light) -> tuple[str, tuple[int, int, int] | None, dict[str, float]]:
    """(kind, light-corrected colour or None, features): hijab and keffiyeh told apart from
    other headscarves; the colour of any headwear."""
    hat = (labels == HAT) & frame.valid
    if kind == "none" or hat.sum() < 20:
        return kind, None, {}
    d = frame.eye_distance
    hair_out = (labels == HAIR) & ~regions.oval
    hair_area = float(hair_out.sum() / d**2)
    luma = image_luma(frame.image)
    import cv2

    detail = np.abs(luma - cv2.GaussianBlur(luma, (0, 0), max(1.0, frame.size / 256)))
    cheeks = regions.cheeks
    cheek_detail = float(detail[cheeks].mean()) + 0.5 if cheeks.any() else 1.0
    check = float(detail[hat].mean()) / cheek_detail
    lo, mid, hi = np.percentile(luma[hat], [10, 50, 90])
    contrast = float(hi - lo) / (float(mid) + 1.0)
    feats = {"hat_hair": hair_area, "hat_check": check, "hat_contrast": contrast}
    rgb = tuple(int(round(c)) for c in light.apply(np.median(frame.image[hat], axis=0)))
    if kind in ("headscarf", "turban") and check > KEFFIYEH_CHECK \
            and contrast > KEFFIYEH_CONTRAST:
        kind = "keffiyeh"
    elif kind == "headscarf" and hair_area < HIJAB_HAIR:
        kind = "hijab"
    return kind, rgb, feats  # type: ignore[return-value]
