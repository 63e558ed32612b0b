"""Contact sheets of the traits drawn around the face (issue 16): every hair style and hairline,
every headwear with and without a beard, facial hair in three colours, signs of age and
earrings, and classic's people. Run from the repository root:

    python docs/examples/make_traits_examples.py [hair|hairlines|headwear|facial_hair|age|classic]
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from PIL import Image, ImageDraw

from pipeline.compose import render_sticker
from pipeline.likeness import Likeness, name_hair_colour
from pipeline.match import match_likeness
from pipeline.style import load_style
from styles.draw.specs import HAIR_VARIANTS

OUT = Path(__file__).resolve().parent
TILE = 88
HAIR_COLOURS = {"black": (30, 27, 26), "blonde": (210, 178, 116), "grey": (160, 158, 154),
                "auburn": (140, 63, 36)}  # names of pipeline.likeness.HAIR_COLOURS
SKINS = ((236, 200, 176), (196, 140, 110), (120, 78, 56))


def sticker(style_name: str, likeness: Likeness, face: str = "oval", mouth: str = "smile",
            tile: int = TILE) -> Image.Image:
    """A sticker of ``likeness`` on a neutral face, its likeness parts chosen as the pipeline
    chooses them (match_likeness)."""
    style = load_style(style_name)
    chosen = {kind: style.part_tagged(kind, tag) for kind, tag in
              (("face", face), ("eyes", "open"), ("brows", "neutral"), ("mouth", mouth))}
    for kind, match in match_likeness(style, likeness, face_id=chosen["face"].id).items():
        chosen[kind] = style.part(match.part_id)
    png = render_sticker(style, chosen, likeness.skin_rgb, tile, likeness=likeness)
    return Image.open(io.BytesIO(png)).convert("RGBA")


def sheet(rows: list[tuple[str, list[tuple[str, Image.Image]]]], title: str,
          tile: int = TILE) -> Image.Image:
    label_w, pad = 84, 14
    width = label_w + tile * max(len(items) for _, items in rows)
    out = Image.new("RGB", (width, 24 + len(rows) * (tile + pad)), "white")
    draw = ImageDraw.Draw(out)
    draw.text((6, 6), title, fill="black")
    for r, (label, items) in enumerate(rows):
        y = 24 + r * (tile + pad)
        draw.text((4, y + tile // 2 - 6), label[:13], fill="black")
        for c, (caption, image) in enumerate(items):
            x = label_w + c * tile
            out.paste(image, (x, y), image)
            draw.text((x + 2, y + tile), caption[:14], fill="gray")
    return out


def person(**fields) -> Likeness:
    """A likeness; its hair colour named from its rgb unless given (as the estimator does)."""
    base = dict(hair_length="short", hair_rgb=(70, 45, 32), skin_rgb=SKINS[0],
                lips_rgb=(180, 90, 90))
    fields = {**base, **fields}
    fields.setdefault("hair_colour", name_hair_colour(fields["hair_rgb"]))
    return Likeness(**fields)


def hair_sheet() -> Image.Image:
    rows = []
    for (name, rgb), skin in zip(HAIR_COLOURS.items(), (SKINS[1], SKINS[0], SKINS[0], SKINS[0]),
                                 strict=True):
        rows.append((f"avatar {name}", [(style, sticker("avatar", person(
            hair_length=length, hair_style=style, hairline=line, hair_colour=name, hair_rgb=rgb,
            skin_rgb=skin)))
            for style, length, line, _ in HAIR_VARIANTS]))
    rows.append(("two-tone", [(style, sticker("avatar", person(
        hair_length=length, hair_style=style, hairline=line, hair_rgb=(60, 40, 30),
        hair_highlight_rgb=(214, 170, 100)))) for style, length, line, _ in HAIR_VARIANTS]))
    for style_name in ("lineart", "classic"):
        rows.append((style_name, [(style, sticker(style_name, person(
            hair_length=length, hair_style=style, hairline=line, hair_rgb=(70, 45, 32))))
            for style, length, line, _ in HAIR_VARIANTS]))
    return sheet(rows, "Every hair style, its own hairline: avatar in four colours and "
                       "two-tone, lineart, classic")


def hairlines_sheet() -> Image.Image:
    rows = []
    for style_name in ("avatar", "lineart"):
        items = []
        for style, length, own, others in HAIR_VARIANTS:
            for line in (own, *others):
                if len((own, *others)) > 1:
                    items.append((f"{style[:7]} {line[:6]}", sticker(style_name, person(
                        hair_length=length, hair_style=style, hairline=line))))
        rows += [(style_name, items[:17]), ("", items[17:])]
    return sheet(rows, "Hairlines: each style with more than one hairline, every hairline")


def headwear_sheet() -> Image.Image:
    wear = ("cap", "hat", "beanie", "headscarf", "hijab", "turban", "keffiyeh")
    rows = []
    for style_name in ("avatar", "lineart", "classic"):
        for beard in ("none", "beard"):
            rows.append((f"{style_name} {beard if beard != 'none' else ''}", [
                (w, sticker(style_name, person(headwear=w, facial_hair=beard,
                                               hair_length="medium", hair_style="medium",
                                               skin_rgb=SKINS[1])))
                for w in wear]))
    rows.append(("measured rgb", [(w, sticker("avatar", person(
        headwear=w, headwear_rgb=(40, 120, 90), hair_length="short", skin_rgb=SKINS[2])))
        for w in wear]))
    return sheet(rows, "Headwear, with and without a beard; last row in a measured colour")


def facial_hair_sheet() -> Image.Image:
    colours = {"dark": (50, 36, 28), "ginger": (176, 88, 44), "grey": (165, 164, 160),
               "white": (232, 230, 224)}
    rows = []
    for style_name in ("avatar", "lineart", "classic"):
        items = []
        for kind in ("stubble", "moustache", "goatee", "beard"):
            for cname, rgb in colours.items():
                if style_name == "lineart" and cname != "dark":
                    continue
                items.append((f"{kind[:5]} {cname}", sticker(style_name, person(
                    facial_hair=kind, facial_hair_rgb=rgb, hair_rgb=(50, 36, 28),
                    skin_rgb=SKINS[1]), face="square")))
        rows.append((style_name, items))
    return sheet(rows, "Facial hair in its measured colour (facial_hair_rgb)")


def age_sheet() -> Image.Image:
    rows = []
    for style_name in ("avatar", "lineart", "classic"):
        items = []
        for age in ("none", "some", "marked"):
            for skin in SKINS[:2] if style_name == "avatar" else SKINS[:1]:
                items.append((f"age {age}", sticker(style_name, person(
                    age_signs=age, hair_colour="grey", hair_rgb=(170, 168, 164),
                    hair_style="short", hairline="receding" if age == "marked" else "fringe",
                    skin_rgb=skin))))
        for face in ("long-narrow", "oval", "round-full"):
            items.append((f"earrings {face[:6]}", sticker(style_name, person(
                earrings="earrings", hair_length="tied", hair_style="bun"), face=face)))
        rows.append((style_name, items))
    return sheet(rows, "Signs of age (none, some, marked) and earrings on narrow to wide faces")


def classic_sheet() -> Image.Image:
    people = [
        ("long wavy", person(hair_length="long", hair_style="long_wavy", hair_rgb=(92, 52, 36))),
        ("blonde bob", person(hair_length="medium", hair_style="bob", hair_rgb=(214, 180, 110))),
        ("bald beard", person(hair_length="none", hair_colour=None, facial_hair="beard",
                              hair_rgb=(40, 32, 30))),
        ("grey glasses", person(hair_style="side_part", hair_colour="grey",
                                hair_rgb=(175, 175, 172), glasses="glasses")),
        ("red curly", person(hair_style="curly", hair_rgb=(180, 85, 44))),
        ("afro", person(hair_length="medium", hair_style="afro", hair_rgb=(30, 26, 24))),
        ("bun", person(hair_length="tied", hair_style="bun", hair_rgb=(60, 40, 30))),
        ("white moustache", person(hair_style="swept_back", hair_colour="white",
                                   hair_rgb=(228, 226, 220), facial_hair="moustache")),
        ("goatee sunglasses", person(hair_style="buzz", facial_hair="goatee",
                                     glasses="sunglasses", hair_rgb=(30, 27, 26))),
        ("hijab", person(headwear="hijab")),
        ("turban beard", person(headwear="turban", facial_hair="beard", hair_rgb=(30, 27, 26))),
    ]
    rows = [(name, [(caption, sticker(name, p, tile=110)) for caption, p in people])
            for name in ("classic", "avatar")]
    return sheet(rows, "classic draws the person's hair, facial hair and glasses (avatar below)",
                 tile=110)


SHEETS = {"hair": hair_sheet, "hairlines": hairlines_sheet, "headwear": headwear_sheet,
          "facial_hair": facial_hair_sheet, "age": age_sheet, "classic": classic_sheet}


def main(names: list[str]) -> None:
    for name in names or list(SHEETS):
        image = SHEETS[name]().quantize(128)
        path = OUT / f"traits_{name}.png"
        image.save(path, optimize=True)
        print(f"{path}: {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main(sys.argv[1:])
