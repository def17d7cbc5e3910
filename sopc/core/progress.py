"""How far a long piece of work is, told to whoever shows it.

The library reports progress through a :class:`Progress` it is handed (a
year of plan for 5,000 groups takes minutes); the command line hands it one
that draws a bar on a terminal, everything else the silent :data:`QUIET`.
The library never draws anything itself and never imports click: it only
says what it is doing (``stage``) and how far it got (``advance_to``).
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")


class Progress:
    """Told the stages of a piece of work and how far each is; shows
    nothing (subclass it to show something). A stage has a ``total`` in
    whatever unit suits it (files, events, minutes of a plan's window)."""

    def begin(self, label: str, total: int) -> None:
        """A stage starts: ``label`` says what it does, ``total`` units to go."""

    def advance_to(self, done: int, note: str = "") -> None:
        """``done`` units of the stage are done; ``note`` says where (a day, a file)."""

    def end(self) -> None:
        """The stage is over (also when it failed): whatever showed it goes."""

    def make_room(self) -> None:
        """A line is about to be written where the progress shows (a log
        line): take it out of the way; the next ``advance_to`` shows it again."""

    @contextmanager
    def stage(self, label: str, total: int) -> Iterator[Callable[..., None]]:
        """``with progress.stage(label, total) as advance_to: ...``"""
        self.begin(label, total)
        try:
            yield self.advance_to
        finally:
            self.end()


QUIET = Progress()


def counted(progress: Progress, label: str, items: Iterable[T], total: int,
            size: Callable[[T], int] = lambda item: 1) -> Iterator[T]:
    """``items``, telling ``progress`` how many (by ``size`` each) of ``total`` were taken."""
    if progress is QUIET:
        yield from items
        return
    done = 0
    with progress.stage(label, total) as advance_to:
        for item in items:
            yield item
            done += size(item)
            advance_to(done)


def through_time(progress: Progress, label: str, items: Iterable[T], start: dt.datetime, end: dt.datetime,
                 at: Callable[[T], dt.datetime]) -> Iterator[T]:
    """``items`` in time order, telling ``progress`` how far through the
    window [start, end) their times ``at(item)`` are, in minutes, with the
    day as the note. Told once per time, not per item (a slot's thousand
    messages share one)."""
    if progress is QUIET:
        yield from items
        return
    total = max(int((end - start).total_seconds() // 60), 1)
    last = None
    with progress.stage(label, total) as advance_to:
        for item in items:
            moment = at(item)
            if moment != last:
                last = moment
                minutes = int((moment - start).total_seconds() // 60)
                advance_to(min(max(minutes, 0), total), f"{moment:%Y-%m-%d}")
            yield item
        advance_to(total)
