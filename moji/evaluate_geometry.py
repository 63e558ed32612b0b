"""How well the drawn face follows the measured one, and whether it tells people apart.

`python -m moji.evaluate_geometry [--images DIR] [--per-person 6] [--min-photos 4] [--out DIR]`

On the shared face photos' people with at least `min_photos` photos (up to `per_person` each),
tuning and held-out people apart (moji/train_geometry.py: held_out):

1. Drawn vs measured: each photo's proportions (Likeness.face) are drawn (styles/draw/person.py)
   and the same proportions are measured back on the drawing's own geometry: the face outline's
   width to height and jaw, the eyes' size, height, spacing and tilt, the brows' thickness,
   arch and height, the nose, the mouth's width and the lips. The Pearson correlation per
   measure says how faithfully the drawing follows the numbers (quantised to quarter SDs,
   exaggerated, kept within the styles' range).
2. A lineup, in lineart, every person with the same hair and no other traits, each photo's own
   expression: for each sticker, is the nearest other sticker (as pictures: flattened on white,
   64 px grey) of the same person? With the geometry and without it (the style's template
   face), and chance beside them.
3. A lineup sheet (PNG): a few people, several photos each, drawn without (left) and with
   (right) the geometry.
"""

from __future__ import annotations

import argparse
import io
import math
import random
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from moji.evaluate_likeness import identity
from moji.paths import REPOSITORY, output_dir
from moji.train_geometry import held_out

LINEUP_SIZE = 128  # sticker side rendered for the lineup (then 64 px grey)


def drawn_measures(face: dict[str, float]) -> dict[str, float]:
    """The proportions of the drawing of `face` ({name: z}) as compose draws it, read off the
    shapes the styles draw (lineart's head; the same shapes in every style)."""
    from pipeline.compose import CARICATURE
    from pipeline.geometry import reliability
    from styles.draw.geometry import mouth_geom
    from styles.draw.lineart import STYLE
    from styles.draw.person import (
        EYE_SHAPE_PER_SD,
        EYE_SIZE_PER_SD,
        EYE_TILT_DEG_PER_SD,
        Proportions,
        brow_thickness,
        eye_centre,
        lips,
        mouth_spec,
        nose,
        outline,
        person_brow_points,
    )
    from styles.draw.specs import BROWS, FACES, MOUTHS

    shape = Proportions.from_face(face, CARICATURE, reliability=reliability())
    oval = next(s for s in FACES if s.slug == "oval")
    points = np.array(outline(STYLE.head, oval, shape, steps=360))
    width = points[:, 0].max() - points[:, 0].min()
    top, chin = points[:, 1].min(), points[:, 1].max()
    height = chin - top

    def width_at(y: float) -> float:
        row = points[np.abs(points[:, 1] - y) < 1.5]
        return float(row[:, 0].max() - row[:, 0].min()) if len(row) else 0.0

    jaw = width_at(top + 0.85 * height)
    left, right = eye_centre("left", shape), eye_centre("right", shape)
    size = 1 + EYE_SIZE_PER_SD * shape.eye_size
    neutral_brows = next(s for s in BROWS if s.slug == "neutral")
    outer, peak, inner = person_brow_points(neutral_brows, "left", 0.45, shape)
    chord = math.hypot(inner[0] - outer[0], inner[1] - outer[1])
    arch = ((inner[0] - outer[0]) * (outer[1] - peak[1])
            - (inner[1] - outer[1]) * (outer[0] - peak[0])) / chord
    mouth = mouth_geom(mouth_spec(next(s for s in MOUTHS if s.slug == "neutral"), shape))
    nose_width, nose_down = nose(shape)
    upper, lower = lips(shape)
    return {
        "face_width": width / height,
        "jaw_width": jaw / width,
        "chin_length": chin,
        "chin_width": jaw / width,
        "cheekbones": width / jaw,
        "eye_size": size,
        "eye_shape": 1 + EYE_SHAPE_PER_SD * shape.eye_shape,
        "eye_spacing": right[0] - left[0],
        "eye_tilt": EYE_TILT_DEG_PER_SD * shape.eye_tilt,
        "nose_width": nose_width,
        "nose_length": nose_down,
        "lip_upper": upper,
        "lip_lower": lower,
        "mouth_width": mouth.half_width,
        "brow_thickness": brow_thickness(shape),
        "brow_arch": arch / chord,
        "brow_height": -outer[1],
    }


def _picture(png: bytes) -> np.ndarray:
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGBA")
    flat = Image.new("RGBA", image.size, (255, 255, 255, 255))
    flat.alpha_composite(image)
    return np.asarray(flat.convert("L").resize((64, 64), Image.BILINEAR), np.float32) / 255


def lineup_share(pictures: list[np.ndarray], people: list[str]) -> tuple[float, float]:
    """(share of stickers whose nearest other sticker is the same person's, chance)."""
    flat = np.stack([p.ravel() for p in pictures])
    dist = ((flat[:, None, :] - flat[None, :, :]) ** 2).sum(axis=2)
    np.fill_diagonal(dist, np.inf)
    nearest = dist.argmin(axis=1)
    hits = [people[i] == people[j] for i, j in enumerate(nearest)]
    counts = defaultdict(int)
    for p in people:
        counts[p] += 1
    chance = float(np.mean([(counts[p] - 1) / (len(people) - 1) for p in people]))
    return float(np.mean(hits)), chance


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=Path, default=REPOSITORY / "../shared/data/faces/images")
    parser.add_argument("--per-person", type=int, default=6)
    parser.add_argument("--min-photos", type=int, default=4)
    parser.add_argument("--sheet-people", type=int, default=5)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    out = args.out or output_dir("evaluate/geometry")
    out.mkdir(parents=True, exist_ok=True)

    from pipeline import Pipeline, PipelineOptions
    from pipeline.compose import personal_parts, render_sticker
    from pipeline.geometry import MEASURE_NAMES, measure_face_geometry
    from pipeline.likeness import Likeness
    from pipeline.match import match_parts
    from pipeline.style import load_style

    by_person: dict[str, list[Path]] = defaultdict(list)
    for path in sorted(args.images.glob("*.jpg")):
        by_person[identity(path.name)].append(path)
    if not by_person:
        parser.error(f"no photos in {args.images} (give --images)")
    rng = random.Random(16)
    chosen = {p: rng.sample(paths, min(len(paths), args.per_person))
              for p, paths in by_person.items() if len(paths) >= args.min_photos}
    style = load_style("lineart")
    look = Likeness(hair_length="short", hair_colour="dark_brown")
    rows = []  # (person, colour, held, face, pictures with, without, png with, png without)
    start = time.time()
    with Pipeline.from_options(PipelineOptions(style="lineart", embedder="expression")) as pipe:
        index = pipe.index(style)
        for person, paths in sorted(chosen.items()):
            for path in sorted(paths):
                image, faces = pipe.analyze(path.read_bytes())
                if not faces:
                    continue
                rgb = image.rgb.astype(np.int16)
                colour = bool(np.abs(rgb[..., 0] - rgb[..., 1]).mean() > 2)
                face = measure_face_geometry(faces[0])
                matches = match_parts(style, index, pipe.embedder.embed_face(pipe.parse(
                    image, faces[0])))
                parts = {kind: style.part(m.part_id) for kind, m in matches.items()}
                parts["face"] = style.part("face-oval")
                parts["hair"] = style.part_tagged("hair", "short")
                person_look = look.replace(face=face)
                png_with = render_sticker(style, personal_parts(style, parts, person_look),
                                          size=LINEUP_SIZE, likeness=person_look)
                png_without = render_sticker(style, parts, size=LINEUP_SIZE, likeness=look)
                rows.append((person, colour, held_out(person, colour), face,
                             _picture(png_with), _picture(png_without), png_with, png_without))
    print(f"{len(rows)} photos of {len({r[0] for r in rows})} people in "
          f"{time.time() - start:.0f} s")

    lines = ["# Face geometry: drawn vs measured, and a lineup", ""]
    faces = [r[3] for r in rows if not r[2]]
    drawn = [drawn_measures(f) for f in faces]
    lines += ["Correlation (Pearson) between each measured proportion (z) and the same "
              "proportion of the drawing, tuning people's photos:", "",
              "| measure | r |", "|---|---|"]
    for name in MEASURE_NAMES:
        measured = np.array([f.get(name, 0.0) for f in faces])
        values = np.array([d[name] for d in drawn])
        r = float(np.corrcoef(measured, values)[0, 1]) if values.std() > 0 else float("nan")
        lines.append(f"| {name} | {r:.3f} |")
    lines.append("")
    lines += ["Lineup, lineart, the same hair for everyone, each photo's own expression:", "",
              "| people | photos | with geometry | template face | chance |",
              "|---|---|---|---|---|"]
    for label, keep in (("tuning", False), ("held out", True)):
        group = [r for r in rows if r[2] == keep]
        if len(group) < 3:
            continue
        people = [r[0] for r in group]
        share_with, chance = lineup_share([r[4] for r in group], people)
        share_without, _ = lineup_share([r[5] for r in group], people)
        lines.append(f"| {label} ({len(set(people))}) | {len(group)} | {share_with:.3f} | "
                     f"{share_without:.3f} | {chance:.3f} |")
    report = "\n".join(lines) + "\n"
    print(report)
    (out / "report.md").write_text(report)
    totals = {person: len(paths) for person, paths in by_person.items()}
    _sheet(rows, args.sheet_people, out / "lineup.png", totals)
    print(f"wrote {out / 'report.md'} and {out / 'lineup.png'}")
    return 0


def _sheet(rows: list, people_count: int, path: Path, totals: dict[str, int],
           per_row: int = 4) -> None:
    """One row per person (the tuning people with the most photos): photos drawn without the
    geometry, then with it."""
    from PIL import Image, ImageDraw

    tuning = defaultdict(list)
    for row in rows:
        if not row[2]:
            tuning[row[0]].append(row)
    people = sorted(tuning, key=lambda p: (-totals.get(p, 0), p))[:people_count]
    cell = 110
    sheet = Image.new("RGB", (cell * per_row * 2 + 20 + 160, cell * len(people)), "white")
    draw = ImageDraw.Draw(sheet)
    for y, person in enumerate(people):
        draw.text((4, y * cell + cell // 2), person[:22], fill="black")
        for x, row in enumerate(tuning[person][:per_row]):
            for offset, png in ((0, row[7]), (per_row * cell + 20, row[6])):
                image = Image.open(io.BytesIO(png)).convert("RGBA").resize((cell, cell))
                sheet.paste(image, (160 + offset + x * cell, y * cell), image)
    draw.line([(160 + per_row * cell + 10, 0), (160 + per_row * cell + 10, sheet.height)],
              fill="#999999", width=2)
    sheet.save(path)


if __name__ == "__main__":
    raise SystemExit(main())
