"""The `moji` command as other tools call it: real processes, real files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES

from pipeline.likeness import LIKENESS_KEYS

MOJI = [sys.executable, "-m", "moji.cli"]


def moji(*args: str, env: dict | None = None,
         cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run `moji`. The likeness by landmarks and colour unless `env` says otherwise: these tests
    check the command, and each run then loads no torch (test_render_json_contract runs the
    shipped default, BiSeNet where its weights are; tests/test_likeness.py measures both)."""
    return subprocess.run([*MOJI, *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "MOJI_LIKENESS": "basic", **(env or {})}, cwd=cwd)


def test_render_json_contract(tmp_path, no_face_png):
    (tmp_path / "cup.png").write_bytes(no_face_png)
    (tmp_path / "broken.jpg").write_bytes((FIXTURES / "grin.jpg").read_bytes()[:500])
    (tmp_path / "notes.txt").write_text("hello")
    inputs = [FIXTURES / "grin.jpg", FIXTURES / "eyes_closed.jpg", tmp_path / "cup.png",
              tmp_path / "broken.jpg", tmp_path / "notes.txt", tmp_path / "missing.jpg"]
    out = tmp_path / "out"
    result = moji("render", *map(str, inputs), "--style", "avatar", "--out", str(out), "--json",
                  env={"MOJI_LIKENESS": os.environ.get("MOJI_LIKENESS", "auto")})
    assert result.returncode == 1, result.stderr  # some inputs gave no sticker
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["input"] for r in records] == [str(p) for p in inputs]
    grin, closed = records[0], records[1]
    assert grin["ok"] and grin["style"] == "avatar" and grin["embedder"] == "expression"
    assert grin["faces"] == 1 and {"mouth", "eyes", "brows", "face", "hair"} <= set(grin["parts"])
    assert set(grin["parts"]) <= {"mouth", "eyes", "brows", "face", "hair", "facial_hair",
                                  "glasses", "headwear", "age", "earrings"}
    likeness = grin["likeness"]
    assert set(likeness) == LIKENESS_KEYS
    assert set(likeness["hair"]) == {"length", "colour", "rgb"}
    assert set(likeness["skin"]) == {"rgb", "monk"} and 1 <= likeness["skin"]["monk"] <= 10
    assert "grin" in grin["parts"]["mouth"]["tags"]
    assert "closed" in closed["parts"]["eyes"]["tags"]
    for part in grin["parts"].values():
        assert set(part) == {"id", "tags", "similarity"}
    assert Path(grin["output"]) == out / "grin.png" and Path(grin["output"]).stat().st_size > 1000
    assert {"decode", "analyze", "render", "total"} <= set(grin["timings_ms"])
    assert [r.get("error") for r in records[2:]] == ["no_face", "bad_image", "bad_image",
                                                    "not_found"]
    assert all(r["ok"] is False and r["message"] for r in records[2:])
    assert "Traceback" not in result.stderr


def test_render_reports_how_many_faces(tmp_path, two_faces_jpeg):
    (tmp_path / "two.jpg").write_bytes(two_faces_jpeg)
    result = moji("render", str(tmp_path / "two.jpg"), "--out", str(tmp_path), "--json")
    record = json.loads(result.stdout)
    assert record["ok"] and record["faces"] == 2
    assert "grin" in record["parts"]["mouth"]["tags"]  # the larger face is the grinning one
    plain = moji("render", str(tmp_path / "two.jpg"), "--out", str(tmp_path))
    assert plain.returncode == 0 and "2 faces, drew the largest" in plain.stdout


def test_render_all_faces(tmp_path, two_faces_jpeg):
    (tmp_path / "two.jpg").write_bytes(two_faces_jpeg)
    result = moji("render", str(tmp_path / "two.jpg"), str(FIXTURES / "smile.jpg"),
                  "--all-faces", "--out", str(tmp_path), "--json")
    assert result.returncode == 0, result.stderr
    two, one = (json.loads(line) for line in result.stdout.splitlines())
    assert two["ok"] and two["faces"] == 2 and len(two["people"]) == 2
    left, right = two["people"]  # neutral.jpg pasted left of grin.jpg
    assert left["box"][0] < right["box"][0] and len(left["box"]) == 4
    assert "neutral" in left["parts"]["mouth"]["tags"] and "grin" in right["parts"]["mouth"]["tags"]
    assert set(left["likeness"]) == LIKENESS_KEYS
    assert two["parts"] == left["parts"]  # the usual keys: the first person's
    from PIL import Image

    assert Image.open(two["output"]).size == (512, 256)
    assert one["ok"] and one["faces"] == 1 and len(one["people"]) == 1

    (tmp_path / "me.json").write_text(json.dumps(two["likeness"]))
    refused = moji("render", str(tmp_path / "two.jpg"), "--all-faces", "--likeness",
                   str(tmp_path / "me.json"), "--out", str(tmp_path))
    assert refused.returncode == 2 and "--all-faces" in refused.stderr


def test_render_draws_a_given_likeness(tmp_path):
    given = {"hair": {"length": "long", "colour": "blonde", "rgb": "#d8b060"},
             "facial_hair": "beard", "glasses": "sunglasses", "headwear": "none",
             "skin": {"rgb": "#825c43", "monk": 7}}
    (tmp_path / "me.json").write_text(json.dumps(given))
    args = ["render", str(FIXTURES / "grin.jpg"), "--style", "avatar", "--json"]
    drawn = moji(*args, "--likeness", str(tmp_path / "me.json"), "--out", str(tmp_path / "a"))
    assert drawn.returncode == 0, drawn.stderr
    record = json.loads(drawn.stdout)
    assert {k: record["likeness"][k] for k in given} == given  # the rest: defaults
    parts = record["parts"]
    assert parts["hair"]["tags"][0] == "long" and parts["facial_hair"]["tags"][0] == "beard"
    assert parts["glasses"]["tags"][0] == "sunglasses" and "headwear" not in parts
    assert "grin" in parts["mouth"]["tags"]  # the expression still comes from the photo
    # A whole `--json` line works as a likeness file too, and draws the same sticker.
    (tmp_path / "line.json").write_text(drawn.stdout)
    again = moji(*args, "--likeness", str(tmp_path / "line.json"), "--out", str(tmp_path / "b"))
    assert (tmp_path / "a" / "grin.png").read_bytes() == (tmp_path / "b" / "grin.png").read_bytes()
    assert again.returncode == 0
    (tmp_path / "bad.json").write_text(json.dumps({"glasses": "monocle"}))
    bad = moji(*args, "--likeness", str(tmp_path / "bad.json"), "--out", str(tmp_path / "c"))
    assert bad.returncode == 1 and "monocle" in bad.stderr and "Traceback" not in bad.stderr


def test_unreadable_and_tiny_inputs_each_get_their_own_error(tmp_path):
    """A file without read permission is not "not found"; a 1x1 image is "too small", not "not
    an image". Root reads anything: as root the command runs without that power (setpriv)."""
    from PIL import Image

    Image.new("RGB", (1, 1)).save(tmp_path / "dot.png")
    locked = tmp_path / "locked.jpg"
    shutil.copy(FIXTURES / "grin.jpg", locked)
    locked.chmod(0o000)
    (tmp_path / "folder.jpg").mkdir()
    prefix = []
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("root without setpriv reads files of any permission")
        prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]
    inputs = [locked, tmp_path / "missing.jpg", tmp_path / "folder.jpg", tmp_path / "dot.png"]
    result = subprocess.run(
        [*prefix, *MOJI, "render", *map(str, inputs), "--out", str(tmp_path / "out"), "--json"],
        capture_output=True, text=True, timeout=300)
    locked.chmod(0o600)
    assert result.returncode == 1, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["error"] for r in records] == ["unreadable", "not_found", "unreadable",
                                            "too_small"], result.stdout
    assert "no permission" in records[0]["message"]
    assert "folder" in records[2]["message"] and "1x1" in records[3]["message"]


NATIVE_LINES = ("Created TensorFlow Lite XNNPACK delegate", "inference_feedback_manager",
                "Logging before InitGoogle", "face_landmarker_graph.cc")


def test_render_keeps_native_model_logs_out_unless_debugging(tmp_path):
    quiet = moji("render", str(FIXTURES / "smile.jpg"), "--out", str(tmp_path))
    assert quiet.returncode == 0, quiet.stderr
    assert not [line for line in NATIVE_LINES if line in quiet.stderr], quiet.stderr
    assert quiet.stderr.strip() == ""  # nothing else either, at the default level
    loud = moji("render", str(FIXTURES / "smile.jpg"), "--out", str(tmp_path),
                env={"MOJI_LOG_LEVEL": "DEBUG"})
    assert loud.returncode == 0, loud.stderr
    assert all(line in loud.stderr for line in NATIVE_LINES), loud.stderr


def test_render_unknown_style_is_a_clear_error(tmp_path):
    result = moji("render", str(FIXTURES / "grin.jpg"), "--style", "nope", "--out", str(tmp_path))
    assert result.returncode == 1
    assert "No style 'nope'" in result.stderr and "Traceback" not in result.stderr


def test_styles_list_build_preview(tmp_path):
    from pipeline.style import styles_dir

    shutil.copytree(styles_dir() / "lineart", tmp_path / "lineart")
    env = {"MOJI_STYLES_DIR": str(tmp_path)}
    listed = moji("styles", "list", env=env)
    assert listed.returncode == 0 and "lineart" in listed.stdout and "emoji" in listed.stdout
    built = moji("styles", "build", "--embedder", "expression", env=env)
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "lineart" / "index.npz").exists()
    preview = moji("styles", "preview", "lineart", env=env)
    assert preview.returncode == 0, preview.stderr
    from PIL import Image

    sheet = Image.open(tmp_path / "lineart" / "preview.png")
    assert sheet.width > 1000 and sheet.height > 500


def test_evaluate_prints_accuracy_and_writes_a_plot(tmp_path):
    rows = ["image,mouth,eyes", f"{FIXTURES / 'grin.jpg'},grin,open",
            f"{FIXTURES / 'smile.jpg'},smile,open", f"{FIXTURES / 'open.jpg'},open,open",
            f"{FIXTURES / 'eyes_closed.jpg'},neutral,closed"]
    labels = tmp_path / "labels.csv"
    labels.write_text("\n".join(rows) + "\n")
    result = moji("evaluate", str(labels), "--perturb", "1", "--still", "1",
                  "--embedder", "expression", "--embedder", "autoencoder_untrained",
                  "--out", str(tmp_path / "ev"))
    assert result.returncode == 0, result.stderr
    assert "mouth 4-class accuracy:   100.0%" in result.stdout  # expression, printed first
    assert "eyes balanced accuracy:   100.0%" in result.stdout
    assert "still-video jitter:" in result.stdout
    summary = json.loads((tmp_path / "ev" / "summary.json").read_text())
    assert [s["embedder"] for s in summary] == ["expression", "autoencoder_untrained"]
    assert summary[0]["photos"] == 4 and summary[0]["perturbed"] == 5
    assert 0 <= summary[0]["jitter"] < 1 and 0 <= summary[0]["flicker"] <= 1
    # a variant keeps all its tags only if it keeps each kind's: no kind is steadier than all
    by_kind = summary[0]["same_tags_by_kind"]
    assert sorted(by_kind) == ["brows", "eyes", "face", "mouth"]
    assert summary[0]["same_tags"] <= min(by_kind.values()) <= 1
    assert "same tag by kind:" in result.stdout
    # random weights cannot tell a grin from a smile the way measured expressions do
    assert summary[1]["mouth_accuracy"] < summary[0]["mouth_accuracy"]
    assert (tmp_path / "ev" / "confusion.png").stat().st_size > 10_000
    assert (tmp_path / "ev" / "comparison.png").stat().st_size > 10_000


def test_evaluate_finds_the_photos_in_images_or_says_which_are_missing(tmp_path):
    # the repository's CSVs name photos relative to eval/; kept elsewhere, --images finds them
    labels = tmp_path / "labels.csv"
    labels.write_text("image,mouth,eyes\n../../photos/grin.jpg,grin,open\n"
                      "../../photos/smile.jpg,smile,open\n")
    missing = moji("evaluate", str(labels), "--out", str(tmp_path / "ev"))
    assert missing.returncode == 1
    assert "2 of 2 photos" in missing.stderr and "--images" in missing.stderr
    assert "Traceback" not in missing.stderr
    found = moji("evaluate", str(labels), "--images", str(FIXTURES), "--out", str(tmp_path / "ev"))
    assert found.returncode == 0, found.stderr
    assert json.loads((tmp_path / "ev" / "summary.json").read_text())[0]["photos"] == 2


def test_evaluate_from_another_folder_writes_to_the_user_folder(tmp_path):
    elsewhere, data = tmp_path / "elsewhere", tmp_path / "data"
    elsewhere.mkdir()
    labels = tmp_path / "labels.csv"
    labels.write_text(f"image,mouth,eyes\n{FIXTURES / 'grin.jpg'},grin,open\n")
    result = moji("evaluate", str(labels), env={"MOJI_DATA_DIR": str(data)}, cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert json.loads((data / "evaluate" / "summary.json").read_text())[0]["photos"] == 1
    assert str(data / "evaluate" / "summary.json") in result.stdout  # says where it wrote
    assert list(elsewhere.iterdir()) == []  # nothing written where it was run
    missing = moji("evaluate", "eval/nope.csv", cwd=elsewhere)
    assert missing.returncode == 1 and "No labels file" in missing.stderr


def test_training_holds_out_the_repository_labels_from_any_folder(tmp_path, monkeypatch):
    import csv

    from moji.paths import REPOSITORY, repository_file
    from moji.train_autoencoder import Config, held_out

    monkeypatch.chdir(tmp_path)
    with open(REPOSITORY / "eval" / "labels.csv", newline="") as f:
        expected = {Path(row["image"]).stem for row in csv.DictReader(f)}
    assert len(expected) > 100 and held_out(Config().exclude) == expected
    assert repository_file("eval/labels.csv") == REPOSITORY / "eval" / "labels.csv"
    assert held_out("") == set()
    with pytest.raises(SystemExit, match="no labels file"):
        held_out("eval/labels.csv,eval/missing.csv")


@pytest.mark.parametrize("bench", [["pipeline", "--repeat", "1"]])
def test_bench_pipeline_prints_stage_figures(bench):
    result = moji("bench", *bench, str(FIXTURES / "grin.jpg"), str(FIXTURES / "smile.jpg"))
    assert result.returncode == 0, result.stderr
    for stage in ("decode", "analyze", "render", "total", "landmarker alone"):
        assert stage in result.stdout
    assert "whole pipeline / landmarker alone:" in result.stdout


def test_evaluate_reports_likeness_accuracy_beside_expressions(tmp_path):
    rows = ["image,mouth,glasses,facial_hair,headwear,hair_length",
            f"{FIXTURES / 'likeness_sunglasses.jpg'},neutral,sunglasses,,none,",
            f"{FIXTURES / 'likeness_beard.jpg'},neutral,none,beard,none,",
            f"{FIXTURES / 'likeness_cap.jpg'},open,none,none,cap,",
            f"{FIXTURES / 'likeness_bald.jpg'},grin,none,none,none,none"]
    labels = tmp_path / "both.csv"
    labels.write_text("\n".join(rows) + "\n")
    result = moji("evaluate", str(labels), "--likeness-method", "basic",
                  "--out", str(tmp_path / "ev"))
    assert result.returncode == 0, result.stderr
    assert "mouth 4-class accuracy:" in result.stdout  # the expression report still comes
    assert "== likeness ==" in result.stdout and "basic" in result.stdout
    report = json.loads((tmp_path / "ev" / "likeness.json").read_text())
    basic = report["methods"]["basic"]
    assert report["photos"] == 4 and basic["ran_as"] == "basic"
    assert basic["glasses"]["count"] == 4 and basic["headwear_any"]["count"] == 4
    assert 0 <= basic["glasses"]["balanced_accuracy"] <= 1
