"""Stage 4, compile: a project's playbook tests (`test` blocks) made ready to run.

A test names groups, steps and events; here each name is looked up in the
project (groups in the roster, steps in its playbooks and timelines), each
`given` line becomes an :class:`~sopc.core.events.Event` through the one
event reader (:func:`sopc.events.reader.read_event`: what `sopc event` and
`sopc serve` refuse, a test refuses, in the same words), and the test's
window is worked out. Every problem is a located diagnostic: `sopc check`
reports them (the `playtests` check) and `sopc test` stops on them.

Nothing here is part of the Program: a test is never planned or sent by
`sopc run`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Iterable

from sopc.compile.resolve import Program
from sopc.core.diagnostics import Diagnostic, Span, did_you_mean, error, warning
from sopc.core.events import Event
from sopc.core.i18n import N_, _, language
from sopc.core.limits import MAX_TEST_SPAN
from sopc.core.timeutil import localize, zone_or_default
from sopc.events.reader import DERIVED_ONLY, read_event
from sopc.lang import ast

DEFAULT_DAYS = 7  # a test without `until` runs a week from `start` (as `sopc plan` does), or to its last date
SKIP_REASONS = ("cap", "quiet", "stage")  # the words the gate's skip reasons start with, those a plan can meet
# A test plans as `sopc plan` does: nothing is paused, nothing is sent late, so these never happen in one.
UNPLANNED_REASONS = ("paused", "missed")
DEFER_REASONS = ("quiet", "gap")                               # what the gate defers for
GIVEN_FORMS = {
    "member.tagged": 'given member.tagged GROUP MEMBER TAG ["NAME"] at DATE TIME',
    "group.stage": "given group.stage GROUP STAGE at DATE TIME",
}
MEMBER_FORM = 'given {kind} GROUP MEMBER ["NAME"] at DATE TIME [key=value ...]'
# What a `given` line takes after its group, by event (the words are translated where shown).
WORD_NAMES = {"member": N_("member"), "tag": N_("tag"), "stage": N_("stage")}
WORDS_TAKEN = {("member",): N_("its member"), ("member", "tag"): N_("its member and tag"),
               ("stage",): N_("its stage")}


@dataclass(frozen=True, slots=True)
class PlayTest:
    """One test, ready to run: its window and its events, in time order."""

    test: ast.Test
    start: dt.datetime
    end: dt.datetime
    events: tuple[Event, ...]
    zone: dt.tzinfo

    @property
    def expects(self) -> tuple[ast.Expect, ...]:
        return self.test.expects


def project_tests(program: Program) -> list[ast.Test]:
    """The tests of the project's own files (not of files it only imports)."""
    return [test for source in program.project.files for test in source.tests]


def resolve_tests(program: Program, tests: Iterable[ast.Test] | None = None) -> tuple[list[PlayTest], list[Diagnostic]]:
    """Each test ready to run (those with no errors), and every problem found."""
    resolver = _TestResolver(program)
    ready = []
    for test in project_tests(program) if tests is None else tests:
        found = resolver.resolve(test)
        if found is not None:
            ready.append(found)
    return ready, resolver.diagnostics


def step_names(program: Program) -> set[str]:
    """Every step name a message can carry: the steps of playbooks, of their
    event triggers and of timelines (launched, or used by a trigger)."""
    names: set[str] = set()
    for source in program.project.files + program.project.library:
        for playbook in source.playbooks:
            names.update(step.name.value for step in playbook.steps)
            names.update(step.name.value for trigger in playbook.triggers for step in trigger.steps
                         if isinstance(step, ast.TriggerStep))
        for timeline in source.timelines:
            names.update(step.name.value for step in timeline.steps)
    return names


class _TestResolver:
    def __init__(self, program: Program):
        self.program = program
        self.zone = zone_or_default(program.project.config.timezone)
        self.groups = program.project.roster.by_id
        self.steps = step_names(program)
        self.playbooks = {playbook.name for playbook in program.playbooks}
        self.stages = tuple(rule.name.value for rule in program.stages.rules) if program.stages else ()
        self.diagnostics: list[Diagnostic] = []

    def report(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.diagnostics.append(error(code, message, span, hint))

    def resolve(self, test: ast.Test) -> PlayTest | None:
        before = len(self.diagnostics)
        for span in test.repeated:
            self.report("E0801", _("a test has one `start` and at most one `until`"), span,
                        _("keep one of them (the first is the one that counts)"))
        window = self._window(test)
        events = [event for event in (self._event(given) for given in test.givens) if event is not None]
        for expect in test.expects:
            self._check_expect(expect, test, window)
        if not test.expects:
            self.diagnostics.append(warning(
                "W0807", _("test \"{name}\" has no `expect` line: it always passes").format(name=test.name),
                test.name_span, _('say what the run must deliver, e.g. '
                                  '`expect welcome to g1 at 2026-11-24 08:00 contains "欢迎"`')))
        failed = any(d.is_error for d in self.diagnostics[before:])
        if failed or window is None:
            return None
        return PlayTest(test=test, start=window[0], end=window[1], events=tuple(sorted(events, key=lambda e: e.at)),
                        zone=self.zone)

    # ---- the window -----------------------------------------------------------------------
    def _window(self, test: ast.Test) -> tuple[dt.datetime, dt.datetime] | None:
        if test.start is None:
            self.report("E0801", _("test \"{name}\" has no `start` line").format(name=test.name), test.name_span,
                        _("say when the simulated run begins, e.g. `start 2026-11-23 08:00`"))
            return None
        start = self._moment(test.start)
        if start is None:
            return None  # its date or time is reported already
        if test.until is not None:
            end = self._moment(test.until, end_of_day=True)
            if end is None:
                return None
            if end <= start:
                self.report("E0801", _("the test ends before it starts: `until` must come after `start`"),
                            test.until.span, _("write a later `until`, e.g. `until {day}`").format(
                                day=start.date() + dt.timedelta(days=6)))
                return None
        else:
            last = max([start.date() + dt.timedelta(days=DEFAULT_DAYS - 1), *_dates_named(test)])
            end = localize(dt.datetime.combine(last + dt.timedelta(days=1), dt.time()), self.zone)
        if end - start > MAX_TEST_SPAN:
            self.report("E0806", _("the test runs {days} days; a test runs at most {most} days").format(
                days=(end - start).days, most=MAX_TEST_SPAN.days), (test.until or test.start).span,
                _("test a shorter stretch: write `until DATE` nearer `start`"))
            return None
        return start, end

    def _moment(self, moment: ast.Moment, *, end_of_day: bool = False) -> dt.datetime | None:
        """The moment a `start`/`until`/`at` names, in the project's zone; a
        date alone is its midnight (``end_of_day``: the midnight after it)."""
        if moment.date is None:
            return None
        if moment.time is None:
            day = moment.date.date + dt.timedelta(days=1 if end_of_day else 0)
            return localize(dt.datetime.combine(day, dt.time()), self.zone)
        return localize(dt.datetime.combine(moment.date.date, moment.time.time), self.zone)

    # ---- given ------------------------------------------------------------------------------
    def _event(self, given: ast.Given) -> Event | None:
        """The event a `given` line records, read by the one event reader."""
        kind = given.kind.value
        self._check_group(given.group)
        record, problem = _record(given)
        if problem:
            self.report("E0802", problem, given.span, _("write `{form}`").format(form=_form(kind)))
            return None
        if given.at.date is None or given.at.time is None:
            return None  # reported already
        record["at"] = dt.datetime.combine(given.at.date.date, given.at.time.time).isoformat()
        event, problems = read_event(record, self.zone, stages=self.stages)
        for problem in problems:
            self.report("E0802", _in_test_words(problem), _problem_span(problem, given),
                        _("write `{form}`").format(form=_form(kind)))
        return event

    def _check_group(self, group: ast.Name) -> None:
        if group.value in self.groups:
            return
        hint = did_you_mean(group.value, self.groups) or (
            _("the roster's groups include {groups}").format(groups=_listed(list(self.groups)[:5])) if self.groups
            else _("the roster has no groups"))
        self.report("E0803", _("group `{group}` is not in the roster").format(group=group.value), group.span, hint)

    # ---- expect -----------------------------------------------------------------------------
    def _check_expect(self, expect: ast.Expect, test: ast.Test, window) -> None:
        if expect.name is not None and expect.name.value not in self.steps:
            name = expect.name.value
            hint = (_("`{name}` is a playbook; expect one of its steps, or `posts` / `messages`").format(name=name)
                    if name in self.playbooks else did_you_mean(name, self.steps)
                    or _("name a step of a playbook or timeline, or write `posts` or `messages`"))
            self.report("E0804", _("no playbook or timeline has a step `{name}`").format(name=name),
                        expect.name.span, hint)
        if expect.reason is not None:
            self._check_reason(expect)
        if expect.group is not None:
            self._check_group(expect.group)
        if expect.playbook is not None and expect.playbook.value not in self.playbooks:
            name = expect.playbook.value
            self.report("E0804", _("no playbook is called `{name}`").format(name=name), expect.playbook.span,
                        did_you_mean(name, self.playbooks)
                        or _("the playbooks are {names}").format(names=_listed(sorted(self.playbooks))))
        if expect.at is not None and expect.on is not None:
            self.report("E0805", _("an expectation says `at` (a moment) or `on` (a day), not both"), expect.span,
                        _("keep one: `at 2026-11-24 08:00` or `on 2026-11-24`"))
        if expect.member is not None and not any(_mentions(given, expect.member.value) for given in test.givens):
            self.diagnostics.append(warning(
                "W0808", _("no `given` line of this test is about member `{member}`, so no message is for them "
                           "and this expectation cannot fail").format(member=expect.member.value), expect.member.span,
                did_you_mean(expect.member.value, [w.value for g in test.givens for w in g.words[:1]])
                or _("give the member's event first, e.g. `given member.joined g1 A \"阿甲\" at 2026-11-23 23:30`")))
        if window is not None:
            self._check_in_window(expect, window)

    def _check_reason(self, expect: ast.Expect) -> None:
        word = expect.reason.value
        known = SKIP_REASONS if expect.subject == "skipped" else DEFER_REASONS
        if word in known:
            return
        if word in UNPLANNED_REASONS:
            self.report("E0805", _("nothing is {reason} in a test: it plans as `sopc plan` does, with no playbook "
                                   "paused and every message on time").format(reason=word), expect.reason.span,
                        _("the reasons a test meets are {reasons}").format(reasons=_listed(known)))
            return
        if expect.subject == "skipped" and word in DEFER_REASONS:
            hint = _("the gap defers a post, it never skips one: `expect deferred {reason}`").format(reason=word)
        elif expect.subject == "deferred" and word in SKIP_REASONS:
            hint = _("the gate skips for `{reason}`, it does not defer: `expect skipped {reason}`").format(reason=word)
        else:
            hint = did_you_mean(word, known) or _("the reasons are {reasons}").format(reasons=_listed(known))
        message = (_("the gate has no `{reason}` reason to skip a message") if expect.subject == "skipped"
                   else _("the gate has no `{reason}` reason to defer a message"))
        self.report("E0805", message.format(reason=word), expect.reason.span, hint)

    def _check_in_window(self, expect: ast.Expect, window: tuple[dt.datetime, dt.datetime]) -> None:
        start, end = window
        if expect.at is not None:
            moment = self._moment(expect.at)
            if moment is not None and not start <= moment < end:
                self.report("E0806", _("this moment is outside the test's window ({start} to {end})").format(
                    start=_shown(start), end=_shown(end)), expect.at.span, _window_hint(moment, start))
        if expect.on is not None:
            day_start = localize(dt.datetime.combine(expect.on.date, dt.time()), self.zone)
            if day_start >= end or day_start + dt.timedelta(days=1) <= start:
                self.report("E0806", _("{day} is outside the test's window ({start} to {end})").format(
                    day=expect.on.date, start=_shown(start), end=_shown(end)), expect.on.span,
                    _window_hint(day_start, start))


def _record(given: ast.Given) -> tuple[dict, str | None]:
    """The event record a `given` line stands for (the reader's fields), or
    why its words do not fit its event."""
    kind, words = given.kind.value, [w.value for w in given.words]
    record: dict = {"event": kind, "group": given.group.value}
    if given.name is not None:
        record["name"] = given.name
    if given.data:
        record["data"] = {a.key: a.value for a in given.data}
    if kind == "group.stage":
        wanted = ["stage"]
    elif kind == "member.tagged":
        wanted = ["member", "tag"]
    elif kind.startswith("member."):
        wanted = ["member"]
    else:
        wanted = []  # an unknown event: the reader names the events there are
    if len(words) > len(wanted) and wanted:
        extra = " ".join(f"`{w}`" for w in words[len(wanted):])
        return record, _("`{kind}` takes the group, then {words}: {extra} is more than it takes "
                         "(a name goes in quotes)").format(kind=kind, words=_(WORDS_TAKEN[tuple(wanted)]), extra=extra)
    if len(words) < len(wanted):
        if not words:
            return record, _("`{kind}` needs its {word} after the group").format(kind=kind, word=_(WORD_NAMES[wanted[0]]))
        return record, _("`{kind}` needs its {word} after `{previous}`").format(
            kind=kind, word=_(WORD_NAMES[wanted[len(words)]]), previous=words[-1])
    record.update(zip(wanted, words))
    return record, None


def _form(kind: str) -> str:
    """How a `given` line of ``kind`` is written (of member.joined for an
    event there is no such line of)."""
    if kind in GIVEN_FORMS:
        return GIVEN_FORMS[kind]
    reported = kind in ast.EVENT_KINDS and kind not in DERIVED_ONLY
    return MEMBER_FORM.format(kind=kind if reported else "member.joined")


def _problem_span(problem: str, given: ast.Given) -> Span:
    """Where on the `given` line the reader's problem is: at the word that
    made the field it names (`"stage": ...` is at the stage), else the line."""
    field = re.match(r'"(\w+)"', problem)
    key = field.group(1) if field else None
    kind = given.kind.value
    words = ["stage"] if kind == "group.stage" else ["member", "tag"] if kind == "member.tagged" else ["member"]
    if key == "event":
        return given.kind.span
    if key == "group":
        return given.group.span
    if key == "at":
        return given.at.span
    if key in words and words.index(key) < len(given.words):
        return given.words[words.index(key)].span
    if key == "data" and given.data:
        return given.data[0].span
    return given.span


def _in_test_words(problem: str) -> str:
    """The reader speaks of a JSON record's fields; a test line has words:
    `"event": unknown event ...` reads `unknown event ...`."""
    return re.sub(r'^"(event|stage|tag|member|group|name|at)": ', "", problem)


def _mentions(given: ast.Given, member: str) -> bool:
    return given.kind.value.startswith("member.") and bool(given.words) and given.words[0].value == member


def _dates_named(test: ast.Test) -> list[dt.date]:
    """The dates the test's lines name (its default window reaches them)."""
    dates = [given.at.date.date for given in test.givens if given.at.date is not None]
    for expect in test.expects:
        if expect.at is not None and expect.at.date is not None:
            dates.append(expect.at.date.date)
        if expect.on is not None:
            dates.append(expect.on.date)
    return dates


def _shown(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def _window_hint(moment: dt.datetime, start: dt.datetime) -> str:
    if moment < start:
        return _("a test sees what goes out from its `start` on: move `start` earlier")
    return _("move `until` past it, e.g. `until {day}` (or leave `until` out: the window reaches every date the "
             "test names)").format(day=moment.date())


def _listed(words) -> str:
    return "、".join(f"`{w}`" for w in words) if language() == "zh" else ", ".join(f"`{w}`" for w in words)
