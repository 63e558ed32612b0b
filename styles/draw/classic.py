"""classic: the familiar yellow emoji. No hair (emoji faces are bald), but glasses, facial
hair in a darker yellow-brown, and headwear in emoji colours."""

from __future__ import annotations

from .geometry import (
    Head,
    Point,
    almond,
    brow_control,
    eye_lid_arc,
    facial_hair_shapes,
    glasses_shapes,
    headwear_shapes,
    kiss_path,
    lidded_ellipse,
    mouth_geom,
    mouth_line,
    mouth_shape,
    tongue_path,
)
from .person import NEUTRAL, Proportions, brow_thickness, mouth_spec, outline, person_brow_points
from .specs import BrowsSpec, Eye, FaceSpec, MouthSpec
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
    """Emoji-flat likeness parts: facial hair in a darker yellow-brown with brown strokes,
    brown glasses frames, headwear in flat emoji colours with a darker fold."""
    p = st.p
    line = p["line"]
    hat, hat_shade = p.get(slug, p["hat"]), p.get(f"{slug}_shade", p["hat_shade"])
    painters = {
        "fill": lambda: [path(d, fill=p["beard"])],
        "shade": lambda: [path(d, fill=p["beard_shade"])],
        "line": lambda: [path(d, **stroke(p["beard_shade"], 3.5))],
        "stubble": lambda: [],
        "hatch": lambda: [path(d, **stroke(p["beard_shade"], 2.5), opacity=0.6)],
        "dots": lambda: [path(d, **stroke(p["beard_shade"], 3.5))],
        "lens": lambda: [path(d, fill=p["sun_lens"] if slug == "sunglasses" else p["lens"],
                              opacity=1 if slug == "sunglasses" else 0.35)],
        "frame": lambda: [path(d, **stroke(p["sun_lens"] if slug == "sunglasses" else line, 6))],
        "bridge": lambda: [path(d, **stroke(p["sun_lens"] if slug == "sunglasses" else line, 6))],
        "glare": lambda: [path(d, **stroke(p["glare"], 5), opacity=0.6)],
    }
    hat_painters = {
        "fill": lambda: [path(d, fill=hat, stroke=hat_shade, stroke_width=3,
                              stroke_linejoin="round")],
        "ring": lambda: [path(d, fill=hat, fill_rule="evenodd", stroke=hat_shade,
                              stroke_width=3)],
        "shade": lambda: [path(d, fill=hat_shade)],
        "accent": lambda: [path(d, fill=p["hat_band"])],
        "line": lambda: [path(d, **stroke(hat_shade, 3.5))],
    }
    if slug in HEADWEAR_SLUGS:
        return hat_painters[role]()
    return painters[role]()


HEADWEAR_SLUGS = ("cap", "hat", "beanie", "headscarf", "turban")

STYLE = Style(
    name="classic",
    title="Classic",
    description="The familiar yellow emoji: softly shaded yellow face, bold brown features.",
    order=0,
    # A slightly smaller head than the emoji's full frame leaves room for hats above it.
    head=Head(scale=0.92, cy=205.0),
    palette={
        "skin": "#FFCC4D",
        "skin_shade": "#F4900C",
        "skin_light": "#FFE68A",
        "line": "#664500",
        "eye_white": "#FFFFFF",
        "teeth": "#FFFFFF",
        "tongue": "#E8596E",
        "tongue_shade": "#BB1A34",
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
        "beanie": "#3B88C3",
        "beanie_shade": "#2A6797",
        "headscarf": "#9266CC",
        "headscarf_shade": "#6B4599",
        "turban": "#E75A70",
        "turban_shade": "#B83A50",
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
        "facial_hair": likeness(facial_hair_shapes, classic_likeness),
        "glasses": likeness(glasses_shapes, classic_likeness),
        "headwear": likeness(headwear_shapes, classic_likeness),
    },
    # Classic draws every dark feature in its brown line colour, the open mouths too.
    pack=pack_draws(classic_mouth, flat_pack_painter({
        "inside": "line", "lips": "line", "line": "line", "pupil": "line", "iris": "line"})),
)
