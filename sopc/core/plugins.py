"""Entry points (plugins) of installed distributions, read without importlib.metadata.

Stage: core (stdlib only). sopc's checks and senders, its own included, are
registered in the entry-point groups ``sopc.checks`` and ``sopc.senders``,
so every ``sopc check`` and ``sopc plan`` reads them. ``importlib.metadata``
costs ~25 ms to import (it loads email, zipfile and csv) and parses every
distribution's METADATA with the email parser to learn its name: most of the
start of a small check. This reads the same files the same way for installed
folders (``*.dist-info`` / ``*.egg-info`` in the folders on ``sys.path``, in
order, the first distribution of a name winning), and hands anything else
(a zipped path entry, another finder of distributions) to importlib.metadata,
so what is found is always what importlib.metadata finds.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from functools import reduce
from importlib import import_module
from importlib.machinery import PathFinder

# importlib.metadata.EntryPoint.pattern
_VALUE = re.compile(r"(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?((?P<extras>\[.*\])\s*)?$")
_INFO_SUFFIXES = (".dist-info", ".egg-info")


class Distribution:
    """An installed distribution's metadata folder. ``name`` and ``version``
    are read from its METADATA (or PKG-INFO) headers when first asked."""

    __slots__ = ("_path", "_headers")

    def __init__(self, path: str) -> None:
        self._path = path
        self._headers: dict[str, str] | None = None

    @property
    def name(self) -> str | None:
        return self._header("Name")

    @property
    def version(self) -> str | None:
        return self._header("Version")

    def read_text(self, filename: str) -> str | None:
        try:
            with open(os.path.join(self._path, filename), encoding="utf-8") as file:
                return file.read()
        except (OSError, UnicodeDecodeError):
            return None

    def _header(self, key: str) -> str | None:
        if self._headers is None:
            self._headers = _headers(self.read_text("METADATA") or self.read_text("PKG-INFO") or "")
        return self._headers.get(key.lower())


class EntryPoint:
    """``name = module:attribute`` in a group, as importlib.metadata.EntryPoint."""

    __slots__ = ("name", "value", "group", "dist")

    def __init__(self, name: str, value: str, group: str, dist) -> None:
        self.name, self.value, self.group, self.dist = name, value, group, dist

    def load(self):
        """Import the module and return the attribute it names."""
        match = _VALUE.match(self.value)
        if match is None:
            raise ValueError(f"entry point `{self.name}` names `{self.value}`, not module:attribute")
        module = import_module(match.group("module"))
        return reduce(getattr, filter(None, (match.group("attr") or "").split(".")), module)

    def __repr__(self) -> str:
        return f"EntryPoint(name={self.name!r}, value={self.value!r}, group={self.group!r})"


def entry_points(group: str) -> list:
    """Every entry point of ``group`` of the distributions on ``sys.path``.
    Read again whenever a folder of sys.path changed (an install or removal
    changes its folder's time), else as read before: a check asks for the
    sender kinds several times."""
    state = _path_state()
    if state is None:
        import importlib.metadata
        return list(importlib.metadata.entry_points(group=group))
    key = (group, state)
    if key not in _FOUND:
        _FOUND[key] = [EntryPoint(name, value, group, dist) for dist in _distributions()
                       for name, value in _section(dist.read_text("entry_points.txt") or "", group)]
    return list(_FOUND[key])


_FOUND: dict[tuple, list[EntryPoint]] = {}


def _path_state() -> tuple | None:
    """Each folder of sys.path with its modification time, or None when a
    distribution may come from elsewhere (a zipped entry, a finder of its
    own): then importlib.metadata reads them."""
    for finder in sys.meta_path:
        if hasattr(finder, "find_distributions") and finder is not PathFinder:
            return None
    state = []
    for entry in sys.path:
        try:
            found = os.stat(entry or ".")
        except (OSError, ValueError):
            continue  # no such folder: nothing there, for importlib.metadata too
        if not stat.S_ISDIR(found.st_mode) or entry.lower().endswith(".egg"):
            return None  # a zipped entry, an egg's folder (its EGG-INFO): importlib.metadata's own cases
        state.append((entry, found.st_mtime_ns))
    return tuple(state)


def _distributions():
    """The distributions importlib.metadata would find, in its order: the
    folders of sys.path in turn, the first of each normalized name."""
    seen: set[str] = set()
    for entry in sys.path:
        try:
            children = os.listdir(entry or ".")
        except OSError:
            continue
        for child in children:
            low = child.lower()
            if not low.endswith(_INFO_SUFFIXES):
                continue
            name = _normalize(low.rpartition(".")[0].partition("-")[0])
            if name not in seen:
                seen.add(name)
                yield Distribution(os.path.join(entry, child))


def _normalize(name: str) -> str:
    """PEP 503 with underscores, as importlib.metadata.Prepared.normalize."""
    return re.sub(r"[-_.]+", "-", name).lower().replace("-", "_")


def _section(text: str, group: str):
    """(name, value) pairs of ``[group]`` in an entry_points.txt (the format
    importlib.metadata.Sectioned reads: stripped lines, # comments)."""
    current = None
    for line in map(str.strip, text.splitlines()):
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line.strip("[]")
        elif current == group:
            name, _, value = line.partition("=")
            yield name.strip(), value.strip()


def _headers(text: str) -> dict[str, str]:
    """The first value of each header of a METADATA file (names lowercased),
    up to the blank line that ends them."""
    headers: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break
        key, sep, value = line.partition(":")
        if sep and not line[0].isspace():
            headers.setdefault(key.strip().lower(), value.strip())
    return headers
