"""`sopc explain CODE`: every diagnostic code has a long explanation in
English and Chinese, and its example really shows the code: each example is
checked as a project by `sopc check`, which must report the code for the
example and not for the fixed version."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sopc.core.codes import CATALOGUE
from sopc.core.explain import EXAMPLE_NOW, load_explanations, render_explanation
from projects import write_project
from tests.inprocess import run_sopc

EXPLANATIONS = load_explanations()

# Codes whose example cannot be a few lines of text: the file's bytes are not
# UTF-8, the input must be megabytes, or it is sopc's own bug (E0990: sopc fmt's,
# shown in tests/test_fmt.py by a formatter made to drop a word).
NOT_SHOWN_BY_EXAMPLE = {"E0002", "E0004", "E0008", "E0404", "E0990", "E0999"}


def test_every_code_is_explained_in_both_languages():
    missing = sorted(set(CATALOGUE) - set(EXPLANATIONS))
    assert not missing, f"codes without an explanation in sopc/core/explanations.toml: {missing}"
    assert not set(EXPLANATIONS) - set(CATALOGUE), "explanations for codes the catalogue does not have"
    for code, explanation in EXPLANATIONS.items():
        assert explanation.prose["en"] and explanation.prose["zh"], code
        assert explanation.summary["zh"] != CATALOGUE[code].summary, f"{code} has no Chinese summary"
        assert any("\u4e00" <= ch <= "\u9fff" for ch in explanation.prose["zh"]), f"{code}: zh is not Chinese"


@pytest.mark.parametrize("code", sorted(set(CATALOGUE) - NOT_SHOWN_BY_EXAMPLE))
def test_example_reports_its_code_and_the_fixed_one_does_not(code, tmp_path):
    explanation = EXPLANATIONS[code]
    assert explanation.example is not None and explanation.fixed is not None, f"{code} has no example"
    assert code in _reported(explanation, "example", tmp_path / "example"), f"{code}'s example does not report it"
    assert code not in _reported(explanation, "fixed", tmp_path / "fixed"), f"{code}'s fixed example still reports it"


def _reported(explanation, which: str, root: Path) -> set[str]:
    write_project(root, explanation.project_files(which))  # its sopc.toml and groups.csv replace the defaults
    result = run_sopc("check", ".", "--format", "json", "--now", EXAMPLE_NOW, *explanation.check_args(which), cwd=root)
    assert result.exit_code in (0, 1), result.stderr
    return {d["code"] for d in json.loads(result.stdout)["diagnostics"]}


def test_explain_prints_the_explanation_with_its_example_and_fix(tmp_path):
    result = run_sopc("explain", "E0304", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("E0304 (error): a group gets more posts in a day than the playbook's `cap`\n")
    assert "`sopc check` reports E0304 here:" in result.stdout and "Fixed:" in result.stdout
    assert '      周四 15:00 thu_3 "周四第三条"' in result.stdout  # the example, indented as a listing


def test_explain_takes_a_code_as_people_type_it(tmp_path):
    for typed in ("e304", "304", "W302", "w0302"):
        result = run_sopc("explain", typed, cwd=tmp_path)
        assert result.exit_code == 0, (typed, result.stderr)


def test_explain_shows_project_files_of_the_example(tmp_path):
    result = run_sopc("explain", "E0605", cwd=tmp_path)
    assert "sopc.toml:\n    timezone" in result.stdout and 'key_env = "BK_WECOM_BOT_KEY"' in result.stdout


def test_an_unknown_code_is_a_usage_error_naming_it(tmp_path):
    result = run_sopc("explain", "E9999", cwd=tmp_path)
    assert result.exit_code == 2
    assert "no diagnostic code `E9999`; `sopc explain` lists them all" in result.stderr


def test_explain_without_a_code_lists_every_code_by_family(tmp_path):
    result = run_sopc("explain", cwd=tmp_path)
    assert result.exit_code == 0
    listed = [line.split()[0] for line in result.stdout.splitlines() if line.startswith("  ")]
    assert listed == list(CATALOGUE)


def test_a_chinese_locale_gets_the_chinese_explanation(tmp_path):
    result = run_sopc("explain", "E0304", cwd=tmp_path, env={"LANG": "zh_CN.UTF-8", "LC_ALL": None, "SOPC_LANG": None})
    assert result.stdout.startswith("E0304（错误）：某个群一天收到的消息超过剧本的 `cap`\n")
    assert "`sopc check` 在这里报告 E0304：" in result.stdout and "改正后：" in result.stdout
    english = run_sopc("explain", "E0304", cwd=tmp_path, env={"LANG": "zh_CN.UTF-8", "SOPC_LANG": "en"})
    assert english.stdout.startswith("E0304 (error)")
