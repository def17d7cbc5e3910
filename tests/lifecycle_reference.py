"""The trigger expansion as it was before the lifecycle state (commit
caf0fce, sopc/plan/triggers.py): every derived event and every stop found by
looking at the whole timeline again, quadratic in the events. Kept verbatim
as the reference the streaming state is held to (tests/test_lifecycle_state.py)
on small random streams whose times are whole seconds."""

from __future__ import annotations

import datetime as dt
from typing import Iterable, Iterator, Sequence

from sopc.lang import ast
from sopc.compile.resolve import CompiledTrigger, Program
from sopc.core.events import Event
from sopc.core.timeutil import load_zone, localize, parse_duration, range_problem
from sopc.plan.policy import apply_quiet
from sopc.plan.slots import Slot, step_time


# ---- derived events ------------------------------------------------------------------------

def derived_events(program: Program, events: Sequence[Event], end: dt.datetime) -> list[Event]:
    silences = {t.trigger.event.argument for p in program.playbooks for t in p.triggers
                if t.trigger.event.kind.value == "member.silent" and t.trigger.event.argument}
    derived = [e for text in silences for e in _silences(events, text, end)]
    derived += _stage_events(program, events, end)
    return sorted([*events, *derived], key=lambda e: e.at)


def _silences(events: Sequence[Event], text: str, end: dt.datetime) -> list[Event]:
    """:func:`_silent_events`; none for a span so long that a silence would
    begin past datetime's last year (never, within a plan: events are at
    most in 2099)."""
    try:
        return list(_silent_events(events, text, end))
    except OverflowError:
        return []


def _silent_events(events: Sequence[Event], text: str, end: dt.datetime) -> Iterator[Event]:
    """A member falls silent ``text`` after their last activity (joining,
    writing) unless they are active again or leave before that; the silence
    carries the name known when it began. Read in the events' order, so
    nothing that comes later (a rejoin after a leave, a name) changes a
    silence that began before it: the runner, which learns the events one at
    a time, derives the same ones."""
    span = parse_duration(text)
    if not span:
        return
    quiet_since: dict[tuple[str, str], dt.datetime] = {}  # the last activity of a member who is there
    names: dict[tuple[str, str], list[tuple[dt.datetime, str]]] = {}
    began: list[tuple[tuple[str, str], dt.datetime]] = []
    for e in events:
        key = (e.group, e.member or "")
        if key in quiet_since and e.kind in ("member.joined", "member.message", "member.left"):
            last = quiet_since.pop(key)
            if last + span < e.at:
                began.append((key, last + span))
        if e.name:
            names.setdefault(key, []).append((e.at, e.name))
        if e.kind in ("member.joined", "member.message"):
            quiet_since[key] = e.at
    began += [(key, last + span) for key, last in quiet_since.items() if last + span < end]
    for (group, member), at in began:
        known = [name for moment, name in names.get((group, member), ()) if moment <= at]
        yield Event(kind="member.silent", group=group, member=member, at=at, name=known[-1] if known else None,
                    argument=text)


def _stage_events(program: Program, events: Sequence[Event], end: dt.datetime) -> Iterator[Event]:
    stages = program.stages
    if stages is None:
        return
    zone = load_zone(program.project.config.timezone)
    thresholds = [c.value.delta for rule in stages.rules for c in _compares(rule.condition)]
    by_group: dict[str, list[Event]] = {}
    for e in events:
        by_group.setdefault(e.group, []).append(e)
    for group_id, group_events in by_group.items():
        group = program.project.roster.by_id.get(group_id)
        created = (localize(dt.datetime.combine(group.created, dt.time()), zone)
                   if group and group.created else group_events[0].at)
        yield from _group_stage_changes(stages, group_id, created, group_events, thresholds, end)


def _group_stage_changes(stages, group_id, created, group_events, thresholds, end) -> Iterator[Event]:
    messages = [e.at for e in group_events if e.kind == "member.message"]
    candidates = {created, *(e.at for e in group_events if e.at >= created)}
    for base in (created, *messages):
        for threshold in thresholds:
            candidates.update(_crossings(base, threshold))
    current = None
    for moment in sorted(c for c in candidates if created <= c < end):
        last_message = max((m for m in messages if m <= moment), default=created)
        stage = stage_of(stages, age=moment - created, silent=moment - last_message)
        if stage is not None and stage != current:
            current = stage
            yield Event(kind="group.stage", group=group_id, member=None, at=moment, argument=stage)


def _crossings(base: dt.datetime, threshold: dt.timedelta) -> tuple[dt.datetime, ...]:
    """When a threshold counted from ``base`` is reached and passed; none
    when that is past datetime's last year (never, within a plan)."""
    try:
        moment = base + threshold
        return moment, moment + dt.timedelta(seconds=1)
    except OverflowError:
        return ()


def stage_of(stages: ast.Stages, *, age: dt.timedelta, silent: dt.timedelta) -> str | None:
    for rule in stages.rules:
        if rule.condition is None or _holds(rule.condition, age=age, silent=silent):
            return rule.name.value
    return None


def _holds(condition, *, age, silent) -> bool:
    if isinstance(condition, ast.StageAll):
        return all(_holds(t, age=age, silent=silent) for t in condition.terms)
    if isinstance(condition, ast.StageAny):
        return any(_holds(t, age=age, silent=silent) for t in condition.terms)
    value = age if condition.metric == "age" else silent
    limit = condition.value.delta
    return {"<": value < limit, "<=": value <= limit, ">": value > limit, ">=": value >= limit}[condition.op]


def _compares(condition) -> Iterator[ast.StageCompare]:
    if condition is None:
        return
    if isinstance(condition, ast.StageCompare):
        yield condition
    else:
        for term in condition.terms:
            yield from _compares(term)


# ---- triggers -> slots ----------------------------------------------------------------------

Refusal = tuple[Event, str]  # an event no step is started from, and why


def plannable(events: Sequence[Event]) -> tuple[list[Event], list[Refusal]]:
    """The events a plan can start steps from, and the others, each with
    why not: a time outside the dates sopc plans. Every reader refuses such
    a time; an older sopc recorded them, and its plan arithmetic (a step
    days after the event) overflowed for every event at once."""
    kept: list[Event] = []
    refused: list[Refusal] = []
    for event in events:
        problem = range_problem(event.at)
        if problem:
            refused.append((event, problem))
        else:
            kept.append(event)
    return kept, refused


def trigger_slots(program: Program, events: Sequence[Event], start: dt.datetime, end: dt.datetime, *,
                  keep_quiet_skipped: bool = False, refused: list[Refusal] | None = None) -> list:
    """The slots the events start in [start, end). An event that cannot be
    planned is left out, and added to ``refused`` (when given) with why; the
    others are planned as if it were not there."""
    events, refusals = plannable(events)
    if refused is not None:
        refused.extend(refusals)
    if not events or not any(p.triggers for p in program.playbooks):
        return []
    timeline = derived_events(program, events, end)
    slots: list[Slot] = []
    for playbook in program.playbooks:
        members = {g.id: g for g in playbook.groups}
        for trigger in playbook.triggers:
            fired: set[tuple[str, str]] = set()
            for event in timeline:
                group = members.get(event.group)
                if group is None or not _matches(trigger.trigger.event, event):
                    continue
                key = (event.group, event.member or "")
                if key in fired and not trigger.trigger.repeat:
                    continue
                fired.add(key)
                try:  # one event's arithmetic (a step past datetime's range) must not stop the others
                    slots += _event_slots(playbook, trigger, event, group, timeline, start, end, keep_quiet_skipped)
                except (OverflowError, ValueError) as exc:
                    if refused is not None:
                        refused.append((event, f"its steps in `{playbook.name}` cannot be planned: {exc}"))
    return sorted(slots, key=Slot.sort_key)


def _event_slots(playbook, trigger: CompiledTrigger, event: Event, group, timeline: Sequence[Event],
                 start: dt.datetime, end: dt.datetime, keep_quiet_skipped: bool) -> list[Slot]:
    """The slots in [start, end) of the steps ``event`` starts in ``trigger``, all or none."""
    slots = []
    stop = _stop_time(trigger, event, timeline)
    member = {"id": event.member, "name": event.name or event.member} if event.member else None
    for offset, at_time, step in trigger.steps:
        scheduled = step_time(event.at, offset, at_time, playbook.zone)
        if scheduled is None or (stop is not None and scheduled >= stop):
            continue
        at = apply_quiet(scheduled, playbook.policy, playbook.zone)
        if at is None and keep_quiet_skipped:
            at = scheduled  # for the gate to say it skips it (sopc plan --show-skipped)
        if at is not None and start <= at < end:
            slots.append(Slot(at=at, scheduled=scheduled, playbook=playbook, step=step, groups=(group,),
                              member=member, event=event.as_context(), anchor=event.at))
    return slots


def _matches(spec: ast.EventSpec, event: Event) -> bool:
    if spec.kind.value != event.kind:
        return False
    if spec.argument is None:
        return True
    if event.kind == "member.silent":
        return parse_duration(spec.argument) == parse_duration(event.argument or "")
    return spec.argument == event.argument


def _stop_time(trigger: CompiledTrigger, event: Event, timeline: Iterable[Event]) -> dt.datetime | None:
    for later in timeline:
        if later.at <= event.at or later.group != event.group:
            continue
        if event.member is not None and later.member != event.member:
            continue
        if any(_matches(spec, later) for spec in trigger.trigger.until):
            return later.at
        if event.member is not None and later.kind == "member.left":  # nobody to send to any more
            return later.at
    return None
