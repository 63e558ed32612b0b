"""The playground (`moji web --playground`): Moji without Telegram.

    GET  /                 the page: upload a selfie (or take one), see it in every style, edit
    GET  /play/parts       the vocabulary (as /api/parts)
    POST /play/photo       the photo as the body (JPEG, PNG, WEBP; at most 20 MB, the bot's
                           limit): its likeness, face shape, expression and a sticker per style
    POST /play/preview     {"base": likeness, "likeness": changes, "face_part", "style",
                           "expression": {kind: tag}, "size", "format": "png"|"webp"}: a sticker
    POST /play/strip       the pack's 24 expressions in one PNG strip
    POST /play/pack        the 24-sticker pack as a zip of 512 px PNGs

Photos are never stored: the upload is read into memory, measured, and dropped; the page keeps
the measured look and sends it back with each drawing. The full pipeline (face landmarks, the
likeness models) loads on the first photo, not before: the Mini App alone never needs it.
Requests are rate-limited per address.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import threading
import zipfile
from typing import Any

from aiohttp import web

from pipeline.errors import MojiError

from . import draw, looks

MAX_PHOTO = 20 * 1024 * 1024  # getFile's limit: what the bot takes
PHOTO_RATE = (10, 60)  # photos per seconds, per address
EXPRESSION_KINDS = ("eyes", "brows", "mouth")
PHOTO_LIMITER = web.AppKey("photo_limiter", object)
_pipeline: Any = None
_pipeline_lock = threading.Lock()


def pipeline() -> Any:
    """The full pipeline, loaded on first use (models: a second or two)."""
    global _pipeline
    with _pipeline_lock:
        if _pipeline is None:
            from pipeline.pipeline import Pipeline

            _pipeline = Pipeline.from_options()
        return _pipeline


def _png_data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def measure(data: bytes) -> dict[str, Any]:
    """A photo's look and expression, and its sticker in every style (drawn from the one
    measurement: the other styles need no second pass over the photo)."""
    from pipeline.pipeline import draw_identity

    sticker = pipeline().render(data)
    likeness = sticker.likeness
    face = sticker.matches.get("face")
    face_part = face.part_id if face else None
    expression = {kind: sticker.matches[kind].tags[0] for kind in EXPRESSION_KINDS
                  if kind in sticker.matches and sticker.matches[kind].tags}
    stickers = {}
    for style in draw.styles():
        png = sticker.png if style["name"] == sticker.style else draw_identity(
            likeness, face_part, style["name"], expression).png
        stickers[style["name"]] = _png_data_url(png)
    return {"ok": True, "likeness": likeness.to_dict(), "face_part": face_part,
            "expression": expression, "faces": sticker.faces, "stickers": stickers,
            "guesses": {k: list(v) for k, v in (likeness.guesses or {}).items()}}


def _error(status: int, code: str, message: str, **headers: str) -> web.Response:
    return web.json_response({"ok": False, "error": code, "message": message}, status=status,
                             headers=headers)


def _limited(request: web.Request, limiter_key: Any) -> web.Response | None:
    wait = request.app[limiter_key].retry_after(("play", request.remote))
    if wait:
        return _error(429, "rate_limited", "Too many requests at once: wait a moment.",
                      **{"Retry-After": str(wait)})
    return None


async def photo(request: web.Request) -> web.Response:
    limited = _limited(request, PHOTO_LIMITER)
    if limited:
        return limited
    if request.content_length is not None and request.content_length > MAX_PHOTO:
        return _error(413, "file_too_big", "That file is too big: Moji takes photos up to 20 MB.")
    chunks, size = [], 0
    async for chunk in request.content.iter_chunked(1 << 16):
        size += len(chunk)
        if size > MAX_PHOTO:
            return _error(413, "file_too_big",
                          "That file is too big: Moji takes photos up to 20 MB.")
        chunks.append(chunk)
    data = b"".join(chunks)
    del chunks
    if not data:
        return _error(400, "bad_image", "Choose a photo first.")
    loop = asyncio.get_running_loop()
    try:
        answer = await loop.run_in_executor(draw.executor, measure, data)
    except MojiError as exc:
        status = 413 if exc.code == "too_large" else 415 if exc.code in ("heic", "bad_image") \
            else 422
        return _error(status, exc.code, exc.message)
    finally:
        del data  # never kept: the photo lives only as long as this request
    return web.json_response(answer)


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.read())  # client_max_size: 64 KB
    except ValueError:
        raise web.HTTPBadRequest(text="The body must be JSON.") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="The body must be a JSON object.")
    return body


def _look(body: dict[str, Any]) -> tuple[Any, str | None, str, dict[str, str] | None]:
    """(Likeness, face part, style, expression) from a drawing request; MojiError if bad."""
    from .app import _STYLES

    base = body.get("base") or {}
    if not isinstance(base, dict):
        raise MojiError("bad_likeness", "\"base\" must be a likeness object.")
    from pipeline.likeness import Likeness

    likeness = Likeness.from_dict(looks.merged(Likeness.from_dict(base).to_dict(),
                                               body.get("likeness") or {}))
    style = body.get("style") or "avatar"
    if style not in {s["name"] for s in _STYLES()}:
        raise MojiError("unknown_style", f"There is no style {str(style)[:40]!r}.")
    face_part = body.get("face_part")
    if face_part is not None and (not isinstance(face_part, str) or len(face_part) > 64):
        face_part = None
    expression = body.get("expression")
    if isinstance(expression, dict):
        expression = {k: str(v)[:40] for k, v in expression.items() if k in EXPRESSION_KINDS}
    else:
        expression = None
    return likeness, face_part, style, expression


async def _drawing_request(request: web.Request, limiter_key: Any
                           ) -> web.Response | tuple[dict[str, Any], tuple]:
    """A drawing request's body and its look (_look), or the answer that refuses it: 429 past
    the rate limit, 400 for a look that names unknown traits."""
    limited = _limited(request, limiter_key)
    if limited:
        return limited
    body = await _json(request)
    try:
        return body, _look(body)
    except MojiError as exc:
        return _error(400, exc.code, exc.message)


async def preview(request: web.Request) -> web.Response:
    from .app import LIMITER_KEY

    read = await _drawing_request(request, LIMITER_KEY)
    if isinstance(read, web.Response):
        return read
    body, (likeness, face_part, style, expression) = read
    size = body.get("size") if body.get("size") in draw.SIZES else 512
    fmt = "webp" if body.get("format") == "webp" else "png"

    def render() -> bytes:
        from pipeline.pipeline import draw_identity

        png = draw_identity(likeness, face_part, style, expression, size=size).png
        if fmt == "png":
            return png
        from worker.stickers import to_webp

        return to_webp(png)

    data = await asyncio.get_running_loop().run_in_executor(draw.executor, render)
    headers = {"Cache-Control": "no-store"}
    if body.get("download"):
        headers["Content-Disposition"] = f'attachment; filename="moji-{style}.{fmt}"'
    return web.Response(body=data, content_type=f"image/{fmt}", headers=headers)


async def strip(request: web.Request) -> web.Response:
    from .app import LIMITER_KEY

    read = await _drawing_request(request, LIMITER_KEY)
    if isinstance(read, web.Response):
        return read
    _body, (likeness, face_part, style, _expression) = read
    data = await asyncio.get_running_loop().run_in_executor(
        draw.executor, draw.strip_png, likeness, face_part, style)
    return web.Response(body=data, content_type="image/png", headers={"Cache-Control": "no-store"})


def pack_zip(likeness: Any, face_part: str | None, style: str) -> bytes:
    """The 24 stickers of the pack, 512 px PNGs named by order and first keyword."""
    from pipeline.pack import PACK, resolve
    from pipeline.pipeline import draw_identity
    from pipeline.style import load_style

    chosen = load_style(style)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for i, item in enumerate(PACK, 1):
            png = draw_identity(likeness, face_part, style, resolve(chosen, item)).png
            archive.writestr(f"moji-{style}/{i:02d}-{item.keywords[0]}.png", png)
        archive.writestr(f"moji-{style}/emoji.txt", "".join(
            f"{i:02d}-{item.keywords[0]}.png {item.emoji} {' '.join(item.keywords)}\n"
            for i, item in enumerate(PACK, 1)))
    return out.getvalue()


async def pack(request: web.Request) -> web.Response:
    read = await _drawing_request(request, PHOTO_LIMITER)
    if isinstance(read, web.Response):
        return read
    _body, (likeness, face_part, style, _expression) = read
    data = await asyncio.get_running_loop().run_in_executor(
        draw.executor, pack_zip, likeness, face_part, style)
    return web.Response(body=data, content_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="moji-{style}-pack.zip"',
        "Cache-Control": "no-store"})


async def parts(request: web.Request) -> web.Response:
    from .app import vocabulary

    return web.json_response({"ok": True, **vocabulary()})


async def page(request: web.Request) -> web.FileResponse:
    from .app import CSP, STATIC

    return web.FileResponse(STATIC / "play.html", headers={
        "Cache-Control": "no-cache", "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": CSP})


def add_routes(app: web.Application) -> None:
    from .app import RateLimiter

    app[PHOTO_LIMITER] = RateLimiter(*PHOTO_RATE)
    app.router.add_get("/", page)
    app.router.add_get("/play/parts", parts)
    app.router.add_post("/play/photo", photo)
    app.router.add_post("/play/preview", preview)
    app.router.add_post("/play/strip", strip)
    app.router.add_post("/play/pack", pack)
