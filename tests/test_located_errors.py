"""Bad input names the option, the line or the file it came from, with a
did-you-mean where one helps: the command line's time options, event
stages, `plan --group`, template variables (inline and in template files)
and playbooks saved under a name sopc does not read (`x.sop.txt`).

Each case was a silent or misplaced report before (issue 14)."""

from __future__ import annotations

import json
import sqlite3

import pytest
from projects import write_project

NOW = "2026-11-23T09:00"

OUTBOX_TOML = '''timezone = "Asia/Shanghai"

[senders.outbox]
kind = "file"
path = "outbox.jsonl"
'''

STAGED = '''
playbook care "群阶段"
  to groups tagged 福利群
  sender outbox
  quiet off
  on group.stage 沉默期
    +0  wake_up  "好久没热闹啦,发红包!"

stages
  沉默期 when silent >= 5d
  成熟期 otherwise
'''


@pytest.fixture
def staged(tmp_path):
    return write_project(tmp_path / "proj", {"sopc.toml": OUTBOX_TOML, "s.sop": STAGED})


def _recorded_events(root) -> int:
    state = root / ".sopc" / "state.db"
    return sqlite3.connect(state).execute("SELECT COUNT(*) FROM events").fetchone()[0] if state.exists() else 0


# ---- options that take a time name themselves --------------------------------------------------

def test_a_bad_event_time_names_at_not_now(staged, run_sopc):
    result = run_sopc("event", "member.joined", str(staged), "--group", "hz_001", "--member", "m1",
                      "--at", "2026-12-03T25:00", cwd=staged.parent)
    assert result.exit_code == 2
    assert "Invalid value for --at:" in result.stderr and "--now" not in result.stderr, result.stderr
    assert "2026-12-03T25:00" in result.stderr
    assert _recorded_events(staged) == 0


@pytest.mark.parametrize("command", [("check",), ("plan",), ("pause", "care"), ("resume", "care"),
                                     ("run", "--once")])
def test_a_bad_now_names_now(staged, run_sopc, command):
    result = run_sopc(*command[:1], *command[1:2] if command[0] in ("pause", "resume") else (), str(staged),
                      *command[1:] if command[0] == "run" else (), "--now", "2026-12-03T25:00", cwd=staged.parent)
    assert result.exit_code == 2, result.stderr
    assert "Invalid value for --now:" in result.stderr and "2026-12-03T25:00" in result.stderr


# ---- group.stage events carry one of the project's stages -----------------------------------

def test_an_event_with_an_unknown_stage_is_refused_with_did_you_mean(staged, run_sopc):
    result = run_sopc("event", "group.stage", str(staged), "--group", "hz_001", "--stage", "沉默",
                      cwd=staged.parent)
    assert result.exit_code == 1, result.stderr
    assert "`沉默` is not a stage of this project" in result.stderr
    assert "did you mean `沉默期`?" in result.stderr
    assert "nothing recorded" in result.stderr and _recorded_events(staged) == 0


def test_an_event_with_a_declared_stage_is_recorded(staged, run_sopc):
    result = run_sopc("event", "group.stage", str(staged), "--group", "hz_001", "--stage", "沉默期",
                      cwd=staged.parent)
    assert result.exit_code == 0, result.stderr
    assert "recorded group.stage in hz_001" in result.stdout and _recorded_events(staged) == 1


def test_a_jsonl_event_with_an_unknown_stage_is_refused_at_its_line(staged, run_sopc):
    events = staged / "events.jsonl"
    events.write_text('{"event": "group.stage", "group": "hz_001", "stage": "沉默期", "at": "2026-11-23T10:00"}\n'
                      '{"event": "group.stage", "group": "hz_002", "stage": "成熟", "at": "2026-11-23T10:00"}\n',
                      encoding="utf-8")
    recorded = run_sopc("event", "--file", str(events), str(staged), cwd=staged.parent)
    assert recorded.exit_code == 1
    assert f"{events}:2: error: \"stage\": `成熟` is not a stage of this project; did you mean `成熟期`?" \
        in recorded.stderr
    assert _recorded_events(staged) == 0
    checked = run_sopc("check", str(staged), "--events", str(events), "--now", NOW, cwd=staged.parent)
    assert checked.exit_code == 1
    assert "events.jsonl:2:1: error[E0702]: \"stage\": `成熟` is not a stage of this project" in checked.stderr


def test_a_stage_event_in_a_project_without_stages_is_refused(tmp_path, run_sopc):
    root = write_project(tmp_path / "plain", {"sopc.toml": OUTBOX_TOML, "w.sop": '''
playbook welfare "福利"
  to groups tagged 福利群
  sender outbox
  周一 10:00 coupon "本周券包"
'''})
    result = run_sopc("event", "group.stage", str(root), "--group", "hz_001", "--stage", "沉默期", cwd=tmp_path)
    assert result.exit_code == 1
    assert "declares no stages" in result.stderr and _recorded_events(root) == 0


def test_a_served_event_with_an_unknown_stage_is_refused():
    from sopc.events import intake
    from sopc.core.timeutil import load_zone
    import datetime as dt

    zone = load_zone("Asia/Shanghai")
    result = intake.parse_records([{"event": "group.stage", "group": "hz_001", "stage": "沉默"}], zone=zone,
                                  now=dt.datetime(2026, 11, 23, 10, tzinfo=zone), roster_ids={"hz_001"},
                                  stages=("沉默期", "成熟期"))
    assert [r.message for r in result.rejected] == [
        "\"stage\": `沉默` is not a stage of this project; did you mean `沉默期`?"]


# ---- plan --group ---------------------------------------------------------------------------------

def test_plan_for_a_group_not_in_the_roster_is_a_usage_error(staged, run_sopc):
    result = run_sopc("plan", str(staged), "--group", "hz_01", "--now", NOW, cwd=staged.parent)
    assert result.exit_code == 2
    assert "no group `hz_01` in the roster" in result.stderr and "did you mean `hz_001`?" in result.stderr
    assert "Invalid value for --group:" in result.stderr
    assert run_sopc("plan", str(staged), "--group", "hz_001", "--now", NOW, cwd=staged.parent).exit_code == 0


# ---- template variables ---------------------------------------------------------------------------

WELFARE = '''playbook welfare "门店福利群"
  to groups tagged 福利群
  sender outbox
  周一 10:00 coupon   template "coupon.j2" amount=50
  周三 10:00 inline   "满 {{ amout }} 元可用" amount=50
'''

COUPON = '''【{{ group.store }}】本周福利来啦
{% if amount %}
满减:{{ amout }} 元券包已放进小程序
{% endif %}
{% include "footer.j2" %}
'''

FOOTER = '''
门店:{{ group.name }} · 店长 {{ manger }}
'''


def _diagnostics(run_sopc, root):
    result = run_sopc("check", str(root), "--format", "json", "--now", NOW, cwd=root.parent)
    return result, json.loads(result.stdout)["diagnostics"]


def _by(diagnostics, code, word):
    found = [d for d in diagnostics if d["code"] == code and f"`{word}`" in d["message"]]
    assert found, diagnostics
    return found


def test_a_variable_typo_beside_a_step_value_gets_did_you_mean(tmp_path, run_sopc):
    root = write_project(tmp_path / "p", {"sopc.toml": OUTBOX_TOML, "w.sop": WELFARE,
                                          "templates/coupon.j2": COUPON, "templates/footer.j2": FOOTER})
    result, diagnostics = _diagnostics(run_sopc, root)
    inline = [d for d in _by(diagnostics, "E0405", "amout") if d["path"].endswith("w.sop")]
    assert len(inline) == 1 and inline[0]["hint"] == "did you mean `amount`?"
    assert (inline[0]["line"], inline[0]["column"]) == (5, 27)


def test_a_variable_typo_in_a_template_file_points_at_the_file(tmp_path, run_sopc):
    root = write_project(tmp_path / "p", {"sopc.toml": OUTBOX_TOML, "w.sop": WELFARE,
                                          "templates/coupon.j2": COUPON, "templates/footer.j2": FOOTER})
    result, diagnostics = _diagnostics(run_sopc, root)
    [in_file] = [d for d in _by(diagnostics, "E0405", "amout") if d["path"].endswith("coupon.j2")]
    assert (in_file["path"], in_file["line"], in_file["column"]) == ("p/templates/coupon.j2", 3, 7)
    assert in_file["end_column"] == 12
    assert "p/w.sop:4" in in_file["message"] and in_file["hint"] == "did you mean `amount`?"
    [included] = _by(diagnostics, "E0405", "manger")
    assert (included["path"], included["line"], included["column"]) == ("p/templates/footer.j2", 2, 29)
    assert "p/w.sop:4" in included["message"]
    text = run_sopc("check", str(root), "--now", NOW, cwd=root.parent).stderr
    assert "p/templates/coupon.j2:3:7: error[E0405]" in text
    assert "满减:{{ amout }} 元券包已放进小程序" in text  # the template's own line is shown


# ---- playbooks saved under another name -----------------------------------------------------------

@pytest.mark.parametrize("name, renamed", [("x.sop.txt", "x.sop"), ("福利.SOP", "福利.sop"),
                                           ("y.sop ", "y.sop"), ("sub/z.Sop", "z.sop")])
def test_a_playbook_saved_under_another_extension_is_pointed_out(tmp_path, run_sopc, name, renamed):
    files = {"sopc.toml": OUTBOX_TOML, "w.sop": WELFARE.replace("template \"coupon.j2\" ", "\"券\" ")
             .replace("{{ amout }}", "{{ amount }}"), name: '''playbook other "别的"\n  to group hz_001\n'''}
    if name.startswith("sub/"):
        files["sopc.toml"] = 'playbooks = ["w.sop", "sub"]\n' + OUTBOX_TOML
    root = write_project(tmp_path / "p", files)
    result, diagnostics = _diagnostics(run_sopc, root)
    [found] = [d for d in diagnostics if d["code"] == "W0618"]
    assert found["path"] == f"p/{name}" and found["line"] == 1
    assert "sopc reads only files named `*.sop`" in found["message"]
    assert f"rename it to `{renamed}`" in found["hint"]
    strict = run_sopc("check", str(root), "--strict", "--now", NOW, cwd=root.parent)
    assert strict.exit_code == 1


def test_backups_and_hidden_folders_are_not_reported(tmp_path, run_sopc):
    root = write_project(tmp_path / "p", {"sopc.toml": OUTBOX_TOML, "w.sop": WELFARE.replace(
        "template \"coupon.j2\" ", "\"券\" ").replace("{{ amout }}", "{{ amount }}"),
        "w.sop.bak": "old", "w.sop~": "old", ".backup/x.sop.txt": "old", "notes.txt": "hi"})
    result, diagnostics = _diagnostics(run_sopc, root)
    assert not [d for d in diagnostics if d["code"] == "W0618"], diagnostics


def test_a_bad_sopc_now_variable_is_named_as_the_variable(staged, run_sopc):
    result = run_sopc("event", "member.joined", str(staged), "--group", "hz_001", "--member", "m1",
                      cwd=staged.parent, env={"SOPC_NOW": "tomorrow"})
    assert result.exit_code == 2
    assert "Invalid value for SOPC_NOW:" in result.stderr and "--now" not in result.stderr
