"""Editors: the Pygments lexer and the TextMate grammar highlight every .sop
file sopc reads, and stay what tools/gen_editors.py makes from the grammar.

* The generated files (sopc/editors/grammar_words.py, editors/sop.tmLanguage.json
  and its copy in the VS Code folder) are what the generator writes from
  grammar/sop.lark now: a grammar change without a re-run fails here.
* `pygmentize -l sop` and Sphinx/MkDocs find the lexer through Pygments' entry
  point, and loading it loads nothing of sopc's compiler.
* Every example, standard-library and golden file that parses is tokenised
  with no error token, and words get the kind a reader expects.
* The TextMate grammar is checked with VS Code's own engine (vscode-textmate +
  vscode-oniguruma, `npm ci --prefix editors/textmate-test`): every regex
  compiles in Oniguruma, no character of a valid file goes unscoped or
  illegal, and each character is the same kind as the Pygments lexer says.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import textwrap
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from pygments.lexers import find_lexer_class_for_filename, get_lexer_by_name
from pygments.token import Error, Token, Whitespace, string_to_tokentype

from sopc.editors import grammar_words
from sopc.editors.pygments_lexer import SopLexer
from sopc.lang.parser import parse

ROOT = Path(__file__).resolve().parent.parent
TMLANGUAGE = ROOT / "editors" / "sop.tmLanguage.json"
VSCODE = ROOT / "editors" / "vscode-sop"
HARNESS = ROOT / "editors" / "textmate-test"
RERUN = "run: python tools/gen_editors.py"


def _generator():
    spec = importlib.util.spec_from_file_location("gen_editors", ROOT / "tools" / "gen_editors.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_editors"] = module   # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


gen = _generator()


def _sop_sources() -> dict[str, str]:
    """Every .sop text sopc ships or tests, that parses: the examples, the
    standard library, the golden cases, and the README's ```sop blocks."""
    files = sorted([*ROOT.glob("examples/**/*.sop"), *ROOT.glob("playbooks/**/*.sop"),
                    *ROOT.glob("tests/golden/**/*.sop")])
    sources = {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in files}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for i, block in enumerate(re.findall(r"```sop\n(.*?)```", readme, re.S)):
        sources[f"README.md#sop-{i + 1}"] = textwrap.dedent(block)  # a block in a list item is indented
    return {name: text for name, text in sources.items() if parse(text, name)[1] == []}


SOURCES = _sop_sources()


def test_the_sources_are_the_ones_sopc_ships():
    """The lists below are not empty by accident: the examples, stdlib and
    the golden cases that parse (a case made to fail to parse is left out)."""
    assert {"playbooks/newcomer.sop", "examples/lifecycle/lifecycle.sop", "README.md#sop-1"} <= set(SOURCES)
    assert "tests/golden/diagnostics/syntax_errors/open_text.sop" not in SOURCES
    assert len([s for s in SOURCES if s.startswith("examples/")]) >= 8


# ---- the generated files ----------------------------------------------------------------

def test_generated_files_are_what_the_grammar_makes():
    outputs = gen.generate()
    stale = [str(path.relative_to(ROOT)) for path in gen.stale(outputs)]
    assert not stale, (f"{', '.join(stale)} differ from what tools/gen_editors.py makes of grammar/sop.lark; "
                       f"{RERUN}")


def test_the_vscode_folder_holds_the_same_grammar():
    assert (VSCODE / "syntaxes" / "sop.tmLanguage.json").read_bytes() == TMLANGUAGE.read_bytes(), RERUN


def _grammar_with(old: str, new: str) -> str:
    text = gen.GRAMMAR.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1)


def test_a_new_keyword_in_the_grammar_reaches_both_highlighters():
    grammar = _grammar_with("_top: ", "_top: spacing | ") + '\nspacing: ("spacing" | "间隔") DURATION _NL\n'
    outputs = gen.generate(grammar)
    words = outputs[gen.WORDS_MODULE]
    assert "'spacing'" in words and "'间隔'" in words
    scopes = json.loads(outputs[gen.TMLANGUAGE])
    keyword = next(p for p in scopes["patterns"] if p.get("name") == "keyword.control.sop")
    assert re.fullmatch(keyword["match"], "spacing") and re.fullmatch(keyword["match"], "间隔")
    assert gen.stale(outputs), "a grammar change must make the committed files stale"


def test_a_new_terminal_of_words_is_keywords_and_one_with_a_regex_must_be_named():
    grammar = gen.GRAMMAR.read_text(encoding="utf-8")
    assert "'urgent'" in gen.generate(grammar + '\nPRIORITY: "urgent" | "紧急"\n')[gen.WORDS_MODULE]
    with pytest.raises(gen.GrammarProblem, match="WEEK_NO .*CATEGORIES in tools/gen_editors.py"):
        gen.generate(grammar + "\nWEEK_NO: /W\\d+/\n")


def test_a_word_the_highlighters_read_around_must_stay_in_the_grammar():
    grammar = _grammar_with('"groups" "tagged" tag_expr', '"groups" "labelled" tag_expr')
    with pytest.raises(gen.GrammarProblem, match="tagged"):
        gen.generate(grammar)


def test_day_ranges_follow_the_grammar():
    """What may join two weekdays is read from the rules (`mon..fri`): a
    grammar that adds `到` and `至` makes `周一到周五` one day word in both."""
    assert ".." in grammar_words.DAY_RANGE_CONNECTORS
    grammar = _grammar_with("day_item: WEEKDAY ",
                            'day_item: WEEKDAY ("到" | "至") WEEKDAY -> chinese_day_range\n        | WEEKDAY ')
    words: dict = {}
    exec(gen.generate(grammar)[gen.WORDS_MODULE], words)   # the generated module, as the lexer would load it
    assert re.fullmatch(words["DAY"], "周一到周五") and re.fullmatch(words["DAY"], "星期一至星期五")
    assert re.fullmatch(words["DAY"], "mon..fri")
    assert not re.match(words["DAY"], "周一到")  # a range needs its end


def test_the_check_option_says_what_to_run(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_editors.py"), "--check"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "up to date" in done.stdout


# ---- the Pygments lexer: how Pygments users get it ----------------------------------------

def test_pygments_finds_the_lexer_by_name_and_by_file_name():
    assert type(get_lexer_by_name("sop")) is SopLexer
    assert find_lexer_class_for_filename("campaigns/weekly.sop") is SopLexer


def test_pygmentize_highlights_a_playbook():
    done = subprocess.run([sys.executable, "-m", "pygments", "-l", "sop", "-f", "html",
                           str(ROOT / "examples" / "lifecycle" / "lifecycle.sop")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert '<span class="k">playbook</span>' in done.stdout
    assert '<span class="nb">member.joined</span>' in done.stdout
    assert 'class="err"' not in done.stdout


def test_loading_the_lexer_loads_nothing_of_the_compiler():
    probe = ("import sys, pygments.lexers; pygments.lexers.get_lexer_by_name('sop'); "
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('lark', 'jinja2', 'click') "
             "or (m.startswith('sopc.') and not m.startswith('sopc.editors'))))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, cwd="/")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# ---- the Pygments lexer: what it shows ------------------------------------------------------

def _tokens(text: str) -> list[tuple]:
    return [(t, v) for t, v in SopLexer().get_tokens(text) if v and t not in (Whitespace, Token.Text.Whitespace)]


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_every_sop_file_tokenises_without_errors(name):
    text = SOURCES[name]
    tokens = list(SopLexer().get_tokens(text))
    errors = [(v, _line_of(text, tokens, i)) for i, (t, v) in enumerate(tokens) if t in Error]
    assert not errors, f"{name}: error tokens {errors[:5]}"
    assert "".join(v for _t, v in tokens) == text + ("" if text.endswith("\n") else "\n")


def _line_of(text: str, tokens, index: int) -> int:
    return "".join(v for _t, v in tokens[:index]).count("\n") + 1


def test_an_unclosed_text_is_an_error_token():
    assert any(t in Error for t, _v in SopLexer().get_tokens('playbook p\n  周一 10:00 a "没有结束\n'))


SAMPLE = '''\
import "std/newcomer.sop"   # the standard library
playbook bk_welfare "汉堡王福利群"
  timezone Asia/Shanghai
  to groups tagged 福利群 and not city:上海
  quiet 22:00-08:00 defer
  cap 6/day
  active 2026-11-01 to 2026-12-31
  on holidays 顺延
  周一 10:00   coupon   template "coupon.j2" amount=50
  星期三 11:30  king     "国王日 {{ group.name | upper }}{% if x %}!{% endif %}" @all
  mon..fri 09:00, 14:00  reminder  markdown “早上好 {{ weekday_cn }}” @所有人 @13800000000
  工作日 12:00  lunch    """
    三款 20 元工作餐 {{ price | yuan }}
  """
  每天 08:00   hello    "早" price=9.9 name=汉堡
  每月1日, 最后一天 10:00  monthly_gift  "月度福利"
  on member.tagged 违规 2nd
    +0  kick  remove member
  on member.silent 7d repeat until member.message
    +1d at 10:00  care  "好久不见" to member
timeline flash "快闪群" max 4h
  T-3h  preheat  "今晚开抢"
  T+15m lottery  dissolve group
stages
  沉默期 when silent >= 7d and age < 30d
  活跃期 when messages/day >= 20
  成熟期 otherwise
'''


def test_the_sample_is_the_language_itself():
    assert parse(SAMPLE, "sample.sop")[1] == []


@pytest.mark.parametrize(("word", "token"), [
    ("import", "Keyword"), ("playbook", "Keyword"), ("to", "Keyword"), ("tagged", "Keyword"),
    ("quiet", "Keyword"), ("cap", "Keyword"), ("day", "Keyword"), ("on", "Keyword"), ("remove", "Keyword"),
    ("member", "Keyword"), ("timeline", "Keyword"), ("max", "Keyword"), ("stages", "Keyword"),
    ("otherwise", "Keyword"), ("at", "Keyword"), ("每月", "Keyword"), ("until", "Keyword"),
    ("bk_welfare", "Name.Function"), ("flash", "Name.Function"),
    ("Asia/Shanghai", "Name.Namespace"),
    ("福利群", "Name.Label"), ("city:上海", "Name.Label"), ("违规", "Name.Label"),
    ("and", "Operator.Word"), ("not", "Operator.Word"),
    ("周一", "Name.Constant"), ("星期三", "Name.Constant"), ("mon..fri", "Name.Constant"),
    ("工作日", "Name.Constant"), ("每天", "Name.Constant"), ("最后一天", "Name.Constant"),
    ("holidays", "Name.Constant"),
    ("defer", "Keyword.Constant"), ("顺延", "Keyword.Constant"), ("markdown", "Keyword.Type"),
    ("silent", "Name.Builtin.Pseudo"), ("messages/day", "Name.Builtin.Pseudo"), (">=", "Operator"),
    ("10:00", "Number"), ("22:00", "Number"), ("08:00", "Number"), ("2026-11-01", "Number"),
    ("7d", "Number"), ("4h", "Number"), ("T-3h", "Number"), ("T+15m", "Number"), ("+0", "Number"),
    ("+1d", "Number"), ("2nd", "Number"), ("1日", "Number"), ("6", "Number"),
    ("member.tagged", "Name.Builtin"), ("member.message", "Name.Builtin"),
    ("@all", "Name.Decorator"), ("@所有人", "Name.Decorator"), ("@13800000000", "Name.Entity"),
    ("amount", "Name.Attribute"), ("50", "Number"), ("汉堡", "String.Other"), ("9.9", "Number"),
    ("# the standard library", "Comment.Single"),
    ("{{ group.name | upper }}", "String.Interpol"), ("{% if x %}", "String.Interpol"),
    ("{{ price | yuan }}", "String.Interpol"),
    ("国王日 ", "String.Double"), ("std/newcomer.sop", "String.Double"), ('"""', "String.Heredoc"),
    ("“", "String"), ("早上好 ", "String"),
    ("coupon", "Name"), ("沉默期", "Name"),
])
def test_words_get_the_kind_a_reader_expects(word, token):
    seen = {v: [] for _t, v in _tokens(SAMPLE)}
    for t, v in _tokens(SAMPLE):
        seen[v].append(t)
    assert word in seen, f"{word!r} is not one token: {[v for _t, v in _tokens(SAMPLE)]}"
    assert string_to_tokentype(token) in seen[word], f"{word!r} is {seen[word]}, not {token}"


def test_chinese_words_inside_names_stay_names():
    """A name may contain a day word or a keyword (`周末福利`, `每天签到`): it
    is one name, as the grammar reads it."""
    tokens = _tokens('playbook p\n  周末 10:00 周末福利 "x"\n  每天 09:00 每天签到 "y"\n')
    assert ("周末福利" in [v for t, v in tokens if t == Token.Name])
    assert ("每天签到" in [v for t, v in tokens if t == Token.Name])


# ---- the TextMate grammar --------------------------------------------------------------------

def _grammar() -> dict:
    return json.loads(TMLANGUAGE.read_text(encoding="utf-8"))


def _rules(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _rules(value)
    elif isinstance(node, list):
        for item in node:
            yield from _rules(item)


RULE_KEYS = {"name", "match", "begin", "end", "while", "captures", "beginCaptures", "endCaptures",
             "patterns", "include", "contentName", "comment"}


def test_the_textmate_grammar_is_well_formed():
    grammar = _grammar()
    assert grammar["scopeName"] == "source.sop" and grammar["fileTypes"] == ["sop"]
    repository = grammar["repository"]
    for rule in _rules({"patterns": grammar["patterns"], "repository": list(repository.values())}):
        if "include" in rule:
            target = rule["include"]
            assert target.startswith("#") and target[1:] in repository, f"include of nothing: {target}"
        if "begin" in rule:
            assert "end" in rule, f"a begin without an end: {rule['begin']}"
        if "name" in rule and isinstance(rule["name"], str):
            assert re.fullmatch(r"[a-z][\w-]*(\.[\w-]+)+", rule["name"]), rule["name"]


def test_every_textmate_regex_compiles():
    """Oniguruma is checked for real below (where npm can install it); Python's
    re reads the same text, as the regexes are written in their common part."""
    grammar = _grammar()
    regexes = [(key, rule[key]) for rule in _rules(grammar) for key in ("match", "begin", "end", "while")
               if isinstance(rule.get(key), str)]
    assert len(regexes) > 30
    for key, regex in regexes:
        assert "(?P" not in regex and "\\Z" not in regex, f"Python-only syntax in {key}: {regex}"
        re.compile(regex, re.MULTILINE)


def test_the_vscode_extension_folder_is_complete():
    package = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    language = package["contributes"]["languages"][0]
    assert language["id"] == "sop" and ".sop" in language["extensions"]
    configuration = json.loads((VSCODE / language["configuration"]).read_text(encoding="utf-8"))
    assert configuration["comments"]["lineComment"] == "#"
    assert ["(", ")"] in configuration["brackets"]
    assert {"open": '"', "close": '"', "notIn": ["string", "comment"]} in configuration["autoClosingPairs"]
    grammar = package["contributes"]["grammars"][0]
    assert grammar["language"] == "sop" and grammar["scopeName"] == "source.sop"
    assert (VSCODE / grammar["path"]).read_bytes() == TMLANGUAGE.read_bytes()
    assert package["engines"]["vscode"] and package["name"] and package["publisher"]
    for pattern in (configuration["indentationRules"]["increaseIndentPattern"],):
        assert re.search(pattern, "playbook p \"x\"") and re.search(pattern, "  on member.joined")
        assert not re.search(pattern, "  on holidays skip")


# ---- the TextMate grammar in VS Code's own engine -------------------------------------------

def _harness_ready() -> str | None:
    """Why the vscode-textmate check cannot run here, or None."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not (HARNESS / "node_modules" / "vscode-textmate").is_dir():
        return "run: npm ci --prefix editors/textmate-test"
    return None


@cache
def _textmate_tokens() -> dict:
    why = _harness_ready()
    if why is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must check the TextMate grammar in vscode-textmate: {why}")
        pytest.skip(f"vscode-textmate is not installed: {why}")
    done = subprocess.run(["node", str(HARNESS / "tokenize.mjs"), str(TMLANGUAGE)], input=json.dumps(SOURCES),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


SCOPE_KINDS = {scope: kind for kind, (scope, _token) in grammar_words.KINDS.items()}


def _kind_of(scopes: list[str]) -> str | None:
    """The kind of the innermost scope that is one of ours (a Jinja filter is
    inside its expression, a string's quote inside its string)."""
    for scope in reversed(scopes):
        if scope in SCOPE_KINDS:
            return SCOPE_KINDS[scope]
    return None


def test_oniguruma_compiles_every_regex_of_the_grammar():
    assert _textmate_tokens()["regex_errors"] == []


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_vscode_highlights_every_character_as_pygments_does(name):
    lines = _textmate_tokens()["files"][name]
    text = SOURCES[name]
    pygments_kinds = _pygments_tokens_by_line(text)
    problems = []
    for number, (line, tokens) in enumerate(zip(text.split("\n"), lines), start=1):
        for start, end, scopes in tokens:
            kind = _kind_of(scopes)
            for column in range(start, end):
                char = line[column]
                if char.isspace():
                    continue
                theirs = pygments_kinds[number - 1][column]
                if kind is None:
                    problems.append(f"{name}:{number}:{column + 1}: {char!r} has no scope ({scopes})")
                elif kind == "invalid":
                    problems.append(f"{name}:{number}:{column + 1}: {char!r} is invalid.illegal")
                elif string_to_tokentype(grammar_words.KINDS[kind][1]) != theirs:
                    problems.append(f"{name}:{number}:{column + 1}: {char!r} is {kind} in VS Code, {theirs} in Pygments")
    assert not problems, "\n".join(problems[:20])


def _pygments_tokens_by_line(text: str) -> list[list]:
    """The Pygments token of each character, line by line."""
    lines: list[list] = [[]]
    for token, value in SopLexer().get_tokens(text):
        for char in value:
            if char == "\n":
                lines.append([])
            else:
                lines[-1].append(token)
    return lines
