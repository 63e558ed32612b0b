"""Issue 16's skin depth check: does the measured Monk follow the hand labels across people?

The complaint: skin is pulled to the middle of the scale (a medium-brown man and light-skinned
women read the same Monk). eval/likeness.csv has hand Monk labels for the colour photos (people
looked at each photo beside the 10 Monk swatches; eval/LIKENESS_LABELS.md), constant per person.
This runs the likeness (BiSeNet by default) over the labelled colour photos of one half of issue
16's people split (moji.likeness_traits.held_out) and reports, per person: the label, the
median measured Monk, the share of photos within one step of the label, the mean absolute
error, and the share within one step of the person's own median (the same person should read
the same across photos). Then the issue's check: the median Monk of the medium-brown people
(label >= MEDIUM_BROWN) minus that of the light-skinned ones (label <= LIGHT), which should be
at least 2.

Limits: 8 people (4 a half), all Indian film actors, Monk 3-7 only; labels by eye on small,
film-lit photos.

`moji evaluate skindepth --split tuning|heldout [--likeness-method basic]`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from moji.evaluate_likeness import identity, read_rows
from moji.likeness_traits import held_out

LIGHT = 4  # labels <= LIGHT are light-skinned (Monk 1-4: the palest swatches)
MEDIUM_BROWN = 6  # labels >= MEDIUM_BROWN are medium brown or darker
TARGET_GAP = 2  # the issue: medium brown at least two Monk steps darker than light skin


def labelled_photos(labels_csv: str | Path, split: str) -> dict[str, int]:
    """{image: hand Monk label} of the colour photos of one half ("tuning" or "heldout")."""
    want = split == "heldout"
    return {row["image"]: int(row["monk"]) for row in read_rows(Path(labels_csv))
            if row.get("monk") and held_out(identity(row["image"])) == want}


def measure_monk(images: Iterable[Path], method: str = "bisenet",
                 progress: bool = True) -> dict[str, int]:
    """{image name: measured Monk} for each photo where a face is found (the first face)."""
    from moji.evaluate_likeness import detect_faces
    from pipeline.likeness import LikenessEstimator, LikenessOptions

    faces = detect_faces([p for p in images if p.is_file()], progress)
    with LikenessEstimator.create_from_options(LikenessOptions(method=method)) as estimator:
        return {path.name: int(estimator.measure(rgb, face).monk)
                for path, (rgb, face) in faces.items()}


def summarise(labels: Mapping[str, int], measured: Mapping[str, int]) -> dict[str, Any]:
    """Per person and overall agreement of measured Monk with the labels, and the depth gap.

    Returns {"people": {identity: {"label", "photos", "median", "within_1", "mae",
    "self_within_1"}}, "photos", "mae", "within_1", "mean_error" (measured minus label: > 0
    reads too dark), "slope" (least squares of the person medians on their labels: 1 follows
    the labels, 0 is everyone the same), "gap" and "gap_labelled" (depth_gap)}.
    """
    people: dict[str, list[tuple[int, int]]] = {}
    for image, label in labels.items():
        if image in measured:
            people.setdefault(identity(image), []).append((label, measured[image]))
    out: dict[str, Any] = {"people": {}}
    errors: list[int] = []
    for person, pairs in sorted(people.items(), key=lambda kv: (kv[1][0][0], kv[0])):
        truth = np.array([t for t, _ in pairs])
        got = np.array([m for _, m in pairs])
        median = float(np.median(got))
        out["people"][person] = {
            "label": int(np.median(truth)), "photos": len(pairs), "median": median,
            "within_1": float((np.abs(got - truth) <= 1).mean()),
            "mae": float(np.abs(got - truth).mean()),
            # the same person across their photos: within one step of their own median
            "self_within_1": float((np.abs(got - median) <= 1).mean())}
        errors.extend((got - truth).tolist())
    err = np.array(errors)
    out["photos"] = len(err)
    out["mae"] = float(np.abs(err).mean()) if len(err) else None
    out["within_1"] = float((np.abs(err) <= 1).mean()) if len(err) else None
    out["mean_error"] = float(err.mean()) if len(err) else None
    rows = list(out["people"].values())
    out["slope"] = None
    if len({r["label"] for r in rows}) > 1:
        x = np.array([r["label"] for r in rows], float)
        y = np.array([r["median"] for r in rows], float)
        out["slope"] = float(np.polyfit(x, y, 1)[0])
    out["gap"], out["gap_labelled"] = depth_gap(out["people"])
    return out


def depth_gap(people: Mapping[str, Mapping[str, Any]]) -> tuple[float | None, int | None]:
    """(measured, labelled) gap: the lowest median Monk of the medium-brown people (label >=
    MEDIUM_BROWN) minus the highest of the light-skinned ones (label <= LIGHT), so that every
    medium-brown person must be that much darker than every light-skinned one. None when a
    half has no one on one side."""
    dark = [p for p in people.values() if p["label"] >= MEDIUM_BROWN]
    light = [p for p in people.values() if p["label"] <= LIGHT]
    if not dark or not light:
        return None, None
    return (min(p["median"] for p in dark) - max(p["median"] for p in light),
            min(p["label"] for p in dark) - max(p["label"] for p in light))


def format_report(result: Mapping[str, Any]) -> str:
    """A plain-text table of summarise's result."""
    lines = [f"{'person':19s}{'label':>6s}{'photos':>7s}{'median':>8s}{'within 1':>10s}"
             f"{'MAE':>6s}{'own median +-1':>16s}"]
    for person, p in result["people"].items():
        lines.append(f"{person:19s}{p['label']:>6d}{p['photos']:>7d}{p['median']:>8.1f}"
                     f"{p['within_1']:>10.0%}{p['mae']:>6.2f}{p['self_within_1']:>16.0%}")
    if result["photos"]:
        lines.append(f"{'all':19s}{'':>6s}{result['photos']:>7d}{'':>8s}"
                     f"{result['within_1']:>10.0%}{result['mae']:>6.2f}")
        lines.append(f"mean error (measured - label) {result['mean_error']:+.2f}; slope of the "
                     "person medians on their labels "
                     + ("n/a" if result["slope"] is None else f"{result['slope']:.2f}")
                     + " (1 follows the labels, 0 is everyone alike)")
    if result["gap"] is None:
        lines.append("depth gap: n/a (no medium-brown or no light-skinned person in this half)")
    else:
        verdict = "met" if result["gap"] >= TARGET_GAP else "NOT met"
        lines.append(f"depth gap (medium brown minus light, person medians): {result['gap']:+.1f} "
                     f"(labels {result['gap_labelled']:+d}; target >= {TARGET_GAP}: {verdict})")
    return "\n".join(lines)


def run(labels_csv: str | Path, images: str | Path, split: str, method: str = "bisenet",
        progress: bool = True) -> dict[str, Any]:
    """Measure one half and summarise it; the per-photo Monk is kept under "measured"."""
    labels = labelled_photos(labels_csv, split)
    measured = measure_monk([Path(images) / name for name in labels], method, progress)
    result = summarise(labels, measured)
    result.update(split=split, method=method, labelled=len(labels), measured=measured)
    return result
