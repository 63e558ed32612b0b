"""Can a friend tell who a sticker is? Issue 16's recognisability measure.

Two figures, both computed only from what the pipeline hands out in public (`Pipeline.render`,
the rendered PNG bytes and `Likeness.to_dict()`), so that they judge any change to how the
likeness is measured or the face is drawn:

- The lineup. People with several photos; each photo is drawn in each style. For each sticker,
  is the nearest OTHER sticker, compared as a picture, of the same person? The picture distance
  never reads the JSON: the RGBA sticker is flattened on mid-grey, shrunk to 32x32 (area
  average) and compared by L2. Chance, reported beside the share, is the mean over stickers of
  (stickers of the same person among the others) / (all others): what a random pick gets.
- Same-person agreement of the likeness, per trait, over all pairs of a person's photos: hair
  colour group, hair length, facial hair (any, and kind), glasses, headwear, Monk within one
  step, and "same look" (hair colour group, hair length, facial hair or not, glasses or not
  and Monk within one step, all at once).

The people: the colour photos of ../shared/data/faces/ (8 people, 26-153 photos each) split by
the lead into held-out and tuning people (never tune on the held-out ones), and the greyscale
people with two or more photos (shape alone), split by sha1 of the identity. eval/
recognisability.csv lists every photo, its person, split, kind and its place in its person's
fixed order (`rank`); a run takes each person's first --per-person photos in that order.

The colour photos are all dark-haired: moji/haircolour.py measures hair colour naming on copies
whose hair is recoloured.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image

    from pipeline import Pipeline

STYLES = ("avatar", "lineart", "classic")
# Fixed by the lead (issue 16): never tune on the held-out people; report on them.
HELD_OUT_COLOUR = ("HrithikRoshan", "KatrinaKaif", "SharmilaTagore", "Avinash")
TUNING_COLOUR = ("Dwarakish", "Jayamadhuri", "Dileep", "FaridaJalal")
GREY_HELD_OUT_DIGITS = "0123"  # sha1(identity) hex digest starts with one of these: held out
# Left out: one unnamed man's four colour photos of posed expressions from one session, in
# neither the lead's colour split nor greyscale.
NOT_A_PERSON = ("facial-expressions",)
SPLITS = ("heldout", "tuning")
KINDS = ("colour", "grey")
SPLIT_CSV = "eval/recognisability.csv"
PICTURE_SIZE = 32  # side of the shrunk sticker the lineup compares
BACKGROUND = 128  # mid-grey: transparent sticker pixels are flattened onto it


# ---------------------------------------------------------------------------------------------
# The split

@dataclass(frozen=True)
class EvalPhoto:
    image: str  # file name under the images folder
    identity: str
    split: str  # heldout | tuning
    kind: str  # colour | grey
    rank: int  # place in the person's fixed order (sha1 of the file name): take rank < N


def grey_split(identity: str) -> str:
    """The split of a greyscale person: held out when sha1(identity) starts with 0-3."""
    digest = hashlib.sha1(identity.encode("utf-8")).hexdigest()
    return "heldout" if digest[0] in GREY_HELD_OUT_DIGITS else "tuning"


def colour_split(identity: str) -> str | None:
    if identity in HELD_OUT_COLOUR:
        return "heldout"
    if identity in TUNING_COLOUR:
        return "tuning"
    return None


def _photo_order(image: str) -> str:
    return hashlib.sha1(image.encode("utf-8")).hexdigest()


def is_grey_image(path: Path) -> bool:
    """A greyscale photo: one channel, or three (nearly) equal ones."""
    from PIL import Image

    with Image.open(path) as im:
        if im.mode in ("L", "LA", "1", "I", "I;16"):
            return True
        rgb = np.asarray(im.convert("RGB"), dtype=np.int16)[::4, ::4]
    return bool(np.abs(rgb[..., 0] - rgb[..., 1]).mean() < 2.0
                and np.abs(rgb[..., 2] - rgb[..., 1]).mean() < 2.0)


def build_split(labels_csv: Path, images_dir: Path,
                is_grey: Callable[[Path], bool] = is_grey_image) -> list[EvalPhoto]:
    """Every photo the measure may use: the 8 colour people, and the greyscale photos of people
    with two or more of them. Each person's photos are ranked by sha1 of the file name."""
    by_person: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    with open(labels_csv, newline="") as f:
        for row in csv.DictReader(f):
            identity, image = row["identity"], row["image"]
            if identity in NOT_A_PERSON:
                continue
            split = colour_split(identity)
            if split is not None:
                by_person[(identity, split, "colour")].append(image)
            elif is_grey(images_dir / image):
                by_person[(identity, grey_split(identity), "grey")].append(image)
    photos = []
    for (identity, split, kind), images in sorted(by_person.items()):
        if len(images) < 2:
            continue
        for rank, image in enumerate(sorted(images, key=_photo_order)):
            photos.append(EvalPhoto(image, identity, split, kind, rank))
    return photos


def write_split(photos: list[EvalPhoto], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(("image", "identity", "split", "kind", "rank"))
        for p in photos:
            writer.writerow((p.image, p.identity, p.split, p.kind, p.rank))


def read_split(path: Path) -> list[EvalPhoto]:
    with open(path, newline="") as f:
        return [EvalPhoto(r["image"], r["identity"], r["split"], r["kind"], int(r["rank"]))
                for r in csv.DictReader(f)]


def select(photos: Iterable[EvalPhoto], split: str, kinds: Iterable[str] = KINDS,
           per_person: int = 8, grey_per_person: int = 3, limit: int | None = None,
           people: Iterable[str] | None = None) -> list[EvalPhoto]:
    """Each person's first photos in their fixed order; whole people until `limit` photos."""
    wanted_people = set(people) if people else None
    chosen: list[EvalPhoto] = []
    for kind in kinds:
        cap = per_person if kind == "colour" else grey_per_person
        group = sorted((p for p in photos if p.split == split and p.kind == kind
                        and p.rank < cap
                        and (wanted_people is None or p.identity in wanted_people)),
                       key=lambda p: (p.identity, p.rank))
        for _, person_photos in itertools.groupby(group, key=lambda p: p.identity):
            person_photos = list(person_photos)
            if limit is not None and len(chosen) + len(person_photos) > limit:
                return chosen
            chosen.extend(person_photos)
    return chosen


# ---------------------------------------------------------------------------------------------
# The lineup

def picture_vector(sticker: bytes | Image.Image, size: int = PICTURE_SIZE,
                   background: int = BACKGROUND) -> np.ndarray:
    """A sticker as the lineup sees it: RGBA flattened on mid-grey, shrunk to size x size (area
    average), as a float vector of 0..1 values."""
    from PIL import Image

    image = Image.open(io.BytesIO(sticker)) if isinstance(sticker, bytes) else sticker
    rgba = image.convert("RGBA")
    flat = Image.new("RGBA", rgba.size, (background, background, background, 255))
    flat.alpha_composite(rgba)
    small = flat.convert("RGB").resize((size, size), Image.Resampling.BOX)
    return np.asarray(small, dtype=np.float32).reshape(-1) / 255.0


@dataclass
class LineupResult:
    share: float  # stickers whose nearest other sticker is of the same person
    chance: float  # what picking another sticker at random would get
    stickers: int  # stickers counted (their person has another sticker)
    people: int
    hits: list[float] = field(repr=False)  # per counted sticker: 1, 0, or a share on ties
    nearest: list[int] = field(repr=False)  # index of each counted sticker's nearest other
    per_person: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict:
        return {"share": round(self.share, 4), "chance": round(self.chance, 4),
                "stickers": self.stickers, "people": self.people,
                "per_person": {k: round(v, 4) for k, v in self.per_person.items()}}


def lineup(vectors: np.ndarray, people: list[str]) -> LineupResult:
    """For each sticker whose person has another sticker: is its nearest other sticker (L2)
    of the same person? When several others are equally near (identical stickers), the sticker
    scores the share of them that are of its person: what a random pick among them gets."""
    vectors = np.asarray(vectors, dtype=np.float64)
    n = len(people)
    if vectors.shape[0] != n:
        raise ValueError("one vector per sticker")
    labels = np.asarray(people)
    same = labels[:, None] == labels[None, :]
    np.fill_diagonal(same, False)
    counted = same.any(axis=1)
    if n < 2 or not counted.any():
        return LineupResult(0.0, 0.0, 0, 0, [], [])
    squared = (vectors ** 2).sum(axis=1)
    distances = squared[:, None] + squared[None, :] - 2 * vectors @ vectors.T
    np.fill_diagonal(distances, np.inf)
    nearest = distances.argmin(axis=1)
    closest = distances.min(axis=1, keepdims=True)
    tied = distances <= closest + 1e-9 * np.maximum(1.0, closest)
    hits = (tied & same).sum(axis=1) / tied.sum(axis=1)
    chance_each = same.sum(axis=1) / (n - 1)
    per_person: dict[str, list[float]] = defaultdict(list)
    for i in np.flatnonzero(counted):
        per_person[str(labels[i])].append(float(hits[i]))
    return LineupResult(
        share=float(hits[counted].mean()), chance=float(chance_each[counted].mean()),
        stickers=int(counted.sum()), people=len(per_person),
        hits=[float(h) for h in hits[counted]], nearest=[int(j) for j in nearest[counted]],
        per_person={p: float(np.mean(h)) for p, h in sorted(per_person.items())})


# ---------------------------------------------------------------------------------------------
# Same-person agreement of the likeness

def _hair_group(likeness: dict) -> str | None:
    from pipeline.likeness import HAIR_COLOUR_GROUPS

    hair = likeness.get("hair") or {}
    if hair.get("length") == "none":
        return "bald"
    return HAIR_COLOUR_GROUPS.get(hair.get("colour"))


def _monk(likeness: dict) -> int | None:
    return (likeness.get("skin") or {}).get("monk")


def _facial_hair_any(likeness: dict) -> bool:
    return likeness.get("facial_hair", "none") != "none"


def _glasses_any(likeness: dict) -> bool:
    return likeness.get("glasses", "none") != "none"


def _equal(get: Callable[[dict], Any]) -> Callable[[dict, dict], bool]:
    return lambda a, b: get(a) == get(b)


def _monk_close(a: dict, b: dict) -> bool:
    ma, mb = _monk(a), _monk(b)
    return ma is not None and mb is not None and abs(ma - mb) <= 1


def _same_look(a: dict, b: dict) -> bool:
    return (_hair_group(a) == _hair_group(b)
            and (a.get("hair") or {}).get("length") == (b.get("hair") or {}).get("length")
            and _facial_hair_any(a) == _facial_hair_any(b)
            and _glasses_any(a) == _glasses_any(b) and _monk_close(a, b))


# trait -> does a pair of Likeness.to_dict() values agree on it?
AGREEMENT_TRAITS: dict[str, Callable[[dict, dict], bool]] = {
    "hair_colour_group": _equal(_hair_group),
    "hair_length": _equal(lambda d: (d.get("hair") or {}).get("length")),
    "facial_hair_any": _equal(_facial_hair_any),
    "facial_hair_kind": _equal(lambda d: d.get("facial_hair")),
    "glasses": _equal(lambda d: d.get("glasses")),
    "headwear": _equal(lambda d: d.get("headwear")),
    "monk_within_1": _monk_close,
    "same_look": _same_look,
    # issue 16's newer traits, where the likeness gives them
    "hair_style": _equal(lambda d: (d.get("hair_detail") or {}).get("style")),
    "hairline": _equal(lambda d: (d.get("hair_detail") or {}).get("hairline")),
    "eye_colour": _equal(lambda d: (d.get("eyes") or {}).get("colour")),
}


def agreement(likenesses: dict[str, list[dict]]) -> dict[str, dict]:
    """Per trait: the share of pairs of one person's photos (all pairs, every person pooled)
    whose likenesses agree; `per_person` the same per person; `looks` the number of different
    looks (the five traits of same_look, Monk exactly) each person was given."""
    out: dict[str, dict] = {}
    pairs = {person: list(itertools.combinations(items, 2))
             for person, items in likenesses.items() if len(items) >= 2}
    total = sum(len(p) for p in pairs.values())
    for trait, agrees in AGREEMENT_TRAITS.items():
        per_person = {person: float(np.mean([agrees(a, b) for a, b in person_pairs]))
                      for person, person_pairs in pairs.items()}
        hits = sum(agrees(a, b) for person_pairs in pairs.values() for a, b in person_pairs)
        out[trait] = {"share": round(hits / total, 4) if total else 0.0, "pairs": total,
                      "per_person": {k: round(v, 4) for k, v in sorted(per_person.items())}}
    out["looks"] = {person: len({_look_key(d) for d in items})
                    for person, items in sorted(likenesses.items())}
    return out


def _look_key(d: dict) -> tuple:
    return (_hair_group(d), (d.get("hair") or {}).get("length"), _facial_hair_any(d),
            _glasses_any(d), _monk(d))


# ---------------------------------------------------------------------------------------------
# Running it

@dataclass
class Rendered:
    photo: EvalPhoto
    ok: bool
    likeness: dict | None = None
    stickers: dict[str, Path] = field(default_factory=dict)  # style -> PNG written
    error: str | None = None
    ms: float = 0.0


CALM = "-calm"  # suffix of the calm-face stickers: the photo's look, one expression for all


def calm_sticker(pipe: Pipeline, likeness: Any, style: str) -> bytes:
    """The look alone: `Pipeline.render_identity` (what /me shows: a calm, friendly face) with
    the likeness measured on the photo. A lineup of these leaves out the expression, which
    frames of one scene share whoever is in them."""
    return pipe.render_identity(likeness, style=style).png


class KeptLook:
    """The bot's look-keeping for one person, without Redis (worker.identity.observe's rules):
    the first three photos vote (worker.look_vote), a photo whose look clearly differs is drawn
    with its own, every other photo with the voted look and face."""

    def __init__(self) -> None:
        from worker.look_vote import Sample

        self.samples: list[Sample] = []

    def choose(self, measured: Any, face: str | None, colour: bool) -> tuple[Any, str | None]:
        from worker.look_vote import VOTES, Sample, differences, vote

        sample = Sample(measured, face, "", colour)
        if self.samples and differences(sample, self.samples):
            return measured, None
        if len(self.samples) < VOTES:
            self.samples.append(sample)
        return vote(self.samples)


def render_photos(pipe: Pipeline, photos: list[EvalPhoto], images_dir: Path,
                  styles: Iterable[str], out_dir: Path, progress: bool = True,
                  calm: bool = True, as_bot: bool = False) -> list[Rendered]:
    """Each photo drawn in each style (its likeness measured once, on the first style, and
    given to the others, as `moji render --likeness` does); stickers written to
    out_dir/stickers/STYLE/IMAGE.png, and with `calm` the look alone (calm_sticker) to
    out_dir/stickers/STYLE-calm/IMAGE.png. `as_bot`: each person's photos in their order drawn
    as the bot draws a person's private selfies (KeptLook: the look voted over the first three,
    kept for the rest) instead of each with its own measured look."""
    from tqdm import tqdm

    from pipeline.errors import MojiError

    styles = list(styles)
    kinds = [*styles, *(s + CALM for s in styles)] if calm else styles
    for kind in kinds:
        (out_dir / "stickers" / kind).mkdir(parents=True, exist_ok=True)
    results = []
    kept: dict[str, KeptLook] = {}
    for photo in tqdm(photos, desc="lineup", unit="photo", disable=not progress):
        start = time.perf_counter()
        data = (images_dir / photo.image).read_bytes()
        likeness, face_part = None, None
        keeper = kept.setdefault(photo.identity, KeptLook()) if as_bot else None
        record = Rendered(photo, ok=True)
        try:
            for style in styles:
                sticker = pipe.render(data, style=style, likeness=likeness, face_part=face_part,
                                      choose_look=keeper.choose if keeper and not likeness
                                      else None)
                likeness = sticker.likeness
                if keeper is not None:
                    face_part = sticker.matches["face"].part_id
                path = out_dir / "stickers" / style / (Path(photo.image).stem + ".png")
                path.write_bytes(sticker.png)
                record.stickers[style] = path
            for style in styles if calm and likeness is not None else ():
                path = out_dir / "stickers" / (style + CALM) / (Path(photo.image).stem + ".png")
                path.write_bytes(calm_sticker(pipe, likeness, style))
                record.stickers[style + CALM] = path
            record.likeness = likeness.to_dict() if likeness is not None else None
        except MojiError as exc:
            record = Rendered(photo, ok=False, error=exc.code)
        record.ms = round((time.perf_counter() - start) * 1000, 1)
        results.append(record)
    return results


def rescore_records(pipe: Pipeline | None, run_dir: Path, styles: Iterable[str],
                    calm: bool = True, progress: bool = True) -> list[Rendered]:
    """A finished run read back (photos.jsonl and its stickers), the calm stickers it lacks
    drawn from each photo's recorded likeness (`Likeness.from_dict`), for scoring again."""
    from tqdm import tqdm

    styles = list(styles)
    results = []
    with open(run_dir / "photos.jsonl") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    if calm and pipe is not None:
        for style in styles:
            (run_dir / "stickers" / (style + CALM)).mkdir(parents=True, exist_ok=True)
    for row in tqdm(rows, desc="rescore", unit="photo", disable=not progress):
        photo = EvalPhoto(row["image"], row["identity"], row["split"], row["kind"], row["rank"])
        record = Rendered(photo, ok=row["ok"], likeness=row.get("likeness"),
                          error=row.get("error"), ms=row.get("ms", 0.0))
        stem = Path(photo.image).stem
        for kind in [*styles, *(s + CALM for s in styles)]:
            path = run_dir / "stickers" / kind / f"{stem}.png"
            if not path.is_file() and kind.endswith(CALM) and calm and pipe is not None \
                    and record.ok and record.likeness is not None:
                from pipeline.likeness import Likeness

                path.write_bytes(calm_sticker(pipe, Likeness.from_dict(record.likeness),
                                              kind[: -len(CALM)]))
            if path.is_file():
                record.stickers[kind] = path
        results.append(record)
    return results


def lineup_kinds(results: list[Rendered], styles: Iterable[str]) -> list[str]:
    """The sticker kinds every drawn photo has: the styles, then their calm stickers."""
    done = [r for r in results if r.ok]
    kinds = [*styles, *(s + CALM for s in styles)]
    return [k for k in kinds if done and all(k in r.stickers for r in done)]


def score(results: list[Rendered], styles: Iterable[str]) -> dict:
    """Lineup per kind (colour, grey) and style (and calm stickers where drawn), and likeness
    agreement per kind."""
    report: dict[str, Any] = {}
    styles = lineup_kinds(results, styles) or list(styles)
    for kind in KINDS:
        done = [r for r in results if r.ok and r.photo.kind == kind]
        tried = [r for r in results if r.photo.kind == kind]
        if not tried:
            continue
        people = [r.photo.identity for r in done]
        section: dict[str, Any] = {"photos": len(tried), "drawn": len(done),
                                   "people": len(set(people)), "lineup": {}}
        for style in styles:
            vectors = (np.stack([picture_vector(r.stickers[style].read_bytes()) for r in done])
                       if done else np.zeros((0, 3 * PICTURE_SIZE ** 2)))
            section["lineup"][style] = lineup(vectors, people).summary()
        by_person: dict[str, list[dict]] = defaultdict(list)
        for r in done:
            by_person[r.photo.identity].append(r.likeness or {})
        section["agreement"] = agreement(by_person)
        report[kind] = section
    return report


def format_report(report: dict, styles: Iterable[str]) -> str:
    lines = []
    for kind in KINDS:
        section = report.get(kind)
        if not section:
            continue
        lines.append(f"== {kind}: {section['people']} people, {section['drawn']} of "
                     f"{section['photos']} photos drawn ==")
        lines.append(f"{'lineup':<20}{'share':>8}{'chance':>8}{'stickers':>10}")
        for style in section["lineup"]:
            s = section["lineup"][style]
            lines.append(f"  {style:<18}{s['share']:>8.3f}{s['chance']:>8.3f}{s['stickers']:>10}")
        pairs = section["agreement"]["same_look"]["pairs"]
        lines.append(f"same-person agreement ({pairs} pairs of one person's photos)")
        for trait in AGREEMENT_TRAITS:
            lines.append(f"  {trait:<18}{section['agreement'][trait]['share']:>8.3f}")
        looks = section["agreement"]["looks"]
        if len(looks) <= 12:
            lines.append("  looks per person: " + ", ".join(f"{p} {n}" for p, n in looks.items()))
        else:
            lines.append(f"  looks per person: mean {np.mean(list(looks.values())):.2f} "
                         f"over {len(looks)} people")
    return "\n".join(lines)


def write_records(results: list[Rendered], path: Path) -> None:
    """One JSON line per photo: image, identity, split, kind, ok, likeness, error, ms."""
    with open(path, "w") as f:
        for r in results:
            f.write(json.dumps({**asdict(r.photo), "ok": r.ok, "likeness": r.likeness,
                                "error": r.error, "ms": r.ms}) + "\n")


def plot_lineup(report: dict, styles: Iterable[str], path: Path, title: str = "") -> None:
    """Bars: the lineup share per style and kind, chance as a dark tick."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kinds = [k for k in KINDS if k in report]
    styles = list(report[kinds[0]]["lineup"]) if kinds else list(styles)
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    width = 0.8 / max(len(kinds), 1)
    for i, kind in enumerate(kinds):
        shares = [report[kind]["lineup"][s]["share"] for s in styles]
        chance = [report[kind]["lineup"][s]["chance"] for s in styles]
        xs = np.arange(len(styles)) + (i - (len(kinds) - 1) / 2) * width
        axes[0].bar(xs, shares, width * 0.9, label=f"{kind} ({report[kind]['people']} people)")
        axes[0].hlines(chance, xs - width * 0.45, xs + width * 0.45, colors="k", linewidth=2)
    axes[0].set_xticks(range(len(styles)), [s.replace(CALM, "\ncalm") for s in styles],
                       fontsize=8)
    axes[0].set_ylim(0, 1)
    axes[0].set_ylabel("nearest other sticker is the same person")
    axes[0].set_title("lineup (black: chance)")
    axes[0].legend(fontsize=8)
    traits = list(AGREEMENT_TRAITS)[:8]
    for i, kind in enumerate(kinds):
        values = [report[kind]["agreement"][t]["share"] for t in traits]
        ys = np.arange(len(traits)) + (i - (len(kinds) - 1) / 2) * width
        axes[1].barh(ys, values, width * 0.9, label=kind)
    axes[1].set_yticks(range(len(traits)), traits, fontsize=8)
    axes[1].invert_yaxis()
    axes[1].set_xlim(0, 1)
    axes[1].set_title("same-person agreement (pairs)")
    axes[1].legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ---------------------------------------------------------------------------------------------
# Contact sheets

def contact_sheet(rows: list[tuple[str, list[Image.Image], dict[str, list[Image.Image]]]],
                  cell: int = 96, photos_per_row: int = 4) -> Image.Image:
    """One row per person: their name, a few of their photos, then their stickers of those
    photos in each style (on mid-grey, the lineup's background)."""
    from PIL import Image, ImageDraw

    styles = list(rows[0][2]) if rows else []
    label_w, gap = 120, 8
    cols = photos_per_row * (1 + len(styles))
    width = label_w + cols * cell + len(styles) * gap
    sheet = Image.new("RGB", (width, 18 + len(rows) * (cell + 4)), (245, 245, 245))
    draw = ImageDraw.Draw(sheet)
    x = label_w
    for name in ["photos", *styles]:
        draw.text((x + 2, 3), name, fill=(0, 0, 0))
        x += photos_per_row * cell + gap
    for row, (name, photos, stickers) in enumerate(rows):
        y = 18 + row * (cell + 4)
        draw.text((4, y + cell // 2 - 6), name[:18], fill=(0, 0, 0))
        x = label_w
        for group in [photos, *(stickers[s] for s in styles)]:
            for image in group[:photos_per_row]:
                rgba = image.convert("RGBA")
                flat = Image.new("RGBA", rgba.size, (BACKGROUND,) * 3 + (255,))
                flat.alpha_composite(rgba)
                sheet.paste(flat.convert("RGB").resize((cell, cell), Image.Resampling.LANCZOS),
                            (x, y))
                x += cell
            x += (photos_per_row - len(group[:photos_per_row])) * cell + gap
    return sheet


def write_contact_sheets(results: list[Rendered], images_dir: Path, styles: Iterable[str],
                         out_dir: Path, photos_per_row: int = 4, people_per_sheet: int = 12
                         ) -> list[Path]:
    """contact-KIND[-N].png: one row per person (their first drawn photos), every style."""
    from PIL import Image

    styles = list(styles)
    written = []
    for kind in KINDS:
        by_person: dict[str, list[Rendered]] = defaultdict(list)
        for r in results:
            if r.ok and r.photo.kind == kind:
                by_person[r.photo.identity].append(r)
        people = sorted(p for p, rs in by_person.items() if len(rs) >= 2)
        for start in range(0, len(people), people_per_sheet):
            rows = []
            for person in people[start:start + people_per_sheet]:
                chosen = by_person[person][:photos_per_row]
                photos = [Image.open(images_dir / r.photo.image) for r in chosen]
                stickers = {s: [Image.open(r.stickers[s]) for r in chosen] for s in styles}
                rows.append((person, photos, stickers))
            suffix = "" if len(people) <= people_per_sheet else f"-{start // people_per_sheet + 1}"
            path = out_dir / f"contact-{kind}{suffix}.png"
            contact_sheet(rows, photos_per_row=photos_per_row).save(path)
            written.append(path)
    return written
