"""The default embedder: what a face does, measured, in the units style parts declare.

Each part kind has a few named parameters in 0..1 (docs/styles.md): a mouth's `smile` and `open`,
each eye's openness, the brows' `raise`, the face's `width`. A photo face is measured from its
blendshape scores, its aligned landmark geometry and the mouth reader's two logits (smiling,
lips apart: `pipeline.mouth`); a style part simply declares its values.

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
from ..mouth import default_reader
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
    # smiling evidence (a logit, see SMILE_LOGIT): below -0.6 a resting mouth, a faint smile just
    # past 0, a broad one from 3; the step sits where calibration.csv's smiling and non-smiling
    # mouths cross, and the plateaus either side keep a face off the boundary
    "smile": ((-0.6, 0.12), (0.6, 0.5), (3.0, 0.7), (6.0, 0.85), (9.0, 0.9)),
    # the same with the lips apart: a smile that shows teeth is a grin from the start
    "smile_apart": ((-0.6, 0.12), (0.6, 0.75), (6.0, 0.85), (9.0, 0.9)),
    # lips apart (a logit, see OPEN_LOGIT): shut below -0.6, apart from 0.6 ...
    "open_gate": ((-0.6, 0.0), (0.6, 1.0)),
    # ... and then how far apart: inner-lip gap over the inter-eye distance
    "open": ((0.16, 0.5), (0.19, 0.7), (0.28, 0.7), (0.32, 0.9)),
    "width": ((0.6, 0.3), (0.68, 0.5), (0.95, 0.5), (1.05, 0.8)),
    "frown": ((0.3, 0.0), (0.55, 0.75), (0.8, 0.95)),
    "smirk": ((0.15, 0.0), (0.4, 0.8)),
    "pucker": ((0.5, 0.0), (0.9, 0.9)),
    # eye aspect ratio: 0.08 shut, 0.25-0.36 an ordinary open eye, 0.45 wide
    # (no openness between shut and lidded: 0.15-0.3 is where the laughing eyes are drawn)
    "eye_open": ((0.1, 0.0), (0.11, 0.35), (0.17, 0.35), (0.2, 0.65), (0.37, 0.65),
                 (0.4, 0.8), (0.43, 0.8), (0.47, 1.0)),
    # closed-eye evidence (a logit, see EYE_CLOSED_LOGIT) -> how shut the eye is
    "eye_closed": ((-0.01, 0.0), (0.01, 1.0)),
    # a laugh: shut eyes over a smiling mouth (SMILE_LOGIT, the same step as the mouth's) ...
    "smiling": ((-0.1, 0.0), (0.1, 1.0)),
    # ... or a broad smile (SMILE_LOGIT) ...
    "laugh_smile": ((2.4, 0.0), (2.6, 1.0)),
    # ... and eyes narrowed by the raised cheeks (mean eye aspect ratio; an open eye is 0.25-0.36,
    # a broad smile's open eye 0.17-0.25). Set by hand on calibration.csv's smiles.
    "laugh_narrow": ((0.15, 1.0), (0.16, 0.0)),
    "wide": ((0.15, 0.0), (0.5, 1.0)),
    "squint": ((0.6, 0.1), (0.8, 0.8)),
    # raised brows only past about the 93rd percentile, furrowed (after SMILE_BROW_DOWN) past
    # about the 97th: an ordinary brow holds still under a re-encode or a shift
    "raise": ((0.38, 0.35), (0.55, 0.9)),
    # brow lowering left after what a smile explains (see SMILE_BROW_DOWN)
    "furrow": ((0.65, 0.1), (0.85, 0.9)),
    "sad": ((0.2, 0.1), (0.45, 0.9)),
    # face oval width over height, and the oval's width low on the jaw over its width across the
    # cheeks. A shape other than oval is drawn only for a face clearly outside the common run
    # (about the outer 5-10% each way): the landmarker's noise under a re-encode or a 2 px shift
    # is a tenth of the spread of faces, and a step where faces are dense flips their shape
    # (with round from the 74th percentile, 6% of perturbed photos changed shape; now 2%).
    # A person's kept likeness holds the shape of their first selfie.
    "face_width": ((0.76, 0.05), (0.77, 0.15), (0.775, 0.5), (0.93, 0.5), (0.935, 0.85),
                   (0.965, 0.85), (0.98, 1.0)),
    "jaw": ((0.698, 0.1), (0.703, 0.5), (0.879, 0.5), (0.884, 0.92)),
}

# Linear evidence (a logit: > 0 says yes): name -> weight per raw measurement, and "bias".
# Smiling and lips apart are fitted by `moji train mouth` (moji/train_mouth.py) on 2,183 photos
# labelled by eye (eval/calibration, labels, fresh and train.csv; never fresh2.csv), together
# with the mouth reader whose logits they take (`mouth_smiling`, `mouth_apart`: a reading of
# each photo by a network trained without its person); the file's meta holds the same values.
# Smiling (smile or grin): the mouth reader, the smile blendshape, the mouth's width (over the
# inter-eye distance) and how far its corners sit above the lips' middle; the reader sees the
# faint closed smiles the blendshape misses, the width and the corner lift steady it.
SMILE_LOGIT = {"smile": 0.8239, "width": 1.9399, "mouth_lift": 5.5208, "mouth_smiling": 0.5649,
               "bias": -2.1762}
# Lips apart (grin or open): the mouth reader (the dark gap or the teeth between the lips), the
# inner-lip gap, the outer lips' height and a raised upper lip.
OPEN_LOGIT = {"open": 14.13, "lip_outer": 2.0862, "upper_lip_up": 0.2306, "mouth_apart": 0.4765,
              "bias": -1.8131}
# A closed eye: the blink blendshape and the eye looking down (MediaPipe reads a shut lid so),
# per eye; the eye aspect ratio adds nothing once these are known.
EYE_CLOSED_LOGIT = {"blink": 13.93, "look_down": 4.16, "bias": -6.51}
# A broad smile lowers the brows (the cheeks push up): that much browDown is not a furrow.
SMILE_BROW_DOWN = 0.6
# A wink: one eye shut and the other clearly open: closed-eye logits this far apart, twice as far
# over a smile (raised cheeks close one eye more than the other), and the open eye not narrowed
# (eye aspect ratio at least WINK_OPEN_RATIO); anything less is read as both eyes alike.
WINK_LOGIT_GAP = 4.0
WINK_OPEN_RATIO = 0.2

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


def _oval_width(p: np.ndarray, depth: float) -> float:
    """The face oval's width at `depth` (0 its top, 1 its bottom) of its height.

    Read off the whole outline where it crosses that height, not off one pair of points: a
    pair on the jaw moves with every re-encode of the photo (its ratio to the cheeks jittered
    by a sixth of the spread of faces; the outline's, a tenth)."""
    oval = p[lm.FACE_OVAL]
    top, bottom = float(oval[:, 1].min()), float(oval[:, 1].max())
    y = top + depth * (bottom - top)
    crossings = [a[0] + (y - a[1]) * (b[0] - a[0]) / (b[1] - a[1])
                 for a, b in zip(oval, np.roll(oval, -1, axis=0), strict=True)
                 if (a[1] - y) * (b[1] - y) <= 0 and a[1] != b[1]]
    return float(max(crossings) - min(crossings)) if len(crossings) >= 2 else 0.0


def measure(face: ParsedFace) -> dict[str, float]:
    """Raw measurements of a face, before calibration: its blendshape scores and landmark
    ratios (`measure_landmarks`), and the mouth reader's two logits (`pipeline.mouth`)."""
    reading = default_reader()(face.mouth_patch)
    return {**measure_landmarks(face), "mouth_smiling": reading.smiling,
            "mouth_apart": reading.apart}


def measure_landmarks(face: ParsedFace) -> dict[str, float]:
    """Blendshape scores and landmark ratios of a face."""
    b = face.analysis.blendshapes
    p = face.aligned.landmarks
    # Blendshapes name the subject's sides; image left is the subject's right.
    lips_middle_y = (p[lm.LIP_INNER[0], 1] + p[lm.LIP_INNER[1], 1]) / 2
    corners_y = (p[lm.MOUTH_CORNERS[0], 1] + p[lm.MOUTH_CORNERS[1], 1]) / 2
    return {
        "smile": (b["mouthSmileLeft"] + b["mouthSmileRight"]) / 2,
        # mouth corners above the lips' middle (image y points down), over the inter-eye distance
        "mouth_lift": float(lips_middle_y - corners_y) / INTER_EYE,
        "lip_outer": _dist(p, *lm.LIP_OUTER) / INTER_EYE,
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
        "look_down_left": b["eyeLookDownRight"],
        "look_down_right": b["eyeLookDownLeft"],
        "wide": (b["eyeWideLeft"] + b["eyeWideRight"]) / 2,
        "squint": (b["eyeSquintLeft"] + b["eyeSquintRight"]) / 2,
        "raise": (b["browInnerUp"] + b["browOuterUpLeft"] + b["browOuterUpRight"]) / 3,
        "furrow": (b["browDownLeft"] + b["browDownRight"]) / 2,
        "sad": max(0.0, b["browInnerUp"] - (b["browOuterUpLeft"] + b["browOuterUpRight"]) / 2),
        "face_width": _dist(p, *lm.CHEEKS) / _dist(p, lm.FOREHEAD, lm.CHIN),
        "jaw": (_oval_width(p, 0.75) + _oval_width(p, 0.85))
        / (_oval_width(p, 0.3) + _oval_width(p, 0.45)),
    }


def face_parameters(face: ParsedFace) -> dict[str, dict[str, float]]:
    """A photo face in the parameter space of style parts (all values 0..1)."""
    return parameters_from_measurements(measure(face))


def _logit(weights: dict[str, float], m: dict[str, float], suffix: str = "") -> float:
    return weights["bias"] + sum(w * m[f"{name}{suffix}"] for name, w in weights.items()
                                 if name != "bias")


def eye_parameters(m: dict[str, float], smile_logit: float) -> dict[str, float]:
    """Both eyes: how open each is, and how much they squint.

    Each eye's openness comes from its aspect ratio, pulled to 0 by the closed-eye evidence. A
    laugh (a broad smile with eyes narrowed or shut by the raised cheeks) gives the laughing,
    squeezed-shut eyes. The eyes are read alike unless one is clearly shut and the other clearly
    open and not narrowed (a wink; over a smile the two must differ twice as much, since raised
    cheeks close one eye more than the other): a lopsided aspect ratio from a turned head, or
    one eye a little more lidded, is not a wink.
    """
    sides = ("left", "right")
    closed_logit = {s: _logit(EYE_CLOSED_LOGIT, m, f"_{s}") for s in sides}
    shut = {s: _score("eye_closed", closed_logit[s]) for s in sides}
    openness = {s: _score("eye_open", m[f"eye_open_{s}"]) for s in sides}
    gap = WINK_LOGIT_GAP * (1.0 + _score("smiling", smile_logit))
    open_side = min(sides, key=lambda s: closed_logit[s])
    winking = (abs(closed_logit["left"] - closed_logit["right"]) >= gap
               and max(shut.values()) >= 1.0 and min(shut.values()) <= 0.0
               and m[f"eye_open_{open_side}"] >= WINK_OPEN_RATIO)
    if not winking:  # both eyes alike: shut together or open together
        both_shut = _score("eye_closed", (closed_logit["left"] + closed_logit["right"]) / 2)
        shut = dict.fromkeys(sides, both_shut)
        openness = dict.fromkeys(sides, (openness["left"] + openness["right"]) / 2)
    opening = {s: openness[s] * (1.0 - shut[s]) for s in sides}
    # a shut eye does not squint (eyeSquint* stays up on closed lids): closed, not a squint
    squint = _score("squint", m["squint"]) * (1.0 - min(shut.values()))
    mean_ratio = (m["eye_open_left"] + m["eye_open_right"]) / 2
    laugh = 0.0 if winking else max(
        _score("laugh_smile", smile_logit) * _score("laugh_narrow", mean_ratio),
        _score("smiling", smile_logit) * min(shut.values()))
    if laugh > 0:  # towards the laughing eyes: nearly shut, squeezed
        opening = {s: (1 - laugh) * v + laugh * 0.22 for s, v in opening.items()}
        squint = (1 - laugh) * squint + laugh * 0.95
    return {"open_left": opening["left"], "open_right": opening["right"],
            "wide": _score("wide", m["wide"]), "squint": squint}


def parameters_from_measurements(m: dict[str, float]) -> dict[str, dict[str, float]]:
    """Calibrate raw measurements (see `measure`) into part parameters."""
    smile_logit = _logit(SMILE_LOGIT, m)
    apart = _score("open_gate", _logit(OPEN_LOGIT, m))
    furrow = max(0.0, m["furrow"] - SMILE_BROW_DOWN * m["smile"])
    return {
        "mouth": {"smile": (1 - apart) * _score("smile", smile_logit)
                           + apart * _score("smile_apart", smile_logit),
                  "open": apart * _score("open", m["open"]),
                  "frown": _score("frown", m["frown"]), "width": _score("width", m["width"]),
                  "smirk": _score("smirk", m["smirk"]), "pucker": _score("pucker", m["pucker"]),
                  "tongue": 0.0},
        "eyes": eye_parameters(m, smile_logit),
        "brows": {"raise": _score("raise", m["raise"]), "furrow": _score("furrow", furrow),
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
    """Semantic features from blendshapes, landmark geometry and the mouth reader's look at the
    lips (a small numpy network over the mouth patch every parsed face carries: no torch, and
    no part crops)."""

    # The parts' vectors (what the index holds) are unchanged by the mouth reader: version 2.
    version = "2"
    needs_pixels = False

    def __init__(self, **config: object) -> None:
        # Nothing to load and nothing to place on a device: settings meant for the pixel
        # embedders (device=, weights=) are accepted so that callers can treat all alike.
        self.config = config

    def embed_face(self, face: ParsedFace) -> dict[str, np.ndarray]:
        return {kind: encode(kind, params) for kind, params in face_parameters(face).items()}

    def embed_part(self, part: StylePart, style: Style) -> np.ndarray:
        return encode(part.kind, part.params)
