"""A Pygments lexer for .sop playbooks: `pygmentize -l sop file.sop`, and
```sop blocks in Sphinx and MkDocs.

Registered through Pygments' `pygments.lexers` entry point (pyproject.toml),
so installing sopc with its `editors` extra is all a docs build needs. The
regexes, and the token each kind of word is shown as, come from
grammar_words.py, which tools/gen_editors.py generates from grammar/sop.lark;
the TextMate grammar in editors/ is built from the same regexes in the same
order, and tests/test_editors.py checks that the two highlight every example
alike.
"""

from __future__ import annotations

import re

from pygments.lexer import RegexLexer, bygroups
from pygments.token import Whitespace, string_to_tokentype

from sopc.editors import grammar_words as w

__all__ = ["SopLexer"]


def shown_as(kind: str):
    """The Pygments token a kind of word is shown as (grammar_words.KINDS)."""
    return string_to_tokentype(w.KINDS[kind][1])


def _string(kind: str, end: str, text: str, jinja: str, single_line: bool, escape: bool = False) -> list:
    """The inside of one kind of string: Jinja in it, its text, its end."""
    token = shown_as(kind)
    rules = [(end, token, "#pop")]
    if escape:
        rules.append((w.STRING_ESCAPE, shown_as("escape")))
    rules += [
        (getattr(w, f"JINJA_{jinja}EXPRESSION"), shown_as("jinja")),
        (getattr(w, f"JINJA_{jinja}STATEMENT"), shown_as("jinja_statement")),
        (getattr(w, f"JINJA_{jinja}COMMENT"), shown_as("jinja_comment")),
        (text, token),
    ]
    if single_line:
        rules.append((r"\n", shown_as("invalid"), "#pop"))   # the grammar reads "..." on one line: unclosed
    return rules


def _words(*names: str) -> list:
    """Root rules that show one regex as one kind, in the given order."""
    return [(getattr(w, name), shown_as(w.REGEX_KINDS[name])) for name in names]


# A zero-width end of a context (the tags after `tagged`, ...): leave it without a token.
_LEAVE = bygroups()


class SopLexer(RegexLexer):
    """The .sop playbook language of sopc (社群运营 SOP)."""

    name = "SOP"
    aliases = ["sop"]
    filenames = ["*.sop"]
    mimetypes = ["text/x-sop"]
    flags = re.MULTILINE

    tokens = {
        "root": [
            (w.BLANK, Whitespace),
            (r"\n", Whitespace),
            (w.COMMENT, shown_as("comment")),
            (w.STRING_TRIPLE_BEGIN, shown_as("string_triple"), "string-triple"),
            (w.STRING_BEGIN, shown_as("string"), "string-double"),
            (w.STRING_FULLWIDTH_BEGIN, shown_as("string_fullwidth"), "string-fullwidth"),
            (w.EVENT, bygroups(shown_as("event"), Whitespace, shown_as("tag"))),
            (w.TAGGED, bygroups(shown_as("keyword")), "tags"),
            (w.GROUPS, bygroups(shown_as("keyword")), "groups"),
            (w.ZONE, bygroups(shown_as("keyword"), Whitespace, shown_as("zone"))),
            (w.DEFINITION, bygroups(shown_as("keyword"), Whitespace, shown_as("definition"))),
            (w.ASSIGNMENT, bygroups(shown_as("attribute"), Whitespace, shown_as("assign"), Whitespace,
                                    shown_as("number"), shown_as("value"))),
            *_words(*w.ROOT_ORDER),
        ],
        "string-double": _string("string", w.STRING_END, w.STRING_TEXT, "", single_line=True, escape=True),
        "string-triple": _string("string_triple", w.STRING_TRIPLE_END, w.STRING_TRIPLE_TEXT, "TRIPLE_",
                                 single_line=False),
        "string-fullwidth": _string("string_fullwidth", w.STRING_FULLWIDTH_END, w.STRING_FULLWIDTH_TEXT,
                                    "FULLWIDTH_", single_line=True),
        # `to groups tagged 会员群 and not city:上海`: tags up to a keyword or the line's end
        "tags": [
            (w.CONTEXT_END, _LEAVE, "#pop"),
            (w.BLANK, Whitespace),
            *_words("LOGICAL"),
            (r"[()]", shown_as("punctuation")),
            *_words("TAG"),
        ],
        # `to group hz_001, hz_002` / `in group hz_flash_01 with ...`
        "groups": [
            (w.CONTEXT_END, _LEAVE, "#pop"),
            (w.BLANK, Whitespace),
            (r",", shown_as("punctuation")),
            *_words("GROUP_ID"),
        ],
    }

    def analyse_text(text):  # noqa: N805 - Pygments calls it as a static method
        """A guess for `pygmentize -g`: a playbook or timeline header line."""
        return 0.3 if re.search(r"^(playbook|timeline)[ \t]+\S", text, re.MULTILINE) else 0.0
