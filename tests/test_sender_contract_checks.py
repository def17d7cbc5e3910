"""Issue 14, items 3 and 8 as a user meets them: `sopc check` refuses at
compile time what the sender would refuse at send time (kinds, sizes, the
form of an image or a link, the owner 企业群发 needs, the mentions each kind
carries), a dry run records such a message failed (not sent), and
`sopc run --once` from cron keeps its WeCom token."""

from __future__ import annotations

import json

import pytest
from inprocess import run_sopc
from mockhooks import MockHooks
from projects import NOW, write_project

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))

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


# ---- item 3: the check holds each message to its sender's contract ------------------------------


def test_a_picture_can_go_to_the_owner_through_a_reminder(tmp_path):
    toml = ROBOT_TOML.replace("[senders.robot]", '[senders.hand]\nkind = "remind"\nvia = "robot"\n\n[senders.robot]')
    files = {"sopc.toml": toml, "images/poster.png": PNG, "main.sop": playbook("hand", '周一 10:00 poster image "images/poster.png"')}
    status, diagnostics = check(tmp_path, files)
    assert (status, diagnostics) == (0, [])


def test_an_image_file_is_looked_for_in_the_project(tmp_path):
    # read when the playbook is compiled (issue 10): a missing file is an error at its path, once
    files = {"images/poster.png": PNG, "main.sop": playbook(
        "robot", '周一 10:00 poster image "images/poster.png"', '周二 10:00 missing image "images/gone.png"')}
    _, diagnostics = check(tmp_path, files)
    [problem] = found(diagnostics, "E0425")
    assert problem["message"] == "cannot read image `images/gone.png`: No such file or directory"
    assert (problem["line"], problem["column"]) == (5, 26) and not found(diagnostics, "E0507")


def test_a_link_without_url_and_title_is_an_error(tmp_path):
    files = {"main.sop": playbook("robot", '周一 10:00 card link "看这里"',
                                  '周二 10:00 good link "https://shop.example.cn/618\\n618 秒杀\\n今晚 8 点"')}
    _, diagnostics = check(tmp_path, files)
    [problem] = found(diagnostics, "E0507")
    assert "`card`" in problem["message"] and "line 1 must be an http(s) URL" in problem["message"]


GROUPMSG_TOML = '''timezone = "Asia/Shanghai"

[senders.qunfa]
kind = "wecom-groupmsg"
corp_id_env = "SOPC_TEST_CORP"
secret_env = "SOPC_TEST_SECRET"
'''


def test_a_customer_group_without_an_owner_cannot_get_a_groupmsg(tmp_path):
    roster = "id,name,tags,owner\nvip_01,VIP 群,福利群,xiaomei\nvip_02,VIP 群 2,福利群,\n"
    status, diagnostics = check(tmp_path, {"sopc.toml": GROUPMSG_TOML, "groups.csv": roster,
                                           "main.sop": playbook("qunfa", '周一 10:00 hello "本周福利"')})
    [problem] = found(diagnostics, "E0508")
    assert status == 1 and "`vip_02` has no owner" in problem["message"] and "群主" in problem["hint"]


def test_a_groupmsg_link_title_over_128_bytes_is_an_error(tmp_path):
    title = "秒杀" * 22  # 132 bytes
    status, diagnostics = check(tmp_path, {"sopc.toml": GROUPMSG_TOML, "main.sop": playbook(
        "qunfa", f'周一 10:00 card link "https://shop.example.cn/618\\n{title}\\n今晚 8 点"')})
    [problem] = found(diagnostics, "E0507")
    assert "link title is 132 bytes (UTF-8), over the limit of 128" in problem["message"]


# ---- item 8: mentions the message kind cannot carry ---------------------------------------------


@pytest.mark.parametrize(("toml", "step", "word"), [
    (GROUPMSG_TOML, '周一 10:00 hello "本周福利" @zhangsan', "@zhangsan"),
    ('timezone = "Asia/Shanghai"\n\n[senders.bot]\nkind = "feishu"\ntoken_env = "T"\n',
     '周一 10:00 card link "https://shop.example.cn/618\\n618 秒杀" @ou_7d8a6e6df7621556ce0d', "@ou_7d8a6e6df7621556ce0d"),
    ('timezone = "Asia/Shanghai"\n\n[senders.bot]\nkind = "dingtalk"\ntoken_env = "T"\n',
     '周一 10:00 card link "https://shop.example.cn/618\\n618 秒杀" @13800001111', "@13800001111"),
])
def test_a_mention_the_kind_cannot_carry_fails_the_strict_check(tmp_path, toml, step, word):
    sender = "qunfa" if "qunfa" in toml else "bot"
    roster = ROSTER if sender == "bot" else "id,name,tags,owner\nvip_01,VIP 群,福利群,xiaomei\n"
    status, diagnostics = check(tmp_path, {"sopc.toml": toml, "groups.csv": roster, "main.sop": playbook(sender, step)},
                                "--strict")
    [problem] = found(diagnostics, "E0503")
    assert status == 1 and problem["message"].startswith(f"`{word}` cannot be sent in a")
    assert "it would fail at every delivery" in problem["message"]


def test_member_in_a_lifecycle_link_through_dingtalk_is_refused(tmp_path):
    toml = 'timezone = "Asia/Shanghai"\n\n[senders.bot]\nkind = "dingtalk"\ntoken_env = "T"\n'
    sop = playbook("bot", "on member.joined", '  +0 card link "https://shop.example.cn/new\\n新人礼" @member')
    _, diagnostics = check(tmp_path, {"sopc.toml": toml, "main.sop": sop})
    [problem] = found(diagnostics, "E0503")
    assert "a user id" in problem["hint"] and "in: markdown, text" in problem["hint"]


def test_member_in_wecom_markdown_passes_strict_now_that_it_is_sent(tmp_path):
    sop = playbook("robot", "on member.joined", '  +0 welcome markdown "## 欢迎新朋友" @member @成员')
    status, diagnostics = check(tmp_path, {"main.sop": sop}, "--strict")
    assert (status, diagnostics) == (0, [])


# ---- Slack counts characters at check time too -------------------------------------------------


def test_slack_sizes_are_checked_in_characters(tmp_path):
    toml = 'timezone = "Asia/Shanghai"\n\n[senders.bot]\nkind = "slack"\nurl_env = "U"\n'
    sop = playbook("bot", f'周一 10:00 long "{"福" * 20_000}"', f'周二 10:00 longer "{"a" * 40_001}"')
    _, diagnostics = check(tmp_path, {"sopc.toml": toml, "main.sop": sop})
    [problem] = found(diagnostics, "E0502")
    assert "`longer`" in problem["message"] and "40001 characters, over the limit of 40000" in problem["message"]


# ---- the dry run ------------------------------------------------------------------------------


def test_a_dry_run_records_failed_what_the_sender_would_refuse(tmp_path):
    nine = " ".join(f'link url="https://a.example.cn/{n}" title=第{n}篇' for n in range(1, 10))
    root = write_project(tmp_path / "proj", {"sopc.toml": ROBOT_TOML, "groups.csv": ROSTER, "main.sop": playbook(
        "robot", f'周一 10:00 poster {nine}')})
    result = run_sopc("run", ".", "--once", "--dry-run", "--now", "2026-11-23T10:00:30", cwd=root)
    assert "refused by robot (wecom-bot): wecom-bot sends at most 8 articles in one link message, not 9" in result.stdout
    assert result.stderr.count("failed 11-23 10:00 welfare/poster") == 2
    assert "done: 0 sent, 2 failed" in result.stderr


# ---- cron and the WeCom token --------------------------------------------------------------------


def test_sopc_run_once_from_cron_fetches_one_token_for_many_runs(tmp_path):
    with MockHooks() as mock:
        mock.add_wecom_corp("ww-corp", "corp-secret-value", users=("xiaomei", "laowang"))
        root = write_project(tmp_path / "proj", {
            "groups.csv": ROSTER, "main.sop": playbook("qunfa", '每天 10:00 hello "今日福利"'),
            "sopc.toml": GROUPMSG_TOML + f'base_url = "{mock.url}"\n'})
        env = {"SOPC_TEST_CORP": "ww-corp", "SOPC_TEST_SECRET": "corp-secret-value"}
        for day in ("23", "24", "25"):
            result = run_sopc("run", ".", "--once", "--now", f"2026-11-{day}T10:00:30", cwd=root, env=env)
            assert "done: 2 sent" in result.stderr, result.stderr
        assert len(mock.groupmsgs) == 6
        assert mock.token_fetches == 1
