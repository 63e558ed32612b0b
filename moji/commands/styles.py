"""`moji styles list|build|preview`: the style packs, their part indexes and contact sheets."""

from __future__ import annotations

import argparse
import random
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("styles", help="list, index and preview art styles")
    sub = p.add_subparsers(dest="styles_command", metavar="ACTION", required=True)

    p_list = sub.add_parser("list", help="the styles and their parts")
    p_list.set_defaults(func=run_list)

    p_build = sub.add_parser("build", help="write each style's part index (index.npz)")
    p_build.add_argument("names", nargs="*", help="styles (default: all)")
    p_build.add_argument("--embedder", action="append", dest="embedders",
                         help="embedder to index for (repeatable; default: every one that loads)")
    p_build.set_defaults(func=run_build)

    p_preview = sub.add_parser("preview", help="write a contact sheet PNG of a style")
    p_preview.add_argument("names", nargs="*", help="styles (default: all)")
    p_preview.add_argument("--out", type=Path,
                           help="output folder (default: the style's folder, preview.png)")
    p_preview.set_defaults(func=run_preview)


def run_list(args: argparse.Namespace) -> int:
    from pipeline.index import INDEX_FILE
    from pipeline.parse import PART_KINDS
    from pipeline.style import list_styles, load_style

    for name in list_styles():
        style = load_style(name)
        counts = ", ".join(f"{len(parts)} {kind}" for kind, parts in style.parts.items() if parts)
        pack = sum(not p.matchable for parts in style.parts.values() for p in parts)
        combos = 1
        for kind in PART_KINDS:  # expressions; likeness parts dress each of them
            combos *= sum(p.matchable for p in style.parts[kind])
        indexed = "indexed" if (style.path / INDEX_FILE).exists() else "not indexed"
        print(f"{name:10} {style.title:12} {counts} = {combos:,} emoji; {indexed}; "
              f"{pack} pack-only parts")
        if style.description:
            print(f"{'':10} {style.description}")
    return 0


def run_build(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from pipeline.embedders import get_embedder, list_embedders
    from pipeline.errors import MojiError
    from pipeline.index import INDEX_FILE, build_index, index_npz_bytes
    from pipeline.parse import PART_KINDS
    from pipeline.style import list_styles, load_style

    embedders = []
    for name in args.embedders or list_embedders():
        try:
            embedders.append(get_embedder(name))
        except MojiError as exc:
            if args.embedders:
                raise
            print(f"skipping {name}: {exc.message}")
    for name in args.names or list_styles():
        style = load_style(name)
        indexes = [build_index(style, e) for e in tqdm(embedders, desc=name, leave=False)]
        (style.path / INDEX_FILE).write_bytes(index_npz_bytes(indexes))
        # Pack-only parts (heart eyes, tears) are drawn on request, never indexed.
        expression_parts = sum(p.matchable for kind in PART_KINDS for p in style.parts[kind])
        print(f"{name}: indexed {expression_parts} expression parts for "
              f"{', '.join(e.name for e in embedders)} -> {style.path / INDEX_FILE}")
    return 0


# The three people of issue 7, the likeness every style must tell apart: (caption, likeness
# fields, expression and face parts by main tag).
PEOPLE = (
    ("long hair, lipstick",
     {"hair_length": "long", "hair_style": "long_wavy", "hair_rgb": (92, 52, 36),
      "skin_rgb": (236, 200, 176), "lips_rgb": (196, 30, 64)},
     (("face", "heart"), ("mouth", "smile"))),
    ("bald, beard",
     {"hair_length": "none", "hair_colour": None, "hair_rgb": (40, 32, 30),
      "facial_hair": "beard", "skin_rgb": (120, 78, 56), "lips_rgb": (120, 70, 66)},
     (("face", "square"), ("mouth", "smile"))),
    ("grey hair, glasses",
     {"hair_length": "short", "hair_style": "side_part", "hair_colour": "grey",
      "hair_rgb": (175, 175, 172), "glasses": "glasses", "skin_rgb": (232, 190, 165),
      "lips_rgb": (178, 110, 105)},
     (("face", "oval"), ("mouth", "grin"))),
)


def _likeness_parts(style, likeness, face=None) -> dict:
    """The likeness parts a sticker of `likeness` draws, as the pipeline matches them."""
    from pipeline.match import match_likeness

    matches = match_likeness(style, likeness, face_id=face.id if face is not None else None)
    return {kind: style.part(match.part_id) for kind, match in matches.items()}


def contact_sheet(name: str, tile: int = 128, samples: int = 8):
    """A PIL image: every part of a style on its default face (likeness parts on a person with
    short dark hair where the style draws hair), the pack-only parts (heart eyes, tears, ...),
    the three people of issue 7, then random sample emoji."""
    import io

    from PIL import Image, ImageDraw

    from pipeline.compose import render_sticker
    from pipeline.likeness import Likeness
    from pipeline.parse import PART_KINDS
    from pipeline.style import load_style

    style = load_style(name)
    # A plain base face, so that each swapped-in part stands out.
    base = {kind: style.part_tagged(kind, tag) for kind, tag in
            (("face", "round"), ("eyes", "open"), ("brows", "neutral"), ("mouth", "smile"))}
    person = Likeness(hair_rgb=(70, 45, 32), skin_rgb=(196, 140, 110), lips_rgb=(170, 90, 90))
    hair = style.parts.get("hair") or []
    dressed = {**base, **({"hair": next((p for p in hair if p.tag == "short"), hair[0])}
                          if hair else {})}
    rows: list[tuple[str, list[tuple[str, dict, Likeness]]]] = []
    for kind in PART_KINDS:
        rows.append((kind, [(part.id.split("-", 1)[-1], {**base, kind: part}, person)
                            for part in style.parts[kind] if part.matchable]))
    for kind in ("hair", "facial_hair", "glasses", "headwear", "age", "earrings"):
        if style.parts.get(kind):
            under = base if kind == "hair" else dressed
            rows.append((kind, [(part.id.split("-", 1)[-1], {**under, kind: part}, person)
                                for part in style.parts[kind]]))
    # The sticker pack's parts, asked for by name only: one row, on the dressed person.
    pack = [(part.id, {**dressed, part.kind: part}, person)
            for kind in (*PART_KINDS, "extras") for part in style.parts.get(kind, [])
            if not part.matchable]
    if pack:
        rows.append(("pack", pack))
    people = []
    for caption, fields, tags in PEOPLE:
        likeness = Likeness(**fields)
        chosen = {**base, **{kind: style.part_tagged(kind, tag) for kind, tag in tags}}
        people.append((caption, {**chosen, **_likeness_parts(style, likeness, chosen["face"])},
                       likeness))
    rows.append(("people", people))
    rng = random.Random(0)
    sample_rows = []
    for i in range(samples):
        chosen = {kind: rng.choice([p for p in style.parts[kind] if p.matchable])
                  for kind in PART_KINDS}
        for kind in ("hair", "facial_hair", "glasses", "headwear"):
            options = style.parts.get(kind) or []
            # Most people wear no glasses or hat: half the samples go without each.
            if options and rng.random() < (0.9 if kind == "hair" else 0.35):
                chosen[kind] = rng.choice(options)
        sample_rows.append((f"#{i + 1}", chosen, person))
    rows.append(("samples", sample_rows))
    label_w, pad = 90, 18
    width = label_w + tile * max(len(r[1]) for r in rows)
    sheet = Image.new("RGB", (width, 40 + len(rows) * (tile + pad)), "white")
    draw = ImageDraw.Draw(sheet)
    draw.text((8, 10), f"{style.title} ({style.name}): {style.description}", fill="black")
    for r, (label, items) in enumerate(rows):
        y = 40 + r * (tile + pad)
        draw.text((8, y + tile // 2), label, fill="black")
        for c, (caption, chosen, likeness) in enumerate(items):
            png = render_sticker(style, chosen, likeness.skin_rgb, tile, likeness=likeness)
            image = Image.open(io.BytesIO(png)).convert("RGBA")
            x = label_w + c * tile
            sheet.paste(image, (x, y), image)
            draw.text((x + 4, y + tile), caption[:20], fill="gray")
    return sheet


def run_preview(args: argparse.Namespace) -> int:
    from pipeline.style import list_styles, load_style

    for name in args.names or list_styles():
        folder = args.out or load_style(name).path
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / ("preview.png" if args.out is None else f"{name}-preview.png")
        contact_sheet(name).save(path, optimize=True)
        print(f"{name}: {path}")
    return 0
