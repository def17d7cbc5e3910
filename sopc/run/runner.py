"""Stage 7, run: deliver the plan on time, once, and write down how each
message ended.

The :class:`Runner` wires three parts to one store and one clock and drives
them:

- the :class:`~sopc.run.planner.Planner` keeps the store filled with the plan
  for a window ahead (a day by default) and re-plans after events and edits;
- the :class:`~sopc.run.worker.Worker` takes what is due, passes it through
  the gate, claims it, hands it to its sender and records the outcome;
- the :class:`~sopc.run.confirm.ConfirmationPoller` asks whether group owners
  confirmed the 企业群发 sends.

The runner itself compiles the project (at start and after an edit) into a
:class:`~sopc.run.deployment.Deployment` it hands to all three, and holds the
loops: :meth:`Runner.run_once` (`--once`), :meth:`Runner.run_until` (moves a
fake clock from due time to due time, so a simulated week takes a second) and
:meth:`Runner.run_forever`, which sleeps until the next due message unless an
event, an edit or a finished delivery wakes it first.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from pathlib import Path
from typing import Callable, Mapping, Sequence

from sopc import pipeline
from sopc.core.clock import Clock
from sopc.core.events import Event
from sopc.core.progress import QUIET, Progress
from sopc.core.i18n import _
from sopc.core.records import dataclass
from sopc.plan.policy import GroupHistory
from sopc.run.confirm import ConfirmationPoller
from sopc.run.deployment import Deployment, deploy
from sopc.run.planner import Planner
from sopc.run.store import Store
from sopc.run.worker import RunTally, Worker
from sopc.senders.base import Sender, SenderRuntime
from sopc.senders.pool import SenderPool
from sopc.senders.retry import RetryPolicy

__all__ = ["RunOptions", "RunTally", "Runner", "StartError"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOptions:
    lookahead: dt.timedelta = dt.timedelta(days=1)   # how far ahead the store holds the plan
    concurrency: int = 32                            # deliveries in flight at once
    max_attempts: int = 5                            # a message the sender keeps answering `retry` to
    retry_base: float = 30.0                         # seconds; doubles per attempt
    resend_in_doubt: bool = False
    confirm_every: dt.timedelta = dt.timedelta(minutes=10)  # poll 企业群发 confirmations
    flush_every: int = 200                           # outcomes per store write while busy

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy.rescheduling(self.max_attempts, self.retry_base)


class StartError(Exception):
    """The runner cannot start: the project has errors, or a sender cannot be built."""

    def __init__(self, message: str, build: pipeline.Build | None = None):
        super().__init__(message)
        self.build = build


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
        self.deployment: Deployment | None = None
        self.planner = Planner(store, lookahead=options.lookahead, log=self.log)
        self.worker = Worker(store, clock, concurrency=options.concurrency, flush_every=options.flush_every,
                             retry=options.retry_policy(), log=self.log, tally=self.tally, on_done=self.wake)
        self.poller = ConfirmationPoller(store, every=options.confirm_every, log=self.log)
        self.worker.gate.stage_at = self.planner.stage_at  # `in stage`: the planner's lifecycle state knows
        self._old_pools: list[SenderPool] = []
        self._wake: asyncio.Event | None = None
        self._reload_requested = False

    @property
    def build(self) -> pipeline.Build | None:
        return self.deployment.build if self.deployment else None

    @property
    def pool(self) -> SenderPool | None:
        return self.deployment.pool if self.deployment else None

    @property
    def history(self) -> GroupHistory:
        return self.worker.history

    # ---- starting and re-planning ---------------------------------------------------------

    def start(self, progress: Progress = QUIET) -> None:
        """Load the project, recover from a crash, and fill the plan window
        (``progress`` is told how far). Raises :class:`StartError` when there
        is nothing sound to run."""
        now = self.clock.now()
        build = pipeline.build(self.paths, progress)
        if build.failed:
            raise StartError(_("the project has errors; fix them first (`sopc check` shows them too)"), build)
        self._install(build)
        problems = self.pool.problems(self.deployment.sender_names())
        if problems:
            raise StartError("; ".join(problems))
        self._recover(now)
        self.worker.load_history(now)
        self.planner.start(now, progress)

    def _recover(self, now: dt.datetime) -> None:
        """What was claimed when the last run stopped: in doubt, or (asked to) queued again."""
        resend = self.options.resend_in_doubt
        recovered = self.store.requeue_in_doubt(now) if resend else self.store.recover_in_doubt(now)
        if recovered:
            self.tally.in_doubt_recovered = 0 if resend else recovered
            self.log((_("{count} message(s) were being delivered when the last run stopped: queued to send again "
                        "(--resend-in-doubt)") if resend else
                      _("{count} message(s) were being delivered when the last run stopped: recorded as in-doubt, "
                        "not resent (see `sopc status`; --resend-in-doubt sends them)")).format(count=recovered))

    def _install(self, build: pipeline.Build) -> None:
        previous = self.deployment
        self.deployment = deploy(build, previous, env=self.env, runtime=self.runtime,
                                 override=self.override_sender)
        if previous is not None and previous.pool is not self.deployment.pool:
            self._old_pools.append(previous.pool)  # deliveries in flight may still use it
        for part in (self.planner, self.worker, self.poller):
            part.deployment = self.deployment

    def reload(self) -> bool:
        """Recompile; on errors keep running the old plan and report them."""
        now = self.clock.now()
        build = pipeline.build(self.paths)
        if build.failed:
            self.report(build)
            self.log(_("the edited project has errors: still running the previous version"))
            return False
        self._install(build)
        self.planner.replan(now)
        return True

    def request_reload(self) -> None:
        """Re-read the project at the next chance (SIGHUP, a file changed)."""
        self._reload_requested = True
        self.wake()

    def wake(self) -> None:
        if self._wake is not None:
            self._wake.set()

    def take_events(self) -> int:
        """Re-plan the event-driven messages if events came in; how many came."""
        return self.planner.take_events(self.clock.now())

    def record_event(self, event: Event) -> None:
        """Record an event in this process and re-plan at once (embedding,
        tests); `sopc event` and `sopc serve` write to the store and signal."""
        self.store.add_event(event, self.clock.now())
        self.take_events()
        self.wake()

    # ---- delivering (the worker's) and confirmations (the poller's) ------------------------

    def pump(self) -> int:
        """Judge, claim and start delivering what is due now; how many messages it decided about."""
        return self.worker.pump()

    def flush(self) -> None:
        """Write the finished deliveries' outcomes (one transaction)."""
        self.worker.flush()

    async def drain_due(self) -> None:
        """Deliver everything due now and wait until it has been delivered."""
        await self.worker.drain_due()

    async def poll_confirmations(self) -> int:
        """Ask the confirming senders now; how many confirmations changed."""
        return await self.poller.poll()

    # ---- driving it ------------------------------------------------------------------------

    async def run_once(self) -> RunTally:
        """`--once`: deliver what is due now (and within grace), then stop."""
        self.take_events()
        self.planner.extend(self.clock.now())
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
            self.planner.extend(now)
            await self.drain_due()
            upcoming = [t for t in (self.store.next_due(), self.planner.refill_time()) if t is not None]
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
        self.worker.fresh_locks()
        try:
            while not stop.is_set():
                self._wake.clear()
                now = self.clock.now()
                await self._round(now)
                await _wait_any(self._wake, stop, self._sleep_seconds(now))
            await self.worker.finish()
        finally:
            await self.close()
        return self.tally

    async def _round(self, now: dt.datetime) -> None:
        """One wake of :meth:`run_forever`: reload if asked, re-plan, start what is due."""
        if self._reload_requested:
            self._reload_requested = False
            self.reload()
        self.take_events()
        self.planner.extend(now)
        self.pump()
        self.flush()
        await self.poller.poll_if_due(now)

    def _sleep_seconds(self, now: dt.datetime) -> float | None:
        if self.worker.full:
            return None  # a finished delivery wakes us
        moments = [t for t in (self.store.next_due(), self.planner.refill_time(), self.poller.next_poll)
                   if t is not None]
        if not moments:
            return 3600.0
        return min(3600.0, max(0.01, (min(moments) - now).total_seconds()))

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
