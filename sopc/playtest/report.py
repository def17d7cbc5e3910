"""What `sopc test` prints, and the JUnit XML it writes for CI.

The text: a line per test (PASS or FAIL, where it is, its name), then each
failed expectation drawn like a diagnostic (its source line, carets under
it) with what it expected and what the plan gave, then ``N passed, M failed``.
The JUnit file: one ``testcase`` per test, a ``failure`` holding the same
expected/got text, one ``testsuite`` per file, as CI systems read it; when
errors stopped the run, one ``testcase`` whose ``error`` lists them."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path
from typing import Mapping, Sequence

from sopc.core.diagnostics import Diagnostic
from sopc.core.i18n import _, ngettext
from sopc.core.render import render_located
from sopc.playtest.expectations import Checked
from sopc.playtest.runner import TestResult, TestRun


def summary(run: TestRun) -> str:
    if not run.results:
        return _("no tests")
    failed = run.failed
    return _("{passed} passed, {failed} failed").format(passed=len(run.results) - failed, failed=failed)


def result_line(result: TestResult) -> str:
    test = result.test
    return f"{'PASS' if result.passed else 'FAIL'}  {test.path}:{test.span.line}  {test.name}"


def failure_text(result: TestResult, checked: Checked, sources: Mapping[str, str], *, color: bool = False) -> str:
    """One failed expectation, drawn at its line."""
    notes = [(_("expected"), checked.expected), (_("got"), "\n".join(checked.got))]
    message = _("test \"{name}\": expectation not met").format(name=result.test.name)
    return render_located("FAIL", message, checked.expect.span,
                          sources, notes, color=color)


def text_report(run: TestRun, *, color: bool = False) -> str:
    sources = run.build.project.sources
    lines = [result_line(result) for result in run.results]
    blocks = ["\n".join(lines)] if lines else []
    blocks += [failure_text(result, checked, sources, color=color)
               for result in run.results for checked in result.failures]
    blocks.append(summary(run))
    return "\n\n".join(blocks)


def junit_xml(run: TestRun) -> bytes:
    """The results as JUnit XML (UTF-8): a ``testsuite`` per file, a
    ``testcase`` per test, a ``failure`` per failed test with every unmet
    expectation's line, expected and got."""
    by_file: dict[str, list[TestResult]] = defaultdict(list)
    for result in run.results:
        by_file[result.test.path].append(result)
    root = ET.Element("testsuites", name="sopc test", tests=str(len(run.results)), failures=str(run.failed),
                      errors="0", time=_seconds(sum(r.seconds for r in run.results)))
    for path, results in by_file.items():
        suite = ET.SubElement(root, "testsuite", name=path, tests=str(len(results)),
                              failures=str(sum(not r.passed for r in results)), errors="0", skipped="0",
                              time=_seconds(sum(r.seconds for r in results)))
        for result in results:
            case = ET.SubElement(suite, "testcase", name=result.test.name, classname=_classname(path),
                                 file=path, line=str(result.test.span.line), time=_seconds(result.seconds))
            if not result.passed:
                failures = result.failures
                first = failures[0]
                failure = ET.SubElement(case, "failure", type="expectation",
                                        message=_("line {line}: expected {expected}; got {got}").format(
                                            line=first.expect.span.line, expected=first.expected,
                                            got=first.got[0] if first.got else _("none")))
                failure.text = "\n\n".join(_plain(c) for c in failures)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def junit_errors_xml(diagnostics: Sequence[Diagnostic]) -> bytes:
    """JUnit XML for a run stopped by errors (nothing was run): one
    ``testcase`` with an ``error`` listing them, so CI shows why instead of
    a missing report."""
    root = ET.Element("testsuites", name="sopc test", tests="1", failures="0", errors="1", time="0.000")
    suite = ET.SubElement(root, "testsuite", name="sopc test", tests="1", failures="0", errors="1", skipped="0",
                          time="0.000")
    case = ET.SubElement(suite, "testcase", name="the project and its tests build", classname="sopc", time="0.000")
    first = diagnostics[0] if diagnostics else None
    error = ET.SubElement(case, "error", type="build",
                          message=ngettext("{count} error; no test was run", "{count} errors; no test was run",
                                           len(diagnostics)).format(count=len(diagnostics))
                                  + (f": {_diagnostic_line(first)}" if first else ""))
    error.text = "\n".join(_diagnostic_line(d) for d in diagnostics)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def write_junit(path: Path, document: bytes) -> None:
    """Through ``FILE.part``, renamed when whole: CI never reads half a
    report. Its folder is made if missing (`--junit reports/sopc.xml`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    part.write_bytes(document)
    part.replace(path)


def _diagnostic_line(diagnostic: Diagnostic) -> str:
    span = diagnostic.span
    where = f"{span.path}:{span.line}:{span.column}: " if span else ""
    return f"{where}{diagnostic.severity.value}[{diagnostic.code}]: {diagnostic.message}"


def _plain(checked: Checked) -> str:
    span = checked.expect.span
    got = "\n     ".join(checked.got)
    expected, got_label = _("expected"), _("got")
    return f"{span.path}:{span.line}:{span.column}\n{expected}: {checked.expected}\n{got_label}: {got}"


def _classname(path: str) -> str:
    """`playbooks/welfare.test.sop` -> `playbooks.welfare.test`: how CI tools group cases."""
    return path.removesuffix(".sop").replace("/", ".").replace("\\", ".")


def _seconds(value: float) -> str:
    return f"{value:.3f}"
