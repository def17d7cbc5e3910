"""Stage 7, run: deliver the plan on time, once, and write down how each
message ended.

The runner keeps the store filled with the plan for a window ahead (a day by
default, :func:`sopc.plan.expand.expand` over [now - grace, now + lookahead)) and
then repeats: take what is due, pass it through the gate
(:mod:`sopc.plan.policy`), claim it (committed), hand it to its sender, record the
outcome. Between rounds it sleeps until the next due message, unless an
event, an edit or a finished delivery wakes it first.

Re-planning is a diff by id. Ids are stable (:mod:`sopc.plan.expand`), so after an
edit the store adds what is new, updates texts that changed, cancels pending
messages that left the plan, and never touches one already claimed or sent.
New events re-plan only the event-driven part.

Time comes from a clock object; :meth:`Runner.run_until` moves a fake clock
from due time to due time, so a simulated week takes a second.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Mapping, Sequence

from sopc import pipeline
from sopc.core.clock import Clock
from sopc.core.diagnostics import Diagnostic
from sopc.plan.policy import HISTORY, GroupHistory, judge
from sopc.core.events import Event
from sopc.core.messages import Outcome, PlannedMessage, StoredMessage
from sopc.plan.expand import ALL_PARTS, expand
from sopc.senders.base import OutgoingMessage, Sender, SenderConfigError, SenderRuntime
from sopc.senders.pool import SenderPool
from sopc.run.store import Store

PLAN_PARTS = frozenset({"schedule", "launch"})
EVENT_PARTS = frozenset({"trigger"})
ORIGINS = ("plan", "event")

EDITED = "no longer in the plan: the playbook, a template or the roster changed"
STOPPED = "the sequence was stopped: an `until` event came, or the member left"
LATE_EDIT = "added by an edit after its time had passed"
EVENTS_PLANNED = "events_planned"  # meta: the number of the last event a runner has planned
GONE_PLAYBOOK = "its playbook is no longer in the project"
GONE_GROUP = "its group is no longer in the roster"
DEFAULT_GRACE = dt.timedelta(minutes=10)
_UNREAD = object()


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOptions:
    lookahead: dt.timedelta = dt.timedelta(days=1)   # how far ahead the store holds the plan
    concurrency: int = 32                            # deliveries in flight at once
    max_attempts: int = 5                            # a message the sender keeps answering `retry` to
    retry_base: float = 30.0                         # seconds; doubles per attempt
    resend_in_doubt: bool = False
    confirm_every: dt.timedelta = dt.timedelta(minutes=10)  # poll 企业群发 confirmations
    flush_every: int = 200                           # outcomes per store write while busy


class StartError(Exception):
    """The runner cannot start: the project has errors, or a sender cannot be built."""

    def __init__(self, message: str, build: pipeline.Build | None = None):
        super().__init__(message)
        self.build = build


@dataclass
class RunTally:
    states: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)
    in_doubt_recovered: int = 0

    def add(self, outcome: Outcome) -> None:
        if outcome.state != "pending":
            self.states[outcome.state] += 1
            if outcome.state in ("skipped", "cancelled"):
                self.reasons[(outcome.reason or "").split(":")[0]] += 1


class Runner:
    def __init__(self, paths: Sequence[Path], store: Store, clock: Clock, *,
                 env: Mapping[str, str] | None = None, options: RunOptions = RunOptions(),
                 log: Callable[[str], None] | None = None,
                 report: Callable[[pipeline.Build], None] | None = None,
                 override_sender: Sender | None = None, runtime: SenderRuntime | None = None):
        self.paths = list(paths)
        self.store = store
        self.clock = clock
        self.env = os.environ if env is None else env
        self.options = options
        self.log = log or (lambda line: None)
        self.report = report or (lambda build: None)
        self.override_sender = override_sender
        self.runtime = runtime
        self.tally = RunTally()
        self.build: pipeline.Build | None = None
        self.pool: SenderPool | None = None
        self._old_pools: list[SenderPool] = []
        self._events: list[Event] = []
        self._last_event = 0
        self._inflight: set[asyncio.Task] = set()
        self._reserved: dict[str, dt.datetime] = {}
        self._outcomes: list[Outcome] = []
        self._group_locks: dict[str, asyncio.Lock] = {}
        self._wake: asyncio.Event | None = None
        self._reload_requested = False
        self._next_confirm: dt.datetime | None = None
        self.history = GroupHistory()
        self._playbooks: dict = {}
        self._horizon_at: dt.datetime | None | object = _UNREAD

    # ---- starting and re-planning ---------------------------------------------------------

    def start(self) -> None:
        """Load the project, recover from a crash, and fill the plan window.
        Raises :class:`StartError` when there is nothing sound to run."""
        now = self.clock.now()
        build = pipeline.build(self.paths)
        if build.failed:
            raise StartError("the project has errors; fix them first (`sopc check` shows them too)", build)
        self._install(build)
        problems = self.pool.problems(self._sender_names())
        if problems:
            raise StartError("; ".join(problems))
        recovered = self.store.recover(now, resend=self.options.resend_in_doubt)
        if recovered:
            self.tally.in_doubt_recovered = 0 if self.options.resend_in_doubt else recovered
            self.log(f"{recovered} message(s) were being delivered when the last run stopped: "
                     + ("queued to send again (--resend-in-doubt)" if self.options.resend_in_doubt else
                        "recorded as in-doubt, not resent (see `sopc status`; --resend-in-doubt sends them)"))
        self.history = GroupHistory(self.store.sent_since(now - HISTORY))
        self._load_events()
        horizon = self._horizon()
        start = now - self._grace() if horizon is None else min(horizon, now - self._grace())
        end = max(horizon or now, now + self.options.lookahead)
        result = self._sync(start, end, PLAN_PARTS, now, EDITED,
                            late_reason=LATE_EDIT if horizon is not None else None, until=horizon)
        planned = self.store.get_meta(EVENTS_PLANNED)
        if planned is None and horizon is not None:
            planned = self._last_event  # a state from an older sopc: all were planned
        events = self._sync_new_events(now, end, after=int(planned or 0), since=start)
        self._set_horizon(end)
        added, cancelled = result.added + events.added, result.cancelled + events.cancelled
        self.log(f"planned {added} new message(s) up to {self._local(end):%Y-%m-%d %H:%M}"
                 + (f"; cancelled {cancelled} that left the plan" if cancelled else ""))

    def _install(self, build: pipeline.Build) -> None:
        old = self.pool
        if old is None or _sender_settings(old.config) != _sender_settings(build.project.config):
            if old is not None:
                self._old_pools.append(old)
            addresses = [g.address for g in build.project.roster.groups if g.address]
            self.pool = SenderPool(build.project.config, self.env, runtime=self.runtime,
                                   override=self.override_sender, group_addresses=addresses)
        self.build = build
        self._playbooks = {p.name: p for p in build.program.playbooks}

    def _sender_names(self) -> set[str]:
        program = self.build.program
        return {program.sender_for(p, g) for p in program.playbooks for g in p.groups}

    def request_reload(self) -> None:
        """Re-read the project at the next chance (SIGHUP, a file changed)."""
        self._reload_requested = True
        self.wake()

    def wake(self) -> None:
        if self._wake is not None:
            self._wake.set()

    def reload(self) -> bool:
        """Recompile; on errors keep running the old plan and report them."""
        now = self.clock.now()
        build = pipeline.build(self.paths)
        if build.failed:
            self.report(build)
            self.log("the edited project has errors: still running the previous version")
            return False
        self._install(build)
        result = self._sync(now - self._grace(), self._horizon() or now + self.options.lookahead, ALL_PARTS,
                            now, EDITED, late_reason=LATE_EDIT, until=self._horizon())
        self.log(f"reloaded: {result.added} added, {result.updated} changed, {result.cancelled} cancelled"
                 + (f", {result.finished} recorded as skipped or failed at once" if result.finished else ""))
        return True

    def take_events(self) -> int:
        """Re-plan the event-driven messages if events came in; how many came."""
        last = self.store.last_event_seq()
        if last == self._last_event:
            return 0
        new, previous = last - self._last_event, self._last_event
        self._load_events()
        now = self.clock.now()
        result = self._sync_new_events(now, self._horizon() or now + self.options.lookahead, after=previous)
        if result.added or result.cancelled:
            self.log(f"{new} event(s): {result.added} message(s) added, {result.cancelled} cancelled")
        return new

    def _sync_new_events(self, now: dt.datetime, end: dt.datetime, *, after: int, since: dt.datetime | None = None):
        """Re-plan the event-driven part from ``since`` (default: the grace
        ago), or from the earliest event numbered ``after`` the last one
        planned (one recorded late, or while no runner ran) if that is
        earlier. Its messages are stored pending, so the gate sends what is
        within the grace late and records anything older as missed: none is
        left out."""
        moments = [since or now - self._grace(), self.store.earliest_event_after(after)]
        start = min(m for m in moments if m is not None)
        result = self._sync(start, end, EVENT_PARTS, now, STOPPED, late_reason=None, until=None)
        self.store.set_meta(EVENTS_PLANNED, str(self._last_event))  # for the next start
        return result

    def record_event(self, event: Event) -> None:
        """Record an event in this process and re-plan at once (embedding,
        tests); `sopc event` and `sopc serve` write to the store and signal."""
        self.store.add_event(event, self.clock.now())
        self.take_events()
        self.wake()

    def _load_events(self) -> None:
        self._last_event = self.store.last_event_seq()
        self._events = self.store.events()

    def _extend(self, now: dt.datetime) -> None:
        """Keep the plan a lookahead ahead of now."""
        horizon = self._horizon()
        if horizon is not None and now + self.options.lookahead / 2 < horizon:
            return
        start = horizon or now - self._grace()
        end = now + self.options.lookahead
        self._sync(start, end, ALL_PARTS, now, EDITED, late_reason=None, until=None)
        self._set_horizon(end)

    def _sync(self, start, end, parts, now, cancel_reason, *, late_reason: str | None, until: dt.datetime | None):
        origins = [origin for origin, part in zip(ORIGINS, (PLAN_PARTS, EVENT_PARTS)) if part & parts]
        problems: list[Diagnostic] = []
        planned = self._planned(start, end, parts, problems)
        result = self.store.sync(planned, start=start, end=end, origins=origins, now=now,
                                 cancel_reason=cancel_reason, late_reason=late_reason,
                                 materialized_until=until)
        for problem in problems:
            self.log(f"warning: {problem.message}")
        return result

    def _planned(self, start, end, parts, problems) -> Iterator[tuple[PlannedMessage, str]]:
        program = self.build.program
        if parts & PLAN_PARTS:
            for message in expand(program, start, end, parts=parts & PLAN_PARTS, diagnostics=problems,
                                  keep_unrenderable=True):
                yield message, "plan"
        if parts & EVENT_PARTS:
            for message in expand(program, start, end, events=self._events, parts=EVENT_PARTS,
                                  diagnostics=problems, keep_unrenderable=True):
                yield message, "event"

    def _grace(self) -> dt.timedelta:
        return max([p.policy.grace for p in self._playbooks.values()], default=DEFAULT_GRACE)

    def _horizon(self) -> dt.datetime | None:
        """How far ahead the store holds the plan. Read once from the store,
        then kept here: this runner is the only one that moves it."""
        if self._horizon_at is _UNREAD:
            value = self.store.get_meta("horizon")
            self._horizon_at = dt.datetime.fromisoformat(value) if value else None
        return self._horizon_at

    def _set_horizon(self, moment: dt.datetime) -> None:
        self.store.set_meta("horizon", moment.isoformat())
        self._horizon_at = moment

    def _local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(self.build.zone)

    # ---- delivering -------------------------------------------------------------------------

    def pump(self) -> int:
        """Judge, claim and start delivering what is due now, as far as
        there is room in flight; how many messages it decided about."""
        now = self.clock.now()
        decided = 0
        pauses = self.store.pauses()
        while (room := self.options.concurrency - len(self._inflight)) > 0:
            rows = self.store.due(now, room)
            if not rows:
                break
            outcomes, chosen = [], []
            for row in rows:
                verdict = self._judge(row, now, pauses)
                if verdict is None:
                    chosen.append(row)
                    self.history.add(row.group, now)  # held, so the gap and cap see it at once
                    self._reserved[row.id] = now
                else:
                    outcomes.append(verdict)
                    self._log_outcome(row, verdict)
            self._record(outcomes, now)
            won = set(self.store.claim([row.id for row in chosen], now))
            for row in chosen:
                if row.id in won:
                    self._start(row)
                else:  # another worker took it
                    self.history.remove(row.group, self._reserved.pop(row.id))
            decided += len(outcomes) + len(won)
            if not outcomes and not won:
                break
        return decided

    def _judge(self, row: StoredMessage, now: dt.datetime, pauses) -> Outcome | None:
        playbook = self._playbooks.get(row.playbook)
        if playbook is None:
            return Outcome(row.id, "cancelled", GONE_PLAYBOOK)
        if row.group not in self.build.project.roster.by_id:
            return Outcome(row.id, "cancelled", GONE_GROUP)
        paused = any(name == row.playbook and (until is None or since <= row.due < until)
                     for name, since, until in pauses)
        verdict = judge(row, playbook, now, self.history, paused)
        return None if verdict.send else verdict.outcome

    def _start(self, row: StoredMessage) -> None:
        task = asyncio.get_running_loop().create_task(self._deliver(row))
        self._inflight.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self._inflight.discard(task)
        self.wake()

    async def _deliver(self, row: StoredMessage) -> None:
        lock = self._group_locks.setdefault(row.group, asyncio.Lock())
        async with lock:  # one group's messages go out in order
            outcome = await self._attempt(row)
        reserved = self._reserved.pop(row.id, None)
        if outcome.state != "sent" and reserved is not None:
            self.history.remove(row.group, reserved)
        self._outcomes.append(outcome)
        self._log_outcome(row, outcome)
        if len(self._outcomes) >= self.options.flush_every:
            self.flush()

    async def _attempt(self, row: StoredMessage) -> Outcome:
        redact = self.pool.redact
        try:
            sender = self.pool.get(row.sender)
        except SenderConfigError as exc:
            return Outcome(row.id, "failed", redact(str(exc)))
        try:
            result = await sender.deliver(self._outgoing(row))
        except Exception as exc:  # a plugin's bug: it may or may not have sent
            return Outcome(row.id, "in-doubt", redact(f"the sender raised {type(exc).__name__}: {exc}"))
        if result.status == "sent":
            return Outcome(row.id, "sent", remote_id=result.remote_id)
        error = redact(result.error or "no reason given")
        attempts = row.attempts + 1
        if result.status == "retry" and attempts < self.options.max_attempts:
            delay = max(result.retry_after or 0.0, self.options.retry_base * 2 ** (attempts - 1))
            return Outcome(row.id, "pending", f"retrying: {error}",
                           due=self.clock.now() + dt.timedelta(seconds=delay))
        if result.status == "retry":
            error = f"gave up after {attempts} attempts: {error}"
        return Outcome(row.id, "failed", error)

    def _outgoing(self, row: StoredMessage) -> OutgoingMessage:
        group = self.build.project.roster.by_id.get(row.group)
        return OutgoingMessage(
            id=row.id, at=row.at, playbook=row.playbook, step=row.step, group=row.group,
            group_name=(group.name if group and group.name else row.group), member=row.member, kind=row.kind,
            mentions=row.mentions, text=row.text, address=group.address if group else None,
            owner=group.owner if group else None)

    def _record(self, outcomes: list[Outcome], now: dt.datetime) -> None:
        if outcomes:
            self.store.settle(outcomes, now)
            for outcome in outcomes:
                self.tally.add(outcome)

    def flush(self) -> None:
        """Write the finished deliveries' outcomes (one transaction)."""
        if self._outcomes:
            outcomes, self._outcomes = self._outcomes, []
            self.store.settle(outcomes, self.clock.now())
            for outcome in outcomes:
                self.tally.add(outcome)

    def _log_outcome(self, row: StoredMessage, outcome: Outcome) -> None:
        target = row.group + (f" @{row.member}" if row.member else "")
        where = f"{row.playbook}/{row.step} -> {target}"
        if outcome.state == "sent":
            self.log(f"sent {self._local(row.at):%m-%d %H:%M} {where}")
        elif outcome.state == "pending":
            self.log(f"{outcome.reason} {self._local(row.at):%m-%d %H:%M} {where}: "
                     f"now due {self._local(outcome.due):%m-%d %H:%M}")
        else:
            self.log(f"{outcome.state} {self._local(row.at):%m-%d %H:%M} {where}: {outcome.reason}")

    async def drain_due(self) -> None:
        """Deliver everything due now and wait until it has been delivered."""
        self._fresh_locks()
        while True:
            decided = self.pump()
            if not self._inflight:
                if not decided:
                    break
                continue
            await asyncio.wait(set(self._inflight), return_when=asyncio.FIRST_COMPLETED)
            self.flush()  # an outcome written at once is one less in doubt after a crash
        self.flush()

    def _fresh_locks(self) -> None:
        """asyncio locks belong to one event loop; a new run gets new ones."""
        if not self._inflight:
            self._group_locks = {}

    # ---- confirmations of assisted sends (企业群发) ------------------------------------------

    async def poll_confirmations(self) -> int:
        awaiting = getattr(self.store, "awaiting_confirmation", None)
        if awaiting is None:
            return 0
        by_sender: dict[str, list[StoredMessage]] = {}
        for row in awaiting():
            by_sender.setdefault(row.sender, []).append(row)
        updated = 0
        for name, rows in by_sender.items():
            try:
                sender = self.pool.get(name)
            except SenderConfigError:
                continue
            confirmations = getattr(sender, "confirmations", None)
            if confirmations is None:
                continue
            roster = self.build.project.roster.by_id
            triples = [(r.remote_id, _attr(roster.get(r.group), "owner"), _attr(roster.get(r.group), "address"))
                       for r in rows]
            try:
                answers = await confirmations(triples)
            except Exception as exc:  # never let a status poll stop delivery
                self.log(f"warning: cannot ask {name} for confirmations: {self.pool.redact(str(exc))}")
                continue
            changes = [(r.id, answers[r.remote_id].state, answers[r.remote_id].detail)
                       for r in rows if r.remote_id in answers and answers[r.remote_id].state != r.confirm]
            self.store.set_confirmations(changes)
            updated += len(changes)
        return updated

    # ---- driving it ------------------------------------------------------------------------

    async def run_once(self) -> RunTally:
        """`--once`: deliver what is due now (and within grace), then stop."""
        self.take_events()
        self._extend(self.clock.now())
        await self.drain_due()
        await self.poll_confirmations()
        await self.close()
        return self.tally

    async def run_until(self, end: dt.datetime, set_time: Callable[[dt.datetime], None]) -> RunTally:
        """Simulate: move the (fake) clock from one due time to the next and
        deliver, until ``end``."""
        while True:
            now = self.clock.now()
            self.take_events()
            self._extend(now)
            await self.drain_due()
            upcoming = [t for t in (self.store.next_due(), self._refill_time()) if t is not None]
            following = min(upcoming, default=end)
            if following >= end:
                break
            set_time(max(following, now))
        set_time(end)
        return self.tally

    async def run_forever(self, stop: asyncio.Event) -> RunTally:
        """Run until ``stop`` is set: sleep until the next due message, an
        event, an edit or a finished delivery."""
        self._wake = asyncio.Event()
        self._fresh_locks()
        try:
            while not stop.is_set():
                self._wake.clear()
                now = self.clock.now()
                if self._reload_requested:
                    self._reload_requested = False
                    self.reload()
                self.take_events()
                self._extend(now)
                self.pump()
                self.flush()
                if self._next_confirm is None or now >= self._next_confirm:
                    self._next_confirm = now + self.options.confirm_every
                    await self.poll_confirmations()
                await _wait_any(self._wake, stop, self._sleep_seconds(now))
            if self._inflight:
                await asyncio.wait(set(self._inflight))
            self.flush()
        finally:
            await self.close()
        return self.tally

    def _sleep_seconds(self, now: dt.datetime) -> float | None:
        if len(self._inflight) >= self.options.concurrency:
            return None  # a finished delivery wakes us
        moments = [t for t in (self.store.next_due(), self._refill_time(), self._next_confirm) if t is not None]
        if not moments:
            return 3600.0
        return min(3600.0, max(0.01, (min(moments) - now).total_seconds()))

    def _refill_time(self) -> dt.datetime | None:
        horizon = self._horizon()
        return None if horizon is None else horizon - self.options.lookahead / 2

    async def close(self) -> None:
        self.flush()
        for pool in [*self._old_pools, self.pool]:
            if pool is not None:
                await pool.aclose()
        self._old_pools.clear()


async def _wait_any(wake: asyncio.Event, stop: asyncio.Event, timeout: float | None) -> None:
    waiters = {asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stop.wait())}
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


def _attr(group, name: str):
    return getattr(group, name, None) if group is not None else None


def _sender_settings(config) -> dict:
    return {name: (s.kind, repr(sorted(s.settings.items()))) for name, s in config.senders.items()}
