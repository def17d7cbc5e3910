"""An operator with LANG=zh_CN.UTF-8 reads only Chinese from the command
line: help pages (sopc's own texts and click's words), errors, `sopc init`,
`sopc run`'s log and `sopc status`. `--lang en` gives the English back;
JSON, codes and exit statuses are the same in both.

"Only Chinese" is checked by a heuristic a person would agree with: once
code is taken out (backticked spans, quoted values, option names, paths,
ids, placeholders, CAPITAL metavars, command names and the names of
products and formats), no English word of 4 or more letters is left.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sopc.cli import cli

NOW = "2026-11-23T09:00"
# Words that stay as they are in Chinese text: commands, formats, products, protocols.
CODE_WORDS = {
    "sopc", "check", "plan", "init", "event", "serve", "pause", "resume", "senders", "status", "explain",
    "diff", "report", "test", "text", "json", "jsonl", "markdown", "main", "master", "table", "html", "xlsx", "excel", "outlook",
    "google", "feishu", "scrm", "http", "https", "bearer", "post", "healthz", "cron", "systemd", "sighup",
    "sigterm", "ctrl", "openssl", "export", "hex", "rand", "port", "jq", "counts", "utf", "bom", "pid",
    "lang", "zh", "en", "msgid", "tls", "idempotency", "key", "header", "events", "true", "false", "none",
    "member", "joined", "purchased", "message", "left", "tagged", "group", "stage", "name", "order",
    "welfare", "from", "with",
}
CODE = re.compile(r"`[^`]*`|'[^']*'|\"[^\"]*\"|\{[^}]*\}|\[[^\]]*\|[^\]]*\]"   # `code`, 'value', {name}, [a|b]
                  r"|\S*[-_/=$<>@|#\\]\S*|\S*[.:]\w\S*"                      # --option, hz_001, a/b, a.sop, .key, 10:00
                  r"|\b[A-Z][A-Z0-9_]+\b")                                     # PATHS, DATE, SOPC_NOW
WORD = re.compile(r"[A-Za-z]{4,}")


def english_words(text: str) -> list[str]:
    """The English words left in ``text`` once code is taken out."""
    prose = CODE.sub(" ", text)
    return [word for word in WORD.findall(prose) if word.lower() not in CODE_WORDS]


def test_the_heuristic_finds_english_and_leaves_code_alone():
    assert english_words("用法: sopc check [选项] [PATHS]... 检查 `sopc check --strict` 的 my-sop hz_001 {count}") == []
    assert english_words("错误：没有选项 '--bogus'。Try 'sopc check --help' for help.") == ["help"]
    assert english_words("Options:\n  --format [text|json]  text for people") == ["Options", "people"]
    assert english_words("Error: No such option '--bogus'.") == ["Error", "such", "option"]


def _environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("SOPC_LANG", "LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE", "SOPC_NOW")}
    env.update(NO_COLOR="1", PYTHONIOENCODING="utf-8", COLUMNS="100", **extra)
    return env


def sopc(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sopc", *args], cwd=cwd, env=_environment(**env),
                          capture_output=True, text=True, encoding="utf-8", timeout=120)


@pytest.fixture(scope="module")
def ran(tmp_path_factory) -> Path:
    """A project made by `sopc init`, run once on its first morning and
    again two days later (so its state has sent and missed messages)."""
    folder = tmp_path_factory.mktemp("zh")
    for args in (("init", "demo", "--now", NOW), ("run", "demo", "--once", "--now", "2026-11-23T10:00"),
                 ("run", "demo", "--once", "--now", "2026-11-25T18:00")):
        done = sopc(*args, cwd=folder, SOPC_LANG="en")
        assert done.returncode == 0, done.stderr
    return folder


@pytest.mark.parametrize("args", [("--help",), ("check", "--help"), ("plan", "--help"), ("run", "--help"),
                                  ("--lang", "zh", "status", "--help")])
def test_help_pages_are_chinese_with_a_chinese_locale(ran, args):
    done = sopc(*args, cwd=ran, LANG="zh_CN.UTF-8")
    assert done.returncode == 0, done.stderr
    page = done.stdout
    assert page.startswith("用法: sopc") and "选项:" in page and "显示本帮助并退出。" in page
    assert english_words(page) == [], page


def test_help_follows_lang_over_the_locale(ran):
    chinese = sopc("--lang", "zh", "check", "--help", cwd=ran, LANG="en_US.UTF-8")
    assert "检查剧本，一次报告所有问题。" in chinese.stdout and english_words(chinese.stdout) == []
    english = sopc("--lang", "en", "check", "--help", cwd=ran, LANG="zh_CN.UTF-8")
    assert english.stdout.startswith("Usage: sopc check [OPTIONS] [PATHS]...")
    assert "Check playbooks and report every problem at once." in english.stdout
    assert "Show this message and exit." in english.stdout and "检查剧本" not in english.stdout
    # --lang after --help still decides (the language is read before click acts on --help)
    assert "显示本帮助并退出。" in sopc("--help", "--lang", "zh", cwd=ran, LANG="C").stdout


@pytest.mark.parametrize("args, exit_status", [
    (("check", "--bogus"), 2),                          # click: unknown option
    (("check", "--fromat", "json"), 2),                 # ... with a did-you-mean
    (("plan", "demo", "--format", "pdf"), 2),           # a choice it does not have
    (("event", "--file", "nosuch.jsonl", "demo"), 2),   # a file that is not there
    (("pause",), 2),                                    # a missing argument
    (("status", "nosuch"), 1),                          # no run state
    (("plan", "demo", "--group", "hz_999", "--now", NOW), 2),  # sopc's own usage error, with its hint
])
def test_errors_are_chinese_and_exit_as_in_english(ran, args, exit_status):
    chinese = sopc(*args, cwd=ran, LANG="zh_CN.UTF-8")
    english = sopc(*args, cwd=ran, LANG="en_US.UTF-8")
    assert chinese.returncode == english.returncode == exit_status, chinese.stderr
    assert "错误" in chinese.stderr and english_words(chinese.stderr) == [], chinese.stderr
    assert "Error" in english.stderr or "error" in english.stderr


def test_status_init_and_run_speak_chinese(ran, tmp_path):
    status = sopc("status", "demo", cwd=ran, LANG="zh_CN.UTF-8")
    assert status.returncode == 0, status.stderr
    assert "运行器  未运行" in status.stdout and "3 已发" in status.stdout
    assert "错过：迟了 6h30m，超过宽限时间 10m（sopc run 是否停过？）" in status.stdout
    assert english_words(status.stdout) == [], status.stdout

    made = sopc("init", "新项目", "--now", NOW, cwd=tmp_path, LANG="zh_CN.UTF-8")
    assert made.returncode == 0 and "已创建 新项目/sopc.toml" in made.stdout
    assert english_words(made.stdout) == [], made.stdout

    run = sopc("run", "新项目", "--once", "--now", "2026-11-23T10:00", cwd=tmp_path, LANG="zh_CN.UTF-8")
    assert run.returncode == 0, run.stderr
    log = run.stderr
    assert "已安排 3 条新消息" in log and "已发 11-23 10:00 welfare/coupon_pack -> hz_001" in log
    assert "完成：已发 3，失败 0" in log and english_words(log) == [], log
    quiet = sopc("run", "新项目", "--once", "-q", "--now", "2026-11-23T10:00", cwd=tmp_path, LANG="zh_CN.UTF-8")
    assert quiet.returncode == 0 and "已发 11-23" not in quiet.stderr  # -q leaves out the routine lines


def test_json_codes_and_exit_statuses_do_not_change_with_the_language(ran):
    outputs = [sopc("status", "demo", "--format", "json", cwd=ran, LANG=lang) for lang in ("zh_CN.UTF-8", "C")]
    assert outputs[0].returncode == outputs[1].returncode == 0
    assert json.loads(outputs[0].stdout) == json.loads(outputs[1].stdout)


def test_every_command_has_a_chinese_help_page(run_sopc, tmp_path):
    """Commands added later are covered too: each one's page is checked, and
    the catalogue test (test_i18n) fails while its texts lack Chinese."""
    for name in sorted(cli.commands):
        done = run_sopc("--lang", "zh", name, "--help", cwd=tmp_path)
        assert done.exit_code == 0, done.output
        assert english_words(done.stdout) == [], f"sopc {name} --help:\n{done.stdout}"
    english = run_sopc("--lang", "en", "plan", "--help", cwd=tmp_path)
    assert "Show every message the playbooks send" in english.stdout


def test_a_chinese_run_in_process_leaves_the_environment_as_it_found_it(run_sopc, tmp_path, monkeypatch):
    """click's words come from $LANGUAGE in Chinese; English puts it back,
    so the programs other tests start (git, node) speak as before."""
    import gettext

    from sopc.terminal import speak

    monkeypatch.setenv("LANGUAGE", "fr")
    assert "显示本帮助并退出。" in run_sopc("--lang", "zh", "--help", cwd=tmp_path).stdout
    assert os.environ["LANGUAGE"] == "zh" and gettext.gettext("Usage:") == "用法:"
    speak("en")
    assert os.environ["LANGUAGE"] == "fr" and gettext.gettext("Usage:") == "Usage:"
