"""The torch networks: shapes, parameter counts, and the public checkpoints' state_dicts."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from pipeline.errors import MojiError  # noqa: E402
from pipeline.nets.autoencoder import FaceAutoencoder  # noqa: E402
from pipeline.nets.bisenet import BiSeNet  # noqa: E402

torchvision_models = pytest.importorskip("torchvision.models")
resnet50 = torchvision_models.resnet50

# (key, shape) pairs of face-parsing.PyTorch's 79999_iter.pth, from its model.py / resnet.py.
BISENET_CHECKPOINT_KEYS = {
    "cp.resnet.conv1.weight": (64, 3, 7, 7),
    "cp.resnet.bn1.running_mean": (64,),
    "cp.resnet.layer1.0.conv1.weight": (64, 64, 3, 3),
    "cp.resnet.layer2.0.downsample.0.weight": (128, 64, 1, 1),
    "cp.resnet.layer2.0.downsample.1.running_var": (128,),
    "cp.resnet.layer4.1.conv2.weight": (512, 512, 3, 3),
    "cp.arm16.conv.conv.weight": (128, 256, 3, 3),
    "cp.arm16.conv.bn.weight": (128,),
    "cp.arm32.conv_atten.weight": (128, 128, 1, 1),
    "cp.arm32.bn_atten.bias": (128,),
    "cp.conv_head32.conv.weight": (128, 128, 3, 3),
    "cp.conv_head16.bn.running_mean": (128,),
    "cp.conv_avg.conv.weight": (128, 512, 1, 1),
    "ffm.convblk.conv.weight": (256, 256, 1, 1),
    "ffm.conv1.weight": (64, 256, 1, 1),
    "ffm.conv2.weight": (256, 64, 1, 1),
    "conv_out.conv.conv.weight": (256, 256, 3, 3),
    "conv_out.conv_out.weight": (19, 256, 1, 1),
    "conv_out16.conv.conv.weight": (64, 128, 3, 3),
    "conv_out16.conv_out.weight": (19, 64, 1, 1),
    "conv_out32.conv_out.weight": (19, 64, 1, 1),
}

# torchvision's resnet50 state_dict: 320 entries, 25,557,032 parameters.
RESNET50_KEYS = {
    "conv1.weight": (64, 3, 7, 7),
    "bn1.running_var": (64,),
    "layer1.0.conv1.weight": (64, 64, 1, 1),
    "layer1.0.downsample.0.weight": (256, 64, 1, 1),
    "layer2.0.conv2.weight": (128, 128, 3, 3),
    "layer3.5.bn3.weight": (1024,),
    "layer4.0.downsample.1.running_mean": (2048,),
    "layer4.2.conv3.weight": (2048, 512, 1, 1),
    "fc.weight": (1000, 2048),
    "fc.bias": (1000,),
}


def test_autoencoder_is_the_published_network():
    model = FaceAutoencoder().eval()
    assert sum(p.numel() for p in model.parameters()) == 2_346_507
    kinds = [type(m).__name__ for m in model.encoder]
    assert kinds == ["Conv2d", "ReLU"] * 4 + ["Flatten", "Linear", "ReLU"]
    assert [m.stride[0] for m in model.encoder if isinstance(m, torch.nn.Conv2d)] == [2, 2, 3, 3]
    x = torch.rand(2, 3, 306, 306)
    with torch.no_grad():
        code = model.encode(x)
        out = model.decode(code)
    assert code.shape == (2, 8) and (code >= 0).all()
    assert out.shape == (2, 3, 306, 306)
    assert FaceAutoencoder(bottleneck=32).encode(x).shape == (2, 32)


def test_bisenet_state_dict_matches_the_published_checkpoint():
    state = BiSeNet(19).state_dict()
    for key, shape in BISENET_CHECKPOINT_KEYS.items():
        assert tuple(state[key].shape) == shape, key
    assert not any(k.startswith("sp.") for k in state)  # the spatial path is not in the checkpoint
    assert sum(v.numel() for k, v in state.items() if not k.endswith("num_batches_tracked")
               and "running" not in k) == 13_300_416
    with torch.no_grad():
        out, out16, out32 = BiSeNet(19).eval()(torch.rand(1, 3, 128, 128))
    assert out.shape == out16.shape == out32.shape == (1, 19, 128, 128)


def test_bisenet_backbone_is_torchvisions_resnet18():
    """The backbone's weights are exactly torchvision's resnet18's, less the classifier head."""
    backbone = BiSeNet(19).cp.resnet.state_dict()
    reference = torchvision_models.resnet18(weights=None).state_dict()
    assert {k: tuple(v.shape) for k, v in backbone.items()} == {
        k: tuple(v.shape) for k, v in reference.items() if not k.startswith("fc.")}


def test_resnet50_weights_facts_are_torchvisions():
    from pipeline.embedders.resnet50 import ResNet50_Weights

    for ours, theirs in ((ResNet50_Weights.IMAGENET1K_V2,
                          torchvision_models.ResNet50_Weights.IMAGENET1K_V2),
                         (ResNet50_Weights.IMAGENET1K_V1,
                          torchvision_models.ResNet50_Weights.IMAGENET1K_V1)):
        assert ours.url == theirs.url
        assert ours.filename == theirs.url.rsplit("/", 1)[1]
        for key in ("num_params", "recipe"):
            assert ours.meta[key] == theirs.meta[key], key
        metrics = theirs.meta["_metrics"]["ImageNet-1K"]
        assert (ours.meta["acc@1"], ours.meta["acc@5"]) == (metrics["acc@1"], metrics["acc@5"])
        assert ours.meta["gflops"] == theirs.meta["_ops"]
        preset = theirs.transforms()
        assert (ours.transforms.resize, ours.transforms.crop) == (preset.resize_size[0],
                                                                  preset.crop_size[0])
        assert ours.transforms.mean == tuple(preset.mean)
        assert ours.transforms.std == tuple(preset.std)


def test_resnet50_has_torchvisions_layout():
    model = resnet50(weights=None)
    state = model.state_dict()
    assert len(state) == 320
    assert sum(p.numel() for p in model.parameters()) == 25_557_032
    for key, shape in RESNET50_KEYS.items():
        assert tuple(state[key].shape) == shape, key


def test_resnet50_embedder_round_trips_a_torchvision_file(tmp_path, monkeypatch):
    from pipeline.embedders import get_embedder

    torch.manual_seed(3)
    reference = resnet50(weights=None).eval()
    path = tmp_path / "resnet50-11ad3fa6.pth"
    torch.save(reference.state_dict(), path)
    monkeypatch.setenv("MOJI_RESNET50_WEIGHTS", str(path))
    embedder = get_embedder("resnet50", device="cpu")  # strict=True inside
    assert embedder.weights_path == path
    crops = np.random.default_rng(0).integers(0, 255, (3, 306, 306, 3), dtype=np.uint8)
    vectors = embedder.embed_crops(crops)
    assert vectors.shape == (3, 2048)
    with torch.no_grad():
        reference.fc = torch.nn.Identity()
        expected = reference(embedder.transforms(crops)).numpy()
    np.testing.assert_allclose(vectors, expected, rtol=1e-4, atol=1e-5)


def test_resnet50_with_random_weights_gives_2048_dims():
    from pipeline.embedders import get_embedder

    embedder = get_embedder("resnet50", weights="random", device="cpu")
    crops = np.zeros((2, 306, 306, 3), np.uint8)
    assert embedder.embed_crops(crops).shape == (2, 2048)


def test_missing_resnet50_weights_say_how_to_get_them(tmp_path, monkeypatch):
    from pipeline.embedders import get_embedder

    monkeypatch.delenv("MOJI_RESNET50_WEIGHTS", raising=False)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("MOJI_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(MojiError) as err:
        get_embedder("resnet50", device="cpu")
    assert err.value.code == "weights_missing"
    assert "moji models fetch resnet50" in err.value.message
    assert "MOJI_RESNET50_WEIGHTS" in err.value.message


def test_wrong_weights_are_refused(tmp_path):
    from pipeline.embedders import get_embedder

    path = tmp_path / "resnet50-0676ba61.pth"
    torch.save({"conv1.weight": torch.zeros(1)}, path)
    with pytest.raises(MojiError) as err:
        get_embedder("resnet50", weights=path, device="cpu")
    assert err.value.code == "model_corrupt"
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(MojiError) as err:
        get_embedder("resnet50", weights=tmp_path / "junk.pth", device="cpu")
    assert err.value.code == "model_corrupt"


def test_device_choice(monkeypatch):
    from pipeline.weights import pick_device

    assert pick_device("cpu") == "cpu"
    monkeypatch.setenv("MOJI_DEVICE", "cpu")
    assert pick_device() == "cpu"
    monkeypatch.delenv("MOJI_DEVICE")
    assert pick_device() == ("cuda" if torch.cuda.is_available() else "cpu")
