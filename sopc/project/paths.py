"""Stage 2, load: where a project is and how its paths are shown.

Apart from :mod:`sopc.project.loader` (which re-exports both) because these
need nothing else: a command that only reads the state (``sopc status``)
finds the project without importing the parser.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence


def find_root(paths: Sequence[Path]) -> Path:
    """The folder holding sopc.toml above the first path, else that path's folder."""
    first = (paths[0] if paths else Path.cwd()).resolve()
    start = first if first.is_dir() else first.parent
    for folder in (start, *start.parents):
        if (folder / "sopc.toml").is_file():
            return folder
    return start


def display_path(path: Path) -> str:
    try:
        return os.path.relpath(path, Path.cwd()) if path.is_absolute() else str(path)
    except ValueError:  # another drive on Windows
        return str(path)
