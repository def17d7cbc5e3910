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
there are more. Files are written by a thread of their own (:class:`_Writer`),
so a build never waits on the disk. It only ever saves time: an unreadable
or unwritable folder means compiling, as without it.
"""

from __future__ import annotations

import atexit
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

    def load(self, text: str) -> tuple | None:
        path = self._path(text)
        if path is None:
            return None
        data = _WRITER.pending(path)  # saved by this process, maybe not written yet
        if data is None:
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
        prune, self._pruned = not self._pruned, True
        _WRITER.put(path, _digest(payload) + payload, prune)

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


class _Writer:
    """Writes the saved compiles in a thread of its own, so that a build
    does not wait on the disk: creating a file took 35 us to 1.1 ms on a
    test VM, as the disk's writeback went, and a first check of a large
    project saves hundreds (388 on bench_check's: 14 to 430 ms). Until a
    file is written, :meth:`SavedTemplates.load` reads its bytes here. The
    process waits for the last writes when it exits (at most
    EXIT_WAIT_SECONDS), and a forked child leaves them to its parent."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._pending: dict[Path, tuple[bytes, bool]] = {}  # path -> (its bytes, prune its folder first)
        self._thread: threading.Thread | None = None
        self._made: set[Path] = set()  # folders made already: each mkdir costs a system call

    def put(self, path: Path, data: bytes, prune: bool) -> None:
        with self._lock:
            self._pending[path] = (data, prune)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sopc-saved-templates", daemon=True)
                try:
                    self._thread.start()
                except RuntimeError:  # no thread to be had: written here and now
                    self._thread = None
                    del self._pending[path]
                    self._write(path, data, prune)
                    return
            self._changed.notify_all()

    def pending(self, path: Path) -> bytes | None:
        with self._lock:
            entry = self._pending.get(path)
        return entry[0] if entry is not None else None

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every file saved so far is written (False: ``timeout`` first)."""
        with self._lock:
            return self._changed.wait_for(lambda: not self._pending, timeout)

    def forget(self) -> None:
        """In a forked child: the parent writes what it saved; the child has no writer yet."""
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._pending = {}
        self._thread = None

    def _run(self) -> None:
        while True:
            with self._lock:
                self._changed.wait_for(lambda: self._pending)
                path, (data, prune) = next(iter(self._pending.items()))
            try:
                self._write(path, data, prune)
            except Exception:  # noqa: BLE001 (a file not saved is only a compile next time; the writer goes on)
                pass
            with self._lock:
                if self._pending.get(path, (None,))[0] is data:  # not saved again meanwhile
                    del self._pending[path]
                self._changed.notify_all()

    def _write(self, path: Path, data: bytes, prune: bool) -> None:
        temporary = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            if path.parent not in self._made:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._made.add(path.parent)
            if prune:
                _prune(path.parent)
            _write_private(temporary, data)
            os.replace(temporary, path)  # a process reading at the same moment sees no file or a whole one
        except OSError:
            with contextlib.suppress(OSError):
                temporary.unlink()


EXIT_WAIT_SECONDS = 5.0
_WRITER = _Writer()
atexit.register(_WRITER.flush, EXIT_WAIT_SECONDS)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_WRITER.forget)


def flush(timeout: float | None = None) -> bool:
    """Wait until every compile this process saved is written to its file."""
    return _WRITER.flush(timeout)


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
