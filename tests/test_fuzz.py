"""The fuzzer (tests/fuzz/fuzz.py) in CI, and what it found (issue 11,
"Figures to reach: fuzzing").

* 20,000 mutated playbooks, rosters, configs, template files and event
  lines, fixed seed, both cores, from the seeds cut to one step per block
  (`--small`: the real `check`, on small inputs): no crash, none over 2 s
  of CPU.
* Every input it ever saved (tests/fuzz/regressions/) runs clean: the
  located diagnostic instead of the traceback, in time.
* The findings as a user meets them: a path the operating system refuses
  (a name too long) is "not found", where it was written; a launch years
  ahead is checked on its own days, not by walking every week until then.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import sopc.checks.cadence as cadence
import sopc.compile.templates as templates
from sopc import pipeline
from sopc.core.clock import parse_now

HERE = Path(__file__).resolve().parent
FUZZ = HERE / "fuzz" / "fuzz.py"
REGRESSIONS = sorted((HERE / "fuzz" / "regressions").glob("*.json"))
CI_INPUTS = 20_000


def _fuzz_module():
    sys.path.insert(0, str(FUZZ.parent))
    try:
        import fuzz
    finally:
        sys.path.remove(str(FUZZ.parent))
    return fuzz


def test_20000_fuzzed_inputs_crash_nothing_and_none_takes_over_2_seconds(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("SOPC_NOW", "SOPC_STATE", "SOPC_DEBUG")}
    started = time.monotonic()
    result = subprocess.run([sys.executable, str(FUZZ), "--inputs", str(CI_INPUTS), "--seed", "1", "--jobs", "2",
                             "--small", "--state-dir", str(tmp_path / "fuzz"), "--quiet"],
                            env=env, capture_output=True, text=True, encoding="utf-8", timeout=1800)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert f"inputs tried: {CI_INPUTS:,} of {CI_INPUTS:,}" in report
    assert "crashes: 0" in report and "inputs over the time limit: 0" in report, report
    state = json.loads((tmp_path / "fuzz" / "state.json").read_text(encoding="utf-8"))
    assert state["done"] == CI_INPUTS and state["slowest"][0] < 2.0
    print(f"\n{report}(wall {time.monotonic() - started:.0f} s)")


def test_a_stopped_run_continues_where_it_was(tmp_path):
    """Resumable: the state file counts what is done; the same command runs the rest only."""
    command = [sys.executable, str(FUZZ), "--seed", "3", "--jobs", "1", "--state-dir", str(tmp_path), "--quiet"]
    first = subprocess.run([*command, "--inputs", "200"], capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stdout + first.stderr
    second = subprocess.run([*command, "--inputs", "400"], capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "inputs tried: 400 of 400" in second.stdout
    assert json.loads((tmp_path / "state.json").read_text())["done"] == 400
    other_seed = subprocess.run([*command[:2], "--seed", "4", "--state-dir", str(tmp_path), "--inputs", "10"],
                                capture_output=True, text=True, timeout=600)
    assert other_seed.returncode != 0 and "--seed 3" in other_seed.stdout + other_seed.stderr


@pytest.mark.parametrize("saved", REGRESSIONS, ids=[p.stem for p in REGRESSIONS])
def test_every_input_the_fuzzer_saved_now_runs_clean(saved):
    fuzz = _fuzz_module()
    meta = json.loads(saved.read_text(encoding="utf-8"))
    seed = fuzz.seed_named(meta["seed"])
    seconds, error, said = fuzz.replay_input(seed, saved.with_suffix(".input").read_bytes(), now=meta["now"])
    assert error is None, f"{meta['site']} again"
    assert seconds < fuzz.SLOW_SECONDS
    assert said, "it says what is wrong"


# ---- the findings, as a user meets them -------------------------------------------------

LONG = "x" * 300  # longer than a file name may be (255 bytes): the system refuses it (ENAMETOOLONG)
# Times below are this process's CPU time (the commands run in it): a busy
# machine stretches wall time, not the work an input costs.
PLAYBOOK = 'playbook p "测试"\n  to all groups\n  sender console\n  周一 10:00 a "hi"\n'
TOML = 'timezone = "Asia/Shanghai"\n'
SENDER = '\n[senders.console]\nkind = "console"\n'


@pytest.mark.parametrize("files, code, where", [
    ({"main.sop": f'import "{LONG}.sop"\n' + PLAYBOOK}, "E0212", "main.sop:1:"),
    ({"main.sop": f'import "std/{LONG}.sop"\n' + PLAYBOOK}, "E0212", "main.sop:1:"),
    ({"sopc.toml": TOML + f'roster = "{LONG}.csv"\n' + SENDER, "main.sop": PLAYBOOK}, "E0610", LONG),
    ({"sopc.toml": TOML + f'playbooks = ["{LONG}"]\n' + SENDER, "main.sop": PLAYBOOK}, "W0608", "sopc.toml:2:"),
], ids=["import", "std-import", "roster", "playbooks"])
def test_a_path_the_system_refuses_is_not_found_where_it_was_written(project, run_sopc, files, code, where):
    root = project(files)
    result = run_sopc("check", str(root), "--now", "2026-11-23T09:00", "--format", "json", cwd=root)
    found = json.loads(result.stdout)["diagnostics"]
    assert code in [d["code"] for d in found], result.stdout
    shown = run_sopc("check", str(root), "--now", "2026-11-23T09:00", cwd=root)
    assert where in shown.stderr and f"[{code}]" in shown.stderr
    assert "Traceback" not in shown.stderr and "File name too long" not in shown.stderr


FAR_LAUNCH = '''
timeline flash "快闪" max 1d
  T-1h  preheat "今晚开抢"
  T     open    "开抢啦"

playbook weekly "周报"
  to groups tagged 快闪群
  sender console
  gap 30m
  周五 19:00  news  "本周新品"
  周五 20:00  tip   "晚上好"

playbook sale "快闪"
  to groups tagged 快闪群
  sender console
  quiet off
  gap 30m
  run flash at 2099-12-11 20:00 in group flash_01
'''


def test_a_launch_years_ahead_is_checked_on_its_own_days(project, monkeypatch):
    """2099 for 2026: the check walked every week from now to the launch
    (the fuzzer's input took 20 s, a 300-step playbook minutes). Now it
    walks five weeks and the launch's days, and still finds the launch's
    collisions with the weekly posts (2099-12-11 is a Friday)."""
    root = project({"main.sop": FAR_LAUNCH})
    walked = []
    real = cadence.planned_slots

    def counted(*args, **kwargs):
        for slot in real(*args, **kwargs):
            walked.append(slot)
            yield slot

    monkeypatch.setattr(cadence, "planned_slots", counted)
    built = pipeline.build([root])
    now = parse_now("2026-11-23T09:00", built.zone)
    windows = pipeline.check_windows(built.program, now)
    assert [(s.date().isoformat(), e.date().isoformat()) for s, e in windows] == [
        ("2026-11-23", "2026-12-28"), ("2099-12-10", "2099-12-13")]
    result = pipeline.check_build(built, now=now)
    gaps = sorted(d.message for d in result.diagnostics if d.code == "E0303")
    assert len(gaps) == 2 and all("2099-12-11" in m and "flash_01" in m for m in gaps), gaps
    assert len(walked) < 100  # ten Fridays' posts and the launch's two steps, not 73 years of Fridays


def test_launches_within_five_weeks_of_each_other_are_one_window(project):
    """Near launches are walked with the days between (as before): the
    weekly posts between them are checked too."""
    text = FAR_LAUNCH.replace("run flash at 2099-12-11 20:00 in group flash_01",
                              "run flash at 2027-01-20 20:00 in group flash_01\n"
                              "  run flash at 2027-02-10 20:00 in group flash_01")
    built = pipeline.build([project({"main.sop": text})])
    now = parse_now("2026-11-23T09:00", built.zone)
    assert [(s.date().isoformat(), e.date().isoformat()) for s, e in pipeline.check_windows(built.program, now)] == [
        ("2026-11-23", "2027-02-12")]


def test_a_template_too_large_to_check_is_a_located_error(project, run_sopc):
    """A 64 KB expression in a template file (`{{ a,a,a,... }}`) took
    seconds to compile and render at every check: it is refused where it
    is, and the rest of the project is checked."""
    root = project({"main.sop": 'playbook p "测试"\n  to all groups\n  sender console\n'
                                '  周一 10:00 a template "big.j2"\n  周二 10:00 b "{{ group.name }}"\n',
                    "sopc.toml": TOML + 'templates = "templates"\n' + SENDER,
                    "templates/big.j2": "{{ " + "a," * 32768 + " }}"})
    started = time.process_time()
    result = run_sopc("check", str(root), "--now", "2026-11-23T09:00", cwd=root)
    assert result.exit_code == 1
    assert "error[E0402]" in result.stderr and "template is too large" in result.stderr
    assert "big.j2" in result.stderr and "split it into smaller templates" in result.stderr
    assert time.process_time() - started < 2.0


def test_an_unknown_name_repeated_in_an_audience_is_reported_once(project, run_sopc):
    """`to groups a,a,a,...` on one long line gave one E0204 per `a`
    (12,921 of them, each printed with the line: seconds, megabytes)."""
    text = 'playbook p "测试"\n  to groups hz_001,' + ",".join(["nope"] * 5000) + "\n  sender console\n" \
           '  周一 10:00 a "hi"\n\nplaybook q "测试"\n  to groups tagged ' + " or ".join(["无此标签"] * 3000) + \
           '\n  sender console\n  周一 11:00 b "hi"\n'
    root = project({"main.sop": text})
    result = run_sopc("check", str(root), "--now", "2026-11-23T09:00", "--format", "json", cwd=root)
    found = json.loads(result.stdout)["diagnostics"]
    assert [(d["code"], d["message"]) for d in found if d["code"] in ("E0204", "E0205")] == [
        ("E0204", "unknown group `nope`"), ("E0205", "no group in the roster has the tag `无此标签`")]
    first = next(d for d in found if d["code"] == "E0204")
    assert (first["line"], first["column"]) == (2, len("  to groups hz_001,") + 1)


@pytest.mark.parametrize("args, code", [
    (("check", LONG), 1), (("check", f"{LONG}/a.sop"), 1), (("plan", f"{LONG}/a.sop", "--now", "2026-11-23T09:00"), 1),
    (("run", f"{LONG}/a.sop", "--once", "--dry-run", "--now", "2026-11-23T09:00"), 1), (("init", LONG), 1),
], ids=["check", "check-file", "plan", "run", "init"])
def test_a_path_argument_the_system_refuses_is_an_error_not_a_crash(tmp_path, run_sopc, args, code):
    """The same names on the command line: `sopc check` of a 300-character
    name stopped with `internal error: OSError` (exit 70)."""
    result = run_sopc(*args, cwd=tmp_path)  # in process: a crash would raise here
    assert result.exit_code == code, result.stderr
    assert "E0607" in result.stderr or "File name too long" in result.stderr  # init names the system's reason
    assert "internal error" not in result.stderr


def test_templates_that_include_one_another_in_a_circle_are_refused(project, run_sopc):
    """A template file including itself (or b.j2 -> c.j2 -> b.j2): every
    render recursed until Python gave up, ~1 s per message at check time
    (and at run time), reported as a missing variable. Now one E0402 at
    the include that closes the circle; a file included twice is fine."""
    root = project({"main.sop": 'playbook p "测试"\n  to all groups\n  sender console\n'
                                '  周一 10:00 a template "a.j2"\n  周二 10:00 b "x {% include \'b.j2\' %}"\n'
                                '  周三 10:00 c template "d.j2"\n',
                    "sopc.toml": TOML + 'templates = "templates"\n' + SENDER,
                    "templates/a.j2": 'A {% include "a.j2" %}', "templates/b.j2": 'B\n{% include "c.j2" %}',
                    "templates/c.j2": 'C {% import "b.j2" as x %}', "templates/d.j2": 'D {% include "f.j2" %}'
                                                                                       '{% include "f.j2" %}',
                    "templates/f.j2": "F"})
    started = time.process_time()
    result = run_sopc("check", str(root), "--now", "2026-11-23T09:00", "--format", "json", cwd=root)
    found = [(d["code"], Path(d["path"]).name, d["line"], d["message"]) for d in json.loads(result.stdout)["diagnostics"]]
    assert found == [
        ("E0402", "a.j2", 1, "templates include one another in a circle (a.j2 → a.j2): rendering would never end"),
        ("E0402", "c.j2", 1, "templates include one another in a circle (b.j2 → c.j2 → b.j2): "
                             "rendering would never end")], found
    assert time.process_time() - started < 2.0


def test_a_circle_an_if_does_not_end_fails_its_render_at_once(project, run_sopc):
    """An include under an `if` may end a circle, so it compiles; when it
    does not, the render fails with the reason (not a missing variable),
    and every later render of that template fails at once."""
    root = project({"main.sop": 'playbook p "测试"\n  to all groups\n  sender console\n  vars deep=1\n'
                                '  周一 10:00 a template "a.j2"\n  周二 10:00 b template "a.j2"\n',
                    "sopc.toml": TOML + 'templates = "templates"\n' + SENDER,
                    "templates/a.j2": 'A {% if deep %}{% include "a.j2" %}{% endif %}'})
    started = time.process_time()
    result = run_sopc("check", str(root), "--now", "2026-11-23T09:00", "--format", "json", cwd=root)
    found = json.loads(result.stdout)["diagnostics"]
    assert {d["code"] for d in found} == {"E0408"}, found
    assert all("nested too deep (does a template include itself?)" in d["message"] for d in found)
    assert time.process_time() - started < 2.0


def test_a_template_that_cannot_render_is_tried_once_per_context_not_per_slot(project, monkeypatch):
    """A missing variable makes Jinja build a traceback (~0.1 ms): the
    check rendered a failing step again for every group and every day of
    its five weeks (300 such steps: 2.8 s). The same context fails the same
    way: it is tried once, and still reported, naming each group."""
    root = project({"main.sop": 'playbook p "测试"\n  to groups tagged 福利群\n  sender console\n'
                                '  每天 10:00  a  "你好 {{ nope }}"\n'})
    renders = []
    real = templates.CompiledTemplate.render

    def counted(self, context):
        renders.append(context.get("date"))
        return real(self, context)

    monkeypatch.setattr(templates.CompiledTemplate, "render", counted)
    built = pipeline.build([root])
    result = pipeline.check_build(built, now=parse_now("2026-11-23T09:00", built.zone))
    assert [d.code for d in result.diagnostics if d.code.startswith("E04")] == ["E0405"]
    assert len(renders) <= 5, f"{len(renders)} renders"  # three groups x 35 days before


def test_a_step_pasted_many_times_has_its_text_parsed_once_for_its_group_fields(project, monkeypatch):
    """The fuzzer's input 513,129: one step pasted 250 times (a 1,000-item
    Jinja tuple in its text) took check 4.0 s of CPU, parsing the same
    text again for every copy to see which group fields it prints."""
    import jinja2

    text = "到{{ group.store" + ",a" * 50 + " }}"
    steps = "".join(f'  周二 10:00  bogo{n}  "{text}"\n' for n in range(40))
    root = project({"main.sop": f'playbook p "测试"\n  to groups tagged 福利群\n  sender console\n{steps}'})
    parsed = []
    real = jinja2.Environment.parse

    def counted(self, source, *args, **kwargs):
        parsed.append(source)
        return real(self, source, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "parse", counted)
    built = pipeline.build([root])
    pipeline.check_build(built, now=parse_now("2026-11-23T09:00", built.zone))
    # once to compile it (the copies share it), once to read its fields; 41 times before
    assert parsed.count(text) <= 2, f"parsed {parsed.count(text)} times"


def test_a_launch_step_far_from_its_launch_keeps_the_launch_window_small(project):
    """`T-2147483648m` (4,000 years) overflowed the window's arithmetic; a
    window is at most five weeks either side of its launch."""
    text = FAR_LAUNCH.replace('  T-1h  preheat "今晚开抢"', '  T-2147483648m  preheat "今晚开抢"\n  T+99999d  late "很久以后"')
    built = pipeline.build([project({"main.sop": text})])
    now = parse_now("2026-11-23T09:00", built.zone)
    windows = pipeline.check_windows(built.program, now)
    assert len(windows) == 2 and windows[1][1] - windows[1][0] <= dt.timedelta(days=72)
    pipeline.check_build(built, now=now)  # and the check goes through


def test_a_template_nested_hundreds_deep_is_refused_before_jinja_folds_it(project, run_sopc):
    """The fuzzer's input 947,606: `{{ not not ... not x }}` 298 deep took
    7.9 s of CPU in Jinja's constant folding (its cost grows as the cube of
    the depth). Real templates nest a dozen deep: past 64 it is E0402."""
    deep = "{{ " + "not " * 298 + "x }}"
    shallow = "{{ " + "not " * 10 + "group.name }}"
    root = project({"main.sop": f'playbook p "测试"\n  to groups tagged 福利群\n  sender console\n'
                                f'  周一 10:00  a  "秒杀 {deep}"\n  周二 10:00  b  "{shallow}"\n'})
    started = time.process_time()
    result = run_sopc("check", str(root), "--now", "2026-11-23T09:00", "--format", "json", cwd=root)
    found = [(d["code"], d["line"], d["message"]) for d in json.loads(result.stdout)["diagnostics"]]
    assert found == [("E0402", 4, "template is nested 301 deep (at most 64): an expression inside an expression "
                                  "inside ...")], found
    assert time.process_time() - started < 2.0
