"""Delivery plugins ("senders"): the protocol, its values, and the registry.

A compiled plan becomes timed :class:`OutgoingMessage` values; the runner hands
each to a :class:`Sender`, which answers with a :class:`DeliveryResult`:
``sent``, ``failed`` (permanent: retrying will not help) or ``retry`` (the
runner should try again after ``retry_after`` seconds).

Message text by kind (the one rule every sender follows):

- ``text`` / ``markdown``: the rendered text.
- ``image``: the picture read when the playbook was compiled, as
  ``{"image":{"bytes","md5","source","type"}}`` (:func:`sopc.core.contract.planned_image`;
  the source is a path in the project or a URL sopc fetched), or a bare local
  path (a relative one from the project folder). The WeCom robot sends base64 +
  md5 of the planned bytes.
- ``link``: ``"URL\\nTITLE\\nDESCRIPTION..."`` -- line 1 is the http(s) URL,
  line 2 the title, every further line is the description (may be empty).
  See :func:`parse_link`. A link written with named fields (``link url=...
  title=...``, several for a news message) is the canonical JSON of
  :mod:`sopc.core.content`; :func:`link_cards` reads either form.
- ``miniprogram`` / ``attachments``: that canonical JSON (a text and its
  attachments), for 企业群发.
- ``action``: the action name, for senders that perform actions.

``mentions`` holds ``"all"`` for @all and user ids otherwise (the planner has
already resolved ``@member`` and ``@owner``). A mention of eleven digits
starting with ``1`` is a mainland mobile number; the WeCom and DingTalk
robots @ it by phone.

What a kind of sender accepts is its declared contract (its
:class:`SenderLimits`, checked by :mod:`sopc.core.contract`): a sender calls
:func:`refused` before it builds a request, so it refuses exactly what
``sopc check`` and ``sopc run --dry-run`` report, in the same words.

Senders are found by kind in the entry-point group ``sopc.senders``, sopc's
own included: each entry point names a :class:`~sopc.core.senders.SenderSpec`
(its limits, read by ``sopc check`` without loading any sender code, and the
``"module:Class"`` of its implementation). :func:`load_sender` imports that
class only when the runner builds the sender; the class has a
``from_settings(name, settings, env, runtime)`` classmethod.
Secrets come from environment variables named by ``*_env`` settings; errors
name the variable, never its value.
"""

from __future__ import annotations

import asyncio
import importlib
import random
import re
import time
from dataclasses import field
from datetime import datetime
from pathlib import Path
from typing import Any, Awaitable, Callable, Mapping, Protocol, TextIO, runtime_checkable

from sopc.core import contract
from sopc.core import senders as registry
# Re-exported: sender code reads the shared values from here.
from sopc.core.contract import MOBILE, LinkCard, link_cards, parse_link, utf8_len  # noqa: F401
from sopc.core.content import Part, decode as decode_parts  # noqa: F401
from sopc.core.i18n import _
from sopc.core.records import dataclass
from sopc.core.senders import ENTRY_POINT_GROUP, KINDS, UNLIMITED, SenderLimits, SenderSpec  # noqa: F401

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True, kw_only=True)
class OutgoingMessage:
    id: str
    at: datetime
    playbook: str
    step: str
    group: str
    group_name: str
    member: str | None
    kind: str
    mentions: tuple[str, ...]
    text: str
    address: str | None
    owner: str | None
    private: bool = False  # `to member`: 1:1 to ``member``, not posted in the group


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryResult:
    status: str
    error: str | None = None
    retry_after: float | None = None
    remote_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Confirmation:
    """Whether a person confirmed an assisted send (WeCom 企业群发: the group
    owner confirms in the app). Senders that create sends for a person to
    confirm offer ``async confirmations(pending) -> {remote_id: Confirmation}``."""

    state: str                  # "waiting" | "confirmed" | "failed"
    detail: str | None = None   # "群主未确认 ...", the platform's reason, or an error
    at: datetime | None = None  # when it was sent, once confirmed


@dataclass(frozen=True, slots=True, kw_only=True)
class SenderRuntime:
    """What a sender takes from the world, injectable so tests never wait.

    ``extra`` holds what the runner lends: ``"senders"`` (name -> Sender, see
    :mod:`sopc.senders.remind`), ``"project_dir"`` (where relative image
    paths are read from) and ``"state"`` (a :class:`SenderState`: what a
    sender keeps between runs, such as an access token and its expiry).
    """

    monotonic: Callable[[], float] = time.monotonic
    wallclock: Callable[[], float] = time.time
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    random: Callable[[], float] = random.random
    stdout: TextIO | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


class SenderConfigError(ValueError):
    """A sender cannot be built from its settings (unknown kind, missing env)."""


class SenderState(Protocol):
    """Small strings a sender keeps across runs (the run's state store)."""

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str) -> None: ...


@runtime_checkable
class Sender(Protocol):
    name: str
    kind: str
    limits: SenderLimits

    async def deliver(self, message: OutgoingMessage) -> DeliveryResult: ...

    async def aclose(self) -> None: ...


# ---- result constructors ------------------------------------------------------------

def sent(remote_id: str | None = None) -> DeliveryResult:
    return DeliveryResult(status="sent", remote_id=remote_id)


def failed(error: str) -> DeliveryResult:
    return DeliveryResult(status="failed", error=error)


def retry(error: str, retry_after: float | None = None) -> DeliveryResult:
    return DeliveryResult(status="retry", error=error, retry_after=retry_after)


# ---- message helpers -----------------------------------------------------------------

def is_mobile(mention: str) -> bool:
    return bool(MOBILE.match(mention))


def message_to_json(message: OutgoingMessage) -> dict[str, Any]:
    """The message as plain JSON values (the outbox line, the webhook body)."""
    return {
        "id": message.id,
        "at": message.at.isoformat(),
        "playbook": message.playbook,
        "step": message.step,
        "group": message.group,
        "group_name": message.group_name,
        "member": message.member,
        "kind": message.kind,
        "mentions": list(message.mentions),
        "text": message.text,
        "address": message.address,
        "owner": message.owner,
        **({"private": True} if message.private else {}),  # a 1:1 message to `member`
    }


def refused(message: OutgoingMessage, sender_kind: str, limits: SenderLimits,
            project_dir: Path | None = None) -> DeliveryResult | None:
    """A permanent failure if the message breaks the sender's declared
    contract (kind, mentions, the owner it needs, sizes, the form of an image
    or a link); None when it keeps it. The one check before sending, shared
    with ``sopc check`` and the dry run."""
    problem = contract.refusal(sender_kind, limits, kind=message.kind, text=message.text, mentions=message.mentions,
                               fields={"owner": message.owner}, group=message.group, base_dir=project_dir,
                               private=message.private)
    return failed(problem) if problem else None


def unsupported(message: OutgoingMessage, sender_kind: str, limits: SenderLimits) -> DeliveryResult | None:
    """A permanent failure if this sender cannot carry the message's kind or
    its mentions; None when it can (for plugins; :func:`refused` checks the
    whole contract)."""
    problem = (contract.kind_refusal(sender_kind, limits, message.kind)
               or contract.mentions_refusal(sender_kind, limits, message.kind, message.mentions))
    return failed(problem) if problem else None


def over_limit(label: str, content: str, limit: int | None) -> DeliveryResult | None:
    """The text as the sender will post it (with its mentions, its envelope)
    over a byte limit."""
    problem = contract.over_bytes(label, content, limit)
    return failed(problem) if problem else None


def over_char_limit(label: str, content: str, limit: int | None) -> DeliveryResult | None:
    problem = contract.over_chars(label, content, limit)
    return failed(problem) if problem else None


def project_dir(runtime: SenderRuntime) -> Path | None:
    """Where the runner says relative paths (images) are read from."""
    folder = runtime.extra.get("project_dir")
    return Path(folder) if folder is not None else None


# ---- settings and environment --------------------------------------------------------

def env_setting(settings: Mapping, key: str, env: Mapping[str, str], *, required: bool) -> str | None:
    """The value of the environment variable named by ``settings[key]``."""
    variable = settings.get(key)
    if variable is None:
        if required:
            raise SenderConfigError(_("setting `{key}` is required: name the environment variable that holds the "
                                      "secret").format(key=key))
        return None
    return require_env(str(variable), env, purpose=_("setting `{key}`").format(key=key))


def require_env(variable: str, env: Mapping[str, str], *, purpose: str) -> str:
    if not ENV_NAME.match(variable):
        raise SenderConfigError(_("{purpose} must name an environment variable, not hold a value").format(purpose=purpose))
    value = env.get(variable)
    if not value:
        if _looks_like_a_secret(variable):  # never echo what may be the secret itself
            raise SenderConfigError(_("{purpose} does not look like the name of an environment variable (is it the "
                                      "secret itself? put the secret in a variable and name that, e.g. "
                                      "WECOM_BOT_KEY)").format(purpose=purpose))
        raise SenderConfigError(_("environment variable {variable} is not set ({purpose})").format(variable=variable,
                                                                                                  purpose=purpose))
    return value


def _looks_like_a_secret(variable: str) -> bool:
    """Variable names are short and upper-case by convention; keys and
    secrets are long and mixed-case."""
    return len(variable) >= 16 and any(c.islower() for c in variable) and any(c.isupper() for c in variable)


def number_setting(settings: Mapping, key: str, default: float) -> float:
    value = settings.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise SenderConfigError(_("setting `{key}` must be a non-negative number").format(key=key))
    return float(value)


def optional_limit(settings: Mapping, key: str, default: int | None) -> int | None:
    """``per_minute`` / ``per_second`` overrides; 0 switches the limit off."""
    if key not in settings:
        return default
    value = int(number_setting(settings, key, 0))
    return value or None


# ---- registry -------------------------------------------------------------------------

def sender_spec(kind: str) -> SenderSpec:
    try:
        return registry.sender_spec(kind)
    except registry.SenderKindError as exc:
        raise SenderConfigError(str(exc)) from None


def sender_class(kind: str) -> Any:
    """The class that implements ``kind``, imported now (not before: the HTTP
    senders load aiohttp)."""
    factory = sender_spec(kind).factory
    module_name, _colon, attribute = factory.partition(":")
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except Exception as exc:  # a plugin's module may fail any way on import: say which, no traceback
        raise SenderConfigError(f"sender kind `{kind}`: cannot import its implementation `{factory}` "
                                f"({type(exc).__name__}: {exc})") from None


def known_kinds() -> list[str]:
    return registry.known_kinds()


def limits_for(kind: str) -> SenderLimits:
    """What a kind of sender can carry, without settings or secrets."""
    return sender_spec(kind).limits


def load_sender(
    name: str, kind: str, settings: Mapping, env: Mapping[str, str], *, runtime: SenderRuntime | None = None
) -> Sender:
    """Build the sender ``name`` of ``kind`` from its settings and environment."""
    implementation = sender_class(kind)
    build = getattr(implementation, "from_settings", None)
    if build is None:
        raise SenderConfigError(f"sender kind `{kind}` has no from_settings()")
    sender = build(name, settings, env, runtime or SenderRuntime())
    if not isinstance(sender, Sender):
        raise SenderConfigError(f"sender kind `{kind}` built an object that is not a Sender")
    return sender
