"""Helpers for the web tests: the web service on a free port (in a thread, or as the real
`moji web` process), and Telegram's signed launch data for a person."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from botkit import free_port

from web import auth

TOKEN = "123456789:AAEmojiLocalTestTokenXXXXXXXXXXXXXXX"  # moji.localapi's default token


def init_data(user_id: int, token: str = TOKEN, age: float = 0, language: str = "en",
              first_name: str = "Ann", **extra: Any) -> str:
    """Init data as Telegram signs it for a Mini App opened `age` seconds ago."""
    fields = {"query_id": f"AAH{user_id}", "auth_date": int(time.time() - age),
              "user": {"id": user_id, "first_name": first_name, "language_code": language,
                       "allows_write_to_pm": True}, **extra}
    return auth.sign(fields, token)


def headers(user_id: int, **kwargs: Any) -> dict[str, str]:
    return {"Authorization": "tma " + init_data(user_id, **kwargs)}


class ThreadedWeb:
    """web.app's application served on 127.0.0.1 from a thread with its own event loop."""

    def __init__(self, config: Any, redis: Any) -> None:
        from web.app import create_app

        self.app = create_app(config, redis)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.loop = asyncio.new_event_loop()
        self._runner = None
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> ThreadedWeb:
        from aiohttp import web

        self._thread.start()

        async def start() -> None:
            self._runner = web.AppRunner(self.app, access_log=None)
            await self._runner.setup()
            await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

        asyncio.run_coroutine_threadsafe(start(), self.loop).result(30)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
