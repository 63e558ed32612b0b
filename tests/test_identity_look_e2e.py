"""End to end (issue 16, part 2): one true look per person, with the real bot, a real
`moji worker`, a real Redis and the local Bot API server. Three selfies of one person make
the look together; a photo of someone clearly different in the same private chat is drawn
with its own look and offered "This is me: update my look"; the button makes it the look.

Own user ids (74xx), own Redis db (13) and queue, so it runs beside the other e2e tests."""

from __future__ import annotations

import json
import time

from botkit import fixture_bytes, inline_buttons, job_results, service_fixtures

QUEUE = "moji-look-test"
ENV = {"MOJI_RATE_LIMIT": "60/60", "MOJI_QUEUE": QUEUE, "MOJI_LOG_LEVEL": "INFO"}
FIRST = 90.0  # the first likeness measure loads its models

redis_server, api, svc = service_fixtures(db=13, env=ENV)


def _identity(redis_server, user_id: int) -> dict | None:
    raw = redis_server.client.get(f"moji:identity:{user_id}")
    return json.loads(raw) if raw else None


def _sticker_for(api, redis_server, user: dict, photo: bytes, timeout: float = FIRST):
    """Send a private photo; its sticker call and the worker's report of the job."""
    msg = api.send_photo(user, photo)
    (call,) = api.wait_for("sendSticker", user["id"], timeout=timeout, where=lambda c: json.loads(
        c.params.get("reply_parameters") or "{}").get("message_id") == msg["message_id"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for payload, result in job_results(redis_server.client, QUEUE):
            if payload.get("message_id") == msg["message_id"] and payload.get(
                    "chat_id") == user["id"]:
                return call, result
        time.sleep(0.1)
    raise TimeoutError("no job report")


def test_three_selfies_make_the_look_and_another_face_is_offered(svc, api, redis_server):
    ann = api.user(7401, "Ann")
    looks = []
    for i in (1, 2, 3):
        call, report = _sticker_for(api, redis_server, ann,
                                    fixture_bytes(f"identity_farida_{i}.jpg"))
        looks.append(report["identity"]["look"])
        version = _identity(redis_server, 7401)["version"]  # +1 when a vote changed the look
        assert report["identity"]["used" if i > 1 else "established"] == version
        assert not call.params.get("reply_markup") or "me:" not in call.params["reply_markup"]
    assert looks == ["established", "refined", "refined"]
    kept = _identity(redis_server, 7401)
    assert len(kept["samples"]) == 3
    assert kept["likeness"]["facial_hair"] == "none"
    measured = [sample["l"]["hair"]["colour"] for sample in kept["samples"]]
    majority = max(measured, key=measured.count)  # a tie keeps the earlier photo's
    assert kept["likeness"]["hair"]["colour"] == majority, measured

    # a bearded man's photo in Ann's chat: drawn with his own beard, and offered to Ann
    call, report = _sticker_for(api, redis_server, ann, fixture_bytes("identity_dileep.jpg"),
                                timeout=30)
    assert report["identity"]["look"] == "differs" and report["identity"]["used"] is None
    assert report["likeness"]["facial_hair"] in ("beard", "goatee")
    (button,) = inline_buttons(call.params["reply_markup"])
    assert button[0] == "This is me: update my look"
    assert button[1].startswith(f"me:{kept['version']}:u:")
    assert _identity(redis_server, 7401)["likeness"] == kept["likeness"]  # Ann's look stays

    # Ann says it is her: the photo's look becomes hers and a /me card shows it
    query_id = api.press_button(ann, call.result, button[1])
    (answer,) = api.wait_for("answerCallbackQuery",
                             where=lambda c: c.params.get("callback_query_id") == query_id)
    assert "this is your look now" in answer.params.get("text", "")
    updated = _identity(redis_server, 7401)
    assert updated["version"] == kept["version"] + 1 and len(updated["samples"]) == 1
    assert updated["likeness"]["facial_hair"] == report["likeness"]["facial_hair"]
    api.wait_for("sendSticker", 7401, timeout=30, where=lambda c: f"me:{updated['version']}:"
                 in c.params.get("reply_markup", ""))
    # a second press of the same button changes nothing
    again = api.press_button(ann, call.result, button[1])
    (stale,) = api.wait_for("answerCallbackQuery",
                            where=lambda c: c.params.get("callback_query_id") == again)
    assert "no longer kept" in stale.params.get("text", "")
    assert _identity(redis_server, 7401)["version"] == updated["version"]
