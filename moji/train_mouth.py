"""Train the mouth reader: `moji train mouth [--option value]`.

Reads photos labelled by eye (the `labels` CSVs), finds each face with the pipeline's own
analyzer and, for the photo and its five perturbations (`moji.evaluate.perturbations`: JPEG,
brightness, a shift, a rescale, which should change nothing), cuts the mouth patch and takes the
landmark measurements. Then:

1. k folds split by person: the network is trained on k-1 and reads the photos of the last, so
   every photo gets a reading from a network that never saw it (or its person);
2. the expression embedder's smiling and lips-apart regressions are fitted on those readings
   beside the landmark measurements (a network's reading of its own training photos would be
   over-confident, and the regressions would lean on it too much);
3. the network is trained once more on every photo; that one is written, with the regressions
   and the cross-validated accuracies in its meta.

Writes out_dir/mouth.npz (the file pipeline.mouth loads; --export copies it, e.g. to
pipeline/weights/mouth-v1.npz), summary.json, held_out_readings.csv (each photo's held-out
logits) and readings.npz (what was read of each photo, reused by the next run in that folder).
Photos or people of the `holdout` CSVs never train: the set the expression targets are
measured on stays unseen.
"""

from __future__ import annotations

import csv
import io
import json
import time
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from moji.evaluate_likeness import identity

# Landmark measurements (pipeline.embedders.expression.measure) each regression uses beside the
# network's own logit.
SMILING_FEATURES = ("smile", "width", "mouth_lift", "mouth_smiling")
APART_FEATURES = ("open", "lip_outer", "upper_lip_up", "mouth_apart")
SMILING_LABELS = ("smile", "grin")
APART_LABELS = ("grin", "open")


@dataclass
class Config:
    # I/O
    out_dir: str = ""  # "" = $MOJI_DATA_DIR/train/mouth, else the user data folder's
    export: str = ""  # also copy mouth.npz here (e.g. pipeline/weights/mouth-v1.npz)
    images: str = ""  # folder of the photos named in the CSVs ("" = as the CSVs say)
    # data: comma-separated labels CSVs; relative names are the repository's files
    labels: str = "eval/calibration.csv,eval/labels.csv,eval/fresh.csv,eval/train.csv"
    holdout: str = "eval/fresh2.csv"  # no photo and no person of these trains
    limit: int = 0  # use only the first N labelled photos (0: all), for a quick try
    # training
    folds: int = 5
    epochs: int = 15
    batch_size: int = 128
    lr: float = 3e-3  # peak of a one-cycle schedule
    weight_decay: float = 1e-3
    shift: int = 3  # random shifts of up to this many pixels, and mirroring
    l2: float = 1.0  # ridge penalty of the regressions (on standardised features)
    seed: int = 0
    threads: int = 2  # torch CPU threads


def fold_of(image: str, folds: int) -> int:
    """A person's fold: stable across runs and machines (not Python's salted hash)."""
    return zlib.crc32(identity(image).encode()) % folds


def output_folder(cfg: Config) -> Path:
    from moji.paths import output_dir

    return Path(cfg.out_dir).expanduser() if cfg.out_dir else output_dir("train/mouth")


def labelled_photos(cfg: Config) -> list:
    """The labelled photos with a mouth label, none of a held-out photo or person."""
    from moji.evaluate import read_labels
    from moji.paths import repository_file

    images = Path(cfg.images) if cfg.images else None
    held = [p for name in cfg.holdout.split(",") if name
            for p in read_labels(repository_file(name), images)]
    held_names = {p.path.name for p in held}
    held_people = {identity(n) for n in held_names}
    photos, seen = [], set()
    for name in filter(None, cfg.labels.split(",")):
        for photo in read_labels(repository_file(name), images):
            if photo.mouth is None or photo.path.name in seen:
                continue
            if photo.path.name in held_names or identity(photo.path.name) in held_people:
                continue
            seen.add(photo.path.name)
            photos.append(photo)
    return photos[: cfg.limit] if cfg.limit else photos


def load_readings(path: Path) -> dict[str, tuple[np.ndarray, np.ndarray, list]]:
    """Readings kept by an earlier run: photo name -> (patches, found, measures)."""
    if not path.is_file():
        return {}
    with np.load(path) as data:  # each data[key] reads the whole array again: once each
        names, patches, found = data["names"], data["patches"], data["found"]
        measures = json.loads(str(data["measures"]))
    return {str(name): (patches[i], found[i], measures[i]) for i, name in enumerate(names)}


def save_readings(path: Path, readings: dict) -> None:
    names = sorted(readings)
    np.savez(path, names=np.array(names),
             patches=np.stack([readings[n][0] for n in names]),
             found=np.stack([readings[n][1] for n in names]),
             measures=np.array(json.dumps([readings[n][2] for n in names])))


def read_photos(photos: list, cache: Path | None = None, progress: bool = True) -> dict:
    """Per photo and perturbation: the mouth patch and the landmark measurements.

    Returns arrays: patches (N, 6, 48, 64, 3) uint8, found (N, 6) bool, and measures, a list per
    photo of six dicts (None where no face was found); photos without a face are dropped.
    Readings are kept in `cache` (by photo name; photos without a face are read again), so a
    second run with other training options reads only photos it has not seen."""
    from tqdm import tqdm

    from moji.evaluate import perturbations
    from pipeline.analyze import AnalyzerOptions, FaceAnalyzer
    from pipeline.decode import decode_image
    from pipeline.embedders.expression import measure_landmarks
    from pipeline.errors import MojiError
    from pipeline.mouth import PATCH_HEIGHT, PATCH_WIDTH
    from pipeline.parse import parse_face

    blank = np.zeros((PATCH_HEIGHT, PATCH_WIDTH, 3), np.uint8)
    known = load_readings(cache) if cache else {}
    todo = [p for p in photos if p.path.name not in known]
    with FaceAnalyzer(AnalyzerOptions()) as analyzer:
        def read(data: bytes) -> tuple[np.ndarray, dict] | None:
            try:
                image = decode_image(data)
            except MojiError:
                return None
            faces = analyzer.detect(image.rgb)
            if not faces:
                return None
            face = parse_face(image.rgb, faces[0], with_pixels=False)
            return face.mouth_patch, measure_landmarks(face)

        for photo in tqdm(todo, desc="read photos", unit="photo", disable=not progress):
            data = photo.path.read_bytes()
            first = read(data)
            if first is None:
                continue
            readings = [first] + [read(v) for v in perturbations(data).values()]
            known[photo.path.name] = (np.stack([r[0] if r else blank for r in readings]),
                                      np.array([r is not None for r in readings]),
                                      [r[1] if r else None for r in readings])
    if cache and todo:
        save_readings(cache, known)
    kept = [p for p in photos if p.path.name in known]
    return {"photos": kept, "patches": np.stack([known[p.path.name][0] for p in kept]),
            "found": np.stack([known[p.path.name][1] for p in kept]),
            "measures": [known[p.path.name][2] for p in kept]}


def targets(photos: list) -> np.ndarray:
    return np.array([[p.mouth in SMILING_LABELS, p.mouth in APART_LABELS] for p in photos],
                    np.float32)


def train_net(patches: np.ndarray, found: np.ndarray, y: np.ndarray, cfg: Config,
              desc: str = "train", progress: bool = True):
    """A MouthNet trained on every found patch (each perturbation is one more sample)."""
    import torch
    from tqdm import tqdm

    from pipeline.nets.mouth import MouthNet, standardise

    torch.manual_seed(cfg.seed)
    generator = np.random.default_rng(cfg.seed)
    x = standardise(patches[found])
    labels = torch.as_tensor(np.repeat(y[:, None], found.shape[1], axis=1)[found])
    net = MouthNet()
    optimizer = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps_per_epoch = (len(x) + cfg.batch_size - 1) // cfg.batch_size
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, cfg.lr,
                                                   total_steps=cfg.epochs * steps_per_epoch)
    net.train()
    for _ in tqdm(range(cfg.epochs), desc=desc, unit="epoch", disable=not progress):
        order = torch.randperm(len(x))
        for start in range(0, len(x), cfg.batch_size):
            batch = order[start:start + cfg.batch_size]
            xb = x[batch]
            dy, dx = (int(v) for v in generator.integers(-cfg.shift, cfg.shift + 1, 2))
            xb = torch.roll(xb, (dy, dx), (2, 3))
            if generator.random() < 0.5:
                xb = xb.flip(3)
            # exposure and contrast changes the standardisation does not fully undo
            xb = xb * (1 + 0.1 * torch.randn(len(xb), 1, 1, 1)) + 0.1 * torch.randn(
                len(xb), 1, 1, 1)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(net(xb), labels[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
    net.eval()
    return net


def net_logits(net, patches: np.ndarray) -> np.ndarray:
    """(N, 6, H, W, 3) patches -> (N, 6, 2) logits."""
    import torch

    from pipeline.nets.mouth import standardise

    with torch.no_grad():
        flat = patches.reshape(-1, *patches.shape[2:])
        return net(standardise(flat)).numpy().reshape(*patches.shape[:2], 2)


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float) -> tuple[np.ndarray, float]:
    """Ridge logistic regression by Newton's method on standardised features; returns the
    weights and bias for the raw features."""
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = np.c_[(x - mean) / std, np.ones(len(x))]
    penalty = l2 * np.diag(np.r_[np.ones(z.shape[1] - 1), 0.0])
    beta = np.zeros(z.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-z @ beta))
        gradient = z.T @ (p - y) + penalty @ beta
        hessian = (z * (p * (1 - p))[:, None]).T @ z + penalty
        beta -= np.linalg.solve(hessian, gradient)
    weights = beta[:-1] / std
    return weights, float(beta[-1] - np.sum(beta[:-1] * mean / std))


def regression(features: tuple[str, ...], rows: list[dict], y: np.ndarray, l2: float
               ) -> dict[str, float]:
    """A logit in expression.py's form: {measurement: weight, ..., "bias": b}."""
    x = np.array([[row[f] for f in features] for row in rows])
    weights, bias = fit_logistic(x, y, l2)
    return {**{f: round(float(w), 4) for f, w in zip(features, weights, strict=True)},
            "bias": round(bias, 4)}


def with_readings(measures: list, logits: np.ndarray) -> list[list[dict | None]]:
    """The landmark measurements with the network's logits added, as expression.measure has."""
    return [[None if m is None else {**m, "mouth_smiling": float(lo[0]),
                                     "mouth_apart": float(lo[1])}
             for m, lo in zip(row, photo_logits, strict=True)]
            for row, photo_logits in zip(measures, logits, strict=True)]


def mouth_accuracy(rows: list[dict], photos: list, smiling: dict, apart: dict) -> float:
    """4-class accuracy of the two regressions' decisions (smiling x apart)."""
    from pipeline.embedders.expression import _logit

    y = targets(photos).astype(bool)
    predicted = np.array([[_logit(smiling, r) > 0, _logit(apart, r) > 0] for r in rows])
    return float(np.mean(np.all(predicted == y, axis=1)))


def train(cfg: Config, progress: bool = True) -> dict:
    import torch

    from pipeline.mouth import PATCH_HEIGHT, PATCH_WIDTH
    from pipeline.nets.mouth import CHANNELS, to_arrays

    t0 = time.time()
    torch.set_num_threads(cfg.threads)
    out_dir = output_folder(cfg)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = read_photos(labelled_photos(cfg), out_dir / "readings.npz", progress)
    photos, patches, found = data["photos"], data["patches"], data["found"]
    y = targets(photos)
    if len(photos) < 2 * cfg.folds:
        raise SystemExit(f"only {len(photos)} labelled photos with a face: too few to train")

    # 1. every photo read by a network that did not see its person
    folds = np.array([fold_of(p.path.name, cfg.folds) for p in photos])
    held_logits = np.zeros((*found.shape, 2), np.float32)
    for k in range(cfg.folds):
        train_rows = folds != k
        net = train_net(patches[train_rows], found[train_rows], y[train_rows], cfg,
                        desc=f"fold {k + 1}/{cfg.folds}", progress=progress)
        held_logits[~train_rows] = net_logits(net, patches[~train_rows])
    rows = with_readings(data["measures"], held_logits)
    first = [r[0] for r in rows]

    # 2. the regressions, on the held-out readings; their own accuracy cross-validated too
    smiling = regression(SMILING_FEATURES, first, y[:, 0], cfg.l2)
    apart = regression(APART_FEATURES, first, y[:, 1], cfg.l2)
    correct = 0
    for k in range(cfg.folds):
        fit_rows = [r for r, f in zip(first, folds, strict=True) if f != k]
        test = [i for i, f in enumerate(folds) if f == k]
        s = regression(SMILING_FEATURES, fit_rows, y[folds != k, 0], cfg.l2)
        a = regression(APART_FEATURES, fit_rows, y[folds != k, 1], cfg.l2)
        correct += mouth_accuracy([first[i] for i in test], [photos[i] for i in test], s, a) \
            * len(test)
    network_alone = float(np.mean(np.all((held_logits[:, 0] > 0) == y.astype(bool), axis=1)))

    # 3. the network written: trained on every photo
    net = train_net(patches, found, y, cfg, desc="all photos", progress=progress)
    summary = {
        "photos": len(photos), "people": len({identity(p.path.name) for p in photos}),
        "patches": int(found.sum()), "smiling_logit": smiling, "apart_logit": apart,
        "cv_mouth_4class": round(correct / len(photos), 4),
        "cv_mouth_4class_network_alone": round(network_alone, 4),
        "minutes": round((time.time() - t0) / 60, 1), "config": asdict(cfg),
        "patch": [PATCH_WIDTH, PATCH_HEIGHT], "channels": list(CHANNELS),
    }
    path = out_dir / "mouth.npz"
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.array(json.dumps(summary)), **to_arrays(net))
    path.write_bytes(buffer.getvalue())
    if cfg.export:
        Path(cfg.export).parent.mkdir(parents=True, exist_ok=True)
        Path(cfg.export).write_bytes(buffer.getvalue())
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    with open(out_dir / "held_out_readings.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["image", "mouth", "fold", "mouth_smiling", "mouth_apart"])
        for photo, fold, logits in zip(photos, folds, held_logits[:, 0], strict=True):
            writer.writerow([photo.path.name, photo.mouth, int(fold), *np.round(logits, 3)])
    return summary
