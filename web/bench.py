"""Bench the web API's drawings: `python -m web.bench [--n 200]`.

Runs the web app in this process against a Redis of its own (a redis-server on a free port; or
REDIS_URL), over real HTTP on 127.0.0.1, and prints p50/p95 per kind of request:

- GET /api/preview: the kept look (the page's first drawing; drawn once, then the compositor's
  cache answers);
- POST /api/preview, warm: a trait change whose layers were drawn before (tapping back and
  forth through a palette);
- POST /api/preview, cold: a hair colour never drawn before (a measured rgb each time), so its
  layers are rasterised anew;
- GET /api/strip: the pack's 24 expressions in one strip.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import subprocess
import tempfile
import threading
import time

import numpy as np

TOKEN = "123456789:AAEmojiBenchTokenXXXXXXXXXXXXXXXXXXXX"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _own_redis() -> tuple[str, subprocess.Popen | None, str | None]:
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"], None, None
    binary = shutil.which("redis-server")
    if not binary:
        raise SystemExit("no redis-server on PATH: set REDIS_URL")
    port, tmp = _free_port(), tempfile.mkdtemp(prefix="moji-bench-redis-")
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--dir", tmp], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    return f"redis://127.0.0.1:{port}/0", proc, tmp


def _figures(name: str, ms: list[float]) -> str:
    return (f"{name:<44} n={len(ms):<4} p50 {np.percentile(ms, 50):6.1f} ms   "
            f"p95 {np.percentile(ms, 95):6.1f} ms   max {max(ms):6.1f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="requests per kind (default 200)")
    parser.add_argument("--style", default="avatar")
    parser.add_argument("--size", type=int, default=512)
    args = parser.parse_args(argv)

    import httpx
    import redis as redis_py
    from aiohttp import web as aioweb

    from web import auth
    from web.app import WebConfig, create_app
    from worker.config import Settings

    url, proc, tmp = _own_redis()
    client = redis_py.Redis.from_url(url)
    config = WebConfig(token=TOKEN, preview_rate=(0, 1),
                       bot_settings=Settings(token=TOKEN, redis_url=url))
    app = create_app(config, client)
    port = _free_port()
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    runner = aioweb.AppRunner(app, access_log=None)

    async def start() -> None:
        await runner.setup()
        await aioweb.TCPSite(runner, "127.0.0.1", port).start()

    asyncio.run_coroutine_threadsafe(start(), loop).result(30)
    init = auth.sign({"auth_date": int(time.time()), "user": {"id": 1, "first_name": "B"}},
                     TOKEN)
    headers = {"Authorization": "tma " + init}
    out = []
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers,
                          timeout=60) as http:
            http.put("/api/me", json={"style": args.style, "likeness": {
                "hair": {"length": "medium"}}}).raise_for_status()
            params = {"size": args.size}

            def timed(call) -> float:
                t0 = time.perf_counter()
                answer = call()
                answer.raise_for_status()
                return (time.perf_counter() - t0) * 1000

            http.get("/api/preview", params=params)  # loads the style's files
            ms = [timed(lambda: http.get("/api/preview", params=params)) for _ in range(args.n)]
            out.append(_figures("GET /api/preview (kept look)", ms))

            colours = ["black", "blonde", "red", "grey", "auburn", "white", "brown"]
            for colour in colours:  # warm: each drawn once
                http.post("/api/preview", json={"likeness": {"hair": {"colour": colour}},
                                                "size": args.size})
            ms = [timed(lambda i=i: http.post("/api/preview", json={
                "likeness": {"hair": {"colour": colours[i % len(colours)]}},
                "size": args.size})) for i in range(args.n)]
            out.append(_figures("POST /api/preview (warm trait change)", ms))

            rng = random.Random(0)
            cold = max(20, args.n // 4)
            def new_rgb() -> str:
                r, g, b = rng.randrange(40, 200), rng.randrange(30, 150), rng.randrange(20, 90)
                return f"#{r:02x}{g:02x}{b:02x}"

            ms = [timed(lambda: http.post("/api/preview", json={"likeness": {"hair": {
                "colour": "brown", "rgb": new_rgb()}}, "size": args.size}))
                for _ in range(cold)]
            out.append(_figures("POST /api/preview (cold: new hair rgb)", ms))

            ms = [timed(lambda: http.get("/api/strip")) for _ in range(max(10, args.n // 10))]
            out.append(_figures("GET /api/strip (24 expressions)", ms))
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        if proc is not None:
            proc.terminate()
            proc.wait(10)
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"moji web bench: style {args.style}, {args.size} px, one process, "
          f"{os.cpu_count()} CPUs visible")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
