"""Stage 5, plan: the lifecycle state, advanced one event at a time.

Triggers start steps from events (:mod:`sopc.plan.triggers`). What they need
to know about the events so far is small, and this module keeps exactly
that, per group:

* each member's last activity (joining, writing) and last known name: a
  `member.silent N` begins N after the last activity unless the member is
  active again, or leaves, first;
* the group's last `member.message` and its stage: a `group.stage S` begins
  when the project's `stages` rules turn to S;
* the sequences the triggers started, each with the time its `until` event
  (or the member's leaving) stopped it, and which non-`repeat` triggers
  already fired for whom;
* for the event kinds a trigger counts (`on member.tagged 违规 2nd`), how
  many such events each member had in the group, per kind and argument: a
  counter per (member, kind, argument), so an event costs the same however
  many came before it.

:class:`LifecycleState` is advanced by each event in time order
(:meth:`~LifecycleState.advance`), so an event costs the same whatever the
history before it: a silence is a deadline in the group's heap (dropped when
the member is active again), the stage is evaluated only at the moments it
can change (one sweep: the group's creation, its events, and each `stages`
threshold counted from the creation and from the last message), and a
sequence is found by the events that can stop it through an index, never by
scanning the timeline.

The derived events between the group's latest event and the end of a plan
depend on no event having come meanwhile; they are projected on a copy
(:meth:`~LifecycleState.slots`), not written into the state, so the runner
can take the next event whenever it comes. `sopc plan --events` puts every
event through one state, in one pass; the runner keeps the state in its
store (:meth:`~LifecycleState.group_json`) and advances it by the events
recorded since: both plan with this one algorithm.

Groups are independent: nothing in one group's events changes another's
state. An event older than its group's latest needs that group's state built
again from its events (:meth:`~LifecycleState.rebuild`), no other's.

Times: a silence begins N after the last activity and a stage threshold is
counted from the last message in elapsed time (the offset the event was
recorded with, as the runner reads it back from its store), so `sopc plan`
and `sopc run` agree across a daylight-saving change. A stage threshold
counted from the group's creation (midnight in the project's zone) is wall
clock, as before. Stage changes are found at whole-second precision: a rule
`silent > 5d` turns true one second after the five days.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import hashlib
import heapq
import json
from typing import Callable, Iterable, Iterator

from sopc.compile.resolve import CompiledPlaybook, CompiledTrigger, Program
from sopc.core.events import Event
from sopc.core.timeutil import load_zone, localize, parse_duration
from sopc.lang import ast
from sopc.plan.policy import apply_quiet
from sopc.plan.slots import Slot, step_time

STATE_VERSION = 2
ACTIVE = frozenset(("member.joined", "member.message"))               # start a quiet spell's clock again
ENDS_QUIET = frozenset(("member.joined", "member.message", "member.left"))
SECOND = dt.timedelta(seconds=1)
WEEK_DAYS = 7  # `messages/day`: the average over the last 7 whole local days

Refusal = tuple[Event, str]  # an event no step is started from, and why


class OutOfOrder(ValueError):
    """An event older than its group's latest: build the group again (:meth:`LifecycleState.rebuild`)."""


# ---- what a program says about lifecycle events ---------------------------------------------

class TriggerRef:
    """One trigger of one playbook, with what the state needs of it at hand."""

    __slots__ = ("index", "playbook", "trigger", "spec", "until", "repeat", "groups", "stop_kinds", "ordinal")

    def __init__(self, index: tuple[int, int], playbook: CompiledPlaybook, trigger: CompiledTrigger):
        self.index = index
        self.playbook = playbook
        self.trigger = trigger
        self.spec = trigger.trigger.event
        self.until = trigger.trigger.until
        self.repeat = trigger.trigger.repeat
        self.groups = {g.id: g for g in playbook.groups}
        self.stop_kinds = tuple(dict.fromkeys(spec.kind.value for spec in self.until))
        # `2nd`: only the member's 2nd such event in the group (None: any)
        self.ordinal = trigger.trigger.ordinal.number if trigger.trigger.ordinal else None


class Rules:
    """The lifecycle part of a program, worked out once: which triggers each
    group's events can start, the silence spans, the stage thresholds, and a
    fingerprint of all of it (a stored state is only good for the rules it
    was built with)."""

    def __init__(self, program: Program):
        self.program = program
        self.zone = load_zone(program.project.config.timezone)
        self.stages: ast.Stages | None = program.stages
        compares = [c for rule in (self.stages.rules if self.stages else ()) for c in _compares(rule.condition)]
        self.thresholds: tuple[dt.timedelta, ...] = tuple(sorted({
            c.value.delta for c in compares if c.metric in ast.STAGE_DURATION_METRICS}))
        # The counts the rules compare members with, and the week's messages with (7 × the daily figure).
        self._member_keys: list[int] = sorted({c.count for c in compares if c.metric == "members"})
        self._weekly_keys: list[int] = sorted({WEEK_DAYS * c.count for c in compares if c.metric == "messages/day"})
        self.counts_members = bool(self._member_keys)
        self.counts_messages = bool(self._weekly_keys)
        # When a threshold counted from a moment is reached, and passed: in
        # microseconds (sorted, for bisect) and as durations.
        offsets = sorted({step for t in self.thresholds for step in (t, t + SECOND)})
        self.stage_offsets: tuple[dt.timedelta, ...] = tuple(offsets)
        self.stage_offset_keys: list[int] = [_micros(t) for t in offsets]
        self._threshold_keys: list[int] = [_micros(t) for t in self.thresholds]
        self._stage_by_class: dict[tuple[int, ...], str | None] = {}
        self.refs: dict[tuple[int, int], TriggerRef] = {}
        self._by_group: dict[str, dict[str, list[TriggerRef]]] = {}
        texts: dict[str, None] = {}
        # The event kinds some trigger counts (`on member.tagged 违规 2nd`): each
        # member's events of these kinds are counted, per kind and argument.
        self.counted_kinds: frozenset[str] = frozenset(
            t.trigger.event.kind.value for p in program.playbooks for t in p.triggers if t.trigger.ordinal)
        for pi, playbook in enumerate(program.playbooks):
            for ti, trigger in enumerate(playbook.triggers):
                ref = self.refs[(pi, ti)] = TriggerRef((pi, ti), playbook, trigger)
                for group in ref.groups:
                    self._by_group.setdefault(group, {}).setdefault(ref.spec.kind.value, []).append(ref)
                if ref.spec.kind.value == "member.silent" and ref.spec.argument:
                    texts[ref.spec.argument] = None
        # Each distinct text a trigger starts on derives its own silences (as `7d` and `168h` would).
        self.silences: tuple[tuple[str, dt.timedelta], ...] = tuple(
            (text, span) for text in texts if (span := parse_duration(text)))
        self.silence_keys: tuple[int, ...] = tuple(_micros(span) for _, span in self.silences)
        # Groups whose stage a playbook's `in stage` asks about: their events are kept, triggers or not.
        self.staged: frozenset[str] = frozenset(
            g.id for p in program.playbooks if p.stage_limited
            for g in (*p.groups, *(g for launch in p.launches for g in launch.groups))
        ) if self.stages is not None else frozenset()
        self.fingerprint = self._fingerprint()

    def tracks(self, group: str) -> bool:
        """Whether the state keeps ``group``: a trigger can start from its
        events, or an `in stage` asks for its stage."""
        return group in self._by_group or group in self.staged

    def starting_members(self, group: str) -> int:
        """The roster's `members` of ``group``: its member count before its first event (0: none given)."""
        found = self.program.project.roster.by_id.get(group)
        text = str(found.variables.get("members", "")).strip() if found is not None else ""
        return int(text) if text.isdigit() and len(text) <= 9 else 0

    def triggers_for(self, group: str) -> dict[str, list[TriggerRef]] | None:
        """The triggers ``group``'s events can start, by event kind; None when
        it is in no playbook with triggers (its events start nothing)."""
        return self._by_group.get(group)

    def stage(self, age: int, silent: int, members: int = 0, weekly: int = 0) -> str | None:
        """:func:`stage_of` for an age and a silence in microseconds, a
        member count and the messages of the last 7 whole days. The rules
        only compare them with their thresholds, so the stage is worked out
        once for each combination of places they have among the thresholds."""
        place = (_place(self._threshold_keys, age), _place(self._threshold_keys, silent),
                 _place(self._member_keys, members), _place(self._weekly_keys, weekly))
        try:
            return self._stage_by_class[place]
        except KeyError:
            stage = self._stage_by_class[place] = stage_of(
                self.stages, age=dt.timedelta(microseconds=age), silent=dt.timedelta(microseconds=silent),
                members=members, weekly=weekly)
            return stage

    def day(self, moment: dt.datetime) -> int:
        """The local day (in the project's zone) ``moment`` falls on, as an ordinal."""
        return moment.astimezone(self.zone).date().toordinal()

    def midnight_after(self, moment: dt.datetime) -> dt.datetime:
        """The first local midnight after ``moment``."""
        day = moment.astimezone(self.zone).date() + dt.timedelta(days=1)
        return localize(dt.datetime.combine(day, dt.time()), self.zone)

    def created(self, group: str) -> dt.datetime | None:
        """The roster's `created` day of ``group``, at local midnight (None: not known)."""
        found = self.program.project.roster.by_id.get(group)
        if found is None or not found.created:
            return None
        return localize(dt.datetime.combine(found.created, dt.time()), self.zone)

    def _fingerprint(self) -> str:
        """A hash of everything the state depends on: the triggers (with
        their steps' times, zones and quiet hours), the groups they reach and
        when those were created, the stages, the project's zone."""
        playbooks = []
        for pi, playbook in enumerate(self.program.playbooks):
            if not playbook.triggers:
                continue
            policy = playbook.policy
            triggers = [[_spec(t.trigger.event), t.trigger.repeat, [_spec(u) for u in t.trigger.until],
                         [[_seconds(o), a.isoformat() if a else None, s.name, *([_seconds(s.shift)] if s.shift else [])]
                          for o, a, s in t.steps]]
                        + ([["nth", t.trigger.ordinal.number]] if t.trigger.ordinal else [])  # (none: as before)
                        for t in playbook.triggers]
            playbooks.append([pi, playbook.name, playbook.zone_name, sorted(g.id for g in playbook.groups),
                              [str(policy.quiet_start), str(policy.quiet_end), policy.quiet_mode], triggers])
        tracked = sorted(set(self._by_group) | self.staged)
        created = {g: (c.isoformat() if (c := self.created(g)) else None) for g in tracked}
        members = {g: self.starting_members(g) for g in tracked} if self.counts_members else None
        stages = [[r.name.value, _condition(r.condition)] for r in self.stages.rules] if self.stages else None
        text = json.dumps([STATE_VERSION, self.program.project.config.timezone, playbooks, created, stages,
                           sorted(self.staged), members], ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def _place(keys: list[int], value: int) -> int:
    """Where ``value`` is among the sorted ``keys``: between two (even) or on one (odd)."""
    at = bisect.bisect_left(keys, value)
    return 2 * at + (at < len(keys) and keys[at] == value)


def _spec(spec: ast.EventSpec) -> list:
    return [spec.kind.value, spec.argument]


def _seconds(delta: dt.timedelta | None) -> float | None:
    return None if delta is None else delta.total_seconds()


def _condition(condition) -> list | None:
    if condition is None:
        return None
    if isinstance(condition, ast.StageCompare):
        return ["cmp", condition.metric, condition.op, condition.value.delta.total_seconds(), condition.count]
    return ["all" if isinstance(condition, ast.StageAll) else "any", [_condition(t) for t in condition.terms]]


_RULES: list[tuple[Program, Rules]] = []


def rules_of(program: Program) -> Rules:
    """The :class:`Rules` of ``program``, worked out once per program (the
    last few are kept: a check plans the same program several times)."""
    for known, rules in _RULES:
        if known is program:
            return rules
    rules = Rules(program)
    _RULES.insert(0, (program, rules))
    del _RULES[4:]
    return rules


# ---- stages ----------------------------------------------------------------------------------

def stage_of(stages: ast.Stages, *, age: dt.timedelta, silent: dt.timedelta, members: int = 0,
             weekly: int = 0) -> str | None:
    """The first rule that holds for a group ``age`` old, ``silent`` since
    its last message, with ``members`` members and ``weekly`` messages in
    the last 7 whole local days (`messages/day >= 20`: ``weekly >= 140``)."""
    for rule in stages.rules:
        if rule.condition is None or _holds(rule.condition, (age, silent, members, weekly)):
            return rule.name.value
    return None


def _holds(condition, values: tuple) -> bool:
    if isinstance(condition, ast.StageAll):
        return all(_holds(t, values) for t in condition.terms)
    if isinstance(condition, ast.StageAny):
        return any(_holds(t, values) for t in condition.terms)
    age, silent, members, weekly = values
    metric = condition.metric
    if metric == "members":
        value, limit = members, condition.count
    elif metric == "messages/day":
        value, limit = weekly, WEEK_DAYS * condition.count  # exact: no average in floats
    else:
        value, limit = (age if metric == "age" else silent), condition.value.delta
    op = condition.op
    if op == "<":
        return value < limit
    if op == "<=":
        return value <= limit
    if op == ">":
        return value > limit
    return value >= limit


def _compares(condition) -> Iterator[ast.StageCompare]:
    if condition is None:
        return
    if isinstance(condition, ast.StageCompare):
        yield condition
    else:
        for term in condition.terms:
            yield from _compares(term)


def matches(spec: ast.EventSpec, event: Event) -> bool:
    """Whether ``event`` is the one ``spec`` (`on ...`, `until ...`) names."""
    if spec.kind.value != event.kind:
        return False
    if spec.argument is None:
        return True
    if event.kind == "member.silent":
        return _duration(spec.argument) == _duration(event.argument or "")
    return spec.argument == event.argument


@functools.lru_cache(maxsize=256)
def _duration(text: str) -> dt.timedelta | None:
    return parse_duration(text)


# ---- sequences -------------------------------------------------------------------------------

class Sequence:
    """The steps one event started in one trigger, and when they were stopped."""

    __slots__ = ("ref", "event", "stop", "times", "last", "last_scheduled", "error")

    def __init__(self, ref: TriggerRef, event: Event, stop: dt.datetime | None = None):
        self.ref = ref
        self.event = event
        self.stop = stop
        self.error: str | None = None
        # (step index, scheduled, after quiet hours or None: skipped in them)
        self.times: tuple[tuple[int, dt.datetime, dt.datetime | None], ...] = ()
        self.last: dt.datetime | None = None            # the latest a step goes out: no slot after
        self.last_scheduled: dt.datetime | None = None  # the latest a step is scheduled: no stop matters after
        try:  # one event's arithmetic (a step past datetime's range) must not stop the others
            self.times = _step_times(ref, event.at)
        except (OverflowError, ValueError) as exc:
            self.error = f"its steps in `{ref.playbook.name}` cannot be planned: {exc}"
        if self.times:
            self.last = max(at if at is not None else scheduled for _, scheduled, at in self.times)
            self.last_scheduled = max(scheduled for _, scheduled, _ in self.times)

    def copy(self) -> "Sequence":
        twin = object.__new__(Sequence)
        for name in Sequence.__slots__:
            setattr(twin, name, getattr(self, name))
        return twin

    def slots(self, start: dt.datetime, end: dt.datetime, keep_quiet_skipped: bool) -> Iterator[Slot]:
        """Its steps going out in [start, end), those scheduled from its stop on left out."""
        ref, event, stop = self.ref, self.event, self.stop
        group = ref.groups.get(event.group)
        if group is None:
            return
        member = {"id": event.member, "name": event.name or event.member} if event.member else None
        context = None
        for index, scheduled, at in self.times:
            if stop is not None and scheduled >= stop:
                continue
            if at is None and keep_quiet_skipped:
                at = scheduled  # for the gate to say it skips it (sopc plan --show-skipped)
            if at is not None and start <= at < end:
                if context is None:
                    context = event.as_context()
                yield Slot(at=at, scheduled=scheduled, playbook=ref.playbook, step=ref.trigger.steps[index][2],
                           groups=(group,), member=member, event=context, anchor=event.at)


def _step_times(ref: TriggerRef, anchor: dt.datetime) -> tuple:
    playbook = ref.playbook
    times = []
    for index, (offset, at_time, step) in enumerate(ref.trigger.steps):
        scheduled = step_time(anchor, offset, at_time, playbook.zone, step.shift)
        if scheduled is not None:
            times.append((index, scheduled, apply_quiet(scheduled, playbook.policy, playbook.zone)))
    return tuple(times)


# ---- one group -------------------------------------------------------------------------------

_OFFSETS: dict[dt.timedelta, dt.timezone] = {}
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def _key(moment: dt.datetime) -> int:
    """``moment`` as microseconds since 1970: the order the derivation keeps
    (ints: exact, and far faster to compare than datetimes in different zones)."""
    return _micros(moment - _EPOCH)


def _micros(delta: dt.timedelta) -> int:
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def _elapsed(moment: dt.datetime) -> dt.datetime:
    """``moment`` with its fixed offset, so that adding to it counts elapsed
    time (as for every time read back from the store) rather than wall clock."""
    zone = moment.tzinfo
    if type(zone) is dt.timezone:
        return moment
    offset = moment.utcoffset()
    fixed = _OFFSETS.get(offset)
    if fixed is None:
        fixed = _OFFSETS[offset] = dt.timezone(offset)
    return moment.replace(tzinfo=fixed)


class GroupState:
    """What one group's events so far imply (see the module docstring).

    Moments the derivation orders (heap entries, the stage's progress) are
    kept as keys (:func:`_key`) beside the moment itself."""

    __slots__ = ("id", "created", "created_by_event", "upto", "upto_key", "members", "last_message",
                 "last_message_key", "stage", "stage_upto", "stage_next", "stage_next_at", "fired", "sequences",
                 "retired", "counts", "member_count", "day_counts", "timeline_keys", "timeline_stages",
                 "_heap", "_stoppers", "_created", "_created_keys", "_kept")

    def __init__(self, group: str, created: dt.datetime, created_by_event: bool):
        self.id = group
        self.created = created
        self.created_by_event = created_by_event   # not in the roster: its first event's time
        self.upto: dt.datetime | None = None        # the latest event taken
        self.upto_key: int | None = None
        # member ("" for none) -> [last activity (None: left), name, its key, silence entries in the heap
        # (a bit for each span), in the group (True; False: left; None: not known)]
        self.members: dict[str, list] = {}
        self.last_message: dt.datetime | None = None
        self.last_message_key: int | None = None
        self.stage: str | None = None
        self.stage_upto: int | None = None          # the stage is worked out up to this moment (a key)
        self.stage_next: int | None = None          # the next moment it may change: key and moment
        self.stage_next_at: dt.datetime | None = None
        self.fired: set[tuple[int, int, str]] = set()  # non-repeat triggers that fired: (playbook, trigger, member)
        # (member, event kind, argument) -> how many such events so far, for the kinds a trigger counts
        self.counts: dict[tuple[str, str, str | None], int] = {}
        self.sequences: list[Sequence] = []
        self.retired: dt.datetime | None = None     # sequences ending before this were let go
        self.member_count = 0                       # `members`: the roster's count, + joined - left
        self.day_counts: dict[int, int] = {}        # `messages/day`: local day (ordinal) -> its messages
        # The stage over time: from each key on, its stage (bisect; the
        # stage before the first: none, the group is not created yet).
        self.timeline_keys: list[int] = []
        self.timeline_stages: list[str] = []
        # (deadline key, member, silence index): at most one entry a member
        # and span; one whose member was active since is put back with the
        # new deadline when it comes up, rather than one pushed per message.
        self._heap: list[tuple[int, str, int]] = []
        # (member or None, event kind) -> sequences such an event may stop
        self._stoppers: dict[tuple[str | None, str], list[Sequence]] = {}
        # The creation and when a stage threshold counted from it is reached
        # or passed: sorted moments and their keys.
        self._created: list[dt.datetime] = []
        self._created_keys: list[int] = []
        self._kept = 0                              # sequences kept when last let go of some

    def copy(self) -> "GroupState":
        """A copy to project derived events on."""
        twin = object.__new__(GroupState)
        for name in GroupState.__slots__:
            setattr(twin, name, getattr(self, name))
        twin._heap = list(self._heap)
        twin.timeline_keys, twin.timeline_stages = list(self.timeline_keys), list(self.timeline_stages)
        twin.day_counts = dict(self.day_counts)
        twin.members = {member: list(state) for member, state in self.members.items()}
        twin.fired = set(self.fired)
        twin.counts = dict(self.counts)
        twin.sequences = [s.copy() for s in self.sequences]
        twin._stoppers = {}
        for sequence in twin.sequences:
            _register(twin, sequence)
        return twin

    def stage_copy(self) -> "GroupState":
        """A copy to project the stage on (and nothing else: it shares
        the members, sequences and silences, which the stage does not change)."""
        twin = object.__new__(GroupState)
        for name in GroupState.__slots__:
            setattr(twin, name, getattr(self, name))
        twin.timeline_keys, twin.timeline_stages = list(self.timeline_keys), list(self.timeline_stages)
        return twin

    def stage_at_key(self, key: int) -> str | None:
        """The stage at ``key`` as far as it is worked out (None: before the creation)."""
        at = bisect.bisect_right(self.timeline_keys, key)
        return self.timeline_stages[at - 1] if at else None


def _register(group: GroupState, sequence: Sequence) -> None:
    """Index ``sequence`` by the events that may stop it: its `until` kinds,
    and for a member's sequence that member's leaving."""
    if sequence.stop is not None or sequence.last_scheduled is None:
        return
    member = sequence.event.member
    kinds = sequence.ref.stop_kinds if member is None else (*sequence.ref.stop_kinds, "member.left")
    for kind in kinds:
        group._stoppers.setdefault((member, kind), []).append(sequence)


class Advanced:
    """What one event did: the derived events it let begin before it (and
    itself last), the sequences started and those stopped."""

    __slots__ = ("derived", "started", "stopped")

    def __init__(self):
        self.derived: list[Event] = []
        self.started: list[Sequence] = []
        self.stopped: list[Sequence] = []


# ---- the state -------------------------------------------------------------------------------

class LifecycleState:
    """Every group's :class:`GroupState` under one program's :class:`Rules`.

    ``on_refused`` is told of each event whose steps cannot be computed (a
    step past datetime's range): it starts nothing, the others do."""

    def __init__(self, rules: Rules, *, on_refused: Callable[[Event, str], None] | None = None):
        self.rules = rules
        self.groups: dict[str, GroupState] = {}
        self.on_refused = on_refused
        self.dirty: set[str] = set()   # groups changed since the caller last saved them
        self.record_derived = False    # keep the derived events in Advanced (tests, derived_events)
        # A plan of a window from here needs no sequence ending before it: let
        # such go as they pile up (None: keep them; the runner lets go itself).
        self.retire_before: dt.datetime | None = None
        self._eventless: dict[str, GroupState | None] = {}  # the stage of groups with no event yet
        self._views: dict[str, GroupState] = {}              # the stage projected past a group's latest event
        self._moment: dt.datetime | None = None             # the last moment stage_at was asked about, its key
        self._moment_key = 0

    # ---- taking events --------------------------------------------------------------------

    def advance(self, event: Event) -> Advanced:
        """Take ``event``, the latest of its group so far (ties: in the order
        given): first the derived events that begin before it, then it.
        Raises :class:`OutOfOrder` for an event older than its group's latest."""
        done = Advanced()
        triggers = self.rules.triggers_for(event.group)
        if triggers is None:
            if not self.rules.tracks(event.group):
                return done  # in no playbook with triggers or `in stage`: nothing to keep
            triggers = _NO_TRIGGERS
        group = self.groups.get(event.group)
        if group is None:
            group = self.groups[event.group] = self._new_group(event)
            self._eventless.pop(event.group, None)
        self._views.pop(event.group, None)
        key = _key(event.at)
        if group.upto_key is not None and key < group.upto_key:
            raise OutOfOrder(f"event at {event.at.isoformat()} is older than {group.upto.isoformat()}, "
                             f"the latest of group {event.group}")
        self.dirty.add(group.id)
        self._derive(group, key, done)
        self._take(group, event, key, triggers, done)
        return done

    def rebuild(self, group_id: str, events: Iterable[Event]) -> None:
        """Build ``group_id``'s state again from all its events (any order:
        sorted by time here, ties in the order given)."""
        self.groups.pop(group_id, None)
        self._views.pop(group_id, None)
        self.dirty.add(group_id)
        for event in sorted(events, key=_at):
            self.advance(event)

    def finish(self, end: dt.datetime, done: Advanced | None = None) -> None:
        """Let every derived event before ``end`` begin (the events are all
        in: `sopc plan --events`)."""
        key = _key(end)
        for group in self.groups.values():
            self._derive(group, key, done)

    def retire(self, before: dt.datetime, groups: Iterable[str] | None = None) -> None:
        """Let go of sequences with no step going out from ``before`` on (a
        plan of a window from ``before``, or a runner whose window has passed
        them, needs them no more)."""
        for group_id in (self.groups if groups is None else groups):
            group = self.groups.get(group_id)
            if group is None:
                continue
            kept = [s for s in group.sequences if s.last is not None and s.last >= before]
            if len(kept) != len(group.sequences):  # (nothing let go: it still holds all it held)
                group.sequences = kept
                group.retired = before if group.retired is None else max(group.retired, before)
                self.dirty.add(group_id)
            # The stage before ``before``: only the last one counts (the stage at ``before``).
            gone = bisect.bisect_right(group.timeline_keys, _key(before)) - 1
            if gone > 0:
                del group.timeline_keys[:gone], group.timeline_stages[:gone]
                self.dirty.add(group_id)

    def needs_rebuild(self, group_id: str, moment: dt.datetime) -> bool:
        """Whether taking an event of ``group_id`` at ``moment`` (and
        planning the group from then) needs its state built again: it is
        older than the group's latest event, or than sequences let go of."""
        group = self.groups.get(group_id)
        return group is not None and ((group.upto is not None and moment < group.upto)
                                      or not self.holds_from(group_id, moment))

    def holds_from(self, group_id: str, moment: dt.datetime) -> bool:
        """Whether the state holds every sequence of ``group_id`` with a step going out from ``moment`` on."""
        group = self.groups.get(group_id)
        return group is None or group.retired is None or group.retired <= moment

    # ---- the stage ------------------------------------------------------------------------

    def stage_at(self, group_id: str, moment: dt.datetime) -> str | None:
        """``group_id``'s stage at ``moment`` by the events taken so far (and,
        past its latest, none coming meanwhile): what `in stage` asks when a
        message falls due. None: the group has no stage then (before its
        creation; no roster `created` day and no event yet; or no `stages`).
        A bisect in the group's stage timeline, the timeline projected past
        its latest event once (and kept until the group's next event)."""
        if self.rules.stages is None:
            return None
        if moment is self._moment:  # a slot's messages share their time
            key = self._moment_key
        else:
            key = self._moment_key = _key(moment)
            self._moment = moment
        group = self.groups.get(group_id)
        if group is None:
            group = self._eventless.get(group_id, _UNSEEN)
            if group is _UNSEEN:
                group = self._eventless_group(group_id)
            if group is None:
                return None
            if group.stage_next is not None and group.stage_next <= key:
                _stages_until(group, key, self.rules)  # no event: what it projects is what holds
        elif group.stage_next is not None and group.stage_next <= key:
            view = self._views.get(group_id)
            if view is None:
                view = self._views[group_id] = group.stage_copy()
            _stages_until(view, key, self.rules)
            group = view
        return group.stage_at_key(key)

    def stages_between(self, group_id: str, start: dt.datetime, end: dt.datetime) -> tuple:
        """``group_id``'s stages over [start, end): the stage at ``start``
        and each change after it, (key, stage). Two groups with the same
        have the same `in stage` verdicts in that window (the checks treat
        them alike)."""
        first = self.stage_at(group_id, start)
        group = self._views.get(group_id) or self.groups.get(group_id) or self._eventless.get(group_id)
        if group is None:
            return (first,)
        self.stage_at(group_id, end)  # worked out that far
        group = self._views.get(group_id) or self.groups.get(group_id) or self._eventless.get(group_id)
        keys = group.timeline_keys
        low, high = bisect.bisect_right(keys, _key(start)), bisect.bisect_left(keys, _key(end))
        return (first, *zip(keys[low:high], group.timeline_stages[low:high]))

    def _eventless_group(self, group_id: str) -> GroupState | None:
        """The state of a group with no event: created on its roster
        `created` day (None without one: its stage is not known)."""
        try:
            return self._eventless[group_id]
        except KeyError:
            created = self.rules.created(group_id)
            group = None
            if created is not None:
                group = GroupState(group_id, created, False)
                group.member_count = self.rules.starting_members(group_id)
                _prepare_stages(group, self.rules)
            self._eventless[group_id] = group
            return group

    # ---- what it plans --------------------------------------------------------------------

    def slots(self, start: dt.datetime, end: dt.datetime, *, groups: Iterable[str] | None = None,
              keep_quiet_skipped: bool = False, project: bool = True) -> list[Slot]:
        """The trigger slots going out in [start, end), in time order.
        ``project``: with the derived events that begin before ``end`` if no
        other event comes (worked out on a copy: the state stays as it is)."""
        slots: list[Slot] = []
        key = _key(end)
        for group_id in (self.groups if groups is None else groups):
            group = self.groups.get(group_id)
            if group is None:
                continue
            if project:
                group = group.copy()
                self._derive(group, key, None)
            for sequence in group.sequences:
                if sequence.last is not None and sequence.last >= start:
                    slots += sequence.slots(start, end, keep_quiet_skipped)
        return sorted(slots, key=Slot.sort_key)

    # ---- the store's copy -----------------------------------------------------------------

    def group_json(self, group_id: str) -> str | None:
        """``group_id``'s state as JSON (None: it has none)."""
        group = self.groups.get(group_id)
        return None if group is None else json.dumps(_to_json(group), ensure_ascii=False, separators=(",", ":"))

    def load_group(self, group_id: str, text: str) -> None:
        """Take ``group_id``'s state from :meth:`group_json`'s text."""
        self.groups[group_id] = _from_json(self.rules, group_id, json.loads(text))
        self._views.pop(group_id, None)

    def rebind(self, rules: Rules) -> None:
        """The same rules (same fingerprint) from another build of the
        project: the sequences point at its playbooks and steps."""
        assert rules.fingerprint == self.rules.fingerprint
        self.rules = rules
        for group in self.groups.values():
            for sequence in group.sequences:
                sequence.ref = rules.refs[sequence.ref.index]

    # ---- the derivation -------------------------------------------------------------------

    def _new_group(self, first: Event) -> GroupState:
        created = self.rules.created(first.group)
        group = GroupState(first.group, created or first.at, created is None)
        group.member_count = self.rules.starting_members(first.group)
        _prepare_stages(group, self.rules)
        return group

    def _derive(self, group: GroupState, before: int, done: Advanced | None) -> None:
        """The derived events of ``group`` that begin before ``before`` (a
        key), in time order; at one moment, silences before the stage."""
        heap = group._heap
        members = group.members
        silences, silence_keys = self.rules.silences, self.rules.silence_keys
        while True:
            stage_key = group.stage_next
            if heap and heap[0][0] < before and (stage_key is None or heap[0][0] <= stage_key):
                key, member, index = heapq.heappop(heap)
                state = members.get(member)
                if state[0] is None:  # left
                    state[3] &= ~(1 << index)
                    continue
                deadline = state[2] + silence_keys[index]
                if deadline != key:  # active again since: falls silent later, if at all
                    heapq.heappush(heap, (deadline, member, index))
                    continue
                state[3] &= ~(1 << index)
                text, span = silences[index]
                event = Event(kind="member.silent", group=group.id, member=member, at=state[0] + span,
                              name=state[1], argument=text)
            elif stage_key is not None and stage_key < before:
                event = self._stage_at(group, stage_key, group.stage_next_at)
                if event is None:
                    continue
            else:
                return
            self._fire(group, event, self.rules.triggers_for(group.id) or _NO_TRIGGERS, done)

    def _take(self, group: GroupState, event: Event, key: int, triggers, done: Advanced) -> None:
        self._fire(group, event, triggers, done)
        kind = event.kind
        if event.name or kind in ENDS_QUIET:
            member = event.member or ""
            state = group.members.get(member)
            if state is None:
                state = group.members[member] = [None, None, None, 0, None]
            if event.name:
                state[1] = event.name
            if kind in ACTIVE:
                state[0], state[2] = _elapsed(event.at), key
                _queue_silences(group, member, state, self.rules)
            elif kind == "member.left":
                state[0] = state[2] = None
            if self.rules.counts_members and event.member:
                _count_member(group, kind, state)
        group.upto, group.upto_key = event.at, key
        if self.rules.stages is not None:
            if kind == "member.message":
                group.last_message, group.last_message_key = _elapsed(event.at), key
                if self.rules.counts_messages:
                    _count_message(group, self.rules.day(event.at))
            if key >= group._created_keys[0]:
                # every event's moment is looked at (after the events at it)
                group.stage_next, group.stage_next_at = key, event.at

    def _stage_at(self, group: GroupState, key: int, moment: dt.datetime) -> Event | None:
        """The stage at ``moment`` if it changed there, as a group.stage event."""
        # As datetimes subtract: wall clock between two times in the
        # project's zone (the creation, a threshold counted from it), else elapsed.
        stage = _stage_then(group, key, moment, self.rules)
        if stage is None:
            return None
        return Event(kind="group.stage", group=group.id, member=None, at=moment, argument=stage)

    def _fire(self, group: GroupState, event: Event, triggers, done: Advanced | None) -> None:
        """``event`` stops the sequences it is an `until` of, then starts its triggers' steps."""
        if done is not None and self.record_derived:
            done.derived.append(event)
        if group._stoppers:
            self._stop(group, event, done)
        count = self._count(group, event)
        refs = triggers.get(event.kind)
        if not refs:
            return
        for ref in refs:
            if not matches(ref.spec, event):
                continue
            if ref.ordinal is not None and count != ref.ordinal:
                continue  # `2nd`: another occurrence of the member's
            if not ref.repeat:
                fired = (*ref.index, event.member or "")
                if fired in group.fired:
                    continue
                group.fired.add(fired)
            sequence = Sequence(ref, event)
            if sequence.error is not None:
                if self.on_refused is not None:
                    self.on_refused(event, sequence.error)
                continue
            group.sequences.append(sequence)
            _register(group, sequence)
            if done is not None:
                done.started.append(sequence)
            if self.retire_before is not None and len(group.sequences) > 2 * group._kept + 64:
                self.retire(self.retire_before, (group.id,))
                group._kept = len(group.sequences)

    def _count(self, group: GroupState, event: Event) -> int | None:
        """The member's count of such events in the group, ``event`` included
        (None: no trigger counts them)."""
        if event.member is None or event.kind not in self.rules.counted_kinds:
            return None
        key = (event.member, event.kind, event.argument)
        count = group.counts[key] = group.counts.get(key, 0) + 1
        return count

    def _stop(self, group: GroupState, event: Event, done: Advanced | None) -> None:
        stoppers = group._stoppers
        keys = [(None, event.kind)] if event.member is None else [(event.member, event.kind), (None, event.kind)]
        for key in keys:
            waiting = stoppers.get(key)
            if not waiting:
                continue
            kept = []
            for sequence in waiting:
                if sequence.stop is not None or sequence.last_scheduled < event.at:
                    continue  # stopped already, or no step left for a stop to cut
                if sequence.event.at >= event.at or not _stops(sequence, event):
                    kept.append(sequence)
                    continue
                sequence.stop = event.at
                if done is not None:
                    done.stopped.append(sequence)
            if kept:
                stoppers[key] = kept
            else:
                del stoppers[key]


def _stops(sequence: Sequence, event: Event) -> bool:
    """Whether ``event`` (later, in the same group, for the same member if the
    sequence has one) stops ``sequence``."""
    if sequence.event.member is not None and event.kind == "member.left":
        return True  # nobody to send to any more
    return any(matches(spec, event) for spec in sequence.ref.until)


def _at(event: Event) -> dt.datetime:
    return event.at


def _queue_silences(group: GroupState, member: str, state: list, rules: Rules, after: int | None = None) -> None:
    """Put ``member``'s silence deadlines (last activity + each span) in the
    heap, those not there yet (``after``: only those from then on)."""
    for index, span in enumerate(rules.silence_keys):
        bit = 1 << index
        if not state[3] & bit:
            deadline = state[2] + span
            if after is None or deadline >= after:
                heapq.heappush(group._heap, (deadline, member, index))
                state[3] |= bit


_NO_TRIGGERS: dict = {}
_UNSEEN = object()


def _stage_then(group: GroupState, key: int, moment: dt.datetime, rules: Rules) -> str | None:
    """Work out ``group``'s stage at ``moment`` (``key``) and when it may
    next change; the new stage if it changed there, else None."""
    # As datetimes subtract: wall clock between two times in the
    # project's zone (the creation, a threshold counted from it), else elapsed.
    age = _micros(moment - group.created)
    silent = age if group.last_message_key is None else key - group.last_message_key
    weekly = _weekly(group, rules.day(moment)) if rules.counts_messages else 0
    stage = rules.stage(age, silent, group.member_count, weekly)
    group.stage_upto = key
    _schedule_stage(group, rules)
    if stage is None or stage == group.stage:
        return None
    group.stage = stage
    group.timeline_keys.append(key)
    group.timeline_stages.append(stage)
    return stage


def _stages_until(group: GroupState, key: int, rules: Rules) -> None:
    """``group``'s stage worked out up to ``key`` (included), no event coming meanwhile."""
    while group.stage_next is not None and group.stage_next <= key:
        _stage_then(group, group.stage_next, group.stage_next_at, rules)


def _count_member(group: GroupState, kind: str, state: list) -> None:
    """`members`: a join adds one, a leave takes one away (once each: a
    member joined twice is one member); a member seen writing is in."""
    if kind == "member.joined":
        if state[4] is not True:
            group.member_count += 1
    elif kind == "member.left":
        if state[4] is not False:  # (unknown: one of the roster's count)
            group.member_count = max(0, group.member_count - 1)
        state[4] = False
        return
    state[4] = True if kind in ACTIVE else state[4]


def _count_message(group: GroupState, day: int) -> None:
    counts = group.day_counts
    counts[day] = counts.get(day, 0) + 1
    if len(counts) > WEEK_DAYS + 1:
        for old in [d for d in counts if d < day - WEEK_DAYS]:
            del counts[old]


def _weekly(group: GroupState, today: int) -> int:
    """The group's messages on the 7 whole local days before ``today``."""
    return sum(count for day, count in group.day_counts.items() if today - WEEK_DAYS <= day < today)


def _prepare_stages(group: GroupState, rules: Rules) -> None:
    if rules.stages is None:
        return
    created = group.created
    moments = [created]
    for offset in rules.stage_offsets:
        try:
            moments.append(created + offset)  # wall clock, from midnight in the project's zone
        except OverflowError:
            break  # past datetime's last year: never, within a plan
    keyed = sorted({_key(m): m for m in moments}.items())
    group._created = [m for _, m in keyed]
    group._created_keys = [k for k, _ in keyed]
    _schedule_stage(group, rules)


def _schedule_stage(group: GroupState, rules: Rules) -> None:
    """The next moment the stage may change: the group's creation, a
    threshold reached or passed (counted from the creation or from the last
    message), or an event's moment not yet looked at; none before the
    creation."""
    after = group.stage_upto
    first = group._created_keys[0]
    best_key, best = None, None
    at = 0 if after is None else bisect.bisect_right(group._created_keys, after)
    if at < len(group._created_keys):
        best_key, best = group._created_keys[at], group._created[at]
    base = group.last_message_key
    if base is not None:
        floor = max(first - 1, after) if after is not None else first - 1
        at = bisect.bisect_right(rules.stage_offset_keys, floor - base)
        if at < len(rules.stage_offset_keys) and (best_key is None or base + rules.stage_offset_keys[at] < best_key):
            try:
                best_key, best = base + rules.stage_offset_keys[at], group.last_message + rules.stage_offsets[at]
            except OverflowError:
                pass  # past datetime's last year: never, within a plan
    upto = group.upto_key
    if upto is not None and upto >= first and (after is None or upto > after) and (best_key is None or upto < best_key):
        best_key, best = upto, group.upto
    if rules.counts_messages and group.day_counts and after is not None:
        # The week's messages change at each local midnight until the last day with messages leaves the week.
        moment = _EPOCH + dt.timedelta(microseconds=after)
        if rules.day(moment) <= max(group.day_counts) + WEEK_DAYS:
            midnight = rules.midnight_after(moment)
            midnight_key = _key(midnight)
            if best_key is None or midnight_key < best_key:
                best_key, best = midnight_key, midnight
    group.stage_next, group.stage_next_at = best_key, best


# ---- JSON ------------------------------------------------------------------------------------

def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _time(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)


def _to_json(group: GroupState) -> dict:
    return {
        "v": STATE_VERSION,
        "created": _iso(group.created) if group.created_by_event else None,
        "upto": _iso(group.upto), "last_message": _iso(group.last_message),
        "stage": group.stage, "stage_upto": group.stage_upto, "retired": _iso(group.retired),
        "members": {m: [_iso(s[0]), s[1], s[4]] for m, s in group.members.items()
                    if s[0] is not None or s[1] or s[4] is not None},
        "member_count": group.member_count, "days": sorted(group.day_counts.items()),
        "timeline": list(zip(group.timeline_keys, group.timeline_stages)),
        "fired": sorted([pi, ti, m] for pi, ti, m in group.fired),
        **({"counts": sorted(([m, k, a, n] for (m, k, a), n in group.counts.items()),
                                  key=lambda row: (row[0], row[1], row[2] or ""))} if group.counts else {}),
        "sequences": [[*s.ref.index, s.event.kind, s.event.member, _iso(s.event.at), s.event.name,
                       s.event.argument, s.event.data, _iso(s.stop)] for s in group.sequences],
    }


def _from_json(rules: Rules, group_id: str, data: dict) -> GroupState:
    if data.get("v") != STATE_VERSION:
        raise ValueError(f"lifecycle state version {data.get('v')!r}, not {STATE_VERSION}")
    created = rules.created(group_id)
    group = GroupState(group_id, created or _time(data["created"]), created is None)
    group.upto = _time(data["upto"])
    group.upto_key = None if group.upto is None else _key(group.upto)
    group.last_message = _time(data["last_message"])
    group.last_message_key = None if group.last_message is None else _key(group.last_message)
    group.stage = data["stage"]
    group.stage_upto = data["stage_upto"]
    group.retired = _time(data["retired"])
    group.fired = {(pi, ti, m) for pi, ti, m in data["fired"]}
    group.counts = {(m, k, a): n for m, k, a, n in data.get("counts", ())}
    group.member_count = data["member_count"]
    group.day_counts = {day: count for day, count in data["days"]}
    group.timeline_keys = [key for key, _ in data["timeline"]]
    group.timeline_stages = [stage for _, stage in data["timeline"]]
    for member, (last, name, inside) in data["members"].items():
        last = _time(last)
        state = group.members[member] = [last, name, None if last is None else _key(last), 0, inside]
        if last is not None:  # those before the latest event began (or were cut short) already
            _queue_silences(group, member, state, rules, after=group.upto_key)
    for pi, ti, kind, member, at, name, argument, event_data, stop in data["sequences"]:
        event = Event(kind=kind, group=group_id, member=member, at=_time(at), name=name, data=event_data,
                      argument=argument)
        sequence = Sequence(rules.refs[(pi, ti)], event, _time(stop))
        group.sequences.append(sequence)
        _register(group, sequence)
    _prepare_stages(group, rules)
    return group
