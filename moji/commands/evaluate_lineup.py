"""`moji evaluate lineup` and `moji evaluate haircolour` (issue 16): the arguments are parsed
by moji/commands/evaluate.py; this runs them and writes a run folder."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path


def default_images() -> Path | None:
    """$MOJI_FACES_DIR/images, else the first shared/data/faces/images above the checkout."""
    from moji.paths import REPOSITORY

    if os.environ.get("MOJI_FACES_DIR"):
        return Path(os.environ["MOJI_FACES_DIR"]) / "images"
    for folder in REPOSITORY.parents:
        candidate = folder / "shared" / "data" / "faces" / "images"
        if candidate.is_dir():
            return candidate
    return None


def run_measure(args: argparse.Namespace) -> int:
    from moji.paths import output_dir, repository_file
    from moji.recognisability import build_split, read_split, select, write_split
    from pipeline.errors import MojiError

    images = args.images or default_images()
    if images is None or not images.is_dir():
        raise MojiError("not_found", "Where are the face photos? Pass --images DIR (the "
                        "images folder of ../shared/data/faces) or set MOJI_FACES_DIR.")
    split_csv = repository_file(args.split_csv)
    if args.write_split:
        photos = build_split(repository_file(args.write_split), images)
        write_split(photos, split_csv)
        print(f"wrote {split_csv}: {len(photos)} photos of "
              f"{len({p.identity for p in photos})} people")
    if not split_csv.is_file():
        raise MojiError("not_found", f"No split file {split_csv}: rebuild it with "
                        "--write-split ../shared/data/faces/labels.csv.")
    measure = "haircolour" if str(args.labels) == "haircolour" else "lineup"
    if args.rescore and measure == "lineup":
        return _rescore(args, images)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    out = args.out or output_dir("recognisability") / f"{measure}-{args.split}-{stamp}"
    out.mkdir(parents=True, exist_ok=True)
    kinds = tuple(args.kinds or (("colour",) if measure == "haircolour" else ("colour", "grey")))
    per_person = args.per_person or (2 if measure == "haircolour" else 8)
    # haircolour takes each person's first photos that show enough hair: all are candidates
    photos = select(read_split(split_csv), args.split, kinds,
                    per_person=10 ** 6 if measure == "haircolour" else per_person,
                    grey_per_person=args.grey_per_person, limit=args.limit, people=args.people)
    if not photos:
        raise MojiError("not_found", "No photos match: check --split, --kind and --person.")
    method = (args.likeness_methods or [None])[0]
    command = "moji " + " ".join(sys.argv[1:])
    settings = {"measure": measure, "split": args.split, "kinds": list(kinds),
                "as_bot": getattr(args, "as_bot", False), "grow": getattr(args, "grow", True),
                "per_person": per_person, "grey_per_person": args.grey_per_person,
                "limit": args.limit, "people": args.people, "likeness_method": method or "auto",
                "candidates": len(photos), "images": str(images), "command": command}
    if measure == "haircolour":
        return _run_haircolour(args, photos, images, out, settings, method)
    return _run_lineup(args, photos, images, out, settings, method)


def _pipeline(method: str | None):
    from pipeline import Pipeline, PipelineOptions

    options = PipelineOptions()
    if method:
        options.likeness.method = method
    return Pipeline.from_options(options)


def _run_lineup(args, photos, images: Path, out: Path, settings: dict, method) -> int:
    from moji.recognisability import render_photos

    styles = [s.strip() for s in args.styles.split(",") if s.strip()]
    print(f"lineup: {len(photos)} photos of {len({p.identity for p in photos})} people "
          f"({args.split}), styles {', '.join(styles)} -> {out}")
    with _pipeline(method) as pipe:
        results = render_photos(pipe, photos, images, styles, out, calm=args.calm,
                                as_bot=args.as_bot)
    _report_lineup(args, results, images, out, styles, settings)
    return 0


def _rescore(args, images: Path) -> int:
    from moji.recognisability import rescore_records

    run_dir = args.rescore
    if not (run_dir / "photos.jsonl").is_file():
        from pipeline.errors import MojiError

        raise MojiError("not_found", f"{run_dir} is not a lineup run folder (no photos.jsonl).")
    styles = [s.strip() for s in args.styles.split(",") if s.strip()]
    old = run_dir / "lineup.json"
    settings = json.loads(old.read_text()).get("settings", {}) if old.is_file() else {}
    settings["rescored"] = "moji " + " ".join(sys.argv[1:])
    with _pipeline((args.likeness_methods or [None])[0]) as pipe:
        results = rescore_records(pipe if args.calm else None, run_dir, styles, calm=args.calm)
    out = args.out or run_dir
    out.mkdir(parents=True, exist_ok=True)
    _report_lineup(args, results, images, out, styles, settings, records=args.out is not None)
    return 0


def _report_lineup(args, results, images: Path, out: Path, styles: list[str], settings: dict,
                   records: bool = True) -> None:
    from moji.recognisability import (
        format_report,
        plot_lineup,
        score,
        write_contact_sheets,
        write_records,
    )

    report = score(results, styles)
    report["settings"] = settings | {"styles": styles}
    report["ms_per_photo_median"] = float(sorted(r.ms for r in results)[len(results) // 2])
    failed = [r.photo.image for r in results if not r.ok]
    report["not_drawn"] = failed
    print(format_report(report, styles))
    if failed:
        print(f"no face found in {len(failed)} photos: {', '.join(failed[:10])}"
              f"{' ...' if len(failed) > 10 else ''}")
    if records:
        write_records(results, out / "photos.jsonl")
    (out / "lineup.json").write_text(json.dumps(report, indent=2))
    plot_lineup(report, styles, out / "lineup.png", title=f"{settings.get('split')} people, "
                f"likeness {settings.get('likeness_method')}")
    sheets = write_contact_sheets(results, images, styles, out,
                                  people_per_sheet=args.sheet_people)
    print(f"\nwrote {out / 'lineup.json'}, {out / 'lineup.png'}, {out / 'photos.jsonl'}, "
          f"{len(sheets)} contact sheet(s) ({', '.join(p.name for p in sheets[:3])}"
          f"{' ...' if len(sheets) > 3 else ''}) and the stickers under {out / 'stickers'}")


def _run_haircolour(args, photos, images: Path, out: Path, settings: dict, method) -> int:
    from moji.haircolour import evaluate_haircolour, format_haircolour, plot_haircolour

    print(f"haircolour: {len(photos)} photos of {len({p.identity for p in photos})} people "
          f"({args.split}) -> {out}")
    with _pipeline(method) as pipe:
        report = evaluate_haircolour(pipe, photos, images, out, per_person=settings["per_person"],
                                     grow=settings["grow"])
    report["settings"] = settings
    print(format_haircolour(report))
    (out / "haircolour.json").write_text(json.dumps(report, indent=2))
    plot_haircolour(report, out / "haircolour.png")
    print(f"\nwrote {out / 'haircolour.json'}, {out / 'haircolour.png'} and examples under "
          f"{out / 'examples'}")
    return 0
