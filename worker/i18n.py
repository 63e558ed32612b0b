"""The person's language: gettext catalogues for every text the bot and the workers send.

    from worker.i18n import _, N_, ngettext, use
    use(language_of(...))        # once per update (bot) or per job (worker)
    _("Send me a selfie")        # in the current language

The catalogues are `worker/locale/<lang>/LC_MESSAGES/moji.po`, extracted with Babel (see
babel.cfg and tests/test_i18n.py, which fails on any message missing from a catalogue). They
are compiled in memory with Babel the first time a language is used, and kept for the life of
the process: no compiled .mo file lives in the repository, so a catalogue can never be older
than its .po (a clean clone and `pip install -e .` need no build step).

The current language is a context variable: the bot sets it for each update (its updates run
in tasks of their own, each with a copy of the context), a worker for each job. It lives in the
worker package because the worker must not import the bot; it imports no Telegram, torch or
mediapipe.
"""

from __future__ import annotations

import contextlib
import gettext as _gettext
import io
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path

DOMAIN = "moji"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DEFAULT = "en"
# Each language in its own name, for the /language keyboard; the keys are the catalogue folders.
LANGUAGES: dict[str, str] = {"en": "English", "es": "Español", "ru": "Русский",
                             "zh_Hans": "简体中文"}
# What setMyCommands takes as language_code (ISO 639-1) for each catalogue.
COMMAND_LANGUAGE_CODES: dict[str, str] = {"en": "en", "es": "es", "ru": "ru", "zh_Hans": "zh"}

_current: ContextVar[str] = ContextVar("moji_language", default=DEFAULT)
_loaded: dict[str, _gettext.NullTranslations] = {}
_lock = threading.Lock()


def negotiate(code: object) -> str:
    """The catalogue for a Telegram `language_code` (an IETF tag such as "es-419", "zh-hans",
    "pt-br"), or a catalogue name; English when unknown or unsupported.

    Every Chinese tag maps to Simplified Chinese, the only Chinese catalogue: a reader of
    Traditional Chinese reads it far more easily than the English fallback.
    """
    if not code or not isinstance(code, str):
        return DEFAULT
    if code in LANGUAGES:
        return code
    primary = code.strip().replace("_", "-").split("-")[0].lower()
    if primary == "zh":
        return "zh_Hans"
    return primary if primary in LANGUAGES else DEFAULT


def translations(lang: str) -> _gettext.NullTranslations:
    """The compiled catalogue of a language (English: the messages as written, from its .po)."""
    lang = negotiate(lang)
    found = _loaded.get(lang)
    if found is None:
        with _lock:
            found = _loaded.get(lang)
            if found is None:
                found = _loaded[lang] = _compile(lang)
    return found


def _compile(lang: str) -> _gettext.NullTranslations:
    """Read a .po with Babel and compile it to .mo bytes in memory (a few ms per language)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():  # a language without a catalogue speaks the source language
        return _gettext.NullTranslations()
    with path.open("rb") as f:
        catalog = read_po(f, locale=lang, domain=DOMAIN)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)  # a fuzzy entry is a guess: never shown
    out.seek(0)
    return _gettext.GNUTranslations(out)


def use(lang: object) -> str:
    """Make `lang` (negotiated) the current language of this task or job; returns it."""
    lang = negotiate(lang)
    _current.set(lang)
    return lang


@contextlib.contextmanager
def using(lang: object) -> Iterator[str]:
    """The current language for a block (e.g. the command list of each language)."""
    token = _current.set(negotiate(lang))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def current() -> str:
    return _current.get()


def _(message: str) -> str:
    """`message` in the current language."""
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or a plural form for `n`, in the current language (Russian has three)."""
    return translations(_current.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """`message` in the current language, in a context (a word that means several things)."""
    return translations(_current.get()).pgettext(context, message)


def N_(message: str) -> str:
    """Marks a message for extraction where it is defined; translate it where it is used."""
    return message
