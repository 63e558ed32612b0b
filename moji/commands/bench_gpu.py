"""`moji bench gpu`: the CPU against a CUDA GPU, side by side, in one run.

For each device (default: cpu, and cuda when torch sees one) the same photos and clip go
through a pipeline built for that device (MOJI_DEVICE, the BiSeNet likeness), and it prints:

- the BiSeNet likeness per face (head frame, parse, measures), median ms;
- BiSeNet alone per face, one face per forward and `--batch` faces per forward
  (BiSeNetParser.parse_many: what a GPU worker gains by batching the faces at hand);
- photos per second per worker: whole renders of first selfies (likeness measured each time,
  as for a person the bot does not know yet), one after another;
- a 3 s clip to a video sticker, wall seconds.

Without a GPU only the CPU column is printed (say so when quoting it).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def register_bench(bench_subparsers: argparse._SubParsersAction) -> None:
    p = bench_subparsers.add_parser(
        "gpu", help="CPU against GPU side by side: likeness per face, photos/s, a 3 s clip",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("photos", nargs="+", type=Path, help="photos or folders of photos")
    p.add_argument("--limit", type=int, default=16, help="at most this many photos (16)")
    p.add_argument("--devices", default="",
                   help="comma-separated, e.g. cpu,cuda (default: cpu, and cuda if available)")
    p.add_argument("--batch", type=int, default=16, help="faces per BiSeNet forward (16)")
    p.add_argument("--clip", type=Path, default=None,
                   help="a clip to time (default: 3 s made of the first photo, 15 fps)")
    p.add_argument("--style", default="classic")
    p.add_argument("--cores", type=int, default=0,
                   help="pin the process to this many CPU cores (0: leave as is)")
    p.set_defaults(func=run_gpu)


def _devices(raw: str) -> list[str]:
    import torch

    if raw.strip():
        return [d.strip() for d in raw.split(",") if d.strip()]
    return ["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]


def _clip_from_photo(photo: bytes, seconds: float = 3.0, fps: int = 15) -> bytes:
    """A still selfie moved a pixel now and then for `seconds`: an H.264 MP4, as a phone's
    clip (the ffmpeg imageio-ffmpeg ships)."""
    import io

    import imageio_ffmpeg
    import numpy as np
    from PIL import Image

    image = Image.open(io.BytesIO(photo)).convert("RGB")
    scale = 480 / max(image.size)
    size = (int(image.width * scale) // 2 * 2, int(image.height * scale) // 2 * 2)
    frame = np.asarray(image.resize(size, Image.BICUBIC))
    with tempfile.TemporaryDirectory(prefix="moji-bench-") as tmp:
        path = Path(tmp) / "clip.mp4"
        writer = imageio_ffmpeg.write_frames(str(path), size, fps=fps, codec="libx264",
                                             quality=8, macro_block_size=2,
                                             ffmpeg_log_level="error")
        writer.send(None)
        for i in range(int(seconds * fps)):
            writer.send(np.ascontiguousarray(np.roll(frame, (i % 3) - 1, axis=1)))
        writer.close()
        return path.read_bytes()


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize()


def bench_device(device: str, photos: list[bytes], clip: bytes, batch: int,
                 style: str) -> dict[str, float]:
    """One device's figures (see the module's doc)."""
    import numpy as np

    from pipeline import Pipeline, PipelineOptions
    from pipeline.errors import MojiError
    from pipeline.likeness import head_frame
    from pipeline.video import render_clip

    os.environ["MOJI_DEVICE"] = device
    options = PipelineOptions(style=style)
    options.likeness.method = "bisenet"
    options.likeness.device = device
    figures: dict[str, float] = {}
    with Pipeline.from_options(options) as pipe:
        impl = pipe.likeness_estimator._impl
        parser, size = impl.parser, impl.size
        analysed = []
        for data in photos:
            try:
                image, faces = pipe.analyze(data)
            except MojiError:
                continue
            if faces:
                analysed.append((image.rgb, faces[0]))
        if not analysed:
            raise SystemExit("moji bench gpu: no face found in the photos given")
        for rgb, face in analysed[:2]:  # warm up (cuDNN picks its kernels, caches fill)
            pipe.likeness_estimator.measure(rgb, face)
        likeness_ms = []
        for rgb, face in analysed:
            _sync(device)
            start = time.perf_counter()
            pipe.likeness_estimator.measure(rgb, face)
            _sync(device)
            likeness_ms.append((time.perf_counter() - start) * 1000)
        figures["likeness ms/face"] = float(np.median(likeness_ms))

        crops = [head_frame(rgb, face, size).image for rgb, face in analysed]
        crops = (crops * (batch // len(crops) + 1))[:max(batch, len(crops))]
        parser.parse_many(crops[:batch], size=size)  # warm up this batch size
        _sync(device)
        start = time.perf_counter()
        for crop in crops:
            parser.parse_many([crop], size=size)
        _sync(device)
        figures["BiSeNet ms/face, 1 per forward"] = (time.perf_counter() - start) * 1000 / len(
            crops)
        start = time.perf_counter()
        parser.parse_many(crops, size=size, batch=batch)
        _sync(device)
        figures[f"BiSeNet ms/face, {batch} per forward"] = (
            (time.perf_counter() - start) * 1000 / len(crops))

        for data in photos[:2]:
            try:
                pipe.render(data)
            except MojiError:
                pass
        rendered, start = 0, time.perf_counter()
        for data in photos:
            try:
                pipe.render(data)  # no likeness given: measured, as for a first selfie
                rendered += 1
            except MojiError:
                continue
        _sync(device)
        figures["photos/s per worker"] = rendered / (time.perf_counter() - start)

        render_clip(pipe, clip)  # warm up
        start = time.perf_counter()
        sticker = render_clip(pipe, clip)
        figures[f"{sticker.duration:.1f} s clip, s"] = time.perf_counter() - start
    return figures


def run_gpu(args: argparse.Namespace) -> int:
    import torch

    from moji.commands.bench import collect_photos

    if args.cores and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[: args.cores]))
    photos = [p.read_bytes() for p in collect_photos(args.photos, args.limit)]
    if not photos:
        raise SystemExit("moji bench gpu: no photos given")
    clip = args.clip.read_bytes() if args.clip else _clip_from_photo(photos[0])
    devices = _devices(args.devices)
    columns = {device: bench_device(device, photos, clip, args.batch, args.style)
               for device in devices}
    card = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no CUDA GPU"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"{len(photos)} photos, style {args.style}, torch {torch.__version__}, "
          f"{cores} CPU core(s), GPU: {card}")
    rows = list(next(iter(columns.values())))
    print(f"{'':<34}" + "".join(f"{d:>12}" for d in devices))
    for row in rows:
        print(f"{row:<34}" + "".join(f"{columns[d][row]:>12.2f}" for d in devices))
    if "cuda" not in devices:
        print("(no CUDA GPU here: only the CPU column; run it where there is one)")
    return 0
