"""A slot: one step firing at one moment for one or more groups, and the
time arithmetic every kind of slot (schedule, launch, trigger) shares."""

from __future__ import annotations

import datetime as dt
from dataclasses import field
from types import MappingProxyType
from typing import Mapping

from sopc.compile.resolve import CompiledPlaybook, Step
from sopc.core.records import dataclass
from sopc.core.timeutil import localize
from sopc.project.roster import Group

NO_VARIABLES: Mapping = MappingProxyType({})  # a slot's variables where it has none (one object: see below)


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
    # Schedule slots share one empty mapping, so its id() is a stable part of
    # the render memo key (see Renderer._shared_texts).
    variables: Mapping = field(default_factory=lambda: NO_VARIABLES)

    def sort_key(self) -> tuple:
        first = self.groups[0].id if self.groups else ""
        member = self.member
        return (self.at, self.playbook.name, self.step.name, first, member.get("id", "") if member else "")


def step_time(anchor: dt.datetime, offset: dt.timedelta | None, at_time, zone,
              shift: dt.timedelta = dt.timedelta(0)) -> dt.datetime | None:
    """T+offset; with `at HH:MM`, that day at that local time. A step never
    goes out before its anchor: `T at 10:00` after a 15:00 event means the
    next day at 10:00. ``shift``: a later round of a repeated step, that long
    after the first round (with `at`, whole days later on the local calendar,
    so every round keeps its time of day and none falls on the first's day)."""
    if offset is None:
        return None
    moment = (anchor + offset).astimezone(zone)
    if at_time is not None:
        wall = dt.datetime.combine(moment.date(), getattr(at_time, "time", at_time))
        moment = localize(wall, zone)
        if moment < anchor <= anchor + offset:
            wall += dt.timedelta(days=1)
            moment = localize(wall, zone)
        if shift:
            moment = localize(wall + dt.timedelta(days=shift.days), zone)
    elif shift:
        moment = (moment + shift).astimezone(zone)
    return moment
