"""Custom emoji and emoji status (issue 17.4), end to end: /pack (here from the Mini App's
"Redraw my pack") also makes the person's custom emoji set, 24 emoji of exactly 100x100 with
their emoji and keywords, redrawn in step with the pack after a look change; the Mini App's
POST /api/emoji-status sets one as their emoji status through setUserEmojiStatus, which the
local Bot API server allows only after the person allowed it. And the local server's rules
for custom emoji sets (100x100, at most 200) and emoji statuses."""

from __future__ import annotations

import io
import json

import httpx
import pytest
from botkit import eventually, job_results, service_fixtures, variant
from PIL import Image
from webkit import TOKEN, ThreadedWeb, headers

from pipeline.pack import PACK
from web.app import WebConfig
from worker.botapi import BotAPI, BotAPIError
from worker.config import Settings

QUEUE = "moji-web-emoji-test"
ENV = {"MOJI_RATE_LIMIT": "60/60", "MOJI_QUEUE": QUEUE, "MOJI_LOG_LEVEL": "INFO"}

redis_server, api, svc = service_fixtures(db=0, env=ENV)


@pytest.fixture(scope="module")
def settings(api, redis_server):
    env = api.env()
    return Settings(token=api.token, redis_url=redis_server.url, queue=QUEUE,
                    base_url=env["TELEGRAM_BASE_URL"],
                    base_file_url=env["TELEGRAM_BASE_FILE_URL"], rate_count=60,
                    rate_period=60)


@pytest.fixture(scope="module")
def http(settings, redis_server, svc):
    config = WebConfig(token=settings.token, bot_settings=settings)
    with ThreadedWeb(config, redis_server.client) as server, \
            httpx.Client(base_url=server.url, timeout=60) as client:
        yield client


def auth(user_id: int) -> dict[str, str]:
    return headers(user_id)  # moji.localapi's default token, which the bot uses here


def pack_results(redis_server, user_id: int) -> list[dict]:
    return [result for payload, result in job_results(redis_server.client, QUEUE)
            if payload.get("user_id") == user_id and result and "emoji_set" in result]


def test_pack_makes_the_custom_emoji_set_and_the_status_uses_it(api, redis_server, http):
    assert api.token == TOKEN
    user = api.user(7901, "Ann")
    api.send_photo(user, variant("smile.jpg", 7901))
    api.wait_for("sendSticker", 7901, timeout=120)
    assert eventually(lambda: redis_server.client.get("moji:identity:7901") is not None, 20)

    refused = http.post("/api/emoji-status", headers=auth(7901), json={})
    assert refused.status_code == 409 and refused.json()["error"] == "no_set"

    answer = http.post("/api/pack", headers=auth(7901))
    assert answer.status_code == 202, answer.text
    assert eventually(lambda: pack_results(redis_server, 7901), 120)
    (result,) = pack_results(redis_server, 7901)
    assert result["emoji_set"] == "created"
    name = f"moji_e7901_by_{api.username}"
    emoji_set = api.sticker_set(name)
    assert emoji_set["sticker_type"] == "custom_emoji"
    stickers = emoji_set["stickers"]
    assert [s["emoji"] for s in stickers] == [p.emoji for p in PACK]
    assert [s["keywords"] for s in stickers] == [list(p.keywords) for p in PACK]
    for sticker in stickers:
        assert Image.open(io.BytesIO(api.file_bytes(sticker["file_id"]))).size == (100, 100)
        assert sticker["custom_emoji_id"]
    assert any(f"https://t.me/addemoji/{name}" in text for text in api.sent_texts(7901))
    record = json.loads(redis_server.client.get("moji:set:7901:emoji"))
    assert set(record["ids"]) == {p.emoji for p in PACK}

    # the person has not allowed it in the Mini App yet: Telegram refuses, the API says so
    answer = http.post("/api/emoji-status", headers=auth(7901), json={})
    assert answer.status_code == 403 and answer.json()["error"] == "refused"
    assert 7901 not in api.emoji_statuses
    api.allow_emoji_status(7901)
    answer = http.post("/api/emoji-status", headers=auth(7901), json={"emoji": "😎"})
    assert answer.status_code == 200, answer.text
    assert api.emoji_statuses[7901]["custom_emoji_id"] == record["ids"]["😎"]
    bad = http.post("/api/emoji-status", headers=auth(7901), json={"emoji": "🦄"})
    assert bad.status_code == 400

    # a new look: the pack and its custom emoji are redrawn together, in place
    old_files = {s["file_id"] for s in stickers}
    http.put("/api/me", headers=auth(7901), json={"likeness": {"glasses": "sunglasses"}})
    assert http.post("/api/pack", headers=auth(7901)).status_code == 202
    assert eventually(lambda: len(pack_results(redis_server, 7901)) == 2, 120)
    assert sorted(r["emoji_set"] for r in pack_results(redis_server, 7901)) == [
        "created", "replaced"]
    redrawn = api.sticker_set(name)["stickers"]
    assert len(redrawn) == 24 and not old_files & {s["file_id"] for s in redrawn}
    new_record = json.loads(redis_server.client.get("moji:set:7901:emoji"))
    assert new_record["stamp"] != record["stamp"]
    # /forget drops the record with the pack's
    api.send_text(user, "/forget")
    assert eventually(lambda: redis_server.client.get("moji:set:7901:emoji") is None, 20)


def _png(side: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (side, side), (200, 80, 40, 255)).save(out, "PNG")
    return out.getvalue()


def test_local_api_checks_custom_emoji_rules(api, settings):
    bot = BotAPI.from_settings(settings)
    api.user(7911, "Bo")
    name = f"rules_e_by_{api.username}"

    def spec(i: int) -> dict:
        return {"sticker": f"attach://f{i}", "format": "static", "emoji_list": ["🙂"]}

    with pytest.raises(BotAPIError) as exc:
        bot.call("createNewStickerSet", {"user_id": 7911, "name": name, "title": "T",
                                         "sticker_type": "custom_emoji",
                                         "stickers": [spec(0)]},
                 files={"f0": ("f0.png", _png(512), "image/png")})
    assert "DIMENSIONS" in exc.value.description
    bot.call("createNewStickerSet", {"user_id": 7911, "name": name, "title": "T",
                                     "sticker_type": "custom_emoji", "stickers": [spec(0)]},
             files={"f0": ("f0.png", _png(100), "image/png")})
    small = _png(100)
    for i in range(1, 200):
        bot.call("addStickerToSet", {"user_id": 7911, "name": name, "sticker": spec(i)},
                 files={f"f{i}": ("f.png", small, "image/png")})
    with pytest.raises(BotAPIError) as exc:
        bot.call("addStickerToSet", {"user_id": 7911, "name": name, "sticker": spec(200)},
                 files={"f200": ("f.png", small, "image/png")})
    assert "TOO_MUCH" in exc.value.description
    assert len(api.sticker_set(name)["stickers"]) == 200
    api.allow_emoji_status(7911)
    with pytest.raises(BotAPIError) as exc:
        bot.call("setUserEmojiStatus", {"user_id": 7911,
                                        "emoji_status_custom_emoji_id": "12345"})
    assert "CUSTOM_EMOJI_INVALID" in exc.value.description
    first = api.sticker_set(name)["stickers"][0]["custom_emoji_id"]
    with pytest.raises(BotAPIError):
        bot.call("setUserEmojiStatus", {"user_id": 7911, "emoji_status_custom_emoji_id": first,
                                        "emoji_status_expiration_date": 1000})
    bot.call("setUserEmojiStatus", {"user_id": 7911, "emoji_status_custom_emoji_id": first})
    assert api.emoji_statuses[7911]["custom_emoji_id"] == first
    bot.call("setUserEmojiStatus", {"user_id": 7911})
    assert 7911 not in api.emoji_statuses
    bot.close()
