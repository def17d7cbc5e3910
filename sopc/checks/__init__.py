"""Stage 6, checks: rules over a compiled Program, as plugins.

A check is any callable ``check(program, context) -> Iterable[Diagnostic]``
registered in the entry-point group ``sopc.checks`` (sopc's own checks are
registered there too, in pyproject.toml). A check that crashes becomes an
error diagnostic naming the check, never a traceback.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Callable, Iterable, Protocol

from sopc.compile.resolve import Program
from sopc.core.diagnostics import Diagnostic, error

ENTRY_POINT_GROUP = "sopc.checks"


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckContext:
    now: dt.datetime                # the injected clock's reading
    start: dt.datetime              # the plan window the cadence checks evaluate
    end: dt.datetime
    events: tuple = field(default=())


class Check(Protocol):
    def __call__(self, program: Program, context: CheckContext) -> Iterable[Diagnostic]: ...


def builtin_checks() -> dict[str, Check]:
    from sopc.checks import cadence, static
    return {
        "quiet-hours": static.check_quiet_hours,
        "local-times": static.check_local_times,
        "timelines": static.check_timelines,
        "launches": static.check_launches,
        "calendar": static.check_calendar_coverage,
        "template-variables": static.check_template_variables,
        "mentions": static.check_mentions,
        "senders": static.check_senders,
        "sender-kinds": static.check_sender_kinds,
        "cadence": cadence.check_cadence,
    }


def load_checks() -> dict[str, Check]:
    """Built-in checks plus any a third-party package registers."""
    checks = builtin_checks()
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name not in checks:
            checks[entry.name] = _lazy(entry)
    return checks


def _lazy(entry) -> Check:
    def run(program: Program, context: CheckContext) -> Iterable[Diagnostic]:
        return entry.load()(program, context)
    return run


def run_checks(program: Program, context: CheckContext,
               checks: dict[str, Callable] | None = None) -> list[Diagnostic]:
    diagnostics: list[Diagnostic] = []
    for name, check in sorted((checks or load_checks()).items()):
        try:
            diagnostics.extend(check(program, context))
        except Exception as exc:  # a plugin's bug must not hide the other checks' findings
            diagnostics.append(error("E0999", f"check `{name}` failed: {type(exc).__name__}: {exc}",
                                     hint="this is a bug in that check; report it to its authors"))
    return diagnostics
