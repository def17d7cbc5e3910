"""Benchmark: `sopc` build time as playbooks grow (issue 9, item 4).

Prints numbers; it is not a test. Run from the repository root:

    .venv/bin/python bench/bench_build.py                       # 100 .. 10,000 playbooks
    .venv/bin/python bench/bench_build.py --old a62f5ec         # also the old revision, side by side

The project for N playbooks: a roster of 10 N groups, each tagged with one
of N tags (10 groups a tag); playbook j posts to `groups tagged` tag j
(its 10 groups) twice a week, texts reading `group.name`. So the work a
build must do grows with playbooks x matched groups (10 N), and any cost in
playbooks x roster rows (10 N²) shows as an exponent near 2.

Each build runs in a fresh subprocess (`sopc.pipeline.build` on the folder,
imports not timed), best of --repeat. ``--old REV`` also runs the same
project against revision REV, checked out as a git worktree in a temporary
folder, with a time cap per run (--cap seconds; a run over it is shown as
"> cap"). The growth exponent is fitted (least squares on log-log) over the
sizes measured.

Target (from the issue), printed as PASS/FAIL: 5,000 playbooks x 10 groups
in under 5 s.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET_PLAYBOOKS, TARGET_SECONDS = 5_000, 5.0
GROUPS_PER_TAG = 10

CHILD = r"""
import sys, time
from pathlib import Path
from sopc import pipeline
root = Path(sys.argv[1])
began = time.perf_counter()
result = pipeline.build([root])
seconds = time.perf_counter() - began
reached = sum(len(p.groups) for p in result.program.playbooks)
errors = sum(1 for d in result.diagnostics if d.severity.name == "ERROR")
print(f"{seconds:.4f} {len(result.program.playbooks)} {reached} {errors}")
print(pipeline.__file__, file=sys.stderr)
"""


def write_project(root: Path, playbooks: int) -> None:
    tags = playbooks
    (root / "sopc.toml").write_text('timezone = "Asia/Shanghai"\nroster = "groups.csv"\n', encoding="utf-8")
    rows = ["id,name,tags"] + [f"g{i:06d},门店 {i},t{i % tags}" for i in range(playbooks * GROUPS_PER_TAG)]
    (root / "groups.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (root / "playbooks").mkdir()
    per_file = 100
    for first in range(0, playbooks, per_file):
        text = []
        for j in range(first, min(first + per_file, playbooks)):
            text.append(f"playbook pb_{j:06d} \"福利 {j}\"\n  to groups tagged t{j}\n\n"
                        f"  周一 10:00  hello  \"{{{{ group.name }}}} 的小伙伴们,本周福利来啦\"\n"
                        f"  周四 15:00  remind  \"周四下午茶,{{{{ group.name }}}} 今天全天可用\"\n\n")
        (root / "playbooks" / f"p{first // per_file:04d}.sop").write_text("".join(text), encoding="utf-8")


def run_build(root: Path, source: Path, cap: float) -> tuple[float, int, int, int] | None:
    """One build in a fresh interpreter importing sopc from ``source``; None past ``cap`` seconds."""
    env = dict(os.environ, PYTHONPATH=str(source))
    try:
        done = subprocess.run([sys.executable, "-c", CHILD, str(root)], capture_output=True, text=True,
                              timeout=cap, env=env, cwd=root)
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        raise SystemExit(f"build failed ({source}):\n{done.stderr[-2000:]}")
    if not done.stderr.strip().splitlines()[-1].startswith(str(source)):
        raise SystemExit(f"the child imported sopc from {done.stderr.strip()}, not from {source}")
    seconds, playbooks, reached, errors = done.stdout.split()
    return float(seconds), int(playbooks), int(reached), int(errors)


def best(root: Path, source: Path, repeat: int, cap: float):
    results = [run_build(root, source, cap) for _ in range(repeat)]
    timed = [r for r in results if r is not None]
    return min(timed) if timed else None


def exponent(points: list[tuple[int, float]]) -> float | None:
    """The fitted k of seconds ~ n^k (least squares over log n, log seconds)."""
    if len(points) < 2:
        return None
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(s) for _, s in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000,5000,10000", help="playbook counts, comma-separated")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each; the best counts")
    parser.add_argument("--old", metavar="REV", help="also run this git revision (e.g. a62f5ec)")
    parser.add_argument("--cap", type=float, default=120.0, help="seconds before a run is cut off")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    with tempfile.TemporaryDirectory(prefix="sopc-bench-build-") as tmp:
        old_tree = None
        if args.old:
            old_tree = Path(tmp) / "old"
            subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(old_tree), args.old],
                           check=True)
        try:
            rows = []
            for n in sizes:
                root = Path(tmp) / f"p{n}"
                root.mkdir()
                write_project(root, n)
                new = best(root, REPO, args.repeat, args.cap)
                old = best(root, old_tree, 1, args.cap) if old_tree else None
                rows.append((n, new, old))
                _print_row(n, new, old, args.cap, bool(old_tree))
        finally:
            if old_tree is not None:
                subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(old_tree)], check=False)
    _summary(rows, bool(args.old), args.cap)


def _print_row(n, new, old, cap, with_old) -> None:
    if n == 0:
        return
    new_s = f"{new[0]:9.3f}" if new else f"{'> ' + str(int(cap)):>9}"
    line = f"{n:>10,}  {n * GROUPS_PER_TAG:>12,}  {new_s}"
    if new:
        line += f"  {new[2]:>10,}  {new[3]:>6}"
    if with_old:
        line += f"  {old[0]:9.3f} ({old[2]:,} reached, {old[3]} errors)" if old else f"  {'> ' + str(int(cap)) + ' s':>9}"
    print(line, flush=True)


def _summary(rows, with_old: bool, cap: float) -> None:
    new_points = [(n, new[0]) for n, new, _ in rows if new]
    k = exponent(new_points)
    print(f"\nsopc now: seconds ~ playbooks^{k:.2f}" if k is not None else "")
    if with_old:
        old_points = [(n, old[0]) for n, _, old in rows if old]
        k_old = exponent(old_points)
        if k_old is not None:
            print(f"old revision: seconds ~ playbooks^{k_old:.2f} (over the sizes it finished within {cap:.0f} s)")
    at_target = next((new for n, new, _ in rows if n == TARGET_PLAYBOOKS), None)
    if at_target is None:
        print(f"target: not measured (add {TARGET_PLAYBOOKS} to --sizes)")
    else:
        verdict = "PASS" if at_target[0] < TARGET_SECONDS else "FAIL"
        print(f"{verdict}: build {TARGET_PLAYBOOKS:,} playbooks x {GROUPS_PER_TAG} groups in {at_target[0]:.2f} s "
              f"(target < {TARGET_SECONDS:.0f} s)")


if __name__ == "__main__":
    print(f"{'playbooks':>10}  {'pb x groups':>12}  {'seconds':>9}  {'reached':>10}  {'errors':>6}"
          + ("  old rev s" if "--old" in sys.argv else ""), flush=True)
    main()
