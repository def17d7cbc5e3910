"""Templates render within a budget: output size, loop iterations, integer
digits and time (sopc/compile/templates.py; README, "Limits").

The four attacks the issue found (each ran past 60 s, up to 2.9 GB) and
their cousins: at check time each is a located E0408 within a second or
two; at run time its message is recorded `failed` with the reason while the
other messages go out; a process checking, planning and running all of
them stays small. Normal templates render as before.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any, Callable

import pytest
from projects import write_project

from sopc.compile import templates
from sopc.compile.templates import MAX_LOOPS, RenderBudgetError, TemplateRenderError, TemplateStore
from sopc.core.diagnostics import Span
from sopc.lang import ast

NOW = "2026-11-23T10:00:30"  # a Monday, just after the 10:00 posts fell due

# name -> (template, what the refusal says)
ATTACKS = {
    "loops": ("{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
              f"loops ran more than {MAX_LOOPS:,} times"),
    "center": ("{{ 'x'|center(10**9) }}", "1,000,000,000 characters long, too long"),
    "format": ("{{ '%0999999999d'|format(1) }}", "999,999,999 characters long, too long"),
    "power": ("{{ ((10**1000)**1000)**1000 }}", "a number too large: more than 4,300 digits"),
}

TOML = '''timezone = "Asia/Shanghai"

[senders.outbox]
kind = "file"
path = "outbox.jsonl"
'''


def _project(tmp_path: Path, attacks: dict[str, tuple[str, str]]) -> Path:
    """One playbook per attack, each to its own group, and a normal one."""
    groups = ["id,name,tags", "g_normal,正常群,正常"] + [f"g_{name},{name}群,{name}" for name in attacks]
    playbooks = ['playbook normal "正常"\n  to groups tagged 正常\n  sender outbox\n'
                 '  周一 10:00   hello   "你好 {{ group.name }}"\n']
    playbooks += [f'playbook {name} "{name}"\n  to groups tagged {name}\n  sender outbox\n'
                  f'  周一 10:00   bomb   "{text}"\n' for name, (text, _) in attacks.items()]
    return write_project(tmp_path / "p", {"sopc.toml": TOML, "groups.csv": "\n".join(groups) + "\n",
                                          "w.sop": "\n".join(playbooks)})


def within(seconds: float, work: Callable[[], Any]) -> Any:
    """``work()``, failing the test (not hanging the suite) if it takes over
    ``seconds``: without the budget these ran for minutes."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # handed to the test below
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        pytest.fail(f"still running after {seconds} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _bomb_line(root: Path, name: str) -> int:
    lines = (root / "w.sop").read_text(encoding="utf-8").splitlines()
    start = lines.index(f'playbook {name} "{name}"')
    return start + 4  # 1-based: the step is the fourth line of its playbook


# ---- check: a located diagnostic, fast -------------------------------------------------------

@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_check_reports_each_attack_where_it_is_within_seconds(attack, tmp_path, run_sopc):
    root = _project(tmp_path, {attack: ATTACKS[attack]})
    started = time.monotonic()
    result = within(30, lambda: run_sopc("check", str(root), "--format", "json", "--now", NOW, cwd=tmp_path))
    elapsed = time.monotonic() - started
    diagnostics = json.loads(result.stdout)["diagnostics"]
    [found] = [d for d in diagnostics if d["code"] == "E0408"]
    assert result.exit_code == 1
    assert found["severity"] == "error" and found["path"].endswith("w.sop") and found["line"] == _bomb_line(root, attack)
    assert ATTACKS[attack][1] in found["message"] and "render budget" in found["message"]
    assert "README, Limits" in found["hint"]
    assert not [d for d in diagnostics if d["code"] != "E0408"], diagnostics  # the normal playbook is fine
    assert elapsed < 2.0, elapsed


def test_the_text_report_points_at_the_step(tmp_path, run_sopc):
    root = _project(tmp_path, {"center": ATTACKS["center"]})
    result = run_sopc("check", str(root), "--now", NOW, cwd=tmp_path)
    assert f"w.sop:{_bomb_line(root, 'center')}:" in result.stderr + result.stdout
    assert "error[E0408]" in result.stderr + result.stdout


# ---- run: failed with the reason, the rest goes out -------------------------------------------

def test_run_records_each_attack_failed_with_its_reason_and_sends_the_rest(tmp_path, run_sopc):
    root = _project(tmp_path, ATTACKS)
    started = time.monotonic()
    run = within(30, lambda: run_sopc("run", str(root), "--once", "--now", NOW, cwd=tmp_path))
    assert time.monotonic() - started < 5.0
    assert run.exit_code == 0, run.stderr
    assert run.stderr.count("over the render budget") == len(ATTACKS)  # a warning for each, as it is planned
    sent = [json.loads(line) for line in (root / "outbox.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(m["group"], m["text"]) for m in sent] == [("g_normal", "你好 正常群")]
    status = json.loads(run_sopc("status", str(root), "--format", "json", cwd=tmp_path).stdout)
    failed = {row["group"]: row["reason"] for row in status["failures"]}
    assert sorted(failed) == sorted(f"g_{name}" for name in ATTACKS)
    for name, (_, says) in ATTACKS.items():
        assert "over the render budget" in failed[f"g_{name}"] and says in failed[f"g_{name}"], failed


def test_a_slow_template_holds_the_runner_for_one_budget_not_one_per_group(tmp_path, run_sopc, monkeypatch):
    """Thirty groups get a template that would run for minutes: the first
    render uses up the time budget, the other twenty-nine fail at once."""
    monkeypatch.setattr(templates, "RENDER_SECONDS", 0.3)
    slow = "{% for a in range(100000) if range(100000)|sum < 0 %}{% endfor %}"
    groups = "id,name,tags\n" + "".join(f"g{n:02d},群{n},慢\n" for n in range(30))
    root = write_project(tmp_path / "p", {"sopc.toml": TOML, "groups.csv": groups, "w.sop": (
        f'playbook slow "慢"\n  to groups tagged 慢\n  sender outbox\n  周一 10:00   bomb   "{slow}"\n')})
    started = time.monotonic()
    within(30, lambda: run_sopc("run", str(root), "--once", "--now", NOW, cwd=tmp_path))
    assert time.monotonic() - started < 2.0
    status = json.loads(run_sopc("status", str(root), "--format", "json", "--limit", "50", cwd=tmp_path).stdout)
    reasons = [row["reason"] for row in status["failures"]]
    assert len(reasons) == 30 and all("took more than 0.3 s" in reason for reason in reasons), reasons
    assert sum("once already" in reason for reason in reasons) == 29


# ---- memory and time, measured in a process of their own ------------------------------------

MEASURE = textwrap.dedent('''
    import json, resource, sys, time
    from click.testing import CliRunner
    from sopc.cli import cli

    def peak_mb():
        # VmHWM: this process's own peak. ru_maxrss on Linux keeps the peak of
        # the forked parent (a big pytest) across exec.
        try:
            with open("/proc/self/status") as status:
                return int(next(l for l in status if l.startswith("VmHWM:")).split()[1]) / 1024
        except (OSError, StopIteration):
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            return peak / 1024 / (1024 if sys.platform == "darwin" else 1)

    root, now = sys.argv[1], sys.argv[2]
    started = time.monotonic()
    codes = [CliRunner().invoke(cli, args, catch_exceptions=False).exit_code for args in (
        ["check", root, "--now", now], ["plan", root, "--now", now, "--to", "2026-11-30"],
        ["run", root, "--once", "--now", now])]
    print(json.dumps({"codes": codes, "seconds": time.monotonic() - started, "peak_mb": peak_mb()}))
''')


def test_checking_planning_and_running_every_attack_stays_small(tmp_path):
    root = _project(tmp_path, ATTACKS)
    done = subprocess.run([sys.executable, "-c", MEASURE, str(root), NOW], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"})
    assert done.returncode == 0, done.stderr
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    assert measured["codes"] == [1, 1, 0], measured  # check and plan find errors; the run sends the rest
    assert measured["peak_mb"] < 300, measured
    assert measured["seconds"] < 20, measured


# ---- the budget, limit by limit --------------------------------------------------------------

@pytest.fixture
def store(tmp_path):
    (tmp_path / "templates").mkdir()
    return TemplateStore(tmp_path / "templates")


def compiled(store: TemplateStore, text: str):
    template, problems = store.compile(ast.InlineText(text=text, span=Span.point("t.sop", 3), body_line=3,
                                                      body_column=10), origin_span=Span.point("t.sop", 3))
    assert template is not None, problems
    return template


def refusal(store: TemplateStore, text: str, context: dict | None = None) -> str:
    template = compiled(store, text)
    started = time.monotonic()
    with pytest.raises(RenderBudgetError) as caught:
        within(30, lambda: template.render(context or {}))
    assert time.monotonic() - started < 1.5
    return caught.value.message


@pytest.mark.parametrize("text, says", [
    # loops, however they are spelled
    ("{% for i in range(100) %}{% for j in range(100) %}{% for k in range(100) %}{% endfor %}{% endfor %}{% endfor %}",
     "loops ran more than"),
    ("{% for i in range(100000) if i < 0 %}{% endfor %}", "loops ran more than"),
    ("{% for x in range(2) recursive %}{% if loop.depth < 20 %}{{ loop(range(2)) }}{% endif %}{% endfor %}",
     "loops ran more than"),
    ("{% macro m(n) %}{% if n %}{{ m(n - 1) }}{{ m(n - 1) }}{% endif %}{% endmacro %}{{ m(30) }}",
     "loops ran more than"),
    # texts that would be too long
    ("{{ 'x'.ljust(10**9) }}", "too long"),
    ("{{ 'x'.zfill(10**9) }}", "too long"),
    ("{{ '{:>999999999}'.format(1) }}", "too long"),
    ("{{ '{:{w}}'.format(1, w=10**9) }}", "format width taken from an argument"),
    ("{{ '%*d' % (10**9, 1) }}", "too long"),
    ("{{ 'ab' * 10**8 }}", "too long"),
    ("{{ 'a\tb'.expandtabs(10**9) }}", "too long"),
    ("{{ ('x' * 1000)|replace('x', 'y' * 10000) }}", "too long"),
    ("{{ 'x'|indent(10**9) }}", "too long"),
    ("{{ ('ab ' * 200000)|wordwrap(2, wrapstring='-' * 100) }}", "too long"),
    ("{{ (1).to_bytes(10**9, 'big') }}", "too long"),
    ("{{ ['x' * 100000] * 100000 }}", "too long"),
    ("{{ (['x' * 100000] * 100000)|join }}", "too long"),
    ("{% set ns = namespace(s='x' * 100000) %}{% for i in range(20) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
     "too long"),
    ("{% set ns = namespace(s='x' * 100000) %}{% for i in range(20) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
     "too long"),
    ("{% for i in range(10000) %}{{ 'x' * 1000 }}{% endfor %}", "the message would be"),
    ("{{ range(100000)|map('center', 100000)|join }}", "built more than"),
    ("{{ [1]|batch(10**9, 0)|list }}", "`linecount` of 1,000,000,000"),
    ("{{ ([[1]] * 1000)|sum(start=[]) }}", "`sum` adds numbers"),
    # numbers
    ("{{ 2 ** 100000 }}", "a number too large"),
    ("{% set n = 10 ** 3000 %}{{ n * n }}", "a number too large"),
])
def test_each_way_over_the_budget_is_refused_before_it_is_built(store, text, says):
    assert says in refusal(store, text)


def test_a_long_value_from_the_roster_is_refused_as_the_message(store):
    message = refusal(store, "{{ group.note }}", {"group": {"note": "长" * 2_000_000}})
    assert "the message would be 2,000,000 characters long" in message


def test_time_is_a_budget_too_and_a_template_that_ran_out_fails_at_once_after(store, monkeypatch):
    monkeypatch.setattr(templates, "RENDER_SECONDS", 0.2)
    slow = compiled(store, "{% for a in range(100000) if range(100000)|sum < 0 %}{% endfor %}")
    started = time.monotonic()
    with pytest.raises(RenderBudgetError, match=r"took more than 0\.2 s"):
        slow.render({})
    first = time.monotonic() - started
    assert 0.2 <= first < 1.0
    started = time.monotonic()
    with pytest.raises(RenderBudgetError, match="once already"):
        slow.render({})
    assert time.monotonic() - started < 0.05  # the runner's loop is not held twice


def test_other_render_errors_are_not_budget_errors(store):
    with pytest.raises(TemplateRenderError) as caught:
        compiled(store, "{{ missing }}").render({})
    assert not isinstance(caught.value, RenderBudgetError)


def test_templates_within_the_budget_render_as_before(store):
    cases = {
        "{% for t in tags %}{{ t|upper }}{{ loop.index }}{% if not loop.last %},{% endif %}{% endfor %}": "A1,B2",
        "{% for t in tags if t != 'a' %}{{ t }}{% else %}none{% endfor %}": "b",
        "{{ '%05.1f'|format(3.14159) }} {{ '%s-%s' % ('a', 'b') }} {{ '{:>4}'.format('x') }}": "003.1 a-b    x",
        "{{ 'ab' ~ 1 ~ [2] }} {{ 'x' * 3 }} {{ 2 ** 10 }} {{ [1] + [2] }} {{ 'a' + 'b' }}": "ab1[2] xxx 1024 [1, 2] ab",
        "{{ tags|join('、') }} {{ 'a b'|replace(' ', '_') }} {{ 'x'|center(5) }}|": "a、b a_b   x  |",
        "{% macro hi(n) %}hi {{ n }}{% endmacro %}{{ hi(1) }} {{ range(3)|sum }} {{ [1, 2]|batch(1)|list }}":
            "hi 1 3 [[1], [2]]",
        "{% for x in [[1, [2]]] recursive %}{% if x is iterable %}{{ loop(x) }}{% else %}{{ x }}{% endif %}{% endfor %}":
            "12",
        "{{ ('x' * 100000)|length }} {{ (range(10000)|list)|length }}": "100000 10000",
        "{{ 'aa bb cc'|wordwrap(5) }}|{{ 'a\nb'|indent(2, true) }}": "aa bb\ncc|  a\n  b",
    }
    for text, expected in cases.items():
        assert compiled(store, text).render({"tags": ["a", "b"]}) == expected, text


def test_a_long_message_within_the_limit_renders(store):
    text = compiled(store, "{% for i in range(1000) %}{{ 'x' * 999 }}\n{% endfor %}").render({})
    assert len(text) == 999_999
