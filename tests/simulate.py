"""Drive a real Runner on a real SQLite file with a fake clock.

``Sim(root, start)`` builds a runner for the project at ``root``; ``until(t)``
moves the clock from due time to due time up to ``t``; ``tick(t, events)``
moves it minute by minute up to ``t``, recording each event when the clock
reaches its time, as `sopc event` would; ``restart(at)``
throws the runner away (as a crash or a stop would) and starts a new one on
the same state file. Messages land in a recording sender unless one is given
(``sender=False``: the project's own senders, built from sopc.toml and ``env``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from sopc.core.clock import FixedClock
from sopc.core.events import Event
from sopc.run.runner import RunOptions, Runner
from sopc.senders.base import DeliveryResult, OutgoingMessage, UNLIMITED, sent
from sopc.run.store import SQLiteStore

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(text: str) -> dt.datetime:
    """`2026-11-23T10:00` in Asia/Shanghai."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


class RecordingSender:
    """Accepts everything (or answers from ``script``, by "step@group" or
    step) and
    remembers what it was given, in order."""

    kind = "recording"
    limits = UNLIMITED

    def __init__(self, script: dict[str, list[DeliveryResult]] | None = None):
        self.name = "recording"
        self.delivered: list[OutgoingMessage] = []
        self.attempts: list[OutgoingMessage] = []
        self.script = script or {}
        self.clock: FixedClock | None = None
        self.times: list[dt.datetime] = []

    async def deliver(self, message: OutgoingMessage) -> DeliveryResult:
        self.attempts.append(message)
        answers = self.script.get(f"{message.step}@{message.group}") or self.script.get(message.step)
        result = answers.pop(0) if answers else sent()
        if result.status == "sent":
            self.delivered.append(message)
            if self.clock is not None:
                self.times.append(self.clock.now())
        return result

    async def aclose(self) -> None:
        return None

    def steps(self) -> list[tuple[str, str]]:
        return [(m.step, m.group) for m in self.delivered]


class Sim:
    def __init__(self, root: Path, start: dt.datetime, *, sender=None, options: RunOptions | None = None,
                 env: dict | None = None, log: list | None = None):
        self.root = root
        self.clock = FixedClock(start)
        self.store = SQLiteStore(root / ".sopc" / "state.db")
        self.sender = sender if sender is not None else RecordingSender()
        if isinstance(self.sender, RecordingSender):
            self.sender.clock = self.clock
        self.options = options or RunOptions()
        self.env = env or {}
        self.lines: list[str] = log if log is not None else []
        self.runner = self._runner()

    def _runner(self) -> Runner:
        return Runner([self.root], self.store, self.clock, env=self.env, options=self.options,
                      log=self.lines.append, override_sender=self.sender or None)

    def set_time(self, moment: dt.datetime) -> None:
        self.clock.moment = moment

    def start(self) -> "Sim":
        self.runner.start()
        return self

    def until(self, moment: dt.datetime) -> None:
        asyncio.run(self.runner.run_until(moment, self.set_time))

    def tick(self, moment: dt.datetime, events=(), step: dt.timedelta = dt.timedelta(minutes=1)) -> None:
        """Minute by minute up to ``moment``: at each minute record the events
        of that minute, then deliver what is due (what a runner woken every
        minute does)."""
        asyncio.run(self._tick(moment, sorted(events, key=lambda e: e.at), step))

    async def _tick(self, end: dt.datetime, events: list, step: dt.timedelta) -> None:
        now = self.clock.now()
        while now < end:
            self.set_time(now)
            while events and events[0].at <= now:
                self.runner.store.add_event(events.pop(0), now)
            self.runner.take_events()
            self.runner.planner.extend(now)
            await self.runner.drain_due()
            now += step
        self.set_time(end)

    def restart(self, at: dt.datetime, **options) -> None:
        """A new runner on the same state, as after a stop or a crash."""
        if options:
            self.options = dataclasses.replace(self.options, **options)
        self.set_time(at)
        self.runner = self._runner()
        self.runner.start()

    def event(self, kind: str, group: str, member: str | None, at: dt.datetime, name: str | None = None,
              **extra) -> None:
        self.runner.record_event(Event(kind=kind, group=group, member=member, at=at, name=name, **extra))

    def states(self) -> dict[tuple[str, str], tuple[str, str | None]]:
        """(step, group) -> (state, reason) for every stored message (last wins)."""
        return {(m.step, m.group): (m.state, m.reason) for m in self.store.messages()}

    def by_state(self, state: str) -> list:
        return list(self.store.messages((state,)))
