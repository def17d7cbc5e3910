"""`sopc diff`: the plan of one git revision against another, in real git
repositories made for each test (git init, commit, edit, commit)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers_golden import assert_golden
from tests.inprocess import run_sopc
from tests.projects import write_project

GOLDEN = Path(__file__).parent / "golden" / "diff"
WINDOW = ("--now", "2026-11-23T09:00", "--from", "2026-11-23", "--to", "2026-11-29")
# Fixed names and dates: the same commits (and hashes) on every run, for the golden file.
GIT_ENV = {"GIT_AUTHOR_NAME": "运营", "GIT_AUTHOR_EMAIL": "ops@example.cn", "GIT_COMMITTER_NAME": "运营",
           "GIT_COMMITTER_EMAIL": "ops@example.cn", "GIT_AUTHOR_DATE": "2026-11-20T10:00:00+08:00",
           "GIT_COMMITTER_DATE": "2026-11-20T10:00:00+08:00", "GIT_CONFIG_GLOBAL": os.devnull,
           "GIT_CONFIG_NOSYSTEM": "1"}

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

WEEKLY = """playbook bk_week "汉堡王福利群 周SOP"
  to groups tagged 福利群
  sender console
  quiet 22:00-08:00 defer

  周一 10:00   energy_pack  "【{{ group.store }}】本周券包已发放"
  周三 11:00   king_day     "国王日:9.9元 1+1 随心配,{{ group.store }}可用"
  周五 15:00   fries_draw   "周五活动日:回复「薯条」参与抽奖"
  周六 10:30   exclusive    "周末独享 8 折"
"""


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True,
                          env={**os.environ, **GIT_ENV})
    return done.stdout


def new_repo(root: Path, playbook: str = WEEKLY, project: str = "sop") -> Path:
    """A repository with one commit on main: a project in folder ``project``."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    write_project(root / project, {"playbooks/weekly.sop": playbook})
    commit(root, "the weekly SOP")
    return root


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def diff_json(cwd: Path, *args: str) -> dict:
    result = run_sopc("diff", *args, *WINDOW, "--format", "json", cwd=cwd)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def changes(document: dict) -> dict[tuple[str, str], dict]:
    return {(c["step"], c["change"]): c for c in document["changes"]}


def every_kind_edited(repo: Path) -> None:
    """One step retimed, one retexted, one retargeted, one removed, one added."""
    weekly = repo / "sop" / "playbooks" / "weekly.sop"
    edit(weekly, "周一 10:00   energy_pack", "周一 11:00   energy_pack")
    edit(weekly, "9.9元", "8.8元")
    edit(weekly, "参与抽奖\"", "参与抽奖\" @all")
    edit(weekly, '  周六 10:30   exclusive    "周末独享 8 折"\n', '  周日 12:00   sunday       "周日午餐:{{ group.store }}双堡套餐"\n')


def test_each_kind_of_change_between_two_commits(tmp_path):
    repo = new_repo(tmp_path / "repo")
    every_kind_edited(repo)
    commit(repo, "retime, retext, retarget, swap a step")
    document = diff_json(repo, "HEAD~1", "HEAD", "sop")
    found = changes(document)
    assert document["messages"] == {"base": 12, "head": 12}   # 3 groups x 4 steps, one week
    assert document["totals"] == {"added": 3, "removed": 3, "retimed": 3, "retexted": 3, "retargeted": 3}
    retimed = found[("energy_pack", "retimed")]
    assert (retimed["from"], retimed["to"], retimed["shift"], retimed["count"]) == ("10:00", "11:00", "+1h", 3)
    retexted = found[("king_day", "retexted")]
    assert retexted["words"] == [{"old": "9.9", "new": "8.8"}]
    assert retexted["text_diff"] == "国王日:[-9.9-]{+8.8+}元 1+1 随心配,西湖店可用"
    retargeted = found[("fries_draw", "retargeted")]
    assert retargeted["mentions"] == {"old": [], "new": ["all"]} and retargeted["count"] == 3
    assert found[("exclusive", "removed")]["count"] == 3 and found[("sunday", "added")]["count"] == 3
    assert found[("sunday", "added")]["example"]["head"]["text"] == "周日午餐:西湖店双堡套餐"
    assert document["changed"] is True and document["diagnostics"] == []


def test_the_text_report_groups_by_step_and_marks_words(tmp_path):
    repo = new_repo(tmp_path / "repo")
    every_kind_edited(repo)
    commit(repo, "edits")
    result = run_sopc("diff", "HEAD~1", "HEAD", "sop", *WINDOW, cwd=repo)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "plan: 12 -> 12 messages: 3 added, 3 removed, 3 retimed, 3 retexted, 3 retargeted" in out
    assert "bk_week/energy_pack" in out and "10:00 -> 11:00 (+1h)" in out
    assert "国王日:[-9.9-]{+8.8+}元" in out
    assert "mentions (none) -> @all" in out
    assert "no new diagnostics in HEAD" in out


def test_a_thousand_groups_changing_alike_are_one_line(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    rows = "\n".join(f"g{i:04d},门店{i:04d}福利群,福利群,门店{i:04d},staff{i % 7}" for i in range(1000))
    write_project(repo / "sop", {"groups.csv": f"id,name,tags,store,owner\n{rows}\n", "playbooks/weekly.sop": WEEKLY})
    commit(repo, "1,000 groups")
    weekly = repo / "sop" / "playbooks" / "weekly.sop"
    edit(weekly, "周一 10:00   energy_pack", "周一 10:30   energy_pack")
    edit(weekly, "9.9元", "8.8元")
    edit(weekly, "参与抽奖\"", "参与抽奖\" @owner")                       # a different owner in each group
    edit(weekly, "周末独享 8 折", "周末独享 8 折,{{ group.store }}见")   # a different store in each group
    commit(repo, "edits for every group")
    window = ("--now", "2026-11-23T09:00", "--from", "2026-11-23", "--to", "2026-11-28")  # Monday to Saturday
    runs = {}
    for jobs in ("1", "2"):  # in this process, and shared out between two worker processes
        result = run_sopc("diff", "HEAD~1", "HEAD", "sop", *window, "--jobs", jobs, cwd=repo)
        assert result.exit_code == 0, result.output
        runs[jobs] = result.stdout
        lines = [line.split()[:2] for line in result.stdout.splitlines() if " x1000 " in line]
        assert lines == [["retimed", "x1000"], ["retexted", "x1000"], ["retargeted", "x1000"],
                         ["retexted", "x1000"]], result.stdout  # energy_pack, exclusive, fries_draw, king_day
        assert len([line for line in result.stdout.splitlines() if line.startswith("  re")]) == 4
        assert "(1,000 groups, 1 day)" in result.stdout
        assert "[-9.9-]{+8.8+}" in result.stdout
        assert "周末独享 8 折{+,门店0000见+}" in result.stdout     # the example shows the real text
        assert "mentions (none) -> @{{ group.owner }}" in result.stdout
    assert runs["1"] == runs["2"]


def test_new_diagnostics_are_those_base_does_not_have(tmp_path):
    noisy = WEEKLY + '  周日 10:00   ask  "有问题找管理员" @群管理\n'
    repo = new_repo(tmp_path / "repo", noisy)
    weekly = repo / "sop" / "playbooks" / "weekly.sop"
    # A line added above the old finding moves it (the same finding); a new step has a new one.
    edit(weekly, "  quiet 22:00-08:00 defer\n", "  quiet 22:00-08:00 defer\n  # 周日答疑\n")
    weekly.write_text(weekly.read_text(encoding="utf-8") + '  周日 20:00   tip  "晚安" @memeber\n', encoding="utf-8")
    commit(repo, "a tip with a typo in its mention")
    document = diff_json(repo, "HEAD~1", "HEAD", "sop")
    shown = [(d["code"], d["file"] if "file" in d else d.get("path"), d["message"]) for d in document["diagnostics"]]
    assert len(shown) == 1 and shown[0][0] == "W0411" and "memeber" in shown[0][2], shown
    text = run_sopc("diff", "HEAD~1", "HEAD", "sop", *WINDOW, cwd=repo).stdout
    assert "new diagnostics in HEAD (" in text and "warning: 1 warning" in text
    assert "sop/playbooks/weekly.sop:" in text and "@memeber" in text and "@群管理" not in text


def test_the_working_tree_against_the_branch_point_by_default(tmp_path):
    repo = new_repo(tmp_path / "repo")
    git(repo, "checkout", "-q", "-b", "feature")
    weekly = repo / "sop" / "playbooks" / "weekly.sop"
    edit(weekly, "9.9元", "8.8元")
    commit(repo, "cheaper king day")                   # committed on the branch
    edit(weekly, "周末独享 8 折", "周末独享 7 折")       # and not committed yet
    document = diff_json(repo / "sop" / "playbooks")   # from inside the project
    assert document["base"].startswith("merge base of HEAD and main")
    assert document["head"] == "working tree"
    assert {(c["step"], c["change"]) for c in document["changes"]} == {("king_day", "retexted"),
                                                                      ("exclusive", "retexted")}


def test_the_working_tree_and_index_are_left_alone(tmp_path):
    repo = new_repo(tmp_path / "repo")
    every_kind_edited(repo)
    commit(repo, "edits")
    weekly = repo / "sop" / "playbooks" / "weekly.sop"
    edit(weekly, "周日午餐", "周日晚餐")  # an unstaged edit
    (repo / "sop" / "notes.txt").write_text("untracked\n", encoding="utf-8")
    git(repo, "add", "sop/notes.txt")   # a staged file
    before = (git(repo, "status", "--porcelain=v2"), (repo / ".git" / "index").read_bytes(),
              sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*") if ".git" not in p.parts))
    for args in (("HEAD~1", "HEAD", "sop"), ("HEAD~1", "sop"), ()):
        cwd = repo if args else repo / "sop"
        assert run_sopc("diff", *args, *WINDOW, cwd=cwd).exit_code == 0
    after = (git(repo, "status", "--porcelain=v2"), (repo / ".git" / "index").read_bytes(),
             sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*") if ".git" not in p.parts))
    assert after == before
    assert git(repo, "worktree", "list").count("\n") == 1  # no worktree left behind


def test_two_plain_folders(tmp_path):
    old = write_project(tmp_path / "old", {"playbooks/weekly.sop": WEEKLY})
    shutil.copytree(old, tmp_path / "new")
    edit(tmp_path / "new" / "playbooks" / "weekly.sop", "周三 11:00", "周三 12:00")
    result = run_sopc("diff", "old", "new", *WINDOW, cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert "sopc diff new: old -> new" in result.stdout
    assert "king_day" in result.stdout and "11:00 -> 12:00 (+1h)" in result.stdout


def test_detailed_exitcode(tmp_path):
    repo = new_repo(tmp_path / "repo")
    same = run_sopc("diff", "HEAD", "HEAD", "sop", *WINDOW, "--detailed-exitcode", cwd=repo)
    assert same.exit_code == 0, same.output
    assert "plan: 12 -> 12 messages: no change" in same.stdout
    edit(repo / "sop" / "playbooks" / "weekly.sop", "9.9元", "8.8元")
    assert run_sopc("diff", "HEAD", "sop", *WINDOW, "--detailed-exitcode", cwd=repo).exit_code == 2
    assert run_sopc("diff", "HEAD", "sop", *WINDOW, cwd=repo).exit_code == 0
    edit(repo / "sop" / "playbooks" / "weekly.sop", "sender console", "sender consoel")  # an error in HEAD
    broken = run_sopc("diff", "HEAD", "sop", *WINDOW, "--detailed-exitcode", cwd=repo)
    assert broken.exit_code == 1, broken.output
    assert "plan not compared: working tree has errors" in broken.stdout
    assert "error[E0" in broken.stdout
    usage = run_sopc("diff", "--bogus", "--detailed-exitcode", cwd=repo)
    assert usage.exit_code == 1   # never 2, which would read as "changes"


def test_markdown_for_a_pull_request_comment(tmp_path):
    repo = new_repo(tmp_path / "repo")
    every_kind_edited(repo)
    commit(repo, "edits")
    result = run_sopc("diff", "HEAD~1", "HEAD", "sop", *WINDOW, "--format", "markdown", cwd=repo)
    assert result.exit_code == 0, result.output
    assert "<details><summary><b>bk_week</b>" in result.stdout
    assert "~~9.9~~ **8.8**" in result.stdout
    assert_golden(GOLDEN / "weekly.md", result.stdout_bytes)


@pytest.mark.parametrize("args, cwd, says", [
    (("HEAD~1", "HEAD"), "plain", "is not in a git repository"),
    (("nosuchbranch", "HEAD", "sop"), "repo", "unknown revision `nosuchbranch`"),
    (("HEAD~1", "HEAD", "sop2"), "repo", "the project `sop2` is not in HEAD~1"),
    (("HEAD", "HEAD", "sop", "extra"), "repo", "too many arguments"),
    (("HEAD", "sop/playbooks/weekly.sop"), "repo", "is a file: PATH is the project's folder"),
])
def test_errors_are_one_line_with_what_to_do(tmp_path, args, cwd, says):
    repo = new_repo(tmp_path / "repo")
    write_project(repo / "sop2", {"playbooks/weekly.sop": WEEKLY})
    commit(repo, "a second project")
    (tmp_path / "plain").mkdir()
    result = run_sopc("diff", *args, *WINDOW, cwd=tmp_path / cwd)
    assert result.exit_code == 1, result.output
    assert says in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.output


def test_a_bad_window_is_an_error(tmp_path):
    repo = new_repo(tmp_path / "repo")
    result = run_sopc("diff", "HEAD", "sop", "--from", "2026-11-29", "--to", "2026-11-23", cwd=repo)
    assert result.exit_code == 1 and "is before" in result.stderr


def test_one_events_file_plans_both_sides(tmp_path):
    repo = new_repo(tmp_path / "repo", WEEKLY + '\n  on member.joined\n    +30m  tip  "欢迎 {{ member.name }}"\n')
    edit(repo / "sop" / "playbooks" / "weekly.sop", "欢迎 {{ member.name }}", "欢迎 {{ member.name }} 入群")
    joined = {"event": "member.joined", "group": "hz_001", "member": "m1", "name": "小王",
              "at": "2026-11-24T10:00:00+08:00"}
    (tmp_path / "joins.jsonl").write_text(json.dumps(joined, ensure_ascii=False) + "\n", encoding="utf-8")
    without = diff_json(repo, "HEAD", "sop")
    assert without["changes"] == []   # no member joins without the events: nothing to change
    document = diff_json(repo, "HEAD", "sop", "--events", str(tmp_path / "joins.jsonl"))
    [change] = document["changes"]
    assert (change["step"], change["change"], change["count"]) == ("tip", "retexted", 1)
    assert change["text_diff"] == "欢迎 小王{+ 入群+}"
    assert change["example"]["head"]["target"] == {"group": "hz_001", "member": "m1"}


def test_latin_text_is_compared_a_word_at_a_time(tmp_path):
    repo = new_repo(tmp_path / "repo", WEEKLY.replace("周末独享 8 折", "Weekend deal: 20% off burgers"))
    edit(repo / "sop" / "playbooks" / "weekly.sop", "Weekend deal: 20% off", "Weekend special: 30% off")
    [change] = diff_json(repo, "HEAD", "sop")["changes"]
    assert change["text_diff"] == "Weekend [-deal-]{+special+}: [-20-]{+30+}% off burgers"


def test_markdown_stays_within_a_pull_request_comment(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    # Each code is shared by two groups (so not a group's own value): 600 different edits.
    rows = "\n".join(f"g{i:04d},门店{i:04d}福利群,福利群,券码{i // 2:04d}" for i in range(1200))
    playbook = WEEKLY.replace("周末独享 8 折", "周末独享 8 折 {{ group.code }}")
    write_project(repo / "sop", {"groups.csv": f"id,name,tags,code\n{rows}\n", "playbooks/weekly.sop": playbook})
    commit(repo, "codes")
    edit(repo / "sop" / "playbooks" / "weekly.sop", "{{ group.code }}", "{{ group.code }}{{ group.code }}")
    commit(repo, "codes twice")
    result = run_sopc("diff", "HEAD~1", "HEAD", "sop", *WINDOW, "--format", "markdown", cwd=repo)
    assert result.exit_code == 0, result.output
    comment = result.stdout
    assert comment.count("**retexted**") > 100
    assert len(comment) <= 60_000
    assert comment.rstrip().endswith("*Cut at 60,000 characters: run `sopc diff` for the whole of it.*")
    assert comment.count("<details>") == comment.count("</details>")


def test_a_project_at_the_top_of_its_repository_as_ci_calls_it(tmp_path):
    """examples/ci/: `sopc diff "$BASE" HEAD "$SOPC_PROJECT" --format markdown`, the project at the top."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write_project(repo, {"playbooks/weekly.sop": WEEKLY})
    commit(repo, "the weekly SOP")
    base = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "-q", "-b", "pr")
    edit(repo / "playbooks" / "weekly.sop", "9.9元", "8.8元")
    commit(repo, "cheaper")
    result = run_sopc("diff", base, "HEAD", ".", *WINDOW, "--format", "markdown", cwd=repo)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("### sopc diff: `repo`")
    assert f"{base[:7]} → HEAD (" in result.stdout
    assert "| `bk_week/king_day` |  |  |  | 3 |  |" in result.stdout


def test_json_names_the_sides_and_the_window(tmp_path):
    repo = new_repo(tmp_path / "repo")
    document = diff_json(repo, "HEAD", "HEAD", "sop")
    assert document["window"] == {"from": "2026-11-23", "to": "2026-11-29", "zone": "Asia/Shanghai"}
    assert document["base"].startswith("HEAD (") and document["head"].startswith("HEAD (")
    assert (document["project"], document["changed"], document["changes"]) == ("sop", False, [])


def test_errors_in_chinese(tmp_path):
    repo = new_repo(tmp_path / "repo")
    result = run_sopc("--lang", "zh", "diff", "nosuch", "HEAD", "sop", *WINDOW, cwd=repo)
    assert result.exit_code == 1
    assert "中没有版本 `nosuch`：请给出分支、标签或提交" in result.stderr


def test_help_in_chinese(tmp_path):
    result = run_sopc("--lang", "zh", "diff", "--help", cwd=tmp_path)
    assert result.exit_code == 0
    assert "比较两个版本的计划" in result.stdout and "没有改动时退出码为 0" in result.stdout


def test_the_report_in_chinese(tmp_path):
    """An operator reviewing a pull request reads the comment in Chinese:
    every word the report itself says (kinds of change, counts, headings);
    names, times and the texts are what they are in either language. The
    English report is unchanged (weekly.md)."""
    from tests.test_cli_chinese import english_words

    repo = new_repo(tmp_path / "repo")
    every_kind_edited(repo)
    commit(repo, "edits")
    markdown = run_sopc("--lang", "zh", "diff", "HEAD~1", "HEAD", "sop", *WINDOW, "--format", "markdown", cwd=repo)
    text = run_sopc("--lang", "zh", "diff", "HEAD~1", "HEAD", "sop", *WINDOW, cwd=repo)
    assert markdown.exit_code == text.exit_code == 0, markdown.output + text.output
    assert "| 剧本/步骤 | 新增 | 删除 | 改时间 | 改文字 | 改发送 |" in markdown.stdout
    assert "计划：消息 " in text.stdout and "改时间" in text.stdout
    assert english_words(markdown.stdout) == [] and english_words(text.stdout) == []
    assert_golden(GOLDEN / "weekly.zh.md", markdown.stdout_bytes)
