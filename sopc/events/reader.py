"""The event reader: JSON records (a JSONL file, `sopc event`, `sopc serve`)
-> :class:`~sopc.core.events.Event` values, or a located reason."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sopc.core.diagnostics import Diagnostic, Span, error
from sopc.core.events import Event
from sopc.core.timeutil import load_zone, localize
from sopc.lang import ast


def load_events(path: Path, zone_name: str, shown: str | None = None) -> tuple[list[Event], list[Diagnostic]]:
    """One JSON object per line: {"event", "group", "member", "name"?, "at", "data"?}.
    `at` is ISO 8601; without an offset it is local time in the project zone."""
    shown = shown or str(path)
    events: list[Event] = []
    diagnostics: list[Diagnostic] = []
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        return [], [error("E0701", f"cannot read the events file: {exc}", Span.point(shown))]
    zone = load_zone(zone_name)
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        event, problem = parse_event(line, zone)
        if problem:
            diagnostics.append(error("E0702", problem, Span(path=shown, line=number, column=1, end_line=number,
                                                             end_column=len(line) + 1),
                                     'write e.g. {"event": "member.joined", "group": "g1", "member": "m1", '
                                     '"at": "2026-11-24T10:00:00+08:00"}'))
        else:
            events.append(event)
    return sorted(events, key=lambda e: e.at), diagnostics


def parse_event(line: str, zone) -> tuple[Event | None, str | None]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, f"not a JSON object: {exc.msg} (column {exc.colno})"
    if not isinstance(record, dict):
        return None, "each line must be a JSON object"
    return event_from_record(record, zone)


def event_from_record(record: dict, zone) -> tuple[Event | None, str | None]:
    kind, group, at_text = record.get("event"), record.get("group"), record.get("at")
    if kind not in ast.EVENT_KINDS:
        return None, f"unknown event {kind!r}; events are {', '.join(ast.EVENT_KINDS)}"
    if not isinstance(group, str) or not group:
        return None, "the event has no \"group\""
    member = record.get("member")
    if kind.startswith("member.") and not isinstance(member, str):
        return None, f"a {kind} event needs a \"member\""
    at = _parse_at(at_text, zone)
    if at is None:
        return None, f"\"at\" must be an ISO 8601 time such as 2026-11-24T10:00:00+08:00, not {at_text!r}"
    data = record.get("data") or {}
    if not isinstance(data, dict):
        return None, "\"data\" must be an object"
    argument = record.get("tag") or data.get("tag") if kind == "member.tagged" else record.get("stage")
    return Event(kind=kind, group=group, member=member, at=at, name=record.get("name"), data=data,
                 argument=argument), None


def _parse_at(text, zone) -> dt.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else localize(moment, zone)
