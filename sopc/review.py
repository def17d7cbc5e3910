"""`sopc diff`: what a change to a project does to its plan and its checks.

Two sides, BASE and HEAD, each a git revision (written out with
``git archive``, :mod:`sopc.project.revisions`), the working tree as it is,
or a plain folder. Each side is built; their plans over one window are
compared message by message (:mod:`sopc.plan.diff`), and HEAD's check
findings that BASE does not have are the new diagnostics.

Planning both sides costs twice a plan. The gate decides each group on its
own (cap, gap, stages: per group), so the groups are shared out among
worker processes, each planning both sides for its share and comparing
them there: only the few alike changes come back, never the messages. The
builds are made once, before the workers are forked, and inherited.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import multiprocessing
import os
import tempfile
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from sopc import pipeline
from sopc.core import collector
from sopc.core.diagnostics import Diagnostic, sorted_diagnostics
from sopc.core.i18n import _
from sopc.plan.diff import DiffReport, PlanDiff, group_words
from sopc.plan.simulate import sent_messages
from sopc.project.paths import display_path, find_root
from sopc.project.revisions import (WORKING_TREE, Repository, Revision, RevisionError, commit_of, default_base,
                                    export, find_repository, not_a_repository, project_in_repo, revision)

MAX_JOBS = 4
GROUPS_PER_JOB = 200  # fewer groups than this per worker: a fork costs more than it saves


@dataclass(frozen=True, slots=True)
class Side:
    """Where one side's project comes from: a folder read as it is (the
    working tree, a plain folder), or a revision of a repository."""

    label: str
    folder: Path | None = None
    repo: Repository | None = None
    rev: Revision | None = None
    inside: str = ""       # the project folder inside the repository


@dataclass(frozen=True, slots=True)
class Sides:
    base: Side
    head: Side
    project: str           # the project as the user names it (for paths in diagnostics)


def sides(args: Sequence[str], cwd: Path) -> Sides:
    """What ``sopc diff [BASE] [HEAD] [PATH]`` (or ``OLD_DIR NEW_DIR``) compares.

    PATH is the last argument when it is a folder and (with fewer than three
    arguments) no revision; BASE defaults to :func:`default_base`, HEAD to
    the working tree. ``A..B`` is BASE and HEAD in one argument."""
    names = [part for arg in args for part in (arg.split("..", 1) if ".." in arg and not _is_dir(cwd, arg) else [arg])]
    if len(names) > 3:
        raise RevisionError(_("too many arguments ({arguments}): give at most BASE HEAD PATH, or OLD_DIR NEW_DIR")
                            .format(arguments=" ".join(args)))
    repo = _repository_near(cwd, names)
    if len(names) == 2 and all(_is_dir(cwd, n) for n in names) and (repo is None or commit_of(repo, names[0]) is None):
        old, new = (cwd / n for n in names)
        return Sides(Side(names[0], folder=find_root([old])), Side(names[1], folder=find_root([new])),
                     display_path(find_root([new])))
    path = None
    if names and _is_dir(cwd, names[-1]) and (len(names) == 3 or repo is None or commit_of(repo, names[-1]) is None):
        path = cwd / names.pop()
        repo = find_repository(path)
    if repo is None:
        raise RevisionError(not_a_repository(cwd))
    revs = [revision(repo, name, cwd) for name in names]
    root = find_root([path if path is not None else cwd])
    inside = project_in_repo(repo, root)
    base = revs[0] if revs else default_base(repo)
    head = Side(revs[1].label, repo=repo, rev=revs[1], inside=inside) if len(revs) > 1 else \
        Side(WORKING_TREE, folder=root)
    return Sides(Side(base.label, repo=repo, rev=base, inside=inside), head, display_path(root))


def _is_dir(cwd: Path, name: str) -> bool:
    return (cwd / name).is_dir()


def _repository_near(cwd: Path, names: list[str]) -> Repository | None:
    """The repository of the current folder, else of a folder argument."""
    for folder in (cwd, *(cwd / n for n in reversed(names) if _is_dir(cwd, n))):
        try:
            return find_repository(folder)
        except RevisionError:
            continue
    return None


@dataclass
class Built:
    """Both sides built, and where they were written out."""

    sides: Sides
    base: pipeline.Build
    head: pipeline.Build
    base_root: Path
    head_root: Path


@contextmanager
def built(pair: Sides) -> Iterator[Built]:
    """Both sides written out (revisions) and built; the copies are removed after."""
    with tempfile.TemporaryDirectory(prefix="sopc-diff-") as tmp:
        roots = [_materialised(side, Path(tmp) / name) for side, name in ((pair.base, "base"), (pair.head, "head"))]
        yield Built(pair, pipeline.build([roots[0]]), pipeline.build([roots[1]]), roots[0], roots[1])


def _materialised(side: Side, dest: Path) -> Path:
    if side.folder is not None:
        return side.folder
    dest.mkdir()
    return export(side.repo, side.rev, side.inside, dest)


def compare(both: Built, start: dt.datetime, end: dt.datetime, *, now: dt.datetime,
            events_path: Path | None = None, jobs: int | None = None) -> DiffReport:
    """The plans of both sides over [start, end) compared, and HEAD's new
    diagnostics (checked as of ``now``); the same events file for both."""
    zone = both.head.zone
    base_events = pipeline.read_events(both.base, events_path)
    head_events = pipeline.read_events(both.head, events_path)
    report = DiffReport(base=both.sides.base.label, head=both.sides.head.label, project=both.sides.project,
                        start=start, end=end, zone=zone)
    failed = [label for label, b in ((report.base, both.base), (report.head, both.head)) if b.failed]
    if failed:
        report.problem = (_("{side} has errors, so its plan cannot be made: fix them (`sopc check`)") if len(failed) == 1
                          else _("{side} and {other} have errors, so their plans cannot be made: fix them (`sopc check`)")
                          ).format(side=failed[0], other=failed[-1])
        _new_diagnostics(both, report, checked=False, now=now, events_path=None)
        return report
    shares = _shares(both, jobs)
    global _SHARED
    words = group_words([*both.head.project.roster.groups, *both.base.project.roster.groups])
    _SHARED = (both.base, both.head, start, end, base_events, head_events, zone, words)
    try:
        if len(shares) == 1:
            _new_diagnostics(both, report, checked=True, now=now, events_path=events_path)
            report.plan = _plan_share(None)
        else:
            with multiprocessing.get_context("fork").Pool(len(shares)) as pool:
                pending = pool.map_async(_plan_share, shares)  # the workers plan while this process checks
                _new_diagnostics(both, report, checked=True, now=now, events_path=events_path)
                parts = pending.get()
            report.plan = parts[0]
            for part in parts[1:]:
                report.plan.merge(part)
    finally:
        _SHARED = None
    return report


# Inherited by the forked workers (never pickled): both builds, the window, the events, the zone,
# the groups' own words.
_SHARED: tuple | None = None


def _plan_share(groups: frozenset[str] | None) -> PlanDiff:
    """Both sides' plans for ``groups`` (None: all) compared."""
    base, head, start, end, base_events, head_events, zone, words = _SHARED
    keep = None if groups is None else (lambda group: group.id in groups)
    with collector.paused():  # BASE's messages are held while HEAD's are planned: no cycles to find
        diff = PlanDiff(zone, words).compare(
            sent_messages(base.program, start, end, events=base_events, group_filter=keep, diagnostics=[]),
            sent_messages(head.program, start, end, events=head_events, group_filter=keep, diagnostics=[]))
    diff.travel_light()  # what goes back to the parent: the changes only
    return diff


def _shares(both: Built, jobs: int | None) -> list[frozenset[str] | None]:
    """The groups shared out among the workers, round robin in id order; one
    share (None: every group, planned here) when workers would not pay."""
    ids = sorted({g.id for g in both.base.project.roster.groups} | {g.id for g in both.head.project.roster.groups})
    wanted = jobs if jobs is not None else min(os.cpu_count() or 1, MAX_JOBS)
    count = max(1, min(wanted, len(ids) // GROUPS_PER_JOB if jobs is None else len(ids)))
    if count == 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [None]
    return [frozenset(ids[i::count]) for i in range(count)]


# ---- diagnostics new in HEAD ------------------------------------------------------------

def _new_diagnostics(both: Built, report: DiffReport, *, checked: bool, now: dt.datetime,
                     events_path: Path | None) -> None:
    """HEAD's diagnostics that BASE has not (by code, file and message: a
    line moved by an edit above it is the same finding), with the paths the
    user knows. ``checked``: run the checks (else the build's findings only).
    BASE is checked only if HEAD found anything: else nothing can be new."""
    if checked:
        pipeline.check_build(both.head, now=now, events_path=events_path)
    head = _rebased(both.head, both.head_root, report.project)
    if not head[0]:
        return
    if checked:
        pipeline.check_build(both.base, now=now, events_path=events_path)
    base = _rebased(both.base, both.base_root, report.project)[0]
    seen = Counter(_finding(d) for d in base)
    for diagnostic in sorted_diagnostics(head[0]):
        if seen[_finding(diagnostic)] > 0:
            seen[_finding(diagnostic)] -= 1
        else:
            report.diagnostics.append(diagnostic)
    report.sources = head[1]


def _finding(d: Diagnostic) -> tuple:
    return (d.code, d.span.path if d.span else None, d.message)


def _rebased(result: pipeline.Build, root: Path, shown_root: str) -> tuple[list[Diagnostic], dict[str, str]]:
    """The side's diagnostics and their files' texts, with paths in its copy
    (a temporary folder) told as paths in the user's project."""
    diagnostics, sources = pipeline.displayed(result)
    root = root.resolve()

    def shown(path: str) -> str:
        full = Path(os.path.abspath(path))
        try:
            inside = full.relative_to(root)
        except ValueError:
            return path  # not in the project (the standard library)
        return os.path.normpath(os.path.join(shown_root, inside))

    rebased = [dataclasses.replace(d, span=dataclasses.replace(d.span, path=shown(d.span.path))) if d.span else d
               for d in diagnostics]
    return rebased, {shown(path): text for path, text in sources.items()}
