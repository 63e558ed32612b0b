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

    server = RedisServer(db=6)
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
    assert jobs._claim_delivery(rt, req)  # the first try claims
    monkeypatch.setattr(jobs, "CLAIM_WAIT_S", 0.2)
    # a retry after a try that died mid-send: taken as delivered, nothing sent again
    assert not jobs._claim_delivery(rt, req)
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
