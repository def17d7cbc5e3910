"""Golden diagnostics: `sopc check` on small projects, text and JSON.

Each folder under tests/golden/diagnostics/ is a project (sopc.toml,
groups.csv, .sop files, templates) that exercises one family of problems.
`sopc check <case> --now 2026-11-23T09:00` runs from that folder's parent, so
the paths in the output are stable, and must print exactly
`<case>/expected.txt` (text, on stderr) and `<case>/expected.json`; with
`--lang zh`, `<case>/expected.zh.txt` (the same diagnostics in Chinese: the
JSON differs from the English only in its messages and hints).

Regenerate after an intended change with

    SOPC_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_diagnostics_golden.py

and read the diff: every diagnostic must point at the right line and column
and read well for the operator who will see it.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from sopc.cli import cli

GOLDEN = Path(__file__).parent / "golden" / "diagnostics"
NOW = "2026-11-23T09:00"
UPDATE = os.environ.get("SOPC_UPDATE_GOLDEN") == "1"
CASES = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir())

# What each case is for: regenerating cannot silently drop one of these.
REQUIRED = {
    "syntax_errors": {"E0001", "E0003", "E0005"},
    "day_forms": {"E0140"},
    "posts_peaks": {"W0341", "W0342", "E0340", "E0141"},
    "indentation": {"E0001", "E0006", "E0007", "E0009"},
    "unknown_names": {"E0201", "E0202", "E0203", "E0204", "E0205", "E0207", "E0401", "E0403"},
    "template_errors": {"E0401", "E0402", "E0405", "E0410"},
    "template_variables": {"E0405"},
    "misnamed_files": {"W0618"},
    "invalid_literals": {"E0101", "E0102", "E0103", "E0104", "E0105", "E0106", "E0107"},
    "policy_cadence": {"E0301", "W0302", "E0303", "E0304", "E0305", "E0306", "W0307", "E0209"},
    "dst": {"W0309"},
    "config_syntax": {"E0601"},
    "config_sender_kind": {"E0501"},
    "member_steps": {"E0001", "E0130", "E0230", "E0520", "E0521"},
    "repeats": {"E0001", "E0110", "E0131", "E0301", "E0303", "E0305", "E0306", "W0307", "W0320", "W0321", "E0405"},
    "stage_cadence": {"E0001", "E0120", "E0203", "E0614", "W0236", "W0237"},
    "stage_undeclared": {"E0235"},
    "rich_content": {"E0420", "E0421", "E0422", "E0424", "E0425", "E0505", "E0507"},
    "clean": set(),
}

HEADER = re.compile(r"^(?P<path>\S+?):(?P<line>\d+):(?P<column>\d+): (?P<severity>error|warning|错误|警告)"
                    r"\[(?P<code>[EW]\d{4})\]: (?P<message>.*)$", re.MULTILINE)
EXPECTED_TEXT = {"en": "expected.txt", "zh": "expected.zh.txt"}
SUMMARY = {"en": (("error: ", "warning: "), "no problems found"), "zh": (("错误: ", "警告: "), "没有发现问题")}
CJK = re.compile(r"[\u4e00-\u9fff]")


def run_check(monkeypatch, case: str, *extra: str, lang: str = "en"):
    monkeypatch.chdir(GOLDEN)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("SOPC_NOW", raising=False)
    result = CliRunner().invoke(cli, ["--lang", lang, "check", case, "--now", NOW, *extra])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def compare(path: Path, actual: str) -> None:
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
    assert path.is_file(), f"{path} is missing; run with SOPC_UPDATE_GOLDEN=1 to create it"
    assert actual == path.read_text(encoding="utf-8")


def test_every_case_is_known():
    assert set(CASES) == set(REQUIRED)


@pytest.mark.parametrize("case", CASES)
def test_text(monkeypatch, case):
    result = run_check(monkeypatch, case)
    assert result.stdout == ""
    compare(GOLDEN / case / "expected.txt", result.stderr)
    assert result.exit_code == (1 if "error[" in result.stderr else 0)


@pytest.mark.parametrize("case", CASES)
def test_text_in_chinese(monkeypatch, case):
    """The same diagnostics in Chinese: every message and hint has Chinese
    in it (nothing left in English), codes and exit status as in English."""
    result = run_check(monkeypatch, case, lang="zh")
    assert result.stdout == ""
    compare(GOLDEN / case / "expected.zh.txt", result.stderr)
    english = (GOLDEN / case / "expected.txt").read_text(encoding="utf-8")
    assert [m["code"] for m in HEADER.finditer(result.stderr)] == [m["code"] for m in HEADER.finditer(english)]
    for header in HEADER.finditer(result.stderr):
        assert CJK.search(header["message"]), header.group()
    for hint in re.findall(r"^ *= 提示: (.*)$", result.stderr, re.MULTILINE):
        assert CJK.search(hint), hint
    assert "= help: " not in result.stderr
    assert result.exit_code == (1 if "错误[" in result.stderr else 0)


@pytest.mark.parametrize("case", CASES)
def test_json_in_chinese_differs_only_in_words(monkeypatch, case):
    """Codes, JSON keys, locations and counts stay what tools read; only the
    message and hint are in the other language."""
    chinese = json.loads(run_check(monkeypatch, case, "--format", "json", lang="zh").stdout)
    english = json.loads((GOLDEN / case / "expected.json").read_text(encoding="utf-8"))
    words = ("message", "hint")
    assert {k: v for k, v in chinese.items() if k != "diagnostics"} == \
        {k: v for k, v in english.items() if k != "diagnostics"}
    assert [{k: v for k, v in d.items() if k not in words} for d in chinese["diagnostics"]] == \
        [{k: v for k, v in d.items() if k not in words} for d in english["diagnostics"]]
    assert [list(d) for d in chinese["diagnostics"]] == [list(d) for d in english["diagnostics"]]
    for zh, en in zip(chinese["diagnostics"], english["diagnostics"]):
        assert (zh["hint"] is None) == (en["hint"] is None)


@pytest.mark.parametrize("case", CASES)
def test_json(monkeypatch, case):
    result = run_check(monkeypatch, case, "--format", "json")
    document = json.loads(result.stdout)
    compare(GOLDEN / case / "expected.json", json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    assert result.exit_code == (1 if document["errors"] else 0)
    codes = {d["code"] for d in document["diagnostics"]}
    assert REQUIRED[case] <= codes, f"{case} no longer reports {sorted(REQUIRED[case] - codes)}"
    if not REQUIRED[case]:
        assert document["diagnostics"] == []


@pytest.mark.parametrize("case", CASES)
def test_strict_fails_on_warnings(monkeypatch, case):
    document = json.loads((GOLDEN / case / "expected.json").read_text(encoding="utf-8"))
    result = run_check(monkeypatch, case, "--strict")
    assert result.exit_code == (1 if document["errors"] or document["warnings"] else 0)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("case", CASES)
def test_text_and_json_agree(case, lang):
    """The same diagnostics, in the same order, at spans inside their files,
    with the caret under the span's own characters (in Chinese too: the
    message above it is wider, the source line and carets are not)."""
    text = (GOLDEN / case / EXPECTED_TEXT[lang]).read_text(encoding="utf-8")
    document = json.loads((GOLDEN / case / "expected.json").read_text(encoding="utf-8"))
    headers = [m.groupdict() for m in HEADER.finditer(text)]
    located = [d for d in document["diagnostics"] if d["path"]]
    assert [(h["path"], int(h["line"]), int(h["column"]), h["code"]) for h in headers] == \
        [(d["path"], d["line"], d["column"], d["code"]) for d in located]
    for d in located:
        lines = (GOLDEN / d["path"]).read_text(encoding="utf-8").split("\n")
        assert 1 <= d["line"] <= len(lines)
        line = lines[d["line"] - 1]
        assert 1 <= d["column"] <= len(line) + 1
        assert "__ANON" not in d["message"] and "$END" not in d["message"]
        if d["end_line"] == d["line"]:
            assert d["column"] < d["end_column"] <= len(line) + 1
            spanned = line[d["column"] - 1:d["end_column"] - 1]
            assert spanned.strip(), f"{d['code']} points at blank text"
            # the caret row under the source row covers exactly the spanned text
            from sopc.core.render import TAB_EXPANSION  # the renderer shows a tab as these spaces
            source_row = f"{d['line']} | {line}".replace("\t", TAB_EXPANSION)
            block = text[text.index(f"{d['path']}:{d['line']}:{d['column']}: "):]
            rows = block.split("\n")
            at = next(i for i, row in enumerate(rows) if row.lstrip().startswith(source_row))
            caret_row = rows[at + 1]
            gutter = rows[at].index("|") + 2
            carets = caret_row[gutter:]
            assert carets.strip("^ ") == "" and carets.lstrip(" ").startswith("^")
            from sopc.core.render import display_width
            assert len(carets) - len(carets.lstrip(" ")) == display_width(line[:d["column"] - 1])
            assert carets.count("^") == display_width(spanned)
    summary = text.rstrip("\n").rsplit("\n", 1)[-1]
    labels, clean = SUMMARY[lang]
    if document["diagnostics"]:
        assert summary.startswith(labels)
    else:
        assert summary == clean
