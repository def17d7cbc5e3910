"""Sender ``feishu``: the Feishu/Lark custom bot (自定义机器人) webhook.

POST ``{base_url}/open-apis/bot/v2/hook/{TOKEN}``; success iff the body's
``code`` is 0 (or, from old deployments, ``StatusCode`` is 0).

Settings:

- ``token_env``: environment variable holding the default bot's hook token;
  ``secret_env``: the variable holding its signing secret, if the bot has
  "签名校验" on. A group's ``address`` names its own token variable, and its
  secret is read from that name plus ``_SECRET``.
- ``base_url`` (default ``https://open.feishu.cn``; ``https://open.larksuite.com``
  for Lark), ``timeout``, ``max_attempts``, ``retry_base_delay``,
  ``retry_max_delay``, ``per_second`` (5), ``per_minute`` (100).
- ``avoid_peaks`` (default true), ``peak_marks`` (seconds into each
  ``peak_period``; default ``[0, 1800]`` of 3600: the top and half of the
  hour), ``peak_span`` (15 s), ``peak_jitter`` (5 s): see
  :mod:`sopc.senders.ratelimit`.
- ``link_label`` (default ``查看详情``): the link text in link posts.

Signing (in the JSON body, not the URL): ``timestamp`` is Unix seconds and
``sign = base64(hmac_sha256(key=f"{timestamp}\\n{secret}", msg=b""))``.

Message shapes:

- text -> ``msg_type: text``; @all is ``<at user_id="all">所有人</at>``, a
  user ``<at user_id="ou_..."></at>``, appended to the text.
- markdown -> ``msg_type: interactive``: a card with one ``markdown`` element
  (the card is what renders Markdown; ``post`` only knows its own tags). A
  first line ``# Title`` becomes the card header. Mentions are card-style
  ``<at id=all></at>``.
- link -> ``msg_type: post``: title, the description, and an ``a`` tag.

The whole request body may not exceed 20 KB; text and markdown are capped at
18000 bytes so the envelope, escapes, mentions and signature still fit, and
the body itself is checked before sending.

Errors: 11232 (frequency limited) and 9499 when its message says "too many
request" are retried; 9499 Bad Request, 19001 invalid token, 19021 sign
mismatch, 19022 IP not allowed, 19024 keyword missing fail at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any, Mapping
from urllib.parse import quote

from sopc.core.sender_specs import FEISHU
from sopc.senders.base import (
    DeliveryResult,
    OutgoingMessage,
    SenderConfigError,
    SenderRuntime,
    failed,
    number_setting,
    over_limit,
    link_cards,
    retry,
)
from sopc.senders.bot import Bot, BotSender, Request, body_verdict, int_field
from sopc.senders.http import HttpReply, encode_json
from sopc.senders.ratelimit import PeakAvoidance

BODY_MAX_BYTES = 20 * 1024
SIGNATURE_ROOM = 100  # ,"timestamp":"1700000000","sign":"<44 chars>"
FREQUENCY_LIMITED = 11232
BAD_REQUEST = 9499
RETRY_CODES: dict[int, float | None] = {FREQUENCY_LIMITED: None}


def feishu_sign(timestamp: str, secret: str) -> str:
    """Feishu's custom-bot signature: HMAC-SHA256 of nothing, keyed by
    ``"{timestamp}\\n{secret}"``, base64."""
    digest = hmac.new(f"{timestamp}\n{secret}".encode("utf-8"), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


class FeishuSender(BotSender):
    kind = "feishu"
    limits = FEISHU.limits
    default_base_url = "https://open.feishu.cn"
    credential_setting = "token_env"
    secret_setting = "secret_env"

    def __init__(self, *, name: str, settings: Mapping, env: Mapping[str, str], runtime: SenderRuntime) -> None:
        super().__init__(name=name, settings=settings, env=env, runtime=runtime)
        self.link_label = str(settings.get("link_label", "查看详情"))

    def peak_avoidance(self, settings: Mapping) -> PeakAvoidance | None:
        if not settings.get("avoid_peaks", True):
            return None
        marks = settings.get("peak_marks", [0, 1800])
        if not isinstance(marks, (list, tuple)) or not all(isinstance(m, (int, float)) for m in marks):
            raise SenderConfigError("setting `peak_marks` must be a list of seconds")
        return PeakAvoidance(
            period=number_setting(settings, "peak_period", 3600.0) or 3600.0,
            marks=tuple(float(m) for m in marks),
            span=number_setting(settings, "peak_span", 15.0),
            jitter=number_setting(settings, "peak_jitter", 5.0),
        )

    def payload(self, message: OutgoingMessage) -> dict[str, Any] | DeliveryResult:
        builders = {"text": self._text, "markdown": self._card, "link": self._post}
        payload = builders[message.kind](message)
        if isinstance(payload, DeliveryResult):
            return payload
        size = len(encode_json(payload)) + SIGNATURE_ROOM
        if size > BODY_MAX_BYTES:
            return failed(f"Feishu request body would be {size} bytes, over the limit of {BODY_MAX_BYTES}")
        return payload

    def request(self, bot: Bot, payload: dict[str, Any]) -> Request:
        url = f"{self.base_url}/open-apis/bot/v2/hook/{quote(bot.credential, safe='')}"
        if bot.secret:
            timestamp = str(int(self.runtime.wallclock()))
            payload = {"timestamp": timestamp, "sign": feishu_sign(timestamp, bot.secret), **payload}
        return Request(url=url, body=encode_json(payload))

    def judge(self, reply: HttpReply) -> DeliveryResult:
        body = reply.json_object()
        code = int_field(body, "code", "StatusCode")
        message = str((body or {}).get("msg") or (body or {}).get("StatusMessage") or "")
        if code == BAD_REQUEST and "too many request" in message.lower():
            return retry(f"Feishu error {code}: {message}")
        return body_verdict(reply, vendor="Feishu", code=code, message=message, retry_codes=RETRY_CODES)

    # ---- message shapes --------------------------------------------------------------

    def _text(self, message: OutgoingMessage) -> dict[str, Any] | DeliveryResult:
        text = with_mentions(message.text, [f'<at user_id="{m}">{"所有人" if m == "all" else ""}</at>' for m in message.mentions])
        return over_limit("Feishu text", text, self.limits.text_bytes) or {"msg_type": "text", "content": {"text": text}}

    def _card(self, message: OutgoingMessage) -> dict[str, Any] | DeliveryResult:
        title, markdown = split_heading(message.text)
        markdown = with_mentions(markdown, [f"<at id={m}></at>" for m in message.mentions])
        too_long = over_limit("Feishu markdown", markdown, self.limits.markdown_bytes)
        if too_long:
            return too_long
        card: dict[str, Any] = {"config": {"wide_screen_mode": True}, "elements": [{"tag": "markdown", "content": markdown}]}
        if title:
            card["header"] = {"title": {"tag": "plain_text", "content": title}}
        return {"msg_type": "interactive", "card": card}

    def _post(self, message: OutgoingMessage) -> dict[str, Any] | DeliveryResult:
        cards = link_cards(message.text)
        if cards is None:
            return failed("link text must be 'URL\\nTITLE\\nDESCRIPTION' with an http(s) URL and a title")
        if len(cards) == 1:
            card = cards[0]
            rows = [[{"tag": "text", "text": card.description}]] if card.description else []
            rows.append([{"tag": "a", "text": self.link_label, "href": card.url}])
            return {"msg_type": "post", "content": {"post": {"zh_cn": {"title": card.title, "content": rows}}}}
        rows = []  # several articles: one post, a line per article (its title links to it)
        for card in cards:
            rows.append([{"tag": "a", "text": card.title, "href": card.url}]
                        + ([{"tag": "text", "text": f" {card.description}"}] if card.description else []))
        return {"msg_type": "post", "content": {"post": {"zh_cn": {"title": cards[0].title, "content": rows}}}}


def with_mentions(text: str, tags: list[str]) -> str:
    return f"{text}\n{' '.join(tags)}" if tags else text


def split_heading(markdown: str) -> tuple[str | None, str]:
    """A leading ``# Title`` line as the card title, and the rest."""
    first, _, rest = markdown.partition("\n")
    if first.startswith("# "):
        return first[2:].strip(), rest.lstrip("\n")
    return None, markdown
