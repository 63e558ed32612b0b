"""Likeness with BiSeNet (face-parsing.PyTorch's 79999_iter.pth, 19 CelebAMask-HQ classes).

The weights were trained on CelebAMask-HQ, whose images are for non-commercial research only.

The photo is warped into a head frame framed like CelebAMask-HQ (frame.head_frame) and parsed
once; hair (hair.py), hat (headwear.py) and glasses (glasses.py) come from its classes and their
shapes. Skin, facial hair and lips are measured as in common.measure_common, with BiSeNet's
skin class keeping hair, glasses and hands out of the skin samples. torch is imported only when
a BiSeNetLikeness is made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..errors import MojiError
from .classes import HAIR, L_LIP, SKIN, U_LIP
from .common import measure_common
from .facial_hair import facial_hair_colour
from .frame import face_regions, head_frame
from .glasses import measure_glasses
from .hair import hair_colour, measure_hair, regions_lower
from .headwear import measure_headwear
from .options import LikenessOptions, find_bisenet_weights
from .types import Likeness

if TYPE_CHECKING:  # pragma: no cover
    from ..analyze import FaceAnalysis


class BiSeNetLikeness:
    def __init__(self, options: LikenessOptions) -> None:
        import torch

        from ..bisenet import BiSeNetParser

        path = find_bisenet_weights(options)
        if path is None or not path.is_file():
            raise MojiError("weights_missing", "The bisenet likeness needs 79999_iter.pth: run "
                            "`moji models fetch bisenet`, or set MOJI_LIKENESS=basic.")
        self._torch = torch
        self.parser = BiSeNetParser(weights=path, device=options.device)
        self.size = int(options.size)

    def labels(self, image: np.ndarray) -> np.ndarray:
        """(S, S, 3) uint8 -> (S, S) uint8 BiSeNet classes."""
        with self._torch.inference_mode():
            x = self.parser.transforms(image[None], self.parser.device)
            # The checkpoint wants 512; the transform resizes to it. Parse at our own size
            # instead: the network is fully convolutional and 384 is ~2x faster on a CPU.
            if x.shape[-1] != self.size:
                x = self._torch.nn.functional.interpolate(x, size=(self.size, self.size),
                                                          mode="bilinear", align_corners=False)
            logits = self.parser.model.parse(x)
            return logits[0].argmax(0).to(self._torch.uint8).cpu().numpy()

    def measure(self, rgb: np.ndarray, face: FaceAnalysis) -> Likeness:
        frame = head_frame(rgb, face, self.size)
        labels = self.labels(frame.image)
        labels[~frame.valid] = 0
        regions = face_regions(frame)
        lower = (regions.chin | regions.jaw)
        beard_hair = float((labels[lower] == HAIR).mean()) if lower.any() else 0.0
        common = measure_common(rgb, face, frame, regions, skin=labels == SKIN,
                                lips=np.isin(labels, (U_LIP, L_LIP)), beard_hair=beard_hair)
        glasses, glasses_feats = measure_glasses(frame, regions, labels)
        headwear, hat_feats = measure_headwear(frame, regions, labels)
        length, style, hair_feats = measure_hair(frame, regions, labels, headwear != "none")
        hair_mask = (labels == HAIR) & ~(regions.oval & (regions_lower(frame, regions)))
        colour, hair_rgb = hair_colour(frame, hair_mask, common, length)
        likeness = Likeness(
            hair_length=length, hair_colour=colour, hair_rgb=hair_rgb, hair_style=style,
            facial_hair=common.facial_hair,
            facial_hair_rgb=facial_hair_colour(frame, regions, common.facial_hair, common.light),
            glasses=glasses, headwear=headwear, skin_rgb=common.skin_rgb, monk=common.monk,
            lips_rgb=common.lips_rgb)
        self.last_features = {**common.facial_hair_features, **hat_feats, **hair_feats,
                              **glasses_feats}
        return likeness

    def close(self) -> None:
        self.parser = None  # type: ignore[assignment]
