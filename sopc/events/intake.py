"""Events in: validate what an SCRM (or a person) reports, then record it.

Shared by ``sopc event`` (records from the command line or a JSONL file) and
``sopc serve`` (records POSTed by an SCRM callback). One record is one JSON
object::

    {"event": "member.joined", "group": "g1", "member": "m1", "name": "小王",
     "at": "2026-11-24T10:00:00+08:00", "data": {"channel": "扫码"}}

plus ``"tag"`` for ``member.tagged`` and ``"stage"`` for ``group.stage``.
``at`` defaults to the moment of intake; without an offset it is local time
in the project's zone.

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
import json
import math
from dataclasses import dataclass, field
from typing import Any, Collection, Mapping

from sopc.lang import ast
from sopc.core.diagnostics import did_you_mean
from sopc.core.events import Event
from sopc.events.reader import event_from_record
from sopc.core.timeutil import localize

MAX_RECORDS = 1000          # records per call (one request, one `sopc event` run)
MAX_TEXT = 256              # characters of "group", "member", "name", "tag", "stage"
MAX_DATA_KEYS = 50
MAX_DATA_KEY = 64           # characters of a key of "data"
MAX_DATA_VALUE = 1024       # characters of a value of "data" (a list or object: its JSON)
MAX_DATA = 8192             # characters of the whole of "data", as JSON

FIELDS = ("event", "group", "member", "name", "at", "data", "tag", "stage")
# An event's template context is {kind, group, member, at, name, **data}: a key
# of "data" with one of these names would silently hide the real value.
RESERVED_DATA_KEYS = ("kind", "group", "member", "at", "name")
# Derived by sopc from member.message activity (see sopc.plan.triggers); a reported
# one could never match a trigger, which always names its duration.
DERIVED_ONLY = {"member.silent": "sopc derives it from the member's `member.message` events; send those instead"}


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
                  roster_ids: Mapping | Collection[str] | None) -> IntakeResult:
    """Validate ``records`` (decoded JSON values) into events.

    ``zone``: the project's zone, for an ``at`` without an offset.
    ``now``: the ``at`` of a record without one (aware; a naive one is local in ``zone``).
    ``roster_ids``: the roster's group ids (``roster.by_id`` or a set); a record
    about any other group is ignored. None: accept every group.
    """
    if not isinstance(records, (list, tuple)):
        raise TypeError(f"records must be a list, not {type(records).__name__}")
    if len(records) > MAX_RECORDS:
        return IntakeResult(rejected=[Rejected(MAX_RECORDS, f"too many events in one call ({len(records)}); "
                                                            f"send at most {MAX_RECORDS} at a time")])
    if now.tzinfo is None:
        now = localize(now, zone)
    default_at = now.astimezone(zone).isoformat()
    result = IntakeResult()
    for index, record in enumerate(records):
        problems = _problems(record)
        if problems:
            result.rejected.extend(Rejected(index, p) for p in problems)
            continue
        if record.get("at") is None:
            record = {**record, "at": default_at}
        event, problem = event_from_record(record, zone)
        if problem or event is None:
            result.rejected.append(Rejected(index, problem or "not a valid event"))
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


# ---- the checks ------------------------------------------------------------------------------

def _problems(record: Any) -> list[str]:
    if not isinstance(record, dict):
        return [f"each event must be a JSON object, not {_json_type(record)}"]
    problems: list[str] = []
    for key in record:
        if key not in FIELDS:
            hint = did_you_mean(str(key), FIELDS)
            problems.append(f"unknown field \"{key}\"" + (f"; {hint}" if hint else "")
                            + f"; the fields are {', '.join(FIELDS)} (put your own values in \"data\")")
    kind = record.get("event")
    if "event" not in record or kind is None:
        problems.append(f"\"event\" is missing; events are {', '.join(_reportable())}")
        kind = None
    elif not isinstance(kind, str):
        problems.append(f"\"event\" must be a string such as \"member.joined\", not {_json_type(kind)}")
        kind = None
    elif kind not in ast.EVENT_KINDS:
        hint = did_you_mean(kind, _reportable())
        problems.append(f"\"event\": unknown event `{kind}`; "
                        + (hint if hint else f"events are {', '.join(_reportable())}"))
        kind = None
    elif kind in DERIVED_ONLY:
        problems.append(f"\"event\": `{kind}` is not reported: {DERIVED_ONLY[kind]}")
        kind = None

    problems += _text(record, "group", required=True, why="the id of the group (the roster's `id`)")
    member_event = kind is not None and kind.startswith("member.")
    problems += _text(record, "member", required=member_event,
                      why=f"a {kind} event needs the member's id" if member_event else "")
    problems += _text(record, "name", required=False, why="", allow_empty=True)
    problems += _argument(record, kind, "tag", "member.tagged", example="高价值")
    problems += _argument(record, kind, "stage", "group.stage", example="沉默期")

    at = record.get("at")
    if at is not None and not isinstance(at, str):
        problems.append(f"\"at\" must be an ISO 8601 time such as 2026-11-24T10:00:00+08:00 "
                        f"(or left out: now), not {_json_type(at)}")
    problems += _data_problems(record.get("data"))
    return problems


def _text(record: dict, key: str, *, required: bool, why: str, allow_empty: bool = False) -> list[str]:
    value = record.get(key)
    if value is None:
        return [f"\"{key}\" is missing: {why}"] if required else []
    if not isinstance(value, str):
        return [f"\"{key}\" must be a string, not {_json_type(value)}"]
    if not value.strip() and not allow_empty:
        return [f"\"{key}\" is empty" + (f": {why}" if why else "")]
    if len(value) > MAX_TEXT:
        return [f"\"{key}\" is {len(value)} characters long; at most {MAX_TEXT}"]
    return []


def _argument(record: dict, kind: str | None, key: str, owner: str, *, example: str) -> list[str]:
    """``tag`` belongs to member.tagged (it may also sit in ``data``), ``stage`` to group.stage."""
    present = record.get(key) is not None
    if kind is not None and kind != owner and present:
        return [f"\"{key}\" belongs to {owner} events, not to {kind}"]
    if kind != owner:
        return []
    data = record.get("data")
    if not present and isinstance(data, dict) and data.get(key) is not None:
        value = data[key]
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
            return [f"\"data\".\"{key}\" must be a non-empty string of at most {MAX_TEXT} characters"]
        return []
    return _text(record, key, required=True, why=f"a {owner} event needs its {key}, e.g. \"{key}\": \"{example}\"")


def _data_problems(data: Any) -> list[str]:
    if data is None:
        return []
    if not isinstance(data, dict):
        return [f"\"data\" must be an object, not {_json_type(data)}"]
    problems = []
    if len(data) > MAX_DATA_KEYS:
        problems.append(f"\"data\" has {len(data)} keys; at most {MAX_DATA_KEYS}")
    for key, value in data.items():
        if not isinstance(key, str) or not key or len(key) > MAX_DATA_KEY:
            problems.append(f"\"data\": a key must be a string of 1 to {MAX_DATA_KEY} characters")
            continue
        if key in RESERVED_DATA_KEYS:
            problems.append(f"\"data\".\"{key}\": `{key}` is a field of every event; give this value another name")
            continue
        problem = _value_problem(value)
        if problem:
            problems.append(f"\"data\".\"{key}\" {problem}")
    if not problems:
        try:
            size = len(json.dumps(data, ensure_ascii=False, allow_nan=False))
        except (TypeError, ValueError):  # unreachable after the checks above; stay safe
            return ["\"data\" must hold JSON values only"]
        if size > MAX_DATA:
            problems.append(f"\"data\" is {size} characters as JSON; at most {MAX_DATA}")
    return problems


def _value_problem(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return None if math.isfinite(value) else "must be a finite number"
    if isinstance(value, str):
        return None if len(value) <= MAX_DATA_VALUE else f"is {len(value)} characters long; at most {MAX_DATA_VALUE}"
    if isinstance(value, (list, dict)):
        try:
            text = json.dumps(value, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError):
            return "must hold JSON values only (finite numbers, strings, true/false, null)"
        except RecursionError:
            return "is nested too deeply"
        if len(text) > MAX_DATA_VALUE:
            return f"is {len(text)} characters as JSON; a list or object value may have at most {MAX_DATA_VALUE}"
        return None
    return f"must be a JSON value, not {type(value).__name__}"


def _reportable() -> list[str]:
    return [k for k in ast.EVENT_KINDS if k not in DERIVED_ONLY]


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"a number ({value!r})"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
