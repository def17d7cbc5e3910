"""Plan output: the same messages as a table for people, JSONL as the
contract for tools, and CSV for spreadsheets. Each writer streams."""

from __future__ import annotations

import csv
from typing import Iterable, TextIO

from sopc.plan import PlannedMessage
from sopc.timeutil import WEEKDAY_CN

CSV_COLUMNS = ("id", "at", "playbook", "step", "group", "member", "sender", "kind", "mentions", "text")


def write_jsonl(messages: Iterable[PlannedMessage], out: TextIO) -> int:
    """One ``json.dumps(message.to_dict(), ensure_ascii=False, separators=(",", ":"))``
    line per message (built by :meth:`PlannedMessage.to_json`, which is faster)."""
    count = 0
    last_at, at_text = None, ""
    for message in messages:
        if message.at is not last_at:  # one slot's messages share their `at` object: format it once
            last_at, at_text = message.at, message.at.isoformat()
        out.write(message.to_json(at_text) + "\n")
        count += 1
    return count


def write_csv(messages: Iterable[PlannedMessage], out: TextIO) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for m in messages:
        writer.writerow((m.id, m.at.isoformat(), m.playbook, m.step, m.group, m.member or "", m.sender, m.kind,
                         " ".join(m.mentions), m.text))
        count += 1
    return count


def write_table(messages: Iterable[PlannedMessage], out: TextIO, zone) -> int:
    """Grouped by day (with the Chinese weekday), one block per message."""
    count, day = 0, None
    for m in messages:
        local = m.at.astimezone(zone)
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
