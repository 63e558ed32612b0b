"""`moji run`: the whole service from one command, with an embedded Redis (polling) and with a
webhook; and the `moji` parsers for bot, worker and run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest
from botkit import PYTHON, ROOT, RedisServer, free_port, variant

from moji.localapi import LocalBotAPI


def _run(api: LocalBotAPI, tmp_path, *args: str, **env: str) -> subprocess.Popen:
    environ = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    environ.update(api.env(), MOJI_LOG_LEVEL="INFO", MOJI_HEARTBEAT_TTL="3")
    environ.update(env)
    log = open(tmp_path / "run.log", "wb")
    return subprocess.Popen([PYTHON, "-m", "moji.cli", "run", *args], env=environ, cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT)


def _stop(proc: subprocess.Popen, tmp_path) -> str:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        pytest.fail("moji run did not stop on SIGINT")
    return (tmp_path / "run.log").read_text(errors="replace")


def _workers(proc: subprocess.Popen) -> list:
    import psutil

    found = []
    for child in psutil.Process(proc.pid).children():
        try:
            if child.status() != psutil.STATUS_ZOMBIE and "worker" in child.cmdline():
                found.append(child)
        except psutil.Error:  # it died (or was reaped) while we looked
            pass
    return found


def _sticker_for(api: LocalBotAPI, user_id: int, message: dict) -> None:
    api.wait_for("sendSticker", user_id, timeout=60, where=lambda c: json.loads(
        c.params["reply_parameters"])["message_id"] == message["message_id"])


def test_moji_run_with_embedded_redis(tmp_path):
    with LocalBotAPI() as api:
        proc = _run(api, tmp_path, "--workers", "1", "--data-dir", str(tmp_path / "data"))
        try:
            api.wait_for("deleteWebhook", timeout=60)  # the bot is up and polling
            ann = api.user(301, "Ann")
            msg = api.send_photo(ann, variant("smile.jpg", 301))
            _sticker_for(api, 301, msg)
            # a worker that dies is replaced
            (worker,) = _workers(proc)
            worker.kill()
            deadline = time.monotonic() + 30
            while not [w for w in _workers(proc) if w.pid != worker.pid]:
                assert time.monotonic() < deadline, "the dead worker was not replaced"
                time.sleep(0.2)
            msg = api.send_photo(ann, variant("grin.jpg", 302))
            _sticker_for(api, 301, msg)
        finally:
            log = _stop(proc, tmp_path)
        assert proc.returncode == 0, log
        assert "embedded Redis" in log
        assert api.token not in log
    assert (tmp_path / "data" / "moji.rdb").exists()  # the embedded Redis persisted its data
    # it holds user ids: its owner's only
    assert (tmp_path / "data").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "data" / "moji.rdb").stat().st_mode & 0o077 == 0


def test_moji_run_webhook_mode(tmp_path):
    redis_server = RedisServer()
    redis_server.flush()
    port = free_port()
    try:
        with LocalBotAPI() as api:
            proc = _run(api, tmp_path, "--workers", "1", REDIS_URL=redis_server.url,
                        MOJI_LOG_LEVEL="DEBUG",  # python-telegram-bot logs setWebhook's params
                        WEBHOOK_URL=f"http://127.0.0.1:{port}/moji-hook",
                        WEBHOOK_LISTEN="127.0.0.1", WEBHOOK_PORT=str(port))
            try:
                (hook,) = api.wait_for("setWebhook", timeout=60)
                assert hook.params["url"] == f"http://127.0.0.1:{port}/moji-hook"
                assert hook.params.get("secret_token")
                time.sleep(0.5)
                bob = api.user(302, "Bob")
                msg = api.send_photo(bob, variant("grin.jpg", 302))  # POSTed to the webhook
                _sticker_for(api, 302, msg)
                assert not api.calls_to("getUpdates", ok=None)
            finally:
                log = _stop(proc, tmp_path)
            assert proc.returncode == 0, log
            assert api.token not in log
            assert "setWebhook" in log and hook.params["secret_token"] not in log
    finally:
        redis_server.close()


def test_cli_registers_bot_worker_run():
    from moji.cli import build_parser

    parser = build_parser()
    for argv in (["bot"], ["worker", "--burst"], ["run", "--workers", "3"]):
        args = parser.parse_args(argv)
        assert callable(args.func)
    assert parser.parse_args(["run", "-w", "3"]).workers == 3
    bench = parser.parse_args(["bench", "e2e", "--users", "4", "--photos", "8", "--workers", "1,2"])
    assert callable(bench.func) and bench.users == 4 and bench.workers == "1,2"


def test_missing_token_is_a_clear_error(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    out = subprocess.run([PYTHON, "-m", "moji.cli", "bot"], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "TELEGRAM_BOT_TOKEN is not set" in out.stderr
