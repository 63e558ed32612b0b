"""The likeness stage: hair, facial hair, glasses, headwear and skin tone, measured once per person.

`LikenessEstimator` follows the MediaPipe Tasks shape: `create_from_options` loads the models
once, `measure(rgb, face)` returns a `Likeness`, `close()` frees them. Two methods:

- "bisenet" (pipeline/likeness_bisenet.py): the published experiment's face parser, BiSeNet
  with face-parsing.PyTorch's 79999_iter.pth (trained on CelebAMask-HQ, whose images are for
  non-commercial research only). The photo is warped into a head frame framed like
  CelebAMask-HQ (whole head, some shoulders) and parsed once; hair, hat and glasses come from
  its classes.
- "basic" (pipeline/likeness_basic.py): landmarks, the MediaPipe selfie segmenter (Apache-2.0)
  and colour. No torch, no non-commercial weights; worse (see moji/evaluate_likeness.py).

"auto" picks bisenet when torch imports and the weights are found, else basic.

Facial hair and skin are measured the same way by both methods (BiSeNet calls beards skin):

- Facial hair: inside the face outline from the landmarks, the upper lip, the chin and the two
  jaw sides are compared with the upper cheeks of the same face: how much darker they are
  (median, 20th percentile, share of clearly dark pixels), how much rougher (high-pass energy)
  and how much greyer (saturation). The face's own cheeks as the reference cancel exposure and
  skin tone. A small softmax over those 15 ratios, fitted on the labelled shared photos, names
  none / stubble / moustache / goatee / beard.

- Skin under light. A photo's pixels are skin colour times the light. The light is estimated
  from references the photo itself gives, and divided out:
  1. colour cast: the "shades of grey" estimate of the whole photo (Minkowski p=6 norm of each
     channel, which a single coloured object sways less than the grey-world mean, unclipped
     pixels only). The cast is divided out relative to the typical estimate of a neutrally lit
     portrait (CAST_NEUTRAL), so a photo lit like most photos is left as it is (a face filling
     the frame makes the grey world skin-coloured; dividing it out completely would make
     everyone grey). Eye whites and teeth were tried as the white reference (find_whites) and
     made things worse on the small shared photos (a few dozen sclera pixels at best): they
     are off (USE_WHITES).
  2. exposure: the photo's bright reference, the 90th percentile of luma over the whole photo
     (a collar, a wall, the lit side of the face), pulled to a fixed level. The 97th clips
     when a photo is brightened. The correction is partial (EXPOSURE_STRENGTH 0.9): a
     dark-skinned face that fills a well exposed frame must stay darker than a light one, yet
     a light-skinned man in a photo darkened to 25% must not come out dark brown.
  3. the face's own shading: skin is the median of the lit half of the cheek and forehead
     pixels (the upper half by luma), not of the shadows.
  The corrected colour, times SKIN_TO_SWATCH (photo skin is shaded; the swatches are not), is
  mapped onto the Monk Skin Tone scale (Google, 2022) by the nearest swatch in CIELAB. On the
  540 shared colour photos (489 with a face found): 94% keep their Monk index within one step
  under all four light changes of the issue (darker 50%, brighter 150%, warm, cool), and 92%
  are within one step of the hand label. Without any correction: 5% and 63%.

Greyscale photos: hair colour from lightness only (black, dark_brown, grey, white where the
lightness says so clearly, else dark_brown), skin Monk from lightness only.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import landmarks as lm
from .errors import MojiError

if TYPE_CHECKING:  # pragma: no cover
    from .analyze import FaceAnalysis

log = logging.getLogger(__name__)

HAIR_LENGTHS = ("none", "short", "medium", "long", "tied")
HAIR_COLOURS = ("black", "dark_brown", "brown", "light_brown", "auburn", "red", "blonde", "grey",
                "white")
# The five groups a friend tells apart at a glance (issue 16's hair-colour measure)
HAIR_COLOUR_GROUPS = {"black": "dark", "dark_brown": "dark", "brown": "brown",
                      "light_brown": "brown", "auburn": "brown", "red": "brown",
                      "blonde": "blonde", "grey": "grey", "white": "grey"}
FACIAL_HAIR = ("none", "stubble", "moustache", "goatee", "beard")
GLASSES = ("none", "glasses", "sunglasses")
# hat: a brimmed hat; hijab: a headscarf that hides all hair; other: headwear none of these fit
HEADWEAR = ("none", "cap", "hat", "beanie", "headscarf", "hijab", "turban", "keffiyeh", "other")
HAIR_STYLES = ("bald", "buzz", "short", "side_part", "swept_back", "quiff", "curly", "afro",
               "afro_puff", "pixie", "bob", "medium", "long_straight", "long_wavy", "long_curly",
               "bun", "bun_low", "updo", "ponytail", "braids", "locs", "cornrows")
# fringe: hair over the forehead in a straight line (the old, only hairline)
HAIRLINES = ("fringe", "side", "centre", "swept_back", "receding", "widows_peak")
EYE_COLOURS = ("dark_brown", "brown", "hazel", "green", "blue", "grey")
# Signs of age drawn on the face: none; some (smile lines); marked (forehead lines, crow's feet)
AGE_SIGNS = ("none", "some", "marked")
EARRINGS = ("none", "earrings")
# The keys of Likeness.to_dict(): the first five are the original contract of `moji render --json`
LIKENESS_KEYS = frozenset({"hair", "facial_hair", "glasses", "headwear", "skin", "hair_detail",
                           "facial_hair_rgb", "headwear_rgb", "eyes", "age_signs", "earrings",
                           "face"})
METHODS = ("auto", "bisenet", "basic")

# The 10 official Monk Skin Tone swatches (Ellis Monk, Google 2022), lightest first.
MONK_SCALE = ("#f6ede4", "#f3e7db", "#f7ead0", "#eadaba", "#d7bd96",
              "#a07e56", "#825c43", "#604134", "#3a312a", "#292420")

HAIR_SWATCHES = {
    "black": "#1e1b1a",
    "dark_brown": "#3d2b20",
    "brown": "#6b4a31",
    "light_brown": "#97714d",
    "auburn": "#8c3f24",
    "red": "#b4552c",
    "blonde": "#d2b274",
    "grey": "#9b9a97",
    "white": "#e4e2dd",
}

EYE_SWATCHES = {
    "dark_brown": "#3b2416",
    "brown": "#6a4023",
    "hazel": "#8a6a32",
    "green": "#5b7a46",
    "blue": "#4f7fae",
    "grey": "#8b959c",
}


def hex_to_rgb(value: str) -> tuple[int, int, int]:
    value = value.lstrip("#")
    if len(value) != 6:
        raise ValueError(f"not a #rrggbb colour: {value!r}")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def rgb_to_hex(rgb: tuple[int, int, int] | np.ndarray) -> str:
    r, g, b = (int(np.clip(round(float(c)), 0, 255)) for c in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


def srgb_to_lab(rgb: Any) -> np.ndarray:
    """sRGB 0..255 (..., 3) -> CIELAB (D65), as float64."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = c @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]),
                     200 * (f[..., 1] - f[..., 2])], axis=-1)


_MONK_LAB = srgb_to_lab([hex_to_rgb(h) for h in MONK_SCALE])


def monk_index(rgb: Any) -> int:
    """1..10: the Monk Skin Tone swatch nearest to `rgb` in CIELAB."""
    lab = srgb_to_lab(np.asarray(rgb, dtype=np.float64)[:3])
    return int(np.argmin(((_MONK_LAB - lab) ** 2).sum(axis=1))) + 1


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
                if self.hair_highlight_rgb else None}
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


# --------------------------------------------------------------------------------------------
# Colour naming and light correction (shared by both methods)

def is_greyscale(rgb: np.ndarray) -> bool:
    """True for photos whose channels are (nearly) equal: no colour to measure."""
    small = rgb[:: max(1, rgb.shape[0] // 64), :: max(1, rgb.shape[1] // 64)].astype(np.int16)
    return bool(np.abs(small[..., 0] - small[..., 1]).mean() < 2.0
                and np.abs(small[..., 2] - small[..., 1]).mean() < 2.0)


def name_hair_colour(rgb: Any, grey_photo: bool = False) -> str:
    """A hair colour name for a light-corrected hair colour.

    Thresholds tuned on the shared face photos (moji/evaluate_likeness.py records them).
    """
    lab = srgb_to_lab(np.asarray(rgb, dtype=np.float64)[:3])
    lightness, a, b = float(lab[0]), float(lab[1]), float(lab[2])
    chroma = float(np.hypot(a, b))
    if grey_photo:
        if lightness < 30:
            return "black"
        if lightness > 78:
            return "white"
        if lightness > 58:
            return "grey"
        return "dark_brown"
    if lightness < 24:
        return "black"
    if chroma < 9 and lightness > 45:
        return "white" if lightness > 75 else "grey"
    hue = float(np.degrees(np.arctan2(b, a)))
    if lightness > 55 and b > 18 and hue > 55:
        return "blonde"
    if a > 16 and hue < 52 and chroma > 24:
        return "red" if lightness > 42 else "auburn"
    if lightness < 34:
        return "dark_brown"
    return "brown" if lightness < 55 or chroma > 22 else "blonde"


# Typical shades-of-grey estimate of a neutrally lit portrait (channel / mean): faces fill the
# frame, so the average photo's "grey" is warm. The median over the 540 shared colour photos is
# (1.16, 0.96, 0.89); this slightly warmer value keeps corrected skin off the bluish light Monk
# swatches (1-2), and more photos within one Monk step under all four lights (94% vs 82%).
CAST_NEUTRAL = np.array([1.18, 0.97, 0.85])
CAST_STRENGTH = 1.0  # 1 = divide out the whole difference from CAST_NEUTRAL
EXPOSURE_LEVEL = 200.0  # the bright reference (percentile of luma) of a well exposed photo
EXPOSURE_PERCENTILE = 90.0  # the 97th clips when a photo is brightened: 88% -> 95% stable
EXPOSURE_STRENGTH = 0.9
# Eye whites and teeth as the white reference: on the shared colour photos (small crops, a few
# dozen sclera pixels at best) they made the cast less stable, not more (warm light: 94% of
# photos within one Monk step with them, 99.8% with shades of grey alone), so they are off.
USE_WHITES = False
WHITES_MIN = 30
# Photo skin is shaded and the camera's tone curve darkens it: a gain that maps the corrected
# lit-cheek colour onto the Monk swatches' scale (chosen so that the mean Monk error on the
# labelled colour photos is near zero).
SKIN_TO_SWATCH = 0.97


@dataclass
class Light:
    """Per-channel gains that take this photo's colours to a neutral, normally exposed light."""

    gains: np.ndarray  # (3,)
    source: str  # what the cast was measured on: "sclera", "grey_world", "none"

    def apply(self, rgb: Any) -> np.ndarray:
        return np.clip(np.asarray(rgb, dtype=np.float64) * self.gains, 0, 255)


def estimate_light(rgb: np.ndarray, whites: np.ndarray | None = None,
                   grey_photo: bool = False) -> Light:
    """The light of a photo from references it gives: eye whites/teeth, grey world, highlights.

    `whites`: (N, 3) pixels of the eye whites and teeth, when found.
    """
    pixels = rgb.reshape(-1, 3)
    if len(pixels) > 40_000:
        pixels = pixels[:: len(pixels) // 40_000]
    pixels = pixels.astype(np.float64)
    luma = pixels @ np.array([0.299, 0.587, 0.114])
    bright = float(np.percentile(luma, EXPOSURE_PERCENTILE))
    exposure = (EXPOSURE_LEVEL / max(bright, 8.0)) ** EXPOSURE_STRENGTH
    if grey_photo:
        return Light(gains=np.full(3, exposure), source="none")
    source = "grey_world"
    cast = None
    if USE_WHITES and whites is not None and len(whites) >= WHITES_MIN:
        w = np.median(whites.astype(np.float64), axis=0)
        if w.min() > 20:
            # Eye whites are slightly warm even in neutral light: compare with that, not grey.
            cast = (w / w.mean()) / np.array([1.04, 1.0, 0.96])
            source = "sclera"
    if cast is None:
        keep = luma < 250  # clipped pixels have lost their colour
        p = 6.0
        norm = (np.mean(pixels[keep] ** p, axis=0) ** (1 / p)) if keep.sum() > 50 else \
            pixels.mean(axis=0) + 1.0
        cast = (norm / norm.mean()) / CAST_NEUTRAL
    cast = np.clip(cast, 0.6, 1.6) ** CAST_STRENGTH
    gains = exposure / cast
    gains *= 1.0 / float(gains @ np.array([0.299, 0.587, 0.114]) / exposure)
    return Light(gains=gains, source=source)


def lit_median(pixels: np.ndarray) -> np.ndarray:
    """The median colour of the brighter half of some pixels (the lit side, not the shadows)."""
    pixels = np.asarray(pixels, dtype=np.float64).reshape(-1, 3)
    if len(pixels) == 0:
        return np.array([150.0, 110.0, 90.0])
    luma = pixels @ np.array([0.299, 0.587, 0.114])
    cut = np.median(luma)
    upper = pixels[luma >= cut]
    return np.median(upper if len(upper) else pixels, axis=0)


def body_colour(pixels: np.ndarray) -> np.ndarray:
    """The colour of hair's body: the median of the pixels between the 20th and 60th
    percentile of luma. Highlights and stray skin or background at the mask's edges are
    brighter than hair; the plain median called 16% of black-haired heads brown or blonde.
    """
    pixels = np.asarray(pixels, dtype=np.float64).reshape(-1, 3)
    luma = pixels @ np.array([0.299, 0.587, 0.114])
    lo, hi = np.percentile(luma, [20, 60])
    body = pixels[(luma >= lo) & (luma <= hi)]
    return np.median(body if len(body) else pixels, axis=0)


def skin_from_pixels(pixels: np.ndarray, light: Light, grey_photo: bool = False
                     ) -> tuple[tuple[int, int, int], int]:
    """The light-corrected skin colour of some skin pixels, and its Monk index."""
    corrected = light.apply(lit_median(pixels)) * SKIN_TO_SWATCH
    corrected = np.clip(corrected, 0, 255)
    if grey_photo:
        # No colour: keep the lightness and borrow the chroma of the Monk swatch of that
        # lightness, so that a greyscale face gets a plausible skin colour.
        lightness = float(srgb_to_lab(corrected)[0])
        idx = int(np.argmin(np.abs(_MONK_LAB[:, 0] - lightness)))
        # Monk 1-4 share one lightness: take the middle of them rather than the first.
        idx = 2 if idx < 4 else idx
        rgb = hex_to_rgb(MONK_SCALE[idx])
        return rgb, idx + 1
    rgb = tuple(int(round(c)) for c in corrected)
    return rgb, monk_index(rgb)  # type: ignore[return-value]


# --------------------------------------------------------------------------------------------
# Regions from landmarks, in a head frame

@dataclass
class HeadFrame:
    """A square, upright crop of the photo around the head, framed like CelebAMask-HQ.

    The eyes sit at 47.5% of the height, FRAME_EYES of the frame apart; the frame covers the
    head, the hair beside it down to the chin, and hats.
    """

    size: int
    matrix: np.ndarray  # (2, 3) image -> frame
    image: np.ndarray  # (size, size, 3) uint8
    valid: np.ndarray  # (size, size) bool: the pixel comes from the photo (not the border)
    points: np.ndarray  # (478, 2) landmarks in the frame

    @property
    def eye_distance(self) -> float:
        return self.size * FRAME_EYES

    def point(self, index: int) -> np.ndarray:
        return self.points[index]


# The head frame: eye distance as a share of the frame, and where the eyes sit. CelebAMask-HQ
# portraits have the eyes a quarter of the frame apart, at 47.5% of its height; a little closer
# (0.3) finds more glasses on the shared photos (tight crops whose borders BiSeNet sees as
# background): 85% of glasses and 83% of sunglasses instead of 77%/83%, 1% false positives.
FRAME_EYES = 0.3
FRAME_EYE_Y = 0.475


def head_frame(rgb: np.ndarray, face: FaceAnalysis, size: int) -> HeadFrame:
    import cv2

    from .align import anchor_points, similarity_transform

    s, e = float(size), FRAME_EYES
    y = FRAME_EYE_Y * s
    canonical = np.array([[(0.5 - e / 2) * s, y], [(0.5 + e / 2) * s, y], [0.5 * s, y + e * s]])
    matrix = similarity_transform(anchor_points(face.landmarks), canonical)
    # Beyond the photo: replicated edges, which BiSeNet parses better than a black border
    # (read as hair) or a mirror image (measured: fewer glasses found); what `valid` marks as
    # outside the photo is ignored by every measure.
    image = cv2.warpAffine(rgb, matrix, (size, size), flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REPLICATE)
    ones = np.full(rgb.shape[:2], 255, np.uint8)
    valid = cv2.warpAffine(ones, matrix, (size, size), flags=cv2.INTER_NEAREST,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=0) > 0
    points = face.landmarks[:, :2] @ matrix[:, :2].T + matrix[:, 2]
    return HeadFrame(size, matrix, image, valid, points.astype(np.float32))


def _poly_mask(shape: tuple[int, int], points: np.ndarray) -> np.ndarray:
    import cv2

    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [np.round(points).astype(np.int32)], 1)
    return mask.astype(bool)


@dataclass
class FaceRegions:
    """Masks in a head frame, from the landmarks alone."""

    oval: np.ndarray
    cheeks: np.ndarray  # upper cheeks and forehead: the skin reference
    upper_lip: np.ndarray
    chin: np.ndarray
    jaw: np.ndarray
    lips: np.ndarray
    eyes: np.ndarray
    face_width: float
    chin_y: float
    brow_y: float
    top_y: float  # the top of the face outline (hairline or forehead)


def face_regions(frame: HeadFrame) -> FaceRegions:
    shape = (frame.size, frame.size)
    p = frame.points
    oval = _poly_mask(shape, p[lm.FACE_OVAL])
    lips = _poly_mask(shape, p[lm.LIPS_OUTER])
    eyes = _poly_mask(shape, p[lm.EYE_LEFT]) | _poly_mask(shape, p[lm.EYE_RIGHT])
    yy, xx = np.mgrid[0:frame.size, 0:frame.size]
    d = frame.eye_distance
    left_x, right_x = p[lm.MOUTH_CORNERS[0], 0], p[lm.MOUTH_CORNERS[1], 0]
    mouth_w = right_x - left_x
    nose_y = p[2, 1]  # under the nose
    lip_top = p[lm.LIP_OUTER[0], 1]
    lip_bottom = p[lm.LIP_OUTER[1], 1]
    chin_y = p[lm.CHIN, 1]
    cx = (left_x + right_x) / 2
    upper_lip = ((yy > nose_y + 0.04 * d) & (yy < lip_top - 0.03 * d)
                 & (np.abs(xx - cx) < 0.42 * mouth_w) & oval & ~lips)
    chin = ((yy > lip_bottom + 0.08 * d) & (yy < chin_y - 0.06 * d)
            & (np.abs(xx - cx) < 0.5 * mouth_w) & oval)
    mouth_y = (lip_top + lip_bottom) / 2
    jaw = ((yy > mouth_y - 0.05 * d) & (np.abs(xx - cx) > 0.62 * mouth_w)
           & (yy < chin_y) & oval)
    # Keep only the outer band of the jaw: the inner part is often lit like a cheek.
    import cv2

    inner = cv2.erode(oval.astype(np.uint8), np.ones((3, 3), np.uint8),
                      iterations=max(1, int(0.28 * d))).astype(bool)
    jaw &= ~inner | (yy > mouth_y + 0.25 * d)
    eye_y = (p[lm.EYE_LEFT_CORNERS[0], 1] + p[lm.EYE_RIGHT_CORNERS[1], 1]) / 2
    cheek_points = p[list(lm.CHEEK_SKIN)]
    r = 0.22 * d
    cheeks = np.zeros(shape, bool)
    for (x, y) in cheek_points[:2]:
        cheeks |= (xx - x) ** 2 + (yy - y) ** 2 < r * r
    fx, fy = cheek_points[2]
    forehead = ((xx - fx) ** 2 / (1.8 * r) ** 2 + (yy - fy) ** 2 / (0.8 * r) ** 2) < 1
    cheeks = ((cheeks & (yy > eye_y + 0.12 * d)) | forehead) & oval & ~eyes
    brow_y = float(p[lm.BROW_LEFT + lm.BROW_RIGHT, 1].min())
    width = float(np.linalg.norm(p[lm.CHEEKS[1]] - p[lm.CHEEKS[0]]))
    return FaceRegions(oval, cheeks & frame.valid, upper_lip & frame.valid, chin & frame.valid,
                       jaw & frame.valid, lips & frame.valid, eyes & frame.valid, width,
                       float(chin_y), brow_y, float(p[lm.FOREHEAD, 1]))


def _luma(image: np.ndarray) -> np.ndarray:
    return image.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)


def facial_hair_features(frame: HeadFrame, regions: FaceRegions,
                         skin: np.ndarray | None = None) -> dict[str, float]:
    """Darkness and roughness of upper lip, chin and jaw relative to the upper cheeks.

    `skin`: an optional mask of what a parser calls skin, to keep glasses, hair and hands out
    of the regions. Returns {region_dark, region_rough, region_sat} per region; dark < 1 is
    darker than the cheeks, rough > 1 more textured.
    """
    import cv2

    luma = _luma(frame.image)
    blur = cv2.GaussianBlur(luma, (0, 0), max(1.0, frame.size / 256))
    detail = np.abs(luma - blur)
    hsv_sat = frame.image.max(axis=2).astype(np.float32) - frame.image.min(axis=2)
    feats: dict[str, float] = {}
    ref = regions.cheeks if skin is None else regions.cheeks & skin
    if ref.sum() < 20:
        ref = regions.cheeks
    if ref.sum() < 5:
        return {f"{r}_{k}": 1.0 if k != "dark_share" else 0.0
                for r in ("upper_lip", "chin", "jaw")
                for k in ("dark", "rough", "sat", "p20", "dark_share")}
    ref_luma = float(np.median(luma[ref])) + 1.0
    ref_rough = float(np.mean(detail[ref])) + 0.5
    ref_sat = float(np.median(hsv_sat[ref])) + 2.0
    for name in ("upper_lip", "chin", "jaw"):
        mask = getattr(regions, name)
        if skin is not None and (mask & skin).sum() > 10:
            mask = mask & skin
        if mask.sum() < 5:
            feats.update({f"{name}_dark": 1.0, f"{name}_rough": 1.0, f"{name}_sat": 1.0,
                          f"{name}_p20": 1.0, f"{name}_dark_share": 0.0})
            continue
        values = luma[mask]
        feats[f"{name}_dark"] = float(np.median(values)) / ref_luma
        feats[f"{name}_p20"] = float(np.percentile(values, 20)) / ref_luma
        feats[f"{name}_dark_share"] = float(np.mean(values < 0.65 * ref_luma))
        feats[f"{name}_rough"] = float(np.mean(detail[mask])) / ref_rough
        feats[f"{name}_sat"] = (float(np.median(hsv_sat[mask])) + 2.0) / ref_sat
    return feats


# Facial hair is read by a small softmax over the log of these features (classes in
# FACIAL_HAIR order), fitted on 1,076 labelled shared photos (eval/likeness.csv) with an L2
# penalty; cross-validated by person: 83% none-vs-any, 76% in five classes. A hand-written rule
# on the same features did worse (78% / 73%). These rows include the held-out half of the later
# by-person split (moji.evaluate_likeness.split_of): refitted on the tuning half alone, the
# same model gets 87.8% none-vs-any on the held-out half (this fit: 91.3%, optimistic).
FACIAL_HAIR_FEATURES = tuple(f"{r}_{k}" for r in ("upper_lip", "chin", "jaw")
                             for k in ("dark", "rough", "sat", "p20", "dark_share"))
FACIAL_HAIR_WEIGHTS = np.array([
    (2.423, 1.311, -3.781, -0.152, 0.200),
    (-1.022, -0.245, 0.969, 1.622, -1.324),
    (2.439, 0.428, -3.338, 1.488, -1.016),
    (-1.226, 0.285, 1.355, 0.070, -0.483),
    (-0.950, 0.133, 0.028, 0.463, 0.326),
    (1.762, -2.301, 0.462, -0.541, 0.618),
    (-0.277, 0.898, -1.322, 0.106, 0.595),
    (0.558, -1.757, 1.762, 0.508, -1.070),
    (-1.900, 1.910, -0.384, 0.036, 0.338),
    (-0.336, 0.815, -0.552, 0.023, 0.049),
    (-0.245, -0.412, 0.166, 0.492, -0.002),
    (-1.416, 0.376, -0.613, -0.244, 1.898),
    (-1.365, -0.299, 2.079, 1.220, -1.634),
    (0.160, 0.087, 1.212, -0.589, -0.870),
    (0.181, -0.463, 0.202, 0.134, -0.055),
])
FACIAL_HAIR_BIAS = np.array([-0.497, 1.164, -0.996, -0.557, 0.885])


def classify_facial_hair(f: dict[str, float]) -> str:
    x = np.log(np.clip([f[k] for k in FACIAL_HAIR_FEATURES], 0.05, 5.0))
    return FACIAL_HAIR[int(np.argmax(x @ FACIAL_HAIR_WEIGHTS + FACIAL_HAIR_BIAS))]


def find_whites(frame: HeadFrame, regions: FaceRegions, mouth_open: float) -> np.ndarray:
    """Eye-white and teeth pixels: the bright, unsaturated pixels inside the eyes and lips."""
    img = frame.image.reshape(-1, 3)
    luma = _luma(frame.image).reshape(-1)
    sat = (frame.image.max(axis=2).astype(np.float32) - frame.image.min(axis=2)).reshape(-1)
    picks = []
    masks = [regions.eyes.reshape(-1)]
    if mouth_open > 0.15:
        masks.append(regions.lips.reshape(-1))
    skin_luma = float(np.median(luma[regions.cheeks.reshape(-1)])) if regions.cheeks.any() else 0
    for mask in masks:
        idx = np.flatnonzero(mask)
        if len(idx) < 20:
            continue
        cut = np.percentile(luma[idx], 80)
        good = idx[(luma[idx] >= cut) & (luma[idx] > skin_luma * 0.9)]
        good = good[sat[good] < np.percentile(sat[idx], 50) + 1]
        picks.append(img[good])
    return np.concatenate(picks) if picks else np.zeros((0, 3), np.uint8)


def glasses_from_eyes(frame: HeadFrame, regions: FaceRegions) -> dict[str, float]:
    """Landmark-only cues of glasses, each relative to the same face's cheeks.

    - bridge_edges: horizontal edges across the nose bridge between the eyes (the frame's
      bridge), where bare skin is smooth;
    - rim_edges / rim_min: the lower rims, a horizontal edge under each eye (mean / weaker side);
    - ring_edges / ring_min: edge energy on a ring just outside each eye's lens ellipse, below
      the brows (the rims and the lenses' outline), mean / weaker side;
    - highlights: share of the lens area (around the eye, not the eye) brighter than nearly all
      of the cheek (specular reflections on the lenses);
    - eye_dark / eye_band_dark: median luma of the eyes / of the lens ellipses vs the cheeks
      (dark lenses hide the eyes);
    - eye_contrast: the spread of luma inside the eyes (white sclera, dark iris) vs the cheek
      luma: low when the eyes are hidden behind tinted lenses;
    - eye_texture: high-pass energy inside the lens ellipses vs the cheeks (flat dark lenses).
    """
    import cv2

    luma = _luma(frame.image)
    gy = np.abs(cv2.Sobel(luma, cv2.CV_32F, 0, 1, ksize=3))
    gx = np.abs(cv2.Sobel(luma, cv2.CV_32F, 1, 0, ksize=3))
    mag = gx + gy
    p = frame.points
    d = frame.eye_distance
    (lx, ly), (rx, ry) = p[lm.EYE_LEFT_CORNERS[1]], p[lm.EYE_RIGHT_CORNERS[0]]
    cx, cy = (lx + rx) / 2, (ly + ry) / 2
    s = frame.size
    valid = frame.valid

    def box(x0: float, x1: float, y0: float, y1: float) -> tuple[slice, slice]:
        x0, x1 = int(max(0, x0)), int(min(s, x1))
        y0, y1 = int(max(0, y0)), int(min(s, y1))
        return (slice(y0, max(y0 + 1, y1)), slice(x0, max(x0 + 1, x1)))

    bridge = box(cx - 0.12 * d, cx + 0.12 * d, cy - 0.35 * d, cy + 0.05 * d)
    cheek = box(cx - 0.12 * d, cx + 0.12 * d, cy + 0.35 * d, cy + 0.6 * d)
    ref = float(gy[cheek].mean() + gx[cheek].mean()) + 1.0
    eye_luma = float(np.median(luma[regions.eyes])) if regions.eyes.any() else 0.0
    cheek_pixels = luma[regions.cheeks] if regions.cheeks.any() else np.array([128.0])
    cheek_luma = float(np.median(cheek_pixels))
    cheek_high = float(np.percentile(cheek_pixels, 98))
    # The frame's lower rim: a horizontal edge under each eye.
    rims = []
    for eye in (lm.EYE_LEFT, lm.EYE_RIGHT):
        ex, ey = p[eye, 0].mean(), p[eye, 1].max()
        rims.append(float(gy[box(ex - 0.3 * d, ex + 0.3 * d, ey + 0.1 * d, ey + 0.35 * d)]
                          .max(axis=1).mean()))
    # Rings just outside each lens ellipse, below the brows; the lens ellipses without the eyes.
    # Computed in a box around each eye only (a whole-frame grid costs milliseconds).
    rings, lens_values = [], []
    for eye in (lm.EYE_LEFT, lm.EYE_RIGHT):
        ex, ey = p[eye].mean(axis=0)
        sl = box(ex - 0.55 * d, ex + 0.55 * d, ey - 0.35 * d, ey + 0.35 * d)
        yy, xx = np.mgrid[sl]
        r2 = (xx - ex) ** 2 / (0.35 * d) ** 2 + (yy - ey) ** 2 / (0.22 * d) ** 2
        ok = valid[sl]
        ring = (r2 > 1.0) & (r2 < 2.2) & (yy > ey - 0.1 * d) & ok
        rings.append(float(mag[sl][ring].mean()) / ref if ring.sum() > 5 else 1.0)
        lens_values.append(luma[sl][(r2 < 1.0) & ok & ~regions.eyes[sl]])
    lens_luma = np.concatenate(lens_values)
    band = eye_band(frame) & valid
    band_luma = float(np.median(luma[band])) if band.any() else 0.0
    highlights = float((lens_luma > max(cheek_high, 1.08 * cheek_luma)).mean()) \
        if len(lens_luma) else 0.0
    if regions.eyes.sum() > 5:
        lo, hi = np.percentile(luma[regions.eyes], [10, 90])
        contrast = float(hi - lo) / (cheek_luma + 1.0)
    else:
        contrast = 0.0
    detail = np.abs(luma - cv2.GaussianBlur(luma, (0, 0), max(1.0, s / 256)))
    cheek_detail = float(detail[regions.cheeks].mean()) + 0.5 if regions.cheeks.any() else 1.0
    texture = float(detail[band].mean()) / cheek_detail if band.any() else 1.0
    return {"bridge_edges": float(gy[bridge].max(axis=0).mean()) / ref,
            "rim_edges": float(np.mean(rims)) / ref,
            "rim_min": float(np.min(rims)) / ref,
            "ring_edges": float(np.mean(rings)),
            "ring_min": float(np.min(rings)),
            "highlights": highlights,
            "eye_dark": eye_luma / (cheek_luma + 1.0),
            "eye_band_dark": band_luma / (cheek_luma + 1.0),
            "eye_contrast": contrast,
            "eye_texture": texture}


def eye_band(frame: HeadFrame) -> np.ndarray:
    """Ellipses around the eyes, where lenses are."""
    yy, xx = np.mgrid[0:frame.size, 0:frame.size]
    mask = np.zeros((frame.size, frame.size), bool)
    d = frame.eye_distance
    for eye in (lm.EYE_LEFT, lm.EYE_RIGHT):
        cx, cy = frame.points[eye].mean(axis=0)
        mask |= ((xx - cx) ** 2 / (0.35 * d) ** 2 + (yy - cy) ** 2 / (0.22 * d) ** 2) < 1
    return mask


# --------------------------------------------------------------------------------------------
# The estimator

@dataclass
class LikenessOptions:
    """How to measure likeness: method "auto" | "bisenet" | "basic" (default $MOJI_LIKENESS)."""

    method: str = field(default_factory=lambda: os.environ.get("MOJI_LIKENESS") or "auto")
    bisenet_weights: Path | None = None  # default: the model store, then $MOJI_BISENET_WEIGHTS
    segmenter_model: Path | None = None  # default: the model store's selfie_segmenter.tflite
    device: str | None = None
    size: int = 384  # BiSeNet input: 384 keeps one CPU core under 400 ms (512 is the original)


def find_bisenet_weights(options: LikenessOptions) -> Path | None:
    """The BiSeNet checkpoint: the options' path, else what the face parser finds
    (pipeline.bisenet.find_weights: $MOJI_BISENET_WEIGHTS, the torch hub folder, the model
    store), never downloading: its weights are for non-commercial research, so a user fetches
    them on purpose (`moji models fetch bisenet`)."""
    if options.bisenet_weights:
        return Path(options.bisenet_weights).expanduser()
    from .bisenet import find_weights

    return find_weights(allow_download=False)


def find_segmenter(options: LikenessOptions) -> Path:
    if options.segmenter_model:
        return Path(options.segmenter_model).expanduser()
    from . import models

    model = getattr(models, "SELFIE_SEGMENTER", None)
    if model is not None:
        return models.model_path(model)
    env = os.environ.get("MOJI_SELFIE_SEGMENTER")
    if env:
        return Path(env).expanduser()
    path = models.cache_dir() / "selfie_segmenter.tflite"
    if not path.is_file():
        raise MojiError("model_missing",
                        f"{path} does not exist. Run `moji models fetch selfie_segmenter`.")
    return path


def _bisenet_unavailable(options: LikenessOptions) -> str | None:
    try:
        import torch  # noqa: F401
    except ImportError:
        return "torch is not installed"
    try:
        path = find_bisenet_weights(options)
    except MojiError as exc:
        return exc.message
    if path is None or not path.is_file():
        return "the BiSeNet weights (79999_iter.pth) are not in the model cache"
    return None


class LikenessEstimator:
    """Measures a Likeness from a photo and its FaceAnalysis; a context manager."""

    name: str

    def __init__(self, impl: Any, name: str) -> None:
        self._impl = impl
        self.name = name

    @classmethod
    def create_from_options(cls, options: LikenessOptions | None = None) -> LikenessEstimator:
        options = options or LikenessOptions()
        method = options.method
        if method not in METHODS:
            raise MojiError("bad_likeness", f"Unknown likeness method {method!r}: use one of "
                            f"{', '.join(METHODS)}.")
        if method == "auto":
            why = _bisenet_unavailable(options)
            if why:
                log.info("likeness: using the basic method because %s", why)
                method = "basic"
            else:
                method = "bisenet"
        if method == "bisenet":
            from .likeness_bisenet import BiSeNetLikeness

            return cls(BiSeNetLikeness(options), "bisenet")
        from .likeness_basic import BasicLikeness

        return cls(BasicLikeness(options), "basic")

    def measure(self, rgb: np.ndarray, face: FaceAnalysis) -> Likeness:
        """The likeness of `face` in the photo `rgb` ((H, W, 3) uint8)."""
        if rgb.ndim == 2:
            rgb = np.repeat(rgb[..., None], 3, axis=2)
        return self._impl.measure(np.ascontiguousarray(rgb[..., :3]), face)

    def close(self) -> None:
        if self._impl is not None:
            self._impl.close()
            self._impl = None

    def __enter__(self) -> LikenessEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class Common:
    """What both methods measure the same way: the light, skin, facial hair, lips."""

    grey: bool
    light: Light
    skin_rgb: tuple[int, int, int]
    monk: int
    facial_hair: str
    facial_hair_features: dict[str, float]
    lips_rgb: tuple[int, int, int] | None


def measure_common(rgb: np.ndarray, face: FaceAnalysis, frame: HeadFrame, regions: FaceRegions,
                   skin: np.ndarray | None = None, lips: np.ndarray | None = None,
                   beard_hair: float = 0.0) -> Common:
    """Light, skin, facial hair and lips; `skin`/`lips` masks from a parser when there is one.

    `beard_hair`: the fraction of the chin and jaw a parser calls hair (BiSeNet sometimes
    does, for full beards).
    """
    grey = is_greyscale(rgb)
    whites = find_whites(frame, regions, face.blendshapes.get("jawOpen", 0.0)) \
        if USE_WHITES else None
    light = estimate_light(rgb, whites, grey_photo=grey)
    skin_mask = regions.cheeks if skin is None else regions.cheeks & skin
    if skin_mask.sum() < 10:
        skin_mask = regions.cheeks if regions.cheeks.sum() >= 10 else regions.oval & frame.valid
    skin_rgb, monk = skin_from_pixels(frame.image[skin_mask], light, grey_photo=grey)
    feats = facial_hair_features(frame, regions, skin)
    feats["beard_hair"] = beard_hair
    facial_hair = classify_facial_hair(feats)
    if beard_hair > 0.35 and facial_hair in ("none", "stubble", "moustache"):
        facial_hair = "beard"
    lip_mask = regions.lips if lips is None else lips & regions.lips
    lips_rgb = None
    if lip_mask.sum() >= 10 and not grey:
        lips_rgb = tuple(int(c) for c in light.apply(lit_median(frame.image[lip_mask])))
    return Common(grey, light, skin_rgb, monk, facial_hair, feats, lips_rgb)  # type: ignore[arg-type]


def facial_hair_colour(frame: HeadFrame, regions: FaceRegions, facial_hair: str, light: Light
                       ) -> tuple[int, int, int] | None:
    """The colour of the facial hair: the darker half of its regions, light-corrected."""
    if facial_hair == "none":
        return None
    mask = {"moustache": regions.upper_lip, "goatee": regions.chin | regions.upper_lip}.get(
        facial_hair, regions.chin | regions.jaw)
    pixels = frame.image[mask].astype(np.float64)
    if len(pixels) < 5:
        return None
    luma = pixels @ np.array([0.299, 0.587, 0.114])
    dark = pixels[luma <= np.median(luma)]
    return tuple(int(c) for c in light.apply(np.median(dark, axis=0)))  # type: ignore[return-value]
