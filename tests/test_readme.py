"""README.md must tell the truth: its language tour parses as written, and
the set-up commands it gives are the ones CI runs."""

import re
from pathlib import Path

from sopc.lang.parser import parse
from sopc.lang.transform import build_ast

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_language_tour_parses_without_diagnostics():
    tour = re.search(r"```sop\n(.*?)```", README, re.S).group(1)
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
