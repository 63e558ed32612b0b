"""A person's identity: the likeness and face shape their first private selfie gave, kept in Redis.

Later private selfies draw this identity and take only the expression from the photo, so hair and
face shape stay the same from sticker to sticker. `/me` shows it with buttons to correct each
trait; `/forget` deletes it with everything else kept about the person.

Stored as JSON at `Keys.identity(user_id)`:

    {"likeness": Likeness.to_dict() plus hair "style" when known,
     "face": "face-oval",                            # a face part id (the same in every style)
     "colours": {"facial_hair": "#rrggbb", "lips": "#rrggbb"},  # measured, when known
     "retake": false,                                # true: the next selfie measures everything
     "version": 3}                                   # +1 on every change

`colours` keeps what Likeness.to_dict leaves out, so that a kept identity draws the beard and
lips in their measured colours. The version keys the repeat cache (a sticker drawn with an older
identity is never served again) and stamps the /me buttons (a stale card is recognised).

Plain synchronous functions on a redis-py connection: the worker calls them directly, the bot
through `asyncio.to_thread`. Nothing heavy is imported: pipeline.likeness is numpy only.
The /me keyboards are built here as plain Bot API JSON, because the worker sends the identity
sticker with its keyboard and must not import the bot.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from pipeline.likeness import (
    FACIAL_HAIR,
    GLASSES,
    HAIR_COLOURS,
    HAIR_LENGTHS,
    HEADWEAR,
    Likeness,
)

from .config import Keys
from .i18n import N_, _

log = logging.getLogger(__name__)

CALLBACK_PREFIX = "me:"
MONK_LEVELS = tuple(str(i) for i in range(1, 11))


@dataclass(frozen=True)
class Trait:
    """One correctable trait: its short code (for callback data), label and choices."""

    code: str
    label: str  # English: shown through label(), in the person's language
    choices: tuple[str, ...]


TRAITS: dict[str, Trait] = {t.code: t for t in (
    Trait("hl", N_("Hair"), HAIR_LENGTHS),
    Trait("hc", N_("Hair colour"), HAIR_COLOURS),
    Trait("fh", N_("Facial hair"), FACIAL_HAIR),
    Trait("gl", N_("Glasses"), GLASSES),
    Trait("hw", N_("Headwear"), HEADWEAR),
    Trait("sk", N_("Skin tone"), MONK_LEVELS),
)}

# Each choice as a person reads it (pipeline.likeness names them for code; skin tones are
# numbers). tests/test_i18n.py checks that every choice of every trait is here.
CHOICE_NAMES = {
    "none": N_("none"), "short": N_("short"), "medium": N_("medium"), "long": N_("long"),
    "tied": N_("tied"), "black": N_("black"), "dark_brown": N_("dark brown"),
    "brown": N_("brown"), "auburn": N_("auburn"), "red": N_("red"), "blonde": N_("blonde"),
    "grey": N_("grey"), "white": N_("white"), "stubble": N_("stubble"),
    "moustache": N_("moustache"), "goatee": N_("goatee"), "beard": N_("beard"),
    "glasses": N_("glasses"), "sunglasses": N_("sunglasses"), "cap": N_("cap"),
    "hat": N_("hat"), "beanie": N_("beanie"), "headscarf": N_("headscarf"),
    "turban": N_("turban"), "other": N_("other"),
}


def _hex(rgb: Any) -> str | None:
    if rgb is None:
        return None
    r, g, b = (int(v) for v in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


def _rgb(value: Any) -> tuple[int, int, int] | None:
    if not isinstance(value, str) or len(value) != 7 or not value.startswith("#"):
        return None
    try:
        return (int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16))
    except ValueError:
        return None


@dataclass
class Identity:
    """A person's kept look. `likeness` is the JSON form (see the module docstring)."""

    likeness: dict[str, Any]
    face: str | None
    retake: bool = False
    version: int = 1
    colours: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_likeness(cls, likeness: Likeness, face: str | None, version: int) -> Identity:
        data = likeness.to_dict()
        if likeness.hair_style:
            data["hair"]["style"] = likeness.hair_style
        colours = {name: value for name, value in (
            ("facial_hair", _hex(likeness.facial_hair_rgb)),
            ("lips", _hex(getattr(likeness, "lips_rgb", None)))) if value}
        return cls(likeness=data, face=face, version=version, colours=colours)

    def to_likeness(self) -> Likeness:
        """The Likeness to draw (MojiError "bad_likeness" when the stored names are unknown)."""
        likeness = Likeness.from_dict(self.likeness)
        extra = {name: rgb for name, rgb in (
            ("facial_hair_rgb", _rgb(self.colours.get("facial_hair"))),
            ("lips_rgb", _rgb(self.colours.get("lips")))) if rgb}
        return likeness.replace(**extra) if extra else likeness

    def to_json(self) -> str:
        return json.dumps({"likeness": self.likeness, "face": self.face, "retake": self.retake,
                           "version": self.version, "colours": self.colours})

    @classmethod
    def from_json(cls, raw: bytes | str | None) -> Identity | None:
        """None for a missing or unreadable record (an unreadable one is logged)."""
        if not raw:
            return None
        try:
            data = json.loads(raw)
            return cls(likeness=dict(data["likeness"]), face=data.get("face"),
                       retake=bool(data.get("retake")), version=int(data.get("version", 1)),
                       colours=dict(data.get("colours") or {}))
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("unreadable identity record: %s", exc)
            return None

    def value(self, code: str) -> str | None:
        """The current value of a trait, as its choice name (skin: "1".."10")."""
        hair = self.likeness.get("hair") or {}
        if code == "hl":
            return hair.get("length")
        if code == "hc":
            return hair.get("colour")
        if code == "fh":
            return self.likeness.get("facial_hair")
        if code == "gl":
            return self.likeness.get("glasses")
        if code == "hw":
            return self.likeness.get("headwear")
        if code == "sk":
            monk = (self.likeness.get("skin") or {}).get("monk")
            return None if monk is None else str(monk)
        raise KeyError(code)


def cache_tag(user_id: int, version: int) -> str:
    """What a private sticker's cache entry is stamped with: whose identity, which version."""
    return f"{user_id}:{version}"


def cache_entry_usable(entry: dict[str, Any], private: bool, user_id: int,
                       identity: Identity | None) -> bool:
    """May this repeat-cache entry answer this request?

    Error answers (no face, not an image) are properties of the photo: always. A group sticker
    is measured from the photo alone: only an unstamped entry. A private sticker is drawn with
    the person's identity: only an entry stamped with this person's current version, and never
    while no identity is kept or a retake is pending (that selfie must be measured).
    """
    if "file_id" not in entry:
        return True
    stamp = entry.get("identity")
    if not private:
        return stamp is None
    if identity is None or identity.retake:
        return False
    return stamp == cache_tag(user_id, identity.version)


# --- the store ----------------------------------------------------------------------------------

def load(redis: Any, user_id: int) -> Identity | None:
    return Identity.from_json(redis.get(Keys.identity(user_id)))


def _update(redis: Any, user_id: int, change: Any) -> Any:
    """Run `change(current) -> (result, new Identity | None)` atomically (WATCH/MULTI/EXEC)."""
    key = Keys.identity(user_id)
    result: list[Any] = []

    def attempt(pipe: Any) -> None:
        result.clear()
        current = Identity.from_json(pipe.get(key))
        outcome, new = change(current)
        result.append(outcome)
        pipe.multi()
        if new is not None:
            pipe.set(key, new.to_json())

    redis.transaction(attempt, key)
    return result[0]


def establish(redis: Any, user_id: int, likeness: Likeness, face: str | None,
              seen_version: int) -> Identity | None:
    """Keep a freshly measured likeness as the person's identity; None when not kept.

    Kept only when nothing changed since the job looked (`seen_version`: 0 for no identity):
    no identity then and none now, or the same retake-pending identity. So two first selfies
    at once keep one identity, and a selfie rendered while the person ran /forget or corrected
    a trait does not overwrite what they did.
    """
    def change(current: Identity | None) -> tuple[Identity | None, Identity | None]:
        if current is None and seen_version == 0:
            new = Identity.from_likeness(likeness, face, version=1)
        elif current is not None and current.retake and current.version == seen_version:
            new = Identity.from_likeness(likeness, face, version=current.version + 1)
        else:
            return None, None
        return new, new

    return _update(redis, user_id, change)


@dataclass
class Change:
    """What became of a /me button press."""

    status: str  # "ok" | "same" | "stale" | "missing" | "invalid" | "no_hair"
    identity: Identity | None = None
    trait: Trait | None = None
    value: str = ""


def _replaced(identity: Identity, code: str, value: str) -> Identity:
    """The identity with one trait set, through Likeness.replace (which keeps it consistent)."""
    likeness = identity.to_likeness()
    if code == "hl":
        # the style hint belonged to the old length; hair coming back after "none" is named
        # from the measured colour by Likeness.replace
        likeness = likeness.replace(hair_length=value, hair_style=None)
    elif code == "hc":
        likeness = likeness.replace(hair_colour=value)
    elif code == "fh":
        likeness = likeness.replace(facial_hair=value)
    elif code == "gl":
        likeness = likeness.replace(glasses=value)
    elif code == "hw":
        likeness = likeness.replace(headwear=value)
    elif code == "sk":
        likeness = likeness.replace(monk=int(value))
    # measured beard and lip colours ride along (to_likeness restored them)
    new = Identity.from_likeness(likeness, identity.face, identity.version + 1)
    new.retake = identity.retake
    return new


def set_trait(redis: Any, user_id: int, code: str, value: str, expected_version: int) -> Change:
    """Set one trait (from a /me button), if the card pressed shows the current identity."""
    trait = TRAITS.get(code)
    if trait is None or value not in trait.choices:
        return Change("invalid")

    def change(current: Identity | None) -> tuple[Change, Identity | None]:
        if current is None:
            return Change("missing", trait=trait, value=value), None
        if current.version != expected_version:
            return Change("stale", current, trait, value), None
        if current.value(code) == value:
            return Change("same", current, trait, value), None
        if code == "hc" and current.value("hl") == "none":
            return Change("no_hair", current, trait, value), None
        new = _replaced(current, code, value)
        return Change("ok", new, trait, value), new

    return _update(redis, user_id, change)


def request_retake(redis: Any, user_id: int, expected_version: int) -> Change:
    """The next private selfie measures everything again (the version moves on, so that a
    repeat of an earlier photo is not answered from the cache)."""
    def change(current: Identity | None) -> tuple[Change, Identity | None]:
        if current is None:
            return Change("missing"), None
        if current.version != expected_version:
            return Change("stale", current), None
        if current.retake:
            return Change("same", current), None
        new = Identity(likeness=current.likeness, face=current.face, retake=True,
                       version=current.version + 1, colours=current.colours)
        return Change("ok", new), new

    return _update(redis, user_id, change)


def remember_keys(pipe: Any, user_id: int, keys: list[str], ttl: int) -> None:
    """Note keys written for a person (cache entries, last stickers, jobs) for /forget."""
    if keys:
        pipe.sadd(Keys.user_index(user_id), *keys)
        pipe.expire(Keys.user_index(user_id), ttl)


def forget(redis: Any, user_id: int) -> dict[str, int]:
    """Delete everything kept about a person; returns how many of each kind were deleted.

    Kinds: identity, style, language, last_sticker, cached_sticker, inline, rate_limit, pack,
    job. A job still running is left to finish (it cannot be stopped from here); queued and
    finished ones go.
    The group packs a person created stay: the group needs their owner id to add stickers.
    """
    from rq.job import Job, JobStatus

    index_key = Keys.user_index(user_id)
    members = [m.decode() if isinstance(m, bytes) else m for m in redis.smembers(index_key)]
    job_ids = [m.removeprefix("job:") for m in members if m.startswith("job:")]
    kinds: dict[str, list[str]] = {
        "identity": [Keys.identity(user_id)],
        "style": [Keys.style(user_id)],
        "last_sticker": [Keys.last(user_id, user_id)],
        "inline": [Keys.inline(user_id)],
        "rate_limit": [Keys.rate(user_id), Keys.rate(user_id) + ":told"],
        # the record of their pack (worker.packs), its photo stickers, a pack being made
        "pack": [Keys.sticker_set(user_id), Keys.sticker_set(user_id) + ":files",
                 Keys.sticker_set(user_id) + ":pending", Keys.sticker_set(user_id) + ":emoji"],
        "cached_sticker": [],
        "other": [],
    }
    for key in members:
        if key.startswith("job:"):
            continue
        kind = ("cached_sticker" if key.startswith("moji:cache:")
                else "last_sticker" if key.startswith("moji:last:") else "other")
        if key not in kinds[kind]:
            kinds[kind].append(key)
    order = [(kind, key) for kind, keys in kinds.items() for key in keys]
    with redis.pipeline(transaction=False) as pipe:
        for _kind, key in order:  # (not `_`: that is gettext here)
            pipe.delete(key)
        pipe.delete(index_key)
        pipe.hdel(Keys.languages, str(user_id))
        counts = pipe.execute()
    deleted: dict[str, int] = {"language": int(counts[-1])}
    for (kind, _key), n in zip(order, counts, strict=False):
        deleted[kind] = deleted.get(kind, 0) + int(n)
    for kind in ("pack", "rate_limit"):  # several keys, one record
        deleted[kind] = min(deleted[kind], 1)
    jobs = 0
    for job in Job.fetch_many(job_ids, connection=redis) if job_ids else []:
        if job is None:
            continue
        try:
            if job.get_status(refresh=False) == JobStatus.STARTED:
                continue
            job.delete()
            jobs += 1
        except Exception as exc:  # a job that vanished meanwhile is gone anyway
            log.debug("job %s not deleted: %s", job.id, exc)
    deleted["job"] = jobs
    deleted.pop("other", None)
    return {kind: n for kind, n in deleted.items() if n}


# --- /me keyboards (plain Bot API JSON) ---------------------------------------------------------

def callback_data(version: int, action: str, *args: str) -> str:
    """`me:<version>:<action>[:<trait>[:<value>]]`; at most about 30 bytes (the limit is 64)."""
    return ":".join((CALLBACK_PREFIX.rstrip(":"), str(version), action, *args))


@dataclass
class Press:
    """A parsed /me button: t (show a trait's choices), s (set), b (back), r (take again)."""

    version: int
    action: str
    trait: Trait | None = None
    value: str = ""


def parse_callback(data: str | None) -> Press | None:
    """The button pressed, or None for anything malformed (unknown trait, value, action)."""
    if not data or not data.startswith(CALLBACK_PREFIX) or len(data.encode()) > 64:
        return None
    parts = data.split(":")[1:]
    if len(parts) < 2 or not parts[0].isdigit():
        return None
    version, action, args = int(parts[0]), parts[1], parts[2:]
    if action in ("b", "r") and not args:
        return Press(version, action)
    trait = TRAITS.get(args[0]) if args else None
    if trait is None:
        return None
    if action == "t" and len(args) == 1:
        return Press(version, action, trait)
    if action == "s" and len(args) == 2 and args[1] in trait.choices:
        return Press(version, action, trait, args[1])
    return None


def shown(value: str | None) -> str:
    """A choice as a person reads it, in their language: "dark_brown" -> "dark brown",
    None -> "-"."""
    if value is None:
        return "-"
    name = CHOICE_NAMES.get(value)
    return _(name) if name else value.replace("_", " ")


def label(trait: Trait) -> str:
    """A trait's name in the person's language."""
    return _(trait.label)


def main_keyboard(identity: Identity) -> dict[str, Any]:
    """One button per trait with its value, two per row, then "take again"."""
    buttons = [{"text": f"{label(trait)}: {shown(identity.value(code))}",
                "callback_data": callback_data(identity.version, "t", code)}
               for code, trait in TRAITS.items()]
    rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    retake = ("✓ " + _("Your next selfie sets your look") if identity.retake
              else _("Take my look from my next photo"))
    rows.append([{"text": retake, "callback_data": callback_data(identity.version, "r")}])
    return {"inline_keyboard": rows}


def trait_keyboard(identity: Identity, code: str) -> dict[str, Any]:
    """A trait's choices, the current one ticked, and Back."""
    trait = TRAITS[code]
    current = identity.value(code)
    per_row = 5 if code == "sk" else 3
    buttons = [{"text": ("✓ " if choice == current else "") + shown(choice),
                "callback_data": callback_data(identity.version, "s", code, choice)}
               for choice in trait.choices]
    rows = [buttons[i:i + per_row] for i in range(0, len(buttons), per_row)]
    rows.append([{"text": "« " + _("Back"), "callback_data": callback_data(identity.version, "b")}])
    return {"inline_keyboard": rows}
