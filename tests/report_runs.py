"""States filled by really running, for the tests of `sopc report`:
examples/burger and examples/lifecycle (with their events) delivered by
`sopc run --once --now` to the loopback WeCom of tests/mockhooks.py, some
requests refused, a pause, a run left out (missed); and a 企业群发 project
whose owners confirm some sends. Each ``fill_*`` copies or writes a project
under ``folder``, runs it, and returns it (its state in .sopc/state.db)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Iterator

from inprocess import run_sopc
from mockhooks import MockHooks, wecom_error
from projects import write_project

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NO_PROXY = {name: None for base in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
            for name in (base, base.upper())}
SEND_PATH = "/cgi-bin/webhook/send"


def aim_at(mock: MockHooks, project: Path) -> None:
    """Every wecom-bot sender of the copy posts to the mock."""
    toml = project / "sopc.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        'kind = "wecom-bot"', f'kind = "wecom-bot"\nbase_url = "{mock.url}"'), encoding="utf-8")


def sopc(project: Path, *args: str, env: dict | None = None):
    result = run_sopc(*args, cwd=project.parent, env={**NO_PROXY, **(env or {})})
    assert result.exit_code in (0, 1), result.stderr  # 1: something failed to send, on purpose
    return result


def run(project: Path, moment: str, env: dict) -> None:
    sopc(project, "run", str(project), "--once", "--now", moment, "-q", env=env)


@contextlib.contextmanager
def quiet_mock() -> Iterator[MockHooks]:
    """The loopback WeCom the runs post to."""
    with MockHooks() as server:
        # Days of simulated runs arrive within real seconds: the robot's
        # 20-a-minute limit, kept on the real clock, is not what is tested here.
        server.windows["wecom"] = ()
        yield server


def fill_burger(folder: Path, mock: MockHooks) -> Path:
    """Two weeks of examples/burger: Monday and Saturday sent, Wednesday's
    king_day refused for two groups (WeCom 40008 and a bot key WeCom does not
    know, 93000), Friday's 15:00 missed (no run until 17:00), the playbook
    paused over the second Wednesday, the second Saturday still to come."""
    project = folder / "burger"
    shutil.copytree(EXAMPLES / "burger", project)
    aim_at(mock, project)
    mock.add_wecom_bot("bk-key")
    env = {"BK_WECOM_BOT_KEY": "bk-key"}
    run(project, "2026-11-23T10:00:30", env)
    mock.queue_answers(SEND_PATH, wecom_error(40008, "invalid message type"), wecom_error(93000, "invalid webhook url"))
    run(project, "2026-11-25T11:00:30", env)
    run(project, "2026-11-27T17:00:30", env)
    run(project, "2026-11-28T10:30:30", env)
    run(project, "2026-11-30T10:00:30", env)
    sopc(project, "pause", "bk_week", str(project), "--now", "2026-12-02T09:00")
    run(project, "2026-12-02T11:00:30", env)
    sopc(project, "resume", "bk_week", str(project), "--now", "2026-12-03T09:00")
    run(project, "2026-12-04T15:00:30", env)
    run(project, "2026-12-04T17:00:30", env)
    return project


def events_until(source: Path, moment: str) -> list[str]:
    """The lines of an events file that happened by ``moment`` (local time)."""
    limit = dt.datetime.fromisoformat(moment + "+08:00")
    return [line for line in source.read_text(encoding="utf-8").splitlines()
            if line.strip() and dt.datetime.fromisoformat(json.loads(line)["at"]) <= limit]


def event_times(source: Path, *, after: dt.datetime) -> list[dt.datetime]:
    times = (dt.datetime.fromisoformat(json.loads(line)["at"]) for line in source.read_text(encoding="utf-8").splitlines()
             if line.strip())
    return sorted(t for t in times if t > after)


def next_due(state: Path, after: float) -> float | None:
    with sqlite3.connect(state) as db:
        row = db.execute("SELECT MIN(due) FROM messages WHERE state='pending' AND due > ?", (after,)).fetchone()
    return row[0]


def fill_lifecycle(folder: Path, mock: MockHooks) -> Path:
    """examples/lifecycle from 11-23 to 12-06: each event recorded by `sopc
    event --file` when it happens, a run at each message's due time, but
    none on 11-26 (its messages are missed); the staff bot's key unknown to
    WeCom until 12-03 (the reminder to remove a member on 12-02 fails), and one member
    message refused."""
    project = folder / "lifecycle"
    shutil.copytree(EXAMPLES / "lifecycle", project)
    aim_at(mock, project)
    mock.add_wecom_bot("gy-key")
    env = {"GY_WECOM_BOT_KEY": "gy-key", "GY_STAFF_BOT_KEY": "gy-staff-key"}
    source, recorded = project / "events.jsonl", 0
    moment = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    end = moment.replace(day=6, month=12, hour=23)
    mock.queue_answers(SEND_PATH, wecom_error(40008, "invalid message type"))
    while moment < end:
        text = moment.strftime("%Y-%m-%dT%H:%M:%S")
        lines = events_until(source, text)
        if len(lines) > recorded:
            chunk = project / "chunk.jsonl"
            chunk.write_text("\n".join(lines[recorded:]) + "\n", encoding="utf-8")
            sopc(project, "event", str(project), "--file", str(chunk))
            recorded = len(lines)
        if moment.date() >= dt.date(2026, 12, 3):
            mock.add_wecom_bot("gy-staff-key")
        if moment.date() != dt.date(2026, 11, 26):
            run(project, text, env)
        # On to the next message due or event, at most half a day (the runner plans a day ahead).
        due = next_due(project / ".sopc" / "state.db", moment.timestamp())
        following = [moment + dt.timedelta(hours=12), *event_times(source, after=moment)[:1]]
        if due:
            following.append(dt.datetime.fromtimestamp(due, moment.tzinfo))
        moment = min(following) + dt.timedelta(seconds=30)
    return project


GROUPMSG = '''
playbook customers "客户群"
  to groups tagged 客户群
  sender qunfa
  周一 10:00   weekly   "本周会员日:全场 8 折"
'''


def fill_qunfa(folder: Path, mock: MockHooks) -> Path:
    """Three customer groups reached by 企业群发: one owner confirms, one
    send fails on the owner's side, one is still waiting."""
    mock.add_wecom_corp("ww-corp", "corp-secret-value", users=("zhangsan",))
    rows = "\n".join(f"wr_{n},客户群{n},客户群,zhangsan,yes,wr_{n}" for n in range(3))
    project = write_project(folder / "qunfa", {
        "c.sop": GROUPMSG, "groups.csv": f"id,name,tags,owner,external,address\n{rows}\n",
        "sopc.toml": f'''timezone = "Asia/Shanghai"
[senders.qunfa]
kind = "wecom-groupmsg"
corp_id_env = "TEST_CORP_ID"
secret_env = "TEST_CORP_SECRET"
base_url = "{mock.url}"
'''})
    env = {"TEST_CORP_ID": "ww-corp", "TEST_CORP_SECRET": "corp-secret-value"}
    run(project, "2026-11-23T10:00:30", env)
    with sqlite3.connect(project / ".sopc" / "state.db") as db:
        sent = [row[0] for row in db.execute("SELECT remote_id FROM messages WHERE state='sent' ORDER BY grp")]
    mock.mark_groupmsg(sent[0], 1)
    mock.mark_groupmsg(sent[1], 2)
    run(project, "2026-11-23T10:20:00", env)  # the runner asks WeCom again
    return project


