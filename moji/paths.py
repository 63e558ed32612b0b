"""Where the research commands read the repository's own files and write what they make.

The commands may run from any folder: files the repository ships (eval/labels.csv, ...) are
found from the package's location, not the current folder, and what a command writes goes to
the folder given with --out, else to a user folder ($MOJI_DATA_DIR, default the user data
folder, e.g. ~/.local/share/moji), never over the repository's committed results.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

# The source checkout the `moji` package sits in (eval/ lives beside it).
REPOSITORY = Path(__file__).resolve().parent.parent


def repository_file(path: str | os.PathLike) -> Path:
    """`path` as given when it exists from here or is absolute; else the repository's file of
    that relative name when there is one (`eval/labels.csv` from any folder); else as given."""
    given = Path(path).expanduser()
    if given.is_absolute() or given.exists():
        return given
    shipped = REPOSITORY / given
    return shipped if shipped.exists() else given


def output_dir(command: str) -> Path:
    """The default output folder of a command: $MOJI_DATA_DIR/COMMAND, else the user data
    folder's (created by the command when it writes)."""
    return Path(os.environ.get("MOJI_DATA_DIR") or user_data_dir("moji")) / command
