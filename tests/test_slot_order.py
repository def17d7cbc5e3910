"""The order planned_slots gives a short window's slots (the checks' five
weeks): the order of Slot.sort_key (time, playbook, step, first group,
member), ties in the order the playbooks and steps are written, however
the slots are sorted inside (sopc.plan.expand._in_time_order)."""

from __future__ import annotations

import datetime as dt

from projects import write_project

from sopc import pipeline
from sopc.plan import expand as expand_module
from sopc.plan.expand import planned_slots
from sopc.plan.slots import Slot

ZONE = dt.timezone(dt.timedelta(hours=8))
TOML = 'timezone = "Asia/Shanghai"\nroster = "groups.csv"\n\n[senders.outbox]\nkind = "file"\npath = "out.jsonl"\n'
ROSTER = "id,name,tags\n" + "".join(f"g{i},群{i},{'a' if i % 2 else 'b'}\n" for i in range(4))
# Written out of name order; two steps of one name; quiet hours deferring
# 23:00 and 07:00 to the same 08:00; a launch whose steps fall at the
# schedule steps' times; a playbook in another zone firing at the same instants.
PLAYBOOKS = '''timeline live "live"
  T-30m  warm   "预热"
  T      go     "开始"
  T+30m  alpha  "复盘"

playbook zeta "z"
  to groups tagged a
  sender outbox
  quiet 22:00-08:00 defer
  每天 23:00  night  "晚"
  每天 07:00  early  "早"
  每天 08:00  alpha  "八点"
  周一 10:00  same   "一"
  周一 10:00  same   "二"
  run live at 2026-12-01 10:00 in group g1

playbook alpha "a"
  to groups tagged b
  sender outbox
  每天 08:00  zulu   "八点"
  每天 09:30  beta   "九点半"
  run live at 2026-12-01 10:00 in group g0

playbook middle "m"
  to all groups
  sender outbox
  timezone Asia/Tokyo
  每天 09:00  alpha  "东京九点"
'''


def test_a_short_windows_slots_come_in_the_order_of_their_sort_key(tmp_path):
    root = write_project(tmp_path, {"sopc.toml": TOML, "groups.csv": ROSTER, "p.sop": PLAYBOOKS})
    program = pipeline.build([root]).program
    start = dt.datetime(2026, 11, 30, tzinfo=ZONE)
    end = start + dt.timedelta(days=9)
    assert end - start <= expand_module.SORTED_AT_ONCE  # the window sorted at once
    got = [slot for slot, _groups in planned_slots(program, start, end)]
    # Sorting made-up slots again by the whole key, stably, from the order
    # the steps are written in (as the sort before _in_time_order did).
    written = sorted(got, key=lambda slot: _written_order(program, slot))
    assert got == sorted(written, key=Slot.sort_key)
    assert len(got) > 60
    times = [slot.at for slot in got]
    assert len(set(times)) < len(times)  # slots at one moment, whose order the rest of the key decides
    eight = [(slot.playbook.name, slot.step.name) for slot in got
             if slot.at == dt.datetime(2026, 12, 1, 8, 0, tzinfo=ZONE)]
    assert eight == [("alpha", "zulu"), ("middle", "alpha"), ("zeta", "alpha"), ("zeta", "early"), ("zeta", "night")]


def _written_order(program, slot: Slot) -> tuple:
    playbooks = [p.name for p in program.playbooks]
    playbook = program.playbooks[playbooks.index(slot.playbook.name)]
    steps = [step for _schedule_step, step in playbook.schedule]
    place = next((index for index, step in enumerate(steps) if step is slot.step), len(steps))
    return playbooks.index(slot.playbook.name), slot.anchor is not None, place, slot.at
