"""Benchmark: `sopc run` delivering 10,000 messages that fall due in the same minute.

Prints numbers; it is not a test. Run from the repository root:

    .venv/bin/pip install -e '.[bench]'          # APScheduler 3 + SQLAlchemy, for the baseline
    .venv/bin/python bench/bench_run.py          # 10,000 groups, ~8 minutes
    .venv/bin/python bench/bench_run.py --quick  # 1,000 groups
    .venv/bin/python bench/bench_run.py --concurrency 64 --workers 20 --profile

The scenario (from the issue): 10,000 groups, one message each, all due at the
same moment, posted to a loopback webhook with the delivery state committed.
sopc and the baselines, each in its own child process (so neither pollutes the
other's peak memory), each against a fresh loopback server:

* sopc:     a generated project (sopc.toml with a `webhook` sender pointing at
            the server, groups.csv, one playbook whose one step is 周一 10:00);
            `Runner.start()` (compile + expand the day's plan into SQLite),
            then `Runner.run_forever()` on a clock that is real time plus an
            offset, chosen so that Monday 10:00 comes a few seconds after the
            runner started. It really sleeps until then, posts over HTTP with
            its own sender (aiohttp) and commits every outcome to its state file.
* baseline: what a user would build instead: APScheduler 3 with a
            SQLAlchemyJobStore on SQLite, 10,000 `add_job(post, "date",
            run_date=due, ...)` jobs, each posting the same JSON body (and
            Idempotency-Key header); the job is gone from the job store once it
            has run. Two ways to build it:
            - aps-asyncio: AsyncIOScheduler + its AsyncIOExecutor, posting with
              one shared aiohttp session: the same HTTP client as sopc;
            - aps-threads: BackgroundScheduler + ThreadPoolExecutor(N workers),
              posting with one shared httpx.Client (sync HTTP in threads).
            The best baseline run is the one sopc is measured against.

The loopback server is a third process (an asyncio HTTP/1.1 server with
keep-alive, answering {"errcode":0,"errmsg":"ok"}), so it does not share the
GIL with the system under test; it records the receive time (time.time())
and the Idempotency-Key of every request. Lateness is that receive time minus
the due time; messages/s is delivered / (last receive - due time).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from zoneinfo import ZoneInfo

ZONE = "Asia/Shanghai"
PLAYBOOK = "notice"
STEP = "weekly"
PLANNED = dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo(ZONE))  # a Monday: the step `周一 10:00`
TEXT = "{{ group.name }}:本周福利来啦,{{ group.store }}的券包已放进小程序"
CITIES = ("杭州", "上海", "北京", "深圳", "成都", "南京", "武汉", "西安")

# Targets from the issue (for the default 10,000 groups).
TARGET_ALL_WITHIN = 15.0    # seconds after the due time, every message delivered
TARGET_RATIO = 3.0          # sopc messages/s over the baseline's
TARGET_P99 = 10.0           # seconds of lateness
TARGET_PEAK_MB = 300
BASELINE_TIMEOUT = 300.0    # seconds after due: the baseline's run is cut off there


# ---- the loopback webhook server (its own process) ---------------------------------

OK_BODY = b'{"errcode":0,"errmsg":"ok"}'


class _Hook(asyncio.Protocol):
    """A minimal HTTP/1.1 server: Content-Length bodies, keep-alive."""

    def __init__(self, records: list):
        self.records = records
        self.buffer = bytearray()
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            total = end + 4 + int(headers.get("content-length") or 0)
            if len(self.buffer) < total:
                return
            del self.buffer[:total]
            method, path = lines[0].split(" ")[:2]
            if method == "POST":
                self.records.append((time.time(), headers.get("idempotency-key", "")))
                body = OK_BODY
            elif path == "/stats":
                body = json.dumps({"records": self.records}).encode()
            else:
                body = b'{"count":%d}' % len(self.records)
            close = headers.get("connection", "").lower() == "close"
            self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n%s"
                                 % (len(body), b"Connection: close\r\n" if close else b"", body))
            if close:
                self.transport.close()
                return


def serve() -> None:
    """The server child: print the port, serve until killed."""
    async def main():
        records: list = []
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _Hook(records), "127.0.0.1", 0, backlog=1024)
        print(server.sockets[0].getsockname()[1], flush=True)
        await server.serve_forever()
    asyncio.run(main())


class Server:
    def __init__(self):
        self.process = subprocess.Popen([sys.executable, __file__, "--child", "server"], stdout=subprocess.PIPE,
                                        text=True)
        self.port = int(self.process.stdout.readline())
        self.url = f"http://127.0.0.1:{self.port}/hook"

    def records(self) -> list[tuple[float, str]]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/stats", timeout=30) as reply:
            return [tuple(r) for r in json.load(reply)["records"]]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


# ---- the generated project ----------------------------------------------------------

def write_project(root: Path, groups: int, url: str) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "sopc.toml").write_text(
        f'timezone = "{ZONE}"\nroster = "groups.csv"\n\n[defaults]\nholidays = "keep"\n\n'
        f'[senders.hook]\nkind = "webhook"\nurl = "{url}"\n', encoding="utf-8")
    with open(root / "groups.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(("id", "name", "tags", "store"))
        for i in range(groups):
            city = CITIES[i % len(CITIES)]
            store = f"{city}{i // len(CITIES) + 1:04d}号店"
            writer.writerow((f"g{i:05d}", f"{store}福利群", f"福利群;city:{city}", store))
    (root / "playbooks").mkdir(exist_ok=True)
    (root / "playbooks" / f"{PLAYBOOK}.sop").write_text(
        f'playbook {PLAYBOOK} "门店福利群 周一通知"\n  to groups tagged 福利群\n  sender hook\n  on holidays keep\n\n'
        f'  周一 10:00  {STEP}  "{TEXT}"\n', encoding="utf-8")


# ---- the contenders (each in its own process) ---------------------------------------

class OffsetClock:
    """Real time, shifted: sopc sees Monday 10:00 a few seconds from now."""

    def __init__(self, offset: dt.timedelta):
        self.offset = offset

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc) + self.offset


def run_sopc(args) -> dict:
    from sopc.run.runner import RunOptions, Runner
    from sopc.core.messages import FINAL_STATES
    from sopc.run.store import SQLiteStore

    due = time.time() + args.lead          # PLANNED, in real time
    clock = OffsetClock(dt.timedelta(seconds=PLANNED.timestamp() - due))
    store = SQLiteStore(Path(args.state))
    runner = Runner([Path(args.project)], store, clock, env={}, options=RunOptions(concurrency=args.size))
    began = time.perf_counter()
    runner.start()
    plan_s = time.perf_counter() - began
    planned = store.counts()["pending"]
    slack = due - time.time()
    finished: dict = {}

    async def main():
        stop = asyncio.Event()

        async def watch():  # stop once every message has a final state, committed
            while True:
                await asyncio.sleep(0.2)
                counts = store.counts()
                if sum(counts[s] for s in FINAL_STATES) >= planned:
                    finished["at"] = time.time()
                    stop.set()
                    return

        watcher = asyncio.create_task(watch())
        await runner.run_forever(stop)
        await watcher

    asyncio.run(main())
    counts = store.counts()
    store.close()
    return {"due": due, "plan_s": plan_s, "slack_s": slack, "planned": planned,
            "committed_s": finished["at"] - due, "states": {k: v for k, v in counts.items() if v}}


_client = None
_posted = 0
_posted_lock = threading.Lock()


def _body(message: dict) -> tuple[bytes, dict]:
    """The same body and headers as sopc's webhook sender."""
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return body, {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": message["id"]}


def post(url: str, message: dict) -> None:
    """The threaded baseline's job (httpx, one shared client)."""
    global _posted
    body, headers = _body(message)
    _client.post(url, content=body, headers=headers).raise_for_status()
    with _posted_lock:
        _posted += 1


async def post_async(url: str, message: dict) -> None:
    """The asyncio baseline's job (aiohttp, one shared session: sopc's client)."""
    global _posted
    body, headers = _body(message)
    async with _client.post(url, data=body, headers=headers) as reply:
        await reply.read()
        reply.raise_for_status()
    _posted += 1


def _baseline_messages(args) -> list[dict]:
    with open(Path(args.project) / "groups.csv", encoding="utf-8", newline="") as f:
        groups = list(csv.DictReader(f))
    return [{"id": f"{PLAYBOOK}-{STEP}-{g['id']}", "at": PLANNED.isoformat(), "playbook": PLAYBOOK, "step": STEP,
             "group": g["id"], "group_name": g["name"], "member": None, "kind": "text", "mentions": [],
             "text": f"{g['name']}:本周福利来啦,{g['store']}的券包已放进小程序", "address": None, "owner": None}
            for g in groups]


def _add_jobs(scheduler, job, args, messages: list[dict]) -> dict:
    """Time 200 add_job calls into a scratch store, put the due time after the
    real adds with room to spare, then add one date job per message."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    zone = ZoneInfo(ZONE)
    scheduler.add_jobstore(SQLAlchemyJobStore(url=f"sqlite:///{args.state}.probe"), "probe")
    probe = min(200, len(messages))
    far = dt.datetime.now(zone) + dt.timedelta(days=1)
    began = time.perf_counter()
    for i in range(probe):
        scheduler.add_job(job, "date", run_date=far, args=[args.url, messages[i]], id=f"probe{i}",
                          jobstore="probe", misfire_grace_time=600)
    per_job = (time.perf_counter() - began) / probe
    scheduler.remove_jobstore("probe")
    due = time.time() + max(args.lead, 3.0 + 1.2 * per_job * len(messages))
    run_date = dt.datetime.fromtimestamp(due, zone)
    began = time.perf_counter()
    for message in messages:
        scheduler.add_job(job, "date", run_date=run_date, args=[args.url, message], id=message["id"],
                          misfire_grace_time=600)
    return {"due": due, "plan_s": time.perf_counter() - began, "slack_s": due - time.time(),
            "planned": len(messages), "add_job_ms": per_job * 1000}


def _jobs_left(engine) -> int:
    import sqlalchemy
    with engine.connect() as db:
        return db.execute(sqlalchemy.text("SELECT COUNT(*) FROM apscheduler_jobs")).scalar()


def run_threads(args) -> dict:
    """APScheduler's BackgroundScheduler + ThreadPoolExecutor, posting with httpx."""
    global _client
    import httpx
    import sqlalchemy
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    _client = httpx.Client(timeout=10)
    messages = _baseline_messages(args)
    url = f"sqlite:///{args.state}"
    scheduler = BackgroundScheduler(jobstores={"default": SQLAlchemyJobStore(url=url)},
                                    executors={"default": ThreadPoolExecutor(max_workers=args.size)},
                                    timezone=ZoneInfo(ZONE))
    scheduler.start()
    result = _add_jobs(scheduler, post, args, messages)
    engine = sqlalchemy.create_engine(url)
    left = None
    while time.time() < result["due"] + BASELINE_TIMEOUT:  # every job posted and gone from the job store
        time.sleep(0.2)
        left = _jobs_left(engine)
        if left == 0 and _posted >= len(messages):
            break
    result["committed_s"] = time.time() - result["due"]
    scheduler.shutdown(wait=False)
    _client.close()
    result["states"] = {"posted": _posted, "jobs left": left}
    return result


def run_asyncio(args) -> dict:
    """APScheduler's AsyncIOScheduler + AsyncIOExecutor, posting with aiohttp,
    the HTTP client sopc itself uses, at most ``size`` connections."""
    import aiohttp
    import sqlalchemy
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    messages = _baseline_messages(args)
    url = f"sqlite:///{args.state}"

    async def main() -> dict:
        global _client
        _client = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=args.size),
                                        timeout=aiohttp.ClientTimeout(total=10))
        scheduler = AsyncIOScheduler(jobstores={"default": SQLAlchemyJobStore(url=url)}, timezone=ZoneInfo(ZONE))
        scheduler.start()
        result = _add_jobs(scheduler, post_async, args, messages)
        engine = sqlalchemy.create_engine(url)
        left = None
        while time.time() < result["due"] + BASELINE_TIMEOUT:
            await asyncio.sleep(0.2)
            left = _jobs_left(engine)
            if left == 0 and _posted >= len(messages):
                break
        result["committed_s"] = time.time() - result["due"]
        scheduler.shutdown(wait=False)
        await _client.close()
        result["states"] = {"posted": _posted, "jobs left": left}
        return result

    return asyncio.run(main())


CONTENDERS = {"sopc": run_sopc, "aps-asyncio": run_asyncio, "aps-threads": run_threads}
BASELINES = ("aps-asyncio", "aps-threads")


def child(args) -> None:
    if args.child == "server":
        return serve()
    import aiohttp  # noqa: F401  imports are not timed
    if args.child == "sopc":
        import sopc.run.runner  # noqa: F401
    if args.child == "aps-threads":
        import httpx  # noqa: F401
    if args.profile:
        import cProfile
        import pstats
        profiler = cProfile.Profile()
        result = profiler.runcall(CONTENDERS[args.child], args)
        if args.profile_out:
            profiler.dump_stats(args.profile_out)
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("tottime").print_stats(30)
        stats.sort_stats("cumulative").print_stats(45)
    else:
        result = CONTENDERS[args.child](args)
    result["peak_mb"] = _peak_rss_mb()
    print(json.dumps(result))


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


# ---- the driver ---------------------------------------------------------------------

def measure(name: str, size: int, args, tmp: Path, *, profile: bool = False) -> dict:
    server = Server()
    try:
        project = tmp / "project"
        write_project(project, args.groups, server.url)
        state = tmp / f"{name}-{size}" / "state.db"
        if state.parent.exists():
            shutil.rmtree(state.parent)
        state.parent.mkdir()
        lead = args.lead if args.lead is not None else 3.0 + 0.0002 * args.groups
        command = [sys.executable, __file__, "--child", name, "--project", str(project), "--state", str(state),
                   "--url", server.url, "--size", str(size), "--groups", str(args.groups), "--lead", str(lead)]
        if profile:
            command.append("--profile")
            if args.profile_out:
                command += ["--profile-out", str(Path(args.profile_out).resolve())]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{name} failed:\n{done.stderr}")
        if profile:
            print(done.stderr)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        records = server.records()
    finally:
        server.stop()
    due = result["due"]
    keys = [key for _, key in records]
    first: dict[str, float] = {}
    for at, key in records:
        first.setdefault(key, at)
    late = sorted(at - due for at in first.values())  # each message's first arrival
    delivered = len(first)
    result.update(name=name, size=size, delivered=delivered, duplicates=len(keys) - delivered,
                  late=late, rate=delivered / max(1e-9, late[-1]) if late else 0.0)
    return result


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, max(0, round(q * len(values)) - 1))]


def label(r: dict) -> str:
    if r["name"] == "sopc":
        return f"sopc, concurrency {r['size']}"
    if r["name"] == "aps-asyncio":
        return f"APScheduler asyncio+aiohttp, {r['size']} conns"
    return f"APScheduler threads+httpx, {r['size']} workers"


def report(args, runs: list[dict]) -> None:
    import aiohttp
    versions = [f"python {platform.python_version()}", f"aiohttp {aiohttp.__version__}"]
    try:
        import apscheduler
        import httpx
        import sqlalchemy
        versions += [f"httpx {httpx.__version__}", f"APScheduler {apscheduler.__version__}",
                     f"SQLAlchemy {sqlalchemy.__version__}"]
    except ImportError:
        pass
    print(f"\nrun: {args.groups:,} groups, one message each, all due at the same moment, "
          f"webhook on 127.0.0.1 (own process)")
    print(f"{', '.join(versions)}; {platform.machine()}, {os.cpu_count()} cpus\n")
    head = (f"{'':44}{'delivered':>10}{'dups':>6}{'msgs/s':>8}{'p50 s':>7}{'p99 s':>7}{'max s':>7}"
            f"{'commit s':>9}{'plan s':>8}{'slack s':>8}{'RSS MB':>8}")
    print(head)
    for r in runs:
        late = r["late"]
        print(f"{label(r):44}{r['delivered']:>10,}{r['duplicates']:>6}{r['rate']:>8,.0f}{pct(late, .5):>7.2f}"
              f"{pct(late, .99):>7.2f}{(late[-1] if late else float('nan')):>7.2f}{r['committed_s']:>9.2f}"
              f"{r['plan_s']:>8.2f}{r['slack_s']:>8.2f}{r['peak_mb']:>8.1f}")
    print("\nmsgs/s = delivered / (last receive - due); p50/p99/max = lateness, server receive time - due time;\n"
          "commit s = due time to the state of every message committed (sopc: a final state in its store,\n"
          "polled every 0.2 s; APScheduler: every job posted and gone from its job store); plan s = Runner.start()\n"
          "(compile + expand into SQLite) / all the add_job calls; slack s = due time - end of planning;\n"
          "RSS = the child process's peak.")
    for r in runs:
        states = ", ".join(f"{k} {v:,}" for k, v in r["states"].items())
        extra = f"; add_job {r['add_job_ms']:.2f} ms per job" if r["name"] in BASELINES else ""
        print(f"{label(r)}: at the end {states}{extra}")
    for r in runs:
        if r["slack_s"] < 0:
            print(f"note: {label(r)}: planning ended {-r['slack_s']:.2f} s after the due time")
    sopc = [r for r in runs if r["name"] == "sopc"]
    base = [r for r in runs if r["name"] in BASELINES]
    if not sopc:
        return
    best = max(sopc, key=lambda r: r["rate"])
    late = best["late"]
    print(f"\nbest sopc: {label(best)}")
    ok = best["delivered"] == args.groups and best["duplicates"] == 0
    mark = lambda good: "PASS" if good else "MISS"  # noqa: E731
    print(f"{mark(ok and late[-1] <= TARGET_ALL_WITHIN)}  all {args.groups:,} delivered within "
          f"{TARGET_ALL_WITHIN:g} s of due, no duplicates ({best['delivered']:,} delivered, "
          f"{best['duplicates']} duplicates, last {late[-1]:.2f} s)")
    if base:
        top = max(base, key=lambda r: r["rate"])
        ratio = best["rate"] / top["rate"] if top["rate"] else float("inf")
        print(f"{mark(ratio >= TARGET_RATIO)}  throughput: sopc >= {TARGET_RATIO:g}x the best baseline "
              f"({best['rate']:,.0f} vs {top['rate']:,.0f} msgs/s ({label(top)}): {ratio:.2f}x)")
    print(f"{mark(pct(late, .99) < TARGET_P99)}  lateness p99 < {TARGET_P99:g} s ({pct(late, .99):.2f} s)")
    peak = max(r["peak_mb"] for r in sopc)
    print(f"{mark(peak < TARGET_PEAK_MB)}  memory: sopc peak RSS < {TARGET_PEAK_MB} MB ({peak:.1f} MB, worst run)")
    if args.groups != 10000:
        print("note: the targets are set for 10,000 groups")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--groups", type=int, default=10000)
    parser.add_argument("--quick", action="store_true", help="1,000 groups")
    parser.add_argument("--concurrency", default="32,64,128", help="sopc RunOptions.concurrency values to try")
    parser.add_argument("--workers", default="20,50",
                        help="APScheduler ThreadPoolExecutor max_workers values to try (20 is its default)")
    parser.add_argument("--connections", default="100",
                        help="aiohttp connection limits for the asyncio baseline, one run each (100 is aiohttp's default)")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--lead", type=float, default=None,
                        help="seconds from the child's start to the due time (default 3 s + 0.2 ms per group; "
                             "the baseline adds what its add_job calls need)")
    parser.add_argument("--profile", action="store_true",
                        help="then profile one sopc run (first --concurrency value) with cProfile")
    parser.add_argument("--profile-out", help="with --profile: also save the raw cProfile stats to this file")
    parser.add_argument("--child", choices=["server", *CONTENDERS], help=argparse.SUPPRESS)
    parser.add_argument("--project", help=argparse.SUPPRESS)
    parser.add_argument("--state", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.groups = 1000
    if args.child:
        return child(args)

    sizes = {"sopc": [int(v) for v in args.concurrency.split(",") if v],
             "aps-asyncio": [] if args.no_baseline else [int(v) for v in args.connections.split(",") if v],
             "aps-threads": [] if args.no_baseline else [int(v) for v in args.workers.split(",") if v]}
    order = [(name, size) for name in (*BASELINES, "sopc") for size in sizes[name]]
    # alternate baseline / sopc, so drift on a shared machine hits both alike
    order.sort(key=lambda item: (sizes[item[0]].index(item[1]), item[0]))
    runs = []
    with tempfile.TemporaryDirectory(prefix="sopc-bench-run-") as tmp:
        for name, size in order:
            r = measure(name, size, args, Path(tmp))
            late = r["late"]
            print(f"  {label(r):44} {r['delivered']:>7,} delivered, last {late[-1] if late else float('nan'):6.2f} s "
                  f"after due, {r['rate']:7,.0f} msgs/s, {r['peak_mb']:6.1f} MB", flush=True)
            runs.append(r)
        report(args, runs)
        if args.profile:
            print(f"\ncProfile of one sopc run (concurrency {sizes['sopc'][0]}), child process:\n")
            measure("sopc", sizes["sopc"][0], args, Path(tmp), profile=True)


if __name__ == "__main__":
    main()
