#!/usr/bin/env python3
"""A mutation fuzzer for everything a user hands sopc: `.sop` playbooks,
rosters (CSV and TOML), sopc.toml, template files and event lines, run
through `sopc check`, `sopc plan` and `sopc event` in this process
(issue 11: bad input gives a located error, never a traceback, and never
takes more than 2 s).

    .venv/bin/python tests/fuzz/fuzz.py --inputs 1000000          # resumes from .fuzz/
    .venv/bin/python tests/fuzz/fuzz.py --inputs 20000 --seed 1 --small --state-dir /tmp/f   # what CI runs
    .venv/bin/python tests/fuzz/fuzz.py --replay .fuzz/crashes/<name>.json

Seeds are the repository's own inputs: every project of examples/ and
tests/golden/diagnostics/ (each .sop file, roster, sopc.toml and template
file in turn is the one mutated, the rest of its project stays as is), the
same rosters written as TOML, the standard library in playbooks/, and event
lines (examples/lifecycle/events.jsonl and events made for each project's
groups); and each of those with its project's `.sop` files cut to two
steps per block (`~thin`: three inputs in four are made from these; with
--small, cut to one step and nothing else, for CI). An input is a seed
file after 1-16 stacked mutations: bytes and
characters (CJK, full-width, invisible, control), tokens and numbers
swapped for others of the corpus or for hostile ones (30 and 4,301 digits,
dates at datetime's ends, time zones), lines deleted, repeated, swapped,
re-indented or spliced in from other seeds, nesting (parentheses, `not`,
TOML arrays, JSON), long lines, template code that loops or grows, other
encodings and broken UTF-8.

Each input then goes where a user's would:

* a project file: `pipeline.build` + `check_build` (every check, at one of
  a few `now`s: a plain day, DST days, the ends of the planned years), the
  diagnostics rendered as text and JSON as `sopc check` prints them, and
  when it builds without errors a week of `sopc plan` (table, JSONL or CSV,
  now and then with the skipped ones);
* event lines: `sopc event --file` (the command itself, via click's
  CliRunner, into a state file), `sopc event KIND --group ... --at ...`
  from a line's fields, `sopc run --once --dry-run` on what they
  recorded, and `check --events` / `plan --events`;
* a project that checks clean now and then goes through `sopc run --once
  --dry-run` too.

A crash is an exception out of any of these (an exit code of 1 or 2 is an
answer, not a crash); a slow input one over --slow seconds (2) of CPU
time (the input's own work: other jobs on a shared machine inflate wall
time), timed again to be sure. Both are saved with what reproduces them
(`--replay`); an input still running after 60 s of CPU (or 600 s of wall)
time is stopped and saved as a crash (Hang).

Inputs run in --jobs processes (default: every core), in chunks; the state
file (STATE_DIR/state.json) holds the seed, the count done and the totals,
so a run stopped at any point continues where it was with the same
command. STATE_DIR/crashes/ and slow/ hold the inputs found (a few per
distinct crash site), STATE_DIR/corpus/ inputs that gave a diagnostic code
not seen before for their kind: a later run starts from these too.

The one thing changed for speed: `sopc.core.plugins.entry_points` is
memoised in a fuzzing process (sopc reads its plugin registries several
times per check; the installed packages do not change during a run).
"""

from __future__ import annotations

import argparse
import codecs
import dataclasses
import datetime as dt
import functools
import hashlib
import io
import json
import multiprocessing
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Callable, Iterator

REPO = Path(__file__).resolve().parents[2]
SLOW_SECONDS = 2.0
HANG_SECONDS = 60          # CPU seconds: a hard stop for one input (a hang would stall a worker for good)
HANG_WALL_SECONDS = 600    # wall seconds: the same for one blocked without using CPU
CHUNK = 200                # inputs per unit of work handed to a process
WORKER_CHUNKS = 50         # chunks a process runs before a fresh one takes over (bounds what caches keep)
SAVED_PER_SITE = 3         # inputs kept for one crash site
CORPUS_LIMIT = 3000        # files kept in corpus/
CORPUS_MAX_BYTES = 64 * 1024

sys.path.insert(0, str(REPO))
from click.testing import CliRunner  # noqa: E402

from sopc import pipeline  # noqa: E402
from sopc.cli import cli  # noqa: E402
from sopc.core.clock import parse_now  # noqa: E402
from sopc.core.render import render_json, render_text  # noqa: E402
from sopc.plan import output  # noqa: E402

# ---- seeds -----------------------------------------------------------------------------

PROJECT_SKIP = {"README.md", "expected.txt", "expected.json"}
EVENT_KINDS = ("member.joined", "member.message", "member.left", "member.tagged", "member.purchased",
               "group.stage")
KIND_WEIGHTS = {"sop": 40, "csv": 12, "toml": 10, "config": 13, "template": 7, "events": 18}
# `now` for check and plan: mostly a plain day; DST days (in the zones a
# mutated sopc.toml names), a year's end and the ends of the planned years.
NOWS = ("2026-11-23T09:00",) * 12 + ("2026-03-08T01:30", "2026-10-25T01:30", "2026-12-31T23:30",
                                      "2000-01-01T00:00", "2099-12-31T23:59")


@dataclasses.dataclass(frozen=True)
class Seed:
    """One file of a project to mutate, the project around it, and what kind of input it is."""

    name: str                  # e.g. examples/burger:playbooks/weekly.sop
    kind: str                  # sop, csv, toml, config, template, events
    files: tuple[tuple[str, bytes], ...]   # the project: relative path -> content
    target: str                # the file an input replaces

    @property
    def original(self) -> bytes:
        return dict(self.files)[self.target]


def project_roots() -> list[Path]:
    roots = sorted(p for p in (REPO / "examples").iterdir() if (p / "sopc.toml").is_file())
    roots += sorted(p for p in (REPO / "tests/golden/diagnostics").iterdir() if (p / "sopc.toml").is_file())
    return roots


def project_files(root: Path) -> dict[str, bytes]:
    files = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_file() and path.name not in PROJECT_SKIP and ".sopc" not in relative.parts:
            files[relative.as_posix()] = path.read_bytes()
    return files


def collect_seeds(state_dir: Path | None = None, *, small: bool = False) -> list[Seed]:
    """Every seed; their thinned copies (``~thin``: two steps per block),
    or with ``small`` only the seeds cut to one step per block (``~small``)."""
    seeds: list[Seed] = []
    lifecycle = None
    for root in project_roots():
        name = root.relative_to(REPO).as_posix()
        files = project_files(root)
        if root.name == "lifecycle":
            lifecycle = files
        frozen = tuple(files.items())
        for path in files:
            kind = _kind_of(path)
            if kind:
                seeds.append(Seed(f"{name}:{path}", kind, frozen, path))
        if "groups.csv" in files:
            toml_files = _as_toml_roster(files)
            seeds.append(Seed(f"{name}:groups.toml", "toml", tuple(toml_files.items()), "groups.toml"))
            if "events.jsonl" not in files:  # (examples/lifecycle has its own, a seed already)
                with_events = {**files, "events.jsonl": _made_events(files["groups.csv"])}
                seeds.append(Seed(f"{name}:events.jsonl", "events", tuple(with_events.items()), "events.jsonl"))
    for path in sorted((REPO / "playbooks").glob("*.sop")):  # the standard library, beside a project using it
        files = {**(lifecycle or {}), "std_copy.sop": path.read_bytes()}
        seeds.append(Seed(f"playbooks/{path.name}", "sop", tuple(files.items()), "std_copy.sop"))
    steps, suffix = (1, "~small") if small else (2, "~thin")
    thin = [cut for seed in seeds if (cut := thinned(seed, steps, suffix)) is not None]
    seeds = thin if small else seeds + thin
    if state_dir is not None:
        seeds += corpus_seeds(state_dir, {s.name: s for s in seeds})
    return seeds


THIN_SHARE = 0.75  # inputs made from a thinned seed (in a run without --small)


def thinned(seed: Seed, steps: int, suffix: str) -> Seed | None:
    """The seed with every `.sop` file of its project cut to its first
    ``steps`` steps per playbook, trigger and timeline (and one launch):
    every construct is still there, at a fraction of the cost of a check.
    Most inputs are made from these (THIN_SHARE), so a run tries more of
    them in the same time. None if there is nothing to cut (the seed as it
    is does for --small)."""
    from sopc.project.loader import parse_source

    files, cut = dict(seed.files), False
    for name, content in seed.files:
        if not name.lower().endswith(".sop"):
            continue
        text = content.decode("utf-8-sig", "replace")
        source, _ = parse_source(text, name)
        drop: set[int] = set()
        cut_off = [block[steps:] for block in (*(p.steps for p in source.playbooks),
                                               *(t.steps for t in source.timelines),
                                               *(t.steps for p in source.playbooks for t in p.triggers))]
        cut_off += [p.launches[1:] for p in source.playbooks]
        for items in cut_off:
            for item in items:
                drop.update(range(item.span.line, item.span.end_line + 1))
        if drop:
            lines = text.split("\n")
            files[name] = "\n".join(line for number, line in enumerate(lines, 1) if number not in drop).encode("utf-8")
            cut = True
    if not cut:
        return None if suffix == "~thin" else Seed(f"{seed.name}{suffix}", seed.kind, seed.files, seed.target)
    return Seed(f"{seed.name}{suffix}", seed.kind, tuple(files.items()), seed.target)


def _kind_of(path: str) -> str | None:
    if path.endswith(".sop") or path.lower().endswith((".sop.txt", ".sop")):
        return "sop"
    if path == "sopc.toml":
        return "config"
    if path.endswith(".csv"):
        return "csv"
    if path.endswith(".j2"):
        return "template"
    if path.endswith(".jsonl"):
        return "events"
    return None


def _roster_rows(csv_bytes: bytes) -> list[dict[str, str]]:
    import csv

    return list(csv.DictReader(io.StringIO(csv_bytes.decode("utf-8-sig"))))


def _as_toml_roster(files: dict[str, bytes]) -> dict[str, bytes]:
    """The project with its roster as groups.toml (the CSV's columns as keys;
    tags as an array, the extra columns as vars)."""
    known = {"id", "name", "sender", "address", "owner"}
    lines = []
    for row in _roster_rows(files["groups.csv"]):
        lines.append("[[groups]]")
        extra = {}
        for key, value in row.items():
            if key is None or value is None:
                continue
            if key in known:
                lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
            elif key == "tags":
                tags = [t for t in re.split(r"[;；,，|]", value) if t]
                lines.append(f"tags = {json.dumps(tags, ensure_ascii=False)}")
            elif key == "external":
                lines.append(f"external = {'true' if value.strip().lower() in ('true', '1', 'yes', '是') else 'false'}")
            elif key == "created" and value:
                lines.append(f"created = {value}")
            else:
                extra[key] = value
        if extra:
            lines.append("vars = { " + ", ".join(f"{json.dumps(k, ensure_ascii=False)} = "
                                                f"{json.dumps(v, ensure_ascii=False)}" for k, v in extra.items())
                         + " }")
        lines.append("")
    config = files["sopc.toml"].decode("utf-8")
    if re.search(r"^roster\s*=", config, re.M):
        config = re.sub(r"^roster\s*=.*$", 'roster = "groups.toml"', config, count=1, flags=re.M)
    else:
        config = 'roster = "groups.toml"\n' + config
    rest = {k: v for k, v in files.items() if k != "groups.csv"}
    return {**rest, "sopc.toml": config.encode("utf-8"), "groups.toml": "\n".join(lines).encode("utf-8")}


def _made_events(csv_bytes: bytes) -> bytes:
    """A few events of every kind about the project's own groups."""
    rows = _roster_rows(csv_bytes)
    ids = [r.get("id") for r in rows if r.get("id")] or ["g1"]
    out = []
    for n, kind in enumerate(EVENT_KINDS):
        record = {"event": kind, "group": ids[n % len(ids)], "member": f"m{n}", "name": ["小王", "Amy", "陈姐"][n % 3],
                  "at": f"2026-11-2{n % 7}T1{n}:30"}
        if kind == "member.tagged":
            record["tag"] = "VIP"
        if kind == "group.stage":
            record = {"event": kind, "group": ids[0], "stage": "active", "at": "2026-11-24T10:00:00+08:00"}
        if kind == "member.purchased":
            record["data"] = {"order": "A1001", "amount": 59}
            record["id"] = "evt-1"
        out.append(json.dumps(record, ensure_ascii=n % 2 == 0))
    return ("\n".join(out) + "\n").encode("utf-8")


def corpus_seeds(state_dir: Path, by_name: dict[str, Seed]) -> list[Seed]:
    """The inputs saved in corpus/ by earlier runs, each in its seed's project."""
    seeds = []
    for meta_path in sorted((state_dir / "corpus").glob("*.json")):
        if meta_path.name.startswith("seed-"):  # the seeds themselves, saved for the record
            continue
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            data = meta_path.with_suffix(".input").read_bytes()
        except (OSError, ValueError):
            continue
        base = by_name.get(meta.get("seed"))
        if base is not None:
            files = tuple((k, data if k == base.target else v) for k, v in base.files)
            seeds.append(Seed(base.name, base.kind, files, base.target))
    return seeds


# ---- mutations -------------------------------------------------------------------------

NUMBERS = ("0", "-1", "1", "2", "7", "12", "23", "24", "25", "29", "30", "31", "32", "33", "59", "60", "61", "99",
           "100", "255", "366", "999", "1000", "1001", "1024", "4300", "65535", "65536", "2147483648",
           "9223372036854775808", "1" + "0" * 29, "9" * 30, "9" * 31, "9" * 4301, "1e309", "-1e309", "1.5", "-0",
           "0x10", "1_000", "٣", "１２", "一百", "NaN", "inf", "-999999999999")
DATES = ("0001-01-01", "9999-12-31", "1999-12-31", "2000-01-01", "2099-12-31", "2100-01-01", "2026-02-29",
         "2028-02-29", "2026-13-01", "2026-00-10", "2026-11-31", "2026-03-08", "2026-11-01", "1970-01-01",
         "2026-11-23T09:00", "2026-11-23T25:00", "0001-01-01T00:00", "9999-12-31T23:59",
         "2026-11-23T09:00+14:00", "2026-11-23T09:00-12:00", "2026-11-23T09:00Z", "2026-03-08T02:30",
         "2026-11-23T09:00:00.999999+08:00", "+002026-11-23", "2026-W48-1", "20261123")
TIMES = ("00:00", "23:59", "24:00", "12:60", "9:5", "10：00", "１０:００", "25:00", "-1:00", "08:00-22:00",
         "22:00-08:00", "00:00-00:00", "10:00-10:00", "02:30", "01:30")
DURATIONS = ("0m", "1m", "30m", "59m", "1h", "24h", "25h", "7d", "0d", "366d", "100000d",
             "99999999999999999999h", "1w", "-1h", "1.5h", "1h30m", "T+1d", "T-1d", "T+0", "T+99999d",
             "every 0 days", "every 99999 days")
ZONES = ("Asia/Shanghai", "UTC", "America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kathmandu",
         "Pacific/Kiritimati", "Etc/GMT+12", "Etc/GMT-14", "America/Santiago", "Nope/Nowhere", "",
         "../../../etc/passwd", "Asia/shanghai", "UTC+8", "+08:00", "localtime")
WEIRD = ("\x00", "\t", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u3000", "\u00a0", "\u200b",
         "\ufeff", "\u202e", "\ud800", "\U0001F600", "👨‍👩‍👧", "𠀀", "０", "：", "，", "；", "（", "）", "＂", "“", "”",
         "‘", "’", "「", "」", "《", "》", "、", "\\", '"', "'", '"""', "#", "@", "@all", "@所有人", "@owner",
         "{{", "}}", "{%", "%}", "{#", "#}", "${", "%s", "[", "]", "{", "}", "=", "==", ",", ";", "|", "&",
         "!", "~", "*", "?", "/", "..", "../", "\x1b[31m", "<script>", "周八", "星期日", "每天", "工作日",
         "节假日", "T", "T+", "+", "-", "—", "·", "e\u0301", "ﬁ", "Ⅻ", "㊀", "\U000E0001")
JINJA = ("{{ group.name }}", "{{ member.name }}", "{{ date }}", "{{ weekday_cn }}", "{{ event.order }}",
         "{{ range(100000)|list|length }}",
         "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
         "{{ 'x'|center(10**9) }}", "{{ '%0999999999d'|format(1) }}", "{{ ((10**1000)**1000)**1000 }}",
         "{{ 9**9**9 }}", "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "{{ ''.__class__.__mro__ }}",
         "{{ lipsum(1000) }}", "{% include 'coupon.j2' %}", "{% include 'nope.j2' %}",
         "{% extends 'coupon.j2' %}", "{% import 'x.j2' as y %}", "{{ self }}", "{{ undefined_name }}",
         "{{ group.nope.deeper }}", "{{ 1|yuan }}", "{{ 1/0 }}", "{{ 'a' ~ 'b' * 1000000 }}",
         "{% set x = [] %}{% for i in range(10**6) %}{{ x.append(i) }}{% endfor %}", "{% raw %}", "{% endraw %}",
         "{{ [[[[[[1]]]]]]|string }}", "{{ 'abc'[::-1] * 99999 }}", "{{ group }}", "{{ schedule_summary }}",
         "{{ range(10)|sum }}", "{{ '{{' }}", "{% if %}", "{% for %}", "{{ x|nofilter }}", "{{ 2**64|string|length }}")
WORDS = ("playbook", "timeline", "template", "import", "std/newcomer", "to", "all", "groups", "tagged", "and",
         "or", "not", "sender", "on", "until", "use", "every", "at", "between", "cap", "gap", "quiet", "holidays",
         "keep", "skip", "shift", "active", "from", "launch", "run", "vars", "stages", "stage", "max", "mon",
         "tue", "wed", "thu", "fri", "sat", "sun", "周一", "周三", "周五", "周六", "周日", "daily", "weekdays",
         "weekends", "workdays", "monthly", "cron", "day", "days", "week", "weeks", "@member", "@all", "image",
         "file", "link", "markdown", "id", "name", "tags", "address", "external", "owner", "created", "群id",
         "群名", "标签", "建群日期", "群主", "是否外部群", "timezone", "roster", "templates", "defaults",
         "senders", "kind", "key_env", "url_env", "webhook", "wecom-bot", "feishu-bot", "dingtalk-bot", "console",
         "outbox", "true", "false", "yes", "否", "null", "event", "group", "member", "data", "stage", "tag",
         "member.joined", "member.message", "member.left", "member.tagged", "member.purchased", "group.stage",
         "member.JOINED", "nope.event",
         "周一到周五", "周一至", "到", "至", "~", "～", "－", "每周一三五", "周一三三", "每周八", "周一、周三", "每周末",
         "周1", "星期八", "礼拜天", "posts", "posts 3-6/day", "posts 6-3/day", "peaks", "peaks 09:00-11:00, 14:00-18:00",
         "title=", "title=福利")


def _nested(rng: random.Random) -> str:
    depth = rng.choice((5, 31, 32, 33, 64, 100, 1000, 3000))
    kind = rng.randrange(6)
    if kind == 0:
        return "(" * depth + "x" + ")" * depth
    if kind == 1:
        return "not " * depth + "x"
    if kind == 2:
        return "[" * depth + "1" + "]" * depth
    if kind == 3:
        return '{"a":' * depth + "1" + "}" * depth
    if kind == 4:
        return "{% if x %}" * depth + "y" + "{% endif %}" * depth
    return "(" * depth  # never closed


def _long(rng: random.Random) -> str:
    size = rng.choice((100, 1000, 4301, 20000, 65536, 65537, 70000))
    return rng.choice(("x", "汉", "9", " ", "{{ ", "a,", "\t", "@")) * (size // 1 if size < 20000 else size // 2)


def _interesting(rng: random.Random, pool: "Pool") -> str:
    table = rng.randrange(12)
    if table == 0:
        return rng.choice(NUMBERS)
    if table == 1:
        return rng.choice(DATES)
    if table == 2:
        return rng.choice(TIMES)
    if table == 3:
        return rng.choice(DURATIONS)
    if table == 4:
        return rng.choice(ZONES)
    if table in (5, 6):
        return rng.choice(WEIRD)
    if table == 7:
        return rng.choice(JINJA)
    if table == 8:
        return rng.choice(WORDS)
    if table == 9:
        return _nested(rng) if rng.random() < 0.5 else _long(rng)
    return pool.token(rng)


TOKEN_RE = re.compile(r"\d+|\w+|\s+|.", re.S)


class Pool:
    """Lines and tokens of every seed, for splicing one input into another."""

    def __init__(self, seeds: list[Seed]):
        by_kind: dict[str, list[str]] = {}
        tokens: set[str] = set()
        for seed in seeds:
            text = seed.original.decode("utf-8", "replace")
            lines = text.splitlines()
            by_kind.setdefault(seed.kind, []).extend(lines)
            tokens.update(t for t in TOKEN_RE.findall(text) if not t.isspace())
        self.lines_by_kind = {k: sorted(set(v)) or [""] for k, v in by_kind.items()}
        self.all_lines = sorted({line for lines in by_kind.values() for line in lines}) or [""]
        self.tokens = sorted(tokens) or ["x"]
        self.texts_by_kind: dict[str, list[str]] = {}
        for seed in seeds:
            self.texts_by_kind.setdefault(seed.kind, []).append(seed.original.decode("utf-8", "replace"))

    def token(self, rng: random.Random) -> str:
        return rng.choice(self.tokens)

    def line(self, rng: random.Random, kind: str) -> str:
        if rng.random() < 0.8:
            return rng.choice(self.lines_by_kind.get(kind, self.all_lines))
        return rng.choice(self.all_lines)


def _position(rng: random.Random, text: str) -> int:
    return rng.randrange(len(text) + 1)


def op_insert(rng, text, pool, kind):
    at = _position(rng, text)
    return text[:at] + _interesting(rng, pool) + text[at:]


def op_replace_chars(rng, text, pool, kind):
    if not text:
        return _interesting(rng, pool)
    at = rng.randrange(len(text))
    size = rng.choice((1, 1, 1, 2, 3, 8, 32))
    return text[:at] + _interesting(rng, pool) + text[at + size:]


def op_delete(rng, text, pool, kind):
    if not text:
        return text
    at = rng.randrange(len(text))
    size = rng.choice((1, 1, 2, 4, 16, 64, 512))
    return text[:at] + text[at + size:]


def op_char(rng, text, pool, kind):
    """A character swapped for a near one: its full-width form, a code point
    away, or a random one from a few interesting planes."""
    if not text:
        return text
    at = rng.randrange(len(text))
    old = text[at]
    choice = rng.randrange(4)
    if choice == 0 and "!" <= old <= "~":
        new = chr(ord(old) + 0xFEE0)
    elif choice == 1:
        new = chr(max(1, min(0x10FFFF, ord(old) + rng.choice((-1, 1, -32, 32)))))
    elif choice == 2:
        new = chr(rng.choice((rng.randrange(0x20, 0x7F), rng.randrange(0x4E00, 0x9FFF), rng.randrange(0, 0x20),
                              rng.randrange(0xFF00, 0xFFEF), rng.randrange(0x2000, 0x206F))))
    else:
        new = rng.choice(WEIRD)
    return text[:at] + new + text[at + 1:]


def op_token(rng, text, pool, kind):
    tokens = TOKEN_RE.findall(text)
    if not tokens:
        return _interesting(rng, pool)
    index = rng.randrange(len(tokens))
    tokens[index] = _interesting(rng, pool) if rng.random() < 0.6 else pool.token(rng)
    return "".join(tokens)


def op_number(rng, text, pool, kind):
    spots = [m.span() for m in re.finditer(r"\d+", text)]
    if not spots:
        return op_insert(rng, text, pool, kind)
    start, end = rng.choice(spots)
    return text[:start] + rng.choice(NUMBERS + DATES[:6] + TIMES[:6]) + text[end:]


def op_datetime(rng, text, pool, kind):
    spots = [m.span() for m in re.finditer(r"\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d)?(?:[+-]\d\d:\d\d|Z)?)?"
                                           r"|\d{1,2}:\d\d|Asia/\w+|\b\d+[mhdw]\b", text)]
    if not spots:
        return op_number(rng, text, pool, kind)
    start, end = rng.choice(spots)
    return text[:start] + rng.choice(DATES + TIMES + DURATIONS + ZONES) + text[end:]


def op_wrap(rng, text, pool, kind):
    """A token nested deep: parentheses, `not`s, arrays, objects."""
    tokens = TOKEN_RE.findall(text)
    if not tokens:
        return _nested(rng)
    index = rng.randrange(len(tokens))
    depth = rng.choice((3, 31, 32, 33, 100, 1000, 2500))
    opener, closer = rng.choice((("(", ")"), ("not ", ""), ("[", "]"), ('{"a":', "}"), ("not (", ")")))
    tokens[index] = opener * depth + tokens[index] + closer * depth
    return "".join(tokens)


def _lines(text):
    return text.split("\n")


def op_line_delete(rng, text, pool, kind):
    lines = _lines(text)
    del lines[rng.randrange(len(lines))]
    return "\n".join(lines)


def op_line_duplicate(rng, text, pool, kind):
    lines = _lines(text)
    index = rng.randrange(len(lines))
    times = rng.choice((1, 1, 1, 2, 3, 5, 20, 100, 300)) if rng.random() < 0.97 else 300
    lines[index:index] = [lines[index]] * times
    return "\n".join(lines)


def op_line_swap(rng, text, pool, kind):
    lines = _lines(text)
    a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[a], lines[b] = lines[b], lines[a]
    return "\n".join(lines)


def op_line_splice(rng, text, pool, kind):
    lines = _lines(text)
    lines.insert(rng.randrange(len(lines) + 1), pool.line(rng, kind))
    return "\n".join(lines)


def op_indent(rng, text, pool, kind):
    lines = _lines(text)
    index = rng.randrange(len(lines))
    change = rng.randrange(5)
    if change == 0:
        lines[index] = "  " + lines[index]
    elif change == 1:
        lines[index] = lines[index].lstrip(" ")
    elif change == 2:
        lines[index] = "\t" + lines[index].lstrip(" ")
    elif change == 3:
        lines[index] = " " * rng.choice((1, 3, 7, 200)) + lines[index]
    else:
        lines[index] = "\u3000" + lines[index]
    return "\n".join(lines)


def op_join_split(rng, text, pool, kind):
    if rng.random() < 0.5 and "\n" in text:
        at = rng.choice([m.start() for m in re.finditer("\n", text)])
        return text[:at] + rng.choice(("", " ", "\\")) + text[at + 1:]
    at = _position(rng, text)
    return text[:at] + rng.choice(("\n", "\r\n", "\r", "\n  ", "\n\n")) + text[at:]


def op_crossover(rng, text, pool, kind):
    """A slice of another seed of the same kind in place of a slice of this one."""
    other = rng.choice(pool.texts_by_kind.get(kind) or [text])
    if not other or not text:
        return text + other
    a = rng.randrange(len(text))
    b = rng.randrange(len(other))
    return text[:a] + other[b:b + rng.choice((10, 100, 1000, len(other)))] + text[a + rng.choice((0, 10, 100)):]


def op_truncate(rng, text, pool, kind):
    return text[:_position(rng, text)]


def op_json(rng, text, pool, kind):
    """An event line with one field set to another value (JSON-aware)."""
    lines = _lines(text)
    index = rng.randrange(len(lines))
    try:
        record = json.loads(lines[index])
    except (ValueError, RecursionError):
        return op_token(rng, text, pool, kind)
    if not isinstance(record, dict):
        record = {"event": record}
    key = rng.choice(list(record) + ["event", "group", "member", "name", "at", "tag", "stage", "data", "id",
                                     rng.choice(WORDS)])
    values = (None, True, False, 0, -1, 10 ** 30, 10 ** 31, 2 ** 63, 1.5, float("1e308"), "", " ",
              rng.choice(DATES), rng.choice(EVENT_KINDS), rng.choice(WORDS), rng.choice(WEIRD), [], {},
              [rng.choice(DATES)], {"a": {"b": [1, 2, {"c": None}]}}, "x" * rng.choice((100, 70000)),
              {"order": "A1", "amount": rng.choice(NUMBERS)}, pool.token(rng))
    if rng.random() < 0.1:
        record.pop(key, None)
    else:
        record[key] = rng.choice(values)
    lines[index] = json.dumps(record, ensure_ascii=rng.random() < 0.3)
    return "\n".join(lines)


def op_csv_cell(rng, text, pool, kind):
    lines = _lines(text)
    index = rng.randrange(len(lines))
    cells = lines[index].split(",")
    where = rng.randrange(len(cells) + 1)
    action = rng.randrange(4)
    if action == 0 and where < len(cells):
        cells[where] = _interesting(rng, pool)
    elif action == 1:
        cells.insert(where, rng.choice(WORDS) if index == 0 else _interesting(rng, pool))
    elif action == 2 and where < len(cells):
        del cells[where]
    else:
        cells.insert(where, '"' + _interesting(rng, pool).replace('"', '""') + '"')
    lines[index] = rng.choice((",", ",", ",", ";", "\t", "，")).join(cells)
    return "\n".join(lines)


TEXT_OPS: tuple[Callable, ...] = (op_insert, op_replace_chars, op_delete, op_char, op_token, op_token, op_number,
                                  op_datetime, op_wrap, op_line_delete, op_line_duplicate, op_line_swap,
                                  op_line_splice, op_line_splice, op_indent, op_join_split, op_crossover,
                                  op_truncate)
KIND_OPS = {"events": (op_json, op_json, op_json), "csv": (op_csv_cell, op_csv_cell), "toml": (op_csv_cell,)}


def op_bytes(rng: random.Random, data: bytes) -> bytes:
    """Encodings and broken bytes: GB18030, UTF-16 with BOM, a UTF-8 BOM,
    invalid or cut sequences, NUL."""
    choice = rng.randrange(7)
    text = data.decode("utf-8", "replace")
    try:
        if choice == 0:
            return text.encode("gb18030")
        if choice == 1:
            return text.encode("utf-16")
    except UnicodeEncodeError:
        return data
    if choice == 2:
        return b"\xef\xbb\xbf" + data
    at = rng.randrange(len(data) + 1)
    if choice == 3:
        return data[:at] + rng.choice((b"\xff", b"\xc3", b"\xe6\xb1", b"\xed\xa0\x80", b"\xc0\x80", b"\xfe\xff")) + data[at:]
    if choice == 4:
        return data[:at] + b"\x00" + data[at:]
    if choice == 5:
        return data[:at]
    position = rng.randrange(len(data)) if data else 0
    return data[:position] + bytes([rng.randrange(256)]) + data[position + 1:]


LAST_OPS: list[str] = []   # the mutations of the last input (for --stats)


def _raw_bytes(error: UnicodeEncodeError) -> tuple[bytes, int]:
    """Encoding back what ``surrogateescape`` decoded (a seed's invalid
    bytes stay those bytes); any other lone surrogate as UTF-8 would write
    it (itself invalid UTF-8, on purpose)."""
    chars = error.object[error.start:error.end]
    return b"".join(bytes([ord(c) - 0xDC00]) if 0xDC80 <= ord(c) <= 0xDCFF else c.encode("utf-8", "surrogatepass")
                    for c in chars), error.end


codecs.register_error("sopc-fuzz", _raw_bytes)


def mutate(rng: random.Random, seed: Seed, pool: Pool) -> bytes:
    text = seed.original.decode("utf-8", "surrogateescape")
    ops = TEXT_OPS + KIND_OPS.get(seed.kind, ())
    LAST_OPS.clear()
    for _ in range(rng.choice((1, 1, 1, 1, 2, 2, 2, 3, 4, 5, 8, 16))):
        op = rng.choice(ops)
        LAST_OPS.append(op.__name__)
        text = op(rng, text, pool, seed.kind)
        if len(text) > 512 * 1024:  # inputs stay small: a long line or a deep nest, not megabytes
            text = text[:512 * 1024]
    data = text.encode("utf-8", "sopc-fuzz")
    if rng.random() < 0.06:
        data = op_bytes(rng, data)
    return data


# ---- running one input -----------------------------------------------------------------

class Hang(BaseException):
    """One input ran past HANG_SECONDS (BaseException: sopc's `except Exception` must not swallow it)."""


class Workspace:
    """Every seed's project written once, in a folder of its own; an input
    replaces its seed's target file and the original goes back after."""

    def __init__(self, root: Path, seeds: list[Seed]):
        self.root = root
        self.dirs: dict[int, Path] = {}
        self.state = root / "state.db"
        self.events_run = 0
        for index, seed in enumerate(seeds):
            folder = root / f"p{index}"
            for name, content in seed.files:
                path = folder / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
            self.dirs[index] = folder

    def run(self, index: int, seed: Seed, data: bytes, rng: random.Random, now: str | None = None) -> set[str]:
        """The input through sopc (at ``now``, else one of NOWS); what it
        said: diagnostic codes, or the commands' exit codes and first words
        for event lines."""
        folder = self.dirs[index]
        target = folder / seed.target
        target.write_bytes(data)
        try:
            if seed.kind == "events":
                return self._events(folder, target, rng, now)
            return check_and_plan(folder, rng, now=now, state=self.state)
        finally:
            target.write_bytes(seed.original)

    def _events(self, folder: Path, path: Path, rng: random.Random, now: str | None) -> set[str]:
        self.events_run += 1
        if self.events_run % 500 == 0 and self.state.exists():  # a state file that does not grow forever
            for leftover in self.root.glob("state.db*"):
                leftover.unlink()
        now = now or rng.choice(NOWS)
        said = {_said("file", sopc_cli("event", "--file", str(path), str(folder), "--state", str(self.state),
                                       now=now))}
        for args in _event_options(path, rng) if rng.random() < 0.5 else ():
            said.add(_said("options", sopc_cli("event", *args[:1], str(folder), *args[1:],
                                               "--state", str(self.state), now=now)))
        if rng.random() < 0.25:  # what `sopc run` plans from the events the commands recorded
            said.add(_said("run", sopc_cli("run", str(folder), "--once", "--dry-run", "--state", str(self.state),
                                           "--now", now, now=now)))
        if rng.random() < 0.25:
            said |= check_and_plan(folder, rng, events=path, now=now)
        return said


def _said(how: str, result) -> str:
    """An event command's answer in short: its exit code and the shape of its first error."""
    first = next((line for line in result.stderr.splitlines() if "error" in line.lower()), "")
    first = re.sub(r"^.*?error:\s*", "", first)
    return f"{how}:{result.exit_code}:" + re.sub(r"`[^`]*`|\d+|\"[^\"]*\"", "_", first)[:40]


def sopc_cli(*args: str, now: str):
    """`sopc ARGS` in this process: exceptions propagate (a crash), exit codes do not."""
    return CliRunner().invoke(cli, list(args), env={"SOPC_NOW": now, "SOPC_DEBUG": None, "SOPC_STATE": None,
                                                    "NO_COLOR": "1"}, prog_name="sopc", catch_exceptions=False)


def _event_options(path: Path, rng: random.Random) -> Iterator[list[str]]:
    """`sopc event KIND --group ... --at ...` made from a line or two of the file."""
    text = path.read_bytes().decode("utf-8", "replace")
    lines = [line for line in text.splitlines() if line.strip()][:50]
    for line in rng.sample(lines, min(len(lines), 1)):
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):  # too deep for json itself: sopc refuses it (MAX_NESTING)
            continue
        if not isinstance(record, dict):
            continue
        args = [_option_text(record.get("event", "member.joined"))]
        for key in ("group", "member", "name", "at", "tag", "stage"):
            if key in record and record[key] is not None:
                args += [f"--{key}", _option_text(record[key])]
        data = record.get("data")
        if isinstance(data, dict):
            for key, value in list(data.items())[:5]:
                args += ["--data", f"{key}={_option_text(value)}"]
        yield [a.replace("\x00", "") for a in args]  # a NUL cannot reach argv


def _option_text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def check_and_plan(folder: Path, rng: random.Random, *, events: Path | None = None,
                   now: str | None = None, state: Path | None = None) -> set[str]:
    """What `sopc check` and `sopc plan` do with the project (one build for
    both), and now and then `sopc run --once --dry-run` (with the state
    file ``state``); the diagnostic codes it found."""
    built = pipeline.build([folder])
    now = now or rng.choice(NOWS)
    moment = parse_now(now, built.zone)
    result = pipeline.check_build(built, now=moment, events_path=events)
    diagnostics, sources = pipeline.displayed(result)
    render_text(diagnostics, sources, color=rng.random() < 0.1)
    render_json(diagnostics)
    codes = {d.code for d in diagnostics}
    if result.failed:
        return codes
    start, end = pipeline.plan_window(built.zone, moment.astimezone(built.zone).date())
    plan_events = pipeline.read_events(result, events) if events is not None else ()
    out = io.StringIO()
    fmt = rng.choice(("table", "jsonl", "csv"))
    if rng.random() < 0.25:
        output.write_fates(pipeline.plan_fates(result, start, end, events=plan_events), out, fmt, built.zone)
    else:
        output.write(pipeline.plan(result, start, end, events=plan_events), out, fmt, built.zone)
    if state is not None and rng.random() < 0.1:  # the runner's start, gate and senders' contracts
        sopc_cli("run", str(folder), "--once", "--dry-run", "--state", str(state), "--now", now, now=now)
    return codes


def crash_site(exc: BaseException) -> str:
    """Where a crash happened: the innermost frame in sopc (else the innermost), and the exception type."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if f"{os.sep}sopc{os.sep}" in f.filename] or frames
    where = f"{Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else "?"
    return f"{type(exc).__name__} at {where}"


# ---- the worker ------------------------------------------------------------------------

@dataclasses.dataclass
class Found:
    """What one chunk of inputs found."""

    tried: int = 0
    crashes: list[dict] = dataclasses.field(default_factory=list)
    slow: list[dict] = dataclasses.field(default_factory=list)
    slowest: tuple[float, str] = (0.0, "")
    seconds: float = 0.0


_WORKER: dict = {}


def _on_alarm(signum, frame):
    raise Hang(f"over {HANG_SECONDS} s of CPU" if signum == signal.SIGPROF else f"over {HANG_WALL_SECONDS} s")


def _worker_init(seeds: list[Seed], state_dir: str, slow: float, jobs: int, scratch: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the workers
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    root = Path(tempfile.mkdtemp(prefix=f"w{os.getpid()}-", dir=scratch))  # the parent removes scratch
    room = CORPUS_LIMIT - len(list((Path(state_dir) / "corpus").glob("*.input")))
    _WORKER.update(seeds=seeds, pool=Pool(seeds), workspace=Workspace(root, seeds), state_dir=Path(state_dir),
                   slow=slow, sites={}, codes=set(), root=root, corpus_room=room // max(1, jobs))


def _scratch() -> str | None:
    """Memory-backed scratch space when there is some: every input writes its file."""
    return "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


def input_for(run_seed: int, index: int, seeds: list[Seed], pool: Pool) -> tuple[int, random.Random, bytes]:
    """Input number ``index`` of the run: which seed, and its mutated bytes (the same for the same seeds)."""
    rng = random.Random(f"{run_seed}:{index}")
    kinds = sorted({s.kind for s in seeds})
    kind = rng.choices(kinds, weights=[KIND_WEIGHTS.get(k, 5) for k in kinds])[0]
    thin = rng.random() < THIN_SHARE
    choices = ([i for i, s in enumerate(seeds) if s.kind == kind and s.name.endswith("~thin") == thin]
               or [i for i, s in enumerate(seeds) if s.kind == kind])
    seed_index = rng.choice(choices)
    return seed_index, rng, mutate(rng, seeds[seed_index], pool)


def _timed(workspace: Workspace, seed_index: int, seed: Seed, data: bytes, run_rng_state, now: str | None = None
           ) -> tuple[float, BaseException | None, set[str]]:
    """Run one input: (its seconds, the exception or None, what sopc said).
    The seconds are this process's CPU time: the input's own work, which
    other jobs on a busy machine do not inflate as they do wall time (sopc
    is one thread here; its waits are a few small file writes)."""
    rng = random.Random()
    rng.setstate(run_rng_state)
    previous = {number: signal.signal(number, _on_alarm) for number in (signal.SIGPROF, signal.SIGALRM)}
    signal.setitimer(signal.ITIMER_PROF, HANG_SECONDS)  # CPU time: a starved process is not hung
    signal.alarm(HANG_WALL_SECONDS)
    started = time.process_time()
    error, said = None, set()
    try:
        said = workspace.run(seed_index, seed, data, rng, now)
    except (Exception, Hang) as exc:
        error = exc
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.alarm(0)
        for number, handler in previous.items():
            signal.signal(number, handler)
    return time.process_time() - started, error, said


def run_chunk(job: tuple[int, int, int]) -> Found:
    run_seed, start, count = job
    seeds, pool, workspace = _WORKER["seeds"], _WORKER["pool"], _WORKER["workspace"]
    found = Found()
    began = time.process_time()
    for index in range(start, start + count):
        seed_index, rng, data = input_for(run_seed, index, seeds, pool)
        seed = seeds[seed_index]
        state = rng.getstate()
        seconds, error, said = _timed(workspace, seed_index, seed, data, state)
        if error is None and seconds > _WORKER["slow"]:
            again, error, said = _timed(workspace, seed_index, seed, data, state)  # a busy machine, or the input?
            seconds = min(seconds, again)
        found.tried += 1
        label = f"#{index} {seed.name}"
        if seconds > found.slowest[0]:
            found.slowest = (seconds, label)
        if error is not None:
            found.crashes.append(_save(error, index, run_seed, seed, data, state, seconds, "crashes"))
        elif seconds > _WORKER["slow"]:
            found.slow.append(_save(None, index, run_seed, seed, data, state, seconds, "slow"))
        else:
            _keep_if_new(said, seed, data, seconds)
    found.seconds = time.process_time() - began
    return found


def _save(error: BaseException | None, index: int, run_seed: int, seed: Seed, data: bytes, rng_state,
          seconds: float, folder: str) -> dict:
    site = crash_site(error) if error is not None else f"slow: {seed.kind}"
    replayed = random.Random()
    replayed.setstate(rng_state)
    record = {"site": site, "index": index, "run_seed": run_seed, "seed": seed.name, "kind": seed.kind,
              "target": seed.target, "now": replayed.choice(NOWS), "seconds": round(seconds, 3), "file": None,
              "error": "".join(traceback.format_exception(error))[-4000:] if error is not None else None}
    seen = _WORKER["sites"].setdefault(site, 0)
    _WORKER["sites"][site] = seen + 1
    if seen < SAVED_PER_SITE:
        out = _WORKER["state_dir"] / folder
        out.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha1(data).hexdigest()[:12]
        stem = out / f"{seed.kind}-{run_seed}-{index}-{digest}"
        stem.with_suffix(".input").write_bytes(data)
        record["file"] = str(stem.with_suffix(".input"))
        record["rng_state"] = _json_state(rng_state)
        stem.with_suffix(".json").write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
    return {k: v for k, v in record.items() if k not in ("rng_state",)}


def _keep_if_new(said: set[str], seed: Seed, data: bytes, seconds: float) -> None:
    """An input that made sopc say something this process has not heard for
    its kind goes to corpus/: later runs mutate it further."""
    seen = _WORKER["codes"]
    new = {(seed.kind, s) for s in said} - seen
    if not new:
        return
    seen.update(new)
    if len(data) > CORPUS_MAX_BYTES or seconds > 0.5 or _WORKER["corpus_room"] <= 0:
        return
    _WORKER["corpus_room"] -= 1
    folder = _WORKER["state_dir"] / "corpus"
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"{seed.kind}-{hashlib.sha1(data).hexdigest()[:16]}"
    stem.with_suffix(".input").write_bytes(data)
    stem.with_suffix(".json").write_text(json.dumps({"seed": seed.name, "kind": seed.kind, "new": sorted(s for _, s in new)},
                                                    ensure_ascii=False), encoding="utf-8")


def _json_state(state) -> list:
    version, internal, gauss = state
    return [version, list(internal), gauss]


def _state_from_json(value) -> tuple:
    version, internal, gauss = value
    return (version, tuple(internal), gauss)


# ---- the run ---------------------------------------------------------------------------

def load_state(path: Path, run_seed: int, small: bool) -> dict:
    if path.is_file():
        state = json.loads(path.read_text(encoding="utf-8"))
        if state.get("seed") == run_seed and state.get("small", False) == small:
            return state
        raise SystemExit(f"{path} holds a run with seed {state.get('seed')}"
                         f"{' and --small' if state.get('small') else ''}; give --seed {state.get('seed')} "
                         "(and --small as it had) to resume it, or another --state-dir")
    return {"seed": run_seed, "small": small, "done": 0, "crashes": 0, "slow": 0, "sites": {},
            "slowest": [0.0, ""], "seconds": 0.0}


def save_state(path: Path, state: dict) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(state, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(temporary, path)


def run(inputs: int, run_seed: int, state_dir: Path, jobs: int, slow: float, quiet: bool, small: bool = False) -> dict:
    """Inputs from the state file's count up to ``inputs``, in ``jobs``
    processes; the state file is written after every chunk, so SIGINT,
    SIGTERM or a crash of this process loses at most the chunks in flight."""
    state_dir.mkdir(parents=True, exist_ok=True)
    state_path = state_dir / "state.json"
    state = load_state(state_path, run_seed, small)
    seeds = collect_seeds(state_dir, small=small)
    save_corpus_seeds(state_dir, seeds)
    began, last_print = time.monotonic(), time.monotonic()
    start = state["done"]
    work = [(run_seed, s, min(CHUNK, inputs - s)) for s in range(start, inputs, CHUNK)]
    if not quiet:
        print(f"fuzzing sopc: {len(seeds)} seeds, inputs {start:,} to {inputs:,}, {jobs} processes, "
              f"seed {run_seed}, state in {state_dir}", flush=True)
    scratch = Path(tempfile.mkdtemp(prefix="sopc-fuzz-", dir=_scratch()))
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)  # `kill` stops it like Ctrl-C
    pool = multiprocessing.get_context("fork").Pool(jobs, initializer=_worker_init, maxtasksperchild=WORKER_CHUNKS,
                                                    initargs=(seeds, str(state_dir), slow, jobs, str(scratch)))
    try:
        for found in pool.imap(run_chunk, work):
            _add(state, found)
            save_state(state_path, state)
            if not quiet and time.monotonic() - last_print > 60:
                last_print = time.monotonic()
                rate = (state["done"] - start) / max(1e-9, time.monotonic() - began)
                print(f"  {state['done']:,} inputs, {state['crashes']} crashes, {state['slow']} slow, "
                      f"{rate:,.0f} inputs/s, slowest {state['slowest'][0]:.3f} s", flush=True)
        pool.close()
    except KeyboardInterrupt:
        pool.terminate()
        print(f"stopped: {state['done']:,} inputs done; the same command continues from there", flush=True)
        print(report(state, inputs))
        raise SystemExit(130)
    finally:
        pool.join()
        signal.signal(signal.SIGTERM, previous)
        shutil.rmtree(scratch, ignore_errors=True)
    return state


def _add(state: dict, found: Found) -> None:
    state["done"] += found.tried
    state["seconds"] = round(state["seconds"] + found.seconds, 3)
    state["crashes"] += len(found.crashes)
    state["slow"] += len(found.slow)
    for record in found.crashes + found.slow:
        site = state["sites"].setdefault(record["site"], {"count": 0, "files": []})
        site["count"] += 1
        if record["file"] and len(site["files"]) < SAVED_PER_SITE:
            site["files"].append(record["file"])
    if found.slowest[0] > state["slowest"][0]:
        state["slowest"] = [round(found.slowest[0], 4), found.slowest[1]]


def save_corpus_seeds(state_dir: Path, seeds: list[Seed]) -> None:
    """corpus/ starts with the seeds themselves (what every input is made from)."""
    folder = state_dir / "corpus"
    folder.mkdir(exist_ok=True)
    for seed in seeds:
        stem = folder / ("seed-" + re.sub(r"[^\w.-]+", "_", seed.name))
        if not stem.with_suffix(".json").exists():
            stem.with_suffix(".input").write_bytes(seed.original)
            stem.with_suffix(".json").write_text(json.dumps({"seed": seed.name, "kind": seed.kind}), encoding="utf-8")


def report(state: dict, inputs: int) -> str:
    lines = [f"inputs tried: {state['done']:,} of {inputs:,}",
             f"crashes: {state['crashes']}" + (f" ({len([s for s in state['sites'] if not s.startswith('slow')])} sites)"
                                              if state["crashes"] else ""),
             f"inputs over the time limit: {state['slow']}",
             f"slowest input: {state['slowest'][0]:.3f} s of CPU ({state['slowest'][1]})",
             f"cpu seconds in inputs: {state['seconds']:,.0f}"]
    for site, info in sorted(state["sites"].items()):
        lines.append(f"  {info['count']:>6} x {site}: " + (", ".join(info["files"]) or "(not saved)"))
    return "\n".join(lines)


# ---- replay ----------------------------------------------------------------------------

def replay(meta_path: Path) -> int:
    """Run a saved input again, in this process, and show its traceback (or its time)."""
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    seed = seed_named(meta["seed"])
    saved = meta_path.with_suffix(".input")
    data = saved.read_bytes() if saved.is_file() else Path(meta["file"]).read_bytes()
    seconds, error, _ = replay_input(seed, data, meta.get("rng_state"), meta.get("now"))
    if error is not None:
        traceback.print_exception(error)
        return 1
    print(f"no crash; {seconds:.3f} s")
    return 0


def replay_input(seed: Seed, data: bytes, rng_state=None, now: str | None = None
                 ) -> tuple[float, BaseException | None, set[str]]:
    """``data`` as ``seed``'s file, run as the fuzzer runs it (with its
    random choices, else at ``now``): (seconds, the exception or None, what
    sopc said)."""
    root = Path(tempfile.mkdtemp(prefix="sopc-fuzz-replay-", dir=_scratch()))
    try:
        workspace = Workspace(root, [seed])
        state = _state_from_json(rng_state) if rng_state else random.Random(0).getstate()
        return _timed(workspace, 0, seed, data, state, None if rng_state else now)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def seed_named(name: str) -> Seed:
    for seed in collect_seeds(small=name.endswith("~small")):
        if seed.name == name:
            return seed
    raise KeyError(name)


def memoise_entry_points() -> None:
    """For a fuzzing process only (not when tests import this module: they
    install plugins as they go): sopc reads its plugin registries several
    times per check, and the installed packages do not change during a run."""
    from sopc.core import plugins

    plugins.entry_points = functools.cache(plugins.entry_points)  # looked up at each call


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inputs", type=int, default=1_000_000, help="run until this many inputs are done")
    parser.add_argument("--seed", type=int, default=11, help="the run's random seed (fixed per state dir)")
    parser.add_argument("--state-dir", type=Path, default=REPO / ".fuzz")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--slow", type=float, default=SLOW_SECONDS, help="CPU seconds an input may take")
    parser.add_argument("--quiet", action="store_true", help="print the result only")
    parser.add_argument("--small", action="store_true",
                        help="only seeds cut to one step per block: more inputs per second (what CI runs)")
    parser.add_argument("--replay", type=Path, metavar="JSON", help="run one saved input again and exit")
    args = parser.parse_args(argv)
    memoise_entry_points()
    if args.replay:
        return replay(args.replay)
    began = time.monotonic()
    state = run(args.inputs, args.seed, args.state_dir, args.jobs, args.slow, args.quiet, args.small)
    print(report(state, args.inputs))
    print(f"wall seconds this run: {time.monotonic() - began:.1f}")
    return 1 if state["crashes"] or state["slow"] else 0


if __name__ == "__main__":
    sys.exit(main())
