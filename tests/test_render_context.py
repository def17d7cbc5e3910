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


CONTEXT_PLAYBOOK = '''timeline live "live"
  T-10m  notice  "{{ T }} {{ host }}"

playbook p "福利"
  to groups tagged 福利群
  sender outbox
  vars host=小葵 range=playbook的 date=不会用到
  每天 10:00  daily  "{{ group.store }} {{ date }} {{ range }} {{ schedule_summary }}" title=每日
  run live at 2026-12-02 19:30 in group g1 with host=阿杰
  on member.joined once per member
    +0  hi  "欢迎 {{ member.name }} {{ event }}"
'''


def test_a_context_of_some_names_is_the_whole_context_cut_to_them(tmp_path):
    """A template that reads only some names is given only those (the
    renderer does not work out the rest); each is what the whole context
    holds: the provided over the variables, a variable over a global."""
    import itertools

    from sopc.core.events import Event
    from sopc.core.vocabulary import CONTEXT_NAMES
    from sopc.plan.expand import Renderer, planned_slots

    root = write_project(tmp_path, {"sopc.toml": TOML, "groups.csv": ROSTER, "p.sop": CONTEXT_PLAYBOOK})
    program = pipeline.build([root]).program
    start = dt.datetime(2026, 12, 1, tzinfo=ZONE)
    events = [Event(kind="member.joined", group="g1", member="m1", at=start + dt.timedelta(hours=3), name="甲")]
    renderer = Renderer(program, [])
    names = sorted({c.name for c in CONTEXT_NAMES} | {"host", "range", "missing"})
    seen_kinds = set()
    for slot, groups in planned_slots(program, start, start + dt.timedelta(days=2), events=events):
        whole = renderer.context(slot, groups[0])
        seen_kinds.add((slot.anchor is not None, slot.member is not None))
        for size in (1, 2, len(names)):
            for chosen in itertools.islice(itertools.combinations(names, size), 40):
                if "schedule_summary" in chosen and "schedule_summary" not in whole:
                    continue  # the whole context holds the summary only for a template reading it
                assert renderer.context(slot, groups[0], frozenset(chosen)) == {
                    name: value for name, value in whole.items() if name in chosen}, (slot.step.name, chosen)
    assert seen_kinds == {(False, False), (True, False), (True, True)}  # schedule, timeline and trigger slots
    daily = [m.text for m in expand(program, start, start + dt.timedelta(days=1), diagnostics=[]) if m.step == "daily"]
    assert daily == [f"店{n} 2026-12-01 playbook的 每天 10:00 每日" for n in range(6)]  # the variable, not Jinja's `range`
