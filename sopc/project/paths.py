"""Stage 2, load: where a project is and how its paths are shown.

Apart from :mod:`sopc.project.loader` (which re-exports both) because these
need nothing else: a command that only reads the state (``sopc status``)
finds the project without importing the parser.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from sopc.core.fs import is_dir, is_file, refused


def find_root(paths: Sequence[Path]) -> Path:
    """The folder holding sopc.toml above the first path, else that path's folder."""
    first = (paths[0] if paths else Path.cwd()).resolve()
    start = first if is_dir(first) else first.parent
    while refused(start) and start != start.parent:  # a name too long: look from the folder above, as
        start = start.parent                          # for a path that does not exist
    for folder in (start, *start.parents):
        if is_file(folder / "sopc.toml"):
            return folder
    return start


def display_path(path: Path) -> str:
    try:
        return os.path.relpath(path, Path.cwd()) if path.is_absolute() else str(path)
    except ValueError:  # another drive on Windows
        return str(path)
