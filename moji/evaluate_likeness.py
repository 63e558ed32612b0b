"""How well the likeness stage reads hair, facial hair, glasses, headwear and skin from photos.

The truth is a hand-labelled CSV, `image,glasses,facial_hair,headwear,hair_length,hair_colour,
monk`, each column optional and each cell optional (empty = not labelled). Every trait is scored
over the rows where its column is filled:

- glasses: balanced accuracy over none / glasses / sunglasses;
- facial hair: none vs any (accuracy and balanced accuracy), and the 5-class accuracy;
- headwear: none vs any (accuracy and balanced accuracy), and the type accuracy over the photos
  that have headwear;
- hair colour in the five groups a glance tells apart: black/dark_brown | brown/auburn/red |
  blonde | grey/white | bald (hair length none);
- hair length: accuracy over none / short / medium / long / tied;
- Monk: mean absolute error and the share within one step, on colour photos.

`skin_invariance(images, estimator)` measures how stable the Monk index is under the light:
each colour photo is darkened to 50%, brightened to 150% (clipped at 255), and given a warm
(R x1.15, B x0.87) and a cool (R x0.87, B x1.15) cast; the face is found once, on the original,
so that only the likeness stage is measured.

Honest evaluation (issue 7): the labelled photos are split by person into a tuning half and a
held-out half (`split_of`: the parity of the first byte of sha256(identity), identity = the
file name without its trailing number; 500 / 701 rows of eval/likeness.csv). The report gives
the whole set, the tuning half and the held-out half. From the split on, anything fitted or
chosen is fitted on the tuning half only (by-person 5-fold cross-validation inside it to choose
between variants). Caveat: every threshold and weight that predates the split (the list below)
was fitted on all rows, held-out ones included, so their held-out figures are optimistic.

Fitted on all rows before the split (eval/likeness.csv, 1,144-1,201 rows at the time):
- pipeline.likeness.facial_hair: facial hair is a softmax over 15 region ratios fitted on 1,076 rows
  (cross-validated by person: 83% none-vs-any, 76% five classes; a hand rule did 78% / 73%);
  the light correction (EXPOSURE_PERCENTILE 97 -> 90, EXPOSURE_STRENGTH 0.8 -> 0.9,
  USE_WHITES off, SKIN_TO_SWATCH 0.97, CAST_NEUTRAL) chosen on the 489 colour photos with a
  face for Monk stability under the four lights and Monk error against the labels; hair colour
  from the 20th-60th luma percentile body of the hair (the plain median called 16% of
  black-haired heads brown or blonde); the head frame's scale FRAME_EYES 0.25 -> 0.3 and
  replicated borders (more glasses found by BiSeNet).
- pipeline.likeness.glasses: GLASSES_AREA, SUNGLASSES_BAND, SUNGLASSES_LENS (grid search for
  balanced accuracy), HAT_AREA 0.2 (best none-vs-any accuracy), BALD_* (strict: tight crops
  cut the scalp off), LONG_* read off the feature distributions per label.
- pipeline.likeness.basic_method: BRIDGE_EDGES, SUNGLASSES_BAND (best balanced accuracy keeping 95%
  of faces without glasses right), BALD_SKIN, BALD_HAIR (strict).

Tried after the split, on the tuning half (by-person 5-fold CV), none adopted:
- Glasses, new evidence (pipeline.likeness.glasses_from_eyes, kept as features): edge energy on
  a ring just outside each lens ellipse (ring_edges / ring_min), the weaker lower rim
  (rim_min), specular highlights on the lenses, eye contrast (sclera vs iris) and texture in the
  lens area. On the fixtures they separate glasses cleanly (ring_min > 2 vs < 1.4); on the
  shared photos (faces 50-100 px) they barely do. A two-stage logistic model (any-vs-none on
  BiSeNet's lens area and band share [+ bridge edges]; sunglasses-vs-glasses on lens darkness,
  eye-band darkness, eye contrast, texture) reaches 76.0% balanced accuracy in CV against the
  rule's 75.9% on the same half; adding every landmark cue lowers "none" below 97% for no
  gain. For basic, the cues alone give 57% (vs the rule's 54%) at 95% "none" and less at 97%.
  The misses are photos where BiSeNet marks no eye_g pixel at all. Re-parsing them does not
  help enough: on the tuning glasses rows (+120 without), the share with any eye_g pixel is
  glasses 82% / sunglasses 76% for the current frame (0.3, 384 px); mirrored 77/69; 512 px
  79/66; FRAME_EYES 0.25 79/79 (3% of faces without glasses get some); 0.45 at 256 px 70/52;
  the union of the frame and its mirror 84/79 at twice the parse time.
- Bald heads from the top strip of the crop (features top_skin, top_hair, top_skin_like): a
  logistic model over them finds 8-12% of bald heads when it keeps 99.6% of heads with hair.
- Facial hair refitted on the tuning half only (the same 15 features, L2, classes weighted
  none vs any): 70% none-vs-any in CV on the tuning half, whose people (Dileep, Avinash,
  Hrithik, many frames each) make by-person folds hard; on the held-out half it gives 87.8%
  none-vs-any (balanced 78.8%), against 91.3% (79.5%) for the shipped all-rows weights, which
  saw those rows. 87.8% is the honest estimate; the shipped weights were kept (more data).

Adopted after the split, fitted on the tuning half: BiSeNet bald heads on tight crops
(pipeline.likeness.hair BALD_TOP_*: the crop's top strip is BiSeNet skin coloured like the
cheeks, with no hair there, in the middle nor at the temples; three thresholds from a small
grid). Tuning half: 7 of 25 bald heads found (was 1), 5 of 240 heads with hair called bald
(was 2). Held out: 7 of 20 (was 0), 2 of 382 (was 0). It also calls bald 15 of the 494
photos whose hair the labeller could not judge (was 1): mostly forehead-only crops of men
with very short hair, and a few hoods, turbans and caps that BiSeNet missed (it runs only
when no headwear is found). A lightness weight of 1 instead of 0.5 in the skin colour test was
worse on the tuning half (3 of 25 found, same false calls) and was not kept. (Held-out
figures of some rejected variants, the glasses logistic models and this lightness weight, were
printed beside the tuning ones while exploring; every choice above follows the tuning half.)

Figures (`python -m moji.evaluate_likeness eval/likeness.csv ../shared/data/faces/images`,
1,161 of 1,201 photos with a face; all / tuning / held-out):

| trait | bisenet (before -> after) | basic (unchanged) |
|---|---|---|
| glasses, balanced accuracy | 82.3 / 75.9 / 94.0% | 55.5 / 53.7 / 57.5% |
| glasses recall none, glasses, sunglasses (held-out) | 98, 84, 100% (n=14) | 95, 27, 50% |
| facial hair none vs any | 87.4 / 82.1 / 91.0% | 87.8 / 82.5 / 91.3% |
| facial hair, five classes | 82.6 / 74.9 / 87.8% | 83.4 / 75.6 / 88.6% |
| headwear none vs any | 90.4 / 87.6 / 92.4% | 79.5 / 77.3 / 81.1% |
| headwear type (when worn) | 43.1 / 42.2 / 44.0% | 0% |
| hair colour, five groups | 81.9 / 79.4 / 83.2% -> 84.4 / 82.4 / 85.5% | 80.8 / 82.4 / 80.0% |
| bald heads found | 1/45, 1/25, 0/20 -> 14/45, 7/25, 7/20 | 4/45, 3/25, 1/20 |
| hair length | 78.1 / 81.7 / 73.2% -> 81.5 / 84.0 / 78.0% | 70.9 / 78.9 / 59.8% |
| Monk within one step of the label | 90.5 / 90.8 / 90.4% | 91.6 / 92.1 / 91.4% |
| Monk within 1 under all four lights (n 501/155/346) | 94.2 / 96.1 / 93.4% | 94.2 / 96.8 / 93.1% |

"After" differs from "before" only in hair colour, bald and hair length (the bald rule); the
glasses cues and the top-strip features are computed but decide nothing else.

Speed on one CPU core (torch.set_num_threads(1), 40 photos, the shared 2-core machine under
other load): bisenet 217-235 ms per face, basic 37-38 ms; the code before these changes, same
machine and minutes: 212-274 ms and 33-42 ms (the new cues cost a few milliseconds).

Issue 16 (its own split: HrithikRoshan, KatrinaKaif, SharmilaTagore, Avinash and greyscale
people whose sha1(identity) starts with 0-3 held out; moji.likeness_traits.held_out): facial
hair gets a clean-face floor (pipeline.likeness.facial_hair NONE_FLOOR, BEARD_HAIR_CHIN) and
hair colour Gaussians fitted on recoloured copies (pipeline.likeness.hair_colour); the figures
before and after are in docs/likeness_traits.md.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

import numpy as np

COLOUR_GROUPS = {"black": "black/dark_brown", "dark_brown": "black/dark_brown",
                 "brown": "brown/auburn/red", "light_brown": "brown/auburn/red",
                 "auburn": "brown/auburn/red",
                 "red": "brown/auburn/red", "blonde": "blonde", "grey": "grey/white",
                 "white": "grey/white"}
GROUPS = ("black/dark_brown", "brown/auburn/red", "blonde", "grey/white", "bald")
PERTURBATIONS = ("dark_50", "bright_150", "warm", "cool")
SPLITS = ("tuning", "heldout")


def identity(image: str) -> str:
    """The person in a photo: the file name without its extension and its trailing number
    (`George_W_Bush_0033.jpg` -> `George_W_Bush`, `Dwarakish_39.jpg` -> `Dwarakish`,
    `facial-expressions_2868582k.jpg` -> `facial-expressions`), as labels.csv's identity column.
    """
    stem = Path(image).stem
    head, _, tail = stem.rpartition("_")
    return head if head and tail[:1].isdigit() else stem


def split_of(image: str) -> str:
    """"tuning" or "heldout", by person: the parity of the first byte of sha256(identity).

    Fixed once (issue 7's honest evaluation): every photo of one person falls in the same half,
    thresholds and models are fitted on the tuning half only, and the held-out half is
    reported separately. On eval/likeness.csv: 500 tuning rows, 701 held-out rows. Of the
    colour people, Hrithik, Dileep, Avinash and the studio man are tuning; Dwarakish, Jaya,
    Farida, Katrina and Sharmila are held out.
    """
    import hashlib

    return "heldout" if hashlib.sha256(identity(image).encode()).digest()[0] % 2 else "tuning"


def perturb(rgb: np.ndarray, kind: str) -> np.ndarray:
    """The photo under another light: dark_50, bright_150, warm or cool."""
    gains = {"dark_50": (0.5, 0.5, 0.5), "bright_150": (1.5, 1.5, 1.5),
             "warm": (1.15, 1.0, 0.87), "cool": (0.87, 1.0, 1.15)}[kind]
    return np.clip(rgb.astype(np.float32) * np.array(gains, np.float32), 0, 255
                   ).round().astype(np.uint8)


def load_rgb(path: Path) -> np.ndarray:
    from PIL import Image, ImageOps

    with Image.open(path) as im:
        return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))


def read_rows(csv_path: Path) -> list[dict[str, str]]:
    with open(csv_path, newline="") as f:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(f)]


def _confusion(truth: list[str], pred: list[str], classes: tuple[str, ...]) -> dict:
    """{"classes", "matrix" (rows truth, columns predicted), "accuracy", "balanced_accuracy"}."""
    index = {c: i for i, c in enumerate(classes)}
    matrix = np.zeros((len(classes), len(classes)), int)
    for t, p in zip(truth, pred, strict=True):
        if t in index and p in index:
            matrix[index[t], index[p]] += 1
    n = int(matrix.sum())
    present = matrix.sum(axis=1) > 0
    recalls = np.diag(matrix)[present] / matrix.sum(axis=1)[present]
    return {"classes": list(classes), "matrix": matrix.tolist(), "count": n,
            "accuracy": float(np.trace(matrix) / n) if n else None,
            "balanced_accuracy": float(recalls.mean()) if n else None}


def score(rows: list[dict[str, str]], predictions: dict[str, Any]) -> dict:
    """Per-trait scores of predicted Likeness objects against labelled rows."""
    from pipeline.likeness import FACIAL_HAIR, GLASSES, HAIR_LENGTHS, HEADWEAR

    def pairs(column: str, get) -> tuple[list[str], list[str]]:
        truth, pred = [], []
        for row in rows:
            like = predictions.get(row["image"])
            if like is None or not row.get(column):
                continue
            truth.append(row[column])
            pred.append(get(like))
        return truth, pred

    out: dict[str, Any] = {}
    t, p = pairs("glasses", lambda k: k.glasses)
    out["glasses"] = _confusion(t, p, GLASSES)
    t, p = pairs("facial_hair", lambda k: k.facial_hair)
    out["facial_hair"] = _confusion(t, p, FACIAL_HAIR)
    out["facial_hair_any"] = _confusion(["any" if x != "none" else "none" for x in t],
                                        ["any" if x != "none" else "none" for x in p],
                                        ("none", "any"))
    t, p = pairs("headwear", lambda k: k.headwear)
    out["headwear_any"] = _confusion(["any" if x != "none" else "none" for x in t],
                                     ["any" if x != "none" else "none" for x in p],
                                     ("none", "any"))
    worn = [(a, b) for a, b in zip(t, p, strict=True) if a != "none"]
    out["headwear_type"] = _confusion([a for a, _ in worn], [b for _, b in worn], HEADWEAR)
    out["headwear"] = _confusion(t, p, HEADWEAR)

    def group(colour: str | None, length: str | None) -> str:
        return "bald" if length == "none" else COLOUR_GROUPS.get(colour or "", "?")

    t, p = [], []
    for row in rows:
        like = predictions.get(row["image"])
        if like is None or not (row.get("hair_colour") or row.get("hair_length") == "none"):
            continue
        t.append(group(row.get("hair_colour"), row.get("hair_length")))
        p.append(group(like.hair_colour, like.hair_length))
    out["hair_colour"] = _confusion(t, p, GROUPS)
    t, p = pairs("hair_length", lambda k: k.hair_length)
    out["hair_length"] = _confusion(t, p, HAIR_LENGTHS)
    t, p = pairs("monk", lambda k: str(k.monk))
    if t:
        diff = np.abs(np.array([int(a) for a in t]) - np.array([int(b) for b in p]))
        out["monk"] = {"count": len(t), "mae": float(diff.mean()),
                       "within_1": float((diff <= 1).mean()), "exact": float((diff == 0).mean())}
    else:
        out["monk"] = {"count": 0}
    return out


def skin_invariance(images: list[tuple[np.ndarray, Any]], estimator,
                    groups: list[str] | None = None) -> dict:
    """Share of colour photos whose Monk index moves by at most 1 under each light change.

    `images`: (rgb, FaceAnalysis) pairs (greyscale photos are skipped); `estimator`: a
    LikenessEstimator; `groups`: optionally one label per image (e.g. its split_of half), each
    group then summarised under "groups". Returns {"count", "overall", per perturbation: share,
    "moves": {...}}.
    """
    from pipeline.likeness import is_greyscale

    records: list[tuple[str, dict[str, int]]] = []
    for i, (rgb, face) in enumerate(images):
        if is_greyscale(rgb):
            continue
        base = estimator.measure(rgb, face).monk
        records.append((groups[i] if groups else "", {
            kind: abs(estimator.measure(perturb(rgb, kind), face).monk - base)
            for kind in PERTURBATIONS}))
    out = _summarise_moves([m for _, m in records])
    if groups:
        out["groups"] = {g: _summarise_moves([m for h, m in records if h == g])
                         for g in dict.fromkeys(groups)}
    return out


def _summarise_moves(records: list[dict[str, int]]) -> dict:
    count = len(records)
    out: dict[str, Any] = {"count": count}
    if not count:
        return out
    moves = {k: np.array([r[k] for r in records]) for k in PERTURBATIONS}
    stable = np.ones(count, bool)
    for kind in PERTURBATIONS:
        out[kind] = float((moves[kind] <= 1).mean())
        stable &= moves[kind] <= 1
    out["overall"] = float(stable.mean())  # every perturbation within 1
    out["per_change"] = float(np.mean([out[k] for k in PERTURBATIONS]))
    out["moves"] = {k: {str(v): int((m == v).sum()) for v in sorted(set(m.tolist()))}
                    for k, m in moves.items()}
    return out


def detect_faces(paths: list[Path], progress: bool = False) -> dict[Path, tuple]:
    """{path: (rgb, FaceAnalysis)} for each photo where the landmarker finds a face."""
    from pipeline.analyze import AnalyzerOptions, FaceAnalyzer

    found = {}
    with FaceAnalyzer.create_from_options(AnalyzerOptions(max_faces=1)) as analyzer:
        for path in _progress(paths, progress, "faces"):
            try:
                rgb = load_rgb(path)
            except OSError:
                continue
            faces = analyzer.detect(rgb)
            if faces:
                found[path] = (rgb, faces[0])
    return found


def _progress(items, on: bool, desc: str):
    if not on:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, leave=False)


def evaluate_likeness(csv_path: str | Path, images_dir: str | Path,
                      methods: tuple[str, ...] = ("bisenet", "basic"), limit: int | None = None,
                      progress: bool = True) -> dict:
    """Likeness accuracy per method on a labelled CSV, plus skin invariance and speed.

    Returns {"photos", "faces_found", "methods": {name: {trait scores..., "skin_invariance",
    "ms_per_face", "ran_as"}}}. A method that cannot run (no torch, no weights) reports
    {"error": message} instead.
    """
    from pipeline.errors import MojiError
    from pipeline.likeness import LikenessEstimator, LikenessOptions

    csv_path, images_dir = Path(csv_path), Path(images_dir)
    rows = read_rows(csv_path)
    if limit:
        rows = rows[:limit]
    paths = [images_dir / r["image"] for r in rows]
    faces = detect_faces([p for p in paths if p.is_file()], progress)
    report: dict[str, Any] = {"photos": len(rows), "faces_found": len(faces), "methods": {}}
    for method in methods:
        try:
            estimator = LikenessEstimator.create_from_options(LikenessOptions(method=method))
        except (MojiError, ImportError) as exc:
            report["methods"][method] = {"error": str(exc)}
            continue
        with estimator:
            predictions = {}
            spent = 0.0
            for row, path in _progress(list(zip(rows, paths, strict=True)), progress, method):
                if path not in faces:
                    continue
                rgb, face = faces[path]
                start = time.perf_counter()
                predictions[row["image"]] = estimator.measure(rgb, face)
                spent += time.perf_counter() - start
            result = score(rows, predictions)
            # The same scores on each half of the by-person split (split_of).
            result["splits"] = {half: score([r for r in rows if split_of(r["image"]) == half],
                                            predictions) for half in SPLITS}
            result["ran_as"] = estimator.name
            result["ms_per_face"] = 1000 * spent / max(1, len(predictions))
            inv = skin_invariance(list(faces.values()), estimator,
                                  groups=[split_of(p.name) for p in faces])
            for half in SPLITS:
                result["splits"][half]["skin_invariance"] = inv["groups"].get(half, {"count": 0})
            result["skin_invariance"] = inv
        report["methods"][method] = result
    return report


def _recalls(metric: dict) -> str:
    m = np.array(metric["matrix"])
    return " ".join(f"{c} {m[i, i] / m[i].sum():.0%}" for i, c in enumerate(metric["classes"])
                    if m[i].sum())


def format_report(report: dict) -> str:
    """A plain-text summary of evaluate_likeness's result: the whole set, then the tuning and
    held-out halves of the by-person split (split_of)."""
    lines = [f"{report['faces_found']} of {report['photos']} photos with a face"]
    for method, r in report["methods"].items():
        if "error" in r:
            lines.append(f"{method}: not run ({r['error']})")
            continue
        parts = [("all", r), *((h, r["splits"][h]) for h in SPLITS if h in r.get("splits", {}))]
        lines.append(f"{method} ({r['ms_per_face']:.0f} ms/face):"
                     + "".join(f"{name:>16s}" for name, _ in parts))
        for key, metric in (("glasses", "balanced_accuracy"), ("facial_hair_any", "accuracy"),
                            ("facial_hair_any", "balanced_accuracy"),
                            ("facial_hair", "accuracy"), ("headwear_any", "accuracy"),
                            ("headwear_any", "balanced_accuracy"),
                            ("headwear_type", "accuracy"), ("hair_colour", "accuracy"),
                            ("hair_length", "accuracy")):
            cells = []
            for _, part in parts:
                value = part[key][metric]
                shown = "n/a" if value is None else f"{value:.1%}"
                cells.append(f"{shown:>7s} (n={part[key]['count']:4d})")
            short = "bal_acc" if metric == "balanced_accuracy" else "acc"
            lines.append(f"  {key + ' ' + short:27s}" + "".join(f"{c:>16s}" for c in cells))
        for key in ("glasses", "hair_colour", "hair_length"):
            lines.append(f"  {key + ' recall':27s}" + " | ".join(
                f"{name}: {_recalls(part[key])}" for name, part in parts))
        cells = []
        for _, part in parts:
            monk = part["monk"]
            cells.append(f"{monk['within_1']:.1%} (n={monk['count']:4d})" if monk.get("count")
                         else "n/a")
        lines.append(f"  {'monk within 1 of label':27s}" + "".join(f"{c:>16s}" for c in cells))
        cells = []
        for _, part in parts:
            inv = part.get("skin_invariance", {})
            cells.append(f"{inv['overall']:.1%} (n={inv['count']:4d})" if inv.get("count")
                         else "n/a")
        lines.append(f"  {'skin invariance, all four':27s}" + "".join(f"{c:>16s}" for c in cells))
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    import argparse
    import json

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", type=Path)
    parser.add_argument("images", type=Path)
    parser.add_argument("--methods", default="bisenet,basic")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = evaluate_likeness(args.csv, args.images, tuple(args.methods.split(",")), args.limit)
    print(json.dumps(result, indent=1) if args.json else format_report(result))
