"""Style packs: a folder of SVG parts with metadata (docs/styles.md), loaded once and cached."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .errors import MojiError
from .parse import PART_KINDS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# Part kinds that show what a person looks like, not what their face is doing ("age": lines of
# age on the face; "earrings": at the ear lobes). A style may leave any of them out; they are
# chosen by tag from the person's likeness, not by embedding.
LIKENESS_KINDS = ("hair", "facial_hair", "glasses", "headwear", "age", "earrings")
# Tears, sweat drops, hearts, zzz...: drawn over everything for a sticker pack's expressions.
EXTRA_KINDS = ("extras",)
STYLE_KINDS = PART_KINDS + LIKENESS_KINDS + EXTRA_KINDS
# Where a part's unmarked body is drawn: hair and hats over the face, everything else in place.
DEFAULT_LAYER = {"hair": "front", "headwear": "front"}

_METADATA = re.compile(r"<metadata[^>]*>(.*?)</metadata>", re.S)
_SVG_BODY = re.compile(r"<svg\b[^>]*>(.*)</svg>", re.S)
_LAYER_MARK = re.compile(r"<!--\s*layer:\s*([a-z_]+)\s*-->")


@dataclass(frozen=True)
class StylePart:
    """One SVG part: its id, kind, tags (first is the main one), parameters and drawing."""

    id: str
    kind: str
    tags: tuple[str, ...]
    params: dict[str, float] = field(hash=False, compare=False)
    body: str = field(repr=False, hash=False, compare=False)  # SVG elements, no <svg>/<metadata>
    # False for parts drawn only on request (a sticker pack's heart eyes, a crying mouth):
    # photos are never matched to them, and style indexes leave them out.
    matchable: bool = field(default=True, compare=False)

    @property
    def tag(self) -> str:
        return self.tags[0]

    @property
    def layers(self) -> dict[str, str]:
        """The body split at `<!-- layer: NAME -->` markers (e.g. hair behind and in front of
        the face); what comes before the first marker (shared <defs>) goes into every layer.
        An unmarked body is one layer, named by DEFAULT_LAYER."""
        return split_layers(self.body, DEFAULT_LAYER.get(self.kind, "main"))


@dataclass
class Style:
    """A loaded style pack."""

    name: str
    title: str
    description: str
    palette: dict[str, str]
    skin_from_photo: bool
    parts: dict[str, list[StylePart]]  # every kind of STYLE_KINDS; likeness kinds may be empty
    path: Path
    fingerprint: str  # sha256 over style.toml and every part file: changes when any of them does
    hair_from_photo: bool = False  # palette hair*/beard* colours come from the person
    lips_from_photo: bool = False  # palette lips comes from the person (lipstick shows)

    def __hash__(self) -> int:
        return hash(self.fingerprint)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Style) and other.fingerprint == self.fingerprint

    def part_tagged(self, kind: str, *tags: str) -> StylePart:
        """The first part of a kind whose main tag is the first of `tags` found, else its first
        part (sample stickers and contact sheets pick their parts this way)."""
        parts = [p for p in self.parts[kind] if p.matchable] or self.parts[kind]
        return next((p for tag in tags for p in parts if p.tag == tag), parts[0])

    def part(self, part_id: str) -> StylePart:
        for parts in self.parts.values():
            for part in parts:
                if part.id == part_id:
                    return part
        raise KeyError(part_id)

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={len(v)}" for k, v in self.parts.items())
        return f"Style({self.name!r}, {counts})"


@functools.lru_cache(maxsize=1024)
def split_layers(body: str, default: str = "main") -> dict[str, str]:
    """{layer name: SVG elements} of a part body with `<!-- layer: NAME -->` markers."""
    pieces = _LAYER_MARK.split(body)
    if len(pieces) == 1:
        return {default: body}
    shared = pieces[0].strip()
    return {name: (shared + "\n" + text.strip()).strip()
            for name, text in zip(pieces[1::2], pieces[2::2], strict=True)}


def styles_dir() -> Path:
    """Where style packs live: $MOJI_STYLES_DIR, else the `styles` folder shipped with Moji."""
    if os.environ.get("MOJI_STYLES_DIR"):
        return Path(os.environ["MOJI_STYLES_DIR"])
    import styles

    return Path(styles.__file__).parent


def list_styles(root: Path | None = None) -> list[str]:
    root = root or styles_dir()
    return sorted(p.parent.name for p in root.glob("*/style.toml"))


def parse_part(svg: str, source: str = "<svg>") -> StylePart:
    """A StylePart from an SVG document with a JSON <metadata> element."""
    meta_match, body_match = _METADATA.search(svg), _SVG_BODY.search(svg)
    if not meta_match or not body_match:
        raise MojiError("style_invalid", f"{source}: no <svg> root or no <metadata> JSON.")
    try:
        meta = json.loads(meta_match.group(1))
        tags = tuple(meta["tags"])
        part = StylePart(id=meta["id"], kind=meta["kind"], tags=tags,
                         params={k: float(v) for k, v in meta.get("params", {}).items()},
                         body=_METADATA.sub("", body_match.group(1)).strip(),
                         matchable=bool(meta.get("match", True)))
    except (ValueError, KeyError, TypeError) as exc:
        raise MojiError("style_invalid", f"{source}: bad part metadata ({exc}).") from None
    if part.kind not in STYLE_KINDS or not part.tags:
        raise MojiError("style_invalid", f"{source}: kind must be one of {STYLE_KINDS}, with tags.")
    return part


@functools.lru_cache(maxsize=32)
def load_style(name: str, root: Path | None = None) -> Style:
    """Load a style by name (cached per process)."""
    root = root or styles_dir()
    folder = root / name
    toml_path = folder / "style.toml"
    if not re.fullmatch(r"[a-z0-9_-]+", name) or not toml_path.exists():
        raise MojiError("unknown_style",
                        f"No style {name!r}; choose from {', '.join(list_styles(root))}.")
    digest = hashlib.sha256(toml_path.read_bytes())
    meta = tomllib.loads(toml_path.read_text())
    parts: dict[str, list[StylePart]] = {kind: [] for kind in STYLE_KINDS}
    for svg_path in sorted(folder.glob("parts/*/*.svg")):
        data = svg_path.read_bytes()
        digest.update(svg_path.name.encode() + data)
        part = parse_part(data.decode(), str(svg_path))
        parts[part.kind].append(part)
    missing = [kind for kind in PART_KINDS if not any(p.matchable for p in parts[kind])]
    if missing:
        raise MojiError("style_invalid", f"Style {name!r} has no parts of kind {missing}.")
    return Style(name=meta.get("name", name), title=meta.get("title", name.title()),
                 description=meta.get("description", ""), palette=dict(meta.get("palette", {})),
                 skin_from_photo=bool(meta.get("skin_from_photo", False)), parts=parts,
                 path=folder, fingerprint=digest.hexdigest(),
                 hair_from_photo=bool(meta.get("hair_from_photo", False)),
                 lips_from_photo=bool(meta.get("lips_from_photo", False)))
