"""The playground (`moji web --playground`): a fixture photo becomes stickers in every style,
edited and downloaded (PNG, WEBP, the pack as a zip), with the bot's limits and clear errors;
nothing is kept; and the same in a real browser (Debian's chromium, headless)."""

from __future__ import annotations

import base64
import io
import json
import shutil
import time
import zipfile
from pathlib import Path

import httpx
import numpy as np
import pytest
from botkit import FIXTURES, RedisServer, fixture_bytes, no_face_photo
from PIL import Image
from webkit import ThreadedWeb

from pipeline.likeness import LIKENESS_KEYS
from pipeline.style import list_styles
from web.app import WebConfig
from worker.config import Settings


@pytest.fixture(scope="module")
def redis_server():
    server = RedisServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def play(redis_server):
    config = WebConfig(token="", playground=True,
                       bot_settings=Settings(token="", redis_url=redis_server.url))
    with ThreadedWeb(config, redis_server.client) as server:
        yield server


@pytest.fixture(scope="module")
def http(play):
    with httpx.Client(base_url=play.url, timeout=120) as client:
        yield client


@pytest.fixture(scope="module")
def measured(http):
    answer = http.post("/play/photo", content=fixture_bytes("smile.jpg"),
                       headers={"Content-Type": "image/jpeg"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def image_of(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def test_a_photo_becomes_stickers_in_every_style(measured, redis_server):
    assert set(measured["likeness"]) == LIKENESS_KEYS
    assert measured["faces"] == 1 and measured["face_part"].startswith("face-")
    assert set(measured["expression"]) == {"eyes", "brows", "mouth"}
    assert set(measured["stickers"]) == set(list_styles())
    drawings = []
    for url in measured["stickers"].values():
        assert url.startswith("data:image/png;base64,")
        image = image_of(base64.b64decode(url.split(",", 1)[1])).convert("RGBA")
        assert image.size == (512, 512)
        drawings.append(np.asarray(image))
    assert all(np.abs(a.astype(int) - b).mean() > 5 for i, a in enumerate(drawings)
               for b in drawings[i + 1:])  # each style draws differently
    assert redis_server.client.keys("*") == []  # nothing kept


def test_edit_and_download(http, measured):
    body = {"base": measured["likeness"], "face_part": measured["face_part"],
            "expression": measured["expression"], "style": "avatar"}
    png = http.post("/play/preview", json={**body, "likeness": {}}).content
    blonde = http.post("/play/preview", json={**body, "likeness": {"hair": {"colour": "blonde"}}})
    assert blonde.headers["content-type"] == "image/png" and blonde.content != png
    webp = http.post("/play/preview", json={**body, "format": "webp", "download": 1})
    assert webp.headers["content-type"] == "image/webp"
    assert "attachment" in webp.headers["content-disposition"]
    assert image_of(webp.content).format == "WEBP" and image_of(webp.content).size == (512, 512)
    pack = http.post("/play/pack", json=body)
    assert pack.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(pack.content)) as archive:
        names = [n for n in archive.namelist() if n.endswith(".png")]
        assert len(names) == 24
        assert all(image_of(archive.read(n)).size == (512, 512) for n in names)
        assert "😀" in archive.read("moji-avatar/emoji.txt").decode()
    bad = http.post("/play/preview", json={**body, "likeness": {"hair": {"colour": "green"}}})
    assert bad.status_code == 400 and bad.json()["error"] == "bad_likeness"


HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 200


@pytest.mark.parametrize("data, status, code", [
    (no_face_photo(), 422, "no_face"),
    (b"this is not an image at all", 415, "bad_image"),
    (HEIC, 415, "heic"),
    (b"", 400, "bad_image"),
])
def test_clear_errors(http, redis_server, data, status, code):
    answer = http.post("/play/photo", content=data)
    assert (answer.status_code, answer.json()["error"]) == (status, code)
    assert answer.json()["message"]
    assert redis_server.client.keys("*") == []


def test_too_big_a_file_is_refused_unread(http):
    answer = http.post("/play/photo", content=b"\xff\xd8" + b"0" * (20 * 1024 * 1024 + 10))
    assert (answer.status_code, answer.json()["error"]) == (413, "file_too_big")


def test_the_mini_app_api_stays_closed_without_a_token(http):
    assert http.get("/api/me", headers={"Authorization": "tma user=%7B%7D&hash=00"}
                    ).status_code == 401


CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.mark.skipif(not (shutil.which(CHROMEDRIVER) and Path("/usr/bin/chromium").exists()),
                    reason="Debian's chromium and chromium-driver are not installed")
def test_playground_in_a_browser(play, tmp_path):
    import os

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    options.add_experimental_option("mobileEmulation", {"deviceMetrics": {
        "width": 360, "height": 740, "pixelRatio": 2}})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.get(play.url + "/")

        def wait(script: str, timeout: float = 120):
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                value = driver.execute_script(script)
                if value:
                    return value
                time.sleep(0.05)
            raise TimeoutError(script)

        wait("return document.body.dataset.loaded")
        driver.find_element("id", "photo").send_keys(str(FIXTURES / "smile.jpg"))
        wait("return document.body.dataset.ready")
        loaded = wait("""const imgs = [...document.querySelectorAll('#gallery img')];
            return imgs.length && imgs.every(i => i.complete && i.naturalWidth === 512)
                && imgs.length""")
        assert loaded == len(list_styles())
        before = driver.execute_script("return document.getElementById('preview').src")
        label = driver.find_element(
            "xpath", "//input[@name='hair.colour' and @value='blonde']/parent::label")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", label)
        label.click()
        wait(f"return document.getElementById('preview').src !== {json.dumps(before)} && "
             "document.getElementById('preview').complete")
        driver.execute_script("window.scrollTo(0, 0)")
        # the strip follows the edit (redrawn a moment after the last tap)
        wait("return Number(document.getElementById('strip').dataset.drawn) >= 2")
        time.sleep(0.3)
        out = Path(os.environ.get("MOJI_SCREENSHOTS") or tmp_path)
        out.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(out / "playground.png"))
        # a photo with no face: the page says so
        path = tmp_path / "sea.jpg"
        path.write_bytes(no_face_photo())
        driver.find_element("id", "photo").send_keys(str(path))
        wait("return document.body.dataset.failed")
        assert "face" in driver.find_element("id", "error").text
    finally:
        driver.quit()
