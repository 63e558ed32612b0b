"""Rough edges a newcomer hit (issue 18, part 5).

Without Telegram: a large JPEG decodes at a reduced size instead of being refused, a "too
large" error carries the photo's numbers and the limit, the limits by kind agree with the decode
memory budget, and every style's title and description is translated (Chinese "Line art").

End to end (the real bot and one real worker, a real Redis, the local Bot API server): an album
of 7 photos counts as one request against the rate limit (7 stickers, no "slow down"), an
unknown command gets the command list, a too-large PNG is answered with its numbers, and an
inline query leaves no PTBUserWarning in the bot's log. Own user ids (185x)."""

from __future__ import annotations

import io
import json
import struct
import zlib

import pytest
from botkit import service_fixtures, variant
from PIL import Image

from pipeline.decode import MAX_DECODE_BYTES, decode_image, limits_megapixels
from pipeline.errors import MojiError
from worker import i18n

ENV = {"MOJI_RATE_LIMIT": "5/20", "MOJI_LOG_LEVEL": "INFO"}

redis_server, api, svc = service_fixtures(db=0, env=ENV)


# --- decode limits -----------------------------------------------------------------------------

def _jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (180, 150, 120)).save(out, "JPEG", quality=80)
    return out.getvalue()


def test_a_large_jpeg_decodes_at_a_reduced_size_within_the_memory_budget():
    """The 88 MP case, scaled down: a 4:3 JPEG whose short side is under twice the analysis
    size used to be decoded at full size and refused by the memory budget."""
    data = _jpeg(2600, 1950)  # 5.1 MP: 20 MB decoded at full size, 5 MB at half size
    decoded = decode_image(data, max_side=1024, max_decode_bytes=8 * 2**20)
    assert decoded.original_size == (2600, 1950)
    assert max(decoded.size) == 1024


def _flat_png(width: int, height: int) -> bytes:
    """A flat RGB PNG written a row at a time: small on disk, large once decoded."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    row = b"\x00" + b"\x80" * (width * 3)
    z = zlib.compressobj(6)
    idat = b"".join([z.compress(row) for _ in range(height)] + [z.flush()])
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat)
            + chunk(b"IEND", b""))


BIG_PNG = (8000, 7000)  # 56 MP: over the PNG limit (the memory budget), under the pixel limit


def test_too_large_says_the_photo_s_megapixels_and_the_limit():
    with pytest.raises(MojiError) as err:
        decode_image(_flat_png(*BIG_PNG))
    assert err.value.code == "too_large"
    assert err.value.params["megapixels"] == 56.0
    assert err.value.params["limit_megapixels"] == round(limits_megapixels()["png"])
    # the README's figures: 120 MP for a JPEG, about 50 for a PNG, 25 for a WEBP
    limits = limits_megapixels()
    assert limits["jpeg"] == 120 and round(limits["png"]) == round(MAX_DECODE_BYTES / 4e6)
    assert 45 < limits["png"] < 55 and 20 < limits["webp"] < 30


# --- style names -------------------------------------------------------------------------------

def test_every_style_name_and_description_is_translated():
    from bot import style_names
    from pipeline.style import list_styles, load_style

    for name in list_styles():
        style = load_style(name)
        assert style.title in style_names.STYLE_TEXTS, style.title
        assert style.description in style_names.STYLE_TEXTS, style.description
    line_art = load_style("lineart")
    for lang in ("es", "ru", "zh_Hans"):
        with i18n.using(lang):
            assert style_names.title(line_art) != "Line art"
            assert style_names.description(line_art) != line_art.description
    with i18n.using("zh_Hans"):
        assert style_names.title(line_art) == "线稿"


# --- end to end --------------------------------------------------------------------------------

def test_an_album_counts_as_one_request(svc, api):
    ann = api.user(1851, "Ann")
    album = []
    for i in range(7):
        sizes = api._run(api._store_photo(variant("smile.jpg", 1851 + i)))
        album.append(api.send_message(ann, {"photo": sizes, "media_group_id": "1851album"}))
    stickers = api.wait_for("sendSticker", 1851, count=7, timeout=180)
    answered = {json.loads(c.params["reply_parameters"])["message_id"] for c in stickers}
    assert answered == {m["message_id"] for m in album}
    assert not [c for c in api.calls_to("sendMessage", 1851)
                if "Slow down" in c.params.get("text", "")]
    assert not api.calls_to("setMessageReaction", 1851)


def test_an_unknown_command_lists_the_commands(svc, api):
    bob = api.user(1852, "Bob")
    api.send_text(bob, "/settings")
    (reply,) = api.wait_for("sendMessage", 1852, timeout=30)
    text = reply.params["text"]
    assert "/settings" in text
    for command in ("/me", "/style", "/pack", "/language", "/forget", "/help"):
        assert command in text


def test_a_too_large_png_is_answered_with_its_numbers(svc, api):
    cid = api.user(1853, "Cid")
    api.send_document(cid, _flat_png(*BIG_PNG), "big.png", "image/png")
    (reply,) = api.wait_for("sendMessage", 1853, timeout=60)
    text = reply.params["text"]
    assert "56" in text and str(round(limits_megapixels()["png"])) in text, text


def test_an_inline_query_leaves_no_warning(svc, api):
    dee = api.user(1854, "Dee")
    api.send_photo(dee, variant("grin.jpg", 1854))
    api.wait_for("sendSticker", 1854, timeout=60)
    api.inline_answer(api.inline_query(dee, ""))
    api.inline_answer(api.inline_query(dee, "grin"))
    log = svc.log("bot")
    assert "PTBUserWarning" not in log and "Please use 'Bot.answerInlineQuery'" not in log
