"""The published experiment's extractor: a small convolutional autoencoder's 8-d bottleneck.

A part crop (the photo in the canonical 306x306 frame, black outside the part) goes through
the encoder of `pipeline.nets.autoencoder.FaceAutoencoder`; a style part is rendered alone in the
same frame over black and goes through the same encoder. Weights trained on the shared face
photos' part crops ship with Moji (pipeline/weights/MODEL_CARD.md).

Registered names:
- `autoencoder`: the shipped weights (or `weights=PATH` from `moji train autoencoder`).
- `autoencoder_perpart`: a network trained on mouths alone for the mouth, the shared one for the
  other kinds (per-part models, an improvement beyond the original).
- `autoencoder_untrained`: the same network with a fixed random initialisation: the baseline
  that training has to beat.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import ClassVar

import numpy as np

from ..compose import render_part
from ..errors import MojiError
from ..parse import PART_KINDS, ParsedFace
from ..style import Style, StylePart
from ..weights import HERE, ImageTransform, Weights, load_into, pick_device, read_state_dict
from . import register_embedder
from .base import Embedder

AUTOENCODER_PARTS_V1 = Weights(
    name="autoencoder-parts-v1",
    filename="autoencoder-parts-v1.pt",
    transforms=ImageTransform(grey=True),
    shipped=True,
    meta={
        "bottleneck": 8,
        "data": "part crops (face, eyes, brows, mouth) of ../shared/data/faces (landmark parser)",
        "card": str(HERE / "MODEL_CARD.md"),
        "stored": "encoder only, float16",
    },
)
AUTOENCODER_MOUTH_V1 = Weights(
    name="autoencoder-mouth-v1",
    filename="autoencoder-mouth-v1.pt",
    transforms=ImageTransform(grey=True),
    shipped=True,
    meta={"bottleneck": 8, "data": "mouth crops only (+ style mouths)",
          "stored": "encoder only, float16"},
)
BATCH = 32
RANDOM_SEED = 0


def part_pixels(style: Style, part: StylePart, grow: int = 4) -> np.ndarray:
    """A style part as a photo crop looks: its drawing over skin, black outside (uint8 RGB).

    A photo crop shows the feature and a thin margin of skin, black beyond (the parser grows
    each mask by a few pixels). So the part is rendered alone in the canonical frame, laid over
    the style's skin colour inside its footprint grown by `grow` pixels, and over black outside;
    over plain black, a line-art style's black ink would vanish.
    """
    import cv2

    rgba = render_part(style, part).astype(np.float32)
    alpha = rgba[..., 3:] / 255.0
    footprint = (alpha[..., 0] > 0.05).astype(np.uint8)
    if grow:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
        footprint = cv2.dilate(footprint, kernel)
    skin = style.palette.get("skin", "#808080").lstrip("#")
    base = np.array([int(skin[i:i + 2], 16) for i in (0, 2, 4)], np.float32)
    background = footprint[..., None].astype(np.float32) * base
    return (rgba[..., :3] * alpha + background * (1 - alpha)).round().astype(np.uint8)


class Encoder:
    """One FaceAutoencoder's encoder on a device, with the input transform it was trained with."""

    def __init__(self, model, transforms: ImageTransform, device: str, version: str) -> None:
        import torch

        # channels_last: the convolutions run about a quarter faster on CPU (and no slower on GPU)
        self.model = model.to(device, memory_format=torch.channels_last).eval()
        self.transforms = transforms
        self.device = device
        self.version = version
        self._torch = torch

    def __call__(self, crops: np.ndarray) -> np.ndarray:
        """(N, 306, 306, 3) uint8 masked crops -> (N, bottleneck) float32, in batches."""
        out = []
        with self._torch.inference_mode():
            for start in range(0, len(crops), BATCH):
                x = self.transforms(crops[start:start + BATCH], self.device)
                out.append(self.model.encode(x).float().cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, self.model.bottleneck), np.float32)


def load_encoder(path: Path, device: str) -> Encoder:
    """An encoder from a `moji train autoencoder` file: the exported one or a full ckpt.pt."""
    import torch

    from ..nets.autoencoder import FaceAutoencoder

    if not path.is_file():
        raise MojiError("weights_missing",
                        f"Autoencoder weights not found at {path}. Train them with "
                        "`moji train autoencoder DATASET`, or reinstall Moji "
                        "(they ship in pipeline/weights/).")
    state = read_state_dict(path)
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    config = checkpoint.get("config", {}) if isinstance(checkpoint, dict) else {}
    model = FaceAutoencoder(int(config.get("bottleneck", 8)))
    if any(k.startswith("decoder.") for k in state):
        load_into(model, state, str(path))
    else:
        load_into(model.encoder, {k.removeprefix("encoder."): v for k, v in state.items()},
                  str(path))
    transforms = ImageTransform(grey=bool(config.get("grey", True)))
    # The vectors change with the weights: a new file means a rebuilt style index.
    return Encoder(model, transforms, device, hashlib.sha256(path.read_bytes()).hexdigest()[:10])


def _shipped(weights: Weights) -> Path:
    path = weights.find()
    if path is None:
        raise MojiError("weights_missing", f"{weights.filename} is missing from Moji's "
                        "pipeline/weights/; reinstall Moji or train with `moji train autoencoder`.")
    return path


class _AutoencoderBase(Embedder):
    """Part crops through an encoder per kind (the same one for every kind, or one each)."""

    needs_pixels: ClassVar[bool] = True
    encoders: dict[str, Encoder]

    def embed_crops(self, crops: np.ndarray, kind: str = "face") -> np.ndarray:
        """(N, 306, 306, 3) uint8 crops of one kind -> (N, bottleneck) float32."""
        return self.encoders[kind](crops)

    def embed_face(self, face: ParsedFace) -> dict[str, np.ndarray]:
        # one forward pass per distinct encoder: a single batch of 4 when they are shared
        vectors: dict[str, np.ndarray] = {}
        for encoder in {id(e): e for e in self.encoders.values()}.values():
            kinds = [k for k in PART_KINDS if self.encoders[k] is encoder]
            out = encoder(np.stack([face.crop(kind) for kind in kinds]))
            vectors.update(zip(kinds, out, strict=True))
        return {kind: vectors[kind] for kind in PART_KINDS}

    def embed_part(self, part: StylePart, style: Style) -> np.ndarray:
        return self.embed_parts([part], style)[0]

    def embed_parts(self, parts: list[StylePart], style: Style) -> np.ndarray:
        out = [np.zeros(0)] * len(parts)
        for kind in {part.kind for part in parts}:
            rows = [i for i, part in enumerate(parts) if part.kind == kind]
            vectors = self.encoders[kind](np.stack([part_pixels(style, parts[i]) for i in rows]))
            for i, vector in zip(rows, vectors, strict=True):
                out[i] = vector
        return np.stack(out)


@register_embedder("autoencoder")
class AutoencoderEmbedder(_AutoencoderBase):
    """The FaceAutoencoder's bottleneck with trained weights, one network for all parts.

    `weights`: a path to a checkpoint from `moji train autoencoder` (full or exported), or None
    for the shipped `autoencoder-parts-v1.pt`. `device`: cpu, cuda, ... (default: cuda when
    available, or $MOJI_DEVICE).
    """

    def __init__(self, weights: str | Path | None = None, device: str | None = None) -> None:
        self.weights_path = Path(weights) if weights else _shipped(AUTOENCODER_PARTS_V1)
        encoder = load_encoder(self.weights_path, pick_device(device))
        self.encoders = dict.fromkeys(PART_KINDS, encoder)
        self.version = f"1+{encoder.version}"


@register_embedder("autoencoder_perpart")
class PerPartAutoencoderEmbedder(_AutoencoderBase):
    """One FaceAutoencoder per part kind where a specialised one exists, the shared one elsewhere.

    `weights`: {kind: path} overriding the shipped files (mouth: autoencoder-mouth-v1.pt; the
    other kinds: autoencoder-parts-v1.pt).
    """

    def __init__(self, weights: dict[str, str | Path] | None = None,
                 device: str | None = None) -> None:
        device = pick_device(device)
        paths = {kind: _shipped(AUTOENCODER_PARTS_V1) for kind in PART_KINDS}
        paths["mouth"] = _shipped(AUTOENCODER_MOUTH_V1)
        paths.update({kind: Path(p) for kind, p in (weights or {}).items()})
        loaded = {p: load_encoder(p, device) for p in set(paths.values())}
        self.encoders = {kind: loaded[paths[kind]] for kind in PART_KINDS}
        self.version = "1+" + "-".join(self.encoders[k].version[:6] for k in PART_KINDS)


@register_embedder("autoencoder_untrained")
class UntrainedAutoencoderEmbedder(_AutoencoderBase):
    """The same network, randomly initialised with a fixed seed: the baseline to beat."""

    version = f"1+seed{RANDOM_SEED}"

    def __init__(self, device: str | None = None, seed: int = RANDOM_SEED) -> None:
        import torch

        from ..nets.autoencoder import FaceAutoencoder

        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = FaceAutoencoder()
        encoder = Encoder(model, AUTOENCODER_PARTS_V1.transforms, pick_device(device), "")
        self.encoders = dict.fromkeys(PART_KINDS, encoder)
