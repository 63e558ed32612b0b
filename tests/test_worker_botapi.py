"""The workers' Bot API client against the local Bot API server: uploads, downloads, 429s."""

from __future__ import annotations

import logging
import time

import pytest
from botkit import fixture_bytes

from moji.localapi import LocalBotAPI
from worker.botapi import BotAPI, BotAPIError
from worker.redact import install, redact


@pytest.fixture(scope="module")
def api():
    with LocalBotAPI() as server:
        yield server


@pytest.fixture
def client(api):
    bot = BotAPI(api.token, api.base_url, api.base_file_url)
    yield bot
    bot.close()


def test_get_file_and_download_return_the_photo(api, client):
    ann = api.user(1, "Ann")
    photo = fixture_bytes("neutral.jpg")
    msg = api.send_photo(ann, photo)
    info = client.call("getFile", {"file_id": msg["photo"][-1]["file_id"]})
    assert client.download(info["file_path"]) == photo


def test_429_is_waited_out_then_retried(api, client):
    api.user(2, "Bob")
    api.fail_next("sendMessage", 429, retry_after=1)
    start = time.monotonic()
    sent = client.send_message(2, "hello")
    assert sent["text"] == "hello"
    assert time.monotonic() - start >= 1.0
    assert [c.ok for c in api.calls_to("sendMessage", 2, ok=None)] == [False, True]


def test_errors_name_the_method_not_the_token(api, client):
    with pytest.raises(BotAPIError) as err:
        client.send_message(999_999, "nobody there")
    assert err.value.code == 400 and "chat not found" in err.value.description
    assert api.token not in str(err.value)
    wrong = BotAPI("111:" + "x" * 30, api.base_url, api.base_file_url)
    with pytest.raises(BotAPIError) as err:
        wrong.call("getMe")
    assert err.value.code == 401 and "111:" not in str(err.value)
    wrong.close()


def test_unreachable_server_is_a_clean_error():
    bot = BotAPI("1:" + "y" * 30, "http://127.0.0.1:9/bot", "http://127.0.0.1:9/file/bot",
                 retries=1)
    with pytest.raises(BotAPIError) as err:
        bot.call("getMe")
    assert "unreachable" in err.value.description and "y" * 30 not in str(err.value)
    bot.close()


def test_log_records_are_redacted(caplog):
    token = "123456789:AAHsecretsecretsecretsecret_xyz"
    install(token)
    with caplog.at_level(logging.INFO):
        logging.getLogger("moji.test").info("POST https://api.telegram.org/bot%s/getMe", token)
        try:
            raise RuntimeError(f"failed at /bot{token}/sendSticker")
        except RuntimeError:
            logging.getLogger("moji.test").exception("boom")
    assert token not in caplog.text
    assert "bot<token>/getMe" in caplog.text
    assert redact(f"x {token} y") == "x <token> y"
