"""The playbook AST: plain frozen dataclasses with source spans.

Built from the Lark tree by :mod:`sopc.lang.transform`; read by checks and the
planner. Literal values are already validated and converted (a ``TimeOfDay``
always holds a real time); a literal that failed validation became a
diagnostic and its node carries ``None`` instead.
"""

from __future__ import annotations

import datetime as dt
from typing import Union

from sopc.core.diagnostics import Span
from sopc.core.records import dataclass
from sopc.core.vocabulary import is_all_mention, is_member_mention

node = dataclass(frozen=True, slots=True, kw_only=True)


def shape(value: object) -> object:
    """``value`` (a node, a tuple of them, a literal) without its spans: the
    same for two nodes written alike in different places (a line pasted
    twice), hashable."""
    if isinstance(value, Span):
        return None
    fields = getattr(type(value), "__dataclass_fields__", None)
    if fields is not None:
        return (type(value).__name__, *(shape(getattr(value, name)) for name in fields))
    if isinstance(value, (tuple, list)):
        return tuple(shape(item) for item in value)
    if isinstance(value, dict):
        return tuple(sorted((key, shape(item)) for key, item in value.items()))
    return value


# ---- small spanned values ------------------------------------------------------

@node
class Name:
    value: str
    span: Span


@node
class TimeOfDay:
    time: dt.time
    span: Span

    def text(self) -> str:
        return self.time.strftime("%H:%M")


@node
class Duration:
    delta: dt.timedelta
    text: str
    span: Span


@node
class DateValue:
    date: dt.date
    span: Span


@node
class Assignment:
    key: str
    value: str | int | float
    span: Span


# ---- audience: which groups a playbook or a launch reaches ----------------------

@node
class AllGroups:
    span: Span


@node
class GroupIds:
    ids: tuple[Name, ...]
    span: Span


@node
class TagIs:
    tag: Name
    span: Span


@node
class TagNot:
    operand: "TagExpr"
    span: Span


@node
class TagAnd:
    operands: tuple["TagExpr", ...]
    span: Span


@node
class TagOr:
    operands: tuple["TagExpr", ...]
    span: Span


TagExpr = Union[TagIs, TagNot, TagAnd, TagOr]


@node
class GroupsTagged:
    expr: TagExpr
    span: Span


Audience = Union[AllGroups, GroupIds, GroupsTagged]


@node
class StageLimit:
    """`in stage 成熟期` (after a `to` line, or heading a block of steps): the
    messages go only to groups in one of ``names`` when they fall due."""

    names: tuple[Name, ...]
    span: Span


# ---- message content -----------------------------------------------------------

@node
class InlineText:
    text: str
    span: Span
    # Line and column of the first character inside the quotes, so a Jinja
    # error at the template's own line maps back into the .sop file.
    body_line: int
    body_column: int


@node
class TemplateFile:
    path: str
    span: Span


@node
class TemplateRef:
    name: Name
    span: Span


Content = Union[InlineText, TemplateFile, TemplateRef]


@node
class Mention:
    """``@all``/``@所有人`` (everyone), ``@member`` (the triggering member) or a user id."""

    target: str
    span: Span

    @property
    def is_all(self) -> bool:
        return is_all_mention(self.target)

    @property
    def is_member(self) -> bool:
        return is_member_mention(self.target)


@node
class ToMember:
    """`to member` (`to 成员`) after a message: sent privately (1:1) to the
    member a lifecycle event is about, not posted in the group."""

    span: Span


@node
class Part:
    """Rich content with named fields: ``link url="..." title="..."``,
    ``miniprogram appid=... page=... title=... pic_media_id=...``,
    ``image media_id=...``: a news article or a 企业群发 attachment."""

    kind: str
    fields: tuple[Assignment, ...]
    span: Span


@node
class Message:
    kind: str  # text | markdown | image | link | miniprogram
    content: Content | None  # None: the message is its parts alone
    mentions: tuple[Mention, ...]
    variables: tuple[Assignment, ...]
    span: Span
    kind_given: bool = False
    to_member: ToMember | None = None  # None: posted in the group
    parts: tuple[Part, ...] = ()


@node
class DissolveGroup:
    span: Span


@node
class RemindStaff:
    content: InlineText
    variables: tuple[Assignment, ...]
    span: Span


@node
class RemoveMember:
    """`remove member`: staff remove the member the event is about from the
    group (an action, handed to a person by a `remind` sender)."""

    span: Span


Action = Union[DissolveGroup, RemindStaff, RemoveMember]
StepBody = Union[Message, DissolveGroup, RemindStaff, RemoveMember]


# ---- schedules -------------------------------------------------------------------

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@node
class DaySet:
    """Days a weekly step runs on: weekdays 0=Monday..6=Sunday, plus the
    calendar-dependent sets (Chinese workdays, public holidays)."""

    weekdays: frozenset[int]
    workdays: bool = False   # 工作日: China's workdays incl. make-up days (调休)
    holidays: bool = False   # 节假日: only on public holidays
    span: Span


@node
class OnDays:
    days: tuple[DaySet, ...]
    times: tuple[TimeOfDay, ...]
    span: Span


@node
class OnMonthDays:
    days: tuple[int, ...]  # 1..31, or -1 for the last day of the month
    times: tuple[TimeOfDay, ...]
    span: Span


@node
class EveryNDays:
    interval: Duration
    start: DateValue | None
    times: tuple[TimeOfDay, ...]
    span: Span


@node
class OnCron:
    expression: str
    span: Span


When = Union[OnDays, OnMonthDays, EveryNDays, OnCron]


@node
class ScheduleStep:
    when: When
    name: Name
    body: StepBody
    span: Span
    stages: StageLimit | None = None  # the `in stage` block it is indented under


# ---- policies --------------------------------------------------------------------

@node
class Quiet:
    start: TimeOfDay | None
    end: TimeOfDay | None
    mode: str  # defer | skip
    span: Span


@node
class Cap:
    per_day: int
    span: Span


@node
class Posts:
    """`posts 3-6/day`: at least ``minimum`` posts a day to each group (a
    warning of `sopc check` when the plan gives fewer), at most ``maximum``
    (the daily cap, as `cap 6/day`)."""

    minimum: int
    maximum: int
    span: Span


@node
class PeakWindow:
    start: TimeOfDay | None
    end: TimeOfDay | None
    span: Span


@node
class Peaks:
    """`peaks 09:00-11:00, 14:00-18:00`: the hours members read the group in;
    `sopc check` warns when most of a group's posts of a day fall outside them."""

    windows: tuple[PeakWindow, ...]
    span: Span


@node
class ActiveWindow:
    start: DateValue | None
    end: DateValue | None
    span: Span


@node
class HolidayPolicy:
    mode: str  # skip | before | after | keep
    span: Span


# ---- timelines and launches ----------------------------------------------------

@node
class Repeat:
    """`every 15m x3` on a timeline or lifecycle step: the step and more
    rounds after it, ``every`` apart (None: a value already reported)."""

    every: Duration | None
    count: int | None
    span: Span

    def shifts(self) -> tuple[dt.timedelta, ...]:
        """How long after the first round each round comes: (0, 15m, 30m)."""
        if self.every is None or self.count is None:
            return ()
        return tuple(self.every.delta * index for index in range(self.count))


@node
class TimelineStep:
    offset: dt.timedelta | None
    offset_text: str
    at_time: "TimeOfDay | None"  # `T+1d at 10:00`: that day, at that time
    name: Name
    body: StepBody
    span: Span
    repeat: Repeat | None = None


@node
class Timeline:
    name: Name
    title: str | None
    max_length: Duration | None
    steps: tuple[TimelineStep, ...]
    span: Span
    path: str


@node
class Launch:
    """`run NAME at DATE TIME ...` (a dated launch: ``at_date``/``at_time``),
    or `run NAME every 周三 20:00 [from D] [until D] ...` (a recurring one:
    ``every``, within ``window``, then ``at_date``/``at_time`` are None)."""

    timeline: Name
    at_date: DateValue | None
    at_time: TimeOfDay | None
    audience: Audience
    variables: tuple[Assignment, ...]
    span: Span
    every: "OnDays | None" = None
    window: "ActiveWindow | None" = None

    @property
    def recurring(self) -> bool:
        return self.every is not None


# ---- lifecycle triggers --------------------------------------------------------

EVENT_KINDS = (
    "member.joined", "member.left", "member.silent", "member.tagged",
    "member.purchased", "member.message", "group.stage",
)


@node
class EventSpec:
    kind: Name
    argument: str | None
    argument_span: Span | None
    span: Span


@node
class TriggerStep:
    offset: dt.timedelta | None
    offset_text: str
    at_time: TimeOfDay | None
    name: Name
    body: StepBody
    span: Span
    repeat: Repeat | None = None


@node
class UseTimeline:
    """`use newcomer` inside a trigger: the timeline's steps, with T = the event."""

    timeline: Name
    span: Span


@node
class Ordinal:
    """`2nd` (`第2次`) after a trigger's event: only the member's Nth such
    event in the group starts the steps."""

    number: int
    text: str
    span: Span


@node
class Trigger:
    event: EventSpec
    until: tuple[EventSpec, ...]
    repeat: bool
    steps: tuple[TriggerStep | UseTimeline, ...]
    span: Span
    ordinal: Ordinal | None = None  # None: every such event (as `once`/`repeat` say)


STAGE_DURATION_METRICS = ("age", "silent")
STAGE_COUNT_METRICS = ("members", "messages/day")


@node
class StageCompare:
    metric: str  # age | silent (durations) | members | messages/day (counts)
    op: str      # < <= > >=
    value: Duration  # age, silent: the duration; members, messages/day: 0
    span: Span
    count: int = 0   # members, messages/day: the number


@node
class StageAll:
    terms: tuple["StageCondition", ...]
    span: Span


@node
class StageAny:
    terms: tuple["StageCondition", ...]
    span: Span


StageCondition = Union[StageCompare, StageAll, StageAny]


@node
class StageRule:
    name: Name
    condition: StageCondition | None  # None: otherwise
    span: Span


@node
class Stages:
    rules: tuple[StageRule, ...]
    span: Span
    path: str


# ---- playbook tests (`sopc test`) ------------------------------------------------

@node
class Moment:
    """A date and, optionally, a time of day (local, in the project's zone)."""

    date: DateValue | None
    time: TimeOfDay | None
    span: Span


@node
class Given:
    """`given member.joined g1 A "阿甲" at 2026-11-23 23:30 channel=扫码`: an event
    the test records at that time. ``words`` are the ones after the group, as
    written: the member (member events), the tag (member.tagged) or the stage
    (group.stage); the event reader says what they make."""

    kind: Name
    group: Name
    words: tuple[Name, ...]
    name: str | None
    at: Moment
    data: tuple[Assignment, ...]
    span: Span


@node
class Expect:
    """An `expect` line. ``subject``: ``step`` (a step's messages, ``name``),
    ``posts`` (posts in the group, as the cap counts them), ``messages``
    (everything sent), ``skipped`` or ``deferred`` (with ``reason``, and the
    step ``name`` if given). ``count``: None for at least one, 0 for `no`,
    else exactly that many."""

    subject: str
    name: Name | None
    reason: Name | None
    count: int | None
    group: Name | None
    member: Name | None
    at: Moment | None       # exactly then (date and time)
    on: DateValue | None    # on that local day
    contains: str | None
    span: Span
    playbook: Name | None = None  # `from welfare`: only that playbook's messages


@node
class Test:
    name: str
    start: Moment | None
    until: Moment | None
    givens: tuple[Given, ...]
    expects: tuple[Expect, ...]
    span: Span
    path: str
    name_span: Span
    # `start`/`until` written more than once (reported by the test check)
    repeated: tuple[Span, ...] = ()


# ---- top level -------------------------------------------------------------------

@node
class Playbook:
    name: Name
    title: str | None
    timezone: Name | None
    audience: Audience | None
    sender: Name | None
    quiet: Quiet | None
    cap: Cap | None
    gap: Duration | None
    active: ActiveWindow | None
    holidays: HolidayPolicy | None
    grace: Duration | None
    variables: tuple[Assignment, ...]
    steps: tuple[ScheduleStep, ...]
    launches: tuple[Launch, ...]
    triggers: tuple[Trigger, ...]
    span: Span
    path: str
    # Settings written more than once, for the duplicate-setting check.
    repeated_settings: tuple[Span, ...] = ()
    # Its `to` line is there but broken (a syntax error said so): the audience
    # is unknown, not missing, so it is not reported again as missing.
    audience_unreadable: bool = False
    # `to ... in stage 成熟期`: every message only to groups in these stages.
    audience_stages: StageLimit | None = None
    posts: Posts | None = None
    peaks: Peaks | None = None
    # `staff NAME`: the sender of its actions (remind staff, dissolve group, remove member)
    staff: Name | None = None

    def own_step_names(self) -> list[Name]:
        """The names of the steps written in the playbook itself: its
        schedule and its triggers' steps (a `use` line brings a timeline's)."""
        return [*(s.name for s in self.steps),
                *(s.name for t in self.triggers for s in t.steps if isinstance(s, TriggerStep))]


def repeated_names(names) -> list[Name]:
    """Each use of a name after its first, in order (E0209: a step name used
    twice in one playbook or timeline)."""
    seen: set[str] = set()
    repeated = []
    for name in names:
        if name.value in seen:
            repeated.append(name)
        seen.add(name.value)
    return repeated


@node
class TemplateDef:
    name: Name
    kind: str | None
    body: InlineText
    span: Span


@node
class Import:
    path: str
    names: tuple[Name, ...]  # empty: import everything
    span: Span


@node
class SourceFile:
    path: str
    imports: tuple[Import, ...]
    templates: tuple[TemplateDef, ...]
    playbooks: tuple[Playbook, ...]
    timelines: tuple[Timeline, ...]
    stages: tuple[Stages, ...]
    tests: tuple[Test, ...] = ()  # `sopc test` runs them, `sopc check` checks them; nothing compiles them
