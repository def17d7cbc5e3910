"""Sender ``wecom-bot``: the 企业微信 group robot (群机器人) webhook.

POST ``{base_url}/cgi-bin/webhook/send?key=KEY``; success iff the body's
``errcode`` is 0 (failures come back as HTTP 200 with a non-zero errcode).

Settings:

- ``key_env``: environment variable holding the default robot's key
  (optional when every group's roster ``address`` names its own variable).
- ``base_url`` (default ``https://qyapi.weixin.qq.com``), ``timeout``,
  ``max_attempts``, ``retry_base_delay``, ``retry_max_delay``, ``per_minute``
  (default 20 per robot), see :mod:`sopc.senders.bot`.
- ``image_max_bytes`` (default 2 MiB, the robot's limit before base64).

Message shapes (WeCom "群机器人配置说明", document 91770):

- text -> ``msgtype: text``; content at most 2048 bytes; ``mentioned_list``
  holds user ids and ``"@all"``, ``mentioned_mobile_list`` mobile numbers.
- markdown -> ``msgtype: markdown``; content at most 4096 bytes. Markdown
  has no ``mentioned_list``: "text/markdown类型消息支持在content中使用<@userid>
  扩展语法来@群成员", so a user is mentioned by ``<@userid>`` appended to the
  content; @all and mobile numbers cannot be (the contract refuses them).
- image -> ``msgtype: image`` with ``base64`` and ``md5`` of the picture the
  plan read when it compiled the playbook (:mod:`sopc.compile.media`): a file
  in the project, or an http(s) URL fetched then (kept in the user's cache
  folder, fetched again if the cache lost it). Bytes whose md5 is not the
  planned one are refused, not sent: what the plan showed is what goes out.
- link -> ``msgtype: news`` with its articles (title, description, url,
  picurl; 1 to 8: `link url=... title=...` written several times).

The robot cannot join an external customer group (one with WeChat users):
``limits.external_groups`` is False, and ``sopc check`` says so; such groups
need 企业群发 (``wecom-groupmsg``) or a reminder to the owner.

Errors: 45009 (api freq out of limit) is retried after a minute, -1 (system
busy) with backoff; anything else -- 93000 invalid webhook url, 40058 content
too long... -- fails at once with WeCom's own message.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import quote

from sopc.compile import media
from sopc.core.contract import PlannedImage, image_path, planned_image
from sopc.core.sender_specs import WECOM_BOT
from sopc.senders.base import (
    DeliveryResult,
    OutgoingMessage,
    SenderRuntime,
    failed,
    is_mobile,
    number_setting,
    over_limit,
    link_cards,
    project_dir,
)
from sopc.senders.bot import Bot, BotSender, Request, body_verdict, int_field
from sopc.senders.http import HttpReply, encode_json

RATE_LIMITED = 45009
SYSTEM_BUSY = -1
RETRY_CODES: dict[int, float | None] = {RATE_LIMITED: 60.0, SYSTEM_BUSY: None}
IMAGE_MAX_BYTES = WECOM_BOT.limits.image_bytes


class WecomBotSender(BotSender):
    kind = "wecom-bot"
    limits = WECOM_BOT.limits
    default_base_url = "https://qyapi.weixin.qq.com"
    credential_setting = "key_env"

    def __init__(self, *, name: str, settings: Mapping, env: Mapping[str, str], runtime: SenderRuntime) -> None:
        super().__init__(name=name, settings=settings, env=env, runtime=runtime)
        self.image_max_bytes = int(number_setting(settings, "image_max_bytes", IMAGE_MAX_BYTES))
        self.limits = dataclasses.replace(self.limits, image_bytes=self.image_max_bytes)
        self._image_bytes: dict[str, bytes] = {}  # message id -> the picture being sent

    def payload(self, message: OutgoingMessage) -> dict[str, Any] | DeliveryResult:
        builders = {"text": self._text, "markdown": self._markdown, "image": self._image, "link": self._news}
        return builders[message.kind](message)

    def request(self, bot: Bot, payload: dict[str, Any]) -> Request:
        return Request(url=f"{self.base_url}/cgi-bin/webhook/send?key={quote(bot.credential, safe='')}", body=encode_json(payload))

    def judge(self, reply: HttpReply) -> DeliveryResult:
        body = reply.json_object()
        code = int_field(body, "errcode")
        return body_verdict(reply, vendor="WeCom", code=code, message=str((body or {}).get("errmsg", "")), retry_codes=RETRY_CODES)

    # ---- message shapes --------------------------------------------------------------

    def _text(self, message: OutgoingMessage) -> dict[str, Any] | DeliveryResult:
        return {"msgtype": "text", "text": {"content": message.text, **mention_lists(message.mentions)}}

    def _markdown(self, message: OutgoingMessage) -> dict[str, Any] | DeliveryResult:
        content = with_user_tags(message.text, message.mentions)
        too_long = over_limit("wecom-bot markdown with its <@userid> mentions", content, self.limits.markdown_bytes)
        return too_long or {"msgtype": "markdown", "markdown": {"content": content}}

    async def _deliver(self, message: OutgoingMessage) -> DeliveryResult:
        image = planned_image(message.text) if message.kind == "image" else None
        if image is not None:  # the bytes the plan showed (read, or fetched off the event loop) for _image
            data = await asyncio.to_thread(planned_bytes, image, project_dir(self.runtime))
            if isinstance(data, DeliveryResult):
                return data
            self._image_bytes[message.id] = data
        try:
            return await super()._deliver(message)
        finally:
            self._image_bytes.pop(message.id, None)

    def _image(self, message: OutgoingMessage) -> dict[str, Any] | DeliveryResult:
        data = self._image_bytes.get(message.id)
        if data is None:
            if not message.text.strip():
                return failed("the image could not be read when the playbook was compiled (`sopc check` says why)")
            data = read_image(image_path(message.text.strip(), project_dir(self.runtime)))
        if isinstance(data, DeliveryResult):
            return data
        image = {"base64": base64.b64encode(data).decode("ascii"), "md5": hashlib.md5(data).hexdigest()}
        return {"msgtype": "image", "image": image}

    def _news(self, message: OutgoingMessage) -> dict[str, Any] | DeliveryResult:
        cards = link_cards(message.text)
        if cards is None:
            return failed("link text must be 'URL\\nTITLE\\nDESCRIPTION' with an http(s) URL and a title")
        articles = [{"title": card.title, "description": card.description, "url": card.url,
                     **({"picurl": card.picurl} if card.picurl else {})} for card in cards]
        return {"msgtype": "news", "news": {"articles": articles}}


def mention_lists(mentions: tuple[str, ...]) -> dict[str, list[str]]:
    """``mentioned_list`` (user ids, ``@all``) and ``mentioned_mobile_list``."""
    users = ["@all" if m == "all" else m for m in mentions if not is_mobile(m)]
    mobiles = [m for m in mentions if is_mobile(m)]
    lists = {"mentioned_list": users, "mentioned_mobile_list": mobiles}
    return {key: value for key, value in lists.items() if value}


def with_user_tags(markdown: str, mentions: tuple[str, ...]) -> str:
    """``<@userid>`` for each mentioned user not already tagged in the text
    (the contract lets only user ids through to markdown)."""
    tags = [f"<@{m}>" for m in mentions if f"<@{m}>" not in markdown]
    return f"{markdown}\n{' '.join(tags)}" if tags else markdown


def planned_bytes(image: PlannedImage, folder: Path | None) -> bytes | DeliveryResult:
    """The bytes of a planned image, which must have the md5 the plan showed:
    the project's file, or the copy fetched when it was planned (fetched
    again if the cache lost it)."""
    if image.is_url:
        kept = media.fetched_path(image.md5, image.type)
        try:
            data = kept.read_bytes() if kept is not None and kept.exists() else media.fetch_url(image.source)
        except (OSError, media.ImageProblem) as exc:
            return failed(f"cannot fetch image {media.shown_url(image.source)}: {exc}")
    else:
        data = read_image(image_path(image.source, folder))
        if isinstance(data, DeliveryResult):
            return data
    md5 = hashlib.md5(data).hexdigest()
    if md5 != image.md5:
        shown = media.shown_url(image.source) if image.is_url else image.source
        return failed(f"image {shown} changed since it was planned (md5 {image.md5[:8]}… then, {md5[:8]}… now): "
                      "the runner re-plans when the project changes; run `sopc plan` to see the new picture")
    return data


def read_image(path: Path) -> bytes | DeliveryResult:
    """The image's bytes (the contract has checked its size and type), or a
    permanent failure if it cannot be read now."""
    try:
        return path.read_bytes()
    except OSError as exc:
        return failed(f"cannot read image {path}: {exc.strerror or exc}")
