"""The runner on a real SQLite file, driven by a fake clock: what a user
would see in the groups (and in `sopc status`) after a simulated stretch of
time, restarts, edits, events and sender trouble."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from simulate import RecordingSender, Sim, local

from sopc import pipeline
from sopc.core.events import Event
from sopc.events.reader import load_events
from sopc.run.runner import RunOptions
from sopc.senders.base import failed, retry
from sopc.senders.file import FileSender

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
WEEK = (local("2026-11-23T00:00"), local("2026-11-30T00:00"))

WEEKLY = '''
playbook welfare "福利"
  to groups tagged 福利群
  周一 10:00   coupon   "【{{ group.store }}】本周券包已发放"
  周一 15:00   draw     "周一抽奖"
  周二 10:00   tuesday  "周二团购"
'''


def _plan_lines(example: Path, events) -> list[dict]:
    build = pipeline.build([example])
    return [m.to_dict() for m in pipeline.plan(build, *WEEK, events=events)]


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.iterdir() if (p / "sopc.toml").is_file()))
def test_plan_equals_delivery_over_a_simulated_week(name, tmp_path):
    """What the runner hands the file sender over a week is what `sopc plan`
    shows for that week: same messages, same order, same bytes."""
    example = EXAMPLES / name
    events = ()
    if (example / "events.jsonl").is_file():
        events, problems = load_events(example / "events.jsonl", "Asia/Shanghai")
        assert not problems
    outbox = tmp_path / "outbox.jsonl"
    sim = Sim(example, WEEK[0], sender=FileSender(name="file", path=outbox, fsync=False))
    sim.store.close()
    from sopc.run.store import SQLiteStore
    sim.store = SQLiteStore(tmp_path / "state.db")  # never write into the example folder
    sim.runner = sim._runner()
    for event in events:
        sim.store.add_event(event, WEEK[0])
    sim.start()
    sim.until(WEEK[1])
    delivered = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]
    planned = _plan_lines(example, tuple(events))
    assert planned, "every example sends something in the week of 2026-11-23"
    fields = ("id", "at", "playbook", "step", "member", "kind", "mentions", "text")
    assert [{k: m[k] for k in fields} | {"group": m["group"]} for m in delivered] == \
           [{k: m[k] for k in fields if k != "member"} | {"member": m["target"].get("member"),
                                                          "group": m["target"]["group"]} for m in planned]
    assert sim.store.counts()["sent"] == len(planned)


def test_downtime_within_grace_sends_late_and_older_is_recorded_missed(project):
    root = project({"w.sop": WEEKLY})
    sim = Sim(root, local("2026-11-23T09:00")).start()
    sim.until(local("2026-11-23T09:59"))
    assert sim.sender.delivered == []
    # Down from 09:59; back at 10:07: the 10:00 coupon is 7 minutes late, inside the 10m grace.
    sim.restart(local("2026-11-23T10:07"))
    sim.until(local("2026-11-23T10:08"))
    assert sorted(sim.sender.steps()) == [("coupon", "hz_001"), ("coupon", "hz_002"), ("coupon", "sh_001")]
    # Down again from 10:08 to 15:30: the 15:00 draw is 30 minutes late.
    sim.restart(local("2026-11-23T15:30"))
    sim.until(local("2026-11-23T16:00"))
    missed = sim.by_state("skipped")
    assert {m.step for m in missed} == {"draw"} and len(missed) == 3
    assert all(m.reason.startswith("missed: 30m late") for m in missed)
    assert [s for s, _ in sim.sender.steps()].count("draw") == 0


def test_downtime_longer_than_the_plan_window_still_records_every_missed_message(project):
    root = project({"w.sop": WEEKLY})
    sim = Sim(root, local("2026-11-22T09:00")).start()  # plans one day ahead: up to 11-23 09:00
    sim.until(local("2026-11-22T09:01"))
    sim.restart(local("2026-11-25T09:00"))  # three days later
    sim.until(local("2026-11-25T09:01"))
    missed = {(m.step, m.group) for m in sim.by_state("skipped")}
    assert ("coupon", "hz_001") in missed and ("draw", "sh_001") in missed and ("tuesday", "hz_002") in missed
    assert len(missed) == 9 and sim.sender.delivered == []


def test_grace_is_set_per_playbook(project):
    root = project({"w.sop": WEEKLY.replace('to groups tagged 福利群', 'to groups tagged 福利群\n  grace 1h')})
    sim = Sim(root, local("2026-11-23T09:00")).start()
    sim.restart(local("2026-11-23T10:45"))
    sim.until(local("2026-11-23T10:46"))
    assert len(sim.sender.delivered) == 3


def test_nothing_is_sent_twice_across_restarts(project):
    root = project({"w.sop": WEEKLY})
    sim = Sim(root, local("2026-11-23T09:00")).start()
    sim.until(local("2026-11-23T10:05"))
    sim.restart(local("2026-11-23T10:06"))
    sim.until(local("2026-11-23T16:00"))
    sim.restart(local("2026-11-23T16:00"))
    sim.until(local("2026-11-24T12:00"))
    ids = [m.id for m in sim.sender.delivered]
    assert len(ids) == len(set(ids)) == 9


def test_in_doubt_after_a_crash_is_reported_not_resent_unless_asked(project):
    root = project({"w.sop": WEEKLY})
    sim = Sim(root, local("2026-11-23T10:00")).start()
    due = sim.store.due(local("2026-11-23T10:00"), 10)
    sim.store.claim([m.id for m in due[:2]], local("2026-11-23T10:00"))  # claimed, then the process died
    sim.restart(local("2026-11-23T10:01"))
    sim.until(local("2026-11-23T10:02"))
    doubt = sim.by_state("in-doubt")
    assert len(doubt) == 2 and "stopped before the sender answered" in doubt[0].reason
    assert len(sim.sender.delivered) == 1
    assert any("in-doubt" in line for line in sim.lines)
    sim.restart(local("2026-11-23T10:03"), resend_in_doubt=True)
    sim.until(local("2026-11-23T10:04"))
    assert len(sim.sender.delivered) == 3 and not sim.by_state("in-doubt")


def test_edit_while_running_cancels_adds_updates_and_never_resends(project):
    root = project({"w.sop": WEEKLY})
    sim = Sim(root, local("2026-11-23T09:00"), options=RunOptions(lookahead=dt.timedelta(days=2))).start()
    sim.until(local("2026-11-23T11:00"))
    assert sim.states()[("tuesday", "hz_001")][0] == "pending"  # planned ahead, then edited away
    (root / "w.sop").write_text(WEEKLY.replace("本周券包已发放", "券包改了")          # sent already: not again
                                .replace("周一抽奖", "周一抽奖 16:00 开奖")          # pending: new text goes out
                                .replace('  周二 10:00   tuesday  "周二团购"\n', "")  # removed: cancelled
                                + '  周一 17:00   extra    "新加的一条"\n', encoding="utf-8")
    assert sim.runner.reload()
    sim.until(local("2026-11-24T12:00"))
    steps = [s for s, _ in sim.sender.steps()]
    assert steps.count("coupon") == 3 and steps.count("draw") == 3 and steps.count("extra") == 3
    assert "tuesday" not in steps
    assert all(m.text == "周一抽奖 16:00 开奖" for m in sim.sender.delivered if m.step == "draw")
    cancelled = sim.by_state("cancelled")
    assert {m.step for m in cancelled} == {"tuesday"} and "no longer in the plan" in cancelled[0].reason


def test_an_edit_with_errors_keeps_the_old_plan_running(project):
    root = project({"w.sop": WEEKLY})
    reported = []
    sim = Sim(root, local("2026-11-23T09:00"))
    sim.runner.report = reported.append
    sim.start()
    (root / "w.sop").write_text(WEEKLY.replace("周一 15:00", "周八 15:00"), encoding="utf-8")
    assert not sim.runner.reload()
    assert reported and any(d.code.startswith("E0") for d in reported[0].diagnostics)
    sim.until(local("2026-11-23T16:00"))
    assert [s for s, _ in sim.sender.steps()].count("draw") == 3


def test_a_step_renamed_after_its_time_is_not_sent_again(project):
    root = project({"w.sop": WEEKLY})
    sim = Sim(root, local("2026-11-23T09:00")).start()
    sim.until(local("2026-11-23T10:02"))
    (root / "w.sop").write_text(WEEKLY.replace("coupon", "coupon_v2"), encoding="utf-8")
    sim.runner.reload()
    sim.until(local("2026-11-23T10:05"))
    assert [s for s, _ in sim.sender.steps()] == ["coupon"] * 3
    late = [m for m in sim.by_state("skipped") if m.step == "coupon_v2"]
    assert len(late) == 3 and late[0].reason == "added by an edit after its time had passed"


def test_pause_records_the_backlog_as_skipped_and_resume_does_not_blast_it(project):
    root = project({"w.sop": WEEKLY})
    sim = Sim(root, local("2026-11-23T09:00")).start()
    sim.store.pause("welfare", local("2026-11-23T09:30"))
    sim.until(local("2026-11-23T15:30"))
    sim.store.resume("welfare", local("2026-11-23T15:30"))
    sim.until(local("2026-11-24T12:00"))
    assert sorted({s for s, _ in sim.sender.steps()}) == ["tuesday"]
    paused = sim.by_state("skipped")
    assert {m.step for m in paused} == {"coupon", "draw"} and all(m.reason.startswith("paused") for m in paused)


LIFECYCLE = '''
playbook members "会员群"
  to groups tagged 福利群
  on member.joined until member.purchased
    +0              welcome   "欢迎 {{ member.name }}" @member
    +1d at 11:00    coupon    "{{ member.name }} 的新人券" @member
    +3d at 19:00    reminder  "{{ member.name }} 券快到期了" @member
'''


def test_event_driven_sequence_stops_at_its_until_event(project):
    root = project({"m.sop": LIFECYCLE})
    sim = Sim(root, local("2026-11-23T09:00"), options=RunOptions(lookahead=dt.timedelta(days=4))).start()
    sim.until(local("2026-11-23T10:00"))
    sim.event("member.joined", "hz_001", "m1", local("2026-11-23T10:00"), name="小王")
    sim.until(local("2026-11-25T12:00"))
    sim.event("member.purchased", "hz_001", "m1", local("2026-11-25T12:00"))
    sim.until(local("2026-11-30T00:00"))
    assert [(m.step, m.text, m.mentions) for m in sim.sender.delivered] == [
        ("welcome", "欢迎 小王", ("m1",)), ("coupon", "小王 的新人券", ("m1",))]
    assert sim.states()[("reminder", "hz_001")][0] == "cancelled"
    assert "stopped" in sim.states()[("reminder", "hz_001")][1]


def test_an_event_recorded_late_records_what_it_missed_and_sends_the_rest(project):
    root = project({"m.sop": LIFECYCLE})
    sim = Sim(root, local("2026-11-23T12:00")).start()
    sim.event("member.joined", "hz_001", "m1", local("2026-11-23T10:00"), name="小王")  # two hours ago
    sim.until(local("2026-11-24T12:00"))
    state, reason = sim.states()[("welcome", "hz_001")]
    assert state == "skipped" and reason.startswith("missed: 2h late") and "its event recorded late" in reason
    assert [(m.step, m.text) for m in sim.sender.delivered] == [("coupon", "小王 的新人券")]


def test_events_recorded_while_no_runner_ran_are_planned_at_start(project):
    root = project({"m.sop": LIFECYCLE})
    sim = Sim(root, local("2026-11-23T09:00")).start()
    sim.until(local("2026-11-23T09:01"))
    # `sopc event` / `sopc serve` keep recording while the runner is down
    sim.store.add_event(Event(kind="member.joined", group="hz_001", member="m1", at=local("2026-11-23T09:30"),
                              name="早到的"), local("2026-11-23T09:30"))
    sim.store.add_event(Event(kind="member.joined", group="hz_002", member="m2", at=local("2026-11-23T11:55"),
                              name="晚到的"), local("2026-11-23T11:55"))
    sim.restart(local("2026-11-23T12:00"))
    sim.until(local("2026-11-23T12:01"))
    assert sim.states()[("welcome", "hz_001")][0] == "skipped"  # 2h30m late: recorded missed
    assert [(m.step, m.group, m.text) for m in sim.sender.delivered] == [("welcome", "hz_002", "欢迎 晚到的")]
    assert sim.states()[("coupon", "hz_001")][0] == "pending"  # tomorrow's still goes out


def test_quiet_hours_defer_event_messages_to_the_end_of_the_window(project):
    root = project({"m.sop": LIFECYCLE.replace('to groups tagged 福利群', 'to groups tagged 福利群\n  quiet 22:00-08:00')})
    sim = Sim(root, local("2026-11-23T22:00")).start()
    sim.event("member.joined", "hz_002", "m2", local("2026-11-23T23:10"), name="夜猫子")
    sim.set_time(local("2026-11-23T23:10"))
    sim.until(local("2026-11-24T09:00"))
    assert sim.sender.delivered[0].step == "welcome"
    assert sim.sender.times[0] == local("2026-11-24T08:00")


def test_quiet_hours_catch_a_retry_that_would_land_in_them(project):
    root = project({"w.sop": '''
playbook late "晚"
  to group hz_001
  quiet 22:00-08:00
  周一 21:59  last_call  "最后一条"
'''})
    sender = RecordingSender({"last_call": [retry("busy", retry_after=120)]})
    sim = Sim(root, local("2026-11-23T21:00"), sender=sender).start()
    sim.until(local("2026-11-24T09:00"))
    assert sim.sender.times == [local("2026-11-24T08:00")]


def test_a_message_sent_late_within_grace_does_not_slip_into_quiet_hours(project):
    root = project({"w.sop": '''
playbook late "晚"
  to group hz_001
  quiet 22:00-08:00
  周一 21:55  last_call  "最后一条"
'''})
    sim = Sim(root, local("2026-11-23T21:00")).start()
    sim.restart(local("2026-11-23T22:03"))  # down over 21:55; 8 minutes late is within the 10m grace
    sim.until(local("2026-11-24T09:00"))
    assert sim.sender.times == [local("2026-11-24T08:00")]


TWO_PLAYBOOKS = '''
playbook welfare "福利"
  to group hz_001
  cap 2/day
  gap 30m
  周一 10:00  coupon  "券"
  周一 15:00  draw    "抽奖"

playbook members "会员"
  to group hz_001
  cap 2/day
  gap 30m
  on member.joined repeat
    +0  welcome  "欢迎 {{ member.name }}" @member
'''


def test_gap_and_cap_hold_across_playbooks_and_event_messages(project):
    root = project({"p.sop": TWO_PLAYBOOKS})
    sim = Sim(root, local("2026-11-23T09:00")).start()
    sim.until(local("2026-11-23T10:05"))
    sim.event("member.joined", "hz_001", "m1", local("2026-11-23T10:10"), name="甲")  # 10 minutes after the coupon
    sim.set_time(local("2026-11-23T10:10"))
    sim.until(local("2026-11-23T14:00"))
    assert sim.sender.steps() == [("coupon", "hz_001"), ("welcome", "hz_001")]
    assert sim.sender.times[1] == local("2026-11-23T10:30")  # deferred by the gap
    sim.until(local("2026-11-23T16:00"))
    draw = sim.states()[("draw", "hz_001")]
    assert draw[0] == "skipped" and draw[1].startswith("cap: group `hz_001` already had 2 posts today")


def test_retries_then_gives_up_with_the_senders_error(project):
    root = project({"w.sop": WEEKLY})
    sender = RecordingSender({"coupon@hz_001": [retry("errcode 45009: api freq out of limit")] * 9,
                              "coupon@hz_002": [retry("errcode 45009: api freq out of limit")] * 2,
                              "draw": [failed("errcode 93000: invalid webhook url")]})
    sim = Sim(root, local("2026-11-23T09:00"), sender=sender).start()
    sim.until(local("2026-11-23T16:00"))
    states = sim.states()
    assert states[("coupon", "hz_002")][0] == "sent" and states[("coupon", "sh_001")][0] == "sent"
    assert [m.at for m in sim.store.messages(("sent",)) if m.step == "coupon" and m.group == "hz_002"]
    assert sim.sender.times[sim.sender.steps().index(("coupon", "hz_002"))] == local("2026-11-23T10:01:30")
    failures = sim.by_state("failed")
    assert {m.step for m in failures} >= {"draw"}
    draw = [m for m in failures if m.step == "draw"][0]
    assert draw.reason == "errcode 93000: invalid webhook url" and draw.attempts == 1
    gave_up = [m for m in failures if m.step == "coupon"]
    assert gave_up and gave_up[0].reason.startswith("gave up after 5 attempts: errcode 45009")


def test_every_message_ends_in_exactly_one_final_state(project):
    root = project({"w.sop": WEEKLY, "m.sop": LIFECYCLE.replace("members", "members2")})
    sim = Sim(root, local("2026-11-23T09:00")).start()
    sim.event("member.joined", "sh_001", "m9", local("2026-11-23T09:30"), name="丙")
    sim.until(local("2026-11-30T00:00"))
    counts = sim.store.counts()
    assert counts["claimed"] == 0
    assert sum(counts.values()) == len(list(sim.store.messages()))
    assert all(m.finished is not None for m in sim.store.messages() if m.state != "pending")


def test_a_sender_that_cannot_be_built_stops_the_start_with_a_clear_error(project):
    root = project({"w.sop": WEEKLY, "sopc.toml": '''timezone = "Asia/Shanghai"
[senders.bot]
kind = "wecom-bot"
key_env = "TEST_BOT_KEY"
'''})
    from sopc.run.runner import Runner, StartError
    from sopc.run.store import SQLiteStore
    from sopc.core.clock import FixedClock

    runner = Runner([root], SQLiteStore(root / "s.db"), FixedClock(local("2026-11-23T09:00")), env={})
    with pytest.raises(StartError, match="environment variable TEST_BOT_KEY is not set"):
        runner.start()


def test_a_message_that_cannot_be_rendered_is_recorded_failed_not_lost(project):
    root = project({"m.sop": '''
playbook members "会员"
  to groups tagged 福利群
  on member.purchased repeat
    +0  thanks  "感谢下单,券码 {{ event.code }}"
'''})
    sim = Sim(root, local("2026-11-23T09:00")).start()
    sim.event("member.purchased", "hz_001", "m1", local("2026-11-23T09:10"), data={"code": "A1"})
    sim.event("member.purchased", "hz_002", "m2", local("2026-11-23T09:20"))  # no code in the event
    sim.until(local("2026-11-23T10:00"))
    assert [m.text for m in sim.sender.delivered] == ["感谢下单,券码 A1"]
    failed_rows = sim.by_state("failed")
    assert len(failed_rows) == 1 and failed_rows[0].group == "hz_002"
    assert "cannot render step `thanks` for group `hz_002`" in failed_rows[0].reason


SILENCE = '''
playbook recall "召回"
  to groups tagged 福利群
  quiet off
  on member.silent 7d repeat until member.message
    +0  care  "{{ member.name }},好久不见"

playbook stages "群阶段"
  to group hz_001
  quiet off
  on group.stage 沉默期 repeat
    +0  wake_up  "好久没热闹啦,发红包!"

stages
  沉默期 when silent >= 5d
  活跃期 otherwise
'''


def test_silence_and_group_stages_fire_by_themselves_once_per_transition(project):
    root = project({"s.sop": SILENCE})
    sim = Sim(root, local("2026-11-01T09:00")).start()
    sim.event("member.joined", "hz_001", "m1", local("2026-11-01T10:00"), name="老李")
    sim.until(local("2026-11-03T12:00"))
    sim.event("member.message", "hz_001", "m1", local("2026-11-03T12:00"))
    sim.until(local("2026-11-12T00:00"))
    sim.restart(local("2026-11-12T00:00"))       # a restart must not fire them again
    sim.until(local("2026-11-13T12:00"))
    sim.event("member.message", "hz_001", "m1", local("2026-11-13T12:00"))  # talks again...
    sim.until(local("2026-11-25T00:00"))         # ...then falls silent again
    delivered = [(m.step, sim.sender.times[i]) for i, m in enumerate(sim.sender.delivered)]
    assert delivered == [
        ("wake_up", local("2026-11-08T12:00")),  # no message in the group for 5 days
        ("care", local("2026-11-10T12:00")),     # 7 days after the member last wrote
        ("wake_up", local("2026-11-18T12:00")),  # quiet again after the 13th
        ("care", local("2026-11-20T12:00")),
    ]
