"""Stage 2, load: a project folder (or .sop files) -> parsed files, config,
roster and calendar, with every diagnostic collected on the way.

    load_project(paths) = config -> roster -> calendar -> parse every .sop file
                          -> follow imports (relative, project, then `std/`)
"""

from __future__ import annotations

import functools
from dataclasses import field, replace
from pathlib import Path
from typing import Sequence

from sopc.core.records import dataclass
from sopc.lang import ast
from sopc.project.calendar import HolidayCalendar, from_config as calendar_from_config
from sopc.project.config import Config, TomlLocator, load_config
from sopc.project.paths import display_path, find_root  # here too: callers import them from the loader
from sopc.project.finder import misnamed_warnings, playbook_files, project_misnamed_warnings, sop_files_in
from sopc.core.diagnostics import Diagnostic, Span, did_you_mean, error
from sopc.core.i18n import _, language
from sopc.core.fs import is_dir, is_file
from sopc.core.limits import MAX_SOP_BYTES
from sopc.core.memo import TextMemo
from sopc.core.progress import QUIET, Progress, counted
from sopc.lang.parser import PACKAGE_DIR, too_large
from sopc.project.roster import Roster, load_roster
from sopc.project.walk import files_under
from sopc.lang.transform import parse_ast

STD_PREFIX = "std/"


@dataclass
class Project:
    root: Path
    config: Config
    roster: Roster
    calendar: HolidayCalendar
    files: list[ast.SourceFile] = field(default_factory=list)     # the project's own: their playbooks run
    library: list[ast.SourceFile] = field(default_factory=list)   # reached only through `import`
    sources: dict[str, str] = field(default_factory=dict)         # display path -> text, for the renderer
    diagnostics: list[Diagnostic] = field(default_factory=list)
    imports: dict[str, list[tuple[ast.Import, str]]] = field(default_factory=dict)  # file -> (import, resolved file)


def std_library_dir() -> Path:
    packaged = PACKAGE_DIR / "_data" / "playbooks"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "playbooks"


def load_project(paths: Sequence[Path], progress: Progress = QUIET) -> Project:
    root = find_root(paths)
    config, diagnostics = load_config(root)
    roster, roster_diagnostics = load_roster(config.roster_paths, root)
    calendar, calendar_problems = calendar_from_config(config.calendar)
    project = Project(root=root, config=config, roster=roster, calendar=calendar)
    project.diagnostics += _shown_paths(diagnostics + roster_diagnostics)
    _add_config_sources(project)
    project.diagnostics += [error("E0606", problem, _calendar_span(project, problem))  # each names [calendar]
                            for problem in calendar_problems]
    files = _playbook_files(paths, config, project)
    for path in counted(progress, _("reading playbooks"), files, len(files)):
        project.files.append(_load_file(project, path))
    _follow_imports(project)
    return project


def _shown_paths(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Config and roster spans carry absolute paths; show them like the rest."""
    return [replace(d, span=replace(d.span, path=display_path(Path(d.span.path))))
            if d.span and Path(d.span.path).is_absolute() else d for d in diagnostics]


def _calendar_span(project: Project, problem: str) -> Span:
    """Where a [calendar] problem is in sopc.toml: the key it is about, else the table's header."""
    path = display_path(project.config.path) if project.config.path else "sopc.toml"
    text = project.sources.get(path)
    if text is None:
        return Span.point(path, 1)
    locate, key = TomlLocator(path, text), getattr(problem, "key", None)
    return locate.key(("calendar",), key) if key else locate.table(("calendar",))


def _add_config_sources(project: Project) -> None:
    texts = dict(project.roster.sources)
    if project.config.path and project.config.path.is_file():
        texts[str(project.config.path)] = project.config.path.read_text(encoding="utf-8-sig", errors="replace")
    for path, text in texts.items():
        project.sources[display_path(Path(path)) if Path(path).is_absolute() else path] = text


def _playbook_files(paths: Sequence[Path], config: Config, project: Project) -> list[Path]:
    targets = [p for p in paths] or [project.root]
    files: list[Path] = []
    for target in targets:
        if is_file(target):
            files.append(target)
        elif is_dir(target) and target.resolve() == project.root.resolve():
            files.extend(playbook_files(config))
            project.diagnostics += project_misnamed_warnings(config, display_path)
        elif is_dir(target):
            files.extend(sop_files_in(target, recursive=True))
            project.diagnostics += misnamed_warnings([(target, True)], display_path)
        else:
            project.diagnostics.append(error("E0607", _("no such file or folder: {path}").format(path=target),
                                             hint=_("give a project folder or .sop files")))
    unique = list(dict.fromkeys(p.resolve() for p in files))
    return sorted(unique)


def _load_file(project: Project, path: Path, shown: str | None = None) -> ast.SourceFile:
    shown = shown or display_path(path)
    try:
        text = _read_sop(path)
        if text is None:  # over the size sopc reads: not read into memory, not parsed
            project.diagnostics.append(too_large(shown, f"{path.stat().st_size:,} bytes"))
            text = ""
    except UnicodeDecodeError:
        project.diagnostics.append(error("E0008", _("this file is not UTF-8 text"), Span.point(shown),
                                         _("save it as UTF-8 (in most editors: File > Save with Encoding)")))
        text = ""
    except OSError as exc:
        project.diagnostics.append(error("E0607", _("cannot read {path}: {error}").format(path=shown, error=exc.strerror),
                                         Span.point(shown)))
        text = ""
    project.sources[shown] = text
    source_file, diagnostics = parse_source(text, shown)
    project.diagnostics += diagnostics
    return source_file


def _read_sop(path: Path) -> str | None:
    """A .sop file's text, or None when it holds more than MAX_SOP_BYTES
    (only that much is read to tell: a huge file never lands in memory)."""
    with path.open("rb") as file:
        data = file.read(MAX_SOP_BYTES + 1)
    if len(data) > MAX_SOP_BYTES:
        return None
    return data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")  # as text mode reads it


def parse_source(text: str, shown: str) -> tuple[ast.SourceFile, list[Diagnostic]]:
    """The text of one `.sop` file -> its AST (empty where it cannot be
    parsed) and the syntax diagnostics: the front of the pipeline for one file.

    Remembered by (path, text, language) for the process's next builds
    (`sopc run` and `sopc serve` rebuild after an edit; the fuzzer builds
    for every input): the same text reads the same, the AST is immutable and
    the diagnostics are values, so only the files that changed are parsed
    again. At most PARSED_KEPT_CHARS of text are kept, the least recently
    used going first."""
    key = (shown, text, language())
    kept = _parsed.get(key)
    if kept is None:
        kept = _parsed.put(key, len(text), _parse_source(text, shown))
    source_file, diagnostics = kept
    return source_file, list(diagnostics)


PARSED_KEPT_CHARS = 2_000_000  # ~200 ordinary .sop files; their ASTs take ~20 bytes a character
_parsed: TextMemo[tuple[ast.SourceFile, tuple[Diagnostic, ...]]] = TextMemo(PARSED_KEPT_CHARS)


def _parse_source(text: str, shown: str) -> tuple[ast.SourceFile, tuple[Diagnostic, ...]]:
    source_file, diagnostics = parse_ast(text, shown)
    if source_file is None:
        source_file = ast.SourceFile(path=shown, imports=(), templates=(), playbooks=(), timelines=(), stages=())
    return source_file, tuple(diagnostics)


@functools.cache
def std_timelines() -> dict[str, str]:
    """Timeline name -> `std/<file>` for the standard library, for hints
    (read with the real parser, so it cannot disagree with an import)."""
    found: dict[str, str] = {}
    for path in sop_files_in(std_library_dir(), recursive=False):
        try:
            source_file, _problems = parse_source(path.read_text(encoding="utf-8-sig"), f"{STD_PREFIX}{path.name}")
        except OSError:
            continue
        for timeline in source_file.timelines:
            found.setdefault(timeline.name.value, f"{STD_PREFIX}{path.name}")
    return found


def _follow_imports(project: Project) -> None:
    loaded = {f.path: f for f in project.files}
    by_real = {Path(f.path).resolve(): f.path for f in project.files}
    queue = list(project.files)
    while queue:
        source_file = queue.pop(0)
        for imp in source_file.imports:
            target = resolve_import(imp.path, source_file.path, project.root)
            if target is None:
                project.diagnostics.append(_missing_import(imp, source_file.path, project.root))
                continue
            real, shown = target
            if real not in by_real:
                library_file = _load_file(project, real, shown)
                by_real[real] = library_file.path
                loaded[library_file.path] = library_file
                project.library.append(library_file)
                queue.append(library_file)
            project.imports.setdefault(source_file.path, []).append((imp, by_real[real]))


def resolve_import(name: str, importer: str, root: Path) -> tuple[Path, str] | None:
    """`std/x.sop` -> the bundled library; anything else -> next to the
    importing file, then from the project root."""
    if name.startswith(STD_PREFIX):
        candidate = std_library_dir() / name[len(STD_PREFIX):]
        return (candidate.resolve(), name) if is_file(candidate) else None
    for base in (Path(importer).parent, root):
        candidate = (base / name)
        if is_file(candidate):  # a name the system refuses (too long) is not found either
            return candidate.resolve(), display_path(candidate.resolve())
    return None


def _missing_import(imp: ast.Import, importer: str, root: Path) -> Diagnostic:
    known = [f"{STD_PREFIX}{p.name}" for p in sorted(std_library_dir().glob("*.sop"))]
    known += [display_path(root / name) for name in files_under(root, inside=root, suffix=".sop")[:200]]
    hint = did_you_mean(imp.path, known) or _("the standard library has: {files}").format(files=", ".join(known[:5]))
    return error("E0212", _("cannot find `{path}` to import").format(path=imp.path), imp.span, hint)
