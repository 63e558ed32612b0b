"""End to end: a person's own sticker pack (issue 8 part 1) with the real bot, a real
`moji worker`, a real Redis and the local Bot API server.

/pack (or "Make my pack" under the first sticker) makes 24 stickers of the person in one
createNewStickerSet call and answers with the link; later selfie stickers join the set;
/pack after a change of style or look redraws the generated stickers in place
(replaceStickerInSet) and keeps the selfie stickers; /forget drops the record, not the set.

Own user ids (74xx), own Redis db (7) and queue, so it runs beside the other e2e tests."""

from __future__ import annotations

import io
import json
import time

from botkit import BASIC_LIKENESS, eventually, inline_buttons, service_fixtures, variant
from PIL import Image

from pipeline.pack import PACK

QUEUE = "moji-pack-test"
ENV = {**BASIC_LIKENESS, "MOJI_RATE_LIMIT": "60/60", "MOJI_QUEUE": QUEUE,
       "MOJI_LOG_LEVEL": "INFO"}
FIRST = 90.0  # the first selfie loads the likeness models
BOT = "moji_test_bot"
# issue 8's target is 3 s from /pack to its link: `moji bench pack` measures it; the tests only
# print the figure (pytest -s), as timings on a shared machine are no test
EMOJI = [p.emoji for p in PACK]

redis_server, api, svc = service_fixtures(env=ENV)


def _selfie(api, user: dict, photo: str, n: int):
    """Send a selfie; returns its sticker's sendSticker call."""
    msg = api.send_photo(user, variant(photo, n))

    def replies_to(call) -> bool:
        return json.loads(call.params.get("reply_parameters") or "{}").get(
            "message_id") == msg["message_id"]

    (call,) = api.wait_for("sendSticker", user["id"], where=replies_to, timeout=FIRST)
    return call


def _links(api, user_id: int, count: int, timeout: float = 60.0):
    return api.wait_for("sendMessage", user_id, count=count, timeout=timeout,
                        where=lambda c: "t.me/addstickers/" in c.params.get("text", ""))


def _record(redis_server, user_id: int) -> dict | None:
    raw = redis_server.client.get(f"moji:set:{user_id}")
    return json.loads(raw) if raw else None



def _report(redis_server, user_id: int, count: int = 1) -> dict:
    """The report (stages in ms) of the person's count-th pack job, for the figures printed
    with -s; it finishes just after sending the link."""
    from rq import Queue
    from rq.job import Job
    from rq.registry import FinishedJobRegistry

    client = redis_server.client
    deadline = time.monotonic() + 10
    while True:
        ids = FinishedJobRegistry(queue=Queue(QUEUE, connection=client)).get_job_ids()
        jobs = sorted((j for j in Job.fetch_many(ids, connection=client) if j is not None
                       and j.func_name.endswith("build_pack")
                       and j.args[0]["user_id"] == user_id), key=lambda j: j.ended_at)
        if len(jobs) >= count or time.monotonic() > deadline:
            return jobs[count - 1].return_value() if len(jobs) >= count else {}
        time.sleep(0.1)


def _make_pack(api, user: dict, links_before: int = 0) -> tuple[float, object]:
    """/pack; returns (seconds from the update to the link, the link message)."""
    start = time.perf_counter()
    api.send_text(user, "/pack")
    link = _links(api, user["id"], links_before + 1)[-1]
    return link.at - start, link


def test_pack_in_one_call_every_sticker_512px_distinct_with_its_emoji(svc, api, redis_server):
    ann = api.user(7401, "Ann")
    api.send_text(ann, "/pack")
    api.wait_for("sendMessage", 7401, where=lambda c: "send me a selfie first" in
                 c.params["text"])

    first = _selfie(api, ann, "smile.jpg", 7401)
    buttons = inline_buttons(first.params.get("reply_markup"))
    assert buttons == [("Make my pack", "pack:make")]  # under the first sticker only

    start = time.perf_counter()
    query = api.press_button(ann, first.result, "pack:make")
    api.wait_for("answerCallbackQuery", where=lambda c: c.params.get("callback_query_id")
                 == query)
    (progress,) = api.wait_for("sendMessage", 7401,
                               where=lambda c: "Making your pack: 24 stickers" in
                               c.params["text"])
    (link,) = _links(api, 7401, 1)
    took = link.at - start
    name = f"moji_u7401_by_{BOT}"
    assert f"https://t.me/addstickers/{name}" in link.params["text"]

    # one createNewStickerSet call with every sticker, each uploaded as attach://
    # (the pack's set: /pack makes the custom emoji set too, worker.emoji_set)
    (create,) = [c for c in api.calls_to("createNewStickerSet") if c.params["name"] == name]
    assert len([c for c in api.calls_to("createNewStickerSet")
                if c.params["name"] == name]) == 1
    specs = json.loads(create.params["stickers"])
    assert [s["emoji_list"] for s in specs] == [[e] for e in EMOJI]
    assert [s["keywords"] for s in specs] == [list(p.keywords) for p in PACK]
    assert {s["format"] for s in specs} == {"static"}
    assert len(create.files) == len(PACK) >= 24
    assert create.params["title"] == "Ann's Moji"

    stickers = api.sticker_set(name)["stickers"]
    assert [s["emoji"] for s in stickers] == EMOJI
    images = [api.file_bytes(s["file_id"]) for s in stickers]
    assert len(set(images)) == len(images)  # distinct
    for sticker, data in zip(stickers, images, strict=True):
        image = Image.open(io.BytesIO(data))
        assert image.format == "WEBP" and image.size == (512, 512)
        assert sticker["width"] == sticker["height"] == 512
        assert len(data) <= 512 * 1024
    record = _record(redis_server, 7401)
    assert record["name"] == name and list(record["generated"]) == EMOJI
    assert list(record["generated"].values()) == [s["file_id"] for s in stickers]
    print(f"\n/pack (button) to its link: {took * 1000:.0f} ms; the job: "
          f"{_report(redis_server, 7401)}")

    # inline mode offers the pack at once, by emoji or keyword (`@bot love` -> 😍)
    answer = api.inline_answer(api.inline_query(ann, "love"))
    hearts = stickers[EMOJI.index("😍")]["file_id"]
    assert hearts in [r["sticker_file_id"] for r in answer["results"]]
    answer = api.inline_answer(api.inline_query(ann, "🥺"))
    assert [r["sticker_file_id"] for r in answer["results"]] == [stickers[-1]["file_id"]]

    # a later selfie's sticker joins the set, with its emoji
    later = _selfie(api, ann, "grin.jpg", 7411)
    assert not later.params.get("reply_markup")  # the button is for the first sticker
    assert eventually(lambda: len(api.sticker_set(name)["stickers"]) == len(PACK) + 1)
    added = api.sticker_set(name)["stickers"][-1]
    assert added["file_id"] == later.result["sticker"]["file_id"]
    assert added["emoji"] == later.params["emoji"]

    # the second selfie is one of the first three: it voted on Ann's look (worker.identity),
    # and a look it changed redraws the pack's generated stickers, once
    _, after = _make_pack(api, ann, links_before=1)
    assert "up to date" in after.params["text"] or "redrawn" in after.params["text"]

    # nothing changed: /pack only answers with the link, again as fast
    creates = len(api.calls_to("createNewStickerSet"))
    replaced = len(api.calls_to("replaceStickerInSet"))
    _, same = _make_pack(api, ann, links_before=2)
    assert "up to date" in same.params["text"]
    assert len(api.calls_to("createNewStickerSet")) == creates
    assert len(api.calls_to("replaceStickerInSet")) == replaced


def test_style_change_replaces_generated_stickers_and_keeps_photo_stickers(svc, api,
                                                                           redis_server):
    from worker import identity

    bob = api.user(7402, "Bob")
    _selfie(api, bob, "smile.jpg", 7402)
    took, _link = _make_pack(api, bob)
    name = f"moji_u7402_by_{BOT}"
    photo = _selfie(api, bob, "open.jpg", 7412)
    assert eventually(lambda: len(api.sticker_set(name)["stickers"]) == len(PACK) + 1)
    before = [dict(s) for s in api.sticker_set(name)["stickers"]]
    old_images = [api.file_bytes(s["file_id"]) for s in before]

    api.send_text(bob, "/style avatar")
    api.wait_for("sendMessage", 7402, where=lambda c: "Style set" in c.params["text"])
    def pack_replaces() -> list:  # the sticker set's, not its custom emoji set's
        return [c for c in api.calls_to("replaceStickerInSet") if c.params["name"] == name]

    replaced_before = len(pack_replaces())
    took, redrawn = _make_pack(api, bob, links_before=1)
    assert "redrawn" in redrawn.params["text"] and f"addstickers/{name}" in redrawn.params[
        "text"]
    replaces = pack_replaces()[replaced_before:]
    assert len(replaces) == len(PACK)
    assert [c.params["old_sticker"] for c in replaces] == [s["file_id"] for s in before[:24]]
    assert not [c for c in api.calls_to("createNewStickerSet") if c.params["name"] == name][1:]

    after = api.sticker_set(name)["stickers"]
    assert len(after) == len(PACK) + 1  # same set, same size
    assert [s["emoji"] for s in after] == [s["emoji"] for s in before]
    new_images = [api.file_bytes(s["file_id"]) for s in after]
    for i in range(len(PACK)):  # every generated sticker drawn again, in its place
        assert after[i]["file_id"] != before[i]["file_id"]
        assert new_images[i] != old_images[i]
    assert len(set(new_images[:len(PACK)])) == len(PACK)
    assert after[-1]["file_id"] == photo.result["sticker"]["file_id"]  # the selfie sticker stays
    assert list(_record(redis_server, 7402)["generated"].values()) == [
        s["file_id"] for s in after[:len(PACK)]]
    print(f"\n/pack after a style change to its link: {took * 1000:.0f} ms; the job: "
          f"{_report(redis_server, 7402, 2)}")

    # a change of look (a /me correction) redraws them again
    kept = identity.load(redis_server.client, 7402)
    assert identity.set_trait(redis_server.client, 7402, "gl", "sunglasses"
                              if kept.value("gl") != "sunglasses" else "none",
                              kept.version).status == "ok"
    _make_pack(api, bob, links_before=2)
    assert len(pack_replaces()) == replaced_before + 2 * len(PACK)
    assert api.sticker_set(name)["stickers"][-1]["file_id"] == photo.result["sticker"][
        "file_id"]


def test_forget_drops_the_record_and_the_next_pack_takes_the_set_back(svc, api, redis_server):
    cat = api.user(7403, "Cat")
    _selfie(api, cat, "smile.jpg", 7403)
    _make_pack(api, cat)
    name = f"moji_u7403_by_{BOT}"
    photo = _selfie(api, cat, "grin.jpg", 7413)
    assert eventually(lambda: len(api.sticker_set(name)["stickers"]) == len(PACK) + 1)

    api.send_text(cat, "/forget")
    (told,) = api.wait_for("sendMessage", 7403, where=lambda c: "deleted" in c.params["text"])
    assert "the pack itself stays on Telegram" in told.params["text"]
    assert _record(redis_server, 7403) is None and api.sticker_set(name) is not None

    # a new selfie (a new look; with no record, its sticker joins no pack), then /pack: the
    # set's name is taken, by this same set: its generated stickers are found by their emoji
    # and redrawn in place; the old selfie sticker stays
    _selfie(api, cat, "frown.jpg", 7423)
    _make_pack(api, cat, links_before=1)
    assert not [c for c in api.calls_to("addStickerToSet") if c.params["name"] == name][1:]
    after = api.sticker_set(name)["stickers"]
    assert len(after) == len(PACK) + 1
    assert [s["emoji"] for s in after[:len(PACK)]] == EMOJI
    assert after[len(PACK)]["file_id"] == photo.result["sticker"]["file_id"]
    assert list(_record(redis_server, 7403)["generated"]) == EMOJI


def test_the_local_server_checks_input_stickers_as_documented(api):
    """createNewStickerSet: 1-50 stickers, each format static/video, 1-20 emoji, 0-20
    keywords of 64 characters in all; a set holds 120; replaceStickerInSet needs a sticker
    of the set."""
    import httpx

    api.user(7409, "Dee")
    png = io.BytesIO()
    Image.new("RGBA", (512, 512), (200, 100, 50, 255)).save(png, "PNG")
    data = png.getvalue()
    url = f"{api.base_url}{api.token}"
    client = httpx.Client()  # one client for the 80 calls: a new one each costs its set-up

    def call(method: str, params: dict, files: int = 1) -> dict:
        form = {k: (v if isinstance(v, str) else json.dumps(v)) for k, v in params.items()}
        uploads = {f"s{i}": (f"s{i}.png", data, "image/png") for i in range(files)}
        return client.post(f"{url}/{method}", data=form, files=uploads or None).json()

    def spec(i: int = 0, **kw) -> dict:
        return {"sticker": f"attach://s{i}", "format": "static", "emoji_list": ["🙂"], **kw}

    name = f"checks_by_{BOT}"
    base = {"user_id": 7409, "name": name, "title": "Checks"}
    bad = [
        ([], 0), ([spec(i) for i in range(51)], 51),
        ([spec(format="animated")], 1), ([{"sticker": "attach://s0", "emoji_list": ["🙂"]}], 1),
        ([spec(emoji_list=[])], 1), ([spec(emoji_list=["🙂"] * 21)], 1),
        ([spec(keywords=["k"] * 21)], 1), ([spec(keywords=["x" * 65])], 1),
    ]
    for stickers, files in bad:
        answer = call("createNewStickerSet", {**base, "stickers": stickers}, files)
        assert not answer["ok"], stickers[:1]
    assert api.sticker_set(name) is None
    ok = call("createNewStickerSet", {**base, "stickers": [
        spec(i, keywords=["one", "two"]) for i in range(50)]}, 50)
    assert ok["ok"], ok
    assert api.sticker_set(name)["stickers"][0]["keywords"] == ["one", "two"]
    for _ in range(70):
        assert call("addStickerToSet", {"user_id": 7409, "name": name, "sticker": spec()})["ok"]
    full = call("addStickerToSet", {"user_id": 7409, "name": name, "sticker": spec()})
    assert not full["ok"] and "STICKERS_TOO_MUCH" in full["description"]
    first = api.sticker_set(name)["stickers"][0]["file_id"]
    assert not call("replaceStickerInSet", {"user_id": 7409, "name": name,
                                            "old_sticker": "nope", "sticker": spec()})["ok"]
    assert call("replaceStickerInSet", {"user_id": 7409, "name": name, "old_sticker": first,
                                        "sticker": spec(emoji_list=["😎"])})["ok"]
    client.close()
    stickers = api.sticker_set(name)["stickers"]
    assert len(stickers) == 120
    assert stickers[0]["emoji"] == "😎" and stickers[0]["file_id"] != first
