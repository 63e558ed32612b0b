"""The likeness stage on real fixture photos: hair, facial hair, glasses, headwear, skin."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest
from conftest import faces_found

from pipeline.errors import MojiError
from pipeline.likeness import (
    FACIAL_HAIR,
    GLASSES,
    HAIR_COLOURS,
    HAIR_LENGTHS,
    HAIR_STYLES,
    HAIR_SWATCHES,
    HEADWEAR,
    MONK_SCALE,
    Likeness,
    LikenessEstimator,
    LikenessOptions,
    hex_to_rgb,
    monk_index,
)

# Colour fixtures (see tests/fixtures/README.md) and the Monk index they were labelled with.
COLOUR = {"likeness_beard.jpg": 6, "likeness_sunglasses.jpg": 5, "likeness_moustache.jpg": 7,
          "likeness_light_skin.jpg": 4}
TURNED = "likeness_turned_light_skin.jpg"  # colour, light skin (Monk 3), head turned


@pytest.fixture(scope="module")
def faces():
    """{fixture name: (rgb, FaceAnalysis)} for every likeness fixture, found once."""
    return faces_found([*COLOUR, TURNED, "likeness_bald.jpg", "likeness_cap.jpg",
                        "likeness_glasses.jpg", "likeness_long_hair.jpg", "neutral.jpg"])


@pytest.fixture(scope="module")
def bisenet():
    pytest.importorskip("torch")
    with LikenessEstimator.create_from_options(LikenessOptions(method="bisenet")) as estimator:
        yield estimator


@pytest.fixture(scope="module")
def basic():
    with LikenessEstimator.create_from_options(LikenessOptions(method="basic")) as estimator:
        yield estimator


def _perturb(rgb: np.ndarray, gains: tuple[float, float, float]) -> np.ndarray:
    return np.clip(rgb.astype(np.float32) * np.array(gains, np.float32), 0, 255).round() \
        .astype(np.uint8)


LIGHTS = {"dark_50": (0.5, 0.5, 0.5), "bright_150": (1.5, 1.5, 1.5),
          "warm": (1.15, 1.0, 0.87), "cool": (0.87, 1.0, 1.15)}


# --- the data type -------------------------------------------------------------------------

def test_to_dict_is_exactly_the_contract():
    likeness = Likeness(hair_length="long", hair_colour="blonde", hair_rgb=(210, 178, 116),
                        hair_style="long_wavy", facial_hair="none", glasses="sunglasses",
                        headwear="cap", skin_rgb=(160, 126, 86), monk=6, lips_rgb=(180, 60, 70))
    assert likeness.to_dict() == {
        "hair": {"length": "long", "colour": "blonde", "rgb": "#d2b274"},
        "facial_hair": "none", "glasses": "sunglasses", "headwear": "cap",
        "skin": {"rgb": "#a07e56", "monk": 6},
        "hair_detail": {"style": "long_wavy", "hairline": "fringe", "highlight": None,
                        "colour_read": True},
        "facial_hair_rgb": None, "headwear_rgb": None,
        "eyes": {"colour": "brown", "rgb": "#6a4023"},
        "age_signs": "none", "earrings": "none", "face": {},
    }
    bald = Likeness().replace(hair_length="none")
    assert bald.hair_colour is None and bald.to_dict()["hair"]["colour"] is None


def test_from_dict_round_trips_and_fills_defaults():
    likeness = Likeness(hair_length="medium", hair_colour="grey", hair_rgb=(150, 150, 148),
                        facial_hair="beard", glasses="glasses", headwear="beanie",
                        skin_rgb=(234, 218, 186), monk=4)
    again = Likeness.from_dict(likeness.to_dict())
    assert again.to_dict() == likeness.to_dict()
    partial = Likeness.from_dict({"glasses": "glasses", "hair": {"style": "afro"}})
    assert partial.glasses == "glasses" and partial.hair_style == "afro"
    assert partial.hair_length == Likeness().hair_length
    assert Likeness.from_dict({}).to_dict() == Likeness().to_dict()
    # A Monk index alone brings its swatch; a colour name alone brings its swatch.
    monk = Likeness.from_dict({"skin": {"monk": 9}, "hair": {"colour": "red"}})
    assert monk.skin_rgb == hex_to_rgb(MONK_SCALE[8])
    assert monk.hair_rgb == hex_to_rgb(HAIR_SWATCHES["red"])
    assert Likeness.from_dict({"hair": {"length": "none"}}).to_dict()["hair"]["colour"] is None


@pytest.mark.parametrize("data, names", [
    ({"glasses": "monocle"}, GLASSES),
    ({"hair": {"length": "very long"}}, HAIR_LENGTHS),
    ({"hair": {"colour": "purple"}}, HAIR_COLOURS),
    ({"hair": {"style": "mohawk"}}, HAIR_STYLES),
    ({"facial_hair": "sideburns"}, FACIAL_HAIR),
    ({"headwear": "crown"}, HEADWEAR),
])
def test_from_dict_names_the_allowed_values(data, names):
    with pytest.raises(MojiError) as err:
        Likeness.from_dict(data)
    assert err.value.code == "bad_likeness"
    assert all(name in err.value.message for name in names)


@pytest.mark.parametrize("data", [
    {"skin": {"monk": 11}}, {"skin": {"monk": "dark"}}, {"skin": {"rgb": "#12"}},
    {"hair": {"rgb": "brown"}}, {"hair": "long"}, ["not", "an", "object"],
])
def test_from_dict_refuses_bad_values(data):
    with pytest.raises(MojiError) as err:
        Likeness.from_dict(data)
    assert err.value.code == "bad_likeness"


def test_monk_scale_and_index():
    assert len(MONK_SCALE) == 10 and MONK_SCALE[0] == "#f6ede4" and MONK_SCALE[9] == "#292420"
    for i, swatch in enumerate(MONK_SCALE, start=1):
        assert monk_index(hex_to_rgb(swatch)) == i
    assert monk_index((255, 255, 255)) == 1 and monk_index((0, 0, 0)) == 10
    assert set(HAIR_SWATCHES) == set(HAIR_COLOURS)


def test_unknown_method_is_refused():
    with pytest.raises(MojiError) as err:
        LikenessEstimator.create_from_options(LikenessOptions(method="magic"))
    assert err.value.code == "bad_likeness"


# --- the evaluation's split ----------------------------------------------------------------

LABELS = Path(__file__).parent.parent / "eval" / "likeness.csv"


def test_identity_is_the_name_without_its_number():
    from moji.evaluate_likeness import identity

    assert identity("George_W_Bush_0033.jpg") == "George_W_Bush"
    assert identity("Dwarakish_39.jpg") == "Dwarakish"
    assert identity("Abdel_Aziz_Al-Hakim_0001.jpg") == "Abdel_Aziz_Al-Hakim"
    assert identity("facial-expressions_2868582k.jpg") == "facial-expressions"
    assert identity("Zico.jpg") == "Zico"


def test_split_is_by_person_and_fixed():
    from moji.evaluate_likeness import SPLITS, identity, read_rows, split_of

    rows = read_rows(LABELS)
    halves = defaultdict(set)
    for row in rows:
        halves[identity(row["image"])].add(split_of(row["image"]))
    assert all(len(h) == 1 for h in halves.values())  # a person is never in both halves
    # The rule is a fixed hash: these counts change only if the labels do.
    assert Counter(split_of(r["image"]) for r in rows) == {"tuning": 500, "heldout": 701}
    assert set(SPLITS) == {"tuning", "heldout"}
    assert split_of("Dwarakish_39.jpg") == "heldout" and split_of("HrithikRoshan_1.jpg") == "tuning"
    shared = Path(__file__).parents[2] / "shared" / "data" / "faces" / "labels.csv"
    if shared.is_file():  # the identity column of the photos' own labels agrees
        import csv

        with open(shared, newline="") as f:
            truth = {r["image"]: r["identity"] for r in csv.DictReader(f)}
        assert all(identity(r["image"]) == truth[r["image"]] for r in rows
                   if r["image"] in truth)


def test_report_shows_the_whole_set_and_each_half():
    from moji.evaluate_likeness import SPLITS, format_report, score, split_of

    rows = [{"image": "Dwarakish_39.jpg", "glasses": "none", "facial_hair": "none",
             "headwear": "none", "hair_length": "", "hair_colour": "black", "monk": "6"},
            {"image": "HrithikRoshan_1.jpg", "glasses": "sunglasses", "facial_hair": "none",
             "headwear": "none", "hair_length": "short", "hair_colour": "", "monk": ""}]
    predictions = {"Dwarakish_39.jpg": Likeness(monk=6),
                   "HrithikRoshan_1.jpg": Likeness(glasses="sunglasses")}
    result = score(rows, predictions)
    result["splits"] = {h: score([r for r in rows if split_of(r["image"]) == h], predictions)
                        for h in SPLITS}
    assert result["splits"]["heldout"]["glasses"]["count"] == 1
    assert result["splits"]["tuning"]["glasses"]["accuracy"] == 1.0
    result.update(ms_per_face=1.0, skin_invariance={"count": 0})
    text = format_report({"photos": 2, "faces_found": 2, "methods": {"bisenet": result}})
    header = text.splitlines()[1]
    assert "all" in header and "tuning" in header and "heldout" in header
    assert "sunglasses 100%" in text


# --- glasses cues from landmarks (both methods) ----------------------------------------------

def test_glasses_cues_see_frames_and_dark_lenses(faces):
    from pipeline.likeness import face_regions, glasses_from_eyes, head_frame

    cues = {}
    for name, (rgb, face) in faces.items():
        frame = head_frame(rgb, face, 384)
        cues[name] = glasses_from_eyes(frame, face_regions(frame))
    for name in ("likeness_glasses.jpg", "likeness_sunglasses.jpg"):
        # Rims on a ring around each eye and a bar across the nose bridge.
        assert cues[name]["ring_min"] > 1.8 and cues[name]["bridge_edges"] > 3.0, name
    for name in set(faces) - {"likeness_glasses.jpg", "likeness_sunglasses.jpg"}:
        assert cues[name]["ring_min"] < 1.6, name
    # Dark lenses: the lens area is much darker than the cheeks, clear lenses are not.
    assert cues["likeness_sunglasses.jpg"]["eye_band_dark"] < 0.45
    assert cues["likeness_glasses.jpg"]["eye_band_dark"] > 0.6


# --- BiSeNet on real photos ----------------------------------------------------------------

def test_bisenet_reads_each_trait(bisenet, faces):
    assert bisenet.name == "bisenet"
    measure = {name: bisenet.measure(*faces[name]) for name in faces}
    assert measure["likeness_beard.jpg"].facial_hair == "beard"
    assert measure["likeness_beard.jpg"].hair_colour in ("black", "dark_brown")
    assert measure["likeness_beard.jpg"].facial_hair_rgb is not None
    assert measure["likeness_moustache.jpg"].facial_hair == "moustache"
    assert measure["likeness_long_hair.jpg"].hair_length == "long"
    assert measure["likeness_sunglasses.jpg"].glasses == "sunglasses"
    assert measure["likeness_glasses.jpg"].glasses == "glasses"
    assert measure["likeness_cap.jpg"].headwear == "cap"
    assert measure["likeness_bald.jpg"].hair_length == "none"
    assert measure["likeness_bald.jpg"].to_dict()["hair"]["colour"] is None
    for name in ("likeness_long_hair.jpg", TURNED, "likeness_light_skin.jpg",
                 "likeness_bald.jpg"):
        assert measure[name].facial_hair == "none", name
    for name in ("likeness_beard.jpg", "likeness_long_hair.jpg", "likeness_moustache.jpg",
                 "likeness_light_skin.jpg", "likeness_bald.jpg", TURNED, "neutral.jpg"):
        assert measure[name].glasses == "none", name
        assert measure[name].headwear == "none", name
    # Skin: the labelled Monk index within one step; light skin lighter than dark skin.
    for name, monk in COLOUR.items():
        assert abs(measure[name].monk - monk) <= 1, (name, measure[name].monk)
    assert measure["likeness_light_skin.jpg"].monk < measure["likeness_moustache.jpg"].monk
    assert measure["likeness_light_skin.jpg"].lips_rgb is not None
    # Greyscale photos never crash and name only colours lightness can tell.
    for name in ("likeness_glasses.jpg", "likeness_cap.jpg", "likeness_long_hair.jpg"):
        assert measure[name].hair_colour in ("black", "dark_brown", "grey", "white"), name
        assert measure[name].lips_rgb is None


def test_bisenet_measures_a_group_in_one_batch_as_one_by_one(bisenet, two_faces_jpeg):
    """A group photo's heads are parsed in one batch (a GPU's gain); each face's likeness is
    the one `measure` gives it alone."""
    from pipeline.analyze import AnalyzerOptions, FaceAnalyzer
    from pipeline.decode import decode_image

    rgb = decode_image(two_faces_jpeg).rgb
    with FaceAnalyzer.create_from_options(AnalyzerOptions(max_faces=4)) as analyzer:
        found = analyzer.detect(rgb)
    assert len(found) == 2
    together = bisenet.measure_many(rgb, found)
    alone = [bisenet.measure(rgb, face) for face in found]
    assert [m.to_dict() for m in together] == [m.to_dict() for m in alone]


def test_bisenet_reads_the_top_of_the_head(bisenet, faces):
    """What the crop shows above the forehead: scalp on the bald man, hair on the woman."""
    bisenet.measure(*faces["likeness_bald.jpg"])
    bald = dict(bisenet._impl.last_features)
    bisenet.measure(*faces["likeness_light_skin.jpg"])
    hair = dict(bisenet._impl.last_features)
    assert bald["top_skin"] > 0.9 and bald["top_skin_like"] > 0.9 and bald["top_hair"] < 0.05
    assert hair["top_hair"] > 0.9 and hair["top_skin"] < 0.1


def test_bisenet_skin_holds_under_the_light(bisenet, faces):
    for name in [*COLOUR, TURNED]:
        rgb, face = faces[name]
        base = bisenet.measure(rgb, face).monk
        for light, gains in LIGHTS.items():
            moved = bisenet.measure(_perturb(rgb, gains), face).monk
            assert abs(moved - base) <= 1, (name, light, base, moved)


def test_light_skin_in_a_dark_photo_is_not_dark_brown(bisenet, faces):
    rgb, face = faces[TURNED]
    assert bisenet.measure(_perturb(rgb, (0.25, 0.25, 0.25)), face).monk <= 5


# --- the basic method ----------------------------------------------------------------------

def test_basic_method_measures_without_bisenet(basic, faces):
    assert basic.name == "basic"
    measure = {name: basic.measure(*faces[name]) for name in faces}
    assert measure["likeness_beard.jpg"].facial_hair == "beard"
    assert measure["likeness_moustache.jpg"].facial_hair == "moustache"
    # The basic method finds eyewear from edges; it cannot always tell tinted lenses.
    assert measure["likeness_sunglasses.jpg"].glasses in ("glasses", "sunglasses")
    assert measure["likeness_glasses.jpg"].glasses == "glasses"
    for name in ("likeness_beard.jpg", "likeness_moustache.jpg", "likeness_light_skin.jpg",
                 "likeness_bald.jpg", "likeness_long_hair.jpg"):
        assert measure[name].glasses == "none", name
    for name, monk in COLOUR.items():
        assert abs(measure[name].monk - monk) <= 1, (name, measure[name].monk)
        for light, gains in LIGHTS.items():
            rgb, face = faces[name]
            moved = basic.measure(_perturb(rgb, gains), face).monk
            assert abs(moved - measure[name].monk) <= 1, (name, light)
    for likeness in measure.values():
        d = likeness.to_dict()
        assert d["hair"]["length"] in HAIR_LENGTHS and d["headwear"] in HEADWEAR
        assert 1 <= d["skin"]["monk"] <= 10


def test_auto_falls_back_to_basic_without_weights(monkeypatch, tmp_path, caplog):
    from pipeline.likeness import find_segmenter

    segmenter = find_segmenter(LikenessOptions())  # from the real model cache
    monkeypatch.setenv("MOJI_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv("MOJI_BISENET_WEIGHTS", raising=False)
    options = LikenessOptions(method="auto", segmenter_model=segmenter)
    with caplog.at_level("INFO", logger="pipeline.likeness"):
        with LikenessEstimator.create_from_options(options) as estimator:
            assert estimator.name == "basic"
    assert "basic" in caplog.text


def test_likeness_and_face_parser_find_the_same_bisenet_weights(monkeypatch, tmp_path):
    """One precedence for the checkpoint: $MOJI_BISENET_WEIGHTS over the model store; and the
    likeness stage never downloads it (non-commercial weights: fetched on purpose)."""
    from pipeline.bisenet import find_weights
    from pipeline.likeness import find_bisenet_weights

    chosen = tmp_path / "chosen.pth"
    chosen.write_bytes(b"weights")
    monkeypatch.setenv("MOJI_BISENET_WEIGHTS", str(chosen))
    assert find_bisenet_weights(LikenessOptions()) == find_weights() == chosen
    given = tmp_path / "given.pth"
    assert find_bisenet_weights(LikenessOptions(bisenet_weights=str(given))) == given
    monkeypatch.delenv("MOJI_BISENET_WEIGHTS")
    monkeypatch.setenv("MOJI_CACHE_DIR", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv("MOJI_OFFLINE", raising=False)
    assert find_bisenet_weights(LikenessOptions()) is None  # not fetched behind the user's back


def test_env_var_picks_the_method(monkeypatch):
    monkeypatch.setenv("MOJI_LIKENESS", "basic")
    assert LikenessOptions().method == "basic"
    monkeypatch.delenv("MOJI_LIKENESS")
    assert LikenessOptions().method == "auto"


def test_bisenet_finds_a_bald_head_in_a_tight_crop(bisenet, faces):
    """Crops that stop half an eye distance above the brows (like most shared photos): the
    crop's top strip is scalp on the bald man, and hair where there is hair."""
    from pipeline import landmarks as lm
    from pipeline.analyze import AnalyzerOptions, FaceAnalyzer

    lengths = {}
    with FaceAnalyzer.create_from_options(AnalyzerOptions(max_faces=1)) as analyzer:
        for name in ("likeness_bald.jpg", "likeness_light_skin.jpg", "likeness_long_hair.jpg",
                     "likeness_beard.jpg", "likeness_moustache.jpg", "neutral.jpg"):
            rgb, face = faces[name]
            p = face.landmarks[:, :2]
            d = float(np.linalg.norm(p[263] - p[33]))
            top = int(max(0, p[lm.BROW_LEFT + lm.BROW_RIGHT, 1].min() - 0.5 * d))
            crop = np.ascontiguousarray(rgb[top:])
            (found,) = analyzer.detect(crop)
            lengths[name] = bisenet.measure(crop, found).hair_length
    assert lengths["likeness_bald.jpg"] == "none"
    for name, length in lengths.items():
        if name != "likeness_bald.jpg":
            assert length != "none", name


def test_hair_cut_off_at_the_brows_is_not_read_as_a_colour(bisenet):
    """A crop cut at the brows shows too little hair to name its colour: the likeness says so
    (hair_colour_read False, the dark default) instead of passing the default off as measured;
    the whole photo's hair is read."""
    from botkit import fixture_bytes

    from pipeline.analyze import AnalyzerOptions, FaceAnalyzer
    from pipeline.decode import decode_image

    rgb = decode_image(fixture_bytes("likeness_long_hair.jpg")).rgb
    with FaceAnalyzer.create_from_options(AnalyzerOptions(max_faces=1)) as analyzer:
        (face,) = analyzer.detect(rgb)
        points = face.landmarks[:, :2]
        brow = int(points[[70, 300, 105, 334], 1].min())
        x0, x1 = int(points[:, 0].min()), int(points[:, 0].max())
        crop = np.ascontiguousarray(rgb[brow - 3:int(points[:, 1].max()) + 5, x0 - 5:x1 + 5])
        (cropped_face,) = analyzer.detect(crop)
    whole = bisenet.measure(rgb, face)
    assert whole.hair_colour_read and whole.to_dict()["hair_detail"]["colour_read"] is True
    cut = bisenet.measure(crop, cropped_face)
    assert not cut.hair_colour_read and cut.hair_colour == "dark_brown"
    assert Likeness.from_dict(cut.to_dict()).hair_colour_read is False
    # a colour the person chooses by name is known
    assert cut.replace(hair_colour="blonde").hair_colour_read
