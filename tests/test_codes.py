"""The catalogue of diagnostic codes (sopc/core/codes.py) is complete and true.

* every code written in sopc/ is catalogued, and a code written in an
  ``error(...)`` / ``warning(...)`` call has the catalogue's severity;
* every code `sopc check` reports over the examples, the golden projects,
  the standard playbooks and the projects below is catalogued, with the
  severity it is reported with;
* every catalogued code is produced by some test (its string appears in
  tests/ or in a golden expected output), so none is dead or untested;
* docs/codes.md is what tools/gen_codes.py writes.

The projects below produce the codes no other test produces, each the way a
user would run into it.
"""

from __future__ import annotations

import ast
import contextlib
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from projects import NOW, write_project
from sopc.cli import cli
from sopc.core.codes import CATALOGUE, FAMILIES, codes_markdown
from sopc.core.diagnostics import Severity

ROOT = Path(__file__).resolve().parents[1]
SOPC = ROOT / "sopc"
TESTS = ROOT / "tests"
CODE = re.compile(r"[EW]\d{4}")
SEVERITY_OF_CALL = {"error": Severity.ERROR, "warning": Severity.WARNING}

PLAYBOOK = 'playbook p "测试"\n  to all groups\n  sender console\n'
STEP = '  周一 10:00 hello "大家好"\n'
BOT_TOML = 'timezone = "Asia/Shanghai"\n\n[senders.bot]\nkind = "wecom-bot"\nkey_env = "SOPC_TEST_BOT_KEY"\n'
DINGTALK_TOML = 'timezone = "Asia/Shanghai"\n\n[senders.bot]\nkind = "dingtalk"\nurl_env = "SOPC_TEST_DINGTALK_URL"\n'

DEFAULT_ARGS = ("proj", "--now", NOW)

# code -> (files of a project `proj`, `sopc check` arguments): one way to run into it.
TRIGGERS: dict[str, tuple[dict[str, str | bytes], tuple[str, ...]]] = {
    "E0109": ({"main.sop": PLAYBOOK + "  cap 0/day\n" + STEP}, DEFAULT_ARGS),
    "E0208": ({"main.sop": PLAYBOOK + '  on member.silent\n    +0 hello "好久不见"\n'}, DEFAULT_ARGS),
    "E0210": ({"a.sop": PLAYBOOK + STEP, "b.sop": PLAYBOOK + STEP}, DEFAULT_ARGS),
    "E0211": ({"a.sop": 'timeline t\n  T go "开始"\n', "b.sop": 'timeline t\n  T go "开始"\n' + PLAYBOOK + STEP}, DEFAULT_ARGS),
    "E0212": ({"main.sop": 'import "nowhere.sop"\n' + PLAYBOOK + STEP}, DEFAULT_ARGS),
    "E0213": ({"lib.sop": 'timeline t\n  T go "开始"\n', "main.sop": 'import nothere from "lib.sop"\n' + PLAYBOOK + STEP},
              DEFAULT_ARGS),
    "E0216": ({"a.sop": 'template hi "你好"\n', "b.sop": 'template hi "您好"\n' + PLAYBOOK + "  周一 10:00 hello template hi\n"},
              DEFAULT_ARGS),
    "E0217": ({"a.sop": "stages\n  新群 when age < 7d\n  老群 otherwise\n",
               "b.sop": "stages\n  新群 when age < 3d\n  老群 otherwise\n" + PLAYBOOK + STEP}, DEFAULT_ARGS),
    "E0218": ({"main.sop": 'playbook p "测试"\n  sender console\n' + STEP}, DEFAULT_ARGS),
    "E0219": ({"main.sop": 'timeline t\n  T-1h early "预告"\n  T go "开始"\n' + PLAYBOOK + "  on member.joined\n    use t\n"},
              DEFAULT_ARGS),
    "W0206": ({"main.sop": PLAYBOOK.replace("to all groups", "to groups tagged 福利群 and 快闪群") + STEP}, DEFAULT_ARGS),
    "W0215": ({"main.sop": PLAYBOOK + "  cap 3/day\n  cap 4/day\n" + STEP}, DEFAULT_ARGS),
    "W0308": ({"main.sop": PLAYBOOK + '  工作日 10:00 hello "大家好"\n'}, ("proj", "--now", "2090-06-01T09:00")),
    "E0406": ({"main.sop": PLAYBOOK + '  周一 10:00 hello "每人 {{ 100 // n }} 元"  n=0\n'}, DEFAULT_ARGS),
    "E0407": ({"main.sop": PLAYBOOK + '  周一 10:00 hello "{{ group.manager }} 好"\n'}, DEFAULT_ARGS),
    "E0502": ({"sopc.toml": BOT_TOML, "main.sop": PLAYBOOK.replace("console", "bot") + f'  周一 10:00 hello "{"福利" * 1200}"\n'},
              DEFAULT_ARGS),
    "E0505": ({"sopc.toml": DINGTALK_TOML,
               "main.sop": PLAYBOOK.replace("console", "bot") + '  周一 10:00 mp miniprogram appid=wx1 page="pages/index" title="领券" pic_media_id=M1\n'}, DEFAULT_ARGS),
    "E0606": ({"sopc.toml": 'timezone = "Asia/Shanghai"\n\n[calendar]\nholidays = ["2026-13-01"]\n\n'
                            '[senders.console]\nkind = "console"\n', "main.sop": PLAYBOOK + STEP}, DEFAULT_ARGS),
    "E0607": ({"main.sop": PLAYBOOK + STEP}, ("proj/nosuch.sop", "--now", NOW)),
    "E0616": ({"groups.csv": b"id,name\n\xff\xfe\x80\x81,x\n", "main.sop": PLAYBOOK + STEP}, DEFAULT_ARGS),
    "E0701": ({"main.sop": PLAYBOOK + STEP}, (*DEFAULT_ARGS, "--events", "proj/nosuch.jsonl")),
}


def check_json(folder: Path, *args: str) -> list[dict]:
    """`sopc check ARGS --format json` run in ``folder``: the diagnostics."""
    with contextlib.chdir(folder):
        result = CliRunner().invoke(cli, ["check", *args, "--format", "json"], env={"SOPC_NOW": None, "NO_COLOR": "1"},
                                    catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)["diagnostics"]


def severity_problems(diagnostics: list[dict], where: str) -> list[str]:
    problems = []
    for d in diagnostics:
        entry = CATALOGUE.get(d["code"])
        if entry is None:
            problems.append(f"{where}: {d['code']} is not in sopc/core/codes.py ({d['message']})")
        elif entry.severity.value != d["severity"]:
            problems.append(f"{where}: {d['code']} is reported as {d['severity']} but catalogued as "
                            f"{entry.severity.value}")
    return problems


# ---- the catalogue itself ------------------------------------------------------------

def test_every_entry_is_well_formed():
    assert CATALOGUE, "the catalogue is empty"
    for code, entry in CATALOGUE.items():
        assert entry.code == code and CODE.fullmatch(code), code
        assert entry.severity is (Severity.ERROR if code[0] == "E" else Severity.WARNING), \
            f"{code}: the letter says the severity (E error, W warning)"
        assert entry.family in FAMILIES, f"{code}: no family titled {entry.family!r} in FAMILIES"
        assert entry.summary and "\n" not in entry.summary and len(entry.summary) <= 100, code


def test_a_number_is_not_used_for_both_an_error_and_a_warning():
    numbers = [code[1:] for code in CATALOGUE]
    assert len(numbers) == len(set(numbers))


# ---- codes written in sopc/ ------------------------------------------------------------

def code_literals() -> list[tuple[str, str, ast.AST]]:
    """(code, "path:line", node) of every string literal in sopc/ that is a code."""
    found = []
    for path in sorted(SOPC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE.fullmatch(node.value):
                found.append((node.value, f"{path.relative_to(ROOT)}:{node.lineno}", node))
    return found


def emitting_calls() -> list[tuple[str, Severity, str]]:
    """(code, severity, "path:line") of every ``error("E...", ...)`` and
    ``warning("W...", ...)`` call in sopc/ that names its code literally."""
    found = []
    for path in sorted(SOPC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in SEVERITY_OF_CALL):
                continue
            code = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "code"), None)
            if isinstance(code, ast.Constant) and isinstance(code.value, str):
                found.append((code.value, SEVERITY_OF_CALL[node.func.id], f"{path.relative_to(ROOT)}:{node.lineno}"))
    return found


def test_the_scan_finds_codes_and_calls():
    # The two tests below mean something only if the scan sees the code.
    assert len({code for code, _, _ in code_literals()}) >= 50
    assert ("E0001", Severity.ERROR) in {(code, severity) for code, severity, _ in emitting_calls()}


def test_every_code_written_in_sopc_is_catalogued():
    missing = [f"{where}: {code}" for code, where, _ in code_literals() if code not in CATALOGUE]
    assert not missing, "add these codes to sopc/core/codes.py:\n" + "\n".join(missing)


def test_every_error_and_warning_call_has_the_catalogued_severity():
    wrong = [f"{where}: {code} is emitted as {severity.value} but catalogued as {CATALOGUE[code].severity.value}"
             for code, severity, where in emitting_calls() if code in CATALOGUE and CATALOGUE[code].severity is not severity]
    assert not wrong, "\n".join(wrong)


# ---- codes reported by `sopc check` ------------------------------------------------------

def project_folders() -> list[Path]:
    examples = sorted(p for p in (ROOT / "examples").iterdir() if (p / "sopc.toml").is_file())
    golden = sorted(p for p in (TESTS / "golden" / "diagnostics").iterdir() if p.is_dir())
    return [*examples, *golden, ROOT / "playbooks"]


@pytest.mark.parametrize("folder", project_folders(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_code_reported_over_the_projects_is_catalogued(folder):
    problems = severity_problems(check_json(folder.parent, folder.name, "--now", NOW), str(folder.relative_to(ROOT)))
    assert not problems, "\n".join(problems)


def test_every_code_in_the_golden_outputs_is_catalogued():
    outputs = sorted((TESTS / "golden").rglob("expected.json"))
    assert outputs
    problems = []
    for path in outputs:
        problems += severity_problems(json.loads(path.read_text(encoding="utf-8"))["diagnostics"],
                                      str(path.relative_to(ROOT)))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("code", sorted(TRIGGERS))
def test_the_code_is_reported_with_its_catalogued_severity(tmp_path, code):
    files, args = TRIGGERS[code]
    write_project(tmp_path / "proj", files)
    diagnostics = check_json(tmp_path, *args)
    problems = severity_problems(diagnostics, code)
    assert not problems, "\n".join(problems)
    assert code in {d["code"] for d in diagnostics}, diagnostics


# ---- every catalogued code is tested ------------------------------------------------------

def test_every_catalogued_code_is_produced_by_some_test():
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in TESTS.rglob("*")
             if p.is_file() and p.suffix in (".py", ".txt", ".json")]
    untested = [code for code in CATALOGUE if not any(code in text for text in texts)]
    assert not untested, ("no test produces these codes (write one that runs into each, e.g. in "
                          "tests/test_codes.py's TRIGGERS): " + ", ".join(untested))


# ---- docs ------------------------------------------------------------------------------------

def test_docs_codes_md_is_up_to_date():
    docs = ROOT / "docs" / "codes.md"
    assert docs.is_file(), "docs/codes.md is missing: run python tools/gen_codes.py"
    assert docs.read_text(encoding="utf-8") == codes_markdown(), "docs/codes.md is out of date: run python tools/gen_codes.py"


def test_docs_list_every_code_once():
    table_rows = [line for line in codes_markdown().splitlines() if CODE.match(line.removeprefix("| "))]
    assert sorted(row.split(" | ")[0].removeprefix("| ") for row in table_rows) == sorted(CATALOGUE)
