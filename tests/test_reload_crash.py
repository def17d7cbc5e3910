"""A crash during a hot reload (issue 11, "Crash: ... a crash during a hot
reload"): a running `sopc run` is delivering when its playbook is edited (a
text changed, a step removed, steps added), and is SIGKILLed at a moment
around the reload: before the reload could commit, just after it, or at a
random moment. The next run must finish the job so that every message ends
sent once or in doubt at most once, none is lost, none reaches the receiver
twice, and the store holds what the edit says: the removed step's messages
not sent are cancelled, the changed step goes out with the new text unless
it went out before, the step added after its time is skipped (not sent
late), the one added for later is pending.

Real processes (only a process can be SIGKILLed) against a real HTTP
receiver on 127.0.0.1 that records each message with its text and the
moment it arrived; the real clock (a running `sopc run` has no other), so
the steps are due a few minutes ago, within their grace.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest
from projects import write_project

ZONE = ZoneInfo("Asia/Shanghai")
GROUPS = 30           # per playbook: every playbook has its own groups (no gap or cap between them)
OLD_TEXT, NEW_TEXT = "旧文案 {{ group.name }}", "新文案 {{ group.name }}"
EDITED = "no longer in the plan"          # the planner's reason for a message an edit removed
LATE_EDIT = "added by an edit after its time had passed"


class _Receiver(BaseHTTPRequestHandler):
    """Records each delivery: (message id, its text, when it arrived)."""

    protocol_version = "HTTP/1.1"
    deliveries: list
    lock: threading.Lock

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        with self.lock:
            self.deliveries.append((body["id"], body["step"], body["text"], time.monotonic()))
        time.sleep(0.01)  # a receiver that takes a moment: the burst is still going when the edit lands
        answer = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    handler = type("Receiver", (_Receiver,), {"deliveries": [], "lock": threading.Lock()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, handler.deliveries
    server.shutdown()
    server.server_close()


def _when(moment: dt.datetime) -> str:
    """A weekly step's `周X HH:MM` for the minute ``moment`` falls in."""
    return f"{'周一 周二 周三 周四 周五 周六 周日'.split()[moment.weekday()]} {moment:%H:%M}"


def _playbooks(now: dt.datetime, *, edited: bool) -> str:
    """Four playbooks, each to its own groups. `keep` is not touched; the edit
    changes `changed`'s text, removes `removed`'s step, and adds two steps
    to `added` (one due already, one in two hours). Due a few minutes ago,
    oldest first, so the burst sends `keep`, then `changed`, then `removed`."""
    ago = lambda minutes: _when(now - dt.timedelta(minutes=minutes))  # noqa: E731
    head = "  grace 1h\n  quiet off\n"
    text = f'''
playbook keep "不变"
  to groups tagged keep
{head}  {ago(4)}   a   "保持 {{{{ group.name }}}}"

playbook changed "改文案"
  to groups tagged changed
{head}  {ago(3)}   b   "{NEW_TEXT if edited else OLD_TEXT}"

playbook removed "删步骤"
  to groups tagged removed
{head}'''
    if not edited:
        text += f'  {ago(2)}   c   "要删掉的 {{{{ group.name }}}}"\n'
    text += f'''
playbook added "加步骤"
  to groups tagged added
{head}  {ago(5)}   first   "原有的 {{{{ group.name }}}}"
'''
    if edited:
        text += f'  {ago(1)}   late    "加晚了 {{{{ group.name }}}}"\n'
        text += f'  {_when(now + dt.timedelta(hours=2))}   later   "稍后的 {{{{ group.name }}}}"\n'
    return text


def _project(root, port: int, now: dt.datetime):
    rows = [f"{tag}{i:02d},{tag}群{i},{tag}" for tag in ("keep", "changed", "removed", "added") for i in range(GROUPS)]
    return write_project(root, {
        "sopc.toml": f'''timezone = "Asia/Shanghai"

[defaults]
cap = 0
gap = "0m"

[senders.hook]
kind = "webhook"
url = "http://127.0.0.1:{port}/hooks/reload"
timeout = 5
''',
        "groups.csv": "id,name,tags\n" + "\n".join(rows) + "\n",
        "p.sop": _playbooks(now, edited=False)})


class _Log:
    """A process's stderr lines, each with the moment it was read."""

    def __init__(self, stream):
        self.lines: list[tuple[float, str]] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream):
        for line in stream:
            self.lines.append((time.monotonic(), line))

    def first(self, text: str) -> float | None:
        return next((moment for moment, line in self.lines if text in line), None)

    def wait_for(self, text: str, timeout: float = 20) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            moment = self.first(text)
            if moment is not None:
                return moment
            time.sleep(0.005)
        raise AssertionError(f"no line with {text!r} within {timeout} s:\n" + "".join(l for _, l in self.lines))


def _wait_until(condition, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.002)


ENV = {k: v for k, v in os.environ.items() if k not in ("SOPC_NOW", "SOPC_STATE", "SOPC_DEBUG")}


def _crash_during_reload(root, deliveries, now: dt.datetime, kill: str, chance: random.Random) -> dict:
    """Start `sopc run` on the first version; when the burst is under way,
    write the edit and SIGHUP; SIGKILL at the moment ``kill`` says; then
    `sopc run --once` finishes. What happened, for the checks."""
    command = [sys.executable, "-m", "sopc", "run", str(root), "--concurrency", "2"]
    runner = subprocess.Popen(command, env=ENV, text=True, encoding="utf-8", stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    log = _Log(runner.stderr)
    try:
        log.wait_for("running; waiting", timeout=30)
        _wait_until(lambda: len(deliveries) >= 2 * GROUPS + 10)  # `first` and `a` out, `b` under way
        (root / "p.sop").write_text(_playbooks(now, edited=True), encoding="utf-8")
        edited = time.monotonic()
        runner.send_signal(signal.SIGHUP)
        if kill == "after":            # just after the reload committed (its log line comes after the commit)
            log.wait_for("reloaded:")
            time.sleep(chance.uniform(0, 0.05))
        elif kill == "random":
            time.sleep(chance.uniform(0, 0.4))
        runner.send_signal(signal.SIGKILL)  # "before": at once, while the reload is at most starting
        runner.wait(timeout=30)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
    killed = time.monotonic()
    reloaded = log.first("reloaded:")
    restarted = time.monotonic()
    final = subprocess.run([*command, "--once"], env=ENV, capture_output=True, text=True, encoding="utf-8",
                           timeout=60)
    assert final.returncode in (0, 1) and "Traceback" not in final.stderr, final.stderr  # 1: in doubt
    reloaded = reloaded if reloaded is not None and reloaded < killed else None
    return {"edited": edited, "killed": killed, "reloaded": reloaded, "reloaded_before_kill": reloaded is not None,
            "restarted": restarted, "log": "".join(line for _, line in log.lines) + final.stderr}


def _store(root) -> dict[str, tuple[str, str, str, str | None]]:
    db = sqlite3.connect(root / ".sopc" / "state.db")
    rows = db.execute("SELECT id, step, state, text, reason FROM messages").fetchall()
    db.close()
    return {row[0]: row[1:] for row in rows}


def _check(root, deliveries, crash: dict) -> None:
    store = _store(root)
    received: dict[str, list[tuple[str, str, float]]] = {}
    for message_id, step, text, moment in deliveries:
        received.setdefault(message_id, []).append((step, text, moment))
    by_step: dict[str, dict[str, tuple]] = {}
    for message_id, row in store.items():
        by_step.setdefault(row[0], {})[message_id] = row

    # None lost, none twice: every planned message is in the store and ended
    # one way or the other; what was sent reached the receiver once, with the
    # text the store says it was sent with; nothing reached it that the
    # store does not hold, and nothing it holds as unsent reached it.
    assert {step: len(rows) for step, rows in by_step.items()} == {
        "a": GROUPS, "b": GROUPS, "c": GROUPS, "first": GROUPS, "late": GROUPS, "later": GROUPS}, crash["log"]
    assert set(received) <= set(store)
    assert all(len(times) == 1 for times in received.values()), "a message reached the receiver twice"
    for message_id, (step, state, text, reason) in store.items():
        if state == "sent":
            assert len(received.get(message_id, ())) == 1, (message_id, step)
            assert received[message_id][0][1] == text
        elif state != "in-doubt":
            assert message_id not in received, (message_id, step, state)

    # The untouched steps: all delivered (or in doubt: killed mid-send, never resent).
    for step in ("a", "first", "b"):
        assert {row[1] for row in by_step[step].values()} <= {"sent", "in-doubt"}, (step, crash["log"])
    assert sum(row[1] == "in-doubt" for row in store.values()) <= 2  # at most the deliveries in flight (concurrency 2)

    # The changed text: the new text unless it went out before the edit
    # could take effect; every one sent by the run started after the edit
    # has the new text.
    old, new = OLD_TEXT.split()[0], NEW_TEXT.split()[0]
    old_after_reload = 0
    for message_id, (_, state, _, _) in by_step["b"].items():
        if message_id not in received:
            assert state == "in-doubt"  # claimed when the process died; never sent again
            continue
        _, text, moment = received[message_id][0]
        assert text.startswith((old, new)), text
        if text.startswith(old):
            assert moment < crash["killed"], ("the old text went out after the crash", message_id,
                                              store[message_id], crash["log"][-3000:])
            old_after_reload += crash["reloaded"] is not None and moment > crash["reloaded"]
        if moment > crash["restarted"]:
            assert text.startswith(new), "the run after the edit sent the old text"
    assert old_after_reload <= 2, "old texts went out after the reload (more than were in flight)"

    # The removed step: sent only before the edit took effect; the rest cancelled.
    for message_id, (_, state, _, reason) in by_step["c"].items():
        assert state in ("sent", "in-doubt", "cancelled"), state
        if state == "cancelled":
            assert reason and EDITED in reason, reason
        for _, _, moment in received.get(message_id, ()):
            assert moment < crash["killed"], "a removed step was sent by the run started after the edit"
    if crash["reloaded"] is not None:  # after the reload only what was in flight (concurrency 2) may arrive
        assert sum(m > crash["reloaded"] for i in by_step["c"] for *_, m in received.get(i, ())) <= 2

    # The added steps: the one due already is skipped as added late (never
    # sent late), the one due later waits.
    assert {(row[1], row[3]) for row in by_step["late"].values()} == {("skipped", LATE_EDIT)}, crash["log"]
    assert {(row[1], row[2].split()[0]) for row in by_step["later"].values()} == {("pending", "稍后的")}


@pytest.mark.parametrize("kill", ["before", "after", "random"])
def test_sigkill_around_a_hot_reload_loses_nothing_and_keeps_the_edit(tmp_path, receiver, kill):
    server, deliveries = receiver
    now = dt.datetime.now(ZONE)  # both versions are written from this moment: the same steps keep their times
    root = _project(tmp_path / "proj", server.server_address[1], now)
    crash = _crash_during_reload(root, deliveries, now, kill, random.Random(f"reload-{kill}"))
    _check(root, deliveries, crash)
    if kill == "before":
        # The reload cannot have committed; the restarted run applied the edit.
        assert not crash["reloaded_before_kill"], crash["log"]
    if kill == "after":
        assert crash["reloaded_before_kill"]


def test_an_edit_updates_a_message_that_is_due_but_not_sent_yet(tmp_path):
    """The store's half of the edit (what the crash test found): after an
    edit, a message whose time has passed but which is still pending (a
    backlog, a burst, a restart within its grace) takes the edited text, as
    one due later does; a message the edit adds after its time is skipped."""
    from sopc.core.messages import PlannedMessage
    from sopc.run.store import SQLiteStore

    ten = dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZONE)

    def planned(message_id: str, text: str, at: dt.datetime = ten) -> PlannedMessage:
        return PlannedMessage(id=message_id, at=at, playbook="p", step=message_id, group="g1", member=None,
                              sender="bot", kind="text", mentions=(), text=text)

    store = SQLiteStore(tmp_path / "state.db")
    window = {"start": ten - dt.timedelta(hours=1), "end": ten + dt.timedelta(days=1), "origins": ["plan"],
              "cancel_reason": "edited"}
    store.sync([(planned("due", "old"), "plan"), (planned("later", "old", ten + dt.timedelta(hours=5)), "plan")],
               now=ten - dt.timedelta(hours=1), **window)
    edited = [(planned("due", "new"), "plan"), (planned("later", "new", ten + dt.timedelta(hours=5)), "plan"),
              (planned("added", "new"), "plan")]
    result = store.sync(edited, now=ten + dt.timedelta(minutes=5), late_reason=LATE_EDIT,
                        materialized_until=ten + dt.timedelta(days=1), **window)
    rows = {m.id: (m.state, m.text, m.reason) for m in store.messages()}
    assert rows == {"due": ("pending", "new", None), "later": ("pending", "new", None),
                    "added": ("skipped", "new", LATE_EDIT)}
    assert result.updated == 2 and result.finished == 1
    store.close()
