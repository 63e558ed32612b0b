"""Measuring how faithfully a style's emoji follow real expressions, per embedder.

The unit of truth is a hand-labeled CSV (`image,mouth[,eyes]`): mouth in the fixed tag vocabulary
(neutral, smile, grin, open, frown), eyes open or closed. Mouths are scored in four classes, the
distinctions a person sees at a glance: lips closed or apart, smiling or not.
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MOUTH_CLASSES = ("closed-neutral", "closed-smile", "open-smile", "open-not-smiling")
# Tag -> 4-class mouth; optional tags map to what they look like.
MOUTH_CLASS_OF_TAG = {
    "neutral": "closed-neutral", "frown": "closed-neutral", "kiss": "closed-neutral",
    "smile": "closed-smile", "smirk": "closed-smile",
    "grin": "open-smile",
    "open": "open-not-smiling", "tongue": "open-not-smiling",
}
EYES_CLASSES = ("open", "closed")
EYES_CLASS_OF_TAG = {"closed": "closed", "open": "open", "wide": "open", "squint": "open",
                     "wink": "open"}


@dataclass
class LabeledPhoto:
    path: Path
    mouth: str | None  # None: the mouth could not be told (the photo still counts for eyes)
    eyes: str | None


def read_labels(csv_path: Path, images: Path | None = None) -> list[LabeledPhoto]:
    """Rows of a labels CSV. A relative image path is relative to the CSV's folder; where it is
    not there and `images` is given, the file of that name in `images` (the same photos kept
    elsewhere). Raises FileNotFoundError naming the photos found in neither place."""
    photos, missing = [], []
    with open(csv_path, newline="") as f:
        for row in csv.DictReader(f):
            path = Path(row["image"])
            if not path.is_absolute():
                path = csv_path.parent / path
                if not path.exists() and images is not None:
                    path = images / path.name
            if not path.exists():
                missing.append(row["image"])
            mouth = (row.get("mouth") or "").strip() or None
            if mouth is not None and mouth not in MOUTH_CLASS_OF_TAG:
                raise ValueError(f"{csv_path}: unknown mouth tag {mouth!r} for {row['image']}")
            eyes = (row.get("eyes") or "").strip() or None
            photos.append(LabeledPhoto(path, mouth, eyes))
    if missing:
        where = f"{csv_path.parent}" + (f" or {images}" if images is not None else "")
        raise FileNotFoundError(
            f"{len(missing)} of {len(photos)} photos of {csv_path} are not in {where}, e.g. "
            f"{', '.join(missing[:3])}. Point --images at the folder that holds them.")
    return photos


def mouth_class(tags: list[str]) -> str:
    """The 4-class mouth a part shows: open if any tag says the lips are apart."""
    if "grin" in tags:
        return "open-smile"
    if "open" in tags or "tongue" in tags:
        return "open-not-smiling"
    if "smile" in tags or "smirk" in tags:
        return "closed-smile"
    return "closed-neutral"


# A squint part drawn with both eyes at most this open is the laughing eyes, drawn shut (^ ^):
# it counts as closed, as a laughing squint is labelled closed (eval/FRESH_LABELS.md).
SHUT_SQUINT_OPEN = 0.25


def eyes_class(tags: list[str], params: dict[str, float] | None = None) -> str:
    """The eyes a part shows, open or closed. Without `params`, by tag only (a squint is open)."""
    if params is not None and tags[0] == "squint" and max(
            params.get("open_left", 1.0), params.get("open_right", 1.0)) <= SHUT_SQUINT_OPEN:
        return "closed"
    return EYES_CLASS_OF_TAG[tags[0]]


def _main_tags(matches: dict) -> dict[str, str]:
    """Kind -> the chosen part's main tag (its first): what the emoji shows, not which drawing."""
    return {kind: m.tags[0] if m.tags else m.part_id for kind, m in matches.items()}


def confusion(truth: list[str], predicted: list[str], classes: tuple[str, ...]) -> np.ndarray:
    matrix = np.zeros((len(classes), len(classes)), int)
    for t, p in zip(truth, predicted, strict=True):
        matrix[classes.index(t), classes.index(p)] += 1
    return matrix


def balanced_accuracy(matrix: np.ndarray) -> float:
    rows = matrix.sum(axis=1)
    recalls = [matrix[i, i] / rows[i] for i in range(len(rows)) if rows[i]]
    return float(np.mean(recalls)) if recalls else float("nan")


# --- perturbations: what a photo goes through between a phone and Moji ---------------------

def _encode(image, fmt: str = "PNG", **kw) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **kw)
    return out.getvalue()


def perturbations(data: bytes) -> dict[str, bytes]:
    """Small changes that should not change the emoji: JPEG q70, brightness +-5%, a 2 px shift,
    a 3% rescale."""
    from PIL import Image, ImageChops, ImageEnhance

    image = Image.open(io.BytesIO(data)).convert("RGB")
    w, h = image.size
    return {
        "jpeg70": _encode(image, "JPEG", quality=70),
        "bright+5%": _encode(ImageEnhance.Brightness(image).enhance(1.05)),
        "bright-5%": _encode(ImageEnhance.Brightness(image).enhance(0.95)),
        "shift2px": _encode(ImageChops.offset(image, 2, 2)),
        "rescale3%": _encode(image.resize((round(w * 1.03), round(h * 1.03)),
                                          Image.Resampling.BICUBIC)),
    }


def still_frames(data: bytes, count: int = 24, seed: int = 0) -> list[bytes]:
    """A still subject filmed by a phone: every frame gets sensor noise, a sub-pixel shake and
    video-grade JPEG compression, and nothing else changes."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    image = Image.open(io.BytesIO(data)).convert("RGB")
    pixels = np.asarray(image, dtype=np.float32)
    frames = []
    for _ in range(count):
        dx, dy = rng.uniform(-0.75, 0.75, size=2)
        shaken = image.transform(image.size, Image.Transform.AFFINE, (1, 0, dx, 0, 1, dy),
                                 resample=Image.Resampling.BILINEAR)
        noisy = np.asarray(shaken, dtype=np.float32) + rng.normal(0, 2.0, pixels.shape)
        frame = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))
        frames.append(_encode(frame, "JPEG", quality=85))
    return frames


def _mean_cosine_distance(vectors: np.ndarray, reference: np.ndarray) -> float:
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)
    ref = reference / max(float(np.linalg.norm(reference)), 1e-12)
    return float(np.mean(1.0 - unit @ ref))


@dataclass
class EmbedderReport:
    """All the figures for one embedder on one labeled set."""

    embedder: str
    style: str
    mouth_truth: list[str] = field(default_factory=list)
    mouth_pred: list[str] = field(default_factory=list)
    eyes_truth: list[str] = field(default_factory=list)
    eyes_pred: list[str] = field(default_factory=list)
    eyes_pred_by_tag: list[str] = field(default_factory=list)  # a laughing squint counted open
    stable: int = 0
    perturbed: int = 0
    # the same main tag (tags[0]) of every expression kind: a smile stays a smile, the exact
    # part may change; per perturbed variant, and per photo (all of its variants)
    tags_stable: int = 0
    photos_perturbed: int = 0
    photos_stable: int = 0
    photos_tags_stable: int = 0
    tags_changed: dict[str, int] = field(default_factory=dict)  # kind -> variants it changed in
    embed_ms: list[float] = field(default_factory=list)
    # still-video jitter: per kind, frame-to-frame spread and the spread between photos
    frame_spread: dict[str, list[float]] = field(default_factory=dict)
    photo_vectors: dict[str, list[np.ndarray]] = field(default_factory=dict)
    flicker: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # (image, truth, predicted)

    @property
    def mouth_matrix(self) -> np.ndarray:
        return confusion(self.mouth_truth, self.mouth_pred, MOUTH_CLASSES)

    @property
    def eyes_matrix(self) -> np.ndarray:
        return confusion(self.eyes_truth, self.eyes_pred, EYES_CLASSES)

    @property
    def mouth_accuracy(self) -> float:
        m = self.mouth_matrix
        return float(np.trace(m) / max(1, m.sum()))

    @property
    def eyes_balanced_accuracy(self) -> float:
        return balanced_accuracy(self.eyes_matrix)

    @property
    def eyes_balanced_accuracy_by_tag(self) -> float:
        """The same, counting every squint part as open (the laughing eyes too)."""
        return balanced_accuracy(confusion(self.eyes_truth, self.eyes_pred_by_tag, EYES_CLASSES))

    @property
    def stability(self) -> float:
        return self.stable / self.perturbed if self.perturbed else float("nan")

    @property
    def tags_stability(self) -> float:
        """Share of perturbed variants whose face, eyes, brows and mouth keep their main tag."""
        return self.tags_stable / self.perturbed if self.perturbed else float("nan")

    @property
    def photo_stability(self) -> float:
        """Share of perturbed photos whose emoji is exactly the same under every perturbation."""
        return self.photos_stable / self.photos_perturbed if self.photos_perturbed \
            else float("nan")

    @property
    def photo_tags_stability(self) -> float:
        """Share of perturbed photos whose main tags stay the same under every perturbation."""
        return self.photos_tags_stable / self.photos_perturbed if self.photos_perturbed \
            else float("nan")

    @property
    def jitter(self) -> float:
        """How much a part's embedding moves over the frames of a still video, relative to how
        far apart the embeddings of different people's photos are (0 steady, 1 as if the frames
        were of different people), averaged over the part kinds."""
        ratios = []
        for kind, spreads in self.frame_spread.items():
            vectors = np.stack(self.photo_vectors[kind])
            unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
            between = 1.0 - unit @ unit.T
            off_diagonal = between[~np.eye(len(unit), dtype=bool)]
            if spreads and off_diagonal.size and off_diagonal.mean() > 0:
                ratios.append(float(np.mean(spreads)) / float(off_diagonal.mean()))
        return float(np.mean(ratios)) if ratios else float("nan")

    @property
    def flicker_rate(self) -> float:
        """Share of consecutive still-video frames whose emoji differ."""
        return float(np.mean(self.flicker)) if self.flicker else float("nan")

    def summary(self) -> dict:
        return {
            "embedder": self.embedder, "style": self.style, "photos": len(self.mouth_truth),
            "mouth_accuracy": round(self.mouth_accuracy, 4),
            "eyes_balanced_accuracy": round(self.eyes_balanced_accuracy, 4),
            "eyes_balanced_accuracy_by_tag": round(self.eyes_balanced_accuracy_by_tag, 4),
            "stability": round(self.stability, 4), "perturbed": self.perturbed,
            "same_tags": round(self.tags_stability, 4),
            "photos_perturbed": self.photos_perturbed,
            "photo_stability": round(self.photo_stability, 4),
            "photo_same_tags": round(self.photo_tags_stability, 4),
            "same_tags_by_kind": {kind: round(1 - changed / self.perturbed, 4)
                                  for kind, changed in sorted(self.tags_changed.items())},
            "jitter": round(self.jitter, 4), "flicker": round(self.flicker_rate, 4),
            "embed_ms_median": round(float(np.median(self.embed_ms)), 3) if self.embed_ms else None,
            "errors": self.errors,
        }


def evaluate(photos: list[LabeledPhoto], embedders: list, style_name: str,
             perturb: int = 0, still: int = 0, progress: bool = True) -> list[EmbedderReport]:
    """Run every embedder over the same analysed photos (one landmarker pass per photo).

    `perturb`: how many photos (the first N that have a face) also get the five perturbations.
    `still`: how many photos are also filmed as a 24-frame still video (`still_frames`).
    """
    from tqdm import tqdm

    from pipeline.analyze import AnalyzerOptions, FaceAnalyzer
    from pipeline.decode import decode_image
    from pipeline.errors import MojiError
    from pipeline.index import load_index
    from pipeline.match import match_parts
    from pipeline.parse import parse_face
    from pipeline.style import load_style

    style = load_style(style_name)
    indexes = {e.name: load_index(style, e) for e in embedders}
    needs_pixels = any(e.needs_pixels for e in embedders)
    reports = {e.name: EmbedderReport(e.name, style.name) for e in embedders}
    analyzer = FaceAnalyzer(AnalyzerOptions())

    def emoji_for(data: bytes) -> dict[str, tuple]:
        """embedder -> (matches, embed ms, vectors), or MojiError."""
        image = decode_image(data)
        faces = analyzer.detect(image.rgb)
        if not faces:
            raise MojiError("no_face", "no face")
        parsed = parse_face(image.rgb, faces[0], with_pixels=needs_pixels)
        out = {}
        for e in embedders:
            start = time.perf_counter()
            vectors = e.embed_face(parsed)
            elapsed = (time.perf_counter() - start) * 1000
            out[e.name] = (match_parts(style, indexes[e.name], vectors), elapsed, vectors)
        return out

    perturbed = filmed = 0
    for photo in tqdm(photos, desc="evaluate", disable=not progress, unit="photo"):
        data = photo.path.read_bytes()
        try:
            results = emoji_for(data)
        except MojiError as exc:
            for report in reports.values():
                report.errors[exc.code] = report.errors.get(exc.code, 0) + 1
            continue
        for name, (matches, ms, vectors) in results.items():
            r = reports[name]
            r.embed_ms.append(ms)
            for kind, vector in vectors.items():
                r.photo_vectors.setdefault(kind, []).append(np.asarray(vector, dtype=np.float64))
            if photo.mouth is not None:
                truth, pred = MOUTH_CLASS_OF_TAG[photo.mouth], mouth_class(matches["mouth"].tags)
                r.mouth_truth.append(truth)
                r.mouth_pred.append(pred)
                if truth != pred:
                    r.misses.append((photo.path.name, photo.mouth, matches["mouth"].part_id))
            if photo.eyes in EYES_CLASSES:
                r.eyes_truth.append(photo.eyes)
                eyes_part = style.part(matches["eyes"].part_id)
                r.eyes_pred.append(eyes_class(matches["eyes"].tags, eyes_part.params))
                r.eyes_pred_by_tag.append(eyes_class(matches["eyes"].tags))
        if perturbed < perturb:
            perturbed += 1
            chosen = {name: {k: m.part_id for k, m in res[0].items()}
                      for name, res in results.items()}
            chosen_tags = {name: _main_tags(res[0]) for name, res in results.items()}
            all_same = dict.fromkeys(reports, True)
            all_same_tags = dict.fromkeys(reports, True)
            for variant in perturbations(data).values():
                try:
                    again = emoji_for(variant)
                except MojiError:
                    again = {}
                for name in reports:
                    reports[name].perturbed += 1
                    if name in again and {k: m.part_id for k, m in again[name][0].items()} \
                            == chosen[name]:
                        reports[name].stable += 1
                    else:
                        all_same[name] = False
                    tags = _main_tags(again[name][0]) if name in again else {}
                    if tags == chosen_tags[name]:
                        reports[name].tags_stable += 1
                    else:
                        all_same_tags[name] = False
                    for kind, tag in chosen_tags[name].items():
                        changed = reports[name].tags_changed
                        changed[kind] = changed.get(kind, 0) + (tags.get(kind) != tag)
            for name, r in reports.items():
                r.photos_perturbed += 1
                r.photos_stable += all_same[name]
                r.photos_tags_stable += all_same_tags[name]
        if filmed < still:
            filmed += 1
            frames = []
            for frame in still_frames(data, seed=filmed):
                try:
                    frames.append(emoji_for(frame))
                except MojiError:
                    continue
            for name, r in reports.items():
                if len(frames) < 2:
                    continue
                for kind in frames[0][name][2]:
                    stacked = np.stack([f[name][2][kind] for f in frames]).astype(np.float64)
                    r.frame_spread.setdefault(kind, []).append(
                        _mean_cosine_distance(stacked, stacked.mean(axis=0)))
                ids = [tuple(m.part_id for m in f[name][0].values()) for f in frames]
                changes = [a != b for a, b in zip(ids, ids[1:], strict=False)]
                r.flicker.append(float(np.mean(changes)))
    analyzer.close()
    return list(reports.values())


def plot_comparison(reports: list[EmbedderReport], path: Path) -> None:
    """The embedders side by side: accuracy, stability, steadiness (1 - jitter)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = [("mouth 4-class", lambda r: r.mouth_accuracy),
               ("eyes balanced", lambda r: r.eyes_balanced_accuracy),
               ("same emoji\nunder perturbation", lambda r: r.stability),
               ("steady on a\nstill video (1 - jitter)", lambda r: 1.0 - r.jitter)]
    fig, ax = plt.subplots(figsize=(10, 4.2))
    width = 0.8 / len(reports)
    for i, report in enumerate(reports):
        values = [np.nan_to_num(f(report)) for _, f in metrics]
        bars = ax.bar(np.arange(len(metrics)) + i * width, values, width, label=report.embedder)
        ax.bar_label(bars, fmt="%.2f", fontsize=7)
    ax.set_xticks(np.arange(len(metrics)) + width * (len(reports) - 1) / 2,
                  [m for m, _ in metrics])
    ax.set_ylim(0, 1.3)  # room for the legend above the bars
    ax.set_title(f"Embedders on the same photos (style {reports[0].style})")
    ax.legend(fontsize=8, ncol=min(4, len(reports)), loc="upper center")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_confusions(reports: list[EmbedderReport], path: Path) -> None:
    """One row per embedder: mouth 4-class and eyes confusion matrices, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(reports), 2, figsize=(10, 4.2 * len(reports)), squeeze=False,
                             gridspec_kw={"width_ratios": [1.6, 1]})
    for row, report in zip(axes, reports, strict=True):
        for ax, matrix, classes, title in (
            (row[0], report.mouth_matrix, MOUTH_CLASSES,
             f"{report.embedder}: mouth, accuracy {report.mouth_accuracy:.1%}"),
            (row[1], report.eyes_matrix, EYES_CLASSES,
             f"eyes, balanced accuracy {report.eyes_balanced_accuracy:.1%}"),
        ):
            ax.imshow(matrix, cmap="Purples")
            ax.set_xticks(range(len(classes)), classes, rotation=30, ha="right", fontsize=8)
            ax.set_yticks(range(len(classes)), classes, fontsize=8)
            ax.set_xlabel("emoji (predicted)")
            ax.set_ylabel("photo (labeled)")
            ax.set_title(title, fontsize=10)
            for (i, j), v in np.ndenumerate(matrix):
                ax.text(j, i, str(v), ha="center", va="center",
                        color="white" if v > matrix.max() / 2 else "black")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def format_matrix(matrix: np.ndarray, classes: tuple[str, ...]) -> str:
    width = max(len(c) for c in classes) + 2
    lines = [" " * width + "".join(f"{c[:14]:>16}" for c in classes)]
    for c, row in zip(classes, matrix, strict=True):
        lines.append(f"{c:<{width}}" + "".join(f"{v:>16}" for v in row))
    return "\n".join(lines)
