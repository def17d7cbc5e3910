"""forget_all empties what the process worked out from a project, so a
benchmark's second run costs what a fresh `sopc check` does."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sopc import pipeline
from sopc.checks import cadence
from sopc.core.memo import forget_all
from sopc.plan import schedule

ROOT = Path(__file__).resolve().parents[1]
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def test_forget_all_empties_the_schedule_and_text_memos_a_check_fills(tmp_path, monkeypatch):
    monkeypatch.setenv("SOPC_CACHE_DIR", str(tmp_path))
    pipeline.check([ROOT / "examples" / "burger"], now=NOW)
    assert schedule._memo and cadence._greeting_words.memo.cache_info().currsize
    forget_all()
    assert not schedule._memo
    assert cadence._greeting_words.memo.cache_info().currsize == 0
