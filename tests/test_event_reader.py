"""The one event reader: `check/plan --events`, `sopc event` and `sopc serve`
give the same verdict on the same record (they used to disagree)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sopc.events.intake import parse_records
from sopc.events.reader import decode_json, load_events, read_event, read_jsonl, record_from_options

ZONE = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=ZONE)
GOOD = {"event": "member.joined", "group": "g1", "member": "m1", "at": "2026-11-24T10:00:00+08:00"}

REFUSED = [
    pytest.param({**GOOD, "colour": "red"}, "unknown field \"colour\"", id="unknown-field"),
    pytest.param({**GOOD, "event": "member.silent"}, "is not reported", id="derived-event"),
    pytest.param({**GOOD, "event": "member.joind"}, "did you mean", id="misspelt-event"),
    pytest.param({**GOOD, "data": {"group": "g2"}}, "field of every event", id="reserved-data-key"),
    pytest.param({**GOOD, "member": 7}, "\"member\" must be a string", id="member-not-text"),
    pytest.param({**GOOD, "at": "tomorrow"}, "ISO 8601", id="bad-time"),
]


def write_events(tmp_path, *records) -> Path:
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.mark.parametrize("record, problem", REFUSED)
def test_every_entrance_refuses_the_same_record_for_the_same_reason(tmp_path, record, problem):
    events, diagnostics = load_events(write_events(tmp_path, GOOD, record), "Asia/Shanghai")
    intake = parse_records([record], zone=ZONE, now=NOW, roster_ids=None)

    assert [e.member for e in events] == ["m1"]          # the good line is still read
    assert [d.code for d in diagnostics] == ["E0702"]
    assert diagnostics[0].span.line == 2                 # located on the bad line
    assert problem in diagnostics[0].message
    assert intake.recorded == [] and problem in intake.rejected[0].message


def test_a_plan_file_needs_at_but_intake_defaults_it_to_now(tmp_path):
    record = {k: v for k, v in GOOD.items() if k != "at"}
    _, diagnostics = load_events(write_events(tmp_path, record), "Asia/Shanghai")
    event, problems = read_event(record, ZONE, default_at=NOW)

    assert "\"at\" is missing" in diagnostics[0].message
    assert event.at == NOW and problems == []


def test_jsonl_lines_are_numbered_and_comments_skipped():
    text = '# events\n\n{"event": "member.left"}\n{not json\n'
    rows = list(read_jsonl(text))
    assert [(n, p is None) for n, _, p in rows] == [(3, True), (4, False)]
    assert "not a JSON object" in rows[1][2]


def test_cli_options_make_the_same_record_a_file_line_would():
    record = record_from_options("member.purchased", group="g1", member="m1", at=NOW,
                                 data=("amount=19.9", "vip=true", "order=A1"))
    assert record == {"event": "member.purchased", "group": "g1", "member": "m1", "at": NOW.isoformat(),
                      "data": {"amount": 19.9, "vip": True, "order": "A1"}}
    with pytest.raises(ValueError, match="KEY=VALUE"):
        record_from_options("member.left", group="g1", member="m1", data=("novalue",))


def test_one_vocabulary_serves_the_parser_the_planner_and_the_checks():
    """@all, @member, the template names and the weekday names have one owner."""
    from sopc.compile.templates import TemplateStore  # noqa: F401  (imports cleanly without its own list)
    from sopc.core import vocabulary
    from sopc.core.timeutil import WEEKDAY_CN, zone_or_default
    from sopc.lang.ast import Mention
    from sopc.core.diagnostics import Span

    assert WEEKDAY_CN is vocabulary.WEEKDAY_CN
    assert all(Mention(target=w, span=Span.point("x")).is_all for w in vocabulary.ALL_MENTIONS)
    assert all(Mention(target=w, span=Span.point("x")).is_member for w in vocabulary.MEMBER_MENTIONS)
    assert vocabulary.ALWAYS_PROVIDED < vocabulary.BUILTIN_NAMES
    assert vocabulary.PER_SLOT_NAMES >= {"date", "time", "member", "T"}
    assert str(zone_or_default(None)) == str(zone_or_default("Not/AZone")) == vocabulary.DEFAULT_ZONE


def test_strings_left_out_of_the_depth_count_are_the_closed_ones():
    """The nesting pre-check leaves out exactly what the JSON string pattern
    `"(?:[^"\\]|\\.)*"` matched, in linear time (the pattern took 19 s on a
    record of escaped quotes never closed)."""
    import random
    import re

    from sopc.events.reader import _without_strings

    pattern = re.compile(r'"(?:[^"\\]|\\.)*"')
    rng = random.Random(3)
    for _ in range(30_000):
        text = "".join(rng.choice('"\\\n[{ab') for _ in range(rng.randint(0, 20)))
        assert _without_strings(text) == pattern.sub("", text), repr(text)


def test_a_deep_record_behind_an_open_string_is_refused_by_its_depth():
    record = '{"tags": ' + "[" * 40 + '"' + '\\"' * 30_000
    value, why = decode_json(record)
    assert value is None and why == "not a JSON object: nested 41 deep; at most 32"
