"""`moji web`'s API against a real Redis: the init data check (missing, forged, stale, another
bot's: 401 and nothing changed), reading and merging the kept look where the bot keeps it,
previews, the 64 KB limit, the per-person rate limit, and the pack button."""

from __future__ import annotations

import io
import json

import httpx
import pytest
from botkit import RedisServer
from PIL import Image
from webkit import TOKEN, ThreadedWeb, headers, init_data

from pipeline.likeness import LIKENESS_KEYS, Likeness
from web import auth
from web.app import WebConfig
from worker import identity
from worker.config import Keys, Settings


@pytest.fixture(scope="module")
def redis_server():
    server = RedisServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def settings(redis_server):
    return Settings(token=TOKEN, redis_url=redis_server.url, rate_count=50, rate_period=20)


@pytest.fixture(scope="module")
def server(redis_server, settings):
    config = WebConfig(token=TOKEN, preview_rate=(1000, 10), bot_settings=settings)
    with ThreadedWeb(config, redis_server.client) as web_server:
        yield web_server


@pytest.fixture()
def client(server, redis_server):
    redis_server.flush()
    with httpx.Client(base_url=server.url, timeout=30) as http:
        yield http


def snapshot(redis_server) -> dict[bytes, bytes]:
    r = redis_server.client
    return {key: r.dump(key) for key in sorted(r.keys("*"))}


def png_size(data: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(data)).size


# --- init data ----------------------------------------------------------------------------------

def test_sign_and_verify_round_trip():
    user = auth.verify(init_data(7, language="ru"), TOKEN)
    assert (user.id, user.language_code) == (7, "ru")
    with pytest.raises(auth.InitDataError) as exc:
        auth.verify(init_data(7, age=3601), TOKEN)
    assert exc.value.reason == "expired"
    assert auth.verify(init_data(7, age=50), TOKEN, max_age=60).id == 7
    with pytest.raises(auth.InitDataError):
        auth.verify(init_data(7, age=61), TOKEN, max_age=60)


def test_verify_checks_telegram_documented_scheme():
    """The check string is the sorted key=value lines without hash; the key is
    HMAC-SHA256("WebAppData", token): computed here independently of web.auth."""
    import hashlib
    import hmac
    import time
    from urllib.parse import quote

    user = '{"id":99,"first_name":"Bo"}'
    fields = {"auth_date": str(int(time.time())), "query_id": "Q1", "user": user}
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    key = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    digest = hmac.new(key, check.encode(), hashlib.sha256).hexdigest()
    raw = "&".join(f"{k}={quote(v)}" for k, v in fields.items()) + f"&hash={digest}"
    assert auth.verify(raw, TOKEN).id == 99


def refused_headers() -> dict[str, dict[str, str]]:
    good = init_data(5)
    forged_user = good.replace("%22id%22%3A5", "%22id%22%3A6")
    assert forged_user != good
    return {
        "missing": {},
        "empty": {"Authorization": "tma"},
        "other_scheme": {"Authorization": "Bearer " + good},
        "forged_hash": {"Authorization": "tma " + good[:-4] + "0000"},
        "forged_user": {"Authorization": "tma " + forged_user},
        "stale": headers(5, age=3601),
        "other_bot": headers(5, token="987654321:AAOtherBotTokenYYYYYYYYYYYYYYYYYYYYY"),
        "garbage": {"Authorization": "tma %%%&&&=="},
    }


@pytest.mark.parametrize("case", sorted(refused_headers()))
def test_refused_init_data_is_401_and_changes_nothing(client, redis_server, case):
    identity.establish(redis_server.client, 5, Likeness(hair_colour="black"), "face-round", 0)
    identity.establish(redis_server.client, 6, Likeness(hair_colour="black"), "face-round", 0)
    before = snapshot(redis_server)
    sent = refused_headers()[case]
    calls = [client.get("/api/me", headers=sent),
             client.put("/api/me", headers=sent, json={"likeness": {"hair": {"colour": "red"}},
                                                         "style": "avatar"}),
             client.get("/api/preview", headers=sent),
             client.post("/api/preview", headers=sent, json={"likeness": {}}),
             client.get("/api/parts", headers=sent),
             client.post("/api/pack", headers=sent)]
    for answer in calls:
        assert answer.status_code == 401, (case, answer.request.url, answer.text)
        body = answer.json()
        assert body["ok"] is False and body["error"] and body["message"]
    assert snapshot(redis_server) == before


def test_max_age_comes_from_the_environment(monkeypatch, settings):
    monkeypatch.setenv("MOJI_WEBAPP_MAX_AGE", "120")
    monkeypatch.setenv("MOJI_WEBAPP_PREVIEW_RATE", "5/7")
    config = WebConfig.from_env(settings)
    assert (config.max_age, config.preview_rate) == (120, (5, 7))


# --- the look -----------------------------------------------------------------------------------

def test_new_person_gets_the_default_look(client, redis_server):
    answer = client.get("/api/me", headers=headers(11, first_name="Zoe", language="es"))
    assert answer.status_code == 200
    body = answer.json()
    assert set(body["likeness"]) == LIKENESS_KEYS
    assert body["likeness"] == Likeness().to_dict()
    assert (body["version"], body["saved"], body["style"]) == (0, False, "classic")
    assert body["user"] == {"id": 11, "first_name": "Zoe", "language_code": "es"}
    assert redis_server.client.get(Keys.identity(11)) is None  # reading keeps nothing


def test_put_merges_a_subset_where_the_bot_keeps_it(client, redis_server):
    r = redis_server.client
    answer = client.put("/api/me", headers=headers(12),
                        json={"likeness": {"hair": {"colour": "blonde"}}})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["likeness"]["hair"]["colour"] == "blonde"
    assert body["likeness"]["hair"]["rgb"] == "#d2b274"  # the swatch of the new name
    assert (body["version"], body["saved"]) == (1, True)
    kept = identity.load(r, 12)  # what the bot's next sticker draws
    assert kept.to_likeness().hair_colour == "blonde" and kept.version == 1

    answer = client.put("/api/me", headers=headers(12),
                        json={"likeness": {"glasses": "glasses", "skin": {"monk": 8},
                                           "eyes": {"colour": "green"}},
                              "style": "avatar"})
    body = answer.json()
    assert body["likeness"]["hair"]["colour"] == "blonde"  # kept
    assert body["likeness"]["glasses"] == "glasses"
    assert body["likeness"]["skin"] == {"rgb": "#604134", "monk": 8}
    assert body["likeness"]["eyes"]["colour"] == "green"
    assert (body["version"], body["style"]) == (2, "avatar")
    assert r.get(Keys.style(12)) == b"avatar"
    assert identity.load(r, 12).to_likeness().glasses == "glasses"

    same = client.put("/api/me", headers=headers(12), json={"likeness": {"glasses": "glasses"}})
    assert same.json()["version"] == 2  # nothing changed: the version stays


def test_what_the_page_saved_outlives_the_vote_of_later_selfies(client, redis_server):
    """The Mini App's choices are locked as /me's are: the next selfies vote on the rest."""
    r = redis_server.client
    measured = Likeness(hair_length="short", hair_colour="black", glasses="none", monk=6)
    identity.observe(r, 14, measured, None, "photo-1")
    saved = client.put("/api/me", headers=headers(14),
                       json={"likeness": {"hair": {"colour": "blonde"}, "glasses": "glasses"}})
    assert saved.status_code == 200, saved.text
    assert identity.load(r, 14).locked["hair_colour"] == "blonde"
    second = identity.observe(r, 14, measured.replace(hair_length="medium"), None, "photo-2")
    assert second.status == "refined"
    kept = identity.load(r, 14).to_likeness()
    assert (kept.hair_colour, kept.glasses) == ("blonde", "glasses")  # the person's choices
    assert client.get("/api/me", headers=headers(14)).json()["likeness"]["hair"]["colour"] \
        == "blonde"


def test_put_keeps_what_was_measured_and_not_changed(client, redis_server):
    r = redis_server.client
    measured = Likeness(hair_length="long", hair_colour="brown", hair_rgb=(101, 70, 40),
                        facial_hair="beard", facial_hair_rgb=(60, 40, 30), monk=4,
                        skin_rgb=(230, 200, 170), hair_style="long_wavy", lips_rgb=(180, 90, 90))
    identity.establish(r, 13, measured, "face-square", 0)
    answer = client.put("/api/me", headers=headers(13),
                        json={"likeness": {"headwear": "beanie"}})
    body = answer.json()
    assert body["likeness"]["hair"] == {"length": "long", "colour": "brown", "rgb": "#654628"}
    assert body["likeness"]["hair_detail"]["style"] == "long_wavy"
    assert body["likeness"]["skin"] == {"rgb": "#e6c8aa", "monk": 4}
    assert body["likeness"]["headwear"] == "beanie"
    assert body["face_part"] == "face-square" and body["version"] == 2
    kept = identity.load(r, 13)
    assert kept.face == "face-square" and kept.colours["lips"] == "#b45a5a"
    # a new length without a hair style drops the old length's style
    body = client.put("/api/me", headers=headers(13),
                      json={"likeness": {"hair": {"length": "short"}}}).json()
    assert body["likeness"]["hair"]["length"] == "short"
    assert body["likeness"]["hair_detail"]["style"] is None


def test_a_person_changes_only_their_own_look(client, redis_server):
    r = redis_server.client
    identity.establish(r, 21, Likeness(hair_colour="black"), None, 0)
    answer = client.put("/api/me", headers=headers(22),
                        json={"likeness": {"hair": {"colour": "red"}}, "user_id": 21})
    assert answer.status_code == 400 and "user_id" in answer.json()["message"]
    client.put("/api/me", headers=headers(22), json={"likeness": {"hair": {"colour": "red"}}})
    assert identity.load(r, 21).to_likeness().hair_colour == "black"
    assert identity.load(r, 22).to_likeness().hair_colour == "red"
    assert client.get("/api/me", headers=headers(21)).json()["likeness"]["hair"]["colour"] \
        == "black"


@pytest.mark.parametrize("body, code", [
    ({"likeness": {"hair": {"colour": "green"}}}, "bad_likeness"),
    ({"likeness": {"skin": {"monk": 11}}}, "bad_likeness"),
    ({"likeness": "blonde"}, "bad_likeness"),
    ({"style": "nope"}, "bad_style"),
    ({"face_part": "../../etc"}, "bad_request"),
])
def test_bad_changes_are_400_and_change_nothing(client, redis_server, body, code):
    identity.establish(redis_server.client, 31, Likeness(), None, 0)
    before = snapshot(redis_server)
    answer = client.put("/api/me", headers=headers(31), json=body)
    assert answer.status_code == 400 and answer.json()["error"] == code
    assert snapshot(redis_server) == before


def test_not_json_is_400(client):
    answer = client.put("/api/me", headers={**headers(32), "Content-Type": "application/json"},
                        content=b"{not json")
    assert answer.status_code == 400


def test_bodies_over_64_kb_are_413_and_change_nothing(client, redis_server):
    identity.establish(redis_server.client, 41, Likeness(), None, 0)
    before = snapshot(redis_server)
    big = json.dumps({"likeness": {"hair": {"colour": "red"}}, "pad": "x" * 70_000}).encode()
    answer = client.put("/api/me", headers={**headers(41), "Content-Type": "application/json"},
                        content=big)
    assert answer.status_code == 413
    # without a Content-Length (chunked): refused as it is read

    def chunks():
        for i in range(0, len(big), 8192):
            yield big[i:i + 8192]

    answer = client.put("/api/me", headers={**headers(41), "Content-Type": "application/json"},
                        content=chunks())
    assert answer.status_code == 413
    assert snapshot(redis_server) == before


# --- previews -----------------------------------------------------------------------------------

def test_preview_draws_the_kept_look_and_an_unsaved_one(client, redis_server):
    identity.establish(redis_server.client, 51, Likeness(hair_colour="black"), None, 0)
    kept = client.get("/api/preview", headers=headers(51), params={"style": "avatar"})
    assert kept.status_code == 200 and kept.headers["content-type"] == "image/png"
    assert png_size(kept.content) == (512, 512)
    before = snapshot(redis_server)
    edited = client.post("/api/preview", headers=headers(51),
                         json={"likeness": {"hair": {"colour": "blonde"}}, "style": "avatar"})
    assert edited.status_code == 200 and edited.content != kept.content
    assert snapshot(redis_server) == before  # a preview saves nothing
    small = client.get("/api/preview", headers=headers(51),
                       params={"style": "avatar", "size": 256})
    assert png_size(small.content) == (256, 256)
    crying = client.get("/api/preview", headers=headers(51),
                        params={"style": "avatar", "expression": 15})
    assert crying.content != kept.content
    strip = client.get("/api/strip", headers=headers(51), params={"style": "avatar"})
    assert png_size(strip.content) == (96 * 24, 96)
    bad = client.get("/api/preview", headers=headers(51), params={"size": 5000})
    assert bad.status_code == 400


def test_preview_of_the_default_look_for_a_new_person(client):
    answer = client.get("/api/preview", headers=headers(52), params={"style": "classic"})
    assert answer.status_code == 200 and png_size(answer.content) == (512, 512)


def test_previews_are_rate_limited_per_person(redis_server, settings):
    config = WebConfig(token=TOKEN, preview_rate=(3, 60), bot_settings=settings)
    with ThreadedWeb(config, redis_server.client) as web_server, \
            httpx.Client(base_url=web_server.url, timeout=30) as http:
        codes = [http.get("/api/preview", headers=headers(61), params={"size": 64}).status_code
                 for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = http.post("/api/preview", headers=headers(61), json={})
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        assert limited.json()["error"] == "rate_limited"
        # another person is not held back, and reading the look is not a drawing
        assert http.get("/api/preview", headers=headers(62), params={"size": 64}
                        ).status_code == 200
        assert http.get("/api/me", headers=headers(61)).status_code == 200


def test_parts_list_the_vocabulary(client):
    body = client.get("/api/parts", headers=headers(71)).json()
    assert body["traits"]["hair.colour"][0] == "black" and "light_brown" in \
        body["traits"]["hair.colour"]
    assert body["traits"]["skin.monk"] == list(range(1, 11))
    assert {s["name"] for s in body["styles"]} >= {"classic", "avatar", "lineart"}
    assert len(body["expressions"]) == 24 and body["expressions"][0]["emoji"] == "😀"
    assert body["swatches"]["hair"]["blonde"] == "#d2b274"


# --- the pack -----------------------------------------------------------------------------------

def test_redraw_my_pack_queues_the_pack_job(client, redis_server):
    from rq import Queue

    r = redis_server.client
    answer = client.post("/api/pack", headers=headers(81))
    assert answer.status_code == 409 and answer.json()["outcome"] == "no_look"
    client.put("/api/me", headers=headers(81), json={"style": "avatar",
                                                     "likeness": {"glasses": "glasses"}})
    answer = client.post("/api/pack", headers=headers(81, language="ru", first_name="Ива"))
    assert answer.status_code == 202 and answer.json()["outcome"] == "queued"
    queue = Queue("moji", connection=r)
    assert queue.count == 1
    job = queue.jobs[0]
    assert job.func_name == "worker.jobs.build_pack"
    assert job.args[0]["user_id"] == 81 and job.args[0]["style"] == "avatar"
    assert job.args[0]["language"] == "ru"
    assert json.loads(r.get(Keys.sticker_set(81) + ":pending"))["title"]
    again = client.post("/api/pack", headers=headers(81))
    assert again.json()["outcome"] == "running"


# --- pages --------------------------------------------------------------------------------------

def test_app_page_and_its_assets_come_from_this_server(client):
    page = client.get("/app")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "http://" not in page.text and "https://" not in page.text
    for asset in ("/static/app.js", "/static/app.css"):
        answer = client.get(asset)
        assert answer.status_code == 200 and asset.rsplit("/", 1)[1] in page.text
        # (Telegram Web's origin is where postMessage goes: an address, never a request)
        text = answer.text.replace('"https://web.telegram.org"', "")
        assert "http://" not in text and "https://" not in text
    assert client.get("/static/../app.py").status_code == 404


def test_the_pages_speak_the_bots_four_languages_with_every_choice_named():
    from pathlib import Path

    from web.app import vocabulary
    from worker.i18n import LANGUAGES

    texts = json.loads((Path(__file__).resolve().parent.parent / "web" / "static" / "i18n.json")
                       .read_text(encoding="utf-8"))
    assert set(texts) == set(LANGUAGES)
    traits = vocabulary()["traits"]
    for language, strings in texts.items():
        assert set(strings) == set(texts["en"]), language
        assert set(strings["traits"]) == set(traits), language
        named = {str(c) for path, choices in traits.items() if path != "skin.monk"
                 for c in choices}
        assert named <= set(strings["choices"]), (language, named - set(strings["choices"]))
        assert all(value.strip() for value in strings["choices"].values())
