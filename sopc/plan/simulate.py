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
* the events are the ones given, each recorded at its time (a group's stage,
  for `in stage`, is the one they give it at each message's time);
* nothing was sent before the lead-in (the day before the window): the
  evening before the window counts for the first day's gap, older posts
  count for nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
from typing import Callable, Iterable, Iterator, Sequence

from sopc.compile.resolve import Program
from sopc.core.diagnostics import Diagnostic
from sopc.core.messages import PlannedMessage
from sopc.core.records import dataclass
from sopc.plan.expand import ALL_PARTS, Renderer, planned_slots
from sopc.plan.policy import QUIET_DEFERRAL, Gate, gate_order
from sopc.plan.slots import Slot
from sopc.plan.triggers import plan_state
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


class _Slot:
    """One slot's messages on their way to the gate (they fall due together)."""

    __slots__ = ("at", "origin", "scheduled", "reason", "playbook", "messages", "seq")

    def __init__(self, at: dt.datetime, origin: str, scheduled: dt.datetime, reason: str | None,
                 playbook, messages: list[PlannedMessage], seq: int):
        self.at = at                # in UTC: same-zone datetimes compare by wall time
        self.origin = origin
        self.scheduled = scheduled
        self.reason = reason        # why it is not at its scheduled time (quiet hours), or None
        self.playbook = playbook
        self.messages = messages
        self.seq = seq              # the planner's number of its first message


class _Due:
    """One message on its way through the gate, with its own due time (what
    the gate reads of a stored message): for a deferred message, or one that
    falls due with others to its group."""

    __slots__ = ("id", "at", "due", "playbook", "group", "kind", "private", "origin", "message", "slot", "reason",
                 "seq")

    def __init__(self, message: PlannedMessage, slot: _Slot, seq: int):
        self.id = message.id
        self.playbook = message.playbook
        self.group = message.group
        self.kind = message.kind
        self.private = message.private
        self.at = self.due = slot.at
        self.origin = slot.origin
        self.message = message
        self.slot = slot
        self.reason = slot.reason
        self.seq = seq

    @property
    def step(self) -> str:
        return self.message.step

    @property
    def member(self) -> str | None:
        return self.message.member


# (the message, at the time it goes out or is skipped; the gate's outcome, None if it goes out;
#  when it was scheduled; why it was moved, or None)
Entry = tuple[PlannedMessage, object, dt.datetime, str | None]


def simulate(program: Program, start: dt.datetime, end: dt.datetime, *, events: Sequence = (),
             group_filter: Callable[[Group], bool] | None = None,
             diagnostics: list[Diagnostic] | None = None, paused: Iterable[str] = ()) -> Iterator[Fate]:
    """The fate of every message the gate decides about in [start, end), in
    the order `sopc run` hands them to their senders (by time; at one time,
    deferred ones first); then the messages planned in the window that the
    gate deferred past its end (their ``at`` is after ``end``). Messages
    whose template cannot be rendered are left out (and reported in
    ``diagnostics``), as :func:`~sopc.plan.expand.expand` does."""
    for now, entries in _gated(program, start, end, events, group_filter, diagnostics, paused):
        for message, outcome, scheduled, reason in entries:
            if outcome is not None:
                yield Fate(message, scheduled, skipped=True, reason=outcome.reason)
            else:
                yield Fate(message, scheduled, reason=reason, in_window=now < end)


def sent_messages(program: Program, start: dt.datetime, end: dt.datetime, *, events: Sequence = (),
                  group_filter: Callable[[Group], bool] | None = None,
                  diagnostics: list[Diagnostic] | None = None, paused: Iterable[str] = ()) -> Iterator[PlannedMessage]:
    """What `sopc run` sends in [start, end), at the time it sends it: the
    messages :func:`simulate` finds going out in the window (faster)."""
    for now, entries in _gated(program, start, end, events, group_filter, diagnostics, paused):
        if now < end:
            for message, outcome, _, _ in entries:
                if outcome is None:
                    yield message


def _gated(program: Program, start: dt.datetime, end: dt.datetime, events: Sequence,
           group_filter: Callable[[Group], bool] | None, diagnostics: list[Diagnostic] | None,
           paused: Iterable[str]) -> Iterator[tuple[dt.datetime, list[Entry]]]:
    """The gate's decisions from the lead-in on, a moment at a time, in the
    order of :func:`simulate`; those deferred past ``end`` last, each at its
    new time."""
    lead = start - LEAD_IN
    lifecycle = plan_state(program, events, lead, end)  # one state: the triggers' slots, the groups' stages
    gate = Gate(pauses=[(name, lead, None) for name in paused], stage_at=lifecycle.stage_at)
    renderer = Renderer(program, diagnostics if diagnostics is not None else [])
    slots = _timed(planned_slots(program, lead, end, events=events, group_filter=group_filter,
                                 parts=ALL_PARTS, keep_quiet_skipped=True, lifecycle=lifecycle))
    waiting: list[tuple[dt.datetime, int, _Due]] = []  # deferred, by their new due time
    seq = 0  # the planner's order of the messages
    upcoming = next(slots, None)
    while upcoming is not None or waiting:
        now = min(upcoming[0] if upcoming is not None else end, waiting[0][0] if waiting else end)
        if now >= end:
            break
        deferred = []
        while waiting and waiting[0][0] <= now:
            deferred.append(heapq.heappop(waiting)[2])
        due_now = []
        # A slot's messages are made when it falls due, not when it is the
        # next one: a slot to 50,000 groups is ~15 MB of messages.
        while upcoming is not None and upcoming[0] <= now:
            rendered = _rendered(renderer, upcoming, seq)
            if rendered is not None:
                due_now.append(rendered)
                seq += len(rendered.messages)
            upcoming = next(slots, None)
        if not deferred and not due_now:
            continue  # only slots whose texts all failed (reported): as if never planned
        if not deferred and _apart(due_now):
            entries = _slots_through(gate, due_now, now, waiting)
        else:
            entries = _one_by_one(gate, deferred, due_now, now, waiting)
        if now >= start:
            yield now, entries
        # The caller has gone through them: let them go before the next
        # slot's messages are made (not both slots' at once).
        entries.clear()
    for _, _, due in sorted(waiting):
        if due.at >= start:
            yield due.due, [(_moved(due, due.due), None, due.slot.scheduled, due.reason)]


def _apart(slots: list[_Slot]) -> bool:
    """Whether no group has messages in two of ``slots``: only one group's
    messages change each other's verdicts, so then each slot's order (the
    planner's, and the senders') is the gate's too."""
    if len(slots) == 1:
        return True
    groups = {message.group for slot in slots for message in slot.messages}
    return len(groups) == sum(len(slot.messages) for slot in slots)


def _slots_through(gate: Gate, slots: list[_Slot], now: dt.datetime, waiting: list) -> list[Entry]:
    """The common case: one slot at a time through the gate, in their order."""
    entries: list[Entry] = []
    for slot in slots:
        outcomes = gate.decide_all(slot.messages, slot.playbook, now, due=slot.at, origin=slot.origin)
        for number, (message, outcome) in enumerate(zip(slot.messages, outcomes)):
            if outcome is not None and outcome.state == "pending":
                _wait(_Due(message, slot, slot.seq + number), outcome, waiting)
            else:
                entries.append((message, outcome, slot.scheduled, slot.reason))
    return entries


def _one_by_one(gate: Gate, deferred: list[_Due], slots: list[_Slot], now: dt.datetime,
                waiting: list) -> list[Entry]:
    """Messages to one group falling due together (or deferred ones among
    them) go through the gate one by one in the gate's order, as in the
    runner; the senders get them deferred ones first, then in the planner's order."""
    seen: set[str] = set()
    dues = list(deferred)
    for slot in slots:
        for number, message in enumerate(slot.messages):
            if message.id not in seen:  # the store keeps one message per id: an event given twice
                seen.add(message.id)
                dues.append(_Due(message, slot, slot.seq + number))
    decided = []
    for due in sorted(dues, key=gate_order):
        outcome = gate.decide(due, due.slot.playbook, now).outcome
        if outcome is not None and outcome.state == "pending":
            _wait(due, outcome, waiting)
        else:
            decided.append((due, outcome))
    decided.sort(key=lambda item: (item[0].at, item[0].seq))
    return [(_moved(due, now), outcome, due.slot.scheduled, due.reason) for due, outcome in decided]


def _wait(due: _Due, outcome, waiting: list) -> None:
    """The gate deferred it: it falls due again then."""
    due.due, due.reason = outcome.due.astimezone(UTC), outcome.reason
    heapq.heappush(waiting, (due.due, due.seq, due))


def _timed(slots: Iterable) -> Iterator[tuple[dt.datetime, Slot, tuple]]:
    """Each planned slot with its time in UTC, its messages not made yet."""
    for slot, groups in slots:
        yield slot.at.astimezone(UTC), slot, groups


def _rendered(renderer: Renderer, timed: tuple, seq: int) -> _Slot | None:
    """The slot's messages, numbered in the planner's order from ``seq``;
    None when it has none (every text failed to render)."""
    at, slot, groups = timed
    messages = list(renderer.messages(slot, groups))
    if not messages:
        return None
    origin = "event" if slot.event is not None else "plan"
    reason = QUIET_DEFERRAL if slot.at != slot.scheduled else None  # expand deferred it already
    return _Slot(at, origin, slot.scheduled, reason, slot.playbook, messages, seq)


def _moved(due: _Due, now: dt.datetime) -> PlannedMessage:
    """The message, at ``now`` if the gate moved it (in its playbook's zone)."""
    if now == due.at:
        return due.message
    return dataclasses.replace(due.message, at=now.astimezone(due.slot.playbook.zone))
