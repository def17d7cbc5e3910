"""The store at volume (issue 9, item 6): every query of `sopc status` and of
the runner reads an index or a kept count, never the whole of the big
tables, and the kept counts always equal what counting would say: after
each state change, batches refused and repeated, events an older sopc wrote,
a state file from before the counts, and a crash part-way through a write.

SQLite's query plan does not depend on how many rows there are (no
statistics are gathered), so a small state file shows the plan a million
rows get. The statements are the ones the methods really run (traced, with
their values)."""

from __future__ import annotations

import datetime as dt
import random
import re
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from simulate import local

from sopc.core.events import Event
from sopc.core.messages import STATES, MessageState, Outcome, PlannedMessage, may_move
from sopc.run import status
from sopc.run.store import Batch, SQLiteStore

S = MessageState
TEN = local("2026-11-23T10:00")
HOUR = dt.timedelta(hours=1)
FULL_SCAN = re.compile(r"^SCAN (messages|events)\b")  # also "SCAN messages USING COVERING INDEX": every row


def planned(number: int, at: dt.datetime = TEN) -> PlannedMessage:
    return PlannedMessage(id=f"m{number}", at=at, playbook="welfare", step=f"s{number}", group=f"g{number % 7}",
                          member=None, sender="bot", kind="text", mentions=(), text=f"text {number}")


def joined(number: int) -> Event:
    return Event(kind="member.joined", group=f"g{number % 7}", member=f"u{number}", at=TEN)


def busy_store(path: Path) -> SQLiteStore:
    """A store with messages in every state, confirmations, events and a pause."""
    store = SQLiteStore(path)
    store.sync([(planned(n, TEN + n * dt.timedelta(minutes=1)), "plan") for n in range(60)], start=TEN - HOUR,
               end=TEN + 2 * HOUR, origins=["plan"], now=TEN - HOUR, cancel_reason="edited")
    store.claim([f"m{n}" for n in range(30)], TEN)
    store.settle([Outcome(f"m{n}", S.SENT, remote_id=f"r{n}" if n % 2 else None) for n in range(20)]
                 + [Outcome(f"m{n}", S.FAILED, "HTTP 500") for n in range(20, 25)]
                 + [Outcome(f"m{n}", S.SKIPPED, "quiet hours") for n in range(30, 35)], TEN)
    store.set_confirmations([("m1", "confirmed", None), ("m3", "failed", "the owner did not send it")])
    store.recover_in_doubt(TEN)
    for n in range(10):
        store.add_event(joined(n), TEN)
    store.pause("welfare", TEN)
    return store


def full_scans(store: SQLiteStore, call) -> list[tuple[str, str]]:
    """(statement, plan line) of each full scan of messages or events in
    what ``call()`` runs on the store; asserts it ran some statement."""
    statements: list[str] = []
    store.db.set_trace_callback(statements.append)
    try:
        call()
    finally:
        store.db.set_trace_callback(None)
    queries = [s for s in statements if re.match(r"\s*(SELECT|UPDATE|DELETE|INSERT)\b", s, re.IGNORECASE)]
    assert queries, "nothing was run"
    return [(sql, row[3]) for sql in queries for row in store.db.execute("EXPLAIN QUERY PLAN " + sql)
            if FULL_SCAN.match(row[3])]


def test_sopc_status_reads_no_big_table_whole(tmp_path):
    store = busy_store(tmp_path / "state.db")
    collected = {}
    scans = full_scans(store, lambda: collected.update(status.collect(store, state_path="state.db",
                                                                      runner_pid=None)))
    assert scans == []
    assert collected["counts"]["sent"] == 20 and collected["events"] == 10  # it did read them
    assert collected["confirmations"] == {"waiting": 8, "confirmed": 1, "failed": 1}


@pytest.mark.parametrize("query", [
    "due", "next_due", "sent_since", "claim", "settle", "recover_in_doubt", "requeue_in_doubt", "sync",
    "awaiting_confirmation", "set_confirmations", "event_count", "last_event_seq", "events_after",
    "group_events", "earliest_event_after", "add_event", "add_batches", "reasons of failed", "reopen"])
def test_each_query_of_the_runner_reads_an_index(tmp_path, query):
    store = busy_store(tmp_path / "state.db")
    calls = {
        "due": lambda: store.due(TEN + HOUR, 100),
        "next_due": store.next_due,
        "sent_since": lambda: store.sent_since(TEN - HOUR),
        "claim": lambda: store.claim(["m40", "m41"], TEN),
        "settle": lambda: store.settle([Outcome("m42", S.SKIPPED, "cap")], TEN),
        "recover_in_doubt": lambda: store.recover_in_doubt(TEN),
        "requeue_in_doubt": lambda: store.requeue_in_doubt(TEN),
        "sync": lambda: store.sync([(planned(n), "plan") for n in range(50, 55)], start=TEN, end=TEN + HOUR,
                                   origins=["plan"], now=TEN, cancel_reason="edited"),
        "awaiting_confirmation": store.awaiting_confirmation,
        "set_confirmations": lambda: store.set_confirmations([("m5", "confirmed", None)]),
        "event_count": store.event_count,
        "last_event_seq": store.last_event_seq,
        "events_after": lambda: store.events_after(5),
        "group_events": lambda: store.group_events("g1"),
        "earliest_event_after": lambda: store.earliest_event_after(5),
        "add_event": lambda: store.add_event(joined(99), TEN),
        "add_batches": lambda: store.add_batches([Batch(events=[joined(98)], ids=["x"], digests=["d"], key="k",
                                                        key_digest="kd", answer="{}")], TEN),
        "reasons of failed": lambda: store.reasons("failed"),
        "reopen": lambda: SQLiteStore._keep_counts(store),
    }
    assert full_scans(store, calls[query]) == []


def test_a_full_scan_is_caught(tmp_path):
    """The check itself: a query without an index is reported."""
    store = busy_store(tmp_path / "state.db")
    scans = full_scans(store, lambda: store.db.execute("SELECT COUNT(*) FROM messages WHERE text LIKE 'x%'"))
    assert [plan for _, plan in scans] == ["SCAN messages"]


# ---- kept counts ----------------------------------------------------------------------------------------

def counted(db: sqlite3.Connection) -> tuple[dict, dict, dict, int]:
    """What counting every row says: by state, reasons of the skipped and cancelled, confirmations, events."""
    by_state = dict(db.execute("SELECT state, COUNT(*) FROM messages GROUP BY state").fetchall())
    reasons = {state: dict(db.execute("SELECT COALESCE(reason, ''), COUNT(*) FROM messages WHERE state=? "
                                      "GROUP BY 1", (state,)).fetchall()) for state in ("skipped", "cancelled")}
    confirms = dict(db.execute("SELECT confirm, COUNT(*) FROM messages WHERE confirm IS NOT NULL "
                               "GROUP BY confirm").fetchall())
    return ({s: by_state.get(s, 0) for s in STATES}, reasons, confirms,
            db.execute("SELECT COUNT(*) FROM events").fetchone()[0])


def kept(store: SQLiteStore) -> tuple[dict, dict, dict, int]:
    return (store.counts(), {s: store.reasons(s) for s in ("skipped", "cancelled")}, store.confirmation_counts(),
            store.event_count())


@pytest.mark.parametrize("seed", range(5))
def test_the_kept_counts_equal_the_counted_ones_after_every_change(tmp_path, seed):
    rng = random.Random(seed)
    store = SQLiteStore(tmp_path / "state.db")
    reasons = ["quiet hours", "cap 3/day", "paused", "edited", "the group left the roster"]
    ids: list[str] = []
    for step in range(60):
        now = TEN + step * dt.timedelta(minutes=5)
        action = rng.choice(["plan", "claim", "settle", "confirm", "crash", "resend", "events", "batch"])
        if action == "plan":
            fresh = [planned(len(ids) + n, now) for n in range(rng.randint(1, 8))]
            keep = [planned(int(i[1:]), now) for i in ids if rng.random() < 0.7]
            ids += [m.id for m in fresh]
            store.sync([(m, "plan") for m in fresh + keep], start=TEN - HOUR, end=now + HOUR, origins=["plan"],
                       now=now, cancel_reason=rng.choice(reasons), late_reason=rng.choice(reasons),
                       materialized_until=now)
        elif action == "claim":
            store.claim(rng.sample(ids, min(len(ids), 5)), now)
        elif action == "settle":
            rows = {m.id: m.state for m in store.messages()}
            outcomes = []
            for message_id in rng.sample(ids, min(len(ids), 6)):
                target = rng.choice([s for s in STATES if may_move(rows[message_id], s)] or [None])
                if target is None:
                    continue
                outcomes.append(Outcome(message_id, target, rng.choice(reasons), due=now + HOUR,
                                        remote_id=f"r{message_id}" if rng.random() < 0.5 else None))
            store.settle(outcomes, now)
        elif action == "confirm":
            store.set_confirmations([(i, rng.choice(["waiting", "confirmed", "failed"]), None)
                                     for i in rng.sample(ids, min(len(ids), 3))])
        elif action == "crash":
            store.recover_in_doubt(now)
        elif action == "resend":
            store.requeue_in_doubt(now)
        elif action == "events":
            store.add_event(joined(step), now)
        else:
            store.add_batches([Batch(events=[joined(step), joined(step + 1)], ids=[f"e{step % 4}", None],
                                     digests=[f"d{step % 3}", ""])], now)
        counts, by_reason, confirms, events = counted(store.db)
        assert kept(store) == (counts, {s: {r: n for r, n in by_reason[s].items() if n} for s in by_reason},
                               confirms, events), (seed, step, action)


def test_a_state_file_from_before_the_counts_gains_them_when_opened(tmp_path):
    path = tmp_path / "state.db"
    busy_store(path).close()
    with sqlite3.connect(path) as db:  # as an older sopc left it: no tally, no counts
        db.executescript("DROP TABLE message_tally; DROP TRIGGER message_tally_insert; "
                         "DROP TRIGGER message_tally_update; DROP TRIGGER message_tally_delete; "
                         "DELETE FROM meta WHERE key IN ('event_count', 'event_count_seq');")
        db.execute("INSERT INTO events (kind, grp, member, at, data, received) "
                   "VALUES ('member.joined', 'g1', 'old', '2026-11-23T10:00:00+08:00', '{}', 0)")
        before = counted(db)
    store = SQLiteStore(path)
    counts, by_reason, confirms, events = before
    assert kept(store) == (counts, by_reason, confirms, events) and events == 11
    store.settle([Outcome("m40", S.SKIPPED, "cap")], TEN)  # the triggers keep it from now on
    assert store.counts()["skipped"] == counts["skipped"] + 1 and store.reasons("skipped")["cap"] == 1


def test_events_an_older_sopc_writes_into_a_counted_file_are_counted_too(tmp_path):
    store = busy_store(tmp_path / "state.db")
    with sqlite3.connect(tmp_path / "state.db") as other:
        other.execute("INSERT INTO events (kind, grp, member, at, data, received) "
                      "VALUES ('member.joined', 'g1', 'old', '2026-11-23T10:00:00+08:00', '{}', 0)")
    assert store.event_count() == 11
    store.add_event(joined(50), TEN)
    assert store.event_count() == 12 == counted(store.db)[3]


def test_batches_refused_and_repeated_are_not_counted(tmp_path):
    store = SQLiteStore(tmp_path / "state.db")
    first = Batch(events=[joined(1), joined(2)], ids=["a", "b"], digests=["da", "db"], key="k1", key_digest="b1",
                  answer="{}")
    clash = Batch(events=[joined(3), joined(4)], ids=["c", "a"], digests=["dc", "other"])
    results = store.add_batches([first, clash], TEN)
    assert results[0].added == 2 and results[1].refused
    assert store.add_batches([first], TEN)[0].answer == "{}"   # the same request again
    repeat = store.add_batches([Batch(events=[joined(1), joined(5)], ids=["a", None], digests=["da", ""])], TEN)[0]
    assert (repeat.added, repeat.repeated) == (1, 1)
    assert store.event_count() == 3 == counted(store.db)[3]


def test_a_crash_in_the_middle_of_recording_leaves_the_count_equal_to_the_events(tmp_path):
    path = tmp_path / "state.db"
    child = textwrap.dedent(f"""
        import datetime as dt, os
        from sopc.core.events import Event
        from sopc.run.store import Batch, SQLiteStore
        now = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.timezone.utc)
        event = Event(kind="member.joined", group="g1", member="u1", at=now)
        store = SQLiteStore({str(path)!r})
        store.add_batches([Batch(events=[event] * 3)], now)
        store.db.execute("BEGIN IMMEDIATE")          # what add_batches does, stopped before its commit
        store._insert_event(event, 0.0)
        store._count_new_events()
        os._exit(9)
    """)
    finished = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=60)
    assert finished.returncode == 9, finished.stderr
    store = SQLiteStore(path)
    assert store.event_count() == 3 == counted(store.db)[3]
    store.add_event(joined(1), TEN)
    assert store.event_count() == 4 == counted(store.db)[3]
