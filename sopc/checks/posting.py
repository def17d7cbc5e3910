"""The cadence a playbook asks for, against the plan: `posts 3-6/day` and
`peaks 09:00-11:00, 14:00-18:00`.

* W0341: a group gets fewer posts on a day than the minimum of `posts`;
* W0342: most (more than half) of a group's posts on a day go out outside
  the `peaks` windows.

Both look at what `sopc run` sends: the plan of the check window taken
through the runner's own gate (:func:`sopc.plan.simulate.sent_messages`), so
a post the cap skips does not count, and a post the gap or quiet hours defer
counts at the time it goes out. They count every playbook reaching the group
(as the cap does); actions (remind, dissolve) and private (1:1) messages are
not posts in the group. Days are the local days of the playbook with the
rule, whole days inside the check window, on which that playbook is active
(its `active` window, and not a holiday its `on holidays` moves posts away
from).

Work is linear: the gate is simulated for one group of each class of groups
the plan treats alike, and a group's days are counted once. Two groups are
alike when exactly the same slots reach them (the same schedules, launches,
and events, read from the slots themselves, so whatever decides which
groups a step reaches is followed), and, for the groups `in stage` steps
reach, the same stages over the window (the gate skips a message to a group
in another stage: a skipped message is no post). Findings are one
diagnostic per playbook and rule, at its `posts` or `peaks` line, naming the
first group and day and counting the rest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import field
from typing import Iterator

from sopc.checks.context import CheckContext
from sopc.compile.resolve import CompiledPlaybook, Program, within_window
from sopc.core.diagnostics import Diagnostic, warning
from sopc.core.i18n import N_, _, ngettext
from sopc.core.records import dataclass
from sopc.core.timeutil import WEEKDAY_CN, localize, zone_or_default
from sopc.plan.expand import planned_slots
from sopc.plan.policy import counts_as_post
from sopc.plan.simulate import LEAD_IN, sent_messages
from sopc.plan.triggers import plan_state
from sopc.project.roster import Group

MIN_HINT = N_("add posts for that day (a step, or a day in a step's days), or lower the minimum; what counts is "
               "what goes out to the group from every playbook, after quiet hours, the cap and the gap")
PEAK_HINT = N_("move those steps into the peak hours, or widen `peaks`; members read the group most then "
               "(deferred posts count at the time they go out)")
SHOWN_OFF_PEAK = 3


@dataclass
class _Finding:
    first: str
    order: tuple                          # (day, group id) of the first
    days: int = 0                         # (group, day) pairs, every group of a class counted
    groups: set = field(default_factory=set)
    group_count: int = 0


@dataclass(frozen=True)
class _Rule:
    """One `posts` or `peaks` to hold the plan to: a playbook's line, or the
    project's `peaks` in sopc.toml (for the groups of every playbook without
    its own, reported once, where sopc.toml writes it)."""

    zone: object
    groups: tuple[Group, ...]
    days: tuple[dt.date, ...]
    span: object
    posts: tuple[int, int] | None = None                 # (minimum, maximum) of `posts`
    peaks: tuple[tuple[dt.time, dt.time], ...] = ()

    def in_peak_hours(self, moment: dt.time) -> bool:
        return any(within_window(moment, start, end) for start, end in self.peaks)


def check_posts_and_peaks(program: Program, context: CheckContext) -> Iterator[Diagnostic]:
    rules = _rules(program, context.start, context.end)
    if not rules:
        return
    start, end = context.start, context.end
    classes = _Classes(program, start, end, context.events, {id(g): g for rule in rules for g in rule.groups})
    posts = _posts_of(program, start, end, context.events, classes)
    for rule in rules:
        weights = classes.weights(rule.groups)
        if rule.posts and rule.posts[0]:
            finding = _too_few(rule, weights, posts)
            if finding:
                yield _report("W0341", finding, rule.span, _(MIN_HINT))
        if rule.peaks:
            finding = _off_peak(rule, weights, posts)
            if finding:
                yield _report("W0342", finding, rule.span, _(PEAK_HINT))


def _rules(program: Program, start: dt.datetime, end: dt.datetime) -> list[_Rule]:
    calendar = program.project.calendar
    rules = []
    for playbook in program.playbooks:
        policy, line = playbook.policy, playbook.ast
        if not playbook.groups or not (policy.posts_min or policy.peaks):  # no rule: its days are not needed
            continue
        days = tuple(_active_days(playbook, start, end, calendar))
        if policy.posts_min:
            rules.append(_Rule(zone=playbook.zone, groups=playbook.groups, days=days, span=line.posts.span,
                               posts=(line.posts.minimum, line.posts.maximum)))
        if policy.peaks:
            rules.append(_Rule(zone=playbook.zone, groups=playbook.groups, days=days, span=line.peaks.span,
                               peaks=policy.peaks))
    defaults = program.project.config.defaults
    if defaults.peaks:
        inherited = {id(g): g for p in program.playbooks if not p.policy.peaks for g in p.groups}
        zone = zone_or_default(program.project.config.timezone)
        if inherited:
            rules.append(_Rule(zone=zone, groups=tuple(sorted(inherited.values(), key=lambda g: g.id)),
                               days=tuple(_whole_days(zone, start, end)), span=defaults.peaks_span,
                               peaks=defaults.peaks))
    return rules


class _Classes:
    """The groups of the rules, sorted into classes the gate treats alike:
    the same slots reach them, and where a step is limited to stages (`in
    stage`), their stages over the window are the same (the gate skips a
    message to a group in another stage). Each class is represented by its
    first group in id order."""

    def __init__(self, program: Program, start: dt.datetime, end: dt.datetime, events, concerned: dict[int, Group]):
        lead = start - LEAD_IN  # as the plan: from the day before, for the first day's gap
        lifecycle = plan_state(program, events, lead, end)
        reached: dict[int, list[int]] = {}
        seen: dict[int, tuple[Group, ...]] = {}  # id -> the tuple, kept alive so ids stay its own
        for slot, groups in planned_slots(program, lead, end, events=events, lifecycle=lifecycle):
            if slot.step.kind == "action" or id(groups) in seen:
                continue
            seen[id(groups)] = groups
            for group in groups:
                if id(group) in concerned:
                    reached.setdefault(id(group), []).append(id(groups))
        staged = lifecycle.rules.staged
        by_key: dict[tuple, list[Group]] = {}
        for key, group in concerned.items():
            stages = lifecycle.stages_between(group.id, lead, end) if group.id in staged else ()
            by_key.setdefault((tuple(reached.get(key, ())), stages), []).append(group)
        self.representative: dict[int, Group] = {}
        for members in by_key.values():
            members.sort(key=lambda g: g.id)
            for member in members:
                self.representative[id(member)] = members[0]

    def representatives(self) -> set[int]:
        return {id(group) for group in self.representative.values()}

    def weights(self, groups: tuple[Group, ...]) -> dict[str, tuple[Group, int]]:
        """representative id -> (the representative, how many of ``groups`` it stands for)."""
        counts: dict[str, tuple[Group, int]] = {}
        for group in groups:
            rep = self.representative[id(group)]
            counts[rep.id] = (rep, counts.get(rep.id, (rep, 0))[1] + 1)
        return counts


def _posts_of(program: Program, start: dt.datetime, end: dt.datetime, events,
              classes: _Classes) -> dict[str, list[tuple[dt.datetime, str]]]:
    """representative group id -> its posts in the window as `sopc run` sends them: (time, step)."""
    keep = classes.representatives()
    posts: dict[str, list[tuple[dt.datetime, str]]] = {}
    for message in sent_messages(program, start, end, events=events, group_filter=lambda g: id(g) in keep):
        if counts_as_post(message):  # as the cap counts: not actions, not private (1:1) messages
            posts.setdefault(message.group, []).append((message.at, message.step))
    return posts


def _active_days(playbook: CompiledPlaybook, start: dt.datetime, end: dt.datetime, calendar) -> list[dt.date]:
    """The playbook's local days wholly inside [start, end) on which it posts at all."""
    policy = playbook.policy
    return [day for day in _whole_days(playbook.zone, start, end)
            if (policy.active_start is None or day >= policy.active_start)
            and (policy.active_end is None or day <= policy.active_end)
            and calendar.apply_policy(day, policy.holidays) == day]


def _whole_days(zone, start: dt.datetime, end: dt.datetime) -> list[dt.date]:
    """The local days of ``zone`` wholly inside [start, end)."""
    midnight = lambda day: localize(dt.datetime.combine(day, dt.time()), zone)
    day = start.astimezone(zone).date()
    if midnight(day) < start:
        day += dt.timedelta(days=1)
    days = []
    while midnight(day + dt.timedelta(days=1)) <= end:
        days.append(day)
        day += dt.timedelta(days=1)
    return days


def _by_day(zone, posts: list[tuple[dt.datetime, str]]) -> dict[dt.date, list]:
    table: dict[dt.date, list] = {}
    for at, step in posts:
        local = at.astimezone(zone)
        table.setdefault(local.date(), []).append((local, step))
    return table


def _too_few(rule: _Rule, weights, posts) -> _Finding | None:
    minimum, maximum = rule.posts
    finding = None
    for rep, weight in weights.values():
        per_day = _by_day(rule.zone, posts.get(rep.id, ()))
        for day in rule.days:
            count = len(per_day.get(day, ()))
            if count >= minimum:
                continue
            describe = lambda: _("on {day} ({weekday}) group `{group}` gets {posts}, fewer than the {minimum} of "
                                 "`{rule}`").format(day=day, weekday=WEEKDAY_CN[day.weekday()], group=rep.id,
                                                    posts=_posts_word(count), minimum=minimum,
                                                    rule=f"posts {minimum}-{maximum}/day")
            finding = _add(finding, (day, rep.id), describe, rep, weight)
    return finding


def _off_peak(rule: _Rule, weights, posts) -> _Finding | None:
    wanted = set(rule.days)
    windows = ", ".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in rule.peaks)
    finding = None
    for rep, weight in weights.values():
        for day, sent in sorted(_by_day(rule.zone, posts.get(rep.id, ())).items()):
            if day not in wanted:
                continue
            off = [(local, step) for local, step in sent if not rule.in_peak_hours(local.time())]
            if 2 * len(off) <= len(sent):
                continue
            shown = ", ".join(f"`{step}` {local:%H:%M}" for local, step in off[:SHOWN_OFF_PEAK])
            if len(off) > SHOWN_OFF_PEAK:
                shown = _("{steps} and {more} more").format(steps=shown, more=len(off) - SHOWN_OFF_PEAK)
            describe = lambda: _("on {day} ({weekday}) {off} of the {posts} to group `{group}` go out outside the peak "
                                 "hours {windows}: {steps}").format(
                day=day, weekday=WEEKDAY_CN[day.weekday()], off=len(off), posts=_posts_word(len(sent)), group=rep.id,
                windows=windows, steps=shown)
            finding = _add(finding, (day, rep.id), describe, rep, weight)
    return finding


def _add(finding: _Finding | None, order: tuple, describe, rep: Group, weight: int) -> _Finding:
    """One more (group, day) for ``weight`` groups; the message is the first in (day, group) order."""
    if finding is None:
        finding = _Finding(first=describe(), order=order)
    elif order < finding.order:
        finding.first, finding.order = describe(), order
    finding.days += weight
    if rep.id not in finding.groups:
        finding.groups.add(rep.id)
        finding.group_count += weight
    return finding


def _posts_word(count: int) -> str:
    return ngettext("{count} post", "{count} posts", count).format(count=count)


def _report(code: str, finding: _Finding, span, hint: str) -> Diagnostic:
    more = finding.days - 1
    tail = _(" (and {times} in {groups})").format(
        times=ngettext("{count} more time", "{count} more times", more).format(count=more),
        groups=ngettext("{count} group", "{count} groups", finding.group_count).format(count=finding.group_count)
    ) if more else ""
    return warning(code, finding.first + tail, span, hint)
