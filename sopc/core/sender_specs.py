"""Shared values: sopc's own sender kinds, registered in pyproject.toml under
``[project.entry-points."sopc.senders"]`` as any plugin's would be.

Stage: core (stdlib only). The numbers are the platforms' documented limits;
each sender class takes its ``limits`` from here, so they have one owner,
and :mod:`sopc.core.contract` checks messages against them the same way for
``sopc check``, a dry run and the sender itself.
"""

from __future__ import annotations

from sopc.core.i18n import N_
from sopc.core.senders import MENTION_FORMS, UNLIMITED, SenderLimits, SenderSpec

CARD_LINK = frozenset({"url", "title"})   # the senders that build a card need both
ALL_OR_USER = frozenset({"all", "user"})  # platforms that @ by account id only, not by phone

CONSOLE = SenderSpec(
    kind="console",
    summary=N_("prints one readable line per message to stdout (dry runs, demos)"),
    limits=UNLIMITED,
    factory="sopc.senders.console:ConsoleSender",
)

FILE = SenderSpec(
    kind="file",
    summary=N_("appends one JSON line per message to the outbox file `path`"),
    limits=UNLIMITED,
    factory="sopc.senders.file:FileSender",
)

WECOM_BOT = SenderSpec(
    kind="wecom-bot",
    summary=N_("企业微信 group robot (群机器人) webhook, `key_env`; internal groups only"),
    limits=SenderLimits(
        text_bytes=2048,
        markdown_bytes=4096,
        kinds=frozenset({"text", "markdown", "image", "link"}),
        mentions_in=frozenset({"text", "markdown"}),
        per_minute=20,
        per_second=None,
        external_groups=False,  # a group robot cannot join a group with WeChat users
        # text: mentioned_list (user ids, @all) and mentioned_mobile_list; markdown
        # has neither list, only `<@userid>` in its content (群机器人配置说明, 91770)
        mention_forms={"text": MENTION_FORMS, "markdown": frozenset({"user"})},
        image_from="file",  # base64 + md5 of the file's bytes
        image_bytes=2 * 1024 * 1024,
        image_types=frozenset({"jpg", "png"}),
        link_needs=CARD_LINK,  # a news article: title and url are required
        link_articles=8,       # a news message holds 1 to 8 articles
    ),
    factory="sopc.senders.wecom_bot:WecomBotSender",
)

FEISHU = SenderSpec(
    kind="feishu",
    summary=N_("Feishu/Lark custom bot (自定义机器人) webhook, `token_env` + `secret_env`"),
    limits=SenderLimits(
        text_bytes=18_000,
        markdown_bytes=18_000,
        kinds=frozenset({"text", "markdown", "link"}),
        mentions_in=frozenset({"text", "markdown"}),
        per_minute=100,
        per_second=5,
        external_groups=True,
        mention_forms={"text": ALL_OR_USER, "markdown": ALL_OR_USER},  # <at user_id=...>: open_id / user_id
        link_needs=CARD_LINK,
    ),
    factory="sopc.senders.feishu:FeishuSender",
)

DINGTALK = SenderSpec(
    kind="dingtalk",
    summary=N_("DingTalk custom robot (自定义机器人) webhook, `token_env` + `secret_env`"),
    limits=SenderLimits(
        text_bytes=20_000,
        markdown_bytes=20_000,
        kinds=frozenset({"text", "markdown", "link"}),
        mentions_in=frozenset({"text", "markdown"}),  # the `at` block; link messages have none
        per_minute=20,
        per_second=None,
        external_groups=False,
        link_needs=CARD_LINK,  # messageUrl, title and text are required
        feed_needs=frozenset({"picurl"}),  # several articles are a feedCard: title, messageURL and picURL each
    ),
    factory="sopc.senders.dingtalk:DingtalkSender",
)

SLACK = SenderSpec(
    kind="slack",
    summary=N_("Slack incoming webhook, `url_env`"),
    limits=SenderLimits(
        text_bytes=None,
        markdown_bytes=None,
        text_chars=40_000,  # Slack cuts a message past 40,000 characters (not bytes)
        markdown_chars=40_000,
        kinds=frozenset({"text", "markdown", "link"}),
        mentions_in=frozenset({"text", "markdown", "link"}),
        mention_forms={kind: ALL_OR_USER for kind in ("text", "markdown", "link")},  # <!channel>, <@U123>
        per_minute=None,
        per_second=1,
        external_groups=True,
        link_needs=CARD_LINK,
    ),
    factory="sopc.senders.slack:SlackSender",
)

WEBHOOK = SenderSpec(
    kind="webhook",
    summary=N_("a JSON POST of the whole message to `url` / `url_env`, with an Idempotency-Key"),
    limits=UNLIMITED,
    factory="sopc.senders.webhook:WebhookSender",
)

WECOM_GROUPMSG = SenderSpec(
    kind="wecom-groupmsg",
    summary=N_("WeCom 企业群发 to external customer groups; the group owner confirms each send"),
    limits=SenderLimits(
        text_bytes=4000,
        markdown_bytes=None,
        kinds=frozenset({"text", "link", "miniprogram", "attachments"}),
        mentions_in=frozenset(),  # 企业群发 has no @ of any kind
        per_minute=None,
        per_second=None,
        external_groups=True,
        link_needs=CARD_LINK,
        link_bytes={"title": 128, "url": 2048, "description": 512},
        link_articles=9,   # each article is one of the (at most 9) attachments
        attachments=9,     # add_msg_template: text plus at most 9 attachments
        needs={"owner": N_("企业群发 is created for the group owner (群主) to confirm; give the roster's `owner` "
                           "column their WeCom userid")},
        private=True,  # chat_type "single" to the member's external_userid, sent by the owner
    ),
    factory="sopc.senders.wecom_groupmsg:WecomGroupMsgSender",
    daily_cap=1,  # the platform delivers one 企业群发 per customer group per day
)

REMIND = SenderSpec(
    kind="remind",
    summary=N_("reminds the group's owner to post it by hand, through the sender `via`"),
    limits=UNLIMITED,  # a person can post anywhere, in any kind
    factory="sopc.senders.remind:RemindSender",
)
