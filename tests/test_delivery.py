"""One answer per photo, in process (worker.jobs' delivery marks and on_failure, a real Redis,
a fake Bot API client): who is told what, and when. tests/test_chaos.py does the same with real
processes and faults."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from rq.exceptions import AbandonedJobError

from worker import jobs, runtime
from worker.botapi import BotAPIError
from worker.config import Keys, Settings


@pytest.fixture(scope="module")
def redis_db():
    from botkit import RedisServer

    server = RedisServer()
    server.flush()
    yield server.client
    server.close()


class FakeBot:
    def __init__(self) -> None:
        self.sent: list[tuple[int, str, int | None]] = []

    def send_message(self, chat_id: int, text: str, reply_to: int | None = None) -> dict:
        self.sent.append((chat_id, text, reply_to))
        return {"message_id": len(self.sent)}

    def close(self) -> None:
        pass


@pytest.fixture
def rt(redis_db):
    fake = SimpleNamespace(redis=redis_db, bot=FakeBot(),
                           settings=Settings(token="1:x", cache_ttl=3600))
    runtime.set_current(fake)
    yield fake
    runtime.set_current(None)


def _job(chat_id: int, message_id: int, retries_left: int | None):
    payload = {"chat_id": chat_id, "user_id": chat_id, "message_id": message_id,
               "file_id": "F", "file_unique_id": "U", "style": "classic",
               "chat_type": "private", "language": "en"}
    return SimpleNamespace(id=f"job-{chat_id}-{message_id}", args=[payload],
                           retries_left=retries_left, func_name="worker.jobs.make_sticker")


def test_no_message_while_a_retry_remains(rt, redis_db):
    jobs.on_failure(_job(1, 1, 2), redis_db, BotAPIError, BotAPIError("sendSticker", 500, "x"),
                    None)
    jobs.on_failure(_job(1, 2, 1), redis_db, AbandonedJobError, AbandonedJobError(), None)
    assert rt.bot.sent == []


def test_told_once_when_no_retry_remains(rt, redis_db):
    job = _job(2, 1, 0)
    jobs.on_failure(job, redis_db, BotAPIError, BotAPIError("getFile", 502, "x"), None)
    jobs.on_failure(job, redis_db, AbandonedJobError, AbandonedJobError(), None)  # again
    assert len(rt.bot.sent) == 1 and "went wrong" in rt.bot.sent[0][1]
    assert rt.bot.sent[0][2] == 1  # a reply to the photo


def test_a_pack_that_failed_for_good_says_so_and_frees_pack(rt, redis_db):
    from worker.packs import pending_key

    redis_db.set(pending_key(5), '{"title": "Ann"}')
    payload = {"chat_id": 5, "user_id": 5, "style": "classic", "language": "es"}
    job = SimpleNamespace(id="pack-5", args=[payload], retries_left=0,
                          func_name="worker.jobs.build_pack")
    jobs.on_failure(job, redis_db, BotAPIError, BotAPIError("createNewStickerSet", 502, "x"),
                    None)
    assert len(rt.bot.sent) == 1 and "/pack" in rt.bot.sent[0][1]
    assert "paquete" in rt.bot.sent[0][1]  # in the person's language
    assert not redis_db.exists(pending_key(5))  # /pack may start it again at once


def test_a_photo_answered_already_is_not_told(rt, redis_db):
    redis_db.set(Keys.done(3, 1, "classic"), "sticker")  # the sticker went out, then the
    jobs.on_failure(_job(3, 1, None), redis_db, AbandonedJobError,  # worker died
                    AbandonedJobError(), None)
    assert rt.bot.sent == []


def test_claim_and_done_marks(rt, redis_db, monkeypatch):
    req = jobs.StickerRequest(chat_id=4, user_id=4, message_id=1, file_id="F",
                              file_unique_id="U", style="classic")
    token = jobs._claim_delivery(rt, req)  # the first try claims
    jobs._hand_over(rt, req, token)  # and its answer's last byte went out
    monkeypatch.setattr(jobs, "CLAIM_WAIT_S", 0.2)
    # a retry after a try that died mid-send: taken as delivered, nothing sent again
    assert jobs._claim_delivery(rt, req) is None
    assert redis_db.get(Keys.done(4, 1, "classic")) == b"unknown"
    req2 = jobs.StickerRequest(chat_id=4, user_id=4, message_id=2, file_id="F",
                               file_unique_id="U", style="classic")
    assert jobs._claim_delivery(rt, req2)
    jobs._release_delivery(rt, req2)  # Telegram refused: a retry may send
    assert jobs._claim_delivery(rt, req2)
    jobs._mark_done(rt, req2, "sticker")
    assert not jobs._claim_delivery(rt, req2)
    assert Keys.done(4, 2, "classic").encode() in redis_db.smembers(Keys.user_index(4))


def test_transient_and_permanent_bot_api_errors():
    assert jobs.transient(BotAPIError("sendSticker", 0, "Bot API unreachable (ConnectError)"))
    assert jobs.transient(BotAPIError("sendSticker", 502, "Bad Gateway"))
    assert jobs.transient(BotAPIError("sendSticker", 429, "Too Many Requests", 60))
    assert not jobs.transient(BotAPIError("sendSticker", 400, "Bad Request"))
    assert jobs._not_sent(BotAPIError("sendSticker", 0, "Bot API unreachable (ConnectError)"))
    assert not jobs._not_sent(BotAPIError("sendSticker", 0, "Bot API unreachable (ReadTimeout)"))


def test_a_429_stretches_the_next_retry(monkeypatch):
    import rq

    job = SimpleNamespace(retries_left=3, retry_intervals=[5, 15, 30, 60])
    monkeypatch.setattr(rq, "get_current_job", lambda: job)
    jobs._defer(BotAPIError("sendSticker", 429, "Too Many Requests", retry_after=75))
    # RQ takes intervals[len - retries_left] for the next retry
    assert job.retry_intervals == [5, 76, 30, 60]


def test_retry_intervals_span_a_minute_and_a_half():
    from bot.store import retry_intervals

    settings = Settings(token="1:x")
    delays = retry_intervals(settings)
    assert len(delays) == settings.job_retries and sum(delays) >= 90
    assert delays == sorted(delays)
    assert retry_intervals(Settings(token="1:x", job_retries=1)) == [5]
    assert retry_intervals(Settings(token="1:x", job_retries=6)) == [5, 15, 30, 60, 60, 60]


# --- killed before the answer went out (SIGKILL during the upload): answered by the retry -------

@pytest.fixture(scope="module")
def local_api():
    from moji.localapi import LocalBotAPI

    with LocalBotAPI() as server:
        yield server


@pytest.fixture
def real_rt(redis_db, local_api):
    from worker.botapi import BotAPI

    bot = BotAPI(local_api.token, local_api.base_url, local_api.base_file_url, timeout=2.0)
    real = SimpleNamespace(redis=redis_db, bot=bot, settings=Settings(token="1:x", cache_ttl=60))
    runtime.set_current(real)
    yield real
    runtime.set_current(None)
    bot.close()


def _request(chat_id: int, message_id: int) -> jobs.StickerRequest:
    return jobs.StickerRequest(chat_id=chat_id, user_id=chat_id, message_id=message_id,
                               file_id="F", file_unique_id=f"U{chat_id}-{message_id}",
                               style="classic", language="en")


def test_a_try_killed_before_its_answer_went_out_is_answered_by_the_retry(
        real_rt, local_api, monkeypatch):
    """The claim a killed try leaves before its last byte (a bare token) does not silence the
    photo: the retry takes the claim over and answers once; the old try, should it go on,
    finds the claim taken and sends nothing."""
    monkeypatch.setattr(jobs, "CLAIM_WAIT_S", 0.2)
    local_api.user(5, "Kim")
    req = _request(5, 1)
    killed = jobs._claim_delivery(real_rt, req)  # what the killed try left in Redis
    assert jobs._answer_error(real_rt, req, "no_face") == {"ok": False, "error": "no_face"}
    assert len(local_api.calls_to("sendMessage", 5)) == 1
    assert "couldn't find a face" in local_api.sent_texts(5)[0]
    with pytest.raises(jobs.DeliveryTaken):
        jobs._hand_over(real_rt, req, killed)
    assert jobs._answer_error(real_rt, req, "no_face")["duplicate"]  # and once only
    assert len(local_api.calls_to("sendMessage", 5)) == 1


def test_an_answer_abandoned_at_its_hand_over_never_reaches_telegram(real_rt, local_api):
    local_api.user(6, "Lee")

    def taken() -> None:
        raise jobs.DeliveryTaken("another try answers")

    with pytest.raises(jobs.DeliveryTaken):
        real_rt.bot.call("sendSticker", {"chat_id": 6, "emoji": "🙂"},
                         files={"sticker": ("s.webp", _webp(), "image/webp")},
                         before_last_byte=taken)
    handed = []
    message = real_rt.bot.call("sendSticker", {"chat_id": 6, "emoji": "🙂"},
                               files={"sticker": ("s.webp", _webp(), "image/webp")},
                               before_last_byte=lambda: handed.append(True))
    assert handed == [True] and message["sticker"]["file_id"]
    assert len(local_api.calls_to("sendSticker", 6, ok=None)) == 1  # the first never arrived


def test_a_lost_answer_after_the_hand_over_is_not_sent_twice(real_rt, local_api):
    """A connection lost after the last byte: Telegram may have acted. The client does not try
    again by itself (that sent a second sticker); the delivery is left unknown."""
    local_api.user(7, "Max")
    local_api.delay_reply("sendMessage", 4.0)  # carried out, answered after the 2 s timeout
    with pytest.raises(BotAPIError) as err:
        real_rt.bot.send_message(7, "hello", before_last_byte=lambda: None)
    assert err.value.code == 0 and "delivery unknown" in err.value.description
    assert not jobs._not_sent(err.value)
    # the client is synchronous: a second try would have been sent before it raised, so it
    # would be on record before a request the test makes now
    real_rt.bot.call("getMe", {})
    local_api.wait_for("getMe")
    assert len(local_api.calls_to("sendMessage", 7, ok=None)) == 1


def _webp() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGBA", (512, 512), (250, 200, 0, 255)).save(out, "WEBP")
    return out.getvalue()


def test_a_job_taken_as_redis_went_away_is_queued_again(redis_db):
    """A worker's BLMOVE can take a job off the queue at the instant Redis stops: the job sits in
    RQ's intermediate list, never started. `reap` puts it back after a few seconds (RQ itself
    waits a minute), and leaves alone the jobs a worker really started."""
    import time

    from rq import Queue
    from rq.executions import Execution

    queue = Queue("moji-rescue-test", connection=redis_db)
    lost = queue.enqueue("worker.jobs.make_sticker", {"chat_id": 1}, job_id="lost")
    running = queue.enqueue("worker.jobs.make_sticker", {"chat_id": 2}, job_id="running")
    for _ in range(2):  # what a worker's dequeue does, first half only
        redis_db.lmove(queue.key, queue.intermediate_queue.key, "LEFT", "RIGHT")
    with redis_db.pipeline() as pipe:  # a worker did start this one (Worker.prepare_execution)
        running.set_status("started", pipeline=pipe)
        Execution.create(running, ttl=60, pipeline=pipe)
        pipe.execute()
    assert queue.count == 0

    assert runtime.rescue_dequeued(redis_db, queue.name, grace_s=0.3) == 0  # first seen
    assert queue.count == 0  # a worker may be about to start it: not yet
    time.sleep(0.4)
    assert runtime.rescue_dequeued(redis_db, queue.name, grace_s=0.3) == 1
    assert queue.job_ids == [lost.id]
    assert queue.intermediate_queue.get_job_ids() == [running.id]
    assert runtime.rescue_dequeued(redis_db, queue.name, grace_s=0.3) == 0  # nothing twice
    assert queue.job_ids == [lost.id]
