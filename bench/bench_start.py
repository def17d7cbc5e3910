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
* help:    `sopc --help`, run as pip's console script runs it (the same
           text, through `python -c`, for the entry point in the revision's
           pyproject.toml);
* check:   `sopc check examples/burger --now 2026-11-23T09:00`;
* plan:    `sopc plan examples/burger --from 2026-11-23 --to 2026-11-29`.

It prints min and median seconds per command, the ratio of check to the
import floor, and PASS/FAIL against the target: check at most 2x the import
(medians).

With --baseline-rev REV, the same sopc commands also run from a `git worktree`
of REV (in a temporary folder, removed at the end) with the same interpreter:
PYTHONPATH puts the worktree's `sopc` (and a .dist-info with REV's entry
points) ahead of the editable install, so the old code is measured with the
same libraries, side by side in the same loop. The script makes sure the old
process really imports the worktree's sopc and metadata, and notes where an
old command prints something else than the current one.

One untimed warm-up run of each command comes first: Python writes its
bytecode caches and sopc its parser cache then, as on any second use. The
bytecode goes to a temporary PYTHONPYCACHEPREFIX folder, for sopc and the
libraries alike (see bench_environment), and is removed at the end.
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
import tomllib
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


CONSOLE_SCRIPT = ("import re, sys\nfrom {module} import {attr}\n"
                  "sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\nsys.exit({attr}())\n")


def sopc_launcher(tree: Path) -> list[str]:
    """The `sopc` command as pip's console script runs it, for the entry
    point in ``tree``'s pyproject.toml (each revision its own: the entry
    point moved from sopc.cli:main to sopc.launch:main)."""
    project = tomllib.loads((tree / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    module, _, attr = project["scripts"]["sopc"].partition(":")
    return [sys.executable, "-c", CONSOLE_SCRIPT.format(module=module, attr=attr)]


def sopc_commands(label_suffix: str, env: dict[str, str], cwd: Path) -> list[Command]:
    sopc = sopc_launcher(cwd)
    return [
        Command(f"sopc --help{label_suffix}", [*sopc, "--help"], env, cwd),
        Command(f"sopc check{label_suffix}", [*sopc, "check", "examples/burger", "--now", "2026-11-23T09:00"], env, cwd),
        Command(f"sopc plan{label_suffix}",
                [*sopc, "plan", "examples/burger", "--from", "2026-11-23", "--to", "2026-11-29"], env, cwd),
    ]


def run_once(command: Command) -> tuple[float, bytes]:
    start = time.perf_counter()
    done = subprocess.run(command.argv, env=command.env, cwd=command.cwd,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1) or b"Traceback" in done.stdout:
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


def write_metadata(tree: Path, folder: Path) -> Path:
    """A sopc .dist-info for REV, from its pyproject.toml. Entry points
    (sopc's own checks and senders are registered as plugins) are read from
    the installed metadata, which is the current revision's; importlib.metadata
    takes the first sopc it finds on sys.path, so this one, on PYTHONPATH,
    gives the old code its own entry points."""
    project = tomllib.loads((tree / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    info = folder / f"sopc-{project['version']}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: sopc\nVersion: {project['version']}\n",
                                   encoding="utf-8")
    groups = {"console_scripts": project.get("scripts", {}), **project.get("entry-points", {})}
    lines = []
    for group, entries in groups.items():
        lines += [f"[{group}]", *(f"{name} = {target}" for name, target in entries.items()), ""]
    (info / "entry_points.txt").write_text("\n".join(lines), encoding="utf-8")
    return folder


WHERE = ("import importlib.metadata, sopc; "
         "print(sopc.__file__); print(importlib.metadata.distribution('sopc')._path)")


def check_imports_from(tree: Path, metadata: Path, env: dict[str, str]) -> None:
    """Make sure PYTHONPATH wins over the editable install, for the code and
    for the metadata: else the 'old' numbers would silently be the new code's."""
    code, info = subprocess.run([sys.executable, "-c", WHERE], env=env, cwd=tree,
                                capture_output=True, text=True, check=True).stdout.split("\n")[:2]
    if not Path(code).resolve().is_relative_to(tree.resolve()):
        sys.exit(f"the baseline imports sopc from {code}, not from the worktree {tree}")
    if not Path(info).resolve().is_relative_to(metadata.resolve()):
        sys.exit(f"the baseline reads sopc's entry points from {info}, not from {metadata}")


def bench_environment(scratch: Path) -> dict[str, str]:
    """The children's environment. Bytecode caches on, kept in a folder of
    our own (PYTHONPYCACHEPREFIX): an installed sopc has its .pyc files
    (pip compiles them), so a process that compiles every sopc module from
    source (as with PYTHONDONTWRITEBYTECODE=1 on an editable install) is
    not what users wait for. The warm-up run fills that folder for every
    command, the libraries' modules included, so all are measured alike."""
    env = dict(os.environ, NO_COLOR="1", PYTHONPYCACHEPREFIX=str(scratch / "pycache"))
    for name in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH", "SOPC_NOW"):
        env.pop(name, None)
    return env


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

    scratch = Path(tempfile.mkdtemp(prefix="sopc-bench-start-"))
    env = bench_environment(scratch)
    commands = [Command("import lark, jinja2", [sys.executable, "-c", "import lark, jinja2"], env, ROOT)]
    commands += sopc_commands("", env, ROOT)
    tree = None
    try:
        if args.baseline_rev:
            tree = add_worktree(args.baseline_rev, scratch)
            metadata = write_metadata(tree, scratch / "metadata")
            old_env = dict(env, PYTHONPATH=os.pathsep.join((str(tree), str(metadata))))
            check_imports_from(tree, metadata, old_env)
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
                        print(f"note: `{command.label}` prints something else than `{now_label}` "
                              "(fine if the two revisions really differ there)")
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
