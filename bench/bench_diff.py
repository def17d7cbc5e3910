"""Benchmark: `sopc diff` of two revisions of the bench project over a year,
against `sopc plan` of one revision, in the same run.

Prints numbers; it is not a test. Run from the repository root:

    .venv/bin/python bench/bench_diff.py               # 1,000 groups, 2026, best of 3
    .venv/bin/python bench/bench_diff.py --groups 200 --repeat 1

The project is bench_plan.py's (1,000 groups, four posts a week: 208,000
messages in 2026), committed to a new git repository; a second commit
moves one post from 11:30 to 12:00 and changes a word of its text, as a
pull request would (52,000 messages retimed and retexted). Each contender
is a fresh `python -m sopc` process, timed from start to exit (wall clock,
and the CPU seconds of the process and its children):

* plan:          sopc plan project --format jsonl -o FILE   (HEAD, one revision)
* diff:          sopc diff HEAD~1 HEAD project --format json  (the default: both
                 sides planned a share of the groups per worker process)
* diff --jobs 1: the same in one process, each side planned in turn

Runs alternate, so drift in the machine's load hits all alike; the best of
--repeat counts. The two diffs must print the same JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_plan  # noqa: E402  the one generator of the bench project

TARGET_RATIO = 2.0  # diff at most twice the time of planning one revision
GIT_ENV = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.cn", "GIT_COMMITTER_NAME": "bench",
           "GIT_COMMITTER_EMAIL": "bench@example.cn", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
EDIT = (("周三 11:30", "周三 12:00"), ("第二杯半价", "第二杯五折"))  # member_day: later, and cheaper


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env={**os.environ, **GIT_ENV})


def make_repository(repo: Path, groups: int) -> Path:
    """The bench project committed, then edited and committed again."""
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    project = repo / "project"
    project.mkdir()
    bench_plan.write_project(project, groups)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "the bench project")
    playbook = project / "playbooks" / f"{bench_plan.PLAYBOOK}.sop"
    text = playbook.read_text(encoding="utf-8")
    for old, new in EDIT:
        assert old in text, old
        text = text.replace(old, new)
    playbook.write_text(text, encoding="utf-8")
    git(repo, "commit", "-q", "-am", "member day at 12:00, and cheaper")
    return project


def commands(args, out: Path) -> dict[str, list[str]]:
    window = ["--from", args.date_from, "--to", args.date_to]
    sopc = [sys.executable, "-m", "sopc"]
    diff = [*sopc, "diff", "HEAD~1", "HEAD", "project", *window, "--now", f"{args.date_from}T09:00", "--format", "json"]
    return {"plan": [*sopc, "plan", "project", *window, "--format", "jsonl", "-o", str(out / "plan.jsonl")],
            "diff": diff,
            "diff --jobs 1": [*diff, "--jobs", "1"]}


def measure(command: list[str], repo: Path) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of it and its children, its stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(command, cwd=repo, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[2:4])} failed ({done.returncode}):\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--from", dest="date_from", default="2026-01-01")
    parser.add_argument("--to", dest="date_to", default="2026-12-31")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best time counts")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="sopc-bench-diff-") as tmp:
        repo = Path(tmp) / "repo"
        make_repository(repo, args.groups)
        runs = commands(args, Path(tmp))
        best: dict[str, tuple[float, float]] = {}
        outputs: dict[str, str] = {}
        for round_ in range(args.repeat):
            for name, command in runs.items():
                wall, cpu, stdout = measure(command, repo)
                print(f"  run {round_ + 1} {name:14} {wall:7.2f} s wall {cpu:7.2f} s cpu", flush=True)
                if name not in best or wall < best[name][0]:
                    best[name] = (wall, cpu)
                outputs[name] = stdout
        report(args, best, outputs)


def report(args, best: dict[str, tuple[float, float]], outputs: dict[str, str]) -> None:
    document = json.loads(outputs["diff"])
    totals = {k: v for k, v in document["totals"].items() if v}
    print(f"\ndiff: {args.groups} groups, {args.date_from}..{args.date_to}: "
          f"{document['messages']['base']:,} -> {document['messages']['head']:,} messages, "
          + ", ".join(f"{v:,} {k}" for k, v in totals.items()) + f"; best of {args.repeat}")
    print(f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cpus, "
          f"load average {os.getloadavg()[0]:.1f}\n")
    plan_wall, plan_cpu = best["plan"]
    print(f"{'':16}{'wall s':>9}{'cpu s':>9}{'wall / plan':>13}{'cpu / plan':>12}")
    for name, (wall, cpu) in best.items():
        print(f"{name:16}{wall:>9.2f}{cpu:>9.2f}{wall / plan_wall:>12.2f}x{cpu / plan_cpu:>11.2f}x")
    print(f"\nsame JSON from both diffs: {'yes' if outputs['diff'] == outputs['diff --jobs 1'] else 'NO'}")
    ratio = best["diff"][0] / plan_wall
    print(f"{'PASS' if ratio < TARGET_RATIO else 'FAIL'}  sopc diff < {TARGET_RATIO:g}x the time of planning "
          f"one revision ({ratio:.2f}x wall clock)")


if __name__ == "__main__":
    main()
