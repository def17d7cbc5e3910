"""The one event reader: every record that enters sopc (a JSONL file for
`sopc check/plan --events`, `sopc event` and its `--file`, a POST to `sopc
serve`) passes the same strict validation here and becomes an
:class:`~sopc.core.events.Event`, or is refused with reasons naming the field.

One record is one JSON object::

    {"event": "member.joined", "group": "g1", "member": "m1", "name": "小王",
     "at": "2026-11-24T10:00:00+08:00", "data": {"channel": "扫码"}}

plus ``"tag"`` for ``member.tagged`` and ``"stage"`` for ``group.stage``, and
an optional ``"id"``: the sender's own id of the event (text, at most 256
characters), which ``sopc serve`` records once however often it is sent.
``at`` without an offset is local time in the project's zone. Given the
project's stages, a ``group.stage`` event must name one of them (a typo would
be recorded and start nothing).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from pathlib import Path
from typing import Any, Collection, Iterator, Sequence

from sopc.core.diagnostics import Diagnostic, Span, did_you_mean, error
from sopc.core.i18n import N_, _
from sopc.core.events import Event
from sopc.core.limits import MAX_DIGITS, MAX_EVENT_LINE, MAX_EVENTS_FILE_BYTES, MAX_NESTING, size_text
from sopc.core.timeutil import load_zone, localize, range_problem
from sopc.lang import ast

MAX_TEXT = 256              # characters of "id", "group", "member", "name", "tag", "stage"
MAX_DATA_KEYS = 50
MAX_DATA_KEY = 64           # characters of a key of "data"
MAX_DATA_VALUE = 1024       # characters of a value of "data" (a list or object: its JSON)
MAX_DATA = 8192             # characters of the whole of "data", as JSON

FIELDS = ("event", "group", "member", "name", "at", "data", "tag", "stage", "id")
# An event's template context is {kind, group, member, at, name, **data}: a key
# of "data" with one of these names would silently hide the real value.
RESERVED_DATA_KEYS = ("kind", "group", "member", "at", "name")
# Derived by sopc from member.message activity (see sopc.plan.triggers); a reported
# one could never match a trigger, which always names its duration.
DERIVED_ONLY = {"member.silent": N_("sopc derives it from the member's `member.message` events; send those instead")}
EXAMPLE = N_('write e.g. {"event": "member.joined", "group": "g1", "member": "m1", '
             '"at": "2026-11-24T10:00:00+08:00"}')


def read_event(record: Any, zone: dt.tzinfo, *, default_at: dt.datetime | None = None,
               stages: Collection[str] | None = None) -> tuple[Event | None, list[str]]:
    """One decoded JSON value -> an Event, or every problem with it.
    ``default_at``: the time of a record without ``at`` (None: ``at`` is required).
    ``stages``: the project's stage names (None: any stage is taken)."""
    problems = _problems(record)
    if not problems and stages is not None:
        problems = _stage_problems(record, stages)
    if problems:
        return None, problems
    at_text = record.get("at")
    if at_text is None and default_at is None:
        return None, [_('"at" is missing: when it happened, e.g. 2026-11-24T10:00:00+08:00')]
    at, problem = (default_at, None) if at_text is None else _parse_at(at_text, zone)
    if at is None:
        return None, [problem]
    kind, data = record["event"], record.get("data") or {}
    argument = record.get("tag") or data.get("tag") if kind == "member.tagged" else record.get("stage")
    return Event(kind=kind, group=record["group"], member=record.get("member"), at=at,
                 name=record.get("name"), data=data, argument=argument), []


def read_jsonl(text: str) -> Iterator[tuple[int, Any, str | None]]:
    """(line number, decoded value or None, problem or None) for every line
    that is not blank or a ``#`` comment. Lines end at ``\\n`` only: a JSON
    string may hold U+2028 and the like, which ``splitlines`` would cut at."""
    for number, line in enumerate(_lines(text), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        value, problem = decode_json(line)
        yield number, value, problem


def _lines(text: str) -> list[str]:
    return [line.removesuffix("\r") for line in text.split("\n")]


def decode_json(text: str) -> tuple[Any, str | None]:
    """One event record's JSON text -> (value, None), or (None, why not).

    Bounded before anything big is built: at most :data:`MAX_EVENT_LINE`
    characters, arrays and objects at most :data:`MAX_NESTING` deep, whole
    numbers of at most :data:`MAX_DIGITS` digits (Python's own limit, 4,300
    digits, would end in a traceback; the JSON parser's recursion, in a
    RecursionError)."""
    if len(text) > MAX_EVENT_LINE:
        return None, _("a record is {size} characters long; at most {limit}").format(size=len(text), limit=MAX_EVENT_LINE)
    depth = _json_depth(text)
    if depth > MAX_NESTING:
        return None, _("not a JSON object: nested {depth} deep; at most {limit}").format(depth=depth, limit=MAX_NESTING)
    try:
        if text.startswith("\ufeff"):  # what json.loads says of it (the decoder alone would not)
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        return _DECODER.decode(text), None
    except json.JSONDecodeError as exc:
        return None, _("not a JSON object: {error} (column {column})").format(error=exc.msg, column=exc.colno)
    except _TooManyDigits as exc:
        return None, _("not a JSON object: {error}").format(error=exc)
    except (ValueError, RecursionError):  # unreachable after the bounds above; stay safe
        return None, _("not a JSON object: a value beyond sopc's limits")


class _TooManyDigits(ValueError):
    pass


def _bounded_int(text: str) -> int:
    digits = len(text) - text.startswith("-")
    if digits > MAX_DIGITS:
        raise _TooManyDigits(_("a number has {digits} digits; at most {limit}").format(digits=digits, limit=MAX_DIGITS))
    return int(text)


# Built once: json.loads(text, parse_int=...) builds a decoder for every call
# (a third of the time of decoding a record).
_DECODER = json.JSONDecoder(parse_int=_bounded_int)


_STRING_BODY = re.compile(r'(?:[^"\\]|\\.)*')  # what follows a string's opening quote, up to its end
_BRACKETS = re.compile(r"[\[\]{}]")


def _json_depth(text: str) -> int:
    """How deep arrays and objects nest in ``text`` (brackets inside strings
    do not count). Cheap for the usual record: counted only when the line
    has more opening brackets than the limit."""
    if text.count("[") + text.count("{") <= MAX_NESTING:
        return 0
    depth = deepest = 0
    for char in _BRACKETS.findall(_without_strings(text)):
        depth += 1 if char in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _without_strings(text: str) -> str:
    """``text`` without its closed JSON strings (as ``re.sub`` of
    ``"(?:[^"\\]|\\.)*"`` makes it, in linear time: that pattern retried
    from every quote after one never closed, 19 s for a 64 KB line of
    escaped quotes)."""
    pieces, kept_from, search_from = [], 0, 0
    while (start := text.find('"', search_from)) >= 0:
        stop = _STRING_BODY.match(text, start + 1).end()
        if stop < len(text) and text[stop] == '"':
            pieces.append(text[kept_from:start])
            kept_from = search_from = stop + 1
        else:  # never closed: neither is a string from any quote before `stop` (each is an escaped one)
            search_from = max(stop, start + 1)
    pieces.append(text[kept_from:])
    return "".join(pieces)


def read_events_file(path: Path) -> tuple[str | None, str | None, tuple[int, int] | None]:
    """An events file's text, or (None, why not, the line and column it is
    at: None for the file as a whole). It must be UTF-8 (a BOM is dropped): a byte that
    is not is refused where it is, never replaced (a replaced member id would
    be recorded wrong and start nothing)."""
    try:
        size = path.stat().st_size
        if size > MAX_EVENTS_FILE_BYTES:
            return None, _("the file is {size} bytes; an events file may have at most {limit}").format(
                size=size, limit=size_text(MAX_EVENTS_FILE_BYTES)), None
        data = path.read_bytes()
    except OSError as exc:
        return None, _("cannot read the events file: {error}").format(error=exc.strerror or exc), None
    try:
        return data.decode("utf-8-sig"), None, None
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[line_start:exc.start].decode("utf-8", errors="replace")) + 1
        where = (data.count(b"\n", 0, exc.start) + 1, column)
        return None, _("not UTF-8 text: byte {byte} (save the file as UTF-8)").format(byte=f"{data[exc.start]:#04x}"), where


def load_events(path: Path, zone_name: str, shown: str | None = None, *,
                stages: Collection[str] | None = None) -> tuple[list[Event], list[Diagnostic]]:
    """Every event of a JSONL file, in time order, and a located diagnostic
    for each line that is not a valid event (the others are still read).
    ``stages``: as for :func:`read_event`."""
    shown = shown or str(path)
    text, problem, where = read_events_file(path)
    if text is None:
        return [], [error("E0701", problem, Span.point(shown, *where) if where else Span.point(shown))]
    zone = load_zone(zone_name)
    lines = _lines(text)
    events: list[Event] = []
    diagnostics: list[Diagnostic] = []
    for number, record, problem in read_jsonl(text):
        event, problems = (None, [problem]) if problem else read_event(record, zone, stages=stages)
        if event is not None:
            events.append(event)
            continue
        span = Span(path=shown, line=number, column=1, end_line=number, end_column=len(lines[number - 1]) + 1)
        diagnostics.append(error("E0702", _("; ").join(problems), span, _(EXAMPLE)))
    return sorted(events, key=lambda e: e.at), diagnostics


def record_from_options(kind: str, *, group: str | None = None, member: str | None = None,
                        name: str | None = None, at: dt.datetime | None = None, tag: str | None = None,
                        stage: str | None = None, data: Sequence[str] = ()) -> dict:
    """The record `sopc event KIND --group ... --data k=v` stands for.
    Raises ValueError for a ``--data`` item that is not KEY=VALUE."""
    record: dict = {"event": kind, "group": group, "member": member, "name": name, "tag": tag, "stage": stage,
                    "at": at.isoformat() if at else None}
    extra = {}
    for item in data:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(_("`{item}` is not KEY=VALUE").format(item=item))
        extra[key] = _scalar(value)
    if extra:
        record["data"] = extra
    return {k: v for k, v in record.items() if v is not None}


def _scalar(text: str):
    """`--data amount=19.9` is a number, `--data vip=true` a boolean, else text."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, (int, float, bool)) else text


def _parse_at(text: str, zone) -> tuple[dt.datetime | None, str | None]:
    """The time ``at`` says, or None and why not: not ISO 8601, or outside
    the dates sopc plans (judged before any arithmetic, which would
    overflow near year 1 or 9999)."""
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None, _('"at" must be an ISO 8601 time such as 2026-11-24T10:00:00+08:00, not {text}').format(text=repr(text))
    problem = range_problem(moment)
    if problem:
        return None, _('"at": {problem}').format(problem=problem)
    return (moment if moment.tzinfo else localize(moment, zone)), None


# ---- the checks ------------------------------------------------------------------------------

def _problems(record: Any) -> list[str]:
    if not isinstance(record, dict):
        return [_("each event must be a JSON object, not {found}").format(found=_json_type(record))]
    broken = _lone_surrogate(record)
    if broken:  # alone: every other message would echo text that cannot be printed or stored
        return [broken]
    problems: list[str] = []
    for key in record:
        if key not in FIELDS:
            hint = did_you_mean(str(key), FIELDS)
            fields = ", ".join(FIELDS)
            if hint:
                problems.append(_('unknown field "{key}"; {hint}; the fields are {fields} (put your own values in '
                                  '"data")').format(key=key, hint=hint, fields=fields))
            else:
                problems.append(_('unknown field "{key}"; the fields are {fields} (put your own values in "data")').format(
                    key=key, fields=fields))
    kind = record.get("event")
    if "event" not in record or kind is None:
        problems.append(_('"event" is missing; events are {events}').format(events=", ".join(_reportable())))
        kind = None
    elif not isinstance(kind, str):
        problems.append(_('"event" must be a string such as "member.joined", not {found}').format(found=_json_type(kind)))
        kind = None
    elif kind not in ast.EVENT_KINDS:
        hint = did_you_mean(kind, _reportable()) or _("events are {events}").format(events=", ".join(_reportable()))
        problems.append(_('"event": unknown event `{event}`; {hint}').format(event=kind, hint=hint))
        kind = None
    elif kind in DERIVED_ONLY:
        problems.append(_('"event": `{event}` is not reported: {why}').format(event=kind, why=_(DERIVED_ONLY[kind])))
        kind = None

    problems += _text(record, "group", required=True, why=_("the id of the group (the roster's `id`)"))
    member_event = kind is not None and kind.startswith("member.")
    problems += _text(record, "member", required=member_event,
                      why=_("a {event} event needs the member's id").format(event=kind) if member_event else "")
    problems += _text(record, "name", required=False, why="", allow_empty=True)
    problems += _text(record, "id", required=False, why="")
    problems += _argument(record, kind, "tag", "member.tagged", example="高价值")
    problems += _argument(record, kind, "stage", "group.stage", example="沉默期")

    at = record.get("at")
    if at is not None and not isinstance(at, str):
        problems.append(_('"at" must be an ISO 8601 time such as 2026-11-24T10:00:00+08:00 (or left out: now), '
                          'not {found}').format(found=_json_type(at)))
    problems += _data_problems(record.get("data"))
    return problems


def _lone_surrogate(record: dict) -> str | None:
    """JSON may spell half of a UTF-16 pair ("\\ud800"), and a command line
    may carry bytes that are not UTF-8: Python holds either as a lone
    surrogate, which no UTF-8 file, terminal or SQLite database can take."""
    for key, value in record.items():
        where = f"\"{key}\"" if _surrogate_in(key) is None else _("a field name")
        bad = _surrogate_in(key) or _first_surrogate(value)
        if bad:
            return _("{where} holds {char}, half of a UTF-16 pair (a lone surrogate): not a character; "
                     "send text as UTF-8, or both halves of the pair").format(where=where, char=f"\\u{ord(bad):04x}")
    return None


def _first_surrogate(value: Any) -> str | None:
    stack = [value]
    while stack:  # without recursion: `data` may nest (bounded, but deep enough to matter)
        item = stack.pop()
        if isinstance(item, str):
            bad = _surrogate_in(item)
            if bad:
                return bad
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def _surrogate_in(text: Any) -> str | None:
    if not isinstance(text, str) or text.isascii():
        return None
    match = _SURROGATE.search(text)
    return match.group() if match else None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _stage_problems(record: dict, stages: Collection[str]) -> list[str]:
    """A group.stage event names a stage the project's `stages` block declares."""
    if record.get("event") != "group.stage":
        return []
    stage = record.get("stage") or (record.get("data") or {}).get("stage")
    if stage in stages:
        return []
    if not stages:
        return [_('"stage": `{stage}` is not a stage of this project: it declares no stages (a `stages` block)').format(
            stage=stage)]
    hint = did_you_mean(stage, stages) or _("the stages are {stages}").format(stages=", ".join(stages))
    return [_('"stage": `{stage}` is not a stage of this project; {hint}').format(stage=stage, hint=hint)]


def _text(record: dict, key: str, *, required: bool, why: str, allow_empty: bool = False) -> list[str]:
    value = record.get(key)
    if value is None:
        return [_('"{key}" is missing: {why}').format(key=key, why=why)] if required else []
    if not isinstance(value, str):
        return [_('"{key}" must be a string, not {found}').format(key=key, found=_json_type(value))]
    if not value.strip() and not allow_empty:
        if why:
            return [_('"{key}" is empty: {why}').format(key=key, why=why)]
        return [_('"{key}" is empty').format(key=key)]
    if len(value) > MAX_TEXT:
        return [_('"{key}" is {size} characters long; at most {limit}').format(key=key, size=len(value), limit=MAX_TEXT)]
    return []


def _argument(record: dict, kind: str | None, key: str, owner: str, *, example: str) -> list[str]:
    """``tag`` belongs to member.tagged (it may also sit in ``data``), ``stage`` to group.stage."""
    present = record.get(key) is not None
    if kind is not None and kind != owner and present:
        return [_('"{key}" belongs to {owner} events, not to {event}').format(key=key, owner=owner, event=kind)]
    if kind != owner:
        return []
    data = record.get("data")
    if not present and isinstance(data, dict) and data.get(key) is not None:
        value = data[key]
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
            return [_('"data"."{key}" must be a non-empty string of at most {limit} characters').format(
                key=key, limit=MAX_TEXT)]
        return []
    return _text(record, key, required=True, why=_('a {owner} event needs its {key}, e.g. "{key}": "{example}"').format(
        owner=owner, key=key, example=example))


def _data_problems(data: Any) -> list[str]:
    if data is None:
        return []
    if not isinstance(data, dict):
        return [_('"data" must be an object, not {found}').format(found=_json_type(data))]
    problems = []
    if len(data) > MAX_DATA_KEYS:
        problems.append(_('"data" has {count} keys; at most {limit}').format(count=len(data), limit=MAX_DATA_KEYS))
    for key, value in data.items():
        if not isinstance(key, str) or not key or len(key) > MAX_DATA_KEY:
            problems.append(_('"data": a key must be a string of 1 to {limit} characters').format(limit=MAX_DATA_KEY))
            continue
        if key in RESERVED_DATA_KEYS:
            problems.append(_('"data"."{key}": `{key}` is a field of every event; give this value another name').format(
                key=key))
            continue
        problem = _value_problem(value)
        if problem:
            problems.append(_('"data"."{key}" {problem}').format(key=key, problem=problem))
    if not problems:
        try:
            size = len(json.dumps(data, ensure_ascii=False, allow_nan=False))
        except (TypeError, ValueError):  # unreachable after the checks above; stay safe
            return [_('"data" must hold JSON values only')]
        if size > MAX_DATA:
            problems.append(_('"data" is {size} characters as JSON; at most {limit}').format(size=size, limit=MAX_DATA))
    return problems


def _value_problem(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return _number_problem(value)
    if isinstance(value, str):
        return None if len(value) <= MAX_DATA_VALUE else _("is {size} characters long; at most {limit}").format(
            size=len(value), limit=MAX_DATA_VALUE)
    if isinstance(value, (list, dict)):
        problem = _nested_problem(value)
        if problem:
            return problem
        try:
            text = json.dumps(value, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError):
            return _("must hold JSON values only (finite numbers, strings, true/false, null)")
        except RecursionError:
            return _("is nested too deeply")
        if len(text) > MAX_DATA_VALUE:
            return _("is {size} characters as JSON; a list or object value may have at most {limit}").format(
                size=len(text), limit=MAX_DATA_VALUE)
        return None
    return _("must be a JSON value, not {found}").format(found=type(value).__name__)


def _number_problem(value: int | float) -> str | None:
    if isinstance(value, int):
        # Compared, not printed: str() of a number over 4,300 digits raises.
        return None if -_DIGITS_BOUND < value < _DIGITS_BOUND else _("has more than {limit} digits").format(limit=MAX_DIGITS)
    return None if math.isfinite(value) else _("must be a finite number")


_DIGITS_BOUND = 10 ** MAX_DIGITS


def _nested_problem(value: list | dict) -> str | None:
    """Deeper than :data:`MAX_NESTING`, or a number beyond the limits,
    anywhere inside a list or object value (walked without recursion: a
    record another reader built, as `sopc serve` does, may nest deeply)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_NESTING:
            return _("is nested more than {limit} deep").format(limit=MAX_NESTING)
        children = item.values() if isinstance(item, dict) else item
        for child in children:
            if isinstance(child, (list, dict)):
                stack.append((child, depth + 1))
            elif isinstance(child, (int, float)) and not isinstance(child, bool):
                problem = _number_problem(child)
                if problem:
                    return _("holds a number that {problem}").format(problem=problem)
    return None


def _reportable() -> list[str]:
    return [k for k in ast.EVENT_KINDS if k not in DERIVED_ONLY]


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return _("true/false")
    if isinstance(value, (int, float)):
        return _("a number ({value})").format(value=repr(value))
    if isinstance(value, str):
        return _("a string")
    if isinstance(value, (list, tuple)):
        return _("an array")
    if isinstance(value, dict):
        return _("an object")
    return type(value).__name__
