"""Fixtures for sender tests: the mock vendor server on a shared fake clock,
a runtime that never really sleeps, and message / delivery helpers."""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Mapping

import pytest

TESTS_DIR = Path(__file__).resolve().parents[1]
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from mockhooks import FakeClock, MockHooks  # noqa: E402

from sopc.senders.base import DeliveryResult, OutgoingMessage, SenderRuntime, load_sender  # noqa: E402

CHINA = timezone(timedelta(hours=8))
SCENARIO_TIMEOUT = 10.0  # a deadlocked sender fails the test instead of hanging it


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def mockhooks(clock: FakeClock):
    with MockHooks(clock) as mock:
        yield mock


@pytest.fixture
def runtime(clock: FakeClock) -> SenderRuntime:
    return SenderRuntime(monotonic=clock.monotonic, wallclock=clock.time, sleep=clock.sleep, random=lambda: 0.5)


@pytest.fixture
def make_message() -> Callable[..., OutgoingMessage]:
    counter = iter(range(1, 10_000))

    def make(**fields: Any) -> OutgoingMessage:
        values: dict[str, Any] = {
            "id": f"msg-{next(counter)}",
            "at": datetime(2024, 5, 1, 10, 0, tzinfo=CHINA),
            "playbook": "welcome",
            "step": "greet",
            "group": "vip-1",
            "group_name": "VIP 福利群 1",
            "member": None,
            "kind": "text",
            "mentions": (),
            "text": "大家好，今晚 8 点秒杀开始！",
            "address": None,
            "owner": "xiaomei",
        }
        values.update(fields)
        return OutgoingMessage(**values)

    return make


@pytest.fixture
def send(runtime: SenderRuntime) -> Callable[..., list[DeliveryResult]]:
    """Build a sender, deliver messages in order, close it, return results."""

    def run(kind: str, settings: Mapping, env: Mapping[str, str], *messages: OutgoingMessage) -> list[DeliveryResult]:
        async def scenario() -> list[DeliveryResult]:
            sender = load_sender("test", kind, settings, env, runtime=runtime)
            try:
                return [await sender.deliver(message) for message in messages]
            finally:
                await sender.aclose()

        return asyncio.run(asyncio.wait_for(scenario(), SCENARIO_TIMEOUT))

    return run
