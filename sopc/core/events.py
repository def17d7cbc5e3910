"""An event an SCRM reports (a member joined, wrote, bought, left, was
tagged) or one sopc derives (silent, stage): the value the event reader
makes, the store keeps and the trigger expansion reads."""

from __future__ import annotations

import datetime as dt
from dataclasses import field

from sopc.core.records import dataclass

MEMBER_EVENTS = ("member.joined", "member.message", "member.left", "member.tagged", "member.purchased")


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    kind: str
    group: str
    member: str | None
    at: dt.datetime
    name: str | None = None
    data: dict = field(default_factory=dict, hash=False, compare=False)
    argument: str | None = None  # silent: the duration; tagged: the tag; stage: the stage

    def as_context(self) -> dict:
        return {"kind": self.kind, "group": self.group, "member": self.member,
                "at": self.at, "name": self.name, **self.data}
