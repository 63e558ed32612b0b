"""Issue 16's traits: skin on the band of real skin colours, hair colour on recoloured copies
under light changes, clean faces, grey beards, eye colour, headwear kinds, ranked guesses."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import faces_found

from moji.likeness_traits import (
    HAIR_TARGETS,
    LIGHTS,
    hair_mask_in_photo,
    recolour_hair,
    under_light,
)
from pipeline.likeness import (
    EYE_COLOURS,
    EYE_SWATCHES,
    HAIR_COLOUR_GROUPS,
    MONK_SCALE,
    LikenessEstimator,
    LikenessOptions,
    hex_to_rgb,
    monk_index,
)
from pipeline.likeness.colour import lab_to_srgb, srgb_to_lab
from pipeline.likeness.skin import SKIN_BAND_RADIUS, distance_from_band, onto_skin_band

# Coloured lights a skin colour is seen under: none of them may give a drawn skin off the band.
COLOURED = {"green": (0.85, 1.1, 0.85), "blue": (0.8, 0.95, 1.25), "magenta": (1.15, 0.8, 1.1),
            "yellow": (1.1, 1.05, 0.7), "red": (1.3, 0.9, 0.8), "cyan": (0.8, 1.05, 1.1)}


# --- skin: the band of real skin colours -----------------------------------------------------

def test_lab_round_trips():
    rgb = np.array([[12, 200, 99], [250, 240, 230], [41, 36, 32], [128, 128, 128]])
    assert np.abs(lab_to_srgb(srgb_to_lab(rgb)) - rgb).max() < 0.5


@pytest.mark.parametrize("monk", range(1, 11))
def test_every_monk_tone_stays_itself_and_coloured_light_stays_on_the_band(monk):
    swatch = np.array(hex_to_rgb(MONK_SCALE[monk - 1]), np.float64)
    assert onto_skin_band(swatch) == tuple(int(c) for c in swatch)
    assert monk_index(onto_skin_band(swatch)) == monk
    for light, gains in COLOURED.items():
        off = np.clip(swatch * np.array(gains), 0, 255)
        drawn = onto_skin_band(off)
        assert distance_from_band(drawn) <= SKIN_BAND_RADIUS + 1.0, (monk, light, drawn)
        # The depth survives the tint (uncorrected here: the pale swatches 1-4 lie a few
        # CIELAB units apart, so a strong tint may move one of them three steps).
        assert abs(monk_index(drawn) - monk) <= 3, (monk, light, drawn)


@pytest.mark.parametrize("tint", [(200, 210, 150), (220, 200, 120), (160, 170, 120),
                                  (150, 150, 150), (120, 100, 150), (90, 110, 90)])
def test_off_tints_are_pulled_onto_the_band(tint):
    """Cream-yellow, mustard, greenish, grey and purple measurements become skin colours."""
    assert distance_from_band(tint) > SKIN_BAND_RADIUS + 1.0  # these really are off the band...
    assert distance_from_band(onto_skin_band(tint)) <= SKIN_BAND_RADIUS + 1.0  # ...and put on it


# --- eye colour --------------------------------------------------------------------------

def test_eye_swatches_are_named_as_themselves():
    from pipeline.likeness.eyes import name_eye_colour

    for name in EYE_COLOURS:
        ranked = name_eye_colour(hex_to_rgb(EYE_SWATCHES[name]))
        assert ranked[0] == name and sorted(ranked) == sorted(EYE_COLOURS), (name, ranked)


# --- guesses for rule-read traits -----------------------------------------------------------

def test_rule_guesses_are_valid_names_best_first():
    from pipeline.likeness import HAIR_LENGTHS, HAIR_STYLES, HEADWEAR
    from pipeline.likeness.guesses import rank_headwear, rank_lengths, rank_styles

    for length in HAIR_LENGTHS:
        ranked = rank_lengths(length)
        assert ranked[0] == length and len(ranked) == 3 and set(ranked) <= set(HAIR_LENGTHS)
        styles = rank_styles("bald" if length == "none" else None, length)
        assert 2 <= len(styles) <= 3 and set(styles) <= set(HAIR_STYLES)
    for headwear in HEADWEAR:
        ranked = rank_headwear(headwear)
        assert ranked[0] == headwear and len(set(ranked)) == 3 and set(ranked) <= set(HEADWEAR)


# --- on photos (BiSeNet) -------------------------------------------------------------------

@pytest.fixture(scope="module")
def found():
    return faces_found(["likeness_light_skin.jpg", "likeness_beard.jpg",
                        "likeness_moustache.jpg", "likeness_turned_light_skin.jpg",
                        "likeness_sunglasses.jpg"])


@pytest.fixture(scope="module")
def bisenet():
    pytest.importorskip("torch")
    with LikenessEstimator.create_from_options(LikenessOptions(method="bisenet")) as estimator:
        yield estimator


def test_skin_under_coloured_light_is_drawn_on_the_band(bisenet, found):
    for name, (rgb, face) in found.items():
        base = bisenet.measure(rgb, face)
        for light, gains in COLOURED.items():
            moved = np.clip(rgb * np.array(gains), 0, 255).astype(np.uint8)
            likeness = bisenet.measure(moved, face)
            assert distance_from_band(likeness.skin_rgb) <= SKIN_BAND_RADIUS + 1.0, (name, light)
            assert abs(likeness.monk - base.monk) <= 2, (name, light, base.monk, likeness.monk)


@pytest.mark.parametrize("group", ["blonde", "grey", "brown"])
def test_recoloured_hair_is_named_in_its_group_under_light_changes(bisenet, found, group,
                                                                   monkeypatch):
    """The fixtures are dark-haired: their hair, recoloured to real hair colours, must be
    named in the right group under the issue's light changes (most of them, per colour).

    The original photo's parse is kept, as in the measure (moji/likeness_traits.py): painted
    hair has no strands, and BiSeNet calls a flat golden or silver cap of it a hat.
    """
    from pipeline.likeness.frame import head_frame
    from pipeline.likeness.light import estimate_light

    rgb, face = found["likeness_light_skin.jpg"]
    frame = head_frame(rgb, face, bisenet._impl.size)
    labels = bisenet._impl.labels(frame.image)
    alpha = hair_mask_in_photo(rgb.shape, frame, labels)
    monkeypatch.setattr(bisenet._impl, "labels", lambda image: labels.copy())
    names = {}
    for name, hx in HAIR_TARGETS[group].items():
        copy = recolour_hair(rgb, alpha, hex_to_rgb(hx), estimate_light(rgb).gains)
        names[name] = [bisenet.measure(under_light(copy, light), face).hair_colour
                       for light in LIGHTS]
    read = [HAIR_COLOUR_GROUPS.get(n) for ns in names.values() for n in ns]
    # On the people's photos the group is right for 0.81 (blonde) to 0.95 of the readings;
    # on this fixture blonde is the weakest (0.61: light blonde and golden read light brown).
    assert sum(g == group for g in read) >= 0.6 * len(read), names
    # And never dark: a blonde, grey or red head drawn dark is the miss the issue names.
    assert sum(g == "dark" for g in read) <= 0.15 * len(read), names


def test_real_dark_hair_stays_dark_under_light_changes(bisenet, found):
    rgb, face = found["likeness_beard.jpg"]
    names = [bisenet.measure(under_light(rgb, light), face).hair_colour for light in LIGHTS]
    assert sum(HAIR_COLOUR_GROUPS[n] == "dark" for n in names) >= len(LIGHTS) - 1, names


def test_a_grey_beard_is_named_grey(bisenet, found):
    """The beard of the bearded fixture painted grey (its shading kept) reads grey or white."""
    from pipeline.likeness.frame import face_regions, head_frame

    rgb, face = found["likeness_beard.jpg"]
    assert bisenet.measure(rgb, face).facial_hair == "beard"
    frame = head_frame(rgb, face, 384)
    regions = face_regions(frame)
    import cv2

    lower = (regions.chin | regions.jaw | regions.upper_lip).astype(np.float32)
    alpha = cv2.warpAffine(lower, frame.matrix, rgb.shape[1::-1],
                           flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
    alpha = cv2.dilate(alpha, np.ones((7, 7), np.uint8))
    luma = rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    hair = alpha > 0.5
    dark = hair & (luma < np.percentile(luma[hair], 60))
    # Grey as the photo's own light shows it (the light correction's gains divided out).
    from pipeline.likeness.light import estimate_light

    gains = estimate_light(rgb).gains
    shade = np.clip(luma / float(np.median(luma[dark])), 0.6, 1.4)[..., None]
    grey = np.array([175.0, 175.0, 172.0]) / gains * shade
    painted = np.where(dark[..., None], np.clip(grey, 0, 255), rgb).astype(np.uint8)
    likeness = bisenet.measure(painted, face)
    if likeness.facial_hair != "none":
        r, g, b = likeness.facial_hair_rgb
        assert max(r, g, b) - min(r, g, b) < 30 and min(r, g, b) > 90, likeness.facial_hair_rgb


def test_clean_faces_stay_clean_under_light_changes(bisenet, found):
    for name in ("likeness_light_skin.jpg", "likeness_turned_light_skin.jpg"):
        rgb, face = found[name]
        for light in LIGHTS:
            likeness = bisenet.measure(under_light(rgb, light), face)
            assert likeness.facial_hair == "none", (name, light)
            assert likeness.facial_hair_rgb is None


def test_every_trait_has_ranked_guesses(bisenet, found):
    from pipeline.likeness import FACIAL_HAIR, HAIR_COLOURS, HAIR_LENGTHS, HAIR_STYLES, HEADWEAR

    allowed = {"hair_colour": (*HAIR_COLOURS, "bald"), "hair_length": HAIR_LENGTHS,
               "facial_hair": FACIAL_HAIR, "headwear": HEADWEAR, "eye_colour": EYE_COLOURS,
               "hair_style": HAIR_STYLES}
    for rgb, face in found.values():
        likeness = bisenet.measure(rgb, face)
        for trait, names in allowed.items():
            ranked = likeness.guesses[trait]
            assert 1 <= len(ranked) <= 3 and set(ranked) <= set(names), (trait, ranked)
        assert likeness.guesses["facial_hair"][0] == likeness.facial_hair
        assert likeness.guesses["eye_colour"][0] == likeness.eye_colour
        assert likeness.guesses["hair_length"][0] == likeness.hair_length
        assert likeness.eye_colour in EYE_COLOURS and likeness.earrings in ("none", "earrings")


def test_age_signs_are_conservative():
    from pipeline.likeness.age import AGE_LINES_WITH_GREY, age_signs

    assert age_signs("dark_brown", None, 10.0)[0] == "none"  # lines alone never count
    assert age_signs("black", "grey", 0.5)[0] == "some"  # a grey beard does
    assert age_signs("grey", None, 0.5)[0] == "some"
    assert age_signs("white", None, AGE_LINES_WITH_GREY + 0.1)[0] == "marked"
    for hair in ("black", "grey"):
        signs, ranked = age_signs(hair, None, 1.0)
        assert ranked[0] == signs and sorted(ranked) == ["marked", "none", "some"]


@pytest.mark.parametrize("target, expected", [((70, 110, 170), "blue"), ((85, 125, 70), "green"),
                                              ((40, 24, 14), "dark_brown")])
def test_painted_irises_are_named(bisenet, found, target, expected):
    """The light-skinned fixture's irises (between the iris landmarks) painted a colour, as
    the photo's light would show it, read as that colour."""
    import cv2

    from pipeline.likeness.light import estimate_light

    rgb, face = found["likeness_light_skin.jpg"]
    gains = estimate_light(rgb).gains
    mask = np.zeros(rgb.shape[:2], np.uint8)
    p = face.landmarks[:, :2]
    for centre, rim in ((468, (469, 470, 471, 472)), (473, (474, 475, 476, 477))):
        r = float(np.linalg.norm(p[list(rim)] - p[centre], axis=1).mean())
        cv2.circle(mask, tuple(int(round(c)) for c in p[centre]), int(round(0.95 * r)), 1, -1)
    luma = rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    inside = mask > 0
    shade = np.clip(luma / (float(np.median(luma[inside])) + 1.0), 0.7, 1.3)[..., None]
    paint = np.clip(np.array(target, np.float32) / gains * shade, 0, 255)
    painted = np.where(inside[..., None], paint, rgb).astype(np.uint8)
    likeness = bisenet.measure(painted, face)
    assert likeness.eye_colour == expected, (likeness.eye_colour, likeness.eye_rgb)
    assert likeness.guesses["eye_colour"][0] == expected
