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
"""

from __future__ import annotations

import datetime as dt
from typing import Callable, Iterator

from sopc.core.diagnostics import Diagnostic
from sopc.core.events import Event
from sopc.core.messages import PlannedMessage
from sopc.plan.expand import ALL_PARTS, expand
from sopc.run.deployment import Deployment
from sopc.run.store import Store, SyncResult

PLAN_PARTS = frozenset({"schedule", "launch"})
EVENT_PARTS = frozenset({"trigger"})
ORIGINS = ("plan", "event")

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
        self._events = self.store.events()

    # ---- the diff into the store --------------------------------------------------------------

    def _sync(self, start: dt.datetime, end: dt.datetime, parts: frozenset[str], now: dt.datetime,
              cancel_reason: str, *, late_reason: str | None, until: dt.datetime | None) -> SyncResult:
        origins = [origin for origin, part in zip(ORIGINS, (PLAN_PARTS, EVENT_PARTS)) if part & parts]
        problems: list[Diagnostic] = []
        planned = self._planned(start, end, parts, problems)
        result = self.store.sync(planned, start=start, end=end, origins=origins, now=now,
                                 cancel_reason=cancel_reason, late_reason=late_reason,
                                 materialized_until=until)
        for problem in problems:
            self.log(f"warning: {problem.message}")
        return result

    def _planned(self, start: dt.datetime, end: dt.datetime, parts: frozenset[str],
                 problems: list[Diagnostic]) -> Iterator[tuple[PlannedMessage, str]]:
        program = self.deployment.build.program
        if parts & PLAN_PARTS:
            for message in expand(program, start, end, parts=parts & PLAN_PARTS, diagnostics=problems,
                                  keep_unrenderable=True):
                yield message, "plan"
        if parts & EVENT_PARTS:
            for message in expand(program, start, end, events=self._events, parts=EVENT_PARTS,
                                  diagnostics=problems, keep_unrenderable=True):
                yield message, "event"

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
