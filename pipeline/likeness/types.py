"""The Likeness data type: what a person looks like, read and written as JSON."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import MojiError
from .colour import hex_to_rgb, monk_index, rgb_to_hex
from .hair_colour import name_hair_colour
from .vocabulary import (
    AGE_SIGNS,
    EARRINGS,
    EYE_COLOURS,
    EYE_SWATCHES,
    FACIAL_HAIR,
    GLASSES,
    HAIR_COLOURS,
    HAIR_LENGTHS,
    HAIR_STYLES,
    HAIR_SWATCHES,
    HAIRLINES,
    HEADWEAR,
    MONK_SCALE,
)


def _colour(value: Any, what: str) -> tuple[int, int, int]:
    if isinstance(value, str):
        try:
            return hex_to_rgb(value)
        except ValueError:
            pass
    elif isinstance(value, (list, tuple)) and len(value) == 3:
        try:
            return tuple(int(np.clip(int(c), 0, 255)) for c in value)  # type: ignore[return-value]
        except (TypeError, ValueError):
            pass
    raise MojiError("bad_likeness", f"{what} must be a colour like \"#6b4a31\", not {value!r}.")


def _name(value: Any, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise MojiError("bad_likeness",
                        f"Unknown {what} {value!r}: use one of {', '.join(allowed)}.")
    return value


def _extra_from_dict(data: dict) -> dict[str, Any]:
    """Issue 16's traits from to_dict's shape; each key may be missing."""
    changes: dict[str, Any] = {}
    detail = data.get("hair_detail") or {}
    if not isinstance(detail, dict):
        raise MojiError("bad_likeness", "\"hair_detail\" must be an object.")
    if detail.get("style") is not None:
        changes["hair_style"] = _name(detail["style"], HAIR_STYLES, "hair style")
    if detail.get("hairline") is not None:
        changes["hairline"] = _name(detail["hairline"], HAIRLINES, "hairline")
    if "colour_read" in detail:
        if not isinstance(detail["colour_read"], bool):
            raise MojiError("bad_likeness", "\"hair_detail\".\"colour_read\" must be true or "
                            "false.")
        changes["hair_colour_read"] = detail["colour_read"]
    if "highlight" in detail:
        changes["hair_highlight_rgb"] = (None if detail["highlight"] is None
                                         else _colour(detail["highlight"], "hair highlight"))
    for key, what in (("facial_hair_rgb", "facial hair rgb"), ("headwear_rgb", "headwear rgb")):
        if data.get(key) is not None:
            changes[key] = _colour(data[key], what)
    eyes = data.get("eyes") or {}
    if not isinstance(eyes, dict):
        raise MojiError("bad_likeness", "\"eyes\" must be an object with colour and rgb.")
    if eyes.get("colour") is not None:
        changes["eye_colour"] = _name(eyes["colour"], EYE_COLOURS, "eye colour")
    if eyes.get("rgb") is not None:
        changes["eye_rgb"] = _colour(eyes["rgb"], "eye rgb")
    for key, allowed, what in (("age_signs", AGE_SIGNS, "age signs"),
                               ("earrings", EARRINGS, "earrings")):
        if data.get(key) is not None:
            changes[key] = _name(data[key], allowed, what)
    face = data.get("face")
    if face is not None:
        if not isinstance(face, dict) or not all(
                isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool)
                for k, v in face.items()):
            raise MojiError("bad_likeness", "\"face\" must map proportion names to numbers.")
        changes["face"] = {k: max(-3.0, min(3.0, float(v))) for k, v in face.items()}
    return changes


@dataclass
class Likeness:
    """What a person looks like beyond the expression: hair, facial hair, glasses, headwear,
    skin.
    """

    hair_length: str = "short"
    hair_colour: str | None = "dark_brown"  # None when hair_length == "none"
    hair_rgb: tuple[int, int, int] = hex_to_rgb(HAIR_SWATCHES["dark_brown"])
    hair_style: str | None = None  # optional hint: one of HAIR_STYLES
    facial_hair: str = "none"
    facial_hair_rgb: tuple[int, int, int] | None = None  # None -> hair_rgb
    glasses: str = "none"
    headwear: str = "none"
    skin_rgb: tuple[int, int, int] = hex_to_rgb(MONK_SCALE[4])
    monk: int = 5
    lips_rgb: tuple[int, int, int] | None = None  # light-corrected; not in to_dict's contract
    # Issue 16's traits. Each has a default that draws as before, so a kept look from an
    # older version reads back unchanged.
    hair_highlight_rgb: tuple[int, int, int] | None = None  # two-tone hair: streaks, highlights
    # False when too little hair was seen to read its colour (a crop cut at the brows, a hood):
    # hair_colour is then the dark default, not a measurement, and the look's vote and its
    # "clearly someone else" check leave it out.
    hair_colour_read: bool = True
    hairline: str = "fringe"
    headwear_rgb: tuple[int, int, int] | None = None  # None: the style's own headwear colour
    eye_colour: str = "brown"
    eye_rgb: tuple[int, int, int] | None = None  # None: eye_colour's swatch
    age_signs: str = "none"
    earrings: str = "none"
    # The face's own proportions (pipeline/geometry.py): name -> standardised deviation from the
    # average face (0 average, +-1 one standard deviation, clipped to +-3). Empty: the template.
    face: dict[str, float] = field(default_factory=dict)
    # Ranked guesses per trait (field name -> names, best first), for /me and the Mini App to
    # show first; not part of the look itself.
    guesses: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict:
        """The contract of `moji render --json` (and the README), exactly."""
        return {
            "hair": {"length": self.hair_length,
                     "colour": None if self.hair_length == "none" else self.hair_colour,
                     "rgb": rgb_to_hex(self.hair_rgb)},
            "facial_hair": self.facial_hair,
            "glasses": self.glasses,
            "headwear": self.headwear,
            "skin": {"rgb": rgb_to_hex(self.skin_rgb), "monk": int(self.monk)},
        } | self._extra_dict()

    def _extra_dict(self) -> dict:
        """Issue 16's traits, beside the original contract's keys (which keep their shapes)."""
        hair = {"style": self.hair_style, "hairline": self.hairline,
                "highlight": rgb_to_hex(self.hair_highlight_rgb)
                if self.hair_highlight_rgb else None,
                "colour_read": self.hair_colour_read}
        return {
            "hair_detail": hair,
            "facial_hair_rgb": rgb_to_hex(self.facial_hair_rgb) if self.facial_hair_rgb else None,
            "headwear_rgb": rgb_to_hex(self.headwear_rgb) if self.headwear_rgb else None,
            "eyes": {"colour": self.eye_colour,
                     "rgb": rgb_to_hex(self.eye_rgb or hex_to_rgb(EYE_SWATCHES[self.eye_colour]))},
            "age_signs": self.age_signs,
            "earrings": self.earrings,
            "face": {k: round(float(v), 3) for k, v in sorted(self.face.items())},
        }

    @classmethod
    def from_dict(cls, data: dict) -> Likeness:
        """Read to_dict's shape back; any key may be missing, unknown names are MojiErrors."""
        if not isinstance(data, dict):
            raise MojiError("bad_likeness", "A likeness must be a JSON object like the one "
                            "`moji render --json` prints under \"likeness\".")
        changes: dict[str, Any] = {}
        hair = data.get("hair") or {}
        if not isinstance(hair, dict):
            raise MojiError("bad_likeness", "\"hair\" must be an object with length, colour, rgb.")
        if "length" in hair:
            changes["hair_length"] = _name(hair["length"], HAIR_LENGTHS, "hair length")
        if hair.get("colour") is not None:
            changes["hair_colour"] = _name(hair["colour"], HAIR_COLOURS, "hair colour")
        if hair.get("rgb") is not None:
            changes["hair_rgb"] = _colour(hair["rgb"], "hair rgb")
        if hair.get("style") is not None:
            changes["hair_style"] = _name(hair["style"], HAIR_STYLES, "hair style")
        for key, allowed, what in (("facial_hair", FACIAL_HAIR, "facial hair"),
                                   ("glasses", GLASSES, "glasses"),
                                   ("headwear", HEADWEAR, "headwear")):
            if data.get(key) is not None:
                changes[key] = _name(data[key], allowed, what)
        skin = data.get("skin") or {}
        if not isinstance(skin, dict):
            raise MojiError("bad_likeness", "\"skin\" must be an object with rgb and monk.")
        if skin.get("rgb") is not None:
            changes["skin_rgb"] = _colour(skin["rgb"], "skin rgb")
        if skin.get("monk") is not None:
            monk = skin["monk"]
            if isinstance(monk, bool) or not isinstance(monk, int) or not 1 <= monk <= 10:
                raise MojiError("bad_likeness",
                                f"Skin monk must be a whole number from 1 to 10, not {monk!r}.")
            changes["monk"] = monk
        changes.update(_extra_from_dict(data))
        if "hair_colour" not in changes and changes.get("hair_length") == "none":
            changes["hair_colour"] = None
        return cls().replace(**changes)

    def replace(self, **changes: Any) -> Likeness:
        """dataclasses.replace, keeping the fields consistent with each other.

        Length none -> colour None; a new colour without rgb -> that colour's swatch; a new
        Monk index without skin_rgb -> that swatch; a new skin_rgb without monk -> its index.
        """
        new = dataclasses.replace(self, **changes)
        if "hair_colour" in changes and new.hair_colour is not None and "hair_rgb" not in changes:
            new.hair_rgb = hex_to_rgb(HAIR_SWATCHES[new.hair_colour])
        if "hair_colour" in changes and "hair_colour_read" not in changes:
            new.hair_colour_read = True  # a colour chosen by name is known, not the default
        if new.hair_length == "none":
            new.hair_colour = None
        elif new.hair_colour is None:
            new.hair_colour = name_hair_colour(new.hair_rgb)
        if "monk" in changes and "skin_rgb" not in changes:
            new.skin_rgb = hex_to_rgb(MONK_SCALE[new.monk - 1])
        elif "skin_rgb" in changes and "monk" not in changes:
            new.monk = monk_index(new.skin_rgb)
        new.hair_rgb = tuple(int(c) for c in new.hair_rgb)  # type: ignore[assignment]
        new.skin_rgb = tuple(int(c) for c in new.skin_rgb)  # type: ignore[assignment]
        if "eye_colour" in changes and "eye_rgb" not in changes:
            new.eye_rgb = None  # drawn in the new colour's swatch
        return new
