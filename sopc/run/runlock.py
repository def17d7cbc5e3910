"""Where a project's run state lives, and the one-runner-per-project lock.

``.sopc/state.db`` beside ``sopc.toml`` (``SOPC_STATE`` or ``--state``
choose another file). ``sopc run`` holds an exclusive lock on
``state.db.lock`` holding its pid, so a second runner on the same state
refuses to start, and ``sopc event`` / ``sopc serve`` can wake the runner
(SIGUSR1) the moment an event is recorded.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from sopc.core.i18n import _
from sopc.run.store import SQLiteStore

STATE_DIR = ".sopc"
STATE_FILE = "state.db"


def state_path(project_dir: Path, override: str | Path | None = None) -> Path:
    chosen = override or os.environ.get("SOPC_STATE")
    return Path(chosen) if chosen else project_dir / STATE_DIR / STATE_FILE


class NoRunState(LookupError):
    """Nothing has run yet: there is no state file to read."""


def open_state(project_dir: Path, override: str | Path | None = None, *,
               must_exist: bool = True) -> tuple[Path, SQLiteStore]:
    """The state file's path and the store on it (the caller closes it).
    ``must_exist=False`` creates the file: recording an event or a pause
    before the first run is fine."""
    state = state_path(project_dir, override)
    if must_exist and not state.is_file():
        raise NoRunState(_("no run state at {path}: nothing has run yet (start `sopc run`)").format(path=state))
    return state, SQLiteStore(state)


def _lock_path(state: Path) -> Path:
    return state.with_name(state.name + ".lock")


class AlreadyRunning(RuntimeError):
    def __init__(self, pid: int | None, path: Path):
        self.pid = pid
        who = f"pid {pid}" if pid else _("another process")
        super().__init__(_("another `sopc run` is already running on {path} ({who}); stop it first, "
                           "or give this one its own state with --state").format(path=path, who=who))


class RunLock:
    """An exclusive, non-blocking lock that dies with its process (flock)."""

    def __init__(self, state: Path):
        self.path = _lock_path(state)
        self._file = None

    def acquire(self) -> "RunLock":
        try:
            import fcntl
        except ImportError:  # no flock (Windows): run without the guard
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="ascii")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise AlreadyRunning(runner_pid(self.path.with_suffix("")), self.path.with_suffix("")) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle
        return self

    def release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> "RunLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def runner_pid(state: Path) -> int | None:
    """The pid of the runner holding ``state``'s lock, if one does."""
    path = _lock_path(state)
    try:
        import fcntl
        with open(path, "r", encoding="ascii") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError:  # held: a runner is alive
                text = handle.read().strip()
                return int(text) if text.isdigit() else None
            fcntl.flock(handle, fcntl.LOCK_UN)
            return None
    except (OSError, ImportError):
        return None


def notify_runner(state: Path) -> bool:
    """Wake the runner (if one is running) so it reads new events now."""
    pid = runner_pid(state)
    if pid is None or pid == os.getpid() or not hasattr(signal, "SIGUSR1"):
        return False
    try:
        os.kill(pid, signal.SIGUSR1)
    except OSError:
        return False
    return True
