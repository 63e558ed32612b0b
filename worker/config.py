"""Service settings from the environment, Redis key names, and the connection to Redis.

The bot and the workers read the same variables, so one `.env` configures both:

- TELEGRAM_BOT_TOKEN: the bot's token (required).
- REDIS_URL: where the queue lives (default redis://localhost:6379/0; `moji run` starts an
  embedded Redis when it is unset), or redis+sentinel://HOST:PORT,HOST:PORT/NAME/DB to find the
  primary through Sentinel (docs/deployment-sentinel.md; MOJI_REPLICA_WAIT_MS).
- TELEGRAM_BASE_URL, TELEGRAM_BASE_FILE_URL: the Bot API server (default: the official one). The
  token is appended, or put where `{token}` stands.
- ADMIN_IDS: comma-separated Telegram user ids allowed to run /stats.
- WEBHOOK_URL (+ WEBHOOK_LISTEN, WEBHOOK_PORT, WEBHOOK_SECRET): webhook mode instead of polling.
- MOJI_QUEUE, MOJI_MAX_QUEUE, MOJI_RATE_LIMIT ("5/20": 5 photos per 20 s per user; "0" is off),
  MOJI_JOB_TIMEOUT, MOJI_JOB_RETRIES, MOJI_RETRY_DELAYS, MOJI_HEARTBEAT_TTL, MOJI_CACHE_TTL.
- MOJI_LOOK_CHECK: "every" (default) measures the look of every private photo, so that a photo
  of someone else is drawn as themselves (worker.identity.observe); "first" measures only a
  person's first three selfies and draws later ones with the kept look unchecked (one likeness
  measure less per photo: a few hundred ms on a CPU).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import Any

OFFICIAL_BASE_URL = "https://api.telegram.org/bot"
OFFICIAL_BASE_FILE_URL = "https://api.telegram.org/file/bot"
DEFAULT_REDIS_URL = "redis://localhost:6379/0"


class ConfigError(Exception):
    """A setting is missing or malformed; the message says which and how to fix it."""


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}.") from None


def _rate(raw: str) -> tuple[int, int]:
    raw = raw.strip() or "5/20"
    if raw in ("0", "off", "none"):
        return 0, 1
    try:
        count, _, period = raw.partition("/")
        return int(count), int(period or 60)
    except ValueError:
        raise ConfigError(
            f"MOJI_RATE_LIMIT must look like 5/20 (photos per seconds), not {raw!r}.") from None


def _delays(raw: str) -> tuple[int, ...]:
    """MOJI_RETRY_DELAYS: seconds before each retry, comma-separated ("5,15,30,60")."""
    if not raw.strip():
        return (5, 15, 30, 60)
    try:
        delays = tuple(int(part) for part in raw.split(",") if part.strip())
    except ValueError:
        raise ConfigError(f"MOJI_RETRY_DELAYS must be seconds separated by commas, not {raw!r}"
                          ) from None
    if not delays or min(delays) < 0:
        raise ConfigError(f"MOJI_RETRY_DELAYS must be seconds separated by commas, not {raw!r}")
    return delays


def _admin_ids(raw: str) -> frozenset[int]:
    try:
        return frozenset(int(x) for x in raw.replace(" ", "").split(",") if x)
    except ValueError:
        raise ConfigError(f"ADMIN_IDS must be comma-separated user ids, not {raw!r}.") from None


def api_url(base: str, token: str) -> str:
    """The Bot API prefix for a token, built the way python-telegram-bot builds it."""
    if "{token}" in base:
        return base.format(token=token)
    return base + token


def _choice(name: str, choices: tuple[str, ...]) -> str:
    """One of `choices` (the first when unset)."""
    raw = os.environ.get(name, "").strip().lower() or choices[0]
    if raw not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, not {raw!r}.")
    return raw


@dataclass(frozen=True)
class Settings:
    """Everything the bot and the workers need to know, read once from the environment."""

    token: str = field(repr=False)
    redis_url: str = DEFAULT_REDIS_URL
    base_url: str = OFFICIAL_BASE_URL
    base_file_url: str = OFFICIAL_BASE_FILE_URL
    admin_ids: frozenset[int] = frozenset()
    webhook_url: str = ""
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    webhook_secret: str = field(default="", repr=False)
    queue: str = "moji"
    max_queue: int = 200
    rate_count: int = 5
    rate_period: int = 20
    job_timeout: int = 120
    job_retries: int = 4
    # seconds before each retry of a failed job (the last repeats): together they outlast a
    # Bot API outage of a minute or more (5+15+30+60 s); a 429's retry_after can stretch one
    retry_delays: tuple[int, ...] = (5, 15, 30, 60)
    heartbeat_ttl: int = 10
    cache_ttl: int = 30 * 24 * 3600
    bot_http: str = "aiohttp"  # the bot's HTTP client: aiohttp (bot/request.py) or httpx
    look_check: str = "every"  # MOJI_LOOK_CHECK: "every" private photo, or the "first" three

    @classmethod
    def from_env(cls, require_token: bool = True) -> Settings:
        token = os.environ.get("TELEGRAM_BOT_TOKEN", "").strip()
        if require_token and not token:
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is not set. Ask @BotFather for a token and run "
                "`TELEGRAM_BOT_TOKEN=... moji run`.")
        rate_count, rate_period = _rate(os.environ.get("MOJI_RATE_LIMIT", ""))
        secret = os.environ.get("WEBHOOK_SECRET", "").strip() or (
            hashlib.sha256(b"moji-webhook:" + token.encode()).hexdigest()[:48] if token else "")
        return cls(
            token=token,
            redis_url=os.environ.get("REDIS_URL", "").strip() or DEFAULT_REDIS_URL,
            base_url=os.environ.get("TELEGRAM_BASE_URL", "").strip() or OFFICIAL_BASE_URL,
            base_file_url=(os.environ.get("TELEGRAM_BASE_FILE_URL", "").strip()
                           or OFFICIAL_BASE_FILE_URL),
            admin_ids=_admin_ids(os.environ.get("ADMIN_IDS", "")),
            webhook_url=os.environ.get("WEBHOOK_URL", "").strip(),
            webhook_listen=os.environ.get("WEBHOOK_LISTEN", "0.0.0.0").strip(),
            webhook_port=_int("WEBHOOK_PORT", 8443),
            webhook_secret=secret,
            queue=os.environ.get("MOJI_QUEUE", "").strip() or "moji",
            max_queue=_int("MOJI_MAX_QUEUE", 200),
            rate_count=rate_count,
            rate_period=rate_period,
            job_timeout=_int("MOJI_JOB_TIMEOUT", 120),
            job_retries=_int("MOJI_JOB_RETRIES", 4),
            retry_delays=_delays(os.environ.get("MOJI_RETRY_DELAYS", "")),
            heartbeat_ttl=max(3, _int("MOJI_HEARTBEAT_TTL", 10)),
            cache_ttl=_int("MOJI_CACHE_TTL", 30 * 24 * 3600),
            bot_http=_choice("MOJI_BOT_HTTP", ("aiohttp", "httpx")),
            look_check=_choice("MOJI_LOOK_CHECK", ("every", "first")),
        )


class Keys:
    """Redis key names, all under `moji:` so that Moji can share a database with others."""

    @staticmethod
    def style(user_id: int) -> str:
        return f"moji:style:{user_id}"

    @staticmethod
    def cache(file_unique_id: str, style: str) -> str:
        return f"moji:cache:{style}:{file_unique_id}"

    @staticmethod
    def done(chat_id: int, message_id: int, style: str) -> str:
        """Set once a job's sticker was sent, so that a retry does not send it twice."""
        return f"moji:done:{chat_id}:{message_id}:{style}"

    @staticmethod
    def delivery(chat_id: int, message_id: int, style: str) -> str:
        """Claimed by the job execution about to answer a photo (sendSticker or a message):
        a retry that finds another execution's claim and no done key knows that answer's
        fate is unknown (its worker died mid-send)."""
        return f"moji:delivery:{chat_id}:{message_id}:{style}"

    @staticmethod
    def seen(chat_id: int, message_id: int) -> str:
        """The file_unique_id of the image a message carried when it was queued (edits)."""
        return f"moji:seen:{chat_id}:{message_id}"

    @staticmethod
    def identity(user_id: int) -> str:
        return f"moji:identity:{user_id}"

    @staticmethod
    def user_index(user_id: int) -> str:
        """A set of the keys (and `job:<id>` entries) written for a person, for /forget."""
        return f"moji:user:{user_id}:keys"

    @staticmethod
    def inline(user_id: int) -> str:
        """A list, newest first, of the person's stickers for inline mode (JSON entries)."""
        return f"moji:inline:{user_id}"

    @staticmethod
    def last(chat_id: int, user_id: int) -> str:
        return f"moji:last:{chat_id}:{user_id}"

    @staticmethod
    def rate(user_id: int) -> str:
        return f"moji:rate:{user_id}"

    @staticmethod
    def sticker_set(chat_id: int) -> str:
        return f"moji:set:{chat_id}"

    @staticmethod
    def preview(style: str) -> str:
        return f"moji:preview:{style}"

    @staticmethod
    def alive(worker_name: str) -> str:
        return f"moji:alive:{worker_name}"

    bot_username = "moji:bot:username"
    # set (with a short TTL, kept alive) by a worker waiting for model files: what is missing.
    # With no worker registered, the bot answers a selfie "not ready yet" instead of queueing it
    models_missing = "moji:models:missing"
    # hash: user id -> the language they chose with /language (a worker.i18n catalogue name);
    # one hash, so that the bot loads every choice at start-up with one HGETALL
    languages = "moji:languages"
    latency = "moji:stats:latency_ms"  # list, newest first, of recent update-to-sticker times
    counters = "moji:stats:counters"  # hash: jobs, stickers, cached, failed, lost, rejected, ...


SENTINEL_SCHEME = "redis+sentinel"


@dataclass(frozen=True)
class SentinelTarget:
    """Where a `redis+sentinel://` URL points: the sentinels, the primary's service name (as
    in sentinel.conf's `sentinel monitor NAME ...`), the database and the primary's password."""

    sentinels: tuple[tuple[str, int], ...]
    service: str
    db: int = 0
    password: str | None = field(default=None, repr=False)
    sentinel_password: str | None = field(default=None, repr=False)


def parse_sentinel_url(url: str) -> SentinelTarget:
    """`redis+sentinel://[:PASSWORD@]HOST:PORT,HOST:PORT,.../NAME/DB[?sentinel_password=...]`
    -> SentinelTarget. The port defaults to 26379 and DB to 0; PASSWORD is the primary's
    (requirepass), sentinel_password the sentinels' own when they have one."""
    from urllib.parse import parse_qs, unquote

    scheme, sep, rest = url.partition("://")
    if scheme != SENTINEL_SCHEME or not sep:
        raise ConfigError(f"not a {SENTINEL_SCHEME}:// URL: {redact_url(url)}")
    rest, _, query = rest.partition("?")
    hosts, _, path = rest.partition("/")
    password = None
    if "@" in hosts:
        auth, _, hosts = hosts.rpartition("@")
        password = unquote(auth.partition(":")[2] if ":" in auth else auth) or None
    sentinels = []
    for part in hosts.split(","):
        host, _, port = part.strip().rpartition(":") if ":" in part else (part.strip(), "", "")
        host = host.strip("[]")
        if not host:
            raise ConfigError(f"REDIS_URL names an empty sentinel host: {redact_url(url)}")
        try:
            sentinels.append((host, int(port) if port else 26379))
        except ValueError:
            raise ConfigError(f"REDIS_URL: {part!r} is not HOST:PORT") from None
    names = [p for p in path.split("/") if p]
    if not names:
        raise ConfigError("REDIS_URL must name the primary after the sentinels, as in "
                          "redis+sentinel://s1:26379,s2:26379,s3:26379/mymaster/0")
    if len(names) > 2:
        raise ConfigError(f"REDIS_URL has too many parts after the sentinels: "
                          f"{redact_url(url)} (expected /NAME/DB)")
    try:
        db = int(names[1]) if len(names) == 2 else 0
    except ValueError:
        raise ConfigError(f"REDIS_URL's database must be a number, not {names[1]!r}") from None
    options = parse_qs(query)
    sentinel_password = (options.get("sentinel_password") or [None])[0]
    return SentinelTarget(tuple(sentinels), unquote(names[0]), db, password, sentinel_password)


def is_sentinel_url(url: str) -> bool:
    return url.startswith(SENTINEL_SCHEME + "://")


def redact_url(url: str) -> str:
    """The URL with its password, if any, replaced by *** (for logs and error messages)."""
    import re

    return re.sub(r"(://[^/@]*?:)[^/@]*@", r"\1***@", url)


def replica_wait_ms(url: str) -> int:
    """How long a write that must survive a failover waits for a replica's acknowledgement
    (`WAIT 1 <ms>`): MOJI_REPLICA_WAIT_MS, by default 1000 ms with Sentinel and 0 (no WAIT)
    with a single Redis, which has no replica to wait for. See docs/deployment-sentinel.md."""
    default = 1000 if is_sentinel_url(url) else 0
    return max(0, _int("MOJI_REPLICA_WAIT_MS", default))


def wait_for_replica(pipe: Any, wait_ms: int) -> None:
    """Queue `WAIT 1 wait_ms` on a (non-transactional) pipeline after its writes.

    Why here and not after every write: WAIT makes the primary hold the reply until a replica
    has every write made so far (replication is one ordered stream, so that also covers the
    writes other connections made before, e.g. RQ's enqueue). It is put where losing a write
    in a failover would break "one answer per photo": the bot's enqueue (else an accepted
    photo's job could vanish: silence) and a worker's hand-over of the delivery claim (else a
    retry on the new primary would not see that the sticker went out: two answers). Redis
    replicates asynchronously, so WAIT narrows the window to a replica that falls more than
    `wait_ms` behind at that moment; it does not make Redis synchronous."""
    if wait_ms > 0:
        pipe.execute_command("WAIT", 1, wait_ms)


def redis_connection(url: str):  # -> redis.Redis
    """The one place that connects to Redis: a redis://, rediss:// or unix:// URL, or a
    `redis+sentinel://` URL (parse_sentinel_url) whose client asks the sentinels where the
    primary is and follows a failover (redis-py's Sentinel(...).master_for). RQ needs bytes
    responses, so no decoding."""
    import redis

    if is_sentinel_url(url):
        from redis.sentinel import Sentinel

        target = parse_sentinel_url(url)
        sentinel_kwargs = {"socket_connect_timeout": 2, "socket_timeout": 2}
        if target.sentinel_password:
            sentinel_kwargs["password"] = target.sentinel_password
        sentinel = Sentinel(list(target.sentinels), sentinel_kwargs=sentinel_kwargs,
                            socket_connect_timeout=5, socket_keepalive=True)
        # no socket_timeout: RQ's workers block on BLPOP for longer than any sensible one
        return sentinel.master_for(target.service, db=target.db, password=target.password,
                                   health_check_interval=30)
    if url.startswith("unix://"):
        return redis.Redis.from_url(url, health_check_interval=30)
    return redis.Redis.from_url(url, health_check_interval=30, socket_keepalive=True)
