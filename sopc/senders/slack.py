"""Sender ``slack``: Slack incoming webhooks.

POST the webhook URL; success iff HTTP 200 with the body ``ok``. Slack
answers failures with an HTTP error and a one-word body (400
``invalid_payload`` / ``no_text``, 403 ``invalid_token``, 404 ``no_service``,
410 ``channel_is_archived``): those fail at once; 429 with ``Retry-After``
and 5xx are retried.

Settings:

- ``url_env``: environment variable holding the default webhook URL (the
  URL is the secret). A group's ``address`` names its own URL variable.
- ``base_url``: if set, replaces the URL's scheme and host (a proxy, or the
  mock server in tests); the path, which carries the secret, is kept.
- ``timeout``, ``max_attempts``, ``retry_base_delay``, ``retry_max_delay``,
  ``per_second`` (default 1 per webhook).

Message shapes: ``{"text": ...}``. ``&``, ``<`` and ``>`` in text kinds are
escaped as Slack requires; markdown is sent as Slack ``mrkdwn`` as written
(so ``<url|label>`` links work). @all is ``<!channel>``, a user ``<@U123>``,
put in front of the text. A link is ``<url|title>`` and its description.
Slack truncates a message past 40,000 characters (characters, not bytes: a
Chinese text of 20,000 characters is 60,000 UTF-8 bytes and goes out whole),
so the whole text as posted, mentions and escapes included, is held to that.
"""

from __future__ import annotations

from typing import Any, Mapping
from urllib.parse import urlsplit, urlunsplit

from sopc.core.sender_specs import SLACK
from sopc.senders.base import (
    DeliveryResult,
    OutgoingMessage,
    SenderRuntime,
    failed,
    over_char_limit,
    link_cards,
    sent,
)
from sopc.senders.bot import Bot, BotSender, Request
from sopc.senders.http import HttpReply, encode_json


def slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SlackSender(BotSender):
    kind = "slack"
    limits = SLACK.limits
    default_base_url = ""
    credential_setting = "url_env"

    def __init__(self, *, name: str, settings: Mapping, env: Mapping[str, str], runtime: SenderRuntime) -> None:
        super().__init__(name=name, settings=settings, env=env, runtime=runtime)
        self.origin = urlsplit(self.base_url) if self.base_url else None

    def payload(self, message: OutgoingMessage) -> dict[str, Any] | DeliveryResult:
        body = self._body(message)
        if body is None:
            return failed("link text must be 'URL\\nTITLE\\nDESCRIPTION' with an http(s) URL and a title")
        text = " ".join([*mention_tokens(message.mentions), body]) if message.mentions else body
        limit = self.limits.markdown_chars if message.kind == "markdown" else self.limits.text_chars
        too_long = over_char_limit(f"slack {message.kind} as posted (escaped, with its mentions)", text, limit)
        return too_long or {"text": text}

    def request(self, bot: Bot, payload: dict[str, Any]) -> Request:
        return Request(url=self._routed(bot.credential), body=encode_json(payload))

    def judge(self, reply: HttpReply) -> DeliveryResult:
        if reply.status == 200 and reply.text.strip() == "ok":
            return sent()
        return failed(f"Slack HTTP {reply.status}: {reply.excerpt()}")

    def _body(self, message: OutgoingMessage) -> str | None:
        if message.kind == "markdown":
            return message.text
        if message.kind == "text":
            return slack_escape(message.text)
        cards = link_cards(message.text)
        if cards is None:
            return None
        return "\n".join(f"<{card.url}|{slack_escape(card.title)}>"
                         + (f"\n{slack_escape(card.description)}" if card.description else "") for card in cards)

    def _routed(self, url: str) -> str:
        if self.origin is None:
            return url
        parts = urlsplit(url)
        return urlunsplit((self.origin.scheme, self.origin.netloc, parts.path, parts.query, ""))


def mention_tokens(mentions: tuple[str, ...]) -> list[str]:
    return ["<!channel>" if m == "all" else f"<@{m}>" for m in mentions]
