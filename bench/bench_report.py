"""Benchmark: `sopc report` on a state file of 10k, 100k and 1M messages.

Prints numbers; it is not a test. Run from the repository root:

    .venv/bin/python bench/bench_report.py                  # 10k, 100k, 1M (~2 minutes)
    .venv/bin/python bench/bench_report.py --sizes 10000,100000

The state file is made by the real store (``SQLiteStore``: schema, indexes,
the tally's triggers) and filled with one INSERT ... SELECT over a
recursive CTE, as a year of running would leave it: 5,000 groups, 20
playbooks, planned over 2026; 80% sent (a fifth of them 企业群发: 85%
confirmed, 10% waiting, 5% not sent by the owner), 8% skipped over five
reasons (each with its own detail: minutes late, the group), 4% cancelled,
3% failed (errors carrying request ids and group names, as WeCom's do),
0.1% in doubt, the rest (December) pending.

For each size, in fresh processes of the real command line (`python -m
sopc`), the median of 3 runs, wall and CPU time (on a shared machine the
wall time is mostly the wait for a core):

* **html**: `sopc report PROJECT --state STATE -o report.html`;
* **json**: `sopc report PROJECT --state STATE --format json`;
* **floor**: `sopc --help`, what any command costs (Python, click, sopc's CLI);

and, in this process, the baseline a report must not be: every message
read into Python (``SQLiteStore.messages()``) and counted there, beside
``collect()`` (the report's queries) on the same file (CPU time). The
growth exponent is the least-squares slope of log(seconds) over log(N) of
the html times less the floor: 1 is linear.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from sopc.run import report  # noqa: E402
from sopc.run.store import SQLiteStore  # noqa: E402

ZONE = dt.timezone(dt.timedelta(hours=8))
YEAR_START = dt.datetime(2026, 1, 1, tzinfo=ZONE).timestamp()
NOW = dt.datetime(2026, 12, 1, tzinfo=ZONE).timestamp()
TARGET_1M = 10.0   # CPU seconds for the html report of 1M messages: "seconds, not minutes"

SOPC_TOML = 'timezone = "Asia/Shanghai"\n\n[senders.staff]\nkind = "remind"\nvia = "bot"\n\n[senders.bot]\nkind = "wecom-bot"\nkey_env = "K"\n'

# n: the row number; r: 0..999 spread by a multiplicative hash of n (SQLite would evaluate random()
# again at each use of a CTE's column), for the state; g: its group; p: its planned time.
FILL = """
WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n + 1 < :size),
rows AS (SELECT n, ((n * 2654435761) % 4294967296) % 1000 AS r, ((n * 40503 + 7) % 1000003) % 5000 AS g,
                :start + (n * 31536000.0 / :size) AS p FROM seq)
INSERT INTO messages (id, at, planned, due, playbook, step, grp, member, sender, kind, mentions, text, origin,
                      state, reason, attempts, updated, finished, remote_id, confirm, private)
SELECT printf('m%08x', n),
       strftime('%Y-%m-%dT%H:%M:%S+08:00', p + 28800, 'unixepoch'), p, p,
       printf('pb%02d', n % 20), printf('step%d', n % 7), printf('g%04d', g), NULL,
       CASE WHEN n % 97 = 0 THEN 'staff' WHEN r < 160 THEN 'qunfa' ELSE 'bot' END,
       CASE WHEN n % 97 = 0 THEN 'action' ELSE 'text' END, '[]', printf('今天的消息 %d', n), 'plan',
       CASE WHEN p >= :now THEN 'pending' WHEN r < 800 THEN 'sent' WHEN r < 880 THEN 'skipped'
            WHEN r < 920 THEN 'cancelled' WHEN r < 950 THEN 'failed' WHEN r < 951 THEN 'in-doubt'
            ELSE 'sent' END,
       CASE WHEN p >= :now OR r < 800 OR r >= 951 THEN NULL
            WHEN r < 820 THEN printf('missed: %dm late, past the 10m grace', 11 + n % 300)
            WHEN r < 835 THEN 'paused: its playbook was paused when it fell due'
            WHEN r < 850 THEN 'quiet: it would go out inside the playbook''s quiet hours'
            WHEN r < 870 THEN printf('cap: group `g%04d` already had 3 posts today (cap 3/day)', g)
            WHEN r < 880 THEN printf('stage: group `g%04d` is in 沉默期, the step is for 成长期', g)
            WHEN r < 920 THEN 'no longer in the plan: the playbook, a template or the roster changed'
            WHEN r < 935 THEN printf('gave up after 5 attempts: WeCom error 45009: api freq out of limit, hint: ' ||
                                     '[%d-%d], from ip: 10.0.0.1, more info at https://open.work.weixin.qq.com/', p, n)
            WHEN r < 945 THEN printf('WeCom error 93000: invalid webhook url, hint: [%d]', n)
            WHEN r < 950 THEN printf('group `g%04d` has no address and sender `bot` has no `url`', g)
            ELSE 'claimed, then the runner stopped before the sender answered' END,
       1, p, CASE WHEN p >= :now THEN NULL ELSE p + 2 END,
       CASE WHEN r < 160 AND p < :now THEN printf('msg%d', n) END,
       CASE WHEN r < 160 AND p < :now THEN (CASE WHEN r < 8 THEN 'failed' WHEN r < 24 THEN 'waiting'
                                                 ELSE 'confirmed' END) END,
       0
FROM rows
"""


def write_state(path: Path, size: int) -> float:
    """A state file of ``size`` messages; seconds it took."""
    began = time.perf_counter()
    store = SQLiteStore(path)
    store.db.execute("BEGIN")
    store.db.execute(FILL, {"size": size, "start": YEAR_START, "now": NOW})
    store.db.execute("COMMIT")
    store.close()
    return time.perf_counter() - began


def sopc(*args: str, cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one `sopc ARGS` process. The CPU time
    is what the work costs; the wall time is that and the wait for a core
    on a shared machine."""
    began, used = time.perf_counter(), _children_cpu()
    done = subprocess.run([sys.executable, "-m", "sopc", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    took, cpu = time.perf_counter() - began, _children_cpu() - used
    if done.returncode != 0:
        sys.exit(f"sopc {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return took, cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def median_of(runs: int, *args: str, cwd: Path) -> tuple[float, float]:
    times = [sopc(*args, cwd=cwd) for _ in range(runs)]
    return statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)


def naive_count(path: Path) -> float:
    """The baseline: every message read into Python and counted there (CPU seconds)."""
    began = time.process_time()
    store = SQLiteStore(path)
    counts: collections.Counter = collections.Counter()
    for message in store.messages():
        counts[(message.at.date(), message.playbook, message.group,
                report.category(message.state, message.confirm or ""))] += 1
    store.close()
    return time.process_time() - began


def queries(path: Path, project: Path) -> float:
    """The report's queries, in this process (CPU seconds)."""
    began = time.process_time()
    store = SQLiteStore(path)
    report.collect(store, report.project_scope(project), state_path=str(path))
    store.close()
    return time.process_time() - began


def slope(points: list[tuple[int, float]]) -> float:
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(max(t, 1e-3)) for _, t in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--naive-max", type=int, default=1_000_000, help="largest size the baseline runs at")
    options = parser.parse_args()
    sizes = [int(size) for size in options.sizes.split(",")]
    work = Path(tempfile.mkdtemp(prefix="sopc-bench-report-"))
    try:
        project = work / "proj"
        project.mkdir()
        (project / "sopc.toml").write_text(SOPC_TOML, encoding="utf-8")
        floor = median_of(options.runs, "--help", cwd=work)
        print(f"floor (sopc --help): {floor[0]:.2f} s wall, {floor[1]:.2f} s CPU")
        print("seconds: wall / CPU of the process; queries and naive: CPU in this process")
        print(f"{'messages':>10} {'fill':>6} {'html wall/CPU':>14} {'json wall/CPU':>14} {'queries':>8} {'naive':>8}"
              f" {'naive/queries':>14} {'page KB':>8}")
        points = []
        for size in sizes:
            state = work / f"state-{size}.db"
            fill = write_state(state, size)
            out = work / f"report-{size}.html"
            html = median_of(options.runs, "report", str(project), "--state", str(state), "-o", str(out), cwd=work)
            as_json = median_of(options.runs, "report", str(project), "--state", str(state), "--format", "json",
                                cwd=work)
            inside = queries(state, project)
            naive = naive_count(state) if size <= options.naive_max else None
            points.append((size, html))
            print(f"{size:>10,} {fill:>5.1f}s {html[0]:>6.2f}/{html[1]:>6.2f}s {as_json[0]:>6.2f}/{as_json[1]:>6.2f}s"
                  f" {inside:>7.2f}s " + (f"{naive:>7.2f}s {naive / inside:>13.1f}x" if naive is not None
                                          else f"{'-':>8} {'-':>14}") + f" {out.stat().st_size / 1024:>8.0f}")
            state.unlink()
        if len(points) > 1:
            cpu = [(n, max(t[1] - floor[1], 1e-3)) for n, t in points]
            wall = [(n, max(t[0] - floor[0], 1e-3)) for n, t in points]
            print(f"growth exponent of html, less the floor: CPU {slope(cpu):.2f}, wall {slope(wall):.2f} (1 = linear)")
        if points and points[-1][0] >= 1_000_000:
            cpu = points[-1][1][1]
            print(f"1M messages: {points[-1][1][0]:.1f} s wall, {cpu:.1f} s CPU; target CPU < {TARGET_1M:.0f} s: "
                  + ("PASS" if cpu < TARGET_1M else "FAIL"))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
