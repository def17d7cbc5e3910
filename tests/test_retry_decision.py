"""One retry rule for the senders (a short wait, slept) and the runner (a
long wait, rescheduled): RetryPolicy.decide, and what the runner makes of a
sender's answer with it."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from simulate import local

from sopc.core.messages import StoredMessage
from sopc.run.runner import RunOptions
from sopc.run.worker import outcome_of
from sopc.senders.base import failed, retry, sent
from sopc.senders.retry import RetryPolicy

TEN = local("2026-11-23T10:00")


def waits(policy: RetryPolicy, retry_after: float | None = None) -> list[float | None]:
    """The decision after each attempt, 1 .. max_attempts."""
    return [policy.decide(n, retry_after).delay for n in range(1, policy.max_attempts + 1)]


def test_the_runner_doubles_its_wait_from_30s_and_gives_up_after_the_fifth_attempt():
    policy = RunOptions().retry_policy()
    assert waits(policy) == [30.0, 60.0, 120.0, 240.0, None]
    assert policy.max_delay == math.inf and policy.jitter == 0.0
    assert waits(RunOptions(max_attempts=3, retry_base=10.0).retry_policy()) == [10.0, 20.0, None]


def test_a_vendors_retry_after_wins_only_when_it_is_longer():
    policy = RunOptions().retry_policy()
    assert policy.decide(1, 600.0).delay == 600.0
    assert policy.decide(2, 5.0).delay == 60.0
    assert not policy.decide(5, 600.0).again  # out of attempts, whatever the vendor says


def test_a_sender_hands_back_a_wait_longer_than_it_may_sleep():
    policy = RetryPolicy(max_attempts=3, base_delay=1.0, max_delay=30.0, jitter=0.25)
    assert policy.decide(1, None, random=0.5).delay == 1.0
    assert policy.decide(1, None, random=0.0).delay == pytest.approx(0.75)   # jitter: 1 ± 25%
    assert policy.decide(2, None, random=1.0).delay == pytest.approx(2.5)
    assert policy.decide(1, 20.0).delay == 20.0
    assert not policy.decide(1, 600.0).again   # DingTalk's 10-minute block goes back to the runner
    assert not policy.decide(3, None).again


def stored(attempts: int) -> StoredMessage:
    return StoredMessage(id="m1", at=TEN, due=TEN, playbook="welfare", step="coupon", group="hz_001", member=None,
                         sender="bot", kind="text", mentions=(), text="券", origin="plan", state="claimed",
                         reason=None, attempts=attempts)


def mask(text: str) -> str:
    return text.replace("sekrit", "***")


def test_a_retry_answer_is_rescheduled_by_the_policy_until_the_attempts_run_out():
    policy = RunOptions().retry_policy()
    again = outcome_of(stored(attempts=1), retry("HTTP 502 key=sekrit"), policy, TEN, mask)
    assert (again.state, again.reason, again.due) == ("pending", "retrying: HTTP 502 key=***",
                                                       TEN + dt.timedelta(seconds=60))
    last = outcome_of(stored(attempts=4), retry("HTTP 502", retry_after=5.0), policy, TEN, mask)
    assert (last.state, last.reason, last.due) == ("failed", "gave up after 5 attempts: HTTP 502", None)


def test_sent_and_permanent_failures_are_not_retried():
    policy = RunOptions().retry_policy()
    assert outcome_of(stored(0), sent("remote-1"), policy, TEN, mask).remote_id == "remote-1"
    refused = outcome_of(stored(0), failed("errcode 93000: invalid webhook url"), policy, TEN, mask)
    assert (refused.state, refused.reason) == ("failed", "errcode 93000: invalid webhook url")
