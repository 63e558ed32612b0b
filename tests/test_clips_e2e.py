"""End to end: animated stickers from clips (issue 9) with the real bot, a real `moji worker`, a
real Redis and the local Bot API server, which reads every video sticker with ffmpeg and refuses
one that breaks Telegram's rules (WEBM, VP9, 512 px, at most 3 s, 30 fps, 256 KB, no audio).

A video note in a private chat gets one video sticker drawn with the person's kept look, and it
joins their pack with `format: video`; `/emoji` replying to a video in a group (or as a GIF's
caption) works, and the group's /pack adds the video sticker as one; a clip over 20 MB is
refused before anything is queued; a clip without a face, or one that cannot be read, gets a
clear message. The
clips are made here from fixture photos: 1-2 s, 192 px, 15 fps.

Own user ids (75xx), own Redis db (5) and queue, so it runs beside the other e2e tests."""

from __future__ import annotations

import json

import pytest
from botkit import (
    BASIC_LIKENESS,
    eventually,
    fixture_bytes,
    job_results,
    no_face_photo,
    photo_clip,
    service_fixtures,
    variant,
)

from pipeline.pack import PACK

pytest.importorskip("imageio_ffmpeg")

QUEUE = "moji-clip-test"
ENV = {**BASIC_LIKENESS, "MOJI_RATE_LIMIT": "60/60", "MOJI_QUEUE": QUEUE,
       "MOJI_LOG_LEVEL": "INFO"}
FIRST = 90.0  # the first job of a worker loads the models
BOT = "moji_test_bot"

redis_server, api, svc = service_fixtures(env=ENV)


def _reply_to(message: dict):
    def check(call) -> bool:
        return json.loads(call.params.get("reply_parameters") or "{}").get(
            "message_id") == message["message_id"]
    return check


def _sticker_for(api, chat_id: int, message: dict, timeout: float = FIRST):
    (call,) = api.wait_for("sendSticker", chat_id, where=_reply_to(message), timeout=timeout)
    return call



def _assert_video_sticker(api, call) -> None:
    """Sent as a WEBM upload, accepted by the server's video sticker checks; the bytes it
    keeps meet the rules (read again here, with the same inspection)."""
    from pipeline.videoinfo import inspect_video, video_sticker_error

    assert call.ok, call.error
    assert call.files["sticker"]["filename"] == "sticker.webm"
    assert call.files["sticker"]["content_type"] == "video/webm"
    sticker = call.result["sticker"]
    assert sticker["is_video"] and (sticker["width"], sticker["height"]) == (512, 512)
    info = inspect_video(api.file_bytes(sticker["file_id"]))
    assert video_sticker_error(info) is None, info
    assert info.duration <= 3.0 and info.fps <= 30 and not info.audio


def _job(redis_server, chat_id: int, message_id: int) -> dict:
    found = {}

    def finished() -> bool:
        for payload, result in job_results(redis_server.client, QUEUE):
            if payload["chat_id"] == chat_id and payload.get("message_id") == message_id:
                found.update(payload=payload, result=result)
                return True
        return False

    assert eventually(finished), f"no finished job for chat {chat_id} message {message_id}"
    return found


def test_video_note_gets_a_video_sticker_with_the_kept_look_and_joins_the_pack(
        svc, api, redis_server):
    ann = api.user(7501, "Ann")
    selfie = api.send_photo(ann, variant("neutral.jpg", 7501))
    _sticker_for(api, 7501, selfie)  # the first selfie sets Ann's look
    look = json.loads(redis_server.client.get("moji:identity:7501"))
    api.send_text(ann, "/pack")
    name = f"moji_u7501_by_{BOT}"
    api.wait_for("sendMessage", 7501, timeout=60,
                 where=lambda c: f"t.me/addstickers/{name}" in c.params.get("text", ""))
    assert len(api.sticker_set(name)["stickers"]) == len(PACK)

    note = api.send_clip(ann, photo_clip([fixture_bytes("neutral.jpg"),
                                          fixture_bytes("grin.jpg")], seconds=2.0))
    assert "video_note" in note and note["video_note"]["length"] == 192
    call = _sticker_for(api, 7501, note)
    _assert_video_sticker(api, call)
    assert call.params["emoji"]
    assert len([c for c in api.calls_to("sendSticker", 7501, ok=None)
                if _reply_to(note)(c)]) == 1  # one answer, accepted the first time

    job = _job(redis_server, 7501, note["message_id"])
    assert job["payload"]["media"] == "clip"
    result = job["result"]
    assert result["media"] == "clip" and 20 <= result["frames"] <= 30
    assert result["identity"]["used"] == look["version"]  # drawn with the kept look
    assert result["face"] == look["face"]
    assert "grin" in result["parts"]["mouth"]  # the expression follows the clip

    # it joins Ann's pack as a video sticker; the pack's drawings stay static
    (added,) = api.wait_for("addStickerToSet", where=lambda c: c.params["name"] == name)
    assert json.loads(added.params["sticker"])["format"] == "video"
    assert eventually(lambda: len(api.sticker_set(name)["stickers"]) == len(PACK) + 1)
    stickers = api.sticker_set(name)["stickers"]
    assert stickers[-1]["file_id"] == call.result["sticker"]["file_id"]
    assert stickers[-1]["is_video"] and not any(s["is_video"] for s in stickers[:-1])


def test_emoji_replying_to_a_video_in_a_group_and_the_groups_pack(svc, api, redis_server):
    bob = api.user(7502, "Bob")
    group = api.group(-1007502, "Climbers")
    video = api.send_clip(bob, photo_clip([fixture_bytes("smile.jpg")], seconds=1.0,
                                          square=False), kind="video", chat=group)
    svc.settle()  # a group video not addressed to the bot is left alone
    assert not api.calls_to("sendSticker", -1007502)
    api.send_text(bob, "/emoji", chat=group, reply_to=video)
    call = _sticker_for(api, -1007502, video)
    _assert_video_sticker(api, call)
    assert eventually(lambda: call.result["sticker"]["file_id"].encode() in (
        redis_server.client.get("moji:last:-1007502:7502") or b""))

    api.send_text(bob, "/pack", chat=group)
    name = f"moji_g1007502_by_{BOT}"
    (created,) = api.wait_for("createNewStickerSet", where=lambda c: c.params["name"] == name)
    assert [s["format"] for s in json.loads(created.params["stickers"])] == ["video"]
    (sticker,) = api.sticker_set(name)["stickers"]
    assert sticker["is_video"] and sticker["file_id"] == call.result["sticker"]["file_id"]

    # a GIF (Telegram's MP4 animation, with its `document`) captioned /emoji
    gif = api.send_clip(bob, photo_clip([variant("grin.jpg", 7502)], seconds=1.0),
                        kind="animation", chat=group, caption="/emoji")
    assert gif["document"]["file_id"] == gif["animation"]["file_id"]
    _assert_video_sticker(api, _sticker_for(api, -1007502, gif))


def test_clip_over_20_mb_is_refused_before_it_is_queued(svc, api, redis_server):
    cy = api.user(7503, "Cy")
    clip = photo_clip([fixture_bytes("neutral.jpg")], seconds=1.0)
    jobs = int(redis_server.client.hget("moji:stats:counters", "jobs") or 0)
    # a real clip with 20 MB of padding after it: Telegram's size is the file's
    big = api.send_clip(cy, clip + bytes(20 * 1024 * 1024), kind="video")
    assert big["video"]["file_size"] > 20 * 1024 * 1024
    (told,) = api.wait_for("sendMessage", 7503, where=_reply_to(big))
    assert told.params["text"] == ("That video is too big: bots can download files up to "
                                   "20 MB. Send a shorter one.")
    svc.settle([big])
    assert int(redis_server.client.hget("moji:stats:counters", "jobs") or 0) == jobs
    assert not api.calls_to("getFile") or all(
        c.params.get("file_id") != big["video"]["file_id"] for c in api.calls_to("getFile"))
    assert not api.calls_to("sendSticker", 7503) and not api.calls_to("sendChatAction", 7503)


def test_clip_without_a_face_or_unreadable_gets_a_clear_message(svc, api):
    dee = api.user(7504, "Dee", language_code="es")
    note = api.send_clip(dee, photo_clip([no_face_photo()], seconds=1.0))
    (told,) = api.wait_for("sendMessage", 7504, where=_reply_to(note), timeout=FIRST)
    assert told.params["text"] == ("No encontré ninguna cara en ese vídeo. Prueba con un clip "
                                   "en el que se vea toda tu cara, mirando a la cámara.")
    clip = photo_clip([fixture_bytes("smile.jpg")], seconds=1.0)
    broken = api.send_clip(dee, clip[:len(clip) // 3], kind="video")  # cut short in transfer
    (told,) = api.wait_for("sendMessage", 7504, where=_reply_to(broken), timeout=FIRST)
    assert told.params["text"] == ("No puedo leer ese vídeo. Envía una videonota, un vídeo o "
                                   "un GIF.")
    assert not api.calls_to("sendSticker", 7504)


def test_server_refuses_a_video_sticker_that_breaks_the_rules(api):
    """The local server's checks, met directly: an MP4 (H.264) sent as a sticker is refused
    as Telegram refuses it, and so is a WEBM longer than 3 s in a sticker set."""
    from worker.botapi import BotAPI, BotAPIError

    eve = api.user(7505, "Eve")
    mp4 = photo_clip([fixture_bytes("neutral.jpg")], seconds=1.0)
    bot = BotAPI(api.token, api.base_url, api.base_file_url)
    try:
        with pytest.raises(BotAPIError) as refused:
            bot.call("sendSticker", {"chat_id": eve["id"]},
                     files={"sticker": ("sticker.webm", b"\x1a\x45\xdf\xa3" + mp4, "video/webm")})
        assert refused.value.code == 400 and "STICKER_VIDEO_NOWEBM" in refused.value.description
        long_webm = _webm(seconds=3.5)
        with pytest.raises(BotAPIError) as refused:
            bot.call("createNewStickerSet",
                     {"user_id": eve["id"], "name": f"moji_u7505_by_{BOT}", "title": "Eve",
                      "stickers": [{"sticker": "attach://s0", "format": "video",
                                    "emoji_list": ["🙂"]}]},
                     files={"s0": ("s0.webm", long_webm, "video/webm")})
        assert "STICKER_VIDEO_LONG" in refused.value.description
        assert api.sticker_set(f"moji_u7505_by_{BOT}") is None
    finally:
        bot.close()


def _webm(seconds: float) -> bytes:
    """A 512 px VP9 WEBM of a test pattern, `seconds` long."""
    import subprocess
    import tempfile
    from pathlib import Path

    from pipeline.videoinfo import ffmpeg_exe

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "long.webm"
        subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-f", "lavfi",
                        "-i", "testsrc=size=512x512:rate=15", "-t", str(seconds),
                        "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8",
                        "-pix_fmt", "yuv420p", str(out)], check=True)
        return out.read_bytes()
