"""The shared delivery pipeline of the vendor group bots.

``deliver`` reads like the pipeline: check the message keeps the sender's
declared contract (:func:`sopc.senders.base.refused`), find the bot, build
the vendor payload, then (with retries) pace, sign, post and judge the body. A vendor module supplies only three small pieces:
``payload`` (message -> vendor JSON), ``request`` (bot + payload -> URL and
body, signing with a fresh timestamp on every attempt) and ``judge``.

Settings shared by every bot sender:

- ``base_url``: the vendor's API origin (tests point it at the mock server).
- ``timeout`` (seconds, default 10), ``max_attempts`` (default 3),
  ``retry_base_delay`` (1 s), ``retry_max_delay`` (30 s; longer waits go back
  to the runner as ``retry``), ``per_minute`` / ``per_second`` to override the
  vendor's documented rate (0 switches a limit off), ``max_pacing_wait``
  (120 s: how long a send may queue behind the rate limit before it goes
  back to the runner as ``retry``).

Which bot: a group's roster ``address`` names the environment variable that
holds its bot's credential (a signing secret, where the vendor has one, is
read from the same name plus ``_SECRET``); a group without an address uses
the sender's default bot from its ``*_env`` settings. Addresses name
variables so the roster, which lives in git, never holds a secret.

Pacing is per sender object: configure one sender per bot (or route every
group of a bot through the same sender), or two senders will each allow the
bot its full rate.
"""

from __future__ import annotations

import abc
import dataclasses
import logging
from dataclasses import field
from typing import Any, ClassVar, Mapping

from sopc.core.records import dataclass
from sopc.senders.base import (
    DeliveryResult,
    OutgoingMessage,
    SenderConfigError,
    SenderLimits,
    SenderRuntime,
    env_setting,
    failed,
    number_setting,
    optional_limit,
    project_dir,
    refused,
    require_env,
    retry,
    sent,
)
from sopc.senders.http import HttpPoster, HttpReply, transient_http
from sopc.senders.ratelimit import PeakAvoidance, RateLimiter, WaitTooLong
from sopc.senders.redact import Redactor
from sopc.senders.retry import RetryPolicy, with_retries

log = logging.getLogger("sopc.senders")


@dataclass(frozen=True, slots=True, kw_only=True)
class Bot:
    """One resolved bot. ``label`` (an environment variable name) identifies it
    in rate-limit keys and errors; ``credential`` and ``secret`` never leave."""

    label: str
    credential: str
    secret: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    url: str
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


def limits_with_overrides(limits: SenderLimits, settings: Mapping) -> SenderLimits:
    return dataclasses.replace(
        limits,
        per_minute=optional_limit(settings, "per_minute", limits.per_minute),
        per_second=optional_limit(settings, "per_second", limits.per_second),
    )


class BotSender(abc.ABC):
    kind: ClassVar[str]
    limits: SenderLimits
    default_base_url: ClassVar[str]
    credential_setting: ClassVar[str]
    secret_setting: ClassVar[str | None] = None
    hide_path: ClassVar[bool] = False

    def __init__(self, *, name: str, settings: Mapping, env: Mapping[str, str], runtime: SenderRuntime) -> None:
        self.name = name
        self.limits = limits_with_overrides(type(self).limits, settings)
        self.base_url = str(settings.get("base_url", self.default_base_url)).rstrip("/")
        self.runtime = runtime
        self._env = env
        self.redact = Redactor()
        self.default_bot = self._default_bot(settings, env)
        self.policy = RetryPolicy.from_settings(settings)
        self.max_pacing_wait = number_setting(settings, "max_pacing_wait", 120.0)
        self.limiter = RateLimiter.for_limits(self.limits, runtime, self.peak_avoidance(settings))
        self.http = HttpPoster(
            timeout=number_setting(settings, "timeout", 10.0),
            redact=self.redact,
            hide_path=self.hide_path,
        )

    @classmethod
    def from_settings(cls, name: str, settings: Mapping, env: Mapping[str, str], runtime: SenderRuntime) -> "BotSender":
        return cls(name=name, settings=settings, env=env, runtime=runtime)

    # ---- the pipeline ----------------------------------------------------------------

    async def deliver(self, message: OutgoingMessage) -> DeliveryResult:
        return reported(self.name, message, await self._deliver(message), self.redact)

    async def _deliver(self, message: OutgoingMessage) -> DeliveryResult:
        problem = refused(message, self.kind, self.limits, project_dir(self.runtime))
        if problem is not None:
            return problem
        bot = self.bot_for(message)
        if isinstance(bot, DeliveryResult):
            return bot
        payload = self.payload(message)
        if isinstance(payload, DeliveryResult):
            return payload
        return await with_retries(
            lambda: self._attempt(bot, payload), policy=self.policy, sleep=self.runtime.sleep, random=self.runtime.random
        )

    async def _attempt(self, bot: Bot, payload: dict[str, Any]) -> DeliveryResult:
        try:
            async with self.limiter.slot(bot.label, max_wait=self.max_pacing_wait):
                request = self.request(bot, payload)
                reply = await self.http.post(request.url, request.body, request.headers)
        except WaitTooLong as wait:
            return retry(f"{self.kind} bot {bot.label}: {wait}", wait.delay)
        if isinstance(reply, DeliveryResult):
            return reply
        return transient_http(reply, request.url) or self.judge(reply)

    # ---- vendor hooks ----------------------------------------------------------------

    @abc.abstractmethod
    def payload(self, message: OutgoingMessage) -> dict[str, Any] | DeliveryResult:
        """The vendor's JSON for ``message``, or a permanent failure."""

    @abc.abstractmethod
    def request(self, bot: Bot, payload: dict[str, Any]) -> Request:
        """Where and what to post for one attempt (signed afresh each time)."""

    @abc.abstractmethod
    def judge(self, reply: HttpReply) -> DeliveryResult:
        """The outcome read from a non-429, non-5xx reply."""

    def peak_avoidance(self, settings: Mapping) -> PeakAvoidance | None:
        return None

    # ---- bots ------------------------------------------------------------------------

    def bot_for(self, message: OutgoingMessage) -> Bot | DeliveryResult:
        if message.address:
            try:
                return self._bot_from_env(message.address)
            except SenderConfigError as exc:
                return failed(f"group `{message.group}` address: {exc}")
        if self.default_bot is None:
            return failed(f"group `{message.group}` has no address and sender `{self.name}` has no `{self.credential_setting}`")
        return self.default_bot

    def _bot_from_env(self, variable: str) -> Bot:
        credential = require_env(variable, self._env, purpose="a group address")
        secret = self._env.get(f"{variable}_SECRET") if self.secret_setting else None
        self.redact.add(credential, secret)
        return Bot(label=variable, credential=credential, secret=secret or None)

    def _default_bot(self, settings: Mapping, env: Mapping[str, str]) -> Bot | None:
        credential = env_setting(settings, self.credential_setting, env, required=False)
        if credential is None:
            return None
        secret = env_setting(settings, self.secret_setting, env, required=False) if self.secret_setting else None
        self.redact.add(credential, secret)
        return Bot(label=str(settings[self.credential_setting]), credential=credential, secret=secret)

    # ---- results ---------------------------------------------------------------------

    async def aclose(self) -> None:
        await self.http.aclose()


def reported(sender: str, message: OutgoingMessage, result: DeliveryResult, redact: Redactor) -> DeliveryResult:
    """The result with secrets masked in its error, logged once (the one
    place a sender's outcome is written down)."""
    if result.error:
        result = dataclasses.replace(result, error=redact(result.error))
    level = logging.INFO if result.status == "sent" else logging.WARNING
    log.log(level, "%s %s %s -> %s%s%s", sender, message.id, message.group, result.status,
            f" msgid {result.remote_id}" if result.remote_id else "", f": {result.error}" if result.error else "")
    return result


def body_verdict(reply: HttpReply, *, vendor: str, code: int | None, message: str, retry_codes: Mapping[int, float | None]) -> DeliveryResult:
    """Judge a vendor's ``{code, message}`` body: 0 is sent, a rate-limit or
    busy code is ``retry`` (with its wait), anything else fails with the
    vendor's own code and message. ``code`` None means the body had none."""
    if code is None:
        return failed(f"{vendor}: unexpected reply (HTTP {reply.status}): {reply.excerpt()}")
    if code == 0:
        return sent()
    error = f"{vendor} error {code}: {message}"
    if code in retry_codes:
        return retry(error, retry_codes[code])
    return failed(error)


def int_field(body: Mapping[str, Any] | None, *keys: str) -> int | None:
    """The first of ``keys`` holding an int in ``body``."""
    for key in keys:
        value = (body or {}).get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None
