"""Ranked guesses per trait for the traits read by rules (the others rank their own scores):
the measured value first, then the values a person would most likely pick instead (the
neighbours a rule confuses it with), so /me can offer them first."""

from __future__ import annotations

from .vocabulary import HAIR_STYLES, HEADWEAR

LENGTH_NEIGHBOURS = {"none": ("short", "medium"), "short": ("medium", "none"),
                     "medium": ("long", "short"), "long": ("medium", "tied"),
                     "tied": ("long", "short")}
STYLE_NEIGHBOURS = {"none": ("buzz", "short"), "short": ("side_part", "swept_back", "curly"),
                    "medium": ("bob", "long_straight", "curly"),
                    "long": ("long_wavy", "long_straight", "ponytail"),
                    "tied": ("ponytail", "bun", "bun_low")}
HEADWEAR_NEIGHBOURS = {"none": ("cap", "hat"), "cap": ("hat", "beanie"),
                       "hat": ("cap", "beanie"), "beanie": ("cap", "hat"),
                       "headscarf": ("hijab", "turban"), "hijab": ("headscarf", "turban"),
                       "turban": ("headscarf", "hat"), "keffiyeh": ("headscarf", "turban"),
                       "other": ("cap", "hat")}


def rank_lengths(length: str) -> tuple[str, ...]:
    return (length, *LENGTH_NEIGHBOURS.get(length, ()))[:3]


def rank_styles(style: str | None, length: str) -> tuple[str, ...]:
    ranked = [s for s in (style, *STYLE_NEIGHBOURS.get(length, ())) if s in HAIR_STYLES]
    return tuple(dict.fromkeys(ranked))[:3]


def rank_headwear(headwear: str) -> tuple[str, ...]:
    ranked = [h for h in (headwear, *HEADWEAR_NEIGHBOURS.get(headwear, ())) if h in HEADWEAR]
    return tuple(dict.fromkeys(ranked))[:3]
