"""Likeness with BiSeNet (face-parsing.PyTorch's 79999_iter.pth, 19 CelebAMask-HQ classes).

The weights were trained on CelebAMask-HQ, whose images are for non-commercial research only.

The photo is warped into a head frame framed like CelebAMask-HQ (frame.head_frame) and parsed
once; hair (hair.py), hat (headwear.py) and glasses (glasses.py) come from its classes and their
shapes. Skin, facial hair and lips are measured as in common.measure_common, with BiSeNet's
skin class keeping hair, glasses and hands out of the skin samples. torch is imported only when
a BiSeNetLikeness is made.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..errors import MojiError
from .age import age_signs, line_score
from .classes import HAIR, L_LIP, SKIN, U_LIP
from .common import measure_common
from .earrings import measure_earrings
from .eyes import measure_eyes
from .facial_hair import beard_hair_share
from .frame import HeadFrame, face_regions, head_frame
from .glasses import measure_glasses
from .guesses import rank_headwear, rank_lengths, rank_styles
from .hair import measure_hair, read_hair_colour, regions_lower
from .headwear import measure_headwear, refine_headwear
from .options import LikenessOptions, find_bisenet_weights
from .types import Likeness

if TYPE_CHECKING:  # pragma: no cover
    from ..analyze import FaceAnalysis


class BiSeNetLikeness:
    def __init__(self, options: LikenessOptions) -> None:
        import torch  # noqa: F401  (without torch: fail here, before looking for weights)

        from ..bisenet import BiSeNetParser

        path = find_bisenet_weights(options)
        if path is None or not path.is_file():
            raise MojiError("weights_missing", "The bisenet likeness needs 79999_iter.pth: run "
                            "`moji models fetch bisenet`, or set MOJI_LIKENESS=basic.")
        self.parser = BiSeNetParser(weights=path, device=options.device)
        self.size = int(options.size)

    def labels(self, image: np.ndarray) -> np.ndarray:
        """(S, S, 3) uint8 -> (S, S) uint8 BiSeNet classes. The checkpoint wants 512; it parses
        at our own size instead: the network is fully convolutional and 384 is ~2x faster on a
        CPU."""
        return self.parser.parse_many([image], size=self.size)[0]

    def measure(self, rgb: np.ndarray, face: FaceAnalysis) -> Likeness:
        frame = head_frame(rgb, face, self.size)
        return self._measure_parsed(rgb, face, frame, self.labels(frame.image))

    def measure_many(self, rgb: np.ndarray, faces: Sequence[FaceAnalysis]) -> list[Likeness]:
        """Every face of one photo, their head frames parsed in one batch (what makes a GPU
        pay: one forward pass for a group photo, not one per face). Each likeness equals
        `measure`'s of that face."""
        frames = [head_frame(rgb, face, self.size) for face in faces]
        labels = self.parser.parse_many([frame.image for frame in frames], size=self.size)
        return [self._measure_parsed(rgb, face, frame, face_labels)
                for face, frame, face_labels in zip(faces, frames, labels, strict=True)]

    def _measure_parsed(self, rgb: np.ndarray, face: FaceAnalysis, frame: HeadFrame,
                        labels: np.ndarray) -> Likeness:
        labels[~frame.valid] = 0
        regions = face_regions(frame)
        skin = labels == SKIN
        beard_hair = beard_hair_share(regions, labels)
        common = measure_common(rgb, face, frame, regions, skin=skin,
                                lips=np.isin(labels, (U_LIP, L_LIP)), beard_hair=beard_hair)
        glasses, glasses_feats = measure_glasses(frame, regions, labels)
        headwear, hat_feats = measure_headwear(frame, regions, labels)
        headwear, headwear_rgb, kind_feats = refine_headwear(frame, regions, labels, headwear,
                                                             common.light)
        length, style, hair_feats = measure_hair(frame, regions, labels, headwear != "none")
        hair_mask = (labels == HAIR) & ~(regions.oval & (regions_lower(frame, regions)))
        hair = read_hair_colour(frame, hair_mask, common.light, common.grey)
        colour = None if length == "none" else hair.name
        eye_colour, eye_rgb, eye_ranked = measure_eyes(frame, regions, common.light,
                                                       common.grey)
        earrings, earring_feats = measure_earrings(frame, regions, labels)
        lines = line_score(frame, regions, skin)
        signs, signs_ranked = age_signs(colour, common.facial_hair_colour_name, lines)
        likeness = Likeness(
            hair_length=length, hair_colour=colour, hair_rgb=hair.rgb, hair_style=style,
            hair_highlight_rgb=None if length == "none" else hair.highlight_rgb,
            hair_colour_read=length != "none" and "hair_L" in hair.features,
            facial_hair=common.facial_hair, facial_hair_rgb=common.facial_hair_rgb,
            glasses=glasses, headwear=headwear, headwear_rgb=headwear_rgb,
            skin_rgb=common.skin_rgb, monk=common.monk, lips_rgb=common.lips_rgb,
            eye_colour=eye_colour, eye_rgb=eye_rgb, age_signs=signs, earrings=earrings)
        likeness.guesses = {
            "hair_colour": ("bald",) if colour is None else hair.ranked[:3],
            "hair_length": rank_lengths(length),
            "hair_style": rank_styles(style, length),
            "facial_hair": common.facial_hair_ranked[:3],
            "headwear": rank_headwear(headwear),
            "eye_colour": eye_ranked[:3],
            "age_signs": signs_ranked,
        }
        self.last_features = {**common.facial_hair_features, **hat_feats, **hair_feats,
                              **glasses_feats, **kind_feats, **hair.features, **earring_feats,
                              "age_lines": lines}
        return likeness

    def close(self) -> None:
        self.parser = None  # type: ignore[assignment]
