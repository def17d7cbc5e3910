"""`sopc run` as a process: the lock, signals, file watching and logging
around a :class:`sopc.run.runner.Runner`.

Signals: SIGHUP re-reads the project, SIGUSR1 wakes the runner for new
events (``sopc event`` / ``sopc serve`` send it), SIGTERM and Ctrl-C stop it
after the deliveries in flight have answered.

A one-pass run (``--once``, and every ``--dry-run``) ends with an exit
status a cron job can act on (:func:`exit_status`): 0 when every due message
was sent or nothing was due, 1 when some delivery did not go out.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import sys
from pathlib import Path
from typing import Callable, Sequence, TextIO

from sopc.core.clock import Clock, FixedClock, SystemClock
from sopc.core.messages import MessageState as S
from sopc.core.progress import QUIET, Progress
from sopc.core.i18n import _
from sopc.core.reasons import reason_word
from sopc.core.records import dataclass
from sopc.project.loader import find_root
from sopc.run.runlock import RunLock, state_path
from sopc.run.runner import RunOptions, Runner, RunTally, StartError
from sopc.run.store import SenderState, SQLiteStore
from sopc.run.worker import SENT
from sopc.senders.base import SenderRuntime
from sopc.senders.dryrun import DryRunSender

# What an edit looks like: sources of the plan, not the state or an outbox.
IGNORED_DIRS = {".sopc", ".git", "__pycache__", ".venv", "node_modules"}
IGNORED_SUFFIXES = (".jsonl", ".db", ".db-wal", ".db-shm", ".lock", ".log", ".pyc", ".swp", "~")


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRequest:
    paths: Sequence[Path]
    once: bool = False
    dry_run: bool = False
    state: Path | None = None
    now: dt.datetime | None = None
    options: RunOptions = RunOptions()
    quiet: bool = False
    zone: object = dt.timezone.utc  # the project's, for the log's timestamps
    progress: Progress = QUIET      # told how far the start (the first sync) is


class Logger:
    """One line per thing that happened, stamped with the runner's clock."""

    def __init__(self, clock: Clock, zone, stream: TextIO, quiet: bool, progress: Progress = QUIET):
        self.clock, self.zone, self.stream, self.quiet = clock, zone, stream, quiet
        self.progress = progress
        self.routine = _(SENT).partition("{")[0]  # how a line about a sent message starts, in this language

    def __call__(self, line: str) -> None:
        if self.quiet and line.startswith(self.routine):
            return
        self.progress.make_room()
        stamp = self.clock.now().astimezone(self.zone)
        self.stream.write(f"[{stamp:%Y-%m-%d %H:%M:%S}] {line}\n")
        self.stream.flush()


def run_project(request: RunRequest, *, report: Callable) -> int:
    """Run; the process's exit status. ``report`` prints a build's diagnostics."""
    root = find_root(list(request.paths))
    clock: Clock = FixedClock(request.now) if request.now else SystemClock()
    log = Logger(clock, request.zone, sys.stderr, request.quiet, request.progress)
    state = state_path(root, request.state)
    lock = RunLock(state) if not request.dry_run else None
    try:
        if lock is not None:
            lock.acquire()
        # A dry run works on a copy: it sees exactly what a run would, and changes nothing.
        store = SQLiteStore.copy_to_memory(state) if request.dry_run else SQLiteStore(state)
    except Exception as exc:  # AlreadyRunning, or the state file cannot be opened
        log(_("error: {message}").format(message=exc))
        return 1
    runner = Runner(list(request.paths), store, clock, options=request.options, log=log, report=report,
                    **_senders(request, store))
    try:
        runner.start(request.progress)
    except StartError as exc:
        if exc.build is not None:
            report(exc.build)
        log(_("error: {message}").format(message=exc) + (_("; or try `sopc run --dry-run`") if exc.build is None else ""))
        return 1
    try:
        tally = asyncio.run(_main(runner, request, root))
    finally:
        store.close()
        if lock is not None:
            lock.release()
    log(summary(tally))
    return exit_status(tally) if _one_pass(request) else 0


def _one_pass(request: RunRequest) -> bool:
    """A dry run is always one pass: it shows what would go out now, then ends."""
    return request.once or request.dry_run


def exit_status(tally: RunTally) -> int:
    """0: every delivery of the pass was sent (or nothing was due; skipped
    and cancelled messages are decisions, not failures); 1: some failed, are
    in doubt, or wait for a retry, so a cron job notices."""
    undelivered = tally.states[S.FAILED] + tally.states[S.IN_DOUBT] + tally.retrying
    return 1 if undelivered else 0


def _senders(request: RunRequest, store: SQLiteStore) -> dict:
    """How the runner's senders are built. A dry run prints through a stand-in
    for each sender, held to that sender's contract (a message the real
    sender would refuse is recorded failed, with its reason); a real run lends
    its senders the state store, where 企业群发 keeps its access token."""
    if request.dry_run:
        return {"override_sender": DryRunSender(stdout=sys.stdout)}
    return {"runtime": SenderRuntime(extra={"state": SenderState(store)})}


async def _main(runner: Runner, request: RunRequest, root: Path) -> RunTally:
    if _one_pass(request):
        return await runner.run_once()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for name, action in (("SIGTERM", stop.set), ("SIGINT", stop.set), ("SIGHUP", runner.request_reload),
                         ("SIGUSR1", runner.wake)):
        if hasattr(signal, name):
            loop.add_signal_handler(getattr(signal, name), action)
    watcher = loop.create_task(_watch(root, runner, stop))
    runner.log(_("running; waiting for the next message (Ctrl-C stops; edits to {folder}/ reload)").format(
        folder=root.name))
    try:
        return await runner.run_forever(stop)
    finally:
        stop.set()
        watcher.cancel()


async def _watch(root: Path, runner: Runner, stop: asyncio.Event) -> None:
    """Reload when a playbook, template, roster or sopc.toml changes."""
    try:
        from watchfiles import awatch
    except ImportError:  # SIGHUP still works
        return
    try:
        async for _changes in awatch(root, stop_event=stop, watch_filter=_is_source, recursive=True):
            runner.request_reload()
    except (OSError, RuntimeError) as exc:
        runner.log(_("warning: not watching {folder} for edits ({problem}); send SIGHUP to reload").format(
            folder=root, problem=exc))


def _is_source(change, path: str) -> bool:
    parts = Path(path).parts
    return not (IGNORED_DIRS.intersection(parts) or path.endswith(IGNORED_SUFFIXES))


def summary(tally: RunTally) -> str:
    states = tally.states
    text = _("done: {sent} sent, {failed} failed, {skipped} skipped, {cancelled} cancelled, {doubt} in-doubt").format(
        sent=states[S.SENT], failed=states[S.FAILED], skipped=states[S.SKIPPED], cancelled=states[S.CANCELLED],
        doubt=states[S.IN_DOUBT])
    if tally.reasons:
        text += " (" + ", ".join(f"{reason_word(reason)} ×{n}" for reason, n in tally.reasons.most_common()) + ")"
    if tally.retrying:
        text += _("; {count} to retry").format(count=tally.retrying)
    return text
