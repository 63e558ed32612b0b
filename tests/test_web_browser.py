"""The Mini App in a real browser: Debian's chromium, headless, driven by Selenium through
/usr/bin/chromedriver (nothing downloaded), against the real `moji web` process, the real bot
and worker, a real Redis and the local Bot API server.

- a person with a kept look opens /app with correctly signed launch data, switches to the
  avatar style, taps hair colours and sees the preview's pixels change (and each tap's time to
  the new preview is measured), saves, and the bot's next stickers use the new look;
- launch data signed with another bot's token shows the page's error and changes nothing;
- the page comes from this server alone, and weighs under 300 KB before previews.

MOJI_SCREENSHOTS=docs/examples also writes the editor's screenshots (light and dark, 360 px
wide) there.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import quote, urlparse

import httpx
import numpy as np
import pytest
from botkit import (
    PYTHON,
    ROOT,
    eventually,
    free_port,
    job_results,
    service_fixtures,
    variant,
)
from PIL import Image
from webkit import headers, init_data

QUEUE = "moji-web-test"
WEBAPP_URL = "https://moji.example/app"  # what the bot's buttons open (Telegram needs HTTPS)
ENV = {"MOJI_RATE_LIMIT": "60/60", "MOJI_QUEUE": QUEUE, "MOJI_WEBAPP_URL": WEBAPP_URL,
       "MOJI_LOG_LEVEL": "INFO"}
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM = "/usr/bin/chromium"
DARK = {"bg_color": "#17212b", "text_color": "#f5f5f5", "hint_color": "#708499",
        "link_color": "#6ab3f3", "button_color": "#5288c1", "button_text_color": "#ffffff",
        "secondary_bg_color": "#232e3c"}
LIGHT = {"bg_color": "#ffffff", "text_color": "#000000", "hint_color": "#999999",
         "link_color": "#2481cc", "button_color": "#2481cc", "button_text_color": "#ffffff",
         "secondary_bg_color": "#efeff3"}

redis_server, api, svc = service_fixtures(db=0, env=ENV)

pytestmark = pytest.mark.skipif(not (shutil.which(CHROMEDRIVER) and Path(CHROMIUM).exists()),
                                reason="Debian's chromium and chromium-driver are not installed "
                                       "(apt-get install chromium chromium-driver)")


@pytest.fixture(scope="module")
def web_url(svc, tmp_path_factory):
    """The real `moji web` process, with the bot's environment (token, Redis)."""
    port = free_port()
    log = open(tmp_path_factory.mktemp("web") / "web.log", "wb")
    proc = subprocess.Popen([PYTHON, "-m", "moji.cli", "web", "--host", "127.0.0.1", "--port",
                             str(port)], env=svc.env, cwd=ROOT, stdout=log,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(url + "/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return proc.poll() is not None

    assert eventually(up, timeout=60) and proc.poll() is None, "moji web did not start"
    yield url
    proc.terminate()
    proc.wait(15)
    log.close()


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-extensions", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"):
        options.add_argument(arg)
    # a phone: 360 CSS px wide, 2 device pixels per CSS pixel
    options.add_experimental_option("mobileEmulation", {"deviceMetrics": {
        "width": 360, "height": 740, "pixelRatio": 2}})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def open_app(browser, web_url: str, launch: str, theme: dict | None = None) -> None:
    fragment = "tgWebAppData=" + quote(launch, safe="") + "&tgWebAppVersion=8.0"
    if theme:
        fragment += "&tgWebAppThemeParams=" + quote(json.dumps(theme), safe="")
    browser.get("about:blank")
    browser.get(f"{web_url}/app#{fragment}")


def wait_js(browser, script: str, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = browser.execute_script(script)
        if value:
            return value
        time.sleep(0.02)
    raise TimeoutError(script)


def drawn(browser) -> int:
    return int(browser.execute_script(
        "return Number(document.getElementById('preview').dataset.drawn || 0)"))


def preview_pixels(browser) -> np.ndarray:
    """The preview as drawn in the page (its image, through a canvas), 128x128 RGBA."""
    data = browser.execute_script("""
        const img = document.getElementById('preview');
        const c = document.createElement('canvas'); c.width = 128; c.height = 128;
        const g = c.getContext('2d'); g.drawImage(img, 0, 0, 128, 128);
        return Array.from(g.getImageData(0, 0, 128, 128).data);""")
    return np.array(data, dtype=np.int16).reshape(128, 128, 4)


def tap(browser, name: str, value: str) -> None:
    """Click the label of a radio (what a finger or a mouse does), and wait for the redraw."""
    before = drawn(browser)
    label = browser.find_element(
        "xpath", f"//input[@name='{name}' and @value='{value}']/parent::label")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", label)
    label.click()
    wait_js(browser, f"return Number(document.getElementById('preview').dataset.drawn || 0) "
                     f"> {before}")


def rgba(data: bytes, size: int = 256) -> np.ndarray:
    image = Image.open(io.BytesIO(data)).convert("RGBA").resize((size, size), Image.LANCZOS)
    array = np.asarray(image).astype(np.float32)
    array[..., :3] *= array[..., 3:] / 255.0  # compare what shows on any background
    return array


def p95(values: list[float]) -> float:
    return float(np.percentile(values, 95))


def identity_of(redis_server, user_id: int) -> dict | None:
    raw = redis_server.client.get(f"moji:identity:{user_id}")
    return json.loads(raw) if raw else None


def test_edit_in_the_browser_save_and_the_bots_next_stickers_use_it(
        svc, api, redis_server, web_url, browser, tmp_path):
    user = api.user(7801, "Ann")
    api.send_photo(user, variant("smile.jpg", 7801))
    api.wait_for("sendSticker", 7801, timeout=120)
    assert eventually(lambda: identity_of(redis_server, 7801) is not None, 20)
    before = identity_of(redis_server, 7801)
    old_colour = before["likeness"]["hair"]["colour"]
    new_colour = "blonde" if old_colour != "blonde" else "black"

    open_app(browser, web_url, init_data(7801), LIGHT)
    wait_js(browser, "return document.body.dataset.ready")
    assert browser.find_element("id", "error").get_attribute("hidden") is not None
    tap(browser, "style", "avatar")
    kept = preview_pixels(browser)

    tap(browser, "hair.colour", new_colour)
    edited = preview_pixels(browser)
    changed = (np.abs(edited - kept).max(axis=2) > 24).mean()
    assert changed > 0.01, f"only {changed:.2%} of the preview changed"

    # warm: every colour drawn once, then the taps that are timed
    colours = ["black", "red", "grey", "auburn", "white", "light_brown", "brown", "dark_brown"]
    for colour in colours:
        tap(browser, "hair.colour", colour)
    browser.execute_script("window.mojiTimings.length = 0")
    for _ in range(3):
        for colour in colours:
            tap(browser, "hair.colour", colour)
    tap(browser, "hair.colour", new_colour)
    timings = browser.execute_script("return window.mojiTimings")
    assert len(timings) == 3 * len(colours) + 1
    print(f"\ntap to preview (warm, {len(timings)} taps): p50 {np.median(timings):.1f} ms, "
          f"p95 {p95(timings):.1f} ms, max {max(timings):.1f} ms")
    (tmp_path / "tap_ms.json").write_text(json.dumps(timings))
    assert p95(timings) < 1000  # the 150 ms target is reported, not timed; this catches a hang

    browser.find_element("id", "save").click()
    wait_js(browser, "return document.body.dataset.saved")
    after = identity_of(redis_server, 7801)
    assert after["likeness"]["hair"]["colour"] == new_colour
    assert after["version"] > before["version"]
    assert redis_server.client.get("moji:style:7801") == b"avatar"

    # the bot's next selfie sticker is drawn with the saved look
    msg = api.send_photo(user, variant("smile.jpg", 7802))

    def result() -> dict | None:
        for payload, answer in job_results(redis_server.client, QUEUE):
            if payload.get("message_id") == msg["message_id"] and answer:
                return answer
        return None

    assert eventually(lambda: result() is not None, 90)
    assert result()["likeness"]["hair"]["colour"] == new_colour

    # and /me's card shows exactly what the page drew: the sticker next to the page's preview
    api.send_text(user, "/me")
    (card,) = api.wait_for("sendSticker", 7801, timeout=60,
                           where=lambda c: "me:" in c.params.get("reply_markup", ""))
    markup = json.loads(card.params["reply_markup"])
    assert markup["inline_keyboard"][0][0]["web_app"] == {"url": WEBAPP_URL}
    sticker = api.file_bytes(card.result["sticker"]["file_id"])
    with httpx.Client(base_url=web_url, timeout=30) as http:
        page = http.get("/api/preview", headers=headers(7801), params={"size": 512}).content
        old = http.post("/api/preview", headers=headers(7801), json={
            "likeness": {"hair": {"colour": old_colour}}}).content
    same = np.abs(rgba(sticker) - rgba(page)).mean()
    other = np.abs(rgba(sticker) - rgba(old)).mean()
    assert same < 3.0 and other > 2 * same, (same, other)
    menu = api.wait_for("setChatMenuButton", timeout=5)[0]
    assert json.loads(menu.params["menu_button"])["web_app"]["url"] == WEBAPP_URL


def test_the_page_comes_from_this_server_alone_and_is_light(web_url, browser, redis_server):
    open_app(browser, web_url, init_data(7811), LIGHT)
    wait_js(browser, "return document.body.dataset.ready")
    wait_js(browser, "return document.getElementById('strip').dataset.drawn")
    entries = browser.execute_script("""
        return [performance.getEntriesByType('navigation')[0]].concat(
            performance.getEntriesByType('resource')).map(
            e => ({name: e.name, size: e.transferSize || e.encodedBodySize || 0}));""")
    hosts = {urlparse(e["name"]).netloc for e in entries if not e["name"].startswith(
        ("blob:", "data:"))}
    assert hosts == {urlparse(web_url).netloc}, hosts
    page = [e for e in entries if "/api/preview" not in e["name"]
            and "/api/strip" not in e["name"]]
    weight = sum(e["size"] for e in page)
    print(f"\npage weight before previews: {weight / 1024:.1f} KB in {len(page)} requests")
    assert weight <= 300 * 1024


def test_forged_launch_data_shows_the_error_and_changes_nothing(web_url, browser, redis_server):
    r = redis_server.client
    r.set("moji:style:7821", "lineart")
    before = {k: r.dump(k) for k in r.keys("moji:*:7821")}
    forged = init_data(7821, token="987654321:AAOtherBotTokenYYYYYYYYYYYYYYYYYYYYY")
    open_app(browser, web_url, forged, DARK)
    error = browser.find_element("id", "error")
    wait_js(browser, "return !document.getElementById('error').hidden")
    assert "bot" in error.text.lower()
    assert not browser.find_element("id", "editor").is_displayed()
    assert not browser.find_element("id", "save").is_displayed()
    assert {k: r.dump(k) for k in r.keys("moji:*:7821")} == before


def test_screenshots_light_and_dark(web_url, browser, redis_server, tmp_path):
    """The editor at 360 px in Telegram's light and dark themes (MOJI_SCREENSHOTS=DIR keeps
    them there)."""
    out = Path(os.environ.get("MOJI_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    with httpx.Client(base_url=web_url, timeout=30) as http:
        http.put("/api/me", headers=headers(7831), json={"style": "avatar", "likeness": {
            "hair": {"length": "medium", "colour": "auburn"}, "skin": {"monk": 3},
            "eyes": {"colour": "green"}, "glasses": "glasses"}})
    for name, theme, language in (("light", LIGHT, "en"), ("dark", DARK, "es")):
        open_app(browser, web_url, init_data(7831, language=language), theme)
        wait_js(browser, "return document.body.dataset.ready")
        wait_js(browser, "return document.getElementById('strip').dataset.drawn")
        time.sleep(0.3)
        path = out / f"webapp-{name}.png"
        browser.save_screenshot(str(path))
        with Image.open(path) as shot:
            assert shot.size[0] == 720  # 360 CSS px at 2 device pixels each
            corner = shot.convert("RGB").getpixel((4, 4))
        assert (sum(corner) < 200) == (name == "dark")


def test_redraw_my_pack_and_use_as_my_emoji_status(svc, api, redis_server, web_url, browser):
    """"Redraw my pack" queues /pack's job (the sticker pack and the custom emoji set);
    "Use as my emoji status" asks the Telegram client for access (Bot API 8.0's
    web_app_request_emoji_status_access, through the mobile apps' bridge, played here), and
    once allowed the bot sets it."""
    user = api.user(7841, "Cy")
    api.send_photo(user, variant("smile.jpg", 7841))
    api.wait_for("sendSticker", 7841, timeout=120)
    assert eventually(lambda: identity_of(redis_server, 7841) is not None, 20)
    # the Telegram app's side of the bridge: what the page asks of it is recorded
    bridge = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": """
        window.sentToTelegram = [];
        window.TelegramWebviewProxy = {postEvent: (type, data) =>
            window.sentToTelegram.push([type, JSON.parse(data)])};"""})
    try:
        open_app(browser, web_url, init_data(7841), LIGHT)
        wait_js(browser, "return document.body.dataset.ready")
        sent = browser.execute_script("return window.sentToTelegram.map(e => e[0])")
        assert "web_app_ready" in sent
        pack = browser.find_element("id", "pack")
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", pack)
        pack.click()
        assert wait_js(browser, "return document.body.dataset.pack") == "queued"
        name = f"moji_e7841_by_{api.username}"
        assert eventually(lambda: redis_server.client.get("moji:set:7841:emoji") is not None,
                          120)
        assert api.sticker_set(name)["sticker_type"] == "custom_emoji"
        button = browser.find_element("id", "status")
        assert button.is_displayed()
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
        button.click()
        wait_js(browser, "return window.sentToTelegram.some("
                         "e => e[0] === 'web_app_request_emoji_status_access')")
        api.allow_emoji_status(7841)  # the person pressed Allow; the client answers the page
        browser.execute_script("window.Telegram.WebView.receiveEvent("
                               "'emoji_status_access_requested', {status: 'allowed'})")
        assert wait_js(browser, "return document.body.dataset.status") == "set"
        record = json.loads(redis_server.client.get("moji:set:7841:emoji"))
        assert api.emoji_statuses[7841]["custom_emoji_id"] == record["ids"]["😀"]
    finally:
        browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument",
                                {"identifier": bridge["identifier"]})
