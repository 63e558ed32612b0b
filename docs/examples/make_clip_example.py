"""Regenerate the README's animated sticker example: frames of a 3 s clip (a held phone: one
second each of a calm face, a grin and closed eyes) above the same moments of the video sticker
Moji makes of it (Pipeline.render_clip, avatar style), read back from the WEBM with its alpha.
As in the bot, the look is the one kept from the person's selfie (the first face's photo); only
the expression comes from the clip.

    .venv/bin/python docs/examples/make_clip_example.py

The faces are test fixtures (tests/fixtures/README.md: muxspace/facial_expressions, Apache-2.0).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).parent
FIXTURES = HERE.parent.parent / "tests" / "fixtures"
sys.path.insert(0, str(FIXTURES.parent))

from botkit import write_mp4  # noqa: E402

from pipeline import Pipeline, PipelineOptions  # noqa: E402
from pipeline.videoinfo import ffmpeg_exe  # noqa: E402

SHOTS = ["neutral.jpg", "grin.jpg", "eyes_closed.jpg"]  # one second each
FPS, SIDE = 30, 256
MOMENTS = [0.3, 0.8, 1.3, 1.8, 2.3, 2.8]  # seconds: two in each shot
TILE = 128


def clip_frames() -> list[np.ndarray]:
    """30 frames a second; every few frames the picture moves a pixel, as a held phone does."""
    shots = []
    for name in SHOTS:
        image = Image.open(FIXTURES / name).convert("RGB")
        side = min(image.size)
        shots.append(np.asarray(image.crop((0, 0, side, side)).resize((SIDE, SIDE))))
    return [np.roll(shots[i // FPS], (i // 4) % 3 - 1, axis=1) for i in range(FPS * len(SHOTS))]


def sticker_frames(webm: Path, out: Path) -> list[Image.Image]:
    """The sticker's frames at MOMENTS, decoded with libvpx so that the alpha channel comes too."""
    frames = []
    for i, t in enumerate(MOMENTS):
        png = out / f"sticker{i}.png"
        subprocess.run([ffmpeg_exe(), "-v", "error", "-c:v", "libvpx-vp9", "-ss", f"{t:.3f}",
                        "-i", str(webm), "-frames:v", "1", "-y", str(png)], check=True)
        frames.append(Image.open(png).convert("RGBA"))
    return frames


def main() -> None:
    frames = clip_frames()
    with tempfile.TemporaryDirectory(prefix="moji-clip-example-") as tmp:
        folder = Path(tmp)
        clip = write_mp4(folder / "clip.mp4", frames, FPS)
        with Pipeline.from_options(PipelineOptions(style="avatar")) as pipe:
            look = pipe.measure_likeness((FIXTURES / SHOTS[0]).read_bytes())
            sticker = pipe.render_clip(clip, likeness=look)
        print(f"{len(sticker.frames)} frames, {len(sticker.webm) // 1024} KB, "
              f"start {sticker.start_s:.2f} s")
        webm = folder / "sticker.webm"
        webm.write_bytes(sticker.webm)
        shown = sticker_frames(webm, folder)
    sheet = Image.new("RGBA", (TILE * len(MOMENTS), TILE * 2), "white")
    for i, t in enumerate(MOMENTS):
        photo = Image.fromarray(frames[min(len(frames) - 1, round(t * FPS))]).convert("RGBA")
        sheet.alpha_composite(photo.resize((TILE, TILE)), (i * TILE, 0))
        sheet.alpha_composite(shown[i].resize((TILE, TILE)), (i * TILE, TILE))
    sheet.convert("RGB").save(HERE / "clip.png", optimize=True)


if __name__ == "__main__":
    main()
