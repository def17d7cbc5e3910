"""Checks over the real plan: what each group actually receives.

Walks the plan for the check window and looks at it the way a member of a
group would: too many posts in a day (across every playbook reaching that
group), two posts too close together, a greeting that does not fit its hour,
a text longer than its channel takes, more 企业群发 sends in a day than the
platform lets a customer group receive. Findings are grouped per step, so a
rule broken in 1,000 groups is one diagnostic, not 1,000.

Work is linear in the roster's rows, and small per row: the timing rules are
followed for one group of each class of groups planned alike
(:mod:`sopc.checks.alike`) and counted for the whole class; each group's own
text of a step that reads `group` is made once per step, mostly without a
render (:mod:`sopc.checks.group_texts`). Checking 100,000 groups took minutes
when every group's five weeks of plan were expanded and rendered.
"""

from __future__ import annotations

import datetime as dt
import itertools
import operator
import re
from collections import Counter
from dataclasses import field
from typing import Iterator, NamedTuple

from sopc.checks.alike import Alike
from sopc.checks.context import CheckContext
from sopc.checks.group_texts import GroupTexts, source_key
from sopc.checks.static import static_render_problems
from sopc.compile.resolve import Program, Step, round_name, rounds
from sopc.compile.templates import memo_key_names
from sopc.core.contract import content_refusal
from sopc.core.diagnostics import Diagnostic, error, warning
from sopc.core.i18n import N_, _, ngettext
from sopc.core.progress import through_time
from sopc.core.memo import kept_for_short_texts
from sopc.core.records import dataclass
from sopc.core.senders import sender_specs
from sopc.core.timeutil import WEEKDAY_CN, format_duration
from sopc.core.vocabulary import PER_SLOT_NAMES
from sopc.lang import ast
from sopc.plan.expand import Renderer, planned_slots
from sopc.plan.policy import stage_refusal
from sopc.plan.triggers import plan_state
from sopc.plan.slots import Slot
from sopc.project.roster import Group

MORNING_WORDS = ("早上好", "早安", "早呀", "good morning")  # lower case: found in the lowered text
NIGHT_WORDS = ("晚安", "good night")
CODES = ("E0220", "E0304", "E0303", "W0302", "E0502", "E0506", "E0507")


class _Post(NamedTuple):
    """What the timing rules read of one message: a message without its
    text, id or mentions."""

    at: dt.datetime
    playbook: str
    step: str
    group: str
    sender: str


@dataclass
class _Finding:
    step: Step
    first: str
    order: tuple                                        # (slot number, group id) of the first
    groups: dict = field(default_factory=dict)          # a group id, or a class -> how many groups it is
    count: int = 0


class _Findings:
    def __init__(self):
        self.by_key: dict[tuple, _Finding] = {}

    def add(self, code: str, step: Step, order: tuple, describe, *, unit=None, weight: int = 1,
            times: int = 1) -> None:
        """One finding for ``weight`` groups (``unit`` names them: a group id
        or its class), ``times`` over in each. The finding's message is the
        one of the first occurrence in plan order (slot, then group id),
        whatever order they are found in."""
        key = (code, step.playbook, step.written_name)  # a repeated step's rounds are one finding
        finding = self.by_key.get(key)
        if finding is None:
            finding = self.by_key[key] = _Finding(step=step, first=describe(), order=order)
        elif order < finding.order:
            finding.first, finding.order = describe(), order
        finding.groups[unit if unit is not None else order[1]] = weight
        finding.count += weight * times


def check_cadence(program: Program, context: CheckContext) -> Iterator[Diagnostic]:
    daily_caps, cap_problems = _daily_caps(program)
    yield from cap_problems
    walk = _Walk(program, context, daily_caps, alone=frozenset())
    if walk.failed_groups:
        # A group whose text cannot be rendered misses those posts, so its
        # days differ from its class's: walk again with it in a class of its own.
        walk = _Walk(program, context, daily_caps, alone=walk.failed_groups)
    # A step whose template is already reported as unrenderable (E0405/E0407)
    # would fail again here, once per step: say it once, where it is clearest.
    reported = static_render_problems(program)
    yield from (d for d in walk.render_problems() if not (d.code == "E0406" and d.span in reported))
    yield from _report(walk.findings, _library_anchors(program))


def _walk_place(followed: tuple) -> int:
    return followed[0][3]


def _local_date(post: tuple) -> dt.date:
    return post[1].date()


def _slot_at(item: tuple[Slot, tuple]) -> dt.datetime:
    return item[0].at


class _Walk:
    """One walk of the plan: the representatives' messages, then every other
    group's texts of the steps that read `group`."""

    def __init__(self, program: Program, context: CheckContext, daily_caps: dict[str, int], alone: frozenset[str]):
        self.program = program
        self.steps = _steps_by_name(program)
        self.policies = {p.name: p.policy for p in program.playbooks}
        self.zones = {p.name: p.zone for p in program.playbooks}
        self.limits = _sender_limits(program)
        self.daily_caps = daily_caps
        self.findings = {code: _Findings() for code in CODES}
        # The groups' stages, for `in stage` steps: a post the gate skips for the stage is no post.
        self.lifecycle = plan_state(program, context.events, context.start, context.end)
        self.playbooks = {p.name: p for p in program.playbooks}
        lifecycle = self.lifecycle
        self.alike = Alike(program, context.events, alone=alone, staged=lifecycle.rules.staged,
                           stages=lambda group: lifecycle.stages_between(group, context.start, context.end))
        self.renderer = Renderer(program, [], keep_unrenderable=True)
        self.texts = GroupTexts(program, self.renderer)
        self.content_facts: dict[tuple, tuple] = {}  # (sender, kind, text) -> (greeting words, refusal), read once
        self.step_facts: dict[int, tuple] = {}  # id(step) -> what its slots share (see _facts)
        self.sender_labels: dict[str, str] = {}
        self.failures: dict[int, tuple[tuple, Slot, Group]] = {}  # id(step) -> its first failure
        self.failed_groups: set[str] = set()
        self.posted: dict[str, tuple[Group, list[tuple]]] = {}  # group id -> (it, its posts in walk order: _timings)
        self.serials = itertools.count()  # each post's place in the walk
        self.last_post: dict[str, _Post] = {}
        self.per_day: dict[tuple[str, dt.date], list[str]] = {}
        self.over_cap: set[tuple[str, dt.date]] = set()
        self.assisted_per_day: dict[tuple[str, dt.date], int] = {}
        self.over_assisted: set[tuple[str, dt.date]] = set()
        self.sources: dict[tuple, tuple] = {}  # source key -> (first slot, its number, [(slot number, local time)])
        self.named_twice = _names_used_twice(program)  # E0209 says these: E0220 does not again
        slots = through_time(context.progress, _("checking the plan"),
                             planned_slots(program, context.start, context.end, events=context.events,
                                           lifecycle=self.lifecycle),
                             context.start, context.end, at=_slot_at)
        named_once, number = _named_once(program), 0
        self.seen: dict[tuple, Step] = {}  # the current moment's messages (see _first_of_their_ids)
        self.moment: dt.datetime | None = None
        for slot, groups in slots:
            # A step no other step shares a name with: every group's message is its own.
            if id(slot.step) not in named_once:
                groups = self._first_of_their_ids(slot, groups, number)
                if not groups:
                    continue
            self._slot(number, slot, groups)
            number += 1
        self._timings()
        for first, index, occurrences in self.sources.values():
            self._others(first, index, occurrences, source_key(first, False, index))

    # -- each message once ------------------------------------------------------------

    def _first_of_their_ids(self, slot: Slot, groups: tuple[Group, ...], number: int) -> tuple[Group, ...]:
        """Of ``groups``, those whose message at ``slot`` is the first of its
        id: each message once, as the plan and the store keep it. A
        message's id is its playbook, step name, group, member and time, so
        two steps of one name falling due together for a group are one
        message, and only the first is sent. Two `run` lines that launch
        alike (pasted twice) plan the same written step twice: one message,
        nothing to say. Two different steps of one name (in two timelines
        the playbook runs) lose the second: an error (E0220), unless E0209
        already says the name is used twice. Alike messages fall due
        together (slots come in time order), so only the current moment's
        are remembered. ``number``: the slot's number in the walk."""
        seen = self.seen
        if slot.at != self.moment:
            self.moment = slot.at
            seen.clear()
        member = (slot.member or {}).get("id")
        fresh = []
        for group in groups:
            key = (slot.playbook.name, slot.step.name, slot.scheduled, member, group.id)
            first = seen.setdefault(key, slot.step)
            if first is slot.step:
                fresh.append(group)
            elif first.span != slot.step.span and (slot.playbook.name, slot.step.written_name) not in self.named_twice:
                self._lost(slot, first, group, number)
        return groups if len(fresh) == len(groups) else tuple(fresh)

    def _lost(self, slot: Slot, first: Step, group: Group, number: int) -> None:
        """``slot``'s step, for ``group``, has the id of ``first``'s message: never sent (E0220)."""
        step, zone = slot.step, self.zones[slot.step.playbook]
        where = (_("line {line}").format(line=first.span.line) if first.span.path == step.span.path
                 else f"{first.span.path}:{first.span.line}")
        self.findings["E0220"].add("E0220", step, (number, group.id), lambda: _(
            "`{step}` (line {line}) falls due at {time} in group `{group}` together with `{step}` ({first}) of "
            "the same playbook: a message's id is its playbook, step name, group and time, so the two are one "
            "message and only the first is sent").format(
                step=step.name, line=step.span.line, time=f"{slot.scheduled.astimezone(zone):%Y-%m-%d %H:%M}",
                group=group.id, first=where), unit=group.id)

    # -- one slot ---------------------------------------------------------------------

    def _slot(self, index: int, slot: Slot, groups: tuple[Group, ...]) -> None:
        """One slot, timing and text apart: the timing rules need only the
        slot's time and each group's sender (no message is built, no id
        hashed); the text is the renderer's, memoized on what its template
        reads, and is looked at only for the content rules."""
        facts = self.step_facts.get(id(slot.step))
        if facts is None:
            facts = self.step_facts[id(slot.step)] = self._facts(slot)
        step, zone, by_group, looked_at, posts, staged, kept = facts
        reps = self.alike.representatives(groups)
        local = None
        for group in reps:
            order = (index, group.id)
            key = (id(slot.variables), group.id)
            read = kept.get(key) if kept is not None else None
            if read is None:
                read = self._read_text(slot, group, order, looked_at)
                if read is None:  # not rendered: a failure, noted
                    continue
                if kept is not None:
                    kept[key] = read
            if not looked_at:
                continue
            if local is None:
                local = slot.at.astimezone(zone)
            sender, words, refusal = read
            if posts and (not staged or stage_refusal(_Post(slot.at, slot.step.playbook, slot.step.name, group.id,
                                                            sender), slot.playbook, self.lifecycle.stage_at) is None):
                posted = self.posted.get(group.id)
                if posted is None:
                    posted = self.posted[group.id] = (group, [])
                posted[1].append((slot.at, local, index, next(self.serials), slot, sender, step))
            if words is not None or refusal:
                if by_group:  # its own text
                    self._judge(words, refusal, slot.step.kind, step, local, order, group.id, 1, 1, group.id)
                else:  # one text for the class
                    self._judge(words, refusal, slot.step.kind, step, local, order, ("class", group.id),
                                self.alike.size(group), 1, group.id)
        if not looked_at or not by_group or len(reps) == len(groups):
            return
        if not PER_SLOT_NAMES.isdisjoint(memo_key_names(slot.step.template)):
            self._others(slot, index, [(index, slot.at.astimezone(zone))], source_key(slot, True, index))
            return
        key = source_key(slot, False, index)
        if key not in self.sources:
            self.sources[key] = (slot, index, [])
        self.sources[key][2].append((index, slot.at.astimezone(zone)))

    def _read_text(self, slot: Slot, group: Group, order: tuple, looked_at: bool) -> tuple | None:
        """What the content rules read of ``slot``'s text for ``group``:
        (sender, greeting words, refusal); None where it cannot be rendered
        (noted as a failure)."""
        text, failure = self.renderer.text(slot, group)
        if failure is not None:
            self._failed(slot, group, order)
            return None
        if not looked_at:
            return (None, None, None)
        sender = self.program.sender_for(slot.playbook, group)
        return (sender, *self._content_facts(sender, slot.step.kind, text))

    def _facts(self, slot: Slot) -> tuple:
        """What every slot of ``slot``'s step has in common, for :meth:`_slot`:
        the step findings are filed under (the first of its name), the
        playbook's zone, whether its text reads `group`, whether the rules
        look at it at all (not an action), whether it is a post in the group
        (not 1:1), whether its playbook is limited to stages, and where
        what the content rules read of its texts is kept, when a group's
        text is the same at every slot of the step (it reads nothing that
        changes between them: most steps)."""
        step = self.steps.get((slot.step.playbook, slot.step.name))
        return (step, self.zones[slot.step.playbook], self.texts.reads_group(slot.step),
                step is not None and slot.step.kind != "action", not slot.step.private, slot.playbook.stage_limited,
                {} if self.renderer.same_at_every_slot(slot.step) else None)

    def _sender_label(self, sender: str) -> str:
        label = self.sender_labels.get(sender)
        if label is None:
            label = self.sender_labels[sender] = _("sender `{name}`").format(name=sender)
        return label

    def _timings(self) -> None:
        """The cap, the gap and the 企业群发 cap for every post. Each rule
        follows one group's posts alone, and most groups break none: a
        group is followed post by post (:meth:`_timing`) only where a bound
        over all its posts says it may (:meth:`_may_break_timing`), and
        those groups' posts in walk order, so findings are met in the order
        a walk meets them. Following every post of every group one by one
        was ~4% of a check."""
        followed = [(post, group) for group, posts in self.posted.values() if self._may_break_timing(posts)
                    for post in posts]
        followed.sort(key=_walk_place)
        for (at, local, index, _serial, slot, sender, step), group in followed:
            self._timing(_Post(at, slot.step.playbook, slot.step.name, group.id, sender), step, local,
                         (index, group.id), group)

    def _may_break_timing(self, posts: list[tuple]) -> bool:
        """Whether one group's ``posts`` (in time order) may break a timing
        rule: some go through a sender with a daily cap, or two come closer
        than the widest gap of their playbooks, or a day has more than the
        smallest cap of them. False only where :meth:`_timing` finds nothing."""
        if any(post[5] in self.daily_caps for post in posts):
            return True
        policies = [self.policies[name] for name in {post[4].step.playbook for post in posts}]
        gap = max((policy.gap for policy in policies if policy.gap), default=None)
        if gap and len(posts) > 1:
            times = [post[0] for post in posts]
            if min(map(operator.sub, times[1:], times)) < gap:
                return True
        cap = min((policy.cap for policy in policies if policy.cap), default=None)
        return bool(cap) and len(posts) > cap and max(Counter(map(_local_date, posts)).values()) > cap

    def _timing(self, message: _Post, step: Step, local, order: tuple, group: Group) -> None:
        """The cap, the gap and the 企业群发 cap for one post; most posts
        break none, so only counting is done for them."""
        policy = self.policies[message.playbook]
        day = (message.group, local.date())
        posts = self.per_day.get(day)  # the playbooks of the group's posts that day
        if posts is None:
            posts = self.per_day[day] = []
        posts.append(message.playbook)
        previous = self.last_post.get(message.group)
        self.last_post[message.group] = message
        over_cap = policy.cap and len(posts) > policy.cap and day not in self.over_cap
        too_close = previous is not None and policy.gap and message.at - previous.at < policy.gap
        assisted = message.sender in self.daily_caps
        if not (over_cap or too_close or assisted):
            return
        weight, unit = self.alike.size(group), ("class", group.id)
        if over_cap:
            self.over_cap.add(day)
            _over_cap(self.findings["E0304"], message, step, local, policy.cap, posts, order, unit, weight)
        if too_close:
            _gap(self.findings["E0303"], message, step, policy.gap, previous, self.zones, order, unit, weight)
        if assisted:
            _assisted_cap(self.findings["E0506"], message, step, local, self.daily_caps[message.sender],
                          self.assisted_per_day, self.over_assisted, order, unit, weight)

    def _content_facts(self, sender: str, kind: str, text: str) -> tuple:
        """What the content rules read of a text: its greeting words and the
        sender's refusal, worked out once per (sender, kind, text)."""
        key = (sender, kind, text)
        facts = self.content_facts.get(key)
        if facts is None:
            limits = self.limits.get(sender)
            refusal = None if limits is None else content_refusal(
                self._sender_label(sender), limits, kind, text, self.program.project.config.project_dir)
            facts = self.content_facts[key] = (_greeting_words(text), refusal)
        return facts

    def _judge(self, words, refusal, kind: str, step: Step, local, order: tuple, unit, weight: int, times: int,
               group_id: str) -> None:
        """The content rules for a text (its greeting ``words`` and
        ``refusal``, see :meth:`_content_facts`) sent at ``local``."""
        if words is not None:
            _greeting_at(self.findings["W0302"], words, step, local, order, unit, weight, times)
        if refusal:
            _refused(self.findings, kind, step, group_id, refusal, order, unit, weight, times)

    # -- the other groups' texts ----------------------------------------------------------

    def _others(self, slot: Slot, first_index: int, occurrences: list, key: tuple) -> None:
        """Every group of ``slot`` but the representatives: its text (one for
        all ``occurrences``, the slots it is sent at) against the content
        rules. The loop runs for every group of a big roster: kept lean."""
        step = self.steps[(slot.step.playbook, slot.step.name)]
        text_of = self.texts.texts_for(slot, key)
        playbook, sender_for, kind = slot.playbook, self.program.sender_for, step.kind
        representatives, greeting = self.alike.representative_ids, _greeting_words
        project_dir = self.program.project.config.project_dir
        labels = {name: f"sender `{name}`" for name in self.limits}
        for group in slot.groups:
            if id(group) in representatives:
                continue
            text, _key = text_of(group)
            if text is None:
                self._failed(slot, group, (first_index, group.id))
                continue
            sender = playbook.sender or sender_for(playbook, group)
            limits = self.limits.get(sender)
            if limits is not None:
                problem = content_refusal(labels[sender], limits, kind, text, project_dir)
                if problem:
                    _refused(self.findings, kind, step, group.id, problem, (first_index, group.id), group.id, 1,
                             len(occurrences))
            words = greeting(text)
            if words is not None:
                self._greetings(text, words, step, occurrences, group.id)

    def _greetings(self, text: str, words: tuple, step: Step, occurrences: list, group_id: str) -> None:
        """The greeting rule for one group's text (saying the greeting
        ``words``) sent at each of ``occurrences``."""
        morning, night = words
        # as _greeting judges each send: a morning word after 11:00, else a night word before 18:00
        off = [(i, local) for i, local in occurrences
               if (morning and local.hour >= 11) or (night and not (morning and local.hour >= 11) and local.hour < 18)]
        if off:
            index, local = off[0]
            _greeting(self.findings["W0302"], text, step, local, (index, group_id), group_id, 1, len(off))

    # -- failures ----------------------------------------------------------------------

    def _failed(self, slot: Slot, group: Group, order: tuple) -> None:
        self.failed_groups.add(group.id)
        known = self.failures.get(id(slot.step))
        if known is None or order < known[0]:
            self.failures[id(slot.step)] = (order, slot, group)

    def render_problems(self) -> list[Diagnostic]:
        """For each step that failed for some group, the diagnostic of the
        first failure in plan order, exactly as the planner words it."""
        problems = []
        for order, slot, group in sorted(self.failures.values(), key=lambda entry: entry[0]):
            diagnostics: list[Diagnostic] = []
            Renderer(self.program, diagnostics).message(slot, group)
            problems += diagnostics[:1]
        return problems


def _named_once(program: Program) -> set[int]:
    """id() of each step no other step of its playbook shares a name with:
    its messages' ids cannot meet another step's. (The program holds the
    steps, so their ids stay theirs for the walk.)"""
    by_name: dict[tuple[str, str], set[int]] = {}
    for playbook in program.playbooks:
        for step in playbook.all_steps():
            by_name.setdefault((playbook.name, step.name), set()).add(id(step))
    shared = set().union(*(ids for ids in by_name.values() if len(ids) > 1))
    return set().union(*by_name.values()) - shared


def _steps_by_name(program: Program) -> dict[tuple[str, str], Step]:
    table: dict[tuple[str, str], Step] = {}
    for playbook in program.playbooks:
        for step in playbook.all_steps():
            table.setdefault((playbook.name, step.name), step)
    return table


def _over_cap(findings: _Findings, message, step, local, cap: int, playbooks: list[str], order, unit,
              weight) -> None:
    """Posts to one group on one local day, across every playbook (the
    playbooks of the day's posts so far, this one last). Each post is held
    to its own playbook's cap, so a playbook with `cap 3/day` is reported
    when its post is the 4th or a later one of the day; once per group and
    day."""
    count, names = len(playbooks), sorted(set(playbooks))

    def said() -> str:
        if len(names) == 1:
            source = _("from `{playbook}`").format(playbook=names[0])
        else:
            source = _("from {playbooks} and `{last}` together").format(
                playbooks=", ".join(f"`{n}`" for n in names[:-1]), last=names[-1])
        return _("on {day} ({weekday}) group `{group}` gets more than {cap} posts {source} (the cap is "
                 "{cap}/day); `{step}` at {time} is post {count}").format(
            day=local.date(), weekday=WEEKDAY_CN[local.weekday()], group=message.group, cap=cap, source=source,
            step=step.name, time=f"{local:%H:%M}", count=count)
    findings.add("E0304", step, order, said, unit=unit, weight=weight)


def _assisted_cap(findings: _Findings, message, step, local, cap: int, per_day: dict, over_cap: set, order,
                  unit, weight) -> None:
    """企业群发 sends to one customer group on one local day, through any
    sender with a per-group daily cap; once per group and day."""
    key = (message.group, local.date())
    count = per_day[key] = per_day.get(key, 0) + 1
    if count > cap and key not in over_cap:
        over_cap.add(key)
        findings.add("E0506", step, order, lambda: ngettext(
            "on {day} ({weekday}) group `{group}` gets more than {cap} 企业群发 send (sender `{sender}` has "
            "daily_cap = {cap}); `{step}` at {time} is send {count}",
            "on {day} ({weekday}) group `{group}` gets more than {cap} 企业群发 sends (sender `{sender}` has "
            "daily_cap = {cap}); `{step}` at {time} is send {count}", cap).format(
                day=local.date(), weekday=WEEKDAY_CN[local.weekday()], group=message.group, cap=cap,
                sender=message.sender, step=step.name, time=f"{local:%H:%M}", count=count), unit=unit, weight=weight)


def _gap(findings: _Findings, message, step, gap: dt.timedelta, previous, zones, order, unit, weight) -> None:
    if previous is None or not gap:
        return
    distance = message.at - previous.at
    if distance < gap:
        local = message.at.astimezone(zones[message.playbook])
        def said() -> str:
            if not distance:
                text = _("`{step}` at {time} comes at the same time as `{previous}` ({playbook}) in group `{group}`; "
                         "the gap is {gap}")
            else:
                text = _("`{step}` at {time} comes {distance} after `{previous}` ({playbook}) in group `{group}`; "
                         "the gap is {gap}")
            return text.format(step=step.name, time=f"{local:%Y-%m-%d %H:%M}", distance=format_duration(distance),
                               previous=previous.step, playbook=previous.playbook, group=message.group,
                               gap=format_duration(gap))
        findings.add("E0303", step, order, said, unit=unit, weight=weight)


def _find_greeting_words(text: str) -> tuple[str | None, str | None] | None:
    """The morning and the night word ``text`` says, or None for neither:
    one search of the lowered text per word list (a case-blind regex of
    alternatives took 8 ms on a 300,000-character text, sent on each of 35
    days)."""
    lowered = text.lower()
    morning, night = _first_of(_MORNING, text, lowered), _first_of(_NIGHT, text, lowered)
    return None if morning is None and night is None else (morning, night)


# A text is searched once (most are sent on many days).
_greeting_words = kept_for_short_texts(maxsize=4096)(_find_greeting_words)


def _words_pattern(words: tuple[str, ...]) -> re.Pattern:
    """One search for the first of ``words``: the leftmost place any of them
    is at, and there the least of them, as the alternatives are tried in
    order (a ``find`` per word and the least of (place, word) took 4x as long)."""
    return re.compile("|".join(map(re.escape, sorted(words))))


_MORNING, _NIGHT = _words_pattern(MORNING_WORDS), _words_pattern(NIGHT_WORDS)


def _first_of(words: re.Pattern, text: str, lowered: str) -> str | None:
    """The first of ``words`` in ``text``, as ``text`` writes it (its case)."""
    found = words.search(lowered)
    if found is None:
        return None
    word = found.group()
    return text[found.start():found.end()] if len(lowered) == len(text) else word  # (lower() can change a length)


def _greeting(findings: _Findings, text: str, step, local, order, unit, weight, times) -> None:
    words = _greeting_words(text)
    if words is not None:
        _greeting_at(findings, words, step, local, order, unit, weight, times)


def _greeting_at(findings: _Findings, words: tuple, step, local, order, unit, weight, times) -> None:
    """The greeting rule for a text saying the greeting ``words``, sent at ``local``."""
    morning, night = words
    if morning and local.hour >= 11:
        findings.add("W0302", step, order, lambda: _(
            "`{step}` says “{greeting}” (good morning) but is sent at {time}").format(
                step=step.name, greeting=morning, time=f"{local:%H:%M}"),
            unit=unit, weight=weight, times=times)
    elif night and local.hour < 18:
        findings.add("W0302", step, order, lambda: _(
            "`{step}` says “{greeting}” (good night) but is sent at {time}").format(
                step=step.name, greeting=night, time=f"{local:%H:%M}"),
            unit=unit, weight=weight, times=times)


def _refused(findings: dict[str, _Findings], kind: str, step, group_id: str, problem: str, order, unit, weight,
             times) -> None:
    code = "E0502" if kind in ("text", "markdown") else "E0507"
    findings[code].add(code, step, order, lambda: _("`{step}` for group `{group}`: {problem}").format(
        step=step.name, group=group_id, problem=problem), unit=unit, weight=weight, times=times)


HINTS = {
    "E0220": N_("give one of the two steps another name"),
    "E0304": N_("drop or move a step, or raise the playbook's `cap`"),
    "E0303": N_("move one of the steps, or lower the playbook's `gap`"),
    "W0302": N_("members notice a greeting that does not fit the hour: change the text or the time"),
    "E0502": N_("shorten the text, or split it into two steps"),
    "E0507": N_("`sopc senders` shows what each sender takes: how many articles a link message holds, which "
                "attachments go with a text, how long a link's fields may be, how large an image; a link written as "
                "text is three lines: URL, title, description"),
    "E0506": N_("a customer group takes only so many 企业群发 sends: merge the steps into one message, move one "
                "to another day, or raise the sender's `daily_cap` if your WeCom 群发规则 allow more"),
}


def _names_used_twice(program: Program) -> set[tuple[str, str]]:
    """(playbook, step name) for the names E0209 reports: used twice among a
    playbook's own steps, or twice in one timeline it runs."""
    found: set[tuple[str, str]] = set()
    for playbook in program.playbooks:
        found.update((playbook.name, name.value) for name in ast.repeated_names(playbook.ast.own_step_names()))
        timelines = [launch.timeline for launch in playbook.launches]
        timelines += [program.timelines.get(item.timeline.value) for t in playbook.ast.triggers for item in t.steps
                      if hasattr(item, "timeline")]
        for timeline in filter(None, timelines):
            found.update((playbook.name, name.value) for name in ast.repeated_names(s.name for s in timeline.steps))
    return found


def _library_anchors(program: Program) -> dict[tuple[str, str], tuple[str, object]]:
    """(playbook, step) -> (timeline, the `run` or `use` line) for steps of
    timelines from imported files: a finding is reported where the user
    brings the timeline in, since they cannot edit the standard library."""
    own = {f.path for f in program.project.files}
    anchors: dict[tuple[str, str], tuple[str, object]] = {}
    for playbook in program.playbooks:
        for launch in playbook.launches:
            if launch.timeline.path not in own:
                for _written, step in launch.steps:  # by the compiled step's name: a repeated step's rounds are `name#2`
                    anchors.setdefault((playbook.name, step.name), (launch.timeline.name.value, launch.launch.span))
        for trigger in playbook.ast.triggers:
            for item in trigger.steps:
                timeline = program.timelines.get(item.timeline.value) if hasattr(item, "timeline") else None
                if timeline is not None and timeline.path not in own:
                    for timeline_step in timeline.steps:
                        for number, _shift in rounds(timeline_step):
                            anchors.setdefault((playbook.name, round_name(timeline_step.name.value, number)),
                                               (timeline.name.value, item.span))
    return anchors


def _report(findings: dict[str, _Findings], anchors: dict) -> Iterator[Diagnostic]:
    for code, table in findings.items():
        make = warning if code.startswith("W") else error
        anchored: dict[tuple, list[tuple[_Finding, str]]] = {}
        for finding in table.by_key.values():
            more = finding.count - 1
            groups = sum(finding.groups.values())
            tail = _(" (and {times} in {groups})").format(
                times=ngettext("{count} more time", "{count} more times", more).format(count=more),
                groups=ngettext("{count} group", "{count} groups", groups).format(count=groups)) if more else ""
            step = finding.step
            anchor = anchors.get((step.playbook, step.name))
            if anchor is None:
                yield make(code, finding.first + tail, step.span, _(HINTS[code]))
            else:
                anchored.setdefault((anchor[0], anchor[1]), []).append((finding, finding.first + tail))
        # One diagnostic per `run`/`use` line, naming the library steps involved.
        for (timeline, span), items in anchored.items():
            first, message = items[0]
            others = [f"`{f.step.name}`" for f, _message in items[1:]]
            where = f"{first.step.span.path}:{first.step.span.line}"
            said = _("timeline `{timeline}` ({where}): {message}").format(timeline=timeline, where=where, message=message)
            if others:
                said = _("{message}; also {steps}").format(message=said, steps=", ".join(others))
            yield make(code, said, span, _(HINTS[code]))


def _daily_caps(program: Program) -> tuple[dict[str, int], list[Diagnostic]]:
    """sender name -> sends per customer group per day, for the senders whose
    kind has such a cap (its spec declares ``daily_cap``: 企业群发);
    and errors for `daily_cap` settings that are not a whole number >= 1."""
    specs = sender_specs()
    caps, problems = {}, []
    for name, config in program.project.config.senders.items():
        spec = specs.get(config.kind)  # None for an unknown kind: the sender-kinds check says so
        default = spec.daily_cap if spec else None
        if default is None:
            continue
        value = config.settings.get("daily_cap", default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            problems.append(error("E0506", _("sender `{name}`: `daily_cap` must be a whole number of at least 1").format(
                name=name), config.span, _("the 企业群发 sends one customer group may get per day (default {default})").format(
                    default=default)))
            continue
        caps[name] = value
    return caps, problems


def _sender_limits(program: Program) -> dict:
    """sender name -> the limits of its kind, for the kinds that are installed."""
    specs = sender_specs()
    return {name: specs[config.kind].limits
            for name, config in program.project.config.senders.items() if config.kind in specs}
