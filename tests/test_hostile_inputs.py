"""Hostile and big inputs to `sopc check` (issue 11, the grammar parts of
finding 5, and finding 7): every .sop input is bounded (digits, nesting, line
length, file size) with a located diagnostic, never a traceback; error
recovery is linear in a file's size, the roster's work linear in its rows,
and a did-you-mean hint never walks the disk.

The slow paths are held by counting the work (tokens the parser is fed,
templates rendered, folders listed), not by timing: a count does not
depend on the machine, and it tells linear from quadratic at sizes CI can
afford. bench/bench_hostile.py times the full sizes (a 4 MB broken file, a
100,000-row roster)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from lark.parsers import lalr_parser_state
from projects import write_project

import sopc.lang.parser as parser
from sopc.compile.templates import CompiledTemplate
from sopc.core.limits import MAX_DIGITS, MAX_LINE_CHARS, MAX_SOP_BYTES, MAX_TAG_NESTING, MAX_WALK_ENTRIES, size_text
from sopc.lang.parser import parse

NOW = "2026-11-23T09:00"
DIGITS = "1" * 5000  # over Python's 4,300-digit limit for int(): ValueError, before
PLAYBOOK = 'playbook p "测试"\n  to all groups\n  sender console\n'
STEP = '  周一 10:00 hello "大家好"\n'


def check(root: Path, run_sopc, *, hints: bool = False) -> list[tuple]:
    """`sopc check --format json`: (code, line, message) of each diagnostic (and its hint)."""
    result = run_sopc("check", str(root), "--now", NOW, "--format", "json", cwd=root.parent)
    assert "Traceback" not in result.stderr and result.exit_code in (0, 1), result.stderr
    found = json.loads(result.stdout)["diagnostics"]
    return [(d["code"], d["line"], d["message"], *([d.get("hint")] if hints else [])) for d in found]


# ---- finding 5: digits ------------------------------------------------------------------------------

@pytest.mark.parametrize("lines, line", [
    (f"  every {DIGITS}d from 2026-11-02 at 10:00 s \"x\"\n", 4),
    (f"  gap {DIGITS}m\n" + STEP, 4),
    (f"  grace {DIGITS}s\n" + STEP, 4),
    (STEP + f"  on member.joined\n    +{DIGITS}m welcome \"欢迎\"\n", 6),
    (STEP + f"  on member.joined\n    +1d{DIGITS}h welcome \"欢迎\"\n", 6),
], ids=["every", "gap", "grace", "offset", "offset-hours"])
def test_a_duration_of_5000_digits_is_E0112_at_its_line(project, run_sopc, lines, line):
    found = check(project({"main.sop": PLAYBOOK + lines}), run_sopc)
    assert [(code, at) for code, at, _ in found] == [("E0112", line)]
    message = found[0][2]
    assert f"has a number of 5,000 digits; sopc reads numbers of at most {MAX_DIGITS} digits" in message
    assert len(message) < 200  # the 5,000 digits are not repeated


def test_timeline_offsets_and_lengths_and_stage_ages_of_5000_digits_are_E0112(project, run_sopc):
    found = check(project({"main.sop": f'timeline t "t" max {DIGITS}h\n  T+{DIGITS}m go "开始"\n'
                                       f"stages\n  新群 when age < {DIGITS}d\n  老群 otherwise\n" + PLAYBOOK + STEP}),
                  run_sopc)
    assert sorted((code, line) for code, line, _ in found if code == "E0112") == [("E0112", 1), ("E0112", 2),
                                                                                     ("E0112", 4)]


def test_a_silence_of_5000_digits_is_not_a_duration(project, run_sopc):
    found = check(project({"main.sop": PLAYBOOK + STEP + f'  on member.silent {DIGITS}d\n    +0 hi "好久不见"\n'}),
                  run_sopc)
    assert [(code, line) for code, line, _ in found] == [("E0103", 5)]


# ---- finding 5: nesting -----------------------------------------------------------------------------

@pytest.mark.parametrize("expression", ["not " * 600 + "a", "(" * 1200 + "a" + ")" * 1200,
                                        "not (" * 300 + "a" + ")" * 300],
                         ids=["600 not", "1200 parentheses", "both"])
def test_a_tag_expression_nested_too_deep_is_E0010_and_the_rest_is_still_checked(project, run_sopc, expression):
    text = PLAYBOOK.replace("to all groups", f"to groups tagged {expression}") + STEP + '  周二 25:00 late "晚"\n'
    found = check(project({"main.sop": text}), run_sopc)
    assert ("E0010", 2) in [(code, line) for code, line, _ in found]
    assert f"more than {MAX_TAG_NESTING} deep" in next(m for c, _, m in found if c == "E0010")
    assert ("E0101", 5) in [(code, line) for code, line, _ in found]  # the next error, found all the same


def test_nesting_up_to_the_limit_is_read_and_selects_the_groups(project, run_sopc):
    deep = "(" * (MAX_TAG_NESTING - 1) + "not 快闪群" + ")" * (MAX_TAG_NESTING - 1)
    root = project({"main.sop": PLAYBOOK.replace("to all groups", f"to groups tagged {deep}") + STEP})
    assert check(root, run_sopc) == []
    result = run_sopc("plan", str(root), "--now", NOW, "--format", "jsonl", cwd=root.parent)
    groups = {json.loads(line)["target"]["group"] for line in result.stdout.splitlines()}
    assert groups == {"hz_001", "hz_002", "sh_001"}


def test_long_flat_tag_expressions_are_not_nesting(project, run_sopc):
    flat = " and ".join(["not 快闪群"] * 500)
    root = project({"main.sop": PLAYBOOK.replace("to all groups", f"to groups tagged {flat}") + STEP})
    assert check(root, run_sopc) == []


# ---- finding 5: line length and file size ---------------------------------------------------------------

def test_a_line_over_the_limit_is_E0010_and_left_out(project, run_sopc):
    long_text = "福" * (MAX_LINE_CHARS + 1)
    found = check(project({"main.sop": PLAYBOOK + STEP + f'  周二 10:00 long "{long_text}"\n  周三 25:00 x "y"\n'}),
                  run_sopc)
    assert [(code, line) for code, line, _ in found] == [("E0010", 5), ("E0101", 6)]
    assert f"over the limit of {MAX_LINE_CHARS:,}" in found[0][2]


def test_a_file_over_the_limit_is_E0010_and_is_not_read_whole(project, run_sopc, monkeypatch):
    root = project({"main.sop": PLAYBOOK + STEP, "huge.sop": "# " + "x" * MAX_SOP_BYTES + "\n"})
    reads: list[int] = []
    real_open = Path.open

    def counting_open(self, mode="r", *args, **kwargs):
        handle = real_open(self, mode, *args, **kwargs)
        if self.name == "huge.sop":
            read = handle.read
            handle.read = lambda size=-1: reads.append(size) or read(size)
        return handle
    monkeypatch.setattr(Path, "open", counting_open)
    found = check(root, run_sopc)
    assert [(code, line) for code, line, _ in found] == [("E0010", 1)]
    assert f"over the limit of {size_text(MAX_SOP_BYTES)} for one .sop file" in found[0][2]
    assert reads == [MAX_SOP_BYTES + 1]  # enough to tell, never the whole file


def test_parse_refuses_text_over_the_limit_in_characters():
    tree, diagnostics = parse("#" * (MAX_SOP_BYTES + 1), "big.sop")
    assert tree is None and [d.code for d in diagnostics] == ["E0010"]


# ---- finding 7: error recovery is linear --------------------------------------------------------------------

def _playbooks(count: int) -> list[str]:
    lines = []
    for number in range(count):
        lines += [f'playbook p{number} "第 {number} 个"', "  to all groups", "  sender console",
                  *(f'  周{"一二三四五"[day]} 1{day}:00 s{day} "第 {number} 个的第 {day} 条,{{{{ group.name }}}}"'
                    for day in range(5)), ""]
    return lines


def _tokens_fed(monkeypatch) -> list[int]:
    """Counts the tokens Lark's LALR parser is fed, over every parse."""
    fed = [0]
    real = lalr_parser_state.ParserState.feed_token

    def counting(self, token, is_end=False):
        fed[0] += 1
        return real(self, token, is_end)
    monkeypatch.setattr(lalr_parser_state.ParserState, "feed_token", counting)
    return fed


def test_recovering_from_40_errors_in_a_1_mb_file_parses_it_about_once(monkeypatch):
    fed = _tokens_fed(monkeypatch)
    tree, diagnostics = parse("\n".join(_playbooks(10)) + "\n", "ten.sop")
    assert tree is not None and diagnostics == []
    per_playbook = fed[0] / 10  # the playbooks differ only in their numbers
    lines = _playbooks(3450)
    step = [i for i, line in enumerate(lines) if line.startswith("  周")]
    for number in range(40):  # spread over the whole file, the last near its end
        index = step[(number + 1) * len(step) // 41]
        lines[index] = lines[index].replace(":00", "：00")
    text = "\n".join(lines) + "\n"
    assert len(text.encode()) > 1_000_000
    fed[0] = 0
    tree, diagnostics = parse(text, "broken.sop")
    assert [d.code for d in diagnostics] == ["E0001"] * 40 and tree is not None
    # each error costs a resume from the line before it, not a parse of the whole file again (about 20x)
    assert fed[0] < per_playbook * 3450 * 1.2, (fed[0], per_playbook * 3450)


def test_recovery_walks_a_million_blank_lines_once_not_once_per_error(monkeypatch):
    text = PLAYBOOK + "\n" * 1_000_000 + "".join(" " * (60 - i) + "x y\n" for i in range(55))
    calls = [0]
    real = parser._is_code

    def counting(line):
        calls[0] += 1
        return real(line)
    monkeypatch.setattr(parser, "_is_code", counting)
    tree, diagnostics = parse(text, "blank.sop")
    assert [d.code for d in diagnostics][-1] == "E0004" and len(diagnostics) == parser.MAX_SYNTAX_ERRORS + 1
    assert calls[0] < 3 * 1_000_000, calls[0]  # was a walk over every blank line per error: 50 million


# ---- finding 7: roster work is linear, and small per row ------------------------------------------------------

ROSTER_SOP = '''playbook weekly "周SOP"
  to groups tagged 福利群
  sender console
  周一 10:00 energy  "【{{ group.store }}】本周券包 {{ amount }} 元,{{ group.name }}的家人们冲"  amount=50
  周三 11:00 king    "今天 {{ date }},{{ group.store }}国王日" @all
  周五 15:00 draw    "周五抽奖,回复「薯条」参与"
  周六 10:30 welfare "【{{ group.store }}】独享 {{ group['city'] }}"
'''


def _roster(count: int, long_store: int | None = None, bad_price: int | None = None) -> str:
    rows = ["id,name,tags,store,city,price"]
    for number in range(count):
        store = "超" * 1000 if number == long_store else f"{number}号店"
        rows.append(f"g{number:06d},第 {number} 群,福利群,{store},杭州,{'九块九' if number == bad_price else '9.9'}")
    return "\n".join(rows) + "\n"


def _renders(monkeypatch) -> list[int]:
    rendered = [0]
    real = CompiledTemplate.render

    def counting(self, context):
        rendered[0] += 1
        return real(self, context)
    monkeypatch.setattr(CompiledTemplate, "render", counting)
    return rendered


def test_checking_a_roster_renders_per_step_not_per_group(project, run_sopc, monkeypatch):
    renders = _renders(monkeypatch)
    counts = []
    for count in (1000, 4000):
        root = project({"main.sop": ROSTER_SOP, "groups.csv": _roster(count)}, name=f"r{count}")
        renders[0] = 0
        assert check(root, run_sopc) == []
        counts.append(renders[0])
    # was 8 renders per group (4 templates reading `group`, 5 weeks of dated texts): 8,000 and 32,000
    assert counts[0] == counts[1] and counts[1] < 100, counts


def test_one_group_in_thousands_with_a_text_too_long_or_a_bad_value_is_still_found(project, run_sopc):
    toml = '''timezone = "Asia/Shanghai"\n\n[senders.console]\nkind = "wecom-bot"\nkey_env = "HOSTILE_KEY"\n'''
    price = '  周日 09:00 price   "会员价 {{ group.price | yuan }}"\n'  # a filter: each group rendered for real
    root = project({"sopc.toml": toml, "main.sop": ROSTER_SOP + price,
                    "groups.csv": _roster(3000, long_store=1234, bad_price=2345)})
    found = check(root, run_sopc)
    assert sorted((code, line) for code, line, _ in found) == [("E0406", 8), ("E0502", 4), ("E0502", 5),
                                                                ("E0502", 7)], found
    long = next(message for code, line, message in found if code == "E0502" and line == 4)
    assert "`energy` for group `g001234`" in long and "(and 4 more times in 1 group)" in long
    bad = next(message for code, _, message in found if code == "E0406")
    assert "step `price` cannot be rendered for group `g002345`" in bad and "九块九" in bad


# ---- finding 7: a did-you-mean never walks the disk ------------------------------------------------------------

def _listings(monkeypatch) -> list[str]:
    listed: list[str] = []
    real = os.scandir

    def counting(path="."):
        listed.append(str(path))
        return real(path)
    monkeypatch.setattr(os, "scandir", counting)
    return listed


def test_a_templates_folder_outside_the_project_is_not_walked_for_a_hint(project, run_sopc, monkeypatch):
    root = project({"sopc.toml": 'timezone = "Asia/Shanghai"\ntemplates = "/"\n\n[senders.console]\nkind = "console"\n',
                    "main.sop": PLAYBOOK + '  周一 10:00 hello template "no_such_file.j2"\n'})
    listed = _listings(monkeypatch)
    found = check(root, run_sopc)
    assert [code for code, _, _ in found] == ["E0401"]
    assert not [path for path in listed if not Path(path).resolve().is_relative_to(root.resolve())], listed[:10]


def test_the_hint_walk_inside_the_project_is_bounded(project, run_sopc, monkeypatch):
    import sopc.project.walk as walk

    files = {f"templates/{'/'.join(['d'] * depth)}/t{number}.j2": "x" for depth in range(1, 12) for number in range(3)}
    root = project({"main.sop": PLAYBOOK + '  周一 10:00 hello template "d/t1.j3"\n', **files})
    monkeypatch.setattr(walk, "MAX_WALK_ENTRIES", 12)
    listed = _listings(monkeypatch)
    found = check(root, run_sopc, hints=True)
    assert [(code, hint) for code, _, _, hint in found] == [("E0401", "did you mean `d/t1.j2`?")]
    assert len([path for path in listed if "templates" in path]) <= 12
    assert MAX_WALK_ENTRIES >= 1000  # the real bound lists any real templates folder whole


def test_readme_states_the_sop_limits_the_code_holds():
    from sopc.core.limits import MAX_WALK_DEPTH

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = " ".join(readme.split("### Limits", 1)[1].split("\n### ", 1)[0].split())
    sop = section.split("**.sop files**", 1)[1].split("- **", 1)[0]
    stated = [f"a file at most {size_text(MAX_SOP_BYTES)}", f"at most {MAX_LINE_CHARS:,} characters",
              f"nested at most {MAX_TAG_NESTING} deep", f"of at most {MAX_DIGITS} digits",
              f"At most {parser.MAX_SYNTAX_ERRORS} syntax errors"]
    assert [text for text in stated if text not in sop] == []
    hints = section.split("**Hints**", 1)[1]
    assert f"at most {MAX_WALK_ENTRIES:,} entries, {MAX_WALK_DEPTH} folders deep" in hints
