"""Stage 5, plan: the send-time policy (the gate): may this due message go out now?

One set of rules for `sopc plan` and `sopc run`. The runner's worker asks a
:class:`Gate` about each message as it falls due; the planner
(:mod:`sopc.plan.simulate`) asks one about every planned message in time
order, across every playbook, so `sopc plan` shows what `sopc run` sends.
A message falling due passes these steps, across every playbook reaching
its group:

1. its playbook is paused (or was, when it fell due)  -> skipped: paused
2. later than its grace after its due time            -> skipped: missed
3. going out (now, or its due time) in quiet hours   -> deferred to their end, or skipped: quiet
4. its step is for groups `in stage` S, and the group
   is in another stage at the message's time          -> skipped: stage
5. the group already had the day's cap                -> skipped: cap
   (`cap 6/day`, or the maximum of `posts 3-6/day`: resolve makes it the cap)
6. the group's previous post was less than the gap ago -> deferred until the gap has passed

The stage (4) is the group's at the message's planned time, by the events
recorded so far: the gate asks ``stage_at`` (the lifecycle state's, which
`sopc plan --events` builds from the events file and the runner keeps in its
store), so a plan and a run given the same events agree, and the run asks
when the message falls due, with the events that came after it was planned.

A deferred message keeps its id (a hash of the time it was scheduled for)
and goes out at the time it was deferred to: that is its ``at`` in the plan
and in what the runner hands its sender (:func:`placed_at`).

Actions (dissolve, remind staff, remove member) are not posts: they skip 5
and 6, and the cap and gap do not count them. Nor are private messages (`to
member`: 1:1 to a member, for recall and moderation, so as not to spam the
group): the group's cap and gap are about what its members see in the group,
and a private message is not in it. Pauses, the grace and quiet hours hold
for them as for any message (nobody wants a warning at 02:00).
"""

from __future__ import annotations

import bisect
import datetime as dt
from typing import Callable, Protocol, Sequence

from sopc.compile.resolve import CompiledPlaybook, Policy
from sopc.core.messages import Outcome, StoredMessage
from sopc.core.reasons import (CAP, DEFERRED, GAP_DEFERRAL, MISSED, NO_COMMON_STAGE, NO_STAGE, PAUSED,
                                QUIET_DEFERRAL, QUIET_SKIP, STAGE, STOPPED_OR_LATE, STOPPED_RUN)
from sopc.core.records import dataclass
from sopc.core.timeutil import format_duration, localize

HISTORY = dt.timedelta(days=2)  # enough to count a local day and one gap
UTC = dt.timezone.utc

Pause = tuple[str, dt.datetime, dt.datetime | None]  # playbook, paused at, resumed at (None: still paused)
StageAt = Callable[[str, dt.datetime], "str | None"]  # (group, moment) -> its stage then (None: none known)


class DueMessage(Protocol):
    """What the gate reads of a message: a stored one, or one the planner simulates."""

    id: str
    at: dt.datetime      # its planned time (quiet hours already applied)
    due: dt.datetime     # when it falls due: ``at``, or where the gate deferred it to
    playbook: str
    step: str
    group: str
    member: str | None
    kind: str
    origin: str          # plan | event
    private: bool        # `to member`: 1:1, not a post in the group


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

    def __init__(self, sent: Sequence[tuple[str, dt.datetime]] = ()):
        self._times: dict[str, list[dt.datetime]] = {}
        for group, moment in sent:
            self.add(group, moment)

    def add(self, group: str, moment: dt.datetime) -> None:
        times = self._times.setdefault(group, [])
        if not times or times[-1] <= moment:
            times.append(moment)  # the usual case: posts come in time order
        else:
            bisect.insort(times, moment)
        if len(times) > 16:  # forget what is too old to matter, now and then (a post is counted once)
            cutoff = moment - HISTORY
            if times[0] < cutoff:
                del times[:bisect.bisect_left(times, cutoff)]

    def remove(self, group: str, moment: dt.datetime) -> None:
        times = self._times.get(group)
        if times and moment in times:
            times.remove(moment)

    def count_between(self, group: str, start: dt.datetime, end: dt.datetime) -> int:
        return _count_between(self.posts(group), start, end)

    def last(self, group: str) -> dt.datetime | None:
        times = self._times.get(group)
        return times[-1] if times else None

    def posts(self, group: str) -> list[dt.datetime]:
        """The group's posts, oldest first (read only; empty if none)."""
        return self._times.get(group) or _NO_POSTS


_NO_POSTS: list[dt.datetime] = []


def _count_between(times: list[dt.datetime], start: dt.datetime, end: dt.datetime) -> int:
    """How many of ``times`` (sorted) are in [start, end)."""
    if not times:
        return 0
    before_end = len(times) if times[-1] < end else bisect.bisect_left(times, end)  # usually all are
    return before_end - bisect.bisect_left(times, start)


def counts_as_post(message: DueMessage) -> bool:
    """Whether the cap and gap count the message: actions and private (1:1)
    messages are not posts in the group."""
    return message.kind != "action" and not message.private


def gate_order(message: DueMessage) -> tuple:
    """The order the gate takes messages falling due together in: by due
    time, then planned time (a deferred message before one planned for
    then), then playbook, step, member and id. Only the order of one
    group's messages changes a verdict (the cap and gap look at one group),
    and this order needs nothing but the message, so the planner and the
    runner (whose store adds messages as the plan window moves and events
    come) take them in the same order."""
    return (message.due, message.at, message.playbook, message.step, message.member or "", message.id)


def paused_at(pauses: Sequence[Pause], playbook: str, moment: dt.datetime) -> bool:
    """Whether ``playbook`` is paused now, or was when a message fell due at ``moment``."""
    return any(name == playbook and (until is None or since <= moment < until) for name, since, until in pauses)


def stage_refusal(message: DueMessage, playbook: CompiledPlaybook, stage_at: StageAt | None) -> str | None:
    """Rule 4: why ``message`` does not go to its group, whose stage at the
    message's time is not one its step is for; None if it goes (or its step
    is for any stage). The one place `in stage` is applied: the gate (plan
    and run) and the checks that count posts ask it."""
    allowed = playbook.allowed_stages(message.step) if playbook.stage_limited else None
    if allowed is None:
        return None
    stage = stage_at(message.group, message.at) if stage_at is not None else None
    return None if stage in allowed else _stage_reason(message.group, stage, allowed)


def _stage_reason(group: str, stage: str | None, allowed: frozenset[str]) -> str:
    wanted = ", ".join(sorted(allowed)) or NO_COMMON_STAGE
    if stage is None:
        return NO_STAGE.format(group=group, wanted=wanted)
    return STAGE.format(group=group, stage=stage, wanted=wanted)


def placed_at(message: StoredMessage, zone) -> dt.datetime:
    """When the policy has a stored message go out: the time the gate
    deferred it to (in ``zone``, as the plan shows it), else its planned
    time. Read from its last recorded reason: a sender's retry replaces that,
    and the retried message goes with its planned time."""
    if message.reason is not None and message.reason.startswith(DEFERRED) and message.due > message.at:
        return message.due.astimezone(zone)
    return message.at


class Gate:
    """The gate with what it remembers: each group's posts (for the cap and
    gap) and the pauses. :meth:`decide` counts a post the moment it lets it
    through; :meth:`undo` takes it back if it did not go out after all."""

    def __init__(self, history: GroupHistory | None = None, pauses: Sequence[Pause] = (),
                 stage_at: StageAt | None = None):
        self.history = history if history is not None else GroupHistory()
        self.pauses: Sequence[Pause] = pauses
        self.stage_at: StageAt | None = stage_at  # rule 4 asks it (None: no stage is known)
        self._day: tuple = (None, None, None)  # (now, zone, its local day): one slot's messages share it

    def decide(self, message: DueMessage, playbook: CompiledPlaybook, now: dt.datetime) -> Verdict:
        """May ``message`` go out ``now``? (The runner's worker asks row by row.)"""
        [outcome] = self.decide_all((message,), playbook, now, due=message.due, origin=message.origin)
        return SEND if outcome is None else Verdict(False, outcome)

    def decide_all(self, messages: Sequence, playbook: CompiledPlaybook, now: dt.datetime, *,
                   due: dt.datetime, origin: str) -> list[Outcome | None]:
        """:meth:`decide` for messages of ``playbook`` that fell due together
        at ``due`` (the planner hands it a slot: one step's messages to up to
        thousands of groups), in order; each one's outcome, None if it goes
        out. The rules that look only at the time are worked out once."""
        timing = self._timing(playbook, due, origin, now)
        if timing is not None:
            return [Outcome(message.id, *timing) for message in messages]
        outcomes: list[Outcome | None] = []
        staged = playbook.stage_limited
        step, allowed, stage_at = None, None, self.stage_at
        for message in messages:
            if staged:  # rule 4, as stage_refusal words it (a slot's messages share their step: looked up once)
                if message.step is not step:
                    step, allowed = message.step, playbook.allowed_stages(message.step)
                if allowed is not None:
                    stage = stage_at(message.group, message.at) if stage_at is not None else None
                    if stage not in allowed:
                        outcomes.append(Outcome(message.id, "skipped", _stage_reason(message.group, stage, allowed)))
                        continue
            if not counts_as_post(message):  # an action, or a private message: not a post in the group
                outcomes.append(None)
                continue
            outcome = self._cadence(message, playbook, now)
            if outcome is None:
                self.history.add(message.group, now)
            outcomes.append(outcome)
        return outcomes

    def undo(self, message: DueMessage, moment: dt.datetime) -> None:
        """``message``, let through at ``moment``, was not posted (the sender
        refused it, or another worker claimed it)."""
        if counts_as_post(message):
            self.history.remove(message.group, moment)

    def _timing(self, playbook: CompiledPlaybook, due: dt.datetime, origin: str,
                now: dt.datetime) -> tuple[str, str, dt.datetime | None] | None:
        """Rules 1 to 3, which look only at the playbook and the time: None
        (go on to the cap and gap), or the state, reason and new due time."""
        policy = playbook.policy
        if self.pauses and paused_at(self.pauses, playbook.name, due):
            return ("skipped", PAUSED, None)
        late = now - due
        if late > policy.grace:
            why = STOPPED_RUN if origin == "plan" else STOPPED_OR_LATE
            return ("skipped", MISSED.format(late=format_duration(_minutes(late)), grace=format_duration(policy.grace),
                                             why=why), None)
        going_out = max(now, due)  # a message sent late (within grace) must not slip into quiet hours
        quiet = apply_quiet(going_out, policy, playbook.zone)
        if quiet is None:
            return ("skipped", QUIET_SKIP, None)
        if quiet != going_out:
            return ("pending", QUIET_DEFERRAL, quiet)
        return None

    def _cadence(self, message, playbook: CompiledPlaybook, now: dt.datetime) -> Outcome | None:
        """Rules 4 and 5: the group's posts today and its last one."""
        posts = self.history.posts(message.group)
        if not posts:
            return None
        policy = playbook.policy
        if policy.cap:
            day_start, day_end = self._local_day(now, playbook.zone)
            posted = _count_between(posts, day_start, day_end)
            if posted >= policy.cap:
                return Outcome(message.id, "skipped", CAP.format(group=message.group, posts=posted, cap=policy.cap))
        if policy.gap and now - posts[-1] < policy.gap:
            return Outcome(message.id, "pending", GAP_DEFERRAL.format(gap=format_duration(policy.gap)),
                           due=_whole_second(posts[-1] + policy.gap))
        return None

    def _local_day(self, now: dt.datetime, zone) -> tuple[dt.datetime, dt.datetime]:
        """The local day ``now`` falls in, in ``zone``: [its midnight, the next)."""
        last_now, last_zone, day = self._day
        if last_zone is not zone or last_now is not now:
            start = dt.datetime.combine(now.astimezone(zone).date(), dt.time(), zone)
            # In UTC, as the posts are: datetimes in one zone compare fast (and by wall time).
            day = (start.astimezone(UTC), (start + dt.timedelta(days=1)).astimezone(UTC))
            self._day = (now, zone, day)
        return day


def _whole_second(moment: dt.datetime) -> dt.datetime:
    """Rounded up: a post sent at 09:50:00.3 lets the next one go at 10:20:01."""
    return moment + dt.timedelta(microseconds=1_000_000 - moment.microsecond) if moment.microsecond else moment


def _minutes(delta: dt.timedelta) -> dt.timedelta:
    return dt.timedelta(minutes=max(1, int(delta.total_seconds() // 60)))
