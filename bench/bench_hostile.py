"""Benchmark: `sopc check` on what a big customer or an attacker hands it.

Prints numbers and PASS/FAIL against the targets of issue 11; it is not a
test (tests/test_hostile_inputs.py holds the same paths by counting work).
Run from the repository root:

    .venv/bin/python bench/bench_hostile.py              # ~1 minute
    .venv/bin/python bench/bench_hostile.py --quick      # 10,000 rows, 1 MB

Each case is written to a temporary folder and checked in this process with
sopc.pipeline.check (what `sopc check` does, minus click), best of --repeat:

* 10k lines:  bench_check.py's project (~10,000 .sop lines, 357 playbooks),
              for scale: the same machine, the same run;
* roster:     a 100,000-row groups.csv (id, name, tags, store, city, price)
              and the burger example's weekly playbook plus two more: every
              group gets 5 steps a week, four of them reading `group`
              (`{{ group.store }}`, `{{ group.price | yuan }}`), one of those
              `{{ date }}` too; target under 10 s;
* 4 MB broken: one .sop file of bench_check.py's realistic playbooks, 4 MB,
              with a syntax error (a full-width colon in a time, a stray
              word) in every 1,000th line, so errors run through the file
              and sopc stops at the 50th (E0004); target under 5 s;
* worst case: the same 4 MB with its 49 errors all in the last tenth of
              the file: recovery's worst case (the whole file parsed, then
              errors one after another), timed for the parse alone (the
              rest of a check is then that of a 4 MB valid file).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import tempfile
from pathlib import Path

from bench_check import NOW, _sop_file, best_of, write_project

from sopc import pipeline
from sopc.lang.parser import lark_parser, parse

REPO = Path(__file__).resolve().parents[1]
ROSTER_TARGET_S, BROKEN_TARGET_S = 10.0, 5.0

EXTRA_SOP = '''playbook member_day "会员日"
  to groups tagged 福利群
  sender wecom
  周二 11:30 member_price "会员价 {{ group.price | yuan }},{{ group.store }}今天有效"

playbook evening "晚间"
  to groups tagged city:杭州 or city:上海
  sender wecom
  周四 19:00 live "今晚 20:00 直播,{{ group.name }}的朋友们记得来"
'''


def roster_project(root: Path, rows: int) -> None:
    shutil.copytree(REPO / "examples" / "burger", root)
    (root / "playbooks" / "extra.sop").write_text(EXTRA_SOP, encoding="utf-8")
    cities = ("杭州", "上海", "北京", "深圳")
    lines = ["id,name,tags,store,city,price"]
    for number in range(rows):
        city = cities[number % len(cities)]
        lines.append(f"g{number:06d},汉堡王{city}{number}店福利群,福利群;city:{city},{city}{number}店,{city},"
                     f"{(9.9, 19.9, 29)[number % 3]}")
    (root / "groups.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def broken_text(size: int, *, every: int = 1000, last_tenth: bool = False, seed: int = 11) -> tuple[str, int]:
    """About ``size`` bytes of bench_check.py's playbooks, broken in every
    ``every``-th line (or 49 times in the last tenth); the text and its errors."""
    rng = random.Random(seed)
    parts, total, index = [], 0, 0
    while total < size:
        text = _sop_file(rng, index)
        parts.append(text)
        total += len(text.encode())
        index += 1
    lines = "".join(parts).split("\n")
    steps = [i for i, line in enumerate(lines) if line.startswith("  ") and ":" in line and '"' in line]
    if last_tenth:
        tail = [i for i in steps if i > len(lines) * 9 // 10]
        chosen = tail[::max(1, len(tail) // 49)][:49]
    else:  # the first step line from each 1,000th line on
        chosen, mark = [], every
        for i in steps:
            if i >= mark:
                chosen.append(i)
                mark = (i // every + 1) * every
    for count, i in enumerate(chosen):
        lines[i] = lines[i].replace(":", "：", 1) if count % 2 else lines[i] + " 多余"
    return "\n".join(lines), len(chosen)


def broken_project(root: Path, text: str) -> None:
    root.mkdir()
    (root / "sopc.toml").write_text('timezone = "Asia/Shanghai"\nroster = "groups.csv"\n\n[senders.wecom]\n'
                                    'kind = "wecom-bot"\nkey_env = "BENCH_WECOM_KEY"\n', encoding="utf-8")
    (root / "groups.csv").write_text("id,name,tags\ng1,一群,福利群\n", encoding="utf-8")
    (root / "big.sop").write_text(text, encoding="utf-8")


def verdict(seconds: float, target: float) -> str:
    return f"< {target:.0f} s  {'PASS' if seconds < target else 'FAIL'}"


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    options.add_argument("--rows", type=int, default=100_000, help="roster rows")
    options.add_argument("--megabytes", type=float, default=4.0, help="size of the broken .sop file")
    options.add_argument("--lines", type=int, default=10_000, help="lines of the bench_check project")
    options.add_argument("--repeat", type=int, default=1, help="runs of each; the best time counts")
    options.add_argument("--quick", action="store_true", help="10,000 rows and 1 MB")
    options.add_argument("--cases", default="lines,roster,broken,worst",
                         help="which to run, of lines, roster, broken, worst (comma-separated)")
    args = options.parse_args()
    cases = set(args.cases.split(","))
    if args.quick:
        args.rows, args.megabytes = 10_000, 1.0
    lark_parser()  # built (or loaded) once, before any timing
    size = int(args.megabytes * 1_000_000)
    rows: list[tuple[str, float, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="sopc-bench-hostile-") as tmp:
        base = Path(tmp)
        if "lines" in cases:
            (base / "lines").mkdir()
            files, lines = write_project(base / "lines", args.lines)
            seconds, result = best_of(args.repeat, lambda: pipeline.check([base / "lines"], now=NOW))
            rows.append((f"check, {lines:,}-line project (bench_check)", seconds, "", _found(result)))
        if "roster" in cases:
            roster_project(base / "roster", args.rows)
            seconds, result = best_of(args.repeat, lambda: pipeline.check([base / "roster"], now=NOW))
            rows.append((f"check, {args.rows:,}-row roster", seconds, verdict(seconds, ROSTER_TARGET_S),
                         _found(result)))
        if "broken" in cases:
            text, errors = broken_text(size)
            broken_project(base / "broken", text)
            seconds, result = best_of(args.repeat, lambda: pipeline.check([base / "broken"], now=NOW))
            label = f"check, {len(text.encode()) / 1e6:.1f} MB .sop, {errors} errors spread"
            rows.append((label, seconds, verdict(seconds, BROKEN_TARGET_S), _found(result)))
        if "worst" in cases:
            text, errors = broken_text(size, last_tenth=True)
            seconds, (tree, diagnostics) = best_of(args.repeat, lambda: parse(text, "big.sop"))
            rows.append((f"parse, {len(text.encode()) / 1e6:.1f} MB .sop, {errors} errors at its end", seconds,
                         "(one pass)", f"{len(diagnostics)} diagnostics"))

    print(f"\npython {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cpus; "
          f"best of {args.repeat}; now = {NOW:%Y-%m-%d %H:%M}\n")
    print(f"{'':46}{'seconds':>9}  {'target':<14}found")
    for label, seconds, target, found in rows:
        print(f"{label:46}{seconds:>9.2f}  {target:<14}{found}")


def _found(result) -> str:
    codes: dict[str, int] = {}
    for diagnostic in result.diagnostics:
        codes[diagnostic.code] = codes.get(diagnostic.code, 0) + 1
    return ", ".join(f"{count} {code}" for code, count in sorted(codes.items())) or "no problems"


if __name__ == "__main__":
    main()
