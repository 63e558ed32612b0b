"""What ffmpeg says of a video file, and Telegram's video sticker rules checked against it.

One inspection for the pipeline's tests and for the local Bot API server (moji/localapi.py),
which checks every video sticker a bot sends as Telegram does
(https://core.telegram.org/stickers#video-requirements). The ffmpeg is the one imageio-ffmpeg
ships (it has no ffprobe): its header read (`ffmpeg -i FILE`) names the container, the streams,
their codec, size, frame rate and the duration. Nothing heavy is imported: the server loads this.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

EBML_MAGIC = b"\x1a\x45\xdf\xa3"  # the first bytes of every Matroska / WEBM file
VIDEO_STICKER_SIDE = 512
VIDEO_STICKER_MAX_BYTES = 256 * 1024
VIDEO_STICKER_MAX_SECONDS = 3.0
VIDEO_STICKER_MAX_FPS = 30.0


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@dataclass
class VideoInfo:
    """A video file as ffmpeg reads its header; with `decode_alpha`, also its frames' alpha."""

    container: str  # ffmpeg's input format: "matroska,webm", "mov,mp4,m4a,3gp,3g2,mj2", "gif"
    webm: bool  # a Matroska file whose EBML DocType is "webm" (not "matroska")
    codec: str | None  # of the first video stream: "vp9", "h264", ...; None: no video stream
    width: int
    height: int
    fps: float
    duration: float | None  # seconds; None when the container does not say
    audio: bool
    alpha_mode: bool  # the WEBM marks an alpha channel (VP9 with alpha)
    bytes: int
    frames: int | None = None  # decoded frames (decode_alpha only)
    corner_alpha: int | None = None  # the most opaque 8x8 top-left corner over all frames
    centre_alpha: int | None = None  # the least opaque centre (12x12) over all frames


def inspect_video(source: bytes | Path, decode_alpha: bool = False) -> VideoInfo:
    """Read a video's header with ffmpeg (bytes go through a temporary file). With
    `decode_alpha`, the frames are decoded with libvpx-vp9 (ffmpeg's own VP9 decoder drops
    alpha) to measure the transparency of a corner and of the centre."""
    if isinstance(source, bytes):
        with tempfile.NamedTemporaryFile(prefix="moji-video-", suffix=".bin") as tmp:
            tmp.write(source)
            tmp.flush()
            return inspect_video(Path(tmp.name), decode_alpha)
    header = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(source)],
                            capture_output=True, text=True, errors="replace").stderr
    container = re.search(r"Input #0, ([\w,]+), from", header)
    video = next((line for line in header.splitlines() if "Video:" in line), "")
    codec = re.search(r"Video: (\w+)", video)
    size = re.search(r", (\d{1,5})x(\d{1,5})", video)
    fps = re.search(r"([\d.]+) fps", video)
    duration = re.search(r"Duration: (\d+):(\d+):([\d.]+)", header)
    with open(source, "rb") as f:
        head = f.read(64)
    info = VideoInfo(
        container=container.group(1) if container else "",
        webm=head.startswith(EBML_MAGIC) and b"\x42\x82\x84webm" in head,
        codec=codec.group(1) if codec else None,
        width=int(size.group(1)) if size else 0, height=int(size.group(2)) if size else 0,
        fps=float(fps.group(1)) if fps else 0.0,
        duration=(int(duration.group(1)) * 3600 + int(duration.group(2)) * 60
                  + float(duration.group(3))) if duration else None,
        audio="Audio:" in header, alpha_mode=bool(re.search(r"alpha_mode\s*:\s*1", header)),
        bytes=Path(source).stat().st_size)
    if decode_alpha and info.width and info.height:
        _measure_alpha(Path(source), info)
    return info


def _measure_alpha(path: Path, info: VideoInfo) -> None:
    import numpy as np

    raw = subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error",
                          "-c:v", "libvpx-vp9", "-i", str(path), "-f", "rawvideo",
                          "-pix_fmt", "rgba", "-"], capture_output=True, check=True).stdout
    frames = np.frombuffer(raw, np.uint8).reshape(-1, info.height, info.width, 4)
    cy, cx = info.height // 2, info.width // 2
    info.frames = len(frames)
    info.corner_alpha = int(frames[:, :8, :8, 3].max()) if len(frames) else None
    info.centre_alpha = (int(frames[:, cy - 6:cy + 6, cx - 6:cx + 6, 3].min())
                         if len(frames) else None)


def video_sticker_error(info: VideoInfo) -> str | None:
    """Why Telegram would refuse this file as a video sticker (its error text, without
    "Bad Request: "), or None when it meets the rules: WEBM, VP9, one side 512 px and the
    other at most 512, at most 3 s, 30 fps and 256 KB, no audio stream."""
    if not info.webm or info.codec is None:
        return "STICKER_VIDEO_NOWEBM: the video sticker must be a WEBM file"
    if info.codec != "vp9":
        return f"STICKER_VIDEO_NOWEBM: the video sticker must be VP9, not {info.codec}"
    if info.bytes > VIDEO_STICKER_MAX_BYTES:
        return f"STICKER_VIDEO_BIG: {info.bytes} bytes, at most {VIDEO_STICKER_MAX_BYTES}"
    if (max(info.width, info.height) != VIDEO_STICKER_SIDE
            or min(info.width, info.height) > VIDEO_STICKER_SIDE):
        return (f"STICKER_VIDEO_DIMENSIONS: {info.width}x{info.height}, one side must be "
                f"{VIDEO_STICKER_SIDE} px and the other at most {VIDEO_STICKER_SIDE}")
    if info.duration is None or info.duration > VIDEO_STICKER_MAX_SECONDS:
        return f"STICKER_VIDEO_LONG: {info.duration} s, at most {VIDEO_STICKER_MAX_SECONDS:g}"
    if not 0 < info.fps <= VIDEO_STICKER_MAX_FPS:
        return f"STICKER_VIDEO_FPS: {info.fps:g} fps, at most {VIDEO_STICKER_MAX_FPS:g}"
    if info.audio:
        return "STICKER_VIDEO_AUDIO: a video sticker must have no audio stream"
    return None
