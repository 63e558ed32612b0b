"""avatar: a flat cartoon person in the photo's skin tone, hair colour and lip colour.

Everything that is recoloured from the photo is drawn in exactly one palette colour, so that
the compose step can swap it by string replacement: skin in ``skin``/``skin_shade``, hair in
``hair``/``hair_shade``/``hair_light``, facial hair in ``beard``/``beard_shade``, lips in
``lips``. The face carries no hair and no rosy blush: hair is its own part, and the cheeks are
only a faint warm shade of the skin.
"""

from __future__ import annotations

from .accessories import age_shapes, earrings_shapes, glasses_shapes
from .facial_hair import facial_hair_shapes
from .geometry import (
    CX,
    MOUTH_Y,
    Head,
    Point,
    closed_lips,
    eye_lid_arc,
    mouth_geom,
    mouth_line,
    mouth_shape,
    tapered_brow,
    tongue_path,
)
from .hair import hair_shapes
from .headwear import headwear_shapes
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
from .style import Style, flat_pack_painter, likeness, pack_draws, pair_eyes
from .svg import clip, ellipse, num, path, pt, smooth_closed, stroke


def avatar_face(st: Style, spec: FaceSpec, pid: str, shape: Proportions = NEUTRAL) -> list[str]:
    """Neck, ears and face; a small nose and a faint cheek shade, no hair (a part of its own).

    The neck makes the sticker read as a person and gives long hair and beards something to
    fall in front of; it stays narrow so that every hair part covers its sides. With the
    person's proportions (person.py) the outline, the ears and the nose are theirs.
    """
    p = st.p
    head = st.head
    g = person_face_geom(spec, shape)
    face = smooth_closed(outline(head, spec, shape))
    chin = head.y(g.chin)
    neck_w = 34.0
    neck = (f"M{pt((CX - neck_w, chin - 40))}L{pt((CX - neck_w + 2, 296))}"
            f"L{pt((CX + neck_w - 2, 296))}L{pt((CX + neck_w, chin - 40))}Z")
    ears = []
    ear_y = head.y(152)
    for sign in (-1, 1):
        ex = CX + sign * (head.scale * g.hw - 4)
        ears.append(ellipse((ex, ear_y), 12, 19, fill=p["skin"]))
        ears.append(ellipse((ex + sign * 2, ear_y + 1), 5, 10, fill=p["skin_shade"]))
    defs, url = clip(pid, face)
    nose_w, nose_down = nose(shape)
    nose_y = 181 + nose_down
    nose_d = path(
        f"M{pt((CX - 6 * nose_w, nose_y))}Q{pt((CX, nose_y + 5))} {pt((CX + 6 * nose_w, nose_y))}",
        **stroke(p["skin_shade"], 4.5),
    )
    cheeks = [ellipse((CX + s * 64, 186), 17, 10, fill=p["skin_shade"], opacity=0.22)
              for s in (-1, 1)]
    return [
        defs,
        path(neck, fill=p["skin_shade"]),
        *ears,
        path(face, fill=p["skin"]),
        f'<g clip-path="{url}">',
        *cheeks,
        "</g>",
        nose_d,
    ]


def avatar_mouth(st: Style, spec: MouthSpec, pid: str,
                 shape: Proportions = NEUTRAL) -> list[str]:
    """Coloured lips; open mouths show a dark inside, teeth and tongue. The person's mouth
    width and lip fullness (person.py) on the matched expression."""
    p = st.p
    spec = mouth_spec(spec, shape)
    upper, lower = lips(shape)
    if spec.pucker > 0.5:
        c = (CX, MOUTH_Y)
        return [
            ellipse(c, 14, 12, fill=p["lips"]),
            ellipse((CX, MOUTH_Y + 1), 5.5, 4.5, fill=p["mouth"]),
        ]
    m = mouth_geom(spec)
    if not m.is_open:
        # Filled lips in palette "lips" (recoloured from the photo: lipstick shows), and a
        # thin line where they meet.
        return [
            path(closed_lips(m, 6 * upper, 7 * lower), fill=p["lips"], stroke=p["lips"],
                 stroke_width=2,
                 stroke_linejoin="round"),
            path(mouth_line(m), **stroke(p["mouth"], 2.5)),
        ]
    d = mouth_shape(m)
    gap = m.bottom_y - m.top_y
    inner: list[str] = []
    if spec.smile >= 0.5:
        band = m.top_y + gap * 0.3
        inner.append(
            f'<rect x="{num(m.left[0] - 6)}" y="{num(m.top_y - 30)}" '
            f'width="{num(2 * m.half_width + 12)}" height="{num(band - m.top_y + 30)}" '
            f'fill="{p["teeth"]}"/>'
        )
    if gap > 16:
        inner.append(
            ellipse((m.centre_x, m.bottom_y + 3), m.half_width * 0.6, gap * 0.35, fill=p["tongue"])
        )
    defs, url = clip(pid, d)
    out = [
        defs,
        path(d, fill=p["mouth"]),
        f'<g clip-path="{url}">',
        *inner,
        "</g>",
        path(d, fill="none", stroke=p["lips"], stroke_width=num(6 * (upper + lower) / 2),
             stroke_linejoin="round"),
    ]
    if spec.tongue >= 0.5:
        t = tongue_path(m, 24 * spec.tongue)
        x = m.centre_x + 5
        out.append(path(t, fill=p["tongue"], stroke=p["lips"], stroke_width=4))
        out.append(
            path(f"M{pt((x, m.bottom_y - 2))}L{pt((x, m.bottom_y + 12))}", **stroke(p["mouth"], 3))
        )
    return out


def avatar_eye(st: Style, eye: Eye, c: Point, pid: str, side: str) -> list[str]:
    """White of the eye, brown iris, pupil and a catch light; lines for closed eyes."""
    p = st.p
    line = p["line"]
    if eye.look == "shut":
        return [path(eye_lid_arc(c, 17, 6), **stroke(line, 6))]
    if eye.look == "happy":
        return [path(eye_lid_arc((c[0], c[1] + 6), 17, -10), **stroke(line, 6))]
    rx = 17.0
    if eye.look == "wide":
        ry, iris = 13 + 8 * eye.open, 8.0
    elif eye.look == "narrow":
        ry, iris = 3 + 10 * eye.open, 10.0
    else:
        ry, iris = 5 + 14 * eye.open, 10.0
    if eye.look == "lidded":
        ry = 14.0
    sclera = f"M{pt((c[0] - rx, c[1]))}A{num(rx)},{num(ry)} 0 1 1 {pt((c[0] + rx, c[1]))}" + (
        f"A{num(rx)},{num(ry)} 0 1 1 {pt((c[0] - rx, c[1]))}Z"
    )
    defs, url = clip(pid, sclera, f"{side}-clip")
    look_x = c[0] + (1 if side == "left" else -1)  # a hint of convergence looks friendlier
    inner = [
        ellipse((look_x, c[1] + 1), iris, iris, fill=p["iris"]),
        ellipse((look_x, c[1] + 1), iris * 0.5, iris * 0.5, fill=p["pupil"]),
        ellipse((look_x + 3.5, c[1] - 3), 3, 3, fill=p["eye_white"]),
    ]
    if eye.look == "lidded":
        lid = c[1] + ry - 2 * ry * eye.open / 0.7
        inner.append(
            f'<rect x="{num(c[0] - rx - 2)}" y="{num(c[1] - ry - 2)}" '
            f'width="{num(2 * rx + 4)}" height="{num(lid - c[1] + ry + 2)}" '
            f'fill="{p["skin_shade"]}"/>'
        )
        lid_line = path(
            f"M{pt((c[0] - rx - 1, lid))}L{pt((c[0] + rx + 1, lid))}", **stroke(line, 5)
        )
    else:
        # The upper lid line: the top half of the sclera outline, thicker like lashes.
        lid_line = path(
            f"M{pt((c[0] - rx - 1, c[1]))}A{num(rx + 1)},{num(ry + 1)} 0 0 1 "
            f"{pt((c[0] + rx + 1, c[1]))}",
            **stroke(line, 4.5),
        )
    return [
        defs,
        path(sclera, fill=p["eye_white"], stroke=line, stroke_width=2),
        f'<g clip-path="{url}">',
        *inner,
        "</g>",
        lid_line,
    ]


def avatar_brows(st: Style, spec: BrowsSpec, pid: str,
                 shape: Proportions = NEUTRAL) -> list[str]:
    """Tapered brows, darker than the hair so that raised brows stay visible against it; at
    the person's thickness, arch and place (person.py)."""
    out = []
    thick = brow_thickness(shape)
    for side in ("left", "right"):
        o, k, i = person_brow_points(spec, side, 0.45, shape)
        out.append(path(tapered_brow(o, k, i, 3.5 * thick, 9 * thick), fill=st.p["brow"]))
    return out



HEADWEAR_SLUGS = ("cap", "hat", "beanie", "headscarf", "hijab", "turban", "keffiyeh")


def avatar_likeness(st: Style, slug: str, role: str, d: str) -> list[str]:
    """Flat colours: hair and facial hair in their recolourable palette entries, glasses in
    a dark frame with a faint lens, headwear in fixed colours with a darker fold."""
    p = st.p
    if slug in HEADWEAR_SLUGS:
        main, shade = p[slug], p[f"{slug}_shade"]
        # A light cloth (a keffiyeh) keeps an edge in its shade against a white chat.
        edge = {"stroke": shade, "stroke_width": 2.5} if slug == "keffiyeh" else {}
        return {
            "fill": [path(d, fill=main, **edge)],
            "ring": [path(d, fill=main, fill_rule="evenodd")],
            "shade": [path(d, fill=shade)],
            "accent": [path(d, fill=p["hat_band"])],
            "line": [path(d, **stroke(shade, 3))],
            "check": [path(d, fill=p["keffiyeh_check"], opacity=0.85)],
            "cord": [path(d, **stroke(p["agal"], 6))],
        }[role]
    sun = slug == "sunglasses"
    hair, shade, streak = p["hair"], p["hair_shade"], p["hair_highlight"]
    if slug in FACIAL_HAIR_SLUGS:
        hair, shade, streak = p["beard"], p["beard_shade"], None
    # Two-tone hair: a highlight streak under every strand (compose draws it in the hair's
    # own colour, so invisible, when the person has no highlights).
    streaks = [path(d, **stroke(streak, 6.5), opacity=0.9)] if streak else []
    painters = {
        "fill": lambda: [path(d, fill=hair)],
        "lock": lambda: [*streaks, path(d, **stroke(hair, 7)), path(d, **stroke(shade, 2))],
        "part": lambda: [path(d, **stroke(p["skin_shade"], 3))],
        "shade_line": lambda: [path(d, **stroke(shade, 4))],
        "accent": lambda: [path(d, fill=shade)],
        "soft": lambda: [path(d, fill=hair, opacity=0.88)],
        # Hair behind the head: the hair colour darkened by half its shade, so that light
        # hair stays one colour instead of turning two-tone.
        "shade": lambda: [path(d, fill=hair), path(d, fill=shade, opacity=0.55)],
        "light": lambda: [path(d, fill=p["hair_light"])],
        "line": lambda: [*streaks, path(d, **stroke(shade, 3))],
        "shine": lambda: [path(d, **stroke(p["shine"], 5), opacity=0.35)],
        "stubble": lambda: [path(d, fill=shade, opacity=0.28)],
        "hatch": lambda: [path(d, **stroke(shade, 2.2), opacity=0.5)],
        "dots": lambda: [path(d, **stroke(shade, 2.6), opacity=0.6)],
        "lens": lambda: [path(d, fill=p["sun_lens"] if sun else p["lens"],
                              opacity=0.92 if sun else 0.25)],
        "frame": lambda: [path(d, **stroke(p["frame"], 5 if sun else 4.5))],
        "bridge": lambda: [path(d, **stroke(p["frame"], 4.5))],
        "glare": lambda: [path(d, **stroke(p["shine"], 5), opacity=0.45)],
        # Signs of age: thin lines in the skin's own shade, so they follow every skin tone.
        "crease": lambda: [path(d, **stroke(p["skin_shade"], 2.6))],
        "stud": lambda: [path(d, fill=p["earring"], stroke=p["earring_edge"], stroke_width=1.5)],
        "drop": lambda: [path(d, fill=p["earring"], stroke=p["earring_edge"], stroke_width=1.5)],
    }
    return painters[role]()


FACIAL_HAIR_SLUGS = ("stubble", "moustache", "goatee", "beard")

STYLE = Style(
    name="avatar",
    title="Avatar",
    description="A flat cartoon person: skin, hair, beard and lip colour from the photo.",
    order=1,
    skin_from_photo=True,
    hair_from_photo=True,
    lips_from_photo=True,
    # The head is shrunk about a low centre: the chin stays, the top frees room for hair.
    head=Head(scale=0.86, cy=200.0),
    palette={
        "skin": "#F2C7A0",
        "skin_shade": "#D99E76",
        "line": "#3A2A22",
        "hair": "#6A4330",
        "hair_shade": "#4F3022",
        "hair_light": "#8A5E45",
        # Highlights: compose draws them in hair_highlight_rgb, else in the hair's colour.
        "hair_highlight": "#6A4331",
        "beard": "#5E3D2B",
        "beard_shade": "#432A1D",
        "brow": "#35241B",
        "eye_white": "#FFFFFF",
        "iris": "#6B4A2E",
        "pupil": "#1E1410",
        "lips": "#C86A6E",
        "mouth": "#5E1E24",
        "teeth": "#FFFFFF",
        "tongue": "#EF7B85",
        "shine": "#FFFFFE",
        "frame": "#26221F",
        "lens": "#CFE8F7",
        "sun_lens": "#1B1D22",
        "hat_band": "#2B2B33",
        "cap": "#2F6FB5",
        "cap_shade": "#24558C",
        "hat": "#8C6A4F",
        "hat_shade": "#6E5039",
        "beanie": "#D9A02B",
        "beanie_shade": "#B07E17",
        "headscarf": "#6F4A8E",
        "headscarf_shade": "#54366D",
        "turban": "#C0392B",
        "turban_shade": "#962A1F",
        "hijab": "#3E5C8A",
        "hijab_shade": "#2D4468",
        "keffiyeh": "#F4F1EA",
        "keffiyeh_shade": "#C9C3B6",
        "keffiyeh_check": "#B3202B",
        "agal": "#1C1B1E",
        "earring": "#E9B93A",
        "earring_edge": "#A8781A",
        # Pack parts; none of these may equal a recoloured colour (skin, hair, lips...).
        "heart": "#E0245E",
        "heart_edge": "#A3113F",
        "star": "#FFB83D",
        "star_edge": "#9A5B00",
        "water": "#6EC1F0",
        "water_edge": "#2F7FC1",
        "blush": "#F26B8A",
        "letter": "#4A7BD0",
        "anger": "#E0302E",
        "sparkle": "#FFD23E",
        "sparkle_edge": "#E09A11",
        "party_hat": "#8E5CDA",
        "party_stripe": "#FFD23D",
        "party_edge": "#5A3597",
        "confetti_a": "#E0245F",
        "confetti_b": "#4A7BD1",
        "confetti_c": "#4CB051",
    },
    draw={
        "face": avatar_face,
        "eyes": pair_eyes(avatar_eye),
        "brows": avatar_brows,
        "mouth": avatar_mouth,
        "hair": likeness(hair_shapes, avatar_likeness),
        "facial_hair": likeness(facial_hair_shapes, avatar_likeness),
        "glasses": likeness(glasses_shapes, avatar_likeness),
        "headwear": likeness(headwear_shapes, avatar_likeness),
        "age": likeness(age_shapes, avatar_likeness),
        "earrings": likeness(earrings_shapes, avatar_likeness),
    },
    # Hands are drawn in the skin colour, so they take the person's skin tone too; a thin
    # dark outline keeps a hand apart from the face behind it (both are skin).
    pack=pack_draws(avatar_mouth, flat_pack_painter({
        "skin": "skin", "skin_edge": "line", "crease": "line", "lidfill": "skin_shade",
        "line": "lips"}, hand_edge=2.2, crease_opacity=0.55)),
)
