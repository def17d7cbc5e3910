"""The WeCom 企业群发 sender against the mock WeCom API: tokens, task
creation for the group owner, errors, and the owners' confirmations."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import pytest
from mockhooks import wecom_error

from sopc.senders.base import SenderConfigError, load_sender

CORP_ID = "ww5f2c1e0d9b8a7c6d"
SECRET = "Zq8Xv1LmN3bC5dF7gH9jK2pQ4rS6tU8wY0aE1iO3uMx"
ENV = {"WECOM_CORP_ID": CORP_ID, "WECOM_CONTACT_SECRET": SECRET}
CHAT = "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA"
CREATE = "/cgi-bin/externalcontact/add_msg_template"
RESULT = "/cgi-bin/externalcontact/get_groupmsg_send_result"


@pytest.fixture
def settings(mockhooks):
    mockhooks.add_wecom_corp(CORP_ID, SECRET, users=("xiaomei", "laowang"))
    return {"corp_id_env": "WECOM_CORP_ID", "secret_env": "WECOM_CONTACT_SECRET", "base_url": mockhooks.url, "timeout": 0.5}


def run(runtime, settings, scenario, env=ENV):
    """Build the sender, run ``scenario(sender)``, close it."""

    async def go():
        sender = load_sender("qunfa", "wecom-groupmsg", settings, env, runtime=runtime)
        try:
            return await scenario(sender)
        finally:
            await sender.aclose()

    return asyncio.run(asyncio.wait_for(go(), 10))


def calls(mockhooks, path):
    return [r for r in mockhooks.requests if r.path == path]


def assert_no_secret(*texts):
    for text in texts:
        assert SECRET not in (text or "")


# ---- creating the task --------------------------------------------------------------------


def test_a_text_becomes_a_group_send_for_the_owner(send, settings, mockhooks, make_message):
    message = make_message(address=CHAT)
    [result] = send("wecom-groupmsg", settings, ENV, message)
    assert result.status == "sent"
    [task] = mockhooks.groupmsgs
    assert result.remote_id == task.msgid
    assert task.body == {"chat_type": "group", "sender": "xiaomei", "chat_id_list": [CHAT], "text": {"content": message.text}}
    [create] = calls(mockhooks, CREATE)
    assert create.method == "POST" and set(create.query) == {"access_token"}


def test_without_an_address_the_owner_picks_the_group(send, settings, mockhooks, make_message):
    [result] = send("wecom-groupmsg", settings, ENV, make_message())
    assert result.status == "sent"
    assert "chat_id_list" not in mockhooks.groupmsgs[0].body


def test_a_link_is_an_attachment(send, settings, mockhooks, make_message):
    [result] = send("wecom-groupmsg", settings, ENV, make_message(kind="link", text="https://shop.example.cn/618\n618 秒杀\n今晚 8 点"))
    assert result.status == "sent"
    assert mockhooks.groupmsgs[0].body["attachments"] == [
        {"msgtype": "link", "link": {"title": "618 秒杀", "url": "https://shop.example.cn/618", "desc": "今晚 8 点"}}
    ]


def test_the_token_is_fetched_once_and_cached(send, settings, mockhooks, make_message):
    results = send("wecom-groupmsg", settings, ENV, *[make_message() for _ in range(3)])
    assert [r.status for r in results] == ["sent"] * 3
    assert mockhooks.token_fetches == 1
    [fetch] = calls(mockhooks, "/cgi-bin/gettoken")
    assert fetch.method == "GET" and fetch.query == {"corpid": CORP_ID, "corpsecret": SECRET}
    assert len({r.remote_id for r in results}) == 3


def test_concurrent_deliveries_share_one_token_fetch(settings, mockhooks, make_message, runtime):
    async def burst(sender):
        return await asyncio.gather(*(sender.deliver(make_message()) for _ in range(8)))

    results = run(runtime, settings, burst)
    assert [r.status for r in results] == ["sent"] * 8
    assert mockhooks.token_fetches == 1 and len(mockhooks.groupmsgs) == 8


def test_an_expired_token_is_fetched_again_and_the_call_repeated(settings, mockhooks, make_message, runtime):
    async def scenario(sender):
        first = await sender.deliver(make_message())
        mockhooks.expire_tokens()  # WeCom may end a token early
        return first, await sender.deliver(make_message())

    first, second = run(runtime, settings, scenario)
    assert (first.status, second.status) == ("sent", "sent")
    assert mockhooks.token_fetches == 2
    answers = [r.answer_body for r in calls(mockhooks, CREATE)]
    assert len(answers) == 3 and '"errcode": 42001' in answers[1]
    assert len(mockhooks.groupmsgs) == 2


def test_an_invalid_token_errcode_refreshes_once_then_fails(send, settings, mockhooks, make_message):
    refused = wecom_error(40014, "invalid access_token")
    mockhooks.queue_answers(CREATE, refused, refused)
    [result] = send("wecom-groupmsg", settings, ENV, make_message())
    assert result.status == "failed" and result.error.startswith("WeCom error 40014: invalid access_token")
    assert mockhooks.token_fetches == 2 and len(calls(mockhooks, CREATE)) == 2


def test_the_token_is_renewed_before_it_expires(settings, mockhooks, make_message, runtime, clock):
    async def scenario(sender):
        await sender.deliver(make_message())
        clock.advance(7200 - 200)  # inside the renewal margin, still valid at WeCom
        return await sender.deliver(make_message())

    assert run(runtime, settings, scenario).status == "sent"
    assert mockhooks.token_fetches == 2
    assert not [r for r in calls(mockhooks, CREATE) if "42001" in r.answer_body]


# ---- refusals and errors ------------------------------------------------------------------


def test_a_message_without_owner_fails_before_any_request(send, settings, mockhooks, make_message):
    [result] = send("wecom-groupmsg", settings, ENV, make_message(owner=None, group="hz_001"))
    assert result.status == "failed"
    assert "group `hz_001` has no owner" in result.error and "群主" in result.error
    assert mockhooks.requests == []


def test_what_groupmsg_cannot_carry_fails_clearly(send, settings, mockhooks, make_message):
    mentioning, image, too_long = send(
        "wecom-groupmsg", settings, ENV,
        make_message(mentions=("all",)), make_message(kind="image", text="/tmp/poster.png"), make_message(text="福" * 1334),
    )
    assert mentioning.status == "failed" and "cannot @mention" in mentioning.error
    assert image.status == "failed" and "cannot send image" in image.error
    assert too_long.status == "failed" and "4002 bytes (UTF-8), over the limit of 4000" in too_long.error
    assert mockhooks.requests == []


def test_a_permanent_errcode_fails_with_wecoms_message_and_no_secret(send, settings, mockhooks, make_message):
    [result] = send("wecom-groupmsg", settings, ENV, make_message(owner="nobody"))
    assert result.status == "failed"
    assert result.error.startswith("WeCom error 40003: invalid userid")
    assert [r.answer for r in calls(mockhooks, CREATE)] == [200]  # HTTP 200, errcode != 0: not retried
    assert_no_secret(result.error)


def test_a_wrong_secret_fails_naming_nothing_secret(send, settings, mockhooks, make_message):
    wrong = "Wr0ngSecretWr0ngSecretWr0ngSecret123456789"
    [result] = send("wecom-groupmsg", settings, {**ENV, "WECOM_CONTACT_SECRET": wrong}, make_message())
    assert result.status == "failed" and result.error.startswith("WeCom gettoken error 40001: invalid credential")
    assert wrong not in result.error and calls(mockhooks, CREATE) == []


def test_system_busy_is_retried_with_backoff(send, settings, mockhooks, make_message, clock):
    mockhooks.queue_answers(CREATE, wecom_error(-1, "system busy"))
    [result] = send("wecom-groupmsg", settings, ENV, make_message())
    assert result.status == "sent" and result.remote_id
    assert clock.sleeps == [1.0]
    assert len(calls(mockhooks, CREATE)) == 2 and len(mockhooks.groupmsgs) == 1


def test_the_rate_limit_errcode_goes_back_to_the_runner_after_its_minute(send, settings, mockhooks, make_message):
    mockhooks.queue_answers(CREATE, wecom_error(45009, "api freq out of limit"))
    [result] = send("wecom-groupmsg", settings, ENV, make_message())
    assert result.status == "retry" and result.retry_after == 60.0
    assert "45009" in result.error


def test_server_errors_on_gettoken_are_retried(send, settings, mockhooks, make_message, clock):
    mockhooks.fail_next(2, status=502, body="Bad Gateway")
    [result] = send("wecom-groupmsg", settings, ENV, make_message())
    assert result.status == "sent" and clock.sleeps == [1.0, 2.0]
    assert [r.answer for r in calls(mockhooks, "/cgi-bin/gettoken")] == [502, 502, 200]


def test_timeouts_go_back_to_the_runner_with_token_and_secret_masked(settings, mockhooks, make_message, runtime):
    async def scenario(sender):
        await sender.deliver(make_message())
        mockhooks.hang_next(3)
        return await sender.deliver(make_message())

    result = run(runtime, {**settings, "timeout": 0.2}, scenario)
    assert result.status == "retry"
    assert "timed out after 0.2s" in result.error and "access_token=***" in result.error
    assert "(after 3 attempts)" in result.error
    token = calls(mockhooks, "/cgi-bin/gettoken")[0].answer_body.split('"access_token": "')[1].split('"')[0]
    assert token not in result.error
    assert_no_secret(result.error)


def test_logs_never_hold_the_secret_or_the_token(send, settings, mockhooks, make_message, caplog):
    caplog.set_level(logging.DEBUG, logger="sopc.senders")
    mockhooks.fail_next(1)
    send("wecom-groupmsg", settings, ENV, make_message())
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "corpsecret=***" in logged and "-> sent msgid msg" in logged
    assert SECRET not in logged and CORP_ID not in logged


def test_settings_are_checked_when_the_sender_is_built(mockhooks):
    with pytest.raises(SenderConfigError, match="`secret_env` is required"):
        load_sender("qunfa", "wecom-groupmsg", {"corp_id_env": "WECOM_CORP_ID"}, ENV)
    with pytest.raises(SenderConfigError, match="WECOM_CONTACT_SECRET is not set") as caught:
        load_sender("qunfa", "wecom-groupmsg", {"corp_id_env": "WECOM_CORP_ID", "secret_env": "WECOM_CONTACT_SECRET"},
                    {"WECOM_CORP_ID": CORP_ID})
    pasted = "Zq8Xv1Lm-N3bC5dF7gH9jK2pQ4rS6tU8wY0aE1iO3uMx"
    with pytest.raises(SenderConfigError, match="must name an environment variable") as inline:
        load_sender("qunfa", "wecom-groupmsg", {"corp_id_env": "WECOM_CORP_ID", "secret_env": pasted}, ENV)
    assert pasted not in str(inline.value)
    with pytest.raises(SenderConfigError, match="`daily_cap` must be a whole number"):
        load_sender("qunfa", "wecom-groupmsg", {"corp_id_env": "WECOM_CORP_ID", "secret_env": "WECOM_CONTACT_SECRET",
                                                "daily_cap": 0}, ENV)
    assert_no_secret(str(caught.value), str(inline.value))


# ---- confirmations ------------------------------------------------------------------------


def test_confirmations_follow_the_owner_from_waiting_to_confirmed(settings, mockhooks, make_message, runtime, clock):
    async def scenario(sender):
        created = await sender.deliver(make_message(address=CHAT))
        before = await sender.confirmations([(created.remote_id, "xiaomei", CHAT)])
        mockhooks.mark_groupmsg(created.remote_id, 1, send_time=1_700_000_600)
        after = await sender.confirmations([(created.remote_id, "xiaomei", CHAT)])
        return created.remote_id, before, after

    msgid, before, after = run(runtime, settings, scenario)
    assert before[msgid].state == "waiting" and "群主未确认" in before[msgid].detail
    assert after[msgid].state == "confirmed"
    assert after[msgid].at == dt.datetime.fromtimestamp(1_700_000_600, tz=dt.timezone.utc)
    [ask, *_] = calls(mockhooks, RESULT)
    assert ask.body == {"msgid": msgid, "userid": "xiaomei", "limit": 1000}


def test_failed_sends_say_why_in_chinese_and_english(settings, mockhooks, make_message, runtime):
    async def scenario(sender):
        first, second = await sender.deliver(make_message(address=CHAT)), await sender.deliver(make_message(address="wrOther"))
        mockhooks.mark_groupmsg(first.remote_id, 3)
        mockhooks.mark_groupmsg(second.remote_id, 2)
        return first.remote_id, second.remote_id, await sender.confirmations(
            [(first.remote_id, "xiaomei", CHAT), (second.remote_id, "xiaomei", "wrOther")])

    capped, stranger, answers = run(runtime, settings, scenario)
    assert answers[capped].state == "failed" and "已经收到其他群发消息" in answers[capped].detail
    assert "over the platform's cap" in answers[capped].detail
    assert answers[stranger].state == "failed" and "不是好友" in answers[stranger].detail


def test_confirmations_page_through_the_send_list(settings, mockhooks, make_message, runtime):
    mockhooks.groupmsg_page_max = 2

    async def scenario(sender):
        created = await sender.deliver(make_message())
        for n in range(5):
            mockhooks.mark_groupmsg(created.remote_id, 2, chat_id=f"wrChat{n}")
        mockhooks.mark_groupmsg(created.remote_id, 1, chat_id="wrChat9")
        return created.remote_id, await sender.confirmations([(created.remote_id, "xiaomei", "wrChat9")])

    msgid, answers = run(runtime, settings, scenario)
    assert answers[msgid].state == "confirmed"
    cursors = [r.body.get("cursor") for r in calls(mockhooks, RESULT)]
    assert cursors == [None, "2", "4"]


def test_an_api_error_leaves_a_send_waiting_and_never_raises(settings, mockhooks, make_message, runtime):
    async def scenario(sender):
        created = await sender.deliver(make_message())
        mockhooks.queue_answers(RESULT, wecom_error(40035, "invalid msgid"))
        return created.remote_id, await sender.confirmations(
            [("msgNoSuchTask", "xiaomei", CHAT), (created.remote_id, None, CHAT), (created.remote_id + "x", "xiaomei", None)])

    msgid, answers = run(runtime, settings, scenario)
    assert answers["msgNoSuchTask"].state == "waiting" and "WeCom error 40035: invalid msgid" in answers["msgNoSuchTask"].detail
    assert answers[msgid].state == "waiting" and "no owner userid" in answers[msgid].detail
    assert answers[msgid + "x"].state == "waiting"
    assert all(SECRET not in (a.detail or "") for a in answers.values())


def test_confirmations_survive_a_server_that_is_down(settings, mockhooks, make_message, runtime):
    async def scenario(sender):
        created = await sender.deliver(make_message())
        mockhooks.fail_next(3)
        return created.remote_id, await sender.confirmations([(created.remote_id, "xiaomei", None)])

    msgid, answers = run(runtime, settings, scenario)
    assert answers[msgid].state == "waiting" and "HTTP 500" in answers[msgid].detail


def test_the_mock_answers_like_wecom(mockhooks):
    import httpx

    mockhooks.add_wecom_corp(CORP_ID, SECRET)
    bad = httpx.get(f"{mockhooks.url}/cgi-bin/gettoken", params={"corpid": "nope", "corpsecret": SECRET}).json()
    assert bad["errcode"] == 40013
    token = httpx.get(f"{mockhooks.url}/cgi-bin/gettoken", params={"corpid": CORP_ID, "corpsecret": SECRET}).json()
    assert token["errcode"] == 0 and token["expires_in"] == 7200
    missing = httpx.post(f"{mockhooks.url}{CREATE}", json={"chat_type": "group", "sender": "a", "text": {"content": "x"}}).json()
    assert missing["errcode"] == 41001
    empty = httpx.post(f"{mockhooks.url}{CREATE}", params={"access_token": token["access_token"]},
                       json={"chat_type": "group", "sender": "a"}).json()
    assert empty["errcode"] == 41086
    assert httpx.get(f"{mockhooks.url}{CREATE}", params={"access_token": token["access_token"]}).json()["errcode"] == 43002


# ---- private (1:1) messages: `to member` ---------------------------------------------------

MEMBER = "wmOgQhDgAAuXQ2m0nY8XbRkN1aBCDE"


def test_a_private_message_is_a_send_to_one_customer_by_the_owner(send, settings, mockhooks, make_message):
    message = make_message(address=CHAT, member=MEMBER, private=True, text="小王你好,请遵守群规")
    [result] = send("wecom-groupmsg", settings, ENV, message)
    assert result.status == "sent"
    [task] = mockhooks.groupmsgs
    assert result.remote_id == task.msgid
    # chat_type single to the member's external userid; the group's chat id is not named
    assert task.body == {"chat_type": "single", "external_userid": [MEMBER], "sender": "xiaomei",
                         "text": {"content": "小王你好,请遵守群规"}}


def test_a_private_message_wecom_cannot_deliver_fails_at_once(send, settings, mockhooks, make_message):
    mockhooks.unreachable.add(MEMBER)
    [result] = send("wecom-groupmsg", settings, ENV, make_message(member=MEMBER, private=True))
    assert result.status == "failed"
    assert "fail_list" in result.error and MEMBER in result.error
    assert mockhooks.groupmsgs == []


def test_a_private_sends_confirmation_is_found_by_the_members_id(settings, mockhooks, make_message, runtime):
    async def scenario(sender):
        created = await sender.deliver(make_message(address=CHAT, member=MEMBER, private=True))
        before = await sender.confirmations([(created.remote_id, "xiaomei", MEMBER)])
        mockhooks.mark_groupmsg(created.remote_id, 1, send_time=1_700_000_600)
        after = await sender.confirmations([(created.remote_id, "xiaomei", MEMBER)])
        return created.remote_id, before, after

    msgid, before, after = run(runtime, settings, scenario)
    assert before[msgid].state == "waiting"
    assert after[msgid].state == "confirmed"
    assert after[msgid].at == dt.datetime.fromtimestamp(1_700_000_600, tz=dt.timezone.utc)
