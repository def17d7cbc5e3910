"""`sopc fmt` over files: which `.sop` files the paths mean, reading each
as the loader does, formatting it (:mod:`sopc.lang.fmt`), and writing the
result back atomically. A file is written only when its canonical text
differs, keeping its byte-order mark and its line endings (CRLF stays
CRLF); a file that cannot be formatted (syntax errors, not UTF-8, too
large) is left untouched and its diagnostics say why."""

from __future__ import annotations

import contextlib
import difflib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from sopc.core.diagnostics import Diagnostic, Span, error
from sopc.core.i18n import _
from sopc.core.limits import MAX_SOP_BYTES
from sopc.lang.fmt import format_source
from sopc.lang.parser import too_large
from sopc.project.finder import sop_files_in
from sopc.project.paths import display_path

BOM = "\ufeff"


@dataclass(frozen=True)
class FileFormat:
    """One file: its text as read (line breaks as ``\\n``, no BOM), its
    canonical text (None: not formatted, see ``diagnostics``), and how
    it was stored (kept when written back)."""

    path: Path
    shown: str
    before: str
    after: str | None
    diagnostics: tuple[Diagnostic, ...] = ()
    fixed: int = 0          # full-width characters written in ASCII
    bom: bool = False
    crlf: bool = False

    @property
    def changed(self) -> bool:
        return self.after is not None and self.after != self.before

    def diff(self) -> str:
        """What formatting changes, as a unified diff (empty when nothing)."""
        if not self.changed:
            return ""
        lines = difflib.unified_diff(self.before.splitlines(keepends=True), self.after.splitlines(keepends=True),
                                     f"a/{self.shown}", f"b/{self.shown}")
        return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def sop_paths(paths: Iterable[Path]) -> list[Path]:
    """The `.sop` files the paths stand for: a folder means every `.sop`
    file under it (hidden folders skipped, as the project finder does); a
    file is itself, whatever its name (pre-commit names files one by one)."""
    found: list[Path] = []
    for path in paths:
        found.extend(sop_files_in(path, recursive=True) if path.is_dir() else [path])
    seen: set[Path] = set()
    unique = []
    for path in found:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


def format_file(path: Path) -> FileFormat:
    """Read and format one file (nothing is written)."""
    shown = display_path(path)
    try:
        with path.open("rb") as file:
            data = file.read(MAX_SOP_BYTES + 1)
    except OSError as exc:
        problem = error("E0607", _("cannot read {path}: {error}").format(path=shown, error=exc.strerror),
                        Span.point(shown))
        return FileFormat(path, shown, "", None, (problem,))
    if len(data) > MAX_SOP_BYTES:
        return FileFormat(path, shown, "", None, (too_large(shown, _("over {size:,} bytes").format(size=MAX_SOP_BYTES)),))
    try:
        raw = data.decode("utf-8")
    except UnicodeDecodeError:
        problem = error("E0008", _("this file is not UTF-8 text"), Span.point(shown),
                        _("save it as UTF-8 (in most editors: File > Save with Encoding)"))
        return FileFormat(path, shown, "", None, (problem,))
    bom = raw.startswith(BOM)
    crlf = "\r\n" in raw
    text = raw.removeprefix(BOM).replace("\r\n", "\n").replace("\r", "\n")
    result = format_source(text, shown)
    return FileFormat(path, shown, text, result.text, result.diagnostics, len(result.fixed), bom, crlf)


def write_formatted(result: FileFormat) -> None:
    """Replace the file with its canonical text, atomically: a temporary
    file in the same folder renamed over it, so a reader (an editor, the
    runner reloading playbooks) sees the old file or the new one, never half."""
    assert result.after is not None
    text = result.after.replace("\n", "\r\n") if result.crlf else result.after
    data = ((BOM if result.bom else "") + text).encode("utf-8")
    target = result.path.resolve()  # a symbolic link stays a link: the file it points to is replaced
    folder = target.parent
    mode = target.stat().st_mode & 0o7777
    temporary = None
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{target.name}.", suffix=".tmp",
                                         delete=False) as file:
            temporary = Path(file.name)
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
        temporary = None
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                temporary.unlink()


def format_paths(paths: Iterable[Path], *, write: bool) -> list[FileFormat]:
    """Format every `.sop` file the paths stand for; with ``write``, write
    back each one whose canonical text differs. Returns every file's outcome."""
    results = []
    for path in sop_paths(paths):
        result = format_file(path)
        if write and result.changed:
            try:
                write_formatted(result)
            except OSError as exc:
                problem = error("E0607", _("cannot write {path}: {error}").format(path=result.shown, error=exc.strerror),
                                Span.point(result.shown), _("the file is left as it was"))
                result = FileFormat(path, result.shown, result.before, None, (problem,))
        results.append(result)
    return results
