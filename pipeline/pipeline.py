"""The whole pipeline: photo bytes in, a sticker out. Build it once per process and reuse it."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .analyze import AnalyzerOptions, FaceAnalysis, FaceAnalyzer
from .compose import (
    STICKER_SIZE,
    compose_group_svg,
    compose_svg,
    group_height,
    person_colours,
    personal_parts,
    render_png,
    render_sticker,
)
from .decode import DecodedImage, decode_image
from .embedders import DEFAULT_EMBEDDER, Embedder, get_embedder
from .errors import MojiError
from .geometry import measure_face_geometry
from .index import StyleIndex, load_index
from .likeness import Likeness, LikenessEstimator, LikenessOptions, is_greyscale
from .match import Match, match_likeness, match_parts
from .parse import ParsedFace, get_parser, parse_face
from .style import Style, StylePart, load_style

if TYPE_CHECKING:
    from .video import VideoOptions, VideoSticker

DEFAULT_STYLE = "classic"
# render(choose_look=...): (measured likeness, matched face part id, colour photo) -> the
# likeness to draw and a face part id to keep (None: the matched one)
ChooseLook = Callable[[Likeness, str, bool], tuple[Likeness, str | None]]
MAX_PEOPLE = 6  # faces on one group sticker: more would be too small to read at 512 px


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
    likeness: LikenessOptions = field(default_factory=LikenessOptions)  # MOJI_LIKENESS


@dataclass
class Sticker:
    """A rendered sticker and how it was chosen."""

    png: bytes = field(repr=False)
    svg: str = field(repr=False)
    style: str
    embedder: str
    faces: int
    matches: dict[str, Match]  # expression parts, then the likeness parts drawn
    skin_rgb: tuple[int, int, int]
    timings_ms: dict[str, float]
    likeness: Likeness | None = None

    def to_dict(self) -> dict:
        """The JSON shape of `moji render --json` (without input and output)."""
        out = {
            "style": self.style, "embedder": self.embedder, "faces": self.faces,
            "parts": _parts_dict(self.matches), "timings_ms": self.timings_ms,
        }
        if self.likeness is not None:
            out["likeness"] = self.likeness.to_dict()
        return out


def _parts_dict(matches: dict[str, Match]) -> dict:
    return {kind: {"id": m.part_id, "tags": m.tags, "similarity": m.similarity}
            for kind, m in matches.items()}


@dataclass
class Person:
    """One face of a group sticker: where it is in the photo, and how it was drawn."""

    box: tuple[int, int, int, int]  # x, y, width, height in the photo's own pixels
    matches: dict[str, Match]  # expression parts, then the likeness parts drawn
    likeness: Likeness
    skin_rgb: tuple[int, int, int]

    def to_dict(self) -> dict:
        return {"box": list(self.box), "parts": _parts_dict(self.matches),
                "likeness": self.likeness.to_dict()}


@dataclass
class GroupSticker:
    """One sticker of every face in a photo (up to MAX_PEOPLE), left to right. `matches` and
    `likeness` are the first person's: what the sticker's emoji and summary go by."""

    png: bytes = field(repr=False)
    svg: str = field(repr=False)
    style: str
    embedder: str
    faces: int  # faces found in the photo; `people` holds those drawn
    people: list[Person]
    timings_ms: dict[str, float]

    @property
    def matches(self) -> dict[str, Match]:
        return self.people[0].matches

    @property
    def likeness(self) -> Likeness:
        return self.people[0].likeness

    def to_dict(self) -> dict:
        """`moji render --all-faces --json`: the usual keys (parts and likeness of the first
        person) and `people`, left to right."""
        return {"style": self.style, "embedder": self.embedder, "faces": self.faces,
                "parts": _parts_dict(self.matches), "likeness": self.likeness.to_dict(),
                "people": [person.to_dict() for person in self.people],
                "timings_ms": self.timings_ms}


class _Timer:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._last = self._start = time.perf_counter()

    def lap(self, stage: str) -> None:
        """Time since the last lap, added to the stage's (a group sticker runs stages per face)."""
        now = time.perf_counter()
        self.timings[stage] = round(self.timings.get(stage, 0.0) + (now - self._last) * 1000, 3)
        self._last = now

    def done(self) -> dict[str, float]:
        self.timings["total"] = round((time.perf_counter() - self._start) * 1000, 3)
        return self.timings


def _no_face() -> MojiError:
    return MojiError("no_face", "No face was found in the photo. Try a clear, front-facing "
                     "selfie with the whole face in the picture.")


def _kept_match(style: Style, index: StyleIndex, vector: np.ndarray, part_id: str) -> Match:
    """A kept face shape, with its similarity to this photo's face (how well it still fits)."""
    row = index.ids["face"].index(part_id)
    similarity = float(index.vectors["face"][row] @ vector) / max(float(np.linalg.norm(vector)),
                                                                  1e-12)
    return Match("face", part_id, list(style.part(part_id).tags), round(similarity, 4))


def _find_part(style: Style, kind: str, ref: str) -> StylePart | None:
    """A part by id, else the first whose main tag, then any tag, is `ref` (pack-only parts
    included: they are asked for by name)."""
    parts = style.parts.get(kind, [])
    return (next((p for p in parts if p.id in (ref, f"{kind}-{ref}")), None)
            or next((p for p in parts if p.tag == ref), None)
            or next((p for p in parts if ref in p.tags), None))


def _photo_box(image: DecodedImage, face: FaceAnalysis) -> tuple[int, int, int, int]:
    """A face's box (x, y, width, height) in the pixels of the photo as sent, upright: the
    analysed copy may be downscaled (the longer sides tell by how much, whatever the EXIF turn),
    and landmarks of a face at the edge may run past it."""
    scale = max(image.original_size) / max(image.size)
    width, height = (round(side * scale) for side in image.size)
    left, top, right, bottom = (int(v) for v in np.clip(
        np.round(np.asarray(face.bbox) * scale), 0, (width, height, width, height)))
    return left, top, right - left, bottom - top


def _add_likeness_parts(style: Style, matches: dict[str, Match], likeness: Likeness) -> None:
    """Add the hair, facial hair, glasses, headwear, age and earrings parts of a likeness to
    `matches` (earrings at the chosen face's ears)."""
    face = matches.get("face")
    for kind, match in match_likeness(style, likeness,
                                      face_id=face.part_id if face else None).items():
        matches.setdefault(kind, match)  # a part asked for by name wins


def draw_identity(likeness: Likeness, face_part: str | None = None,
                  style: str | None = None, expression: dict[str, str] | None = None,
                  size: int = STICKER_SIZE, embedder: str = "none") -> Sticker:
    """Pipeline.render_identity without a Pipeline: drawing a kept look needs no model (the
    Mini App's live previews and the custom emoji draw with this). `size`: the PNG's side."""
    timer = _Timer()
    chosen_style = load_style(style or DEFAULT_STYLE)
    wanted = {"eyes": "open", "brows": "neutral", "mouth": "smile", **(expression or {})}
    face = next((p for p in chosen_style.parts["face"] if p.id == face_part),
                chosen_style.part_tagged("face", "oval"))
    parts = {"face": face}
    for kind, ref in wanted.items():
        part = _find_part(chosen_style, kind, ref)
        if part is None and kind in ("eyes", "brows", "mouth"):
            part = chosen_style.part_tagged(kind, {"eyes": "open", "brows": "neutral",
                                                   "mouth": "smile"}[kind])
        if part is not None:
            parts[kind] = part
    matches = {kind: Match(kind, part.id, list(part.tags), 1.0) for kind, part in parts.items()}
    if "glasses" in parts:  # drawn as asked, whatever the person wears
        likeness = likeness.replace(glasses=parts["glasses"].tag)
    _add_likeness_parts(chosen_style, matches, likeness)
    chosen = personal_parts(chosen_style, {kind: chosen_style.part(m.part_id)
                                           for kind, m in matches.items()}, likeness)
    svg = compose_svg(chosen_style, chosen, likeness.skin_rgb, likeness=likeness)
    timer.lap("compose")
    png = render_sticker(chosen_style, chosen, likeness.skin_rgb, size=size, likeness=likeness)
    timer.lap("render")
    return Sticker(png=png, svg=svg, style=chosen_style.name, embedder=embedder, faces=0,
                   matches=matches, skin_rgb=likeness.skin_rgb, timings_ms=timer.done(),
                   likeness=likeness)


class Pipeline:
    """Decode, analyze, align, parse, embed, match, compose, render."""

    def __init__(self, options: PipelineOptions) -> None:
        self.options = options
        self.embedder: Embedder = get_embedder(options.embedder, **options.embedder_config)
        self.parser = get_parser(options.parser, **options.parser_config)
        load_style(options.style)  # fail now, not on the first photo, when the style is wrong
        self.analyzer = FaceAnalyzer.create_from_options(options.analyzer)
        self._indexes: dict[str, StyleIndex] = {}
        self._likeness: LikenessEstimator | None = None
        self._likeness_lock = threading.Lock()

    @classmethod
    def from_options(cls, options: PipelineOptions | None = None) -> Pipeline:
        return cls(options or PipelineOptions())

    @property
    def likeness_estimator(self) -> LikenessEstimator:
        """The likeness models, loaded on first use: a bot's later selfies never need them."""
        with self._likeness_lock:
            if self._likeness is None:
                self._likeness = LikenessEstimator.create_from_options(self.options.likeness)
            return self._likeness

    def measure_likeness(self, data: bytes) -> Likeness:
        """The likeness of the largest face in a photo (hair, facial hair, glasses, headwear,
        skin, and the face's proportions); raises MojiError("no_face") without one."""
        image, faces = self.analyze(data)
        if not faces:
            raise _no_face()
        likeness = self.likeness_estimator.measure(image.rgb, faces[0])
        return likeness.replace(face=likeness.face or measure_face_geometry(faces[0]))

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

    def render(self, data: bytes, style: str | None = None, likeness: Likeness | None = None,
               face_part: str | None = None, choose_look: ChooseLook | None = None) -> Sticker:
        """A sticker for the largest face in a photo; raises MojiError("no_face") without one.

        The expression (eyes, brows, mouth) always comes from the photo. The person's look comes
        from `likeness` when given (a kept identity), else it is measured from this photo; a
        `face_part` id keeps their face shape instead of matching it. `choose_look(measured,
        matched face part, colour photo)` -> (likeness, face part or None): the photo is
        measured all the same and the caller picks the look to draw (a bot comparing the photo
        with the person's kept look).
        """
        timer = _Timer()
        chosen_style = load_style(style or self.options.style)
        image, faces = self._faces(data, timer)
        person = self._person(image, faces[0], chosen_style, timer, likeness, face_part,
                              choose_look)
        return self._draw(chosen_style, person.matches, person.likeness, person.skin_rgb,
                          len(faces), timer)

    def render_all(self, data: bytes, style: str | None = None,
                   max_people: int = MAX_PEOPLE) -> GroupSticker:
        """One sticker of everyone in a photo: the largest `max_people` faces, left to right,
        each with its own expression, likeness and skin (measured from that face: nobody's kept
        identity). Raises MojiError("no_face") without a face."""
        if max_people < 1:
            raise ValueError("max_people must be at least 1")
        timer = _Timer()
        chosen_style = load_style(style or self.options.style)
        image, faces = self._faces(data, timer)
        drawn = sorted(faces[:max_people], key=lambda face: face.bbox[0])  # largest, by x
        # everyone's likeness at once: the BiSeNet method parses all the heads in one batch
        measured = self.likeness_estimator.measure_many(image.rgb, drawn)
        timer.lap("likeness")
        people = [self._person(image, face, chosen_style, timer,
                               likeness.replace(face=measure_face_geometry(face)))
                  for face, likeness in zip(drawn, measured, strict=True)]
        for person in people:
            _add_likeness_parts(chosen_style, person.matches, person.likeness)
        svg = compose_group_svg(chosen_style, [
            (personal_parts(chosen_style, {kind: chosen_style.part(m.part_id)
                                           for kind, m in person.matches.items()},
                            person.likeness),
             person_colours(chosen_style, person.skin_rgb, person.likeness))
            for person in people])
        timer.lap("compose")
        png = render_png(svg, STICKER_SIZE, group_height(len(people)))
        timer.lap("render")
        return GroupSticker(png=png, svg=svg, style=chosen_style.name,
                            embedder=self.embedder.name, faces=len(faces), people=people,
                            timings_ms=timer.done())

    def _faces(self, data: bytes, timer: _Timer) -> tuple[DecodedImage, list[FaceAnalysis]]:
        """Decode and analyze, timed; raises MojiError("no_face") when there is none."""
        image = decode_image(data)
        timer.lap("decode")
        faces = self.analyzer.detect(image.rgb)
        timer.lap("analyze")
        if not faces:
            raise _no_face()
        return image, faces

    def _person(self, image: DecodedImage, face: FaceAnalysis, style: Style, timer: _Timer,
                likeness: Likeness | None = None, face_part: str | None = None,
                choose_look: ChooseLook | None = None) -> Person:
        """One face's expression parts, and its likeness (measured unless given)."""
        parsed = self.parse(image, face)
        timer.lap("align_parse")
        vectors = self.embedder.embed_face(parsed)
        timer.lap("embed")
        index = self.index(style)
        matches = match_parts(style, index, vectors)
        if face_part and face_part in index.ids["face"]:
            matches["face"] = _kept_match(style, index, vectors["face"], face_part)
        timer.lap("match")
        if likeness is None or choose_look is not None:
            measured = self.likeness_estimator.measure(image.rgb, face)
            # the face's own proportions belong to the measured look (the vote takes their median)
            measured = measured.replace(face=measure_face_geometry(face))
            timer.lap("likeness")
            likeness = measured
            if choose_look is not None:
                likeness, face_part = choose_look(measured, matches["face"].part_id,
                                                  not is_greyscale(image.rgb))
                if face_part and face_part in index.ids["face"]:
                    matches["face"] = _kept_match(style, index, vectors["face"], face_part)
                timer.lap("choose_look")
        if not likeness.face:  # a given or kept look without proportions: this photo's
            likeness = likeness.replace(face=measure_face_geometry(face))
            timer.lap("geometry")
        if likeness.glasses == "sunglasses":
            # Eyes behind dark lenses are a guess: draw them open rather than claim a wink.
            open_eyes = style.part_tagged("eyes", "open")
            matches["eyes"] = Match("eyes", open_eyes.id, list(open_eyes.tags), 0.0)
        return Person(_photo_box(image, face), matches, likeness, parsed.skin_rgb)

    def render_identity(self, likeness: Likeness, face_part: str | None = None,
                        style: str | None = None,
                        expression: dict[str, str] | None = None) -> Sticker:
        """A person's look without a photo: a calm, friendly face (for /me), or the expression
        given as {kind: part id or tag} for eyes, brows, mouth, extras and glasses (a sticker
        pack's heart eyes, tears, or the sunglasses of 😎 over the person's own glasses)."""
        return draw_identity(likeness, face_part, style or self.options.style, expression,
                             embedder=self.embedder.name)

    def render_clip(self, clip: bytes | os.PathLike, style: str | None = None,
                    likeness: Likeness | None = None, face_part: str | None = None,
                    options: VideoOptions | None = None) -> VideoSticker:
        """A Telegram video sticker (WEBM, VP9 with alpha) from a clip's path or bytes: the
        expression follows the face, the identity (`likeness`, `face_part`) stays fixed
        (pipeline/video.py)."""
        from .video import render_clip

        return render_clip(self, clip if isinstance(clip, bytes) else Path(clip), style,
                           likeness, face_part, options)

    def _draw(self, style: Style, matches: dict[str, Match], likeness: Likeness,
              skin_rgb: tuple[int, int, int], faces: int, timer: _Timer) -> Sticker:
        _add_likeness_parts(style, matches, likeness)
        chosen = personal_parts(style, {kind: style.part(m.part_id)
                                        for kind, m in matches.items()}, likeness)
        svg = compose_svg(style, chosen, skin_rgb, likeness=likeness)
        timer.lap("compose")
        png = render_sticker(style, chosen, skin_rgb, likeness=likeness)
        timer.lap("render")
        return Sticker(png=png, svg=svg, style=style.name, embedder=self.embedder.name,
                       faces=faces, matches=matches, skin_rgb=likeness.skin_rgb,
                       timings_ms=timer.done(), likeness=likeness)

    def close(self) -> None:
        self.analyzer.close()
        if self._likeness is not None:
            self._likeness.close()

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

