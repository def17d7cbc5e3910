"""Progress bars: long `plan`, `check`, `event --file` and the first sync of
`run` draw one on stderr when that is a terminal, and nothing when it is
not, or with -q. Real processes on a real pseudo-terminal (the pty module):
only a process shows what a terminal gets."""

from __future__ import annotations

import fcntl
import os
import pty
import shutil
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from sopc.core.progress import QUIET, Progress, counted, through_time

REPO = Path(__file__).resolve().parent.parent
NOW = "2026-11-24T10:00"
BAR = "\r\x1b[?25l"  # click's bar starts each drawing so: back to the line's start, cursor hidden


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOPC_") and k not in ("LANG", "LC_ALL")}
    env.update(NO_COLOR="1", PYTHONIOENCODING="utf-8", LANG="C.UTF-8", COLUMNS="100")
    return env


def sopc(*args: str, cwd: Path, stderr_tty: bool = True, stdout_tty: bool = False) -> tuple[int, str, str]:
    """``sopc ARGS`` in a fresh process: (exit status, stdout, stderr), with
    stderr (and stdout, if asked) on a pseudo-terminal 100 columns wide."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    out_file = cwd / ".stdout"
    with open(out_file, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "sopc", *args], cwd=cwd, env=_env(),
                                   stdin=subprocess.DEVNULL, stdout=slave if stdout_tty else out,
                                   stderr=slave if stderr_tty else subprocess.PIPE)
        os.close(slave)
        terminal = _read_all(master)
        piped = process.stderr.read() if process.stderr else b""
        status = process.wait(timeout=120)
    stdout = out_file.read_bytes().decode("utf-8")
    err = (terminal if stderr_tty else piped).decode("utf-8", errors="replace")
    return status, stdout if not stdout_tty else terminal.decode("utf-8", errors="replace"), err


def screen(text: str) -> list[str]:
    """The lines a terminal shows once ``text`` was written to it: a
    carriage return goes back to the line's start, ESC[K erases to its end,
    a character overwrites the one under the cursor; other escapes show nothing."""
    lines, line, column = [], [], 0
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\x1b":
            end = i + 2
            while end < len(text) and not text[end].isalpha():
                end += 1
            if text[end:end + 1] == "K":
                del line[column:]
            i = end + 1
            continue
        if char == "\r":
            column = 0
        elif char == "\n":
            lines.append("".join(line).rstrip())
            line, column = [], 0
        else:
            line[column:column + 1] = [char]
            column += 1
        i += 1
    if line:
        lines.append("".join(line).rstrip())
    return lines


def _read_all(master: int) -> bytes:
    """Everything the process wrote to the terminal, until it closed it."""
    data = b""
    try:
        while chunk := os.read(master, 65536):
            data += chunk
    except OSError:  # EIO: the last writer closed the terminal
        pass
    finally:
        os.close(master)
    return data


@pytest.fixture
def lifecycle(tmp_path) -> Path:
    """examples/lifecycle in a folder of its own (run and event write its state)."""
    folder = tmp_path / "lc"
    shutil.copytree(REPO / "examples" / "lifecycle", folder)
    return folder


def test_plan_draws_a_bar_on_a_terminal_and_nothing_when_piped_or_quiet(lifecycle):
    args = ("plan", ".", "--from", "2026-11-23", "--to", "2026-12-31", "--now", NOW, "--format", "jsonl")
    status, out, err = sopc(*args, cwd=lifecycle)
    assert status == 0, err
    assert BAR in err and "planning" in err and "%" in err
    assert err.rstrip().endswith("\x1b[K\x1b[?25h"), "the bar is wiped at the end and the cursor shown again"
    assert out.count("\n") > 10 and BAR not in out  # the plan itself, untouched

    status, piped_out, piped_err = sopc(*args, cwd=lifecycle, stderr_tty=False)
    assert status == 0 and piped_out == out
    assert "planning" not in piped_err and "\r" not in piped_err and "%" not in piped_err

    status, _, quiet_err = sopc(*args, "-q", cwd=lifecycle)
    assert status == 0 and "planning" not in quiet_err and "\x1b" not in quiet_err


def test_plan_printed_to_the_terminal_itself_gets_no_bar(lifecycle):
    """The table streams to the same terminal: a bar would break its lines."""
    status, out, _ = sopc("plan", ".", "--now", NOW, cwd=lifecycle, stdout_tty=True)
    assert status == 0 and "gy_members" in out
    assert "planning" not in out and BAR not in out


def test_check_shows_reading_and_checking_the_plan(lifecycle):
    status, _, err = sopc("check", ".", "--now", NOW, cwd=lifecycle)
    assert "reading playbooks" in err and "checking the plan" in err, err
    # What stays on the screen: the diagnostics (or the all-clear), no trace of the bar.
    shown = screen(err)
    assert status in (0, 1) and shown and "Traceback" not in err
    assert not [line for line in shown if "%" in line or "[---" in line], shown

    status, _, quiet = sopc("check", ".", "--now", NOW, "-q", cwd=lifecycle)
    assert "checking the plan" not in quiet and "\x1b[?25l" not in quiet
    assert "no problems found" not in quiet


def test_event_file_and_the_first_sync_of_run_show_their_stages(lifecycle):
    status, out, err = sopc("event", "--file", "events.jsonl", ".", cwd=lifecycle)
    assert status == 0, err
    assert "checking events" in err and "recording events" in err
    assert "recorded member.joined m_amy (Amy)" in out  # the confirmations: on stdout, whole

    status, out, err = sopc("run", ".", "--dry-run", "--now", NOW, cwd=lifecycle)
    assert status == 0, err
    assert "reading playbooks" in err and "planning" in err and "replaying events" in err
    # Every log line stays whole on a line of its own: the bar was wiped before it.
    shown = screen(err)
    assert shown and all(line.startswith("[2026-11-24 10:00:00] ") for line in shown), shown
    assert any(line.startswith("[2026-11-24 10:00:00] planned 5 new message(s)") for line in shown)

    status, _, err = sopc("run", ".", "--dry-run", "--now", NOW, "-q", cwd=lifecycle)
    assert status == 0 and "replaying events" not in err and "\x1b[?25l" not in err


# ---- the library's side: what it tells a Progress -----------------------------------------------

class Recorder(Progress):
    def __init__(self):
        self.told: list[tuple] = []

    def begin(self, label, total):
        self.told.append(("begin", label, total))

    def advance_to(self, done, note=""):
        self.told.append(("at", done, note))

    def end(self):
        self.told.append(("end",))


def test_through_time_reports_minutes_into_the_window_once_per_moment():
    import datetime as dt

    start = dt.datetime(2026, 11, 23, tzinfo=dt.timezone.utc)
    times = [start + dt.timedelta(hours=h) for h in (1, 1, 1, 12, 47)]
    recorder = Recorder()
    assert list(through_time(recorder, "planning", times, start, start + dt.timedelta(days=2), at=lambda t: t)) == times
    assert recorder.told == [("begin", "planning", 2880), ("at", 60, "2026-11-23"), ("at", 720, "2026-11-23"),
                             ("at", 2820, "2026-11-24"), ("at", 2880, ""), ("end",)]


def test_the_screen_reader_sees_what_a_terminal_shows():
    assert screen("\r\x1b[?25lplanning [--]  0%\r\x1b[K\x1b[?25hdone\nabc\rX") == ["done", "Xbc"]


def test_a_stage_ends_when_its_consumer_stops_early_and_quiet_is_told_nothing():
    recorder = Recorder()
    for item in counted(recorder, "recording events", iter(range(10)), 10):
        if item == 2:
            break
    assert recorder.told[0] == ("begin", "recording events", 10) and recorder.told[-1] == ("end",)
    assert list(counted(QUIET, "x", [1, 2], 2)) == [1, 2]
