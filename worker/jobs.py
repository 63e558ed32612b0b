"""RQ job functions. Each takes a small payload dict (ids and names: no image bytes, no token).

`make_sticker` downloads the photo with getFile, renders it with the process's one pipeline, and
sends the sticker as a reply. In a private chat the person's identity (worker.identity) is drawn
and only the expression comes from the photo; their first selfie sets that identity. Group photos
are measured on their own: the face may be anyone's. `identity_sticker` draws the identity with a
neutral expression, for /me, with its correction buttons. Problems a person can fix (no face,
not an image) are answered with a message and end the job normally; anything else raises, RQ
retries it, and when retries run out `on_failure` tells the person. This module imports nothing
heavy: the bot imports it too.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, fields
from typing import Any

from . import i18n
from .config import Keys
from .i18n import N_, _

log = logging.getLogger(__name__)

# What a person reads when a job ends without a sticker, keyed by MojiError code: English
# source texts, translated where they are sent (worker.i18n; the payload carries the language).
USER_MESSAGES = {
    "no_face": N_("I couldn't find a face in that photo. Try a clear, front-facing selfie with "
                  "your whole face in the picture."),
    "bad_image": N_("That file isn't an image I can read. Send a photo (JPEG, PNG or WEBP)."),
    "too_large": N_("That image is too large for me. Send a smaller photo."),
    "unknown_style": N_("That art style is no longer available. Pick another with /style."),
    "file_too_big": N_("That file is too big: bots can download files up to 20 MB. Send a "
                       "smaller photo."),
    "failed": N_("Sorry, something went wrong while making your sticker. Please send the photo "
                 "again in a moment."),
    "lost": N_("Sorry, the worker making your sticker stopped before it was done. Please send "
               "the photo again."),
    "no_identity": N_("I don't know your look yet: send me a selfie first."),
    "bad_likeness": N_("Your saved look could not be drawn. Tap \"Take my look from my next "
                       "photo\" in /me, or /forget and send a new selfie."),
}

INLINE_MAX = 200  # stickers kept per person for inline mode (an answer shows at most 50)

# The sticker's emoji, from the matched mouth (and eyes) tags.
_MOUTH_EMOJI = {"neutral": "😐", "smile": "🙂", "grin": "😁", "open": "😮", "frown": "🙁",
                "smirk": "😏", "tongue": "😛", "kiss": "😗"}


@dataclass
class StickerRequest:
    """One photo to turn into a sticker: where it is, who asked, and in which style."""

    chat_id: int
    user_id: int
    message_id: int  # the photo's message: the sticker replies to it
    file_id: str
    file_unique_id: str
    style: str
    chat_type: str = "private"
    received_at: float = 0.0  # when the bot received the update (epoch seconds), for latency
    language: str = i18n.DEFAULT  # the person's language (worker.i18n): what to answer in

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StickerRequest:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class IdentityRequest:
    """Draw a person's identity sticker (for /me) and send it with its correction buttons."""

    chat_id: int
    user_id: int
    style: str
    received_at: float = 0.0
    language: str = i18n.DEFAULT

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IdentityRequest:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def emoji_for(tags: dict[str, list[str]]) -> str:
    """An emoji for a sticker from its parts' tags, e.g. {"mouth": ["grin"], "eyes": ["open"]}."""
    mouth = (tags.get("mouth") or ["neutral"])[0]
    eyes = (tags.get("eyes") or ["open"])[0]
    if eyes == "wink":
        return "😉"
    if eyes == "closed" and mouth in ("neutral", "smile"):
        return "😌"
    return _MOUTH_EMOJI.get(mouth, "🙂")


def keywords_for(tags: dict[str, list[str]]) -> list[str]:
    """A sticker's words for inline search: its expression tags (mouth, eyes, brows), e.g.
    ["grin", "wink", "raised"]. Face shapes are left out: nobody looks for "oval"."""
    words: list[str] = []
    for kind in ("mouth", "eyes", "brows"):
        for tag in tags.get(kind) or []:
            if tag not in words:
                words.append(tag)
    return words


def inline_entry(file_id: str, emoji: str, keywords: list[str]) -> str:
    """One element of a person's inline list: the same sticker always gives the same string,
    so that LREM can drop its older copy."""
    return json.dumps({"file_id": file_id, "emoji": emoji, "keywords": list(keywords)},
                      sort_keys=True, ensure_ascii=False)


def record_sticker(redis: Any, req: StickerRequest, file_id: str, emoji: str,
                   cache_ttl: int, cached: bool = False, identity_tag: str | None = None,
                   keywords: list[str] | None = None) -> None:
    """Remember a sent sticker: the repeat cache, the user's last sticker (for /pack), their
    inline list (private stickers only: those are of them), stats.

    `identity_tag` (worker.identity.cache_tag) stamps a sticker drawn with a person's identity,
    so that the cache serves it only to them and only while that identity is current. Every key
    written is noted in the person's index, for /forget.
    """
    from .identity import remember_keys

    entry: dict[str, Any] = {"file_id": file_id, "emoji": emoji, "style": req.style}
    if identity_tag:
        entry["identity"] = identity_tag
    if keywords:
        entry["keywords"] = list(keywords)
    written = [Keys.last(req.chat_id, req.user_id)]
    with redis.pipeline(transaction=False) as pipe:
        if not cached:
            pipe.set(Keys.cache(req.file_unique_id, req.style), json.dumps(entry), ex=cache_ttl)
            written.append(Keys.cache(req.file_unique_id, req.style))
        pipe.set(Keys.last(req.chat_id, req.user_id), json.dumps(entry), ex=cache_ttl)
        if req.chat_type == "private":  # newest first, each sticker once, capped
            item, key = inline_entry(file_id, emoji, keywords or []), Keys.inline(req.user_id)
            pipe.lrem(key, 0, item)
            pipe.lpush(key, item)
            pipe.ltrim(key, 0, INLINE_MAX - 1)
            pipe.expire(key, cache_ttl)
        remember_keys(pipe, req.user_id, written, cache_ttl)
        pipe.hincrby(Keys.counters, "cached" if cached else "stickers", 1)
        if req.received_at:
            pipe.lpush(Keys.latency, round((time.time() - req.received_at) * 1000, 1))
            pipe.ltrim(Keys.latency, 0, 999)
        pipe.execute()


def make_sticker(payload: dict[str, Any]) -> dict[str, Any]:
    """Job: photo (by file_id) -> sticker sent as a reply. Returns a small summary."""
    from pipeline.errors import MojiError

    from . import identity, runtime
    from .botapi import BotAPIError
    from .stickers import to_webp

    req = StickerRequest.from_dict(payload)
    i18n.use(req.language)
    rt = runtime.current()
    done_key = Keys.done(req.chat_id, req.message_id, req.style)
    if rt.redis.exists(done_key):  # a retry of a job whose sticker was already sent
        return {"ok": True, "duplicate": True}
    t0 = time.perf_counter()
    stages: dict[str, float] = {}

    def lap(stage: str) -> None:
        nonlocal t0
        now = time.perf_counter()
        stages[stage] = round((now - t0) * 1000, 2)
        t0 = now

    try:
        info = rt.bot.call("getFile", {"file_id": req.file_id})
        lap("get_file")
        data = rt.bot.download(info["file_path"])
        lap("download")
        # a private selfie is the person's own face: draw their kept identity, if any
        kept = identity.load(rt.redis, req.user_id) if req.chat_type == "private" else None
        use = kept if kept is not None and not kept.retake else None
        if use is not None:
            sticker = rt.pipeline.render(data, style=req.style, likeness=use.to_likeness(),
                                         face_part=use.face)
        else:
            sticker = rt.pipeline.render(data, style=req.style)
        lap("render")
    except BotAPIError as exc:
        if exc.method == "getFile" and exc.code == 400 and "too big" in exc.description.lower():
            return _answer_error(rt, req, "file_too_big")
        raise
    except MojiError as exc:
        return _answer_error(rt, req, exc.code, exc.message)
    stamp, established = None, None
    if use is not None:
        stamp = identity.cache_tag(req.user_id, use.version)
    elif req.chat_type == "private":  # the first selfie (or a retake): it sets the identity
        face = sticker.matches.get("face")
        new = identity.establish(rt.redis, req.user_id, sticker.likeness,
                                 face.part_id if face else None,
                                 seen_version=kept.version if kept else 0)
        if new is not None:
            stamp, established = identity.cache_tag(req.user_id, new.version), new.version
        lap("identity")
    tags = {kind: list(m.tags) for kind, m in sticker.matches.items()}
    emoji = emoji_for(tags)
    webp = to_webp(sticker.png)
    lap("webp")
    try:
        message = rt.bot.call(
            "sendSticker",
            {"chat_id": req.chat_id, "emoji": emoji,
             "reply_parameters": {"message_id": req.message_id,
                                  "allow_sending_without_reply": True}},
            files={"sticker": ("sticker.webp", webp, "image/webp")},
        )
    except BotAPIError as exc:
        if exc.code == 403:  # the person blocked the bot, or it left the group: nobody to tell
            rt.redis.hincrby(Keys.counters, "undeliverable", 1)
            return {"ok": False, "error": "forbidden"}
        raise
    lap("send")
    file_id = message["sticker"]["file_id"]
    with rt.redis.pipeline(transaction=False) as pipe:
        pipe.set(done_key, 1, ex=24 * 3600)
        if req.chat_type == "private":
            identity.remember_keys(pipe, req.user_id, [done_key], rt.settings.cache_ttl)
        pipe.execute()
    record_sticker(rt.redis, req, file_id, emoji, rt.settings.cache_ttl, identity_tag=stamp,
                   keywords=keywords_for(tags))
    lap("record")
    face = sticker.matches.get("face")
    return {"ok": True, "file_id": file_id, "emoji": emoji, "parts": tags,
            "likeness": sticker.likeness.to_dict(), "face": face.part_id if face else None,
            "identity": {"used": use.version if use else None,
                         "established": established},
            "stages_ms": stages, "timings_ms": sticker.timings_ms}


def identity_sticker(payload: dict[str, Any]) -> dict[str, Any]:
    """Job: draw the person's identity (neutral expression, their style) and send it with the
    buttons that correct it (worker.identity.main_keyboard)."""
    from pipeline.errors import MojiError

    from . import identity, runtime
    from .stickers import to_webp

    req = IdentityRequest.from_dict(payload)
    i18n.use(req.language)
    rt = runtime.current()
    kept = identity.load(rt.redis, req.user_id)
    if kept is None:  # forgotten meanwhile
        rt.bot.send_message(req.chat_id, _(USER_MESSAGES["no_identity"]))
        return {"ok": False, "error": "no_identity"}
    try:
        sticker = rt.pipeline.render_identity(kept.to_likeness(), kept.face, style=req.style)
    except MojiError as exc:
        known = USER_MESSAGES.get(exc.code)
        rt.bot.send_message(req.chat_id, _(known) if known else exc.message)
        rt.redis.hincrby(Keys.counters, f"error_{exc.code}", 1)
        return {"ok": False, "error": exc.code}
    tags = {kind: list(m.tags) for kind, m in sticker.matches.items()}
    emoji = emoji_for(tags)
    message = _send_sticker(rt, req.chat_id, to_webp(sticker.png), emoji,
                            reply_markup=identity.main_keyboard(kept))
    if message is None:
        return {"ok": False, "error": "forbidden"}
    with rt.redis.pipeline(transaction=False) as pipe:
        pipe.hincrby(Keys.counters, "identity_stickers", 1)
        pipe.execute()
    return {"ok": True, "file_id": message["sticker"]["file_id"], "message_id":
            message["message_id"], "version": kept.version, "likeness": kept.likeness,
            "face": kept.face, "parts": tags}


def _send_sticker(rt: Any, chat_id: int, webp: bytes, emoji: str,
                  reply_markup: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """sendSticker as an upload; None when the person blocked the bot (nobody to tell)."""
    from .botapi import BotAPIError

    try:
        return rt.bot.call("sendSticker",
                           {"chat_id": chat_id, "emoji": emoji, "reply_markup": reply_markup},
                           files={"sticker": ("sticker.webp", webp, "image/webp")})
    except BotAPIError as exc:
        if exc.code == 403:
            rt.redis.hincrby(Keys.counters, "undeliverable", 1)
            return None
        raise


def _answer_error(rt: Any, req: StickerRequest, code: str, detail: str = "") -> dict[str, Any]:
    """Tell the person why there is no sticker, and cache the answer for a repeat of the photo."""
    known = USER_MESSAGES.get(code)
    text = _(known) if known else detail or _(USER_MESSAGES["failed"])
    from .identity import remember_keys

    rt.bot.send_message(req.chat_id, text, reply_to=req.message_id)
    with rt.redis.pipeline(transaction=False) as pipe:
        if code in ("no_face", "bad_image", "too_large", "file_too_big"):
            key = Keys.cache(req.file_unique_id, req.style)
            pipe.set(key, json.dumps({"error": code, "message": text}), ex=rt.settings.cache_ttl)
            remember_keys(pipe, req.user_id, [key], rt.settings.cache_ttl)
        pipe.hincrby(Keys.counters, f"error_{code}", 1)
        pipe.execute()
    return {"ok": False, "error": code}


def on_failure(job: Any, connection: Any, exc_type: type, exc_value: BaseException,
               traceback: Any) -> None:
    """RQ failure callback: a job ran out of retries (or its worker died): tell the person."""
    from rq.exceptions import AbandonedJobError

    from .botapi import BotAPI
    from .config import Settings

    lost = exc_type is AbandonedJobError or isinstance(exc_value, AbandonedJobError)
    connection.hincrby(Keys.counters, "lost" if lost else "failed", 1)
    try:  # a sticker request (reply to its photo) or an identity request (no photo)
        payload = job.args[0]
        chat_id, reply_to = int(payload["chat_id"]), payload.get("message_id")
        i18n.use(payload.get("language"))
    except (IndexError, KeyError, TypeError, ValueError):
        log.error("job %s failed and has no request to answer", job.id)
        return
    log.warning("job %s for chat %s %s: %s", job.id, chat_id,
                "was abandoned" if lost else "failed", exc_type.__name__)
    from . import runtime

    rt = runtime.current_or_none()
    bot = rt.bot if rt else BotAPI.from_settings(Settings.from_env())
    try:
        bot.send_message(chat_id, _(USER_MESSAGES["lost" if lost else "failed"]),
                         reply_to=reply_to)
    finally:
        if not rt:
            bot.close()


def render_previews(force: bool = False) -> list[str]:
    """Job: store a sample sticker per style in Redis for /style, where no preview.png exists."""
    from pipeline.style import list_styles, load_style

    from . import runtime
    from .stickers import style_preview_png

    rt = runtime.current()
    done = []
    for name in list_styles():
        style = load_style(name)
        if (style.path / "preview.png").exists() and not force:
            continue
        key = Keys.preview(name)
        if not force and rt.redis.hget(key, "fingerprint") == style.fingerprint.encode():
            continue
        rt.redis.hset(key, mapping={"png": style_preview_png(style),
                                    "fingerprint": style.fingerprint})
        done.append(name)
    return done
