"""The expression embedder's reading of a face, from raw measurements (no photos, no landmarker).

Each case is a face as `measure` would describe it; the assertions are about what a person sees
in the chosen parts (issue 10, item 14): a laugh gets the laughing eyes, a broad smile's lowered
brows are not a furrow, a faint smile with one lid a little lower is not a wink, calm parted lips
are not a smile or a surprise.
"""

from __future__ import annotations

import numpy as np
import pytest

from pipeline import landmarks as lm
from pipeline.embedders.expression import _oval_width, encode, parameters_from_measurements
from pipeline.style import load_style

# An ordinary resting face: about the median of every measurement over the shared face photos.
RESTING = {
    "smile": 0.0, "upper_lip_up": 0.0, "smirk": 0.0, "frown": 0.0, "pucker": 0.0,
    "mouth_lift": 0.0, "lip_outer": 0.27, "open": 0.02, "width": 0.73,
    "eye_open_left": 0.3, "eye_open_right": 0.3, "blink_left": 0.1, "blink_right": 0.1,
    "look_down_left": 0.2, "look_down_right": 0.2, "wide": 0.005, "squint": 0.4,
    "raise": 0.05, "furrow": 0.05, "sad": 0.0, "face_width": 0.87, "jaw": 0.79,
    # the mouth reader's logits for a closed, unsmiling mouth (the medians of the labelled
    # neutral mouths, each read by a network trained without that person)
    "mouth_smiling": -3.7, "mouth_apart": -2.5,
}


@pytest.fixture(scope="module")
def style():
    return load_style("classic")


@pytest.fixture(scope="module", params=["classic", "avatar", "lineart"])
def any_style(request):
    return load_style(request.param)


def chosen(style, **changes) -> dict:
    """Kind -> the part the matcher would pick for RESTING with `changes`."""
    params = parameters_from_measurements({**RESTING, **changes})
    out = {}
    for kind, values in params.items():
        query = encode(kind, values)
        query = query / np.linalg.norm(query)
        parts = [p for p in style.parts[kind] if p.matchable]  # as the index holds them
        vectors = np.stack([encode(kind, p.params) for p in parts])
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        out[kind] = parts[int(np.argmax(vectors @ query))]
    return out


def test_a_resting_face_is_neutral(style):
    parts = chosen(style)
    assert parts["mouth"].tag == "neutral"
    assert parts["eyes"].tag == "open"
    assert parts["brows"].tag == "neutral"
    assert parts["face"].tag == "oval"


def test_a_laugh_gets_the_laughing_eyes_and_no_furrow(style):
    laugh = dict(smile=0.9, upper_lip_up=0.4, width=1.02, mouth_lift=0.1, open=0.25,
                 lip_outer=0.5, eye_open_left=0.12, eye_open_right=0.13, blink_left=0.35,
                 blink_right=0.4, look_down_left=0.3, look_down_right=0.3, squint=0.7,
                 furrow=0.6, mouth_smiling=8.0, mouth_apart=9.0)
    parts = chosen(style, **laugh)
    assert parts["mouth"].tag == "grin"
    assert parts["eyes"].id == "eyes-squint-happy"  # drawn shut, arched: ^ ^
    assert parts["brows"].tag != "furrowed"


def test_shut_eyes_over_a_smile_laugh_and_without_one_sleep(style):
    shut = dict(eye_open_left=0.04, eye_open_right=0.05, blink_left=0.7, blink_right=0.7,
                look_down_left=0.75, look_down_right=0.75)
    smiling = dict(smile=0.7, width=0.95, mouth_lift=0.08, mouth_smiling=5.0)
    assert chosen(style, **shut, **smiling)["eyes"].id == "eyes-squint-happy"
    assert chosen(style, **shut)["eyes"].id == "eyes-closed"


def test_a_broad_smile_lowering_the_brows_is_not_a_furrow(style):
    assert chosen(style, furrow=0.75)["brows"].tag == "furrowed"  # a real frown still is
    assert chosen(style, furrow=0.75, smile=0.9, width=1.0, mouth_lift=0.1,
                  mouth_smiling=8.0)["brows"].tag == "neutral"


def test_a_faint_smile_with_one_lower_lid_is_not_a_wink(style):
    faint = dict(smile=0.3, width=0.88, mouth_lift=0.05, mouth_smiling=2.5, eye_open_left=0.19,
                 blink_left=0.5, look_down_left=0.4)
    assert chosen(style, **faint)["eyes"].tag != "wink"


def test_a_clear_wink_is_a_wink(style):
    wink = dict(eye_open_left=0.04, blink_left=0.8, look_down_left=0.7)
    assert chosen(style, **wink)["eyes"].id == "eyes-wink-left"
    # the same lid over a broad smile is the laugh squeezing one eye more: no wink
    laughing = dict(wink, smile=0.9, width=1.02, mouth_lift=0.1, mouth_smiling=8.0,
                    eye_open_right=0.14)
    assert chosen(style, **laughing)["eyes"].tag != "wink"


def test_calm_parted_lips_are_not_a_smile_or_a_surprise(style):
    parted = dict(open=0.08, lip_outer=0.33, width=0.72, mouth_apart=-1.0)
    parts = chosen(style, **parted)
    assert parts["mouth"].tag in {"neutral", "open"}
    assert parts["eyes"].tag != "wide" and parts["brows"].tag != "raised"
    talking = dict(open=0.2, lip_outer=0.45, width=0.74, mouth_apart=5.0)
    assert chosen(style, **talking)["mouth"].tag == "open"


def test_a_faint_closed_smile_is_a_smile(style):
    # the smile blendshape misses it; the mouth reader sees it (a median closed smile's logit)
    assert chosen(style, smile=0.1, width=0.93, mouth_lift=0.07, mouth_smiling=2.5)[
        "mouth"].tag == "smile"
    # and a reader that sees no smile on the same landmarks leaves the mouth neutral
    assert chosen(style, smile=0.1, width=0.93, mouth_lift=0.07, mouth_smiling=-3.7)[
        "mouth"].tag == "neutral"


def test_the_oval_width_is_read_off_the_whole_outline():
    # the face oval's points on an ellipse 120 wide and 160 tall, in mesh order
    points = np.zeros((478, 2))
    angles = np.linspace(-np.pi / 2, 3 * np.pi / 2, len(lm.FACE_OVAL), endpoint=False)
    points[lm.FACE_OVAL] = np.stack([60 * np.cos(angles), 80 * np.sin(angles)], axis=1)
    for depth in (0.3, 0.45, 0.75, 0.85):
        expected = 120 * np.sqrt(1 - (1 - 2 * depth) ** 2)
        assert _oval_width(points, depth) == pytest.approx(expected, rel=0.03)


def test_only_a_face_clearly_outside_the_common_run_leaves_the_oval(any_style):
    # 10th to 90th percentile of face width and jaw over the labelled photos: always oval, so
    # that landmark noise near the middle of the crowd cannot flip a face's shape
    for width in (0.80, 0.84, 0.87, 0.90, 0.925):
        for jaw in (0.72, 0.79, 0.855):
            assert chosen(any_style, face_width=width, jaw=jaw)["face"].tag == "oval"
    assert chosen(any_style, face_width=0.99)["face"].tag == "round"
    assert chosen(any_style, face_width=0.74)["face"].tag == "long"
    assert chosen(any_style, jaw=0.68)["face"].tag == "heart"
    assert chosen(any_style, jaw=0.9)["face"].tag == "square"
