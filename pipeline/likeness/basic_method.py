"""Likeness without BiSeNet: landmarks, the MediaPipe selfie segmenter (Apache-2.0) and colour.

The selfie segmenter gives the person; the person minus the face outline, above the shoulders,
is where hair and headwear can be. Pixels there that are coloured like the face's skin are
skin (a bald scalp, ears, neck); the rest is hair. Glasses come from edges across the nose
bridge and under the eyes; headwear only from a scalp whose colour is neither skin nor the hair
at the temples. Skin and facial hair are measured as in common.measure_common.

Worse than BiSeNet (moji/evaluate_likeness.py measures by how much), but with no torch and no
non-commercial weights, and a few tens of milliseconds per face.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..quiet import native_quiet
from .age import age_signs, line_score
from .colour import hex_to_rgb, srgb_to_lab
from .common import measure_common
from .eyes import measure_eyes
from .frame import face_regions, head_frame
from .glasses import glasses_from_eyes
from .guesses import rank_headwear, rank_lengths, rank_styles
from .hair import rank_hair_colours
from .hair_colour import name_hair_colour
from .light import body_colour
from .options import LikenessOptions, find_segmenter
from .types import Likeness
from .vocabulary import HAIR_SWATCHES

if TYPE_CHECKING:  # pragma: no cover
    from ..analyze import FaceAnalysis

FRAME = 256  # the segmenter's own input size
# Tuned on eval/likeness.csv (see moji/evaluate_likeness.py).
# Glasses from edges are weak on small photos: these keep 95% of faces without glasses right
# and find about 60% of sunglasses but only ~20% of clear glasses.
BRIDGE_EDGES = 3.0
SUNGLASSES_BAND = 0.3  # median luma around the eyes / cheek luma
HAIR_DELTA_E = 14.0  # Lab distance from the skin colour above which a pixel is not skin
BALD_SKIN = 0.85  # skin-coloured share of the person above the forehead...
BALD_HAIR = 0.03  # ...and hair-coloured share: a bald head


class BasicLikeness:
    def __init__(self, options: LikenessOptions) -> None:
        from mediapipe.tasks.python import BaseOptions, vision

        path = find_segmenter(options)
        seg_options = vision.ImageSegmenterOptions(
            base_options=BaseOptions(model_asset_path=str(path)),
            running_mode=vision.RunningMode.IMAGE,
            output_confidence_masks=True, output_category_mask=False)
        with native_quiet():
            self._segmenter = vision.ImageSegmenter.create_from_options(seg_options)

    def person(self, image: np.ndarray) -> np.ndarray:
        import mediapipe as mp

        result = self._segmenter.segment(mp.Image(image_format=mp.ImageFormat.SRGB,
                                                  data=np.ascontiguousarray(image)))
        return result.confidence_masks[0].numpy_view().reshape(image.shape[:2]) > 0.5

    def measure(self, rgb: np.ndarray, face: FaceAnalysis) -> Likeness:
        frame = head_frame(rgb, face, FRAME)
        regions = face_regions(frame)
        common = measure_common(rgb, face, frame, regions)
        person = self.person(frame.image) & frame.valid
        d = frame.eye_distance
        yy, xx = np.mgrid[0:FRAME, 0:FRAME]
        cx = float(frame.points[168, 0])
        half_w = regions.face_width / 2
        eye_y = float(frame.points[[33, 263], 1].mean())
        lab = srgb_to_lab(frame.image.astype(np.float64))
        skin_lab = np.median(lab[regions.cheeks], axis=0) if regions.cheeks.any() else \
            np.array([60.0, 12.0, 18.0])
        # Lightness counts half: a lit scalp and a shaded temple are both skin.
        diff = lab - skin_lab
        delta = np.sqrt((0.5 * diff[..., 0]) ** 2 + diff[..., 1] ** 2 + diff[..., 2] ** 2)
        if common.grey:
            delta = np.abs(diff[..., 0])
        head = person & ~regions.oval & (np.abs(xx - cx) < 1.6 * half_w)
        not_skin = delta > HAIR_DELTA_E
        scalp = ((yy < regions.top_y + 0.05 * d) & (yy > regions.top_y - 0.8 * d)
                 & (np.abs(xx - cx) < 0.8 * half_w))
        seen = scalp & frame.valid
        n = max(1, int(seen.sum()))
        scalp_person = float((person & seen).sum() / n)
        scalp_hair = float((person & seen & not_skin).sum() / n)
        scalp_skin = float((person & seen & ~not_skin).sum() / n)
        hair = head & not_skin & (yy < regions.chin_y + 1.2 * d)
        # Hair below the ears must look like the hair on top (else it is a collar or a scarf).
        top_hair = hair & (yy < eye_y)
        glasses = self.glasses(frame, regions)
        seen_share = float(seen.sum() / max(1, scalp.sum()))
        headwear = "none"
        if top_hair.sum() > 30:
            hair_lab = np.median(lab[top_hair], axis=0)
            like_top = np.linalg.norm(lab - hair_lab, axis=-1) < 18
            hair = hair & (like_top | (yy < eye_y))
            temples = top_hair & (yy > regions.brow_y - 0.2 * d)
            crown = top_hair & (yy < regions.top_y - 0.3 * d)
            if temples.sum() > 20 and crown.sum() > 20 and not common.grey:
                t, c = np.median(lab[temples], axis=0), np.median(lab[crown], axis=0)
                # A crown far from the temples' colour, and saturated or bright: headwear.
                if np.linalg.norm(t - c) > 30 and (np.hypot(c[1], c[2]) > 25 or c[0] > 70):
                    headwear = "other"
        sides = hair & (np.abs(xx - cx) > 0.55 * half_w) & (yy > eye_y + 0.4 * d)
        lowest = float((np.percentile(yy[sides], 97) - eye_y) / d) if sides.sum() > 20 else 0.0
        chin_below_eyes = (regions.chin_y - eye_y) / d
        # Tight crops make the person mask cover the whole frame, so length is read only
        # when the evidence is strong; otherwise "short", the most common answer.
        if seen_share > 0.3 and scalp_person > 0.8 and scalp_skin > BALD_SKIN \
                and scalp_hair < BALD_HAIR and headwear == "none":
            length, style = "none", "bald"
        elif sides.sum() / d**2 > 1.0 and lowest > chin_below_eyes + 0.35 \
                and (person[:, :int(0.1 * FRAME)].mean() < 0.5):
            length, style = "long", "long_straight"
        else:
            length, style = "short", "short"
        core = hair & (yy < eye_y)
        if core.sum() < 20:
            core = hair
        seen = bool(core.sum() >= 5)  # enough hair to read its colour
        if seen:
            hair_rgb = tuple(int(round(c)) for c in common.light.apply(
                body_colour(frame.image[core])))
            colour = name_hair_colour(hair_rgb, grey_photo=common.grey)
        else:
            hair_rgb, colour = hex_to_rgb(HAIR_SWATCHES["dark_brown"]), "dark_brown"
        self.last_features = {**common.facial_hair_features, "scalp_person": scalp_person,
                              "scalp_hair": scalp_hair, "scalp_skin": scalp_skin,
                              "hair_lowest": lowest, **self.last_glasses}
        colour = None if length == "none" else colour
        eye_colour, eye_rgb, eye_ranked = measure_eyes(frame, regions, common.light,
                                                       common.grey)
        lines = line_score(frame, regions)
        signs, signs_ranked = age_signs(colour, common.facial_hair_colour_name, lines)
        likeness = Likeness(
            hair_length=length, hair_colour=colour,
            hair_rgb=hair_rgb, hair_style=style, facial_hair=common.facial_hair,  # type: ignore[arg-type]
            hair_colour_read=seen and length != "none",
            facial_hair_rgb=common.facial_hair_rgb,
            glasses=glasses, headwear=headwear, skin_rgb=common.skin_rgb, monk=common.monk,
            lips_rgb=common.lips_rgb, eye_colour=eye_colour, eye_rgb=eye_rgb,
            age_signs=signs)
        likeness.guesses = {
            "hair_colour": ("bald",) if colour is None else
            rank_hair_colours(srgb_to_lab(np.array(hair_rgb, np.float64)), common.grey)[:3],
            "hair_length": rank_lengths(length), "hair_style": rank_styles(style, length),
            "facial_hair": common.facial_hair_ranked[:3], "headwear": rank_headwear(headwear),
            "eye_colour": eye_ranked[:3], "age_signs": signs_ranked}
        return likeness

    def glasses(self, frame, regions) -> str:
        cues = glasses_from_eyes(frame, regions)
        self.last_glasses = cues
        self.last_features_glasses = cues
        if cues["eye_band_dark"] < SUNGLASSES_BAND:
            return "sunglasses"
        if cues["bridge_edges"] > BRIDGE_EDGES:
            return "glasses"
        return "none"

    def close(self) -> None:
        if getattr(self, "_segmenter", None) is not None:
            with native_quiet():
                self._segmenter.close()
            self._segmenter = None
