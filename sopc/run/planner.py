"""Stage 7, run: keep the store filled with the plan for a window ahead.

The planner puts :func:`sopc.plan.expand.expand` over [now - grace, now +
lookahead) into the store and moves the window's end (the *horizon*, kept in
the store's meta) along as time passes. It does no delivering.

Re-planning is a diff by id. Ids are stable (:mod:`sopc.plan.expand`), so after
an edit the store adds what is new, updates texts that changed, cancels
pending messages that left the plan, and never touches one already claimed or
sent.

The event-driven part is planned from a
:class:`~sopc.plan.lifecycle_state.LifecycleState` (the algorithm `sopc plan
--events` uses), kept in the store beside the messages planned from it and
advanced by the events recorded since the last one it took: a wake after an
event costs the same whatever the history before it, and only the groups
with new events are planned again, from the earliest new event's time when
it was recorded late, so what it missed is recorded, not left out. An event
older than its group's latest builds that group's state again from its
events; an edit that changes the triggers, stages or groups builds the whole
state again, in one pass over the events.

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
from typing import Callable, Iterable

from sopc.core.diagnostics import Diagnostic
from sopc.core.events import Event
from sopc.core.messages import PlannedMessage
from sopc.core.i18n import _
from sopc.core.reasons import EDITED, LATE_EDIT, STOPPED
from sopc.core.progress import QUIET, Progress, counted, through_time
from sopc.core.timeutil import range_problem
from sopc.plan.expand import ALL_PARTS, Renderer, expand
from sopc.plan.lifecycle_state import LifecycleState, Rules, rules_of
from sopc.plan.slots import Slot
from sopc.run.deployment import Deployment
from sopc.run.store import LifecycleRows, Store, SyncResult

PLAN_PARTS = frozenset({"schedule", "launch"})
EVENT_PARTS = frozenset({"trigger"})

HORIZON = "horizon"                 # meta: the end of the window the store holds
EVENTS_PLANNED = "events_planned"   # meta: the number of the last event a runner has planned (and its state took)
LIFECYCLE_RULES = "lifecycle_rules"  # meta: the fingerprint of the rules the stored lifecycle state was built by
# Sequences ending this long before the window are let go of; an event
# recorded later than that builds its group's state again.
RETAIN = dt.timedelta(days=2)
_UNREAD = object()


class Planner:
    """Fills the store with the plan of ``deployment`` (set by the runner)."""

    def __init__(self, store: Store, *, lookahead: dt.timedelta, log: Callable[[str], None]):
        self.store = store
        self.lookahead = lookahead
        self.log = log
        self.deployment: Deployment | None = None
        self._lifecycle: LifecycleState | None = None
        self._taken = 0          # the number of the last event the lifecycle state took
        self._rebuilt = False    # the state was built again: the store's copy is replaced at the next save
        self._fresh: dict[str, dt.datetime] = {}  # groups with events taken but not planned yet: the earliest's time
        self._refused: set[Event] = set()   # events left out of the plan, each logged once
        self._unreadable: set[int] = set()  # numbers of event rows that cannot be read, each logged once
        self._horizon_at: dt.datetime | None | object = _UNREAD
        self._progress: Progress = QUIET  # told how far the first sync is (it may plan days missed, replay every event)

    # ---- the three ways the window is filled --------------------------------------------------

    def start(self, now: dt.datetime, progress: Progress = QUIET) -> None:
        """At start: from the old horizon (what a stopped runner never
        planned) or the grace ago, to a lookahead ahead; with the events
        recorded while no runner ran. ``progress`` is told how far it is."""
        self._progress = progress
        try:
            self._start(now)
        finally:
            self._progress = QUIET

    def _start(self, now: dt.datetime) -> None:
        horizon = self.horizon()
        grace = self.deployment.grace()
        start = now - grace if horizon is None else min(horizon, now - grace)
        end = max(horizon or now, now + self.lookahead)
        plan = self._sync(start, end, PLAN_PARTS, now, EDITED,
                          late_reason=LATE_EDIT if horizon is not None else None, until=horizon)
        self._open_lifecycle(after=self._events_planned(horizon))
        self._take_new()
        events = self._sync_events(now, start, end, every_group=True)
        self._set_horizon(end)
        added, cancelled = plan.added + events.added, plan.cancelled + events.cancelled
        self.log(_("planned {count} new message(s) up to {time}").format(
            count=added, time=f"{self.deployment.local(end):%Y-%m-%d %H:%M}")
                 + (_("; cancelled {count} that left the plan").format(count=cancelled) if cancelled else ""))

    def replan(self, now: dt.datetime) -> SyncResult:
        """After an edit: the whole window again; a message the edit adds
        after its time is recorded skipped, not sent late."""
        horizon = self.horizon()
        start, end = now - self.deployment.grace(), horizon or now + self.lookahead
        plan = self._sync(start, end, PLAN_PARTS, now, EDITED, late_reason=LATE_EDIT, until=horizon)
        self._current_lifecycle()
        events = self._sync_events(now, start, end, every_group=True, reason=EDITED, late_reason=LATE_EDIT,
                                   until=horizon)
        result = _sum(plan, events)
        self.log(_("reloaded: {added} added, {updated} changed, {cancelled} cancelled").format(
            added=result.added, updated=result.updated, cancelled=result.cancelled)
                 + (_(", {count} recorded as skipped or failed at once").format(count=result.finished)
                    if result.finished else ""))
        return result

    def extend(self, now: dt.datetime) -> None:
        """Keep the plan a lookahead ahead of now (refilled at half)."""
        horizon = self.horizon()
        if horizon is not None and now + self.lookahead / 2 < horizon:
            return
        end = now + self.lookahead
        start = horizon or now - self.deployment.grace()
        self._current_lifecycle().retire(min(start, now - self.deployment.grace()) - RETAIN)
        self._sync(start, end, ALL_PARTS, now, EDITED, late_reason=None, until=None)
        self._set_horizon(end)

    def refill_time(self) -> dt.datetime | None:
        """When :meth:`extend` will next have something to do."""
        horizon = self.horizon()
        return None if horizon is None else horizon - self.lookahead / 2

    def stage_at(self, group: str, moment: dt.datetime) -> str | None:
        """``group``'s stage at ``moment`` by the events taken so far: the
        worker's gate asks it when a message of an `in stage` step falls
        due (the runner takes new events first)."""
        return self._current_lifecycle().stage_at(group, moment)

    # ---- events -----------------------------------------------------------------------------

    def take_events(self, now: dt.datetime) -> int:
        """Re-plan the event-driven messages of the groups with new events,
        if events came in; how many came."""
        last = self.store.last_event_seq()
        if last == self._taken:
            return 0
        new = last - self._taken
        self._current_lifecycle()
        self._take_new()
        result = self._sync_events(now, now - self.deployment.grace(), self.horizon() or now + self.lookahead,
                                   every_group=False)
        if result.added or result.cancelled:
            self.log(_("{count} event(s): {added} message(s) added, {cancelled} cancelled").format(
                count=new, added=result.added, cancelled=result.cancelled))
        return new

    def _sync_events(self, now: dt.datetime, since: dt.datetime, end: dt.datetime, *, every_group: bool,
                     reason: str = STOPPED, late_reason: str | None = None,
                     until: dt.datetime | None = None) -> SyncResult:
        """Re-plan the event-driven part from ``since`` (every group's, or
        those with new events), and the groups with an event recorded
        earlier than that from its time. Their messages are stored pending,
        so the gate sends what is within the grace late and records anything
        older as missed: none is left out."""
        state, fresh = self._lifecycle, self._fresh
        self._fresh = {}
        late = {group: moment for group, moment in fresh.items() if moment < since}
        state.retire(min([since, *late.values()]) - RETAIN, None if every_group else fresh)
        results = []
        on_time = None if every_group else [group for group in fresh if group not in late]
        if on_time is None or on_time:
            results.append(self._sync(since, end, EVENT_PARTS, now, reason, late_reason=late_reason, until=until,
                                      groups=on_time, save=not late))
        if late:
            earliest = min(late.values())
            for group in late:
                if not state.holds_from(group, earliest):
                    self._rebuild_group(group)
            results.append(self._sync(earliest, end, EVENT_PARTS, now, reason, late_reason=late_reason,
                                      until=until, groups=list(late), save=True))
        if not results:
            self._save_lifecycle(now)
        return _sum(*results)

    def _events_planned(self, horizon: dt.datetime | None) -> int:
        planned = self.store.get_meta(EVENTS_PLANNED)
        if planned is None and horizon is not None:
            return self.store.last_event_seq()  # a state from an older sopc: all were planned
        return int(planned or 0)

    # ---- the lifecycle state ----------------------------------------------------------------

    def _open_lifecycle(self, *, after: int) -> None:
        """At start: the stored state if it was built by these rules, else
        one built from every event (those numbered after ``after`` are not
        planned yet)."""
        rules = rules_of(self.deployment.build.program)
        stored = self.store.get_meta(EVENTS_PLANNED)
        if self.store.get_meta(LIFECYCLE_RULES) == rules.fingerprint and stored is not None:
            state = LifecycleState(rules, on_refused=self._refuse)
            try:
                for group, text in self.store.lifecycle_states():
                    state.load_group(group, text)
            except (ValueError, KeyError, TypeError) as exc:
                self.log(_("warning: the stored lifecycle state cannot be read ({problem}); "
                           "building it again from the events").format(problem=f"{type(exc).__name__}: {exc}"))
            else:
                self._lifecycle, self._taken, self._rebuilt = state, int(stored), False
                return
        self._build_lifecycle(rules, after=after)

    def _current_lifecycle(self) -> LifecycleState:
        """The lifecycle state for the deployed program: the same one if an
        edit left its rules alone, else built again."""
        rules = rules_of(self.deployment.build.program)
        state = self._lifecycle
        if state is None:
            self._open_lifecycle(after=self._taken)
        elif state.rules is not rules:
            if state.rules.fingerprint == rules.fingerprint:
                state.rebind(rules)
            else:
                self._build_lifecycle(rules, after=self._taken)
        return self._lifecycle

    def _build_lifecycle(self, rules: Rules, *, after: int) -> None:
        """The state built from every event, one group at a time (one pass);
        the groups with events numbered after ``after`` are to be planned."""
        state = LifecycleState(rules, on_refused=self._refuse)
        skipped: list[tuple[int, str]] = []
        taken = 0
        groups = counted(self._progress, _("replaying events"), self.store.events_by_group(skipped),
                         self.store.event_count() if self._progress is not QUIET else 0, size=_row_count)
        for group, rows in groups:
            taken = max(taken, rows[-1][0])
            if not rules.tracks(group):
                continue
            kept = self._plannable(rows)
            state.rebuild(group, [event for _, event in kept])
            new = [event.at for seq, event in kept if seq > after]
            if new:
                self._note_fresh(group, min(new))
        self._log_unreadable(skipped)
        self._lifecycle, self._rebuilt = state, True
        self._taken = max([taken, *(seq for seq, _ in skipped)])

    def _note_fresh(self, group: str, moment: dt.datetime) -> None:
        known = self._fresh.get(group)
        self._fresh[group] = moment if known is None else min(known, moment)

    def _take_new(self) -> None:
        """Advance the state by the events recorded since it last took one
        (their groups are to be planned)."""
        skipped: list[tuple[int, str]] = []
        rows = self.store.events_after(self._taken, skipped)
        self._log_unreadable(skipped)
        self._taken = max([self._taken, *(seq for seq, _ in rows), *(seq for seq, _ in skipped)])
        state = self._lifecycle
        by_group: dict[str, list[Event]] = {}
        for _seq, event in self._plannable(rows):
            if state.rules.tracks(event.group):
                by_group.setdefault(event.group, []).append(event)
        for group, events in by_group.items():
            earliest = min(event.at for event in events)
            self._note_fresh(group, earliest)
            if state.needs_rebuild(group, earliest):
                self._rebuild_group(group)
            else:
                for event in sorted(events, key=_at):
                    state.advance(event)

    def _rebuild_group(self, group: str) -> None:
        """``group``'s state built again from its events (one came late)."""
        rows = [(seq, event) for seq, event in self.store.group_events(group) if seq <= self._taken]
        self._lifecycle.rebuild(group, [event for _, event in self._plannable(rows)])

    def _plannable(self, rows: Iterable[tuple[int, Event]]) -> list[tuple[int, Event]]:
        """The rows whose event a plan can start steps from; the others refused (logged once)."""
        kept = []
        refused = self._refused
        for seq, event in rows:
            problem = range_problem(event.at)
            if problem:
                self._refuse(event, problem)
            elif not refused or event not in refused:
                kept.append((seq, event))
        return kept

    def _log_unreadable(self, skipped: list[tuple[int, str]]) -> None:
        for seq, reason in skipped:
            if seq not in self._unreadable:
                self._unreadable.add(seq)
                self.log(_("error: event #{number} in the state cannot be read and is not planned: {reason}; "
                           "every other event is").format(number=seq, reason=reason))

    def _lifecycle_rows(self) -> LifecycleRows:
        """What of the state to write: the groups it changed since the last write."""
        state = self._lifecycle
        rows = [(group, state.group_json(group)) for group in sorted(state.dirty)]
        meta = ((EVENTS_PLANNED, str(self._taken)), (LIFECYCLE_RULES, state.rules.fingerprint))
        return LifecycleRows(rows=rows, replace=self._rebuilt, meta=meta)

    def _saved(self) -> None:
        self._lifecycle.dirty.clear()
        self._rebuilt = False

    def _save_lifecycle(self, now: dt.datetime) -> None:
        """Write the state alone (no group's messages changed with it)."""
        self.store.sync((), start=now, end=now, origins=("event",), now=now, cancel_reason=STOPPED, groups=(),
                        lifecycle=self._lifecycle_rows())
        self._saved()

    def _refuse(self, event: Event, reason: str) -> None:
        """Leave ``event`` out of the plan, saying so once."""
        if event in self._refused:
            return
        self._refused.add(event)
        who = f" {event.member}" if event.member else ""
        self.log(_("error: event {event}{who} in {group} at {time} is not planned: {reason}; every other event is").format(
            event=event.kind, who=who, group=event.group, time=event.at.isoformat(), reason=reason))

    # ---- the diff into the store --------------------------------------------------------------

    def _sync(self, start: dt.datetime, end: dt.datetime, parts: frozenset[str], now: dt.datetime,
              cancel_reason: str, *, late_reason: str | None, until: dt.datetime | None,
              groups: list[str] | None = None, save: bool = True) -> SyncResult:
        """Make the store's pending messages of ``parts`` in [start, end)
        (of ``groups`` only: event-driven ones) the plan's. With the event
        part, the lifecycle state is written in the same transaction
        (``save``)."""
        problems: list[Diagnostic] = []
        planned, origins = self._planned(start, end, parts, problems, groups)
        lifecycle = self._lifecycle_rows() if save and parts & EVENT_PARTS else None
        result = self.store.sync(planned, start=start, end=end, origins=origins, now=now,
                                 cancel_reason=cancel_reason, late_reason=late_reason,
                                 materialized_until=until, groups=groups, lifecycle=lifecycle)
        if lifecycle is not None:
            self._saved()
        for problem in problems:
            self.log(_("warning: {message}").format(message=problem.message))
        return result

    def _planned(self, start: dt.datetime, end: dt.datetime, parts: frozenset[str], problems: list[Diagnostic],
                 groups: list[str] | None) -> tuple[list[tuple[PlannedMessage, str]], list[str]]:
        """The messages of ``parts`` in [start, end), each with its origin,
        and the origins planned whole: the store syncs only those (an origin
        that failed keeps its stored messages as they were)."""
        program = self.deployment.build.program
        planned: list[tuple[PlannedMessage, str]] = []
        origins: list[str] = []
        if parts & PLAN_PARTS:
            try:
                messages = expand(program, start, end, parts=parts & PLAN_PARTS, diagnostics=problems,
                                  keep_unrenderable=True)
                planned += [(m, "plan") for m in through_time(self._progress, _("planning"), messages, start, end,
                                                              at=_message_at)]
                origins.append("plan")
            except Exception as exc:  # noqa: BLE001 - the runner keeps delivering what it has
                self.log(_("error: the playbooks' schedules cannot be planned ({problem}); "
                           "the messages already planned stay as they are").format(problem=f"{type(exc).__name__}: {exc}"))
        if parts & EVENT_PARTS:
            messages = self._event_messages(start, end, groups, problems)
            if messages is not None:
                planned += [(m, "event") for m in messages]
                origins.append("event")
        return planned, origins

    def _event_messages(self, start: dt.datetime, end: dt.datetime, groups: list[str] | None,
                        problems: list[Diagnostic]) -> list[PlannedMessage] | None:
        """The event-driven messages of ``groups`` (None: all) in [start,
        end), from the lifecycle state. A slot whose messages cannot be made
        is refused (its event logged) and the others planned; None when the
        slots cannot even be worked out (nothing event-driven is synced)."""
        try:
            slots = self._current_lifecycle().slots(start, end, groups=groups)
        except Exception as exc:  # noqa: BLE001 - the runner keeps delivering what it has
            self.log(_("error: the events' messages cannot be planned ({problem}); "
                       "the messages already planned stay as they are").format(problem=f"{type(exc).__name__}: {exc}"))
            return None
        renderer = Renderer(self.deployment.build.program, problems, keep_unrenderable=True)
        messages: list[PlannedMessage] = []
        for slot in slots:
            try:
                messages += renderer.messages(slot, slot.groups)
            except Exception as exc:  # noqa: BLE001 - one event's steps must not stop the others
                self._refuse(_event_of(slot), f"its steps cannot be planned ({type(exc).__name__}: {exc})")
        return messages

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


def _at(event: Event) -> dt.datetime:
    return event.at


def _message_at(message: PlannedMessage) -> dt.datetime:
    return message.at


def _row_count(group_rows: tuple[str, list]) -> int:
    return len(group_rows[1])


def _sum(*results: SyncResult) -> SyncResult:
    return SyncResult(added=sum(r.added for r in results), updated=sum(r.updated for r in results),
                      cancelled=sum(r.cancelled for r in results), finished=sum(r.finished for r in results))


def _event_of(slot: Slot) -> Event:
    """The event a trigger slot was started by (for the log)."""
    context = slot.event or {}
    return Event(kind=context.get("kind", "?"), group=context.get("group", "?"), member=context.get("member"),
                 at=context.get("at") or slot.at)
