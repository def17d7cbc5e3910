"""Benchmark: how long a fresh `sopc` process takes (cold start).

Prints numbers; it is not a test. Run from the repository root:

    .venv/bin/python bench/bench_start.py                       # 10 runs of each command
    .venv/bin/python bench/bench_start.py --baseline-rev 4f84406 # the same, old code beside

Every run is a new process, timed from spawn to exit (wall time), so the
imports, the parser's construction and the work itself all count. The
commands run interleaved (one of each, then again) so a busy moment on a
shared machine hits them all alike:

* import:  `python -c "import lark, jinja2"`, the floor: the two libraries
           any `sopc check` needs, and nothing of sopc;
* help:    `sopc --help`;
* check:   `sopc check examples/burger --now 2026-11-23T09:00`;
* plan:    `sopc plan examples/burger --from 2026-11-23 --to 2026-11-29`.

It prints min and median seconds per command, the ratio of check to the
import floor, and PASS/FAIL against the target: check at most 2x the import
(medians).

With --baseline-rev REV, the same sopc commands also run from a `git worktree`
of REV (in a temporary folder, removed at the end) with the same interpreter:
PYTHONPATH puts the worktree's `sopc` ahead of the editable install, so the
old code is measured with the same libraries, side by side in the same
loop. The script checks that each old command prints what the current one
prints (it warns if not), and that the old process really imported the
worktree's sopc.

One untimed warm-up run of each command comes first: Python writes its
bytecode caches and sopc its parser cache then, as on any second use.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 2.0


@dataclass
class Command:
    label: str
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    times: list[float] = field(default_factory=list)
    output: bytes = b""


def sopc_script() -> str:
    """The `sopc` console script next to this interpreter (the venv's)."""
    script = Path(sys.executable).with_name("sopc")
    if not script.is_file():
        sys.exit(f"no `sopc` script next to {sys.executable}; run with the project's venv python")
    return str(script)


def sopc_commands(label_suffix: str, env: dict[str, str], cwd: Path) -> list[Command]:
    sopc = sopc_script()
    return [
        Command(f"sopc --help{label_suffix}", [sopc, "--help"], env, cwd),
        Command(f"sopc check{label_suffix}", [sopc, "check", "examples/burger", "--now", "2026-11-23T09:00"], env, cwd),
        Command(f"sopc plan{label_suffix}",
                [sopc, "plan", "examples/burger", "--from", "2026-11-23", "--to", "2026-11-29"], env, cwd),
    ]


def run_once(command: Command) -> tuple[float, bytes]:
    start = time.perf_counter()
    done = subprocess.run(command.argv, env=command.env, cwd=command.cwd,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        sys.exit(f"{command.label} exited {done.returncode}:\n{done.stdout.decode(errors='replace')}")
    return elapsed, done.stdout


def add_worktree(rev: str, folder: Path) -> Path:
    tree = folder / "tree"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), rev],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return tree


def remove_worktree(tree: Path) -> None:
    subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def check_imports_from(tree: Path, env: dict[str, str]) -> None:
    """Make sure PYTHONPATH wins over the editable install: else the
    'old' numbers would silently be the new code's."""
    where = subprocess.run([sys.executable, "-c", "import sopc; print(sopc.__file__)"], env=env, cwd=tree,
                           capture_output=True, text=True, check=True).stdout.strip()
    if not Path(where).resolve().is_relative_to(tree.resolve()):
        sys.exit(f"the baseline imports sopc from {where}, not from the worktree {tree}")


def summary(times: list[float]) -> tuple[float, float]:
    return min(times), statistics.median(times)


def report(commands: list[Command], baseline_rev: str | None) -> None:
    print(f"{'command':<30} {'min s':>8} {'median s':>9} {'x import':>9}")
    floor_min, floor_median = summary(commands[0].times)
    for command in commands:
        low, middle = summary(command.times)
        print(f"{command.label:<30} {low:>8.3f} {middle:>9.3f} {middle / floor_median:>8.2f}x")
    check = next(c for c in commands if c.label == "sopc check")
    check_min, check_median = summary(check.times)
    ratio = check_median / floor_median
    print()
    print(f"check / import: {ratio:.2f}x (medians), {check_min / floor_min:.2f}x (mins)")
    if baseline_rev:
        old = next(c for c in commands if c.label == f"sopc check @{baseline_rev}")
        print(f"check now vs @{baseline_rev}: {check_median:.3f} s vs {summary(old.times)[1]:.3f} s (medians), "
              f"{summary(old.times)[1] / check_median:.2f}x faster")
    passed = ratio <= TARGET_RATIO
    print(f"{'PASS' if passed else 'FAIL'}: `sopc check examples/burger` takes at most {TARGET_RATIO:g}x "
          f"`import lark, jinja2` ({ratio:.2f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=10, help="runs of each command (default 10)")
    parser.add_argument("--baseline-rev", metavar="REV", help="also time the sopc commands of this git revision")
    args = parser.parse_args()

    env = dict(os.environ, NO_COLOR="1")
    env.pop("PYTHONPATH", None)
    env.pop("SOPC_NOW", None)
    commands = [Command("import lark, jinja2", [sys.executable, "-c", "import lark, jinja2"], env, ROOT)]
    commands += sopc_commands("", env, ROOT)

    scratch = Path(tempfile.mkdtemp(prefix="sopc-bench-start-"))
    tree = None
    try:
        if args.baseline_rev:
            tree = add_worktree(args.baseline_rev, scratch)
            old_env = dict(env, PYTHONPATH=str(tree))
            check_imports_from(tree, old_env)
            commands += sopc_commands(f" @{args.baseline_rev}", old_env, tree)

        print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
              f"{args.repeat} runs of each command, interleaved, after one warm-up run")
        for command in commands:
            command.output = run_once(command)[1]
        if args.baseline_rev:
            current = {c.label: c.output for c in commands}
            for command in commands:
                if command.label.endswith(f" @{args.baseline_rev}"):
                    now_label = command.label.removesuffix(f" @{args.baseline_rev}")
                    if command.output != current[now_label]:
                        print(f"warning: `{command.label}` prints something else than `{now_label}`")
        for _ in range(args.repeat):
            for command in commands:
                command.times.append(run_once(command)[0])
        print()
        report(commands, args.baseline_rev)
    finally:
        if tree is not None:
            remove_worktree(tree)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
