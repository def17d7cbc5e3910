"""The one `.sop` finder: which files a project folder, a sub-folder or the
`playbooks` setting of sopc.toml stands for. Hidden folders (`.git`,
`.sopc`, an editor's `.backup/`) are never searched.

It also names the files in those folders that are surely playbooks saved
under another name (`welfare.sop.txt` from Notepad, `welfare.SOP`, a
trailing space): sopc does not read them, and says so (W0618) rather than
leave a playbook silently unchecked and unsent."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Iterator

from sopc.core.diagnostics import Diagnostic, Span, warning
from sopc.core.i18n import _
from sopc.core.fs import is_dir, is_file
from sopc.project.config import Config

# `x.sop.txt` (an editor adding its extension), `x.SOP` / `x.Sop`, and
# `x.sop ` / `x.sop.` (trailing spaces or dots, which Windows drops but
# Linux keeps). Backups (`x.sop.bak`, `x.sop~`) are left alone on purpose.
_MISNAMED = re.compile(r"(?P<stem>.+?)\.sop(?:\.txt|\.text)?[ .]*", re.IGNORECASE)


def _same_dir(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def sop_files_in(folder: Path, *, recursive: bool) -> list[Path]:
    """The `.sop` files in ``folder`` (and its visible sub-folders if
    ``recursive``), sorted."""
    found = folder.rglob("*.sop") if recursive else folder.glob("*.sop")
    visible = (p for p in found if p.is_file() and not any(
        part.startswith(".") for part in p.relative_to(folder).parts))
    return sorted(visible)


def _visible(folder: Path, recursive: bool) -> Iterator[Path]:
    found = folder.rglob("*") if recursive else folder.glob("*")
    return (p for p in found if not any(part.startswith(".") for part in p.relative_to(folder).parts))


def misnamed_in(folder: Path, *, recursive: bool) -> list[tuple[Path, str]]:
    """(file, the name it should have) for each file in ``folder`` (and its
    visible sub-folders if ``recursive``) that is a playbook saved under a
    name sopc does not read, sorted."""
    found = []
    for path in _visible(folder, recursive):
        match = _MISNAMED.fullmatch(path.name)
        if match and path.suffix != ".sop" and path.is_file():
            found.append((path, f"{match['stem']}.sop"))
    return sorted(found)


def _playbook_folders(config: Config) -> Iterator[tuple[Path, bool]]:
    """(folder, recursive) for each folder entry of ``config.playbook_paths``."""
    for entry in config.playbook_paths:
        if is_dir(entry):  # a name the system refuses (too long) is W0608's, not a crash
            yield entry, not _same_dir(entry, config.project_dir)


def misnamed_warnings(folders: Iterable[tuple[Path, bool]], shown) -> list[Diagnostic]:
    """W0618 for every misnamed playbook in ``folders`` ((folder, recursive)
    pairs); ``shown`` turns a path into the one diagnostics print."""
    seen: dict[Path, str] = {}
    for folder, recursive in folders:
        for path, renamed in misnamed_in(folder, recursive=recursive):
            seen.setdefault(path, renamed)
    return [warning("W0618", _("`{file}` looks like a playbook, but sopc reads only files named `*.sop`: "
                               "it is not checked or run").format(file=path.name), Span.point(shown(path)),
                    _("rename it to `{name}` (an editor may have added `.txt`, capitals or a trailing space)").format(
                        name=renamed))
            for path, renamed in seen.items()]


def project_misnamed_warnings(config: Config, shown) -> list[Diagnostic]:
    """:func:`misnamed_warnings` over the folders ``config.playbook_paths`` names."""
    return misnamed_warnings(_playbook_folders(config), shown)


def playbook_files(config: Config) -> tuple[Path, ...]:
    """Every ``.sop`` file named by ``config.playbook_paths``, each once: a
    file as given, the project folder without sub-folders, any other folder
    recursively; sorted within each entry, entries in the order written."""
    seen: dict[Path, None] = {}
    for entry in config.playbook_paths:
        if is_file(entry):
            seen.setdefault(entry)
        elif is_dir(entry):
            for path in sop_files_in(entry, recursive=not _same_dir(entry, config.project_dir)):
                seen.setdefault(path)
    return tuple(seen)
