"""The sender of ``sopc run --dry-run``: prints each message instead of
sending it, after holding it to the contract of the sender that would send it.

A dry run stands in for every sender of the project. For each it checks
the message against that sender kind's declared contract
(:func:`sopc.senders.base.refused`: kind, mentions, the owner it needs,
sizes, the form of an image or a link) exactly as the real sender does
before it builds a request, so a message a real send would refuse is
recorded ``failed`` with the same reason, not ``sent``. Nothing is posted,
no secret is needed, and the line printed is the console sender's.

The pool asks :meth:`DryRunSender.stand_in` for a stand-in per sender name.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from sopc.core.senders import UNLIMITED, SenderLimits
from sopc.senders.base import DeliveryResult, OutgoingMessage, refused, sent
from sopc.senders.console import console_line


class DryRunSender:
    kind = "dry-run"
    limits = UNLIMITED

    def __init__(self, *, name: str = "dry-run", stdout: TextIO | None = None, standing_in: str | None = None,
                 contract: SenderLimits = UNLIMITED, project_dir: Path | None = None) -> None:
        self.name = name
        self._stdout = stdout
        self.standing_in = standing_in      # the kind of the sender it stands in for
        self.contract = contract
        self.project_dir = project_dir

    def stand_in(self, name: str, kind: str, limits: SenderLimits, project_dir: Path | None) -> "DryRunSender":
        """A dry-run sender for the sender ``name`` of ``kind``, held to its ``limits``."""
        return DryRunSender(name=name, stdout=self._stdout, standing_in=kind, contract=limits, project_dir=project_dir)

    async def deliver(self, message: OutgoingMessage) -> DeliveryResult:
        stream = self._stdout or sys.stdout
        line = console_line(message)
        problem = refused(message, self.standing_in, self.contract, self.project_dir) if self.standing_in else None
        if problem is not None:
            line += f"\n    refused by {self.name} ({self.standing_in}): {problem.error}"
        stream.write(line + "\n")
        stream.flush()
        return problem or sent()

    async def aclose(self) -> None:
        return None
