"""`moji bench fuzz` in short: mutated images through the worker's pipeline in a child process
end without a crash, each with a known outcome (a sticker or a MojiError code)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from pipeline.errors import ERROR_CODES


def test_forty_mutated_images_end_in_known_outcomes_without_a_crash(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "moji.cli", "bench", "fuzz", "--count", "40", "--seed", "7",
         "--json", "--save", str(tmp_path)],
        capture_output=True, text=True, timeout=900, env=os.environ)
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["crashes"] == [], summary["crashes"]
    assert result.returncode == 0, result.stderr[-2000:]
    assert summary["count"] == 40 and sum(summary["outcomes"].values()) == 40
    assert set(summary["outcomes"]) <= {"ok", *ERROR_CODES}, summary["outcomes"]
    # every kind of mutation ran (40 images are more than three rounds of them)
    kinds = [line.split()[0] for line in result.stdout.splitlines() if line.startswith("  ")]
    assert {"bit_flips", "truncated", "png_huge_dimensions", "jpeg_huge_dimensions", "mode",
            "huge_canvas", "tiny_canvas", "exif_orientation_garbage"} <= set(kinds)
    assert summary["outcomes"].get("ok", 0) > 0 and len(summary["outcomes"]) > 3
    print(result.stdout[-1500:])  # the figures, for whoever runs it with -s
