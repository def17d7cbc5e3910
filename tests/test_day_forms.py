"""Days as operators write them (`周一到周五`, `周一、周三、周五`, `每周一三五`, ...)
mean exactly what the English forms mean: the same plan, message for
message and id for id, in `sopc check`, `sopc plan` and `sopc run`. The
close forms that do not parse (`周一到五`, `周1`, ...) are pinned in the
golden case tests/golden/diagnostics/day_forms."""

from __future__ import annotations

import json

import pytest

from projects import NOW
from sopc.lang.parser import parse
from sopc.lang.transform import build_ast

OUTBOX_TOML = '''timezone = "Asia/Shanghai"

[senders.outbox]
kind = "file"
path = "outbox.jsonl"
'''


def playbook(days: str) -> str:
    return (f'playbook welfare "福利群"\n  to groups tagged 福利群\n  sender outbox\n  quiet 22:00-08:00\n'
            f'  {days} 10:00 daily_deal "今日福利 {{{{ weekday_cn }}}}"\n')


# (as operators write it, the English form it means)
SAME_AS = [
    ("周一到周五", "mon..fri"),
    ("周一至周五", "mon..fri"),
    ("周一-周五", "mon..fri"),
    ("周一 - 周五", "mon..fri"),
    ("周一~周五", "mon..fri"),
    ("周一～周五", "mon..fri"),
    ("周一－周五", "mon..fri"),
    ("星期一至星期五", "mon..fri"),
    ("礼拜一到礼拜五", "mon..fri"),
    ("周五到周一", "fri..mon"),
    ("周一、周三、周五", "mon, wed, fri"),
    ("周一,周三,周五", "mon, wed, fri"),
    ("每周一", "mon"),
    ("每星期二", "tue"),
    ("每周一三五", "mon, wed, fri"),
    ("周一三五", "mon, wed, fri"),
    ("每周二四六", "tue, thu, sat"),
    ("每周末", "weekends"),
    ("周一到周五、周日", "mon..fri, sun"),
    ("每周一到周五", "mon..fri"),
]


def weekdays(days: str) -> set[int]:
    tree, problems = parse(playbook(days), "t.sop")
    assert problems == []
    source, problems = build_ast(tree, "t.sop")
    assert problems == []
    (step,) = source.playbooks[0].steps
    return {d for day_set in step.when.days for d in day_set.weekdays}


@pytest.mark.parametrize("written, english", SAME_AS)
def test_each_form_names_the_days_of_its_english_equivalent(written, english):
    assert weekdays(written) == weekdays(english) and weekdays(written)


@pytest.mark.parametrize("written, english", SAME_AS)
def test_each_form_plans_what_its_english_equivalent_plans(project, run_sopc, written, english):
    plans = []
    for name, days in (("cn", written), ("en", english)):
        folder = project({"sopc.toml": OUTBOX_TOML, "main.sop": playbook(days)}, name=name)
        check = run_sopc("check", ".", "--strict", "--now", NOW, cwd=folder)
        assert check.exit_code == 0, check.stderr
        result = run_sopc("plan", ".", "--from", "2026-11-23", "--to", "2026-12-06", "--format", "jsonl",
                          cwd=folder)
        assert result.exit_code == 0, result.stderr
        plans.append([json.loads(line) for line in result.stdout.splitlines()])
    assert plans[0] == plans[1] and plans[0]  # ids included


def test_a_range_with_a_dash_and_quiet_hours_with_a_dash_in_one_playbook(project, run_sopc):
    folder = project({"sopc.toml": OUTBOX_TOML, "main.sop": playbook("周一-周五").replace(
        "10:00", "21:30") + "  周六-周日 23:00 late \"夜宵\"\n"})
    result = run_sopc("plan", ".", "--from", "2026-11-23", "--to", "2026-11-29", "--format", "jsonl",
                      "--show-skipped", cwd=folder)
    assert result.exit_code == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    weekday_posts = {(r["at"][:10], r["step"]) for r in rows if r["step"] == "daily_deal" and r["target"]["group"] == "hz_001"}
    assert weekday_posts == {(f"2026-11-{d}", "daily_deal") for d in range(23, 28)}
    late = [r for r in rows if r["step"] == "late" and r["target"]["group"] == "hz_001"]
    # 23:00 is in the quiet hours 22:00-08:00: deferred to 08:00 the next morning (Sunday the 22nd's too)
    assert [(r["at"][:16], r["status"]) for r in late] == [
        ("2026-11-23T08:00", "deferred"), ("2026-11-29T08:00", "deferred")]


def test_run_delivers_on_the_days_the_range_names(project, run_sopc):
    folder = project({"sopc.toml": OUTBOX_TOML, "main.sop": playbook("周一、周三、周五")})
    outbox = folder / "outbox.jsonl"
    delivered = lambda: [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()] \
        if outbox.exists() else []
    tuesday = run_sopc("run", ".", "--once", "--now", "2026-11-24T10:00:30", cwd=folder)
    assert tuesday.exit_code == 0, tuesday.stderr
    assert delivered() == []
    wednesday = run_sopc("run", ".", "--once", "--now", "2026-11-25T10:00:30", cwd=folder)
    assert wednesday.exit_code == 0, wednesday.stderr
    assert sorted((m["group"], m["text"]) for m in delivered()) == [
        ("hz_001", "今日福利 周三"), ("hz_002", "今日福利 周三"), ("sh_001", "今日福利 周三")]


@pytest.mark.parametrize("days, label", [
    ("周一到周五", "周一至周五"), ("mon..fri", "周一至周五"), ("周一、周三、周五", "周一、周三、周五"),
    ("每周一三五", "周一、周三、周五"), ("周六到周一", "周一、周六、周日"), ("周一到周三", "周一至周三"),
    ("周一、周二", "周一、周二"),
])
def test_the_welcome_summary_names_a_run_of_days_as_a_range(days, label):
    from sopc.plan.schedule import summarize_weekly

    source, _ = build_ast(parse(playbook(days), "t.sop")[0], "t.sop")
    assert summarize_weekly(list(source.playbooks[0].steps)).startswith(f"{label} 10:00 ")


FRAGMENTS = ("周一", "周五", "星期三", "礼拜日", "每周", "每周一", "周", "一", "五", "八", "1", "5", "到", "至", "-", "~",
             "～", "－", "..", "、", ",", "，", "三五", "周一三五", "mon", "fri", "每天", "周末", "每周末", " ", "10:00",
             "周一到", "到到")


def test_any_run_of_day_fragments_is_read_or_reported_at_its_line_never_a_crash():
    import random

    rng = random.Random(10)
    for _ in range(2000):
        days = "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 6)))
        line = f"  {days} 10:00 s \"hi\"" if rng.random() < 0.7 else f"  {days}"  # or the line ends there
        text = f"playbook p\n  to all groups\n{line}\n"
        tree, problems = parse(text, "t.sop")
        if tree is not None:
            problems += build_ast(tree, "t.sop")[1]
        for problem in problems:
            assert problem.span.line == 3, (days, problem)
            assert 1 <= problem.span.column < problem.span.end_column <= len(line) + 2, (days, problem)
            if problem.code == "E0140":  # a day form: it says what to write
                assert problem.hint and "`" in problem.hint, (days, problem)


def test_a_long_line_of_days_is_reported_at_once_and_at_its_place():
    import time

    days = "、".join(["周一到周五"] * 6000) + "、周一到"
    line = f"  {days} 10:00 s \"hi\""
    started = time.process_time()
    _, problems = parse(f"playbook p\n  to all groups\n{line}\n", "t.sop")
    assert time.process_time() - started < 2
    (problem,) = problems
    assert problem.code == "E0140" and problem.message == "the range `周一到` has no last day"
    assert line[problem.span.column - 1:problem.span.end_column - 1] == "周一到"


LIVE = '''timeline live "直播"
  T-10m notice "直播 10 分钟后开始"
  T     start  "开播啦" @all

playbook shows "直播群"
  to groups tagged 福利群
  sender outbox
  run live every {days} 20:00 in group hz_001
'''


@pytest.mark.parametrize("written, english", [("周一到周五", "mon..fri"), ("每周一三五", "mon, wed, fri"),
                                              ("周二、周四", "tue, thu")])
def test_a_recurring_launch_takes_the_same_day_forms(project, run_sopc, written, english):
    plans = []
    for name, days in (("cn", written), ("en", english)):
        folder = project({"sopc.toml": OUTBOX_TOML, "main.sop": LIVE.format(days=days)}, name=name)
        result = run_sopc("plan", ".", "--from", "2026-11-23", "--to", "2026-11-29", "--format", "jsonl", cwd=folder)
        assert result.exit_code == 0, result.stderr
        plans.append(result.stdout)
    assert plans[0] == plans[1] and plans[0]
