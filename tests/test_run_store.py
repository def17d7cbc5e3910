"""The store's state changes on a real SQLite file: each moves a message
along an arrow of the life cycle (sopc.core.messages.TRANSITIONS), and one
with no arrow is refused, so a bug cannot make a message go out twice."""

from __future__ import annotations

import datetime as dt

import pytest
from simulate import local

from sopc.core.events import Event
from sopc.core.messages import IllegalTransition, MessageState, Outcome, PlannedMessage, TRANSITIONS, may_move
from sopc.run.store import SQLiteStore

S = MessageState
TEN = local("2026-11-23T10:00")


def planned(message_id: str, at: dt.datetime = TEN, group: str = "hz_001") -> PlannedMessage:
    return PlannedMessage(id=message_id, at=at, playbook="welfare", step=message_id, group=group, member=None,
                          sender="bot", kind="text", mentions=(), text=f"text of {message_id}")


def filled(tmp_path, *ids: str) -> SQLiteStore:
    store = SQLiteStore(tmp_path / "state.db")
    store.sync([(planned(i), "plan") for i in ids], start=TEN - dt.timedelta(hours=1),
               end=TEN + dt.timedelta(days=1), origins=["plan"], now=TEN - dt.timedelta(hours=1),
               cancel_reason="edited")
    return store


def states(store: SQLiteStore) -> dict[str, str]:
    return {m.id: m.state for m in store.messages()}


def test_each_state_change_moves_along_the_life_cycle(tmp_path):
    store = filled(tmp_path, "a", "b", "c", "d")
    assert store.claim(["a", "b"], TEN) == ["a", "b"]
    assert store.claim(["a"], TEN) == []  # already taken: a second worker wins nothing
    store.settle([Outcome("a", S.SENT, remote_id="msg-1"),
                  Outcome("b", S.PENDING, "retrying: busy", due=TEN + dt.timedelta(seconds=30)),
                  Outcome("c", S.SKIPPED, "paused: its playbook was paused when it fell due"),
                  Outcome("d", S.PENDING, "deferred: quiet hours", due=TEN + dt.timedelta(hours=1))], TEN)
    rows = {m.id: m for m in store.messages()}
    assert states(store) == {"a": "sent", "b": "pending", "c": "skipped", "d": "pending"}
    assert rows["a"].confirm == "waiting" and rows["a"].finished == TEN
    assert rows["b"].due == TEN + dt.timedelta(seconds=30) and rows["b"].attempts == 1
    assert rows["c"].finished == TEN and rows["c"].reason.startswith("paused")
    assert store.next_due() == TEN + dt.timedelta(seconds=30)


def test_settle_refuses_a_sent_message_going_back_to_pending_and_writes_none_of_the_batch(tmp_path):
    store = filled(tmp_path, "a", "b")
    store.claim(["a"], TEN)
    store.settle([Outcome("a", S.SENT)], TEN)
    with pytest.raises(IllegalTransition, match=r"`a` sent -> pending"):
        store.settle([Outcome("b", S.SKIPPED, "cap"), Outcome("a", S.PENDING, "again?", due=TEN)], TEN)
    assert states(store) == {"a": "sent", "b": "pending"}  # the legal change in the batch was rolled back too
    assert not may_move("sent", "pending") and S.PENDING not in TRANSITIONS[S.SENT]


def test_settle_refuses_sending_a_message_that_was_never_claimed(tmp_path):
    """sent only follows claimed: the claim is what makes a send happen once."""
    store = filled(tmp_path, "a")
    with pytest.raises(IllegalTransition, match=r"`a` pending -> sent"):
        store.settle([Outcome("a", S.SENT)], TEN)
    with pytest.raises(IllegalTransition, match=r"`ghost` not stored -> failed"):
        store.settle([Outcome("ghost", S.FAILED, "?")], TEN)
    assert states(store) == {"a": "pending"}


def test_after_a_crash_claimed_is_in_doubt_and_only_resent_when_asked(tmp_path):
    store = filled(tmp_path, "a", "b", "c")
    store.claim(["a", "b", "c"], TEN)
    store.settle([Outcome("c", S.SENT)], TEN)
    later = TEN + dt.timedelta(minutes=5)
    assert store.recover_in_doubt(later) == 2
    assert states(store) == {"a": "in-doubt", "b": "in-doubt", "c": "sent"}
    assert store.recover_in_doubt(later) == 0
    assert store.requeue_in_doubt(later) == 2
    assert states(store) == {"a": "pending", "b": "pending", "c": "sent"}
    assert store.next_due() == later


def test_sync_cancels_what_left_the_plan_but_never_a_claimed_one(tmp_path):
    store = filled(tmp_path, "a", "b", "c")
    store.claim(["a"], TEN)
    result = store.sync([(planned("c"), "plan")], start=TEN - dt.timedelta(hours=1), end=TEN + dt.timedelta(days=1),
                        origins=["plan"], now=TEN, cancel_reason="no longer in the plan")
    assert result.cancelled == 1
    assert states(store) == {"a": "claimed", "b": "cancelled", "c": "pending"}


def test_a_copy_in_memory_sees_the_state_and_changes_nothing(tmp_path):
    path = tmp_path / "state.db"
    store = filled(tmp_path, "a", "b")
    store.claim(["a"], TEN)
    store.settle([Outcome("a", S.SENT)], TEN)
    store.add_event(Event(kind="member.joined", group="hz_001", member="m1", at=TEN), TEN)
    store.pause("welfare", TEN)
    store.close()
    before = path.read_bytes()

    copy = SQLiteStore.copy_to_memory(path)
    assert states(copy) == {"a": "sent", "b": "pending"}
    assert copy.event_count() == 1 and copy.paused_playbooks() == ["welfare"]
    copy.claim(["b"], TEN)
    copy.settle([Outcome("b", S.SENT)], TEN)
    copy.resume("welfare", TEN)
    copy.close()

    assert path.read_bytes() == before
    real = SQLiteStore(path)
    assert states(real) == {"a": "sent", "b": "pending"} and real.paused_playbooks() == ["welfare"]


def test_a_copy_of_a_state_file_that_does_not_exist_is_empty_and_creates_none(tmp_path):
    path = tmp_path / ".sopc" / "state.db"
    copy = SQLiteStore.copy_to_memory(path)
    assert list(copy.messages()) == [] and copy.get_meta("horizon") is None
    assert not path.exists() and not path.parent.exists()
