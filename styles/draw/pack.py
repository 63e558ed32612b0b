"""Shared geometry of the pack-only parts: heart and star eyes, crying and sleeping eyes, the
scream and wobble mouths, and the extras drawn over the face (tears, hearts, zzz, hands...).

Like the likeness geometry, every shape is a ``Mark``: path data with a role, and a stroke
width for strokes (0: a filled shape). Each style paints the roles in its own look (emoji
colours, the person's skin for hands, ink), so the three styles put the same tear on the same
pixels. Everything stays inside the sticker's view box (geometry.VIEW), at sizes that still
read when Telegram shows the sticker at about 100 px: no detail thinner than ~3 frame px.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import NamedTuple

from .geometry import CX, EYE_CENTRES, MOUTH_Y, ellipse_path, eye_lid_arc, lidded_ellipse
from .svg import Point, num, polygon, pt, smooth_closed, smooth_open


class Mark(NamedTuple):
    """One shape of a pack part: ``role`` says what it is (the style picks its look), ``d``
    is path data, ``width`` the stroke width of a line (0 for a filled shape)."""

    role: str
    d: str
    width: float = 0.0


def rotate(points: Sequence[Point], angle: float, centre: Point) -> list[Point]:
    """Rotate points by ``angle`` degrees (clockwise on screen) about ``centre``."""
    a = math.radians(angle)
    c, s = math.cos(a), math.sin(a)
    return [(centre[0] + (x - centre[0]) * c - (y - centre[1]) * s,
             centre[1] + (x - centre[0]) * s + (y - centre[1]) * c) for x, y in points]


def heart(c: Point, size: float, angle: float = 0.0) -> str:
    """A heart ``size`` px wide centred on ``c`` (lobes up, tip down), tilted ``angle``."""
    x, y = c
    s = size
    pts = [
        (x, y + 0.42 * s),
        (x - 0.16 * s, y + 0.28 * s), (x - 0.5 * s, y + 0.06 * s), (x - 0.5 * s, y - 0.17 * s),
        (x - 0.5 * s, y - 0.42 * s), (x - 0.2 * s, y - 0.5 * s), (x, y - 0.27 * s),
        (x + 0.2 * s, y - 0.5 * s), (x + 0.5 * s, y - 0.42 * s), (x + 0.5 * s, y - 0.17 * s),
        (x + 0.5 * s, y + 0.06 * s), (x + 0.16 * s, y + 0.28 * s), (x, y + 0.42 * s),
    ]
    p = rotate(pts, angle, c)
    curves = "".join(f"C{pt(p[i])} {pt(p[i + 1])} {pt(p[i + 2])}" for i in range(1, 13, 3))
    return f"M{pt(p[0])}{curves}Z"


def star(c: Point, r: float, inner: float = 0.45, points: int = 5, angle: float = 0.0) -> str:
    """A pointed star of outer radius ``r`` (inner radius ``inner * r``), a point up."""
    out = []
    for i in range(2 * points):
        rad = r if i % 2 == 0 else r * inner
        a = math.radians(angle + 180 * i / points)
        out.append((c[0] + rad * math.sin(a), c[1] - rad * math.cos(a)))
    return polygon(out)


def sparkle(c: Point, r: float, fat: float = 0.16) -> str:
    """A four-pointed sparkle (the ✨ shape): concave sides between four points."""
    x, y = c
    k = r * fat
    return (f"M{pt((x, y - r))}Q{pt((x + k, y - k))} {pt((x + r, y))}"
            f"Q{pt((x + k, y + k))} {pt((x, y + r))}Q{pt((x - k, y + k))} {pt((x - r, y))}"
            f"Q{pt((x - k, y - k))} {pt((x, y - r))}Z")


def drop(tip: Point, c: Point, r: float) -> str:
    """A tear drop: round end of radius ``r`` at ``c``, pointed end at ``tip``."""
    dx, dy = tip[0] - c[0], tip[1] - c[1]
    dist = math.hypot(dx, dy)
    base = math.atan2(dy, dx)
    beta = math.acos(min(1.0, r / dist))
    # Sample the round end from one tangent point to the other, the long way round.
    arc = []
    steps = 10
    for i in range(steps + 1):
        a = base + beta + (2 * math.pi - 2 * beta) * i / steps
        arc.append((c[0] + r * math.cos(a), c[1] + r * math.sin(a)))
    return f"M{pt(tip)}L" + smooth_open(arc)[1:] + "Z"


def zig(c: Point, size: float) -> str:
    """The letter Z as one open stroke (parts carry no text)."""
    h = size / 2
    return (f"M{pt((c[0] - h, c[1] - h))}H{num(c[0] + h)}L{pt((c[0] - h, c[1] + h))}"
            f"H{num(c[0] + h)}")


def _mirror_x(points: Sequence[Point]) -> list[Point]:
    return [(2 * CX - x, y) for x, y in points]


# --- eyes --------------------------------------------------------------------------------------


def eyes_marks(slug: str, side: str) -> list[Mark]:
    """One pack eye. Roles: ``sclera`` (white, outlined), ``pupil`` (the dark eye or pupil),
    ``iris`` (a coloured ring in styles that have one), ``shine`` (catch light), ``lid``
    (a line), ``lidfill`` (skin over the eye), ``heart``, ``star``, ``wet`` (water)."""
    c = EYE_CENTRES[side]
    s = -1 if side == "left" else 1  # outwards, towards the ear
    x, y = c
    if slug == "heart":
        return [Mark("heart", heart((x, y + 2), 50, angle=8 * s)),
                Mark("heart_light", _heart_light((x, y + 2), 50), 4.5)]
    if slug == "star":
        return [Mark("star", star((x, y + 1), 27, 0.48, angle=6 * s), 0.0)]
    if slug == "crying":
        # Squeezed shut: a chevron pointing at the nose (> <), water pooled under it.
        tip = (x - 11 * s, y)
        line = (f"M{pt((x + 14 * s, y - 13))}L{pt(tip)}L{pt((x + 14 * s, y + 13))}")
        pool = smooth_closed([(x - 15, y + 19), (x, y + 16), (x + 15, y + 19), (x + 11, y + 25),
                              (x, y + 27), (x - 11, y + 25)])
        return [Mark("pool", pool), Mark("lid", line, 8)]
    if slug == "sleep":
        # Lids relaxed and lowered (below the open eye's centre), a few lashes hanging.
        cy = y + 6
        lashes = "".join(
            f"M{pt((x + dx, cy + 7 + 0.15 * abs(dx)))}l{num(dx * 0.15)},6"
            for dx in (-10, 0, 10))
        return [Mark("lid", eye_lid_arc((x, cy), 18, 8), 7), Mark("lash", lashes, 4)]
    if slug == "roll":
        # Whites showing below, the pupil rolled up against the upper lid.
        return [Mark("sclera", ellipse_path(c, 16, 21)),
                Mark("pupil", ellipse_path((x + 2 * s, y - 11), 9, 9)),
                Mark("lid", f"M{pt((x - 17, y - 6))}Q{pt((x, y - 28))} {pt((x + 17, y - 6))}", 5)]
    if slug == "side":
        # Half-lidded, looking to the image right: the skeptical side-eye.
        lid = y - 4
        return [Mark("sclera", lidded_ellipse(c, 18, 15, lid)),
                Mark("pupil", ellipse_path((x + 8, y + 4), 8.5, 8.5)),
                Mark("lid", f"M{pt((x - 20, lid))}L{pt((x + 20, lid))}", 6)]
    if slug == "teary":
        # Big pleading eyes: a large dark eye, two catch lights and a wet lower rim.
        return [Mark("sclera", ellipse_path((x, y - 1), 20, 25)),
                Mark("iris", ellipse_path((x, y + 1), 16, 20)),
                Mark("pupil", ellipse_path((x, y + 3), 10, 12)),
                Mark("wet", _crescent((x, y + 1), 16, 20)),
                Mark("shine", ellipse_path((x - 5 * s, y - 8), 6, 7)),
                Mark("shine", ellipse_path((x + 6 * s, y + 11), 3, 3))]
    raise KeyError(slug)


def _heart_light(c: Point, size: float) -> str:
    """A short highlight on a heart's image-left lobe."""
    x, y = c
    return (f"M{pt((x - 0.32 * size, y - 0.2 * size))}Q{pt((x - 0.3 * size, y - 0.36 * size))} "
            f"{pt((x - 0.16 * size, y - 0.37 * size))}")


def _crescent(c: Point, rx: float, ry: float) -> str:
    """The lower rim of an eye, filling with water."""
    x, y = c
    return (f"M{pt((x - rx + 1, y + ry * 0.25))}Q{pt((x, y + ry * 0.75))} "
            f"{pt((x + rx - 1, y + ry * 0.25))}"
            f"Q{pt((x + rx * 0.9, y + ry * 0.95))} {pt((x, y + ry))}"
            f"Q{pt((x - rx * 0.9, y + ry * 0.95))} {pt((x - rx + 1, y + ry * 0.25))}Z")


# --- mouths ------------------------------------------------------------------------------------


def mouth_marks(slug: str) -> list[Mark]:
    """A pack mouth (laugh is each style's own open mouth, drawn from its params). Roles:
    ``inside`` (the dark opening), ``lips`` (the outline or lip colour), ``tongue``,
    ``teeth``, ``line`` (a closed mouth's line)."""
    if slug == "scream":
        # The 😱 mouth: a tall oval, a little tongue at the bottom.
        c = (CX, MOUTH_Y + 12)
        return [Mark("inside", ellipse_path(c, 20, 30)),
                Mark("tongue", f"M{pt((CX - 13, MOUTH_Y + 35))}Q{pt((CX, MOUTH_Y + 24))} "
                               f"{pt((CX + 13, MOUTH_Y + 35))}Q{pt((CX, MOUTH_Y + 45))} "
                               f"{pt((CX - 13, MOUTH_Y + 35))}Z"),
                Mark("lips", ellipse_path(c, 20, 30), 5)]
    if slug == "wobble":
        # A wavy pout: corners down, the line trembling.
        pts = [(CX - 36, MOUTH_Y + 12), (CX - 24, MOUTH_Y + 2), (CX - 12, MOUTH_Y + 8),
               (CX, MOUTH_Y + 1), (CX + 12, MOUTH_Y + 8), (CX + 24, MOUTH_Y + 2),
               (CX + 36, MOUTH_Y + 12)]
        return [Mark("line", smooth_open(pts), 8)]
    if slug == "shush":
        # Lips pursed into a small round "shh".
        c = (CX, MOUTH_Y + 2)
        return [Mark("lips", ellipse_path(c, 15, 11)),
                Mark("inside", ellipse_path((CX, MOUTH_Y + 2), 6, 4.5))]
    raise KeyError(slug)


# --- extras ------------------------------------------------------------------------------------


def _tear() -> list[Mark]:
    # 😢: one drop under the image-left eye.
    d = drop((88, 150), (84, 176), 11)
    return [Mark("water", d), Mark("water_light", f"M{pt((79, 174))}Q{pt((79, 182))} "
                                                 f"{pt((85, 185))}", 3.5)]


def _tears() -> list[Mark]:
    out = []
    for side in ("left", "right"):
        # A stream from the lower lid over the cheek to the jaw, widening as it runs.
        # Clear of the mouth corners (x 115 and 191), so that a wailing mouth still shows.
        pts = [(97, 140), (113, 140), (110, 180), (106, 222), (106, 262), (92, 276),
               (76, 266), (80, 222), (88, 180)]
        light = [(97, 160), (92, 200), (88, 240)]
        if side == "right":
            pts, light = _mirror_x(pts), _mirror_x(light)
        out += [Mark("water", smooth_closed(pts)), Mark("water_light", smooth_open(light), 4)]
    return out


def _tears_joy() -> list[Mark]:
    # 😂: big drops flying outwards from the outer corners of both eyes, a small one above.
    result = []
    for sgn in (1, -1):
        for tip, centre, r, light in (((74, 126), (42, 148), 17, [(32, 146), (35, 156)]),
                                      ((62, 110), (38, 100), 9, [(33, 98), (33, 103)])):
            if sgn < 0:
                tip, centre = _mirror_x([tip])[0], _mirror_x([centre])[0]
                light = _mirror_x(light)
            result += [Mark("water", drop(tip, centre, r)),
                       Mark("water_light", smooth_open(light), 3.5)]
    return result


def _sweat() -> list[Mark]:
    return [Mark("water", drop((236, 62), (240, 92), 14)),
            Mark("water_light", f"M{pt((233, 90))}Q{pt((233, 99))} {pt((240, 101))}", 4)]


def _blush() -> list[Mark]:
    out = []
    for sgn in (-1, 1):
        c = (CX + sgn * 64, 180)
        out.append(Mark("blush", ellipse_path(c, 21, 12)))
        hatch = "".join(f"M{pt((c[0] + dx - 4, c[1] + 8))}l8,-16" for dx in (-15, -9, -3, 3, 9, 15))
        out.append(Mark("blush_hatch", hatch, 3))
    return out


def _hearts() -> list[Mark]:
    spots = (((44, 84), 30, -18), ((262, 70), 26, 16), ((258, 212), 30, 14), ((42, 226), 24, -14))
    out = []
    for c, size, angle in spots:
        out.append(Mark("heart", heart(c, size, angle)))
    return out


def _kiss_heart() -> list[Mark]:
    return [Mark("heart", heart((206, 196), 34, 18)),
            Mark("heart_light", _heart_light((206, 196), 34), 3.5)]


def _zzz() -> list[Mark]:
    return [Mark("letter", zig((214, 96), 18), 6), Mark("letter", zig((238, 72), 24), 7),
            Mark("letter", zig((265, 48), 22), 7)]


def _anger() -> list[Mark]:
    c, r = (232.0, 78.0), 21.0
    out = []
    for k in range(4):
        a = math.radians(45 + 90 * k)
        u = (math.sin(a), -math.cos(a))
        v = (-u[1], u[0])
        # Each bracket bows towards the centre, its ends flaring out: the 💢 mark.
        p0 = (c[0] + r * u[0] + 0.7 * r * v[0], c[1] + r * u[1] + 0.7 * r * v[1])
        p1 = (c[0] + r * u[0] - 0.7 * r * v[0], c[1] + r * u[1] - 0.7 * r * v[1])
        ctrl = (c[0] + 0.15 * r * u[0], c[1] + 0.15 * r * u[1])
        out.append(Mark("anger", f"M{pt(p0)}Q{pt(ctrl)} {pt(p1)}", 7))
    return out


def _sparkles() -> list[Mark]:
    return [Mark("sparkle", sparkle((250, 74), 22)), Mark("sparkle", sparkle((46, 110), 16)),
            Mark("sparkle", sparkle((262, 196), 14)), Mark("sparkle", sparkle((58, 64), 10))]


def _party() -> list[Mark]:
    # A cone hat tipped to the image right on top of the head, stripes, a pompom, confetti.
    # Tipped well over: the sticker leaves little room above the head, and a jaunty hat on
    # the side of the head can be bigger than one stood upright on top.
    base_c, tilt, height, half = (210.0, 82.0), 50.0, 60.0, 31.0
    a = math.radians(tilt)
    axis = (math.sin(a), -math.cos(a))
    across = (math.cos(a), math.sin(a))
    apex = (base_c[0] + height * axis[0], base_c[1] + height * axis[1])
    bl = (base_c[0] - half * across[0], base_c[1] - half * across[1])
    br = (base_c[0] + half * across[0], base_c[1] + half * across[1])

    def on(t: float, side: Point) -> Point:
        return (apex[0] + (side[0] - apex[0]) * t, apex[1] + (side[1] - apex[1]) * t)

    out = [Mark("hat", polygon([apex, br, bl]))]
    for t0, t1 in ((0.28, 0.46), (0.64, 0.82)):
        out.append(Mark("hat_stripe", polygon([on(t0, bl), on(t0, br), on(t1, br), on(t1, bl)])))
    out.append(Mark("hat_edge", polygon([apex, br, bl]), 4))
    out.append(Mark("pompom", ellipse_path(apex, 7, 7)))
    bits = (("confetti_a", (40, 60), 20), ("confetti_b", (86, 40), -30),
            ("confetti_c", (268, 120), 40), ("confetti_a", (30, 150), -50),
            ("confetti_b", (272, 214), 10), ("confetti_c", (44, 240), 60))
    for role, c, angle in bits:
        out.append(Mark(role, polygon(rotate([(c[0] - 7, c[1] - 4), (c[0] + 7, c[1] - 4),
                                              (c[0] + 7, c[1] + 4), (c[0] - 7, c[1] + 4)],
                                             angle, c))))
    for role, c in (("confetti_c", (122, 44)), ("confetti_a", (262, 168))):
        out.append(Mark(role, f"M{pt((c[0] - 9, c[1]))}q4.5,-7 9,0t9,0", 4.5))
    return out


def _hand(blobs: Sequence[str], fingers: Sequence[tuple[str, float]],
          creases: Sequence[str]) -> list[Mark]:
    """A cartoon hand: the edge of every piece first, then the fills, so that fingers and palm
    merge into one outlined silhouette; creases (finger gaps, knuckles) on top."""
    out = [Mark("skin_edge", d) for d in blobs]
    out += [Mark("skin_edge", d, w) for d, w in fingers]
    out += [Mark("skin", d) for d in blobs]
    out += [Mark("skin", d, w) for d, w in fingers]
    out += [Mark("crease", d, 3.5) for d in creases]
    return out


def _hand_chin() -> list[Mark]:
    # 🤔: a fist under the chin, image left, the index finger up along the jaw to the chin.
    # Rounded off above the sticker's lower edge (its outline too): parts stay inside it.
    fist = smooth_closed([(90, 256), (120, 248), (146, 254), (154, 272), (146, 288),
                          (120, 291), (94, 288), (84, 274)])
    index = (smooth_open([(136, 262), (144, 244), (150, 228)]), 17.0)
    thumb = (smooth_open([(98, 262), (116, 252), (130, 254)]), 15.0)
    creases = [smooth_open([(96, 268), (126, 266)]), smooth_open([(100, 279), (128, 278)])]
    return _hand([fist], [index, thumb], creases)


def _shush() -> list[Mark]:
    # 🤫: the index finger upright across the lips, the fist below the chin.
    fist = smooth_closed([(128, 260), (153, 252), (180, 260), (184, 278), (174, 290),
                          (150, 292), (130, 289), (122, 276)])
    finger = (f"M{pt((CX + 2, 262))}L{pt((CX, 200))}", 20.0)
    nail = f"M{pt((CX - 4, 204))}Q{pt((CX, 200))} {pt((CX + 4, 204))}"
    creases = [smooth_open([(134, 272), (152, 270)]), smooth_open([(136, 282), (154, 281)]), nail]
    return _hand([fist], [finger], creases)


def _hug() -> list[Mark]:
    # 🤗: two open hands in front, palms out, fingers spread, at the lower corners.
    out: list[Mark] = []
    blobs, fingers, creases = [], [], []
    for sgn in (-1, 1):
        cx, cy = CX + sgn * 100, 258.0
        palm = ellipse_path((cx, cy), 25, 22)
        blobs.append(palm)
        for k, (ang, length) in enumerate(((-28, 26), (-9, 30), (10, 29), (28, 24))):
            a = math.radians(ang * -sgn)
            base = (cx + 14 * math.sin(a), cy - 12 * math.cos(a))
            tip = (cx + (14 + length) * math.sin(a), cy - (12 + length) * math.cos(a))
            fingers.append((f"M{pt(base)}L{pt(tip)}", 13.0 if k < 3 else 12.0))
        # The thumb points inwards, towards the chin.
        thumb_base = (cx - sgn * 14, cy + 4)
        thumb_tip = (cx - sgn * 40, cy - 10)
        fingers.append((f"M{pt(thumb_base)}L{pt(thumb_tip)}", 14.0))
        creases.append(smooth_open([(cx - 10, cy + 10), (cx, cy + 14), (cx + 10, cy + 10)]))
    out += _hand(blobs, fingers, creases)
    return out


EXTRA_MARKS: dict[str, Callable[[], list[Mark]]] = {
    "tear": _tear,
    "tears": _tears,
    "tears-joy": _tears_joy,
    "sweat": _sweat,
    "blush": _blush,
    "hearts": _hearts,
    "kiss-heart": _kiss_heart,
    "zzz": _zzz,
    "anger": _anger,
    "sparkles": _sparkles,
    "party": _party,
    "hand-chin": _hand_chin,
    "shush": _shush,
    "hug": _hug,
}


def extras_marks(slug: str) -> list[Mark]:
    """The shapes of extras part ``slug``, back to front."""
    return EXTRA_MARKS[slug]()


