"""The one `.sop` finder: which files a project folder, a sub-folder or the
`playbooks` setting of sopc.toml stands for. Hidden folders (`.git`,
`.sopc`, an editor's `.backup/`) are never searched."""

from __future__ import annotations

from pathlib import Path

from sopc.project.config import Config


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


def playbook_files(config: Config) -> tuple[Path, ...]:
    """Every ``.sop`` file named by ``config.playbook_paths``, each once: a
    file as given, the project folder without sub-folders, any other folder
    recursively; sorted within each entry, entries in the order written."""
    seen: dict[Path, None] = {}
    for entry in config.playbook_paths:
        if entry.is_file():
            seen.setdefault(entry)
        elif entry.is_dir():
            for path in sop_files_in(entry, recursive=not _same_dir(entry, config.project_dir)):
                seen.setdefault(path)
    return tuple(seen)
