"""The one canonical layout of a `.sop` file (`sopc fmt`).

Works from what the parser reads, never from regexes over the text: the
tokens of the real parse (the lexer's words, with the block marks the
indenter adds, and the line breaks that carry the comments and blank
lines) and the parse tree (which words name a step, so a block's steps
can be aligned as a table). Every word is written back as it was, in the
same order; only what lies between words changes:

* indentation: two spaces per block level (what a line's block is comes
  from the parser's block marks, so a full-width space or a ragged indent
  ends up where the parser put it);
* spacing: one space between words; none around `-` `/` `..` `、` `=`
  and the range words `到` `至` `~` (`22:00-08:00`, `3/day`, `mon..fri`,
  `周一到周五`, `key=value`), none before `,` or `)`, none after `(`;
* step tables: the steps of a block written one after another (no blank
  line between) are aligned in columns: when, name, what to send, widths
  counted as a terminal shows them (a CJK character is two columns);
* trailing comments on lines one after another are aligned, two spaces
  after the longest line; own-line comments go at the depth of the block
  they sit in (the deepest block whose indentation they reach);
* blank lines: none after a block's header or at either end of the file,
  never two in a row, exactly one between top-level blocks (imports and
  one-line templates one after another may stay together);
* full-width punctuation: `～` and `－` between days become `~` and `-`
  (the same range), and a full-width character the parser reports as a
  typo for ASCII punctuation (E0001/E0002: `10：00`, `周一，周三`, `a＝1`)
  is replaced by that ASCII character when those are the file's only
  syntax errors. One inside a word the grammar reads as a whole (a tag or
  group id: `a，b`) is left alone: it is not known to be a typo. Text in
  quotes and comments are never touched.

Safety: a file with syntax errors is never formatted (its diagnostics are
returned instead), and the formatted text is parsed again and must give
the parser the same words and block marks, in the same order, and the same
comments (so the same tree, hence the same AST: only positions differ); if
it does not, nothing is returned but an internal-error diagnostic (E0990),
so a bug here cannot change a playbook's meaning. The tests compare the
ASTs and the examples' plans too.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from lark import Token, Tree
from lark.lexer import PatternStr

from sopc.core.diagnostics import Diagnostic, Span, error
from sopc.core.i18n import _
from sopc.core.render import display_width, pad
from sopc.lang.parser import FULLWIDTH, IDEOGRAPHIC_SPACE, indent_width, lark_parser, line_indent, parse

INDENT = "  "
COLUMN_GAP = 2          # spaces between the columns of a step table, and before an aligned comment
STEP_RULES = ("schedule_step", "timeline_step", "trigger_step")
# Full-width characters the grammar itself accepts as a range word, and the ASCII form meaning the same.
RANGE_WORDS = {"～": "~", "－": "-"}
# Rounds of full-width repair: each parse reports one typo per line.
MAX_REPAIR_ROUNDS = 16


@dataclass(frozen=True)
class Formatted:
    """The outcome of formatting one file's text: ``text`` is the canonical
    text (None when the file could not be formatted, ``diagnostics`` say
    why); ``fixed`` the full-width characters replaced by ASCII, as
    (line, column, character) of the original text."""

    text: str | None
    diagnostics: tuple[Diagnostic, ...] = ()
    fixed: tuple[tuple[int, int, str], ...] = ()


def format_source(text: str, path: str) -> Formatted:
    """The canonical layout of ``text`` (a `.sop` file shown as ``path``)."""
    source = text.replace("\r\n", "\n").replace("\r", "\n")
    repaired, tokens, tree, diagnostics, fixed = _repair_fullwidth(source, path)
    if diagnostics:
        return Formatted(None, tuple(diagnostics))
    formatted = _render(_lines(tokens, repaired, _step_names(tree)))
    if formatted == repaired:  # nothing to check: the same text means the same
        return Formatted(formatted, (), tuple(fixed))
    problem = _changed_meaning(tokens, formatted, path)
    if problem is not None:
        return Formatted(None, (problem,))
    return Formatted(formatted, (), tuple(fixed))


# ---- full-width typos -------------------------------------------------------------

def _repair_fullwidth(source: str, path: str):
    """The text with the full-width typos the parser reports replaced, when
    they are its only syntax errors. Returns (the text, its tokens and tree,
    the original syntax diagnostics if it cannot be parsed clean, the
    characters replaced)."""
    tokens: list[Token] = []
    tree, diagnostics = parse(source, path, tokens=tokens)
    first = diagnostics
    text, fixed = source, []
    for unused in range(MAX_REPAIR_ROUNDS):
        if not diagnostics:
            return text, tokens, tree, [], sorted(fixed)
        lines = text.split("\n")
        places = {_fullwidth_typo(diagnostic, lines) for diagnostic in diagnostics}
        if None in places:
            break
        for line, column in sorted(places):
            row = lines[line - 1]
            fixed.append((line, column, row[column - 1]))
            lines[line - 1] = row[:column - 1] + FULLWIDTH[row[column - 1]] + row[column:]
        text = "\n".join(lines)
        tokens = []
        tree, diagnostics = parse(text, path, tokens=tokens)
    return source, [], None, first, []


def _fullwidth_typo(diagnostic: Diagnostic, lines: list[str]) -> tuple[int, int] | None:
    """Where a syntax error points at a full-width character: the parser
    points at one only to say to write it in ASCII (in any language)."""
    span = diagnostic.span
    if diagnostic.code not in ("E0001", "E0002") or span is None:
        return None
    if not 0 < span.line <= len(lines) or not 0 < span.column <= len(lines[span.line - 1]):
        return None
    return (span.line, span.column) if lines[span.line - 1][span.column - 1] in FULLWIDTH else None


# ---- what the parser reads --------------------------------------------------------

def _step_names(tree: Tree) -> set[int]:
    """Where each step's name starts: the words before it are the step's
    `when` column, the words after it what it sends."""
    found = set()
    for rule in STEP_RULES:
        for step in tree.find_data(rule):
            name = next(c for c in step.children if isinstance(c, Token) and c.type == "NAME")
            found.add(name.start_pos)
    return found


# ---- lines ------------------------------------------------------------------------

@dataclass
class _Line:
    """One statement: its block depth, its words and trailing comment."""

    depth: int
    width: int                      # its indentation as written (spaces; a full-width space is 2)
    words: list[Token]
    comment: str | None = None
    name_at: int | None = None      # a step: the index of its name in ``words``
    opens_block: bool = False
    cells: list[str] = field(default_factory=list)

    @property
    def one_line(self) -> bool:
        return not self.opens_block and not any("\n" in word.value for word in self.words)


@dataclass
class _Comment:
    """A comment on a line of its own: ``width`` its indentation as written."""

    text: str
    width: int
    depth: int = 0


BLANK = None  # a blank line, in the list of lines


def _lines(tokens: list[Token], text: str, step_names: set[int]) -> list:
    """The file as statements, own-line comments and blank lines, each at its depth."""
    source_lines = text.split("\n")
    items: list = []
    depth, words = 0, []
    widths = [0]               # the indentation, as written, of each open block
    for token in tokens:
        kind = token.type
        if kind == "_INDENT":
            depth += 1
        elif kind == "_DEDENT":
            depth -= 1
        elif kind == "_NL":
            parts = token.value.split("\n")
            if words:
                items.append(_statement(words, depth, widths, source_lines, step_names, parts[0]))
                words = []
            elif parts[0]:     # the file's first line is a comment
                items.append(_Comment(parts[0].rstrip(), indent_width(line_indent(source_lines[token.line - 1]))))
            for part in parts[1:-1]:
                code = part.strip(" \t" + IDEOGRAPHIC_SPACE)
                items.append(_Comment(code.rstrip(), indent_width(line_indent(part))) if code else BLANK)
        else:
            words.append(token)
    if words:  # cannot happen: the parser ends every line with a break
        items.append(_statement(words, depth, widths, source_lines, step_names, ""))
    _mark_blocks(items)
    _place_comments(items)
    return items


def _statement(words: list[Token], depth: int, widths: list[int], source_lines: list[str],
               step_names: set[int], trailing: str) -> _Line:
    width = indent_width(line_indent(source_lines[words[0].line - 1]))
    del widths[depth:]
    widths.append(width)
    name_at = next((i for i, word in enumerate(words) if word.start_pos in step_names), None)
    return _Line(depth, width, words, trailing.rstrip() or None, name_at)


def _mark_blocks(items: list) -> None:
    statements = [item for item in items if isinstance(item, _Line)]
    for line, after in zip(statements, statements[1:]):
        line.opens_block = after.depth > line.depth


def _place_comments(items: list) -> None:
    """Put each own-line comment at a depth between the statements around
    it: the deepest block whose indentation (as written) it reaches, else
    the shallowest of them (a comment before a block's first line is in it)."""
    previous: _Line | None = None
    open_widths: list[int] = [0]
    pending: list[_Comment] = []
    for item in items + [_END]:
        if isinstance(item, _Comment):
            pending.append(item)
            continue
        if not isinstance(item, _Line) and item is not _END:
            continue
        if pending:
            low, high, widths = _candidates(previous, item if item is not _END else None, open_widths)
            for comment in pending:
                comment.depth = next((d for d in range(high, low - 1, -1) if widths[d] <= comment.width), low)
            pending = []
        if isinstance(item, _Line):
            del open_widths[item.depth:]
            open_widths.append(item.width)
            previous = item


_END = object()


def _candidates(previous: _Line | None, following: _Line | None,
                open_widths: list[int]) -> tuple[int, int, list[int]]:
    """The depths a comment between two statements may take, and the width each has as written."""
    if previous is None:
        return 0, 0, [0]
    widths = list(open_widths)
    if following is None:
        return 0, previous.depth, widths
    if following.depth > previous.depth:  # the first line of a block: it is in the block
        return following.depth, following.depth, widths + [following.width]
    return following.depth, previous.depth, widths


# ---- spacing ----------------------------------------------------------------------

@functools.cache
def _glue_types() -> frozenset[str]:
    """The tokens written with no space on either side: `-` `/` `..` `、`
    `=` and the range words (`到`, `~`)."""
    glued = {"DAY_TO"}
    for terminal in lark_parser().terminals:
        if isinstance(terminal.pattern, PatternStr) and terminal.pattern.value in ("-", "/", "..", "、", "="):
            glued.add(terminal.name)
    return frozenset(glued)


def _spaced(words: list[Token]) -> str:
    glue = _glue_types()
    out: list[str] = []
    before: Token | None = None
    for word in words:
        if before is not None and not (before.type in glue or word.type in glue or word.type in ("COMMA", "RPAR")
                                       or before.type == "LPAR"):
            out.append(" ")
        out.append(_written(word))
        before = word
    return "".join(out)


def _written(word: Token) -> str:
    if word.type == "DAY_TO":
        return RANGE_WORDS.get(word.value, word.value)
    if word.type == "METRIC":   # `messages / day`
        return "".join(word.value.split())
    return word.value


# ---- writing ----------------------------------------------------------------------

def _render(items: list) -> str:
    items = _blank_lines(items)
    statements = [item for item in items if isinstance(item, _Line)]
    for line in statements:
        if line.name_at is None:
            line.cells = [_spaced(line.words)]
        else:
            line.cells = [_spaced(line.words[:line.name_at]), _written(line.words[line.name_at]),
                          _spaced(line.words[line.name_at + 1:])]
    for table in _tables(items):
        _align(table)
    codes = {id(line): INDENT * line.depth + "".join(line.cells).rstrip() for line in statements}
    for run in _comment_runs(items):
        column = max(display_width(codes[id(line)].rsplit("\n", 1)[-1]) for line in run) + COLUMN_GAP
        for line in run:
            last = codes[id(line)].rsplit("\n", 1)[-1]
            codes[id(line)] += " " * (column - display_width(last)) + line.comment
    if not items:  # an empty file (or one of blank lines) is empty
        return ""
    out = []
    for item in items:
        if item is BLANK:
            out.append("")
        elif isinstance(item, _Comment):
            out.append(INDENT * item.depth + item.text)
        else:
            out.append(codes[id(item)])
    return "\n".join(out) + "\n"


def _blank_lines(items: list) -> list:
    """At most one blank line in a row; none at the ends of the file or
    right after a block's header; exactly one before a top-level block
    (and the comments right above it)."""
    out: list = []
    for item in items:
        if item is BLANK:
            if out and out[-1] is not BLANK and not (isinstance(out[-1], _Line) and out[-1].opens_block):
                out.append(BLANK)
            continue
        if isinstance(item, _Line) and item.depth == 0:
            _separate_top_level(out, item)
        out.append(item)
    while out and out[-1] is BLANK:
        out.pop()
    return out


def _separate_top_level(out: list, line: _Line) -> None:
    """Before a top-level statement (about to be appended to ``out``): one
    blank line above it and its own comments, unless it and the statement
    before are one-liners (imports, one-line templates), which may sit together."""
    start = len(out)
    while start > 0 and (out[start - 1] is BLANK or (isinstance(out[start - 1], _Comment)
                                                    and out[start - 1].depth == 0)):
        start -= 1
    if start == 0:
        return
    above = out[start - 1]
    if isinstance(above, _Line) and above.depth == 0 and above.one_line and line.one_line:
        return
    if start < len(out) and out[start] is BLANK:
        return
    out.insert(start, BLANK)


def _tables(items: list) -> list[list[_Line]]:
    """Runs of steps of one block with no blank line or other statement between them."""
    tables: list[list[_Line]] = []
    current: list[_Line] = []
    for item in items:
        if isinstance(item, _Comment):
            continue
        if (isinstance(item, _Line) and item.name_at is not None
                and (not current or current[-1].depth == item.depth)):
            current.append(item)
            continue
        if current:
            tables.append(current)
        current = [item] if isinstance(item, _Line) and item.name_at is not None else []
    if current:
        tables.append(current)
    return tables


def _align(table: list[_Line]) -> None:
    """Pad the `when` and name columns of a table to its widest, plus the gap."""
    for column in (0, 1):
        width = max(display_width(line.cells[column]) for line in table) + COLUMN_GAP
        for line in table:
            line.cells[column] = pad(line.cells[column], width)


def _comment_runs(items: list) -> list[list[_Line]]:
    """Statements with trailing comments on lines one after another, at one
    depth: their comments are aligned. A statement ending in a text of
    several lines keeps its comment to itself."""
    runs: list[list[_Line]] = []
    current: list[_Line] = []
    for item in items:
        joins = isinstance(item, _Line) and item.comment is not None
        if joins and current and (current[-1].depth != item.depth or _multiline(current[-1]) or _multiline(item)):
            runs.append(current)
            current = []
        if joins:
            current.append(item)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def _multiline(line: _Line) -> bool:
    return any("\n" in word.value for word in line.words)


# ---- safety ----------------------------------------------------------------------

def _changed_meaning(tokens: list[Token], formatted: str, path: str) -> Diagnostic | None:
    """None when the formatted text parses clean into the same words, block
    marks and comments as the original (so into the same tree: the parser
    is deterministic, and only where words are written differs); else the
    internal-error diagnostic to refuse with."""
    again: list[Token] = []
    unused, diagnostics = parse(formatted, path, tokens=again)
    if not diagnostics and _words(again) == _words(tokens) and _comments(again) == _comments(tokens):
        return None
    return error("E0990", _("sopc fmt would change what this file means, so it is left as it is"),
                 Span.point(path, 1, 1), _("this is a bug in sopc fmt: please report it with the file"))


def _words(tokens: list[Token]) -> list[tuple[str, str]]:
    # `－` between days is a range word (DAY_TO); written `-`, the grammar
    # reads it as the `-` of `周一-周五` (MINUS): the same range.
    return [("DAY_TO" if token.type == "MINUS" else token.type, _written(token))
            for token in tokens if token.type != "_NL"]


def _comments(tokens: list[Token]) -> list[str]:
    found = []
    for token in tokens:
        if token.type == "_NL" and "#" in token.value:
            found.extend(part.strip() for part in token.value.split("\n") if part.strip().startswith("#"))
    return found
