"""Keep the bot token out of logs: every log record is redacted when it is made."""

from __future__ import annotations

import logging
import re

# A token looks like 123456789:AAH...; a URL built from it contains /bot<token>/.
_TOKEN_SHAPE = re.compile(r"\d{3,}:[A-Za-z0-9_-]{20,}")
_REPLACEMENT = "<token>"
_secrets: set[str] = set()
_installed = False


def redact(text: str, secrets: tuple[str, ...] | set[str] = ()) -> str:
    """`text` with every secret, and anything shaped like a bot token, replaced by <token>."""
    for secret in secrets or _secrets:
        if secret:
            text = text.replace(secret, _REPLACEMENT)
    return _TOKEN_SHAPE.sub(_REPLACEMENT, text)


def _redacting_factory(factory):  # noqa: ANN001, ANN202
    def make_record(*args, **kwargs) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: leave it to logging to report
            return record
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return record

    return make_record


def install(token: str, *secrets: str) -> None:
    """Redact `token` and the other `secrets` (the webhook secret) from every log record of this
    process, and quiet the HTTP client loggers.

    httpx logs each request URL at INFO, and a Bot API URL contains the token;
    python-telegram-bot logs setWebhook's parameters (secret_token) at DEBUG.
    """
    global _installed
    for secret in (token, *secrets):
        if secret:
            _secrets.add(secret)
    if not _installed:
        logging.setLogRecordFactory(_redacting_factory(logging.getLogRecordFactory()))
        _installed = True
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
