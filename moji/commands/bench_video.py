"""`moji bench video`: clips to finished video stickers, timed per stage.

Each clip is rendered once to warm up (the style's part layers rasterise and its index loads,
as in a worker that has run before), then `--repeat` times; the medians are printed per stage
with the clip's duration, so that "no slower than the clip plays" reads off the last column.
The process is pinned to `--cores` CPU cores (default 1), as `moji bench pipeline` is.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

STAGES = ("decode", "choose", "landmarks", "embed", "identity", "steady", "render", "encode",
          "total")


def register_bench(bench_subparsers: argparse._SubParsersAction) -> None:
    p = bench_subparsers.add_parser(
        "video", help="clips to video stickers: per-stage ms against the clip's duration",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("clips", nargs="+", type=Path, help="video clips (mp4, mov, webm, gif)")
    p.add_argument("--style", default="classic")
    p.add_argument("--embedder", default="expression")
    p.add_argument("--repeat", type=int, default=2, help="timed renders a clip (default 2)")
    p.add_argument("--cores", type=int, default=1,
                   help="pin the process to this many CPU cores (0: leave as is)")
    p.add_argument("--likeness-method", default=None, choices=("auto", "bisenet", "basic"),
                   help="likeness measure (default: $MOJI_LIKENESS or auto)")
    p.add_argument("--kept-identity", action="store_true",
                   help="pass the likeness measured in the warm-up, as a bot does for a person "
                        "it knows (the identity stage then costs nothing)")
    p.set_defaults(func=run_video)


def run_video(args: argparse.Namespace) -> int:
    import numpy as np

    from pipeline import Pipeline, PipelineOptions
    from pipeline.errors import MojiError
    from pipeline.video import render_clip

    if args.cores and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[: args.cores]))
    options = PipelineOptions(style=args.style, embedder=args.embedder)
    if args.likeness_method:
        options.likeness.method = args.likeness_method
    failed = 0
    with Pipeline.from_options(options) as pipe:
        for clip in args.clips:
            try:
                warm = render_clip(pipe, clip)
                likeness = warm.likeness if args.kept_identity else None
                runs = [render_clip(pipe, clip, likeness=likeness)
                        for _ in range(max(1, args.repeat))]
            except MojiError as exc:
                print(f"{clip}: {exc.message} ({exc.code})")
                failed += 1
                continue
            last = runs[-1]
            print(f"{clip}: {len(last.frames)} frames at {last.fps:g} fps = "
                  f"{last.duration:.2f} s of sticker (from {last.start_s:.2f} s), "
                  f"{len(last.webm) / 1024:.0f} KB in {last.encode_tries} encode(s); "
                  f"{len(os.sched_getaffinity(0))} core(s), {args.repeat} run(s), likeness "
                  f"{'kept' if args.kept_identity else pipe.likeness_estimator.name}")
            print(f"  {'stage':<10}{'median ms':>10}{'share':>8}")
            total = float(np.median([r.timings_ms["total"] for r in runs]))
            for stage in STAGES:
                values = [r.timings_ms[stage] for r in runs if stage in r.timings_ms]
                if not values:
                    continue
                median = float(np.median(values))
                share = "" if stage == "total" else f"{median / total:8.0%}"
                print(f"  {stage:<10}{median:>10.1f}{share}")
            print(f"  total / sticker duration: {total / 1000 / last.duration:.2f}x "
                  f"(<= 1.00: no slower than the clip plays)")
    return 1 if failed else 0
