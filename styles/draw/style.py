"""What a style module defines: a ``Style`` (its style.toml fields, its head, and one drawing
function per part kind) and the helpers that turn shared ``Shapes`` into SVG elements."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .geometry import EYE_CENTRES, Head, Shapes
from .specs import Eye, EyesSpec, PartSpec

LAYER_BACK = "<!-- layer: back -->"
LAYER_FRONT = "<!-- layer: front -->"

# A drawing function gets the style, the variant and the part id (to prefix internal ids
# such as gradients and clip paths) and returns the SVG elements of the part body.
Draw = Callable[["Style", PartSpec, str], list[str]]
# A painter turns one role-tagged shape (see geometry.Shapes) into SVG elements.
Painter = Callable[[str, str], list[str]]


@dataclass
class Style:
    """A style: its ``style.toml`` fields, its head and a drawing function per part kind.

    A kind missing from ``draw`` is simply not part of the style (classic draws no hair).
    """

    name: str
    title: str
    description: str
    palette: dict[str, str]
    draw: dict[str, Draw] = field(repr=False)
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
    """Turn a one-eye drawing function into a part drawing function for both eyes."""

    def draw(st: Style, spec: PartSpec, pid: str) -> list[str]:
        assert isinstance(spec, EyesSpec)
        out = draw_eye(st, spec.left, EYE_CENTRES["left"], pid, "left")
        return out + draw_eye(st, spec.right, EYE_CENTRES["right"], pid, "right")

    return draw


def likeness(shapes_of: Callable[[str, Head], Shapes],
             painter: Callable[[Style, str, str, str], Sequence[str]]) -> Draw:
    """A drawing function for a likeness kind: the shared geometry of the part's slug,
    painted by the style's ``painter(style, slug, role, d)``."""

    def draw(st: Style, spec: PartSpec, pid: str) -> list[str]:
        shapes = shapes_of(spec.slug, st.head)
        return layered(shapes, lambda role, d: list(painter(st, spec.slug, role, d)))

    return draw
