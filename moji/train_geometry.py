"""Fit the face-geometry norms: `moji train geometry [--option value]`.

Reads the shared face photos, finds each face with the pipeline's own analyzer (the landmarks,
blendshapes and pose are cached in `cache`, reused by the next run), and fits on the tuning
people only (never the held-out colour people HELD_OUT_COLOUR, nor the greyscale people whose
sha1(identity) starts with 0-3):

1. the reference: the mean frontal shape, by generalised Procrustes over the rigid points
   (pipeline.geometry.POSE_POINTS), started from the photo the landmarker saw most frontally
   and turned to face the camera (left-right symmetric in depth, eyes level);
2. per measure, the expression correction: least squares of the measure on its blendshapes
   (pipeline.geometry.MEASURES) within people (each person's photos minus that person's
   means), on people with two or more photos; blendshapes enter one by one while they raise
   the measure's ICC (some carry the face's shape as well as its expression);
3. per measure, the mean and standard deviation of the corrected measure over the photos;
4. the stability: ICC(1) per measure over people with several photos, before and after the
   correction, on the tuning people and on the held-out ones.

Writes `export` (pipeline/weights/face-geometry-v1.npz: the reference and a JSON `meta`) and
prints the figures.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from moji.evaluate_likeness import identity
from moji.paths import REPOSITORY, output_dir
from pipeline.align import umeyama
from pipeline.geometry import (
    MEASURES,
    POSE_POINTS,
    WEIGHTS,
    FaceNorms,
    expression_features,
    frontal_landmarks,
    raw_measures,
)

# Corrections made whatever the ICC says: what an expression plainly does to a measure (a grin
# widens the mouth, an open jaw lengthens the chin, a blink shuts the eye) even where too few
# photos show it for the ICC to notice.
ALWAYS = {"eye_shape": ("eyeBlink",), "mouth_width": ("mouthSmile", "jawOpen"),
          "chin_length": ("jawOpen",), "face_width": ("jawOpen",), "lip_lower": ("jawOpen",),
          "lip_upper": ("mouthSmile",)}
HELD_OUT_COLOUR = frozenset({"HrithikRoshan", "KatrinaKaif", "SharmilaTagore", "Avinash"})


@dataclass
class Config:
    images: str = "../shared/data/faces/images"  # relative names: from the repository root
    cache: str = ""  # landmarks cache (.npz); "" = $MOJI_DATA_DIR/train/geometry/landmarks.npz
    export: str = str(WEIGHTS)
    ridge: float = 1e-3  # a little ridge keeps rarely-seen blendshapes' coefficients small
    limit: int = 0  # only the first N photos (0: all), for a quick try


def held_out(person: str, colour: bool) -> bool:
    """True for people the geometry is never fitted on."""
    if person in HELD_OUT_COLOUR:
        return True
    return not colour and hashlib.sha1(person.encode()).hexdigest()[0] in "0123"


def read_faces(images: Path, cache: Path, limit: int = 0) -> dict:
    """{names, landmarks, blendshapes (dicts), poses, colour} of every photo with a face."""
    if cache.exists():
        data = np.load(cache)
        names = [str(n) for n in data["names"]]
        bs_names = [str(n) for n in data["blendshape_names"]]
        return {"names": names, "landmarks": data["landmarks"].astype(np.float64),
                "blendshapes": [dict(zip(bs_names, map(float, row), strict=True))
                                for row in data["blendshapes"]],
                "poses": data["poses"], "colour": data["colour"].astype(bool)}
    from pipeline.analyze import AnalyzerOptions, FaceAnalyzer
    from pipeline.decode import decode_image
    from pipeline.errors import MojiError

    analyzer = FaceAnalyzer(AnalyzerOptions())
    paths = sorted(images.glob("*.jpg"))[: limit or None]
    rows: dict[str, list] = {k: [] for k in ("names", "landmarks", "bs", "poses", "colour")}
    bs_names: list[str] = []
    for number, path in enumerate(paths):
        try:
            image = decode_image(path.read_bytes())
        except MojiError:
            continue
        faces = analyzer.detect(image.rgb)
        if not faces:
            continue
        face = faces[0]
        bs_names = bs_names or sorted(face.blendshapes)
        rgb = image.rgb.astype(np.int16)
        rows["names"].append(path.name)
        rows["landmarks"].append(face.landmarks.astype(np.float32))
        rows["bs"].append([face.blendshapes.get(k, 0.0) for k in bs_names])
        rows["poses"].append(face.pose.astype(np.float32))
        rows["colour"].append(bool(np.abs(rgb[..., 0] - rgb[..., 1]).mean() > 2
                                   or np.abs(rgb[..., 1] - rgb[..., 2]).mean() > 2))
        if number % 500 == 0:
            print(f"{number}/{len(paths)} photos read", flush=True)
    analyzer.close()
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(cache, names=np.array(rows["names"]), landmarks=np.stack(rows["landmarks"]),
                        blendshapes=np.array(rows["bs"], np.float32),
                        blendshape_names=np.array(bs_names), poses=np.stack(rows["poses"]),
                        colour=np.array(rows["colour"]))
    return read_faces(images, cache)


def _turn_to_camera(shape: np.ndarray) -> np.ndarray:
    """Centre a mean shape, and turn it so that it is left-right symmetric in depth (yaw) and
    its eyes are level (roll)."""
    shape = shape - shape[list(POSE_POINTS)].mean(axis=0)
    pairs = [(234, 454), (33, 263), (127, 356), (133, 362), (54, 284)]
    left = shape[[a for a, _ in pairs]]
    right = shape[[b for _, b in pairs]]
    d = right - left
    yaw = np.arctan2(d[:, 2], d[:, 0]).mean()
    c, s = np.cos(-yaw), np.sin(-yaw)
    shape = shape @ np.array([[c, 0, -s], [0, 1, 0], [s, 0, c]]).T
    d = shape[[b for _, b in pairs]] - shape[[a for a, _ in pairs]]
    roll = np.arctan2(d[:, 1], d[:, 0]).mean()
    c, s = np.cos(-roll), np.sin(-roll)
    shape = shape @ np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]).T
    eyes = np.linalg.norm(shape[263, :2] - shape[33, :2])
    return shape / eyes * 100.0  # outer eye corners 100 units apart


def fit_reference(landmarks: np.ndarray, poses: np.ndarray, rounds: int = 5) -> np.ndarray:
    """The mean frontal shape (generalised Procrustes on the pose points)."""
    angles = [np.arccos(np.clip((np.trace(p[:3, :3] / np.cbrt(abs(np.linalg.det(p[:3, :3]))))
                                 - 1) / 2, -1, 1)) for p in poses]
    reference = _turn_to_camera(landmarks[int(np.argmin(angles))].astype(np.float64))
    idx = list(POSE_POINTS)
    for _ in range(rounds):
        aligned = []
        for points in landmarks:
            scale, rotation, translation = umeyama(points[idx], reference[idx])
            aligned.append(scale * points @ rotation.T + translation)
        reference = _turn_to_camera(np.mean(aligned, axis=0))
    return reference


def icc1(values: np.ndarray, people: np.ndarray) -> float:
    """ICC(1): the share of the variance that lies between people (one-way ANOVA), over people
    with two or more photos."""
    groups = [values[people == p] for p in np.unique(people)]
    groups = [g for g in groups if len(g) >= 2]
    if len(groups) < 3:
        return float("nan")
    n = sum(len(g) for g in groups)
    k = len(groups)
    grand = np.concatenate(groups).mean()
    ms_between = sum(len(g) * (g.mean() - grand) ** 2 for g in groups) / (k - 1)
    ms_within = sum(((g - g.mean()) ** 2).sum() for g in groups) / (n - k)
    n0 = (n - sum(len(g) ** 2 for g in groups) / n) / (k - 1)
    return float((ms_between - ms_within) / (ms_between + (n0 - 1) * ms_within))


def _within(values: np.ndarray, people: np.ndarray) -> np.ndarray:
    out = values.astype(np.float64).copy()
    for p in np.unique(people):
        rows = people == p
        out[rows] -= out[rows].mean(axis=0)
    return out


def _fit(values: np.ndarray, feats: np.ndarray, people: np.ndarray, ridge: float) -> np.ndarray:
    """Within-person least squares of values on feats (ridge-damped)."""
    fw, vw = _within(feats, people), _within(values, people)
    gram = fw.T @ fw + ridge * len(fw) * np.eye(fw.shape[1])
    return np.linalg.solve(gram, fw.T @ vw)


def _correction(values: np.ndarray, feats: np.ndarray, people: np.ndarray, several: np.ndarray,
                ridge: float, forced: list[int], min_gain: float = 0.005) -> np.ndarray:
    """The expression correction of one measure: after the `forced` blendshapes, others are
    added one at a time, each the one that most raises the ICC over the tuning people with
    several photos, while it rises by `min_gain`. Blendshapes also carry some of the face's
    shape (a narrow eye scores some eyeSquint at rest): a blendshape whose correction would
    blur people apart is left out."""
    chosen = list(forced)
    beta = np.zeros(feats.shape[1])
    if chosen:
        beta[chosen] = _fit(values[several], feats[several][:, chosen], people[several], ridge)
    best = icc1(values[several] - feats[several] @ beta, people[several])
    while True:
        trials = []
        for k in range(feats.shape[1]):
            if k in chosen:
                continue
            cols = [*chosen, k]
            b = _fit(values[several], feats[several][:, cols], people[several], ridge)
            moved = values[several] - feats[several][:, cols] @ b
            trials.append((icc1(moved, people[several]), k, b))
        if not trials:
            break
        score, k, b = max(trials, key=lambda t: t[0])
        if score < best + min_gain:
            break
        best, chosen = score, [*chosen, k]
        beta = np.zeros(feats.shape[1])
        beta[chosen] = b
    return beta


def train(cfg: Config) -> dict:
    start = time.time()
    images = Path(cfg.images) if Path(cfg.images).is_absolute() else REPOSITORY / cfg.images
    cache = Path(cfg.cache) if cfg.cache else output_dir("train/geometry") / "landmarks.npz"
    faces = read_faces(images, cache, cfg.limit)
    people = np.array([identity(n) for n in faces["names"]])
    held = np.array([held_out(p, c) for p, c in zip(people, faces["colour"], strict=True)])
    tuning = ~held
    print(f"{len(people)} photos with a face: {tuning.sum()} tuning "
          f"({len(set(people[tuning]))} people), {held.sum()} held out")
    reference = fit_reference(faces["landmarks"][tuning], faces["poses"][tuning])
    raw = [raw_measures(frontal_landmarks(lm, reference)) for lm in faces["landmarks"]]
    names = list(MEASURES)
    values = np.array([[r[n] for n in names] for r in raw])
    # Several photos per person: the within-person fit and the stability figures use them.
    counts = {p: c for p, c in zip(*np.unique(people[tuning], return_counts=True), strict=True)}
    several = tuning & np.array([counts.get(p, 0) >= 2 for p in people])
    mean, sd, coef, feature_mean, stability = {}, {}, {}, {}, {}
    corrected = np.zeros_like(values)
    for j, name in enumerate(names):
        feats = np.array([expression_features(b, MEASURES[name]) for b in faces["blendshapes"]])
        fmean = feats[tuning].mean(axis=0)
        forced = [MEASURES[name].index(b) for b in ALWAYS.get(name, ())]
        beta = _correction(values[:, j], feats, people, several, cfg.ridge, forced)
        corrected[:, j] = values[:, j] - (feats - fmean) @ beta
        mean[name] = float(corrected[tuning, j].mean())
        sd[name] = float(corrected[tuning, j].std())
        coef[name] = [round(float(b), 6) for b in beta]
        feature_mean[name] = [round(float(f), 6) for f in fmean]
        held_several = held & np.array([(people == p).sum() >= 2 for p in people])
        stability[name] = {
            "icc_raw": round(icc1(values[several, j], people[several]), 3),
            "icc": round(icc1(corrected[several, j], people[several]), 3),
            "icc_heldout": round(icc1(corrected[held_several, j], people[held_several]), 3),
        }
    meta = {
        "fitted_on": "shared/data/faces tuning people (not HrithikRoshan, KatrinaKaif, "
                     "SharmilaTagore, Avinash; not greyscale people with sha1(identity) 0-3)",
        "photos": int(tuning.sum()), "people": len(set(people[tuning])),
        "people_several_photos": len({p for p, c in counts.items() if c >= 2}),
        "config": {"ridge": cfg.ridge, "limit": cfg.limit}, "stability": stability,
        "command": "moji train geometry",
    }
    norms = FaceNorms(reference=reference, mean=mean, sd=sd, coef=coef,
                      feature_mean=feature_mean, meta=meta)
    export = Path(cfg.export)
    export.parent.mkdir(parents=True, exist_ok=True)
    norms.save(export)
    print(f"{'measure':16s} {'mean':>8s} {'sd':>8s} {'ICC raw':>8s} {'ICC':>6s} {'held':>6s}")
    for name in names:
        s = stability[name]
        print(f"{name:16s} {mean[name]:8.4f} {sd[name]:8.4f} {s['icc_raw']:8.3f} "
              f"{s['icc']:6.3f} {s['icc_heldout']:6.3f}")
    print(f"wrote {export} in {time.time() - start:.0f} s")
    return {"meta": meta, "mean": mean, "sd": sd}


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for key, value in asdict(Config()).items():
        parser.add_argument(f"--{key.replace('_', '-')}", type=type(value), default=value)
    args = parser.parse_args(argv)
    train(Config(**{k: getattr(args, k) for k in asdict(Config())}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

