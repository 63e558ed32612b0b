"""Issue 16's trait measures for the likeness stage: hair colour on recoloured copies under
light changes, clean faces, Monk agreement per person.

The shared colour photos are all dark-haired, so blonde, light brown, red, grey and white hair
are measured on copies whose hair (BiSeNet's hair mask, warped back into the photo) is
recoloured: each hair pixel keeps its shading (its luma over the hair's median luma) and
takes a target colour as it would look under the photo's own light (the target divided by
the light correction's gains), so that a right light correction gives the target back. The
copies are then put under the light changes of LIGHTS. What this cannot measure: real hair's
own texture and sheen per colour (blonde hair has brighter highlights than painted dark hair),
grey hair's mixture of white and dark strands, and BiSeNet's parse of light hair (the parse
of the original, dark hair is reused).

The people are split as the lead fixed for issue 16: HELD_OUT_COLOUR and greyscale people
whose sha1(identity) starts with 0-3 are never tuned on (held_out()).
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

HELD_OUT_COLOUR = frozenset({"HrithikRoshan", "KatrinaKaif", "SharmilaTagore", "Avinash"})
COLOUR_PEOPLE = frozenset({"Dwarakish", "Jayamadhuri", "Dileep", "FaridaJalal",
                           *HELD_OUT_COLOUR})

# Target hair colours in neutral light (sRGB), by the group a friend names at a glance.
HAIR_TARGETS: dict[str, dict[str, str]] = {
    "brown": {"brown": "#6b4a31", "light_brown": "#97714d", "auburn": "#8c3f24",
              "red": "#b4552c", "chestnut": "#7a4a2a"},
    "blonde": {"blonde": "#d2b274", "light_blonde": "#e2cc98", "golden": "#c89a5a",
               "ash_blonde": "#c2ae88"},
    "grey": {"grey": "#9b9a97", "dark_grey": "#7c7b79", "silver": "#bdbcb9",
             "white": "#e4e2dd"},
}

# Light changes: per-channel gains, or "flash" (brighter and washed out).
LIGHTS: dict[str, tuple[float, float, float] | str] = {
    "none": (1.0, 1.0, 1.0), "dark_50": (0.5, 0.5, 0.5), "bright_150": (1.5, 1.5, 1.5),
    "warm": (1.15, 1.0, 0.87), "cool": (0.87, 1.0, 1.15), "flash": "flash",
    "stage": (1.2, 0.85, 1.1),
}


def held_out(identity: str) -> bool:
    """True for the people issue 16's tuning must never see."""
    if identity in HELD_OUT_COLOUR:
        return True
    if identity in COLOUR_PEOPLE:
        return False
    return hashlib.sha1(identity.encode()).hexdigest()[0] in "0123"


def under_light(rgb: np.ndarray, light: str) -> np.ndarray:
    """The photo under one of LIGHTS."""
    change = LIGHTS[light]
    x = rgb.astype(np.float32)
    if change == "flash":
        x = x * 1.3 + 25.0
    else:
        x = x * np.array(change, np.float32)
    return np.clip(x, 0, 255).round().astype(np.uint8)


def hair_mask_in_photo(rgb_shape: tuple[int, ...], frame: Any, labels: np.ndarray) -> np.ndarray:
    """BiSeNet's hair (frame coordinates, beards left out) as a 0..1 alpha in the photo."""
    import cv2

    from pipeline.likeness.classes import HAIR
    from pipeline.likeness.frame import face_regions
    from pipeline.likeness.hair import regions_lower

    regions = face_regions(frame)
    hair = (labels == HAIR) & frame.valid & ~(regions.oval & regions_lower(frame, regions))
    h, w = rgb_shape[:2]
    alpha = cv2.warpAffine(hair.astype(np.float32), frame.matrix, (w, h),
                           flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return np.clip(alpha, 0, 1)


def recolour_hair(rgb: np.ndarray, alpha: np.ndarray, target: tuple[int, int, int],
                  gains: np.ndarray) -> np.ndarray:
    """`rgb` with the hair under `alpha` painted `target` (neutral light), as the photo's light
    (whose correction is `gains`) would show it; the hair's own shading is kept."""
    x = rgb.astype(np.float32)
    luma = x @ np.array([0.299, 0.587, 0.114], np.float32)
    inside = alpha > 0.5
    if inside.sum() < 10:
        return rgb.copy()
    shade = np.clip(luma / (float(np.median(luma[inside])) + 1.0), 0.3, 2.0) ** 0.8
    painted = np.array(target, np.float32) / np.asarray(gains, np.float32)
    new = painted[None, None, :] * shade[..., None]
    out = x * (1 - alpha[..., None]) + new * alpha[..., None]
    return np.clip(out, 0, 255).round().astype(np.uint8)


def time_likeness(paths: list[str], method: str = "bisenet", repeats: int = 3) -> dict:
    """Milliseconds per face of LikenessEstimator.measure (faces found first, not timed).

    Run it on one core to check the issue's budget (300 ms once per person):
    `taskset -c 0 python -m moji.likeness_traits bench PHOTO...`.
    """
    import time

    from pipeline.analyze import AnalyzerOptions, FaceAnalyzer
    from pipeline.decode import decode_image
    from pipeline.likeness import LikenessEstimator, LikenessOptions

    found = []
    with FaceAnalyzer.create_from_options(AnalyzerOptions(max_faces=1)) as analyzer:
        for path in paths:
            with open(path, "rb") as f:
                rgb = decode_image(f.read()).rgb
            faces = analyzer.detect(rgb)
            if faces:
                found.append((rgb, faces[0]))
    times = []
    with LikenessEstimator.create_from_options(LikenessOptions(method=method)) as estimator:
        estimator.measure(*found[0])  # warm up
        for _ in range(repeats):
            for rgb, face in found:
                start = time.perf_counter()
                estimator.measure(rgb, face)
                times.append(1000 * (time.perf_counter() - start))
    return {"faces": len(found), "median_ms": float(np.median(times)),
            "p90_ms": float(np.percentile(times, 90))}


if __name__ == "__main__":  # pragma: no cover
    import argparse
    import json

    parser = argparse.ArgumentParser(description="issue 16's likeness trait measures")
    sub = parser.add_subparsers(dest="what", required=True)
    bench = sub.add_parser("bench", help="ms per face of the likeness")
    bench.add_argument("photos", nargs="+")
    bench.add_argument("--method", default="bisenet")
    args = parser.parse_args()
    print(json.dumps(time_likeness(args.photos, args.method)))
