"""Stage 6, checks: rules over a compiled Program, as plugins.

A check is any callable ``check(program, context) -> Iterable[Diagnostic]``
(:class:`~sopc.checks.context.Check`) registered in the entry-point group
``sopc.checks``; sopc's own checks are registered there too, in
pyproject.toml, and loaded the same way. A check that crashes becomes an
error diagnostic naming the check, never a traceback.
"""

from __future__ import annotations

from typing import Callable

from sopc.checks.context import Check, CheckContext
from sopc.compile.resolve import Program
from sopc.core import plugins
from sopc.core.diagnostics import Diagnostic, error
from sopc.core.i18n import _

ENTRY_POINT_GROUP = "sopc.checks"

__all__ = ["Check", "CheckContext", "load_checks", "run_checks"]


def load_checks() -> dict[str, Check]:
    """Every check registered in the entry-point group, sopc's own included."""
    return {entry.name: _lazy(entry) for entry in plugins.entry_points(ENTRY_POINT_GROUP)}


def _lazy(entry) -> Check:
    def run(program: Program, context: CheckContext):
        return entry.load()(program, context)
    run.entry_point = entry
    return run


def run_checks(program: Program, context: CheckContext,
               checks: dict[str, Callable] | None = None) -> list[Diagnostic]:
    diagnostics: list[Diagnostic] = []
    for name, check in sorted((load_checks() if checks is None else checks).items()):
        try:
            diagnostics.extend(check(program, context))
        except Exception as exc:  # a plugin's bug must not hide the other checks' findings
            diagnostics.append(error("E0999", _("check `{name}` failed: {error}").format(
                name=name, error=f"{type(exc).__name__}: {exc}"),
                hint=_("this is a bug in that check; report it to its authors")))
    return diagnostics
