"""The layout is the pipeline, and stays so: imports only go down the stages
(import-linter contracts in pyproject.toml), and what each command loads is
what its stage needs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("core", "lang", "project", "events", "compile", "plan", "checks", "run", "senders")


def test_imports_only_go_down_the_pipeline():
    lint = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout or "broken" not in done.stdout.split("Contracts:")[-1]


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_says_what_it_is(stage):
    import importlib

    doc = (importlib.import_module(f"sopc.{stage}").__doc__ or "").strip()
    summary = doc.split("\n\n")[0]
    assert summary.startswith("Stage ") and len(summary.splitlines()) <= 2, \
        f"sopc/{stage}/__init__.py: say the stage in two lines"


def _loaded_after(code: str) -> set[str]:
    probe = code + "\nimport sys, json; print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_the_store_loads_no_parser_templates_or_calendars():
    """`sopc status` and `sopc event` read the state: they need none of the compiler."""
    loaded = _loaded_after("import sopc.run.store, sopc.core.messages, sopc.core.events")
    assert not loaded & {"lark", "jinja2", "croniter", "chinese_calendar", "aiohttp"}


def test_checking_and_planning_load_no_http_client():
    loaded = _loaded_after(
        "import datetime as dt\n"
        "from pathlib import Path\n"
        "from zoneinfo import ZoneInfo\n"
        "from sopc import pipeline\n"
        "now = dt.datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo('Asia/Shanghai'))\n"
        "result = pipeline.check([Path('examples/burger')], now=now)\n"
        "list(pipeline.plan(result, now, now + dt.timedelta(days=7)))\n")
    assert "lark" in loaded and "jinja2" in loaded   # it did compile
    assert not loaded & {"aiohttp", "certifi", "watchfiles", "multidict", "yarl"}
