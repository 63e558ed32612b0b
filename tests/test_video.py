"""Video stickers (pipeline/video.py): clips made here from fixture photos, rendered, and the
WEBM checked against Telegram's video sticker rules (pipeline/videoinfo.py, with the ffmpeg
imageio-ffmpeg ships)."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("imageio_ffmpeg")
pytest.importorskip("mediapipe")

from botkit import write_mp4  # noqa: E402

from pipeline.videoinfo import (  # noqa: E402
    VideoInfo,
    ffmpeg_exe,
    inspect_video,
    video_sticker_error,
)

FIXTURES = Path(__file__).parent / "fixtures"
FPS = 30


def _photo(name: str, side: int = 352) -> np.ndarray:
    from PIL import Image

    image = Image.open(FIXTURES / name).convert("RGB")
    scale = side / max(image.size)
    w, h = (int(round(v * scale / 2)) * 2 for v in image.size)
    return np.asarray(image.resize((w, h), Image.BICUBIC))


def _shaken(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The photo moved by a fraction of a pixel and put through JPEG, as a held phone's
    frames are."""
    import cv2
    from PIL import Image

    dx, dy = rng.uniform(-0.6, 0.6, 2)
    moved = cv2.warpAffine(rgb, np.float32([[1, 0, dx], [0, 1, dy]]), rgb.shape[1::-1],
                           flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    buf = io.BytesIO()
    Image.fromarray(moved).save(buf, "JPEG", quality=int(rng.integers(70, 90)))
    return np.asarray(Image.open(buf).convert("RGB"))


def still_clip(path: Path, name: str = "neutral.jpg", seconds: float = 3.0) -> Path:
    rng = np.random.default_rng(7)
    rgb = _photo(name)
    return write_mp4(path, [_shaken(rgb, rng) for _ in range(int(seconds * FPS))])


def switching_clip(path: Path, names: tuple[str, str] = ("neutral.jpg", "grin.jpg"),
                   seconds: float = 3.0) -> Path:
    """Two photos, each for a second in turn (same frame size)."""
    rng = np.random.default_rng(3)
    photos = [_photo(n) for n in names]
    h = min(p.shape[0] for p in photos)
    w = min(p.shape[1] for p in photos)
    photos = [p[:h, :w] for p in photos]
    return write_mp4(path, [_shaken(photos[(i // FPS) % 2], rng)
                             for i in range(int(seconds * FPS))])


def assert_video_sticker(path: Path) -> VideoInfo:
    """The sticker meets Telegram's video sticker rules (the check the local Bot API server
    makes), and its corners decode transparent around an opaque face."""
    info = inspect_video(path, decode_alpha=True)
    assert video_sticker_error(info) is None, info
    assert (info.width, info.height) == (512, 512), info
    assert info.alpha_mode, info
    assert info.corner_alpha == 0, info  # transparent background
    assert info.centre_alpha >= 250, info  # an opaque face
    return info


@pytest.fixture(scope="module")
def pipe():
    from pipeline import Pipeline, PipelineOptions

    options = PipelineOptions(style="classic", embedder="expression", parser="landmarks")
    options.likeness.method = "basic"  # fast, and the likeness is not what is tested here
    with Pipeline.from_options(options) as p:
        yield p


def _changes(frames: list[dict]) -> int:
    return sum(frames[i]["parts"] != frames[i - 1]["parts"] for i in range(1, len(frames)))


def test_bundled_ffmpeg_encodes_vp9_with_alpha():
    out = subprocess.run([ffmpeg_exe(), "-hide_banner", "-h", "encoder=libvpx-vp9"],
                         capture_output=True, text=True).stdout
    assert "yuva420p" in out


@pytest.mark.parametrize("photo", ["neutral.jpg", "colour_turned.jpg"])
def test_still_face_does_not_flicker(pipe, tmp_path, photo):
    """At most one part change on 3 s of a still face (colour_turned.jpg: a turned, blurred
    head, on which the tracked landmarks settle over the first frames)."""
    from pipeline.video import render_clip

    clip = still_clip(tmp_path / "still.mp4", photo)
    sticker = render_clip(pipe, clip)
    out = tmp_path / "still.webm"
    out.write_bytes(sticker.webm)
    assert_video_sticker(out)
    frames = sticker.to_dict()["frames"]
    assert len(frames) >= 60
    assert _changes(frames) <= 1, [f["parts"]["mouth"]["id"] for f in frames]


@pytest.mark.parametrize("second, kind", [("grin.jpg", "mouth"), ("eyes_closed.jpg", "eyes")])
def test_expression_follows_a_switch_within_100ms(pipe, tmp_path, second, kind):
    """The fixtures hold no one person in two expressions: neutral.jpg and the second photo
    are different people, so the identity (likeness and face shape) is fixed from the first,
    as a kept identity is; the mouth (eyes) must follow each switch."""
    from pipeline.video import render_clip

    neutral = pipe.render((FIXTURES / "neutral.jpg").read_bytes())
    other = pipe.render((FIXTURES / second).read_bytes())
    want = {0: neutral.matches[kind].tags[0], 1: other.matches[kind].tags[0]}
    assert want[0] != want[1]
    clip = switching_clip(tmp_path / "switch.mp4", ("neutral.jpg", second))
    sticker = render_clip(pipe, clip, likeness=neutral.likeness,
                          face_part=neutral.matches["face"].part_id)
    out = tmp_path / "switch.webm"
    out.write_bytes(sticker.webm)
    assert_video_sticker(out)
    frames = sticker.to_dict()["frames"]
    assert {f["parts"]["face"]["id"] for f in frames} == {neutral.matches["face"].part_id}
    judged = [f for f in frames if (f["t"] % 1.0) >= 0.1 - 1e-6]  # from 100 ms after a switch
    right = sum(f["parts"][kind]["tags"][0] == want[int(f["t"]) % 2] for f in judged)
    assert right >= 0.9 * len(judged), [(f["t"], f["parts"][kind]["tags"][0]) for f in frames]


def test_long_clip_gives_its_most_expressive_three_seconds(pipe, tmp_path):
    """4 s still, then 3 s of switching: the sticker is cut from the switching part."""
    from pipeline.video import render_clip

    rng = np.random.default_rng(5)
    a, b = _photo("neutral.jpg"), _photo("grin.jpg")
    h, w = min(a.shape[0], b.shape[0]), min(a.shape[1], b.shape[1])
    a, b = a[:h, :w], b[:h, :w]
    frames = [_shaken(a, rng) for _ in range(4 * FPS)]
    frames += [_shaken(b if (i // 15) % 2 else a, rng) for i in range(3 * FPS)]
    clip = write_mp4(tmp_path / "long.mp4", frames)
    sticker = render_clip(pipe, clip)
    assert 3.0 <= sticker.start_s <= 4.5, sticker.start_s
    out = tmp_path / "long.webm"
    out.write_bytes(sticker.webm)
    assert_video_sticker(out)


def test_encoder_lowers_quality_to_fit(tmp_path):
    """Noise frames cannot fit 256 KB at the first quality: a lower one is used, no refusal."""
    from pipeline.video import VideoOptions, encode_to_fit

    rng = np.random.default_rng(1)
    frames = [rng.integers(0, 256, (512, 512, 4), dtype=np.uint8) for _ in range(30)]
    for f in frames:
        f[..., 3] = 255
    webm, tries, _ = encode_to_fit(frames, 30.0, VideoOptions(max_bytes=60 * 1024))
    assert len(webm) <= 60 * 1024 and tries > 1


def test_render_command_writes_webm_with_frames(tmp_path):
    import sys

    clip = still_clip(tmp_path / "cli.mp4", seconds=1.0)
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "moji.cli", "render", str(clip), "--out", str(out),
                           "--json", "--likeness-method", "basic"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    record = json.loads(proc.stdout.strip().splitlines()[-1])
    assert record["ok"] and record["output"] == str(out / "cli.webm")
    assert len(record["frames"]) >= 25
    assert set(record["frames"][0]["parts"]) >= {"face", "eyes", "brows", "mouth"}
    assert_video_sticker(Path(record["output"]))


@pytest.fixture(scope="module")
def bisenet_pipe():
    from pipeline import Pipeline, PipelineOptions
    from pipeline.bisenet import find_weights

    pytest.importorskip("torch")
    if find_weights(allow_download=False) is None:
        pytest.skip("BiSeNet weights not fetched (moji models fetch bisenet)")
    options = PipelineOptions(style="avatar")
    options.likeness.method = "bisenet"
    with Pipeline.from_options(options) as p:
        yield p


@pytest.mark.parametrize("name", ["neutral.jpg", "likeness_cap.jpg"])
def test_a_clip_reads_the_look_as_its_photo_does(bisenet_pipe, tmp_path, name):
    """Without a kept look, a clip's likeness is read from a frame without the grey margin the
    landmarker is given: BiSeNet read that flat grey band above a head as a cap."""
    clip = still_clip(tmp_path / "still.mp4", name, seconds=1.0)
    sticker = bisenet_pipe.render_clip(clip)
    photo = bisenet_pipe.measure_likeness((FIXTURES / name).read_bytes())
    assert (sticker.likeness.headwear, sticker.likeness.glasses) == (
        photo.headwear, photo.glasses)


def test_reading_a_clip_logs_no_resize_warning(pipe, tmp_path, caplog):
    """The frames are scaled and padded on purpose: imageio-ffmpeg's warning about it would
    fill a worker's log, one a clip."""
    clip = still_clip(tmp_path / "still.mp4", seconds=0.5)
    with caplog.at_level("WARNING"):
        pipe.render_clip(clip)
    assert not [r for r in caplog.records if r.name.startswith("imageio")]


def test_clip_bytes_and_broken_clips(pipe, tmp_path):
    """The bot hands over bytes; a file that is no video is a "bad_image" answer."""
    from pipeline.errors import MojiError
    from pipeline.video import render_clip

    clip = still_clip(tmp_path / "short.mp4", seconds=1.0)
    sticker = pipe.render_clip(clip.read_bytes())  # the Pipeline method delegates here
    assert 25 <= len(sticker.frames) <= 30 and sticker.webm[:4] == b"\x1a\x45\xdf\xa3"  # EBML
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    with pytest.raises(MojiError) as err:
        render_clip(pipe, broken)
    assert err.value.code == "bad_image"


def test_steadier_hysteresis():
    """Noise under the margin never switches; a step switches within two frames at 30 fps."""
    from pipeline.video import Steadier, VideoOptions

    vectors = np.eye(3, dtype=np.float32)  # three parts, one axis each
    steadier = Steadier(["a", "b", "c"], vectors, 30.0, VideoOptions())
    rng = np.random.default_rng(0)
    shown = [steadier.update(np.array([1.0, 0.97, 0.0]) + rng.normal(0, 0.01, 3))[0]
             for _ in range(90)]
    assert set(shown) == {0}
    after = [steadier.update(np.array([0.1, 0.0, 1.0]))[0] for _ in range(5)]
    assert after[1] == 2 and after[-1] == 2
    assert steadier.update(None)[0] == 2  # no face: the part shown stays


def test_loop_trim_ends_on_the_first_frames_parts():
    from pipeline.match import Match
    from pipeline.video import _loop_trim

    def frame(mouth: str) -> dict:
        return {"mouth": Match("mouth", mouth, [mouth], 1.0)}

    frames = [frame("a")] * 80 + [frame("b")] * 4 + [frame("a")] * 2 + [frame("b")] * 3
    trimmed = _loop_trim(frames, 30.0, 0.5)
    assert len(trimmed) == 86 and trimmed[-1]["mouth"].part_id == "a"
    assert len(_loop_trim([frame("a")] * 10 + [frame("b")] * 40, 30.0, 0.5)) == 50


def test_face_on_its_side_is_read_upright(pipe, tmp_path):
    """A clip of a face lying on its side gives the parts the upright photo gives."""
    from pipeline.video import render_clip

    upright = pipe.render((FIXTURES / "neutral.jpg").read_bytes())
    rng = np.random.default_rng(11)
    rgb = np.ascontiguousarray(np.rot90(_photo("neutral.jpg"), 1))
    clip = write_mp4(tmp_path / "side.mp4", [_shaken(rgb, rng) for _ in range(FPS)])
    frames = render_clip(pipe, clip).to_dict()["frames"]
    for kind in ("eyes", "mouth"):
        want = upright.matches[kind].tags[0]
        assert sum(f["parts"][kind]["tags"][0] == want for f in frames) >= 0.9 * len(frames)


@pytest.mark.parametrize("args, suffix, error", [
    ([], ".webm", None),
    (["-r", "60"], ".webm", "STICKER_VIDEO_FPS"),
    (["-t", "3.5"], ".webm", "STICKER_VIDEO_LONG"),
    (["-s", "320x240"], ".webm", "STICKER_VIDEO_DIMENSIONS"),
    (["-s", "600x512"], ".webm", "STICKER_VIDEO_DIMENSIONS"),
    (["-vf", "noise=alls=100:allf=t", "-crf", "4", "-b:v", "0"], ".webm", "STICKER_VIDEO_BIG"),
    (["AUDIO"], ".webm", "STICKER_VIDEO_AUDIO"),
    (["-c:v", "libx264"], ".mp4", "STICKER_VIDEO_NOWEBM"),
    ([], ".mkv", "STICKER_VIDEO_NOWEBM"),  # VP9, but a Matroska file, not a WEBM
])
def test_video_sticker_rules(tmp_path, args, suffix, error):
    """pipeline.videoinfo checks Telegram's video sticker rules (the local Bot API server
    refuses with them): clips made here by ffmpeg, each breaking one rule."""
    out = tmp_path / f"clip{suffix}"
    audio = ["-f", "lavfi", "-i", "sine=d=1", "-c:a", "libopus"] if args == ["AUDIO"] else []
    args = [] if audio else args
    codec = [] if "-c:v" in args else ["-c:v", "libvpx-vp9", "-deadline", "realtime",
                                       "-cpu-used", "8"]
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
                    "-i", "testsrc=size=512x512:rate=30", *audio, "-t", "1", *codec,
                    "-pix_fmt", "yuv420p", *args, str(out)], check=True)
    info = inspect_video(out)
    found = video_sticker_error(info)
    assert (found or "").split(":")[0] == (error or ""), (found, info)
