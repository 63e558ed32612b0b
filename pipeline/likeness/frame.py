"""The head frame (an upright crop framed like CelebAMask-HQ) and face regions from landmarks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .. import landmarks as lm

if TYPE_CHECKING:  # pragma: no cover
    from ..analyze import FaceAnalysis


@dataclass
class HeadFrame:
    """A square, upright crop of the photo around the head, framed like CelebAMask-HQ.

    The eyes sit at 47.5% of the height, FRAME_EYES of the frame apart; the frame covers the
    head, the hair beside it down to the chin, and hats.
    """

    size: int
    matrix: np.ndarray  # (2, 3) image -> frame
    image: np.ndarray  # (size, size, 3) uint8
    valid: np.ndarray  # (size, size) bool: the pixel comes from the photo (not the border)
    points: np.ndarray  # (478, 2) landmarks in the frame

    @property
    def eye_distance(self) -> float:
        return self.size * FRAME_EYES

    def point(self, index: int) -> np.ndarray:
        return self.points[index]


# The head frame: eye distance as a share of the frame, and where the eyes sit. CelebAMask-HQ
# portraits have the eyes a quarter of the frame apart, at 47.5% of its height; a little closer
# (0.3) finds more glasses on the shared photos (tight crops whose borders BiSeNet sees as
# background): 85% of glasses and 83% of sunglasses instead of 77%/83%, 1% false positives.
FRAME_EYES = 0.3
FRAME_EYE_Y = 0.475


def head_frame(rgb: np.ndarray, face: FaceAnalysis, size: int) -> HeadFrame:
    import cv2

    from ..align import anchor_points, similarity_transform

    s, e = float(size), FRAME_EYES
    y = FRAME_EYE_Y * s
    canonical = np.array([[(0.5 - e / 2) * s, y], [(0.5 + e / 2) * s, y], [0.5 * s, y + e * s]])
    matrix = similarity_transform(anchor_points(face.landmarks), canonical)
    # Beyond the photo: replicated edges, which BiSeNet parses better than a black border
    # (read as hair) or a mirror image (measured: fewer glasses found); what `valid` marks as
    # outside the photo is ignored by every measure.
    image = cv2.warpAffine(rgb, matrix, (size, size), flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REPLICATE)
    ones = np.full(rgb.shape[:2], 255, np.uint8)
    valid = cv2.warpAffine(ones, matrix, (size, size), flags=cv2.INTER_NEAREST,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=0) > 0
    points = face.landmarks[:, :2] @ matrix[:, :2].T + matrix[:, 2]
    return HeadFrame(size, matrix, image, valid, points.astype(np.float32))


def _poly_mask(shape: tuple[int, int], points: np.ndarray) -> np.ndarray:
    import cv2

    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [np.round(points).astype(np.int32)], 1)
    return mask.astype(bool)


@dataclass
class FaceRegions:
    """Masks in a head frame, from the landmarks alone."""

    oval: np.ndarray
    cheeks: np.ndarray  # upper cheeks and forehead: the skin reference
    upper_lip: np.ndarray
    chin: np.ndarray
    jaw: np.ndarray
    lips: np.ndarray
    eyes: np.ndarray
    face_width: float
    chin_y: float
    brow_y: float
    top_y: float  # the top of the face outline (hairline or forehead)


def face_regions(frame: HeadFrame) -> FaceRegions:
    shape = (frame.size, frame.size)
    p = frame.points
    oval = _poly_mask(shape, p[lm.FACE_OVAL])
    lips = _poly_mask(shape, p[lm.LIPS_OUTER])
    eyes = _poly_mask(shape, p[lm.EYE_LEFT]) | _poly_mask(shape, p[lm.EYE_RIGHT])
    yy, xx = np.mgrid[0:frame.size, 0:frame.size]
    d = frame.eye_distance
    left_x, right_x = p[lm.MOUTH_CORNERS[0], 0], p[lm.MOUTH_CORNERS[1], 0]
    mouth_w = right_x - left_x
    nose_y = p[2, 1]  # under the nose
    lip_top = p[lm.LIP_OUTER[0], 1]
    lip_bottom = p[lm.LIP_OUTER[1], 1]
    chin_y = p[lm.CHIN, 1]
    cx = (left_x + right_x) / 2
    upper_lip = ((yy > nose_y + 0.04 * d) & (yy < lip_top - 0.03 * d)
                 & (np.abs(xx - cx) < 0.42 * mouth_w) & oval & ~lips)
    chin = ((yy > lip_bottom + 0.08 * d) & (yy < chin_y - 0.06 * d)
            & (np.abs(xx - cx) < 0.5 * mouth_w) & oval)
    mouth_y = (lip_top + lip_bottom) / 2
    jaw = ((yy > mouth_y - 0.05 * d) & (np.abs(xx - cx) > 0.62 * mouth_w)
           & (yy < chin_y) & oval)
    # Keep only the outer band of the jaw: the inner part is often lit like a cheek.
    import cv2

    inner = cv2.erode(oval.astype(np.uint8), np.ones((3, 3), np.uint8),
                      iterations=max(1, int(0.28 * d))).astype(bool)
    jaw &= ~inner | (yy > mouth_y + 0.25 * d)
    eye_y = (p[lm.EYE_LEFT_CORNERS[0], 1] + p[lm.EYE_RIGHT_CORNERS[1], 1]) / 2
    cheek_points = p[list(lm.CHEEK_SKIN)]
    r = 0.22 * d
    cheeks = np.zeros(shape, bool)
    for (x, y) in cheek_points[:2]:
        cheeks |= (xx - x) ** 2 + (yy - y) ** 2 < r * r
    fx, fy = cheek_points[2]
    forehead = ((xx - fx) ** 2 / (1.8 * r) ** 2 + (yy - fy) ** 2 / (0.8 * r) ** 2) < 1
    cheeks = ((cheeks & (yy > eye_y + 0.12 * d)) | forehead) & oval & ~eyes
    brow_y = float(p[lm.BROW_LEFT + lm.BROW_RIGHT, 1].min())
    width = float(np.linalg.norm(p[lm.CHEEKS[1]] - p[lm.CHEEKS[0]]))
    return FaceRegions(oval, cheeks & frame.valid, upper_lip & frame.valid, chin & frame.valid,
                       jaw & frame.valid, lips & frame.valid, eyes & frame.valid, width,
                       float(chin_y), brow_y, float(p[lm.FOREHEAD, 1]))


def eye_band(frame: HeadFrame) -> np.ndarray:
    """Ellipses around the eyes, where lenses are."""
    yy, xx = np.mgrid[0:frame.size, 0:frame.size]
    mask = np.zeros((frame.size, frame.size), bool)
    d = frame.eye_distance
    for eye in (lm.EYE_LEFT, lm.EYE_RIGHT):
        cx, cy = frame.points[eye].mean(axis=0)
        mask |= ((xx - cx) ** 2 / (0.35 * d) ** 2 + (yy - cy) ** 2 / (0.22 * d) ** 2) < 1
    return mask
