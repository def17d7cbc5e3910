"""Time, injected: everything that asks "what time is it?" asks a Clock, so
tests (and `--now`) control it and nothing sleeps for real minutes."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from sopc.core.i18n import _
from sopc.core.timeutil import localize, range_problem


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc)


class FixedClock:
    """A clock that moves only when told to."""

    def __init__(self, moment: dt.datetime):
        self.moment = moment

    def now(self) -> dt.datetime:
        return self.moment

    def advance(self, delta: dt.timedelta) -> None:
        self.moment += delta


def parse_now(text: str | None, zone) -> dt.datetime:
    """`2026-11-23`, `2026-11-23T09:30` (local in `zone`) or with an offset.
    Raises ValueError, saying why, for text that is not one, or a time
    outside the dates sopc plans (:func:`~sopc.core.timeutil.range_problem`)."""
    if not text:
        return SystemClock().now()
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(_("`{text}` is not a date or time; write e.g. 2026-11-23 or 2026-11-23T09:30").format(
            text=text)) from None
    problem = range_problem(moment)
    if problem:
        raise ValueError(problem)
    return moment if moment.tzinfo else localize(moment, zone)
