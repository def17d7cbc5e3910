"""What a fresh `sopc` process loads: a cold start pays for every import, so
a command loads only what its work needs (bench/bench_start.py times it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

REPORT_MODULES = "\nimport sys, json; print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"


def loaded_after(code: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", code + REPORT_MODULES], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


CHECK = """
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo
from sopc import pipeline
now = dt.datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
result = pipeline.check([Path({path!r})], now=now)
assert not result.failed, [d.message for d in result.diagnostics]
list(pipeline.plan(result, now, now + dt.timedelta(days=7)))
"""


def test_checking_a_project_without_cron_steps_does_not_load_croniter():
    assert "cron" not in (ROOT / "examples/burger/playbooks/weekly.sop").read_text(encoding="utf-8")
    loaded = loaded_after(CHECK.format(path="examples/burger"))
    assert "lark" in loaded and "jinja2" in loaded  # it did compile and render
    assert "croniter" not in loaded


def test_a_cron_step_still_loads_croniter_when_it_is_used(tmp_path):
    (tmp_path / "sopc.toml").write_text('timezone = "Asia/Shanghai"\n\n[senders.console]\nkind = "console"\n',
                                        encoding="utf-8")
    (tmp_path / "groups.csv").write_text("id,name\ng1,一群\n", encoding="utf-8")
    (tmp_path / "main.sop").write_text('playbook p "t"\n  to all groups\n  sender console\n'
                                       '  cron "0 10 * * 1" hello "周一好"\n', encoding="utf-8")
    assert "croniter" in loaded_after(CHECK.format(path=str(tmp_path)))


def test_help_loads_no_compiler():
    loaded = loaded_after("from sopc.cli import cli\ntry:\n    cli(['--help'], prog_name='sopc')\n"
                          "except SystemExit:\n    pass")
    assert "click" in loaded
    assert not loaded & {"lark", "jinja2", "croniter", "chinese_calendar", "aiohttp"}


def test_checking_and_planning_a_csv_project_loads_no_spreadsheet_or_calendar_library():
    # openpyxl and icalendar are for an .xlsx roster and the xlsx/ics plan formats only
    loaded = loaded_after(CHECK.format(path="examples/burger"))
    assert not loaded & {"openpyxl", "icalendar", "et_xmlfile", "dateutil"}


# ---- the import graph of the real commands -------------------------------------------
# Not timed (bench/bench_start.py times them): these fail when a new import
# drags a heavy library into every start, which no one would notice otherwise.

# Never needed to check or plan a CSV project: HTTP clients and what they load
# (urllib.request loads email, http.client, ssl), the spreadsheet and calendar
# writers, the run half, and importlib.metadata (sopc.core.plugins reads the
# entry points itself: importing it costs ~25 ms).
NOT_FOR_CHECK_OR_PLAN = {
    "aiohttp", "openpyxl", "icalendar", "croniter", "sqlite3", "asyncio", "importlib.metadata",
    "urllib.request", "email", "email.message", "http.client", "ssl", "socket", "zipfile",
    "sopc.run", "sopc.senders", "sopc.plan.sheets", "sopc.plan.ics",
    "sopc.lang.day_forms",  # words for a syntax error only: a file that parses needs none
}
# What `sopc --help`, `--version` and every command's start must not load:
# no parser, no templates, no calendars.
NOT_AT_START = NOT_FOR_CHECK_OR_PLAN | {"lark", "jinja2", "chinese_calendar", "markupsafe", "tomllib"}


def modules_after_cli(*args: str) -> set[str]:
    """The full names of the modules loaded by `sopc ARGS` in a fresh process
    (the real entry point, run to its exit)."""
    code = ("import atexit, json, sys\n"
            "atexit.register(lambda: print('\\n' + json.dumps(sorted(sys.modules))))\n"
            f"sys.argv = ['sopc', *{list(args)!r}]\n"
            "from sopc.cli import main\n"
            "main()\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode in (0, 1), done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def heavy(loaded: set[str], names: set[str]) -> set[str]:
    """Which of ``names`` (a package standing for all its modules) were loaded."""
    return {name for name in names if name in loaded or any(module.startswith(name + ".") for module in loaded)}


def test_importing_the_cli_loads_no_parser_templates_or_http():
    loaded = modules_after_cli("--version")
    assert "click" in loaded
    assert heavy(loaded, NOT_AT_START) == set()


def test_sopc_check_loads_no_http_run_or_metadata_machinery():
    loaded = modules_after_cli("check", "examples/burger", "--now", "2026-11-23T09:00")
    assert {"lark", "jinja2", "sopc.checks.cadence"} <= loaded  # it did parse, compile and check
    assert heavy(loaded, NOT_FOR_CHECK_OR_PLAN) == set()


def test_sopc_plan_loads_no_http_run_or_metadata_machinery():
    loaded = modules_after_cli("plan", "examples/burger", "--from", "2026-11-23", "--to", "2026-11-29")
    assert {"lark", "jinja2", "sopc.plan.expand"} <= loaded
    assert heavy(loaded, NOT_FOR_CHECK_OR_PLAN) == set()
