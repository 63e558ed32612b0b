"""One true look per person (issue 16, part 2): the vote over the first three private selfies,
the person's locked choices, and "clearly another look", on a real Redis (worker.identity)
and with the real likeness estimator on real photos (worker.look_vote.differences)."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from botkit import RedisServer, fixture_bytes

from pipeline.likeness import Likeness, monk_index
from worker import identity
from worker.look_vote import Sample, differences, vote


@pytest.fixture(scope="module")
def redis_db():
    server = RedisServer(db=12)
    server.flush()
    yield server.client
    server.close()


def _look(**changes) -> Likeness:
    return Likeness(hair_length="medium", hair_colour="brown", hair_rgb=(107, 74, 49),
                    hair_style="medium", facial_hair="none", glasses="none",
                    skin_rgb=(215, 189, 150), monk=5, eye_colour="brown",
                    face={"width": 0.5, "jaw": -0.2}).replace(**changes)


def test_three_photos_vote_each_trait_and_take_median_colours(redis_db):
    user = 9101
    photos = [
        _look(hair_colour="blonde", hair_rgb=(210, 178, 116), skin_rgb=(230, 210, 180),
              glasses="glasses", face={"width": 0.9, "jaw": 0.0}, eye_colour="blue",
              eye_rgb=(80, 127, 174)),
        _look(hair_colour="blonde", hair_rgb=(200, 170, 110), skin_rgb=(220, 200, 170),
              face={"width": 0.3, "jaw": 0.4}, eye_colour="blue", eye_rgb=(70, 120, 170)),
        _look(hair_colour="light_brown", hair_rgb=(151, 113, 77), skin_rgb=(240, 215, 190),
              face={"width": 0.6, "jaw": 0.2}, eye_colour="green", age_signs="some"),
    ]
    seen = [identity.observe(redis_db, user, lk, "face-oval" if i else "face-round",
                             f"photo-{i}") for i, lk in enumerate(photos)]
    assert [s.status for s in seen] == ["established", "refined", "refined"]
    assert [s.identity.version for s in seen] == [1, 2, 3]
    assert [s.identity.settled for s in seen] == [False, False, True]
    kept = identity.load(redis_db, user)
    look = kept.to_likeness()
    assert look.hair_colour == "blonde"  # 2 of 3
    assert look.hair_rgb == (205, 174, 113)  # median of the two blonde photos, not the brown
    assert look.glasses == "none"  # 2 of 3
    assert look.eye_colour == "blue" and look.eye_rgb == (75, 124, 172)
    assert look.age_signs == "none"
    assert look.skin_rgb == (230, 210, 180)  # per-channel median of all three
    assert look.monk == monk_index((230, 210, 180))
    assert vote([Sample(lk) for lk in photos])[0] == look  # the store keeps what vote() says
    assert look.face == {"width": 0.6, "jaw": 0.2}  # median of each proportion
    assert kept.face == "face-oval"  # the face part 2 of 3 matched
    assert seen[2].likeness == look  # the third selfie is drawn with the look it made
    # small enough to keep for every person: three photos' looks as compact JSON
    assert len(redis_db.get("moji:identity:9101")) < 4000

    # a fourth photo (and a repeat of a voting one) does not change the look
    fourth = identity.observe(redis_db, user, _look(hair_colour="light_brown",
                                                    hair_rgb=(151, 113, 77)), "face-long", "p4")
    assert fourth.status == "kept" and fourth.likeness == look
    again = identity.observe(redis_db, user, photos[2], "face-round", "photo-2")
    assert again.status == "kept"
    assert identity.load(redis_db, user) == kept


def test_a_tie_keeps_the_first_photo_and_a_repeat_does_not_vote_twice(redis_db):
    user = 9102
    first = _look(hair_length="long", hair_style="long_straight")
    identity.observe(redis_db, user, first, "face-oval", "a")
    assert identity.observe(redis_db, user, first, "face-oval", "a").status \
        == "kept"  # a retried job of the first photo
    second = identity.observe(redis_db, user, _look(), "face-oval", "b")
    assert second.status == "refined" and second.likeness.hair_length == "long"  # 1:1, first wins
    assert len(identity.load(redis_db, user).samples) == 2


def test_what_is_worn_needs_more_than_half_the_photos(redis_db):
    """Sunglasses and a cap in one of two selfies are not the person's look; in two of three
    they are."""
    user = 9199
    identity.observe(redis_db, user, _look(glasses="sunglasses", headwear="cap"), None, "a")
    second = identity.observe(redis_db, user, _look(), None, "b")
    assert (second.likeness.glasses, second.likeness.headwear) == ("none", "none")
    third = identity.observe(redis_db, user, _look(glasses="sunglasses", headwear="cap"), None,
                             "c")
    assert (third.likeness.glasses, third.likeness.headwear) == ("sunglasses", "cap")


def test_a_locked_trait_survives_the_vote(redis_db):
    user = 9103
    identity.observe(redis_db, user, _look(hair_length="short", hair_style="short"), None, "a")
    change = identity.set_trait(redis_db, user, "hl", "long", expected_version=1)
    assert change.status == "ok" and change.identity.locked == {"hair_length": "long"}
    for photo in ("b", "c"):
        seen = identity.observe(redis_db, user, _look(hair_length="short", hair_style="short"),
                                None, photo)
        assert seen.status == "refined" and seen.likeness.hair_length == "long"
    kept = identity.load(redis_db, user)
    # photos that agree with the look leave it, and its version, as they were
    assert kept.value("hl") == "long" and kept.version == 2 and len(kept.samples) == 3
    # a choice pressed that the look has already is kept as the person's all the same
    assert identity.set_trait(redis_db, user, "fh", "none", kept.version).status == "same"
    assert identity.load(redis_db, user).locked == {"hair_length": "long", "facial_hair": "none"}
    assert identity.load(redis_db, user).version == kept.version
    # the Mini App's API: by Likeness field, locked the same way; invalid names change nothing
    assert identity.set_traits(redis_db, user, {"hair_colour": "red", "monk": 3}).status == "ok"
    assert identity.set_traits(redis_db, user, {"hair_colour": "purple"}).status == "invalid"
    look, _face = identity.kept_look(redis_db, user)
    assert (look.hair_colour, look.monk, look.hair_length) == ("red", 3, "long")
    # released, the vote decides again
    assert identity.release_traits(redis_db, user, ["hair_length"]).status == "ok"
    assert identity.kept_look(redis_db, user)[0].hair_length == "short"
    # /forget deletes the photos' looks, the choices and the offers with the identity
    assert identity.forget(redis_db, user)["identity"] == 1
    assert not [k for k in redis_db.scan_iter("*9103*")]


def test_guesses_order_the_me_buttons():
    kept = identity.Identity.from_likeness(
        _look(guesses={"hair_colour": ("auburn", "red", "brown"), "monk": (6, 5)}), None, 1)
    colours = [b["text"].removeprefix("✓ ")
               for row in identity.trait_keyboard(kept, "hc")["inline_keyboard"] for b in row]
    assert colours[:4] == ["auburn", "red", "brown", "black"]
    skins = [b["text"].removeprefix("✓ ")
             for row in identity.trait_keyboard(kept, "sk")["inline_keyboard"] for b in row]
    assert skins[:3] == ["6", "5", "1"]
    plain = identity.Identity.from_likeness(_look(), None, 1)
    assert [b["text"].removeprefix("✓ ") for b in identity.trait_keyboard(
        plain, "gl")["inline_keyboard"][0]] == ["none", "glasses", "sunglasses"]
    assert identity.trait_choices(kept)["hair_colour"][0] == "auburn"


# --- "clearly another look", measured on real photos ---------------------------------------

def _relit(data: bytes, gains: tuple[float, float, float], gamma: float) -> bytes:
    from PIL import Image

    rgb = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.float64) / 255
    out = np.clip(255 * rgb ** gamma * np.array(gains), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(out).save(buf, "JPEG", quality=92)
    return buf.getvalue()


@pytest.fixture(scope="module")
def measured(pipe):
    def measure(data: bytes) -> Sample:
        return Sample(pipe.measure_likeness(data), None, str(hash(data)))

    return measure


def test_another_person_differs_the_same_person_under_other_light_does_not(measured):
    person = [measured(fixture_bytes(f"identity_farida_{i}.jpg")) for i in (1, 2, 3)]
    assert differences(measured(fixture_bytes("identity_dileep.jpg")), person)
    for gains, gamma in (((1.12, 1.0, 0.8), 1.0), ((0.85, 0.97, 1.15), 1.0),
                         ((0.85, 0.85, 0.85), 1.4), ((1.0, 1.0, 1.0), 0.75)):
        for i in (1, 2):
            relit = measured(_relit(fixture_bytes(f"identity_farida_{i}.jpg"), gains, gamma))
            assert differences(relit, person) == [], (i, gains, gamma)
            assert differences(relit, person[i - 1:i]) == [], (i, gains, gamma)


def test_rules_of_clearly_another_look():
    me = [Sample(_look(hair_colour="black", hair_rgb=(30, 27, 26)), None, str(i))
          for i in range(3)]
    beard = Sample(_look(hair_colour="black", hair_rgb=(30, 27, 26), facial_hair="beard"))
    assert differences(beard, me) == ["facial_hair"]
    assert differences(beard, me[:1]) == []  # one photo's look: a beard alone is not enough
    blonde = Sample(_look(hair_colour="blonde", hair_rgb=(210, 178, 116)))
    assert differences(blonde, me) == ["hair_colour"]
    brown = Sample(_look(hair_colour="brown", hair_rgb=(107, 74, 49)))
    assert differences(brown, me) == []  # dark <-> brown: what light does
    assert differences(Sample(_look(hair_colour="black", hair_rgb=(30, 27, 26), monk=8,
                                    skin_rgb=(96, 65, 52))), me) == ["monk"]
    glasses = Sample(_look(hair_colour="black", hair_rgb=(30, 27, 26), glasses="glasses"))
    assert differences(glasses, me) == []  # reading glasses
    assert differences(Sample(_look(hair_colour="black", hair_rgb=(30, 27, 26),
                                    glasses="glasses", facial_hair="stubble")), me) \
        == ["facial_hair", "glasses"]
    grey = Sample(_look(hair_colour="grey", hair_rgb=(155, 154, 151)), colour=False)
    assert differences(grey, me) == []  # a greyscale photo has no hair colour to compare
    blondes = [Sample(_look(hair_colour="blonde", hair_rgb=(210, 178, 116)), None, str(i))
               for i in range(3)]
    unread = Sample(_look(hair_colour="dark_brown", hair_rgb=(61, 43, 32),
                          hair_colour_read=False))
    assert differences(unread, blondes) == []  # a crop cut at the brows: the default, not dark


def test_a_photo_whose_hair_colour_was_not_read_counts_half_a_vote():
    """A first selfie cut at the brows (its hair colour only the dark default) must not
    outvote a later one that shows blonde hair; but two defaults hold against one reading."""
    unread = _look(hair_colour="dark_brown", hair_rgb=(61, 43, 32), hair_colour_read=False,
                   glasses="glasses")
    blonde = _look(hair_colour="blonde", hair_rgb=(210, 178, 116))
    look, _face = vote([Sample(unread, None, "a"), Sample(blonde, None, "b")])
    assert (look.hair_colour, look.hair_rgb, look.hair_colour_read) \
        == ("blonde", (210, 178, 116), True)
    # without the flag the tie keeps the first photo's: what the flag changes
    look, _face = vote([Sample(unread.replace(hair_colour_read=True), None, "a"),
                        Sample(blonde, None, "b")])
    assert look.hair_colour == "dark_brown"
    # two defaults against one reading: the tie keeps the first photo's, still a default
    brown = _look(hair_colour="brown", hair_rgb=(107, 74, 49))
    look, _face = vote([Sample(unread, None, "a"), Sample(unread, None, "b"),
                        Sample(brown, None, "c")])
    assert look.hair_colour == "dark_brown" and not look.hair_colour_read


def test_differing_photo_is_offered_and_the_offer_replaces_the_look(redis_db):
    user = 9104
    for photo in "abc":
        identity.observe(redis_db, user, _look(hair_colour="black", hair_rgb=(30, 27, 26)),
                         "face-oval", photo)
    identity.set_traits(redis_db, user, {"facial_hair": "none", "glasses": "none"})
    other = _look(hair_colour="black", hair_rgb=(30, 27, 26), facial_hair="beard",
                  facial_hair_rgb=(40, 30, 25))
    seen = identity.observe(redis_db, user, other, "face-square", "friend")
    assert seen.status == "differs" and seen.reasons == ["facial_hair"]
    assert seen.likeness == other and seen.face is None  # drawn with its own look and face
    kept = identity.load(redis_db, user)
    assert kept.to_likeness().facial_hair == "none" and kept.version == 2  # look unchanged
    data = identity.offer_keyboard(kept, seen.offer)["inline_keyboard"][0][0]["callback_data"]
    press = identity.parse_callback(data)
    assert press.action == "u" and press.value == seen.offer and len(data) <= 64

    assert identity.use_offer(redis_db, user, "0123456789").status == "gone"
    change = identity.use_offer(redis_db, user, seen.offer)
    assert change.status == "ok" and change.identity.version == 3
    new = identity.load(redis_db, user)
    assert new.to_likeness().facial_hair == "beard"  # the lock on the differing trait went
    assert new.locked == {"glasses": "none"}  # the other choice stayed
    assert len(new.samples) == 1 and not new.offers
    assert identity.use_offer(redis_db, user, seen.offer).status == "gone"  # used once
    # the next selfies refine the new look
    assert identity.observe(redis_db, user, other, "face-square", "next").status == "refined"
    kept = json.loads(redis_db.get("moji:identity:9104"))
    assert len(kept["samples"]) == 2 and kept["version"] == 3  # the same look: same version


def test_look_check_setting(monkeypatch):
    from worker.config import ConfigError, Settings

    assert Settings.from_env(require_token=False).look_check == "every"
    monkeypatch.setenv("MOJI_LOOK_CHECK", "first")
    assert Settings.from_env(require_token=False).look_check == "first"
    monkeypatch.setenv("MOJI_LOOK_CHECK", "sometimes")
    with pytest.raises(ConfigError):
        Settings.from_env(require_token=False)
