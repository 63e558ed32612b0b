"""Stage 8: a short clip to a Telegram video sticker whose emoji moves with the face.

Steps, each timed (`VideoSticker.timings_ms`):

1. decode: the bundled ffmpeg (imageio-ffmpeg) reads at most `max_seconds` at no more than
   `max_fps`, scaled down (the landmarker sees 256 px at most) and set in a grey margin, as the
   photo path does, which steadies the landmarks of a face that fills the frame.
2. landmarks: a MediaPipe Face Landmarker of its own in VIDEO running mode (it tracks the face
   from frame to frame instead of searching every frame), one face, with increasing timestamps.
3. identity: the person's look is fixed for the whole clip: the likeness (hair, skin, ...) is
   given or measured once on the first frame with a face, and so is the face shape part.
4. expression: per frame, the embedder's vector for eyes, brows and mouth is compared with every
   part of the style (cosine, as in `match_parts`); the similarities are smoothed over time
   (an exponential moving average, time constant `smooth_s`) and the part shown changes only
   when another part has been better by `margin` for `hold_s` (hysteresis). A still face then
   keeps its parts while landmark noise wobbles, and a blink or a smile, which move the
   similarities by far more than the margin, shows 1-2 frames later (33-67 ms at 30 fps on
   the fixture clips).
5. render: each distinct combination of parts is composited once from the cached part layers
   (`compose`), straight to RGBA arrays (no PNG in between).
6. encode: VP9 with alpha (yuva420p, libvpx-vp9) in WEBM, 512x512, no audio, at most 3 s and
   30 fps; re-encoded at lower quality until it fits 256 KB (never refused).

A clip longer than `max_seconds` gives its most expressive stretch: a cheap first pass runs the
landmarker at `scan_fps` over the whole clip, and the window of `max_seconds` with the largest
total change of the 52 blendshape scores from sample to sample (the face moving most; samples
without a face count against a window) is the one rendered.

Looping: when the parts of one of the last frames (within `loop_trim_s`) are those of the first
frame, the sticker ends there, so that it wraps around without a jump.
"""

from __future__ import annotations

import logging
import math
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .analyze import FaceAnalysis
from .compose import STICKER_SIZE, _layer, _layer_bodies, person_colours, personal_parts
from .errors import MojiError, read_error
from .geometry import measure_face_geometry
from .match import Match, match_likeness
from .models import FACE_LANDMARKER, model_path
from .parse import parse_face
from .quiet import native_quiet
from .style import Style, load_style
from .videoinfo import VIDEO_STICKER_MAX_BYTES, ffmpeg_exe

if TYPE_CHECKING:
    from .likeness import Likeness
    from .pipeline import Pipeline

CLIP_SUFFIXES = {".mp4", ".mov", ".webm", ".gif", ".m4v", ".mkv"}
MAX_CLIP_BYTES = 20 * 1024 * 1024  # what a bot may download from Telegram
EXPRESSION_KINDS = ("eyes", "brows", "mouth")
PRIME_FRAMES = 8  # landmarker runs on the first frame before the clip's frames are read


class _ScaledOnPurpose(logging.Filter):
    """imageio-ffmpeg warns on every read whose frames are not the clip's own size; read_clip
    scales and pads them on purpose, so that warning would only fill the worker's log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "is different from the source frame size" not in record.getMessage()


logging.getLogger("imageio_ffmpeg").addFilter(_ScaledOnPurpose())


@dataclass
class VideoOptions:
    """How a clip becomes a sticker (the defaults meet Telegram's video sticker rules)."""

    max_seconds: float = 3.0
    max_fps: float = 30.0
    # Longer side of the picture the landmarker is given, before the grey margin: it crops
    # the face and reads it at 256 px, so more only costs decode time.
    analysis_side: int = 400
    padding: float = 0.3  # grey margin, a fraction of the longer side (AnalyzerOptions.padding)
    smooth_s: float = 0.03  # time constant of the similarity smoothing
    margin: float = 0.06  # how much better another part must be to take over ...
    hold_s: float = 0.05  # ... for this long (2 frames at 30 fps)
    scan_fps: float = 6.0  # the landmarker's rate over a long clip when choosing its 3 s
    loop_trim_s: float = 0.5
    settle_s: float = 0.3  # the first part shown is the best on average over this long
    crf: int = 30  # first try; lowered in quality (higher crf, then bitrate caps) to fit
    max_bytes: int = VIDEO_STICKER_MAX_BYTES


@dataclass
class VideoSticker:
    """A rendered video sticker and what each of its frames shows."""

    webm: bytes = field(repr=False)
    fps: float
    style: str
    embedder: str
    frames: list[dict[str, Match]]  # per frame: kind -> part shown (likeness parts included)
    likeness: Likeness | None
    timings_ms: dict[str, float]
    start_s: float = 0.0  # where in the clip the sticker starts
    encode_tries: int = 1

    @property
    def duration(self) -> float:
        return len(self.frames) / self.fps

    def to_dict(self) -> dict:
        """The JSON shape of `moji render --json` for a clip (without input and output)."""
        first = self.frames[0]
        out = {
            "style": self.style, "embedder": self.embedder, "faces": 1,
            "parts": {kind: {"id": m.part_id, "tags": m.tags, "similarity": m.similarity}
                      for kind, m in first.items()},
            "fps": round(self.fps, 3), "duration": round(self.duration, 3),
            "start": round(self.start_s, 3), "bytes": len(self.webm),
            "frames": [{"t": round(i / self.fps, 4),
                        "parts": {kind: {"id": m.part_id, "tags": m.tags}
                                  for kind, m in frame.items()}}
                       for i, frame in enumerate(self.frames)],
            "timings_ms": self.timings_ms,
        }
        if self.likeness is not None:
            out["likeness"] = self.likeness.to_dict()
        return out


def is_clip(path: Path) -> bool:
    return path.suffix.lower() in CLIP_SUFFIXES


# --- reading ---------------------------------------------------------------------------------

@dataclass
class ClipInfo:
    fps: float
    duration: float
    size: tuple[int, int]


def probe(path: Path) -> ClipInfo:
    """Frame rate, duration and size from ffmpeg's header read (no frame is decoded)."""
    import imageio_ffmpeg

    try:
        gen = imageio_ffmpeg.read_frames(str(path))
        meta = next(gen)
        gen.close()
    except (OSError, RuntimeError, StopIteration) as exc:
        raise MojiError("bad_image", f"Cannot read {path.name} as a video "
                                     f"({_last_line(exc)}).") from None
    size = tuple(int(v) for v in meta.get("size") or (0, 0))
    if not size[0] or not size[1]:
        raise MojiError("bad_image", f"{path.name} has no video stream.")
    return ClipInfo(float(meta.get("fps") or 0.0), float(meta.get("duration") or 0.0), size)


def _last_line(exc: BaseException) -> str:
    """ffmpeg's last word on a failure (imageio-ffmpeg's message carries all of its stderr,
    version banner included: too much for a person)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


def _geometry(size: tuple[int, int], side: int, padding: float) -> tuple[int, int, int]:
    """Scaled width and height (even, longer side at most `side`) and the margin in pixels."""
    width, height = size
    scale = min(1.0, side / max(width, height))
    w = max(2, int(round(width * scale / 2)) * 2)
    h = max(2, int(round(height * scale / 2)) * 2)
    return w, h, int(round(max(w, h) * padding))


def _unpadded(frame: np.ndarray, face: FaceAnalysis, margin: int
              ) -> tuple[np.ndarray, FaceAnalysis]:
    """A frame without its grey margin, and its face moved with it. The margin helps the
    landmarker, but the likeness measure reads the head's surroundings (hair, headwear): a flat
    grey band above a head read as a cap, as a photo's, which is measured unpadded, did not."""
    height, width = frame.shape[:2]
    inner = np.ascontiguousarray(frame[margin:height - margin, margin:width - margin])
    shift = np.array([margin, margin, 0], dtype=face.landmarks.dtype)
    return inner, replace(face, landmarks=face.landmarks - shift,
                          image_size=(inner.shape[1], inner.shape[0]))


def read_clip(path: Path, info: ClipInfo, fps: float, start: float, seconds: float,
              side: int, padding: float) -> list[np.ndarray]:
    """RGB frames from `start` for `seconds` at `fps` (ffmpeg drops frames: never more than the
    source has), scaled and set in a grey margin."""
    import imageio_ffmpeg

    w, h, pad = _geometry(info.size, side, padding)
    vf = f"fps={fps:.6g},scale={w}:{h},pad={w + 2 * pad}:{h + 2 * pad}:{pad}:{pad}:color=gray"
    input_params = ["-ss", f"{start:.3f}"] if start > 0 else []
    try:
        gen = imageio_ffmpeg.read_frames(str(path), input_params=input_params,
                                         output_params=["-t", f"{seconds:.3f}", "-vf", vf,
                                                        "-an"])
        meta = next(gen)
        fw, fh = meta["size"]
        frames = [np.frombuffer(b, np.uint8).reshape(fh, fw, 3) for b in gen]
    except (OSError, RuntimeError, StopIteration) as exc:
        raise MojiError("bad_image", f"Cannot decode {path.name} ({_last_line(exc)}).") from None
    return frames


# --- landmarks -------------------------------------------------------------------------------

class VideoLandmarker:
    """The face landmarker in VIDEO running mode (tracking), one face. Timestamps must only
    grow, so a new clip (or a new pass over one) takes a new instance."""

    def __init__(self, path: Path | None = None) -> None:
        from mediapipe.tasks.python import BaseOptions, vision

        path = path or model_path(FACE_LANDMARKER)
        with native_quiet():
            self._landmarker = vision.FaceLandmarker.create_from_options(
                vision.FaceLandmarkerOptions(
                    base_options=BaseOptions(model_asset_path=str(path)),
                    running_mode=vision.RunningMode.VIDEO, num_faces=1,
                    output_face_blendshapes=True, output_facial_transformation_matrixes=True))
        self._last_ms = -1

    def detect(self, rgb: np.ndarray, t: float) -> FaceAnalysis | None:
        import mediapipe as mp

        stamp = max(int(round(t * 1000)), self._last_ms + 1)  # strictly increasing
        self._last_ms = stamp
        height, width = rgb.shape[:2]
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        result = self._landmarker.detect_for_video(image, stamp)
        if not result.face_landmarks:
            return None
        points = result.face_landmarks[0]
        landmarks = np.array([(p.x * width, p.y * height, p.z * width) for p in points],
                             dtype=np.float32)
        blendshapes = {c.category_name: float(c.score) for c in result.face_blendshapes[0]}
        pose = np.asarray(result.facial_transformation_matrixes[0], dtype=np.float32)
        return FaceAnalysis(landmarks, blendshapes, pose, (width, height))

    def close(self) -> None:
        if self._landmarker is not None:
            with native_quiet():
                self._landmarker.close()
            self._landmarker = None

    def __enter__(self) -> VideoLandmarker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def most_expressive_start(path: Path, info: ClipInfo, options: VideoOptions) -> float:
    """Where the clip's most expressive `max_seconds` start (module docstring)."""
    frames = read_clip(path, info, options.scan_fps, 0.0, info.duration + 1.0,
                       min(options.analysis_side, 320), options.padding)
    if not frames:
        return 0.0
    with VideoLandmarker() as landmarker:
        faces = [landmarker.detect(f, i / options.scan_fps) for i, f in enumerate(frames)]
    names = sorted(next((f.blendshapes for f in faces if f is not None), {}))
    if not names:
        return 0.0
    scores = np.array([[f.blendshapes.get(n, 0.0) for n in names] if f is not None
                       else [np.nan] * len(names) for f in faces])
    change = np.nan_to_num(np.abs(np.diff(scores, axis=0)).sum(axis=1), nan=0.0)
    change = np.concatenate([[0.0], change])
    missing = np.array([f is None for f in faces], float)
    # A window without the face is no sticker: a missing sample costs more than any change.
    gain = change - 2.0 * missing
    window = max(1, int(round(options.max_seconds * options.scan_fps)))
    if len(gain) <= window:
        return 0.0
    sums = np.convolve(gain, np.ones(window), "valid")  # window starting at each sample
    best = int(np.argmax(sums))
    # The change at sample i is between i-1 and i: the window may start one sample earlier.
    return max(0.0, (best - 1) / options.scan_fps) if best else 0.0


# --- steadying -------------------------------------------------------------------------------

class Steadier:
    """Smoothed similarities and hysteresis for one part kind (module docstring, step 4)."""

    def __init__(self, ids: list[str], vectors: np.ndarray, fps: float,
                 options: VideoOptions) -> None:
        self.ids, self.vectors = ids, vectors
        self.alpha = 1.0 - math.exp(-1.0 / (fps * max(options.smooth_s, 1e-6)))
        self.margin = options.margin
        self.hold = max(1, int(math.ceil(options.hold_s * fps - 1e-6)))
        self.smoothed: np.ndarray | None = None
        self.current = -1
        self._candidate, self._count = -1, 0

    def _similarities(self, vector: np.ndarray) -> np.ndarray:
        return self.vectors @ (vector / max(float(np.linalg.norm(vector)), 1e-12))

    def prime(self, vectors: list[np.ndarray]) -> None:
        """Start on the part best on average over the clip's first moments: the tracker settles
        over its first few frames, and a part chosen on frame 0 alone can give way to its
        neighbour a few frames in on a still face (a blink there still shows: the frames
        after priming are steadied as usual)."""
        if vectors:
            mean = np.mean([self._similarities(v) for v in vectors], axis=0)
            self.current = int(np.argmax(mean))

    def update(self, vector: np.ndarray | None) -> tuple[int, float]:
        """The part to show (row in ids) and its smoothed similarity; `None`: no face seen,
        the part shown stays."""
        if vector is not None:
            sims = self._similarities(vector)
            if self.smoothed is None:
                self.smoothed = sims
                if self.current < 0:
                    self.current = int(np.argmax(sims))
            else:
                self.smoothed = self.smoothed + self.alpha * (sims - self.smoothed)
                best = int(np.argmax(self.smoothed))
                if best != self.current and \
                        self.smoothed[best] - self.smoothed[self.current] > self.margin:
                    self._count = self._count + 1 if best == self._candidate else 1
                    self._candidate = best
                    if self._count >= self.hold:
                        self.current, self._candidate, self._count = best, -1, 0
                else:
                    self._candidate, self._count = -1, 0
        if self.smoothed is None:
            return -1, 0.0
        return self.current, float(self.smoothed[self.current])


# --- rendering and encoding ------------------------------------------------------------------

class FrameRenderer:
    """RGBA sticker frames from cached part layers; each distinct combination composited once."""

    def __init__(self, style: Style, likeness: Likeness | None,
                 skin_rgb: tuple[int, int, int] | None, size: int = STICKER_SIZE) -> None:
        self.style, self.size = style, size
        self.colours = person_colours(style, skin_rgb, likeness)
        self.likeness = likeness
        self._frames: dict[tuple, np.ndarray] = {}

    def render(self, matches: dict[str, Match]) -> np.ndarray:
        from PIL import Image

        chosen = personal_parts(self.style, {kind: self.style.part(m.part_id)
                                             for kind, m in matches.items()}, self.likeness)
        layers = tuple((chosen[kind], layer) for kind, layer, _ in _layer_bodies(chosen))
        if layers not in self._frames:
            canvas = Image.new("RGBA", (self.size, self.size), (0, 0, 0, 0))
            for part, layer in layers:
                image, corner = _layer(self.style, part, layer, self.colours, self.size)
                canvas.alpha_composite(image, dest=corner)
            self._frames[layers] = np.asarray(canvas)
        return self._frames[layers]


def encode_webm(frames: list[np.ndarray], fps: float, crf: int, bitrate_k: int | None = None
                ) -> bytes:
    """VP9 with alpha in WEBM from RGBA frames, no audio. `bitrate_k` caps the bitrate."""
    height, width = frames[0].shape[:2]
    rate = ["-b:v", f"{bitrate_k}k", "-maxrate", f"{bitrate_k}k", "-bufsize",
            f"{bitrate_k * 2}k"] if bitrate_k else ["-b:v", "0"]
    with tempfile.TemporaryDirectory(prefix="moji-webm-") as tmp:
        out = Path(tmp) / "sticker.webm"
        command = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
                   "-f", "rawvideo", "-pix_fmt", "rgba", "-s", f"{width}x{height}",
                   "-framerate", f"{fps:.6g}", "-i", "-",
                   "-c:v", "libvpx-vp9", "-pix_fmt", "yuva420p", "-crf", str(crf), *rate,
                   # realtime/cpu-used 8: several times faster than "good" on flat art, and
                   # the 256 KB budget is far off for cartoon frames; alt-ref frames and alpha
                   # do not mix in libvpx
                   "-deadline", "realtime", "-cpu-used", "8", "-auto-alt-ref", "0",
                   "-row-mt", "1", "-an", "-f", "webm", str(out)]
        proc = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            for frame in frames:
                proc.stdin.write(np.ascontiguousarray(frame).tobytes())
            proc.stdin.close()
        except BrokenPipeError:
            pass
        err = proc.stderr.read().decode(errors="replace")
        if proc.wait() != 0:
            raise RuntimeError(f"ffmpeg could not encode the sticker: {err[-500:]}")
        return out.read_bytes()


def encode_to_fit(frames: list[np.ndarray], fps: float, options: VideoOptions, step: int = 1
                  ) -> tuple[bytes, int, int]:
    """The sticker WEBM at the best quality tried that fits `max_bytes` (never a refusal: the
    last tries cap the bitrate lower and lower, then every other frame goes), how many encodes
    it took, and the stride of the frames kept (1: all)."""
    duration = len(frames) / fps
    tries = [(options.crf, None), (min(63, options.crf + 10), None), (min(63, options.crf + 20),
                                                                       None)]
    budget_k = int(options.max_bytes * 8 / 1000 / duration * 0.85)
    tries += [(63, max(8, budget_k // d)) for d in (1, 2, 4, 8, 16)]
    webm = b""
    for n, (crf, bitrate) in enumerate(tries, 1):
        webm = encode_webm(frames, fps, crf, bitrate)
        if len(webm) <= options.max_bytes:
            return webm, n, step
    # Still too big at 1/16 of the budget: drop to every other frame and fit that instead.
    if len(frames) > 2:
        webm, more, step = encode_to_fit(frames[::2], fps / 2, options, step * 2)
        return webm, len(tries) + more, step
    return webm, len(tries), step


# --- the whole clip --------------------------------------------------------------------------

def render_clip(pipe: Pipeline, clip: Path | bytes, style: str | None = None,
                likeness: Likeness | None = None, face_part: str | None = None,
                options: VideoOptions | None = None) -> VideoSticker:
    """A video sticker from a clip (a path, or its bytes); raises MojiError("no_face") when no
    frame has a face, "too_large" past 20 MB, "bad_image" when ffmpeg cannot read it (errors.py
    has no code of its own for a clip yet)."""
    if isinstance(clip, bytes):
        with tempfile.NamedTemporaryFile(prefix="moji-clip-", suffix=".bin") as tmp:
            tmp.write(clip)
            tmp.flush()
            return render_clip(pipe, Path(tmp.name), style, likeness, face_part, options)
    options = options or VideoOptions()
    timings: dict[str, float] = {}
    started = last = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal last
        now = time.perf_counter()
        timings[stage] = round(timings.get(stage, 0.0) + (now - last) * 1000, 3)
        last = now

    try:
        with open(clip, "rb") as readable:  # ffprobe would call an unreadable file a bad one
            if os.fstat(readable.fileno()).st_size > MAX_CLIP_BYTES:
                raise MojiError("too_large", "The clip is over 20 MB; send a shorter one.")
    except OSError as exc:
        raise read_error(clip, exc) from None
    chosen_style = load_style(style or pipe.options.style)
    info = probe(clip)
    fps = min(options.max_fps, info.fps) if info.fps > 0 else options.max_fps
    # Telegram counts a 3.00 s clip as over 3 s now and then: one frame short of it.
    count = max(1, int(math.floor(options.max_seconds * fps + 1e-6)) - 1)
    start = 0.0
    if info.duration > options.max_seconds + 0.05:
        lap("decode")
        start = most_expressive_start(clip, info, options)
        lap("choose")
    frames = read_clip(clip, info, fps, start, count / fps + 0.5 / fps, options.analysis_side,
                       options.padding)[:count]
    lap("decode")
    if not frames:
        raise MojiError("bad_image", f"{clip.name} has no frames.")

    with VideoLandmarker() as landmarker:
        # A face on its side (someone lying down, a phone held sideways without rotation
        # metadata) is read wrong by the landmarker: turn the clip so the first face is upright,
        # as the photo path does (FaceAnalysis.roll_quarter; upside down is not caught).
        probe_face = landmarker.detect(frames[0], 0.0)
    if probe_face is not None and probe_face.roll_quarter:
        frames = [np.ascontiguousarray(np.rot90(f, probe_face.roll_quarter)) for f in frames]
    with VideoLandmarker() as landmarker:
        # The first frame several times over: its first reading comes from the detector's
        # box, the later ones from the tracked landmarks, and the tracked crop takes a few
        # frames to settle (on a turned head the reading moved for 6 frames, then held); a
        # still face would otherwise change parts a few frames in.
        # They are spaced like frames: the landmarker smooths its landmarks over time.
        for i in range(PRIME_FRAMES):
            landmarker.detect(frames[0], i / fps)
        faces = [landmarker.detect(frame, (PRIME_FRAMES + i) / fps)
                 for i, frame in enumerate(frames)]
    lap("landmarks")
    first = next((i for i, f in enumerate(faces) if f is not None), None)
    if first is None:
        raise MojiError("no_face", "No face was found in the clip. Try a clip with the whole "
                        "face in the picture, facing the camera.")

    index = pipe.index(chosen_style)
    parsed = [parse_face(frames[i], f, pipe.parser, with_pixels=pipe.embedder.needs_pixels)
              if f is not None else None for i, f in enumerate(faces)]
    vectors = [pipe.embedder.embed_face(p) if p is not None else None for p in parsed]
    lap("embed")

    # Identity: fixed from the first frame with a face, unless given.
    if likeness is None:
        margin = _geometry(info.size, options.analysis_side, options.padding)[2]
        likeness = pipe.likeness_estimator.measure(*_unpadded(frames[first], faces[first],
                                                              margin))
    if not likeness.face:  # the face's proportions: the first frame's (geometry is pose-free)
        likeness = likeness.replace(face=measure_face_geometry(faces[first]))
    face_id = face_part if face_part and face_part in index.ids["face"] else None
    if face_id is None:
        face_sims = index.vectors["face"] @ vectors[first]["face"]
        face_id = index.ids["face"][int(np.argmax(face_sims))]
    face = chosen_style.part(face_id)
    fixed = {"face": Match("face", face.id, list(face.tags), 1.0)}
    for kind, match in match_likeness(chosen_style, likeness, face_id=face.id).items():
        fixed.setdefault(kind, match)
    sunglasses = likeness.glasses == "sunglasses"
    lap("identity")

    kinds = [k for k in EXPRESSION_KINDS if k in index.ids and k in vectors[first]]
    steadiers = {k: Steadier(index.ids[k], index.vectors[k], fps, options) for k in kinds}
    settle = [v for v in vectors[first:first + max(1, int(round(options.settle_s * fps)))]
              if v is not None]
    for kind, steadier in steadiers.items():
        steadier.prime([v[kind] for v in settle])
    chosen_frames: list[dict[str, Match]] = []
    for i in range(len(frames)):
        # Frames before the face is found show its first expression; a frame where tracking
        # lost it (None) keeps the parts shown.
        source = vectors[first] if i < first else vectors[i]
        matches: dict[str, Match] = {}
        for kind in kinds:
            row, similarity = steadiers[kind].update(source[kind] if source is not None
                                                     else None)
            part = chosen_style.part(index.ids[kind][row])
            matches[kind] = Match(kind, part.id, list(part.tags), round(similarity, 4))
        if sunglasses and "eyes" in matches:  # eyes behind dark lenses: drawn open (render())
            eyes = chosen_style.part_tagged("eyes", "open")
            matches["eyes"] = Match("eyes", eyes.id, list(eyes.tags), 0.0)
        chosen_frames.append({**fixed, **matches})
    chosen_frames = _loop_trim(chosen_frames, fps, options.loop_trim_s)
    lap("steady")

    renderer = FrameRenderer(chosen_style, likeness, likeness.skin_rgb)
    rgba = [renderer.render(m) for m in chosen_frames]
    lap("render")
    webm, tries, step = encode_to_fit(rgba, fps, options)
    if step > 1:  # it only fitted with fewer frames: say what the sticker shows
        chosen_frames, fps = chosen_frames[::step], fps / step
    lap("encode")
    timings["total"] = round((time.perf_counter() - started) * 1000, 3)
    return VideoSticker(webm=webm, fps=fps, style=chosen_style.name, embedder=pipe.embedder.name,
                        frames=chosen_frames, likeness=likeness, timings_ms=timings,
                        start_s=start, encode_tries=tries)


def _loop_trim(frames: list[dict[str, Match]], fps: float, trim_s: float
               ) -> list[dict[str, Match]]:
    """End on the last frame within `trim_s` of the end that shows the first frame's parts,
    so that the loop wraps without a jump (unchanged when there is none)."""
    def key(m: dict[str, Match]) -> tuple:
        return tuple(sorted((k, v.part_id) for k, v in m.items()))

    if len(frames) < 3:
        return frames
    first = key(frames[0])
    if key(frames[-1]) == first:
        return frames
    earliest = max(1, len(frames) - int(round(trim_s * fps)))
    for end in range(len(frames) - 1, earliest - 1, -1):
        if key(frames[end - 1]) == first:
            return frames[:end]
    return frames
