"""Sticker files as the Bot API wants them, and sample stickers for style previews."""

from __future__ import annotations

import hashlib
import io
from collections import OrderedDict

from pipeline.compose import STICKER_MAX_BYTES
from pipeline.compose import STICKER_SIZE as STICKER_SIDE
from pipeline.style import Style

# The expression shown in a style's sample sticker: first matching tag wins, per kind.
_SAMPLE_TAGS = {"face": ("round", "oval"), "eyes": ("open",), "brows": ("neutral", "raised"),
                "mouth": ("grin", "smile")}


_WEBP_CACHE: OrderedDict[bytes, bytes] = OrderedDict()
_WEBP_CACHE_SIZE = 256  # about 5 MB: keyed by a digest, so the PNGs themselves are not kept


def to_webp(png: bytes) -> bytes:
    """A 512 px PNG sticker as WEBP (sendSticker documents WEBP for uploads), under 512 KB.

    Cached: the same emoji recurs often, and the renderer returns identical PNG bytes for it.
    """
    key = hashlib.blake2b(png, digest_size=16).digest()
    webp = _WEBP_CACHE.get(key)
    if webp is None:
        webp = _encode_webp(png)
        _WEBP_CACHE[key] = webp
        if len(_WEBP_CACHE) > _WEBP_CACHE_SIZE:
            _WEBP_CACHE.popitem(last=False)
    else:
        _WEBP_CACHE.move_to_end(key)
    return webp


def _encode_webp(png: bytes) -> bytes:
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGBA")
    if max(image.size) != STICKER_SIDE:
        image.thumbnail((STICKER_SIDE, STICKER_SIDE))
        if max(image.size) != STICKER_SIDE:
            scale = STICKER_SIDE / max(image.size)
            image = image.resize((max(1, round(image.width * scale)),
                                  max(1, round(image.height * scale))))
    for quality in (90, 75, 50):
        out = io.BytesIO()
        image.save(out, "WEBP", quality=quality, method=0)
        if out.tell() <= STICKER_MAX_BYTES:
            return out.getvalue()
    raise ValueError("sticker does not fit in 512 KB as WEBP")


def style_preview_png(style: Style) -> bytes:
    """A sample sticker of a style (a smiling face), for /style when it has no preview.png."""
    from pipeline.compose import render_sticker
    from pipeline.parse import PART_KINDS

    chosen = {kind: style.part_tagged(kind, *_SAMPLE_TAGS.get(kind, ())) for kind in PART_KINDS}
    return render_sticker(style, chosen)
