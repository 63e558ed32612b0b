"""`moji bench scaling` (docs/scaling.md): its parser, and how it sorts Redis keys into what is
kept per person, per sticker, and for minutes. The run itself is a benchmark (it prints figures),
not a test."""

from __future__ import annotations

from moji.cli import build_parser
from moji.commands.bench_scaling import _key_class, _split_memory


def test_the_command_is_registered():
    args = build_parser().parse_args(["bench", "scaling", "--users", "3", "--photos", "6"])
    assert callable(args.func) and args.users == 3 and args.photos == 6


def test_keys_are_grouped_by_class():
    assert _key_class("moji:identity:123456") == "moji:identity:ID"
    assert _key_class("moji:done:-100123:42:classic") == "moji:done:ID:ID:classic"
    assert _key_class("rq:job:0f8e2c1a-8a4b-4c1e-9d2f-1a2b3c4d5e6f") == "rq:job:ID"
    assert _key_class("moji:cache:classic:AQADc2FtcGxlZmlsZQ") == "moji:cache:classic:ID"
    assert _key_class("moji:stats:counters") == "moji:stats:counters"


def test_memory_is_split_into_person_sticker_and_transient():
    classes = {
        "moji:identity:ID": {"count": 2, "bytes": 1000, "ttl": None},
        "moji:inline:ID": {"count": 2, "bytes": 300, "ttl": 2_591_000},
        "moji:cache:classic:ID": {"count": 4, "bytes": 800, "ttl": 2_591_000},
        "rq:job:ID": {"count": 4, "bytes": 8000, "ttl": 500},
        "moji:done:ID:ID:classic": {"count": 4, "bytes": 400, "ttl": 86_000},
        "rq:workers": {"count": 1, "bytes": 200, "ttl": None},
    }
    assert _split_memory(classes) == {"person": 1300, "sticker": 800, "day": 400,
                                      "minutes": 8000, "other": 200}
