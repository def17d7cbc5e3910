"""Checks that read the compiled program without expanding the plan."""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import itertools
from typing import Iterable, Iterator

from sopc.lang import ast
from sopc.checks.context import CheckContext
from sopc.compile.resolve import CompiledPlaybook, Program, Step
from sopc.core.diagnostics import Diagnostic, Span, did_you_mean, error, warning
from sopc.core.i18n import N_, _, ngettext
from sopc.core.senders import read_registry, sender_specs
from sopc.compile.resolve import rounds
from sopc.compile.jinja_tags import name_in_tags
from sopc.plan.expand import launch_anchor
from sopc.plan.slots import step_time
from sopc.plan.schedule import launch_occurrences, occurrences
from sopc.project.calendar import normalize_policy
from sopc.core.vocabulary import WEEKDAY_CN
from sopc.core.timeutil import is_ambiguous, is_nonexistent, localize
from sopc.core.contract import carried_forms, carried_where, mention_form
from sopc.core.vocabulary import ALWAYS_PROVIDED, ROLE_WORDS, mention_role, mention_words_text



def _quiet_text(playbook: CompiledPlaybook) -> str:
    p = playbook.policy
    return f"{p.quiet_start:%H:%M}-{p.quiet_end:%H:%M}"


def _quiet_hint(playbook: CompiledPlaybook) -> str:
    p = playbook.policy
    if p.quiet_mode == "skip":
        return _("it would be skipped; move the step, or change the playbook's `quiet` line (`quiet off` allows "
                 "any hour)")
    return _("it would be held until {end}; move the step, or change the playbook's `quiet` line (`quiet off` "
             "allows any hour)").format(end=f"{p.quiet_end:%H:%M}")


def check_quiet_hours(program: Program, context: CheckContext) -> Iterator[Diagnostic]:
    for playbook in program.playbooks:
        if playbook.policy.quiet_start is None:
            continue
        for schedule_step, _step in playbook.schedule:
            for moment in getattr(schedule_step.when, "times", ()):
                if playbook.policy.in_quiet_hours(moment.time):
                    yield error("E0301", _("`{step}` at {time} falls in `{playbook}`'s quiet hours ({quiet})").format(
                        step=schedule_step.name.value, time=moment.text(), playbook=playbook.name,
                        quiet=_quiet_text(playbook)), moment.span, _quiet_hint(playbook))
        for launch in playbook.launches:
            yield from _launch_quiet(program, playbook, launch, context)


def _launch_quiet(program: Program, playbook: CompiledPlaybook, launch, context: CheckContext
                  ) -> Iterator[Diagnostic]:
    """Each step of the launch that falls in quiet hours, once per step: for a
    recurring launch, at its first such launch in the check window."""
    reported: set[str] = set()
    for anchor in _checked_anchors(program, playbook, launch, context):
        for timeline_step, step in launch.steps:
            if step.written_name in reported:  # a repeated step: its first round in quiet hours
                continue
            moment = step_time(anchor, timeline_step.offset, timeline_step.at_time, playbook.zone, step.shift)
            if moment and playbook.policy.in_quiet_hours(moment.astimezone(playbook.zone).time()):
                reported.add(step.written_name)
                if launch.launch.recurring:
                    message = _("step `{step}` of this launch falls at {time} (launched {launched}), in "
                                "`{playbook}`'s quiet hours ({quiet})")
                else:
                    message = _("step `{step}` of this launch falls at {time}, in `{playbook}`'s quiet hours ({quiet})")
                yield error("E0301", message.format(
                    step=step.name, time=f"{moment.astimezone(playbook.zone):%m-%d %H:%M}",
                    launched=f"{anchor:%m-%d %H:%M}", playbook=playbook.name, quiet=_quiet_text(playbook)),
                    launch.launch.span, _quiet_hint(playbook))


def _checked_anchors(program: Program, playbook: CompiledPlaybook, launch, context: CheckContext
                     ) -> list[dt.datetime]:
    """T of each launch the checks look at: a dated launch's, or a recurring
    launch's within the check window (from a day before it: a `T-10m` step)."""
    if not launch.launch.recurring:
        anchor = launch_anchor(playbook, launch)
        return [] if anchor is None else [anchor]
    first = (context.start - dt.timedelta(days=1)).astimezone(playbook.zone).date()
    last = context.end.astimezone(playbook.zone).date()
    return [localize(wall, playbook.zone) for wall in
            launch_occurrences(launch.launch, playbook.policy, program.project.calendar, first, last)]


def check_local_times(program: Program, context: CheckContext) -> Iterator[Diagnostic]:
    """Where the zone has daylight saving, say what happens to a local time
    that does not exist or occurs twice (the rule: shift forward; first)."""
    for playbook in program.playbooks:
        first = context.start.astimezone(playbook.zone).date()
        last = context.end.astimezone(playbook.zone).date() + dt.timedelta(days=366)
        if not _has_clock_changes(playbook.zone, first, last):
            continue  # e.g. Asia/Shanghai: nothing to find, and expanding costs time
        for schedule_step, _step in playbook.schedule:
            reported: set[dt.time] = set()
            for wall in occurrences(schedule_step.when, playbook.policy, program.project.calendar, first, last):
                problem = _dst_problem(wall, playbook)
                if problem and wall.time() not in reported:
                    reported.add(wall.time())
                    yield warning("W0309", _("`{step}` at {time}: {problem}").format(
                        step=schedule_step.name.value, time=f"{wall:%H:%M}", problem=problem),
                        _time_span(schedule_step.when, wall.time()),
                        _("pick a time outside the clock change (e.g. before 01:00 or after 03:00)"))


def _time_span(when: ast.When, moment: dt.time):
    """The written time a wall-clock occurrence comes from (the whole
    schedule for cron lines)."""
    for written in getattr(when, "times", ()):
        if written.time == moment:
            return written.span
    return when.span


def _has_clock_changes(zone, first: dt.date, last: dt.date) -> bool:
    """Any change of UTC offset between the two dates (checked monthly: zones
    change clocks at most a few times a year, months apart)."""
    probes = [dt.datetime(first.year, first.month, 1) + dt.timedelta(days=30 * i)
              for i in range((last - first).days // 30 + 2)]
    return len({zone.utcoffset(p) for p in probes}) > 1


def _dst_problem(wall: dt.datetime, playbook: CompiledPlaybook) -> str | None:
    """The daylight-saving rule, stated: a local time that does not exist
    moves forward by the length of the jump; one that happens twice is sent
    once, at its first occurrence."""
    zone = playbook.zone
    if is_nonexistent(wall, zone):
        shifted = localize(wall, zone)
        jump = shifted.replace(tzinfo=None) - wall
        return _("on {day} that time does not exist in {zone} (the clocks jump forward {jump}), so it is sent at "
                 "{time} (a local time that does not exist moves forward by the jump)").format(
                     day=f"{wall:%Y-%m-%d}", zone=playbook.zone_name, jump=_fmt(jump), time=f"{shifted:%H:%M}")
    if is_ambiguous(wall, zone):
        first = localize(wall, zone)
        back = first.utcoffset() - wall.replace(tzinfo=zone, fold=1).utcoffset()
        return _("on {day} that time happens twice in {zone} (the clocks go back {back}), so it is sent once, "
                 "at the first {time} ({offset})").format(day=f"{wall:%Y-%m-%d}", zone=playbook.zone_name,
                                                          back=_fmt(back), time=f"{wall:%H:%M}", offset=first.tzname())
    return None


def check_timelines(program: Program, context: CheckContext) -> Iterator[Diagnostic]:
    for timeline in program.timelines.values():
        offsets = [s.offset for s in timeline.steps if s.offset is not None]
        if timeline.max_length and offsets:
            length = max(offsets) - min(offsets)
            if length > timeline.max_length.delta:
                yield error("E0305", _("timeline `{timeline}` runs {length} from its first step to its last, longer "
                                       "than its maximum of {maximum}").format(
                    timeline=timeline.name.value, length=_fmt(length), maximum=timeline.max_length.text),
                    timeline.max_length.span, _("move steps closer to T, or raise `max`"))
            else:
                yield from _rounds_past_max(timeline, min(offsets), max(offsets))
        yield from _after_dissolve(timeline)
        yield from _duplicate_timeline_steps(timeline)


def _rounds_past_max(timeline: ast.Timeline, first: dt.timedelta, last: dt.timedelta) -> Iterator[Diagnostic]:
    """A repeated step whose later rounds take the timeline past its `max`:
    reported at the step's `every ... xN`, naming the first round too late."""
    limit = timeline.max_length.delta
    for step in timeline.steps:
        if step.offset is None or step.repeat is None:
            continue
        for number, shift in rounds(step)[1:]:
            offset = step.offset + shift
            if max(last, offset) - min(first, offset) > limit:
                yield error("E0305", _("round {number} of `{step}` comes at {at}, {after} after the first step of "
                                       "timeline `{timeline}`, past its maximum of {maximum}").format(
                    number=number, step=step.name.value, at=f"T{_signed(offset)}", after=_fmt(offset - first),
                    timeline=timeline.name.value, maximum=timeline.max_length.text), step.repeat.span,
                    _("send fewer rounds (`x{count}`), closer together, or raise `max`").format(count=number - 1))
                break


def _fmt(delta: dt.timedelta) -> str:
    from sopc.core.timeutil import format_duration
    return format_duration(delta)


def _after_dissolve(timeline: ast.Timeline) -> Iterator[Diagnostic]:
    dissolves = [s.offset for s in timeline.steps if isinstance(s.body, ast.DissolveGroup) and s.offset is not None]
    if not dissolves:
        return
    end = min(dissolves)
    for step in timeline.steps:
        if step.offset is not None and step.offset > end:
            yield error("E0306", _("step `{step}` ({offset}) comes after the group is dissolved ({end})").format(
                step=step.name.value, offset=step.offset_text, end=f"T{_signed(end)}"), step.span,
                _("move it before the `dissolve group` step, or drop it"))
            continue
        late = next(((n, s) for n, s in rounds(step)[1:] if step.offset is not None and step.offset + s > end), None)
        if late is not None:
            number, shift = late
            yield error("E0306", _("round {number} of `{step}` ({offset}) comes after the group is dissolved "
                                   "({end})").format(number=number, step=step.name.value,
                                                     offset=f"T{_signed(step.offset + shift)}", end=f"T{_signed(end)}"),
                        step.repeat.span,
                        _("send fewer rounds (`x{count}`), or move the `dissolve group` step later").format(count=number - 1))


def _signed(delta: dt.timedelta) -> str:
    if not delta:
        return ""
    return ("-" if delta < dt.timedelta(0) else "+") + _fmt(abs(delta))


def _duplicate_timeline_steps(timeline: ast.Timeline) -> Iterator[Diagnostic]:
    for name in ast.repeated_names(s.name for s in timeline.steps):
        yield error("E0209", _("step name `{step}` is used twice in timeline `{timeline}`").format(
            step=name.value, timeline=timeline.name.value), name.span,
            _("step names identify messages (their ids); give each step its own name"))


def check_launches(program: Program, context: CheckContext) -> Iterator[Diagnostic]:
    for playbook in program.playbooks:
        for launch in playbook.launches:
            a = launch.launch
            if a.recurring:
                yield from _recurring_launch(program, playbook, launch, context)
                continue
            if a.at_date is None or a.at_time is None:
                continue
            at = localize(dt.datetime.combine(a.at_date.date, a.at_time.time), playbook.zone)
            if at < context.now:
                yield warning("W0307", _("this launch of `{timeline}` at {at} is in the past").format(
                    timeline=a.timeline.value, at=f"{a.at_date.date} {a.at_time.text()}"), a.span,
                    _("change the date, or delete the line once the sale is over"))


def _recurring_launch(program: Program, playbook: CompiledPlaybook, launch, context: CheckContext
                      ) -> Iterator[Diagnostic]:
    """`run NAME every ...`: its last launch already past (W0307), a window
    with no launch in it (W0321), or launches that overlap one another in
    the same groups (W0320)."""
    a = launch.launch
    today = context.now.astimezone(playbook.zone).date()
    last_day = _last_launch_day(a, playbook)
    if last_day is not None and last_day < today:
        by_until = a.window is not None and a.window.end is not None and a.window.end.date == last_day
        if by_until:
            message = _("this recurring launch of `{timeline}` ended on {day}, in the past")
            hint = _("change its `until` date, or delete the line")
        else:
            message = _("this recurring launch of `{timeline}` ended on {day}, in the past (the end of `{playbook}`'s "
                        "`active` dates)")
            hint = _("change the playbook's `active` line, or delete the launch")
        yield warning("W0307", message.format(timeline=a.timeline.value, day=last_day, playbook=playbook.name),
                      a.span, hint)
        return
    reversed_window = a.window and a.window.start and a.window.end and a.window.end.date < a.window.start.date
    if last_day is not None and not reversed_window and not _launches_between(program, playbook, a, today, last_day):
        first_day = a.window.start.date if a.window and a.window.start else today
        yield warning("W0321", _("this recurring launch of `{timeline}` never launches: none of its days falls "
                                 "between {first} and {last}").format(timeline=a.timeline.value,
                                                                      first=max(first_day, today), last=last_day),
                      a.span, _("widen its `from` / `until` dates, or check its days and the playbook's `on holidays`"))
        return
    yield from _overlapping_launches(program, playbook, launch, context)


def _last_launch_day(launch: ast.Launch, playbook: CompiledPlaybook) -> dt.date | None:
    ends = [launch.window.end.date] if launch.window and launch.window.end else []
    ends += [playbook.policy.active_end] if playbook.policy.active_end else []
    return min(ends) if ends else None


NEVER_LAUNCHES_HORIZON = dt.timedelta(days=400)  # past a year, some day of any day set comes


def _launches_between(program: Program, playbook: CompiledPlaybook, launch: ast.Launch,
                      today: dt.date, last: dt.date) -> bool:
    first = max(today, launch.window.start.date if launch.window and launch.window.start else today)
    if last - first > NEVER_LAUNCHES_HORIZON:
        return True
    return bool(launch_occurrences(launch, playbook.policy, program.project.calendar, first, last))


def _overlapping_launches(program: Program, playbook: CompiledPlaybook, launch, context: CheckContext
                          ) -> Iterator[Diagnostic]:
    """Two launches of one `run ... every` line whose steps interleave in
    the groups it reaches: the later starts before the earlier is done."""
    zone, name = playbook.zone, launch.launch.timeline.value
    previous = None  # (T, its last step's (time, name)) of the launch before
    for anchor in _checked_anchors(program, playbook, launch, context):
        times = _step_times(playbook, launch, anchor)
        if not times:
            return
        first = min(times)
        if previous is not None and first[0] < previous[1][0] and anchor >= context.start:
            (earlier, (end, end_step)), (begin, begin_step) = previous, first
            yield warning("W0320", _("the launches of `{timeline}` at {earlier} and {later} overlap in the same "
                                     "groups: the later one's `{begin_step}` ({begin}) comes before the earlier "
                                     "one's `{end_step}` ({end})").format(
                timeline=name, earlier=f"{earlier.astimezone(zone):%m-%d %H:%M}",
                later=f"{anchor.astimezone(zone):%m-%d %H:%M}", begin_step=begin_step,
                begin=f"{begin.astimezone(zone):%m-%d %H:%M}", end_step=end_step, end=f"{end.astimezone(zone):%m-%d %H:%M}"),
                launch.launch.span,
                _("launch it less often, or shorten the timeline so one launch ends before the next begins"))
            return
        previous = (anchor, max(times))


def _step_times(playbook: CompiledPlaybook, launch, anchor: dt.datetime) -> list[tuple[dt.datetime, str]]:
    """(when, step name) of each step (each round) of one launch at ``anchor``."""
    times = []
    for timeline_step, step in launch.steps:
        moment = step_time(anchor, timeline_step.offset, timeline_step.at_time, playbook.zone, step.shift)
        if moment is not None:
            times.append((moment, step.name))
    return times


def check_calendar_coverage(program: Program, context: CheckContext) -> Iterator[Diagnostic]:
    """W0308, only where it matters: a holiday-sensitive rule (`on holidays`,
    工作日, 节假日) that reaches, in the checked window, a date whose answer
    the next announcement of China's holiday schedule can still change. A
    date the law or sopc.toml already settles is no reason to warn, so a
    project passes `--strict` in December (the next year unannounced) unless
    it really posts on such a date."""
    calendar = program.project.calendar
    for playbook in program.playbooks:
        first = context.start.astimezone(playbook.zone).date()
        last = context.end.astimezone(playbook.zone).date()
        if not calendar.uncovered_years(first, last + dt.timedelta(days=3)):  # late Dec: next year's 元旦
            continue
        for found in _unannounced_dates(playbook, calendar, first, last):
            yield _coverage_warning(playbook, *found)


def _unannounced_dates(playbook: CompiledPlaybook, calendar, first: dt.date, last: dt.date):
    """(year, date, step, rule, span) for the first date each holiday-sensitive
    rule of ``playbook`` meets whose answer is not final yet."""
    mode = normalize_policy(playbook.policy.holidays) or "keep"
    by_rule: dict = {}
    for schedule_step, _step in playbook.schedule:
        when, name = schedule_step.when, schedule_step.name.value
        day_sets = [d for d in when.days if d.workdays or d.holidays] if isinstance(when, ast.OnDays) else []
        if day_sets:
            found = _first_unannounced_day(when, day_sets, playbook.policy, calendar, first, last)
            if found:
                rule = "工作日" if any(d.workdays for d in day_sets) else "节假日"
                by_rule.setdefault(day_sets[0].span, (*found, name, rule, day_sets[0].span))
        elif mode != "keep":
            found = _first_unannounced_post(when, playbook.policy, mode, calendar, first, last)
            if found:
                span = playbook.ast.holidays.span if playbook.ast.holidays else playbook.ast.name.span
                year, day = found
                if span not in by_rule or day < by_rule[span][1]:
                    by_rule[span] = (year, day, name, f"on holidays {playbook.policy.holidays}", span)
    return sorted(by_rule.values(), key=lambda item: (item[1], item[2]))


def _first_unannounced_day(when: ast.OnDays, day_sets, policy, calendar, first: dt.date, last: dt.date):
    """A 工作日 / 节假日 step asks the calendar about every day that no plain weekday of it covers."""
    asks = "workday" if any(d.workdays for d in day_sets) else "holiday"
    weekdays = {w for d in when.days for w in d.weekdays}
    low = max(first, policy.active_start or first)
    high = min(last, policy.active_end or last)
    for offset in range((high - low).days + 1):
        day = low + dt.timedelta(days=offset)
        year = day.weekday() not in weekdays and calendar.unannounced(day, asks=asks)
        if year:
            return year, day
    return None


def _first_unannounced_post(when: ast.When, policy, mode: str, calendar, first: dt.date, last: dt.date):
    """The first post of a step under `on holidays skip|before|after` whose
    day may yet turn out a holiday (or, moved off a holiday, whose target workday may change)."""
    as_planned = dataclasses.replace(policy, holidays="keep")
    for moment in occurrences(when, as_planned, calendar, first, last):
        day = moment.date()
        year = calendar.unannounced(day, asks="holiday")
        if not year and mode in ("before", "after") and calendar.is_public_holiday(day):
            year = calendar.unannounced(day, asks="workday") or _unannounced_move(calendar, day, mode)
        if year:
            return year, day
    return None


def _unannounced_move(calendar, day: dt.date, mode: str) -> int | None:
    """Moving a post off a holiday walks to the nearest workday: any day on
    the way (and the one it lands on) may still change."""
    step = dt.timedelta(days=-1 if mode == "before" else 1)
    for _day in range(21):
        day += step
        year = calendar.unannounced(day, asks="workday")
        if year or calendar.is_workday(day):
            return year or None
    return None


def _coverage_warning(playbook: CompiledPlaybook, year: int, day: dt.date, step: str, rule: str, span) -> Diagnostic:
    when = f"{day} ({WEEKDAY_CN[day.weekday()]})"
    if rule == "工作日":
        what = _("`{step}` of `{playbook}` runs on {rule}, and whether {when} is a workday may still change")
    elif rule == "节假日":
        what = _("`{step}` of `{playbook}` runs on {rule}, and whether {when} is a holiday may still change")
    else:
        what = _("`{playbook}` posts `{step}` on {when} under `{rule}`, and whether that day is a holiday may still "
                 "change")
    what = what.format(step=step, playbook=playbook.name, rule=rule, when=when)
    return warning("W0308", _("China's holiday schedule for {year} is not announced yet: {what}").format(
        year=year, what=what), span,
        _("upgrade chinese-calendar once the State Council publishes {year}'s schedule, or list that year's days in "
          "sopc.toml under [calendar] holidays / workdays").format(year=year))


# ---- templates -----------------------------------------------------------------------

def _steps_with_context(playbook: CompiledPlaybook) -> Iterator[tuple[Step, frozenset[str], str]]:
    base = ALWAYS_PROVIDED | set(playbook.variables)
    for _written, step in playbook.schedule:
        yield step, base, _("a scheduled step")
    for launch in playbook.launches:
        for _written, step in launch.steps:
            yield (step, base | {"T"} | set(launch.variables),
                   _("timeline `{timeline}`").format(timeline=launch.timeline.name.value))
    for trigger in playbook.triggers:
        for _offset, _at, step in trigger.steps:
            yield step, base | {"T", "member", "event"}, _("a lifecycle step")


def _library_launch_steps(program: Program, playbook: CompiledPlaybook) -> dict[int, object]:
    """Steps of timelines from imported files (the standard library), by id,
    mapped to the `run` line that launches them: the user fixes a missing
    variable there (`with price=...`), not in a file they cannot edit."""
    own = {f.path for f in program.project.files}
    return {id(step): launch for launch in playbook.launches for _, step in launch.steps
            if step.span.path not in own}


def _missing_on_run_line(program: Program, playbook: CompiledPlaybook) -> Iterator[Diagnostic]:
    missing: dict[tuple[int, str], list[Step]] = {}
    launches = _library_launch_steps(program, playbook)
    for launch in playbook.launches:
        provided = ALWAYS_PROVIDED | set(playbook.variables) | {"T"} | set(launch.variables)
        for _written, step in launch.steps:
            if id(step) in launches and step.template is not None:
                for name in sorted(step.template.variables - provided - set(step.variables)):
                    missing.setdefault((id(launch), name), []).append(step)
    by_id = {id(launch): launch for launch in playbook.launches}
    for (launch_id, name), steps in missing.items():
        launch = by_id[launch_id]
        timeline, where = launch.timeline.name.value, steps[0].span
        names = ", ".join(f"`{s.name}`" for s in steps)
        yield error("E0405", ngettext("`{name}` has no value in timeline `{timeline}` launched here (step {steps}; "
                                      "{where})", "`{name}` has no value in timeline `{timeline}` launched here "
                                      "(steps {steps}; {where})", len(steps)).format(
            name=name, timeline=timeline, steps=names, where=f"{where.path}:{where.line}"),
            launch.launch.span, _("give it a value on this line: `... with {name}=...`").format(name=name))


def check_template_variables(program: Program, context: CheckContext) -> Iterator[Diagnostic]:
    seen: set[tuple] = set()
    for playbook in program.playbooks:
        columns = _roster_columns(playbook)
        yield from _missing_on_run_line(program, playbook)
        from_library = _library_launch_steps(program, playbook)
        for step, provided, where in _steps_with_context(playbook):
            if step.template is None:
                continue
            for name in sorted(step.template.variables - provided - set(step.variables)):
                if id(step) in from_library:
                    continue  # reported at the `run` line above
                key = (id(step.template), name, where, playbook.name)
                if key not in seen:
                    seen.add(key)
                    yield _unknown_variable(name, step, provided | set(step.variables), where, playbook,
                                            program.project.sources)
            for attribute in sorted(step.template.attribute_uses().get("group", frozenset()) - columns):
                if (id(step.template), "group." + attribute) not in seen:
                    seen.add((id(step.template), "group." + attribute))
                    yield error("E0407", _("`group.{attribute}`: no group of `{playbook}` has a `{attribute}` "
                                           "column in the roster").format(attribute=attribute, playbook=playbook.name),
                                _name_span(program.project.sources, _content_span(step), f"group.{attribute}"),
                                did_you_mean(attribute, columns) or _("add the column to the roster"))


def _roster_columns(playbook: CompiledPlaybook) -> set[str]:
    """The columns every group of the playbook has a value in. Counted in
    one pass at C speed (a set per group made 100,000 sets per call)."""
    columns = {"id", "name", "tags"}
    groups = playbook.groups
    if groups:
        counts = collections.Counter(itertools.chain.from_iterable(g.variables for g in groups))
        columns |= {column for column, count in counts.items() if count == len(groups)}
    return columns


def _content_span(step: Step):
    body = step.body
    content = getattr(body, "content", None)
    return getattr(content, "span", step.span)


def _unknown_variable(name: str, step: Step, provided, where: str, playbook: CompiledPlaybook,
                      sources=None) -> Diagnostic:
    if name in ("member", "event"):
        hint = _("`{name}` exists only in lifecycle steps (under `on member.joined` and the like)").format(name=name)
    elif name == "T":
        hint = _("`T` exists only in timeline steps launched with `run`")
    elif name == "round":
        hint = _("`round` exists only in repeated steps: `T+15m every 15m x3 lottery \"第 {{ round }} 轮\"`")
    else:
        hint = did_you_mean(name, provided) or _(
            "give it a value: `{name}=...` on the step, `vars {name}=...` in the playbook, "
            "or `with {name}=...` on the `run` line").format(name=name)
    in_file = step.template.variable_span(name)
    if in_file is not None and in_file.path != step.span.path:  # a template file: point into it
        message = _("`{name}` has no value in {where} of `{playbook}` (step `{step}` at {at})").format(
            name=name, where=where, playbook=playbook.name, step=step.name, at=f"{step.span.path}:{step.span.line}")
        return error("E0405", message, in_file, hint)
    message = _("`{name}` has no value in {where} of `{playbook}` (step `{step}`)").format(
        name=name, where=where, playbook=playbook.name, step=step.name)
    return error("E0405", message, _name_span(sources, _content_span(step), name), hint)


def _name_span(sources, span, name: str):
    """Where ``name`` is used inside the Jinja tags of the text ``span``
    covers (an inline text in a .sop file); ``span`` itself when not found."""
    text = sources.get(span.path) if sources else None
    if not isinstance(text, str):
        return span
    lines = text.split("\n")
    for number in range(span.line, min(span.end_line, len(lines)) + 1):
        line = lines[number - 1].rstrip("\r")
        start = span.column - 1 if number == span.line else 0
        end = span.end_column - 1 if number == span.end_line else len(line)
        found = name_in_tags(line, name, start, max(start, end))
        if found:
            return Span(path=span.path, line=number, column=found[0] + 1, end_line=number, end_column=found[1] + 1)
    return span


def static_render_problems(program: Program) -> set:
    """Spans of the steps whose templates the checks above already report as
    unrenderable (a variable with no value, a roster column that is missing)."""
    spans = set()
    for playbook in program.playbooks:
        columns = _roster_columns(playbook)
        for step, provided, _where in _steps_with_context(playbook):
            template = step.template
            if template is None:
                continue
            if template.variables - provided - set(step.variables) or \
                    template.attribute_uses().get("group", frozenset()) - columns:
                spans.add(step.span)
    return spans


def check_mentions(program: Program, context: CheckContext) -> Iterator[Diagnostic]:
    seen: set = set()
    for playbook in program.playbooks:
        plain = [step for _written, step in playbook.schedule] + [s for l in playbook.launches for _t, s in l.steps]
        for step in plain:
            for mention in getattr(step.body, "mentions", ()):
                if mention.is_member:
                    yield error("E0410", _("`@{mention}` mentions the member an event is about, but `{step}` is not "
                                           "a lifecycle step").format(mention=mention.target, step=step.name),
                                mention.span, _("use `@all`, a user id, or move the step under `on member.joined`"))
        for step in playbook.all_steps():
            for mention in getattr(step.body, "mentions", ()):
                if mention.span not in seen:
                    seen.add(mention.span)
                    yield from _role_lookalike(mention)
            yield from _owner_missing(playbook, step)


def _role_lookalike(mention) -> Iterator[Diagnostic]:
    """A mention word that is no role but reads like one: Chinese (user ids
    of WeCom, DingTalk, Feishu and Slack are ASCII), or a near miss of a role
    word. It would be sent as a user id that reaches nobody."""
    word = mention.target
    if mention_role(word) or (word.isascii() and not did_you_mean(word, ROLE_WORDS)):
        return
    words = _("mention words: {words}; anything else is a user id or a mobile number, sent as written").format(
        words=mention_words_text())
    yield warning("W0411", _("`@{word}` is not a mention word sopc knows: it would be sent as the user id `{word}`, "
                             "which notifies nobody").format(word=word), mention.span,
                  " ".join(filter(None, [did_you_mean(word, ROLE_WORDS), words])))


def _owner_missing(playbook: CompiledPlaybook, step: Step) -> Iterator[Diagnostic]:
    """`@owner` where the roster names no owner for some of the groups."""
    owners = [m for m in getattr(step.body, "mentions", ()) if mention_role(m.target) == "owner"]
    if not owners:
        return
    missing = [group.id for group in playbook.groups if not group.owner]
    if missing:
        shown = ", ".join(f"`{g}`" for g in missing[:5])
        if len(missing) > 5:
            shown = _("{groups} and {more} more").format(groups=shown, more=len(missing) - 5)
        yield error("E0412", _("`@{mention}` mentions the group's owner, but the roster names no owner for {groups} "
                               "(step `{step}` of `{playbook}`)").format(
            mention=owners[0].target, groups=shown, step=step.name, playbook=playbook.name), owners[0].span,
            _("fill the roster's `owner` (群主) column with the owner's user id"))


def check_sender_kinds(program: Program, context: CheckContext) -> Iterator[Diagnostic]:
    """Every `[senders.NAME]` in sopc.toml names a kind sopc can send with
    (read from the installed specs: no sender code is imported)."""
    registry = read_registry()
    kinds = sorted(registry.installed)
    for name, config in program.project.config.senders.items():
        if config.kind in registry.installed:
            continue
        if config.kind in registry.problems:  # installed, but its plugin is broken
            yield error("E0501", _("sender `{name}`: {problem}").format(name=name, problem=registry.problems[config.kind]),
                        _kind_span(config),
                        _("fix or reinstall the package that registers it (`sopc senders` lists every kind)"))
            continue
        hint = did_you_mean(config.kind, kinds) or _("kinds: {kinds}").format(kinds=", ".join(kinds))
        yield error("E0501", _("sender `{name}` has an unknown kind `{kind}`").format(name=name, kind=config.kind),
                    _kind_span(config), hint)


def _kind_span(config):
    """The `kind = ...` line of a `[senders.NAME]` table (the loader kept it)."""
    return config.kind_span or config.span


def check_senders(program: Program, context: CheckContext) -> Iterator[Diagnostic]:
    specs = sender_specs()
    senders = program.project.config.senders
    for playbook in program.playbooks:
        reported: set[tuple] = set()
        for group in playbook.groups:
            name = program.sender_for(playbook, group)
            config = senders.get(name)
            kind = config.kind if config else ("console" if name == "console" else None)
            if kind is None:
                if name != playbook.sender and ("unknown", name) not in reported:  # playbook's own: E0201 already
                    reported.add(("unknown", name))
                    yield error("E0201", _("group `{group}` names sender `{name}`, which sopc.toml does not "
                                           "declare").format(group=group.id, name=name),
                                group.span, did_you_mean(name, senders) or _("declare it under [senders]"))
                continue
            if kind not in specs:  # unknown kind: the sender-kinds check reports it
                continue
            yield from _sender_limits(playbook, group, name, specs[kind].limits, reported)
        yield from _staff_sender_carries(playbook, senders, specs, reported)


def _staff_sender_carries(playbook, senders, specs, reported: set) -> Iterable[Diagnostic]:
    """`staff NAME`: the playbook's actions against that sender (an unknown
    name is E0201 already)."""
    name = playbook.staff_sender
    config = senders.get(name) if name else None
    if config is None or config.kind not in specs or not playbook.groups:
        return
    for step in playbook.all_steps():
        if step.kind == "action":
            yield from _member_steps_carried(step, name, specs[config.kind].limits, reported)


def _sender_limits(playbook, group, sender: str, limits, reported: set) -> Iterable[Diagnostic]:
    if group.external and not limits.external_groups and ("external", sender) not in reported:
        reported.add(("external", sender))
        yield error("E0504", _("`{group}` is an external customer group; sender `{sender}` ({kind}) cannot post "
                               "there").format(group=group.id, sender=sender, kind=_kind_label(limits)), group.span,
                    _("a WeCom group robot cannot join groups with WeChat users: use a `wecom-groupmsg` "
                      "(企业群发) or `remind` sender for those groups"))
    if ("steps", sender) not in reported:  # what the steps need of the sender: once per sender, not per group
        reported.add(("steps", sender))
        yield from _steps_carried(playbook, sender, limits, reported)
    yield from _needed_fields(playbook, group, sender, limits, reported)


KIND_HINTS = {
    "image": N_("a bot that needs an uploaded image key (Feishu's image_key, DingTalk's media) cannot take a picture "
                "from sopc: send `link url=... title=... picurl=...` (a link with a picture), or use a `wecom-bot` "
                "or `remind` sender; 企业群发 takes a picture already uploaded to WeCom as an attachment "
                "(`image media_id=...`)"),
    "miniprogram": N_("a mini-program card goes out only through 企业群发 (`wecom-groupmsg`): a group bot cannot "
                      "send one (or use a `remind` sender, and the owner posts it)"),
    "attachments": N_("a text with attachments is one 企业群发 (`wecom-groupmsg`) send: for a bot, make each "
                      "attachment its own step"),
}


def _steps_carried(playbook, sender: str, limits, reported: set) -> Iterable[Diagnostic]:
    """Each step's kind and mentions against the sender's contract."""
    for step in playbook.all_steps():
        if step.kind == "action":
            if not playbook.staff_sender:  # else checked against the staff sender
                yield from _member_steps_carried(step, sender, limits, reported)
            continue
        yield from _member_steps_carried(step, sender, limits, reported)
        if step.kind not in limits.kinds and ("kind", step.name, sender) not in reported:
            reported.add(("kind", step.name, sender))
            hint = _("it sends: {kinds}").format(kinds=", ".join(sorted(limits.kinds)))
            if step.kind in KIND_HINTS:
                hint = _("{hint}; {more}").format(hint=hint, more=_(KIND_HINTS[step.kind]))
            yield error("E0505", _("sender `{sender}` cannot send `{kind}` messages (step `{step}`)").format(
                sender=sender, kind=step.kind, step=step.name), step.span, hint)
        if step.kind in limits.kinds:
            yield from _mentions_carried(step, sender, limits, reported)


def _member_steps_carried(step: Step, sender: str, limits, reported: set) -> Iterable[Diagnostic]:
    """`to member` through a sender that can message one member, and `remove
    member` through one that hands actions to a person."""
    if step.private and not limits.private and ("private", step.name, sender) not in reported:
        reported.add(("private", step.name, sender))
        yield error("E0520", _("step `{step}` is sent `to member`, but sender `{sender}` cannot send a private "
                               "(1:1) message: it posts only in the group").format(step=step.name, sender=sender),
                    step.body.to_member.span,
                    _("a group bot (wecom-bot, feishu, dingtalk, slack) cannot message one member: send the playbook "
                      "through a `wecom-groupmsg` sender (企业群发 to the member) or a `remind` sender (the owner "
                      "sends it privately), or drop `to member` to post it in the group"))
    if step.action and "action" not in limits.kinds and ("action", step.name, sender) not in reported:
        reported.add(("action", step.name, sender))
        message, hint = _ACTION_WORDS[step.action]
        yield error("E0521", _(message).format(step=step.name, sender=sender), step.body.span, _(hint))


# What each action asks of a person, for E0521: (what the step does and why no sender does it, what `remind` does).
_ACTION_WORDS = {
    "remove": (N_("step `{step}` removes a member, but sender `{sender}` cannot hand that to a person: no bot or API "
                  "removes members for sopc"),
               N_("send the playbook through a `remind` sender: it asks the group's owner to remove the member")),
    "dissolve": (N_("step `{step}` dissolves the group, but sender `{sender}` cannot hand that to a person: no bot "
                    "or API dissolves a group for sopc"),
                 N_("send the playbook through a `remind` sender: it asks the group's owner to dissolve it")),
    "remind": (N_("step `{step}` reminds staff, but sender `{sender}` cannot hand that to a person: the reminder "
                  "would fail at every delivery"),
               N_("send the playbook through a `remind` sender: it posts the reminder where staff read it")),
}


def _mentions_carried(step: Step, sender: str, limits, reported: set) -> Iterable[Diagnostic]:
    """Each mention of the step in a form the sender carries in its kind
    (the contract the sender checks again before sending)."""
    for mention in getattr(step.body, "mentions", ()):
        form = _written_form(mention.target)
        if form in carried_forms(limits, step.kind) or ("mention", step.name, sender, form) in reported:
            continue
        reported.add(("mention", step.name, sender, form))
        yield error("E0503", _("`@{mention}` cannot be sent in a `{kind}` message by sender `{sender}` (step "
                               "`{step}`): it would fail at every delivery").format(
            mention=mention.target, kind=step.kind, sender=sender, step=step.name), mention.span,
            _("{where}; drop the mention, or send the step through a sender that carries it (`sopc senders` lists "
              "them)").format(where=carried_where(limits, form)))


def _written_form(word: str) -> str:
    """The mention form a written word becomes: @member and @owner are user ids."""
    role = mention_role(word)
    return "all" if role == "all" else "user" if role else mention_form(word)


def _needed_fields(playbook, group, sender: str, limits, reported: set) -> Iterable[Diagnostic]:
    """Roster columns the sender cannot send without (企业群发: the owner)."""
    for column, why in limits.needs.items():
        if not getattr(group, column, None) and ("needs", group.id, sender, column) not in reported:
            reported.add(("needs", group.id, sender, column))
            yield error("E0508", _("group `{group}` has no {column} in the roster, and sender `{sender}` needs one "
                                   "({playbook} sends there through it)").format(
                group=group.id, column=column, sender=sender, playbook=playbook.name), group.span, _(why))


def _kind_label(limits) -> str:
    return getattr(limits, "kind", None) or _("a group bot")
