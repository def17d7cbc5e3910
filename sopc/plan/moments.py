"""The plan's messages walked moment by moment, for the views that show one
entry per step and moment (the calendar file and the web page) rather than
one per group: which entry each message joins, and where a moment ends.

Stage: plan (output). Streaming: a view holds one moment's entries at a time.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable, Iterator, NamedTuple

from sopc.core.messages import PlannedMessage


class Entry(NamedTuple):
    """One message on its way into a view."""

    new_moment: bool            # the first message of its moment: flush the last moment's entries
    key: tuple                  # messages of one key are one entry
    message: PlannedMessage
    status: str                 # planned, or the gate's fate (deferred, skipped, ...)
    reason: str | None
    scheduled: dt.datetime | None


def entries(items: Iterable, fates: bool) -> Iterator[Entry]:
    """``items``: planned messages, or (``fates``) the gate's decisions on
    them. Only posts to the group merge (one step, one status, one scheduled
    time); a message to or about a member is an entry of its own."""
    moment = None
    for item in items:
        message, status, reason, scheduled = ((item.message, item.status, item.reason, item.scheduled) if fates
                                              else (item, "planned", None, None))
        key = (message.id,) if message.member is not None else (message.playbook, message.step, status, scheduled)
        yield Entry(message.at != moment, key, message, status, reason, scheduled)
        moment = message.at
