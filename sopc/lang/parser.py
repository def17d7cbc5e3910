"""Stage 1, parse: .sop text -> Lark parse tree, plus syntax diagnostics.

The grammar file (``grammar/sop.lark``) is the only definition of the syntax.
Indentation makes blocks: :class:`BlockIndenter` (Lark's Indenter post-lexer)
turns it into the grammar's _INDENT / _DEDENT tokens. Errors are reported in
the language's own words, never with grammar-internal terminal names, and
parsing recovers line by line so one run reports every broken line instead
of stopping at the first.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import os
import re
import sys
from contextvars import ContextVar
from importlib import resources
from pathlib import Path
from typing import Callable

import lark
from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.indenter import DedentError, Indenter
from lark.lexer import PatternStr

from sopc.core.diagnostics import Diagnostic, Span, did_you_mean, error

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
    "DAY_SET": ("daily", "每天", "workdays", "工作日", "weekends", "周末", "holidays", "节假日"),
    "KIND": ("text", "markdown", "image", "link"),
    "QUIET_MODE": ("defer", "skip", "推迟", "跳过"),
    "HOLIDAY_MODE": ("skip", "before", "after", "keep", "跳过", "提前", "顺延", "照常"),
    "METRIC": ("age", "silent"),
    "MONTH_DAY": ("last", "最后一天"),
}

# What each regex terminal is, in the language's own words.
TERMINAL_DESCRIPTIONS: dict[str, str] = {
    "WEEKDAY": "a weekday (`周一`, `mon`, ...)",
    "DAY_SET": "a set of days (`每天`, `工作日`, `周末`, `节假日`)",
    "MONTH_DAY": "a day of the month (`1`, `15号`, `最后一天`)",
    "KIND": "a message kind (`text`, `markdown`, `image`, `link`)",
    "QUIET_MODE": "`defer` or `skip`",
    "HOLIDAY_MODE": "`skip`, `before`, `after` or `keep`",
    "METRIC": "`age` or `silent`",
    "COMPARE": "a comparison (`<`, `<=`, `>`, `>=`)",
    "EVENT": "an event such as `member.joined`",
    "EVENT_ARG": "the event's argument (`7d`, a tag, a stage)",
    "ZONE": "a time zone such as `Asia/Shanghai`",
    "DATE": "a date like `2026-11-25`",
    "TIME": "a time like `10:00`",
    "DURATION": "a duration like `30m` or `1d12h`",
    "T_OFFSET": "a timeline offset like `T-3h`, `T` or `T+15m`",
    "OFFSET": "an offset like `+0`, `+30m` or `+1d`",
    "INT": "a whole number",
    "NUMBER": "a number",
    "MENTION": "a mention like `@all` or `@member`",
    "NAME": "a name",
    "TAG": "a tag",
    "GROUP_ID": "a group id",
    "BARE_VALUE": "a value",
    "STRING": 'a quoted text like "..."',
    "_NL": "the end of the line",
    "$END": "the end of the file",
}

# Expected-sets that mean "the start of a line in block X": described as a whole.
LINE_STARTS: tuple[tuple[str, str], ...] = (
    ("TIMEZONE", "a step (`周一 10:00 name \"text\"`), a setting (`to`, `sender`, `quiet`, `cap`, `gap`, "
                 "`active`, `timezone`, `vars`), `run` or `on <event>`"),
    ("T_OFFSET", "a timeline step (`T-10m name \"text\"`)"),
    ("OFFSET", "a lifecycle step (`+30m name \"text\"`) or `use <timeline>`"),
    ("OTHERWISE", "`when <condition>` or `otherwise`"),
    ("PLAYBOOK", "a block: `playbook`, `timeline`, `stages`, `template` or `import`"),
)

BLOCK_WORDS = ("playbook", "timeline", "stages", "template", "import")

T_STEP = re.compile(r"T([+-](\d+[dhms])+)?")
OFFSET_STEP = re.compile(r"\+(0|(\d+[dhms])+)")


def grammar_text() -> str:
    """The grammar, from the installed package or from the source tree."""
    packaged = resources.files("sopc").joinpath("_data/grammar/sop.lark")
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

    def _blocks(self, stream):
        levels = [0]  # the depths of the open blocks, local to this parse
        tabbed = _TABBED_LINES.get()
        stream = iter(stream)
        token = next(stream, None)
        if token is not None and token.type != "_NL" and token.column > 1:
            # the file's first line is indented: deeper than any block
            levels.append(token.column - 1)
            yield _layout(self.INDENT_type, token.line, token.column, token.start_pos)
        tokens = itertools.chain((token,), stream) if token is not None else stream
        for token in tokens:
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
    parser = _load_parser(path) if path is not None else None
    if parser is None:
        parser = Lark(grammar, **LARK_OPTIONS)
        if path is not None:
            _save_parser(parser, path)
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
    key = "\n".join((grammar, options, lark.__version__, sys.version.split()[0]))
    return folder / f"sop-parser-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:20]}.lark"


def _load_parser(path: Path) -> Lark | None:
    try:
        with path.open("rb") as file:
            parser = Lark.load(file)
    except FileNotFoundError:
        return None
    except Exception:  # a damaged file fails in any number of ways (pickle, EOF, Lark's own asserts)
        return None
    return parser if isinstance(parser, Lark) and parser.terminals else None


def _save_parser(parser: Lark, path: Path) -> None:
    """Write to a temporary file and rename it into place, so a process
    starting at the same moment reads either no file or a whole one."""
    import tempfile  # only when the cache is written: its import costs as much as loading the parser

    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=path.name, suffix=".tmp", delete=False) as file:
            temporary = Path(file.name)
            parser.save(file)
        os.replace(temporary, path)
    except Exception:  # unwritable folder, full disk, ...: next time builds again
        if temporary is not None:
            with contextlib.suppress(OSError):
                temporary.unlink()


def parse(text: str, path: str) -> tuple[Tree | None, list[Diagnostic]]:
    """Parse one file. Returns the tree of the lines that parse (broken lines
    are left out, so the rest of the file is still checked) and the syntax
    diagnostics, one per broken line. A playbook whose `to` line is broken
    has ``meta.audience_unreadable`` set, so that later stages do not also
    report it as saying nothing about its groups."""
    source = text.replace("\r\n", "\n").replace("\r", "\n")
    if not source.endswith("\n"):
        source += "\n"
    diagnostics: list[Diagnostic] = []
    tabbed: set[int] = set()
    context = _TABBED_LINES.set(tabbed)
    try:
        tree, final = _parse_recovering(source, path, diagnostics)
    finally:
        _TABBED_LINES.reset(context)
    if tabbed:
        diagnostics.append(_tab_diagnostic(sorted(tabbed), source.split("\n"), path))
        diagnostics.sort(key=lambda d: (d.code == "E0004", d.span.line))  # stable: the rest keep their order
    if tree is not None and final != source:
        _mark_unreadable_audiences(tree, source.split("\n"), final.split("\n"))
    return tree, diagnostics


def _parse_recovering(original: str, path: str, diagnostics: list[Diagnostic]) -> tuple[Tree | None, str]:
    """Parse, and after each syntax error blank the broken lines (keeping
    every offset) and parse again: one parse per error, at most
    MAX_SYNTAX_ERRORS of them. Returns the tree and the text it was parsed from."""
    source = original
    for _ in range(MAX_SYNTAX_ERRORS):
        try:
            return lark_parser().parse(source), source
        except (UnexpectedInput, IndentMismatch) as exc:
            diagnostic, recovered = _diagnose(exc, source, original, path)
            if diagnostic is not None:
                diagnostics.append(diagnostic)
            if recovered == source:
                return None, source
            source = recovered
    diagnostics.append(error("E0004", f"too many syntax errors; stopped after {MAX_SYNTAX_ERRORS}",
                             Span.point(path, 1, 1), "fix the errors above and run `sopc check` again"))
    return None, source


def _diagnose(exc: UnexpectedInput | IndentMismatch, source: str, original: str,
              path: str) -> tuple[Diagnostic | None, str]:
    """The diagnostic for one syntax error (None when it only follows from
    one reported before) and the text to parse next."""
    lines = source.split("\n")
    if isinstance(exc, IndentMismatch):
        index = exc.line - 1
        recovered = _blank_lines(lines, index, lambda number, text: _width(text) >= exc.width
                                   and _width(text) not in exc.levels)
        return _misindented(exc, lines, path), recovered
    if isinstance(exc, UnexpectedToken) and exc.token.type == "_INDENT":
        index = exc.token.line - 1
        width = _width(lines[index])
        recovered = _blank_lines(lines, index, lambda number, text: _width(text) >= width)
        return _indented_too_deep(lines, index, path), recovered
    if isinstance(exc, UnexpectedToken) and "_INDENT" in set(exc.accepts or exc.expected):
        return _empty_block(exc, lines, original.split("\n"), path)
    diagnostic = syntax_diagnostic(exc, source, path)
    if diagnostic.code == "E0005":  # an open `"""`: the rest of the file is inside it
        return diagnostic, _blank_from(source, diagnostic.span.line)
    index = _error_line(exc, source) - 1
    if not 0 <= index < len(lines) or not lines[index].strip():
        return diagnostic, source
    width = _width(lines[index])
    # the broken line takes the lines indented under it along: without it they would only cause follow-on errors
    return diagnostic, _blank_lines(lines, index, lambda number, text: _width(text) > width)


# ---- recovery --------------------------------------------------------------------

def _error_line(exc: UnexpectedInput, source: str) -> int:
    line = getattr(exc, "line", -1)
    if isinstance(exc, UnexpectedToken) and exc.token.type == "$END":
        return source.count("\n")
    return line if line and line > 0 else source.count("\n")


def _blank_from(source: str, line: int) -> str:
    lines = source.split("\n")
    return "\n".join(text if number < line else " " * len(text) for number, text in enumerate(lines, 1))


def _blank_lines(lines: list[str], index: int, goes_along: Callable[[int, str], bool]) -> str:
    """Blank line ``index`` (keeping offsets) and the lines after it that
    ``goes_along(number, text)`` says go with it, up to the first that does
    not; blank and comment lines are not asked, and a `\"\"\"` text that a
    blanked line opens is blanked to its end."""
    lines = list(lines)
    in_text = False
    for number in range(index, len(lines)):
        text = lines[number]
        if not in_text and number > index:
            if not _is_code(text):
                continue
            if not goes_along(number, text):
                break
        in_text ^= text.count('\"\"\"') % 2 == 1
        lines[number] = " " * len(text)
    return "\n".join(lines)


def _is_code(text: str) -> bool:
    """Whether a line holds more than blanks and a comment (it then has an indentation that counts)."""
    stripped = text.strip(" \t" + IDEOGRAPHIC_SPACE)
    return bool(stripped) and not stripped.startswith("#")


def _width(text: str) -> int:
    return indent_width(line_indent(text))


def _previous_code_line(lines: list[str], index: int, below: int | None = None) -> int | None:
    """The nearest line above ``index`` with code on it (indented less than ``below``, if given)."""
    for number in range(index - 1, -1, -1):
        if _is_code(lines[number]) and (below is None or _width(lines[number]) < below):
            return number
    return None


def _mark_unreadable_audiences(tree: Tree, original: list[str], final: list[str]) -> None:
    headers = set()
    for number, (before, after) in enumerate(zip(original, final)):
        if before != after and before.split()[:1] == ["to"]:
            header = _previous_code_line(original, number, below=_width(before))
            if header is not None and original[header].split()[:1] == ["playbook"]:
                headers.add(header + 1)
    for playbook in tree.find_data("playbook"):
        if playbook.meta.line in headers:
            playbook.meta.audience_unreadable = True


# ---- indentation messages ---------------------------------------------------------

def _misindented(exc: IndentMismatch, lines: list[str], path: str) -> Diagnostic:
    """E0007: a line that goes back to a depth no open block has."""
    index = exc.line - 1
    deeper = min(level for level in exc.levels if level > exc.width)
    shallower = max(level for level in exc.levels if level < exc.width)
    counted = " (a full-width space counts as two)" if IDEOGRAPHIC_SPACE in line_indent(lines[index]) else ""
    options = [f"{deeper} spaces to keep it in {_block_at(lines, index, deeper)}"]
    options.append(f"{shallower} spaces to put it in {_block_at(lines, index, shallower)}" if shallower
                   else "none to start a new block at the left margin")
    return error("E0007", f"this line is indented {exc.width} spaces{counted}, which lines up with no open block",
                 _first_word_span(lines, index, path), f"indent it {options[0]}, or {options[1]}")


def _block_at(lines: list[str], index: int, level: int) -> str:
    header = _previous_code_line(lines, index, below=level)
    return f"`{_label(lines[header])}` (line {header + 1})" if header is not None else "its block"


def _indented_too_deep(lines: list[str], index: int, path: str) -> Diagnostic:
    """E0007: a line indented deeper than the line above, which opens no block."""
    span = _first_word_span(lines, index, path)
    above = _previous_code_line(lines, index)
    if above is None:
        return error("E0007", "the file's first line is indented", span,
                     "start it at the left margin: blocks (`playbook`, `timeline`, `stages`, `template`, "
                     "`import`) start there")
    width = _width(lines[above])
    where = f"indent it {width} spaces" if width else "start it at the left margin"
    return error("E0007", f"this line is indented deeper than line {above + 1} (`{_excerpt(lines[above])}`), "
                 "which does not open a block", span,
                 f"{where}, like line {above + 1}; only `playbook`, `timeline`, `stages` and `on <event>` lines "
                 "have lines indented under them")


def _empty_block(exc: UnexpectedToken, lines: list[str], original: list[str],
                 path: str) -> tuple[Diagnostic | None, str]:
    """E0006: a block header with nothing indented under it. The lines right
    after it, at its own indentation, that could only be its body (say, a
    playbook's settings written at the left margin) go with it, and the hint
    says to indent them. Not reported when the block was not written empty
    (its lines were broken, and blanked after their own diagnostics)."""
    line = len(lines) if exc.token.type == "$END" else exc.token.line
    header = _previous_code_line(lines, line - 1)
    if header is None:  # cannot happen: only a header makes the parser want an indented line
        return syntax_diagnostic(exc, "\n".join(lines), path), "\n".join(lines)
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

    recovered = _blank_lines(lines, header, belongs)
    label = _label(lines[header])
    if unindented:
        one = len(unindented) == 1
        which = f"line {unindented[0]}" if one else f"lines {unindented[0]}-{unindented[-1]}"
        hint = (f"{which} below {'is' if one else 'are'} not indented, so not in it: indent "
                f"{'it' if one else 'them'} deeper than `{label}`, e.g. by two more spaces")
    else:
        hint = f"write the lines that belong to `{label}` under it, indented deeper (e.g. by two spaces), or delete it"
    return error("E0006", f"`{label}` has nothing indented under it", _code_span(lines, header, path), hint), recovered


def _next_code_line(lines: list[str], index: int) -> int | None:
    return next((number for number in range(index + 1, len(lines)) if _is_code(lines[number])), None)


def _body_starts(exc: UnexpectedToken) -> set[str]:
    """The terminals a line indented under the header could start with: the
    grammar's answer, from the parser state at the error."""
    parser = exc.interactive_parser.copy()
    parser.feed_token(Token("_INDENT", ""))
    return parser.accepts()


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
    also = (f"; {more} more line{'s' if more > 1 else ''} of this file {'are' if more > 1 else 'is'} "
            "indented with tabs") if more else ""
    return error("E0009", "this line is indented with a tab", _first_word_span(lines, tabbed[0] - 1, path),
                 "indent with spaces: editors show a tab 2, 4 or 8 spaces wide, so the block it puts a line in "
                 f"would be a guess (a full-width space is fine: it counts as two){also}")


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

def syntax_diagnostic(exc: UnexpectedInput, source: str, path: str) -> Diagnostic:
    if isinstance(exc, UnexpectedToken):
        return _unexpected_token(exc, source, path)
    if isinstance(exc, UnexpectedCharacters):
        return _unexpected_character(exc, source, path)
    line = max(1, getattr(exc, "line", 1) or 1)
    return error("E0001", "this line cannot be read", Span.point(path, line, 1))


def _unexpected_token(exc: UnexpectedToken, source: str, path: str) -> Diagnostic:
    token = exc.token
    expected = set(exc.accepts or exc.expected)
    if token.type == "$END":
        last = source.rstrip("\n").count("\n") + 1
        return error("E0001", f"the file ended early: expected {describe_expected(expected)}",
                     Span.point(path, last, 1))
    span = token_span(token, path)
    found = "the end of the line" if token.type == "_NL" else f"`{token.value}`"
    message = f"expected {describe_expected(expected)}, found {found}"
    if expected - {"_DEDENT"} == {"NAME"} and _starts_line(source, token):  # only a line in `stages` starts so
        message = f"expected a stage rule (`新群 when age < 7d`, `老群 otherwise`), found {found}"
    hint = _hint_for(token, expected, source)
    if _is_bad_weekday(str(token.value), expected):
        message = f"unknown weekday `{token.value}`"
    elif "OFFSET" in expected and _is_schedule_step(source, token):
        message = ("a schedule step cannot be indented under `on <event>`: the steps of an event start with the "
                   "time after it, like `+0` or `+1d at 10:00`")
    elif "OFFSET" in expected and T_STEP.fullmatch(str(token.value)):
        message = f"`{token.value}` is a timeline offset; a step under `on <event>` starts with `+`, e.g. `+1h`"
    elif "TIMEZONE" in expected and T_STEP.fullmatch(str(token.value)):
        message = f"`{token.value}` starts a timeline step, which cannot be written inside a playbook"
    elif "PLAYBOOK" in expected and token.column == 1 and hint and any(f"`{w}`" in hint for w in BLOCK_WORDS):
        message = (f"unknown block `{token.value}`: a line at the left margin starts a block "
                   "(`playbook`, `timeline`, `stages`, `template` or `import`)")
    value = str(token.value)
    offset = next((i for i, c in enumerate(value) if c in FULLWIDTH), None) if _may_be_fullwidth(token) else None
    if offset is not None:
        # Point at the full-width character itself and show the line's fix.
        char = value[offset]
        column = token.column + offset
        span = Span(path=path, line=token.line, column=column, end_line=token.line, end_column=column + 1)
        fixed = "".join(FULLWIDTH.get(c, c) for c in value)
        message = f"`{value}` contains a full-width `{char}`; expected {describe_expected(expected)}"
        hint = f"write the ASCII `{FULLWIDTH[char]}` instead: `{fixed}`"
    if token.type == "_NL" and not hint:
        hint = "this line stops too early; see the language tour in README.md for its full form"
    return error("E0001", message, span, hint)


def _unexpected_character(exc: UnexpectedCharacters, source: str, path: str) -> Diagnostic:
    char = exc.char
    span = Span(path=path, line=exc.line, column=exc.column, end_line=exc.line, end_column=exc.column + 1)
    if char == '"':
        line_text = source.split("\n")[exc.line - 1] if 0 < exc.line <= source.count("\n") + 1 else ""
        if line_text[max(0, exc.column - 3):exc.column] == '"""':
            start = Span(path=path, line=exc.line, column=exc.column - 2, end_line=exc.line, end_column=exc.column + 1)
            return error("E0005", 'this `"""` text is never closed', start,
                         'end it with `"""` (the text may run over several lines)')
        return error("E0003", "this text has no closing `\"`", span, 'end the text on the same line with `"`, '
                     'or use `"""` ... `"""` for text over several lines')
    hint = _fullwidth_hint(char)
    allowed = set(exc.allowed or ())
    what = f"expected {describe_expected(allowed)}" if allowed else "this character is not allowed here"
    return error("E0002", f"unexpected character `{char}`: {what}", span, hint)


def describe_expected(expected: set[str]) -> str:
    for marker, description in LINE_STARTS:
        if marker in expected:
            return description
    # a block mark is never what to write: the line's own words are
    words = sorted({_describe_terminal(name) for name in expected - {"_INDENT", "_DEDENT"} if _describe_terminal(name)})
    if not words:
        return "something else"
    if len(words) > 6:
        words = words[:6] + ["..."]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _describe_terminal(name: str) -> str | None:
    if name in TERMINAL_DESCRIPTIONS:
        return TERMINAL_DESCRIPTIONS[name]
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


def _is_schedule_step(source: str, token: Token) -> bool:
    """Whether the token starts a line that reads as a weekly, monthly, every-N-days or cron step."""
    if not _starts_line(source, token):
        return False
    line = source.split("\n")[token.line - 1]
    return _could_start(line, {"WEEKDAY", "DAY_SET"}) or line.split()[0] in SCHEDULE_WORDS


def _starts_line(source: str, token: Token) -> bool:
    """Whether the token is the first on its line."""
    if token.type in ("_NL", "$END") or not 0 < token.line <= source.count("\n"):
        return False
    return not source.split("\n")[token.line - 1][:token.column - 1].strip()


def _is_bad_weekday(value: str, expected: set[str]) -> bool:
    return "WEEKDAY" in expected and value.startswith(("周", "星期", "礼拜")) and value not in WEEKDAY_WORDS \
        and value not in TERMINAL_WORDS["DAY_SET"]


def _may_be_fullwidth(token: Token) -> bool:
    """Whether a full-width character in the token is a typo for ASCII
    punctuation: not inside quoted text, not in a comment."""
    return token.type not in ("_NL", "STRING") and "\n" not in str(token.value)


def _hint_for(token: Token, expected: set[str], source: str) -> str | None:
    value = str(token.value)
    fullwidth = next((c for c in value if c in FULLWIDTH), None) if _may_be_fullwidth(token) else None
    if fullwidth:
        return _fullwidth_hint(fullwidth)
    if _is_bad_weekday(value, expected):
        return "weekdays are written 周一 … 周日 (or 星期一 …, mon … sun)"
    if "OFFSET" in expected and _is_schedule_step(source, token):
        return ("to post on this schedule to every group of the playbook, move the line out of the event: indent it "
                "like the `on` line; to send it after the event, start it with an offset such as `+1d at 10:00`")
    if "OFFSET" in expected and T_STEP.fullmatch(value):
        return (f"write `+{value[2:] or '0'}` (the time after the event), or put the steps in a `timeline` "
                "and write `use <timeline>` under the event")
    if "TIMEZONE" in expected and T_STEP.fullmatch(value):
        return ("move it into a `timeline` block (e.g. `timeline flash_sale`), and start that timeline from the "
                "playbook with a line like `run flash_sale at 2026-12-12 20:00 in group hz_001`")
    if "TIMEZONE" in expected and OFFSET_STEP.fullmatch(value):
        return "`+30m`-style steps belong indented under an event, e.g. under `on member.joined`"
    if {"AND", "OR"} <= expected and token.type != "_NL":
        return _tag_expression_hint(token, source)
    if token.type != "_NL":
        suggestion = did_you_mean(value, _vocabulary(expected))
        if suggestion:
            return suggestion
    if "TIME" in expected and token.type != "_NL":
        return "write times as HH:MM, e.g. `09:30`"
    if "STRING" in expected and token.type in ("NAME", "TAG", "GROUP_ID", "BARE_VALUE"):
        return f'put message text in double quotes: "{value} ..."'
    return None


def _tag_expression_hint(token: Token, source: str) -> str:
    line = source.split("\n")[token.line - 1]
    before = line[:token.column - 1].split()
    if before and before[-1] in ("stage", "stages", "阶段"):
        return ("an audience picks groups by id or by tag, not by stage; to act when a group reaches a stage, "
                "write `on group.stage <stage>` with its steps indented under it")
    return ("a tag is one word; join tags with `and`, `or`, `not` and parentheses, "
            "e.g. `groups tagged 福利群 and not city:上海`")


FULLWIDTH = {"：": ":", "，": ",", "（": "(", "）": ")", "＝": "=", "＠": "@", "＋": "+", "－": "-", "＂": '"'}


def _fullwidth_hint(char: str) -> str | None:
    if char in FULLWIDTH:
        return f"`{char}` is a full-width character; write the ASCII `{FULLWIDTH[char]}` instead"
    return None


def token_span(token: Token, path: str) -> Span:
    end_line = token.end_line or token.line
    end_column = token.end_column or token.column + max(1, len(str(token.value)))
    if token.type == "_NL":  # point at the end of the line, not the next one
        end_line, end_column = token.line, token.column + 1
    return Span(path=path, line=token.line, column=token.column, end_line=end_line, end_column=end_column)
