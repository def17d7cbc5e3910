"""Stage 5, plan: when does a schedule fire?

Turns a `When` (weekly days, month days, every N days, cron) plus a playbook's
policies (holidays, active window) into the local wall-clock datetimes it
fires at inside a date window. Computed once per schedule step, not per
group: every group of a playbook shares its zone and calendar.
"""

from __future__ import annotations

import calendar as month_calendar
import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Callable, Iterator

from sopc.core.memo import forgotten_with_the_rest
from sopc.core.records import dataclass
from sopc.core.vocabulary import WEEKDAY_CN
from sopc.lang import ast
from sopc.project.calendar import HolidayCalendar, normalize_policy
from sopc.compile.resolve import Policy
from sopc.compile.titles import step_title

if TYPE_CHECKING:
    from croniter import croniter

# Holiday moves can pull a date across the window's edge; look this far past it.
MOVE_MARGIN = dt.timedelta(days=21)
NO_MARGIN = dt.timedelta(0)
CRON_LIMIT = 100_000  # firings of one cron line per window (`* * * * *` is 525,600 a year)


OCCURRENCES_MEMO_LIMIT = 4096  # distinct (schedule, policy, window) kept; a project has a few hundred
_memo: dict[tuple, tuple[HolidayCalendar, tuple[dt.datetime, ...]]] = {}
forgotten_with_the_rest(_memo.clear)


def occurrences(when: ast.When, policy: Policy, calendar: HolidayCalendar,
                first: dt.date, last: dt.date) -> list[dt.datetime]:
    """Sorted naive local datetimes in [first, last] (inclusive dates).

    Memoized on what the answer depends on: the schedule's value (not its
    place in a file: `周一 10:00` in 300 playbooks is worked out once), the
    holiday and `active` policies, the calendar and the window."""
    return list(occurrence_times(when, policy, calendar, first, last))


def occurrence_times(when: ast.When, policy: Policy, calendar: HolidayCalendar,
                     first: dt.date, last: dt.date) -> tuple[dt.datetime, ...]:
    """:func:`occurrences` as the memo keeps them: one tuple for equal
    schedules under equal policies, so a caller may key its own memo on it."""
    key = (_when_key(when), policy.holidays, policy.active_start, policy.active_end, id(calendar), first, last)
    entry = _memo.get(key)
    if entry is None or entry[0] is not calendar:
        if len(_memo) >= OCCURRENCES_MEMO_LIMIT:
            _memo.clear()
        entry = _memo[key] = (calendar, tuple(_occurrences(when, policy, calendar, first, last)))
    return entry[1]


def _when_key(when: ast.When) -> tuple:
    """A schedule's value without its spans: equal keys fire at equal times."""
    if isinstance(when, ast.OnCron):
        return ("cron", when.expression)
    if isinstance(when, ast.OnDays):
        days = tuple((frozenset(d.weekdays), d.workdays, d.holidays) for d in when.days)
        return ("days", days, tuple(t.time for t in when.times))
    if isinstance(when, ast.OnMonthDays):
        return ("month", tuple(when.days), tuple(t.time for t in when.times))
    if isinstance(when, ast.EveryNDays):
        return ("every", when.interval.delta if when.interval else None, when.start.date if when.start else None,
                tuple(t.time for t in when.times))
    return ("other", id(when))


def _occurrences(when: ast.When, policy: Policy, calendar: HolidayCalendar,
                 first: dt.date, last: dt.date) -> list[dt.datetime]:
    exempt = isinstance(when, ast.OnDays) and any(d.holidays or d.workdays for d in when.days)
    # Only `before` and `after` move a post to another day, maybe into the
    # window from outside it: else the days outside it need no looking at.
    margin = MOVE_MARGIN if not exempt and normalize_policy(policy.holidays) in ("before", "after") else NO_MARGIN
    if isinstance(when, ast.OnCron):
        candidates = _cron_times(when.expression, first - margin, last + margin)
    else:
        days = _candidate_days(when, calendar, first - margin, last + margin)
        times = [t.time for t in when.times]
        candidates = [dt.datetime.combine(day, moment) for day in days for moment in times]
    if not exempt and normalize_policy(policy.holidays) != "keep":  # `keep` moves nothing: no need to look
        candidates = (_apply_holiday_policy(c, policy.holidays, calendar) for c in candidates)
    low, high = _window(first, last, policy)
    return sorted({c for c in candidates if c is not None and low <= c.date() <= high})


def launch_occurrences(launch: ast.Launch, policy: Policy, calendar: HolidayCalendar,
                       first: dt.date, last: dt.date) -> list[dt.datetime]:
    """The naive local times in [first, last] a recurring launch (`run NAME
    every 周三 20:00 [from D] [until D]`) launches its timeline at: its days and
    times as a schedule step's (the playbook's holiday policy too), inside
    its own window and the playbook's `active` dates. Worked out for the
    dates asked only, so a launch with no end costs what its window costs."""
    if launch.every is None:
        return []
    window = launch.window
    low = window.start.date if window and window.start else None
    high = window.end.date if window and window.end else None
    if low is not None and policy.active_start is not None:
        low = max(low, policy.active_start)
    if high is not None and policy.active_end is not None:
        high = min(high, policy.active_end)
    bounded = dataclasses.replace(policy, active_start=low or policy.active_start,
                                  active_end=high or policy.active_end)
    return occurrences(launch.every, bounded, calendar, first, last)


def _window(first: dt.date, last: dt.date, policy: Policy) -> tuple[dt.date, dt.date]:
    """[first, last] narrowed to the playbook's `active` dates."""
    low = first if policy.active_start is None else max(first, policy.active_start)
    high = last if policy.active_end is None else min(last, policy.active_end)
    return low, high


def _apply_holiday_policy(moment: dt.datetime, mode: str, calendar: HolidayCalendar) -> dt.datetime | None:
    if not calendar.is_public_holiday(moment.date()):
        return moment
    day = calendar.apply_policy(moment.date(), mode)
    return None if day is None else dt.datetime.combine(day, moment.time())


def _days(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    return map(dt.date.fromordinal, range(first.toordinal(), last.toordinal() + 1))


def _candidate_days(when: ast.When, calendar: HolidayCalendar, first: dt.date, last: dt.date) -> list[dt.date]:
    if isinstance(when, ast.OnDays):
        return list(filter(_day_test(when.days, calendar), _days(first, last)))
    if isinstance(when, ast.OnMonthDays):
        return list(filter(_month_day_test(when.days), _days(first, last)))
    if isinstance(when, ast.EveryNDays):
        if when.interval is None or when.start is None:
            return []
        step = when.interval.delta.days
        start = when.start.date
        return [d for d in _days(max(first, start), last) if (d - start).days % step == 0]
    return []


def _day_test(day_sets: tuple[ast.DaySet, ...], calendar: HolidayCalendar) -> Callable[[dt.date], bool]:
    """One test for a step's day sets (`周一,周三,节假日`), built once rather
    than re-deciding per day which kind each set is. A set is its workdays,
    else its holidays, else its weekdays."""
    weekdays: set[int] = set()
    calendar_tests: list[Callable[[dt.date], bool]] = []
    for days in day_sets:
        if days.workdays:
            calendar_tests.append(calendar.is_workday)
        elif days.holidays:
            calendar_tests.append(calendar.is_public_holiday)
        else:
            weekdays.update(days.weekdays)
    if not calendar_tests:
        return lambda day: day.weekday() in weekdays
    return lambda day: day.weekday() in weekdays or any(test(day) for test in calendar_tests)


def _month_day_test(month_days: tuple[int, ...]) -> Callable[[dt.date], bool]:
    wanted = frozenset(month_days)
    if -1 not in wanted:
        return lambda day: day.day in wanted
    return lambda day: day.day in wanted or (day.day >= 28 and day.day == _month_length(day))


def _month_length(day: dt.date) -> int:
    return month_calendar.monthrange(day.year, day.month)[1]


def _cron_times(expression: str, first: dt.date, last: dt.date) -> list[dt.datetime]:
    """Cron over local wall-clock time (naive on purpose: the zone rule for
    gaps and repeats is applied later, the same for every kind of schedule)."""
    from croniter import croniter  # here, not at the top: most projects have no cron step, and it is slow to import

    try:
        iterator = croniter(expression, dt.datetime.combine(first, dt.time()) - dt.timedelta(minutes=1))
    except Exception:  # already reported by the transformer
        return []
    fields = _plain_cron_fields(expression, iterator)
    if fields is not None:
        result = _plain_cron_times(fields, first, last)
        if result:  # none at all: let croniter decide (it may search years ahead, or raise)
            return result
    end = dt.datetime.combine(last, dt.time.max)
    result = []
    while len(result) < CRON_LIMIT:
        moment = iterator.get_next(dt.datetime)
        if moment > end:
            break
        result.append(moment)
    return result


# ---- cron without croniter's per-firing search ----------------------------------------------
#
# croniter finds each firing by a search that costs ~150 us; a year of a
# weekly cron step is 10 ms, and `sopc check` looks 13 months ahead for every
# step. For the plain five-field form (numbers, `*`, `,`, `-`, `/`) the
# firings are simply the matching days times the matching hours and minutes,
# read from croniter's own parse of the fields. Anything else (names like
# `MON`, `L`, `W`, `#`, `?`, seconds or year fields, `@daily`, hashed `H`)
# goes to croniter's search.

_PLAIN_CRON_CHARS = frozenset("0123456789*/,- \t")


@dataclass(frozen=True, slots=True)
class _CronFields:
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    month_days: frozenset[int] | None   # None: any (`*`)
    months: frozenset[int] | None
    weekdays: frozenset[int] | None     # ISO numbering, Sunday = 7 (cron's 0 or 7)
    day_or: bool                        # both day fields restricted: either may match


def _plain_cron_fields(expression: str, iterator: croniter) -> _CronFields | None:
    expanded = iterator.expanded
    if (len(expanded) != 5 or not _PLAIN_CRON_CHARS.issuperset(expression)
            or iterator.nth_weekday_of_month or getattr(iterator, "nearest_weekday", None)):
        return None
    minutes, hours, month_days, months, weekdays = (None if f[0] == "*" else f for f in expanded)
    if not all(isinstance(v, int) for f in expanded if f[0] != "*" for v in f):
        return None
    return _CronFields(
        minutes=tuple(sorted(minutes)) if minutes is not None else tuple(range(60)),
        hours=tuple(sorted(hours)) if hours is not None else tuple(range(24)),
        month_days=frozenset(month_days) if month_days is not None else None,
        months=frozenset(months) if months is not None else None,
        weekdays=frozenset(7 if d == 0 else d for d in weekdays) if weekdays is not None else None,
        # croniter's rule (vixie cron): with both day fields restricted a day
        # matching either one fires; otherwise both must match.
        day_or=month_days is not None and weekdays is not None)


def _plain_cron_times(fields: _CronFields, first: dt.date, last: dt.date) -> list[dt.datetime]:
    clock = [dt.time(hour, minute) for hour in fields.hours for minute in fields.minutes]
    result: list[dt.datetime] = []
    for day in _days(first, last):
        if _cron_day(fields, day):
            result += (dt.datetime.combine(day, moment) for moment in clock)
            if len(result) >= CRON_LIMIT:
                return result[:CRON_LIMIT]
    return result


def _cron_day(fields: _CronFields, day: dt.date) -> bool:
    if fields.months is not None and day.month not in fields.months:
        return False
    by_date = fields.month_days is None or day.day in fields.month_days
    by_weekday = fields.weekdays is None or day.isoweekday() in fields.weekdays  # isoweekday: Sunday = 7
    return (by_date or by_weekday) if fields.day_or else (by_date and by_weekday)


def summarize_weekly(steps: list[ast.ScheduleStep],
                     title_of: Callable[[ast.ScheduleStep], str | None] | None = None) -> str:
    """A member-facing summary of a playbook's weekly schedule, for welcome
    messages: which weekday, which time, which welfare. Each step by its
    title (:func:`sopc.compile.titles.step_title`), never its internal name:
    a step without one, or an action (not sent to members), is left out."""
    names = WEEKDAY_CN
    title_of = title_of or (lambda step: step_title(step.name, step.body))
    lines: list[tuple[tuple, str]] = []
    for step in steps:
        title = title_of(step)
        if title is None:
            continue
        when = step.when
        times = "、".join(t.text() for t in getattr(when, "times", ()))
        if isinstance(when, ast.OnDays):
            label = _days_label(when.days, names)
            only_holidays = all(d.holidays for d in when.days)  # 节假日 after 工作日, not mixed in by time
            order = min((min(d.weekdays) for d in when.days if d.weekdays), default=7.5 if only_holidays else 7)
        elif isinstance(when, ast.OnMonthDays):
            label = "每月" + "、".join("最后一天" if d == -1 else f"{d}日" for d in when.days)
            order = 8
        elif isinstance(when, ast.EveryNDays) and when.interval:
            label = f"每{when.interval.delta.days}天"
            order = 9
        else:
            continue
        lines.append(((order, times, title), f"{label} {times} {title}".strip()))
    return "\n".join(text for _, text in sorted(lines))


def _days_label(days: tuple[ast.DaySet, ...], names: tuple[str, ...]) -> str:
    labels = []
    for d in days:
        if d.workdays:
            labels.append("工作日")
        elif d.holidays:
            labels.append("节假日")
        elif len(d.weekdays) == 7:
            labels.append("每天")
        else:
            labels.append("、".join(_day_runs(sorted(d.weekdays), names)))
    return "、".join(labels)


def _day_runs(days: list[int], names: tuple[str, ...]) -> list[str]:
    """Weekdays as a member reads them: three or more in a row as a range
    (周一至周五), the others one by one (周一、周三)."""
    runs: list[list[int]] = []
    for day in days:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    words: list[str] = []
    for run in runs:
        if len(run) >= 3:
            words.append(f"{names[run[0]]}至{names[run[-1]]}")
        else:
            words.extend(names[day] for day in run)
    return words
