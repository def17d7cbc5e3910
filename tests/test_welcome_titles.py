"""The stdlib welcome (playbooks/newcomer.sop) lists the group's weekly
schedule to a new member in words: each step by its `title=`, its name when
written in words, or its text's first words; never an internal step name
such as `coupon_pack`."""

from __future__ import annotations

import json
import re

import pytest

from projects import NOW
from sopc.compile.titles import first_words

OUTBOX_TOML = '''timezone = "Asia/Shanghai"
templates = "templates"

[senders.outbox]
kind = "file"
path = "outbox.jsonl"
'''

PLAYBOOK = '''import newcomer from "std/newcomer.sop"

template seeding_text """
🌱 **种草日**:{{ group.store }}新品试吃
"""

playbook welfare "门店福利群"
  to groups tagged 福利群
  sender outbox
  quiet off
  周一 10:00       coupon_pack   template "coupon.j2" amount=50 title="50 元券包"
  周二 10:00       king_day      "👑 国王日:9.9 元 1+1,{{ group.store }}可用"
  周四 10:00       seeding       template seeding_text
  周一到周五 12:00  lunch         "{{ group.store }}三款 20 元工作餐"
  周五 15:00       抽奖          "群里回复「想要」参与,16:00 开奖"
  周六 10:00       only_vars     "{{ group.store }}"
  周日 10:00       staff_note    remind staff "检查周末活动"

  on member.joined
    use newcomer
'''

COUPON = "【{{ group.store }}】本周福利来啦 🎉\n{{ amount }} 元券包已放进小程序\n"

SCHEDULE = ["周一 10:00 50 元券包", "周一至周五 12:00 三款 20 元工作餐", "周二 10:00 国王日", "周四 10:00 种草日",
            "周五 15:00 抽奖"]
STEP_NAMES = re.compile(r"coupon_pack|king_day|seeding|lunch|only_vars|staff_note|检查周末活动")


@pytest.fixture
def shop(project):
    return project({"sopc.toml": OUTBOX_TOML, "main.sop": PLAYBOOK, "templates/coupon.j2": COUPON})


def _welcome_schedule(text: str) -> list[str]:
    return text.split("本群福利安排:\n", 1)[1].strip().splitlines()


def test_the_planned_welcome_names_each_welfare_in_words(shop, run_sopc):
    (shop / "events.jsonl").write_text(json.dumps({"event": "member.joined", "group": "hz_001", "member": "m1",
                                                   "name": "小王", "at": "2026-11-24T09:00:00+08:00"}) + "\n",
                                       encoding="utf-8")
    assert run_sopc("check", ".", "--strict", "--now", NOW, cwd=shop).exit_code == 0
    result = run_sopc("plan", ".", "--from", "2026-11-24", "--to", "2026-11-24", "--group", "hz_001",
                      "--events", "events.jsonl", "--format", "jsonl", cwd=shop)
    assert result.exit_code == 0, result.stderr
    (welcome,) = [json.loads(line) for line in result.stdout.splitlines() if '"welcome"' in line]
    assert _welcome_schedule(welcome["text"]) == SCHEDULE
    assert not STEP_NAMES.search(welcome["text"])


def test_the_welcome_sopc_run_delivers_names_each_welfare_in_words(shop, run_sopc):
    recorded = run_sopc("event", "member.joined", ".", "--group", "hz_002", "--member", "m2", "--name", "小李",
                        "--at", "2026-11-24T09:00:00+08:00", cwd=shop)
    assert recorded.exit_code == 0, recorded.stderr
    result = run_sopc("run", ".", "--once", "--now", "2026-11-24T09:00:30", cwd=shop)
    assert result.exit_code == 0, result.stderr
    sent = [json.loads(line) for line in (shop / "outbox.jsonl").read_text(encoding="utf-8").splitlines()]
    (welcome,) = [m for m in sent if m["step"] == "welcome"]
    assert welcome["group"] == "hz_002" and "小李" in welcome["text"]
    assert _welcome_schedule(welcome["text"]) == SCHEDULE
    assert not STEP_NAMES.search(welcome["text"])


def test_sopc_init_welcomes_with_words_not_step_names(tmp_path, run_sopc):
    assert run_sopc("init", "shop", "--now", NOW, cwd=tmp_path).exit_code == 0
    folder = tmp_path / "shop"
    (folder / "events.jsonl").write_text(json.dumps({"event": "member.joined", "group": "hz_001", "member": "m1",
                                                     "name": "小王", "at": "2026-11-24T10:00:00+08:00"}) + "\n",
                                         encoding="utf-8")
    result = run_sopc("plan", ".", "--from", "2026-11-24", "--to", "2026-11-24", "--group", "hz_001",
                      "--events", "events.jsonl", "--format", "jsonl", cwd=folder)
    (welcome,) = [json.loads(line) for line in result.stdout.splitlines() if '"welcome"' in line]
    assert _welcome_schedule(welcome["text"]) == ["周一 10:00 50 元券包", "周三 11:30 会员日", "周五 15:00 周五抽奖",
                                                  "每月1日 18:00 月度福利"]
    assert not re.search(r"[a-z]+_[a-z]+", welcome["text"])


@pytest.mark.parametrize("source, words", [
    ("💳 周三五折日:今天用信用卡消费立享 5 折", "周三五折日"),
    ("【{{ group.store }}】本周福利来啦 🎉\n券包已放进小程序", "本周福利来啦"),
    ("{{ member.name }},新人专享券已到账", "新人专享券已到账"),
    ("国王日:9.9元 1+1 随心配 {{ group.name }}", "国王日"),
    ("周五抽奖:群里回复「想要」参与", "周五抽奖"),
    ("{% if x %}会员日{% endif %} 第二杯半价", "会员日 第二杯半价"),
    ("一二三四五六七八九十一二三四五六七八九十", "一二三四五六七八九十一二三四五六…"),
    ("{{ group.store }}", None),
    ("🎉🎉", None),
])
def test_first_words_of_a_text(source, words):
    assert first_words(source) == words


def test_a_short_texts_first_words_are_kept_and_a_long_ones_are_not():
    from sopc.compile import titles
    from sopc.core.memo import forget_all

    forget_all()
    short = "💳 周三五折日:今天到店{{ group.store }}"
    long = "周三五折日," + "很长的文案" * 400
    assert first_words(short) == first_words(short) == "周三五折日"
    assert first_words(long) == "周三五折日"
    info = titles.first_words.memo.cache_info()
    assert (info.currsize, info.hits) == (1, 1)  # the long text is not held
    forget_all()
    assert titles.first_words.memo.cache_info().currsize == 0
