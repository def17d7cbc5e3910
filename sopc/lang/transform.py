"""Stage 2, AST: .sop text -> :mod:`sopc.lang.ast` nodes.

:func:`parse_ast` builds the nodes while the parser reduces each rule
(:class:`InParse`): no parse tree of the file is made first. Each node
carries its source span, worked out from its children's places as Lark's
``propagate_positions`` does (Lark gives an in-parse transformer no
``meta``, so sopc puts its own callbacks in the parser).
:func:`build_ast` builds the same nodes from a tree parsed with positions
(the tests hold the two to each other).
Literal values are validated here (``25:00``, ``2026-02-30``, a cron line);
a bad literal becomes a diagnostic and its node holds ``None``.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import functools
import re
import textwrap
from contextvars import ContextVar
from typing import Any

from lark import Lark, Token, Tree
from lark.parse_tree_builder import PropagatePositions

from sopc.core.records import dataclass
from sopc.lang import ast
from sopc.core.i18n import N_, _, ngettext
from sopc.core.diagnostics import Diagnostic, Span, error
from sopc.core.limits import MAX_CAP, MAX_EXPECTED, MAX_DIGITS, MAX_OFFSET, MAX_REPEAT_SPAN, MAX_REPEATS, day_range_text
from sopc.core.timeutil import format_duration, parse_duration, range_problem
from sopc.core.vocabulary import WEEKDAY_CN
from sopc.lang.parser import LAYOUT_TOKENS, lark_parser, parse

WEEKDAY_INDEX = {
    **{w: i for i, w in enumerate(ast.WEEKDAYS)},
    **{w: i for i, w in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))},
}
CN_DIGIT = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
CN_NUMERALS = "".join(CN_DIGIT)
HOLIDAY_MODES = {"跳过": "skip", "提前": "before", "顺延": "after", "照常": "keep"}
QUIET_MODES = {"推迟": "defer", "跳过": "skip"}


@dataclass(frozen=True)
class _StageBlock:
    """`in stage ...` with its steps, each already holding the limit."""

    steps: tuple


@dataclass(frozen=True)
class _TestWindow:
    """A test's `start` or `until` line; gathered into the Test node."""

    key: str
    moment: Any


@dataclass(frozen=True)
class _Setting:
    """A playbook line that sets something; gathered into the Playbook node."""

    key: str
    value: Any
    span: Span


def weekday_index(word: str) -> int:
    if word in WEEKDAY_INDEX:
        return WEEKDAY_INDEX[word]
    return CN_DIGIT[word[-1]]


def with_meta(method):
    """Marks an AstBuilder method that takes the node's ``meta`` (its
    positions) before its children."""
    method.wants_meta = True
    return method


class AstBuilder:
    """Builds the AST bottom-up: the method named like a tree's rule gets
    the node's children already built (and its ``meta`` first when marked
    :func:`with_meta`); a rule without a method stays a Lark ``Tree`` for
    its parent to read. Tokens pass through as they are.

    Its own walk, not Lark's ``Transformer``: the same dispatch without the
    generic visitor's frames per node (the AST stage of a 10,000-line check
    took 0.38 s with it, 0.30 s without, in the same process)."""

    def __init__(self, path: str):
        self.path = path
        self.diagnostics: list[Diagnostic] = []
        self._handlers: dict[str, Any] = {}

    def transform(self, tree: Tree):
        handlers, handler_for = self._handlers, self._handler_for

        def build(node: Tree):
            children = [build(child) if isinstance(child, Tree) else child for child in node.children]
            handler = handlers.get(node.data) or handler_for(node.data)
            return handler(node.meta, children)

        return build(tree)

    def _handler_for(self, rule: str):
        """(meta, children) -> the node, for trees of ``rule``."""
        method = getattr(self, rule, None)
        if method is None:
            handler = lambda meta, children: Tree(rule, children, meta)  # noqa: E731
        elif getattr(method, "wants_meta", False):
            handler = method
        else:
            handler = lambda meta, children: method(children)  # noqa: E731
        self._handlers[rule] = handler
        return handler

    # ---- helpers --------------------------------------------------------------
    def span(self, meta_or_token) -> Span:
        if isinstance(meta_or_token, Token):
            t = meta_or_token
            return Span(path=self.path, line=t.line, column=t.column,
                        end_line=t.end_line or t.line, end_column=t.end_column or t.column + 1)
        m = meta_or_token
        if getattr(m, "empty", True):
            return Span.point(self.path)
        return Span(path=self.path, line=m.line, column=m.column, end_line=m.end_line, end_column=m.end_column)

    def report(self, code: str, message: str, token_or_span, hint: str | None = None) -> None:
        span = token_or_span if isinstance(token_or_span, Span) else self.span(token_or_span)
        self.diagnostics.append(error(code, message, span, hint))

    def name(self, token: Token) -> ast.Name:
        return ast.Name(value=str(token), span=self.span(token))

    def time(self, token: Token) -> ast.TimeOfDay | None:
        hours, minutes = (int(part) for part in str(token).split(":"))
        if hours > 23 or minutes > 59:
            self.report("E0101", _("`{token}` is not a time of day").format(token=token), token,
                        _("hours go from 00 to 23 and minutes from 00 to 59, e.g. `23:30`"))
            return None
        return ast.TimeOfDay(time=dt.time(hours, minutes), span=self.span(token))

    def date(self, token: Token) -> ast.DateValue | None:
        year, month, day = (int(part) for part in str(token).split("-"))
        try:
            value = dt.date(year, month, day)
        except ValueError:
            self.report("E0102", _("`{token}` is not a date: {problem}").format(
                token=token, problem=_date_problem(year, month, day)), token,
                _("write dates as YYYY-MM-DD, e.g. `2026-11-25`"))
            return None
        problem = range_problem(value)
        if problem:  # a launch or window near year 9999 would overflow the plan's arithmetic
            self.report("E0111", problem, token, _("write a date in those years"))
            return None
        return ast.DateValue(date=value, span=self.span(token))

    def duration(self, token: Token) -> ast.Duration | None:
        if self._too_many_digits(token):
            return None
        delta = parse_duration(str(token))
        if delta is None:
            self.report("E0103", _("`{token}` is not a duration").format(token=token), token,
                        _("use units d, h, m, s from largest to smallest, e.g. `90s`, `10m`, `1d12h`"))
            return None
        return ast.Duration(delta=delta, text=str(token), span=self.span(token))

    def _too_many_digits(self, token: Token) -> bool:
        """A duration or offset with a number of more than MAX_DIGITS digits
        is reported (E0112) and not read: int() of 4,301 digits raises."""
        longest = max((len(run) for run in re.findall(r"\d+", str(token))), default=0)
        if longest <= MAX_DIGITS:
            return False
        shown = str(token) if len(str(token)) <= 24 else f"{str(token)[:12]}…{str(token)[-4:]}"
        self.report("E0112", _("`{shown}` has a number of {digits} digits; sopc reads numbers of at most "
                               "{limit} digits").format(shown=shown, digits=f"{longest:,}", limit=MAX_DIGITS),
                    token, _("durations are written like `30m`, `1d12h` or `90s`"))
        return True

    def times(self, tokens) -> tuple[ast.TimeOfDay, ...]:
        return tuple(t for t in (self.time(tok) for tok in tokens) if t is not None)

    def text(self, token: Token) -> ast.InlineText:
        raw = str(token)
        line, column = token.line, token.column + 1
        if raw.startswith('"""'):
            body = raw[3:-3]
            column += 2
            if body.startswith("\n"):
                body, line, column = body[1:], line + 1, 1
            body = textwrap.dedent(body).rstrip(" \t")
            body = body[:-1] if body.endswith("\n") else body
        elif raw.startswith("“"):
            body = raw[1:-1]
        else:
            body = _unescape(raw[1:-1])
        return ast.InlineText(text=body, span=self.span(token), body_line=line, body_column=column)

    # ---- top level --------------------------------------------------------------
    def start(self, children):
        pick = lambda cls: tuple(c for c in children if isinstance(c, cls))
        return ast.SourceFile(path=self.path, imports=pick(ast.Import), templates=pick(ast.TemplateDef),
                              playbooks=pick(ast.Playbook), timelines=pick(ast.Timeline), stages=pick(ast.Stages),
                              tests=pick(ast.Test))

    @with_meta
    def import_all(self, meta, children):
        return ast.Import(path=self.text(children[0]).text, names=(), span=self.span(meta))

    @with_meta
    def import_names(self, meta, children):
        *names, path = children
        return ast.Import(path=self.text(path).text, names=tuple(self.name(n) for n in names), span=self.span(meta))

    @with_meta
    def template_def(self, meta, children):
        name, kind, body = children
        return ast.TemplateDef(name=self.name(name), kind=str(kind) if kind else None,
                               body=self.text(body), span=self.span(meta))

    # ---- playbook -----------------------------------------------------------------
    @with_meta
    def playbook(self, meta, children):
        name, title, *lines = children
        lines = [item for line in lines for item in (line if isinstance(line, list) else (line,))]
        settings: dict[str, _Setting] = {}
        repeated: list[Span] = []
        variables: list[ast.Assignment] = []
        for item in lines:
            if isinstance(item, _Setting):
                if item.key == "vars":
                    variables.extend(item.value)
                    continue
                if item.key in settings and item.key != "audience_stages":  # (a `to` line's: said once)
                    repeated.append(item.span)
                settings[item.key] = item
        value = lambda key: settings[key].value if key in settings else None
        return ast.Playbook(
            name=self.name(name), title=self.text(title).text if title else None,
            timezone=value("timezone"), audience=value("audience"), sender=value("sender"),
            quiet=value("quiet"), cap=value("cap"), gap=value("gap"), active=value("active"),
            holidays=value("holidays"), grace=value("grace"), variables=tuple(variables),
            steps=tuple(_schedule_steps(lines)),
            launches=tuple(i for i in lines if isinstance(i, ast.Launch)),
            triggers=tuple(i for i in lines if isinstance(i, ast.Trigger)),
            span=self.span(meta), path=self.path, repeated_settings=tuple(repeated),
            audience_unreadable=getattr(meta, "audience_unreadable", False),
            audience_stages=value("audience_stages"),
            posts=value("posts"), peaks=value("peaks"), staff=value("staff"))

    def _setting(self, key, value, meta) -> _Setting:
        return _Setting(key, value, self.span(meta))

    @with_meta
    def timezone(self, meta, children):
        return self._setting("timezone", self.name(children[0]), meta)

    @with_meta
    def audience(self, meta, children):
        target, limit = children
        # The stage part is a setting of its own: a second `to` line replaces both (W0215 says so).
        return [self._setting("audience", target, meta), self._setting("audience_stages", limit, meta)]

    @with_meta
    def stage_limit(self, meta, children):
        return ast.StageLimit(names=tuple(self.name(c) for c in children), span=self.span(meta))

    @with_meta
    def stage_block(self, meta, children):
        limit, *steps = children
        return _StageBlock(tuple(dataclasses.replace(step, stages=limit) for step in steps))

    @with_meta
    def sender(self, meta, children):
        return self._setting("sender", self.name(children[0]), meta)

    @with_meta
    def staff_sender(self, meta, children):
        return self._setting("staff", self.name(children[0]), meta)

    @with_meta
    def quiet(self, meta, children):
        start, end, mode = children
        mode_text = QUIET_MODES.get(str(mode), str(mode)) if mode else "defer"
        span = self.span(meta)
        quiet = ast.Quiet(start=self.time(start), end=self.time(end), mode=mode_text, span=span)
        if quiet.start and quiet.end and quiet.start.time == quiet.end.time:
            self.report("E0108", _("quiet hours start and end at the same time"), span,
                        _("write a range such as `quiet 22:00-08:00`"))
        return self._setting("quiet", quiet, meta)

    @with_meta
    def quiet_off(self, meta, children):
        return self._setting("quiet", ast.Quiet(start=None, end=None, mode="defer", span=self.span(meta)), meta)

    @with_meta
    def cap(self, meta, children):
        digits = str(children[0])
        count = int(digits) if len(digits) <= MAX_DIGITS else MAX_CAP + 1  # int() of 4,301 digits raises
        if count < 1:
            self.report("E0109", _("a daily cap must be at least 1"), children[0], _("write e.g. `cap 6/day`"))
        elif count > MAX_CAP:
            self.report("E0112", _("a daily cap must be at most {limit}").format(limit=MAX_CAP), children[0],
                        _("write e.g. `cap 6/day`"))
            count = MAX_CAP
        return self._setting("cap", ast.Cap(per_day=count, span=self.span(meta)), meta)

    @with_meta
    def posts(self, meta, children):
        low, high = (self._count(token) for token in children)
        span = self.span(meta)
        if high < 1:
            self.report("E0141", _("at most 0 posts a day: the playbook could post nothing"), children[1],
                        _("write e.g. `posts 3-6/day` (at least 3, at most 6 a day)"))
            high = 1
        elif high > MAX_CAP:
            self.report("E0112", _("at most {high} posts a day: sopc caps a day at {limit}").format(
                high=high, limit=MAX_CAP), children[1], _("write e.g. `posts 3-6/day`"))
            high = MAX_CAP
        if low > high:
            self.report("E0141", _("at least {low} but at most {high} posts a day: the minimum is above the "
                                   "maximum").format(low=low, high=high),
                        span, _("swap them: `posts {high}-{low}/day`").format(high=high, low=low) if low <= MAX_CAP
                        else _("write e.g. `posts 3-6/day`"))
            low = 0  # no minimum to check against: the line is wrong, not the plan
        return self._setting("posts", ast.Posts(minimum=low, maximum=high, span=span), meta)

    def _count(self, token: Token) -> int:
        digits = str(token)
        return int(digits) if len(digits) <= MAX_DIGITS else MAX_CAP + 1  # int() of 4,301 digits raises

    @with_meta
    def peaks(self, meta, children):
        return self._setting("peaks", ast.Peaks(windows=tuple(children), span=self.span(meta)), meta)

    @with_meta
    def peak_window(self, meta, children):
        start, end = (self.time(token) for token in children)
        span = self.span(meta)
        if start and end and start.time == end.time:
            self.report("E0141", _("a peak window that starts and ends at the same time"), span,
                        _("write the hours members are most active, e.g. `peaks 09:00-11:00, 14:00-18:00`"))
        return ast.PeakWindow(start=start, end=end, span=span)

    @with_meta
    def gap(self, meta, children):
        return self._setting("gap", self.duration(children[0]), meta)

    @with_meta
    def grace(self, meta, children):
        return self._setting("grace", self.duration(children[0]), meta)

    @with_meta
    def active_between(self, meta, children):
        start, end = (self.date(c) for c in children)
        if start and end and end.date < start.date:
            self.report("E0110", _("the active window ends before it starts"), self.span(meta),
                        _("swap the dates: `active {end} to {start}`").format(end=end.date, start=start.date))
        return self._setting("active", ast.ActiveWindow(start=start, end=end, span=self.span(meta)), meta)

    @with_meta
    def active_from(self, meta, children):
        window = ast.ActiveWindow(start=self.date(children[0]), end=None, span=self.span(meta))
        return self._setting("active", window, meta)

    @with_meta
    def active_until(self, meta, children):
        window = ast.ActiveWindow(start=None, end=self.date(children[0]), span=self.span(meta))
        return self._setting("active", window, meta)

    @with_meta
    def holiday_policy(self, meta, children):
        mode = HOLIDAY_MODES.get(str(children[0]), str(children[0]))
        return self._setting("holidays", ast.HolidayPolicy(mode=mode, span=self.span(meta)), meta)

    @with_meta
    def vars(self, meta, children):
        return self._setting("vars", tuple(children), meta)

    # ---- audience -----------------------------------------------------------------
    @with_meta
    def all_groups(self, meta, children):
        return ast.AllGroups(span=self.span(meta))

    @with_meta
    def groups_by_id(self, meta, children):
        return ast.GroupIds(ids=tuple(self.name(c) for c in children), span=self.span(meta))

    @with_meta
    def groups_tagged(self, meta, children):
        return ast.GroupsTagged(expr=children[0], span=self.span(meta))

    @with_meta
    def tag_or(self, meta, children):
        return children[0] if len(children) == 1 else ast.TagOr(operands=tuple(children), span=self.span(meta))

    @with_meta
    def tag_and(self, meta, children):
        return children[0] if len(children) == 1 else ast.TagAnd(operands=tuple(children), span=self.span(meta))

    @with_meta
    def tag_negated(self, meta, children):
        return ast.TagNot(operand=children[0], span=self.span(meta))

    @with_meta
    def tag(self, meta, children):
        return ast.TagIs(tag=self.name(children[0]), span=self.span(meta))

    # ---- schedules ----------------------------------------------------------------
    @with_meta
    def schedule_step(self, meta, children):
        when, name, body = children
        return ast.ScheduleStep(when=when, name=self.name(name), body=body, span=self.span(meta))

    @with_meta
    def on_days(self, meta, children):
        days = tuple(c for c in children if isinstance(c, ast.DaySet))
        times = self.times(c for c in children if isinstance(c, Token))
        return ast.OnDays(days=days, times=times, span=self.span(meta))

    @with_meta
    def single_day(self, meta, children):
        return ast.DaySet(weekdays=frozenset({weekday_index(str(children[0]))}), span=self.span(meta))

    @with_meta
    def day_range(self, meta, children):
        # `周一到周五`, `周一-周五`, `mon..fri`: the word between (DAY_TO) says nothing more
        first, last = (weekday_index(str(c)) for c in children if c.type == "WEEKDAY")
        count = (last - first) % 7 + 1
        return ast.DaySet(weekdays=frozenset((first + i) % 7 for i in range(count)), span=self.span(meta))

    @with_meta
    def day_run(self, meta, children):
        """`周一三五`, `每周一三五`: the days named after one `周`."""
        token = children[0]
        text = str(token)
        numerals = text[len(text.rstrip(CN_NUMERALS)):]
        days: list[int] = []
        kept = ""
        for numeral in numerals:
            if CN_DIGIT[numeral] not in days:
                days.append(CN_DIGIT[numeral])
                kept += numeral
        if len(kept) < len(numerals):
            twice = next(i for i, numeral in enumerate(numerals) if CN_DIGIT[numeral] in
                         [CN_DIGIT[n] for n in numerals[:i]])
            column = token.column + len(text) - len(numerals) + twice
            span = Span(path=self.path, line=token.line, column=column, end_line=token.line, end_column=column + 1)
            self.report("E0140", _("`{text}` names {day} twice").format(
                text=text, day=WEEKDAY_CN[CN_DIGIT[numerals[twice]]]), span,
                _("write each day once: `{fixed}`").format(fixed=f"{text[:len(text) - len(numerals)]}{kept}"))
        return ast.DaySet(weekdays=frozenset(days), span=self.span(meta))

    @with_meta
    def day_set(self, meta, children):
        word, span = str(children[0]), self.span(meta)
        if word in ("daily", "每天"):
            return ast.DaySet(weekdays=frozenset(range(7)), span=span)
        if word in ("weekends", "周末", "每周末"):
            return ast.DaySet(weekdays=frozenset({5, 6}), span=span)
        if word in ("workdays", "工作日"):
            return ast.DaySet(weekdays=frozenset(), workdays=True, span=span)
        return ast.DaySet(weekdays=frozenset(), holidays=True, span=span)

    @with_meta
    def on_month_days(self, meta, children):
        days: list[int] = []
        for token in (c for c in children if c.type == "MONTH_DAY"):
            number = re.match(r"\d+", str(token))
            day = int(number.group()) if number else -1
            if number and not 1 <= day <= 31:
                self.report("E0106", _("`{token}` is not a day of the month").format(token=token), token,
                            _("use 1 to 31, or `last`/`最后一天`"))
                continue
            days.append(day)
        times = self.times(c for c in children if c.type == "TIME")
        return ast.OnMonthDays(days=tuple(days), times=times, span=self.span(meta))

    @with_meta
    def every_n_days(self, meta, children):
        interval_token, start_token, *time_tokens = children
        interval = self.duration(interval_token)
        if interval and (interval.delta.days < 1 or interval.delta % dt.timedelta(days=1)):
            self.report("E0107", _("`every {interval}` must be a whole number of days").format(interval=interval_token),
                        interval_token, _("write e.g. `every 60d from 2026-11-02 at 09:00`"))
            interval = None
        return ast.EveryNDays(interval=interval, start=self.date(start_token), times=self.times(time_tokens),
                              span=self.span(meta))

    @with_meta
    def on_cron(self, meta, children):
        expression = self.text(children[0]).text
        if not _valid_cron(expression):
            self.report("E0105", _("`{expression}` is not a valid cron expression: {problem}").format(
                expression=expression, problem=_cron_problem(expression)), children[0],
                _("five fields: minute hour day-of-month month day-of-week, e.g. \"0 9 * * 1-5\""))
        return ast.OnCron(expression=expression, span=self.span(meta))

    # ---- message bodies -----------------------------------------------------------
    @with_meta
    def message(self, meta, children):
        kind, content, *rest = children
        mentions = tuple(ast.Mention(target=str(t)[1:], span=self.span(t)) for t in rest if isinstance(t, Token))
        variables = tuple(v for v in rest if isinstance(v, ast.Assignment))
        to_member = next((r for r in rest if isinstance(r, ast.ToMember)), None)
        parts = tuple(p for p in rest if isinstance(p, ast.Part))
        return ast.Message(kind=str(kind) if kind else "text", content=content, mentions=mentions,
                           variables=variables, span=self.span(meta), kind_given=kind is not None,
                           to_member=to_member, parts=parts)

    @with_meta
    def to_member(self, meta, children):
        return ast.ToMember(span=self.span(meta))

    @with_meta
    def parts_message(self, meta, children):
        parts = tuple(p for p in children if isinstance(p, ast.Part))
        mentions = tuple(ast.Mention(target=str(t)[1:], span=self.span(t)) for t in children if isinstance(t, Token))
        to_member = next((c for c in children if isinstance(c, ast.ToMember)), None)
        return ast.Message(kind=parts[0].kind, content=None, mentions=mentions, variables=(), span=self.span(meta),
                           kind_given=True, to_member=to_member, parts=parts)

    @with_meta
    def part(self, meta, children):
        kind, *fields = children
        return ast.Part(kind=str(kind), fields=tuple(fields), span=self.span(meta))

    def inline_text(self, children):
        return self.text(children[0])

    @with_meta
    def template_file(self, meta, children):
        return ast.TemplateFile(path=self.text(children[0]).text, span=self.span(meta))

    @with_meta
    def template_ref(self, meta, children):
        return ast.TemplateRef(name=self.name(children[0]), span=self.span(meta))

    @with_meta
    def dissolve_action(self, meta, children):
        return ast.DissolveGroup(span=self.span(meta))

    @with_meta
    def remind_action(self, meta, children):
        text, *variables = children
        return ast.RemindStaff(content=self.text(text), variables=tuple(variables), span=self.span(meta))

    @with_meta
    def remove_action(self, meta, children):
        return ast.RemoveMember(span=self.span(meta))

    @with_meta
    def assignment(self, meta, children):
        key, token = children
        value: str | int | float
        if token.type == "STRING":
            value = self.text(token).text
        elif token.type == "NUMBER" and sum(c.isdigit() for c in token) > MAX_DIGITS:
            self.report("E0112", _("`{key}`: a number of more than {limit} digits").format(key=key, limit=MAX_DIGITS),
                        token, _("write it as text in quotes if it is an id"))
            value = str(token)
        elif token.type == "NUMBER":
            value = float(token) if "." in token else int(token)
        else:
            value = str(token)
        return ast.Assignment(key=str(key), value=value, span=self.span(meta))

    # ---- timelines ----------------------------------------------------------------
    @with_meta
    def timeline(self, meta, children):
        name, title, max_length, *steps = children
        return ast.Timeline(name=self.name(name), title=self.text(title).text if title else None,
                            max_length=self.duration(max_length) if max_length else None,
                            steps=tuple(steps), span=self.span(meta), path=self.path)

    @with_meta
    def timeline_step(self, meta, children):
        offset, at_time, repeat, name, body = children
        at = self.time(at_time) if at_time else None
        return ast.TimelineStep(offset=self._offset(offset, str(offset)[1:]), offset_text=str(offset),
                                at_time=at, name=self.name(name), body=body, span=self.span(meta),
                                repeat=self._repeat_fits(repeat, at, body))

    @with_meta
    def step_repeat(self, meta, children):
        every_token, count_token = children
        every = self.duration(every_token)
        if every is not None and not every.delta:
            self.report("E0131", _("`every {every}` repeats the step at the same moment").format(every=every_token),
                        every_token, _("write how long between rounds, e.g. `every 15m x3`"))
            every = None
        return ast.Repeat(every=every, count=self._repeat_count(count_token), span=self.span(meta))

    def _repeat_count(self, token: Token) -> int | None:
        digits = str(token)[1:]
        count = int(digits) if len(digits) <= MAX_DIGITS else MAX_REPEATS + 1  # int() of 4,301 digits raises
        if 1 <= count <= MAX_REPEATS:
            return count
        if count < 1:
            problem = _("`{token}`: a step is sent at least once")
        else:
            problem = _("`{token}`: a step repeats at most {limit} times")
        self.report("E0131", problem.format(token=_shown_token(token), limit=MAX_REPEATS), token,
                    _("write how many rounds in all, e.g. `x3` for the step and two more"))
        return None

    def _repeat_fits(self, repeat: ast.Repeat | None, at: ast.TimeOfDay | None, body) -> ast.Repeat | None:
        """The repeat, without a count once a problem with it is reported (the
        step is then planned once): its rounds must fit the time of day they
        are sent at and the limits on a span."""
        if repeat is None or repeat.every is None or repeat.count is None:
            return repeat
        every = repeat.every
        if at is not None and every.delta % dt.timedelta(days=1):
            self.report("E0131", _("`every {every}` with `at {at}`: every round is sent at "
                                   "{at}, so rounds must be whole days apart").format(every=every.text, at=at.text()),
                        every.span, _("write e.g. `every 1d x{count}`, or drop `at {at}`").format(
                            count=repeat.count, at=at.text()))
            return dataclasses.replace(repeat, count=None)
        if every.delta * (repeat.count - 1) > MAX_REPEAT_SPAN:
            self.report("E0131", _("`every {every} x{count}`: its last round comes {span} after its first; "
                                   "a repeat may span at most {days} days").format(
                            every=every.text, count=repeat.count, span=format_duration(every.delta * (repeat.count - 1)),
                            days=MAX_REPEAT_SPAN.days), repeat.span,
                        _("fewer or closer rounds; a longer cadence is a schedule step (`周三 20:00 ...`) "
                          "or a recurring launch (`run ... every 周三 20:00 ...`)"))
            return dataclasses.replace(repeat, count=None)
        for assignment in getattr(body, "variables", ()):
            if assignment.key == "round":
                self.report("E0131", _("`round` is the repeated step's round (1, 2, 3 ...) and cannot be given "
                                       "a value"), assignment.span, _("name the variable otherwise, e.g. `session=...`"))
                return dataclasses.replace(repeat, count=None)
        return repeat

    def _offset(self, token: Token, text: str) -> dt.timedelta | None:
        if text in ("", "+0", "0"):
            return dt.timedelta(0)
        if self._too_many_digits(token):
            return None
        sign, magnitude = (-1 if text[0] == "-" else 1), text[1:]
        delta = parse_duration(magnitude)
        if delta is None:
            self.report("E0103", _("`{token}` is not a valid offset").format(token=token), token,
                        _("e.g. `T-3h`, `T+15m`, `+1d12h`"))
            return None
        if delta > MAX_OFFSET:  # no launch or event in the years sopc plans has a step this far from it
            self.report("E0112", _("`{token}` is further from its anchor than the years sopc plans "
                                   "({years}: {days} days)").format(
                            token=_shown_token(token), years=day_range_text(), days=f"{MAX_OFFSET.days:,}"), token,
                        _("e.g. `T-3h`, `T+15m`, `+1d12h`"))
            return None
        return sign * delta

    @with_meta
    def launch(self, meta, children):
        name, date_token, time_token, audience, *variables = children
        return ast.Launch(timeline=self.name(name), at_date=self.date(date_token), at_time=self.time(time_token),
                          audience=audience, variables=tuple(v for v in variables if v is not None),
                          span=self.span(meta))

    @with_meta
    def recurring_launch(self, meta, children):
        name, every, *rest = children
        audience = next(c for c in rest if not isinstance(c, (tuple, ast.Assignment)) and c is not None)
        bounds = dict(c for c in rest if isinstance(c, tuple))
        window = None
        if bounds:
            start, end = bounds.get("from"), bounds.get("until")
            spans = [b.span for b in (start, end) if b is not None]
            span = Span(path=self.path, line=spans[0].line, column=spans[0].column,
                        end_line=spans[-1].end_line, end_column=spans[-1].end_column) if spans else self.span(meta)
            if start and end and end.date < start.date:
                self.report("E0110", _("this launch's window ends before it starts"), span,
                            _("swap the dates: `from {end} until {start}`").format(end=end.date, start=start.date))
            window = ast.ActiveWindow(start=start, end=end, span=span)
        return ast.Launch(timeline=self.name(name), at_date=None, at_time=None, audience=audience,
                          variables=tuple(c for c in rest if isinstance(c, ast.Assignment)), span=self.span(meta),
                          every=every, window=window)

    @with_meta
    def launch_days(self, meta, children):
        return self.on_days(meta, children)

    def launch_from(self, children):
        return ("from", self.date(children[0]))

    def launch_until(self, children):
        return ("until", self.date(children[0]))

    # ---- triggers -----------------------------------------------------------------
    @with_meta
    def trigger(self, meta, children):
        event, ordinal, *rest = children
        until = tuple(r[1] for r in rest if isinstance(r, tuple) and r[0] == "until")
        repeat = any(r == ("repeat",) for r in rest if isinstance(r, tuple))
        steps = tuple(r for r in rest if isinstance(r, (ast.TriggerStep, ast.UseTimeline)))
        return ast.Trigger(event=event, until=until, repeat=repeat, steps=steps, span=self.span(meta),
                           ordinal=self.ordinal(ordinal) if ordinal else None)

    def ordinal(self, token: Token) -> ast.Ordinal | None:
        """`2nd`, `第2次`: the member's Nth such event (1 or more)."""
        if self._too_many_digits(token):
            return None
        number = int(re.search(r"\d+", str(token)).group())
        if number < 1:
            self.report("E0130", _("`{token}` is not an occurrence: they are counted from the 1st").format(token=token),
                        token, _("write `1st` for the first time, `2nd` for the second (or `第1次`, `第2次`)"))
            return None
        return ast.Ordinal(number=number, text=str(token), span=self.span(token))

    @with_meta
    def event(self, meta, children):
        kind, argument = children
        return ast.EventSpec(kind=self.name(kind), argument=str(argument) if argument else None,
                             argument_span=self.span(argument) if argument else None, span=self.span(meta))

    def once(self, children):
        return ("once",)

    def repeat(self, children):
        return ("repeat",)

    def until(self, children):
        return ("until", children[0])

    @with_meta
    def trigger_step(self, meta, children):
        offset, at_time, repeat, name, body = children
        at = self.time(at_time) if at_time else None
        return ast.TriggerStep(offset=self._offset(offset, str(offset)), offset_text=str(offset),
                               at_time=at, name=self.name(name), body=body, span=self.span(meta),
                               repeat=self._repeat_fits(repeat, at, body))

    @with_meta
    def trigger_use(self, meta, children):
        return ast.UseTimeline(timeline=self.name(children[0]), span=self.span(meta))

    # ---- stages -------------------------------------------------------------------
    @with_meta
    def stages(self, meta, children):
        return ast.Stages(rules=tuple(children), span=self.span(meta), path=self.path)

    @with_meta
    def stage_when(self, meta, children):
        return ast.StageRule(name=self.name(children[0]), condition=children[1], span=self.span(meta))

    @with_meta
    def stage_otherwise(self, meta, children):
        return ast.StageRule(name=self.name(children[0]), condition=None, span=self.span(meta))

    @with_meta
    def cond_or(self, meta, children):
        return children[0] if len(children) == 1 else ast.StageAny(terms=tuple(children), span=self.span(meta))

    @with_meta
    def cond_and(self, meta, children):
        return children[0] if len(children) == 1 else ast.StageAll(terms=tuple(children), span=self.span(meta))

    @with_meta
    def stage_cmp(self, meta, children):
        metric_token, op, value = children
        metric = "messages/day" if str(metric_token).startswith("messages") else str(metric_token)
        span = self.span(meta)
        if metric in ast.STAGE_COUNT_METRICS:
            return ast.StageCompare(metric=metric, op=str(op), value=_NO_DURATION(span), span=span,
                                    count=self._stage_count(metric, value))
        duration = None
        if value.type == "INT":  # (`0` is a duration: DURATION's `0`)
            self.report("E0120", _("`{metric}` is a duration: `{value}` has no unit").format(metric=metric, value=value),
                        value, _("write it with its unit, e.g. `{example}` (d, h, m, s)").format(
                            example=f"{metric} {op} {value}d"))
        else:
            duration = self.duration(value)
        duration = duration or _NO_DURATION(self.span(value))
        return ast.StageCompare(metric=metric, op=str(op), value=duration, span=span)

    def _stage_count(self, metric: str, token: Token) -> int:
        """The number a `members` or `messages/day` rule compares with (0 after a diagnostic)."""
        text = str(token)
        if token.type != "INT" and text != "0":
            message = (_("`{metric}` counts members, not time: `{text}` is a duration") if metric == "members" else
                       _("`{metric}` counts messages a day, not time: `{text}` is a duration"))
            self.report("E0120", message.format(metric=metric, text=text), token,
                        _("write a number, e.g. `{example}`").format(
                            example=f"{metric} >= {re.sub(r'[^0-9].*', '', text) or 20}"))
            return 0
        if len(text) > MAX_DIGITS:
            self.report("E0112", _("`{key}`: a number of more than {limit} digits").format(key=metric, limit=MAX_DIGITS),
                        token, _("write a number, e.g. `{example}`").format(example=f"{metric} >= 50"))
            return 0
        return int(text)

    # ---- playbook tests -------------------------------------------------------------
    @with_meta
    def test(self, meta, children):
        title, *lines = children
        starts = [line for line in lines if isinstance(line, _TestWindow) and line.key == "start"]
        untils = [line for line in lines if isinstance(line, _TestWindow) and line.key == "until"]
        repeated = tuple(line.moment.span for line in (starts[1:] + untils[1:]))
        return ast.Test(name=self.text(title).text, start=starts[0].moment if starts else None,
                        until=untils[0].moment if untils else None,
                        givens=tuple(line for line in lines if isinstance(line, ast.Given)),
                        expects=tuple(line for line in lines if isinstance(line, ast.Expect)),
                        span=self.span(meta), path=self.path, name_span=self.span(title), repeated=repeated)

    def _moment(self, meta, date_token, time_token) -> ast.Moment:
        return ast.Moment(date=self.date(date_token), time=self.time(time_token) if time_token else None,
                          span=self.span(meta))

    @with_meta
    def test_start(self, meta, children):
        return _TestWindow("start", self._moment(meta, *children))

    @with_meta
    def test_until(self, meta, children):
        return _TestWindow("until", self._moment(meta, *children))

    @with_meta
    def test_given(self, meta, children):
        kind, group, *rest = children
        words = [c for c in rest if isinstance(c, Token) and c.type == "GROUP_ID"]
        title = next((c for c in rest if isinstance(c, Token) and c.type == "STRING"), None)
        date_token, time_token = (c for c in rest if isinstance(c, Token) and c.type in ("DATE", "TIME"))
        at_span = Span(path=self.path, line=date_token.line, column=date_token.column,
                       end_line=time_token.end_line, end_column=time_token.end_column)
        at = ast.Moment(date=self.date(date_token), time=self.time(time_token), span=at_span)
        return ast.Given(kind=self.name(kind), group=self.name(group), words=tuple(self.name(w) for w in words),
                         name=self.text(title).text if title else None, at=at,
                         data=tuple(c for c in rest if isinstance(c, ast.Assignment)), span=self.span(meta))

    @with_meta
    def test_expect(self, meta, children):
        count, (subject, name, reason), *filters = children
        found: dict[str, Any] = {}
        for key, value, span in filters:
            if key in found:  # `to g1 to g2` would have to mean one of them: say so, keep the first
                self.report("E0805", _("`{word}` is written twice in one `expect` line").format(word=key), span,
                            _("an expectation has one `{word}`; write a second `expect` line for another").format(
                                word=key))
                continue
            found[key] = value
        return ast.Expect(subject=subject, name=name, reason=reason, count=count, group=found.get("to"),
                          member=found.get("for"), at=found.get("at"), on=found.get("on"),
                          contains=found.get("contains"), span=self.span(meta), playbook=found.get("from"))

    def expect_none(self, children):
        return 0

    def expect_exactly(self, children):
        digits = str(children[0])
        count = int(digits) if len(digits) <= MAX_DIGITS else MAX_EXPECTED + 1  # int() of 4,301 digits raises
        if count > MAX_EXPECTED:
            self.report("E0112", _("`expect {count}`: at most {most} messages can be expected").format(
                count=_shown_token(children[0]), most=f"{MAX_EXPECTED:,}"), children[0],
                _("write how many messages, e.g. `expect 3 posts to g1 on 2026-11-25`"))
            return MAX_EXPECTED
        return count

    def expect_step(self, children):
        return ("step", self.name(children[0]), None)

    def expect_posts(self, children):
        return ("posts", None, None)

    def expect_messages(self, children):
        return ("messages", None, None)

    def expect_skipped(self, children):
        reason, step = children
        return ("skipped", self.name(step) if step else None, self.name(reason))

    def expect_deferred(self, children):
        reason, step = children
        return ("deferred", self.name(step) if step else None, self.name(reason))

    @with_meta
    def filter_group(self, meta, children):
        return ("to", self.name(children[0]), self.span(meta))

    @with_meta
    def filter_member(self, meta, children):
        return ("for", self.name(children[0]), self.span(meta))

    @with_meta
    def filter_at(self, meta, children):
        return ("at", self._moment(meta, *children), self.span(meta))

    @with_meta
    def filter_on(self, meta, children):
        return ("on", self.date(children[0]), self.span(meta))

    @with_meta
    def filter_playbook(self, meta, children):
        return ("from", self.name(children[0]), self.span(meta))

    @with_meta
    def filter_contains(self, meta, children):
        return ("contains", self.text(children[0]).text, self.span(meta))

def _NO_DURATION(span: Span) -> ast.Duration:
    return ast.Duration(delta=dt.timedelta(0), text="0", span=span)


def _schedule_steps(lines) -> list:
    """The playbook's schedule steps in the order written, those of `in stage` blocks among them."""
    steps = []
    for item in lines:
        if isinstance(item, ast.ScheduleStep):
            steps.append(item)
        elif isinstance(item, _StageBlock):
            steps += item.steps
    return steps


def _shown_token(token: Token) -> str:
    text = str(token)
    return text if len(text) <= 24 else f"{text[:12]}…{text[-4:]}"


def _unescape(body: str) -> str:
    if "\\" not in body:  # nearly every text: nothing to read
        return body
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


CRON_FIELDS = ((N_("minute"), "0-59"), (N_("hour"), "0-23"), (N_("day of the month"), "1-31"),
               (N_("month"), "1-12"), (N_("day of the week"), N_("0-6, 0 is Sunday")))
MONTH_NAMES = (N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"), N_("July"),
               N_("August"), N_("September"), N_("October"), N_("November"), N_("December"))


def _cron_problem(expression: str) -> str:
    fields = expression.split()
    if len(fields) != len(CRON_FIELDS):
        return ngettext("it has {count} field, a cron line has 5", "it has {count} fields, a cron line has 5",
                        len(fields)).format(count=len(fields))
    for index, (name, allowed) in enumerate(CRON_FIELDS):
        alone = " ".join(field if i == index else "*" for i, field in enumerate(fields))
        if not _valid_cron(alone):
            return _("the {name} field `{field}` is not valid ({allowed})").format(
                name=_(name), field=fields[index], allowed=_(allowed))
    return _("these fields do not fit together")


def _date_problem(year: int, month: int, day: int) -> str:
    if not 1 <= year <= 9999:
        return _("the year is out of range")
    if not 1 <= month <= 12:
        return _("there is no month {month}").format(month=month)
    days = calendar.monthrange(year, month)[1]
    if not day:
        return _("days start at 1")
    return _("{month_name} {year} has {days} days").format(month_name=_(MONTH_NAMES[month - 1]), year=year, days=days)


def _valid_cron(expression: str) -> bool:
    """Whether croniter takes ``expression`` as five cron fields. The plain
    form most steps are written in (numbers, ranges, lists, `*`, `*/n`, each
    inside its field's bounds) is told without croniter, whose parse cost
    ~0.1 ms a step; tests/test_cron_validity.py holds the answer to croniter's."""
    fields = expression.split()
    if len(fields) != 5:
        return False
    if all(map(_plain_cron_field, fields, _CRON_FIELD_BOUNDS)):
        return True
    from croniter import croniter  # here, not at the top: most projects have no cron step, and it is slow to import

    try:
        return croniter.is_valid(expression)
    except Exception:  # croniter raises assorted errors on odd input
        return False


_CRON_FIELD_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))  # minute, hour, day, month, weekday (0, 7: Sunday)
_PLAIN_CRON_ITEM = re.compile(r"\*(?:/([1-9][0-9]?))?|([0-9]{1,2})(?:-([0-9]{1,2}))?")


def _plain_cron_field(field: str, bounds: tuple[int, int]) -> bool:
    """A field of the plain form: `*`, `*/n` (n of 1..99), or a list of
    numbers and rising ranges inside ``bounds``. False for anything else,
    valid or not (croniter decides those)."""
    low, high = bounds
    for item in field.split(","):
        match = _PLAIN_CRON_ITEM.fullmatch(item)
        if match is None:
            return False
        first, last = match.group(2), match.group(3)
        if first is not None and not low <= int(first) <= (int(last) if last is not None else high) <= high:
            return False
    return True


def build_ast(tree: Tree, path: str) -> tuple[ast.SourceFile, list[Diagnostic]]:
    builder = AstBuilder(path)
    return builder.transform(tree), builder.diagnostics


# ---- built during the parse ------------------------------------------------------------

def parse_ast(text: str, path: str) -> tuple[ast.SourceFile | None, list[Diagnostic]]:
    """One file's text -> its AST (None where nothing of it parses) and its
    diagnostics (syntax first, then bad literals), built during the parse."""
    builder = InParse(path)
    building = _BUILDING.set(builder)
    try:
        source_file, diagnostics = parse(text, path, builder=builder)
    finally:
        _BUILDING.reset(building)
    return source_file, diagnostics + builder.ast.diagnostics


class _Place:
    """Where a node's text starts and ends, as Lark's tree ``meta`` holds it
    (what a handler reads of its node's place)."""

    __slots__ = ("line", "column", "end_line", "end_column", "empty", "audience_unreadable")


# A node built during the parse goes up the parser's stack as a pair (its
# value, the place of the text of the rule that made it): a `?rule` passing
# its one child up widens the child's place to the whole rule (Lark's
# "container"), which its parent's place reads. A plain tuple, one per
# reduction: nothing else on the stack is one (tokens, trees, None).
_BUILT = tuple


class InParse:
    """The parser's in-parse builder (:class:`sopc.lang.parser.InParseBuilder`)
    for one file: Lark's LALR parser calls a rule's callback with its
    children when it reduces it, so a handler of :class:`AstBuilder` gets
    them already built, in the order :meth:`AstBuilder.transform` would
    (a node after its children, left to right). Parse and AST took ~17%
    fewer instructions this way than a tree walked after the parse."""

    def __init__(self, path: str):
        self.ast = AstBuilder(path)
        self.callbacks = _callbacks(lark_parser())
        self.place: _Place | None = None  # of the rule being reduced, for its handler

    def mark(self) -> int:
        return len(self.ast.diagnostics)

    def rollback(self, mark: int) -> None:
        del self.ast.diagnostics[mark:]

    def finish(self, value, unreadable_audiences: set[int]) -> ast.SourceFile:
        source_file = value[0] if type(value) is _BUILT else value
        if not unreadable_audiences:
            return source_file
        return dataclasses.replace(source_file, playbooks=tuple(
            dataclasses.replace(p, audience_unreadable=True) if p.span.line in unreadable_audiences else p
            for p in source_file.playbooks))


_BUILDING: ContextVar[InParse] = ContextVar("sopc_building")  # per thread: `sopc serve` builds in several


@functools.cache
def _callbacks(parser: Lark) -> dict:
    """Lark's rule -> callback, made once per parser: Lark's own child
    filters and single-child expansion around a handler of AstBuilder,
    and the node's place worked out by :func:`_placed` instead of Lark's
    ``propagate_positions`` (which places trees only)."""
    callbacks = {}
    for rule, wrappers in parser._parse_tree_builder.rule_builders:
        name = rule.alias or rule.options.template_source or rule.origin.name
        build = _inlined(name) if rule.origin.name.startswith("_") else _node(name)
        for wrapper in wrappers:
            if getattr(wrapper, "func", wrapper) is not PropagatePositions:
                build = wrapper(build)
        callbacks[rule] = _placed(build)
    return callbacks


def _node(rule: str):
    """The callback of a rule: its handler's node, or a Tree for its parent
    to read where AstBuilder has no handler (as its walk leaves it)."""
    method = getattr(AstBuilder, rule, None)
    if method is None:
        def build(children):
            place = _BUILDING.get().place
            return Tree(rule, _values(children), place), place
    elif getattr(method, "wants_meta", False):
        def build(children):
            builder = _BUILDING.get()
            return method(builder.ast, builder.place, _values(children)), builder.place
    else:
        def build(children):
            builder = _BUILDING.get()
            return method(builder.ast, _values(children)), builder.place
    return build


def _inlined(rule: str):
    """The callback of a `_rule`: a Tree whose children its parent takes in."""
    def build(children):
        return Tree(rule, children, _BUILDING.get().place)
    return build


def _values(children: list) -> list:
    return [child[0] if type(child) is _BUILT else child for child in children]


def _placed(build):
    """``build`` with its node placed from its children before it is built:
    from the start of the first child that takes space to the end of the
    last (a line break and block marks take none)."""
    def placed(children):
        place = _Place()
        first = None
        for child in children:
            if (first := _place_of(child)) is not None:
                break
        if first is None:
            place.empty = True
        else:
            for child in reversed(children):
                if (last := _place_of(child)) is not None:
                    break
            place.empty = False
            place.line, place.column, place.end_line, place.end_column = (
                first.line, first.column, last.end_line, last.end_column)
        _BUILDING.get().place = place
        value = build(children)
        if type(value) is _BUILT and value[1] is not place and not place.empty:
            value = value[0], place  # a child passed up: a new pair (a checkpoint may hold the old)
        return value
    return placed


def _place_of(child) -> _Place | Token | None:
    kind = type(child)
    if kind is _BUILT:
        place = child[1]
    elif kind is Tree:
        place = child._meta
    elif isinstance(child, Token):
        return None if child.type in LAYOUT_TOKENS else child
    else:
        return None
    return None if place is None or place.empty else place
