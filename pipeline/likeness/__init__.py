"""The likeness stage: hair, facial hair, glasses, headwear and skin tone, measured once per person.

`LikenessEstimator` follows the MediaPipe Tasks shape: `create_from_options` loads the models
once, `measure(rgb, face)` returns a `Likeness`, `close()` frees them. Two methods:

- "bisenet" (bisenet_method.py): the published experiment's face parser, BiSeNet
  with face-parsing.PyTorch's 79999_iter.pth (trained on CelebAMask-HQ, whose images are for
  non-commercial research only). The photo is warped into a head frame framed like
  CelebAMask-HQ (whole head, some shoulders) and parsed once; hair, hat and glasses come from
  its classes.
- "basic" (basic_method.py): landmarks, the MediaPipe selfie segmenter (Apache-2.0)
  and colour. No torch, no non-commercial weights; worse (see moji/evaluate_likeness.py).

"auto" picks bisenet when torch imports and the weights are found, else basic.

Facial hair and skin are measured the same way by both methods (BiSeNet calls beards skin):

- Facial hair: inside the face outline from the landmarks, the upper lip, the chin and the two
  jaw sides are compared with the upper cheeks of the same face: how much darker they are
  (median, 20th percentile, share of clearly dark pixels), how much rougher (high-pass energy)
  and how much greyer (saturation). The face's own cheeks as the reference cancel exposure and
  skin tone. A small softmax over those 15 ratios, fitted on the labelled shared photos, names
  none / stubble / moustache / goatee / beard.

- Skin under light. A photo's pixels are skin colour times the light. The light is estimated
  from references the photo itself gives, and divided out:
  1. colour cast: the "shades of grey" estimate of the whole photo (Minkowski p=6 norm of each
     channel, which a single coloured object sways less than the grey-world mean, unclipped
     pixels only). The cast is divided out relative to the typical estimate of a neutrally lit
     portrait (CAST_NEUTRAL), so a photo lit like most photos is left as it is (a face filling
     the frame makes the grey world skin-coloured; dividing it out completely would make
     everyone grey). Eye whites and teeth were tried as the white reference (find_whites) and
     made things worse on the small shared photos (a few dozen sclera pixels at best): they
     are off (USE_WHITES).
  2. exposure: the photo's bright reference, the 90th percentile of luma over the whole photo
     (a collar, a wall, the lit side of the face), pulled to a fixed level. The 97th clips
     when a photo is brightened. The correction is partial (EXPOSURE_STRENGTH 0.9): a
     dark-skinned face that fills a well exposed frame must stay darker than a light one, yet
     a light-skinned man in a photo darkened to 25% must not come out dark brown.
  3. the face's own shading: skin is the median of the lit half of the cheek and forehead
     pixels (the upper half by luma), not of the shadows.
  The corrected colour, times SKIN_TO_SWATCH (photo skin is shaded; the swatches are not), is
  mapped onto the Monk Skin Tone scale (Google, 2022) by the nearest swatch in CIELAB. On the
  540 shared colour photos (489 with a face found): 94% keep their Monk index within one step
  under all four light changes of the issue (darker 50%, brighter 150%, warm, cool), and 92%
  are within one step of the hand label. Without any correction: 5% and 63%.

Greyscale photos: hair colour from lightness only (black, dark_brown, grey, white where the
lightness says so clearly, else dark_brown), skin Monk from lightness only.

Where each part lives (one file per concern and per trait; no module imports one that imports
it back):

- vocabulary.py: the names of each trait's values and their swatches; types.py: `Likeness`
- colour.py: sRGB, CIELAB, the Monk scale; light.py: the light correction; frame.py: the head
  frame and the face's regions from landmarks; classes.py: BiSeNet's classes
- skin.py, hair_colour.py, hair.py, facial_hair.py, glasses.py, headwear.py, eyes.py,
  earrings.py, age.py: one trait each; guesses.py: ranked guesses for the rule-read traits
- common.py: what both methods measure the same way; bisenet_method.py, basic_method.py: the
  two methods; options.py: LikenessOptions and model files; estimator.py: LikenessEstimator
"""

from __future__ import annotations

from .colour import hex_to_rgb, image_luma, is_greyscale, monk_index, rgb_to_hex, srgb_to_lab
from .common import Common, measure_common
from .estimator import LikenessEstimator
from .facial_hair import classify_facial_hair, facial_hair_colour, facial_hair_features
from .frame import FaceRegions, HeadFrame, eye_band, face_regions, head_frame
from .glasses import glasses_from_eyes
from .hair_colour import name_hair_colour
from .light import Light, body_colour, estimate_light, lit_median
from .options import LikenessOptions, find_bisenet_weights, find_segmenter
from .skin import skin_from_pixels
from .types import Likeness
from .vocabulary import (
    AGE_SIGNS,
    EARRINGS,
    EYE_COLOURS,
    EYE_SWATCHES,
    FACIAL_HAIR,
    GLASSES,
    HAIR_COLOUR_GROUPS,
    HAIR_COLOURS,
    HAIR_LENGTHS,
    HAIR_STYLES,
    HAIR_SWATCHES,
    HAIRLINES,
    HEADWEAR,
    LIKENESS_KEYS,
    METHODS,
    MONK_SCALE,
)

__all__ = [
    "AGE_SIGNS", "EARRINGS", "EYE_COLOURS", "EYE_SWATCHES", "FACIAL_HAIR", "GLASSES",
    "HAIR_COLOUR_GROUPS", "HAIR_COLOURS", "HAIR_LENGTHS", "HAIR_STYLES", "HAIR_SWATCHES",
    "HAIRLINES", "HEADWEAR", "LIKENESS_KEYS", "METHODS", "MONK_SCALE", "Common", "FaceRegions",
    "HeadFrame", "Light", "Likeness", "LikenessEstimator", "LikenessOptions", "body_colour",
    "classify_facial_hair", "estimate_light", "eye_band", "face_regions", "facial_hair_colour",
    "facial_hair_features", "find_bisenet_weights", "find_segmenter", "glasses_from_eyes",
    "head_frame", "hex_to_rgb", "image_luma", "is_greyscale", "lit_median", "measure_common",
    "monk_index", "name_hair_colour", "rgb_to_hex", "skin_from_pixels", "srgb_to_lab",
]
