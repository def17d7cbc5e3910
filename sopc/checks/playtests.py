"""The `playtests` check: the project's playbook tests (`test` blocks) name
groups, steps and events that exist, and their times fit their window.
`sopc test` stops on the same diagnostics before it runs anything."""

from __future__ import annotations

from typing import Iterable

from sopc.checks.context import CheckContext
from sopc.compile.playtests import resolve_tests
from sopc.compile.resolve import Program
from sopc.core.diagnostics import Diagnostic


def check_tests(program: Program, context: CheckContext) -> Iterable[Diagnostic]:
    _, diagnostics = resolve_tests(program)
    return diagnostics
