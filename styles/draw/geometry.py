"""Shared geometry: parameters -> shapes, identical for every style so that the same variant
lands on the same pixels whatever it looks like.

The expression geometry (faces, mouths, eyes, brows) maps declared parameters to outlines.
The likeness geometry (hair, facial hair, glasses, headwear) is drawn around a ``Head``: the
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
from .svg import Point, lerp, num, pt, smooth_closed, smooth_open

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


def _cos2(phi: float) -> float:
    return math.cos(math.radians(phi)) ** 2


def _bumps(phi: float, count: float, amp: float) -> float:
    """Round lobes along an outline: ``count`` lobes per 180 degrees, ``amp`` px tall."""
    return amp * abs(math.cos(math.radians(phi) * count))


def _fall(head: Head, y: float, extra: float, flare: float = 0.0) -> float:
    """Half width of hair that falls straight down past the widest part of the head."""
    y_widest = 165.0
    base = head.widest(min(y, y_widest)) + extra
    return base + flare * max(0.0, y - y_widest)


def _cap(head: Head, vol: Callable[[float], float], side: float, line: list[Point]) -> str:
    """A closed hair cap: the arc outside the head from ``side`` degrees (image right) over
    the top to ``-side``, closed by ``line`` (the hairline, image left to right)."""
    outer = clamp_view(head.arc(side, -side, vol, step=4))
    return smooth_closed(outer + line)


def _skull(head: Head, extra: float, side: float, bottom: float) -> str:
    """Hair behind the head down to ``side`` degrees, closed behind the face at ``bottom``: it
    fills the gap between a front cap and a narrow face."""
    outer = clamp_view(head.arc(side, -side, extra, step=5))
    inner = rel([(-0.6 * head.narrowest(bottom), bottom), (0, bottom - 10),
                 (0.6 * head.narrowest(bottom), bottom)])
    return smooth_closed(outer + inner)


def _bald(head: Head) -> Shapes:
    top = head.low_top
    return Shapes(
        front=[
            ("shine", smooth_open([(CX - 32, top + 10), (CX - 20, top + 3), (CX - 4, top + 1)])),
            ("shine", smooth_open([(CX + 8, top + 1), (CX + 14, top + 2)])),
        ]
    )


def _temple(head: Head, y: float, inset: float) -> float:
    """A hairline offset at height ``y`` that lies ``inset`` px inside the narrowest face."""
    return head.narrowest(y) - inset


def _strand(head: Head, phi: float, depth: float, end: Point) -> list[Point]:
    """A strand from just inside a cap's outer edge at ``phi`` down to ``end``."""
    start = head.at(phi, 19 * _cos2(phi) - depth)
    mid = ((start[0] + end[0]) / 2 + 2, (start[1] + end[1]) / 2)
    return [start, mid, end]


def _hairline(head: Head, fringe: Sequence[tuple[float, float]], sideburn: float,
              side_ys: Sequence[float] = (98, 112, 126), inset: float = 11.0,
              out: float = 2.0) -> list[Point]:
    """A hairline from the image-left sideburn over the forehead to the image-right one.

    ``fringe`` lists ``(dx, y)`` offsets across the forehead, left to right. At the temples
    the line follows the widest face just inside its edge: a wide face shows its temples, a
    narrow one shows the hair behind it (the back layer) between its edge and the line.
    """
    def side(sign: int) -> list[Point]:
        pts = [(CX + sign * (head.widest(y) - inset), y) for y in side_ys if y < sideburn]
        # The sideburn's lower edge rises outwards: hair tapering behind the ear, not a shelf.
        return pts + [(CX + sign * (head.widest(sideburn) - inset - 6), sideburn),
                      (CX + sign * (head.widest(sideburn) + out), sideburn - 10)]

    inside = [(dx, max(y, head.top_at(dx) + 4)) for dx, y in fringe]
    return side(-1)[::-1] + rel(inside) + side(1)


def _buzz(head: Head) -> Shapes:
    ys = head.y(150) - 14  # sideburn bottom: the top of the ears
    line = _hairline(head, [(-66, 74), (-40, 64), (0, 62), (40, 64), (66, 74)], ys)
    outer = clamp_view(head.arc(88, -88, 3.0, step=4))
    # Stubble-like dots inside the cap (kept off its edge): the texture of a buzz cut.
    inner = clamp_view(head.arc(84, -84, 0.0, step=8)) + [(x, y - 3) for x, y in line[2:-2]]
    return Shapes(
        back=[("shade", _skull(head, 1, 90, 150))],
        front=[("soft", smooth_closed(outer + line)), ("dots", _dots(inner, 8.0))],
    )


def _short(head: Head) -> Shapes:
    ys = head.y(150) - 10
    line = _hairline(head, [(-68, 78), (-52, 67), (-34, 71), (-16, 64), (4, 70), (22, 63),
                            (42, 68), (58, 66), (70, 76)], ys)
    cap = _cap(head, lambda phi: 2 + 17 * _cos2(phi), 86, line)
    strands = [smooth_open(_strand(head, phi, 8, end)) for phi, end in
               ((-24, (CX - 34, 66)), (-6, (CX - 16, 60)), (14, (CX + 22, 59)),
                (-50, (CX - 52, 63)), (40, (CX + 42, 64)))]
    return Shapes(
        back=[("shade", _skull(head, 2, 90, 150))],
        front=[("fill", cap), *(("line", s) for s in strands)],
    )


def _side_part(head: Head) -> Shapes:
    ys = head.y(150) - 10
    part_x = CX - 34

    def vol(phi: float) -> float:
        # The swept side holds more volume than the parted side.
        return 2 + 18 * _cos2(phi) + 6 * max(0.0, math.sin(math.radians(2 * phi + 30)))

    line = _hairline(head, [(-62, 74), (-46, 65), (-32, 59), (-10, 64), (20, 67), (46, 70),
                            (66, 78)], ys, side_ys=(112, 126))
    cap = _cap(head, vol, 86, line)
    strands = [
        smooth_open([head.at(-24, vol(-24) - 7), (part_x + 1, 52), (part_x + 2, 56)]),
        smooth_open([head.at(-12, vol(-12) - 7), head.at(12, vol(12) - 9),
                     head.at(40, vol(40) - 10), (CX + 72, 82)]),
        smooth_open([(part_x + 14, 56), (CX + 8, 58), (CX + 40, 62), (CX + 62, 70)]),
    ]
    return Shapes(
        back=[("shade", _skull(head, 2, 90, 150))],
        front=[("fill", cap), *(("line", s) for s in strands)],
    )


def _scallop_line(points: Sequence[Point], amp: float, count: int) -> list[Point]:
    """Points along a polyline, every other one pushed down by ``amp``: through a spline,
    a row of round lobes (the edge of curls)."""
    out = []
    total = len(points) - 1
    for i in range(total * count):
        t = i / count
        k = int(t)
        f = t - k
        a, b = points[k], points[min(k + 1, total)]
        x, y = lerp(a[0], b[0], f), lerp(a[1], b[1], f)
        lobe = amp if i % 2 else 0.0
        out.append((x, y + lobe))
    out.append(points[-1])
    return out


def _curl(c: Point, r: float) -> str:
    """A small open ring, three quarters of a circle: one curl."""
    return (f"M{pt((c[0] - r, c[1]))}A{num(r)},{num(r)} 0 1 1 {pt((c[0], c[1] + r))}")


def _curly(head: Head) -> Shapes:
    ys = head.y(150) - 4

    def vol(phi: float) -> float:
        return 10 + 10 * _cos2(phi) + _bumps(phi, 9, 6)

    line = _scallop_line(_hairline(head, [(-60, 66), (0, 62), (60, 66)], ys, out=8), 5, 3)
    curls = [_curl(head.at(phi, vol(phi) - depth), 5) for phi, depth in (
        (-60, 14), (-40, 12), (-20, 14), (0, 12), (20, 14), (40, 12), (60, 14), (-30, 26),
        (-8, 26), (14, 26), (36, 26), (-75, 12), (75, 12))]
    back = smooth_closed(clamp_view(head.arc(100, -100, vol, 3))
                         + rel([(-60, 170), (0, 160), (60, 170)]))
    return Shapes(back=[("shade", back)],
                  front=[("fill", _cap(head, vol, 92, line)), *(("line", c) for c in curls)])


def _afro(head: Head) -> Shapes:
    def vol(phi: float) -> float:
        # Full round volume; below the ears it tapers so the afro's outline closes in
        # towards the neck instead of ending in a cut.
        taper = 1.0 - 0.7 * min(1.0, max(0.0, (abs(phi) - 105) / 40))
        return (17 + 5 * _cos2(phi) + _bumps(phi, 11, 4)) * taper

    outer = clamp_view(head.arc(145, -145, vol, 2))
    back = smooth_closed(outer + rel([(-44, 236), (0, 226), (44, 236)]))
    line = _scallop_line(_hairline(head, [(-60, 64), (0, 60), (60, 64)], 130, out=6), 4, 3)
    curls = [_curl(head.at(phi, vol(phi) - depth), 5) for phi, depth in (
        (-60, 12), (-36, 12), (-12, 12), (12, 12), (36, 12), (60, 12), (-24, 24), (0, 24),
        (24, 24), (-120, 12), (120, 12), (-100, 12), (100, 12))]
    return Shapes(
        back=[("fill", back), *(("line", c) for c in curls[-4:])],
        front=[("fill", _cap(head, vol, 88, line)), *(("line", c) for c in curls[:-4])],
    )


def _falling(head: Head, bottom: float, extra: float, flare: float,
             wave: float = 0.0) -> list[Point]:
    """Outline of hair that falls from the crown to ``bottom``: right side down, across the
    back (hidden behind the face and neck), left side up; ``wave`` px of waviness."""
    def side(sign: int) -> list[Point]:
        pts = []
        y = HEAD_OY
        while y <= bottom:
            w = _fall(head, y, extra, flare)
            w += wave * math.sin((y - HEAD_OY) / 11)
            pts.append((CX + sign * w, y))
            y += 10
        return pts

    right, left = side(1), side(-1)
    # Rounded ends: the outer edge turns in above the bottom, the inner edge (beside the
    # neck) rises from it.
    w = _fall(head, bottom, extra, flare)
    end_r = [(CX + w - 8, bottom + 2), (CX + (w + 50) / 2, bottom + 5), (CX + 56, bottom - 4)]
    end_l = [(2 * CX - x, y) for x, y in reversed(end_r)]
    crown = clamp_view(head.arc(-90, 90, lambda phi: extra + 6 * _cos2(phi), 5))
    inner = rel([(46, bottom - 24), (40, 210), (-40, 210), (-46, bottom - 24)])
    return clamp_view(crown + right[:-1] + end_r + inner + end_l + left[:-1][::-1])


def _curtains(head: Head, bottom: float, extra: float, flare: float, wave: float = 0.0,
              part: float = 0.0, bangs: bool = False) -> str:
    """The front of long or medium hair: a cap parted at ``part`` whose sides fall over the
    temples and the edge of the face to ``bottom``."""
    def inner(sign: int) -> list[Point]:
        pts = []
        for y in (112, 140, 170, 200, 230, 260):
            if y >= bottom - 8:
                break
            w = _temple(head, y, 5) + wave * math.sin((y - HEAD_OY) / 11)
            pts.append((CX + sign * w, y))
        return pts

    def outer(sign: int) -> list[Point]:
        pts = []
        y = HEAD_OY
        while y <= bottom:
            w = _fall(head, y, extra, flare) + wave * math.sin((y - HEAD_OY) / 11)
            pts.append((CX + sign * w, y))
            y += 10
        return pts

    crown = clamp_view(head.arc(90, -90, lambda phi: extra + 6 * _cos2(phi), 4))
    left_in, right_in = inner(-1), inner(1)
    fringe = [(CX - _temple(head, 100, 2), 96), (CX - 56, 68), (CX + part - 4, 62),
              (CX + part + 4, 62), (CX + 56, 68), (CX + _temple(head, 100, 2), 96)]
    fringe = [(x, max(y, head.top_at(x - CX) + 4)) for x, y in fringe]
    if bangs:  # a straight fringe just above the brows
        fringe = [(CX - _temple(head, 104, 2), 100), *rel([(-58, 76), (-28, 72), (0, 73),
                                                          (28, 72), (58, 76)]),
                  (CX + _temple(head, 104, 2), 100)]
    pts = (crown + outer(-1) + [(CX - _fall(head, bottom, extra, flare) + 14, bottom + 4)]
           + left_in[::-1] + fringe + right_in
           + [(CX + _fall(head, bottom, extra, flare) - 14, bottom + 4)] + outer(1)[::-1])
    return smooth_closed(clamp_view(pts))


def _long(head: Head, bottom: float, front_bottom: float, wave: float,
          bangs: bool = False) -> Shapes:
    extra, flare = 10.0, 0.08
    # Strands give the hair its grain (and keep ink-drawn long hair from reading as a hood):
    # from the parting over the crown, down the curtains, and on the hair behind.
    strands = [smooth_open([(CX + s * 4, 60), (CX + s * 40, 68), (CX + s * 70, 92),
                            (CX + s * 84, 130)]) for s in (-1, 1)]
    back_strands = []
    for s in (-1, 1):
        for f in (0.35, 0.7):
            pts = []
            for y in range(120, int(front_bottom) - 14, 14):
                inner = _temple(head, y, 5) + wave * math.sin((y - HEAD_OY) / 11)
                outer = _fall(head, y, extra, flare) + wave * math.sin((y - HEAD_OY) / 11)
                pts.append((CX + s * lerp(inner, outer, f), float(y)))
            strands.append(smooth_open(pts))
        x_out = _fall(head, bottom, extra, flare)
        back_strands += [smooth_open([(CX + s * (x_out - d), front_bottom - 6),
                                      (CX + s * (x_out - d - 2), bottom - 8)]) for d in (10, 24)]
    return Shapes(
        back=[("shade", smooth_closed(_falling(head, bottom, extra, flare, wave))),
              *(("line", s) for s in back_strands)],
        front=[("fill", _curtains(head, front_bottom, extra, flare, wave, bangs=bangs)),
               *(("line", s) for s in strands)],
    )


def _medium(head: Head) -> Shapes:
    return _long(head, 232, 222, 0.0, bangs=True)


def _long_straight(head: Head) -> Shapes:
    return _long(head, 290, 250, 0.0)


def _long_wavy(head: Head) -> Shapes:
    return _long(head, 290, 250, 8.0)


def _tight(head: Head) -> tuple[str, list[str]]:
    """Hair pulled back: a thin cap with a high hairline and strands combed to the crown."""
    ys = head.y(150) - 16
    line = _hairline(head, [(-66, 74), (-38, 64), (0, 62), (38, 64), (66, 74)], ys)
    cap = _cap(head, lambda phi: 2 + 6 * _cos2(phi), 88, line)
    strands = [smooth_open([(CX + dx, 59 + abs(dx) * 0.08), head.at(dx * 0.5, 4),
                            head.at(dx * 0.15, 3)]) for dx in (-50, -20, 20, 50)]
    return cap, strands


def _bun(head: Head) -> Shapes:
    cap, strands = _tight(head)
    top = head.top
    bun = (CX, max(VIEW[1] + 16, top - 8))
    return Shapes(
        back=[("shade", _skull(head, 2, 90, 150)),
              ("fill", f"M{pt((bun[0] - 17, bun[1]))}a17,16 0 1 1 34,0a17,16 0 1 1 -34,0Z"),
              ("line", smooth_open([(bun[0] - 9, bun[1] - 6), (bun[0], bun[1] - 10),
                                    (bun[0] + 9, bun[1] - 5)])),
              ("line", smooth_open([(bun[0] - 11, bun[1] + 4), (bun[0] + 2, bun[1] + 1),
                                    (bun[0] + 11, bun[1] + 6)]))],
        front=[("fill", cap), *(("line", s) for s in strands)],
    )


def _ponytail(head: Head) -> Shapes:
    cap, strands = _tight(head)
    tail = smooth_closed(clamp_view(rel([
        (60, 70), (96, 80), (122, 112), (130, 160), (124, 210), (108, 250), (98, 262),
        (100, 232), (104, 190), (98, 140), (74, 104), (40, 96)])))
    tie = ellipse_path((CX + 100, 88), 9, 7)
    return Shapes(
        back=[("shade", _skull(head, 2, 90, 150)), ("fill", tail),
              ("line", smooth_open(rel([(112, 120), (118, 170), (112, 220)]))),
              ("shade", tie)],
        front=[("fill", cap), *(("line", s) for s in strands)],
    )


def ellipse_path(c: Point, rx: float, ry: float) -> str:
    """An ellipse as path data (so that it can carry a role like any other shape)."""
    return (f"M{pt((c[0] - rx, c[1]))}a{num(rx)},{num(ry)} 0 1 1 {num(2 * rx)},0"
            f"a{num(rx)},{num(ry)} 0 1 1 {num(-2 * rx)},0Z")


HAIR_SHAPES: dict[str, Callable[[Head], Shapes]] = {
    "bald": _bald,
    "buzz": _buzz,
    "short": _short,
    "side-part": _side_part,
    "curly": _curly,
    "afro": _afro,
    "medium": _medium,
    "long-straight": _long_straight,
    "long-wavy": _long_wavy,
    "bun": _bun,
    "ponytail": _ponytail,
}


def hair_shapes(slug: str, head: Head) -> Shapes:
    """The geometry of hair style ``slug`` around ``head``."""
    return HAIR_SHAPES[slug](head)


# --- facial hair: drawn over the face, under the mouth (the lips stay visible) ------------------


def _dots(region: Sequence[Point], step: float = 7.0, mark: str = "h0.1") -> str:
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
            if _inside((x + jx, y + jy), region):
                out.append(f"M{pt((x + jx, y + jy))}{mark}")
            x += step
        y += step * 0.87
        row += 1
    return "".join(out)


def _inside(p: Point, poly: Sequence[Point]) -> bool:
    """Point-in-polygon by ray casting."""
    x, y = p
    inside = False
    for (ax, ay), (bx, by) in zip(poly, [*poly[1:], poly[0]], strict=True):
        if (ay > y) != (by > y) and x < ax + (y - ay) * (bx - ax) / (by - ay):
            inside = not inside
    return inside


def _chin(head: Head) -> float:
    """The highest chin of all faces: facial hair reaching below it hangs below every chin."""
    return min(head.y(face_geom(spec).chin) for spec in FACES)


def _moustache_points() -> list[Point]:
    return rel([
        (0, 199), (12, 195), (28, 194), (42, 198), (52, 209), (40, 207), (22, 206), (0, 208),
        (-22, 206), (-40, 207), (-52, 209), (-42, 198), (-28, 194), (-12, 195)])


def _stubble_region(head: Head) -> list[Point]:
    """The lower face of the narrowest face, inset: stubble never spills past a jaw."""
    side = []
    for y in range(168, 300, 8):
        w = head.narrowest(y) - 5
        if w < 8:
            break
        side.append((w, float(y)))
    upper = [(52, 196), (24, 194)]
    return rel([(0, 193), *reversed(upper), *side,
                *[(-dx, y) for dx, y in reversed(side)], *[(-dx, y) for dx, y in upper]])


def _stubble(head: Head) -> Shapes:
    region = _stubble_region(head)
    return Shapes(front=[("stubble", smooth_closed(region)), ("dots", _dots(region))])


def _moustache(head: Head) -> Shapes:
    pts = _moustache_points()
    return Shapes(front=[("fill", smooth_closed(pts)),
                         ("line", smooth_open(rel([(-30, 199), (-12, 201)]))),
                         ("line", smooth_open(rel([(12, 201), (30, 199)])))])


def _goatee(head: Head) -> Shapes:
    bottom = _chin(head) + 6
    chin = smooth_closed(rel([(0, 236), (20, 238), (34, 246), (36, 262), (26, bottom - 6),
                              (0, bottom), (-26, bottom - 6), (-36, 262), (-34, 246),
                              (-20, 238)]))
    # Thin strips down the mouth sides join the moustache and the chin: a circle beard.
    sides = [smooth_closed(rel([(s * 44, 202), (s * 54, 210), (s * 46, 250), (s * 34, 250),
                                (s * 44, 214)])) for s in (-1, 1)]
    return Shapes(front=[("fill", chin), *(("fill", d) for d in sides),
                         ("fill", smooth_closed(_moustache_points())),
                         ("line", smooth_open(rel([(-10, 252), (0, 256), (10, 252)])))])


def _beard(head: Head) -> Shapes:
    top = head.y(150) - 14  # meets the sideburns
    bottom = _chin(head) + 12
    # The sideburns run between the narrowest and the widest face (a little full on narrow
    # faces, a little inside wide ones); the lower jaw follows the widest (square corners).
    side = [(lerp(0.5 * head.widest(y) + 0.5 * head.narrowest(y), head.widest(y),
                  min(1.0, max(0.0, (y - 190) / 50))) + 3, float(y))
            for y in range(int(top), int(bottom) - 14, 10)]
    x_low = side[-1][0]
    side += [(x_low - 12, bottom - 10), (40, bottom - 2)]
    # The upper edge, from the sideburn over the cheek to the moustache.
    upper = [(side[0][0] - 10, top), (side[2][0] - 14, side[2][1] + 4), (74, 204),
             (56, 204), (46, 198), (30, 193)]
    pts = rel([(0, 194), *reversed(upper), *side, (0, bottom),
               *[(-dx, y) for dx, y in reversed(side)], *[(-dx, y) for dx, y in upper]])
    texture = [smooth_open(rel([(s * 80, 196), (s * 76, 212), (s * 78, 226)])) for s in (-1, 1)]
    texture += [smooth_open(rel([(s * 50, 246), (s * 46, 262), (s * 50, 276)])) for s in (-1, 1)]
    texture.append(smooth_open(rel([(-8, 262), (0, 272), (8, 262)])))
    # Hatching below the mouth and on the cheeks, kept off the edges.
    low = [(dx - 12, y) for dx, y in side[:-1] if y >= 214]
    hatch_region = rel([(0, 240), (50, 222), *low, (30, bottom - 14), (-30, bottom - 14),
                        *[(-dx, y) for dx, y in reversed(low)], (-50, 222)])
    return Shapes(front=[("fill", smooth_closed(pts)),
                         ("hatch", _dots(hatch_region, 11.0, "l-2,6")),
                         ("shade", smooth_closed(_moustache_points())),
                         *(("line", t) for t in texture)])


FACIAL_HAIR_SHAPES: dict[str, Callable[[Head], Shapes]] = {
    "stubble": _stubble,
    "moustache": _moustache,
    "goatee": _goatee,
    "beard": _beard,
}


def facial_hair_shapes(slug: str, head: Head) -> Shapes:
    """The geometry of facial hair ``slug`` for ``head``."""
    return FACIAL_HAIR_SHAPES[slug](head)


# --- glasses: around the canonical eye centres -------------------------------------------------


def _round_lens(c: Point) -> str:
    return ellipse_path(c, 27, 26)


def _rect_lens(c: Point) -> str:
    x0, x1, y0, y1, r = c[0] - 33, c[0] + 33, c[1] - 22, c[1] + 20, 9
    return (f"M{pt((x0 + r, y0))}H{num(x1 - r)}Q{pt((x1, y0))} {pt((x1, y0 + r))}"
            f"V{num(y1 - r)}Q{pt((x1, y1))} {pt((x1 - r, y1))}H{num(x0 + r)}"
            f"Q{pt((x0, y1))} {pt((x0, y1 - r))}V{num(y0 + r)}Q{pt((x0, y0))} {pt((x0 + r, y0))}Z")


def _sun_lens(c: Point, side: str) -> str:
    # Wayfarer-like: a broad top edge, the lower edge tapering towards the nose.
    s = -1 if side == "left" else 1
    pts = [(c[0] - 35 * s, c[1] - 21), (c[0] + 33 * s, c[1] - 22), (c[0] + 30 * s, c[1] + 8),
           (c[0] + 18 * s, c[1] + 22), (c[0] - 20 * s, c[1] + 22), (c[0] - 33 * s, c[1] + 4)]
    return smooth_closed(pts)


def glasses_shapes(slug: str, head: Head) -> Shapes:
    """Lenses, rims, bridge and the temple arms' ends for glasses ``slug``."""
    left, right = EYE_CENTRES["left"], EYE_CENTRES["right"]
    if slug == "round":
        lenses, half, bridge_y = [_round_lens(left), _round_lens(right)], 27, 124
    elif slug == "rect":
        lenses, half, bridge_y = [_rect_lens(left), _rect_lens(right)], 33, 118
    else:
        lenses, half, bridge_y = [_sun_lens(left, "left"), _sun_lens(right, "right")], 34, 112
    inner = left[0] + half
    bridge = (f"M{pt((inner - 1, bridge_y + 4))}Q{pt((CX, bridge_y - 6))} "
              f"{pt((2 * CX - inner + 1, bridge_y + 4))}")
    arms = [f"M{pt((left[0] - half, 118))}L{pt((left[0] - half - 12, 114))}",
            f"M{pt((right[0] + half, 118))}L{pt((right[0] + half + 12, 114))}"]
    out: list[tuple[str, str]] = [("lens", d) for d in lenses]
    if slug == "sunglasses":
        for c in (left, right):
            out.append(("glare", f"M{pt((c[0] - 22, c[1] + 2))}L{pt((c[0] - 6, c[1] - 16))}"))
    out += [("frame", d) for d in lenses] + [("bridge", bridge)] + [("bridge", a) for a in arms]
    return Shapes(front=out)


# --- headwear: over the hair; sized to cover every hair cap ------------------------------------


def _dome(head: Head, extra: Callable[[float], float], edge: Sequence[Point]) -> str:
    """A hat's crown: the arc outside the head down to where ``edge`` (the hat's lower edge,
    image left to right) ends, so that the sides meet the edge without a spike."""
    side = _angle_at(head, extra, edge[-1][1] - 2)
    return smooth_closed(clamp_view(head.arc(side, -side, extra, 4)) + list(edge))


def _angle_at(head: Head, extra: Callable[[float], float], y: float) -> float:
    """The angle (degrees, image right) where the arc at ``extra`` reaches height ``y``."""
    lo, hi = 0.0, 179.0
    for _ in range(30):
        mid = (lo + hi) / 2
        if head.at(mid, extra(mid))[1] < y:
            lo = mid
        else:
            hi = mid
    return lo


def _edge(head: Head, centre: float, temple: float, y_temple: float = 116.0,
          out: float = 5.0) -> list[Point]:
    """The lower edge of a hat, image left to right: over the forehead at ``centre`` and down
    to the temples at ``y_temple`` (``out`` px outside the widest face), like a hat pulled on
    a round head rather than a bowl put on top of it."""
    return sym([(0, centre), (36, centre + 2), (66, lerp(centre, temple, 0.45)),
                (head.widest(y_temple - 16) + out - 4, lerp(centre, temple, 0.8)),
                (head.widest(y_temple) + out, y_temple)])


def _beanie(head: Head) -> Shapes:
    def vol(phi: float) -> float:
        return 6 + 15 * _cos2(phi)

    bottom = _edge(head, 90, 116)
    top = _edge(head, 70, 96, y_temple=96, out=7)
    dome = _dome(head, vol, bottom)
    cuff = smooth_closed(bottom[::-1] + top)
    ribs = []
    for (x0, y0), (x1, y1) in zip(top[1:-1], bottom[1:-1], strict=True):
        for f in (0.0, 0.5):
            # Ribs across the cuff, between the points of its two edges.
            ribs.append(f"M{pt((x0 + f * 10, y0 + 3))}L{pt((x1 + f * 10, y1 - 3))}")
    fold = smooth_open([head.at(-60, vol(-60) - 8), head.at(0, vol(0) - 10),
                        head.at(60, vol(60) - 8)])
    return Shapes(front=[("fill", dome), ("shade", cuff), *(("line", r) for r in ribs),
                         ("line", fold)])


def _cap_hat(head: Head) -> Shapes:
    def vol(phi: float) -> float:
        return 5 + 15 * _cos2(phi)

    edge = _edge(head, 82, 112, y_temple=112)
    crown = _dome(head, vol, edge)
    bill = smooth_closed(rel([(-78, 90), (-50, 82), (0, 80), (50, 82), (78, 90), (56, 99),
                              (0, 104), (-56, 99)]))
    under = smooth_closed(rel([(-64, 92), (0, 90), (64, 92), (50, 98), (0, 102), (-50, 98)]))
    top = clamp_view([head.at(0, vol(0))])[0]
    seams = [smooth_open([(top[0], top[1] + 4), head.at(s * 30, vol(30) - 6),
                          (CX + s * 42, 82)]) for s in (-1, 1)]
    return Shapes(front=[("fill", crown), *(("line", s) for s in seams), ("shade", bill),
                         ("accent", under), ("accent", ellipse_path((top[0], top[1] + 4), 6, 4))])


def _brimmed(head: Head) -> Shapes:
    brim_y = 78.0
    crown = smooth_closed(clamp_view(rel([
        (-82, brim_y), (-80, 56), (-70, 38), (-30, 34), (0, 42), (30, 34), (70, 38), (80, 56),
        (82, brim_y)])))
    band = smooth_closed(rel([(-82, brim_y - 16), (0, brim_y - 13), (82, brim_y - 16),
                              (82, brim_y), (0, brim_y + 3), (-82, brim_y)]))
    brim = ellipse_path((CX, brim_y), 130, 14)
    dent = smooth_open(rel([(-6, 44), (0, 58), (6, 44)]))
    return Shapes(front=[("fill", brim), ("shade", ellipse_path((CX, brim_y + 2), 104, 8)),
                         ("fill", crown), ("accent", band), ("line", dent)])


def _headscarf(head: Head) -> Shapes:
    """A hijab-like scarf: covers the hair, the ears and the neck, and frames the face."""
    # As full as the fullest hair (an afro), so that no hair shows around it.
    crown = clamp_view(head.arc(115, -115, lambda phi: 24 + 4 * _cos2(phi), 5))
    # Enough points along the drape that the spline does not overshoot the sticker's edge.
    drape = clamp_view(rel([(-122, 226), (-126, 262), (-122, 289), (-96, 296), (0, 296),
                            (96, 296), (122, 289), (126, 262), (122, 226)]))
    outer = smooth_closed(crown + drape)
    opening = [(head.narrowest(y) - 9, float(y)) for y in (100, 120, 140, 170, 200, 230, 252)]
    # The opening's top stays above raised brows.
    hole = smooth_closed(rel([(0, 64), (28, 66), (46, 76), *opening, (24, 272), (0, 276),
                              (-24, 272), *[(-dx, y) for dx, y in reversed(opening)],
                              (-46, 76), (-28, 66)]))
    folds = [smooth_open(rel([(s * 70, 270), (s * 96, 240), (s * 106, 200)])) for s in (-1, 1)]
    folds.append(smooth_open(rel([(-70, 66), (0, 58), (70, 66)])))
    # One path with the face opening as a second sub-path: styles fill it even-odd.
    return Shapes(front=[("ring", outer + hole), *(("line", f) for f in folds)])


def _turban(head: Head) -> Shapes:
    def vol(phi: float) -> float:
        return 8 + 16 * _cos2(phi)

    # The wraps cross over the middle of the forehead: a shallow V at the front.
    edge = _edge(head, 82, 112, y_temple=112, out=7)
    edge[len(edge) // 2] = (CX, 88)
    dome = _dome(head, vol, edge)
    folds = [
        smooth_open([(CX - 2, 86), head.at(30, vol(30) - 14), head.at(80, vol(80) - 6)]),
        smooth_open([(CX + 2, 86), head.at(-30, vol(-30) - 14), head.at(-80, vol(-80) - 6)]),
        smooth_open([(CX - 8, 74), head.at(20, vol(20) - 4), head.at(56, vol(56) - 3)]),
        smooth_open([(CX + 8, 74), head.at(-20, vol(-20) - 4), head.at(-56, vol(-56) - 3)]),
    ]
    return Shapes(front=[("fill", dome), *(("line", f) for f in folds)])


HEADWEAR_SHAPES: dict[str, Callable[[Head], Shapes]] = {
    "cap": _cap_hat,
    "hat": _brimmed,
    "beanie": _beanie,
    "headscarf": _headscarf,
    "turban": _turban,
}


def headwear_shapes(slug: str, head: Head) -> Shapes:
    """The geometry of headwear ``slug`` around ``head``."""
    return HEADWEAR_SHAPES[slug](head)
