"""Draw the README's picture of /me: the identity sticker and the keyboard under it, as the bot
builds them (worker.identity's keyboards, Pipeline.render_identity), in a chat-like frame.

    .venv/bin/python docs/examples/make_me_example.py
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from pipeline import Pipeline, PipelineOptions
from pipeline.likeness import Likeness
from worker.identity import Identity, main_keyboard, trait_keyboard

HERE = Path(__file__).parent
WIDTH, ROW, GAP = 380, 40, 6


def font(size: int) -> ImageFont.ImageFont:
    try:
        return ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:
        return ImageFont.load_default()


def keyboard_image(markup: dict) -> Image.Image:
    rows = markup["inline_keyboard"]
    image = Image.new("RGB", (WIDTH, len(rows) * (ROW + GAP)), (231, 235, 240))
    draw = ImageDraw.Draw(image)
    for r, row in enumerate(rows):
        width = (WIDTH - GAP * (len(row) + 1)) / len(row)
        for c, button in enumerate(row):
            x0, y0 = GAP + c * (width + GAP), r * (ROW + GAP) + GAP / 2
            draw.rounded_rectangle((x0, y0, x0 + width, y0 + ROW), 8, fill=(126, 146, 170))
            draw.text((x0 + width / 2, y0 + ROW / 2), button["text"], fill="white",
                      font=font(14), anchor="mm")
    return image


def card(sticker_png: bytes, markup: dict, caption: str) -> Image.Image:
    sticker = Image.open(io.BytesIO(sticker_png)).convert("RGBA").resize((256, 256))
    keys = keyboard_image(markup)
    image = Image.new("RGB", (WIDTH + 20, 300 + keys.height), (231, 235, 240))
    image.paste(sticker, ((WIDTH + 20 - 256) // 2, 30), sticker)
    image.paste(keys, (10, 290))
    ImageDraw.Draw(image).text((12, 6), caption, fill=(80, 90, 100), font=font(14))
    return image


def main() -> None:
    likeness = Likeness(hair_length="long", hair_colour="auburn", hair_rgb=(140, 63, 36),
                        hair_style="long_wavy", glasses="glasses", skin_rgb=(234, 205, 185),
                        monk=3, lips_rgb=(180, 60, 80))
    identity = Identity.from_likeness(likeness, "face-oval", version=1)
    with Pipeline.from_options(PipelineOptions(style="avatar")) as pipe:
        look = pipe.render_identity(likeness, "face-oval")
        sunglasses = pipe.render_identity(likeness.replace(glasses="sunglasses"), "face-oval")
    changed = Identity.from_likeness(likeness.replace(glasses="sunglasses"), "face-oval", 2)
    cards = [card(look.png, main_keyboard(identity), "/me"),
             card(look.png, trait_keyboard(identity, "gl"), "tap Glasses"),
             card(sunglasses.png, main_keyboard(changed), "tap sunglasses")]
    sheet = Image.new("RGB", (sum(c.width for c in cards) + 20, max(c.height for c in cards)),
                      "white")
    x = 0
    for c in cards:
        sheet.paste(c, (x, 0))
        x += c.width + 10
    sheet.save(HERE / "me.png", optimize=True)


if __name__ == "__main__":
    main()
