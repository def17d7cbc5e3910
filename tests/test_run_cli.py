"""`sopc run`, `status`, `pause`, `resume` as a user runs them: the command
line in process (click's CliRunner), a real state file, and a real HTTP
server on 127.0.0.1 standing in for the webhook a message is delivered to.
Real processes where only a process will do: SIGKILL at random moments, and
a runner running for good (events wake it, edits and SIGHUP reload it,
SIGTERM stops it) beside the commands that talk to it."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from projects import write_project

NOW = "2026-11-23T10:00:30"  # a Monday, 30 seconds after the 10:00 posts fell due

WEEKLY = '''
playbook welfare "福利"
  to groups tagged 福利群
  sender outbox
  周一 10:00   coupon   "【{{ group.store }}】本周券包已发放"
  周一 15:00   draw     "周一抽奖"
'''

OUTBOX_TOML = '''timezone = "Asia/Shanghai"

[senders.outbox]
kind = "file"
path = "outbox.jsonl"
'''


@pytest.fixture
def weekly(tmp_path):
    return write_project(tmp_path / "proj", {"sopc.toml": OUTBOX_TOML, "w.sop": WEEKLY})


def _outbox(root) -> list[dict]:
    path = root / "outbox.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def test_run_once_delivers_what_is_due_and_a_second_run_sends_nothing_again(weekly, run_sopc):
    first = run_sopc("run", str(weekly), "--once", "--now", NOW, cwd=weekly.parent)
    assert first.exit_code == 0, first.stderr
    assert [m["group"] for m in _outbox(weekly)] == ["hz_001", "hz_002", "sh_001"]
    assert _outbox(weekly)[0]["text"] == "【西湖店】本周券包已发放"
    assert "done: 3 sent, 0 failed" in first.stderr
    again = run_sopc("run", str(weekly), "--once", "--now", "2026-11-23T10:05", cwd=weekly.parent)
    assert again.exit_code == 0 and "done: 0 sent" in again.stderr
    assert len(_outbox(weekly)) == 3
    assert (weekly / ".sopc" / "state.db").is_file()


def test_status_reports_counts_next_due_and_missed(weekly, run_sopc):
    run_sopc("run", str(weekly), "--once", "--now", NOW, cwd=weekly.parent)
    late = run_sopc("run", str(weekly), "--once", "--now", "2026-11-23T15:45", cwd=weekly.parent)
    assert "missed" in late.stderr
    text = run_sopc("status", str(weekly), cwd=weekly.parent)
    assert text.exit_code == 0, text.stderr
    assert "3 sent 已发" in text.stdout and "3 skipped 跳过" in text.stdout
    assert "missed: 45m late" in text.stdout
    data = json.loads(run_sopc("status", str(weekly), "--format", "json", cwd=weekly.parent).stdout)
    assert data["counts"]["sent"] == 3 and data["counts"]["skipped"] == 3
    assert data["runner"] == {"running": False, "pid": None}


def test_status_without_any_run_says_what_to_do(weekly, run_sopc):
    result = run_sopc("status", str(weekly), cwd=weekly.parent)
    assert result.exit_code == 1
    assert "nothing has run yet" in result.stderr and "Traceback" not in result.stderr


def test_pause_then_resume_skips_the_backlog(weekly, run_sopc):
    wrong = run_sopc("pause", "welfar", str(weekly), cwd=weekly.parent)
    assert wrong.exit_code == 2 and "did you mean `welfare`" in wrong.stderr
    paused = run_sopc("pause", "welfare", str(weekly), "--now", "2026-11-23T09:00", cwd=weekly.parent)
    assert paused.exit_code == 0 and "paused `welfare`" in paused.stdout
    status = json.loads(run_sopc("status", str(weekly), "--format", "json", cwd=weekly.parent).stdout)
    assert status["paused"] == ["welfare"]
    run = run_sopc("run", str(weekly), "--once", "--now", NOW, cwd=weekly.parent)
    assert "skipped" in run.stderr and _outbox(weekly) == []
    assert run_sopc("resume", "welfare", str(weekly), "--now", "2026-11-23T14:00", cwd=weekly.parent).exit_code == 0
    run_sopc("run", str(weekly), "--once", "--now", "2026-11-23T15:00", cwd=weekly.parent)
    assert [m["step"] for m in _outbox(weekly)] == ["draw"] * 3


def test_dry_run_prints_and_leaves_the_state_alone(weekly, run_sopc):
    result = run_sopc("run", str(weekly), "--dry-run", "--once", "--now", NOW, cwd=weekly.parent)
    assert result.exit_code == 0, result.stderr
    assert "welfare/coupon -> 杭州西湖店福利群 (hz_001)" in result.stdout
    assert _outbox(weekly) == [] and not (weekly / ".sopc" / "state.db").exists()


def test_dry_run_sees_the_real_state_and_does_not_offer_what_was_sent(weekly, run_sopc):
    assert run_sopc("run", str(weekly), "--once", "--now", NOW, cwd=weekly.parent).exit_code == 0
    soon = run_sopc("run", str(weekly), "--dry-run", "--once", "--now", "2026-11-23T10:05", cwd=weekly.parent)
    assert soon.exit_code == 0, soon.stderr
    assert "welfare/coupon" not in soon.stdout  # sent at 10:00:30 by the real run, still within grace
    assert run_sopc("pause", "welfare", str(weekly), "--now", "2026-11-23T14:00", cwd=weekly.parent).exit_code == 0
    assert run_sopc("resume", "welfare", str(weekly), "--now", "2026-11-23T15:02", cwd=weekly.parent).exit_code == 0
    later = run_sopc("run", str(weekly), "--dry-run", "--once", "--now", "2026-11-23T15:03", cwd=weekly.parent)
    assert "welfare/draw" not in later.stdout and "paused" in later.stderr  # 15:00 fell inside the pause
    assert len(_outbox(weekly)) == 3
    status = json.loads(run_sopc("status", str(weekly), "--format", "json", cwd=weekly.parent).stdout)
    assert status["counts"]["sent"] == 3 and status["counts"]["pending"] == 3  # the dry runs changed nothing


def test_run_refuses_a_project_with_errors_and_shows_them(tmp_path, run_sopc):
    root = write_project(tmp_path / "bad", {"sopc.toml": OUTBOX_TOML, "w.sop": WEEKLY.replace("周一 15:00", "周八 15:00")})
    result = run_sopc("run", str(root), "--once", "--now", NOW, cwd=tmp_path)
    assert result.exit_code == 1
    assert "w.sop:6:3: error[E0140]" in result.stderr and "fix them first" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_names_a_missing_secret_without_printing_any(tmp_path, run_sopc):
    root = write_project(tmp_path / "p", {"w.sop": WEEKLY.replace("sender outbox", "sender bot"), "sopc.toml": '''
timezone = "Asia/Shanghai"
[senders.bot]
kind = "wecom-bot"
key_env = "SOPC_TEST_MISSING_KEY"
'''})
    result = run_sopc("run", str(root), "--once", "--now", NOW, cwd=tmp_path)
    assert result.exit_code == 1
    assert "environment variable SOPC_TEST_MISSING_KEY is not set" in result.stderr
    assert "--dry-run" in result.stderr


def test_now_is_only_for_once_or_dry_run(weekly, run_sopc):
    result = run_sopc("run", str(weekly), "--now", NOW, cwd=weekly.parent)
    assert result.exit_code == 2 and "only with --once or --dry-run" in result.stderr


# ---- the crash test -----------------------------------------------------------------------

class _Hook(BaseHTTPRequestHandler):
    """A webhook receiver that takes a little time per message and counts
    each message id (the Idempotency-Key header) it receives."""

    protocol_version = "HTTP/1.1"
    received: Counter
    lock: threading.Lock

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(0.01)
        with self.lock:
            self.received[self.headers["Idempotency-Key"]] += 1
        answer = json.dumps({"ok": True}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
        assert json.loads(body)["id"] == self.headers["Idempotency-Key"]

    def log_message(self, *args):
        pass


@pytest.fixture
def hook():
    handler = type("Hook", (_Hook,), {"received": Counter(), "lock": threading.Lock()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, handler.received
    server.shutdown()
    server.server_close()


def _burst_project(tmp_path, port: int, groups: int):
    rows = "\n".join(f"g{i:04d},群{i},burst" for i in range(groups))
    return write_project(tmp_path / "burst", {
        "sopc.toml": f'''timezone = "Asia/Shanghai"
[senders.hook]
kind = "webhook"
url = "http://127.0.0.1:{port}/hooks/burst"
timeout = 5
''',
        "groups.csv": "id,name,tags\n" + rows + "\n",
        "b.sop": '''
playbook burst "突发"
  to groups tagged burst
  周一 10:00   now   "{{ group.name }} 的消息"
'''})


def test_sigkill_at_random_moments_never_loses_or_duplicates_a_message(tmp_path, hook):
    server, received = hook
    groups = 150
    root = _burst_project(tmp_path, server.server_address[1], groups)
    command = [sys.executable, "-m", "sopc", "run", str(root), "--once", "--now", NOW, "--concurrency", "4", "-q"]
    env = {k: v for k, v in os.environ.items() if k not in ("SOPC_NOW", "SOPC_STATE")}
    chance = random.Random(20261123)
    kills = 0
    for _ in range(12):
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(chance.uniform(0.3, 1.5))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait(timeout=30)
        process.stderr.close()
        if process.returncode == 0:
            break
    final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert final.returncode == 0, final.stderr
    assert kills >= 1, "no run was killed mid-way: the test proved nothing"

    db = sqlite3.connect(root / ".sopc" / "state.db")
    states = dict(db.execute("SELECT id, state FROM messages").fetchall())
    db.close()
    assert len(states) == groups                                   # none lost
    assert set(states.values()) <= {"sent", "in-doubt"}            # each ended, one way or the other
    assert all(count == 1 for count in received.values())          # nothing reached the hook twice
    for message_id, state in states.items():
        if state == "sent":
            assert received[message_id] == 1                       # sent means delivered, exactly once
    assert set(received) <= set(states)


# ---- a long-running runner: events wake it, edits reload it, SIGTERM stops it --------------

MEMBERS = '''
playbook members "会员"
  to groups tagged 福利群
  sender outbox
  quiet off        # the test runs at any hour of the real clock
  on member.joined repeat
    +0  welcome  "欢迎 {{ member.name }}" @member
'''


class _Lines:
    """Collects a process's stderr lines in a thread, for waiting on them."""

    def __init__(self, stream):
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream):
        for line in stream:
            self.lines.append(line)

    def wait_for(self, text: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [line for line in self.lines if text in line]
            if found:
                return found[-1]
            time.sleep(0.05)
        raise AssertionError(f"no line with {text!r} within {timeout}s:\n" + "".join(self.lines))


def _wait_for_outbox(root, count: int, timeout: float = 20) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = _outbox(root)
        if len(lines) >= count:
            return lines
        time.sleep(0.05)
    raise AssertionError(f"the outbox has {len(_outbox(root))} messages, not {count}")


def test_a_running_runner_wakes_for_events_and_reloads_edits(tmp_path, run_sopc):
    root = write_project(tmp_path / "live", {"sopc.toml": OUTBOX_TOML, "m.sop": MEMBERS})
    env = {k: v for k, v in os.environ.items() if k not in ("SOPC_NOW", "SOPC_STATE")}
    process = subprocess.Popen([sys.executable, "-m", "sopc", "run", str(root)], env=env, text=True,
                               encoding="utf-8", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    log = _Lines(process.stderr)
    try:
        log.wait_for("running; waiting")
        second = run_sopc("run", str(root), "--once", cwd=tmp_path)
        assert second.exit_code == 1 and "already running" in second.stderr

        started = time.monotonic()
        joined = run_sopc("event", "member.joined", str(root), "--group", "hz_001", "--member", "m1",
                          "--name", "小王", cwd=tmp_path)
        assert joined.exit_code == 0, joined.stderr
        assert "picks them up now" in joined.stderr
        assert _wait_for_outbox(root, 1)[0]["text"] == "欢迎 小王"
        assert time.monotonic() - started < 10  # woken by the event, not by polling

        (root / "m.sop").write_text(MEMBERS.replace("欢迎 {{", "热烈欢迎 {{"), encoding="utf-8")
        log.wait_for("reloaded:")
        run_sopc("event", "member.joined", str(root), "--group", "hz_002", "--member", "m2", "--name", "小李",
                 cwd=tmp_path)
        assert _wait_for_outbox(root, 2)[1]["text"] == "热烈欢迎 小李"

        (root / "m.sop").write_text(MEMBERS.replace("+0", "+0 at 25:00"), encoding="utf-8")
        log.wait_for("still running the previous version")
        assert any("m.sop:7:" in line for line in log.lines)
        process.send_signal(signal.SIGHUP)
        run_sopc("event", "member.joined", str(root), "--group", "sh_001", "--member", "m3", "--name", "小张",
                 cwd=tmp_path)
        assert _wait_for_outbox(root, 3)[2]["text"] == "热烈欢迎 小张"

        status = json.loads(run_sopc("status", str(root), "--format", "json", cwd=tmp_path).stdout)
        assert status["runner"]["running"] is True and status["counts"]["sent"] == 3
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    assert process.returncode == 0
    log.wait_for("done: 3 sent")


# ---- sopc event ------------------------------------------------------------------------------

def test_event_records_and_the_next_run_sends_what_it_starts(tmp_path, run_sopc):
    root = write_project(tmp_path / "ev", {"sopc.toml": OUTBOX_TOML, "m.sop": MEMBERS.replace(
        '"欢迎 {{ member.name }}"', '"欢迎 {{ member.name }},订单 {{ event.order }}"')})
    result = run_sopc("event", "member.joined", str(root), "--group", "hz_001", "--member", "m1", "--name", "小王",
                      "--at", "2026-11-23T10:00", "--data", "order=A1001", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "recorded member.joined m1 (小王) in hz_001 at 2026-11-23 10:00" in result.stdout
    assert "no `sopc run` is running" in result.stderr
    run_sopc("run", str(root), "--once", "--now", "2026-11-23T10:01", cwd=tmp_path)
    assert [m["text"] for m in _outbox(root)] == ["欢迎 小王,订单 A1001"]


def test_bad_event_input_is_refused_with_the_reason_and_nothing_recorded(tmp_path, run_sopc):
    root = write_project(tmp_path / "ev", {"sopc.toml": OUTBOX_TOML, "m.sop": MEMBERS})
    typo = run_sopc("event", "member.joind", str(root), "--group", "hz_001", "--member", "m1", cwd=tmp_path)
    assert typo.exit_code == 1 and "did you mean `member.joined`" in typo.stderr
    assert "nothing recorded" in typo.stderr and "Traceback" not in typo.stderr
    no_member = run_sopc("event", "member.joined", str(root), "--group", "hz_001", cwd=tmp_path)
    assert no_member.exit_code == 1 and "member" in no_member.stderr
    bad_time = run_sopc("event", "member.joined", str(root), "--group", "hz_001", "--member", "m1",
                        "--at", "tomorrow", cwd=tmp_path)
    assert bad_time.exit_code == 2 and "not a date or time" in bad_time.stderr
    unknown = run_sopc("event", "member.joined", str(root), "--group", "hz_01", "--member", "m1", cwd=tmp_path)
    assert unknown.exit_code == 1 and "ignored: group `hz_01` is not in the roster; did you mean `hz_001`?" \
        in unknown.stderr
    events = tmp_path / "events.jsonl"
    events.write_text('{"event": "member.joined", "group": "hz_001", "member": "m1", "at": "2026-11-23T10:00"}\n'
                      '{"event": "member.joined", "group": "hz_002", "at": "2026-11-23T10:00"}\n', encoding="utf-8")
    from_file = run_sopc("event", "--file", str(events), str(root), cwd=tmp_path)
    assert from_file.exit_code == 1 and f"{events}:2: error:" in from_file.stderr
    assert not (root / ".sopc" / "state.db").exists() or sqlite3.connect(root / ".sopc" / "state.db").execute(
        "SELECT COUNT(*) FROM events").fetchone()[0] == 0


# ---- exit codes of `sopc run` (0 all sent or nothing due, 1 some failed, 2 usage) ----------------

BROKEN_TOML = OUTBOX_TOML + '''
[senders.broken]
kind = "file"
path = "blocked"   # a folder: appending to it fails, as a dead webhook would
'''


def _broken_project(tmp_path, *, broken_groups: set[str]):
    """The weekly project where the groups in ``broken_groups`` deliver
    through the sender that always fails (the roster's `sender` column)."""
    rows = ["id,name,tags,store,sender"] + [
        f"{gid},{name},福利群,{store},{'broken' if gid in broken_groups else 'outbox'}"
        for gid, name, store in (("hz_001", "杭州西湖店福利群", "西湖店"), ("hz_002", "杭州滨江店福利群", "滨江店"),
                                 ("sh_001", "上海人民广场店福利群", "人民广场店"))]
    root = write_project(tmp_path / "proj", {"sopc.toml": BROKEN_TOML, "groups.csv": "\n".join(rows) + "\n",
                                             "w.sop": WEEKLY.replace("  sender outbox\n", "")})
    (root / "blocked").mkdir()
    return root


def test_run_once_exits_1_when_every_delivery_failed(tmp_path, run_sopc):
    root = _broken_project(tmp_path, broken_groups={"hz_001", "hz_002", "sh_001"})
    result = run_sopc("run", str(root), "--once", "--now", NOW, cwd=tmp_path)
    assert "done: 0 sent, 3 failed" in result.stderr, result.stderr
    assert result.exit_code == 1  # cron sees it


def test_run_once_exits_1_when_some_deliveries_failed(tmp_path, run_sopc):
    root = _broken_project(tmp_path, broken_groups={"hz_002"})
    result = run_sopc("run", str(root), "--once", "--now", NOW, cwd=tmp_path)
    assert "done: 2 sent, 1 failed" in result.stderr, result.stderr
    assert result.exit_code == 1
    assert [m["group"] for m in _outbox(root)] == ["hz_001", "sh_001"]


def test_run_once_exits_0_when_nothing_is_due(tmp_path, run_sopc):
    root = _broken_project(tmp_path, broken_groups={"hz_001", "hz_002", "sh_001"})
    result = run_sopc("run", str(root), "--once", "--now", "2026-11-24T09:00", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "done: 0 sent, 0 failed" in result.stderr


def test_run_help_and_readme_document_the_exit_codes(tmp_path, run_sopc):
    from pathlib import Path

    help_text = " ".join(run_sopc("run", "--help", cwd=tmp_path).stdout.split())
    for promise in ("0 every due message was sent, or nothing was due", "1 some deliveries failed",
                    "2 bad usage"):
        assert promise in help_text
    readme = " ".join((Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8").split())
    assert "`sopc run --once` exits 0 when every due message was sent (or nothing was due), 1 when some " \
           "deliveries failed" in readme


def test_run_usage_errors_exit_2(weekly, run_sopc):
    assert run_sopc("run", str(weekly), "--concurrency", "0", cwd=weekly.parent).exit_code == 2
    assert run_sopc("run", str(weekly), "--once", "--now", "yesterday", cwd=weekly.parent).exit_code == 2


def test_a_dry_run_without_once_is_one_pass_and_ends(weekly, run_sopc):
    """README: `sopc run --dry-run` prints what would go out now. A real
    process, so that a dry run waiting for good fails by its timeout."""
    env = {k: v for k, v in os.environ.items() if k not in ("SOPC_NOW", "SOPC_STATE")}
    try:
        result = subprocess.run([sys.executable, "-m", "sopc", "run", str(weekly), "--dry-run", "--now", NOW],
                                env=env, capture_output=True, text=True, encoding="utf-8", timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("`sopc run --dry-run` did not end within 60 s")
    assert result.returncode == 0, result.stderr
    assert "welfare/coupon -> 杭州西湖店福利群 (hz_001)" in result.stdout
    assert "done: 3 sent" in result.stderr
    assert not (weekly / ".sopc" / "state.db").exists()


def test_the_installed_command_exits_1_when_deliveries_failed(tmp_path):
    """The real process: `sopc.cli.main` passes the exit status on to cron."""
    root = _broken_project(tmp_path, broken_groups={"hz_002"})
    env = {k: v for k, v in os.environ.items() if k not in ("SOPC_NOW", "SOPC_STATE")}
    failed = subprocess.run([sys.executable, "-m", "sopc", "run", str(root), "--once", "--now", NOW], env=env,
                            capture_output=True, text=True, encoding="utf-8", timeout=60)
    assert failed.returncode == 1 and "done: 2 sent, 1 failed" in failed.stderr, failed.stderr
    idle = subprocess.run([sys.executable, "-m", "sopc", "run", str(root), "--once", "--now", "2026-11-24T09:00"],
                          env=env, capture_output=True, text=True, encoding="utf-8", timeout=60)
    assert idle.returncode == 0, idle.stderr
