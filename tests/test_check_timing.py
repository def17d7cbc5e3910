"""The cadence check times slots without rendering (issue 9, item 5): its
cap and gap findings must be the ones the fully rendered plan gives, on every
example and golden project; and the few-valued render memo and the
occurrences memo must not change a text or a firing time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sopc import pipeline
from sopc.checks import CheckContext
from sopc.checks.cadence import check_cadence
from sopc.plan import expand as expand_module
from sopc.plan.expand import Renderer, expand, planned_slots
from sopc.plan.policy import stage_refusal
from sopc.plan.schedule import occurrences
from sopc.plan.triggers import plan_state

ROOT = Path(__file__).resolve().parent.parent
PROJECTS = sorted([p for p in (ROOT / "examples").iterdir() if (p / "sopc.toml").is_file()] +
                  [p for p in (ROOT / "tests" / "golden" / "diagnostics").iterdir() if p.is_dir()])
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _rendered_cap_and_gap(program, start, end) -> set[tuple[str, str, str]]:
    """(code, playbook, step) of every cap and gap breach, found the slow and
    obvious way: over every rendered message of every group."""
    steps = {(p.name, s.name): s for p in program.playbooks for s in p.all_steps()}
    policies = {p.name: p.policy for p in program.playbooks}
    zones = {p.name: p.zone for p in program.playbooks}
    playbooks = {p.name: p for p in program.playbooks}
    stages = plan_state(program, (), start, end)  # `in stage`: a message the gate skips for it is no post
    found, last, per_day, over, sent = set(), {}, {}, set(), set()
    for message in expand(program, start, end):
        if message.id in sent:  # one message per id: the plan and the store keep the first (E0220 says so)
            continue
        sent.add(message.id)
        if message.kind == "action" or (message.playbook, message.step) not in steps:
            continue
        if stage_refusal(message, playbooks[message.playbook], stages.stage_at) is not None:
            continue
        policy = policies[message.playbook]
        day = (message.group, message.at.astimezone(zones[message.playbook]).date())
        per_day[day] = per_day.get(day, 0) + 1
        if policy.cap and per_day[day] > policy.cap and day not in over:
            over.add(day)
            found.add(("E0304", message.playbook, message.step))
        previous = last.get(message.group)
        if previous is not None and policy.gap and message.at - previous.at < policy.gap:
            found.add(("E0303", message.playbook, message.step))
        last[message.group] = message
    return found


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_timing_only_pass_finds_what_the_rendered_plan_finds(project):
    built = pipeline.build([project])
    program = built.program
    end = NOW + pipeline.CHECK_WINDOW
    timing = {(d.code, d.span.path, d.span.line) for d in
              check_cadence(program, CheckContext(now=NOW, start=NOW, end=end)) if d.code in ("E0303", "E0304")}
    steps = {(p.name, s.name): s for p in program.playbooks for s in p.all_steps()}
    rendered = set()
    for code, playbook, step in _rendered_cap_and_gap(program, NOW, end):
        span = steps[(playbook, step)].span
        rendered.add((code, span.path, span.line))
    # findings in imported timelines are reported at the `run` line: compare the project's own
    own = {str(f.path) for f in program.project.files}
    assert {f for f in timing if f[1] in own} == {f for f in rendered if f[1] in own}


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_timing_only_slots_and_texts_are_the_rendered_messages(project):
    """What the check reads (slot times, Renderer.text) is what the planner
    sends: the same moments (quiet hours applied) and the same texts."""
    program = pipeline.build([project]).program
    end = NOW + dt.timedelta(days=21)
    messages = [(m.at, m.playbook, m.step, m.group, m.text) for m in expand(program, NOW, end)]
    renderer = Renderer(program, [])
    timed = []
    for slot, groups in planned_slots(program, NOW, end):
        for group in groups:
            text, failure = renderer.text(slot, group)
            if failure is None:
                timed.append((slot.at, slot.step.playbook, slot.step.name, group.id, text))
    assert timed == messages


def _slot_order(program, start, end) -> list[tuple]:
    return [(slot.at, slot.playbook.name, slot.step.name, slot.step.span, tuple(g.id for g in groups),
             (slot.member or {}).get("id")) for slot, groups in planned_slots(program, start, end)]


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_short_window_sorted_at_once_is_the_merged_order(project, monkeypatch):
    """The checks' five weeks are sorted in one go, a year's plan merged
    stream by stream: the same slots in the same order, ties and all."""
    program = pipeline.build([project]).program
    end = NOW + pipeline.CHECK_WINDOW
    sorted_at_once = _slot_order(program, NOW, end)
    monkeypatch.setattr(expand_module, "SORTED_AT_ONCE", dt.timedelta(0))
    assert _slot_order(program, NOW, end) == sorted_at_once


def _small_project(folder, roster: str, files: dict[str, str]):
    """The program of a project in ``folder``: Shanghai time, ``roster``'s
    rows after the header, and ``files`` (name -> text)."""
    (folder / "sopc.toml").write_text('timezone = "Asia/Shanghai"\nroster = "groups.csv"\n', encoding="utf-8")
    (folder / "groups.csv").write_text("id,name,tags\n" + roster, encoding="utf-8")
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return pipeline.build([folder]).program


def test_slots_due_at_one_moment_keep_the_merged_order_when_sorted(tmp_path, monkeypatch):
    program = _small_project(tmp_path, "g1,一店,t\ng2,二店,t u\n", {
        "b.sop": 'playbook b "b"\n  to groups tagged t\n\n  每天 10:00  z  "z"\n  每天 10:00  a  "a"\n'
                 '  周一 10:00  m  "m"\n',
        "a.sop": 'playbook a "a"\n  to groups tagged u\n\n  每天 10:00  z  "z"\n  每天 9:59  a  "a"\n'})
    end = NOW + dt.timedelta(days=14)
    sorted_at_once = _slot_order(program, NOW, end)
    monkeypatch.setattr(expand_module, "SORTED_AT_ONCE", dt.timedelta(0))
    merged = _slot_order(program, NOW, end)
    assert merged == sorted_at_once
    first_monday = [(at.strftime("%a %H:%M"), playbook, step) for at, playbook, step, *_ in merged[:4]]
    assert first_monday == [("Mon 09:59", "a", "a"), ("Mon 10:00", "a", "z"), ("Mon 10:00", "b", "a"),
                            ("Mon 10:00", "b", "m")]


def test_a_weekday_text_is_rendered_once_per_weekday_and_right_every_week(tmp_path, monkeypatch):
    program = _small_project(tmp_path, "g1,一店,t\ng2,二店,t\n", {
        "p.sop": 'playbook p "p"\n  to groups tagged t\n\n'
                 '  每天 10:00  hi  "{{ group.name }} {{ weekday_cn }} {{ time }}"\n'})
    start = dt.datetime(2026, 11, 23, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    renders = []
    original = Renderer._render
    monkeypatch.setattr(Renderer, "_render", lambda self, slot, group: renders.append(1) or original(self, slot, group))
    texts = [(m.at.weekday(), m.group, m.text) for m in expand(program, start, start + dt.timedelta(days=28))]
    assert len(texts) == 56 and len(renders) == 14  # 7 weekdays x 2 groups, not 56
    weekdays = "一二三四五六日"
    assert texts == [(day, group, f"{'一店' if group == 'g1' else '二店'} 周{weekdays[day]} 10:00")
                     for day, group, _ in texts]


def test_occurrences_are_memoized_by_value_and_callers_cannot_spoil_the_memo(tmp_path):
    program = _small_project(tmp_path, "g1,一店,t\n", {
        "p.sop": 'playbook a "a"\n  to groups tagged t\n  周一 10:00  x  "x"\n\n'
                 'playbook b "b"\n  to groups tagged t\n  active 2026-12-01 to 2026-12-31\n  周一 10:00  y  "y"\n'})
    a, b = program.playbooks
    calendar = program.project.calendar
    first, last = dt.date(2026, 11, 23), dt.date(2026, 12, 14)
    fires_a = occurrences(a.schedule[0][0].when, a.policy, calendar, first, last)
    fires_a.clear()  # a caller's list is its own
    assert [d.day for d in occurrences(a.schedule[0][0].when, a.policy, calendar, first, last)] == [23, 30, 7, 14]
    # the same `周一 10:00` under another `active` window is its own answer
    assert [d.day for d in occurrences(b.schedule[0][0].when, b.policy, calendar, first, last)] == [7, 14]


SCHEDULES = ("每天 10:00", "工作日 09:00", "周末 20:00", "周一,周五 12:00", "每月 1日,最后一天 10:00",
             "every 3d from 2026-01-01 at 08:00", 'cron "30 9 * * 1-5"', "节假日 10:00")


@pytest.mark.parametrize("mode", ["keep", "skip", "before", "after"])
def test_a_windows_firings_are_those_of_a_wider_window_inside_it(tmp_path, mode):
    """Whatever the holiday policy moves into or out of a window: the
    firings of [first, last] are a wider window's that fall in it (only
    `before` and `after` move a post to another day, so only they look
    past the window's edges)."""
    steps = "".join(f"  {when}  s{number}  \"x\"\n" for number, when in enumerate(SCHEDULES))
    program = _small_project(tmp_path, "g1,一店,t\n", {
        "p.sop": f'playbook p "p"\n  to groups tagged t\n  on holidays {mode}\n{steps}'})
    said = program.project.diagnostics + program.diagnostics
    assert not said, [d.message for d in said]
    (playbook,) = program.playbooks
    calendar = program.project.calendar
    windows = [(dt.date(2026, 2, 10), dt.date(2026, 2, 20)), (dt.date(2026, 9, 28), dt.date(2026, 10, 4)),
               (dt.date(2026, 10, 5), dt.date(2026, 10, 9)), (dt.date(2026, 12, 25), dt.date(2027, 1, 5))]
    for schedule_step, _step in playbook.schedule:
        for first, last in windows:
            wide = occurrences(schedule_step.when, playbook.policy, calendar,
                               first - dt.timedelta(days=60), last + dt.timedelta(days=60))
            assert occurrences(schedule_step.when, playbook.policy, calendar, first, last) == [
                moment for moment in wide if first <= moment.date() <= last], (schedule_step.when, first)


def test_the_check_reads_a_text_once_where_it_stays_the_same_and_each_slot_where_it_changes(tmp_path, monkeypatch):
    """A group's text of a step that reads nothing changing from slot to
    slot is asked for once and its findings counted every day; one that
    reads the weekday is asked for at each slot, and says its greeting on
    Mondays only."""
    program = _small_project(tmp_path, "g1,一店,t\n", {
        "p.sop": 'playbook p "p"\n  to groups tagged t\n\n'
                 '  每天 14:00  same   "{{ group.name }} 早上好"\n'
                 '  每天 15:00  monday "{% if weekday_cn == \'周一\' %}早安{% endif %} {{ group.name }}"\n'})
    asked: dict[str, int] = {}
    original = Renderer.text
    monkeypatch.setattr(Renderer, "text", lambda self, slot, group: asked.update(
        {slot.step.name: asked.get(slot.step.name, 0) + 1}) or original(self, slot, group))
    found = list(check_cadence(program, CheckContext(now=NOW, start=NOW, end=NOW + pipeline.CHECK_WINDOW, events=())))
    assert asked == {"same": 1, "monday": 35}
    assert sorted((d.code, d.message) for d in found) == [
        ("W0302", "`monday` says “早安” (good morning) but is sent at 15:00 (and 4 more times in 1 group)"),
        ("W0302", "`same` says “早上好” (good morning) but is sent at 14:00 (and 34 more times in 1 group)")]


def test_one_schedule_in_playbooks_of_other_quiet_hours_and_zones_is_placed_for_each(tmp_path):
    """`周一 23:00` in four playbooks is worked out once (one memoized tuple
    of firing times) and placed for each: deferred by one's quiet hours,
    skipped by another's, left alone by one with `quiet off`, and at 23:00
    New York time in the last."""
    def playbook(name: str, settings: str) -> str:
        return f'playbook {name} "{name}"\n  to groups tagged t\n{settings}\n  周一 23:00  late  "x"\n\n'
    program = _small_project(tmp_path, "g1,一店,t\n", {"p.sop": "".join([
        playbook("deferred", "  quiet 22:00-08:00 defer"), playbook("skipped", "  quiet 22:00-08:00 skip"),
        playbook("plain", "  quiet off"), playbook("new_york", "  timezone America/New_York\n  quiet off")])})
    said = program.project.diagnostics + program.diagnostics
    assert not said, [d.message for d in said]
    end = NOW + dt.timedelta(days=14)
    shanghai = dt.timezone(dt.timedelta(hours=8))
    placed = sorted((slot.playbook.name, slot.at.astimezone(shanghai).strftime("%m-%d %H:%M"))
                    for slot, _groups in planned_slots(program, NOW, end))
    assert placed == [("deferred", "11-24 08:00"), ("deferred", "12-01 08:00"),
                      ("new_york", "11-24 12:00"), ("new_york", "12-01 12:00"),
                      ("plain", "11-23 23:00"), ("plain", "11-30 23:00")]
