"""A style's part index: every part's embedding, per embedder, ready for cosine matching.

`moji styles build` writes it to `styles/<name>/index.npz`; the pipeline reads it and, when it is
missing or stale (a part or the embedder changed since), builds it in memory instead.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

import numpy as np

from .embedders import Embedder
from .parse import PART_KINDS
from .style import Style

log = logging.getLogger(__name__)
INDEX_FILE = "index.npz"


@dataclass
class StyleIndex:
    """Unit-length part vectors per kind, with the part ids in the same order."""

    style: str
    embedder: str
    fingerprint: str
    ids: dict[str, list[str]]
    vectors: dict[str, np.ndarray]  # kind -> (n_parts, dim) float32, rows of unit length


def index_fingerprint(style: Style, embedder: Embedder) -> str:
    return f"{style.fingerprint}:{embedder.name}:{embedder.version}"


def _unit(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=-1, keepdims=True)
    return (rows / np.maximum(norms, 1e-12)).astype(np.float32)


def build_index(style: Style, embedder: Embedder) -> StyleIndex:
    """Embed every part of a style."""
    ids, vectors = {}, {}
    for kind in PART_KINDS:
        parts = [part for part in style.parts[kind] if part.matchable]
        ids[kind] = [part.id for part in parts]
        vectors[kind] = _unit(embedder.embed_parts(parts, style))
    return StyleIndex(style.name, embedder.name, index_fingerprint(style, embedder), ids, vectors)


def index_to_arrays(index: StyleIndex) -> dict[str, np.ndarray]:
    """Arrays for one embedder's entries of index.npz (keys `<embedder>/...`)."""
    arrays = {f"{index.embedder}/fingerprint": np.array(index.fingerprint)}
    for kind in PART_KINDS:
        arrays[f"{index.embedder}/{kind}/ids"] = np.array(index.ids[kind])
        arrays[f"{index.embedder}/{kind}/vectors"] = index.vectors[kind]
    return arrays


def index_npz_bytes(indexes: list[StyleIndex]) -> bytes:
    """An index.npz file's bytes holding several embedders' indexes of one style."""
    arrays: dict[str, np.ndarray] = {}
    for index in indexes:
        arrays.update(index_to_arrays(index))
    out = io.BytesIO()
    np.savez_compressed(out, **arrays)
    return out.getvalue()


def load_index(style: Style, embedder: Embedder) -> StyleIndex:
    """The style's stored index for this embedder, or a fresh one when it is missing or stale."""
    path = style.path / INDEX_FILE
    expected = index_fingerprint(style, embedder)
    if path.exists():
        with np.load(path) as data:
            key = f"{embedder.name}/fingerprint"
            if key in data and str(data[key]) == expected:
                return StyleIndex(
                    style.name, embedder.name, expected,
                    ids={k: [str(i) for i in data[f"{embedder.name}/{k}/ids"]] for k in PART_KINDS},
                    vectors={k: data[f"{embedder.name}/{k}/vectors"] for k in PART_KINDS},
                )
    log.warning("index of style %r for embedder %r is missing or stale; building it in memory "
                "(run `moji styles build` to store it)", style.name, embedder.name)
    return build_index(style, embedder)
