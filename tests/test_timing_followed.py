"""The cadence check follows a group's posts one by one (the cap, the gap,
the 企业群发 cap) only where a bound over all its posts says a rule may be
broken (sopc.checks.cadence._Walk._may_break_timing). Its findings must be
exactly those of following every group: the same diagnostics, in the same
order, on random projects of several playbooks per group, with their own
caps, gaps, zones and quiet hours."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from projects import write_project

from sopc import pipeline
from sopc.checks import CheckContext
from sopc.checks import cadence
from sopc.checks.cadence import check_cadence

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
TOML = ('timezone = "Asia/Shanghai"\nroster = "groups.csv"\n\n[senders.outbox]\nkind = "file"\npath = "out.jsonl"\n'
        '\n[senders.assist]\nkind = "wecom-groupmsg"\ncorp_id_env = "WECOM_CORP_ID"\nsecret_env = "WECOM_CONTACT_SECRET"\n')
WHENS = ("每天", "工作日", "周末", "周一,周三", "周二..周五", "每月 1日,15号")


def _project(rng: random.Random) -> dict[str, str]:
    groups = [f"g{i}" for i in range(rng.randint(1, 4))]
    roster = "id,name,tags\n" + "".join(f"{g},群{g},{rng.choice('ab')}\n" for g in groups)
    books = []
    for p in range(rng.randint(1, 4)):
        lines = [f'playbook p{p} "p{p}"', f"  to {rng.choice(['all groups', 'groups tagged a', 'groups tagged b'])}",
                 f"  sender {rng.choice(['outbox', 'outbox', 'assist'])}"]
        if rng.random() < 0.7:
            lines.append(f"  cap {rng.randint(1, 6)}/day")
        if rng.random() < 0.7:
            lines.append(f"  gap {rng.choice(['5m', '10m', '30m', '1h', '3h'])}")
        if rng.random() < 0.3:
            lines.append(f"  timezone {rng.choice(['Asia/Tokyo', 'Europe/Berlin', 'America/New_York'])}")
        if rng.random() < 0.3:
            lines.append(f"  quiet 22:00-08:00 {rng.choice(['defer', 'skip'])}")
        for s in range(rng.randint(1, 6)):
            at = f"{rng.randint(0, 23):02d}:{rng.choice(['00', '05', '20', '45'])}"
            lines.append(f'  {rng.choice(WHENS)} {at}  s{s}  "第 {s} 条"')
        books.append("\n".join(lines))
    return {"sopc.toml": TOML, "groups.csv": roster, "p.sop": "\n\n".join(books) + "\n"}


def _timing_findings(root, monkeypatch, follow_all: bool) -> list[tuple]:
    with monkeypatch.context() as patch:
        if follow_all:
            patch.setattr(cadence._Walk, "_may_break_timing", lambda self, posts: True)
        program = pipeline.build([root]).program
        found = check_cadence(program, CheckContext(now=NOW, start=NOW, end=NOW + pipeline.CHECK_WINDOW))
        return [(d.code, d.span.line, d.message) for d in found if d.code in ("E0303", "E0304", "E0506")]


@pytest.mark.parametrize("seed", range(40))
def test_following_the_groups_a_bound_picks_finds_what_following_every_group_finds(tmp_path, monkeypatch, seed):
    root = write_project(tmp_path, _project(random.Random(seed)))
    assert _timing_findings(root, monkeypatch, follow_all=False) == _timing_findings(root, monkeypatch, follow_all=True)


def test_the_random_projects_break_each_timing_rule(tmp_path, monkeypatch):
    """The comparison above means something: its projects break every rule."""
    codes = set()
    for seed in range(40):
        root = write_project(tmp_path / str(seed), _project(random.Random(seed)))
        codes |= {code for code, _line, _message in _timing_findings(root, monkeypatch, follow_all=True)}
    assert codes == {"E0303", "E0304", "E0506"}


def test_a_gap_broken_only_by_the_wider_gap_of_another_playbook_is_found(tmp_path):
    """Two playbooks reach one group: `a` (gap 5m) posts at 10:00 and `b`
    (gap 1h) at 10:30. Only `b`'s post breaks its gap; the bound takes the
    widest gap of the group's playbooks, so the group is followed."""
    root = write_project(tmp_path, {
        "sopc.toml": TOML, "groups.csv": "id,name,tags\ng0,群,a\n",
        "p.sop": 'playbook a "a"\n  to all groups\n  sender outbox\n  gap 5m\n  每天 10:00  early  "早"\n\n'
                 'playbook b "b"\n  to all groups\n  sender outbox\n  gap 1h\n  每天 10:30  late  "晚"\n'})
    program = pipeline.build([root]).program
    found = [d for d in check_cadence(program, CheckContext(now=NOW, start=NOW, end=NOW + pipeline.CHECK_WINDOW))
             if d.code == "E0303"]
    assert [d.span.line for d in found] == [11]
    assert "`late`" in found[0].message and "the gap is 1h" in found[0].message
