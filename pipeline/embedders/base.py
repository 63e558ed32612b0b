"""The embedder interface: one vector per face part, and one per style part, in one space."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np

from ..parse import ParsedFace
from ..style import Style, StylePart


class Embedder(ABC):
    """Turns face parts and style parts into vectors compared by cosine similarity.

    `name` is the registry key; bump `version` whenever the vectors change, so that style indexes
    built with an older version are rebuilt. `needs_pixels` says whether `embed_face` looks at the
    photo (masked crops) or only at landmarks and blendshapes.
    """

    name: ClassVar[str]
    version: ClassVar[str] = "1"
    needs_pixels: ClassVar[bool] = True

    @abstractmethod
    def embed_face(self, face: ParsedFace) -> dict[str, np.ndarray]:
        """One vector per part kind for a parsed photo face."""

    @abstractmethod
    def embed_part(self, part: StylePart, style: Style) -> np.ndarray:
        """The vector of one style part."""

    def embed_parts(self, parts: list[StylePart], style: Style) -> np.ndarray:
        """Vectors of many style parts, stacked (embedders with batched models override this)."""
        return np.stack([self.embed_part(part, style) for part in parts])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, version={self.version!r})"
