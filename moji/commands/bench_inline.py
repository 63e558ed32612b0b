"""`moji bench inline`: how fast the bot answers inline queries (issue 8's target: p99 at most
50 ms at the bot, 20 users with 50 stickers each).

A fresh Redis, the local Bot API server and the real `moji bot` process (no worker: inline
answers never queue a job). Every user gets --stickers stickers (real WEBP files the server
knows, entries as worker.jobs.record_sticker keeps them); then --rounds times, all users type a
query at the same moment (the empty query, an emoji, a word, in turn). Latency is measured by
the server, "at the bot": from handing the update to the bot (getUpdates answered) to its
answerInlineQuery arriving; on this one machine it includes the local server's own work. The
bot's CPU time per answer (its process's user+system time over the counted rounds) is the
figure that does not depend on the machine's other load: 20 answers at once need 20 of them.
The local server's and the simulated users' CPU per answer (this process) is printed beside it:
on one machine they share the cores with the bot.
The first round warms the bot up and is not counted. With
--clients aiohttp,httpx the same queries are answered by the bot on each HTTP client in turn
(MOJI_BOT_HTTP), to compare them in one run.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import tempfile
import time
from pathlib import Path

QUERIES = ["", "😁", "smile", "gri", "😉 wink", "🙂"]
KINDS = [("😁", ["grin", "open", "neutral"]), ("🙂", ["smile", "open", "neutral"]),
         ("😉", ["smile", "wink", "raised"]), ("😐", ["neutral", "open", "neutral"]),
         ("😮", ["open", "wide", "raised"])]


def register_bench(bench_subparsers: argparse._SubParsersAction) -> None:
    p = bench_subparsers.add_parser(
        "inline", help="inline query answer latency at the bot (local Bot API server)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--users", type=int, default=20, help="users querying at once (default 20)")
    p.add_argument("--stickers", type=int, default=50, help="stickers per user (default 50)")
    p.add_argument("--rounds", type=int, default=21,
                   help="rounds of simultaneous queries, the first not counted (default 21)")
    p.add_argument("--clients", default="aiohttp",
                   help="the bot's HTTP clients to measure, e.g. aiohttp,httpx (default aiohttp)")
    p.add_argument("--json", action="store_true", help="print one JSON object at the end")
    p.set_defaults(func=run_bench)


def _sticker_webp(n: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGBA", (512, 512), (n % 256, (n * 7) % 256, 90, 255)).save(out, "WEBP")
    return out.getvalue()


def _seed(api, client, users: list[int], per_user: int) -> None:  # noqa: ANN001
    from worker.config import Keys

    n = 0
    for user in users:
        entries = []
        for i in range(per_user):
            emoji, keywords = KINDS[i % len(KINDS)]
            file_id = api.add_sticker_file(_sticker_webp(n))
            entries.append(json.dumps({"file_id": file_id, "emoji": emoji, "keywords": keywords},
                                      ensure_ascii=False))
            n += 1
        client.rpush(Keys.inline(user), *entries)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _measure(api, redis_server, users: list[dict], rounds: int, logdir: Path,  # noqa: ANN001
             client: str) -> tuple[list[float], list[int], float, float]:
    """Latencies (ms), result counts, the bot's CPU ms per answer and this process's (the
    local server and the simulated users), of `rounds` rounds of queries, all users at once."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    import psutil

    from moji.commands.bench_e2e import _Service

    os.environ["MOJI_BOT_HTTP"] = client  # the bot process reads it (worker.config.Settings)
    service = _Service(api, redis_server.url, workers=0, logdir=logdir)
    latencies: list[float] = []
    counts: list[int] = []
    cpu_start = here_start = 0.0
    here = psutil.Process()
    try:
        service.wait_ready(redis_server.client)
        bot = psutil.Process(service.bot.pid)
        with ThreadPoolExecutor(max_workers=len(users)) as pool:
            for round_no in range(rounds):
                query = QUERIES[round_no % len(QUERIES)]
                ids = [api.inline_query(user, query) for user in users]
                answers = list(pool.map(api.inline_answer, ids))
                if round_no == 0:
                    cpu_start = sum(bot.cpu_times()[:2])
                    here_start = sum(here.cpu_times()[:2])
                    continue  # warm-up: first imports, connections
                latencies += [a["latency"] * 1000 for a in answers]
                counts += [len(a["results"]) for a in answers]
                time.sleep(0.2)
        cpu_ms = (sum(bot.cpu_times()[:2]) - cpu_start) * 1000
        here_ms = (sum(here.cpu_times()[:2]) - here_start) * 1000
    finally:
        service.stop()
    answers = max(len(latencies), 1)
    return latencies, counts, cpu_ms / answers, here_ms / answers


def run_bench(args: argparse.Namespace) -> int:
    from moji.commands.bench_e2e import _Redis
    from moji.localapi import LocalBotAPI

    users = [{"id": 7_100_000 + i, "is_bot": False, "first_name": f"User{i}",
              "language_code": "en"} for i in range(args.users)]
    clients = [c.strip() for c in args.clients.split(",") if c.strip()]
    redis_server = _Redis()
    results = []
    try:
        with LocalBotAPI() as api:
            _seed(api, redis_server.client, [u["id"] for u in users], args.stickers)
            for client in clients:
                logdir = Path(tempfile.mkdtemp(prefix=f"moji-bench-inline-{client}-"))
                latencies, counts, cpu_ms, server_ms = _measure(
                    api, redis_server, users, args.rounds, logdir, client)
                results.append({
                    "client": client, "users": args.users, "stickers_per_user": args.stickers,
                    "queries": len(latencies), "results_mean": round(statistics.mean(counts), 1),
                    "p50_ms": round(_pct(latencies, 50), 1),
                    "p95_ms": round(_pct(latencies, 95), 1),
                    "p99_ms": round(_pct(latencies, 99), 1), "max_ms": round(max(latencies), 1),
                    "bot_cpu_ms_per_answer": round(cpu_ms, 2),
                    "server_cpu_ms_per_answer": round(server_ms, 2)})
    finally:
        redis_server.close()
    if args.json:
        print(json.dumps(results))
        return 0
    print(f"inline: {args.users} users at once, {args.stickers} stickers each, "
          f"{args.rounds - 1} rounds; latency at the bot")
    for r in results:
        print(f"  {r['client']:8} p50 {r['p50_ms']:6.1f} ms  p95 {r['p95_ms']:6.1f} ms  "
              f"p99 {r['p99_ms']:6.1f} ms  max {r['max_ms']:6.1f} ms  "
              f"CPU per answer: bot {r['bot_cpu_ms_per_answer']:.2f} ms, "
              f"server and users {r['server_cpu_ms_per_answer']:.2f} ms  "
              f"({r['queries']} queries, {r['results_mean']} results on average)")
    return 0
