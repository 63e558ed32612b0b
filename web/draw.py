"""Drawing a look for the web: the kept or edited likeness in a style, a pack expression, or the
whole pack as one strip. Compose only (pipeline.pipeline.draw_identity): no model is loaded.

CairoSVG and the compositor's layer cache are not made for threads, so every drawing runs on one
thread of its own (`executor`), off the event loop.
"""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

from pipeline.likeness import Likeness
from pipeline.pack import PACK, resolve
from pipeline.style import list_styles, load_style

executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="moji-draw")
SIZES = (64, 96, 100, 128, 160, 192, 256, 320, 384, 512)
STRIP_CELL = 96


def styles() -> list[dict[str, str]]:
    """Every style, with its title and description, in list_styles' order."""
    out = []
    for name in list_styles():
        style = load_style(name)
        out.append({"name": style.name, "title": style.title, "description": style.description,
                    # what the style draws: the page says when a trait does not show in it
                    "kinds": sorted(kind for kind, found in style.parts.items() if found)})
    return out


def expression_of(style_name: str, index: int | None) -> dict[str, str] | None:
    """The part ids of PACK[index] in a style (None: the calm /me face)."""
    if index is None:
        return None
    return resolve(load_style(style_name), PACK[index])


def look_png(likeness: Likeness, face_part: str | None, style: str, size: int = 512,
             expression: int | None = None) -> bytes:
    """One drawing as a PNG of `size` px."""
    from pipeline.pipeline import draw_identity

    return draw_identity(likeness, face_part, style, expression_of(style, expression),
                         size=size).png


def strip_png(likeness: Likeness, face_part: str | None, style: str,
              cell: int = STRIP_CELL) -> bytes:
    """The pack's 24 expressions side by side in one PNG (one request for the page's strip)."""
    from PIL import Image

    from pipeline.pipeline import draw_identity

    strip = Image.new("RGBA", (cell * len(PACK), cell), (0, 0, 0, 0))
    for i, item in enumerate(PACK):
        png = draw_identity(likeness, face_part, style, resolve(load_style(style), item),
                            size=cell).png
        strip.alpha_composite(Image.open(io.BytesIO(png)).convert("RGBA"), (i * cell, 0))
    out = io.BytesIO()
    strip.save(out, "PNG", compress_level=1)
    return out.getvalue()
