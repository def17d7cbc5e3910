"""Tests for sopc.project.roster: loading CSV/TOML group lists and selecting audiences."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sopc.lang import ast
from sopc.core.diagnostics import Severity, Span
from sopc.project.roster import Group, Roster, load_roster, split_tags

S = Span.point("t.sop")


def write_csv(tmp_path: Path, text: str, name: str = "groups.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def load(tmp_path: Path, *paths: Path):
    return load_roster(list(paths), tmp_path)


def codes(diagnostics) -> list[str]:
    return [d.code for d in diagnostics]


# ---- CSV basics -----------------------------------------------------------------------


def test_english_headers_all_fields(tmp_path):
    path = write_csv(tmp_path, (
        "id,name,tags,sender,address,external,owner,created,store,city\n"
        "wr001,静安店1群,VIP;华东,wecom,BOT_A,false,张三,2024-03-01,静安店,上海\n"
        "wr002,徐汇店1群,,,,true,,,徐汇店,上海\n"
    ))
    roster, diagnostics = load(tmp_path, path)
    assert diagnostics == []
    first, second = roster.groups
    assert first == Group(
        id="wr001", name="静安店1群", tags=frozenset({"VIP", "华东"}),
        variables={"store": "静安店", "city": "上海"}, sender="wecom", address="BOT_A",
        external=False, owner="张三", created=dt.date(2024, 3, 1), span=first.span,
    )
    assert dict(first.variables) == {"store": "静安店", "city": "上海"}
    assert (first.span.path, first.span.line) == (str(path), 2)
    assert (second.sender, second.address, second.owner, second.created) == (None, None, None, None)
    assert second.external is True
    assert second.tags == frozenset()
    assert roster.by_id["wr002"] is second
    assert roster.tags == frozenset({"VIP", "华东"})
    assert len(roster) == 2


def test_bom_and_chinese_headers(tmp_path):
    path = write_csv(tmp_path, (
        "群ID,群名称,标签,外部群,群主,建群日期,门店\r\n"
        "wrA,静安一群,会员，华东,是,李四,2024/3/9,静安\r\n"
        "wrB,徐汇一群,新客,否,,,徐汇\r\n"
    ), encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    roster, diagnostics = load(tmp_path, path)
    assert diagnostics == []
    a, b = roster.groups
    assert (a.id, a.name, a.owner, a.created) == ("wrA", "静安一群", "李四", dt.date(2024, 3, 9))
    assert a.tags == frozenset({"会员", "华东"})
    assert a.external is True and b.external is False
    assert dict(a.variables) == {"门店": "静安"}
    assert roster.sources[str(path)].startswith("群ID")  # BOM dropped


def test_gbk_encoded_csv(tmp_path):
    path = write_csv(tmp_path, "群ID,群名,标签\nwr1,静安店会员群,高价值；复购\n", encoding="gbk")
    roster, diagnostics = load(tmp_path, path)
    assert diagnostics == []
    [group] = roster.groups
    assert group.name == "静安店会员群"
    assert group.tags == frozenset({"高价值", "复购"})


def test_tab_separated_utf16_excel_unicode_text(tmp_path):
    path = write_csv(tmp_path, "id\tname\ttags\nwr1\t一群\tA B\n", name="groups.txt", encoding="utf-16")
    roster, diagnostics = load(tmp_path, path)
    assert diagnostics == []
    assert roster.groups[0].tags == frozenset({"A", "B"})


def test_tags_split_on_chinese_and_ascii_separators():
    assert split_tags("VIP；华东，门店|新客、老客 ,周末;; 高价值\u3000复购｜A") == frozenset(
        {"VIP", "华东", "门店", "新客", "老客", "周末", "高价值", "复购", "A"})
    assert split_tags("") == frozenset()
    assert split_tags(" ; ,") == frozenset()


def test_tags_in_csv_split_on_chinese_separators(tmp_path):
    path = write_csv(tmp_path, 'id,tags\nwr1,"会员；华东，门店、新客 高价值"\n')
    roster, _ = load(tmp_path, path)
    assert roster.groups[0].tags == frozenset({"会员", "华东", "门店", "新客", "高价值"})


def test_header_matching_ignores_case_spaces_and_underscores(tmp_path):
    path = write_csv(tmp_path, "Group ID, Name ,TAGS,Bot,External\nwr1,a,x,K,YES\n")
    roster, diagnostics = load(tmp_path, path)
    assert diagnostics == []
    group = roster.groups[0]
    assert (group.id, group.name, group.tags, group.address, group.external) == ("wr1", "a", {"x"}, "K", True)
    assert dict(group.variables) == {}


def test_blank_lines_and_excel_trailing_commas_are_ignored(tmp_path):
    path = write_csv(tmp_path, "id,name,,\n\nwr1,a,,\n,,,\nwr2,b\n")
    roster, diagnostics = load(tmp_path, path)
    assert [g.id for g in roster.groups] == ["wr1", "wr2"]
    assert codes(diagnostics) == ["W0615"]  # wr2's row is short
    assert diagnostics[0].span.line == 5


def test_quoted_multiline_cell_keeps_line_numbers(tmp_path):
    path = write_csv(tmp_path, 'id,name\nwr1,"two\nlines"\nwr2,b\nwr1,c\n')
    roster, diagnostics = load(tmp_path, path)
    assert roster.groups[0].name == "two\nlines"
    assert (roster.groups[0].span.line, roster.groups[0].span.end_line) == (2, 3)
    assert roster.groups[1].span.line == 4
    assert codes(diagnostics) == ["E0613"]
    assert diagnostics[0].span.line == 5
    assert "line 2" in diagnostics[0].message


# ---- CSV diagnostics ----------------------------------------------------------------


def test_missing_roster_file(tmp_path):
    roster, diagnostics = load(tmp_path, tmp_path / "groups.csv")
    assert codes(diagnostics) == ["E0610"]
    assert str(tmp_path / "groups.csv") in diagnostics[0].message
    assert diagnostics[0].hint
    assert roster.groups == ()


def test_missing_roster_suggests_a_nearby_file(tmp_path):
    write_csv(tmp_path, "id\nwr1\n", name="group.csv")
    _, diagnostics = load(tmp_path, tmp_path / "groups.csv")
    assert diagnostics[0].hint == "did you mean `group.csv`?"


def test_old_excel_roster_is_rejected_with_export_hint(tmp_path):
    # .xlsx is read (tests/test_roster_xlsx.py); the old binary .xls is not
    path = tmp_path / "groups.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    _, diagnostics = load(tmp_path, path)
    assert codes(diagnostics) == ["E0617"]
    assert "CSV" in diagnostics[0].hint and ".xlsx" in diagnostics[0].hint


def test_missing_id_column(tmp_path):
    path = write_csv(tmp_path, "群名,标签\n一群,VIP\n")
    roster, diagnostics = load(tmp_path, path)
    assert codes(diagnostics) == ["E0611"]
    assert diagnostics[0].span.line == 1
    assert "`id`" in diagnostics[0].hint
    assert roster.groups == ()


def test_misspelt_id_column_gets_did_you_mean(tmp_path):
    path = write_csv(tmp_path, "群编码,群名\nwr1,a\n")
    _, diagnostics = load(tmp_path, path)
    assert codes(diagnostics) == ["E0611"]
    assert diagnostics[0].hint == "did you mean `群编号`?"


def test_title_row_above_header_is_reported_as_missing_id(tmp_path):
    path = write_csv(tmp_path, "客户群列表 导出于 2024-03-01\n群ID,群名\nwr1,a\n")
    _, diagnostics = load(tmp_path, path)
    assert codes(diagnostics) == ["E0611"]
    assert "title rows" in diagnostics[0].hint


def test_empty_id_points_at_the_cell(tmp_path):
    path = write_csv(tmp_path, "name,id\n一群,wr1\n二群,  \n")
    roster, diagnostics = load(tmp_path, path)
    assert codes(diagnostics) == ["E0612"]
    span = diagnostics[0].span
    assert (span.line, span.column) == (3, 4)
    assert [g.id for g in roster.groups] == ["wr1"]


def test_duplicate_id_points_at_second_row(tmp_path):
    path = write_csv(tmp_path, "name,id\n一群,wr1\n二群,wr2\n三群,wr1\n")
    roster, diagnostics = load(tmp_path, path)
    assert codes(diagnostics) == ["E0613"]
    [problem] = diagnostics
    assert problem.severity is Severity.ERROR
    assert (problem.span.path, problem.span.line, problem.span.column, problem.span.end_column) == (
        str(path), 4, 4, 7)
    assert "`wr1`" in problem.message and "line 2" in problem.message
    assert roster.by_id["wr1"].name == "一群"  # the first one wins
    assert len(roster.groups) == 2


def test_duplicate_id_across_files_names_the_first_file(tmp_path):
    first = write_csv(tmp_path, "id\nwr1\n", name="a.csv")
    second = write_csv(tmp_path, "id\nwr1\n", name="b.csv")
    _, diagnostics = load(tmp_path, first, second)
    assert codes(diagnostics) == ["E0613"]
    assert diagnostics[0].span.path == str(second)
    assert str(first) in diagnostics[0].message


def test_bad_boolean_and_date_point_at_their_cells(tmp_path):
    path = write_csv(tmp_path, 'id,external,created\nwr1,maybe,2024-02-30\nwr2,"是",2024-03-01 09:30:00\n')
    roster, diagnostics = load(tmp_path, path)
    assert codes(diagnostics) == ["E0614", "E0614"]
    boolean, date = diagnostics
    assert (boolean.span.line, boolean.span.column, boolean.span.end_column) == (2, 5, 10)
    assert "maybe" in boolean.message
    assert (date.span.line, date.span.column) == (2, 11)
    assert roster.groups[0].external is False and roster.groups[0].created is None
    assert roster.groups[1].external is True
    assert roster.groups[1].created == dt.date(2024, 3, 1)


def test_row_with_extra_cells_warns_at_first_extra_cell(tmp_path):
    path = write_csv(tmp_path, "id,name\nwr1,a,b,c\n")
    roster, diagnostics = load(tmp_path, path)
    assert codes(diagnostics) == ["W0615"]
    assert diagnostics[0].severity is Severity.WARNING
    assert (diagnostics[0].span.line, diagnostics[0].span.column) == (2, 7)
    assert roster.groups[0].name == "a"


def test_column_counts_characters_in_cjk_rows(tmp_path):
    path = write_csv(tmp_path, "群名,群ID,外部群\n静安店会员群,wr1,不知道\n")
    _, diagnostics = load(tmp_path, path)
    assert codes(diagnostics) == ["E0614"]
    assert diagnostics[0].span.column == len("静安店会员群,wr1,") + 1


# ---- TOML roster -----------------------------------------------------------------------

TOML_ROSTER = """\
[[groups]]
id = "wr1"
name = "静安店1群"
tags = ["VIP", "华东"]
sender = "wecom"
address = "BOT_A"
external = true
owner = "张三"
created = 2024-03-01
vars = { store = "静安店", floor = 3, open = true }

[[groups]]
id = "wr2"
tags = "新客；华南"

[[groups]]
id = "wr1"
extrnal = true
"""


def test_toml_roster(tmp_path):
    path = tmp_path / "groups.toml"
    path.write_text(TOML_ROSTER, encoding="utf-8")
    roster, diagnostics = load(tmp_path, path)
    assert codes(diagnostics) == ["W0602", "E0613"]
    unknown, duplicate = diagnostics
    assert unknown.span.line == 18 and unknown.hint == "did you mean `external`?"
    assert duplicate.span.line == 17 and "line 1" in duplicate.message
    first, second = roster.groups
    assert (first.id, first.name, first.sender, first.address, first.external, first.owner) == (
        "wr1", "静安店1群", "wecom", "BOT_A", True, "张三")
    assert first.created == dt.date(2024, 3, 1)
    assert first.tags == frozenset({"VIP", "华东"})
    assert dict(first.variables) == {"store": "静安店", "floor": "3", "open": "true"}
    assert first.span.line == 1 and second.span.line == 12
    assert second.tags == frozenset({"新客", "华南"})


def test_toml_roster_wrong_types_and_missing_id(tmp_path):
    path = tmp_path / "groups.toml"
    path.write_text('[[groups]]\nname = "no id"\n\n[[groups]]\nid = "wr1"\nexternal = "yes"\ntags = [1]\n',
                    encoding="utf-8")
    roster, diagnostics = load(tmp_path, path)
    assert codes(diagnostics) == ["E0612", "E0614", "E0614"]
    assert [d.span.line for d in diagnostics] == [1, 7, 6]
    assert [g.id for g in roster.groups] == ["wr1"]


def test_toml_roster_syntax_error(tmp_path):
    path = tmp_path / "groups.toml"
    path.write_text('[[groups]]\nid = wr1\n', encoding="utf-8")
    _, diagnostics = load(tmp_path, path)
    assert codes(diagnostics) == ["E0601"]
    assert diagnostics[0].span.line == 2
    assert "groups.toml" in diagnostics[0].message


# ---- selecting audiences ---------------------------------------------------------------


def tag(name: str) -> ast.TagIs:
    return ast.TagIs(tag=ast.Name(value=name, span=S), span=S)


def tagged(expr) -> ast.GroupsTagged:
    return ast.GroupsTagged(expr=expr, span=S)


@pytest.fixture
def roster(tmp_path) -> Roster:
    path = write_csv(tmp_path, (
        "id,tags\n"
        "g3,VIP 华东\n"
        "g1,VIP 华南\n"
        "g2,新客 华东\n"
        "g4,测试\n"
    ))
    roster, diagnostics = load(tmp_path, path)
    assert diagnostics == []
    return roster


def ids(groups) -> list[str]:
    return [g.id for g in groups]


def test_select_all_groups_sorted_by_id(roster):
    assert ids(roster.groups) == ["g3", "g1", "g2", "g4"]  # file order kept
    assert ids(roster.select(ast.AllGroups(span=S))) == ["g1", "g2", "g3", "g4"]


def test_select_group_ids_skips_unknown_and_repeats(roster):
    names = tuple(ast.Name(value=v, span=S) for v in ("g4", "nope", "g1", "g4"))
    assert ids(roster.select(ast.GroupIds(ids=names, span=S))) == ["g1", "g4"]


def test_select_single_tag(roster):
    assert ids(roster.select(tagged(tag("VIP")))) == ["g1", "g3"]
    assert ids(roster.select(tagged(tag("vip")))) == []  # tags match exactly


def test_select_and(roster):
    expr = ast.TagAnd(operands=(tag("VIP"), tag("华东")), span=S)
    assert ids(roster.select(tagged(expr))) == ["g3"]


def test_select_or(roster):
    expr = ast.TagOr(operands=(tag("华南"), tag("新客")), span=S)
    assert ids(roster.select(tagged(expr))) == ["g1", "g2"]


def test_select_not(roster):
    expr = ast.TagNot(operand=tag("VIP"), span=S)
    assert ids(roster.select(tagged(expr))) == ["g2", "g4"]


def test_select_nested_and_or_not(roster):
    # (华东 or 华南) and not 新客
    expr = ast.TagAnd(operands=(
        ast.TagOr(operands=(tag("华东"), tag("华南")), span=S),
        ast.TagNot(operand=tag("新客"), span=S),
    ), span=S)
    assert ids(roster.select(tagged(expr))) == ["g1", "g3"]
    assert roster.matches(expr, roster.by_id["g3"]) is True
    assert roster.matches(expr, roster.by_id["g2"]) is False


def test_select_rejects_non_audience(roster):
    with pytest.raises(TypeError):
        roster.select(tag("VIP"))  # type: ignore[arg-type]


def test_roster_built_directly_first_id_wins():
    a = Group(id="x", name="a", span=S)
    b = Group(id="x", name="b", span=S)
    roster = Roster([a, b])
    assert roster.by_id["x"] is a
    assert hash(a)  # groups are hashable despite the variables mapping


# ---- scale -------------------------------------------------------------------------------


def test_ten_thousand_rows(tmp_path):
    lines = ["群ID,群名,标签,外部群,建群日期,门店,城市"]
    for i in range(10_000):
        lines.append(f"wr{i:06d},门店{i}群,VIP；华东|店{i % 50},{'是' if i % 3 else '否'},"
                     f"2024-03-{i % 28 + 1:02d},店{i},上海")
    path = write_csv(tmp_path, "\r\n".join(lines) + "\r\n", encoding="utf-8-sig")
    roster, diagnostics = load(tmp_path, path)
    assert diagnostics == []
    assert len(roster.groups) == 10_000
    last = roster.groups[-1]
    assert last.id == "wr009999" and last.span.line == 10_001
    assert last.tags == frozenset({"VIP", "华东", "店49"})
    assert sum(g.external for g in roster.groups) == 6_666  # every i not divisible by 3
    assert last.created == dt.date(2024, 3, 4)
    assert last.variables["门店"] == "店9999"
    assert len(roster.select(tagged(tag("店7")))) == 200
    assert len(roster.tags) == 52


# ---- selection by tag expression: the index agrees with the plain reading ------------------

from hypothesis import given, settings, strategies as st  # noqa: E402

_TAGS = ("福利群", "city:上海", "vip", "新群")


def _tag_expr():
    leaf = st.sampled_from(_TAGS).map(lambda t: ast.TagIs(tag=ast.Name(value=t, span=S), span=S))
    return st.recursive(leaf, lambda inner: st.one_of(
        inner.map(lambda e: ast.TagNot(operand=e, span=S)),
        st.lists(inner, min_size=2, max_size=3).map(lambda es: ast.TagAnd(operands=tuple(es), span=S)),
        st.lists(inner, min_size=2, max_size=3).map(lambda es: ast.TagOr(operands=tuple(es), span=S)),
    ), max_leaves=8)


_rosters = st.lists(st.frozensets(st.sampled_from(_TAGS)), max_size=12).map(
    lambda tag_sets: Roster(Group(id=f"g{(i * 7) % 13:02d}_{i}", tags=tags, span=S)
                            for i, tags in enumerate(tag_sets)))


@settings(max_examples=150, deadline=None)
@given(roster=_rosters, expr=_tag_expr())
def test_selecting_by_tags_is_what_each_group_matches(roster, expr):
    expected = tuple(sorted((g for g in roster.groups if roster.matches(expr, g)), key=lambda g: g.id))
    assert roster.select(ast.GroupsTagged(expr=expr, span=S)) == expected
