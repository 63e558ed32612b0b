"""Style titles and descriptions in the person's language.

A style's title and description come from its style.toml, in English; the bot shows them
through the catalogues (worker/locale), which hold each one marked here. A new style adds its
two texts here (tests/test_rough_edges.py fails until it does) and to the catalogues.
"""

from __future__ import annotations

from typing import Any

from worker.i18n import N_, _

STYLE_TEXTS = (
    N_("Classic"),
    N_("The familiar yellow emoji: softly shaded yellow face, bold brown features."),
    N_("Avatar"),
    N_("A flat cartoon person: skin, hair, beard and lip colour from the photo."),
    N_("Line art"),
    N_("Black ink line drawing on white, like a quick marker doodle."),
)


def title(style: Any) -> str:
    """A style's title in the current language (as written when no catalogue has it)."""
    return _(style.title) if style.title else style.name


def description(style: Any) -> str:
    """A style's description in the current language."""
    return _(style.description) if style.description else ""
