"""The hand-labelled sets in eval/: well formed, and the held-out one kept apart.

`fresh2.csv` measures issue 10's expression targets on photos nothing was tuned on; a photo, or
another photo of the same person, shared with a set that was fitted on would make its figures
flatter than a stranger's selfie gets (eval/FRESH2_LABELS.md).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from moji.evaluate import MOUTH_CLASS_OF_TAG

EVAL = Path(__file__).resolve().parents[1] / "eval"
EXPRESSION_SETS = ("labels.csv", "calibration.csv", "fresh.csv", "fresh2.csv",
                   "relabel_blind.csv", "train.csv")


def rows(name: str) -> list[dict[str, str]]:
    with open(EVAL / name, newline="") as f:
        return list(csv.DictReader(f))


def person(image: str) -> str:
    """The person a photo shows: its file name without the photo number (Ann_Lee_0003.jpg)."""
    return re.sub(r"_\d+$", "", Path(image).stem)


@pytest.mark.parametrize("name", EXPRESSION_SETS)
def test_every_label_is_one_the_evaluation_scores(name):
    for row in rows(name):
        assert not row["mouth"] or row["mouth"] in MOUTH_CLASS_OF_TAG, row
        assert row["eyes"] in {"", "open", "closed"}, row
        assert row["image"].startswith("../../shared/data/faces/images/"), row


def test_fresh2_shares_no_photo_and_no_person_with_the_other_sets():
    held_out = [r["image"] for r in rows("fresh2.csv")]
    assert len(held_out) == len(set(held_out)) == 240
    others = [r["image"] for name in EXPRESSION_SETS if name != "fresh2.csv"
              for r in rows(name)]
    assert not set(held_out) & set(others)
    assert not {person(i) for i in held_out} & {person(i) for i in others}
