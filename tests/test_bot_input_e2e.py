"""Bad and unusual input at the bot, end to end (one real worker, the real bot, a real Redis, the
local Bot API server): what a person reads for each, and that nothing crashes or answers twice.
Also the secrets: the webhook secret never reaches a log."""

from __future__ import annotations

import json
import logging
import time

import pytest
from botkit import BASIC_LIKENESS, Service, service_fixtures, variant

from moji.localapi import LocalBotAPI

ENV = {**BASIC_LIKENESS, "MOJI_RATE_LIMIT": "3/60", "MOJI_QUEUE": "moji-input-test",
       "MOJI_LOG_LEVEL": "INFO", "MOJI_HEARTBEAT_TTL": "3"}
WHAT_I_TAKE = "I make stickers from photos"

redis_server, api, svc = service_fixtures(env=ENV)


def _quiet(svc: Service, api: LocalBotAPI, chat_id: int, messages: list[dict] = ()) -> None:
    """Once nothing more can come (Service.settle), nothing went wrong in the chat."""
    svc.settle(messages)
    assert not any("went wrong" in t for t in api.sent_texts(chat_id))


def test_style_with_a_4000_character_name_is_echoed_short(svc, api):
    ann = api.user(3001, "Ann")
    api.send_text(ann, "/style " + "x" * 4000)
    (told,) = api.wait_for("sendMessage", 3001, where=lambda c: "no style" in c.params["text"])
    assert len(told.params["text"]) < 200 and "…" in told.params["text"]
    _quiet(svc, api, 3001)


def test_buttons_of_any_shape_are_answered(svc, api):
    bob = api.user(3002, "Bob")
    api.send_text(bob, "/help")
    (card,) = api.wait_for("sendMessage", 3002)
    for data in ("nonsense", "style:" + "y" * 60, "me:garbage:1:2", "lang:xx", ""):
        query = api.press_button(bob, card.result, data)
        deadline = time.monotonic() + 10
        while not api.callback_answered(query) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert api.callback_answered(query), data


@pytest.mark.parametrize(("user_id", "fields"), list(enumerate([
    {"text": "hello there"},
    {"voice": {"file_id": "VO1", "file_unique_id": "UVO1", "duration": 2}},
    {"location": {"latitude": 52.37, "longitude": 4.89}},  # (a video is taken: test_clips_e2e)
    {"sticker": {"file_id": "ST1", "file_unique_id": "UST1", "type": "regular", "width": 512,
                 "height": 512, "is_animated": False, "is_video": False}},
], start=3010)), ids=["text", "voice", "location", "sticker"])
def test_other_messages_are_told_what_the_bot_takes(svc, api, user_id, fields):
    person = api.user(user_id, "Cy")
    sent = api.send_message(person, fields)
    (told,) = api.wait_for("sendMessage", user_id)
    assert WHAT_I_TAKE in told.params["text"]
    _quiet(svc, api, user_id, [sent])
    assert len(api.calls_to("sendMessage", user_id)) == 1


def test_heic_is_refused_clearly(svc, api):
    dee = api.user(3003, "Dee")
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 200
    sent = api.send_document(dee, heic, "IMG_0042.HEIC", "image/heic")
    (told,) = api.wait_for("sendMessage", 3003)
    assert "HEIC" in told.params["text"]
    _quiet(svc, api, 3003, [sent])
    assert not api.calls_to("sendChatAction", 3003)  # nothing was queued


def test_tiny_image_and_heic_under_another_name_are_told_why(svc, api):
    import io

    from PIL import Image

    dot = io.BytesIO()
    Image.new("RGB", (1, 1)).save(dot, "PNG")
    gus, hal = api.user(3006, "Gus"), api.user(3007, "Hal")
    sent = [api.send_document(gus, dot.getvalue(), "dot.png", "image/png")]
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 200
    # the worker reads what it is
    sent.append(api.send_document(hal, heic, "IMG_0043.jpg", "image/jpeg"))
    (small,) = api.wait_for("sendMessage", 3006, timeout=30)
    assert "too small" in small.params["text"], small.params["text"]
    (told,) = api.wait_for("sendMessage", 3007, timeout=30)
    assert "HEIC" in told.params["text"], told.params["text"]
    svc.settle(sent)
    for chat in (3006, 3007):
        assert not any("went wrong" in t for t in api.sent_texts(chat))
        assert len(api.calls_to("sendMessage", chat)) == 1 and not api.calls_to("sendSticker", chat)


def test_edited_caption_is_ignored_and_an_edited_photo_is_told(svc, api):
    eve = api.user(3004, "Eve")
    msg = api.send_photo(eve, variant("smile.jpg", 300))
    api.wait_for("sendSticker", 3004, timeout=30)
    edited = api.edit_message(msg, caption="a new caption")
    svc.settle()  # the edit's update fetched and answered or not, no job running
    assert edited["caption"] == "a new caption"
    assert len(api.calls_to("sendSticker", 3004)) == 1
    assert not api.calls_to("sendMessage", 3004)  # a caption edit: nothing said
    api.edit_message(msg, image=variant("grin.jpg", 301))
    (told,) = api.wait_for("sendMessage", 3004)
    assert "new message" in told.params["text"]
    _quiet(svc, api, 3004)
    assert len(api.calls_to("sendSticker", 3004)) == 1


def test_channel_post_with_emoji_does_not_crash(svc, api):
    news = api.channel(-100300, "News")
    post = api.channel_post(news, image=variant("grin.jpg", 310), caption="/emoji")
    api.wait_for("sendSticker", -100300, timeout=30)
    _quiet(svc, api, -100300, [post])


def test_rate_limited_photos_each_get_an_answer(svc, api):
    fay = api.user(3005, "Fay")
    sent = [api.send_photo(fay, variant("neutral.jpg", 320 + i)) for i in range(6)]
    api.wait_for("sendSticker", 3005, count=3, timeout=60)
    (slow,) = api.wait_for("sendMessage", 3005, where=lambda c: "Slow down" in c.params["text"])
    reactions = api.wait_for("setMessageReaction", 3005, count=2)
    answered = {int(c.params["message_id"]) for c in reactions}
    svc.settle(sent)  # each photo answered or queued, every job done: the counts are final
    stickered = {json.loads(c.params["reply_parameters"])["message_id"]
                 for c in api.calls_to("sendSticker", 3005)}
    assert len(api.calls_to("sendSticker", 3005)) == 3 and len(stickered) == 3
    assert len(answered) == 2 and answered <= {m["message_id"] for m in sent}
    # "Slow down" replies to the one photo that got neither a sticker nor a reaction
    told = json.loads(slow.params["reply_parameters"])["message_id"]
    assert {told} == {m["message_id"] for m in sent} - stickered - answered
    assert len(api.calls_to("sendMessage", 3005)) == 1


def test_webhook_secret_is_redacted_from_logs(caplog):
    from worker.redact import install

    secret = "s3cr3t-webhook-value-0123456789abcdef"
    install("", secret)
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("telegram.ext.ExtBot").debug(
            "Calling Bot API endpoint `setWebhook` with parameters `%s`",
            {"url": "https://example.org/hook", "secret_token": secret})
    assert secret not in caplog.text
    assert "secret_token" in caplog.text
