"""Pacing sends per bot, so vendors never see more than they allow.

Every vendor limit here is "at most N sends in any T seconds" per bot or
webhook (WeCom robot 20/min, DingTalk 20/min -- and over it the robot is
blocked for 10 minutes --, Feishu 5/s and 100/min, Slack about 1/s). A token
bucket lets a full bucket's burst plus the refill through inside one window
(20 at once, then one every 3 s, is 39 in the first minute), so the limiter
keeps a sliding log of send times per key and waits until every window has
room: exact, and small (it remembers at most the longest window's sends).

A send is timestamped when its reply comes back, not when it starts: the
vendor counted it somewhere in between, so the next send one window after
the reply is surely outside the vendor's window. Sends still in flight count
as happening now; when they alone fill a window the next send waits for one
of them to finish. Use ``async with limiter.slot(key): ...`` around a post.

Feishu also asks custom bots to keep off the top and half of the hour (its
guide names 10:00 and 17:30 as peaks that draw error 11232).
:class:`PeakAvoidance` pushes a send that would land in the first ``span``
seconds after such a mark to just past it, plus a little jitter so many
senders do not all land together; ``period`` and ``marks`` are settings.

Clock, wall clock, sleep and randomness are injected: tests never wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from bisect import bisect_right, insort
from typing import AsyncIterator, Awaitable, Callable

from sopc.core.records import dataclass
from sopc.senders.base import SenderLimits, SenderRuntime


@dataclass(frozen=True, slots=True)
class Window:
    """At most ``limit`` sends in any ``seconds``."""

    limit: int
    seconds: float


@dataclass(frozen=True, slots=True, kw_only=True)
class PeakAvoidance:
    period: float = 3600.0
    marks: tuple[float, ...] = (0.0, 1800.0)
    span: float = 15.0
    jitter: float = 5.0

    def delay(self, wall: float, random: float) -> float:
        """Seconds to wait so a send at ``wall`` clears every peak mark."""
        offset = wall % self.period
        for mark in self.marks:
            into = (offset - mark) % self.period
            if into < self.span:
                return self.span - into + random * self.jitter
        return 0.0


class WaitTooLong(Exception):
    """Pacing would hold this send longer than the caller allows."""

    def __init__(self, delay: float) -> None:
        super().__init__(f"rate limit: next send possible in {delay:.1f}s")
        self.delay = delay


def windows_for(limits: SenderLimits) -> tuple[Window, ...]:
    windows = []
    if limits.per_second:
        windows.append(Window(limits.per_second, 1.0))
    if limits.per_minute:
        windows.append(Window(limits.per_minute, 60.0))
    return tuple(windows)


class RateLimiter:
    """Sliding-window pacing per key (one key per bot or webhook)."""

    def __init__(
        self,
        windows: tuple[Window, ...],
        *,
        monotonic: Callable[[], float],
        wallclock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
        random: Callable[[], float],
        peaks: PeakAvoidance | None = None,
    ) -> None:
        self.windows = windows
        self.peaks = peaks
        self._monotonic, self._wallclock, self._sleep, self._random = monotonic, wallclock, sleep, random
        self._done: dict[str, list[float]] = {}
        self._in_flight: dict[str, int] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._settled: dict[str, asyncio.Event] = {}
        self._horizon = max((w.seconds for w in windows), default=0.0)

    @classmethod
    def for_limits(cls, limits: SenderLimits, runtime: SenderRuntime, peaks: PeakAvoidance | None = None) -> "RateLimiter":
        return cls(
            windows_for(limits),
            monotonic=runtime.monotonic,
            wallclock=runtime.wallclock,
            sleep=runtime.sleep,
            random=runtime.random,
            peaks=peaks,
        )

    @contextlib.asynccontextmanager
    async def slot(self, key: str, *, max_wait: float = math.inf) -> AsyncIterator[float]:
        """Hold a send slot on ``key`` for the duration of one post."""
        waited = await self.acquire(key, max_wait=max_wait)
        try:
            yield waited
        finally:
            self.settle(key)

    async def acquire(self, key: str, *, max_wait: float = math.inf) -> float:
        """Wait for room and mark a send in flight; return the seconds slept.
        Raise :class:`WaitTooLong` (taking nothing) if sleeping would exceed
        ``max_wait``. Every acquire must be followed by :meth:`settle`."""
        async with self._locks.setdefault(key, asyncio.Lock()):
            waited = 0.0
            while (delay := self.delay(key)) != 0.0:
                if delay is None:
                    await self._wait_for_settle(key)
                    continue
                if waited + delay > max_wait:
                    raise WaitTooLong(delay)
                await self._sleep(delay)
                waited += delay
            self._in_flight[key] = self._in_flight.get(key, 0) + 1
            return waited

    def settle(self, key: str) -> None:
        """A send on ``key`` got its reply (or gave up): count it from now."""
        self._in_flight[key] -= 1
        insort(self._done.setdefault(key, []), self._monotonic())
        self._settled.setdefault(key, asyncio.Event()).set()

    def delay(self, key: str) -> float | None:
        """Seconds until ``key`` has room (0.0 now); None when sends in flight
        alone fill a window, so only one of them finishing can make room."""
        now = self._monotonic()
        done, in_flight = self._prune(key, now), self._in_flight.get(key, 0)
        delays = [self._delay_in(window, done, in_flight, now) for window in self.windows]
        if None in delays:
            return None
        return max([*delays, self.peak_delay()])

    def peak_delay(self) -> float:
        return self.peaks.delay(self._wallclock(), self._random()) if self.peaks else 0.0

    async def _wait_for_settle(self, key: str) -> None:
        event = self._settled.setdefault(key, asyncio.Event())
        event.clear()
        await event.wait()

    def _prune(self, key: str, now: float) -> list[float]:
        done = self._done.get(key, [])
        keep_from = bisect_right(done, now - self._horizon)
        if keep_from:
            del done[:keep_from]
        return done

    @staticmethod
    def _delay_in(window: Window, done: list[float], in_flight: int, now: float) -> float | None:
        recent = done[bisect_right(done, now - window.seconds):]
        excess = len(recent) + in_flight - window.limit + 1
        if excess <= 0:
            return 0.0
        if excess > len(recent):
            return None
        return recent[excess - 1] + window.seconds - now
