"""Stages 2-6 on real photos: analyze, align, parse, embed, match."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import fixture_bytes

from pipeline.align import CANONICAL_POINTS, FRAME_SIZE, anchor_points
from pipeline.decode import decode_image
from pipeline.embedders import get_embedder, list_embedders
from pipeline.embedders.expression import face_parameters
from pipeline.errors import MojiError
from pipeline.parse import PART_KINDS, parse_face


def _parsed(pipe, name: str, with_pixels: bool = True):
    image = decode_image(fixture_bytes(name))
    faces = pipe.analyzer.detect(image.rgb)
    assert faces, f"no face found in {name}"
    return parse_face(image.rgb, faces[0], with_pixels=with_pixels)


def test_analyze_gives_landmarks_blendshapes_and_pose(pipe):
    image = decode_image(fixture_bytes("neutral.jpg"))
    (face,) = pipe.analyzer.detect(image.rgb)
    assert face.landmarks.shape == (478, 3)
    assert len(face.blendshapes) == 52 and "jawOpen" in face.blendshapes
    assert face.pose.shape == (4, 4)
    x0, y0, x1, y1 = face.bbox
    # landmarks may run a little past the edge of a tight crop (a chin cut off)
    assert -40 <= x0 < x1 <= 390 and -40 <= y0 < y1 <= 390 and (x1 - x0) > 150


def test_no_face_in_a_coffee_cup(pipe, no_face_png):
    assert pipe.analyzer.detect(decode_image(no_face_png).rgb) == []


def test_two_faces_largest_first(pipe, two_faces_jpeg):
    faces = pipe.analyzer.detect(decode_image(two_faces_jpeg).rgb)
    assert len(faces) == 2
    assert faces[0].area > faces[1].area
    assert faces[0].bbox[0] > 250  # the larger face is the one on the right


def test_alignment_puts_eyes_and_mouth_on_the_canonical_points(pipe):
    for name in ("neutral.jpg", "colour_turned.jpg", "grin.jpg"):
        parsed = _parsed(pipe, name)
        left, right, mouth = anchor_points(parsed.aligned.landmarks)
        assert abs(left[1] - right[1]) < 6, name  # upright
        assert np.abs((left + right) / 2 - CANONICAL_POINTS[:2].mean(axis=0)).max() < 8, name
        assert np.abs(mouth - CANONICAL_POINTS[2]).max() < 12, name
        assert parsed.frame.shape == (FRAME_SIZE, FRAME_SIZE, 3)


def test_parts_are_masked_where_they_belong(pipe):
    parsed = _parsed(pipe, "smile.jpg")
    rows = {kind: np.nonzero(parsed.masks[kind])[0] for kind in PART_KINDS}
    assert all(len(r) > 50 for r in rows.values())
    assert rows["brows"].mean() < rows["eyes"].mean() < rows["mouth"].mean()
    assert parsed.masks["face"].sum() > 5 * parsed.masks["mouth"].sum()
    crop = parsed.crop("mouth")
    assert crop.shape == (FRAME_SIZE, FRAME_SIZE, 3)
    assert (crop[~parsed.masks["mouth"]] == 0).all() and crop[parsed.masks["mouth"]].any()


def test_skin_tone_follows_the_photo(pipe):
    grey = _parsed(pipe, "neutral.jpg").skin_rgb
    colour = _parsed(pipe, "colour_turned.jpg").skin_rgb
    assert max(grey) - min(grey) < 12  # a greyscale photo has grey skin
    assert colour[0] > colour[2] + 15  # a colour photo's skin is warmer than blue


def test_expression_parameters_follow_the_face(pipe):
    params = {name: face_parameters(_parsed(pipe, f"{name}.jpg", with_pixels=False))
              for name in ("neutral", "smile", "grin", "open", "eyes_closed")}
    assert params["smile"]["mouth"]["smile"] > params["neutral"]["mouth"]["smile"] + 0.3
    assert params["grin"]["mouth"]["open"] > params["smile"]["mouth"]["open"] + 0.3
    assert params["open"]["mouth"]["open"] > 0.6 and params["open"]["mouth"]["smile"] < 0.3
    closed = params["eyes_closed"]["eyes"]
    assert closed["open_left"] < 0.25 and closed["open_right"] < 0.25
    assert params["neutral"]["eyes"]["open_left"] > 0.4


@pytest.mark.parametrize("fixture, kind, expected_tags", [
    ("neutral.jpg", "mouth", {"neutral"}),
    ("smile.jpg", "mouth", {"smile"}),
    ("grin.jpg", "mouth", {"grin"}),
    ("open.jpg", "mouth", {"open"}),
    ("eyes_closed.jpg", "eyes", {"closed"}),
    ("neutral.jpg", "eyes", {"open", "wide", "squint"}),
])
def test_matching_picks_the_expression(pipe, fixture, kind, expected_tags):
    sticker = pipe.render(fixture_bytes(fixture))
    match = sticker.matches[kind]
    assert expected_tags & set(match.tags), (fixture, match)
    assert 0 < match.similarity <= 1.0001
    assert match.runner_up_similarity <= match.similarity


def test_registry_lists_every_embedder_and_refuses_unknown_ones():
    assert {"expression", "autoencoder", "resnet50"} <= set(list_embedders())
    assert get_embedder("expression").name == "expression"
    with pytest.raises(MojiError) as err:
        get_embedder("nope")
    assert err.value.code == "unknown_embedder"


def test_cosine_similarity_is_highest_for_the_same_parameters():
    from pipeline.embedders.expression import encode

    a = encode("mouth", {"smile": 0.8, "open": 0.6})
    near = encode("mouth", {"smile": 0.75, "open": 0.55})
    far = encode("mouth", {"smile": 0.1, "open": 0.0})

    def cos(u, v):
        return float(u @ v / np.linalg.norm(u) / np.linalg.norm(v))

    assert cos(a, a) == pytest.approx(1.0)
    assert cos(a, near) > cos(a, far) + 0.2


def test_unknown_parser_is_refused():
    from pipeline.parse import get_parser

    assert get_parser("landmarks").name == "landmarks"
    with pytest.raises(MojiError) as err:
        get_parser("scissors")
    assert err.value.code == "unknown_parser" and "landmarks" in err.value.message
