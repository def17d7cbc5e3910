"""Benchmark: `sopc fmt` throughput on the 10,000-line bench project.

Prints numbers; it is not a test. Run from the repository root:

    .venv/bin/python bench/bench_fmt.py                   # ~10,000 lines, best of 3
    .venv/bin/python bench/bench_fmt.py --lines 2000 --repeat 1

The project is bench_check.py's (its generator, imported: the same ~100
.sop files of ~100 lines, Chinese and English, comments, multi-line texts).
In the same process, over the same texts:

* fmt:          sopc.lang.fmt.format_source on each file as written (every
                file changes: the generator does not align its steps), which
                parses it, reads its tokens, lays it out, then parses the
                result again and compares the two ASTs (the safety check);
* fmt --check:  the same on the formatted texts (what CI runs on a tidy project);
* sopc fmt:     sopc.project.formatting.format_paths over the folder, without
                writing: finding, reading and decoding the files too;
* baseline:     sopc.lang.parser.parse on each file: the parse `sopc check`
                starts with (syntax diagnostics, recovery), nothing else.

Times are the best of --repeat runs, after one warm-up run of each.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
from pathlib import Path

from bench_check import best_of, write_project

from sopc.lang.fmt import format_source
from sopc.lang.parser import lark_parser, parse
from sopc.project.formatting import format_paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=10_000, help="about this many .sop lines")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best time counts")
    args = parser.parse_args()
    lark_parser()  # built (or loaded from the cache) before anything is timed

    with tempfile.TemporaryDirectory(prefix="sopc-bench-fmt-") as tmp:
        root = Path(tmp)
        files, lines = write_project(root, args.lines)
        texts = [(str(f), f.read_text(encoding="utf-8")) for f in files]

        def fmt_all(items):
            return [format_source(text, path) for path, text in items]

        formatted = fmt_all(texts)
        refused = [path for (path, _), result in zip(texts, formatted) if result.text is None]
        tidy = [(path, result.text) for (path, _), result in zip(texts, formatted) if result.text is not None]
        changed = sum(result.text != text for (_, text), result in zip(texts, formatted))
        runs = {
            "fmt (untidy files)": lambda: fmt_all(texts),
            "fmt --check (formatted files)": lambda: fmt_all(tidy),
            "sopc fmt --check (untidy folder)": lambda: format_paths([root / "playbooks"], write=False),
            "baseline: parse only": lambda: [parse(text, path) for path, text in texts],
        }
        for run in runs.values():  # warm-up
            run()
        seconds = {label: best_of(args.repeat, run)[0] for label, run in runs.items()}

    print(f"\nfmt: {len(files)} .sop files, {lines:,} lines ({changed} change when formatted, "
          f"{len(refused)} refused); best of {args.repeat}")
    print(f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cpus\n")
    print(f"{'':34}{'seconds':>9}{'lines/s':>11}{'x parse':>9}")
    base = seconds["baseline: parse only"]
    for label, value in seconds.items():
        print(f"{label:34}{value:>9.3f}{lines / value:>11,.0f}{value / base:>9.1f}")


if __name__ == "__main__":
    main()
