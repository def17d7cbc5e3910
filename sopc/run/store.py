"""Stage 7a, state: what the runner has planned, claimed, sent, skipped.

The runner talks to a :class:`Store` through a narrow interface: put the
planned messages of a window in (``sync``), take the due ones (``due``,
``claim``), write down how each ended (``settle``), keep events, pauses and
group-owner confirmations. :class:`SQLiteStore` is the embedded default
(``.sopc/state.db``, WAL mode); a server-backed store for several workers can
implement the same methods (``claim`` must then be an atomic
"pending -> claimed" that reports which rows it won).

Events come one at a time (``add_event``) or in batches (``add_batches``, for
``sopc serve``): a batch is recorded whole or not at all, and an event that
carries its sender's id is recorded once, however often it is sent.

The runner's lifecycle state (:mod:`sopc.plan.lifecycle_state`: what each
group's events so far imply) is kept per group in ``lifecycle``, written in
the transaction of the sync that planned from it (``sync(lifecycle=...)``).
A state file from an older sopc gains the table (and the index on the
events' group) when opened; the runner then builds the state from all
events once.

The states and their transitions are :mod:`sopc.core.messages`. Each state
change has its method (``claim``, ``settle``, ``recover_in_doubt``,
``requeue_in_doubt``; ``sync`` cancels), and ``settle`` refuses one the state
machine has no arrow for.

Counts are kept, not counted (``sopc status`` on a million messages must not
read a million rows): triggers tally the messages by state, reason (of the
skipped and cancelled) and 企业群发 confirmation in the transaction of each
change, whoever makes it; the transactions that record events count them.
Every other query of the runner and of ``sopc status`` reads an index
(tests/test_store_indexes.py asks SQLite's query plan). A state file from
an older sopc gains the indexes and the counts (one count of each table)
when first opened.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Callable, Iterable, Iterator, Protocol, Sequence

from sopc.core.events import Event
from sopc.core.records import dataclass
from sopc.core.timeutil import range_problem
from sopc.core.messages import (STATES, IllegalTransition, MessageState, Outcome, PlannedMessage, StoredMessage,
                                 sources_of)

UTC = dt.timezone.utc
S = MessageState

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id          TEXT PRIMARY KEY,
    at          TEXT NOT NULL,      -- planned time, ISO 8601 with the playbook's offset
    planned     REAL NOT NULL,      -- the same, in epoch seconds
    due         REAL NOT NULL,      -- when to try next (epoch seconds): at, or later if deferred
    playbook    TEXT NOT NULL,
    step        TEXT NOT NULL,
    grp         TEXT NOT NULL,
    member      TEXT,
    sender      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    mentions    TEXT NOT NULL,      -- JSON list
    text        TEXT NOT NULL,
    origin      TEXT NOT NULL,      -- plan | event
    state       TEXT NOT NULL,
    reason      TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    updated     REAL NOT NULL,
    finished    REAL,               -- when it reached its final state
    remote_id   TEXT,
    confirm     TEXT,               -- wecom-groupmsg: waiting | confirmed | failed
    confirm_detail TEXT,
    private     INTEGER NOT NULL DEFAULT 0  -- 1: `to member`, a 1:1 message to member (not a group post)
);
DROP INDEX IF EXISTS messages_pending;
CREATE INDEX IF NOT EXISTS messages_due ON messages (state, due, planned);  -- due() sorts by these
CREATE INDEX IF NOT EXISTS messages_planned ON messages (planned);
CREATE INDEX IF NOT EXISTS messages_finished ON messages (state, finished);  -- recent failures, sent since
CREATE INDEX IF NOT EXISTS messages_confirm ON messages (confirm, finished) WHERE confirm IS NOT NULL;  -- 企业群发
CREATE TABLE IF NOT EXISTS events (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    kind     TEXT NOT NULL,
    grp      TEXT NOT NULL,
    member   TEXT,
    at       TEXT NOT NULL,
    name     TEXT,
    data     TEXT NOT NULL,
    argument TEXT,
    received REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS events_grp ON events (grp);  -- one group's events: its lifecycle state built again
CREATE TABLE IF NOT EXISTS lifecycle (
    grp      TEXT PRIMARY KEY,  -- a group's lifecycle state (sopc.plan.lifecycle_state), JSON
    state    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pauses (
    playbook TEXT NOT NULL,
    paused   REAL NOT NULL,
    resumed  REAL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS event_ids (
    id      TEXT PRIMARY KEY,   -- the sender's id of an event ("id" of a record): recorded once
    seq     INTEGER NOT NULL,   -- the event it recorded (events.seq)
    digest  TEXT NOT NULL       -- what the record said, hashed: a repeat must say the same
);
CREATE TABLE IF NOT EXISTS request_keys (
    key      TEXT PRIMARY KEY,  -- a request's Idempotency-Key
    digest   TEXT NOT NULL,     -- what its body said, hashed
    answer   TEXT NOT NULL,     -- the answer it got, given again to a repeat
    received REAL NOT NULL
);
"""


# Columns added to `messages` since its first version: (name, declaration).
ADDED_COLUMNS = (("private", "INTEGER NOT NULL DEFAULT 0"),)


@dataclass(frozen=True, slots=True)
class Batch:
    """Events recorded together or not at all (one request to ``sopc serve``).

    ``ids[i]``: the sender's id of ``events[i]`` (None: it gave none), and
    ``digests[i]`` what its record said, hashed: an id recorded before is not
    recorded again, and must come with the same digest. ``key``: the
    request's Idempotency-Key (None: none), ``key_digest`` its body hashed,
    ``answer`` what to answer a repeat of it."""

    events: Sequence[Event]
    ids: Sequence[str | None] = ()
    digests: Sequence[str] = ()
    key: str | None = None
    key_digest: str = ""
    answer: str = ""


@dataclass(frozen=True, slots=True)
class BatchResult:
    """How a :class:`Batch` went: ``added`` events recorded now, ``repeated``
    ones whose id was recorded before (not again); or, recording nothing,
    ``answer`` (the key was used before for the same body: the answer given
    then), ``conflicts`` (indexes into the batch's events whose id was
    recorded before with other content) or ``key_conflict`` (the key was used
    before for another body)."""

    added: int = 0
    repeated: int = 0
    answer: str | None = None
    conflicts: tuple[int, ...] = ()
    key_conflict: bool = False

    @property
    def refused(self) -> bool:
        return bool(self.conflicts) or self.key_conflict


@dataclass(frozen=True, slots=True)
class LifecycleRows:
    """Lifecycle state written by a sync, in its transaction: ``rows`` of
    (group, its state as JSON, or None to drop it); ``replace``: drop every
    other group's first (the state was built again); ``meta``: meta keys
    to set with it (the number of the last event it took)."""

    rows: Sequence[tuple[str, str | None]] = ()
    replace: bool = False
    meta: Sequence[tuple[str, str]] = ()


# ---- kept counts ---------------------------------------------------------------------------
# A message's place in the tally: its state; its reason if skipped or
# cancelled (status lists those by reason; other reasons, such as a sender's
# error, are too many to tally); its confirmation ('' for none).
_TALLIED_REASONS = (S.SKIPPED.value, S.CANCELLED.value)


def _tally_key(row: str) -> str:
    reasons = ", ".join(f"'{state}'" for state in _TALLIED_REASONS)
    return (f"{row}.state, CASE WHEN {row}.state IN ({reasons}) THEN COALESCE({row}.reason, '') ELSE '' END, "
            f"COALESCE({row}.confirm, '')")


_TALLY_ADD = ("INSERT INTO message_tally (state, reason, confirm, n) VALUES ({key}, 1) "
              "ON CONFLICT (state, reason, confirm) DO UPDATE SET n = n + 1;").format(key=_tally_key("NEW"))
_TALLY_TAKE = "UPDATE message_tally SET n = n - 1 WHERE (state, reason, confirm) = ({key});".format(
    key=_tally_key("OLD"))
# The events are counted by the transactions that record them (_count_new_events),
# not by a trigger: inside the savepoint of each batch of add_batches, a
# trigger's statement journal would triple the cost of recording an event.
EVENT_COUNT = "event_count"          # meta key: how many events are recorded,
EVENT_COUNT_SEQ = "event_count_seq"  # up to and including this event number
_EVENTS_UNCOUNTED = "SELECT COUNT(*) FROM events WHERE seq > (SELECT CAST(value AS INTEGER) FROM meta WHERE key=?)"

# Created, and filled from the tables, in one transaction (_keep_counts): from
# then on the triggers keep the tally in the transaction of every change.
_KEPT_COUNTS = (
    """CREATE TABLE IF NOT EXISTS message_tally (
        state TEXT NOT NULL, reason TEXT NOT NULL, confirm TEXT NOT NULL, n INTEGER NOT NULL,
        PRIMARY KEY (state, reason, confirm)) WITHOUT ROWID""",
    f"CREATE TRIGGER IF NOT EXISTS message_tally_insert AFTER INSERT ON messages BEGIN {_TALLY_ADD} END",
    f"CREATE TRIGGER IF NOT EXISTS message_tally_delete AFTER DELETE ON messages BEGIN {_TALLY_TAKE} END",
    f"""CREATE TRIGGER IF NOT EXISTS message_tally_update AFTER UPDATE OF state, reason, confirm ON messages
        WHEN ({_tally_key("OLD")}) <> ({_tally_key("NEW")}) BEGIN {_TALLY_TAKE} {_TALLY_ADD} END""",
)


@dataclass(frozen=True, slots=True)
class SyncResult:
    added: int = 0
    updated: int = 0
    cancelled: int = 0
    finished: int = 0   # recorded as already ended: skipped (late edit) or failed (cannot render)


class Store(Protocol):
    def sync(self, planned: Iterable[tuple[PlannedMessage, str]], *, start: dt.datetime, end: dt.datetime,
             origins: Sequence[str], now: dt.datetime, cancel_reason: str,
             late_reason: str | None = None, materialized_until: dt.datetime | None = None,
             groups: Sequence[str] | None = None, lifecycle: LifecycleRows | None = None) -> SyncResult: ...
    def due(self, now: dt.datetime, limit: int) -> list[StoredMessage]: ...
    def claim(self, ids: Sequence[str], now: dt.datetime) -> list[str]: ...
    def settle(self, outcomes: Sequence[Outcome], now: dt.datetime) -> None: ...
    def next_due(self) -> dt.datetime | None: ...
    def recover_in_doubt(self, now: dt.datetime) -> int: ...
    def requeue_in_doubt(self, now: dt.datetime) -> int: ...
    def add_event(self, event: Event, now: dt.datetime) -> int: ...
    def add_batches(self, batches: Sequence[Batch], now: dt.datetime) -> list[BatchResult]: ...
    def events(self, skipped: list[tuple[int, str]] | None = None) -> list[Event]: ...
    def events_after(self, seq: int, skipped: list[tuple[int, str]] | None = None) -> list[tuple[int, Event]]: ...
    def group_events(self, group: str, skipped: list[tuple[int, str]] | None = None) -> list[tuple[int, Event]]: ...
    def events_by_group(self, skipped: list[tuple[int, str]] | None = None
                        ) -> Iterator[tuple[str, list[tuple[int, Event]]]]: ...
    def lifecycle_states(self) -> Iterator[tuple[str, str]]: ...
    def event_count(self) -> int: ...
    def last_event_seq(self) -> int: ...
    def earliest_event_after(self, seq: int) -> dt.datetime | None: ...
    def pause(self, playbook: str, now: dt.datetime) -> bool: ...
    def resume(self, playbook: str, now: dt.datetime) -> bool: ...
    def pauses(self) -> list[tuple[str, dt.datetime, dt.datetime | None]]: ...
    def paused_playbooks(self) -> list[str]: ...
    def sent_since(self, moment: dt.datetime) -> list[tuple[str, dt.datetime]]: ...
    def awaiting_confirmation(self, limit: int = 500) -> list[StoredMessage]: ...
    def set_confirmations(self, updates: Sequence[tuple[str, str, str | None]]) -> None: ...
    def get_meta(self, key: str) -> str | None: ...
    def set_meta(self, key: str, value: str) -> None: ...


def _epoch(moment: dt.datetime) -> float:
    return moment.timestamp()


def _event_time(text: str) -> dt.datetime | None:
    """An event row's time, or None when it cannot be read as an aware time."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo is not None else None


_EVENT_COLUMNS = "seq, kind, grp, member, at, name, data, argument"


_TALLY_BY = {"day": "substr(at, 1, 10)", "playbook": "playbook", "group": "grp",
             "staff": "(kind = 'action' OR sender IN ({marks}))"}


def _report_filter(start: dt.datetime | None, end: dt.datetime | None, *,
                   state: str | None = None) -> tuple[str, tuple]:
    """The WHERE clause (and its values) of a report's query."""
    terms, params = [], []
    if start is not None:
        terms.append("planned >= ?")
        params.append(_epoch(start))
    if end is not None:
        terms.append("planned < ?")
        params.append(_epoch(end))
    if state is not None:
        terms.append("state = ?")
        params.append(state)
    return ("WHERE " + " AND ".join(terms) if terms else ""), tuple(params)


def _chunks(groups: Sequence[str] | None, size: int = 500) -> list[tuple[str, ...]]:
    """``groups`` in chunks a query's parameters can hold; one empty chunk for all groups."""
    if groups is None:
        return [()]
    groups = sorted(set(groups))
    return [tuple(groups[i:i + size]) for i in range(0, len(groups), size)]


def _read_events(rows: Iterable[tuple], skipped: list[tuple[int, str]] | None) -> list[tuple[int, Event]]:
    """Event rows (:data:`_EVENT_COLUMNS`) as (number, event). A row that
    cannot be read (a time without an offset, data that is not JSON: written
    by hand or by an older sopc) is left out, and added to ``skipped`` as
    (number, why): one bad row must not stop the others."""
    events = []
    for seq, kind, group, member, at_text, name, data_text, argument in rows:
        at = _event_time(at_text)
        if data_text == "{}":
            data = {}  # most events: no need to parse it
        else:
            try:
                data = json.loads(data_text)
            except (TypeError, ValueError):
                data = None
        if at is None or not isinstance(data, dict):
            if skipped is not None:
                skipped.append((seq, f"its time {at_text!r} is not a time with a UTC offset" if at is None
                                else "its data is not a JSON object"))
            continue
        events.append((seq, Event(kind=kind, group=group, member=member, at=at, name=name, data=data,
                                  argument=argument)))
    return events


def _from_epoch(value: float | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromtimestamp(value, UTC)


class SQLiteStore:
    """The embedded store: one SQLite file in WAL mode, one writer process."""

    def __init__(self, path: Path | str):
        self.path = path
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE), so
        # a claim is one atomic step even with `sopc event` writing beside us.
        self.db = sqlite3.connect(str(path), isolation_level=None, timeout=30, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL: a commit survives a crash of the process (not of the
        # machine's power) -- the crash we promise exactly-once across.
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self._add_columns()
        self._keep_counts()

    @classmethod
    def copy_to_memory(cls, path: Path) -> "SQLiteStore":
        """An in-memory store holding a copy of the state file at ``path``
        (opened read-only), or an empty one if there is none yet: `sopc run
        --dry-run` sees exactly what a run would (what was sent, events,
        pauses with their times) and changes nothing."""
        store = cls(":memory:")
        if Path(path).is_file():
            real = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
            try:
                real.backup(store.db)
            finally:
                real.close()
            store.db.executescript(SCHEMA)  # a state file from an older sopc gains what is new
            store._add_columns()
            store._keep_counts()
        return store

    def close(self) -> None:
        self.db.close()

    def _add_columns(self) -> None:
        """The columns a state file from an older sopc lacks (CREATE TABLE IF
        NOT EXISTS leaves its table as it was): each with its default."""
        have = {row[1] for row in self.db.execute("PRAGMA table_info(messages)")}
        for column, declaration in ADDED_COLUMNS:
            if column not in have:
                self.db.execute(f"ALTER TABLE messages ADD COLUMN {column} {declaration}")

    def _transaction(self):
        return _Transaction(self.db)

    def _keep_counts(self) -> None:
        """Make sure the counts are kept: in a state file from an older sopc
        (or a new one), create the tally and its triggers and count each
        table once, in one transaction, so no change falls between the count
        and the triggers."""
        if self._counts_kept():
            return
        with self._transaction():
            if self._counts_kept():  # another process did it meanwhile
                return
            for statement in _KEPT_COUNTS:
                self.db.execute(statement)
            self.db.execute("DELETE FROM message_tally")
            self.db.execute(f"INSERT INTO message_tally (state, reason, confirm, n) SELECT {_tally_key('messages')}, "
                            "COUNT(*) FROM messages GROUP BY 1, 2, 3")
            self.db.execute("INSERT INTO meta (key, value) SELECT ?, COUNT(*) FROM events", (EVENT_COUNT,))
            self.db.execute("INSERT INTO meta (key, value) SELECT ?, COALESCE(MAX(seq), 0) FROM events",
                            (EVENT_COUNT_SEQ,))

    def _counts_kept(self) -> bool:
        return self.db.execute("SELECT 1 FROM meta WHERE key=?", (EVENT_COUNT,)).fetchone() is not None

    def _count_new_events(self) -> None:
        """In a transaction that recorded events: add the events numbered
        after the last count to it (this transaction's, and any recorded
        meanwhile by a writer that does not count: an older sopc)."""
        self.db.execute(f"UPDATE meta SET value = CAST(value AS INTEGER) + ({_EVENTS_UNCOUNTED}) WHERE key=?",
                        (EVENT_COUNT_SEQ, EVENT_COUNT))
        self.db.execute("UPDATE meta SET value = (SELECT COALESCE(MAX(seq), 0) FROM events) WHERE key=?",
                        (EVENT_COUNT_SEQ,))

    # ---- planned messages ----------------------------------------------------------

    def sync(self, planned, *, start, end, origins, now, cancel_reason, late_reason=None,
             materialized_until=None, groups=None, lifecycle=None) -> SyncResult:
        """Make the pending messages planned for [start, end) in ``origins``
        match ``planned`` (pairs of message and origin): add what is new,
        update what changed and is still pending, cancel what left the plan.
        A message already claimed or finished is never touched, so an edit
        cannot make one go out twice.

        ``late_reason``: record a new message whose time has passed (before
        ``now`` and before ``materialized_until``, the end of what was planned
        before) as skipped with this reason instead of sending it late: the
        plan changed after its moment. One already stored and still pending
        (due, not sent yet) is updated like any other: it goes out with the
        edited text.

        ``groups``: only these groups' messages are in ``planned``; the
        others' are left as they are. ``lifecycle``: state to write in the
        same transaction (:class:`LifecycleRows`)."""
        stamp = _epoch(now)
        cutoff = min(now, materialized_until) if materialized_until is not None else None
        pending, late, passed = [], [], []
        for message, origin in planned:
            if message.error:
                late.append(self._row(message, origin, stamp, message.error, state=S.FAILED))
            elif late_reason and cutoff is not None and message.at < cutoff:
                passed.append(self._row(message, origin, stamp, late_reason))
                late.append(passed[-1])
            else:
                pending.append(self._row(message, origin, stamp, None))
        wanted = {row[0] for row in pending} | {row[0] for row in late}
        with self._transaction():
            added = self._insert(pending)
            finished = self._insert(late)
            # Same id, still pending: the content may have changed (a text edit keeps the id).
            updated = self.db.executemany(
                "UPDATE messages SET at=?, planned=?, due=?, sender=?, kind=?, mentions=?, text=?, private=?, updated=? "
                f"WHERE id=? AND state='{S.PENDING}' "
                "AND (text<>? OR sender<>? OR kind<>? OR mentions<>? OR at<>? OR private<>?)",
                [(r[1], r[2], r[3], r[8], r[9], r[10], r[11], r[17], stamp, r[0], r[11], r[8], r[9], r[10], r[1], r[17])
                 for r in (*pending, *passed)]).rowcount
            marks = ",".join("?" * len(origins))
            sql = (f"SELECT id FROM messages WHERE state='{S.PENDING}' AND origin IN ({marks}) "
                   "AND planned >= ? AND planned < ?")
            stale = [row[0] for chunk in _chunks(groups) for row in self.db.execute(
                sql + (f" AND grp IN ({','.join('?' * len(chunk))})" if chunk else ""),
                (*origins, _epoch(start), _epoch(end), *chunk)) if row[0] not in wanted]
            self._cancel(stale, cancel_reason, stamp)
            if lifecycle is not None:
                self._write_lifecycle(lifecycle)
        return SyncResult(added=added, updated=updated, cancelled=len(stale), finished=finished)

    def _write_lifecycle(self, lifecycle: LifecycleRows) -> None:
        if lifecycle.replace:
            self.db.execute("DELETE FROM lifecycle")
        self.db.executemany("DELETE FROM lifecycle WHERE grp=?", [(g,) for g, text in lifecycle.rows if text is None])
        self.db.executemany("INSERT INTO lifecycle (grp, state) VALUES (?, ?) ON CONFLICT(grp) DO UPDATE SET state=?",
                            [(g, text, text) for g, text in lifecycle.rows if text is not None])
        self.db.executemany("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=?",
                            [(key, value, value) for key, value in lifecycle.meta])

    def lifecycle_states(self) -> Iterator[tuple[str, str]]:
        """Every group's stored lifecycle state: (group, JSON)."""
        return iter(self.db.execute("SELECT grp, state FROM lifecycle").fetchall())

    def _cancel(self, ids: Sequence[str], reason: str, stamp: float) -> None:
        """pending -> cancelled: these left the plan before their time."""
        self.db.executemany(f"UPDATE messages SET state='{S.CANCELLED}', reason=?, updated=?, finished=? "
                            f"WHERE id=? AND state='{S.PENDING}'", [(reason, stamp, stamp, i) for i in ids])

    def _insert(self, rows: list[tuple]) -> int:
        # rowcount: the rows this statement inserted (total_changes would add the tally's, by its trigger)
        return self.db.executemany(
            "INSERT OR IGNORE INTO messages (id, at, planned, due, playbook, step, grp, member, sender, kind, "
            "mentions, text, origin, state, reason, updated, finished, private) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows).rowcount

    @staticmethod
    def _row(message: PlannedMessage, origin: str, stamp: float, reason: str | None,
             state: MessageState = S.SKIPPED) -> tuple:
        state, finished = (state, stamp) if reason else (S.PENDING, None)
        planned = _epoch(message.at)
        return (message.id, message.at.isoformat(), planned, planned, message.playbook, message.step,
                message.group, message.member, message.sender, message.kind,
                json.dumps(list(message.mentions), ensure_ascii=False), message.text, origin, state,
                reason, stamp, finished, int(message.private))

    # ---- delivering ------------------------------------------------------------------

    def due(self, now: dt.datetime, limit: int) -> list[StoredMessage]:
        """Pending messages due by ``now``, earliest first."""
        cursor = self.db.execute(
            f"SELECT {_COLUMNS} FROM messages WHERE state='{S.PENDING}' AND due <= ? "
            "ORDER BY due, planned, rowid LIMIT ?", (_epoch(now), limit))
        return [_stored(row) for row in cursor]

    def claim(self, ids: Sequence[str], now: dt.datetime) -> list[str]:
        """pending -> claimed, committed before any sender is called; returns
        the ids this call won."""
        stamp = _epoch(now)
        won = []
        with self._transaction():
            for message_id in ids:
                cursor = self.db.execute(
                    f"UPDATE messages SET state='{S.CLAIMED}', attempts=attempts+1, updated=? "
                    f"WHERE id=? AND state='{S.PENDING}'", (stamp, message_id))
                if cursor.rowcount:
                    won.append(message_id)
        return won

    def settle(self, outcomes: Sequence[Outcome], now: dt.datetime) -> None:
        """Write how each message ended, or when it is due again (a deferral
        or a retry: ``pending`` with a new ``due``), in one transaction.

        Each change must be an arrow of the state machine from the message's
        state now; if one is not (a bug: ``sent -> pending`` would send it
        twice), :class:`IllegalTransition` is raised and none is written."""
        stamp = _epoch(now)
        moves: dict[MessageState, list[tuple]] = {}
        for outcome in outcomes:
            state = MessageState(outcome.state)
            moves.setdefault(state, []).append(_settled(outcome, state, stamp, now))
        with self._transaction():
            for state, rows in moves.items():
                self._move(state, rows)

    def _move(self, state: MessageState, rows: list[tuple]) -> None:
        """Move rows (settle's parameters, the id last) to ``state``, each
        only from a state with an arrow into it."""
        sources = sorted(sources_of(state))
        sql = _BACK_TO_PENDING if state is S.PENDING else _FINISH
        cursor = self.db.executemany(sql.format(sources=",".join("?" * len(sources))),
                                     [(*row, *sources) for row in rows])
        if cursor.rowcount != len(rows):
            self._refuse(state, [row[-1] for row in rows], sources)

    def _refuse(self, state: MessageState, ids: Sequence[str], sources: Sequence[MessageState]) -> None:
        current = {message_id: self._state_of(message_id) for message_id in ids}
        wrong = [f"`{i}` {current[i] or 'not stored'} -> {state}" for i in ids if current[i] not in sources]
        more = f" (and {len(wrong) - 5} more)" if len(wrong) > 5 else ""
        raise IllegalTransition("the store refused a state change the message life cycle has no arrow for: "
                                + ", ".join(wrong[:5]) + more)

    def _state_of(self, message_id: str) -> str | None:
        row = self.db.execute("SELECT state FROM messages WHERE id=?", (message_id,)).fetchone()
        return row[0] if row else None

    def next_due(self) -> dt.datetime | None:
        row = self.db.execute(f"SELECT MIN(due) FROM messages WHERE state='{S.PENDING}'").fetchone()
        return _from_epoch(row[0])

    def recover_in_doubt(self, now: dt.datetime) -> int:
        """After a crash, claimed -> in-doubt: it may or may not have reached
        the group, so it is not sent again (at most once). How many."""
        stamp = _epoch(now)
        with self._transaction():
            return self.db.execute(
                f"UPDATE messages SET state='{S.IN_DOUBT}', reason='claimed, then the runner stopped before the "
                f"sender answered', updated=?, finished=? WHERE state='{S.CLAIMED}'", (stamp, stamp)).rowcount

    def requeue_in_doubt(self, now: dt.datetime) -> int:
        """``--resend-in-doubt``: claimed or in-doubt -> pending, due now (at
        least once). How many."""
        stamp = _epoch(now)
        with self._transaction():
            return self.db.execute(
                f"UPDATE messages SET state='{S.PENDING}', reason='resent: was in doubt', due=?, updated=? "
                f"WHERE state IN ('{S.CLAIMED}', '{S.IN_DOUBT}')", (stamp, stamp)).rowcount

    def sent_since(self, moment: dt.datetime) -> list[tuple[str, dt.datetime]]:
        return [(row[0], _from_epoch(row[1])) for row in self.db.execute(
            f"SELECT grp, finished FROM messages WHERE state='{S.SENT}' AND kind<>'action' AND private=0 "
            "AND finished >= ? "
            "ORDER BY finished", (_epoch(moment),))]

    # ---- events --------------------------------------------------------------------------

    def add_event(self, event: Event, now: dt.datetime) -> int:
        with self._transaction():
            seq = self._insert_event(event, _epoch(now))
            self._count_new_events()
            return seq

    def _insert_event(self, event: Event, stamp: float) -> int:
        return self.db.execute(_INSERT_EVENT, _event_row(event, stamp)).lastrowid

    def _insert_events(self, events: Sequence[Event], stamp: float) -> None:
        """Events in order, in one statement (half the cost of one each)."""
        self.db.executemany(_INSERT_EVENT, [_event_row(event, stamp) for event in events])

    def add_batches(self, batches: Sequence[Batch], now: dt.datetime) -> list[BatchResult]:
        """Record each batch whole or not at all, all of them in one
        transaction (a writer that gathers waiting requests pays one commit
        for them): a batch that is refused (see :class:`BatchResult`) is
        rolled back to its savepoint and the others stay. A crash before the
        commit records none of them; an error of the database (disk full)
        raises and records none."""
        stamp = _epoch(now)
        results = []
        with self._transaction():
            for batch in batches:
                self.db.execute("SAVEPOINT batch")
                result = self._add_batch(batch, stamp)
                if result.refused:
                    self.db.execute("ROLLBACK TO batch")
                self.db.execute("RELEASE batch")
                results.append(result)
            if any(result.added for result in results):
                self._count_new_events()
        return results

    def _add_batch(self, batch: Batch, stamp: float) -> BatchResult:
        if batch.key is not None:
            row = self.db.execute("SELECT digest, answer FROM request_keys WHERE key=?", (batch.key,)).fetchone()
            if row is not None:
                return BatchResult(answer=row[1]) if row[0] == batch.key_digest else BatchResult(key_conflict=True)
        added = repeated = 0
        conflicts = []
        plain: list[Event] = []  # events without an id: inserted together, before the next one with an id
        for index, event in enumerate(batch.events):
            event_id = batch.ids[index] if index < len(batch.ids) else None
            if event_id is None:
                plain.append(event)
                added += 1
                continue
            digest = batch.digests[index] if index < len(batch.digests) else ""
            row = self.db.execute("SELECT digest FROM event_ids WHERE id=?", (event_id,)).fetchone()
            if row is not None:
                if row[0] == digest:
                    repeated += 1
                else:
                    conflicts.append(index)
                continue
            self._insert_events(plain, stamp)
            plain = []
            seq = self._insert_event(event, stamp)
            self.db.execute("INSERT INTO event_ids (id, seq, digest) VALUES (?, ?, ?)", (event_id, seq, digest))
            added += 1
        self._insert_events(plain, stamp)
        if conflicts:
            return BatchResult(conflicts=tuple(conflicts))
        if batch.key is not None:
            self.db.execute("INSERT INTO request_keys (key, digest, answer, received) VALUES (?, ?, ?, ?)",
                            (batch.key, batch.key_digest, batch.answer, stamp))
        return BatchResult(added=added, repeated=repeated)

    def events(self, skipped: list[tuple[int, str]] | None = None) -> list[Event]:
        """Every event, in time order. A row that cannot be read (a time
        without an offset, data that is not JSON: written by hand or by an
        older sopc) is left out, and added to ``skipped`` as (number, why):
        one bad row must not stop the others."""
        rows = self.db.execute(f"SELECT {_EVENT_COLUMNS} FROM events ORDER BY seq")
        return sorted((event for _, event in _read_events(rows, skipped)), key=lambda e: e.at)

    def events_after(self, seq: int, skipped: list[tuple[int, str]] | None = None) -> list[tuple[int, Event]]:
        """The events numbered after ``seq``, each with its number, in the
        order they were recorded (rows that cannot be read: as in :meth:`events`)."""
        rows = self.db.execute(f"SELECT {_EVENT_COLUMNS} FROM events WHERE seq > ? ORDER BY seq", (seq,))
        return _read_events(rows, skipped)

    def group_events(self, group: str, skipped: list[tuple[int, str]] | None = None) -> list[tuple[int, Event]]:
        """``group``'s events, each with its number, in the order they were recorded."""
        rows = self.db.execute(f"SELECT {_EVENT_COLUMNS} FROM events WHERE grp = ? ORDER BY seq", (group,))
        return _read_events(rows, skipped)

    def events_by_group(self, skipped: list[tuple[int, str]] | None = None
                        ) -> Iterator[tuple[str, list[tuple[int, Event]]]]:
        """Every event, a group at a time: (group, its events with their
        numbers in the order they were recorded). Holds one group's events
        at a time, not all."""
        rows = self.db.execute(f"SELECT {_EVENT_COLUMNS} FROM events ORDER BY grp, seq")
        group, events = None, []
        for row in rows:
            if row[2] != group:
                if events:
                    yield group, events
                group, events = row[2], []
            events += _read_events((row,), skipped)
        if events:
            yield group, events

    def event_count(self) -> int:
        """How many events are recorded: the kept count, and any event
        recorded since by a writer that does not count (none, or a few)."""
        return self.db.execute(f"SELECT (SELECT CAST(value AS INTEGER) FROM meta WHERE key=?) + ({_EVENTS_UNCOUNTED})",
                               (EVENT_COUNT, EVENT_COUNT_SEQ)).fetchone()[0]

    def earliest_event_after(self, seq: int) -> dt.datetime | None:
        """When the earliest of the events numbered after ``seq`` happened,
        of those in the dates sopc plans (an older sopc recorded others; the
        planner refuses them)."""
        times = [_event_time(r[0]) for r in self.db.execute("SELECT at FROM events WHERE seq > ?", (seq,))]
        return min((t for t in times if t is not None and range_problem(t) is None), default=None)

    def last_event_seq(self) -> int:
        """The newest event's number (0 for none): a cheap "anything new?"
        for the runner's every wake, where COUNT(*) would scan the table."""
        return self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]

    # ---- pauses ----------------------------------------------------------------------------

    def pause(self, playbook: str, now: dt.datetime) -> bool:
        with self._transaction():
            if self._open_pause(playbook):
                return False
            self.db.execute("INSERT INTO pauses (playbook, paused) VALUES (?, ?)", (playbook, _epoch(now)))
            return True

    def resume(self, playbook: str, now: dt.datetime) -> bool:
        with self._transaction():
            cursor = self.db.execute("UPDATE pauses SET resumed=? WHERE playbook=? AND resumed IS NULL",
                                     (_epoch(now), playbook))
            return bool(cursor.rowcount)

    def _open_pause(self, playbook: str) -> bool:
        return self.db.execute("SELECT 1 FROM pauses WHERE playbook=? AND resumed IS NULL",
                               (playbook,)).fetchone() is not None

    def pauses(self) -> list[tuple[str, dt.datetime, dt.datetime | None]]:
        """Every pause: (playbook, paused at, resumed at or None while still paused)."""
        return [(row[0], _from_epoch(row[1]), _from_epoch(row[2])) for row in self.db.execute(
            "SELECT playbook, paused, resumed FROM pauses ORDER BY paused")]

    def paused_playbooks(self) -> list[str]:
        return [row[0] for row in self.db.execute(
            "SELECT playbook FROM pauses WHERE resumed IS NULL ORDER BY playbook")]

    # ---- confirmations (assisted sends) --------------------------------------------------------

    def awaiting_confirmation(self, limit: int = 500) -> list[StoredMessage]:
        return [_stored(row) for row in self.db.execute(
            f"SELECT {_COLUMNS} FROM messages WHERE confirm='waiting' ORDER BY finished LIMIT ?", (limit,))]

    def set_confirmations(self, updates: Sequence[tuple[str, str, str | None]]) -> None:
        with self._transaction():
            self.db.executemany("UPDATE messages SET confirm=?, confirm_detail=? WHERE id=?",
                                [(state, detail, message_id) for message_id, state, detail in updates])

    # ---- reading, for `sopc status` ----------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """How many messages are in each state (from the tally)."""
        found = dict(self.db.execute("SELECT state, SUM(n) FROM message_tally GROUP BY state").fetchall())
        return {state: found.get(state, 0) for state in STATES}

    def reasons(self, state: str) -> dict[str, int]:
        """How many messages ended in ``state``, by reason, most first
        (skipped and cancelled from the tally, other states from the index)."""
        if state in _TALLIED_REASONS:
            rows = self.db.execute("SELECT reason, SUM(n) FROM message_tally WHERE state=? GROUP BY reason "
                                   "HAVING SUM(n) > 0 ORDER BY SUM(n) DESC, reason", (state,))
        else:
            rows = self.db.execute("SELECT reason, COUNT(*) FROM messages WHERE state=? GROUP BY reason "
                                   "ORDER BY COUNT(*) DESC, reason", (state,))
        return {reason or "": count for reason, count in rows}

    def upcoming(self, limit: int) -> list[StoredMessage]:
        return [_stored(row) for row in self.db.execute(
            f"SELECT {_COLUMNS} FROM messages WHERE state='{S.PENDING}' ORDER BY due, planned, rowid LIMIT ?",
            (limit,))]

    def recent(self, states: Sequence[str], limit: int) -> list[StoredMessage]:
        marks = ",".join("?" * len(states))
        return [_stored(row) for row in self.db.execute(
            f"SELECT {_COLUMNS} FROM messages WHERE state IN ({marks}) ORDER BY finished DESC, id LIMIT ?",
            (*states, limit))]

    def confirmation_counts(self) -> dict[str, int]:
        """How many 企业群发 sends are waiting for, confirmed or refused by the owner (from the tally)."""
        return dict(self.db.execute("SELECT confirm, SUM(n) FROM message_tally WHERE confirm <> '' "
                                    "GROUP BY confirm HAVING SUM(n) > 0").fetchall())

    def messages(self, states: Sequence[str] | None = None) -> Iterator[StoredMessage]:
        if states is None:
            cursor = self.db.execute(f"SELECT {_COLUMNS} FROM messages ORDER BY due, planned, rowid")
        else:
            marks = ",".join("?" * len(states))
            cursor = self.db.execute(f"SELECT {_COLUMNS} FROM messages WHERE state IN ({marks}) "
                                     "ORDER BY due, planned, rowid", tuple(states))
        return (_stored(row) for row in cursor)

    # ---- reading, for `sopc report` ----------------------------------------------------------
    # Aggregates counted by SQLite (GROUP BY): a report over millions of
    # messages reads a row per group of them into Python, not a row per message.

    def tally(self, keys: Sequence[str], *, start: dt.datetime | None = None, end: dt.datetime | None = None,
              staff: Sequence[str] = ()) -> list[tuple]:
        """How many messages planned in [start, end) are in each state and
        企业群发 confirmation, for each combination of ``keys``: rows of
        (*the keys' values, state, confirm or '', count). Keys: ``day``
        (the planned day, in the playbook's own time: the date its ``at``
        is written with), ``playbook``, ``group``, ``staff`` (1 for a staff
        task: an action, or a message through one of the ``staff``
        senders; else 0). One query, one pass over the messages."""
        where, params = _report_filter(start, end)
        columns = [_TALLY_BY[key] for key in keys]
        if "staff" in keys:
            columns[list(keys).index("staff")] = _TALLY_BY["staff"].format(marks=",".join("?" * len(staff)))
            params = (*staff, *params)
        groups = ", ".join(str(n + 1) for n in range(len(keys) + 2))
        return self.db.execute(f"SELECT {', '.join(columns)}, state, COALESCE(confirm, ''), COUNT(*) FROM messages "
                               f"{where} GROUP BY {groups}", params).fetchall()

    def reason_tally(self, state: str, short: Callable[[str | None], str], *, start: dt.datetime | None = None,
                     end: dt.datetime | None = None) -> list[tuple[str, int]]:
        """How many messages planned in [start, end) ended in ``state``, by
        reason, each reason shortened by ``short`` (a sender's error names
        its message, group or attempts: shortened, alike errors count
        together), most first."""
        self.db.create_function("sopc_short_reason", 1, short, deterministic=True)
        where, params = _report_filter(start, end, state=state)
        return self.db.execute(f"SELECT sopc_short_reason(reason), COUNT(*) FROM messages {where} "
                               "GROUP BY 1 ORDER BY 2 DESC, 1", params).fetchall()

    def planned_span(self) -> tuple[str, str] | None:
        """The days (YYYY-MM-DD, in the playbooks' own time) of the first
        and the last message planned, or None when there is none (two index reads)."""
        first = self.db.execute("SELECT substr(at, 1, 10) FROM messages ORDER BY planned LIMIT 1").fetchone()
        last = self.db.execute("SELECT substr(at, 1, 10) FROM messages ORDER BY planned DESC LIMIT 1").fetchone()
        return (first[0], last[0]) if first else None

    # ---- meta ------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._transaction():
            self.db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=?",
                            (key, value, value))


class SenderState:
    """The store's meta table as senders see it (``runtime.extra["state"]``):
    small strings kept from one run to the next, such as a WeCom access token
    and when to renew it. Their keys get a prefix of their own, so a sender
    cannot overwrite what the runner keeps there."""

    PREFIX = "sender:"

    def __init__(self, store: Store):
        self._store = store

    def get(self, key: str) -> str | None:
        return self._store.get_meta(self.PREFIX + key)

    def set(self, key: str, value: str) -> None:
        self._store.set_meta(self.PREFIX + key, value)


# settle's two shapes of change; {sources} becomes a ? for each state with an arrow into the new one.
_BACK_TO_PENDING = "UPDATE messages SET state=?, reason=?, due=?, updated=? WHERE id=? AND state IN ({sources})"
_FINISH = ("UPDATE messages SET state=?, reason=?, finished=?, remote_id=?, updated=?, confirm=? "
           "WHERE id=? AND state IN ({sources})")


def _settled(outcome: Outcome, state: MessageState, stamp: float, now: dt.datetime) -> tuple:
    """The parameters of settle's UPDATE for one outcome, its id last."""
    if state is S.PENDING:
        return (state, outcome.reason, _epoch(outcome.due or now), stamp, outcome.id)
    confirm = "waiting" if state is S.SENT and outcome.remote_id else None
    return (state, outcome.reason, stamp, outcome.remote_id, stamp, confirm, outcome.id)


_COLUMNS = ("id, at, due, playbook, step, grp, member, sender, kind, mentions, text, origin, state, reason, "
            "attempts, remote_id, confirm, confirm_detail, finished, private")


def _stored(row) -> StoredMessage:
    return StoredMessage(
        id=row[0], at=dt.datetime.fromisoformat(row[1]), due=_from_epoch(row[2]), playbook=row[3], step=row[4],
        group=row[5], member=row[6], sender=row[7], kind=row[8], mentions=tuple(json.loads(row[9])), text=row[10],
        origin=row[11], state=row[12], reason=row[13], attempts=row[14], remote_id=row[15], confirm=row[16],
        confirm_detail=row[17], finished=_from_epoch(row[18]), private=bool(row[19]))


_INSERT_EVENT = "INSERT INTO events (kind, grp, member, at, name, data, argument, received) VALUES (?,?,?,?,?,?,?,?)"


def _event_row(event: Event, stamp: float) -> tuple:
    return (event.kind, event.group, event.member, event.at.isoformat(), event.name,
            json.dumps(event.data, ensure_ascii=False, default=str) if event.data else "{}", event.argument, stamp)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error): the write lock is
    taken up front, so two processes never interleave half a claim."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, kind, value, traceback):
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")
        return False
