"""Tests for sopc.project.calendar: official holidays, make-up workdays, brand days off."""

from __future__ import annotations

import datetime as dt
import tomllib

import chinese_calendar
import pytest

from sopc.project.calendar import HolidayCalendar, from_config, normalize_policy

D = dt.date
NATIONAL_DAY = D(2026, 10, 1)


@pytest.fixture
def calendar() -> HolidayCalendar:
    return HolidayCalendar()


# ---- official 2026 data ---------------------------------------------------------------

def test_national_day_block(calendar):
    for day in range(1, 8):
        assert calendar.holiday_name(D(2026, 10, day)) == "National Day"
        assert calendar.is_public_holiday(D(2026, 10, day))
        assert not calendar.is_workday(D(2026, 10, day))
    assert calendar.holiday_name(D(2026, 10, 5)) == "National Day"  # a Monday off
    assert calendar.is_workday(D(2026, 10, 8))


def test_plain_weekend_is_not_a_public_holiday(calendar):
    sunday = D(2026, 10, 11)
    assert sunday.weekday() == 6
    assert calendar.holiday_name(sunday) is None
    assert not calendar.is_public_holiday(sunday)
    assert not calendar.is_workday(sunday)


def test_ordinary_weekday(calendar):
    assert calendar.is_workday(D(2026, 6, 10))
    assert calendar.holiday_name(D(2026, 6, 10)) is None


def test_make_up_workdays_are_workdays_not_holidays(calendar):
    # Weekend dates the package says are worked (调休).
    make_up = [
        day
        for day in chinese_calendar.get_workdays(D(2026, 1, 1), D(2026, 12, 31))
        if day.weekday() >= 5
    ]
    assert D(2026, 9, 20) in make_up and D(2026, 10, 10) in make_up  # National Day swaps
    for day in make_up:
        assert calendar.is_workday(day), day
        # The package labels these with the holiday's name; they are still
        # not days off.
        assert not calendar.is_public_holiday(day), day
        assert calendar.holiday_name(day) is None


def test_agrees_with_package_for_all_of_2026(calendar):
    day = D(2026, 1, 1)
    while day.year == 2026:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        assert calendar.is_workday(day) == chinese_calendar.is_workday(day), day
        assert calendar.holiday_name(day) == (name if on_holiday else None), day
        day += dt.timedelta(days=1)


def test_datetime_arguments_are_treated_as_dates(calendar):
    assert calendar.holiday_name(dt.datetime(2026, 10, 1, 9, 30)) == "National Day"
    assert calendar.next_workday(dt.datetime(2026, 10, 1, 9, 30)) == D(2026, 10, 8)


# ---- moving posts off holidays --------------------------------------------------------

def test_previous_and_next_workday_are_strict(calendar):
    assert calendar.previous_workday(D(2026, 10, 1)) == D(2026, 9, 30)
    assert calendar.next_workday(D(2026, 10, 1)) == D(2026, 10, 8)
    # From a workday they still move.
    assert calendar.next_workday(D(2026, 9, 29)) == D(2026, 9, 30)
    assert calendar.previous_workday(D(2026, 10, 8)) == D(2026, 9, 30)
    # Make-up Saturday 2026-10-10 is the next workday after Friday 10-09.
    assert calendar.next_workday(D(2026, 10, 9)) == D(2026, 10, 10)


def test_policies_on_national_day(calendar):
    # The block runs Thu 10-01 .. Wed 10-07; Wed 09-30 and Thu 10-08 are
    # ordinary workdays around it.
    assert chinese_calendar.is_workday(D(2026, 9, 30))
    assert chinese_calendar.is_workday(D(2026, 10, 8))
    assert calendar.apply_policy(NATIONAL_DAY, "skip") is None
    assert calendar.apply_policy(NATIONAL_DAY, "before") == D(2026, 9, 30)
    assert calendar.apply_policy(NATIONAL_DAY, "after") == D(2026, 10, 8)
    assert calendar.apply_policy(NATIONAL_DAY, "keep") == NATIONAL_DAY


@pytest.mark.parametrize(
    ("chinese", "english"), [("跳过", "skip"), ("提前", "before"), ("顺延", "after"), ("照常", "keep")]
)
def test_chinese_policy_names(calendar, chinese, english):
    assert normalize_policy(chinese) == english
    assert calendar.apply_policy(NATIONAL_DAY, chinese) == calendar.apply_policy(NATIONAL_DAY, english)


@pytest.mark.parametrize("mode", ["skip", "before", "after", "keep"])
def test_non_holidays_are_left_alone(calendar, mode):
    assert calendar.apply_policy(D(2026, 6, 10), mode) == D(2026, 6, 10)  # workday
    assert calendar.apply_policy(D(2026, 10, 11), mode) == D(2026, 10, 11)  # plain Sunday
    assert calendar.apply_policy(D(2026, 10, 10), mode) == D(2026, 10, 10)  # make-up Saturday


def test_before_skips_back_over_a_weekend(calendar):
    # Labour Day block Fri 05-01 .. Tue 05-05; Thu 04-30 is the last workday.
    assert calendar.apply_policy(D(2026, 5, 3), "before") == D(2026, 4, 30)
    # Wed 05-06 is the first workday after the block.
    assert calendar.apply_policy(D(2026, 5, 3), "after") == D(2026, 5, 6)


def test_unknown_policy_raises(calendar):
    assert normalize_policy("later") is None
    with pytest.raises(ValueError, match="later"):
        calendar.apply_policy(NATIONAL_DAY, "later")


# ---- brand days off ------------------------------------------------------------------

def test_brand_day_off():
    calendar = HolidayCalendar(days_off={D(2026, 12, 24): "品牌日", D(2026, 9, 30): "店休"})
    assert calendar.holiday_name(D(2026, 12, 24)) == "品牌日"
    assert calendar.is_public_holiday(D(2026, 12, 24))
    assert calendar.is_brand_day_off(D(2026, 12, 24))
    assert not calendar.is_workday(D(2026, 12, 24))
    assert calendar.apply_policy(D(2026, 12, 24), "after") == D(2026, 12, 25)
    assert calendar.apply_policy(D(2026, 12, 24), "skip") is None
    # The day off right before National Day pushes "before" back one more day.
    assert calendar.apply_policy(NATIONAL_DAY, "before") == D(2026, 9, 29)
    assert not calendar.is_brand_day_off(NATIONAL_DAY)


def test_brand_day_off_on_a_make_up_workday():
    calendar = HolidayCalendar(days_off={D(2026, 10, 10): "团建"})
    assert not calendar.is_workday(D(2026, 10, 10))
    assert calendar.next_workday(D(2026, 10, 9)) == D(2026, 10, 12)


# ---- years without data -------------------------------------------------------------

def test_uncovered_year_does_not_raise(calendar):
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(D(2027, 10, 1))  # premise: no package data
    assert not calendar.covers(2027)
    assert calendar.covers(2026)
    # Only the law's own holidays (National Day: Oct 1-3); no announced bridges or make-up days.
    assert calendar.holiday_name(D(2027, 10, 1)) == "National Day"
    assert not calendar.is_workday(D(2027, 10, 1))  # a Friday, and a holiday by law
    assert calendar.holiday_name(D(2027, 10, 4)) is None and calendar.is_workday(D(2027, 10, 4))  # a Monday
    assert calendar.holiday_name(D(2027, 9, 30)) is None and calendar.is_workday(D(2027, 9, 30))  # a Thursday
    assert not calendar.is_workday(D(2027, 10, 9))  # a Saturday
    assert calendar.apply_policy(D(2027, 10, 1), "skip") is None
    assert calendar.apply_policy(D(2027, 9, 30), "skip") == D(2027, 9, 30)
    assert calendar.next_workday(D(2026, 12, 31)) == D(2027, 1, 4)  # Jan 1 (Friday) is 元旦
    assert calendar.next_workday(D(2027, 1, 4)) == D(2027, 1, 5)
    assert calendar.previous_workday(D(2004, 1, 1)) == D(2003, 12, 31)
    assert calendar.uncovered_years(D(2025, 6, 1), D(2028, 2, 1)) == [2027, 2028]
    assert calendar.uncovered_years(D(2026, 1, 1), D(2026, 12, 31)) == []


def test_config_supplies_an_uncovered_year():
    calendar = HolidayCalendar(
        holidays={D(2027, 10, 1): "National Day", D(2027, 10, 4): "National Day"},
        workdays=[D(2027, 9, 26)],
    )
    assert calendar.covers(2027)
    assert not calendar.covers(2028)
    assert calendar.holiday_name(D(2027, 10, 1)) == "National Day"
    assert not calendar.is_workday(D(2027, 10, 4))  # a Monday, given as holiday
    assert calendar.is_workday(D(2027, 9, 26))  # a Sunday, given as make-up day
    assert calendar.apply_policy(D(2027, 10, 1), "before") == D(2027, 9, 30)
    assert calendar.apply_policy(D(2027, 10, 1), "after") == D(2027, 10, 5)
    assert calendar.uncovered_years(D(2026, 1, 1), D(2028, 1, 1)) == [2028]


def test_config_corrects_a_covered_year():
    calendar = HolidayCalendar(holidays={D(2026, 6, 10): "临时假日"}, workdays=[D(2026, 10, 11)])
    assert calendar.holiday_name(D(2026, 6, 10)) == "临时假日"
    assert not calendar.is_workday(D(2026, 6, 10))
    assert calendar.is_workday(D(2026, 10, 11))


# ---- from_config -------------------------------------------------------------------

def _load(toml_text: str):
    return from_config(tomllib.loads(toml_text)["calendar"])


def test_from_config_table_form():
    calendar, problems = _load(
        """
        [calendar]
        days_off = {"2026-12-24" = "品牌日"}
        holidays = {"2027-10-01" = "National Day"}
        workdays = ["2027-09-26"]
        """
    )
    assert problems == []
    assert calendar.holiday_name(D(2026, 12, 24)) == "品牌日"
    assert calendar.holiday_name(D(2027, 10, 1)) == "National Day"
    assert calendar.is_workday(D(2027, 9, 26))
    assert calendar.covers(2027)


def test_from_config_list_form_and_native_toml_dates():
    calendar, problems = _load(
        """
        [calendar]
        days_off = ["2026-12-24", 2026-12-31]
        holidays = ["2027-1-1"]
        """
    )
    assert problems == []
    assert calendar.holiday_name(D(2026, 12, 24)) == "店休"
    assert calendar.holiday_name(D(2026, 12, 31)) == "店休"
    assert calendar.is_public_holiday(D(2027, 1, 1))
    assert calendar.covers(2027)


def test_from_config_empty():
    calendar, problems = from_config({})
    assert problems == []
    assert not calendar.covers(2027)
    assert calendar.holiday_name(NATIONAL_DAY) == "National Day"


def test_from_config_reports_bad_entries_and_keeps_good_ones():
    calendar, problems = from_config(
        {
            "days_off": {"2026-12-24": "品牌日", "2026-13-01": "x", "tomorrow": "y", "2026-12-25": 5},
            "holidays": "2027-10-01",
            "workdays": ["2027-02-07", 20270208, dt.datetime(2027, 2, 9, 8)],
            "day_of": [],
        }
    )
    assert calendar.holiday_name(D(2026, 12, 24)) == "品牌日"  # the good entry survives
    assert calendar.is_workday(D(2027, 2, 7))  # a Sunday, made a workday
    assert calendar.holiday_name(D(2026, 12, 25)) is None
    text = "\n".join(problems)
    assert len(problems) == 7, problems
    assert "'2026-13-01' is not a real calendar date" in text
    assert "'tomorrow' is not a date" in text
    assert "name for 2026-12-25" in text
    assert "[calendar] holidays: expected a table of date = name or a list of dates, got str" in text
    assert "got int 20270208" in text
    assert "has a time of day" in text
    assert "unknown key 'day_of'; did you mean `days_off`?" in text


def test_from_config_wrong_shapes():
    _, problems = from_config({"workdays": {"2027-02-07": "x"}})
    assert problems == ["[calendar] workdays: expected a list of dates, got dict"]
    calendar, problems = from_config(["2026-12-24"])  # type: ignore[arg-type]
    assert problems == ["[calendar]: expected a table, got list"]
    assert isinstance(calendar, HolidayCalendar)


def test_from_config_conflicting_entry():
    calendar, problems = from_config({"holidays": ["2027-10-01"], "workdays": ["2027-10-01"]})
    assert len(problems) == 1 and "both in holidays and in workdays" in problems[0]
    assert not calendar.is_workday(D(2027, 10, 1))


def test_a_calendar_problem_in_sopc_toml_names_the_table_once_at_its_line(tmp_path):
    """`sopc check` said "[calendar] [calendar] holidays: ...", at sopc.toml:1:1."""
    from inprocess import run_sopc
    from projects import SOPC_TOML, write_project

    toml = SOPC_TOML + '\n[calendar]\nholidays = ["2026-13-01"]\nbogus = 1\n'
    header = toml.splitlines().index("[calendar]") + 1
    root = write_project(tmp_path / "p", {
        "sopc.toml": toml,
        "main.sop": 'playbook p "福利"\n  to groups tagged 福利群\n  sender console\n  周一 10:00 a "hi"\n'})
    result = run_sopc("check", ".", "--now", "2026-11-23T09:00", cwd=root)
    problems = [line.split(": error[E0606]: ") for line in result.stderr.splitlines() if "error[E0606]" in line]
    assert problems == [
        [f"sopc.toml:{header + 1}:1", "[calendar] holidays: '2026-13-01' is not a real calendar date"],
        [f"sopc.toml:{header + 2}:1", "[calendar]: unknown key 'bogus'; expected one of days_off, holidays, workdays"]]
