"""Issue 16's traits drawn in every style: each hair style, hairline, headwear, facial hair, sign
of age and earrings changes the sticker; a hijab hides all hair; facial hair and headwear take
their measured colours; classic draws the person's hair; the matcher picks by hair style and
hairline and places earrings at the chosen face's ears."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from pipeline.compose import hair_palette, render_sticker
from pipeline.likeness import (
    AGE_SIGNS,
    FACIAL_HAIR,
    HAIR_STYLES,
    HAIRLINES,
    HEADWEAR,
    Likeness,
    hex_to_rgb,
)
from pipeline.match import match_likeness
from pipeline.style import load_style
from styles.draw.specs import HAIR_VARIANTS

STYLES = ("classic", "avatar", "lineart")
LENGTH_OF = {style: length for style, length, _, _ in HAIR_VARIANTS} | {"bald": "none"}


def _person(**fields) -> Likeness:
    base = dict(hair_length="short", hair_style="short", hair_rgb=(70, 45, 32),
                skin_rgb=(196, 140, 110), lips_rgb=(170, 90, 90))
    return Likeness(**{**base, **fields})


def _render(style_name: str, likeness: Likeness, face: str = "oval", size: int = 160) -> np.ndarray:
    style = load_style(style_name)
    chosen = {kind: style.part_tagged(kind, tag) for kind, tag in
              (("face", face), ("eyes", "open"), ("brows", "neutral"), ("mouth", "smile"))}
    for kind, match in match_likeness(style, likeness, face_id=chosen["face"].id).items():
        chosen[kind] = style.part(match.part_id)
    png = render_sticker(style, chosen, likeness.skin_rgb, size, likeness=likeness)
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA")).astype(int)


def _all_different(images: dict[str, np.ndarray], min_pixels: int = 30) -> None:
    names = list(images)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            changed = (np.abs(images[a] - images[b]).sum(axis=2) > 24).sum()
            assert changed >= min_pixels, (a, b, changed)


@pytest.mark.parametrize("name", STYLES)
def test_every_hair_style_draws_differently(name):
    images = {hair: _render(name, _person(hair_length=LENGTH_OF[hair], hair_style=hair,
                                          hair_colour=None if hair == "bald" else "dark_brown"))
              for hair in HAIR_STYLES}
    _all_different(images)


@pytest.mark.parametrize("name", ["avatar", "lineart"])
def test_every_hairline_draws_differently(name):
    # Short hair is drawn with every hairline; long hair with a fringe, a centre or side part.
    short = {line: _render(name, _person(hairline=line)) for line in HAIRLINES
             if line != "swept_back"}
    _all_different(short)
    long = {line: _render(name, _person(hair_length="long", hair_style="long_straight",
                                        hairline=line)) for line in ("fringe", "centre", "side")}
    _all_different(long)


@pytest.mark.parametrize("name", STYLES)
def test_every_headwear_facial_hair_age_and_earrings_draw_differently(name):
    for field, values in (("headwear", HEADWEAR[:-1]), ("facial_hair", FACIAL_HAIR),
                          ("age_signs", AGE_SIGNS), ("earrings", ("none", "earrings"))):
        _all_different({value: _render(name, _person(**{field: value})) for value in values},
                       min_pixels=12)


@pytest.mark.parametrize("name", STYLES)
def test_hijab_hides_all_hair(name):
    style = load_style(name)
    long_hair = _person(hair_length="long", hair_style="long_wavy", headwear="hijab")
    assert "hair" not in match_likeness(style, long_hair)
    # Drawn over long wavy hair and over a short cut (the same colour: brows follow it), a
    # hijab gives the same picture: not one pixel of hair shows.
    green = long_hair.replace(hair_rgb=(20, 200, 40))
    short = green.replace(hair_length="short", hair_style="short", hairline="receding")
    assert np.array_equal(_render(name, green), _render(name, short))
    # A beard still shows under a turban or a keffiyeh.
    for wear in ("turban", "keffiyeh"):
        matches = match_likeness(style, _person(headwear=wear, facial_hair="beard"))
        assert {"headwear", "facial_hair"} <= set(matches), wear


def _colour_share(image: np.ndarray, rgb: tuple[int, int, int], tolerance: int = 12) -> float:
    opaque = image[..., 3] > 250
    close = (np.abs(image[..., :3] - np.array(rgb)).max(axis=2) <= tolerance) & opaque
    return close.sum() / opaque.sum()


@pytest.mark.parametrize("name", ["avatar", "classic"])
def test_facial_hair_follows_facial_hair_rgb(name):
    # Dark hair with a grey, then a white beard: the beard is drawn in its own colour.
    for beard_rgb in ((165, 164, 160), (232, 230, 224)):
        person = _person(hair_rgb=(40, 30, 24), hair_colour="black", facial_hair="beard",
                         facial_hair_rgb=beard_rgb)
        beard_colour = hex_to_rgb(hair_palette(beard_rgb)[0])
        assert _colour_share(_render(name, person), beard_colour) > 0.05, beard_rgb
        # Without a measured beard colour, the beard takes the hair's.
        assert _colour_share(_render(name, person.replace(facial_hair_rgb=None)),
                             beard_colour) < 0.005


@pytest.mark.parametrize("name", ["avatar", "classic"])
def test_headwear_takes_its_measured_colour(name):
    for wear in ("cap", "hijab", "turban"):
        person = _person(headwear=wear, headwear_rgb=(30, 140, 90))
        colour = hex_to_rgb(hair_palette((30, 140, 90))[0])
        assert _colour_share(_render(name, person), colour) > 0.04, wear
        assert _colour_share(_render(name, person.replace(headwear_rgb=None)), colour) < 0.002


def test_two_tone_hair_draws_streaks_only_when_measured():
    person = _person(hair_length="long", hair_style="long_straight", hair_rgb=(40, 28, 22))
    plain = _render("avatar", person)
    streaked = _render("avatar", person.replace(hair_highlight_rgb=(220, 180, 110)))
    changed = np.abs(plain - streaked).sum(axis=2) > 24
    assert changed.sum() > 200  # streaks down the hair (160 px sticker)
    # Light streaks on dark hair: the changed pixels turn much lighter.
    assert streaked[changed][:, :3].mean() - plain[changed][:, :3].mean() > 60
    # Without a highlight the streaks are drawn in the hair's own colour (and vanish in it).
    from pipeline.compose import person_colours

    style = load_style("avatar")
    swaps = dict(person_colours(style, likeness=person))
    assert swaps[style.palette["hair_highlight"]] == swaps[style.palette["hair"]]


def test_classic_draws_the_persons_hair_on_its_yellow_face():
    style = load_style("classic")
    assert style.hair_from_photo and not style.skin_from_photo
    blonde = _person(hair_length="long", hair_style="long_wavy", hair_rgb=(214, 180, 110),
                     hair_colour="blonde")
    bald = _person(hair_length="none", hair_style="bald", hair_colour=None)
    a, b = _render("classic", blonde), _render("classic", bald)
    assert (np.abs(a - b).sum(axis=2) > 24).sum() > 3000  # long hair: a large area
    skin = hex_to_rgb(style.palette["skin"])
    assert _colour_share(a, skin, 30) > 0.1  # the face stays yellow


def test_match_picks_hair_by_style_then_hairline_with_fallbacks():
    style = load_style("avatar")

    def hair(**fields) -> str:
        return match_likeness(style, _person(**fields))["hair"].part_id

    assert hair(hair_style="short", hairline="receding") == "hair-short-receding"
    assert hair(hair_style="short", hairline="fringe") == "hair-short"
    # A hairline the style is not drawn with: the style's own.
    assert hair(hair_style="pixie", hairline="receding") == "hair-pixie"
    # The style wins over the length (a bob is medium, whatever the length says).
    assert hair(hair_length="long", hair_style="bob", hairline="fringe") == "hair-bob-fringe"
    # No style: the plain style of the length, with the hairline where drawn.
    assert hair(hair_style=None, hair_length="long", hairline="side") == "hair-long-straight-side"
    assert hair(hair_style=None, hair_length="none", hair_colour=None) == "hair-bald"


def test_earrings_sit_at_the_chosen_faces_ears():
    style = load_style("avatar")
    person = _person(earrings="earrings")
    narrow = match_likeness(style, person, face_id="face-long-narrow")["earrings"]
    wide = match_likeness(style, person, face_id="face-round-full")["earrings"]
    assert style.part(narrow.part_id).params["width"] < 0.1
    assert style.part(wide.part_id).params["width"] == 1.0
    assert "earrings" not in match_likeness(style, person.replace(headwear="hijab"))
