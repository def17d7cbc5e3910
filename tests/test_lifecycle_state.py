"""The lifecycle state (sopc/plan/lifecycle_state.py): what each group's
events so far imply, advanced one event at a time.

The property tests feed random event streams (joins, messages, leaves, tags,
purchases, for a few members in a few groups, some recorded late) to a
project with silence and stage triggers and `until` stops, and hold:

* one pass (`sopc plan --events`'s trigger expansion) to the trigger
  expansion as it was before the state (tests/lifecycle_reference.py, which
  finds every derived event and stop by looking at the whole timeline again);
* the state advanced in random chunks, stored as JSON between chunks (as the
  runner keeps it) and built again for a group whose event came late, to the
  one pass, and to what `sopc plan --events` prints;
* a real planner on a real SQLite file, taking the events in random chunks
  and restarted now and then, to the plan.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lifecycle_reference as reference
from inprocess import run_sopc
from projects import write_project
from simulate import RecordingSender

from sopc import pipeline
from sopc.core.events import Event
from sopc.plan.expand import Renderer, expand
from sopc.plan.lifecycle_state import LifecycleState, rules_of
from sopc.plan.triggers import derived_events, trigger_slots
from sopc.run.deployment import deploy
from sopc.run.planner import Planner
from sopc.run.store import SQLiteStore

SH = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 11, 20, tzinfo=SH)
DAY = dt.timedelta(days=1)
EXAMPLES = int(os.environ.get("SOPC_LIFECYCLE_EXAMPLES", "60"))

TOML = '''timezone = "Asia/Shanghai"

[defaults]
quiet = ""
cap = 0
gap = "0"

[senders.console]
kind = "console"
'''
GROUPS = "id,name,tags,created\ng1,一群,会员群,2026-11-19\ng2,二群,会员群,\ng3,三群,别的群,2026-11-01\n"
LIFE = '''
playbook life "会员"
  to groups tagged 会员群
  on member.joined until member.purchased
    +0            welcome  "欢迎 {{ member.name }}" @member
    +1d at 11:00  coupon   "{{ member.name }} 的券" @member
  on member.silent 2d repeat until member.message
    +0            care     "{{ member.name }} 好久不见" @member
    +1d at 10:00  again    "回来看看 {{ member.name }}" @member
  on member.silent 1d
    +2h           nudge    "{{ member.name }} 在吗"
  on group.stage 沉默期 repeat until member.message
    +0            wake     "{{ group.name }} 醒醒"
    +1d at 20:00  game     "小游戏"
  on group.stage 活跃期 until group.stage 沉默期
    +3h           lively   "热闹"
  on member.tagged VIP repeat until member.silent 1d
    +0            vip      "VIP {{ member.name }}"
    +2d           vip2     "VIP 第二天"
  on member.left repeat
    +10m          bye      "再见 {{ event.name }}"

stages
  初建期 when age < 2d
  沉默期 when silent >= 1d
  冷淡期 when silent > 12h and age >= 3d
  活跃期 otherwise
'''
NAMES = {"m1": "甲", "m2": "乙", "m3": "丙"}


# The same with every `until` a reported event: no stop the runner must
# foresee (see the planner's property below).
LIFE_REPORTED_STOPS = LIFE.replace("until member.silent 1d", "until member.purchased").replace(
    "until group.stage 沉默期", "until member.left")


def life_project(root: Path, sop: str = LIFE) -> Path:
    return write_project(root, {"sopc.toml": TOML, "groups.csv": GROUPS, "life.sop": sop})


def build_of(root: Path) -> pipeline.Build:
    build = pipeline.build([root])
    assert not build.failed, [d.message for d in build.diagnostics]
    return build


@functools.cache
def life_program():
    """The project built once, for the properties that only plan from it."""
    folder = tempfile.mkdtemp(prefix="sopc-life-")
    return build_of(life_project(Path(folder) / "p")).program


@st.composite
def arrivals(draw) -> list[Event]:
    """Events in the order they are recorded: by time, but some late (a
    few hours, or a day and more); times on the 10 minutes from T0 on, many
    at the same few moments."""
    events = []
    for _ in range(draw(st.integers(0, 30))):
        kind = draw(st.sampled_from(("member.joined", "member.message", "member.message", "member.left",
                                     "member.tagged", "member.purchased")))
        member = draw(st.sampled_from(("m1", "m2", "m3")))
        at = T0 + dt.timedelta(minutes=draw(st.one_of(  # some at the same moments: ties matter
            st.sampled_from((600, 1440, 2880, 4320)), st.integers(0, 9 * 24 * 6).map(lambda n: 10 * n))))
        late = dt.timedelta(hours=draw(st.sampled_from((0, 0, 0, 0, 5, 30))))
        events.append((at + late, Event(
            kind=kind, group=draw(st.sampled_from(("g1", "g2", "g3"))), member=member, at=at,
            name=draw(st.sampled_from((None, NAMES[member]))),
            argument=draw(st.sampled_from(("VIP", "新客"))) if kind == "member.tagged" else None)))
    return [event for _, event in sorted(events, key=lambda pair: pair[0])]


def in_time_order(events: list[Event]) -> list[Event]:
    """As a plan reads them: by time; at one time, in the order recorded."""
    return sorted(events, key=lambda e: e.at)


def slot_key(slot) -> tuple:
    return (slot.at, slot.scheduled, slot.playbook.name, slot.step.name, slot.groups[0].id,
            json.dumps(slot.member, ensure_ascii=False), slot.anchor,
            json.dumps(slot.event, default=str, ensure_ascii=False, sort_keys=True))


def advanced_in_chunks(rules, events: list[Event], chunks: list[int]) -> LifecycleState:
    """The state fed ``events`` in chunks of the given sizes, as the runner
    feeds it: each group's new events in time order, a group built again
    from all its events when one is older than its latest; stored as JSON and
    read back after every chunk."""
    state, seen, at = LifecycleState(rules), [], 0
    for size in chunks + [len(events)]:
        chunk, at = events[at:at + size], at + size
        seen += chunk
        by_group: dict[str, list[Event]] = {}
        for event in chunk:
            by_group.setdefault(event.group, []).append(event)
        for group, new in by_group.items():
            if any(state.needs_rebuild(group, e.at) for e in new):
                state.rebuild(group, [e for e in seen if e.group == group])
            else:
                for event in in_time_order(new):
                    state.advance(event)
        stored = {group: state.group_json(group) for group in state.groups}
        state = LifecycleState(rules)
        for group, text in stored.items():
            state.load_group(group, text)
    return state


# ---- the properties ----------------------------------------------------------------------------

@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=arrivals(), chunks=st.lists(st.integers(1, 5), max_size=12), first=st.integers(0, 6),
       days=st.integers(1, 10))
def test_in_chunks_from_json_equals_one_pass_equals_the_quadratic_reference(events, chunks, first, days):
    program = life_program()
    start, end = T0 + first * DAY, T0 + (first + days) * DAY
    timeline = in_time_order(events)
    one_pass = sorted(map(slot_key, trigger_slots(program, timeline, start, end)))
    assert one_pass == sorted(map(slot_key, reference.trigger_slots(program, timeline, start, end)))
    incremental = advanced_in_chunks(rules_of(program), events, chunks)
    assert sorted(map(slot_key, incremental.slots(start, end))) == one_pass


@settings(max_examples=max(10, EXAMPLES // 3), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=arrivals(), chunks=st.lists(st.integers(1, 5), max_size=12))
def test_the_state_fed_in_chunks_plans_what_sopc_plan_events_prints(events, chunks):
    with tempfile.TemporaryDirectory() as folder:
        root = life_project(Path(folder) / "p")
        lines = "".join(json.dumps({"event": e.kind, "group": e.group, "member": e.member, "name": e.name,
                                    "at": e.at.isoformat(), **({"tag": e.argument} if e.argument else {})},
                                   ensure_ascii=False) + "\n" for e in events)
        (root / "events.jsonl").write_text(lines, encoding="utf-8")
        printed = run_sopc("plan", ".", "--events", "events.jsonl", "--from", "2026-11-20", "--to", "2026-11-29",
                           "--format", "jsonl", "--now", "2026-11-20T00:00", cwd=root)
        assert printed.exit_code == 0, printed.stderr
        plan = {m["id"]: (m["at"], m["text"]) for m in map(json.loads, printed.stdout.splitlines())
                if m["playbook"] == "life"}
        program = build_of(root).program
        state = advanced_in_chunks(rules_of(program), pipeline.read_events(build_of(root), root / "events.jsonl"),
                                   chunks)
        renderer = Renderer(program, [])
        ours: dict[str, tuple] = {}
        for slot in state.slots(T0, T0 + 10 * DAY):
            for m in renderer.messages(slot, slot.groups):
                # Two events at one moment starting one step give one id; the
                # plan keeps the first (as the gate takes them).
                ours.setdefault(m.id, (m.at.isoformat(), m.text))
        assert ours == plan


@settings(max_examples=max(10, EXAMPLES // 3), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=arrivals(), chunks=st.lists(st.integers(1, 6), max_size=10),
       restarts=st.lists(st.booleans(), max_size=10), reported_stops=st.booleans())
def test_a_planner_taking_events_in_chunks_and_restarting_stores_the_plan(events, chunks, restarts, reported_stops):
    """The store holds the plan: every pending event-driven message is the
    plan's, and every message of the plan is pending, but for one the store
    cancelled when the events known then had it out of the plan and those
    recorded later bring it back (a cancelled message stays cancelled: the
    runner cannot know that a later event will undo a silence it foresees,
    or that one recorded late moves a stage). With events recorded in time
    and only reported `until` events, that cannot happen: the store is the plan."""
    with tempfile.TemporaryDirectory() as folder:
        root = life_project(Path(folder) / "p", LIFE_REPORTED_STOPS if reported_stops else LIFE)
        build = build_of(root)
        store = SQLiteStore(Path(folder) / "state.db")
        now = T0 - DAY  # every event and step ahead: nothing is due, all is pending or cancelled

        def planner() -> Planner:
            fresh = Planner(store, lookahead=12 * DAY, log=lambda line: None)
            fresh.deployment = deploy(build, None, env={}, runtime=None, override=RecordingSender())
            fresh.start(now)
            return fresh

        running, at = planner(), 0
        for number, size in enumerate(chunks + [len(events)]):
            for event in events[at:at + size]:
                store.add_event(event, now)
            at += size
            running.take_events(now)
            if number < len(restarts) and restarts[number]:
                running = planner()  # a restart reads the state back from the store
        pending = {m.id: (m.at, m.text) for m in store.messages(("pending",)) if m.origin == "event"}
        cancelled = {m.id for m in store.messages(("cancelled",)) if m.origin == "event"}
        grace = running.deployment.grace()
        expected = {m.id: (m.at, m.text) for m in expand(build.program, now - grace, now + 12 * DAY,
                                                          events=in_time_order(events), parts=frozenset({"trigger"}))}
        assert {i: expected.get(i) for i in pending} == pending
        assert expected.keys() - pending.keys() <= cancelled
        if reported_stops and events == in_time_order(events):
            assert pending == expected
        store.close()


# ---- the runner keeps the state, and reads only what is new --------------------------------------

def planner_on(root: Path, store: SQLiteStore, build: pipeline.Build | None = None) -> Planner:
    planner = Planner(store, lookahead=12 * DAY, log=lambda line: None)
    planner.deployment = deploy(build or build_of(root), None, env={}, runtime=None, override=RecordingSender())
    return planner


def statements(store: SQLiteStore) -> list[str]:
    seen: list[str] = []
    store.db.set_trace_callback(seen.append)
    return seen


def message(group: str, member: str, at: dt.datetime) -> Event:
    return Event(kind="member.message", group=group, member=member, at=at, name=NAMES.get(member))


def test_a_wake_reads_only_the_events_recorded_since_and_writes_only_their_group(tmp_path):
    root = life_project(tmp_path / "p")
    store = SQLiteStore(tmp_path / "state.db")
    for hour in range(200):
        store.add_event(message("g1" if hour % 2 else "g2", "m1", T0 + dt.timedelta(hours=hour)), T0)
    planner = planner_on(root, store)
    planner.start(T0 + 9 * DAY)
    sql = statements(store)
    store.add_event(message("g1", "m2", T0 + 9 * DAY), T0 + 9 * DAY)
    assert planner.take_events(T0 + 9 * DAY) == 1
    reads = [s for s in sql if "FROM events" in s and "MAX(seq)" not in s]  # (the newest number: its index)
    assert reads and all("seq > " in s for s in reads), reads
    written = [s for s in sql if s.startswith("INSERT INTO lifecycle")]
    assert len(written) == 1 and "'g1'" in written[0] and "'g2'" not in written[0]


def test_a_restart_reads_the_stored_state_back_instead_of_every_event(tmp_path):
    root = life_project(tmp_path / "p")
    store = SQLiteStore(tmp_path / "state.db")
    planner = planner_on(root, store)
    planner.start(T0)
    store.add_event(Event(kind="member.joined", group="g1", member="m1", at=T0 + dt.timedelta(hours=1), name="甲"), T0)
    planner.take_events(T0)
    before = {m.id: m.text for m in store.messages(("pending",))}
    assert {"欢迎 甲", "甲 的券"} <= set(before.values())
    sql = statements(store)
    planner_on(root, store).start(T0 + dt.timedelta(minutes=5))
    assert not [s for s in sql if "FROM events" in s and "seq > " not in s]
    assert {m.id: m.text for m in store.messages(("pending",))} == before


def test_an_edit_to_a_text_keeps_the_state_and_an_edit_to_a_trigger_builds_it_again(tmp_path):
    root = life_project(tmp_path / "p")
    store = SQLiteStore(tmp_path / "state.db")
    planner = planner_on(root, store)
    planner.start(T0)
    store.add_event(Event(kind="member.joined", group="g1", member="m1", at=T0 + dt.timedelta(hours=1), name="甲"), T0)
    planner.take_events(T0)

    (root / "life.sop").write_text(LIFE.replace('"欢迎 {{ member.name }}"', '"欢迎你 {{ member.name }}"'),
                                   encoding="utf-8")
    sql = statements(store)
    planner.deployment = deploy(build_of(root), planner.deployment, env={}, runtime=None,
                                override=RecordingSender())
    planner.replan(T0)
    assert not [s for s in sql if "FROM events" in s]  # the same triggers: the state is kept
    assert "欢迎你 甲" in {m.text for m in store.messages(("pending",))}

    (root / "life.sop").write_text(LIFE.replace("+1d at 11:00  coupon", "+2d at 11:00  coupon"), encoding="utf-8")
    planner.deployment = deploy(build_of(root), planner.deployment, env={}, runtime=None,
                                override=RecordingSender())
    planner.replan(T0)
    assert [s for s in sql if "ORDER BY grp, seq" in s]  # built again, in one pass over the events
    coupon = [m for m in store.messages(("pending",)) if m.step == "coupon"]
    assert [m.at for m in coupon] == [T0 + 2 * DAY + dt.timedelta(hours=11)]


def test_an_event_older_than_its_groups_latest_builds_that_group_again(tmp_path):
    root = life_project(tmp_path / "p")
    store = SQLiteStore(tmp_path / "state.db")
    planner = planner_on(root, store)
    planner.start(T0)
    store.add_event(Event(kind="member.joined", group="g1", member="m1", at=T0 + DAY, name="甲"), T0)
    store.add_event(Event(kind="member.joined", group="g2", member="m2", at=T0 + DAY, name="乙"), T0)
    store.add_event(message("g1", "m3", T0 + DAY + dt.timedelta(hours=5)), T0)
    planner.take_events(T0)
    # recorded late, before g1's latest event: m1 bought before the coupon, so it must not go out
    store.add_event(Event(kind="member.purchased", group="g1", member="m1", at=T0 + DAY + dt.timedelta(hours=2)),
                    T0)
    sql = statements(store)
    planner.take_events(T0)
    assert [s for s in sql if "WHERE grp = 'g1'" in s] and not [s for s in sql if "WHERE grp = 'g2'" in s]
    pending = {(m.step, m.group) for m in store.messages(("pending",)) if m.origin == "event"}
    assert ("coupon", "g1") not in pending and ("coupon", "g2") in pending


def test_a_state_file_from_before_the_lifecycle_state_gains_it(tmp_path, run_sopc):
    root = life_project(tmp_path / "p")
    state = root / ".sopc" / "state.db"
    state.parent.mkdir()
    import sqlite3
    with sqlite3.connect(state) as db:  # an older sopc's tables: events and meta only
        db.executescript("""
            CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, grp TEXT NOT NULL,
                member TEXT, at TEXT NOT NULL, name TEXT, data TEXT NOT NULL, argument TEXT, received REAL NOT NULL);
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            INSERT INTO events (kind, grp, member, at, name, data, argument, received)
                VALUES ('member.joined', 'g1', 'm1', '2026-11-20T10:00:00+08:00', '甲', '{}', NULL, 0);""")
    result = run_sopc("run", ".", "--once", "--dry-run", "--now", "2026-11-20T10:01", cwd=root)
    assert result.exit_code == 0, result.stderr
    store = SQLiteStore(state)
    assert store.db.execute("SELECT name FROM sqlite_master WHERE name IN ('lifecycle', 'events_grp')").fetchall()
    result = run_sopc("run", ".", "--once", "--now", "2026-11-20T10:01", cwd=root)
    assert result.exit_code == 0, result.stderr
    assert [group for group, _ in store.lifecycle_states()] == ["g1"]
    assert "欢迎 甲" in result.stdout


# ---- the derivation ------------------------------------------------------------------------------

def test_a_silence_counts_elapsed_time_across_daylight_saving_in_plan_and_run(tmp_path):
    """An event without an offset is read in the project's zone; the runner
    reads it back from its store with a fixed offset. Seven days of silence
    are seven elapsed days in both, across the change to summer time."""
    root = write_project(tmp_path / "p", {
        "sopc.toml": 'timezone = "America/New_York"\n\n[senders.console]\nkind = "console"\n',
        "groups.csv": "id,name,tags\ng1,一群,x\n",
        "s.sop": "playbook p\n  to all groups\n  on member.silent 7d\n    +0  care  \"hi\"\n"})
    program = build_of(root).program
    zone = ZoneInfo("America/New_York")
    wall = dt.datetime(2026, 3, 5, 12, 0, tzinfo=zone)  # DST begins 2026-03-08
    stored = dt.datetime.fromisoformat(wall.isoformat())
    end = wall + 30 * DAY
    silences = [[e.at for e in derived_events(program, [message("g1", "m1", at)], end) if e.kind == "member.silent"]
                for at in (wall, stored)]
    assert silences[0] == silences[1] and silences[0][0] - wall == 7 * DAY


def test_the_one_pass_is_linear_in_the_events_of_one_group(tmp_path):
    """The quadratic expansion took about a minute for 10,000 messages in a
    group (issue 9); 40,000 take a second or two now."""
    root = life_project(tmp_path / "p")
    program = build_of(root).program
    events = [message("g1", f"m{n % 3 + 1}", T0 + dt.timedelta(minutes=17 * n)) for n in range(40_000)]
    began = time.perf_counter()
    slots = trigger_slots(program, events, T0, T0 + 800 * DAY)
    assert time.perf_counter() - began < 20
    assert {s.step.name for s in slots} >= {"lively"}
