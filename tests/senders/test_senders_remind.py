"""The ``remind`` sender: the ready content, sent to the group owner through
another sender (here the WeCom robot of the staff group, on the mock)."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from sopc.senders.base import UNLIMITED, SenderConfigError, SenderRuntime, load_sender, sent

KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
ENV = {"STAFF_BOT_KEY": KEY}


@pytest.fixture
def senders(mockhooks):
    """The sender settings of a project: name -> (kind, settings)."""
    mockhooks.add_wecom_bot(KEY)
    return {
        "staff": ("wecom-bot", {"key_env": "STAFF_BOT_KEY", "base_url": mockhooks.url}),
        "remind": ("remind", {"via": "staff"}),
    }


def deliver(runtime: SenderRuntime, senders: dict, name: str, *messages):
    """Deliver through sender ``name``, the others reachable the way the
    runner offers them (``runtime.extra["senders"]``), built on first use."""

    async def scenario():
        built = {}

        def resolve(wanted: str):
            if wanted not in senders:
                raise SenderConfigError(f"sender `{wanted}` is not declared in sopc.toml")
            if wanted not in built:
                kind, settings = senders[wanted]
                built[wanted] = load_sender(wanted, kind, settings, ENV, runtime=lent)
            return built[wanted]

        lent = dataclasses.replace(runtime, extra={"senders": resolve})
        try:
            sender = resolve(name)
            return [await sender.deliver(message) for message in messages]
        finally:
            for sender in built.values():
                await sender.aclose()

    return asyncio.run(asyncio.wait_for(scenario(), 10))


def test_the_owner_gets_the_ready_content_with_group_time_and_mention(runtime, senders, mockhooks, make_message):
    message = make_message(mentions=("all",), text="今晚 8 点秒杀,链接见群公告")
    [result] = deliver(runtime, senders, "remind", message)
    assert result.status == "sent"
    [body] = mockhooks.bodies("wecom")
    assert body["msgtype"] == "text"
    assert body["text"]["mentioned_list"] == ["xiaomei"]
    assert body["text"]["content"] == (
        "请在 05-01 10:00 把下面的文字发到群「VIP 福利群 1」(vip-1)，发送时 @所有人：\n\n今晚 8 点秒杀,链接见群公告"
    )


def test_the_time_is_the_messages_own_local_time(runtime, senders, mockhooks, make_message):
    utc_instant = datetime(2024, 5, 1, 2, 0, tzinfo=timezone.utc)
    tokyo = utc_instant.astimezone(timezone(timedelta(hours=9)))
    deliver(runtime, senders, "remind", make_message(at=tokyo))
    assert mockhooks.bodies("wecom")[0]["text"]["content"].startswith("请在 05-01 11:00 ")


def test_links_images_and_actions_are_spelled_out(runtime, senders, mockhooks, make_message):
    deliver(
        runtime, senders, "remind",
        make_message(kind="link", text="https://shop.example.cn/618\n618 秒杀\n今晚 8 点"),
        make_message(kind="image", text="/srv/sop/posters/618.png"),
        make_message(kind="action", text="请确认售后都已回复"),
    )
    link, image, action = (b["text"]["content"] for b in mockhooks.bodies("wecom"))
    assert "把下面的链接发到群" in link and "链接：https://shop.example.cn/618\n标题：618 秒杀\n说明：今晚 8 点" in link
    assert "把下面的图片发到群" in image and "图片文件：/srv/sop/posters/618.png" in image
    assert "在群「VIP 福利群 1」(vip-1)执行下面的操作" in action


def test_the_reminder_keeps_the_message_id_and_goes_to_the_via_default(runtime, senders, make_message):
    seen = []

    class Recorder:
        kind, name = "webhook", "hook"
        limits = UNLIMITED

        async def deliver(self, message):
            seen.append(message)
            return sent(remote_id="r-1")

        async def aclose(self):
            return None

    async def scenario():
        remind = load_sender("remind", "remind", {"via": "hook"}, {},
                             runtime=dataclasses.replace(runtime, extra={"senders": lambda name: Recorder()}))
        return await remind.deliver(make_message(id="m-42", address="wrChat", kind="markdown", text="**福利**"))

    result = asyncio.run(scenario())
    assert result.status == "sent" and result.remote_id == "r-1"
    [reminder] = seen
    assert (reminder.id, reminder.kind, reminder.address, reminder.group, reminder.group_name) == ("m-42", "text", None, "vip-1", "VIP 福利群 1")
    assert reminder.mentions == ("xiaomei",)


def test_markdown_when_the_via_sender_cannot_send_text(runtime, make_message):
    seen = []

    class MarkdownOnly:
        kind, name = "pigeon", "pigeon"
        limits = dataclasses.replace(UNLIMITED, kinds=frozenset({"markdown"}), mentions_in=frozenset())

        async def deliver(self, message):
            seen.append(message)
            return sent()

        async def aclose(self):
            return None

    remind = load_sender("remind", "remind", {"via": "pigeon"}, {},
                         runtime=dataclasses.replace(runtime, extra={"senders": lambda name: MarkdownOnly()}))
    assert asyncio.run(remind.deliver(make_message())).status == "sent"
    assert seen[0].kind == "markdown" and seen[0].mentions == ()  # it cannot mention in markdown


def test_mention_owner_can_be_switched_off_and_a_missing_owner_is_fine(runtime, senders, mockhooks, make_message):
    quiet = {**senders, "remind": ("remind", {"via": "staff", "mention_owner": False})}
    deliver(runtime, quiet, "remind", make_message())
    deliver(runtime, senders, "remind", make_message(owner=None))
    assert [b["text"].get("mentioned_list") for b in mockhooks.bodies("wecom")] == [None, None]


def test_a_via_failure_is_prefixed(runtime, senders, mockhooks, make_message):
    [result] = deliver(runtime, senders, "remind", make_message(text="福" * 700))
    assert result.status == "failed"
    assert result.error.startswith("remind via staff: ") and "over the limit of 2048" in result.error


def test_an_unknown_via_fails_clearly(runtime, senders, make_message):
    lost = {**senders, "remind": ("remind", {"via": "stafff"})}
    [result] = deliver(runtime, lost, "remind", make_message())
    assert result.status == "failed"
    assert result.error == "remind via stafff: sender `stafff` is not declared in sopc.toml"


def test_via_itself_or_another_remind_is_rejected(runtime, senders, make_message):
    with pytest.raises(SenderConfigError, match=r"`via` names this sender \(`remind`\) itself"):
        load_sender("remind", "remind", {"via": "remind"}, {})
    chained = {**senders, "first": ("remind", {"via": "remind"})}
    [result] = deliver(runtime, chained, "first", make_message())
    assert result.status == "failed" and "`remind` is a remind sender" in result.error


def test_settings_and_a_runner_without_lookup(runtime, make_message):
    with pytest.raises(SenderConfigError, match="`via` is required"):
        load_sender("remind", "remind", {}, {})
    with pytest.raises(SenderConfigError, match="`mention_owner` must be true or false"):
        load_sender("remind", "remind", {"via": "staff", "mention_owner": "yes"}, {})
    alone = load_sender("remind", "remind", {"via": "staff"}, {}, runtime=runtime)
    result = asyncio.run(alone.deliver(make_message()))
    assert result.status == "failed" and "no way to reach other senders" in result.error


def test_a_private_message_asks_the_owner_to_send_it_one_to_one(runtime, senders, mockhooks, make_message):
    message = make_message(member="m_xiaowang", private=True, text="小王你好,请遵守群规")
    [result] = deliver(runtime, senders, "remind", message)
    assert result.status == "sent"
    [body] = mockhooks.bodies("wecom")
    assert body["text"]["content"].startswith("请在 05-01 10:00 把下面的文字私聊发给群「VIP 福利群 1」(vip-1)的成员 m_xiaowang：")
    assert body["text"]["content"].endswith("\n\n小王你好,请遵守群规")
    assert body["text"]["mentioned_list"] == ["xiaomei"]


def test_remove_member_is_a_staff_task_naming_the_member(runtime, senders, mockhooks, make_message):
    [result] = deliver(runtime, senders, "remind", make_message(kind="action", text="remove member", member="m_xiaowang"))
    assert result.status == "sent"
    [body] = mockhooks.bodies("wecom")
    assert body["text"]["content"] == "请在 05-01 10:00 把成员 m_xiaowang 移出群「VIP 福利群 1」(vip-1)。"
    assert body["text"]["mentioned_list"] == ["xiaomei"]
