"""Stage 5a, occurrences: when does a schedule fire?

Turns a `When` (weekly days, month days, every N days, cron) plus a playbook's
policies (holidays, active window) into the local wall-clock datetimes it
fires at inside a date window. Computed once per schedule step, not per
group: every group of a playbook shares its zone and calendar.
"""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
from typing import Iterator

from croniter import croniter

from sopc import ast
from sopc.calendar import HolidayCalendar
from sopc.compile import Policy

# Holiday moves can pull a date across the window's edge; look this far past it.
MOVE_MARGIN = dt.timedelta(days=21)


def occurrences(when: ast.When, policy: Policy, calendar: HolidayCalendar,
                first: dt.date, last: dt.date) -> list[dt.datetime]:
    """Sorted naive local datetimes in [first, last] (inclusive dates)."""
    if isinstance(when, ast.OnCron):
        candidates = _cron_times(when.expression, first - MOVE_MARGIN, last + MOVE_MARGIN)
    else:
        days = _candidate_days(when, calendar, first - MOVE_MARGIN, last + MOVE_MARGIN)
        times = [t.time for t in when.times]
        candidates = [dt.datetime.combine(day, moment) for day in days for moment in times]
    exempt = isinstance(when, ast.OnDays) and any(d.holidays or d.workdays for d in when.days)
    moved = (_apply_holiday_policy(c, policy.holidays, calendar, exempt) for c in candidates)
    window = {c for c in moved if c is not None and first <= c.date() <= last and _active(c.date(), policy)}
    return sorted(window)


def _active(day: dt.date, policy: Policy) -> bool:
    return (policy.active_start is None or day >= policy.active_start) and \
           (policy.active_end is None or day <= policy.active_end)


def _apply_holiday_policy(moment: dt.datetime, mode: str, calendar: HolidayCalendar,
                          exempt: bool) -> dt.datetime | None:
    if exempt or not calendar.is_public_holiday(moment.date()):
        return moment
    day = calendar.apply_policy(moment.date(), mode)
    return None if day is None else dt.datetime.combine(day, moment.time())


def _days(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    for offset in range((last - first).days + 1):
        yield first + dt.timedelta(days=offset)


def _candidate_days(when: ast.When, calendar: HolidayCalendar, first: dt.date, last: dt.date) -> list[dt.date]:
    if isinstance(when, ast.OnDays):
        return [d for d in _days(first, last) if any(_day_matches(s, d, calendar) for s in when.days)]
    if isinstance(when, ast.OnMonthDays):
        return [d for d in _days(first, last) if _month_day_matches(when.days, d)]
    if isinstance(when, ast.EveryNDays):
        if when.interval is None or when.start is None:
            return []
        step = when.interval.delta.days
        start = when.start.date
        return [d for d in _days(max(first, start), last) if (d - start).days % step == 0]
    return []


def _day_matches(days: ast.DaySet, day: dt.date, calendar: HolidayCalendar) -> bool:
    if days.workdays:
        return calendar.is_workday(day)
    if days.holidays:
        return calendar.is_public_holiday(day)
    return day.weekday() in days.weekdays


def _month_day_matches(days: tuple[int, ...], day: dt.date) -> bool:
    last = month_calendar.monthrange(day.year, day.month)[1]
    return day.day in days or (-1 in days and day.day == last)


def _cron_times(expression: str, first: dt.date, last: dt.date) -> list[dt.datetime]:
    """Cron over local wall-clock time (naive on purpose: the zone rule for
    gaps and repeats is applied later, the same for every kind of schedule)."""
    try:
        iterator = croniter(expression, dt.datetime.combine(first, dt.time()) - dt.timedelta(minutes=1))
    except Exception:  # already reported by the transformer
        return []
    end = dt.datetime.combine(last, dt.time.max)
    result: list[dt.datetime] = []
    while len(result) < 100_000:
        moment = iterator.get_next(dt.datetime)
        if moment > end:
            break
        result.append(moment)
    return result


def summarize_weekly(steps: list[ast.ScheduleStep]) -> str:
    """A member-facing summary of a playbook's weekly schedule, for welcome
    messages: which weekday, which time, which welfare."""
    names = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
    lines: list[tuple[tuple, str]] = []
    for step in steps:
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
        title = step.name.value
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
            labels.append("、".join(names[i] for i in sorted(d.weekdays)))
    return "、".join(labels)
