"""`sopc plan` lists what `sopc run` sends: same messages, same times, same
bytes, once the gate (quiet hours, the daily cap and the gap across every
playbook, pauses) and lifecycle events are involved.

Each test runs the real runner on a real SQLite file with a fake clock moved
minute by minute (tests/simulate.py, ``Sim.tick``), feeds it the events at
their times, collects what its file sender wrote, and holds that against
the plan. The property test does so for random projects and event streams
(50 of them; ``SOPC_PARITY_EXAMPLES=2000`` for a longer hunt).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inprocess import run_sopc
from projects import write_project
from simulate import Sim, local

from sopc import pipeline
from sopc.core.events import Event
from sopc.events.reader import load_events
from sopc.plan.simulate import LEAD_IN
from sopc.run.store import SQLiteStore
from sopc.senders.file import FileSender

DAY = dt.timedelta(days=1)
START = local("2026-11-23T00:00")  # a Monday
FIELDS = ("id", "at", "playbook", "step", "group", "member", "kind", "mentions", "text")

# The case: three daily posts, a cap of 3 and a 30-minute gap, and
# two members joining, each welcomed at once, in a playbook with the same rules.
CAPPED = '''
playbook daily "每日"
  to group hz_001
  cap 3/day
  gap 30m
  每天 10:00  a  "早"
  每天 15:00  b  "午"
  每天 16:00  c  "晚"

playbook members "会员"
  to group hz_001
  cap 3/day
  gap 30m
  on member.joined repeat
    +0  welcome  "欢迎 {{ member.name }}" @member
'''
JOINS = ('{"event": "member.joined", "group": "hz_001", "member": "m1", "name": "甲", "at": "2026-11-23T09:50"}\n'
         '{"event": "member.joined", "group": "hz_001", "member": "m2", "name": "乙", "at": "2026-11-23T12:00"}\n')


# ---- running it ---------------------------------------------------------------------------

def delivered(root: Path, events, start: dt.datetime, end: dt.datetime, state: Path) -> list[dict]:
    """What a runner started at the plan's lead-in (the day before ``start``)
    hands its file sender, the clock moved minute by minute to ``end`` and
    each event recorded at its time: the messages with ``at`` in [start, end),
    with the plan's fields."""
    outbox = state / "outbox.jsonl"
    sim = Sim(root, start - LEAD_IN, sender=FileSender(name="file", path=outbox, fsync=False))
    sim.store.close()
    sim.store = SQLiteStore(state / "state.db")
    sim.runner = sim._runner()
    sim.start()
    sim.tick(end, events)
    assert not [m for m in sim.store.messages(("skipped",)) if m.reason.startswith("missed")], \
        "a simulated run is never late"
    lines = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()] if outbox.exists() else []
    return [{k: line[k] for k in FIELDS} for line in lines if start <= dt.datetime.fromisoformat(line["at"]) < end]


def planned(messages) -> list[dict]:
    """Plan messages (JSONL lines or PlannedMessage dicts) with the fields the run's outbox has."""
    return [{**{k: m[k] for k in FIELDS if k not in ("group", "member")},
             "group": m["target"]["group"], "member": m["target"].get("member")} for m in messages]


def by_time(messages: list[dict]) -> list[dict]:
    return sorted(messages, key=lambda m: (m["at"], m["group"], m["id"]))


def plan_jsonl(root: Path, *args: str) -> list[dict]:
    result = run_sopc("plan", str(root), "--format", "jsonl", "--now", "2026-11-23T09:00", *args, cwd=root)
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def events_of(root: Path, name: str = "events.jsonl") -> list[Event]:
    events, problems = load_events(root / name, "Asia/Shanghai")
    assert not problems
    return events


# ---- the case ------------------------------------------------------------------------

def test_plan_with_events_lists_what_the_run_delivers_under_cap_and_gap(project, tmp_path):
    root = project({"p.sop": CAPPED, "events.jsonl": JOINS})
    plan = plan_jsonl(root, "--from", "2026-11-23", "--to", "2026-11-23", "--events", "events.jsonl")
    assert [(m["step"], m["at"][11:16]) for m in plan] == [("welcome", "09:50"), ("a", "10:20"), ("welcome", "12:00")]
    sent = delivered(root, events_of(root), START, START + DAY, tmp_path)
    assert sent == planned(plan)  # same messages, order, ids, times, targets and texts


def test_a_deferred_message_keeps_its_id_and_only_its_time_changes(project):
    root = project({"p.sop": CAPPED, "events.jsonl": JOINS})
    window = ("--from", "2026-11-23", "--to", "2026-11-23")
    alone = {m["step"]: m for m in plan_jsonl(root, *window)}  # no events: nothing in the way
    with_joins = {m["step"]: m for m in plan_jsonl(root, *window, "--events", "events.jsonl")}
    assert with_joins["a"]["id"] == alone["a"]["id"]
    assert (alone["a"]["at"], with_joins["a"]["at"]) == ("2026-11-23T10:00:00+08:00", "2026-11-23T10:20:00+08:00")
    assert {k: v for k, v in with_joins["a"].items() if k != "at"} == {k: v for k, v in alone["a"].items() if k != "at"}


def test_show_skipped_lists_what_the_gate_skips_and_defers_with_the_reason(project):
    root = project({"p.sop": CAPPED, "events.jsonl": JOINS})
    window = ("--from", "2026-11-23", "--to", "2026-11-23", "--events", "events.jsonl", "--show-skipped")
    lines = plan_jsonl(root, *window)
    assert [(m["step"], m["at"][11:16], m["status"]) for m in lines] == [
        ("welcome", "09:50", "planned"), ("a", "10:20", "deferred"), ("welcome", "12:00", "planned"),
        ("b", "15:00", "skipped"), ("c", "16:00", "skipped")]
    assert lines[1]["reason"] == "deferred: 30m gap after the previous post"
    assert lines[1]["scheduled"] == "2026-11-23T10:00:00+08:00"
    assert lines[3]["reason"] == "cap: group `hz_001` already had 3 posts today (cap 3/day)"
    assert lines[0]["reason"] is None

    csv_out = run_sopc("plan", ".", *window, "--format", "csv", "--now", "2026-11-23T09:00", cwd=root).stdout
    header, *rows = csv_out.splitlines()
    assert header.endswith(",text,status,reason,scheduled")
    assert rows[3].endswith(",午,skipped,cap: group `hz_001` already had 3 posts today (cap 3/day),"
                            "2026-11-23T15:00:00+08:00")

    table = run_sopc("plan", ".", *window, "--now", "2026-11-23T09:00", cwd=root).stdout
    assert "  10:20  hz_001  daily/a  [text via console]\n         早\n" \
           "         deferred from 10:00: 30m gap after the previous post\n" in table
    assert "  15:00  hz_001  daily/b  [text via console]  SKIPPED\n         午\n" \
           "         skipped: cap: group `hz_001` already had 3 posts today (cap 3/day)\n" in table
    assert table.endswith("\n3 messages (1 deferred); 2 skipped\n")


def test_without_show_skipped_the_output_keeps_its_shape(project):
    root = project({"p.sop": CAPPED, "events.jsonl": JOINS})
    window = ("--from", "2026-11-23", "--to", "2026-11-23", "--events", "events.jsonl")
    assert {tuple(m) for m in plan_jsonl(root, *window)} == {
        ("id", "at", "playbook", "step", "target", "sender", "kind", "mentions", "text")}
    table = run_sopc("plan", ".", *window, "--now", "2026-11-23T09:00", cwd=root).stdout
    assert "SKIPPED" not in table and "deferred" not in table and table.endswith("\n3 messages\n")


# ---- the rules, one at a time, plan beside run ----------------------------------------------

def test_a_gap_that_ends_in_quiet_hours_waits_for_their_end(project, tmp_path):
    root = project({"p.sop": '''
playbook late "晚"
  to group hz_001
  quiet 22:00-08:00
  gap 30m
  每天 21:50  first   "一"
  每天 21:55  second  "二"
'''})
    plan = plan_jsonl(root, "--from", "2026-11-23", "--to", "2026-11-24")
    assert [(m["step"], m["at"][5:16]) for m in plan] == [
        ("second", "11-23T08:00"),  # the evening before the window's
        ("first", "11-23T21:50"), ("second", "11-24T08:00"), ("first", "11-24T21:50")]
    assert delivered(root, (), START, START + 2 * DAY, tmp_path) == planned(plan)


def test_a_step_in_quiet_hours_goes_out_at_their_end_in_plan_and_run(project, tmp_path):
    """The runner plans a window at a time; a 22:30 step deferred to 08:00
    falls in the window after the one it was scheduled in, and still goes out."""
    root = project({"p.sop": '''
playbook night "夜"
  to group hz_001
  quiet 22:00-08:00
  每天 22:30  late  "夜里写的"
'''})
    plan = plan_jsonl(root, "--from", "2026-11-23", "--to", "2026-11-24")
    assert [m["at"][5:16] for m in plan] == ["11-23T08:00", "11-24T08:00"]
    assert delivered(root, (), START, START + 2 * DAY, tmp_path) == planned(plan)


def test_actions_are_not_posts_for_the_cap_and_the_gap(project, tmp_path):
    root = project({"p.sop": '''
playbook shop "店"
  to group hz_001
  cap 1/day
  gap 30m
  每天 09:50  check  remind staff "请检查库存"
  每天 10:00  post   "今日福利"
'''})
    plan = plan_jsonl(root, "--from", "2026-11-23", "--to", "2026-11-23")
    assert [(m["step"], m["at"][11:16]) for m in plan] == [("check", "09:50"), ("post", "10:00")]
    assert delivered(root, (), START, START + DAY, tmp_path) == planned(plan)


def test_the_evening_before_the_window_counts_for_its_first_gap(project, tmp_path):
    root = project({"p.sop": '''
playbook night "夜"
  to group hz_001
  quiet off
  gap 30m
  每天 00:10  early  "零点后"
  每天 23:50  late   "夜宵"
'''})
    plan = plan_jsonl(root, "--from", "2026-11-24", "--to", "2026-11-24", "--show-skipped")
    assert [(m["step"], m["at"][5:16], m["status"]) for m in plan] == [
        ("early", "11-24T00:20", "deferred"), ("late", "11-24T23:50", "planned")]
    day = START + DAY
    assert delivered(root, (), day, day + DAY, tmp_path) == planned(plan)


def test_quiet_hours_in_skip_mode_are_listed_as_skipped(project):
    root = project({"p.sop": '''
playbook lunch "午休"
  to group hz_001
  quiet 12:00-13:00 skip
  每天 11:00  before  "上午"
  每天 12:30  inside  "午休时间"
'''})
    window = ("--from", "2026-11-23", "--to", "2026-11-23")
    assert [m["step"] for m in plan_jsonl(root, *window)] == ["before"]
    skipped = [m for m in plan_jsonl(root, *window, "--show-skipped") if m["status"] == "skipped"]
    assert [(m["step"], m["reason"]) for m in skipped] == [
        ("inside", "quiet: it would go out inside the playbook's quiet hours")]


def test_a_paused_playbook_is_planned_as_skipped(project):
    root = project({"p.sop": CAPPED, "events.jsonl": JOINS})
    window = ("--from", "2026-11-23", "--to", "2026-11-23", "--events", "events.jsonl")
    plan = plan_jsonl(root, *window, "--paused", "members")
    # no welcomes: the cap and gap leave the daily posts alone
    assert [(m["step"], m["at"][11:16]) for m in plan] == [("a", "10:00"), ("b", "15:00"), ("c", "16:00")]
    skipped = [m for m in plan_jsonl(root, *window, "--paused", "members", "--show-skipped")
               if m["status"] == "skipped"]
    assert [m["step"] for m in skipped] == ["welcome", "welcome"]
    assert skipped[0]["reason"].startswith("paused")
    wrong = run_sopc("plan", ".", *window, "--paused", "member", cwd=root)
    assert wrong.exit_code == 2 and "no playbook `member`; did you mean `members`?" in wrong.stderr


def test_a_message_deferred_past_the_window_is_listed_after_it(project):
    root = project({"p.sop": '''
playbook night "夜"
  to group hz_001
  quiet off
  gap 1h
  每天 23:30  late   "晚场"
  每天 23:45  later  "夜宵"
'''})
    lines = plan_jsonl(root, "--from", "2026-11-23", "--to", "2026-11-23", "--show-skipped")
    assert [(m["step"], m["at"][5:16], m["status"]) for m in lines] == [
        ("later", "11-23T00:30", "deferred"),  # from the evening before
        ("late", "11-23T23:30", "planned"), ("later", "11-24T00:30", "later")]
    assert [m["step"] for m in plan_jsonl(root, "--from", "2026-11-23", "--to", "2026-11-23")] == ["later", "late"]
    table = run_sopc("plan", ".", "--from", "2026-11-23", "--to", "2026-11-23", "--show-skipped",
                     "--now", "2026-11-23T09:00", cwd=root).stdout
    assert "deferred from 11-23 23:45: 1h gap after the previous post (after the window)" in table
    assert table.endswith("2 messages (1 deferred); 0 skipped, 1 deferred past the window\n")


def test_the_same_event_twice_is_one_message_in_plan_and_run(project, tmp_path):
    root = project({"p.sop": CAPPED.split("\nplaybook members")[0].replace("cap 3/day", "cap 6/day") + '''
playbook members "会员"
  to group hz_001
  on member.purchased repeat
    +0  thanks  "谢谢"
''', "events.jsonl": '{"event": "member.purchased", "group": "hz_001", "member": "m1", "at": "2026-11-23T11:00"}\n' * 2})
    plan = plan_jsonl(root, "--from", "2026-11-23", "--to", "2026-11-23", "--events", "events.jsonl")
    assert [m["step"] for m in plan].count("thanks") == 1
    assert delivered(root, events_of(root), START, START + DAY, tmp_path) == planned(plan)


def test_messages_due_together_meet_the_cap_in_the_same_order_in_plan_and_run(project, tmp_path):
    """Two members join at different times; both coupons fall due at 11:00
    where the cap leaves room for one. The runner's store holds them in the
    order the events came (m2 first); the gate takes them in its own order,
    as the plan does."""
    root = project({"p.sop": '''
playbook members "会员"
  to group hz_001
  cap 1/day
  on member.joined repeat
    +0 at 11:00  coupon  "{{ member.name }} 的券" @member
''', "events.jsonl": '{"event": "member.joined", "group": "hz_001", "member": "m2", "name": "乙", "at": "2026-11-23T09:00"}\n'
                      '{"event": "member.joined", "group": "hz_001", "member": "m1", "name": "甲", "at": "2026-11-23T09:30"}\n'})
    plan = plan_jsonl(root, "--from", "2026-11-23", "--to", "2026-11-23", "--events", "events.jsonl")
    assert [m["text"] for m in plan] == ["甲 的券"]
    assert delivered(root, events_of(root), START, START + DAY, tmp_path) == planned(plan)


# ---- the property: random projects and event streams ---------------------------------------

TIMES = ("07:30", "08:00", "09:00", "09:50", "10:00", "10:10", "10:30", "12:00", "12:30", "15:00", "21:50",
         "22:00", "22:30")  # none within a grace of midnight: the run starts at the lead-in's midnight
DAYS = ("每天", "周一", "周二", "周日")
TARGETS = ("to group hz_001", "to group hz_001, hz_002", "to groups tagged 福利群")
QUIET = (None, "quiet off", "quiet 22:00-08:00 defer", "quiet 22:00-08:00 skip", "quiet 12:00-13:00 defer",
         "quiet 10:05-10:20 skip")
OFFSETS = ("+0", "+10m", "+30m", "+2h", "+0 at 11:00", "+1d at 09:00", "+1d at 22:30")
TEXTS = ('"{{ group.name }} 福利"', '"{{ time }} 的消息"', 'markdown "**{{ weekday_cn }}**"', 'remind staff "看群"')


TIMELINE = '''
timeline promo "快闪"
  T-1h   warm   "一小时后开始"
  T      open   "开始啦" @all
  T+20m  staff  remind staff "看看售后"

stages
  沉默期 when silent >= 1d
  活跃期 otherwise
'''


@st.composite
def playbooks(draw, index: int) -> str:
    settings_ = [f"  {draw(st.sampled_from(TARGETS))}"]
    cap = draw(st.sampled_from((None, 1, 2, 3)))
    gap = draw(st.sampled_from((None, "0m", "10m", "30m", "1h")))
    quiet = draw(st.sampled_from(QUIET))
    zone = draw(st.sampled_from((None, None, "Asia/Tokyo")))
    settings_ += [f"  cap {cap}/day"] * (cap is not None) + [f"  gap {gap}"] * (gap is not None)
    settings_ += [f"  {quiet}"] * bool(quiet) + [f"  timezone {zone}"] * bool(zone)
    steps = []
    for n in range(draw(st.integers(0, 4))):
        steps.append(f"  {draw(st.sampled_from(DAYS))} {draw(st.sampled_from(TIMES))}  s{n}  "
                     f"{draw(st.sampled_from(TEXTS))}")
    if draw(st.integers(0, 3)) == 0:
        steps.append(f"  run promo at 2026-11-23 {draw(st.sampled_from(TIMES))} in group hz_001")
    trigger = draw(st.sampled_from((None, "member.joined", "member.joined", "member.silent 1d", "group.stage 沉默期")))
    if trigger:
        header = f"  on {trigger}" + " repeat" * draw(st.booleans())
        header += " until member.purchased" * (trigger == "member.joined" and draw(st.booleans()))
        steps.append(header)
        text = '"{{ group.name }} 冷清了"' if trigger.startswith("group") else '"{{ member.name }} %d" @member'
        for n in range(draw(st.integers(1, 3))):
            steps.append(f"    {draw(st.sampled_from(OFFSETS))}  e{n}  " + (text % n if "%d" in text else text))
    if not steps:
        steps.append(f"  每天 {draw(st.sampled_from(TIMES))}  only  \"唯一\"")
    return "\n".join([f'playbook p{index} "P{index}"', *settings_, *steps]) + "\n"


@st.composite
def event_streams(draw) -> list[Event]:
    events = []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(("member.joined", "member.joined", "member.purchased", "member.left",
                                     "member.message")))
        minutes = draw(st.integers(6, 3 * 24 * 6 - 1)) * 10  # from the lead-in's 01:00, on the 10 minutes
        member = draw(st.sampled_from(("m1", "m2", "m3")))
        events.append(Event(kind=kind, group=draw(st.sampled_from(("hz_001", "hz_002", "sh_001"))), member=member,
                            at=START - LEAD_IN + dt.timedelta(minutes=minutes),
                            name={"m1": "甲", "m2": "乙", "m3": "丙"}[member] if kind == "member.joined" else None))
    return sorted(events, key=lambda e: e.at)


@settings(max_examples=int(os.environ.get("SOPC_PARITY_EXAMPLES", "50")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sop=st.integers(1, 3).flatmap(lambda n: st.tuples(*(playbooks(i) for i in range(n)))),
       events=event_streams())
def test_a_run_simulated_minute_by_minute_sends_exactly_the_plan(sop, events):
    with tempfile.TemporaryDirectory() as folder:
        root = write_project(Path(folder) / "p", {"p.sop": TIMELINE + "\n".join(sop)})
        build = pipeline.build([root])
        assert not build.failed, [d.message for d in build.diagnostics]
        end = START + 2 * DAY
        plan = [m.to_dict() for m in pipeline.plan(build, START, end, events=events)]
        state = Path(folder) / "state"
        state.mkdir()
        assert by_time(delivered(root, events, START, end, state)) == by_time(planned(plan))
