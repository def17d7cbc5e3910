"""sopc in git hooks and CI (issue 12, item 4).

* The pre-commit hooks of .pre-commit-hooks.yaml, run by the real
  pre-commit (`pre-commit try-repo`, which installs sopc from this checkout
  into an environment of its own, as a project's `repo:` line does) in a
  temporary git repository holding a project: an untidy playbook fails
  `sopc-fmt` and is formatted, then passes; `sopc-fmt-check` lists it and
  writes nothing; a broken playbook fails `sopc-check` with its diagnostic;
  `sopc-test` runs the project's playbook tests. pre-commit installs sopc
  (about 30 s the first time, from the package index): these tests are
  marked `slow` (`-m "not slow"` leaves them out while working).
* The GitHub Actions workflow examples/ci/sopc.yml is valid YAML of a
  workflow, and every sopc command line in it is a command sopc has, with
  options it takes (read from `sopc --help` and `sopc CMD --help`).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from inprocess import run_sopc

ROOT = Path(__file__).resolve().parents[1]
PRE_COMMIT = Path(sys.executable).with_name("pre-commit")
WORKFLOW = ROOT / "examples" / "ci" / "sopc.yml"
UNTIDY = 'playbook extra "测试"\n    to all groups\n    sender console\n    周一 10:00 a "x"   # c\n    周二 10:00 longer "y"\n'
TIDY = 'playbook extra "测试"\n  to all groups\n  sender console\n  周一 10:00  a       "x"  # c\n  周二 10:00  longer  "y"\n'
BROKEN = 'playbook broken "坏的"\n  to all groups\n  sender console\n  周一 25:00 a "x"\n'


# ---- the hooks, with the real pre-commit ---------------------------------------------

@pytest.fixture(scope="module")
def hooks_home(tmp_path_factory):
    """pre-commit's own folder for these tests (its environments, built once per sopc revision)."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout of sopc: pre-commit try-repo needs one")
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def repo(tmp_path):
    """A git repository holding a project made by `sopc init`, everything staged."""
    folder = tmp_path / "team-sop"
    assert run_sopc("init", str(folder), "--now", "2026-11-23T09:00", cwd=tmp_path).exit_code == 0
    _git(folder, "init", "-q")
    _git(folder, "add", "-A")
    return folder


def _git(folder: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True, env=_env(None))


def _env(home: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT", "SOPC_"))}
    env.update(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.com", SOPC_NOW="2026-11-23T09:00", SOPC_LANG="en")
    if home is not None:
        env["PRE_COMMIT_HOME"] = str(home)
    return env


def try_hook(repo: Path, hook: str, home: Path) -> subprocess.CompletedProcess:
    """`pre-commit try-repo <this checkout> HOOK --all-files` in ``repo``."""
    assert PRE_COMMIT.is_file(), "pre-commit is in sopc's test extra: pip install -e '.[test]'"
    return subprocess.run([str(PRE_COMMIT), "try-repo", str(ROOT), hook, "--all-files"], cwd=repo,
                          env=_env(home), capture_output=True, text=True, encoding="utf-8", timeout=900)


@pytest.mark.slow
def test_sopc_fmt_hook_fails_on_an_untidy_playbook_and_formats_it(repo, hooks_home):
    extra = repo / "playbooks" / "extra.sop"
    extra.write_text(UNTIDY, encoding="utf-8")
    _git(repo, "add", "-A")
    first = try_hook(repo, "sopc-fmt", hooks_home)
    assert first.returncode == 1, first.stdout + first.stderr
    assert re.search(r"sopc fmt\.+Failed", first.stdout) and "files were modified by this hook" in first.stdout
    assert "formatted playbooks/extra.sop" in first.stdout
    assert extra.read_text(encoding="utf-8") == TIDY
    _git(repo, "add", "-A")
    second = try_hook(repo, "sopc-fmt", hooks_home)
    assert second.returncode == 0, second.stdout + second.stderr
    assert re.search(r"sopc fmt\.+Passed", second.stdout)


@pytest.mark.slow
def test_sopc_fmt_check_hook_lists_the_file_and_writes_nothing(repo, hooks_home):
    extra = repo / "playbooks" / "extra.sop"
    extra.write_text(UNTIDY, encoding="utf-8")
    _git(repo, "add", "-A")
    result = try_hook(repo, "sopc-fmt-check", hooks_home)
    assert result.returncode == 1 and re.search(r"sopc fmt --check\.+Failed", result.stdout)
    assert "playbooks/extra.sop" in result.stdout
    assert extra.read_text(encoding="utf-8") == UNTIDY


@pytest.mark.slow
def test_sopc_check_hook_stops_a_broken_playbook_with_its_diagnostic(repo, hooks_home):
    clean = try_hook(repo, "sopc-check", hooks_home)
    assert clean.returncode == 0 and re.search(r"sopc check\.+Passed", clean.stdout), clean.stdout + clean.stderr
    (repo / "playbooks" / "broken.sop").write_text(BROKEN, encoding="utf-8")
    _git(repo, "add", "-A")
    result = try_hook(repo, "sopc-check", hooks_home)
    assert result.returncode == 1 and re.search(r"sopc check\.+Failed", result.stdout)
    assert "playbooks/broken.sop:4:6: error[E0101]: `25:00` is not a time of day" in result.stdout
    assert '4 |   周一 25:00 a "x"' in result.stdout


@pytest.mark.slow
def test_sopc_test_hook_runs_the_playbook_tests(repo, hooks_home):
    tests = sorted((repo / "playbooks").glob("*.test.sop"))
    assert tests, "sopc init writes a playbook test"
    passed = try_hook(repo, "sopc-test", hooks_home)
    assert passed.returncode == 0 and re.search(r"sopc test\.+Passed", passed.stdout), passed.stdout + passed.stderr
    text = tests[0].read_text(encoding="utf-8")
    moved = re.sub(r"(expect \S+ .*?at \d{4}-\d{2}-\d{2} )(\d{2}):", lambda m: m[1] + f"{(int(m[2]) + 1) % 24:02d}:",
                   text, count=1)
    assert moved != text
    tests[0].write_text(moved, encoding="utf-8")
    _git(repo, "add", "-A")
    failed = try_hook(repo, "sopc-test", hooks_home)
    assert failed.returncode == 1 and re.search(r"sopc test\.+Failed", failed.stdout)
    assert "FAIL" in failed.stdout and "expected:" in failed.stdout


# ---- the GitHub Actions workflow -------------------------------------------------------

def _workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def test_the_workflow_is_a_github_actions_workflow():
    workflow = _workflow()
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads `on:` as true
    assert set(triggers) == {"push", "pull_request"}
    assert workflow["permissions"] == {"contents": "read", "pull-requests": "write"}
    steps = workflow["jobs"]["sopc"]["steps"]
    assert all(("uses" in step) != ("run" in step) for step in steps)
    checkout = next(step for step in steps if step.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0  # sopc diff reads the base revision
    names = [step["name"] for step in steps if "name" in step]
    assert len(names) == len(set(names))
    assert any("sopc test" in step.get("run", "") and "--junit" in step["run"] for step in steps)


def sopc_command_lines() -> list[list[str]]:
    """Every `sopc ...` command in the workflow's run scripts, split as the shell would (before expansion)."""
    lines = []
    for step in _workflow()["jobs"]["sopc"]["steps"]:
        for line in step.get("run", "").splitlines():
            for command in re.split(r"\|\||&&|\||;", line):
                words = shlex.split(command.split(">")[0])
                if words and words[0] == "sopc":
                    lines.append(words)
    return lines


def test_every_sopc_command_in_the_workflow_exists_with_its_options():
    lines = sopc_command_lines()
    assert {words[1] for words in lines} == {"fmt", "check", "test", "diff"}
    commands = _commands(run_sopc("--help", cwd=ROOT).stdout)
    for words in lines:
        assert words[1] in commands, f"`sopc {words[1]}` is not a sopc command ({sorted(commands)})"
        help_text = run_sopc(words[1], "--help", cwd=ROOT).stdout
        for option in (w.split("=")[0] for w in words[2:] if w.startswith("--")):
            assert re.search(rf"(^|[\s,]){re.escape(option)}\b", help_text), f"sopc {words[1]} has no {option}"
    diff = next(words for words in lines if words[1] == "diff")
    assert diff[diff.index("--format") + 1] == "markdown"


def _commands(help_text: str) -> set[str]:
    section = help_text.split("Commands:", 1)[1]
    return {line.split()[0] for line in section.splitlines() if line.startswith("  ") and line.split()}


def test_the_workflow_steps_run_on_a_pull_request(tmp_path):
    """The workflow's own sopc steps, run as bash runs them on GitHub, in a git
    repository whose pull request moves a step: all pass, the JUnit XML is
    written, and the plan diff is a markdown comment naming the moved step."""
    repo = tmp_path / "team-sop"
    assert run_sopc("init", str(repo), "--now", "2026-11-23T09:00", cwd=tmp_path).exit_code == 0
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    base = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()
    playbook = repo / "playbooks" / "welfare.sop"
    playbook.write_text(playbook.read_text(encoding="utf-8").replace("周三 11:30", "周三 12:00"), encoding="utf-8")
    _git(repo, "commit", "-qam", "member day at noon")

    summary = tmp_path / "summary.md"
    env = {**_env(None), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "SOPC_PROJECT": ".", "BASE": base, "GITHUB_STEP_SUMMARY": str(summary)}
    ran = []
    for step in _workflow()["jobs"]["sopc"]["steps"]:
        script = step.get("run", "")
        if not re.search(r"^\s*sopc ", script, re.M):
            continue  # installing sopc, commenting through GitHub's API: GitHub's part
        result = subprocess.run(["bash", "-e", "-c", script], cwd=repo, env=env, capture_output=True, text=True,
                                encoding="utf-8", timeout=600)
        assert result.returncode == 0, f"{step['name']}: {result.stdout}{result.stderr}"
        ran.append(step["name"])
    assert len(ran) == 4
    assert "<testcase" in (repo / "sopc-test-results.xml").read_text(encoding="utf-8")
    comment = (repo / "sopc-diff.md").read_text(encoding="utf-8")
    assert "member_day" in comment and "12:00" in comment
    assert summary.read_text(encoding="utf-8") == comment
