"""Sender ``console``: prints one readable line per message to stdout.

For dry runs and demos. Every kind is accepted; nothing is delivered. A line
reads ``10:00+08:00 playbook/step -> 群名 (group) [kind @all]: text``, with
continuation lines of multi-line text indented under it.

Settings: none.
"""

from __future__ import annotations

import sys
from typing import Mapping

from sopc.core import content
from sopc.core.sender_specs import CONSOLE
from sopc.senders.base import DeliveryResult, OutgoingMessage, SenderRuntime, sent


class ConsoleSender:
    kind = "console"
    limits = CONSOLE.limits

    def __init__(self, *, name: str, runtime: SenderRuntime) -> None:
        self.name = name
        self._stdout = runtime.stdout

    @classmethod
    def from_settings(cls, name: str, settings: Mapping, env: Mapping[str, str], runtime: SenderRuntime) -> "ConsoleSender":
        return cls(name=name, runtime=runtime)

    async def deliver(self, message: OutgoingMessage) -> DeliveryResult:
        stream = self._stdout or sys.stdout
        stream.write(console_line(message) + "\n")
        stream.flush()
        return sent()

    async def aclose(self) -> None:
        return None


def console_line(message: OutgoingMessage) -> str:
    when = message.at.isoformat(sep=" ", timespec="minutes")
    tags = " ".join([message.kind, *(f"@{m}" for m in message.mentions)])
    shown = content.summary(message.kind, message.text)  # a link's articles, a text's attachments: as the plan shows them
    text = (message.text if shown is None else shown).replace("\n", "\n    ")
    where = f"{message.group_name} ({message.group})"
    if message.kind == "action" and message.member:  # `remove member`: whom
        text = f"{text} {message.member}"
    if message.private:  # 1:1 to a member of the group, not posted in it
        where = f"1:1 {message.member} of {where}"
    return f"{when} {message.playbook}/{message.step} -> {where} [{tags}]: {text}"
