"""Regenerate the README's group sticker example: a photo of five people and the one sticker
`/emoji all` (Pipeline.render_all) makes of it.

    .venv/bin/python docs/examples/make_group_example.py

The faces are test fixtures (tests/fixtures/README.md: muxspace/facial_expressions, Apache-2.0)
pasted side by side, as the tests build their group photos.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from PIL import Image

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent.parent / "tests"))

from conftest import group_photo  # noqa: E402

from pipeline import Pipeline, PipelineOptions  # noqa: E402

FACES = [("smile.jpg", 200), ("likeness_beard.jpg", 200), ("frown.jpg", 200),
         ("likeness_glasses.jpg", 200), ("grin.jpg", 200)]
SIDE = 256  # the sticker's size in the example


def main() -> None:
    photo = group_photo(FACES)
    with Pipeline.from_options(PipelineOptions(style="avatar")) as pipe:
        group = pipe.render_all(photo)
    for person in group.people:
        print(person.box, {kind: m.part_id for kind, m in person.matches.items()})
    picture = Image.open(io.BytesIO(photo)).convert("RGBA")
    picture = picture.resize((round(picture.width * SIDE / picture.height / 2), SIDE // 2))
    sticker = Image.open(io.BytesIO(group.png))  # 512 wide, as tall as its rows
    sticker = sticker.resize((SIDE, round(sticker.height * SIDE / sticker.width)))
    sheet = Image.new("RGBA", (picture.width + SIDE, SIDE), "white")
    sheet.alpha_composite(picture, (0, SIDE // 4))
    sheet.alpha_composite(sticker, (picture.width, (SIDE - sticker.height) // 2))
    sheet.convert("RGB").save(HERE / "group.png", optimize=True)


if __name__ == "__main__":
    main()
