"""Hostile and careless input (issue 11, findings 1, 2, 5 and 8): every time
that enters sopc lies in the dates it plans (2000-01-01 to 2099-12-31), every
file and record is bounded in size, depth and digits, and what is beyond a
limit is refused with a located message, never a traceback and never stored.
One bad row in an old state database never stops the others.

Real parts throughout: projects on disk, the command line in process
(click's CliRunner), a real SQLite state file written to by hand as an older
sopc would have, and a real `sopc serve` process on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from projects import write_project

from sopc import pipeline
from sopc.core.clock import parse_now
from sopc.core.events import Event
from sopc.core.limits import (FIRST_DAY, LAST_DAY, MAX_CAP, MAX_COLUMNS, MAX_CONFIG_BYTES, MAX_DIGITS,
                               MAX_EVENT_LINE, MAX_EVENTS_FILE_BYTES, MAX_NESTING, MAX_ROSTER_BYTES, size_text)
from sopc.core.timeutil import load_zone, range_problem
from sopc.events.reader import load_events, read_event
from sopc.plan.triggers import trigger_slots

NOW = "2026-11-23T10:00:30"
ZONE = load_zone("Asia/Shanghai")
OUTSIDE = "is outside the dates sopc plans (2000-01-01 to 2099-12-31)"

OUTBOX_TOML = '''timezone = "Asia/Shanghai"

[senders.outbox]
kind = "file"
path = "outbox.jsonl"
'''

# The welcome goes out at once; the coupon a day later: for an event at
# 9999-12-31 that day does not exist, and today's sopc overflowed on it.
MEMBERS = '''
playbook members "会员"
  to groups tagged 福利群
  sender outbox
  quiet off
  on member.joined repeat
    +0             welcome  "欢迎 {{ member.name }}" @member
    +1d at 10:00   coupon   "{{ member.name }} 的新人券" @member
'''


@pytest.fixture
def members(tmp_path) -> Path:
    return write_project(tmp_path / "proj", {"sopc.toml": OUTBOX_TOML, "m.sop": MEMBERS})


def _outbox(root: Path) -> list[dict]:
    path = root / "outbox.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def _event_rows(root: Path) -> list[tuple]:
    state = root / ".sopc" / "state.db"
    if not state.exists():
        return []
    with sqlite3.connect(state) as db:
        return db.execute("SELECT member, at FROM events ORDER BY seq").fetchall()


def _joined(member: str, at: str, group: str = "hz_001") -> str:
    return json.dumps({"event": "member.joined", "group": group, "member": member, "name": member, "at": at})


# ---- finding 1: the time range ------------------------------------------------------------------

def test_the_range_is_2000_to_2099_judged_by_the_date_as_written():
    assert (FIRST_DAY, LAST_DAY) == (dt.date(2000, 1, 1), dt.date(2099, 12, 31))
    assert range_problem(dt.date(2000, 1, 1)) is None and range_problem(dt.date(2099, 12, 31)) is None
    assert range_problem(dt.date(1999, 12, 31)) == f"1999-12-31 {OUTSIDE}"
    # Year 1 with a +08:00 offset is before datetime's first instant in UTC:
    # judging it must not convert it.
    year_one = dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert range_problem(year_one) == f"0001-01-01 {OUTSIDE}"
    assert range_problem(dt.datetime(9999, 12, 31, 23, 59, tzinfo=ZONE)) == f"9999-12-31 {OUTSIDE}"
    with pytest.raises(ValueError, match="outside the dates sopc plans"):
        parse_now("9999-12-31T23:59", ZONE)


def test_an_event_far_in_the_future_is_refused_by_sopc_event_and_nothing_is_recorded(members, run_sopc):
    result = run_sopc("event", "member.joined", str(members), "--group", "hz_001", "--member", "m1",
                      "--at", "9999-12-31T23:59", cwd=members.parent)
    assert result.exit_code == 2, result.stderr
    assert f"--at: 9999-12-31 {OUTSIDE}" in result.stderr
    assert _event_rows(members) == []


@pytest.mark.parametrize("args, option", [
    (("check", "{root}", "--now", "9999-12-31T10:00"), "--now"),
    (("check", "{root}", "--now", "0001-01-01T00:00+08:00"), "--now"),
    (("plan", "{root}", "--now", "9999-12-31T10:00"), "--now"),
    (("plan", "{root}", "--from", "9999-12-25"), "--from"),
    (("plan", "{root}", "--from", "2026-11-23", "--to", "9999-12-31"), "--to"),
    (("run", "{root}", "--once", "--now", "0001-01-01T00:00"), "--now"),
    (("pause", "members", "{root}", "--now", "2100-01-01"), "--now"),
])
def test_every_time_option_is_range_checked_with_a_usage_error(members, run_sopc, args, option):
    result = run_sopc(*(a.replace("{root}", str(members)) for a in args), cwd=members.parent)
    assert result.exit_code == 2, result.stderr
    assert option in result.stderr and OUTSIDE in result.stderr


def test_sopc_now_out_of_range_is_named_as_the_variable(members, run_sopc):
    result = run_sopc("plan", str(members), cwd=members.parent, env={"SOPC_NOW": "9999-12-31T10:00"})
    assert result.exit_code == 2 and "SOPC_NOW" in result.stderr and OUTSIDE in result.stderr


def test_an_events_file_line_out_of_range_is_a_located_error(members, run_sopc, tmp_path):
    events = tmp_path / "events.jsonl"
    events.write_text(_joined("m1", "2026-11-23T10:00") + "\n" + _joined("m2", "9999-12-31T23:59") + "\n",
                      encoding="utf-8")
    for command in ("check", "plan"):
        result = run_sopc(command, str(members), "--now", NOW, "--events", str(events), cwd=tmp_path)
        assert result.exit_code == 1, result.stderr
        assert f"events.jsonl:2:1: error[E0702]: \"at\": 9999-12-31 {OUTSIDE}" in result.stderr


def test_the_reader_refuses_an_at_out_of_range_as_serve_and_event_read_it():
    event, problems = read_event(json.loads(_joined("m1", "0001-01-01T00:00")), ZONE)
    assert event is None and problems == [f"\"at\": 0001-01-01 {OUTSIDE}"]


def test_launch_and_active_dates_out_of_range_are_E0111(project, run_sopc):
    root = project({"sopc.toml": OUTBOX_TOML, "t.sop": '''
timeline sale
  T go "开抢"

playbook launches "快闪"
  to all groups
  sender outbox
  active 0001-01-01 to 2026-12-31
  run sale at 9999-12-31 20:00 in group hz_001
'''})
    result = run_sopc("check", str(root), "--now", NOW, "--format", "json", cwd=root.parent)
    found = {(d["code"], d["line"]) for d in json.loads(result.stdout)["diagnostics"]}
    assert ("E0111", 8) in found and ("E0111", 9) in found, result.stdout
    assert result.exit_code == 1


def test_a_roster_created_date_out_of_range_is_refused(project, run_sopc):
    root = project({"sopc.toml": OUTBOX_TOML, "m.sop": MEMBERS,
                    "groups.csv": "id,name,tags,created\nhz_001,一群,福利群,9999-12-31\n"})
    result = run_sopc("check", str(root), "--now", NOW, cwd=root.parent)
    assert result.exit_code == 1
    assert f"groups.csv:2:15: error[E0614]: `created`: 9999-12-31 {OUTSIDE}" in result.stderr


def test_a_plan_given_an_event_out_of_range_plans_the_others_and_names_it(members):
    """The trigger expansion guards each event: a library caller that hands
    it an event no reader would take still gets every other event's plan."""
    build = pipeline.build([members])
    good = Event(kind="member.joined", group="hz_001", member="m1", at=dt.datetime(2026, 11, 23, 10, tzinfo=ZONE),
                 name="小王")
    bad = Event(kind="member.joined", group="hz_001", member="m2", at=dt.datetime(9999, 12, 31, 23, 59, tzinfo=ZONE))
    start, end = pipeline.plan_window(ZONE, dt.date(2026, 11, 23))
    texts = [m.text for m in pipeline.plan(build, start, end, events=(good, bad))]
    assert texts.count("欢迎 小王") == 1 and "小王 的新人券" in texts
    refused: list = []
    slots = trigger_slots(build.program, [bad, good], start, end, refused=refused)
    assert [s.member["id"] for s in slots] == ["m1", "m1"]
    assert refused == [(bad, f"9999-12-31 {OUTSIDE}")]


def _old_state(root: Path, run_sopc) -> Path:
    """A state where `sopc event` recorded m1 and an older sopc (here: SQL
    by hand) recorded events it would refuse today."""
    recorded = run_sopc("event", "member.joined", str(root), "--group", "hz_001", "--member", "m1", "--name", "小王",
                        "--at", "2026-11-23T10:00", cwd=root.parent)
    assert recorded.exit_code == 0, recorded.stderr
    state = root / ".sopc" / "state.db"
    with sqlite3.connect(state) as db:
        db.executemany(
            "INSERT INTO events (kind, grp, member, at, name, data, argument, received) VALUES (?,?,?,?,?,?,?,0)",
            [("member.joined", "hz_001", "m9", "9999-12-31T23:59:00+08:00", None, "{}", None),
             ("member.joined", "hz_001", "m0", "0001-01-01T00:00:00+08:00", None, "{}", None),
             ("member.joined", "hz_002", "m7", "2026-11-23T09:00", None, "{}", None),    # no offset
             ("member.joined", "hz_002", "m6", "2026-11-23T09:00:00+08:00", None, "{", None)])  # data not JSON
    return state


def test_run_once_with_bad_events_in_an_old_state_delivers_the_others_and_says_what_it_skipped(members, run_sopc):
    _old_state(members, run_sopc)
    result = run_sopc("run", str(members), "--once", "--now", "2026-11-23T10:01", cwd=members.parent)
    assert result.exit_code == 0, result.stderr
    assert [m["text"] for m in _outbox(members)] == ["欢迎 小王"]
    log = result.stderr
    assert f"event member.joined m9 in hz_001 at 9999-12-31T23:59:00+08:00 is not planned: 9999-12-31 {OUTSIDE}" in log
    assert f"event member.joined m0 in hz_001 at 0001-01-01T00:00:00+08:00 is not planned: 0001-01-01 {OUTSIDE}" in log
    assert "event #4 in the state cannot be read and is not planned: its time '2026-11-23T09:00' is not a time " \
           "with a UTC offset" in log
    assert "event #5 in the state cannot be read and is not planned: its data is not a JSON object" in log
    # The next day the coupon of the good event goes out as planned.
    later = run_sopc("run", str(members), "--once", "--now", "2026-11-24T10:00:30", cwd=members.parent)
    assert later.exit_code == 0, later.stderr
    assert [m["text"] for m in _outbox(members)] == ["欢迎 小王", "小王 的新人券"]


def test_a_dry_run_over_an_old_state_shows_the_others_too(members, run_sopc):
    _old_state(members, run_sopc)
    result = run_sopc("run", str(members), "--dry-run", "--now", "2026-11-23T10:01", cwd=members.parent)
    assert result.exit_code == 0, result.stderr
    assert "欢迎 小王" in result.stdout and "is not planned" in result.stderr


# ---- finding 2: validated before written, printed from the validated value ----------------------

def test_event_at_year_one_records_nothing_so_a_retry_cannot_record_it_twice(members, run_sopc):
    for _ in range(2):  # the user retries
        result = run_sopc("event", "member.joined", str(members), "--group", "hz_001", "--member", "m1",
                          "--at", "0001-01-01T00:00", cwd=members.parent)
        assert result.exit_code == 2 and f"--at: 0001-01-01 {OUTSIDE}" in result.stderr
    assert _event_rows(members) == []


def test_an_events_file_at_year_one_records_nothing(members, run_sopc, tmp_path):
    events = tmp_path / "e.jsonl"
    events.write_text(_joined("m1", "2026-11-23T10:00") + "\n" + _joined("m2", "0001-01-01T00:00") + "\n",
                      encoding="utf-8")
    result = run_sopc("event", "--file", str(events), str(members), cwd=tmp_path)
    assert result.exit_code == 1
    assert f"{events}:2: error: \"at\": 0001-01-01 {OUTSIDE}" in result.stderr
    assert _event_rows(members) == []


# ---- finding 5: bounded inputs, located diagnostics ---------------------------------------------

def _check(root: Path, run_sopc, *extra: str):
    result = run_sopc("check", str(root), "--now", NOW, *extra, cwd=root.parent)
    assert "Traceback" not in result.stderr
    return result


def test_a_cap_of_5000_digits_in_sopc_toml_is_E0619_on_its_line(project, run_sopc):
    root = project({"sopc.toml": OUTBOX_TOML + "\n[defaults]\ncap = 1" + "0" * 5000 + "\n", "m.sop": MEMBERS})
    result = _check(root, run_sopc)
    assert result.exit_code == 1
    assert f"sopc.toml:8:7: error[E0619]: sopc.toml: a whole number of more than {MAX_DIGITS} digits" in result.stderr


@pytest.mark.parametrize("value", ["[" * 2000 + "]" * 2000, "{a=" * 2000 + "1" + "}" * 2000,
                                   "[" * (MAX_NESTING + 2) + "]" * (MAX_NESTING + 2)])
def test_a_deeply_nested_value_in_sopc_toml_is_E0619(project, run_sopc, value):
    root = project({"sopc.toml": OUTBOX_TOML + "\n[calendar]\nx = " + value + "\n", "m.sop": MEMBERS})
    result = _check(root, run_sopc)
    assert result.exit_code == 1
    assert f"sopc.toml:8:1: error[E0619]: sopc.toml: arrays or tables nested more than {MAX_NESTING} deep" \
        in result.stderr


@pytest.mark.parametrize("vars_value, message", [
    ("[" * 2000 + "]" * 2000, f"arrays or tables nested more than {MAX_NESTING} deep"),
    ("1" + "0" * 5000, f"a whole number of more than {MAX_DIGITS} digits"),
    ("1" + "0" * 40, f"a whole number of more than {MAX_DIGITS} digits"),
])
def test_a_toml_roster_beyond_the_limits_is_E0619(project, run_sopc, vars_value, message):
    root = project({"sopc.toml": OUTBOX_TOML + 'roster = "groups.toml"\n', "m.sop": MEMBERS,
                    "groups.toml": f'[[groups]]\nid = "hz_001"\ntags = ["福利群"]\nvars = {{ x = {vars_value} }}\n'})
    # `roster` after [senders.outbox] would belong to it: put it first.
    (root / "sopc.toml").write_text('roster = "groups.toml"\n' + OUTBOX_TOML, encoding="utf-8")
    result = _check(root, run_sopc)
    assert result.exit_code == 1
    assert f"groups.toml:4:" in result.stderr and f"error[E0619]: groups.toml: {message}" in result.stderr


def test_a_file_over_its_size_limit_is_refused_before_it_is_read(project, run_sopc, monkeypatch):
    import sopc.project.config as config

    root = project({"sopc.toml": OUTBOX_TOML + "# " + "x" * 2000 + "\n", "m.sop": MEMBERS})
    monkeypatch.setattr(config, "MAX_CONFIG_BYTES", 1024)
    result = _check(root, run_sopc)
    assert result.exit_code == 1
    assert "error[E0619]: sopc.toml is 2" in result.stderr and "at most 1 KiB" in result.stderr


@pytest.mark.parametrize("data, message", [
    # the record and its data are two levels; JSON parses 100 more, sopc does not take them
    ("[" * 100 + "]" * 100, f"nested 102 deep; at most {MAX_NESTING}"),
    ("[" * 30_000 + "]" * 30_000, f"nested 30002 deep; at most {MAX_NESTING}"),   # RecursionError in json
    ("[" * 40_000 + "]" * 40_000, "a record is 80104 characters long; at most 65536"),
    ("1" + "0" * 5000, f"a number has 5001 digits; at most {MAX_DIGITS}"),
    ("1" + "0" * 40, f"a number has 41 digits; at most {MAX_DIGITS}"),
])
def test_an_events_file_line_beyond_the_limits_is_a_located_error(members, run_sopc, tmp_path, data, message):
    events = tmp_path / "events.jsonl"
    record = ('{"event": "member.joined", "group": "hz_001", "member": "m1", "at": "2026-11-23T10:00", '
              f'"data": {{"x": {data}}}}}')
    events.write_text(_joined("m0", "2026-11-23T10:00") + "\n" + record + "\n", encoding="utf-8")
    result = _check(members, run_sopc, "--events", str(events))
    assert result.exit_code == 1
    message = message if message.startswith("a record") else f"not a JSON object: {message}"
    assert f"events.jsonl:2:1: error[E0702]: {message}" in result.stderr
    recorded = run_sopc("event", "--file", str(events), str(members), cwd=tmp_path)
    assert recorded.exit_code == 1 and f"{events}:2: {message}; nothing recorded" in recorded.stderr
    assert _event_rows(members) == []


def test_the_reader_refuses_huge_numbers_and_deep_nesting_however_the_record_was_decoded():
    """`sopc serve` decodes its body itself: the reader still bounds what it built."""
    base = json.loads(_joined("m1", "2026-11-23T10:00"))
    deep: list = []
    for _ in range(MAX_NESTING + 5):
        deep = [deep]
    cases = {"n": 10 ** 40, "list": [1, 10 ** 40], "deep": deep}
    expected = {"n": f"has more than {MAX_DIGITS} digits",
                "list": f"holds a number that has more than {MAX_DIGITS} digits",
                "deep": f"is nested more than {MAX_NESTING} deep"}
    for key, value in cases.items():
        event, problems = read_event({**base, "data": {key: value}}, ZONE)
        assert event is None and problems == [f"\"data\".\"{key}\" {expected[key]}"]
    event, problems = read_event({**base, "data": {"n": 10 ** 29}}, ZONE)
    assert event is not None and not problems


def test_a_cap_and_a_step_variable_of_5000_digits_in_a_playbook_are_E0112(project, run_sopc):
    root = project({"sopc.toml": OUTBOX_TOML, "m.sop": f'''
playbook p "测试"
  to all groups
  sender outbox
  cap 1{"0" * 5000}/day
  周一 10:00 hello "共 {{{{ n }}}} 元"  n=1{"0" * 5000}
'''})
    result = run_sopc("check", str(root), "--now", NOW, "--format", "json", cwd=root.parent)
    found = {(d["code"], d["line"], d["message"]) for d in json.loads(result.stdout)["diagnostics"]}
    assert ("E0112", 5, f"a daily cap must be at most {MAX_CAP}") in found
    assert ("E0112", 6, f"`n`: a number of more than {MAX_DIGITS} digits") in found


# ---- finding 8: silent acceptance -----------------------------------------------------------------

def test_event_file_with_invalid_utf8_is_refused_where_it_is_and_nothing_recorded(members, run_sopc, tmp_path):
    events = tmp_path / "e.jsonl"
    events.write_bytes(_joined("m1", "2026-11-23T10:00").encode() + b"\n"
                       + b'{"event": "member.joined", "group": "hz_001", "member": "m\xff2"}\n')
    result = run_sopc("event", "--file", str(events), str(members), cwd=tmp_path)
    assert result.exit_code == 1
    assert f"{events}:2:59: not UTF-8 text: byte 0xff (save the file as UTF-8); nothing recorded" in result.stderr
    assert _event_rows(members) == []
    checked = _check(members, run_sopc, "--events", str(events))
    assert checked.exit_code == 1 and "e.jsonl:2:59: error[E0701]: not UTF-8 text: byte 0xff" in checked.stderr


def test_a_cap_beyond_the_limit_in_sopc_toml_is_refused(project, run_sopc):
    root = project({"sopc.toml": OUTBOX_TOML + "\n[defaults]\ncap = 99999999999999999999999\n", "m.sop": MEMBERS})
    result = _check(root, run_sopc)
    assert result.exit_code == 1
    assert (f"sopc.toml:8:1: error[E0603]: `defaults.cap` must be at most {MAX_CAP} messages per group per day, "
            "not 99999999999999999999999") in result.stderr


@pytest.mark.parametrize("csv_text, where, name", [
    ("id,id,name,tags\nhz_001,hz_002,一群,福利群\n", "1:4", "id"),
    ("id,群ID,name,tags\nhz_001,hz_002,一群,福利群\n", "1:4", "群ID"),     # the same column, by its alias
    ("id,name,tags,store,store\nhz_001,一群,福利群,西湖店,湖滨店\n", "1:20", "store"),
])
def test_a_roster_header_naming_a_column_twice_is_E0620(project, run_sopc, csv_text, where, name):
    root = project({"sopc.toml": OUTBOX_TOML, "m.sop": MEMBERS, "groups.csv": csv_text})
    result = _check(root, run_sopc)
    assert result.exit_code == 1
    assert f"groups.csv:{where}: error[E0620]: the header names column `{name}` twice" in result.stderr


def test_a_roster_over_the_column_limit_is_refused(project, run_sopc):
    header = "id," + ",".join(f"c{i}" for i in range(1200))
    root = project({"sopc.toml": OUTBOX_TOML, "m.sop": MEMBERS, "groups.csv": f"{header}\nhz_001\n"})
    result = _check(root, run_sopc)
    assert result.exit_code == 1 and "error[E0619]: groups.csv has 1201 columns; a roster may have at most 1000" \
        in result.stderr


def test_load_events_locates_a_bad_byte_and_splits_lines_only_at_newlines(tmp_path):
    path = tmp_path / "e.jsonl"
    # U+2028 is allowed raw inside a JSON string; str.splitlines would cut the record there.
    path.write_text(json.dumps({"event": "member.joined", "group": "g", "member": "m", "name": "小\u2028王",
                                "at": "2026-11-23T10:00"}, ensure_ascii=False) + "\n", encoding="utf-8")
    events, problems = load_events(path, "Asia/Shanghai")
    assert not problems and [e.name for e in events] == ["小\u2028王"]


def test_readme_states_the_limits_the_code_holds():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Limits", 1)[1].split("\n### ", 1)[0]
    stated = [f"between {FIRST_DAY} and {LAST_DAY}", f"sopc.toml**: at most {size_text(MAX_CONFIG_BYTES)}",
              f"`cap` at most {MAX_CAP}", f"a file at most {size_text(MAX_ROSTER_BYTES)}",
              f"at most {MAX_COLUMNS:,} columns", f"nested at most {MAX_NESTING} deep",
              f"numbers of at most {MAX_DIGITS} digits", f"a file at most {size_text(MAX_EVENTS_FILE_BYTES)}",
              f"at most {MAX_EVENT_LINE:,} characters"]
    assert [text for text in stated if text not in " ".join(section.split())] == []


# ---- sopc serve: the same reader, a real process ----------------------------------------------------

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_refuses_events_out_of_range_and_huge_numbers_and_keeps_answering(members, tmp_path):
    token = "t0k3n-for-the-bounds-test"
    port = _free_port()
    env = {**os.environ, "SOPC_SERVE_TOKEN": token}
    env.pop("SOPC_NOW", None)
    process = subprocess.Popen([sys.executable, "-m", "sopc", "serve", str(members), "--port", str(port)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp_path)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10,
                          headers={"Authorization": f"Bearer {token}"}) as client:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline and process.poll() is None, "serve did not start"
                time.sleep(0.1)
            for at in ("9999-12-31T23:59", "0001-01-01T00:00"):
                answer = client.post("/events", content=_joined("m1", at), headers={"Content-Type": "application/json"})
                assert answer.status_code == 422, answer.text
                assert OUTSIDE in answer.text
            huge = json.dumps({**json.loads(_joined("m1", "2026-11-23T10:00")), "data": {"n": 10 ** 40}})
            answer = client.post("/events", content=huge, headers={"Content-Type": "application/json"})
            assert answer.status_code == 422 and f"more than {MAX_DIGITS} digits" in answer.text
            assert client.get("/healthz").status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert _event_rows(members) == []
