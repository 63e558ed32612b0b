"""pipeline.pack: the 24 expressions of a person's sticker pack (issue 8 part 1), no Telegram."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from pipeline.compose import STICKER_MAX_BYTES
from pipeline.likeness import Likeness
from pipeline.pack import PACK, PackSticker, render_pack, resolve, use_expressions
from pipeline.style import list_styles, load_style

ISSUE_ORDER = "😀 😁 😂 🤣 😊 😍 😘 😉 😜 😎 🤔 😐 🙄 😏 😢 😭 😡 😱 😳 😴 🥳 🤗 🤫 🥺".split()
EXPRESSION_KINDS = {"eyes", "brows", "mouth", "extras", "glasses"}


def test_the_pack_is_the_issues_emoji_in_order_each_with_keywords():
    assert [p.emoji for p in PACK] == ISSUE_ORDER
    for item in PACK:
        assert isinstance(item, PackSticker)
        # Telegram: 0-20 keywords, 64 characters in all; at least one to be found by
        assert 1 <= len(item.keywords) <= 20 and sum(map(len, item.keywords)) <= 64
        assert all(k == k.lower() and " " not in k for k in item.keywords)
        assert set(item.expression) <= EXPRESSION_KINDS
        assert set(item.fallback) <= EXPRESSION_KINDS
        for kind, part_id in {**item.expression, **item.fallback}.items():
            assert part_id.startswith(kind + "-"), (item.emoji, part_id)
    assert len({tuple(sorted(p.expression.items())) for p in PACK}) == len(PACK)


@pytest.mark.parametrize("style", list_styles())
def test_every_style_draws_every_expression_differently(style):
    """What each style draws (wanted part, else fallback) is 24 different part sets, so the
    stickers differ even before the pack-only parts are drawn."""
    loaded = load_style(style)
    calm = {"eyes": "eyes-open", "brows": "brows-neutral", "mouth": "mouth-smile"}
    drawn = [calm | resolve(loaded, item) for item in PACK]  # a kind left out is drawn calm
    assert len({tuple(sorted(d.items())) for d in drawn}) == len(PACK)


def test_resolve_prefers_the_wanted_part_and_falls_back():
    style = load_style("classic")
    item = PackSticker("😍", ("love",), {"eyes": "eyes-no-such-part", "mouth": "mouth-grin"},
                       {"eyes": "eyes-wide"})
    assert resolve(style, item) == {"eyes": "eyes-wide", "mouth": "mouth-grin"}
    bare = PackSticker("🙂", ("smile",), {"extras": "extras-no-such-part"})
    assert resolve(style, bare) == {}


def test_use_expressions_swaps_in_the_arts_final_ids():
    changed = use_expressions({"😍": {"eyes": "eyes-heart-big", "mouth": "mouth-grin"}})
    assert [p.emoji for p in changed] == ISSUE_ORDER
    assert changed[5].expression == {"eyes": "eyes-heart-big", "mouth": "mouth-grin"}
    assert changed[5].fallback == PACK[5].fallback and changed[0] == PACK[0]


def test_render_pack_gives_24_distinct_512px_stickers(pipe):
    likeness = Likeness().replace(hair_length="long", hair_colour="red", glasses="glasses",
                                  monk=3)
    stickers = render_pack(pipe, likeness, "face-round", "classic")
    assert [item.emoji for item, _png in stickers] == ISSUE_ORDER
    pngs = [png for _item, png in stickers]
    assert len(set(pngs)) == len(PACK)
    for png in pngs:
        image = Image.open(io.BytesIO(png))
        assert image.format == "PNG" and image.size == (512, 512) and image.mode == "RGBA"
        assert len(png) <= STICKER_MAX_BYTES
    # the stickers are of this person: another look gives another sticker for every emoji
    other = render_pack(pipe, Likeness().replace(hair_length="short", hair_colour="black",
                                                 monk=8), "face-square", "classic")
    assert all(mine != theirs for mine, (_item, theirs) in zip(pngs, other, strict=True))


def test_sunglasses_are_drawn_over_the_persons_own_glasses(pipe):
    cool = PACK[ISSUE_ORDER.index("😎")]
    likeness = Likeness().replace(glasses="glasses")
    ((_item, png),) = render_pack(pipe, likeness, None, "classic", pack=(cool,))
    plain = pipe.render_identity(likeness, None, style="classic",
                                 expression={"mouth": "smile"})
    assert png != plain.png


# --- worker.packs: which sticker of a set each new drawing replaces --------------------------

class _FakeBot:
    """Just enough of a Bot API for worker.packs._replace: a set as a list, replace/add/get."""

    def __init__(self, stickers: list[dict]) -> None:
        self.stickers = stickers
        self.calls: list[tuple[str, dict]] = []
        self.n = 0

    def call(self, method: str, params: dict, files: dict | None = None) -> object:
        self.calls.append((method, params))
        self.n += 1
        new = {"file_id": f"new{self.n}", "emoji": params.get("sticker", {}).get(
            "emoji_list", ["?"])[0]}
        if method == "replaceStickerInSet":
            at = [s["file_id"] for s in self.stickers].index(params["old_sticker"])
            self.stickers[at] = new
        elif method == "addStickerToSet":
            self.stickers.append(new)
        elif method == "getStickerSet":
            return {"stickers": [dict(s) for s in self.stickers]}
        return True


def _replace_with(stickers: list[dict], record: dict) -> tuple[_FakeBot, str, dict]:
    from types import SimpleNamespace

    from worker.packs import PackRequest, _replace

    bot = _FakeBot(stickers)
    rt = SimpleNamespace(bot=bot)
    webps = [(item, b"webp") for item in PACK]
    action, generated = _replace(rt, PackRequest(1, 1, "classic"), "n_by_b", record, webps,
                                 [dict(s) for s in stickers])
    return bot, action, generated


def test_a_redraw_replaces_each_emojis_sticker_in_place_and_keeps_the_rest():
    generated = [{"file_id": f"g{i}", "emoji": p.emoji} for i, p in enumerate(PACK)]
    photo = {"file_id": "photo", "emoji": "🙂"}
    record = {"generated": {s["emoji"]: s["file_id"] for s in generated}}
    bot, action, new = _replace_with(generated + [photo], record)
    assert action == "replaced"
    assert [m for m, _p in bot.calls].count("replaceStickerInSet") == len(PACK)
    assert bot.stickers[-1] == photo and len(bot.stickers) == len(PACK) + 1
    assert list(new) == ISSUE_ORDER
    assert list(new.values()) == [s["file_id"] for s in bot.stickers[:len(PACK)]]


def test_a_retry_after_half_a_redraw_does_not_add_duplicates():
    """The first try replaced 10 stickers and died: their old file_ids are gone; the retry
    finds them by the pack's order at the start of the set."""
    stickers = [{"file_id": f"g{i}" if i >= 10 else f"half{i}", "emoji": p.emoji}
                for i, p in enumerate(PACK)] + [{"file_id": "photo", "emoji": "🙂"}]
    record = {"generated": {p.emoji: f"g{i}" for i, p in enumerate(PACK)}}
    bot, action, new = _replace_with(stickers, record)
    assert [m for m, _p in bot.calls].count("addStickerToSet") == 0
    assert len(bot.stickers) == len(PACK) + 1 and bot.stickers[-1]["file_id"] == "photo"
    assert len(new) == len(PACK)


def test_a_set_of_photo_stickers_only_gets_the_pack_added_while_there_is_room():
    photos = [{"file_id": f"p{i}", "emoji": "🙂"} for i in range(100)]
    bot, action, new = _replace_with(photos, {})
    assert action == "added" and len(bot.stickers) == 120  # the set's limit
    assert list(new) == ISSUE_ORDER[:20]
    assert [s["file_id"] for s in bot.stickers[-20:]] == list(new.values())
