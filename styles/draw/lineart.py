"""lineart: black ink on white, like a quick marker doodle. Hair, beards, glasses and hats are
ink outlines over white, with a few strands, hatching and dots for texture."""

from __future__ import annotations

from .accessories import age_shapes, earrings_shapes, glasses_shapes
from .facial_hair import facial_hair_shapes
from .geometry import (
    CX,
    Head,
    Point,
    almond,
    eye_lid_arc,
    face_geom,
    kiss_path,
    lidded_ellipse,
    mouth_geom,
    mouth_line,
    mouth_shape,
    tapered_brow,
    tongue_path,
)
from .hair import hair_shapes
from .headwear import headwear_shapes
from .pack import Mark
from .person import (
    NEUTRAL,
    Proportions,
    brow_thickness,
    lips,
    mouth_spec,
    nose,
    outline,
    person_brow_points,
    person_face_geom,
)
from .specs import BrowsSpec, Eye, FaceSpec, MouthSpec
from .style import HAND_EDGE, Style, likeness, pack_draws, pair_eyes
from .svg import clip, ellipse, num, path, pt, smooth_closed, stroke


def lineart_face(st: Style, spec: FaceSpec, pid: str,
                 shape: Proportions = NEUTRAL) -> list[str]:
    """White head with an ink outline, a nose hook and hatched cheeks; the person's outline
    and nose (person.py)."""
    p = st.p
    d = smooth_closed(outline(st.head, spec, shape))
    out = [path(d, fill=p["skin"], stroke=p["line"], stroke_width=7, stroke_linejoin="round")]
    w, down = nose(shape)
    out.append(
        path(
            f"M{pt((CX + 2, 158))}Q{pt((CX - 9 * w, 182 + down))} {pt((CX - 4 * w, 186 + down))}"
            f"Q{pt((CX + 2, 189 + down))} {pt((CX + 8 * w, 186 + down))}",
            **stroke(p["line"], 4),
        )
    )
    # The hatched cheeks move out (in) with half the person's wider (narrower) face.
    inset = 70.0
    if shape.measured:
        inset += 0.5 * st.head.scale * (person_face_geom(spec, shape).hw
                                        - face_geom(FaceSpec("", (), 0.5, 0.5)).hw)
    for sign in (-1, 1):
        x0 = CX + sign * inset
        for k in range(3):
            x = x0 + k * 8 - 8
            out.append(path(f"M{pt((x - 4, 190))}L{pt((x + 4, 176))}", **stroke(p["line"], 3)))
    return out


def lineart_mouth(st: Style, spec: MouthSpec, pid: str,
                  shape: Proportions = NEUTRAL) -> list[str]:
    """Ink mouth: a line when closed, a black opening with white teeth when open. The
    person's mouth width (person.py); full lips draw a bolder line and a lower-lip mark."""
    p = st.p
    if spec.pucker > 0.5:
        return [path(kiss_path(), **stroke(p["line"], 6))]
    spec = mouth_spec(spec, shape)
    upper, lower = lips(shape)
    m = mouth_geom(spec)
    if not m.is_open:
        # Short ticks at the corners, the usual cartoonist's dimples.
        out = [path(mouth_line(m), **stroke(p["line"], 6 * (upper + lower) / 2))]
        if lower > 1.2:  # a full lower lip: its shadow, a short stroke under the middle
            y = m.chord_y + m.upper + 8 + 6 * (lower - 1)
            half = 0.35 * m.half_width
            out.append(path(f"M{pt((m.centre_x - half, y))}Q{pt((m.centre_x, y + 3))} "
                            f"{pt((m.centre_x + half, y))}", **stroke(p["line"], 3.5)))
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


def lineart_brows(st: Style, spec: BrowsSpec, pid: str,
                  shape: Proportions = NEUTRAL) -> list[str]:
    """Thin tapered ink brows, at the person's thickness, arch and place (person.py)."""
    out = []
    thick = brow_thickness(shape)
    for side in ("left", "right"):
        o, k, i = person_brow_points(spec, side, 0.45, shape)
        out.append(path(tapered_brow(o, k, i, 3 * thick, 8 * thick), fill=st.p["line"]))
    return out



def lineart_likeness(st: Style, slug: str, role: str, d: str) -> list[str]:
    """Ink: shapes are white with an ink outline (so they hide what is behind them), strands
    and folds are thin ink lines, stubble is ink dots, sunglasses are solid ink."""
    p = st.p
    ink, paper = p["line"], p["skin"]
    outlined = [path(d, fill=paper, stroke=ink, stroke_width=5, stroke_linejoin="round")]
    outlined_thin = [path(d, fill=paper, stroke=ink, stroke_width=2.5, stroke_linejoin="round")]
    painters = {
        "fill": lambda: outlined,
        "soft": lambda: outlined,
        "shade": lambda: outlined,
        "light": lambda: [],
        "accent": lambda: [path(d, fill=ink)],
        "ring": lambda: [path(d, fill=paper, fill_rule="evenodd", stroke=ink, stroke_width=5,
                              stroke_linejoin="round")],
        "line": lambda: [path(d, **stroke(ink, 3))],
        "lock": lambda: [path(d, **stroke(ink, 3))],
        "part": lambda: [path(d, **stroke(ink, 3))],
        "shade_line": lambda: [path(d, **stroke(ink, 4))],
        "shine": lambda: [path(d, **stroke(ink, 3))],
        "stubble": lambda: [],
        "hatch": lambda: [path(d, **stroke(ink, 2.2))],
        "dots": lambda: [path(d, **stroke(ink, 2.6))],
        "lens": lambda: [path(d, fill=ink)] if slug == "sunglasses" else [],
        "frame": lambda: [path(d, **stroke(ink, 5))],
        "bridge": lambda: [path(d, **stroke(ink, 5))],
        "glare": lambda: [path(d, **stroke(paper, 4))],
        "check": lambda: [path(d, fill=ink)],
        "cord": lambda: [path(d, **stroke(ink, 6))],
        "crease": lambda: [path(d, **stroke(ink, 2.2))],
        "stud": lambda: [path(d, fill=ink)],
        "drop": lambda: outlined_thin,
    }
    return painters[role]()


def lineart_pack(st: Style, kind: str, mark: Mark) -> list[str]:
    """Pack parts in ink: tears, hats and hands are white shapes with an ink outline, hearts,
    pupils, sparkles and confetti solid ink, blush a patch of hatching."""
    ink, paper = st.p["line"], st.p["skin"]
    role, d, width = mark
    outlined = [path(d, fill=paper, stroke=ink, stroke_width=4.5, stroke_linejoin="round")]
    if role in ("blush", "lidfill", "pool"):  # a pool of ink under a shut eye reads as an eye
        return []
    if role == "skin_edge":
        if width:
            return [path(d, **stroke(ink, width + 2 * HAND_EDGE))]
        return [path(d, fill=ink, stroke=ink, stroke_width=2 * HAND_EDGE, stroke_linejoin="round")]
    if role == "skin":
        return [path(d, **stroke(paper, width))] if width else [path(d, fill=paper)]
    if role in ("heart_light", "shine"):
        return [path(d, **stroke(paper, width))] if width else [path(d, fill=paper)]
    if role in ("water", "star", "sclera", "hat", "tongue", "wet") or (
            role == "lips" and not width):
        return outlined
    if role == "water_light":
        return [path(d, **stroke(ink, 2.5))]
    if width:
        # Floating lines get a white halo so that they read on a dark chat background.
        halo = [path(d, **stroke(paper, width + 5))] if role in ("letter", "anger") else []
        return [*halo, path(d, **stroke(ink, width))]
    return [path(d, fill=ink)]


STYLE = Style(
    name="lineart",
    title="Line art",
    description="Black ink line drawing on white, like a quick marker doodle.",
    order=2,
    head=Head(scale=0.86, cy=200.0),
    palette={
        # No shading in this style: skin_shade is kept for tools that expect the key.
        "skin": "#FFFFFF",
        "skin_shade": "#FFFFFF",
        "line": "#000000",
    },
    draw={
        "face": lineart_face,
        "eyes": pair_eyes(lineart_eye),
        "brows": lineart_brows,
        "mouth": lineart_mouth,
        "hair": likeness(hair_shapes, lineart_likeness),
        "facial_hair": likeness(facial_hair_shapes, lineart_likeness),
        "glasses": likeness(glasses_shapes, lineart_likeness),
        "headwear": likeness(headwear_shapes, lineart_likeness),
        "age": likeness(age_shapes, lineart_likeness),
        "earrings": likeness(earrings_shapes, lineart_likeness),
    },
    pack=pack_draws(lineart_mouth, lineart_pack),
)
