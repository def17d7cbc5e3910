"""Stage 1, parse: .sop text -> Lark parse tree (or what an in-parse builder
makes of it: the AST, :func:`sopc.lang.transform.parse_ast`), plus syntax
diagnostics.

The grammar file (``grammar/sop.lark``) is the only definition of the syntax.
Indentation makes blocks: :class:`BlockIndenter` (Lark's Indenter post-lexer)
turns it into the grammar's _INDENT / _DEDENT tokens. Errors are reported in
the language's own words, never with grammar-internal terminal names, and
parsing recovers line by line so one run reports every broken line instead
of stopping at the first; after an error it carries on from the line before
it (:class:`_Parse`), so recovery costs one pass over the file, however
many errors it has. What it reads is bounded (file size, line length, the
nesting of a tag expression: E0010; README, Limits).
"""

from __future__ import annotations

import bisect
import collections
import contextlib
import copy
import functools
import hashlib
import importlib
import io
import itertools
import _sre
import os
import pickle
import re
import sys
import types
from array import array
from contextvars import ContextVar
from pathlib import Path
from typing import Callable, Protocol

import lark
from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.indenter import DedentError, Indenter
from lark.lexer import LexerState, LexerThread, LineCounter, PatternStr
from lark.parsers import lalr_analysis
from lark.parsers.lalr_interactive_parser import InteractiveParser

from sopc.core import collector
from sopc.core.diagnostics import Diagnostic, Span, did_you_mean, error
from sopc.core.i18n import N_, _, ngettext, pgettext
from sopc.core.limits import MAX_LINE_CHARS, MAX_SOP_BYTES, MAX_TAG_NESTING, size_text
from sopc.core.records import dataclass

try:
    from lark.parsers.lalr_parser_state import ParserState
    from lark.utils import TextSlice  # Lark >= 1.2.2: the lexer reads a str through it
except ImportError:  # pragma: no cover - older Lark: the same class elsewhere, and the lexer reads the str itself
    from lark.parsers.lalr_parser import ParserState  # type: ignore[no-redef]
    TextSlice = None

MAX_SYNTAX_ERRORS = 50

WEEKDAY_WORDS = (
    "mon", "tue", "wed", "thu", "fri", "sat", "sun",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "周一", "周二", "周三", "周四", "周五", "周六", "周日", "周天",
    "星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日", "星期天",
)

# Words of the regex terminals that hold a closed set, for did-you-mean.
TERMINAL_WORDS: dict[str, tuple[str, ...]] = {
    "WEEKDAY": WEEKDAY_WORDS,
    "DAY_SET": ("daily", "每天", "workdays", "工作日", "weekends", "周末", "每周末", "holidays", "节假日"),
    "KIND": ("text", "markdown", "image", "link", "miniprogram"),
    "QUIET_MODE": ("defer", "skip", "推迟", "跳过"),
    "HOLIDAY_MODE": ("skip", "before", "after", "keep", "跳过", "提前", "顺延", "照常"),
    "METRIC": ("age", "silent", "members", "messages/day"),
    "MONTH_DAY": ("last", "最后一天"),
}

# What each regex terminal is, in the language's own words.
# (Marked for the catalogue; translated where a message uses them.)
TERMINAL_DESCRIPTIONS: dict[str, str] = {
    "WEEKDAY": N_("a weekday (`周一`, `mon`, ...)"),
    "WEEKDAY_RUN": N_("weekdays after one `周` (`周一三五`)"),
    "DAY_TO": N_("`到`, `至`, `~` (a range of days)"),
    "DAY_SET": N_("a set of days (`每天`, `工作日`, `周末`, `节假日`)"),
    "MONTH_DAY": N_("a day of the month (`1`, `15号`, `最后一天`)"),
    "KIND": N_("a message kind (`text`, `markdown`, `image`, `link`, `miniprogram`)"),
    "QUIET_MODE": N_("`defer` or `skip`"),
    "HOLIDAY_MODE": N_("`skip`, `before`, `after` or `keep`"),
    "METRIC": N_("`age`, `silent`, `members` or `messages/day`"),
    "COMPARE": N_("a comparison (`<`, `<=`, `>`, `>=`)"),
    "EVENT": N_("an event such as `member.joined`"),
    "EVENT_ARG": N_("the event's argument (`7d`, a tag, a stage)"),
    "ORDINAL": N_("an occurrence like `2nd` or `第2次`"),
    "ZONE": N_("a time zone such as `Asia/Shanghai`"),
    "DATE": N_("a date like `2026-11-25`"),
    "TIME": N_("a time like `10:00`"),
    "DURATION": N_("a duration like `30m` or `1d12h`"),
    "T_OFFSET": N_("a timeline offset like `T-3h`, `T` or `T+15m`"),
    "OFFSET": N_("an offset like `+0`, `+30m` or `+1d`"),
    "INT": N_("a whole number"),
    "REPEAT_COUNT": N_("how many rounds in all, like `x3`"),
    "NUMBER": N_("a number"),
    "MENTION": N_("a mention like `@all` or `@member`"),
    "NAME": N_("a name"),
    "TAG": N_("a tag"),
    "GROUP_ID": N_("a group id"),
    "BARE_VALUE": N_("a value"),
    "STRING": N_('a quoted text like "..."'),
    "_NL": N_("the end of the line"),
    "$END": N_("the end of the file"),
}

# Expected-sets that mean "the start of a line in block X": described as a whole.
LINE_STARTS: tuple[tuple[str, str], ...] = (
    ("DAY_TO", N_("a time like `10:00`, or more days (`周一到周五`, `周一、周三`)")),
    ("TIMEZONE", N_("a step (`周一 10:00 name \"text\"`), a setting (`to`, `sender`, `quiet`, `cap`, `gap`, "
                    "`active`, `timezone`, `vars`), `run`, `on <event>` or `in stage <stage>`")),
    ("T_OFFSET", N_("a timeline step (`T-10m name \"text\"`)")),
    ("OFFSET", N_("a lifecycle step (`+30m name \"text\"`) or `use <timeline>`")),
    ("OTHERWISE", N_("`when <condition>` or `otherwise`")),
    ("PLAYBOOK", N_("a block: `playbook`, `timeline`, `stages`, `template`, `import` or `test`")),
)

PACKAGE_DIR = Path(__file__).parent.parent  # sopc/, as importlib.resources.files("sopc") names it

BLOCK_WORDS = ("playbook", "timeline", "stages", "template", "import", "test")

T_STEP = re.compile(r"T([+-](\d+[dhms])+)?")
OFFSET_STEP = re.compile(r"\+(0|(\d+[dhms])+)")


def grammar_text() -> str:
    """The grammar, from the installed package or from the source tree."""
    packaged = PACKAGE_DIR / "_data" / "grammar" / "sop.lark"
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    return (Path(__file__).resolve().parents[2] / "grammar" / "sop.lark").read_text(encoding="utf-8")


def _takes_space(node) -> bool:
    """Whether a node counts for the positions of the rule holding it: the
    line break (with the next line's indentation and comments) does not, nor
    do the block marks after it, so a step's span ends at its last word
    instead of on the next line."""
    return not (isinstance(node, Token) and node.type in LAYOUT_TOKENS)


LAYOUT_TOKENS = ("_NL", "_INDENT", "_DEDENT")


# ---- indentation: blocks -------------------------------------------------------------

IDEOGRAPHIC_SPACE = "\u3000"
# A tab in the indentation is an error (E0009): editors show it 2, 4 or 8
# wide, so the block it puts a line in would be a guess. To read on after
# reporting it, it counts as wide as sopc's own diagnostics show it.
TAB_WIDTH = 4


def indent_width(indent: str) -> int:
    """How deep an indentation is, in spaces: a full-width space (what a
    Chinese input method types) counts 2, as wide as every CJK font shows it."""
    return len(indent) + indent.count(IDEOGRAPHIC_SPACE) + indent.count("\t") * (TAB_WIDTH - 1)


def line_indent(text: str) -> str:
    return text[:len(text) - len(text.lstrip(" \t" + IDEOGRAPHIC_SPACE))]


class IndentMismatch(DedentError):
    """A line indented less than the block above it, to a depth no open
    block has (the blocks open there are at ``levels`` spaces)."""

    def __init__(self, line: int, column: int, width: int, levels: tuple[int, ...]):
        super().__init__(f"line {line}: indentation {width} matches none of {levels}")
        self.line, self.column, self.width, self.levels = line, column, width, levels


# The lines indented with a tab, noted by the parse running in this context
# (a context variable, not the indenter's own state: one parser serves every thread).
_TABBED_LINES: ContextVar[set[int] | None] = ContextVar("sop_tabbed_lines", default=None)


class BlockIndenter(Indenter):
    """Lark's Indenter, reading the indentation after each line break (the
    _NL token also holds blank and comment lines, which do not count):
    deeper than the block -> _INDENT, back to an open block's depth -> one
    _DEDENT per closed block, anything else -> :class:`IndentMismatch`."""

    NL_type = "_NL"
    OPEN_PAREN_types: list[str] = []   # no construct runs over several lines but `"""` text, one token
    CLOSE_PAREN_types: list[str] = []
    INDENT_type = "_INDENT"
    DEDENT_type = "_DEDENT"
    tab_len = TAB_WIDTH

    def __repr__(self) -> str:  # stable across processes: it is part of the parser cache key
        return f"{type(self).__qualname__}(tab={TAB_WIDTH}, ideographic=2)"

    def process(self, stream):
        return self._blocks(stream)

    def _blocks(self, stream, levels: list[int] | None = None, at_start: bool = True):
        """The stream with its block marks. ``levels``: the depths of the
        open blocks, kept up to date in place (local to this parse); given
        with ``at_start`` False, where a parse resumed after an error starts
        (see :class:`_Parse`)."""
        tabbed = _TABBED_LINES.get()
        stream = iter(stream)
        if levels is None:
            levels = [0]
        if at_start:
            token = next(stream, None)
            if token is not None and token.type != "_NL" and token.column > 1:
                # the file's first line is indented: deeper than any block
                levels.append(token.column - 1)
                yield _layout(self.INDENT_type, token.line, token.column, token.start_pos)
            stream = itertools.chain((token,), stream) if token is not None else stream
        token = None
        for token in stream:
            yield token
            if token.type != "_NL":
                continue
            # inline, not in a helper generator: this runs once per line
            value = token.value
            indent = value[value.rfind("\n") + 1:]  # the next line's indentation
            width = len(indent)
            if indent.strip(" "):  # not only plain spaces: a tab or a full-width space
                indent = line_indent(indent)
                width = indent_width(indent)
                if "\t" in indent and tabbed is not None:
                    tabbed.add(token.end_line)
            if width == levels[-1]:
                continue
            if width > levels[-1]:
                levels.append(width)
                yield _layout(self.INDENT_type, token.end_line, token.end_column, token.end_pos)
                continue
            if width not in levels:
                raise IndentMismatch(token.end_line, token.end_column, width, tuple(levels))
            while width < levels[-1]:
                levels.pop()
                yield _layout(self.DEDENT_type, token.end_line, token.end_column, token.end_pos)
        while len(levels) > 1:
            levels.pop()
            end = (token.end_line, token.end_column, token.end_pos) if token is not None else (1, 1, 0)
            yield _layout(self.DEDENT_type, *end)


def _layout(kind: str, line: int, column: int, offset: int) -> Token:
    """A block mark, placed where the line it stands before starts."""
    return Token(kind, "", start_pos=offset, line=line, column=column, end_line=line, end_column=column,
                 end_pos=offset)


LARK_OPTIONS = {"parser": "lalr", "lexer": "contextual", "propagate_positions": _takes_space,
                "maybe_placeholders": True, "postlex": BlockIndenter()}


@functools.cache
def lark_parser() -> Lark:
    """The LALR parser of the grammar. Building it (the LALR tables) costs
    about as much as all the rest of a small `sopc check`, so the built
    parser is saved in the user's cache folder and the next process loads it
    from there. The cache only ever saves time: a missing, stale, corrupt or
    unwritable cache file (read-only home, full disk) means building the
    parser, as without a cache."""
    grammar = grammar_text()
    path = parser_cache_path(grammar)
    parser, patterns = _load_parser(path) if path is not None else (None, None)
    if parser is None:
        parser = Lark(grammar, **LARK_OPTIONS)
        if path is not None:
            whole = _pickled(parser)  # before any lexer's scanner is built: those are saved apart, below
            _save_parser(whole, _record_patterns(parser), path)
    elif patterns:
        _use_lexers_re(parser, SavedPatterns(patterns))
    return parser


# ---- the parser cache ---------------------------------------------------------------

def cache_dir() -> Path | None:
    """Where sopc keeps files it can rebuild: $SOPC_CACHE_DIR if set (empty:
    no cache), else the platform's user cache folder. None when there is no
    home to put it in."""
    override = os.environ.get("SOPC_CACHE_DIR")
    if override is not None:
        return Path(override) if override else None
    try:
        if sys.platform == "win32":
            base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
        elif sys.platform == "darwin":
            base = Path.home() / "Library" / "Caches"
        else:
            base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    except RuntimeError:  # no home directory to be found
        return None
    return base / "sopc"


def parser_cache_path(grammar: str) -> Path | None:
    """The cache file for this grammar, keyed by everything the built parser
    depends on: the grammar text, the options, Lark's and Python's versions
    (a pickle of Lark's internals is only valid for the same Lark)."""
    folder = cache_dir()
    if folder is None:
        return None
    options = ",".join(f"{name}={getattr(value, '__qualname__', value)!r}" for name, value in LARK_OPTIONS.items())
    key = "\n".join((grammar, options, lark.__version__, sys.version.split()[0], CACHE_FORMAT))
    return folder / f"sop-parser-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:20]}.lark"


class _ModulesByName(pickle.Pickler):
    """Pickles the built parser object whole. Lark's own ``save``/``load``
    rebuild it from a serialized form with Python loops (~35 ms, a tenth of a
    small `sopc check`); unpickling the object itself takes ~10 ms. Saved by
    name: the ``re`` module it holds (a module cannot be pickled), and the
    parse table's Shift and Reduce, which the parser tells apart by identity."""

    def reducer_override(self, obj):
        if isinstance(obj, types.ModuleType):
            return importlib.import_module, (obj.__name__,)
        if isinstance(obj, lalr_analysis.Action):
            return getattr, (lalr_analysis, obj.name)
        return NotImplemented


BUILD_ONLY = {"grammar": None, "source_grammar": ""}  # what only built the tables: a seventh of the file


def _pickled(parser: Lark) -> bytes:
    """The parser without what only built it (as ``Lark.load`` gives one:
    a loaded parser has no grammar either), so it loads faster."""
    kept = {name: getattr(parser, name) for name in BUILD_ONLY if hasattr(parser, name)}
    buffer = io.BytesIO()
    try:
        for name, empty in BUILD_ONLY.items():
            setattr(parser, name, empty)
        _ModulesByName(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(parser)
    finally:
        for name, value in kept.items():
            setattr(parser, name, value)
    return buffer.getvalue()


def _load_parser(path: Path) -> tuple[Lark | None, dict | None]:
    """The saved parser and its lexers' saved patterns (see
    :class:`SavedPatterns`), or (None, None)."""
    try:
        with path.open("rb") as file:
            parser = pickle.load(file)
            patterns = pickle.load(file)
    except FileNotFoundError:
        return None, None
    except Exception:  # a damaged file fails in any number of ways (pickle, EOF, Lark's own asserts)
        return None, None
    if not (isinstance(parser, Lark) and parser.terminals and isinstance(patterns, dict)):
        return None, None
    parser.source_path = "<deserialized>"  # as Lark.load marks a parser it loads
    return parser, patterns


def _save_parser(parser: bytes, patterns: dict, path: Path) -> None:
    """Write to a temporary file and rename it into place, so a process
    starting at the same moment reads either no file or a whole one."""
    import tempfile  # only when the cache is written: its import costs as much as loading the parser

    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=path.name, suffix=".tmp", delete=False) as file:
            temporary = Path(file.name)
            file.write(parser)
            pickle.dump(patterns, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except Exception:  # unwritable folder, full disk, ...: next time builds again
        if temporary is not None:
            with contextlib.suppress(OSError):
                temporary.unlink()


# ---- the lexers' regular expressions, saved compiled -----------------------------------
# Lark's contextual lexer compiles, for each parser state it meets, one
# regular expression of every terminal the state accepts: ~140 of them, each
# re-parsing the same terminals (~30 ms of a small check; re cannot save a
# compiled pattern). The cache file keeps what re's compiler makes of each
# (the code _sre runs), and the lexers are handed an `re` that makes the
# pattern from it: the same pattern, without compiling it again.

CACHE_FORMAT = "whole-2"  # in the cache key: a file of an earlier layout is not read


class SavedPatterns:
    """The ``re`` module as Lark's lexers use it (``compile``, ``match``,
    ``error``), making the patterns it has saved from their compiled code."""

    error = re.error

    def __init__(self, saved: dict, record: bool = False) -> None:
        self.saved = saved
        self.record = record
        self.made: dict[tuple, re.Pattern] = {}  # each made once: a terminal's is asked for by every lexer

    def compile(self, pattern, flags=0):
        key = (pattern, int(flags))
        made = self.made.get(key)
        if made is None:
            entry = self.saved.get(key)
            made = _from_sre_code(pattern, entry) if entry is not None else None
            if made is None:
                if self.record:
                    self.saved[key] = _sre_code(pattern, int(flags))
                made = re.compile(pattern, flags)
            self.made[key] = made
        return made

    def match(self, pattern, string, flags=0):
        return self.compile(pattern, flags).match(string)


def _sre_code(pattern: str, flags: int) -> tuple:
    """What re._compiler.compile hands _sre.compile for ``pattern`` (Python
    3.11's re; the cache key holds the Python version), with a digest of it:
    _sre refuses some damaged code, not all."""
    from re import _compiler, _parser
    parsed = _parser.parse(pattern, flags)
    code = array("I", _compiler._code(parsed, flags)).tobytes()
    groupindex = dict(parsed.state.groupdict)
    indexgroup = [None] * parsed.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    made = (flags | parsed.state.flags, code, parsed.state.groups - 1, groupindex, tuple(indexgroup))
    return (*made, _digest(pattern, made))


def _digest(pattern: str, made: tuple) -> bytes:
    return hashlib.blake2b(repr((pattern, _sre.MAGIC, made)).encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _from_sre_code(pattern: str, entry: tuple):
    """The compiled pattern, or None when the saved entry is damaged or not
    of this Python."""
    try:
        *made, digest = entry
        if digest != _digest(pattern, tuple(made)):
            return None
        flags, code, groups, groupindex, indexgroup = made
        return _sre.compile(pattern, flags, array("I", code).tolist(), groups, groupindex, indexgroup)
    except Exception:  # noqa: BLE001 (whatever is wrong with it, compile the pattern instead)
        return None


def _lexers(parser: Lark) -> list:
    """Lark's basic lexers inside the contextual lexer (one per set of accepted terminals)."""
    connector = parser.parser.lexer
    contextual = getattr(connector, "lexer", connector)
    found = {id(lexer): lexer for lexer in getattr(contextual, "lexers", {}).values()}
    root = getattr(contextual, "root_lexer", None)
    if root is not None:
        found[id(root)] = root
    return list(found.values())


def _use_lexers_re(parser: Lark, module) -> None:
    for lexer in _lexers(parser):
        if hasattr(lexer, "re"):
            lexer.re = module


def _record_patterns(parser: Lark) -> dict:
    """Build every lexer's scanner once, keeping each pattern's code: what
    the cache file saves for the next process."""
    recorder = SavedPatterns({}, record=True)
    _use_lexers_re(parser, recorder)
    try:
        for lexer in _lexers(parser):
            lexer.scanner  # noqa: B018 (built here, for every state, so all are saved)
    except Exception:  # noqa: BLE001 (nothing saved is no harm: they are compiled as they are met)
        return {}
    finally:
        _use_lexers_re(parser, re)
    return recorder.saved


class InParseBuilder(Protocol):
    """What builds a file's nodes while the parser reduces its rules,
    instead of a tree (:func:`sopc.lang.transform.parse_ast` passes one).
    Recovery from a syntax error goes back to a line break before it, so
    what the builder said after that point is taken back."""

    callbacks: dict  # Lark's rule -> (children -> value), as Lark's own tree builder makes

    def mark(self) -> int:
        """Where the builder's own diagnostics stand now."""

    def rollback(self, mark: int) -> None:
        """Take back the diagnostics said since ``mark``."""

    def finish(self, value, unreadable_audiences: set[int]):
        """The file's result from the start rule's value; ``unreadable_audiences``:
        the lines of the playbooks whose `to` line was broken."""


def parse(text: str, path: str, *, tokens: list[Token] | None = None,
          builder: InParseBuilder | None = None) -> tuple[Tree | None, list[Diagnostic]]:
    """Parse one file. Returns the tree of the lines that parse (broken lines
    are left out, so the rest of the file is still checked) and the syntax
    diagnostics, one per broken line. A playbook whose `to` line is broken
    has ``meta.audience_unreadable`` set, so that later stages do not also
    report it as saying nothing about its groups.

    Input is bounded (README, Limits): a file over ``MAX_SOP_BYTES`` (in
    characters here; the loader counts its bytes) is not parsed, and a line
    over ``MAX_LINE_CHARS`` or a tag expression nested deeper than
    ``MAX_TAG_NESTING`` is reported (E0010) and left out like a broken line.

    ``tokens``: a list that receives every token fed to the parser, block
    marks and line breaks (with their comments) included, for `sopc fmt`;
    exactly the file's tokens when no diagnostic is returned.

    ``builder``: builds the file's result during the parse (see
    :class:`InParseBuilder`); returned instead of the tree."""
    if len(text) > MAX_SOP_BYTES:
        return None, [too_large(path, f"{len(text):,} characters")]
    source = text.replace("\r\n", "\n").replace("\r", "\n")
    if not source.endswith("\n"):
        source += "\n"
    original = _Lines(source.split("\n"))
    diagnostics: list[Diagnostic] = []
    tabbed: set[int] = set()
    context = _TABBED_LINES.set(tabbed)
    try:
        with collector.paused():  # a tree of millions of objects and no cycles
            tree, final = _parse_recovering(original, path, diagnostics, tokens, builder)
    finally:
        _TABBED_LINES.reset(context)
    if tabbed:
        diagnostics.append(_tab_diagnostic(sorted(tabbed), original, path))
        diagnostics.sort(key=lambda d: (d.code == "E0004", d.span.line))  # stable: the rest keep their order
    unreadable = _unreadable_audiences(original, final) if tree is not None and final != original else set()
    if builder is not None:
        return (builder.finish(tree, unreadable) if tree is not None else None), diagnostics
    if unreadable:
        for playbook in tree.find_data("playbook"):
            if playbook.meta.line in unreadable:
                playbook.meta.audience_unreadable = True
    return tree, diagnostics


def too_large(path: str, size: str) -> Diagnostic:
    """E0010 for a file over the size sopc reads (it is not parsed at all);
    ``size`` says how large it is."""
    return error("E0010", _("this file is {size}, over the limit of {limit} for one .sop file").format(
                     size=size, limit=size_text(MAX_SOP_BYTES)),
                 Span.point(path, 1, 1), _("split it into several .sop files (every .sop file in the project is read)"))


def _parse_recovering(original: list[str], path: str, diagnostics: list[Diagnostic],
                      tokens: list[Token] | None = None,
                      builder: InParseBuilder | None = None) -> tuple[Tree | None, list[str]]:
    """Parse, and after each syntax error blank the broken lines (keeping
    every offset) and carry on from the line break before them (see
    :class:`_Parse`): at most MAX_SYNTAX_ERRORS errors. Returns the tree and
    the lines it was parsed from."""
    lines = _Lines(original)
    for index in _overlong_lines(lines)[:MAX_SYNTAX_ERRORS]:
        diagnostics.append(_overlong(lines, index, path))
        width = _width(lines[index])
        _blank_lines(lines, index, lambda number, text: _width(text) > width)
    run = _Parse(tokens, builder)
    changed: int | None = None  # the first line recovery changed (None: parse from the start)
    text = None
    for _attempt in range(MAX_SYNTAX_ERRORS - len(diagnostics)):
        text = lines.text(text)
        try:
            return run.parse(text, changed), lines
        except (UnexpectedInput, IndentMismatch, NestedTooDeep) as exc:
            diagnostic, changed = _diagnose(exc, lines, original, path)
            if diagnostic is not None:
                diagnostics.append(diagnostic)
            if changed is None:
                return None, lines
    diagnostics.append(error("E0004", _("too many syntax errors; stopped after {count}").format(count=MAX_SYNTAX_ERRORS),
                             Span.point(path, 1, 1), _("fix the errors above and run `sopc check` again")))
    return None, lines


# ---- one parse, resumable ----------------------------------------------------------

# A tag expression's nesting, from the tokens: `not` and `(` go one deeper;
# `and` / `or` end a run of `not`s; `)` closes what its `(` opened.
_NESTING_TOKENS = frozenset({"NOT", "LPAR", "RPAR", "AND", "OR", "_NL"})


class NestedTooDeep(Exception):
    """A tag expression nested deeper than MAX_TAG_NESTING (`not not ...`,
    `((...))`): reported and left out, before its tree gets deep enough to
    exhaust the stack of whatever walks it."""

    def __init__(self, token: Token):
        super().__init__(f"line {token.line}: a tag expression nested too deeply")
        self.token = token


@dataclass(slots=True)
class _Checkpoint:
    """The parse just before a line break (the `_NL` token): the parser's
    stacks, the open blocks and where the lexer was."""

    line: int                 # the line the break starts on: lines after it may change
    position: int
    column: int
    states: list
    values: list
    sizes: list[int]          # the number of children of each tree in ``values`` (see _restore)
    levels: list[int]
    said: int                 # the in-parse builder's diagnostics so far (its mark)


class _Parse:
    """Lark's LALR parse of one file, driven token by token so that it can
    carry on after an error. Recovery blanks the broken lines (offsets stay);
    the lines before them are unchanged, so instead of parsing the whole file
    again, the parse goes back to the last line break before the first
    changed line (a few kept in :attr:`checkpoints`) and lexes on from there
    over the new text. Each line is parsed about once, however many errors a
    file has: error recovery is linear in the file's size (it parsed the
    whole file again per error, up to 50 times)."""

    KEPT = 16  # checkpoints kept: recovery changes lines at most a few line breaks back
    # A checkpoint every EVERY line breaks: copying the stacks at each one was
    # 8% of a parse; recovery then parses again at most EVERY - 1 lines more.
    EVERY = 8

    def __init__(self, tokens: list[Token] | None = None, builder: InParseBuilder | None = None):
        interactive = lark_parser().parse_interactive("")
        self._parser = interactive.parser
        self._conf = interactive.parser_state.parse_conf
        if builder is not None:  # its callbacks instead of the tree builder's
            self._conf = copy.copy(self._conf)
            self._conf.callbacks = builder.callbacks
        self._builder = builder
        connector = interactive.lexer_thread.lexer
        self._connector = connector
        self._lexer = getattr(connector, "lexer", connector)  # under the post-lexer, which this drives itself
        self._indenter = BlockIndenter()
        self.checkpoints: collections.deque[_Checkpoint] = collections.deque(maxlen=self.KEPT)
        self.tokens = tokens  # where to keep the tokens fed, if anywhere

    def parse(self, text: str, changed: int | None) -> Tree:
        """The tree of ``text`` (the builder's value, with a builder);
        ``changed``: the index of the first line that differs from the text
        of the previous attempt (None: the first)."""
        checkpoint = self._resume_point(changed)
        counter = LineCounter("\n")
        if checkpoint is None:
            self.checkpoints.clear()
            states, values, levels = None, None, None
        else:
            counter.char_pos, counter.line, counter.column = checkpoint.position, checkpoint.line, checkpoint.column
            counter.line_start_pos = checkpoint.position - checkpoint.column + 1
            states, values, levels = list(checkpoint.states), list(checkpoint.values), list(checkpoint.levels)
            _restore(checkpoint)
        if self._builder is not None:
            self._builder.rollback(checkpoint.said if checkpoint is not None else 0)
        thread = LexerThread(self._connector, LexerState(_text_slice(text), counter))
        state = ParserState(self._conf, thread, states, values)
        at_start = levels is None
        levels = [0] if levels is None else levels
        stream = self._indenter._blocks(self._lex(thread.state, state), levels, at_start)
        if self.tokens is not None:
            stream = _kept(stream, self.tokens)
        try:
            return self._feed(stream, state, levels)
        except UnexpectedInput as exc:
            exc.interactive_parser = InteractiveParser(self._parser, state, thread)  # as Lark's own parse() does
            raise

    def _lex(self, lexer_state: LexerState, parser_state: ParserState):
        """The tokens of the text, as Lark's contextual lexer makes them
        (``ContextualLexer.lex`` over ``BasicLexer.next_token``: the
        patterns of the terminals the parser's state accepts, the ignored
        ones skipped, the keyword callbacks run, the line counter kept),
        in one loop: Lark's takes two method calls, a generator step, a
        property and a tuple per token, and lexing was a third of a parse.
        Where nothing matches, Lark's own lexer raises its error."""
        plans = _lex_plans(self._lexer)
        stack, counter = parser_state.state_stack, lexer_state.line_ctr
        text = getattr(lexer_state.text, "text", lexer_state.text)
        end = getattr(lexer_state.text, "end", len(text))
        make = Token._future_new if hasattr(Token, "_future_new") else Token
        while counter.char_pos < end:
            state = stack[-1]
            plan = plans.get(state)
            if plan is None:
                try:
                    plan = plans[state] = _lex_plan(self._lexer.lexers[state])
                except AttributeError:  # a Lark whose lexers are made otherwise: its own loop
                    yield from self._lexer.lex(lexer_state, parser_state)
                    return
            patterns, ignored, multiline, callbacks = plan
            position = counter.char_pos
            for pattern in patterns:
                match = pattern.match(text, position, end)
                if match:
                    break
            else:
                token = next(self._lexer.lex(lexer_state, parser_state), None)  # raises Lark's error for it
                if token is None:
                    return
                yield token
                continue
            value = match.group(0)
            kind = match.lastgroup
            line, column = counter.line, counter.column
            if kind in multiline:
                breaks = value.count("\n")
                if breaks:
                    counter.line += breaks
                    counter.line_start_pos = position + value.rindex("\n") + 1
            counter.char_pos = position + len(value)
            counter.column = counter.char_pos - counter.line_start_pos + 1
            if kind in ignored and kind not in callbacks:
                continue
            token = make(kind, value, position, line, column, counter.line, counter.column, counter.char_pos)
            if kind in callbacks:
                token = callbacks[kind](token)
            if kind in ignored:
                continue
            lexer_state.last_token = token
            yield token

    def _feed(self, stream, state: ParserState, levels: list[int]) -> Tree:
        """Feed the parser ``stream``'s tokens, keeping checkpoints and
        counting a tag expression's nesting. Each token's shift and the
        reductions before it are Lark's ``ParserState.feed_token``, inline
        (a call and five lookups a token, and an ``assert`` comparing a rule
        in Python a reduction, were ~6% of a parse); a token the state
        does not take goes to Lark's own, which raises its error."""
        feed, checkpoints, nesting = state.feed_token, self.checkpoints, _NESTING_TOKENS
        said = self._builder.mark if self._builder is not None else _nothing_said
        states, callbacks, shift = state.parse_conf.states, state.parse_conf.callbacks, lalr_analysis.Shift
        reductions = _reductions(state.parse_conf)
        state_stack, value_stack = state.state_stack, state.value_stack
        depth, nots = 0, [0]  # ( depth, and the `not`s in a row at each ( level, of the current line
        breaks = 0  # line breaks since the last checkpoint
        token = None
        for token in stream:
            kind = token.type
            if kind in nesting:
                if kind == "_NL":
                    breaks += 1
                    if breaks >= self.EVERY:
                        breaks = 0
                        values = list(state.value_stack)
                        sizes = [len(value.children) if type(value) is Tree else -1 for value in values]
                        checkpoints.append(_Checkpoint(token.line, token.start_pos, token.column,
                                                       list(state.state_stack), values, sizes, list(levels), said()))
                    depth, nots = 0, [0]
                elif kind == "NOT":
                    nots[-1] += 1
                elif kind == "LPAR":
                    depth += 1
                    nots.append(0)
                elif kind == "RPAR":
                    if depth:
                        depth -= 1
                        nots.pop()
                else:
                    nots[-1] = 0
                if depth + sum(nots) > MAX_TAG_NESTING:
                    raise NestedTooDeep(token)
            while True:
                action, target = states[state_stack[-1]].get(kind, _NO_ACTION)
                if action is shift:
                    state_stack.append(target)
                    value_stack.append(token if kind not in callbacks else callbacks[kind](token))
                    break
                if action is None:
                    feed(token)  # raises Lark's UnexpectedToken
                size, name, build = reductions[id(target)]
                if size:
                    children = value_stack[-size:]
                    del state_stack[-size:]
                    del value_stack[-size:]
                else:
                    children = []
                value = build(children) if build is not None else children
                state_stack.append(states[state_stack[-1]][name][1])
                value_stack.append(value)
        end = Token.new_borrow_pos("$END", "", token) if token is not None else Token("$END", "", 0, 1, 1)
        return feed(end, True)

    def _resume_point(self, changed: int | None) -> _Checkpoint | None:
        """The last kept checkpoint before line ``changed`` (an index), dropping
        those after it: their text may be gone. None: start from the top."""
        if changed is None:
            return None
        while self.checkpoints and self.checkpoints[-1].line > changed:
            self.checkpoints.pop()
        return self.checkpoints[-1] if self.checkpoints else None


@functools.lru_cache(maxsize=8)  # one parser a process, as a rule (lark_parser is memoized)
def _lex_plans(contextual) -> dict:
    """The contextual lexer's plans (:func:`_lex_plan`) by parser state, made as states are met."""
    return {}


def _lex_plan(lexer) -> tuple:
    """What :meth:`_Parse._lex` reads of one of Lark's lexers: its patterns
    (its scanner's, built on first use), the ignored and the multi-line
    terminals, and its callbacks (a keyword telling itself from a name)."""
    scanner = lexer.scanner
    return tuple(scanner._mres), lexer.ignore_types, lexer.newline_types, lexer.callback


_NO_ACTION = (None, None)  # a token the parser's state does not take
_REDUCTIONS: dict[tuple[int, int], tuple] = {}  # (id(states), id(callbacks)) -> (them, the rules' reductions)


def _reductions(conf) -> dict[int, tuple]:
    """id(rule) -> (how many values it takes off the stack, the name its
    goto is under as a plain str, its callback or None), for each rule the
    parse table reduces. Lark's rule names are Tokens, and the table's keys
    str: looking a Token up compares it in Python (Token.__eq__), and a
    rule's hash is a Python call too; each was ~1% of a check."""
    key = (id(conf.states), id(conf.callbacks))
    kept = _REDUCTIONS.get(key)
    if kept is None or kept[0] is not conf.states or kept[1] is not conf.callbacks:
        callbacks = conf.callbacks
        rules = {id(rule): rule for actions in conf.states.values() for action, rule in actions.values()
                 if action is not lalr_analysis.Shift}
        reductions = {number: (len(rule.expansion), str(rule.origin.name), callbacks[rule] if callbacks else None)
                      for number, rule in rules.items()}
        if len(_REDUCTIONS) >= 8:
            _REDUCTIONS.clear()
        kept = _REDUCTIONS[key] = (conf.states, conf.callbacks, reductions)
    return kept[2]


def _nothing_said() -> int:
    return 0


def _kept(stream, tokens: list[Token]):
    for token in stream:
        tokens.append(token)
        yield token


def _restore(checkpoint: _Checkpoint) -> None:
    """Take back what the parse after ``checkpoint`` added to the trees on
    its stack. Lark's LALR tree builder, inlining a left-recursive list
    (`_top*`, a block's lines), appends to the children of the tree already
    built instead of copying them; only appends, so cutting each list back
    to its length at the checkpoint restores it."""
    for value, size in zip(checkpoint.values, checkpoint.sizes):
        if size >= 0 and len(value.children) > size:
            del value.children[size:]


def _text_slice(text: str):
    return TextSlice(text, 0, len(text)) if TextSlice is not None else text


def _diagnose(exc: UnexpectedInput | IndentMismatch | NestedTooDeep, lines: list[str], original: list[str],
              path: str) -> tuple[Diagnostic | None, int | None]:
    """The diagnostic for one syntax error (None when it only follows from
    one reported before); blanks the lines to leave out in ``lines`` and
    returns the first it changed (None: nothing changed, so parsing stops)."""
    if isinstance(exc, IndentMismatch):
        diagnostic = _misindented(exc, lines, path)
        changed = _blank_lines(lines, exc.line - 1, lambda number, text: _width(text) >= exc.width
                               and _width(text) not in exc.levels)
        return diagnostic, changed
    if isinstance(exc, NestedTooDeep):
        return _too_deep(exc.token, lines, path), _blank_broken(lines, exc.token.line - 1)
    if isinstance(exc, UnexpectedToken) and exc.token.type == "_INDENT":
        index = exc.token.line - 1
        width = _width(lines[index])
        diagnostic = _indented_too_deep(lines, index, path)
        return diagnostic, _blank_lines(lines, index, lambda number, text: _width(text) >= width)
    if isinstance(exc, UnexpectedToken) and "_INDENT" in set(exc.accepts or exc.expected):
        return _empty_block(exc, lines, original, path)
    diagnostic = syntax_diagnostic(exc, lines, path)
    if diagnostic.code == "E0005":  # an open `"""`: the rest of the file is inside it
        return diagnostic, _blank_from(lines, diagnostic.span.line - 1)
    index = _error_line(exc, lines) - 1
    if not 0 <= index < len(lines) or not lines[index].strip():
        return diagnostic, None
    return diagnostic, _blank_broken(lines, index)


# ---- recovery --------------------------------------------------------------------

def _error_line(exc: UnexpectedInput, lines: list[str]) -> int:
    line = getattr(exc, "line", -1)
    if isinstance(exc, UnexpectedToken) and exc.token.type == "$END":
        return len(lines) - 1
    return line if line and line > 0 else len(lines) - 1


def _blank_broken(lines: _Lines, index: int) -> int | None:
    """Blank a broken line: it takes the lines indented under it along
    (without it they would only cause follow-on errors)."""
    width = _width(lines[index])
    return _blank_lines(lines, index, lambda number, text: _width(text) > width)


def _blank_from(lines: _Lines, index: int) -> int | None:
    """Blank every line from ``index`` on; returns the first that changed."""
    changed = None
    for number in range(max(index, 0), len(lines)):
        if lines.blank(number) and changed is None:
            changed = number
    return changed


def _blank_lines(lines: _Lines, index: int, goes_along: Callable[[int, str], bool]) -> int | None:
    """Blank line ``index`` (keeping offsets) and the lines after it that
    ``goes_along(number, text)`` says go with it, up to the first that does
    not; blank and comment lines are not asked, and a `\"\"\"` text that a
    blanked line opens is blanked to its end. Changes ``lines`` in place and
    returns the first line that changed (None: none did)."""
    in_text = False
    changed = None
    number = index
    while number is not None and number < len(lines):
        text = lines[number]
        if not in_text and number > index:
            if not _is_code(text):
                number = lines.next_code(number)
                continue
            if not goes_along(number, text):
                break
        in_text ^= text.count('\"\"\"') % 2 == 1
        if lines.blank(number) and changed is None:
            changed = number
        number += 1
    return changed


class _Lines(list):
    """The lines of a file, with an index of the ones holding code, built on
    first use: recovery's scans jump over runs of blank and comment lines
    (and lines already blanked) by bisection instead of a step per line,
    so a file of a million blank lines costs one pass, not one per error.
    The index goes stale as recovery blanks lines; a stale entry is dropped
    the first time a scan meets it."""

    __slots__ = ("_code", "_starts", "_dirty")

    def __init__(self, lines=()):
        super().__init__(lines)
        self._code: list[int] | None = None
        self._starts: list[int] | None = None       # where each line starts in the text
        self._dirty: tuple[int, int] | None = None  # the first and last line blanked since :meth:`text`

    def blank(self, number: int) -> bool:
        """Blank a line, keeping its length (so every offset stays); whether it changed."""
        text = self[number]
        blank = " " * len(text)
        if text == blank:
            return False
        self[number] = blank
        low, high = self._dirty or (number, number)
        self._dirty = (min(low, number), max(high, number))
        return True

    def text(self, previous: str | None) -> str:
        """The lines as one text; ``previous``: the text of the last call,
        into which only the blanked lines are copied (not the whole file again)."""
        if previous is None or self._dirty is None:
            self._dirty = None
            return previous if previous is not None else "\n".join(self)
        if self._starts is None:
            self._starts = list(itertools.accumulate((len(line) + 1 for line in self), initial=0))
        low, high = self._dirty
        self._dirty = None
        return previous[:self._starts[low]] + "\n".join(self[low:high + 1]) + previous[self._starts[high + 1] - 1:]

    def _index(self) -> list[int]:
        if self._code is None:
            self._code = [number for number, text in enumerate(self) if _is_code(text)]
        return self._code

    def next_code(self, index: int) -> int | None:
        """The first line after ``index`` with code on it."""
        code = self._index()
        start = position = bisect.bisect_right(code, index)
        while position < len(code) and not _is_code(self[code[position]]):
            position += 1
        del code[start:position]
        return code[start] if start < len(code) else None

    def previous_code(self, index: int) -> int | None:
        """The last line before ``index`` with code on it."""
        code = self._index()
        end = position = bisect.bisect_left(code, index)
        while position > 0 and not _is_code(self[code[position - 1]]):
            position -= 1
        del code[position:end]
        return code[position - 1] if position > 0 else None


def _is_code(text: str) -> bool:
    """Whether a line holds more than blanks and a comment (it then has an indentation that counts)."""
    stripped = text.strip(" \t" + IDEOGRAPHIC_SPACE)
    return bool(stripped) and not stripped.startswith("#")


def _width(text: str) -> int:
    return indent_width(line_indent(text))


# How many code lines a scan for the block a line is in looks back: a
# message names that block, and an absurd block (100,000 lines of a
# hostile file) must not make each error cost a pass over it.
SCAN_LIMIT = 5000


def _previous_code_line(lines: _Lines, index: int, below: int | None = None) -> int | None:
    """The nearest line above ``index`` with code on it (indented less than
    ``below``, if given: then at most SCAN_LIMIT code lines up)."""
    number = lines.previous_code(index)
    for _step in range(SCAN_LIMIT):
        if number is None or below is None or _width(lines[number]) < below:
            return number
        number = lines.previous_code(number)
    return None


def _unreadable_audiences(original: _Lines, final: list[str]) -> set[int]:
    """The lines (from 1) of the playbooks whose `to` line recovery blanked."""
    headers = set()
    number = original.next_code(-1)
    while number is not None:  # code lines only: a file of blank lines is not walked line by line
        before, after = original[number], final[number]
        if before != after and before.split()[:1] == ["to"]:
            header = _previous_code_line(original, number, below=_width(before))
            if header is not None and original[header].split()[:1] == ["playbook"]:
                headers.add(header + 1)
        number = original.next_code(number)
    return headers


# ---- limits ----------------------------------------------------------------------

def _overlong_lines(lines: list[str]) -> list[int]:
    """The lines longer than MAX_LINE_CHARS (found at C speed: almost every file has none)."""
    if max(map(len, lines), default=0) <= MAX_LINE_CHARS:
        return []
    return [index for index, text in enumerate(lines) if len(text) > MAX_LINE_CHARS]


def _overlong(lines: list[str], index: int, path: str) -> Diagnostic:
    text = lines[index]
    start = len(line_indent(text)) + 1
    span = Span(path=path, line=index + 1, column=start, end_line=index + 1, end_column=start + 1)
    return error("E0010", _("this line is {length} characters long, over the limit of {limit}").format(
                     length=f"{len(text):,}", limit=f"{MAX_LINE_CHARS:,}"),
                 span, _("a message that long is over every sender's limit: shorten it, or move the text "
                         "into a template file"))


def _too_deep(token: Token, lines: list[str], path: str) -> Diagnostic:
    return error("E0010", _("this tag expression nests `not` and parentheses more than {depth} deep").format(
                     depth=MAX_TAG_NESTING),
                 token_span(token, path), _("write it flatter: `not not x` is `x`, and `((a))` is `a`; "
                                            "`and` / `or` chains may be as long as needed"))


# ---- indentation messages ---------------------------------------------------------

def _misindented(exc: IndentMismatch, lines: list[str], path: str) -> Diagnostic:
    """E0007: a line that goes back to a depth no open block has."""
    index = exc.line - 1
    deeper = min(level for level in exc.levels if level > exc.width)
    shallower = max(level for level in exc.levels if level < exc.width)
    if IDEOGRAPHIC_SPACE in line_indent(lines[index]):
        message = _("this line is indented {width} spaces (a full-width space counts as two), "
                    "which lines up with no open block")
    else:
        message = _("this line is indented {width} spaces, which lines up with no open block")
    keep = _("indent it {deeper} spaces to keep it in {block}").format(
        deeper=deeper, block=_block_at(lines, index, deeper))
    if shallower:
        hint = _("{keep}, or {shallower} spaces to put it in {block}").format(
            keep=keep, shallower=shallower, block=_block_at(lines, index, shallower))
    else:
        hint = _("{keep}, or none to start a new block at the left margin").format(keep=keep)
    return error("E0007", message.format(width=exc.width), _first_word_span(lines, index, path), hint)


def _block_at(lines: list[str], index: int, level: int) -> str:
    header = _previous_code_line(lines, index, below=level)
    if header is None:
        return _("its block")
    return _("`{label}` (line {line})").format(label=_label(lines[header]), line=header + 1)


def _indented_too_deep(lines: list[str], index: int, path: str) -> Diagnostic:
    """E0007: a line indented deeper than the line above, which opens no block."""
    span = _first_word_span(lines, index, path)
    above = _previous_code_line(lines, index)
    if above is None:
        return error("E0007", _("the file's first line is indented"), span,
                     _("start it at the left margin: blocks (`playbook`, `timeline`, `stages`, `template`, "
                       "`import`) start there"))
    width = _width(lines[above])
    if width:
        hint = _("indent it {width} spaces, like line {line}; only `playbook`, `timeline`, `stages`, "
                 "`on <event>` and `in stage` lines have lines indented under them").format(width=width, line=above + 1)
    else:
        hint = _("start it at the left margin, like line {line}; only `playbook`, `timeline`, `stages`, "
                 "`on <event>` and `in stage` lines have lines indented under them").format(line=above + 1)
    return error("E0007", _("this line is indented deeper than line {line} (`{excerpt}`), "
                            "which does not open a block").format(line=above + 1, excerpt=_excerpt(lines[above])),
                 span, hint)


def _empty_block(exc: UnexpectedToken, lines: list[str], original: list[str],
                 path: str) -> tuple[Diagnostic | None, int | None]:
    """E0006: a block header with nothing indented under it. The lines right
    after it, at its own indentation, that could only be its body (say, a
    playbook's settings written at the left margin) go with it, and the hint
    says to indent them. Not reported when the block was not written empty
    (its lines were broken, and blanked after their own diagnostics)."""
    line = len(lines) if exc.token.type == "$END" else exc.token.line
    header = _previous_code_line(lines, line - 1)
    if header is None:  # cannot happen: only a header makes the parser want an indented line
        return syntax_diagnostic(exc, lines, path), None
    width = _width(lines[header])
    written = _next_code_line(original, header)
    if written is not None and _width(original[written]) > width:
        return None, _blank_lines(lines, header, lambda number, text: False)
    starts = _body_starts(exc)
    unindented: list[int] = []

    def belongs(number: int, text: str) -> bool:
        if _width(text) == width and _could_start(text, starts):
            unindented.append(number + 1)
            return True
        return bool(unindented) and _width(text) > width  # indented under a line that belongs

    label, span = _label(lines[header]), _code_span(lines, header, path)
    changed = _blank_lines(lines, header, belongs)
    if len(unindented) == 1:
        hint = _("line {line} below is not indented, so not in it: indent it deeper than `{label}`, "
                 "e.g. by two more spaces").format(line=unindented[0], label=label)
    elif unindented:
        hint = _("lines {first}-{last} below are not indented, so not in it: indent them deeper than `{label}`, "
                 "e.g. by two more spaces").format(first=unindented[0], last=unindented[-1], label=label)
    else:
        hint = _("write the lines that belong to `{label}` under it, indented deeper (e.g. by two spaces), "
                 "or delete it").format(label=label)
    return error("E0006", _("`{label}` has nothing indented under it").format(label=label), span, hint), changed


def _next_code_line(lines: _Lines, index: int) -> int | None:
    return lines.next_code(index)


def _body_starts(exc: UnexpectedToken) -> set[str]:
    """The terminals a line indented under the header could start with: the
    grammar's answer, from the parser state at the error."""
    state = exc.interactive_parser.parser_state
    conf = copy.copy(state.parse_conf)
    conf.callbacks = {}  # no trees built: nothing of the real parse is touched, and nothing is deep-copied
    probe = ParserState(conf, state.lexer, list(state.state_stack), list(state.value_stack))
    probe.feed_token(Token("_INDENT", ""))
    return InteractiveParser(exc.interactive_parser.parser, probe, exc.interactive_parser.lexer_thread).accepts()


def _could_start(text: str, starts: set[str]) -> bool:
    """Whether a line starts with one of these terminals (and is not a new top-level block)."""
    code = text.strip(" \t" + IDEOGRAPHIC_SPACE)
    if code.split()[:1] and code.split()[0] in BLOCK_WORDS:
        return False
    for terminal in lark_parser().terminals:
        if terminal.name not in starts:
            continue
        if isinstance(terminal.pattern, PatternStr):
            word = terminal.pattern.value
            if code.startswith(word) and not (word[-1].isalnum() and code[len(word):len(word) + 1].isalnum()):
                return True
        elif re.match(terminal.pattern.to_regexp(), code):
            return True
    return False


def _tab_diagnostic(tabbed: list[int], lines: list[str], path: str) -> Diagnostic:
    """E0009, once per file, at the first line indented with a tab."""
    more = len(tabbed) - 1
    hint = _("indent with spaces: editors show a tab 2, 4 or 8 spaces wide, so the block it puts a line in "
             "would be a guess (a full-width space is fine: it counts as two)")
    if more:
        hint += ngettext("; {count} more line of this file is indented with tabs",
                         "; {count} more lines of this file are indented with tabs", more).format(count=more)
    return error("E0009", _("this line is indented with a tab"), _first_word_span(lines, tabbed[0] - 1, path), hint)


def _label(text: str) -> str:
    """A header or line named in a message: its first two words."""
    return " ".join(_code_of(text).split()[:2])


def _excerpt(text: str, limit: int = 30) -> str:
    code = _code_of(text).strip(" \t" + IDEOGRAPHIC_SPACE)
    return code if len(code) <= limit else code[:limit - 1] + "…"


def _code_of(text: str) -> str:
    """The line without its comment (a `#` inside quotes is text, not a comment)."""
    quote = None
    for position, char in enumerate(text):
        if quote:
            if char == quote or (quote == "\u201c" and char == "\u201d"):
                quote = None
        elif char in ('"', "\u201c"):
            quote = char
        elif char == "#":
            return text[:position].rstrip()
    return text.rstrip()


def _code_span(lines: list[str], index: int, path: str) -> Span:
    text = lines[index]
    start = len(line_indent(text)) + 1
    return Span(path=path, line=index + 1, column=start, end_line=index + 1,
                end_column=max(start + 1, len(_code_of(text)) + 1))


def _first_word_span(lines: list[str], index: int, path: str) -> Span:
    text = lines[index]
    start = len(line_indent(text))
    end = start
    while end < len(text) and not text[end].isspace():
        end += 1
    return Span(path=path, line=index + 1, column=start + 1, end_line=index + 1, end_column=max(end, start + 1) + 1)


# ---- messages ---------------------------------------------------------------------

def syntax_diagnostic(exc: UnexpectedInput, lines: list[str], path: str) -> Diagnostic:
    """The diagnostic for a syntax error in the text of ``lines``."""
    if isinstance(exc, UnexpectedToken):
        return _unexpected_token(exc, lines, path)
    if isinstance(exc, UnexpectedCharacters):
        return _unexpected_character(exc, lines, path)
    line = max(1, getattr(exc, "line", 1) or 1)
    return error("E0001", _("this line cannot be read"), Span.point(path, line, 1))


def _unexpected_token(exc: UnexpectedToken, lines: list[str], path: str) -> Diagnostic:
    token = exc.token
    expected = set(exc.accepts or exc.expected)
    if token.type == "$END":
        last = _last_written_line(lines)
        return error("E0001", _("the file ended early: expected {expected}").format(
                         expected=describe_expected(expected)), Span.point(path, last, 1))
    words = {_literal_of(name) for name in expected if name.startswith("__ANON")} - {None}
    from sopc.lang.day_forms import day_form_problem  # here: only a syntax error needs it (and its five patterns)

    day_problem = day_form_problem(token, expected | words, lines, path)
    if day_problem is not None:
        return day_problem
    span = token_span(token, path)
    found = _("the end of the line") if token.type == "_NL" else f"`{_shown(str(token.value))}`"
    message = _("expected {expected}, found {found}").format(expected=describe_expected(expected), found=found)
    if expected - {"_DEDENT"} == {"NAME"} and _starts_line(lines, token):  # only a line in `stages` starts so
        message = _("expected a stage rule (`新群 when age < 7d`, `老群 otherwise`), found {found}").format(found=found)
    hint = _hint_for(token, expected, lines)
    if "OFFSET" in expected and _is_schedule_step(lines, token):
        message = _("a schedule step cannot be indented under `on <event>`: the steps of an event start with the "
                    "time after it, like `+0` or `+1d at 10:00`")
    elif "OFFSET" in expected and T_STEP.fullmatch(str(token.value)):
        message = _("`{value}` is a timeline offset; a step under `on <event>` starts with `+`, e.g. `+1h`").format(
            value=token.value)
    elif "TIMEZONE" in expected and T_STEP.fullmatch(str(token.value)):
        message = _("`{value}` starts a timeline step, which cannot be written inside a playbook").format(
            value=token.value)
    elif "PLAYBOOK" in expected and token.column == 1 and hint and any(f"`{w}`" in hint for w in BLOCK_WORDS):
        message = _("unknown block `{value}`: a line at the left margin starts a block "
                    "(`playbook`, `timeline`, `stages`, `template`, `import` or `test`)").format(value=token.value)
    value = str(token.value)
    offset = next((i for i, c in enumerate(value) if c in FULLWIDTH), None) if _may_be_fullwidth(token) else None
    if offset is not None:
        # Point at the full-width character itself and show the line's fix.
        char = value[offset]
        column = token.column + offset
        span = Span(path=path, line=token.line, column=column, end_line=token.line, end_column=column + 1)
        fixed = "".join(FULLWIDTH.get(c, c) for c in value)
        message = _("`{value}` contains a full-width `{char}`; expected {expected}").format(
            value=value, char=char, expected=describe_expected(expected))
        hint = _("write the ASCII `{ascii}` instead: `{fixed}`").format(ascii=FULLWIDTH[char], fixed=fixed)
    if token.type == "_NL" and not hint:
        hint = _("this line stops too early; see the language tour in README.md for its full form")
    return error("E0001", message, span, hint)


def _unexpected_character(exc: UnexpectedCharacters, lines: list[str], path: str) -> Diagnostic:
    char = exc.char
    span = Span(path=path, line=exc.line, column=exc.column, end_line=exc.line, end_column=exc.column + 1)
    if char == '"':
        line_text = lines[exc.line - 1] if 0 < exc.line <= len(lines) else ""
        if line_text[max(0, exc.column - 3):exc.column] == '"""':
            start = Span(path=path, line=exc.line, column=exc.column - 2, end_line=exc.line, end_column=exc.column + 1)
            return error("E0005", _('this `"""` text is never closed'), start,
                         _('end it with `"""` (the text may run over several lines)'))
        return error("E0003", _("this text has no closing `\"`"), span, _('end the text on the same line with `"`, '
                                                                         'or use `"""` ... `"""` for text over several lines'))
    hint = _fullwidth_hint(char)
    allowed = set(exc.allowed or ())
    if allowed:
        message = _("unexpected character `{char}`: expected {expected}").format(
            char=char, expected=describe_expected(allowed))
    else:
        message = _("unexpected character `{char}`: this character is not allowed here").format(char=char)
    return error("E0002", message, span, hint)


def describe_expected(expected: set[str]) -> str:
    for marker, description in LINE_STARTS:
        if marker in expected:
            return _(description)
    # a block mark is never what to write: the line's own words are
    words = sorted({_describe_terminal(name) for name in expected - {"_INDENT", "_DEDENT"} if _describe_terminal(name)})
    if not words:
        return _("something else")
    if len(words) > 6:
        words = words[:6] + ["..."]
    if len(words) == 1:
        return words[0]
    return _("{words} or {last}").format(words=pgettext("list", ", ").join(words[:-1]), last=words[-1])


def _describe_terminal(name: str) -> str | None:
    if name in TERMINAL_DESCRIPTIONS:
        return _(TERMINAL_DESCRIPTIONS[name])
    literal = _literal_of(name)
    return f"`{literal}`" if literal is not None else None


def _literal_of(name: str) -> str | None:
    terminal = next((t for t in lark_parser().terminals if t.name == name), None)
    if terminal is not None and isinstance(terminal.pattern, PatternStr):
        return terminal.pattern.value
    return None


def _vocabulary(expected: set[str]) -> list[str]:
    words: list[str] = []
    for name in expected:
        words.extend(TERMINAL_WORDS.get(name, ()))
        literal = _literal_of(name)
        if literal and literal.isalpha():
            words.append(literal)
    if "TIMEZONE" in expected or "T_OFFSET" in expected or "OFFSET" in expected:
        words.extend(BLOCK_WORDS)
    return words


SCHEDULE_WORDS = ("monthly", "每月", "every", "cron")


def _is_schedule_step(lines: list[str], token: Token) -> bool:
    """Whether the token starts a line that reads as a weekly, monthly, every-N-days or cron step."""
    if not _starts_line(lines, token):
        return False
    line = lines[token.line - 1]
    return _could_start(line, {"WEEKDAY", "WEEKDAY_RUN", "DAY_SET"}) or line.split()[0] in SCHEDULE_WORDS


def _starts_line(lines: list[str], token: Token) -> bool:
    """Whether the token is the first on its line."""
    if token.type in ("_NL", "$END") or not 0 < token.line <= len(lines) - 1:
        return False
    return not lines[token.line - 1][:token.column - 1].strip()


def _may_be_fullwidth(token: Token) -> bool:
    """Whether a full-width character in the token is a typo for ASCII
    punctuation: not inside quoted text, not in a comment."""
    return token.type not in ("_NL", "STRING") and "\n" not in str(token.value)


def _hint_for(token: Token, expected: set[str], lines: list[str]) -> str | None:
    value = str(token.value)
    fullwidth = next((c for c in value if c in FULLWIDTH), None) if _may_be_fullwidth(token) else None
    if fullwidth:
        return _fullwidth_hint(fullwidth)
    repeat_hint = _repeat_hint(token, expected, lines) or _stage_limit_hint(token, expected, lines)
    if repeat_hint:
        return repeat_hint
    if "OFFSET" in expected and _is_schedule_step(lines, token):
        return _("to post on this schedule to every group of the playbook, move the line out of the event: indent it "
                 "like the `on` line; to send it after the event, start it with an offset such as `+1d at 10:00`")
    if "OFFSET" in expected and T_STEP.fullmatch(value):
        return _("write `+{offset}` (the time after the event), or put the steps in a `timeline` "
                 "and write `use <timeline>` under the event").format(offset=value[2:] or "0")
    if "TIMEZONE" in expected and T_STEP.fullmatch(value):
        return _("move it into a `timeline` block (e.g. `timeline flash_sale`), and start that timeline from the "
                 "playbook with a line like `run flash_sale at 2026-12-12 20:00 in group hz_001`")
    if "TIMEZONE" in expected and OFFSET_STEP.fullmatch(value):
        return _("`+30m`-style steps belong indented under an event, e.g. under `on member.joined`")
    if {"AND", "OR"} <= expected and token.type != "_NL":
        return _tag_expression_hint(token, lines)
    if expected <= {"_NL", "_DEDENT"} and token.type != "_NL" and _after_to_member(lines, token):
        return _("`to member` comes last on the line, after the mentions and `key=value` variables")
    kind_before = _kind_word_before(token, lines)
    if kind_before and value.startswith("="):
        return _("`{kind}` starts a part here (`link url=... title=...`, `miniprogram appid=...`): a step "
                 "variable cannot be named text, markdown, image, link or miniprogram; rename it").format(kind=kind_before)
    form = SETTING_FORMS.get(_first_word(lines, token))
    if form is not None:
        return _(form)
    if token.type != "_NL":
        suggestion = did_you_mean(value, _vocabulary(expected))
        if suggestion:
            return suggestion
    if "TIME" in expected and token.type != "_NL":
        return _("write times as HH:MM, e.g. `09:30`")
    if "STRING" in expected and token.type in ("NAME", "TAG", "GROUP_ID", "BARE_VALUE"):
        return _('put message text in double quotes: "{value} ..."').format(value=value)
    return None


def _after_to_member(lines: list[str], token: Token) -> bool:
    """Whether ``token`` comes right after a `to member` (`to 成员`)."""
    before = lines[token.line - 1][:token.column - 1].split()
    return before[-2:] in (["to", "member"], ["to", "成员"])
def _kind_word_before(token: Token, lines: list[str]) -> str | None:
    """The message kind written just before ``token`` on its line (`link` in `"..." link=1`), if any."""
    line, column = getattr(token, "line", None), getattr(token, "column", None)
    if not line or not column or line > len(lines):
        return None
    before = lines[line - 1][:column - 1].rstrip()
    return next((kind for kind in TERMINAL_WORDS["KIND"] if before.endswith(kind) and
                 not (before[:-len(kind)][-1:].isalnum() or before[:-len(kind)][-1:] == "_")), None)


REPEAT_WORD = re.compile(r"[xX×]\d+")
STAGE_BLOCK = re.compile(r"[ \t\u3000]*in[ \t\u3000]+stages?\b")


def _stage_limit_hint(token: Token, expected: set[str], lines: list[str]) -> str | None:
    """`in 成熟期` for `in stage 成熟期`; a trigger or a launch indented under `in stage`."""
    if token.type in ("_NL", "$END") or not 0 < token.line <= len(lines):
        return None
    value = str(token.value)
    if "STAGE" in expected and "WEEKDAY" not in expected:
        return _("write `in stage {value}`: the word `stage`, then the stage (or several: "
                 "`in stage 沉默期, 流失期`)").format(value=value)
    if "WEEKDAY" in expected and "TIMEZONE" not in expected and _under_stage_block(lines, token.line - 1):
        return _("only schedule steps (`每天 10:00 name \"text\"`) go under `in stage`; to limit triggers or "
                 "launches by stage, limit the whole playbook: `to groups tagged 福利群 in stage 成熟期`")
    return None


def _under_stage_block(lines: list[str], index: int) -> bool:
    """Whether the line at ``index`` is indented under an `in stage` line (looked for a few lines up)."""
    width = _width(lines[index])
    for above in range(index - 1, max(-1, index - 200), -1):
        text = lines[above]
        if not text.strip() or text.lstrip().startswith("#") or _width(text) >= width:
            continue
        return bool(STAGE_BLOCK.match(text))
    return False


def _repeat_hint(token: Token, expected: set[str], lines: list[str]) -> str | None:
    """A repeat written without its interval (`T+15m x3 lottery`), or a
    recurring launch's window written both before `in` and at the end."""
    if token.type in ("_NL", "$END") or not 0 < token.line <= len(lines):
        return None
    before = lines[token.line - 1][:token.column - 1].split()
    if expected == {"REPEAT_COUNT"}:
        return _("after how often, write how many times in all: `{every} x3` sends it 3 times").format(
            every=" ".join(before[-2:]))
    if "STRING" in expected and len(before) >= 2 and REPEAT_WORD.fullmatch(before[-1]):
        return _("a repeat says how often, then how many times: `every 15m {count}` after the step's time").format(
            count=before[-1])
    if expected == {"_NL"} and str(token.value) in ("from", "until", "to") and "every" in before:
        return _("write a recurring launch's `from` / `until` once: before `in`, or at the end of the line")
    return None


# How a setting line is written in full, for a line that starts with it and breaks.
SETTING_FORMS = {
    "posts": N_("write `posts 3-6/day`: at least 3 and at most 6 posts a day in each group (for a maximum only, "
                "`cap 6/day`)"),
    "peaks": N_("write `peaks 09:00-11:00, 14:00-18:00`: the hours members read the group, HH:MM-HH:MM, "
                "joined by `,`"),
}


def _first_word(lines: list[str], token: Token) -> str:
    """The first word of the token's line."""
    if not 0 < token.line <= len(lines):
        return ""
    words = lines[token.line - 1].split()
    return words[0] if words else ""


def _tag_expression_hint(token: Token, lines: list[str]) -> str:
    line = lines[token.line - 1]
    before = line[:token.column - 1].split()
    if before and before[-1] in ("stage", "stages", "阶段"):
        return _("a stage is not a tag: write `in stage {stage}` after the groups, e.g. "
                 "`to groups tagged 福利群 in stage {stage}` (sends only while a group is in it); "
                 "to act when a group reaches a stage, write `on group.stage <stage>` with its steps under it").format(
                     stage=_shown(str(token.value)))
    return _("a tag is one word; join tags with `and`, `or`, `not` and parentheses, "
             "e.g. `groups tagged 福利群 and not city:上海`")


FULLWIDTH = {"：": ":", "，": ",", "（": "(", "）": ")", "＝": "=", "＠": "@", "＋": "+", "－": "-", "＂": '"'}


def _shown(value: str, limit: int = 40) -> str:
    """A token as a message quotes it: its first line, cut short when long
    (a message never repeats a 60,000-character line or a whole text)."""
    first = value.split("\n", 1)[0]
    if len(first) > limit:
        return first[:limit - 1] + "…"
    return first + "…" if first != value else value


def _last_written_line(lines: list[str]) -> int:
    """The number of the last line with anything on it (1 for an empty file)."""
    index = len(lines)
    while index > 1 and not lines[index - 1]:
        index -= 1
    return index


def _fullwidth_hint(char: str) -> str | None:
    if char in FULLWIDTH:
        return _("`{char}` is a full-width character; write the ASCII `{ascii}` instead").format(
            char=char, ascii=FULLWIDTH[char])
    return None


def token_span(token: Token, path: str) -> Span:
    end_line = token.end_line or token.line
    end_column = token.end_column or token.column + max(1, len(str(token.value)))
    if token.type == "_NL":  # point at the end of the line, not the next one
        end_line, end_column = token.line, token.column + 1
    return Span(path=path, line=token.line, column=token.column, end_line=end_line, end_column=end_column)
