"""The plan as an iCalendar file (``sopc plan --format ics``), for managers
to subscribe to or import in Outlook, Feishu (飞书日历) or Google Calendar.

Decisions (README, Commands, says the same):

* **One event per message**, except that a step posted to
  :data:`MERGE_FROM` or more groups at the same moment is one event for all
  of them (posts to the group only: a message to or about a member is always
  its own event) ("bk_week/king_day · 3 个群"): a week of a step sent to 5,000
  groups is a week of events, not 35,000 of them. The event lists the groups
  (the first :data:`LISTED_GROUPS`, then how many more) and shows one group's
  rendered text (saying which, when the groups' texts differ).
* **Stable UIDs from message ids**: ``<message id>@sopc`` for one message;
  for a merged event a hash of its messages' ids, so it stays the same while
  its groups do. Re-importing a new plan updates events instead of doubling them.
* **Local times with their zone**: ``DTSTART;TZID=Asia/Shanghai:...`` (the
  project's zone) and a ``VTIMEZONE`` for it over the planned window, which
  Outlook needs and Google and Feishu read; an event lasts
  :data:`EVENT_MINUTES` so it shows as a block, and is transparent (it does
  not make the manager busy).
* **Skipped messages**: the plan leaves them out as every format does; with
  ``--show-skipped`` they are events titled 【已跳过】 with the reason and
  ``STATUS:CANCELLED`` (some calendars hide cancelled events), and deferred
  ones are titled 【推迟】 at the time they go out, with when they were due.

``DTSTAMP`` is when the plan was made (``--now``), so the same plan at the
same ``--now`` is the same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import field
from typing import BinaryIO, Iterable
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone

from sopc.core.content import shown_text
from sopc.core.messages import PlannedMessage
from sopc.core.reasons import deferral_detail, shown
from sopc.core.records import dataclass
from sopc.plan.moments import entries

MERGE_FROM = 3            # groups sharing a step's moment that make one event
LISTED_GROUPS = 30        # groups a merged event names before "等 N 个群"
LISTED_REASONS = 5        # different reasons (the gate's words name the group) a merged event shows
EVENT_MINUTES = 15
PRODID = "-//sopc//sopc plan//ZH"
_END = b"END:VCALENDAR\r\n"
_STATUS_TITLE = {"skipped": "【已跳过】", "deferred": "【推迟】", "later": "【推迟到窗口后】"}


@dataclass(slots=True)
class _Slot:
    """The messages of one step at one moment (with one fate), as far as an
    event needs them: the first few whole, the rest counted."""

    status: str
    scheduled: dt.datetime | None
    messages: list[PlannedMessage] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)  # the first few different ones
    count: int = 0
    groups: list[str] = field(default_factory=list)
    same_text: bool = True
    ids: "hashlib._Hash" = field(default_factory=lambda: hashlib.blake2b(digest_size=10))

    def add(self, message: PlannedMessage, label: str, reason: str | None) -> None:
        if reason and reason not in self.reasons and len(self.reasons) <= LISTED_REASONS:
            self.reasons.append(reason)
        if self.messages and message.text != self.messages[0].text:
            self.same_text = False
        if len(self.messages) < MERGE_FROM:
            self.messages.append(message)
        if len(self.groups) < LISTED_GROUPS:
            self.groups.append(label)
        self.count += 1
        self.ids.update(message.id.encode() + b"\n")


class _Writer:
    def __init__(self, out: BinaryIO, how) -> None:
        self.out = out
        self.how = how
        self.zone = how.zone if isinstance(how.zone, ZoneInfo) else dt.timezone.utc
        self.stamp = (how.stamp or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
        self.uids: set[str] = set()
        self.events = 0

    def head(self) -> None:
        calendar = Calendar()
        calendar.add("prodid", PRODID)
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("method", "PUBLISH")
        calendar.add("x-wr-calname", f"sopc 计划 · {self.how.title}" if self.how.title else "sopc 计划")
        if isinstance(self.zone, ZoneInfo):
            calendar.add("x-wr-timezone", self.zone.key)
            start, end = self.how.window
            # Deferred messages may go out after the window: the zone covers a month more.
            calendar.add_component(Timezone.from_tzinfo(
                self.zone, first_date=start.astimezone(self.zone).date() - dt.timedelta(days=1),
                last_date=end.astimezone(self.zone).date() + dt.timedelta(days=31)))
        text = calendar.to_ical()
        self.out.write(text[:-len(_END)] if text.endswith(_END) else text)

    def tail(self) -> None:
        self.out.write(_END)

    def label(self, message: PlannedMessage) -> str:
        """How a message's target reads: ``群名``, ``群名 → m1``, ``私聊 m1（群名）``."""
        name = self.how.group_names.get(message.group) or message.group
        if message.private:
            return f"私聊 {message.member}（{name}）"
        return name + (f" → {message.member}" if message.member else "")

    def flush(self, slots: dict[tuple, _Slot]) -> None:
        for slot in slots.values():
            if slot.count >= MERGE_FROM:
                self.write(self.merged(slot))
            else:
                for message in slot.messages:
                    self.write(self.single(message, slot))
        slots.clear()

    def single(self, message: PlannedMessage, slot: _Slot) -> Event:
        event = self.event(message, slot, f"{message.playbook}/{message.step} · {self.label(message)}",
                           f"{message.id}@sopc")
        event.add("description", self.description(message, slot, [f"群：{self.label(message)}（{message.group}）"]))
        return event

    def merged(self, slot: _Slot) -> Event:
        first = slot.messages[0]
        more = slot.count - len(slot.groups)
        listed = "、".join(slot.groups) + (f" 等 {slot.count} 个群" if more else "")
        lines = [f"群（{slot.count} 个）：{listed}"]
        if not slot.same_text:
            lines.append(f"各群文字不同，下面是「{slot.groups[0]}」的")
        event = self.event(first, slot, f"{first.playbook}/{first.step} · {slot.count} 个群",
                           f"slot-{slot.ids.hexdigest()}@sopc")
        event.add("description", self.description(first, slot, lines))
        return event

    def event(self, message: PlannedMessage, slot: _Slot, summary: str, uid: str) -> Event:
        start = message.at.astimezone(self.zone)
        event = Event()
        event.add("uid", self.unique(uid))
        event.add("dtstamp", self.stamp)
        event.add("dtstart", start)
        event.add("dtend", start + dt.timedelta(minutes=EVENT_MINUTES))
        event.add("summary", _STATUS_TITLE.get(slot.status, "") + summary)
        event.add("categories", [message.playbook])
        event.add("transp", "TRANSPARENT")
        event.add("status", "CANCELLED" if slot.status == "skipped" else "CONFIRMED")
        return event

    def description(self, message: PlannedMessage, slot: _Slot, target: list[str]) -> str:
        lines = [f"玩法：{message.playbook}", f"步骤：{message.step}", *target,
                 f"发送方：{message.sender}（{message.kind}）"]
        if message.mentions:
            lines.append("提醒：" + " ".join(f"@{m}" for m in message.mentions))
        more = "……" if len(slot.reasons) > LISTED_REASONS else ""
        if slot.status == "skipped":  # the gate's reasons are recorded in English: shown in the reader's language
            lines.append("已跳过：" + "；".join(map(shown, slot.reasons[:LISTED_REASONS])) + more)
        elif slot.status in ("deferred", "later") and slot.scheduled is not None:
            due = slot.scheduled.astimezone(self.zone)
            why = "；".join(map(deferral_detail, slot.reasons[:LISTED_REASONS])) + more
            lines.append(f"推迟：原定 {due:%Y-%m-%d %H:%M}，{why}")
        return "\n".join(lines) + "\n\n" + shown_text(message.kind, message.text or "")

    def unique(self, uid: str) -> str:
        """``uid``, or ``uid`` with ``-2``... if an event had it already (a
        slot met again later in the stream)."""
        base, number = uid, 1
        while uid in self.uids:
            number += 1
            name, _, domain = base.partition("@")
            uid = f"{name}-{number}@{domain}"
        self.uids.add(uid)
        return uid

    def write(self, event: Event) -> None:
        self.out.write(event.to_ical())
        self.events += 1


def write_ics(items: Iterable, out: BinaryIO, how, *, fates: bool = False) -> int:
    """Write planned messages (or, with ``fates``, the gate's decisions) as
    one VCALENDAR to ``out``, streaming: the messages of one moment are held
    until the next moment starts. Returns how many messages go out in the
    window, as :func:`sopc.plan.output.write` / ``write_fates`` do."""
    writer = _Writer(out, how)
    writer.head()
    slots: dict[tuple, _Slot] = {}
    count = 0
    for new_moment, key, message, status, reason, scheduled in entries(items, fates):
        if new_moment:
            writer.flush(slots)
        slot = slots.get(key)
        if slot is None:
            slot = slots[key] = _Slot(status, scheduled)
        slot.add(message, writer.label(message), reason)
        count += status in ("planned", "deferred")
    writer.flush(slots)
    writer.tail()
    return count
