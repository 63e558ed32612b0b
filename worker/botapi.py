"""A small synchronous Bot API client for the workers (RQ jobs are synchronous).

It waits out `retry_after` on 429, retries network errors a few times, and never puts the token
into an exception: errors carry the method name and Telegram's description only.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from .config import Settings, api_url

log = logging.getLogger(__name__)

MAX_INLINE_WAIT_S = 30.0  # a longer retry_after fails the call (the job is then retried by RQ)


class BotAPIError(Exception):
    """The Bot API answered ok=false (or could not be reached)."""

    def __init__(self, method: str, code: int, description: str,
                 retry_after: float | None = None) -> None:
        super().__init__(f"{method}: {code} {description}")
        self.method = method
        self.code = code
        self.description = description
        self.retry_after = retry_after


class BotAPI:
    """Calls Bot API methods; `files` are uploaded as multipart/form-data."""

    def __init__(self, token: str, base_url: str, base_file_url: str,
                 timeout: float = 30.0, retries: int = 3) -> None:
        self._api = api_url(base_url, token)
        self._files = api_url(base_file_url, token)
        self._client = httpx.Client(timeout=timeout)
        self.retries = retries

    @classmethod
    def from_settings(cls, settings: Settings) -> BotAPI:
        return cls(settings.token, settings.base_url, settings.base_file_url)

    def close(self) -> None:
        self._client.close()

    def call(self, method: str, params: dict[str, Any] | None = None,
             files: dict[str, tuple[str, bytes, str]] | None = None,
             before_last_byte: Callable[[], None] | None = None) -> Any:
        """Call `method`; returns its `result`. Raises BotAPIError.

        `before_last_byte`: called before the request's last byte goes out, on
        each attempt. Until then Telegram holds an incomplete request and cannot act on it, so
        a caller can record there that the request may now take effect, or raise to abandon it
        (the exception comes out of `call`). After it has run, a lost connection is not tried
        again: the request may have taken effect (BotAPIError code 0, "delivery unknown")."""
        data = {k: (v if isinstance(v, str) else json.dumps(v))
                for k, v in (params or {}).items() if v is not None}
        attempt = 0
        while True:
            attempt += 1
            handed_over = [False]
            try:
                if before_last_byte:
                    resp = self._post_handing_over(f"{self._api}/{method}", data, files,
                                                   before_last_byte, handed_over)
                elif files:
                    resp = self._client.post(f"{self._api}/{method}", data=data, files=files)
                else:
                    resp = self._client.post(f"{self._api}/{method}", data=data)
                body = resp.json()
            except (httpx.TransportError, ValueError) as exc:
                if handed_over[0]:
                    raise BotAPIError(method, 0, f"connection lost after the upload "
                                      f"({type(exc).__name__}): delivery unknown") from None
                if attempt > self.retries:
                    raise BotAPIError(method, 0,
                                      f"Bot API unreachable ({type(exc).__name__})") from None
                time.sleep(0.2 * attempt)
                continue
            if body.get("ok"):
                return body.get("result")
            code = int(body.get("error_code") or resp.status_code)
            description = str(body.get("description", "unknown error"))
            retry_after = (body.get("parameters") or {}).get("retry_after")
            if code == 429 and retry_after is not None and attempt <= self.retries \
                    and float(retry_after) <= MAX_INLINE_WAIT_S:
                log.warning("%s: flood limit, retrying after %s s", method, retry_after)
                time.sleep(float(retry_after))
                continue
            if code >= 500 and attempt <= self.retries:
                time.sleep(0.2 * attempt)
                continue
            raise BotAPIError(method, code, description,
                              float(retry_after) if retry_after is not None else None)

    def _post_handing_over(self, url: str, data: dict[str, str],
                           files: dict[str, tuple[str, bytes, str]] | None,
                           before_last_byte: Callable[[], None],
                           handed_over: list[bool]) -> httpx.Response:
        """POST a form (multipart with `files`), calling `before_last_byte` before the last
        byte is sent."""
        request = self._client.build_request("POST", url, data=data, files=files)
        body = request.read()

        def stream() -> Iterator[bytes]:
            yield body[:-1]
            before_last_byte()
            handed_over[0] = True
            yield body[-1:]

        return self._client.post(url, content=stream(), headers={
            "Content-Type": request.headers["Content-Type"], "Content-Length": str(len(body))})

    def download(self, file_path: str) -> bytes:
        """The bytes of a file that getFile returned `file_path` for."""
        attempt = 0
        while True:
            attempt += 1
            try:
                resp = self._client.get(f"{self._files}/{file_path}")
            except httpx.TransportError as exc:
                if attempt > self.retries:
                    raise BotAPIError("download", 0,
                                      f"file server unreachable ({type(exc).__name__})") from None
                time.sleep(0.2 * attempt)
                continue
            if resp.status_code == 200:
                return resp.content
            if resp.status_code >= 500 and attempt <= self.retries:
                time.sleep(0.2 * attempt)
                continue
            raise BotAPIError("download", resp.status_code, "file download failed")

    def send_message(self, chat_id: int, text: str, reply_to: int | None = None,
                     before_last_byte: Callable[[], None] | None = None) -> dict:
        params: dict[str, Any] = {"chat_id": chat_id, "text": text}
        if reply_to:
            params["reply_parameters"] = {"message_id": reply_to,
                                          "allow_sending_without_reply": True}
        return self.call("sendMessage", params, before_last_byte=before_last_byte)
