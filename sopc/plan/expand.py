"""Stage 5, plan: a compiled Program -> the exact timed, rendered messages.

``expand(program, start, end)`` streams :class:`PlannedMessage` values sorted
by time. Work is shared where the result is the same: a schedule's firing
times are computed once per step (not per group), what a slot's messages have
in common (time, mentions, the id hash's prefix) once per slot, and a text is
rendered once per distinct value of the variables its template actually reads.

Ids are stable: a hash of playbook, step, group, member and the local time the
step was scheduled for, so editing an unrelated step keeps every other id.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import heapq
import operator
from typing import Callable, Iterable, Iterator, Mapping, Sequence

from sopc.compile.resolve import CompiledPlaybook, Program, Step
from sopc.core import content
from sopc.core.diagnostics import Diagnostic, error
from sopc.core.i18n import _
from sopc.core.limits import FIRST_DAY, LAST_DAY
from sopc.core.memo import forgotten_with_the_rest
from sopc.core.messages import PlannedMessage
from sopc.core.records import dataclass
from sopc.plan.policy import apply_quiet
from sopc.plan.slots import NO_VARIABLES, Slot, step_time
from sopc.plan.triggers import trigger_slots
from sopc.project.roster import Group
from sopc.plan.schedule import launch_occurrences, occurrence_times, summarize_weekly
from sopc.compile.titles import step_title
from sopc.compile.templates import RenderBudgetError, TemplateRenderError, memo_key_names, render_budget_hint
from sopc.core.timeutil import WEEKDAY_CN, clock_text, localize, localize_each
from sopc.core.vocabulary import PER_SLOT_NAMES, is_all_mention, is_member_mention, is_owner_mention
from sopc.lang import ast

RENDER_CACHE_LIMIT = 200_000
GROUP_DICTS_KEPT = 1_024  # a check renders for a few hundred groups, slot after slot
# Per-slot names with few values (seven weekdays, a step's few send times): a
# text reading only these besides fixed names is memoized on their values,
# across slots. `date`, `now`, `T`, `member`, `event` differ (nearly) every
# slot, so a text reading one of them is kept for its slot alone.
FEW_VALUED_NAMES = frozenset({"weekday_cn", "time"})


ALL_PARTS = frozenset({"schedule", "launch", "trigger"})
QUIET_REACH = dt.timedelta(days=1)  # the longest quiet hours can defer a message by
# A window this short (the checks' five weeks) has its steps' slots sorted at
# once: a stable sort of the streams one after another is their merge (ties in
# stream order), and sorting 30,000 slots costs less than half of merging
# 2,700 streams; a longer window (a year's plan) is merged, never held whole.
SORTED_AT_ONCE = dt.timedelta(weeks=6)


def expand(program: Program, start: dt.datetime, end: dt.datetime, *, events: Sequence = (),
           group_filter: Callable[[Group], bool] | None = None,
           diagnostics: list[Diagnostic] | None = None,
           parts: frozenset[str] = ALL_PARTS, keep_unrenderable: bool = False) -> Iterator[PlannedMessage]:
    """Every message due in [start, end), in time order.

    ``parts`` picks where messages come from: weekly ``schedule`` steps,
    ``launch``ed timelines, lifecycle ``trigger``s (the runner re-plans the
    event-driven part alone when events arrive). ``keep_unrenderable`` yields
    a message whose template fails for a group with ``error`` set instead of
    leaving it out (the diagnostic is reported either way)."""

    renderer = Renderer(program, diagnostics if diagnostics is not None else [], keep_unrenderable)
    for slot, groups in planned_slots(program, start, end, events=events, group_filter=group_filter, parts=parts):
        yield from renderer.messages(slot, groups)


def planned_slots(program: Program, start: dt.datetime, end: dt.datetime, *, events: Sequence = (),
                  group_filter: Callable[[Group], bool] | None = None, parts: frozenset[str] = ALL_PARTS,
                  keep_quiet_skipped: bool = False, lifecycle=None) -> Iterator[tuple[Slot, tuple[Group, ...]]]:
    """The slots due in [start, end) in time order, each with the groups it
    reaches (those ``group_filter`` keeps): what :func:`expand` renders.
    ``keep_quiet_skipped``: also the slots that quiet hours in `skip` mode
    leave out, at their scheduled time (for the gate to say it skips them).
    ``lifecycle``: the :func:`~sopc.plan.triggers.plan_state` of ``events``
    over [start, end), when the caller has made it (it asks it for stages).
    A step limited to stages is planned for every group it reaches: the
    gate (:class:`~sopc.plan.policy.Gate`) skips it where the group is in
    another stage when it falls due."""
    runs: list[tuple[bool, Iterable[Slot]]] = []  # (whether its slots share their key but the time, them)
    keep = keep_quiet_skipped
    for playbook in program.playbooks:
        if "schedule" in parts:
            runs += [(True, _schedule_slots(program, playbook, entry, start, end, keep))
                     for entry in _distinct_schedule(playbook.schedule)]
        if "launch" in parts:
            runs += [(False, _launch_slots(program, playbook, launch, start, end, keep))
                     for launch in _distinct(playbook.launches, _launch_shape)]
    if end - start <= SORTED_AT_ONCE:
        sources: list[Iterable[Slot]] = [_in_time_order(runs)]
    else:
        sources = [slots for _shared, slots in runs]
    if "trigger" in parts:
        sources.append(trigger_slots(program, events, start, end, keep_quiet_skipped=keep, state=lifecycle))
    for slot in heapq.merge(*sources, key=Slot.sort_key):  # one source (a sorted list): read straight through
        groups = slot.groups if group_filter is None else tuple(g for g in slot.groups if group_filter(g))
        if groups:
            yield slot, groups


def _in_time_order(runs: list[tuple[bool, Iterable[Slot]]]) -> list[Slot]:
    """The slots of ``runs`` (each in time order) sorted by
    :meth:`Slot.sort_key`, ties in run order: the runs' slots grouped by the
    key's parts after the time (a schedule step's slots all share them, a
    launch's are taken one by one), the groups put in that order, and then
    one stable sort by the time alone. The same order as sorting by the
    whole key, without making and comparing a key per slot (a sort of
    30,000 slots was ~2.5% of a check)."""
    keyed: list[tuple[tuple, Sequence[Slot]]] = []
    for shared, slots in runs:
        if shared:
            slots = list(slots)
            if slots:
                keyed.append((slots[0].sort_key()[1:], slots))
        else:
            keyed += [(slot.sort_key()[1:], (slot,)) for slot in slots]
    keyed.sort(key=_KEY_BUT_THE_TIME)
    ordered = [slot for _key, slots in keyed for slot in slots]
    ordered.sort(key=_TIME)
    return ordered


_KEY_BUT_THE_TIME = operator.itemgetter(0)
_TIME = operator.attrgetter("at")


# ---- where slots come from ----------------------------------------------------------

def _distinct(items: Sequence, shape_of: Callable) -> list:
    """``items`` but those written exactly like an earlier one (a line pasted
    twice, or 300 times): every message of such a step or launch has the id
    of one of the earlier one's, and the plan and the store keep one message
    per id, the first. Its slots are not made at all, so a pasted line costs
    nothing to plan or check (the checks say what is wrong with it, E0209)."""
    seen: set = set()
    kept = []
    for item in items:
        try:
            key = shape_of(item)
            if key in seen:
                continue
            seen.add(key)
        except TypeError:  # an unhashable value somewhere: kept, as any other
            pass
        kept.append(item)
    return kept


def _distinct_schedule(schedule: Sequence) -> Sequence:
    """:func:`_distinct` of a playbook's schedule steps. A line written like
    an earlier one has its name, so where no two steps share a name (nearly
    always: E0209 reports it) there is none, and no shape is worked out."""
    if len({step.name for _schedule_step, step in schedule}) == len(schedule):
        return schedule
    return _distinct(schedule, _schedule_shape)


def _schedule_shape(entry) -> tuple:
    schedule_step, step = entry
    return step.name, ast.shape(schedule_step.when)


def _launch_shape(launch) -> tuple:
    # The timeline and groups by identity: the compiled program holds one object for each.
    a = launch.launch
    return (id(launch.timeline), tuple(id(group) for group in launch.groups), ast.shape(launch.variables),
            ast.shape((a.at_date, a.at_time, a.every, a.window)))


def _local_dates(start: dt.datetime, end: dt.datetime, playbook: CompiledPlaybook) -> tuple[dt.date, dt.date]:
    return start.astimezone(playbook.zone).date(), end.astimezone(playbook.zone).date()


def _placed(scheduled: dt.datetime, playbook: CompiledPlaybook, keep_quiet_skipped: bool) -> dt.datetime | None:
    """When a message scheduled for ``scheduled`` goes out: after quiet hours, or None (skipped in them)."""
    at = apply_quiet(scheduled, playbook.policy, playbook.zone)
    return scheduled if at is None and keep_quiet_skipped else at


def _schedule_slots(program: Program, playbook: CompiledPlaybook, entry, start, end,
                    keep_quiet_skipped: bool = False) -> Iterator[Slot]:
    schedule_step, step = entry
    if not playbook.groups:
        return
    # From a day early: quiet hours defer a message by less than a day, into the window.
    first, last = _local_dates(start - QUIET_REACH, end, playbook)
    walls = occurrence_times(schedule_step.when, playbook.policy, program.project.calendar, first, last)
    groups = playbook.groups
    for at, scheduled in _in_window(*_firings(walls, playbook, keep_quiet_skipped), start, end):
        yield Slot(at=at, scheduled=scheduled, playbook=playbook, step=step, groups=groups, variables=NO_VARIABLES)


def _in_window(firings: tuple[tuple[dt.datetime, dt.datetime], ...], instants: list[int], rising: bool,
               start: dt.datetime, end: dt.datetime) -> Sequence[tuple[dt.datetime, dt.datetime]]:
    """The ``firings`` going out in [start, end), their ``instants`` (see
    :func:`_instant`) compared: found by bisection where those rise. Not
    the times themselves: comparing two times of different zones looks up
    both offsets (~0.4 us; a check compared ~35,000 firings twice each),
    and two of one zone compare as wall times, blind to which of a
    repeated hour's two instants each is (windows would overlap there)."""
    first, last = _instant(start), _instant(end)
    if rising:
        return firings[bisect.bisect_left(instants, first):bisect.bisect_left(instants, last)]
    return [firing for firing, instant in zip(firings, instants) if first <= instant < last]


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_MICROSECOND = dt.timedelta(microseconds=1)


def _instant(moment: dt.datetime) -> int:
    """An aware time as microseconds since the epoch: the order of instants, whatever their zones or folds."""
    return (moment - _EPOCH) // _MICROSECOND


def _firings(walls: tuple[dt.datetime, ...], playbook: CompiledPlaybook,
             keep_quiet_skipped: bool) -> tuple[tuple[tuple[dt.datetime, dt.datetime], ...], list[int], bool]:
    """(when it goes out, when it was scheduled) for each of ``walls`` (a
    schedule's firing times, local) in ``playbook``'s zone, after its quiet
    hours (left out where they skip it); when they go out, as
    :func:`_instant`; and whether those rise (nearly always).
    Memoized on the walls' tuple (the memo of :func:`occurrence_times`
    gives equal schedules one), the zone and the quiet hours: `周一 10:00`
    in 300 playbooks is placed once."""
    policy, zone = playbook.policy, playbook.zone
    key = (id(walls), zone, policy.quiet_start, policy.quiet_end, policy.quiet_mode, keep_quiet_skipped)
    kept = _placed_firings.get(key)
    if kept is not None and kept[0] is walls:  # (the entry holds the tuple: its id is its own)
        return kept[1]
    firings = []
    quiet = policy.in_quiet_hours
    for scheduled in localize_each(walls, zone):
        # (scheduled is in the playbook's zone: its time is the local time quiet hours are about)
        at = _placed(scheduled, playbook, keep_quiet_skipped) if quiet(scheduled.time()) else scheduled
        if at is not None:
            firings.append((at, scheduled))
    if len(_placed_firings) >= PLACED_FIRINGS_KEPT:
        _placed_firings.clear()
    placed = tuple(firings)
    instants = [_instant(at) for at, _scheduled in placed]
    kept = _placed_firings[key] = (walls, (placed, instants, all(map(operator.le, instants, instants[1:]))))
    return kept[1]


PLACED_FIRINGS_KEPT = 4096  # as the memo of occurrence_times
_placed_firings: dict[tuple, tuple[tuple, tuple]] = {}
forgotten_with_the_rest(_placed_firings.clear)


def _launch_slots(program: Program, playbook: CompiledPlaybook, launch, start, end,
                  keep_quiet_skipped: bool = False) -> Iterator[Slot]:
    if not launch.groups:
        return
    if launch.launch.recurring:
        yield from _recurring_slots(program, playbook, launch, start, end, keep_quiet_skipped)
        return
    anchor = launch_anchor(playbook, launch)
    if anchor is None:
        return
    slots = []
    for timeline_step, step in launch.steps:
        slot = _launch_slot(playbook, launch, anchor, timeline_step, step, start, end, keep_quiet_skipped)
        if slot is not None:
            slots.append(slot)
    yield from sorted(slots, key=Slot.sort_key)


def launch_anchor(playbook: CompiledPlaybook, launch) -> dt.datetime | None:
    """T of a dated launch (`run NAME at DATE TIME`); None for a recurring one or a date already reported."""
    a = launch.launch
    if a.at_date is None or a.at_time is None:
        return None
    return localize(dt.datetime.combine(a.at_date.date, a.at_time.time), playbook.zone)


def _launch_slot(playbook: CompiledPlaybook, launch, anchor: dt.datetime, timeline_step, step: Step,
                 start, end, keep_quiet_skipped: bool) -> Slot | None:
    scheduled = step_time(anchor, timeline_step.offset, timeline_step.at_time, playbook.zone, step.shift)
    at = _placed(scheduled, playbook, keep_quiet_skipped) if scheduled else None
    if at is None or not start <= at < end:
        return None
    return Slot(at=at, scheduled=scheduled, playbook=playbook, step=step, groups=launch.groups,
                anchor=anchor, variables=launch.variables)


# A step is sent at most this far from T + its offset: `at HH:MM` puts it on
# that day (and a day later if that is before T), quiet hours defer it a day.
LAUNCH_SLACK = dt.timedelta(days=2)
# A step further than this from T cannot reach the years sopc plans from any T in them.
LAUNCH_REACH = dt.timedelta(days=366 * 101)


def _recurring_slots(program: Program, playbook: CompiledPlaybook, launch, start, end,
                     keep_quiet_skipped: bool) -> Iterator[Slot]:
    """The slots of a recurring launch in [start, end): for each step, only
    the launches whose T puts that step in the window are worked out, so a
    launch with no end date (or a daily one over a year) costs what the
    window holds, not what the launch could ever send."""
    zone, calendar = playbook.zone, program.project.calendar
    slots: list[Slot] = []
    anchors: dict[dt.datetime, dt.datetime] = {}
    for timeline_step, step in launch.steps:
        if timeline_step.offset is None:
            continue
        delta = timeline_step.offset + step.shift
        if abs(delta) > LAUNCH_REACH:
            continue
        first = max((start - delta - LAUNCH_SLACK).astimezone(zone).date(), FIRST_DAY)
        last = min((end - delta + LAUNCH_SLACK).astimezone(zone).date(), LAST_DAY)
        for wall in launch_occurrences(launch.launch, playbook.policy, calendar, first, last):
            anchor = anchors.get(wall)
            if anchor is None:
                anchor = anchors[wall] = localize(wall, zone)
            slot = _launch_slot(playbook, launch, anchor, timeline_step, step, start, end, keep_quiet_skipped)
            if slot is not None:
                slots.append(slot)
    yield from sorted(slots, key=Slot.sort_key)


# ---- rendering ------------------------------------------------------------------------

# Context names whose value changes from slot to slot: a text reading one of
# them is only reused among the groups of one slot.


@dataclass(slots=True)
class _StepPieces:
    """What every message of one step shares, worked out once per step."""

    step: Step                   # held, so the id() keying this stays unique
    id_prefix: hashlib.blake2b   # already fed "playbook\x1fstep\x1f"
    mentions: tuple[str, ...] | None  # None: they name the member, so per slot
    fixed_text: str | None       # the text of a step without a template
    by_group: bool = False       # the template reads `group`
    shared: bool = False         # its texts are kept across slots (it reads nothing slot-specific)
    keyed_on: tuple[str, ...] = ()  # the few-valued per-slot names it reads (shared: kept per their values)


@dataclass(frozen=True, slots=True)
class _Unrenderable:
    """A memoized failure: the same context fails the same way (a missing
    variable makes Jinja build a traceback, ~0.1 ms a time)."""

    why: str


@dataclass(slots=True)
class _SlotPieces:
    """What every message of one slot shares, worked out once per slot rather
    than once per group (a slot of a weekly step reaches every group)."""

    slot: Slot
    step: _StepPieces
    member_id: str | None
    mentions: tuple[str, ...]
    id_suffix: str               # "\x1fmember\x1flocal scheduled time"
    texts: dict | None           # memoized texts: by group id if the template reads `group`,
                                 # else under None; None when the step has no template


class Renderer:
    """Slot x group -> PlannedMessage, memoizing texts on the variables a
    template reads (a template is a pure function of its context)."""

    def __init__(self, program: Program, diagnostics: list[Diagnostic], keep_unrenderable: bool = False):
        self.program = program
        self.diagnostics = diagnostics
        self.keep_unrenderable = keep_unrenderable
        self._last_error = ""
        self._last_why: str | None = None
        # (id(step), id(slot.variables)) -> (step, variables, {group id or None: text})
        # for templates reading nothing slot-specific. The entry holds the step
        # and the variables, so their ids cannot be reused while it exists.
        self._cache: dict[tuple[int, int], tuple[Step, Mapping, dict[str | None, str]]] = {}
        self._cached = 0
        self._steps: dict[int, _StepPieces] = {}
        self._summaries: dict[str, str] = {}
        self._group_dicts: dict[int, tuple[Group, dict]] = {}
        self._playbook_dicts: dict[str, dict] = {}
        self._failed_steps: set[int] = set()
        self._pieces: _SlotPieces | None = None
        self._text_pieces: _SlotPieces | None = None

    def message(self, slot: Slot, group: Group) -> PlannedMessage | None:
        return next(self.messages(slot, (group,)), None)

    def text(self, slot: Slot, group: Group) -> tuple[str | None, str | None]:
        """The slot's text for ``group`` without the rest of a message (no
        id, no mentions): (text, None), or (None, why it cannot be rendered).
        For checks that look at timing and text apart (the timing needs no
        render at all: :func:`planned_slots`). The same memo as
        :meth:`messages`, so a text is rendered once for both."""
        step = self._steps.get(id(slot.step))
        if step is not None and step.shared and slot.step.template is not None:  # most slots: a text kept already
            text = self._shared_texts(slot, step).get(group.id if step.by_group else None)
            if type(text) is str:
                return text, None
        pieces = self._text_pieces
        if pieces is None or pieces.slot is not slot:
            pieces = self._text_pieces = self._prepare(slot, with_ids=False)
        text = self._text(pieces, group)
        return (text, None) if text is not None else (None, self._last_error)

    def same_at_every_slot(self, step: Step) -> bool:
        """Whether a group's text of ``step`` is the same at every slot with
        the same variables (it reads nothing that changes from slot to slot,
        or it has no template): what :meth:`text` gives once may be kept."""
        if step.template is None:
            return True
        pieces = self._step_pieces(step)
        return pieces.shared and not pieces.keyed_on

    def messages(self, slot: Slot, groups: Iterable[Group]) -> Iterator[PlannedMessage]:
        """The slot's message to each of ``groups``, leaving out texts that
        cannot be rendered (reported once per step)."""
        pieces = self._pieces
        if pieces is None or pieces.slot is not slot:
            pieces = self._pieces = self._prepare(slot)
        step, playbook, sender_for = slot.step, slot.playbook, self.program.sender_for
        for group in groups:
            text = self._text(pieces, group)
            error_text = None
            if text is None:
                if not self.keep_unrenderable:
                    continue
                text, error_text = "", self._last_error
            digest = pieces.step.id_prefix.copy()
            digest.update(f"{group.id}{pieces.id_suffix}".encode())
            yield PlannedMessage(
                id=digest.hexdigest(), at=slot.at, playbook=step.playbook, step=step.name, group=group.id,
                member=pieces.member_id, sender=sender_for(playbook, group, step), kind=step.kind,
                mentions=_owner_put_in(pieces.mentions, group) if OWNER in pieces.mentions else pieces.mentions,
                text=text, error=error_text, private=step.private)

    def _prepare(self, slot: Slot, with_ids: bool = True) -> _SlotPieces:
        step = self._step_pieces(slot.step)
        member_id = slot.member["id"] if slot.member else None
        if slot.step.template is None:
            texts = None
        elif step.shared:
            texts = self._shared_texts(slot, step)
        else:
            texts = {}
        if not with_ids:
            return _SlotPieces(slot, step, member_id, (), "", texts)
        mentions = step.mentions if step.mentions is not None else _mentions(slot.step, member_id)
        # Ids hash "playbook␟step␟group␟member␟local time"; the step's pieces hold the first two.
        local = slot.scheduled.astimezone(slot.playbook.zone).replace(tzinfo=None).isoformat()
        return _SlotPieces(slot, step, member_id, mentions, f"\x1f{member_id or ''}\x1f{local}", texts)

    def _step_pieces(self, step: Step) -> _StepPieces:
        pieces = self._steps.get(id(step))
        if pieces is None:
            id_prefix = hashlib.blake2b(f"{step.playbook}\x1f{step.name}\x1f".encode(), digest_size=8)
            by_member = any(is_member_mention(m) for m in step.mentions)
            pieces = self._steps[id(step)] = _StepPieces(
                step, id_prefix, None if by_member else _mentions(step, None), _fixed_text(step))
            if step.template is not None:
                # Everything else a template may read (step, playbook and launch
                # variables, the playbook, its schedule summary) is fixed by the
                # step and the slot's variables.
                names = memo_key_names(step.template)
                per_slot = PER_SLOT_NAMES.intersection(names)
                pieces.by_group = "group" in names
                pieces.shared = per_slot <= FEW_VALUED_NAMES
                pieces.keyed_on = tuple(sorted(per_slot)) if pieces.shared else ()
        return pieces

    def _shared_texts(self, slot: Slot, step: _StepPieces) -> dict[str | None, str]:
        key: tuple = (id(slot.step), id(slot.variables))
        if step.keyed_on:
            local = slot.at.astimezone(slot.playbook.zone)
            key += tuple(WEEKDAY_CN[local.weekday()] if name == "weekday_cn" else clock_text(local)
                         for name in step.keyed_on)
        entry = self._cache.get(key)
        if entry is None:
            entry = self._cache[key] = (slot.step, slot.variables, {})
        return entry[2]

    def _text(self, pieces: _SlotPieces, group: Group) -> str | None:
        if pieces.texts is None:
            return pieces.step.fixed_text
        key = group.id if pieces.step.by_group else None
        text = pieces.texts.get(key)
        if text is None:
            slot = pieces.slot
            text = self._render(slot, group)
            if text is None:
                if self._last_why is not None:
                    self._remember(pieces, key, _Unrenderable(self._last_why))
                return None
            if slot.step.action == "remind":
                text = f"remind: {text}"
            elif slot.step.parts:  # a text with attachments: both in one canonical text
                text = content.encode(text, slot.step.parts)
            self._remember(pieces, key, text)
        elif type(text) is _Unrenderable:  # failed before for this context: each group is named in its error
            self._last_error = f"cannot render step `{pieces.slot.step.name}` for group `{group.id}`: {text.why}"
            return None
        return text

    def _remember(self, pieces: _SlotPieces, key: str | None, text: str | _Unrenderable) -> None:
        if pieces.step.shared:
            self._cached += 1
            if self._cached > RENDER_CACHE_LIMIT:  # bound memory: start over
                self._cache.clear()
                self._cached = 1
                pieces.texts = self._shared_texts(pieces.slot, pieces.step)
        pieces.texts[key] = text

    def _render(self, slot: Slot, group: Group) -> str | None:
        try:
            template = slot.step.template
            return template.render(self.context(slot, group, template.context_names))
        except TemplateRenderError as exc:
            # A budget error is not remembered here: the template keeps its own (a timeout's "once already").
            self._last_why = None if isinstance(exc, RenderBudgetError) else str(exc)
            self._last_error = _("cannot render step `{step}` for group `{group}`: {error}").format(
                step=slot.step.name, group=group.id, error=exc)
            if id(slot.step) not in self._failed_steps:
                self._failed_steps.add(id(slot.step))
                code, hint = (("E0408", render_budget_hint()) if isinstance(exc, RenderBudgetError) else
                              ("E0406", _("give the variable a value (step, `vars`, roster column or `with`)")))
                self.diagnostics.append(error(code, _("step `{step}` cannot be rendered for group `{group}`: "
                                                      "{error}").format(step=slot.step.name, group=group.id, error=exc),
                                              slot.step.span, hint))
            return None

    def context(self, slot: Slot, group: Group, names: frozenset[str] | None = None) -> dict:
        """What a template of ``slot`` reads for ``group``: the playbook's,
        the slot's and the step's variables (the later over the earlier),
        under what sopc provides (`group`, `playbook`, the send's `date`,
        `time`, `now` and `weekday_cn`, and where there are any `T`,
        `member`, `event`). ``names``: only these, for a template known to
        read no others (the rest is not worked out)."""
        playbook = slot.playbook
        local = slot.at.astimezone(playbook.zone)
        if names is not None:
            return self._named_context(slot, group, local, names)
        context = {**playbook.variables, **slot.variables, **slot.step.variables}
        context.update(
            group=self._group_dict(group), playbook=self._playbook_dict(playbook),
            date=local.date().isoformat(), time=clock_text(local), now=local,
            weekday_cn=WEEKDAY_CN[local.weekday()])
        template = slot.step.template
        if template is None or "schedule_summary" in template.variables:  # worked out only for who reads it
            context["schedule_summary"] = self._summary(playbook)
        if slot.anchor is not None:
            context["T"] = slot.anchor.astimezone(playbook.zone)
        if slot.member is not None:
            context["member"] = slot.member
        if slot.event is not None:
            context["event"] = slot.event
        return context

    def _named_context(self, slot: Slot, group: Group, local: dt.datetime, names: frozenset[str]) -> dict:
        """:meth:`context`'s entries under ``names`` only (each worked out as there)."""
        context = {}
        for name in names:
            value = self._provided(name, slot, group, local)
            if value is not _NOT_PROVIDED:
                context[name] = value
                continue
            for scope in (slot.step.variables, slot.variables, slot.playbook.variables):
                if name in scope:
                    context[name] = scope[name]
                    break
        return context

    def _provided(self, name: str, slot: Slot, group: Group, local: dt.datetime):
        """What sopc provides under ``name`` (as :meth:`context` does), or _NOT_PROVIDED."""
        if name == "group":
            return self._group_dict(group)
        if name == "playbook":
            return self._playbook_dict(slot.playbook)
        if name == "date":
            return local.date().isoformat()
        if name == "time":
            return clock_text(local)
        if name == "now":
            return local
        if name == "weekday_cn":
            return WEEKDAY_CN[local.weekday()]
        if name == "schedule_summary":
            return self._summary(slot.playbook)
        if name == "T" and slot.anchor is not None:
            return slot.anchor.astimezone(slot.playbook.zone)
        if name == "member" and slot.member is not None:
            return slot.member
        if name == "event" and slot.event is not None:
            return slot.event
        return _NOT_PROVIDED

    def _group_dict(self, group: Group) -> dict:
        """`group` as templates read it. Templates cannot change it (the
        sandbox is immutable), so renders share one per group; the last
        GROUP_DICTS_KEPT only: 50,000 groups' dicts held ~15 MB for a whole plan."""
        kept = self._group_dicts.get(id(group))
        if kept is not None and kept[0] is group:
            return kept[1]
        if len(self._group_dicts) >= GROUP_DICTS_KEPT:
            self._group_dicts.clear()
        value = {**group.variables, "id": group.id, "name": group.name, "tags": sorted(group.tags)}
        self._group_dicts[id(group)] = (group, value)  # the group held: its id() stays its own
        return value

    def _playbook_dict(self, playbook: CompiledPlaybook) -> dict:
        value = self._playbook_dicts.get(playbook.name)
        if value is None:
            value = self._playbook_dicts[playbook.name] = {"name": playbook.name, "title": playbook.ast.title or ""}
        return value

    def _summary(self, playbook: CompiledPlaybook) -> str:
        if playbook.name not in self._summaries:
            templates = self.program.templates
            self._summaries[playbook.name] = summarize_weekly(
                list(playbook.ast.steps), lambda step: step_title(step.name, step.body, templates))
        return self._summaries[playbook.name]


_NOT_PROVIDED = object()
OWNER = "\x00owner"  # stands for the group's owner until a group is known (no user id holds a NUL)


def _mentions(step: Step, member_id: str | None) -> tuple[str, ...]:
    """`@member` names the member the event is about, `@all` everyone, `@owner`
    the group's owner (put in per group by :func:`_owner_put_in`)."""
    return tuple(member_id if (is_member_mention(m) and member_id) else
                 "all" if is_all_mention(m) else OWNER if is_owner_mention(m) else m for m in step.mentions)


def _owner_put_in(mentions: tuple[str, ...], group: Group) -> tuple[str, ...]:
    """The roster's `owner` of ``group`` for `@owner` (left out where the
    roster names none: `sopc check` reports that, E0412)."""
    return tuple(group.owner if m == OWNER else m for m in mentions if m != OWNER or group.owner)


def _fixed_text(step: Step) -> str | None:
    """The text of a step without a template: its action (`dissolve`,
    `remove member`: the member is the message's), its parts, its picture, else empty."""
    if step.template is not None:
        return None
    if step.kind == "action":
        return ACTION_TEXTS.get(step.action, step.action)
    if step.parts:
        return content.encode(None, step.parts)
    if step.image is not None:
        return step.image
    return ""


ACTION_TEXTS = {"dissolve": "dissolve", "remove": "remove member"}
