"""docs/examples/custom-emoji.png: a person's custom emoji (100x100, pipeline.emoji) next to the
same expressions as 512 px stickers, and at the 24 px of a line of text the sticker shrunk
(left) next to the emoji (right).

    PYTHONPATH=. python docs/examples/make_custom_emoji_example.py [PHOTO]
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from PIL import Image, ImageDraw

from pipeline.emoji import custom_emoji_png
from pipeline.pack import PACK, resolve
from pipeline.pipeline import Pipeline, draw_identity
from pipeline.style import load_style

HERE = Path(__file__).resolve().parent
PHOTO = Path(sys.argv[1]) if len(sys.argv) > 1 else \
    HERE.parent.parent / "tests" / "fixtures" / "likeness_beard.jpg"
PICKS = ("😀", "😂", "😍", "😉", "😎", "🤔", "😢", "😡")


def png(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGBA")


def main() -> None:
    with Pipeline.from_options() as pipe:
        sticker = pipe.render(PHOTO.read_bytes(), style="avatar")
    likeness, face = sticker.likeness, sticker.matches["face"].part_id
    items = [p for p in PACK if p.emoji in PICKS]
    rows = (("avatar", 0), ("lineart", 1))
    cell, row_h = 150, 290
    sheet = Image.new("RGBA", (cell * len(items) + 110, row_h * len(rows)), (255, 255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for style, r in rows:
        chosen = load_style(style)
        y = r * row_h
        for label, dy in (("512 px", 60), ("emoji 100", 175), ("24 px:", 250),
                          ("shrunk|emoji", 265)):
            draw.text((8, y + dy), label, fill=(90, 90, 90, 255))
        for i, item in enumerate(items):
            x = 110 + i * cell
            parts = resolve(chosen, item)
            big = png(draw_identity(likeness, face, style, parts).png)
            sheet.alpha_composite(big.resize((140, 140), Image.LANCZOS), (x, y))
            emoji = png(custom_emoji_png(likeness, face, style, parts))
            sheet.alpha_composite(emoji, (x + 20, y + 140))
            sheet.alpha_composite(big.resize((24, 24), Image.LANCZOS), (x + 40, y + 252))
            sheet.alpha_composite(emoji.resize((24, 24), Image.LANCZOS), (x + 76, y + 252))
    sheet.convert("RGB").save(HERE / "custom-emoji.png", optimize=True)
    print(HERE / "custom-emoji.png")


if __name__ == "__main__":
    main()
