"""LikenessEstimator: picks a method, loads its models once, measures each face."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import MojiError
from .options import LikenessOptions, bisenet_unavailable
from .types import Likeness
from .vocabulary import METHODS

if TYPE_CHECKING:  # pragma: no cover
    from ..analyze import FaceAnalysis

log = logging.getLogger(__name__)


class LikenessEstimator:
    """Measures a Likeness from a photo and its FaceAnalysis; a context manager."""

    name: str

    def __init__(self, impl: Any, name: str) -> None:
        self._impl = impl
        self.name = name

    @classmethod
    def create_from_options(cls, options: LikenessOptions | None = None) -> LikenessEstimator:
        options = options or LikenessOptions()
        method = options.method
        if method not in METHODS:
            raise MojiError("bad_likeness", f"Unknown likeness method {method!r}: use one of "
                            f"{', '.join(METHODS)}.")
        if method == "auto":
            why = bisenet_unavailable(options)
            if why:
                log.info("likeness: using the basic method because %s", why)
                method = "basic"
            else:
                method = "bisenet"
        if method == "bisenet":
            from .bisenet_method import BiSeNetLikeness

            return cls(BiSeNetLikeness(options), "bisenet")
        from .basic_method import BasicLikeness

        return cls(BasicLikeness(options), "basic")

    def measure(self, rgb: np.ndarray, face: FaceAnalysis) -> Likeness:
        """The likeness of `face` in the photo `rgb` ((H, W, 3) uint8)."""
        return self._impl.measure(_as_rgb(rgb), face)

    def measure_many(self, rgb: np.ndarray, faces: Sequence[FaceAnalysis]) -> list[Likeness]:
        """The likeness of each of `faces` in one photo, in order: batched where the method can
        (BiSeNet parses all the head frames in one pass), else one by one."""
        rgb = _as_rgb(rgb)
        if hasattr(self._impl, "measure_many"):
            return self._impl.measure_many(rgb, faces)
        return [self._impl.measure(rgb, face) for face in faces]

    def close(self) -> None:
        if self._impl is not None:
            self._impl.close()
            self._impl = None

    def __enter__(self) -> LikenessEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _as_rgb(rgb: np.ndarray) -> np.ndarray:
    """(H, W) grey or (H, W, 3+) -> contiguous (H, W, 3), as both methods read it."""
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[..., None], 3, axis=2)
    return np.ascontiguousarray(rgb[..., :3])
