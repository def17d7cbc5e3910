"""Tests for sopc.core.render: golden text output, JSON shape, widths, robustness."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from sopc.core.diagnostics import Diagnostic, Severity, Span, error, warning
from sopc.core.render import display_width, render_json, render_text, summary_line


def span(line: int, column: int, end_column: int, *, end_line: int | None = None, path: str = "p.sop") -> Span:
    return Span(path=path, line=line, column=column, end_line=line if end_line is None else end_line, end_column=end_column)


def note(code: str, message: str, span: Span | None = None) -> Diagnostic:
    return Diagnostic(severity=Severity.NOTE, code=code, message=message, span=span)


# ---- display_width -----------------------------------------------------------


def test_display_width_ascii_cjk_fullwidth_and_ideographic_space():
    assert display_width("abc") == 3
    assert display_width("周三") == 4
    assert display_width("：，（）") == 8
    assert display_width("\u3000") == 2
    assert display_width("ＡＢ") == 4  # fullwidth Latin


def test_display_width_combining_tab_and_emoji():
    assert display_width("e\u0301") == 1  # e + combining acute
    assert display_width("\t") == 4
    assert display_width("a\tb") == 6
    assert display_width("😀") == 2
    assert display_width("a\u200db") == 2  # zero-width joiner
    assert display_width("") == 0


# ---- golden text -------------------------------------------------------------


def test_ascii_line_golden():
    source = "playbook demo\n  monday 10:00 coupon_pack\n"
    d = error("E0201", "unknown weekday `monday`", span(2, 3, 9), "did you mean `Monday`?")
    assert render_text([d], {"p.sop": source}) == (
        "p.sop:2:3: error[E0201]: unknown weekday `monday`\n"
        "  |\n"
        "2 |   monday 10:00 coupon_pack\n"
        "  |   ^^^^^^\n"
        "  = help: did you mean `Monday`?\n"
        "\n"
        "error: 1 error"
    )


def test_brief_example_two_digit_gutter():
    source = "\n" * 11 + '  周八 10:00  coupon_pack  template "coupon.j2"\n'
    d = error("E0201", "unknown weekday `周八`", span(12, 3, 5, path="playbooks/bk.sop"), "did you mean `周一`?")
    assert render_text([d], {"playbooks/bk.sop": source}) == (
        "playbooks/bk.sop:12:3: error[E0201]: unknown weekday `周八`\n"
        "   |\n"
        '12 |   周八 10:00  coupon_pack  template "coupon.j2"\n'
        "   |   ^^^^\n"
        "   = help: did you mean `周一`?\n"
        "\n"
        "error: 1 error"
    )


def test_chinese_before_span_golden():
    source = '  周三 11:30 国王日 "x"'
    d = error("E0301", "unknown step `国王日`", span(1, 12, 15))
    assert render_text([d], {"p.sop": source}) == (
        "p.sop:1:12: error[E0301]: unknown step `国王日`\n"
        "  |\n"
        '1 |   周三 11:30 国王日 "x"\n'
        "  |              ^^^^^^\n"
        "\n"
        "error: 1 error"
    )


def test_fullwidth_punctuation_and_ideographic_space_before_span_golden():
    source = "\u3000提醒：周三（晚上），发券 coupon"
    d = warning("W0102", "unused template", span(1, 15, 21))
    assert render_text([d], {"p.sop": source}) == (
        "p.sop:1:15: warning[W0102]: unused template\n"
        "  |\n"
        "1 | \u3000提醒：周三（晚上），发券 coupon\n"
        "  |                            ^^^^^^\n"
        "\n"
        "warning: 1 warning"
    )


def test_tab_indented_line_golden():
    source = "playbook x\n\tmonday 10:00 x\n"
    d = error("E0401", "unknown step `x`", span(2, 15, 16))
    assert render_text([d], {"p.sop": source}) == (
        "p.sop:2:15: error[E0401]: unknown step `x`\n"
        "  |\n"
        "2 |     monday 10:00 x\n"
        "  |                  ^\n"
        "\n"
        "error: 1 error"
    )


def test_span_on_newline_gets_one_caret_past_last_character():
    source = "周一 10:00\n"
    d = error("E0101", "expected step name", span(1, 9, 10))
    assert render_text([d], {"p.sop": source}) == (
        "p.sop:1:9: error[E0101]: expected step name\n"
        "  |\n"
        "1 | 周一 10:00\n"
        "  |           ^\n"
        "\n"
        "error: 1 error"
    )


def test_span_far_past_end_of_line_is_clamped_to_one_past_end():
    d = error("E0101", "expected step name", span(1, 40, 50))
    assert render_text([d], {"p.sop": "ab"}).split("\n")[2:4] == ["1 | ab", "  |   ^"]


def test_column_zero_is_clamped_to_line_start():
    d = error("E0101", "bad", span(1, 0, 3))  # end_column is exclusive: columns 1-2
    assert render_text([d], {"p.sop": "abc"}).split("\n")[3] == "  | ^^"


def test_crlf_line_endings_are_stripped():
    d = error("E0101", "bad", span(2, 1, 3))
    lines = render_text([d], {"p.sop": "ab\r\ncd\r\n"}).split("\n")
    assert lines[2:4] == ["2 | cd", "  | ^^"]


def test_multi_line_span_shows_first_line_and_ellipsis():
    source = "block {\n  a\n}\n"
    d = error("E0501", "unclosed block", span(1, 7, 2, end_line=3))
    assert render_text([d], {"p.sop": source}) == (
        "p.sop:1:7: error[E0501]: unclosed block\n"
        "  |\n"
        "1 | block {\n"
        "  |       ^\n"
        "...\n"
        "\n"
        "error: 1 error"
    )


def test_span_ending_at_start_of_next_line_has_no_ellipsis():
    d = error("E0501", "bad", span(1, 3, 1, end_line=2))
    lines = render_text([d], {"p.sop": "abcd\nef"}).split("\n")
    assert lines[3] == "  |   ^^"
    assert lines[4] == ""


def test_diagnostic_without_span_golden():
    d = error("E0001", "no playbooks found", hint="create a `.sop` file")
    assert render_text([d], {}) == (
        "error[E0001]: no playbooks found\n"
        "  = help: create a `.sop` file\n"
        "\n"
        "error: 1 error"
    )


def test_missing_source_prints_header_and_help_only():
    d = error("E0201", "bad", span(3, 1, 2, path="gone.sop"), "fix it")
    assert render_text([d], {"p.sop": "x"}) == (
        "gone.sop:3:1: error[E0201]: bad\n"
        "  = help: fix it\n"
        "\n"
        "error: 1 error"
    )


def test_line_past_end_of_file_prints_header_only():
    d = error("E0201", "bad", span(9, 1, 2))
    assert render_text([d], {"p.sop": "one\ntwo"}) == "p.sop:9:1: error[E0201]: bad\n\nerror: 1 error"


def test_empty_source_shows_empty_line_with_one_caret():
    d = error("E0001", "empty playbook", span(1, 1, 2))
    assert render_text([d], {"p.sop": ""}).split("\n")[1:4] == ["  |", "1 |", "  | ^"]


def test_control_characters_are_not_printed_raw():
    d = error("E0001", "bad", span(1, 3, 4))
    lines = render_text([d], {"p.sop": "a\x1bb c"}).split("\n")
    assert lines[2] == "1 | a\ufffdb c"
    assert lines[3] == "  |   ^"


def test_diagnostics_sorted_separated_and_deduplicated():
    source = "aaa\nbbb\n"
    second = error("E0002", "second", span(2, 1, 2))
    first = warning("W0001", "first", span(1, 2, 3))
    out = render_text([second, first, second], {"p.sop": source})
    assert out == (
        "p.sop:1:2: warning[W0001]: first\n"
        "  |\n"
        "1 | aaa\n"
        "  |  ^\n"
        "\n"
        "p.sop:2:1: error[E0002]: second\n"
        "  |\n"
        "2 | bbb\n"
        "  | ^\n"
        "\n"
        "error: 1 error, 1 warning"
    )


def test_gutter_width_follows_line_number():
    source = "x\n" * 120
    out = render_text([error("E1", "m", span(100, 1, 2), "h")], {"p.sop": source})
    assert out.split("\n")[1:5] == ["    |", "100 | x", "    | ^", "    = help: h"]


def test_no_diagnostics_renders_nothing():
    assert render_text([], {"p.sop": "x"}) == ""


def test_no_ansi_by_default_and_colors_when_asked():
    d = error("E1", "m", span(1, 1, 2), "h")
    plain = render_text([d], {"p.sop": "x"})
    colored = render_text([d], {"p.sop": "x"}, color=True)
    assert "\x1b" not in plain
    assert "\x1b[31m" in colored  # red error
    assert "\x1b[34m" in colored  # blue gutter
    assert "\x1b[32m" in colored  # green help
    assert "\x1b[33m" in render_text([warning("W1", "m")], {}, color=True)  # yellow warning


# ---- summary -----------------------------------------------------------------


def test_summary_line_pluralisation():
    e1, e2 = error("E1", "a"), error("E2", "b")
    w1, w2 = warning("W1", "c"), warning("W2", "d")
    assert summary_line([]) == "no problems"
    assert summary_line([e1]) == "1 error"
    assert summary_line([e1, e2, w1]) == "2 errors, 1 warning"
    assert summary_line([w1, w2]) == "2 warnings"
    assert summary_line([e1, note("N1", "n")]) == "1 error, 1 note"
    assert summary_line([e1, e1]) == "1 error"  # duplicates count once


def test_summary_label_is_warning_when_only_warnings():
    out = render_text([warning("W1", "a"), warning("W2", "b")], {})
    assert out.endswith("\n\nwarning: 2 warnings")


# ---- JSON --------------------------------------------------------------------


def test_render_json_fields_order_and_counts():
    with_span = error("E0201", "未知 `周八`", span(12, 3, 5, path="playbooks/bk.sop"), "did you mean `周一`?")
    without = warning("W0001", "no span")
    text = render_json([with_span, without, with_span])
    assert "周八" in text  # ensure_ascii=False
    doc = json.loads(text)
    assert list(doc) == ["diagnostics", "errors", "warnings"]
    assert doc["errors"] == 1 and doc["warnings"] == 1
    first, second = doc["diagnostics"]
    keys = ["severity", "code", "message", "hint", "path", "line", "column", "end_line", "end_column"]
    assert list(first) == keys and list(second) == keys
    assert first == dict.fromkeys(keys) | {"severity": "warning", "code": "W0001", "message": "no span"}
    assert second == {
        "severity": "error",
        "code": "E0201",
        "message": "未知 `周八`",
        "hint": "did you mean `周一`?",
        "path": "playbooks/bk.sop",
        "line": 12,
        "column": 3,
        "end_line": 12,
        "end_column": 5,
    }


def test_render_json_empty():
    assert json.loads(render_json([])) == {"diagnostics": [], "errors": 0, "warnings": 0}


# ---- properties --------------------------------------------------------------

_ALPHABET = st.sampled_from(
    list("ab :{}\"") + ["周", "三", "：", "，", "（", "\u3000", "\t", "\r\n", "\n", "\u0301", "😀", "\ufe0f", "\x1b", "\u200d"]
)
_TEXT = st.one_of(st.lists(_ALPHABET, max_size=40).map("".join), st.text(max_size=40))
_POSITION = st.integers(min_value=-2, max_value=45)


def _expected_caret_offset(source: str, line: int, column: int) -> tuple[str, int]:
    raw = source.split("\n")[line - 1].removesuffix("\r")
    start = max(1, min(column, len(raw) + 1)) - 1
    return raw[:start], display_width(raw[:start])


@settings(max_examples=400, deadline=None)
@given(source=_TEXT, line=_POSITION, column=_POSITION, end_line=_POSITION, end_column=_POSITION, color=st.booleans())
def test_render_never_raises_and_carets_align(source, line, column, end_line, end_column, color):
    s = Span(path="f.sop", line=line, column=column, end_line=end_line, end_column=end_column)
    d = error("E1", "m", s, "h")
    render_text([d], {"f.sop": source}, color=color)
    json.loads(render_json([d]))
    out = render_text([d], {"f.sop": source}).split("\n")
    width = len(str(line))
    if not 1 <= line <= len(source.split("\n")):
        assert out[1] == " " * width + " = help: h"
        return
    prefix, offset = _expected_caret_offset(source, line, column)
    gutter = " " * width + " | "
    caret_line = out[3]
    assert caret_line.startswith(gutter)
    body = caret_line[len(gutter):]
    carets = body.lstrip(" ")
    assert carets and set(carets) == {"^"}
    assert display_width(body[: len(body) - len(carets)]) == offset
    printed = out[2].removeprefix(f"{line} |").removeprefix(" ")
    assert display_width(printed[: len(prefix.replace("\t", "    "))]) == offset


def test_a_very_long_line_is_shown_as_a_window_with_the_caret_on_the_span():
    from sopc.core.diagnostics import Span, error
    from sopc.core.render import render_text

    line = "甲" * 30000 + " bad " + "x" * 40000
    column = 30000 + 2
    text = render_text([error("E0010", "too long", Span(path="p.sop", line=1, column=column, end_line=1,
                                                         end_column=column + 3))], {"p.sop": line})
    source, carets = text.splitlines()[2], text.splitlines()[3]
    assert len(source) < 400 and "…" in source and "bad" in source
    assert carets.index("^^^") - carets.index("|") == source.index("bad") - source.index("|") + \
        source[source.index("|"):source.index("bad")].count("甲")  # CJK cells are two wide
