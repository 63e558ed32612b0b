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


def _buzz(head: Head) -> Shapes:
    ys = head.y(150) - 14  # sideburn bottom: the top of the ears
    line = _hairline(head, [(-66, 74), (-40, 64), (0, 62), (40, 64), (66, 74)], ys)
    outer = clamp_view(head.arc(88, -88, 3.0, step=4))
    # Stubble-like dots inside the cap (kept off its edge): the texture of a buzz cut.
    inner = clamp_view(head.arc(84, -84, 0.0, step=8)) + [(x, y - 3) for x, y in line[2:-2]]
    return Shapes(
        back=[("shade", _skull(head, 1, 90, 150))],
        front=[("soft", smooth_closed(outer + line)), ("dots", dots(inner, 8.0))],
    )


def _short(head: Head) -> Shapes:
    ys = head.y(150) - 10
    line = _hairline(head, [(-68, 78), (-52, 67), (-34, 71), (-16, 64), (4, 70), (22, 63),
                            (42, 68), (58, 66), (70, 76)], ys)
    cap = _cap(head, lambda phi: 2 + 17 * cos2(phi), 86, line)
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
        return 2 + 18 * cos2(phi) + 6 * max(0.0, math.sin(math.radians(2 * phi + 30)))

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
        return 10 + 10 * cos2(phi) + bumps(phi, 9, 6)

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
    crown = clamp_view(head.arc(-90, 90, lambda phi: extra + 6 * cos2(phi), 5))
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

    crown = clamp_view(head.arc(90, -90, lambda phi: extra + 6 * cos2(phi), 4))
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
    cap = _cap(head, lambda phi: 2 + 6 * cos2(phi), 88, line)
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
