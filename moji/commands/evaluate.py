"""`moji evaluate LABELS.csv`: expression accuracy, stability and speed, per embedder; and
likeness accuracy (hair, facial hair, glasses, headwear, skin), per likeness method.

`moji evaluate lineup`: issue 16's recognisability measure (moji/recognisability.py): a lineup
of stickers per style and same-person agreement of the likeness. `moji evaluate haircolour`:
hair colour naming on copies of the colour photos whose hair is recoloured (moji/haircolour.py).
`moji evaluate skindepth`: measured Monk against the hand labels per person, and the depth gap
between medium-brown and light-skinned people (moji/skin_depth.py).
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

LIKENESS_COLUMNS = ("glasses", "facial_hair", "headwear", "hair_colour", "hair_length", "monk")
MEASURES = ("lineup", "recognisability", "haircolour", "skindepth")  # in place of a labels CSV
STYLES = ("avatar", "lineart", "classic")  # moji.recognisability.STYLES (no heavy import here)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "evaluate", help="measure expression accuracy on hand-labeled photos",
        description="4-class mouth accuracy, balanced eyes open/closed accuracy, confusion "
                    "matrices (printed and as a PNG), perturbation stability and speed; and, "
                    "for a CSV with likeness columns, likeness accuracy per method.")
    p.add_argument("labels", type=Path, metavar="LABELS.csv|lineup|haircolour|skindepth",
                   help="`lineup` (or `recognisability`): issue 16's lineup and same-person "
                        "agreement; `haircolour`: hair colour naming on recoloured copies; "
                        "`skindepth`: measured Monk against eval/likeness.csv's labels per "
                        "person (--split); "
                        "else a CSV with columns image,mouth[,eyes] (expression) and/or any of "
                        f"{','.join(LIKENESS_COLUMNS)} (likeness); relative image paths are "
                        "relative to the CSV's folder (or --images). The repository's own sets "
                        "(eval/fresh2.csv, eval/labels.csv, ...) are found from any folder")
    p.add_argument("--images", type=Path, metavar="DIR",
                   help="folder the CSV's image names are relative to (default: its folder)")
    p.add_argument("--likeness-method", action="append", dest="likeness_methods",
                   choices=("bisenet", "basic"),
                   help="likeness method to evaluate (repeatable; default both; lineup and "
                        "haircolour use the first, default $MOJI_LIKENESS or auto)")
    p.add_argument("--limit", type=int,
                   help="only the first N rows (likeness); at most N photos, whole people "
                        "(lineup, haircolour)")
    p.add_argument("--embedder", action="append", dest="embedders",
                   help="embedder (repeatable; 'all' for every one that loads; default expression)")
    p.add_argument("--style", default="classic", help="style whose parts are matched")
    p.add_argument("--perturb", type=int, default=0, metavar="N",
                   help="also test stability on the first N photos (5 perturbations each)")
    p.add_argument("--still", type=int, default=0, metavar="N",
                   help="also film the first N photos as a 24-frame still video: jitter, flicker")
    p.add_argument("--device", help="device for torch embedders (cpu, cuda)")
    p.add_argument("--out", type=Path,
                   help="folder for confusion.png, comparison.png, summary.json and "
                        "likeness.json (default: $MOJI_DATA_DIR/evaluate, else the user data "
                        "folder's moji/evaluate); lineup and haircolour: the run folder "
                        "(default: a new one under .../moji/recognisability)")
    p.add_argument("--misses", action="store_true", help="list the mouths it got wrong")
    g = p.add_argument_group("lineup, haircolour and skindepth (moji evaluate lineup|haircolour|"
                             "skindepth)")
    g.add_argument("--split", choices=("heldout", "tuning"), default="heldout",
                   help="the people measured (default heldout: never tune on them)")
    g.add_argument("--kind", action="append", dest="kinds", choices=("colour", "grey"),
                   help="colour and/or greyscale people (repeatable; default both for "
                        "lineup, colour for haircolour)")
    g.add_argument("--per-person", type=int, default=None, metavar="N",
                   help="photos per colour person (default 8 for lineup; 2 for haircolour, "
                        "which takes the first photos that show enough hair)")
    g.add_argument("--grey-per-person", type=int, default=3, metavar="N",
                   help="photos per greyscale person (default 3)")
    g.add_argument("--person", action="append", dest="people", metavar="IDENTITY",
                   help="only this person (repeatable)")
    g.add_argument("--styles", default=",".join(STYLES),
                   help=f"styles drawn, comma separated (default {','.join(STYLES)})")
    g.add_argument("--split-csv", type=Path, default=Path("eval/recognisability.csv"),
                   help="the photos and their split (default eval/recognisability.csv)")
    g.add_argument("--write-split", type=Path, metavar="LABELS.csv",
                   help="rebuild --split-csv from a labels.csv (image,expression,identity) "
                        "whose images are in --images, then measure")
    g.add_argument("--sheet-people", type=int, default=12, metavar="N",
                   help="people per contact sheet (default 12)")
    g.add_argument("--as-bot", action="store_true",
                   help="lineup: draw each person's photos as the bot does (the look voted over "
                        "their first three photos, kept for the rest), not each with its own")
    g.add_argument("--no-calm", dest="calm", action="store_false",
                   help="lineup: skip the calm-face stickers (each photo's look drawn with "
                        "one expression for all, which leaves the expression out)")
    g.add_argument("--no-grow", dest="grow", action="store_false",
                   help="haircolour: recolour BiSeNet's hair mask as it is, not grown into the "
                        "hair it misses (the copies measured before issue 16's second pass)")
    g.add_argument("--rescore", type=Path, metavar="RUN_DIR",
                   help="lineup: score a finished run folder again (drawing the calm "
                        "stickers it lacks from its recorded likenesses) instead of rendering")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from moji.paths import output_dir, repository_file
    from pipeline.errors import MojiError

    if str(args.labels) == "skindepth":
        return run_skindepth(args)
    if str(args.labels) in MEASURES:
        from moji.commands.evaluate_lineup import run_measure

        return run_measure(args)
    args.labels = repository_file(args.labels)
    args.out = args.out or output_dir("evaluate")
    if not args.labels.is_file():
        raise MojiError("not_found", f"No labels file {args.labels}.")
    with open(args.labels, newline="") as f:
        columns = set(next(csv.reader(f), []))
    if not columns & {"mouth", *LIKENESS_COLUMNS}:
        raise MojiError("not_found", f"{args.labels} has neither a mouth column nor any of "
                        f"{', '.join(LIKENESS_COLUMNS)}.")
    if "mouth" in columns:
        run_expression(args)
    if columns & set(LIKENESS_COLUMNS):
        run_likeness(args)
    return 0


def run_skindepth(args: argparse.Namespace) -> int:
    from moji.commands.evaluate_lineup import default_images
    from moji.paths import output_dir, repository_file
    from moji.skin_depth import format_report
    from moji.skin_depth import run as measure
    from pipeline.errors import MojiError

    images = args.images or default_images()
    if images is None or not images.is_dir():
        raise MojiError("not_found", "Where are the face photos? Pass --images DIR (the "
                        "images folder of ../shared/data/faces) or set MOJI_FACES_DIR.")
    method = (args.likeness_methods or ["bisenet"])[0]
    result = measure(repository_file(Path("eval/likeness.csv")), images, args.split, method)
    print(f"== skin depth, {args.split} people, {method}: {len(result['measured'])} of "
          f"{result['labelled']} labelled colour photos with a face ==")
    print(format_report(result))
    out = args.out or output_dir("evaluate")
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"skindepth-{args.split}-{method}.json"
    path.write_text(json.dumps(result, indent=2))
    print(f"\nwrote {path}")
    return 0


def run_likeness(args: argparse.Namespace) -> None:
    from moji.evaluate_likeness import evaluate_likeness, format_report

    methods = tuple(args.likeness_methods or ("bisenet", "basic"))
    report = evaluate_likeness(args.labels, args.images or args.labels.parent, methods=methods,
                               limit=args.limit)
    print("\n== likeness ==")
    print(format_report(report))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "likeness.json").write_text(json.dumps(report, indent=2, default=str))
    print(f"\nwrote {args.out / 'likeness.json'}")


def run_expression(args: argparse.Namespace) -> None:
    from moji.evaluate import (
        EYES_CLASSES,
        MOUTH_CLASSES,
        evaluate,
        format_matrix,
        plot_comparison,
        plot_confusions,
        read_labels,
    )
    from pipeline.embedders import get_embedder, list_embedders
    from pipeline.errors import MojiError

    names = args.embedders or ["expression"]
    if names == ["all"]:
        names = list_embedders()
    embedders = []
    for name in names:
        try:
            embedders.append(get_embedder(name, **({"device": args.device} if args.device
                                                    else {})))
        except MojiError as exc:
            if args.embedders != ["all"]:
                raise
            print(f"skipping {name}: {exc.message}")
    try:
        photos = read_labels(args.labels, args.images)
    except FileNotFoundError as exc:
        raise SystemExit(f"moji evaluate: {exc}") from None
    reports = evaluate(photos, embedders, args.style, perturb=args.perturb, still=args.still)
    for r in reports:
        s = r.summary()
        print(f"\n== {r.embedder} (style {r.style}, {s['photos']} photos with a face) ==")
        print(f"mouth 4-class accuracy:   {r.mouth_accuracy:.1%}")
        print(f"eyes balanced accuracy:   {r.eyes_balanced_accuracy:.1%} "
              f"({len(r.eyes_truth)} photos, {r.eyes_truth.count('closed')} closed)")
        if r.perturbed:
            print(f"perturbation stability:   {r.stability:.1%} ({r.stable}/{r.perturbed})")
            print(f"same tags perturbed:      {r.tags_stability:.1%} (photos with all 5 the "
                  f"same: {r.photo_tags_stability:.1%})")
            print("  same tag by kind:       " + ", ".join(
                f"{kind} {share:.1%}" for kind, share in s["same_tags_by_kind"].items()))
        if r.flicker:
            print(f"still-video jitter:       {r.jitter:.3f} (emoji changes on "
                  f"{r.flicker_rate:.1%} of frames)")
        print(f"embed ms per face (med.): {s['embed_ms_median']}")
        if r.errors:
            print(f"not evaluated:            {r.errors}")
        print(format_matrix(r.mouth_matrix, MOUTH_CLASSES))
        print(format_matrix(r.eyes_matrix, EYES_CLASSES))
        if args.misses:
            for image, truth, part in r.misses:
                print(f"  miss: {image}: labeled {truth}, got {part}")
    if len(reports) > 1:
        print(f"\n{'embedder':<24}{'mouth':>8}{'eyes':>8}{'stable':>8}{'jitter':>8}"
              f"{'flicker':>9}{'ms':>8}")
        for r in reports:
            s = r.summary()
            print(f"{r.embedder:<24}{s['mouth_accuracy']:>8.3f}{s['eyes_balanced_accuracy']:>8.3f}"
                  f"{s['stability']:>8.3f}{s['jitter']:>8.3f}{s['flicker']:>9.3f}"
                  f"{s['embed_ms_median']:>8.1f}")
    args.out.mkdir(parents=True, exist_ok=True)
    plot_confusions(reports, args.out / "confusion.png")
    if len(reports) > 1:
        plot_comparison(reports, args.out / "comparison.png")
    (args.out / "summary.json").write_text(json.dumps([r.summary() for r in reports], indent=2))
    print(f"\nwrote {args.out / 'confusion.png'} and {args.out / 'summary.json'}")
