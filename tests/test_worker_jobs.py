"""Job payloads, sticker files and style previews, without Telegram."""

from __future__ import annotations

import io
import json
import subprocess
import sys

from PIL import Image

from moji.localapi import LocalBotAPI
from pipeline.style import list_styles, load_style
from worker.jobs import StickerRequest, emoji_for
from worker.stickers import style_preview_png, to_webp


def test_payload_is_small_plain_data_without_the_token():
    req = StickerRequest(chat_id=-1001, user_id=7, message_id=3, file_id="AgAC", style="classic",
                         file_unique_id="AQAD", chat_type="supergroup", received_at=1.5)
    payload = req.to_dict()
    assert StickerRequest.from_dict(json.loads(json.dumps(payload))) == req
    assert set(payload) == {"chat_id", "user_id", "message_id", "file_id", "file_unique_id",
                            "style", "chat_type", "received_at"}
    assert all(isinstance(v, (int, float, str)) for v in payload.values())


def test_emoji_follows_the_expression():
    assert emoji_for({"mouth": ["grin"], "eyes": ["open"]}) == "😁"
    assert emoji_for({"mouth": ["frown"], "eyes": ["open"]}) == "🙁"
    assert emoji_for({"mouth": ["smile"], "eyes": ["closed"]}) == "😌"
    assert emoji_for({"mouth": ["open"], "eyes": ["wink"]}) == "😉"


def test_previews_and_webp_stickers_pass_the_bot_api_rules():
    names = list_styles()
    assert names
    for name in names:
        png = style_preview_png(load_style(name))
        webp = to_webp(png)
        image = Image.open(io.BytesIO(webp))
        assert image.format == "WEBP" and image.mode == "RGBA"
        assert max(image.size) == 512 and len(webp) <= 512 * 1024
        assert LocalBotAPI._check_sticker_image(webp, ("WEBP",)) == image.size


def test_bot_starts_without_torch_or_mediapipe():
    code = ("import sys, bot.app, bot.handlers, worker.jobs; "
            "heavy = [m for m in ('torch', 'mediapipe', 'cv2') if m in sys.modules]; "
            "print(heavy); sys.exit(1 if heavy else 0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
