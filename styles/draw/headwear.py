"""Headwear: caps, hats, beanies, scarves and turbans, over the hair and sized to cover every
hair cap."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .geometry import (
    CX,
    VIEW,
    Head,
    Shapes,
    clamp_view,
    cos2,
    dots,
    ellipse_path,
    rel,
    sym,
)
from .svg import Point, lerp, pt, smooth_closed, smooth_open

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
        return 6 + 15 * cos2(phi)

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
        return 5 + 15 * cos2(phi)

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


def _hijab(head: Head) -> Shapes:
    """A hijab: covers all the hair, the ears and the neck, and frames the face."""
    # As full as the fullest hair (an afro), so that no hair shows around it.
    crown = clamp_view(head.arc(115, -115, lambda phi: 24 + 4 * cos2(phi), 5))
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
        return 8 + 16 * cos2(phi)

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


def _headscarf(head: Head) -> Shapes:
    """A scarf tied over the head, knotted at the nape: it covers the crown down behind the
    ears, and the hair shows at the front and below it."""
    def vol(phi: float) -> float:
        return 9 + 14 * cos2(phi)

    # The front edge sits back on the head (the hairline shows under it) and runs down
    # behind the ears.
    edge = sym([(0, 70), (40, 72), (70, 82), (head.widest(110) + 2, 108),
                (head.widest(140) + 8, 140)])
    dome = _dome(head, vol, edge)
    hem = smooth_open([(x, y + 5) for x, y in edge[1:-1]])
    # The knot's ends hang below the jaw on the image right.
    x0 = min(CX + head.widest(150) + 8, VIEW[2] - 22)
    ends = [smooth_closed([(x0 - 8, 140), (x0 + 10, 146), (x0 + 18, 196), (x0 + 6, 200),
                           (x0 - 2, 160)]),
            smooth_closed([(x0 - 4, 146), (x0 + 4, 150), (x0 - 2, 206), (x0 - 12, 202),
                           (x0 - 10, 168)])]
    knot = ellipse_path((x0, 144), 10, 8)
    folds = [smooth_open([head.at(-40, vol(-40) - 8), head.at(0, vol(0) - 12),
                          head.at(40, vol(40) - 8)]),
             smooth_open([head.at(-60, vol(-60) - 6), head.at(-20, vol(-20) - 20),
                          head.at(20, vol(20) - 22)])]
    return Shapes(back=[("fill", e) for e in ends],
                  front=[("fill", dome), ("line", hem), *(("line", f) for f in folds),
                         ("shade", knot)])


def _keffiyeh(head: Head) -> Shapes:
    """A keffiyeh: a checked cloth over the head falling past the shoulders on both sides,
    framing the face, held by the black cords of an agal."""
    crown = clamp_view(head.arc(112, -112, lambda phi: 14 + 6 * cos2(phi), 5))
    opening = [(head.narrowest(y) - 4 + max(0.0, y - 200) * 0.25, float(y))
               for y in (96, 120, 150, 180, 210, 240, 270)]
    # The cloth: over the crown, down the sides to the sticker's bottom, up the face's sides
    # and over the forehead (the face, beard and neck stay open).
    inner_left = rel([(-dx, y) for dx, y in opening])
    inner_right = rel([(dx, y) for dx, y in reversed(opening)])
    bottom = VIEW[3] - 4  # the spline rounds the corners; keep them inside the sticker
    pts = clamp_view(crown + rel([(-124, 226), (-126, 262), (-122, bottom), (-96, bottom),
                                  (-70, bottom)])
                     + inner_left[::-1] + rel([(-40, 84), (0, 80), (40, 84)])
                     + inner_right[::-1] + rel([(70, bottom), (96, bottom), (122, bottom),
                                                (126, 262), (124, 226)]))
    cloth = smooth_closed(pts)
    # The weave's pattern: small diamonds in rows (filled, so no stroke crosses an edge).
    checks = dots(pts, 11.0, "m0,-3.5l3.5,3.5l-3.5,3.5l-3.5,-3.5z")
    cords = [smooth_open(rel([(-96, 108 + k), (-60, 86 + k), (0, 78 + k), (60, 86 + k),
                              (96, 108 + k)])) for k in (0, 9)]
    folds = [smooth_open(rel([(s * 84, 130), (s * 102, 190), (s * 108, 260)])) for s in (-1, 1)]
    return Shapes(front=[("fill", cloth), ("check", checks), *(("line", f) for f in folds),
                         *(("cord", c) for c in cords)])


HEADWEAR_SHAPES: dict[str, Callable[[Head], Shapes]] = {
    "cap": _cap_hat,
    "hat": _brimmed,
    "beanie": _beanie,
    "headscarf": _headscarf,
    "hijab": _hijab,
    "turban": _turban,
    "keffiyeh": _keffiyeh,
}


def headwear_shapes(slug: str, head: Head) -> Shapes:
    """The geometry of headwear ``slug`` around ``head``."""
    return HEADWEAR_SHAPES[slug](head)
