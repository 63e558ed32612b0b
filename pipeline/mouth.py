"""The mouth reader: a small CNN over the aligned mouth patch, run in numpy.

The face mesh sees a mouth's outline, not its pixels: a faint closed smile moves the corners
less than the landmarker's noise, and lips just parted read as shut. The pixels show both (the
creases beside the corners, the dark gap or the teeth between the lips). This network looks at
a 64x48 patch of the photo around the mouth, cut in the canonical face frame, and gives two
logits: smiling (smile or grin) and lips apart (grin or open). `pipeline.embedders.expression`
adds them to its landmark evidence.

Trained by `moji train mouth` (moji/train_mouth.py, torch) on photos labelled by eye; the
weights ship in pipeline/weights/ (MODEL_CARD.md). Inference is plain numpy (three 3x3
convolutions, about 2.5 ms on one core), so the default embedder still needs no torch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .errors import MojiError

WEIGHTS_FILE = Path(__file__).parent / "weights" / "mouth-v1.npz"
# The patch: canonical-frame pixels x 89..217, y 178..274 (the mouth centre is at 153, 218 and
# the eyes 92 px apart), sampled at half scale. It holds an open mouth and the smile creases.
PATCH_WIDTH, PATCH_HEIGHT = 64, 48
PATCH_LEFT, PATCH_TOP, PATCH_SCALE = 89.0, 178.0, 0.5


def mouth_patch(rgb: np.ndarray, frame_matrix: np.ndarray) -> np.ndarray:
    """The (48, 64, 3) uint8 patch around the mouth, from the photo and its 2x3 image-to-frame
    matrix (`AlignedFace.matrix`)."""
    import cv2

    to_patch = np.array([[PATCH_SCALE, 0.0, -PATCH_LEFT * PATCH_SCALE],
                         [0.0, PATCH_SCALE, -PATCH_TOP * PATCH_SCALE], [0.0, 0.0, 1.0]])
    matrix = (to_patch @ np.vstack([frame_matrix, [0.0, 0.0, 1.0]]))[:2]
    return cv2.warpAffine(rgb, matrix, (PATCH_WIDTH, PATCH_HEIGHT), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)


def standardise(patch: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 -> (3, H, W) float32 with zero mean and unit spread over the patch, so
    that exposure and contrast do not count (the training script does the same in torch)."""
    x = np.ascontiguousarray(patch.transpose(2, 0, 1), dtype=np.float32)
    return (x - x.mean()) / (x.std(ddof=1) + 1e-3)


def _conv_relu_pool(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """3x3 convolution (padding 1), ReLU and 2x2 max pooling on a (C, H, W) array.

    Nine matrix products over shifted views: far cheaper than building the im2col matrix."""
    channels, height, width = x.shape
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    out = np.zeros((weight.shape[0], height * width), np.float32)
    for dy in range(3):
        for dx in range(3):
            out += weight[:, :, dy, dx] @ padded[:, dy:dy + height, dx:dx + width].reshape(
                channels, -1)
    out = np.maximum(out + bias[:, None], 0.0).reshape(-1, height, width)
    # 2x2 max pooling as three maxima of strided views (a reshape and max over two axes takes
    # half again as long)
    return np.maximum(np.maximum(out[:, 0::2, 0::2], out[:, 0::2, 1::2]),
                      np.maximum(out[:, 1::2, 0::2], out[:, 1::2, 1::2]))


@dataclass
class MouthEvidence:
    """The reader's two logits (> 0 says yes)."""

    smiling: float
    apart: float


class MouthReader:
    """The network's weights and its forward pass (see `pipeline.nets.mouth.MouthNet`)."""

    def __init__(self, arrays: dict[str, np.ndarray], meta: dict) -> None:
        self.layers = [(arrays[f"conv{i}.weight"].astype(np.float32),
                        arrays[f"conv{i}.bias"].astype(np.float32)) for i in (1, 2, 3)]
        self.head = (arrays["head.weight"].astype(np.float32),
                     arrays["head.bias"].astype(np.float32))
        self.meta = meta

    @classmethod
    def from_file(cls, path: Path = WEIGHTS_FILE) -> MouthReader:
        try:
            with np.load(path) as data:
                arrays = {k: data[k] for k in data.files if k != "meta"}
                meta = json.loads(str(data["meta"])) if "meta" in data.files else {}
        except FileNotFoundError:
            raise MojiError("weights_missing", f"No mouth reader weights at {path}; reinstall "
                            "Moji or run `moji train mouth`.") from None
        except (OSError, ValueError, KeyError) as exc:
            raise MojiError("model_corrupt", f"{path} is not a mouth reader weight file ({exc})."
                            ) from None
        return cls(arrays, meta)

    def __call__(self, patch: np.ndarray) -> MouthEvidence:
        x = standardise(patch)
        for weight, bias in self.layers:
            x = _conv_relu_pool(x, weight, bias)
        smiling, apart = self.head[0] @ x.reshape(-1) + self.head[1]
        return MouthEvidence(float(smiling), float(apart))


@lru_cache(maxsize=1)
def default_reader() -> MouthReader:
    """The shipped reader, loaded once per process."""
    return MouthReader.from_file()
