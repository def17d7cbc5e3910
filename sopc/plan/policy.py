"""Stage 5, plan: the send-time policy (the gate): may this due message go out now?

The plan already honours quiet hours, caps and gaps for the messages it can
see in advance. At run time more arrive (lifecycle events), some come late
(downtime, retries) and playbooks get paused, so every due message passes the
gate once more, across every playbook reaching its group:

1. its playbook is paused (or was, when it fell due)  -> skipped: paused
2. later than its grace after its due time            -> skipped: missed
3. going out (now, or its due time) in quiet hours   -> deferred to their end, or skipped: quiet
4. the group already had the day's cap                -> skipped: cap
5. the group's previous post was less than the gap ago -> deferred until the gap has passed

Actions (dissolve, remind staff) are not posts and skip 4 and 5.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass

from sopc.compile.resolve import CompiledPlaybook, Policy
from sopc.core.messages import Outcome, StoredMessage
from sopc.core.timeutil import format_duration, localize

HISTORY = dt.timedelta(days=2)  # enough to count a local day and one gap


def apply_quiet(moment: dt.datetime, policy: Policy, zone) -> dt.datetime | None:
    """Quiet hours: defer to the end of the quiet window, or skip."""
    local = moment.astimezone(zone)
    if not policy.in_quiet_hours(local.time()):
        return moment
    if policy.quiet_mode == "skip":
        return None
    day = local.date() if local.time() < policy.quiet_end else local.date() + dt.timedelta(days=1)
    return localize(dt.datetime.combine(day, policy.quiet_end), zone)


@dataclass(frozen=True, slots=True)
class Verdict:
    """``send`` True, or the outcome to record instead."""

    send: bool
    outcome: Outcome | None = None


SEND = Verdict(True)


class GroupHistory:
    """When each group was last posted to (sent, or handed to a sender now)."""

    def __init__(self, sent: list[tuple[str, dt.datetime]] = ()):
        self._times: dict[str, list[dt.datetime]] = {}
        for group, moment in sent:
            self.add(group, moment)

    def add(self, group: str, moment: dt.datetime) -> None:
        times = self._times.setdefault(group, [])
        bisect.insort(times, moment)
        cutoff = moment - HISTORY
        while times and times[0] < cutoff:
            times.pop(0)

    def remove(self, group: str, moment: dt.datetime) -> None:
        times = self._times.get(group)
        if times and moment in times:
            times.remove(moment)

    def count_between(self, group: str, start: dt.datetime, end: dt.datetime) -> int:
        times = self._times.get(group, ())
        return bisect.bisect_left(times, end) - bisect.bisect_left(times, start)

    def last(self, group: str) -> dt.datetime | None:
        times = self._times.get(group)
        return times[-1] if times else None


def judge(message: StoredMessage, playbook: CompiledPlaybook, now: dt.datetime, history: GroupHistory,
          paused: bool) -> Verdict:
    policy = playbook.policy
    if paused:
        return _skip(message, "paused: its playbook was paused when it fell due")
    late = now - message.due
    if late > policy.grace:
        why = "was sopc run stopped?" if message.origin == "plan" else "was sopc run stopped, or its event recorded late?"
        return _skip(message, f"missed: {format_duration(_minutes(late))} late, past the "
                              f"{format_duration(policy.grace)} grace ({why})")
    going_out = max(now, message.due)  # a message sent late (within grace) must not slip into quiet hours
    quiet = apply_quiet(going_out, policy, playbook.zone)
    if quiet is None:
        return _skip(message, "quiet: it would go out inside the playbook's quiet hours")
    if quiet != going_out:
        return _defer(message, quiet, "deferred: quiet hours")
    if message.kind == "action":
        return SEND
    return _cadence(message, playbook, now, history)


def _cadence(message: StoredMessage, playbook: CompiledPlaybook, now: dt.datetime, history: GroupHistory) -> Verdict:
    policy = playbook.policy
    if policy.cap:
        local = now.astimezone(playbook.zone)
        day_start = dt.datetime.combine(local.date(), dt.time(), playbook.zone)
        posted = history.count_between(message.group, day_start, day_start + dt.timedelta(days=1))
        if posted >= policy.cap:
            return _skip(message, f"cap: group `{message.group}` already had {posted} posts today "
                                  f"(cap {policy.cap}/day)")
    last = history.last(message.group)
    if policy.gap and last is not None and now - last < policy.gap:
        return _defer(message, last + policy.gap,
                      f"deferred: {format_duration(policy.gap)} gap after the previous post")
    return SEND


def _minutes(delta: dt.timedelta) -> dt.timedelta:
    return dt.timedelta(minutes=max(1, int(delta.total_seconds() // 60)))


def _skip(message: StoredMessage, reason: str) -> Verdict:
    return Verdict(False, Outcome(message.id, "skipped", reason))


def _defer(message: StoredMessage, until: dt.datetime, reason: str) -> Verdict:
    return Verdict(False, Outcome(message.id, "pending", reason, due=until))
