"""`moji`: the command line. Each group of subcommands lives in one module of moji.commands.

A command module has `register(subparsers)`, which adds its parsers and sets `func` on them;
heavy imports (mediapipe, torch, telegram) stay inside the functions, so `moji --help` is instant
and `moji bot` never imports torch or mediapipe.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from pipeline.errors import MojiError

# The order here is the order in `moji --help`.
COMMAND_MODULES = [
    "moji.commands.render",
    "moji.commands.styles",
    "moji.commands.service",
    "moji.commands.web",
    "moji.commands.research",
    "moji.commands.evaluate",
    "moji.commands.bench",
    "moji.commands.models",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="moji", description="Expression-faithful emoji stickers from selfies.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # a command group not written yet
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else getattr(
            logging, os.environ.get("MOJI_LOG_LEVEL", "WARNING").upper(), logging.WARNING),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except MojiError as exc:
        print(f"moji: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
