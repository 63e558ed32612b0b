"""Telegram Mini App init data: checked as Telegram documents it, and signed (for tests).

"Validating data received via the Mini App" (core.telegram.org/bots/webapps): the init data
is a query string; every field but `hash` (and `signature`, the third-party Ed25519 one), as
`key=value` lines sorted by key and joined with newlines, is signed with HMAC-SHA256 under the
key HMAC-SHA256(key="WebAppData", message=bot token). `auth_date` (Unix seconds) says when
Telegram made it: older than `max_age` seconds is refused (a leaked string does not work
forever).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

DEFAULT_MAX_AGE = 3600
# Telegram's clock and ours differ a little; an auth_date this far in the future still passes.
CLOCK_SKEW = 60


class InitDataError(Exception):
    """Init data that cannot be trusted; `reason` is a short code the API answers with."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason, self.message = reason, message


@dataclass(frozen=True)
class WebAppUser:
    """The person who opened the Mini App, as the checked init data says."""

    id: int
    first_name: str = ""
    language_code: str = ""
    is_premium: bool = False
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


def secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def _check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{k}={v}" for k, v in sorted(fields.items())
                     if k not in ("hash", "signature"))


def sign(fields: dict[str, Any], bot_token: str) -> str:
    """Init data for `fields` (a `user` dict is JSON-encoded), signed with the bot's token:
    what Telegram puts in the Mini App's URL fragment. For tests and local trials."""
    values = {k: json.dumps(v, separators=(",", ":"), ensure_ascii=False)
              if isinstance(v, dict) else str(v) for k, v in fields.items()}
    digest = hmac.new(secret_key(bot_token), _check_string(values).encode(),
                      hashlib.sha256).hexdigest()
    return urlencode({**values, "hash": digest})


def verify(init_data: str, bot_token: str, max_age: int = DEFAULT_MAX_AGE,
           now: float | None = None) -> WebAppUser:
    """The person the init data was made for; InitDataError when it is missing, malformed,
    not signed with this bot's token, or older than `max_age` seconds."""
    if not init_data or not bot_token:
        raise InitDataError("missing", "Open this page from the bot in Telegram.")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataError("malformed", "The launch data is malformed.") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InitDataError("malformed", "The launch data repeats a field.")
    given = fields.get("hash", "")
    expected = hmac.new(secret_key(bot_token), _check_string(fields).encode(),
                        hashlib.sha256).hexdigest()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise InitDataError("bad_signature",
                            "The launch data is not signed by this bot: open the page again "
                            "from the bot.")
    try:
        auth_date = int(fields.get("auth_date", ""))
    except ValueError:
        raise InitDataError("malformed", "The launch data has no auth_date.") from None
    now = time.time() if now is None else now
    if auth_date < now - max_age or auth_date > now + CLOCK_SKEW:
        raise InitDataError("expired", "This page was opened too long ago: close it and open "
                            "it again from the bot.")
    try:
        user = json.loads(fields.get("user", ""))
        user_id = int(user["id"])
    except (ValueError, KeyError, TypeError):
        raise InitDataError("no_user", "The launch data names no person.") from None
    return WebAppUser(id=user_id, first_name=str(user.get("first_name", "")),
                      language_code=str(user.get("language_code", "")),
                      is_premium=bool(user.get("is_premium")), raw=user)


def from_header(value: str | None) -> str:
    """The init data of an `Authorization: tma <initData>` header ("" when absent)."""
    if not value:
        return ""
    scheme, _, rest = value.strip().partition(" ")
    return rest.strip() if scheme.lower() == "tma" else ""
