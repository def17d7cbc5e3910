"""Bounded walks of a project's folders, for did-you-mean hints.

A hint ("did you mean `weekly.j2`?") lists the files of a folder the user
named: the templates folder, the project for an import. That folder is
whatever sopc.toml says, so it may be huge (`templates = "/"` walked the
whole disk for one hint: 20 s and more) or outside the project. A walk here
stays inside the project, goes at most MAX_WALK_DEPTH folders down, looks at
no more than MAX_WALK_ENTRIES entries, skips hidden names and does not
follow symlinked folders. A hint drawn from part of a folder is still a
hint; a check that hangs is not.
"""

from __future__ import annotations

import os
from collections import deque
from pathlib import Path

from sopc.core.limits import MAX_WALK_DEPTH, MAX_WALK_ENTRIES


def files_under(folder: Path, *, inside: Path | None = None, suffix: str = "") -> list[str]:
    """The paths (relative to ``folder``, with ``/``) of the visible files
    under it whose names end with ``suffix``, sorted; breadth first, so the
    files nearest the top are the ones listed when the walk stops early.
    None at all when ``folder`` is not ``inside`` (the project), or cannot
    be read."""
    try:
        top = folder.resolve()
        if inside is not None and not top.is_relative_to(inside.resolve()):
            return []
    except (OSError, RuntimeError):  # a symlink loop, an unreadable parent
        return []
    found: list[str] = []
    looked = 0
    queue: deque[tuple[str, str, int]] = deque([(str(top), "", 0)])
    while queue and looked < MAX_WALK_ENTRIES:
        path, prefix, depth = queue.popleft()
        try:
            with os.scandir(path) as entries:
                for entry in entries:
                    looked += 1
                    if looked > MAX_WALK_ENTRIES:
                        break
                    if entry.name.startswith("."):
                        continue
                    name = prefix + entry.name
                    if _is_folder(entry):
                        if depth + 1 < MAX_WALK_DEPTH:
                            queue.append((entry.path, name + "/", depth + 1))
                    elif entry.name.endswith(suffix):
                        found.append(name)
        except OSError:  # unreadable folder: skip it
            continue
    return sorted(found)


def _is_folder(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False
