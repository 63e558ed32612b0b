"""A person's identity: the look their first private selfies agree on, kept in Redis.

The first private selfie sets the look; each of the next two refines it (worker.look_vote.vote:
a vote per trait, the median colours and face proportions), unless the person set that trait
in `/me` or the Mini App (a locked trait: never overwritten by a vote). Later private selfies
draw this identity and take only the expression from the photo. A private photo whose look
clearly differs from the kept one (worker.look_vote.differences) is drawn with its own look and
offered with "This is me: update my look" (`use_offer`). `/me` shows the look with buttons to
correct each trait; `/forget` deletes it with everything else kept about the person.

Stored as JSON at `Keys.identity(user_id)`:

    {"likeness": Likeness.to_dict() plus hair "style" when known,   # the look drawn
     "face": "face-oval",                            # a face part id (the same in every style)
     "colours": {"facial_hair": "#rrggbb", "lips": "#rrggbb"},  # measured, when known
     "retake": false,                                # true: the next selfie measures everything
     "version": 3,                                   # +1 on every change of the look
     "locked": {"hair_length": "long"},              # the person's choices (Likeness fields)
     "samples": [Sample.to_dict(), ...],             # the first three selfies' measured looks
     "offers": [{"id": "9f3a...", "s": Sample.to_dict(), "why": ["facial_hair"]}],  # <= 3
     "guesses": {"hair_colour": ["brown", ...]}}     # ranked guesses over the samples, for /me

A record without "samples" (kept before the vote) counts as one photo's look.
`colours` keeps what Likeness.to_dict leaves out, so that a kept identity draws the beard and
lips in their measured colours. The version keys the repeat cache (a sticker drawn with an older
identity is never served again) and stamps the /me buttons (a stale card is recognised).

Plain synchronous functions on a redis-py connection: the worker calls them directly, the bot
through `asyncio.to_thread`. Nothing heavy is imported: pipeline.likeness is numpy only.
The /me keyboards are built here as plain Bot API JSON, because the worker sends the identity
sticker with its keyboard and must not import the bot.

For other front ends (the Mini App): `kept_look` reads the look to draw, `trait_choices` the
choices of each trait in the order to show them, `set_traits` sets traits as the person's own
locked choices, `release_traits` hands traits back to the vote.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from pipeline.likeness import (
    AGE_SIGNS,
    EARRINGS,
    EYE_COLOURS,
    FACIAL_HAIR,
    GLASSES,
    HAIR_COLOURS,
    HAIR_LENGTHS,
    HAIR_STYLES,
    HAIRLINES,
    HEADWEAR,
    Likeness,
)

from .config import Keys
from .i18n import N_, _
from .look_vote import VOTES, Sample, differences, ordered_choices, photo_key, vote, with_locks

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
# Each /me trait's Likeness field: what its lock and its guesses are named by
TRAIT_FIELDS = {"hl": "hair_length", "hc": "hair_colour", "fh": "facial_hair", "gl": "glasses",
                "hw": "headwear", "sk": "monk"}
# Every trait a person may set (here by Likeness field, as the Mini App names them), its choices
LOOK_CHOICES: dict[str, tuple[str, ...]] = {
    "hair_length": HAIR_LENGTHS, "hair_colour": HAIR_COLOURS, "hair_style": HAIR_STYLES,
    "hairline": HAIRLINES, "facial_hair": FACIAL_HAIR, "glasses": GLASSES, "headwear": HEADWEAR,
    "monk": MONK_LEVELS, "eye_colour": EYE_COLOURS, "age_signs": AGE_SIGNS, "earrings": EARRINGS}
MAX_OFFERS = 3  # differing photos whose "This is me" button still works

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
    "turban": N_("turban"), "other": N_("other"), "light_brown": N_("light brown"),
    "hijab": N_("hijab"), "keffiyeh": N_("keffiyeh"),
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
    locked: dict[str, Any] = field(default_factory=dict)  # Likeness field -> the person's choice
    samples: list[dict[str, Any]] = field(default_factory=list)  # Sample.to_dict() each
    offers: list[dict[str, Any]] = field(default_factory=list)  # {"id", "s", "why"}
    guesses: dict[str, list[str]] = field(default_factory=dict)  # Likeness field -> names

    @classmethod
    def from_likeness(cls, likeness: Likeness, face: str | None, version: int) -> Identity:
        data = likeness.to_dict()
        if likeness.hair_style:
            data["hair"]["style"] = likeness.hair_style
        colours = {name: value for name, value in (
            ("facial_hair", _hex(likeness.facial_hair_rgb)),
            ("lips", _hex(getattr(likeness, "lips_rgb", None)))) if value}
        guesses = {k: [str(n) for n in v] for k, v in (likeness.guesses or {}).items() if v}
        return cls(likeness=data, face=face, version=version, colours=colours, guesses=guesses)

    def to_likeness(self) -> Likeness:
        """The Likeness to draw (MojiError "bad_likeness" when the stored names are unknown)."""
        likeness = Likeness.from_dict(self.likeness)
        extra: dict[str, Any] = {name: rgb for name, rgb in (
            ("facial_hair_rgb", _rgb(self.colours.get("facial_hair"))),
            ("lips_rgb", _rgb(self.colours.get("lips")))) if rgb}
        if self.guesses:
            extra["guesses"] = {k: tuple(v) for k, v in self.guesses.items()}
        return likeness.replace(**extra) if extra else likeness

    def to_json(self) -> str:
        data: dict[str, Any] = {"likeness": self.likeness, "face": self.face,
                                "retake": self.retake, "version": self.version,
                                "colours": self.colours}
        for name in ("locked", "samples", "offers", "guesses"):  # small: only when there
            if getattr(self, name):
                data[name] = getattr(self, name)
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: bytes | str | None) -> Identity | None:
        """None for a missing or unreadable record (an unreadable one is logged)."""
        if not raw:
            return None
        try:
            data = json.loads(raw)
            return cls(likeness=dict(data["likeness"]), face=data.get("face"),
                       retake=bool(data.get("retake")), version=int(data.get("version", 1)),
                       colours=dict(data.get("colours") or {}),
                       locked=dict(data.get("locked") or {}),
                       samples=list(data.get("samples") or []),
                       offers=list(data.get("offers") or []),
                       guesses=dict(data.get("guesses") or {}))
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("unreadable identity record: %s", exc)
            return None

    def photos(self) -> list[Sample]:
        """The measured looks the vote is over; a record from before the vote: its look, as one
        photo's. Unreadable samples are left out."""
        if not self.samples:
            return [Sample(self.to_likeness(), self.face)]
        photos = []
        for data in self.samples:
            try:
                photos.append(Sample.from_dict(data))
            except Exception as exc:  # a name a newer or older version wrote: skip that photo
                log.warning("unreadable look sample: %s", exc)
        return photos or [Sample(self.to_likeness(), self.face)]

    def same_look(self, other: Identity) -> bool:
        """Is `other` drawn exactly as this one?"""
        return (self.likeness, self.face, self.colours) == (other.likeness, other.face,
                                                            other.colours)

    @property
    def settled(self) -> bool:
        """Have the first three selfies voted (later photos do not change the look)?"""
        return len(self.samples) >= VOTES

    def revoted(self, version: int) -> Identity:
        """This identity's look made again from its photos and the person's locked choices, at
        `version` (its samples, locks and offers carried over)."""
        photos = self.photos()
        if self.samples:
            likeness, face = vote(photos)
        else:  # before the vote: the stored look stands for the photo
            likeness, face = self.to_likeness(), self.face
        new = Identity.from_likeness(with_locks(likeness, self.locked), face or self.face,
                                     version)
        new.retake, new.locked = self.retake, dict(self.locked)
        new.samples, new.offers = list(self.samples), list(self.offers)
        return new

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


def _first(likeness: Likeness, face: str | None, version: int, photo: str = "",
           colour: bool = True) -> Identity:
    """A new identity from one photo's look: the first of its samples."""
    new = Identity.from_likeness(likeness, face, version)
    new.samples = [Sample(likeness, face, photo, colour).to_dict()]
    return new


def establish(redis: Any, user_id: int, likeness: Likeness, face: str | None,
              seen_version: int) -> Identity | None:
    """Keep a freshly measured likeness as the person's identity; None when not kept.

    Kept only when nothing changed since the job looked (`seen_version`: 0 for no identity):
    no identity then and none now, or the same retake-pending identity. So two first selfies
    at once keep one identity, and a selfie rendered while the person ran /forget or corrected
    a trait does not overwrite what they did. (The worker uses `observe`, which also refines.)
    """
    def change(current: Identity | None) -> tuple[Identity | None, Identity | None]:
        if current is None and seen_version == 0:
            new = _first(likeness, face, version=1)
        elif current is not None and current.retake and current.version == seen_version:
            new = _first(likeness, face, version=current.version + 1)
        else:
            return None, None
        return new, new

    return _update(redis, user_id, change)


@dataclass
class Observation:
    """What a private photo's measured look did to the person's identity, and what to draw.

    status: "established" (the first selfie, or the one after "take again": it is the look),
    "refined" (the second or third: it voted), "kept" (later ones, or a photo that voted
    already), "differs" (clearly someone else's look: drawn with its own, offered as `offer`).
    """

    status: str
    identity: Identity
    likeness: Likeness  # the look to draw this photo with
    face: str | None  # the face part to draw it with (None: the photo's own)
    offer: str = ""  # "differs": the id for "This is me" (callback_data(v, "u", offer))
    reasons: list[str] = field(default_factory=list)  # "differs": the Likeness fields

    @property
    def drawn_with_identity(self) -> bool:
        return self.status != "differs"


def observe(redis: Any, user_id: int, measured: Likeness, face: str | None,
            file_unique_id: str, colour: bool = True) -> Observation:
    """A private photo's measured look meets the person's identity (atomically).

    No identity, or "take again" pending: this look becomes it. Otherwise, when the photo's
    look clearly differs (look_vote.differences, against the person's measured photos) it is
    kept as an offer and drawn as measured; else, while fewer than three photos voted, it
    votes (a locked trait stays the person's choice) and the new look is drawn; else the kept
    look is drawn. A photo that voted already (a retried job, the same photo again) changes
    nothing. `colour`: False for a greyscale photo (its colours do not vote).
    """
    sample = Sample(measured, face, photo_key(file_unique_id), colour)

    def change(current: Identity | None) -> tuple[Observation, Identity | None]:
        if current is None or current.retake:
            version = current.version + 1 if current else 1
            new = _first(measured, face, version, sample.photo, colour)
            return Observation("established", new, new.to_likeness(), new.face), new
        photos = current.photos()
        if sample.photo and any(p.photo == sample.photo for p in photos):
            return Observation("kept", current, current.to_likeness(), current.face), None
        reasons = differences(sample, photos)
        if reasons:
            offers = [o for o in current.offers if o.get("id") != sample.photo]
            offers.append({"id": sample.photo, "s": sample.to_dict(), "why": reasons})
            new = dataclasses.replace(current, offers=offers[-MAX_OFFERS:])
            return Observation("differs", current, measured, None, sample.photo, reasons), new
        if len(photos) < VOTES:
            before = current.samples or [p.to_dict() for p in photos]
            new = dataclasses.replace(current, samples=[*before, sample.to_dict()])
            new = new.revoted(current.version + 1)
            if new.same_look(current):  # the version (cache, pack, /me cards) stays
                new.version = current.version
            return Observation("refined", new, new.to_likeness(), new.face), new
        return Observation("kept", current, current.to_likeness(), current.face), None

    return _update(redis, user_id, change)


@dataclass
class Change:
    """What became of a /me button press (or a Mini App change)."""

    status: str  # "ok" | "same" | "stale" | "missing" | "invalid" | "no_hair" | "gone"
    identity: Identity | None = None
    trait: Trait | None = None
    value: str = ""


def _locked_value(name: str, value: str) -> Any:
    return int(value) if name == "monk" else value


def set_trait(redis: Any, user_id: int, code: str, value: str, expected_version: int) -> Change:
    """Set one trait (from a /me button), if the card pressed shows the current identity. The
    choice is locked: later selfies never vote it away."""
    trait = TRAITS.get(code)
    if trait is None or value not in trait.choices:
        return Change("invalid")

    def change(current: Identity | None) -> tuple[Change, Identity | None]:
        if current is None:
            return Change("missing", trait=trait, value=value), None
        if current.version != expected_version:
            return Change("stale", current, trait, value), None
        name = TRAIT_FIELDS[code]
        locked = {**current.locked, name: _locked_value(name, value)}
        if current.value(code) == value:  # confirmed: kept as the person's choice all the same
            new = None if locked == current.locked else dataclasses.replace(current,
                                                                            locked=locked)
            return Change("same", new or current, trait, value), new
        if code == "hc" and current.value("hl") == "none":
            return Change("no_hair", current, trait, value), None
        new = dataclasses.replace(current, locked=locked).revoted(current.version + 1)
        return Change("ok", new, trait, value), new

    return _update(redis, user_id, change)


def request_retake(redis: Any, user_id: int, expected_version: int) -> Change:
    """The next private selfie measures everything again (the version moves on, so that a
    repeat of an earlier photo is not answered from the cache). Its photos, the person's
    choices and the offers go: "take my look from my next photo" starts the look afresh."""
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


def use_offer(redis: Any, user_id: int, offer: str) -> Change:
    """"This is me: update my look": the offered photo's look becomes the person's.

    It replaces the look rather than voting with the photos before: the person says this photo
    is them now (new hair colour, a beard shaved off), and two or three older photos would
    outvote it, so the tap would seem to do nothing. The photo is the look's first sample: the
    next two selfies refine it, as after the first selfie. The person's choices on the traits
    that made the photo differ are released (they just said the photo's are right); their
    other choices stay. status "gone": no such offer (too old, or used).
    """
    def change(current: Identity | None) -> tuple[Change, Identity | None]:
        if current is None:
            return Change("missing"), None
        chosen = next((o for o in current.offers if o.get("id") == offer), None)
        if chosen is None:
            return Change("gone", current), None
        try:
            Sample.from_dict(chosen["s"])
        except Exception as exc:
            log.warning("unreadable offered look: %s", exc)
            return Change("gone", current), None
        reasons = set(chosen.get("why") or ())
        if "hair_colour" in reasons:
            reasons.add("hair_style")
        new = dataclasses.replace(
            current, retake=False, samples=[chosen["s"]],
            offers=[o for o in current.offers if o is not chosen],
            locked={k: v for k, v in current.locked.items() if k not in reasons})
        new = new.revoted(current.version + 1)
        return Change("ok", new), new

    return _update(redis, user_id, change)


# --- for other front ends (the Mini App): by Likeness field name --------------------------------

def kept_look(redis: Any, user_id: int) -> tuple[Likeness, str | None] | None:
    """The person's look to draw and their face part id; None when none is kept."""
    kept = load(redis, user_id)
    return None if kept is None else (kept.to_likeness(), kept.face)


def trait_choices(identity: Identity | None = None) -> dict[str, tuple[str, ...]]:
    """Every settable trait (Likeness field) -> its choices, the person's ranked guesses first
    (Likeness.guesses, over their photos); with no identity or no guesses, the usual order."""
    guesses = identity.guesses if identity else {}
    return {name: ordered_choices(choices, guesses.get(name))
            for name, choices in LOOK_CHOICES.items()}


def set_traits(redis: Any, user_id: int, choices: dict[str, Any],
               expected_version: int | None = None) -> Change:
    """Set traits as the person's own locked choices, as /me does: {"hair_colour": "blonde",
    "monk": 4, ...} by Likeness field (LOOK_CHOICES; monk as 1..10). status "invalid" for an
    unknown trait or value (nothing changed), "stale" when `expected_version` is given and is
    not the current one, "missing" without an identity, "same" when nothing changes, "ok"."""
    clean: dict[str, Any] = {}
    for name, value in choices.items():
        allowed = LOOK_CHOICES.get(name)
        if allowed is None or str(value) not in allowed:
            return Change("invalid", value=str(value))
        clean[name] = _locked_value(name, str(value))

    def change(current: Identity | None) -> tuple[Change, Identity | None]:
        if current is None:
            return Change("missing"), None
        if expected_version is not None and current.version != expected_version:
            return Change("stale", current), None
        locked = {**current.locked, **clean}
        if locked == current.locked:
            return Change("same", current), None
        new = dataclasses.replace(current, locked=locked).revoted(current.version + 1)
        return Change("ok", new), new

    return _update(redis, user_id, change)


def release_traits(redis: Any, user_id: int, names: list[str]) -> Change:
    """Hand traits (Likeness fields) back to the vote over the person's photos."""
    def change(current: Identity | None) -> tuple[Change, Identity | None]:
        if current is None:
            return Change("missing"), None
        locked = {k: v for k, v in current.locked.items() if k not in names}
        if locked == current.locked:
            return Change("same", current), None
        new = dataclasses.replace(current, locked=locked).revoted(current.version + 1)
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


_OFFER_ID = re.compile(r"[0-9a-f]{6,16}")


@dataclass
class Press:
    """A parsed /me button: t (show a trait's choices), s (set), b (back), r (take again), u
    ("This is me: update my look" under a sticker of a differing photo; `value` the offer)."""

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
    if action == "u" and len(args) == 1 and _OFFER_ID.fullmatch(args[0]):
        return Press(version, action, value=args[0])
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
    buttons = [{"text": f"{label(trait)}: {shown(identity.value(code))}{_unseen(identity, code)}",
                "callback_data": callback_data(identity.version, "t", code)}
               for code, trait in TRAITS.items()]
    rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    retake = ("✓ " + _("Your next selfie sets your look") if identity.retake
              else _("Take my look from my next photo"))
    rows.append([{"text": retake, "callback_data": callback_data(identity.version, "r")}])
    return {"inline_keyboard": rows}


def _unseen(identity: Identity, code: str) -> str:
    """The mark " ?" after a hair colour no selfie showed (Likeness.hair_colour_read: too
    little hair seen; the dark default is drawn), so that the person sees it is a guess worth
    a tap."""
    if code != "hc" or identity.value("hl") == "none":
        return ""
    detail = identity.likeness.get("hair_detail") or {}
    return " ?" if detail.get("colour_read") is False else ""


def trait_keyboard(identity: Identity, code: str) -> dict[str, Any]:
    """A trait's choices, the best guesses for the person first (Likeness.guesses over their
    photos; without guesses in the usual order), the current one ticked, and Back."""
    trait = TRAITS[code]
    current = identity.value(code)
    per_row = 5 if code == "sk" else 3
    choices = ordered_choices(trait.choices, identity.guesses.get(TRAIT_FIELDS[code]))
    buttons = [{"text": ("✓ " if choice == current else "") + shown(choice),
                "callback_data": callback_data(identity.version, "s", code, choice)}
               for choice in choices]
    rows = [buttons[i:i + per_row] for i in range(0, len(buttons), per_row)]
    rows.append([{"text": "« " + _("Back"), "callback_data": callback_data(identity.version, "b")}])
    return {"inline_keyboard": rows}


def offer_keyboard(identity: Identity, offer: str) -> dict[str, Any]:
    """The button under a sticker drawn with a differing photo's own look."""
    return {"inline_keyboard": [[{"text": _("This is me: update my look"),
                                  "callback_data": callback_data(identity.version, "u", offer)}]]}
