"""Facial hair: stubble, moustache, goatee and full beard, drawn over the face and under the
mouth (the lips stay visible)."""

from __future__ import annotations

from collections.abc import Callable

from .geometry import (
    FACES,
    Head,
    Shapes,
    dots,
    face_geom,
    rel,
)
from .svg import Point, lerp, smooth_closed, smooth_open

# --- facial hair: drawn over the face, under the mouth (the lips stay visible) ------------------


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
    return Shapes(front=[("stubble", smooth_closed(region)), ("dots", dots(region))])


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
                         ("hatch", dots(hatch_region, 11.0, "l-2,6")),
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
