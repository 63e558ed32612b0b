"""The model store: official model files, downloaded once into a cache and checked by sha256."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from platformdirs import user_cache_dir

from .errors import MojiError


@dataclass(frozen=True)
class ModelFile:
    """One downloadable model file: where it comes from and how to recognise it."""

    name: str
    filename: str
    url: str
    sha256: str
    size: int
    license: str
    meta: dict = field(default_factory=dict, hash=False, compare=False)


FACE_LANDMARKER = ModelFile(
    name="face_landmarker",
    filename="face_landmarker.task",
    url="https://storage.googleapis.com/mediapipe-models/face_landmarker/face_landmarker/float16/1/face_landmarker.task",
    sha256="64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff",
    size=3_758_596,
    license="Apache-2.0",
    meta={"landmarks": 478, "blendshapes": 52, "precision": "float16", "version": 1},
)

BISENET = ModelFile(
    name="bisenet",
    filename="79999_iter.pth",
    # A mirror of the Google Drive file linked from the face-parsing.PyTorch README (same sha256).
    url="https://github.com/clibdev/face-parsing.PyTorch/releases/latest/download/face-parsing-bisenet.pth",
    sha256="468e13ca13a9b43cc0881a9f99083a430e9c0a38abd935431d1c28ee94b26567",
    size=53_289_463,
    license="MIT (code); trained on CelebAMask-HQ, whose images are for non-commercial research",
    meta={"classes": 19, "input_size": 512, "source": "https://github.com/zllrunning/face-parsing.PyTorch"},
)

SELFIE_SEGMENTER = ModelFile(
    name="selfie_segmenter",
    filename="selfie_segmenter.tflite",
    url="https://storage.googleapis.com/mediapipe-models/image_segmenter/selfie_segmenter/float16/1/selfie_segmenter.tflite",
    sha256="191ac9529ae506ee0beefa6b2c945a172dab9d07d1e802a290a4e4038226658b",
    size=249_537,
    license="Apache-2.0",
    meta={"input_size": 256, "channels": ["selfie"], "precision": "float16", "version": 1},
)

MODELS: dict[str, ModelFile] = {m.name: m for m in (FACE_LANDMARKER, BISENET, SELFIE_SEGMENTER)}


def cache_dir() -> Path:
    """The model cache: $MOJI_CACHE_DIR, or the user's cache directory."""
    return Path(os.environ.get("MOJI_CACHE_DIR") or user_cache_dir("moji")) / "models"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fix_hint(model: ModelFile, path: Path) -> str:
    return (
        f"Run `moji models fetch {model.name}` where there is internet, or download {model.url} "
        f"and save it as {path} (set MOJI_CACHE_DIR to use another cache folder)."
    )


def verify(model: ModelFile, path: Path) -> None:
    """Raise model_corrupt unless the file at `path` is exactly the official one."""
    if path.stat().st_size != model.size or sha256_of(path) != model.sha256:
        raise MojiError(
            "model_corrupt",
            f"{path} is not the official {model.filename} (size or sha256 differ). "
            f"Delete it and fetch it again. {_fix_hint(model, path)}",
        )


def download(model: ModelFile, path: Path, progress: bool = True) -> Path:
    """Download the official file to `path`, checking its sha256 before it lands."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{model.filename}.")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(model.url, timeout=30) as resp:
            total = int(resp.headers.get("Content-Length") or model.size)
            bar = None
            if progress:
                from tqdm import tqdm

                bar = tqdm(total=total, unit="B", unit_scale=True, desc=model.filename)
            for block in iter(lambda: resp.read(1 << 16), b""):
                out.write(block)
                if bar:
                    bar.update(len(block))
            if bar:
                bar.close()
        verify(model, tmp)
        shutil.move(tmp, path)
        return path
    except MojiError:
        raise
    except OSError as exc:
        raise MojiError(
            "model_missing", f"Could not download {model.filename}: {exc}. {_fix_hint(model, path)}"
        ) from None
    finally:
        tmp.unlink(missing_ok=True)


def downloads_allowed() -> bool:
    """Whether missing model files may be downloaded: yes unless MOJI_OFFLINE=1."""
    return os.environ.get("MOJI_OFFLINE", "").strip().lower() not in ("1", "true", "yes")


def model_path(model: ModelFile, allow_download: bool | None = None) -> Path:
    """Path of a verified model file, downloading it first when it is not cached yet.

    Downloads are on unless MOJI_OFFLINE=1 (or `allow_download=False`).
    """
    path = cache_dir() / model.filename
    if path.exists():
        verify(model, path)
        return path
    if allow_download is None:
        allow_download = downloads_allowed()
    if not allow_download:
        raise MojiError("model_missing", f"{path} does not exist. {_fix_hint(model, path)}")
    return download(model, path)


# What a worker cannot start without (BiSeNet is optional: without it the likeness is measured
# from the landmarks and the segmenter alone).
REQUIRED: tuple[ModelFile, ...] = (FACE_LANDMARKER, SELFIE_SEGMENTER)


def missing_models(required: tuple[ModelFile, ...] = REQUIRED) -> list[ModelFile]:
    """The required model files not in the cache yet (no download, no sha256: a quick look)."""
    folder = cache_dir()
    return [model for model in required if not (folder / model.filename).is_file()]


def missing_message(missing: list[ModelFile]) -> str:
    """What a person running Moji reads when model files are missing: which, where they go, and
    the two ways to put them there (a copy of the official files, or `moji models fetch`)."""
    folder = cache_dir()
    names = " ".join(model.name for model in missing)
    files = "".join(f"\n  {model.filename}  ({model.size / 1e6:.1f} MB, sha256 "
                    f"{model.sha256[:12]}..., from {model.url})" for model in missing)
    return (f"Model files are missing from {folder}:{files}\n"
            f"Copy the official files into {folder}/ (set MOJI_CACHE_DIR to use another "
            f"folder), or run `moji models fetch {names}` on a machine with internet. "
            "Workers look for them every few seconds and start by themselves.")
