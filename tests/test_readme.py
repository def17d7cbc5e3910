"""README.md must tell the truth: its language tour parses as written, and
the set-up commands it gives are the ones CI runs."""

import re
from pathlib import Path

from sopc.lang.parser import parse
from sopc.lang.transform import build_ast

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_language_tour_parses_without_diagnostics():
    tour = re.search(r"```sop\n(.*?)```", README.split("## Language tour", 1)[1], re.S).group(1)
    tree, syntax = parse(tour, "README.md")
    assert syntax == []
    source_file, literal_problems = build_ast(tree, "README.md")
    assert literal_problems == []
    assert [p.name.value for p in source_file.playbooks] == ["bk_welfare"]
    assert [t.name.value for t in source_file.timelines] == ["flash_sale", "live_show"]


def test_ci_runs_the_readme_test_command():
    """The same command, word for word: not -q, so both name each test file as it runs."""
    readme = re.findall(r"^\.venv/bin/python -m pytest.*$", README, re.M)
    ci = re.findall(r"^\.venv/bin/python -m pytest[^|]*", (ROOT / ".ci" / "run").read_text(encoding="utf-8"), re.M)
    assert readme == [".venv/bin/python -m pytest"]
    assert [line.strip() for line in ci] == readme


def test_the_chinese_quick_start_playbook_checks_clean(tmp_path):
    """快速上手's example is a playbook an operator can paste: no error."""
    from projects import write_project
    from inprocess import run_sopc

    block = README.split("## 快速上手", 1)[1].split("```sop\n", 1)[1].split("```", 1)[0]
    playbook = "\n".join(line[3:] for line in block.splitlines()) + "\n"
    root = write_project(tmp_path / "proj", {
        "sopc.toml": 'timezone = "Asia/Shanghai"\nroster = "groups.csv"\n\n[senders.bot]\nkind = "console"\n',
        "groups.csv": "id,name,tags\nhz_001,杭州一群,福利群\n", "main.sop": playbook})
    result = run_sopc("check", ".", "--now", "2026-11-23T09:00", "--format", "json", cwd=root)
    import json
    assert result.exit_code == 0, result.stdout
    assert json.loads(result.stdout)["diagnostics"] == []
