"""Roster: the project-loading stage that reads the list of customer groups.

The roster is what the brand's SCRM exports: one row per WeChat / 企业微信 /
Feishu / DingTalk group, thousands of rows. It comes as CSV (UTF-8 with or
without BOM, or GBK/GB18030 as Chinese Excel saves it; comma- or
tab-separated) or as TOML (``[[groups]]`` tables). :meth:`Roster.select`
evaluates a playbook's audience against it.

It may also be an Excel workbook (``.xlsx``: the 企业微信 admin console's
export, or any sheet saved by Excel or WPS): its first sheet is read as a CSV
file is, by the same reader (:class:`_Table`), so the same rows give the same
groups and the same diagnostics, located at ``groups.xlsx[sheet]:row:column``
(:mod:`sopc.project.workbook` turns cells into text).

Columns are matched case-insensitively, ignoring spaces, ``_`` and ``-``;
Chinese headers work too::

    id       群ID 群编号 客户群ID 群聊ID chat_id
    name     群名 群名称 群聊名称 客户群名称
    tags     标签 群标签 客户群标签  sender   发送方
    address  bot 机器人              external 外部群 是否外部群
    owner    群主                    created  建群日期 建群时间 创建日期 创建时间

Every other column becomes a per-group variable under its header text
(``store``, ``city``, ``门店``). Tags split on ``; ； , ， | ｜ 、`` and
whitespace. ``external`` takes true/false, 1/0, yes/no, y/n, 是/否 (empty =
false); ``created`` takes 2024-03-01, 2024/3/1 (Excel's reformatting) and
ignores a trailing time.

Codes: E0610 file missing, E0611 no id column, E0612 empty id, E0613
duplicate id, E0614 bad value, W0615 row with the wrong number of cells,
E0616 unreadable file (a broken workbook too), E0617 unsupported file type,
E0619 a file beyond sopc's limits (over 64 MiB, over 1,000 columns; a
workbook unpacking to over 256 MiB or a cell over 32,767 characters; in
TOML, nested over 32 deep or a number over 30 digits), E0620 a header naming one column twice; a TOML
roster also uses E0601 (syntax) and W0602 (unknown key) like ``sopc.toml``.
``created`` lies in the dates sopc plans (2000-01-01 to 2099-12-31).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Iterable, Mapping, Sequence

from sopc.core.records import dataclass
from sopc.lang import ast
from sopc.project.config import TomlLocator, decode_toml, load_toml, size_error, toml_type_name
from sopc.core.diagnostics import Diagnostic, Span, did_you_mean, error, warning
from sopc.core.i18n import N_, _
from sopc.core.fs import is_dir, is_file
from sopc.core.limits import MAX_CELL_CHARS, MAX_COLUMNS, MAX_ROSTER_BYTES
from sopc.core.timeutil import range_problem

__all__ = ["Group", "Roster", "load_roster", "split_tags", "COLUMN_ALIASES"]

_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True, kw_only=True)
class Group:
    """One customer group."""

    id: str
    name: str = ""
    tags: frozenset[str] = frozenset()
    variables: Mapping[str, str] = field(default_factory=lambda: _EMPTY, hash=False)
    sender: str | None = None       # sender name from sopc.toml; None = the playbook's / default
    address: str | None = None      # which bot / webhook / chat within that sender
    external: bool = False          # has WeChat users: a bot cannot post there
    owner: str | None = None        # staff member responsible
    created: dt.date | None = None
    span: Span                      # the CSV row or TOML table it came from


class Roster:
    """The groups of a project, in file order, with lookup and selection."""

    __slots__ = ("groups", "by_id", "tags", "sources", "_sorted", "_by_tag")

    def __init__(self, groups: Iterable[Group] = (), sources: Mapping[str, str] | None = None) -> None:
        self.groups: tuple[Group, ...] = tuple(groups)
        by_id: dict[str, Group] = {}
        for group in self.groups:
            by_id.setdefault(group.id, group)
        self.by_id: Mapping[str, Group] = MappingProxyType(by_id)
        self.tags: frozenset[str] = frozenset().union(*(g.tags for g in self.groups))
        # Decoded text of each file, keyed like Span.path, for rendering snippets.
        self.sources: Mapping[str, str] = MappingProxyType(dict(sources or {}))
        self._sorted: tuple[Group, ...] | None = None
        self._by_tag: dict[str, frozenset[int]] | None = None

    def __len__(self) -> int:
        return len(self.groups)

    def __repr__(self) -> str:
        return f"Roster({len(self.groups)} groups, {len(self.tags)} tags)"

    def select(self, audience: ast.Audience) -> tuple[Group, ...]:
        """The groups an audience reaches, sorted by id. Ids not in the
        roster are simply absent (a checker reports them). A tag expression
        is set algebra over a tag index built once, so selecting for many
        playbooks costs what they select, not playbooks x groups."""
        if isinstance(audience, ast.AllGroups):
            return self._sorted_groups()
        if isinstance(audience, ast.GroupIds):
            wanted = dict.fromkeys(name.value for name in audience.ids)
            return tuple(sorted((self.by_id[i] for i in wanted if i in self.by_id), key=_by_id))
        if isinstance(audience, ast.GroupsTagged):
            ordered = self._sorted_groups()
            return tuple(ordered[i] for i in sorted(self._positions(audience.expr)))
        raise TypeError(f"not an audience: {type(audience).__name__}")

    def matches(self, expr: ast.TagExpr, group: Group) -> bool:
        """Whether ``group``'s tags satisfy a tag expression (exact match)."""
        if isinstance(expr, ast.TagIs):
            return expr.tag.value in group.tags
        if isinstance(expr, ast.TagNot):
            return not self.matches(expr.operand, group)
        if isinstance(expr, ast.TagAnd):
            return all(self.matches(term, group) for term in expr.operands)
        if isinstance(expr, ast.TagOr):
            return any(self.matches(term, group) for term in expr.operands)
        raise TypeError(f"not a tag expression: {type(expr).__name__}")

    def _sorted_groups(self) -> tuple[Group, ...]:
        if self._sorted is None:
            self._sorted = tuple(sorted(self.groups, key=_by_id))
        return self._sorted

    def _positions(self, expr: ast.TagExpr) -> frozenset[int]:
        """Positions (in id order) of the groups ``expr`` holds for."""
        if isinstance(expr, ast.TagIs):
            return self._tag_index().get(expr.tag.value, frozenset())
        if isinstance(expr, ast.TagNot):
            return frozenset(range(len(self.groups))) - self._positions(expr.operand)
        if isinstance(expr, ast.TagAnd):
            return frozenset.intersection(*(self._positions(term) for term in expr.operands))
        if isinstance(expr, ast.TagOr):
            return frozenset().union(*(self._positions(term) for term in expr.operands))
        raise TypeError(f"not a tag expression: {type(expr).__name__}")

    def _tag_index(self) -> dict[str, frozenset[int]]:
        if self._by_tag is None:
            index: dict[str, set[int]] = {}
            for position, group in enumerate(self._sorted_groups()):
                for tag in group.tags:
                    index.setdefault(tag, set()).add(position)
            self._by_tag = {tag: frozenset(positions) for tag, positions in index.items()}
        return self._by_tag


def _by_id(group: Group) -> str:
    return group.id


# ---- shared value parsing --------------------------------------------------------

_TAG_SEPARATORS = tuple(";；,，|｜、")  # and any whitespace
_DATE_RE = re.compile(r"^\s*([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})(?:[ T][0-9:.]*)?\s*$")
_BOOLEANS = {
    "true": True, "1": True, "yes": True, "y": True, "是": True,
    "false": False, "0": False, "no": False, "n": False, "否": False, "": False,
}


def split_tags(text: str, known: dict[frozenset[str], frozenset[str]] | None = None) -> frozenset[str]:
    """``"VIP；华东, 门店"`` -> {"VIP", "华东", "门店"}. With ``known``, rows with
    the same tags share one set: a set and its strings are ~400 bytes a row,
    and a roster of 50,000 groups holds a few hundred different ones."""
    if known is not None:
        tags = split_tags(text)
        return known.setdefault(tags, tags)
    # str.replace + str.split beats a regex split several times over, and
    # this runs once per roster row.
    for separator in _TAG_SEPARATORS:
        if separator in text:
            text = text.replace(separator, " ")
    return frozenset(text.split())


def _date_problem(day: dt.date | None) -> str | None:
    """Why a ``created`` date cannot be planned with (its stage ages), or None."""
    return None if day is None else range_problem(day)


def _parse_date(text: str) -> dt.date | None | bool:
    """A date, None for empty text, False when malformed."""
    if not text.strip():
        return None
    if len(text) == 10:
        try:
            return dt.date.fromisoformat(text)  # the common case, fast
        except ValueError:
            pass
    match = _DATE_RE.match(text)
    if not match:
        return False
    try:
        return dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        return False


# ---- loading ---------------------------------------------------------------------

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
SHEET_SUFFIXES = (".xlsx",)
ROSTER_SUFFIXES = (*CSV_SUFFIXES, *SHEET_SUFFIXES, ".toml")


class _Sink:
    """What the file loaders add to: groups, diagnostics, sources, and the
    ids seen so far (a duplicate across files is a duplicate too)."""

    def __init__(self) -> None:
        self.groups: list[Group] = []
        self.diagnostics: list[Diagnostic] = []
        self.sources: dict[str, str] = {}
        self.seen: dict[str, Group] = {}
        self.tag_sets: dict[frozenset[str], frozenset[str]] = {}  # one set of tags, shared by its rows

    def add(self, group: Group, id_span: Callable[[], Span]) -> None:
        first = self.seen.get(group.id)
        if first is None:
            self.seen[group.id] = group
            self.groups.append(group)
            return
        if first.span.path != group.span.path:
            message = _("duplicate group id `{group}` (first used on line {line} of {file})")
        else:
            message = _("duplicate group id `{group}` (first used on line {line})")
        self.diagnostics.append(error(
            "E0613", message.format(group=group.id, line=first.span.line, file=first.span.path), id_span(),
            hint=_("every group needs its own id; delete or merge one of the rows")))


def load_roster(paths: Sequence[Path], project_dir: Path) -> tuple[Roster, list[Diagnostic]]:
    """Read every roster file, in order. Paths are opened as given (the
    paths in :class:`sopc.project.config.Config` already include the project folder);
    ``project_dir`` is where a missing file's did-you-mean looks."""
    sink = _Sink()
    for path in paths:
        _load_file(Path(path), project_dir, sink)
    return Roster(sink.groups, sink.sources), sink.diagnostics


def _load_file(path: Path, project_dir: Path, sink: _Sink) -> None:
    if not is_file(path):  # also a name the system refuses (too long)
        sink.diagnostics.append(_missing(path, project_dir))
        return
    suffix = path.suffix.lower()
    if suffix not in ROSTER_SUFFIXES:
        sink.diagnostics.append(error(
            "E0617", _("roster `{path}` is not a .csv, .xlsx or .toml file").format(path=path), Span.point(str(path)),
            hint=_("in Excel or WPS use File > Save As > Excel Workbook (.xlsx) or CSV UTF-8 (comma delimited)")))
        return
    too_big = size_error(path, MAX_ROSTER_BYTES, N_("a roster file"))
    if too_big is not None:
        sink.diagnostics.append(too_big)
        return
    try:
        data = path.read_bytes()
    except OSError as exc:
        sink.diagnostics.append(error("E0616", _("cannot read roster `{path}`: {error}").format(
            path=path, error=exc.strerror or exc), Span.point(str(path))))
        return
    if suffix == ".toml":
        _load_toml(path, data, sink)
    elif suffix in SHEET_SUFFIXES:
        _load_sheet(path, data, sink)
    else:
        _load_csv(path, data, sink)


def _missing(path: Path, project_dir: Path) -> Diagnostic:
    if is_dir(path):
        return error("E0610", _("roster `{path}` is a folder, not a file").format(path=path),
                     hint=_('set `roster = "groups.csv"` (or a list of files) in sopc.toml'))
    nearby = []
    if project_dir.is_dir():
        nearby = [p.name for p in project_dir.iterdir()
                  if p.suffix.lower() in ROSTER_SUFFIXES and p.name != "sopc.toml"]
    hint = did_you_mean(path.name, nearby) if nearby else None
    return error("E0610", _("roster file `{path}` not found").format(path=path), hint=hint or _(
        "export the group list from your SCRM as CSV and save it as groups.csv in the project "
        'folder, or set `roster = "your-file.csv"` in sopc.toml'))


def _decode(data: bytes) -> str | None:
    """UTF-16 with BOM, UTF-8 (BOM dropped), else GB18030 (a superset of GBK)."""
    encodings = ("utf-16",) if data.startswith((b"\xff\xfe", b"\xfe\xff")) else ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


# ---- CSV -----------------------------------------------------------------------

# The 企业微信 admin console's customer-group export (客户联系 > 客户群 > 导出) and the
# API's field names (chat_id, group chat name) are here beside sopc's own; 群人数,
# 所属部门 and the other columns of that export become variables like any column.
COLUMN_ALIASES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "id": ("id", "groupid", "群id", "群编号", "客户群id", "群聊id", "chatid"),
    "name": ("name", "groupname", "群名", "群名称", "群聊名称", "客户群名称", "客户群名", "群聊名"),
    "tags": ("tags", "tag", "标签", "群标签", "客户群标签"),
    "sender": ("sender", "发送方"),
    "address": ("address", "bot", "机器人"),
    "external": ("external", "外部群", "是否外部群"),
    "owner": ("owner", "群主"),
    "created": ("created", "建群日期", "创建日期", "创建时间", "建群时间"),
})
_ALIAS_TO_FIELD = {alias: name for name, aliases in COLUMN_ALIASES.items() for alias in aliases}
_HEADER_NOISE_RE = re.compile(r"[\s_\-]+")


def _normalise_header(text: str) -> str:
    return _HEADER_NOISE_RE.sub("", text).casefold()


@dataclass(frozen=True, slots=True)
class _Columns:
    """Where each known field and each variable sits in a row. A field the
    header lacks points at index ``width``: the empty cell :meth:`_CsvFile.row`
    appends to every row, so reading a row needs no branches."""

    fields: Mapping[str, int]
    variables: tuple[tuple[int, str], ...]
    width: int
    # (index, header text, index of the column it repeats): read from the first
    repeated: tuple[tuple[int, str, int], ...] = ()

    @classmethod
    def from_header(cls, cells: list[str]) -> "_Columns":
        fields: dict[str, int] = {}
        variables: dict[str, int] = {}
        repeated: list[tuple[int, str, int]] = []
        for index, cell in enumerate(cells):
            text = cell.strip().lstrip("\ufeff")
            if not text:
                continue  # Excel's trailing empty columns
            known = _ALIAS_TO_FIELD.get(_normalise_header(text))
            if known:
                if known in fields:
                    repeated.append((index, text, fields[known]))
                else:
                    fields[known] = index
            elif text in variables:
                repeated.append((index, text, variables[text]))
            else:
                variables[text] = index
        return cls(fields, tuple((i, name) for name, i in variables.items()), len(cells), tuple(repeated))

    def __getitem__(self, name: str) -> int:
        return self.fields.get(name, self.width)

    def indices(self) -> tuple[int, ...]:
        """Positions of the known fields, in :data:`COLUMN_ALIASES` order."""
        return tuple(self[name] for name in COLUMN_ALIASES)


class _Table:
    """One table of rows being read as a roster: a CSV file or a sheet of a
    workbook. Everything about rows (the header, ids, values, padding, the
    diagnostics) is here, once; a subclass says where a row and a cell are
    (:meth:`row_span`, :meth:`cell_span`) and feeds rows to :meth:`take`."""

    name: str                  # the file as messages name it
    # W0615's help: why a row's cells may not line up with the header
    cells_hint = N_("missing cells are read as empty, extra cells are ignored; "
                    "a cell containing the delimiter must be wrapped in double quotes")

    def __init__(self, sink: _Sink) -> None:
        self.sink = sink
        self.columns: _Columns | None = None
        self.indices: tuple[int, ...] = ()

    def row_span(self, start: int, end: int) -> Span:
        raise NotImplementedError

    def cell_span(self, start: int, end: int, index: int) -> Span:
        raise NotImplementedError

    def report(self, diagnostic: Diagnostic) -> None:
        self.sink.diagnostics.append(diagnostic)

    def take(self, cells: list[str], start: int, end: int) -> bool:
        """Read one row (lines or rows ``start``..``end``); False when the
        rest of the table cannot be read (no usable header)."""
        if self.columns is None:
            return self.header(cells, start, end)
        self.row(cells, start, end)
        return True

    def header(self, cells: list[str], start: int, end: int) -> bool:
        if len(cells) > MAX_COLUMNS:
            self.report(error("E0619", _("{file} has {count} columns; a roster may have at most {limit}").format(
                file=self.name, count=len(cells), limit=MAX_COLUMNS), self.row_span(start, end),
                hint=_("the first row must be the header; keep only the columns the playbooks use")))
            return False
        columns = _Columns.from_header(cells)
        self.columns = columns
        self.indices = columns.indices()
        for index, text, first in columns.repeated:
            self.report(error(
                "E0620", _("the header names column `{column}` twice (columns {first} and {second})").format(
                    column=text, first=first + 1, second=index + 1),
                self.cell_span(start, end, index),
                hint=_("each column needs its own name (`群ID` and `id` are the same column); "
                       "rename or delete one of them")))
        if "id" in columns.fields:
            return True
        unknown = [c.strip() for c in cells if c.strip() and _normalise_header(c) not in _ALIAS_TO_FIELD]
        close = next((h for h in (did_you_mean(_normalise_header(n), COLUMN_ALIASES["id"]) for n in unknown) if h), None)
        self.report(error(
            "E0611", _("{file} has no group id column").format(file=self.name), self.row_span(start, end),
            hint=close or _("the first row must be the header and name an `id` (or `群ID`) column; "
                            "delete any title rows above it")))
        return False

    def row(self, cells: list[str], start: int, end: int) -> None:
        columns = self.columns
        if len(cells) != columns.width:
            cells = self.fit(cells, start, end)
        cells.append("")  # the cell every missing column points at
        # Plain locals: this runs for every one of thousands of rows.
        i_id, i_name, i_tags, i_sender, i_address, i_external, i_owner, i_created = self.indices
        group_id = cells[i_id].strip()
        if not group_id:
            self.report(error("E0612", _("group id is empty"), self.cell_span(start, end, i_id),
                              hint=_("every row needs the group's id; delete the row if the group is gone")))
            return
        tags = cells[i_tags]
        external = _BOOLEANS.get(cells[i_external].strip().casefold())
        created = cells[i_created]
        group = Group(
            id=group_id,
            name=cells[i_name].strip(),
            tags=split_tags(tags, self.sink.tag_sets) if tags else frozenset(),
            variables=MappingProxyType({name: cells[i].strip() for i, name in columns.variables}),
            sender=cells[i_sender].strip() or None,
            address=cells[i_address].strip() or None,
            external=self.bad_boolean(cells, start, end) if external is None else external,
            owner=cells[i_owner].strip() or None,
            created=self.created(cells, start, end) if created else None,
            span=self.row_span(start, end),
        )
        self.sink.add(group, lambda: self.cell_span(start, end, i_id))

    def fit(self, cells: list[str], start: int, end: int) -> list[str]:
        """Pad a short row; drop a long row's extra cells, warning unless
        they are all empty (Excel's trailing commas)."""
        width = self.columns.width
        if len(cells) > width and not any(c.strip() for c in cells[width:]):
            return cells[:width]
        where = self.cell_span(start, end, width) if len(cells) > width else self.row_span(start, end)
        self.report(warning(
            "W0615", _("row has {count} cells but the header has {width}").format(count=len(cells), width=width),
            where, hint=_(self.cells_hint)))
        return (cells + [""] * width)[:width]

    def bad_boolean(self, cells: list[str], start: int, end: int) -> bool:
        index = self.columns["external"]
        self.report(error("E0614", _("`{value}` is not true or false").format(value=cells[index].strip()),
                          self.cell_span(start, end, index), hint=_("write true/false, 1/0, yes/no or 是/否")))
        return False

    def created(self, cells: list[str], start: int, end: int) -> dt.date | None:
        index = self.columns["created"]
        value = _parse_date(cells[index])
        if value is False:
            self.report(error("E0614", _("`{value}` is not a date").format(value=cells[index].strip()),
                              self.cell_span(start, end, index), hint=_("write the date as YYYY-MM-DD, e.g. 2024-03-01")))
            return None
        problem = _date_problem(value)
        if problem:
            self.report(error("E0614", _("`created`: {problem}").format(problem=problem),
                              self.cell_span(start, end, index),
                              hint=_("write the day the group was created, e.g. 2024-03-01")))
            return None
        return value


class _CsvFile(_Table):
    """One CSV roster being read: its lines (numbered as the renderer numbers
    them, on ``\\n``), and where a row and a cell are in them."""

    def __init__(self, path: Path, text: str, sink: _Sink) -> None:
        super().__init__(sink)
        self.path = str(path)
        self.name = path.name
        self.lines = text.split("\n")
        first = next((line for line in self.lines if line.strip()), "")
        self.delimiter = "\t" if "\t" in first and "," not in first else ","

    # -- spans --
    def row_span(self, start: int, end: int) -> Span:
        last = self.lines[end - 1] if end <= len(self.lines) else ""
        width = len(last) - last.endswith("\r")
        return Span(path=self.path, line=start, column=1, end_line=end, end_column=max(2, width + 1))

    def cell_span(self, start: int, end: int, index: int) -> Span:
        """The cell's own characters, found by re-scanning the raw record
        (quotes respected); only called when there is a problem to show."""
        line, column, cell, quoted = start, 1, 0, False
        begin: tuple[int, int] | None = (start, 1) if index == 0 else None
        for text in self.lines[start - 1:end]:
            for char in text.rstrip("\r"):
                if char == '"':
                    quoted = not quoted
                elif char == self.delimiter and not quoted:
                    if begin is not None:
                        return Span(path=self.path, line=begin[0], column=begin[1], end_line=line,
                                    end_column=max(column, begin[1] + 1))
                    cell += 1
                    if cell == index:
                        begin = (line, column + 1)
                column += 1
            if begin is not None and not quoted:
                return Span(path=self.path, line=begin[0], column=begin[1], end_line=line,
                            end_column=max(column, begin[1] + 1))
            line, column = line + 1, 1
        return Span.point(self.path, start, column if begin is None else begin[1])

    # -- reading --
    def read(self) -> None:
        reader = csv.reader((line + "\n" for line in self.lines), delimiter=self.delimiter)
        previous = 0
        try:
            for cells in reader:
                start, previous = previous + 1, reader.line_num
                if not any(c.strip() for c in cells):
                    continue
                if not self.take(cells, start, previous):
                    return
        except csv.Error as exc:
            self.report(error("E0616", _("cannot read {file} as CSV: {error}").format(file=self.name, error=exc),
                              Span.point(self.path, reader.line_num),
                              hint=_('a cell with a line break or a `"` must be wrapped in double quotes')))


def _load_csv(path: Path, data: bytes, sink: _Sink) -> None:
    text = _decode(data)
    if text is None:
        sink.diagnostics.append(error(
            "E0616", _("{file} is neither UTF-8 nor GBK text").format(file=path.name), Span.point(str(path)),
            hint=_("in Excel use File > Save As > CSV UTF-8 (comma delimited)")))
        return
    sink.sources[str(path)] = text
    _CsvFile(path, text, sink).read()


# ---- a workbook's sheet (.xlsx) ---------------------------------------------------


class _SheetTable(_Table):
    """The first sheet of a roster workbook being read. Spans name the
    sheet beside the file (``groups.xlsx[群列表]``), the row as the line and
    the column's number as the column: ``groups.xlsx[群列表]:5:3`` is cell C5."""

    cells_hint = N_("cells right of the header's last column are ignored; give the column a name, or clear the cells")

    def __init__(self, path: Path, sheet: str, sink: _Sink) -> None:
        super().__init__(sink)
        self.path = f"{path}[{sheet}]"
        self.name = path.name
        self.width = 1  # cells in the row being read (a row's span covers them)

    def row_span(self, start: int, end: int) -> Span:
        return Span(path=self.path, line=start, column=1, end_line=end, end_column=max(2, self.width + 1))

    def cell_span(self, start: int, end: int, index: int) -> Span:
        return Span(path=self.path, line=start, column=index + 1, end_line=start, end_column=index + 2)

    def header(self, cells: list[str], start: int, end: int) -> bool:
        if len(cells) > MAX_COLUMNS:  # the reader stops one column past the limit: the real width is unknown
            self.report(error("E0619", _("{file} has more than {limit} columns; a roster may have at most {limit}").format(
                file=self.name, limit=MAX_COLUMNS), self.row_span(start, end),
                hint=_("the first row must be the header; keep only the columns the playbooks use")))
            return False
        return super().header(cells, start, end)

    def read(self, rows) -> None:
        from sopc.project.workbook import cell_text

        gap = None  # openpyxl gives every row missing from the sheet as one same tuple of Nones
        for number, values in rows:
            if values is gap:
                continue
            cells = self.texts(values, cell_text)
            if cells is None:
                gap = values
                continue
            self.width = len(cells)
            if self.too_long(cells, number) or not self.take(cells, number, number):
                return

    def texts(self, values: tuple, cell_text) -> list[str] | None:
        """The row's cells as text up to its last non-empty one (the header's
        width at least, once there is a header); None for an empty row."""
        width = len(values)
        if values.count(None) == width:
            return None  # rows between the cells a sheet holds, and past its last column
        if self.columns is not None and values[self.columns.width:].count(None) == width - self.columns.width:
            width = self.columns.width  # the common case: nothing right of the header's columns
        cells = [cell_text(v) for v in values[:width]]
        while cells and not cells[-1].strip():
            cells.pop()
        if not cells:
            return None
        if self.columns is not None and len(cells) < self.columns.width:
            cells += [""] * (self.columns.width - len(cells))  # an empty cell at the end is not a missing one
        return cells

    def too_long(self, cells: list[str], number: int) -> bool:
        """E0619 for a cell over Excel's own limit (another program wrote it);
        the rest of the sheet is not read."""
        for index, text in enumerate(cells):
            if len(text) > MAX_CELL_CHARS:
                self.report(error("E0619", _("a cell of {file} holds {count} characters; a roster cell may hold at "
                                             "most {limit}").format(file=self.name, count=len(text), limit=MAX_CELL_CHARS),
                                  self.cell_span(number, number, index),
                                  hint=_("a roster cell holds an id, a name, tags or a short value")))
                return True
        return False


def _load_sheet(path: Path, data: bytes, sink: _Sink) -> None:
    from sopc.project.workbook import Sheet, WorkbookError

    table = None
    try:
        sheet = Sheet(data, path.name)
        table = _SheetTable(path, sheet.title, sink)
        table.read(sheet.rows())
    except WorkbookError as exc:
        where = Span.point(table.path, exc.row) if table is not None and exc.row else Span.point(str(path))
        sink.diagnostics.append(error(exc.code, exc.message, where, hint=exc.hint))


# ---- TOML ----------------------------------------------------------------------

_TOML_KEYS = ("id", "name", "tags", "sender", "address", "external", "owner", "created", "vars")


class _TomlGroups:
    """One ``[[groups]]`` roster being read."""

    def __init__(self, path: Path, text: str, sink: _Sink) -> None:
        self.locate = TomlLocator(str(path), text)
        self.sink = sink

    def report(self, diagnostic: Diagnostic) -> None:
        self.sink.diagnostics.append(diagnostic)

    def read(self, data: dict[str, Any]) -> None:
        for key in data:
            if key != "groups":
                self.report(warning("W0602", _("unknown key `{key}` in the roster").format(key=key),
                                    self.locate.key((), key),
                                    hint=did_you_mean(key, ["groups"]) or _("a TOML roster holds only [[groups]] tables")))
        entries = data.get("groups", [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            self.report(error("E0614", _("`groups` must be an array of tables, not {found}").format(
                found=toml_type_name(entries)), self.locate.key((), "groups"),
                hint=_("write each group as a `[[groups]]` table")))
            return
        for index, entry in enumerate(entries):
            self.group(entry, index)

    def wrong(self, index: int, key: str, message: str, hint: str | None = None) -> None:
        self.report(error("E0614", message, self.locate.key(("groups",), key, index), hint=hint))

    def string(self, entry: dict[str, Any], index: int, key: str) -> str | None:
        value = entry.get(key)
        if isinstance(value, str):
            return value.strip() or None
        if value is None:
            return None
        self.wrong(index, key, _("`{key}` must be a string, not {found}").format(key=key, found=toml_type_name(value)))
        return None

    def group(self, entry: dict[str, Any], index: int) -> None:
        span = self.locate.table(("groups",), index)
        for key in entry:
            if key not in _TOML_KEYS:
                self.report(warning("W0602", _("unknown key `{key}` in a [[groups]] table").format(key=key),
                                    self.locate.key(("groups",), key, index),
                                    hint=did_you_mean(key, _TOML_KEYS) or _("per-group values go in `vars = { ... }`")))
        group_id = self.group_id(entry, index, span)
        if group_id is None:
            return
        group = Group(
            id=group_id, name=self.string(entry, index, "name") or "", tags=self.tags(entry, index),
            variables=self.variables(entry, index), sender=self.string(entry, index, "sender"),
            address=self.string(entry, index, "address"), external=self.external(entry, index),
            owner=self.string(entry, index, "owner"), created=self.created(entry, index), span=span,
        )
        self.sink.add(group, lambda: self.locate.key(("groups",), "id", index))

    def group_id(self, entry: dict[str, Any], index: int, span: Span) -> str | None:
        value = entry.get("id")
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if value is not None and not isinstance(value, str):
            self.wrong(index, "id", _("`{key}` must be a string, not {found}").format(key="id", found=toml_type_name(value)))
            return None
        if value is None or not value.strip():
            self.report(error("E0612", _("group id is empty") if value is not None else _("group has no `id`"),
                              self.locate.key(("groups",), "id", index) if value is not None else span,
                              hint=_('every group needs its id, e.g. `id = "wrOgQhDgAAcwMTB7YmDkbeBsgT_KAbbQ"`')))
            return None
        return value.strip()

    def tags(self, entry: dict[str, Any], index: int) -> frozenset[str]:
        value = entry.get("tags", [])
        if isinstance(value, str):
            return split_tags(value)
        if isinstance(value, list) and all(isinstance(t, str) for t in value):
            return frozenset(t.strip() for t in value if t.strip())
        self.wrong(index, "tags", _("`tags` must be an array of strings, not {found}").format(found=toml_type_name(value)),
                   hint=_('e.g. `tags = ["VIP", "华东"]`'))
        return frozenset()

    def external(self, entry: dict[str, Any], index: int) -> bool:
        value = entry.get("external", False)
        if isinstance(value, bool):
            return value
        self.wrong(index, "external", _("`external` must be true or false, not {found}").format(
            found=toml_type_name(value)))
        return False

    def created(self, entry: dict[str, Any], index: int) -> dt.date | None:
        value = entry.get("created")
        if isinstance(value, dt.datetime):
            value = value.date()
        if value is None or isinstance(value, dt.date):
            parsed = value
        else:
            parsed = _parse_date(value) if isinstance(value, str) else False
        if parsed is False:
            self.wrong(index, "created", _("`created` must be a date like 2024-03-01"))
            return None
        problem = _date_problem(parsed)
        if problem:
            self.wrong(index, "created", _("`created`: {problem}").format(problem=problem))
            return None
        return parsed

    def variables(self, entry: dict[str, Any], index: int) -> Mapping[str, str]:
        value = entry.get("vars", {})
        if not isinstance(value, dict):
            self.wrong(index, "vars", _("`vars` must be a table, not {found}").format(found=toml_type_name(value)),
                       hint=_('e.g. `vars = { store = "静安店", city = "上海" }`'))
            return _EMPTY
        out = {}
        for key, item in value.items():
            if isinstance(item, (dict, list)):
                self.wrong(index, "vars", _("variable `{key}` must be a single value, not {found}").format(
                    key=key, found=toml_type_name(item)))
                continue
            out[key] = ("true" if item else "false") if isinstance(item, bool) else str(item)
        return MappingProxyType(out)


def _load_toml(path: Path, data: bytes, sink: _Sink) -> None:
    text, problem = decode_toml(path, data)
    if text is None:
        sink.diagnostics.append(problem)
        return
    sink.sources[str(path)] = text
    data, problem = load_toml(path, text)
    if data is None:
        sink.diagnostics.append(problem)
        return
    _TomlGroups(path, text, sink).read(data)
