"""Stage 1, parse: .sop text -> Lark parse tree, plus syntax diagnostics.

The grammar file (``grammar/sop.lark``) is the only definition of the syntax.
Errors are reported in the language's own words, never with grammar-internal
terminal names, and parsing recovers line by line so one run reports every
broken line instead of stopping at the first.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.lexer import PatternStr

from sopc.diagnostics import Diagnostic, Span, did_you_mean, error

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
)

BLOCK_WORDS = ("playbook", "timeline", "stages", "template", "import")


def grammar_text() -> str:
    """The grammar, from the installed package or from the source tree."""
    packaged = resources.files("sopc").joinpath("_data/grammar/sop.lark")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    return (Path(__file__).resolve().parent.parent / "grammar" / "sop.lark").read_text(encoding="utf-8")


@functools.cache
def lark_parser() -> Lark:
    return Lark(grammar_text(), parser="lalr", lexer="contextual",
                propagate_positions=True, maybe_placeholders=True)


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
            diagnostics.append(syntax_diagnostic(exc, source, path))
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
    if token.type == "_NL" and not hint:
        hint = "this line stops too early; see the language tour in README.md for its full form"
    return error("E0001", message, span, hint)


def _unexpected_character(exc: UnexpectedCharacters, source: str, path: str) -> Diagnostic:
    char = exc.char
    span = Span(path=path, line=exc.line, column=exc.column, end_line=exc.line, end_column=exc.column + 1)
    if char == '"':
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


def _hint_for(token: Token, expected: set[str], source: str) -> str | None:
    value = str(token.value)
    fullwidth = next((c for c in value if c in FULLWIDTH), None)
    if fullwidth:
        return _fullwidth_hint(fullwidth)
    if "WEEKDAY" in expected and value[:1] in "周星礼" and value not in WEEKDAY_WORDS:
        return "weekdays are written 周一 … 周日 (or 星期一 …, mon … sun)"
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
