"""`moji bench scaling`: what one sticker and one person cost, measured on a real run, and what
that means for a large deployment (docs/scaling.md).

It starts a fresh Redis, the local Bot API server, the real bot and W real workers; sends a few
warm-up photos; measures an idle window (what the processes do to Redis with nothing to do:
heartbeats, polling, reaping); then U people send N photos in all and it waits for every
sticker. From the process CPU times, Redis's INFO commandstats and MEMORY USAGE of every key it
prints:

- CPU per sticker in the bot, the workers and Redis (process CPU seconds over the run, less the
  idle rate);
- Redis commands per sticker (by command), and per worker per second when idle;
- Redis memory per person (the keys kept for a person: look, style, inline list, ...) and per
  sticker (the repeat cache, kept MOJI_CACHE_TTL; job records, kept minutes);
- from them: stickers per second one Redis serves, how many busy workers that is, and the
  cores a million people a day would take.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DAY = 86_400


def register_bench(bench_subparsers: argparse._SubParsersAction) -> None:
    p = bench_subparsers.add_parser(
        "scaling", help="CPU, Redis commands and memory per sticker and per person, projected",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--users", type=int, default=10, help="people (default 10)")
    p.add_argument("--photos", type=int, default=40, help="photos in all (default 40)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--idle", type=float, default=10.0,
                   help="seconds of the idle window (default 10)")
    p.add_argument("--rate", type=float, default=4.0,
                   help="photos sent per second (default 4)")
    p.add_argument("--people-per-day", type=float, default=1e6,
                   help="for the projection (default 1,000,000)")
    p.add_argument("--stickers-per-person", type=float, default=3.0,
                   help="stickers a person makes a day, for the projection (default 3)")
    p.add_argument("--peak", type=float, default=3.0,
                   help="peak hour rate over the day's average (default 3)")
    p.add_argument("--redis-core-use", type=float, default=0.5,
                   help="share of a core Redis may use before it needs sharding (default 0.5)")
    p.add_argument("--photos-dir", type=Path, default=ROOT / "tests" / "fixtures",
                   help="where the selfies come from (*.jpg)")
    p.add_argument("--json", action="store_true", help="also print one JSON object")
    p.set_defaults(func=run_bench)


# --- measuring ----------------------------------------------------------------------------------

def _cpu(pid: int) -> float:
    import psutil

    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def _snapshot(service, redis_server) -> dict:  # noqa: ANN001
    """CPU seconds of every process and Redis's command counts, now."""
    stats = redis_server.client.info("commandstats")
    return {
        "t": time.monotonic(),
        "bot": _cpu(service.bot.pid),
        "workers": sum(_cpu(w.pid) for w in service.workers),
        "redis": _cpu(redis_server.proc.pid),
        "commands": {name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()},
        "usec": sum(int(v["usec"]) for v in stats.values()),
    }


def _delta(a: dict, b: dict) -> dict:
    commands = Counter(b["commands"])
    commands.subtract(a["commands"])
    return {"seconds": b["t"] - a["t"], "bot": b["bot"] - a["bot"],
            "workers": b["workers"] - a["workers"], "redis": b["redis"] - a["redis"],
            "commands": {k: v for k, v in commands.items() if v > 0},
            "usec": b["usec"] - a["usec"]}


_ID = re.compile(r"(?<=[:_])(-?\d+|[0-9a-f]{32}|[0-9a-f-]{36}|[A-Za-z0-9_-]{16,})(?=$|[:_+])")


def _key_class(key: str) -> str:
    """A key with its ids replaced: moji:identity:1234 -> moji:identity:ID."""
    previous = None
    while previous != key:
        previous, key = key, _ID.sub("ID", key)
    return key


def _memory(client) -> dict[str, dict]:  # noqa: ANN001
    """Per key class: count, bytes (MEMORY USAGE) and the smallest TTL (-1: none)."""
    classes: dict[str, dict] = defaultdict(lambda: {"count": 0, "bytes": 0, "ttl": None})
    keys = list(client.scan_iter(count=1000))
    with client.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.memory_usage(key, samples=0)
            pipe.ttl(key)
        values = pipe.execute()
    for i, key in enumerate(keys):
        usage, ttl = values[2 * i], values[2 * i + 1]
        entry = classes[_key_class(key.decode(errors="replace"))]
        entry["count"] += 1
        entry["bytes"] += usage or 0
        if ttl is not None and ttl >= 0:  # the shortest TTL of the class; None: none has one
            entry["ttl"] = ttl if entry["ttl"] is None else min(entry["ttl"], ttl)
    return dict(classes)


# Key classes kept per person (their look, choices, inline list, the index /forget reads) and
# per sticker (the repeat cache); everything with a TTL under a day is transient.
_PERSON = ("moji:identity", "moji:style", "moji:languages", "moji:inline", "moji:user",
           "moji:last", "moji:set", "moji:pack")
_STICKER = ("moji:cache",)


def _split_memory(classes: dict[str, dict]) -> dict[str, int]:
    """Bytes kept per person, per sticker for MOJI_CACHE_TTL (the repeat cache), per sticker for
    a day or two (delivery marks: done, delivery, seen), per sticker for minutes (RQ's job
    records and results), and the rest (fixed: registries, counters)."""
    split = {"person": 0, "sticker": 0, "day": 0, "minutes": 0, "other": 0}
    for name, entry in classes.items():
        ttl = entry["ttl"] if entry["ttl"] is not None else -1
        if name.startswith(_STICKER):
            split["sticker"] += entry["bytes"]
        elif name.startswith(_PERSON):
            split["person"] += entry["bytes"]
        elif 0 <= ttl <= 3600:
            split["minutes"] += entry["bytes"]
        elif 0 <= ttl <= 3 * DAY:
            split["day"] += entry["bytes"]
        else:
            split["other"] += entry["bytes"]
    return split


# --- the run ------------------------------------------------------------------------------------

def measure(args: argparse.Namespace) -> dict:
    from moji.commands.bench_e2e import _photo_maker, _Redis, _Service, _stickers_for
    from moji.localapi import LocalBotAPI

    make = _photo_maker(args.photos_dir)
    redis_server = _Redis()
    api = LocalBotAPI().start()
    logdir = Path(tempfile.mkdtemp(prefix="moji-bench-scaling-"))
    service = _Service(api, redis_server.url, args.workers, logdir)
    try:
        service.wait_ready(redis_server.client)
        # warm-up: the first jobs of a worker are slower (caches, lazy imports)
        warm = api.user(9_000_000, "Warm")
        sent = [api.send_photo(warm, make(10_000 + i)) for i in range(2 * args.workers)]
        _stickers_for(api, sent, timeout=180)
        time.sleep(2)

        redis_server.client.config_resetstat()
        idle_from = _snapshot(service, redis_server)
        time.sleep(args.idle)
        idle = _delta(idle_from, _snapshot(service, redis_server))

        memory_before = _memory(redis_server.client)
        used_before = redis_server.client.info("memory")["used_memory"]
        people = [api.user(9_100_000 + i, f"P{i}") for i in range(args.users)]
        start = _snapshot(service, redis_server)
        sent = []
        for i in range(args.photos):
            sent.append(api.send_photo(people[i % args.users], make(20_000 + i)))
            time.sleep(1 / args.rate)
        stickers = _stickers_for(api, sent, timeout=60 + 20 * args.photos / args.workers)
        _wait_idle(redis_server.client)
        run = _delta(start, _snapshot(service, redis_server))
        memory_after = _memory(redis_server.client)
        used_after = redis_server.client.info("memory")["used_memory"]
        service.stop()
        benchmark = _redis_benchmark(redis_server.port)
    finally:
        service.stop()
        api.stop()
        redis_server.close()
    return {"args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
                     if k != "func"},
            "stickers": len(stickers), "answered": args.photos, "idle": idle, "run": run,
            "redis_benchmark": benchmark,
            "memory_before": memory_before, "memory_after": memory_after,
            "used_memory_delta": used_after - used_before}


# The commands a sticker uses most, as redis-benchmark names them
BENCH_TESTS = "set,get,incr,lpush,sadd,hset,zadd,lrange_100"


def _redis_benchmark(port: int) -> dict[str, float]:
    """redis-benchmark's requests per second per command on this machine (50 clients, no
    pipelining: one command a round trip, as Moji sends most of them); {} without it."""
    import shutil
    import subprocess

    binary = shutil.which("redis-benchmark")
    if not binary:
        return {}
    out = subprocess.run([binary, "-p", str(port), "-q", "-n", "50000", "-t", BENCH_TESTS,
                          "--csv"], capture_output=True, text=True, timeout=300).stdout
    found = {}
    for line in out.splitlines():
        parts = [p.strip('"') for p in line.split(",")]
        if len(parts) >= 2 and parts[0] != "test":
            try:
                found[parts[0]] = float(parts[1])
            except ValueError:
                continue
    return found


def _wait_idle(client, timeout: float = 60) -> None:  # noqa: ANN001
    """Until the queue is empty and no job runs (the last sticker's records are written)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not client.llen("rq:queue:bench") and not client.zcard("rq:wip:bench"):
            time.sleep(1)
            return
        time.sleep(0.2)


def figures(m: dict, args: argparse.Namespace) -> dict:
    """Per sticker, per person and per worker figures, and the projection."""
    # per answer: a sticker, or (a photo without a face) a message: both are a job
    idle, run, n = m["idle"], m["run"], max(1, m["answered"])
    rate = {k: idle[k] / idle["seconds"] for k in ("bot", "workers", "redis")}
    net = {k: max(0.0, run[k] - rate[k] * run["seconds"]) for k in ("bot", "workers", "redis")}
    idle_ops = sum(idle["commands"].values()) / idle["seconds"]
    run_ops = sum(run["commands"].values())
    sticker_ops = max(0.0, run_ops - idle_ops * run["seconds"]) / n
    by_command = {k: round(v / n, 2) for k, v in sorted(
        run["commands"].items(), key=lambda kv: -kv[1])}
    redis_cpu_per_op = run["redis"] / max(1, run_ops)  # process CPU, I/O included
    after, before = _split_memory(m["memory_after"]), _split_memory(m["memory_before"])
    grew = {k: after[k] - before[k] for k in after}
    people = args.users
    bench = m.get("redis_benchmark") or {}
    simple = sorted(v for k, v in bench.items() if "LRANGE" not in k)  # one-key commands
    bench_rps = simple[len(simple) // 2] if simple else None  # their median
    f = {
        "stickers": m["stickers"], "photos": args.photos, "people": people,
        "redis_benchmark_rps": bench, "redis_core_use": args.redis_core_use,
        "workers": args.workers, "run_seconds": round(run["seconds"], 1),
        "cpu_ms_per_sticker": {k: round(1000 * v / n, 1) for k, v in net.items()},
        "idle_cpu_percent": {k: round(100 * v, 2) for k, v in rate.items()},
        "redis_ops_per_sticker": round(sticker_ops, 1),
        "redis_ops_per_sticker_by_command": by_command,
        "redis_idle_ops_per_second": round(idle_ops, 1),
        "redis_idle_ops_per_second_per_process": round(idle_ops / (args.workers + 1), 1),
        "redis_cpu_us_per_op": round(1e6 * redis_cpu_per_op, 1),  # coarse: 10 ms CPU ticks
        "redis_command_us_per_op": round(run["usec"] / max(1, run_ops), 2),
        "memory_bytes_per_person": round(grew["person"] / people),
        "memory_bytes_per_sticker_cached": round(grew["sticker"] / n),
        "memory_bytes_per_sticker_day": round(grew["day"] / n),
        "memory_bytes_per_sticker_minutes": round(grew["minutes"] / n),
        "used_memory_delta_per_sticker": round(m["used_memory_delta"] / n),
        "key_classes": {k: v for k, v in sorted(m["memory_after"].items())},
    }
    # --- projection. Redis's capacity in stickers per second, two ways: from the time spent
    # inside the commands (INFO commandstats: an upper bound, no network I/O counted), and from
    # redis-benchmark's median one-key command rate on this machine (network included)
    worker_s = net["workers"] / n
    stickers_per_worker = 1 / worker_s if worker_s else float("inf")
    idle_ops_per_worker = f["redis_idle_ops_per_second_per_process"]
    capacity = {}
    if sticker_ops and f["redis_command_us_per_op"]:
        capacity["commands"] = args.redis_core_use * 1e6 / (
            sticker_ops * f["redis_command_us_per_op"])
    if sticker_ops and bench_rps:
        capacity["benchmark"] = args.redis_core_use * bench_rps / sticker_ops
    # W busy workers take W * (stickers_per_worker * sticker_ops + idle ops) commands a second
    ops_per_worker = stickers_per_worker * sticker_ops + idle_ops_per_worker
    day = args.people_per_day * args.stickers_per_person
    average, peak = day / DAY, day / DAY * args.peak
    cache_days = 30
    f["projection"] = {
        "redis_stickers_per_second": {k: round(v) for k, v in capacity.items()},
        "busy_workers_per_redis": {k: round(v * sticker_ops / ops_per_worker)
                                   for k, v in capacity.items()},
        "redis_ops_per_second_peak": round(peak * sticker_ops
                                           + peak * worker_s * idle_ops_per_worker),
        "stickers_per_second_per_worker_core": round(stickers_per_worker, 2),
        "people_per_day": args.people_per_day, "stickers_per_day": day,
        "stickers_per_second_average": round(average, 1),
        "stickers_per_second_peak": round(peak, 1),
        "worker_cores_peak": round(peak * worker_s, 1),
        "bot_cores_peak": round(peak * net["bot"] / n, 2),
        "redis_shards_peak": {k: max(1, -(-round(peak) // max(1, round(v))))
                              for k, v in capacity.items()},
        "redis_memory_gb_people": round(args.people_per_day * f["memory_bytes_per_person"]
                                        / 1e9, 2),
        "redis_memory_gb_cache_30_days": round(day * cache_days
                                               * f["memory_bytes_per_sticker_cached"] / 1e9, 2),
        # done/delivery marks live a day, `seen` two: about 1.5 days of stickers at once
        "redis_memory_gb_marks": round(day * 1.5 * f["memory_bytes_per_sticker_day"] / 1e9, 2),
        # job records and results: result_ttl 600 s at the peak rate
        "redis_memory_gb_jobs_peak": round(peak * 600 * f["memory_bytes_per_sticker_minutes"]
                                           / 1e9, 2),
    }
    return f


def report(f: dict) -> str:
    p = f["projection"]
    top = ", ".join(f"{k} {v}" for k, v in list(f["redis_ops_per_sticker_by_command"].items())[:12])
    lines = [
        f"run: {f['photos']} photos ({f['stickers']} stickers, the rest answered 'no face') "
        f"for {f['people']} people, {f['workers']} worker(s), "
        f"{f['run_seconds']} s",
        "",
        "CPU per sticker (process CPU, idle rate subtracted):",
        *(f"  {k:8} {v:8.1f} ms" for k, v in f["cpu_ms_per_sticker"].items()),
        "idle CPU (% of a core): " + ", ".join(f"{k} {v}" for k, v in
                                                f["idle_cpu_percent"].items()),
        "",
        f"Redis commands per sticker: {f['redis_ops_per_sticker']} "
        f"(all processes, idle traffic subtracted)",
        f"  by command (run total / stickers): {top}",
        f"Redis commands when idle: {f['redis_idle_ops_per_second']}/s "
        f"({f['redis_idle_ops_per_second_per_process']}/s per process)",
        f"Redis CPU per command: {f['redis_cpu_us_per_op']} us (process CPU, network included); "
        f"{f['redis_command_us_per_op']} us inside the commands",
        "redis-benchmark on this machine (requests/s, 50 clients, no pipelining): "
        + (", ".join(f"{k} {v:,.0f}" for k, v in f["redis_benchmark_rps"].items()) or "-"),
        "",
        f"Redis memory per person (kept: look, style, inline list, index...): "
        f"{f['memory_bytes_per_person']} B",
        f"Redis memory per sticker: {f['memory_bytes_per_sticker_cached']} B for 30 days (repeat "
        f"cache, MOJI_CACHE_TTL), {f['memory_bytes_per_sticker_day']} B for a day or two "
        f"(delivery marks), {f['memory_bytes_per_sticker_minutes']} B for 10 minutes (RQ job "
        "and result)",
        f"used_memory grew {f['used_memory_delta_per_sticker']} B per sticker",
        "",
        "Projection:",
        f"  a worker core makes {p['stickers_per_second_per_worker_core']} stickers/s",
        *(f"  one Redis at {args_core(f)} of a core, by {k}: {v} stickers/s, "
          f"{p['busy_workers_per_redis'][k]} busy workers; {p['redis_shards_peak'][k]} "
          f"shard(s) at the peak below" for k, v in p["redis_stickers_per_second"].items()),
        f"  {p['people_per_day']:,.0f} people a day x "
        f"{p['stickers_per_day'] / p['people_per_day']:g} stickers = "
        f"{p['stickers_per_day']:,.0f} stickers a day: "
        f"{p['stickers_per_second_average']}/s average, {p['stickers_per_second_peak']}/s peak",
        f"  cores at peak: workers {p['worker_cores_peak']}, bot {p['bot_cores_peak']}; "
        f"Redis {p['redis_ops_per_second_peak']:,} commands/s",
        f"  Redis memory: people {p['redis_memory_gb_people']} GB, 30 days of repeat cache "
        f"{p['redis_memory_gb_cache_30_days']} GB, delivery marks {p['redis_memory_gb_marks']} "
        f"GB, job records at peak {p['redis_memory_gb_jobs_peak']} GB",
    ]
    return "\n".join(lines)


def args_core(f: dict) -> str:
    return f"{round(100 * f['redis_core_use'])}%"


def run_bench(args: argparse.Namespace) -> int:
    m = measure(args)
    f = figures(m, args)
    print(report(f))
    if args.json:
        print(json.dumps(f, default=str))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run_bench(argparse.Namespace()))
