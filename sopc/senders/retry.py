"""Retrying transient delivery failures inside one ``deliver`` call.

An attempt returns a :class:`DeliveryResult`; ``retry`` marks a transient
failure (timeout, connection error, HTTP 5xx or 429, a vendor's rate-limit
code). Those are tried again after an exponential backoff with jitter,
``base_delay * multiplier**(n-1)`` scaled by ``1 ± jitter``, or after the
vendor's ``retry_after`` when that is longer. Permanent failures (an invalid
key, 93000, a bad signature...) come back at once.

A wait longer than ``max_delay`` (say DingTalk's 10-minute block) is not slept
here: the ``retry`` result goes back to the runner, which can reschedule the
message instead of holding a worker for minutes.

The rule (:meth:`RetryPolicy.decide`) is the runner's too: it reschedules a
message the sender handed back with its own policy (more attempts, longer
waits, no ``max_delay``, no jitter), so both count and wait the same way.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Awaitable, Callable, Mapping

from sopc.core.records import dataclass
from sopc.senders.base import DeliveryResult, SenderConfigError, number_setting


@dataclass(frozen=True, slots=True)
class RetryDecision:
    """After a ``retry`` answer: try again after ``delay`` seconds, or (``delay``
    None) give up and hand the last answer back."""

    delay: float | None

    @property
    def again(self) -> bool:
        return self.delay is not None


GIVE_UP = RetryDecision(None)


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    max_attempts: int = 3
    base_delay: float = 1.0
    multiplier: float = 2.0
    max_delay: float = 30.0     # math.inf: any wait is fine (the runner reschedules, it does not sleep)
    jitter: float = 0.25

    @classmethod
    def from_settings(cls, settings: Mapping) -> "RetryPolicy":
        defaults = cls()
        attempts = settings.get("max_attempts", defaults.max_attempts)
        if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
            raise SenderConfigError("setting `max_attempts` must be a whole number of at least 1")
        return cls(
            max_attempts=attempts,
            base_delay=number_setting(settings, "retry_base_delay", defaults.base_delay),
            max_delay=number_setting(settings, "retry_max_delay", defaults.max_delay),
        )

    def backoff(self, attempt: int, random: float) -> float:
        """The pause after failed attempt number ``attempt`` (1-based)."""
        plain = self.base_delay * self.multiplier ** (attempt - 1)
        return min(self.max_delay, plain * (1 - self.jitter + 2 * self.jitter * random))

    def decide(self, attempt: int, retry_after: float | None, random: float = 0.5) -> RetryDecision:
        """Attempt number ``attempt`` (1-based) answered ``retry``: wait the
        backoff (or the vendor's ``retry_after`` when longer) and try again,
        or give up when that was the last attempt or the wait is longer than
        ``max_delay``."""
        pause = max(retry_after or 0.0, self.backoff(attempt, random))
        if attempt >= self.max_attempts or pause > self.max_delay:
            return GIVE_UP
        return RetryDecision(pause)

    @classmethod
    def rescheduling(cls, max_attempts: int, base_delay: float) -> "RetryPolicy":
        """The runner's policy: ``base_delay * 2**(n-1)`` exactly, however long."""
        return cls(max_attempts=max_attempts, base_delay=base_delay, max_delay=math.inf, jitter=0.0)


async def with_retries(
    attempt: Callable[[], Awaitable[DeliveryResult]],
    *,
    policy: RetryPolicy,
    sleep: Callable[[float], Awaitable[None]],
    random: Callable[[], float],
) -> DeliveryResult:
    """Run ``attempt`` until it is not ``retry``, attempts run out, or the
    next wait is longer than the policy allows."""
    for number in range(1, policy.max_attempts + 1):
        result = await attempt()
        if result.status != "retry":
            return result
        decision = policy.decide(number, result.retry_after, random())
        if not decision.again:
            return _handed_back(result, number)
        await sleep(decision.delay)
    raise AssertionError("unreachable: the loop returns on its last attempt")


def _handed_back(result: DeliveryResult, attempts: int) -> DeliveryResult:
    """The last transient result, saying how many attempts it took."""
    noun = "attempt" if attempts == 1 else "attempts"
    return replace(result, error=f"{result.error} (after {attempts} {noun})")
