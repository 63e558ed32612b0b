"""Stage 6: cosine similarity against every part of the same kind; the best one wins."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from .index import StyleIndex
from .style import Style

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


# Names a style may not draw yet, and the part that stands in for them
DRAWN_AS = {"hijab": "headscarf", "keffiyeh": "headscarf"}


def match_likeness(style: Style, likeness: Likeness) -> dict[str, Match]:
    """The style's hair, facial hair, glasses and headwear parts for a person, by tag.

    Likeness parts are chosen, not measured against: the likeness already names what to draw
    (hair length, and its style when known), so the part whose tags say the same wins, and its
    colours come from the likeness when the style is drawn (pipeline.compose.person_colours).
    A kind the style does not draw, or a "none", adds nothing.
    """
    wanted = {
        "hair": (likeness.hair_length, likeness.hair_style),
        "facial_hair": (likeness.facial_hair, None),
        "glasses": (likeness.glasses, None),
        "headwear": (likeness.headwear, None),
    }
    matches = {}
    for kind, (value, style_hint) in wanted.items():
        candidates = style.parts.get(kind, [])
        if not candidates or (value == "none" and kind != "hair"):  # bald is a hair part
            continue
        parts = [p for p in candidates if p.tag == value]
        if not parts and value in DRAWN_AS:  # a trait the style has no part of its own for yet
            parts = [p for p in candidates if p.tag == DRAWN_AS[value]]
        if not parts and kind == "headwear":  # "other" headwear: the nearest shape there is
            parts = [p for p in candidates if p.tag == "hat"] or candidates
        if not parts:
            continue
        # The hinted style, else the plain style of that length (hair-short is tagged
        # ["short", "short"]), else the first: parts load in file-name order, not by merit.
        best = next((p for p in parts if style_hint in p.tags[1:]),
                    next((p for p in parts if value in p.tags[1:]), parts[0]))
        matches[kind] = Match(kind=kind, part_id=best.id, tags=list(best.tags), similarity=1.0)
    return matches
