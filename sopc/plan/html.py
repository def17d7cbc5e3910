"""The plan as one self-contained web page (``sopc plan --format html -o
plan.html``) for operators and their managers: a week grid (days x hours)
and a month view, filters by group, tag, playbook, sender and status, a
colour per playbook, quiet hours shaded, holidays marked, and what the gate
skipped or deferred shown with the reason; clicking a message shows its
rendered text and the line of the .sop file it comes from.

Decisions:

* **Self-contained**: the CSS and JavaScript (``plan_page/`` beside this
  module) are inlined; no font, script or picture is fetched, so the file
  opens from a mail attachment or a shared drive with no network.
* **Data as JSON** in ``<script type="application/json">``, every ``<``
  written ``\\u003c`` so no text (a step, a group name) can close the
  element; the page puts every text in with ``textContent``, never as HTML.
* **Bounded**: the messages of one step at one moment to
  :data:`COLLAPSE_FROM` or more groups are one entry ("×N 群", the groups
  listed on click, one group's text shown); texts, group lists, steps and
  reasons are stored once and referred to by number; past
  :data:`MAX_ENTRIES` entries the rest are counted, not stored (the page
  says so). A year of a weekly playbook for 5,000 groups is a few hundred
  entries, not millions.
* **Skipped and deferred messages are always in the page** (it is the
  gate's view, as ``--show-skipped`` gives it), with a status filter.
* Times are local wall-clock times of the project's zone, stored as minutes
  since 1970-01-01T00:00 *local*, so the page shows the same hours whatever
  the zone of the computer opening it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from importlib import resources
from typing import BinaryIO, Iterable

from jinja2 import Environment
from markupsafe import Markup

from sopc.core.content import shown_text
from sopc.core.messages import PlannedMessage
from sopc.plan.moments import entries
from sopc.project.calendar import normalize_policy

COLLAPSE_FROM = 5          # groups sharing a step's moment that make one entry
MAX_ENTRIES = 60_000       # entries stored in one page (the rest are counted)
MAX_TEXT = 4_000           # characters of one text kept (the platforms take less)
SOURCE_LINE = 300          # characters of a step's source line shown
_EPOCH = dt.datetime(1970, 1, 1)
_PAGE = "plan_page"
# The holiday calendar's package names holidays in English; operators read these.
HOLIDAY_NAMES = {"New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
                 "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
                 "Mid-autumn Festival": "中秋节", "Anti-Fascist 70th Day": "抗战胜利纪念日"}
HOLIDAY_WORDS = {"skip": "跳过", "before": "提前到前一个工作日", "after": "顺延到下一个工作日", "keep": "照常发送"}


def reason_kind(reason: str | None) -> str:
    """What kind of decision the gate's reason is (the page names it in
    Chinese and filters on it): cap, gap, quiet, stage, paused, missed."""
    if not reason:
        return ""
    if reason.startswith("deferred: "):
        return "quiet" if "quiet" in reason else "gap"
    return reason.split(":", 1)[0]


# Hues 30 degrees apart; a page keeps its playbooks' hues at least APART degrees apart.
PALETTE = (215, 35, 125, 305, 5, 185, 65, 245, 155, 335, 95, 275)
APART = 60


def playbook_hues(names: Iterable[str]) -> dict[str, int]:
    """Each playbook's hue, from its name: the same in every plan, unless
    another playbook of the page has a hue too close to it; then the later
    (by name) takes the next hue of the palette far enough from every other
    (there always is for up to four playbooks), so no two look alike."""
    hues: dict[str, int] = {}
    for name in sorted(names):
        slot = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=2).digest(), "big") % len(PALETTE)
        order = [PALETTE[(slot + step) % len(PALETTE)] for step in range(len(PALETTE))]
        taken = list(hues.values())
        far = [hue for hue in order if all(_distance(hue, other) >= APART for other in taken)]
        free = [hue for hue in order if hue not in taken]
        hues[name] = (far or free or order)[0]
    return hues


def _distance(a: int, b: int) -> int:
    return min(abs(a - b), 360 - abs(a - b))


def _minutes(local: dt.datetime) -> int:
    return int((local.replace(tzinfo=None) - _EPOCH).total_seconds() // 60)


class _Table:
    """Values stored once in the page, referred to by their index."""

    def __init__(self) -> None:
        self.index: dict = {}
        self.values: list = []

    def __call__(self, value) -> int:
        found = self.index.get(value)
        if found is None:
            found = self.index[value] = len(self.values)
            self.values.append(value)
        return found


@dataclass(slots=True)
class _Slot:
    """One step's posts at one moment with one fate: up to COLLAPSE_FROM whole."""

    status: str
    scheduled: dt.datetime | None
    first: list[tuple[PlannedMessage, str | None]] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    same_text: bool = True


class _Page:
    """The page's data, gathered while the plan streams by."""

    def __init__(self, how) -> None:
        self.how = how
        self.zone = how.zone
        self.texts, self.groups, self.group_sets = _Table(), _Table(), _Table()
        self.steps, self.senders, self.reasons, self.playbooks = _Table(), _Table(), _Table(), _Table()
        self.entries: list[list] = []
        self.left_out = 0
        self.statuses = {"planned": 0, "deferred": 0, "skipped": 0, "later": 0}

    def flush(self, slots: dict[tuple, _Slot]) -> None:
        for slot in slots.values():
            if len(slot.groups) >= COLLAPSE_FROM:
                self.add(slot.first[0][0], slot, slot.groups, slot.reasons, slot.same_text)
            else:
                for message, reason in slot.first:
                    self.add(message, slot, [message.group], [reason] if reason else [], True)
        slots.clear()

    def add(self, message: PlannedMessage, slot: _Slot, groups: list[str], reasons: list[str],
            same_text: bool) -> None:
        if len(self.entries) >= MAX_ENTRIES:
            self.left_out += 1
            return
        local = message.at.astimezone(self.zone)
        scheduled = slot.scheduled.astimezone(self.zone) if slot.scheduled is not None else None
        text = shown_text(message.kind, message.text or "")
        self.entries.append([
            _minutes(local),
            self.steps((message.playbook, message.step)),
            self.senders(message.sender),
            message.kind,
            slot.status,
            [self.reasons(r) for r in reasons],
            _minutes(scheduled) if scheduled is not None and slot.scheduled != message.at else None,
            self.group_sets(tuple(self.groups(g) for g in groups)),
            message.member,
            1 if message.private else 0,
            list(message.mentions),
            self.texts(text[:MAX_TEXT] + ("……" if len(text) > MAX_TEXT else "")),
            1 if same_text else 0,
        ])

    def data(self) -> dict:
        self.entries.sort(key=lambda entry: entry[0])  # the page finds a week by bisection (stable: ties keep order)
        program = self.how.program
        roster = {g.id: g for g in program.project.roster.groups} if program is not None else {}
        tags = _Table()
        groups = []
        for group_id in self.groups.values:
            group = roster.get(group_id)
            names = sorted(group.tags) if group is not None else []
            groups.append({"id": group_id, "name": self.how.group_names.get(group_id, ""),
                           "tags": [tags(t) for t in names]})
        start, end = self.how.window
        first = start.astimezone(self.zone).date()
        last = (end - dt.timedelta(microseconds=1)).astimezone(self.zone).date()
        return {
            "title": self.how.title, "zone": getattr(self.zone, "key", str(self.zone)),
            "first": first.isoformat(), "last": last.isoformat(),
            "made": self.how.stamp.astimezone(self.zone).strftime("%Y-%m-%d %H:%M") if self.how.stamp else "",
            "playbooks": self._playbooks(), "steps": self._steps(), "senders": self.senders.values,
            "groups": groups, "tags": tags.values, "groupSets": [list(s) for s in self.group_sets.values],
            "texts": self.texts.values, "reasons": [[r, reason_kind(r)] for r in self.reasons.values],
            "holidays": self._holidays(first, last), "entries": self.entries, "leftOut": self.left_out,
        }

    def _compiled(self) -> dict:
        program = self.how.program
        return {p.name: p for p in program.playbooks} if program is not None else {}

    def _playbooks(self) -> list[dict]:
        compiled = self._compiled()
        names = sorted({name for name, _ in self.steps.values} | set(compiled))
        shown, hues = [], playbook_hues(names)
        for name in names:
            playbook = compiled.get(name)
            policy = playbook.policy if playbook is not None else None
            quiet = None
            if policy is not None and policy.quiet_start is not None and policy.quiet_end is not None:
                quiet = [_clock(policy.quiet_start), _clock(policy.quiet_end), policy.quiet_mode]
            shown.append({"name": name, "title": (playbook.ast.title or "") if playbook is not None else "",
                          "hue": hues[name], "quiet": quiet,
                          "holidays": HOLIDAY_WORDS.get(normalize_policy(policy.holidays) or "", policy.holidays) if policy else ""})
        return shown

    def _steps(self) -> list[dict]:
        sources = _step_sources(self.how.program)
        names = [p["name"] for p in self._playbooks()]
        steps = []
        for playbook, step in self.steps.values:
            where, line = sources.get((playbook, step), ("", ""))
            steps.append({"playbook": names.index(playbook), "name": step, "source": where, "line": line})
        return steps

    def _holidays(self, first: dt.date, last: dt.date) -> list[list[str]]:
        program = self.how.program
        if program is None:
            return []
        calendar = program.project.calendar
        days = []
        day = first - dt.timedelta(days=first.weekday())          # whole weeks, as the grid shows them
        while day <= last + dt.timedelta(days=6 - last.weekday()) and len(days) < 4000:
            if calendar.is_public_holiday(day):
                name = calendar.holiday_name(day) or "节假日"
                days.append([day.isoformat(), HOLIDAY_NAMES.get(name, name)])
            day += dt.timedelta(days=1)
        return days


def _clock(moment: dt.time) -> int:
    return moment.hour * 60 + moment.minute


def _step_sources(program) -> dict[tuple[str, str], tuple[str, str]]:
    """(playbook, step) -> ("file:line", that line of the file)."""
    if program is None:
        return {}
    sources = program.project.sources
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for playbook in program.playbooks:
        steps = [step for _, step in playbook.schedule]
        steps += [step for launch in playbook.launches for _, step in launch.steps]
        steps += [step for trigger in playbook.triggers for *_, step in trigger.steps]
        for step in steps:
            span = step.span
            text = sources.get(span.path, "")
            lines = text.splitlines()
            line = lines[span.line - 1].strip() if 0 < span.line <= len(lines) else ""
            found.setdefault((step.playbook, step.name), (f"{span.path}:{span.line}", line[:SOURCE_LINE]))
    return found


def _gather(items: Iterable, how, fates: bool) -> _Page:
    """The page's data, streaming: the messages of one moment are held
    until the next moment starts."""
    page = _Page(how)
    slots: dict[tuple, _Slot] = {}
    for new_moment, key, message, status, reason, scheduled in entries(items, fates):
        if new_moment:
            page.flush(slots)
        slot = slots.get(key)
        if slot is None:
            slot = slots[key] = _Slot(status, scheduled)
        if slot.first and message.text != slot.first[0][0].text:
            slot.same_text = False
        if len(slot.first) < COLLAPSE_FROM:
            slot.first.append((message, reason))
        if reason and reason not in slot.reasons and len(slot.reasons) < 5:
            slot.reasons.append(reason)
        slot.groups.append(message.group)
        page.statuses[status] += 1
    page.flush(slots)
    return page


def page_json(data: dict) -> Markup:
    """``data`` as JSON safe inside a <script> element: no ``<`` at all, so
    neither ``</script>`` nor ``<!--`` can appear in it."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c"))


def _asset(name: str) -> str:
    return resources.files("sopc.plan").joinpath(f"{_PAGE}/{name}").read_text(encoding="utf-8")


def render_page(data: dict, title: str) -> str:
    environment = Environment(autoescape=True, keep_trailing_newline=True)
    template = environment.from_string(_asset("plan.html.j2"))
    # The assets are ours and hold no closing tag of their element (test_plan_html checks).
    return template.render(title=title, data=page_json(data), style=Markup(_asset("plan.css")),
                           script=Markup(_asset("plan.js")))


def write_html(items: Iterable, out: BinaryIO, how, *, fates: bool = False) -> int:
    """Write planned messages (or, with ``fates``, the gate's decisions) as
    one HTML page to ``out``. Returns how many messages go out in the
    window, as :func:`sopc.plan.output.write` / ``write_fates`` do."""
    page = _gather(items, how, fates)
    title = f"sopc 计划 · {how.title}" if how.title else "sopc 计划"
    out.write(render_page(page.data(), title).encode("utf-8"))
    return page.statuses["planned"] + page.statuses["deferred"]
