"""The parser cache: the built LALR parser is saved once and loaded by the
next process, parses exactly like a freshly built one, and a missing,
corrupt or unwritable cache only ever means building the parser again."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from lark import Lark, Tree
from lark.exceptions import UnexpectedInput

from sopc.lang import parser as sop_parser
from sopc.lang.parser import LARK_OPTIONS, grammar_text, lark_parser, parse, parser_cache_path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([*ROOT.glob("examples/**/*.sop"), *ROOT.glob("playbooks/*.sop"), *ROOT.glob("tests/golden/**/*.sop")])
BROKEN = [
    'playbook p "x"\n  to all groups\n  周八 10:00 hi "x"\n',
    'playbook p "x"\n  to all groups\n  mon 10：00 hi "x"\n',
    'playbook p "x"\n  to all groups\n  mon 10:00 hi "never closed\n',
    'playbok p "x"\n',
    'playbook p "x"\n  to all groups\n  T-3h hi "x"\n',
    'timeline t\n  +1h hi "x"\n',
]

# Parses examples/burger in a fresh interpreter. Building a Lark parser
# goes through Lark.__init__, loading one does not: with __init__ made to
# fail, the process can only succeed by loading the cached parser.
PARSE_BURGER = """
import sys
from pathlib import Path
from lark import Lark
from sopc.lang.parser import parse
if sys.argv[1] == "load-only":
    def no_building(*args, **kwargs):
        raise AssertionError("the parser was built, not loaded from the cache")
    Lark.__init__ = no_building
tree, diagnostics = parse(Path("examples/burger/playbooks/weekly.sop").read_text(encoding="utf-8"), "weekly.sop")
assert tree is not None and not diagnostics, diagnostics
print("parsed")
"""


def run_parse(cache: str, mode: str = "any") -> subprocess.CompletedProcess:
    env = dict(os.environ, SOPC_CACHE_DIR=cache)
    return subprocess.run([sys.executable, "-c", PARSE_BURGER, mode], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def cache_file(monkeypatch):
    """``cache_file(folder)``: the file the parser is cached in under that folder."""
    def path_in(folder: Path) -> Path:
        monkeypatch.setenv("SOPC_CACHE_DIR", str(folder))
        return parser_cache_path(grammar_text())
    return path_in


@pytest.fixture
def fresh_parser_state():
    """lark_parser() is memoised per process; start and end with none."""
    lark_parser.cache_clear()
    yield
    lark_parser.cache_clear()


def test_first_process_saves_the_parser_and_the_second_loads_it(tmp_path, cache_file):
    first = run_parse(str(tmp_path))
    assert first.returncode == 0, first.stderr
    assert cache_file(tmp_path).is_file()
    assert [p.name for p in tmp_path.iterdir()] == [cache_file(tmp_path).name]  # no temporary file left over

    second = run_parse(str(tmp_path), "load-only")
    assert second.returncode == 0, second.stderr
    assert second.stdout == "parsed\n"


def test_without_a_cache_the_load_only_process_really_fails(tmp_path):
    # The check above means something only if building is caught.
    result = run_parse(str(tmp_path), "load-only")
    assert result.returncode != 0
    assert "the parser was built, not loaded from the cache" in result.stderr


@pytest.mark.parametrize("damage", [b"", b"not a pickle at all\n", b"\x80\x05garbage"])
def test_a_corrupt_cache_file_is_rebuilt_not_a_crash(tmp_path, cache_file, damage):
    path = cache_file(tmp_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(damage)

    result = run_parse(str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert path.read_bytes() != damage
    with path.open("rb") as file:
        assert isinstance(pickle.load(file), Lark)  # the built parser, pickled whole
    assert run_parse(str(tmp_path), "load-only").returncode == 0


def test_a_truncated_cache_file_is_rebuilt(tmp_path, cache_file):
    assert run_parse(str(tmp_path)).returncode == 0
    path = cache_file(tmp_path)
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])

    result = run_parse(str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert len(path.read_bytes()) > len(whole) // 2  # rewritten (not byte for byte: sets pickle in hash order)
    assert run_parse(str(tmp_path), "load-only").returncode == 0


def test_an_unwritable_cache_folder_does_not_fail_sopc(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("the cache folder would have to be inside this file\n")
    result = run_parse(str(blocker / "sopc"))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert blocker.read_text() == "the cache folder would have to be inside this file\n"


def test_check_runs_the_same_with_the_cache_turned_off(tmp_path):
    env = dict(os.environ, SOPC_CACHE_DIR="", NO_COLOR="1")
    result = subprocess.run([sys.executable, "-m", "sopc", "check", "syntax_errors", "--now", "2026-11-23T09:00"],
                            cwd=ROOT / "tests/golden/diagnostics", env=env, capture_output=True, text=True,
                            timeout=120)
    expected = (ROOT / "tests/golden/diagnostics/syntax_errors/expected.txt").read_text(encoding="utf-8")
    assert result.returncode == 1
    assert result.stderr == expected


def test_the_cache_key_changes_with_the_grammar(tmp_path, monkeypatch):
    monkeypatch.setenv("SOPC_CACHE_DIR", str(tmp_path))
    grammar = grammar_text()
    assert parser_cache_path(grammar) == parser_cache_path(grammar)
    assert parser_cache_path(grammar) != parser_cache_path(grammar + "\n// one more line\n")
    assert parser_cache_path(grammar).parent == tmp_path


def test_an_empty_cache_setting_turns_the_cache_off(monkeypatch):
    monkeypatch.setenv("SOPC_CACHE_DIR", "")
    assert parser_cache_path(grammar_text()) is None


# ---- a loaded parser is the same parser --------------------------------------------------

def positions(tree: Tree) -> list:
    """Every subtree's rule and span: what the AST's spans are made from."""
    found = []
    for subtree in tree.iter_subtrees_topdown():
        meta = subtree.meta
        found.append((subtree.data, getattr(meta, "line", None), getattr(meta, "column", None),
                      getattr(meta, "end_line", None), getattr(meta, "end_column", None), meta.empty))
    return found


@pytest.fixture
def built_and_loaded(tmp_path, monkeypatch, cache_file, fresh_parser_state):
    monkeypatch.setenv("SOPC_CACHE_DIR", str(tmp_path))
    built = Lark(grammar_text(), **LARK_OPTIONS)
    assert lark_parser() is not built
    lark_parser.cache_clear()
    loaded = lark_parser()  # the first call above saved it; this one loads it
    assert cache_file(tmp_path).is_file()
    assert loaded.source_path == "<deserialized>"
    return built, loaded


def test_a_loaded_parser_gives_the_same_trees_and_positions(built_and_loaded):
    built, loaded = built_and_loaded
    assert len(SOURCES) >= 10
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        text = text if text.endswith("\n") else text + "\n"
        try:
            expected = built.parse(text)
        except UnexpectedInput:
            continue  # a golden case with syntax errors: compared below, through parse()
        actual = loaded.parse(text)
        assert actual == expected, path
        assert positions(actual) == positions(expected), path


def test_a_loaded_parser_reports_syntax_errors_the_same(built_and_loaded, monkeypatch):
    built, _ = built_and_loaded
    broken = [*BROKEN, *(p.read_text(encoding="utf-8") for p in SOURCES if p.parent.name == "syntax_errors")]
    with_cache = [parse(text, "t.sop")[1] for text in broken]
    monkeypatch.setattr(sop_parser, "lark_parser", lambda: built)
    without_cache = [parse(text, "t.sop")[1] for text in broken]
    assert with_cache == without_cache
    assert all(with_cache)


# ---- the lexers' patterns are saved compiled ---------------------------------------------

COUNT_LEXER_COMPILES = """
import re, re._compiler
from pathlib import Path
from sopc.lang.parser import parse, lark_parser
lark_parser()
compiled = []
real = re._compiler.compile
def counting(p, flags=0):
    if isinstance(p, str) and "(?P<" in p:  # a lexer's union of terminals
        compiled.append(p)
    return real(p, flags)
re._compiler.compile = counting
for path in sorted(Path("examples").glob("**/*.sop")):
    tree, diagnostics = parse(path.read_text(encoding="utf-8"), path.name)
    assert tree is not None, diagnostics
print(len(compiled))
"""


def lexer_compiles(cache: str) -> int:
    done = subprocess.run([sys.executable, "-c", COUNT_LEXER_COMPILES], cwd=ROOT,
                          env=dict(os.environ, SOPC_CACHE_DIR=cache), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split()[-1])


def test_a_loaded_parser_compiles_none_of_its_lexers_patterns(tmp_path):
    assert lexer_compiles("") > 20  # without a cache every state's lexer compiles its pattern
    assert run_parse(str(tmp_path)).returncode == 0  # saves the parser and the patterns
    assert lexer_compiles(str(tmp_path)) == 0


def scanners(parser: Lark) -> dict:
    """Each lexer's terminals -> its scanner's patterns (the parser states
    are numbered differently in a loaded parser: matched by what they accept)."""
    contextual = getattr(parser.parser.lexer, "lexer", parser.parser.lexer)
    return {frozenset(lexer.scanner.allowed_types) | frozenset(lexer.callback):
            [(m.pattern, m.flags, m.groups, dict(m.groupindex)) for m in lexer.scanner._mres]
            for lexer in contextual.lexers.values()}


def test_a_loaded_parsers_lexers_hold_the_same_patterns(built_and_loaded):
    built, loaded = built_and_loaded
    assert any(isinstance(lexer.re, sop_parser.SavedPatterns) for lexer in sop_parser._lexers(loaded))
    made, compiled = scanners(loaded), scanners(built)
    assert len(made) > 20 and made == compiled


def test_a_damaged_saved_pattern_is_compiled_instead():
    pattern = r"(?P<A>\d+)|(?P<B>[^\W\d]\w*)"
    good = sop_parser._sre_code(pattern, 0)
    bad = good[:1] + (b"\x01\x00\x00\x00" * 3,) + good[2:]  # code that matches nothing it should
    for entry in (good, bad, ("not", "an", "entry")):
        made = sop_parser.SavedPatterns({(pattern, 0): entry}).compile(pattern)
        assert (made.pattern, made.groupindex) == (pattern, {"A": 1, "B": 2})
        assert made.match("周一 10").lastgroup == "B" and made.match("42x").group() == "42"


# ---- a process parses an unchanged file once -----------------------------------------------

def test_a_rebuild_parses_only_the_files_that_changed(tmp_path, monkeypatch):
    """`sopc run` and `sopc serve` rebuild the project after an edit: the
    files whose text is the same are not parsed again; the edited one is,
    and its new text is what the build holds."""
    from sopc import pipeline
    from sopc.project import loader
    from tests.projects import write_project

    root = write_project(tmp_path / "p", {
        "a.sop": 'playbook a "甲"\n  to groups tagged 福利群\n  sender console\n  周一 10:00 hi "早"\n',
        "b.sop": 'playbook b "乙"\n  to groups tagged 福利群\n  sender console\n  周二 10:00 yo "好"\n'})
    parsed = []
    real = loader._parse_source
    monkeypatch.setattr(loader, "_parse_source", lambda text, shown: parsed.append(shown) or real(text, shown))
    first = pipeline.build([root])
    (root / "b.sop").write_text((root / "b.sop").read_text(encoding="utf-8").replace("周二", "周三"), encoding="utf-8")
    second = pipeline.build([root])
    assert sorted(p.rsplit("/", 1)[-1] for p in parsed) == ["a.sop", "b.sop", "b.sop"]
    assert [p.name for p in first.program.playbooks] == [p.name for p in second.program.playbooks] == ["a", "b"]
    import datetime as dt

    from sopc.plan.expand import expand

    monday = dt.datetime(2026, 11, 23, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    sent = {(m.step, m.at.date().isoformat()) for m in expand(second.program, monday, monday + dt.timedelta(days=7))}
    assert ("yo", "2026-11-25") in sent and ("yo", "2026-11-24") not in sent  # the edit: 周二 -> 周三


def test_the_same_text_in_another_language_is_read_again(tmp_path):
    """Diagnostics are made in the reader's language when a file is read: a
    file remembered in English is not shown to a Chinese reader in English."""
    from sopc.core import i18n
    from sopc.project.loader import parse_source

    broken = 'playbook p "测试"\n  to groups tagged 福利群\n  周一 25:00 a "hi"\n'
    before = i18n.language()
    try:
        i18n.set_language("en")
        [english] = [d.message for d in parse_source(broken, "x.sop")[1]]
        i18n.set_language("zh")
        [chinese] = [d.message for d in parse_source(broken, "x.sop")[1]]
    finally:
        i18n.set_language(before)
    assert english != chinese and "25:00" in english and "25:00" in chinese


def test_what_is_remembered_is_bounded(monkeypatch):
    from sopc.project import loader

    monkeypatch.setattr(loader, "_parsed", type(loader._parsed)(1_000))
    for number in range(20):
        loader.parse_source(f'# file {number}\n' + "# " + "x" * 200 + "\n", f"f{number}.sop")
    assert loader._parsed.chars <= 1_000 and 1 <= len(loader._parsed) <= 5
    assert loader.parse_source("# file 19\n# " + "x" * 200 + "\n", "f19.sop")[0].path == "f19.sop"  # the latest kept


def test_the_cache_file_holds_no_grammar_and_the_built_parser_keeps_its_own(tmp_path, cache_file,
                                                                           fresh_parser_state):
    """What only built the tables is not saved (a seventh of the file, as
    long again to load); the parser built in this process is left whole."""
    path = cache_file(tmp_path)
    built = lark_parser()  # no file yet: built, then saved
    assert path.is_file() and built.grammar is not None and built.source_grammar
    with path.open("rb") as file:
        saved = pickle.load(file)
    assert saved.grammar is None and saved.source_grammar == ""
    lark_parser.cache_clear()
    loaded = lark_parser()
    assert loaded.source_path == "<deserialized>" and loaded.grammar is None
    tree, diagnostics = parse((ROOT / "examples/burger/playbooks/weekly.sop").read_text(encoding="utf-8"), "weekly.sop")
    assert tree is not None and not diagnostics
