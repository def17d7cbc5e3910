"""Write the editor support for .sop from grammar/sop.lark, so it cannot drift.

Run from the repository root after changing the grammar:

    .venv/bin/python tools/gen_editors.py           # rewrite the generated files
    .venv/bin/python tools/gen_editors.py --check   # exit 1 if one is out of date

It reads the Lark grammar (the one definition of the syntax): the words its
rules spell out ("playbook", "to", "每月", ...) are the keywords, its named
terminals give the weekday words, kinds, modes, metrics and the shapes of
dates, times, durations, offsets, events and mentions; the mention roles and
the names a template can read come from sopc/core/vocabulary.py, the template
filters from sopc/compile/templates.py. From them it writes

    sopc/editors/grammar_words.py                       the word lists and regexes
                                                        the Pygments lexer uses
    editors/sop.tmLanguage.json                         the TextMate grammar
    editors/vscode-sop/syntaxes/sop.tmLanguage.json     the same, in the VS Code folder

Both highlighters are built from the same regexes (Python `re` syntax that
Oniguruma reads alike). tests/test_editors.py fails while a file differs from
what this writes, and tokenises every example with both.

A new named terminal in the grammar needs a line in CATEGORIES below (what an
editor shows it as); a terminal made only of quoted words is taken as keywords
until it has one.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a checkout: import this checkout's sopc
    sys.path.insert(0, str(ROOT))

from lark import Token, Tree  # noqa: E402
from lark.load_grammar import GrammarBuilder, _literal_to_pattern  # noqa: E402
from lark.lexer import PatternStr  # noqa: E402

GRAMMAR = ROOT / "grammar" / "sop.lark"
WORDS_MODULE = ROOT / "sopc" / "editors" / "grammar_words.py"
TMLANGUAGE = ROOT / "editors" / "sop.tmLanguage.json"
VSCODE_TMLANGUAGE = ROOT / "editors" / "vscode-sop" / "syntaxes" / "sop.tmLanguage.json"
RERUN = "run: python tools/gen_editors.py"

# What each named terminal is to an editor. Names listed here that the grammar
# does not have (yet) are fine; a terminal the grammar has and this does not
# list is an error (unless it is made only of quoted words: keywords).
CATEGORIES = {
    "WEEKDAY": "day", "WEEKDAY_RUN": "day", "DAY_SET": "day", "DAY_TO": "day_to",
    "MONTH_DAY": "month_day",
    "KIND": "kind",
    "QUIET_MODE": "mode", "HOLIDAY_MODE": "mode",
    "METRIC": "metric",
    "COMPARE": "compare",
    "DATE": "date", "TIME": "time",
    "DURATION": "duration", "T_OFFSET": "t_offset", "OFFSET": "offset",
    "ORDINAL": "ordinal", "REPEAT_COUNT": "repeat_count",
    "INT": "number", "NUMBER": "number",
    "EVENT": "event", "EVENT_ARG": "event_arg",
    "MENTION": "mention",
    "STRING": "string",
    "NAME": "name", "TAG": "tag", "GROUP_ID": "group_id", "BARE_VALUE": "bare_value", "ZONE": "zone",
}
LAYOUT = {"_NL", "_INDENT", "_DEDENT"}       # line structure, not shown
CATEGORY_NEEDS_ONE = ("DATE", "TIME", "DURATION", "T_OFFSET", "OFFSET", "EVENT", "EVENT_ARG",
                      "MENTION", "NAME", "TAG", "GROUP_ID", "BARE_VALUE", "ZONE", "NUMBER")

# Keywords whose neighbours the highlighters read differently (the tags after
# `tagged`, the group ids after `group`, the zone after `timezone`, the name
# a definition gives). They must stay words of the grammar.
LOGICAL_WORDS = ("and", "or", "not")
TAGS_AFTER = ("tagged",)
GROUPS_AFTER = ("group", "groups")
ZONE_AFTER = ("timezone",)
NAME_AFTER = ("playbook", "timeline", "template", "run", "use")
CONTEXT_WORDS = LOGICAL_WORDS + TAGS_AFTER + GROUPS_AFTER + ZONE_AFTER + NAME_AFTER

# Jinja's own words, for inside {{ }} and {% %} (not the .sop language's).
JINJA_KEYWORDS = ("if", "elif", "else", "endif", "for", "endfor", "in", "not", "and", "or", "is",
                  "set", "endset", "with", "endwith", "include", "import", "from", "as", "macro",
                  "endmacro", "call", "endcall", "filter", "endfilter", "raw", "endraw", "block",
                  "endblock", "extends", "true", "false", "none", "True", "False", "None",
                  "loop", "recursive", "ignore", "missing")

# How each kind of token is shown: the TextMate scope and the Pygments token.
# tests/test_editors.py checks that both highlighters give every character of
# every example the same kind.
KINDS = {
    "comment": ("comment.line.number-sign.sop", "Comment.Single"),
    "string": ("string.quoted.double.sop", "String.Double"),
    "string_triple": ("string.quoted.triple.sop", "String.Heredoc"),
    "string_fullwidth": ("string.quoted.other.fullwidth.sop", "String"),
    "escape": ("constant.character.escape.sop", "String.Escape"),
    "jinja": ("meta.embedded.expression.jinja", "String.Interpol"),
    "jinja_statement": ("meta.embedded.statement.jinja", "String.Interpol"),
    "jinja_comment": ("comment.block.jinja", "Comment.Multiline"),
    "keyword": ("keyword.control.sop", "Keyword"),
    "logical": ("keyword.operator.logical.sop", "Operator.Word"),
    "compare": ("keyword.operator.comparison.sop", "Operator"),
    "assign": ("keyword.operator.assignment.sop", "Operator"),
    "punctuation": ("punctuation.separator.sop", "Punctuation"),
    "day": ("constant.language.day.sop", "Name.Constant"),
    "mode": ("constant.language.mode.sop", "Keyword.Constant"),
    "kind": ("storage.type.kind.sop", "Keyword.Type"),
    "metric": ("support.variable.metric.sop", "Name.Builtin.Pseudo"),
    "event": ("support.function.event.sop", "Name.Builtin"),
    # Number, not Literal.Date: almost no Pygments style colours Literal.Date
    "date": ("constant.numeric.date.sop", "Number"),
    "time": ("constant.numeric.time.sop", "Number"),
    "duration": ("constant.numeric.duration.sop", "Number"),
    "offset": ("constant.numeric.offset.sop", "Number"),
    "ordinal": ("constant.numeric.ordinal.sop", "Number"),
    "number": ("constant.numeric.sop", "Number"),
    "mention_role": ("variable.language.mention.sop", "Name.Decorator"),
    "mention": ("variable.other.mention.sop", "Name.Entity"),
    # Name.Label, not Name.Tag: most Pygments styles colour Name.Tag as a keyword
    "tag": ("entity.name.tag.sop", "Name.Label"),
    "group_id": ("constant.other.group.sop", "Name.Variable"),
    "zone": ("entity.name.namespace.zone.sop", "Name.Namespace"),
    "definition": ("entity.name.function.sop", "Name.Function"),
    "attribute": ("entity.other.attribute-name.sop", "Name.Attribute"),
    "value": ("string.unquoted.value.sop", "String.Other"),
    "name": ("variable.other.sop", "Name"),
    "invalid": ("invalid.illegal.sop", "Error"),
}

BLANK = r"[ \t\u3000]"      # the blanks the grammar ignores (%ignore), never a line break
WORD_BEFORE = r"(?<![\w.])"  # a word starts here: not inside a word or after a dot (member.tagged)


class GrammarProblem(Exception):
    """The grammar has something this generator does not know how to show."""


# ---- reading the grammar ---------------------------------------------------------------

@dataclass
class Terminal:
    name: str
    words: list[str] = field(default_factory=list)      # its quoted alternatives
    regexes: list[str] = field(default_factory=list)    # its regex alternatives (Python syntax)


@dataclass
class GrammarWords:
    keywords: list[str]                 # the words the rules spell out, as written
    punctuation: list[str]              # the other quoted strings of the rules ("-", "..", "、")
    terminals: dict[str, Terminal]      # the named terminals
    day_connectors: list[str]           # what may stand between two weekdays in a range


def read_grammar(text: str) -> GrammarWords:
    builder = GrammarBuilder()
    builder.load_grammar(text, "sop.lark")
    grammar = builder.build()
    named = {str(name): tree for name, (tree, _options) in grammar.term_defs if tree is not None}
    terminals = {name: _terminal(name, named) for name in named}
    compiled, _rules, _ignore = grammar.compile(["start"], set())
    anonymous = sorted({t.pattern.value for t in compiled
                        if isinstance(t.pattern, PatternStr) and t.name not in named})
    keywords = [s for s in anonymous if re.search(r"\w", s)]
    punctuation = [s for s in anonymous if not re.search(r"\w", s)]
    rules = {str(name): tree for name, _params, tree, _options in grammar.rule_defs}
    connectors = _day_connectors(rules, terminals)
    return GrammarWords(keywords, punctuation, terminals, connectors)


def _terminal(name: str, named: dict[str, Tree], seen: frozenset[str] = frozenset()) -> Terminal:
    """A terminal's alternatives, each a quoted word or a regex; a terminal
    built some other way (a concatenation, a repetition) is one regex."""
    terminal = Terminal(name)
    for expansion in named[name].children:
        items = expansion.children if isinstance(expansion, Tree) and expansion.data == "expansion" else [expansion]
        literal = _single_literal(items)
        if literal is not None:
            pattern = _literal_to_pattern(literal)
            if isinstance(pattern, PatternStr) and not pattern.flags:
                terminal.words.append(pattern.value)
            else:
                terminal.regexes.append(pattern.to_regexp())
            continue
        reference = _single_reference(items)
        if reference is not None and reference in named and reference not in seen:
            inner = _terminal(reference, named, seen | {name})
            terminal.words += inner.words
            terminal.regexes += inner.regexes
            continue
        raise GrammarProblem(f"terminal {name}: an alternative is not a quoted word, a regex or a terminal; "
                             f"tools/gen_editors.py reads only those (write it as one /regex/)")
    return terminal


def _single_literal(items: list) -> Token | None:
    if len(items) == 1 and isinstance(items[0], Tree) and items[0].data == "value":
        inner = items[0].children[0]
        if isinstance(inner, Tree) and inner.data == "literal":
            return inner.children[0]
    return None


def _single_reference(items: list) -> str | None:
    if len(items) == 1 and isinstance(items[0], Tree) and items[0].data == "value":
        inner = items[0].children[0]
        if not isinstance(inner, Tree) and hasattr(inner, "name"):
            return str(inner.name)
    return None


def _day_connectors(rules: dict[str, Tree], terminals: dict[str, Terminal]) -> list[str]:
    """The strings a rule puts between two WEEKDAYs (`mon..fri`, `周一到周五`):
    quoted, a terminal of quoted words, a group or a rule of such alternatives."""
    found: set[str] = set()
    for tree in rules.values():
        for expansion in tree.find_data("expansion"):
            items = expansion.children
            for before, middle, after in zip(items, items[1:], items[2:]):
                if _name_of(before) == "WEEKDAY" and _name_of(after) == "WEEKDAY":
                    found |= _strings_of(middle, rules, terminals, set())
    return sorted(found)


def _name_of(item) -> str | None:
    """The terminal or rule a `value` item names, if that is all it is."""
    if isinstance(item, Tree) and item.data == "value" and len(item.children) == 1:
        inner = item.children[0]
        if not isinstance(inner, Tree) and hasattr(inner, "name"):
            return str(inner.name)
    return None


def _strings_of(item, rules: dict[str, Tree], terminals: dict[str, Terminal], seen: set[str]) -> set[str]:
    if isinstance(item, Tree) and item.data == "literal":
        pattern = _literal_to_pattern(item.children[0])
        return {pattern.value} if isinstance(pattern, PatternStr) else set()
    if isinstance(item, Tree):
        return set().union(*(_strings_of(child, rules, terminals, seen) for child in item.children))
    name = str(item.name) if hasattr(item, "name") else None
    if name in terminals:
        return set(terminals[name].words)
    if name in rules and name not in seen:
        seen.add(name)
        return _strings_of(rules[name], rules, terminals, seen)
    return set()


def categorise(words: GrammarWords) -> dict[str, list[Terminal]]:
    """The named terminals by category; an unknown terminal of quoted words is
    keywords, an unknown one with a regex is an error (say how to show it)."""
    by_category: dict[str, list[Terminal]] = {}
    for name, terminal in words.terminals.items():
        if name in LAYOUT or name.startswith("__"):
            continue
        category = CATEGORIES.get(name)
        if category is None:
            if terminal.regexes:
                raise GrammarProblem(
                    f"terminal {name} of grammar/sop.lark has no editor category: add it to CATEGORIES in "
                    f"tools/gen_editors.py (one of {', '.join(sorted(set(CATEGORIES.values())))}), then {RERUN}")
            category = "keyword"
        by_category.setdefault(category, []).append(terminal)
    for name in CATEGORY_NEEDS_ONE:
        if name not in words.terminals:
            raise GrammarProblem(f"grammar/sop.lark has no terminal {name} any more: tools/gen_editors.py "
                                 f"builds the editors' {CATEGORIES[name]} pattern from it; say where it went there")
    missing = [w for w in CONTEXT_WORDS if w not in words.keywords]
    if missing:
        raise GrammarProblem(f"the editors read what follows {', '.join(missing)}, which grammar/sop.lark no "
                             f"longer has: update CONTEXT_WORDS in tools/gen_editors.py and the lexers")
    return by_category


# ---- regexes ---------------------------------------------------------------------------

def noncapturing(regex: str) -> str:
    """The regex with its groups made non-capturing, so that it can sit inside
    a larger one whose groups are numbered (Pygments' bygroups, TextMate's
    captures)."""
    out: list[str] = []
    i, in_class = 0, False
    while i < len(regex):
        char = regex[i]
        if char == "\\":
            out.append(regex[i:i + 2])
            i += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
        elif char == "[":
            in_class = True
            if regex[i + 1:i + 2] == "^":
                out.append("[^")
                i += 2
                if regex[i:i + 1] == "]":
                    out.append("]")
                    i += 1
                continue
        elif char == "(":
            if regex.startswith("(?P<", i):
                close = regex.index(">", i)
                out.append("(?:")
                i = close + 1
                continue
            if not regex.startswith("(?", i):
                out.append("(?:")
                i += 1
                continue
        out.append(char)
        i += 1
    return "".join(out)


def alternation(words) -> str:
    """Longest first, so that `星期一` is tried before `星期`."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


def _is_cjk_end(word: str) -> bool:
    return not word[-1].isascii()


def bounded_words(words) -> str:
    """The words as whole words. A Latin word must not run on into letters or
    digits; a Chinese one only not into letters, because Chinese is written
    without spaces (`每月1日`, `周一10:00` parse)."""
    words = sorted(set(words))
    latin = [w for w in words if not _is_cjk_end(w)]
    chinese = [w for w in words if _is_cjk_end(w)]
    parts = []
    if latin:
        parts.append(f"(?:{alternation(latin)})(?!\\w)")
    if chinese:
        parts.append(f"(?:{alternation(chinese)})(?![^\\W\\d])")
    if not parts:
        return r"(?!)"
    return WORD_BEFORE + "(?:" + "|".join(parts) + ")"


def any_of(regexes) -> str:
    return "(?:" + "|".join(f"(?:{noncapturing(r)})" for r in regexes) + ")" if regexes else r"(?!)"


@dataclass
class Patterns:
    """Every regex both highlighters use, by name (Python `re` syntax)."""
    words: dict[str, list[str]]
    regexes: dict[str, str]


def build_patterns(words: GrammarWords, roles: list[str], context_names: list[str], filters: list[str]) -> Patterns:
    cat = categorise(words)

    def terms(category: str) -> list[Terminal]:
        return cat.get(category, [])

    def words_of(*categories: str) -> list[str]:
        return sorted({w for c in categories for t in terms(c) for w in t.words})

    def regexes_of(*categories: str) -> list[str]:
        return [r for c in categories for t in terms(c) for r in t.regexes]

    def terminal_regex(name: str) -> str:
        terminal = words.terminals[name]
        return any_of(terminal.regexes + [re.escape(w) for w in terminal.words])

    def bounded_terms(category: str) -> str:
        """A category's words and regexes (`messages/day`), as whole words."""
        parts = [bounded_words(words_of(category))] if words_of(category) else []
        parts += [WORD_BEFORE + f"(?:{noncapturing(r)})(?![^\\W\\d])" for r in regexes_of(category)]
        return "(?:" + "|".join(parts) + ")" if parts else r"(?!)"

    named_words = set(words_of("day", "day_to", "month_day", "kind", "mode", "metric"))
    # A word that is also a named terminal's (`holidays` is a day set and `on holidays`)
    # is shown as the more particular thing.
    keywords = sorted(set(words.keywords) - named_words - set(LOGICAL_WORDS)) + words_of("keyword")
    keywords = sorted(set(keywords))
    day_words = words_of("day") + [w for w in words_of("month_day")]
    day_item = any_of(regexes_of("day") + [re.escape(w) for w in sorted(day_words, key=lambda w: (-len(w), w))])
    connectors = sorted(set(words.day_connectors) | set(words_of("day_to")))
    day_range = f"(?:{alternation(connectors)})" if connectors else None
    day = WORD_BEFORE + day_item + (f"(?:{day_range}{day_item})?" if day_range else "") + r"(?![^\W\d])"

    keyword = bounded_words(keywords)
    duration = any_of(regexes_of("duration")) + r"(?!\w)"
    ordinal = any_of(regexes_of("ordinal"))
    mention_role = "@" + f"(?:{alternation(roles)})" + r'(?![^\s,"#=])'
    event = WORD_BEFORE + f"({noncapturing(terminal_regex('EVENT'))})" + r"(?![\w.])"
    not_an_argument = f"(?!{keyword}|{duration}|{ordinal})"
    context_end = (f"(?={BLANK}*(?:#|$))|(?={bounded_words(k for k in keywords)})")

    regexes = {
        "BLANK": BLANK + "+",
        "COMMENT": r"#.*$",
        # strings: where each opens and closes (both highlighters read the inside alike)
        "STRING_TRIPLE_BEGIN": r'"""', "STRING_TRIPLE_END": r'"""',
        "STRING_BEGIN": r'"', "STRING_END": r'"',
        "STRING_FULLWIDTH_BEGIN": "“", "STRING_FULLWIDTH_END": "”",
        "STRING_ESCAPE": r"\\.",
        # the text of a string, up to what may start something else in it
        "STRING_TEXT": r'[^"\\{\n]+|\{',
        "STRING_TRIPLE_TEXT": r'[^"{]+|\{|"(?!"")',
        "STRING_FULLWIDTH_TEXT": r"[^”{\n]+|\{",
        # Jinja inside a string, on one line, never past the string's end
        "JINJA_EXPRESSION": r'\{\{(?:[^"\\}\n]|\\.|\}(?!\}))*\}\}',
        "JINJA_STATEMENT": r'\{%(?:[^"\\%\n]|\\.|%(?!\}))*%\}',
        "JINJA_COMMENT": r'\{#(?:[^"\\#\n]|\\.|#(?!\}))*#\}',
        "JINJA_TRIPLE_EXPRESSION": r'\{\{(?:[^"}\n]|"(?!"")|\}(?!\}))*\}\}',
        "JINJA_TRIPLE_STATEMENT": r'\{%(?:[^"%\n]|"(?!"")|%(?!\}))*%\}',
        "JINJA_TRIPLE_COMMENT": r'\{#(?:[^"#\n]|"(?!"")|#(?!\}))*#\}',
        "JINJA_FULLWIDTH_EXPRESSION": r"\{\{(?:[^”}\n]|\}(?!\}))*\}\}",
        "JINJA_FULLWIDTH_STATEMENT": r"\{%(?:[^”%\n]|%(?!\}))*%\}",
        "JINJA_FULLWIDTH_COMMENT": r"\{#(?:[^”#\n]|#(?!\}))*#\}",
        # an event and its argument (a tag or a stage; not a keyword, a duration or a count)
        "EVENT": event + f"(?:({BLANK}+){not_an_argument}({noncapturing(terminal_regex('EVENT_ARG'))}))?",
        # contexts: the tags after `tagged`, the group ids after `group`, until a keyword or the line's end
        "TAGGED": WORD_BEFORE + f"({alternation(TAGS_AFTER)})(?!\\w)",
        "GROUPS": WORD_BEFORE + f"({alternation(GROUPS_AFTER)})(?!\\w)"
                  + f"(?!{BLANK}+(?:{alternation(TAGS_AFTER)})(?!\\w))",
        "CONTEXT_END": context_end,
        "TAG": noncapturing(terminal_regex("TAG")),
        "GROUP_ID": noncapturing(terminal_regex("GROUP_ID")),
        "ZONE": WORD_BEFORE + f"({alternation(ZONE_AFTER)})({BLANK}+)({noncapturing(terminal_regex('ZONE'))})"
                + r"(?![^\s#])",
        "DEFINITION": WORD_BEFORE + f"({alternation(NAME_AFTER)})({BLANK}+)"
                      + f"(?!{keyword})({noncapturing(terminal_regex('NAME'))})",
        "ASSIGNMENT": WORD_BEFORE + f"({noncapturing(terminal_regex('NAME'))})({BLANK}*)(=)({BLANK}*)"
                      + f"(?:({noncapturing(terminal_regex('NUMBER'))})(?![^\\s#])"
                      + f"|({noncapturing(terminal_regex('BARE_VALUE'))}))?",
        "DATE": any_of(regexes_of("date")) + r"(?!\d)",
        "TIME": any_of(regexes_of("time")) + r"(?!\d)",
        "T_OFFSET": WORD_BEFORE + any_of(regexes_of("t_offset")) + r"(?!\w)",
        "OFFSET": any_of(regexes_of("offset")) + r"(?!\w)",
        "ORDINAL": WORD_BEFORE + any_of(regexes_of("ordinal", "repeat_count")) + r"(?![^\s#])",
        "DURATION": duration,
        "DAY": day,
        "MENTION_ROLE": mention_role,
        "MENTION": noncapturing(terminal_regex("MENTION")),
        "KIND": bounded_terms("kind"),
        "MODE": bounded_terms("mode"),
        "METRIC": bounded_terms("metric"),
        "LOGICAL": bounded_words(LOGICAL_WORDS),
        "KEYWORD": keyword,
        "COMPARE": f"(?:{alternation(words_of('compare'))})",
        "MONTH_DAY": any_of(regexes_of("month_day")) + r"(?![^\W\d])",
        # a plain number; its sign is left to the punctuation, so `22:00-08:00` stays two times
        "NUMBER": r"\d+(?:\.\d+)?(?!\w)",
        "NAME": noncapturing(terminal_regex("NAME")),
        "PUNCTUATION": f"(?:{alternation(words.punctuation)})",
        "INVALID": r"\S",
        # inside Jinja (TextMate only: Pygments shows an expression as one token)
        "JINJA_DELIMITER": r"\{\{-?|-?\}\}|\{%-?|-?%\}",
        "JINJA_KEYWORD": r"(?<![\w.])(?:" + alternation(JINJA_KEYWORDS) + r")(?!\w)",
        "JINJA_FILTER": r"(\|)\s*([A-Za-z_]\w*)",
        "JINJA_BUILTIN": r"(?<![\w.])(?:" + alternation(context_names) + r")(?!\w)",
        "JINJA_STRING": "'(?:[^'\\\\]|\\\\.)*'|\"(?:[^\"\\\\]|\\\\.)*\"",
        "JINJA_NUMBER": r"(?<![\w.])\d+(?:\.\d+)?",
        "JINJA_NAME": r"[^\W\d]\w*",
        "JINJA_OPERATOR": r"==|!=|<=|>=|[-+*/%~=<>!|.,:()\[\]]",
    }
    lists = {
        "KEYWORDS": keywords,
        "LOGICAL_WORDS": list(LOGICAL_WORDS),
        "DAY_WORDS": sorted(set(day_words)),
        "DAY_RANGE_CONNECTORS": connectors,
        "KIND_WORDS": words_of("kind"),
        "MODE_WORDS": words_of("mode"),
        "METRIC_WORDS": words_of("metric"),
        "COMPARE_OPERATORS": words_of("compare"),
        "PUNCTUATION_MARKS": list(words.punctuation),
        "MENTION_ROLES": list(roles),
        "TEMPLATE_NAMES": list(context_names),
        "TEMPLATE_FILTERS": list(filters),
    }
    for name, regex in regexes.items():
        try:
            re.compile(regex, re.MULTILINE)
        except re.error as problem:  # a bug here, not in the grammar
            raise GrammarProblem(f"the {name} pattern does not compile ({problem}): {regex}") from None
    return Patterns(lists, regexes)


# ---- the vocabulary --------------------------------------------------------------------

def vocabulary() -> tuple[list[str], list[str], list[str]]:
    from sopc.compile.templates import FILTERS
    from sopc.core.vocabulary import CONTEXT_NAMES, ROLE_WORDS

    return sorted(ROLE_WORDS), sorted(c.name for c in CONTEXT_NAMES), sorted(FILTERS)


# ---- the outputs -----------------------------------------------------------------------

WORDS_HEADER = '''"""The words and token shapes of the .sop language, for the editors.

Generated by tools/gen_editors.py from grammar/sop.lark (the one definition of
the syntax), sopc/core/vocabulary.py and sopc/compile/templates.py: do not
edit; after changing the grammar, run: python tools/gen_editors.py

The regexes are Python `re` syntax that Oniguruma reads alike: the same text is
in editors/sop.tmLanguage.json. This module imports nothing, so the Pygments
lexer loads without sopc's compiler.
"""

'''

# which kind each regex is shown as (for the lexers and the tests)
KIND_OF = {
    "COMMENT": "comment", "STRING_ESCAPE": "escape",
    "JINJA_EXPRESSION": "jinja", "JINJA_STATEMENT": "jinja_statement", "JINJA_COMMENT": "jinja_comment",
    "DATE": "date", "TIME": "time", "T_OFFSET": "offset", "OFFSET": "offset", "ORDINAL": "ordinal",
    "DURATION": "duration", "DAY": "day", "MENTION_ROLE": "mention_role", "MENTION": "mention",
    "KIND": "kind", "MODE": "mode", "METRIC": "metric", "LOGICAL": "logical", "KEYWORD": "keyword",
    "COMPARE": "compare", "MONTH_DAY": "number", "NUMBER": "number", "NAME": "name",
    "PUNCTUATION": "punctuation", "INVALID": "invalid", "TAG": "tag", "GROUP_ID": "group_id",
}


# The order both highlighters try things in at each place of a line: first
# what has a context (TextMate: the grammar's repository; Pygments: the lexer's
# own rules, in this order), then one regex each, a kind each.
CONTEXT_ORDER = ("comment", "strings", "event", "tags", "groups", "zone", "definition", "assignment")
ROOT_ORDER = ("DATE", "TIME", "T_OFFSET", "OFFSET", "ORDINAL", "DURATION", "DAY", "MENTION_ROLE", "MENTION",
              "KIND", "MODE", "METRIC", "LOGICAL", "KEYWORD", "COMPARE", "MONTH_DAY", "NUMBER", "NAME",
              "PUNCTUATION", "INVALID")


def words_module(patterns: Patterns) -> str:
    out = [WORDS_HEADER]
    for name, values in patterns.words.items():
        out.append(f"{name} = {_tuple(values)}\n")
    out.append("\n# The order of the rules that show one regex as one kind (after those with a context).\n")
    out.append(f"ROOT_ORDER = {_tuple(list(ROOT_ORDER))}\n")
    out.append("REGEX_KINDS = {\n")
    for name, kind in KIND_OF.items():
        out.append(f"    {name!r}: {kind!r},\n")
    out.append("}\n")
    out.append("\n# How each kind of token is shown: (TextMate scope, Pygments token).\n")
    out.append("KINDS = {\n")
    for kind, (scope, token) in KINDS.items():
        out.append(f"    {kind!r}: ({scope!r}, {token!r}),\n")
    out.append("}\n\n# The regexes, by name.\n")
    for name, regex in patterns.regexes.items():
        out.append(f"{name} = {_literal(regex)}\n")
    return "".join(out)


def _tuple(values: list[str]) -> str:
    if not values:
        return "()"
    return "(" + ", ".join(repr(v) for v in values) + ("," if len(values) == 1 else "") + ")"


def _literal(regex: str) -> str:
    """A Python literal for the regex: raw where it can be (readable), else repr."""
    if "'" not in regex and "\n" not in regex and not regex.endswith("\\"):
        return "r'" + regex + "'"
    if '"' not in regex and "\n" not in regex and not regex.endswith("\\"):
        return 'r"' + regex + '"'
    return repr(regex)


def _scope(kind: str) -> str:
    return KINDS[kind][0]


def _match(name: str, patterns: Patterns, kind: str | None = None) -> dict:
    return {"name": _scope(kind or KIND_OF[name]), "match": patterns.regexes[name]}


def _captures(*kinds: str | None) -> dict:
    return {str(i): {"name": _scope(k)} for i, k in enumerate(kinds, start=1) if k is not None}


def tmlanguage(patterns: Patterns) -> dict:
    r = patterns.regexes

    def jinja(prefix: str) -> dict:
        def embedded(name: str, kind: str) -> dict:
            return {"name": _scope(kind), "match": r[name], "captures": {"0": {"patterns": [{"include": "#jinja-inside"}]}}}
        return {"patterns": [
            embedded(f"JINJA_{prefix}EXPRESSION", "jinja"),
            embedded(f"JINJA_{prefix}STATEMENT", "jinja_statement"),
            {"name": _scope("jinja_comment"), "match": r[f"JINJA_{prefix}COMMENT"]},
        ]}

    def string(begin: str, end: str, kind: str, inside: list[dict]) -> dict:
        return {"name": _scope(kind), "begin": r[begin], "end": r[end],
                "beginCaptures": {"0": {"name": "punctuation.definition.string.begin.sop"}},
                "endCaptures": {"0": {"name": "punctuation.definition.string.end.sop"}},
                "patterns": inside}

    def context(begin: str, inside: list[dict]) -> dict:
        return {"begin": r[begin], "beginCaptures": _captures("keyword"), "end": r["CONTEXT_END"],
                "patterns": inside}

    repository = {
        "comment": {"name": _scope("comment"), "match": r["COMMENT"]},
        "strings": {"patterns": [{"include": "#string-triple"}, {"include": "#string-double"},
                                 {"include": "#string-fullwidth"}]},
        "string-triple": string("STRING_TRIPLE_BEGIN", "STRING_TRIPLE_END", "string_triple",
                                [{"include": "#jinja-triple"}]),
        # a "..." text ends at its line's end, as the grammar reads it: an unclosed
        # one does not colour the rest of the file
        "string-double": {**string("STRING_BEGIN", "STRING_END", "string",
                                   [_match("STRING_ESCAPE", patterns), {"include": "#jinja-double"}]),
                          "end": r['STRING_END'] + "|$"},
        "string-fullwidth": {**string("STRING_FULLWIDTH_BEGIN", "STRING_FULLWIDTH_END", "string_fullwidth",
                                      [{"include": "#jinja-fullwidth"}]),
                             "end": r["STRING_FULLWIDTH_END"] + "|$"},
        "jinja-double": jinja(""),
        "jinja-triple": jinja("TRIPLE_"),
        "jinja-fullwidth": jinja("FULLWIDTH_"),
        "jinja-inside": {"patterns": [
            {"name": "punctuation.section.embedded.jinja", "match": r["JINJA_DELIMITER"]},
            {"name": "string.quoted.jinja", "match": r["JINJA_STRING"]},
            {"match": r["JINJA_FILTER"], "captures": {"1": {"name": "keyword.operator.filter.jinja"},
                                                       "2": {"name": "support.function.filter.jinja"}}},
            {"name": "keyword.control.jinja", "match": r["JINJA_KEYWORD"]},
            {"name": "variable.language.jinja", "match": r["JINJA_BUILTIN"]},
            {"name": "constant.numeric.jinja", "match": r["JINJA_NUMBER"]},
            {"name": "variable.other.jinja", "match": r["JINJA_NAME"]},
            {"name": "keyword.operator.jinja", "match": r["JINJA_OPERATOR"]},
        ]},
        "event": {"match": r["EVENT"], "captures": _captures("event", None, "tag")},
        "tags": context("TAGGED", [
            _match("LOGICAL", patterns),
            {"name": _scope("punctuation"), "match": r"[()]"},
            _match("TAG", patterns),
        ]),
        "groups": context("GROUPS", [
            {"name": _scope("punctuation"), "match": ","},
            _match("GROUP_ID", patterns),
        ]),
        "zone": {"match": r["ZONE"], "captures": _captures("keyword", None, "zone")},
        "definition": {"match": r["DEFINITION"], "captures": _captures("keyword", None, "definition")},
        "assignment": {"match": r["ASSIGNMENT"], "captures": _captures("attribute", None, "assign", None,
                                                                          "number", "value")},
    }
    top = [{"include": f"#{name}"} for name in CONTEXT_ORDER]
    top += [_match(name, patterns) for name in ROOT_ORDER]
    return {
        "$schema": "https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json",
        "name": "SOP",
        "scopeName": "source.sop",
        "fileTypes": ["sop"],
        "comment": "Generated by tools/gen_editors.py from grammar/sop.lark: do not edit; "
                   "after changing the grammar, run: python tools/gen_editors.py",
        "patterns": top,
        "repository": repository,
    }


def generate(grammar_text: str | None = None) -> dict[Path, str]:
    """What each generated file should hold."""
    text = GRAMMAR.read_text(encoding="utf-8") if grammar_text is None else grammar_text
    roles, context_names, filters = vocabulary()
    patterns = build_patterns(read_grammar(text), roles, context_names, filters)
    grammar_json = json.dumps(tmlanguage(patterns), ensure_ascii=False, indent=2) + "\n"
    return {WORDS_MODULE: words_module(patterns), TMLANGUAGE: grammar_json, VSCODE_TMLANGUAGE: grammar_json}


def stale(outputs: dict[Path, str]) -> list[Path]:
    return [path for path, text in outputs.items()
            if not path.is_file() or path.read_text(encoding="utf-8") != text]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only say whether the generated files are up to date")
    args = parser.parse_args()
    try:
        outputs = generate()
    except GrammarProblem as problem:
        sys.exit(f"tools/gen_editors.py: {problem}")
    out_of_date = stale(outputs)
    if args.check:
        if out_of_date:
            names = ", ".join(str(p.relative_to(ROOT)) for p in out_of_date)
            sys.exit(f"out of date: {names}; {RERUN}")
        print("the editor files are up to date")
        return
    for path in out_of_date:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(outputs[path], encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    if not out_of_date:
        print("the editor files are already up to date")


if __name__ == "__main__":
    main()
