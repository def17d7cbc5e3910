"""`sopc init`: a small project that passes `sopc check --strict` and `sopc test` as written,
so a newcomer starts from something that works and edits it: on the day it
is written, whatever the month (its flash sale is dated from that day, and
no two of its posts ever fall within the gap of each other)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sopc.core.i18n import _

LAUNCH_AFTER = dt.timedelta(days=7)  # the flash sale: the first Saturday at least a week ahead

FILES: dict[str, str] = {
    "sopc.toml": '''\
# sopc project settings. Secrets never go here: name an environment variable.
timezone = "Asia/Shanghai"
templates = "templates"
roster = "groups.csv"

[defaults]
quiet = "22:00-08:00"   # nothing is posted in these hours (deferred to 08:00)
cap = 6                 # at most 6 posts per group per day, across all playbooks
gap = "30m"             # at least 30 minutes between two posts in one group
holidays = "keep"       # skip | before | after | keep

[senders.console]
kind = "console"        # prints messages; swap for wecom-bot / feishu / dingtalk

# [senders.wecom]
# kind = "wecom-bot"
# key_env = "WECOM_BOT_KEY"   # the webhook key is read from this variable
''',
    "groups.csv": '''\
id,name,tags,store,city
hz_001,杭州西湖店福利群,福利群;city:杭州,西湖店,杭州
hz_002,杭州滨江店福利群,福利群;city:杭州,滨江店,杭州
sh_001,上海人民广场店福利群,福利群;city:上海,人民广场店,上海
flash_01,周末快闪群,快闪群,线上,杭州
''',
    "templates/coupon.j2": '''\
【{{ group.store }}】本周福利来啦 🎉
{{ amount }} 元券包已放进小程序,{{ weekday_cn }}当天有效,先到先得!
''',
    "playbooks/welfare.sop": '''\
# 每周福利 SOP: one playbook, every group tagged 福利群.
import "std/flash_sale.sop"
import newcomer from "std/newcomer.sop"

playbook welfare "门店福利群 周SOP"
  to groups tagged 福利群
  sender console
  on holidays skip

  # the newcomer's welcome lists these steps by their `title=` (else their text's first words)
  周一 10:00      coupon_pack   template "coupon.j2" amount=50 title="50 元券包"
  周三 11:30      member_day    "会员日:第二杯半价,{{ group.store }}今天全天可用" @all
  周五 15:00      lucky_draw    "周五抽奖:群里回复「想要」参与,16:00 开奖"
  每月 1日 18:00  monthly_gift  "新的一月,{{ group.name }}的月度福利已发放" title=月度福利

  on member.joined until member.purchased
    use newcomer

playbook flash "快闪群"
  to groups tagged 快闪群
  sender console
  quiet off
  gap 10m  # a flash sale posts every 10-15 minutes around T
  run flash_sale at {launch} 20:00 in group flash_01 with product=樱花杯 price=9.9
''',
    "playbooks/welfare.test.sop": '''\
# Playbook tests: `sopc test` plans from `start` with the events `given`, through the
# same gate as `sopc run` (quiet hours, cap, gap), and holds what goes out to `expect`.
test "深夜进群的新人:早上 8 点收到欢迎,第二天收到新人券"
  start {join} 08:00
  given member.joined hz_001 m1 "小王" at {join} 23:30
  expect welcome to hz_001 for m1 at {next} 08:00 contains "欢迎 @小王"
  expect coupon to hz_001 for m1 on {next} contains "新人专享券"
  expect no welcome to hz_002
''',
}


def launch_day(today: dt.date) -> dt.date:
    """The flash sale's day: the first Saturday at least a week after ``today``
    (in the future, and inside the five weeks `sopc check` looks at)."""
    day = today + LAUNCH_AFTER
    return day + dt.timedelta(days=(5 - day.weekday()) % 7)


def _dated(text: str, today: dt.date) -> str:
    """The scaffold's dates, from ``today``: the flash sale's day, and the
    test's newcomer, who joins late tonight (welcomed at 08:00 tomorrow)."""
    dates = {"{launch}": launch_day(today), "{join}": today, "{next}": today + dt.timedelta(days=1)}
    for mark, day in dates.items():
        text = text.replace(mark, day.isoformat())
    return text


def write_project(directory: Path, today: dt.date) -> list[Path]:
    """Write the scaffold as of ``today``; refuse to overwrite anything."""
    targets = [directory / name for name in FILES]
    existing = [t for t in targets if t.exists()]
    if existing:
        raise FileExistsError(_("{path} already exists").format(path=existing[0]))
    for target, text in zip(targets, FILES.values()):
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_dated(text, today), encoding="utf-8")
    return targets
