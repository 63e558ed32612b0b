"""A person's sticker pack: the same face in 24 expressions, one per emoji.

    stickers = render_pack(pipe, likeness, face_part, "classic")
    for item, png in stickers: item.emoji, item.keywords, png  # 512x512 PNGs, PACK's order

Pure image work: no Telegram, no Redis, no files. Each expression names its parts by id (the
pack-only parts, `"match": false`, and the ordinary ones); `fallback` names parts every style
has had from the start, drawn where a style lacks the wanted part, so that a style whose new
parts are not drawn yet still gives 24 different stickers instead of 24 calm faces.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .likeness import Likeness
from .style import Style, load_style

# Kinds an expression may name. Everything else (face, hair, beard...) is the person's own.
EXPRESSION_KINDS = ("eyes", "brows", "mouth", "extras", "glasses")


@dataclass(frozen=True)
class PackSticker:
    """One sticker of the pack: its emoji (the first of its emoji_list), its search words, and
    the parts it is drawn with ({kind: part id}; kinds left out keep the calm default)."""

    emoji: str
    keywords: tuple[str, ...]
    expression: dict[str, str] = field(hash=False)
    # parts drawn instead where the style has no part for `expression[kind]` (see module doc)
    fallback: dict[str, str] = field(default_factory=dict, hash=False, compare=False)


def _s(emoji: str, keywords: str, parts: str, fallback: str = "") -> PackSticker:
    """A PackSticker from space-separated words and part ids (a part id starts with its kind)."""
    def kinds(ids: str) -> dict[str, str]:
        return {part_id.split("-", 1)[0]: part_id for part_id in ids.split()}

    return PackSticker(emoji, tuple(keywords.split()), kinds(parts), kinds(fallback))


# The order is the order of the set on Telegram (and of the issue). Expressions: the art's final
# choices (written by the art helper to pack_expressions.json), then the fallbacks of the parts
# new to the pack; kinds left out get the calm default (eyes open, brows neutral, mouth smile).
# Keywords: English words a person types in the sticker search; Telegram allows 0-20 of them,
# 64 characters in all.
PACK: tuple[PackSticker, ...] = (
    _s("😀", "grin happy smile", "eyes-open-big brows-raised-slight mouth-grin-wide"),
    _s("😁", "beam grin happy teeth", "eyes-squint-happy mouth-grin-wide"),
    _s("😂", "joy laugh lol tears funny",
       "eyes-squint-happy brows-raised mouth-laugh extras-tears-joy", "mouth-open-wide"),
    _s("🤣", "rofl laugh lmao funny", "eyes-crying brows-sad mouth-laugh extras-tears-joy",
       "eyes-closed mouth-grin-wide"),
    _s("😊", "blush smile happy shy", "eyes-squint-happy mouth-smile extras-blush"),
    _s("😍", "love heart eyes crush", "eyes-heart mouth-grin extras-hearts", "eyes-wide"),
    _s("😘", "kiss love heart mwah", "eyes-wink-left mouth-kiss extras-kiss-heart"),
    _s("😉", "wink flirt joke", "eyes-wink-left brows-raised-slight mouth-smile-wide"),
    _s("😜", "tongue wink silly crazy", "eyes-wink-left brows-raised mouth-tongue"),
    _s("😎", "cool sunglasses chill", "mouth-smile-wide extras-sparkles glasses-sunglasses"),
    _s("🤔", "think hmm wonder", "eyes-side brows-raised mouth-neutral-small extras-hand-chin",
       "eyes-open-small"),
    _s("😐", "neutral meh blank", "eyes-open brows-neutral-low mouth-neutral"),
    _s("🙄", "eyeroll whatever bored", "eyes-roll brows-raised mouth-neutral-small",
       "eyes-open-big"),
    _s("😏", "smirk sly", "eyes-side brows-raised-slight mouth-smirk", "eyes-squint"),
    _s("😢", "sad cry tear", "eyes-open brows-sad mouth-frown extras-tear"),
    _s("😭", "sob cry tears upset", "eyes-crying brows-sad mouth-frown-open extras-tears",
       "eyes-closed"),
    _s("😡", "angry mad rage", "eyes-squint brows-furrowed mouth-frown-deep extras-anger"),
    _s("😱", "scream shock scared omg", "eyes-wide brows-raised mouth-scream extras-sweat",
       "mouth-open-wide"),
    _s("😳", "flushed embarrassed oops", "eyes-wide brows-raised mouth-neutral-small extras-blush"),
    _s("😴", "sleep tired zzz", "eyes-sleep mouth-open-small extras-zzz", "eyes-closed"),
    _s("🥳", "party celebrate birthday", "eyes-squint-happy mouth-grin extras-party"),
    _s("🤗", "hug thanks warm", "eyes-squint-happy brows-raised-slight mouth-grin extras-hug"),
    _s("🤫", "shush quiet secret", "eyes-side brows-raised mouth-shush extras-shush",
       "eyes-open mouth-kiss"),
    _s("🥺", "please pleading puppy", "eyes-teary brows-sad mouth-wobble",
       "eyes-open-big mouth-frown"),
)


def _has(style: Style, part_id: str) -> bool:
    kind = part_id.split("-", 1)[0]
    return any(p.id == part_id for p in style.parts.get(kind, ()))


def resolve(style: Style, item: PackSticker) -> dict[str, str]:
    """The part ids to draw a pack sticker with in a style: each wanted part when the style has
    it, else its fallback; a kind with neither is left out (render_identity then draws the
    calm default, or nothing for extras)."""
    chosen: dict[str, str] = {}
    for kind, part_id in item.expression.items():
        if _has(style, part_id):
            chosen[kind] = part_id
        elif kind in item.fallback and _has(style, item.fallback[kind]):
            chosen[kind] = item.fallback[kind]
    for kind, part_id in item.fallback.items():  # a fallback for a kind not named above
        if kind not in chosen and kind not in item.expression and _has(style, part_id):
            chosen[kind] = part_id
    return chosen


def use_expressions(choices: dict[str, dict[str, str]]) -> tuple[PackSticker, ...]:
    """PACK with each emoji's expression replaced by `choices[emoji]` where given (the art's
    final part ids, e.g. from a JSON file); the fallbacks stay."""
    return tuple(PackSticker(p.emoji, p.keywords, dict(choices.get(p.emoji, p.expression)),
                             p.fallback) for p in PACK)


def render_pack(pipe: Any, likeness: Likeness, face_part: str | None,
                style: str | None = None,
                pack: tuple[PackSticker, ...] = PACK) -> list[tuple[PackSticker, bytes]]:
    """Every sticker of the pack as (PackSticker, 512x512 PNG), in the pack's order.

    `pipe` is a pipeline.Pipeline (its render_identity draws each one); the likeness and face
    part are the person's kept identity. Part layers are rasterised once and shared across the
    24 stickers (pipeline.compose's layer cache), which keeps a whole pack under a second.
    """
    chosen_style = load_style(style or pipe.options.style)
    out = []
    for item in pack:
        sticker = pipe.render_identity(likeness, face_part, style=chosen_style.name,
                                       expression=resolve(chosen_style, item))
        out.append((item, sticker.png))
    return out
