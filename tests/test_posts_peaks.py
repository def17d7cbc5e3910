"""`posts 3-6/day` and `peaks 09:00-11:00, 14:00-18:00`.

The maximum of `posts` is the daily cap: plan and run skip exactly what
`cap 6/day` skips. The minimum and the peaks are what `sopc check` holds the
plan to (W0341, W0342), counting what the gate lets through from every
playbook reaching a group. The golden case posts_peaks pins the messages."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from projects import NOW
from sopc import pipeline
from sopc.checks.posting import _Classes

OUTBOX_TOML = '''timezone = "Asia/Shanghai"

[senders.outbox]
kind = "file"
path = "outbox.jsonl"
'''

SEVEN_AT_TEN = "".join(f'  周六 10:00 post_{n} "第 {n} 条"\n' for n in range(1, 8))


def busy(limit: str) -> str:
    return f'playbook busy "忙碌群"\n  to groups tagged 福利群\n  sender outbox\n  gap 0\n  {limit}\n' + SEVEN_AT_TEN


def _plan(run_sopc, folder) -> list[dict]:
    result = run_sopc("plan", ".", "--from", "2026-11-28", "--to", "2026-11-28", "--format", "jsonl",
                      "--show-skipped", cwd=folder)
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_the_maximum_of_posts_is_the_cap_in_plan_and_run(project, run_sopc):
    outcomes = {}
    for name, limit in (("posts", "posts 3-6/day"), ("cap", "cap 6/day")):
        folder = project({"sopc.toml": OUTBOX_TOML, "main.sop": busy(limit)}, name=name)
        plan = _plan(run_sopc, folder)
        skipped = [(m["target"]["group"], m["step"]) for m in plan if m["status"] == "skipped"]
        assert skipped == [("hz_001", "post_7"), ("hz_002", "post_7"), ("sh_001", "post_7")]
        assert all("cap 6/day" in m["reason"] for m in plan if m["status"] == "skipped")
        run = run_sopc("run", ".", "--once", "--now", "2026-11-28T10:00:30", cwd=folder)
        assert run.exit_code == 0, run.stderr
        sent = [json.loads(line) for line in (folder / "outbox.jsonl").read_text(encoding="utf-8").splitlines()]
        assert sorted((m["group"], m["step"]) for m in sent) == sorted(
            (g, f"post_{n}") for g in ("hz_001", "hz_002", "sh_001") for n in range(1, 7))
        status = run_sopc("status", ".", "--format", "json", cwd=folder)
        outcomes[name] = (plan, sorted((m["group"], m["step"], m["text"]) for m in sent), status.exit_code)
    assert outcomes["posts"] == outcomes["cap"]


def test_posts_and_cap_in_one_playbook_is_an_error(project, run_sopc):
    folder = project({"sopc.toml": OUTBOX_TOML, "main.sop": busy("posts 3-6/day\n  cap 6/day")})
    result = run_sopc("check", ".", "--now", NOW, cwd=folder)
    assert result.exit_code == 1
    assert "main.sop:6:3: error[E0340]: `posts 3-6/day` and `cap 6/day` in one playbook" in result.stderr
    assert run_sopc("plan", ".", "--from", "2026-11-28", cwd=folder).exit_code == 1


WEEKEND = '''playbook weekend "周末"
  to groups tagged 福利群
  sender outbox
  posts 3-6/day
  周六 10:00 brunch "早午餐"
  周六 11:00 tea    "下午茶预告"
'''

EXTRA = '''playbook extra "西湖店加餐"
  to group hz_001
  sender outbox
  {cap}
  周六 12:00 lunch "午餐"
'''


def _warnings(run_sopc, folder, code: str) -> list[dict]:
    result = run_sopc("check", ".", "--format", "json", "--now", "2026-11-23T00:00", cwd=folder)
    return [d for d in json.loads(result.stdout)["diagnostics"] if d["code"] == code]


def test_the_minimum_counts_every_playbook_reaching_the_group(project, run_sopc):
    folder = project({"sopc.toml": OUTBOX_TOML, "main.sop": WEEKEND + EXTRA.format(cap="cap 6/day")})
    (finding,) = _warnings(run_sopc, folder, "W0341")
    assert (finding["path"], finding["line"]) == ("main.sop", 4)
    # hz_001 gets its third post from `extra`: only the other two groups fall short, and only on Saturdays
    assert finding["message"].startswith("on 2026-11-23 (周一) group `hz_001` gets 0 posts, fewer than the 3 of "
                                         "`posts 3-6/day`")
    saturday_shortfalls = _shortfalls_on(folder, run_sopc, dt.date(2026, 11, 28))
    assert saturday_shortfalls == {"hz_002": 2, "sh_001": 2}


def test_a_post_the_gate_skips_does_not_count_toward_the_minimum(project, run_sopc):
    # `extra` may post only while the group has had fewer than 2 posts that day: its 12:00 post is skipped
    folder = project({"sopc.toml": OUTBOX_TOML, "main.sop": WEEKEND + EXTRA.format(cap="cap 2/day")})
    plan = _plan(run_sopc, folder)
    assert [(m["target"]["group"], m["step"], m["status"]) for m in plan if m["step"] == "lunch"] == [
        ("hz_001", "lunch", "skipped")]
    assert _shortfalls_on(folder, run_sopc, dt.date(2026, 11, 28)) == {"hz_001": 2, "hz_002": 2, "sh_001": 2}


def _shortfalls_on(folder, run_sopc, day: dt.date) -> dict[str, int]:
    """group -> posts that day, for each group the minimum finds short, read from the gated plan the
    check reads (through the library, to see every group and day, not only the first the message names)."""
    built = pipeline.build([folder])
    start = dt.datetime(2026, 11, 23, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    from sopc.checks.posting import _active_days, _by_day, _posts_of

    playbook = next(p for p in built.program.playbooks if p.name == "weekend")
    classes = _Classes(built.program, start, start + pipeline.CHECK_WINDOW, (), {id(g): g for g in playbook.groups})
    posts = _posts_of(built.program, start, start + pipeline.CHECK_WINDOW, (), classes)
    assert day in _active_days(playbook, start, start + pipeline.CHECK_WINDOW, built.program.project.calendar)
    short = {}
    for group in playbook.groups:
        count = len(_by_day(playbook.zone, posts.get(classes.representative[id(group)].id, [])).get(day, []))
        if count < playbook.policy.posts_min:
            short[group.id] = count
    return short


PEAKS = '''playbook evening "晚间"
  to groups tagged 福利群
  sender outbox
  quiet 22:00-08:00
  peaks 09:00-11:00, 14:00-18:00
  周二 10:00 morning "早上的福利"
  周二 {second} second "第二条"
  周二 {third} third "第三条"
'''


@pytest.mark.parametrize("second, third, first_finding", [
    # 2 of Tuesday's 3 posts off-peak
    ("20:00", "21:00", "on 2026-11-24 (周二) 2 of the 3 posts to group `hz_001` go out outside the peak hours "
                       "09:00-11:00, 14:00-18:00: `second` 20:00, `third` 21:00"),
    ("15:00", "21:00", None),  # 1 of 3
    # quiet hours defer them to Wednesday 08:00 and (the 30m gap) 08:30: they count where they go out
    ("23:30", "23:45", "on 2026-11-25 (周三) 2 of the 2 posts to group `hz_001` go out outside the peak hours "
                       "09:00-11:00, 14:00-18:00: `second` 08:00, `third` 08:30"),
])
def test_most_posts_of_a_day_outside_the_peaks(project, run_sopc, second, third, first_finding):
    folder = project({"sopc.toml": OUTBOX_TOML, "main.sop": PEAKS.format(second=second, third=third)})
    findings = _warnings(run_sopc, folder, "W0342")
    if first_finding is None:
        assert findings == []
        return
    (finding,) = findings
    assert (finding["line"], finding["column"]) == (5, 3)
    assert finding["message"] == first_finding + " (and 14 more times in 3 groups)"


def test_peaks_change_nothing_in_the_plan(project, run_sopc):
    plans = []
    for name, text in (("with", PEAKS), ("without", PEAKS.replace("  peaks 09:00-11:00, 14:00-18:00\n", ""))):
        folder = project({"sopc.toml": OUTBOX_TOML, "main.sop": text.format(second="20:00", third="21:00")}, name=name)
        result = run_sopc("plan", ".", "--from", "2026-11-24", "--to", "2026-11-30", "--format", "jsonl", cwd=folder)
        plans.append(result.stdout)
    assert plans[0] == plans[1] and plans[0]


def test_groups_planned_alike_are_simulated_once(tmp_path):
    """The check is linear: a thousand groups on one playbook are one class, one simulated group."""
    from projects import write_project

    rows = "".join(f"g{n:04d},群{n},福利群\n" for n in range(1000))
    folder = write_project(tmp_path / "big", {"groups.csv": "id,name,tags\n" + rows, "main.sop": WEEKEND,
                                              "sopc.toml": OUTBOX_TOML})
    program = pipeline.build([folder]).program
    start = dt.datetime(2026, 11, 23, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    groups = program.playbooks[0].groups
    classes = _Classes(program, start, start + pipeline.CHECK_WINDOW, (), {id(g): g for g in groups})
    assert len(classes.representatives()) == 1
    result = pipeline.check([folder], now=start)
    (finding,) = [d for d in result.diagnostics if d.code == "W0341"]
    # 35 whole days, every one short in each of the 1000 groups (two posts on Saturdays, none otherwise)
    assert finding.message == ("on 2026-11-23 (周一) group `g0000` gets 0 posts, fewer than the 3 of `posts 3-6/day` "
                               "(and 34999 more times in 1000 groups)")


DEFAULT_PEAKS_TOML = OUTBOX_TOML.replace('[senders.outbox]', '[defaults]\npeaks = "09:00-11:00, 14:00-18:00"\n\n'
                                                             '[senders.outbox]')
EVENINGS = '''playbook evening "晚间"
  to groups tagged 福利群
  sender outbox
  周二 20:00 dinner "晚餐"

playbook night "夜宵"
  to group hz_001
  sender outbox
  周二 21:00 snack "夜宵"

playbook own "自己定"
  to group sh_001
  sender outbox
  peaks 19:00-22:00
  周二 21:30 late "夜读"
'''


def test_the_projects_peaks_hold_every_playbook_without_its_own_once(project, run_sopc):
    folder = project({"sopc.toml": DEFAULT_PEAKS_TOML, "main.sop": EVENINGS})
    findings = _warnings(run_sopc, folder, "W0342")
    # one finding for the project's peaks, at sopc.toml's line, however many playbooks reach a group; it
    # counts every post of those groups (sh_001's `late` from `own` too). `own` holds sh_001 to its own
    # peaks, 19:00-22:00, where both of its Tuesday posts are: no finding at its line
    assert [(f["path"], f["line"], f["message"]) for f in findings] == [
        ("sopc.toml", 4, "on 2026-11-24 (周二) 2 of the 2 posts to group `hz_001` go out outside the peak hours "
                         "09:00-11:00, 14:00-18:00: `dinner` 20:00, `snack` 21:00 (and 14 more times in 3 groups)")]


def test_a_malformed_project_peaks_is_an_error_in_sopc_toml(project, run_sopc):
    folder = project({"sopc.toml": DEFAULT_PEAKS_TOML.replace("14:00-18:00", "14:00-14:00"), "main.sop": EVENINGS})
    result = run_sopc("check", ".", "--now", NOW, cwd=folder)
    assert result.exit_code == 1
    assert 'sopc.toml:4:1: error[E0603]: `defaults.peaks` must be time ranges "HH:MM-HH:MM" joined by commas' \
        in result.stderr


PRIVATE = '''playbook care "关怀"
  to groups tagged 福利群
  sender outbox
  posts 2-6/day
  每天 10:00 daily "今日福利"
  每天 15:00 afternoon "下午茶"
  on member.joined repeat
    +0 hello "欢迎私聊" to member
'''


def test_a_private_message_is_not_a_post_in_the_group(project, run_sopc):
    """Two posts a day meet `posts 2-6/day`; a private welcome on top changes nothing, and with one post a
    day a private welcome does not make up the second."""
    events = "".join(json.dumps({"event": "member.joined", "group": "hz_001", "member": f"m{n}", "name": "小王",
                                 "at": f"2026-11-2{4 + n}T12:00:00+08:00"}) + "\n" for n in range(3))
    for text, shortfall in ((PRIVATE, False), (PRIVATE.replace('  每天 15:00 afternoon "下午茶"\n', ""), True)):
        folder = project({"sopc.toml": OUTBOX_TOML, "main.sop": text,
                          "events.jsonl": events}, name=f"private_{shortfall}")
        result = run_sopc("check", ".", "--format", "json", "--now", "2026-11-23T00:00", "--events", "events.jsonl",
                          cwd=folder)
        codes = [d["code"] for d in json.loads(result.stdout)["diagnostics"]]
        assert ("W0341" in codes) == shortfall, result.stdout
        if shortfall:
            (finding,) = [d for d in json.loads(result.stdout)["diagnostics"] if d["code"] == "W0341"]
            assert "(and 104 more times in 3 groups)" in finding["message"]


STAGED_GROUPS = '''id,name,tags,created
hz_001,杭州西湖店福利群,福利群,2026-01-01
hz_002,杭州滨江店福利群,福利群,2026-11-20
sh_001,上海人民广场店福利群,福利群,2026-01-01
'''

STAGED = '''stages
  初建期 when age < 7d
  成熟期 otherwise

playbook welfare "福利群"
  to groups tagged 福利群
  sender outbox
  posts 2-6/day
  每天 09:30 daily "每日福利"
  in stage 成熟期
    每天 15:00 mature "成熟期加餐"
'''


def test_the_minimum_follows_the_groups_stages(project, run_sopc):
    """hz_002 was created on 11-20: it is 初建期 until 11-27, and the gate skips the 成熟期 step for it
    until then. Its days differ from the other groups', though the same slots reach all three."""
    folder = project({"sopc.toml": OUTBOX_TOML, "groups.csv": STAGED_GROUPS, "main.sop": STAGED})
    (finding,) = _warnings(run_sopc, folder, "W0341")
    assert finding["message"] == ("on 2026-11-23 (周一) group `hz_002` gets 1 post, fewer than the 2 of "
                                  "`posts 2-6/day` (and 3 more times in 1 group)")
