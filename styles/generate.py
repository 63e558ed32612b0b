"""Generate the SVG part libraries of the built-in styles.

Usage::

    python -m styles.generate [--out styles] [--style NAME ...]

Every part is drawn in the 306x306 canonical face frame described in ``docs/styles.md``. The
parts come from templates: a *variant* (``FaceSpec``, ``MouthSpec``, ``EyesSpec``,
``BrowsSpec``) holds the numeric parameters the ``expression`` embedder measures, and each
style's drawing functions turn those same numbers into geometry. Deriving the drawing from
the declared parameters keeps a part's metadata honest: a mouth declared with ``smile=0.9``
really curves up by the amount a 0.9 smile implies.

The output is deterministic (fixed variant order, fixed number formatting, no timestamps),
so re-running the script yields byte-identical files and clean diffs. Stale part files of a
style are removed before writing, so a renamed variant never leaves an orphan behind.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

Point = tuple[float, float]

FRAME = 306
CX = 153.0  # vertical symmetry axis of the canonical frame
FACE_CY = 165.0  # centre of the face shapes; the sticker shows y 30..300
EYE_CENTRES: dict[str, Point] = {"left": (107.0, 128.0), "right": (199.0, 128.0)}
MOUTH_Y = 220.0  # height of the mouth corners of a neutral mouth
KINDS = ("face", "eyes", "brows", "mouth")

# ---------------------------------------------------------------------------------------------
# Small SVG helpers
# ---------------------------------------------------------------------------------------------


def num(value: float) -> str:
    """Format a coordinate with one decimal, without trailing zeros or a negative zero."""
    text = f"{value:.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


def pt(p: Point) -> str:
    """Format a point as ``x,y`` for path data."""
    return f"{num(p[0])},{num(p[1])}"


def attrs(**kwargs: str | float) -> str:
    """Render keyword arguments as SVG attributes; ``stroke_width`` becomes ``stroke-width``."""
    parts = []
    for key, value in kwargs.items():
        text = num(value) if isinstance(value, float | int) else value
        parts.append(f'{key.replace("_", "-")}="{text}"')
    return " ".join(parts)


def path(d: str, **kwargs: str | float) -> str:
    """An SVG ``<path>`` element."""
    return f'<path d="{d}" {attrs(**kwargs)}/>'


def ellipse(c: Point, rx: float, ry: float, **kwargs: str | float) -> str:
    """An SVG ``<ellipse>`` element."""
    return (
        f'<ellipse cx="{num(c[0])}" cy="{num(c[1])}" rx="{num(rx)}" ry="{num(ry)}" '
        f"{attrs(**kwargs)}/>"
    )


def stroke(colour: str, width: float) -> dict[str, str | float]:
    """Attributes of an unfilled, round-capped line, the look of every drawn feature line."""
    return {
        "fill": "none",
        "stroke": colour,
        "stroke_width": width,
        "stroke_linecap": "round",
        "stroke_linejoin": "round",
    }


def smooth_closed(points: Sequence[Point]) -> str:
    """A closed path through ``points`` as a Catmull-Rom spline converted to cubic Beziers.

    A spline gives smooth outlines from few sample points, which keeps the files small.
    """
    n = len(points)
    d = [f"M{pt(points[0])}"]
    for i in range(n):
        p0, p1, p2, p3 = points[i - 1], points[i], points[(i + 1) % n], points[(i + 2) % n]
        c1 = (p1[0] + (p2[0] - p0[0]) / 6, p1[1] + (p2[1] - p0[1]) / 6)
        c2 = (p2[0] - (p3[0] - p1[0]) / 6, p2[1] - (p3[1] - p1[1]) / 6)
        d.append(f"C{pt(c1)} {pt(c2)} {pt(p2)}")
    return "".join(d) + "Z"


def scale_about(points: Iterable[Point], s: float, centre: Point = (CX, FACE_CY)) -> list[Point]:
    """Scale points about ``centre``; styles with ears or hair shrink the head to fit."""
    return [(centre[0] + (x - centre[0]) * s, centre[1] + (y - centre[1]) * s) for x, y in points]


def mirror(p: Point) -> Point:
    """Mirror a point across the vertical axis of the frame (left part -> right part)."""
    return (2 * CX - p[0], p[1])


def lerp(a: float, b: float, t: float) -> float:
    """Linear interpolation between ``a`` and ``b``."""
    return a + (b - a) * t


# ---------------------------------------------------------------------------------------------
# Variants: the parameters every style draws. Order matters only for determinism.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FaceSpec:
    """A face shape: ``width`` 0 long/narrow .. 1 wide/round; ``jaw`` 0 pointed .. 1 square."""

    slug: str
    tags: tuple[str, ...]
    width: float
    jaw: float

    def params(self) -> dict[str, float]:
        return {"width": self.width, "jaw": self.jaw}


@dataclass(frozen=True)
class MouthSpec:
    """A mouth; see docs/styles.md for the meaning of each parameter (0.5 typical width)."""

    slug: str
    tags: tuple[str, ...]
    smile: float = 0.15
    open: float = 0.0
    frown: float = 0.0
    width: float = 0.5
    smirk: float = 0.0
    pucker: float = 0.0
    tongue: float = 0.0

    def params(self) -> dict[str, float]:
        return {
            "smile": self.smile,
            "open": self.open,
            "frown": self.frown,
            "width": self.width,
            "smirk": self.smirk,
            "pucker": self.pucker,
            "tongue": self.tongue,
        }


@dataclass(frozen=True)
class Eye:
    """One eye: openness (0 shut .. 1 wide open) and the look a style draws it with.

    Looks: ``open`` (plain open eye), ``wide`` (surprised, white all round), ``lidded``
    (upper lid half down, sleepy), ``narrow`` (squinted slit), ``happy`` (closed, arched up
    like ^, the smiling or winking eye) and ``shut`` (closed, relaxed lid curving down).
    """

    open: float
    look: str


@dataclass(frozen=True)
class EyesSpec:
    """A pair of eyes; ``left`` is the eye on the image left."""

    slug: str
    tags: tuple[str, ...]
    left: Eye
    right: Eye
    wide: float = 0.0
    squint: float = 0.1

    def params(self) -> dict[str, float]:
        return {
            "open_left": self.left.open,
            "open_right": self.right.open,
            "wide": self.wide,
            "squint": self.squint,
        }


@dataclass(frozen=True)
class BrowsSpec:
    """A pair of brows: ``raise`` (whole brow up), ``furrow`` (inner ends down), ``sad``."""

    slug: str
    tags: tuple[str, ...]
    raise_: float
    furrow: float
    sad: float

    def params(self) -> dict[str, float]:
        return {"raise": self.raise_, "furrow": self.furrow, "sad": self.sad}


PartSpec = FaceSpec | MouthSpec | EyesSpec | BrowsSpec

FACES: tuple[FaceSpec, ...] = (
    FaceSpec("round", ("round",), width=0.85, jaw=0.6),
    FaceSpec("round-full", ("round",), width=1.0, jaw=0.7),
    FaceSpec("oval", ("oval",), width=0.5, jaw=0.5),
    FaceSpec("oval-soft", ("oval",), width=0.65, jaw=0.5),
    FaceSpec("long", ("long",), width=0.15, jaw=0.45),
    FaceSpec("long-narrow", ("long",), width=0.05, jaw=0.35),
    FaceSpec("square", ("square",), width=0.7, jaw=0.95),
    FaceSpec("square-long", ("square", "long"), width=0.4, jaw=0.9),
    FaceSpec("heart", ("heart",), width=0.6, jaw=0.1),
    FaceSpec("heart-wide", ("heart",), width=0.8, jaw=0.2),
)

MOUTHS: tuple[MouthSpec, ...] = (
    MouthSpec("neutral", ("neutral",), smile=0.15, width=0.5),
    MouthSpec("neutral-small", ("neutral",), smile=0.1, width=0.3),
    MouthSpec("smile-soft", ("smile",), smile=0.45, width=0.5),
    MouthSpec("smile", ("smile",), smile=0.7, open=0.02, width=0.55),
    MouthSpec("smile-wide", ("smile",), smile=0.8, open=0.05, width=0.8),
    MouthSpec("grin-small", ("grin",), smile=0.75, open=0.4, width=0.5),
    MouthSpec("grin", ("grin",), smile=0.85, open=0.6, width=0.65),
    MouthSpec("grin-wide", ("grin",), smile=0.9, open=0.8, width=0.85),
    MouthSpec("open-small", ("open",), smile=0.1, open=0.5, width=0.3),
    MouthSpec("open", ("open",), smile=0.1, open=0.7, width=0.4),
    MouthSpec("open-wide", ("open",), smile=0.05, open=0.9, width=0.5),
    MouthSpec("frown", ("frown",), smile=0.0, frown=0.75, width=0.5),
    MouthSpec("frown-deep", ("frown",), smile=0.0, frown=0.95, width=0.6),
    MouthSpec("frown-open", ("frown", "open"), smile=0.0, open=0.45, frown=0.7, width=0.5),
    MouthSpec("smirk", ("smirk", "smile"), smile=0.4, smirk=0.8, width=0.5),
    MouthSpec("tongue", ("tongue", "open"), smile=0.5, open=0.5, width=0.55, tongue=0.9),
    MouthSpec("kiss", ("kiss",), smile=0.1, width=0.1, pucker=0.9),
)

EYES: tuple[EyesSpec, ...] = (
    EyesSpec("open", ("open",), Eye(0.65, "open"), Eye(0.65, "open"), squint=0.1),
    EyesSpec("open-big", ("open",), Eye(0.8, "open"), Eye(0.8, "open"), wide=0.3, squint=0.0),
    EyesSpec("open-small", ("open",), Eye(0.5, "open"), Eye(0.5, "open"), squint=0.2),
    # Half-lidded: still open (the pupils show), so "open" is its main tag.
    EyesSpec("sleepy", ("open",), Eye(0.35, "lidded"), Eye(0.35, "lidded"), squint=0.1),
    EyesSpec("closed", ("closed",), Eye(0.0, "shut"), Eye(0.0, "shut"), squint=0.2),
    EyesSpec("squint", ("squint",), Eye(0.3, "narrow"), Eye(0.3, "narrow"), squint=0.8),
    EyesSpec("squint-happy", ("squint",), Eye(0.25, "happy"), Eye(0.25, "happy"), squint=0.9),
    EyesSpec("wink-left", ("wink",), Eye(0.0, "happy"), Eye(0.65, "open"), squint=0.3),
    EyesSpec("wink-right", ("wink",), Eye(0.65, "open"), Eye(0.0, "happy"), squint=0.3),
    EyesSpec("wide", ("wide",), Eye(1.0, "wide"), Eye(1.0, "wide"), wide=1.0, squint=0.0),
    EyesSpec("wide-soft", ("wide", "open"), Eye(0.9, "wide"), Eye(0.9, "wide"), wide=0.7),
)

BROWS: tuple[BrowsSpec, ...] = (
    BrowsSpec("neutral", ("neutral",), raise_=0.35, furrow=0.1, sad=0.1),
    BrowsSpec("neutral-low", ("neutral",), raise_=0.2, furrow=0.25, sad=0.05),
    BrowsSpec("raised", ("raised",), raise_=0.9, furrow=0.0, sad=0.1),
    BrowsSpec("raised-slight", ("raised",), raise_=0.65, furrow=0.05, sad=0.15),
    BrowsSpec("furrowed", ("furrowed",), raise_=0.1, furrow=0.9, sad=0.0),
    BrowsSpec("furrowed-slight", ("furrowed",), raise_=0.25, furrow=0.55, sad=0.0),
    BrowsSpec("sad", ("sad",), raise_=0.5, furrow=0.0, sad=0.9),
    BrowsSpec("sad-slight", ("sad",), raise_=0.4, furrow=0.05, sad=0.6),
)

# ---------------------------------------------------------------------------------------------
# Shared geometry: parameters -> shapes, identical for every style so that the same variant
# lands on the same pixels whatever it looks like.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FaceGeom:
    """Outline extents of a face shape before any style scaling."""

    hw: float  # half width at the widest row
    top: float  # forehead y
    chin: float  # chin y
    widest: float  # y of the widest row (upper and lower halves join here)
    n_top: float  # superellipse exponents: 2 ellipse, >2 boxier, <2 pointed
    n_bottom: float


def face_geom(spec: FaceSpec, grow: float = 0.0) -> FaceGeom:
    """Map face parameters to an outline: two superellipse halves joined at the widest row.

    ``width`` trades width for height (long faces are narrow and tall); ``jaw`` sets the
    lower half's exponent (pointed heart chin .. square jaw) and, for pointed jaws, moves the
    widest row up to the cheekbones. ``grow`` inflates the outline (used for hair).
    """
    hw = 92 + 36 * spec.width
    hh = 121 + 9 * (1 - spec.width)
    widest = FACE_CY - 42 * max(0.0, 0.5 - spec.jaw)
    # Exponent 2 is an ellipse: round and oval faces (jaw 0.5..0.6) stay true ellipses.
    if spec.jaw < 0.5:
        n_bottom = 1.4 + 1.2 * spec.jaw
    else:
        n_bottom = 2 + 4 * max(0.0, spec.jaw - 0.6)
    # Square jaws come with a boxy forehead, heart faces with a broad one.
    n_top = 2 + 1.5 * max(0.0, spec.jaw - 0.6) + 1.0 * max(0.0, 0.5 - spec.jaw)
    return FaceGeom(
        hw=hw + grow,
        top=FACE_CY - hh - grow,
        chin=FACE_CY + hh + grow * 0.3,
        widest=widest,
        n_top=n_top,
        n_bottom=n_bottom,
    )


def superellipse_coord(c: float, n: float) -> float:
    """Signed ``|c|^(2/n)``, the superellipse coordinate for a cosine or sine ``c``."""
    return math.copysign(abs(c) ** (2 / n), c)


def face_outline(g: FaceGeom, steps: int = 72) -> list[Point]:
    """Sample the outline clockwise (screen coordinates) starting at the right, widest row."""
    points = []
    for i in range(steps):
        theta = 2 * math.pi * i / steps
        c, s = math.cos(theta), math.sin(theta)
        if s < 0:  # upper half (y grows downwards)
            x = CX + g.hw * superellipse_coord(c, g.n_top)
            y = g.widest + (g.widest - g.top) * superellipse_coord(s, g.n_top)
        else:
            x = CX + g.hw * superellipse_coord(c, g.n_bottom)
            y = g.widest + (g.chin - g.widest) * superellipse_coord(s, g.n_bottom)
        points.append((x, y))
    return points


def upper_half_width(g: FaceGeom, y: float) -> float:
    """Half width of the upper half of the outline at height ``y`` (inverse of the sampling)."""
    t = min(1.0, max(0.0, (g.widest - y) / (g.widest - g.top)))
    s = t ** (g.n_top / 2)  # |sin| that lands on this height
    c = math.sqrt(max(0.0, 1 - s * s))
    return g.hw * c ** (2 / g.n_top)


@dataclass(frozen=True)
class MouthGeom:
    """Mouth corners and the depths of the lip curves below the corner chord."""

    left: Point
    right: Point
    upper: float  # depth of the upper lip curve (positive: sags below the chord)
    lower: float  # depth of the lower lip curve
    upper_pull: float  # how far control points sit inwards (0 round ellipse .. flatter)
    lower_pull: float
    is_open: bool

    @property
    def centre_x(self) -> float:
        return (self.left[0] + self.right[0]) / 2

    @property
    def chord_y(self) -> float:
        return (self.left[1] + self.right[1]) / 2

    @property
    def half_width(self) -> float:
        return (self.right[0] - self.left[0]) / 2

    @property
    def top_y(self) -> float:
        """Height of the upper lip curve at the middle of the mouth."""
        return self.chord_y + self.upper

    @property
    def bottom_y(self) -> float:
        """Height of the lower lip curve at the middle of the mouth."""
        return self.chord_y + self.lower


def mouth_geom(spec: MouthSpec) -> MouthGeom:
    """Map mouth parameters to geometry.

    ``width`` sets the corner spread (0.5 puts the corners at x 115 and 191, as in the
    canonical frame); ``smile`` lifts the corners and bends the line into a U, ``frown`` does
    the opposite; ``smirk`` lifts only the image-right corner; ``open`` separates the lips,
    into an O when not smiling and into a D (flat top, round bottom) when smiling.
    """
    hw = 24 + 28 * spec.width
    lift = 10 * spec.smile - 8 * spec.frown
    bend = 26 * spec.smile - 22 * spec.frown
    cx = CX + 4 * spec.smirk  # a smirk pulls the mouth towards the raised corner
    left = (cx - hw, MOUTH_Y - lift + 3 * spec.smirk)
    right = (cx + hw, MOUTH_Y - lift - 16 * spec.smirk)
    bend -= 10 * spec.smirk  # the raised corner already makes the curve; keep it shallow
    if spec.open < 0.08:
        return MouthGeom(left, right, bend, bend, 0.5, 0.5, is_open=False)
    gap = 6 + 46 * spec.open
    if spec.frown > spec.smile:
        # Sad open mouth: the whole opening arches up, an upside-down D.
        lower = bend * 0.5 + gap * 0.3
        upper = lower - gap
    else:
        upper = bend * 0.4 - gap * 0.5 * (1 - spec.smile)
        lower = upper + gap * (1 + 0.3 * spec.smile)
    return MouthGeom(
        left,
        right,
        upper,
        lower,
        upper_pull=0.3 * spec.smile + 0.3 * spec.frown,
        lower_pull=0.1 * spec.smile + 0.3 * spec.frown,
        is_open=True,
    )


def lip_curve(m: MouthGeom, depth: float, pull: float, reverse: bool = False) -> str:
    """Cubic path segment (no moveto) from corner to corner sagging ``depth`` at the middle.

    A cubic whose two control points sit ``depth / 0.75`` below the chord passes through
    the chord midpoint plus ``depth``, so the declared depth is exactly what is drawn.
    """
    a, b = (m.right, m.left) if reverse else (m.left, m.right)
    k = depth / 0.75
    step = (b[0] - a[0]) * pull
    c1 = (a[0] + step, a[1] + k)
    c2 = (b[0] - step, b[1] + k)
    return f"C{pt(c1)} {pt(c2)} {pt(b)}"


def mouth_line(m: MouthGeom) -> str:
    """Path of a closed mouth: one curve from the left corner to the right corner."""
    return f"M{pt(m.left)}" + lip_curve(m, m.upper, 0.5)


def mouth_shape(m: MouthGeom) -> str:
    """Closed path of an open mouth: upper lip left->right, lower lip right->left."""
    return (
        f"M{pt(m.left)}"
        + lip_curve(m, m.upper, m.upper_pull)
        + lip_curve(m, m.lower, m.lower_pull, reverse=True)
        + "Z"
    )


def kiss_path(cx: float = CX, cy: float = MOUTH_Y) -> str:
    """A '3'-shaped pucker, the classic kissing mouth, bulging to the image right."""
    return (
        f"M{pt((cx - 7, cy - 15))}C{pt((cx + 13, cy - 18))} {pt((cx + 14, cy - 2))} "
        f"{pt((cx, cy - 1))}C{pt((cx + 16, cy))} {pt((cx + 14, cy + 17))} {pt((cx - 7, cy + 14))}"
    )


def tongue_path(m: MouthGeom, length: float) -> str:
    """A tongue hanging out over the lower lip, slightly off centre for liveliness."""
    x = m.centre_x + 5
    top = m.bottom_y - 12
    bottom = m.bottom_y + length
    w = 17.0
    return (
        f"M{pt((x - w, top))}L{pt((x - w, bottom - w))}"
        f"A{num(w)},{num(w)} 0 0 0 {pt((x + w, bottom - w))}L{pt((x + w, top))}Z"
    )


def brow_points(spec: BrowsSpec, side: str) -> tuple[Point, Point, Point]:
    """Outer end, peak and inner end of one brow.

    Starts from the canonical brow (75,105)-(96,94)-(133,98), 5 px higher because the
    cartoon eyes are bigger than real ones. ``raise`` lifts the brow and arches it,
    ``furrow`` drops and pulls in the inner end (angry), ``sad`` lifts the inner end and
    drops the outer end (worried).
    """
    up = (spec.raise_ - 0.35) * 28 + 5
    outer = (75.0, 105 - up - 4 * spec.furrow + 7 * spec.sad)
    peak = (96.0, 94 - up - 5 * (spec.raise_ - 0.35) + 3 * spec.furrow - 5 * spec.sad)
    inner = (133 + 4 * spec.furrow, 98 - up + 10 * spec.furrow - 16 * spec.sad)
    if side == "right":
        return mirror(outer), mirror(peak), mirror(inner)
    return outer, peak, inner


def brow_control(outer: Point, peak: Point, inner: Point) -> Point:
    """Quadratic control point so that the curve outer->inner passes through ``peak``."""
    return (
        2 * peak[0] - (outer[0] + inner[0]) / 2,
        2 * peak[1] - (outer[1] + inner[1]) / 2,
    )


def quad_point(a: Point, c: Point, b: Point, t: float) -> Point:
    """Point at ``t`` on the quadratic Bezier a-c-b."""
    u = 1 - t
    return (
        u * u * a[0] + 2 * u * t * c[0] + t * t * b[0],
        u * u * a[1] + 2 * u * t * c[1] + t * t * b[1],
    )


def tapered_brow(outer: Point, peak: Point, inner: Point, thin: float, thick: float) -> str:
    """A filled brow shape, thin at the outer end and thick at the inner end."""
    c = brow_control(outer, peak, inner)
    top, bottom = [], []
    steps = 10
    for i in range(steps + 1):
        t = i / steps
        p = quad_point(outer, c, inner, t)
        q = quad_point(outer, c, inner, min(1.0, t + 0.01))
        r = quad_point(outer, c, inner, max(0.0, t - 0.01))
        dx, dy = q[0] - r[0], q[1] - r[1]
        length = math.hypot(dx, dy) or 1.0
        nx, ny = -dy / length, dx / length
        half = lerp(thin, thick, math.sin(t * math.pi / 2)) / 2
        top.append((p[0] + nx * half, p[1] + ny * half))
        bottom.append((p[0] - nx * half, p[1] - ny * half))
    return smooth_closed(top + bottom[::-1])


def eye_lid_arc(c: Point, w: float, bend: float) -> str:
    """A closed-eye line across the eye: ``bend`` > 0 sags (relaxed), < 0 arches (^)."""
    return f"M{pt((c[0] - w, c[1]))}Q{pt((c[0], c[1] + 2 * bend))} {pt((c[0] + w, c[1]))}"


def almond(c: Point, rx: float, ry: float) -> str:
    """An almond-shaped eye outline of half width ``rx`` and half height ``ry``."""
    return (
        f"M{pt((c[0] - rx, c[1]))}Q{pt((c[0], c[1] - 2 * ry))} {pt((c[0] + rx, c[1]))}"
        f"Q{pt((c[0], c[1] + 2 * ry))} {pt((c[0] - rx, c[1]))}Z"
    )


def lidded_ellipse(c: Point, rx: float, ry: float, lid_y: float) -> str:
    """The part of an ellipse below a straight upper lid at ``lid_y``."""
    dy = max(-ry + 0.5, min(ry - 0.5, lid_y - c[1]))
    dx = rx * math.sqrt(1 - (dy / ry) ** 2)
    large = 1 if dy < 0 else 0
    return (
        f"M{pt((c[0] - dx, c[1] + dy))}L{pt((c[0] + dx, c[1] + dy))}"
        f"A{num(rx)},{num(ry)} 0 {large} 1 {pt((c[0] - dx, c[1] + dy))}Z"
    )


# ---------------------------------------------------------------------------------------------
# Styles
# ---------------------------------------------------------------------------------------------


@dataclass
class Style:
    """A style: its ``style.toml`` fields and one drawing function per part kind.

    Each drawing function gets the variant and the part id (to prefix internal ids such as
    gradients and clip paths) and returns the SVG elements of the part body.
    """

    name: str
    title: str
    description: str
    palette: dict[str, str]
    draw_face: Callable[[Style, FaceSpec, str], list[str]] = field(repr=False)
    draw_mouth: Callable[[Style, MouthSpec, str], list[str]] = field(repr=False)
    draw_eyes: Callable[[Style, EyesSpec, str], list[str]] = field(repr=False)
    draw_brows: Callable[[Style, BrowsSpec, str], list[str]] = field(repr=False)
    skin_from_photo: bool = False
    face_scale: float = 1.0  # shrink the head where ears or hair need room inside the sticker

    @property
    def p(self) -> dict[str, str]:
        """Short alias for the palette, used all over the drawing functions."""
        return self.palette


def clip(pid: str, d: str, suffix: str = "clip") -> tuple[str, str]:
    """A ``<clipPath>`` definition with a part-prefixed id, and the ``url()`` to use it."""
    cid = f"{pid}-{suffix}"
    return f'<defs><clipPath id="{cid}"><path d="{d}"/></clipPath></defs>', f"url(#{cid})"


# --- classic: yellow emoji ------------------------------------------------------------------


def classic_face(st: Style, spec: FaceSpec, pid: str) -> list[str]:
    """Flat yellow face with a radial light-to-shade overlay for a soft, rounded look."""
    p = st.p
    d = smooth_closed(scale_about(face_outline(face_geom(spec)), st.face_scale))
    gid = f"{pid}-shade"
    return [
        f'<defs><radialGradient id="{gid}" cx="0.42" cy="0.36" r="0.72">'
        f'<stop offset="0" stop-color="{p["skin_light"]}" stop-opacity="0.9"/>'
        f'<stop offset="0.45" stop-color="{p["skin"]}" stop-opacity="0"/>'
        f'<stop offset="0.8" stop-color="{p["skin"]}" stop-opacity="0"/>'
        f'<stop offset="1" stop-color="{p["skin_shade"]}" stop-opacity="0.6"/>'
        "</radialGradient></defs>",
        path(d, fill=p["skin"]),
        path(d, fill=f"url(#{gid})"),
    ]


def classic_mouth(st: Style, spec: MouthSpec, pid: str) -> list[str]:
    """Dark brown mouth: a bold line when closed, a filled shape with teeth when open."""
    p = st.p
    if spec.pucker > 0.5:
        return [path(kiss_path(), **stroke(p["line"], 8))]
    m = mouth_geom(spec)
    if not m.is_open:
        return [path(mouth_line(m), **stroke(p["line"], 9))]
    d = mouth_shape(m)
    out = [path(d, fill=p["line"], stroke=p["line"], stroke_width=4, stroke_linejoin="round")]
    gap = m.bottom_y - m.top_y
    inner: list[str] = []
    if spec.smile >= 0.5 and spec.tongue < 0.5:
        # Upper teeth: a white band under the upper lip, clipped to the mouth.
        band = m.top_y + gap * 0.34
        inner.append(
            f'<rect x="{num(m.left[0] - 6)}" y="{num(m.top_y - 30)}" '
            f'width="{num(2 * m.half_width + 12)}" height="{num(band - m.top_y + 30)}" '
            f'fill="{p["teeth"]}"/>'
        )
    if gap > 24 and spec.tongue < 0.5:
        inner.append(
            ellipse((m.centre_x, m.bottom_y + 2), m.half_width * 0.55, gap * 0.3, fill=p["tongue"])
        )
    if inner:
        defs, url = clip(pid, d)
        out = [defs, out[0], f'<g clip-path="{url}">', *inner, "</g>"]
    if spec.tongue >= 0.5:
        t = tongue_path(m, 24 * spec.tongue)
        x = m.centre_x + 5
        out.append(path(t, fill=p["tongue"], stroke=p["line"], stroke_width=4))
        out.append(
            path(
                f"M{pt((x, m.bottom_y - 4))}L{pt((x, m.bottom_y + 12))}",
                **stroke(p["tongue_shade"], 4),
            )
        )
    return out


def classic_eye(st: Style, eye: Eye, c: Point, pid: str, side: str) -> list[str]:
    """One classic eye: brown oval, or a brown line when closed."""
    line = st.p["line"]
    if eye.look == "shut":
        return [path(eye_lid_arc(c, 17, 7), **stroke(line, 8))]
    if eye.look == "happy":
        return [path(eye_lid_arc((c[0], c[1] + 6), 17, -10), **stroke(line, 8))]
    if eye.look == "narrow":
        return [path(almond(c, 15, 3 + 10 * eye.open), fill=line)]
    if eye.look == "lidded":
        ry = 16.0
        lid = c[1] + ry - 2 * ry * eye.open / 0.7
        return [
            path(lidded_ellipse(c, 11, ry, lid), fill=line),
            path(f"M{pt((c[0] - 16, lid))}L{pt((c[0] + 16, lid))}", **stroke(line, 6)),
        ]
    if eye.look == "wide":
        ry = 14 + 9 * eye.open
        return [
            ellipse(c, ry * 0.85, ry, fill=st.p["eye_white"], stroke=line, stroke_width=4),
            ellipse(c, 8, 9.5, fill=line),
        ]
    return [ellipse(c, 12, 7 + 15 * eye.open, fill=line)]


def classic_brows(st: Style, spec: BrowsSpec, pid: str) -> list[str]:
    """Bold round-capped brown strokes."""
    out = []
    for side in ("left", "right"):
        o, k, i = brow_points(spec, side)
        c = brow_control(o, k, i)
        out.append(path(f"M{pt(o)}Q{pt(c)} {pt(i)}", **stroke(st.p["line"], 8)))
    return out


# --- avatar: flat, skin from the photo --------------------------------------------------------


def avatar_face(st: Style, spec: FaceSpec, pid: str) -> list[str]:
    """Head with ears and a hair cap. Skin areas use exactly palette.skin / palette.skin_shade
    so the compose step can swap in the photo's skin tone by string replacement."""
    p = st.p
    s = st.face_scale
    g = face_geom(spec)
    face = smooth_closed(scale_about(face_outline(g), s))
    ear_y = 150.0
    ear_dx = g.hw - 5
    ears = []
    for sign in (-1, 1):
        ((ex, ey),) = scale_about([(CX + sign * ear_dx, ear_y)], s)
        ears.append(ellipse((ex, ey), 13, 22, fill=p["skin"]))
        ears.append(ellipse((ex + sign * 2, ey + 1), 6, 12, fill=p["skin_shade"]))
    hair = smooth_closed(scale_about(hair_outline(spec), s))
    hair_shadow = smooth_closed(scale_about([(x, y + 5) for x, y in hair_outline(spec)], s))
    defs, url = clip(pid, face)
    nose = path(
        f"M{pt((CX - 7, 182))}Q{pt((CX, 189))} {pt((CX + 7, 182))}", **stroke(p["skin_shade"], 5)
    )
    blush = [
        ellipse((CX - 62, 178), 15, 9, fill=p["blush"], opacity=0.35),
        ellipse((CX + 62, 178), 15, 9, fill=p["blush"], opacity=0.35),
    ]
    return [
        defs,
        *ears,
        path(face, fill=p["skin"]),
        # The hair's shadow on the forehead, clipped to the face: a flat-design depth cue.
        f'<g clip-path="{url}">',
        path(hair_shadow, fill=p["skin_shade"]),
        *blush,
        "</g>",
        nose,
        path(hair, fill=p["hair"]),
    ]


def hair_outline(spec: FaceSpec) -> list[Point]:
    """A hair cap: the top of a slightly inflated head outline, closed by a fringe line.

    The cap ends at the temples, above the ears, and the fringe stays above y ~60 in the
    middle so that raised brows remain visible below it.
    """
    g = face_geom(spec)
    big = face_geom(spec, grow=8)
    outline = face_outline(big, steps=96)
    side = g.widest - 38  # temple height: where the sideburns end
    # face_outline runs clockwise on screen from the right, so indices 48..95 are the upper
    # half from left to right; reversed, they go right -> over the top -> left.
    top_arc = [p for p in outline[95:47:-1] if p[1] <= side]
    hairline = g.top + 13
    # (fraction of the head's half width at that height, y): measured against the actual
    # outline so the fringe never cuts outside the head where the skull narrows.
    fringe_shape = [
        (-0.97, side + 2),
        (-0.93, side - 36),
        (-0.68, hairline + 9),
        (-0.2, hairline + 2),
        (0.12, hairline + 9),  # a side parting dip
        (0.45, hairline + 3),
        (0.8, hairline + 14),
        (0.93, side - 30),
        (0.97, side + 2),
    ]
    fringe = [(CX + u * upper_half_width(g, y), y) for u, y in fringe_shape]
    return top_arc + fringe


def avatar_mouth(st: Style, spec: MouthSpec, pid: str) -> list[str]:
    """Coloured lips; open mouths show a dark inside, teeth and tongue."""
    p = st.p
    if spec.pucker > 0.5:
        c = (CX, MOUTH_Y)
        return [
            ellipse(c, 14, 12, fill=p["lips"]),
            ellipse((CX, MOUTH_Y + 1), 5.5, 4.5, fill=p["mouth"]),
        ]
    m = mouth_geom(spec)
    if not m.is_open:
        line = mouth_line(m)
        return [path(line, **stroke(p["lips"], 11)), path(line, **stroke(p["mouth"], 3.5))]
    d = mouth_shape(m)
    gap = m.bottom_y - m.top_y
    inner: list[str] = []
    if spec.smile >= 0.5:
        band = m.top_y + gap * 0.3
        inner.append(
            f'<rect x="{num(m.left[0] - 6)}" y="{num(m.top_y - 30)}" '
            f'width="{num(2 * m.half_width + 12)}" height="{num(band - m.top_y + 30)}" '
            f'fill="{p["teeth"]}"/>'
        )
    if gap > 16:
        inner.append(
            ellipse((m.centre_x, m.bottom_y + 3), m.half_width * 0.6, gap * 0.35, fill=p["tongue"])
        )
    defs, url = clip(pid, d)
    out = [
        defs,
        path(d, fill=p["mouth"]),
        f'<g clip-path="{url}">',
        *inner,
        "</g>",
        path(d, fill="none", stroke=p["lips"], stroke_width=6, stroke_linejoin="round"),
    ]
    if spec.tongue >= 0.5:
        t = tongue_path(m, 24 * spec.tongue)
        x = m.centre_x + 5
        out.append(path(t, fill=p["tongue"], stroke=p["lips"], stroke_width=4))
        out.append(
            path(f"M{pt((x, m.bottom_y - 2))}L{pt((x, m.bottom_y + 12))}", **stroke(p["mouth"], 3))
        )
    return out


def avatar_eye(st: Style, eye: Eye, c: Point, pid: str, side: str) -> list[str]:
    """White of the eye, brown iris, pupil and a catch light; lines for closed eyes."""
    p = st.p
    line = p["line"]
    if eye.look == "shut":
        return [path(eye_lid_arc(c, 17, 6), **stroke(line, 6))]
    if eye.look == "happy":
        return [path(eye_lid_arc((c[0], c[1] + 6), 17, -10), **stroke(line, 6))]
    rx = 17.0
    if eye.look == "wide":
        ry, iris = 13 + 8 * eye.open, 8.0
    elif eye.look == "narrow":
        ry, iris = 3 + 10 * eye.open, 10.0
    else:
        ry, iris = 5 + 14 * eye.open, 10.0
    if eye.look == "lidded":
        ry = 14.0
    sclera = f"M{pt((c[0] - rx, c[1]))}A{num(rx)},{num(ry)} 0 1 1 {pt((c[0] + rx, c[1]))}" + (
        f"A{num(rx)},{num(ry)} 0 1 1 {pt((c[0] - rx, c[1]))}Z"
    )
    defs, url = clip(pid, sclera, f"{side}-clip")
    look_x = c[0] + (1 if side == "left" else -1)  # a hint of convergence looks friendlier
    inner = [
        ellipse((look_x, c[1] + 1), iris, iris, fill=p["iris"]),
        ellipse((look_x, c[1] + 1), iris * 0.5, iris * 0.5, fill=p["pupil"]),
        ellipse((look_x + 3.5, c[1] - 3), 3, 3, fill=p["eye_white"]),
    ]
    if eye.look == "lidded":
        lid = c[1] + ry - 2 * ry * eye.open / 0.7
        inner.append(
            f'<rect x="{num(c[0] - rx - 2)}" y="{num(c[1] - ry - 2)}" '
            f'width="{num(2 * rx + 4)}" height="{num(lid - c[1] + ry + 2)}" '
            f'fill="{p["skin_shade"]}"/>'
        )
        lid_line = path(
            f"M{pt((c[0] - rx - 1, lid))}L{pt((c[0] + rx + 1, lid))}", **stroke(line, 5)
        )
    else:
        # The upper lid line: the top half of the sclera outline, thicker like lashes.
        lid_line = path(
            f"M{pt((c[0] - rx - 1, c[1]))}A{num(rx + 1)},{num(ry + 1)} 0 0 1 "
            f"{pt((c[0] + rx + 1, c[1]))}",
            **stroke(line, 4.5),
        )
    return [
        defs,
        path(sclera, fill=p["eye_white"], stroke=line, stroke_width=2),
        f'<g clip-path="{url}">',
        *inner,
        "</g>",
        lid_line,
    ]


def avatar_brows(st: Style, spec: BrowsSpec, pid: str) -> list[str]:
    """Tapered brows, darker than the hair so that raised brows stay visible against it."""
    out = []
    for side in ("left", "right"):
        o, k, i = brow_points(spec, side)
        out.append(path(tapered_brow(o, k, i, 4, 11), fill=st.p["brow"]))
    return out


# --- lineart: black ink on white --------------------------------------------------------------


def lineart_face(st: Style, spec: FaceSpec, pid: str) -> list[str]:
    """White head with an ink outline, a nose hook and hatched cheeks."""
    p = st.p
    d = smooth_closed(scale_about(face_outline(face_geom(spec)), st.face_scale))
    out = [path(d, fill=p["skin"], stroke=p["line"], stroke_width=7, stroke_linejoin="round")]
    out.append(
        path(
            f"M{pt((CX + 2, 158))}Q{pt((CX - 9, 182))} {pt((CX - 4, 186))}Q{pt((CX + 2, 189))} "
            f"{pt((CX + 8, 186))}",
            **stroke(p["line"], 4),
        )
    )
    for sign in (-1, 1):
        x0 = CX + sign * 70
        for k in range(3):
            x = x0 + k * 8 - 8
            out.append(path(f"M{pt((x - 4, 190))}L{pt((x + 4, 176))}", **stroke(p["line"], 3)))
    return out


def lineart_mouth(st: Style, spec: MouthSpec, pid: str) -> list[str]:
    """Ink mouth: a line when closed, a black opening with white teeth when open."""
    p = st.p
    if spec.pucker > 0.5:
        return [path(kiss_path(), **stroke(p["line"], 6))]
    m = mouth_geom(spec)
    if not m.is_open:
        # Short ticks at the corners, the usual cartoonist's dimples.
        out = [path(mouth_line(m), **stroke(p["line"], 6))]
        if spec.smile >= 0.6:
            for corner, sign in ((m.left, -1), (m.right, 1)):
                a = (corner[0] + sign * 2, corner[1] - 6)
                b = (corner[0] - sign * 3, corner[1] + 6)
                out.append(path(f"M{pt(a)}L{pt(b)}", **stroke(p["line"], 4)))
        return out
    d = mouth_shape(m)
    gap = m.bottom_y - m.top_y
    out = [path(d, fill=p["line"], stroke=p["line"], stroke_width=6, stroke_linejoin="round")]
    inner: list[str] = []
    if spec.smile >= 0.5 and spec.tongue < 0.5:
        band = m.top_y + gap * 0.34
        inner.append(
            f'<rect x="{num(m.left[0] - 6)}" y="{num(m.top_y - 30)}" '
            f'width="{num(2 * m.half_width + 12)}" height="{num(band - m.top_y + 30)}" '
            f'fill="{p["skin"]}" stroke="{p["line"]}" stroke-width="4"/>'
        )
    if inner:
        defs, url = clip(pid, d)
        out = [defs, *out, f'<g clip-path="{url}">', *inner, "</g>"]
        out.append(path(d, fill="none", stroke=p["line"], stroke_width=6, stroke_linejoin="round"))
    if spec.tongue >= 0.5:
        t = tongue_path(m, 24 * spec.tongue)
        x = m.centre_x + 5
        out.append(path(t, fill=p["skin"], stroke=p["line"], stroke_width=5))
        groove = f"M{pt((x, m.bottom_y))}L{pt((x, m.bottom_y + 12))}"
        out.append(path(groove, **stroke(p["line"], 4)))
    return out


def lineart_eye(st: Style, eye: Eye, c: Point, pid: str, side: str) -> list[str]:
    """Ink almond with a solid pupil; arcs for closed eyes."""
    p = st.p
    ink = p["line"]
    if eye.look == "shut":
        return [path(eye_lid_arc(c, 17, 7), **stroke(ink, 6))]
    if eye.look == "happy":
        return [path(eye_lid_arc((c[0], c[1] + 6), 17, -10), **stroke(ink, 6))]
    if eye.look == "wide":
        r = 14 + 8 * eye.open
        return [
            ellipse(c, r, r, fill=p["skin"], stroke=ink, stroke_width=5),
            ellipse(c, 6, 6, fill=ink),
        ]
    if eye.look == "narrow":
        ry = 3 + 10 * eye.open
        slit = almond(c, 18, ry)
        return [path(slit, fill=ink, stroke=ink, stroke_width=4, stroke_linejoin="round")]
    if eye.look == "lidded":
        lid = c[1] - 1
        return [
            path(lidded_ellipse(c, 17, 11, lid), fill=p["skin"], stroke=ink, stroke_width=5),
            ellipse((c[0], c[1] + 4), 6, 5, fill=ink),
            path(f"M{pt((c[0] - 19, lid))}L{pt((c[0] + 19, lid))}", **stroke(ink, 6)),
        ]
    ry = 4 + 15 * eye.open
    shape = almond(c, 19, ry)
    defs, url = clip(pid, shape, f"{side}-clip")
    return [
        defs,
        path(shape, fill=p["skin"]),
        f'<g clip-path="{url}">',
        ellipse(c, 8.5, 8.5, fill=ink),
        "</g>",
        path(shape, fill="none", stroke=ink, stroke_width=5, stroke_linejoin="round"),
    ]


def lineart_brows(st: Style, spec: BrowsSpec, pid: str) -> list[str]:
    """Thin tapered ink brows."""
    out = []
    for side in ("left", "right"):
        o, k, i = brow_points(spec, side)
        out.append(path(tapered_brow(o, k, i, 3, 8), fill=st.p["line"]))
    return out


def pair_eyes(
    draw_eye: Callable[[Style, Eye, Point, str, str], list[str]],
) -> Callable[[Style, EyesSpec, str], list[str]]:
    """Turn a one-eye drawing function into a part drawing function for both eyes."""

    def draw(st: Style, spec: EyesSpec, pid: str) -> list[str]:
        out = draw_eye(st, spec.left, EYE_CENTRES["left"], pid, "left")
        return out + draw_eye(st, spec.right, EYE_CENTRES["right"], pid, "right")

    return draw


STYLES: tuple[Style, ...] = (
    Style(
        name="classic",
        title="Classic",
        description="The familiar yellow emoji: softly shaded yellow face, bold brown features.",
        palette={
            "skin": "#FFCC4D",
            "skin_shade": "#F4900C",
            "skin_light": "#FFE68A",
            "line": "#664500",
            "eye_white": "#FFFFFF",
            "teeth": "#FFFFFF",
            "tongue": "#E8596E",
            "tongue_shade": "#BB1A34",
        },
        draw_face=classic_face,
        draw_mouth=classic_mouth,
        draw_eyes=pair_eyes(classic_eye),
        draw_brows=classic_brows,
    ),
    Style(
        name="avatar",
        title="Avatar",
        description="A flat cartoon avatar in the photo's skin tone, with hair, ears and lips.",
        skin_from_photo=True,
        face_scale=0.95,
        palette={
            "skin": "#F2C7A0",
            "skin_shade": "#D99E76",
            "line": "#3A2A22",
            "hair": "#6A4330",
            "brow": "#35241B",
            "eye_white": "#FFFFFF",
            "iris": "#6B4A2E",
            "pupil": "#1E1410",
            "lips": "#C8555E",
            "mouth": "#5E1E24",
            "teeth": "#FFFFFF",
            "tongue": "#EF7B85",
            "blush": "#FF7A7A",
        },
        draw_face=avatar_face,
        draw_mouth=avatar_mouth,
        draw_eyes=pair_eyes(avatar_eye),
        draw_brows=avatar_brows,
    ),
    Style(
        name="lineart",
        title="Line art",
        description="Black ink line drawing on white, like a quick marker doodle.",
        face_scale=0.97,
        palette={
            # No shading in this style: skin_shade is kept for tools that expect the key.
            "skin": "#FFFFFF",
            "skin_shade": "#FFFFFF",
            "line": "#000000",
        },
        draw_face=lineart_face,
        draw_mouth=lineart_mouth,
        draw_eyes=pair_eyes(lineart_eye),
        draw_brows=lineart_brows,
    ),
)

# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def part_svg(
    pid: str, kind: str, tags: Sequence[str], params: dict[str, float], body: list[str]
) -> str:
    """A complete part document: the SVG root, the JSON metadata and the body elements."""
    rounded = {key: round(value, 3) for key, value in params.items()}
    meta = json.dumps({"id": pid, "kind": kind, "tags": list(tags), "params": rounded})
    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {FRAME} {FRAME}" '
        f'width="{FRAME}" height="{FRAME}">',
        f"  <metadata>{escape(meta)}</metadata>",
        *(f"  {element}" for element in body),
        "</svg>",
    ]
    return "\n".join(lines) + "\n"


def style_parts(style: Style) -> dict[str, str]:
    """All part files of a style as ``{relative path: SVG text}``."""
    variants: list[tuple[str, PartSpec, Callable[..., list[str]]]] = []
    variants += [("face", spec, style.draw_face) for spec in FACES]
    variants += [("eyes", spec, style.draw_eyes) for spec in EYES]
    variants += [("brows", spec, style.draw_brows) for spec in BROWS]
    variants += [("mouth", spec, style.draw_mouth) for spec in MOUTHS]
    files: dict[str, str] = {}
    for kind, spec, draw in variants:
        pid = f"{kind}-{spec.slug}"
        body = draw(style, spec, pid)
        text = part_svg(pid, kind, spec.tags, spec.params(), body)
        files[f"parts/{kind}/{pid}.svg"] = text
    return files


def toml_string(value: str) -> str:
    """A TOML basic string; JSON string escapes are valid TOML for the text used here."""
    return json.dumps(value, ensure_ascii=False)


def style_toml(style: Style) -> str:
    """The ``style.toml`` text of a style."""
    lines = [
        "# Generated by `python -m styles.generate`; edit styles/generate.py instead.",
        f"name = {toml_string(style.name)}",
        f"title = {toml_string(style.title)}",
        f"description = {toml_string(style.description)}",
        f"skin_from_photo = {'true' if style.skin_from_photo else 'false'}",
        "",
        "[palette]",
        *(f"{key} = {toml_string(value)}" for key, value in style.palette.items()),
    ]
    return "\n".join(lines) + "\n"


def write_style(style: Style, out: Path) -> int:
    """Write one style under ``out/<name>/``; returns the number of part files written.

    Existing part SVGs of the style are deleted first so that removed or renamed variants do
    not linger (the index builder would otherwise keep matching them).
    """
    root = out / style.name
    parts_dir = root / "parts"
    if parts_dir.exists():
        for old in sorted(parts_dir.glob("*/*.svg")):
            old.unlink()
    files = style_parts(style)
    files["style.toml"] = style_toml(style)
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8", newline="\n")
    return len(files) - 1


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent,
        help="folder that receives one sub-folder per style (default: the styles package)",
    )
    parser.add_argument(
        "--style",
        action="append",
        choices=[s.name for s in STYLES],
        help="generate only this style (repeatable; default: all)",
    )
    args = parser.parse_args(argv)
    for style in STYLES:
        if args.style and style.name not in args.style:
            continue
        count = write_style(style, args.out)
        print(f"{style.name}: {count} parts -> {args.out / style.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
