"""`moji bench fuzz`: mutated images through what a worker runs, in a long-lived child process.

Each image is a fixture photo mutated one way (bit flips, truncation, a corrupt header, random
chunks, huge dimensions declared in a PNG or JPEG header, an empty file, other formats under
the same name, garbage EXIF orientation, 16-bit / palette / CMYK / alpha modes, tiny and huge
canvases). One child process loads the pipeline once, as a worker does, and runs each image
through `Pipeline.render` and the WEBP conversion the worker sends. Printed: the count, the
outcomes by error code, the median, p99 and max seconds an image, the child's peak RSS, and
every crash (an exception that is not a MojiError, a child that died, or one that hung).
Exit 1 when anything crashed.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import struct
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

HANG_S = 120.0  # an image the child has not answered in this long is a hang: the child is ended


def register_bench(bench_subparsers: argparse._SubParsersAction) -> None:
    p = bench_subparsers.add_parser(
        "fuzz", help="mutated images through the worker's pipeline: outcomes, time, memory",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("photos", nargs="*", type=Path,
                   help="photos to mutate (default: the repository's tests/fixtures/*.jpg)")
    p.add_argument("--count", type=int, default=1000, help="mutated images (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="the mutations' seed (default 0)")
    p.add_argument("--style", default="classic")
    p.add_argument("--max-seconds", type=float, default=5.0,
                   help="the target an image: printed as met or not (default 5)")
    p.add_argument("--max-rss-mb", type=float, default=1024.0,
                   help="the target for the child's peak RSS (default 1024)")
    p.add_argument("--save", type=Path, metavar="DIR",
                   help="write each image that crashed (and the slowest) here, to replay")
    p.add_argument("--json", action="store_true", help="also print the summary as one JSON line")
    p.set_defaults(func=run_fuzz)


# --- mutations ---------------------------------------------------------------------------------

def _encode(im, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **options)
    return out.getvalue()


def _png_with_size(png: bytes, width: int, height: int, fix_crc: bool) -> bytes:
    """A PNG whose IHDR declares another size (its pixel data stays as it was)."""
    ihdr = bytearray(png[8:33])  # length, "IHDR", 13 bytes of data, CRC
    ihdr[8:16] = struct.pack(">II", width, height)
    if fix_crc:
        ihdr[21:25] = struct.pack(">I", zlib.crc32(bytes(ihdr[4:21])))
    return png[:8] + bytes(ihdr) + png[33:]


def _jpeg_with_size(jpeg: bytes, width: int, height: int) -> bytes:
    """A JPEG whose frame header (SOF) declares another size."""
    data = bytearray(jpeg)
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            break
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            data[i + 5:i + 9] = struct.pack(">HH", height, width)
            break
        i += 2 + length
    return bytes(data)


def _with_exif_segment(jpeg: bytes, payload: bytes) -> bytes:
    """A JPEG with an APP1 (EXIF) segment of `payload` right after its start marker."""
    segment = b"Exif\x00\x00" + payload
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(segment) + 2) + segment + jpeg[2:]


class Mutator:
    """Mutated images from fixture photos, seeded."""

    def __init__(self, photos: list[bytes], seed: int) -> None:
        from PIL import Image

        self.rng = random.Random(seed)
        self.photos = photos
        self.images = [Image.open(io.BytesIO(p)).convert("RGB") for p in photos]
        self._made: dict[str, bytes] = {}  # the big canvases, made once
        self.variant = ""
        self.kinds: dict[str, Callable[[bytes, object], bytes]] = {
            name[len("m_"):]: getattr(self, name) for name in sorted(dir(self))
            if name.startswith("m_")}

    def __iter__(self) -> Iterator[tuple[str, str, bytes]]:
        """(kind, variant, bytes): every kind once in each round of len(kinds) images, in a
        shuffled order."""
        names = list(self.kinds)
        while True:
            self.rng.shuffle(names)
            for name in names:
                i = self.rng.randrange(len(self.photos))
                self.variant = ""
                data = self.kinds[name](self.photos[i], self.images[i])
                yield name, self.variant, data

    def _pick(self, options: tuple):
        """One of `options`, at random; it names the image's variant in the report."""
        choice = self.rng.choice(options)
        self.variant = "x".join(map(str, choice)) if isinstance(choice, tuple) else str(choice)
        return choice

    def _once(self, key: str, make: Callable[[], bytes]) -> bytes:
        if key not in self._made:
            self._made[key] = make()
        return self._made[key]

    # Corrupted bytes
    def m_bit_flips(self, data: bytes, im) -> bytes:
        out = bytearray(data)
        for _ in range(self.rng.choice((1, 4, 32, 256))):
            pos = self.rng.randrange(len(out))
            out[pos] ^= 1 << self.rng.randrange(8)
        return bytes(out)

    def m_truncated(self, data: bytes, im) -> bytes:
        return data[:self.rng.randrange(1, len(data))]

    def m_header_corrupt(self, data: bytes, im) -> bytes:
        out = bytearray(data)
        for _ in range(self.rng.randrange(1, 12)):
            out[self.rng.randrange(min(len(out), 600))] = self.rng.randrange(256)
        return bytes(out)

    def m_random_chunk(self, data: bytes, im) -> bytes:
        pos = self.rng.randrange(len(data))
        chunk = self.rng.randbytes(self.rng.choice((16, 512, 8192)))
        how = self._pick(("insert", "overwrite", "repeat"))
        if how == "insert":
            return data[:pos] + chunk + data[pos:]
        if how == "overwrite":
            return data[:pos] + chunk + data[pos + len(chunk):]
        return data[:pos] + data[pos:pos + 4096] * self.rng.randrange(2, 50) + data[pos:]

    def m_empty_or_noise(self, data: bytes, im) -> bytes:
        return self.rng.choice((b"", b"\x00", b"\xff\xd8", b"\x89PNG\r\n\x1a\n",
                                self.rng.randbytes(self.rng.randrange(1, 100_000))))

    # Headers that lie about the size
    def m_png_huge_dimensions(self, data: bytes, im) -> bytes:
        small = im.resize((64, 64))
        png = _encode(small, "PNG")
        side = self._pick(((65535, 65535), (20000, 20000), (10900, 10900), (1, 1_000_000),
                                (2**31 - 1, 1), (0, 0)))
        return _png_with_size(png, *side, fix_crc=self.rng.random() < 0.8)

    def m_jpeg_huge_dimensions(self, data: bytes, im) -> bytes:
        side = self._pick(((65535, 65535), (60000, 100), (12000, 10001), (0, 480),
                                (9000, 9000)))
        return _jpeg_with_size(data, *side)

    # EXIF
    def m_exif_orientation_garbage(self, data: bytes, im) -> bytes:
        from PIL import Image

        if self.rng.random() < 0.5:
            exif = Image.Exif()
            exif[0x0112] = self.rng.choice((0, 9, 255, 65535, 6, 8, 3))
            return _encode(im, "JPEG", quality=85, exif=exif.tobytes())
        payload = self.rng.choice((
            b"MM\x00*\x00\x00\x00\x08" + self.rng.randbytes(200),
            b"II*\x00\xff\xff\xff\x7f" + self.rng.randbytes(64),
            self.rng.randbytes(self.rng.randrange(1, 2000))))
        return _with_exif_segment(data, payload)

    # Modes and formats
    def m_mode(self, data: bytes, im) -> bytes:
        import numpy as np
        from PIL import Image

        mode = self._pick(("I;16", "P", "P+alpha", "CMYK", "RGBA", "LA", "1", "L", "I",
                                "F"))
        if mode == "I;16":
            grey = np.asarray(im.convert("L"), dtype=np.uint16) * 257
            return _encode(Image.fromarray(grey), "PNG")
        if mode in ("P", "P+alpha"):
            pal = im.convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
            return _encode(pal, "PNG", **({"transparency": 0} if mode == "P+alpha" else {}))
        if mode == "CMYK":
            return _encode(im.convert("CMYK"), self.rng.choice(("JPEG", "TIFF")))
        if mode in ("RGBA", "LA"):
            with_alpha = im.convert(mode)
            with_alpha.putalpha(self.rng.randrange(0, 256))
            return _encode(with_alpha, self.rng.choice(("PNG", "WEBP", "TIFF")))
        if mode in ("I", "F"):
            return _encode(im.convert("L").convert(mode), "TIFF")
        return _encode(im.convert(mode), "PNG")

    def m_other_format(self, data: bytes, im) -> bytes:
        """The photo in another format: a worker gets bytes, whatever the name says."""
        fmt = self._pick(("GIF", "BMP", "TIFF", "WEBP", "PPM", "TGA", "ICO", "PCX",
                               "JPEG2000", "animated GIF"))
        if fmt == "animated GIF":
            frames = [im, im.transpose(0), im.rotate(90)]
            return _encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
        try:
            return _encode(im, fmt)
        except (OSError, KeyError, ValueError):  # a codec this Pillow lacks
            return _encode(im, "BMP")

    # Canvases
    def m_tiny_canvas(self, data: bytes, im) -> bytes:
        size = self._pick(((1, 1), (2, 3), (15, 15), (16, 16), (17, 17), (1, 4000),
                                (4000, 2)))
        return _encode(im.resize(size), self.rng.choice(("PNG", "JPEG")))

    def m_huge_canvas(self, data: bytes, im) -> bytes:
        from PIL import Image

        kind = self._pick(("flat jpeg", "face in jpeg", "palette png", "16-bit png",
                                "rgba png", "bomb png", "tall jpeg"))

        def make() -> bytes:
            if kind == "flat jpeg":
                return _encode(Image.new("RGB", (8000, 6000), (120, 130, 140)), "JPEG")
            if kind == "face in jpeg":
                canvas = Image.new("RGB", (6000, 4000), (90, 110, 90))
                canvas.paste(im.resize((260, 260)), (4100, 1700))
                return _encode(canvas, "JPEG", quality=90)
            if kind == "tall jpeg":
                return _encode(Image.new("RGB", (600, 40000), (200, 180, 160)), "JPEG")
            if kind == "palette png":
                return _encode(Image.new("P", (10000, 10000)), "PNG")
            if kind == "16-bit png":
                return _encode(Image.new("I;16", (10900, 10900), 3000), "PNG")
            if kind == "rgba png":
                return _encode(Image.new("RGBA", (7000, 7000), (10, 20, 30, 128)), "PNG")
            return _encode(Image.new("1", (30000, 30000)), "PNG")  # over the pixel limit

        return self._once(kind, make)


# --- the worker-like child ---------------------------------------------------------------------

def _peak_rss_mb() -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _serve(conn, style: str, warm_up: bytes) -> None:
    """The child: load the pipeline once and make one sticker of `warm_up`, then answer each
    image's bytes with (outcome, seconds, peak RSS MB, detail) until it gets None."""
    import logging
    import traceback

    logging.disable(logging.WARNING)  # a stale index's note on every image says nothing here
    from pipeline import Pipeline, PipelineOptions
    from pipeline.errors import MojiError
    from worker.stickers import to_webp

    pipe = Pipeline.from_options(PipelineOptions(style=style))
    try:
        to_webp(pipe.render(warm_up, style=style).png)
    except MojiError:
        pass  # a warm-up photo without a face still loaded what the first image needs
    conn.send(("ready", 0.0, 0.0, _peak_rss_mb(), ""))
    while True:
        item = conn.recv()
        if item is None:
            break
        start, cpu_start = time.perf_counter(), time.process_time()
        try:
            to_webp(pipe.render(item, style=style).png)
            outcome, detail = "ok", ""
        except MojiError as exc:
            outcome, detail = exc.code, exc.message
        except Exception as exc:  # noqa: BLE001  (what the fuzz is looking for)
            outcome = "crash"
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            detail += " | " + traceback.format_tb(exc.__traceback__)[-1].strip().replace("\n", " ")
        conn.send((outcome, time.perf_counter() - start, time.process_time() - cpu_start,
                   _peak_rss_mb(), detail))
    pipe.close()


class Child:
    """A worker-like process: the pipeline loaded once and warmed up on one photo (a worker's
    first sticker loads the likeness models and the style index), images sent one at a time."""

    def __init__(self, style: str, warm_up: bytes) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        self.conn, child_conn = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child_conn, style, warm_up), daemon=True)
        self.proc.start()
        child_conn.close()
        _, _, _, self.baseline_mb, _ = self._answer(HANG_S * 2)

    def _answer(self, timeout: float) -> tuple[str, float, float, float, str]:
        """(outcome, seconds, CPU seconds, peak RSS MB, detail) of the image in hand."""
        if not self.conn.poll(timeout):
            self.close()
            return "hang", timeout, 0.0, 0.0, f"no answer in {timeout:.0f} s"
        try:
            return self.conn.recv()
        except EOFError:
            self.proc.join(5)
            return "died", 0.0, 0.0, 0.0, f"the child exited with {self.proc.exitcode}"

    def run(self, data: bytes) -> tuple[str, float, float, float, str]:
        try:
            self.conn.send(data)
        except (BrokenPipeError, OSError):
            return "died", 0.0, 0.0, 0.0, "the child was gone"
        return self._answer(HANG_S)

    def alive(self) -> bool:
        return self.proc.is_alive()

    def close(self) -> None:
        if self.proc.is_alive():
            try:
                self.conn.send(None)
                self.proc.join(10)
            except (BrokenPipeError, OSError):
                pass
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(5)


# --- the command -------------------------------------------------------------------------------

def _default_photos() -> list[Path]:
    from moji.paths import REPOSITORY

    return sorted((REPOSITORY / "tests" / "fixtures").glob("*.jpg"))


def _progress(total: int):
    try:
        from tqdm import tqdm
    except ImportError:
        class Plain:  # a line every 50 images
            n = 0

            def update(self, k: int = 1) -> None:
                self.n += k
                if self.n % 50 == 0 or self.n == total:
                    print(f"fuzz {self.n}/{total}", flush=True)

            def close(self) -> None:
                pass

        return Plain()
    return tqdm(total=total, desc="fuzz", unit="image")


def _spread(values: list[float]) -> tuple[float, float, float]:
    """(median, p99, max) of some figures."""
    ordered = sorted(values) or [0.0]
    return (ordered[len(ordered) // 2], ordered[int(round(0.99 * (len(ordered) - 1)))],
            ordered[-1])


def run_fuzz(args: argparse.Namespace) -> int:
    from pipeline.errors import ERROR_CODES, MojiError

    paths = args.photos or _default_photos()
    if not paths:
        raise MojiError("not_found", "No photos to mutate: name some.")
    photos = [Path(p).read_bytes() for p in paths]
    mutator = Mutator(photos, args.seed)
    child = Child(args.style, photos[0])
    baseline = child.baseline_mb
    outcomes: Counter[str] = Counter()
    by_kind: dict[str, Counter[str]] = {}
    runs: list[tuple[float, float, str, int]] = []  # (seconds, CPU seconds, label, index)
    crashes: list[tuple[int, str, str, str]] = []
    peak, peak_by = baseline, "model load"
    slowest_image: tuple[str, bytes] | None = None
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
    bar = _progress(args.count)
    started = time.perf_counter()
    try:
        for i, (kind, variant, data) in zip(range(args.count), mutator, strict=False):
            outcome, took, cpu, rss, detail = child.run(data)
            label = f"{kind}({variant})" if variant else kind
            if args.save and took > max((r[0] for r in runs), default=0.0):
                slowest_image = (f"slowest-{i:04d}-{kind}.bin", data)
            outcomes[outcome] += 1
            by_kind.setdefault(kind, Counter())[outcome] += 1
            runs.append((took, cpu, label, i))
            if rss > peak:
                peak, peak_by = rss, f"#{i} {label}"
            if outcome not in ERROR_CODES and outcome != "ok":
                crashes.append((i, label, outcome, detail))
                if args.save:
                    (args.save / f"crash-{i:04d}-{kind}.bin").write_bytes(data)
            if not child.alive():
                child.close()
                child = Child(args.style, photos[0])
            bar.update(1)
    finally:
        bar.close()
        child.close()
    wall = time.perf_counter() - started
    median, p99, most = _spread([r[0] for r in runs])
    cpu_median, cpu_p99, cpu_most = _spread([r[1] for r in runs])
    slowest = sorted(runs, reverse=True)[:3]
    print(f"\nfuzz: {len(runs)} mutated images of {len(photos)} photos, seed {args.seed}, "
          f"style {args.style}, {wall:.0f} s in all")
    print("outcomes: " + ", ".join(f"{code} {n}" for code, n in outcomes.most_common()))
    for kind in sorted(by_kind):
        print(f"  {kind:<24} " + ", ".join(f"{c} {n}" for c, n in by_kind[kind].most_common()))
    print(f"seconds an image: median {median:.3f}, p99 {p99:.3f}, max {most:.3f}; "
          f"CPU seconds: median {cpu_median:.3f}, p99 {cpu_p99:.3f}, max {cpu_most:.3f}")
    print("slowest: " + ", ".join(f"#{i} {label} {t:.2f} s ({c:.2f} s CPU)"
                                  for t, c, label, i in slowest))
    print(f"child peak RSS: {peak:.0f} MB (after loading the models and one sticker "
          f"{baseline:.0f} MB; the peak reached at {peak_by})")
    print(f"targets: no image over {args.max_seconds:g} s: "
          f"{'met' if most <= args.max_seconds else 'NOT met'}; peak RSS under "
          f"{args.max_rss_mb:g} MB: {'met' if peak <= args.max_rss_mb else 'NOT met'}; "
          f"no crash: {'met' if not crashes else 'NOT met'}")
    for i, label, outcome, detail in crashes[:20]:
        print(f"  CRASH #{i} {label}: {outcome}: {detail}")
    if slowest_image:
        (args.save / slowest_image[0]).write_bytes(slowest_image[1])
    if args.json:
        print(json.dumps({"count": len(runs), "seed": args.seed, "outcomes": dict(outcomes),
                          "seconds_median": median, "seconds_p99": p99, "seconds_max": most,
                          "cpu_seconds_max": cpu_most, "peak_rss_mb": peak,
                          "baseline_rss_mb": baseline,
                          "crashes": [{"index": i, "mutation": label, "outcome": o, "detail": d}
                                      for i, label, o, d in crashes]}))
    return 1 if crashes else 0
