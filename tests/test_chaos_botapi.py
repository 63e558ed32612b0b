"""Chaos, the Bot API: the real bot and two real workers against the local Bot API server
with injected outages, 500s, 429s and 400s. Every photo must get exactly one answer: one
sticker, or one clear message, and never a message that a sticker contradicts.

The short form runs with the suite; the slow ones (a 60 s outage, 60 photos through an outage, a
429 of 60 s) by hand: `pytest tests/test_chaos_botapi.py -m slow -s` prints each run's figures.
"""

from __future__ import annotations

import pytest
from chaoskit import assert_exactly_once, chaos_fixtures, send_photos, wait_answered

own_redis, api, service, svc = chaos_fixtures("moji-chaos-api")


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
