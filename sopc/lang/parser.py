"""Stage 1, parse: .sop text -> Lark parse tree, plus syntax diagnostics.

The grammar file (``grammar/sop.lark``) is the only definition of the syntax.
Errors are reported in the language's own words, never with grammar-internal
terminal names, and parsing recovers line by line so one run reports every
broken line instead of stopping at the first.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import sys
from importlib import resources
from pathlib import Path

import lark
from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken
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
                 "`active`, `timezone`, `vars`), `run`, `on <event>`, or a new block"),
    ("T_OFFSET", "a timeline step (`T-10m name \"text\"`) or a new block"),
    ("OFFSET", "a lifecycle step (`+30m name \"text\"`), `use <timeline>`, or a new block"),
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
    line break (with the next line's indentation and comments) does not, so
    a step's span ends at its last word instead of on the next line."""
    return not (isinstance(node, Token) and node.type == "_NL")


LARK_OPTIONS = {"parser": "lalr", "lexer": "contextual", "propagate_positions": _takes_space,
                "maybe_placeholders": True}


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
    diagnostics, one per broken line."""
    source = text.replace("\r\n", "\n").replace("\r", "\n")
    if not source.endswith("\n"):
        source += "\n"
    diagnostics: list[Diagnostic] = []
    for _ in range(MAX_SYNTAX_ERRORS):
        try:
            tree = lark_parser().parse(source)
        except UnexpectedInput as exc:
            diagnostic = syntax_diagnostic(exc, source, path)
            diagnostics.append(diagnostic)
            if diagnostic.code == "E0005":  # an open `"""`: the rest of the file is inside it
                recovered = _blank_from(source, diagnostic.span.line)
            else:
                recovered = _blank_broken_lines(source, _error_line(exc, source))
            if recovered == source:
                return None, diagnostics
            source = recovered
        else:
            return tree, diagnostics
    diagnostics.append(error("E0004", f"too many syntax errors; stopped after {MAX_SYNTAX_ERRORS}",
                             Span.point(path, 1, 1), "fix the errors above and run `sopc check` again"))
    return None, diagnostics


# ---- recovery --------------------------------------------------------------------

def _error_line(exc: UnexpectedInput, source: str) -> int:
    line = getattr(exc, "line", -1)
    if isinstance(exc, UnexpectedToken) and exc.token.type == "$END":
        return source.count("\n")
    return line if line and line > 0 else source.count("\n")


def _blank_from(source: str, line: int) -> str:
    lines = source.split("\n")
    return "\n".join(text if number < line else " " * len(text) for number, text in enumerate(lines, 1))


def _blank_broken_lines(source: str, line: int) -> str:
    """Blank the broken line (keeping offsets). A broken block header at the
    left margin takes its indented body with it: without the header those
    lines would only produce follow-on errors."""
    lines = source.split("\n")
    index = line - 1
    if not 0 <= index < len(lines) or not lines[index].strip():
        return source
    is_header = not lines[index][:1].isspace()
    lines[index] = " " * len(lines[index])
    if is_header:
        following = index + 1
        while following < len(lines) and (lines[following][:1].isspace() or not lines[following].strip()):
            if lines[following].strip():
                lines[following] = " " * len(lines[following])
            following += 1
    return "\n".join(lines)


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
    hint = _hint_for(token, expected, source)
    if _is_bad_weekday(str(token.value), expected):
        message = f"unknown weekday `{token.value}`"
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
    words = sorted({_describe_terminal(name) for name in expected if _describe_terminal(name)})
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
    if "OFFSET" in expected and T_STEP.fullmatch(value):
        return (f"write `+{value[2:] or '0'}` (the time after the event), or put the steps in a `timeline` "
                "and write `use <timeline>` under the event")
    if "TIMEZONE" in expected and T_STEP.fullmatch(value):
        return ("move it into a `timeline` block (e.g. `timeline flash_sale`), and start that timeline from the "
                "playbook with a line like `run flash_sale at 2026-12-12 20:00 in group hz_001`")
    if "PLAYBOOK" in expected and "TIMEZONE" not in expected and token.column > 1 and token.type != "_NL":
        return "an indented line belongs to a block, and there is none above it; start one with e.g. `playbook welfare`"
    if "TIMEZONE" in expected and OFFSET_STEP.fullmatch(value):
        return "`+30m`-style steps belong under an event, e.g. `on member.joined`"
    if token.type != "_NL":
        suggestion = did_you_mean(value, _vocabulary(expected))
        if suggestion:
            return suggestion
    if "TIME" in expected and token.type != "_NL":
        return "write times as HH:MM, e.g. `09:30`"
    if "STRING" in expected and token.type in ("NAME", "TAG", "GROUP_ID", "BARE_VALUE"):
        return f'put message text in double quotes: "{value} ..."'
    return None


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
