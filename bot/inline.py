"""Inline mode: which of a person's stickers answer `@bot <emoji or words>`.

Pure functions on the entries worker.jobs.record_sticker keeps per person (newest first:
{"file_id", "emoji", "keywords"}); the handler (bot.handlers.inline_query) reads them and
answers. A query matches a sticker when every word of it does: a word matches the start of one
of the sticker's keywords (in English, or in the person's language), an emoji matches the
sticker's emoji. An empty query matches everything, so it shows the most recent.
"""

from __future__ import annotations

import hashlib
import warnings
from functools import lru_cache
from typing import Any

from telegram.warnings import PTBUserWarning

from worker import i18n
from worker.i18n import N_, _

# bot.handlers.inline_query sends its results as plain dicts through do_api_request (building
# 50 InlineQueryResultCachedSticker objects was most of the bot's CPU per answer), on purpose;
# python-telegram-bot warns at the first call that Bot.answer_inline_query exists: not for us.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.answerInlineQuery' instead",
                        category=PTBUserWarning)

MAX_RESULTS = 50  # answerInlineQuery takes at most 50 results

# The expression tags (docs/design.md's fixed vocabulary) as a person may type them, so that
# "улыбка" or "sonrisa" find a "smile" sticker as "smile" does.
SEARCH_WORDS = {
    "neutral": N_("neutral"), "smile": N_("smile"), "grin": N_("grin"), "open": N_("open"),
    "frown": N_("frown"), "smirk": N_("smirk"), "tongue": N_("tongue"), "kiss": N_("kiss"),
    "closed": N_("closed"), "wink": N_("wink"), "wide": N_("wide"), "squint": N_("squint"),
    "raised": N_("raised"), "furrowed": N_("furrowed"), "sad": N_("sad"),
}

_VARIATION = "\ufe0f"  # emoji presentation selector: "☺️" and "☺" are the same emoji


def _plain(text: str) -> str:
    return text.replace(_VARIATION, "").casefold()


@lru_cache(maxsize=64)
def _words(language: str, keyword: str) -> tuple[str, ...]:
    """A keyword and its names in a language, ready to compare (cached: an answer looks at up
    to 200 stickers, and the same few keywords recur)."""
    name = SEARCH_WORDS.get(keyword)
    with i18n.using(language):
        names = _(name).split() if name else []
    return (_plain(keyword), *(_plain(n) for n in names))


def words_of(entry: dict[str, Any]) -> list[str]:
    """A sticker's searchable words: its keywords, and their names in the current language."""
    language = i18n.current()
    return [w for keyword in entry.get("keywords") or [] for w in _words(language, keyword)]


def matches(entry: dict[str, Any], tokens: list[str]) -> bool:
    """Does every token of a query (already plain) match this sticker?"""
    if not tokens:
        return True
    emoji = _plain(entry.get("emoji") or "")
    words = words_of(entry)
    for token in tokens:
        if any(word.startswith(token) for word in words):
            continue
        if emoji and (emoji in token or token in emoji):  # "😁", or "😁😂" run together
            continue
        return False
    return True


def search(stickers: list[dict[str, Any]], query: str,
           limit: int = MAX_RESULTS) -> list[dict[str, Any]]:
    """The stickers a query finds, newest first, each file once, at most `limit`."""
    tokens = _plain(query).split()
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    for entry in stickers:
        file_id = entry["file_id"]
        if file_id in seen or not matches(entry, tokens):
            continue
        seen.add(file_id)
        found.append(entry)
        if len(found) >= limit:
            break
    return found


def results(stickers: list[dict[str, Any]]) -> list[dict[str, str]]:
    """answerInlineQuery's results for these stickers (InlineQueryResultCachedSticker)."""
    return [{"type": "sticker", "id": result_id(s["file_id"]), "sticker_file_id": s["file_id"]}
            for s in stickers]


def result_id(file_id: str) -> str:
    """A result id (1-64 bytes, unique in an answer) for a sticker."""
    return hashlib.blake2b(file_id.encode(), digest_size=12).hexdigest()
