"""Stage 2: MediaPipe Face Landmarker: landmarks, blendshapes and head pose for every face.

The landmarker's detector sees a 128 px picture: it finds a face only when the face spans about
a fifth of what it is shown. A selfie is found in one pass over the whole photo (downscaled, in a
grey margin, which steadies the landmarks of tight crops). Smaller faces, in a group photo or a
wide shot, are searched for with the bundle's detector alone in overlapping tiles of the
full-size photo, from tiles five times the smallest face wanted (`min_face`) up to the whole
photo; each face found is landmarked once, in a crop framed like a selfie.

A photo turned without EXIF: the landmarker fits an upright face to an upside-down one, and
reads the expression of a face on its side wrong. The detector's score, which is highest the
right way up, says which way the photo is up when it is not sure; the landmarks are then read in
the photo turned that way (the very framing of the upright photo), and a small face on its side
in a crop turned upright. Every result is in the pixel coordinates of the photo given to
`detect`.
"""

from __future__ import annotations

import contextlib
import math
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import MojiError
from .models import FACE_LANDMARKER, model_path
from .quiet import native_quiet

# The detector finds faces from about this fraction of the picture it is shown (measured on the
# shared face photos: 40 px faces in 192 px tiles all found, in 256 px tiles half of them).
DETECTOR_MIN_FRACTION = 0.21
# Tiles of one level step by this fraction of their side. They overlap by a quarter of a side:
# the detector still finds a face that runs a little past a tile's edge (3000x2000 scenes: 0.6
# and 0.75 find the same faces, 0.75 in 30% less time; 0.85 misses a few, 1.0 a fifth).
TILE_STRIDE = 0.75
# A face at least this fraction of the photo's longer side is a selfie or a portrait: the
# whole-photo pass has found what there is, and no tile search runs.
SELFIE_FRACTION = 0.25
# A detector score this high on the upright photo settles that it is the right way up.
UPRIGHT_SCORE = 0.85
# Eyes and mouth corners (MediaPipe face mesh indices) that tell which way is up.
_EYES = (33, 133, 362, 263)
_MOUTH = (61, 291, 13, 14)


@dataclass
class FaceAnalysis:
    """One face: 478 landmarks in image pixels, 52 blendshape scores, a 4x4 head pose."""

    landmarks: np.ndarray  # (478, 3) float32: x, y in pixels, z in pixels-ish (relative depth)
    blendshapes: dict[str, float]
    pose: np.ndarray  # (4, 4) facial transformation matrix
    image_size: tuple[int, int]  # (width, height)

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        x0, y0 = self.landmarks[:, :2].min(axis=0)
        x1, y1 = self.landmarks[:, :2].max(axis=0)
        return float(x0), float(y0), float(x1), float(y1)

    @property
    def area(self) -> float:
        x0, y0, x1, y1 = self.bbox
        return (x1 - x0) * (y1 - y0)

    @property
    def size(self) -> float:
        """The longer side of the landmarks' box, in pixels."""
        x0, y0, x1, y1 = self.bbox
        return max(x1 - x0, y1 - y0)

    @property
    def roll_quarter(self) -> int:
        """How many quarter turns counter-clockwise make this face upright (0 when it is)."""
        return _roll_quarter(self.landmarks)

    def __repr__(self) -> str:
        x0, y0, x1, y1 = self.bbox
        top = sorted(self.blendshapes.items(), key=lambda kv: -kv[1])[:3]
        shown = ", ".join(f"{k}={v:.2f}" for k, v in top)
        return f"FaceAnalysis(bbox=({x0:.0f},{y0:.0f},{x1:.0f},{y1:.0f}), top blendshapes: {shown})"


@dataclass
class AnalyzerOptions:
    """Options for the face analyzer; `model_path=None` uses the verified model cache."""

    model_path: Path | None = None
    max_faces: int = 10
    min_detection_confidence: float = 0.5
    # Grey margin added around the photo, as a fraction of its longer side. Selfies and face
    # crops fill the frame; with room around the face the landmarks come out steadier (on the
    # shared face photos: 74% -> 82% of perturbed photos keep their emoji, same accuracy).
    padding: float = 0.3
    # The whole-photo pass runs on the photo downscaled to this longer side (it finds faces of
    # about a third of the photo: a few hundred pixels are plenty).
    first_pass_side: int = 1280
    # Smallest face (px, in the photo given) the tile search looks for; 0 turns the search off.
    min_face: int = 40
    # Read a photo turned without EXIF (or a face on its side) the right way up: the
    # landmarker misreads the expression of a turned face, and fits an upright face to an
    # upside-down one. Costs one detector run a selfie.
    upright: bool = True


class _Photo:
    """A photo being analysed: itself, the downscaled copy of the whole-photo passes, and the
    faces each turn of it gave."""

    def __init__(self, rgb: np.ndarray, side: int) -> None:
        import cv2

        height, width = rgb.shape[:2]
        self.rgb = rgb
        self.size = (width, height)
        self.scale = min(1.0, side / max(height, width))
        self.small = rgb if self.scale == 1.0 else cv2.resize(
            rgb, (max(1, round(width * self.scale)), max(1, round(height * self.scale))),
            interpolation=cv2.INTER_AREA)
        self.passes: dict[int, list[FaceAnalysis]] = {}
        self._framed: dict[int, np.ndarray] = {}

    def framed(self, quarter: int, padding: float) -> np.ndarray:
        """The downscaled photo turned `quarter` turns counter-clockwise, in a grey margin."""
        import cv2

        if quarter not in self._framed:
            turned = np.ascontiguousarray(np.rot90(self.small, quarter))
            pad = int(round(max(self.small.shape[:2]) * padding))
            if pad:
                turned = cv2.copyMakeBorder(turned, pad, pad, pad, pad, cv2.BORDER_CONSTANT,
                                            value=(128, 128, 128))
            self._framed[quarter] = turned
        return self._framed[quarter]


@dataclass
class _Candidate:
    face: FaceAnalysis
    rank: tuple  # lower is better: the whole-photo pass first, whole faces before cut ones


class FaceAnalyzer:
    """Wraps the MediaPipe tasks FaceLandmarker; create once per process and reuse."""

    def __init__(self, options: AnalyzerOptions) -> None:
        from mediapipe.tasks.python import BaseOptions, vision

        path = options.model_path or model_path(FACE_LANDMARKER)
        if not Path(path).exists():
            raise MojiError("model_missing", f"Face landmarker model not found at {path}.")
        landmarker_options = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(path)),
            running_mode=vision.RunningMode.IMAGE,
            num_faces=options.max_faces,
            min_face_detection_confidence=options.min_detection_confidence,
            output_face_blendshapes=True,
            output_facial_transformation_matrixes=True,
        )
        self._model = Path(path)
        self._detector = None
        self.options = options
        self.padding = options.padding
        with native_quiet():
            self._landmarker = vision.FaceLandmarker.create_from_options(landmarker_options)
            self._face_detector()
        # The first inference that finds a face prints a native warning (LiteRT's alignment).
        self._landmarked_once = self._detected_once = False
        # MediaPipe closes through a thread pool that is shut down early at interpreter exit, and
        # then its __del__ fails noisily; close it first (thread-exit hooks run newest first).
        threading._register_atexit(self.close)

    @classmethod
    def create_from_options(cls, options: AnalyzerOptions) -> FaceAnalyzer:
        return cls(options)

    def detect(self, rgb: np.ndarray) -> list[FaceAnalysis]:
        """All faces in an RGB image (up to `max_faces`), largest first."""
        height, width = rgb.shape[:2]
        photo = _Photo(rgb, self.options.first_pass_side)
        faces = self._whole(photo)
        if self.options.upright:
            if faces:
                quarter = self._turn_needed(photo, sure=not _largest(faces).roll_quarter)
                faces = (self._whole(photo, quarter) or faces) if quarter else faces
            else:
                faces = self._turned(photo)
        biggest = max((f.size for f in faces), default=0.0)
        if self.options.min_face and biggest < SELFIE_FRACTION * max(width, height):
            candidates = [_Candidate(f, (0,)) for f in faces] + self._search(rgb)
            faces = _distinct(candidates)
        if self.options.upright:
            faces = self._read_upright(photo, faces)
        faces.sort(key=lambda f: -f.area)
        return faces[: self.options.max_faces]

    def _landmark(self, rgb: np.ndarray) -> list[tuple[np.ndarray, dict[str, float], np.ndarray]]:
        """The landmarker on one picture: (landmarks in its pixels, blendshapes, pose) a face."""
        import mediapipe as mp

        height, width = rgb.shape[:2]
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        with contextlib.nullcontext() if self._landmarked_once else native_quiet():
            result = self._landmarker.detect(image)
        self._landmarked_once = self._landmarked_once or bool(result.face_landmarks)
        out = []
        for i, points in enumerate(result.face_landmarks):
            landmarks = np.array([(p.x * width, p.y * height, p.z * width) for p in points],
                                 dtype=np.float32)
            blendshapes = {c.category_name: float(c.score) for c in result.face_blendshapes[i]}
            pose = np.asarray(result.facial_transformation_matrixes[i], dtype=np.float32)
            out.append((landmarks, blendshapes, pose))
        return out

    def _face_detector(self):
        """The landmarker bundle's own face detector, on its own."""
        if self._detector is None:
            from mediapipe.tasks.python import BaseOptions, vision

            with zipfile.ZipFile(self._model) as bundle:
                model = bundle.read("face_detector.tflite")
            self._detector = vision.FaceDetector.create_from_options(vision.FaceDetectorOptions(
                base_options=BaseOptions(model_asset_buffer=model),
                min_detection_confidence=0.3))
        return self._detector

    def _detect(self, picture: np.ndarray) -> list:
        """The face detector alone on a picture: MediaPipe's detections."""
        import mediapipe as mp

        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(picture))
        with contextlib.nullcontext() if self._detected_once else native_quiet():
            detections = self._face_detector().detect(image).detections
        self._detected_once = self._detected_once or bool(detections)
        return detections

    def _score(self, picture: np.ndarray) -> float:
        """The face detector's best score on a picture (0 without a face)."""
        scores = [d.categories[0].score for d in self._detect(picture)]
        return float(max(scores, default=0.0))

    def _turn_needed(self, photo: _Photo, sure: bool) -> int:
        """Quarter turns counter-clockwise that put the photo the right way up (0: it is).

        The landmarker fits an upright face to an upside-down one, and often a face turned the
        wrong way to one on its side: its landmarks cannot tell. The detector is surer of a face
        the right way up: its score decides, each way round, unless it is sure of the photo as
        it is (`sure`: the landmarks say upright too)."""
        scores = {0: self._score(photo.framed(0, self.padding))}
        if sure and scores[0] >= UPRIGHT_SCORE:
            return 0
        for quarter in (1, 2, 3):
            scores[quarter] = self._score(photo.framed(quarter, self.padding))
        best = max(scores, key=lambda q: scores[q])
        return best if best and scores[best] > scores[0] + 0.05 else 0

    def _turned(self, photo: _Photo) -> list[FaceAnalysis]:
        """Faces of a photo on its side or upside down, where the detector missed them upright.

        The turns are tried in the order of the detector's score. What a turned pass finds must
        be found again in a closer crop framed another way (the grey margin alone makes a face
        of a coffee cup turned on its side)."""
        scores = {q: self._score(photo.framed(q, self.padding)) for q in (1, 3, 2)}
        for quarter in sorted(scores, key=lambda q: -scores[q]):
            if scores[quarter] < self.options.min_detection_confidence:
                break
            faces = [f for f in self._whole(photo, quarter)
                     if self._reread(photo.rgb, f, padding=0.0) is not None]
            if faces:
                return faces
        return []

    def _whole(self, photo: _Photo, quarter: int = 0) -> list[FaceAnalysis]:
        """The whole photo (downscaled, turned `quarter` turns, with the grey margin) at once."""
        if quarter in photo.passes:
            return photo.passes[quarter]
        small_h, small_w = photo.small.shape[:2]
        pad = int(round(max(small_h, small_w) * self.padding))
        faces = []
        for landmarks, blendshapes, pose in self._landmark(photo.framed(quarter, self.padding)):
            landmarks[:, :2] -= pad
            landmarks = _unturn(landmarks, quarter, small_w, small_h)
            landmarks /= np.float32(photo.scale)
            faces.append(FaceAnalysis(landmarks, blendshapes, _unturn_pose(pose, quarter),
                                      photo.size))
        photo.passes[quarter] = faces
        return faces

    def _search(self, rgb: np.ndarray) -> list[_Candidate]:
        """Faces in overlapping tiles of the full-size photo, from small tiles to the whole.

        The detector alone runs on the tiles; each place it finds a face is landmarked once, in
        a crop framed like a selfie (the face in a grey margin), which the landmarker must find
        a face in too."""
        height, width = rgb.shape[:2]
        longer = max(height, width)
        tile = max(64, int(math.ceil(self.options.min_face / DETECTOR_MIN_FRACTION)))
        boxes: list[tuple[tuple[int, float], tuple[float, float, float, float]]] = []
        while True:
            if tile >= longer:  # the last level: the whole photo, no margin
                tiles = [(0, 0, width, height)]
            else:
                stride = max(1, int(tile * TILE_STRIDE))
                tiles = [(x, y, min(width, x + tile), min(height, y + tile))
                         for y in _starts(height, tile, stride)
                         for x in _starts(width, tile, stride)]
            for x0, y0, x1, y1 in tiles:
                for score, (bx0, by0, bx1, by1) in self._detections(rgb[y0:y1, x0:x1]):
                    box = (bx0 + x0, by0 + y0, bx1 + x0, by1 + y0)
                    boxes.append(((_cut(box, (x0, y0, x1, y1), width, height), -score), box))
            if tile >= longer:
                break
            tile *= 2
        found: list[_Candidate] = []
        failed: list[tuple[float, float, float, float]] = []
        for rank, box in sorted(boxes):  # whole faces first, then the detector's surest
            if any(_overlap(box, c.face.bbox) > 0.4 for c in found) or \
                    sum(_overlap(box, f) > 0.4 for f in failed) >= 2:
                continue
            x0, y0, x1, y1 = box
            side = 2.0 * max(x1 - x0, y1 - y0)
            faces = [f for f in self._crop_read(rgb, ((x0 + x1) / 2, (y0 + y1) / 2), side, 0,
                                                self.padding) if _overlap(f.bbox, box) > 0.5]
            if faces:  # else the next box over this place has its turn (twice at most)
                found.append(_Candidate(_largest(faces), (1,) + rank))
            else:
                failed.append(box)
        return found

    def _detections(self, picture: np.ndarray) -> list[tuple[float, tuple[float, ...]]]:
        """The face detector alone on a picture: (score, box in its pixels) a face."""
        out = []
        for d in self._detect(picture):
            score = d.categories[0].score
            if score >= self.options.min_detection_confidence:
                b = d.bounding_box
                out.append((float(score), (float(b.origin_x), float(b.origin_y),
                                           float(b.origin_x + b.width),
                                           float(b.origin_y + b.height))))
        return out

    def _read_upright(self, photo: _Photo, faces: list[FaceAnalysis]) -> list[FaceAnalysis]:
        """Every face on its side or upside down read again upright: in the whole photo turned
        (the very framing of an upright photo, so a turned photo reads as it would upright),
        else in a crop around it turned; a face found in neither stays as it was."""
        out = []
        for face in faces:
            quarter = face.roll_quarter
            if not quarter:
                out.append(face)
                continue
            again = [f for f in self._whole(photo, quarter) if f.roll_quarter == quarter
                     and _overlap(f.bbox, face.bbox) > 0.5]
            if again:
                out.append(_largest(again))
            else:
                out.append(self._reread(photo.rgb, face, self.padding) or face)
        return out

    def _reread(self, rgb: np.ndarray, face: FaceAnalysis, padding: float
                ) -> FaceAnalysis | None:
        """The face landmarked again in a crop turned upright (with a `padding` margin), in the
        photo's coordinates; None when it is not found there."""
        x0, y0, x1, y1 = face.bbox
        faces = [f for f in self._crop_read(rgb, ((x0 + x1) / 2, (y0 + y1) / 2), face.size * 1.6,
                                            face.roll_quarter, padding)
                 if _overlap(f.bbox, face.bbox) > 0.3]
        return _largest(faces) if faces else None

    def _crop_read(self, rgb: np.ndarray, centre: tuple[float, float], side: float,
                   quarter: int, padding: float) -> list[FaceAnalysis]:
        """The faces upright in a square crop (grey past the photo's edges) turned `quarter`
        turns and framed in a `padding` margin, in the photo's coordinates."""
        import cv2

        height, width = rgb.shape[:2]
        side = max(16, int(round(side)))
        left = int(round(centre[0] - side / 2))
        top = int(round(centre[1] - side / 2))
        sx0, sy0 = max(0, left), max(0, top)
        sx1, sy1 = min(width, left + side), min(height, top + side)
        if sx1 <= sx0 or sy1 <= sy0:
            return []
        crop = np.full((side, side, 3), 128, np.uint8)
        crop[sy0 - top:sy1 - top, sx0 - left:sx1 - left] = rgb[sy0:sy1, sx0:sx1]
        turned = np.ascontiguousarray(np.rot90(crop, quarter))
        pad = int(round(side * padding))
        if pad:
            turned = cv2.copyMakeBorder(turned, pad, pad, pad, pad, cv2.BORDER_CONSTANT,
                                        value=(128, 128, 128))
        faces = []
        for landmarks, blendshapes, pose in self._landmark(turned):
            if _roll_quarter(landmarks):  # not upright in the turned crop: no better reading
                continue
            landmarks[:, :2] -= pad
            landmarks = _unturn(landmarks, quarter, side, side)
            landmarks[:, 0] += left
            landmarks[:, 1] += top
            faces.append(FaceAnalysis(landmarks, blendshapes, _unturn_pose(pose, quarter),
                                      (width, height)))
        return faces

    def close(self) -> None:
        with native_quiet():
            if getattr(self, "_landmarker", None) is not None:
                self._landmarker.close()
                self._landmarker = None
            if getattr(self, "_detector", None) is not None:
                self._detector.close()
                self._detector = None

    def __enter__(self) -> FaceAnalyzer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _roll_quarter(landmarks: np.ndarray) -> int:
    """Quarter turns counter-clockwise that put the eyes above the mouth."""
    up = landmarks[list(_EYES), :2].mean(axis=0) - landmarks[list(_MOUTH), :2].mean(axis=0)
    angle = math.degrees(math.atan2(float(up[0]), float(-up[1])))
    return int(round(angle / 90.0)) % 4


def _starts(length: int, tile: int, stride: int) -> list[int]:
    """Tile origins along one side: every `stride`, the last tile ending at the edge."""
    if tile >= length:
        return [0]
    starts = list(range(0, length - tile, stride))
    return starts + [length - tile]


def _unturn(landmarks: np.ndarray, quarter: int, width: int, height: int) -> np.ndarray:
    """Landmarks found in `np.rot90(image, quarter)` back in the image's coordinates."""
    x, y = landmarks[:, 0].copy(), landmarks[:, 1].copy()
    if quarter == 1:  # (x, y) -> (y, width - x) on the way in
        landmarks[:, 0], landmarks[:, 1] = width - y, x
    elif quarter == 2:
        landmarks[:, 0], landmarks[:, 1] = width - x, height - y
    elif quarter == 3:  # (x, y) -> (height - y, x) on the way in
        landmarks[:, 0], landmarks[:, 1] = y, height - x
    return landmarks


def _unturn_pose(pose: np.ndarray, quarter: int) -> np.ndarray:
    """A head pose found in a picture turned `quarter` turns counter-clockwise, unturned."""
    if not quarter:
        return pose
    angle = -math.pi / 2 * quarter  # turn back, about the camera's axis
    c, s = round(math.cos(angle)), round(math.sin(angle))
    turn = np.array([[c, -s, 0, 0], [s, c, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], np.float32)
    return turn @ pose


def _cut(box: tuple[float, ...], tile: tuple[int, int, int, int], width: int, height: int
         ) -> int:
    """1 when a face's box runs into a tile edge that is not the photo's edge (the detector
    then saw part of a face), else 0."""
    x0, y0, x1, y1 = box
    margin = 0.1 * max(x1 - x0, y1 - y0)
    return int((x0 - margin < tile[0] and tile[0] > 0) or (y0 - margin < tile[1] and tile[1] > 0)
               or (x1 + margin > tile[2] and tile[2] < width)
               or (y1 + margin > tile[3] and tile[3] < height))


def _largest(faces: list[FaceAnalysis]) -> FaceAnalysis:
    return max(faces, key=lambda f: f.area)


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Intersection over the smaller box's area."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return w * h / max(smaller, 1e-6)


def _distinct(candidates: list[_Candidate]) -> list[FaceAnalysis]:
    """One face per place: the best-ranked candidate wins over those overlapping it."""
    kept: list[FaceAnalysis] = []
    for candidate in sorted(candidates, key=lambda c: c.rank):
        if all(_overlap(candidate.face.bbox, k.bbox) < 0.4 for k in kept):
            kept.append(candidate.face)
    return kept
