"""Checks over the real plan: what each group actually receives.

Expands the plan for the check window and looks at it the way a member of a
group would: too many posts in a day (across every playbook reaching that
group), two posts too close together, a greeting that does not fit its hour,
a text longer than its channel takes, more 企业群发 sends in a day than the
platform lets a customer group receive. Findings are grouped per step, so a
rule broken in 1,000 groups is one diagnostic, not 1,000.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Iterator

from sopc.checks.context import CheckContext
from sopc.checks.static import static_render_problems
from sopc.compile.resolve import Program, Step
from sopc.core.contract import content_refusal
from sopc.core.diagnostics import Diagnostic, error, warning
from sopc.core.messages import PlannedMessage
from sopc.core.senders import sender_specs
from sopc.plan.expand import expand
from sopc.core.timeutil import WEEKDAY_CN, format_duration

MORNING = re.compile(r"早上好|早安|早呀|good morning", re.IGNORECASE)
NIGHT = re.compile(r"晚安|good night", re.IGNORECASE)


@dataclass
class _Finding:
    step: Step
    first: str
    groups: set[str] = field(default_factory=set)
    count: int = 0


class _Findings:
    def __init__(self):
        self.by_key: dict[tuple, _Finding] = {}

    def add(self, code: str, step: Step, group: str, describe) -> None:
        key = (code, step.playbook, step.name)
        finding = self.by_key.get(key)
        if finding is None:
            finding = self.by_key[key] = _Finding(step=step, first=describe())
        finding.groups.add(group)
        finding.count += 1


def check_cadence(program: Program, context: CheckContext) -> Iterator[Diagnostic]:
    steps = _steps_by_name(program)
    policies = {p.name: p.policy for p in program.playbooks}
    zones = {p.name: p.zone for p in program.playbooks}
    limits = _sender_limits(program)
    daily_caps, cap_problems = _daily_caps(program)
    yield from cap_problems
    findings = {code: _Findings() for code in ("E0304", "E0303", "W0302", "E0502", "E0506", "E0507")}
    last_post: dict[str, PlannedMessage] = {}
    per_day: dict[tuple[str, dt.date], list[str]] = {}
    over_cap: set[tuple[str, dt.date]] = set()
    assisted_per_day: dict[tuple[str, dt.date], int] = {}
    over_assisted: set[tuple[str, dt.date]] = set()
    render_problems: list[Diagnostic] = []
    verdicts: dict[tuple, str | None] = {}  # (sender, kind, text) -> the contract's refusal, read once
    for message in expand(program, context.start, context.end, events=context.events, diagnostics=render_problems):
        step = steps.get((message.playbook, message.step))
        if step is None or message.kind == "action":
            continue
        local = message.at.astimezone(zones[message.playbook])
        policy = policies[message.playbook]
        _cap(findings["E0304"], message, step, local, policy.cap, per_day, over_cap)
        _gap(findings["E0303"], message, step, policy.gap, last_post.get(message.group), zones)
        last_post[message.group] = message
        _greeting(findings["W0302"], message, step, local)
        _contract(findings, message, step, limits.get(message.sender), program.project.config.project_dir, verdicts)
        if message.sender in daily_caps:
            _assisted_cap(findings["E0506"], message, step, local, daily_caps[message.sender],
                          assisted_per_day, over_assisted)
    # A step whose template is already reported as unrenderable (E0405/E0407)
    # would fail again here, once per step: say it once, where it is clearest.
    reported = static_render_problems(program)
    yield from (d for d in render_problems if not (d.code == "E0406" and d.span in reported))
    yield from _report(findings, _library_anchors(program))


def _steps_by_name(program: Program) -> dict[tuple[str, str], Step]:
    table: dict[tuple[str, str], Step] = {}
    for playbook in program.playbooks:
        for step in playbook.all_steps():
            table.setdefault((playbook.name, step.name), step)
    return table


def _cap(findings: _Findings, message, step, local, cap: int, per_day: dict, over_cap: set) -> None:
    """Posts to one group on one local day, across every playbook. Each post
    is held to its own playbook's cap, so a playbook with `cap 3/day` is
    reported when its post is the 4th or a later one of the day; once per
    group and day."""
    key = (message.group, local.date())
    playbooks = per_day.setdefault(key, [])
    playbooks.append(message.playbook)
    count = len(playbooks)
    if cap and count > cap and key not in over_cap:
        over_cap.add(key)
        names = sorted(set(playbooks))
        source = f"from `{names[0]}`" if len(names) == 1 else \
            "from " + ", ".join(f"`{n}`" for n in names[:-1]) + f" and `{names[-1]}` together"
        findings.add("E0304", step, message.group, lambda: (
            f"on {local.date()} ({WEEKDAY_CN[local.weekday()]}) group `{message.group}` gets more than "
            f"{cap} posts {source} (the cap is {cap}/day); `{step.name}` at {local:%H:%M} is post {count}"))


def _assisted_cap(findings: _Findings, message, step, local, cap: int, per_day: dict, over_cap: set) -> None:
    """企业群发 sends to one customer group on one local day, through any
    sender with a per-group daily cap; once per group and day."""
    key = (message.group, local.date())
    count = per_day[key] = per_day.get(key, 0) + 1
    if count > cap and key not in over_cap:
        over_cap.add(key)
        findings.add("E0506", step, message.group, lambda: (
            f"on {local.date()} ({WEEKDAY_CN[local.weekday()]}) group `{message.group}` gets more than {cap} "
            f"企业群发 send{'s' if cap != 1 else ''} (sender `{message.sender}` has daily_cap = {cap}); "
            f"`{step.name}` at {local:%H:%M} is send {count}"))


def _gap(findings: _Findings, message, step, gap: dt.timedelta, previous, zones) -> None:
    if previous is None or not gap:
        return
    distance = message.at - previous.at
    if distance < gap:
        local = message.at.astimezone(zones[message.playbook])
        when = "at the same time as" if not distance else f"{format_duration(distance)} after"
        findings.add("E0303", step, message.group, lambda: (
            f"`{step.name}` at {local:%Y-%m-%d %H:%M} comes {when} `{previous.step}` ({previous.playbook}) "
            f"in group `{message.group}`; the gap is {format_duration(gap)}"))


def _greeting(findings: _Findings, message, step, local) -> None:
    morning, night = MORNING.search(message.text), NIGHT.search(message.text)
    if morning and local.hour >= 11:
        findings.add("W0302", step, message.group, lambda: (
            f"`{step.name}` says “{morning.group()}” (good morning) but is sent at {local:%H:%M}"))
    elif night and local.hour < 18:
        findings.add("W0302", step, message.group, lambda: (
            f"`{step.name}` says “{night.group()}” (good night) but is sent at {local:%H:%M}"))


def _contract(findings: dict[str, _Findings], message, step, limits, project_dir, verdicts: dict) -> None:
    """The rendered text against its sender's declared contract, as the
    sender (and a dry run) will check it: a size (E0502), or the form of an
    image or a link (E0507; an image file is looked at once per check)."""
    if limits is None:
        return
    key = (message.sender, message.kind, message.text)
    if key not in verdicts:
        verdicts[key] = content_refusal(f"sender `{message.sender}`", limits, message.kind, message.text, project_dir)
    problem = verdicts[key]
    if problem:
        code = "E0502" if message.kind in ("text", "markdown") else "E0507"
        findings[code].add(code, step, message.group, lambda: f"`{step.name}` for group `{message.group}`: {problem}")


HINTS = {
    "E0304": "drop or move a step, or raise the playbook's `cap`",
    "E0303": "move one of the steps, or lower the playbook's `gap`",
    "W0302": "members notice a greeting that does not fit the hour: change the text or the time",
    "E0502": "shorten the text, or split it into two steps",
    "E0507": "an image is a file in the project (or a URL, for senders that take one); a link is three lines: "
             "URL, title, description (`sopc senders` shows what each sender takes)",
    "E0506": "a customer group takes only so many 企业群发 sends: merge the steps into one message, move one "
             "to another day, or raise the sender's `daily_cap` if your WeCom 群发规则 allow more",
}


def _library_anchors(program: Program) -> dict[tuple[str, str], tuple[str, object]]:
    """(playbook, step) -> (timeline, the `run` or `use` line) for steps of
    timelines from imported files: a finding is reported where the user
    brings the timeline in, since they cannot edit the standard library."""
    own = {f.path for f in program.project.files}
    anchors: dict[tuple[str, str], tuple[str, object]] = {}
    for playbook in program.playbooks:
        for launch in playbook.launches:
            if launch.timeline.path not in own:
                for timeline_step, _ in launch.steps:
                    anchors.setdefault((playbook.name, timeline_step.name.value),
                                       (launch.timeline.name.value, launch.launch.span))
        for trigger in playbook.ast.triggers:
            for item in trigger.steps:
                timeline = program.timelines.get(item.timeline.value) if hasattr(item, "timeline") else None
                if timeline is not None and timeline.path not in own:
                    for timeline_step in timeline.steps:
                        anchors.setdefault((playbook.name, timeline_step.name.value), (timeline.name.value, item.span))
    return anchors


def _report(findings: dict[str, _Findings], anchors: dict) -> Iterator[Diagnostic]:
    for code, table in findings.items():
        make = warning if code.startswith("W") else error
        anchored: dict[tuple, list[tuple[_Finding, str]]] = {}
        for finding in table.by_key.values():
            more = finding.count - 1
            groups = len(finding.groups)
            tail = f" (and {more} more time{'s' if more != 1 else ''} in {groups} group{'s' if groups != 1 else ''})" \
                if more else ""
            step = finding.step
            anchor = anchors.get((step.playbook, step.name))
            if anchor is None:
                yield make(code, finding.first + tail, step.span, HINTS[code])
            else:
                anchored.setdefault((anchor[0], anchor[1]), []).append((finding, finding.first + tail))
        # One diagnostic per `run`/`use` line, naming the library steps involved.
        for (timeline, span), items in anchored.items():
            first, message = items[0]
            others = [f"`{f.step.name}`" for f, _ in items[1:]]
            extra = f"; also {', '.join(others)}" if others else ""
            where = f"{first.step.span.path}:{first.step.span.line}"
            yield make(code, f"timeline `{timeline}` ({where}): {message}{extra}", span, HINTS[code])


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
            problems.append(error("E0506", f"sender `{name}`: `daily_cap` must be a whole number of at least 1",
                                  config.span, f"the 企业群发 sends one customer group may get per day (default {default})"))
            continue
        caps[name] = value
    return caps, problems


def _sender_limits(program: Program) -> dict:
    """sender name -> the limits of its kind, for the kinds that are installed."""
    specs = sender_specs()
    return {name: specs[config.kind].limits
            for name, config in program.project.config.senders.items() if config.kind in specs}
