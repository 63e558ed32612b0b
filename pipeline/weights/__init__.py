"""Model weights, described the way torchvision describes them: where the file is, what input it
wants, and what is known about it (`meta`).

The autoencoder's weights ship in this folder (see MODEL_CARD.md). ResNet50's are torchvision's
standard ImageNet files, found in the torch hub cache or at $MOJI_RESNET50_WEIGHTS and fetched
with `moji models fetch resnet50`. BiSeNet's (face-parsing.PyTorch's 79999_iter.pth) have no
stable download URL and are read from $MOJI_BISENET_WEIGHTS.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import MojiError

if TYPE_CHECKING:  # pragma: no cover
    import torch

HERE = Path(__file__).parent
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class ImageTransform:
    """uint8 RGB images (N, H, W, 3) -> the float tensor (N, 3, h, w) a network expects.

    Resize the square crops to `resize` (bilinear, antialiased), centre-crop `crop`, scale to
    0..1, optionally to grey (kept as 3 channels), then normalise by `mean` and `std`.
    """

    resize: int | None = None
    crop: int | None = None
    mean: tuple[float, float, float] = (0.0, 0.0, 0.0)
    std: tuple[float, float, float] = (1.0, 1.0, 1.0)
    grey: bool = False

    def __call__(self, images: np.ndarray, device: str | torch.device = "cpu") -> torch.Tensor:
        import torch
        import torch.nn.functional as F

        x = torch.from_numpy(np.ascontiguousarray(images)).to(device).float()  # N, H, W, 3
        if self.grey:
            luma = torch.tensor([0.299, 0.587, 0.114], device=x.device)
            x = (x @ luma).unsqueeze(-1).expand(-1, -1, -1, 3)
        x = x.permute(0, 3, 1, 2).mul(1 / 255.0)
        if self.resize and x.shape[-1] != self.resize:
            x = F.interpolate(x, size=(self.resize, self.resize), mode="bilinear",
                              align_corners=False, antialias=True)
        if self.crop and x.shape[-1] != self.crop:
            top = (x.shape[-2] - self.crop) // 2
            left = (x.shape[-1] - self.crop) // 2
            x = x[..., top:top + self.crop, left:left + self.crop]
        if self.mean != (0.0, 0.0, 0.0) or self.std != (1.0, 1.0, 1.0):
            mean = torch.tensor(self.mean, device=x.device).view(1, 3, 1, 1)
            std = torch.tensor(self.std, device=x.device).view(1, 3, 1, 1)
            x = (x - mean) / std
        return x.contiguous(memory_format=torch.channels_last)


@dataclass(frozen=True)
class Weights:
    """One weight file: its name, where it comes from, the input it wants, and its facts."""

    name: str
    filename: str
    transforms: ImageTransform
    url: str | None = None  # None: ships with Moji, or has no stable public URL
    sha256_prefix: str | None = None  # checked on download, as torch.hub does
    env_var: str | None = None  # a path set here wins over every other place
    shipped: bool = False  # the file is in this folder, installed with Moji
    meta: dict = field(default_factory=dict, hash=False, compare=False)

    def candidates(self) -> list[Path]:
        """Where the file may be, in the order they are tried."""
        places = []
        if self.env_var and os.environ.get(self.env_var):
            places.append(Path(os.environ[self.env_var]).expanduser())
        if self.shipped:
            places.append(HERE / self.filename)
        places.append(torch_hub_dir() / self.filename)
        from ..models import cache_dir

        places.append(cache_dir() / self.filename)
        return places

    def find(self) -> Path | None:
        """The first place the file exists, or None."""
        return next((p for p in self.candidates() if p.is_file()), None)


def torch_hub_dir() -> Path:
    """torch.hub's checkpoint folder ($TORCH_HOME/hub/checkpoints), without importing torch."""
    torch_home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "torch")
    return Path(torch_home) / "hub" / "checkpoints"


DEVICE_CHOICES = ("auto", "cpu", "cuda")


def pick_device(device: str | None = None) -> str:
    """The torch device to run on: `device` if given, else $MOJI_DEVICE (auto | cpu | cuda, or
    cuda:N for one GPU of several); "auto" (the default) is cuda when torch sees a GPU, else
    cpu. Asking for cuda where there is none is an error that says so, not a silent CPU run."""
    device = (device or os.environ.get("MOJI_DEVICE") or "auto").strip().lower()
    if device.split(":")[0] not in DEVICE_CHOICES:
        raise MojiError("bad_device", f"MOJI_DEVICE must be auto, cpu or cuda (or cuda:N), not "
                        f"{device!r}.")
    if device == "cpu":
        return device
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if not torch.cuda.is_available():
        raise MojiError("bad_device", f"MOJI_DEVICE={device}, but torch sees no CUDA GPU "
                        f"(torch {torch.__version__}, CUDA build: {torch.version.cuda or 'no'}). "
                        "Install a CUDA build of torch or set MOJI_DEVICE=auto.")
    return device


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """A checkpoint's state_dict (a bare one, or under 'model' / 'state_dict'), as float32."""
    import torch

    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise MojiError("weights_missing", f"No weight file at {path}.") from None
    except Exception as exc:  # pickle, zip and torch errors all mean the same to a user
        raise MojiError("model_corrupt", f"{path} is not a readable PyTorch checkpoint ({exc}).")\
            from None
    for key in ("model", "state_dict"):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
    if not isinstance(obj, dict):
        raise MojiError("model_corrupt", f"{path} holds no state_dict.")
    return {k.removeprefix("module."): v.float() if v.is_floating_point() else v
            for k, v in obj.items()}


def load_into(model: torch.nn.Module, state: dict[str, torch.Tensor], source: str) -> None:
    """load_state_dict(strict=True), with a MojiError naming what did not fit."""
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).split("\n")[1:3]
        raise MojiError("model_corrupt", f"{source} does not fit {type(model).__name__}: "
                        + " ".join(s.strip() for s in first)) from None


def download(weights: Weights, folder: Path | None = None, progress: bool = True) -> Path:
    """Fetch a weight file into the torch hub cache (or `folder`), checking its hash prefix."""
    if not weights.url:
        raise MojiError("weights_missing", f"{weights.name} has no download URL. "
                        + weights.meta.get("how_to_get", ""))
    import torch.hub

    dst = (folder or torch_hub_dir()) / weights.filename
    if dst.is_file():
        return dst
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        torch.hub.download_url_to_file(weights.url, str(dst), hash_prefix=weights.sha256_prefix,
                                       progress=progress)
    except (OSError, RuntimeError) as exc:
        raise MojiError("weights_missing", f"Could not download {weights.url}: {exc}") from None
    return dst
