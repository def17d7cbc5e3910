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

An events file (``sopc event --file``) may have any size: it is read a line
at a time. :func:`check_file` reads it all and validates every record, a
chunk (:data:`CHUNK` records) at a time, keeping what to record of each in
a temporary file; if any line is refused, nothing is recorded. Only then
the caller records the kept chunks (:meth:`FileCheck.file_chunks`), each in
one transaction: the store's write lock is held for one chunk, not the
whole file, so a running ``sopc run`` keeps sending. Each chunk carries its
lines' digest: a chunk recorded before (a run stopped part-way by a crash or
a full disk, then run again) is recognised and not recorded twice.

Intake needs three facts of the project, not a build of it
(:func:`project_facts`): the zone, the roster's group ids, and the stages
a ``stages`` block declares.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import marshal
import re
import tempfile
from dataclasses import field
from pathlib import Path
from typing import Any, BinaryIO, Collection, Iterator, Mapping, Sequence

from sopc.core.diagnostics import did_you_mean
from sopc.core.events import Event
from sopc.core.limits import MAX_EVENT_LINE, MAX_SOP_BYTES
from sopc.core.i18n import _
from sopc.core.progress import QUIET, Progress
from sopc.core.records import dataclass
from sopc.core.timeutil import localize, zone_or_default
from sopc.events.reader import decode_json, read_event
from sopc.project.config import Config, load_config
from sopc.project.finder import playbook_files
from sopc.project.paths import display_path
from sopc.project.roster import load_roster

MAX_RECORDS = 1000          # records per call of parse_records (one request to `sopc serve`, one `sopc event`)
CHUNK = 5000                # records of an events file recorded in one transaction (~50 ms of the write lock)
SHOWN = 100                 # refused and ignored lines of an events file listed one by one; the rest counted
KEPT_IN_MEMORY = 16 << 20   # bytes of checked chunks kept in memory; beyond, in a temporary file


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
        return IntakeResult(rejected=[Rejected(MAX_RECORDS, _("too many events in one call ({count}); send at most "
                                                              "{most} at a time").format(count=len(records),
                                                                                         most=MAX_RECORDS))])
    return _validated(records, zone, now, roster_ids, stages)


def _validated(records: Sequence, zone: dt.tzinfo, now: dt.datetime, roster_ids: Mapping | Collection[str] | None,
               stages: Collection[str] | None) -> IntakeResult:
    """:func:`parse_records` without its limit on how many (an events file is read a chunk at a time)."""
    if now.tzinfo is None:
        now = localize(now, zone)
    default_at = now.astimezone(zone)
    result = IntakeResult()
    for index, record in enumerate(records):
        event, problems = read_event(record, zone, default_at=default_at, stages=stages)
        if event is None:
            result.rejected.extend(Rejected(index, p) for p in problems)
            continue
        if roster_ids is not None and event.group not in roster_ids:
            reason = _("group `{group}` is not in the roster").format(group=event.group)
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


def record_digest(record: Any) -> str:
    """What a record says, whatever its key order or spacing: an event sent
    again with its id must say the same (``sopc serve`` digests the same way)."""
    text = json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---- what intake needs of the project ----------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ProjectFacts:
    """What validating an event needs from the project: its zone (for an
    ``at`` without an offset), its roster's group ids, the stages its
    ``stages`` block declares."""

    zone: dt.tzinfo
    roster_ids: frozenset[str]
    stages: tuple[str, ...]


def project_facts(root: Path) -> ProjectFacts:
    """The facts of the project at ``root``, from sopc.toml, the roster, and
    only those .sop files that can declare stages: no templates compiled,
    no checks. A problem of the project is the business of `sopc check`:
    here a roster that cannot be read has no groups, as in a full build."""
    config, _problems = load_config(root)
    roster, _roster_problems = load_roster(config.roster_paths, root)
    return ProjectFacts(zone=zone_or_default(config.timezone), roster_ids=frozenset(roster.by_id),
                        stages=declared_stages(root, config))


# A `stages` block, like an `import`, starts at the beginning of a line (the
# grammar's top level: indentation makes blocks). A file without either
# cannot declare the stages, so it is not parsed.
_STAGES_OR_IMPORT = re.compile(r"^(?:\ufeff)?(?:stages|import)\b", re.MULTILINE)


def declared_stages(root: Path, config: Config) -> tuple[str, ...]:
    """The stages of the project's first ``stages`` block, in the order the
    compiler takes them (the project's files, sorted, then the files they
    import, as found), parsing only the files that hold a ``stages`` or an
    ``import`` line."""
    from sopc.project.loader import parse_source, resolve_import  # the parser: only when a file needs it

    queue = [(path, display_path(path)) for path in sorted(dict.fromkeys(p.resolve() for p in playbook_files(config)))]
    seen: set[Path] = set()
    while queue:
        path, shown = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        text = _sop_text(path)
        if text is None or not _STAGES_OR_IMPORT.search(text):
            continue
        source_file, _problems = parse_source(text, shown)
        if source_file.stages:
            return tuple(rule.name.value for rule in source_file.stages[0].rules)
        for imp in source_file.imports:
            target = resolve_import(imp.path, shown, root)
            if target is not None:
                queue.append(target)
    return ()


def _sop_text(path: Path) -> str | None:
    """A .sop file's text as the loader reads it; None if it cannot be read
    (too large, not UTF-8, gone): the build reports that, and it declares nothing."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_SOP_BYTES + 1)
        if len(data) > MAX_SOP_BYTES:
            return None
        return data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    except (OSError, UnicodeDecodeError):
        return None


# ---- events files, a chunk at a time -------------------------------------------------------------

class EventFileError(Exception):
    """A line of an events file that is not a record at all (not UTF-8, not
    JSON, too long), or a file that cannot be read: nothing is recorded."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.message, self.line, self.column = message, line, column

    @property
    def where(self) -> str:
        """``:LINE`` or ``:LINE:COLUMN`` (empty for the file as a whole), to follow the file's name."""
        return "".join(f":{n}" for n in (self.line, self.column) if n is not None)


@dataclass(frozen=True, slots=True)
class FileChunk:
    """Up to :data:`CHUNK` records of an events file, checked: what to
    record of them (the valid ones about groups of the roster), in one
    transaction."""

    lines: tuple[int, ...]              # the line of each event
    events: tuple[Event, ...]
    ids: tuple[str | None, ...]         # each event's "id" (None: it has none)
    digests: tuple[str, ...]            # each record with an id, hashed ("" for the others)
    digest: str                         # the chunk's lines, hashed

    @property
    def key(self) -> str:
        """The chunk's key in the store: its content, so the same lines are recorded once."""
        return f"sopc event --file {self.digest}"


@dataclass
class FileCheck:
    """What :func:`check_file` found in an events file, and the chunks to
    record (kept in a temporary file, in memory while small): recording
    them does not read the events file again, so it records exactly what
    was checked."""

    records: int = 0                                                # records read
    to_record: int = 0                                              # valid, about groups of the roster
    rejected: list[tuple[int, str]] = field(default_factory=list)   # (line, message): the first SHOWN
    rejected_count: int = 0
    ignored: list[tuple[int, str]] = field(default_factory=list)    # (line, reason): the first SHOWN
    ignored_count: int = 0
    chunks: int = 0
    _kept: BinaryIO = field(default_factory=lambda: tempfile.SpooledTemporaryFile(max_size=KEPT_IN_MEMORY))

    @property
    def ok(self) -> bool:
        return not self.rejected_count

    def __enter__(self) -> "FileCheck":
        return self

    def __exit__(self, *exc) -> None:
        self._kept.close()

    def file_chunks(self) -> Iterator[FileChunk]:
        """The checked chunks, in order (valid files only)."""
        if not self.ok:
            raise ValueError("the file has refused lines: nothing of it is recorded")
        self._kept.seek(0)
        for _chunk in range(self.chunks):
            size = int.from_bytes(self._kept.read(8), "little")
            lines, rows, digest = marshal.loads(self._kept.read(size))
            yield FileChunk(lines=tuple(lines), digest=digest,
                            events=tuple(Event(kind=kind, group=group, member=member, at=dt.datetime.fromisoformat(at),
                                               name=name, data=data, argument=argument)
                                         for kind, group, member, at, name, data, argument, _, _ in rows),
                            ids=tuple(row[7] for row in rows), digests=tuple(row[8] for row in rows))

    def _add(self, lines: list[int], records: list, result: IntakeResult, digest: str) -> None:
        self.records += len(lines)
        self.to_record += len(result.recorded)
        for index, reason in result.ignored:
            self.ignored_count += 1
            if len(self.ignored) < SHOWN:
                self.ignored.append((lines[index], reason))
        for rejected in result.rejected:
            self.rejected_count += 1
            if len(self.rejected) < SHOWN:
                self.rejected.append((lines[rejected.index], rejected.message))
        if self.rejected_count or not result.recorded:
            return  # nothing of it (or of the file) is recorded: not kept
        left_out = {index for index, _ in result.ignored}
        kept = [index for index in range(len(records)) if index not in left_out]
        rows = [(event.kind, event.group, event.member, event.at.isoformat(), event.name, event.data,
                 event.argument, records[index].get("id"),
                 record_digest(records[index]) if records[index].get("id") is not None else "")
                for index, event in zip(kept, result.recorded)]
        data = marshal.dumps(([lines[index] for index in kept], rows, digest))
        self._kept.write(len(data).to_bytes(8, "little") + data)  # read back whole (marshal.load reads bytewise)
        self.chunks += 1


def check_file(path: Path, facts: ProjectFacts, now: dt.datetime, progress: Progress = QUIET) -> FileCheck:
    """Read and validate every record of the events file at ``path``, a
    chunk of :data:`CHUNK` at a time, keeping what to record of each
    (``progress`` is told how many bytes of the file were read).
    Raises :class:`EventFileError` at the first line that is not a record at
    all; refused records are listed (the first :data:`SHOWN`) and counted,
    as are ignored ones. Use the result in a ``with`` block (it holds a
    temporary file)."""
    check = FileCheck()
    try:
        with progress.stage(_("checking events"), _size(path)) as advance_to:
            for lines, records, digest, read in _chunks(path):
                check._add(lines, records, _validated(records, facts.zone, now, facts.roster_ids, facts.stages),
                           digest)
                advance_to(read, f"{check.records:,}")
    except BaseException:
        check.__exit__()
        raise
    return check


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # _chunks says why it cannot be read


def _chunks(path: Path) -> Iterator[tuple[list[int], list, str, int]]:
    """(line numbers, decoded records, the lines hashed, the bytes read so far) of each chunk."""
    lines: list[int] = []
    records: list = []
    digest = hashlib.sha256()
    try:
        file = path.open("rb")
    except OSError as exc:
        raise EventFileError(f"cannot read the events file: {exc.strerror or exc}") from None
    with file:
        for number, text, raw in _record_lines(file):
            record, problem = decode_json(text)
            if problem:
                raise EventFileError(problem, number)
            lines.append(number)
            records.append(record)
            digest.update(raw + b"\n")
            if len(records) == CHUNK:
                yield lines, records, digest.hexdigest(), file.tell()
                lines, records, digest = [], [], hashlib.sha256()
        read = file.tell()
    if records:
        yield lines, records, digest.hexdigest(), read


# A line of at most MAX_EVENT_LINE characters has at most 4 bytes each, and "\r\n".
_LINE_BYTES = 4 * MAX_EVENT_LINE + 2


def _record_lines(file: BinaryIO) -> Iterator[tuple[int, str, bytes]]:
    """(line number, text, the line's bytes) of every line that is not blank
    or a ``#`` comment, as :func:`sopc.events.reader.read_jsonl` takes them:
    lines end at ``\\n`` only, a UTF-8 byte order mark at the start is dropped.
    A byte that is not UTF-8, and a line too long to be a record, raise
    :class:`EventFileError` (a huge line is counted, not held)."""
    number = 0
    while True:
        raw = file.readline(_LINE_BYTES)
        if not raw:
            return
        number += 1
        if not raw.endswith(b"\n") and len(raw) == _LINE_BYTES:
            characters = _characters(raw) + _rest_of_line(file)
            raise EventFileError(f"a record is {characters} characters long; at most {MAX_EVENT_LINE}", number)
        raw = raw.removesuffix(b"\n").removesuffix(b"\r")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            column = len(raw[:exc.start].decode("utf-8", errors="replace")) + 1
            raise EventFileError(f"not UTF-8 text: byte {raw[exc.start]:#04x} (save the file as UTF-8)",
                                 number, column) from None
        if number == 1:
            text = text.removeprefix("\ufeff")
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        yield number, text, raw


def _characters(data: bytes) -> int:
    """How many UTF-8 characters ``data`` holds: its bytes that do not continue one."""
    return len(data) - sum(data.count(bytes([byte])) for byte in range(0x80, 0xC0))


def _rest_of_line(file: BinaryIO) -> int:
    """Read on to the end of the line; how many characters that was (the newline not counted)."""
    characters = 0
    while True:
        block = file.readline(1 << 20)
        if not block:
            return characters
        if block.endswith(b"\n"):
            return characters + _characters(block.removesuffix(b"\n").removesuffix(b"\r"))
        characters += _characters(block)
