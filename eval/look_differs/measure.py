"""Measure the likeness of 8 photos of each colour-photo person in the shared faces, each also
under two of four other lights, for worker.look_vote.differences (eval/look_differs/rates.py).

    PYTHONPATH=. python eval/look_differs/measure.py OUT.jsonl   # about 30 min on one core
"""

import io
import json
import random
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from pipeline.pipeline import Pipeline, PipelineOptions

IMAGES = Path(__file__).resolve().parents[3] / "shared/data/faces/images"
PEOPLE = ("Dwarakish", "Jayamadhuri", "HrithikRoshan", "Dileep", "FaridaJalal", "KatrinaKaif",
          "SharmilaTagore", "Avinash")
LIGHTS = {"warm": ((1.12, 1.0, 0.8), 1.0), "cool": ((0.85, 0.97, 1.15), 1.0),
          "dim": ((0.85, 0.85, 0.85), 1.4), "bright": ((1.0, 1.0, 1.0), 0.75)}


def relit(data: bytes, light: str) -> bytes:
    gains, gamma = LIGHTS[light]
    rgb = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.float64) / 255
    out = np.clip(255 * rgb ** gamma * np.array(gains), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(out).save(buf, "JPEG", quality=92)
    return buf.getvalue()


def main(out_path: str) -> None:
    rng = random.Random(1)
    pipe = Pipeline.from_options(PipelineOptions())
    with open(out_path, "w") as out:
        for person in PEOPLE:
            files = sorted(IMAGES.glob(f"{person}_*"))
            for path in rng.sample(files, min(8, len(files))):
                data = path.read_bytes()
                lights = ("warm", "dim") if rng.random() < 0.5 else ("cool", "bright")
                for light in ("orig", *lights):
                    try:
                        likeness = pipe.measure_likeness(
                            data if light == "orig" else relit(data, light))
                    except Exception as exc:  # no face found under that light
                        print(path.name, light, exc, file=sys.stderr)
                        continue
                    out.write(json.dumps({"person": person, "file": path.name, "light": light,
                                          "likeness": likeness.to_dict()}) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
