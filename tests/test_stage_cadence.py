"""Cadence that follows the group's stage: `to ... in stage S` and `in stage`
blocks of steps, and stage rules on `members` and `messages/day`.

What a user notices, through the command line: `sopc plan --events` shows a
stage-limited message skipped with the stage it met; `sopc run --once` with
a real SQLite store sends the lighter schedule once events recorded with
`sopc event` move a group from 成熟期 to 沉默期, asks for the stage again when
a message falls due (an event recorded after planning counts), and agrees
with the plan given the same events. The stage timeline itself (member
counts, the week's messages) is checked on the lifecycle state.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

from projects import write_project

from sopc import pipeline
from sopc.core.events import Event
from sopc.plan.lifecycle_state import LifecycleState, rules_of

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "stage_cadence"
ZONE = dt.timezone(dt.timedelta(hours=8))
OUTBOX_TOML = '''timezone = "Asia/Shanghai"
roster = "groups.csv"

[defaults]
quiet = "22:00-08:00"
cap = 6
gap = "30m"

[senders.wecom]
kind = "file"
path = "outbox.jsonl"
'''


def _project(tmp_path: Path) -> Path:
    """The stage_cadence example, delivering into outbox.jsonl."""
    root = tmp_path / "xg"
    shutil.copytree(EXAMPLE, root)
    (root / "sopc.toml").write_text(OUTBOX_TOML, encoding="utf-8")
    return root


def _outbox(root: Path) -> list[dict]:
    path = root / "outbox.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def _sent(root: Path, day: str, group: str) -> list[str]:
    return [m["step"] for m in _outbox(root) if m["group"] == group and m["at"].startswith(day)]


def _plan(run_sopc, root: Path, events: Path, first: str, last: str) -> list[dict]:
    result = run_sopc("plan", str(root), "--events", str(events), "--from", first, "--to", last,
                      "--show-skipped", "--format", "jsonl", cwd=root.parent)
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


# ---- sopc plan -------------------------------------------------------------------------------

def test_plan_shows_a_stage_limited_message_skipped_with_the_stage_it_met(run_sopc):
    plan = _plan(run_sopc, EXAMPLE, EXAMPLE / "events.jsonl", "2026-11-27", "2026-11-28")
    wulin = {(m["at"][:16], m["step"]): m for m in plan if m["target"]["group"] == "xg_hz_wulin"}
    # Quiet since 11-25 09:40: 成熟期 on the 27th, 沉默期 from 09:40:01 on the 28th.
    assert wulin[("2026-11-27T10:00", "flash")]["status"] == "planned"
    assert wulin[("2026-11-28T09:30", "morning")]["status"] == "planned"
    flash = wulin[("2026-11-28T10:00", "flash")]
    assert flash["status"] == "skipped"
    assert flash["reason"] == "stage: group `xg_hz_wulin` is in 沉默期, the step is for 成熟期"
    # The new group is in 初建期 until it is a week old, then follows its messages.
    jingan = {(m["at"][:16], m["step"]): m["status"] for m in plan if m["target"]["group"] == "xg_sh_jingan"}
    assert jingan[("2026-11-27T12:00", "group_lunch")] == "planned"
    assert ("2026-11-27T19:00", "invite") in jingan and jingan[("2026-11-27T19:00", "invite")] == "skipped"


def test_a_playbook_limited_by_its_to_line_goes_only_to_groups_in_that_stage(run_sopc, tmp_path):
    events = tmp_path / "events.jsonl"
    # 武林店 keeps chatting: 成熟期 on 12-08 (会员日); the others are quiet by then.
    lines = (EXAMPLE / "events.jsonl").read_text(encoding="utf-8")
    lines += json.dumps({"event": "member.message", "group": "xg_hz_wulin", "member": "m_a",
                         "at": "2026-12-07T21:00:00+08:00"}, ensure_ascii=False) + "\n"
    events.write_text(lines, encoding="utf-8")
    plan = _plan(run_sopc, EXAMPLE, events, "2026-12-08", "2026-12-08")
    member_day = {m["target"]["group"]: m for m in plan if m["step"] == "member_day"}
    assert member_day["xg_hz_wulin"]["status"] == "planned"
    assert member_day["xg_hz_gongshu"]["status"] == "skipped"
    assert member_day["xg_hz_gongshu"]["reason"].startswith("stage: group `xg_hz_gongshu` is in 沉默期")


def test_without_events_a_group_is_in_the_stage_its_age_gives_and_unknown_without_a_created_day(project,
                                                                                                 run_sopc):
    root = project({
        "groups.csv": "id,name,tags,created\nold,老群,福利群,2026-01-01\nnew,新群,福利群,2026-11-20\nnodate,群,福利群,\n",
        "main.sop": ('playbook p\n  to groups tagged 福利群\n  in stage 初建期\n    每天 10:00 hello "你好"\n'
                     "stages\n  初建期 when age < 7d\n  沉默期 when silent >= 7d\n  成熟期 otherwise\n")})
    result = run_sopc("plan", str(root), "--from", "2026-11-23", "--to", "2026-11-23", "--show-skipped",
                      "--format", "jsonl", cwd=root.parent)
    fates = {m["target"]["group"]: m for m in map(json.loads, result.stdout.splitlines())}
    assert fates["new"]["status"] == "planned"
    # No message ever: silent as long as it exists.
    assert fates["old"]["reason"] == "stage: group `old` is in 沉默期, the step is for 初建期"
    assert fates["nodate"]["status"] == "skipped"
    assert "no roster `created` day and no event" in fates["nodate"]["reason"]


# ---- sopc run --------------------------------------------------------------------------------

def test_events_recorded_with_sopc_event_move_a_group_to_the_lighter_schedule(tmp_path, run_sopc):
    root = _project(tmp_path)
    recorded = run_sopc("event", "--file", str(root / "events.jsonl"), str(root), cwd=tmp_path)
    assert recorded.exit_code == 0, recorded.stderr

    def run(now: str) -> str:
        result = run_sopc("run", str(root), "--once", "--now", now, cwd=tmp_path)
        assert result.exit_code == 0, result.stderr
        return result.stderr

    run("2026-11-25T10:00:30")   # 201 members: 成熟期, the full day
    assert _sent(root, "2026-11-25T10:00", "xg_hz_wulin") == ["flash"]
    log = run("2026-11-28T10:00:30")  # quiet since 11-25 09:40: 沉默期 from 11-28 09:40:01
    assert _sent(root, "2026-11-28T10:00", "xg_hz_wulin") == []
    assert "welfare/flash -> xg_hz_wulin: stage: group `xg_hz_wulin` is in 沉默期, the step is for 成熟期" \
        in log.replace("xg_welfare/", "welfare/")
    run("2026-12-02T20:00:30")   # the lighter schedule: Wednesday's wake-up
    assert _sent(root, "2026-12-02T20:00", "xg_hz_wulin") == ["wake_up"]

    status = run_sopc("status", str(root), "--format", "json", cwd=tmp_path)
    assert "stage" in json.dumps(json.loads(status.stdout), ensure_ascii=False)


def test_the_run_asks_for_the_stage_when_a_message_falls_due_and_agrees_with_the_plan(tmp_path, run_sopc):
    root = _project(tmp_path)
    run_sopc("event", "--file", str(root / "events.jsonl"), str(root), cwd=tmp_path)
    first = run_sopc("run", str(root), "--once", "--now", "2026-11-28T09:45", cwd=tmp_path)  # planned 10:00 already
    assert first.exit_code == 0, first.stderr
    # A member writes at 09:50, after the run planned 10:00: not silent any more, 成熟期 again.
    late = run_sopc("event", "member.message", str(root), "--group", "xg_hz_wulin", "--member", "m_b",
                    "--at", "2026-11-28T09:50", cwd=tmp_path)
    assert late.exit_code == 0, late.stderr
    second = run_sopc("run", str(root), "--once", "--now", "2026-11-28T10:00:30", cwd=tmp_path)
    assert second.exit_code == 0, second.stderr
    assert _sent(root, "2026-11-28T10:00", "xg_hz_wulin") == ["flash"]

    events = tmp_path / "all.jsonl"
    events.write_text((root / "events.jsonl").read_text(encoding="utf-8") + json.dumps(
        {"event": "member.message", "group": "xg_hz_wulin", "member": "m_b", "at": "2026-11-28T09:50:00+08:00"})
        + "\n", encoding="utf-8")
    plan = _plan(run_sopc, root, events, "2026-11-28", "2026-11-28")
    planned = {(m["target"]["group"], m["step"]) for m in plan if m["at"].startswith("2026-11-28T10:00")
               and m["status"] == "planned"}
    sent = {(m["group"], m["step"]) for m in _outbox(root) if m["at"].startswith("2026-11-28T10:00")}
    assert planned == sent == {("xg_hz_wulin", "flash")}


# ---- the stage timeline: members and messages/day --------------------------------------------

STAGES_BY_COUNT = '''playbook p
  to groups tagged 福利群
  in stage 热闹
    每天 10:00 hot "热闹"

stages
  大群 when members >= 3
  热闹 when messages/day >= 2
  普通 otherwise
'''


def _state(project, csv: str) -> LifecycleState:
    root = project({"groups.csv": csv, "main.sop": STAGES_BY_COUNT})
    build = pipeline.build([root])
    assert not build.failed, build.diagnostics
    return LifecycleState(rules_of(build.program))


def _at(day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, tzinfo=ZONE)


def test_members_count_from_the_roster_and_each_join_and_leave_once(project):
    state = _state(project, "id,name,tags,created,members\ng,群,福利群,2026-11-01,1\n")
    assert state.stage_at("g", _at(2)) == "普通"          # one member, no event
    for member, day in (("a", 3), ("a", 4), ("b", 5)):   # `a` twice: one member
        state.advance(Event(kind="member.joined", group="g", member=member, at=_at(day)))
    assert state.stage_at("g", _at(4, 13)) == "普通"      # 1 + a
    assert state.stage_at("g", _at(5, 13)) == "大群"      # 1 + a + b
    state.advance(Event(kind="member.left", group="g", member="z", at=_at(6)))  # one of the roster's
    state.advance(Event(kind="member.left", group="g", member="z", at=_at(6, 13)))  # (once)
    assert state.stage_at("g", _at(6, 14)) == "普通"
    assert state.stage_at("g", _at(5, 13)) == "大群"      # the timeline keeps the past


def test_messages_per_day_is_the_average_of_the_last_seven_whole_days(project):
    state = _state(project, "id,name,tags,created\ng,群,福利群,2026-11-01\n")
    for number in range(14):  # 14 messages on 11-10: 2 a day over the week after
        state.advance(Event(kind="member.message", group="g", member="m", at=_at(10, 8) + dt.timedelta(minutes=number)))
    state.advance(Event(kind="member.message", group="g", member="m", at=_at(10, 21)))
    state.finish(_at(25))
    assert state.stage_at("g", _at(10, 23)) == "普通"     # the day itself is not whole yet
    assert state.stage_at("g", _at(11, 0)) == "热闹"      # 15 in the week: 2.1 a day
    assert state.stage_at("g", _at(17, 23)) == "热闹"
    assert state.stage_at("g", _at(18, 0)) == "普通"      # 11-10 left the week


def test_the_stage_state_survives_the_store_round_trip(project):
    state = _state(project, "id,name,tags,created,members\ng,群,福利群,2026-11-01,2\n")
    state.advance(Event(kind="member.joined", group="g", member="a", at=_at(3)))
    for number in range(14):
        state.advance(Event(kind="member.message", group="g", member="a", at=_at(4) + dt.timedelta(minutes=number)))
    again = LifecycleState(state.rules)
    again.load_group("g", state.group_json("g"))
    for moment in (_at(3, 13), _at(4, 13), _at(5, 1), _at(12, 1)):
        assert again.stage_at("g", moment) == state.stage_at("g", moment)
    again.advance(Event(kind="member.left", group="g", member="a", at=_at(13)))
    state.advance(Event(kind="member.left", group="g", member="a", at=_at(13)))
    assert again.stage_at("g", _at(13, 13)) == state.stage_at("g", _at(13, 13)) == "普通"


# ---- sopc check ------------------------------------------------------------------------------

TWO_STAGES_AT_ONE_TIME = '''playbook p
  to groups tagged 福利群
  cap 2/day
  每天 09:30 morning "今日福利"
  in stage 成熟期
    每天 20:00 night "晚场"
    每天 12:00 lunch "午餐"
  in stage 沉默期
    每天 20:00 wake "红包"

stages
  沉默期 when silent >= 7d
  成熟期 otherwise
'''


def test_check_counts_only_the_posts_a_groups_stage_lets_through(project, run_sopc):
    # Created on different days, all silent (no event): every group gets morning and wake, 2 a day.
    csv = "id,name,tags,created\n" + "".join(f"g{n},群{n},福利群,2026-0{1 + n % 9}-0{1 + n % 7}\n" for n in range(40))
    root = project({"groups.csv": csv, "main.sop": TWO_STAGES_AT_ONE_TIME})
    clean = run_sopc("check", str(root), "--strict", "--now", "2026-11-23T09:00", cwd=root.parent)
    assert clean.exit_code == 0, clean.stderr
    # A group in 成熟期 (it wrote yesterday) gets three posts a day: over its cap of 2.
    events = root / "events.jsonl"
    events.write_text(json.dumps({"event": "member.message", "group": "g7", "member": "m",
                                  "at": "2026-11-22T10:00:00+08:00"}) + "\n", encoding="utf-8")
    busy = run_sopc("check", str(root), "--now", "2026-11-23T09:00", "--events", str(events), cwd=root.parent)
    assert busy.exit_code == 1
    assert "error[E0304]" in busy.stderr and "group `g7` gets more than 2 posts" in busy.stderr
    assert "E0303" not in busy.stderr  # night and wake at 20:00 never go to one group together


def test_a_playbooks_stage_limit_holds_for_its_triggers_and_launches_too(project, run_sopc):
    root = project({
        "groups.csv": "id,name,tags,created\nyoung,新群,福利群,2026-11-20\nold,老群,福利群,2026-01-01\n",
        "main.sop": ('playbook p\n  to groups tagged 福利群 in stage 初建期\n'
                     '  run t at 2026-11-24 10:00 in groups tagged 福利群\n'
                     '  on member.joined\n    +0 hello "欢迎 {{ member.name }}"\n'
                     'timeline t\n  T opening "开业"\n'
                     "stages\n  初建期 when age < 7d\n  老群期 otherwise\n")})
    events = root / "events.jsonl"
    events.write_text("".join(json.dumps({"event": "member.joined", "group": group, "member": "m", "name": "小王",
                                          "at": "2026-11-24T11:00:00+08:00"}) + "\n" for group in ("young", "old")),
                      encoding="utf-8")
    result = run_sopc("plan", str(root), "--events", str(events), "--from", "2026-11-24", "--to", "2026-11-24",
                      "--show-skipped", "--format", "jsonl", cwd=root.parent)
    assert result.exit_code == 0, result.stderr
    fates = {(m["step"], m["target"]["group"]): m for m in map(json.loads, result.stdout.splitlines())}
    assert fates[("opening", "young")]["status"] == fates[("hello", "young")]["status"] == "planned"
    for step in ("opening", "hello"):
        assert fates[(step, "old")]["status"] == "skipped"
        assert fates[(step, "old")]["reason"] == "stage: group `old` is in 老群期, the step is for 初建期"
