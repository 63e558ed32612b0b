"""Issue 16's skin depth check (moji/skin_depth.py): per-person agreement with the Monk labels
and the gap between medium-brown and light-skinned people."""

from __future__ import annotations

from pathlib import Path

import pytest

from moji.skin_depth import depth_gap, format_report, labelled_photos, measure_monk, summarise

FIXTURES = Path(__file__).parent / "fixtures"


def test_labelled_photos_keep_colour_rows_of_one_half(tmp_path: Path) -> None:
    csv = tmp_path / "likeness.csv"
    csv.write_text("image,glasses,monk\nAvinash_1.jpg,none,7\nDileep_2.jpg,none,6\n"
                   "Abdullah_0001.jpg,none,\nKatrinaKaif_3.jpg,none,3\n")
    assert labelled_photos(csv, "heldout") == {"Avinash_1.jpg": 7, "KatrinaKaif_3.jpg": 3}
    assert labelled_photos(csv, "tuning") == {"Dileep_2.jpg": 6}


def test_summary_per_person_and_the_gap() -> None:
    labels = {"Dark_1.jpg": 7, "Dark_2.jpg": 7, "Dark_3.jpg": 7, "Light_1.jpg": 3,
              "Light_2.jpg": 3, "Light_3.jpg": 3, "Mid_1.jpg": 5, "Missed_1.jpg": 4}
    measured = {"Dark_1.jpg": 6, "Dark_2.jpg": 6, "Dark_3.jpg": 9, "Light_1.jpg": 5,
                "Light_2.jpg": 5, "Light_3.jpg": 4, "Mid_1.jpg": 5}
    result = summarise(labels, measured)
    assert list(result["people"]) == ["Light", "Mid", "Dark"]  # by label
    dark, light = result["people"]["Dark"], result["people"]["Light"]
    assert (dark["label"], dark["photos"], dark["median"]) == (7, 3, 6.0)
    assert dark["within_1"] == pytest.approx(2 / 3) and dark["mae"] == pytest.approx(4 / 3)
    assert dark["self_within_1"] == pytest.approx(2 / 3)  # 9 is three steps off their 6
    assert light["within_1"] == pytest.approx(1 / 3) and light["self_within_1"] == 1.0
    assert result["photos"] == 7  # the photo without a face is left out
    assert result["gap"] == 1.0 and result["gap_labelled"] == 4
    assert 0 < result["slope"] < 1  # pulled to the middle
    report = format_report(result)
    assert "NOT met" in report and "Dark" in report


def test_gap_needs_both_sides() -> None:
    assert depth_gap({"A": {"label": 5, "median": 5.0}}) == (None, None)
    people = {"A": {"label": 6, "median": 8.0}, "B": {"label": 7, "median": 7.0},
              "C": {"label": 3, "median": 4.0}, "D": {"label": 4, "median": 5.0}}
    assert depth_gap(people) == (2.0, 2)  # the closest pair decides
    assert "n/a" in format_report(summarise({"A_1.jpg": 5}, {"A_1.jpg": 5}))


def test_measure_monk_reads_the_fixture_photos() -> None:
    pytest.importorskip("torch")
    from pipeline.likeness import find_bisenet_weights
    from pipeline.likeness.options import LikenessOptions

    if find_bisenet_weights(LikenessOptions()) is None:
        pytest.skip("no BiSeNet weights")
    names = ["likeness_light_skin.jpg", "likeness_moustache.jpg", "no_such_photo.jpg"]
    measured = measure_monk([FIXTURES / n for n in names], progress=False)
    assert set(measured) == {"likeness_light_skin.jpg", "likeness_moustache.jpg"}
    assert measured["likeness_light_skin.jpg"] < measured["likeness_moustache.jpg"]


def test_cli_measures_a_half_and_writes_its_readings(tmp_path: Path, capsys) -> None:
    """`moji evaluate skindepth` with a folder that holds none of the labelled photos: it
    still runs, says how many it measured and writes the JSON (no shared photos read)."""
    import json

    pytest.importorskip("torch")
    from moji.cli import main
    from pipeline.likeness import find_bisenet_weights
    from pipeline.likeness.options import LikenessOptions

    if find_bisenet_weights(LikenessOptions()) is None:
        pytest.skip("no BiSeNet weights")
    assert main(["evaluate", "skindepth", "--split", "tuning", "--images", str(FIXTURES),
                 "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "tuning people, bisenet: 0 of" in out and "depth gap: n/a" in out
    result = json.loads((tmp_path / "skindepth-tuning-bisenet.json").read_text())
    assert result["labelled"] > 300 and result["measured"] == {}
