"""Tests for sopc.core.timeutil: durations, zones and the wall-clock rule."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from hypothesis import given, strategies as st

from sopc.core.timeutil import (
    WEEKDAY_CN,
    format_duration,
    is_ambiguous,
    is_nonexistent,
    known_zone_names,
    load_zone,
    localize,
    localize_each,
    parse_duration,
    weekday_cn,
)

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


# ---- parse_duration / format_duration ------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", dt.timedelta(seconds=90)),
        ("10m", dt.timedelta(minutes=10)),
        ("3h", dt.timedelta(hours=3)),
        ("7d", dt.timedelta(days=7)),
        ("1d12h", dt.timedelta(days=1, hours=12)),
        ("1h30m", dt.timedelta(hours=1, minutes=30)),
        ("1d2h3m4s", dt.timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("36h", dt.timedelta(hours=36)),
        ("0h", dt.timedelta(0)),
        ("0", dt.timedelta(0)),
    ],
)
def test_parse_duration_accepts(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    ["5x", "1m1d", "", "3 h", " 3h", "3h ", "h", "1h1h", "1s1m", "-3h", "+3h",
     "00", "1.5h", "3H", "٣h", "1d 2h", "99999999999999d"],
)
def test_parse_duration_rejects(text):
    assert parse_duration(text) is None


def test_parse_duration_rejects_non_text():
    assert parse_duration(None) is None  # type: ignore[arg-type]
    assert parse_duration(5) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (dt.timedelta(hours=36), "1d12h"),
        (dt.timedelta(0), "0"),
        (dt.timedelta(hours=-3), "-3h"),
        (dt.timedelta(seconds=90), "1m30s"),
        (dt.timedelta(days=2, seconds=5), "2d5s"),
        (dt.timedelta(minutes=-90), "-1h30m"),
        (dt.timedelta(seconds=1, microseconds=700000), "1s"),
        (dt.timedelta(seconds=-1, microseconds=-500000), "-1s"),
        (dt.timedelta(microseconds=5), "0"),
    ],
)
def test_format_duration(delta, text):
    assert format_duration(delta) == text


whole_second_durations = st.integers(min_value=0, max_value=10**9 * 86400 - 1).map(
    lambda seconds: dt.timedelta(seconds=seconds)
)


@given(whole_second_durations)
def test_format_then_parse_round_trips(delta):
    assert parse_duration(format_duration(delta)) == delta


@given(st.integers(min_value=1, max_value=10**6 * 86400).map(lambda s: dt.timedelta(seconds=s)))
def test_negative_format_is_minus_the_positive_text(delta):
    assert format_duration(-delta) == "-" + format_duration(delta)


@given(
    st.tuples(*(st.one_of(st.none(), st.integers(0, 5000)) for _ in "dhms")).filter(
        lambda parts: any(p is not None for p in parts)
    )
)
def test_parse_any_ordered_unit_text(parts):
    text = "".join(f"{n}{unit}" for n, unit in zip(parts, "dhms") if n is not None)
    days, hours, minutes, seconds = (n or 0 for n in parts)
    expected = dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    assert parse_duration(text) == expected
    # Canonical text parses back to the same value too.
    assert parse_duration(format_duration(expected)) == expected


# ---- zones ---------------------------------------------------------------------------

def test_load_zone_known():
    zone = load_zone("Asia/Shanghai")
    assert isinstance(zone, zoneinfo.ZoneInfo)
    assert zone.key == "Asia/Shanghai"
    assert load_zone("Asia/Shanghai") is zone  # cached


@pytest.mark.parametrize(
    "name",
    ["", "../etc", "Asia/Shang hai", "Asia/Shangai", "Asia", "zone.tab",
     "/etc/localtime", "Asia//Shanghai", "asia/shanghai", "Asia/Shanghai\x00", "x" * 400],
)
def test_load_zone_unknown_is_none(name):
    assert load_zone(name) is None


def test_load_zone_non_text_is_none():
    assert load_zone(None) is None  # type: ignore[arg-type]


def test_known_zone_names_sorted_and_useful():
    names = known_zone_names()
    assert names == sorted(names)
    assert "Asia/Shanghai" in names and "America/New_York" in names
    names.clear()  # callers get their own copy
    assert "Asia/Shanghai" in known_zone_names()


# ---- localize ----------------------------------------------------------------------------

def test_gap_time_moves_forward_by_the_gap():
    result = localize(dt.datetime(2026, 3, 8, 2, 30), NEW_YORK)
    assert result.isoformat() == "2026-03-08T03:30:00-04:00"
    assert result.tzinfo is NEW_YORK
    # Same instant as 02:30 read with the pre-jump EST offset.
    assert result == dt.datetime(2026, 3, 8, 7, 30, tzinfo=dt.timezone.utc)


def test_gap_edges():
    assert localize(dt.datetime(2026, 3, 8, 1, 59), NEW_YORK).isoformat() == "2026-03-08T01:59:00-05:00"
    assert localize(dt.datetime(2026, 3, 8, 2, 0), NEW_YORK).isoformat() == "2026-03-08T03:00:00-04:00"
    assert localize(dt.datetime(2026, 3, 8, 3, 0), NEW_YORK).isoformat() == "2026-03-08T03:00:00-04:00"


def test_repeated_time_means_first_occurrence():
    result = localize(dt.datetime(2026, 11, 1, 1, 30), NEW_YORK)
    assert result.isoformat() == "2026-11-01T01:30:00-04:00"
    assert result.tzinfo is NEW_YORK
    assert result.fold == 0
    # Input fold=1 is ignored: the rule always picks the first occurrence.
    folded = localize(dt.datetime(2026, 11, 1, 1, 30, fold=1), NEW_YORK)
    assert folded.utcoffset() == dt.timedelta(hours=-4)


def test_ordinary_times():
    result = localize(dt.datetime(2026, 5, 1, 9, 0), SHANGHAI)
    assert result.isoformat() == "2026-05-01T09:00:00+08:00"
    assert result.tzinfo is SHANGHAI
    assert localize(dt.datetime(2026, 7, 4, 12, 0), NEW_YORK).isoformat() == "2026-07-04T12:00:00-04:00"
    assert localize(dt.datetime(2026, 1, 4, 12, 0), NEW_YORK).isoformat() == "2026-01-04T12:00:00-05:00"


def test_whole_missing_day():
    # Samoa skipped 2011-12-30 entirely: the rule moves it forward 24 hours.
    apia = zoneinfo.ZoneInfo("Pacific/Apia")
    wall = dt.datetime(2011, 12, 30, 9, 0)
    assert is_nonexistent(wall, apia)
    assert localize(wall, apia).isoformat() == "2011-12-31T09:00:00+14:00"


def test_fixed_offset_zone():
    plus8 = dt.timezone(dt.timedelta(hours=8))
    assert localize(dt.datetime(2026, 3, 8, 2, 30), plus8).isoformat() == "2026-03-08T02:30:00+08:00"


def test_aware_input_rejected():
    with pytest.raises(ValueError):
        localize(dt.datetime(2026, 5, 1, 9, tzinfo=SHANGHAI), SHANGHAI)


@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2040, 12, 31)))
def test_localize_matches_the_rule_everywhere(wall):
    result = localize(wall, NEW_YORK)
    assert result.tzinfo is NEW_YORK
    if is_nonexistent(wall, NEW_YORK):
        assert result.replace(tzinfo=None) - wall == dt.timedelta(hours=1)
    else:
        assert result.replace(tzinfo=None) == wall
        if is_ambiguous(wall, NEW_YORK):
            assert result.utcoffset() == dt.timedelta(hours=-4)
    # The result is a real wall time: it survives a trip through UTC.
    assert result.astimezone(dt.timezone.utc).astimezone(NEW_YORK).replace(tzinfo=None) == result.replace(tzinfo=None)


@given(st.lists(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2040, 12, 31)), max_size=40))
def test_localize_each_is_localize_of_each(walls):
    walls.sort()  # a schedule's times come sorted: its years one after another
    for zone in (NEW_YORK, SHANGHAI):
        each = list(localize_each(walls, zone))
        assert each == [localize(wall, zone) for wall in walls]
        assert [w.utcoffset() for w in each] == [localize(wall, zone).utcoffset() for wall in walls]


def test_localize_each_around_new_yorks_jumps():
    walls = [dt.datetime(2026, 3, 8, 1, 30) + dt.timedelta(minutes=30 * i) for i in range(6)]
    walls += [dt.datetime(2026, 11, 1, 0, 30) + dt.timedelta(minutes=30 * i) for i in range(6)]
    each = list(localize_each(walls, NEW_YORK))
    assert each == [localize(wall, NEW_YORK) for wall in walls]
    assert each[1].replace(tzinfo=None) == dt.datetime(2026, 3, 8, 3, 0)  # 02:00 is in the gap


def test_localize_each_rejects_an_aware_time():
    with pytest.raises(ValueError):
        list(localize_each([dt.datetime(2026, 5, 1, 9, tzinfo=SHANGHAI)], SHANGHAI))


# ---- detection --------------------------------------------------------------------------

def test_is_nonexistent():
    assert is_nonexistent(dt.datetime(2026, 3, 8, 2, 30), NEW_YORK)
    assert not is_nonexistent(dt.datetime(2026, 3, 8, 3, 0), NEW_YORK)
    assert not is_nonexistent(dt.datetime(2026, 11, 1, 1, 30), NEW_YORK)
    assert not is_nonexistent(dt.datetime(2026, 3, 8, 2, 30), SHANGHAI)


def test_is_ambiguous():
    assert is_ambiguous(dt.datetime(2026, 11, 1, 1, 30), NEW_YORK)
    assert not is_ambiguous(dt.datetime(2026, 11, 1, 2, 0), NEW_YORK)
    assert not is_ambiguous(dt.datetime(2026, 3, 8, 2, 30), NEW_YORK)
    assert not is_ambiguous(dt.datetime(2026, 11, 1, 1, 30), SHANGHAI)


def test_gap_on_first_day_of_year():
    # Sao Tome moved from +00 to +01 at 01:00 on 2018-01-01: the offset
    # change is only visible against the previous year's last day.
    sao_tome = zoneinfo.ZoneInfo("Africa/Sao_Tome")
    wall = dt.datetime(2018, 1, 1, 1, 30)
    assert is_nonexistent(wall, sao_tome)
    assert localize(wall, sao_tome).isoformat() == "2018-01-01T02:30:00+01:00"


def test_gap_on_last_day_of_year():
    # Kanton skipped 1994-12-31 entirely (-11 -> +13): only visible against
    # the next year's first day.
    kanton = zoneinfo.ZoneInfo("Pacific/Kanton")
    wall = dt.datetime(1994, 12, 31, 9, 0)
    assert is_nonexistent(wall, kanton)
    assert localize(wall, kanton).isoformat() == "1995-01-01T09:00:00+13:00"


# ---- weekdays ----------------------------------------------------------------------------

def test_weekday_cn():
    assert len(WEEKDAY_CN) == 7
    assert weekday_cn(dt.date(2026, 10, 1)) == "周四"
    assert weekday_cn(dt.date(2026, 10, 4)) == "周日"
    assert weekday_cn(dt.datetime(2026, 9, 28, 10)) == "周一"


def test_sweep_new_york_transition_days():
    quarter = dt.timedelta(minutes=15)
    for start, odd_hour, check in [
        (dt.datetime(2026, 3, 8), 2, is_nonexistent),
        (dt.datetime(2026, 11, 1), 1, is_ambiguous),
    ]:
        for step in range(96):
            wall = start + step * quarter
            assert check(wall, NEW_YORK) == (wall.hour == odd_hour), wall
    # Exactly four quarter-hours of 2026 are shifted, all by one hour.
    wall, shifted = dt.datetime(2026, 1, 1), []
    while wall.year == 2026:
        if localize(wall, NEW_YORK).replace(tzinfo=None) != wall:
            shifted.append(wall)
        wall += quarter
    assert shifted == [dt.datetime(2026, 3, 8, 2, m) for m in (0, 15, 30, 45)]


def test_a_duration_is_worked_out_once_per_text_and_forgotten_with_the_rest():
    """`T+15m` in a hundred timelines parses `15m` once; the memo answers
    as the parse does (None included) and empties with every other memo."""
    from sopc.core import timeutil
    from sopc.core.memo import forget_all

    forget_all()
    texts = ["15m", "1d12h", "0", "", "5x", "1m1d", "9" * 40 + "s", "15m", "1d12h", "5x"]
    first = [timeutil.parse_duration(text) for text in texts]
    assert first == [timeutil._parsed_duration.__wrapped__(text) for text in texts]
    assert first[:3] == [dt.timedelta(minutes=15), dt.timedelta(days=1, hours=12), dt.timedelta(0)]
    assert first[3:7] == [None] * 4
    info = timeutil._parsed_duration.cache_info()
    assert (info.currsize, info.hits) == (7, 3)
    assert timeutil.parse_duration(15) is None  # not a text: not asked of the memo
    forget_all()
    assert timeutil._parsed_duration.cache_info().currsize == 0
