"""Stage 6: cosine similarity against every part of the same kind; the best one wins."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from .index import StyleIndex
from .style import Style, StylePart

if TYPE_CHECKING:
    from .likeness import Likeness


@dataclass
class Match:
    """The part chosen for one kind, and why: its similarity and the runner-up's."""

    kind: str
    part_id: str
    tags: list[str]
    similarity: float
    runner_up: str | None = None
    runner_up_similarity: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def match_parts(style: Style, index: StyleIndex,
                face_vectors: dict[str, np.ndarray]) -> dict[str, Match]:
    """For each kind, the style part whose vector is most similar to the face part's."""
    matches = {}
    for kind, vector in face_vectors.items():
        query = vector / max(float(np.linalg.norm(vector)), 1e-12)
        similarities = index.vectors[kind] @ query
        order = np.argsort(-similarities)
        best = int(order[0])
        second = int(order[1]) if len(order) > 1 else None
        part = style.part(index.ids[kind][best])
        matches[kind] = Match(
            kind=kind, part_id=part.id, tags=list(part.tags),
            similarity=round(float(similarities[best]), 4),
            runner_up=index.ids[kind][second] if second is not None else None,
            runner_up_similarity=(round(float(similarities[second]), 4)
                                  if second is not None else None),
        )
    return matches


# The hair style a length is drawn with when the likeness names no style (most lengths have a
# style of their own name: short, medium).
PLAIN_HAIR = {"none": "bald", "long": "long_straight", "tied": "bun"}


def _hair_part(candidates: list[StylePart], likeness: Likeness) -> StylePart | None:
    """The hair part of a likeness: its hair style (any length: the style says more than the
    length), else the plain style of its length (PLAIN_HAIR, else the style of the length's
    name: hair-short is tagged ["short", "short", ...]), else that length's first; then the
    part of that style with the person's hairline, else the style's own hairline (its plain
    part, the shortest id)."""
    of_style = [p for p in candidates if p.tags[1:2] == (likeness.hair_style,)]
    if not of_style:
        of_length = [p for p in candidates if p.tag == likeness.hair_length]
        if not of_length:
            return None
        plain_style = PLAIN_HAIR.get(likeness.hair_length, likeness.hair_length)
        plain = [p for p in of_length if p.tags[1:2] == (plain_style,)] or of_length
        of_style = [p for p in of_length if p.tags[1:2] == plain[0].tags[1:2]]
    return next((p for p in of_style if p.tags[2:3] == (likeness.hairline,)),
                min(of_style, key=lambda p: len(p.id)))


def _earrings_part(candidates: list[StylePart], face: StylePart | None) -> StylePart | None:
    """Earrings sit at the ears, which move with the face's width: the part drawn for the
    nearest face width (its "width" parameter), else the first."""
    if not candidates:
        return None
    if face is None or "width" not in face.params:
        return candidates[len(candidates) // 2]
    return min(candidates, key=lambda p: abs(p.params.get("width", 0.5) - face.params["width"]))


def match_likeness(style: Style, likeness: Likeness,
                   face_id: str | None = None) -> dict[str, Match]:
    """The style's hair, facial hair, glasses, headwear, signs of age and earrings parts for a
    person, by tag; ``face_id`` (the chosen face part) places the earrings at its ears.

    Likeness parts are chosen, not measured against: the likeness already names what to draw
    (hair style and hairline, else length), so the part whose tags say the same wins, and its
    colours come from the likeness when the style is drawn (pipeline.compose.person_colours).
    A kind the style does not draw, or a "none", adds nothing; a hijab hides all hair.
    """
    matches = {}

    def add(kind: str, part: StylePart | None) -> None:
        if part is not None:
            matches[kind] = Match(kind=kind, part_id=part.id, tags=list(part.tags),
                                  similarity=1.0)

    hair = style.parts.get("hair", [])
    if hair and likeness.headwear != "hijab":
        add("hair", _hair_part(hair, likeness))
    for kind, value in (("facial_hair", likeness.facial_hair), ("glasses", likeness.glasses),
                        ("headwear", likeness.headwear), ("age", likeness.age_signs)):
        candidates = style.parts.get(kind, [])
        if not candidates or value == "none":
            continue
        parts = [p for p in candidates if p.tag == value]
        if not parts and kind == "headwear":  # "other" headwear: the nearest shape there is
            parts = [p for p in candidates if p.tag == "hat"] or candidates
        add(kind, parts[0] if parts else None)
    if likeness.earrings != "none" and likeness.headwear != "hijab":
        face = None
        if face_id is not None:
            face = next((p for p in style.parts.get("face", []) if p.id == face_id), None)
        add("earrings", _earrings_part(style.parts.get("earrings", []), face))
    return matches
