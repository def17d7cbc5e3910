"""Benchmark: lifecycle events in the millions (issue 9, items 1 and 2).

Prints numbers and PASS/FAIL per target; it is not a test. Run from the
repository root:

    .venv/bin/python bench/bench_lifecycle.py                      # 1k .. 1M, with the old code beside
    .venv/bin/python bench/bench_lifecycle.py --sizes 1000,10000 --no-baseline

The scenario (from the issue): 100 member groups, a year of history made of N
`member.message` events (20 members a group, random whole-second times in
2025-12-01 .. 2026-12-01 09:00), and a project whose lifecycle playbook has
the triggers the history feeds: `member.silent 7d` (with `until
member.message`), `group.stage 沉默期` and `group.stage 流失期` from a
five-rule `stages` block, and `member.joined until member.purchased`.

For each N, in fresh child processes (their own interpreter, so neither
contender's memory or caches help the other):

* **wake**: a runner on a state file holding the N events, left by a runner
  that planned them all up to now and stopped (started first, untimed), then one new `member.message` recorded as `sopc event` does, and
  the time of `Runner.take_events()` + `planner.extend(now)`: what a wake of
  `sopc run` does about it. Median of 5 wakes, each after one new event in
  another group (the old code: one wake, as long as its start).
* **start**: opening the state file and `Runner.start()`: **cold** (no
  lifecycle state stored yet: the first start after an upgrade, or after an
  edit to the triggers; the first open also adds an index) and **warm** (a
  restart: the state stored by the run before).
* **plan**: `sopc plan PROJECT --events FILE --from 2025-12-01 --to
  2026-11-30 --format jsonl` (a new process, output to /dev/null), the N
  events in a JSONL file. The command refuses an events file over 64 MiB
  (an input bound, issue 11), and 1M events are ~120 MB: the child runs the
  command's own code in process with that one bound lifted.

The old code (``--baseline-rev``, default caf0fce: the last revision before
the lifecycle state) runs the same children from a `git worktree`, with a
time cap per run (``--cap``, 60 s): a size that takes longer is cut off and
the larger sizes are skipped for it. Its numbers measured by the issue are
printed above for reference.

Growth exponents are least-squares slopes of log(seconds) over log(N).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

GROUPS = 100
MEMBERS = 20
FIRST = dt.datetime(2025, 12, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
PLAN_WINDOW = ("--from", "2025-12-01", "--to", "2026-11-30")

# Targets from the issue.
TARGET_WAKE = 0.050         # s, one wake after 1 new event, 1M events of history
TARGET_WAKE_FLAT = 0.2      # growth exponent of the wake from 10k to 1M: "flat"
TARGET_START = 30.0         # s, `sopc run` start with 1M events
TARGET_PLAN = 10.0          # s, `sopc plan --events` with 100k events
TARGET_PLAN_LINEAR = 1.15   # growth exponent of plan from 1k to 1M: linear (or better)

OLD_NUMBERS = """\
measured by the issue on this machine, before (one year, 100 groups):
  runner wake after 1 new event:  1k 1.9 s, 3k 20.6 s, 10k 187 s (exponent 1.98); Runner.start() the same
  sopc plan --events:             1k 4.2 s, 3k 21.9 s, 10k 171 s
  store.events() alone:           12.4 s at 1M rows"""

SOPC_TOML = '''timezone = "Asia/Shanghai"

[senders.console]
kind = "console"
'''

LIFECYCLE_SOP = '''
playbook members "会员群生命周期"
  to groups tagged 会员群
  sender console

  on member.joined until member.purchased until member.left
    +0               welcome           "欢迎 {{ member.name }}" @member
    +1d at 11:00     newcomer_coupon   "{{ member.name }},新人券已到账" @member

  on member.silent 7d repeat until member.message
    +0               care              "{{ member.name }},好久不见" @member
    +1d at 11:00     comeback_coupon   "{{ member.name }},回归券给你留着" @member

  on group.stage 沉默期 repeat
    +0               wake_up           "好久没热闹啦,发红包!" @all
    +2d at 20:00     wake_up_game      "晚间小游戏"

  on group.stage 流失期 repeat
    +0               win_back          remind staff "{{ group.name }} 两周没人说话了"

stages
  初建期 when age < 7d
  流失期 when silent >= 14d
  沉默期 when silent >= 5d
  成长期 when age < 30d
  成熟期 otherwise
'''


# ---- the input --------------------------------------------------------------------------------

def write_project(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "sopc.toml").write_text(SOPC_TOML, encoding="utf-8")
    (root / "members.sop").write_text(LIFECYCLE_SOP, encoding="utf-8")
    rows = ["id,name,tags,created"]
    for g in range(GROUPS):
        created = FIRST.date() - dt.timedelta(days=g)
        rows.append(f"g{g:03d},会员群{g:03d},会员群,{created.isoformat()}")
    (root / "groups.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root


def history(size: int, seed: int = 9) -> list[tuple[str, str, str, str]]:
    """``size`` member.message events (group, member, name, ISO time), in time order."""
    rng = random.Random(seed)
    span = int((NOW - FIRST).total_seconds())
    events = []
    for _ in range(size):
        g, m = rng.randrange(GROUPS), rng.randrange(MEMBERS)
        at = FIRST + dt.timedelta(seconds=rng.randrange(span))
        events.append((f"g{g:03d}", f"m{g:03d}_{m:02d}", f"会员{m:02d}", at.isoformat()))
    events.sort(key=lambda e: e[3])
    return events


def write_state(path: Path, events) -> None:
    """A state file holding the events, as `sopc event` would have recorded
    them, left by a runner that planned them all up to now and stopped
    (the events and meta tables are the same in the old code and the new;
    the new code's lifecycle state is not there: the first start after an
    upgrade)."""
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE IF NOT EXISTS events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, grp TEXT NOT NULL, member TEXT,
            at TEXT NOT NULL, name TEXT, data TEXT NOT NULL, argument TEXT, received REAL NOT NULL);
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);""")
    db.executemany("INSERT INTO events (kind, grp, member, at, name, data, argument, received) "
                   "VALUES ('member.message', ?, ?, ?, ?, '{}', NULL, 0)",
                   [(g, m, at, name) for g, m, name, at in events])
    db.executemany("INSERT INTO meta (key, value) VALUES (?, ?)",
                   [("horizon", NOW.isoformat()), ("events_planned", str(len(events)))])
    db.commit()
    db.close()


def write_events_file(path: Path, events) -> None:
    with path.open("w", encoding="utf-8") as out:
        for g, m, name, at in events:
            out.write(json.dumps({"event": "member.message", "group": g, "member": m, "name": name, "at": at},
                                 ensure_ascii=False) + "\n")


# ---- the children -------------------------------------------------------------------------------

def child_run(project: Path, state: Path, wakes: int) -> dict:
    """In a child: Runner.start() on the state file, then ``wakes`` wakes after one new event each."""
    from sopc.core.clock import FixedClock
    from sopc.core.events import Event
    from sopc.run.runner import Runner
    from sopc.run.store import SQLiteStore

    began = time.perf_counter()
    store = SQLiteStore(state)  # (the new code's first open adds an index on the events' group: timed)
    clock = FixedClock(NOW)
    runner = Runner([project], store, clock, log=lambda line: None)
    runner.start()
    result = {"start": time.perf_counter() - began, "wakes": []}
    for number in range(wakes):
        now = NOW + dt.timedelta(seconds=number + 1)
        clock.moment = now
        group = f"g{(number * 37) % GROUPS:03d}"
        store.add_event(Event(kind="member.message", group=group, member=f"m{group[1:]}_00", at=now,
                              name="会员00"), now)
        began = time.perf_counter()
        runner.take_events()
        runner.planner.extend(now)
        result["wakes"].append(time.perf_counter() - began)
    store.close()
    return result


def run_child(args: list[str], env: dict, cap: float) -> dict | None:
    """A child's JSON answer; None when it ran past ``cap`` seconds."""
    try:
        done = subprocess.run([sys.executable, str(Path(__file__).resolve()), *args], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=cap)
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        sys.exit(f"child {args} failed:\n{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])


def child_plan(project: Path, events: Path) -> None:
    """In a child: `sopc plan PROJECT --events FILE ...`, the command itself,
    with the 64 MiB bound on an events file lifted (1M events are ~120 MB)."""
    import sopc.events.reader as reader
    from sopc.cli import main as sopc_main

    reader.MAX_EVENTS_FILE_BYTES = 1 << 40
    sys.argv = ["sopc", "plan", str(project), "--events", str(events), *PLAN_WINDOW, "--format", "jsonl",
                "--now", "2026-12-01T09:00"]
    sopc_main()


def time_plan(project: Path, events: Path, env: dict, cap: float) -> float | None:
    """Seconds of a child running `sopc plan --events` (:func:`child_plan`), from its start to its end."""
    began = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--plan-child", str(project),
                               str(events)], env=env, cwd=project, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, timeout=cap)
    except subprocess.TimeoutExpired:
        return None
    if done.returncode not in (0, 1):
        sys.exit(f"sopc plan failed:\n{done.stderr}")
    return time.perf_counter() - began


# ---- measuring ---------------------------------------------------------------------------------

class Contender:
    """The code under test (the working tree) or the old revision."""

    def __init__(self, label: str, env: dict, cap: float | None, wakes: int):
        self.label = label
        self.env = env
        self.wakes = wakes
        self.cap = cap if cap is not None else 24 * 3600.0
        self.rows: dict[int, dict] = {}
        self.cut: dict[str, int] = {}   # measure -> the size it was cut off at

    def measure(self, size: int, scratch: Path, events, project: Path, events_file: Path) -> dict:
        row = self.rows.setdefault(size, {})
        if "run" not in self.cut:
            state = scratch / f"state-{self.label}-{size}.db"
            write_state(state, events)
            cold = run_child(["--child", str(project), str(state), str(self.wakes)], self.env, self.cap)
            warm = run_child(["--child", str(project), str(state), "0"], self.env, self.cap) if cold else None
            state.unlink(missing_ok=True)
            for suffix in ("-wal", "-shm"):
                Path(f"{state}{suffix}").unlink(missing_ok=True)
            if cold is None or warm is None:
                self.cut["run"] = size
            else:
                row.update(wake=statistics.median(cold["wakes"]), cold=cold["start"], warm=warm["start"])
        if "plan" not in self.cut:
            seconds = time_plan(project, events_file, self.env, self.cap)
            if seconds is None:
                self.cut["plan"] = size
            else:
                row["plan"] = seconds
        return row


def exponent(points: list[tuple[int, float]]) -> float | None:
    """The least-squares slope of log(seconds) over log(N)."""
    points = [(n, s) for n, s in points if s and s > 0]
    if len(points) < 2:
        return None
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(s) for _, s in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def cell(value: float | None, cut: bool = False) -> str:
    if value is None:
        return "cut" if cut else "-"
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def table(contenders: list[Contender], sizes: list[int]) -> None:
    measures = (("wake", "wake after 1 event"), ("cold", "start, no state"), ("warm", "start, state stored"),
                ("plan", "plan --events"))
    for key, title in measures:
        print(f"\n{title}")
        print(f"  {'N':>9} " + " ".join(f"{c.label:>14}" for c in contenders))
        for size in sizes:
            cells = []
            for c in contenders:
                cut_at = c.cut.get("plan" if key == "plan" else "run")
                cells.append(cell(c.rows.get(size, {}).get(key), cut=cut_at is not None and size >= cut_at))
            print(f"  {size:>9,} " + " ".join(f"{x:>14}" for x in cells))
        line = []
        for c in contenders:
            e = exponent([(n, r.get(key)) for n, r in c.rows.items()])
            line.append(f"{'n/a' if e is None else f'{e:.2f}':>14}")
        print(f"  {'exponent':>9} " + " ".join(line))


def verdicts(new: Contender) -> bool:
    rows = new.rows
    results = []

    def verdict(name: str, ok: bool | None, measured: str) -> None:
        results.append(ok)
        print(f"{'PASS' if ok else ('FAIL' if ok is not None else 'n/a ')}  {name}: {measured}")

    wake = rows.get(1_000_000, {}).get("wake")
    verdict(f"wake after 1 new event with 1M events of history < {TARGET_WAKE * 1000:.0f} ms",
            None if wake is None else wake < TARGET_WAKE, cell(wake))
    flat = exponent([(n, r.get("wake")) for n, r in rows.items() if n >= 10_000])
    verdict(f"wake flat from 10k to 1M (exponent < {TARGET_WAKE_FLAT})",
            None if flat is None else flat < TARGET_WAKE_FLAT, "n/a" if flat is None else f"{flat:.2f}")
    start = rows.get(1_000_000, {}).get("cold")
    verdict(f"`sopc run` start with 1M events < {TARGET_START:.0f} s (no state stored: the worst case)",
            None if start is None else start < TARGET_START, cell(start))
    plan = rows.get(100_000, {}).get("plan")
    verdict(f"`sopc plan --events` with 100k events < {TARGET_PLAN:.0f} s",
            None if plan is None else plan < TARGET_PLAN, cell(plan))
    linear = exponent([(n, r.get("plan")) for n, r in rows.items()])
    verdict(f"`sopc plan --events` linear from 1k to 1M (exponent <= {TARGET_PLAN_LINEAR})",
            None if linear is None else linear <= TARGET_PLAN_LINEAR, "n/a" if linear is None else f"{linear:.2f}")
    return all(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000,1000000")
    parser.add_argument("--baseline-rev", default="caf0fce")
    parser.add_argument("--baseline-sizes", default="1000,3000,10000",
                        help="sizes for the old code (cut off past --cap seconds)")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--cap", type=float, default=60.0, help="seconds per run of the old code")
    parser.add_argument("--child", nargs=3, metavar=("PROJECT", "STATE", "WAKES"), help=argparse.SUPPRESS)
    parser.add_argument("--plan-child", nargs=2, metavar=("PROJECT", "EVENTS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.plan_child:
        child_plan(Path(args.plan_child[0]), Path(args.plan_child[1]))
        return
    if args.child:
        project, state, wakes = args.child
        print(json.dumps(child_run(Path(project), Path(state), int(wakes))))
        return

    from bench_start import add_worktree, check_imports_from, remove_worktree, write_metadata

    sizes = [int(s) for s in args.sizes.split(",")]
    old_sizes = [] if args.no_baseline else [int(s) for s in args.baseline_sizes.split(",")]
    print(OLD_NUMBERS)
    with tempfile.TemporaryDirectory(prefix="bench-lifecycle-") as folder:
        scratch = Path(folder)
        project = write_project(scratch / "project")
        env = dict(os.environ, NO_COLOR="1", PYTHONPYCACHEPREFIX=str(scratch / "pycache"))
        for name in ("PYTHONPATH", "SOPC_NOW", "PYTHONDONTWRITEBYTECODE"):
            env.pop(name, None)
        new = Contender("now", env, None, wakes=5)
        contenders = [new]
        tree = None
        if old_sizes:
            tree = add_worktree(args.baseline_rev, scratch)
            metadata = write_metadata(tree, scratch / "metadata")
            old_env = dict(env, PYTHONPATH=os.pathsep.join((str(tree), str(metadata))))
            check_imports_from(tree, metadata, old_env)
            # one wake: each costs the old code as much as its start
            contenders.append(Contender(f"@{args.baseline_rev}", old_env, args.cap, wakes=1))
        try:
            for size in sorted(set(sizes) | set(old_sizes)):
                events = history(size)
                events_file = scratch / f"events-{size}.jsonl"
                write_events_file(events_file, events)
                for contender in contenders:
                    if contender is new and size not in sizes or contender is not new and size not in old_sizes:
                        continue
                    row = contender.measure(size, scratch, events, project, events_file)
                    print(f"  [{contender.label}] {size:,} events: " + ", ".join(
                        f"{k} {cell(v)}" for k, v in row.items()) + "".join(
                        f" ({k} cut off past {contender.cap:.0f} s)" for k, at in contender.cut.items() if at == size),
                        flush=True)
                events_file.unlink()
        finally:
            if tree is not None:
                remove_worktree(tree)
        table(contenders, sorted(set(sizes) | set(old_sizes)))
    print()
    ok = verdicts(new)
    print(f"\n{'all targets PASS' if ok else 'some target FAILS'}")


if __name__ == "__main__":
    main()
