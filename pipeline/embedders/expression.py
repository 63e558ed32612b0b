"""The default embedder: what a face does, measured, in the units style parts declare.

Each part kind has a few named parameters in 0..1 (docs/styles.md): a mouth's `smile` and `open`,
each eye's openness, the brows' `raise`, the face's `width`. A photo face is measured from its
blendshape scores and its aligned landmark geometry; a style part simply declares its values.

Both sides are then encoded the same way: every parameter becomes a row of Gaussian bumps over
0..1 (a soft histogram, unit length), scaled by the parameter's weight. The cosine similarity of two
such vectors is a weighted mean, over the parameters, of exp(-(a - b)^2 / (4 sigma^2)): 1 when
they agree, falling off smoothly with distance. Plain centred parameter vectors would not do: their
cosine ignores magnitude, so a faint smile and a grin would point the same way.
"""

from __future__ import annotations

import numpy as np

from .. import landmarks as lm
from ..align import CANONICAL_POINTS
from ..parse import ParsedFace
from ..style import Style, StylePart
from . import register_embedder
from .base import Embedder

# Parameters per kind: name -> (weight, value a part has when it does not declare it).
PARAMETERS: dict[str, dict[str, tuple[float, float]]] = {
    "mouth": {"smile": (1.0, 0.15), "open": (1.0, 0.0), "frown": (0.5, 0.0), "width": (0.2, 0.5),
              "smirk": (0.35, 0.0), "pucker": (0.45, 0.0), "tongue": (0.6, 0.0)},
    "eyes": {"open_left": (1.0, 0.65), "open_right": (1.0, 0.65), "wide": (0.45, 0.0),
             "squint": (0.35, 0.2)},
    "brows": {"raise": (1.0, 0.35), "furrow": (0.8, 0.1), "sad": (0.6, 0.1)},
    "face": {"width": (1.0, 0.5), "jaw": (1.0, 0.5)},
}

# Raw measurement -> 0..1 score: piecewise linear through (raw, score) points, flat past the ends.
# The points come from the distributions over the shared face photos (quantiles, and the hand-
# labeled calibration set). Flat stretches are deliberate: where most faces sit (a relaxed brow,
# an ordinary face width) the score holds still, so that landmark noise from a re-encoded or
# shifted photo cannot flip the chosen part; the score moves where expressions really differ.
CALIBRATION: dict[str, tuple[tuple[float, float], ...]] = {
    # smile blendshape + raised upper lip: 0.2 is still a resting mouth, 0.45 a clear smile
    "smile": ((0.0, 0.12), (0.2, 0.12), (0.45, 0.7), (0.8, 0.8), (1.2, 0.9)),
    # inner-lip gap over the inter-eye distance: 0.07 barely parted, 0.11 clearly open (the
    # step was placed where it best splits closed from open lips in eval/calibration.csv)
    "open": ((0.07, 0.0), (0.11, 0.5), (0.16, 0.5), (0.19, 0.7), (0.28, 0.7), (0.32, 0.9)),
    "width": ((0.6, 0.3), (0.68, 0.5), (0.95, 0.5), (1.05, 0.8)),
    "frown": ((0.3, 0.0), (0.55, 0.75), (0.8, 0.95)),
    "smirk": ((0.15, 0.0), (0.4, 0.8)),
    "pucker": ((0.5, 0.0), (0.9, 0.9)),
    # eye aspect ratio: 0.08 shut, 0.25-0.36 an ordinary open eye, 0.45 wide
    "eye_open": ((0.1, 0.0), (0.13, 0.35), (0.17, 0.35), (0.2, 0.65), (0.37, 0.65),
                 (0.4, 0.8), (0.43, 0.8), (0.47, 1.0)),
    # the blink blendshape only caps openness when it is sure
    "blink_cap": ((0.5, 1.0), (0.8, 0.3), (1.0, 0.0)),
    "wide": ((0.15, 0.0), (0.5, 1.0)),
    "squint": ((0.6, 0.1), (0.8, 0.8)),
    "raise": ((0.3, 0.35), (0.55, 0.9)),
    "furrow": ((0.5, 0.1), (0.75, 0.9)),
    "sad": ((0.2, 0.1), (0.45, 0.9)),
    # face oval width over height, and jaw width over cheek width
    "face_width": ((0.74, 0.05), (0.75, 0.15), (0.785, 0.15), (0.8, 0.5), (0.89, 0.5),
                   (0.905, 0.85), (0.935, 0.85), (0.95, 1.0)),
    "jaw": ((0.78, 0.1), (0.795, 0.5), (0.84, 0.5), (0.855, 0.92)),
}

UPPER_LIP_SMILE = 1.0
BUMP_CENTRES = np.linspace(-0.2, 1.2, 15)
BUMP_SIGMA = 0.1
INTER_EYE = float(CANONICAL_POINTS[1, 0] - CANONICAL_POINTS[0, 0])


def _score(name: str, raw: float) -> float:
    raws, scores = zip(*CALIBRATION[name], strict=True)
    return float(np.interp(raw, raws, scores))


def _dist(p: np.ndarray, a: int, b: int) -> float:
    return float(np.linalg.norm(p[a] - p[b]))


def _eye_opening(p: np.ndarray, lids: tuple[tuple[int, int], ...],
                 corners: tuple[int, int]) -> float:
    """Mean lid gap over eye width (the eye aspect ratio)."""
    return float(np.mean([_dist(p, up, low) for up, low in lids]) / _dist(p, *corners))


def measure(face: ParsedFace) -> dict[str, float]:
    """Raw measurements of a face: blendshape scores and landmark ratios, before calibration."""
    b = face.analysis.blendshapes
    p = face.aligned.landmarks
    # Blendshapes name the subject's sides; image left is the subject's right.
    return {
        "smile": (b["mouthSmileLeft"] + b["mouthSmileRight"]) / 2,
        "upper_lip_up": (b["mouthUpperUpLeft"] + b["mouthUpperUpRight"]) / 2,
        "smirk": abs(b["mouthSmileLeft"] - b["mouthSmileRight"]),
        "frown": (b["mouthFrownLeft"] + b["mouthFrownRight"]) / 2,
        "pucker": b["mouthPucker"],
        "open": _dist(p, *lm.LIP_INNER) / INTER_EYE,
        "width": _dist(p, *lm.MOUTH_CORNERS) / INTER_EYE,
        "eye_open_left": _eye_opening(p, lm.EYE_LEFT_LIDS, lm.EYE_LEFT_CORNERS),
        "eye_open_right": _eye_opening(p, lm.EYE_RIGHT_LIDS, lm.EYE_RIGHT_CORNERS),
        "blink_left": b["eyeBlinkRight"],
        "blink_right": b["eyeBlinkLeft"],
        "wide": (b["eyeWideLeft"] + b["eyeWideRight"]) / 2,
        "squint": (b["eyeSquintLeft"] + b["eyeSquintRight"]) / 2,
        "raise": (b["browInnerUp"] + b["browOuterUpLeft"] + b["browOuterUpRight"]) / 3,
        "furrow": (b["browDownLeft"] + b["browDownRight"]) / 2,
        "sad": max(0.0, b["browInnerUp"] - (b["browOuterUpLeft"] + b["browOuterUpRight"]) / 2),
        "face_width": _dist(p, *lm.CHEEKS) / _dist(p, lm.FOREHEAD, lm.CHIN),
        "jaw": _dist(p, *lm.JAW) / _dist(p, *lm.CHEEKS),
    }


def face_parameters(face: ParsedFace) -> dict[str, dict[str, float]]:
    """A photo face in the parameter space of style parts (all values 0..1)."""
    return parameters_from_measurements(measure(face))


def parameters_from_measurements(m: dict[str, float]) -> dict[str, dict[str, float]]:
    """Calibrate raw measurements (see `measure`) into part parameters."""
    eye_open = {
        side: min(_score("eye_open", m[f"eye_open_{side}"]),
                  _score("blink_cap", m[f"blink_{side}"]))
        for side in ("left", "right")
    }
    # A raised upper lip shows teeth: a grin, even when the smile blendshape is shy.
    smile = m["smile"] + UPPER_LIP_SMILE * m["upper_lip_up"]
    return {
        "mouth": {"smile": _score("smile", smile), "open": _score("open", m["open"]),
                  "frown": _score("frown", m["frown"]), "width": _score("width", m["width"]),
                  "smirk": _score("smirk", m["smirk"]), "pucker": _score("pucker", m["pucker"]),
                  "tongue": 0.0},
        "eyes": {"open_left": eye_open["left"], "open_right": eye_open["right"],
                 "wide": _score("wide", m["wide"]), "squint": _score("squint", m["squint"])},
        "brows": {"raise": _score("raise", m["raise"]), "furrow": _score("furrow", m["furrow"]),
                  "sad": _score("sad", m["sad"])},
        "face": {"width": _score("face_width", m["face_width"]), "jaw": _score("jaw", m["jaw"])},
    }


def encode(kind: str, params: dict[str, float]) -> np.ndarray:
    """Parameters of one kind -> the bump encoding compared by cosine similarity."""
    blocks = []
    for name, (weight, default) in PARAMETERS[kind].items():
        value = params.get(name, default)
        bumps = np.exp(-((BUMP_CENTRES - value) ** 2) / (2 * BUMP_SIGMA**2))
        blocks.append(weight * bumps / np.linalg.norm(bumps))
    return np.concatenate(blocks).astype(np.float32)


@register_embedder("expression")
class ExpressionEmbedder(Embedder):
    """Semantic features from blendshapes and landmark geometry (no pixels, no torch)."""

    version = "1"
    needs_pixels = False

    def __init__(self, **config: object) -> None:
        # Nothing to load and nothing to place on a device: settings meant for the pixel
        # embedders (device=, weights=) are accepted so that callers can treat all alike.
        self.config = config

    def embed_face(self, face: ParsedFace) -> dict[str, np.ndarray]:
        return {kind: encode(kind, params) for kind, params in face_parameters(face).items()}

    def embed_part(self, part: StylePart, style: Style) -> np.ndarray:
        return encode(part.kind, part.params)
