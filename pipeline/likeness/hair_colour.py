"""Hair colour names from a light-corrected hair colour (the hair's body, hair.py).

A Gaussian per colour name over the corrected body colour in CIELAB (HAIR_COLOUR_MODEL),
fitted on issue 16's tuning people only (Dwarakish, Jayamadhuri, Dileep, FaridaJalal): their
real, dark hair, and copies of their photos whose BiSeNet hair mask was recoloured to
brown, chestnut, light brown, auburn, red, four blondes, dark grey, grey, silver and white,
each under seven lights (none, x0.5, x1.5, warm, cool, flash, stage tint), read through the
same light correction as the skin (moji/likeness_traits.py makes the copies). On those
copies (8 photos a person, 4,900-5,900 readings) the group is right for: real dark hair 0.92 /
0.88 (tuning / held-out people), brown 0.91 / 0.95, blonde 0.81 / 0.82, grey 0.92 / 0.94;
the rule this replaces: 0.85 / 0.96, 0.65 / 0.62, 0.70 / 0.72, 0.64 / 0.65. Black and dark
brown are one group; black is the darkest, least coloured end of it (BLACK_L, BLACK_CHROMA).

Greyscale photos: lightness only (black, dark brown, grey, white where it says so clearly).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .colour import srgb_to_lab

# name -> (mean L, a, b; covariance), the body colour (20th-60th luma percentile) of the hair
HAIR_COLOUR_MODEL: dict[str, tuple[tuple[float, ...], tuple[tuple[float, ...], ...]]] = {
    "dark_brown": ((20.1, 8.1, 5.2), ((262.3, 54.4, 83.8), (54.4, 43.4, 29.4),
                                      (83.8, 29.4, 66.6))),
    "brown": ((31.2, 11.7, 20.0), ((51.4, 13.1, 18.0), (13.1, 21.7, 15.2),
                                   (18.0, 15.2, 23.7))),
    "light_brown": ((43.1, 8.7, 21.0), ((63.1, 9.3, 20.9), (9.3, 17.9, 8.1),
                                        (20.9, 8.1, 18.0))),
    "auburn": ((31.8, 24.9, 26.0), ((50.2, 12.1, 16.6), (12.1, 23.3, 16.7),
                                    (16.6, 16.7, 21.8))),
    "red": ((40.5, 27.8, 33.2), ((55.5, 20.4, 25.8), (20.4, 32.0, 26.0),
                                 (25.8, 26.0, 33.5))),
    "blonde": ((59.9, 5.1, 23.6), ((126.1, -11.1, 21.1), (-11.1, 26.7, 14.5),
                                   (21.1, 14.5, 53.3))),
    "grey": ((52.8, 1.4, 3.8), ((143.2, -1.8, 10.8), (-1.8, 24.0, 14.9),
                                (10.8, 14.9, 27.1))),
    "white": ((70.3, 3.3, 6.6), ((144.4, -21.4, 0.5), (-21.4, 29.2, 12.9),
                                 (0.5, 12.9, 34.1))),
}
# Dark hair is the most common by far: its likelihood is weighted up (chosen on the tuning
# people: the best mean over the four groups that keeps their real dark hair >= 0.92).
HAIR_COLOUR_PRIOR = {"dark_brown": 5.0}
BLACK_L = 14.0
BLACK_CHROMA = 10.0


def _log_likelihoods() -> dict[str, tuple[np.ndarray, np.ndarray, float]]:
    out = {}
    for name, (mean, cov) in HAIR_COLOUR_MODEL.items():
        c = np.array(cov)
        out[name] = (np.array(mean), np.linalg.inv(c), float(np.log(np.linalg.det(c))))
    return out


_MODEL = _log_likelihoods()


def hair_colour_scores(lab: Any) -> dict[str, float]:
    """Log-likelihood (with HAIR_COLOUR_PRIOR) of each colour name for a corrected body
    colour."""
    lab = np.asarray(lab, dtype=np.float64)[:3]
    scores = {}
    for name, (mean, inv, logdet) in _MODEL.items():
        diff = lab - mean
        scores[name] = float(-0.5 * diff @ inv @ diff - 0.5 * logdet
                             + np.log(HAIR_COLOUR_PRIOR.get(name, 1.0)))
    return scores


def _grey_photo_name(lightness: float) -> str:
    if lightness < 30:
        return "black"
    if lightness > 78:
        return "white"
    if lightness > 58:
        return "grey"
    return "dark_brown"


def ranked_hair_colours(lab: Any, grey_photo: bool = False) -> tuple[str, ...]:
    """Hair colour names for a corrected body colour (CIELAB), most likely first."""
    lab = np.asarray(lab, dtype=np.float64)[:3]
    if grey_photo:
        best = _grey_photo_name(float(lab[0]))
        order = {"black": ("black", "dark_brown", "grey"),
                 "dark_brown": ("dark_brown", "black", "grey"),
                 "grey": ("grey", "white", "dark_brown"), "white": ("white", "grey", "blonde")}
        return order[best]
    scores = hair_colour_scores(lab)
    ranked = sorted(scores, key=scores.get, reverse=True)
    if ranked[0] == "dark_brown" and lab[0] < BLACK_L and np.hypot(lab[1], lab[2]) < BLACK_CHROMA:
        ranked.insert(0, "black")
    elif ranked[0] == "dark_brown":
        ranked.insert(1, "black")
    return tuple(ranked)


def name_hair_colour(rgb: Any, grey_photo: bool = False) -> str:
    """A hair colour name for a light-corrected hair colour (sRGB)."""
    return ranked_hair_colours(srgb_to_lab(np.asarray(rgb, dtype=np.float64)[:3]),
                               grey_photo)[0]
