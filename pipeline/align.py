"""Stage 3: a similarity transform to the canonical 306x306 face frame.

Style parts are drawn in the same frame (docs/styles.md), so an aligned photo crop and a part
rendering line up pixel for pixel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import landmarks as lm
from .analyze import FaceAnalysis

FRAME_SIZE = 306
# Where the eye centres and the mouth centre of an average face land (docs/styles.md).
CANONICAL_POINTS = np.array([[107.0, 128.0], [199.0, 128.0], [153.0, 218.0]])


@dataclass
class AlignedFace:
    """A face's landmarks in the canonical frame and the 2x3 matrix that maps image to frame."""

    matrix: np.ndarray  # (2, 3)
    landmarks: np.ndarray  # (478, 2) in the canonical frame

    @property
    def scale(self) -> float:
        return float(np.hypot(*self.matrix[:, 0]))


def anchor_points(points: np.ndarray) -> np.ndarray:
    """Eye centres (image left, image right) and mouth centre of a landmark array."""
    left = points[list(lm.EYE_LEFT_CORNERS), :2].mean(axis=0)
    right = points[list(lm.EYE_RIGHT_CORNERS), :2].mean(axis=0)
    mouth = points[[*lm.MOUTH_CORNERS, *lm.LIP_INNER], :2].mean(axis=0)
    return np.stack([left, right, mouth])


def umeyama(src: np.ndarray, dst: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Least-squares uniform scale, rotation and translation taking src (n, k) to dst (Umeyama),
    in any dimension k, no reflection: dst ~ scale * src @ rotation.T + translation."""
    src_mean, dst_mean = src.mean(axis=0), dst.mean(axis=0)
    s, d = src - src_mean, dst - dst_mean
    u, sigma, vt = np.linalg.svd(d.T @ s / len(src))
    sign = np.eye(src.shape[1])
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[-1, -1] = -1.0
    rotation = u @ sign @ vt
    scale = float(np.trace(np.diag(sigma) @ sign) / ((s**2).sum() / len(src)))
    return scale, rotation, dst_mean - scale * rotation @ src_mean


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 2x3 matrix of the least-squares similarity taking 2-D src to dst (umeyama)."""
    scale, rotation, translation = umeyama(src, dst)
    return np.hstack([scale * rotation, translation[:, None]])


def align_face(face: FaceAnalysis) -> AlignedFace:
    """Map a face into the canonical frame, upright."""
    matrix = similarity_transform(anchor_points(face.landmarks), CANONICAL_POINTS)
    points = face.landmarks[:, :2] @ matrix[:, :2].T + matrix[:, 2]
    return AlignedFace(matrix=matrix, landmarks=points.astype(np.float32))


def warp_to_frame(rgb: np.ndarray, aligned: AlignedFace, size: int = FRAME_SIZE) -> np.ndarray:
    """The photo resampled into the canonical frame (size x size x 3)."""
    import cv2

    return cv2.warpAffine(rgb, aligned.matrix, (size, size), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
