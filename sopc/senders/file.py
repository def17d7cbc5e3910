"""Sender ``file``: appends one JSON line per message to an outbox file.

For handing messages to another system, or for review: each line is the
message as :func:`sopc.senders.base.message_to_json` gives it plus
``"sender"``, UTF-8, CJK unescaped. Every kind is accepted.

Settings:

- ``path`` (required): the outbox file; parent folders are created.
- ``fsync`` (default false): flush each line to disk before reporting ``sent``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Mapping

from sopc.core.sender_specs import FILE
from sopc.senders.base import (
    DeliveryResult,
    OutgoingMessage,
    SenderConfigError,
    SenderRuntime,
    failed,
    message_to_json,
    sent,
)


class FileSender:
    kind = "file"
    limits = FILE.limits

    def __init__(self, *, name: str, path: Path, fsync: bool) -> None:
        self.name = name
        self.path = path
        self.fsync = fsync

    @classmethod
    def from_settings(cls, name: str, settings: Mapping, env: Mapping[str, str], runtime: SenderRuntime) -> "FileSender":
        path = settings.get("path")
        if not isinstance(path, str) or not path:
            raise SenderConfigError("file sender needs `path`, the outbox file to append to")
        fsync = settings.get("fsync", False)
        if not isinstance(fsync, bool):
            raise SenderConfigError("setting `fsync` must be true or false")
        return cls(name=name, path=Path(path), fsync=fsync)

    async def deliver(self, message: OutgoingMessage) -> DeliveryResult:
        line = json.dumps({**message_to_json(message), "sender": self.name}, ensure_ascii=False)
        try:
            self._append(line)
        except OSError as exc:
            return failed(f"cannot append to {self.path}: {exc.strerror or exc}")
        return sent()

    def _append(self, line: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as outbox:
            outbox.write(line + "\n")
            if self.fsync:
                outbox.flush()
                os.fsync(outbox.fileno())

    async def aclose(self) -> None:
        return None
