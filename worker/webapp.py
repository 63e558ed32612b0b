"""The Mini App editor's place in the chat: its `web_app` buttons, when MOJI_WEBAPP_URL is set.

MOJI_WEBAPP_URL is the public HTTPS address of `moji web`'s /app page. Set, /me's card gets an
"Edit my look" button that opens it inside Telegram, and the bot's menu button opens it too;
unset, the chat buttons are all there is. Plain Bot API JSON: the worker sends /me's card.
"""

from __future__ import annotations

import os
from typing import Any

from .i18n import N_, _

EDIT_LOOK = N_("Edit my look")


def webapp_url() -> str:
    """The /app address, or "" (no Mini App). Telegram opens only HTTPS pages."""
    return os.environ.get("MOJI_WEBAPP_URL", "").strip()


def with_editor_button(keyboard: dict[str, Any]) -> dict[str, Any]:
    """An inline keyboard with "Edit my look" (a web_app button) on top, when there is a
    Mini App; the keyboard as it is otherwise."""
    url = webapp_url()
    if not url:
        return keyboard
    rows = [[{"text": "✏️ " + _(EDIT_LOOK), "web_app": {"url": url}}]]
    return {**keyboard, "inline_keyboard": rows + list(keyboard.get("inline_keyboard", []))}


def menu_button() -> dict[str, Any] | None:
    """The bot's menu button (setChatMenuButton) opening the Mini App, or None."""
    url = webapp_url()
    return {"type": "web_app", "text": _(EDIT_LOOK), "web_app": {"url": url}} if url else None
