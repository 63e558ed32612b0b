"""Chaos, Redis and workers: the real bot and two real `moji worker` processes and a Redis of
this module's own (AOF on, on a free port) that the tests restart, and workers killed mid-job
and mid-send. Every photo must get exactly one answer. Bot API faults: test_chaos_botapi.py.

The short form runs with the suite; the slow ones (120 photos through a Redis restart) by hand:
`pytest tests/test_chaos.py -m slow -s` prints each run's figures.
"""

from __future__ import annotations

import time

import pytest
from chaoskit import (
    assert_exactly_once,
    chaos_fixtures,
    reply_to,
    send_photos,
    tally,
    variant,
    wait_answered,
    workers_alive,
)

own_redis, api, service, svc = chaos_fixtures("moji-chaos-redis")


# --- Redis ---------------------------------------------------------------------------------------

def _redis_restart(svc, api, own_redis, name: str, count: int, first_user: int, base: int,
                   timeout: float) -> None:
    photos = send_photos(api, first_user, 10, count, base)
    api.wait_for("sendSticker", count=len(api.calls_to("sendSticker")) + 3, timeout=60)
    assert own_redis.client.llen("rq:queue:moji-chaos-redis") > 0 or count < 20
    own_redis.stop()  # in the middle of jobs
    try:
        down = send_photos(api, first_user + 50, 3, 3, base + 500)  # while Redis is down
        api.wait_for("sendMessage", count=3, timeout=30,
                     where=lambda c: (int(c.params["chat_id"]), reply_to(c) or -1) in down)
        time.sleep(5.0)  # down long enough for every worker to meet it, mid-job or idle
    finally:
        own_redis.start()
    result = wait_answered(svc, api, name, photos, timeout=timeout)
    assert_exactly_once(result)
    told = tally(api, name + " (sent while Redis was down)", down)
    assert_exactly_once(told, stickers_only=False)
    assert told.messages == 3 and all("trouble" in t for t in told.texts), told.texts
    assert workers_alive(svc) == 2, "a worker exited when Redis went away"
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
