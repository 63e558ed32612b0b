"""Hair colour naming where the photos have none of the colours: recoloured copies (issue 16).

Every colour photo of ../shared/data/faces is of a dark-haired person. To measure blonde, light
brown, grey, white, auburn and red at all, each photo's hair is recoloured and the copies are
put under the light changes a selfie meets:

- The hair: BiSeNet's hair class (pipeline.bisenet, face-parsing.PyTorch's 79999_iter.pth) on a
  square head crop around the landmarks, framed like CelebAMask-HQ (the whole head), mapped back
  onto the photo, then grown (grow_hair) into the hair it misses on these tight, small crops:
  the neighbouring pixels BiSeNet gives some hair probability, or coloured like the hair's
  body, near the head and above the chin, a few steps out. A copy whose sides stay black under
  a recoloured top looks like a cap on dark hair, and the likeness's own BiSeNet then reads it
  as a hat (on nine of the tuning people's photos, blonde and grey copies: more hair than hat
  pixels in the re-parse on 33% with BiSeNet's mask alone, 50% grown; on the held-out copies,
  read as wearing headwear: 30% before, 10% grown). Only those pixels change.
- The colour: in CIELAB, the hair's median is moved onto a real hair colour (HAIR_TARGETS) and
  each pixel keeps its own offset from the median (lightness and chroma): the strands, shine and
  shadows stay as they were; only what colour they are changes. The mask's edge is feathered
  inwards, so no pixel outside it changes.
- The light (LIGHTS): as it was, darker 50%, brighter 150%, a warm and a cool cast (the skin
  measure's own four), a flash-like bright (exposure up, slightly cool, a hot spot in the
  middle, highlights clipped) and a stage-light tint (magenta).

Each copy goes through `Pipeline.measure_likeness` (face found anew, as for any photo), and its
`to_dict()` hair colour is put in five groups (HAIR_COLOUR_GROUPS: dark, brown, blonde, grey;
bald when the hair length is none). The unchanged dark hair is measured the same way, as a
control.

What this cannot tell: real blonde, grey or red hair differs from dark hair in more than its
colour (it is thinner-looking, shinier, shows the scalp, and greying hair is a mix of dark and
white strands, not a uniform grey); a recoloured copy keeps dark hair's texture and its parse.
Two-tone hair (highlights, grey streaks), grey and white beards, and hair colour on real
blonde, grey or red people under real stage light are not measured here. And the copies are
harder on the parse than real light hair: on real blonde and white-haired people of the
greyscale photos (tuning side: Claudia Schiffer, Britney Spears, Cate Blanchett, Bob Hope, Hans
Blix, Donald Rumsfeld, ...; 56 photos, eight also cut to tight 70-100 pixel crops like the colour
photos) the likeness's BiSeNet reads the hair as hair, never as a hat; on the copies it still
reads a hat on 10-50% of the recoloured ones (each copy's `headwear` is kept, and
`format_haircolour` gives the share named right among the copies read without one).
"""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from pipeline.likeness.colour import hex_to_rgb
from pipeline.likeness.hair import drop_small_pieces

if TYPE_CHECKING:  # pragma: no cover
    from moji.recognisability import EvalPhoto
    from pipeline import Pipeline

HAIR_CLASS = 17  # BiSeNet / CelebAMask-HQ "hair"
# The head crop's side, in units of the landmarks' box, and its centre moved up by a share of
# the box: framed about like the likeness's own head frame. On these tight photos a wider crop
# (2.0) is mostly replicated border, and BiSeNet then finds less of the hair.
HEAD_CROP = 1.4
HEAD_CROP_UP = 0.1
PARSE_SIZE = 512
MIN_HAIR_SHARE = 0.02  # photos with less hair than this share of their pixels are passed over
MIN_PIECE = 0.002  # pieces of the hair mask smaller than this share of the photo are dropped
# (lashes and brows that BiSeNet now and then calls hair)
FACE_INSIDE = 0.85  # the landmarks' hull shrunk by this about its centre is never hair
# Growing the hair mask (grow_hair), in units of the landmarks' box: how far from the face's
# outline hair may be found, and how many one-pixel steps it may grow from BiSeNet's mask. Set by
# eye on the tuning people's photos (Dileep, Dwarakish, FaridaJalal, Jayamadhuri): further, and
# dark backgrounds beside the head are taken for hair.
GROW_ZONE = 0.2
GROW_STEPS = 0.08
GROW_PROBABILITY = 0.15  # BiSeNet's hair probability that counts as hair once next to it
GROW_LIGHTNESS = 8.0  # CIELAB: lighter than the hair's median by at most this (or its spread)
GROW_CHROMA = 10.0  # CIELAB a*b* distance from the hair's median

# Real hair colours (sRGB of the hair's body, from hair-colour charts) and the group each must be
# named. "dark" is the photo as it is: the control.
HAIR_TARGETS: dict[str, tuple[str | None, str]] = {
    "dark": (None, "dark"),
    "blonde": ("#c6a36a", "blonde"),
    "light_brown": ("#8a6747", "brown"),
    "auburn": ("#7a3621", "brown"),
    "red": ("#a8522c", "brown"),
    "grey": ("#8e8c89", "grey"),
    "white": ("#d8d6d1", "grey"),
}


def _scale(rgb: np.ndarray, gains: tuple[float, float, float]) -> np.ndarray:
    return np.clip(rgb.astype(np.float64) * np.asarray(gains), 0, 255).astype(np.uint8)


def _flash(rgb: np.ndarray) -> np.ndarray:
    """Exposure up, slightly cool, a hot spot in the middle (the flash falls off), clipped."""
    h, w = rgb.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    r = np.hypot((xx - w / 2) / (w / 2), (yy - h / 2) / (h / 2))
    spot = 1.45 - 0.3 * np.clip(r, 0, 1.5)
    gains = spot[..., None] * np.array([0.97, 1.0, 1.06])
    return np.clip(rgb.astype(np.float64) * gains, 0, 255).astype(np.uint8)


LIGHTS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "as_is": lambda rgb: rgb,
    "darker": lambda rgb: _scale(rgb, (0.5, 0.5, 0.5)),
    "brighter": lambda rgb: _scale(rgb, (1.5, 1.5, 1.5)),
    "warm": lambda rgb: _scale(rgb, (1.15, 1.0, 0.87)),
    "cool": lambda rgb: _scale(rgb, (0.87, 1.0, 1.15)),
    "flash": _flash,
    "stage": lambda rgb: _scale(rgb, (1.2, 0.78, 1.15)),  # a magenta stage light
}


def _to_lab(rgb: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)


def _to_rgb(lab: np.ndarray) -> np.ndarray:
    import cv2

    rgb = cv2.cvtColor(lab.astype(np.float32), cv2.COLOR_Lab2RGB)
    return np.clip(np.round(rgb * 255.0), 0, 255).astype(np.uint8)


def recolour_hair(rgb: np.ndarray, mask: np.ndarray, target: tuple[int, int, int],
                  feather: float = 1.5) -> np.ndarray:
    """`rgb` with the pixels of `mask` moved in CIELAB so that their median is `target`; each
    keeps its offset from the median (texture). Pixels outside the mask are left exactly."""
    import cv2

    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return rgb.copy()
    lab = _to_lab(rgb)
    median = np.median(lab[mask], axis=0)
    goal = _to_lab(np.asarray(target, dtype=np.uint8).reshape(1, 1, 3))[0, 0]
    moved = lab + (goal - median)
    moved[..., 0] = np.clip(moved[..., 0], 0, 100)
    out_rgb = _to_rgb(moved)
    alpha = mask.astype(np.float32)
    if feather > 0:  # soften the edge inwards only: outside the mask alpha stays 0
        alpha = cv2.GaussianBlur(alpha, (0, 0), feather) * alpha
        alpha = np.clip(alpha * 2.0, 0, 1) * mask
    blended = rgb.astype(np.float32) * (1 - alpha[..., None]) + out_rgb * alpha[..., None]
    result = rgb.copy()
    result[mask] = np.clip(np.round(blended[mask]), 0, 255).astype(np.uint8)
    return result


def grow_hair(rgb: np.ndarray, seed: np.ndarray, probability: np.ndarray,
              landmarks: np.ndarray) -> np.ndarray:
    """`seed` (BiSeNet's hair, a bool mask) grown into the hair next to it that it missed.

    A pixel joins when it touches the mask and either BiSeNet gave it some hair probability
    (GROW_PROBABILITY) or it is coloured like the hair's body (CIELAB lightness and chroma near
    the mask's median) and lies near the head (within GROW_ZONE of the landmarks' hull, not below
    the chin); at most GROW_STEPS steps out. Never inside the face (FACE_INSIDE), and small
    holes are closed, so that no dark rim or speckle is left under a light recolouring."""
    import cv2

    seed = np.asarray(seed, dtype=bool)
    if not seed.any():
        return seed.copy()
    h, w = seed.shape
    points = np.asarray(landmarks, dtype=np.float64)[:, :2]
    size = float(max(np.ptp(points[:, 0]), np.ptp(points[:, 1])))
    face = _face_inside(points, (h, w))
    lab = _to_lab(rgb)
    core = cv2.erode(seed.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    core = core if core.sum() >= 20 else seed
    median = np.median(lab[core], axis=0)
    spread = float(np.percentile(lab[core][:, 0], 90) - median[0])
    like = ((lab[..., 0] - median[0] < max(GROW_LIGHTNESS, 1.2 * spread))
            & (np.hypot(lab[..., 1] - median[1], lab[..., 2] - median[2]) < GROW_CHROMA))
    outline = np.zeros((h, w), np.uint8)
    cv2.fillConvexPoly(outline, cv2.convexHull(np.round(points).astype(np.int32)), 1)
    near = cv2.distanceTransform(1 - outline, cv2.DIST_L2, 3) < GROW_ZONE * size
    near &= np.arange(h)[:, None] < points[:, 1].max()
    allowed = (((like & near) | (probability > GROW_PROBABILITY)) & ~face).astype(np.uint8)
    grown = seed.astype(np.uint8)
    kernel = np.ones((3, 3), np.uint8)
    for _ in range(int(round(GROW_STEPS * size))):
        step = (cv2.dilate(grown, kernel) & allowed) | grown
        if np.array_equal(step, grown):
            break
        grown = step
    grown = cv2.morphologyEx(grown, cv2.MORPH_CLOSE, kernel)
    return grown.astype(bool) & ~face


def _face_inside(points: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The face itself (eyes, brows, nose, mouth): the landmarks' hull shrunk towards its
    middle by FACE_INSIDE, so that a fringe over the forehead's top stays hair."""
    import cv2

    middle = points.mean(axis=0)
    inner = middle + (points - middle) * FACE_INSIDE
    face = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(face, cv2.convexHull(np.round(inner).astype(np.int32)), 1)
    return face > 0


class HairMasker:
    """BiSeNet's hair class on a head crop, mapped back onto the photo, grown (grow_hair)."""

    def __init__(self, weights: str | Path | None = None) -> None:
        from pipeline.bisenet import BiSeNetParser

        self.parser = BiSeNetParser(weights=weights, device="cpu")

    def parse(self, rgb: np.ndarray, landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """BiSeNet's hair (bool, its pieces above MIN_PIECE, nothing inside the face) and its
        hair probability (float), both on the photo."""
        import cv2
        import torch

        points = np.asarray(landmarks, dtype=np.float64)[:, :2]
        x0, y0 = points.min(axis=0)
        x1, y1 = points.max(axis=0)
        size = max(x1 - x0, y1 - y0)
        side = HEAD_CROP * size
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2 - HEAD_CROP_UP * size
        scale = PARSE_SIZE / side
        matrix = np.array([[scale, 0, PARSE_SIZE / 2 - scale * cx],
                           [0, scale, PARSE_SIZE / 2 - scale * cy]], dtype=np.float64)
        crop = cv2.warpAffine(rgb, matrix, (PARSE_SIZE, PARSE_SIZE), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_REPLICATE)
        parser = self.parser
        with torch.inference_mode():
            logits = parser.model.parse(parser.transforms(crop[None], parser.device))[0]
            hair = (logits.argmax(0) == HAIR_CLASS).to(torch.uint8).cpu().numpy()
            probability = torch.softmax(logits, 0)[HAIR_CLASS].cpu().numpy()
        h, w = rgb.shape[:2]
        inverse = cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP
        back = cv2.warpAffine(hair, matrix, (w, h), flags=inverse,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        probability = cv2.warpAffine(probability.astype(np.float32), matrix, (w, h),
                                     flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                     borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        back[_face_inside(points, (h, w))] = 0
        return drop_small_pieces(back, MIN_PIECE * h * w), probability

    def __call__(self, rgb: np.ndarray, landmarks: np.ndarray, grow: bool = True) -> np.ndarray:
        """The hair of the face whose (N, 2+) landmarks are given, as a bool mask."""
        seed, probability = self.parse(rgb, landmarks)
        return grow_hair(rgb, seed, probability, landmarks) if grow else seed


def _png(rgb: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, "PNG")
    return buffer.getvalue()


def _group(likeness: dict) -> str:
    from pipeline.likeness import HAIR_COLOUR_GROUPS

    hair = likeness.get("hair") or {}
    if hair.get("length") == "none":
        return "bald"
    return HAIR_COLOUR_GROUPS.get(hair.get("colour"), "?")


def evaluate_haircolour(pipe: Pipeline, photos: list[EvalPhoto], images_dir: Path,
                        out_dir: Path, per_person: int = 2, progress: bool = True,
                        grow: bool = True) -> dict:
    """Each person's first `per_person` photos (in the given order) that show enough hair,
    recoloured to every HAIR_TARGETS colour under every light, measured. Photos with too
    little hair (tight crops, covered heads: BiSeNet's own mask, before growing, so that
    `grow` changes the copies, not which photos are taken) are passed over and listed in
    `skipped`. `grow`: recolour the grown mask (grow_hair), else BiSeNet's as it is."""
    from PIL import Image
    from tqdm import tqdm

    from pipeline.errors import MojiError

    masker = HairMasker()
    (out_dir / "examples").mkdir(parents=True, exist_ok=True)
    records: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    people = sorted({p.identity for p in photos})
    bar = tqdm(total=len(people) * per_person * len(HAIR_TARGETS) * len(LIGHTS),
               desc="haircolour", unit="copy", disable=not progress)
    taken: Counter[str] = Counter()
    for photo in photos:
        if taken[photo.identity] >= per_person:
            continue
        rgb = np.asarray(Image.open(images_dir / photo.image).convert("RGB"))
        _, faces = pipe.analyze(_png(rgb))
        if not faces:
            skipped[photo.image] = "no face"
            continue
        seed, probability = masker.parse(rgb, faces[0].landmarks)
        if seed.mean() < MIN_HAIR_SHARE:
            skipped[photo.image] = f"too little hair ({seed.mean():.1%} of the photo)"
            continue
        mask = grow_hair(rgb, seed, probability, faces[0].landmarks) if grow else seed
        taken[photo.identity] += 1
        grid: list[list[tuple[np.ndarray, str]]] = []
        for target, (hex_colour, expected) in HAIR_TARGETS.items():
            copy = rgb if hex_colour is None else recolour_hair(rgb, mask, hex_to_rgb(hex_colour))
            row = []
            for light, change in LIGHTS.items():
                lit = change(copy)
                try:
                    likeness = pipe.measure_likeness(_png(lit)).to_dict()
                    got, name = _group(likeness), (likeness.get("hair") or {}).get("colour")
                    worn = likeness.get("headwear") or "none"
                    read = bool((likeness.get("hair_detail") or {}).get("colour_read", True))
                except MojiError as exc:
                    got, name, worn, read = "no_face", exc.code, None, False
                records.append({"image": photo.image, "identity": photo.identity,
                                "target": target, "light": light, "expected": expected,
                                "group": got, "colour": name, "headwear": worn,
                                "read": read})
                row.append((lit, f"{got}"))
                bar.update(1)
            grid.append(row)
        _example_grid(grid, list(HAIR_TARGETS), list(LIGHTS)).save(
            out_dir / "examples" / f"{Path(photo.image).stem}.png")
    bar.close()
    return summarise(records) | {"skipped": skipped, "per_person": dict(taken),
                                 "records": records}


def summarise(records: list[dict]) -> dict:
    """Shares of copies named in their group: per target colour, per light, both; the recoloured
    targets pooled (`recoloured`) and the unchanged dark hair (`control`). Copies where no face
    was found are counted apart (`no_face`), not as wrong. `hat`: share of each target's copies
    whose likeness wore headwear (on a copy: its recoloured hair read as a hat);
    `recoloured_no_hat`: the recoloured copies named right among those read without one;
    `read`: share of the recoloured copies whose hair colour the likeness read at all (not
    the dark default for too little hair seen), `recoloured_read`: named right among those."""
    measured = [r for r in records if r["group"] != "no_face"]

    def share(rows: list[dict]) -> float | None:
        return round(float(np.mean([r["group"] == r["expected"] for r in rows])), 4) \
            if rows else None

    by_target: dict[str, list[dict]] = defaultdict(list)
    by_light: dict[str, list[dict]] = defaultdict(list)
    cells: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in measured:
        by_target[r["target"]].append(r)
        if r["target"] != "dark":
            by_light[r["light"]].append(r)
        cells[(r["target"], r["light"])].append(r)
    def hat(r: dict) -> bool:
        return (r.get("headwear") or "none") != "none"

    worn = {t: round(float(np.mean([hat(r) for r in rows])), 4) for t, rows in by_target.items()}
    bare = [r for r in measured if r["target"] != "dark" and not hat(r)]
    recoloured = [r for r in measured if r["target"] != "dark"]
    read = [r for r in recoloured if r.get("read", True)]
    return {
        "recoloured": share(recoloured),
        "recoloured_read": share(read), "read": round(len(read) / len(recoloured), 4)
        if recoloured else None,
        "recoloured_no_hat": share(bare), "no_hat_copies": len(bare), "hat": worn,
        "control": share([r for r in measured if r["target"] == "dark"]),
        "copies": len(records), "no_face": len(records) - len(measured),
        "photos": len({r["image"] for r in records}),
        "by_target": {t: share(rows) for t, rows in by_target.items()},
        "by_light": {light: share(rows) for light, rows in by_light.items()},
        "cells": {f"{t}/{light}": share(rows) for (t, light), rows in cells.items()},
        "named": {t: dict(Counter(r["group"] for r in rows).most_common())
                  for t, rows in by_target.items()},
        "names": {t: dict(Counter(r["colour"] for r in rows).most_common())
                  for t, rows in by_target.items()},
    }


def format_haircolour(report: dict) -> str:
    lines = [f"hair colour in 5 groups on recoloured copies: {report['recoloured']} "
             f"({report['photos']} photos, {report['copies']} copies, no face found in "
             f"{report['no_face']}); unchanged dark hair: {report['control']}"]
    if report.get("read") is not None:
        lines.append(f"hair colour read at all (not the default for too little hair seen): "
                     f"{report['read']:.2f} of the recoloured copies; named right among "
                     f"those: {report['recoloured_read']}")
    if report.get("hat"):
        lines.append(f"read without a hat: {report.get('recoloured_no_hat')} of "
                     f"{report.get('no_hat_copies')} recoloured copies; read as wearing "
                     "headwear: " + ", ".join(f"{t} {v:.2f}" for t, v in report["hat"].items()))
    lights = list(LIGHTS)
    lines.append(f"{'target':<13}{'all':>7}" + "".join(f"{light:>9}" for light in lights)
                 + "   named")
    for target in HAIR_TARGETS:
        if target not in report["by_target"]:
            continue
        cells = "".join(f"{_fmt(report['cells'].get(f'{target}/{light}')):>9}"
                        for light in lights)
        named = ", ".join(f"{g} {n}" for g, n in report["named"][target].items())
        lines.append(f"{target:<13}{_fmt(report['by_target'][target]):>7}{cells}   {named}")
    lines.append(f"{'(recoloured)':<13}{'':>7}"
                 + "".join(f"{_fmt(report['by_light'].get(light)):>9}" for light in lights))
    skipped = report.get("skipped", {})
    if skipped:
        lines.append(f"passed over {len(skipped)} photos (too little hair or no face), e.g. "
                     + "; ".join(f"{k}: {v}" for k, v in list(skipped.items())[:3]))
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _example_grid(grid: list[list[tuple[np.ndarray, str]]], targets: list[str],
                  lights: list[str], cell: int = 112):
    """The copies of one photo (rows: target colours; columns: lights), each with its group."""
    from PIL import Image, ImageDraw

    sheet = Image.new("RGB", (80 + cell * len(lights), 16 + (cell + 14) * len(targets)),
                      (245, 245, 245))
    draw = ImageDraw.Draw(sheet)
    for j, light in enumerate(lights):
        draw.text((80 + j * cell + 4, 2), light, fill=(0, 0, 0))
    for i, (target, row) in enumerate(zip(targets, grid, strict=True)):
        y = 16 + i * (cell + 14)
        draw.text((4, y + cell // 2), target, fill=(0, 0, 0))
        for j, (rgb, label) in enumerate(row):
            sheet.paste(Image.fromarray(rgb).resize((cell, cell)), (80 + j * cell, y))
            draw.text((80 + j * cell + 4, y + cell), label, fill=(0, 0, 0))
    return sheet


def plot_haircolour(report: dict, path: Path) -> None:
    """A heat map: share named in the right group, per target colour and light."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    targets = [t for t in HAIR_TARGETS if t in report["by_target"]]
    lights = list(LIGHTS)
    values = np.array([[np.nan if report["cells"].get(f"{t}/{light}") is None
                        else report["cells"][f"{t}/{light}"] for light in lights]
                       for t in targets])
    fig, ax = plt.subplots(figsize=(8, 4))
    image = ax.imshow(values, vmin=0, vmax=1, cmap="RdYlGn")
    for i in range(len(targets)):
        for j in range(len(lights)):
            if not np.isnan(values[i, j]):
                ax.text(j, i, f"{values[i, j]:.2f}", ha="center", va="center", fontsize=8)
    ax.set_xticks(range(len(lights)), lights)
    ax.set_yticks(range(len(targets)), targets)
    ax.set_title(f"hair colour in 5 groups, recoloured copies: {report['recoloured']} "
                 f"(dark control {report['control']})", fontsize=10)
    fig.colorbar(image, ax=ax)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
