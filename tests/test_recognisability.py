"""Issue 16's recognisability measure on tiny synthetic data (no models, no shared photos)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from moji.recognisability import (
    EvalPhoto,
    agreement,
    contact_sheet,
    grey_split,
    lineup,
    picture_vector,
    select,
)


def _sticker(colour: tuple[int, int, int], shift: int = 0) -> bytes:
    """A transparent 128 px sticker with one disc: a person is a colour."""
    image = Image.new("RGBA", (128, 128), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((20 + shift, 20, 100 + shift, 100), fill=colour + (255,))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


PEOPLE_COLOURS = [(220, 40, 40), (40, 200, 60), (40, 60, 220), (230, 200, 40), (20, 20, 20)]


def _per_person_stickers(per_person: int = 4, size: int = 32) -> tuple[np.ndarray, list[str]]:
    vectors, people = [], []
    for i, colour in enumerate(PEOPLE_COLOURS):
        for k in range(per_person):
            # the same person, moved a little
            vectors.append(picture_vector(_sticker(colour, shift=k), size=size))
            people.append(f"person{i}")
    return np.stack(vectors), people


def test_picture_vector_flattens_on_mid_grey_and_shrinks() -> None:
    empty = picture_vector(_sticker((0, 0, 0), shift=200))  # the disc drawn off the canvas
    assert empty.shape == (32 * 32 * 3,)
    assert np.allclose(empty, 128 / 255)
    disc = picture_vector(_sticker((255, 0, 0))).reshape(32, 32, 3)
    assert disc[16, 16].tolist() == pytest.approx([1.0, 0.0, 0.0])
    assert disc[0, 0].tolist() == pytest.approx([128 / 255] * 3)


def test_stickers_that_are_clearly_per_person_score_one() -> None:
    vectors, people = _per_person_stickers()
    result = lineup(vectors, people)
    assert result.share == 1.0
    assert result.stickers == 20 and result.people == 5
    assert result.chance == pytest.approx(3 / 19)


def test_stickers_shuffled_between_people_score_about_chance() -> None:
    vectors, people = _per_person_stickers(size=8)
    assert lineup(vectors, people).share == 1.0
    rng = np.random.default_rng(0)
    shares = []
    for _ in range(200):
        shuffled = list(rng.permutation(people))
        result = lineup(vectors, shuffled)
        shares.append(result.share)
    assert result.chance == pytest.approx(3 / 19)
    assert np.mean(shares) == pytest.approx(3 / 19, abs=0.03)


def test_one_sticker_for_everyone_is_not_recognisable() -> None:
    same = picture_vector(_sticker((100, 100, 100)))
    vectors = np.stack([same] * 12)
    people = [f"p{i % 4}" for i in range(12)]
    result = lineup(vectors, people)
    # Every distance ties: a random pick among all the others, which is chance exactly.
    assert result.share == pytest.approx(result.chance)
    assert result.chance == pytest.approx(2 / 11)


def test_a_tie_between_people_counts_as_a_share() -> None:
    a, b = picture_vector(_sticker((200, 0, 0))), picture_vector(_sticker((0, 0, 200)))
    # p0's two stickers are identical to p1's first: each p0 sticker's nearest others are
    # one p0 and one p1 sticker, equally near.
    result = lineup(np.stack([a, a, a, b]), ["p0", "p0", "p1", "p1"])
    assert result.hits[:2] == [0.5, 0.5]
    assert result.hits[2] == 0.0  # p1's first: its nearest are the two p0 stickers
    # p1's second (blue): all three red stickers are equally near, one of them p1's
    assert result.hits[3] == pytest.approx(1 / 3)
    assert result.share == pytest.approx((0.5 + 0.5 + 0 + 1 / 3) / 4)


def test_people_with_a_single_sticker_are_not_counted() -> None:
    vectors, people = _per_person_stickers(per_person=2)
    lonely = picture_vector(_sticker((200, 0, 200)))
    result = lineup(np.vstack([vectors, lonely]), [*people, "alone"])
    assert result.stickers == 10 and result.share == 1.0
    assert result.chance == pytest.approx(1 / 10)


def _likeness(colour: str = "black", length: str = "short", facial_hair: str = "none",
              glasses: str = "none", monk: int = 5, headwear: str = "none") -> dict:
    return {"hair": {"length": length, "colour": None if length == "none" else colour,
                     "rgb": "#000000"},
            "facial_hair": facial_hair, "glasses": glasses, "headwear": headwear,
            "skin": {"rgb": "#a07e56", "monk": monk}}


def test_agreement_counts_pairs_per_trait() -> None:
    likenesses = {
        # 3 photos: 3 pairs. The beard kind differs in one photo, Monk drifts by 1 then 2.
        "a": [_likeness(facial_hair="beard", monk=5), _likeness(facial_hair="beard", monk=6),
              _likeness(facial_hair="stubble", monk=7)],
        # 2 photos: 1 pair. Black and dark brown are one group; glasses differ.
        "b": [_likeness(colour="black", glasses="glasses"),
              _likeness(colour="dark_brown", glasses="none")],
        "single": [_likeness()],  # no pair
    }
    result = agreement(likenesses)
    assert result["hair_colour_group"] == {"share": 1.0, "pairs": 4,
                                           "per_person": {"a": 1.0, "b": 1.0}}
    assert result["facial_hair_any"]["share"] == 1.0
    assert result["facial_hair_kind"]["share"] == pytest.approx(2 / 4)  # a: 1 of 3, b: 1 of 1
    assert result["monk_within_1"]["share"] == pytest.approx(3 / 4)  # 5-7 is two steps
    assert result["glasses"]["share"] == pytest.approx(3 / 4)
    # same look: a's pairs (5,6) yes, (5,7) no, (6,7) yes; b's pair differs in glasses
    assert result["same_look"]["share"] == pytest.approx(2 / 4)
    assert result["same_look"]["per_person"] == {"a": pytest.approx(2 / 3, abs=1e-4), "b": 0.0}
    assert result["looks"] == {"a": 3, "b": 2, "single": 1}


def test_bald_is_its_own_hair_group() -> None:
    result = agreement({"a": [_likeness(length="none"), _likeness(colour="black")]})
    assert result["hair_colour_group"]["share"] == 0.0


def test_grey_split_is_by_sha1_of_the_identity() -> None:
    # sha1("George_W_Bush") starts with "e", sha1("Ariel_Sharon") with "3"
    assert grey_split("George_W_Bush") == "tuning"
    assert grey_split("Ariel_Sharon") == "heldout"


def test_select_takes_whole_people_in_their_fixed_order() -> None:
    photos = [EvalPhoto(f"{who}_{k}.jpg", who, "heldout", kind, rank)
              for who, kind, n in (("A", "colour", 10), ("B", "colour", 3), ("C", "grey", 5))
              for rank, k in enumerate(range(n))]
    chosen = select(photos, "heldout", per_person=4, grey_per_person=2)
    assert [p.image for p in chosen] == ["A_0.jpg", "A_1.jpg", "A_2.jpg", "A_3.jpg",
                                         "B_0.jpg", "B_1.jpg", "B_2.jpg", "C_0.jpg", "C_1.jpg"]
    assert [p.identity for p in select(photos, "heldout", per_person=4, limit=6)] == ["A"] * 4
    assert select(photos, "tuning") == []


def test_contact_sheet_has_one_row_per_person() -> None:
    photo = Image.new("RGB", (60, 60), (200, 150, 120))
    sticker = Image.open(io.BytesIO(_sticker((40, 40, 200))))
    rows = [(name, [photo] * 2, {"avatar": [sticker] * 2, "lineart": [sticker] * 2})
            for name in ("one", "two", "three")]
    sheet = contact_sheet(rows, cell=32, photos_per_row=2)
    assert sheet.height == 18 + 3 * 36
    assert sheet.width == 120 + 6 * 32 + 2 * 8


# ---------------------------------------------------------------------------------------------
# Recoloured hair (moji/haircolour.py)

def _photo_with_hair(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A 64x64 'photo': skin-coloured noise, with dark textured hair in the top third."""
    rng = np.random.default_rng(seed)
    rgb = np.empty((64, 64, 3), np.uint8)
    rgb[:] = (205, 160, 130)
    rgb = np.clip(rgb + rng.normal(0, 6, rgb.shape), 0, 255).astype(np.uint8)
    mask = np.zeros((64, 64), bool)
    mask[:22, 8:56] = True
    strands = 28 + 10 * np.sin(np.arange(48) / 1.5)[None, :] + rng.normal(0, 4, (22, 48))
    rgb[:22, 8:56] = np.clip(np.stack([strands * 1.1, strands * 0.95, strands * 0.85], -1),
                             0, 255).astype(np.uint8)
    return rgb, mask


def _lightness(rgb: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)[..., 0]


@pytest.mark.parametrize("target", ["#c6a36a", "#8e8c89", "#d8d6d1", "#a8522c"])
def test_recolouring_changes_hair_pixels_only_and_keeps_texture(target: str) -> None:
    from moji.haircolour import recolour_hair
    from pipeline.likeness.colour import hex_to_rgb

    rgb, mask = _photo_with_hair()
    out = recolour_hair(rgb, mask, hex_to_rgb(target))
    assert np.array_equal(out[~mask], rgb[~mask])  # nothing outside the hair changes
    inner = np.zeros_like(mask)
    inner[2:20, 10:54] = True  # away from the feathered edge
    goal = _lightness(np.asarray(hex_to_rgb(target), np.uint8).reshape(1, 1, 3))[0, 0]
    before, after = _lightness(rgb)[inner], _lightness(out)[inner]
    assert np.median(after) == pytest.approx(goal, abs=2.5)  # the new colour...
    assert np.std(after) == pytest.approx(np.std(before), rel=0.15)  # ...the same strands
    assert np.corrcoef(before, after)[0, 1] > 0.95
    assert np.abs(out[inner].astype(int) - hex_to_rgb(target)).mean() < 15


def test_recolouring_an_empty_mask_changes_nothing() -> None:
    from moji.haircolour import recolour_hair

    rgb, _ = _photo_with_hair()
    assert np.array_equal(recolour_hair(rgb, np.zeros((64, 64), bool), (200, 180, 120)), rgb)


def test_lights_keep_the_photo_shape_and_change_it() -> None:
    from moji.haircolour import LIGHTS

    rgb, _ = _photo_with_hair()
    for name, change in LIGHTS.items():
        lit = change(rgb)
        assert lit.shape == rgb.shape and lit.dtype == np.uint8
        assert name == "as_is" or not np.array_equal(lit, rgb)
    assert LIGHTS["darker"](rgb).mean() == pytest.approx(rgb.mean() / 2, abs=1)


def test_hair_colour_summary_counts_groups_and_leaves_out_missed_faces() -> None:
    from moji.haircolour import summarise

    def record(target: str, expected: str, light: str, group: str) -> dict:
        return {"image": "x.jpg", "identity": "x", "target": target, "light": light,
                "expected": expected, "group": group, "colour": None}

    records = [record("blonde", "blonde", "as_is", "blonde"),
               record("blonde", "blonde", "warm", "brown"),
               record("grey", "grey", "as_is", "grey"),
               record("grey", "grey", "darker", "no_face"),
               record("dark", "dark", "as_is", "dark")]
    report = summarise(records)
    assert report["recoloured"] == pytest.approx(2 / 3, abs=1e-4)
    assert report["control"] == 1.0
    assert report["no_face"] == 1
    assert report["by_target"] == {"blonde": 0.5, "grey": 1.0, "dark": 1.0}
    assert report["by_light"] == {"as_is": 1.0, "warm": 0.0}
    assert report["named"]["blonde"] == {"blonde": 1, "brown": 1}


def _head_landmarks() -> np.ndarray:
    """Landmark-like points: an ellipse of face (centre 32, 40; half-axes 14 x 18)."""
    angles = np.linspace(0, 2 * np.pi, 60, endpoint=False)
    return np.stack([32 + 14 * np.cos(angles), 40 + 18 * np.sin(angles)], axis=1)


def test_growing_takes_the_hair_beside_the_mask_and_not_the_face_or_background() -> None:
    """BiSeNet's mask stops short of the hair (tight crops): grown, it reaches the dark hair
    around it, not the light background beside it nor the face."""
    from moji.haircolour import grow_hair

    rgb = np.empty((64, 64, 3), np.uint8)
    rgb[:] = (170, 190, 215)  # a light blue wall
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[0:64, 0:64]
    head = ((xx - 32) / 19) ** 2 + ((yy - 36) / 24) ** 2 < 1
    hair = head & (yy < 48)
    rgb[hair] = np.clip(30 + rng.normal(0, 4, (hair.sum(), 1)) * [1.1, 1.0, 0.9], 0, 255)
    face = ((xx - 32) / 14) ** 2 + ((yy - 40) / 18) ** 2 < 1
    rgb[face] = (200, 150, 120)
    hair &= ~face
    import cv2

    # BiSeNet's mask finds the top, but stops short of the hair's edges at the sides (a dark
    # rim under a light recolouring reads as a cap) and misses its lower end
    seed = (cv2.erode(hair.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
            & (yy < 44)) | (hair & (yy < 22))
    probability = seed.astype(np.float32) * 0.9
    grown = grow_hair(rgb, seed, probability, _head_landmarks())
    assert grown[seed].all()
    assert grown[hair].mean() > 0.9  # the sides of the hair are taken...
    assert not grown[~head].any()  # ...the wall is not...
    middle = ((xx - 32) / 12) ** 2 + ((yy - 40) / 15) ** 2 < 1
    assert not grown[middle].any()  # ...nor the face
    assert not grow_hair(rgb, np.zeros_like(seed), probability, _head_landmarks()).any()


def test_hair_mask_from_bisenet_finds_the_hair_and_not_the_face() -> None:
    """The real parser on fixture photos: the light-skinned woman's dark hair (top of the
    photo) is found and nothing inside her face; the bald man has (almost) no hair."""
    pytest.importorskip("torch")
    from moji.haircolour import MIN_HAIR_SHARE, HairMasker, recolour_hair
    from pipeline.analyze import AnalyzerOptions, FaceAnalyzer
    from pipeline.bisenet import find_weights
    from pipeline.decode import decode_image
    from pipeline.likeness.colour import hex_to_rgb

    if find_weights(allow_download=False) is None:
        pytest.skip("BiSeNet weights (79999_iter.pth) are not here")
    fixtures = Path(__file__).parent / "fixtures"
    masker = HairMasker()
    with FaceAnalyzer.create_from_options(AnalyzerOptions(max_faces=1)) as analyzer:
        rgb = decode_image((fixtures / "likeness_light_skin.jpg").read_bytes()).rgb
        (face,) = analyzer.detect(rgb)
        mask = masker(rgb, face.landmarks)
        bald_rgb = decode_image((fixtures / "likeness_bald.jpg").read_bytes()).rgb
        (bald_face,) = analyzer.detect(bald_rgb)
        bald = masker(bald_rgb, bald_face.landmarks, grow=False)  # what picks the photos
        seed = masker(rgb, face.landmarks, grow=False)
    assert 0.05 < mask.mean() < 0.4
    assert mask[seed].all() and mask.sum() >= seed.sum()  # grown, never shrunk
    ys, _ = np.nonzero(mask)
    eyes_y = face.landmarks[[33, 263], 1].mean()
    assert np.mean(ys < eyes_y) > 0.8  # the hair is above the eyes in this photo
    for index in (1, 13, 33, 263):  # nose tip, lips, eye corners: never hair
        x, y = np.round(face.landmarks[index, :2]).astype(int)
        assert not mask[y, x]
    assert bald.mean() < MIN_HAIR_SHARE
    blonde = recolour_hair(rgb, mask, hex_to_rgb("#c6a36a"))
    assert np.array_equal(blonde[~mask], rgb[~mask])
    assert _lightness(blonde)[mask].mean() > _lightness(rgb)[mask].mean() + 25


def test_kept_look_votes_over_the_first_three_then_keeps_it():
    """--as-bot draws a person as the bot does: photo by photo, the vote so far; from the
    fourth on, the voted look (whatever that photo reads); a clearly other person's look, as
    measured."""
    from moji.recognisability import KeptLook
    from pipeline.likeness import Likeness

    keeper = KeptLook()
    black = Likeness(hair_length="short", hair_colour="black", facial_hair="none", monk=6)
    brown = black.replace(hair_colour="dark_brown")
    drawn = [keeper.choose(look, "face-oval", True)[0].hair_colour
             for look in (black, brown, black, brown, brown)]
    assert drawn == ["black", "black", "black", "black", "black"]
    stranger = Likeness(hair_length="long", hair_colour="blonde", facial_hair="beard", monk=2)
    look, face = keeper.choose(stranger, "face-round", True)
    assert (look.hair_colour, look.facial_hair, face) == ("blonde", "beard", None)
    assert keeper.choose(brown, "face-oval", True)[0].hair_colour == "black"  # kept
