"""Lifecycle simulation: events start trigger steps; `until` and leaving stop them."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

from sopc import pipeline

SH = ZoneInfo("Asia/Shanghai")

PLAYBOOK = '''
playbook onboarding "新人"
  to all groups
  quiet off
  gap 0
  on member.joined until member.purchased
    +0            welcome  "欢迎 {{ member.name }}" @member
    +1d at 10:00  coupon   "{{ member.name }} 的新人券"
    +3d at 19:00  last     "券快过期了"
  on member.silent 7d repeat
    +0  care  "{{ member.name }} 好久不见"
'''


def plan_for(tmp_path, events):
    (tmp_path / "groups.csv").write_text("id,name,tags\ng1,一群,福利群\n", encoding="utf-8")
    (tmp_path / "a.sop").write_text(PLAYBOOK, encoding="utf-8")
    events_file = tmp_path / "events.jsonl"
    events_file.write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in events), encoding="utf-8")
    result = pipeline.build([tmp_path])
    assert not result.failed, result.diagnostics
    loaded = pipeline.read_events(result, events_file)
    start = dt.datetime(2026, 11, 23, tzinfo=SH)
    return [(m.step, m.member, m.at.strftime("%m-%d %H:%M"), m.text, m.mentions)
            for m in pipeline.plan(result, start, start + dt.timedelta(days=20), events=loaded)]


def joined(member, name, at):
    return {"event": "member.joined", "group": "g1", "member": member, "name": name, "at": at}


def test_join_starts_the_sequence_for_that_member(tmp_path):
    messages = plan_for(tmp_path, [joined("m1", "小王", "2026-11-24T15:00:00+08:00")])
    steps = [(s, m, at) for s, m, at, _, _ in messages if s != "care"]
    assert steps == [("welcome", "m1", "11-24 15:00"), ("coupon", "m1", "11-25 10:00"), ("last", "m1", "11-27 19:00")]
    assert messages[0][3] == "欢迎 小王" and messages[0][4] == ("m1",)


def test_purchase_stops_later_steps_and_leaving_stops_everything(tmp_path):
    messages = plan_for(tmp_path, [
        joined("m1", "小王", "2026-11-24T15:00:00+08:00"),
        joined("m2", "小李", "2026-11-24T16:00:00+08:00"),
        {"event": "member.purchased", "group": "g1", "member": "m1", "at": "2026-11-25T12:00:00+08:00"},
        {"event": "member.left", "group": "g1", "member": "m2", "at": "2026-11-25T09:00:00+08:00"},
    ])
    assert [(s, m) for s, m, *_ in messages if s in ("welcome", "coupon", "last")] == [
        ("welcome", "m1"), ("welcome", "m2"), ("coupon", "m1")]


def test_silence_fires_once_per_quiet_spell(tmp_path):
    messages = plan_for(tmp_path, [
        joined("m1", "小王", "2026-11-23T09:00:00+08:00"),
        {"event": "member.message", "group": "g1", "member": "m1", "at": "2026-11-26T09:00:00+08:00"},
    ])
    care = [(m, at) for s, m, at, _, _ in messages if s == "care"]
    assert care == [("m1", "12-03 09:00")]


def test_a_step_at_a_fixed_hour_never_precedes_its_event(tmp_path):
    (tmp_path / "groups.csv").write_text("id,name,tags\ng1,一群,x\n", encoding="utf-8")
    (tmp_path / "a.sop").write_text('''
playbook p
  to all groups
  quiet off
  on member.joined
    +0 at 10:00  hello  "早上好 {{ member.name }}"
''', encoding="utf-8")
    events = tmp_path / "e.jsonl"
    events.write_text(json.dumps(joined("m1", "小王", "2026-11-24T15:00:00+08:00")), encoding="utf-8")
    result = pipeline.build([tmp_path])
    start = dt.datetime(2026, 11, 23, tzinfo=SH)
    messages = list(pipeline.plan(result, start, start + dt.timedelta(days=5),
                                  events=pipeline.read_events(result, events)))
    assert [m.at.isoformat() for m in messages] == ["2026-11-25T10:00:00+08:00"]
