"""Templates that only print values, rendered without Jinja's compiler.

Most message texts are words with a few ``{{ group.name }}`` or
``{{ price | yuan }}`` tags in them. For such a text, Jinja's lexer, parser,
code generator and Python's ``compile`` cost ~0.2 ms (a 10,000-line
project's first check compiles hundreds), and each render builds a Jinja
context first (~8 us a text). :func:`plain_template` reads such a text in
one regular expression; :class:`PlainTemplate` renders it by making the
calls Jinja's generated code makes, in the same order, with the
environment's own pieces (its ``getattr``, filters, ``undefined``,
``finalize`` and ``concat``). So a value, a missing name or a refused value
comes out as the same text or the same exception, which
tests/test_plain_templates.py compares against Jinja on generated texts.

Anything else (a ``{% %}`` or ``{# #}`` tag, whitespace control, a filter
with arguments or that reads the context, a literal, an operator, a name
that is not plain ASCII) is Jinja's, as before.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

import jinja2
from jinja2.utils import _PassArg

from sopc.core.records import dataclass

# A tag of the shapes read here; a name Jinja reads as something else is not one.
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_TAG = re.compile(r"\{\{[ \t]*(" + _NAME + r"(?:\." + _NAME + r")*)((?:[ \t]*\|[ \t]*" + _NAME + r")*)[ \t]*\}\}")
_OPENERS = re.compile(r"\{[{%#]")  # where Jinja's lexer leaves plain text
_KEYWORDS = frozenset({"true", "false", "none", "True", "False", "None", "and", "or", "not", "in", "is", "if",
                       "else", "elif", "endif", "for", "endfor", "recursive", "with", "without", "context",
                       "import", "from", "as", "set", "block", "extends", "include", "macro", "call", "filter",
                       "pass", "do", "loop", "self", "super", "caller", "varargs", "kwargs"})
# Filters that guard a read (`x | default`): sopc's analysis leaves such reads
# out (sopc.compile.templates), so a text using one is Jinja's.
GUARD_FILTERS = frozenset({"default", "d"})
MAX_TAGS = 200       # more: Jinja's (it counts the template's size)
MAX_CHAIN = 8        # attributes and filters on one name; more: Jinja's (it measures the nesting)


class PlainTemplate:
    """A text of plain runs and ``{{ name.attribute | filter }}`` tags; it
    renders as ``jinja2.Template.render`` does for it."""

    __slots__ = ("_env", "_pieces", "_shapes", "names")

    def __init__(self, env: jinja2.Environment, shapes: tuple):
        self._env = env
        self._shapes = shapes  # str, or (name, attributes, filter names)
        # Every name a render looks up in its context (globals' names too: a value may stand over one).
        self.names = frozenset(shape[0] for shape in shapes if type(shape) is not str)
        filters = env.filters
        self._pieces = tuple(shape if type(shape) is str else
                             (shape[0], shape[1], tuple(filters[name] for name in shape[2])) for shape in shapes)

    def bound_to(self, env: jinja2.Environment) -> "PlainTemplate":
        """The same text for ``env`` (its filters and undefined)."""
        return self if env is self._env else PlainTemplate(env, self._shapes)

    def render(self, context: Mapping[str, Any]) -> str:
        env = self._env
        getattr_, finalize, globals_ = env.getattr, env.finalize, env.globals
        chunks = []
        for piece in self._pieces:
            if type(piece) is str:
                chunks.append(piece)
                continue
            name, attributes, filters = piece
            # Jinja's context: the render's values over the environment's globals.
            if name in context:
                value = context[name]
            elif name in globals_:
                value = globals_[name]
            else:
                value = env.undefined(name=name)
            for attribute in attributes:
                value = getattr_(value, attribute)
            for function in filters:
                value = function(value)
            chunks.append(str(finalize(value)))
        return env.concat(chunks)


@dataclass(frozen=True, slots=True)
class PlainReading:
    """What sopc's analysis reads of a plain template (see templates._Parsed)."""

    template: PlainTemplate
    variables: frozenset[str]
    attributes: dict[str, frozenset[str]]
    first_reads: dict[str, int]


def plain_template(env: jinja2.Environment, text: str) -> PlainReading | None:
    """``text`` as a :class:`PlainTemplate` and what it reads, or None when
    it is not only plain runs and plain tags (Jinja compiles it)."""
    if "\r" in text:  # Jinja makes every line break "\n": such a text is Jinja's
        return None
    source = text[:-1] if text.endswith("\n") else text  # Jinja drops one trailing line break from the source
    shapes: list = []
    reads: dict[str, int] = {}
    uses: dict[str, set[str]] = {}
    position, line, tags = 0, 1, 0
    for opener in _OPENERS.finditer(source):
        start = opener.start()
        if start < position:  # inside the tag just read
            continue
        tag = _TAG.match(source, start)
        if tag is None:
            return None
        tags += 1
        if tags > MAX_TAGS:
            return None
        shape = _shape(env, tag)
        if shape is None:
            return None
        if start > position:
            shapes.append(source[position:start])
        line += source.count("\n", position, start)
        shapes.append(shape)
        name, attributes, _filters = shape
        if name not in env.globals:
            reads.setdefault(name, line)
            if attributes:
                uses.setdefault(name, set()).add(attributes[0])
        position = tag.end()
    if position < len(source):
        shapes.append(source[position:])
    return PlainReading(PlainTemplate(env, tuple(shapes)), frozenset(reads),
                        {name: frozenset(keys) for name, keys in uses.items()}, reads)


def _shape(env: jinja2.Environment, tag: re.Match) -> tuple | None:
    path = tag.group(1).split(".")
    filters = tuple(name.strip() for name in tag.group(2).split("|")[1:])
    if len(path) + len(filters) > MAX_CHAIN + 1 or not _KEYWORDS.isdisjoint(path):
        return None
    for name in filters:
        function = env.filters.get(name)
        if function is None or name in GUARD_FILTERS or _PassArg.from_obj(function) is not None:
            return None
    return path[0], tuple(path[1:]), filters
