"""Torch embedders and the BiSeNet parser on real fixture faces."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from conftest import fixture_bytes  # noqa: E402

from pipeline.decode import decode_image  # noqa: E402
from pipeline.errors import MojiError  # noqa: E402
from pipeline.parse import PART_KINDS, get_parser, parse_face  # noqa: E402


def _parsed(pipe, name: str, parser=None):
    image = decode_image(fixture_bytes(name))
    return parse_face(image.rgb, pipe.analyzer.detect(image.rgb)[0], parser, with_pixels=True)


@pytest.fixture(scope="module")
def autoencoder():
    from pipeline.embedders import get_embedder

    return get_embedder("autoencoder", device="cpu")


def test_shipped_autoencoder_embeds_fixture_faces(pipe, autoencoder):
    assert autoencoder.weights_path.name == "autoencoder-parts-v1.pt"
    assert autoencoder.weights_path.stat().st_size < 4_000_000
    vectors = {name: autoencoder.embed_face(_parsed(pipe, name))
               for name in ("neutral.jpg", "grin.jpg", "open.jpg")}
    for face in vectors.values():
        assert set(face) == set(PART_KINDS)
        for vector in face.values():
            assert vector.shape == (8,) and np.isfinite(vector).all() and (vector >= 0).all()
            assert vector.any()  # a trained bottleneck is not all dead units
    mouths = [vectors[n]["mouth"] for n in vectors]
    assert not np.allclose(mouths[0], mouths[1]) and not np.allclose(mouths[1], mouths[2])


def test_autoencoder_embeds_a_style_in_one_space(autoencoder):
    from pipeline.index import build_index
    from pipeline.style import load_style

    index = build_index(load_style("classic"), autoencoder)
    for kind in PART_KINDS:
        assert index.vectors[kind].shape == (len(index.ids[kind]), 8)
        assert np.isfinite(index.vectors[kind]).all()


def test_per_part_autoencoder_uses_its_mouth_model(pipe, autoencoder):
    import pipeline.embedders.autoencoder  # noqa: F401  (registers the variants)
    from pipeline.embedders import get_embedder

    perpart = get_embedder("autoencoder_perpart", device="cpu")
    assert perpart.encoders["mouth"] is not perpart.encoders["eyes"]
    assert perpart.encoders["eyes"] is perpart.encoders["face"]
    face = _parsed(pipe, "grin.jpg")
    shared, special = autoencoder.embed_face(face), perpart.embed_face(face)
    np.testing.assert_allclose(shared["eyes"], special["eyes"], rtol=1e-5)
    assert not np.allclose(shared["mouth"], special["mouth"])


def test_untrained_autoencoder_is_a_fixed_baseline():
    import pipeline.embedders.autoencoder  # noqa: F401  (registers the variants)
    from pipeline.embedders import get_embedder

    a = get_embedder("autoencoder_untrained", device="cpu")
    b = get_embedder("autoencoder_untrained", device="cpu")
    crops = np.random.default_rng(1).integers(0, 255, (2, 306, 306, 3), dtype=np.uint8)
    np.testing.assert_array_equal(a.embed_crops(crops), b.embed_crops(crops))


def test_bisenet_parser_with_random_weights(pipe):
    parser = get_parser("bisenet", weights="random", device="cpu")
    parsed = _parsed(pipe, "smile.jpg", parser)
    assert set(parsed.masks) == set(PART_KINDS)
    for mask in parsed.masks.values():
        assert mask.shape == (306, 306) and mask.dtype == bool
    assert parsed.crop("mouth").shape == (306, 306, 3)


def test_bisenet_loads_a_checkpoint_file(tmp_path, monkeypatch):
    from pipeline.bisenet import BiSeNetParser, labels_to_masks
    from pipeline.nets.bisenet import BiSeNet

    torch.manual_seed(5)
    state = BiSeNet(19).state_dict()
    # saved from nn.DataParallel and without BN counters, as old checkpoints may be
    old = {f"module.{k}": v for k, v in state.items() if not k.endswith("num_batches_tracked")}
    torch.save(old, tmp_path / "79999_iter.pth")
    monkeypatch.setenv("MOJI_BISENET_WEIGHTS", str(tmp_path / "79999_iter.pth"))
    parser = BiSeNetParser(device="cpu")
    assert torch.equal(parser.model.state_dict()["ffm.conv1.weight"], state["ffm.conv1.weight"])
    labels = np.zeros((306, 306), np.uint8)
    labels[200:240, 110:200] = 12  # upper lip
    labels[100:110, 80:130] = 2  # a brow
    masks = labels_to_masks(labels)
    assert masks["mouth"][220, 150] and not masks["mouth"][50, 50]
    assert masks["brows"][105, 100] and masks["face"][220, 150] and not masks["eyes"].any()


def test_bisenet_without_weights_says_where_they_are(monkeypatch, tmp_path):
    monkeypatch.delenv("MOJI_BISENET_WEIGHTS", raising=False)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setenv("MOJI_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("MOJI_OFFLINE", "1")
    with pytest.raises(MojiError) as err:
        get_parser("bisenet", device="cpu")
    assert err.value.code == "weights_missing"
    assert "MOJI_BISENET_WEIGHTS" in err.value.message
    assert "moji models fetch bisenet" in err.value.message
