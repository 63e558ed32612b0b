"""What both methods measure the same way: the light, skin, facial hair and lips."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .colour import is_greyscale
from .facial_hair import decide_facial_hair, facial_hair_colour, facial_hair_features
from .frame import FaceRegions, HeadFrame
from .light import USE_WHITES, Light, estimate_light, find_whites, lit_median
from .skin import skin_from_pixels

if TYPE_CHECKING:  # pragma: no cover
    from ..analyze import FaceAnalysis


@dataclass
class Common:
    """What both methods measure the same way: the light, skin, facial hair, lips."""

    grey: bool
    light: Light
    skin_rgb: tuple[int, int, int]
    monk: int
    facial_hair: str
    facial_hair_features: dict[str, float]
    lips_rgb: tuple[int, int, int] | None
    facial_hair_rgb: tuple[int, int, int] | None = None
    facial_hair_colour_name: str | None = None  # a HAIR_COLOURS name: grey, white, ...
    facial_hair_ranked: tuple[str, ...] = ()


def measure_common(rgb: np.ndarray, face: FaceAnalysis, frame: HeadFrame, regions: FaceRegions,
                   skin: np.ndarray | None = None, lips: np.ndarray | None = None,
                   beard_hair: float = 0.0) -> Common:
    """Light, skin, facial hair and lips; `skin`/`lips` masks from a parser when there is one.

    `beard_hair`: the fraction of the chin and jaw a parser calls hair (BiSeNet sometimes
    does, for full beards).
    """
    grey = is_greyscale(rgb)
    whites = find_whites(frame, regions, face.blendshapes.get("jawOpen", 0.0)) \
        if USE_WHITES else None
    light = estimate_light(rgb, whites, grey_photo=grey)
    skin_mask = regions.cheeks if skin is None else regions.cheeks & skin
    if skin_mask.sum() < 10:
        skin_mask = regions.cheeks if regions.cheeks.sum() >= 10 else regions.oval & frame.valid
    skin_rgb, monk = skin_from_pixels(frame.image[skin_mask], light, grey_photo=grey)
    feats = facial_hair_features(frame, regions, skin)
    feats["beard_hair"] = beard_hair
    facial_hair, ranked = decide_facial_hair(feats, beard_hair)
    beard_rgb, beard_name = facial_hair_colour(frame, regions, facial_hair, light, grey)
    lip_mask = regions.lips if lips is None else lips & regions.lips
    lips_rgb = None
    if lip_mask.sum() >= 10 and not grey:
        lips_rgb = tuple(int(c) for c in light.apply(lit_median(frame.image[lip_mask])))
    return Common(grey, light, skin_rgb, monk, facial_hair, feats, lips_rgb,  # type: ignore[arg-type]
                  beard_rgb, beard_name, ranked)
