"""Stage 7, run: ask whether the group owners confirmed the assisted sends.

A WeCom 企业群发 send is only a request: the group's owner confirms it in the
app, or never does. Its sender (a :class:`ConfirmingSender`) can tell which
were confirmed; the poller asks it, every ``every``, about the sends the store
still has waiting, and writes down the answers that changed (`sopc status`
shows them). A failing poll is a warning: it never stops delivery.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable, Mapping, Protocol, Sequence, runtime_checkable

from sopc.core.i18n import _
from sopc.core.messages import StoredMessage
from sopc.run.deployment import Deployment
from sopc.run.store import Store
from sopc.senders.base import Confirmation, Sender, SenderConfigError

# (remote id, the group owner's user id, the group's chat id) of one send.
Asked = tuple[str, str | None, str | None]


@runtime_checkable
class ConfirmingSender(Protocol):
    """A sender whose sends a person confirms later."""

    async def confirmations(self, pending: Sequence[Asked]) -> Mapping[str, Confirmation]: ...


class ConfirmationPoller:
    """Polls the senders of ``deployment`` (set by the runner)."""

    def __init__(self, store: Store, *, every: dt.timedelta, log: Callable[[str], None]):
        self.store = store
        self.every = every
        self.log = log
        self.deployment: Deployment | None = None
        self.next_poll: dt.datetime | None = None   # None: at the first chance

    async def poll_if_due(self, now: dt.datetime) -> None:
        if self.next_poll is None or now >= self.next_poll:
            self.next_poll = now + self.every
            await self.poll()

    async def poll(self) -> int:
        """Ask now; how many sends' confirmation state changed."""
        by_sender: dict[str, list[StoredMessage]] = {}
        for row in self.store.awaiting_confirmation():
            by_sender.setdefault(row.sender, []).append(row)
        updated = 0
        for name, rows in by_sender.items():
            updated += await self._poll_sender(name, rows)
        return updated

    async def _poll_sender(self, name: str, rows: list[StoredMessage]) -> int:
        sender = self._confirming(name)
        if sender is None:
            return 0
        try:
            answers = await sender.confirmations([self._asked(row) for row in rows])
        except Exception as exc:  # never let a status poll stop delivery
            self.log(_("warning: cannot ask {sender} for confirmations: {problem}").format(
                sender=name, problem=self.deployment.pool.redact(str(exc))))
            return 0
        changes = [(row.id, answers[row.remote_id].state, answers[row.remote_id].detail)
                   for row in rows if row.remote_id in answers and answers[row.remote_id].state != row.confirm]
        if changes:
            self.store.set_confirmations(changes)
        return len(changes)

    def _confirming(self, name: str) -> ConfirmingSender | None:
        """The sender called ``name`` if it can tell confirmations."""
        try:
            sender: Sender = self.deployment.pool.get(name)
        except SenderConfigError:
            return None
        return sender if isinstance(sender, ConfirmingSender) else None

    def _asked(self, row: StoredMessage) -> Asked:
        group = self.deployment.groups.get(row.group)
        if row.private:  # 1:1 to a customer: WeCom's records of it name the member
            return (row.remote_id, group.owner if group else None, row.member)
        return (row.remote_id, group.owner if group else None, group.address if group else None)
