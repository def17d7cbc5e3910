"""Member-level steps, as a user runs them: `to member` (a private 1:1
message), counted triggers (`on member.tagged 违规 2nd`) and `remove member`.

`sopc event` records what the SCRM reports, `sopc run --once --now` delivers
through the real senders to a loopback server answering like WeCom (企业群发
to one customer, a staff robot for the reminders), into a real SQLite state
file; `sopc plan --events` shows the same messages beforehand.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest
from inprocess import run_sopc
from mockhooks import MockHooks
from projects import write_project

from sopc.core.events import Event
from sopc.plan.lifecycle_state import LifecycleState, rules_of
from sopc.run.store import SQLiteStore

CORP, SECRET, STAFF_KEY = "ww-hy-corp", "hy-contact-secret-value", "hy-staff-robot-key"
ENV = {"TEST_CORP_ID": CORP, "TEST_CORP_SECRET": SECRET, "TEST_STAFF_KEY": STAFF_KEY}
CHAT = "wrOgQhDgAAhy01"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))

RULES = '''
playbook rules "群规"
  to groups tagged 客户群
  sender qunfa

  周一 10:00   weekly   "本周会员日:全场 8 折"

  on member.tagged 违规 1st
    +0    warn     "{{ member.name }},请遵守群规:不发广告和外部链接" to member

  on member.tagged 违规 2nd
    +10m  notice   "群规提醒:违规两次的成员会被移出群聊"

playbook rules_staff "群规(群主处理)"
  to groups tagged 客户群
  sender staff

  on member.tagged 违规 第2次
    +0    kick     remove member
'''


def toml(url: str) -> str:
    return f'''timezone = "Asia/Shanghai"

[defaults]
quiet = "22:00-08:00"
cap = 1
gap = "2h"

[senders.qunfa]
kind = "wecom-groupmsg"
corp_id_env = "TEST_CORP_ID"
secret_env = "TEST_CORP_SECRET"
base_url = "{url}"

[senders.staff_bot]
kind = "wecom-bot"
key_env = "TEST_STAFF_KEY"
base_url = "{url}"

[senders.staff]
kind = "remind"
via = "staff_bot"
'''


GROUPS = f'''id,name,tags,owner,external,address
hy_01,花漾美妆 1 群,客户群,lin.yue,yes,{CHAT}
'''

# (member, name, when): each a 「违规」 tag
TAGS = [("m1", "小王", "2026-11-23T10:05"), ("m2", "小李", "2026-11-23T10:06"),
        ("m3", "阿珍", "2026-11-23T23:30"), ("m1", "小王", "2026-11-24T15:00")]


@pytest.fixture
def mock():
    with MockHooks() as server:
        server.add_wecom_corp(CORP, SECRET, users=("lin.yue",))
        server.add_wecom_bot(STAFF_KEY)
        yield server


@pytest.fixture
def project(tmp_path, mock):
    return write_project(tmp_path / "hy", {"sopc.toml": toml(mock.url), "groups.csv": GROUPS, "rules.sop": RULES})


def sopc(project, *args: str):
    result = run_sopc(*args, cwd=project.parent, env=ENV)
    return result


def tag(project, member: str, name: str, when: str):
    result = sopc(project, "event", "member.tagged", str(project), "--group", "hy_01", "--member", member,
                  "--name", name, "--tag", "违规", "--at", when)
    assert result.exit_code == 0, result.stderr


def run_once(project, now: str):
    result = sopc(project, "run", str(project), "--once", "--now", now)
    assert result.exit_code == 0, result.stderr
    return result


def rows(project) -> list[dict]:
    db = sqlite3.connect(project / ".sopc" / "state.db")
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute("SELECT * FROM messages ORDER BY planned, step, member")]
    finally:
        db.close()


def check_clean(project):
    result = sopc(project, "check", str(project), "--strict", "--now", "2026-11-23T09:00")
    assert result.exit_code == 0, result.stderr


# ---- sopc run --once: the whole flow ------------------------------------------------------

def test_warn_privately_then_remove_end_to_end(project, mock):
    check_clean(project)
    run_once(project, "2026-11-23T10:00")                      # the weekly post: cap 1/day and a 2h gap from now
    [weekly] = mock.groupmsgs
    assert weekly.body["chat_type"] == "group" and weekly.body["chat_id_list"] == [CHAT]

    # 1st tag: a private warning, at once, though the group had its one post of the day 5 minutes ago
    tag(project, "m1", "小王", "2026-11-23T10:05")
    run_once(project, "2026-11-23T10:05")
    warning = mock.groupmsgs[1]
    assert warning.body == {"chat_type": "single", "external_userid": ["m1"], "sender": "lin.yue",
                            "text": {"content": "小王,请遵守群规:不发广告和外部链接"}}
    # another member's 1st tag: their own warning (counts are per member)
    tag(project, "m2", "小李", "2026-11-23T10:06")
    run_once(project, "2026-11-23T10:06")
    assert mock.groupmsgs[2].body["external_userid"] == ["m2"]

    # a tag in quiet hours: the private warning waits for their end like any message
    tag(project, "m3", "阿珍", "2026-11-23T23:30")
    run_once(project, "2026-11-23T23:31")
    assert len(mock.groupmsgs) == 3
    run_once(project, "2026-11-24T08:00")
    assert mock.groupmsgs[3].body["external_userid"] == ["m3"]

    # m1's 2nd tag: no warning; the owner is asked to remove m1, and the group gets the notice 10 minutes on
    tag(project, "m1", "小王", "2026-11-24T15:00")
    run_once(project, "2026-11-24T15:00")
    assert len(mock.groupmsgs) == 4
    [reminder] = mock.bodies("wecom")
    assert reminder["text"]["content"] == "请在 11-24 15:00 把成员 m1 移出群「花漾美妆 1 群」(hy_01)。"
    assert reminder["text"]["mentioned_list"] == ["lin.yue"]
    run_once(project, "2026-11-24T15:10")
    notice = mock.groupmsgs[4]
    assert notice.body["chat_type"] == "group" and notice.body["text"]["content"] == "群规提醒:违规两次的成员会被移出群聊"

    stored = [(r["step"], r["member"], r["private"], r["state"], r["at"][5:16]) for r in rows(project)]
    assert stored == [
        ("weekly", None, 0, "sent", "11-23T10:00"),
        ("warn", "m1", 1, "sent", "11-23T10:05"),
        ("warn", "m2", 1, "sent", "11-23T10:06"),
        ("warn", "m3", 1, "sent", "11-24T08:00"),  # tagged at 23:30: after the quiet hours
        ("kick", "m1", 0, "sent", "11-24T15:00"),
        ("notice", "m1", 0, "sent", "11-24T15:10"),
    ]
    status = json.loads(sopc(project, "status", str(project), "--format", "json").stdout)
    assert status["counts"]["sent"] == 6 and status["confirmations"] == {"waiting": 5}

    # the owner sends m1's warning: WeCom's record of it names m1 (not the chat), and the run finds it
    mock.mark_groupmsg(warning.msgid, 1)
    run_once(project, "2026-11-24T15:20")
    confirm = {(r["step"], r["member"]): r["confirm"] for r in rows(project)}
    assert confirm[("warn", "m1")] == "confirmed" and confirm[("warn", "m2")] == "waiting"


def test_plan_with_the_events_shows_what_run_sends(project, mock, tmp_path):
    events = tmp_path / "events.jsonl"
    events.write_text("".join(json.dumps({"event": "member.tagged", "group": "hy_01", "member": m, "name": n,
                                          "tag": "违规", "at": f"{at}:00+08:00"}, ensure_ascii=False) + "\n"
                              for m, n, at in TAGS), encoding="utf-8")
    planned = sopc(project, "plan", str(project), "--from", "2026-11-23", "--to", "2026-11-24", "--events",
                   str(events), "--format", "jsonl", "--now", "2026-11-23T09:00")
    assert planned.exit_code == 0, planned.stderr
    lines = [json.loads(line) for line in planned.stdout.splitlines()]
    assert [(m["step"], m["target"], m["at"][5:16]) for m in lines] == [
        ("weekly", {"group": "hy_01"}, "11-23T10:00"),
        ("warn", {"group": "hy_01", "member": "m1", "private": True}, "11-23T10:05"),
        ("warn", {"group": "hy_01", "member": "m2", "private": True}, "11-23T10:06"),
        ("warn", {"group": "hy_01", "member": "m3", "private": True}, "11-24T08:00"),
        ("kick", {"group": "hy_01", "member": "m1"}, "11-24T15:00"),
        ("notice", {"group": "hy_01", "member": "m1"}, "11-24T15:10"),
    ]
    table = sopc(project, "plan", str(project), "--from", "2026-11-23", "--to", "2026-11-23", "--events",
                 str(events), "--now", "2026-11-23T09:00").stdout
    assert "  10:05  1:1 → m1 (hy_01)  rules/warn  [text via qunfa]\n         小王,请遵守群规" in table

    # the run, event by event, sends exactly these (ids included)
    for member, name, at in TAGS:
        tag(project, member, name, at)
    for now in ("2026-11-23T10:00", "2026-11-23T10:05", "2026-11-23T10:06", "2026-11-24T08:00",
                "2026-11-24T15:00", "2026-11-24T15:10"):
        run_once(project, now)
    sent = {(r["id"], r["step"], r["member"], bool(r["private"])) for r in rows(project) if r["state"] == "sent"}
    assert sent == {(m["id"], m["step"], m["target"].get("member"), m["target"].get("private", False)) for m in lines}


def test_a_private_message_is_not_counted_against_the_groups_cap_or_gap(tmp_path, mock):
    """cap 2/day, gap 30m: 10:00 a post, 10:20 a private warning, 10:40 a
    post. Counted, the warning would defer the 10:40 post to 10:50 (the gap)
    and then skip it (the cap); it is not a post in the group, so the 10:40
    post goes out at 10:40, in plan and in run alike."""
    toml_text = toml(mock.url).replace("cap = 1", "cap = 2").replace('gap = "2h"', 'gap = "30m"')
    weekly = '  周一 10:00   weekly   "本周会员日:全场 8 折"\n'
    sop = RULES.replace(weekly, weekly + '  周一 10:40   lunch    "午餐时间:会员专享套餐"\n')
    root = write_project(tmp_path / "cap", {"sopc.toml": toml_text, "groups.csv": GROUPS, "rules.sop": sop})
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps({"event": "member.tagged", "group": "hy_01", "member": "m1", "tag": "违规",
                                  "at": "2026-11-23T10:20:00+08:00"}) + "\n", encoding="utf-8")
    planned = sopc(root, "plan", str(root), "--from", "2026-11-23", "--to", "2026-11-23", "--events",
                   str(events), "--format", "jsonl", "--show-skipped", "--now", "2026-11-23T09:00")
    lines = [json.loads(line) for line in planned.stdout.splitlines()]
    assert [(m["step"], m["status"], m["at"][11:16]) for m in lines] == [
        ("weekly", "planned", "10:00"), ("warn", "planned", "10:20"), ("lunch", "planned", "10:40")]

    tag(root, "m1", "小王", "2026-11-23T10:20")
    for now in ("2026-11-23T10:00", "2026-11-23T10:20", "2026-11-23T10:40"):
        run_once(root, now)
    assert [(r["step"], r["state"], r["at"][11:16]) for r in rows(root)] == [
        ("weekly", "sent", "10:00"), ("warn", "sent", "10:20"), ("lunch", "sent", "10:40")]
    assert [t.body["chat_type"] for t in mock.groupmsgs] == ["group", "single", "group"]


# ---- counts in the incremental state -------------------------------------------------------

def test_counts_are_kept_in_the_stored_state_between_runs(project, mock):
    """The runner keeps each group's lifecycle state in the store and
    advances it by the new events only: the 2nd tag, recorded after a run
    that saw the 1st, still counts as the 2nd."""
    tag(project, "m1", "小王", "2026-11-23T10:05")
    run_once(project, "2026-11-23T10:05")
    db = sqlite3.connect(project / ".sopc" / "state.db")
    [(state,)] = db.execute("SELECT state FROM lifecycle WHERE grp='hy_01'").fetchall()
    db.close()
    assert json.loads(state)["counts"] == [["m1", "member.tagged", "违规", 1]]
    tag(project, "m1", "小王", "2026-11-24T15:00")
    run_once(project, "2026-11-24T15:00")
    assert [(r["step"], r["state"]) for r in rows(project) if r["member"]] == [
        ("warn", "sent"), ("kick", "sent"), ("notice", "pending")]  # no second warning


def _state(project):
    from sopc.pipeline import build
    program = build([project]).program
    return LifecycleState(rules_of(program))


def test_a_count_is_per_member_event_and_tag(project):
    state = _state(project)
    at = dt.datetime(2026, 11, 23, 10, tzinfo=SHANGHAI)
    fired = []
    for minute, (member, tag_name) in enumerate([("m1", "违规"), ("m1", "广告"), ("m2", "违规"), ("m1", "违规"),
                                                 ("m1", "违规")]):
        done = state.advance(Event(kind="member.tagged", group="hy_01", member=member, argument=tag_name,
                                   at=at + dt.timedelta(minutes=minute)))
        fired.append([(s.ref.trigger.steps[0][2].name, member) for s in done.started])
    assert fired == [[("warn", "m1")], [], [("warn", "m2")], [("notice", "m1"), ("kick", "m1")], []]
    group = state.groups["hy_01"]
    assert group.counts == {("m1", "member.tagged", "违规"): 3, ("m1", "member.tagged", "广告"): 1,
                            ("m2", "member.tagged", "违规"): 1}
    again = _state(project)
    again.load_group("hy_01", state.group_json("hy_01"))
    assert again.groups["hy_01"].counts == group.counts


def test_a_state_file_from_before_private_messages_gains_the_column(tmp_path):
    path = tmp_path / "state.db"
    SQLiteStore(path).close()
    db = sqlite3.connect(path)
    db.execute("ALTER TABLE messages DROP COLUMN private")  # as an older sopc wrote it
    db.commit()
    db.close()
    store = SQLiteStore(path)
    try:
        columns = {row[1] for row in store.db.execute("PRAGMA table_info(messages)")}
        assert "private" in columns
        assert store.sent_since(dt.datetime(2026, 1, 1, tzinfo=SHANGHAI)) == []
    finally:
        store.close()
