"""Stage 7, run: keep the store filled with the plan for a window ahead.

The planner puts :func:`sopc.plan.expand.expand` over [now - grace, now +
lookahead) into the store and moves the window's end (the *horizon*, kept in
the store's meta) along as time passes. It does no delivering.

Re-planning is a diff by id. Ids are stable (:mod:`sopc.plan.expand`), so after
an edit the store adds what is new, updates texts that changed, cancels
pending messages that left the plan, and never touches one already claimed or
sent. New events re-plan only the event-driven part, from the earliest new
event's time when it was recorded late, so what it missed is recorded, not
left out.

One row never stops the others. An event that cannot be planned (a time
outside the dates sopc plans, recorded by an older sopc; or one whose steps
fail to expand) is refused: logged once with the reason, left out, and every
other event is planned. A message whose template fails is recorded failed
with the reason (``keep_unrenderable``). If a whole part still fails to
expand, its messages in the store stay as they were (a partial plan would
cancel the rest) and the error is logged; delivery goes on.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable

from sopc.core.diagnostics import Diagnostic
from sopc.core.events import Event
from sopc.core.messages import PlannedMessage
from sopc.plan.expand import ALL_PARTS, expand
from sopc.plan.triggers import plannable
from sopc.run.deployment import Deployment
from sopc.run.store import Store, SyncResult

PLAN_PARTS = frozenset({"schedule", "launch"})
EVENT_PARTS = frozenset({"trigger"})

EDITED = "no longer in the plan: the playbook, a template or the roster changed"
STOPPED = "the sequence was stopped: an `until` event came, or the member left"
LATE_EDIT = "added by an edit after its time had passed"
HORIZON = "horizon"                 # meta: the end of the window the store holds
EVENTS_PLANNED = "events_planned"   # meta: the number of the last event a runner has planned
_UNREAD = object()


class Planner:
    """Fills the store with the plan of ``deployment`` (set by the runner)."""

    def __init__(self, store: Store, *, lookahead: dt.timedelta, log: Callable[[str], None]):
        self.store = store
        self.lookahead = lookahead
        self.log = log
        self.deployment: Deployment | None = None
        self._events: list[Event] = []
        self._last_event = 0
        self._refused: set[Event] = set()   # events left out of the plan, each logged once
        self._unreadable: set[int] = set()  # numbers of event rows that cannot be read, each logged once
        self._horizon_at: dt.datetime | None | object = _UNREAD

    # ---- the three ways the window is filled --------------------------------------------------

    def start(self, now: dt.datetime) -> None:
        """At start: from the old horizon (what a stopped runner never
        planned) or the grace ago, to a lookahead ahead; with the events
        recorded while no runner ran."""
        self._load_events()
        horizon = self.horizon()
        grace = self.deployment.grace()
        start = now - grace if horizon is None else min(horizon, now - grace)
        end = max(horizon or now, now + self.lookahead)
        plan = self._sync(start, end, PLAN_PARTS, now, EDITED,
                          late_reason=LATE_EDIT if horizon is not None else None, until=horizon)
        events = self._sync_new_events(now, end, after=self._events_planned(horizon), since=start)
        self._set_horizon(end)
        added, cancelled = plan.added + events.added, plan.cancelled + events.cancelled
        self.log(f"planned {added} new message(s) up to {self.deployment.local(end):%Y-%m-%d %H:%M}"
                 + (f"; cancelled {cancelled} that left the plan" if cancelled else ""))

    def replan(self, now: dt.datetime) -> SyncResult:
        """After an edit: the whole window again; a message the edit adds
        after its time is recorded skipped, not sent late."""
        horizon = self.horizon()
        result = self._sync(now - self.deployment.grace(), horizon or now + self.lookahead, ALL_PARTS,
                            now, EDITED, late_reason=LATE_EDIT, until=horizon)
        self.log(f"reloaded: {result.added} added, {result.updated} changed, {result.cancelled} cancelled"
                 + (f", {result.finished} recorded as skipped or failed at once" if result.finished else ""))
        return result

    def extend(self, now: dt.datetime) -> None:
        """Keep the plan a lookahead ahead of now (refilled at half)."""
        horizon = self.horizon()
        if horizon is not None and now + self.lookahead / 2 < horizon:
            return
        end = now + self.lookahead
        self._sync(horizon or now - self.deployment.grace(), end, ALL_PARTS, now, EDITED, late_reason=None, until=None)
        self._set_horizon(end)

    def refill_time(self) -> dt.datetime | None:
        """When :meth:`extend` will next have something to do."""
        horizon = self.horizon()
        return None if horizon is None else horizon - self.lookahead / 2

    # ---- events -----------------------------------------------------------------------------

    def take_events(self, now: dt.datetime) -> int:
        """Re-plan the event-driven messages if events came in; how many came."""
        last = self.store.last_event_seq()
        if last == self._last_event:
            return 0
        new, previous = last - self._last_event, self._last_event
        self._load_events()
        result = self._sync_new_events(now, self.horizon() or now + self.lookahead, after=previous)
        if result.added or result.cancelled:
            self.log(f"{new} event(s): {result.added} message(s) added, {result.cancelled} cancelled")
        return new

    def _sync_new_events(self, now: dt.datetime, end: dt.datetime, *, after: int,
                         since: dt.datetime | None = None) -> SyncResult:
        """Re-plan the event-driven part from ``since`` (default: the grace
        ago), or from the earliest event numbered ``after`` the last one
        planned (one recorded late, or while no runner ran) if that is
        earlier. Its messages are stored pending, so the gate sends what is
        within the grace late and records anything older as missed: none is
        left out."""
        moments = [since or now - self.deployment.grace(), self.store.earliest_event_after(after)]
        start = min(m for m in moments if m is not None)
        result = self._sync(start, end, EVENT_PARTS, now, STOPPED, late_reason=None, until=None)
        self.store.set_meta(EVENTS_PLANNED, str(self._last_event))  # for the next start
        return result

    def _events_planned(self, horizon: dt.datetime | None) -> int:
        planned = self.store.get_meta(EVENTS_PLANNED)
        if planned is None and horizon is not None:
            return self._last_event  # a state from an older sopc: all were planned
        return int(planned or 0)

    def _load_events(self) -> None:
        self._last_event = self.store.last_event_seq()
        unreadable: list[tuple[int, str]] = []
        events, refused = plannable(self.store.events(unreadable))
        for seq, reason in unreadable:
            if seq not in self._unreadable:
                self._unreadable.add(seq)
                self.log(f"error: event #{seq} in the state cannot be read and is not planned: {reason}; "
                         "every other event is")
        for event, reason in refused:
            self._refuse(event, reason)
        self._events = [event for event in events if event not in self._refused]

    def _refuse(self, event: Event, reason: str) -> None:
        """Leave ``event`` out of the plan, saying so once."""
        if event in self._refused:
            return
        self._refused.add(event)
        who = f" {event.member}" if event.member else ""
        self.log(f"error: event {event.kind}{who} in {event.group} at {event.at.isoformat()} is not planned: "
                 f"{reason}; every other event is")

    # ---- the diff into the store --------------------------------------------------------------

    def _sync(self, start: dt.datetime, end: dt.datetime, parts: frozenset[str], now: dt.datetime,
              cancel_reason: str, *, late_reason: str | None, until: dt.datetime | None) -> SyncResult:
        problems: list[Diagnostic] = []
        planned, origins = self._planned(start, end, parts, problems)
        result = self.store.sync(planned, start=start, end=end, origins=origins, now=now,
                                 cancel_reason=cancel_reason, late_reason=late_reason,
                                 materialized_until=until)
        for problem in problems:
            self.log(f"warning: {problem.message}")
        return result

    def _planned(self, start: dt.datetime, end: dt.datetime, parts: frozenset[str],
                 problems: list[Diagnostic]) -> tuple[list[tuple[PlannedMessage, str]], list[str]]:
        """The messages of ``parts`` in [start, end), each with its origin,
        and the origins planned whole: the store syncs only those (an origin
        that failed keeps its stored messages as they were)."""
        program = self.deployment.build.program
        planned: list[tuple[PlannedMessage, str]] = []
        origins: list[str] = []
        if parts & PLAN_PARTS:
            try:
                planned += [(m, "plan") for m in expand(program, start, end, parts=parts & PLAN_PARTS,
                                                        diagnostics=problems, keep_unrenderable=True)]
                origins.append("plan")
            except Exception as exc:  # noqa: BLE001 - the runner keeps delivering what it has
                self.log(f"error: the playbooks' schedules cannot be planned ({type(exc).__name__}: {exc}); "
                         "the messages already planned stay as they are")
        if parts & EVENT_PARTS:
            messages = self._event_messages(start, end, problems)
            if messages is not None:
                planned += [(m, "event") for m in messages]
                origins.append("event")
        return planned, origins

    def _event_messages(self, start: dt.datetime, end: dt.datetime,
                        problems: list[Diagnostic]) -> list[PlannedMessage] | None:
        """The event-driven messages; if expanding them fails, each event is
        tried alone, those that fail alone are refused and the rest planned.
        None when even that fails (nothing event-driven is synced)."""
        try:
            return self._expand_events(self._events, start, end, problems)
        except Exception:  # noqa: BLE001 - find the event(s) at fault below
            pass
        kept = []
        for event in self._events:
            try:
                self._expand_events([event], start, end, [])
                kept.append(event)
            except Exception as exc:  # noqa: BLE001
                self._refuse(event, f"its steps cannot be planned ({type(exc).__name__}: {exc})")
        self._events = kept
        try:
            return self._expand_events(kept, start, end, problems)
        except Exception as exc:  # noqa: BLE001
            self.log(f"error: the events' messages cannot be planned ({type(exc).__name__}: {exc}); "
                     "the messages already planned stay as they are")
            return None

    def _expand_events(self, events: list[Event], start: dt.datetime, end: dt.datetime,
                       problems: list[Diagnostic]) -> list[PlannedMessage]:
        return list(expand(self.deployment.build.program, start, end, events=events, parts=EVENT_PARTS,
                           diagnostics=problems, keep_unrenderable=True))

    # ---- the horizon --------------------------------------------------------------------------

    def horizon(self) -> dt.datetime | None:
        """How far ahead the store holds the plan. Read once from the store,
        then kept here: this runner is the only one that moves it."""
        if self._horizon_at is _UNREAD:
            value = self.store.get_meta(HORIZON)
            self._horizon_at = dt.datetime.fromisoformat(value) if value else None
        return self._horizon_at

    def _set_horizon(self, moment: dt.datetime) -> None:
        self.store.set_meta(HORIZON, moment.isoformat())
        self._horizon_at = moment
