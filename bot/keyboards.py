"""Inline keyboards.

The /me keyboards are laid out in worker.identity as plain Bot API JSON (the worker sends the
identity sticker with its keyboard and must not import the bot); `markup` turns one into
python-telegram-bot's type for the bot's own edits.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from worker.identity import CALLBACK_PREFIX as ME_PREFIX

STYLE_PREFIX = "style:"
PACK_PREFIX = "pack:"  # the "Make my pack" button (worker.packs.CALLBACK_MAKE)
LANGUAGE_PREFIX = "lang:"

__all__ = ["LANGUAGE_PREFIX", "ME_PREFIX", "PACK_PREFIX", "STYLE_PREFIX", "language_keyboard",
           "markup", "style_keyboard"]


def style_keyboard(styles: list[tuple[str, str]], current: str) -> InlineKeyboardMarkup:
    """One button per style, (name, title) pairs, the current one ticked; two per row."""
    buttons = [
        InlineKeyboardButton(("✓ " if name == current else "") + title,
                             callback_data=STYLE_PREFIX + name)
        for name, title in styles
    ]
    return InlineKeyboardMarkup([buttons[i:i + 2] for i in range(0, len(buttons), 2)])


def markup(keyboard: dict[str, Any]) -> InlineKeyboardMarkup:
    """{"inline_keyboard": [[{"text", "callback_data"}, ...], ...]} as InlineKeyboardMarkup."""
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(b["text"], callback_data=b["callback_data"]) for b in row]
        for row in keyboard["inline_keyboard"]])


def language_keyboard(languages: dict[str, str], current: str) -> InlineKeyboardMarkup:
    """One button per language, each in its own name, the current one ticked; two per row."""
    buttons = [
        InlineKeyboardButton(("✓ " if code == current else "") + name,
                             callback_data=LANGUAGE_PREFIX + code)
        for code, name in languages.items()
    ]
    return InlineKeyboardMarkup([buttons[i:i + 2] for i in range(0, len(buttons), 2)])
