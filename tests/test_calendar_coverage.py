"""Years whose holiday schedule is not announced yet (issue 14, item 5).

`sopc init` then `sopc check --strict` failed every December: the check
window reached next year, which chinese_calendar does not know yet (W0308).
Now an unannounced year has the holidays the law fixes, the calendar knows
which of its dates an announcement can still change, and W0308 names the
first such date a holiday-sensitive rule actually plans.

The tests take the package's last known year from its own data, so they
keep testing "December of the last known year" after an upgrade.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import chinese_calendar.constants
import pytest

import sopc.project.calendar as calendar_module
from projects import write_project
from sopc.project.calendar import HolidayCalendar

LAST_KNOWN = max(day.year for day in chinese_calendar.constants.holidays)
NEXT = LAST_KNOWN + 1
D = dt.date


def _strict(run_sopc, folder, now: str):
    return run_sopc("check", str(folder), "--strict", "--now", now, cwd=folder.parent)


# ---- a fresh project passes --strict whatever the month -----------------------------------------

@pytest.mark.parametrize("now", [f"{LAST_KNOWN}-{month:02d}-01T09:00" for month in range(1, 13)]
                         + [f"{LAST_KNOWN}-12-{day:02d}T09:00" for day in (3, 14, 24, 31)])
def test_a_fresh_project_passes_strict_in_any_month(tmp_path, run_sopc, now):
    assert run_sopc("init", "p", "--now", now, cwd=tmp_path).exit_code == 0
    result = _strict(run_sopc, tmp_path / "p", now)
    assert result.exit_code == 0, result.stderr
    assert "no problems found" in result.stderr


def test_init_dates_the_flash_sale_from_the_day_it_is_written(tmp_path, run_sopc):
    assert run_sopc("init", "p", "--now", f"{LAST_KNOWN}-12-20T09:00", cwd=tmp_path).exit_code == 0
    playbook = (tmp_path / "p" / "playbooks" / "welfare.sop").read_text(encoding="utf-8")
    first_saturday_a_week_on = D(LAST_KNOWN, 12, 27) + dt.timedelta(days=(5 - D(LAST_KNOWN, 12, 27).weekday()) % 7)
    assert f"run flash_sale at {first_saturday_a_week_on} 20:00" in playbook


# ---- W0308 names the date an announcement can still change ----------------------------------------

PLAYBOOK = '''playbook welfare "福利"
  to groups tagged 福利群
  sender console
{policy}  {when} 10:00 hello "大家好"
'''


def _warnings(run_sopc, project, policy: str, when: str, now: str) -> list[str]:
    folder = project({"main.sop": PLAYBOOK.format(policy=policy, when=when)})
    result = _strict(run_sopc, folder, now)
    return [line for line in result.stderr.splitlines() if "W0308" in line]


def test_weekday_posts_under_on_holidays_skip_pass_in_december(project, run_sopc):
    assert _warnings(run_sopc, project, "  on holidays skip\n", "周一,周三,周五", f"{LAST_KNOWN}-12-10T09:00") == []


def test_a_workday_rule_is_warned_about_at_the_first_date_that_may_change(project, run_sopc):
    new_year = D(NEXT, 1, 1)
    first = new_year + dt.timedelta(days=calendar_module._NEW_YEAR_OFF[new_year.weekday()][0]) \
        - calendar_module._MAKE_UP_REACH
    first += dt.timedelta(days=(5 - first.weekday()) % 7 if first.weekday() < 5 else 0)  # the first weekend day
    [line] = _warnings(run_sopc, project, "", "工作日", f"{LAST_KNOWN}-12-01T09:00")
    assert line.startswith("proj/main.sop:4:3: warning[W0308]: ")
    assert f"China's holiday schedule for {NEXT} is not announced yet: `hello` of `welfare` runs on 工作日, " \
           f"and whether {first} " in line and "is a workday may still change" in line


def test_on_holidays_is_warned_about_at_the_first_post_that_may_change(project, run_sopc):
    """In the year nothing is known of, the first post near a holiday is named."""
    lines = _warnings(run_sopc, project, "  on holidays skip\n", "每天", f"{NEXT}-04-25T09:00")
    [line] = lines
    assert line.startswith("proj/main.sop:4:3: warning[W0308]: ")
    first = min(d for d in (D(NEXT, 4, 25) + dt.timedelta(days=i) for i in range(40))
                if HolidayCalendar().unannounced(d))
    assert f"posts `hello` on {first} " in line and "under `on holidays skip`" in line


def test_a_rule_that_reaches_no_unannounced_date_is_not_warned_about(project, run_sopc):
    assert _warnings(run_sopc, project, "  on holidays skip\n  active 2000-01-01 to "
                     f"{LAST_KNOWN}-12-28\n", "每天", f"{LAST_KNOWN}-12-10T09:00") == []
    assert _warnings(run_sopc, project, "", "周一", f"{NEXT}-07-01T09:00") == []  # no holiday rule at all


# ---- the calendar of a year not announced yet ---------------------------------------------------

def test_an_unannounced_year_has_the_holidays_the_law_fixes():
    calendar = HolidayCalendar()
    assert not calendar.covers(NEXT)
    assert calendar.holiday_name(D(NEXT, 1, 1)) == "New Year's Day"
    assert calendar.holiday_name(D(NEXT, 5, 2)) == "Labour Day"
    assert calendar.holiday_name(D(NEXT, 10, 3)) == "National Day"
    assert calendar.holiday_name(D(NEXT, 10, 4)) is None
    assert calendar.apply_policy(D(NEXT, 10, 1), "skip") is None
    assert not calendar.is_workday(D(NEXT, 5, 1))


def test_lunar_festivals_are_on_their_days():
    """2027: 春节 Feb 6 (除夕 Feb 5), 清明 Apr 5, 端午 Jun 9, 中秋 Sep 15."""
    calendar = HolidayCalendar()
    assert [calendar.holiday_name(D(2027, 2, d)) for d in range(4, 10)] == \
        [None, "Spring Festival", "Spring Festival", "Spring Festival", "Spring Festival", None]
    assert calendar.holiday_name(D(2027, 4, 5)) == "Tomb-sweeping Day"
    assert calendar.holiday_name(D(2027, 6, 9)) == "Dragon Boat Festival"
    assert calendar.holiday_name(D(2027, 9, 15)) == "Mid-autumn Festival"


def test_final_and_open_dates_of_an_unannounced_year():
    calendar = HolidayCalendar()
    assert calendar.unannounced(D(2027, 1, 1)) is None          # 元旦 itself: the law
    assert calendar.unannounced(D(2027, 1, 2)) == 2027          # may be bridged to the weekend
    assert calendar.unannounced(D(2027, 1, 4)) is None          # a Monday after a Friday 元旦: final
    assert calendar.unannounced(D(2026, 12, 31)) is None        # 2027's 元旦 is a Friday: not bridged back
    assert calendar.unannounced(D(2027, 2, 10)) == 2027         # inside the Spring Festival break
    assert calendar.unannounced(D(2027, 3, 10)) is None
    assert calendar.unannounced(D(2027, 7, 20)) is None
    assert calendar.unannounced(D(2027, 1, 30), asks="holiday") is None
    assert calendar.unannounced(D(2027, 1, 30), asks="workday") == 2027  # a Saturday: may be a make-up workday
    assert calendar.unannounced(D(LAST_KNOWN, 6, 1), asks="workday") is None  # announced


def test_the_config_settles_a_date():
    calendar = HolidayCalendar(holidays={D(2027, 2, 10): "春节"}, workdays=[D(2027, 1, 30)])
    assert calendar.unannounced(D(2027, 2, 10)) is None  # the config makes 2027 covered: nothing is open
    assert calendar.unannounced(D(2028, 2, 1)) == 2028  # 2028 is still open


@pytest.mark.parametrize("year", range(2005, LAST_KNOWN + 1))
def test_every_announced_day_lies_where_sopc_expects_announcements(monkeypatch, year):
    """Had sopc not known `year`, would it have flagged every day off and
    every make-up workday its announcement set? (The windows are as wide
    as every announcement since 2005; the one-off 2015 Victory Day aside.)"""
    monkeypatch.setattr(calendar_module, "_package_covers", lambda y: False)
    calendar = HolidayCalendar()
    statutory = calendar_module._statutory_days(year)
    day = D(year - 1, 12, 20)
    while day <= D(year, 12, 31):
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        arrangement = day.year + 1 if day.month == 12 and name == "New Year's Day" else day.year
        if name and arrangement == year and name != "Anti-Fascist 70th Day":
            if on_holiday:
                assert day in statutory or calendar.unannounced(day) == year, (day, name)
            else:
                assert calendar.unannounced(day, asks="workday") == year, (day, name, "make-up workday")
        day += dt.timedelta(days=1)
