"""Benchmark: `sopc serve` on loopback, throughput and a burst with retries.

Prints numbers; it is not a test. Run from the repository root:

    .venv/bin/python bench/bench_serve.py                          # ~4 minutes
    .venv/bin/python bench/bench_serve.py --baseline-rev 9af12af   # the old server beside (~7 minutes)
    .venv/bin/python bench/bench_serve.py --no-throughput --raw-burst --baseline-rev 9af12af

Every server runs as its own process (`sopc serve` on a free port of
127.0.0.1, a fresh state file), driven from this process:

* throughput: keep-alive clients (aiohttp client sessions) posting back to
  back: `--clients` (64) of them with one event per request, then
  `--batch` (10) events per request, then a single client with one event
  per request (its latency is what one SCRM connection sees). Each event
  has its own id. Reported per shape: events/s, requests/s, the p50/p99
  latency of a request, and the server's CPU time (user + system, from
  /proc) per request; best of `--repeat` (3) rounds of `--seconds` (5),
  the servers taking turns. Every round's events are counted in the state
  file afterwards: all there, each once.
* burst: `--burst` (10,000) posts at once, each on its own connection, one
  event each with its own id. A client gives up on an attempt after
  `--burst-timeout` (5) seconds (twice that on the second attempt, and so
  on), or on a 503 or a failed connection, and sends the same event again
  until it gets a 202. Then the state file must hold each event exactly
  once: the script prints lost and recorded-twice (both must be 0), the
  attempts, time-outs, the CPU seconds of server and clients, and how many
  202s answered an event recorded before (the server's log: 202 with 0
  newly recorded), i.e. retries after an answer that never arrived.
  The clients are aiohttp sessions, or with --raw-burst lean asyncio-stream
  clients (~2-3x less CPU per attempt): on a small machine 10,000 aiohttp
  clients use more CPU than the server and set the pace themselves.

Beside `sopc serve` the throughput rounds run against a minimal aiohttp.web
app that parses the JSON and answers 202 without recording anything: the
ceiling of an aiohttp server on this machine. With --baseline-rev REV the
`sopc serve` of that revision (a `git worktree` in a temporary folder, the
same interpreter, its code ahead of the editable install on PYTHONPATH, run
from the worktree) runs the throughput rounds too, and a burst of
`--baseline-burst` (2,000, the issue's figure) posts, all without ids,
which an old server refuses: its retries can record an event twice, the
finding the new server fixes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import resource
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
TOKEN = secrets.token_hex(24)
GROUPS = 100
TARGET_EVENTS_PER_S = 2000

SOPC_TOML = 'timezone = "Asia/Shanghai"\nroster = "groups.csv"\n'
WELCOME = '''playbook welcome "新人欢迎"
  to all groups
  on member.joined
    +0  hello  "欢迎 {{ member.name }} 加入{{ group.name }}" @member
'''

MINIMAL_APP = textwrap.dedent('''
    import json, sys
    from aiohttp import web

    async def events(request):
        records = json.loads(await request.read())
        return web.json_response({"recorded": len(records) if isinstance(records, list) else 1, "ignored": []},
                                 status=202)

    app = web.Application()
    app.router.add_post("/events", events)
    print(f"listening on http://127.0.0.1:{sys.argv[1]}", file=sys.stderr, flush=True)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
''')


# ---- the servers ------------------------------------------------------------------------------

def write_project(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "sopc.toml").write_text(SOPC_TOML, encoding="utf-8")
    rows = "\n".join(f"g{i},{i}群" for i in range(GROUPS))
    (folder / "groups.csv").write_text(f"id,name\n{rows}\n", encoding="utf-8")
    (folder / "welcome.sop").write_text(WELCOME, encoding="utf-8")
    return folder


@dataclass
class Server:
    label: str
    argv: list[str]
    env: dict[str, str]
    state: Path | None         # None: the minimal app records nothing
    ids: bool = True           # send an "id" with each event
    cwd: Path = ROOT           # not the repository for an old revision: `python -c` puts the cwd first on sys.path
    process: subprocess.Popen | None = None
    url: str = ""
    log: list[str] = field(default_factory=list)

    def start(self) -> None:
        self.log = []
        self.process = subprocess.Popen(self.argv, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        text=True, cwd=self.cwd)
        first = self.process.stderr.readline()
        found = re.search(r"http://[\d.]+:\d+", first)
        if not found:
            self.stop()
            sys.exit(f"{self.label} did not start: {first}{self.process.stderr.read()}")
        self.url = found.group(0)
        threading.Thread(target=self._read_log, daemon=True).start()

    def _read_log(self) -> None:
        for line in self.process.stderr:
            self.log.append(line.rstrip("\n"))

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def cpu_seconds(self) -> float:
        """The server process's CPU time so far (user + system)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def members(self) -> dict[str, int]:
        """How many times each member was recorded (the bench gives each event its own member)."""
        if self.state is None:
            return {}
        db = sqlite3.connect(self.state)
        try:
            return dict(db.execute("SELECT member, COUNT(*) FROM events GROUP BY member").fetchall())
        finally:
            db.close()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sopc_server(label: str, project: Path, scratch: Path, env: dict[str, str], ids: bool = True,
                cwd: Path = ROOT) -> Server:
    state = scratch / f"{re.sub(r'[^a-z0-9]+', '-', label)}.db"
    argv = [sys.executable, "-c", "import sys; from sopc.cli import main; sys.argv[0] = 'sopc'; main()",
            "serve", str(project), "--port", "0", "--state", str(state)]
    return Server(label, argv, {**env, "SOPC_SERVE_TOKEN": TOKEN}, state, ids, cwd=cwd)


def check_imports_from(tree: Path, env: dict[str, str]) -> None:
    """Make sure the old server really runs the worktree's sopc, not the editable install."""
    where = subprocess.run([sys.executable, "-c", "import sopc; print(sopc.__file__)"], env=env, cwd=tree,
                           capture_output=True, text=True, check=True).stdout.strip()
    if not Path(where).resolve().is_relative_to(tree.resolve()):
        sys.exit(f"the baseline imports sopc from {where}, not from the worktree {tree}")


def minimal_server(env: dict[str, str]) -> Server:
    return Server("aiohttp minimal (records nothing)", [sys.executable, "-c", MINIMAL_APP, str(free_port())],
                  env, None, ids=True)


def add_worktree(rev: str, folder: Path) -> Path:
    tree = folder / "tree"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), rev],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return tree


def remove_worktree(tree: Path) -> None:
    subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# ---- the clients ------------------------------------------------------------------------------

class Numbering:
    """Unique members and ids across the whole run."""

    def __init__(self, prefix: str):
        self.prefix, self.next = prefix, 0

    def event(self, ids: bool) -> dict:
        self.next += 1
        name = f"{self.prefix}{self.next}"
        record = {"event": "member.joined", "group": f"g{self.next % GROUPS}", "member": name, "name": "小王"}
        if ids:
            record["id"] = f"evt-{name}"
        return record


HEADERS = {"Authorization": f"Bearer {TOKEN}"}


@dataclass
class Round:
    requests: int = 0
    events: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    cpu: float = 0.0       # the server's CPU seconds over the round


async def throughput(server: Server, clients: int, batch: int, seconds: float, numbering: Numbering) -> Round:
    """``clients`` keep-alive connections, each posting ``batch`` events per request, back to back."""
    result = Round()
    connector = aiohttp.TCPConnector(limit=clients, force_close=False)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout, headers=HEADERS) as session:
        started = time.perf_counter()
        deadline = started + seconds

        async def client() -> None:
            while time.perf_counter() < deadline:
                body = [numbering.event(server.ids) for _ in range(batch)]
                sent = time.perf_counter()
                try:
                    async with session.post(f"{server.url}/events", json=body) as response:
                        await response.read()
                        ok = response.status == 202
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    ok = False
                if ok:
                    result.latencies.append(time.perf_counter() - sent)
                    result.requests += 1
                    result.events += batch
                else:
                    result.errors += 1

        await asyncio.gather(*(client() for _ in range(clients)))
        result.seconds = time.perf_counter() - started
    return result


@dataclass
class Burst:
    posts: int = 0
    attempts: int = 0
    timeouts: int = 0
    busy: int = 0          # 503 answers
    refused: int = 0       # connection errors
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)   # first attempt to 202, per post


async def burst(server: Server, posts: int, attempt_timeout: float, numbering: Numbering,
                raw: bool = False) -> Burst:
    """``posts`` posts at once, each on its own connection, retried until a 202."""
    if raw:
        return await raw_burst(server, posts, attempt_timeout, numbering)
    result = Burst(posts=posts)
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    async with aiohttp.ClientSession(connector=connector, headers=HEADERS) as session:
        started = time.perf_counter()

        async def post(record: dict) -> None:
            first = time.perf_counter()
            attempt = 0
            while True:
                attempt += 1
                result.attempts += 1
                timeout = aiohttp.ClientTimeout(total=attempt_timeout * min(attempt, 8))
                try:
                    async with session.post(f"{server.url}/events", json=record, timeout=timeout) as response:
                        await response.read()
                        if response.status == 202:
                            result.latencies.append(time.perf_counter() - first)
                            return
                        result.busy += response.status == 503
                except asyncio.TimeoutError:
                    result.timeouts += 1
                except aiohttp.ClientError:
                    result.refused += 1
                await asyncio.sleep(0.05 * min(attempt, 20))

        await asyncio.gather(*(post(numbering.event(server.ids)) for _ in range(posts)))
        result.seconds = time.perf_counter() - started
    return result


async def raw_burst(server: Server, posts: int, attempt_timeout: float, numbering: Numbering) -> Burst:
    """The burst with a lean client (asyncio streams, the request written
    as bytes, the answer's status line read): ~5x less CPU per attempt than
    an aiohttp session, so that on a small machine the clients do not set
    the pace instead of the server."""
    result = Burst(posts=posts)
    host, port = server.url.removeprefix("http://").split(":")
    started = time.perf_counter()

    async def attempt(body: bytes) -> int:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            writer.write(b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         + f"Authorization: Bearer {TOKEN}\r\nContent-Length: {len(body)}\r\n"
                           "Connection: close\r\n\r\n".encode() + body)
            status = await reader.readline()
            await reader.read()  # the rest, to the server's close
            return int(status.split()[1]) if status else 0
        finally:
            writer.close()

    async def post(record: dict) -> None:
        body = json.dumps(record, ensure_ascii=False).encode()
        first = time.perf_counter()
        number = 0
        while True:
            number += 1
            result.attempts += 1
            try:
                async with asyncio.timeout(attempt_timeout * min(number, 8)):
                    status = await attempt(body)
                if status == 202:
                    result.latencies.append(time.perf_counter() - first)
                    return
                result.busy += status == 503
            except TimeoutError:
                result.timeouts += 1
            except (OSError, ValueError, IndexError):
                result.refused += 1
            await asyncio.sleep(0.05 * min(number, 20))

    await asyncio.gather(*(post(numbering.event(server.ids)) for _ in range(posts)))
    result.seconds = time.perf_counter() - started
    return result


# ---- the report -----------------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def print_round(label: str, clients: int, batch: int, run: Round) -> None:
    cpu = run.cpu / run.requests * 1e6 if run.requests else float("nan")
    print(f"{label:<34} {clients:>7} {batch:>5} {run.events / run.seconds:>9,.0f} {run.requests / run.seconds:>8,.0f} "
          f"{percentile(run.latencies, 0.5) * 1000:>7.1f} {percentile(run.latencies, 0.99) * 1000:>7.1f} "
          f"{cpu:>7,.0f} {run.errors:>6}")


def check_recorded(server: Server, sent: int, prefix: str) -> tuple[int, int]:
    """(lost, recorded twice) among the ``sent`` members named with ``prefix``."""
    members = {m: n for m, n in server.members().items() if m and m.startswith(prefix)}
    lost = sent - len(members)
    twice = sum(1 for n in members.values() if n > 1)
    return lost, twice


def run_throughput(servers: list[Server], args) -> list[tuple[Server, int, int, Round]]:
    """Each shape of load (clients, events per request) on each server in
    turn, ``--repeat`` times over; the best round of each counts. Every
    round's events are counted in the state file: all there, each once."""
    shapes = ((args.clients, 1, args.seconds), (args.clients, args.batch, args.seconds), (1, 1, min(args.seconds, 4.0)))
    best: dict[tuple[int, int, int], Round] = {}
    number = 0
    for _ in range(args.repeat):
        for clients, batch, seconds in shapes:
            for index, server in enumerate(servers):
                number += 1
                server.start()
                try:
                    asyncio.run(throughput(server, clients, batch, 1.0, Numbering(f"w{number}-")))  # warm-up
                    cpu = server.cpu_seconds()
                    run = asyncio.run(throughput(server, clients, batch, seconds, Numbering(f"t{number}-")))
                    run.cpu = server.cpu_seconds() - cpu
                finally:
                    server.stop()
                if server.state is not None:
                    lost, twice = check_recorded(server, run.events, f"t{number}-")
                    if lost or twice:
                        print(f"  {server.label}, {clients} clients, batch {batch}: {lost} events lost, "
                              f"{twice} recorded twice")
                key = (index, clients, batch)
                if key not in best or run.events / run.seconds > best[key].events / best[key].seconds:
                    best[key] = run
    return [(servers[index], clients, batch, run) for (index, clients, batch), run in
            sorted(best.items(), key=lambda item: (-item[0][1], item[0][2], item[0][0]))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each throughput round")
    parser.add_argument("--repeat", type=int, default=3, help="throughput rounds of each kind; the best counts")
    parser.add_argument("--batch", type=int, default=10, help="events per request in the second round")
    parser.add_argument("--burst", type=int, default=10_000, help="posts at once in the burst (0: none)")
    parser.add_argument("--burst-timeout", type=float, default=5.0,
                        help="seconds a burst client waits for its first attempt (later ones longer)")
    parser.add_argument("--no-throughput", action="store_true", help="only the bursts")
    parser.add_argument("--raw-burst", action="store_true",
                        help="burst with lean asyncio-stream clients instead of aiohttp sessions")
    parser.add_argument("--max-connections", type=int, help="sopc serve's --max-connections (default: its own)")
    parser.add_argument("--baseline-rev", metavar="REV", help="also run the `sopc serve` of this git revision")
    parser.add_argument("--baseline-burst", type=int, default=2_000,
                        help="posts at once in the old server's burst (the issue's figure; 0: none)")
    args = parser.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the burst opens a socket per post (children inherit)
    print(f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"aiohttp {aiohttp.__version__}, open files {hard}")

    scratch = Path(tempfile.mkdtemp(prefix="sopc-bench-serve-"))
    tree = None
    try:
        project = write_project(scratch / "proj")
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SOPC_NOW")}
        current = sopc_server("sopc serve (this tree)", project, scratch, env)
        if args.max_connections:
            current.argv += ["--max-connections", str(args.max_connections)]
        servers = [current, minimal_server(env)]
        old = None
        if args.baseline_rev:
            tree = add_worktree(args.baseline_rev, scratch)
            old_env = {**env, "PYTHONPATH": str(tree)}
            check_imports_from(tree, old_env)
            old = sopc_server(f"sopc serve ({args.baseline_rev})", project, scratch, old_env, ids=False, cwd=tree)
            servers.append(old)

        if not args.no_throughput:
            throughput_report(current, servers, args)
        if args.burst:
            run_burst(current, args.burst, args)
        if old is not None and args.baseline_burst:
            run_burst(old, args.baseline_burst, args)
    finally:
        if tree is not None:
            remove_worktree(tree)
        shutil.rmtree(scratch, ignore_errors=True)


def throughput_report(current: Server, servers: list[Server], args) -> None:
    print(f"\nthroughput: keep-alive clients posting back to back, best of {args.repeat} rounds of "
          f"{args.seconds:g} s, loopback (CPU µs: the server's user + system time per request)")
    print(f"{'server':<34} {'clients':>7} {'batch':>5} {'events/s':>9} {'req/s':>8} {'p50 ms':>7} "
          f"{'p99 ms':>7} {'CPU µs':>7} {'errors':>6}")
    rounds = run_throughput(servers, args)
    for server, clients, batch, run in rounds:
        print_round(server.label, clients, batch, run)
    single = next(run for server, clients, batch, run in rounds
                  if server is current and batch == 1 and clients == args.clients)
    rate = single.events / single.seconds
    print(f"{'PASS' if rate >= TARGET_EVENTS_PER_S else 'FAIL'}: sopc serve {rate:,.0f} events/s "
          f"with one event per request (target {TARGET_EVENTS_PER_S:,})")


def run_burst(server: Server, posts: int, args) -> None:
    prefix = "b-"
    server.start()
    try:
        cpu, own = server.cpu_seconds(), time.process_time()
        result = asyncio.run(burst(server, posts, args.burst_timeout, Numbering(prefix), raw=args.raw_burst))
        cpu, own = server.cpu_seconds() - cpu, time.process_time() - own
        time.sleep(0.5)  # the server's last log lines
    finally:
        server.stop()
    lost, twice = check_recorded(server, result.posts, prefix)
    answers = [line for line in server.log if line.startswith("POST /events 202 ")]
    repeats = sum(1 for line in answers if line.endswith(" 0"))
    print(f"\nburst: {server.label}: {result.posts:,} posts at once, each retried until a 202 "
          f"(first attempt times out after {args.burst_timeout:g} s; "
          f"{'lean asyncio' if args.raw_burst else 'aiohttp'} clients)")
    print(f"  {result.seconds:.1f} s, {result.attempts:,} attempts: {result.timeouts:,} timed out, "
          f"{result.busy:,} answered 503, {result.refused:,} connection errors")
    print(f"  time to a 202 per post: p50 {percentile(result.latencies, 0.5):.2f} s, "
          f"p99 {percentile(result.latencies, 0.99):.2f} s; CPU seconds: server {cpu:.1f}, clients {own:.1f} "
          f"({cpu / result.attempts * 1e6:,.0f} and {own / result.attempts * 1e6:,.0f} µs per attempt)")
    notes = sorted({line for line in server.log if line.startswith("sopc serve: ") and "listening" not in line})
    for note in notes[:3]:
        print(f"  server: {note[:150]}")
    if server.ids:
        print(f"  202 answers for an event recorded before (a retry after a lost answer): {repeats:,}")
        verdict = "PASS" if lost == 0 and twice == 0 else "FAIL"
        print(f"{verdict}: {lost} lost, {twice} recorded twice")
    else:  # the old server has no ids: a retry after a lost answer records the event again
        print(f"  {lost} lost, {twice} recorded twice")


if __name__ == "__main__":
    main()
