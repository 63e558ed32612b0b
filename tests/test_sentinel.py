"""Redis with Sentinel: REDIS_URL=redis+sentinel://... parsing, and a failover mid-burst.

The failover tests start, on free ports of this machine, a primary (AOF on), a replica and three
sentinels (real redis-server processes, `down-after-milliseconds` 1000), the real bot and two
real workers pointed at the sentinels, and the local Bot API server. Photos are sent, the
primary is killed (SIGKILL) once some are answered, and every photo must get exactly one answer
(a sticker, or the clear "send it again" message), nearly all of them stickers, in time.
`pytest tests/test_sentinel.py -s` prints each run's figures.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import redis
from botkit import Service, eventually, free_port, variant

from moji.localapi import LocalBotAPI
from worker.config import (
    ConfigError,
    SentinelTarget,
    parse_sentinel_url,
    redact_url,
    redis_connection,
    replica_wait_ms,
)

SERVICE = "moji-primary"
ENV = {"MOJI_RATE_LIMIT": "0", "MOJI_MAX_QUEUE": "1000", "MOJI_HEARTBEAT_TTL": "3",
       "MOJI_QUEUE": "moji-sentinel", "MOJI_LOG_LEVEL": "INFO"}
FAILURE_WORDS = ("went wrong", "stopped before", "send the photo again", "send it again")
INFORMATIONAL = ("Got it!",)


# --- the URL -----------------------------------------------------------------------------------

def test_sentinel_url_is_parsed():
    target = parse_sentinel_url("redis+sentinel://s1:26379,s2:26380,10.0.0.3/mymaster/2")
    assert target == SentinelTarget((("s1", 26379), ("s2", 26380), ("10.0.0.3", 26379)),
                                    "mymaster", 2)
    assert parse_sentinel_url("redis+sentinel://h:1/name").db == 0


def test_sentinel_url_with_passwords_and_ipv6():
    target = parse_sentinel_url(
        "redis+sentinel://:p%40ss@[::1]:26379,h:2/svc/1?sentinel_password=s3cret")
    assert target.sentinels == (("::1", 26379), ("h", 2))
    assert (target.service, target.db) == ("svc", 1)
    assert (target.password, target.sentinel_password) == ("p@ss", "s3cret")
    assert "p%40ss" not in repr(target) and "s3cret" not in repr(target)


@pytest.mark.parametrize("url", ["redis+sentinel://h:1", "redis+sentinel://h:1/",
                                 "redis+sentinel://h:x/svc/0", "redis+sentinel://h:1/svc/zero",
                                 "redis+sentinel://h:1/svc/0/extra", "redis+sentinel://,h:1/s"])
def test_bad_sentinel_urls_say_what_is_wrong(url):
    with pytest.raises(ConfigError) as caught:
        parse_sentinel_url(url)
    assert "REDIS_URL" in str(caught.value)


def test_passwords_are_redacted():
    assert redact_url("redis+sentinel://:hunter2@a:1,b:2/m/0") == \
        "redis+sentinel://:***@a:1,b:2/m/0"
    assert redact_url("redis://user:hunter2@h:6379/0") == "redis://user:***@h:6379/0"
    assert redact_url("redis://h:6379/0") == "redis://h:6379/0"


def test_replica_wait_only_with_sentinel(monkeypatch):
    monkeypatch.delenv("MOJI_REPLICA_WAIT_MS", raising=False)
    assert replica_wait_ms("redis://h:6379/0") == 0
    assert replica_wait_ms("redis+sentinel://h:1/m/0") == 1000
    monkeypatch.setenv("MOJI_REPLICA_WAIT_MS", "250")
    assert replica_wait_ms("redis+sentinel://h:1/m/0") == 250


# --- a primary, a replica, three sentinels ------------------------------------------------------

class SentinelCluster:
    """redis-server processes of this test's own: a primary with AOF, a replica, 3 sentinels."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        if not self.binary:
            pytest.skip("redis-server is not installed")
        self.dir = Path(tempfile.mkdtemp(prefix="moji-sentinel-"))
        self.procs: dict[str, subprocess.Popen] = {}
        self.primary_port, self.replica_port = free_port(), free_port()
        self.sentinel_ports = [free_port() for _ in range(3)]
        self._server("primary", self.primary_port)
        self._server("replica", self.replica_port, "--replicaof", "127.0.0.1",
                     str(self.primary_port))
        for i, port in enumerate(self.sentinel_ports):
            conf = self.dir / f"sentinel{i}.conf"
            conf.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {self.dir}\n"
                f"sentinel monitor {SERVICE} 127.0.0.1 {self.primary_port} 2\n"
                f"sentinel down-after-milliseconds {SERVICE} 1000\n"
                f"sentinel failover-timeout {SERVICE} 10000\n"
                f"sentinel parallel-syncs {SERVICE} 1\n")
            self.procs[f"sentinel{i}"] = subprocess.Popen(
                [self.binary, str(conf), "--sentinel"], stdout=self._log(f"sentinel{i}"),
                stderr=subprocess.STDOUT)
        self.url = ("redis+sentinel://" + ",".join(f"127.0.0.1:{p}" for p in self.sentinel_ports)
                    + f"/{SERVICE}/0")
        self._wait_ready()

    def _log(self, name: str):  # noqa: ANN202
        return open(self.dir / f"{name}.log", "ab")  # noqa: SIM115  (the process keeps it)

    def _server(self, name: str, port: int, *extra: str) -> None:
        data = self.dir / name
        data.mkdir()
        self.procs[name] = subprocess.Popen(
            [self.binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "everysec", "--dir", str(data), *extra],
            stdout=self._log(name), stderr=subprocess.STDOUT)

    def _wait_ready(self) -> None:
        replica = redis.Redis(port=self.replica_port, socket_timeout=1)

        def ready() -> bool:
            try:
                if replica.info("replication").get("master_link_status") != "up":
                    return False
                for port in self.sentinel_ports:  # each knows the replica and the others
                    sentinel = redis.Redis(port=port, socket_timeout=1)
                    if not sentinel.execute_command("SENTINEL", "REPLICAS", SERVICE):
                        return False
                    if len(sentinel.execute_command("SENTINEL", "SENTINELS", SERVICE)) < 2:
                        return False
                return True
            except redis.RedisError:
                return False

        if not eventually(ready, timeout=60):
            raise RuntimeError("the sentinels never saw the replica and each other:\n"
                               + self.logs())

    def primary_address(self) -> tuple[str, int]:
        sentinel = redis.Redis(port=self.sentinel_ports[0], socket_timeout=1)
        host, port = sentinel.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", SERVICE)
        return host.decode(), int(port)

    def kill_primary(self) -> None:
        proc = self.procs["primary"]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def logs(self) -> str:
        return "".join(f"--- {p.name}\n" + p.read_text(errors="replace")[-3000:]
                       for p in sorted(self.dir.glob("*.log")))

    def close(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        shutil.rmtree(self.dir, ignore_errors=True)


def _reply_to(call) -> int | None:  # noqa: ANN001
    reply = call.params.get("reply_parameters")
    reply = json.loads(reply) if isinstance(reply, str) else reply
    return int(reply["message_id"]) if reply else None


def answers(api: LocalBotAPI, photos: list[tuple[int, int]]) -> dict[tuple[int, int], list]:
    """Every sticker and (non-informational) message that replies to each photo."""
    per: dict[tuple[int, int], list] = {photo: [] for photo in photos}
    for call in api.calls_to(None):
        if call.method not in ("sendSticker", "sendMessage"):
            continue
        key = (int(call.params.get("chat_id", 0)), _reply_to(call) or -1)
        if key in per and not call.params.get("text", "").startswith(INFORMATIONAL):
            per[key].append(call)
    return per


def _failover_run(api: LocalBotAPI, tmp_path: Path, photos_count: int, kill_after: int,
                  first_user: int, min_stickers: int, limit_s: float = 120.0) -> dict:
    cluster = SentinelCluster()
    service = None
    try:
        old_primary = cluster.primary_address()
        service = Service(api, cluster.url, workers=2, logdir=tmp_path, **ENV).start()
        people = [api.user(first_user + i, f"P{i}") for i in range(5)]
        fixtures = ["smile.jpg", "grin.jpg", "neutral.jpg", "open.jpg"]
        images = [variant(fixtures[i % len(fixtures)], first_user + i)
                  for i in range(photos_count)]
        stickers_before = len(api.calls_to("sendSticker"))
        started = time.monotonic()
        photos = []
        for i, image in enumerate(images):
            message = api.send_photo(people[i % len(people)], image)
            photos.append((people[i % len(people)]["id"], message["message_id"]))
        api.wait_for("sendSticker", count=stickers_before + kill_after, timeout=limit_s)
        cluster.kill_primary()
        killed_at = time.monotonic() - started
        assert eventually(lambda: cluster.primary_address() != old_primary, timeout=30), \
            "no failover:\n" + cluster.logs()
        failover_s = time.monotonic() - started - killed_at
        eventually(lambda: all(answers(api, photos).values()),
                   timeout=max(1.0, limit_s - (time.monotonic() - started)))
        answered_s = time.monotonic() - started
        time.sleep(4.0)  # late duplicates would show now
        per = answers(api, photos)
        stickers = sum(1 for calls in per.values() for c in calls if c.method == "sendSticker")
        texts = [c.params.get("text", "")[:50] for calls in per.values() for c in calls
                 if c.method == "sendMessage"]
        figures = {"photos": photos_count, "killed_after_stickers": kill_after,
                   "killed_at_s": round(killed_at, 1), "failover_s": round(failover_s, 1),
                   "all_answered_s": round(answered_s, 1), "stickers": stickers,
                   "messages": texts}
        print("\nSENTINEL", json.dumps(figures, ensure_ascii=False))
        logs = service.all_logs()
        unanswered = [p for p, calls in per.items() if not calls]
        twice = [p for p, calls in per.items() if len(calls) > 1]
        assert not unanswered, f"{len(unanswered)} photos got no answer: {figures}\n{logs[-4000:]}"
        assert not twice, f"{len(twice)} photos got more than one answer: {figures}"
        assert answered_s <= limit_s, figures
        assert stickers >= min_stickers, figures
        assert all(any(w in t for w in FAILURE_WORDS + ("trouble",)) for t in texts), texts
        assert all(w.poll() is None for w in service.workers), "a worker exited"
        # the bot and the workers now write to the promoted replica
        client = redis_connection(cluster.url)
        assert client.connection_pool.get_master_address()[1] == cluster.replica_port
        return figures
    finally:
        if service is not None:
            service.stop()
        cluster.close()


@pytest.fixture(scope="module")
def api():
    with LocalBotAPI() as server:
        yield server


def test_failover_mid_burst_short(api, tmp_path):
    """6 photos, the primary killed after 2 stickers: every photo answered once, 5 stickers."""
    _failover_run(api, tmp_path, photos_count=6, kill_after=2, first_user=7000, min_stickers=5)


@pytest.mark.slow
def test_failover_mid_burst_30_photos(api, tmp_path):
    """30 photos, the primary killed after 10 stickers: answered once each, >= 27 stickers,
    all within 120 s."""
    _failover_run(api, tmp_path, photos_count=30, kill_after=10, first_user=7100,
                  min_stickers=27)


# --- the claims a failover can lose (a real Redis of the test's own) ---------------------------

@pytest.fixture(scope="module")
def own_redis():
    from botkit import RedisServer

    server = RedisServer()
    yield server
    server.close()


def _request(message_id: int):  # noqa: ANN202
    from worker.jobs import StickerRequest

    return StickerRequest(chat_id=42, user_id=42, message_id=message_id, file_id="f",
                          file_unique_id=f"u{message_id}", style="classic")


def _store(own_redis):  # noqa: ANN001, ANN202
    from bot.store import Store
    from worker.config import Settings

    return Store(Settings(token="1:x", redis_url=own_redis.url), connection=own_redis.client)


def test_the_notice_takes_the_answer_only_when_no_worker_has_it(own_redis):
    from worker.config import Keys

    store, client = _store(own_redis), own_redis.client
    free, held, done = _request(1), _request(2), _request(3)
    client.set(Keys.delivery(42, 2, "classic"), "job-2:4:abc")  # a worker is answering it
    client.set(Keys.done(42, 3, "classic"), "sticker")  # answered already
    assert store.claim_notice(free) is True
    assert client.get(Keys.done(42, 1, "classic")) == b"told"
    assert client.get(Keys.delivery(42, 1, "classic")).startswith(b"sent:")
    assert store.claim_notice(free) is False  # once
    assert store.claim_notice(held) is False and store.claim_notice(done) is False
    assert client.get(Keys.delivery(42, 2, "classic")) == b"job-2:4:abc"


def test_a_job_after_the_notice_sends_nothing(own_redis):
    from types import SimpleNamespace

    from worker import jobs
    from worker.config import Settings

    store = _store(own_redis)
    req = _request(4)
    assert store.claim_notice(req) is True
    rt = SimpleNamespace(redis=own_redis.client,
                         settings=Settings(token="1:x", redis_url=own_redis.url))
    assert jobs._claim_delivery(rt, req) is None  # the job counts the photo answered


def test_a_claim_lost_in_a_failover_is_taken_again_unless_done(own_redis):
    from types import SimpleNamespace

    from worker import jobs
    from worker.config import Keys, Settings

    rt = SimpleNamespace(redis=own_redis.client,
                         settings=Settings(token="1:x", redis_url=own_redis.url))
    req = _request(5)
    token = jobs._claim_delivery(rt, req)
    own_redis.client.delete(Keys.delivery(42, 5, "classic"))  # what the new primary lacks
    jobs._hand_over(rt, req, token)  # no DeliveryTaken: nobody else holds it
    assert own_redis.client.get(Keys.delivery(42, 5, "classic")) == (jobs.SENT + token).encode()
    other = _request(6)
    token = jobs._claim_delivery(rt, other)
    own_redis.client.set(Keys.delivery(42, 6, "classic"), "someone-else")
    with pytest.raises(jobs.DeliveryTaken):
        jobs._hand_over(rt, other, token)


def test_an_enqueue_cut_short_is_reported_as_maybe_queued(own_redis, monkeypatch):
    from bot.store import MaybeQueued

    store = _store(own_redis)

    def primary_died(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise redis.ConnectionError("Connection closed by server.")

    monkeypatch.setattr(store.queue, "enqueue", primary_died)
    with pytest.raises(MaybeQueued):
        store.submit(_request(7))
