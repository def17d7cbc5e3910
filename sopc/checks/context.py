"""What every check is given and what it must be: the protocol a check
plugin implements, apart from the registry that finds them."""

from __future__ import annotations

import datetime as dt
from dataclasses import field
from typing import Iterable, Protocol

from sopc.compile.resolve import Program
from sopc.core.diagnostics import Diagnostic
from sopc.core.progress import QUIET, Progress
from sopc.core.records import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckContext:
    now: dt.datetime                # the injected clock's reading
    start: dt.datetime              # the plan window the cadence checks evaluate
    end: dt.datetime
    events: tuple = field(default=())
    progress: Progress = QUIET      # how far a long check is (the cadence checks' walk of the plan)


class Check(Protocol):
    def __call__(self, program: Program, context: CheckContext) -> Iterable[Diagnostic]: ...
