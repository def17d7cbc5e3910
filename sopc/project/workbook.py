"""Reading a roster from an Excel workbook (``.xlsx``, as the 企业微信 admin
console and most SCRMs export group lists): the rows of its first sheet, each
cell as the text a CSV export of it would hold. :mod:`sopc.project.roster`
reads those rows with the same reader as a CSV file's.

Bounded before and while it is read (README, Limits): the file is at most
64 MiB like any roster (checked by the roster loader), unpacked at most
:data:`~sopc.core.limits.MAX_WORKBOOK_UNPACKED` (a small zip can unpack to
gigabytes), at most :data:`~sopc.core.limits.MAX_COLUMNS` columns and Excel's
1,048,576 rows are read, a cell holds at most 32,767 characters (Excel's own
limit). A file that is not a workbook, or a broken one, is
:class:`WorkbookError` with what to do, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import io
import warnings
import zipfile
from typing import Iterator

from sopc.core.i18n import N_, _
from sopc.core.limits import MAX_COLUMNS, MAX_WORKBOOK_UNPACKED, size_text

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_CELL = 32_767
SAVE_AGAIN = N_("open it in Excel or WPS and save it again as an Excel workbook (.xlsx), or as CSV UTF-8")


class WorkbookError(Exception):
    """The workbook cannot be read: ``message`` says why, ``hint`` what to
    do; ``code`` is E0616 (unreadable) or E0619 (beyond sopc's limits)."""

    def __init__(self, message: str, hint: str = SAVE_AGAIN, row: int | None = None, code: str = "E0616") -> None:
        super().__init__(message)
        self.message, self.hint, self.row, self.code = message, _(hint), row, code


class Sheet:
    """The first sheet of a workbook: its name, and its rows as text (the
    first row is 1, as Excel numbers them; empty rows are empty lists)."""

    def __init__(self, data: bytes, name: str) -> None:
        self.name = name
        _check_archive(data, name)
        self._book = _open(data, name)
        sheets = self._book.worksheets
        if not sheets:
            raise WorkbookError(_("{file} has no sheet").format(file=name))
        self._sheet = sheets[0]
        self.title: str = self._sheet.title
        self._sheet.reset_dimensions()  # a file's stated size is not trusted: rows end where their cells do

    def rows(self) -> Iterator[tuple[int, tuple]]:
        """``(row number, values)``: at most ``MAX_COLUMNS + 1`` values (one
        more than a roster may have, so a wider header shows), raw as
        openpyxl reads them; :func:`cell_text` makes each text."""
        number = 0
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # openpyxl's notes on styles it skips are not the operator's concern
                for number, values in enumerate(self._sheet.iter_rows(max_row=EXCEL_MAX_ROWS, max_col=MAX_COLUMNS + 1,
                                                                      values_only=True), start=1):
                    yield number, values
        except WorkbookError:
            raise
        except Exception as exc:  # noqa: BLE001 -- a broken sheet fails in many ways inside openpyxl; each is said
            raise WorkbookError(_("cannot read sheet `{sheet}` of {file} after row {row}: {error}").format(
                sheet=self.title, file=self.name, row=number, error=_why(exc)),
                                row=number + 1) from None
        finally:
            self.close()

    def close(self) -> None:
        self._book.close()


def _check_archive(data: bytes, name: str) -> None:
    """A zip whose parts unpack to at most MAX_WORKBOOK_UNPACKED (zipfile
    stops reading a part at its stated size, so the sizes bound the work)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise WorkbookError(_("{file} is not an Excel workbook (.xlsx): {error}").format(file=name, error=_why(exc))) from None
    if unpacked > MAX_WORKBOOK_UNPACKED:
        raise WorkbookError(_("{file} unpacks to {size} bytes; a roster workbook may unpack to at most {limit}").format(
                                file=name, size=unpacked, limit=size_text(MAX_WORKBOOK_UNPACKED)),
                            hint=N_("keep only the group list in it (one sheet), or save it as CSV UTF-8"), code="E0619")


def _open(data: bytes, name: str):
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # noqa: BLE001 -- zip, XML and openpyxl's own errors alike: all mean "not readable"
        raise WorkbookError(_("cannot read {file} as an Excel workbook: {error}").format(file=name, error=_why(exc))) from None


def _why(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 200 else text[:199] + "…"


def cell_text(value) -> str:
    """A cell's value as the text a CSV export of it holds: whole numbers
    without ``.0`` (an id typed as a number), dates as ``2024-03-01`` (with
    `` 10:00:00`` when they have a time), true/false for TRUE/FALSE."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)
