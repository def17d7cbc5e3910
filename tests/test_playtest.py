"""`sopc test`: playbook tests written in .sop (`test` blocks), run through the
real plan and gate, as a user runs them (the CLI in process).

* every example project's tests pass (exit 0), and a broken expectation
  fails with the expected/got text pinned in tests/golden/playtest/;
* the expectations mean what README says (deferred by quiet hours and the
  gap, skipped by the cap, counts of posts, `no ... for MEMBER`, rounds of a
  repeated step), each checked both ways: a test that holds passes and the
  same test with another number or time fails;
* `--junit` writes JUnit XML that parses back with the same results;
* a test never reaches what `sopc plan` (so `sopc run`) sends;
* `sopc check` and `sopc test` report a broken test at its line (E08xx);
  `sopc test` then exits 2 and runs nothing;
* `sopc init`'s project has a test, and it passes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from helpers_golden import assert_golden
from inprocess import run_sopc
from projects import NOW, write_project

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p.name for p in (REPO / "examples").iterdir() if (p / "sopc.toml").is_file())
GOLDEN = Path(__file__).resolve().parent / "golden" / "playtest"

PLAYBOOK = '''\
playbook welfare "福利群"
  to groups tagged 福利群
  sender console
  quiet 22:00-08:00
  cap 2/day
  gap 30m

  周一 10:00         coupon   "本周券包 {{ group.store }}"
  周一 10:10         tips     "用券小贴士"
  周一 10:20         extra    "加餐福利"
  周二 09:00, 09:05  hello    "早上好"

  on member.joined
    +0             welcome  "欢迎 {{ member.name }}" @member
    +1d at 10:00 every 1d x3  newbie  "新人券已到账"
'''


def project(tmp_path: Path, tests: str, playbook: str = PLAYBOOK) -> Path:
    return write_project(tmp_path / "proj", {"main.sop": playbook, "main.test.sop": tests})


def sopc_test(root: Path, *args: str):
    return run_sopc("test", *args, cwd=root)


# ---- the examples --------------------------------------------------------------------------

@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_has_tests_that_pass(name):
    result = run_sopc("test", f"examples/{name}", cwd=REPO)
    assert result.exit_code == 0, result.stdout + result.stderr
    last = result.stdout.strip().splitlines()[-1]
    passed = int(last.split()[0])
    assert last == f"{passed} passed, 0 failed" and 2 <= passed <= 6, result.stdout


def test_a_broken_expectation_fails_with_expected_and_got_at_its_line(tmp_path):
    """The lifecycle example with one expectation made wrong (the newcomer
    coupon a day late): exit 1, the line drawn, expected vs the nearest got."""
    root = tmp_path / "lifecycle"
    root.mkdir()
    for path in (REPO / "examples" / "lifecycle").iterdir():
        if path.is_file():
            (root / path.name).write_bytes(path.read_bytes())
    test_file = root / "lifecycle.test.sop"
    text = test_file.read_text(encoding="utf-8")
    broken = text.replace("for m_xw at 2026-11-24 11:00", "for m_xw at 2026-11-25 11:00", 1)
    assert broken != text
    test_file.write_text(broken, encoding="utf-8")
    result = run_sopc("test", "lifecycle", cwd=tmp_path)
    assert result.exit_code == 1
    assert "FAIL  lifecycle/lifecycle.test.sop:" in result.stdout
    assert_golden(GOLDEN / "lifecycle_broken.txt", result.stdout.encode("utf-8"))


# ---- what expectations mean ------------------------------------------------------------------

def outcome(tmp_path: Path, lines: str, start: str = "2026-11-23 08:00") -> tuple[int, str]:
    """`sopc test` on one test of ``lines`` (indented under it)."""
    body = "".join(f"  {line}\n" for line in lines.strip().splitlines())
    root = project(tmp_path, f'test "t"\n  start {start}\n{body}')
    result = sopc_test(root)
    assert result.exit_code in (0, 1), result.stderr
    return result.exit_code, result.stdout


@pytest.mark.parametrize("lines, passes", [
    # 2026-11-23 is a Monday: coupon 10:00, tips 10:30 (the gap); extra, deferred by the gap to
    # 10:30 too, comes after tips (scheduled earlier) and is skipped there (cap 2/day)
    ('expect coupon to hz_001 at 2026-11-23 10:00 contains "西湖店"', True),
    ('expect coupon to hz_001 at 2026-11-23 10:00 contains "滨江店"', False),
    ("expect tips to hz_001 at 2026-11-23 10:30", True),
    ("expect tips to hz_001 at 2026-11-23 10:10", False),
    ("expect deferred gap tips to hz_001", True),
    ("expect deferred gap coupon to hz_001", False),
    ("expect skipped cap extra to hz_001", True),
    ("expect no extra to hz_001 on 2026-11-23", True),
    ("expect extra to hz_001 on 2026-11-23", False),
    ("expect 2 posts to hz_001 on 2026-11-23", True),
    ("expect 3 posts to hz_001 on 2026-11-23", False),
    ("expect 6 posts on 2026-11-23", True),
    ("expect 3 skipped cap", True),
    ("expect no skipped quiet", True),
    # Tuesday 09:00 and 09:05: the second waits for the gap until 09:30
    ("expect 2 hello to sh_001 on 2026-11-24", True),
    ("expect hello to sh_001 at 2026-11-24 09:30", True),
])
def test_expectations_hold_against_the_gated_plan(tmp_path, lines, passes):
    code, out = outcome(tmp_path, lines)
    assert code == (0 if passes else 1), out
    assert out.strip().endswith("1 passed, 0 failed" if passes else "0 passed, 1 failed")


@pytest.mark.parametrize("lines, passes", [
    # joined at 23:30: the welcome waits for the end of quiet hours, 08:00 (Tuesday's first post)
    ('given member.joined hz_002 A "阿甲" at 2026-11-23 23:30\nexpect welcome to hz_002 for A at 2026-11-24 08:00 '
     'contains "欢迎 阿甲"', True),
    ('given member.joined hz_002 A "阿甲" at 2026-11-23 23:30\nexpect welcome to hz_002 at 2026-11-23 23:30', False),
    ('given member.joined hz_002 A "阿甲" at 2026-11-23 23:30\nexpect deferred quiet welcome for A', True),
    # a repeated step's rounds (newbie#1..#3) are messages of `newbie`; Wednesday has no weekly posts
    ('given member.joined hz_002 A "阿甲" at 2026-11-25 12:00\nexpect 3 newbie for A', True),
    ('given member.joined hz_002 A "阿甲" at 2026-11-25 12:00\nexpect 2 newbie for A', False),
    ('given member.joined hz_002 A "阿甲" at 2026-11-25 12:00\nexpect no newbie for B', None),
    ('given member.joined hz_002 A "阿甲" at 2026-11-25 12:00\nexpect no welcome for A', False),
    # on Monday the group has had its 2 posts by noon: the welcome is skipped by the cap
    ('given member.joined hz_002 A "阿甲" at 2026-11-23 12:00\nexpect skipped cap welcome for A', True),
    ('given member.joined hz_002 A "阿甲" at 2026-11-23 12:00\nexpect welcome for A', False),
    ("expect no welcome", True),
])
def test_given_events_start_their_steps(tmp_path, lines, passes):
    if passes is None:  # B was never given: W0808 says the line cannot fail; it passes
        root = project(tmp_path, 'test "t"\n  start 2026-11-23 08:00\n' +
                       "".join(f"  {line}\n" for line in lines.splitlines()))
        checked = run_sopc("check", "--now", NOW, cwd=root)
        assert "main.test.sop:4:24: warning[W0808]: no `given` line of this test is about member `B`" in checked.stderr
        assert sopc_test(root).exit_code == 0
        return
    code, out = outcome(tmp_path, lines)
    assert code == (0 if passes else 1), out


def test_a_failure_shows_the_nearest_messages_with_the_gates_reason(tmp_path):
    code, out = outcome(tmp_path, "expect extra to hz_001 at 2026-11-23 10:20")
    assert code == 1
    assert "main.test.sop:3:3: FAIL" in out
    assert "= expected: extra to hz_001 at 2026-11-23 10:20 (周一)" in out
    assert "= got: none\n" in out
    assert ("nearest: extra to hz_001 at 2026-11-23 10:30 (周一): \"加餐福利\", skipped (cap: group `hz_001` already "
            "had 2 posts today (cap 2/day))") in out
    assert "nearest: extra to hz_001 at 2026-11-30 10:30 (周一)" not in out  # a week on: out of the window


def test_counts_list_what_they_found(tmp_path):
    code, out = outcome(tmp_path, "expect 1 posts to hz_001 on 2026-11-23")
    assert code == 1
    assert "= got: 2 messages:" in out
    assert 'coupon to hz_001 at 2026-11-23 10:00 (周一): "本周券包 西湖店"' in out
    assert ("tips to hz_001 at 2026-11-23 10:30 (周一): \"用券小贴士\" (deferred: 30m gap after the previous post; "
            "scheduled 11-23 10:10)") in out


# ---- JUnit ---------------------------------------------------------------------------------

def test_junit_xml_parses_back_with_one_case_per_test(tmp_path):
    root = project(tmp_path, '''\
test "券包按时发"
  start 2026-11-23 08:00
  expect coupon to hz_001 at 2026-11-23 10:00

test "故意写错的时间"
  start 2026-11-23 08:00
  expect coupon to hz_001 at 2026-11-23 11:00 contains "券包"
''')
    result = sopc_test(root, "--junit", "out/results.xml")  # its folder is made
    assert result.exit_code == 1
    tree = ET.parse(root / "out" / "results.xml")
    suites = tree.getroot()
    assert suites.tag == "testsuites" and suites.get("tests") == "2" and suites.get("failures") == "1"
    [suite] = suites.findall("testsuite")
    assert suite.get("name") == "main.test.sop"
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["券包按时发", "故意写错的时间"]
    assert cases[0].find("failure") is None and cases[0].get("line") == "1"
    failure = cases[1].find("failure")
    assert failure is not None and cases[1].get("line") == "5"
    assert failure.get("message").startswith('line 7: expected coupon to hz_001 at 2026-11-23 11:00 (周一) '
                                              'containing "券包"; got none')
    assert "main.test.sop:7:3" in failure.text and "nearest: coupon to hz_001 at 2026-11-23 10:00" in failure.text
    assert not (root / "out" / "results.xml.part").exists()


# ---- tests are never sent --------------------------------------------------------------------

def test_a_test_changes_nothing_that_plan_or_run_sends(tmp_path):
    plain = write_project(tmp_path / "plain", {"main.sop": PLAYBOOK})
    tested = project(tmp_path, '''\
test "新人"
  start 2026-11-23 08:00
  given member.joined hz_002 A "阿甲" at 2026-11-25 12:00
  expect welcome for A
''')
    window = ("--from", "2026-11-23", "--to", "2026-11-29", "--format", "jsonl", "--now", NOW)
    without = run_sopc("plan", ".", *window, cwd=plain)
    with_test = run_sopc("plan", ".", *window, cwd=tested)
    assert without.exit_code == with_test.exit_code == 0
    assert with_test.stdout == without.stdout and "welcome" not in with_test.stdout
    assert sopc_test(tested).exit_code == 0


def test_a_file_of_tests_alone_runs_against_the_whole_project(tmp_path):
    root = project(tmp_path, 'test "t"\n  start 2026-11-23 08:00\n  expect coupon to hz_001\n')
    result = run_sopc("test", "main.test.sop", cwd=root)
    assert result.exit_code == 0 and result.stdout.strip().endswith("1 passed, 0 failed")
    other = run_sopc("test", "main.sop", cwd=root)  # a file with no tests: none chosen
    assert other.exit_code == 0 and other.stdout.strip() == "no tests"


def test_no_tests_is_not_a_failure(tmp_path):
    root = write_project(tmp_path / "proj", {"main.sop": PLAYBOOK})
    result = sopc_test(root)
    assert result.exit_code == 0 and result.stdout.strip() == "no tests"


# ---- broken tests: located, and nothing runs --------------------------------------------------

BROKEN = '''\
test "坏的"
  given member.joind hz_001 A at 2026-11-23 10:00
  given member.joined hz_01 A at 2026-11-23 10:00
  given member.tagged hz_001 A 违规 多余 at 2026-11-23 10:00
  expect welcom to hz_001
  expect skipped gap
  expect coupon at 2026-11-24 10:00 on 2026-11-24
  expect coupon to hz_001 to hz_002

test "窗口"
  start 2026-11-23 08:00
  until 2026-11-25
  until 2026-11-26
  expect coupon at 2026-11-27 10:00

test "空的"
  start 2026-11-23 08:00
  until 2028-01-01

test "没有期望"
  start 2026-11-23 08:00
  given member.joined hz_001 A at 2026-11-23 10:00
'''

BROKEN_AT = {
    ("E0801", 1, 6), ("E0802", 2, 9), ("E0803", 3, 23), ("E0802", 4, 3), ("E0804", 5, 10), ("E0805", 6, 18),
    ("E0805", 7, 3), ("E0805", 8, 27), ("E0801", 13, 3), ("E0806", 14, 17), ("W0807", 16, 6), ("E0806", 18, 3),
    ("W0807", 20, 6),
}


def test_check_reports_each_broken_test_line_where_it_is(tmp_path):
    import json

    root = project(tmp_path, BROKEN)
    result = run_sopc("check", "--now", NOW, "--format", "json", cwd=root)
    assert result.exit_code == 1
    found = {(d["code"], d["line"], d["column"]) for d in json.loads(result.stdout)["diagnostics"]
             if d["path"] == "main.test.sop"}
    assert found == BROKEN_AT


def test_sopc_test_stops_on_a_broken_test_with_exit_2(tmp_path):
    root = project(tmp_path, BROKEN)
    result = sopc_test(root)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "main.test.sop:5:10: error[E0804]: no playbook or timeline has a step `welcom`" in result.stderr
    assert "did you mean `welcome`?" in result.stderr
    assert "main.test.sop:3:23: error[E0803]: group `hz_01` is not in the roster" in result.stderr
    assert "W0807" not in result.stderr  # warnings do not stop a test run
    assert result.stderr.rstrip().endswith("no test was run: fix these errors first")


def test_a_given_line_is_read_by_the_event_reader(tmp_path):
    """Its problems are the reader's own, at the word they are about."""
    root = project(tmp_path, '''\
test "t"
  start 2026-11-23 08:00
  given member.silent hz_001 A at 2026-11-23 10:00
  given member.joined hz_001 A at 2026-11-23 10:00 kind=vip
  given member.joined hz_001 A at 2099-12-31 23:00
  expect coupon
''')
    result = sopc_test(root)
    assert result.exit_code == 2
    err = result.stderr
    assert "main.test.sop:3:9: error[E0802]: `member.silent` is not reported: sopc derives it" in err
    assert "main.test.sop:4:52: error[E0802]: \"data\".\"kind\": `kind` is a field of every event" in err
    assert "main.test.sop:5:3: error[E0806]" not in err


def test_a_syntax_error_in_a_test_is_exit_2(tmp_path):
    root = project(tmp_path, 'test "t"\n  start 2026-11-23 08:00\n  expect coupon at 10:00\n')
    result = sopc_test(root)
    assert result.exit_code == 2
    assert "main.test.sop:3:20: error[E0001]" in result.stderr


# ---- sopc init -------------------------------------------------------------------------------

def test_the_init_project_has_a_test_that_passes(tmp_path):
    made = run_sopc("init", "my-sop", "--now", "2026-11-23T09:00", cwd=tmp_path)
    assert made.exit_code == 0
    assert list((tmp_path / "my-sop").rglob("*.test.sop"))
    result = run_sopc("test", "my-sop", cwd=tmp_path)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("passed, 0 failed")


# ---- README ----------------------------------------------------------------------------------

def test_the_readme_tests_pass_on_the_lifecycle_example(tmp_path):
    """The README's example tests, as written, in a copy of examples/lifecycle."""
    import re

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```sop\n(.*?)```", readme, re.S) if b.startswith("test ")]
    assert blocks
    root = tmp_path / "lifecycle"
    root.mkdir()
    for path in (REPO / "examples" / "lifecycle").iterdir():
        if path.is_file() and not path.name.endswith(".test.sop"):
            (root / path.name).write_bytes(path.read_bytes())
    (root / "readme.test.sop").write_text("\n".join(blocks), encoding="utf-8")
    result = run_sopc("test", "lifecycle", cwd=tmp_path)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("2 passed, 0 failed")
    checked = run_sopc("check", "lifecycle", "--strict", "--now", NOW, cwd=tmp_path)
    assert checked.exit_code == 0, checked.stderr


def test_the_readme_shows_the_failure_as_sopc_test_prints_it():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert (GOLDEN / "lifecycle_broken.txt").read_text(encoding="utf-8") in readme


def test_junit_names_the_errors_when_nothing_could_run(tmp_path):
    root = project(tmp_path, 'test "t"\n  start 2026-11-23 08:00\n  expect welcom to hz_001\n')
    result = sopc_test(root, "--junit", "results.xml")
    assert result.exit_code == 2
    suites = ET.parse(root / "results.xml").getroot()
    assert suites.get("errors") == "1" and suites.get("failures") == "0"
    [case] = suites.iter("testcase")
    error = case.find("error")
    assert error.get("message") == ("1 error; no test was run: main.test.sop:3:10: error[E0804]: no playbook or "
                                    "timeline has a step `welcom`")


def test_a_junit_file_that_cannot_be_written_is_exit_2(tmp_path):
    root = project(tmp_path, 'test "t"\n  start 2026-11-23 08:00\n  expect coupon to hz_001\n')
    (root / "taken").write_text("a file, not a folder", encoding="utf-8")
    result = sopc_test(root, "--junit", "taken/results.xml")
    assert result.exit_code == 2
    assert "sopc: cannot write taken/results.xml" in result.stderr


TWO_PLAYBOOKS = PLAYBOOK + '''
playbook night "晚安群"
  to group hz_001
  sender console
  cap 5/day
  每天 21:00  coupon  "晚安券"
'''


@pytest.mark.parametrize("line, passes", [
    ("expect coupon to hz_001 from welfare on 2026-11-23", True),
    ("expect coupon to hz_001 from night on 2026-11-23", True),
    ('expect coupon to hz_001 from welfare at 2026-11-23 21:00', False),
    ("expect 2 coupon to hz_001 on 2026-11-23", True),
    ("expect 1 coupon to hz_001 from night on 2026-11-23", True),
])
def test_from_names_the_playbook_when_steps_share_a_name(tmp_path, line, passes):
    root = project(tmp_path, f'test "t"\n  start 2026-11-23 08:00\n  {line}\n', playbook=TWO_PLAYBOOKS)
    result = sopc_test(root)
    assert result.exit_code == (0 if passes else 1), result.stdout + result.stderr


def test_a_playbook_that_is_not_there_is_e0804(tmp_path):
    root = project(tmp_path, 'test "t"\n  start 2026-11-23 08:00\n  expect coupon from welfar\n')
    result = sopc_test(root)
    assert result.exit_code == 2
    assert "main.test.sop:3:22: error[E0804]: no playbook is called `welfar`" in result.stderr
    assert "did you mean `welfare`?" in result.stderr


def test_a_count_beyond_the_limit_is_e0112(tmp_path):
    root = project(tmp_path, 'test "t"\n  start 2026-11-23 08:00\n  expect ' + "9" * 40 + " posts\n")
    result = sopc_test(root)
    assert result.exit_code == 2
    assert "main.test.sop:3:10: error[E0112]" in result.stderr and "at most 100,000 messages" in result.stderr


QUIET_SKIP = '''\
playbook night "夜场"
  to group hz_001
  sender console
  quiet 22:00-08:00 skip
  每天 21:30  late_deal  "晚场清仓"
  每天 23:00  too_late   "深夜福利"
'''


@pytest.mark.parametrize("line, passes", [
    ("expect skipped quiet too_late to hz_001 on 2026-11-23", True),
    ("expect 7 skipped quiet", True),
    ("expect no too_late", True),
    ("expect no skipped quiet late_deal", True),
    ("expect skipped quiet late_deal", False),
])
def test_quiet_hours_that_skip(tmp_path, line, passes):
    root = project(tmp_path, f'test "t"\n  start 2026-11-23 08:00\n  {line}\n', playbook=QUIET_SKIP)
    result = sopc_test(root)
    assert result.exit_code == (0 if passes else 1), result.stdout + result.stderr


def test_paused_and_missed_never_happen_in_a_test(tmp_path):
    root = project(tmp_path, 'test "t"\n  start 2026-11-23 08:00\n  expect no skipped paused\n')
    result = sopc_test(root)
    assert result.exit_code == 2
    assert ("main.test.sop:3:21: error[E0805]: nothing is paused in a test: it plans as `sopc plan` does, with no "
            "playbook paused and every message on time") in result.stderr
    assert "the reasons a test meets are `cap`, `quiet`, `stage`" in result.stderr


def test_sopc_test_speaks_chinese_when_asked(tmp_path):
    root = project(tmp_path, 'test "券包"\n  start 2026-11-23 08:00\n  expect coupon to hz_001 at 2026-11-23 11:00\n')
    result = run_sopc("--lang", "zh", "test", cwd=root)
    assert result.exit_code == 1
    assert 'main.test.sop:3:3: FAIL: 测试 "券包"：期望没有满足' in result.stdout
    assert "= 期望: coupon to hz_001 at 2026-11-23 11:00 (周一)" in result.stdout
    assert '= 实际: 无\n          最接近的：coupon to hz_001 at 2026-11-23 10:00 (周一)' in result.stdout
    assert result.stdout.strip().endswith("0 个通过，1 个失败")
    broken = project(tmp_path / "b", 'test "t"\n  start 2026-11-23 08:00\n  expect welcom to hz_001\n')
    stopped = run_sopc("--lang", "zh", "test", cwd=broken)
    assert stopped.exit_code == 2
    assert "main.test.sop:3:10: 错误[E0804]: 没有哪个玩法或时间线有步骤 `welcom`" in stopped.stderr
    assert stopped.stderr.rstrip().endswith("没有运行任何测试：请先修正这些错误")
