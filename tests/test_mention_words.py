"""Issue 14, item 4: mention words mean what they say, in Chinese too.

`@全体成员` / `@所有人` / `@everyone` are everyone, `@成员` the member an event
is about, `@群主` / `@owner` the group's roster `owner`; a word that reads
like a role but is none is a warning, not a user id sent to nobody."""

from __future__ import annotations

import json

from inprocess import run_sopc
from projects import NOW, write_project

ROBOT_TOML = '''timezone = "Asia/Shanghai"

[senders.robot]
kind = "wecom-bot"
key_env = "SOPC_TEST_ROBOT_KEY"
'''

ROSTER = '''id,name,tags,owner
hz_001,杭州西湖店福利群,福利群,xiaomei
hz_002,杭州滨江店福利群,福利群,laowang
'''


def playbook(sender: str, *steps: str) -> str:
    return f'playbook welfare "福利"\n  to groups tagged 福利群\n  sender {sender}\n' + "".join(f"  {s}\n" for s in steps)


def check(tmp_path, files: dict, *args: str) -> tuple[int, list[dict]]:
    root = write_project(tmp_path / "proj", {"sopc.toml": ROBOT_TOML, "groups.csv": ROSTER, **files})
    result = run_sopc("check", ".", "--now", NOW, "--format", "json", *args, cwd=root)
    return result.exit_code, json.loads(result.stdout)["diagnostics"]


def found(diagnostics: list[dict], code: str) -> list[dict]:
    return [d for d in diagnostics if d["code"] == code]


# ---- planning ---------------------------------------------------------------------


def plan_jsonl(tmp_path, files: dict, *args: str) -> list[dict]:
    root = write_project(tmp_path / "proj", {"sopc.toml": ROBOT_TOML, "groups.csv": ROSTER, **files})
    result = run_sopc("plan", ".", "--from", "2026-11-23", "--to", "2026-11-23", "--now", NOW, "--format", "jsonl",
                      *args, cwd=root)
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_chinese_and_english_role_words_plan_as_roles(tmp_path):
    sop = playbook("robot", '周一 10:00 hi "大家好" @全体成员', '周一 11:00 hey "开抢" @所有人 @everyone',
                   '周一 12:00 owner "请置顶" @群主', '周一 13:00 boss "请回复" @owner')
    by_step = {(m["step"], m["target"]["group"]): m["mentions"] for m in plan_jsonl(tmp_path, {"main.sop": sop})}
    assert by_step[("hi", "hz_001")] == ["all"]
    assert by_step[("hey", "hz_002")] == ["all", "all"]
    assert by_step[("owner", "hz_001")] == ["xiaomei"] and by_step[("owner", "hz_002")] == ["laowang"]
    assert by_step[("boss", "hz_002")] == ["laowang"]


def test_member_in_chinese_is_the_member_the_event_is_about(tmp_path):
    sop = playbook("robot", "on member.joined", '  +0 welcome "欢迎" @成员')
    events = tmp_path / "events.jsonl"
    events.write_text('{"event": "member.joined", "group": "hz_001", "member": "m_xw", "name": "小王", '
                      '"at": "2026-11-23T10:00:00+08:00"}\n', encoding="utf-8")
    [welcome] = plan_jsonl(tmp_path, {"main.sop": sop}, "--events", str(events))
    assert welcome["mentions"] == ["m_xw"]


def test_a_mention_that_reads_like_a_role_is_a_warning_with_did_you_mean(tmp_path):
    sop = playbook("robot", '周一 10:00 hi "大家好" @memeber @群管理 @zhangsan @13800001111')
    status, diagnostics = check(tmp_path, {"main.sop": sop}, "--strict")
    warnings = found(diagnostics, "W0411")
    assert status == 1 and [w["severity"] for w in warnings] == ["warning", "warning"]
    typo, chinese = warnings
    assert typo["message"].startswith("`@memeber` is not a mention word") and "did you mean `member`?" in typo["hint"]
    assert chinese["message"].startswith("`@群管理` is not a mention word") and "@owner (群主)" in chinese["hint"]


def test_owner_where_the_roster_names_none_is_an_error(tmp_path):
    roster = "id,name,tags,owner\nhz_001,西湖店,福利群,xiaomei\nhz_002,滨江店,福利群,\n"
    status, diagnostics = check(tmp_path, {"groups.csv": roster,
                                           "main.sop": playbook("robot", '周一 10:00 hi "请置顶" @群主')})
    [problem] = found(diagnostics, "E0412")
    assert status == 1 and "`hz_002`" in problem["message"] and "`hz_001`" not in problem["message"]
