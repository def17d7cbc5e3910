"""Tests for sopc.compile.templates: compiling and rendering message content."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2 import meta

from sopc.lang import ast
from sopc.core.diagnostics import Span
from sopc.core.vocabulary import BUILTIN_NAMES
from sopc.compile.templates import (
    CompiledTemplate,
    TemplateRenderError,
    TemplateStore,
    _compiled_tree,
    _make_environment,
    cn_date,
    hhmm,
    memo_key_names,
    yuan,
)

ORIGIN = Span(path="playbooks/welcome.sop", line=7, column=5, end_line=7, end_column=25)


def inline(text: str, body_line: int = 5, body_column: int = 20) -> ast.InlineText:
    span = Span(path="playbooks/welcome.sop", line=body_line, column=body_column - 3,
                end_line=body_line, end_column=body_column + 3)
    return ast.InlineText(text=text, span=span, body_line=body_line, body_column=body_column)


def template_file(name: str) -> ast.TemplateFile:
    return ast.TemplateFile(path=name, span=ORIGIN)


@pytest.fixture
def tdir(tmp_path: Path) -> Path:
    d = tmp_path / "templates"
    d.mkdir()
    return d


@pytest.fixture
def store(tdir: Path) -> TemplateStore:
    return TemplateStore(tdir)


def compile_ok(store: TemplateStore, content) -> CompiledTemplate:
    tpl, diagnostics = store.compile(content, origin_span=ORIGIN)
    assert diagnostics == []
    assert tpl is not None
    return tpl


def compile_err(store: TemplateStore, content):
    tpl, diagnostics = store.compile(content, origin_span=ORIGIN)
    assert tpl is None
    assert len(diagnostics) == 1
    return diagnostics[0]


# ---- rendering -------------------------------------------------------------------

def test_inline_render_with_group_and_member(store):
    tpl = compile_ok(store, inline("欢迎 {{ member.name }} 加入 {{ group.name }}！"))
    text = tpl.render({"group": {"id": "g1", "name": "宝妈群"}, "member": {"id": "u1", "name": "小王"}})
    assert text == "欢迎 小王 加入 宝妈群！"
    assert tpl.source_path == "playbooks/welcome.sop"


def test_render_strips_one_trailing_newline_and_trims_blocks(store):
    tpl = compile_ok(store, inline("{% if vip %}\n  尊贵的会员\n{% endif %}\n{{ tail }}"))
    assert tpl.render({"vip": True, "tail": "end\n\n"}) == "  尊贵的会员\nend\n"
    assert tpl.render({"vip": False, "tail": "x\n"}) == "x"


def test_no_autoescape(store):
    tpl = compile_ok(store, inline("{{ link }}"))
    assert tpl.render({"link": "<a href='x'>&</a>"}) == "<a href='x'>&</a>"


def test_file_template_renders_and_reports_its_path(store, tdir):
    (tdir / "coupon.j2").write_text("{{ group.name }} 专享券\n", encoding="utf-8")
    tpl = compile_ok(store, template_file("coupon.j2"))
    assert tpl.source_path == str(tdir / "coupon.j2")
    assert tpl.render({"group": {"name": "A群"}}) == "A群 专享券"


def test_missing_variable_raises_render_error(store):
    tpl = compile_ok(store, inline("领取 {{ coupon_code }}"))
    with pytest.raises(TemplateRenderError, match="coupon_code"):
        tpl.render({"group": {"name": "x"}})


def test_missing_attribute_raises_render_error(store):
    tpl = compile_ok(store, inline("{{ group.store }}"))
    with pytest.raises(TemplateRenderError, match="store"):
        tpl.render({"group": {"name": "x"}})


def test_render_errors_are_wrapped(store):
    tpl = compile_ok(store, inline("{{ 1 / n }}"))
    with pytest.raises(TemplateRenderError, match="ZeroDivisionError"):
        tpl.render({"n": 0})


def test_sandbox_forbids_mutating_the_context(store):
    tpl = compile_ok(store, inline("{{ group.tags.append('x') }}"))
    tags: list[str] = []
    with pytest.raises(TemplateRenderError, match="unsafe"):
        tpl.render({"group": {"tags": tags}})
    assert tags == []


def test_sandbox_bounds_huge_results(store):
    power = compile_ok(store, inline("{{ 2 ** 100000 }}"))
    with pytest.raises(TemplateRenderError, match="too large"):
        power.render({})
    repeat = compile_ok(store, inline("{{ 'ab' * n }}"))
    assert repeat.render({"n": 3}) == "ababab"
    with pytest.raises(TemplateRenderError, match="too long"):
        repeat.render({"n": 10**8})


def test_lipsum_is_not_available(store):
    tpl = compile_ok(store, inline("{{ lipsum() }}"))
    with pytest.raises(TemplateRenderError, match="lipsum"):
        tpl.render({})


# ---- analysis --------------------------------------------------------------------

def test_undeclared_variables(store):
    tpl = compile_ok(store, inline("{{ product }} {% set x = 1 %}{{ x }}"))
    assert tpl.variables == frozenset({"product"})


def test_globals_and_loop_variables_are_not_variables(store):
    tpl = compile_ok(store, inline("{% for i in range(3) %}{{ i }}{{ loop.index }}{% endfor %}{{ date }}"))
    assert tpl.variables == frozenset({"date"})


READ_NAMES_TEXTS = [
    "{{ product }} {% set x = 1 %}{{ x }}",
    "{% for i in range(3) %}{{ i }}{{ loop.index }}{% endfor %}{{ date }}",
    "{% macro m(a, b=c) %}{{ a }}{{ b }}{{ d }}{{ caller() if caller }}{% endmacro %}{% call m(e) %}{{ f }}{% endcall %}",
    "{% with y = group.name %}{{ y }}{{ z }}{% endwith %}{% if w is defined %}{{ w }}{% endif %}",
    "{% set ns = namespace(n=0) %}{% for g in groups if g.ok %}{% set ns.n = ns.n + 1 %}{% else %}{{ none_left }}"
    "{% endfor %}{{ ns.n }}{{ member.id | default(event.name) }}",
    "{% filter upper %}{{ a ~ b }}{% endfilter %}{% set blk %}{{ inner }}{% endset %}{{ blk }}{{ weekday_cn }}",
    "{% for k, v in pairs | dictsort %}{{ k }}={{ v }}{{ loop.cycle(odd, 'b') }}{% endfor %}{{ x[y] }}",
]


@pytest.mark.parametrize("text", READ_NAMES_TEXTS)
def test_one_pass_of_the_code_generator_finds_what_jinja_meta_finds(text):
    """The names a template reads come from the code generator's one pass
    (not a second one in jinja2.meta): the same names, the same code."""
    env = _make_environment(Path("."))
    tree = env.parse(text)
    code, reads = _compiled_tree(env, tree)
    assert reads == meta.find_undeclared_variables(tree)
    assert code == env.compile(env.parse(text))


def test_attribute_uses(store):
    tpl = compile_ok(store, inline(
        "{{ group.name }} {{ group['store'] }} {{ member.name }} {{ group[key] }}"
        "{% for g in groups %}{{ g.city }}{% endfor %}"))
    assert tpl.attribute_uses() == {"group": frozenset({"name", "store"}),
                                    "member": frozenset({"name"})}


def test_attribute_uses_leave_out_guarded_reads(store):
    tpl = compile_ok(store, inline(
        "{% if group.coupon is defined %}{{ group.coupon }}{% endif %}"
        "{{ group.city | default('本地') }}"))
    # `group.coupon` is still read inside the if; `group.city` only under default.
    assert tpl.attribute_uses() == {"group": frozenset({"coupon"})}
    assert tpl.render({"group": {}}) == "本地"


def test_memo_key_names_sorted(store):
    tpl = compile_ok(store, inline("{{ weekday_cn }} {{ group.name }} {{ date }} {% set d = 2 %}{{ d }}"))
    assert memo_key_names(tpl) == ("date", "group", "weekday_cn")


def test_memo_keys_determine_output(store):
    tpl = compile_ok(store, inline("{{ group.name }}：{{ date }}"))
    keys = memo_key_names(tpl)
    a = {"group": {"name": "A"}, "date": "2024-11-25", "member": {"name": "x"}, "now": 1}
    b = {"group": {"name": "A"}, "date": "2024-11-25", "member": {"name": "y"}, "now": 2}
    assert {k: a[k] for k in keys} == {k: b[k] for k in keys}
    assert tpl.render(a) == tpl.render(b)


def test_builtin_names():
    assert {"weekday_cn", "date", "time", "now", "schedule_summary", "playbook",
            "group", "member", "event", "T", "round"} == BUILTIN_NAMES


# ---- includes --------------------------------------------------------------------

def test_included_files_contribute_variables_and_attributes(store, tdir):
    (tdir / "footer.j2").write_text("{{ group.store }} {{ price | yuan }}", encoding="utf-8")
    (tdir / "main.j2").write_text("{{ group.name }}\n{% include 'footer.j2' %}", encoding="utf-8")
    tpl = compile_ok(store, template_file("main.j2"))
    assert tpl.variables == frozenset({"group", "price"})
    assert memo_key_names(tpl) == ("group", "price")
    assert tpl.attribute_uses() == {"group": frozenset({"name", "store"})}
    assert tpl.render({"group": {"name": "A", "store": "西湖店"}, "price": 9.9}) == "A\n西湖店 9.9元"


def test_missing_include_points_at_the_include_line(store, tdir):
    (tdir / "main.j2").write_text("hello\n{% include 'footr.j2' %}\n", encoding="utf-8")
    (tdir / "footer.j2").write_text("bye", encoding="utf-8")
    diag = compile_err(store, template_file("main.j2"))
    assert diag.code == "E0401"
    assert (diag.span.path, diag.span.line) == (str(tdir / "main.j2"), 2)
    assert diag.hint == "did you mean `footer.j2`?"


def test_include_ignore_missing_is_allowed(store, tdir):
    tpl = compile_ok(store, inline("a{% include 'nope.j2' ignore missing %}"))
    assert tpl.render({}) == "a"


def test_syntax_error_in_included_file_points_into_it(store, tdir):
    (tdir / "broken.j2").write_text("ok\n{{ a b }}\n", encoding="utf-8")
    diag = compile_err(store, inline("{% include 'broken.j2' %}"))
    assert diag.code == "E0402"
    assert (diag.span.path, diag.span.line) == (str(tdir / "broken.j2"), 2)


def test_include_cycle_terminates(store, tdir):
    (tdir / "a.j2").write_text("{{ x }}{% if deep %}{% include 'b.j2' %}{% endif %}", encoding="utf-8")
    (tdir / "b.j2").write_text("{{ y }}{% include 'a.j2' %}", encoding="utf-8")
    tpl = compile_ok(store, template_file("a.j2"))
    assert tpl.variables == frozenset({"x", "y", "deep"})


def test_dynamic_include_is_rejected(store):
    diag = compile_err(store, inline("first\n{% include name %}"))
    assert diag.code == "E0402"
    assert diag.span.line == 6


# ---- diagnostics -----------------------------------------------------------------

def test_missing_file_with_did_you_mean(store, tdir):
    (tdir / "coupon.j2").write_text("x", encoding="utf-8")
    diag = compile_err(store, template_file("coupen.j2"))
    assert diag.code == "E0401"
    assert diag.span == ORIGIN
    assert "coupen.j2" in diag.message and str(tdir) in diag.message
    assert diag.hint == "did you mean `coupon.j2`?"


def test_missing_file_without_close_match_suggests_creating_it(store, tdir):
    diag = compile_err(store, template_file("welcome.j2"))
    assert diag.code == "E0401"
    assert diag.hint == f"create {tdir / 'welcome.j2'}"


def test_paths_cannot_escape_the_templates_dir(store, tdir):
    (tdir.parent / "secret.j2").write_text("x", encoding="utf-8")
    diag = compile_err(store, template_file("../secret.j2"))
    assert diag.code == "E0401"
    assert "inside" in diag.hint


def test_template_files_lists_relative_paths(store, tdir):
    (tdir / "sub").mkdir()
    (tdir / "sub" / "b.j2").write_text("b", encoding="utf-8")
    (tdir / "a.j2").write_text("a", encoding="utf-8")
    assert store.template_files() == ["a.j2", "sub/b.j2"]


def test_syntax_error_in_file_points_into_the_file(store, tdir):
    (tdir / "promo.j2").write_text("第一行\n第二行\n{{ price price }}\n第四行\n", encoding="utf-8")
    diag = compile_err(store, template_file("promo.j2"))
    assert diag.code == "E0402"
    assert diag.span == Span(path=str(tdir / "promo.j2"), line=3, column=1,
                             end_line=3, end_column=len("{{ price price }}") + 1)
    assert diag.message == "expected end of print statement, got `price`"


def test_unclosed_block_message_in_plain_words(store, tdir):
    (tdir / "open.j2").write_text("{% if vip %}\n尊贵\n", encoding="utf-8")
    diag = compile_err(store, template_file("open.j2"))
    assert diag.message == "unexpected end of template, Jinja was looking for `endif`"


def test_syntax_error_in_inline_second_line(store):
    diag = compile_err(store, inline("第一行 {{ ok }}\n{% endfor %}", body_line=12, body_column=9))
    assert diag.code == "E0402"
    assert (diag.span.path, diag.span.line, diag.span.column) == ("playbooks/welcome.sop", 13, 1)
    assert diag.span.end_column == 1 + len("{% endfor %}")
    assert "endfor" in diag.message


def test_syntax_error_in_inline_first_line_keeps_body_column(store):
    diag = compile_err(store, inline("{{ a b }}", body_line=12, body_column=9))
    assert (diag.span.line, diag.span.column, diag.span.end_column) == (12, 9, 9 + len("{{ a b }}"))


def test_carriage_returns_count_as_line_breaks(store):
    diag = compile_err(store, inline("一\r二\r\n{{ a b }}", body_line=4, body_column=9))
    assert (diag.span.line, diag.span.column) == (6, 1)


def test_deep_nesting_is_a_diagnostic(store):
    diag = compile_err(store, inline("{{ " + "(" * 5000 + " }}"))
    assert diag.code == "E0402"
    assert diag.message == "template is nested too deeply to compile"


def test_jinja_quotes_become_backticks(store):
    diag = compile_err(store, inline("{% set 1 = 2 %}"))
    assert diag.message == "cannot assign to `const`"


def test_unknown_filter_with_did_you_mean(store):
    diag = compile_err(store, inline("{{ price | yuen }}"))
    assert diag.code == "E0402"
    assert diag.message == "no filter named `yuen`"
    assert diag.hint == "did you mean `yuan`?"


def test_unknown_named_template(tdir):
    body = inline("{{ group.name }} 福利")
    define = ast.TemplateDef(name=ast.Name(value="coupon_note", span=ORIGIN), kind=None, body=body, span=ORIGIN)
    store = TemplateStore(tdir, {"coupon_note": define})
    ref_span = Span(path="playbooks/x.sop", line=3, column=14, end_line=3, end_column=25)
    ref = ast.TemplateRef(name=ast.Name(value="coupon_nte", span=ref_span), span=ORIGIN)
    diag = compile_err(store, ref)
    assert diag.code == "E0403"
    assert diag.span == ref_span
    assert "coupon_nte" in diag.message
    assert diag.hint == "did you mean `coupon_note`?"
    good = ast.TemplateRef(name=ast.Name(value="coupon_note", span=ref_span), span=ORIGIN)
    tpl = compile_ok(store, good)
    assert tpl.render({"group": {"name": "A"}}) == "A 福利"


def test_non_utf8_file(store, tdir):
    (tdir / "gbk.j2").write_bytes("第一行\n优惠券".encode("utf-8") + b"\n" + "再见".encode("gbk"))
    diag = compile_err(store, template_file("gbk.j2"))
    assert diag.code == "E0404"
    assert diag.span.path == str(tdir / "gbk.j2")
    assert diag.span.line == 3
    assert "UTF-8" in diag.message


# ---- caching ---------------------------------------------------------------------

def test_same_file_compiles_to_same_object(store, tdir):
    (tdir / "coupon.j2").write_text("{{ x }}", encoding="utf-8")
    first = compile_ok(store, template_file("coupon.j2"))
    second = compile_ok(store, template_file("coupon.j2"))
    assert first is second


def test_same_inline_text_compiles_once(store):
    first = compile_ok(store, inline("{{ x }}", body_line=3))
    second = compile_ok(store, inline("{{ x }}", body_line=40))
    other = compile_ok(store, inline("{{ y }}"))
    assert first is second
    assert other is not first


def test_a_template_file_is_read_once_per_build_and_an_edit_by_the_next(store, tdir):
    """Steps sending one file share one reading of it (300 steps, one read),
    so an edit in the middle of a build cannot give two steps two texts;
    the next build (a new store) reads the edit."""
    path = tdir / "c.j2"
    path.write_text("{{ x }}", encoding="utf-8")
    first = compile_ok(store, template_file("c.j2"))
    path.write_text("{{ y }}", encoding="utf-8")
    assert compile_ok(store, template_file("c.j2")) is first
    second = compile_ok(TemplateStore(tdir), template_file("c.j2"))
    assert second is not first and second.variables == frozenset({"y"})


# ---- filters ---------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    (9.9, "9.9元"), (10, "10元"), (10.0, "10元"), (0.1 + 0.2, "0.3元"),
    ("19.90", "19.9元"), (1234567.5, "1234567.5元"), (9.999, "10元"),
])
def test_yuan(value, expected):
    assert yuan(value) == expected


@pytest.mark.parametrize("bad", [True, None, "abc", "", float("nan"), [1]])
def test_yuan_rejects_non_numbers(bad):
    with pytest.raises(ValueError):
        yuan(bad)


def test_cn_date_and_hhmm():
    assert cn_date(dt.date(2024, 11, 25)) == "11月25日"
    assert cn_date(dt.datetime(2024, 1, 5, 20, 0)) == "1月5日"
    assert cn_date("2024-03-08") == "3月8日"
    assert hhmm(dt.datetime(2024, 11, 25, 20, 0)) == "20:00"
    assert hhmm(dt.time(8, 5)) == "08:05"
    with pytest.raises(ValueError):
        hhmm("20:00")


def test_filters_in_templates(store):
    tpl = compile_ok(store, inline("{{ price | yuan }} {{ now | cn_date }} {{ now | hhmm }}"))
    now = dt.datetime(2024, 11, 25, 20, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert tpl.render({"price": 9.9, "now": now}) == "9.9元 11月25日 20:00"


def test_filter_error_becomes_render_error(store):
    tpl = compile_ok(store, inline("{{ price | yuan }}"))
    with pytest.raises(TemplateRenderError, match="yuan"):
        tpl.render({"price": "免费"})


# ---- robustness ------------------------------------------------------------------

JINJA_BITS = st.sampled_from([
    "{{", "}}", "{%", "%}", "{#", "#}", "if", "endif", "for", "in", "endfor", "set", "=",
    "include", "extends", "import", "macro", "endmacro", "'x.j2'", '"', "'", "|", "yuan",
    "(", ")", "[", "]", ".", "**", "*", "9", "group", "\n", " ", "-", "~", "raw", "endraw",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(st.text(), st.lists(JINJA_BITS, max_size=40).map("".join)))
def test_compile_never_raises(store, text):
    tpl, diagnostics = store.compile(inline(text), origin_span=ORIGIN)
    assert (tpl is None) == bool(diagnostics)
    for diag in diagnostics:
        assert diag.code in {"E0401", "E0402"}
        assert diag.span is not None and diag.span.line >= 1


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=200))
def test_compile_file_never_raises(store, tdir, data):
    (tdir / "random.j2").write_bytes(data)
    tpl, diagnostics = store.compile(template_file("random.j2"), origin_span=ORIGIN)
    assert (tpl is None) == bool(diagnostics)


# ---- a process compiles a template text once ------------------------------------------------

def test_the_same_text_in_two_projects_is_compiled_once_and_includes_each_projects_file(tmp_path, monkeypatch):
    """A rebuild (`sopc run`, `sopc serve` after an edit) compiles only the
    templates that changed; what it remembers holds no project's folder, so
    an `include` still reads the including project's own file."""
    import sopc.compile.templates as templates

    monkeypatch.setenv("SOPC_CACHE_DIR", str(tmp_path / "cache"))  # nothing saved by an earlier process
    compiled = []
    real = templates._parse_text
    monkeypatch.setattr(templates, "_parse_text", lambda env, text: compiled.append(text) or real(env, text))
    renders = []
    for name, store_name in (("a", "南京东路店"), ("b", "西湖店")):
        folder = tmp_path / name / "templates"
        folder.mkdir(parents=True)
        (folder / "footer.j2").write_text(f"—— {store_name}", encoding="utf-8")
        tpl = compile_ok(TemplateStore(folder), inline('今日福利 {% include "footer.j2" %} {{ x }}'))
        renders.append(tpl.render({"x": 1}))
    assert compiled.count('今日福利 {% include "footer.j2" %} {{ x }}') == 1
    assert renders == ["今日福利 —— 南京东路店 1", "今日福利 —— 西湖店 1"]
