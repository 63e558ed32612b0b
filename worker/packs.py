"""A person's own sticker pack on Telegram: 24 stickers of them in one createNewStickerSet call.

`build(payload)` is the job behind /pack in a private chat (and the "Make my pack" button under
a person's first sticker). It draws their kept identity in their style with every expression of
pipeline.pack.PACK, and then either

- creates the set (`moji_u<id>_by_<bot>`) with all of them in one createNewStickerSet call,
- or, when the set exists and was drawn in another style or look (or with other art), puts
  each new drawing in place of the old one with replaceStickerInSet (the photo stickers that
  joined the set meanwhile stay where they are),
- or, when nothing changed, only answers with the link.

Stickers made from the person's later selfies join the set as they come (`add_photo_sticker`,
called by worker.jobs.make_sticker), and so do the video stickers of their clips (`format:
video`: a set mixes formats). The record of the set is kept at `Keys.sticker_set(user)`
(the key the group packs use, with the user id for a chat id):

    {"name": "moji_u42_by_moji_bot", "owner": 42,
     "stamp": "classic:<style fingerprint>:<identity version>:<pack fingerprint>",
     "generated": {"😀": "<file_id of that sticker in the set>", ...},
     "full": false}                 # true once Telegram said the set holds 120 stickers

A record without "generated" is a set the former /pack made of photo stickers alone: the pack's
stickers are added to it. /forget deletes the record, not the set: the next /pack finds the set
by its name ("occupied") and takes its generated stickers back by their emoji.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from . import i18n
from .config import Keys
from .i18n import N_, _
from .jobs import Payload

log = logging.getLogger(__name__)

MAX_SET = 120  # stickers a set holds, whatever their formats
CALLBACK_MAKE = "pack:make"  # the "Make my pack" button under a person's first sticker
PENDING_TTL = 3 * 60  # the note that a pack is being made (its title): a job and its retries

PACK_MESSAGES = {
    "ready": N_("Your pack is ready: {n} stickers of you. Add it to Telegram here: {link}\n"
                "The stickers of your next selfies join it too."),
    "redrawn": N_("Your pack is redrawn: its {n} stickers now show your current look and "
                  "style, and your selfie stickers stay in it. {link}"),
    "same": N_("Your pack is up to date: {link}\nChange your /style or your look (/me), then "
               "/pack redraws it."),
    "full": N_("Your pack is full ({count} stickers), so new stickers are no longer added to "
               "it. Remove some with @Stickers to make room."),
    "failed": N_("Sorry, Telegram refused to make your pack ({error}). Please try /pack again "
                 "in a moment."),
}


@dataclass
class PackRequest(Payload):
    """Make (or redraw) a person's pack: who, where to answer, in which style and language."""

    chat_id: int
    user_id: int
    style: str
    received_at: float = 0.0
    language: str = i18n.DEFAULT


def pending_key(user_id: int) -> str:
    """A pack being made: {"title": ...}; set by the bot (SET NX: one pack job at a time)."""
    return Keys.sticker_set(user_id) + ":pending"


def set_name(user_id: int, bot_username: str) -> str:
    return f"moji_u{abs(user_id)}_by_{bot_username}"


def pack_button() -> dict[str, Any]:
    """The "Make my pack" keyboard (plain Bot API JSON: the worker sends it)."""
    return {"inline_keyboard": [[{"text": _("Make my pack"), "callback_data": CALLBACK_MAKE}]]}


def pack_fingerprint(pack: tuple) -> str:
    """Changes when the pack's expressions change (new art ids), so /pack redraws then too."""
    text = json.dumps([(p.emoji, p.expression, p.keywords) for p in pack], ensure_ascii=False)
    return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()


def pack_stamp(style: Any, identity_version: int) -> str:
    """What a pack's generated stickers show: the style (and its art), the person's look, the
    pack's expressions. /pack redraws them when it changes."""
    from pipeline.pack import PACK

    return f"{style.name}:{style.fingerprint}:{identity_version}:{pack_fingerprint(PACK)}"


def up_to_date(record: dict[str, Any] | None, stamp: str) -> bool:
    return bool(record and record.get("generated") and record.get("stamp") == stamp)


def load_record(redis: Any, user_id: int) -> dict[str, Any] | None:
    raw = redis.get(Keys.sticker_set(user_id))
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _input_sticker(sticker: str, emoji: str, keywords: list[str] | tuple[str, ...],
                   sticker_format: str = "static") -> dict[str, Any]:
    """An InputSticker; each carries its own format (static or video) since Bot API 7.2, so
    a set mixes the pack's drawings with the person's video stickers."""
    return {"sticker": sticker, "format": sticker_format, "emoji_list": [emoji],
            "keywords": list(keywords)}


def _bot_username(rt: Any) -> str:
    """The bot's username: the bot writes it to Redis at start-up; getMe otherwise."""
    raw = rt.redis.get(Keys.bot_username)
    if raw:
        return raw.decode() if isinstance(raw, bytes) else str(raw)
    return rt.bot.call("getMe")["username"]


def _set_stickers(rt: Any, name: str) -> list[dict[str, Any]]:
    return list(rt.bot.call("getStickerSet", {"name": name})["stickers"])


# --- the job ------------------------------------------------------------------------------------

def build(payload: dict[str, Any]) -> dict[str, Any]:
    """Job: render the pack and create or redraw the person's set; answers with its link."""
    from . import runtime

    req = PackRequest.from_dict(payload)
    i18n.use(req.language)
    rt = runtime.current()
    result = _build(rt, req)
    # answered: /pack may run again. (Raised: the note stays for the retry, which reads its
    # title, until it expires.)
    rt.redis.delete(pending_key(req.user_id))
    return result


def _build(rt: Any, req: PackRequest) -> dict[str, Any]:
    from pipeline.errors import MojiError
    from pipeline.pack import render_pack
    from pipeline.style import load_style

    from . import identity
    from .botapi import BotAPIError
    from .jobs import USER_MESSAGES
    from .stickers import to_webp

    t0 = time.perf_counter()
    stages: dict[str, float] = {}

    def lap(stage: str) -> None:
        nonlocal t0
        now = time.perf_counter()
        stages[stage] = round((now - t0) * 1000, 2)
        t0 = now

    kept = identity.load(rt.redis, req.user_id)
    if kept is None:  # /forget ran meanwhile, or there never was a selfie
        rt.bot.send_message(req.chat_id, _(USER_MESSAGES["no_identity"]))
        return {"ok": False, "error": "no_identity"}
    try:
        likeness = kept.to_likeness()
        style = load_style(req.style)
    except MojiError as exc:
        known = USER_MESSAGES.get(exc.code)
        rt.bot.send_message(req.chat_id, _(known) if known else exc.message)
        return {"ok": False, "error": exc.code}
    name = set_name(req.user_id, _bot_username(rt))
    record = load_record(rt.redis, req.user_id)
    if record and record.get("name"):
        name = record["name"]
    stamp = pack_stamp(style, kept.version)
    link = f"https://t.me/addstickers/{name}"
    if up_to_date(record, stamp):  # (the bot answers this itself; a job queued before a
        # second /pack finished finds it so)
        rt.bot.send_message(req.chat_id, _(PACK_MESSAGES["same"]).format(link=link))
        return {"ok": True, "action": "same", "name": name}
    lap("prepare")
    rendered = render_pack(rt.pipeline, likeness, kept.face, style.name)
    lap("render")
    webps = [(item, to_webp(png)) for item, png in rendered]
    lap("webp")
    try:
        action, generated = _publish(rt, req, name, record, webps)
    except BotAPIError as exc:
        if exc.code in (0, 429) or exc.code >= 500:
            raise  # passing trouble: RQ tries the job again
        log.warning("user %s: pack refused: %s", req.user_id, exc)
        rt.bot.send_message(req.chat_id,
                            _(PACK_MESSAGES["failed"]).format(error=exc.description))
        return {"ok": False, "error": "refused", "description": exc.description}
    lap("telegram")
    new = {"name": name, "owner": req.user_id, "stamp": stamp, "generated": generated,
           "full": bool(record and record.get("full"))}
    old = (record or {}).get("generated") or {}
    with rt.redis.pipeline(transaction=False) as pipe:
        pipe.set(Keys.sticker_set(req.user_id), json.dumps(new, ensure_ascii=False))
        _offer_inline(pipe, req.user_id, old, generated, rt.settings.cache_ttl)
        pipe.hincrby(Keys.counters, "packs", 1)
        pipe.execute()
    text = PACK_MESSAGES["ready" if action == "created" else "redrawn"]
    rt.bot.send_message(req.chat_id, _(text).format(n=len(webps), link=link))
    lap("answer")
    # the custom emoji set, in step with the pack (worker.emoji_set; never fails the pack)
    from .emoji_set import keep_in_step

    emoji_set = keep_in_step(rt, req.user_id, req.chat_id, likeness, kept.face, style.name,
                             stamp, _pending_title(rt, req.user_id), _bot_username(rt))
    lap("emoji")
    total = round((time.time() - req.received_at) * 1000, 1) if req.received_at else None
    return {"ok": True, "action": action, "name": name, "stickers": len(webps),
            "emoji_set": emoji_set, "stages_ms": stages, "total_ms": total}


def _publish(rt: Any, req: PackRequest, name: str, record: dict[str, Any] | None,
             webps: list[tuple[Any, bytes]]) -> tuple[str, dict[str, str]]:
    """Put the stickers on Telegram; ("created" | "replaced" | "added", {emoji: file_id})."""
    from .botapi import BotAPIError

    if record is None:
        title = _pending_title(rt, req.user_id)
        specs, files = [], {}
        for i, (item, webp) in enumerate(webps):
            specs.append(_input_sticker(f"attach://s{i}", item.emoji, item.keywords))
            files[f"s{i}"] = (f"s{i}.webp", webp, "image/webp")
        try:
            rt.bot.call("createNewStickerSet", {"user_id": req.user_id, "name": name,
                                                "title": title, "stickers": specs},
                        files=files)
        except BotAPIError as exc:
            if "occupied" not in exc.description.lower():
                raise
            # the set is on Telegram but the record is gone (/forget, or a job that died
            # after creating it): take its generated stickers back by their emoji
            stickers = _set_stickers(rt, name)
            found = _adopt(stickers, [item.emoji for item, _webp in webps])
            return _replace(rt, req, name, {"generated": found}, webps, stickers)
        stickers = _set_stickers(rt, name)
        return "created", {item.emoji: s["file_id"]
                           for (item, _webp), s in zip(webps, stickers, strict=False)}
    return _replace(rt, req, name, record, webps, _set_stickers(rt, name))


def _adopt(stickers: list[dict[str, Any]], emojis: list[str]) -> dict[str, str]:
    """The generated stickers of a set found on Telegram: the first run of stickers whose
    emoji are the pack's, in order (createNewStickerSet put them first)."""
    if [s.get("emoji") for s in stickers[:len(emojis)]] == emojis:
        return {e: s["file_id"] for e, s in zip(emojis, stickers, strict=False)}
    return {}


def _replace(rt: Any, req: PackRequest, name: str, record: dict[str, Any],
             webps: list[tuple[Any, bytes]], stickers: list[dict[str, Any]]
             ) -> tuple[str, dict[str, str]]:
    """Each new drawing in place of its emoji's old one (replaceStickerInSet keeps the
    position); an emoji whose sticker is gone from the set (removed with @Stickers, or a set
    the former /pack made) is added at the end, while there is room."""
    old = record.get("generated") or {}
    position = {s["file_id"]: i for i, s in enumerate(stickers)}
    # a retry after a try that stopped half way finds some old file_ids gone (replaced): the
    # pack's leading run of stickers, in the pack's order, says which sticker is whose
    run = _adopt(stickers, [item.emoji for item, _webp in webps])
    replaced_at: dict[str, int] = {}
    added: list[str] = []
    count = len(stickers)
    for i, (item, webp) in enumerate(webps):
        files = {f"s{i}": (f"s{i}.webp", webp, "image/webp")}
        spec = _input_sticker(f"attach://s{i}", item.emoji, item.keywords)
        target = old.get(item.emoji, "")
        if target not in position:
            target = run.get(item.emoji, "")
        at = position.get(target)
        if at is not None:
            rt.bot.call("replaceStickerInSet", {"user_id": req.user_id, "name": name,
                                                "old_sticker": target, "sticker": spec},
                        files=files)
            replaced_at[item.emoji] = at
        elif count < MAX_SET:
            rt.bot.call("addStickerToSet", {"user_id": req.user_id, "name": name,
                                            "sticker": spec}, files=files)
            added.append(item.emoji)
            count += 1
    now = _set_stickers(rt, name)
    generated = {emoji: now[at]["file_id"] for emoji, at in replaced_at.items() if at < len(now)}
    tail = now[len(now) - len(added):] if added else []
    generated.update({emoji: s["file_id"] for emoji, s in zip(added, tail, strict=False)})
    return ("replaced" if replaced_at else "added"), generated


def _offer_inline(pipe: Any, user_id: int, old: dict[str, str], new: dict[str, str],
                  ttl: int) -> None:
    """The pack's stickers in the person's inline list (worker.jobs.record_sticker's list,
    read by bot.inline), with the pack's keywords, in place of the ones they replace: after
    /pack, `@bot love` finds their 😍 at once. Selfie stickers made later come first."""
    from pipeline.pack import PACK

    from .jobs import INLINE_MAX, inline_entry

    words = {p.emoji: list(p.keywords) for p in PACK}
    key = Keys.inline(user_id)
    for emoji, file_id in old.items():
        pipe.lrem(key, 0, inline_entry(file_id, emoji, words.get(emoji, [])))
    for emoji, file_id in new.items():  # after the person's selfie stickers, 😀 first
        pipe.lrem(key, 0, inline_entry(file_id, emoji, words.get(emoji, [])))
        pipe.rpush(key, inline_entry(file_id, emoji, words.get(emoji, [])))
    pipe.ltrim(key, 0, INLINE_MAX - 1)
    pipe.expire(key, ttl)


def _pending_title(rt: Any, user_id: int) -> str:
    """The set's title the bot noted with the request (it knows the person's name)."""
    raw = rt.redis.get(pending_key(user_id))
    try:
        title = json.loads(raw).get("title") if raw else None
    except ValueError:
        title = None
    return (title or _("My Moji stickers"))[:64]


# --- selfie stickers join the pack ----------------------------------------------------------

def add_photo_sticker(rt: Any, user_id: int, chat_id: int, file_id: str, emoji: str,
                      keywords: list[str], sticker_format: str = "static") -> str | None:
    """Add a just-sent private sticker to the person's pack, if they have one made by /pack
    (a video sticker from a clip with `sticker_format` "video").

    Never raises: the sticker was sent, and a pack that cannot take it (full, deleted on
    Telegram, Telegram down) must not make the job retry and send it twice. Returns what
    happened ("added", "full", "missing", "error") or None (no pack).
    """
    from .botapi import BotAPIError

    try:
        record = load_record(rt.redis, user_id)
        if not record or "generated" not in record:
            return None  # no personal pack (or only the former /pack's photo set)
        if record.get("full"):
            return "full"
        if not rt.redis.sadd(Keys.sticker_set(user_id) + ":files", file_id):
            return "added"  # in it already (a repeat)
        try:
            rt.bot.call("addStickerToSet", {"user_id": user_id, "name": record["name"],
                                            "sticker": _input_sticker(file_id, emoji,
                                                                      keywords[:20],
                                                                      sticker_format)})
        except BotAPIError as exc:
            rt.redis.srem(Keys.sticker_set(user_id) + ":files", file_id)
            text = exc.description.lower()
            if "too_much" in text or "too much" in text:
                record["full"] = True
                rt.redis.set(Keys.sticker_set(user_id), json.dumps(record, ensure_ascii=False))
                rt.bot.send_message(chat_id, _(PACK_MESSAGES["full"]).format(count=MAX_SET))
                return "full"
            if "stickerset_invalid" in text:  # deleted on Telegram: /pack makes a new one
                rt.redis.delete(Keys.sticker_set(user_id))
                return "missing"
            log.warning("user %s: sticker not added to the pack: %s", user_id, exc)
            return "error"
        return "added"
    except Exception as exc:  # noqa: BLE001  (see the docstring)
        log.warning("user %s: sticker not added to the pack: %s", user_id, exc)
        return "error"
