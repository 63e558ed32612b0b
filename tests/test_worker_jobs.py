"""Job payloads, sticker files and style previews, without Telegram."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from PIL import Image

from moji.localapi import LocalBotAPI
from pipeline.style import list_styles, load_style
from worker.jobs import StickerRequest, emoji_for
from worker.stickers import style_preview_png, to_webp


def test_payload_is_small_plain_data_without_the_token():
    req = StickerRequest(chat_id=-1001, user_id=7, message_id=3, file_id="AgAC", style="classic",
                         file_unique_id="AQAD", chat_type="supergroup", received_at=1.5)
    payload = req.to_dict()
    assert StickerRequest.from_dict(json.loads(json.dumps(payload))) == req
    assert set(payload) == {"chat_id", "user_id", "message_id", "file_id", "file_unique_id",
                            "style", "chat_type", "received_at", "language", "media",
                            "all_faces"}
    assert all(isinstance(v, (int, float, str)) for v in payload.values())


def test_a_sticker_of_everyone_is_its_own_answer_and_nobodys_own():
    """/emoji all: its cache, delivery and done keys differ from the one-face sticker's of the
    same photo, and even in a private chat it is not the person's own (no identity, no pack)."""
    one = StickerRequest(chat_id=7, user_id=7, message_id=3, file_id="AgAC", style="avatar",
                         file_unique_id="AQAD", chat_type="private")
    everyone = StickerRequest.from_dict({**one.to_dict(), "all_faces": True})
    assert one.personal and not everyone.personal
    assert (one.answer_style, everyone.answer_style) == ("avatar", "avatar+all")
    older = {k: v for k, v in one.to_dict().items() if k != "all_faces"}  # queued by an older bot
    assert StickerRequest.from_dict(older) == one


def test_emoji_follows_the_expression():
    assert emoji_for({"mouth": ["grin"], "eyes": ["open"]}) == "😁"
    assert emoji_for({"mouth": ["frown"], "eyes": ["open"]}) == "🙁"
    assert emoji_for({"mouth": ["smile"], "eyes": ["closed"]}) == "😌"
    assert emoji_for({"mouth": ["open"], "eyes": ["wink"]}) == "😉"


def test_previews_and_webp_stickers_pass_the_bot_api_rules():
    names = list_styles()
    assert names
    for name in names:
        png = style_preview_png(load_style(name))
        webp = to_webp(png)
        image = Image.open(io.BytesIO(webp))
        assert image.format == "WEBP" and image.mode == "RGBA"
        assert max(image.size) == 512 and len(webp) <= 512 * 1024
        assert LocalBotAPI._check_sticker_image(webp, ("WEBP",)) == image.size


def test_bot_starts_without_torch_or_mediapipe():
    code = ("import sys, bot.app, bot.handlers, worker.jobs; "
            "heavy = [m for m in ('torch', 'mediapipe', 'cv2') if m in sys.modules]; "
            "print(heavy); sys.exit(1 if heavy else 0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr


# --- the identity store (worker.identity), on a real Redis -------------------------------------

@pytest.fixture(scope="module")
def redis_db():
    from botkit import RedisServer

    server = RedisServer()
    server.flush()
    yield server.client
    server.close()


def _likeness(**changes):
    from pipeline.likeness import Likeness

    return Likeness(hair_length="long", hair_colour="blonde", hair_rgb=(220, 190, 120),
                    hair_style="long_wavy", facial_hair="none", glasses="none",
                    skin_rgb=(234, 218, 186), monk=4, lips_rgb=(180, 60, 70)).replace(**changes)


def test_identity_round_trips_with_style_hint_and_measured_colours():
    from worker.identity import Identity

    kept = Identity.from_likeness(_likeness(facial_hair="beard", facial_hair_rgb=(90, 60, 40)),
                                  "face-oval", version=1)
    data = json.loads(kept.to_json())
    assert set(data) == {"likeness", "face", "retake", "version", "colours"}
    assert data["likeness"]["hair"] == {"length": "long", "colour": "blonde",
                                        "rgb": "#dcbe78", "style": "long_wavy"}
    assert data["face"] == "face-oval" and data["retake"] is False and data["version"] == 1
    back = Identity.from_json(kept.to_json()).to_likeness()
    assert back.hair_style == "long_wavy" and back.hair_rgb == (220, 190, 120)
    assert back.facial_hair_rgb == (90, 60, 40) and back.lips_rgb == (180, 60, 70)
    assert back.monk == 4 and back.skin_rgb == (234, 218, 186)
    assert Identity.from_json(b"{not json") is None and Identity.from_json(None) is None


def test_first_selfie_establishes_once_and_a_retake_replaces_it(redis_db):
    from worker import identity

    user = 4_100_001
    first = identity.establish(redis_db, user, _likeness(), "face-oval", seen_version=0)
    assert first.version == 1 and identity.load(redis_db, user) == first
    # a second first selfie rendered at the same time keeps the first one's identity
    assert identity.establish(redis_db, user, _likeness(hair_length="short"), "face-round",
                              seen_version=0) is None
    assert identity.load(redis_db, user).face == "face-oval"

    change = identity.request_retake(redis_db, user, expected_version=1)
    assert change.status == "ok" and change.identity.retake and change.identity.version == 2
    assert identity.request_retake(redis_db, user, expected_version=2).status == "same"
    assert identity.request_retake(redis_db, user, expected_version=1).status == "stale"
    again = identity.establish(redis_db, user, _likeness(hair_length="none"), "face-square",
                               seen_version=2)
    assert again.version == 3 and not again.retake and again.face == "face-square"
    assert again.value("hl") == "none" and again.value("hc") is None


def test_set_trait_keeps_the_identity_consistent_and_checks_the_card(redis_db):
    from worker import identity

    user = 4_100_002
    assert identity.set_trait(redis_db, user, "gl", "sunglasses", 1).status == "missing"
    identity.establish(redis_db, user, _likeness(), "face-heart", seen_version=0)
    change = identity.set_trait(redis_db, user, "gl", "sunglasses", expected_version=1)
    assert change.status == "ok" and change.identity.version == 2
    kept = identity.load(redis_db, user)
    assert kept.value("gl") == "sunglasses" and kept.face == "face-heart"
    assert kept.colours["lips"] == "#b43c46"  # measured colours survive a correction
    assert identity.set_trait(redis_db, user, "gl", "none", expected_version=1).status == "stale"
    assert identity.set_trait(redis_db, user, "gl", "sunglasses", 2).status == "same"
    assert identity.set_trait(redis_db, user, "gl", "monocle", 2).status == "invalid"
    assert identity.set_trait(redis_db, user, "zz", "none", 2).status == "invalid"

    assert identity.set_trait(redis_db, user, "sk", "9", 2).status == "ok"
    kept = identity.load(redis_db, user)
    assert kept.value("sk") == "9" and kept.likeness["skin"]["rgb"] != "#eadaba"
    assert identity.set_trait(redis_db, user, "hl", "none", 3).status == "ok"
    kept = identity.load(redis_db, user)
    assert kept.value("hc") is None and "style" not in kept.likeness["hair"]
    assert identity.set_trait(redis_db, user, "hc", "red", 4).status == "no_hair"
    assert identity.set_trait(redis_db, user, "hl", "short", 4).status == "ok"
    assert identity.load(redis_db, user).value("hc")  # named again from the measured colour
    assert identity.set_trait(redis_db, user, "hc", "grey", 5).status == "ok"
    assert identity.load(redis_db, user).likeness["hair"]["colour"] == "grey"


def test_cache_entries_serve_only_the_identity_they_were_drawn_with():
    from worker.identity import Identity, cache_entry_usable, cache_tag

    kept = Identity(likeness={}, face="face-oval", version=3)
    mine = {"file_id": "F", "identity": cache_tag(7, 3)}
    group = {"file_id": "G"}
    error = {"error": "no_face", "message": "..."}
    assert cache_entry_usable(mine, True, 7, kept)
    assert not cache_entry_usable(mine, True, 8, kept)  # another person, same photo
    assert not cache_entry_usable({"file_id": "F", "identity": cache_tag(7, 2)}, True, 7, kept)
    assert not cache_entry_usable(mine, False, 7, kept)  # a group photo is measured alone
    assert cache_entry_usable(group, False, 7, None)
    assert not cache_entry_usable(group, True, 7, None)  # a first selfie must set the identity
    assert not cache_entry_usable(mine, True, 7, Identity({}, "face-oval", True, 3))  # retake
    assert cache_entry_usable(error, True, 7, None) and cache_entry_usable(error, False, 7, kept)


def test_callback_data_is_short_and_strictly_parsed():
    from worker.identity import TRAITS, Identity, main_keyboard, parse_callback, trait_keyboard

    kept = Identity.from_likeness(_likeness(), "face-oval", version=123456)
    boards = [main_keyboard(kept)] + [trait_keyboard(kept, code) for code in TRAITS]
    datas = [b["callback_data"] for board in boards for row in board["inline_keyboard"]
             for b in row]
    assert all(len(d.encode()) <= 64 for d in datas)
    assert all(parse_callback(d) is not None for d in datas)
    texts = [b["text"] for row in main_keyboard(kept)["inline_keyboard"] for b in row]
    assert texts == ["Hair: long", "Hair colour: blonde", "Facial hair: none", "Glasses: none",
                     "Headwear: none", "Skin tone: 4", "Take my look from my next photo"]
    # a hair colour no selfie showed (cut at the brows) is marked as a guess; a chosen one is not
    unseen = Identity.from_likeness(_likeness().replace(hair_colour="dark_brown",
                                                        hair_colour_read=False), "face-oval", 1)
    assert "Hair colour: dark brown ?" in [b["text"] for row in main_keyboard(unseen)
                                           ["inline_keyboard"] for b in row]
    press = parse_callback("me:123456:s:gl:sunglasses")
    assert (press.version, press.action, press.trait.code, press.value) == (
        123456, "s", "gl", "sunglasses")
    for bad in ("me:x:t:gl", "me:1:s:gl:monocle", "me:1:t:zz", "me:1:q", "me:1:t",
                "me:1:s:gl", "style:classic", "", None, "me:1:b:extra:" + "x" * 60):
        assert parse_callback(bad) is None, bad


def test_forget_deletes_the_persons_keys_and_jobs(redis_db):
    from rq import Queue

    from worker import identity
    from worker.config import Keys

    user, other = 4_100_003, 4_100_004
    identity.establish(redis_db, user, _likeness(), "face-oval", seen_version=0)
    identity.establish(redis_db, other, _likeness(), "face-oval", seen_version=0)
    queue = Queue("moji-unit-forget", connection=redis_db)
    job = queue.enqueue("worker.jobs.make_sticker", {"chat_id": user, "user_id": user})
    with redis_db.pipeline() as pipe:
        pipe.set(Keys.style(user), "avatar")
        pipe.set(Keys.last(user, user), "{}")
        pipe.set(Keys.last(-100123, user), "{}")
        pipe.set(Keys.cache("UQ1", "classic"), "{}")
        pipe.zadd(Keys.rate(user), {"1.0:1:1": 1.0})
        pipe.set(Keys.sticker_set(user), "{}")
        identity.remember_keys(pipe, user, [Keys.last(-100123, user), Keys.cache("UQ1", "classic"),
                                            f"job:{job.id}"], 60)
        pipe.execute()
    deleted = identity.forget(redis_db, user)
    assert deleted == {"identity": 1, "style": 1, "last_sticker": 2, "rate_limit": 1,
                       "pack": 1, "cached_sticker": 1, "job": 1}
    left = [k for k in redis_db.scan_iter(count=1000) if str(user).encode() in k]
    assert left == []
    assert redis_db.exists(f"rq:job:{job.id}") == 0 and queue.count == 0
    assert identity.load(redis_db, other) is not None  # nobody else's
    assert identity.forget(redis_db, user) == {}
