"""Grammar + transform: each construct parses into the right AST node, bad
lines are reported one by one without cascades, and syntax messages speak the
language's words, never the grammar's."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from sopc.lang import ast
from sopc.lang.parser import lark_parser, parse
from sopc.lang.transform import build_ast, parse_ast


def compile_text(text: str, path: str = "t.sop"):
    """As the loader reads a file: the AST built during the parse."""
    return parse_ast(text, path)


def clean(text: str) -> ast.SourceFile:
    source_file, diagnostics = compile_text(text)
    assert diagnostics == [], [d.message for d in diagnostics]
    return source_file


def playbook(body: str, header: str = 'playbook p "测试"\n  to all groups\n') -> ast.Playbook:
    return clean(header + body).playbooks[0]


def step(line: str) -> ast.ScheduleStep:
    return playbook(f"  {line}\n").steps[0]


def days_of(line: str) -> list[ast.DaySet]:
    return list(step(line).when.days)


T = lambda hh, mm=0: dt.time(hh, mm)  # noqa: E731


# ---- days and times --------------------------------------------------------------


@pytest.mark.parametrize("word, index", [
    ("mon", 0), ("monday", 0), ("tue", 1), ("wednesday", 2), ("thu", 3), ("fri", 4), ("saturday", 5), ("sun", 6),
    ("周一", 0), ("周三", 2), ("周日", 6), ("周天", 6), ("星期一", 0), ("星期五", 4), ("星期天", 6), ("礼拜六", 5),
])
def test_single_weekday(word, index):
    (day,) = days_of(f'{word} 10:00 s "x"')
    assert day.weekdays == frozenset({index}) and not day.workdays and not day.holidays


@pytest.mark.parametrize("text, expected", [
    ("mon..fri", {0, 1, 2, 3, 4}),
    ("周一..周五", {0, 1, 2, 3, 4}),
    ("fri..mon", {4, 5, 6, 0}),          # wraps around the weekend
    ("周六..周二", {5, 6, 0, 1}),
    ("wed..wed", {2}),
    ("星期六..星期日", {5, 6}),
])
def test_weekday_ranges(text, expected):
    (day,) = days_of(f'{text} 10:00 s "x"')
    assert day.weekdays == frozenset(expected)


def test_weekday_list_keeps_each_item():
    days = days_of('周一,周三,fri..sat 10:00 s "x"')
    assert [d.weekdays for d in days] == [frozenset({0}), frozenset({2}), frozenset({4, 5})]


@pytest.mark.parametrize("word, weekdays, workdays, holidays", [
    ("每天", set(range(7)), False, False), ("daily", set(range(7)), False, False),
    ("周末", {5, 6}, False, False), ("weekends", {5, 6}, False, False),
    ("工作日", set(), True, False), ("workdays", set(), True, False),
    ("节假日", set(), False, True), ("holidays", set(), False, True),
])
def test_day_sets(word, weekdays, workdays, holidays):
    (day,) = days_of(f'{word} 09:00 s "x"')
    assert (day.weekdays, day.workdays, day.holidays) == (frozenset(weekdays), workdays, holidays)


@pytest.mark.parametrize("times", ["10:00,15:30", "10:00 15:30", "10:00, 15:30"])
def test_several_times(times):
    assert [t.time for t in step(f'周一 {times} s "x"').when.times] == [T(10), T(15, 30)]


def test_single_digit_hour_and_midnight():
    assert [t.time for t in step('周一 9:05,0:00,23:59 s "x"').when.times] == [T(9, 5), T(0), T(23, 59)]


@pytest.mark.parametrize("text, days", [
    ("每月 1 10:00", (1,)), ("每月 1,15号 10:00", (1, 15)),
    ("monthly 1st,2nd,3rd,20th 10:00", (1, 2, 3, 20)),
    ("每月 最后一天 10:00", (-1,)),
    ("monthly last 10:00", (-1,)),
    ("每月 5日,最后一天 10:00", (5, -1)),
])
def test_month_days(text, days):
    when = step(f'{text} s "x"').when
    assert isinstance(when, ast.OnMonthDays)
    assert when.days == days and [t.time for t in when.times] == [T(10)]


@pytest.mark.parametrize("text", ["every 2d from 2026-11-02 at 09:00", "every 2d from 2026-11-02 09:00"])
def test_every_n_days(text):
    when = step(f'{text} s "x"').when
    assert isinstance(when, ast.EveryNDays)
    assert when.interval.delta == dt.timedelta(days=2)
    assert when.start.date == dt.date(2026, 11, 2) and [t.time for t in when.times] == [T(9)]


def test_cron():
    when = step('cron "0 9 * * 1-5" s "x"').when
    assert isinstance(when, ast.OnCron) and when.expression == "0 9 * * 1-5"


# ---- settings --------------------------------------------------------------------


def test_playbook_settings():
    pb = playbook('''  timezone Asia/Tokyo
  sender wecom
  quiet 22:30-07:00 skip
  cap 4/day
  gap 1h30m
  active 2026-11-01 to 2026-12-31
  on holidays 顺延
  grace 5m
  vars brand=喜茶 amount=50 rate=0.8 slogan="好喝 不贵"
''')
    assert pb.name.value == "p" and pb.title == "测试"
    assert pb.timezone.value == "Asia/Tokyo" and pb.sender.value == "wecom"
    assert (pb.quiet.start.time, pb.quiet.end.time, pb.quiet.mode) == (T(22, 30), T(7), "skip")
    assert pb.cap.per_day == 4 and pb.gap.delta == dt.timedelta(hours=1, minutes=30)
    assert (pb.active.start.date, pb.active.end.date) == (dt.date(2026, 11, 1), dt.date(2026, 12, 31))
    assert pb.holidays.mode == "after" and pb.grace.delta == dt.timedelta(minutes=5)
    assert {a.key: a.value for a in pb.variables} == {"brand": "喜茶", "amount": 50, "rate": 0.8, "slogan": "好喝 不贵"}


@pytest.mark.parametrize("line", ["quiet off", "quiet none", "quiet 无"])
def test_quiet_off(line):
    quiet = playbook(f"  {line}\n").quiet
    assert quiet.start is None and quiet.end is None


def test_quiet_chinese_mode():
    assert playbook("  quiet 22:00-08:00 推迟\n").quiet.mode == "defer"


def test_active_from_and_until():
    assert playbook("  active from 2026-11-01\n").active.start.date == dt.date(2026, 11, 1)
    assert playbook("  active until 2026-11-30\n").active.end.date == dt.date(2026, 11, 30)


def test_repeated_setting_is_recorded():
    pb = playbook("  cap 3/day\n  cap 5/day\n")
    assert pb.cap.per_day == 5 and len(pb.repeated_settings) == 1 and pb.repeated_settings[0].line == 4


# ---- audiences and tag expressions -------------------------------------------------------


def audience(text: str):
    return clean(f'playbook p\n  to {text}\n').playbooks[0].audience


def tags(expr) -> object:
    """A tag expression as nested tuples, for readable asserts."""
    if isinstance(expr, ast.TagIs):
        return expr.tag.value
    if isinstance(expr, ast.TagNot):
        return ("not", tags(expr.operand))
    name = "and" if isinstance(expr, ast.TagAnd) else "or"
    return (name, *(tags(o) for o in expr.operands))


def test_all_groups_and_ids():
    assert isinstance(audience("all groups"), ast.AllGroups)
    assert [n.value for n in audience("group hz_001").ids] == ["hz_001"]
    assert [n.value for n in audience("groups hz_001,hz_002, sh_001").ids] == ["hz_001", "hz_002", "sh_001"]


@pytest.mark.parametrize("text, expected", [
    ("福利群", "福利群"),
    ("city:杭州", "city:杭州"),
    ("a and b", ("and", "a", "b")),
    ("a or b", ("or", "a", "b")),
    ("not a", ("not", "a")),
    ("not not a", ("not", ("not", "a"))),
    ("a or b and c", ("or", "a", ("and", "b", "c"))),           # and binds tighter than or
    ("a and b or c", ("or", ("and", "a", "b"), "c")),
    ("not a and b", ("and", ("not", "a"), "b")),                # not binds tightest
    ("(a or b) and c", ("and", ("or", "a", "b"), "c")),
    ("福利群 and not (city:上海 or 快闪群)", ("and", "福利群", ("not", ("or", "city:上海", "快闪群")))),
    ("a or b or c", ("or", "a", "b", "c")),
])
def test_tag_expressions(text, expected):
    assert tags(audience(f"groups tagged {text}").expr) == expected


# ---- message bodies ----------------------------------------------------------------


def test_inline_text_kind_mentions_and_assignments():
    s = step('周一 10:00 s markdown "**福利** {{ amount }}" @all @member @所有人 @zhangsan amount=50 price=9.9 '
             'product=樱花杯 note="买一 送一" off=-5')
    body = s.body
    assert isinstance(body, ast.Message) and body.kind == "markdown" and body.kind_given
    assert body.content.text == "**福利** {{ amount }}"
    assert [m.target for m in body.mentions] == ["all", "member", "所有人", "zhangsan"]
    assert body.mentions[0].is_all and body.mentions[1].is_member and body.mentions[2].is_all
    values = {a.key: a.value for a in body.variables}
    assert values == {"amount": 50, "price": 9.9, "product": "樱花杯", "note": "买一 送一", "off": -5}
    assert isinstance(values["amount"], int) and isinstance(values["price"], float)


def test_default_kind_is_text():
    body = step('周一 10:00 s "x"').body
    assert body.kind == "text" and not body.kind_given


def test_template_file_and_named_template():
    sf = clean('template hello markdown "你好 {{ group.name }}"\n'
               'playbook p\n  to all groups\n'
               '  周一 10:00 a template "coupon.j2"\n'
               '  周二 10:00 b template hello\n')
    a, b = sf.playbooks[0].steps
    assert isinstance(a.body.content, ast.TemplateFile) and a.body.content.path == "coupon.j2"
    assert isinstance(b.body.content, ast.TemplateRef) and b.body.content.name.value == "hello"
    (definition,) = sf.templates
    assert definition.name.value == "hello" and definition.kind == "markdown"
    assert definition.body.text == "你好 {{ group.name }}"


def test_escapes_in_quoted_text():
    assert step(r'周一 10:00 s "第一行\n第二行 \"引号\" \\"').body.content.text == '第一行\n第二行 "引号" \\'


def test_fullwidth_quotes():
    content = step('周一 10:00 s “会员日:第二杯半价”').body.content
    assert content.text == "会员日:第二杯半价"
    assert (content.span.line, content.span.column) == (3, 14)
    assert (content.body_line, content.body_column) == (3, 15)


def test_triple_quoted_text_is_dedented_and_knows_its_body_line():
    sf = clean('playbook p\n  to all groups\n  周一 10:00 rules """\n    群规:\n      1. 不发广告\n    谢谢\n    """\n'
               '  周二 10:00 next "x"\n')
    first, second = sf.playbooks[0].steps
    content = first.body.content
    assert content.text == "群规:\n  1. 不发广告\n谢谢"
    assert content.body_line == 4 and content.span.line == 3 and content.span.end_line == 7
    assert second.name.span.line == 8


def test_triple_quoted_text_on_one_line():
    content = step('周一 10:00 s """一行 "引号" 也可以"""').body.content
    assert content.text == '一行 "引号" 也可以'
    assert (content.body_line, content.body_column) == (3, 17)


def test_actions():
    sf = clean('timeline t\n  T+50m check remind staff "确认订单 {{ group.name }}" who=店长\n  T+1h close dissolve group\n')
    check, close = sf.timelines[0].steps
    assert isinstance(check.body, ast.RemindStaff) and check.body.content.text == "确认订单 {{ group.name }}"
    assert [(a.key, a.value) for a in check.body.variables] == [("who", "店长")]
    assert isinstance(close.body, ast.DissolveGroup)


# ---- timelines, launches, triggers, stages ---------------------------------------------


def test_timeline_offsets():
    sf = clean('timeline flash "快闪" max 4h\n'
               '  T-3h    pre   "预热"\n'
               '  T-10m   cd    "倒计时"\n'
               '  T       open  "开抢"\n'
               '  T+1d12h later "次日"\n'
               '  T+1d at 10:00 coupon "券"\n')
    (timeline,) = sf.timelines
    assert timeline.name.value == "flash" and timeline.title == "快闪"
    assert timeline.max_length.delta == dt.timedelta(hours=4)
    offsets = [(s.offset, s.offset_text, s.at_time.time if s.at_time else None) for s in timeline.steps]
    assert offsets == [
        (dt.timedelta(hours=-3), "T-3h", None), (dt.timedelta(minutes=-10), "T-10m", None),
        (dt.timedelta(0), "T", None), (dt.timedelta(days=1, hours=12), "T+1d12h", None),
        (dt.timedelta(days=1), "T+1d", T(10)),
    ]


def test_launch():
    (launch,) = playbook("  run flash_sale at 2026-12-12 20:00 in group flash_01 with product=樱花杯 price=9.9\n").launches
    assert launch.timeline.value == "flash_sale"
    assert (launch.at_date.date, launch.at_time.time) == (dt.date(2026, 12, 12), T(20))
    assert [n.value for n in launch.audience.ids] == ["flash_01"]
    assert {a.key: a.value for a in launch.variables} == {"product": "樱花杯", "price": 9.9}


def test_triggers():
    pb = playbook('''  on member.joined once per member until member.purchased
    +0            hi     "欢迎" @member
    +30m          tips   "须知"
    +1d at 10:00  coupon "新人券"
    use newcomer
  on member.silent 7d repeat until member.message
    +0 care "好久不见"
  on group.stage 沉默期
    +2h wake "唤醒"
''')
    joined, silent, stage = pb.triggers
    assert joined.event.kind.value == "member.joined" and joined.event.argument is None
    assert [u.kind.value for u in joined.until] == ["member.purchased"] and not joined.repeat
    hi, tips, coupon, use = joined.steps
    assert (hi.offset, tips.offset, coupon.offset) == (dt.timedelta(0), dt.timedelta(minutes=30), dt.timedelta(days=1))
    assert coupon.at_time.time == T(10) and hi.offset_text == "+0"
    assert isinstance(use, ast.UseTimeline) and use.timeline.value == "newcomer"
    assert silent.event.argument == "7d" and silent.repeat
    assert stage.event.kind.value == "group.stage" and stage.event.argument == "沉默期"


def test_stages():
    (stages,) = clean("stages\n  新人期 when age < 7d\n  沉默期 when silent >= 3d and age > 7d or silent > 30d\n"
                      "  活跃期 otherwise\n").stages
    new, quiet, active = stages.rules
    assert new.name.value == "新人期"
    assert (new.condition.metric, new.condition.op, new.condition.value.delta) == ("age", "<", dt.timedelta(days=7))
    assert isinstance(quiet.condition, ast.StageAny) and isinstance(quiet.condition.terms[0], ast.StageAll)
    assert active.condition is None


def test_imports():
    sf = clean('import "std/flash_sale.sop"\nimport newcomer, recall from "std/newcomer.sop"\n')
    everything, some = sf.imports
    assert everything.path == "std/flash_sale.sop" and everything.names == ()
    assert some.path == "std/newcomer.sop" and [n.value for n in some.names] == ["newcomer", "recall"]


# ---- layout: comments, line endings, indentation -----------------------------------------


RICH = '''# 文件开头的注释
import "std/flash_sale.sop"   # 行尾注释

# 空行和注释之间
playbook welfare "福利"   # 块头后的注释
  # 块内注释
  to groups tagged 福利群   # 设置后的注释

      # 缩进不同的注释
  周一 10:00 coupon "券包 # 不是注释"   # 步骤后的注释
  周三 11:30 day "会员日"
# 最后的注释'''


def test_comments_everywhere_and_no_final_newline():
    sf = clean(RICH)
    (pb,) = sf.playbooks
    assert [s.name.value for s in pb.steps] == ["coupon", "day"]
    assert pb.steps[0].body.content.text == "券包 # 不是注释"
    assert pb.steps[1].name.span.line == 11


def test_crlf_gives_the_same_tree_and_positions():
    lf, crlf = clean(RICH), clean(RICH.replace("\n", "\r\n"))
    assert lf == crlf


def test_file_without_final_newline():
    pb = clean('playbook p\n  to all groups\n  周一 10:00 s "x"').playbooks[0]
    assert pb.steps[0].name.value == "s"


def test_ideographic_spaces_as_indentation_count_as_two_spaces():
    # what a Chinese input method types; as wide as two spaces on screen, so in the same block
    pb = clean('playbook p\n\u3000to all groups\n  周一\u300010:00 s "x"\n\u3000周二 10:00 t "y"\n').playbooks[0]
    assert [s.name.value for s in pb.steps] == ["s", "t"]
    assert pb.steps[0].name.span.column == 12


@pytest.mark.parametrize("text", ["", "\n", "# 只有注释\n", "\n\n  \n# a\n\n", "\r\n"])
def test_empty_files(text):
    sf = clean(text)
    assert sf.playbooks == () and sf.timelines == ()


def test_spans_count_characters_not_bytes():
    s = step('周一,周三 10:00 会员日 "第二杯半价"')
    assert (s.name.span.line, s.name.span.column, s.name.span.end_column) == (3, 15, 18)
    assert s.when.times[0].span.column == 9


def test_step_span_ends_on_its_own_line():
    pb = playbook('  周一 10:00 s "x"   # 注释\n\n  周二 10:00 t "y"\n')
    first = pb.steps[0]
    assert first.span.line == first.span.end_line == 3


# ---- indentation makes blocks ----------------------------------------------------------


def codes_at(text: str) -> list[tuple[str, int, int]]:
    _, diagnostics = compile_text(text)
    return [(d.code, d.span.line, d.span.column) for d in diagnostics]


def test_a_weekly_step_indented_under_an_event_is_not_a_playbook_step():
    # It used to be read as a step of the playbook, posted to every group on its schedule.
    tree, diagnostics = parse('playbook p\n  to all groups\n  on group.stage 成熟期\n    +0 hi "欢迎进入成熟期"\n'
                              '    每天 10:00 weekly "成熟期专属"\n', "t.sop")
    (d,) = diagnostics
    assert (d.code, d.span.line, d.span.column, d.span.end_column) == ("E0001", 5, 5, 7)
    assert "schedule step cannot be indented under `on <event>`" in d.message
    assert "move the line out of the event" in d.hint and "`+1d at 10:00`" in d.hint
    (pb,) = build_ast(tree, "t.sop")[0].playbooks
    assert pb.steps == () and [s.name.value for s in pb.triggers[0].steps] == ["hi"]


def test_a_step_back_at_the_playbooks_indentation_leaves_the_event():
    pb = playbook('  on member.joined\n    +0 hi "欢迎"\n  周一 10:00 weekly "周一好"\n  on member.left\n    +0 bye "再见"\n')
    assert [s.name.value for s in pb.steps] == ["weekly"]
    assert [[s.name.value for s in t.steps] for t in pb.triggers] == [["hi"], ["bye"]]
    assert pb.triggers[0].span.end_line == 4  # the block ends with its last line, not on the next one


def test_an_event_with_no_steps_under_it_is_an_error():
    (d,) = syntax('playbook p\n  to all groups\n  on member.joined\n  周一 10:00 a "x"\n')[1]
    assert (d.code, d.span.line, d.span.column, d.span.end_column) == ("E0006", 3, 3, 19)
    assert d.message == "`on member.joined` has nothing indented under it"
    assert "indented deeper" in d.hint


@pytest.mark.parametrize("text, line", [
    ("playbook p\n", 1),
    ('playbook p "福利"   # 注释\nplaybook q\n  to all groups\n', 1),
    ('timeline t "快闪" max 4h\n\n# 注释\n', 1),
    ("stages\n", 1),
    ("playbook p\n  to all groups\n  on member.silent 7d repeat\n", 3),
    ('playbook p\n  to all groups\n  on member.joined\n  on member.left\n    +0 bye "再见"\n', 3),
])
def test_every_kind_of_empty_block_is_an_error_at_its_header(text, line):
    assert codes_at(text) == [("E0006", line, 1 if line == 1 else 3)]


def test_lines_written_at_the_headers_indentation_are_named_and_read_as_one_error():
    text = ('playbook p\nto all groups\n周一 10:00 a "x"\non member.joined\n  +0 hi "欢迎"\n\n'
            'playbook q\n  to all groups\n  周二 10:00 b "y"\n')
    tree, diagnostics = syntax(text)
    (d,) = diagnostics
    assert (d.code, d.span.line) == ("E0006", 1) and d.message == "`playbook p` has nothing indented under it"
    assert d.hint.startswith("lines 2-4 below are not indented")
    assert [p.name.value for p in build_ast(tree, "t.sop")[0].playbooks] == ["q"]


def test_a_block_emptied_by_its_broken_lines_is_not_reported_empty_too():
    _, diagnostics = syntax('playbook p\n  to all groups\n  on member.joined\n    周八 10:00 a "x"\n')
    assert [(d.code, d.span.line) for d in diagnostics] == [("E0001", 4)]


def test_a_line_back_at_a_depth_no_open_block_has_is_an_error_at_that_line():
    text = ('playbook p\n  to all groups\n  on member.joined\n      +0 hi "欢迎"\n    +1d tip "须知"\n'
            '  周一 10:00 a "x"\n')
    tree, diagnostics = syntax(text)
    (d,) = diagnostics
    assert (d.code, d.span.line, d.span.column, d.span.end_column) == ("E0007", 5, 5, 8)
    assert d.message == "this line is indented 4 spaces, which lines up with no open block"
    assert d.hint == ("indent it 6 spaces to keep it in `on member.joined` (line 3), "
                      "or 2 spaces to put it in `playbook p` (line 1)")
    (pb,) = build_ast(tree, "t.sop")[0].playbooks
    assert [s.name.value for s in pb.steps] == ["a"] and [s.name.value for s in pb.triggers[0].steps] == ["hi"]


def test_lines_that_go_on_at_the_same_wrong_depth_are_one_error():
    text = 'playbook p\n    to all groups\n  周一 10:00 a "x"\n  周二 10:00 b "x"\nplaybook q\n  to all groups\n'
    assert codes_at(text) == [("E0007", 3, 3)]


def test_a_line_indented_under_a_line_that_opens_no_block():
    text = 'playbook p\n  to all groups\n    周一 10:00 a "x"\n  周二 10:00 b "y"\n'
    tree, diagnostics = syntax(text)
    (d,) = diagnostics
    assert (d.code, d.span.line, d.span.column) == ("E0007", 3, 5)
    assert d.message == "this line is indented deeper than line 2 (`to all groups`), which does not open a block"
    assert d.hint.startswith("indent it 2 spaces, like line 2")
    assert [s.name.value for s in build_ast(tree, "t.sop")[0].playbooks[0].steps] == ["b"]


@pytest.mark.parametrize("text", ['  playbook p\n    to all groups\n', '# 注释\n  playbook p\n    to all groups\n'])
def test_an_indented_first_line_is_an_error(text):
    (d,) = syntax(text)[1]
    assert (d.code, d.message) == ("E0007", "the file's first line is indented")
    assert d.span.line == text.count("\n", 0, text.index("playbook")) + 1 and "left margin" in d.hint


def test_a_tab_in_the_indentation_is_one_error_and_the_file_is_still_read():
    text = 'playbook p\n\tto all groups\n\t周一 10:00 a "x"\n\t# 注释里的 tab 不算\n\t周二 10:00 b "y"\n'
    tree, diagnostics = syntax(text)
    (d,) = diagnostics
    assert (d.code, d.span.line, d.span.column, d.span.end_column) == ("E0009", 2, 2, 4)
    assert "indent with spaces" in d.hint and "2 more lines of this file are indented with tabs" in d.hint
    assert [s.name.value for s in build_ast(tree, "t.sop")[0].playbooks[0].steps] == ["a", "b"]


def test_a_tab_between_words_and_in_blank_lines_is_fine():
    pb = clean('playbook p\n  to\tall groups\n\t\n  周一\t10:00 s "x"\n').playbooks[0]
    assert pb.steps[0].name.value == "s"


def test_a_full_width_space_and_a_space_are_not_the_same_depth():
    text = 'playbook p\n\u3000to all groups\n 周一 10:00 a "x"\n'
    (d,) = syntax(text)[1]
    assert (d.code, d.span.line) == ("E0007", 3)


def test_text_over_several_lines_does_not_count_as_indentation():
    pb = playbook('  周一 10:00 rules """\n群规:\n      不发广告\n"""\n  on member.joined\n    +0 hi """\n  欢迎\n"""\n')
    assert pb.steps[0].body.content.text == "群规:\n      不发广告"
    assert pb.triggers[0].steps[0].name.value == "hi"


def test_a_broken_audience_line_is_reported_once_not_also_as_missing():
    text = 'playbook p "x"\n  to groups tagged 福利群 and stage 成熟期\n  周一 10:00 coupon "福利"\n'
    tree, diagnostics = syntax(text)
    (d,) = diagnostics
    assert (d.code, d.span.line, d.span.column) == ("E0001", 2, 34)
    assert "`to groups tagged 福利群 in stage 成熟期`" in d.hint and "`on group.stage <stage>`" in d.hint
    (pb,) = build_ast(tree, "t.sop")[0].playbooks
    assert pb.audience is None and pb.audience_unreadable


def test_a_playbook_without_a_to_line_is_not_marked_unreadable():
    tree, diagnostics = syntax('playbook p\n  周八 10:00 a "x"\n  周一 10:00 b "y"\n')
    assert [d.code for d in diagnostics] == ["E0140"]
    assert not build_ast(tree, "t.sop")[0].playbooks[0].audience_unreadable


def test_the_examples_stdlib_and_golden_projects_parse_with_the_blocks_they_show():
    # every step sits where its indentation puts it: no trigger step at a playbook's depth, and so on
    root = Path(__file__).resolve().parents[1]
    paths = [*root.glob("examples/**/*.sop"), *root.glob("playbooks/*.sop")]
    assert len(paths) >= 10
    for path in paths:
        text = path.read_text(encoding="utf-8")
        source_file = clean(text)
        lines = text.split("\n")
        for pb in source_file.playbooks:
            depth = _depth(lines[pb.span.line - 1])
            for item in (*pb.steps, *pb.triggers, *pb.launches):
                assert _depth(lines[item.span.line - 1]) > depth, (path, item.span.line)
            for trigger in pb.triggers:
                for step in trigger.steps:
                    assert _depth(lines[step.span.line - 1]) > _depth(lines[trigger.span.line - 1]), (path, step.span)


def _depth(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


# ---- literals that parse but are not valid -------------------------------------------


@pytest.mark.parametrize("line, code, fragment", [
    ('周一 25:00 s "x"', "E0101", "`25:00` is not a time of day"),
    ('周一 09:60 s "x"', "E0101", "`09:60`"),
    ('every 2d from 2026-02-30 at 09:00 s "x"', "E0102", "February 2026 has 28 days"),
    ('every 2d from 2026-13-01 at 09:00 s "x"', "E0102", "there is no month 13"),
    ('every 36h from 2026-11-01 at 09:00 s "x"', "E0107", "whole number of days"),
    ('cron "0 9 * *" s "x"', "E0105", "it has 4 fields"),
    ('cron "61 9 * * *" s "x"', "E0105", "the minute field `61`"),
    ('每月 0号 10:00 s "x"', "E0106", "`0号` is not a day of the month"),
])
def test_bad_literals(line, code, fragment):
    _, diagnostics = compile_text(f'playbook p\n  to all groups\n  {line}\n')
    assert [d.code for d in diagnostics] == [code]
    assert fragment in diagnostics[0].message and diagnostics[0].span.line == 3


def test_bad_duration():
    _, diagnostics = compile_text("playbook p\n  gap 1m1d\n")
    assert [(d.code, d.span.line, d.span.column) for d in diagnostics] == [("E0103", 2, 7)]


def test_quiet_start_equals_end():
    _, diagnostics = compile_text("playbook p\n  quiet 08:00-08:00\n")
    assert [d.code for d in diagnostics] == ["E0108"]


def test_active_window_backwards():
    _, diagnostics = compile_text("playbook p\n  active 2026-12-01 to 2026-11-01\n")
    assert [d.code for d in diagnostics] == ["E0110"] and "2026-11-01 to 2026-12-01" in diagnostics[0].hint


# ---- syntax errors and recovery -------------------------------------------------------------


def syntax(text: str):
    tree, diagnostics = parse(text, "t.sop")
    return tree, diagnostics


def test_recovery_reports_every_broken_line_once():
    text = ('playbook p\n'
            '  to all groups\n'
            '  周八 10:00 a "x"\n'         # 3: unknown weekday
            '  周一 10:00 b "ok"\n'
            '  周二 morning c "x"\n'        # 5: missing time
            '  周三 10:00 d "ok"\n'
            '  cap many/day\n'              # 7: not a number
            '  周四 10:00 e "ok"\n'
            '  周五 10:00 f "open\n'        # 9: unterminated
            '  周六 10:00 g "ok"\n')
    tree, diagnostics = syntax(text)
    assert [d.span.line for d in diagnostics] == [3, 5, 7, 9]
    source_file, more = build_ast(tree, "t.sop")
    assert more == []
    assert [s.name.value for s in source_file.playbooks[0].steps] == ["b", "d", "e", "g"]


def test_broken_block_header_takes_its_body_along():
    text = 'timelin flash "快闪"\n  T open "开抢"\n  T+1h close dissolve group\nplaybook p\n  to all groups\n'
    tree, diagnostics = syntax(text)
    assert [d.span.line for d in diagnostics] == [1]
    assert "did you mean `timeline`?" in diagnostics[0].hint
    assert "unknown block `timelin`" in diagnostics[0].message
    source_file, _ = build_ast(tree, "t.sop")
    assert [p.name.value for p in source_file.playbooks] == ["p"]


def test_unclosed_triple_quote_swallows_the_rest_without_cascades():
    tree, diagnostics = syntax('playbook p\n  to all groups\n  周一 10:00 a """\n  text\n  周二 10:00 b "x"\n')
    assert [(d.code, d.span.line, d.span.column) for d in diagnostics] == [("E0005", 3, 14)]


def test_unknown_weekday_message():
    (d,) = syntax('playbook p\n  周八 10:00 a "x"\n')[1]
    assert d.message == "unknown weekday `周八`" and "周一" in d.hint
    assert (d.span.line, d.span.column, d.span.end_column) == (2, 3, 5)


@pytest.mark.parametrize("line, char, column, fixed", [
    ('周一 10：00 a "x"', "：", 8, "10:00"),
    ('周一，周三 10:00 a "x"', "，", 5, ",周三"),
])
def test_fullwidth_punctuation_points_at_the_character(line, char, column, fixed):
    (d,) = syntax(f"playbook p\n  {line}\n")[1]
    assert f"full-width `{char}`" in d.message
    assert (d.span.line, d.span.column, d.span.end_column) == (2, column, column + 1)
    assert f"`{fixed}`" in d.hint


@pytest.mark.parametrize("line", ['周一 # 注释：好', '周一 "文字：" a'])
def test_fullwidth_inside_comments_and_text_is_not_blamed(line):
    (d,) = syntax(f"playbook p\n  {line}\n")[1]
    assert "full-width" not in d.message + (d.hint or "")
    assert d.span.column == 6


def test_timeline_step_inside_a_playbook():
    (d,) = syntax('playbook p\n  to all groups\n  T+10m open "开抢"\n')[1]
    assert "timeline step" in d.message and "`timeline` block" in d.hint and "`run " in d.hint


def test_timeline_offset_under_an_event():
    (d,) = syntax('playbook p\n  on member.joined\n    T+1h a "x"\n')[1]
    assert "timeline offset" in d.message and "`+1h`" in d.hint


def test_missing_time():
    (d,) = syntax('playbook p\n  周二 morning "早"\n')[1]
    assert "a time like `10:00`" in d.message and "found `morning`" in d.message and "HH:MM" in d.hint


def test_unterminated_string():
    (d,) = syntax('playbook p\n  周一 10:00 a "没有结束\n')[1]
    assert d.code == "E0003" and (d.span.line, d.span.column) == (2, 14)


def test_file_ending_early():
    (d,) = syntax('playbook')[1]
    assert d.span.line == 1 and "name" in d.message


INTERNAL = re.compile(r"__ANON|_NL\b|\$END|__IGNORE|" + "|".join(
    rf"\b{re.escape(t.name)}\b" for t in lark_parser().terminals if t.name.isascii() and t.name.isupper()))

BROKEN = [
    "playbook",
    "playbook p \"x\" extra\n",
    "playbook p\n  to\n",
    "playbook p\n  to groups tagged\n",
    "playbook p\n  to groups tagged (a or\n",
    "playbook p\n  cap 3\n",
    "playbook p\n  cap x/day\n",
    "playbook p\n  quiet 22:00\n",
    "playbook p\n  quiet 22:00-08:00 maybe\n",
    "playbook p\n  on holidays sometimes\n",
    "playbook p\n  周一\n",
    "playbook p\n  周一 10:00\n",
    "playbook p\n  周一 10:00 a\n",
    "playbook p\n  周一 10:00 a b\n",
    "playbook p\n  周一 10:00 a \"x\" =\n",
    "playbook p\n  周一 10:00 a \"x\" k=\n",
    "playbook p\n  周一..\n",
    "playbook p\n  每月\n",
    "playbook p\n  every\n",
    "playbook p\n  cron 0 9 * * *\n",
    "playbook p\n  run\n",
    "playbook p\n  run t at 2026-01-01\n",
    "playbook p\n  on\n",
    "playbook p\n  on member.joined\n    +0\n",
    "playbook p\n  on member.joined\n    T+1h a \"x\"\n",
    "playbook p\n  vars\n",
    "timeline\n",
    "timeline t max\n",
    "timeline t\n  T\n",
    "timeline t\n  T+1h a dissolve\n",
    "timeline t\n  周一 10:00 a \"x\"\n",
    "stages\n  a when\n",
    "stages\n  a when age\n",
    "stages\n  a when age < \n",
    "stages\n  a\n",
    "import\n",
    "import a from\n",
    "template\n",
    "template t\n",
    "\"stray text\"\n",
    "@all\n",
    "  indented garbage ((\n",
    "10:00\n",
    "playbook p\n  to all groups\n  周一 10:00 a \"x\" @\n",
    "playbook p\n  to all groups\n  ＠all\n",
    "playbook p（测试）\n",
    "playbook p\n  gap 30分钟\n",
    "{{ group.name }}\n",
    "playbook p\n  周一 10:00 a \"\"\"\n",
    "playbook p\n",
    "playbook p\n  to all groups\n  on member.joined\n",
    "playbook p\n  to all groups\n    周一 10:00 a \"x\"\n",
    "playbook p\n    to all groups\n  周一 10:00 a \"x\"\n",
    "  playbook p\n",
    "playbook p\n\tto all groups\n",
    "stages\n  a when age < 7d\n  10:00\n",
    "playbook p\n  to all groups\n  on member.joined\n    每天 10:00 a \"x\"\n",
]


@pytest.mark.parametrize("text", BROKEN)
def test_syntax_messages_use_the_languages_words(text):
    tree, diagnostics = syntax(text)
    assert diagnostics, "expected a syntax error"
    for d in diagnostics:
        assert re.fullmatch(r"E\d{4}", d.code)
        words = f"{d.message} {d.hint or ''}"
        assert not INTERNAL.search(words), words
        assert 1 <= d.span.line <= text.count("\n") + 1
    if tree is not None:
        build_ast(tree, "t.sop")  # whatever survived still builds


def test_too_many_errors_stops():
    text = "playbook p\n" + "  周八 10:00 a \"x\"\n" * 80
    _, diagnostics = syntax(text)
    assert len(diagnostics) <= 51
    assert diagnostics[-1].code == "E0004"
