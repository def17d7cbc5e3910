"""The DingTalk custom-robot sender against the mock DingTalk API."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit

import pytest

from sopc.senders.base import SenderRuntime, load_sender
from sopc.senders.dingtalk import dingtalk_sign

TOKEN = "a1b2c3d4e5f60718293a4b5c6d7e8f90dingtalktoken0001"
SECRET = "SEC6816d5f8c552a52f6deb9d5d0e2faac0c9030bb6d3515e"
ENV = {"DING_TOKEN": TOKEN, "DING_SECRET": SECRET}


@pytest.fixture
def settings(mockhooks):
    mockhooks.add_dingtalk_bot(TOKEN, secret=SECRET)
    return {"token_env": "DING_TOKEN", "secret_env": "DING_SECRET", "base_url": mockhooks.url}


def test_text_with_mentions_and_a_signed_url(send, settings, mockhooks, make_message, clock):
    message = make_message(mentions=("all", "manager01", "13800001111"))
    [result] = send("dingtalk", settings, ENV, message)
    assert result.status == "sent"  # the mock verified timestamp and sign
    [received] = mockhooks.accepted["dingtalk"]
    assert received.body == {
        "msgtype": "text",
        # DingTalk: "注意 在content里添加@人的手机号 / userid" -- the @ works only if the text names it too
        "text": {"content": message.text + "\n\n@manager01 @13800001111"},
        "at": {"isAtAll": True, "atUserIds": ["manager01"], "atMobiles": ["13800001111"]},
    }
    timestamp = received.query["timestamp"]
    assert timestamp == str(int(clock.time() * 1000))  # milliseconds
    assert received.query["sign"] == dingtalk_sign(timestamp, SECRET)
    assert received.query["access_token"] == TOKEN


def test_sign_is_url_encoded_once(settings, runtime):
    sender = load_sender("d", "dingtalk", settings, ENV, runtime=runtime)
    request = sender.request(sender.default_bot, {"msgtype": "text", "text": {"content": "x"}})
    asyncio.run(sender.aclose())
    raw_query = urlsplit(request.url).query
    sign = parse_qs(raw_query)["sign"][0]
    assert sign == dingtalk_sign(parse_qs(raw_query)["timestamp"][0], SECRET)
    assert "+" not in raw_query.split("sign=")[1] and "/" not in raw_query.split("sign=")[1]


def test_markdown_has_a_title_and_names_the_mentioned(send, settings, mockhooks, make_message):
    message = make_message(kind="markdown", text="### 今晚 8 点秒杀\n- 限量 100 件", mentions=("manager01",))
    [result] = send("dingtalk", settings, ENV, message)
    assert result.status == "sent"
    assert mockhooks.bodies("dingtalk") == [
        {
            "msgtype": "markdown",
            "markdown": {"title": "今晚 8 点秒杀", "text": "### 今晚 8 点秒杀\n- 限量 100 件\n\n@manager01"},
            "at": {"isAtAll": False, "atUserIds": ["manager01"]},
        }
    ]


def test_link_message_shape(send, settings, mockhooks, make_message):
    [result] = send("dingtalk", settings, ENV, make_message(kind="link", text="https://shop.example.cn/618\n618 秒杀\n今晚 8 点"))
    assert result.status == "sent"
    assert mockhooks.bodies("dingtalk") == [
        {"msgtype": "link", "link": {"title": "618 秒杀", "text": "今晚 8 点", "messageUrl": "https://shop.example.cn/618", "picUrl": ""}}
    ]


def test_wrong_secret_fails_at_once_with_dingtalks_message(send, settings, mockhooks, make_message, clock):
    [result] = send("dingtalk", settings, {**ENV, "DING_SECRET": "SECwrongwrongwrong"}, make_message())
    assert result.status == "failed"
    assert result.error.startswith("DingTalk error 310000: sign not match")
    assert clock.sleeps == [] and len(mockhooks.requests) == 1
    assert "SECwrongwrongwrong" not in result.error


def test_unknown_token_is_permanent(send, settings, mockhooks, make_message):
    [result] = send("dingtalk", settings, {**ENV, "DING_TOKEN": "0000notatoken0000"}, make_message())
    assert (result.status, result.error) == ("failed", "DingTalk error 300005: token is not exist")


def test_over_twenty_a_minute_blocks_the_robot_and_goes_back_to_the_runner(send, settings, mockhooks, make_message, clock):
    unpaced = {**settings, "per_minute": 0}
    results = send("dingtalk", unpaced, ENV, *[make_message() for _ in range(21)])
    assert [r.status for r in results] == ["sent"] * 20 + ["retry"]
    assert results[-1].retry_after == 600.0 + 15.0 + 45.0 * 0.5  # past the ten minutes, jittered (random 0.5)
    assert results[-1].error == "DingTalk error 130101: send too fast, exceed 20 times per minute (after 1 attempt)"
    clock.advance(120)  # past the minute, but the robot is still blocked
    [still_blocked] = send("dingtalk", unpaced, ENV, make_message())
    assert still_blocked.status == "retry"
    clock.advance(600)
    assert send("dingtalk", unpaced, ENV, make_message())[0].status == "sent"


def test_pacing_never_trips_the_block(send, settings, mockhooks, make_message, clock):
    results = send("dingtalk", settings, ENV, *[make_message() for _ in range(22)])
    assert [r.status for r in results] == ["sent"] * 22
    assert all('"errcode": 0' in r.answer_body for r in mockhooks.requests)
    assert sum(clock.sleeps) == pytest.approx(60.0)


def test_secrets_never_reach_errors(send, settings, mockhooks, make_message):
    mockhooks.fail_next(3, status=503, body="Service Unavailable")
    [result] = send("dingtalk", settings, ENV, make_message())
    assert result.status == "retry" and "HTTP 503" in result.error
    assert TOKEN not in result.error and SECRET not in result.error


def test_image_is_not_a_dingtalk_robot_kind(send, settings, make_message):
    [result] = send("dingtalk", settings, ENV, make_message(kind="image", text="/tmp/x.png"))
    assert result.status == "failed" and "cannot send image messages" in result.error


def test_a_mention_already_in_the_text_is_not_named_twice(send, settings, mockhooks, make_message):
    message = make_message(text="@13800001111 请查收今晚的秒杀链接", mentions=("13800001111",))
    [result] = send("dingtalk", settings, ENV, message)
    assert result.status == "sent"
    [body] = mockhooks.bodies("dingtalk")
    assert body["text"] == {"content": "@13800001111 请查收今晚的秒杀链接"}
    assert body["at"] == {"isAtAll": False, "atMobiles": ["13800001111"]}


@pytest.mark.parametrize("draw", [0.0, 0.999])
def test_the_retry_after_a_block_never_lands_on_its_edge(settings, mockhooks, make_message, clock, draw):
    """DingTalk blocks a robot for exactly ten minutes after 130101: a retry
    at +600 s would hit the block's last moment. It comes 15-60 s later,
    spread at random so robots blocked together do not return together."""
    runtime = SenderRuntime(monotonic=clock.monotonic, wallclock=clock.time, sleep=clock.sleep, random=lambda: draw)
    sender = load_sender("d", "dingtalk", {**settings, "per_minute": 0}, ENV, runtime=runtime)

    async def scenario():
        try:
            return [await sender.deliver(make_message()) for _ in range(21)]
        finally:
            await sender.aclose()

    *_, blocked = asyncio.run(scenario())
    assert blocked.status == "retry"
    assert 600.0 + 15.0 <= blocked.retry_after <= 600.0 + 60.0
    assert blocked.retry_after == pytest.approx(615.0 + 45.0 * draw)
