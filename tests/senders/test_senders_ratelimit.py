"""Pacing (sliding windows, peak avoidance) and the retry helper, on a fake clock."""

from __future__ import annotations

import asyncio

import pytest
from mockhooks import FakeClock

from sopc.senders.base import DeliveryResult, SenderConfigError, failed, retry, sent
from sopc.senders.ratelimit import PeakAvoidance, RateLimiter, WaitTooLong, Window
from sopc.senders.retry import RetryPolicy, with_retries


def limiter(clock: FakeClock, *windows: Window, peaks: PeakAvoidance | None = None, random: float = 0.5) -> RateLimiter:
    return RateLimiter(windows, monotonic=clock.monotonic, wallclock=clock.time, sleep=clock.sleep, random=lambda: random, peaks=peaks)


async def one_send(pacer: RateLimiter, key: str, max_wait: float = float("inf")) -> float:
    async with pacer.slot(key, max_wait=max_wait) as waited:
        return waited


def acquire_many(pacer: RateLimiter, key: str, count: int) -> list[float]:
    async def run() -> list[float]:
        return [await one_send(pacer, key) for _ in range(count)]

    return asyncio.run(asyncio.wait_for(run(), 10))


def test_twenty_a_minute_then_the_twenty_first_waits_for_the_window():
    clock = FakeClock()
    pacer = limiter(clock, Window(20, 60.0))
    waits = acquire_many(pacer, "bot", 20)
    assert waits == [0.0] * 20
    clock.advance(15.0)
    assert acquire_many(pacer, "bot", 1) == [pytest.approx(45.0)]


def test_no_sixty_second_window_ever_holds_more_than_the_limit():
    clock = FakeClock()
    pacer = limiter(clock, Window(20, 60.0))
    times: list[float] = []

    async def steady_stream() -> None:
        for _ in range(70):
            await one_send(pacer, "bot")
            times.append(clock.monotonic())
            clock.advance(0.5)

    asyncio.run(asyncio.wait_for(steady_stream(), 10))
    assert max(sum(1 for t in times if start <= t < start + 60.0) for start in times) == 20


def test_both_feishu_windows_hold():
    clock = FakeClock()
    pacer = limiter(clock, Window(5, 1.0), Window(100, 60.0))
    start = clock.monotonic()
    acquire_many(pacer, "bot", 101)
    # 5 a second: the 100th send happens after 19 seconds; the 101st waits for the minute.
    assert clock.monotonic() - start == pytest.approx(60.0)


def test_keys_are_paced_independently():
    clock = FakeClock()
    pacer = limiter(clock, Window(1, 1.0))
    assert acquire_many(pacer, "bot-a", 1) == [0.0]
    assert acquire_many(pacer, "bot-b", 1) == [0.0]
    assert acquire_many(pacer, "bot-a", 1) == [pytest.approx(1.0)]


def test_sends_in_flight_count_and_a_send_is_timed_from_its_reply():
    clock = FakeClock()
    pacer = limiter(clock, Window(2, 60.0))
    order: list[str] = []

    async def slow_send(name: str) -> None:
        async with pacer.slot("bot"):
            order.append(f"start {name} at {clock.monotonic() - 1000:g}")
            await asyncio.sleep(0)  # the request is in flight
            await asyncio.sleep(0)
            clock.advance(5.0)  # the reply takes five seconds

    async def run() -> None:
        await asyncio.gather(slow_send("a"), slow_send("b"), slow_send("c"))

    asyncio.run(asyncio.wait_for(run(), 10))
    # a and b fill the window while in flight; c waits for their replies
    # (a's at t=5, b's at t=10), then until a full window after a's.
    assert order == ["start a at 0", "start b at 0", "start c at 65"]
    assert clock.sleeps == [55.0]


def test_a_wait_past_max_wait_raises_and_records_nothing():
    clock = FakeClock()
    pacer = limiter(clock, Window(1, 60.0))
    acquire_many(pacer, "bot", 1)
    with pytest.raises(WaitTooLong) as caught:
        asyncio.run(one_send(pacer, "bot", max_wait=30.0))
    assert caught.value.delay == pytest.approx(60.0)
    assert clock.sleeps == []
    clock.advance(60.0)
    assert acquire_many(pacer, "bot", 1) == [0.0]


@pytest.mark.parametrize(
    ("seconds_into_hour", "expected"),
    [(3, 12.0 + 2.5), (0, 15.0 + 2.5), (1800, 15.0 + 2.5), (1810, 5.0 + 2.5), (20, 0.0), (1799, 0.0), (3599, 0.0)],
)
def test_peak_avoidance_steers_off_the_top_and_half_of_the_hour(seconds_into_hour, expected):
    peaks = PeakAvoidance(span=15.0, jitter=5.0)
    assert peaks.delay(1_699_999_200 + seconds_into_hour, random=0.5) == pytest.approx(expected)


def test_peak_avoidance_can_mark_seconds_of_each_minute():
    peaks = PeakAvoidance(period=60.0, marks=(0.0, 30.0), span=2.0, jitter=1.0)
    assert peaks.delay(1_700_000_040 + 30.5, random=0.0) == pytest.approx(1.5)
    assert peaks.delay(1_700_000_040 + 10.0, random=0.0) == 0.0


def test_limiter_sleeps_past_a_peak_before_sending():
    clock = FakeClock(wall=1_699_999_200 + 1800 + 4)  # HH:30:04
    pacer = limiter(clock, Window(5, 1.0), peaks=PeakAvoidance(span=15.0, jitter=5.0), random=1.0)
    assert acquire_many(pacer, "bot", 1) == [pytest.approx(11.0 + 5.0)]
    assert (clock.time() - 1_699_999_200) % 1800 == pytest.approx(20.0)


def test_backoff_is_exponential_with_jitter_and_capped():
    policy = RetryPolicy(base_delay=1.0, multiplier=2.0, max_delay=30.0, jitter=0.25)
    assert [policy.backoff(n, 0.5) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert policy.backoff(3, 0.0) == pytest.approx(3.0)
    assert policy.backoff(3, 1.0) == pytest.approx(5.0)
    assert policy.backoff(10, 1.0) == 30.0


def scripted(*results: DeliveryResult):
    queue = list(results)
    calls = []

    async def attempt() -> DeliveryResult:
        calls.append(1)
        return queue.pop(0)

    return attempt, calls


def run_retries(attempt, clock: FakeClock, **policy) -> DeliveryResult:
    return asyncio.run(with_retries(attempt, policy=RetryPolicy(**policy), sleep=clock.sleep, random=lambda: 0.5))


def test_transient_failures_are_retried_with_backoff_until_sent():
    clock = FakeClock()
    attempt, calls = scripted(retry("HTTP 502"), retry("timed out"), sent("m-1"))
    assert run_retries(attempt, clock) == sent("m-1")
    assert len(calls) == 3 and clock.sleeps == [1.0, 2.0]


def test_a_permanent_failure_returns_at_once():
    clock = FakeClock()
    attempt, calls = scripted(failed("WeCom error 93000: invalid webhook url"))
    assert run_retries(attempt, clock).error == "WeCom error 93000: invalid webhook url"
    assert len(calls) == 1 and clock.sleeps == []


def test_vendor_retry_after_wins_over_a_shorter_backoff():
    clock = FakeClock()
    attempt, _ = scripted(retry("rate limited", 7.0), sent())
    assert run_retries(attempt, clock).status == "sent"
    assert clock.sleeps == [7.0]


def test_a_wait_longer_than_max_delay_goes_back_to_the_runner():
    clock = FakeClock()
    attempt, calls = scripted(retry("DingTalk error 130101: send too fast", 600.0), sent())
    result = run_retries(attempt, clock, max_delay=30.0)
    assert (result.status, result.retry_after) == ("retry", 600.0)
    assert result.error == "DingTalk error 130101: send too fast (after 1 attempt)"
    assert len(calls) == 1 and clock.sleeps == []


def test_running_out_of_attempts_returns_the_last_retry():
    clock = FakeClock()
    attempt, calls = scripted(retry("HTTP 500"), retry("HTTP 500"))
    result = run_retries(attempt, clock, max_attempts=2)
    assert result.status == "retry" and result.error == "HTTP 500 (after 2 attempts)"
    assert len(calls) == 2 and clock.sleeps == [1.0]


def test_retry_policy_settings_are_validated():
    assert RetryPolicy.from_settings({"max_attempts": 5, "retry_max_delay": 90}).max_delay == 90.0
    with pytest.raises(SenderConfigError, match="max_attempts"):
        RetryPolicy.from_settings({"max_attempts": 0})
    with pytest.raises(SenderConfigError, match="retry_base_delay"):
        RetryPolicy.from_settings({"retry_base_delay": "soon"})
