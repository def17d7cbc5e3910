"""Stage 8, senders: delivery plugins that turn a due message into a post
(group-bot webhooks, 企业群发, reminders), found through entry points.

See :mod:`sopc.senders.base` for the protocol and the registry; one module
per built-in sender kind.
"""

from sopc.senders.base import (
    DeliveryResult,
    OutgoingMessage,
    Sender,
    SenderConfigError,
    SenderLimits,
    SenderRuntime,
    known_kinds,
    limits_for,
    load_sender,
)

__all__ = [
    "DeliveryResult",
    "OutgoingMessage",
    "Sender",
    "SenderConfigError",
    "SenderLimits",
    "SenderRuntime",
    "known_kinds",
    "limits_for",
    "load_sender",
]
