"""The mouth reader (pipeline.mouth): the numpy network is the torch one, the shipped weights
belong to the expression embedder's regressions, and it reads real mouths the right way.

The fixture photos are among the photos the shipped reader was trained on (they are in
eval/labels.csv), so the photo tests check the wiring (the patch is cut around the mouth, the
logits come out in the right order), not how well it generalises: that is measured by
`moji evaluate eval/fresh2.csv`, on photos and people it never saw.
"""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from conftest import FIXTURES

from pipeline.embedders import expression
from pipeline.errors import MojiError
from pipeline.mouth import (
    PATCH_HEIGHT,
    PATCH_WIDTH,
    MouthReader,
    default_reader,
    mouth_patch,
)


def test_numpy_forward_is_the_torch_network():
    torch = pytest.importorskip("torch")
    from pipeline.nets.mouth import MouthNet, standardise, to_arrays

    torch.manual_seed(3)
    net = MouthNet().eval()
    reader = MouthReader(to_arrays(net), {})
    patches = np.random.default_rng(0).integers(0, 256, (4, PATCH_HEIGHT, PATCH_WIDTH, 3),
                                                dtype=np.uint8)
    with torch.no_grad():
        expected = net(standardise(patches)).numpy()
    got = np.array([[r.smiling, r.apart] for r in map(reader, patches)])
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


def test_shipped_weights_carry_the_regressions_the_embedder_uses():
    meta = default_reader().meta
    assert meta["smiling_logit"] == expression.SMILE_LOGIT
    assert meta["apart_logit"] == expression.OPEN_LOGIT
    assert meta["config"]["holdout"] == "eval/fresh2.csv"


def test_a_missing_or_broken_weight_file_is_a_clear_error(tmp_path):
    with pytest.raises(MojiError) as missing:
        MouthReader.from_file(tmp_path / "nothing.npz")
    assert missing.value.code == "weights_missing"
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a zip file")
    with pytest.raises(MojiError) as corrupt:
        MouthReader.from_file(broken)
    assert corrupt.value.code == "model_corrupt"


def test_the_patch_is_cut_around_the_mouth():
    # A frame matrix that is the identity: the patch is canonical pixels 89..217 x 178..274 at
    # half scale, so a white square on the canonical mouth centre (153, 218) lands mid-patch.
    frame = np.zeros((306, 306, 3), np.uint8)
    frame[210:226, 145:161] = 255
    patch = mouth_patch(frame, np.array([[1.0, 0, 0], [0, 1.0, 0]]))
    assert patch.shape == (PATCH_HEIGHT, PATCH_WIDTH, 3)
    ys, xs = np.nonzero(patch[..., 0] > 128)
    assert abs(xs.mean() - (153 - 89) / 2) < 1.5 and abs(ys.mean() - (218 - 178) / 2) < 1.5


@pytest.fixture(scope="module")
def readings(pipe):
    """Fixture name -> the reader's evidence on that photo's face, as the pipeline cuts it."""
    from pipeline.decode import decode_image
    from pipeline.parse import parse_face

    out = {}
    for name in ("neutral", "smile", "grin", "open", "frown"):
        image = decode_image((FIXTURES / f"{name}.jpg").read_bytes())
        face = parse_face(image.rgb, pipe.analyzer.detect(image.rgb)[0], with_pixels=False)
        out[name] = default_reader()(face.mouth_patch)
    return out


@pytest.mark.parametrize("name, smiling, apart", [
    ("neutral", False, False), ("grin", True, True), ("open", False, True),
    ("frown", False, False)])
def test_the_reader_reads_labelled_mouths(readings, name, smiling, apart):
    assert (readings[name].smiling > 0) == smiling
    assert (readings[name].apart > 0) == apart


def test_a_closed_smile_reads_smiling_with_lips_nearer_shut_than_apart(readings):
    # smile.jpg's lips are closed but its smile stretches them thin over the teeth: the reader's
    # apart logit sits near the boundary, where the landmark gap decides (the embedder draws a
    # closed smile: tests/test_pipeline_stages.py); it is still far below a grin's or an open
    # mouth's
    assert readings["smile"].smiling > 0
    assert readings["smile"].apart < min(readings["grin"].apart, readings["open"].apart) - 3


def test_training_runs_end_to_end_on_a_few_photos(tmp_path):
    pytest.importorskip("torch")
    from moji.train_mouth import Config, train

    labels = tmp_path / "few.csv"
    with open(labels, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["image", "mouth", "eyes"])
        for name in ("neutral", "smile", "grin", "open", "frown", "eyes_closed",
                     "eyes_closed_open_mouth", "turned_head_grin", "colour_frown",
                     "colour_turned"):
            mouth = {"eyes_closed": "neutral", "eyes_closed_open_mouth": "open",
                     "turned_head_grin": "grin", "colour_frown": "frown",
                     "colour_turned": "neutral"}.get(name, name)
            writer.writerow([str(FIXTURES / f"{name}.jpg"), mouth, "open"])
    summary = train(Config(out_dir=str(tmp_path / "out"), labels=str(labels), holdout="",
                           folds=2, epochs=1, batch_size=16), progress=False)
    assert summary["photos"] == 10
    reader = MouthReader.from_file(tmp_path / "out" / "mouth.npz")
    assert reader.meta["smiling_logit"] == summary["smiling_logit"]
    assert set(reader.meta["smiling_logit"]) == {*expression.SMILE_LOGIT}
    evidence = reader(np.full((PATCH_HEIGHT, PATCH_WIDTH, 3), 128, np.uint8))
    assert np.isfinite([evidence.smiling, evidence.apart]).all()
    written = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert written["config"]["folds"] == 2 and written["photos"] == 10
