"""`staff NAME` (a playbook line): the sender of the playbook's actions
(`remind staff`, `dissolve group`, `remove member`). A group bot cannot
dissolve a group or remind a person, and `sopc run` refused every such
action with "cannot send action messages" while `sopc check` said nothing:
check now names each action a sender cannot hand to a person (E0521), and
`staff` routes them to a `remind` sender."""

from __future__ import annotations

import json

TOML = '''timezone = "Asia/Shanghai"

[senders.wecom]
kind = "wecom-bot"
key_env = "T_BOT_KEY"

[senders.staff_bot]
kind = "wecom-bot"
key_env = "T_STAFF_KEY"

[senders.staff]
kind = "remind"
via = "staff_bot"
'''

FLASH = '''timeline flash "快闪"
  T       open    "开抢啦" @all
  T+50m   check   remind staff "「{{ group.name }}」即将解散,请确认售后"
  T+1h    close   dissolve group

playbook p "快闪群"
  to groups tagged 快闪群
  sender wecom
%s  run flash at 2026-11-25 20:00 in group flash_01
'''


def _project(project, staff_line: str):
    return project({"sopc.toml": TOML, "main.sop": FLASH % staff_line})


def test_actions_through_a_group_bot_are_errors_at_their_steps(project, run_sopc):
    root = _project(project, "")
    result = run_sopc("check", str(root), "--now", "2026-11-23T09:00", "--format", "json", cwd=root)
    assert result.exit_code == 1
    found = [(d["code"], d["line"], d["message"]) for d in json.loads(result.stdout)["diagnostics"]]
    assert found == [
        ("E0521", 3, "step `check` reminds staff, but sender `wecom` cannot hand that to a person: "
                     "the reminder would fail at every delivery"),
        ("E0521", 4, "step `close` dissolves the group, but sender `wecom` cannot hand that to a person: "
                     "no bot or API dissolves a group for sopc")], found


def test_a_staff_sender_takes_the_actions_and_the_bot_the_posts(project, run_sopc):
    root = _project(project, "  staff staff\n")
    check = run_sopc("check", str(root), "--strict", "--now", "2026-11-23T09:00", cwd=root)
    assert check.exit_code == 0, check.output
    plan = run_sopc("plan", str(root), "--from", "2026-11-25", "--to", "2026-11-25", "--format", "jsonl", cwd=root)
    senders = {json.loads(line)["step"]: json.loads(line)["sender"] for line in plan.stdout.splitlines()}
    assert senders == {"open": "wecom", "check": "staff", "close": "staff"}


def test_the_run_hands_the_actions_to_the_staff_sender_not_the_bot(project, run_sopc, monkeypatch):
    monkeypatch.setenv("T_BOT_KEY", "k" * 36)
    monkeypatch.setenv("T_STAFF_KEY", "s" * 36)
    root = _project(project, "  staff staff\n")
    result = run_sopc("run", str(root), "--dry-run", "--now", "2026-11-25T21:00", cwd=root)
    assert result.exit_code == 0, result.output
    assert "cannot send action messages" not in result.output
    assert "done: 2 sent, 0 failed" in result.output, result.output  # check (20:50) and close (21:00)
    assert "p/check" in result.output and "p/close" in result.output


def test_an_unknown_staff_sender_is_named_with_the_senders_there_are(project, run_sopc):
    root = _project(project, "  staff staf\n")
    result = run_sopc("check", str(root), "--now", "2026-11-23T09:00", cwd=root)
    assert result.exit_code == 1
    assert "error[E0201]: unknown sender `staf`" in result.stderr
    assert "main.sop:9:9" in result.stderr and "did you mean `staff`?" in result.stderr
