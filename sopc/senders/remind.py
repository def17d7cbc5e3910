"""Sender ``remind``: the manual route -- a reminder to the group's owner.

Where nothing can post automatically (an external customer group without
企业群发, a channel with no API), SCRM tools send the responsible staff
member the ready content instead: "请在 10:00 把下面的内容发到群「群名」".
This sender writes that reminder and hands it to another configured sender
(a WeCom robot in the staff group, a Feishu bot, a webhook into the SCRM...),
mentioning the owner so they are notified.

Settings:

- ``via`` (required): the name of the sender (in sopc.toml) that carries the
  reminder. It may not be this sender, nor another ``remind``.
- ``mention_owner`` (default true): @mention the owner's userid (roster
  ``owner`` / 群主) in the reminder, where the ``via`` sender can mention.

The runner lends a way to reach the other senders: ``runtime.extra["senders"]``
is ``resolve(name) -> Sender`` (raising :class:`SenderConfigError` for an
unknown name). ``via`` is looked up on the first delivery, so the order the
senders are built in does not matter; the ``via`` sender belongs to the
runner, which closes it.

A private message (`to member`) becomes "请在 HH:MM 把下面的文字私聊发给
群「…」的成员 m1": the owner sends it 1:1, not in the group. The action
`remove member` becomes "请在 HH:MM 把成员 m1 移出群「…」": a staff task,
recorded ``sent`` once the reminder is delivered (as `dissolve group`).

The reminder keeps the message's ``id`` (so the ``via`` sender's idempotency
holds), its group and group name; it goes out as ``text`` (``markdown`` when
the ``via`` sender cannot send text) to the ``via`` sender's default
destination (``address`` None). Times are written in the message's own
timezone. A person can post anywhere, in any kind: the limits are
:data:`UNLIMITED`.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from sopc.core.contract import carries, planned_image
from sopc.core.sender_specs import REMIND
from sopc.senders.base import (
    DeliveryResult,
    OutgoingMessage,
    Sender,
    SenderConfigError,
    SenderRuntime,
    failed,
    Part,
    decode_parts,
    parse_link,
)

KIND_WORDS = {"text": "文字", "markdown": "Markdown 文字", "image": "图片", "link": "链接", "miniprogram": "小程序卡片",
              "attachments": "消息和附件", "action": "操作"}


class RemindSender:
    kind = "remind"
    limits = REMIND.limits

    def __init__(self, *, name: str, via: str, mention_owner: bool, runtime: SenderRuntime) -> None:
        self.name = name
        self.via = via
        self.mention_owner = mention_owner
        self.runtime = runtime
        self._via_sender: Sender | None = None

    @classmethod
    def from_settings(cls, name: str, settings: Mapping, env: Mapping[str, str], runtime: SenderRuntime) -> "RemindSender":
        via = settings.get("via")
        if not isinstance(via, str) or not via.strip():
            raise SenderConfigError("setting `via` is required: the name of the sender that carries the reminders")
        if via == name:
            raise SenderConfigError(f"setting `via` names this sender (`{name}`) itself: name a sender that posts, e.g. a wecom-bot")
        mention_owner = settings.get("mention_owner", True)
        if not isinstance(mention_owner, bool):
            raise SenderConfigError("setting `mention_owner` must be true or false")
        return cls(name=name, via=via, mention_owner=mention_owner, runtime=runtime)

    async def deliver(self, message: OutgoingMessage) -> DeliveryResult:
        sender = self._carrier()
        if isinstance(sender, DeliveryResult):
            return sender
        reminder = self.reminder(message, sender)
        if isinstance(reminder, DeliveryResult):
            return reminder
        result = await sender.deliver(reminder)
        return dataclasses.replace(result, error=f"remind via {self.via}: {result.error}") if result.error else result

    def reminder(self, message: OutgoingMessage, sender: Sender) -> OutgoingMessage | DeliveryResult:
        kinds = sender.limits.kinds
        kind = "text" if "text" in kinds else "markdown" if "markdown" in kinds else None
        if kind is None:
            return failed(f"remind via {self.via}: sender `{self.via}` ({sender.kind}) cannot send text or markdown")
        mention = self.mention_owner and message.owner and carries(sender.limits, kind, message.owner)
        return dataclasses.replace(
            message, kind=kind, text=reminder_text(message), mentions=(message.owner,) if mention else (), address=None,
            private=False,  # the reminder is posted for the owner; the owner sends the message 1:1
        )

    def _carrier(self) -> Sender | DeliveryResult:
        """The ``via`` sender, looked up once it is first needed."""
        if self._via_sender is not None:
            return self._via_sender
        resolve = self.runtime.extra.get("senders")
        if not callable(resolve):
            return failed(f"remind via {self.via}: the runner gave sender `{self.name}` no way to reach other senders")
        try:
            sender: Any = resolve(self.via)
        except (SenderConfigError, LookupError) as exc:
            return failed(f"remind via {self.via}: {exc}")
        if sender is self or getattr(sender, "kind", None) == self.kind:
            return failed(f"remind via {self.via}: `{self.via}` is a remind sender; `via` must name a sender that posts")
        self._via_sender = sender
        return sender

    async def aclose(self) -> None:
        return None  # the via sender is the runner's to close


def reminder_text(message: OutgoingMessage) -> str:
    """``请在 MM-DD HH:MM 把下面的内容发到群「群名」(id)``, what to send, and the content."""
    when = f"{message.at:%m-%d %H:%M}"
    where = f"群「{message.group_name}」({message.group})"
    if message.kind == "action" and message.text == "remove member":
        return f"请在 {when} 把成员 {message.member} 移出{where}。"
    if message.private:
        head = f"请在 {when} 把下面的{KIND_WORDS.get(message.kind, '内容')}私聊发给{where}的成员 {message.member}"
    elif message.kind == "action":
        head = f"请在 {when} 在{where}执行下面的操作"
    else:
        head = f"请在 {when} 把下面的{KIND_WORDS.get(message.kind, '内容')}发到{where}"
    mentions = " ".join(mention_text(m) for m in message.mentions)
    lines = [head + (f"，发送时 {mentions}" if mentions else "") + "：", "", content_text(message)]
    return "\n".join(lines)


def mention_text(mention: str) -> str:
    return "@所有人" if mention == "all" else f"@{mention}"


def content_text(message: OutgoingMessage) -> str:
    if message.kind == "image":
        image = planned_image(message.text)
        if image is not None:  # read when planned: where it is, and which picture (its md5) to post
            return f"图片：{image.source}（{image.size} 字节，{image.type.upper()}，md5 {image.md5}）"
        return f"图片文件：{message.text}"
    if message.kind == "link" and decode_parts(message.text) is None:
        card = parse_link(message.text)
        if card is not None:
            lines = [f"链接：{card.url}", f"标题：{card.title}"]
            return "\n".join(lines + ([f"说明：{card.description}"] if card.description else []))
    rich = decode_parts(message.text) if message.kind in ("link", "miniprogram", "attachments") else None
    if rich is not None:
        return "\n\n".join(([rich.text] if rich.text is not None else []) + [part_text(p) for p in rich.parts])
    return message.text


def part_text(part: Part) -> str:
    """A part as the person who posts it by hand needs it."""
    words = {"link": {"title": "标题", "url": "链接", "description": "说明", "picurl": "图片"},
             "miniprogram": {"title": "小程序卡片", "appid": "AppID", "page": "页面", "pic_media_id": "封面 media_id"},
             "image": {"media_id": "图片 media_id", "pic_url": "图片"}}[part.kind]
    return "\n".join(f"{words[name]}：{part.get(name)}" for name in words if part.get(name))
