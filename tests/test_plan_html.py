"""`sopc plan --format html`: one self-contained page, opened in a real
headless Chromium (tests/browser.py). The page shows the messages the JSONL
plan (the contract) has, in the week a user looks at; filters change what
is shown; month view, the side panel with the rendered text and the source
line, skipped and deferred messages with the gate's reason, and a hostile
text shown as text. A screenshot per view goes to tests/artifacts/."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from browser import browser, page  # noqa: F401  (pytest fixtures)
from inprocess import run_sopc
from projects import write_project

REPO = Path(__file__).resolve().parent.parent
NOW = "2026-11-22T09:00"
BURGER_WEEK = ("--from", "2026-11-23", "--to", "2026-11-29", "--now", NOW)
# 国庆节 2026-10-01..07: the burger playbook skips holidays (`on holidays 跳过`) except its 节假日 step
BURGER_NATIONAL_DAY = ("--from", "2026-09-28", "--to", "2026-10-04", "--now", "2026-09-01T09:00")
LIFECYCLE = ("examples/lifecycle", "--events", "examples/lifecycle/events.jsonl",
             "--from", "2026-11-23", "--to", "2026-12-06", "--now", NOW)
SHANGHAI = ZoneInfo("Asia/Shanghai")

HOSTILE = '<img src=x onerror="document.title=\'pwned\'"></script><script>document.title="pwned2"</script>'
# Cap 1/day and a 30-minute gap: 10:00 goes out, 10:10 is deferred to 10:30 by
# the gap, 11:00 is skipped by the cap; a hostile text in a step.
GATED = f'''
template hostile """{HOSTILE}"""

playbook gated "闸门"
  to groups tagged 福利群
  sender console
  quiet 22:00-08:00 defer
  cap 2/day
  gap 30m
  周一 10:00  first    "早上好 {{{{ group.store }}}}"
  周一 10:10  second   "第二条"
  周一 11:00  third    template hostile
'''


def sopc(*args: str, cwd: Path = REPO):
    return run_sopc(*args, cwd=cwd)


def make_html(tmp_path: Path, *args: str, cwd: Path = REPO, name: str = "plan.html") -> Path:
    target = tmp_path / name
    result = sopc("plan", *args, "--format", "html", "-o", str(target), cwd=cwd)
    assert result.exit_code == 0, result.stderr
    assert re.search(rf"{re.escape(name)}: \d+(\.\d)? (KB|MB|bytes)", result.stderr), result.stderr
    return target


def jsonl(*args: str, cwd: Path = REPO) -> list[dict]:
    result = sopc("plan", *args, "--format", "jsonl", cwd=cwd)
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def page_data(path: Path) -> dict:
    raw = path.read_text(encoding="utf-8")
    found = re.search(r'<script type="application/json" id="plan-data">(.*?)</script>', raw, re.S)
    return json.loads(found.group(1))


def in_week(message: dict, monday: dt.date) -> bool:
    day = dt.datetime.fromisoformat(message["at"]).astimezone(SHANGHAI).date()
    return monday <= day < monday + dt.timedelta(days=7)


def count(page) -> int:
    return int(page.js("return document.getElementById('count').dataset.count"))


def blocks(page) -> list[str]:
    return page.js("return [...document.querySelectorAll('#week .block')].map(b => b.textContent)")


def choose(page, select_id: str, label_part: str) -> None:
    """Pick the option of a filter whose label contains ``label_part``, as a user does."""
    from selenium.webdriver.support.ui import Select

    select = Select(page.driver.find_element("id", select_id))
    [option] = ([o for o in select.options if o.text.startswith(label_part)]
                or [o for o in select.options if label_part in o.text])
    select.select_by_visible_text(option.text)


def click(page, selector: str) -> None:
    page.driver.find_element("css selector", selector).click()


def panel_text(page) -> str:
    return page.js("return document.getElementById('panel').hidden ? '' : document.getElementById('panel-body').textContent")


# ---- the file (no browser) ---------------------------------------------------------------------

def test_the_page_is_one_file_that_fetches_nothing(tmp_path):
    raw = make_html(tmp_path, "examples/burger", *BURGER_WEEK).read_text(encoding="utf-8")
    assert raw.startswith("<!doctype html>")
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=|@import|url\(", raw)
    assert "http://" not in raw and "https://" not in raw
    assert "<title>sopc 计划 · burger</title>" in raw


def test_the_pages_data_is_the_plan(tmp_path):
    data = page_data(make_html(tmp_path, "examples/burger", *BURGER_WEEK))
    messages = jsonl("examples/burger", *BURGER_WEEK)
    assert len(data["entries"]) == len(messages) == 15       # three groups: none collapsed
    texts = sorted(data["texts"][entry[11]] for entry in data["entries"])
    assert texts == sorted(m["text"] for m in messages)
    steps = {s["name"]: s for s in data["steps"]}
    assert steps["king_day"]["source"] == "examples/burger/playbooks/weekly.sop:18"
    assert steps["king_day"]["line"].startswith("周三 11:00          king_day")
    assert [p["name"] for p in data["playbooks"]] == ["bk_week"]


def test_what_holidays_skip_is_in_the_page_with_the_reason(tmp_path):
    data = page_data(make_html(tmp_path, "examples/burger", *BURGER_NATIONAL_DAY))
    assert data["holidays"][:4] == [["2026-10-01", "国庆节"], ["2026-10-02", "国庆节"], ["2026-10-03", "国庆节"],
                                    ["2026-10-04", "国庆节"]]
    skipped = [e for e in data["entries"] if e[4] == "skipped"]
    assert sorted({data["steps"][e[1]]["name"] for e in skipped}) == ["fries_draw", "fries_result"]
    assert len(skipped) == 6                                  # Friday 10-02, three groups, two steps
    reason, kind = data["reasons"][skipped[0][5][0]]
    assert kind == "holiday" and reason.startswith("holiday: 2026-10-02 is a public holiday")
    # what goes out is the plan's, to the message
    sent = sorted(data["texts"][e[11]] for e in data["entries"] if e[4] != "skipped")
    assert sent == sorted(m["text"] for m in jsonl("examples/burger", *BURGER_NATIONAL_DAY))


def test_a_text_cannot_break_out_of_the_data(tmp_path, project):
    folder = project({"playbooks/gated.sop": GATED})
    raw = make_html(tmp_path, ".", "--from", "2026-11-23", "--to", "2026-11-23", "--now", NOW,
                    cwd=folder).read_text(encoding="utf-8")
    assert raw.count("</script>") == 2                       # the data's and the script's own
    assert "<img" not in raw and "<script>document" not in raw
    data = page_data(tmp_path / "plan.html")
    assert HOSTILE in data["texts"]


def test_many_groups_sharing_a_step_are_one_entry_and_a_year_stays_small(tmp_path, project):
    rows = "".join(f"g{n:04d},第{n}群,福利群,店{n},杭州\n" for n in range(400))
    folder = project({"groups.csv": "id,name,tags,store,city\n" + rows, "playbooks/daily.sop": '''
playbook daily "每日"
  to groups tagged 福利群
  sender console
  quiet off
  每天 10:00  hello  "{{ group.store }} 早上好"
'''})
    path = make_html(tmp_path, ".", "--from", "2026-01-01", "--to", "2026-12-31", "--now", "2025-12-31T00:00",
                     cwd=folder)
    data = page_data(path)
    assert len(data["entries"]) == 365                        # 146,000 messages, one entry a day
    assert all(len(data["groupSets"][e[7]]) == 400 for e in data["entries"])
    assert len(data["groupSets"]) == 1 and len(data["texts"]) == 365 or len(data["texts"]) == 1
    assert path.stat().st_size < 400_000


# ---- in the browser ------------------------------------------------------------------------------
# A card in the week grid (and a line in the month view) is one step at one
# moment with one status, for every group it reaches ("×3 群"); the count
# above the grid is of messages, as `sopc plan` counts them.

def cards_of(messages: list[dict]) -> int:
    return len({(m["at"], m["playbook"], m["step"]) for m in messages})


def test_burger_week_filters_month_and_panel(page, tmp_path):
    path = make_html(tmp_path, "examples/burger", *BURGER_WEEK)
    page.open(path)
    assert page.console_errors() == []
    assert page.resources_requested() == []
    messages = jsonl("examples/burger", *BURGER_WEEK)
    assert count(page) == len(messages) == 15
    assert blocks(page) == ["10:00energy_pack×3 群", "11:00king_day×3 群", "15:00fries_draw×3 群",
                            "17:00fries_result×3 群", "10:30exclusive×3 群"]
    assert page.js("return document.getElementById('range').textContent") == "2026-11-23 至 2026-11-29"
    # quiet hours 22:00-08:00 shaded in each day of the week: 00:00-08:00 and 22:00-24:00
    assert page.js("return document.querySelectorAll('#week .quiet-band').length") == 14
    page.screenshot("week")

    choose(page, "f-group", "武林广场店")
    wulin = [m for m in messages if m["target"]["group"] == "bk_hz_wulin"]
    assert count(page) == len(wulin) == 5
    assert len(blocks(page)) == cards_of(wulin) == 5
    assert all(text.endswith("汉堡王杭州武林广场店福利群") for text in blocks(page))
    page.screenshot("week-one-group")
    choose(page, "f-group", "全部群")
    choose(page, "f-tag", "city:上海")
    assert count(page) == 5
    choose(page, "f-tag", "全部标签")
    choose(page, "f-sender", "wecom")
    assert count(page) == 15
    choose(page, "f-status", "已跳过")
    assert count(page) == 0 and blocks(page) == []
    assert "没有符合筛选的消息" in page.js("return document.getElementById('week').textContent")
    choose(page, "f-status", "全部")

    click(page, "#next")                                      # past the window: nothing planned
    assert page.js("return document.getElementById('range').textContent") == "2026-11-30 至 2026-12-06"
    assert count(page) == 0
    click(page, "#home")
    assert count(page) == 15
    page.driver.find_element("xpath", "//*[@id='week']//button[contains(., 'king_day')]").click()
    shown = panel_text(page)
    assert "examples/burger/playbooks/weekly.sop:18" in shown and "周三 11:00" in shown
    assert "2026-11-25 11:00" in shown and "共 3 个群" in shown
    texts = page.js("return [...document.querySelectorAll('#panel .text')].map(p => p.textContent)")
    assert sorted(texts) == sorted(m["text"] for m in messages if m["step"] == "king_day")
    page.screenshot("week-panel")

    click(page, "#panel-close")
    click(page, "#view-month")
    assert page.js("return document.getElementById('month').hidden") is False
    assert page.js("return document.getElementById('week').hidden") is True
    assert page.js("return document.getElementById('range').textContent") == "2026年11月"
    assert count(page) == 15                                  # the plan's window lies in November
    assert page.js("return document.querySelectorAll('#month .month-entry').length") == 5
    page.screenshot("month")
    click(page, "#month .month-entry")
    assert "energy_pack" in panel_text(page)
    assert page.console_errors() == []


def test_lifecycle_with_its_events(page, tmp_path):
    path = make_html(tmp_path, *LIFECYCLE)
    page.open(path)
    assert page.console_errors() == []
    messages = jsonl(*LIFECYCLE)
    first_week = [m for m in messages if in_week(m, dt.date(2026, 11, 23))]
    assert count(page) == len(first_week) == 20
    assert len(blocks(page)) == cards_of(first_week)
    page.screenshot("week")
    choose(page, "f-group", "西溪店")
    xixi = [m for m in first_week if m["target"]["group"] == "gy_hz_xixi"]
    assert count(page) == len(xixi) and len(blocks(page)) == cards_of(xixi)
    choose(page, "f-group", "全部群")
    choose(page, "f-sender", "staff")
    click(page, "#next")
    second_week = [m for m in messages if in_week(m, dt.date(2026, 11, 30))]
    assert count(page) == sum(m["sender"] == "staff" for m in second_week) == 2
    choose(page, "f-sender", "全部")
    choose(page, "f-playbook", "gy_melon")
    assert count(page) == 1
    click(page, "#week .block")
    assert "哈密瓜" in panel_text(page) and "examples/lifecycle/lifecycle.sop:" in panel_text(page)
    choose(page, "f-playbook", "全部")
    page.screenshot("week-2")
    click(page, "#view-month")
    assert page.js("return document.getElementById('range').textContent") == "2026年12月"
    assert count(page) == sum(m["at"].startswith("2026-12") for m in messages)
    page.screenshot("month")
    click(page, "#prev")
    assert count(page) == sum(m["at"].startswith("2026-11") for m in messages)
    assert page.console_errors() == []


def test_holidays_marked_and_their_skips_struck_through(page, tmp_path):
    page.open(make_html(tmp_path, "examples/burger", *BURGER_NATIONAL_DAY))
    assert page.console_errors() == []
    heads = page.js("return [...document.querySelectorAll('#week .day-head')].map(h => h.textContent)")
    assert heads[:4] == ["周一 9月28日", "周二 9月29日", "周三 9月30日", "周四 10月1日节假日 · 国庆节"]
    assert page.js("return document.querySelectorAll('#week .day-col.holiday').length") == 4
    assert count(page) == 18 + 6
    choose(page, "f-status", "已跳过")
    assert blocks(page) == ["15:00fries_draw已跳过×3 群", "17:00fries_result已跳过×3 群"]
    click(page, "#week .block.skipped")
    assert "法定节假日" in panel_text(page) and "National Day" in panel_text(page)
    choose(page, "f-status", "全部")
    page.screenshot("national-day")
    assert page.console_errors() == []


def test_skips_deferrals_and_a_hostile_text(page, tmp_path, project):
    folder = project({"playbooks/gated.sop": GATED})
    path = make_html(tmp_path, ".", "--from", "2026-11-23", "--to", "2026-11-29", "--now", NOW, cwd=folder)
    page.open(path)
    assert page.console_errors() == []
    assert page.js("return document.title") == "sopc 计划 · proj"
    # three groups: `first` goes out, `second` is deferred by the gap, `third` skipped by the cap
    assert count(page) == 9
    assert blocks(page) == ["10:00first×3 群", "10:30second推迟×3 群", "11:00third已跳过×3 群"]
    page.screenshot("week")
    click(page, "#week .block.skipped")
    shown = panel_text(page)
    assert "已跳过" in shown and "超过每日上限" in shown and "cap 2/day" in shown
    texts = page.js("return [...document.querySelectorAll('#panel .text')].map(p => p.textContent)")
    assert texts == [HOSTILE] * 3
    assert page.js("return document.querySelectorAll('img').length") == 0
    assert page.js("return document.title") == "sopc 计划 · proj"
    page.screenshot("skipped-panel")
    click(page, "#week .block.deferred")
    shown = panel_text(page)
    assert "原定时间2026-11-23 10:10" in shown and "离上一条太近" in shown
    choose(page, "f-status", "会发送")
    assert count(page) == 6
    choose(page, "f-status", "已跳过")
    assert count(page) == 3
    assert page.console_errors() == []


def test_a_collapsed_entry_lists_its_groups(page, tmp_path, project):
    rows = "".join(f"g{n},第{n}群,福利群,店{n},杭州\n" for n in range(8))
    folder = project({"groups.csv": "id,name,tags,store,city\n" + rows, "playbooks/daily.sop": """
playbook daily "每日"
  to groups tagged 福利群
  sender console
  周一 10:00  hello  "{{ group.store }} 早上好"
"""})
    page.open(make_html(tmp_path, ".", "--from", "2026-11-23", "--to", "2026-11-29", "--now", NOW, cwd=folder))
    assert blocks(page) == ["10:00hello×8 群"] and count(page) == 8
    click(page, "#week .block")
    assert page.js("return document.querySelectorAll('#panel .group-list li').length") == 8
    assert "各群文字不同" in panel_text(page) and "店0 早上好" in panel_text(page)
    choose(page, "f-group", "第3群")
    assert count(page) == 1 and blocks(page) == ["10:00hello第3群"]
    page.screenshot("collapsed")
    assert page.console_errors() == []


def test_past_the_entry_bound_the_page_says_what_it_left_out(page, tmp_path, monkeypatch):
    import sopc.plan.html

    monkeypatch.setattr(sopc.plan.html, "MAX_ENTRIES", 4)      # in process: run_sopc runs this sopc
    path = make_html(tmp_path, "examples/burger", *BURGER_WEEK)
    data = page_data(path)
    assert len(data["entries"]) == 4 and data["leftOut"] == 11
    page.open(path)
    warning = page.js("return document.getElementById('left-out').textContent")
    assert "只收了前 4 条" in warning and "另有 11 条" in warning
    assert count(page) == 4
    assert page.console_errors() == []


def test_stage_skips_are_shown_with_the_reason(page, tmp_path):
    window = ("examples/stage_cadence", "--from", "2026-11-23", "--to", "2026-11-29", "--now", NOW)
    fates = jsonl(*window, "--show-skipped")
    skipped = [m for m in fates if m["status"] == "skipped"]
    assert skipped and all(m["reason"].startswith("stage:") for m in skipped)
    page.open(make_html(tmp_path, *window))
    assert count(page) == len(fates)
    choose(page, "f-status", "已跳过")
    assert count(page) == len(skipped)
    click(page, "#week .block.skipped")
    assert "群阶段不符：stage: group" in panel_text(page)
    choose(page, "f-status", "全部")
    page.screenshot("stage")
    assert page.console_errors() == []


def test_a_playbooks_colour_comes_from_its_name_and_no_two_look_alike():
    from sopc.plan.html import APART, playbook_hues

    alone = {name: playbook_hues([name])[name] for name in ("bk_week", "gy_members", "xg_welfare")}
    assert playbook_hues(["bk_week"]) == {"bk_week": alone["bk_week"]}          # the same in every plan
    names = [f"playbook_{n}" for n in range(4)]
    hues = list(playbook_hues(names).values())
    assert all(min(abs(a - b), 360 - abs(a - b)) >= APART for i, a in enumerate(hues) for b in hues[i + 1:])
    assert len(set(playbook_hues([f"p{n}" for n in range(12)]).values())) == 12
