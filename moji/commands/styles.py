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
    from pipeline.style import list_styles, load_style

    for name in list_styles():
        style = load_style(name)
        counts = ", ".join(f"{len(parts)} {kind}" for kind, parts in style.parts.items())
        combos = 1
        for parts in style.parts.values():
            combos *= len(parts)
        indexed = "indexed" if (style.path / INDEX_FILE).exists() else "not indexed"
        print(f"{name:10} {style.title:12} {counts} = {combos:,} emoji; {indexed}")
        if style.description:
            print(f"{'':10} {style.description}")
    return 0


def run_build(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from pipeline.embedders import get_embedder, list_embedders
    from pipeline.errors import MojiError
    from pipeline.index import INDEX_FILE, build_index, index_npz_bytes
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
        print(f"{name}: indexed {sum(len(p) for p in style.parts.values())} parts for "
              f"{', '.join(e.name for e in embedders)} -> {style.path / INDEX_FILE}")
    return 0


def contact_sheet(name: str, tile: int = 128, samples: int = 8):
    """A PIL image: every part of a style on its default face, then random sample emoji."""
    import io

    from PIL import Image, ImageDraw

    from pipeline.compose import render_sticker
    from pipeline.style import load_style

    style = load_style(name)
    # A plain base face, so that each swapped-in part stands out.
    base = {kind: style.part_tagged(kind, tag) for kind, tag in
            (("face", "round"), ("eyes", "open"), ("brows", "neutral"), ("mouth", "smile"))}
    rows: list[tuple[str, list[tuple[str, dict]]]] = []
    for kind in ("face", "eyes", "brows", "mouth"):
        rows.append((kind, [(part.id.split("-", 1)[-1], {**base, kind: part})
                            for part in style.parts[kind]]))
    rng = random.Random(0)
    rows.append(("samples", [(f"#{i + 1}", {k: rng.choice(v) for k, v in style.parts.items()})
                             for i in range(samples)]))
    label_w, pad = 90, 18
    width = label_w + tile * max(len(r[1]) for r in rows)
    sheet = Image.new("RGB", (width, 40 + len(rows) * (tile + pad)), "white")
    draw = ImageDraw.Draw(sheet)
    draw.text((8, 10), f"{style.title} ({style.name}): {style.description}", fill="black")
    skin = (196, 140, 110)  # a sample photo tone, for styles that take skin from the photo
    for r, (label, items) in enumerate(rows):
        y = 40 + r * (tile + pad)
        draw.text((8, y + tile // 2), label, fill="black")
        for c, (caption, chosen) in enumerate(items):
            png = render_sticker(style, chosen, skin, tile)
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
