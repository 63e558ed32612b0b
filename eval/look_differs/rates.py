"""How often worker.look_vote.differences says "clearly another look": the same photo under
other light, another photo of the same person, another person (against the look of n photos).

    PYTHONPATH=. python eval/look_differs/rates.py eval/look_differs/likenesses.jsonl
"""

import collections
import itertools
import json
import random
import sys

from pipeline.likeness import Likeness
from worker.look_vote import Sample, differences


def main(path: str) -> None:
    with open(path) as f:
        rows = [json.loads(line) for line in f]
    photos = [(r["person"], r["file"], r["light"],
               Sample(Likeness.from_dict(r["likeness"]), None, r["file"] + r["light"]))
              for r in rows]
    people = sorted({p[0] for p in photos})
    relit = [bool(differences(b[3], [a[3]])) for a, b in itertools.permutations(photos, 2)
             if a[1] == b[1]]
    print(f"{len(photos)} likenesses of {len(people)} people")
    print(f"same photo, other light (against that photo): {sum(relit)} of {len(relit)}")
    rng = random.Random(0)

    def trial(n: int, same: bool, tries: int = 3000) -> tuple[float, dict]:
        hits, total, why = 0, 0, collections.Counter()
        for _ in range(tries):
            person = rng.choice(people)
            mine = [p for p in photos if p[0] == person and p[2] == "orig"]
            if len(mine) < n + 1:
                continue
            base = rng.sample(mine, n)
            used = {b[1] for b in base}
            others = ([p for p in photos if p[0] == person and p[1] not in used] if same
                      else [p for p in photos if p[0] != person])
            found = differences(rng.choice(others)[3], [b[3] for b in base])
            total, hits = total + 1, hits + bool(found)
            why.update(found)
        return round(hits / total, 3), dict(why)

    for n in (1, 2, 3):
        print(f"look of {n} photo(s): same person, other photo {trial(n, True)}; "
              f"another person {trial(n, False)}")


if __name__ == "__main__":
    main(sys.argv[1])
