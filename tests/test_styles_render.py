"""Styles, composition and rendering: every style loads, indexes and renders a valid sticker."""

from __future__ import annotations

import io

import numpy as np
import pytest
from conftest import fixture_bytes
from PIL import Image

from pipeline.compose import STICKER_MAX_BYTES, compose_svg, render_png, render_sticker
from pipeline.embedders import get_embedder
from pipeline.errors import MojiError
from pipeline.index import build_index, index_npz_bytes, load_index
from pipeline.style import list_styles, load_style, parse_part

VOCABULARY = {
    "mouth": {"neutral", "smile", "grin", "open", "frown"},
    "eyes": {"open", "closed", "wink", "wide", "squint"},
    "brows": {"neutral", "raised", "furrowed", "sad"},
    "face": {"round", "oval", "long", "square", "heart"},
}
MINIMUM = {"face": 5, "mouth": 8, "eyes": 6, "brows": 4}
STYLES = list_styles()


def test_at_least_three_styles():
    assert len(STYLES) >= 3 and {"classic", "avatar"} <= set(STYLES)


@pytest.mark.parametrize("name", STYLES)
def test_style_has_enough_parts_and_every_tag(name):
    style = load_style(name)
    for kind in VOCABULARY:  # expression kinds; tests/test_style_parts.py checks likeness parts
        parts = style.parts[kind]
        assert len(parts) >= MINIMUM[kind], kind
        tags = {tag for part in parts for tag in part.tags}
        assert VOCABULARY[kind] <= tags, (kind, VOCABULARY[kind] - tags)
        ids = [part.id for part in parts]
        assert len(ids) == len(set(ids))
        for part in parts:
            assert all(0.0 <= v <= 1.0 for v in part.params.values()), part.id


def _sticker_image(png: bytes) -> Image.Image:
    assert len(png) <= STICKER_MAX_BYTES
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (512, 512) and image.mode == "RGBA"
    return image


@pytest.mark.parametrize("name", STYLES)
def test_style_renders_a_valid_sticker(pipe, name):
    sticker = pipe.render(fixture_bytes("grin.jpg"), style=name)
    image = _sticker_image(sticker.png)
    alpha = np.asarray(image)[..., 3]
    assert alpha[0, 0] == 0 and alpha[-1, -1] == 0  # transparent background
    assert alpha[256, 256] == 255  # an opaque face in the middle
    likeness_kinds = {"hair", "facial_hair", "glasses", "headwear"}
    assert sticker.style == name
    assert set(VOCABULARY) <= set(sticker.matches) <= set(VOCABULARY) | likeness_kinds


@pytest.mark.parametrize("name", ["classic", "avatar"])  # avatar: hair behind and in front
def test_layered_render_draws_the_same_picture_as_the_whole_svg(pipe, name):
    style = load_style(name)
    chosen = {kind: parts[len(parts) // 2] for kind, parts in style.parts.items() if parts}
    layered = np.asarray(_sticker_image(render_sticker(style, chosen)), dtype=float)
    whole = np.asarray(_sticker_image(render_png(compose_svg(style, chosen))), dtype=float)
    assert np.abs(layered - whole).mean() < 1.0


def test_avatar_takes_the_skin_tone_from_the_photo():
    style = load_style("avatar")
    chosen = {kind: parts[0] for kind, parts in style.parts.items() if parts}
    dark = np.asarray(Image.open(io.BytesIO(render_sticker(style, chosen, (90, 60, 40)))))
    light = np.asarray(Image.open(io.BytesIO(render_sticker(style, chosen, (240, 205, 180)))))
    assert dark[256, 256, :3].sum() + 150 < light[256, 256, :3].sum()
    classic = load_style("classic")
    same = [render_sticker(classic, {k: p[0] for k, p in classic.parts.items() if p}, rgb)
            for rgb in ((90, 60, 40), (240, 205, 180))]
    assert same[0] == same[1]  # a style with its own skin colour ignores the photo's


def test_index_round_trip_and_staleness(tmp_path):
    import shutil

    shutil.copytree(load_style("lineart").path, tmp_path / "lineart")
    for stale in tmp_path.glob("lineart/index.npz"):
        stale.unlink()
    style = load_style("lineart", tmp_path)
    embedder = get_embedder("expression")
    index = build_index(style, embedder)
    (style.path / "index.npz").write_bytes(index_npz_bytes([index]))
    loaded = load_index(style, embedder)
    assert loaded.ids == index.ids
    for kind in index.vectors:
        np.testing.assert_allclose(np.linalg.norm(loaded.vectors[kind], axis=1), 1, atol=1e-5)
    # A changed part makes a new fingerprint: the stored index no longer matches it.
    part = next((tmp_path / "lineart/parts/mouth").glob("*.svg"))
    part.write_text(part.read_text().replace('"smile": ', '"smile": 0.0, "x": ', 1))
    load_style.cache_clear()
    assert load_style("lineart", tmp_path).fingerprint != style.fingerprint


def test_broken_parts_and_unknown_styles_are_reported():
    with pytest.raises(MojiError) as err:
        parse_part("<svg><path/></svg>")
    assert err.value.code == "style_invalid"
    with pytest.raises(MojiError) as err:
        load_style("no-such-style")
    assert err.value.code == "unknown_style" and "classic" in err.value.message
