"""Stage 5, plan: a compiled Program -> the exact timed, rendered messages.

``expand(program, start, end)`` streams :class:`PlannedMessage` values sorted
by time. Work is shared where the result is the same: a schedule's firing
times are computed once per step (not per group), and a text is rendered once
per distinct value of the variables its template actually reads.

Ids are stable: a hash of playbook, step, group, member and the local time the
step was scheduled for, so editing an unrelated step keeps every other id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Sequence

from sopc.compile import CompiledPlaybook, Policy, Program, Step
from sopc.diagnostics import Diagnostic, error
from sopc.roster import Group
from sopc.schedule import occurrences, summarize_weekly
from sopc.templates import TemplateRenderError, memo_key_names
from sopc.timeutil import WEEKDAY_CN, localize

RENDER_CACHE_LIMIT = 200_000


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedMessage:
    id: str
    at: dt.datetime
    playbook: str
    step: str
    group: str
    member: str | None
    sender: str
    kind: str
    mentions: tuple[str, ...]
    text: str

    def to_dict(self) -> dict:
        target = {"group": self.group} if self.member is None else {"group": self.group, "member": self.member}
        return {"id": self.id, "at": self.at.isoformat(), "playbook": self.playbook, "step": self.step,
                "target": target, "sender": self.sender, "kind": self.kind,
                "mentions": list(self.mentions), "text": self.text}


@dataclass(slots=True, kw_only=True)
class Slot:
    """One step firing at one moment, for one or more groups."""

    at: dt.datetime            # when it goes out, after quiet-hour deferral
    scheduled: dt.datetime     # when the playbook asked for it (ids use this)
    playbook: CompiledPlaybook
    step: Step
    groups: tuple[Group, ...]
    member: dict | None = None
    event: dict | None = None
    anchor: dt.datetime | None = None
    variables: dict = field(default_factory=dict)

    def sort_key(self) -> tuple:
        first = self.groups[0].id if self.groups else ""
        return (self.at, self.playbook.name, self.step.name, first, (self.member or {}).get("id", ""))


def expand(program: Program, start: dt.datetime, end: dt.datetime, *, events: Sequence = (),
           group_filter: Callable[[Group], bool] | None = None,
           diagnostics: list[Diagnostic] | None = None) -> Iterator[PlannedMessage]:
    """Every message due in [start, end), in time order."""
    from sopc.lifecycle import trigger_slots  # lifecycle builds on Slot

    sources: list[Iterable[Slot]] = []
    for playbook in program.playbooks:
        sources += [_schedule_slots(program, playbook, entry, start, end) for entry in playbook.schedule]
        sources += [_launch_slots(playbook, launch, start, end) for launch in playbook.launches]
    sources.append(trigger_slots(program, events, start, end))
    renderer = Renderer(program, diagnostics if diagnostics is not None else [])
    for slot in heapq.merge(*sources, key=Slot.sort_key):
        groups = slot.groups if group_filter is None else tuple(g for g in slot.groups if group_filter(g))
        for group in groups:
            message = renderer.message(slot, group)
            if message is not None:
                yield message


# ---- where slots come from ----------------------------------------------------------

def _local_dates(start: dt.datetime, end: dt.datetime, playbook: CompiledPlaybook) -> tuple[dt.date, dt.date]:
    return start.astimezone(playbook.zone).date(), end.astimezone(playbook.zone).date()


def _schedule_slots(program: Program, playbook: CompiledPlaybook, entry, start, end) -> Iterator[Slot]:
    schedule_step, step = entry
    if not playbook.groups:
        return
    first, last = _local_dates(start, end, playbook)
    for wall in occurrences(schedule_step.when, playbook.policy, program.project.calendar, first, last):
        scheduled = localize(wall, playbook.zone)
        at = apply_quiet(scheduled, playbook.policy, playbook.zone)
        if at is not None and start <= at < end:
            yield Slot(at=at, scheduled=scheduled, playbook=playbook, step=step, groups=playbook.groups)


def _launch_slots(playbook: CompiledPlaybook, launch, start, end) -> Iterator[Slot]:
    ast_launch = launch.launch
    if ast_launch.at_date is None or ast_launch.at_time is None or not launch.groups:
        return
    anchor = localize(dt.datetime.combine(ast_launch.at_date.date, ast_launch.at_time.time), playbook.zone)
    slots = []
    for timeline_step, step in launch.steps:
        scheduled = step_time(anchor, timeline_step.offset, timeline_step.at_time, playbook.zone)
        at = apply_quiet(scheduled, playbook.policy, playbook.zone) if scheduled else None
        if at is not None and start <= at < end:
            slots.append(Slot(at=at, scheduled=scheduled, playbook=playbook, step=step, groups=launch.groups,
                              anchor=anchor, variables=launch.variables))
    yield from sorted(slots, key=Slot.sort_key)


def step_time(anchor: dt.datetime, offset: dt.timedelta | None, at_time, zone) -> dt.datetime | None:
    """T+offset; with `at HH:MM`, that day at that local time."""
    if offset is None:
        return None
    moment = (anchor + offset).astimezone(zone)
    if at_time is not None:
        moment = localize(dt.datetime.combine(moment.date(), getattr(at_time, "time", at_time)), zone)
    return moment


def apply_quiet(moment: dt.datetime, policy: Policy, zone) -> dt.datetime | None:
    """Quiet hours: defer to the end of the quiet window, or skip."""
    local = moment.astimezone(zone)
    if not policy.in_quiet_hours(local.time()):
        return moment
    if policy.quiet_mode == "skip":
        return None
    day = local.date() if local.time() < policy.quiet_end else local.date() + dt.timedelta(days=1)
    return localize(dt.datetime.combine(day, policy.quiet_end), zone)


# ---- rendering ------------------------------------------------------------------------

class Renderer:
    """Slot x group -> PlannedMessage, memoizing texts on the variables a
    template reads (a template is a pure function of its context)."""

    def __init__(self, program: Program, diagnostics: list[Diagnostic]):
        self.program = program
        self.diagnostics = diagnostics
        self._cache: dict[tuple, str] = {}
        self._memo_names: dict[int, tuple[str, ...]] = {}
        self._summaries: dict[str, str] = {}
        self._failed_steps: set[int] = set()
        self._group_dicts: dict[str, dict] = {}

    def message(self, slot: Slot, group: Group) -> PlannedMessage | None:
        step = slot.step
        text = self._text(slot, group)
        if text is None:
            return None
        member_id = slot.member["id"] if slot.member else None
        mentions = tuple(member_id if (m in ("member", "成员") and member_id) else
                         ("all" if m in ("all", "所有人") else m) for m in step.mentions)
        local = slot.scheduled.astimezone(slot.playbook.zone).replace(tzinfo=None).isoformat()
        key = "\x1f".join((step.playbook, step.name, group.id, member_id or "", local))
        return PlannedMessage(
            id=hashlib.blake2b(key.encode(), digest_size=8).hexdigest(), at=slot.at,
            playbook=step.playbook, step=step.name, group=group.id, member=member_id,
            sender=self.program.sender_for(slot.playbook, group), kind=step.kind, mentions=mentions, text=text)

    def _text(self, slot: Slot, group: Group) -> str | None:
        step = slot.step
        if step.template is None:
            return step.action if step.action == "dissolve" else ("" if step.kind != "action" else step.action)
        names = self._memo_names.get(id(step))
        if names is None:
            names = self._memo_names[id(step)] = memo_key_names(step.template)
        key = (id(step), id(slot.variables), *(self._dynamic(name, slot, group) for name in names))
        text = self._cache.get(key)
        if text is None:
            text = self._render(slot, group)
            if text is None:
                return None
            if len(self._cache) > RENDER_CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = text
        return f"remind: {text}" if step.action == "remind" else text

    def _dynamic(self, name: str, slot: Slot, group: Group):
        """The part of the context a name depends on that varies per message."""
        if name == "group":
            return group.id
        if name in ("member", "event"):
            return id(slot.member), id(slot.event)
        if name in ("date", "weekday_cn", "time", "now", "T"):
            return slot.at, slot.anchor
        return None  # static for this step (step, playbook, launch variables)

    def _render(self, slot: Slot, group: Group) -> str | None:
        try:
            return slot.step.template.render(self.context(slot, group))
        except TemplateRenderError as exc:
            if id(slot.step) not in self._failed_steps:
                self._failed_steps.add(id(slot.step))
                self.diagnostics.append(error("E0406", f"step `{slot.step.name}` cannot be rendered for group "
                                              f"`{group.id}`: {exc}", slot.step.span,
                                              "give the variable a value (step, `vars`, roster column or `with`)"))
            return None

    def context(self, slot: Slot, group: Group) -> dict:
        playbook = slot.playbook
        local = slot.at.astimezone(playbook.zone)
        context = {**playbook.variables, **slot.variables, **slot.step.variables}
        context.update(
            group=self._group_dict(group), playbook={"name": playbook.name, "title": playbook.ast.title or ""},
            date=local.date().isoformat(), time=local.strftime("%H:%M"), now=local,
            weekday_cn=WEEKDAY_CN[local.weekday()], schedule_summary=self._summary(playbook))
        if slot.anchor is not None:
            context["T"] = slot.anchor.astimezone(playbook.zone)
        if slot.member is not None:
            context["member"] = slot.member
        if slot.event is not None:
            context["event"] = slot.event
        return context

    def _group_dict(self, group: Group) -> dict:
        cached = self._group_dicts.get(group.id)
        if cached is None:
            cached = self._group_dicts[group.id] = {**group.variables, "id": group.id, "name": group.name,
                                                    "tags": sorted(group.tags)}
        return cached

    def _summary(self, playbook: CompiledPlaybook) -> str:
        if playbook.name not in self._summaries:
            self._summaries[playbook.name] = summarize_weekly(list(playbook.ast.steps))
        return self._summaries[playbook.name]
