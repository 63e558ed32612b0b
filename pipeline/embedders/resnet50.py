"""The published experiment's first extractor: ImageNet ResNet50 without `fc` (2048-d).

Each 306x306 part crop (or rendered style part, over black) is resized to 232, centre-cropped to
224 and normalised as the weights require; the pooled layer4 features are the embedding.

The weights are torchvision's standard files. They cannot be downloaded on machines without
internet, so nothing is bundled: the embedder looks in $MOJI_RESNET50_WEIGHTS, the torch hub
cache and Moji's model cache, and fails with a message saying how to get them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import MojiError
from ..parse import PART_KINDS, ParsedFace
from ..style import Style, StylePart
from ..weights import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    ImageTransform,
    Weights,
    load_into,
    pick_device,
    read_state_dict,
    torch_hub_dir,
)
from . import register_embedder
from .autoencoder import part_pixels
from .base import Embedder

_COMMON_META = {"num_params": 25_557_032, "min_size": (1, 1), "gflops": 4.089,
                "license": "BSD-3-Clause (torchvision)"}
_HOW = ("Run `moji models fetch resnet50` where there is internet (it saves the file in the torch "
        "hub cache), or download it yourself and set MOJI_RESNET50_WEIGHTS=/path/to/file.pth.")


class ResNet50_Weights:  # noqa: N801  (torchvision's name)
    """torchvision's ResNet50 weights: the file names carry their sha256 prefix.

    The facts are torchvision's `ResNet50_Weights` (a test compares them); they are kept here too
    so that `moji models fetch resnet50` and the model list work without torch installed.
    """

    IMAGENET1K_V2 = Weights(
        name="resnet50.IMAGENET1K_V2",
        filename="resnet50-11ad3fa6.pth",
        url="https://download.pytorch.org/models/resnet50-11ad3fa6.pth",
        sha256_prefix="11ad3fa6",
        env_var="MOJI_RESNET50_WEIGHTS",
        transforms=ImageTransform(resize=232, crop=224, mean=IMAGENET_MEAN, std=IMAGENET_STD),
        meta={**_COMMON_META,
              "recipe": "https://github.com/pytorch/vision/issues/3995#issuecomment-1013906621",
              "acc@1": 80.858, "acc@5": 95.434, "how_to_get": _HOW},
    )
    IMAGENET1K_V1 = Weights(
        name="resnet50.IMAGENET1K_V1",
        filename="resnet50-0676ba61.pth",
        url="https://download.pytorch.org/models/resnet50-0676ba61.pth",
        sha256_prefix="0676ba61",
        env_var="MOJI_RESNET50_WEIGHTS",
        transforms=ImageTransform(resize=256, crop=224, mean=IMAGENET_MEAN, std=IMAGENET_STD),
        meta={**_COMMON_META, "recipe": "https://github.com/pytorch/vision/tree/main/references/"
              "classification#resnet", "acc@1": 76.130, "acc@5": 92.862, "how_to_get": _HOW},
    )
    DEFAULT = IMAGENET1K_V2

    @classmethod
    def all(cls) -> list[Weights]:
        return [cls.IMAGENET1K_V2, cls.IMAGENET1K_V1]


def find_weights() -> tuple[Path, Weights] | None:
    """The first ResNet50 file found, with the Weights entry it belongs to."""
    for weights in ResNet50_Weights.all():
        path = weights.find()
        if path is not None:
            if weights.env_var and path == weights.candidates()[0]:
                # a path given by hand: tell V1 from V2 by the name, default to V2's transforms
                named = [w for w in ResNet50_Weights.all() if w.sha256_prefix in path.name]
                return path, (named[0] if named else ResNet50_Weights.DEFAULT)
            return path, weights
    return None


@register_embedder("resnet50")
class ResNet50Embedder(Embedder):
    """ImageNet ResNet50 with `fc` removed.

    `weights`: a path to a torchvision ResNet50 state_dict, a `ResNet50_Weights` entry, None
    (look in $MOJI_RESNET50_WEIGHTS, the torch hub cache and Moji's cache) or "random" (an
    untrained network: only for tests of the plumbing). `device`: as for every torch embedder.
    """

    version = "1"
    needs_pixels = True
    batch = 16

    def __init__(self, weights: str | Path | Weights | None = None, device: str | None = None
                 ) -> None:
        import torch
        from torchvision.models import resnet50

        self._torch = torch
        self.device = pick_device(device)
        self.model = resnet50(weights=None)  # the file is found and checked here, see _resolve
        self.transforms = ResNet50_Weights.DEFAULT.transforms
        if isinstance(weights, str) and weights == "random":
            self.version = "1+random"
        else:
            path, entry = self._resolve(weights)
            load_into(self.model, read_state_dict(path), str(path))
            self.transforms = entry.transforms
            self.version = f"1+{entry.name}"
            self.weights_path = path
        self.model.fc = torch.nn.Identity()
        self.model.to(self.device, memory_format=torch.channels_last).eval()

    @staticmethod
    def _resolve(weights: str | Path | Weights | None) -> tuple[Path, Weights]:
        if isinstance(weights, Weights):
            path = weights.find()
            if path is None:
                raise MojiError("weights_missing", f"ResNet50 weights {weights.filename} not "
                                f"found in {torch_hub_dir()} or Moji's cache. {_HOW}")
            return path, weights
        if weights is not None:
            path = Path(weights).expanduser()
            if not path.is_file():
                raise MojiError("weights_missing", f"No ResNet50 weights at {path}. {_HOW}")
            named = [w for w in ResNet50_Weights.all() if w.sha256_prefix in path.name]
            return path, (named[0] if named else ResNet50_Weights.DEFAULT)
        found = find_weights()
        if found is None:
            places = ", ".join(str(p) for w in ResNet50_Weights.all() for p in w.candidates())
            raise MojiError("weights_missing",
                            f"The resnet50 embedder needs torchvision's ImageNet ResNet50 weights "
                            f"(resnet50-11ad3fa6.pth or resnet50-0676ba61.pth); none found in: "
                            f"{places}. {_HOW}")
        return found

    def embed_crops(self, crops: np.ndarray) -> np.ndarray:
        """(N, H, W, 3) uint8 crops -> (N, 2048) float32."""
        out = []
        with self._torch.inference_mode():
            for start in range(0, len(crops), self.batch):
                x = self.transforms(crops[start:start + self.batch], self.device)
                out.append(self.model(x).float().cpu().numpy())  # fc is Identity: pooled layer4
        return np.concatenate(out) if out else np.zeros((0, 2048), np.float32)

    def embed_face(self, face: ParsedFace) -> dict[str, np.ndarray]:
        vectors = self.embed_crops(np.stack([face.crop(kind) for kind in PART_KINDS]))
        return dict(zip(PART_KINDS, vectors, strict=True))

    def embed_part(self, part: StylePart, style: Style) -> np.ndarray:
        return self.embed_parts([part], style)[0]

    def embed_parts(self, parts: list[StylePart], style: Style) -> np.ndarray:
        return self.embed_crops(np.stack([part_pixels(style, part) for part in parts]))
