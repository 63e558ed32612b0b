"""Stage 7: the chosen parts into one SVG, and CairoSVG to a 512x512 RGBA sticker PNG."""

from __future__ import annotations

import colorsys
import functools
import io
import struct
import zlib
from collections import OrderedDict

import numpy as np

from .align import FRAME_SIZE
from .style import Style, StylePart

STICKER_SIZE = 512
STICKER_MAX_BYTES = 512 * 1024  # Telegram's limit for a static sticker
# The part of the canonical frame a sticker shows (docs/styles.md).
STICKER_VIEWBOX = "18 30 270 270"
LAYER_ORDER = ("face", "mouth", "eyes", "brows")


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


def _recolour(svg: str, style: Style, skin: tuple[str, str] | None) -> str:
    if not (style.skin_from_photo and skin):
        return svg
    for key, new in zip(("skin", "skin_shade"), skin, strict=True):
        old = style.palette.get(key)
        if old:
            svg = svg.replace(old, new).replace(old.lower(), new).replace(old.upper(), new)
    return svg


def compose_svg(style: Style, chosen: dict[str, StylePart],
                skin_rgb: tuple[int, int, int] | None = None,
                viewbox: str = STICKER_VIEWBOX, size: int = STICKER_SIZE,
                skin: tuple[str, str] | None = None) -> str:
    """One SVG document from one part per kind, layered face, mouth, eyes, brows.

    Styles that take their skin from the photo get `skin_rgb`'s tone (or a ready `skin` pair).
    """
    if skin is None and skin_rgb is not None and style.skin_from_photo:
        skin = skin_palette(skin_rgb)
    layers = [f'<g id="{kind}">{chosen[kind].body}</g>' for kind in LAYER_ORDER if kind in chosen]
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
           f'viewBox="{viewbox}" width="{size}" height="{size}">' + "".join(layers) + "</svg>")
    return _recolour(svg, style, skin)


@functools.lru_cache(maxsize=32)
def render_png(svg: str, size: int = STICKER_SIZE) -> bytes:
    """Rasterise an SVG document to a size x size RGBA PNG with CairoSVG (cached)."""
    import cairosvg

    return _fit_limit(cairosvg.svg2png(bytestring=svg.encode(), output_width=size,
                                       output_height=size))


def _fit_limit(png: bytes) -> bytes:
    if len(png) <= STICKER_MAX_BYTES:
        return png
    # A palette PNG is a fraction of the size and still looks the same for flat art.
    from PIL import Image

    image = Image.open(io.BytesIO(png)).quantize(256, method=Image.Quantize.FASTOCTREE)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


# Rasterised part layers: (style fingerprint, part id, skin, size) -> (image, corner). A few
# hundred cropped layers are a few tens of MB; least recently used ones go first.
_LAYERS: OrderedDict[tuple, tuple] = OrderedDict()
MAX_LAYERS = 192


def _layer(style: Style, part: StylePart, skin: tuple[str, str] | None, size: int):
    """One part rasterised alone over the sticker's view box and cropped to what it covers:
    (PIL RGBA image, (x, y) of its top-left corner on the sticker)."""
    from PIL import Image

    body = part.body.lower()
    if skin and not any(style.palette.get(k, "\0").lower() in body for k in ("skin", "skin_shade")):
        skin = None  # this part has no skin in it: one layer serves every skin tone
    key = (style.fingerprint, part.id, skin, size)
    if key in _LAYERS:
        _LAYERS.move_to_end(key)
        return _LAYERS[key]
    svg = compose_svg(style, {part.kind: part}, size=size, skin=skin)
    image = Image.open(io.BytesIO(render_png.__wrapped__(svg, size))).convert("RGBA")
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
def _sticker_png(style: Style, part_ids: tuple[str, ...], skin: tuple[str, str] | None,
                 size: int) -> bytes:
    from PIL import Image

    canvas = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    for part_id in part_ids:
        layer, corner = _layer(style, style.part(part_id), skin, size)
        canvas.alpha_composite(layer, dest=corner)
    return _fit_limit(encode_png(np.asarray(canvas)))


def render_sticker(style: Style, chosen: dict[str, StylePart],
                   skin_rgb: tuple[int, int, int] | None = None,
                   size: int = STICKER_SIZE) -> bytes:
    """The sticker PNG for chosen parts: each part is rasterised by CairoSVG once per style (and
    skin tone) and the layers are alpha-composited, which draws the same picture as rasterising
    `compose_svg(...)` whole, at a fraction of the cost; the PNG of a combination is cached."""
    skin = skin_palette(skin_rgb) if (style.skin_from_photo and skin_rgb) else None
    part_ids = tuple(chosen[kind].id for kind in LAYER_ORDER if kind in chosen)
    return _sticker_png(style, part_ids, skin, size)


def render_part(style: Style, part: StylePart, size: int = FRAME_SIZE,
                skin_rgb: tuple[int, int, int] | None = None) -> np.ndarray:
    """One part alone in the canonical frame as an (size, size, 4) uint8 RGBA array."""
    from PIL import Image

    svg = compose_svg(style, {part.kind: part}, skin_rgb, viewbox=f"0 0 {FRAME_SIZE} {FRAME_SIZE}",
                      size=size)
    png = render_png(svg, size)
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))
