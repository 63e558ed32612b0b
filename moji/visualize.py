"""`moji visualize VIDEO --out OUT.mp4`: the published experiment's embedding video.

Every frame shows the video frame, the emoji Moji picks for the face in it, and for each part
kind a plot of the face part's embedding (pink) beside the embedding of the style part it matched
(purple), both scaled to unit length, as cosine similarity sees them. Works with any embedder.
"""

from __future__ import annotations

import functools
import io
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.parse import PART_KINDS

PINK = (255, 92, 168)  # the face part's embedding
PURPLE = (123, 47, 190)  # the matched style part's embedding
INK = (40, 40, 40)
WIDTH, HEIGHT = 1280, 400  # multiples of 16, as H.264 encoders like
HEADER = 40
FRAME_BOX = (440, HEIGHT - HEADER)
EMOJI_SIZE = HEIGHT - HEADER
PLOT_BOX = (WIDTH - FRAME_BOX[0] - EMOJI_SIZE, HEIGHT - HEADER)


@dataclass
class VisualizeReport:
    frames: int
    frames_with_face: int
    seconds: float
    video_seconds: float
    output: Path

    def summary(self) -> str:
        return (f"{self.output}: {self.frames} frames ({self.video_seconds:.1f} s of video), "
                f"a face in {self.frames_with_face}, written in {self.seconds:.1f} s")


def _text(canvas: np.ndarray, text: str, x: int, y: int, scale: float = 0.45,
          color: tuple[int, int, int] = INK) -> None:
    import cv2

    cv2.putText(canvas, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, color, 1, cv2.LINE_AA)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-12)


def draw_embeddings(canvas: np.ndarray, box: tuple[int, int, int, int], title: str,
                    face: np.ndarray | None, part: np.ndarray | None) -> None:
    """Plot two vectors in `box` (x, y, w, h): bars side by side up to 48 dims, lines above."""
    import cv2

    x, y, w, h = box
    cv2.rectangle(canvas, (x + 2, y + 2), (x + w - 3, y + h - 3), (220, 220, 220), 1)
    _text(canvas, title, x + 8, y + 18, 0.42)
    if face is None or part is None:
        return
    face, part = _unit(face.astype(np.float64)), _unit(part.astype(np.float64))
    lo = min(0.0, face.min(), part.min())
    hi = max(1e-6, face.max(), part.max())
    top, bottom, left, right = y + 28, y + h - 10, x + 10, x + w - 10

    def ypos(v: np.ndarray) -> np.ndarray:
        return (bottom - (v - lo) / (hi - lo) * (bottom - top)).round().astype(np.int32)

    zero = int(ypos(np.array([0.0]))[0])
    cv2.line(canvas, (left, zero), (right, zero), (200, 200, 200), 1)
    dim = len(face)
    if dim <= 48:
        slot = (right - left) / dim
        bar = max(1, int(slot * 0.4))
        for i, (a, b) in enumerate(zip(ypos(face), ypos(part), strict=True)):
            cx = int(left + slot * (i + 0.5))
            cv2.rectangle(canvas, (cx - bar, int(a)), (cx - 1, zero), PINK, -1)
            cv2.rectangle(canvas, (cx, int(b)), (cx + bar - 1, zero), PURPLE, -1)
    else:
        xs = np.linspace(left, right, dim).round().astype(np.int32)
        for vec, color in ((part, PURPLE), (face, PINK)):
            points = np.stack([xs, ypos(vec)], axis=1).reshape(-1, 1, 2)
            cv2.polylines(canvas, [points], False, color, 1, cv2.LINE_AA)


def _fit(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Scale an image to fit in (w, h), centred on a white background."""
    import cv2

    w, h = size
    scale = min(w / image.shape[1], h / image.shape[0])
    resized = cv2.resize(image, (max(1, round(image.shape[1] * scale)),
                                 max(1, round(image.shape[0] * scale))),
                         interpolation=cv2.INTER_AREA)
    out = np.full((h, w, 3), 255, np.uint8)
    top, left = (h - resized.shape[0]) // 2, (w - resized.shape[1]) // 2
    out[top:top + resized.shape[0], left:left + resized.shape[1]] = resized
    return out


@functools.lru_cache(maxsize=256)
def _sticker_rgb(png: bytes) -> np.ndarray:
    """A sticker PNG over white (cached: a video repeats the same few emoji)."""
    from PIL import Image

    rgba = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA")).astype(np.float32)
    alpha = rgba[..., 3:] / 255.0
    return (rgba[..., :3] * alpha + 255.0 * (1 - alpha)).astype(np.uint8)


class VideoWriter:
    """H.264 MP4 through imageio-ffmpeg when it is installed, else OpenCV's MPEG-4 writer."""

    def __init__(self, path: Path, fps: float, size: tuple[int, int] = (WIDTH, HEIGHT)) -> None:
        self.path = path
        try:
            import imageio_ffmpeg

            self._gen = imageio_ffmpeg.write_frames(
                str(path), size, fps=fps, codec="libx264", pix_fmt_out="yuv420p",
                quality=None, bitrate=None, output_params=["-preset", "veryfast", "-crf", "23",
                                                           "-movflags", "+faststart"],
                macro_block_size=16)
            self._gen.send(None)
            self._cv = None
        except ImportError:
            import cv2

            self._gen = None
            self._cv = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
            if not self._cv.isOpened():
                raise OSError(f"cannot write video to {path}") from None

    def write(self, rgb: np.ndarray) -> None:
        if self._gen is not None:
            self._gen.send(np.ascontiguousarray(rgb))
        else:
            self._cv.write(np.ascontiguousarray(rgb[..., ::-1]))

    def close(self) -> None:
        if self._gen is not None:
            self._gen.close()
        else:
            self._cv.release()


def visualize(video: Path, out: Path, style: str | None = None, embedder: str | None = None,
              parser: str | None = None, embedder_config: dict | None = None,
              max_frames: int | None = None, analysis_fps: float = 12.0,
              progress: bool = True) -> VisualizeReport:
    """Write the embedding video for `video` to `out` (MP4).

    Faces are analysed `analysis_fps` times a second (0: every frame); the frames between show
    the last result, so a CPU keeps up with the video while every output frame is written.
    """
    import cv2
    from tqdm import tqdm

    from pipeline import Pipeline, PipelineOptions
    from pipeline.compose import compose_svg, render_png
    from pipeline.errors import MojiError
    from pipeline.match import match_parts
    from pipeline.parse import parse_face
    from pipeline.style import load_style

    t0 = time.time()
    capture = cv2.VideoCapture(str(video))
    if not capture.isOpened():
        raise MojiError("bad_image", f"{video} is not a video Moji can read.")
    fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    every = max(1, round(fps / analysis_fps)) if analysis_fps else 1
    total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) or None
    if max_frames and total:
        total = min(total, max_frames)
    options = PipelineOptions()
    if style:
        options.style = style
    if embedder:
        options.embedder = embedder
    if parser:
        options.parser = parser
    options.embedder_config = dict(embedder_config or {})
    out.parent.mkdir(parents=True, exist_ok=True)
    frames = with_face = 0
    with Pipeline.from_options(options) as pipe:
        chosen_style = load_style(options.style)
        index = pipe.index(chosen_style)
        writer = VideoWriter(out, fps)
        bar = tqdm(total=total, desc="visualize", unit="frame", disable=not progress)
        faces: list = []
        last = None  # (sticker, {kind: (face_vec, part_vec, match)}) from the last face seen
        try:
            while max_frames is None or frames < max_frames:
                ok, bgr = capture.read()
                if not ok:
                    break
                rgb = np.ascontiguousarray(bgr[..., ::-1])
                if frames % every == 0:
                    faces = pipe.analyzer.detect(rgb)
                with_face += bool(faces)
                if faces and frames % every == 0:
                    parsed = parse_face(rgb, faces[0], pipe.parser,
                                        with_pixels=pipe.embedder.needs_pixels)
                    vectors = pipe.embedder.embed_face(parsed)
                    matches = match_parts(chosen_style, index, vectors)
                    chosen = {k: chosen_style.part(m.part_id) for k, m in matches.items()}
                    png = render_png(compose_svg(chosen_style, chosen, parsed.skin_rgb))
                    parts = {}
                    for kind, match in matches.items():
                        row = index.ids[kind].index(match.part_id)
                        parts[kind] = (vectors[kind], index.vectors[kind][row], match)
                    last = (_sticker_rgb(png), parts)
                writer.write(compose_frame(rgb, last, bool(faces), pipe.embedder.name,
                                           chosen_style.name))
                frames += 1
                bar.update(1)
        finally:
            bar.close()
            writer.close()
            capture.release()
    return VisualizeReport(frames, with_face, time.time() - t0, frames / fps, out)


def compose_frame(rgb: np.ndarray, last: tuple | None, face_now: bool, embedder: str,
                  style: str) -> np.ndarray:
    """One output frame: video | emoji | 2x2 embedding plots, under a one-line header."""
    canvas = np.full((HEIGHT, WIDTH, 3), 255, np.uint8)
    canvas[HEADER:, :FRAME_BOX[0]] = _fit(rgb, FRAME_BOX)
    status = "" if face_now else "  (no face in this frame: last result shown)"
    _text(canvas, f"embedder: {embedder}   style: {style}{status}", 10, 26, 0.55)
    _text(canvas, "face part", WIDTH - 250, 26, 0.5, PINK)
    _text(canvas, "matched style part", WIDTH - 160, 26, 0.5, PURPLE)
    px, pw, ph = FRAME_BOX[0] + EMOJI_SIZE, PLOT_BOX[0] // 2, PLOT_BOX[1] // 2
    if last is None:
        _text(canvas, "no face yet", FRAME_BOX[0] + 120, HEADER + EMOJI_SIZE // 2, 0.6)
    else:
        sticker, parts = last
        canvas[HEADER:, FRAME_BOX[0]:px] = _fit(sticker, (EMOJI_SIZE, EMOJI_SIZE))
    for i, kind in enumerate(PART_KINDS):
        box = (px + (i % 2) * pw, HEADER + (i // 2) * ph, pw, ph)
        face_vec = part_vec = None
        title = kind
        if last is not None and kind in last[1]:
            face_vec, part_vec, match = last[1][kind]
            title = f"{kind}: {match.part_id.removeprefix(kind + '-')} ({match.similarity:.2f})"
        draw_embeddings(canvas, box, title, face_vec, part_vec)
    return canvas
