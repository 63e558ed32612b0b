"""Regenerate docs/examples/pack.png: the 24 expressions of a personal sticker pack (issue 8)
for three people in every style, drawn without photos by `Pipeline.render_identity`.

    .venv/bin/python docs/examples/make_pack_examples.py [--json PATH] [--tile PX]

One row per person and style, one column per emoji, each tile at the size Telegram shows a
sticker in a chat (about 100 px), because that is the size the parts must read at.
`EXPRESSIONS` is what the art settled on for each emoji; pipeline/pack.py draws the same
(`--json` writes it out for it).
"""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

from PIL import Image, ImageDraw

from pipeline.likeness import Likeness
from pipeline.pipeline import Pipeline, PipelineOptions

HERE = Path(__file__).parent
STYLES = ("classic", "avatar", "lineart")

# emoji -> {kind: part id}; a kind left out is the calm default (eyes open, brows neutral,
# mouth smile). Glasses only where the emoji wears them (😎): the person's own otherwise.
EXPRESSIONS: dict[str, dict[str, str]] = {
    "😀": {"eyes": "eyes-open-big", "brows": "brows-raised-slight", "mouth": "mouth-grin-wide"},
    "😁": {"eyes": "eyes-squint-happy", "mouth": "mouth-grin-wide"},
    "😂": {"eyes": "eyes-squint-happy", "brows": "brows-raised", "mouth": "mouth-laugh",
          "extras": "extras-tears-joy"},
    "🤣": {"eyes": "eyes-crying", "brows": "brows-sad", "mouth": "mouth-laugh",
          "extras": "extras-tears-joy"},
    "😊": {"eyes": "eyes-squint-happy", "mouth": "mouth-smile", "extras": "extras-blush"},
    "😍": {"eyes": "eyes-heart", "mouth": "mouth-grin", "extras": "extras-hearts"},
    "😘": {"eyes": "eyes-wink-left", "mouth": "mouth-kiss", "extras": "extras-kiss-heart"},
    "😉": {"eyes": "eyes-wink-left", "brows": "brows-raised-slight", "mouth": "mouth-smile-wide"},
    "😜": {"eyes": "eyes-wink-left", "brows": "brows-raised", "mouth": "mouth-tongue"},
    "😎": {"glasses": "glasses-sunglasses", "mouth": "mouth-smile-wide",
          "extras": "extras-sparkles"},
    "🤔": {"eyes": "eyes-side", "brows": "brows-raised", "mouth": "mouth-neutral-small",
          "extras": "extras-hand-chin"},
    "😐": {"eyes": "eyes-open", "brows": "brows-neutral-low", "mouth": "mouth-neutral"},
    "🙄": {"eyes": "eyes-roll", "brows": "brows-raised", "mouth": "mouth-neutral-small"},
    "😏": {"eyes": "eyes-side", "brows": "brows-raised-slight", "mouth": "mouth-smirk"},
    "😢": {"eyes": "eyes-open", "brows": "brows-sad", "mouth": "mouth-frown",
          "extras": "extras-tear"},
    "😭": {"eyes": "eyes-crying", "brows": "brows-sad", "mouth": "mouth-frown-open",
          "extras": "extras-tears"},
    "😡": {"eyes": "eyes-squint", "brows": "brows-furrowed", "mouth": "mouth-frown-deep",
          "extras": "extras-anger"},
    "😱": {"eyes": "eyes-wide", "brows": "brows-raised", "mouth": "mouth-scream",
          "extras": "extras-sweat"},
    "😳": {"eyes": "eyes-wide", "brows": "brows-raised", "mouth": "mouth-neutral-small",
          "extras": "extras-blush"},
    "😴": {"eyes": "eyes-sleep", "mouth": "mouth-open-small", "extras": "extras-zzz"},
    "🥳": {"eyes": "eyes-squint-happy", "mouth": "mouth-grin", "extras": "extras-party"},
    "🤗": {"eyes": "eyes-squint-happy", "brows": "brows-raised-slight", "mouth": "mouth-grin",
          "extras": "extras-hug"},
    "🤫": {"eyes": "eyes-side", "brows": "brows-raised", "mouth": "mouth-shush",
          "extras": "extras-shush"},
    "🥺": {"eyes": "eyes-teary", "brows": "brows-sad", "mouth": "mouth-wobble"},
}
# Column captions (the default font has no emoji).
NAMES = ("grin", "beam", "joy", "rofl", "blush", "hearts", "kiss", "wink", "tongue", "cool",
         "think", "neutral", "eyeroll", "smirk", "cry", "sob", "angry", "scream", "flushed",
         "sleep", "party", "hug", "shush", "plead")

PEOPLE: tuple[tuple[str, str, Likeness], ...] = (
    ("long hair", "face-heart",
     Likeness(hair_length="long", hair_style="long_wavy", hair_rgb=(90, 60, 40),
              skin_rgb=(236, 200, 176), lips_rgb=(196, 60, 80))),
    ("bald, beard", "face-square",
     Likeness(hair_length="none", hair_colour=None, hair_style="bald", hair_rgb=(40, 32, 30),
              facial_hair="beard", skin_rgb=(120, 78, 56), lips_rgb=(120, 70, 66))),
    ("afro, glasses", "face-round",
     Likeness(hair_length="medium", hair_style="afro", hair_rgb=(30, 24, 22),
              glasses="glasses", skin_rgb=(170, 112, 80), lips_rgb=(150, 80, 76))),
)


def sheet(pipe: Pipeline, tile: int = 100) -> Image.Image:
    """Every expression (columns) for every person in every style (rows)."""
    label_w, head_h = 96, 18
    rows = [(style, person) for style in STYLES for person in PEOPLE]
    out = Image.new("RGB", (label_w + tile * len(EXPRESSIONS), head_h + tile * len(rows)),
                    "white")
    draw = ImageDraw.Draw(out)
    for c, name in enumerate(NAMES):
        draw.text((label_w + c * tile + 4, 3), name, fill="black")
    for r, (style, (caption, face, likeness)) in enumerate(rows):
        y = head_h + r * tile
        draw.text((4, y + tile // 2 - 12), style, fill="black")
        draw.text((4, y + tile // 2 + 2), caption, fill="gray")
        for c, expression in enumerate(EXPRESSIONS.values()):
            sticker = pipe.render_identity(likeness, face, style, expression=expression)
            image = Image.open(io.BytesIO(sticker.png)).convert("RGBA").resize(
                (tile, tile), Image.Resampling.LANCZOS)
            out.paste(image, (label_w + c * tile, y), image)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write EXPRESSIONS as JSON here")
    parser.add_argument("--tile", type=int, default=100)
    parser.add_argument("--out", type=Path, default=HERE / "pack.png")
    args = parser.parse_args()
    if args.json:
        args.json.write_text(json.dumps(EXPRESSIONS, ensure_ascii=False, indent=1) + "\n")
    with Pipeline.from_options(PipelineOptions()) as pipe:
        sheet(pipe, args.tile).save(args.out, optimize=True)
    print(args.out)


if __name__ == "__main__":
    main()
