"""Stage 5, plan: lifecycle, events -> the trigger slots they start.

Events are what an SCRM reports (a member joined, wrote, bought, left, was
tagged). From `member.message` activity sopc derives the events nobody
reports: `member.silent N` (no message for N) and `group.stage S` (a group
entered a stage of the project's `stages` rules), each once per transition.
Then every trigger whose event matches starts its steps, cut short by its
`until` events.

The work is done by :class:`~sopc.plan.lifecycle_state.LifecycleState`, one
event at a time in time order, in one pass (linear in the events); the runner
keeps the same state in its store and advances it by each new event, so
`sopc plan --events` and `sopc run` plan with one algorithm.

One event never stops the others: an event whose time is outside the dates
sopc plans (an older sopc recorded such events) is refused, and an event
whose steps cannot be computed is left out, each with the reason, while
every other event starts its steps (see :func:`plannable`).
"""

from __future__ import annotations

import datetime as dt
from typing import Sequence

from sopc.compile.resolve import Program
from sopc.core.events import Event
from sopc.core.timeutil import range_problem
from sopc.plan.lifecycle_state import Advanced, LifecycleState, Refusal, rules_of, stage_of
from sopc.plan.slots import Slot

__all__ = ["Refusal", "derived_events", "plan_state", "plannable", "stage_of", "trigger_slots"]


# ---- derived events ------------------------------------------------------------------------

def derived_events(program: Program, events: Sequence[Event], end: dt.datetime) -> list[Event]:
    """``events`` (those a plan can start steps from) with the silences and
    stage changes they imply before ``end``, in the order the triggers take
    them: by time; at one moment, reported events first."""
    state = LifecycleState(rules_of(program))
    state.record_derived = True
    done = Advanced()
    for event in sorted(plannable(events)[0], key=_at):
        if not state.rules.tracks(event.group):
            done.derived.append(event)  # in no playbook with triggers or `in stage`: nothing is derived from it
        else:
            done.derived += state.advance(event).derived
    state.finish(end, done)
    return sorted(done.derived, key=_at)


def _at(event: Event) -> dt.datetime:
    return event.at


# ---- triggers -> slots ----------------------------------------------------------------------

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
                  keep_quiet_skipped: bool = False, refused: list[Refusal] | None = None,
                  state: LifecycleState | None = None) -> list[Slot]:
    """The slots the events start in [start, end), in time order: every
    event through one :class:`~sopc.plan.lifecycle_state.LifecycleState`, in
    time order (ties: in the order given). An event that cannot be planned
    is left out, and added to ``refused`` (when given) with why; the others
    are planned as if it were not there. ``state``: one :func:`plan_state`
    made of these events already (the plan asks it for stages too)."""
    if not any(p.triggers for p in program.playbooks):
        if refused is not None:
            refused.extend(plannable(events)[1])
        return []
    if state is None:
        state = plan_state(program, events, start, end, refused=refused)
    elif refused is not None:
        refused.extend(plannable(events)[1])
    return state.slots(start, end, keep_quiet_skipped=keep_quiet_skipped, project=False)


def plan_state(program: Program, events: Sequence[Event], start: dt.datetime, end: dt.datetime, *,
               refused: list[Refusal] | None = None) -> LifecycleState:
    """The lifecycle state of a plan of [start, end): every event that can
    be planned, in time order, and what they imply up to ``end`` (the stage
    timelines `in stage` asks, the sequences the triggers start)."""
    events, refusals = plannable(events)
    if refused is not None:
        refused.extend(refusals)
    state = LifecycleState(rules_of(program), on_refused=None if refused is None else _append_to(refused))
    state.retire_before = start
    if events and (state.rules.staged or any(p.triggers for p in program.playbooks)):
        for event in sorted(events, key=_at):
            state.advance(event)
        state.finish(end)
    return state


def _append_to(refused: list[Refusal]):
    return lambda event, reason: refused.append((event, reason))
