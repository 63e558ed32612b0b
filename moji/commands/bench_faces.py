"""`moji bench faces` and `moji bench rotation`: are faces found, and read alike when turned?

faces: held face photos pasted at 40-120 px into large scenes (3000x2000 by default, a plain or
a noisy background, several faces a scene); prints the fraction of pasted faces found, the
faces found that were not pasted, and the time a scene.

rotation: every photo turned 90, 180 and 270 degrees (no EXIF); prints the fraction of photos
whose emoji (face, eyes, brows and mouth part ids) is the same as upright's, and whose part
tags are.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

PARTS = ("face", "eyes", "brows", "mouth")


def register_bench(bench_subparsers: argparse._SubParsersAction) -> None:
    p = bench_subparsers.add_parser(
        "faces", help="fraction of small faces found in large scenes",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("photos", nargs="+", type=Path, help="face photos or folders of them")
    p.add_argument("--scenes", type=int, default=20, help="scenes to make (default 20)")
    p.add_argument("--per-scene", type=int, default=6, help="faces pasted a scene (default 6)")
    p.add_argument("--size", default="3000x2000", help="scene size (default 3000x2000)")
    p.add_argument("--face-px", default="40,120",
                   help="smallest,largest pasted face in px (landmarks' box; default 40,120)")
    p.add_argument("--limit", type=int, default=300, help="at most this many photos")
    p.add_argument("--seed", type=int, default=0)
    _analyzer_args(p)
    p.set_defaults(func=run_faces)

    p = bench_subparsers.add_parser(
        "rotation", help="same emoji for photos turned 90/180/270 degrees without EXIF",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("photos", nargs="+", type=Path, help="face photos or folders of them")
    p.add_argument("--limit", type=int, default=300, help="at most this many photos")
    p.add_argument("--style", default="classic")
    p.add_argument("--embedder", default="expression")
    _analyzer_args(p)
    p.set_defaults(func=run_rotation)


def _analyzer_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--min-face", type=int, default=None,
                   help="the analyzer's tile search for faces of this many px (0: off)")
    p.add_argument("--max-faces", type=int, default=None)
    p.add_argument("--no-upright", action="store_true",
                   help="do not landmark turned faces again upright (the old behaviour)")


def _analyzer_options(args: argparse.Namespace):
    from pipeline.analyze import AnalyzerOptions

    options = AnalyzerOptions()
    if args.min_face is not None:
        options.min_face = args.min_face
    if args.max_faces is not None:
        options.max_faces = args.max_faces
    if args.no_upright:
        options.upright = False
    return options


def _background(rng, height: int, width: int, noisy: bool):
    import cv2
    import numpy as np

    if not noisy:
        return np.full((height, width, 3), rng.integers(30, 226, 3), np.uint8)
    coarse = rng.integers(0, 256, (height // 100 + 2, width // 100 + 2, 3)).astype(np.uint8)
    smooth = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    grain = rng.normal(0, 18, (height, width, 1))
    return np.clip(smooth + grain, 0, 255).astype(np.uint8)


def run_faces(args: argparse.Namespace) -> int:
    import cv2
    import numpy as np
    from tqdm import tqdm

    from moji.commands.bench import collect_photos
    from pipeline.analyze import FaceAnalyzer
    from pipeline.decode import decode_image
    from pipeline.errors import MojiError

    width, height = (int(v) for v in args.size.lower().split("x"))
    lo, hi = (int(v) for v in args.face_px.split(","))
    rng = np.random.default_rng(args.seed)
    options = _analyzer_options(args)
    analyzer = FaceAnalyzer.create_from_options(options)
    # Held faces: each photo's face, as the landmarker finds it in the photo itself.
    held = []
    for path in collect_photos(args.photos, args.limit):
        try:
            rgb = decode_image(path.read_bytes()).rgb
        except MojiError:
            continue
        faces = analyzer.detect(rgb)
        if faces:
            held.append((rgb, faces[0].bbox))
    if not held:
        print("no face found in the photos given")
        return 1
    found = pasted = extra = 0
    per_size: dict[int, list[int]] = {}
    seconds = []
    for scene_no in tqdm(range(args.scenes), desc="scenes", unit="scene"):
        scene = _background(rng, height, width, noisy=bool(scene_no % 2))
        truths: list[tuple[float, tuple[float, float, float, float]]] = []
        placed: list[tuple[int, int, int, int]] = []
        for _ in range(args.per_scene):
            rgb, (x0, y0, x1, y1) = held[int(rng.integers(len(held)))]
            target = float(rng.uniform(lo, hi))
            scale = target / max(x1 - x0, y1 - y0)
            # the face with some of its photo around it (hair, neck), as in a real scene
            cx, cy, half = (x0 + x1) / 2, (y0 + y1) / 2, 0.9 * max(x1 - x0, y1 - y0)
            h, w = rgb.shape[:2]
            c0, r0 = max(0, int(cx - half)), max(0, int(cy - half))
            c1, r1 = min(w, int(cx + half)), min(h, int(cy + half))
            piece = cv2.resize(rgb[r0:r1, c0:c1], None, fx=scale, fy=scale,
                               interpolation=cv2.INTER_AREA)
            ph, pw = piece.shape[:2]
            for _try in range(50):  # a free place, faces apart
                px, py = int(rng.integers(0, width - pw)), int(rng.integers(0, height - ph))
                box = (px, py, px + pw, py + ph)
                if all(box[2] < t[0] - 5 or box[0] > t[2] + 5 or box[3] < t[1] - 5
                       or box[1] > t[3] + 5 for t in placed):
                    break
            else:
                continue
            scene[py:py + ph, px:px + pw] = piece
            placed.append(box)
            face_box = ((x0 - c0) * scale + px, (y0 - r0) * scale + py,
                        (x1 - c0) * scale + px, (y1 - r0) * scale + py)
            truths.append((target, face_box))
        start = time.perf_counter()
        faces = analyzer.detect(scene)
        seconds.append(time.perf_counter() - start)
        matched = set()
        for target, (x0, y0, x1, y1) in truths:
            hit = False
            for i, face in enumerate(faces):
                fx0, fy0, fx1, fy1 = face.bbox
                cx, cy = (fx0 + fx1) / 2, (fy0 + fy1) / 2
                if x0 <= cx <= x1 and y0 <= cy <= y1 and 0.5 < face.size / target < 2.0:
                    hit = True
                    matched.add(i)
                    break
            found += hit
            pasted += 1
            per_size.setdefault(int(target // 20 * 20), []).append(int(hit))
        extra += len(faces) - len(matched)
    analyzer.close()
    print(f"{len(held)} held faces; {args.scenes} scenes of {width}x{height} (plain and noisy), "
          f"{args.per_scene} faces a scene at {lo}-{hi} px; min_face {options.min_face}, "
          f"max_faces {options.max_faces}")
    print(f"found {found} of {pasted} pasted faces: {found / max(pasted, 1):.1%}; "
          f"{extra} faces found that were not pasted")
    for size in sorted(per_size):
        hits = per_size[size]
        print(f"  {size:>3}-{size + 19:<3} px: {sum(hits)}/{len(hits)} = "
              f"{sum(hits) / len(hits):.1%}")
    print(f"detect a scene: median {np.median(seconds) * 1000:.0f} ms, "
          f"max {max(seconds) * 1000:.0f} ms")
    return 0


def run_rotation(args: argparse.Namespace) -> int:
    import numpy as np
    from tqdm import tqdm

    from moji.commands.bench import collect_photos
    from pipeline import Pipeline, PipelineOptions
    from pipeline.decode import decode_image
    from pipeline.errors import MojiError
    from pipeline.style import load_style

    options = PipelineOptions(style=args.style, embedder=args.embedder,
                              analyzer=_analyzer_options(args))
    style = load_style(args.style)
    same = {q: 0 for q in (1, 2, 3)}
    same_tags = {q: 0 for q in (1, 2, 3)}
    per_part = {q: dict.fromkeys(PARTS, 0) for q in (1, 2, 3)}
    lost = {q: 0 for q in (1, 2, 3)}
    total = 0
    with Pipeline.from_options(options) as pipe:
        def emoji(rgb):
            faces = pipe.analyzer.detect(rgb)
            if not faces:
                return None
            image = type("Image", (), {"rgb": rgb})()
            matches = pipe.match(pipe.parse(image, faces[0]), style)
            return {k: (matches[k].part_id, tuple(sorted(matches[k].tags))) for k in PARTS}

        for path in tqdm(collect_photos(args.photos, args.limit), desc="photos", unit="photo"):
            try:
                rgb = decode_image(path.read_bytes()).rgb
            except MojiError:
                continue
            upright = emoji(rgb)
            if upright is None:
                continue
            total += 1
            for quarter in (1, 2, 3):
                turned = emoji(np.ascontiguousarray(np.rot90(rgb, quarter)))
                if turned is None:
                    lost[quarter] += 1
                    continue
                same[quarter] += all(turned[k][0] == upright[k][0] for k in PARTS)
                same_tags[quarter] += all(turned[k][1] == upright[k][1] for k in PARTS)
                for k in PARTS:
                    per_part[quarter][k] += turned[k][0] == upright[k][0]
    print(f"{total} photos with a face upright; upright re-landmarking "
          f"{'off' if args.no_upright else 'on'}")
    print(f"{'turned':<8}{'same emoji':>12}{'same tags':>11}{'no face':>9}  "
          + "  ".join(f"{k:>6}" for k in PARTS))
    for quarter in (1, 2, 3):
        n = max(total, 1)
        print(f"{quarter * 90:>4} deg{same[quarter] / n:>12.1%}{same_tags[quarter] / n:>11.1%}"
              f"{lost[quarter]:>9}  "
              + "  ".join(f"{per_part[quarter][k] / n:>6.1%}" for k in PARTS))
    return 0
