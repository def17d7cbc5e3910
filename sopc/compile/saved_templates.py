"""Compiled templates saved between processes, in the user's cache folder
beside the parser (:func:`sopc.lang.parser.cache_dir`; ``SOPC_CACHE_DIR=``
turns both off).

A template text costs ~2 ms to compile (Jinja's parse, sopc's reading of
what it uses, Jinja's code generation, Python's compile): a tenth of a small
`sopc check`, a sixth of a large project's build, and the same again on
every run though a project's templates seldom change. Saved is what
compiling one text made: the code and sopc's reading (as values for
:mod:`marshal`, which also keeps code); only for a text that compiled
cleanly (an error is made again, in the reader's language).

The file name is a digest of the text and of everything the compiled code
and the reading depend on: Python's and Jinja's versions, the environment's
options and names (filters, tests, globals) and the source of the module
that reads templates. A file holds a digest of its content, so a damaged or
truncated one is not read (the text is compiled again). The folder keeps at
most ``MAX_FILES``; looked at once per process, the oldest half goes when
there are more. It only ever saves time: an unreadable or unwritable folder
means compiling, as without it.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import sys
import threading
from pathlib import Path

import jinja2

from sopc.lang.parser import cache_dir

FORMAT = "templates-1"
MAX_FILES = 20_000  # ~2 KB each: ~40 MB at most
_DIGEST_BYTES = 16


class SavedTemplates:
    """The saved compiles for one environment. ``reader_source``: the file of
    the code that reads templates (its text is in every key)."""

    def __init__(self, env: jinja2.Environment, reader_source: Path):
        self._env = env
        self._reader_source = reader_source
        self._prefix: bytes | None = None  # the key's part that is not the text; made when first needed
        self._pruned = False
        self._made: Path | None = None  # the folder made already (and pruned)

    def load(self, text: str) -> tuple | None:
        path = self._path(text)
        if path is None:
            return None
        try:
            data = _read(path)
        except OSError:
            return None
        digest, payload = data[:_DIGEST_BYTES], data[_DIGEST_BYTES:]
        if len(digest) < _DIGEST_BYTES or _digest(payload) != digest:
            return None
        try:
            value = marshal.loads(payload)
        except (EOFError, ValueError, TypeError):
            return None
        return value if isinstance(value, tuple) else None

    def save(self, text: str, value: tuple) -> None:
        path = self._path(text)
        if path is None:
            return
        try:
            payload = marshal.dumps(value)
        except ValueError:  # a value marshal cannot hold: not saved
            return
        temporary = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")  # one writer each
        try:
            if self._made != path.parent:  # once, not per file: each costs a system call
                path.parent.mkdir(parents=True, exist_ok=True)
                self._made = path.parent
            if not self._pruned:
                self._pruned = True
                _prune(path.parent)
            _write_private(temporary, _digest(payload) + payload)
            os.replace(temporary, path)  # a process reading at the same moment sees no file or a whole one
        except OSError:
            with contextlib.suppress(OSError):
                temporary.unlink()

    def _path(self, text: str) -> Path | None:
        folder = cache_dir()
        if folder is None:
            return None
        if self._prefix is None:
            self._prefix = self._key_prefix()
        name = hashlib.sha256(self._prefix + text.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return folder / "templates" / name

    def _key_prefix(self) -> bytes:
        env = self._env
        try:
            reader = self._reader_source.read_bytes()
        except OSError:
            reader = b"?"
        options = (FORMAT, sys.version, jinja2.__version__, type(env).__qualname__, env.block_start_string,
                   env.variable_start_string, env.comment_start_string, env.line_statement_prefix, env.trim_blocks,
                   env.lstrip_blocks, env.keep_trailing_newline, _named(env.autoescape), _named(env.finalize),
                   sorted(env.filters), sorted(env.tests), sorted(env.globals), sorted(env.extensions))
        return hashlib.sha256(repr(options).encode("utf-8") + reader).digest()


def _write_private(path: Path, data: bytes) -> None:
    """Readable by this user only, as the parser's cache file: a template's
    text (a link with a token in it) is nobody else's business. Plain system
    calls: a buffered file object asks the terminal, seeks and stats first,
    which cost more than the write (a first check saves hundreds)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view):]
    finally:
        os.close(descriptor)


def _read(path: Path) -> bytes:
    """The file's bytes, with plain system calls (as :func:`_write_private`)."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        chunks = []
        while chunk := os.read(descriptor, 1 << 16):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(descriptor)


def _named(value) -> object:
    """An option as the same text in every process (a function's repr holds its address)."""
    return getattr(value, "__qualname__", value) if callable(value) else value


def _digest(payload: bytes) -> bytes:
    return hashlib.blake2b(payload, digest_size=_DIGEST_BYTES).digest()


def _prune(folder: Path) -> None:
    """The older half of the files, when there are more than MAX_FILES."""
    try:
        entries = list(os.scandir(folder))
        if len(entries) <= MAX_FILES:
            return
        entries.sort(key=lambda entry: entry.stat().st_mtime_ns)
        for entry in entries[:len(entries) // 2]:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
    except OSError:
        return
