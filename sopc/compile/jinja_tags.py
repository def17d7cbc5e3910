"""Where a template text's Jinja tags are (``{{ }}``, ``{% %}``, ``{# #}``),
for diagnostics that point inside them and for titles made without them.

Stage: compile (stdlib only). Found by substring search, in time linear in
the text: the lazy regex ``\\{\\{.*?\\}\\}`` it replaces scanned to the end of
the text from every ``{{`` that is never closed (10,000 of them in a `raw`
block: 2.7 s per search). The same matches as that regex's ``finditer``.
"""

from __future__ import annotations

import re
from typing import Iterator

EXPRESSIONS_AND_STATEMENTS = (("{{", "}}"), ("{%", "%}"))
ALL_TAGS = (*EXPRESSIONS_AND_STATEMENTS, ("{#", "#}"))


def tag_spans(text: str, start: int = 0, end: int | None = None, *, kinds=EXPRESSIONS_AND_STATEMENTS,
              across_lines: bool = False) -> Iterator[tuple[int, int]]:
    """(start, end) of each tag in ``text[start:end]``, left to right, as
    ``re.finditer`` gives them for ``{{.*?}}|{%.*?%}`` (and ``{#.*?#}`` in
    ``kinds``); a tag ends on its own line unless ``across_lines``."""
    end = len(text) if end is None else min(end, len(text))
    look_from = {opener: start for opener, _closer in kinds}  # an opener before this has no closer
    at = start
    while True:
        found = None
        for opener, closer in kinds:
            index = text.find(opener, max(at, look_from[opener]), end)
            if index >= 0 and (found is None or index < found[0]):
                found = (index, opener, closer)
        if found is None:
            return
        index, opener, closer = found
        limit = end
        if not across_lines:
            newline = text.find("\n", index + 2, end)
            limit = end if newline < 0 else newline
        closing = text.find(closer, index + 2, limit)
        if closing < 0:
            # No later opener of this kind closes before `limit` either: skip to past it.
            look_from[opener] = limit + 1
            continue
        yield index, closing + 2
        at = closing + 2


def without_tags(text: str) -> str:
    """``text`` with every tag (comments too, across lines) taken out."""
    pieces, at = [], 0
    for begin, finish in tag_spans(text, kinds=ALL_TAGS, across_lines=True):
        pieces.append(text[at:begin])
        at = finish
    pieces.append(text[at:])
    return "".join(pieces)


def name_in_tags(line: str, name: str, start: int = 0, end: int | None = None) -> tuple[int, int] | None:
    """(start, end) of the first read of the variable ``name`` inside a
    ``{{ }}`` or ``{% %}`` tag of ``line[start:end]``; None if there is none."""
    word = re.compile(rf"(?<![\w.]){re.escape(name)}(?!\w)")
    for begin, finish in tag_spans(line, start, end):
        found = word.search(line, begin, finish)
        if found:
            return found.start(), found.end()
    return None
