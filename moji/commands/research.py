"""Research commands: `moji dataset parts`, `moji train autoencoder`, `moji visualize`."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

# Options whose default needs more words than its value.
TRAIN_HELP = {
    "out_dir": "output folder (default: $MOJI_DATA_DIR/train/autoencoder, else the user data "
               "folder's moji/train/autoencoder)",
    "exclude": "labels CSVs (comma-separated) whose photos are held out of training; relative "
               "names are the repository's files from any folder (default 'eval/labels.csv')",
}

MOUTH_HELP = {
    "out_dir": "output folder (default: $MOJI_DATA_DIR/train/mouth, else the user data "
               "folder's moji/train/mouth)",
    "labels": "labels CSVs (comma-separated) to train on; relative names are the repository's "
              "files from any folder (default: eval/calibration, labels, fresh and train)",
    "holdout": "labels CSVs whose photos and people never train (default 'eval/fresh2.csv')",
}


GEOMETRY_HELP = {
    "images": "folder of the shared face photos (default ../shared/data/faces/images from the "
              "repository)",
    "cache": "landmarks cache .npz (default: $MOJI_DATA_DIR/train/geometry/landmarks.npz)",
    "export": "where the norms are written (default pipeline/weights/face-geometry-v1.npz)",
}


def _add_config_options(parser: argparse.ArgumentParser, config: type,
                        helps: dict[str, str]) -> None:
    """One --option per field of a training Config dataclass."""
    for f in dataclasses.fields(config):
        flag = "--" + f.name.replace("_", "-")
        shown = helps.get(f.name, f"default {f.default!r}")
        if f.type in ("bool", bool):
            parser.add_argument(flag, dest=f.name, default=f.default, help=shown,
                                action=argparse.BooleanOptionalAction)
        else:
            kind = {"int": int, "float": float}.get(str(f.type), str)
            parser.add_argument(flag, dest=f.name, type=kind, default=f.default, help=shown)


def register(subparsers: argparse._SubParsersAction) -> None:
    dataset = subparsers.add_parser("dataset", help="build training data from face photos")
    dataset_sub = dataset.add_subparsers(dest="dataset_command", metavar="KIND", required=True)
    parts = dataset_sub.add_parser(
        "parts", help="per-part folders (face, eyes, brows, mouth) of canonical masked crops")
    parts.add_argument("photos", type=Path, help="folder of face photos")
    parts.add_argument("out", type=Path, help="output folder (OUT/<kind>/<photo>.png)")
    parts.add_argument("--parser", default="landmarks", help="landmarks (default) or bisenet")
    parts.add_argument("--limit", type=int, help="only the first N photos")
    parts.set_defaults(func=cmd_dataset_parts)

    train = subparsers.add_parser("train", help="train a model")
    train_sub = train.add_subparsers(dest="train_command", metavar="MODEL", required=True)
    autoencoder = train_sub.add_parser(
        "autoencoder", help="train the FaceAutoencoder on a `moji dataset parts` folder",
        description="Options are the fields of moji.train_autoencoder.Config.")
    autoencoder.add_argument("dataset", type=Path)
    from moji.train_autoencoder import Config

    _add_config_options(autoencoder, Config, TRAIN_HELP)
    autoencoder.set_defaults(func=cmd_train_autoencoder)
    mouth = train_sub.add_parser(
        "mouth", help="train the mouth reader (the default embedder's look at the lips) on "
                      "photos labelled by eye",
        description="Options are the fields of moji.train_mouth.Config. Reads the labelled "
                    "photos, trains the network k times (held-out readings for the regressions) "
                    "and once on all, and writes mouth.npz.")
    from moji.train_mouth import Config as MouthConfig

    _add_config_options(mouth, MouthConfig, MOUTH_HELP)
    mouth.set_defaults(func=cmd_train_mouth)

    geometry = train_sub.add_parser(
        "geometry", help="fit the face-geometry norms (the average face, each proportion's "
                         "spread and expression correction) on the shared face photos",
        description="Options are the fields of moji.train_geometry.Config. Reads every photo "
                    "(landmarks cached), fits on the tuning people only and writes "
                    "pipeline/weights/face-geometry-v1.npz.")
    from moji.train_geometry import Config as GeometryConfig

    _add_config_options(geometry, GeometryConfig, GEOMETRY_HELP)
    geometry.set_defaults(func=cmd_train_geometry)

    vis = subparsers.add_parser("visualize", help="the embedding video: face, emoji, embeddings")
    vis.add_argument("video", type=Path)
    vis.add_argument("--out", type=Path, required=True, help="output .mp4")
    vis.add_argument("--style", help="style name (default: $MOJI_STYLE or classic)")
    vis.add_argument("--embedder", help="embedder name (default: $MOJI_EMBEDDER or expression)")
    vis.add_argument("--weights", help="weights for the embedder (a path)")
    vis.add_argument("--parser", help="landmarks or bisenet")
    vis.add_argument("--max-frames", type=int, help="stop after N frames")
    vis.add_argument("--analysis-fps", type=float, default=12.0,
                     help="analyse faces this often per second, 0 for every frame (default 12)")
    vis.set_defaults(func=cmd_visualize)


def cmd_dataset_parts(args: argparse.Namespace) -> int:
    from moji.dataset import build_parts

    if not args.photos.is_dir():
        print(f"moji: {args.photos} is not a folder")
        return 2
    report = build_parts(args.photos, args.out, parser=args.parser, limit=args.limit)
    print(report.summary())
    print(f"crops in {args.out}/<kind>/, one line per photo in {args.out}/manifest.csv")
    return 0


def cmd_train_autoencoder(args: argparse.Namespace) -> int:
    from moji.train_autoencoder import Config, output_folder, train

    cfg = Config(**{f.name: getattr(args, f.name) for f in dataclasses.fields(Config)})
    summary = train(args.dataset, cfg)
    print(f"{summary['steps']} steps ({summary['samples_seen']} crops) "
          f"in {summary['minutes']} min; "
          f"loss train {summary['final_train_loss']:.5f}, val {summary['final_val_loss']:.5f}")
    print(f"wrote {output_folder(cfg)}/autoencoder.pt, ckpt.pt, loss.png, recon.png, "
          "summary.json")
    return 0


def cmd_visualize(args: argparse.Namespace) -> int:
    from moji.visualize import visualize

    config = {"weights": args.weights} if args.weights else {}
    report = visualize(args.video, args.out, style=args.style, embedder=args.embedder,
                       parser=args.parser, embedder_config=config, max_frames=args.max_frames,
                       analysis_fps=args.analysis_fps)
    print(report.summary())
    return 0


def cmd_train_geometry(args: argparse.Namespace) -> int:
    from moji.train_geometry import Config, train

    train(Config(**{f.name: getattr(args, f.name) for f in dataclasses.fields(Config)}))
    return 0


def cmd_train_mouth(args: argparse.Namespace) -> int:
    from moji.train_mouth import Config, output_folder, train

    cfg = Config(**{f.name: getattr(args, f.name) for f in dataclasses.fields(Config)})
    summary = train(cfg)
    print(f"{summary['photos']} photos of {summary['people']} people, "
          f"{summary['patches']} patches, {summary['minutes']} min")
    print(f"mouth 4-class, cross-validated by person: {summary['cv_mouth_4class']:.1%} "
          f"(the network alone {summary['cv_mouth_4class_network_alone']:.1%})")
    print(f"SMILE_LOGIT = {summary['smiling_logit']}")
    print(f"OPEN_LOGIT = {summary['apart_logit']}")
    print(f"written: {output_folder(cfg) / 'mouth.npz'}"
          + (f" and {cfg.export}" if cfg.export else ""))
    return 0
