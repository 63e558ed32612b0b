"""How to measure a likeness (LikenessOptions) and where its model files are."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import MojiError


@dataclass
class LikenessOptions:
    """How to measure likeness: method "auto" | "bisenet" | "basic" (default $MOJI_LIKENESS)."""

    method: str = field(default_factory=lambda: os.environ.get("MOJI_LIKENESS") or "auto")
    bisenet_weights: Path | None = None  # default: the model store, then $MOJI_BISENET_WEIGHTS
    segmenter_model: Path | None = None  # default: the model store's selfie_segmenter.tflite
    device: str | None = None
    size: int = 384  # BiSeNet input: 384 keeps one CPU core under 400 ms (512 is the original)


def find_bisenet_weights(options: LikenessOptions) -> Path | None:
    """The BiSeNet checkpoint: the options' path, else what the face parser finds
    (pipeline.bisenet.find_weights: $MOJI_BISENET_WEIGHTS, the torch hub folder, the model
    store), never downloading: its weights are for non-commercial research, so a user fetches
    them on purpose (`moji models fetch bisenet`)."""
    if options.bisenet_weights:
        return Path(options.bisenet_weights).expanduser()
    from ..bisenet import find_weights

    return find_weights(allow_download=False)


def find_segmenter(options: LikenessOptions) -> Path:
    if options.segmenter_model:
        return Path(options.segmenter_model).expanduser()
    from .. import models

    model = getattr(models, "SELFIE_SEGMENTER", None)
    if model is not None:
        return models.model_path(model)
    env = os.environ.get("MOJI_SELFIE_SEGMENTER")
    if env:
        return Path(env).expanduser()
    path = models.cache_dir() / "selfie_segmenter.tflite"
    if not path.is_file():
        raise MojiError("model_missing",
                        f"{path} does not exist. Run `moji models fetch selfie_segmenter`.")
    return path


def bisenet_unavailable(options: LikenessOptions) -> str | None:
    try:
        import torch  # noqa: F401
    except ImportError:
        return "torch is not installed"
    try:
        path = find_bisenet_weights(options)
    except MojiError as exc:
        return exc.message
    if path is None or not path.is_file():
        return "the BiSeNet weights (79999_iter.pth) are not in the model cache"
    return None
