"""Sender ``webhook``: a generic JSON POST of the whole message.

For in-house systems and SCRM vendors' own APIs: the body is the message as
JSON (see :func:`sopc.senders.base.message_to_json`), with the header
``Idempotency-Key: <message id>`` so a receiver can drop the duplicates that
retries may cause. 2xx is ``sent`` (a JSON body's string ``id`` becomes
``remote_id``), 429 and 5xx are retried (honouring ``Retry-After``), any
other status fails at once.

Settings:

- ``url`` (a URL without secrets) or ``url_env`` (the variable holding it).
- ``headers``: fixed, non-secret headers, e.g. ``{"X-Tenant" = "acme"}``.
- ``headers_env``: headers whose values come from environment variables,
  e.g. ``{"Authorization" = "HOOK_TOKEN"}`` (the variable holds the whole
  value, ``Bearer ...`` included).
- ``timeout``, ``max_attempts``, ``retry_base_delay``, ``retry_max_delay``,
  ``per_minute`` / ``per_second`` (no limit unless set).

The group ``address`` travels in the body for the receiver to route on; it
does not pick a URL. Error strings show the URL's host only.
"""

from __future__ import annotations

from typing import Any, Mapping

from sopc.core.sender_specs import WEBHOOK
from sopc.senders.base import (
    DeliveryResult,
    OutgoingMessage,
    SenderConfigError,
    SenderRuntime,
    failed,
    message_to_json,
    require_env,
    sent,
)
from sopc.senders.bot import Bot, BotSender, Request
from sopc.senders.http import HttpReply, encode_json


class WebhookSender(BotSender):
    kind = "webhook"
    limits = WEBHOOK.limits
    default_base_url = ""
    credential_setting = "url_env"
    hide_path = True

    def __init__(self, *, name: str, settings: Mapping, env: Mapping[str, str], runtime: SenderRuntime) -> None:
        super().__init__(name=name, settings=settings, env=env, runtime=runtime)
        from_env = secret_headers(settings, env)
        self.redact.add(*from_env.values())
        self.headers = {**fixed_headers(settings), **from_env}
        if self.default_bot is None:
            self.default_bot = plain_url_bot(settings)

    def bot_for(self, message: OutgoingMessage) -> Bot | DeliveryResult:
        return self.default_bot or failed(f"sender `{self.name}` has no url")

    def payload(self, message: OutgoingMessage) -> dict[str, Any] | DeliveryResult:
        return message_to_json(message)

    def request(self, bot: Bot, payload: dict[str, Any]) -> Request:
        headers = {**self.headers, "Idempotency-Key": str(payload["id"])}
        return Request(url=bot.credential, body=encode_json(payload), headers=headers)

    def judge(self, reply: HttpReply) -> DeliveryResult:
        if 200 <= reply.status < 300:
            body = reply.json_object() or {}
            remote_id = body.get("id")
            return sent(remote_id if isinstance(remote_id, str) else None)
        return failed(f"webhook HTTP {reply.status}: {reply.excerpt()}")


def plain_url_bot(settings: Mapping) -> Bot:
    url = settings.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise SenderConfigError("webhook sender needs `url` (an http(s) URL) or `url_env`")
    return Bot(label="url", credential=url)


def fixed_headers(settings: Mapping) -> dict[str, str]:
    headers = settings.get("headers", {})
    if not isinstance(headers, Mapping):
        raise SenderConfigError("setting `headers` must be a table of header = value")
    return {str(k): str(v) for k, v in headers.items()}


def secret_headers(settings: Mapping, env: Mapping[str, str]) -> dict[str, str]:
    variables = settings.get("headers_env", {})
    if not isinstance(variables, Mapping):
        raise SenderConfigError("setting `headers_env` must be a table of header = VARIABLE")
    return {str(header): require_env(str(variable), env, purpose=f"header {header}") for header, variable in variables.items()}
