"""`moji render`: photos to sticker PNGs and clips (mp4, mov, webm, gif) to video sticker
WEBMs, one model load for all of them."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pipeline.errors import MojiError, read_error


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("render", help="make emoji stickers from photos and clips",
                              description="Make a 512x512 emoji sticker PNG from each photo, "
                                          "and a video sticker WEBM (VP9 with alpha, at most "
                                          "3 s, 30 fps, 256 KB) from each clip (mp4, mov, "
                                          "webm, gif).")
    p.add_argument("photos", nargs="+", type=Path, metavar="PHOTO|CLIP")
    from pipeline.style import list_styles

    p.add_argument("--style", help="art style: " + ", ".join(list_styles())
                   + " (default: $MOJI_STYLE or classic)")
    p.add_argument("--embedder", help="embedding extractor (default: expression)")
    p.add_argument("--embedder-weights", type=Path, metavar="PATH",
                   help="weights file for the embedder (autoencoder, resnet50)")
    p.add_argument("--parser", help="face parser: landmarks (default) or bisenet")
    p.add_argument("--likeness", type=Path, metavar="FILE.json",
                   help="draw this likeness (hair, facial hair, glasses, headwear, skin; the "
                        "`likeness` object of --json) instead of measuring it from each photo")
    p.add_argument("--likeness-method", choices=("auto", "bisenet", "basic"),
                   help="how to measure likeness (default: $MOJI_LIKENESS or auto: bisenet when "
                        "torch and its weights are here, else basic)")
    p.add_argument("--all-faces", action="store_true",
                   help="one sticker of everyone in each photo (up to 6, the largest, left to "
                        "right); --json then adds `people`: each face's box, parts, likeness")
    p.add_argument("--out", type=Path, default=Path("stickers"),
                   help="output folder (default: ./stickers)")
    p.add_argument("--json", action="store_true", help="one JSON object per input on stdout")
    p.add_argument("--svg", action="store_true", help="also write the composed SVG")
    p.set_defaults(func=run)


def _output_path(out: Path, photo: Path, taken: set[Path], suffix: str = ".png") -> Path:
    path = out / f"{photo.stem}{suffix}"
    n = 2
    while path in taken:
        path = out / f"{photo.stem}-{n}{suffix}"
        n += 1
    taken.add(path)
    return path


def _read_likeness(path: Path):  # -> pipeline.likeness.Likeness
    from pipeline.likeness import Likeness

    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise read_error(path, exc) from None
    except ValueError as exc:
        raise MojiError("bad_likeness", f"{path} is not JSON ({exc}).") from None
    # Both a bare likeness object and a whole `moji render --json` line are accepted.
    return Likeness.from_dict(data.get("likeness", data) if isinstance(data, dict) else data)


def run(args: argparse.Namespace) -> int:
    from pipeline import Pipeline, PipelineOptions
    from pipeline.video import is_clip, render_clip

    options = PipelineOptions()
    if args.style:
        options.style = args.style
    if args.embedder:
        options.embedder = args.embedder
    if args.embedder_weights:
        options.embedder_config["weights"] = args.embedder_weights
    if args.parser:
        options.parser = args.parser
    if args.likeness_method:
        options.likeness.method = args.likeness_method
    likeness = _read_likeness(args.likeness) if args.likeness else None
    if args.all_faces and likeness is not None:
        print("moji render: --all-faces measures each face's likeness; it takes no --likeness",
              file=sys.stderr)
        return 2
    pipe = Pipeline.from_options(options)
    args.out.mkdir(parents=True, exist_ok=True)
    taken: set[Path] = set()
    failed = 0
    for photo in args.photos:
        record: dict = {"input": str(photo)}
        try:
            if is_clip(photo) and args.all_faces:
                raise MojiError("unsupported", "--all-faces makes stickers of photos; a clip's "
                                "video sticker follows one face.")
            if is_clip(photo):
                # A clip: its frames follow the face; the identity is --likeness or measured
                # once on its first frame with a face.
                clip = render_clip(pipe, photo, likeness=likeness)
                output = _output_path(args.out, photo, taken, ".webm")
                output.write_bytes(clip.webm)
                record.update({"ok": True, **clip.to_dict(), "output": str(output)})
                _report(args, photo, record)
                continue
            try:
                data = photo.read_bytes()
            except OSError as exc:
                raise read_error(photo, exc) from None
            sticker = (pipe.render_all(data) if args.all_faces
                       else pipe.render(data, likeness=likeness))
            output = _output_path(args.out, photo, taken)
            output.write_bytes(sticker.png)
            if args.svg:
                output.with_suffix(".svg").write_text(sticker.svg)
            record.update({"ok": True, **sticker.to_dict(), "output": str(output)})
        except MojiError as exc:
            record.update({"ok": False, **exc.to_dict()})
            failed += 1
        _report(args, photo, record)
    pipe.close()
    return 1 if failed else 0  # scripts can tell; the JSON lines say which input failed


def _report(args: argparse.Namespace, photo: Path, record: dict) -> None:
    if args.json:
        print(json.dumps(record), flush=True)
    elif record["ok"]:
        parts = "  ".join(f"{kind}={p['tags'][0]}({p['similarity']:.2f})"
                          for kind, p in record["parts"].items())
        clip = (f"  {len(record['frames'])} frames, {record['duration']:.2f} s, "
                f"{record['bytes'] // 1024} KB") if "frames" in record else ""
        faces, people = record.get("faces"), record.get("people")
        found = ("" if faces is None else "  1 face" if faces == 1
                 else f"  {faces} faces, drew {len(people)}" if people
                 else f"  {faces} faces, drew the largest")
        print(f"{photo} -> {record['output']}{found}  {parts}{clip}  "
              f"[{record['timings_ms']['total']:.0f} ms]")
    else:
        print(f"{photo}: {record['message']} ({record['error']})", file=sys.stderr)
