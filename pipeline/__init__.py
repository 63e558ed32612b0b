"""Moji's image pipeline: photo -> faces -> parts -> embeddings -> matched style parts -> PNG.

Pure image work: no Telegram, no Redis, no file I/O beyond reading model and style files.
The exports load lazily, so that `pipeline.style` or `pipeline.errors` can be imported (by the
bot) without pulling in the analyzer and its native libraries.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .errors import MojiError
    from .pipeline import GroupSticker, Pipeline, PipelineOptions, Sticker

_EXPORTS = {"MojiError": ".errors", "Pipeline": ".pipeline", "PipelineOptions": ".pipeline",
            "Sticker": ".pipeline", "GroupSticker": ".pipeline"}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["GroupSticker", "MojiError", "Pipeline", "PipelineOptions", "Sticker"]
