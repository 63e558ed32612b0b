"""classic: the familiar yellow emoji. The face stays yellow; the person's hair, facial hair
and glasses are drawn flat in their own colours, as the people emoji of the major platforms
draw them, and headwear in emoji colours (or its measured colour)."""

from __future__ import annotations

from .accessories import age_shapes, earrings_shapes, glasses_shapes
from .facial_hair import facial_hair_shapes
from .geometry import (
    Head,
    Point,
    almond,
    brow_control,
    eye_lid_arc,
    kiss_path,
    lidded_ellipse,
    mouth_geom,
    mouth_line,
    mouth_shape,
    tongue_path,
)
from .hair import hair_shapes
from .headwear import headwear_shapes
from .person import NEUTRAL, Proportions, brow_thickness, mouth_spec, outline, person_brow_points
from .specs import HAIR_BY_SLUG, BrowsSpec, Eye, FaceSpec, MouthSpec
from .style import Style, flat_pack_painter, likeness, pack_draws, pair_eyes
from .svg import clip, ellipse, num, path, pt, smooth_closed, stroke


def classic_face(st: Style, spec: FaceSpec, pid: str,
                 shape: Proportions = NEUTRAL) -> list[str]:
    """Flat yellow face with a radial light-to-shade overlay for a soft, rounded look; the
    person's outline (person.py)."""
    p = st.p
    d = smooth_closed(outline(st.head, spec, shape))
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


def classic_mouth(st: Style, spec: MouthSpec, pid: str,
                  shape: Proportions = NEUTRAL) -> list[str]:
    """Dark brown mouth: a bold line when closed, a filled shape with teeth when open; at the
    person's mouth width (person.py)."""
    p = st.p
    if spec.pucker > 0.5:
        return [path(kiss_path(), **stroke(p["line"], 8))]
    m = mouth_geom(mouth_spec(spec, shape))
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


def classic_brows(st: Style, spec: BrowsSpec, pid: str,
                  shape: Proportions = NEUTRAL) -> list[str]:
    """Bold round-capped brown strokes, at the person's thickness, arch and place."""
    out = []
    width = 8 * brow_thickness(shape)
    for side in ("left", "right"):
        o, k, i = person_brow_points(spec, side, 1.0, shape)
        c = brow_control(o, k, i)
        out.append(path(f"M{pt(o)}Q{pt(c)} {pt(i)}", **stroke(st.p["line"], width)))
    return out


def classic_likeness(st: Style, slug: str, role: str, d: str) -> list[str]:
    """Emoji-flat likeness parts, as the people emoji of the major platforms draw them: hair
    and facial hair flat in the person's colour with a darker shade for the hair behind and
    for a few strands, dark glasses frames, headwear in flat emoji colours with a darker fold,
    signs of age as soft orange lines, gold earrings."""
    p = st.p
    line = p["line"]
    if slug in HEADWEAR_SLUGS:
        hat, hat_shade = p[slug], p[f"{slug}_shade"]
        return {
            "fill": [path(d, fill=hat, stroke=hat_shade, stroke_width=3,
                          stroke_linejoin="round")],
            "ring": [path(d, fill=hat, fill_rule="evenodd", stroke=hat_shade, stroke_width=3)],
            "shade": [path(d, fill=hat_shade)],
            "accent": [path(d, fill=p["hat_band"])],
            "line": [path(d, **stroke(hat_shade, 3.5))],
            "check": [path(d, fill=p["keffiyeh_check"], opacity=0.85)],
            "cord": [path(d, **stroke(p["agal"], 6))],
        }[role]
    hair, shade, streak = p["hair"], p["hair_shade"], p["hair_highlight"]
    if slug not in HAIR_BY_SLUG:  # facial hair
        hair, shade, streak = p["beard"], p["beard_shade"], None
    streaks = [path(d, **stroke(streak, 6.5), opacity=0.9)] if streak else []
    sun = slug == "sunglasses"
    painters = {
        "fill": lambda: [path(d, fill=hair)],
        "soft": lambda: [path(d, fill=hair)],
        "shade": lambda: [path(d, fill=hair), path(d, fill=shade, opacity=0.6)],
        "light": lambda: [],
        "accent": lambda: [path(d, fill=shade)],
        "line": lambda: [*streaks, path(d, **stroke(shade, 3.5))],
        "lock": lambda: [*streaks, path(d, **stroke(hair, 7)), path(d, **stroke(shade, 2))],
        "part": lambda: [path(d, **stroke(shade, 3.5))],
        "shade_line": lambda: [path(d, **stroke(shade, 4))],
        "shine": lambda: [path(d, **stroke(p["glare"], 6), opacity=0.55)],
        "stubble": lambda: [path(d, fill=shade, opacity=0.3)],
        "hatch": lambda: [path(d, **stroke(shade, 2.5), opacity=0.6)],
        "dots": lambda: [path(d, **stroke(shade, 3.5))],
        "lens": lambda: [path(d, fill=p["sun_lens"] if sun else p["lens"],
                              opacity=1 if sun else 0.35)],
        "frame": lambda: [path(d, **stroke(p["sun_lens"] if sun else line, 6))],
        "bridge": lambda: [path(d, **stroke(p["sun_lens"] if sun else line, 6))],
        "glare": lambda: [path(d, **stroke(p["glare"], 5), opacity=0.6)],
        "crease": lambda: [path(d, **stroke(p["skin_shade"], 3), opacity=0.75)],
        "stud": lambda: [path(d, fill=p["earring"], stroke=p["earring_edge"], stroke_width=1.5)],
        "drop": lambda: [path(d, fill=p["earring"], stroke=p["earring_edge"], stroke_width=1.5)],
    }
    return painters[role]()


HEADWEAR_SLUGS = ("cap", "hat", "beanie", "headscarf", "hijab", "turban", "keffiyeh")

STYLE = Style(
    name="classic",
    title="Classic",
    description="The familiar yellow emoji: softly shaded yellow face, bold brown features.",
    order=0,
    hair_from_photo=True,
    # A smaller head than the emoji's full frame leaves room for hair and hats above it.
    head=Head(scale=0.88, cy=208.0),
    palette={
        "skin": "#FFCC4D",
        "skin_shade": "#F4900C",
        "skin_light": "#FFE68A",
        "line": "#664500",
        "eye_white": "#FFFFFF",
        "teeth": "#FFFFFF",
        "tongue": "#E8596E",
        "tongue_shade": "#BB1A34",
        "hair": "#5C3A1E",
        "hair_shade": "#3F2713",
        "hair_light": "#7A5233",
        "hair_highlight": "#5C3A1F",
        "beard": "#C1841A",
        "beard_shade": "#8A5A10",
        "lens": "#BBDDF5",
        "sun_lens": "#292F33",
        "glare": "#FFFFFE",
        "hat": "#A0522D",
        "hat_shade": "#7A3E1F",
        "hat_band": "#31373D",
        "cap": "#DD2E44",
        "cap_shade": "#A0041E",
        "beanie": "#3A87C2",
        "beanie_shade": "#2A6797",
        "headscarf": "#9266CC",
        "headscarf_shade": "#6B4599",
        "turban": "#E75A70",
        "turban_shade": "#B83A50",
        "hijab": "#55ACEE",
        "hijab_shade": "#3B88C4",
        "keffiyeh": "#F5F8FA",
        "keffiyeh_shade": "#CCD6DD",
        "keffiyeh_check": "#DD2E45",
        "agal": "#292F34",
        "earring": "#FFAC34",
        "earring_edge": "#C1841B",
        # Pack parts (heart eyes, tears, party hats): emoji colours.
        "heart": "#E2264D",
        "heart_edge": "#A8112F",
        "star": "#FFAC33",
        "star_edge": "#664500",
        "shine": "#FFFFFF",
        "water": "#5DADEC",
        "water_edge": "#2A75B8",
        "blush": "#FF7892",
        "letter": "#3B88C3",
        "anger": "#E0302D",
        "sparkle": "#FFD23F",
        "sparkle_edge": "#E09A10",
        "party_hat": "#8E5CD9",
        "party_stripe": "#FFD23F",
        "party_edge": "#5A3596",
        "confetti_a": "#E2264D",
        "confetti_b": "#3B88C3",
        "confetti_c": "#4CB050",
        "hand": "#FFDC5D",
        "hand_edge": "#C9861A",
    },
    draw={
        "face": classic_face,
        "eyes": pair_eyes(classic_eye),
        "brows": classic_brows,
        "mouth": classic_mouth,
        "hair": likeness(hair_shapes, classic_likeness),
        "facial_hair": likeness(facial_hair_shapes, classic_likeness),
        "glasses": likeness(glasses_shapes, classic_likeness),
        "headwear": likeness(headwear_shapes, classic_likeness),
        "age": likeness(age_shapes, classic_likeness),
        "earrings": likeness(earrings_shapes, classic_likeness),
    },
    # Classic draws every dark feature in its brown line colour, the open mouths too.
    pack=pack_draws(classic_mouth, flat_pack_painter({
        "inside": "line", "lips": "line", "line": "line", "pupil": "line", "iris": "line"})),
)
