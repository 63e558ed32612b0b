"""Part variants: the parameters and tags every style draws, one spec per part.

The expression specs (faces, mouths, eyes, brows) carry the numbers the ``expression``
embedder measures; their ids, tags and params are fixed because the evaluation and the
calibration refer to them. The likeness specs (hair, facial hair, glasses, headwear) carry
only tags: they are matched by the measured likeness (pipeline/likeness_match.py), not by
expression parameters. Order matters only for determinism.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FaceSpec:
    """A face shape: ``width`` 0 long/narrow .. 1 wide/round; ``jaw`` 0 pointed .. 1 square."""

    slug: str
    tags: tuple[str, ...]
    width: float
    jaw: float

    def params(self) -> dict[str, float]:
        return {"width": self.width, "jaw": self.jaw}


@dataclass(frozen=True)
class MouthSpec:
    """A mouth; see docs/styles.md for the meaning of each parameter (0.5 typical width)."""

    slug: str
    tags: tuple[str, ...]
    smile: float = 0.15
    open: float = 0.0
    frown: float = 0.0
    width: float = 0.5
    smirk: float = 0.0
    pucker: float = 0.0
    tongue: float = 0.0

    def params(self) -> dict[str, float]:
        return {
            "smile": self.smile,
            "open": self.open,
            "frown": self.frown,
            "width": self.width,
            "smirk": self.smirk,
            "pucker": self.pucker,
            "tongue": self.tongue,
        }


@dataclass(frozen=True)
class Eye:
    """One eye: openness (0 shut .. 1 wide open) and the look a style draws it with.

    Looks: ``open`` (plain open eye), ``wide`` (surprised, white all round), ``lidded``
    (upper lid half down, sleepy), ``narrow`` (squinted slit), ``happy`` (closed, arched up
    like ^, the smiling or winking eye) and ``shut`` (closed, relaxed lid curving down).
    """

    open: float
    look: str


@dataclass(frozen=True)
class EyesSpec:
    """A pair of eyes; ``left`` is the eye on the image left."""

    slug: str
    tags: tuple[str, ...]
    left: Eye
    right: Eye
    wide: float = 0.0
    squint: float = 0.1

    def params(self) -> dict[str, float]:
        return {
            "open_left": self.left.open,
            "open_right": self.right.open,
            "wide": self.wide,
            "squint": self.squint,
        }


@dataclass(frozen=True)
class BrowsSpec:
    """A pair of brows: ``raise`` (whole brow up), ``furrow`` (inner ends down), ``sad``."""

    slug: str
    tags: tuple[str, ...]
    raise_: float
    furrow: float
    sad: float

    def params(self) -> dict[str, float]:
        return {"raise": self.raise_, "furrow": self.furrow, "sad": self.sad}


FACES: tuple[FaceSpec, ...] = (
    FaceSpec("round", ("round",), width=0.85, jaw=0.6),
    FaceSpec("round-full", ("round",), width=1.0, jaw=0.7),
    FaceSpec("oval", ("oval",), width=0.5, jaw=0.5),
    FaceSpec("oval-soft", ("oval",), width=0.65, jaw=0.5),
    FaceSpec("long", ("long",), width=0.15, jaw=0.45),
    FaceSpec("long-narrow", ("long",), width=0.05, jaw=0.35),
    FaceSpec("square", ("square",), width=0.7, jaw=0.95),
    FaceSpec("square-long", ("square", "long"), width=0.4, jaw=0.9),
    FaceSpec("heart", ("heart",), width=0.6, jaw=0.1),
    FaceSpec("heart-wide", ("heart",), width=0.8, jaw=0.2),
)

MOUTHS: tuple[MouthSpec, ...] = (
    MouthSpec("neutral", ("neutral",), smile=0.15, width=0.5),
    MouthSpec("neutral-small", ("neutral",), smile=0.1, width=0.3),
    MouthSpec("smile-soft", ("smile",), smile=0.45, width=0.5),
    MouthSpec("smile", ("smile",), smile=0.7, open=0.02, width=0.55),
    MouthSpec("smile-wide", ("smile",), smile=0.8, open=0.05, width=0.8),
    MouthSpec("grin-small", ("grin",), smile=0.75, open=0.4, width=0.5),
    MouthSpec("grin", ("grin",), smile=0.85, open=0.6, width=0.65),
    MouthSpec("grin-wide", ("grin",), smile=0.9, open=0.8, width=0.85),
    MouthSpec("open-small", ("open",), smile=0.1, open=0.5, width=0.3),
    MouthSpec("open", ("open",), smile=0.1, open=0.7, width=0.4),
    MouthSpec("open-wide", ("open",), smile=0.05, open=0.9, width=0.5),
    MouthSpec("frown", ("frown",), smile=0.0, frown=0.75, width=0.5),
    MouthSpec("frown-deep", ("frown",), smile=0.0, frown=0.95, width=0.6),
    MouthSpec("frown-open", ("frown", "open"), smile=0.0, open=0.45, frown=0.7, width=0.5),
    MouthSpec("smirk", ("smirk", "smile"), smile=0.4, smirk=0.8, width=0.5),
    MouthSpec("tongue", ("tongue", "open"), smile=0.5, open=0.5, width=0.55, tongue=0.9),
    MouthSpec("kiss", ("kiss",), smile=0.1, width=0.1, pucker=0.9),
)

EYES: tuple[EyesSpec, ...] = (
    EyesSpec("open", ("open",), Eye(0.65, "open"), Eye(0.65, "open"), squint=0.1),
    EyesSpec("open-big", ("open",), Eye(0.8, "open"), Eye(0.8, "open"), wide=0.3, squint=0.0),
    EyesSpec("open-small", ("open",), Eye(0.5, "open"), Eye(0.5, "open"), squint=0.2),
    # Half-lidded: still open (the pupils show), so "open" is its main tag.
    EyesSpec("sleepy", ("open",), Eye(0.35, "lidded"), Eye(0.35, "lidded"), squint=0.1),
    EyesSpec("closed", ("closed",), Eye(0.0, "shut"), Eye(0.0, "shut"), squint=0.2),
    EyesSpec("squint", ("squint",), Eye(0.3, "narrow"), Eye(0.3, "narrow"), squint=0.8),
    EyesSpec("squint-happy", ("squint",), Eye(0.25, "happy"), Eye(0.25, "happy"), squint=0.9),
    EyesSpec("wink-left", ("wink",), Eye(0.0, "happy"), Eye(0.65, "open"), squint=0.3),
    EyesSpec("wink-right", ("wink",), Eye(0.65, "open"), Eye(0.0, "happy"), squint=0.3),
    EyesSpec("wide", ("wide",), Eye(1.0, "wide"), Eye(1.0, "wide"), wide=1.0, squint=0.0),
    EyesSpec("wide-soft", ("wide", "open"), Eye(0.9, "wide"), Eye(0.9, "wide"), wide=0.7),
)

BROWS: tuple[BrowsSpec, ...] = (
    BrowsSpec("neutral", ("neutral",), raise_=0.35, furrow=0.1, sad=0.1),
    BrowsSpec("neutral-low", ("neutral",), raise_=0.2, furrow=0.25, sad=0.05),
    BrowsSpec("raised", ("raised",), raise_=0.9, furrow=0.0, sad=0.1),
    BrowsSpec("raised-slight", ("raised",), raise_=0.65, furrow=0.05, sad=0.15),
    BrowsSpec("furrowed", ("furrowed",), raise_=0.1, furrow=0.9, sad=0.0),
    BrowsSpec("furrowed-slight", ("furrowed",), raise_=0.25, furrow=0.55, sad=0.0),
    BrowsSpec("sad", ("sad",), raise_=0.5, furrow=0.0, sad=0.9),
    BrowsSpec("sad-slight", ("sad",), raise_=0.4, furrow=0.05, sad=0.6),
)


# ---------------------------------------------------------------------------------------------
# Likeness parts: the first tag is the measured trait, the second (hair) the style slug.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LikenessSpec:
    """A likeness part: a slug (the drawing each style makes of it), its tags and, for parts
    placed by the face they go with (earrings), the face parameters they fit."""

    slug: str
    tags: tuple[str, ...]
    values: tuple[tuple[str, float], ...] = ()

    def params(self) -> dict[str, float]:
        # Likeness parts are matched by tag, never by expression parameters.
        return dict(self.values)


# Every hair style: (style, length, its own hairline, the other hairlines drawn for it). A
# hairline is drawn where it changes what a friend sees: the forehead of short and pulled-back
# hair, the parting or fringe of hair that falls past the face.
HAIR_VARIANTS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("buzz", "short", "fringe", ("receding", "widows_peak")),
    ("short", "short", "fringe", ("side", "centre", "receding", "widows_peak")),
    ("side_part", "short", "side", ("receding",)),
    ("swept_back", "short", "swept_back", ("receding", "widows_peak")),
    ("quiff", "short", "swept_back", ("receding",)),
    ("curly", "short", "fringe", ("receding",)),
    ("pixie", "short", "side", ()),
    ("cornrows", "short", "swept_back", ()),
    ("afro", "medium", "fringe", ()),
    ("bob", "medium", "side", ("fringe", "centre")),
    ("medium", "medium", "fringe", ("centre", "side")),
    ("long_straight", "long", "centre", ("fringe", "side")),
    ("long_wavy", "long", "centre", ("fringe", "side")),
    ("long_curly", "long", "centre", ("fringe",)),
    ("braids", "long", "centre", ()),
    ("locs", "long", "centre", ()),
    ("bun", "tied", "swept_back", ("centre", "side")),
    ("bun_low", "tied", "swept_back", ("centre", "side")),
    ("updo", "tied", "swept_back", ("centre",)),
    ("ponytail", "tied", "swept_back", ("centre", "side")),
    ("afro_puff", "tied", "centre", ()),
)


def _hair_specs() -> tuple[LikenessSpec, ...]:
    """One part per style and hairline, tagged ``[length, style, hairline]``; a style's own
    hairline keeps the plain slug (``hair-short``), the others add theirs
    (``hair-short-receding``)."""
    out = [LikenessSpec("bald", ("none", "bald"))]
    for style, length, own, others in HAIR_VARIANTS:
        slug = style.replace("_", "-")
        out.append(LikenessSpec(slug, (length, style, own)))
        out += [LikenessSpec(f"{slug}-{line.replace('_', '-')}", (length, style, line))
                for line in others]
    return tuple(out)


HAIRS: tuple[LikenessSpec, ...] = _hair_specs()
HAIR_BY_SLUG: dict[str, LikenessSpec] = {spec.slug: spec for spec in HAIRS}

FACIAL_HAIRS: tuple[LikenessSpec, ...] = (
    LikenessSpec("stubble", ("stubble",)),
    LikenessSpec("moustache", ("moustache",)),
    LikenessSpec("goatee", ("goatee",)),
    LikenessSpec("beard", ("beard",)),
)

GLASSES: tuple[LikenessSpec, ...] = (
    LikenessSpec("round", ("glasses", "round")),
    LikenessSpec("rect", ("glasses", "rect")),
    LikenessSpec("sunglasses", ("sunglasses",)),
)

HEADWEAR: tuple[LikenessSpec, ...] = (
    LikenessSpec("cap", ("cap",)),
    LikenessSpec("hat", ("hat", "other")),
    LikenessSpec("beanie", ("beanie",)),
    LikenessSpec("headscarf", ("headscarf",)),
    LikenessSpec("hijab", ("hijab",)),
    LikenessSpec("turban", ("turban",)),
    LikenessSpec("keffiyeh", ("keffiyeh",)),
)

AGE_SIGNS: tuple[LikenessSpec, ...] = (
    LikenessSpec("some", ("some",)),
    LikenessSpec("marked", ("marked",)),
)

# Earrings hang at the ear lobes, which move with the face's width: one part per width, the
# matcher takes the one nearest the chosen face's (pipeline.match).
EARRINGS: tuple[LikenessSpec, ...] = tuple(
    LikenessSpec(f"w{round(100 * w):02d}", ("earrings",), (("width", w),))
    for w in (0.05, 0.25, 0.45, 0.65, 0.85, 1.0))

# ---------------------------------------------------------------------------------------------
# Pack-only parts: drawn when a sticker pack asks for them by name (heart eyes, a laughing
# mouth, tears), never matched to a photo, so that a selfie never turns into a crying face.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PackSpec:
    """A part drawn only on request: written with ``"match": false`` in its metadata, so that
    the matcher and the style indexes leave it out (pipeline.style.StylePart.matchable).

    ``values`` are the expression parameters the drawing shows (for eyes and mouths; extras
    have none): they document the part, nothing matches on them.
    """

    slug: str
    tags: tuple[str, ...]
    values: tuple[tuple[str, float], ...] = ()
    match: bool = False

    def params(self) -> dict[str, float]:
        return dict(self.values)


PACK_EYES: tuple[PackSpec, ...] = (
    PackSpec("heart", ("open", "heart"), (("open_left", 0.8), ("open_right", 0.8))),
    PackSpec("crying", ("closed", "crying"),
             (("open_left", 0.0), ("open_right", 0.0), ("squint", 1.0))),
    PackSpec("roll", ("open", "roll"), (("open_left", 0.8), ("open_right", 0.8))),
    PackSpec("side", ("open", "side"), (("open_left", 0.5), ("open_right", 0.5))),
    PackSpec("teary", ("open", "teary"),
             (("open_left", 0.9), ("open_right", 0.9), ("wide", 0.5), ("squint", 0.0))),
    PackSpec("sleep", ("closed", "sleep"), (("open_left", 0.0), ("open_right", 0.0))),
    PackSpec("star", ("wide", "star"),
             (("open_left", 1.0), ("open_right", 1.0), ("wide", 1.0), ("squint", 0.0))),
)

PACK_MOUTHS: tuple[PackSpec, ...] = (
    PackSpec("laugh", ("grin", "laugh"), (("smile", 1.0), ("open", 1.0), ("width", 0.95))),
    PackSpec("scream", ("open", "scream"), (("smile", 0.0), ("open", 1.0), ("width", 0.3))),
    PackSpec("wobble", ("frown", "wobble"), (("smile", 0.0), ("frown", 0.6), ("width", 0.45))),
    PackSpec("shush", ("kiss", "shush"), (("smile", 0.05), ("width", 0.1), ("pucker", 1.0))),
)

EXTRAS: tuple[PackSpec, ...] = (
    PackSpec("tear", ("tear",)),
    PackSpec("tears", ("tears",)),
    PackSpec("tears-joy", ("tears_joy",)),
    PackSpec("sweat", ("sweat",)),
    PackSpec("blush", ("blush",)),
    PackSpec("hearts", ("hearts",)),
    PackSpec("kiss-heart", ("kiss_heart",)),
    PackSpec("zzz", ("zzz",)),
    PackSpec("anger", ("anger",)),
    PackSpec("sparkles", ("sparkles",)),
    PackSpec("party", ("party",)),
    PackSpec("hand-chin", ("hand_chin",)),
    PackSpec("shush", ("shush",)),
    PackSpec("hug", ("hug",)),
)

PartSpec = FaceSpec | MouthSpec | EyesSpec | BrowsSpec | LikenessSpec | PackSpec

# Every kind a style may draw, in the order the part files are generated.
SPECS: dict[str, tuple[PartSpec, ...]] = {
    "face": FACES,
    "eyes": EYES,
    "brows": BROWS,
    "mouth": MOUTHS,
    "hair": HAIRS,
    "facial_hair": FACIAL_HAIRS,
    "glasses": GLASSES,
    "headwear": HEADWEAR,
    "age": AGE_SIGNS,
    "earrings": EARRINGS,
}

# The pack-only parts by kind; a style draws them with ``Style.pack`` (every built-in does).
PACK_SPECS: dict[str, tuple[PackSpec, ...]] = {
    "eyes": PACK_EYES,
    "mouth": PACK_MOUTHS,
    "extras": EXTRAS,
}
