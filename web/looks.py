"""The one place the web service reads and writes what the bot keeps about a person.

The kept look is worker.identity's record at `Keys.identity(user)` (the bot's /me and the
worker's stickers read the same key, so the next sticker uses what the Mini App saved); the
style is `Keys.style(user)`; "Redraw my pack" queues worker.packs' job the way the bot's
/pack does (bot.store.Store.submit_pack). Everything here is synchronous redis-py: the server
calls it through `asyncio.to_thread`.

An adapter on purpose: when the identity record learns a vote over the first selfies and
traits the person locked, only this module changes.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from typing import Any

from pipeline.errors import MojiError
from pipeline.likeness import Likeness
from worker import identity
from worker.config import Keys

DEFAULT_STYLE = "classic"


@dataclass
class Look:
    """A person's look as the API shows it."""

    likeness: dict[str, Any]  # Likeness.to_dict()'s vocabulary, exactly
    face_part: str | None  # the kept face shape (a face part id, the same in every style)
    style: str
    version: int  # 0: nothing kept yet (the default look is shown)
    guesses: dict[str, list[str]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"likeness": self.likeness, "face_part": self.face_part, "style": self.style,
                "version": self.version, "guesses": self.guesses, "saved": self.version > 0}

    def to_likeness(self) -> Likeness:
        return Likeness.from_dict(self.likeness)


def _decode(raw: Any) -> str | None:
    return raw.decode() if isinstance(raw, bytes) else raw


def _guesses(redis: Any, user_id: int, kept: identity.Identity | None) -> dict[str, list[str]]:
    """Ranked guesses per trait, when the record keeps them (the likeness stage ranks them;
    an identity record that keeps them is read here), best first."""
    raw = redis.get(Keys.identity(user_id))
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        data = {}
    found = data.get("guesses") or (data.get("likeness") or {}).get("guesses") or {}
    return {str(k): [str(v) for v in values] for k, values in found.items()
            if isinstance(values, list)} if isinstance(found, dict) else {}


def style_of(redis: Any, user_id: int) -> str:
    return _decode(redis.get(Keys.style(user_id))) or DEFAULT_STYLE


def load(redis: Any, user_id: int) -> Look:
    """The person's kept look, or the default look (version 0) when none is kept."""
    kept = identity.load(redis, user_id)
    style = style_of(redis, user_id)
    if kept is None:
        return Look(Likeness().to_dict(), None, style, 0)
    try:
        likeness = kept.to_likeness().to_dict()
    except MojiError:  # names a newer or older version does not know: show the default
        likeness = Likeness().to_dict()
    return Look(likeness, kept.face, style, kept.version, _guesses(redis, user_id, kept))


# A trait named anew without its measured colour is drawn in the new name's swatch, not in
# the old measurement: (where the name is, where the colour is) in to_dict's shape.
_NAMED_COLOURS = ((("hair", "colour"), ("hair", "rgb")),
                  (("skin", "monk"), ("skin", "rgb")),
                  (("eyes", "colour"), ("eyes", "rgb")),
                  (("headwear",), ("headwear_rgb",)),
                  (("hair", "length"), ("hair_detail", "style")))


def _get(data: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return _MISSING
        data = data[key]
    return data


_MISSING = object()


def merged(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`changes` (any subset of to_dict's keys) laid over `base` (a whole to_dict).

    Nested objects merge key by key. A name that changes without its colour drops the old
    colour (a new hair colour is drawn in that colour's swatch, a new Monk tone in its
    swatch), and a new hair length without a hair style drops the old style (it belonged to
    the old length), as the bot's /me buttons do.
    """
    if not isinstance(changes, dict):
        raise MojiError("bad_likeness", "\"likeness\" must be a JSON object.")
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in base.items()}
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key != "face":
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    for name_path, colour_path in _NAMED_COLOURS:
        new_name = _get(changes, name_path)
        if new_name is _MISSING or new_name == _get(base, name_path):
            continue
        if _get(changes, colour_path) is not _MISSING:
            continue
        holder = out
        for key in colour_path[:-1]:
            holder = holder.get(key) if isinstance(holder.get(key), dict) else {}
        if colour_path[-1] in holder:
            holder[colour_path[-1]] = None
    return out


def preview_likeness(look: Look, changes: dict[str, Any] | None) -> Likeness:
    """The look with unsaved changes (MojiError "bad_likeness" for unknown names)."""
    return Likeness.from_dict(merged(look.likeness, changes or {}))


# Fields that are bookkeeping, not something a person sets
_NOT_LOCKED = {"guesses", "lips_rgb"}


def _changed_fields(old: Likeness, new: Likeness) -> dict[str, Any]:
    """Likeness fields whose value differs, as JSON-friendly values (tuples as lists)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(Likeness):
        if f.name in _NOT_LOCKED:
            continue
        value = getattr(new, f.name)
        if value != getattr(old, f.name):
            out[f.name] = list(value) if isinstance(value, tuple) else value
    return out


def save(redis: Any, user_id: int, changes: dict[str, Any] | None, style: str | None = None,
         face_part: str | None = None) -> Look:
    """Merge `changes` into the kept look (the default look when none is kept) and keep it
    where the bot keeps it; the version moves on when anything changed, so the bot's repeat
    cache and the pack's stamp see the new look. `style`: the person's style (checked by the
    caller)."""
    if changes is not None and not isinstance(changes, dict):
        raise MojiError("bad_likeness", "\"likeness\" must be a JSON object.")

    def change(current: identity.Identity | None) -> tuple[Any, identity.Identity | None]:
        base_likeness = Likeness()
        if current is not None:
            try:
                base_likeness = current.to_likeness()
            except MojiError:
                base_likeness = Likeness()
        new_likeness = Likeness.from_dict(merged(base_likeness.to_dict(), changes or {}))
        # What the person set is locked, as /me locks it: the vote over their first selfies
        # never undoes it (worker.look_vote.with_locks lays it over every later vote)
        locks = _changed_fields(base_likeness, new_likeness)
        if current is None:
            new = identity.Identity.from_likeness(new_likeness, face_part, 1)
            new.locked = locks
            return None, new
        new_face = face_part if face_part is not None else current.face
        if not locks and new_face == current.face:
            return None, None  # nothing changed: the version stays
        updated = dataclasses.replace(current, locked={**current.locked, **locks},
                                      face=new_face)
        return None, updated.revoted(current.version + 1)

    # worker.identity's WATCH/MULTI/EXEC: a selfie being measured at the same time cannot
    # overwrite what the person just set, nor this what it set
    identity._update(redis, user_id, change)
    if style is not None:
        redis.set(Keys.style(user_id), style)
    return load(redis, user_id)


def set_style(redis: Any, user_id: int, style: str) -> None:
    redis.set(Keys.style(user_id), style)


def queue_pack(settings: Any, redis: Any, user_id: int, language: str, first_name: str) -> str:
    """Queue the person's pack as the bot's /pack does; the submission's outcome: "queued",
    "running" (one is being made), "limited", "busy", "same" (up to date) or "no_look"."""
    from bot.store import Store
    from pipeline.style import load_style
    from worker import packs
    from worker.i18n import _, using

    look = load(redis, user_id)
    if look.version == 0:
        return "no_look"
    store = Store(settings, connection=redis)
    record = store.sticker_set(user_id)
    try:
        chosen = load_style(look.style)
    except MojiError:
        chosen = None
    if chosen is not None and packs.up_to_date(record, packs.pack_stamp(chosen, look.version)):
        return "same"
    req = packs.PackRequest(chat_id=user_id, user_id=user_id, style=look.style,
                            received_at=time.time(), language=language)
    with using(language):
        title = _("{name}'s Moji").format(name=first_name or "Moji")[:64]
    return store.submit_pack(req, title).outcome


def custom_emoji_id(redis: Any, user_id: int, emoji: str) -> str | None:
    """The custom_emoji_id of one of the person's custom emoji (worker.emoji_set's record),
    or None when /pack has not made their set yet (or not that emoji)."""
    from worker.emoji_set import load_record

    record = load_record(redis, user_id) or {}
    return (record.get("ids") or {}).get(emoji)
