"""The likeness's vocabulary: the names of each trait's values, and their swatches.

Numpy-free: the bot imports these to offer choices in /me.
"""

from __future__ import annotations

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
