"""Repeated steps (`T+15m every 15m x3 lottery "第 {{ round }} 轮"`) and
recurring launches (`run live_show every 周三 20:00 [from D] [until D] in ...`),
as a user meets them: `sopc check`, `sopc plan`, and `sopc run --once --now`
on a project with a real SQLite store and a file outbox."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pytest
from projects import write_project

from sopc import pipeline
from sopc.plan import expand as expand_module
from sopc.plan.expand import planned_slots

NOW = "2026-11-23T09:00"  # a Monday; the Wednesdays after it: 11-25, 12-02

OUTBOX_TOML = '''timezone = "Asia/Shanghai"

[defaults]
gap = "10m"

[senders.outbox]
kind = "file"
path = "outbox.jsonl"
'''

LIVE = '''
timeline live_show "直播" max 2h
  T-10m               notice   "{{ host }} {{ T | hhmm }} 开播"
  T+15m every 15m x3  lottery  "第 {{ round }} 轮抽奖"

playbook live
  to groups tagged 快闪群
  sender outbox
  run live_show every 周三 20:00 in groups tagged 快闪群 with host=小美
'''


def _plan(run_sopc, root, *args: str) -> list[dict]:
    result = run_sopc("plan", str(root), "--format", "jsonl", "--now", NOW, *args, cwd=root.parent)
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def _local(message: dict) -> str:
    return dt.datetime.fromisoformat(message["at"]).strftime("%m-%d %H:%M")


def _outbox(root) -> list[dict]:
    path = root / "outbox.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


@pytest.fixture
def live(tmp_path):
    return write_project(tmp_path / "live", {"sopc.toml": OUTBOX_TOML, "live.sop": LIVE})


# ---- repeated steps ------------------------------------------------------------------------

def test_three_rounds_each_its_own_message_with_its_round(live, run_sopc):
    plan = _plan(run_sopc, live, "--from", "2026-11-25", "--to", "2026-11-25")
    assert [(_local(m), m["step"], m["text"]) for m in plan] == [
        ("11-25 19:50", "notice", "小美 20:00 开播"),
        ("11-25 20:15", "lottery#1", "第 1 轮抽奖"),
        ("11-25 20:30", "lottery#2", "第 2 轮抽奖"),
        ("11-25 20:45", "lottery#3", "第 3 轮抽奖"),
    ]
    assert len({m["id"] for m in plan}) == 4


def test_round_ids_are_stable_when_rounds_are_added_or_other_steps_change(live, run_sopc):
    before = {m["step"]: m["id"] for m in _plan(run_sopc, live, "--from", "2026-11-25", "--to", "2026-11-25")}
    edited = LIVE.replace("x3  lottery", "x4  lottery").replace("开播\"", "开播啦\"")
    (live / "live.sop").write_text(edited, encoding="utf-8")
    after = {m["step"]: m["id"] for m in _plan(run_sopc, live, "--from", "2026-11-25", "--to", "2026-11-25")}
    assert set(after) == set(before) | {"lottery#4"}
    assert all(after[step] == before[step] for step in before)


def test_a_step_named_like_a_count_is_still_a_step(tmp_path, run_sopc):
    root = write_project(tmp_path / "p", {"sopc.toml": OUTBOX_TOML, "live.sop": LIVE.replace(
        'T+15m every 15m x3  lottery  "第 {{ round }} 轮抽奖"', 'T+15m x3 "抽奖"')})
    plan = _plan(run_sopc, root, "--from", "2026-11-25", "--to", "2026-11-25")
    assert [m["step"] for m in plan] == ["notice", "x3"]


def test_a_round_past_the_timelines_max_is_an_error_at_the_step(tmp_path, run_sopc):
    root = write_project(tmp_path / "p", {"sopc.toml": OUTBOX_TOML, "live.sop": LIVE.replace(
        "max 2h", "max 40m")})
    result = run_sopc("check", str(root), "--now", NOW, cwd=tmp_path)
    assert result.exit_code == 1
    assert "live.sop:4:9: error[E0305]: round 3 of `lottery` comes at T+45m, 55m after the first step" \
        in result.stderr
    assert "send fewer rounds (`x2`)" in result.stderr


LIFECYCLE = '''
playbook care
  to groups tagged 福利群
  sender outbox
  on member.joined
    +0 at 10:00 every 1d x3   tip    "入群第 {{ round }} 天的小贴士"
    +2h every 1h x2           hello  "第 {{ round }} 次问候 @{{ member.name }}"
'''


def test_lifecycle_steps_repeat_too_each_round_on_its_own_day(tmp_path, run_sopc):
    root = write_project(tmp_path / "p", {"sopc.toml": OUTBOX_TOML, "care.sop": LIFECYCLE})
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps({"event": "member.joined", "group": "hz_001", "member": "m1", "name": "小王",
                                  "at": "2026-11-23T15:00:00+08:00"}, ensure_ascii=False) + "\n", encoding="utf-8")
    plan = _plan(run_sopc, root, "--from", "2026-11-23", "--to", "2026-11-29", "--events", str(events))
    # joined at 15:00, after 10:00: the first tip the next morning, then one a day (none twice on a day)
    assert [(_local(m), m["step"], m["text"]) for m in plan] == [
        ("11-23 17:00", "hello#1", "第 1 次问候 @小王"),
        ("11-23 18:00", "hello#2", "第 2 次问候 @小王"),
        ("11-24 10:00", "tip#1", "入群第 1 天的小贴士"),
        ("11-25 10:00", "tip#2", "入群第 2 天的小贴士"),
        ("11-26 10:00", "tip#3", "入群第 3 天的小贴士"),
    ]
    assert all(m["target"]["member"] == "m1" for m in plan)


def test_lifecycle_rounds_are_delivered_by_the_runner(tmp_path, run_sopc):
    root = write_project(tmp_path / "p", {"sopc.toml": OUTBOX_TOML, "care.sop": LIFECYCLE})
    recorded = run_sopc("event", "member.joined", str(root), "--group", "hz_001", "--member", "m1",
                        "--name", "小王", "--at", "2026-11-23T15:00:00+08:00", cwd=tmp_path)
    assert recorded.exit_code == 0, recorded.stderr
    for now in ("2026-11-23T17:00:10", "2026-11-23T18:00:10", "2026-11-24T10:00:10", "2026-11-25T10:00:10",
                "2026-11-25T10:01", "2026-11-26T10:00:10"):
        result = run_sopc("run", str(root), "--once", "--now", now, cwd=tmp_path)
        assert result.exit_code == 0, result.stderr
    assert [m["step"] for m in _outbox(root)] == ["hello#1", "hello#2", "tip#1", "tip#2", "tip#3"]


# ---- recurring launches --------------------------------------------------------------------

def test_a_weekly_launch_launches_each_wednesday_with_distinct_ids(live, run_sopc):
    plan = _plan(run_sopc, live, "--from", "2026-11-23", "--to", "2026-12-06")
    assert [_local(m) for m in plan if m["step"] == "notice"] == ["11-25 19:50", "12-02 19:50"]
    assert len(plan) == 8 and len({m["id"] for m in plan}) == 8
    assert {m["text"] for m in plan if m["step"] == "notice"} == {"小美 20:00 开播"}


def test_from_until_and_active_bound_a_recurring_launch(tmp_path, run_sopc):
    text = LIVE.replace("every 周三 20:00 in groups tagged 快闪群 with host=小美",
                        "every mon..fri 20:00 in groups tagged 快闪群 with host=小美 from 2026-11-25 until 2026-12-01")
    root = write_project(tmp_path / "p", {"sopc.toml": OUTBOX_TOML, "live.sop": text})
    days = sorted({_local(m)[:5] for m in _plan(run_sopc, root, "--from", "2026-11-23", "--to", "2026-12-06")
                   if m["step"] == "notice"})
    assert days == ["11-25", "11-26", "11-27", "11-30", "12-01"]  # weekdays from 11-25 until 12-01
    active = LIVE.replace("  sender outbox", "  sender outbox\n  active until 2026-11-30").replace(
        "every 周三", "every daily")
    (root / "live.sop").write_text(active, encoding="utf-8")
    days = sorted({_local(m)[:5] for m in _plan(run_sopc, root, "--from", "2026-11-23", "--to", "2026-12-06")
                   if m["step"] == "notice"})
    assert days == ["11-23", "11-24", "11-25", "11-26", "11-27", "11-28", "11-29", "11-30"]


def test_run_delivers_three_rounds_and_two_weekly_launches_once_each(live, run_sopc):
    """The runner with a real SQLite store: run at each due moment (and again
    a minute later), two Wednesdays: every message out once, in order."""
    moments = [f"{day}T{at}" for day in ("2026-11-25", "2026-12-02")
               for at in ("19:50:05", "19:51", "20:15:05", "20:30:05", "20:31", "20:45:05", "20:50")]
    for now in moments:
        result = run_sopc("run", str(live), "--once", "--now", now, cwd=live.parent)
        assert result.exit_code == 0, result.stderr
    sent = _outbox(live)
    assert [(m["group"], m["step"]) for m in sent if m["group"] == "flash_01"] == [
        ("flash_01", step) for _ in range(2) for step in ("notice", "lottery#1", "lottery#2", "lottery#3")]
    assert [m["text"] for m in sent if m["step"].startswith("lottery")] == [
        "第 1 轮抽奖", "第 2 轮抽奖", "第 3 轮抽奖"] * 2
    assert Counter(m["id"] for m in sent).most_common(1)[0][1] == 1
    assert (live / ".sopc" / "state.db").is_file()
    status = json.loads(run_sopc("status", str(live), "--format", "json", cwd=live.parent).stdout)
    assert status["counts"]["sent"] == 8


def test_check_looks_at_a_recurring_launch_that_begins_months_ahead(tmp_path, run_sopc):
    text = LIVE.replace("every 周三 20:00 in", "every 周三 22:30 from 2027-03-01 in") + "  quiet 23:00-08:00\n"
    root = write_project(tmp_path / "p", {"sopc.toml": OUTBOX_TOML, "live.sop": text})
    result = run_sopc("check", str(root), "--now", NOW, cwd=tmp_path)
    assert "error[E0301]: step `lottery#2` of this launch falls at 03-03 23:00 (launched 03-03 22:30)" \
        in result.stderr
    assert result.stderr.count("error[E0301]") == 1  # a repeated step: its first round in quiet hours, once


def test_overlapping_launches_of_one_line_are_a_warning_at_the_run_line(tmp_path, run_sopc):
    text = LIVE.replace("every 周三 20:00", "every daily 20:00, 20:30")
    root = write_project(tmp_path / "p", {"sopc.toml": OUTBOX_TOML, "live.sop": text})
    result = run_sopc("check", str(root), "--now", NOW, cwd=tmp_path)
    assert "p/live.sop:9:3: warning[W0320]: the launches of `live_show` at 11-23 20:00 and 11-23 20:30 overlap" \
        in result.stderr


# ---- cost: lazy over the window ------------------------------------------------------------

def test_a_daily_launch_without_end_costs_what_the_window_holds(tmp_path, monkeypatch):
    """`run ... every daily` with no end, 1,000 groups: the planner asks for
    the launch days of each step only around the window it plans (no
    expansion beyond it), and a year of it is one slot per step and day
    (every group in each slot), so the work grows with the window, not the
    groups or the launch's reach."""
    groups = "id,name,tags\n" + "".join(f"g{i:04},群{i},直播群\n" for i in range(1000))
    root = write_project(tmp_path / "p", {"sopc.toml": OUTBOX_TOML, "groups.csv": groups, "live.sop": LIVE.replace(
        "快闪群", "直播群").replace("every 周三", "every daily")})
    build = pipeline.build([root])
    assert not build.failed, build.diagnostics
    asked: list[int] = []
    original = expand_module.launch_occurrences

    def counting(launch, policy, calendar, first, last):
        asked.append((last - first).days + 1)
        return original(launch, policy, calendar, first, last)

    monkeypatch.setattr(expand_module, "launch_occurrences", counting)
    zone = build.zone
    start = dt.datetime(2026, 12, 1, tzinfo=zone)
    slots = list(planned_slots(build.program, start, start + dt.timedelta(days=3)))
    assert len(slots) == 3 * 4 and all(len(groups) == 1000 for _, groups in slots)
    assert max(asked) <= 3 + 5  # the window and a few days' slack, per step
    asked.clear()
    year = list(planned_slots(build.program, start, start + dt.timedelta(days=365)))
    assert len(year) == 365 * 4
    assert sum(asked) <= 4 * (365 + 5)


def test_a_step_further_from_t_than_the_planned_years_is_a_located_error(tmp_path, run_sopc):
    """`T+999999999d` overflowed the plan's date arithmetic (an internal
    error in `sopc plan`, a crashed check in `sopc check`)."""
    root = write_project(tmp_path / "p", {"sopc.toml": OUTBOX_TOML, "live.sop": LIVE.replace(
        "T-10m               notice", "T+999999999d        notice")})
    for command in (("check", str(root), "--now", NOW), ("plan", str(root), "--now", NOW)):
        result = run_sopc(*command, cwd=tmp_path)
        assert result.exit_code == 1
        assert "p/live.sop:3:3: error[E0112]: `T+999999999d` is further from its anchor than the years sopc plans" \
            in result.stderr
        assert "E0999" not in result.stderr and "internal error" not in result.stderr


def test_from_to_reads_as_from_until_and_the_holiday_policy_applies(tmp_path, run_sopc):
    """`from D to D` is `from D until D`; a launch day that is a public
    holiday is skipped under `on holidays skip`, as a schedule step's is
    (2026-10-01..07: National Day)."""
    text = LIVE.replace("  sender outbox", "  sender outbox\n  on holidays skip").replace(
        "every 周三 20:00 in groups tagged 快闪群 with host=小美",
        "every daily 20:00 from 2026-09-29 to 2026-10-09 in groups tagged 快闪群 with host=小美")
    root = write_project(tmp_path / "p", {"sopc.toml": OUTBOX_TOML, "live.sop": text})
    result = run_sopc("plan", str(root), "--from", "2026-09-20", "--to", "2026-10-20", "--format", "jsonl",
                      "--now", "2026-09-01T09:00", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    days = [_local(json.loads(line))[:5] for line in result.stdout.splitlines() if '"notice"' in line]
    assert days == ["09-29", "09-30", "10-08", "10-09"]


def test_a_launch_past_the_playbooks_active_end_says_so(tmp_path, run_sopc):
    text = LIVE.replace("  sender outbox", "  sender outbox\n  active until 2026-11-01")
    root = write_project(tmp_path / "p", {"sopc.toml": OUTBOX_TOML, "live.sop": text})
    result = run_sopc("check", str(root), "--now", NOW, cwd=tmp_path)
    assert ("warning[W0307]: this recurring launch of `live_show` ended on 2026-11-01, in the past "
            "(the end of `live`'s `active` dates)") in result.stderr
    assert "change the playbook's `active` line" in result.stderr


def test_a_run_line_pasted_twice_is_checked_as_planned_each_message_once(tmp_path):
    """Two alike `run` lines plan the same messages (same ids), which the plan
    and the store keep once; check counted each twice and reported every one
    as a gap error against itself (and the 1M fuzz run's input 435,122, 300
    such lines, took 2.2 s of CPU to check; now 0.8 s)."""
    from inprocess import run_sopc

    line = "  run late_show every daily 20:00 from 2026-11-24 until 2026-11-30 in groups tagged 直播群\n"
    root = write_project(tmp_path / "proj", {
        "sopc.toml": 'timezone = "Asia/Shanghai"\nroster = "groups.csv"\n\n[senders.bot]\nkind = "console"\n',
        "groups.csv": "id,name,tags\nlive_01,直播一群,直播群\nlive_02,直播二群,直播群\n",
        "main.sop": 'timeline late_show "晚场" max 2h\n  T  open  "开播啦"\n\nplaybook live "直播推送"\n'
                    "  to groups tagged 直播群\n  gap 30m\n" + line + line})
    checked = run_sopc("check", ".", "--now", "2026-11-23T09:00", "--format", "json", cwd=root)
    assert checked.exit_code == 0, checked.stdout
    assert json.loads(checked.stdout)["diagnostics"] == []
    planned = run_sopc("plan", ".", "--from", "2026-11-24", "--to", "2026-11-30", "--format", "jsonl",
                       "--now", "2026-11-23T09:00", cwd=root)
    ids = [json.loads(row)["id"] for row in planned.stdout.splitlines()]
    assert len(ids) == len(set(ids)) == 7 * 2


TWO_TIMELINES = """timeline warmup "预热" max 2h
  T-1h  hello  "一小时后开抢"

timeline sale "开抢" max 2h
  T-1h  hello  "秒杀链接已就位"
  T     go     "开抢!"

playbook flash "快闪群"
  to groups tagged 直播群
  gap 30m
  run warmup at 2026-12-12 20:00 in groups tagged 直播群
  run sale at 2026-12-12 20:00 in groups tagged 直播群
"""


def test_two_steps_of_one_name_falling_due_together_are_one_message_and_check_says_the_second_is_lost(tmp_path):
    """A message's id is its playbook, step name, group and time: `hello` of
    both timelines at 19:00 is one message, so the plan (and the store) keep
    the first and the second is never sent. check said nothing of that; it
    reported a gap between the two (a message that does not exist) instead."""
    from inprocess import run_sopc

    root = write_project(tmp_path / "proj", {
        "sopc.toml": 'timezone = "Asia/Shanghai"\nroster = "groups.csv"\n\n[senders.bot]\nkind = "console"\n',
        "groups.csv": "id,name,tags\nlive_01,直播一群,直播群\nlive_02,直播二群,直播群\n",
        "main.sop": TWO_TIMELINES})
    checked = run_sopc("check", ".", "--now", "2026-12-01T09:00", "--format", "json", cwd=root)
    found = json.loads(checked.stdout)["diagnostics"]
    assert [(d["code"], d["line"]) for d in found] == [("E0220", 5)]
    assert found[0]["message"].startswith("`hello` (line 5) falls due at 2026-12-12 19:00 in group `live_01` "
                                          "together with `hello` (line 2) of the same playbook")
    assert found[0]["message"].endswith("(and 1 more time in 2 groups)")
    planned = run_sopc("plan", ".", "--from", "2026-12-12", "--to", "2026-12-12", "--format", "jsonl",
                       "--now", "2026-12-01T09:00", cwd=root)
    hellos = [json.loads(row)["text"] for row in planned.stdout.splitlines() if '"hello"' in row]
    assert hellos == ["一小时后开抢", "一小时后开抢"]  # the first, once per group: what check says


def test_a_step_name_pasted_twice_in_a_playbook_is_reported_once_by_e0209_not_again(tmp_path):
    from inprocess import run_sopc

    step = "  每天 09:30 daily \"早安\"\n"
    root = write_project(tmp_path / "proj", {
        "sopc.toml": 'timezone = "Asia/Shanghai"\nroster = "groups.csv"\n\n[senders.bot]\nkind = "console"\n',
        "groups.csv": "id,name,tags\nlive_01,直播一群,直播群\n",
        "main.sop": 'playbook p "福利"\n  to groups tagged 直播群\n' + step * 3})
    checked = run_sopc("check", ".", "--now", "2026-12-01T09:00", "--format", "json", cwd=root)
    assert [(d["code"], d["line"]) for d in json.loads(checked.stdout)["diagnostics"]] == [
        ("E0209", 4), ("E0209", 5)]


def test_a_step_line_pasted_300_times_plans_what_one_line_plans(tmp_path):
    """Every message of the pasted copies has the id of one of the first
    line's, and the plan and the store keep one message per id: the copies
    are not planned at all (the 1M fuzz run's input 60,411: the check walked
    all 301 steps' messages, 2.8 s of CPU). `sopc plan` refuses the project
    (E0209), so the planner is asked directly."""
    from sopc import pipeline
    from sopc.plan.expand import expand

    step = '  每天 09:30 daily "早安,{{ group.name }}"\n'
    plans = []
    for copies in (1, 300):
        root = write_project(tmp_path / f"p{copies}", {
            "sopc.toml": 'timezone = "Asia/Shanghai"\nroster = "groups.csv"\n\n[senders.bot]\nkind = "console"\n',
            "groups.csv": "id,name,tags\nlive_01,直播一群,直播群\nlive_02,直播二群,直播群\n",
            "main.sop": 'playbook p "福利"\n  to groups tagged 直播群\n' + step * copies})
        program = pipeline.build([root]).program
        start = dt.datetime(2026, 12, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
        plans.append([(m.id, m.at, m.text) for m in expand(program, start, start + dt.timedelta(days=7))])
    assert len(plans[0]) == 7 * 2
    assert plans[1] == plans[0]
