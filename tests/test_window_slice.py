"""A schedule step's slots in a window are its firings that go out in
[start, end), compared as instants: found by bisection over the firings'
instants (sopc.plan.expand._in_window), whatever zone the window's edges
and the playbook are in, and across the days clocks are set back (two
instants share a wall time) or forward."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest
from projects import write_project

from sopc import pipeline
from sopc.plan import expand as expand_module
from sopc.plan.expand import planned_slots

TOML = 'timezone = "Asia/Shanghai"\nroster = "groups.csv"\n\n[senders.outbox]\nkind = "file"\npath = "out.jsonl"\n'
ZONES = ("Asia/Shanghai", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe")  # Lord Howe: a 30-minute DST
STEPS = ('每天 01:30  a  "a"', '每天 02:30  b  "b"', '周日 01:59  c  "c"', '每天 23:30  d  "d"', '工作日 00:00  e  "e"')


def _program(tmp_path):
    playbooks = []
    for number, zone in enumerate(ZONES):
        quiet = ("  quiet 01:00-03:00 defer\n", "  quiet 23:00-02:00 skip\n", "")[number % 3]
        playbooks.append(f'playbook p{number} "p"\n  to all groups\n  sender outbox\n  timezone {zone}\n{quiet}'
                         + "".join(f"  {step}\n" for step in STEPS))
    root = write_project(tmp_path, {"sopc.toml": TOML, "groups.csv": "id,name,tags\ng1,一店,t\n",
                                    "p.sop": "\n".join(playbooks)})
    return pipeline.build([root]).program


def _edges(rng: random.Random) -> tuple[dt.datetime, dt.datetime]:
    """A window of a few days to weeks around a change of clocks (March, April, October, November 2026)."""
    zone = rng.choice((dt.timezone(dt.timedelta(hours=8)), dt.timezone.utc, ZoneInfo("America/New_York"),
                       ZoneInfo("Australia/Lord_Howe")))
    around = rng.choice((dt.datetime(2026, 3, 8), dt.datetime(2026, 3, 29), dt.datetime(2026, 4, 5),
                         dt.datetime(2026, 10, 4), dt.datetime(2026, 10, 25), dt.datetime(2026, 11, 1)))
    start = (around + dt.timedelta(minutes=rng.randrange(-5 * 24 * 60, 5 * 24 * 60))).replace(tzinfo=zone)
    return start, start + dt.timedelta(minutes=rng.randrange(1, 20 * 24 * 60))


@pytest.mark.parametrize("seed", range(6))
def test_a_windows_slots_are_the_firings_whose_instant_is_in_it(tmp_path, seed):
    program = _program(tmp_path)
    rng = random.Random(seed)
    for _ in range(15):
        start, end = _edges(rng)
        wide = [slot for slot, _groups in planned_slots(program, start - dt.timedelta(days=3),
                                                        end + dt.timedelta(days=3))]
        inside = [slot for slot, _groups in planned_slots(program, start, end)]
        assert [(s.playbook.name, s.step.name, s.at) for s in inside] == [
            (s.playbook.name, s.step.name, s.at) for s in wide if _utc(start) <= _utc(s.at) < _utc(end)], (start, end)
        assert all(_utc(start) <= _utc(s.at) < _utc(end) for s in inside)


def test_a_window_takes_the_firings_whose_instants_are_in_it_even_in_a_repeated_hour():
    """An edge equal to a firing's instant takes it in at the start and
    leaves it out at the end, in any zone. In the hour clocks repeat, the
    window holds the instants in it: Python compares two times of one zone
    as wall times (01:30 before and after the change are equal), so
    windows edged by them would overlap."""
    zone = ZoneInfo("America/New_York")
    walls = [dt.datetime(2026, 11, 1, 0, 30) + dt.timedelta(minutes=30 * i) for i in range(8)]  # across 01:00-02:00 twice
    firings = tuple((wall.replace(tzinfo=zone, fold=fold), wall.replace(tzinfo=zone))
                    for wall in walls for fold in (0, 1))
    firings = tuple(sorted(firings, key=lambda firing: expand_module._instant(firing[0])))
    instants = [expand_module._instant(at) for at, _scheduled in firings]
    for at, _scheduled in firings:
        for start, end in ((at, at + dt.timedelta(hours=1)), (at - dt.timedelta(hours=1), at),
                           (at.astimezone(dt.timezone.utc), at.astimezone(dt.timezone(dt.timedelta(hours=8))))):
            utc_start, utc_end = start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)
            expected = [firing for firing in firings if utc_start <= firing[0].astimezone(dt.timezone.utc) < utc_end]
            assert list(expand_module._in_window(firings, instants, True, start, end)) == expected
            assert list(expand_module._in_window(firings, instants, False, start, end)) == expected


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.timezone.utc)  # compared as instants, whatever the zones
