"""A person's face as custom emoji: the set /pack makes beside their sticker pack.

The pack's 24 expressions, drawn at 100x100 for text (pipeline.emoji), in a set of
`sticker_type` custom_emoji named `moji_e<id>_by_<bot>`, each with its emoji and keywords. It
is kept in step with the sticker pack: made with it, redrawn in place (replaceStickerInSet)
whenever the pack is (after /style or a look change), left alone when its stamp says it shows
the current look already. One of its emoji becomes the person's emoji status from the Mini App
(web.app's POST /api/emoji-status: Bot API 8.0's setUserEmojiStatus).

The record at `Keys.sticker_set(user) + ":emoji"`:

    {"name": "moji_e42_by_moji_bot", "stamp": "<the pack's stamp>",
     "generated": {"😀": "<file_id>", ...}, "ids": {"😀": "<custom_emoji_id>", ...}}
"""

from __future__ import annotations

import json
import logging
from typing import Any

from .config import Keys
from .i18n import N_, _

log = logging.getLogger(__name__)

EMOJI_READY = N_("And your face as custom emoji: {n} of them, to use in your messages (with "
                 "Telegram Premium) and as your emoji status from /me. Add them here: {link}")


def record_key(user_id: int) -> str:
    return Keys.sticker_set(user_id) + ":emoji"


def set_name(user_id: int, bot_username: str) -> str:
    return f"moji_e{abs(user_id)}_by_{bot_username}"


def load_record(redis: Any, user_id: int) -> dict[str, Any] | None:
    raw = redis.get(record_key(user_id))
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def link(name: str) -> str:
    return f"https://t.me/addemoji/{name}"


def publish(rt: Any, user_id: int, chat_id: int, likeness: Any, face_part: str | None,
            style: str, stamp: str, title: str, bot_username: str) -> str:
    """Make or redraw the person's custom emoji set; what happened: "created", "replaced",
    "same". Raises BotAPIError when Telegram refuses (the caller decides what that means)."""
    from pipeline.emoji import render_emoji_pack

    from .botapi import BotAPIError

    record = load_record(rt.redis, user_id)
    if record and record.get("stamp") == stamp and record.get("ids"):
        return "same"
    name = (record or {}).get("name") or set_name(user_id, bot_username)
    rendered = render_emoji_pack(likeness, face_part, style)
    action = "replaced"
    stickers: list[dict[str, Any]] = []
    if record is None:
        specs, files = [], {}
        for i, (item, png) in enumerate(rendered):
            specs.append({"sticker": f"attach://e{i}", "format": "static",
                          "emoji_list": [item.emoji], "keywords": list(item.keywords)})
            files[f"e{i}"] = (f"e{i}.png", png, "image/png")
        try:
            rt.bot.call("createNewStickerSet", {
                "user_id": user_id, "name": name, "title": title[:64],
                "sticker_type": "custom_emoji", "stickers": specs}, files=files)
            action = "created"
        except BotAPIError as exc:
            if "occupied" not in exc.description.lower():
                raise
            record = {"name": name, "generated": {}}  # made before /forget: redraw it
    if action != "created":
        stickers = rt.bot.call("getStickerSet", {"name": name})["stickers"]
        by_emoji = {s.get("emoji"): s["file_id"] for s in stickers}
        old = {**by_emoji, **((record or {}).get("generated") or {})}
        present = {s["file_id"] for s in stickers}
        for i, (item, png) in enumerate(rendered):
            spec = {"sticker": f"attach://e{i}", "format": "static",
                    "emoji_list": [item.emoji], "keywords": list(item.keywords)}
            files = {f"e{i}": (f"e{i}.png", png, "image/png")}
            target = old.get(item.emoji) if old.get(item.emoji) in present else \
                by_emoji.get(item.emoji)
            if target:
                rt.bot.call("replaceStickerInSet", {"user_id": user_id, "name": name,
                                                    "old_sticker": target, "sticker": spec},
                            files=files)
            else:
                rt.bot.call("addStickerToSet", {"user_id": user_id, "name": name,
                                                "sticker": spec}, files=files)
    stickers = rt.bot.call("getStickerSet", {"name": name})["stickers"]
    wanted = {item.emoji for item, _png in rendered}
    generated = {s["emoji"]: s["file_id"] for s in stickers if s.get("emoji") in wanted}
    ids = {s["emoji"]: s["custom_emoji_id"] for s in stickers
           if s.get("emoji") in wanted and s.get("custom_emoji_id")}
    new = {"name": name, "stamp": stamp, "generated": generated, "ids": ids}
    rt.redis.set(record_key(user_id), json.dumps(new, ensure_ascii=False))
    if action == "created":
        rt.bot.send_message(chat_id, _(EMOJI_READY).format(n=len(ids), link=link(name)))
    return action


def keep_in_step(rt: Any, user_id: int, chat_id: int, likeness: Any, face_part: str | None,
                 style: str, stamp: str, title: str, bot_username: str) -> str:
    """publish(), never raising: the sticker pack was made and answered; a custom emoji set
    that Telegram refuses (or that fails) is logged and tried again by the next /pack."""
    try:
        return publish(rt, user_id, chat_id, likeness, face_part, style, stamp, title,
                       bot_username)
    except Exception as exc:  # noqa: BLE001  (see the docstring)
        log.warning("user %s: custom emoji set not made: %s", user_id, exc)
        return "error"
