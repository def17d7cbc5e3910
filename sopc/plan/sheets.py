"""The plan as an Excel workbook (``sopc plan --format xlsx -o plan.xlsx``):
what managers open to approve a week.

One sheet per local day, named ``11-24 周二`` (``2027-01-02 周六`` for a day
in another year than the window's first), rows in time order. The columns
are the CSV's under Chinese headers, with the group's roster name beside its
id; ``--show-skipped`` adds 状态 / 原因 / 原定时间 as CSV adds ``status``,
``reason``, ``scheduled``, and greys the rows of skipped messages. The header
row is frozen and filtered, times are real Excel times.

Bounded by Excel's own limits: a day with more rows than a sheet holds
(1,048,576 with the header) goes on in ``11-24 周二 (2)``; a cell holds at
most 32,767 characters, so a longer text is cut there and ends with …
(no sender takes one that long). Text is always written as text: a message
starting with ``=`` is not a formula, and characters Excel cannot store
(control characters) become U+FFFD.
"""

from __future__ import annotations

import datetime as dt
from typing import BinaryIO, Iterable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from sopc.core.content import shown_text
from sopc.core.messages import PlannedMessage
from sopc.core.timeutil import WEEKDAY_CN
from sopc.core.reasons import shown

EXCEL_MAX_ROWS = 1_048_576      # rows of one sheet, the header included
EXCEL_MAX_CELL = 32_767         # characters of one cell
ELLIPSIS = "…"

# (header, width in characters); the CSV column each shows is in the comment
MESSAGE_COLUMNS = (
    ("时间", 8),        # at (local time; the sheet is the day)
    ("群", 20),         # group
    ("群名称", 24),     # the roster's name for it
    ("成员", 12),       # member
    ("私聊", 6),        # private
    ("玩法", 14),       # playbook
    ("步骤", 16),       # step
    ("发送方", 12),     # sender
    ("类型", 9),        # kind
    ("@提醒", 12),      # mentions
    ("内容", 60),       # text
)
FATE_COLUMNS = (("状态", 10), ("原因", 36), ("原定时间", 17))  # status, reason, scheduled
ID_COLUMN = (("消息ID", 18),)                                  # id
STATUS_CN = {"planned": "计划", "deferred": "推迟", "skipped": "跳过", "later": "推迟到窗口后"}

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_TOP = Alignment(vertical="top")
_WRAP = Alignment(vertical="top", wrap_text=True)
_SKIPPED_FONT = Font(color="808080")
_SKIPPED_FILL = PatternFill("solid", fgColor="F2F2F2")
_DEFERRED_FONT = Font(color="C65911")
_TIME_FORMAT = "hh:mm"
_MOMENT_FORMAT = "yyyy-mm-dd hh:mm"


def excel_text(value: str) -> str:
    """``value`` as a cell can hold it: characters Excel refuses replaced,
    at most :data:`EXCEL_MAX_CELL` characters."""
    value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    if len(value) > EXCEL_MAX_CELL:
        value = value[:EXCEL_MAX_CELL - 1] + ELLIPSIS
    return value


def sheet_title(day: dt.date, first_year: int) -> str:
    """``11-24 周二``; the year too when it is not the window's first year."""
    date = f"{day:%m-%d}" if day.year == first_year else day.isoformat()
    return f"{date} {WEEKDAY_CN[day.weekday()]}"


class _Book:
    """The workbook being written: the open sheet, its day and row count."""

    def __init__(self, how, fates: bool) -> None:
        self.book = Workbook(write_only=True)
        self.zone = how.zone
        self.names = how.group_names
        self.fates = fates
        self.columns = MESSAGE_COLUMNS + (FATE_COLUMNS if fates else ()) + ID_COLUMN
        self.first_year = how.window[0].astimezone(how.zone).year
        self.sheet = None
        self.day: dt.date | None = None
        self.rows = 0
        self.used: set[str] = set()

    # -- sheets --
    def sheet_for(self, day: dt.date) -> None:
        """Make the open sheet ``day``'s with room for one more row."""
        if day == self.day and self.rows < EXCEL_MAX_ROWS:
            return
        self.close_sheet()
        self.open_sheet(sheet_title(day, self.first_year))
        self.day = day

    def open_sheet(self, base: str) -> None:
        """A new sheet called ``base``, or ``base (2)`` ... when a day goes
        on in a second sheet (a full sheet, or a day seen again)."""
        title, number = base, 1
        while title in self.used:
            number += 1
            title = f"{base} ({number})"
        self.used.add(title)
        sheet = self.book.create_sheet(title)
        for index, (_, width) in enumerate(self.columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A2"
        sheet.append([self.header_cell(sheet, name) for name, _ in self.columns])
        self.sheet, self.rows = sheet, 1

    def header_cell(self, sheet, name: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font, cell.fill, cell.alignment = _HEADER_FONT, _HEADER_FILL, _TOP
        return cell

    def close_sheet(self) -> None:
        if self.sheet is None:
            return
        self.sheet.auto_filter.ref = f"A1:{get_column_letter(len(self.columns))}{self.rows}"
        self.sheet.close()  # written out now: a year of days keeps no file open per sheet
        self.sheet = None

    def finish(self, out: BinaryIO) -> None:
        if not self.used:
            self.open_sheet("计划")  # an empty plan: the header, so the columns say what would be there
        self.close_sheet()
        self.book.save(out)

    # -- rows --
    def add(self, message: PlannedMessage, local: dt.datetime, status: str = "planned",
            reason: str | None = None, scheduled: dt.datetime | None = None) -> None:
        self.sheet_for(local.date())
        sheet = self.sheet
        values: list = [local.replace(tzinfo=None), message.group, self.names.get(message.group, ""),
                        message.member or "", "是" if message.private else "", message.playbook, message.step,
                        message.sender, message.kind, " ".join(message.mentions), shown_text(message.kind, message.text or "")]
        if self.fates:
            values += [STATUS_CN.get(status, status), shown(reason),
                       scheduled.astimezone(self.zone).replace(tzinfo=None) if scheduled else ""]
        values.append(message.id)
        # Plain values where nothing is styled: a styled cell costs openpyxl ten times a plain one.
        skipped = status == "skipped"
        row = [self.cell(sheet, value) if skipped else self.value(sheet, value) for value in values]
        row[0] = self.styled(sheet, values[0], number_format=_TIME_FORMAT, dim=skipped)
        row[10] = self.styled(sheet, values[10], alignment=_WRAP, dim=skipped)
        if self.fates:
            row[13] = self.styled(sheet, values[13], number_format=_MOMENT_FORMAT, dim=skipped)
            if status not in ("planned", "skipped"):
                row[11] = self.styled(sheet, values[11], font=_DEFERRED_FONT)
        sheet.append(row)
        self.rows += 1

    def value(self, sheet, value):
        """``value`` as it can go into a row unstyled: text that Excel would
        take for a formula (``=...``) goes in a cell that says it is text."""
        if isinstance(value, str):
            value = excel_text(value)
            if value.startswith("="):
                return self.cell(sheet, value, dim=False)
        return value

    def styled(self, sheet, value, *, dim: bool, number_format: str | None = None, alignment=None, font=None):
        cell = self.cell(sheet, value, dim=dim)
        if number_format:
            cell.number_format = number_format
        if alignment is not None:
            cell.alignment = alignment
        if font is not None:
            cell.font = font
        return cell

    @staticmethod
    def cell(sheet, value, dim: bool = True) -> WriteOnlyCell:
        """A cell of its own: text always text, greyed for a skipped message."""
        if isinstance(value, str):
            cell = WriteOnlyCell(sheet, value=excel_text(value))
            cell.data_type = "s"  # text stays text: "=..." is not a formula
        else:
            cell = WriteOnlyCell(sheet, value=value)
        if dim:
            cell.font, cell.fill = _SKIPPED_FONT, _SKIPPED_FILL
        return cell


def write_xlsx(items: Iterable, out: BinaryIO, how, *, fates: bool = False) -> int:
    """Write planned messages (or, with ``fates``, :class:`~sopc.plan.simulate.Fate`
    values) as a workbook to ``out``. Returns how many messages go out in the
    window, as :func:`sopc.plan.output.write` / ``write_fates`` do."""
    book = _Book(how, fates)
    count = 0
    for item in items:
        if fates:
            message = item.message
            book.add(message, message.at.astimezone(how.zone), item.status, item.reason, item.scheduled)
            count += item.status in ("planned", "deferred")
        else:
            book.add(item, item.at.astimezone(how.zone))
            count += 1
    book.finish(out)
    return count
