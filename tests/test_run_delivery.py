"""End to end through real HTTP: the runner delivers to the loopback server
that answers like WeCom, and `sopc status` reports 企业群发 confirmations."""

from __future__ import annotations

import asyncio

import pytest
from mockhooks import MockHooks
from projects import write_project
from simulate import Sim, local

from sopc.run import status as status_report

ROBOT = '''
playbook welfare "福利"
  to groups tagged 福利群
  sender bot
  周一 10:00   coupon   "【{{ group.store }}】本周券包已发放" @all
'''

GROUPMSG = '''
playbook customers "客户群"
  to groups tagged 客户群
  sender qunfa
  周一 10:00   weekly   "本周会员日:全场 8 折"
'''


@pytest.fixture
def mock():
    with MockHooks() as server:
        yield server


def _robot_run(tmp_path, mock, *, key: str) -> Sim:
    """The ROBOT project through the real wecom-bot sender, aimed at the
    mock, from 09:59 to 10:01 on a Monday."""
    root = write_project(tmp_path / "bot", {"w.sop": ROBOT, "sopc.toml": f'''timezone = "Asia/Shanghai"
[senders.bot]
kind = "wecom-bot"
key_env = "TEST_ROBOT_KEY"
base_url = "{mock.url}"
'''})
    sim = Sim(root, local("2026-11-23T09:59"), sender=False, env={"TEST_ROBOT_KEY": key})
    sim.start()
    sim.until(local("2026-11-23T10:01"))
    return sim


def test_the_runner_posts_to_the_wecom_robot_and_records_sent(tmp_path, mock):
    mock.add_wecom_bot("robot-key-123")
    sim = _robot_run(tmp_path, mock, key="robot-key-123")
    bodies = mock.bodies("wecom")
    assert sorted(b["text"]["content"] for b in bodies) == sorted(  # in flight together: any order
        ["【西湖店】本周券包已发放", "【滨江店】本周券包已发放", "【人民广场店】本周券包已发放"])
    assert all(b["text"]["mentioned_list"] == ["@all"] for b in bodies)
    assert sim.store.counts()["sent"] == 3
    assert not any("robot-key-123" in line for line in sim.lines)


def test_a_rejected_robot_key_fails_with_the_apis_message_and_no_secret(tmp_path, mock):
    sim = _robot_run(tmp_path, mock, key="not-a-known-key")
    failures = sim.by_state("failed")
    assert len(failures) == 3 and "93000" in failures[0].reason
    assert all("not-a-known-key" not in m.reason for m in failures)


def test_groupmsg_sends_are_shown_waiting_then_confirmed(tmp_path, mock):
    mock.add_wecom_corp("ww-corp", "corp-secret-value", users=("zhangsan",))
    root = write_project(tmp_path / "qunfa", {"c.sop": GROUPMSG, "groups.csv": '''id,name,tags,owner,external,address
wrOgQhDgAAcwMTB,客户群一,客户群,zhangsan,yes,wrOgQhDgAAcwMTB
''', "sopc.toml": f'''timezone = "Asia/Shanghai"
[senders.qunfa]
kind = "wecom-groupmsg"
corp_id_env = "TEST_CORP_ID"
secret_env = "TEST_CORP_SECRET"
base_url = "{mock.url}"
'''})
    env = {"TEST_CORP_ID": "ww-corp", "TEST_CORP_SECRET": "corp-secret-value"}
    sim = Sim(root, local("2026-11-23T09:59"), sender=False, env=env)
    sim.start()
    sim.until(local("2026-11-23T10:01"))
    [message] = sim.by_state("sent")
    assert message.remote_id == mock.groupmsgs[0].msgid and message.confirm == "waiting"
    report = status_report.collect(sim.store, state_path="s", runner_pid=None)
    assert report["confirmations"] == {"waiting": 1} and report["awaiting_confirmation"][0]["remote_id"]

    mock.mark_groupmsg(message.remote_id, 1)
    assert asyncio.run(sim.runner.poll_confirmations()) == 1
    report = status_report.collect(sim.store, state_path="s", runner_pid=None)
    assert report["confirmations"] == {"confirmed": 1} and report["awaiting_confirmation"] == []
    text = status_report.render_text(report, local("2026-11-23T10:00").tzinfo)
    assert "1 群主已确认" in text and "corp-secret-value" not in text
