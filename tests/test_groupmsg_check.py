"""`sopc check` and 企业群发: a customer group takes only `daily_cap` sends a
day (E0506), and customer groups need 企业群发 or a reminder, not a robot (E0504)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sopc.pipeline import check

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

SOPC_TOML = '''timezone = "Asia/Shanghai"

[senders.qunfa]
kind = "wecom-groupmsg"
corp_id_env = "WECOM_CORP_ID"
secret_env = "WECOM_CONTACT_SECRET"
{daily_cap}

[senders.robot]
kind = "wecom-bot"
key_env = "WECOM_BOT_KEY"

[senders.owner]
kind = "remind"
via = "robot"
'''

GROUPS_CSV = '''id,name,tags,sender,external,owner,address
vip_01,VIP 客户群 1,客户群,qunfa,是,xiaomei,wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA
vip_02,VIP 客户群 2,客户群,qunfa,是,laowang,
staff,员工群,员工群,robot,否,,
'''

TWICE_A_DAY = '''playbook vip "客户群 福利"
  to groups tagged 客户群
  每天 10:00 morning "今日福利:第二杯半价"
  每天 15:00 afternoon "下午茶买一送一"
'''

ONCE_A_DAY = '''playbook vip "客户群 福利"
  to groups tagged 客户群
  每天 10:00 morning "今日福利:第二杯半价"
'''


def project(tmp_path, playbook: str, *, daily_cap: str = "", groups: str = GROUPS_CSV):
    (tmp_path / "sopc.toml").write_text(SOPC_TOML.format(daily_cap=daily_cap), encoding="utf-8")
    (tmp_path / "groups.csv").write_text(groups, encoding="utf-8")
    (tmp_path / "vip.sop").write_text(playbook, encoding="utf-8")
    return check([tmp_path], now=NOW)


def codes(result, code):
    return [d for d in result.diagnostics if d.code == code]


def test_two_sends_a_day_are_over_the_default_cap_of_one(tmp_path):
    result = project(tmp_path, TWICE_A_DAY)
    [found] = codes(result, "E0506")
    assert found.is_error
    assert found.span.path.endswith("vip.sop") and found.span.line == 4  # the step that is one too many
    assert "group `vip_01` gets more than 1 企业群发 send (sender `qunfa` has daily_cap = 1)" in found.message
    assert "`afternoon` at 15:00 is send 2" in found.message
    assert "in 2 groups" in found.message  # one diagnostic for every group and day, grouped per step
    assert "merge the steps" in found.hint and "daily_cap" in found.hint


def test_raising_daily_cap_to_two_clears_it(tmp_path):
    assert codes(project(tmp_path, TWICE_A_DAY, daily_cap="daily_cap = 2"), "E0506") == []


def test_one_send_a_day_is_fine(tmp_path):
    assert codes(project(tmp_path, ONCE_A_DAY), "E0506") == []


def test_robot_posts_do_not_count_against_the_groupmsg_cap(tmp_path):
    staff_too = TWICE_A_DAY.replace("to groups tagged 客户群", "to groups tagged 员工群")
    assert codes(project(tmp_path, staff_too), "E0506") == []


def test_a_daily_cap_that_is_not_a_whole_number_is_reported(tmp_path):
    result = project(tmp_path, ONCE_A_DAY, daily_cap='daily_cap = "1/day"')
    [found] = codes(result, "E0506")
    assert "sender `qunfa`: `daily_cap` must be a whole number of at least 1" in found.message
    assert found.span.path.endswith("sopc.toml")


def test_both_assisted_kinds_are_known_to_check_and_can_reach_customer_groups(tmp_path):
    result = project(tmp_path, ONCE_A_DAY)
    assert codes(result, "E0501") == [] and codes(result, "E0504") == []


def test_a_robot_in_a_customer_group_points_at_senders_that_exist(tmp_path):
    robot = GROUPS_CSV.replace("vip_01,VIP 客户群 1,客户群,qunfa", "vip_01,VIP 客户群 1,客户群,robot")
    result = project(tmp_path, ONCE_A_DAY, groups=robot)
    [found] = codes(result, "E0504")
    assert "`vip_01` is an external customer group; sender `robot`" in found.message
    assert "`wecom-groupmsg`" in found.hint and "`remind`" in found.hint
    reminded = GROUPS_CSV.replace("vip_01,VIP 客户群 1,客户群,qunfa", "vip_01,VIP 客户群 1,客户群,owner")
    assert codes(project(tmp_path, ONCE_A_DAY, groups=reminded), "E0504") == []  # the hint's advice works


def test_at_all_cannot_go_through_groupmsg(tmp_path):
    result = project(tmp_path, ONCE_A_DAY.replace('"今日福利:第二杯半价"', '"今日福利:第二杯半价" @all'))
    [found] = codes(result, "E0503")
    assert "sender `qunfa`" in found.message and "no message kind" in found.hint
