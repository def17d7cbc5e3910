"""Stage 7, run: deliver what is due, once, and write down how each ended.

The worker takes the due messages from the store, passes each through the
gate (:class:`sopc.plan.policy.Gate`, the one `sopc plan` simulates), claims
the ones to send (committed before any sender is called), hands them to
their senders (a deferred one with the time it was deferred to), at most
``concurrency`` in flight and one group's in order, and settles the outcomes
in batches. A ``retry`` answer is rescheduled by the retry policy
(:meth:`sopc.senders.retry.RetryPolicy.decide`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from dataclasses import field
from typing import Callable, Sequence

from sopc.core.clock import Clock
from sopc.core.messages import MessageState, Outcome, StoredMessage
from sopc.core.i18n import N_, _
from sopc.core.reasons import GONE_GROUP, GONE_PLAYBOOK, RETRYING as RETRYING_REASON, shown, state_word
from sopc.core.records import dataclass
from sopc.plan.policy import HISTORY, Gate, GroupHistory, gate_order, placed_at
from sopc.project.roster import Group
from sopc.run.deployment import Deployment
from sopc.run.store import Store
from sopc.senders.base import DeliveryResult, OutgoingMessage, SenderConfigError
from sopc.senders.retry import RetryPolicy

S = MessageState
RETRYING = "retrying"  # how the reason of a delivery put back for a later attempt starts
SENT = N_("sent {time} {where}")  # a routine line: `sopc run -q` leaves it out


@dataclass
class RunTally:
    """What a run did, for its closing line."""

    states: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)
    in_doubt_recovered: int = 0
    retrying: int = 0   # deliveries the sender asked to try again later (still pending)

    def add(self, outcome: Outcome) -> None:
        if outcome.state == S.PENDING and (outcome.reason or "").startswith(RETRYING):
            self.retrying += 1
        if outcome.state != S.PENDING:
            self.states[outcome.state] += 1
            if outcome.state in (S.SKIPPED, S.CANCELLED):
                self.reasons[(outcome.reason or "").split(":")[0]] += 1


class Worker:
    """Delivers the due messages of ``deployment`` (set by the runner)."""

    def __init__(self, store: Store, clock: Clock, *, concurrency: int, flush_every: int, retry: RetryPolicy,
                 log: Callable[[str], None], tally: RunTally, on_done: Callable[[], None] = lambda: None):
        self.store = store
        self.clock = clock
        self.concurrency = concurrency
        self.flush_every = flush_every
        self.retry = retry
        self.log = log
        self.tally = tally
        self.on_done = on_done                   # a delivery finished: the runner's loop wakes
        self.deployment: Deployment | None = None
        self.gate = Gate()
        self._inflight: set[asyncio.Task] = set()
        self._reserved: dict[str, dt.datetime] = {}  # id -> when it was counted in the history
        self._outcomes: list[Outcome] = []           # finished deliveries not yet written
        self._group_locks: dict[str, asyncio.Lock] = {}

    def load_history(self, now: dt.datetime) -> None:
        """What was sent lately, for the gate's gap and cap."""
        self.gate.history = GroupHistory(self.store.sent_since(now - HISTORY))

    @property
    def history(self) -> GroupHistory:
        return self.gate.history

    @property
    def in_flight(self) -> int:
        return len(self._inflight)

    @property
    def full(self) -> bool:
        return len(self._inflight) >= self.concurrency

    # ---- taking what is due -----------------------------------------------------------------

    def pump(self) -> int:
        """Judge, claim and start delivering what is due now, as far as
        there is room in flight; how many messages it decided about."""
        now = self.clock.now()
        decided = 0
        self.gate.pauses = self.store.pauses()
        while (room := self.concurrency - len(self._inflight)) > 0:
            rows = self.store.due(now, room)
            if not rows:
                break
            settled, chosen = self._gate(rows, now)
            won = self._claim(chosen, now)
            decided += settled + won
            if not settled and not won:
                break
        return decided

    def _gate(self, rows: Sequence[StoredMessage], now: dt.datetime) -> tuple[int, list[StoredMessage]]:
        """Record the gate's outcome for the rows it stops or defers; the
        others the gate has counted at once (so the gap and cap see them)
        and are returned to be claimed, in the store's order. The gate takes
        them in its own order (:func:`gate_order`), as the plan does."""
        outcomes, passed = [], set()
        for row in sorted(rows, key=gate_order):
            verdict = self._judge(row, now)
            if verdict is None:
                passed.add(row.id)
                self._reserved[row.id] = now
            else:
                outcomes.append(verdict)
                self._log_outcome(row, verdict)
        self._record(outcomes, now)
        return len(outcomes), [row for row in rows if row.id in passed]

    def _judge(self, row: StoredMessage, now: dt.datetime) -> Outcome | None:
        playbook = self.deployment.playbooks.get(row.playbook)
        if playbook is None:
            return Outcome(row.id, S.CANCELLED, GONE_PLAYBOOK)
        if row.group not in self.deployment.groups:
            return Outcome(row.id, S.CANCELLED, GONE_GROUP)
        verdict = self.gate.decide(row, playbook, now)
        return None if verdict.send else verdict.outcome

    def _claim(self, chosen: Sequence[StoredMessage], now: dt.datetime) -> int:
        """Claim (committed) and start delivering; how many this worker won."""
        won = set(self.store.claim([row.id for row in chosen], now))
        for row in chosen:
            if row.id in won:
                self._start(row)
            else:  # another worker took it
                self.gate.undo(row, self._reserved.pop(row.id))
        return len(won)

    # ---- delivering -------------------------------------------------------------------------

    def _start(self, row: StoredMessage) -> None:
        task = asyncio.get_running_loop().create_task(self._deliver(row))
        self._inflight.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self._inflight.discard(task)
        self.on_done()

    async def _deliver(self, row: StoredMessage) -> None:
        lock = self._group_locks.setdefault(row.group, asyncio.Lock())
        async with lock:  # one group's messages go out in order
            outcome = await self._attempt(row)
        reserved = self._reserved.pop(row.id, None)
        if outcome.state != S.SENT and reserved is not None:
            self.gate.undo(row, reserved)
        self._outcomes.append(outcome)
        self._log_outcome(row, outcome)
        if len(self._outcomes) >= self.flush_every:
            self.flush()

    async def _attempt(self, row: StoredMessage) -> Outcome:
        pool = self.deployment.pool
        try:
            sender = pool.get(row.sender)
        except SenderConfigError as exc:
            return Outcome(row.id, S.FAILED, pool.redact(str(exc)))
        playbook = self.deployment.playbooks.get(row.playbook)
        at = placed_at(row, playbook.zone) if playbook is not None else row.at
        try:
            result = await sender.deliver(outgoing(row, self.deployment.groups.get(row.group), at))
        except Exception as exc:  # a plugin's bug: it may or may not have sent
            return Outcome(row.id, S.IN_DOUBT, pool.redact(f"the sender raised {type(exc).__name__}: {exc}"))
        return outcome_of(row, result, self.retry, self.clock.now(), pool.redact)

    # ---- writing outcomes -------------------------------------------------------------------

    def _record(self, outcomes: list[Outcome], now: dt.datetime) -> None:
        if outcomes:
            self.store.settle(outcomes, now)
            for outcome in outcomes:
                self.tally.add(outcome)

    def flush(self) -> None:
        """Write the finished deliveries' outcomes (one transaction)."""
        if self._outcomes:
            outcomes, self._outcomes = self._outcomes, []
            self._record(outcomes, self.clock.now())

    def _log_outcome(self, row: StoredMessage, outcome: Outcome) -> None:
        local = self.deployment.local
        target = (_("1:1 {member} of {group}").format(member=row.member, group=row.group) if row.private else
                  row.group + (f" @{row.member}" if row.member else ""))  # `to member`: not in the group
        where = f"{row.playbook}/{row.step} -> {target}"
        time = f"{local(row.at):%m-%d %H:%M}"
        if outcome.state == S.SENT:
            self.log(_(SENT).format(time=time, where=where))
        elif outcome.state == S.PENDING:
            self.log(_("{reason} {time} {where}: now due {due}").format(
                reason=shown(outcome.reason), time=time, where=where, due=f"{local(outcome.due):%m-%d %H:%M}"))
        else:
            self.log(_("{state} {time} {where}: {reason}").format(
                state=state_word(outcome.state), time=time, where=where, reason=shown(outcome.reason)))

    # ---- waiting for deliveries ------------------------------------------------------------

    async def drain_due(self) -> None:
        """Deliver everything due now and wait until it has been delivered."""
        self.fresh_locks()
        while True:
            decided = self.pump()
            if not self._inflight:
                if not decided:
                    break
                continue
            await asyncio.wait(set(self._inflight), return_when=asyncio.FIRST_COMPLETED)
            self.flush()  # an outcome written at once is one less in doubt after a crash
        self.flush()

    async def finish(self) -> None:
        """Wait for the deliveries in flight to answer, and write them."""
        if self._inflight:
            await asyncio.wait(set(self._inflight))
        self.flush()

    def fresh_locks(self) -> None:
        """asyncio locks belong to one event loop; a new run gets new ones."""
        if not self._inflight:
            self._group_locks = {}


def outcome_of(row: StoredMessage, result: DeliveryResult, retry: RetryPolicy, now: dt.datetime,
               redact: Callable[[str], str]) -> Outcome:
    """What a sender's answer means for the message: sent, failed, or (a
    ``retry`` answer while attempts are left) pending again after the
    policy's wait."""
    if result.status == "sent":
        return Outcome(row.id, S.SENT, remote_id=result.remote_id)
    error = redact(result.error or "no reason given")
    if result.status != "retry":
        return Outcome(row.id, S.FAILED, error)
    attempts = row.attempts + 1
    decision = retry.decide(attempts, result.retry_after)
    if decision.again:
        return Outcome(row.id, S.PENDING, RETRYING_REASON.format(error=error), due=now + dt.timedelta(seconds=decision.delay))
    return Outcome(row.id, S.FAILED, f"gave up after {attempts} attempts: {error}")


def outgoing(row: StoredMessage, group: Group | None, at: dt.datetime | None = None) -> OutgoingMessage:
    """The message as its sender sees it, with the group's name and address;
    ``at``: when the policy has it go out (default: its planned time)."""
    return OutgoingMessage(
        id=row.id, at=row.at if at is None else at, playbook=row.playbook, step=row.step, group=row.group,
        group_name=(group.name if group and group.name else row.group), member=row.member, kind=row.kind,
        mentions=row.mentions, text=row.text, address=group.address if group else None,
        owner=group.owner if group else None, private=row.private)
