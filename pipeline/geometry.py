"""Face geometry: the person's own proportions, measured from the 478 landmarks.

A stage of its own (pure numpy): `measure_face_geometry(face)` gives `{name: z}`, each name a
proportion of the face (width to height, jaw, chin, cheekbones, eyes, nose, lips, mouth, brows)
as a standardised deviation from the average face (0 average, +-1 one standard deviation,
clipped to +-3). It goes into `Likeness.face`; the styles draw it (styles/draw/person.py).

How, in three steps:

1. Pose: the landmarks' 3-D points (x, y in pixels, z in the same units) are rotated, scaled
   and moved onto an average frontal face (`reference`, the mean shape of the fitting photos)
   by a least-squares similarity over rigid points only (forehead, nose bridge, eye corners,
   temples: never the jaw or lips, which move with the expression). A turned head is measured
   as if it looked into the camera, and size drops out.
2. Measures: ratios of distances in that frontal frame (MEASURES below).
3. Expression: a grin widens the mouth, a blink shuts the eye, an open jaw lengthens the face.
   Each measure is corrected by a linear function of the blendshapes that move it, fitted
   *within* people (each person's photos minus that person's mean), so that what is removed
   is what the expression changes, not what tells people apart.

The mean, the spread, the corrections and the reference shape are fitted on the shared face
photos' tuning people by `moji train geometry` (moji/train_geometry.py), which writes
pipeline/weights/face-geometry-v1.npz; its `meta` says how, and each measure's stability
(ICC over people with several photos).

Ears: the face mesh has no ear landmarks (its outline stops at the tragus), so ears are not
measured.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .align import umeyama

if TYPE_CHECKING:  # pragma: no cover
    from .analyze import FaceAnalysis

WEIGHTS = Path(__file__).parent / "weights" / "face-geometry-v1.npz"
Z_LIMIT = 3.0

# Rigid points the pose is taken from: forehead, nose bridge and tip, eye corners, temples and
# upper cheeks. Jaw, chin, lips and brows move with the expression and are left out.
POSE_POINTS = (10, 151, 9, 8, 168, 6, 197, 195, 5, 4, 1, 33, 133, 362, 263, 127, 356, 162, 389,
               234, 454, 21, 251, 54, 284, 98, 327)

# Landmark indices (image left first, as in pipeline/landmarks.py).
CHEEKS = (234, 454)
JAW = (172, 397)
CHIN_SIDES = (176, 400)
TEMPLES = (54, 284)
FOREHEAD, CHIN = 10, 152
EYE_CORNERS = ((33, 133), (263, 362))  # (outer, inner) of the image-left, image-right eye
EYE_LIDS = (((159, 145), (158, 153), (160, 144)), ((386, 374), (385, 380), (387, 373)))
NASION, SUBNASALE = 168, 2
NOSE_WINGS = (129, 358)
LIP_UPPER_OUT, LIP_UPPER_IN, LIP_LOWER_IN, LIP_LOWER_OUT = 0, 13, 14, 17
MOUTH_CORNERS = (61, 291)
# Brows: (upper contour, lower contour) pairs from the outer end inwards, and the arch points.
BROW_PAIRS = (((63, 53), (105, 52), (66, 65)), ((293, 283), (334, 282), (296, 295)))
BROW_ENDS = ((46, 55), (276, 285))  # (outer, inner) of the lower contour
BROW_PEAK = (105, 334)

# Each measure and the blendshapes (Left/Right pairs averaged) whose expression moves it.
MEASURES: dict[str, tuple[str, ...]] = {
    "face_width": ("jawOpen", "mouthSmile", "mouthPucker"),
    "jaw_width": ("jawOpen", "mouthSmile"),
    "chin_length": ("jawOpen", "mouthSmile", "mouthShrugLower", "mouthRollLower"),
    "chin_width": ("jawOpen", "mouthSmile"),
    "cheekbones": ("jawOpen", "mouthSmile"),
    "eye_size": ("eyeSquint", "eyeWide", "eyeBlink", "mouthSmile", "cheekSquint"),
    "eye_shape": ("eyeBlink", "eyeSquint", "eyeWide", "cheekSquint", "mouthSmile",
                  "eyeLookDown", "eyeLookUp"),
    "eye_spacing": ("eyeSquint", "eyeBlink"),
    "eye_tilt": ("eyeBlink", "eyeSquint", "mouthSmile", "cheekSquint"),
    "nose_width": ("mouthSmile", "noseSneer", "jawOpen"),
    "nose_length": ("noseSneer", "mouthSmile", "jawOpen", "mouthUpperUp"),
    "lip_upper": ("mouthSmile", "jawOpen", "mouthRollUpper", "mouthPucker", "mouthFunnel",
                  "mouthUpperUp", "mouthPress", "mouthStretch"),
    "lip_lower": ("mouthSmile", "jawOpen", "mouthRollLower", "mouthPucker", "mouthFunnel",
                  "mouthLowerDown", "mouthPress", "mouthShrugLower", "mouthStretch"),
    "mouth_width": ("mouthSmile", "mouthStretch", "mouthPucker", "mouthFunnel", "jawOpen",
                    "mouthDimple", "mouthPress"),
    "brow_thickness": ("browDown", "browInnerUp", "browOuterUp"),
    "brow_arch": ("browDown", "browInnerUp", "browOuterUp"),
    "brow_height": ("browDown", "browInnerUp", "browOuterUp", "eyeBlink", "eyeSquint",
                    "eyeWide"),
}
MEASURE_NAMES = tuple(MEASURES)
# Past these blendshape scores a measure says more about the expression than the face: it is left
# out (the drawing shows the average there) rather than read as the person's.
UNREADABLE: dict[str, tuple[str, float]] = {
    "eye_shape": ("eyeBlink", 0.5), "eye_tilt": ("eyeBlink", 0.5), "eye_size": ("eyeBlink", 0.7),
    "lip_upper": ("jawOpen", 0.45), "lip_lower": ("jawOpen", 0.45),
    "mouth_width": ("mouthPucker", 0.6),
}


@dataclass(frozen=True)
class FaceNorms:
    """What `measure_face_geometry` needs: the average frontal face and, per measure, its mean
    and spread over people and its expression correction."""

    reference: np.ndarray  # (478, 3) the mean frontal shape
    mean: dict[str, float]
    sd: dict[str, float]
    coef: dict[str, tuple[float, ...]]  # per MEASURES[name] blendshape
    feature_mean: dict[str, tuple[float, ...]]
    meta: dict

    def save(self, path: Path) -> None:
        meta = {**self.meta, "mean": self.mean, "sd": self.sd, "coef": self.coef,
                "feature_mean": self.feature_mean}
        np.savez_compressed(path, reference=self.reference.astype(np.float32),
                            meta=np.array(json.dumps(meta, sort_keys=True)))


@functools.lru_cache(maxsize=4)
def load_face_norms(path: Path = WEIGHTS) -> FaceNorms:
    """The fitted norms (a model file of the pipeline's, read once)."""
    with np.load(path) as data:
        meta = json.loads(str(data["meta"]))
        reference = data["reference"].astype(np.float64)
    return FaceNorms(reference=reference, mean=meta.pop("mean"), sd=meta.pop("sd"),
                     coef={k: tuple(v) for k, v in meta.pop("coef").items()},
                     feature_mean={k: tuple(v) for k, v in meta.pop("feature_mean").items()},
                     meta=meta)


def frontal_landmarks(landmarks: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """The 478 landmarks turned to face the camera and scaled onto `reference` (x right,
    y down, in the reference's units)."""
    points = np.asarray(landmarks, dtype=np.float64)[:, :3]
    idx = list(POSE_POINTS)
    scale, rotation, translation = umeyama(points[idx], reference[idx])
    return scale * points @ rotation.T + translation


def _dist(p: np.ndarray, a: int, b: int) -> float:
    return float(np.hypot(*(p[a, :2] - p[b, :2])))


def raw_measures(points: np.ndarray) -> dict[str, float]:
    """The proportions of a frontal face (frontal_landmarks), before any correction."""
    height = _dist(points, FOREHEAD, CHIN)
    cheeks = _dist(points, *CHEEKS)
    jaw = _dist(points, *JAW)
    eye_widths, openings, tilts = [], [], []
    for (outer, inner), lids in zip(EYE_CORNERS, EYE_LIDS, strict=True):
        width = _dist(points, outer, inner)
        eye_widths.append(width)
        openings.append(np.mean([_dist(points, up, down) for up, down in lids]) / width)
        dx = abs(points[inner, 0] - points[outer, 0])
        tilts.append(math.degrees(math.atan2(points[inner, 1] - points[outer, 1], dx)))
    eye_width = float(np.mean(eye_widths))
    thickness, arches, brow_gaps = [], [], []
    for pairs, (outer, inner), peak, lids in zip(BROW_PAIRS, BROW_ENDS, BROW_PEAK, EYE_LIDS,
                                                 strict=True):
        thickness.append(np.mean([_dist(points, up, low) for up, low in pairs]))
        a, b, c = points[outer, :2], points[inner, :2], points[peak, :2]
        chord = b - a
        length = float(np.hypot(*chord))
        # How far the peak stands above the chord from the outer to the inner end.
        arches.append(float(-(chord[0] * (c[1] - a[1]) - chord[1] * (c[0] - a[0])) / length
                            * np.sign(chord[0] or 1.0)) / length)
        lid_top = points[lids[0][0], 1]
        brow_low = np.mean([points[low, 1] for _, low in pairs])
        brow_gaps.append(lid_top - brow_low)
    return {
        "face_width": cheeks / height,
        "jaw_width": jaw / cheeks,
        "chin_length": (points[CHIN, 1] - points[LIP_LOWER_OUT, 1]) / height,
        "chin_width": _dist(points, *CHIN_SIDES) / jaw,
        "cheekbones": cheeks / ((_dist(points, *TEMPLES) + jaw) / 2),
        "eye_size": eye_width / cheeks,
        "eye_shape": float(np.mean(openings)),
        "eye_spacing": _dist(points, EYE_CORNERS[0][1], EYE_CORNERS[1][1]) / eye_width,
        "eye_tilt": float(np.mean(tilts)),
        "nose_width": _dist(points, *NOSE_WINGS) / cheeks,
        "nose_length": (points[SUBNASALE, 1] - points[NASION, 1]) / height,
        "lip_upper": (points[LIP_UPPER_IN, 1] - points[LIP_UPPER_OUT, 1]) / height,
        "lip_lower": (points[LIP_LOWER_OUT, 1] - points[LIP_LOWER_IN, 1]) / height,
        "mouth_width": _dist(points, *MOUTH_CORNERS) / cheeks,
        "brow_thickness": float(np.mean(thickness)) / height,
        "brow_arch": float(np.mean(arches)),
        "brow_height": float(np.mean(brow_gaps)) / height,
    }


def expression_features(blendshapes: dict[str, float], names: tuple[str, ...]) -> np.ndarray:
    """The blendshape scores of `names`; a name without its own score is the mean of its
    Left and Right scores (mouthSmile = mean of mouthSmileLeft and mouthSmileRight)."""
    out = []
    for name in names:
        if name in blendshapes:
            out.append(blendshapes[name])
        else:
            out.append((blendshapes.get(name + "Left", 0.0)
                        + blendshapes.get(name + "Right", 0.0)) / 2)
    return np.asarray(out, dtype=np.float64)


def corrected_measures(landmarks: np.ndarray, blendshapes: dict[str, float],
                       norms: FaceNorms) -> dict[str, float]:
    """The measures with the expression taken out (each as the face would measure at the
    fitting photos' average expression)."""
    raw = raw_measures(frontal_landmarks(landmarks, norms.reference))
    out = {}
    for name, value in raw.items():
        if name in UNREADABLE:
            shape, limit = UNREADABLE[name]
            if expression_features(blendshapes, (shape,))[0] > limit:
                continue
        coef = np.asarray(norms.coef.get(name, ()), dtype=np.float64)
        if coef.size:
            feats = expression_features(blendshapes, MEASURES[name])
            value -= float(coef @ (feats - np.asarray(norms.feature_mean[name])))
        out[name] = value
    return out


def standardise(measures: dict[str, float], norms: FaceNorms) -> dict[str, float]:
    """{name: z}, clipped to +-Z_LIMIT, rounded to 3 decimals."""
    return {name: round(float(np.clip((value - norms.mean[name]) / norms.sd[name],
                                      -Z_LIMIT, Z_LIMIT)), 3)
            for name, value in measures.items() if name in norms.mean}


def reliability(photos: int = 1, norms: FaceNorms | None = None) -> dict[str, float]:
    """{name: how much of a measure's spread over photos is the person's}: its ICC over the
    fitting people with several photos, for the mean of `photos` photos (Spearman-Brown). The
    drawing shrinks each measure by it (styles/draw/person.py): the best guess of a person's
    own proportion from one photo."""
    norms = norms or load_face_norms()
    out = {}
    for name, figures in norms.meta.get("stability", {}).items():
        icc = max(0.0, float(figures.get("icc", 1.0)))
        out[name] = round(photos * icc / (1 + (photos - 1) * icc), 3)
    return out


def measure_face_geometry(face: FaceAnalysis, norms: FaceNorms | None = None) -> dict[str, float]:
    """The face's proportions as {name: z} (MEASURE_NAMES): 0 is the average face."""
    norms = norms or load_face_norms()
    return standardise(corrected_measures(face.landmarks, face.blendshapes, norms), norms)
