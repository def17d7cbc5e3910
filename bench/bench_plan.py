"""Benchmark: `sopc plan --format jsonl` for a year of a 1,000-group roster.

Prints numbers; it is not a test. Run from the repository root:

    .venv/bin/python bench/bench_plan.py              # 1,000 groups, 2026, best of 3
    .venv/bin/python bench/bench_plan.py --groups 200 --repeat 1

It writes a project into a temporary folder (sopc.toml, a groups.csv with
id/name/tags/store columns, one playbook posting four times a week) and
expands 2026-01-01 .. 2026-12-31 to a JSONL file twice over, in the same run:

* sopc:     pipeline.build + pipeline.plan + output.write_jsonl, exactly what
            `sopc plan --format jsonl` does (minus click);
* baseline: what a user would write by hand instead: read the CSV, walk each
            post's cron line with croniter, render a jinja2.Template per
            message, json.dumps each line. It computes the same ids so the two
            outputs can be compared: they must hold the same lines.

Each run is a fresh subprocess (imports excluded from the time, since both
would pay them once per process); its peak memory is the process's own
peak RSS, resource.getrusage(RUSAGE_SELF).ru_maxrss, read at its end, so
it includes the interpreter and the imported libraries.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PLAYBOOK = "weekly"
ZONE = "Asia/Shanghai"
# (step, weekday 0=Mon, time, cron line, text): one table feeds both the
# generated playbook and the hand-written baseline.
POSTS = (
    ("coupon", 0, "10:00", "0 10 * * 1", "【{{ group.store }}】本周福利来啦,{{ group.name }}的券包已放进小程序"),
    ("member_day", 2, "11:30", "30 11 * * 3", "会员日:第二杯半价,{{ group.store }}今天全天可用"),
    ("lunch", 4, "12:00", "0 12 * * 5", "{{ group.name }} 午餐时间到,{{ group.store }}满30减10"),
    ("weekend", 5, "10:00", "0 10 * * 6", "{{ weekday_cn }} {{ date }} 周末福利:到店出示群聊截图送小食"),
)
WEEKDAYS_CN = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
CITIES = ("杭州", "上海", "北京", "深圳", "成都", "南京", "武汉", "西安")

# Targets from the performance issue.
TARGET_RATIO = 2.0
TARGET_PEAK_MB = 300


# ---- the generated project --------------------------------------------------------

def write_project(root: Path, groups: int) -> None:
    (root / "sopc.toml").write_text(
        f'timezone = "{ZONE}"\nroster = "groups.csv"\n\n[defaults]\nholidays = "keep"\n\n'
        '[senders.console]\nkind = "console"\n', encoding="utf-8")
    with open(root / "groups.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(("id", "name", "tags", "store"))
        for i in range(groups):
            city = CITIES[i % len(CITIES)]
            store = f"{city}{i // len(CITIES) + 1:03d}号店"
            writer.writerow((f"g{i:05d}", f"{store}福利群", f"福利群;city:{city}", store))
    steps = "\n".join(f'  {WEEKDAYS_CN[day]} {at}  {step}  "{text}"' for step, day, at, _, text in POSTS)
    (root / "playbooks").mkdir()
    (root / "playbooks" / f"{PLAYBOOK}.sop").write_text(
        f'playbook {PLAYBOOK} "门店福利群 周SOP"\n  to groups tagged 福利群\n  sender console\n'
        f'  on holidays keep\n\n{steps}\n', encoding="utf-8")


# ---- the two contenders (each runs in its own process) ------------------------------

def run_sopc(root: Path, first: dt.date, last: dt.date, out: Path) -> int:
    from sopc.plan import output
    from sopc import pipeline

    result = pipeline.build([root])
    if result.failed:
        raise SystemExit(f"the generated project does not compile: {result.diagnostics[:3]}")
    start = dt.datetime.combine(first, dt.time(), result.zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), result.zone)
    with open(out, "w", encoding="utf-8") as f:
        return output.write_jsonl(pipeline.plan(result, start, end), f)


def run_baseline(root: Path, first: dt.date, last: dt.date, out: Path) -> int:
    """The straightforward hand-written version of the same plan."""
    import hashlib
    import zoneinfo

    import jinja2
    from croniter import croniter

    zone = zoneinfo.ZoneInfo(ZONE)
    start = dt.datetime.combine(first, dt.time(), zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone)
    posts = [(step, cron, jinja2.Template(text)) for step, _, _, cron, text in POSTS]
    with open(root / "groups.csv", encoding="utf-8", newline="") as f:
        groups = list(csv.DictReader(f))
    # Firing times once per post, not per group: croniter costs ~150 us per
    # firing, which per message would make this baseline ~8x slower.
    times = {}
    for step, cron, _ in posts:
        moments = croniter(cron, start - dt.timedelta(minutes=1))
        times[step] = []
        while (at := moments.get_next(dt.datetime)) < end:
            times[step].append(at)
    count = 0
    with open(out, "w", encoding="utf-8") as f:
        for group in groups:
            for step, _, template in posts:
                for at in times[step]:
                    text = template.render(group=group, weekday_cn=WEEKDAYS_CN[at.weekday()],
                                           date=at.date().isoformat())
                    key = "\x1f".join((PLAYBOOK, step, group["id"], "", at.replace(tzinfo=None).isoformat()))
                    record = {"id": hashlib.blake2b(key.encode(), digest_size=8).hexdigest(),
                              "at": at.isoformat(), "playbook": PLAYBOOK, "step": step,
                              "target": {"group": group["id"]}, "sender": "console", "kind": "text",
                              "mentions": [], "text": text}
                    f.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
                    count += 1
    return count


CONTENDERS = {"sopc": run_sopc, "baseline": run_baseline}


def child(args) -> None:
    """Run one contender and print its numbers as JSON (one line)."""
    import sopc.plan.output, sopc.pipeline  # noqa: F401,E401  imports are not timed
    import croniter, jinja2  # noqa: F401,E401

    first, last = dt.date.fromisoformat(args.date_from), dt.date.fromisoformat(args.date_to)
    began = time.perf_counter()
    messages = CONTENDERS[args.child](Path(args.project), first, last, Path(args.out))
    seconds = time.perf_counter() - began
    print(json.dumps({"messages": messages, "seconds": seconds, "peak_mb": _peak_rss_mb()}))


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


# ---- the driver ---------------------------------------------------------------------

def measure(name: str, args, project: Path, out: Path) -> dict:
    command = [sys.executable, __file__, "--child", name, "--project", str(project), "--out", str(out),
               "--from", args.date_from, "--to", args.date_to]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{name} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def same_lines(a: Path, b: Path) -> bool:
    """The two JSONL files hold the same lines (sopc's are in time order, the
    baseline's group by group)."""
    with open(a, encoding="utf-8") as fa, open(b, encoding="utf-8") as fb:
        return sorted(fa) == sorted(fb)


def report(args, best: dict[str, dict], peaks: dict[str, float], identical: bool | None) -> None:
    print(f"\nplan: {args.groups} groups x {len(POSTS)} posts/week, {args.date_from}..{args.date_to}, "
          f"holidays keep; best of {args.repeat}")
    print(f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cpus\n")
    print(f"{'':10}{'messages':>10}{'seconds':>10}{'msgs/s':>12}{'peak RSS MB':>14}")
    for name in ("baseline", "sopc"):
        r = best[name]
        print(f"{name:10}{r['messages']:>10,}{r['seconds']:>10.2f}{r['messages'] / r['seconds']:>12,.0f}"
              f"{peaks[name]:>14.1f}")
    rate = {n: best[n]["messages"] / best[n]["seconds"] for n in best}
    ratio = rate["sopc"] / rate["baseline"]
    print(f"\nsopc / baseline messages/s: {ratio:.2f}x")
    if identical is not None:
        print(f"same lines in both outputs: {'yes' if identical else 'NO'}")
    print(f"{'PASS' if ratio >= TARGET_RATIO else 'FAIL'}  throughput: sopc >= {TARGET_RATIO:g}x baseline "
          f"({ratio:.2f}x)")
    print(f"{'PASS' if peaks['sopc'] < TARGET_PEAK_MB else 'FAIL'}  memory: sopc peak RSS < {TARGET_PEAK_MB} MB "
          f"({peaks['sopc']:.1f} MB)")
    if (args.groups, args.date_from, args.date_to) != (1000, "2026-01-01", "2026-12-31"):
        print("note: the targets are set for the default workload (1,000 groups, 2026); on a smaller one "
              "sopc's fixed start-up cost (loading the project, building the parser) weighs more")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--from", dest="date_from", default="2026-01-01")
    parser.add_argument("--to", dest="date_to", default="2026-12-31")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best time counts")
    parser.add_argument("--no-verify", action="store_true", help="skip comparing the two outputs")
    parser.add_argument("--child", choices=sorted(CONTENDERS), help=argparse.SUPPRESS)
    parser.add_argument("--project", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)

    with tempfile.TemporaryDirectory(prefix="sopc-bench-") as tmp:
        project = Path(tmp) / "project"
        project.mkdir()
        write_project(project, args.groups)
        outs = {name: Path(tmp) / f"{name}.jsonl" for name in CONTENDERS}
        best: dict[str, dict] = {}
        peaks = {name: 0.0 for name in CONTENDERS}
        for round_ in range(args.repeat):
            for name in ("baseline", "sopc"):  # alternate, so drift hits both alike
                r = measure(name, args, project, outs[name])
                print(f"  run {round_ + 1} {name:8} {r['messages']:>9,} messages {r['seconds']:7.2f} s "
                      f"{r['peak_mb']:7.1f} MB", flush=True)
                peaks[name] = max(peaks[name], r["peak_mb"])
                if name not in best or r["seconds"] < best[name]["seconds"]:
                    best[name] = r
        identical = None if args.no_verify else same_lines(outs["sopc"], outs["baseline"])
        report(args, best, peaks, identical)


if __name__ == "__main__":
    main()
