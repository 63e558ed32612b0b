"""The whole pipeline: photo bytes in, a sticker out. Build it once per process and reuse it."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from .analyze import AnalyzerOptions, FaceAnalysis, FaceAnalyzer
from .compose import compose_svg, render_sticker
from .decode import DecodedImage, decode_image
from .embedders import DEFAULT_EMBEDDER, Embedder, get_embedder
from .errors import MojiError
from .index import StyleIndex, load_index
from .match import Match, match_parts
from .parse import ParsedFace, get_parser, parse_face
from .style import Style, load_style

DEFAULT_STYLE = "classic"


@dataclass
class PipelineOptions:
    """What a pipeline is built with. Defaults come from MOJI_STYLE, MOJI_EMBEDDER, MOJI_PARSER."""

    style: str = field(default_factory=lambda: os.environ.get("MOJI_STYLE", DEFAULT_STYLE))
    embedder: str = field(
        default_factory=lambda: os.environ.get("MOJI_EMBEDDER", DEFAULT_EMBEDDER))
    embedder_config: dict = field(default_factory=dict)  # e.g. weights=..., device=...
    parser: str = field(default_factory=lambda: os.environ.get("MOJI_PARSER", "landmarks"))
    parser_config: dict = field(default_factory=dict)
    analyzer: AnalyzerOptions = field(default_factory=AnalyzerOptions)


@dataclass
class Sticker:
    """A rendered sticker and how it was chosen."""

    png: bytes = field(repr=False)
    svg: str = field(repr=False)
    style: str
    embedder: str
    faces: int
    matches: dict[str, Match]
    skin_rgb: tuple[int, int, int]
    timings_ms: dict[str, float]

    def to_dict(self) -> dict:
        """The JSON shape of `moji render --json` (without input and output)."""
        return {
            "style": self.style, "embedder": self.embedder, "faces": self.faces,
            "parts": {kind: {"id": m.part_id, "tags": m.tags, "similarity": m.similarity}
                      for kind, m in self.matches.items()},
            "timings_ms": self.timings_ms,
        }


class _Timer:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._last = self._start = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = round((now - self._last) * 1000, 3)
        self._last = now

    def done(self) -> dict[str, float]:
        self.timings["total"] = round((time.perf_counter() - self._start) * 1000, 3)
        return self.timings


class Pipeline:
    """Decode, analyze, align, parse, embed, match, compose, render."""

    def __init__(self, options: PipelineOptions) -> None:
        self.options = options
        self.embedder: Embedder = get_embedder(options.embedder, **options.embedder_config)
        self.parser = get_parser(options.parser, **options.parser_config)
        load_style(options.style)  # fail now, not on the first photo, when the style is wrong
        self.analyzer = FaceAnalyzer.create_from_options(options.analyzer)
        self._indexes: dict[str, StyleIndex] = {}

    @classmethod
    def from_options(cls, options: PipelineOptions | None = None) -> Pipeline:
        return cls(options or PipelineOptions())

    def index(self, style: Style) -> StyleIndex:
        key = style.fingerprint
        if key not in self._indexes:
            self._indexes[key] = load_index(style, self.embedder)
        return self._indexes[key]

    def analyze(self, data: bytes) -> tuple[DecodedImage, list[FaceAnalysis]]:
        """Decode a photo and find its faces, largest first."""
        image = decode_image(data)
        return image, self.analyzer.detect(image.rgb)

    def parse(self, image: DecodedImage, face: FaceAnalysis) -> ParsedFace:
        return parse_face(image.rgb, face, self.parser, with_pixels=self.embedder.needs_pixels)

    def match(self, parsed: ParsedFace, style: Style) -> dict[str, Match]:
        return match_parts(style, self.index(style), self.embedder.embed_face(parsed))

    def render(self, data: bytes, style: str | None = None) -> Sticker:
        """A sticker for the largest face in a photo; raises MojiError("no_face") without one."""
        timer = _Timer()
        chosen_style = load_style(style or self.options.style)
        image = decode_image(data)
        timer.lap("decode")
        faces = self.analyzer.detect(image.rgb)
        timer.lap("analyze")
        if not faces:
            raise MojiError("no_face", "No face was found in the photo. Try a clear, front-facing "
                            "selfie with the whole face in the picture.")
        parsed = self.parse(image, faces[0])
        timer.lap("align_parse")
        vectors = self.embedder.embed_face(parsed)
        timer.lap("embed")
        matches = match_parts(chosen_style, self.index(chosen_style), vectors)
        timer.lap("match")
        chosen = {kind: chosen_style.part(m.part_id) for kind, m in matches.items()}
        svg = compose_svg(chosen_style, chosen, parsed.skin_rgb)
        timer.lap("compose")
        png = render_sticker(chosen_style, chosen, parsed.skin_rgb)
        timer.lap("render")
        return Sticker(png=png, svg=svg, style=chosen_style.name, embedder=self.embedder.name,
                       faces=len(faces), matches=matches, skin_rgb=parsed.skin_rgb,
                       timings_ms=timer.done())

    def close(self) -> None:
        self.analyzer.close()

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

