"""`sopc fmt` (issue 12): one canonical layout of `.sop` files.

* golden: each tests/golden/fmt/NAME.in formats to NAME.sop (the inputs are
  not named .sop: they are untidy on purpose, and nothing should tidy
  them; SOPC_UPDATE_GOLDEN=1 rewrites the expected files, review the diff);
* idempotent and safe on every example, the standard library, every golden
  `.sop` file and a fixed sample of the fuzzer's mutated playbooks: fmt of
  fmt is fmt, the formatted text builds the same AST (positions aside),
  and every comment is still there, in order (counted by the Pygments
  lexer, which shares no code with the formatter);
* the examples and the standard library are formatted (`sopc fmt --check`);
* each example written untidily (other indentation, spacing, full-width
  spaces) plans the same messages as the example, and `sopc fmt` turns it
  back into the example byte for byte, still planning the same;
* the command: --check lists and exits 1, --diff prints and writes
  nothing, a file with syntax errors is left untouched with its
  diagnostics, CRLF and a BOM are kept, and a formatter bug that would
  change a playbook's meaning is refused (E0990), not written.
"""

from __future__ import annotations

import dataclasses
import random
import re
import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pygments.token import Comment

import sopc.lang.fmt as fmt
from helpers_golden import assert_golden
from inprocess import run_sopc
from sopc.core.diagnostics import Span
from sopc.editors.pygments_lexer import SopLexer
from sopc.lang.fmt import format_source
from sopc.project.loader import parse_source

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "fmt"
CASES = sorted(p.stem for p in GOLDEN.glob("*.in"))
REPO_SOP = sorted([*(ROOT / "examples").rglob("*.sop"), *(ROOT / "playbooks").glob("*.sop"),
                   *(ROOT / "tests" / "golden").rglob("*.sop"), *GOLDEN.glob("*.in")])
FUZZ_SAMPLE = 400       # mutated playbooks tried; about one in five parses
EXAMPLES = sorted(p.name for p in (ROOT / "examples").iterdir() if (p / "sopc.toml").is_file())
MONTH = ("--from", "2026-11-23", "--to", "2026-12-22", "--now", "2026-11-23T09:00")


# ---- what a file means, and its comments (independent of the formatter) -------------

def meaning(text: str):
    """The AST of a file as plain values, without positions, and its diagnostics' codes."""
    source_file, diagnostics = parse_source(text, "x.sop")
    return _plain(source_file), sorted(d.code for d in diagnostics)


def _plain(node):
    if isinstance(node, Span):
        return None
    if dataclasses.is_dataclass(node):
        return {f.name: _plain(getattr(node, f.name)) for f in dataclasses.fields(node)
                if f.name not in ("body_line", "body_column")}
    if isinstance(node, (tuple, list)):
        return [_plain(item) for item in node]
    return node


def comments(text: str) -> list[str]:
    return [value.strip() for kind, value in SopLexer().get_tokens(text) if kind in Comment]


def assert_idempotent_and_safe(text: str, name: str) -> bool:
    """Format ``text``; False when it is refused (then it has syntax errors)."""
    result = format_source(text, "x.sop")
    if result.text is None:
        assert result.diagnostics and all(d.code != "E0990" for d in result.diagnostics), (name, result.diagnostics)
        return False
    assert format_source(result.text, "x.sop").text == result.text, f"{name}: fmt(fmt(x)) != fmt(x)"
    if not result.fixed:  # (a full-width typo fixed: the original did not parse, so has no meaning to compare)
        assert meaning(result.text) == meaning(text), f"{name}: the formatted file means something else"
    assert comments(result.text) == comments(text), f"{name}: a comment was lost or moved out of order"
    return True


# ---- golden -------------------------------------------------------------------------

@pytest.mark.parametrize("name", CASES)
def test_golden(name):
    text = (GOLDEN / f"{name}.in").read_text(encoding="utf-8")
    result = format_source(text, f"{name}.in")
    assert result.text is not None, result.diagnostics
    assert_golden(GOLDEN / f"{name}.sop", result.text.encode("utf-8"))
    assert format_source(result.text, "again.sop").text == result.text


def test_fullwidth_typos_are_fixed_only_outside_text_and_comments():
    expected = (GOLDEN / "fullwidth.sop").read_text(encoding="utf-8")
    assert "quiet 22:00-08:00" in expected and "周一, 周三 10:00" in expected and "brand=汉堡王" in expected
    assert '"文本里的，和：不动" @all' in expected and "“中文引号，也不动”" in expected and "# 注释里的：也不动" in expected
    assert "周一~周五" in expected and "周一-周五" in expected and "\u3000" not in expected.replace("：", "")
    result = format_source((GOLDEN / "fullwidth.in").read_text(encoding="utf-8"), "f.sop")
    assert [char for _, _, char in result.fixed] == ["：", "：", "＝", "，", "：", "＠"]


def test_a_fullwidth_comma_inside_a_group_id_is_left_alone():
    """`hz_001，hz_002` is one word to the grammar (a group id may hold any
    character): not known to be a typo, so fmt does not split it."""
    result = format_source('playbook p\n  to group hz_001，hz_002\n  周一 10:00 a "x"\n', "x.sop")
    assert "to group hz_001，hz_002" in result.text


# ---- idempotent, safe, comments kept -----------------------------------------------

@pytest.mark.parametrize("path", REPO_SOP, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_sop_file_of_the_repository(path):
    text = path.read_text(encoding="utf-8-sig")
    formatted = assert_idempotent_and_safe(text, str(path))
    if "diagnostics" not in path.parts and "fmt" not in path.parts:
        assert formatted, f"{path} does not parse"


def test_a_sample_of_the_fuzz_corpus():
    sys.path.insert(0, str(ROOT / "tests" / "fuzz"))
    try:
        import fuzz
    finally:
        sys.path.remove(str(ROOT / "tests" / "fuzz"))
    seeds = fuzz.collect_seeds()
    pool = fuzz.Pool(seeds)
    playbooks = [seed for seed in seeds if seed.kind == "sop"]
    formatted = 0
    for index in range(FUZZ_SAMPLE):
        rng = random.Random(f"fmt:{index}")
        try:
            text = fuzz.mutate(rng, rng.choice(playbooks), pool).decode("utf-8")
        except UnicodeDecodeError:
            continue
        formatted += assert_idempotent_and_safe(text, f"fuzz input {index}")
    assert formatted >= FUZZ_SAMPLE // 10, f"only {formatted} of {FUZZ_SAMPLE} inputs parsed: the sample tests little"


# Lines that make a playbook, written with any spacing the parser accepts.
LINES = ['to groups tagged 福利群 and not city:上海', "sender wecom", "quiet 22:00-08:00 defer", "cap 3/day",
         'vars brand=汉堡王', '周一 10:00 coupon template "c.j2" amount=50', '周一到周五 16:00 tea "下午茶" @all',
         'mon..fri 09:00, 14:00 reminder markdown "**福利**"', "# a comment", '每月 1日, 最后一天 10:00 m "月度"',
         'run flash at 2026-11-25 20:00 in group hz_001 with product=樱花杯', '周三、周五 14:30 buy "拼团" # trailing']
SPACE = st.sampled_from([" ", "  ", "   ", "\u3000", " \u3000 "])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(st.tuples(st.sampled_from(LINES), SPACE, st.booleans()), min_size=1, max_size=8),
       indent=st.sampled_from(["  ", "    ", "\u3000", "   "]))
def test_any_spacing_formats_to_one_layout(lines, indent):
    """The same lines with any indentation and spacing format to one text."""
    canonical = format_source(_playbook([(line, " ", blank) for line, _, blank in lines], "  "), "x.sop").text
    untidy = _playbook(lines, indent)
    assert assert_idempotent_and_safe(untidy, "hypothesis")
    assert format_source(untidy, "x.sop").text == canonical


def _playbook(lines, indent: str) -> str:
    body = [indent + "sender wecom\n"]
    for line, space, blank in lines:
        code, hash_, comment = line.partition("#")  # (no `#` in these lines' texts) comments are kept as written
        code = re.sub(r"(?<=[\w\"]) (?=[\w\"@])", space, code)
        body.append(indent + code + hash_ + comment + "\n" + ("\n" if blank else ""))
    return 'playbook p "测试"\n' + "".join(body).rstrip("\n") + "\n"


# ---- the examples -------------------------------------------------------------------

def test_the_examples_and_the_standard_library_are_formatted():
    result = run_sopc("fmt", "--check", "examples", "playbooks", cwd=ROOT)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout == "" and "already formatted" in result.stderr


def test_sopc_init_writes_formatted_playbooks(tmp_path):
    assert run_sopc("init", "demo", "--now", "2026-11-23T09:00", cwd=tmp_path).exit_code == 0
    result = run_sopc("fmt", "--check", "demo", cwd=tmp_path)
    assert result.exit_code == 0 and result.stdout == "", result.stdout + result.stderr


@pytest.mark.parametrize("name", EXAMPLES)
def test_an_untidy_example_plans_the_same_and_formats_back(name, tmp_path):
    project = tmp_path / name
    shutil.copytree(ROOT / "examples" / name, project)
    originals = {path: path.read_text(encoding="utf-8") for path in project.rglob("*.sop")}
    for path, text in originals.items():
        path.write_text(untidy(text), encoding="utf-8")
    events = ("--events", "events.jsonl") if (project / "events.jsonl").is_file() else ()
    expected = run_sopc("plan", str(ROOT / "examples" / name), *MONTH, "--format", "jsonl",
                        *(("--events", str(ROOT / "examples" / name / "events.jsonl")) if events else ()), cwd=ROOT)
    assert expected.exit_code == 0 and expected.stdout.count("\n") > 0, expected.stderr

    def plan() -> str:
        result = run_sopc("plan", ".", *MONTH, "--format", "jsonl", *events, cwd=project)
        assert result.exit_code == 0, result.stderr
        return result.stdout

    assert all(path.read_text(encoding="utf-8") != text for path, text in originals.items())
    assert plan() == expected.stdout
    result = run_sopc("fmt", cwd=project)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("formatted ") == len(originals)
    for path, text in originals.items():
        assert path.read_text(encoding="utf-8") == text
    assert plan() == expected.stdout


QUOTED = re.compile(r'"(?:\\.|[^"\\])*"|“[^”]*”')


def untidy(text: str) -> str:
    """The same file written carelessly: three spaces a level, words apart
    by runs of spaces and full-width spaces, `,` and `=` spaced out, the
    trailing comments right after the code (texts in quotes untouched)."""
    out, in_text = [], False
    for line in text.split("\n"):
        if '"""' in line or in_text:
            in_text ^= line.count('"""') % 2 == 1
            out.append(line)
            continue
        depth = (len(line) - len(line.lstrip(" "))) // 2
        code, comment = _split_comment(line.strip())
        parts = QUOTED.split(code)
        quoted = QUOTED.findall(code)
        loose = [re.sub(r"(?<=\w)=(?=[^=])", " = ", re.sub(r",", " , ", re.sub(r"\s+", " \u3000 ", part)))
                 for part in parts]
        code = "".join(p + q for p, q in zip(loose, quoted + [""])).strip()
        out.append("   " * depth + code + (" " + comment if comment else ""))
    return "\n".join(out)


def _split_comment(line: str) -> tuple[str, str]:
    position = 0
    while position < len(line):
        match = QUOTED.match(line, position)
        if match:
            position = match.end()
        elif line[position] == "#":
            return line[:position], line[position:]
        else:
            position += 1
    return line, ""


# ---- the command --------------------------------------------------------------------

UNTIDY = 'playbook p "测试"\n    to all groups\n    周一 10:00 a "x"   # c\n    周二 10:00 longer "y"\n'
TIDY = 'playbook p "测试"\n  to all groups\n  周一 10:00  a       "x"  # c\n  周二 10:00  longer  "y"\n'
BROKEN = 'playbook p\n  to all groups\n  周一 25 x\n'


def test_fmt_writes_the_canonical_text_and_keeps_the_file_mode(tmp_path):
    (tmp_path / "playbooks").mkdir()
    untidy_file = tmp_path / "playbooks" / "a.sop"
    untidy_file.write_text(UNTIDY, encoding="utf-8")
    untidy_file.chmod(0o640)
    (tmp_path / "b.sop").write_text(TIDY, encoding="utf-8")
    result = run_sopc("fmt", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "formatted playbooks/a.sop\n"
    assert "1 .sop file formatted, 1 already formatted" in result.stderr
    assert untidy_file.read_text(encoding="utf-8") == TIDY
    assert untidy_file.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a.sop", "b.sop", "playbooks"]  # no temporary file left
    again = run_sopc("fmt", cwd=tmp_path)
    assert again.exit_code == 0 and again.stdout == "" and "2 already formatted" in again.stderr


def test_a_symbolic_link_stays_a_link(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "real.sop").write_text(UNTIDY, encoding="utf-8")
    project = tmp_path / "project"
    project.mkdir()
    (project / "linked.sop").symlink_to(shared / "real.sop")
    assert run_sopc("fmt", "linked.sop", cwd=project).exit_code == 0
    assert (project / "linked.sop").is_symlink()
    assert (shared / "real.sop").read_text(encoding="utf-8") == TIDY


def test_check_lists_the_files_and_writes_nothing(tmp_path):
    (tmp_path / "a.sop").write_text(UNTIDY, encoding="utf-8")
    (tmp_path / "b.sop").write_text(TIDY, encoding="utf-8")
    result = run_sopc("fmt", "--check", ".", cwd=tmp_path)
    assert result.exit_code == 1
    assert result.stdout == "a.sop\n"
    assert "1 .sop file would be formatted, 1 already formatted; run `sopc fmt`" in result.stderr
    assert (tmp_path / "a.sop").read_text(encoding="utf-8") == UNTIDY
    assert run_sopc("fmt", "--check", "b.sop", cwd=tmp_path).exit_code == 0


def test_diff_prints_a_unified_diff_and_writes_nothing(tmp_path):
    (tmp_path / "a.sop").write_text(UNTIDY, encoding="utf-8")
    result = run_sopc("fmt", "--diff", "a.sop", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("--- a/a.sop\n+++ b/a.sop\n@@ ")
    assert '-    周一 10:00 a "x"   # c\n' in result.stdout and '+  周一 10:00  a       "x"  # c\n' in result.stdout
    assert (tmp_path / "a.sop").read_text(encoding="utf-8") == UNTIDY
    both = run_sopc("fmt", "--check", "--diff", "a.sop", cwd=tmp_path)
    assert both.exit_code == 1 and both.stdout == result.stdout


def test_a_file_with_syntax_errors_is_left_untouched(tmp_path):
    (tmp_path / "bad.sop").write_text(BROKEN, encoding="utf-8")
    (tmp_path / "good.sop").write_text(UNTIDY, encoding="utf-8")
    result = run_sopc("fmt", cwd=tmp_path)
    assert result.exit_code == 1
    assert "bad.sop:3:6: error[E0001]: expected a time like `10:00`" in result.stderr
    assert "1 not formatted: fix the errors above first" in result.stderr
    assert (tmp_path / "bad.sop").read_text(encoding="utf-8") == BROKEN
    assert (tmp_path / "good.sop").read_text(encoding="utf-8") == TIDY  # the other files are still formatted
    tabbed = tmp_path / "tab.sop"
    tabbed.write_text(UNTIDY.replace("    to", "\tto"), encoding="utf-8")  # E0009: how deep is a tab?
    assert run_sopc("fmt", "tab.sop", cwd=tmp_path).exit_code == 1
    assert "\t" in tabbed.read_text(encoding="utf-8")


def test_fullwidth_typos_are_fixed_and_said(tmp_path):
    (tmp_path / "a.sop").write_text('playbook p\n  to all groups\n  周一，周三 10：00 a "x"\n', encoding="utf-8")
    result = run_sopc("fmt", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "formatted a.sop (2 full-width characters written in ASCII)\n"
    assert (tmp_path / "a.sop").read_text(encoding="utf-8") == 'playbook p\n  to all groups\n  周一, 周三 10:00  a  "x"\n'


def test_fmt_speaks_chinese_when_asked(tmp_path):
    (tmp_path / "a.sop").write_text(UNTIDY, encoding="utf-8")
    (tmp_path / "b.sop").write_text(TIDY, encoding="utf-8")
    checked = run_sopc("--lang", "zh", "fmt", "--check", cwd=tmp_path)
    assert checked.exit_code == 1 and "1 个 .sop 文件需要格式化, 1 个已是标准格式; 运行 `sopc fmt` 即可格式化" in checked.stderr
    result = run_sopc("--lang", "zh", "fmt", cwd=tmp_path)
    assert result.stdout == "已格式化 a.sop\n" and "已格式化 1 个 .sop 文件" in result.stderr


def test_crlf_and_a_byte_order_mark_are_kept(tmp_path):
    path = tmp_path / "win.sop"
    path.write_bytes(b"\xef\xbb\xbf" + UNTIDY.replace("\n", "\r\n").encode("utf-8"))
    assert run_sopc("fmt", "win.sop", cwd=tmp_path).exit_code == 0
    assert path.read_bytes() == b"\xef\xbb\xbf" + TIDY.replace("\n", "\r\n").encode("utf-8")
    assert run_sopc("fmt", "--check", "win.sop", cwd=tmp_path).exit_code == 0


def test_files_sopc_cannot_read_are_reported(tmp_path):
    (tmp_path / "gbk.sop").write_bytes(UNTIDY.encode("gbk"))
    result = run_sopc("fmt", cwd=tmp_path)
    assert result.exit_code == 1 and "error[E0008]: this file is not UTF-8 text" in result.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    none = run_sopc("fmt", "empty", cwd=tmp_path)
    assert none.exit_code == 1 and "no .sop files in empty" in none.stderr


def test_a_formatter_bug_that_would_change_the_meaning_is_refused(tmp_path, monkeypatch):
    """The safety net: the formatted text is parsed again and must mean the
    same; a (simulated) bug dropping a mention is caught, nothing is written."""
    real = fmt._render
    monkeypatch.setattr(fmt, "_render", lambda items: real(items).replace(" @all", ""))
    text = 'playbook p\n    to all groups\n    周一 10:00 a "x" @all\n'
    (tmp_path / "a.sop").write_text(text, encoding="utf-8")
    result = run_sopc("fmt", cwd=tmp_path)
    assert result.exit_code == 1
    assert "error[E0990]: sopc fmt would change what this file means" in result.stderr
    assert (tmp_path / "a.sop").read_text(encoding="utf-8") == text


def test_fullwidth_range_words_mean_the_same_in_ascii():
    text = 'playbook p\n  to all groups\n  周一～周五 09:00 a "x"\n  周一－周五 10:00 b "y"\n  周一　到　周五 11:00 c "z"\n'
    result = format_source(text, "x.sop")
    assert "周一~周五 09:00" in result.text and "周一-周五 10:00" in result.text and "周一到周五 11:00" in result.text
    assert meaning(result.text) == meaning(text)
