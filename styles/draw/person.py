"""The person's own face: a style's expression parts redrawn with measured proportions.

`Likeness.face` (pipeline/geometry.py) says how a face differs from the average one, as
standard deviations per proportion. `Proportions.from_face` exaggerates those a little, as
caricaturists do (EXAGGERATION, 1.4 by default: MOJI_CARICATURE), and rounds them to steps so
that people who differ by less than a step share their drawings (and their cached layers). The
shared geometry below turns them into drawing changes, each at about the real face's spread per
standard deviation (the "cv" in the comments: the measure's SD over its mean on the shared
photos), so that an exaggerated face is still that face:

- face outline: width to height, jaw (square .. pointed), chin length and width, cheekbones;
- eyes: size, height (open shape), spacing, tilt;
- brows: thickness, arch, height; they follow the eyes' spacing;
- nose: width and length (styles that draw a nose); mouth: width, upper and lower lip.

The expression (eyes shut or winking, a grin, raised brows) still comes from the matched part:
only its proportions are the person's. `redraw(style, kind, part_id, proportions)` gives a part
body drawn so; compose calls it per person (pipeline/compose.py: personal_parts).
"""

from __future__ import annotations

import functools
import os
from dataclasses import asdict, dataclass, fields, replace

from .geometry import (
    CX,
    EYE_CENTRES,
    FaceGeom,
    Head,
    brow_points,
    face_geom,
    face_outline,
    scale_about,
)
from .specs import SPECS, BrowsSpec, FaceSpec, MouthSpec
from .svg import Point, num

EXAGGERATION = float(os.environ.get("MOJI_CARICATURE", "1.4"))
STEP = 0.25  # drawn deviations are rounded to quarter standard deviations
LIMIT = 3.5  # and kept within this many
# The part kinds whose drawing follows the person's proportions.
PERSON_KINDS = ("face", "eyes", "brows", "mouth")


@dataclass(frozen=True)
class Proportions:
    """Drawn deviations from the average face, in (exaggerated, rounded) standard deviations;
    all 0 and `measured` False is the style's template."""

    measured: bool = False
    face_width: float = 0.0
    jaw_width: float = 0.0
    chin_length: float = 0.0
    chin_width: float = 0.0
    cheekbones: float = 0.0
    eye_size: float = 0.0
    eye_shape: float = 0.0
    eye_spacing: float = 0.0
    eye_tilt: float = 0.0
    nose_width: float = 0.0
    nose_length: float = 0.0
    lip_upper: float = 0.0
    lip_lower: float = 0.0
    mouth_width: float = 0.0
    brow_thickness: float = 0.0
    brow_arch: float = 0.0
    brow_height: float = 0.0

    @classmethod
    def from_face(cls, face: dict[str, float], exaggeration: float = EXAGGERATION,
                  step: float = STEP, reliability: dict[str, float] | None = None
                  ) -> Proportions:
        """From `Likeness.face` ({name: z}); names this record does not know are ignored, and
        missing ones are average. No measures, or exaggeration 0: the template.

        `reliability` ({name: 0..1}, default 1) shrinks each measure towards the average
        before the exaggeration: a photo's z times the measure's reliability is the best guess
        of the person's own deviation (pipeline.geometry.reliability), so that a measure one
        photo reads poorly does not swing the drawing from photo to photo."""
        if not face or exaggeration <= 0:
            return cls()
        known = {f.name for f in fields(cls)} - {"measured"}
        weights = reliability or {}
        values = {name: max(-LIMIT, min(LIMIT, round(
            exaggeration * weights.get(name, 1.0) * float(z) / step) * step))
            for name, z in face.items() if name in known}
        return cls(measured=True, **values)

    def for_kind(self, kind: str) -> Proportions:
        """Only what the drawing of `kind` uses (so that two people with the same eyes share
        one eyes drawing whatever their mouths)."""
        if not self.measured:
            return self
        used = KIND_FIELDS.get(kind, ())
        return Proportions(measured=True, **{k: v for k, v in asdict(self).items() if k in used})

    @property
    def key(self) -> str:
        """A short text naming these proportions (cache keys, part ids)."""
        if not self.measured:
            return "template"
        return ",".join(f"{k}={v:g}" for k, v in asdict(self).items()
                        if k != "measured" and v) or "average"


NEUTRAL = Proportions()

KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "face": ("face_width", "jaw_width", "chin_length", "chin_width", "cheekbones",
             "nose_width", "nose_length", "eye_spacing"),
    "eyes": ("eye_size", "eye_shape", "eye_spacing", "eye_tilt"),
    "brows": ("brow_thickness", "brow_arch", "brow_height", "eye_spacing", "eye_size"),
    "mouth": ("mouth_width", "lip_upper", "lip_lower"),
}

# The average face is the style's oval; these are the drawn changes per standard deviation.
FACE_WIDTH_PER_SD = 0.13  # FaceSpec.width: ~5% of width-to-height (cv 5.2%)
JAW_PER_SD = 0.11  # FaceSpec.jaw: jaw width (cv 2.5%, a visible squareness step)
CHIN_WIDTH_PER_SD = 0.06
CHEEKBONES_PER_SD = 0.05  # high cheekbones narrow the jaw against the cheeks
CHIN_PX_PER_SD = 2.5  # chin length (cv 15%)
EYE_SPACING_PX_PER_SD = 3.0  # each eye outwards (cv 8% of the inner-corner distance)
EYE_SIZE_PER_SD = 0.06  # eye scale (cv 6%)
EYE_SHAPE_PER_SD = 0.1  # eye height against its width (cv 11%)
EYE_TILT_DEG_PER_SD = 2.5  # outer corners up (1.8 degrees per SD, drawn a little more)
BROW_THICKNESS_PER_SD = 0.1  # (cv 6%: thin brows are drawn a little thinner still)
BROW_ARCH_PX_PER_SD = 2.0  # the peak above the ends (cv 11% of the brow's length)
BROW_HEIGHT_PX_PER_SD = 2.0  # the whole brow up from the eye (cv 30%, its rest gap is small)
NOSE_WIDTH_PER_SD = 0.08  # (cv 7.5%)
NOSE_LENGTH_PX_PER_SD = 2.5  # (cv 5% of the face's height)
MOUTH_WIDTH_PER_SD = 0.07  # MouthSpec.width: the corners' spread (cv 7%)
LIP_PER_SD = 0.18  # lip thickness (cv 24% upper, 14% lower)


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def face_spec(spec: FaceSpec, shape: Proportions) -> FaceSpec:
    """The face shape drawn: the matched template without measures, else the person's own
    (from the average oval), kept within the styles' range of faces so that every hair part
    still covers it."""
    if not shape.measured:
        return spec
    width = _clamp(0.5 + FACE_WIDTH_PER_SD * shape.face_width, 0.05, 1.0)
    jaw = _clamp(0.5 + JAW_PER_SD * shape.jaw_width + CHIN_WIDTH_PER_SD * shape.chin_width
                 - CHEEKBONES_PER_SD * shape.cheekbones, 0.1, 0.95)
    return FaceSpec(spec.slug, spec.tags, width=round(width, 3), jaw=round(jaw, 3))


def person_face_geom(spec: FaceSpec, shape: Proportions) -> FaceGeom:
    """The face outline's extents for the person: their face shape, their chin length."""
    g = face_geom(face_spec(spec, shape))
    if not shape.measured or not shape.chin_length:
        return g
    return replace(g, chin=g.chin + _clamp(CHIN_PX_PER_SD * shape.chin_length, -6.0, 6.0))


def outline(head: Head, spec: FaceSpec, shape: Proportions, steps: int = 72) -> list[Point]:
    """The face outline drawn in a style's head: Head.outline for the person's face."""
    if not shape.measured:
        return head.outline(spec, steps)
    g = person_face_geom(spec, shape)
    return scale_about(face_outline(g, steps), head.scale, (CX, head.cy))


def eye_centre(side: str, shape: Proportions) -> Point:
    """Where an eye is drawn: the canonical centre, moved out (or in) by the eyes' spacing."""
    x, y = EYE_CENTRES[side]
    sign = -1 if side == "left" else 1
    return (x + sign * EYE_SPACING_PX_PER_SD * shape.eye_spacing, y)


def eye_transform(side: str, shape: Proportions) -> str:
    """An SVG transform that scales one eye about its centre (size; height against width) and
    tilts it (outer corner up); "" for an average eye."""
    sx = 1 + EYE_SIZE_PER_SD * shape.eye_size
    sy = sx * (1 + EYE_SHAPE_PER_SD * shape.eye_shape)
    # The image-left eye's outer corner is on its left: a clockwise turn lifts it.
    angle = EYE_TILT_DEG_PER_SD * shape.eye_tilt * (1 if side == "left" else -1)
    if abs(sx - 1) < 1e-6 and abs(sy - 1) < 1e-6 and abs(angle) < 1e-6:
        return ""
    cx, cy = eye_centre(side, shape)
    return (f"translate({num(cx)} {num(cy)}) rotate({num(angle)}) "
            f"scale({sx:.3f} {sy:.3f}) translate({num(-cx)} {num(-cy)})")


def brow_offset(side: str, shape: Proportions) -> tuple[float, float, float]:
    """(dx, dy, arch) for one brow: it moves with its eye (spacing, and up for bigger eyes),
    up for high-set brows; `arch` lifts its peak."""
    dx = eye_centre(side, shape)[0] - EYE_CENTRES[side][0]
    dy = -BROW_HEIGHT_PX_PER_SD * shape.brow_height - 1.5 * shape.eye_size
    return dx, dy, BROW_ARCH_PX_PER_SD * shape.brow_arch


def person_brow_points(spec: BrowsSpec, side: str, lift: float,
                       shape: Proportions) -> tuple[Point, Point, Point]:
    """geometry.brow_points (the matched brows' expression) at the person's place and arch."""
    outer, peak, inner = brow_points(spec, side, lift)
    dx, dy, arch = brow_offset(side, shape)
    return ((outer[0] + dx, outer[1] + dy), (peak[0] + dx, peak[1] + dy - arch),
            (inner[0] + dx, inner[1] + dy))


def brow_thickness(shape: Proportions) -> float:
    """How much thicker (> 1) or thinner than the template brows are drawn."""
    return _clamp(1 + BROW_THICKNESS_PER_SD * shape.brow_thickness, 0.6, 1.5)


def nose(shape: Proportions) -> tuple[float, float]:
    """(width factor, downward shift in px) of a style's nose."""
    return (_clamp(1 + NOSE_WIDTH_PER_SD * shape.nose_width, 0.7, 1.35),
            NOSE_LENGTH_PX_PER_SD * shape.nose_length)


def mouth_spec(spec: MouthSpec, shape: Proportions) -> MouthSpec:
    """The matched mouth (its expression) at the person's width."""
    if not shape.mouth_width:
        return spec
    return replace(spec, width=_clamp(spec.width + MOUTH_WIDTH_PER_SD * shape.mouth_width,
                                      0.05, 1.0))


def lips(shape: Proportions) -> tuple[float, float]:
    """(upper, lower) lip thickness factors."""
    return (_clamp(1 + LIP_PER_SD * shape.lip_upper, 0.45, 1.7),
            _clamp(1 + LIP_PER_SD * shape.lip_lower, 0.45, 1.7))


# ---------------------------------------------------------------------------------------------
# The per-person hook: a matched part's body redrawn with the person's proportions.
# ---------------------------------------------------------------------------------------------


@functools.cache
def _drawing_styles() -> dict:
    from . import all_styles

    return {style.name: style for style in all_styles()}


def has_drawing(style_name: str) -> bool:
    """True for a style Moji draws itself (a styles/draw module): its parts can be redrawn."""
    return style_name in _drawing_styles()


@functools.lru_cache(maxsize=512)
def redraw(style_name: str, kind: str, part_id: str, shape: Proportions) -> str | None:
    """The body of part `part_id` of a built-in style drawn with `shape` (the elements that
    styles/generate.py writes into the part file, one per line); None when the style or the
    part has no such drawing (a style from elsewhere, a sticker pack's heart eyes)."""
    style = _drawing_styles().get(style_name)
    if style is None or kind not in PERSON_KINDS or kind not in style.draw:
        return None
    spec = next((s for s in SPECS[kind] if f"{kind}-{s.slug}" == part_id), None)
    if spec is None:
        return None
    return "\n".join(style.draw[kind](style, spec, part_id, shape))

