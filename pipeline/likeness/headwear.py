"""Headwear from BiSeNet's hat class and its shape."""

from __future__ import annotations

import numpy as np

from .classes import HAT
from .frame import FaceRegions, HeadFrame

HAT_AREA = 0.2  # hat pixels / d^2


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
