"""Accessories and marks around the face: glasses (around the canonical eye centres), earrings
(at the ear lobes) and signs of age (lines on the skin)."""

from __future__ import annotations

from .geometry import (
    CX,
    EYE_CENTRES,
    Head,
    Shapes,
    ellipse_path,
    face_geom,
    rel,
)
from .specs import FaceSpec
from .svg import Point, num, pt, smooth_closed, smooth_open

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


# --- earrings: at the ear lobes, which move with the face's width ------------------------------


def earring_width(slug: str) -> float:
    """The face width (FaceSpec.width) an earrings part is drawn for: ``w45`` -> 0.45."""
    return int(slug.lstrip("w")) / 100


def earrings_shapes(slug: str, head: Head) -> Shapes:
    """A small stud at each ear lobe of a face of width ``earring_width(slug)`` with a short
    drop under it. The lobes are where avatar draws the bottom of its ears (the face's widest
    row, a little below the ear's centre); styles without ears wear them at the face's edge."""
    g = face_geom(FaceSpec("", (), width=earring_width(slug), jaw=0.5))
    y = head.y(152) + 15
    out: list[tuple[str, str]] = []
    for s in (-1, 1):
        x = CX + s * (head.scale * g.hw - 1)
        out.append(("stud", ellipse_path((x, y), 4.5, 4.5)))
        drop = smooth_closed([(x, y + 4), (x + 5, y + 14), (x, y + 20), (x - 5, y + 14)])
        out.append(("drop", drop))
    return Shapes(front=out)


# --- signs of age: lines on the skin, subtle -------------------------------------------------


def age_shapes(slug: str, head: Head) -> Shapes:
    """``some``: smile lines from the nose's wings past the mouth's corners; ``marked``: also
    lines across the forehead, crow's feet at the eyes' outer corners and under the eyes."""
    lines = [smooth_open(rel([(s * 24, 184), (s * 40, 196), (s * 52, 214), (s * 56, 230)]))
             for s in (-1, 1)]
    if slug == "marked":
        lines += [smooth_open(rel([(-34, y + 3), (0, y), (34, y + 3)])) for y in (68, 77)]
        for c, s in ((EYE_CENTRES["left"], -1), (EYE_CENTRES["right"], 1)):
            x = c[0] + s * 24
            lines += [f"M{pt((x, c[1] + dy))}L{pt((x + s * 10, c[1] + dy + 1.6 * dy))}"
                      for dy in (-5.0, 1.0, 7.0)]
            lines.append(smooth_open([(c[0] - 12, c[1] + 24), (c[0], c[1] + 28),
                                      (c[0] + 12, c[1] + 24)]))
    return Shapes(front=[("crease", d) for d in lines])
