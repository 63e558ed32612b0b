"""Regenerate the README's likeness examples: drawn likenesses, no photos.

    .venv/bin/python docs/examples/make_likeness_examples.py

- likeness.png: the three people of issue 7 (long hair and lipstick; bald with a beard; grey
  hair and glasses) in classic, avatar and lineart, one style per row;
- hair.png: the 11 hair styles in avatar, each row another hair colour and skin tone, and in
  lineart;
- extras.png: facial hair, glasses and headwear in every style.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from moji.commands.styles import PEOPLE, _likeness_parts
from pipeline.compose import render_sticker
from pipeline.likeness import Likeness
from pipeline.style import Style, StylePart, load_style

HERE = Path(__file__).parent
STYLES = ("classic", "avatar", "lineart")


def base(style: Style, face: str = "oval", mouth: str = "smile") -> dict[str, StylePart]:
    """A plain, friendly expression to dress."""
    return {kind: style.part_tagged(kind, tag) for kind, tag in
            (("face", face), ("eyes", "open"), ("brows", "neutral"), ("mouth", mouth))}


def tile(style: Style, chosen: dict[str, StylePart], likeness: Likeness, size: int) -> Image.Image:
    png = render_sticker(style, chosen, likeness.skin_rgb, size, likeness=likeness)
    return Image.open(io.BytesIO(png)).convert("RGBA")


def grid(rows: list[list[Image.Image]], size: int) -> Image.Image:
    sheet = Image.new("RGBA", (size * max(len(r) for r in rows), size * len(rows)), "white")
    for r, row in enumerate(rows):
        for c, image in enumerate(row):
            sheet.alpha_composite(image, (c * size, r * size))
    return sheet.convert("RGB")


def likeness_sheet(size: int = 256) -> Image.Image:
    rows = []
    for name in STYLES:
        style = load_style(name)
        row = []
        for _caption, fields, tags in PEOPLE:
            person = Likeness(**fields)
            chosen = {**base(style), **{kind: style.part_tagged(kind, tag) for kind, tag in tags}}
            row.append(tile(style, {**chosen, **_likeness_parts(style, person)}, person, size))
        rows.append(row)
    return grid(rows, size)


# (hair colour, skin colour) per avatar row: every hair style in four colours and skin tones.
HAIR_ROWS = (((30, 27, 26), (110, 70, 50)), ((214, 180, 112), (240, 205, 180)),
             ((160, 160, 158), (196, 140, 110)), ((140, 63, 36), (236, 200, 176)))


def hair_sheet(size: int = 160) -> Image.Image:
    rows = []
    for name, looks in (("avatar", HAIR_ROWS), ("lineart", HAIR_ROWS[:1])):
        style = load_style(name)
        for hair_rgb, skin_rgb in looks:
            person = Likeness(hair_rgb=hair_rgb, skin_rgb=skin_rgb, lips_rgb=(170, 90, 90))
            rows.append([tile(style, {**base(style, "oval-soft"), "hair": part}, person, size)
                         for part in style.parts["hair"]])
    return grid(rows, size)


def extras_sheet(size: int = 160) -> Image.Image:
    person = Likeness(hair_rgb=(70, 45, 32), skin_rgb=(196, 140, 110), lips_rgb=(170, 90, 90))
    rows = []
    for name in STYLES:
        style = load_style(name)
        dressed = base(style)
        hair = [p for p in style.parts["hair"] if p.tags[1] == "short"]
        dressed.update({"hair": hair[0]} if hair else {})
        rows.append([tile(style, {**dressed, kind: part}, person, size)
                     for kind in ("facial_hair", "glasses", "headwear")
                     for part in style.parts[kind]])
    return grid(rows, size)


def main() -> None:
    for filename, sheet in (("likeness.png", likeness_sheet()), ("hair.png", hair_sheet()),
                            ("extras.png", extras_sheet())):
        sheet.save(HERE / filename, optimize=True)
        print(HERE / filename, sheet.size)


if __name__ == "__main__":
    main()
