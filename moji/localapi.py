"""A local Telegram Bot API server, for tests and `moji bench e2e`.

Real HTTP (aiohttp, in a background thread), serving `/bot<token>/<method>` and
`/file/bot<token>/<path>` the way https://core.telegram.org/bots/api documents them: parameters
as a query string, form fields, JSON or multipart/form-data (file uploads, `attach://` names),
`{"ok": true, "result": ...}` or `{"ok": false, "error_code": ..., "description": ...}`.

The test side plays the users: `send_photo`, `send_clip` (a video note, a video, an animation),
`send_text`, `press_button`, `inline_query` create updates, which the bot receives through
getUpdates long polling, or as POSTs to its webhook after setWebhook.
Every call the bot and the workers make is recorded (`calls`, `wait_for`), faults can be
injected (`fail_next(method, 429, retry_after=1)`; `fail_for(seconds, 500)` and `outage(seconds)`
for time windows of errors), and file downloads can be held back
(`hold_file`) to catch a worker mid-job. Stickers are validated as documented: WEBP for
sendSticker uploads, PNG or WEBP for sticker sets, one side 512 px, the other at most 512,
at most 512 KB; video stickers (WEBM uploads to sendSticker, `format: video` in sets) are read
with ffmpeg and checked against Telegram's rules (pipeline.videoinfo: WEBM, VP9, 512 px, at
most 3 s, 30 fps and 256 KB, no audio); set names end in `_by_<bot username>`. Sticker sets:
createNewStickerSet takes 1-50 InputStickers (format static or video, 1-20 emoji, 0-20
keywords of 64 characters in all), addStickerToSet and replaceStickerInSet (in place) keep a
set at 120 at most. Custom emoji sets (`sticker_type` custom_emoji) take static emoji of exactly
100x100, up to 200 in a set, each with a `custom_emoji_id`; setUserEmojiStatus sets one as a
person's emoji status once they allowed it in a Mini App (`allow_emoji_status`, Bot API 8.0).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

from pipeline.videoinfo import EBML_MAGIC

CHAT_ACTIONS = {"typing", "upload_photo", "record_video", "upload_video", "record_voice",
                "upload_voice", "upload_document", "choose_sticker", "find_location",
                "record_video_note", "upload_video_note"}
MAX_GET_FILE = 20 * 1024 * 1024
STICKER_SIDE = 512
STICKER_MAX_BYTES = 512 * 1024
SET_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
MAX_STATIC_STICKERS_PER_SET = 120  # a set of any formats holds up to 120
CUSTOM_EMOJI_SIDE = 100  # a custom emoji is exactly 100x100
MAX_CUSTOM_EMOJI_PER_SET = 200
SET_LIMITS = {"regular": MAX_STATIC_STICKERS_PER_SET, "custom_emoji": MAX_CUSTOM_EMOJI_PER_SET}
# a user's clip: the message field, where its file is kept, and its MIME type
CLIP_KINDS = {"video_note": ("video_notes", "video/mp4"), "video": ("videos", "video/mp4"),
              "animation": ("animations", "video/mp4")}


def marked_photo(path, n: int, quality: int = 90) -> bytes:
    """The photo at `path` with a tiny mark in a corner that encodes n: the same face in another
    file (another file_unique_id, so no cache hit), as when a person takes a new selfie."""
    from PIL import Image, ImageDraw

    image = Image.open(path).convert("RGB")
    draw = ImageDraw.Draw(image)
    for bit in range(16):
        shade = 255 if (n >> bit) & 1 else 0
        draw.rectangle((bit * 3, 0, bit * 3 + 2, 2), fill=(shade, shade, shade))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


class _Drop(Exception):
    """fail_for(code=0): close the connection without an answer."""


class ApiError(Exception):
    """An ok=false answer."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.code,
                                "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class Call:
    """One Bot API request, as the server understood it."""

    method: str
    params: dict[str, Any]
    files: dict[str, dict[str, Any]]  # field -> {"filename", "size", "content_type"}
    at: float  # time.perf_counter() when the request had been read
    ok: bool = True
    error: str = ""
    result: Any = None


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes = field(repr=False)
    file_path: str
    kind: str  # photo | document | video_note | video | animation | sticker | sticker_upload


class _Params:
    """Typed access to a request's parameters, whatever way they were sent."""

    def __init__(self, values: dict[str, Any], uploads: dict[str, tuple[str, bytes, str]]):
        self.values, self.uploads = values, uploads

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def str(self, name: str, required: bool = False, default: str | None = None) -> str | None:
        value = self.values.get(name)
        if value in (None, ""):
            if required:
                raise bad(f"{name} is empty" if name == "text" else f"parameter {name} is required")
            return default
        return value if isinstance(value, str) else json.dumps(value)

    def int(self, name: str, required: bool = False, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value in (None, ""):
            if required:
                raise bad(f"parameter {name} is required")
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad(f"invalid {name} specified") from None

    def bool(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value in (None, ""):
            return default
        if isinstance(value, bool):
            return value
        return str(value).lower() in ("true", "1")

    def json(self, name: str, required: bool = False, default: Any = None) -> Any:
        value = self.values.get(name)
        if value in (None, ""):
            if required:
                raise bad(f"parameter {name} is required")
            return default
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad(f"can't parse {name} JSON object") from None
        return value


class LocalBotAPI:
    """The server. Use as a context manager, or call start() and stop()."""

    def __init__(self, token: str = "123456789:AAEmojiLocalTestTokenXXXXXXXXXXXXXXX",
                 username: str = "moji_test_bot", host: str = "127.0.0.1", port: int = 0,
                 bot_id: int | None = None, inline: bool = True) -> None:
        self.token = token
        self.inline = inline  # getMe's supports_inline_queries (/setinline with @BotFather)
        self.username = username
        self.host, self.port = host, port
        self.bot_user = {"id": bot_id or int(token.split(":")[0]), "is_bot": True,
                         "first_name": "Moji", "username": username}
        self.calls: list[Call] = []
        self.served_at: dict[int, float] = {}  # update_id -> perf_counter when delivered
        self.update_of: dict[tuple[int, int], int] = {}  # (chat_id, message_id) -> update_id
        self._cond = threading.Condition()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        # server state, touched only on the server's loop
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._files: dict[str, StoredFile] = {}
        self._file_counter = itertools.count(1)
        self._users: dict[int, dict[str, Any]] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._callbacks: dict[str, dict[str, Any]] = {}
        self._callback_ids = itertools.count(1)
        self._sticker_sets: dict[str, dict[str, Any]] = {}
        self._faults: list[dict[str, Any]] = []
        self._windows: list[dict[str, Any]] = []  # fail_for: time windows of errors
        self._delays: list[dict[str, Any]] = []  # delay_reply
        self._holds: dict[str, asyncio.Event] = {}
        self._new_update: asyncio.Event | None = None
        self._poller: asyncio.Future | None = None
        self._webhook: dict[str, Any] = {}
        self._paused: list[dict[str, Any]] | None = None
        self._session: ClientSession | None = None
        self.commands: list[dict[str, str]] = []  # the default list (no language_code)
        self.commands_by_language: dict[str, list[dict[str, str]]] = {}  # "" is the default
        self.menu_button: dict[str, Any] = {"type": "default"}  # setChatMenuButton
        self._custom_emoji: dict[str, dict[str, Any]] = {}  # custom_emoji_id -> sticker
        self._custom_emoji_ids = itertools.count(5_368_000_000_000_000_001)
        self._emoji_status_access: set[int] = set()
        self.emoji_statuses: dict[int, dict[str, Any]] = {}  # user id -> setUserEmojiStatus
        self.menu_buttons: dict[int, dict[str, Any]] = {}
        self._inline_queries: dict[str, dict[str, Any]] = {}
        self._inline_ids = itertools.count(1)

    # --- lifecycle -----------------------------------------------------------------------------
    def start(self) -> LocalBotAPI:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(self._start())
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="local-bot-api", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("local Bot API server did not start")
        return self

    async def _start(self) -> None:
        self._new_update = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def stop(self) -> None:
        if not self._loop:
            return

        async def shutdown() -> None:
            if self._session:
                await self._session.close()
            if self._runner:
                await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread:
            self._thread.join(10)
        self._loop.close()
        self._loop = None

    def __enter__(self) -> LocalBotAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """For TELEGRAM_BASE_URL (the token is appended)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """For TELEGRAM_BASE_FILE_URL."""
        return f"{self.url}/file/bot"

    def env(self) -> dict[str, str]:
        """The environment that points a bot or worker at this server."""
        return {"TELEGRAM_BOT_TOKEN": self.token, "TELEGRAM_BASE_URL": self.base_url,
                "TELEGRAM_BASE_FILE_URL": self.base_file_url}

    def _run(self, coro: Any) -> Any:
        assert self._loop, "server not started"
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(30)

    # --- the test side: users, chats, updates --------------------------------------------------
    def user(self, user_id: int, first_name: str = "Ann", username: str | None = None,
             language_code: str | None = "en") -> dict:
        user = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:  # Telegram leaves it out when the app does not say
            user["language_code"] = language_code
        if username:
            user["username"] = username
        self._users[user_id] = user
        self._chats.setdefault(user_id, {"id": user_id, "type": "private",
                                         "first_name": first_name})
        return user

    def group(self, chat_id: int, title: str = "Friends", supergroup: bool = True) -> dict:
        chat = {"id": chat_id, "type": "supergroup" if supergroup else "group", "title": title}
        self._chats[chat_id] = chat
        return chat

    def send_text(self, user: dict, text: str, chat: dict | None = None,
                  reply_to: dict | None = None) -> dict:
        """The user sends a text message (commands and @mentions get their entities)."""
        return self._run(self._incoming(user, chat, {"text": text, **_entities(text, "")},
                                        reply_to))

    def send_photo(self, user: dict, image: bytes, chat: dict | None = None,
                   caption: str | None = None, reply_to: dict | None = None) -> dict:
        """The user sends a photo; like Telegram, it arrives in several sizes."""
        sizes = self._run(self._store_photo(image))
        fields: dict[str, Any] = {"photo": sizes}
        if caption:
            fields.update({"caption": caption, **_entities(caption, "caption_")})
        return self._run(self._incoming(user, chat, fields, reply_to))

    def send_clip(self, user: dict, data: bytes, kind: str = "video_note",
                  chat: dict | None = None, caption: str | None = None,
                  reply_to: dict | None = None) -> dict:
        """The user sends a clip as Telegram delivers it: a round `video_note` (length: its
        side), a `video`, or an `animation` (a GIF, which Telegram turns into an MP4; for
        backward compatibility the message carries it as its `document` too). Size and
        duration are read from the file."""
        return self._run(self._send_clip(user, data, kind, chat, caption, reply_to))

    async def _send_clip(self, user: dict, data: bytes, kind: str, chat: dict | None,
                         caption: str | None, reply_to: dict | None) -> dict:
        from pipeline.videoinfo import inspect_video

        if kind not in CLIP_KINDS:
            raise ValueError(f"a clip is one of {sorted(CLIP_KINDS)}, not {kind!r}")
        info = await asyncio.to_thread(inspect_video, data)
        name = f"{kind}.{'mp4' if kind != 'animation' else 'gif.mp4'}"
        stored = await self._store_file(data, kind, name)
        clip: dict[str, Any] = {"file_id": stored.file_id,
                                "file_unique_id": stored.file_unique_id,
                                "duration": round(info.duration or 0), "file_size": len(data)}
        if kind == "video_note":
            clip["length"] = info.width
        else:
            clip.update(width=info.width, height=info.height, mime_type=CLIP_KINDS[kind][1],
                        file_name=name)
        fields: dict[str, Any] = {kind: clip}
        if kind == "animation":
            fields["document"] = {k: clip[k] for k in ("file_id", "file_unique_id",
                                                       "file_name", "mime_type", "file_size")}
        if caption:
            fields.update({"caption": caption, **_entities(caption, "caption_")})
        return await self._incoming(user, chat, fields, reply_to)

    def send_message(self, user: dict, fields: dict[str, Any], chat: dict | None = None) -> dict:
        """The user sends a message of any other kind: `fields` such as {"voice": {...}},
        {"sticker": {...}}, {"video": {...}} (file fields are taken as given)."""
        return self._run(self._incoming(user, chat, dict(fields), None))

    def edit_message(self, message: dict, **changes: Any) -> dict:
        """The sender edits a message (a new caption, or another photo: `image=` bytes); the
        bot gets an edited_message update."""
        return self._run(self._edit(message, changes))

    def channel(self, chat_id: int, title: str = "News") -> dict:
        chat = {"id": chat_id, "type": "channel", "title": title}
        self._chats[chat_id] = chat
        return chat

    def channel_post(self, chat: dict, image: bytes | None = None,
                     caption: str | None = None, text: str | None = None) -> dict:
        """A post in a channel the bot administers: no `from`, a `sender_chat`."""
        return self._run(self._channel_post(chat, image, caption, text))

    async def _edit(self, message: dict, changes: dict[str, Any]) -> dict:
        edited = dict(message, edit_date=int(time.time()))
        image = changes.pop("image", None)
        if image is not None:
            edited["photo"] = await self._store_photo(image)
        if "caption" in changes:
            edited.update({"caption": changes.pop("caption"),
                           **_entities(edited.get("caption") or "", "caption_")})
        edited.update(changes)
        self._messages[(edited["chat"]["id"], edited["message_id"])] = edited
        await self._push({"edited_message": edited})
        return edited

    async def _channel_post(self, chat: dict, image: bytes | None, caption: str | None,
                            text: str | None) -> dict:
        post: dict[str, Any] = {"message_id": self._next_message_id(chat["id"]),
                                "date": int(time.time()), "chat": chat, "sender_chat": chat}
        if image is not None:
            post["photo"] = await self._store_photo(image)
        if caption:
            post.update({"caption": caption, **_entities(caption, "caption_")})
        if text:
            post.update({"text": text, **_entities(text, "")})
        self._messages[(chat["id"], post["message_id"])] = post
        await self._push({"channel_post": post})
        return post

    def send_document(self, user: dict, data: bytes, file_name: str, mime_type: str,
                      chat: dict | None = None, caption: str | None = None) -> dict:
        """The user sends a file ("send as file": no recompression)."""
        doc = self._run(self._store_file(data, "document", file_name))
        fields: dict[str, Any] = {"document": {
            "file_id": doc.file_id, "file_unique_id": doc.file_unique_id,
            "file_name": file_name, "mime_type": mime_type, "file_size": len(data)}}
        if caption:
            fields.update({"caption": caption, **_entities(caption, "caption_")})
        return self._run(self._incoming(user, chat, fields, None))

    def press_button(self, user: dict, message: dict, data: str) -> str:
        """The user presses an inline button of a message the bot sent; returns the query id."""
        return self._run(self._press(user, message, data))

    def inline_query(self, user: dict, query: str, chat_type: str = "sender",
                     offset: str = "") -> str:
        """The user types `@bot query` in a chat; returns the inline query's id (see
        inline_answer)."""
        return self._run(self._inline(user, query, chat_type, offset))

    def inline_answer(self, query_id: str, timeout: float = 20.0) -> dict[str, Any]:
        """The bot's answerInlineQuery for a query, as the server checked it (waits for it):
        {"results", "is_personal", "cache_time", "button", "next_offset", "at", "asked_at",
        "latency"}: latency is seconds from handing the update to the bot to its answer."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                entry = self._inline_queries.get(query_id)
                if entry and entry.get("answer") is not None:
                    served = self.served_at.get(entry["update_id"])
                    answer = entry["answer"]
                    return dict(answer, asked_at=entry["asked_at"],
                                latency=None if served is None else answer["at"] - served)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"inline query {query_id} not answered in {timeout} s")
                self._cond.wait(min(left, 0.5))

    def pause_updates(self) -> None:
        """Keep new updates back (users keep sending) until resume_updates delivers them all."""
        self._run(self._pause())

    def resume_updates(self) -> None:
        self._run(self._resume())

    async def _pause(self) -> None:
        if self._paused is None:
            self._paused = []

    async def _resume(self) -> None:
        held, self._paused = self._paused or [], None
        for update in held:
            await self._push(update, numbered=True)

    def fail_next(self, method: str, code: int = 429, retry_after: int | None = 1,
                  times: int = 1, description: str | None = None) -> None:
        """Answer the next `times` calls of `method` with an error (429: Too Many Requests)."""
        if description is None:
            description = (f"Too Many Requests: retry after {retry_after}" if code == 429
                           else "Internal Server Error" if code >= 500 else "Bad Request")
        self._faults.append({"method": method, "code": code, "retry_after": retry_after,
                             "times": times, "description": description})

    def fail_for(self, seconds: float, code: int = 500, methods: tuple[str, ...] | None = None,
                 files: bool | None = None, updates: bool = False,
                 retry_after: int | None = None,
                 description: str | None = None) -> None:
        """For the next `seconds`, answer every call of `methods` (None: all methods) with
        `code`: 500/502 for an outage, 429 with `retry_after`, or 0 for a server that drops
        connections (the client sees a transport error). File downloads fail too when no
        `methods` are named (or with `files`); getUpdates only with `updates` (the bot's
        polling survives outages by itself)."""
        if files is None:
            files = methods is None
        if description is None:
            description = (f"Too Many Requests: retry after {retry_after}" if code == 429
                           else "Bad Gateway" if code == 502 else "Internal Server Error")
        self._windows.append({"until": time.monotonic() + seconds, "code": code,
                              "methods": set(methods) if methods else None, "files": files,
                              "updates": updates, "retry_after": retry_after,
                              "description": description})

    def delay_reply(self, method: str, seconds: float, times: int = 1) -> None:
        """The next `times` calls of `method` are carried out at once (a sticker is sent) but
        answered `seconds` later: to kill a worker after its send succeeded and before it
        knows."""
        self._delays.append({"method": method, "seconds": seconds, "times": times})

    def outage(self, seconds: float, code: int = 502) -> None:
        """The Bot API is down for `seconds`: every method but getUpdates, and downloads."""
        self.fail_for(seconds, code)

    def hold_file(self, file_unique_id: str) -> None:
        """Downloads of this file wait until release_file (to catch a worker mid-job)."""
        self._run(self._hold(file_unique_id))

    def release_file(self, file_unique_id: str) -> None:
        self._run(self._release(file_unique_id))

    @staticmethod
    def unique_id_of(data: bytes) -> str:
        """The file_unique_id this server gives a file with these bytes."""
        return "U" + hashlib.sha256(data).hexdigest()[:20]

    def file_bytes(self, file_id: str) -> bytes:
        return self._files[file_id].data

    def add_sticker_file(self, data: bytes) -> str:
        """A sticker file this server knows, as if the bot had sent it before; its file_id."""
        return self._run(self._store_file(data, "sticker")).file_id

    def sticker_set(self, name: str) -> dict | None:
        return self._sticker_sets.get(name)

    def message(self, chat_id: int, message_id: int) -> dict | None:
        return self._messages.get((chat_id, message_id))

    # --- the test side: what the bot did --------------------------------------------------------
    def calls_to(self, method: str | None = None, chat_id: int | None = None,
                 ok: bool | None = True) -> list[Call]:
        with self._cond:
            calls = list(self.calls)
        return [c for c in calls
                if (method is None or c.method == method)
                and (chat_id is None or str(c.params.get("chat_id")) == str(chat_id))
                and (ok is None or c.ok == ok)]

    def wait_for(self, method: str, chat_id: int | None = None, count: int = 1,
                 timeout: float = 20.0, ok: bool | None = True,
                 where: Any = None) -> list[Call]:
        """Block until `count` matching calls were made; returns them (raises on timeout)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [c for c in self.calls
                         if c.method == method
                         and (chat_id is None or str(c.params.get("chat_id")) == str(chat_id))
                         and (ok is None or c.ok == ok) and (where is None or where(c))]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(c.method, c.params.get("chat_id"), c.ok) for c in self.calls[-15:]]
                    raise TimeoutError(f"{count} x {method} to {chat_id} not seen in "
                                       f"{timeout} s (found {len(found)}); last calls: {seen}")
                self._cond.wait(min(left, 0.5))

    def latency(self, call: Call) -> float | None:
        """Seconds from serving the update a reply answers to the reply's call arriving."""
        reply = call.params.get("reply_parameters")
        reply = json.loads(reply) if isinstance(reply, str) else reply
        if not reply:
            return None
        update_id = self.update_of.get((int(call.params["chat_id"]), int(reply["message_id"])))
        served = self.served_at.get(update_id) if update_id else None
        return None if served is None else call.at - served

    def sent_texts(self, chat_id: int) -> list[str]:
        return [c.params.get("text", "") for c in self.calls_to("sendMessage", chat_id)]

    # --- server internals: building messages ---------------------------------------------------
    def _next_message_id(self, chat_id: int) -> int:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        return next(counter)

    async def _store_file(self, data: bytes, kind: str, name: str = "") -> StoredFile:
        unique = self.unique_id_of(data)
        number = next(self._file_counter)
        file_id = f"{kind[:2].upper()}{number:06d}{unique[1:]}"
        ext = {"photo": "jpg", "sticker": "webp"}.get(kind, name.rsplit(".", 1)[-1] or "bin")
        if kind == "sticker" and data.startswith(EBML_MAGIC):
            ext = "webm"
        folder = {"photo": "photos", "sticker": "stickers", "document": "documents",
                  **{k: v[0] for k, v in CLIP_KINDS.items()}}.get(kind, "stickers")
        stored = StoredFile(file_id, unique, data, f"{folder}/file_{number}.{ext}", kind)
        self._files[file_id] = stored
        return stored

    async def _store_photo(self, image: bytes) -> list[dict[str, Any]]:
        from PIL import Image

        try:
            im = Image.open(io.BytesIO(image))
            width, height = im.size
            im.draft("RGB", (180, 180))  # JPEG: decode at a fraction of the size, for the thumb
            im.load()
        except Exception:
            raise ValueError("Telegram would refuse this as a photo (IMAGE_PROCESS_FAILED); "
                             "send it as a document") from None
        sizes = []
        thumb = im.convert("RGB")
        thumb.thumbnail((90, 90))
        out = io.BytesIO()
        thumb.save(out, "JPEG", quality=80)
        small = await self._store_file(out.getvalue(), "photo")
        sizes.append({"file_id": small.file_id, "file_unique_id": small.file_unique_id,
                      "width": thumb.width, "height": thumb.height, "file_size": out.tell()})
        big = await self._store_file(image, "photo")
        sizes.append({"file_id": big.file_id, "file_unique_id": big.file_unique_id,
                      "width": width, "height": height, "file_size": len(image)})
        return sizes

    async def _incoming(self, user: dict, chat: dict | None, fields: dict[str, Any],
                        reply_to: dict | None) -> dict:
        chat = chat or self._chats[user["id"]]
        message = {"message_id": self._next_message_id(chat["id"]), "date": int(time.time()),
                   "chat": chat, "from": user, **fields}
        if reply_to:
            message["reply_to_message"] = reply_to
        self._messages[(chat["id"], message["message_id"])] = message
        await self._push({"message": message})
        return message

    async def _press(self, user: dict, message: dict, data: str) -> str:
        query_id = str(next(self._callback_ids) * 7919 + 1_000_000)
        query = {"id": query_id, "from": user, "message": message,
                 "chat_instance": str(message["chat"]["id"]), "data": data}
        self._callbacks[query_id] = {"query": query, "answered": False}
        await self._push({"callback_query": query})
        return query_id

    async def _inline(self, user: dict, text: str, chat_type: str, offset: str) -> str:
        if len(text) > 256:
            raise ValueError("an inline query is at most 256 characters")
        query_id = str(next(self._inline_ids) * 104729 + 5_000_000)
        query = {"id": query_id, "from": user, "query": text, "offset": offset,
                 "chat_type": chat_type}
        update = {"update_id": next(self._update_ids), "inline_query": query}
        with self._cond:
            self._inline_queries[query_id] = {"query": query, "answer": None,
                                              "update_id": update["update_id"],
                                              "asked_at": time.perf_counter()}
        await self._push(update, numbered=True)
        return query_id

    def callback_answered(self, query_id: str) -> bool:
        return bool(self._callbacks.get(query_id, {}).get("answered"))

    async def _push(self, update: dict[str, Any], numbered: bool = False) -> None:
        if not numbered:
            update = {"update_id": next(self._update_ids), **update}
        if self._paused is not None:
            self._paused.append(update)
            return
        if "message" in update:
            message = update["message"]
            self.update_of[(message["chat"]["id"], message["message_id"])] = update["update_id"]
        if self._webhook.get("url"):
            asyncio.ensure_future(self._deliver(update))
        else:
            self._updates.append(update)
            assert self._new_update
            self._new_update.set()

    async def _deliver(self, update: dict[str, Any]) -> None:
        """POST an update to the webhook, retrying a few times like Telegram does."""
        if self._session is None:
            self._session = ClientSession(timeout=ClientTimeout(total=30))
        headers = {}
        if self._webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = self._webhook["secret_token"]
        for attempt in range(5):
            self.served_at.setdefault(update["update_id"], time.perf_counter())
            try:
                async with self._session.post(self._webhook["url"], json=update,
                                              headers=headers) as resp:
                    if resp.status < 300:
                        return
            except Exception:
                pass
            await asyncio.sleep(0.2 * (attempt + 1))

    async def _hold(self, unique: str) -> None:
        self._holds[unique] = asyncio.Event()

    async def _release(self, unique: str) -> None:
        event = self._holds.pop(unique, None)
        if event:
            event.set()

    # --- HTTP -----------------------------------------------------------------------------------
    async def _read_params(self, request: web.Request) -> _Params:
        values: dict[str, Any] = dict(request.query)
        uploads: dict[str, tuple[str, bytes, str]] = {}
        ctype = request.content_type
        if request.method == "POST" and request.can_read_body:
            if ctype == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise bad("can't parse JSON") from None
                if not isinstance(body, dict):
                    raise bad("JSON body must be an object")
                values.update(body)
            elif ctype in ("multipart/form-data", "application/x-www-form-urlencoded"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        uploads[key] = (value.filename or key, value.file.read(),
                                        value.content_type)
                    else:
                        values[key] = value
        return _Params(values, uploads)

    async def _handle_method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401,
                                      "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        handler = getattr(self, "_m_" + method.lower(), None)
        call = Call(method, {}, {}, 0.0)
        try:
            params = await self._read_params(request)
            # recorded as a form sends them (strings, objects JSON-encoded) whatever the body
            # was, so that a test reads a call one way for every client
            call.params = {k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
                           for k, v in params.values.items()}
            call.files = {k: {"filename": f, "size": len(d), "content_type": c}
                          for k, (f, d, c) in params.uploads.items()}
            call.at = time.perf_counter()
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            try:
                self._inject_fault(method)
            except _Drop:
                call.ok, call.error = False, "connection dropped"
                with self._cond:
                    self.calls.append(call)
                    self._cond.notify_all()
                if request.transport is not None:
                    request.transport.close()
                return web.Response(status=503)
            result = await handler(params)
            call.result = result
            delay = next((d for d in self._delays if d["method"] == method and d["times"] > 0),
                         None)
            if delay is not None:
                delay["times"] -= 1
                with self._cond:  # the call took effect: record it before the late answer
                    self.calls.append(call)
                    self._cond.notify_all()
                await asyncio.sleep(delay["seconds"])
                return web.json_response({"ok": True, "result": result})
            body: dict[str, Any] = {"ok": True, "result": result}
            status = 200
        except ApiError as exc:
            call.ok, call.error = False, exc.description
            body, status = exc.body(), exc.code
        if method != "getUpdates" or not call.ok or call.result:
            with self._cond:
                self.calls.append(call)
                self._cond.notify_all()
        if status == 200 and method == "getUpdates":
            now = time.perf_counter()
            for update in body["result"]:
                self.served_at.setdefault(update["update_id"], now)
        return web.json_response(body, status=status)

    def _window(self, method: str) -> dict[str, Any] | None:
        now = time.monotonic()
        for window in self._windows:
            if window["until"] <= now:
                continue
            if method == "download":
                if window["files"]:
                    return window
            elif method == "getUpdates":
                if window["updates"]:
                    return window
            elif window["methods"] is None or method in window["methods"]:
                return window
        return None

    def _inject_fault(self, method: str) -> None:
        window = self._window(method)
        if window is not None:
            if window["code"] == 0:
                raise _Drop()
            raise ApiError(window["code"], window["description"],
                           window["retry_after"] if window["code"] == 429 else None)
        for fault in self._faults:
            if fault["method"] == method and fault["times"] > 0:
                fault["times"] -= 1
                raise ApiError(fault["code"], fault["description"],
                               fault["retry_after"] if fault["code"] == 429 else None)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.Response(status=401, text="Unauthorized")
        path = request.match_info["path"]
        stored = next((f for f in self._files.values() if f.file_path == path), None)
        if stored is None:
            return web.Response(status=404, text="Not Found")
        hold = self._holds.get(stored.file_unique_id)
        window = self._window("download")
        if window is not None:
            return web.Response(status=window["code"] or 502, text="Bad Gateway")
        with self._cond:
            self.calls.append(Call("download", {"file_path": path}, {}, time.perf_counter()))
            self._cond.notify_all()
        if hold:
            await hold.wait()
        return web.Response(body=stored.data, content_type="application/octet-stream")

    # --- helpers for methods --------------------------------------------------------------------
    def _chat(self, params: _Params) -> dict[str, Any]:
        chat_id = params.int("chat_id", required=True)
        chat = self._chats.get(chat_id)
        if chat is None:
            raise bad("chat not found")
        return chat

    def _reply(self, params: _Params, chat: dict[str, Any]) -> dict[str, Any] | None:
        reply = params.json("reply_parameters")
        if reply is None and params.has("reply_to_message_id"):
            reply = {"message_id": params.int("reply_to_message_id"),
                     "allow_sending_without_reply": params.bool("allow_sending_without_reply")}
        if not reply:
            return None
        target = self._messages.get((int(reply.get("chat_id", chat["id"])),
                                     int(reply["message_id"])))
        if target is None and not reply.get("allow_sending_without_reply"):
            raise bad("message to be replied not found")
        return target

    def _markup(self, params: _Params) -> dict[str, Any] | None:
        markup = params.json("reply_markup")
        if markup and "inline_keyboard" in markup:
            for row in markup["inline_keyboard"]:
                for button in row:
                    if not button.get("text"):
                        raise bad("text buttons are unallowed in the inline keyboard")
                    data = button.get("callback_data")
                    if data is not None and not 1 <= len(data.encode()) <= 64:
                        raise bad("BUTTON_DATA_INVALID")
                    if "web_app" in button:
                        _check_web_app(button)
        return markup

    async def _outgoing(self, chat: dict[str, Any], params: _Params,
                        fields: dict[str, Any]) -> dict[str, Any]:
        message = {"message_id": self._next_message_id(chat["id"]), "date": int(time.time()),
                   "chat": chat, "from": self.bot_user, **fields}
        reply = self._reply(params, chat)
        if reply:
            message["reply_to_message"] = reply
        markup = self._markup(params)
        if markup and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        self._messages[(chat["id"], message["message_id"])] = message
        return message

    def _text(self, params: _Params, name: str, limit: int, required: bool) -> str | None:
        text = params.str(name, required=required)
        if text is not None and len(text) > limit:
            raise bad("message is too long" if name == "text" else "message caption is too long")
        if text is not None and params.str("parse_mode") == "HTML":
            # what HTML parsing would reject: unknown or unbalanced tags
            for tag in re.findall(r"</?([a-zA-Z0-9-]+)", text):
                if tag.lower() not in {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del",
                                       "a", "code", "pre", "span", "tg-spoiler", "blockquote",
                                       "tg-emoji"}:
                    raise bad(f"can't parse entities: unsupported start tag \"{tag}\"")
        return text

    def _input_file(self, params: _Params, name: str, kind: str) -> StoredFile | bytes:
        """An InputFile parameter: an upload, an attach://name, or an existing file_id."""
        if name in params.uploads:
            return params.uploads[name][1]
        value = params.str(name, required=True)
        assert value is not None
        if value.startswith("attach://"):
            upload = params.uploads.get(value.removeprefix("attach://"))
            if upload is None:
                raise bad(f"file {value} not found in the request")
            return upload[1]
        if value.startswith(("http://", "https://")):
            raise bad("wrong HTTP URL specified")
        stored = self._files.get(value)
        if stored is None:
            raise bad("wrong remote file identifier specified: Wrong string length")
        if kind == "sticker" and stored.kind not in ("sticker", "sticker_upload"):
            raise bad("wrong file identifier/HTTP URL specified: can't use file of type "
                      f"{stored.kind.title()} as Sticker")
        return stored

    @staticmethod
    def _check_sticker_image(data: bytes, formats: tuple[str, ...],
                             kind: str = "regular") -> tuple[int, int]:
        """A static sticker's size: one side 512, the other at most 512; a custom emoji's:
        exactly 100x100."""
        from PIL import Image

        if len(data) > STICKER_MAX_BYTES:
            raise bad("file is too big")
        try:
            im = Image.open(io.BytesIO(data))  # reads the header: format and size
        except Exception:
            raise bad("wrong file type") from None
        if im.format not in formats:
            raise bad(f"wrong file type: {im.format} sticker, expected {' or '.join(formats)}")
        width, height = im.size
        if kind == "custom_emoji":
            if (width, height) != (CUSTOM_EMOJI_SIDE, CUSTOM_EMOJI_SIDE):
                raise bad("STICKER_PNG_DIMENSIONS: a custom emoji must be exactly 100x100")
        elif max(width, height) != STICKER_SIDE or min(width, height) > STICKER_SIDE:
            raise bad("STICKER_PNG_DIMENSIONS")
        return width, height

    async def _sticker_from(self, source: StoredFile | bytes, formats: tuple[str, ...],
                            emoji: str | None, kind: str = "regular"
                            ) -> tuple[StoredFile, dict[str, Any]]:
        if isinstance(source, bytes):
            width, height = self._check_sticker_image(source, formats, kind)
            stored = await self._store_file(source, "sticker")
        else:
            stored = source
            width, height = self._check_sticker_image(stored.data, ("PNG", "WEBP"), kind)
        sticker = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                   "type": kind, "width": width, "height": height, "is_animated": False,
                   "is_video": False, "file_size": len(stored.data)}
        if kind == "custom_emoji":  # what a message entity and an emoji status name it by
            sticker["custom_emoji_id"] = str(next(self._custom_emoji_ids))
            self._custom_emoji[sticker["custom_emoji_id"]] = sticker
        if emoji:
            sticker["emoji"] = emoji
        return stored, sticker

    # --- Bot API methods ------------------------------------------------------------------------
    async def _m_getme(self, params: _Params) -> dict[str, Any]:
        return {**self.bot_user, "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": self.inline, "can_connect_to_business": False,
                "has_main_web_app": False}

    async def _m_getupdates(self, params: _Params) -> list[dict[str, Any]]:
        if self._webhook.get("url"):
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        offset = params.int("offset", default=0) or 0
        limit = min(100, max(1, params.int("limit", default=100) or 100))
        timeout = max(0, params.int("timeout", default=0) or 0)
        allowed = params.json("allowed_updates")
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if self._poller and not self._poller.done():
            self._poller.set_result(True)  # the older request is terminated
        me = asyncio.get_running_loop().create_future()
        self._poller = me
        deadline = time.monotonic() + timeout
        assert self._new_update
        while not self._updates and not me.done():
            self._new_update.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                break
            waiter = asyncio.ensure_future(self._new_update.wait())
            await asyncio.wait([waiter, me], timeout=left, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
        if me.done():
            raise ApiError(409, "Conflict: terminated by other getUpdates request; make sure "
                                "that only one bot instance is running")
        me.set_result(False)
        updates = self._updates
        if allowed:
            updates = [u for u in updates if any(k in u for k in allowed)]
        return updates[:limit]

    async def _m_setwebhook(self, params: _Params) -> bool:
        url = params.str("url", default="") or ""
        if url and not url.startswith(("http://", "https://")):
            raise bad("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.str("secret_token")
        if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise bad("secret token contains unallowed characters")
        if params.bool("drop_pending_updates"):
            self._updates.clear()
        self._webhook = {"url": url, "secret_token": secret}
        pending, self._updates = self._updates, []
        for update in pending:
            asyncio.ensure_future(self._deliver(update))
        return True

    async def _m_deletewebhook(self, params: _Params) -> bool:
        self._webhook = {}
        if params.bool("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _m_getwebhookinfo(self, params: _Params) -> dict[str, Any]:
        return {"url": self._webhook.get("url", ""), "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}

    async def _m_setmycommands(self, params: _Params) -> bool:
        commands = params.json("commands", required=True)
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad("commands must be a list of at most 100 BotCommand")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command.get("command", "")):
                raise bad("BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
        if params.has("scope") and (params.json("scope") or {}).get("type") != "default":
            raise bad("only the default scope is supported by this server")
        code = params.str("language_code", default="") or ""
        if code and not re.fullmatch(r"[a-z]{2}", code):  # two-letter ISO 639-1, or empty
            raise bad("invalid language code specified")
        self.commands_by_language[code] = commands
        if not code:
            self.commands = commands
        return True

    async def _m_setchatmenubutton(self, params: _Params) -> bool:
        """The menu button: commands, default, or a web_app button (a text and an HTTPS url)."""
        button = params.json("menu_button", default={"type": "default"}) or {"type": "default"}
        kind = button.get("type") if isinstance(button, dict) else None
        if kind not in ("commands", "web_app", "default"):
            raise bad("can't parse menu button: unsupported type")
        if kind == "web_app":
            _check_web_app(button)
        if params.has("chat_id"):
            self.menu_buttons[params.int("chat_id")] = button
        else:
            self.menu_button = button
        return True

    async def _m_getchatmenubutton(self, params: _Params) -> dict[str, Any]:
        chat_id = params.int("chat_id")
        return self.menu_buttons.get(chat_id, self.menu_button) if chat_id else self.menu_button

    async def _m_getmycommands(self, params: _Params) -> list[dict[str, str]]:
        code = params.str("language_code", default="") or ""
        return self.commands_by_language.get(code, [])

    async def _m_answerinlinequery(self, params: _Params) -> bool:
        """Checked as documented: at most 50 results with unique ids of 1-64 bytes; cached
        stickers must be stickers this server knows; a button opens the bot with a
        start_parameter of 1-64 of A-Z a-z 0-9 _ -; a query is answered once."""
        query_id = params.str("inline_query_id", required=True) or ""
        entry = self._inline_queries.get(query_id)
        if entry is None or entry["answer"] is not None:
            raise bad("query is too old and response timeout expired or query ID is invalid")
        results = params.json("results", required=True)
        if not isinstance(results, list):
            raise bad("can't parse inline query results JSON object")
        if len(results) > 50:
            raise bad("RESULTS_TOO_MUCH")
        ids = set()
        for result in results:
            rid = str(result.get("id", ""))
            if not 1 <= len(rid.encode()) <= 64:
                raise bad("RESULT_ID_INVALID")
            if rid in ids:
                raise bad("RESULT_ID_DUPLICATE")
            ids.add(rid)
            if result.get("type") != "sticker" or "sticker_file_id" not in result:
                raise bad("only cached sticker results are supported by this server")
            stored = self._files.get(result["sticker_file_id"])
            if stored is None or stored.kind not in ("sticker", "sticker_upload"):
                raise bad("wrong file identifier/HTTP URL specified")
        button = params.json("button")
        if button is not None:
            if not button.get("text"):
                raise bad("BUTTON_TEXT_INVALID")
            start = button.get("start_parameter")
            if button.get("web_app") is None and not (
                    isinstance(start, str) and re.fullmatch(r"[A-Za-z0-9_-]{1,64}", start)):
                raise bad("START_PARAM_INVALID")
        with self._cond:
            entry["answer"] = {"results": results, "is_personal": params.bool("is_personal"),
                               "cache_time": params.int("cache_time", default=300),
                               "button": button,
                               "next_offset": params.str("next_offset", default=""),
                               "at": time.perf_counter()}
            self._cond.notify_all()
        return True

    async def _m_sendmessage(self, params: _Params) -> dict[str, Any]:
        chat = self._chat(params)
        text = self._text(params, "text", 4096, required=True)
        return await self._outgoing(chat, params, {"text": text})

    async def _m_sendchataction(self, params: _Params) -> bool:
        self._chat(params)
        if params.str("action", required=True) not in CHAT_ACTIONS:
            raise bad("wrong parameter action in request")
        return True

    async def _m_setmessagereaction(self, params: _Params) -> bool:
        chat = self._chat(params)
        message_id = params.int("message_id", required=True)
        if (chat["id"], message_id) not in self._messages:
            raise bad("message to react not found")
        reaction = params.json("reaction", default=[])
        if not isinstance(reaction, list) or len(reaction) > 1 or not all(
                isinstance(r, dict) and r.get("type") in ("emoji", "custom_emoji", "paid")
                for r in reaction):
            raise bad("REACTION_INVALID")
        return True

    async def _m_sendphoto(self, params: _Params) -> dict[str, Any]:
        chat = self._chat(params)
        caption = self._text(params, "caption", 1024, required=False)
        source = self._input_file(params, "photo", "photo")
        if isinstance(source, bytes):
            try:
                sizes = await self._store_photo(source)
            except ValueError:
                raise bad("IMAGE_PROCESS_FAILED") from None
        else:
            sizes = [{"file_id": source.file_id, "file_unique_id": source.file_unique_id,
                      "width": 0, "height": 0, "file_size": len(source.data)}]
        fields: dict[str, Any] = {"photo": sizes}
        if caption:
            fields["caption"] = caption
        return await self._outgoing(chat, params, fields)

    async def _m_sendsticker(self, params: _Params) -> dict[str, Any]:
        chat = self._chat(params)
        source = self._input_file(params, "sticker", "sticker")
        # sendSticker documents .WEBP (static), .TGS and .WEBM (video) for uploads
        data = source if isinstance(source, bytes) else source.data
        if data.startswith(EBML_MAGIC):
            _, sticker = await self._video_sticker_from(source, params.str("emoji"))
        else:
            _, sticker = await self._sticker_from(source, ("WEBP",), params.str("emoji"))
        return await self._outgoing(chat, params, {"sticker": sticker})

    async def _m_getfile(self, params: _Params) -> dict[str, Any]:
        file_id = params.str("file_id", required=True)
        stored = self._files.get(file_id or "")
        if stored is None:
            raise bad("invalid file_id")
        if len(stored.data) > MAX_GET_FILE:
            raise bad("file is too big")
        return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                "file_size": len(stored.data), "file_path": stored.file_path}

    async def _m_answercallbackquery(self, params: _Params) -> bool:
        query_id = params.str("callback_query_id", required=True)
        entry = self._callbacks.get(query_id or "")
        if entry is None:
            raise bad("query is too old and response timeout expired or query ID is invalid")
        if entry["answered"]:
            raise bad("query is too old and response timeout expired or query ID is invalid")
        if len(params.str("text", default="") or "") > 200:
            raise bad("MESSAGE_TOO_LONG")
        entry["answered"] = True
        return True

    def _edited(self, params: _Params) -> dict[str, Any]:
        if params.has("inline_message_id"):
            raise bad("inline messages are not supported by this server")
        chat = self._chat(params)
        message = self._messages.get((chat["id"], params.int("message_id", required=True)))
        if message is None:
            raise bad("message to edit not found")
        if message["from"]["id"] != self.bot_user["id"]:
            raise bad("message can't be edited")
        return message

    async def _m_editmessagereplymarkup(self, params: _Params) -> dict[str, Any]:
        message = self._edited(params)
        markup = self._markup(params)
        if markup == message.get("reply_markup"):
            raise bad("message is not modified: specified new message content and reply markup "
                      "are exactly the same as a current content and reply markup of the message")
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        message["edit_date"] = int(time.time())
        return message

    async def _m_editmessagetext(self, params: _Params) -> dict[str, Any]:
        message = self._edited(params)
        if "text" not in message:
            raise bad("there is no text in the message to edit")
        text = self._text(params, "text", 4096, required=True)
        markup = self._markup(params)
        if text == message["text"] and markup == message.get("reply_markup"):
            raise bad("message is not modified")
        message["text"] = text
        if markup:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())
        return message

    async def _m_editmessagecaption(self, params: _Params) -> dict[str, Any]:
        message = self._edited(params)
        caption = self._text(params, "caption", 1024, required=False)
        markup = self._markup(params)
        if caption == message.get("caption") and markup == message.get("reply_markup"):
            raise bad("message is not modified")
        message["caption"] = caption
        if markup:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())
        return message

    async def _m_uploadstickerfile(self, params: _Params) -> dict[str, Any]:
        self._known_user(params)
        fmt = params.str("sticker_format", required=True)
        if fmt != "static":
            raise bad("only static stickers are supported by this server")
        source = self._input_file(params, "sticker", "sticker")
        if not isinstance(source, bytes):
            raise bad("sticker must be uploaded using multipart/form-data")
        self._check_sticker_image(source, ("PNG", "WEBP"))
        stored = await self._store_file(source, "sticker_upload")
        return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                "file_size": len(source), "file_path": stored.file_path}

    def _known_user(self, params: _Params) -> int:
        user_id = params.int("user_id", required=True)
        assert user_id is not None
        if user_id not in self._users:
            raise bad("PEER_ID_INVALID")
        return user_id

    def _set_name(self, params: _Params) -> str:
        name = params.str("name", required=True) or ""
        suffix = f"_by_{self.username}".lower()
        if (not SET_NAME.match(name) or "__" in name or len(name) > 64
                or not name.lower().endswith(suffix)):
            raise bad("invalid sticker set name is specified")
        return name

    async def _input_sticker(self, spec: Any, params: _Params,
                             kind: str = "regular") -> dict[str, Any]:
        """An InputSticker as documented: format static (PNG/WEBP) or video (WEBM), 1-20
        emoji, 0-20 keywords of 64 characters in all; its file an upload, an attach:// part
        or a file_id. The sticker keeps its emoji_list and keywords (sticker_set() shows them;
        getStickerSet, like Telegram, shows only the first emoji)."""
        if not isinstance(spec, dict) or "sticker" not in spec:
            raise bad("can't parse InputSticker JSON object")
        fmt = spec.get("format")
        if fmt not in ("static", "video"):
            raise bad("STICKER_FORMAT_INVALID" if fmt is not None
                      else "InputSticker format must be specified")
        emojis = spec.get("emoji_list") or []
        if (not isinstance(emojis, list) or not 1 <= len(emojis) <= 20
                or not all(isinstance(e, str) and e for e in emojis)):
            raise bad("STICKER_EMOJI_INVALID")
        keywords = spec.get("keywords") or []
        if (not isinstance(keywords, list) or len(keywords) > 20
                or not all(isinstance(k, str) for k in keywords)
                or sum(len(k) for k in keywords) > 64):
            raise bad("STICKER_KEYWORDS_INVALID")
        sub = _Params({"sticker": spec["sticker"]}, params.uploads)
        source = self._input_file(sub, "sticker", "sticker")
        if fmt == "video":
            if kind == "custom_emoji":
                raise bad("only static custom emoji are supported by this server")
            _, sticker = await self._video_sticker_from(source, emojis[0])
        else:
            _, sticker = await self._sticker_from(source, ("PNG", "WEBP"), emojis[0], kind)
        return {**sticker, "emoji_list": list(emojis), "keywords": list(keywords)}

    async def _video_sticker_from(self, source: StoredFile | bytes,
                                  emoji: str | None) -> tuple[StoredFile, dict[str, Any]]:
        """A video sticker, read with ffmpeg and checked as Telegram checks it (WEBM, VP9,
        one side 512 px, the other at most 512, at most 3 s, 30 fps, 256 KB, no audio)."""
        from pipeline.videoinfo import inspect_video, video_sticker_error

        data = source if isinstance(source, bytes) else source.data
        info = await asyncio.to_thread(inspect_video, data)
        error = video_sticker_error(info)
        if error:
            raise bad(error)
        stored = (await self._store_file(data, "sticker") if isinstance(source, bytes)
                  else source)
        sticker = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                   "type": "regular", "width": info.width, "height": info.height,
                   "is_animated": False, "is_video": True, "file_size": len(data)}
        if emoji:
            sticker["emoji"] = emoji
        return stored, sticker

    def _owned_set(self, params: _Params) -> tuple[int, str, dict[str, Any]]:
        """(user id, name, set) of a set the user created; STICKERSET_INVALID otherwise."""
        user_id = self._known_user(params)
        name = params.str("name", required=True) or ""
        sticker_set = self._sticker_sets.get(name)
        if sticker_set is None or sticker_set["owner"] != user_id:
            raise bad("STICKERSET_INVALID")
        return user_id, name, sticker_set

    async def _m_createnewstickerset(self, params: _Params) -> bool:
        user_id = self._known_user(params)
        name = self._set_name(params)
        if name.lower() in {n.lower() for n in self._sticker_sets}:
            raise bad("sticker set name is already occupied")
        title = params.str("title", required=True) or ""
        if not 1 <= len(title) <= 64:
            raise bad("invalid sticker set title is specified")
        kind = params.str("sticker_type", default="regular") or "regular"
        if kind not in SET_LIMITS:
            raise bad("only regular and custom_emoji sticker sets are supported by this server")
        specs = params.json("stickers", required=True)
        if not isinstance(specs, list) or not 1 <= len(specs) <= 50:
            raise bad("stickers must be a list of 1-50 InputSticker")
        stickers = [await self._input_sticker(spec, params, kind) for spec in specs]
        if len(stickers) > SET_LIMITS[kind]:  # (50 < 120: kept for the record)
            raise bad("STICKERS_TOO_MUCH")
        self._sticker_sets[name] = {"name": name, "title": title, "owner": user_id,
                                    "sticker_type": kind, "stickers": stickers}
        return True

    async def _m_addstickertoset(self, params: _Params) -> bool:
        _, _, sticker_set = self._owned_set(params)
        kind = sticker_set["sticker_type"]
        if len(sticker_set["stickers"]) >= SET_LIMITS[kind]:
            raise bad("STICKERS_TOO_MUCH")
        sticker_set["stickers"].append(
            await self._input_sticker(params.json("sticker", required=True), params, kind))
        return True

    async def _m_replacestickerinset(self, params: _Params) -> bool:
        """The sticker `old_sticker` (a file_id of a sticker in the set) is replaced in place:
        the new one takes its position, as Telegram does."""
        _, _, sticker_set = self._owned_set(params)
        old = params.str("old_sticker", required=True)
        position = next((i for i, s in enumerate(sticker_set["stickers"])
                         if s["file_id"] == old), None)
        if position is None:
            raise bad("STICKER_INVALID")
        sticker_set["stickers"][position] = await self._input_sticker(
            params.json("sticker", required=True), params, sticker_set["sticker_type"])
        return True

    def allow_emoji_status(self, user_id: int, allowed: bool = True) -> None:
        """The person answered the Mini App's requestEmojiStatusAccess (Bot API 8.0): only
        then may the bot set their emoji status."""
        (self._emoji_status_access.add if allowed else self._emoji_status_access.discard)(
            user_id)

    async def _m_setuseremojistatus(self, params: _Params) -> bool:
        """Set (or, without an id, clear) a person's emoji status: a custom emoji that exists,
        for a person who allowed this bot to (allow_emoji_status), until an optional future
        expiration date."""
        user_id = self._known_user(params)
        if user_id not in self._emoji_status_access:
            raise ApiError(403, "Forbidden: the user didn't allow the bot to change their "
                                "emoji status")
        emoji_id = params.str("emoji_status_custom_emoji_id", default="") or ""
        if emoji_id and emoji_id not in self._custom_emoji:
            raise bad("CUSTOM_EMOJI_INVALID")
        expires = params.int("emoji_status_expiration_date", default=0) or 0
        if expires and expires <= time.time():
            raise bad("EXPIRATION_DATE_INVALID")
        if emoji_id:
            self.emoji_statuses[user_id] = {"custom_emoji_id": emoji_id,
                                            "expiration_date": expires or None}
        else:
            self.emoji_statuses.pop(user_id, None)
        return True

    async def _m_getcustomemojistickers(self, params: _Params) -> list[dict[str, Any]]:
        ids = params.json("custom_emoji_ids", required=True)
        if not isinstance(ids, list) or len(ids) > 200:
            raise bad("custom_emoji_ids must be a list of at most 200 identifiers")
        return [self._custom_emoji[i] for i in ids if i in self._custom_emoji]

    async def _m_getstickerset(self, params: _Params) -> dict[str, Any]:
        name = params.str("name", required=True) or ""
        sticker_set = self._sticker_sets.get(name)
        if sticker_set is None:
            raise bad("STICKERSET_INVALID")
        hidden = ("emoji_list", "keywords")  # kept for tests; a Sticker shows one emoji
        return {k: v for k, v in sticker_set.items() if k != "owner"} | {
            "stickers": [{k: v for k, v in s.items() if k not in hidden} | {"set_name": name}
                         for s in sticker_set["stickers"]]}


def _check_web_app(button: dict[str, Any]) -> None:
    """A web_app button opens an HTTPS page (Telegram refuses any other address)."""
    url = (button.get("web_app") or {}).get("url", "") if isinstance(button, dict) else ""
    if not button.get("text") or not isinstance(url, str) or not url.startswith("https://"):
        raise bad("BUTTON_URL_INVALID: a web_app button needs a text and an HTTPS url")


def _entities(text: str, prefix: str) -> dict[str, Any]:
    """bot_command and mention entities, as Telegram marks them (offsets in UTF-16 units)."""
    entities = []
    for match in re.finditer(r"(?<![\w/@])(/[A-Za-z0-9_]{1,32}(?:@\w+)?|@\w{5,32})", text):
        start = len(text[:match.start()].encode("utf-16-le")) // 2
        length = len(match.group(0).encode("utf-16-le")) // 2
        kind = "bot_command" if match.group(0).startswith("/") else "mention"
        entities.append({"type": kind, "offset": start, "length": length})
    return {f"{prefix}entities": entities} if entities else {}
