"""Inline mode (issue 8, part 2): `@bot <emoji or words>` lists the person's own stickers.

The search itself and the per-person list are checked on their own; then end to end, with the
real bot and one real worker, a real Redis and the local Bot API server: a selfie's sticker is
offered inline, a person sees only their own stickers, filtered by emoji and by word (in English
or their language), the empty query shows the most recent, a person with none gets a button that
opens the bot, and /forget empties the list.

Own user ids (84xx), own Redis db (8) and queue, so it runs beside the other e2e tests."""

from __future__ import annotations

import io
import json
import time

from botkit import BASIC_LIKENESS, fixture_bytes, service_fixtures

from moji.localapi import LocalBotAPI
from worker.config import Keys
from worker.jobs import INLINE_MAX, StickerRequest, record_sticker

QUEUE = "moji-inline-test"
ENV = {**BASIC_LIKENESS, "MOJI_RATE_LIMIT": "60/60", "MOJI_QUEUE": QUEUE,
       "MOJI_LOG_LEVEL": "INFO"}
KINDS = [("😉", ["smile", "wink", "raised"]), ("😁", ["grin", "open", "neutral"]),
         ("🙂", ["smile", "open", "neutral"])]

redis_server, api, svc = service_fixtures(env=ENV)


# --- the search and the list, without Telegram ---------------------------------------------------

def test_search_by_emoji_word_prefix_and_language():
    from bot.inline import search
    from worker import i18n

    stickers = [{"file_id": f"F{i}", "emoji": emoji, "keywords": words}
                for i, (emoji, words) in enumerate(KINDS * 3)]
    ids = lambda query, **kw: [s["file_id"] for s in search(stickers, query, **kw)]  # noqa: E731
    assert ids("") == [f"F{i}" for i in range(9)]  # newest first, as kept
    assert ids("", limit=4) == ["F0", "F1", "F2", "F3"]
    assert ids("😉") == ["F0", "F3", "F6"]
    assert ids("😁😉") == ["F0", "F1", "F3", "F4", "F6", "F7"]  # emoji run together
    assert ids("wink") == ids("WIN") == ["F0", "F3", "F6"]
    assert ids("smile raised") == ["F0", "F3", "F6"]  # every word must match
    assert ids("smile 😁") == [] and ids("cry") == []
    assert ids("☺️") == []  # a variation selector is not a match on its own
    with i18n.using("es"):
        assert ids("guiño") == ["F0", "F3", "F6"]
        assert ids("sonrisa") == [f"F{i}" for i in range(9)]  # smile and grin
        assert ids("risa") == ["F1", "F4", "F7"]
    with i18n.using("ru"):
        assert ids("подмиг") == ["F0", "F3", "F6"]
    twice = stickers + [dict(stickers[0])]
    assert [s["file_id"] for s in search(twice, "")].count("F0") == 1


def _private(user_id: int, n: int = 1, chat_type: str = "private") -> StickerRequest:
    chat = user_id if chat_type == "private" else -100_000 - user_id
    return StickerRequest(chat_id=chat, user_id=user_id, message_id=n, file_id=f"P{n}",
                          file_unique_id=f"UP{user_id}-{n}", style="classic",
                          chat_type=chat_type)


def test_the_list_is_newest_first_each_sticker_once_and_capped(redis_server):
    client = redis_server.client
    user = 8490
    for n in range(INLINE_MAX + 5):
        record_sticker(client, _private(user, n), f"FILE{n}", "😁", 60, keywords=["grin"])
    kept = [json.loads(x) for x in client.lrange(Keys.inline(user), 0, -1)]
    assert len(kept) == INLINE_MAX
    assert kept[0] == {"file_id": f"FILE{INLINE_MAX + 4}", "emoji": "😁", "keywords": ["grin"]}
    # the same sticker sent again from the cache moves to the front, once
    record_sticker(client, _private(user, 999), "FILE100", "😁", 60, cached=True,
                   keywords=["grin"])
    kept = [json.loads(x)["file_id"] for x in client.lrange(Keys.inline(user), 0, -1)]
    assert kept[0] == "FILE100" and kept.count("FILE100") == 1 and len(kept) == INLINE_MAX
    # a group sticker is of whoever was in the photo: not offered as the person's own
    record_sticker(client, _private(user, 7, chat_type="supergroup"), "GROUP", "😁", 60)
    assert b"GROUP" not in b"".join(client.lrange(Keys.inline(user), 0, -1))
    assert 0 < client.ttl(Keys.inline(user)) <= 60


# --- end to end ----------------------------------------------------------------------------------


def _webp() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGBA", (512, 512), (250, 200, 60, 255)).save(out, "WEBP")
    return out.getvalue()


def seed(api: LocalBotAPI, client, user_id: int, kinds: list[tuple[str, list[str]]]) -> list[str]:
    """Stickers the bot sent a person (real sendSticker calls, so real file_ids), recorded as
    the worker records them; returns their file_ids, newest first."""
    from worker.botapi import BotAPI

    bot = BotAPI(api.token, api.base_url, api.base_file_url)
    webp, sent = _webp(), []
    try:
        for n, (emoji, words) in enumerate(kinds):
            message = bot.call("sendSticker", {"chat_id": user_id, "emoji": emoji},
                               files={"sticker": ("s.webp", webp, "image/webp")})
            file_id = message["sticker"]["file_id"]
            record_sticker(client, _private(user_id, n), file_id, emoji, 3600, keywords=words)
            sent.append(file_id)
    finally:
        bot.close()
    return sent[::-1]


def ask(api: LocalBotAPI, user: dict, text: str) -> dict:
    answer = api.inline_answer(api.inline_query(user, text))
    assert answer["is_personal"] is True
    assert answer["cache_time"] <= 10  # a new sticker must show up soon
    return answer


def file_ids(answer: dict) -> list[str]:
    return [r["sticker_file_id"] for r in answer["results"]]


def test_a_person_without_stickers_gets_a_button_that_opens_the_bot(svc, api):
    for user_id, code, text in [(8401, "en", "Make your first sticker"),
                                (8402, "es", "Crea tu primer sticker")]:
        nobody = api.user(user_id, "Nobody", language_code=code)
        for query in ("", "😁"):
            answer = ask(api, nobody, query)
            assert answer["results"] == []
            assert answer["button"] == {"text": text, "start_parameter": "inline"}
    # the button opens the bot with /start inline: it greets as /start does
    api.send_text(api.user(8401, "Nobody"), "/start inline")
    api.wait_for("sendMessage", 8401, where=lambda c: c.params["text"].startswith("Hi Nobody!"))


def test_a_selfie_sticker_is_offered_inline(svc, api, redis_server):
    ada = api.user(8403, "Ada")
    msg = api.send_photo(ada, fixture_bytes("grin.jpg"))

    def replies_to(call) -> bool:
        return json.loads(call.params.get("reply_parameters") or "{}").get(
            "message_id") == msg["message_id"]

    (sent,) = api.wait_for("sendSticker", 8403, where=replies_to, timeout=60)
    sticker = sent.result["sticker"]
    deadline = time.monotonic() + 10  # recorded just after sending
    while not redis_server.client.exists(Keys.inline(8403)) and time.monotonic() < deadline:
        time.sleep(0.05)
    (entry,) = [json.loads(x) for x in redis_server.client.lrange(Keys.inline(8403), 0, -1)]
    assert entry["file_id"] == sticker["file_id"] and entry["emoji"] == sent.params["emoji"]
    assert entry["keywords"]  # its expression tags
    answer = ask(api, ada, "")
    assert file_ids(answer) == [sticker["file_id"]]
    assert answer["results"][0]["type"] == "sticker" and answer["button"] is None
    assert file_ids(ask(api, ada, sent.params["emoji"])) == [sticker["file_id"]]
    assert file_ids(ask(api, ada, entry["keywords"][0])) == [sticker["file_id"]]
    assert file_ids(ask(api, ada, "nosuchword")) == []


def test_each_person_sees_only_their_own_stickers_filtered(svc, api, redis_server):
    client = redis_server.client
    ben, cy = api.user(8404, "Ben"), api.user(8405, "Cy", language_code="es")
    bens = seed(api, client, 8404, [KINDS[n % 3] for n in range(60)])  # newest first
    cys = seed(api, client, 8405, [KINDS[1]] * 4 + [KINDS[0]])

    everything = ask(api, ben, "")  # the most recent 50, newest first
    assert file_ids(everything) == bens[:50]
    ids = [r["id"] for r in everything["results"]]
    assert len(set(ids)) == 50 and all(1 <= len(i.encode()) <= 64 for i in ids)
    winks = [f for n, f in enumerate(reversed(bens)) if n % 3 == 0][::-1]
    assert file_ids(ask(api, ben, "😉")) == winks
    assert file_ids(ask(api, ben, "wink")) == winks
    assert file_ids(ask(api, ben, "Wi")) == winks  # a word as it is being typed
    grins = [f for n, f in enumerate(reversed(bens)) if n % 3 == 1][::-1]
    assert file_ids(ask(api, ben, "😁")) == grins
    assert file_ids(ask(api, ben, "😁 wink")) == []

    assert file_ids(ask(api, cy, "")) == cys  # only Cy's own
    assert file_ids(ask(api, cy, "guiño")) == cys[:1]  # in Cy's language
    assert file_ids(ask(api, cy, "😁")) == cys[1:]
    assert not set(file_ids(ask(api, cy, ""))) & set(bens)


def test_forget_empties_the_inline_list(svc, api, redis_server):
    dee = api.user(8406, "Dee")
    seed(api, redis_server.client, 8406, KINDS)
    assert len(ask(api, dee, "")["results"]) == 3
    api.send_text(dee, "/forget")
    (told,) = api.wait_for("sendMessage", 8406, where=lambda c: "deleted" in c.params["text"])
    assert "your list of stickers for inline mode" in told.params["text"]
    assert not redis_server.client.exists(Keys.inline(8406))
    answer = ask(api, dee, "")
    assert answer["results"] == [] and answer["button"]["start_parameter"] == "inline"
