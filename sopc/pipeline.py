"""The pipeline in one place, the way the CLI (and tests) call it:

    load -> resolve (compile) -> checks     = check()
    load -> resolve -> plan.simulate        = plan()  (plan.expand through the run's gate)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import os
from pathlib import Path
from typing import Iterator, Sequence

from sopc.checks import CheckContext, run_checks
from sopc.compile.resolve import Program, compile_program
from sopc.core import collector
from sopc.core.diagnostics import Diagnostic, has_errors
from sopc.core.events import Event
from sopc.core.records import dataclass
from sopc.events.reader import load_events
from sopc.project.loader import Project, display_path, load_project
from sopc.core.messages import PlannedMessage
from sopc.plan.holidays import holiday_skips
from sopc.core.i18n import _
from sopc.core.progress import QUIET, Progress, through_time
from sopc.plan.schedule import launch_occurrences
from sopc.plan.simulate import Fate, sent_messages, simulate
from sopc.core.timeutil import zone_or_default

CHECK_WINDOW = dt.timedelta(days=35)
PLAN_DAYS = 7  # `sopc plan` without --to: a week


@dataclass
class Build:
    project: Project
    program: Program
    diagnostics: list[Diagnostic]

    @property
    def failed(self) -> bool:
        return has_errors(self.diagnostics)

    @property
    def zone(self):
        return zone_or_default(self.project.config.timezone)


def build(paths: Sequence[Path], progress: Progress = QUIET) -> Build:
    with collector.paused():
        project = load_project(paths, progress)
        program = compile_program(project)
    return Build(project=project, program=program, diagnostics=project.diagnostics + program.diagnostics)


def read_events(result: Build, events_path: Path | None) -> tuple[Event, ...]:
    if events_path is None:
        return ()
    shown = display_path(events_path)
    stages = result.program.stages
    events, diagnostics = load_events(events_path, result.project.config.timezone, shown,
                                      stages=tuple(r.name.value for r in stages.rules) if stages else ())
    if events_path.is_file():
        result.project.sources[shown] = events_path.read_text(encoding="utf-8-sig", errors="replace")
    result.diagnostics += diagnostics
    return tuple(events)


def check(paths: Sequence[Path], *, now: dt.datetime, events_path: Path | None = None,
          progress: Progress = QUIET) -> Build:
    """Everything `sopc check` reports. The cadence checks look at the plan
    from `now` for five weeks, and at every launch's day."""
    return check_build(build(paths, progress), now=now, events_path=events_path, progress=progress)


def check_build(result: Build, *, now: dt.datetime, events_path: Path | None = None,
                progress: Progress = QUIET) -> Build:
    """:func:`check` on a project already built (whose zone told `now`)."""
    events = read_events(result, events_path)
    seen: set[tuple] = set()
    # No collection during the checks: they make next to no garbage cycles
    # (tests/test_collector.py), yet each pass rescanned what they hold, a
    # full pass all the slots of the plan: ~3% of a check.
    with collector.paused():
        for number, (start, end) in enumerate(check_windows(result.program, now)):
            context = CheckContext(now=now, start=start, end=end, events=events, progress=progress)
            found = run_checks(result.program, context)
            if number:  # a far launch's own days: only what the windows before did not find already
                found = [d for d in found if (d.code, d.span) not in seen]
            seen.update((d.code, d.span) for d in found)
            result.diagnostics += found
    return result


def check_windows(program: Program, now: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """The plan windows the checks look at: five weeks from ``now``, and the
    days of each launch after that. Windows less than five weeks apart are
    one: the check walks the days between them. A launch years ahead (a
    typo, 2096 for 2026) is checked on its own days, not by walking every
    week until then (which took minutes)."""
    windows = [(now, now + CHECK_WINDOW)]
    for start, end in sorted(_launch_windows(program, now)):
        first, last = windows[-1]
        if end <= last:
            continue
        if start - last < CHECK_WINDOW:
            windows[-1] = (first, end)
        else:
            windows.append((start, end))
    return windows


def _launch_windows(program: Program, now: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """From the day before a dated launch's first step (a `T-3d` step comes
    before the launch) to two days after the launch day, or a day after its
    last step; steps more than five weeks from the launch are left to the
    window they fall in (a `T+99999d` typo must not make one of decades).
    A recurring launch that begins after the first five weeks: its first
    launch, and the days up to the next week's."""
    windows = []
    for playbook in program.playbooks:
        for launch in playbook.launches:
            a = launch.launch
            anchor = _first_anchor(program, playbook, a, now) if a.recurring else (
                dt.datetime.combine(a.at_date.date, a.at_time.time if a.at_time else dt.time()) if a.at_date else None)
            if anchor is None:
                continue
            offsets = [dt.timedelta(0), *(max(-CHECK_WINDOW, min(s.offset + step.shift, CHECK_WINDOW))
                                          for s, step in launch.steps if s.offset is not None)]
            first = (anchor + min(offsets)).date() - dt.timedelta(days=1)
            days_after = dt.timedelta(days=9 if a.recurring else 2)
            last = max(anchor.date() + days_after, (anchor + max(offsets)).date() + dt.timedelta(days=1))
            windows.append((dt.datetime.combine(first, dt.time(), playbook.zone),
                            dt.datetime.combine(last, dt.time(), playbook.zone)))
    return windows


def _first_anchor(program: Program, playbook, launch, now: dt.datetime) -> dt.datetime | None:
    """The first launch (naive local) of a recurring launch whose `from`
    lies past the first check window; None when that window sees it."""
    begins = launch.window.start.date if launch.window and launch.window.start else None
    if begins is None or begins <= (now + CHECK_WINDOW).astimezone(playbook.zone).date():
        return None
    found = launch_occurrences(launch, playbook.policy, program.project.calendar, begins, begins + dt.timedelta(days=14))
    return found[0] if found else None


def plan_window(zone, first: dt.date, last: dt.date | None = None) -> tuple[dt.datetime, dt.datetime]:
    """From the midnight ``first`` starts to the midnight ``last`` (included;
    default: a week from ``first``) ends, in ``zone``. ValueError if ``last``
    is before ``first``."""
    last = last if last is not None else first + dt.timedelta(days=PLAN_DAYS - 1)
    if last < first:
        raise ValueError(_("{last} is before {first}").format(last=last, first=first))
    return (dt.datetime.combine(first, dt.time(), zone),
            dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone))


def plan(result: Build, start: dt.datetime, end: dt.datetime, *, events: Sequence[Event] = (),
         group: str | None = None, paused: Sequence[str] = (), progress: Progress = QUIET) -> Iterator[PlannedMessage]:
    """What `sopc run` sends in [start, end), at the time it sends it: the
    plan through the run's gate (quiet hours, cap, gap, pauses)."""
    group_filter = (lambda g: g.id == group) if group else None
    messages = sent_messages(result.program, start, end, events=events, group_filter=group_filter,
                             diagnostics=result.diagnostics, paused=paused)
    return through_time(progress, _("planning"), messages, start, end, at=_sent_at)


def plan_fates(result: Build, start: dt.datetime, end: dt.datetime, *, events: Sequence[Event] = (),
               group: str | None = None, paused: Sequence[str] = (), holidays: bool = False,
               progress: Progress = QUIET) -> Iterator[Fate]:
    """:func:`plan` with what the gate skips or defers, and why (`sopc plan --show-skipped`);
    ``holidays``: also what `on holidays skip` left out (the HTML page shows it)."""
    group_filter = (lambda g: g.id == group) if group else None
    fates = simulate(result.program, start, end, events=events, group_filter=group_filter,
                     diagnostics=result.diagnostics, paused=paused)
    skipped = holiday_skips(result.program, start, end, result.zone, events=events,
                            group_filter=group_filter) if holidays else []
    merged = heapq.merge(fates, skipped, key=_fate_at) if skipped else fates
    return through_time(progress, _("planning"), merged, start, end, at=_fate_at)


def _sent_at(message: PlannedMessage) -> dt.datetime:
    return message.at


def _fate_at(fate: Fate) -> dt.datetime:
    return fate.message.at


def displayed(result: Build) -> tuple[list[Diagnostic], dict[str, str]]:
    """The diagnostics with every path relative to the current folder (the
    way the user wrote them), and the text of every file they point into: the
    loader registers .sop files, but sopc.toml, the roster and template files
    are read elsewhere."""
    sources = dict(result.project.sources)
    shown: list[Diagnostic] = []
    for diagnostic in result.diagnostics:
        span = diagnostic.span
        if span is not None and os.path.isabs(span.path):
            span = dataclasses.replace(span, path=display_path(Path(span.path)))
            diagnostic = dataclasses.replace(diagnostic, span=span)
        if span is not None and span.path not in sources:
            try:
                sources[span.path] = Path(span.path).read_text(encoding="utf-8-sig", errors="replace")
            except (OSError, ValueError):
                pass
        shown.append(diagnostic)
    return shown, sources
