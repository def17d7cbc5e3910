"""China's public holidays and workdays, plus the brand's own days off.

Leaf module used by the load stage (``[calendar]`` in ``sopc.toml``), the
checks (warnings about years without data) and the planner (``workdays`` /
``holidays`` day sets and the ``on holidays skip|before|after|keep`` policy).

Official data comes from the ``chinese_calendar`` package, which only knows
the years the State Council has already announced. A year it does not know
(from 2025 on) has the public holidays the law itself fixes (《全国年节及纪念日
放假办法》, in force since 2025): 元旦 Jan 1, 春节 除夕 to 初三, 清明, 劳动节
May 1-2, 端午, 中秋, 国庆节 Oct 1-3; otherwise Monday to Friday are
workdays. Make-up working days (调休, e.g. a Sunday worked before a long
holiday) are workdays. A plain weekend is not a public holiday.

What decides a date, first match wins:

1. a brand day off (``days_off``): not a workday, holiday named by the brand;
2. a config ``holidays`` entry: not a workday, public holiday of that name;
3. a config ``workdays`` entry: a workday;
4. the package's data for that year;
5. for uncovered years: the law's own holidays, then Monday to Friday are workdays.

What the annual announcement adds (the days bridged to a weekend, the
make-up workdays) always falls close to a holiday: within the windows of
:func:`_announcement_windows`, as wide as any announcement since 2005 (a test
holds them to the package's data). So for an uncovered year,
:meth:`HolidayCalendar.unannounced` can say of most dates that the answer is
already final, and `sopc check` warns (W0308) only about the dates a
playbook plans that the announcement can still change.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import types
from typing import Any, Iterable, Mapping


from sopc.core.diagnostics import did_you_mean
from sopc.core.i18n import _

__all__ = [
    "HOLIDAY_POLICIES",
    "HolidayCalendar",
    "from_config",
    "normalize_policy",
]

# Canonical holiday-policy mode for every spelling the grammar accepts.
HOLIDAY_POLICIES: Mapping[str, str] = types.MappingProxyType({
    "skip": "skip",
    "before": "before",
    "after": "after",
    "keep": "keep",
    "跳过": "skip",
    "提前": "before",
    "顺延": "after",
    "照常": "keep",
})

DEFAULT_DAY_OFF_NAME = "店休"
DEFAULT_HOLIDAY_NAME = "节假日"

_EMPTY: Mapping[Any, Any] = types.MappingProxyType({})
_ONE_DAY = dt.timedelta(days=1)

# The law in force since 2025, the first rules an uncovered year can have.
_STATUTORY_SINCE = 2025
# The three festivals of the lunisolar calendar, as Gregorian dates (month
# and day, MMDD): 春节 (正月初一), 端午 (五月初五), 中秋 (八月十五), 2004-2060.
# Astronomical facts, not announcements (checked against borax's tables).
_LUNAR_FESTIVALS_FROM = 2004
_LUNAR_FESTIVALS = (
    "012206220928 020906110918 012905311006 021806190925 020706080914 012605281003 021406160922 "
    "020306060912 012306230930 021006120919 013106020908 021906200927 020806090915 012805301004 "
    "021606180924 020506070913 012506251001 021206140921 020106030910 012206220929 021006100917 "
    "012905311006 021706190925 020606090915 012605281003 021306160922 020306050912 012306241001 "
    "021106120919 013106010908 021906200927 020806100916 012805301004 021506180924 020406070913 "
    "012405271002 021206140920 020106030910 012206220928 021006110917 013005311005 021706190925 "
    "020606080915 012605291004 021406150922 020206040911 012306230930 021106130919 020106010907 "
    "021906200926 020806100916 012805301005 021506170924 020406060913 012406251002 021206140921 "
    "020206030909"
).split()
# Where each festival's day can fall when the table ends (the lunar calendar's range).
_LUNAR_RANGES = {"Spring Festival": ((1, 21), (2, 20)), "Dragon Boat Festival": ((5, 27), (6, 25)),
                 "Mid-autumn Festival": ((9, 8), (10, 6))}
# Days off an announcement may add around a festival's day, as offsets
# (first, last): the widest any announcement 2005-2026 used. 元旦 depends on
# the weekday of Jan 1 (Monday = 0): a midweek Jan 1 stands alone, a Thursday
# to Saturday one runs on to Jan 3, a Sunday to Tuesday one may start Dec 30.
_NEW_YEAR_OFF = {0: (-2, 2), 1: (-2, 2), 2: (0, 0), 3: (0, 2), 4: (0, 2), 5: (0, 2), 6: (-1, 2)}
_OFF_AROUND = {"Spring Festival": (-2, 8), "Tomb-sweeping Day": (-2, 2), "Labour Day": (-2, 6),
               "Dragon Boat Festival": (-2, 2), "Mid-autumn Festival": (-2, 2), "National Day": (-2, 7)}
# Make-up workdays fall on weekends at most this far from the days off
# (announcements 2005-2026: 9 days at most).
_MAKE_UP_REACH = dt.timedelta(days=12)

# (is_workday, holiday name or None) for one date.
_DayStatus = tuple[bool, str | None]


def normalize_policy(mode: str) -> str | None:
    """``skip``/``before``/``after``/``keep`` for any accepted spelling, else None."""
    return HOLIDAY_POLICIES.get(mode) if isinstance(mode, str) else None


# ---- the package's data ------------------------------------------------------------

@functools.cache
def _package():
    """chinese_calendar, imported when a day is first looked up: a project
    without workday or holiday rules is checked without loading its tables."""
    import chinese_calendar
    return chinese_calendar


@functools.lru_cache(maxsize=None)
def _package_covers(year: int) -> bool:
    try:
        _package().is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@functools.lru_cache(maxsize=16384)
def _package_status(day: dt.date) -> _DayStatus | None:
    """The package's verdict for ``day``, or None if it has no data for the
    year. Cached because each package call costs tens of microseconds."""
    if not _package_covers(day.year):
        return None
    try:
        on_holiday, name = _package().get_holiday_detail(day)
    except NotImplementedError:
        return None
    # The package also names make-up workdays after their holiday
    # ((False, 'National Day') for 2026-10-10): only a day off is a holiday.
    return (not on_holiday, name if on_holiday else None)


def _lunar_festival(year: int, name: str) -> dt.date | None:
    """The Gregorian date of a lunisolar festival in ``year``, if tabled."""
    index = year - _LUNAR_FESTIVALS_FROM
    if not 0 <= index < len(_LUNAR_FESTIVALS):
        return None
    digits = _LUNAR_FESTIVALS[index][4 * list(_LUNAR_RANGES).index(name):][:4]
    return dt.date(year, int(digits[:2]), int(digits[2:]))


@functools.lru_cache(maxsize=256)
def _qingming(year: int) -> dt.date | None:
    """清明, a solar term (Apr 4-6), as the package computes it (1900-2100)."""
    try:
        terms = _package().get_solar_terms(dt.date(year, 4, 1), dt.date(year, 4, 10))
    except NotImplementedError:
        return None
    return next((day for day, name in terms if name == "清明"), None)


def _festival_days(year: int) -> dict[str, dt.date | None]:
    """Each public holiday of ``year`` -> its day (None: not known here)."""
    days: dict[str, dt.date | None] = {"New Year's Day": dt.date(year, 1, 1)}
    days["Spring Festival"] = _lunar_festival(year, "Spring Festival")
    days["Tomb-sweeping Day"] = _qingming(year)
    days["Labour Day"] = dt.date(year, 5, 1)
    days["Dragon Boat Festival"] = _lunar_festival(year, "Dragon Boat Festival")
    days["Mid-autumn Festival"] = _lunar_festival(year, "Mid-autumn Festival")
    days["National Day"] = dt.date(year, 10, 1)
    return days


@functools.lru_cache(maxsize=256)
def _statutory_days(year: int) -> Mapping[dt.date, str]:
    """The public holidays the law fixes for ``year`` (since 2025): what an
    unannounced year is sure to have."""
    if year < _STATUTORY_SINCE:
        return _EMPTY
    lengths = {"Spring Festival": (-1, 2), "Labour Day": (0, 1), "National Day": (0, 2)}  # 除夕-初三, 2 days, 3 days
    statutory: dict[dt.date, str] = {}
    for name, day in _festival_days(year).items():
        if day is not None:
            first, last = lengths.get(name, (0, 0))
            for offset in range(first, last + 1):
                statutory.setdefault(day + dt.timedelta(days=offset), name)
    return types.MappingProxyType(statutory)


@functools.lru_cache(maxsize=256)
def _announcement_windows(year: int) -> tuple[tuple[dt.date, dt.date], ...]:
    """Where ``year``'s announcement can put days off: one (first, last)
    window per holiday, around its day (or, for a lunar festival past the
    table, around every day it can fall on)."""
    windows = []
    for name, day in _festival_days(year).items():
        if name == "New Year's Day":
            first, last = _NEW_YEAR_OFF[day.weekday()]
        else:
            first, last = _OFF_AROUND[name]
        if day is not None:
            windows.append((day + dt.timedelta(days=first), day + dt.timedelta(days=last)))
        elif name == "Tomb-sweeping Day":
            windows.append((dt.date(year, 4, 4 + first), dt.date(year, 4, 6 + last)))
        else:
            (m1, d1), (m2, d2) = _LUNAR_RANGES[name]
            windows.append((dt.date(year, m1, d1) + dt.timedelta(days=first),
                            dt.date(year, m2, d2) + dt.timedelta(days=last)))
    return tuple(windows)


def _as_date(day: dt.date) -> dt.date:
    # datetime is a date subclass but never equals a date: normalise keys.
    return day.date() if isinstance(day, dt.datetime) else day


# ---- the calendar ---------------------------------------------------------------------

class HolidayCalendar:
    """Workdays and holidays for one project: official data plus config."""

    def __init__(
        self,
        *,
        days_off: Mapping[dt.date, str] = _EMPTY,
        holidays: Mapping[dt.date, str] = _EMPTY,
        workdays: Iterable[dt.date] = (),
    ) -> None:
        self._days_off = {_as_date(d): name for d, name in days_off.items()}
        self._holidays = {_as_date(d): name for d, name in holidays.items()}
        self._workdays = frozenset(_as_date(d) for d in workdays)
        self._config_years = frozenset(d.year for d in (*self._holidays, *self._workdays))
        self._status_cache: dict[dt.date, _DayStatus] = {}

    def __repr__(self) -> str:
        return (
            f"HolidayCalendar(days_off={len(self._days_off)}, "
            f"holidays={len(self._holidays)}, workdays={len(self._workdays)})"
        )

    # -- per-date facts --

    def _status(self, day: dt.date) -> _DayStatus:
        day = _as_date(day)
        status = self._status_cache.get(day)
        if status is None:
            status = self._status_cache[day] = self._decide(day)
        return status

    def _decide(self, day: dt.date) -> _DayStatus:
        if day in self._days_off:
            return (False, self._days_off[day])
        if day in self._holidays:
            return (False, self._holidays[day])
        if day in self._workdays:
            return (True, None)
        official = _package_status(day)
        if official is not None:
            return official
        statutory = _statutory_days(day.year).get(day)
        if statutory is not None:
            return (False, statutory)
        return (day.weekday() < 5, None)

    def covers(self, year: int) -> bool:
        """True if official data exists for ``year`` (package or config)."""
        return year in self._config_years or _package_covers(year)

    def holiday_name(self, day: dt.date) -> str | None:
        """Name of the public holiday or brand day off on ``day``, else None."""
        return self._status(day)[1]

    def is_public_holiday(self, day: dt.date) -> bool:
        """True on public holidays and on the brand's own days off."""
        return self._status(day)[1] is not None

    def is_brand_day_off(self, day: dt.date) -> bool:
        """True if ``day`` is one of the brand's configured days off."""
        return _as_date(day) in self._days_off

    def is_workday(self, day: dt.date) -> bool:
        """Official workday (make-up days included) that is not a brand day off."""
        return self._status(day)[0]

    # -- moving between days --

    def previous_workday(self, day: dt.date) -> dt.date:
        """The last workday strictly before ``day``."""
        candidate = _as_date(day) - _ONE_DAY
        while not self.is_workday(candidate):
            candidate -= _ONE_DAY
        return candidate

    def next_workday(self, day: dt.date) -> dt.date:
        """The first workday strictly after ``day``."""
        candidate = _as_date(day) + _ONE_DAY
        while not self.is_workday(candidate):
            candidate += _ONE_DAY
        return candidate

    def apply_policy(self, day: dt.date, mode: str) -> dt.date | None:
        """Where a post due on ``day`` goes under holiday policy ``mode``.

        Only public holidays and brand days off move: skip -> None, before ->
        the previous workday, after -> the next workday, keep -> ``day``.
        Any other day comes back unchanged. Chinese spellings (跳过 提前 顺延
        照常) are accepted; an unknown mode raises ValueError.
        """
        policy = normalize_policy(mode)
        if policy is None:
            raise ValueError(
                f"unknown holiday policy {mode!r}; expected one of {', '.join(HOLIDAY_POLICIES)}"
            )
        day = _as_date(day)
        if policy == "keep" or not self.is_public_holiday(day):
            return day
        if policy == "skip":
            return None
        if policy == "before":
            return self.previous_workday(day)
        return self.next_workday(day)

    def uncovered_years(self, start: dt.date, end: dt.date) -> list[int]:
        """Years in [start, end] with no official data (worth a warning)."""
        return [y for y in range(start.year, end.year + 1) if not self.covers(y)]

    def unannounced(self, day: dt.date, *, asks: str = "holiday") -> int | None:
        """The year whose holiday schedule, not yet announced, may still
        change the answer for ``day``; None when the answer is final.

        ``asks`` is the question a rule puts: ``"holiday"`` (is it a public
        holiday? for `on holidays` and 节假日) or ``"workday"`` (is it a
        workday? for 工作日; a weekend may become a make-up workday). Days
        the config names and the law's own holidays are final; so is any day
        outside the windows where an announcement puts its days off and
        make-up workdays. Late December belongs to the next year's 元旦.
        """
        day = _as_date(day)
        if day in self._days_off or day in self._holidays or day in self._workdays:
            return None
        for year in (day.year, day.year + 1):
            if self.covers(year) or day in _statutory_days(year):
                continue
            for first, last in _announcement_windows(year):
                if first <= day <= last:
                    return year
                if asks == "workday" and day.weekday() >= 5 and \
                        first - _MAKE_UP_REACH <= day <= last + _MAKE_UP_REACH:
                    return year
        return None


# ---- building from sopc.toml ------------------------------------------------------------

_CONFIG_KEYS = ("days_off", "holidays", "workdays")
# Same shape as the grammar's DATE token.
_DATE_TEXT_RE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")


def _parse_config_date(value: object, where: str, problems: list[str]) -> dt.date | None:
    """A date from TOML: a native TOML date or ``"YYYY-MM-DD"`` text."""
    if isinstance(value, dt.datetime):
        problems.append(_("{where}: {value} has a time of day; give only the date").format(where=where, value=value.isoformat()))
        return None
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        problems.append(_('{where}: expected a date like "2026-12-24", got {found}').format(
            where=where, found=f"{type(value).__name__} {value!r}"))
        return None
    match = _DATE_TEXT_RE.fullmatch(value.strip())
    if match is None:
        problems.append(_("{where}: {value} is not a date (expected YYYY-MM-DD)").format(where=where, value=repr(value)))
        return None
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        problems.append(_("{where}: {value} is not a real calendar date").format(where=where, value=repr(value)))
        return None


def _parse_named_days(
    value: object, where: str, default_name: str, problems: list[str]
) -> dict[dt.date, str]:
    """``{"2026-12-24" = "品牌日"}`` or ``["2026-12-24"]`` -> {date: name}."""
    if isinstance(value, Mapping):
        entries = list(value.items())
    elif isinstance(value, list):
        entries = [(item, default_name) for item in value]
    else:
        problems.append(
            _("{where}: expected a table of date = name or a list of dates, got {found}").format(
                where=where, found=type(value).__name__)
        )
        return {}
    named: dict[dt.date, str] = {}
    for raw_date, name in entries:
        day = _parse_config_date(raw_date, where, problems)
        if day is None:
            continue
        if not isinstance(name, str) or not name.strip():
            problems.append(_("{where}: the name for {day} must be non-empty text, got {name}").format(
                where=where, day=day.isoformat(), name=repr(name)))
            continue
        named[day] = name.strip()
    return named


def _parse_day_list(value: object, where: str, problems: list[str]) -> list[dt.date]:
    if not isinstance(value, list):
        problems.append(_("{where}: expected a list of dates, got {found}").format(where=where, found=type(value).__name__))
        return []
    days = (_parse_config_date(item, where, problems) for item in value)
    return [day for day in days if day is not None]


def _unknown_key_problem(key: object) -> str:
    hint = did_you_mean(str(key), _CONFIG_KEYS)
    if hint:
        return _("[calendar]: unknown key {key}; {hint}").format(key=repr(key), hint=hint)
    return _("[calendar]: unknown key {key}; expected one of {keys}").format(key=repr(key), keys=", ".join(_CONFIG_KEYS))


class Problem(str):
    """A problem in ``[calendar]``: its message, and ``key``, the key of the
    table it is about (None: the table), for the loader to point at."""

    key: str | None

    def __new__(cls, message: str, key: str | None = None) -> "Problem":
        problem = super().__new__(cls, message)
        problem.key = key
        return problem


def _read_key(table: Mapping, key: str, empty, read, problems: list[str]):
    """``read(value, where, found)`` of ``table[key]``, its problems told
    which key they are about (E0606 points at its line)."""
    found: list[str] = []
    value = read(table.get(key, empty), f"[calendar] {key}", found)
    problems += [Problem(p, key) for p in found]
    return value


def from_config(table: Mapping) -> tuple[HolidayCalendar, list[str]]:
    """Build the calendar from a parsed ``[calendar]`` table. The problems
    are :class:`Problem` strings.

    Never raises: every problem becomes a message and the bad entry is left
    out, so the rest of the table still takes effect.
    """
    problems: list[str] = []
    if not isinstance(table, Mapping):
        problems.append(Problem(_("[calendar]: expected a table, got {found}").format(found=type(table).__name__)))
        return HolidayCalendar(), problems
    for key in table:
        if key not in _CONFIG_KEYS:
            problems.append(Problem(_unknown_key_problem(key), str(key)))
    days_off = _read_key(table, "days_off", {}, lambda value, where, found: _parse_named_days(
        value, where, DEFAULT_DAY_OFF_NAME, found), problems)
    holidays = _read_key(table, "holidays", {}, lambda value, where, found: _parse_named_days(
        value, where, DEFAULT_HOLIDAY_NAME, found), problems)
    workdays = _read_key(table, "workdays", [], _parse_day_list, problems)
    for day in sorted(set(holidays) & set(workdays)):
        # Holidays win (see the module docstring), but it is surely a typo.
        problems.append(Problem(
            _("[calendar]: {day} is listed both in holidays and in workdays; treating it as a holiday").format(
                day=day.isoformat()), "workdays"))
    calendar = HolidayCalendar(days_off=days_off, holidays=holidays, workdays=workdays)
    return calendar, problems
