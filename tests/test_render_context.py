"""What a template reads of its group: one dict per group, shared by that
group's renders (the sandbox lets no template change it), and never another
group's, however many groups a plan renders for."""

from __future__ import annotations

import datetime as dt

from projects import write_project

from sopc import pipeline
from sopc.plan import expand as expand_module
from sopc.plan.expand import expand

ZONE = dt.timezone(dt.timedelta(hours=8))
TOML = 'timezone = "Asia/Shanghai"\nroster = "groups.csv"\n\n[senders.outbox]\nkind = "file"\npath = "out.jsonl"\n'
ROSTER = "id,name,tags,store\n" + "".join(f"g{i},群{i},福利群;city:{i},店{i}\n" for i in range(6))
PLAYBOOK = '''playbook p
  to groups tagged 福利群
  sender outbox
  每天 10:00  grab   "{{ group.tags.append('x') }}"
  每天 11:00  show   "{{ group.store }}: {{ group.tags | join(',') }} {{ date }}"
'''


def _texts(tmp_path, monkeypatch, kept: int) -> dict[tuple[str, str], str]:
    monkeypatch.setattr(expand_module, "GROUP_DICTS_KEPT", kept)
    root = write_project(tmp_path / f"kept{kept}", {"sopc.toml": TOML, "groups.csv": ROSTER, "p.sop": PLAYBOOK})
    result = pipeline.build([root])
    start = dt.datetime(2026, 12, 1, tzinfo=ZONE)
    messages = list(expand(result.program, start, start + dt.timedelta(days=3), diagnostics=[]))
    return {(m.group, m.at.isoformat()): m.text for m in messages}


def test_a_template_cannot_change_the_group_the_next_render_reads(tmp_path, monkeypatch):
    texts = _texts(tmp_path, monkeypatch, kept=1024)
    assert texts  # `grab` fails for every group (E0406); `show` reads the tags as the roster has them
    for (group, _at), text in texts.items():
        number = group[1:]
        assert text.startswith(f"店{number}: city:{number},福利群 2026-12-0"), text


def test_groups_beyond_those_kept_render_the_same(tmp_path, monkeypatch):
    assert _texts(tmp_path, monkeypatch, kept=2) == _texts(tmp_path, monkeypatch, kept=1024)
