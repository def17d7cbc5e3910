"""A message on its way: planned (:class:`PlannedMessage`, what `sopc plan`
prints and the store is filled with), stored with its state
(:class:`StoredMessage`), and how one ended (:class:`Outcome`).

Plain values with no heavy imports, shared by the plan and run stages.

The life of a stored message is one state machine (:data:`TRANSITIONS`):

    pending --claim--> claimed --sent/failed--> sent | failed
       |                  |--retry-----------> pending (a later due)
       |                  '--crash, recover--> in-doubt --resend--> pending
       |--gate---------> skipped (paused, missed, quiet, cap) | pending (deferred)
       |--re-plan------> cancelled (left the plan) | pending (new text)
       '--cannot render> failed

Every final state has a ``reason`` except ``sent``.
"""

from __future__ import annotations

import datetime as dt
import enum
import json

from sopc.core.records import dataclass

_json_text = json.encoder.encode_basestring  # what json.dumps uses for str with ensure_ascii=False


class MessageState(enum.StrEnum):
    PENDING = "pending"        # waits for its due time
    CLAIMED = "claimed"        # being delivered now (committed before the sender is called)
    SENT = "sent"              # the sender accepted it
    FAILED = "failed"          # refused, retries ran out, or it cannot be rendered
    SKIPPED = "skipped"        # not sent on purpose: missed, paused, quiet, cap, late edit
    CANCELLED = "cancelled"    # it left the plan before its time: an edit, an `until`
    IN_DOUBT = "in-doubt"      # claimed when the process died, before the sender answered

    @property
    def final(self) -> bool:
        return self in FINAL_STATES


S = MessageState
FINAL_STATES = (S.SENT, S.FAILED, S.SKIPPED, S.CANCELLED, S.IN_DOUBT)
STATES = (S.PENDING, S.CLAIMED, *FINAL_STATES)
TRANSITIONS: dict[MessageState, frozenset[MessageState]] = {
    S.PENDING: frozenset({S.PENDING, S.CLAIMED, S.SKIPPED, S.CANCELLED, S.FAILED}),
    S.CLAIMED: frozenset({S.SENT, S.FAILED, S.PENDING, S.IN_DOUBT}),
    S.IN_DOUBT: frozenset({S.PENDING}),   # only with --resend-in-doubt
    S.SENT: frozenset(), S.FAILED: frozenset(), S.SKIPPED: frozenset(), S.CANCELLED: frozenset(),
}


def may_move(old: str, new: str) -> bool:
    """Whether the state machine allows ``old -> new``."""
    return MessageState(new) in TRANSITIONS[MessageState(old)]


_SOURCES = {new: frozenset(old for old, targets in TRANSITIONS.items() if new in targets) for new in MessageState}


def sources_of(new: str) -> frozenset[MessageState]:
    """The states a message may move to ``new`` from (the arrows into it)."""
    return _SOURCES[MessageState(new)]


class IllegalTransition(RuntimeError):
    """A bug, not bad input: something asked the store to move a message
    along a path :data:`TRANSITIONS` has no arrow for (``sent -> pending``
    would send it twice)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedMessage:
    id: str
    at: dt.datetime
    playbook: str
    step: str
    group: str
    member: str | None
    sender: str
    kind: str
    mentions: tuple[str, ...]
    text: str
    # Set (and text empty) only when expand(keep_unrenderable=True) reports a
    # message whose template failed: the runner records it as failed.
    error: str | None = None
    # `to member`: a private (1:1) message to ``member`` (who is in ``group``),
    # not a post in the group. JSON: ``"target": {..., "private": true}``.
    private: bool = False

    def to_dict(self) -> dict:
        target = {"group": self.group} if self.member is None else {"group": self.group, "member": self.member}
        if self.private:
            target["private"] = True
        return {"id": self.id, "at": self.at.isoformat(), "playbook": self.playbook, "step": self.step,
                "target": target, "sender": self.sender, "kind": self.kind,
                "mentions": list(self.mentions), "text": self.text}

    def to_json(self, at_text: str | None = None) -> str:
        """``json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))``,
        byte for byte, without building the dicts (the JSONL writer's hot path).

        ``at_text`` is ``self.at.isoformat()`` when the caller already has it:
        the messages of one slot share their ``at``, so it is formatted once."""
        try:
            return "".join(self._json_pieces(self.at.isoformat() if at_text is None else at_text))
        except TypeError:  # a field that is not text: let json say what it makes of it
            return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    def _json_pieces(self, at_text: str) -> tuple[str, ...]:
        # json.dumps encodes every string with encode_basestring (ensure_ascii=False)
        # and joins "key":value pairs with the separators given: the same here.
        text = _json_text
        target = text(self.group) if self.member is None else f'{text(self.group)},"member":{text(self.member)}'
        if self.private:
            target += ',"private":true'
        return ('{"id":', text(self.id), ',"at":', text(at_text), ',"playbook":', text(self.playbook),
                ',"step":', text(self.step), ',"target":{"group":', target, '},"sender":', text(self.sender),
                ',"kind":', text(self.kind), ',"mentions":[', ",".join(map(text, self.mentions)),
                '],"text":', text(self.text), "}")


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredMessage:
    id: str
    at: dt.datetime
    due: dt.datetime
    playbook: str
    step: str
    group: str
    member: str | None
    sender: str
    kind: str
    mentions: tuple[str, ...]
    text: str
    origin: str
    state: str
    reason: str | None
    attempts: int
    remote_id: str | None = None
    confirm: str | None = None
    confirm_detail: str | None = None
    finished: dt.datetime | None = None
    private: bool = False   # a 1:1 message to ``member`` (see PlannedMessage)


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one claimed (or due) message ended, or when to try it again.

    ``state`` is a final state, or ``pending`` with a new ``due`` (a
    deferral or a retry)."""

    id: str
    state: str
    reason: str | None = None
    due: dt.datetime | None = None
    remote_id: str | None = None
