"""`moji dataset parts`: face photos -> per-part folders of canonical 306x306 masked crops.

What the published experiment did with CelebA and BiSeNet, on any folder of photos: find the
largest face, align it to the canonical frame, parse it into parts and write each part's masked
crop (black outside the part) to OUT_DIR/<kind>/<photo name>.png. Photos that give no usable
crop are counted by reason, and every photo gets a line in OUT_DIR/manifest.csv.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipeline.parse import PART_KINDS

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp"}
MIN_PART_PIXELS = 20  # a part mask smaller than this is a parsing failure, not a part


@dataclass
class DatasetReport:
    """How many photos gave crops, and why the others did not."""

    photos: int = 0
    written: int = 0
    skipped: Counter = field(default_factory=Counter)  # reason -> count

    def summary(self) -> str:
        lines = [f"{self.written} of {self.photos} photos written"]
        if self.skipped:
            lines.append(f"{sum(self.skipped.values())} skipped: " + ", ".join(
                f"{reason} {count}" for reason, count in self.skipped.most_common()))
        return "; ".join(lines)


def list_photos(folder: Path) -> list[Path]:
    """Image files directly in `folder` (or its `images/` subfolder), sorted by name."""
    if not any(p.suffix.lower() in IMAGE_SUFFIXES for p in folder.iterdir()) and \
            (folder / "images").is_dir():
        folder = folder / "images"
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def write_png(path: Path, rgb: np.ndarray) -> None:
    import cv2

    if not cv2.imwrite(str(path), np.ascontiguousarray(rgb[..., ::-1])):
        raise OSError(f"could not write {path}")


def build_parts(photos_dir: Path, out_dir: Path, parser: str = "landmarks",
                kinds: tuple[str, ...] = PART_KINDS, limit: int | None = None,
                progress: bool = True) -> DatasetReport:
    """Parse every photo in `photos_dir` and write its part crops under `out_dir`."""
    from tqdm import tqdm

    from pipeline.analyze import AnalyzerOptions, FaceAnalyzer
    from pipeline.decode import decode_image
    from pipeline.errors import MojiError
    from pipeline.parse import get_parser, parse_face

    photos = list_photos(Path(photos_dir))[:limit]
    out_dir = Path(out_dir)
    for kind in kinds:
        (out_dir / kind).mkdir(parents=True, exist_ok=True)
    face_parser = get_parser(parser)
    report = DatasetReport(photos=len(photos))
    rows = []
    with FaceAnalyzer.create_from_options(AnalyzerOptions(max_faces=1)) as analyzer:
        bar = tqdm(photos, desc="parts", unit="photo", disable=not progress)
        for photo in bar:
            reason = ""
            try:
                image = decode_image(photo.read_bytes())
                faces = analyzer.detect(image.rgb)
                if not faces:
                    reason = "no_face"
                else:
                    parsed = parse_face(image.rgb, faces[0], face_parser, with_pixels=True)
                    small = [k for k in kinds if parsed.masks[k].sum() < MIN_PART_PIXELS]
                    if small:
                        reason = "empty_part:" + "+".join(small)
                    else:
                        for kind in kinds:
                            write_png(out_dir / kind / f"{photo.stem}.png", parsed.crop(kind))
            except MojiError as exc:
                reason = exc.code
            except OSError as exc:
                reason = f"unreadable ({exc.__class__.__name__})"
            if reason:
                report.skipped[reason] += 1
            else:
                report.written += 1
            rows.append((photo.name, "" if reason else "ok", reason))
            bar.set_postfix(written=report.written, skipped=sum(report.skipped.values()))
    with open(out_dir / "manifest.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["image", "status", "reason"])
        writer.writerows(rows)
    return report


def load_crops(folder: Path, size: int | None = None, limit: int | None = None) -> np.ndarray:
    """The PNG crops in one part folder as a (N, H, W, 3) uint8 array (for training and plots)."""
    import cv2

    paths = sorted(Path(folder).glob("*.png"))[:limit]
    crops = []
    for path in paths:
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            continue
        if size and bgr.shape[0] != size:
            bgr = cv2.resize(bgr, (size, size), interpolation=cv2.INTER_AREA)
        crops.append(bgr[..., ::-1])
    return np.stack(crops) if crops else np.zeros((0, size or 306, size or 306, 3), np.uint8)
