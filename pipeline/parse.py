"""Stage 4: face parsing: a mask and a masked crop per part kind, in the canonical frame.

The default parser draws the masks from landmark polygons. A BiSeNet parser (the published
pipeline's) registers itself under "bisenet" when its module is imported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import landmarks as lm
from .align import FRAME_SIZE, AlignedFace, align_face, warp_to_frame
from .analyze import FaceAnalysis
from .errors import MojiError
from .mouth import mouth_patch

PART_KINDS = ("face", "eyes", "brows", "mouth")


@dataclass
class ParsedFace:
    """Everything the embedders may look at for one face."""

    analysis: FaceAnalysis
    aligned: AlignedFace
    skin_rgb: tuple[int, int, int]
    frame: np.ndarray | None = None  # (306, 306, 3) photo in the canonical frame
    # (48, 64, 3) photo around the mouth (pipeline.mouth), always cut: the default embedder
    # reads it, and it costs a fraction of a millisecond
    mouth_patch: np.ndarray | None = None
    masks: dict[str, np.ndarray] = field(default_factory=dict)  # kind -> (306, 306) bool

    def crop(self, kind: str) -> np.ndarray:
        """The photo in the canonical frame with everything outside the part's mask black."""
        if self.frame is None:
            raise ValueError("this face was parsed without pixels (with_pixels=False)")
        return self.frame * self.masks[kind][..., None]


def skin_tone(rgb: np.ndarray, face: FaceAnalysis) -> tuple[int, int, int]:
    """Median colour of small patches on both cheeks and the forehead."""
    height, width = rgb.shape[:2]
    x0, _, x1, _ = face.bbox
    radius = max(2, int((x1 - x0) * 0.04))
    patches = []
    for index in lm.CHEEK_SKIN:
        x, y = face.landmarks[index, :2].astype(int)
        patch = rgb[max(0, y - radius):min(height, y + radius),
                    max(0, x - radius):min(width, x + radius)]
        if patch.size:
            patches.append(patch.reshape(-1, 3))
    if not patches:
        return (224, 172, 105)
    r, g, b = np.median(np.concatenate(patches), axis=0).astype(int)
    return int(r), int(g), int(b)


def _polygon_mask(points: list[np.ndarray], grow: int) -> np.ndarray:
    import cv2

    mask = np.zeros((FRAME_SIZE, FRAME_SIZE), np.uint8)
    cv2.fillPoly(mask, [np.round(p).astype(np.int32) for p in points], 1)
    if grow:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
        mask = cv2.dilate(mask, kernel)
    return mask.astype(bool)


class LandmarkParser:
    """Part masks from the face mesh: face oval, eye and brow contours, outer lips."""

    name = "landmarks"

    def masks(self, aligned: AlignedFace, frame: np.ndarray | None = None) -> dict[str, np.ndarray]:
        p = aligned.landmarks
        return {
            "face": _polygon_mask([p[lm.FACE_OVAL]], grow=0),
            "eyes": _polygon_mask([p[lm.EYE_LEFT], p[lm.EYE_RIGHT]], grow=4),
            "brows": _polygon_mask([p[lm.BROW_LEFT], p[lm.BROW_RIGHT]], grow=3),
            "mouth": _polygon_mask([p[lm.LIPS_OUTER]], grow=4),
        }


PARSERS: dict[str, Callable[[], object]] = {"landmarks": LandmarkParser}


def register_parser(name: str) -> Callable:
    """Class decorator: make a parser available as `--parser NAME`."""

    def wrap(cls):
        PARSERS[name] = cls
        return cls

    return wrap


def get_parser(name: str, **config) -> LandmarkParser:
    if name == "bisenet" and name not in PARSERS:
        from . import bisenet  # noqa: F401  (registers itself; needs torch)
    if name not in PARSERS:
        raise MojiError("unknown_parser", f"No parser {name!r}; choose from {sorted(PARSERS)}.")
    return PARSERS[name](**config)


def parse_face(rgb: np.ndarray, face: FaceAnalysis, parser: LandmarkParser | None = None,
               with_pixels: bool = True) -> ParsedFace:
    """Align a face and, when `with_pixels`, cut its parts out of the photo."""
    aligned = align_face(face)
    parsed = ParsedFace(analysis=face, aligned=aligned, skin_rgb=skin_tone(rgb, face),
                        mouth_patch=mouth_patch(rgb, aligned.matrix))
    if with_pixels:
        parsed.frame = warp_to_frame(rgb, aligned)
        parsed.masks = (parser or LandmarkParser()).masks(aligned, parsed.frame)
    return parsed
