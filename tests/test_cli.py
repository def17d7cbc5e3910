"""The command line as users run it: exit codes, output formats, help texts,
and inputs that must never produce a traceback. Commands run in process
(click's CliRunner, see inprocess.py); the installed `sopc` command and
`python -m sopc` run as real processes.

Exit codes: 0 clean, 1 problems (errors, or warnings with --strict),
2 usage errors; 70 would be an internal error and must never happen here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

NOW = "2026-11-23T09:00"

CLEAN = '''playbook welfare "门店福利群"
  to groups tagged 福利群
  周一 10:00 coupon "本周福利来啦,{{ group.store }}见"
  周三 11:30 member_day "会员日:第二杯半价" @all
'''

WARNING_ONLY = '''playbook welfare "门店福利群"
  to groups tagged 福利群
  周二 17:00 greeting "早上好!今天的福利来啦"
'''

ERRORS = '''playbook welfare "门店福利群"
  to groups tagged 福利群
  周八 10:00 coupon "本周福利"
  周一 25:00 draw "抽奖"
  sender consle
'''


def assert_no_crash(result) -> None:
    assert result.exit_code in (0, 1, 2), result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr


def check(run_sopc, folder, *args):
    result = run_sopc("check", *args, "--now", NOW, cwd=folder)
    assert_no_crash(result)
    return result


# ---- exit codes ---------------------------------------------------------------------


def test_clean_project_exits_0(project, run_sopc):
    folder = project({"main.sop": CLEAN})
    result = check(run_sopc, folder)
    assert result.exit_code == 0
    assert "no problems found" in result.stderr


def test_errors_exit_1_with_compiler_style_lines(project, run_sopc):
    folder = project({"main.sop": ERRORS})
    result = check(run_sopc, folder)
    assert result.exit_code == 1
    assert re.search(r"^main\.sop:3:3: error\[E0140\]: unknown weekday `周八`$", result.stderr, re.MULTILINE)
    assert re.search(r"^main\.sop:4:6: error\[E0101\]: ", result.stderr, re.MULTILINE)
    assert re.search(r"^main\.sop:5:10: error\[E0201\]: unknown sender `consle`$", result.stderr, re.MULTILINE)
    assert "= help: did you mean `console`?" in result.stderr
    assert result.stderr.rstrip().endswith("error: 3 errors")


def test_warnings_pass_unless_strict(project, run_sopc):
    folder = project({"main.sop": WARNING_ONLY})
    relaxed = check(run_sopc, folder)
    assert relaxed.exit_code == 0 and "warning[W0302]" in relaxed.stderr
    strict = check(run_sopc, folder, "--strict")
    assert strict.exit_code == 1 and "warning[W0302]" in strict.stderr


def test_check_builds_the_project_once(project, run_sopc, monkeypatch):
    from sopc import pipeline

    builds = []
    real_build = pipeline.build
    monkeypatch.setattr(pipeline, "build", lambda paths, *rest: builds.append(paths) or real_build(paths, *rest))
    assert check(run_sopc, project({"main.sop": WARNING_ONLY})).exit_code == 0
    assert len(builds) == 1


def test_strict_on_a_clean_project_exits_0(project, run_sopc):
    assert check(run_sopc, project({"main.sop": CLEAN}), "--strict").exit_code == 0


def test_a_single_file_argument(project, run_sopc):
    folder = project({"main.sop": CLEAN, "broken.sop": ERRORS})
    assert check(run_sopc, folder, "main.sop").exit_code == 0
    result = check(run_sopc, folder, "broken.sop")
    assert result.exit_code == 1 and "broken.sop:3:3:" in result.stderr


def test_unknown_option_exits_2(project, run_sopc):
    result = run_sopc("check", "--bogus", cwd=project({"main.sop": CLEAN}))
    assert_no_crash(result)
    assert result.exit_code == 2 and "No such option" in result.stderr and "--bogus" in result.stderr


def test_unknown_command_exits_2(tmp_path, run_sopc):
    result = run_sopc("chekc", cwd=tmp_path)
    assert_no_crash(result)
    assert result.exit_code == 2 and "check" in result.stderr


@pytest.mark.parametrize("args, option", [
    (["plan", ".", "--from", "2026-13-01"], "--from"),
    (["plan", ".", "--from", "next monday"], "--from"),
    (["plan", ".", "--from", "2026-11-23", "--to", "2026/11/29"], "--to"),
    (["plan", ".", "--from", "2026-11-23", "--to", "2026-11-20"], "--to"),
    (["check", ".", "--now", "yesterday"], "--now"),
    (["check", ".", "--format", "xml"], "--format"),
])
def test_bad_option_values_exit_2_with_a_clear_message(project, run_sopc, args, option):
    result = run_sopc(*args, cwd=project({"main.sop": CLEAN}))
    assert_no_crash(result)
    assert result.exit_code == 2
    assert f"Invalid value for {option}" in result.stderr or f"Invalid value for '{option}'" in result.stderr
    if option == "--from":
        assert "YYYY-MM-DD" in result.stderr


# ---- JSON ---------------------------------------------------------------------------


def test_json_output_parses_and_counts_match(project, run_sopc):
    folder = project({"main.sop": ERRORS + WARNING_ONLY.replace("playbook welfare", "playbook other")})
    result = check(run_sopc, folder, "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    diagnostics = document["diagnostics"]
    assert document["errors"] == sum(d["severity"] == "error" for d in diagnostics) == 3
    assert document["warnings"] == sum(d["severity"] == "warning" for d in diagnostics) >= 1
    for d in diagnostics:
        assert set(d) == {"severity", "code", "message", "hint", "path", "line", "column", "end_line", "end_column"}
        assert re.fullmatch(r"[EW]\d{4}", d["code"])
    first = diagnostics[0]
    assert (first["path"], first["line"], first["column"], first["code"]) == ("main.sop", 3, 3, "E0140")
    # the text format reports the same diagnostics
    text = check(run_sopc, folder)
    assert len(re.findall(r"^\S+:\d+:\d+: (?:error|warning)\[", text.stderr, re.MULTILINE)) == len(diagnostics)


def test_json_on_a_clean_project(project, run_sopc):
    result = check(run_sopc, project({"main.sop": CLEAN}), "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"diagnostics": [], "errors": 0, "warnings": 0}


def test_json_strict_with_warnings(project, run_sopc):
    result = check(run_sopc, project({"main.sop": WARNING_ONLY}), "--format", "json", "--strict")
    document = json.loads(result.stdout)
    assert result.exit_code == 1 and document["errors"] == 0 and document["warnings"] >= 1


# ---- help ---------------------------------------------------------------------------


def test_top_level_help_shows_examples(tmp_path, run_sopc):
    result = run_sopc("--help", cwd=tmp_path)
    assert result.exit_code == 0
    for command in ("sopc init", "sopc check", "sopc plan"):
        assert command in result.stdout


@pytest.mark.parametrize("command", ["check", "plan", "init"])
def test_each_command_help_has_examples(tmp_path, run_sopc, command):
    result = run_sopc(command, "--help", cwd=tmp_path)
    assert result.exit_code == 0
    assert "Examples:" in result.stdout and f"sopc {command} " in result.stdout


def test_version(tmp_path, run_sopc):
    result = run_sopc("--version", cwd=tmp_path)
    assert result.exit_code == 0 and re.search(r"sopc, version \d+\.\d+", result.stdout)


# ---- init -> check -> plan --------------------------------------------------------------


def test_init_then_check_strict_then_plan(tmp_path, run_sopc):
    init = run_sopc("init", "my-sop", cwd=tmp_path)
    assert_no_crash(init)
    assert init.exit_code == 0, init.stderr
    assert (tmp_path / "my-sop" / "sopc.toml").is_file()
    checked = run_sopc("check", "my-sop", "--strict", "--now", NOW, cwd=tmp_path)
    assert checked.exit_code == 0, checked.stderr
    planned = run_sopc("plan", "my-sop", "--from", "2026-11-23", "--to", "2026-11-29", "--now", NOW, cwd=tmp_path)
    assert planned.exit_code == 0, planned.stderr
    assert "2026-11-23" in planned.stdout and "10:00" in planned.stdout
    jsonl = run_sopc("plan", "my-sop", "--from", "2026-11-23", "--to", "2026-11-29", "--format", "jsonl",
                     "--now", NOW, cwd=tmp_path)
    messages = [json.loads(line) for line in jsonl.stdout.splitlines() if line.strip()]
    assert messages and all(m["text"] for m in messages if m.get("kind") != "action")


def test_init_refuses_to_overwrite(tmp_path, run_sopc):
    assert run_sopc("init", "p", cwd=tmp_path).exit_code == 0
    (tmp_path / "p" / "sopc.toml").write_text("# mine\n", encoding="utf-8")
    again = run_sopc("init", "p", cwd=tmp_path)
    assert_no_crash(again)
    assert again.exit_code != 0 and "already exists" in again.stderr
    assert (tmp_path / "p" / "sopc.toml").read_text(encoding="utf-8") == "# mine\n"


# ---- odd inputs ---------------------------------------------------------------------------


def test_non_utf8_file(project, run_sopc):
    folder = project({"main.sop": "playbook 福利\n  to all groups\n".encode("gbk")})
    result = check(run_sopc, folder)
    assert result.exit_code == 1
    assert "main.sop:1:1: error[E0008]: this file is not UTF-8 text" in result.stderr
    assert "UTF-8" in result.stderr.split("= help:", 1)[1]


def test_utf8_with_bom_is_fine(project, run_sopc):
    folder = project({"main.sop": b"\xef\xbb\xbf" + CLEAN.encode("utf-8")})
    assert check(run_sopc, folder).exit_code == 0


def test_crlf_file_reports_the_same_positions(project, run_sopc):
    folder = project({"main.sop": ERRORS.replace("\n", "\r\n").encode("utf-8")})
    result = check(run_sopc, folder)
    assert result.exit_code == 1 and "main.sop:3:3: error[E0140]" in result.stderr
    assert "\r" not in result.stderr


def test_empty_file(project, run_sopc):
    result = check(run_sopc, project({"main.sop": ""}), "--strict")
    assert result.exit_code == 0, result.stderr


def test_folder_without_sop_files(project, run_sopc):
    folder = project({})
    result = check(run_sopc, folder)
    assert result.exit_code == 1
    assert "error[E0609]: found no .sop files to check" in result.stderr
    document = json.loads(check(run_sopc, folder, "--format", "json").stdout)
    assert [d["code"] for d in document["diagnostics"]] == ["E0609"]


def test_missing_path(project, run_sopc):
    folder = project({"main.sop": CLEAN})
    result = check(run_sopc, folder, "nothere.sop")
    assert result.exit_code == 1
    assert "no such file or folder: nothere.sop" in result.stderr
    document = json.loads(check(run_sopc, folder, "nothere", "--format", "json").stdout)
    assert document["errors"] >= 1


def test_binary_garbage_and_control_characters(project, run_sopc):
    folder = project({"a.sop": bytes(range(256)), "b.sop": "playbook p\n  to all groups\n  周一 10:00 a \"\x00\x1b[31m\"\n"})
    result = check(run_sopc, folder)
    assert result.exit_code == 1
    assert "\x1b[31m" not in result.stderr  # control characters never reach the terminal raw


def test_paths_are_shown_relative_to_where_sopc_runs(project, run_sopc, tmp_path):
    folder = project({"main.sop": 'playbook p\n  to all groups\n  周一 10:00 a template "missing.j2"\n'},
                     name="shop")
    result = run_sopc("check", "shop", "--now", NOW, cwd=tmp_path)
    assert result.exit_code == 1
    assert "shop/main.sop:3:" in result.stderr
    assert str(tmp_path) not in result.stderr
    assert str(folder) not in result.stderr


def test_config_problems_show_the_toml_line(project, run_sopc):
    folder = project({"main.sop": CLEAN, "sopc.toml": '[defaults]\nquiet = 22:00-08:00\n'})
    result = check(run_sopc, folder)
    assert result.exit_code == 1
    assert "sopc.toml:2:" in result.stderr and "quiet = 22:00-08:00" in result.stderr


# ---- as installed: real processes -----------------------------------------------------------


def _process_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SOPC_NOW", "SOPC_DEBUG", "SOPC_STATE")}
    env.update(NO_COLOR="1", PYTHONIOENCODING="utf-8")
    return env


def test_the_installed_sopc_command_checks_a_project(project):
    """The console script pip installs (`sopc = "sopc.launch:main"`) works end to end."""
    command = shutil.which("sopc", path=str(Path(sys.executable).parent))
    assert command, f"no `sopc` command beside {sys.executable}: install with `pip install -e .`"
    folder = project({"main.sop": CLEAN, "broken.sop": ERRORS})
    clean = subprocess.run([command, "check", "main.sop", "--now", NOW], cwd=folder, env=_process_env(),
                           capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert clean.returncode == 0 and "no problems found" in clean.stderr, clean.stderr
    broken = subprocess.run([command, "check", "--now", NOW], cwd=folder, env=_process_env(),
                            capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert broken.returncode == 1 and "broken.sop:3:3: error[E0140]" in broken.stderr, broken.stderr
    assert "Traceback" not in broken.stderr


def test_python_m_sopc_runs_the_command_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "sopc", "--version"], cwd=tmp_path, env=_process_env(),
                            capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert result.returncode == 0 and re.search(r"sopc, version \d+\.\d+", result.stdout)


def test_an_internal_error_exits_70_with_a_short_message_not_a_traceback(project, monkeypatch, capsys):
    from sopc import pipeline
    from sopc.cli import main

    def broken_build(paths, *rest):
        raise RuntimeError("a bug")

    monkeypatch.setattr(pipeline, "build", broken_build)
    monkeypatch.setattr(sys, "argv", ["sopc", "check", str(project({"main.sop": CLEAN})), "--now", NOW])
    monkeypatch.delenv("SOPC_DEBUG", raising=False)
    with pytest.raises(SystemExit) as stopped:
        main()
    assert stopped.value.code == 70
    err = capsys.readouterr().err
    assert "sopc: internal error: RuntimeError: a bug" in err and "SOPC_DEBUG=1" in err
    assert "Traceback" not in err


def test_a_greeting_at_the_wrong_hour_is_quoted_as_written(project, run_sopc):
    """W0302 quotes the greeting as the text writes it, whatever its case,
    and finds it at the end of a long text too."""
    folder = project({"main.sop": '''playbook welfare "门店福利群"
  to groups tagged 福利群
  周二 20:00 evening "Good Morning, everyone"
  周三 10:00 late "{{ 'x' * 3000 }} 晚安~"
'''})
    result = check(run_sopc, folder)
    assert "`evening` says “Good Morning” (good morning) but is sent at 20:00" in result.stderr
    assert "`late` says “晚安” (good night) but is sent at 10:00" in result.stderr
