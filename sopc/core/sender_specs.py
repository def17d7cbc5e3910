"""Shared values: sopc's own sender kinds, registered in pyproject.toml under
``[project.entry-points."sopc.senders"]`` as any plugin's would be.

Stage: core (stdlib only). The numbers are the platforms' documented limits;
each sender class takes its ``limits`` from here, so they have one owner.
"""

from __future__ import annotations

from sopc.core.senders import UNLIMITED, SenderLimits, SenderSpec

CONSOLE = SenderSpec(
    kind="console",
    summary="prints one readable line per message to stdout (dry runs, demos)",
    limits=UNLIMITED,
    factory="sopc.senders.console:ConsoleSender",
)

FILE = SenderSpec(
    kind="file",
    summary="appends one JSON line per message to the outbox file `path`",
    limits=UNLIMITED,
    factory="sopc.senders.file:FileSender",
)

WECOM_BOT = SenderSpec(
    kind="wecom-bot",
    summary="企业微信 group robot (群机器人) webhook, `key_env`; internal groups only",
    limits=SenderLimits(
        text_bytes=2048,
        markdown_bytes=4096,
        kinds=frozenset({"text", "markdown", "image", "link"}),
        mentions_in=frozenset({"text"}),
        per_minute=20,
        per_second=None,
        external_groups=False,  # a group robot cannot join a group with WeChat users
    ),
    factory="sopc.senders.wecom_bot:WecomBotSender",
)

FEISHU = SenderSpec(
    kind="feishu",
    summary="Feishu/Lark custom bot (自定义机器人) webhook, `token_env` + `secret_env`",
    limits=SenderLimits(
        text_bytes=18_000,
        markdown_bytes=18_000,
        kinds=frozenset({"text", "markdown", "link"}),
        mentions_in=frozenset({"text", "markdown"}),
        per_minute=100,
        per_second=5,
        external_groups=True,
    ),
    factory="sopc.senders.feishu:FeishuSender",
)

DINGTALK = SenderSpec(
    kind="dingtalk",
    summary="DingTalk custom robot (自定义机器人) webhook, `token_env` + `secret_env`",
    limits=SenderLimits(
        text_bytes=20_000,
        markdown_bytes=20_000,
        kinds=frozenset({"text", "markdown", "link"}),
        mentions_in=frozenset({"text", "markdown"}),
        per_minute=20,
        per_second=None,
        external_groups=False,
    ),
    factory="sopc.senders.dingtalk:DingtalkSender",
)

SLACK = SenderSpec(
    kind="slack",
    summary="Slack incoming webhook, `url_env`",
    limits=SenderLimits(
        text_bytes=40_000,
        markdown_bytes=40_000,
        kinds=frozenset({"text", "markdown", "link"}),
        mentions_in=frozenset({"text", "markdown", "link"}),
        per_minute=None,
        per_second=1,
        external_groups=True,
    ),
    factory="sopc.senders.slack:SlackSender",
)

WEBHOOK = SenderSpec(
    kind="webhook",
    summary="a JSON POST of the whole message to `url` / `url_env`, with an Idempotency-Key",
    limits=UNLIMITED,
    factory="sopc.senders.webhook:WebhookSender",
)

WECOM_GROUPMSG = SenderSpec(
    kind="wecom-groupmsg",
    summary="WeCom 企业群发 to external customer groups; the group owner confirms each send",
    limits=SenderLimits(
        text_bytes=4000,
        markdown_bytes=None,
        kinds=frozenset({"text", "link"}),
        mentions_in=frozenset(),
        per_minute=None,
        per_second=None,
        external_groups=True,
    ),
    factory="sopc.senders.wecom_groupmsg:WecomGroupMsgSender",
    daily_cap=1,  # the platform delivers one 企业群发 per customer group per day
)

REMIND = SenderSpec(
    kind="remind",
    summary="reminds the group's owner to post it by hand, through the sender `via`",
    limits=UNLIMITED,  # a person can post anywhere, in any kind
    factory="sopc.senders.remind:RemindSender",
)
