"""Custom emoji: a person's face at exactly 100x100, for a Telegram custom emoji set.

Telegram shows custom emoji inside text, often at the size of a letter, so the drawing is made
for that size, not shrunk from a sticker:

- the view box is cropped to the drawing itself (a sticker leaves room around the head: at
  100 px that room is wasted), so the face fills the square;
- the cropped SVG is rasterised by CairoSVG at 100 px directly (vector edges at the target
  size, no resampling blur);
- a thin dark contour is laid behind it, so the silhouette stays clear on light and dark chat
  backgrounds and at 20 px in a line of text.

Pure image work, like pipeline.pack: no Telegram, no files.
"""

from __future__ import annotations

import io
import re

import numpy as np

from .compose import STICKER_VIEWBOX, render_png
from .likeness import Likeness

EMOJI_SIDE = 100
MARGIN = 0.03  # of the cropped box on each side
CONTOUR_PX = 1.4  # the dark contour's width at 100 px
CONTOUR_RGBA = (24, 22, 28, 230)


def _content_box(png: bytes, viewbox: str) -> tuple[float, float, float]:
    """The drawing's square box (x, y, side) in view-box units, from its 512 px raster."""
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    alpha = np.asarray(image.getchannel("A"))
    ys, xs = np.nonzero(alpha > 8)
    vx, vy, vw, vh = (float(v) for v in viewbox.split())
    if len(xs) == 0:
        return vx, vy, vw
    scale = vw / image.width
    left, right = vx + xs.min() * scale, vx + (xs.max() + 1) * scale
    top, bottom = vy + ys.min() * scale, vy + (ys.max() + 1) * scale
    side = max(right - left, bottom - top) * (1 + 2 * MARGIN)
    cx, cy = (left + right) / 2, (top + bottom) / 2
    return cx - side / 2, cy - side / 2, side


def _with_contour(png: bytes) -> bytes:
    from PIL import Image, ImageFilter

    image = Image.open(io.BytesIO(png)).convert("RGBA")
    alpha = image.getchannel("A")
    # a soft dilation of the silhouette: max filter, then a little blur for an even edge
    grown = alpha.filter(ImageFilter.MaxFilter(3)).filter(
        ImageFilter.GaussianBlur(CONTOUR_PX / 2))
    grown = grown.point(lambda v: 255 if v > 60 else int(v * 255 / 60))
    contour = Image.new("RGBA", image.size, CONTOUR_RGBA[:3] + (0,))
    contour.putalpha(grown.point(lambda v: v * CONTOUR_RGBA[3] // 255))
    contour.alpha_composite(image)
    out = io.BytesIO()
    contour.save(out, "PNG", optimize=True)
    return out.getvalue()


def custom_emoji_png(likeness: Likeness, face_part: str | None, style: str,
                     expression: dict[str, str] | None = None) -> bytes:
    """A 100x100 PNG of the look with an expression (the part ids of a pack sticker)."""
    from .pipeline import draw_identity

    sticker = draw_identity(likeness, face_part, style, expression)
    x, y, side = _content_box(sticker.png, STICKER_VIEWBOX)
    svg = re.sub(r'viewBox="[^"]*"', f'viewBox="{x:.2f} {y:.2f} {side:.2f} {side:.2f}"',
                 sticker.svg, count=1)
    return _with_contour(render_png(svg, EMOJI_SIDE))


def render_emoji_pack(likeness: Likeness, face_part: str | None, style: str) -> list:
    """The pack's 24 expressions as custom emoji: [(PackSticker, 100x100 PNG)], PACK's order."""
    from .pack import PACK, resolve
    from .style import load_style

    chosen = load_style(style)
    return [(item, custom_emoji_png(likeness, face_part, style, resolve(chosen, item)))
            for item in PACK]
