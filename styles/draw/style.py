"""What a style module defines: a ``Style`` (its style.toml fields, its head, and one drawing
function per part kind) and the helpers that turn shared ``Shapes`` into SVG elements."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .geometry import Head, Shapes
from .pack import Mark, extras_marks, eyes_marks, mouth_marks
from .person import NEUTRAL, Proportions, eye_centre, eye_transform
from .specs import Eye, EyesSpec, MouthSpec, PackSpec, PartSpec
from .svg import path, stroke

LAYER_BACK = "<!-- layer: back -->"
LAYER_FRONT = "<!-- layer: front -->"

# A drawing function gets the style, the variant and the part id (to prefix internal ids
# such as gradients and clip paths) and returns the SVG elements of the part body. Those of the
# face, eyes, brows and mouth also take the person's proportions (person.Proportions; left
# out, the template): person.redraw calls them so.
Draw = Callable[..., list[str]]
# A painter turns one role-tagged shape (see geometry.Shapes) into SVG elements.
Painter = Callable[[str, str], list[str]]
# A pack painter turns one pack Mark of a kind (eyes, mouth, extras) into SVG elements.
PackPainter = Callable[["Style", str, Mark], Sequence[str]]

# The laughing mouth is the style's own open smiling mouth, pushed further than grin-wide:
# wider, more open, corners higher.
LAUGH = MouthSpec("laugh", ("grin", "laugh"), smile=1.0, open=1.0, width=0.95)


@dataclass
class Style:
    """A style: its ``style.toml`` fields, its head and a drawing function per part kind.

    A kind missing from ``draw`` is simply not part of the style (classic draws no hair).
    ``pack`` draws the pack-only parts (specs.PACK_SPECS: heart eyes, tears, ...) per kind.
    """

    name: str
    title: str
    description: str
    palette: dict[str, str]
    draw: dict[str, Draw] = field(repr=False)
    pack: dict[str, Draw] = field(default_factory=dict, repr=False)
    head: Head = field(default_factory=Head)
    skin_from_photo: bool = False
    hair_from_photo: bool = False
    lips_from_photo: bool = False
    order: int = 0  # position among the built-in styles (listings, contact sheets)

    @property
    def p(self) -> dict[str, str]:
        """Short alias for the palette, used all over the drawing functions."""
        return self.palette


def layered(shapes: Shapes, paint: Painter) -> list[str]:
    """Paint ``shapes``; a part with a back layer gets the layer marker comments that the
    compose step splits on (docs/styles.md)."""
    front = [element for role, d in shapes.front for element in paint(role, d)]
    if not shapes.back:
        return front
    back = [element for role, d in shapes.back for element in paint(role, d)]
    return [LAYER_BACK, *back, LAYER_FRONT, *front]


def pair_eyes(
    draw_eye: Callable[[Style, Eye, tuple[float, float], str, str], list[str]],
) -> Draw:
    """Turn a one-eye drawing function into a part drawing function for both eyes; with the
    person's proportions, each eye is drawn at their spacing and scaled and tilted to their
    eye's size, height and slant (person.eye_transform), whatever the style draws."""

    def draw(st: Style, spec: PartSpec, pid: str, shape: Proportions = NEUTRAL) -> list[str]:
        assert isinstance(spec, EyesSpec)
        out = []
        for side, eye in (("left", spec.left), ("right", spec.right)):
            elements = draw_eye(st, eye, eye_centre(side, shape), pid, side)
            transform = eye_transform(side, shape)
            out += [f'<g transform="{transform}">', *elements, "</g>"] if transform else elements
        return out

    return draw


def likeness(shapes_of: Callable[[str, Head], Shapes],
             painter: Callable[[Style, str, str, str], Sequence[str]]) -> Draw:
    """A drawing function for a likeness kind: the shared geometry of the part's slug,
    painted by the style's ``painter(style, slug, role, d)``."""

    def draw(st: Style, spec: PartSpec, pid: str) -> list[str]:
        shapes = shapes_of(spec.slug, st.head)
        return layered(shapes, lambda role, d: list(painter(st, spec.slug, role, d)))

    return draw


def pack_draws(mouth: Draw, paint: PackPainter) -> dict[str, Draw]:
    """The drawing functions of the pack-only parts (specs.PACK_SPECS): the shared shapes of
    pack.py painted by the style's ``paint(style, kind, mark)``; the laughing mouth is the
    style's own ``mouth`` drawing of ``LAUGH``."""

    def marks_of(kind: str, spec: PackSpec) -> list[Mark]:
        if kind == "eyes":
            return eyes_marks(spec.slug, "left") + eyes_marks(spec.slug, "right")
        if kind == "mouth":
            return mouth_marks(spec.slug)
        return extras_marks(spec.slug)

    def drawer(kind: str) -> Draw:
        def draw(st: Style, spec: PartSpec, pid: str) -> list[str]:
            assert isinstance(spec, PackSpec)
            if kind == "mouth" and spec.slug == "laugh":
                return mouth(st, LAUGH, pid)
            return [element for mark in marks_of(kind, spec) for element in paint(st, kind, mark)]

        return draw

    return {kind: drawer(kind) for kind in ("eyes", "mouth", "extras")}


# Where a flat-colour style (classic, avatar) takes each pack role's colour from: palette keys.
FLAT_ROLES: dict[str, str] = {
    "heart": "heart", "star": "star", "wet": "water", "pool": "water", "water": "water",
    "lid": "line", "lash": "line", "sclera": "eye_white", "pupil": "pupil", "iris": "iris",
    "shine": "shine",
    "heart_light": "shine", "water_light": "shine", "lidfill": "skin", "inside": "mouth",
    "tongue": "tongue", "lips": "lips", "line": "lips", "blush": "blush", "letter": "letter",
    "anger": "anger", "sparkle": "sparkle", "hat": "party_hat", "hat_stripe": "party_stripe",
    "hat_edge": "party_edge", "pompom": "party_stripe", "confetti_a": "confetti_a",
    "confetti_b": "confetti_b", "confetti_c": "confetti_c", "skin": "hand",
    "skin_edge": "hand_edge", "crease": "hand_edge",
}
# Edges drawn around filled shapes (palette key of the edge, width): a darker rim keeps a
# light-blue tear or a yellow star apart from the face and from a light chat background.
FLAT_EDGES: dict[str, tuple[str, float]] = {
    "water": ("water_edge", 3.0), "heart": ("heart_edge", 2.5), "star": ("star_edge", 4.0),
    "sparkle": ("sparkle_edge", 2.5), "pompom": ("party_edge", 2.5), "sclera": ("line", 4.0),
}
# Lines that float outside the face get a white halo so that they read on a dark chat.
HALO = ("letter", "anger")
HAND_EDGE = 3.5  # the outline around a hand's merged silhouette


def flat_pack_painter(roles: dict[str, str] | None = None,
                      skip: Sequence[str] = ("blush_hatch",), hand_edge: float = HAND_EDGE,
                      crease_opacity: float = 1.0) -> PackPainter:
    """A pack painter for flat-colour styles: each role in its palette colour (FLAT_ROLES,
    overridden by ``roles``), filled shapes with a darker edge (FLAT_EDGES); hands outlined
    ``hand_edge`` px wide, their creases at ``crease_opacity``."""
    table = {**FLAT_ROLES, **(roles or {})}

    def paint(st: Style, kind: str, mark: Mark) -> list[str]:
        p = st.p
        role, d, width = mark
        if role in skip:
            return []
        colour = p[table[role]]
        if role == "skin_edge":
            if width:
                return [path(d, **stroke(colour, width + 2 * hand_edge))]
            return [path(d, fill=colour, stroke=colour, stroke_width=2 * hand_edge,
                         stroke_linejoin="round")]
        if role == "crease":
            return [path(d, **stroke(colour, width), opacity=crease_opacity)]
        if role == "blush":
            return [path(d, fill=colour, opacity=0.55)]
        if role in ("heart_light", "water_light"):
            return [path(d, **stroke(colour, width), opacity=0.75)]
        if width:
            out = []
            if role in HALO:
                out.append(path(d, **stroke(p["shine"], width + 5)))
            return [*out, path(d, **stroke(colour, width))]
        edge = FLAT_EDGES.get(role)
        if edge:
            return [path(d, fill=colour, stroke=p[edge[0]], stroke_width=edge[1],
                         stroke_linejoin="round")]
        return [path(d, fill=colour)]

    return paint
