"""Inline keyboards."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

STYLE_PREFIX = "style:"


def style_keyboard(styles: list[tuple[str, str]], current: str) -> InlineKeyboardMarkup:
    """One button per style, (name, title) pairs, the current one ticked; two per row."""
    buttons = [
        InlineKeyboardButton(("✓ " if name == current else "") + title,
                             callback_data=STYLE_PREFIX + name)
        for name, title in styles
    ]
    return InlineKeyboardMarkup([buttons[i:i + 2] for i in range(0, len(buttons), 2)])
