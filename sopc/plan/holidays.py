"""What a playbook's ``on holidays skip`` leaves out of a plan, so a page
can show it beside what the gate skipped (the gate never sees these: the
schedule drops a holiday's occurrence before any message exists).

Worked out with the plan's own machinery, not a second set of rules: the
playbooks that skip holidays are expanded again as if they kept them
(``holidays keep``), over the public holidays of the window only, and every
message there that the real expansion lacks (by id: an id is made from the
step, the group and the time asked for) is one the holiday skipped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Callable, Iterator, Sequence

from sopc.compile.resolve import Program
from sopc.core.diagnostics import Diagnostic
from sopc.plan.expand import expand
from sopc.plan.simulate import Fate
from sopc.project.calendar import normalize_policy
from sopc.project.roster import Group

HOLIDAY = "holiday: "   # how every such reason starts
MOVED_PARTS = frozenset({"schedule", "launch"})   # the parts the holiday policy applies to


def holiday_days(program: Program, zone, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.date, dt.date]]:
    """The runs of public holidays in [start, end) (local dates, each run [first, last])."""
    calendar = program.project.calendar
    first = start.astimezone(zone).date()
    last = (end - dt.timedelta(microseconds=1)).astimezone(zone).date()
    runs: list[tuple[dt.date, dt.date]] = []
    day = first
    while day <= last:
        if calendar.is_public_holiday(day):
            if runs and runs[-1][1] == day - dt.timedelta(days=1):
                runs[-1] = (runs[-1][0], day)
            else:
                runs.append((day, day))
        day += dt.timedelta(days=1)
    return runs


def holiday_skips(program: Program, start: dt.datetime, end: dt.datetime, zone, *, events: Sequence = (),
                  group_filter: Callable[[Group], bool] | None = None) -> list[Fate]:
    """The messages ``on holidays skip`` keeps out of [start, end), each a
    skipped :class:`Fate` naming the holiday, in time order."""
    skipping = [p for p in program.playbooks if normalize_policy(p.policy.holidays) == "skip"]
    runs = holiday_days(program, zone, start, end) if skipping else []
    if not runs:
        return []
    names = {p.name for p in skipping}
    only = dataclasses.replace(program, playbooks=tuple(skipping), diagnostics=[])
    kept = dataclasses.replace(only, playbooks=tuple(
        dataclasses.replace(p, policy=dataclasses.replace(p.policy, holidays="keep")) for p in skipping))
    calendar = program.project.calendar
    fates: list[Fate] = []
    for first, last in runs:
        low = max(start, dt.datetime.combine(first, dt.time(), zone))
        high = min(end, dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone))
        planned = {m.id for m in _messages(only, low, high, events, group_filter)}
        for message in _messages(kept, low, high, events, group_filter):
            if message.id in planned or message.playbook not in names:
                continue
            day = message.at.astimezone(zone).date()
            fates.append(Fate(message, message.at, skipped=True,
                              reason=f"{HOLIDAY}{day} is a public holiday ({calendar.holiday_name(day)}) "
                                     "and the playbook skips holidays"))
    return fates


def _messages(program: Program, start: dt.datetime, end: dt.datetime, events: Sequence,
              group_filter) -> Iterator:
    diagnostics: list[Diagnostic] = []   # reported by the plan itself already
    return expand(program, start, end, events=events, group_filter=group_filter, diagnostics=diagnostics,
                  parts=MOVED_PARTS)
