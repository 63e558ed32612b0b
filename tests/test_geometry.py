"""The face's own proportions: measured from the landmarks (pipeline/geometry.py), drawn by every
style (styles/draw/person.py), per person and cached (pipeline/compose.py: personal_parts)."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from conftest import fixture_bytes
from PIL import Image

from pipeline.compose import _personal_part, person_colours, personal_parts, render_sticker
from pipeline.geometry import MEASURE_NAMES, load_face_norms, measure_face_geometry
from pipeline.likeness import Likeness
from pipeline.style import load_style
from styles.draw.person import PERSON_KINDS, Proportions, redraw

STYLES = ("classic", "avatar", "lineart")


@pytest.fixture(scope="module")
def analyzer():
    from pipeline.analyze import AnalyzerOptions, FaceAnalyzer

    found = FaceAnalyzer(AnalyzerOptions())
    yield found
    found.close()


def _face(analyzer, rgb: np.ndarray):
    faces = analyzer.detect(np.ascontiguousarray(rgb))
    assert faces, "the fixture's face must be found"
    return faces[0]


def _rgb(name: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(fixture_bytes(name))).convert("RGB"))


def _jpeg(rgb: np.ndarray, quality: int) -> np.ndarray:
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, "JPEG", quality=quality)
    return np.asarray(Image.open(out).convert("RGB"))


def _stretch(rgb: np.ndarray, sx: float) -> np.ndarray:
    height, width = rgb.shape[:2]
    return np.asarray(Image.fromarray(rgb).resize((round(width * sx), height), Image.BICUBIC))


# --- measuring ---------------------------------------------------------------------------------

def test_norms_are_fitted_on_tuning_people_and_say_how():
    norms = load_face_norms()
    assert set(norms.mean) == set(MEASURE_NAMES) == set(norms.sd)
    assert all(sd > 0 for sd in norms.sd.values())
    assert norms.reference.shape == (478, 3)
    assert "tuning" in norms.meta["fitted_on"] and norms.meta["command"] == "moji train geometry"
    assert set(norms.meta["stability"]) == set(MEASURE_NAMES)
    from moji.train_geometry import held_out

    assert held_out("KatrinaKaif", colour=True) and not held_out("Jayamadhuri", colour=True)
    # sha1("Tiger_Woods") starts with a letter or 4-f: greyscale people are split by it
    import hashlib

    name = next(n for n in ("Tiger_Woods", "Irfan_Ahmed", "Chelsea_Clinton", "Javier_Weber")
                if hashlib.sha1(n.encode()).hexdigest()[0] in "0123")
    assert held_out(name, colour=False)


def test_every_measure_is_a_clipped_z_score(analyzer):
    face = measure_face_geometry(_face(analyzer, _rgb("neutral.jpg")))
    assert set(face) == set(MEASURE_NAMES)
    assert all(-3.0 <= z <= 3.0 for z in face.values())
    assert any(abs(z) > 0.3 for z in face.values()), "a real face is not exactly average"


@pytest.mark.parametrize("name", ["neutral.jpg", "likeness_beard.jpg", "smile.jpg"])
def test_the_same_face_measures_the_same_under_photo_changes(analyzer, name):
    """JPEG, light, a shift and a rescale change the photo, not the face: each measure moves by
    far less than people differ (one standard deviation), and the profile stays that face's."""
    rgb = _rgb(name)
    base = measure_face_geometry(_face(analyzer, rgb))
    height, width = rgb.shape[:2]
    changed = {
        "jpeg": _jpeg(rgb, 40),
        "dark": (rgb * 0.6).astype(np.uint8),
        "shift": np.pad(rgb, ((12, 0), (20, 0), (0, 0)), mode="edge")[:height, :width],
        "rescale": np.asarray(Image.fromarray(rgb).resize((width * 3 // 4, height * 3 // 4))),
    }
    other = measure_face_geometry(_face(analyzer, _rgb("grin.jpg" if name != "grin.jpg"
                                                       else "neutral.jpg")))
    vector = np.array([base[k] for k in MEASURE_NAMES])
    other_distance = np.abs(vector - np.array([other[k] for k in MEASURE_NAMES])).mean()
    for label, photo in changed.items():
        moved = measure_face_geometry(_face(analyzer, photo))
        distance = np.abs(vector - np.array([moved[k] for k in MEASURE_NAMES])).mean()
        assert distance < 0.35, (label, distance)
        assert distance < other_distance / 2, (label, distance, other_distance)


def test_a_wider_face_measures_wider(analyzer):
    rgb = _rgb("neutral.jpg")
    narrow = measure_face_geometry(_face(analyzer, _stretch(rgb, 0.88)))
    base = measure_face_geometry(_face(analyzer, rgb))
    wide = measure_face_geometry(_face(analyzer, _stretch(rgb, 1.14)))
    assert narrow["face_width"] < base["face_width"] - 0.8
    assert wide["face_width"] > base["face_width"] + 0.8
    # Stretched sideways, the eyes are wider against their height too.
    assert wide["eye_shape"] < narrow["eye_shape"]


def test_the_pipeline_carries_the_face_in_its_likeness(pipe):
    sticker = pipe.render(fixture_bytes("neutral.jpg"), style="lineart")
    assert set(sticker.likeness.face) == set(MEASURE_NAMES)
    assert sticker.to_dict()["likeness"]["face"] == {
        k: round(v, 3) for k, v in sorted(sticker.likeness.face.items())}
    kept = Likeness(face={"face_width": 2.5})
    wide = pipe.render(fixture_bytes("neutral.jpg"), style="lineart", likeness=kept)
    assert wide.likeness.face == {"face_width": 2.5}, "a kept look keeps its own face"
    narrow = pipe.render(fixture_bytes("neutral.jpg"), style="lineart",
                         likeness=Likeness(face={"face_width": -2.5}))
    assert wide.matches == narrow.matches  # the same parts (and expression) ...

    def face_width(svg: str) -> int:
        layer = re.search(r'<g id="face-main">(.*?)</g><g id=', svg, re.S).group(1)
        box = _alpha_box(layer)
        return box[2] - box[0]

    # ... drawn at each one's width (shrunk by the measure's one-photo reliability, ~0.2)
    assert face_width(wide.svg) > face_width(narrow.svg) + 6


# --- drawing -----------------------------------------------------------------------------------

def _normal(body: str) -> str:
    return re.sub(r"\s+", " ", body).strip()


@pytest.mark.parametrize("style_name", STYLES)
def test_an_average_face_draws_the_style_parts_exactly(style_name):
    """The parametric drawing at the average is the part file as generated: one drawing code."""
    style = load_style(style_name)
    average = Proportions(measured=True)
    for kind in PERSON_KINDS:
        for part in style.parts[kind]:
            if kind == "face" and part.id != "face-oval":
                continue  # a measured face is always drawn from the average oval
            body = redraw(style_name, kind, part.id, average)
            if not part.matchable:
                assert body is None, part.id  # pack parts (heart eyes) keep their drawing
                continue
            assert body is not None and _normal(body) == _normal(part.body), part.id


def _alpha_box(svg_body: str) -> tuple[int, int, int, int]:
    import cairosvg

    doc = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 306 306" width="306" '
           f'height="306">{svg_body}</svg>')
    image = Image.open(io.BytesIO(cairosvg.svg2png(bytestring=doc.encode()))).convert("RGBA")
    return image.getchannel("A").point(lambda a: 255 if a > 128 else 0).getbbox()


@pytest.mark.parametrize("style_name", STYLES)
def test_a_wider_measured_face_draws_a_wider_outline(style_name):
    def face_box(z: float) -> tuple[int, int, int, int]:
        shape = Proportions.from_face({"face_width": z}, exaggeration=1.0)
        return _alpha_box(redraw(style_name, "face", "face-oval", shape.for_kind("face")))

    narrow, average, wide = face_box(-2.0), face_box(0.0), face_box(2.0)
    width = [box[2] - box[0] for box in (narrow, average, wide)]
    assert width[0] < width[1] < width[2], width
    assert width[2] - width[0] >= 20, width  # visible at sticker size


def test_drawing_follows_eyes_brows_and_mouth():
    def box(kind: str, part_id: str, face: dict) -> tuple[int, int, int, int]:
        shape = Proportions.from_face(face, exaggeration=1.0).for_kind(kind)
        return _alpha_box(redraw("lineart", kind, part_id, shape))

    small, big = box("eyes", "eyes-open", {"eye_size": -2}), box("eyes", "eyes-open",
                                                                  {"eye_size": 2})
    assert big[2] - big[0] > small[2] - small[0]
    close, apart = box("eyes", "eyes-open", {"eye_spacing": -2}), box("eyes", "eyes-open",
                                                                      {"eye_spacing": 2})
    assert apart[2] - apart[0] > close[2] - close[0] + 8
    narrow, wide = box("mouth", "mouth-neutral", {"mouth_width": -2}), box(
        "mouth", "mouth-neutral", {"mouth_width": 2})
    assert wide[2] - wide[0] > narrow[2] - narrow[0] + 6
    thin, thick = box("brows", "brows-neutral", {"brow_thickness": -2}), box(
        "brows", "brows-neutral", {"brow_thickness": 2})
    assert thick[3] - thick[1] > thin[3] - thin[1]


def test_the_expression_still_comes_from_the_matched_part():
    shape = Proportions.from_face({"eye_size": 1.5, "eye_tilt": 1.0})
    closed = redraw("avatar", "eyes", "eyes-closed", shape.for_kind("eyes"))
    opened = redraw("avatar", "eyes", "eyes-open", shape.for_kind("eyes"))
    assert "ellipse" not in closed and "ellipse" in opened  # shut eyes stay lines


def test_person_parts_are_cached_by_part_and_rounded_proportions():
    style = load_style("avatar")
    chosen = {kind: style.part(f"{kind}-{slug}") for kind, slug in (
        ("face", "oval"), ("eyes", "open"), ("brows", "neutral"), ("mouth", "smile"))}
    person = Likeness(face={"face_width": 1.02, "eye_size": -0.8, "mouth_width": 0.5})
    near = Likeness(face={"face_width": 1.04, "eye_size": -0.79, "mouth_width": 0.51})
    _personal_part.cache_clear()
    first = personal_parts(style, chosen, person)
    assert first["face"].id.startswith("face-oval~") and first["face"].body != \
        chosen["face"].body
    assert personal_parts(style, chosen, near) == first  # the same rounded proportions
    info = _personal_part.cache_info()
    assert info.hits == 4 and info.misses == 4
    # Another mouth, the same eyes: the eyes drawing is shared.
    other = personal_parts(style, chosen, Likeness(face={**person.face, "mouth_width": -2}))
    assert other["eyes"] is first["eyes"] and other["mouth"].id != first["mouth"].id
    # No proportions, or a style Moji does not draw itself: the parts as they are.
    assert personal_parts(style, chosen, Likeness()) is chosen
    png = render_sticker(style, first, likeness=person)
    assert render_sticker(style, first, likeness=person) is png  # the sticker cache
    assert png != render_sticker(style, chosen, likeness=person)


def test_the_iris_is_drawn_in_the_eye_colour():
    avatar, lineart = load_style("avatar"), load_style("lineart")
    blue = dict(person_colours(avatar, likeness=Likeness(eye_colour="blue")))
    brown = dict(person_colours(avatar, likeness=Likeness(eye_colour="dark_brown")))
    iris = avatar.palette["iris"]
    r, g, b = (int(blue[iris][i:i + 2], 16) for i in (1, 3, 5))
    assert b > r + 30, blue[iris]
    assert blue[iris] != brown[iris]
    measured = dict(person_colours(avatar, likeness=Likeness(eye_colour="green",
                                                             eye_rgb=(40, 90, 40))))
    assert measured[iris] != dict(person_colours(avatar, likeness=Likeness(
        eye_colour="green")))[iris]
    assert "iris" not in lineart.palette  # ink eyes have no colour to swap


def test_a_style_from_elsewhere_keeps_its_own_parts(tmp_path):
    import shutil

    shutil.copytree(load_style("avatar").path, tmp_path / "avatar")
    copied = load_style("avatar", tmp_path)
    chosen = {"face": copied.part("face-oval"), "eyes": copied.part("eyes-open")}
    assert personal_parts(copied, chosen, Likeness(face={"face_width": 2.0})) is chosen
