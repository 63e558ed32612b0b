"""Hair: the hair styles as role-tagged shapes around a ``Head`` (a back layer behind the
head, a front layer over the forehead)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from .geometry import (
    CX,
    HEAD_OY,
    VIEW,
    Head,
    Shapes,
    bumps,
    clamp_view,
    cos2,
    dots,
    ellipse_path,
    rel,
)
from .specs import HAIR_BY_SLUG
from .svg import Point, lerp, num, pt, smooth_closed, smooth_open


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
    start = head.at(phi, 19 * cos2(phi) - depth)
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


# The forehead line of each hairline as (dx, y) offsets, image left to right; "fringe" is each
# style's own line (hair down over the forehead).
FRONTS: dict[str, list[tuple[float, float]]] = {
    # Parted high on the image left, the hair swept down across to the right temple.
    "side": [(-62, 74), (-46, 64), (-32, 57), (-16, 66), (8, 72), (30, 76), (50, 80), (66, 86)],
    # Parted in the middle, each side curving down to its temple like curtains.
    "centre": [(-66, 84), (-48, 76), (-26, 66), (0, 57), (26, 66), (48, 76), (66, 84)],
    "swept_back": [(-66, 74), (-38, 64), (0, 62), (38, 64), (66, 74)],
    # Bare temples either side of a forelock: the M of a receding hairline.
    "receding": [(-60, 104), (-54, 86), (-46, 66), (-28, 61), (-12, 69), (0, 75), (12, 69),
                 (28, 61), (46, 66), (54, 86), (60, 104)],
    "widows_peak": [(-66, 74), (-40, 64), (-18, 65), (0, 80), (18, 65), (40, 64), (66, 74)],
}
PART_X = {"side": -32.0, "centre": 0.0}  # where a parting starts on the hairline


def _front(hairline: str, own: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The forehead line of ``hairline``, or the style's ``own`` for a fringe."""
    return list(FRONTS.get(hairline, own))


def _side_ys(hairline: str, default: Sequence[float] = (98, 112, 126)) -> Sequence[float]:
    """Where the line runs down the temples: lower for a receding hairline (bare temples)."""
    return (118, 130) if hairline == "receding" else default


def _line_y(line: Sequence[Point], x: float) -> float:
    """The height of a hairline at ``x`` (its highest crossing: the forehead, not a sideburn)."""
    ys = []
    for (ax, ay), (bx, by) in zip(line, line[1:], strict=False):
        if min(ax, bx) <= x <= max(ax, bx) and ax != bx:
            ys.append(lerp(ay, by, (x - ax) / (bx - ax)))
    return min(ys) if ys else 70.0


def _parting(head: Head, hairline: str, line: Sequence[Point],
             vol: Callable[[float], float]) -> list[tuple[str, str]]:
    """A parting: a line of scalp from the hairline back over the crown (side and centre
    partings), role "part"."""
    if hairline not in PART_X:
        return []
    x = CX + PART_X[hairline]
    y = _line_y(line, x)
    phi = PART_X[hairline] * 0.6
    return [("part", smooth_open([(x, y - 1), (x + 1, y - 12), head.at(phi, vol(phi) - 8)]))]


def _buzz(head: Head, hairline: str = "fringe") -> Shapes:
    ys = head.y(150) - 14  # sideburn bottom: the top of the ears
    own = [(-66, 74), (-40, 64), (0, 62), (40, 64), (66, 74)]
    line = _hairline(head, _front(hairline, own), ys, side_ys=_side_ys(hairline))
    outer = clamp_view(head.arc(88, -88, 3.0, step=4))
    # Stubble-like dots inside the cap (kept off its edge): the texture of a buzz cut.
    inner = clamp_view(head.arc(84, -84, 0.0, step=8)) + [(x, y - 3) for x, y in line[2:-2]]
    return Shapes(
        back=[("shade", _skull(head, 1, 90, 150))],
        front=[("soft", smooth_closed(outer + line)), ("dots", dots(inner, 8.0))],
    )


def _short(head: Head, hairline: str = "fringe") -> Shapes:
    ys = head.y(150) - 10
    own = [(-68, 82), (-52, 72), (-34, 76), (-16, 70), (4, 75), (22, 69), (42, 74), (58, 72),
           (70, 80)]
    line = _hairline(head, _front(hairline, own), ys, side_ys=_side_ys(hairline))

    def vol(phi: float) -> float:
        return 2 + 17 * cos2(phi)

    cap = _cap(head, vol, 86, line)
    strands = [smooth_open(_strand(head, phi, 8, (CX + dx, _line_y(line, CX + dx) - 5)))
               for phi, dx in ((-24, -34), (-6, -16), (14, 22), (-50, -52), (40, 42))
               if hairline not in PART_X or abs(dx - PART_X[hairline]) > 8]
    return Shapes(
        back=[("shade", _skull(head, 2, 90, 150))],
        front=[("fill", cap), *(("line", s) for s in strands),
               *_parting(head, hairline, line, vol)],
    )


def _side_part(head: Head, hairline: str = "side") -> Shapes:
    ys = head.y(150) - 10
    part_x = CX - 34

    def vol(phi: float) -> float:
        # The swept side holds more volume than the parted side.
        return 2 + 18 * cos2(phi) + 6 * max(0.0, math.sin(math.radians(2 * phi + 30)))

    line = _hairline(head, _front(hairline, FRONTS["side"]), ys,
                     side_ys=_side_ys(hairline, (112, 126)))
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


def _combed_back(head: Head, line: Sequence[Point], vol: Callable[[float], float],
                 xs: Sequence[float], sweep: float = 0.0) -> list[str]:
    """Strands combed from the hairline up and back over the crown (slicked back, a quiff);
    ``sweep`` bends them towards the image right."""
    out = []
    for dx in xs:
        y = _line_y(line, CX + dx)
        phi = dx * 0.5 + sweep
        out.append(smooth_open([(CX + dx, y - 3), (CX + dx * 1.05 + sweep * 0.3, y - 16),
                                head.at(phi, vol(phi) - 7)]))
    return out


def _swept_back(head: Head, hairline: str = "swept_back") -> Shapes:
    ys = head.y(150) - 12
    line = _hairline(head, _front(hairline, FRONTS["swept_back"]), ys,
                     side_ys=_side_ys(hairline))

    def vol(phi: float) -> float:
        return 3 + 12 * cos2(phi)

    cap = _cap(head, vol, 86, line)
    strands = _combed_back(head, line, vol, (-54, -32, -12, 10, 30, 52))
    return Shapes(back=[("shade", _skull(head, 2, 90, 150))],
                  front=[("fill", cap), *(("line", s) for s in strands)])


def _quiff(head: Head, hairline: str = "swept_back") -> Shapes:
    ys = head.y(150) - 12
    line = _hairline(head, _front(hairline, FRONTS["swept_back"]), ys,
                     side_ys=_side_ys(hairline))

    def vol(phi: float) -> float:
        # Cropped close at the sides, a tall tuft brushed up over the forehead.
        return 2 + 5 * cos2(phi) + 22 * math.exp(-((phi - 6) / 26) ** 2)

    cap = _cap(head, vol, 86, line)
    strands = _combed_back(head, line, vol, (-30, -12, 6, 24), sweep=8)
    # The underside of the roll that curls forward at the front of the tuft.
    roll = smooth_closed([head.at(-34, vol(-34) - 4), head.at(-10, vol(-10) - 8),
                          head.at(22, vol(22) - 6), head.at(38, vol(38) - 2),
                          head.at(20, vol(20) - 14), head.at(-12, vol(-12) - 16)])
    return Shapes(back=[("shade", _skull(head, 2, 90, 150))],
                  front=[("fill", cap), ("shade", roll), *(("line", s) for s in strands)])


def _pixie(head: Head, hairline: str = "side") -> Shapes:
    ys = head.y(150) + 2  # wispy sideburns in front of the ears

    def vol(phi: float) -> float:
        return 3 + 10 * cos2(phi)

    # A long side-swept fringe: from the parting on the image left, across the forehead in
    # feathered points, longest over the image-right brow.
    fringe = [(-64, 80), (-50, 68), (-34, 60), (-22, 70), (-8, 80), (6, 86), (20, 90),
              (36, 92), (50, 90), (62, 86), (70, 94)]
    line = _hairline(head, fringe, ys, side_ys=(112, 128))
    mid = line[3:-3]
    feathered = line[:3] + _scallop_line(mid, -6, 2) + line[-3:]
    cap = _cap(head, vol, 88, feathered)
    strands = [smooth_open([head.at(phi, vol(phi) - 6), (CX + end_dx, end_y)])
               for phi, end_dx, end_y in ((-34, 4, 80), (-20, 28, 84), (-6, 50, 82),
                                          (-46, -20, 66))]
    return Shapes(back=[("shade", _skull(head, 2, 90, 150))],
                  front=[("fill", cap), *(("line", s) for s in strands)])


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


def _curly(head: Head, hairline: str = "fringe") -> Shapes:
    ys = head.y(150) - 4

    def vol(phi: float) -> float:
        return 10 + 10 * cos2(phi) + bumps(phi, 9, 6)

    own = [(-60, 66), (0, 62), (60, 66)]
    line = _scallop_line(_hairline(head, _front(hairline, own), ys, out=8,
                                   side_ys=_side_ys(hairline)), 5, 3)
    curls = [_curl(head.at(phi, vol(phi) - depth), 5) for phi, depth in (
        (-60, 14), (-40, 12), (-20, 14), (0, 12), (20, 14), (40, 12), (60, 14), (-30, 26),
        (-8, 26), (14, 26), (36, 26), (-75, 12), (75, 12))]
    back = smooth_closed(clamp_view(head.arc(100, -100, vol, 3))
                         + rel([(-60, 170), (0, 160), (60, 170)]))
    return Shapes(back=[("shade", back)],
                  front=[("fill", _cap(head, vol, 92, line)), *(("line", c) for c in curls)])


def _afro(head: Head, hairline: str = "fringe") -> Shapes:
    def vol(phi: float) -> float:
        # Full round volume; below the ears it tapers so the afro's outline closes in
        # towards the neck instead of ending in a cut.
        taper = 1.0 - 0.7 * min(1.0, max(0.0, (abs(phi) - 105) / 40))
        return (17 + 5 * cos2(phi) + bumps(phi, 11, 4)) * taper

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
             wave: float = 0.0, period: float = 11.0) -> list[Point]:
    """Outline of hair that falls from the crown to ``bottom``: right side down, across the
    back (hidden behind the face and neck), left side up; ``wave`` px of waviness."""
    def side(sign: int) -> list[Point]:
        pts = []
        y = HEAD_OY
        while y <= bottom:
            w = _fall(head, y, extra, flare)
            w += wave * math.sin((y - HEAD_OY) / period)
            pts.append((CX + sign * w, y))
            y += 10
        return pts

    right, left = side(1), side(-1)
    # Rounded ends: the outer edge turns in above the bottom, the inner edge (beside the
    # neck) rises from it.
    w = _fall(head, bottom, extra, flare)
    end_r = [(CX + w - 8, bottom + 2), (CX + (w + 50) / 2, bottom + 5), (CX + 56, bottom - 4)]
    end_l = [(2 * CX - x, y) for x, y in reversed(end_r)]
    crown = clamp_view(head.arc(-90, 90, lambda phi: extra + 6 * cos2(phi), 5))
    inner = rel([(46, bottom - 24), (40, 210), (-40, 210), (-46, bottom - 24)])
    return clamp_view(crown + right[:-1] + end_r + inner + end_l + left[:-1][::-1])


def _curtains(head: Head, bottom: float, extra: float, flare: float, wave: float = 0.0,
              part: float = 0.0, bangs: bool = False, period: float = 11.0) -> str:
    """The front of long or medium hair: a cap parted at ``part`` whose sides fall over the
    temples and the edge of the face to ``bottom``."""
    def inner(sign: int) -> list[Point]:
        pts = []
        for y in (112, 140, 170, 200, 230, 260):
            if y >= bottom - 8:
                break
            w = _temple(head, y, 5) + wave * math.sin((y - HEAD_OY) / period)
            pts.append((CX + sign * w, y))
        return pts

    def outer(sign: int) -> list[Point]:
        pts = []
        y = HEAD_OY
        while y <= bottom:
            w = _fall(head, y, extra, flare) + wave * math.sin((y - HEAD_OY) / period)
            pts.append((CX + sign * w, y))
            y += 10
        return pts

    crown = clamp_view(head.arc(90, -90, lambda phi: extra + 6 * cos2(phi), 4))
    left_in, right_in = inner(-1), inner(1)
    fringe = [(CX - _temple(head, 100, 2), 96), (CX - 56, 68), (CX + part - 4, 62),
              (CX + part + 4, 62), (CX + 56, 68), (CX + _temple(head, 100, 2), 96)]
    fringe = [(x, max(y, head.top_at(x - CX) + 4)) for x, y in fringe]
    if part < 0:  # a side parting: the hair sweeps across the forehead to the other side
        fringe = [(CX - _temple(head, 100, 2), 96), (CX - 54, 70), (CX + part - 2, 60),
                  (CX + part + 6, 62), (CX + 10, 72), (CX + 44, 82),
                  (CX + _temple(head, 108, 2), 106)]
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
          hairline: str = "centre", extra: float = 10.0, flare: float = 0.08,
          period: float = 11.0) -> Shapes:
    """Hair that falls past the face: ``hairline`` fringe (bangs), centre or side parting;
    ``period`` (px) the wavelength of the ``wave``."""
    part = PART_X.get(hairline, 0.0)

    def waved(y: float) -> float:
        return wave * math.sin((y - HEAD_OY) / period)

    # Strands give the hair its grain (and keep ink-drawn long hair from reading as a hood):
    # from the parting over the crown, down the curtains, and on the hair behind.
    strands = []
    if hairline != "fringe":
        strands = [smooth_open([(CX + part + s * 4, 60), (CX + s * 40 + part * 0.3, 68),
                                (CX + s * 70, 92), (CX + s * 84, 130)]) for s in (-1, 1)]
    back_strands = []
    for s in (-1, 1):
        for f in (0.35, 0.7):
            pts = []
            for y in range(120, int(front_bottom) - 14, 14):
                inner = _temple(head, y, 5) + waved(y)
                outer = _fall(head, y, extra, flare) + waved(y)
                pts.append((CX + s * lerp(inner, outer, f), float(y)))
            strands.append(smooth_open(pts))
        x_out = _fall(head, bottom, extra, flare)
        back_strands += [smooth_open([(CX + s * (x_out - d), front_bottom - 6),
                                      (CX + s * (x_out - d - 2), bottom - 8)]) for d in (10, 24)]
    return Shapes(
        back=[("shade", smooth_closed(_falling(head, bottom, extra, flare, wave, period))),
              *(("line", s) for s in back_strands)],
        front=[("fill", _curtains(head, front_bottom, extra, flare, wave, part=part,
                                  bangs=hairline == "fringe", period=period)),
               *(("line", s) for s in strands)],
    )


def _medium(head: Head, hairline: str = "fringe") -> Shapes:
    return _long(head, 262, 252, 0.0, hairline)


def _bob(head: Head, hairline: str = "side") -> Shapes:
    # Chin length, cut blunt, full at the jaw: the bob's helmet outline.
    return _long(head, 238, 236, 0.0, hairline, extra=12.0, flare=0.14)


def _long_straight(head: Head, hairline: str = "centre") -> Shapes:
    return _long(head, 290, 250, 0.0, hairline)


def _long_wavy(head: Head, hairline: str = "centre") -> Shapes:
    return _long(head, 290, 250, 8.0, hairline)


def _long_curly(head: Head, hairline: str = "centre") -> Shapes:
    shapes = _long(head, 288, 256, 5.0, hairline, extra=13.0, flare=0.08, period=5.0)
    # Ringlets over the hair that falls past the face and on the crown.
    curls = []
    for s in (-1, 1):
        for y in range(138, 250, 22):
            inner, outer = _temple(head, y, 5), _fall(head, y, 13.0, 0.08)
            for f in (0.3, 0.75):
                curls.append(_curl((CX + s * lerp(inner, outer, f), y + 11 * f), 5))
    curls += [_curl(head.at(phi, 10), 5) for phi in (-50, -25, 25, 50)]
    shapes.front += [("line", c) for c in curls]
    return shapes


def _tight(head: Head, hairline: str = "swept_back",
           vol: Callable[[float], float] | None = None) -> tuple[str, list[tuple[str, str]]]:
    """Hair pulled back: a thin cap with a high hairline and strands combed to the crown (and
    a parting where the hairline has one); the strands come with their roles."""
    ys = head.y(150) - 16
    line = _hairline(head, _front(hairline, FRONTS["swept_back"]), ys,
                     side_ys=_side_ys(hairline))

    def thin(phi: float) -> float:
        return 2 + 6 * cos2(phi)

    vol = vol or thin
    cap = _cap(head, vol, 88, line)
    strands = [smooth_open([(CX + dx, _line_y(line, CX + dx) - 3), head.at(dx * 0.5, 4),
                            head.at(dx * 0.15, 3)]) for dx in (-50, -20, 20, 50)
               if hairline not in PART_X or abs(dx - PART_X[hairline]) > 14]
    return cap, [("line", d) for d in strands] + _parting(head, hairline, line, vol)


def _bun(head: Head, hairline: str = "swept_back") -> Shapes:
    cap, strands = _tight(head, hairline)
    top = head.top
    bun = (CX, max(VIEW[1] + 16, top - 8))
    return Shapes(
        back=[("shade", _skull(head, 2, 90, 150)),
              ("fill", f"M{pt((bun[0] - 17, bun[1]))}a17,16 0 1 1 34,0a17,16 0 1 1 -34,0Z"),
              ("line", smooth_open([(bun[0] - 9, bun[1] - 6), (bun[0], bun[1] - 10),
                                    (bun[0] + 9, bun[1] - 5)])),
              ("line", smooth_open([(bun[0] - 11, bun[1] + 4), (bun[0] + 2, bun[1] + 1),
                                    (bun[0] + 11, bun[1] + 6)]))],
        front=[("fill", cap), *strands],
    )


def _bun_low(head: Head, hairline: str = "swept_back") -> Shapes:
    """A low bun at the nape: seen from the front, it shows beside the jaw (image right)."""
    cap, strands = _tight(head, hairline)
    c = (min(CX + head.widest(205) + 4, VIEW[2] - 22), 214.0)
    swirl = [smooth_open([(c[0] - 14, c[1] - 4), (c[0] - 2, c[1] - 12), (c[0] + 12, c[1] - 6)]),
             smooth_open([(c[0] - 12, c[1] + 8), (c[0] + 2, c[1] + 2), (c[0] + 14, c[1] + 8)])]
    tail = smooth_closed([(CX + head.widest(150) - 6, 150), (CX + head.widest(170) + 6, 178),
                          (c[0] - 6, c[1] - 20), (c[0] - 14, c[1] - 8),
                          (CX + head.widest(180) - 8, 186)])
    return Shapes(
        back=[("shade", _skull(head, 2, 90, 150)), ("shade", tail),
              ("fill", ellipse_path(c, 21, 19)), *(("line", w) for w in swirl)],
        front=[("fill", cap), *strands],
    )


def _updo(head: Head, hairline: str = "swept_back") -> Shapes:
    """Hair swept up into a full twist on the crown, with loose tendrils at the temples."""
    def vol(phi: float) -> float:
        return 3 + 10 * cos2(phi)

    cap, strands = _tight(head, hairline, vol)
    top = head.at(0, vol(0))
    twist_c = (CX + 4, max(VIEW[1] + 20, top[1] - 2))
    twist = ellipse_path(twist_c, 40, 20)
    swirl = [smooth_open([(twist_c[0] - 30, twist_c[1] + 6), (twist_c[0] - 6, twist_c[1] - 12),
                          (twist_c[0] + 24, twist_c[1] - 8), (twist_c[0] + 30, twist_c[1] + 4)]),
             smooth_open([(twist_c[0] - 16, twist_c[1] + 10), (twist_c[0] + 4, twist_c[1] - 2),
                          (twist_c[0] + 18, twist_c[1] + 6)])]
    tendrils = []
    for s in (-1, 1):
        x = CX + s * (head.narrowest(130) + 2)
        tendrils.append(smooth_open([(x - s * 6, 104), (x + s * 2, 128), (x - s * 2, 152),
                                     (x + s * 4, 176)]))
    return Shapes(
        back=[("shade", _skull(head, 2, 90, 150)), ("fill", twist),
              *(("line", w) for w in swirl)],
        front=[("fill", cap), *strands,
               *(("lock", t) for t in tendrils)],
    )


def _afro_puff(head: Head, hairline: str = "centre") -> Shapes:
    """Afro puffs: the hair parted and pulled up into two round, curly puffs high on the
    sides of the head."""
    cap, strands = _tight(head, hairline)
    puffs: list[tuple[str, str]] = []
    for sign in (-1, 1):
        c = head.at(sign * 58, 14)
        r = 30.0
        outline = []
        for i in range(60):
            t = math.radians(i * 6)
            bump = 1 + 0.08 * abs(math.cos(t * 5))
            outline.append((c[0] + r * bump * math.sin(t), c[1] - r * bump * math.cos(t)))
        puffs.append(("fill", smooth_closed(clamp_view(outline))))
        puffs += [("line", _curl((c[0] + dx, c[1] + dy), 5))
                  for dx, dy in ((-12, -10), (10, -12), (-2, 4), (14, 8), (-14, 12))]
    return Shapes(back=[("shade", _skull(head, 2, 90, 150)), *puffs],
                  front=[("fill", cap), *strands])


def _ponytail(head: Head, hairline: str = "swept_back") -> Shapes:
    cap, strands = _tight(head, hairline)
    tail = smooth_closed(clamp_view(rel([
        (60, 70), (96, 80), (122, 112), (130, 160), (124, 210), (108, 250), (98, 262),
        (100, 232), (104, 190), (98, 140), (74, 104), (40, 96)])))
    tie = ellipse_path((CX + 100, 88), 9, 7)
    return Shapes(
        back=[("shade", _skull(head, 2, 90, 150)), ("fill", tail),
              ("line", smooth_open(rel([(112, 120), (118, 170), (112, 220)]))),
              ("shade", tie)],
        front=[("fill", cap), *strands],
    )


def _rope(points: Sequence[Point], width: float) -> str:
    """A closed tube of ``width`` along a polyline with round ends (a loc, a plait)."""
    left, right = [], []
    for i, (x, y) in enumerate(points):
        a = points[max(0, i - 1)]
        b = points[min(len(points) - 1, i + 1)]
        dx, dy = b[0] - a[0], b[1] - a[1]
        n = math.hypot(dx, dy) or 1.0
        nx, ny = -dy / n * width / 2, dx / n * width / 2
        left.append((x + nx, y + ny))
        right.append((x - nx, y - ny))
    end, start = points[-1], points[0]
    tip = (end[0] + (end[0] - points[-2][0]) * 0.2, end[1] + width * 0.45)
    root = (start[0], start[1] - width * 0.3)
    return smooth_closed([root, *left, tip, *right[::-1]])


def _inset(points: Sequence[Point], margin: float) -> list[Point]:
    """Points kept ``margin`` px inside the sticker's view (for shapes drawn around them)."""
    x0, y0, x1, y1 = VIEW
    return [(min(x1 - margin, max(x0 + margin, x)), min(y1 - margin, max(y0 + margin, y)))
            for x, y in points]


def _braids(head: Head, hairline: str = "centre") -> Shapes:
    """Two plaits from behind the ears down in front of the shoulders, a centre parting."""
    cap, strands = _tight(head, hairline)
    back = [("shade", _skull(head, 2, 100, 170))]
    plaits: list[tuple[str, str]] = []
    for s in (-1, 1):
        x0 = CX + s * (head.widest(150) - 2)
        lobes, ticks = [], []
        y = 150.0
        k = 0
        while y < 268:
            x = x0 + s * (y - 150) * 0.03
            tilt = 5 if k % 2 else -5
            lobe = smooth_closed([(x - 12, y + tilt * 0.4), (x, y - 9), (x + 12, y - tilt * 0.4),
                                  (x, y + 12)])
            lobes.append(("fill", lobe))
            ticks.append(("line", smooth_open([(x - 7, y + tilt * 0.3 - 1), (x, y + 5),
                                               (x + 7, y - tilt * 0.3 - 1)])))
            y += 15
            k += 1
        x_end = x0 + s * (y - 150) * 0.03
        tuft = smooth_closed([(x_end - 5, y - 6), (x_end + 5, y - 6), (x_end + 8, y + 10),
                              (x_end, y + 6), (x_end - 8, y + 10)])
        plaits += [*lobes, *ticks, ("fill", tuft),
                   ("accent", ellipse_path((x_end, y - 6), 7, 4))]
    return Shapes(back=back + plaits,
                  front=[("fill", cap), *strands])


def _locs(head: Head, hairline: str = "centre") -> Shapes:
    """Locs: rope-like strands from a centre parting, falling past the shoulders."""
    def vol(phi: float) -> float:
        return 6 + 8 * cos2(phi)

    cap, strands = _tight(head, hairline, vol)
    back_ropes, front_ropes = [], []
    for s in (-1, 1):
        # Behind the head: the outer ropes, longest at the back.
        for k, (out, length) in enumerate(((2, 284), (14, 270), (24, 250))):
            x0 = CX + s * (head.widest(130) + out)
            pts = [(x0 + s * 2 * math.sin(y / 17 + k), float(y))
                   for y in range(120, length, 12)]
            back_ropes.append(_rope(_inset(pts, 9), 15))
        # In front: ropes over the temples and down beside the face.
        for k, (inset, length) in enumerate(((6, 262), (-8, 276))):
            x0 = CX + s * (head.widest(112) - inset)
            pts = [(x0 + s * (y - 100) * 0.06 + s * 2 * math.sin(y / 15 + k), float(y))
                   for y in range(96, length, 12)]
            front_ropes.append(_rope(_inset(pts, 9), 14))
    crown = [smooth_open([(CX + dx, _line_y_default(dx)), head.at(dx * 0.4, vol(dx * 0.4) - 6)])
             for dx in (-44, -22, 22, 44)]
    return Shapes(
        back=[("shade", _skull(head, 4, 100, 170)), *(("fill", r) for r in back_ropes),
              *(("line", r) for r in back_ropes)],
        front=[("fill", cap), *strands, *(("line", c) for c in crown),
               *(("fill", r) for r in front_ropes), *(("line", r) for r in front_ropes)],
    )


def _line_y_default(dx: float) -> float:
    """Height of the swept-back hairline at ``dx`` (where crown lines start)."""
    pts = rel(FRONTS["swept_back"])
    return _line_y(pts, CX + dx) - 4


def _cornrows(head: Head, hairline: str = "swept_back") -> Shapes:
    """Cornrows: braided rows flat on the scalp, running straight back from the hairline."""
    ys = head.y(150) - 14
    line = _hairline(head, _front(hairline, FRONTS["swept_back"]), ys)

    def vol(phi: float) -> float:
        return 2 + 4 * cos2(phi)

    cap = _cap(head, vol, 88, line)
    rows, ticks = [], []
    for dx in (-58, -36, -12, 12, 36, 58):
        y0 = _line_y(line, CX + dx) - 2
        end = head.at(dx * 0.35, vol(dx * 0.35) - 3)
        a, c = (CX + dx, y0), (CX + dx * 0.9, (y0 + end[1]) / 2)
        rows.append(smooth_open([a, c, end]))
        for i in range(1, 6):
            t = i / 6
            x = (1 - t) ** 2 * a[0] + 2 * t * (1 - t) * c[0] + t * t * end[0]
            y = (1 - t) ** 2 * a[1] + 2 * t * (1 - t) * c[1] + t * t * end[1]
            ticks.append(f"M{pt((x - 5, y + 2))}L{pt((x, y - 2))}L{pt((x + 5, y + 2))}")
    return Shapes(back=[("shade", _skull(head, 1, 90, 150))],
                  front=[("fill", cap), *(("line", r) for r in rows),
                         ("hatch", "".join(ticks))])


HAIR_SHAPES: dict[str, Callable[[Head, str], Shapes]] = {
    "bald": lambda head, hairline: _bald(head),
    "buzz": _buzz,
    "short": _short,
    "side_part": _side_part,
    "swept_back": _swept_back,
    "quiff": _quiff,
    "curly": _curly,
    "afro": _afro,
    "afro_puff": _afro_puff,
    "pixie": _pixie,
    "bob": _bob,
    "medium": _medium,
    "long_straight": _long_straight,
    "long_wavy": _long_wavy,
    "long_curly": _long_curly,
    "bun": _bun,
    "bun_low": _bun_low,
    "updo": _updo,
    "ponytail": _ponytail,
    "braids": _braids,
    "locs": _locs,
    "cornrows": _cornrows,
}


def hair_shapes(slug: str, head: Head) -> Shapes:
    """The geometry of the hair part ``slug`` (a style and a hairline, specs.HAIRS) around
    ``head``."""
    spec = HAIR_BY_SLUG[slug]
    style = spec.tags[1]
    hairline = spec.tags[2] if len(spec.tags) > 2 else "fringe"
    return HAIR_SHAPES[style](head, hairline)
