"""The /style picture: every style's preview side by side, each labelled with its title.

A style's preview is `styles/<name>/preview.png` (written by `moji styles preview`), else the
sample sticker a worker rendered into Redis. The bot only reads PNG files: it never renders.
"""

from __future__ import annotations

import hashlib
import io

from pipeline.style import Style

TILE = 256
LABEL = 40


def preview_sheet(previews: list[tuple[Style, bytes]]) -> bytes:
    """A PNG with one tile per (style, preview PNG), on white, titles underneath."""
    from PIL import Image, ImageDraw, ImageFont

    sheet = Image.new("RGB", (TILE * len(previews), TILE + LABEL), "white")
    draw = ImageDraw.Draw(sheet)
    try:
        font = ImageFont.load_default(size=22)
    except TypeError:  # Pillow < 10.1
        font = ImageFont.load_default()
    for i, (style, png) in enumerate(previews):
        tile = Image.open(io.BytesIO(png)).convert("RGBA")
        tile.thumbnail((TILE - 16, TILE - 16))
        x = i * TILE + (TILE - tile.width) // 2
        sheet.paste(tile, (x, 8 + (TILE - 16 - tile.height) // 2), tile)
        width = draw.textlength(style.title, font=font)
        draw.text((i * TILE + (TILE - width) / 2, TILE + 6), style.title, fill="black", font=font)
    out = io.BytesIO()
    sheet.save(out, "PNG", optimize=True)
    return out.getvalue()


def sheet_key(previews: list[tuple[Style, bytes]]) -> str:
    """A name for a sheet that changes when any preview does (to reuse its uploaded file_id)."""
    digest = hashlib.sha256()
    for style, png in previews:
        digest.update(style.name.encode() + style.title.encode() + hashlib.sha256(png).digest())
    return "sheet:" + digest.hexdigest()[:32]
