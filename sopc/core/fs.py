"""Questions about paths a user wrote (sopc.toml's `roster` and `playbooks`,
a `.sop` import, a folder on the command line), shared by every stage.

``Path.is_file()`` and friends raise for a path the operating system
refuses outright: a name longer than it allows (ENAMETOOLONG), a NUL byte.
For a path from the user's input that is not a crash but the answer "there
is no such file"; the caller reports it where the path was written.
"""

from __future__ import annotations

import errno
from pathlib import Path


def is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def refused(path: Path) -> bool:
    """The system will not even look the path up: a name (or the whole
    path) longer than it allows, or a NUL byte."""
    try:
        path.stat()
    except OSError as exc:
        return exc.errno == errno.ENAMETOOLONG
    except ValueError:
        return True
    return False
