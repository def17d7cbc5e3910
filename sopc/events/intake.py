"""Events in: validate what an SCRM (or a person) reports, then record it.

Shared by ``sopc event`` (records from the command line or a JSONL file) and
``sopc serve`` (records POSTed by an SCRM callback). Each record is read by
:func:`sopc.events.reader.read_event`, the one reader; ``at`` defaults to the
moment of intake.

Every record ends in one of three lists:

- ``recorded``  valid, about a group of the roster: record it
- ``ignored``   valid, but about a group the roster does not have (an SCRM
                reports every group of the company, not only ours): not an error
- ``rejected``  invalid, each problem with the record's index and a message
                naming the field

Callers that want "all or nothing" (``sopc serve`` does) record nothing when
anything was rejected: :func:`parse_records` never touches a store.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Collection, Mapping

from sopc.core.diagnostics import did_you_mean
from sopc.core.events import Event
from sopc.core.timeutil import localize
from sopc.events.reader import read_event

MAX_RECORDS = 1000          # records per call (one request, one `sopc event` run)
@dataclass(frozen=True, slots=True)
class Rejected:
    """Record ``index`` (0-based, in the order given) is invalid: ``message`` says why."""

    index: int
    message: str


@dataclass(frozen=True, slots=True)
class IntakeResult:
    recorded: list[Event] = field(default_factory=list)
    ignored: list[tuple[int, str]] = field(default_factory=list)     # (index, reason)
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.rejected


def parse_records(records: list[dict], *, zone: dt.tzinfo, now: dt.datetime,
                  roster_ids: Mapping | Collection[str] | None,
                  stages: Collection[str] | None = None) -> IntakeResult:
    """Validate ``records`` (decoded JSON values) into events.

    ``zone``: the project's zone, for an ``at`` without an offset.
    ``now``: the ``at`` of a record without one (aware; a naive one is local in ``zone``).
    ``roster_ids``: the roster's group ids (``roster.by_id`` or a set); a record
    about any other group is ignored. None: accept every group.
    ``stages``: the project's stage names; a group.stage event naming another
    is rejected (a typo would start nothing). None: any stage.
    """
    if not isinstance(records, (list, tuple)):
        raise TypeError(f"records must be a list, not {type(records).__name__}")
    if len(records) > MAX_RECORDS:
        return IntakeResult(rejected=[Rejected(MAX_RECORDS, f"too many events in one call ({len(records)}); "
                                                            f"send at most {MAX_RECORDS} at a time")])
    if now.tzinfo is None:
        now = localize(now, zone)
    result = IntakeResult()
    for index, record in enumerate(records):
        event, problems = read_event(record, zone, default_at=now.astimezone(zone), stages=stages)
        if event is None:
            result.rejected.extend(Rejected(index, p) for p in problems)
            continue
        if roster_ids is not None and event.group not in roster_ids:
            reason = f"group `{event.group}` is not in the roster"
            hint = did_you_mean(event.group, roster_ids)
            result.ignored.append((index, f"{reason}; {hint}" if hint else reason))
            continue
        result.recorded.append(event)
    return result


def record(store, result: IntakeResult, now: dt.datetime) -> None:
    """Add ``result.recorded`` to ``store`` in order. The caller decides what
    a rejection means (``sopc serve``: record nothing) and holds any lock the
    store needs. One ``add_event`` (one transaction) per event: only a failing
    disk can stop it half-way."""
    for event in result.recorded:
        store.add_event(event, now)
