"""Stage 5, plan: the plan as `sopc run` carries it out.

:func:`sopc.plan.expand.expand` lists every message the playbooks schedule.
:func:`simulate` takes them through the runner's own gate
(:class:`~sopc.plan.policy.Gate`) in time order, across every playbook, as
`sopc run` does when each falls due: a message goes out at its time, later
(the gate deferred it: the gap, quiet hours) or not at all (skipped: the
day's cap, a pause). Each :class:`Fate` says which, and why.

What the plan cannot know, it assumes:

* every post goes out at its time and its sender takes it (no downtime, no
  retries), so the grace, which only forgives lateness, never comes into it;
* no playbook is paused, except those it is told are (``paused``: for the
  whole window);
* the events are the ones given, each recorded at its time;
* nothing was sent before the lead-in (the day before the window): the
  evening before the window counts for the first day's gap, older posts
  count for nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Sequence

from sopc.compile.resolve import Program
from sopc.core.diagnostics import Diagnostic
from sopc.core.messages import PlannedMessage
from sopc.plan.expand import ALL_PARTS, Renderer, planned_slots
from sopc.plan.policy import QUIET_DEFERRAL, Gate, gate_order
from sopc.project.roster import Group

LEAD_IN = dt.timedelta(days=1)
UTC = dt.timezone.utc


@dataclass(frozen=True, slots=True)
class Fate:
    """What the gate does with one planned message."""

    message: PlannedMessage    # ``at``: when it goes out, or when the gate skipped it
    scheduled: dt.datetime     # when its playbook asked for it (its id is made from this)
    skipped: bool = False
    reason: str | None = None  # why it was skipped or moved; None: it goes out when scheduled
    in_window: bool = True     # False: deferred past the end of the window

    @property
    def status(self) -> str:
        """``planned`` (goes out when scheduled), ``deferred`` (goes out later),
        ``skipped``, or ``later`` (deferred past the end of the window)."""
        if self.skipped:
            return "skipped"
        if not self.in_window:
            return "later"
        return "deferred" if self.reason else "planned"


class _Due:
    """A planned message on its way through the gate (what the gate reads of
    it, as of a stored message), with where it came from."""

    __slots__ = ("id", "at", "due", "playbook", "group", "kind", "origin", "message", "scheduled", "reason", "seq")

    def __init__(self, message: PlannedMessage, at: dt.datetime, origin: str, scheduled: dt.datetime,
                 reason: str | None, seq: int):
        self.id, self.playbook, self.group, self.kind = message.id, message.playbook, message.group, message.kind
        self.at = self.due = at       # in UTC: same-zone datetimes compare by wall time
        self.origin, self.message, self.scheduled, self.reason, self.seq = origin, message, scheduled, reason, seq

    @property
    def step(self) -> str:
        return self.message.step

    @property
    def member(self) -> str | None:
        return self.message.member


def simulate(program: Program, start: dt.datetime, end: dt.datetime, *, events: Sequence = (),
             group_filter: Callable[[Group], bool] | None = None,
             diagnostics: list[Diagnostic] | None = None, paused: Iterable[str] = ()) -> Iterator[Fate]:
    """The fate of every message the gate decides about in [start, end), in
    the order `sopc run` hands them to their senders (by time; at one time,
    deferred ones first); then the messages planned in the window that the
    gate deferred past its end (their ``at`` is after ``end``). Messages
    whose template cannot be rendered are left out (and reported in
    ``diagnostics``), as :func:`~sopc.plan.expand.expand` does."""
    playbooks = {p.name: p for p in program.playbooks}
    for now, decided in _gated(program, start, end, events, group_filter, diagnostics, paused):
        for due, outcome in decided:
            message = _moved(due, now, playbooks)
            if outcome is not None:
                yield Fate(message, due.scheduled, skipped=True, reason=outcome.reason)
            else:
                yield Fate(message, due.scheduled, reason=due.reason, in_window=now < end)


def sent_messages(program: Program, start: dt.datetime, end: dt.datetime, *, events: Sequence = (),
                  group_filter: Callable[[Group], bool] | None = None,
                  diagnostics: list[Diagnostic] | None = None, paused: Iterable[str] = ()) -> Iterator[PlannedMessage]:
    """What `sopc run` sends in [start, end), at the time it sends it: the
    messages :func:`simulate` finds going out in the window (faster)."""
    playbooks = {p.name: p for p in program.playbooks}
    for now, decided in _gated(program, start, end, events, group_filter, diagnostics, paused):
        if now < end:
            for due, outcome in decided:
                if outcome is None:
                    yield due.message if now is due.at else _moved(due, now, playbooks)


def _gated(program: Program, start: dt.datetime, end: dt.datetime, events: Sequence,
           group_filter: Callable[[Group], bool] | None, diagnostics: list[Diagnostic] | None,
           paused: Iterable[str]) -> Iterator[tuple[dt.datetime, list[tuple[_Due, object]]]]:
    """The gate's decisions from the lead-in on, a moment at a time: (the
    moment, [(message, the gate's outcome: None if it goes out then)]), in
    the order of :func:`simulate`; those deferred past ``end`` last, each at
    its new time."""
    lead = start - LEAD_IN
    playbooks = {p.name: p for p in program.playbooks}
    gate = Gate(pauses=[(name, lead, None) for name in paused])
    renderer = Renderer(program, diagnostics if diagnostics is not None else [])
    slots = _planned(renderer, planned_slots(program, lead, end, events=events, group_filter=group_filter,
                                             parts=ALL_PARTS, keep_quiet_skipped=True))
    waiting: list[tuple[dt.datetime, int, _Due]] = []  # deferred, by their new due time
    upcoming = next(slots, None)
    while upcoming is not None or waiting:
        now = min(upcoming[0] if upcoming is not None else end, waiting[0][0] if waiting else end)
        if now >= end:
            break
        batch: list[_Due] = []
        while waiting and waiting[0][0] <= now:
            batch.append(heapq.heappop(waiting)[2])
        deferred, parts = len(batch), 0
        while upcoming is not None and upcoming[0] <= now:
            batch += upcoming[1]
            parts += 1
            upcoming = next(slots, None)
        if parts > 1:
            batch = _one_per_id(batch)
        # Only one group's messages change each other's verdicts: with one
        # message per group and none deferred, the order they come in (one
        # slot's, or the planner's) is the gate's order and the senders' too.
        reordered = deferred > 0 or (parts > 1 and len({due.group for due in batch}) < len(batch))
        decided = []
        for due in sorted(batch, key=gate_order) if reordered else batch:
            outcome = gate.decide(due, playbooks[due.playbook], now).outcome
            if outcome is not None and outcome.state == "pending":
                due.due, due.reason = outcome.due.astimezone(UTC), outcome.reason
                heapq.heappush(waiting, (due.due, due.seq, due))
            else:
                decided.append((due, outcome))
        if reordered:
            decided.sort(key=lambda item: (item[0].at, item[0].seq))
        if now >= start:
            yield now, decided
    for _, _, due in sorted(waiting):
        if due.at >= start:
            yield due.due, [(due, None)]


def _one_per_id(batch: list[_Due]) -> list[_Due]:
    """The store keeps one message per id (an event recorded twice starts its steps once)."""
    seen: set[str] = set()
    kept = []
    for due in batch:
        if due.id not in seen:
            seen.add(due.id)
            kept.append(due)
    return kept


def _planned(renderer: Renderer, slots: Iterable) -> Iterator[tuple[dt.datetime, list[_Due]]]:
    """Each slot's messages, with its time (in UTC)."""
    seq = 0
    for slot, groups in slots:
        at = slot.at.astimezone(UTC)
        origin = "event" if slot.event is not None else "plan"
        reason = QUIET_DEFERRAL if slot.at != slot.scheduled else None  # expand deferred it already
        dues = []
        for message in renderer.messages(slot, groups):
            dues.append(_Due(message, at, origin, slot.scheduled, reason, seq))
            seq += 1
        if dues:
            yield at, dues


def _moved(due: _Due, now: dt.datetime, playbooks: dict) -> PlannedMessage:
    """The message, at ``now`` if the gate moved it (in its playbook's zone)."""
    if now == due.at:
        return due.message
    return dataclasses.replace(due.message, at=now.astimezone(playbooks[due.playbook].zone))
