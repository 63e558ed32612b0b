"""The bot's HTTP client: python-telegram-bot's requests over aiohttp instead of httpx.

Why: with many answers in flight (20 people typing `@bot` at once), httpcore's connection pool
re-checks every pooled connection (a socket poll each) for every queued request, which made
most of the bot's CPU per inline answer (`moji bench inline` compares both clients). aiohttp is
already a dependency (the webhook server, the local Bot API server) and pools cheaply.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    """A `telegram.request.BaseRequest` on one aiohttp session (made on first use, in the
    running loop); `connections` bounds the open connections, `read_timeout` is the default
    seconds to wait for an answer (getUpdates adds its own long-polling time)."""

    def __init__(self, connections: int = 256, read_timeout: float | None = 5.0,
                 connect_timeout: float = 5.0, media_write_timeout: float = 20.0) -> None:
        self._connections = connections
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                headers={"User-Agent": self.USER_AGENT},
                trust_env=True)  # HTTPS_PROXY and friends, as httpx honours them

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = BaseRequest.DEFAULT_NONE,
                         write_timeout: Any = BaseRequest.DEFAULT_NONE,
                         connect_timeout: Any = BaseRequest.DEFAULT_NONE,
                         pool_timeout: Any = BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            await self.initialize()
        assert self._session is not None
        body, json_body = _body(request_data)
        uploading = bool(request_data and request_data.contains_files)
        read = _given(read_timeout, self._read_timeout)
        write = _given(write_timeout, self._media_write_timeout if uploading else 0.0) or 0.0
        connect = _given(connect_timeout, self._connect_timeout)
        # aiohttp has no write timeout of its own: an upload's time goes on the whole request
        timeout = aiohttp.ClientTimeout(
            total=None if read is None else read + write + (connect or 0.0), sock_connect=connect)
        try:
            async with self._session.request(method, url, data=body, json=json_body,
                                             timeout=timeout) as resp:
                return resp.status, await resp.read()
        except asyncio.TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err


def _given(value: Any, default: float | None) -> float | None:
    """A timeout the caller gave, else ours (python-telegram-bot passes DEFAULT_NONE for none)."""
    return default if isinstance(value, type(BaseRequest.DEFAULT_NONE)) else value


def _body(request_data: RequestData | None) -> tuple[aiohttp.FormData | None, Any]:
    """(multipart form, None) when there are files, else (None, the parameters as JSON): the Bot
    API takes application/json, and url-encoding a long results list char by char cost more
    than the rest of an inline answer."""
    if request_data is None:
        return None, None
    if not request_data.contains_files:
        return None, request_data.parameters
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form, None
