"""Sender ``dingtalk``: the DingTalk custom robot (自定义机器人) webhook.

POST ``{base_url}/robot/send?access_token=TOKEN[&timestamp=T&sign=S]``;
success iff the body's ``errcode`` is 0 (failures are HTTP 200 too).

Settings:

- ``token_env``: environment variable holding the default robot's
  ``access_token``; ``secret_env``: the variable holding its signing secret
  (the ``SEC...`` value of "加签"), if signing is on. A group's ``address``
  names its own token variable, its secret being that name plus ``_SECRET``.
- ``base_url`` (default ``https://oapi.dingtalk.com``), ``timeout``,
  ``max_attempts``, ``retry_base_delay``, ``retry_max_delay``,
  ``per_minute`` (default 20 per robot).

Signing (in the URL): ``timestamp`` is Unix milliseconds and
``sign = urlencode(base64(hmac_sha256(key=secret, msg=f"{timestamp}\\n{secret}")))``.

Message shapes (``at``: ``isAtAll``, ``atUserIds``, ``atMobiles``):

- text -> ``msgtype: text``.
- markdown -> ``msgtype: markdown`` with ``title`` (the first line, without
  ``#``; it is what the notification shows) and ``text``.
- In both, DingTalk's documentation says of ``atMobiles`` / ``atUserIds``:
  "注意 在content里添加@人的手机号 / userid" -- an @ takes effect only when
  ``@id`` also appears in the text -- so ``@id`` is appended for each
  mentioned user or mobile not already in it.
- link -> ``msgtype: link`` (title, text, messageUrl, picUrl empty); a link
  carries no ``at``, so the contract refuses mentions there.

Limits: 20 messages a minute per robot; past that DingTalk answers 130101
("send too fast, exceed 20 times per minute") and blocks the robot for ten
minutes, so 130101 and 410100 (发送速度太快而限流) come back as ``retry``
after the ten minutes plus a margin of 15-60 s (a retry at exactly +600 s
would land on the edge of the block, and robots blocked together should not
all come back in the same second). DingTalk documents no hard size limit; text and markdown are
capped at 20000 bytes, a conservative figure, not an official one.
Errors such as 300005 (token is not exist) and 310000 (sign not match,
keywords not in content, ip not in whitelist) fail at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any
from urllib.parse import urlencode

from sopc.core.sender_specs import DINGTALK
from sopc.senders.base import (
    DeliveryResult,
    OutgoingMessage,
    failed,
    is_mobile,
    over_limit,
    link_cards,
)
from sopc.senders.bot import Bot, BotSender, Request, body_verdict, int_field
from sopc.senders.http import HttpReply, encode_json

BLOCKED_SECONDS = 600.0
BLOCK_MARGIN = 15.0    # seconds past the block before trying again
BLOCK_JITTER = 45.0    # and up to this much more, at random
BLOCKED_CODES = frozenset({130101, 410100})  # send too fast / 发送速度太快而限流: blocked for ten minutes
RETRY_CODES: dict[int, float | None] = {-1: None}
TITLE_MAX_CHARS = 64


def dingtalk_sign(timestamp: str, secret: str) -> str:
    """DingTalk's robot signature, base64 (URL-encode it into the query)."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}\n{secret}".encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


class DingtalkSender(BotSender):
    kind = "dingtalk"
    limits = DINGTALK.limits
    default_base_url = "https://oapi.dingtalk.com"
    credential_setting = "token_env"
    secret_setting = "secret_env"

    def payload(self, message: OutgoingMessage) -> dict[str, Any] | DeliveryResult:
        builders = {"text": self._text, "markdown": self._markdown, "link": self._link}
        return builders[message.kind](message)

    def request(self, bot: Bot, payload: dict[str, Any]) -> Request:
        query = {"access_token": bot.credential}
        if bot.secret:
            timestamp = str(int(self.runtime.wallclock() * 1000))
            query |= {"timestamp": timestamp, "sign": dingtalk_sign(timestamp, bot.secret)}
        return Request(url=f"{self.base_url}/robot/send?{urlencode(query)}", body=encode_json(payload))

    def judge(self, reply: HttpReply) -> DeliveryResult:
        body = reply.json_object()
        code = int_field(body, "errcode")
        retry_codes = RETRY_CODES | dict.fromkeys(BLOCKED_CODES, self.block_wait())
        return body_verdict(reply, vendor="DingTalk", code=code, message=str((body or {}).get("errmsg", "")), retry_codes=retry_codes)

    def block_wait(self) -> float:
        """How long to leave a blocked robot alone: past the block's end, at a random point of a window."""
        return BLOCKED_SECONDS + BLOCK_MARGIN + BLOCK_JITTER * self.runtime.random()

    # ---- message shapes --------------------------------------------------------------

    def _text(self, message: OutgoingMessage) -> dict[str, Any] | DeliveryResult:
        content = with_at_names(message.text, message.mentions)
        too_long = over_limit("dingtalk text with its @ names", content, self.limits.text_bytes)
        return too_long or {"msgtype": "text", "text": {"content": content}, **at_block(message.mentions)}

    def _markdown(self, message: OutgoingMessage) -> dict[str, Any] | DeliveryResult:
        text = with_at_names(message.text, message.mentions)
        too_long = over_limit("dingtalk markdown with its @ names", text, self.limits.markdown_bytes)
        markdown = {"title": markdown_title(message.text), "text": text}
        return too_long or {"msgtype": "markdown", "markdown": markdown, **at_block(message.mentions)}

    def _link(self, message: OutgoingMessage) -> dict[str, Any] | DeliveryResult:
        cards = link_cards(message.text)
        if cards is None:
            return failed("link text must be 'URL\\nTITLE\\nDESCRIPTION' with an http(s) URL and a title")
        if len(cards) > 1:  # several articles: a feedCard (the contract gave each a picture)
            links = [{"title": c.title, "messageURL": c.url, "picURL": c.picurl} for c in cards]
            return {"msgtype": "feedCard", "feedCard": {"links": links}}
        card = cards[0]
        link = {"title": card.title, "text": card.description or card.title, "messageUrl": card.url, "picUrl": card.picurl}
        return {"msgtype": "link", "link": link}


def at_block(mentions: tuple[str, ...]) -> dict[str, Any]:
    if not mentions:
        return {}
    at: dict[str, Any] = {"isAtAll": "all" in mentions}
    users = [m for m in mentions if m != "all" and not is_mobile(m)]
    mobiles = [m for m in mentions if is_mobile(m)]
    if users:
        at["atUserIds"] = users
    if mobiles:
        at["atMobiles"] = mobiles
    return {"at": at}


def with_at_names(text: str, mentions: tuple[str, ...]) -> str:
    """``@id`` for each mentioned user or mobile the text does not name yet
    (DingTalk highlights, and notifies, only those)."""
    missing = [f"@{m}" for m in mentions if m != "all" and f"@{m}" not in text]
    return f"{text}\n\n{' '.join(missing)}" if missing else text


def markdown_title(markdown: str) -> str:
    first = next((line for line in markdown.splitlines() if line.strip()), "")
    return first.lstrip("#").strip()[:TITLE_MAX_CHARS] or "通知"
