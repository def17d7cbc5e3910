"""Jinja tags found by substring search (sopc.compile.jinja_tags) are the
ones the lazy regexes found, in linear time (the regexes took seconds on a
text of unclosed `{{`)."""

from __future__ import annotations

import random
import re

from sopc.compile.jinja_tags import ALL_TAGS, name_in_tags, tag_spans, without_tags

ON_ONE_LINE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")
ANY_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)


def test_the_same_tags_as_the_regexes_on_random_texts():
    rng = random.Random(11)
    for _ in range(20_000):
        text = "".join(rng.choice("{}%#\nab ") for _ in range(rng.randint(0, 24)))
        start = rng.randint(0, len(text))
        end = rng.randint(start, len(text) + 2)
        assert list(tag_spans(text, start, end)) == [m.span() for m in ON_ONE_LINE.finditer(text, start, end)], text
        assert list(tag_spans(text, kinds=ALL_TAGS, across_lines=True)) == [m.span() for m in ANY_TAG.finditer(text)]
        assert without_tags(text) == ANY_TAG.sub("", text), text


def test_a_name_is_found_inside_a_tag_not_in_the_words_around_it():
    line = "book: {{ book }} and {% if book_club %}{{ club.book }}{% endif %}"
    assert name_in_tags(line, "book") == (9, 13)
    assert name_in_tags(line, "book", 16) is None  # `club.book` is an attribute, `book_club` another name
    assert name_in_tags("{{ book", "book") is None  # never closed: no tag


def test_unclosed_tags_are_no_tags_and_cost_a_pass_over_the_text():
    text = "{{" * 100_000 + "{% x %}"
    assert list(tag_spans(text)) == [(200_000, 200_007)]
    assert without_tags("title {{" + "{#" * 50_000) == "title {{" + "{#" * 50_000
