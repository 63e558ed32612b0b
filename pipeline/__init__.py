"""Moji's image pipeline: photo -> faces -> parts -> embeddings -> matched style parts -> PNG.

Pure image work: no Telegram, no Redis, no file I/O beyond reading model and style files.
"""

from .errors import MojiError
from .pipeline import Pipeline, PipelineOptions, Sticker

__all__ = ["MojiError", "Pipeline", "PipelineOptions", "Sticker"]
