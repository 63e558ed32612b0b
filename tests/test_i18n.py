"""The bot speaks the person's language (issue 8, part 4).

Catalogue checks (no Telegram): every message the code marks is in every catalogue, translated,
not fuzzy, with the same placeholders. End to end (the real bot and one real worker, a real
Redis, the local Bot API server): the command list in each language, /start in each language,
/language and its keyboard, /forget of the choice, and a worker's answer in the person's language.

Own user ids (83xx), own Redis db (9) and queue, so it runs beside the other e2e tests."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from botkit import (
    BASIC_LIKENESS,
    ROOT,
    inline_buttons,
    job_results,
    no_face_photo,
    service_fixtures,
)

from worker import i18n

LANGS = sorted(i18n.LANGUAGES)
QUEUE = "moji-i18n-test"
ENV = {**BASIC_LIKENESS, "MOJI_RATE_LIMIT": "60/60", "MOJI_QUEUE": QUEUE,
       "MOJI_LOG_LEVEL": "INFO"}
PLACEHOLDER = re.compile(r"\{(\w*)\}")

redis_server, api, svc = service_fixtures(env=ENV)


# --- the catalogues ------------------------------------------------------------------------------

def _extracted() -> dict:
    """msgid -> plural msgid (or None) for every message marked in bot/ and worker/, extracted
    with Babel as `pybabel extract -F babel.cfg` does."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = {}
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map):
        if isinstance(message, tuple):
            found[message[0]] = message[1]
        else:
            found[message] = None
    return found


def _catalogue(lang: str):
    from babel.messages.pofile import read_po

    path = i18n.LOCALE_DIR / lang / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
    with path.open("rb") as f:
        return read_po(f, locale=lang)


def test_babel_finds_the_messages():
    found = _extracted()
    assert len(found) > 100
    for message in ("Make a sticker first: send me a selfie, then /pack.", "Hair colour",
                    "I couldn't find a face in that photo. Try a clear, front-facing selfie "
                    "with your whole face in the picture.", "Make your first sticker"):
        assert message in found


@pytest.mark.parametrize("lang", LANGS)
def test_every_message_is_translated(lang):
    """Fails on a message missing from a catalogue, left empty, fuzzy, with other
    placeholders than the English, or kept in a catalogue after the code dropped it."""
    found = _extracted()
    catalogue = _catalogue(lang)
    problems = []
    for msgid, plural in found.items():
        entry = catalogue.get(msgid)
        if entry is None:
            problems.append(f"missing: {msgid!r}")
            continue
        if entry.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if plural is not None and not isinstance(entry.string, tuple):
            problems.append(f"not a plural entry: {msgid!r}")
        if plural is not None and len(strings) != catalogue.num_plurals:
            problems.append(f"{len(strings)} plural forms, not {catalogue.num_plurals}: "
                            f"{msgid!r}")
        wanted = set(PLACEHOLDER.findall(msgid)) | set(PLACEHOLDER.findall(plural or ""))
        for string in strings:
            if not string:
                problems.append(f"untranslated: {msgid!r}")
            elif set(PLACEHOLDER.findall(string)) != wanted:
                problems.append(f"placeholders differ: {msgid!r} -> {string!r}")
    extracted = set(found)
    problems += [f"no longer in the code: {m.id!r}" for m in catalogue
                 if m.id and (m.id[0] if isinstance(m.id, tuple) else m.id) not in extracted]
    assert not problems, f"{lang}: " + "\n".join(problems)


def test_compiled_catalogues_translate():
    from worker.i18n import _, ngettext

    said = {}
    for lang in LANGS:
        with i18n.using(lang):
            said[lang] = _("From now on I speak English with you.")
    assert said == {"en": "From now on I speak English with you.",
                    "es": "A partir de ahora te hablo en español.",
                    "ru": "Теперь я говорю с тобой по-русски.",
                    "zh_Hans": "从现在起，我用简体中文和你交流。"}
    with i18n.using("ru"):
        forms = [ngettext("Got it! {n} sticker is ahead of yours.",
                          "Got it! {n} stickers are ahead of yours.", n).format(n=n)
                 for n in (1, 3, 11)]
    assert forms == ["Принято! Перед твоим в очереди 1 стикер.",
                     "Принято! Перед твоим в очереди 3 стикера.",
                     "Принято! Перед твоим в очереди 11 стикеров."]
    assert i18n.current() == "en"  # `using` restored it


# Words a language really writes as English does (a style's name)
SAME_WORD = {"es": ("Avatar",)}


@pytest.mark.parametrize("lang", [lang for lang in LANGS if lang != "en"])
def test_every_message_with_words_reads_differently_from_the_english(lang):
    """What the bot says through the compiled catalogue, not just what the .po file holds: a
    message (and each plural form) that comes back as the English text was not translated or
    not found. Only messages without letters (", ") and the words a language writes as English
    does (SAME_WORD) may read the same."""
    from worker.i18n import _, ngettext

    same = []
    with i18n.using(lang):
        for msgid, plural in _extracted().items():
            if not re.search(r"[A-Za-z]{2}", PLACEHOLDER.sub("", msgid)):
                continue
            said = [ngettext(msgid, plural, n) for n in (1, 2, 5)] if plural else [_(msgid)]
            english = {msgid, plural}
            same += [text for text in said if (text in english or not text.strip())
                     and text not in SAME_WORD.get(lang, ())]
    assert not same, f"{lang} says in English: {same}"


def test_language_codes_map_to_catalogues():
    cases = {"en": "en", "en-GB": "en", "es": "es", "es-419": "es", "ES-mx": "es",
             "ru": "ru", "ru-RU": "ru", "zh-hans": "zh_Hans", "zh-CN": "zh_Hans",
             "zh_Hans": "zh_Hans", "zh-hant": "zh_Hans", "zh": "zh_Hans", "pt-br": "en",
             "de": "en", "": "en", None: "en", "xx-yy-zz": "en", 7: "en"}
    assert {code: i18n.negotiate(code) for code in cases} == cases


def test_every_trait_choice_and_search_word_has_a_name():
    from bot.inline import SEARCH_WORDS
    from worker.identity import CHOICE_NAMES, MONK_LEVELS, TRAITS

    for trait in TRAITS.values():
        for choice in trait.choices:
            assert choice in CHOICE_NAMES or choice in MONK_LEVELS, (trait.code, choice)
    vocabulary = {"neutral", "smile", "grin", "open", "frown", "smirk", "tongue", "kiss",
                  "closed", "wink", "wide", "squint", "raised", "furrowed", "sad"}
    assert vocabulary <= set(SEARCH_WORDS)


def test_me_keyboard_in_russian():
    from pipeline.likeness import Likeness
    from worker.identity import Identity, main_keyboard

    likeness = Likeness.from_dict({"hair": {"length": "long", "colour": "blonde"},
                                   "facial_hair": "none", "glasses": "none",
                                   "headwear": "none", "skin": {"monk": 4}})
    kept = Identity.from_likeness(likeness, "face-oval", version=3)
    with i18n.using("ru"):
        texts = [b["text"] for row in main_keyboard(kept)["inline_keyboard"] for b in row]
    assert texts == ["Волосы: длинные", "Цвет волос: светлый", "Борода и усы: нет",
                     "Очки: нет", "Головной убор: нет", "Тон кожи: 4",
                     "Взять облик из следующего фото"]


def test_command_descriptions_in_every_language():
    from bot.app import COMMANDS, commands

    english = [c.description for c in commands("en")]
    assert english == [d for _, d in COMMANDS]
    for lang in LANGS:
        listed = commands(lang)
        assert [c.command for c in listed] == [name for name, _ in COMMANDS]
        assert all(1 <= len(c.description) <= 256 for c in listed)
        if lang != "en":
            assert not set(c.description for c in listed) & set(english), lang


def test_catalogues_are_not_compiled_files_in_the_repository():
    """The .po files are the source; they are compiled in memory (worker.i18n)."""
    assert not list(Path(i18n.LOCALE_DIR).rglob("*.mo"))


# --- end to end ----------------------------------------------------------------------------------


def _said(lang: str, message: str, **values: str) -> str:
    from worker.i18n import _

    with i18n.using(lang):
        return _(message).format(**values)


def test_commands_are_registered_in_each_language(svc, api):
    from bot.app import commands

    deadline = time.monotonic() + 10
    while len(api.commands_by_language) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert set(api.commands_by_language) == {"", "en", "es", "ru", "zh"}
    for code, lang in [("", "en"), ("en", "en"), ("es", "es"), ("ru", "ru"), ("zh", "zh_Hans")]:
        assert api.commands_by_language[code] == [
            {"command": c.command, "description": c.description} for c in commands(lang)]
    assert api.commands_by_language["ru"][0]["description"] == "Что умеет Moji"
    assert {"command": "language", "description": "Choose my language"} in api.commands


@pytest.mark.parametrize("code,first_name,greeting", [
    ("en", "Ann", "Hi Ann! Send me a selfie and I'll turn it into an emoji sticker"),
    ("es-419", "Ana", "¡Hola, Ana! Envíame un selfie y lo convertiré en un sticker emoji"),
    ("ru", "Аня", "Привет, Аня! Пришли мне селфи, и я превращу его в стикер-эмодзи"),
    ("zh-hans", "安", "你好，安！给我发一张自拍，我会把它变成模仿你表情的表情贴纸。"),
    ("pt-br", "Ana", "Hi Ana! Send me a selfie"),  # no Portuguese catalogue: English
    (None, "Ann", "Hi Ann! Send me a selfie"),  # no language_code at all
])
def test_start_in_each_language(svc, api, code, first_name, greeting):
    user_id = 8300 + [None, "en", "es-419", "ru", "zh-hans", "pt-br"].index(code)
    person = api.user(user_id, first_name, language_code=code)
    api.send_text(person, "/start")
    (reply,) = api.wait_for("sendMessage", user_id)
    text = reply.params["text"]
    assert text.startswith(greeting), text
    from bot.handlers import HELP

    assert text.endswith(_said(i18n.negotiate(code), HELP, bot="moji_test_bot"))


def test_language_keyboard_choice_and_forget(svc, api, redis_server):
    olga = api.user(8310, "Olga", language_code="ru")
    api.send_text(olga, "/language")
    (shown,) = api.wait_for("sendMessage", 8310)
    assert shown.params["text"] == "Выбери, на каком языке мне с тобой говорить:"
    buttons = inline_buttons(shown.params["reply_markup"])
    assert buttons == [("English", "lang:en"), ("Español", "lang:es"),
                       ("✓ Русский", "lang:ru"), ("简体中文", "lang:zh_Hans")]

    query = api.press_button(olga, shown.result, "lang:es")
    (answer,) = api.wait_for("answerCallbackQuery",
                             where=lambda c: c.params.get("callback_query_id") == query)
    assert answer.params["text"] == "A partir de ahora te hablo en español."
    (edited,) = api.wait_for("editMessageText", 8310)
    assert edited.params["text"].startswith("A partir de ahora te hablo en español.")
    assert redis_server.client.hget("moji:languages", "8310") == b"es"

    api.send_text(olga, "/help")  # the choice wins over Telegram's language_code
    api.wait_for("sendMessage", 8310, where=lambda c: c.params["text"].startswith("Envíame"))
    bad = api.press_button(olga, shown.result, "lang:xx")
    api.wait_for("answerCallbackQuery", where=lambda c: c.params.get("callback_query_id") == bad)

    api.send_text(olga, "/forget")
    (told,) = api.wait_for("sendMessage", 8310, where=lambda c: "Hecho" in c.params["text"])
    assert "el idioma que elegiste" in told.params["text"]
    assert redis_server.client.hget("moji:languages", "8310") is None
    api.send_text(olga, "/help")  # back to the app's language
    api.wait_for("sendMessage", 8310, where=lambda c: c.params["text"].startswith("Пришли"))


def test_worker_answers_in_the_persons_language(svc, api, redis_server):
    pablo = api.user(8320, "Pablo", language_code="es")
    msg = api.send_photo(pablo, no_face_photo())
    (told,) = api.wait_for("sendMessage", 8320, timeout=60,
                           where=lambda c: "reply_parameters" in c.params)
    assert told.params["text"] == ("No encontré ninguna cara en esa foto. Prueba con un selfie "
                                   "nítido, de frente y con toda la cara en la imagen.")
    assert json.loads(told.params["reply_parameters"])["message_id"] == msg["message_id"]
    deadline = time.monotonic() + 10  # the job finishes just after it answered
    while not (payloads := [p for p, _ in job_results(redis_server.client, QUEUE)
                            if p["user_id"] == 8320]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert payloads and payloads[0]["language"] == "es"

    # the same photo from a Russian speaker: answered from the cache, in Russian
    key = "moji:cache:classic:" + msg["photo"][-1]["file_unique_id"]
    deadline = time.monotonic() + 10
    while not redis_server.client.exists(key) and time.monotonic() < deadline:
        time.sleep(0.05)
    ivan = api.user(8321, "Иван", language_code="ru")
    api.send_photo(ivan, no_face_photo())
    (cached,) = api.wait_for("sendMessage", 8321)
    assert cached.params["text"].startswith("Я не нашёл лица на этом фото.")


def test_people_answered_at_the_same_time_each_get_their_language(svc, api):
    """Updates are handled concurrently: the language is per update, never shared."""
    from bot.handlers import HELP

    people = [(8330 + i, code) for i, code in enumerate(["ru", "es", "zh-hans", "en"] * 3)]
    api.pause_updates()  # one getUpdates batch: the bot handles them all at once
    try:
        for user_id, code in people:
            api.send_text(api.user(user_id, "P", language_code=code), "/help")
    finally:
        api.resume_updates()
    for user_id, code in people:
        (reply,) = api.wait_for("sendMessage", user_id)
        wanted = _said(i18n.negotiate(code), HELP, bot="moji_test_bot")
        assert reply.params["text"] == wanted, (user_id, code)


def test_language_choices_are_kept_in_redis_and_mirrored_by_the_bot(redis_server):
    """The bot reads every choice at start-up (so it survives a restart), answers from memory,
    and /forget drops the choice in both places."""
    from bot.store import Store
    from worker.config import Settings

    client = redis_server.client
    client.hset("moji:languages", "8399", "ru")
    store = Store(Settings(token="1:x", redis_url=redis_server.url), connection=client)
    assert store.load_languages() >= 1
    assert store.language_of(8399) == "ru" and store.language_of(8398) is None
    store.set_language(8398, "zh_Hans")
    assert Store(Settings(token="1:x"), connection=client).load_languages() >= 2
    assert store.forget(8399) == {"language": 1}
    assert store.language_of(8399) is None and client.hget("moji:languages", "8399") is None
    assert client.hget("moji:languages", "8398") == b"zh_Hans"
