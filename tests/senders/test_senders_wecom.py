"""The WeCom group robot sender against the mock WeCom API."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import socket

import pytest

from sopc.senders.base import load_sender

KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
VIP_KEY = "0f1e2d3c-aaaa-bbbb-cccc-viproomkey01"
ENV = {"WECOM_KEY": KEY, "WECOM_KEY_VIP": VIP_KEY}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture
def settings(mockhooks):
    mockhooks.add_wecom_bot(KEY)
    mockhooks.add_wecom_bot(VIP_KEY)
    return {"key_env": "WECOM_KEY", "base_url": mockhooks.url, "timeout": 0.5}


def assert_no_secret(*results):
    for result in results:
        assert KEY not in (result.error or "") and VIP_KEY not in (result.error or "")


def test_text_payload_with_mentions_is_what_wecom_documents(send, settings, mockhooks, make_message):
    message = make_message(mentions=("all", "zhangsan", "13800001111"))
    [result] = send("wecom-bot", settings, ENV, message)
    assert result.status == "sent"
    assert mockhooks.bodies("wecom") == [
        {
            "msgtype": "text",
            "text": {"content": message.text, "mentioned_list": ["@all", "zhangsan"], "mentioned_mobile_list": ["13800001111"]},
        }
    ]
    assert mockhooks.accepted["wecom"][0].query == {"key": KEY}


def test_markdown_payload_and_its_refusal_to_mention_all(send, settings, mockhooks, make_message):
    plain, mentioning = make_message(kind="markdown", text="## 今日福利\n> 8 点开抢"), make_message(kind="markdown", text="x", mentions=("all",))
    first, second = send("wecom-bot", settings, ENV, plain, mentioning)
    assert first.status == "sent"
    assert mockhooks.bodies("wecom") == [{"msgtype": "markdown", "markdown": {"content": "## 今日福利\n> 8 点开抢"}}]
    # markdown has no mentioned_list: no @all (nor @mobile) there
    assert second.status == "failed" and "cannot @mention everyone (`@all`) in markdown messages" in second.error
    assert len(mockhooks.requests) == 1


def test_markdown_mentions_a_user_with_the_documented_userid_tag(send, settings, mockhooks, make_message):
    """WeCom 91770: "text/markdown类型消息支持在content中使用<@userid>扩展语法来@群成员"."""
    tagged = make_message(kind="markdown", text="## 今日福利\n<@lisi> 请置顶", mentions=("zhangsan", "lisi"))
    [result] = send("wecom-bot", settings, ENV, tagged)
    assert result.status == "sent"
    assert mockhooks.bodies("wecom") == [
        {"msgtype": "markdown", "markdown": {"content": "## 今日福利\n<@lisi> 请置顶\n<@zhangsan>"}}]


def test_markdown_mobile_mentions_are_refused_before_sending(send, settings, mockhooks, make_message):
    [result] = send("wecom-bot", settings, ENV, make_message(kind="markdown", text="x", mentions=("13800001111",)))
    assert result.status == "failed" and "cannot @mention a mobile number (`@13800001111`)" in result.error
    assert mockhooks.requests == []


def test_image_is_sent_as_base64_and_md5_of_the_file(send, settings, mockhooks, make_message, tmp_path):
    poster = tmp_path / "poster.png"
    poster.write_bytes(PNG)
    [result] = send("wecom-bot", settings, ENV, make_message(kind="image", text=str(poster)))
    assert result.status == "sent"  # the mock checked the md5 against the bytes
    [body] = mockhooks.bodies("wecom")
    assert body == {"msgtype": "image", "image": {"base64": base64.b64encode(PNG).decode(), "md5": hashlib.md5(PNG).hexdigest()}}


def test_bad_images_fail_before_any_request(send, settings, mockhooks, make_message, tmp_path):
    text_file = tmp_path / "notes.png"
    text_file.write_text("not an image")
    huge = tmp_path / "huge.png"
    huge.write_bytes(PNG + b"\0" * (2 * 1024 * 1024))
    results = send(
        "wecom-bot",
        settings,
        ENV,
        make_message(kind="image", text=str(tmp_path / "missing.png")),
        make_message(kind="image", text=str(text_file)),
        make_message(kind="image", text=str(huge)),
    )
    assert [r.status for r in results] == ["failed"] * 3
    assert "cannot read image" in results[0].error
    assert "not a JPG or PNG" in results[1].error
    assert "over the limit of 2097152" in results[2].error
    assert mockhooks.requests == []


def test_link_becomes_a_news_article(send, settings, mockhooks, make_message):
    [result] = send("wecom-bot", settings, ENV, make_message(kind="link", text="https://shop.example.cn/618\n618 秒杀\n今晚 8 点"))
    assert result.status == "sent"
    assert mockhooks.bodies("wecom") == [
        {"msgtype": "news", "news": {"articles": [{"title": "618 秒杀", "description": "今晚 8 点", "url": "https://shop.example.cn/618"}]}}
    ]


def test_byte_limit_counts_utf8_bytes(send, settings, mockhooks, make_message):
    exactly = "福" * 682 + "ab"  # 2046 + 2 = 2048 bytes
    over = exactly + "c"
    fits, too_long = send("wecom-bot", settings, ENV, make_message(text=exactly), make_message(text=over))
    assert fits.status == "sent"
    assert too_long.status == "failed" and "2049 bytes (UTF-8), over the limit of 2048" in too_long.error
    assert len(mockhooks.requests) == 1


def test_the_mock_enforces_the_same_limit_with_wecoms_error(mockhooks):
    import httpx

    mockhooks.add_wecom_bot(KEY)
    reply = httpx.post(f"{mockhooks.url}/cgi-bin/webhook/send?key={KEY}", json={"msgtype": "text", "text": {"content": "福" * 683}})
    assert reply.status_code == 200
    assert reply.json()["errcode"] == 40058 and "text.content exceed max length 2048" in reply.json()["errmsg"]


def test_invalid_key_fails_at_once_with_wecoms_message(send, settings, mockhooks, make_message):
    env = {**ENV, "WECOM_KEY": "ffffffff-0000-0000-0000-unknownkey00"}
    [result] = send("wecom-bot", settings, env, make_message())
    assert result.status == "failed"
    assert result.error.startswith("WeCom error 93000: invalid webhook url")
    assert len(mockhooks.requests) == 1 and mockhooks.requests[0].answer == 200  # HTTP 200, errcode != 0
    assert "ffffffff-0000-0000-0000-unknownkey00" not in result.error


def test_rate_limit_code_is_retried_after_the_window(send, settings, mockhooks, make_message, clock):
    unpaced = {**settings, "per_minute": 0, "retry_max_delay": 120}
    results = send("wecom-bot", unpaced, ENV, *[make_message() for _ in range(21)])
    assert [r.status for r in results] == ["sent"] * 21
    assert len(mockhooks.requests) == 22
    refused = [r for r in mockhooks.requests if '"errcode": 45009' in r.answer_body]
    assert len(refused) == 1 and "api freq out of limit" in refused[0].answer_body
    assert clock.sleeps == [60.0]


def test_pacing_keeps_the_robot_under_twenty_a_minute(send, settings, mockhooks, make_message, clock):
    results = send("wecom-bot", settings, ENV, *[make_message() for _ in range(25)])
    assert [r.status for r in results] == ["sent"] * 25
    assert all(r.answer_body.startswith('{"errcode": 0') for r in mockhooks.requests)
    assert sum(clock.sleeps) == pytest.approx(60.0)


def test_a_long_pacing_wait_goes_back_to_the_runner(send, settings, mockhooks, make_message):
    results = send("wecom-bot", {**settings, "per_minute": 1, "max_pacing_wait": 30}, ENV, make_message(), make_message())
    assert results[0].status == "sent"
    assert results[1].status == "retry" and results[1].retry_after == pytest.approx(60.0)
    assert "WECOM_KEY" in results[1].error and len(mockhooks.requests) == 1


def test_server_errors_are_retried_with_backoff(send, settings, mockhooks, make_message, clock):
    mockhooks.fail_next(2, status=502, body="Bad Gateway")
    [result] = send("wecom-bot", settings, ENV, make_message())
    assert result.status == "sent"
    assert clock.sleeps == [1.0, 2.0]
    assert len(mockhooks.accepted["wecom"]) == 1


def test_persistent_server_errors_end_as_retry_without_the_key(send, settings, mockhooks, make_message):
    mockhooks.fail_next(3)
    [result] = send("wecom-bot", settings, ENV, make_message())
    assert result.status == "retry"
    assert "HTTP 500" in result.error and "(after 3 attempts)" in result.error
    assert_no_secret(result)


def test_a_hanging_server_times_out_and_is_retried(send, settings, mockhooks, make_message):
    mockhooks.hang_next(1)
    [result] = send("wecom-bot", settings, ENV, make_message())
    assert result.status == "sent"
    assert len(mockhooks.requests) == 2 and len(mockhooks.accepted["wecom"]) == 1


def test_timeouts_and_refused_connections_mask_the_key(send, mockhooks, make_message):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    mockhooks.add_wecom_bot(KEY)
    mockhooks.hang_next(2)
    hung = send("wecom-bot", {"key_env": "WECOM_KEY", "base_url": mockhooks.url, "timeout": 0.2, "max_attempts": 2}, ENV, make_message())
    refused = send("wecom-bot", {"key_env": "WECOM_KEY", "base_url": f"http://127.0.0.1:{closed_port}", "max_attempts": 1}, ENV, make_message())
    for result in (*hung, *refused):
        assert result.status == "retry"
        assert "key=***" in result.error
    assert "timed out after 0.2s" in hung[0].error
    assert "cannot connect" in refused[0].error
    assert_no_secret(*hung, *refused)


def test_group_address_names_the_variable_of_its_own_robot(send, settings, mockhooks, make_message):
    vip, lost = make_message(address="WECOM_KEY_VIP"), make_message(group="g-9", address="WECOM_KEY_GONE")
    ok, missing = send("wecom-bot", settings, ENV, vip, lost)
    assert ok.status == "sent" and mockhooks.accepted["wecom"][0].bot == VIP_KEY
    assert missing.status == "failed"
    assert "WECOM_KEY_GONE" in missing.error and "g-9" in missing.error


def test_a_group_without_address_needs_a_default_robot(send, mockhooks, make_message):
    [result] = send("wecom-bot", {"base_url": mockhooks.url}, ENV, make_message())
    assert result.status == "failed" and "has no address" in result.error and "key_env" in result.error


def test_kinds_the_robot_cannot_send_fail_clearly(send, settings, make_message):
    [result] = send("wecom-bot", settings, ENV, make_message(kind="action", text="kick"))
    assert result.status == "failed" and "cannot send action messages" in result.error


def test_logs_never_hold_the_key(send, settings, mockhooks, make_message, caplog):
    caplog.set_level(logging.DEBUG, logger="sopc.senders")
    mockhooks.fail_next(1)
    send("wecom-bot", settings, ENV, make_message(), make_message(address="WECOM_KEY_VIP"))
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "key=***" in logged and "-> sent" in logged
    assert KEY not in logged and VIP_KEY not in logged


def test_concurrent_deliveries_share_the_robots_pace(settings, mockhooks, make_message, runtime, clock):
    # The pace is on the fake clock, but each post's timeout is real time: 25
    # posts at once on a loaded CI machine can outlast the fixture's 0.5 s and
    # come back `retry`, which is not what this test is about.
    patient = {**settings, "timeout": 30}

    async def burst():
        sender = load_sender("ops", "wecom-bot", patient, ENV, runtime=runtime)
        try:
            return await asyncio.gather(*(sender.deliver(make_message()) for _ in range(25)))
        finally:
            await sender.aclose()

    results = asyncio.run(asyncio.wait_for(burst(), 120))  # a deadlock guard only
    assert [r.status for r in results] == ["sent"] * 25
    assert not [r for r in mockhooks.requests if "45009" in r.answer_body]
    assert len(mockhooks.accepted["wecom"]) == 25


def test_a_group_robot_refuses_a_private_message_before_any_request(send, settings, mockhooks, make_message):
    """`to member` through a group bot: it would post a warning meant for one
    member in the whole group, so the sender refuses it (as `sopc check`
    does, E0520) and nothing reaches WeCom."""
    [result] = send("wecom-bot", settings, ENV, make_message(member="m_xiaowang", private=True))
    assert result.status == "failed"
    assert result.error == "wecom-bot cannot send a private (1:1) message to a member: it posts only in the group"
    assert mockhooks.requests == []
