"""Regenerate the README's example stickers from a public-domain photo.

    .venv/bin/python docs/examples/make_examples.py

The photo is scikit-image's `astronaut()` (Eileen Collins, NASA, public domain).
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from skimage import data

from pipeline import Pipeline, PipelineOptions
from pipeline.style import list_styles

HERE = Path(__file__).parent


def main() -> None:
    photo = Image.fromarray(data.astronaut())
    buffer = io.BytesIO()
    photo.save(buffer, "PNG")
    photo.resize((256, 256)).save(HERE / "astronaut.jpg", quality=88)
    tiles = [photo.resize((256, 256)).convert("RGBA")]
    with Pipeline.from_options(PipelineOptions()) as pipe:
        for style in list_styles():
            sticker = pipe.render(buffer.getvalue(), style=style)
            (HERE / f"{style}.png").write_bytes(sticker.png)
            tiles.append(Image.open(io.BytesIO(sticker.png)).resize((256, 256)))
            parts = ", ".join(f"{k} {m.part_id}" for k, m in sticker.matches.items())
            print(f"{style}: {parts}")
    strip = Image.new("RGBA", (256 * len(tiles), 256), (255, 255, 255, 255))
    for i, tile in enumerate(tiles):
        strip.alpha_composite(tile, (256 * i, 0))
    strip.convert("RGB").save(HERE / "strip.png", optimize=True)


if __name__ == "__main__":
    main()
