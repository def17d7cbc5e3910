"""Run a project's playbook tests: the project built once, each test's
window planned with its events through :func:`sopc.pipeline.plan_fates`
(the planner and the gate that `sopc plan` and `sopc run` use; no second
scheduler), then each `expect` line held against it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from sopc import pipeline
from sopc.compile.playtests import PlayTest, project_tests, resolve_tests
from sopc.core.diagnostics import Diagnostic, has_errors
from sopc.lang import ast
from sopc.playtest.expectations import Checked, check_expect
from sopc.project.paths import find_root


@dataclass(frozen=True, slots=True)
class TestResult:
    test: ast.Test
    checked: tuple[Checked, ...]
    seconds: float

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checked)

    @property
    def failures(self) -> list[Checked]:
        return [c for c in self.checked if not c.passed]


@dataclass
class TestRun:
    """What `sopc test` found: the results, or the errors that stopped it
    (the project does not build, or a test names what is not there)."""

    build: pipeline.Build
    results: list[TestResult] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return sum(not r.passed for r in self.results)


def run_tests(paths: Sequence[Path]) -> TestRun:
    """The tests of the .sop files ``paths`` name (project folders, folders
    in one, or files; default: the current folder), run. The whole project
    is built whatever the paths: a test's playbooks may be in other files."""
    targets = [Path(p) for p in paths] or [Path.cwd()]
    root = find_root(targets)
    built = pipeline.build([root, *(p for p in targets if p.is_file())])
    run = TestRun(build=built)
    chosen = [test for test in project_tests(built.program) if _chosen(test, targets)]
    ready, diagnostics = resolve_tests(built.program, chosen)
    if built.failed or has_errors(diagnostics):  # every error at once, the project's and the tests'
        run.errors = [d for d in built.diagnostics + diagnostics if d.is_error]
        return run
    run.results = [run_one(built, play) for play in ready]
    return run


def run_one(built: pipeline.Build, play: PlayTest) -> TestResult:
    """One test: its window planned with its events, every expectation checked."""
    began = time.perf_counter()
    fates = list(pipeline.plan_fates(built, play.start, play.end, events=play.events))
    checked = tuple(check_expect(expect, fates, play.zone) for expect in play.expects)
    return TestResult(test=play.test, checked=checked, seconds=time.perf_counter() - began)


def _chosen(test: ast.Test, targets: list[Path]) -> bool:
    where = Path(test.path).resolve()
    for target in targets:
        target = target.resolve()
        if where == target or target in where.parents:
            return True
    return False
