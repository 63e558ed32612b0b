"""Stage 6: cosine similarity against every part of the same kind; the best one wins."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .index import StyleIndex
from .style import Style


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
