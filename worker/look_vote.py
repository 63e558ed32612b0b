"""One true look from a person's first few selfies: the vote, and "clearly another look".

Pure functions on pipeline.likeness.Likeness (numpy only, no Redis, no Telegram); worker.identity
keeps the photos' looks and calls them.

- `vote(samples)`: the look the first three private selfies agree on. Each named trait is the
  most common name (a tie goes to the earliest photo, so that a second photo alone never flips
  the first one's look), except what is worn (glasses, headwear, earrings): that needs more
  than half the photos, else none (people take them off); each measured colour is the
  per-channel median of the photos that voted for the winning name (so the colour always fits
  its name); a photo that showed too little hair to read its colour (hair_colour_read False:
  the dark default) counts half a vote on hair colour (UNREAD_VOTE); the skin is
  the median skin colour and its Monk index; each face proportion is its median. Colour
  traits are voted by colour photos only when there are any (a greyscale photo has no hair or
  skin colour).
- `differences(photo, person)`: why a photo's look is clearly not this person's, or nothing.
  "Clearly" is a score: a strong sign counts 2, a weak one 1, and 2 is enough:
    strong: another hair colour group (HAIR_COLOUR_GROUPS) whose colour is also far off
            (CIELAB distance >= HAIR_DELTA_E: the same hair under warm, cool, dim or bright
            light moves less), both photos in colour, hair showing and its colour read in
            both; a full beard or goatee against none; skin SKIN_STEPS (3) or more Monk
            steps away, both in colour;
    weak:   glasses (not sunglasses: people put those on) against none; another facial hair
            that is not the strong case (stubble or a moustache against none, a beard against
            stubble); a hair length two steps away (short against long, hair against bald).
  So a beard the person does not have is enough alone, and so are glasses where the kept look
  has none AND another facial hair; glasses alone (reading glasses) or a change of light is not.
  Against a look of ONE photo the bar is 3 (a strong and a weak sign): a single photo may have
  been misread, and its owner's next selfies must be able to outvote it rather than be refused.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pipeline.likeness import (
    HAIR_COLOUR_GROUPS,
    Likeness,
    hex_to_rgb,
    monk_index,
    rgb_to_hex,
    srgb_to_lab,
)

VOTES = 3  # the first three private selfies make the look; later ones only bring expression
# Hair colour groups no change of light turns into each other: dark <-> brown and brown <->
# blonde are (warm, dim and bright light read dark brown as brown, light brown as blonde), and
# grey under warm light reads blonde. And CIELAB distance between the two colours that light
# alone did not reach on the shared photos (same photo relit: up to 25; same person: up to 40
# between dark and brown, which never counts).
FAR_HAIR_GROUPS = (frozenset(("dark", "blonde")), frozenset(("dark", "grey")),
                   frozenset(("brown", "grey")))
HAIR_DELTA_E = 30.0
SKIN_STEPS = 3  # Monk steps between skins that are two people, not two lights
SCORE_NEEDED = 2  # "clearly another look" against the look of two or more photos
SCORE_NEEDED_ONE_PHOTO = 3  # ... against the look of a single photo
HEAVY_FACIAL_HAIR = ("beard", "goatee")
HAIR_STEPS = {"none": 0, "short": 1, "medium": 2, "long": 3, "tied": 3}
# headwear that hides the hair: no hair colour to compare
HIDES_HAIR = ("hijab", "turban", "keffiyeh", "headscarf")
# Likeness fields for which None is an answer (no hair colour, no highlight, no measured shade)
OPTIONAL = ("hair_colour", "hair_style", "hair_highlight_rgb", "facial_hair_rgb", "headwear_rgb",
            "eye_rgb", "lips_rgb")
# A photo that showed too little hair to read its colour (hair_colour_read False) has only the
# dark default: it counts half a vote on hair colour. A default is what most people's hair is,
# not what was seen, so one photo that shows blonde hair outvotes a first selfie cut at the
# brows; but two defaults still hold against one reading (a greenish cast read as brown).
UNREAD_VOTE = 0.5
GUESSES_KEPT = 4  # names per trait kept from each photo's ranked guesses

# The named traits voted on, as Likeness fields. The colours that go with a name are voted among
# the photos that voted for the winning name (see _colour_of).
CATEGORICAL = ("hair_length", "hair_colour", "hair_style", "hairline", "facial_hair", "glasses",
               "headwear", "eye_colour", "age_signs", "earrings")


@dataclass
class Sample:
    """One private photo's measured look, as kept for the vote (a few hundred bytes of JSON)."""

    likeness: Likeness
    face: str | None = None  # the face part the photo matched
    photo: str = ""  # short hash of the photo's file_unique_id: a photo votes once
    colour: bool = True  # False: a greyscale photo (no hair or skin colour to vote with)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"l": self.likeness.to_dict(), "f": self.face, "p": self.photo}
        if self.likeness.lips_rgb:
            data["lips"] = rgb_to_hex(self.likeness.lips_rgb)
        if not self.colour:
            data["grey"] = True
        guesses = {k: list(v)[:GUESSES_KEPT] for k, v in (self.likeness.guesses or {}).items()
                   if v}
        if guesses:
            data["g"] = guesses
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Sample:
        """Read to_dict's shape (MojiError "bad_likeness" for unknown names)."""
        likeness = Likeness.from_dict(data["l"])
        extra: dict[str, Any] = {}
        if data.get("lips"):
            extra["lips_rgb"] = hex_to_rgb(data["lips"])
        if data.get("g"):
            extra["guesses"] = {k: tuple(str(n) for n in v) for k, v in data["g"].items()}
        if extra:
            likeness = likeness.replace(**extra)
        return cls(likeness, data.get("f"), str(data.get("p") or ""), not data.get("grey"))


def photo_key(file_unique_id: str) -> str:
    """A short stand-in for a photo's id: enough to know a photo that voted already."""
    return hashlib.sha1(file_unique_id.encode()).hexdigest()[:10]


def _mode(values: list[Any], weights: list[float] | None = None) -> Any:
    """The value with the most votes (each one, or its `weights`); a tie goes to the one seen
    first."""
    totals: dict[Any, float] = {}
    for value, weight in zip(values, weights or [1.0] * len(values), strict=True):
        totals[value] = totals.get(value, 0.0) + weight
    return max(totals, key=totals.get) if totals else None  # max keeps the first of a tie


def _median_rgb(colours: list[Any]) -> tuple[int, int, int] | None:
    colours = [c for c in colours if c is not None]
    if not colours:
        return None
    median = np.median(np.asarray(colours, dtype=np.float64), axis=0)
    return tuple(int(round(float(c))) for c in median)  # type: ignore[return-value]


@dataclass
class _Votes:
    samples: list[Sample]
    chosen: dict[str, Any] = field(default_factory=dict)

    def among(self, colour_trait: bool) -> list[Likeness]:
        """The photos that vote: for a colour trait the colour photos, when there are any."""
        if colour_trait:
            coloured = [s.likeness for s in self.samples if s.colour]
            if coloured:
                return coloured
        return [s.likeness for s in self.samples]

    def name(self, trait: str, voters: list[Likeness],
             weight: Callable[[Likeness], float] | None = None) -> Any:
        """The most common `trait` among `voters` (each counting `weight(lk)`, else one)."""
        voting = [lk for lk in voters if getattr(lk, trait) is not None]
        winner = _mode([getattr(lk, trait) for lk in voting],
                       [weight(lk) for lk in voting] if weight else None)
        self.chosen[trait] = winner
        return winner

    def worn(self, trait: str, voters: list[Likeness]) -> Any:
        """A thing worn (glasses, headwear, earrings) is kept only when more than half the
        photos show it: people take them off, and a cap or sunglasses in one of two selfies is
        not their look. Otherwise none."""
        values = [getattr(lk, trait) for lk in voters if getattr(lk, trait) is not None]
        winner = _mode(values)
        if winner not in (None, "none") and values.count(winner) * 2 <= len(values):
            winner = "none"
        self.chosen[trait] = winner
        return winner

    def colour_of(self, trait: str, rgb_field: str, voters: list[Likeness]) -> None:
        """The median `rgb_field` of the photos whose `trait` is the winner's."""
        agree = [getattr(lk, rgb_field) for lk in voters
                 if getattr(lk, trait) == self.chosen.get(trait)]
        self.chosen[rgb_field] = _median_rgb(agree)


def _ranked_guesses(samples: list[Sample]) -> dict[str, tuple[str, ...]]:
    """Each trait's guesses over the photos: a Borda count of their rankings."""
    scores: dict[str, Counter] = {}
    for sample in samples:
        for trait, names in (sample.likeness.guesses or {}).items():
            for rank, name in enumerate(names[:GUESSES_KEPT]):
                scores.setdefault(trait, Counter())[str(name)] += GUESSES_KEPT - rank
    return {trait: tuple(n for n, _s in count.most_common()) for trait, count in scores.items()}


def vote(samples: list[Sample]) -> tuple[Likeness, str | None]:
    """The look and face part the photos agree on (see the module docstring). Fields the vote
    does not know come from the first photo."""
    if not samples:
        raise ValueError("vote needs at least one photo")
    if len(samples) == 1:
        return samples[0].likeness, samples[0].face
    votes = _Votes(samples)
    everyone = votes.among(colour_trait=False)
    coloured = votes.among(colour_trait=True)
    length = votes.name("hair_length", everyone)
    with_length = [lk for lk in everyone if lk.hair_length == length] or everyone
    votes.name("hair_style", with_length)
    votes.name("hairline", with_length)
    if length == "none":
        votes.chosen.update(hair_colour=None, hair_highlight_rgb=None)
    else:
        with_hair = [lk for lk in coloured if lk.hair_length != "none"] or coloured
        colour = votes.name("hair_colour", with_hair,
                            weight=lambda lk: 1.0 if lk.hair_colour_read else UNREAD_VOTE)
        agree = [lk for lk in with_hair if lk.hair_colour == colour]
        read = [lk for lk in agree if lk.hair_colour_read]
        votes.chosen["hair_colour_read"] = bool(read) or not agree
        votes.colour_of("hair_colour", "hair_rgb", read or with_hair)
        streaked = [lk.hair_highlight_rgb for lk in agree if lk.hair_highlight_rgb]
        votes.chosen["hair_highlight_rgb"] = (_median_rgb(streaked)
                                              if len(streaked) * 2 > len(agree) else None)
    votes.name("facial_hair", everyone)
    votes.colour_of("facial_hair", "facial_hair_rgb", coloured)
    votes.worn("glasses", everyone)
    votes.worn("headwear", everyone)
    votes.colour_of("headwear", "headwear_rgb", coloured)
    votes.name("eye_colour", coloured)
    votes.colour_of("eye_colour", "eye_rgb", coloured)
    votes.name("age_signs", everyone)
    votes.worn("earrings", everyone)
    skin = _median_rgb([lk.skin_rgb for lk in coloured])
    votes.chosen["skin_rgb"] = skin
    votes.chosen["monk"] = monk_index(skin)
    votes.chosen["lips_rgb"] = _median_rgb([lk.lips_rgb for lk in coloured])
    proportions: dict[str, list[float]] = {}
    for lk in everyone:
        for name, value in (lk.face or {}).items():
            proportions.setdefault(name, []).append(float(value))
    votes.chosen["face"] = {name: round(float(np.median(values)), 3)
                            for name, values in proportions.items()}
    votes.chosen["guesses"] = _ranked_guesses(samples)
    # a name or colour no photo gave (None) keeps the first photo's, where None is no answer
    chosen = {k: v for k, v in votes.chosen.items() if v is not None or k in OPTIONAL}
    # replace() with no change makes the fields agree (hair named from its colour, none: no
    # colour)
    likeness = dataclasses.replace(samples[0].likeness, **chosen).replace()
    face = _mode([s.face for s in samples if s.face])
    return likeness, face


def with_locks(likeness: Likeness, locked: dict[str, Any]) -> Likeness:
    """The look with the person's own choices (/me, the Mini App) over the vote.

    Only a choice that differs from the vote is applied, so that a locked colour name the vote
    agrees with keeps its measured shade; Likeness.replace keeps the rest consistent (a hair
    colour chosen by name is drawn in its swatch, a Monk tone chosen in its swatch).
    """
    changes = {trait: value for trait, value in locked.items()
               if hasattr(likeness, trait) and getattr(likeness, trait) != value}
    if "hair_length" in changes and "hair_style" not in locked:
        changes["hair_style"] = None  # the measured style belonged to the measured length
    return likeness.replace(**changes) if changes else likeness


def _hair_shows(lk: Likeness) -> bool:
    return (lk.hair_length != "none" and lk.headwear not in HIDES_HAIR and bool(lk.hair_colour)
            and lk.hair_colour_read)


def differences(photo: Sample, person: list[Sample]) -> list[str]:
    """Why `photo` clearly shows someone other than the person whose measured photos are
    `person` (their vote, without their /me choices: measured against measured); [] when it
    may well be them. The reasons are Likeness field names: hair_colour, facial_hair, monk,
    glasses, hair_length."""
    if not person:
        return []
    kept, _face = vote(person)
    colours_comparable = photo.colour and any(s.colour for s in person)
    seen = photo.likeness
    strong: list[str] = []
    weak: list[str] = []
    if colours_comparable and _hair_shows(seen) and _hair_shows(kept):
        groups = frozenset((HAIR_COLOUR_GROUPS.get(seen.hair_colour),
                            HAIR_COLOUR_GROUPS.get(kept.hair_colour)))
        far = float(np.linalg.norm(srgb_to_lab(seen.hair_rgb) - srgb_to_lab(kept.hair_rgb)))
        if groups in FAR_HAIR_GROUPS and far >= HAIR_DELTA_E:
            strong.append("hair_colour")
    if seen.facial_hair != kept.facial_hair:
        if seen.facial_hair in HEAVY_FACIAL_HAIR and kept.facial_hair == "none":
            strong.append("facial_hair")  # a beard the person does not have
        else:  # a beard missed (or shaved), stubble, a moustache: not alone
            weak.append("facial_hair")
    if colours_comparable and abs(seen.monk - kept.monk) >= SKIN_STEPS:
        strong.append("monk")
    if {seen.glasses, kept.glasses} == {"glasses", "none"}:
        weak.append("glasses")
    if abs(HAIR_STEPS.get(seen.hair_length, 1) - HAIR_STEPS.get(kept.hair_length, 1)) >= 2:
        weak.append("hair_length")
    needed = SCORE_NEEDED_ONE_PHOTO if len(person) == 1 else SCORE_NEEDED
    score = 2 * len(strong) + len(weak)
    return strong + weak if score >= needed else []


# The /me and Mini App order of a trait's choices: the guesses first, then the rest as listed.
def ordered_choices(choices: tuple[str, ...], guesses: Any,
                    key: Callable[[Any], str] = str) -> tuple[str, ...]:
    """`choices` with the ranked `guesses` (names, best first) moved to the front."""
    first = [key(g) for g in (guesses or ()) if key(g) in choices]
    first = list(dict.fromkeys(first))
    return tuple(first + [c for c in choices if c not in first])
