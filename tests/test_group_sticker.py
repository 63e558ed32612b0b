"""A sticker of everyone in a photo (issue 8, item 3): `Pipeline.render_all` with the real
landmarker, likeness models and style files, on photos made of fixture faces side by side."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from conftest import fixture_bytes, group_photo
from PIL import Image

from pipeline.compose import (
    STICKER_MAX_BYTES,
    STICKER_SIZE,
    compose_group_svg,
    group_cells,
    group_height,
)
from pipeline.errors import MojiError
from pipeline.style import load_style


def _sticker_image(png: bytes, people: int = 1) -> np.ndarray:
    image = Image.open(io.BytesIO(png))
    # 512 wide, as tall as its rows: one side of 512, the other at most 512 (Telegram's rule)
    assert image.size == (STICKER_SIZE, group_height(people)) and image.mode == "RGBA"
    assert len(png) <= STICKER_MAX_BYTES
    return np.asarray(image)


def test_two_faces_left_to_right_each_with_its_own_expression(pipe, two_faces_jpeg):
    # two_faces_jpeg: neutral.jpg at x 10-250 (the smaller face), grin.jpg at x 260-610
    group = pipe.render_all(two_faces_jpeg, style="avatar")
    assert group.faces == 2 and len(group.people) == 2
    left, right = group.people
    assert left.box[0] + left.box[2] <= 260 <= right.box[0]  # each box on its own face
    assert left.box[2] * left.box[3] < right.box[2] * right.box[3]
    assert all(0 <= x and x + w <= 620 and 0 <= y and y + h <= 380 and w > 100 and h > 100
               for x, y, w, h in (left.box, right.box))
    assert left.matches["mouth"].tags[0] == "neutral"
    assert right.matches["mouth"].tags[0] == "grin"
    assert left.likeness.skin_rgb != right.likeness.skin_rgb  # each measured from its face

    rgba = _sticker_image(group.png, people=2)
    assert rgba.shape[0] == STICKER_SIZE // 2  # two people: 512x256, no empty bands
    alpha = rgba[..., 3]
    assert alpha[0, 0] == 0 and alpha[-1, -1] == 0  # transparent background
    for half in (alpha[:, :256], alpha[:, 256:]):  # one person in each half
        assert (half == 255).mean() > 0.15
    assert group.matches is left.matches and group.likeness is left.likeness

    record = group.to_dict()
    assert [p["box"] for p in record["people"]] == [list(left.box), list(right.box)]
    assert all(isinstance(v, int) for p in record["people"] for v in p["box"])
    single = pipe.render(two_faces_jpeg, style="avatar").to_dict()
    for person in record["people"]:
        assert set(person) == {"box", "parts", "likeness"}
        assert set(person["likeness"]) == set(single["likeness"])
        assert all(set(part) == {"id", "tags", "similarity"} for part in person["parts"].values())
    # the largest face alone is what `render` draws: the right one here
    assert record["people"][1]["parts"]["mouth"] == single["parts"]["mouth"]
    assert record["parts"] == record["people"][0]["parts"]


def test_one_face_is_one_person(pipe):
    photo = fixture_bytes("smile.jpg")
    group = pipe.render_all(photo)
    assert group.faces == 1 and len(group.people) == 1
    single = pipe.render(photo)
    assert {k: m.part_id for k, m in group.matches.items()} == {
        k: m.part_id for k, m in single.matches.items()}
    alpha = _sticker_image(group.png)[..., 3]
    assert alpha[0, 0] == 0 and (alpha == 255).mean() > 0.3  # drawn as large as a sticker


def test_more_than_six_faces_gives_the_six_largest_left_to_right(pipe):
    names = ["smile.jpg", "likeness_beard.jpg", "frown.jpg", "likeness_glasses.jpg", "open.jpg",
             "likeness_long_hair.jpg", "grin.jpg"]
    sides = [200, 200, 200, 110, 200, 200, 200]  # the fourth face is much the smallest
    photo = group_photo(list(zip(names, sides, strict=True)))
    group = pipe.render_all(photo, style="avatar")
    assert group.faces == 7 and len(group.people) == 6
    xs = [person.box[0] for person in group.people]
    assert xs == sorted(xs)
    small_left, small_right = 20 + 3 * 220, 20 + 3 * 220 + 110  # where the small face is
    assert not [x for x in xs if small_left <= x < small_right]
    assert len(group.to_dict()["people"]) == 6
    alpha = _sticker_image(group.png, people=6)[..., 3]
    for x, y, side in group_cells(6):  # every cell has its person
        cell = alpha[round(y):round(y + side), round(x):round(x + side)]
        assert (cell == 255).mean() > 0.2
    assert pipe.render_all(photo, style="avatar", max_people=2).people[0].box[0] < small_left


def test_no_face_is_the_same_error_as_render(pipe, no_face_png):
    with pytest.raises(MojiError) as caught:
        pipe.render_all(no_face_png)
    assert caught.value.code == "no_face"


def test_group_cells_fit_the_sticker_without_overlapping():
    for count in range(1, 7):
        cells = group_cells(count)
        height = group_height(count)
        assert len(cells) == count and height <= STICKER_SIZE
        assert len({round(y) for _, y, _ in cells}) == (1 if count <= 3 else 2)
        assert max(y + side for _, y, side in cells) >= height - 1  # no empty band below
        for i, (x, y, side) in enumerate(cells):
            assert 0 <= x and x + side <= STICKER_SIZE + 1e-6
            assert 0 <= y and y + side <= height + 1
            assert side >= STICKER_SIZE / 3 - 1e-6  # no face drawn smaller than a third
            for ox, oy, _ in cells[i + 1:]:
                assert abs(ox - x) >= side - 1e-6 or abs(oy - y) >= side - 1e-6


def test_each_persons_clip_paths_are_their_own():
    """The open eyes clip their pupils by id: two people with the same eyes must not share
    (and so draw with) one definition."""
    style = load_style("avatar")
    chosen = {kind: style.part_tagged(kind, tag) for kind, tag in
              (("face", "oval"), ("eyes", "open"), ("brows", "neutral"), ("mouth", "smile"))}
    svg = compose_group_svg(style, [(chosen, ()), (chosen, (("#000000", "#111111"),))])
    ids = re.findall(r'\bid="([^"]+)"', svg)
    assert len(ids) == len(set(ids))
    referenced = set(re.findall(r"url\(#([^)]+)\)", svg))
    assert referenced and referenced <= set(ids)
    assert {ref.split("-")[0] for ref in referenced} == {"p0", "p1"}
