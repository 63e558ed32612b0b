"""End to end: `/emoji all` (issue 8, item 3), one sticker of everyone in a photo, with the real
bot, a real `moji worker`, a real Redis and the local Bot API server.

Own user ids (76xx), own Redis db (3) and queue, so it runs beside the other e2e tests."""

from __future__ import annotations

import io
import json
import time

from botkit import BASIC_LIKENESS, job_results, service_fixtures
from PIL import Image

QUEUE = "moji-group-test"
ENV = {**BASIC_LIKENESS, "MOJI_RATE_LIMIT": "60/60", "MOJI_QUEUE": QUEUE,
       "MOJI_LOG_LEVEL": "INFO"}
FIRST = 90.0  # the first photo loads the likeness models

redis_server, api, svc = service_fixtures(env=ENV)


def _stickers_for(api, chat_id: int, photo: dict, count: int = 1) -> list:
    def replies_to(call) -> bool:
        return json.loads(call.params.get("reply_parameters") or "{}").get(
            "message_id") == photo["message_id"]

    return api.wait_for("sendSticker", chat_id, count=count, where=replies_to, timeout=FIRST)


def _result(redis_server, message_id: int, all_faces: bool) -> dict:
    """The finished job's summary for this photo (the job ends just after it sent)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for payload, result in job_results(redis_server.client, QUEUE):
            if (payload["message_id"] == message_id
                    and bool(payload.get("all_faces")) == all_faces and result):
                return result
        time.sleep(0.1)
    raise AssertionError(f"no finished job for message {message_id}")


def test_emoji_all_in_a_group_draws_both_people(svc, api, redis_server, two_faces_jpeg):
    ann = api.user(7601, "Ann")
    group = api.group(-1007601, "Hikers")
    photo = api.send_photo(ann, two_faces_jpeg, chat=group)
    api.send_text(ann, "/emoji all", chat=group, reply_to=photo)
    (call,) = _stickers_for(api, -1007601, photo)
    sticker = call.result["sticker"]
    assert (sticker["width"], sticker["height"]) == (512, 256)  # two people side by side
    image = Image.open(io.BytesIO(api.file_bytes(sticker["file_id"])))
    assert image.format == "WEBP" and image.size == (512, 256)
    alpha = image.convert("RGBA").getchannel("A")
    assert alpha.getpixel((0, 0)) == 0  # transparent around the people
    # both halves hold a person
    assert alpha.crop((0, 0, 256, 256)).getbbox() and alpha.crop((256, 0, 512, 256)).getbbox()

    result = _result(redis_server, photo["message_id"], all_faces=True)
    people = result["people"]
    assert len(people) == 2 and people[0]["box"][0] < people[1]["box"][0]
    assert "neutral" in people[0]["parts"]["mouth"]["tags"]  # neutral.jpg is on the left,
    assert "grin" in people[1]["parts"]["mouth"]["tags"]  # grin.jpg on the right
    assert call.params["emoji"] == result["emoji"] == "😐"  # the first person's expression
    assert result["identity"] == {"used": None, "established": None, "look": None}
    assert redis_server.client.get("moji:identity:7601") is None

    # plain /emoji on the same photo is another answer: the largest face alone, rendered anew
    api.send_text(ann, "/emoji", chat=group, reply_to=photo)
    first, second = _stickers_for(api, -1007601, photo, count=2)
    assert second.files, "rendered, not the cached group sticker"
    assert api.file_bytes(second.result["sticker"]["file_id"]) != api.file_bytes(
        sticker["file_id"])
    single = _result(redis_server, photo["message_id"], all_faces=False)
    assert "people" not in single and "grin" in single["parts"]["mouth"]

    # /emoji all again on the same photo (another message): from the cache, no new job
    again = api.send_photo(ann, two_faces_jpeg, chat=group, caption="/emoji@moji_test_bot all")
    (cached,) = _stickers_for(api, -1007601, again)
    assert cached.params["sticker"] == sticker["file_id"] and not cached.files


def test_emoji_all_as_a_private_caption_keeps_nobodys_look(svc, api, redis_server,
                                                          two_faces_jpeg):
    bea = api.user(7602, "Bea")
    photo = api.send_photo(bea, two_faces_jpeg, caption="/emoji all")
    (call,) = _stickers_for(api, 7602, photo)
    assert (call.result["sticker"]["width"], call.result["sticker"]["height"]) == (512, 256)
    assert len(_result(redis_server, photo["message_id"], all_faces=True)["people"]) == 2
    assert redis_server.client.get("moji:identity:7602") is None  # not her look
    assert not redis_server.client.exists("moji:inline:7602")  # nor one of her stickers
    assert call.params.get("reply_markup") in (None, "null")  # no "Make my pack" button
