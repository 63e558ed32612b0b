"""Stage 7: the chosen parts into one SVG, and CairoSVG to a 512x512 RGBA sticker PNG."""

from __future__ import annotations

import colorsys
import dataclasses
import functools
import io
import os
import re
import struct
import sys
import zlib
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .align import FRAME_SIZE
from .style import Style, StylePart

if TYPE_CHECKING:
    from styles.draw.person import Proportions

    from .likeness import Likeness

STICKER_SIZE = 512
STICKER_MAX_BYTES = 512 * 1024  # Telegram's limit for a static sticker
# The part of the canonical frame a sticker shows (docs/styles.md).
STICKER_VIEWBOX = "18 30 270 270"
# Back to front: (part kind, layer of that part). Hair and hats have a layer behind the head and
# one in front of the face (StylePart.layers); other parts are one layer.
# Signs of age lie on the skin under everything else of the face; earrings hang in front of
# the hair (tucked behind the ear) and under a headscarf.
LAYERS = (("hair", "back"), ("headwear", "back"), ("face", "main"), ("age", "main"),
          ("facial_hair", "main"), ("eyes", "main"), ("brows", "main"), ("mouth", "main"),
          ("glasses", "main"), ("hair", "front"), ("earrings", "main"), ("headwear", "front"),
          ("extras", "main"))
LAYER_ORDER = tuple(dict.fromkeys(kind for kind, _ in LAYERS))  # kinds, back to front

# A recolouring: (palette colour the part files draw with, colour for this person) pairs.
Colours = tuple[tuple[str, str], ...]


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#{:02X}{:02X}{:02X}".format(*(int(round(min(255, max(0, c)))) for c in rgb))


def skin_palette(skin_rgb: tuple[int, int, int]) -> tuple[str, str]:
    """A flat skin colour and its shade from a sampled photo colour.

    Photos are shaded and often grey; a cartoon wants a clean, lighter tone, so lightness is
    lifted and the colour quantised (which also keeps the render cache useful).
    """
    r, g, b = (c / 255 for c in skin_rgb)
    hue, light, sat = colorsys.rgb_to_hls(r, g, b)
    light = min(0.86, max(0.35, light * 1.15 + 0.08))
    light = round(light * 20) / 20
    sat = round(min(0.7, sat) * 10) / 10
    hue = round(hue * 24) / 24
    base = colorsys.hls_to_rgb(hue, light, sat)
    shade = colorsys.hls_to_rgb(hue, light * 0.82, min(1.0, sat * 1.1))
    return _hex(tuple(c * 255 for c in base)), _hex(tuple(c * 255 for c in shade))


def hair_palette(rgb: tuple[int, int, int]) -> tuple[str, str, str]:
    """Hair colour, its shade and its highlight, quantised like skin (a few dozen colours in
    all, so that rasterised hair layers are shared between people)."""
    r, g, b = (c / 255 for c in rgb)
    hue, light, sat = colorsys.rgb_to_hls(r, g, b)
    light = round(min(0.92, max(0.1, light)) * 20) / 20
    sat = round(min(0.8, sat) * 10) / 10
    hue = round(hue * 24) / 24

    def tone(lightness: float, saturation: float) -> str:
        return _hex(tuple(c * 255 for c in colorsys.hls_to_rgb(hue, lightness, saturation)))

    return (tone(light, sat), tone(max(0.04, light * 0.72), min(1.0, sat * 1.1)),
            tone(min(0.97, light + 0.12), sat * 0.9))


def lips_colour(rgb: tuple[int, int, int]) -> str:
    """A clean lip colour: the measured hue, enough saturation to read as lips at sticker size."""
    r, g, b = (c / 255 for c in rgb)
    hue, light, sat = colorsys.rgb_to_hls(r, g, b)
    light = round(min(0.62, max(0.3, light)) * 20) / 20
    sat = round(min(0.75, max(0.3, sat)) * 10) / 10
    hue = round(hue * 24) / 24
    return _hex(tuple(c * 255 for c in colorsys.hls_to_rgb(hue, light, sat)))


def iris_colour(likeness: Likeness) -> str:
    """The eye colour drawn: the swatch of the eye colour's name (what reads as "blue" or
    "hazel" at sticker size), a third of the way to the measured iris colour when there is
    one, quantised like the other colours."""
    from .likeness import EYE_SWATCHES, hex_to_rgb

    rgb = hex_to_rgb(EYE_SWATCHES.get(likeness.eye_colour, EYE_SWATCHES["brown"]))
    if likeness.eye_rgb is not None:
        rgb = _mix(rgb, likeness.eye_rgb, 0.33)
    hue, light, sat = colorsys.rgb_to_hls(*(c / 255 for c in rgb))
    hue, light, sat = round(hue * 24) / 24, round(light * 20) / 20, round(sat * 10) / 10
    return _hex(tuple(c * 255 for c in colorsys.hls_to_rgb(hue, light, sat)))


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    return tuple(int(round(x * (1 - t) + y * t)) for x, y in zip(a, b, strict=True))


def likeness_skin_palette(likeness: Likeness) -> tuple[str, str]:
    """Skin for a person: their Monk tone, warmed a little by the measured colour.

    The measured colour is already corrected for the light, but a photo's skin still carries
    make-up, flush and shadow; the Monk swatch is what people recognise as their tone (and what
    /me lets them pick), so it leads, and the same person gets the same tone every time.
    """
    from .likeness import MONK_SCALE, hex_to_rgb

    base = _mix(hex_to_rgb(MONK_SCALE[likeness.monk - 1]), likeness.skin_rgb, 0.3)
    hue, light, sat = colorsys.rgb_to_hls(*(c / 255 for c in base))
    hue, light, sat = round(hue * 24) / 24, round(light * 40) / 40, round(sat * 10) / 10

    def tone(lightness: float) -> str:
        return _hex(tuple(c * 255 for c in colorsys.hls_to_rgb(hue, lightness, sat)))

    return tone(light), tone(light * 0.85)


def drawn_hair_rgb(rgb: tuple[int, int, int], name: str | None) -> tuple[int, int, int]:
    """The colour hair is drawn in: the measured colour, pulled halfway to its name's swatch
    so that a "blonde" reads as blonde in flat art; just the swatch when the photo gave no
    colour (a greyscale photo's "dark brown" is grey in its pixels)."""
    from .likeness import HAIR_SWATCHES, hex_to_rgb

    if not name or name not in HAIR_SWATCHES:
        return rgb
    swatch = hex_to_rgb(HAIR_SWATCHES[name])
    _, _, measured_sat = colorsys.rgb_to_hls(*(c / 255 for c in rgb))
    _, _, swatch_sat = colorsys.rgb_to_hls(*(c / 255 for c in swatch))
    if measured_sat < 0.08 and swatch_sat >= 0.08:
        return swatch
    return _mix(rgb, swatch, 0.5)


def person_colours(style: Style, skin_rgb: tuple[int, int, int] | None = None,
                   likeness: Likeness | None = None) -> Colours:
    """The palette swaps that draw a style in a person's colours: skin (from the likeness, else
    the photo's sample), hair (and its highlights) and beard, lips, each only where the style
    takes it from photos; headwear in its measured colour wherever the style colours it."""
    p, swaps = style.palette, []
    if style.skin_from_photo and likeness is not None:
        swaps += zip(("skin", "skin_shade"), likeness_skin_palette(likeness), strict=True)
    elif style.skin_from_photo and skin_rgb is not None:
        swaps += zip(("skin", "skin_shade"), skin_palette(skin_rgb), strict=True)
    if style.hair_from_photo and likeness is not None:
        if likeness.hair_colour:
            hair = drawn_hair_rgb(likeness.hair_rgb, likeness.hair_colour)
        else:  # bald: nothing measured on the head; brows and beard take the beard's colour
            hair = likeness.facial_hair_rgb or drawn_hair_rgb(likeness.hair_rgb, "dark_brown")
        tones = hair_palette(hair)
        swaps += zip(("hair", "hair_shade", "hair_light"), tones, strict=True)
        # Two-tone hair: the streaks in the highlight colour; without one they are drawn in
        # the hair's own colour and vanish into it.
        highlight = likeness.hair_highlight_rgb
        swaps.append(("hair_highlight", hair_palette(highlight)[0] if highlight else tones[0]))
        # Brows go with the hair (grey hair, grey brows), a shade darker, as people's are.
        swaps.append(("brow", tones[1]))
        # A beard in its own measured colour (grey and white beards under dark hair).
        beard = likeness.facial_hair_rgb or hair
        swaps += zip(("beard", "beard_shade", "beard_light"), hair_palette(beard), strict=True)
    if likeness is not None and likeness.headwear_rgb and p.get(likeness.headwear):
        # Headwear in its measured colour, in every style that colours it.
        main, shade, _ = hair_palette(likeness.headwear_rgb)
        swaps += [(likeness.headwear, main), (f"{likeness.headwear}_shade", shade)]
    if style.lips_from_photo and likeness is not None and likeness.lips_rgb is not None:
        swaps.append(("lips", lips_colour(likeness.lips_rgb)))
    if style.skin_from_photo and likeness is not None and p.get("iris"):
        swaps.append(("iris", iris_colour(likeness)))
    return tuple((p[key], new) for key, new in swaps if p.get(key))


# --- the person's own face: parts redrawn with their proportions (styles/draw/person.py) ------

# How much the drawn face exaggerates the person's differences from the average face (1: as
# measured; 0: every face the style's template).
CARICATURE = float(os.environ.get("MOJI_CARICATURE", "1.4"))


def personal_parts(style: Style, chosen: dict[str, StylePart],
                   likeness: Likeness | None) -> dict[str, StylePart]:
    """`chosen` with the face, eyes, brows and mouth redrawn in the person's proportions
    (`likeness.face`, each shrunk by its one-photo reliability, then exaggerated by
    CARICATURE), the expression of each matched part kept. A part keeps its drawing
    when there are no proportions, when the style is not one Moji draws itself (a style from
    MOJI_STYLES_DIR with its own parts), or for parts that have no parametric drawing (a
    sticker pack's heart eyes). Redrawn parts get ids of their own ("eyes-open~eye_size=0.5"),
    so that the layer and sticker caches keep them apart; they are cached by part and rounded
    proportions, so a person's later stickers cost nothing more."""
    if likeness is None or not likeness.face or CARICATURE <= 0 or not _draws_itself(style):
        return chosen
    from styles.draw.person import Proportions

    from .geometry import reliability

    shape = Proportions.from_face(likeness.face, CARICATURE, reliability=reliability())
    return {kind: _personal_part(style.name, part, shape.for_kind(kind))
            for kind, part in chosen.items()}


def _draws_itself(style: Style) -> bool:
    """True for a built-in style loaded from the shipped styles folder (a style of the same
    name from elsewhere has parts of its own, which the built-in drawing must not replace)."""
    import styles
    from styles.draw.person import has_drawing

    shipped = Path(styles.__file__).parent.resolve()
    return style.path.parent.resolve() == shipped and has_drawing(style.name)


@functools.lru_cache(maxsize=1024)
def _personal_part(style_name: str, part: StylePart, shape: Proportions) -> StylePart:
    """One part redrawn in `shape` (cached: a person's parts are drawn once)."""
    from styles.draw.person import PERSON_KINDS, redraw

    if part.kind not in PERSON_KINDS or not shape.measured:
        return part
    body = redraw(style_name, part.kind, part.id, shape)
    if body is None:
        return part
    return dataclasses.replace(part, id=f"{part.id}~{shape.key}", body=body)


def _recolour(svg: str, colours: Colours) -> str:
    """Swap palette colours in one pass, so that a new colour that happens to equal another
    palette colour is not swapped again."""
    if not colours:
        return svg
    table = {old.lower(): new for old, new in colours}
    pattern = re.compile("|".join(re.escape(old) for old in table), re.I)
    return pattern.sub(lambda m: table[m.group(0).lower()], svg)


def _layer_bodies(chosen: dict[str, StylePart]) -> list[tuple[str, str, str]]:
    """(kind, layer, SVG elements) of the chosen parts, back to front."""
    out = []
    for kind, layer in LAYERS:
        part = chosen.get(kind)
        if part is not None and layer in part.layers:
            out.append((kind, layer, part.layers[layer]))
    return out


def compose_svg(style: Style, chosen: dict[str, StylePart],
                skin_rgb: tuple[int, int, int] | None = None,
                viewbox: str = STICKER_VIEWBOX, size: int = STICKER_SIZE,
                colours: Colours | None = None, likeness: Likeness | None = None) -> str:
    """One SVG document from one part per kind, layered back to front (LAYERS), drawn in the
    person's colours (`colours`, or those of `skin_rgb` and `likeness`: person_colours)."""
    if colours is None:
        colours = person_colours(style, skin_rgb, likeness)
    layers = [f'<g id="{kind}-{layer}">{body}</g>' for kind, layer, body in _layer_bodies(chosen)]
    return _recolour(_svg_document("".join(layers), viewbox, size), colours)


def group_cells(count: int, size: int = STICKER_SIZE) -> list[tuple[float, float, float]]:
    """Where each of `count` people goes on a group sticker, in order: (x, y, side) squares.
    One row for up to 3 (the faces as large as the width allows), two rows of 2 or 3 for more,
    from the top; a shorter last row is centred. The sticker is as tall as its rows
    (group_height): Telegram wants one side of 512 px and the other at most 512, so two people
    make a 512x256 sticker rather than a square with empty bands."""
    columns = count if count <= 3 else (count + 1) // 2
    rows = [list(range(count))] if count <= 3 else [list(range(columns)),
                                                   list(range(columns, count))]
    side = size / columns
    cells = []
    for row_number, row in enumerate(rows):
        left = (size - side * len(row)) / 2
        cells += [(left + side * i, side * row_number, side) for i in range(len(row))]
    return cells


def group_height(count: int, size: int = STICKER_SIZE) -> int:
    """The height of a group sticker of `count` people `size` wide: its rows of cells."""
    cells = group_cells(count, size)
    return min(size, round(max(y + side for _, y, side in cells)))


def compose_group_svg(style: Style, people: list[tuple[dict[str, StylePart], Colours]],
                      size: int = STICKER_SIZE) -> str:
    """One SVG document of several people side by side (group_cells), `size` wide and
    group_height tall, each drawn from its own chosen parts in its own colours (person_colours)
    as a nested sticker. Element ids (the eyes' clip paths) get a prefix per person, so one
    person's references never reach another's."""
    cells = []
    for number, ((chosen, colours), (x, y, side)) in enumerate(
            zip(people, group_cells(len(people), size), strict=True)):
        body = "".join(f'<g id="{kind}-{layer}">{body}</g>'
                       for kind, layer, body in _layer_bodies(chosen))
        body = re.sub(r'(\bid="|url\(#|href="#)', rf"\g<1>p{number}-", _recolour(body, colours))
        cells.append(f'<svg x="{x:.2f}" y="{y:.2f}" width="{side:.2f}" height="{side:.2f}" '
                     f'viewBox="{STICKER_VIEWBOX}">{body}</svg>')
    height = group_height(len(people), size)
    return _svg_document("".join(cells), f"0 0 {size} {height}", size, height)


def _svg_document(body: str, viewbox: str, size: int, height: int | None = None) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'viewBox="{viewbox}" width="{size}" height="{height or size}">{body}</svg>')


@functools.lru_cache(maxsize=32)
def render_png(svg: str, size: int = STICKER_SIZE, height: int | None = None) -> bytes:
    """Rasterise an SVG document to a `size` wide, `height` (else `size`) tall RGBA PNG with
    CairoSVG (cached)."""
    import cairosvg

    return _fit_limit(cairosvg.svg2png(bytestring=svg.encode(), output_width=size,
                                       output_height=height or size))


def _fit_limit(png: bytes) -> bytes:
    if len(png) <= STICKER_MAX_BYTES:
        return png
    # A palette PNG is a fraction of the size and still looks the same for flat art.
    from PIL import Image

    image = Image.open(io.BytesIO(png)).quantize(256, method=Image.Quantize.FASTOCTREE)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


# Rasterised part layers: (style fingerprint, part id, layer, colours, size) -> (image, corner).
# A few hundred cropped layers are a few tens of MB; least recently used ones go first.
_LAYERS: OrderedDict[tuple, tuple] = OrderedDict()
MAX_LAYERS = 256


def _rasterise(svg: str, size: int):
    """An SVG document as a PIL RGBA image read straight from CairoSVG's cairo surface: no PNG
    encode and decode in between (cairo's write_to_png was about 80% of a cold layer)."""
    import cairosvg.parser
    import cairosvg.surface
    from PIL import Image

    if sys.byteorder != "little":  # cairo's pixels are native-endian: read them through a PNG
        return Image.open(io.BytesIO(render_png.__wrapped__(svg, size))).convert("RGBA")
    tree = cairosvg.parser.Tree(bytestring=svg.encode())
    surface = cairosvg.surface.PNGSurface(tree, None, 96, output_width=size, output_height=size)
    surface.cairo.flush()
    cairo = surface.cairo  # ARGB32, premultiplied, native (little) endian: Pillow's "BGRa"
    return Image.frombuffer("RGBA", (cairo.get_width(), cairo.get_height()),
                            bytes(cairo.get_data()), "raw", "BGRa", cairo.get_stride(), 1)


def _layer(style: Style, part: StylePart, layer: str, colours: Colours, size: int):
    """One layer of a part rasterised alone over the sticker's view box and cropped to what it
    covers: (PIL RGBA image, (x, y) of its top-left corner on the sticker)."""

    body = part.layers[layer]
    lowered = body.lower()
    # Only the swaps this layer uses: one rasterised beard serves every skin tone.
    colours = tuple((old, new) for old, new in colours if old.lower() in lowered)
    key = (style.fingerprint, part.id, layer, colours, size)
    if key in _LAYERS:
        _LAYERS.move_to_end(key)
        return _LAYERS[key]
    image = _rasterise(_recolour(_svg_document(body, STICKER_VIEWBOX, size), colours), size)
    box = image.getbbox() or (0, 0, 1, 1)
    _LAYERS[key] = (image.crop(box), box[:2])
    if len(_LAYERS) > MAX_LAYERS:
        _LAYERS.popitem(last=False)
    return _LAYERS[key]


def encode_png(rgba: np.ndarray, level: int = 2) -> bytes:
    """A plain RGBA PNG. Flat art needs no PNG row filters: unfiltered rows and fast zlib give
    files as small as Pillow's level-1 output in about half the time."""
    height, width, _ = rgba.shape
    rows = np.zeros((height, width * 4 + 1), np.uint8)  # each row starts with filter type 0
    rows[:, 1:] = rgba.reshape(height, width * 4)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), level)) + chunk(b"IEND", b""))


@functools.lru_cache(maxsize=64)  # about 100 KB each
def _sticker_png(style: Style, layers: tuple[tuple[StylePart, str], ...], colours: Colours,
                 size: int) -> bytes:
    from PIL import Image

    canvas = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    for part, layer in layers:
        image, corner = _layer(style, part, layer, colours, size)
        canvas.alpha_composite(image, dest=corner)
    return _fit_limit(encode_png(np.asarray(canvas)))


def render_sticker(style: Style, chosen: dict[str, StylePart],
                   skin_rgb: tuple[int, int, int] | None = None,
                   size: int = STICKER_SIZE, likeness: Likeness | None = None) -> bytes:
    """The sticker PNG for chosen parts: each part layer is rasterised by CairoSVG once per
    style and colouring, and the layers are alpha-composited, which draws the same picture as
    rasterising `compose_svg(...)` whole, at a fraction of the cost; the PNG of a combination
    is cached. Parts are drawn as given: personal_parts makes them the person's."""
    colours = person_colours(style, skin_rgb, likeness)
    layers = tuple((chosen[kind], layer) for kind, layer, _ in _layer_bodies(chosen))
    return _sticker_png(style, layers, colours, size)


def clear_render_cache(layers: bool = True) -> None:
    """Forget the composed stickers (group stickers too: render_png) and, unless
    `layers=False`, the rasterised part layers (benchmarks time the composite and the PNG
    encode with `layers=False`)."""
    if layers:
        _LAYERS.clear()
    _sticker_png.cache_clear()
    render_png.cache_clear()


def render_part(style: Style, part: StylePart, size: int = FRAME_SIZE,
                skin_rgb: tuple[int, int, int] | None = None) -> np.ndarray:
    """One part alone in the canonical frame as an (size, size, 4) uint8 RGBA array."""
    from PIL import Image

    svg = compose_svg(style, {part.kind: part}, skin_rgb, viewbox=f"0 0 {FRAME_SIZE} {FRAME_SIZE}",
                      size=size)
    png = render_png(svg, size)
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))
