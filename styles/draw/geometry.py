"""Shared geometry: parameters -> shapes, identical for every style so that the same variant
lands on the same pixels whatever it looks like.

The expression geometry (faces, mouths, eyes, brows) maps declared parameters to outlines.
The likeness geometry (hair.py, facial_hair.py, headwear.py, accessories.py) is drawn
around a ``Head``: the
envelope of all face shapes of a style, so that one hair part fits every face part (the
narrowest and the widest) and parts of the same style line up. Likeness geometry returns
``Shapes``: path data tagged with a role (fill, shade, light, line, ...) per layer; each
style decides how a role looks (flat colour, ink outline, nothing).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from .specs import FACES, BrowsSpec, FaceSpec, MouthSpec
from .svg import Point, lerp, num, pt, smooth_closed

FRAME = 306
CX = 153.0  # vertical symmetry axis of the canonical frame
FACE_CY = 165.0  # centre of the face shapes; the sticker shows y 30..300
EYE_CENTRES: dict[str, Point] = {"left": (107.0, 128.0), "right": (199.0, 128.0)}
MOUTH_Y = 220.0  # height of the mouth corners of a neutral mouth
# The sticker's view box "18 30 270 270" less a small margin: every part stays inside.
VIEW = (22.0, 34.0, 284.0, 296.0)


def scale_about(points: Iterable[Point], s: float, centre: Point = (CX, FACE_CY)) -> list[Point]:
    """Scale points about ``centre``; styles with ears or hair shrink the head to fit."""
    return [(centre[0] + (x - centre[0]) * s, centre[1] + (y - centre[1]) * s) for x, y in points]


def mirror(p: Point) -> Point:
    """Mirror a point across the vertical axis of the frame (left part -> right part)."""
    return (2 * CX - p[0], p[1])


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


def closed_lips(m: MouthGeom, up: float = 6.0, down: float = 7.0) -> str:
    """Closed lips around a closed mouth's line: the upper lip ``up`` px thick at the middle,
    the lower lip ``down`` px, both tapering to the corners."""
    return (
        f"M{pt(m.left)}"
        + lip_curve(m, m.upper - up, 0.4)
        + lip_curve(m, m.upper + down, 0.4, reverse=True)
        + "Z"
    )


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


def brow_points(spec: BrowsSpec, side: str, lift: float = 1.0) -> tuple[Point, Point, Point]:
    """Outer end, peak and inner end of one brow.

    Starts from the canonical brow (75,105)-(96,94)-(133,98), 5 px higher because the
    cartoon eyes are bigger than real ones. ``raise`` lifts the brow and arches it,
    ``furrow`` drops and pulls in the inner end (angry), ``sad`` lifts the inner end and
    drops the outer end (worried). ``lift`` < 1 scales the upward travel down, for styles
    whose smaller head and hairline leave less forehead above the brows.
    """
    up = (spec.raise_ - 0.35) * 28 * lift + 5
    sad_up = 16 * spec.sad * (0.5 + 0.5 * lift)
    outer = (75.0, 105 - up - 4 * spec.furrow + 7 * spec.sad)
    peak = (96.0, 94 - up - 5 * (spec.raise_ - 0.35) * lift + 3 * spec.furrow - 5 * spec.sad)
    inner = (133 + 4 * spec.furrow, 98 - up + 10 * spec.furrow - sad_up)
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
# The head: where a style draws faces, and the envelope likeness parts are drawn around.
# ---------------------------------------------------------------------------------------------

HEAD_OY = 150.0  # centre of the polar envelope (hair and hats are drawn by angle around it)


@dataclass(frozen=True)
class Head:
    """A style's head: every face outline shrunk by ``scale`` about ``(CX, cy)``.

    Styles with hair and hats shrink the head so that volume above it stays inside the
    sticker; scaling about a low centre keeps the chin where it was and frees the top.
    """

    scale: float = 1.0
    cy: float = FACE_CY

    def outline(self, spec: FaceSpec, steps: int = 72) -> list[Point]:
        """The face outline of ``spec`` as drawn in this head."""
        return scale_about(face_outline(face_geom(spec), steps), self.scale, (CX, self.cy))

    def y(self, y: float) -> float:
        """Where a height of the unscaled frame lands (ears, cheeks move with the face)."""
        return self.cy + (y - self.cy) * self.scale

    def half_width(self, spec: FaceSpec, y: float) -> float:
        """Half width of the drawn face ``spec`` at height ``y`` (0 above or below it)."""
        g = face_geom(spec)
        yu = self.cy + (y - self.cy) / self.scale
        if yu <= g.top or yu >= g.chin:
            return 0.0
        if yu <= g.widest:
            t, n = (g.widest - yu) / (g.widest - g.top), g.n_top
        else:
            t, n = (yu - g.widest) / (g.chin - g.widest), g.n_bottom
        s = t ** (n / 2)
        c = math.sqrt(max(0.0, 1 - s * s))
        return self.scale * g.hw * c ** (2 / n)

    def widest(self, y: float) -> float:
        """Half width of the widest face at height ``y``: what hair must cover."""
        return max(self.half_width(spec, y) for spec in FACES)

    def narrowest(self, y: float) -> float:
        """Half width of the narrowest face at ``y``: what is skin in every face."""
        return min(self.half_width(spec, y) for spec in FACES)

    def top_at(self, dx: float) -> float:
        """The highest point of any face at ``dx`` px from the axis: a hairline must stay
        below it, or the hair cap folds over itself and leaves a hole."""
        lo, hi = self.top, FACE_CY
        for _ in range(24):
            mid = (lo + hi) / 2
            if self.widest(mid) >= abs(dx):
                hi = mid
            else:
                lo = mid
        return hi

    @property
    def top(self) -> float:
        """The highest forehead of all faces."""
        return min(self.y(face_geom(spec).top) for spec in FACES)

    @property
    def low_top(self) -> float:
        """The lowest forehead of all faces: a fringe below it lies on every forehead."""
        return max(self.y(face_geom(spec).top) for spec in FACES)

    def radius(self, phi: float) -> float:
        """Envelope radius of all faces at ``phi`` degrees (0 up, 90 image right) around
        ``(CX, HEAD_OY)``."""
        table = _envelope(self.scale, self.cy)
        a = phi % 360.0
        i = int(a)
        return lerp(table[i], table[(i + 1) % 360], a - i)

    def at(self, phi: float, extra: float = 0.0) -> Point:
        """The point at ``phi`` degrees, ``extra`` px outside the envelope."""
        r = self.radius(phi) + extra
        t = math.radians(phi)
        return (CX + r * math.sin(t), HEAD_OY - r * math.cos(t))

    def arc(
        self, phi0: float, phi1: float, extra: float | Callable[[float], float], step: float = 5
    ) -> list[Point]:
        """Points from ``phi0`` to ``phi1`` (degrees) at ``extra`` (px, or a function of the
        angle) outside the envelope."""
        n = max(1, round(abs(phi1 - phi0) / step))
        out = []
        for i in range(n + 1):
            phi = lerp(phi0, phi1, i / n)
            out.append(self.at(phi, extra(phi) if callable(extra) else extra))
        return out


@functools.lru_cache(maxsize=8)
def _envelope(scale: float, cy: float) -> tuple[float, ...]:
    """Largest radius of any face outline per whole degree, around ``(CX, HEAD_OY)``."""
    head = Head(scale, cy)
    best = [0.0] * 360
    for spec in FACES:
        pts = head.outline(spec, steps=720)
        polar = []
        for x, y in pts:
            phi = math.degrees(math.atan2(x - CX, HEAD_OY - y)) % 360
            polar.append((phi, math.hypot(x - CX, y - HEAD_OY)))
        for (a, ra), (b, rb) in zip(polar, polar[1:] + polar[:1], strict=True):
            if abs(b - a) > 180:  # the wrap at the top: unwrap
                if a > b:
                    b += 360
                else:
                    a += 360
            lo, hi = sorted((a, b))
            for d in range(math.ceil(lo), math.floor(hi) + 1):
                t = 0.0 if hi == lo else (d - a) / (b - a)
                r = lerp(ra, rb, t)
                best[d % 360] = max(best[d % 360], r)
    return tuple(best)


# ---------------------------------------------------------------------------------------------
# Likeness geometry: hair, facial hair, glasses and headwear as role-tagged path data.
# ---------------------------------------------------------------------------------------------


@dataclass
class Shapes:
    """A likeness part's geometry: ``(role, path data)`` pairs per layer, back to front.

    Roles: ``fill`` (the main colour), ``shade`` (a darker area), ``light`` (a highlight),
    ``line`` (an open stroke: strands, seams, folds), ``dots`` (stubble, drawn as round dots),
    ``lens`` (a glasses lens), ``frame`` (a glasses rim, stroked), ``shine`` (a bald scalp's
    highlight). A part with only ``front`` shapes is written without layer markers.
    """

    back: list[tuple[str, str]] = field(default_factory=list)
    front: list[tuple[str, str]] = field(default_factory=list)


def clamp_view(points: Iterable[Point]) -> list[Point]:
    """Keep points inside the sticker's view box (volume that would not fit is flattened)."""
    x0, y0, x1, y1 = VIEW
    return [(min(x1, max(x0, x)), min(y1, max(y0, y))) for x, y in points]


def sym(right: Sequence[tuple[float, float]]) -> list[Point]:
    """Offsets ``(dx, y)`` listed from the centre outwards on the image right, mirrored into
    a left-to-right run of absolute points (left side reversed first)."""
    left = [(CX - dx, y) for dx, y in reversed(right) if dx != 0]
    return left + [(CX + dx, y) for dx, y in right]


def rel(points: Iterable[tuple[float, float]]) -> list[Point]:
    """Offsets ``(dx, y)`` from the symmetry axis as absolute points."""
    return [(CX + dx, y) for dx, y in points]


def cos2(phi: float) -> float:
    return math.cos(math.radians(phi)) ** 2


def bumps(phi: float, count: float, amp: float) -> float:
    """Round lobes along an outline: ``count`` lobes per 180 degrees, ``amp`` px tall."""
    return amp * abs(math.cos(math.radians(phi) * count))


def ellipse_path(c: Point, rx: float, ry: float) -> str:
    """An ellipse as path data (so that it can carry a role like any other shape)."""
    return (f"M{pt((c[0] - rx, c[1]))}a{num(rx)},{num(ry)} 0 1 1 {num(2 * rx)},0"
            f"a{num(rx)},{num(ry)} 0 1 1 {num(-2 * rx)},0Z")


def dots(region: Sequence[Point], step: float = 7.0, mark: str = "h0.1") -> str:
    """Stubble: a jittered grid of dots inside ``region`` as one path of zero-length round-
    capped segments (tiny files, and a stroke width sets the dot size). Another ``mark``
    (relative path data) gives hatching."""
    xs = [p[0] for p in region]
    ys = [p[1] for p in region]
    out = []
    row = 0
    y = min(ys) + step / 2
    while y < max(ys):
        x = min(xs) + (step / 2 if row % 2 else 0)
        while x < max(xs):
            jx = ((x * 7.3 + y * 3.1) % 5) - 2.5  # deterministic jitter
            jy = ((x * 2.9 + y * 5.7) % 4) - 2
            if inside((x + jx, y + jy), region):
                out.append(f"M{pt((x + jx, y + jy))}{mark}")
            x += step
        y += step * 0.87
        row += 1
    return "".join(out)


def inside(p: Point, poly: Sequence[Point]) -> bool:
    """Point-in-polygon by ray casting."""
    x, y = p
    inside = False
    for (ax, ay), (bx, by) in zip(poly, [*poly[1:], poly[0]], strict=True):
        if (ay > y) != (by > y) and x < ax + (y - ay) * (bx - ax) / (by - ay):
            inside = not inside
    return inside
