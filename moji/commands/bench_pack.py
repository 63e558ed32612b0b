"""`moji bench pack`: how fast a person's sticker pack (issue 8 part 1) is made.

1. render: the 24+ stickers of pipeline.pack.PACK drawn for one identity, on --cores CPU cores
   (1 by default, pinned with sched_setaffinity like `moji bench pipeline`): cold (no part
   layer rasterised yet: a worker's first pack in a style) and warm (layers cached, every
   sticker composited and PNG-encoded again), per style; then the WEBP conversion of the 24.
2. e2e (unless --no-e2e): a fresh Redis, the real bot and one real worker against the local
   Bot API server. Each of --rounds people sends a selfie (their identity; each another
   photo, so the worker's caches do not hold their pack), then /pack: the time from sending
   the update to the message with the t.me/addstickers link (one createNewStickerSet call);
   then /style another style and /pack again: the time to the link of the redrawn set (24
   replaceStickerInSet calls). The first person's pack is the worker's first (no part layer
   rasterised yet).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def register_bench(bench_subparsers: argparse._SubParsersAction) -> None:
    p = bench_subparsers.add_parser(
        "pack", help="a sticker pack: render time of its 24 stickers, /pack to its link",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--styles", default="", help="comma-separated styles (default: all)")
    p.add_argument("--photo", type=Path, default=ROOT / "tests" / "fixtures" / "smile.jpg",
                   help="the selfie whose likeness is drawn (default tests/fixtures/smile.jpg)")
    p.add_argument("--repeat", type=int, default=5, help="warm passes per style (default 5)")
    p.add_argument("--cores", type=int, default=1,
                   help="pin the process to this many CPU cores (0: leave as is)")
    p.add_argument("--no-e2e", action="store_true", help="only the render figures")
    p.add_argument("--rounds", type=int, default=4,
                   help="e2e: people who each make a pack and redraw it (default 4), each "
                        "from another selfie (--people), so that each pack is drawn anew")
    p.add_argument("--people", default="smile.jpg,likeness_beard.jpg,likeness_long_hair.jpg,"
                   "likeness_glasses.jpg,likeness_bald.jpg,likeness_cap.jpg",
                   help="e2e: their selfies, in tests/fixtures (comma-separated)")
    p.add_argument("--json", action="store_true", help="print one JSON object at the end")
    p.set_defaults(func=run_bench)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="moji bench")
    register_bench(parser.add_subparsers())
    args = parser.parse_args(["pack", *(argv or [])])
    return args.func(args)


def _render(args: argparse.Namespace) -> dict:
    from pipeline import Pipeline, PipelineOptions
    from pipeline.compose import clear_render_cache
    from pipeline.pack import PACK, render_pack
    from pipeline.style import list_styles
    from worker.stickers import _WEBP_CACHE, to_webp

    styles = [s for s in args.styles.split(",") if s] or list_styles()
    pipe = Pipeline.from_options(PipelineOptions(style=styles[0]))
    # the person: likeness and face shape measured once from the selfie, as the bot keeps them
    sticker = pipe.render(args.photo.read_bytes())
    likeness, face = sticker.likeness, sticker.matches["face"].part_id
    out: dict = {"stickers": len(PACK), "cores": len(os.sched_getaffinity(0)),
                 "photo": str(args.photo), "face": face, "styles": {}}
    for style in styles:
        clear_render_cache()
        start = time.perf_counter()
        rendered = render_pack(pipe, likeness, face, style)
        cold = (time.perf_counter() - start) * 1000
        warm = []
        for _ in range(args.repeat):
            clear_render_cache(layers=False)  # layers kept: composite + PNG encode every time
            start = time.perf_counter()
            render_pack(pipe, likeness, face, style)
            warm.append((time.perf_counter() - start) * 1000)
        _WEBP_CACHE.clear()
        start = time.perf_counter()
        webps = [to_webp(png) for _item, png in rendered]
        webp_ms = (time.perf_counter() - start) * 1000
        out["styles"][style] = {
            "cold_ms": round(cold, 1), "warm_median_ms": round(statistics.median(warm), 1),
            "warm_max_ms": round(max(warm), 1), "webp_ms": round(webp_ms, 1),
            "distinct": len({png for _item, png in rendered}),
            "max_webp_kb": round(max(len(w) for w in webps) / 1024, 1)}
    pipe.close()
    return out


def _e2e(args: argparse.Namespace, styles: list[str]) -> dict:
    from moji.commands.bench_e2e import _Redis, _Service
    from moji.localapi import LocalBotAPI, marked_photo

    redis_server = _Redis()
    logdir = Path(tempfile.mkdtemp(prefix="moji-bench-pack-"))
    api = LocalBotAPI().start()
    service = _Service(api, redis_server.url, 1, logdir)
    first_ms, redraw_ms = [], []
    try:
        service.wait_ready(redis_server.client)
        other = next((s for s in styles if s != "classic"), styles[0])
        for i in range(args.rounds):
            user_id = 20_000 + i
            user = api.user(user_id, f"Packer{i}")
            people = [p for p in args.people.split(",") if p]
            api.send_photo(user, marked_photo(ROOT / "tests" / "fixtures" /
                                              people[i % len(people)], 900 + i))
            api.wait_for("sendSticker", user_id, timeout=180)
            for made, (round_ms, style) in enumerate(((first_ms, None), (redraw_ms, other))):
                if style:
                    api.send_text(user, f"/style {style}")
                    api.wait_for("sendMessage", user_id, timeout=30,
                                 where=lambda c: "Style set" in c.params.get("text", ""))
                start = time.perf_counter()
                api.send_text(user, "/pack")
                link = api.wait_for("sendMessage", user_id, timeout=180, count=made + 1,
                                    where=lambda c: "addstickers/" in c.params.get("text", ""))
                round_ms.append((link[-1].at - start) * 1000)
    finally:
        service.stop()
        api.stop()
        redis_server.close()
    return {"rounds": args.rounds, "first_pack_ms": [round(x) for x in first_ms],
            "redraw_ms": [round(x) for x in redraw_ms],
            "first_pack_max_ms": round(max(first_ms)), "redraw_max_ms": round(max(redraw_ms)),
            "logs": str(logdir)}


def run_bench(args: argparse.Namespace) -> int:
    if args.cores and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[: args.cores]))
    render = _render(args)
    print(f"moji bench pack: {render['stickers']} stickers, {render['cores']} core(s), "
          f"likeness of {args.photo.name} (face {render['face']})")
    print(f"{'style':<10}{'cold ms':>9}{'warm ms':>9}{'warm max':>10}{'webp ms':>9}"
          f"{'distinct':>10}{'max KB':>8}")
    for style, r in render["styles"].items():
        print(f"{style:<10}{r['cold_ms']:>9.1f}{r['warm_median_ms']:>9.1f}"
              f"{r['warm_max_ms']:>10.1f}{r['webp_ms']:>9.1f}{r['distinct']:>10}"
              f"{r['max_webp_kb']:>8.1f}")
    summary: dict = {"render": render}
    if not args.no_e2e:
        if hasattr(os, "sched_setaffinity"):  # the service gets every core back
            os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
        e2e = _e2e(args, list(render["styles"]))
        summary["e2e"] = e2e
        print(f"/pack to its link (createNewStickerSet, {render['stickers']} stickers): "
              f"{e2e['first_pack_ms']} ms; after /style, redrawn (replaceStickerInSet): "
              f"{e2e['redraw_ms']} ms")
    if args.json:
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
