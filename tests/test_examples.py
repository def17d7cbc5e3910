"""The example projects in ``examples/``: they check clean, and their plans are pinned.

Every example is run through the command line a user or CI runs (in
process, with click's CliRunner; see inprocess.py):

* ``sopc check examples/NAME --strict --format json`` exits 0 with no
  diagnostics at all;
* ``sopc plan examples/NAME --from 2026-11-23 --to 2026-12-06 --format jsonl
  --now 2026-11-23T09:00`` (plus ``--events`` for ``lifecycle``) matches
  ``tests/golden/plans/NAME.jsonl`` byte for byte, and burger's table format
  matches ``tests/golden/plans/burger.txt``;
* the JSONL contract holds (keys, types, +08:00 times, sorted, deterministic:
  another interpreter with another hash seed plans the same bytes);
* ids are stable under unrelated edits; the flash sale dissolves its group;
  the lifecycle's newcomer sequence mentions the member and stops at a purchase;
  holiday and workday rules behave around China's 2026 National Day.

Updating the golden files: after an intended change to sopc's output, run

    SOPC_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_examples.py

which rewrites ``tests/golden/plans/*`` instead of comparing, then read the
``git diff`` of those files line by line before committing them.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import Result

from helpers_golden import assert_golden
from inprocess import run_sopc

REPO = Path(__file__).resolve().parent.parent
EXAMPLES_DIR = REPO / "examples"
GOLDEN_DIR = Path(__file__).resolve().parent / "golden" / "plans"

EXAMPLES = ("bank", "burger", "flash_sale", "lifecycle", "live_stream", "moderation", "reading", "stage_cadence",
            "supermarket", "taco")
NOW = "2026-11-23T09:00"
WINDOW = ("--from", "2026-11-23", "--to", "2026-12-06")
EVENTS = {"lifecycle": "examples/lifecycle/events.jsonl", "moderation": "examples/moderation/events.jsonl",
          "stage_cadence": "examples/stage_cadence/events.jsonl"}

KEYS = {"id", "at", "playbook", "step", "target", "sender", "kind", "mentions", "text"}
KINDS = {"text", "markdown", "image", "link", "action"}
AT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$")


# ---- running the command line -------------------------------------------------------

def sopc(*args: str, cwd: Path = REPO) -> Result:
    """`sopc ARGS` in the repository folder; stdout and stderr as bytes in
    ``.stdout_bytes`` and ``.stderr_bytes``."""
    return run_sopc(*args, cwd=cwd)


def plan_args(name: str, fmt: str = "jsonl", path: str | None = None) -> tuple[str, ...]:
    args = ("plan", path or f"examples/{name}", *WINDOW, "--format", fmt, "--now", NOW)
    if name in EVENTS:
        args += ("--events", EVENTS[name])
    return args


@functools.cache
def plan_output(name: str, fmt: str = "jsonl") -> bytes:
    result = sopc(*plan_args(name, fmt))
    assert result.exit_code == 0, result.stderr
    assert result.stderr_bytes == b"", result.stderr
    return result.stdout_bytes


def plan_lines(name: str) -> list[dict]:
    return [json.loads(line) for line in plan_output(name).decode("utf-8").splitlines()]


def run_plan(path: Path | str, *extra: str) -> list[dict]:
    result = sopc("plan", str(path), "--format", "jsonl", *extra)
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout_bytes.decode("utf-8").splitlines()]


def local(message: dict) -> dt.datetime:
    return dt.datetime.fromisoformat(message["at"])


# ---- the set of examples ------------------------------------------------------------

def test_every_example_folder_is_tested():
    # examples/ci holds a CI workflow for a project (docs/ci.md), not a project
    found = sorted(p.name for p in EXAMPLES_DIR.iterdir() if p.is_dir() and not p.name.startswith(".")
                   and p.name != "ci")
    assert tuple(found) == EXAMPLES


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_is_a_complete_project(name):
    folder = EXAMPLES_DIR / name
    assert (folder / "sopc.toml").is_file()
    assert (folder / "groups.csv").is_file()
    assert (folder / "README.md").is_file()
    assert f"sopc plan examples/{name}" in (folder / "README.md").read_text(encoding="utf-8")
    assert list(folder.glob("*.sop")) + list(folder.glob("playbooks/*.sop"))


# ---- (a) sopc check --strict ------------------------------------------------------

@pytest.mark.parametrize("name", EXAMPLES)
def test_example_checks_clean(name):
    result = sopc("check", f"examples/{name}", "--strict", "--format", "json", "--now", NOW)
    report = json.loads(result.stdout_bytes.decode("utf-8"))
    assert report["diagnostics"] == [], json.dumps(report, ensure_ascii=False, indent=2)
    assert (report["errors"], report["warnings"]) == (0, 0)
    assert result.exit_code == 0


def test_lifecycle_checks_clean_with_its_events():
    result = sopc("check", "examples/lifecycle", "--strict", "--format", "json", "--now", NOW,
                  "--events", EVENTS["lifecycle"])
    report = json.loads(result.stdout_bytes.decode("utf-8"))
    assert report["diagnostics"] == [], json.dumps(report, ensure_ascii=False, indent=2)
    assert result.exit_code == 0


# ---- (b) golden plans ----------------------------------------------------------------

@pytest.mark.parametrize("name", EXAMPLES)
def test_plan_matches_golden_jsonl(name):
    assert_golden(GOLDEN_DIR / f"{name}.jsonl", plan_output(name))


def test_burger_table_matches_golden():
    assert_golden(GOLDEN_DIR / "burger.txt", plan_output("burger", "table"))


# ---- (c) the JSONL contract ------------------------------------------------------------

@pytest.mark.parametrize("name", EXAMPLES)
def test_plan_jsonl_contract(name):
    raw = plan_output(name)
    assert raw.endswith(b"\n")
    lines = plan_lines(name)
    assert lines, f"{name} plans no message in the two weeks"
    for message in lines:
        assert set(message) == KEYS, message
        assert isinstance(message["id"], str) and message["id"]
        assert AT.match(message["at"]), message["at"]
        assert isinstance(message["playbook"], str) and message["playbook"]
        assert isinstance(message["step"], str) and message["step"]
        target = message["target"]
        assert set(target) in ({"group"}, {"group", "member"}, {"group", "member", "private"}), target
        assert target.get("private", True) is True, target  # present only for a 1:1 message (`to member`)
        assert all(isinstance(v, str) and v for k, v in target.items() if k != "private")
        assert isinstance(message["sender"], str) and message["sender"]
        assert message["kind"] in KINDS
        assert isinstance(message["mentions"], list)
        assert all(isinstance(m, str) and m for m in message["mentions"])
        assert isinstance(message["text"], str)
    times = [local(m) for m in lines]
    assert times == sorted(times)
    first, last = dt.date(2026, 11, 23), dt.date(2026, 12, 6)
    assert all(first <= t.date() <= last for t in times)
    ids = [m["id"] for m in lines]
    assert len(ids) == len(set(ids)), "two messages share an id"


# Run in another interpreter, with a hash seed other than this one's: sets
# and dicts of strings iterate in another order there. Each plan's bytes go
# back as latin-1 text inside one JSON object on stdout.
FRESH_PROCESS_PLANS = """
import json, sys
from click.testing import CliRunner
from sopc.cli import cli

plans = {}
for name, args in json.loads(sys.argv[1]).items():
    result = CliRunner().invoke(cli, args, env={"NO_COLOR": "1"}, prog_name="sopc", catch_exceptions=False)
    plans[name] = [result.exit_code, result.stdout_bytes.decode("latin-1")]
json.dump(plans, sys.stdout)
"""


@pytest.fixture(scope="module")
def plans_from_a_fresh_process() -> dict[str, tuple[int, bytes]]:
    """Every example's JSONL plan as another `sopc` process makes it: one
    process for all of them."""
    seed = "2" if os.environ.get("PYTHONHASHSEED") == "1" else "1"
    env = {k: v for k, v in os.environ.items() if k not in ("SOPC_NOW", "SOPC_DEBUG", "SOPC_STATE")}
    env.update(PYTHONHASHSEED=seed, PYTHONIOENCODING="utf-8")
    wanted = json.dumps({name: list(plan_args(name)) for name in EXAMPLES})
    done = subprocess.run([sys.executable, "-c", FRESH_PROCESS_PLANS, wanted], cwd=REPO, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert done.returncode == 0, done.stderr
    return {name: (code, text.encode("latin-1")) for name, (code, text) in json.loads(done.stdout).items()}


@pytest.mark.parametrize("name", EXAMPLES)
def test_plan_is_deterministic(name, plans_from_a_fresh_process):
    code, again = plans_from_a_fresh_process[name]
    assert code == 0
    assert again == plan_output(name)


# ---- (d) stable ids ----------------------------------------------------------------------

def test_ids_survive_an_unrelated_edit(tmp_path):
    project = tmp_path / "burger"
    shutil.copytree(EXAMPLES_DIR / "burger", project)
    sop = project / "playbooks" / "weekly.sop"
    text = sop.read_text(encoding="utf-8")
    old_step = '周五 15:00          fries_draw    "🍟 周五活动日:在群里回复「薯条」参与抽奖'
    assert old_step in text
    text = text.replace(old_step, '周五 15:00          fries_draw    "🍟 周五活动日:回复「薯条」就能参与抽奖')
    text += '  周二 15:00         tuesday_tip   "新增的一步:周二小贴士"\n'
    sop.write_text(text, encoding="utf-8")

    args = (*WINDOW, "--now", NOW)
    before = run_plan(EXAMPLES_DIR / "burger", *args)
    after = run_plan(project, *args)

    def key(m):
        return m["playbook"], m["step"], m["target"]["group"], m["at"]

    new_ids = {key(m): m["id"] for m in after}
    edited = [m for m in after if m["step"] == "fries_draw"]
    assert edited and all("回复「薯条」就能参与抽奖" in m["text"] for m in edited)  # the edit took effect
    for message in before:
        if message["step"] == "fries_draw":
            continue
        assert new_ids.get(key(message)) == message["id"], message
    added = [m for m in after if m["step"] == "tuesday_tip"]
    assert len(added) == 2 * 3  # two Tuesdays, three groups
    assert not {m["id"] for m in added} & {m["id"] for m in before}
    assert len(after) == len(before) + len(added)


# ---- (e) flash sale ------------------------------------------------------------------------

def test_flash_sale_dissolves_each_flash_group_at_t_plus_1h():
    lines = plan_lines("flash_sale")
    dissolves = [m for m in lines if m["kind"] == "action" and m["text"] == "dissolve"]
    assert [(m["target"]["group"], m["at"], m["step"]) for m in dissolves] == [
        ("hy_flash_1125_hz", "2026-11-25T21:00:00+08:00", "close"),
        ("hy_flash_1203_sh", "2026-12-03T21:00:00+08:00", "close"),
    ]
    for d in dissolves:
        group = d["target"]["group"]
        in_group = [m for m in lines if m["target"]["group"] == group]
        assert in_group[-1] is d, "nothing may be posted after the group is dissolved"
        assert local(in_group[0]) == local(d) - dt.timedelta(hours=4)  # preheat at T-3h, dissolve at T+1h
    opens = {m["target"]["group"]: m for m in lines if m["step"] == "open"}
    assert opens["hy_flash_1125_hz"]["mentions"] == ["all"]
    assert "空气蜜粉 9.9 元" in opens["hy_flash_1125_hz"]["text"]
    assert "雕花口红 19.9 元" in opens["hy_flash_1203_sh"]["text"]


def test_livestream_lotteries_every_15_minutes():
    lines = plan_lines("flash_sale")
    live = [local(m) for m in lines if m["playbook"] == "hy_live" and m["at"].startswith("2026-11-28")]
    assert [t.strftime("%H:%M") for t in live] == ["19:20", "19:45", "20:00", "20:15"]


def test_live_stream_is_announced_then_three_lotteries_every_week():
    lines = [m for m in plan_lines("live_stream") if m["target"]["group"] == "hy_live_hz"]
    wednesdays = [m for m in lines if local(m).weekday() == 2]
    assert [(local(m).strftime("%m-%d %H:%M"), m["step"]) for m in wednesdays] == [
        (f"{day} {at}", step) for day in ("11-25", "12-02")
        for at, step in (("19:50", "notice"), ("20:15", "lottery#1"), ("20:30", "lottery#2"),
                         ("20:45", "lottery#3"), ("21:00", "thanks"))]
    lotteries = [m["text"] for m in wednesdays if m["step"].startswith("lottery")]
    assert [text.split("轮")[0] for text in lotteries] == ["🎁 第 1 ", "🎁 第 2 ", "🎁 第 3 "] * 2
    assert "最后一轮" in lotteries[2] and "最后一轮" not in lotteries[1]
    assert len({m["id"] for m in lines}) == len(lines)  # each round, each week: its own message
    saturdays = sorted({local(m).strftime("%m-%d") for m in lines if local(m).weekday() == 5})
    assert saturdays == ["11-28", "12-05"]  # `from 2026-11-28 until 2026-12-06`


# ---- (f) lifecycle --------------------------------------------------------------------------

def _member_steps(lines: list[dict], member: str) -> list[str]:
    return [m["step"] for m in lines if m["target"].get("member") == member]


def test_newcomer_welcome_mentions_the_member():
    lines = plan_lines("lifecycle")
    welcome = next(m for m in lines if m["step"] == "welcome" and m["target"].get("member") == "m_xw")
    assert welcome["target"] == {"group": "gy_hz_xixi", "member": "m_xw"}
    assert welcome["mentions"] == ["m_xw"]
    assert welcome["at"] == "2026-11-24T10:45:00+08:00"  # the moment 小王 joined
    assert "欢迎 小王" in welcome["text"]
    assert "「城市-昵称」" in welcome["text"] and "「杭州-小王」" in welcome["text"]
    assert "周二 10:00 鲜果团购日" in welcome["text"]  # the schedule summary


def test_purchase_stops_the_newcomer_sequence():
    lines = plan_lines("lifecycle")
    # 小王 buys on 11-25 12:30: the coupon (11:00 that day) went out, the reminder does not.
    assert _member_steps(lines, "m_xw")[:2] == ["welcome", "newcomer_coupon"]
    assert "coupon_reminder" not in _member_steps(lines, "m_xw")
    # Amy buys the evening she joins: only the welcome.
    assert "welcome" in _member_steps(lines, "m_amy")
    assert not {"newcomer_coupon", "coupon_reminder"} & set(_member_steps(lines, "m_amy"))
    # 阿亮 never buys: the whole sequence, the reminder on day 3 at 19:00.
    reminder = next(m for m in lines if m["step"] == "coupon_reminder" and m["target"].get("member") == "m_al")
    assert reminder["at"] == "2026-11-29T19:00:00+08:00"
    # 代购小刘 is removed (member.left) before day 3: no reminder either.
    assert "coupon_reminder" not in _member_steps(lines, "m_liu")
    assert "remove_member" in _member_steps(lines, "m_liu")


def test_silent_members_are_recalled_until_they_speak():
    lines = plan_lines("lifecycle")
    care = next(m for m in lines if m["step"] == "care" and m["target"].get("member") == "m_xw")
    assert care["at"] == "2026-12-01T12:10:00+08:00"  # 7 days after 小王's last message
    assert care["text"].startswith("小王,")  # the member's name, not the id
    assert "comeback_coupon" not in _member_steps(lines, "m_xw")  # she spoke again on 12-01 19:30
    assert "comeback_coupon" in _member_steps(lines, "m_chen")


def test_group_stage_triggers():
    lines = plan_lines("lifecycle")
    stage_steps = [(m["target"]["group"], m["step"], m["at"]) for m in lines
                   if m["step"] in ("wake_up", "wake_up_game", "win_back")]
    assert stage_steps == [
        ("gy_hz_binjiang", "wake_up", "2026-11-25T10:30:00+08:00"),       # 5 days silent: 沉默期
        ("gy_hz_binjiang", "wake_up_game", "2026-11-27T20:00:00+08:00"),
        ("gy_hz_binjiang", "win_back", "2026-12-04T10:30:00+08:00"),      # 14 days silent: 流失期
        ("gy_hz_xixi", "wake_up", "2026-12-06T19:30:00+08:00"),
    ]


def test_tag_targeted_melon_sale_reaches_only_the_tagged_group():
    lines = plan_lines("lifecycle")
    melon = [m for m in lines if m["playbook"] == "gy_melon"]
    assert [(m["target"]["group"], m["at"]) for m in melon] == [("gy_hz_xixi", "2026-12-03T15:00:00+08:00")]


# ---- the calendar: holidays and 调休 around National Day 2026 -----------------------------

NATIONAL_DAY = ("--from", "2026-09-14", "--to", "2026-10-11", "--now", "2026-09-01T09:00")
# 中秋 9-25..9-27 and 国庆 10-01..10-07; 9-20 (Sunday) and 10-10 (Saturday) are worked (调休).
HOLIDAYS_2026 = {*(dt.date(2026, 9, d) for d in (25, 26, 27)), *(dt.date(2026, 10, d) for d in range(1, 8))}


def test_burger_on_public_holidays_sends_only_the_exclusive_offer():
    lines = run_plan("examples/burger", *NATIONAL_DAY, "--group", "bk_hz_wulin")
    by_day: dict[dt.date, list[str]] = {}
    for m in lines:
        by_day.setdefault(local(m).date(), []).append(m["step"])
    for day in HOLIDAYS_2026:
        assert by_day.get(day) == ["exclusive"], day
    assert by_day[dt.date(2026, 9, 28)] == ["energy_pack"]             # an ordinary Monday
    assert dt.date(2026, 10, 5) in by_day and "energy_pack" not in by_day[dt.date(2026, 10, 5)]
    assert by_day[dt.date(2026, 10, 9)] == ["fries_draw", "fries_result"]
    weekdays_sent = {local(m).weekday() for m in lines if local(m).date() not in HOLIDAYS_2026}
    assert weekdays_sent == {0, 2, 4, 5}                               # never Tue, Thu, Sun


def test_taco_work_lunch_follows_china_workdays():
    lines = run_plan("examples/taco", *NATIONAL_DAY, "--group", "tb_sh_jingan")
    lunch_days = {local(m).date() for m in lines if m["step"] == "work_lunch"}
    assert dt.date(2026, 9, 20) in lunch_days       # a Sunday worked before the holiday (调休)
    assert dt.date(2026, 10, 10) in lunch_days      # a Saturday worked after it
    assert not lunch_days & HOLIDAYS_2026
    assert dt.date(2026, 10, 11) not in lunch_days  # an ordinary Sunday
    daily_days = {local(m).date() for m in lines if m["step"] == "daily_exclusive"}
    assert HOLIDAYS_2026 <= daily_days              # `on holidays 照常`: the morning activity goes on


def test_bank_holiday_welfare_and_welcome_summary(tmp_path):
    events = tmp_path / "joins.jsonl"
    events.write_text(json.dumps({"event": "member.joined", "group": "xh_hz_qjxc", "member": "m_chen",
                                  "name": "陈先生", "at": "2026-09-30T12:40:00+08:00"}, ensure_ascii=False) + "\n",
                      encoding="utf-8")
    lines = run_plan("examples/bank", *NATIONAL_DAY, "--group", "xh_hz_qjxc", "--events", str(events))
    holiday = {local(m).date() for m in lines if m["step"] == "节日福利"}
    assert holiday == HOLIDAYS_2026
    meals = {local(m).date() for m in lines if m["step"] == "早餐福利"}
    assert not meals & HOLIDAYS_2026 and dt.date(2026, 10, 10) in meals
    month_start = [m["at"] for m in lines if m["step"] == "月初福利"]
    assert month_start == ["2026-10-01T15:00:00+08:00"]  # `on holidays 照常`
    welcome = next(m for m in lines if m["step"] == "welcome")
    assert welcome["mentions"] == ["m_chen"]
    summary = welcome["text"].splitlines()[2:-1]
    assert summary == ["周三 10:00 五折日", "周五 10:00 加油日", "周六 10:00 观影日",
                       "工作日 07:45 早餐福利", "工作日 11:15 午餐福利", "工作日 17:30 晚餐福利",
                       "节假日 09:30 节日福利", "每月1日 15:00 月初福利", "每月最后一天 15:00 月末福利"]


def test_reading_reminder_goes_out_at_23_00():
    lines = plan_lines("reading")
    reminders = [m for m in lines if m["step"] == "read_reminder"]
    assert len(reminders) == 14 * 3
    assert {local(m).strftime("%H:%M") for m in reminders} == {"23:00"}
    assert all("晚安" in m["text"] for m in reminders)


def test_supermarket_rotates_every_60_days():
    lines = plan_lines("supermarket")
    rotations = {m["at"] for m in lines if m["step"] == "rotate"}
    assert rotations == {"2026-11-30T19:00:00+08:00"}  # 2026-10-01 + 60 days


def test_moderation_warns_privately_first_and_removes_on_the_second_offence():
    """The 1st 「违规」 tag of a member: a private warning (企业群发 to that
    customer); the 2nd: a `remove member` staff task and a group notice, and
    no second warning. Counts are per member: 陈姐's one tag is her 1st."""
    lines = plan_lines("moderation")
    offences = [(m["step"], m["target"], m["sender"]) for m in lines if m["step"] != "recall"]
    assert offences == [
        ("rule_warning", {"group": "hy_hz_01", "member": "wmA1xiaowang", "private": True}, "qunfa"),
        ("rule_warning", {"group": "hy_sh_01", "member": "wmB1chen", "private": True}, "qunfa"),
        ("remove_member", {"group": "hy_hz_01", "member": "wmA1xiaowang"}, "staff"),
        ("rule_notice", {"group": "hy_hz_01", "member": "wmA1xiaowang"}, "qunfa"),
    ]
    kick = next(m for m in lines if m["step"] == "remove_member")
    assert (kick["kind"], kick["text"]) == ("action", "remove member")
    # a tag at 23:10 is warned at the end of the quiet hours, privately all the same
    assert lines[2]["at"] == "2026-11-27T08:00:00+08:00" and lines[2]["step"] == "rule_warning"
    assert all(m["target"].get("private") for m in lines if m["step"] == "recall")
