"""Plan output: the same messages as a table for people, JSONL as the
contract for tools, CSV for spreadsheets and tools, and (in modules beside
this one) an Excel workbook (:mod:`sopc.plan.sheets`), an iCalendar file
(:mod:`sopc.plan.ics`) and a web page (:mod:`sopc.plan.html`). Each writer
but the page streams (the page holds one entry per step and moment, bounded).

:func:`export` writes any format as UTF-8 bytes (a CSV file starts with a
byte-order mark unless told not to: Excel on Chinese Windows reads a CSV
without one as GBK and shows garbage).

``--show-skipped`` (:func:`write_fates`): every message the gate decides
about, with its status (``planned``, ``deferred``, ``skipped``, or ``later``:
deferred past the end of the window), the gate's reason, and when it was
scheduled: JSONL and CSV add the fields ``status``, ``reason``,
``scheduled``; the table adds a line under each message the gate moved or
skipped.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import field
from types import MappingProxyType
from typing import BinaryIO, Callable, Iterable, Iterator, Mapping, TextIO, TypeVar

from sopc.compile.resolve import Program
from sopc.core import content
from sopc.core.i18n import _, ngettext
from sopc.core.messages import PlannedMessage
from sopc.core.reasons import deferral_detail, shown
from sopc.core.records import dataclass
from sopc.core.timeutil import WEEKDAY_CN
from sopc.plan.simulate import Fate

T = TypeVar("T")

# `private`: `yes` for a 1:1 message to `member` (`to member`), empty for a post in `group`
CSV_COLUMNS = ("id", "at", "playbook", "step", "group", "member", "private", "sender", "kind", "mentions", "text")
FATE_COLUMNS = ("status", "reason", "scheduled")

TEXT_FORMATS = ("table", "jsonl", "csv")
FORMATS = (*TEXT_FORMATS, "ics", "xlsx", "html")
BINARY_FORMATS = ("xlsx",)   # not for a terminal
# The page always shows what was left out (it has a status filter): what the gate
# skipped or deferred, and what `on holidays skip` skipped.
ALWAYS_FATES = ("html",)
BOM = "\ufeff"


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanFile:
    """What a plan file needs beyond its messages."""

    zone: dt.tzinfo                          # local times: table rows, sheet days, calendar events
    window: tuple[dt.datetime, dt.datetime]  # the planned [start, end): the calendar's time zone covers it
    bom: bool = True                         # csv: start with a UTF-8 byte-order mark (for Excel)
    group_names: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # id -> roster name
    stamp: dt.datetime | None = None         # when the plan was made (the calendar's DTSTAMP)
    title: str = ""                          # the project's name (the calendar's name)
    program: Program | None = None           # html: step sources, group tags, quiet hours, holidays


def export(items: Iterable, out: BinaryIO, fmt: str, how: PlanFile, *, fates: bool = False) -> int:
    """Write ``items`` (planned messages, or with ``fates`` the gate's
    decisions: ``--show-skipped``) as ``fmt`` to a binary stream, text in
    UTF-8 whatever the terminal's encoding. Returns what :func:`write`
    (or :func:`write_fates`) returns."""
    if fmt == "xlsx":
        from sopc.plan.sheets import write_xlsx

        return write_xlsx(items, out, how, fates=fates)
    if fmt == "ics":
        from sopc.plan.ics import write_ics

        return write_ics(items, out, how, fates=fates)
    if fmt == "html":
        from sopc.plan.html import write_html

        return write_html(items, out, how, fates=fates)
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    try:
        if fmt == "csv" and how.bom:
            text.write(BOM)
        count = (write_fates if fates else write)(items, text, fmt, how.zone)
        text.flush()
    finally:
        text.detach()  # the caller's stream stays open
    return count


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
        writer.writerow(_csv_row(m, at_text))
        count += 1
    return count


def _csv_row(m: PlannedMessage, at_text: str) -> tuple:
    return (m.id, at_text, m.playbook, m.step, m.group, m.member or "", "yes" if m.private else "", m.sender,
            m.kind, " ".join(m.mentions), m.text)


def write_table(messages: Iterable[PlannedMessage], out: TextIO, zone) -> int:
    """Grouped by day (with the Chinese weekday), one block per message."""
    count, day = 0, None
    for m, local in _with_at(messages, lambda at: at.astimezone(zone)):
        day = _table_message(out, m, local, day, count)
        count += 1
    out.write(("\n" if count else "") + ngettext("{count} message", "{count} messages", count).format(count=count) + "\n")
    return count


def _table_message(out: TextIO, m: PlannedMessage, local: dt.datetime, day: dt.date | None, count: int,
                   mark: str = "") -> dt.date:
    """One message's block (after its day's heading if the day changes); the day."""
    if local.date() != day:
        day = local.date()
        out.write(("\n" if count else "") + f"{day} {WEEKDAY_CN[day.weekday()]}\n")
    target = _target(m)
    mentions = "".join(f" @{x}" for x in m.mentions)
    via = _("[{kind} via {sender}]").format(kind=m.kind, sender=m.sender)
    out.write(f"  {local:%H:%M}  {target}  {m.playbook}/{m.step}  {via}{mentions}{mark}\n")
    shown = content.summary(m.kind, m.text) if m.text else None
    for line in (shown if shown is not None else m.text or "").splitlines() or [""]:
        out.write(f"         {line}\n")
    return day


def _target(m: PlannedMessage) -> str:
    """``g1``, ``g1 → m1`` (a post in g1 about m1), or ``1:1 → m1 (g1)``: a
    private message to m1, a member of g1, not posted in the group."""
    if m.private:
        return f"1:1 → {m.member} ({m.group})"
    return m.group + (f" → {m.member}" if m.member else "")


def write(messages: Iterable[PlannedMessage], out: TextIO, fmt: str, zone) -> int:
    """``fmt`` is ``table`` (times in ``zone``), ``jsonl`` or ``csv``."""
    if fmt == "jsonl":
        return write_jsonl(messages, out)
    if fmt == "csv":
        return write_csv(messages, out)
    if fmt == "table":
        return write_table(messages, out, zone)
    raise ValueError(f"no plan format `{fmt}`; formats: table, jsonl, csv")


# ---- --show-skipped: the gate's decisions too ---------------------------------------------

def write_fates(fates: Iterable[Fate], out: TextIO, fmt: str, zone) -> int:
    """Like :func:`write`, for every message the gate decides about; returns
    how many go out in the window (planned or deferred)."""
    if fmt == "jsonl":
        return _count_sent(_jsonl_fate(fate, out) for fate in fates)
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS + FATE_COLUMNS)
        return _count_sent(_csv_fate(fate, writer) for fate in fates)
    if fmt == "table":
        return _table_fates(fates, out, zone)
    raise ValueError(f"no plan format `{fmt}`; formats: table, jsonl, csv")


def _count_sent(written: Iterable[Fate]) -> int:
    return sum(1 for fate in written if fate.status in ("planned", "deferred"))


def _jsonl_fate(fate: Fate, out: TextIO) -> Fate:
    extra = {"status": fate.status, "reason": fate.reason, "scheduled": fate.scheduled.isoformat()}
    line = fate.message.to_json()
    out.write(line[:-1] + "," + json.dumps(extra, ensure_ascii=False, separators=(",", ":"))[1:] + "\n")
    return fate


def _csv_fate(fate: Fate, writer) -> Fate:
    writer.writerow(_csv_row(fate.message, fate.message.at.isoformat())
                    + (fate.status, fate.reason or "", fate.scheduled.isoformat()))
    return fate


def _table_fates(fates: Iterable[Fate], out: TextIO, zone) -> int:
    tally = {"planned": 0, "deferred": 0, "skipped": 0, "later": 0}
    day, blocks = None, 0
    for fate in fates:
        m, status = fate.message, fate.status
        local = m.at.astimezone(zone)
        day = _table_message(out, m, local, day, blocks, mark="  " + _("SKIPPED") if status == "skipped" else "")
        if status != "planned":
            out.write(f"         {_why(fate, local, zone)}\n")
        tally[status] += 1
        blocks += 1
    sent = tally["planned"] + tally["deferred"]
    out.write(("\n" if blocks else "") + ngettext("{count} message ({deferred} deferred); {skipped} skipped",
                                                 "{count} messages ({deferred} deferred); {skipped} skipped", sent).format(
        count=sent, deferred=tally["deferred"], skipped=tally["skipped"])
              + (_(", {count} deferred past the window").format(count=tally["later"]) if tally["later"] else "") + "\n")
    return sent


def _why(fate: Fate, local: dt.datetime, zone) -> str:
    """The line under a message the gate moved or skipped."""
    if fate.status == "skipped":
        return _("skipped: {reason}").format(reason=shown(fate.reason))
    scheduled = fate.scheduled.astimezone(zone)
    when = f"{scheduled:%H:%M}" if scheduled.date() == local.date() else f"{scheduled:%m-%d %H:%M}"
    return (_("deferred from {when}: {reason}").format(when=when, reason=deferral_detail(fate.reason))
            + (_(" (after the window)") if fate.status == "later" else ""))
