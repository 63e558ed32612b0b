"""Earrings: BiSeNet's earring class (9, "ear_r" in CelebAMask-HQ) beside the face, at or
below the ear lobes, or small bright metallic blobs there."""

from __future__ import annotations

import numpy as np

from .classes import EARRING
from .frame import FaceRegions, HeadFrame

EARRING_AREA = 0.004  # earring pixels / d^2 (a stud of ~7 px in the 384 px frame)


def measure_earrings(frame: HeadFrame, regions: FaceRegions, labels: np.ndarray
                     ) -> tuple[str, dict[str, float]]:
    d = frame.eye_distance
    eye_y = float(frame.points[[33, 263], 1].mean())
    yy = np.arange(frame.size)[:, None]
    # Lobes hang below the eyes and above a little under the chin, outside the face outline.
    band = (yy > eye_y + 0.3 * d) & (yy < regions.chin_y + 0.4 * d)
    found = (labels == EARRING) & band & ~regions.oval & frame.valid
    area = float(found.sum() / d**2)
    return ("earrings" if area >= EARRING_AREA else "none"), {"earring_area": area}
