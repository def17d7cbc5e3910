"""Render: the output stage that turns diagnostics into text or JSON.

Every command prints problems through this module, so there is exactly one
text format (rustc/clang style, with a source snippet and carets) and one JSON
format. Rendering never raises: a span that points outside its file, a
missing source, CRLF endings, tabs, CJK text, combining marks and emoji all
degrade to a sensible picture instead of an exception.

Carets line up in a terminal because every width is measured in terminal
cells by :func:`display_width`, on exactly the text that is printed.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

from sopc.core.diagnostics import Diagnostic, Severity, Span, sorted_diagnostics
from sopc.core.i18n import N_, _, ngettext
from sopc.core.records import dataclass

TAB_EXPANSION = "    "
REPLACEMENT_CHAR = "\ufffd"

# Combining marks and invisible format characters (ZWJ, ZWSP, BOM) take no cell.
_ZERO_WIDTH_CATEGORIES = frozenset({"Mn", "Me", "Cf"})
# Control characters and lone surrogates would corrupt the terminal; they are
# printed as U+FFFD (one cell), which keeps character columns unchanged.
_UNPRINTABLE_CATEGORIES = frozenset({"Cc", "Cs"})

_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_RED = "\x1b[31m"
_GREEN = "\x1b[32m"
_YELLOW = "\x1b[33m"
_BLUE = "\x1b[34m"
_CYAN = "\x1b[36m"
_SEVERITY_COLOR = {Severity.ERROR: _RED, Severity.WARNING: _YELLOW, Severity.NOTE: _CYAN}
# The word printed for a severity (JSON keeps Severity.value, the same in every language).
_SEVERITY_LABEL = {Severity.ERROR: N_("error"), Severity.WARNING: N_("warning"), Severity.NOTE: N_("note")}


def severity_label(severity: Severity) -> str:
    """``error``/``warning``/``note`` in the current language (错误/警告/注意)."""
    return _(_SEVERITY_LABEL[severity])


# ---- widths ----------------------------------------------------------------------


def char_width(ch: str) -> int:
    """Terminal cells taken by one character (a tab counts as its expansion)."""
    if ch == "\t":
        return len(TAB_EXPANSION)
    if unicodedata.category(ch) in _ZERO_WIDTH_CATEGORIES:
        return 0
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 2
    return 1


def display_width(text: str) -> int:
    """Terminal cells taken by ``text``: East Asian Wide/Fullwidth characters
    are 2, combining marks and format characters 0, a tab 4, others 1."""
    return sum(char_width(ch) for ch in text)


def pad(text: str, width: int, right: bool = False) -> str:
    """``text`` filled with spaces to ``width`` terminal cells (CJK characters
    take two), on the right, or on the left with ``right`` (numbers)."""
    fill = " " * max(0, width - display_width(text))
    return fill + text if right else text + fill


# ---- summary ---------------------------------------------------------------------


def _counts(diagnostics: Sequence[Diagnostic]) -> Counter[Severity]:
    return Counter(d.severity for d in diagnostics)


def _counted(count: int, severity: Severity) -> str:
    if severity is Severity.ERROR:
        return ngettext("{count} error", "{count} errors", count).format(count=count)
    if severity is Severity.WARNING:
        return ngettext("{count} warning", "{count} warnings", count).format(count=count)
    return ngettext("{count} note", "{count} notes", count).format(count=count)


def summary_line(diagnostics: Sequence[Diagnostic]) -> str:
    """``"2 errors, 1 warning"``; ``"no problems"`` when there is nothing.

    Counts the same de-duplicated set that the renderers print."""
    counts = _counts(sorted_diagnostics(diagnostics))
    parts = [_counted(counts[severity], severity) for severity in Severity if counts[severity]]
    # i18n: the separator between counts, as in "2 errors, 1 warning"
    return _(", ").join(parts) or _("no problems")


def _worst_severity(diagnostics: Sequence[Diagnostic]) -> Severity:
    present = {d.severity for d in diagnostics}
    return next(severity for severity in Severity if severity in present)


# ---- color -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Paint:
    """Wraps text in ANSI codes when enabled; the identity otherwise."""

    enabled: bool

    def __call__(self, text: str, *codes: str) -> str:
        if not self.enabled or not text or not codes:
            return text
        return "".join(codes) + text + _RESET


# ---- source lines ----------------------------------------------------------------


def _split_lines(source: str) -> list[str]:
    """Lines as the parser numbers them: split on ``\\n`` only, ``\\r`` stripped."""
    return [line.removesuffix("\r") for line in source.split("\n")]


def _line_lookup(sources: Mapping[str, str]) -> Callable[[str], list[str] | None]:
    """A per-render cache from path to its lines (None for unknown paths)."""
    cache: dict[str, list[str] | None] = {}

    def lines_of(path: str) -> list[str] | None:
        if path not in cache:
            source = sources.get(path)
            cache[path] = _split_lines(source) if isinstance(source, str) else None
        return cache[path]

    return lines_of


def _printable(line: str) -> str:
    """Replace control characters (except tab) and lone surrogates, 1:1."""
    return "".join(
        REPLACEMENT_CHAR if ch != "\t" and unicodedata.category(ch) in _UNPRINTABLE_CATEGORIES else ch
        for ch in line
    )


# ---- snippets --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Snippet:
    """One source line to print, with where (in cells) the carets go."""

    line_number: int
    text: str
    caret_offset: int
    caret_count: int
    continues: bool


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(value, high))


def _end_index(span: Span, length: int) -> int:
    """0-based exclusive end of the span on its first line."""
    if span.end_line == span.line:
        return _clamp(span.end_column, 1, length + 1) - 1
    if span.end_line > span.line:
        return length
    return 0  # malformed (ends before it starts): show a single caret


def _continues(span: Span) -> bool:
    """Whether the span covers text on a later line (not just the newline)."""
    return span.end_line > span.line + 1 or (span.end_line == span.line + 1 and span.end_column > 1)


def _snippet(span: Span, lines: list[str] | None) -> _Snippet | None:
    if lines is None or not 1 <= span.line <= len(lines):
        return None
    line = lines[span.line - 1]
    start = _clamp(span.column, 1, len(line) + 1) - 1
    end = _end_index(span, len(line))
    line, start, end = _window(line, start, end)
    line = _printable(line)
    return _Snippet(
        line_number=span.line,
        text=line.replace("\t", TAB_EXPANSION),
        caret_offset=display_width(line[:start]),
        caret_count=max(1, display_width(line[start:end])),
        continues=_continues(span),
    )


SNIPPET_CHARS = 160        # a longer line is shown as a window around the span
_SNIPPET_LEAD = 40         # characters kept before the span's start
ELLIPSIS = "…"


def _window(line: str, start: int, end: int) -> tuple[str, int, int]:
    """A line of at most about SNIPPET_CHARS characters around ``start``,
    with … where it was cut, and ``start``/``end`` moved into it: a
    70,000-character line is not printed whole under every diagnostic."""
    if len(line) <= SNIPPET_CHARS:
        return line, start, end
    first = max(0, start - _SNIPPET_LEAD)
    last = min(len(line), first + SNIPPET_CHARS)
    prefix = ELLIPSIS if first > 0 else ""
    suffix = ELLIPSIS if last < len(line) else ""
    shift = len(prefix) - first
    return prefix + line[first:last] + suffix, start + shift, min(end, last) + shift


# ---- text ------------------------------------------------------------------------


def _header(diagnostic: Diagnostic, paint: _Paint) -> str:
    span = diagnostic.span
    location = f"{span.path}:{span.line}:{span.column}: " if span else ""
    code = f"[{diagnostic.code}]" if diagnostic.code else ""
    label = paint(f"{severity_label(diagnostic.severity)}{code}", _BOLD, _SEVERITY_COLOR[diagnostic.severity])
    return paint(location, _BOLD) + label + paint(f": {diagnostic.message}", _BOLD)


def _snippet_lines(snippet: _Snippet, width: int, severity: Severity, paint: _Paint) -> list[str]:
    blank_gutter = paint(" " * width + " |", _BLUE)
    number_gutter = paint(f"{snippet.line_number:>{width}} |", _BLUE)
    source = f"{number_gutter} {snippet.text}" if snippet.text else number_gutter
    carets = paint("^" * snippet.caret_count, _BOLD, _SEVERITY_COLOR[severity])
    lines = [blank_gutter, source, f"{blank_gutter} {' ' * snippet.caret_offset}{carets}"]
    if snippet.continues:
        lines.append("...")
    return lines


def _help_line(hint: str, width: int, paint: _Paint) -> str:
    label = paint(_("help"), _BOLD, _GREEN)
    return f"{' ' * width} {paint('=', _BLUE)} {label}: {hint}"


def _render_one(diagnostic: Diagnostic, lines_of: Callable[[str], list[str] | None], paint: _Paint) -> str:
    span = diagnostic.span
    width = len(str(span.line)) if span else 1
    out = [_header(diagnostic, paint)]
    snippet = _snippet(span, lines_of(span.path)) if span else None
    if snippet:
        out.extend(_snippet_lines(snippet, width, diagnostic.severity, paint))
    if diagnostic.hint:
        out.append(_help_line(diagnostic.hint, width, paint))
    return "\n".join(out)


def _summary(diagnostics: Sequence[Diagnostic], paint: _Paint) -> str:
    worst = _worst_severity(diagnostics)
    label = paint(severity_label(worst), _BOLD, _SEVERITY_COLOR[worst])
    return label + paint(f": {summary_line(diagnostics)}", _BOLD)


def render_text(diagnostics: Sequence[Diagnostic], sources: Mapping[str, str], *, color: bool = False) -> str:
    """All diagnostics, sorted and de-duplicated, separated by blank lines and
    followed by a summary line. ``sources`` maps ``span.path`` to file text.

    Returns ``""`` for no diagnostics; the result has no trailing newline."""
    ordered = sorted_diagnostics(diagnostics)
    if not ordered:
        return ""
    paint = _Paint(color)
    lines_of = _line_lookup(sources)
    blocks = [_render_one(d, lines_of, paint) for d in ordered]
    blocks.append(_summary(ordered, paint))
    return "\n\n".join(blocks)


def render_located(label: str, message: str, span: Span, sources: Mapping[str, str],
                   notes: Sequence[tuple[str, str]] = (), *, color: bool = False) -> str:
    """A located finding that is not a diagnostic (a playbook test's failed
    expectation), drawn as one is: ``path:line:col: label: message``, the
    source line with carets under the span, then a ``= name: text`` line per
    note (a note's text may hold several lines)."""
    paint = _Paint(color)
    width = len(str(span.line))
    location = paint(f"{span.path}:{span.line}:{span.column}: ", _BOLD)
    out = [location + paint(label, _BOLD, _RED) + paint(f": {message}", _BOLD)]
    snippet = _snippet(span, _line_lookup(sources)(span.path))
    if snippet:
        out.extend(_snippet_lines(snippet, width, Severity.ERROR, paint))
    for name, text in notes:
        first, *more = text.split("\n")
        out.append(f"{' ' * width} {paint('=', _BLUE)} {paint(name, _BOLD)}: {first}")
        out.extend(f"{' ' * (width + 5 + display_width(name))}{line}" for line in more)
    return "\n".join(out)


# ---- JSON ------------------------------------------------------------------------


def _json_record(diagnostic: Diagnostic) -> dict[str, object]:
    span = diagnostic.span
    return {
        "severity": diagnostic.severity.value,
        "code": diagnostic.code,
        "message": diagnostic.message,
        "hint": diagnostic.hint,
        "path": span.path if span else None,
        "line": span.line if span else None,
        "column": span.column if span else None,
        "end_line": span.end_line if span else None,
        "end_column": span.end_column if span else None,
    }


def render_json(diagnostics: Sequence[Diagnostic]) -> str:
    """``{"diagnostics": [...], "errors": N, "warnings": N}``, sorted like
    :func:`render_text`, keys in a fixed order, non-ASCII kept as is."""
    ordered = sorted_diagnostics(diagnostics)
    counts = _counts(ordered)
    document = {
        "diagnostics": [_json_record(d) for d in ordered],
        "errors": counts[Severity.ERROR],
        "warnings": counts[Severity.WARNING],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)
