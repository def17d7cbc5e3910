"""Config: the project-loading stage that reads ``sopc.toml``.

A sopc project is a folder. ``sopc.toml`` in it is optional: without one every
setting takes its default, so a folder of ``.sop`` files is already a project.
Problems come back as :class:`~sopc.core.diagnostics.Diagnostic` values next to a
usable :class:`Config` (a bad setting falls back to its default), so one run
reports every mistake in the file.

Where things are looked for (paths in ``sopc.toml`` are relative to the
project folder):

* ``templates`` -- one folder, default ``templates``.
* ``playbooks`` -- folders or files holding ``.sop`` playbooks. The project
  folder itself (``"."``) is searched without descending into sub-folders, so
  ``.venv``, ``node_modules`` and the like are never scanned; every other
  folder is searched recursively (hidden folders skipped). The default is
  ``["."]`` plus ``"playbooks"`` when that folder exists. See
  :func:`sopc.project.finder.playbook_files`.
* ``roster`` -- one file or a list of files (``.csv``, ``.xlsx`` or
  ``.toml``). The default is ``groups.csv``; without it ``groups.toml``, else
  ``groups.xlsx``, when one exists.

Codes: E0601 TOML syntax, W0602 unknown key, E0603 wrong type or malformed
value, E0604 unknown time zone, E0605 secret written inline, W0608 playbook
path not found, E0619 a file beyond sopc's limits (E0606 and E0607 are used
by sopc.project.loader).

Limits (:mod:`sopc.core.limits`, shared with a TOML roster): the file is at
most 1 MiB, arrays and tables nest at most 32 deep, a whole number has at
most 30 digits; ``cap`` is at most 1000.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
import sys
from dataclasses import field
from pathlib import Path
from typing import Any, Iterable, Mapping

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib

from sopc.core.diagnostics import Diagnostic, Span, did_you_mean, error, warning
from sopc.core.i18n import N_, _
from sopc.core.fs import exists, is_dir, is_file
from sopc.core.limits import MAX_CAP, MAX_CONFIG_BYTES, MAX_DIGITS, MAX_NESTING, size_text
from sopc.core.records import dataclass
from sopc.core.timeutil import known_zone_names, load_zone, parse_duration
from sopc.core.vocabulary import DEFAULT_ZONE

__all__ = [
    "CONFIG_FILE",
    "Config",
    "Defaults",
    "SenderConfig",
    "TomlLocator",
    "decode_toml",
    "load_config",
    "load_toml",
    "size_error",
    "parse_quiet",
    "toml_syntax_error",
    "toml_type_name",
]

CONFIG_FILE = "sopc.toml"
DEFAULT_TIMEZONE = DEFAULT_ZONE
QUIET_MODES = ("defer", "skip")
HOLIDAY_MODES = ("skip", "before", "after", "keep")

_TOP_KEYS = ("timezone", "templates", "playbooks", "roster", "defaults", "calendar", "senders")
_DEFAULTS_KEYS = ("quiet", "quiet_mode", "cap", "gap", "holidays", "grace", "peaks")


# ---- the configuration values ----------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class Defaults:
    """Policies every playbook gets unless it sets its own."""

    quiet_start: dt.time | None = dt.time(22, 0)
    quiet_end: dt.time | None = dt.time(8, 0)
    quiet_mode: str = "defer"       # defer | skip
    cap: int = 6                    # messages per group per day; 0 = no cap
    gap: dt.timedelta = dt.timedelta(minutes=30)
    holidays: str = "keep"          # skip | before | after | keep
    grace: dt.timedelta = dt.timedelta(minutes=10)
    # `peaks = "09:00-11:00, 14:00-18:00"`: the project's peak hours, which `sopc check`
    # holds the groups of every playbook without its own `peaks` line to; where it is written
    peaks: tuple[tuple[dt.time, dt.time], ...] = ()
    peaks_span: Span | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SenderConfig:
    """One ``[senders.NAME]`` table. ``settings`` holds every key but ``kind``;
    a setting found to hold an inline secret is left out of it."""

    name: str
    kind: str
    settings: dict[str, Any] = field(default_factory=dict, hash=False)
    span: Span
    kind_span: Span | None = None   # the `kind = ...` line, for diagnostics about the kind

    def env_names(self) -> dict[str, str]:
        """``{"key": "WECOM_BOT_KEY"}`` for every ``key_env = "WECOM_BOT_KEY"``."""
        return {
            key.removesuffix("_env"): value
            for key, value in self.settings.items()
            if key.endswith("_env") and isinstance(value, str)
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """Everything ``sopc.toml`` says, with defaults filled in. Paths are the
    project folder joined with what the file wrote (absolute ones kept)."""

    path: Path | None = None
    project_dir: Path = Path(".")
    timezone: str = DEFAULT_TIMEZONE
    templates_dir: Path = Path("templates")
    playbook_paths: tuple[Path, ...] = (Path("."),)
    roster_paths: tuple[Path, ...] = (Path("groups.csv"),)
    defaults: Defaults = Defaults()
    calendar: dict[str, Any] = field(default_factory=dict, hash=False)
    senders: dict[str, SenderConfig] = field(default_factory=dict, hash=False)


# ---- TOML helpers shared with the roster loader ------------------------------------

def toml_type_name(value: object) -> str:
    """How a TOML value's type reads in a message: ``an integer``, ``a table``."""
    if isinstance(value, bool):
        return _("true/false")
    if isinstance(value, int):
        return _("an integer")
    if isinstance(value, float):
        return _("a number")
    if isinstance(value, str):
        return _("a string")
    if isinstance(value, list):
        return _("an array")
    if isinstance(value, dict):
        return _("a table")
    if isinstance(value, dt.datetime):
        return _("a date-time")
    if isinstance(value, dt.date):
        return _("a date")
    if isinstance(value, dt.time):
        return _("a time")
    return type(value).__name__


def decode_toml(path: Path, data: bytes) -> tuple[str | None, Diagnostic | None]:
    """The file's text (a leading BOM dropped, which tomllib rejects), or an
    E0601 diagnostic when it is not UTF-8."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, error(
            "E0601",
            _("{file} is not UTF-8 text").format(file=path.name),
            Span.point(str(path), line),
            hint=_("save the file as UTF-8 (most editors: File > Save with Encoding > UTF-8)"),
        )


_AT_RE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_AT_END_RE = re.compile(r"\s*\(at end of document\)\s*$")

# tomllib's wording -> (plain words, hint)
_SYNTAX_EXPLAINED = (
    ("Invalid value", N_("this value is not valid TOML"),
     N_('text needs double quotes, e.g. `timezone = "Asia/Shanghai"`')),
    ("Cannot overwrite a value", N_("this key is written twice"),
     N_("each key may appear only once in a table; delete or merge one of them")),
    ("Cannot declare", N_("this table is written twice"),
     N_("each [table] may appear only once; merge the two")),
    ("Expected '=' after a key", N_("expected `=` after the key"),
     N_("write one `key = value` per line; keys with spaces need quotes")),
    ("Unterminated string", N_("a string is missing its closing quote"),
     N_("close the string with the same quote that opened it")),
    ("Expected newline or end of document", N_("unexpected text after the value"),
     N_('text needs double quotes, e.g. `quiet = "22:00-08:00"`')),
    ("Invalid statement", N_("this line is not a `key = value` or a [table] header"),
     N_("write one `key = value` per line")),
)


def _end_of_document(text: str) -> tuple[int, int]:
    lines = text.split("\n")
    for number in range(len(lines), 0, -1):
        line = lines[number - 1].rstrip("\r")
        if line.strip():
            return number, len(line) + 1
    return 1, 1


def _syntax_position(exc: tomllib.TOMLDecodeError, raw: str, text: str) -> tuple[int, int]:
    lineno, colno = getattr(exc, "lineno", None), getattr(exc, "colno", None)
    if isinstance(lineno, int) and isinstance(colno, int):
        return lineno, colno
    match = _AT_RE.search(raw)
    if match:
        return int(match.group(1)), int(match.group(2))
    return _end_of_document(text)


def toml_syntax_error(exc: tomllib.TOMLDecodeError, path: Path, text: str) -> Diagnostic:
    """E0601 at the line and column tomllib reports, in plain words."""
    raw = getattr(exc, "msg", None) or str(exc)
    line, column = _syntax_position(exc, str(exc), text)
    bare = _AT_END_RE.sub("", _AT_RE.sub("", raw))
    plain, hint = bare[:1].lower() + bare[1:], _("see https://toml.io for the syntax")
    for prefix, words, advice in _SYNTAX_EXPLAINED:
        if bare.startswith(prefix):
            plain, hint = _(words), _(advice)
            break
    return error("E0601", _("{file} is not valid TOML: {problem}").format(file=path.name, problem=plain),
                 Span.point(str(path), line, column), hint=hint)


# ---- bounded TOML: what tomllib would choke on is refused, located -----------------

def size_error(path: Path, limit: int, what: str) -> Diagnostic | None:
    """E0619 when the file at ``path`` is over ``limit`` bytes (read from
    its size, before any of it is read)."""
    try:
        size = path.stat().st_size
    except OSError:
        return None  # the reader that opens it says what is wrong
    if size <= limit:
        return None
    return error("E0619", _("{file} is {size} bytes; {what} may have at most {limit}").format(
                     file=path.name, size=size, what=_(what), limit=size_text(limit)),
                 Span.point(str(path)), hint=_("split it into several files, or remove what is not needed"))


def load_toml(path: Path, text: str) -> tuple[dict | None, Diagnostic | None]:
    """``tomllib.loads(text)``, or None and a located diagnostic: E0601 for
    a syntax error; E0619 for arrays or tables nested more than
    :data:`MAX_NESTING` deep or a whole number of more than
    :data:`MAX_DIGITS` digits (which tomllib would meet with a
    RecursionError or Python's 4,300-digit ValueError)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, toml_syntax_error(exc, path, text)
    except RecursionError:
        return None, _too_deep(path, _deep_line(str(path), text))
    except ValueError:  # an integer too long for Python to convert
        return None, _too_many_digits(path, _long_number_span(str(path), text))
    found = _beyond_limits(data)
    if found is None:
        return data, None
    keys, why = found
    where = TomlLocator(str(path), text).key(keys[:-1], keys[-1]) if keys else Span.point(str(path))
    return None, (_too_deep(path, where) if why == "deep" else _too_many_digits(path, where))


def _too_deep(path: Path, where: Span) -> Diagnostic:
    return error("E0619", _("{file}: arrays or tables nested more than {limit} deep").format(
                     file=path.name, limit=MAX_NESTING), where,
                 hint=_("sopc reads flat settings; nothing it reads nests that deep"))


def _too_many_digits(path: Path, where: Span) -> Diagnostic:
    return error("E0619", _("{file}: a whole number of more than {limit} digits").format(
                     file=path.name, limit=MAX_DIGITS), where,
                 hint=_("no setting sopc reads needs a number that large; write text in quotes if it is an id"))


_DIGIT_BOUND = 10 ** MAX_DIGITS


def _beyond_limits(data: dict) -> tuple[tuple[str, ...], str] | None:
    """The first value nested too deep ("deep") or a whole number too long
    ("digits"), with the keys leading to it (array positions left out),
    walked without recursion."""
    stack: list[tuple[Any, tuple[str, ...], int]] = [(data, (), 0)]
    while stack:
        value, keys, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > MAX_NESTING:
                return keys, "deep"
            children = value.items() if isinstance(value, dict) else ((None, item) for item in value)
            stack.extend((child, keys if key is None else (*keys, key), depth + 1) for key, child in children)
        elif isinstance(value, int) and not -_DIGIT_BOUND < value < _DIGIT_BOUND:
            return keys, "digits"
    return None


def _deep_line(path: str, text: str) -> Span:
    """Roughly where brackets first nest too deep (strings not told apart:
    this only points at the line)."""
    depth = 0
    for number, line in enumerate(text.split("\n"), 1):
        for char in line:
            depth += 1 if char in "[{" else -1 if char in "]}" else 0
            if depth > MAX_NESTING:
                return Span.point(path, number)
    return Span.point(path)


def _long_number_span(path: str, text: str) -> Span:
    match = re.search(r"[0-9][0-9_]{%d,}" % MAX_DIGITS, text)
    if match is None:
        return Span.point(path)
    line = text.count("\n", 0, match.start()) + 1
    return Span.point(path, line, match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1)


# The name is taken whole up to the first `]` (its spaces stripped after):
# a lazy name before `\s*\]` retried the spaces after it once per character,
# 2.4 s of matching for a header with 32,768 spaces in it.
_HEADER_RE = re.compile(r"^\s*\[\[?([^\[\]#]+)\]\]?\s*(?:#.*)?$")


def _split_dotted(text: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in text.split("."))


class TomlLocator:
    """Finds where a table or key is written, for diagnostic spans.

    tomllib returns values without positions; a line scan is good enough for
    files people write by hand. Anything not found falls back to the
    enclosing table's header, then to line 1.
    """

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.lines = [line.rstrip("\r") for line in text.split("\n")]
        # Header line numbers (ascending), and per dotted name the lines of
        # its headers: `[[groups]]` repeats, one entry per table.
        self.header_lines: list[int] = []
        self.headers: dict[tuple[str, ...], list[int]] = {}
        for number, line in enumerate(self.lines, 1):
            match = _HEADER_RE.match(line)
            if match:
                self.header_lines.append(number)
                self.headers.setdefault(_split_dotted(match.group(1)), []).append(number)

    def _find_header(self, parts: tuple[str, ...], index: int = 0) -> int | None:
        found = self.headers.get(parts, ())
        return found[index] if index < len(found) else None

    def _block(self, parts: tuple[str, ...], index: int) -> tuple[int, int] | None:
        """First and last line of a table's body (``()`` is the top level)."""
        if parts:
            header = self._find_header(parts, index)
            if header is None:
                return None
            start = header + 1
        else:
            start = 1
        following = bisect.bisect_left(self.header_lines, start)
        last = self.header_lines[following] - 1 if following < len(self.header_lines) else len(self.lines)
        return start, last

    def _line_span(self, number: int) -> Span:
        line = self.lines[number - 1]
        column = len(line) - len(line.lstrip()) + 1
        return Span(path=self.path, line=number, column=column, end_line=number,
                    end_column=max(column + 1, len(line.rstrip()) + 1))

    def table(self, parts: tuple[str, ...], index: int = 0) -> Span:
        """The ``[a.b]`` (or the ``index``-th ``[[a.b]]``) header line."""
        header = self._find_header(parts, index)
        if header is not None:
            return self._line_span(header)
        if len(parts) > 1:
            return self.key(parts[:-1], parts[-1])
        return Span.point(self.path, 1)

    def key(self, parts: tuple[str, ...], key: str, index: int = 0) -> Span:
        """Where ``key`` of table ``parts`` is written."""
        block = self._block(parts, index)
        if block is not None:
            found = self._search(_key_pattern((key,)), *block)
            if found:
                return found
        for header_parts, numbers in self.headers.items():
            if header_parts[: len(parts) + 1] == (*parts, key):
                return self._line_span(numbers[0])
        found = self._search(_key_pattern((*parts, key)), 1, len(self.lines))
        if found:
            return found
        return self.table(parts, index) if parts else Span.point(self.path, 1)

    def _search(self, pattern: re.Pattern[str], first: int, last: int) -> Span | None:
        for number in range(first, last + 1):
            match = pattern.match(self.lines[number - 1])
            if match:
                return Span(path=self.path, line=number, column=match.start(1) + 1,
                            end_line=number, end_column=match.end(1) + 1)
        return None


def _key_pattern(parts: tuple[str, ...]) -> re.Pattern[str]:
    """``key =`` / ``"key" =`` / ``a.b.key =`` at the start of a line."""
    names = [rf"(?:{re.escape(p)}|\"{re.escape(p)}\"|'{re.escape(p)}')" for p in parts]
    return re.compile(r"^\s*(" + r"\s*\.\s*".join(names) + r")\s*=")


# ---- reading sopc.toml -----------------------------------------------------------

def load_config(project_dir: Path) -> tuple[Config, list[Diagnostic]]:
    """Read ``project_dir/sopc.toml``; a missing file means all defaults."""
    path = project_dir / CONFIG_FILE
    if not is_file(path):
        return _config_from({}, project_dir, None, None), []
    too_big = size_error(path, MAX_CONFIG_BYTES, CONFIG_FILE)
    if too_big is not None:
        return _config_from({}, project_dir, path, None), [too_big]
    text, problem = decode_toml(path, path.read_bytes())
    if text is None:
        return _config_from({}, project_dir, path, None), [problem]
    data, problem = load_toml(path, text)
    if data is None:
        return _config_from({}, project_dir, path, None), [problem]
    reader = _Reader(path, text)
    return _config_from(data, project_dir, path, reader), reader.diagnostics


def _config_from(data: dict, project_dir: Path, path: Path | None, reader: _Reader | None) -> Config:
    reader = reader or _Reader(path or project_dir / CONFIG_FILE, "")
    reader.unknown_keys(data, _TOP_KEYS, ())
    return Config(
        path=path,
        project_dir=project_dir,
        timezone=_timezone(reader, data),
        templates_dir=project_dir / _text(reader, data, "templates", "templates"),
        playbook_paths=_playbook_paths(reader, data, project_dir),
        roster_paths=_roster_paths(reader, data, project_dir),
        defaults=_defaults(reader, _table(reader, data, "defaults")),
        calendar=_table(reader, data, "calendar"),
        senders=_senders(reader, _table(reader, data, "senders")),
    )


class _Reader:
    """Collects diagnostics while the tables of one file are read."""

    def __init__(self, path: Path, text: str) -> None:
        self.locate = TomlLocator(str(path), text)
        self.diagnostics: list[Diagnostic] = []

    def unknown_keys(self, table: Mapping[str, Any], known: Iterable[str], parts: tuple[str, ...]) -> None:
        known = tuple(known)
        for key in table:
            if key not in known:
                where = ".".join((*parts, key))
                self.diagnostics.append(warning(
                    "W0602", _("unknown key `{key}` in {file}").format(key=where, file=CONFIG_FILE),
                    self.locate.key(parts, key),
                    hint=did_you_mean(key, known) or _("known keys here: {keys}").format(keys=", ".join(known)),
                ))

    def wrong(self, parts: tuple[str, ...], key: str, message: str, hint: str | None = None) -> None:
        self.diagnostics.append(error("E0603", message, self.locate.key(parts, key), hint=hint))

    def expect(self, table: Mapping[str, Any], key: str, parts: tuple[str, ...], kind: type, expected: str) -> Any:
        """``table[key]`` if it has the right type; None if absent or wrong (E0603)."""
        value = table.get(key)
        if value is None:
            return None
        if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
            return value
        dotted = ".".join((*parts, key))
        self.wrong(parts, key, _("`{key}` must be {expected}, not {found}").format(
            key=dotted, expected=_(expected), found=toml_type_name(value)))
        return None


def _text(reader: _Reader, table: Mapping[str, Any], key: str, default: str, parts: tuple[str, ...] = ()) -> str:
    value = reader.expect(table, key, parts, str, N_("a string"))
    return default if value is None else value


def _table(reader: _Reader, data: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = reader.expect(data, key, (), dict, _("a table (`[{key}]`)").format(key=key))
    return {} if value is None else value


def _path_list(reader: _Reader, data: Mapping[str, Any], key: str) -> list[str] | None:
    """A string or an array of strings; None when absent or wrong (E0603)."""
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    reader.wrong((), key, _("`{key}` must be a string or an array of strings, not {found}").format(
                     key=key, found=toml_type_name(value)),
                 hint=_('e.g. `{key} = ["one", "two"]`').format(key=key))
    return None


# ---- top-level settings --------------------------------------------------------

_ZONE_ALIASES = frozenset({
    "asia/beijing", "beijing", "china", "cst", "utc+8", "gmt+8", "utc+08:00",
    "北京", "北京时间", "东八区", "中国",
})


def _timezone(reader: _Reader, data: Mapping[str, Any]) -> str:
    name = _text(reader, data, "timezone", DEFAULT_TIMEZONE)
    if load_zone(name) is not None:
        return name
    if name.strip().casefold() in _ZONE_ALIASES:
        hint = _("China's time zone is written `{zone}`").format(zone=DEFAULT_TIMEZONE)
    else:
        hint = did_you_mean(name, known_zone_names()) or _("use an IANA zone name such as `{zone}`").format(
            zone=DEFAULT_TIMEZONE)
    reader.diagnostics.append(error(
        "E0604", _("unknown time zone `{name}`").format(name=name), reader.locate.key((), "timezone"), hint=hint))
    return DEFAULT_TIMEZONE


def _playbook_paths(reader: _Reader, data: Mapping[str, Any], project_dir: Path) -> tuple[Path, ...]:
    written = _path_list(reader, data, "playbooks")
    if written is None:
        defaults = [project_dir]
        if is_dir(project_dir / "playbooks"):
            defaults.append(project_dir / "playbooks")
        return tuple(defaults)
    paths = tuple(project_dir / entry for entry in written)
    for entry, path in zip(written, paths):
        if not exists(path):  # also a name the system refuses (too long)
            reader.diagnostics.append(warning(
                "W0608", _("playbook path `{path}` does not exist").format(path=entry), reader.locate.key((), "playbooks"),
                hint=_("paths in `playbooks` are relative to the project folder")))
    return paths


def _roster_paths(reader: _Reader, data: Mapping[str, Any], project_dir: Path) -> tuple[Path, ...]:
    written = _path_list(reader, data, "roster")
    if written is not None:
        return tuple(project_dir / entry for entry in written)
    csv_path = project_dir / "groups.csv"
    if not is_file(csv_path):  # else the first of these that exists
        for other in (project_dir / "groups.toml", project_dir / "groups.xlsx"):
            if is_file(other):
                return (other,)
    return (csv_path,)


# ---- [defaults] ----------------------------------------------------------------

_QUIET_RE = re.compile(r"^\s*([0-9]{1,2})[:：]([0-9]{2})\s*[-~～–—－]\s*([0-9]{1,2})[:：]([0-9]{2})\s*$")


def parse_quiet(text: str) -> tuple[dt.time, dt.time] | None:
    """``"22:00-08:00"`` -> (22:00, 08:00); None when malformed. A range may
    run overnight; start and end must differ."""
    match = _QUIET_RE.match(text)
    if not match:
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if max(h1, h2) > 23 or max(m1, m2) > 59 or (h1, m1) == (h2, m2):
        return None
    return dt.time(h1, m1), dt.time(h2, m2)


def _quiet(reader: _Reader, table: Mapping[str, Any]) -> tuple[dt.time | None, dt.time | None]:
    base = Defaults()
    text = reader.expect(table, "quiet", ("defaults",), str, N_('a string like "22:00-08:00"'))
    if text is None:
        return base.quiet_start, base.quiet_end
    if not text.strip():
        return None, None
    parsed = parse_quiet(text)
    if parsed is None:
        reader.wrong(("defaults",), "quiet", _('`defaults.quiet` must be a time range "HH:MM-HH:MM" or "", not '
                                               '"{text}"').format(text=text),
                     hint=_('e.g. `quiet = "22:00-08:00"` (start and end differ; an overnight range is fine)'))
        return base.quiet_start, base.quiet_end
    return parsed


def _choice(reader: _Reader, table: Mapping[str, Any], key: str, choices: tuple[str, ...], default: str) -> str:
    value = reader.expect(table, key, ("defaults",), str, N_("a string"))
    if value is None:
        return default
    if value in choices:
        return value
    options = " | ".join(choices)
    reader.wrong(("defaults",), key, _('`defaults.{key}` must be one of {options}, not "{value}"').format(
                     key=key, options=options, value=value),
                 hint=did_you_mean(value, choices))
    return default


def _duration(reader: _Reader, table: Mapping[str, Any], key: str, default: dt.timedelta) -> dt.timedelta:
    value = table.get(key)
    if value is None:
        return default
    parsed = parse_duration(value) if isinstance(value, str) else None
    if parsed is not None:
        return parsed
    shown = f'"{value}"' if isinstance(value, str) else toml_type_name(value)
    example = f'`{key} = "{value}m"`' if isinstance(value, int) and not isinstance(value, bool) else f'`{key} = "30m"`'
    reader.wrong(("defaults",), key, _('`defaults.{key}` must be a duration like "30m" or "1h30m", not {found}').format(
                     key=key, found=shown),
                 hint=_("units are d, h, m, s in that order, e.g. {example}").format(example=example))
    return default


def _cap(reader: _Reader, table: Mapping[str, Any]) -> int:
    value = reader.expect(table, "cap", ("defaults",), int, N_("an integer (messages per group per day)"))
    if value is None:
        return Defaults().cap
    if value < 0:
        reader.wrong(("defaults",), "cap", _("`defaults.cap` must be 0 or more, not {value}").format(value=value),
                     hint=_("0 means no cap"))
        return Defaults().cap
    if value > MAX_CAP:
        reader.wrong(("defaults",), "cap", _("`defaults.cap` must be at most {limit} messages per group per day, "
                                             "not {value}").format(limit=MAX_CAP, value=value), hint=_("0 means no cap"))
        return Defaults().cap
    return value


def _peaks(reader: _Reader, table: Mapping[str, Any]) -> tuple[tuple[dt.time, dt.time], ...]:
    """`peaks = "09:00-11:00, 14:00-18:00"`: windows joined by `,` (or `，`, `、`)."""
    text = reader.expect(table, "peaks", ("defaults",), str, N_('a string like "09:00-11:00, 14:00-18:00"'))
    if text is None or not text.strip():
        return ()
    windows = tuple(parse_quiet(part) for part in re.split(r"[,，、]", text))
    if any(window is None for window in windows):
        reader.wrong(("defaults",), "peaks", _('`defaults.peaks` must be time ranges "HH:MM-HH:MM" joined by '
                                               'commas, not "{text}"').format(text=text),
                     hint=_('e.g. `peaks = "09:00-11:00, 14:00-18:00"` (each range starts and ends at different '
                            'times)'))
        return ()
    return windows  # type: ignore[return-value]


def _defaults(reader: _Reader, table: Mapping[str, Any]) -> Defaults:
    reader.unknown_keys(table, _DEFAULTS_KEYS, ("defaults",))
    base = Defaults()
    quiet_start, quiet_end = _quiet(reader, table)
    return Defaults(
        quiet_start=quiet_start,
        quiet_end=quiet_end,
        quiet_mode=_choice(reader, table, "quiet_mode", QUIET_MODES, base.quiet_mode),
        cap=_cap(reader, table),
        gap=_duration(reader, table, "gap", base.gap),
        holidays=_choice(reader, table, "holidays", HOLIDAY_MODES, base.holidays),
        grace=_duration(reader, table, "grace", base.grace),
        peaks=(peaks := _peaks(reader, table)),
        peaks_span=reader.locate.key(("defaults",), "peaks") if peaks else None,
    )


# ---- [senders.NAME] --------------------------------------------------------------

_ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_WORD_SPLIT_RE = re.compile(r"[_\-.\s]+|(?<=[a-z0-9])(?=[A-Z])")
_SECRET_WORDS = frozenset({
    "key", "secret", "token", "password", "passwd", "appkey", "appsecret", "accesstoken", "aeskey",
    "authorization",
})
# A URL carrying a credential: WeCom `?key=`, DingTalk `?access_token=`,
# Feishu/Lark `/bot/v2/hook/<token>`.
_CREDENTIAL_URL_RE = re.compile(
    r"[?&](?:key|access_token|token|secret|sign)=[^&#\s]+|/hook/[A-Za-z0-9_-]{8,}", re.IGNORECASE)


def _looks_secret(key: str, value: object) -> bool:
    """True for a setting that holds a credential itself rather than the
    name of the environment variable that holds it."""
    if not isinstance(value, str) or not value.strip():
        return False
    words = {word.lower() for word in _WORD_SPLIT_RE.split(key) if word}
    return bool(words & _SECRET_WORDS) or bool(_CREDENTIAL_URL_RE.search(value))


def _secret_paths(settings: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Dotted keys (nested tables and arrays included) holding inline secrets."""
    found = []
    for key, value in settings.items():
        if key.endswith("_env"):
            continue  # names of variables, checked by _check_env_names
        items = value if isinstance(value, list) else [value]
        if any(_looks_secret(key, item) for item in items):
            found.append((*prefix, key))
        elif isinstance(value, dict):
            found.extend(_secret_paths(value, (*prefix, key)))
    return found


def _secret_error(reader: _Reader, name: str, dotted: tuple[str, ...]) -> Diagnostic:
    # The span is the [senders.NAME] header, not the key's own line: a
    # rendered diagnostic prints its source line, and that line holds the
    # secret. The message names the key and its line instead.
    key_span = reader.locate.key(("senders", name, *dotted[:-1]), dotted[-1])
    where = ".".join(("senders", name, *dotted))
    return error(
        "E0605", _("secret written in {file}: `{key}` (line {line})").format(
            file=CONFIG_FILE, key=where, line=key_span.line),
        reader.locate.table(("senders", name)),
        hint=_secret_hint(dotted),
    )


def _secret_hint(dotted: tuple[str, ...]) -> str:
    if len(dotted) == 1:
        written = f'{dotted[0]}_env = "NAME"'
    else:  # a nested table such as headers.Authorization -> headers_env = { Authorization = "NAME" }
        written = f'{dotted[0]}_env = {{ {".".join(dotted[1:])} = "NAME" }}'
    return _("put it in an environment variable and write `{written}`").format(written=written)


def _is_env_name(value: object) -> bool:
    return isinstance(value, str) and bool(_ENV_NAME_RE.match(value))


def _check_env_names(reader: _Reader, name: str, settings: Mapping[str, Any]) -> None:
    """A ``*_env`` setting names a variable, or is a table of names
    (``headers_env = { Authorization = "API_TOKEN" }``)."""
    for key, value in settings.items():
        if not key.endswith("_env"):
            continue
        names = value.values() if isinstance(value, dict) else [value]
        if not all(_is_env_name(item) for item in names):
            # Never echo the value: it may be the secret itself.
            reader.wrong(("senders", name), key,
                         _("`{key}` must be the name of an environment variable (letters, digits, _)").format(
                             key=f"senders.{name}.{key}"),
                         hint=_('e.g. `{key} = "WECOM_BOT_KEY"`, with the secret itself set in that variable').format(
                             key=key))


def _sender(reader: _Reader, name: str, value: object) -> SenderConfig | None:
    if not isinstance(value, dict):
        reader.wrong(("senders",), name, _("`{key}` must be a table (`[{key}]`), not {found}").format(
            key=f"senders.{name}", found=toml_type_name(value)))
        return None
    span = reader.locate.table(("senders", name))
    kind = value.get("kind")
    if not isinstance(kind, str) or not kind.strip():
        if kind is None:
            message = _("sender `{name}` has no `kind`").format(name=name)
        else:
            message = _("sender `{name}` has a `kind` that is {found}, not a string").format(
                name=name, found=toml_type_name(kind))
        reader.diagnostics.append(error("E0603", message, span,
                                        hint=_('e.g. `kind = "wecom-bot"` or `kind = "console"`')))
        return None
    secrets = _secret_paths(value)
    reader.diagnostics.extend(_secret_error(reader, name, dotted) for dotted in secrets)
    _check_env_names(reader, name, value)
    hidden = {dotted[0] for dotted in secrets}
    settings = {k: v for k, v in value.items() if k != "kind" and k not in hidden}
    return SenderConfig(name=name, kind=kind, settings=settings, span=span,
                        kind_span=reader.locate.key(("senders", name), "kind"))


def _senders(reader: _Reader, table: Mapping[str, Any]) -> dict[str, SenderConfig]:
    senders = {}
    for name, value in table.items():
        sender = _sender(reader, name, value)
        if sender is not None:
            senders[name] = sender
    return senders
