"""`moji models list|fetch`: the model files Moji uses, where they are, and how to get them."""

from __future__ import annotations

import argparse

FETCHABLE = ("face_landmarker", "bisenet", "selfie_segmenter", "resnet50", "autoencoder")


def register(subparsers: argparse._SubParsersAction) -> None:
    models = subparsers.add_parser("models", help="list or download model files")
    sub = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    show = sub.add_parser("list", help="every model file and whether it is here")
    show.set_defaults(func=cmd_list)
    fetch = sub.add_parser("fetch", help="download a model file (needs internet)")
    fetch.add_argument("names", nargs="+", choices=FETCHABLE, metavar="NAME",
                       help=f"one or more of: {', '.join(FETCHABLE)}")
    fetch.set_defaults(func=cmd_fetch)


def _entries() -> list[tuple[str, str, str]]:
    """(name, where it is or 'missing', where it comes from) for every model file."""
    from pipeline.models import MODELS, cache_dir

    rows = []
    for model in MODELS.values():
        path = cache_dir() / model.filename
        rows.append((model.name, str(path) if path.exists() else "missing", model.url))
    from pipeline.weights import torch_hub_dir

    try:
        from pipeline.bisenet import BISENET_CELEBAMASK_HQ
        from pipeline.embedders.autoencoder import AUTOENCODER_MOUTH_V1, AUTOENCODER_PARTS_V1
        from pipeline.embedders.resnet50 import ResNet50_Weights
    except ModuleNotFoundError:  # no torch: the torch models cannot run anyway
        return rows + [("resnet50 / bisenet / autoencoder", "needs torch",
                        "pip install 'moji[torch]'")]
    for weights in ResNet50_Weights.all():
        path = weights.find()
        rows.append((weights.name, str(path) if path else "missing",
                     f"{weights.url} -> {torch_hub_dir()}"))
    path = BISENET_CELEBAMASK_HQ.find()
    if path is not None and path.parent != cache_dir():  # a file of the user's own choosing
        rows.append((BISENET_CELEBAMASK_HQ.name, str(path), "MOJI_BISENET_WEIGHTS or torch hub"))
    for weights in (AUTOENCODER_PARTS_V1, AUTOENCODER_MOUTH_V1):
        path = weights.find()
        rows.append((weights.name, str(path) if path else "missing", "ships with Moji"))
    return rows


def cmd_list(args: argparse.Namespace) -> int:
    for name, where, source in _entries():
        print(f"{name:30} {where}\n{'':30} from {source}")
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    for name in args.names:
        _fetch(name)
    return 0


def _fetch(name: str) -> None:
    from pipeline.errors import MojiError

    if name in ("face_landmarker", "bisenet", "selfie_segmenter"):
        from pipeline.models import MODELS, model_path

        print(model_path(MODELS[name], allow_download=True))
    elif name == "resnet50":
        from pipeline.embedders.resnet50 import ResNet50_Weights
        from pipeline.weights import download

        print(download(ResNet50_Weights.DEFAULT))
    else:
        from pipeline.embedders.autoencoder import AUTOENCODER_PARTS_V1

        path = AUTOENCODER_PARTS_V1.find()
        if path is None:
            raise MojiError("weights_missing", "The autoencoder's weights ship with Moji in "
                            "pipeline/weights/; reinstall Moji or run `moji train autoencoder`.")
        print(f"{path} (ships with Moji)")
