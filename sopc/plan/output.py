"""Plan output: the same messages as a table for people, JSONL as the
contract for tools, and CSV for spreadsheets. Each writer streams."""

from __future__ import annotations

import csv
import datetime as dt
from typing import Callable, Iterable, Iterator, TextIO, TypeVar

from sopc.core.messages import PlannedMessage
from sopc.core.timeutil import WEEKDAY_CN

T = TypeVar("T")

CSV_COLUMNS = ("id", "at", "playbook", "step", "group", "member", "sender", "kind", "mentions", "text")


def _with_at(messages: Iterable[PlannedMessage], convert: Callable[[dt.datetime], T]
             ) -> Iterator[tuple[PlannedMessage, T]]:
    """Each message with ``convert(message.at)``. The messages of one slot
    (one step for up to thousands of groups) share one ``at`` object, so it is
    converted once per slot. By identity, not equality: equal instants in
    other zones format differently."""
    last, converted = None, None
    for message in messages:
        if message.at is not last:
            last, converted = message.at, convert(message.at)
        yield message, converted


def write_jsonl(messages: Iterable[PlannedMessage], out: TextIO) -> int:
    """One ``json.dumps(message.to_dict(), ensure_ascii=False, separators=(",", ":"))``
    line per message (built by :meth:`PlannedMessage.to_json`, which is faster)."""
    count = 0
    for message, at_text in _with_at(messages, dt.datetime.isoformat):
        out.write(message.to_json(at_text) + "\n")
        count += 1
    return count


def write_csv(messages: Iterable[PlannedMessage], out: TextIO) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for m, at_text in _with_at(messages, dt.datetime.isoformat):
        writer.writerow((m.id, at_text, m.playbook, m.step, m.group, m.member or "", m.sender, m.kind,
                         " ".join(m.mentions), m.text))
        count += 1
    return count


def write_table(messages: Iterable[PlannedMessage], out: TextIO, zone) -> int:
    """Grouped by day (with the Chinese weekday), one block per message."""
    count, day = 0, None
    for m, local in _with_at(messages, lambda at: at.astimezone(zone)):
        if local.date() != day:
            day = local.date()
            out.write(("\n" if count else "") + f"{day} {WEEKDAY_CN[day.weekday()]}\n")
        target = m.group + (f" → {m.member}" if m.member else "")
        mentions = "".join(f" @{x}" for x in m.mentions)
        out.write(f"  {local:%H:%M}  {target}  {m.playbook}/{m.step}  [{m.kind} via {m.sender}]{mentions}\n")
        for line in (m.text or "").splitlines() or [""]:
            out.write(f"         {line}\n")
        count += 1
    out.write(("\n" if count else "") + f"{count} message{'s' if count != 1 else ''}\n")
    return count


def write(messages: Iterable[PlannedMessage], out: TextIO, fmt: str, zone) -> int:
    """``fmt`` is ``table`` (times in ``zone``), ``jsonl`` or ``csv``."""
    if fmt == "jsonl":
        return write_jsonl(messages, out)
    if fmt == "csv":
        return write_csv(messages, out)
    if fmt == "table":
        return write_table(messages, out, zone)
    raise ValueError(f"no plan format `{fmt}`; formats: table, jsonl, csv")
