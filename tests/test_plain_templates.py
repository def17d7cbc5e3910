"""Texts that only print values are rendered without Jinja's compiler
(sopc.compile.plain_templates): for every such text and every context, the
same text or the same error as Jinja's compiled template, and the same
reading (variables, attributes, the line each is first read on)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sopc.compile import templates
from sopc.compile.plain_templates import PlainTemplate, plain_template
from sopc.core.diagnostics import Span
from sopc.lang import ast

ENV = templates._make_environment(Path("."))


class Shop:
    name = "object's name"
    city = None


CONTEXTS = [
    {"group": {"name": "南京东路店福利群", "store": "南京东路店", "items": "a key named like dict's method"},
     "amount": 20, "price": 9.9, "date": "2026-11-23", "when": dt.date(2026, 12, 12), "nothing": None,
     "names": ["小葵", "阿杰"], "shop": Shop()},
    {"group": {"name": "x" * 40}, "amount": "20", "price": "not a number", "date": 3, "when": "2026-12-12",
     "nothing": {"name": "nested"}, "names": "", "shop": {"name": 7}},
    {"group": "a text, not a dict", "amount": -1.5, "price": 10**30, "date": None, "range": "a value over a global"},
    {"amount": "y" * (templates.MAX_TEXT + 1),  # refused in the message
     "names": ["z" * (templates.MAX_TEXT // 2)] * 3},  # refused as it is printed
    {},
]
NAMES = ["group", "amount", "price", "date", "when", "nothing", "names", "shop", "missing", "range", "dict"]
ATTRIBUTES = ["name", "store", "city", "items", "keys", "real", "upper", "missing", "__class__"]
FILTERS = ["yuan", "cn_date", "hhmm", "upper", "title", "length", "string", "int", "float", "round", "trim", "e",
           "safe", "abs", "count", "wordcount", "striptags", "capitalize", "lower", "reverse", "urlencode"]
WORDS = st.sampled_from(["福利", "本周 ", "}", "}}", "{ x }", "x{ ", "\n", "  ", "%", "#", "券包!", "a", "\t"])


def tags() -> st.SearchStrategy[str]:
    return st.builds(lambda name, attributes, filters, left, right, bar: (
        "{{" + left + ".".join([name, *attributes]) + "".join(f"{bar}|{bar}{f}" for f in filters) + right + "}}"),
        st.sampled_from(NAMES), st.lists(st.sampled_from(ATTRIBUTES), max_size=3),
        st.lists(st.sampled_from(FILTERS), max_size=3), st.sampled_from(["", " ", "  ", "\t"]),
        st.sampled_from(["", " ", "  "]), st.sampled_from(["", " "]))


PLAIN_TEXTS = st.lists(st.one_of(WORDS, tags()), min_size=1, max_size=12).map("".join).filter(
    lambda text: "{{{" not in text and "{%" not in text and "{#" not in text)


def outcome(template, context) -> tuple:
    try:
        return ("text", _unplaced(template.render(context)))
    except Exception as exc:  # noqa: BLE001 (the error is what is compared)
        return ("error", type(exc), _unplaced(str(exc)))


def _unplaced(text: str) -> str:
    """An object printed by its repr, without its address (each render makes its own)."""
    return re.sub(r"0x[0-9a-f]+", "0x…", text)


def jinjas(text: str) -> templates._Parsed:
    parsed = templates._parse_text(ENV, text)
    assert parsed.template is not None and not isinstance(parsed.template, PlainTemplate)
    return parsed


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(PLAIN_TEXTS)
def test_a_plain_text_renders_and_reads_as_jinjas_compiled_template(text):
    plain = plain_template(ENV, text)
    assert plain is not None, text
    jinja = jinjas(text)
    assert plain.variables == jinja.variables
    assert plain.attributes == dict(jinja.attributes)
    assert plain.first_reads == dict(jinja.first_reads)
    for context in CONTEXTS:
        assert outcome(plain.template, context) == outcome(jinja.template, context), (text, context)


@pytest.mark.parametrize("text", [
    "{% if amount %}满减{% endif %}", "{# 备注 #}福利", "{{- amount }}", "{{ amount -}}", "{{ amount + 1 }}",
    "{{ amount | round(1) }}", "{{ amount | default('x') }}", "{{ amount | d }}", "{{ names | first }}",
    "{{ names | join }}", "{{ 'words' }}", "{{ 42 }}", "{{ none }}", "{{ true }}", "{{ group['name'] }}",
    "{{ group.0 }}", "{{ 门店 }}", "{{ amount if date }}", "{{ amount\n}}", "{{{ amount }}", "第一行\r\n{{ amount }}",
    "{{ amount | no_such_filter }}", "{{ amount }}" * (200 + 1), "{{ " + ".".join(["group"] * 10) + " }}",
])
def test_anything_but_plain_text_and_plain_tags_is_left_to_jinja(text):
    assert plain_template(ENV, text) is None


def test_a_check_of_plain_texts_compiles_nothing_with_jinja(tmp_path, monkeypatch):
    """What the fast reading is for: a store's plain steps never reach Jinja's compiler."""
    compiled: list[str] = []
    real = templates._parse_text
    monkeypatch.setattr(templates, "_parse_text", lambda env, text: compiled.append(text) or real(env, text))
    monkeypatch.setenv("SOPC_CACHE_DIR", "")
    span = Span(path="p.sop", line=4, column=5, end_line=4, end_column=40)
    store = templates.TemplateStore(tmp_path)
    texts = ["【{{ group.store }}】本周福利,{{ amount }} 元券", "{{ price | yuan }} only", "{% if amount %}满减{% endif %}"]
    rendered = []
    for number, text in enumerate(texts):
        template, diagnostics = store.compile(ast.InlineText(text=f"{text} #{number}", span=span, body_line=4,
                                                             body_column=20), origin_span=span)
        assert not diagnostics
        rendered.append(template.render(CONTEXTS[0]))
    assert compiled == ["{% if amount %}满减{% endif %} #2"]
    assert rendered == ["【南京东路店】本周福利,20 元券 #0", "9.9元 only #1", "满减 #2"]


def test_a_missing_value_in_a_plain_text_is_the_same_error_a_step_reports(tmp_path):
    span = Span(path="p.sop", line=4, column=5, end_line=4, end_column=40)
    template, _ = templates.TemplateStore(tmp_path).compile(
        ast.InlineText(text="{{ group.city }} 店福利", span=span, body_line=4, body_column=20), origin_span=span)
    with pytest.raises(templates.TemplateRenderError) as plain_error:
        template.render({"group": {"name": "n"}})
    with pytest.raises(templates.TemplateRenderError) as jinja_error:
        templates.CompiledTemplate("p.sop", jinjas("{{ group.city }} 店福利").template, frozenset({"group"}),
                                   {}).render({"group": {"name": "n"}})
    assert str(plain_error.value) == str(jinja_error.value) and "city" in str(plain_error.value)
