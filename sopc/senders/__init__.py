"""Delivery plugins: turn planned messages into posts to group bots.

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
