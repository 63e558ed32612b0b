"""The web service's HTTP side: the Mini App page, its API, and (optionally) the playground.

    GET  /app                 the Mini App editor (HTML; its script and style under /static/)
    GET  /api/me              the person's look: {"likeness": {...}, "style": ..., ...}
    PUT  /api/me              {"likeness": {any subset}, "style": ..., "face_part": ...}: merged
                              into the kept look (a default look when none is kept); the new look
    GET  /api/preview         the kept look as a PNG (?style=S&expression=0..23&size=N)
    POST /api/preview         an unsaved look as a PNG: {"likeness": {changes}, "style", ...}
    GET  /api/strip           the pack's 24 expressions in one PNG strip (POST: unsaved look)
    GET  /api/parts           the vocabulary: every trait's choices, swatches, styles, the pack
    POST /api/pack            "Redraw my pack": queue the pack job as /pack does
    POST /api/emoji-status    the person's custom emoji as their emoji status (Bot API 8.0)

Every /api/ request carries `Authorization: tma <initData>`, checked by web.auth (401 with a
JSON error otherwise, and nothing changes); a person reads and changes only their own look (the
user id comes from the checked init data, never from the request). Bodies over 64 KB get 413;
drawings are rate-limited per person (429 with Retry-After).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from pipeline.errors import MojiError

from . import auth, draw, looks

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
MAX_BODY = 64 * 1024
# (aiohttp's typed request keys are newer than its typed app keys: a plain name before them)
USER_KEY: Any = web.RequestKey("user", object) if hasattr(web, "RequestKey") else "moji_user"
CONFIG_KEY = web.AppKey("config", object)
REDIS_KEY = web.AppKey("redis", object)
LIMITER_KEY = web.AppKey("limiter", object)
STATIC_TYPES = {".js": "text/javascript", ".css": "text/css", ".json": "application/json",
                ".svg": "image/svg+xml", ".png": "image/png", ".html": "text/html"}


def _rate(raw: str, default: tuple[int, int]) -> tuple[int, int]:
    raw = raw.strip()
    if not raw:
        return default
    count, _, period = raw.partition("/")
    try:
        return max(0, int(count)), max(1, int(period or 60))
    except ValueError:
        raise ValueError(f"a rate must look like 30/10 (requests per seconds), not {raw!r}"
                         ) from None


@dataclass(frozen=True)
class WebConfig:
    """What the web service is run with (environment: see `from_env`)."""

    token: str = field(repr=False)
    max_age: int = auth.DEFAULT_MAX_AGE
    preview_rate: tuple[int, int] = (40, 10)  # drawings per seconds, per person
    playground: bool = False
    bot_settings: Any = None  # worker.config.Settings: queues the pack job like the bot

    @classmethod
    def from_env(cls, bot_settings: Any, playground: bool = False) -> WebConfig:
        """TELEGRAM_BOT_TOKEN (from the bot's settings), MOJI_WEBAPP_MAX_AGE (seconds an init
        data stays good, default 3600), MOJI_WEBAPP_PREVIEW_RATE ("40/10")."""
        return cls(token=bot_settings.token,
                   max_age=int(os.environ.get("MOJI_WEBAPP_MAX_AGE", "").strip()
                               or auth.DEFAULT_MAX_AGE),
                   preview_rate=_rate(os.environ.get("MOJI_WEBAPP_PREVIEW_RATE", ""), (40, 10)),
                   playground=playground, bot_settings=bot_settings)


class RateLimiter:
    """A sliding window per person, in this process: `count` drawings per `period` seconds."""

    def __init__(self, count: int, period: int) -> None:
        self.count, self.period = count, period
        self._seen: dict[Any, deque[float]] = {}

    def retry_after(self, who: Any, now: float | None = None) -> int:
        """0 and counted when allowed, else the whole seconds until the next is."""
        if not self.count:
            return 0
        now = time.monotonic() if now is None else now
        seen = self._seen.setdefault(who, deque())
        while seen and seen[0] <= now - self.period:
            seen.popleft()
        if len(seen) >= self.count:
            return max(1, int(seen[0] + self.period - now + 0.999))
        seen.append(now)
        if len(self._seen) > 10_000:  # forget idle people now and then
            for key in [k for k, v in self._seen.items() if not v or v[-1] < now - self.period]:
                self._seen.pop(key, None)
        return 0


class BadRequest(Exception):
    """A request the API cannot take: 400 with `code` and a message for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def error(status: int, code: str, message: str, **headers: str) -> web.Response:
    return web.json_response({"ok": False, "error": code, "message": message}, status=status,
                             headers=headers)


# --- middleware -----------------------------------------------------------------------------

@web.middleware
async def api_guard(request: web.Request, handler: Any) -> web.StreamResponse:
    """Size first (a big body is refused unread), then the init data, for every /api/ path."""
    if not request.path.startswith("/api/"):
        return await handler(request)
    if request.content_length is not None and request.content_length > MAX_BODY:
        return error(413, "too_large", f"Requests carry at most {MAX_BODY // 1024} KB.")
    config: WebConfig = request.app[CONFIG_KEY]
    try:
        user = auth.verify(auth.from_header(request.headers.get("Authorization")),
                           config.token, config.max_age)
    except auth.InitDataError as exc:
        return error(401, exc.reason, exc.message)
    request[USER_KEY] = user
    try:
        return await handler(request)
    except web.HTTPRequestEntityTooLarge:
        return error(413, "too_large", f"Requests carry at most {MAX_BODY // 1024} KB.")
    except (MojiError, BadRequest) as exc:
        return error(400, exc.code, exc.message)


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    raw = await request.read()  # client_max_size: 413 past MAX_BODY, chunked or not
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise BadRequest("bad_request", "The body must be JSON.") from None
    if not isinstance(body, dict):
        raise BadRequest("bad_request", "The body must be a JSON object.")
    return body


def _redis(request: web.Request) -> Any:
    return request.app[REDIS_KEY]


def _user(request: web.Request) -> auth.WebAppUser:
    return request[USER_KEY]


def _style(name: Any) -> str:
    if not isinstance(name, str) or name not in {s["name"] for s in _STYLES()}:
        raise BadRequest("bad_style", f"Unknown style {str(name)[:40]!r}: use one of "
                        f"{', '.join(s['name'] for s in _STYLES())}.")
    return name


_styles_cache: list[dict[str, str]] = []


def _STYLES() -> list[dict[str, str]]:  # noqa: N802  (a constant, read once)
    if not _styles_cache:
        _styles_cache.extend(draw.styles())
    return _styles_cache


def _int_arg(value: Any, name: str, allowed: range | tuple[int, ...], default: int | None
             ) -> int | None:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BadRequest("bad_request", f"{name} must be a whole number.") from None
    if number not in allowed:
        raise BadRequest("bad_request", f"{name} must be one of {allowed}.")
    return number


# --- the API ----------------------------------------------------------------------------------

async def get_me(request: web.Request) -> web.Response:
    user = _user(request)
    look = await asyncio.to_thread(looks.load, _redis(request), user.id)
    return web.json_response({"ok": True, **look.to_json(), "user": {
        "id": user.id, "first_name": user.first_name, "language_code": user.language_code}})


async def put_me(request: web.Request) -> web.Response:
    user = _user(request)
    body = await _body(request)
    unknown = set(body) - {"likeness", "style", "face_part"}
    if unknown:
        raise BadRequest("bad_request", f"Unknown field(s): {', '.join(sorted(unknown))}.")
    style = _style(body["style"]) if body.get("style") is not None else None
    face_part = body.get("face_part")
    if face_part is not None and (not isinstance(face_part, str) or not face_part.startswith(
            "face-") or len(face_part) > 64):
        raise BadRequest("bad_request", "face_part must be a face part id like \"face-round\".")
    look = await asyncio.to_thread(looks.save, _redis(request), user.id, body.get("likeness"),
                                   style, face_part)
    return web.json_response({"ok": True, **look.to_json()})


def _limited(request: web.Request) -> web.Response | None:
    wait = request.app[LIMITER_KEY].retry_after(_user(request).id)
    if wait:
        return error(429, "rate_limited", "Too many drawings at once: wait a moment.",
                     **{"Retry-After": str(wait)})
    return None


async def _drawing(request: web.Request, changes: dict[str, Any] | None, args: dict[str, Any],
                   strip: bool = False) -> web.Response:
    limited = _limited(request)
    if limited:
        return limited
    look = await asyncio.to_thread(looks.load, _redis(request), _user(request).id)
    style = _style(args["style"]) if args.get("style") else look.style
    likeness = looks.preview_likeness(look, changes)
    face_part = args.get("face_part") or look.face_part
    loop = asyncio.get_running_loop()
    if strip:
        cell = _int_arg(args.get("size"), "size", draw.SIZES, draw.STRIP_CELL)
        png = await loop.run_in_executor(draw.executor, draw.strip_png, likeness, face_part,
                                         style, cell)
    else:
        size = _int_arg(args.get("size"), "size", draw.SIZES, 512)
        expression = _int_arg(args.get("expression"), "expression", range(len(draw.PACK)), None)
        png = await loop.run_in_executor(draw.executor, draw.look_png, likeness, face_part, style,
                                         size, expression)
    return web.Response(body=png, content_type="image/png",
                        headers={"Cache-Control": "private, no-store"})


async def get_preview(request: web.Request) -> web.Response:
    return await _drawing(request, None, dict(request.query))


async def post_preview(request: web.Request) -> web.Response:
    body = await _body(request)
    return await _drawing(request, body.get("likeness"), {**request.query, **body})


async def get_strip(request: web.Request) -> web.Response:
    return await _drawing(request, None, dict(request.query), strip=True)


async def post_strip(request: web.Request) -> web.Response:
    body = await _body(request)
    return await _drawing(request, body.get("likeness"), {**request.query, **body}, strip=True)


def vocabulary() -> dict[str, Any]:
    """Every trait's choices in Likeness.to_dict's shape ("hair.colour": [...]), the colour
    swatches, the styles and the pack's expressions."""
    from pipeline import likeness as lk

    return {
        "traits": {
            "hair.length": list(lk.HAIR_LENGTHS), "hair.colour": list(lk.HAIR_COLOURS),
            "hair_detail.style": list(lk.HAIR_STYLES),
            "hair_detail.hairline": list(lk.HAIRLINES),
            "skin.monk": list(range(1, 11)), "facial_hair": list(lk.FACIAL_HAIR),
            "glasses": list(lk.GLASSES), "headwear": list(lk.HEADWEAR),
            "eyes.colour": list(lk.EYE_COLOURS), "age_signs": list(lk.AGE_SIGNS),
            "earrings": list(lk.EARRINGS)},
        "swatches": {"hair": dict(lk.HAIR_SWATCHES), "eyes": dict(lk.EYE_SWATCHES),
                     "monk": list(lk.MONK_SCALE)},
        "styles": _STYLES(),
        "expressions": [{"emoji": p.emoji, "keywords": list(p.keywords)} for p in draw.PACK],
    }


async def get_parts(request: web.Request) -> web.Response:
    return web.json_response({"ok": True, **vocabulary()})


async def post_pack(request: web.Request) -> web.Response:
    user = _user(request)
    config: WebConfig = request.app[CONFIG_KEY]
    from worker.i18n import negotiate

    outcome = await asyncio.to_thread(looks.queue_pack, config.bot_settings, _redis(request),
                                      user.id, negotiate(user.language_code), user.first_name)
    status = {"queued": 202, "same": 200, "running": 200, "no_look": 409, "limited": 429,
              "busy": 503}.get(outcome, 200)
    return web.json_response({"ok": status < 400, "outcome": outcome}, status=status)


async def post_emoji_status(request: web.Request) -> web.Response:
    """The person's custom emoji (😀 unless `emoji` says which) as their emoji status, through
    the bot's setUserEmojiStatus (Bot API 8.0); the page asks first with
    requestEmojiStatusAccess, and Telegram refuses unless the person allowed it."""
    user = _user(request)
    body = await _body(request)
    emoji = body.get("emoji") or "😀"
    if not isinstance(emoji, str) or emoji not in {p.emoji for p in draw.PACK}:
        raise BadRequest("bad_request", "emoji must be one of the pack's emoji.")
    expires = body.get("expiration_date")
    if expires is not None and (isinstance(expires, bool) or not isinstance(expires, int)):
        raise BadRequest("bad_request", "expiration_date must be a Unix time.")
    emoji_id = await asyncio.to_thread(looks.custom_emoji_id, _redis(request), user.id, emoji)
    if emoji_id is None:
        return error(409, "no_set", "Make your pack first: your emoji status is one of its "
                                    "custom emoji.")
    from worker.botapi import BotAPI, BotAPIError

    params: dict[str, Any] = {"user_id": user.id, "emoji_status_custom_emoji_id": emoji_id}
    if expires:
        params["emoji_status_expiration_date"] = expires

    def call() -> None:
        bot = BotAPI.from_settings(request.app[CONFIG_KEY].bot_settings)
        try:
            bot.call("setUserEmojiStatus", params)
        finally:
            bot.close()

    try:
        await asyncio.to_thread(call)
    except BotAPIError as exc:
        return error(403 if exc.code in (400, 403) else 502, "refused", exc.description)
    return web.json_response({"ok": True, "custom_emoji_id": emoji_id, "emoji": emoji})


# --- pages ----------------------------------------------------------------------------------

# everything comes from this server (Telegram's client frames the page)
CSP = ("default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
       "connect-src 'self'")


async def app_page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "app.html", headers={
        "Cache-Control": "no-cache", "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": CSP})


async def static_file(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    path = (STATIC / name).resolve()
    if path.parent != STATIC or not path.is_file() or path.suffix not in STATIC_TYPES:
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers={"Cache-Control": "public, max-age=300",
                                           "Content-Type": STATIC_TYPES[path.suffix]})


async def health(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def create_app(config: WebConfig, redis: Any) -> web.Application:
    """The aiohttp application; `redis` is a redis-py client (bytes responses, like RQ's)."""
    app = web.Application(middlewares=[api_guard], client_max_size=MAX_BODY)
    app[CONFIG_KEY] = config
    app[REDIS_KEY] = redis
    app[LIMITER_KEY] = RateLimiter(*config.preview_rate)
    app.router.add_get("/app", app_page)
    app.router.add_get("/static/{name}", static_file)
    app.router.add_get("/healthz", health)
    app.router.add_get("/api/me", get_me)
    app.router.add_put("/api/me", put_me)
    app.router.add_get("/api/preview", get_preview)
    app.router.add_post("/api/preview", post_preview)
    app.router.add_get("/api/strip", get_strip)
    app.router.add_post("/api/strip", post_strip)
    app.router.add_get("/api/parts", get_parts)
    app.router.add_post("/api/pack", post_pack)
    app.router.add_post("/api/emoji-status", post_emoji_status)
    if config.playground:
        from . import playground

        playground.add_routes(app)
    return app


def run(config: WebConfig, redis: Any, host: str = "0.0.0.0", port: int = 8080) -> None:
    """Serve until interrupted (the styles are loaded first: the first preview is quick)."""
    _STYLES()
    web.run_app(create_app(config, redis), host=host, port=port, print=None,
                access_log=None)
