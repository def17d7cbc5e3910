"""Checks over the real plan: what each group actually receives.

Expands the plan for the check window and looks at it the way a member of a
group would: too many posts in a day (across every playbook reaching that
group), two posts too close together, a greeting that does not fit its hour,
a text longer than its channel takes. Findings are grouped per step, so a
rule broken in 1,000 groups is one diagnostic, not 1,000.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Iterator

from sopc.checks import CheckContext
from sopc.compile import Program, Step
from sopc.diagnostics import Diagnostic, error, warning
from sopc.plan import PlannedMessage, expand
from sopc.timeutil import WEEKDAY_CN, format_duration

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
    findings = {code: _Findings() for code in ("E0304", "E0303", "W0302", "E0502")}
    last_post: dict[str, PlannedMessage] = {}
    per_day: dict[tuple[str, dt.date], int] = {}
    render_problems: list[Diagnostic] = []
    for message in expand(program, context.start, context.end, events=context.events, diagnostics=render_problems):
        step = steps.get((message.playbook, message.step))
        if step is None or message.kind == "action":
            continue
        local = message.at.astimezone(zones[message.playbook])
        policy = policies[message.playbook]
        _cap(findings["E0304"], message, step, local, policy.cap, per_day)
        _gap(findings["E0303"], message, step, policy.gap, last_post.get(message.group), zones)
        last_post[message.group] = message
        _greeting(findings["W0302"], message, step, local)
        _size(findings["E0502"], message, step, limits.get(message.sender))
    yield from render_problems
    yield from _report(findings)


def _steps_by_name(program: Program) -> dict[tuple[str, str], Step]:
    table: dict[tuple[str, str], Step] = {}
    for p in program.playbooks:
        for _, step in p.schedule:
            table[(p.name, step.name)] = step
        for launch in p.launches:
            for _, step in launch.steps:
                table.setdefault((p.name, step.name), step)
        for trigger in p.triggers:
            for _, _, step in trigger.steps:
                table.setdefault((p.name, step.name), step)
    return table


def _cap(findings: _Findings, message, step, local, cap: int, per_day: dict) -> None:
    key = (message.group, local.date())
    per_day[key] = count = per_day.get(key, 0) + 1
    if cap and count == cap + 1:
        findings.add("E0304", step, message.group, lambda: (
            f"on {local.date()} ({WEEKDAY_CN[local.weekday()]}) group `{message.group}` gets more than "
            f"{cap} posts (the cap is {cap}/day); `{step.name}` at {local:%H:%M} is post {count}"))


def _gap(findings: _Findings, message, step, gap: dt.timedelta, previous, zones) -> None:
    if previous is None or not gap:
        return
    distance = message.at - previous.at
    if distance < gap:
        local = message.at.astimezone(zones[message.playbook])
        findings.add("E0303", step, message.group, lambda: (
            f"`{step.name}` at {local:%Y-%m-%d %H:%M} comes {format_duration(distance)} after "
            f"`{previous.step}` ({previous.playbook}) in group `{message.group}`; the gap is {format_duration(gap)}"))


def _greeting(findings: _Findings, message, step, local) -> None:
    if MORNING.search(message.text) and local.hour >= 11:
        findings.add("W0302", step, message.group, lambda: (
            f"`{step.name}` says good morning at {local:%H:%M}"))
    elif NIGHT.search(message.text) and local.hour < 18:
        findings.add("W0302", step, message.group, lambda: (
            f"`{step.name}` says good night at {local:%H:%M}"))


def _size(findings: _Findings, message, step, limits) -> None:
    if limits is None:
        return
    limit = limits.markdown_bytes if message.kind == "markdown" else limits.text_bytes
    size = len(message.text.encode("utf-8"))
    if limit and size > limit and message.kind in ("text", "markdown"):
        findings.add("E0502", step, message.group, lambda: (
            f"`{step.name}` renders to {size} bytes for group `{message.group}`; sender `{message.sender}` "
            f"takes at most {limit} bytes of {message.kind}"))


HINTS = {
    "E0304": "drop or move a step, or raise the playbook's `cap`",
    "E0303": "move one of the steps, or lower the playbook's `gap`",
    "W0302": "members notice a greeting that does not fit the hour: change the text or the time",
    "E0502": "shorten the text, or split it into two steps",
}


def _report(findings: dict[str, _Findings]) -> Iterator[Diagnostic]:
    for code, table in findings.items():
        make = warning if code.startswith("W") else error
        for finding in table.by_key.values():
            more = finding.count - 1
            groups = len(finding.groups)
            tail = f" (and {more} more time{'s' if more != 1 else ''} in {groups} group{'s' if groups != 1 else ''})" \
                if more else ""
            yield make(code, finding.first + tail, finding.step.span, HINTS[code])


def _sender_limits(program: Program) -> dict:
    try:
        from sopc.senders.base import limits_for
    except ImportError:
        return {}
    table = {}
    for name, config in program.project.config.senders.items():
        try:
            table[name] = limits_for(config.kind)
        except Exception:
            continue
    return table
