"""Chinese and English (issue 13): the catalogue is complete and compiled,
diagnostics are built from catalogue messages, and the language is chosen
by --lang, then SOPC_LANG, then the locale.

* every message marked in sopc/ has Chinese that is neither empty nor fuzzy,
  and keeps exactly the English's {placeholders};
* sopc.po holds what ``tools/i18n.py`` extracts now, and sopc.mo what it compiles;
* no diagnostic is built from a bare string literal or f-string (an AST scan),
  and no module that translates rebinds `_`;
* a real ``sopc check`` process speaks the language LANG / SOPC_LANG / --lang ask for.
"""

from __future__ import annotations

import ast
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOPC = ROOT / "sopc"
sys.path.insert(0, str(ROOT / "tools"))

import i18n as tool  # noqa: E402  (tools/i18n.py)
from babel.messages.pofile import read_po  # noqa: E402

from sopc.core import i18n  # noqa: E402

RERUN = "run `python tools/i18n.py`, write the Chinese in sopc/locale/zh/LC_MESSAGES/sopc.po, run it again"


@pytest.fixture(scope="module")
def wanted():
    return tool.wanted()


@pytest.fixture(scope="module")
def catalogue():
    return read_po(io.BytesIO(tool.PO.read_bytes()), locale="zh", domain="sopc")


def _strings(message) -> list[str]:
    return list(message) if isinstance(message, tuple) else [message]


def test_the_catalogue_holds_every_message_in_the_sources(wanted):
    assert tool.PO.read_bytes() == wanted[0], f"sopc.po is out of date: {RERUN}"


def test_the_compiled_catalogue_is_the_written_one(wanted):
    assert tool.translations(tool.MO.read_bytes()) == tool.translations(wanted[1]), \
        f"sopc.mo is out of date: {RERUN}"


def test_every_message_has_chinese(catalogue):
    missing = [message.id for message in catalogue
               if message.id and (message.fuzzy or not all(s.strip() for s in _strings(message.string)))]
    assert not missing, f"{len(missing)} message(s) without Chinese (or still fuzzy): {missing[:10]}; {RERUN}"


# A str.format placeholder, not a doubled brace (`{{ name }}` in a template hint is text).
PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_]\w*)(?:[:!][^{}]*)?\}(?!\})")


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def test_translations_keep_the_placeholders(catalogue):
    wrong = []
    for message in catalogue:
        if not message.id:
            continue
        forms = list(map(_placeholders, _strings(message.id)))
        english, common = set().union(*forms), set.intersection(*forms)
        for chinese in _strings(message.string):
            # Chinese has one form for every count: it may use the singular's names or the
            # plural's (click passes both, e.g. {choice} and {choices}), never one of neither.
            if chinese and not (common <= _placeholders(chinese) <= english):
                wrong.append((message.id, chinese))
    assert not wrong, f"msgstr placeholders differ from the msgid's: {wrong[:5]}"


def test_translations_of_format_strings_format(catalogue):
    """A msgstr of a message filled in by .format() must be a format string
    too: a stray `{` or `}` in the Chinese would raise where the English does not."""
    broken = []
    for message in catalogue:
        english = _strings(message.id)
        names = set().union(*map(_placeholders, english))
        if not message.id or not any("{" in text for text in english):
            continue
        values = {name: "x" for name in names}
        try:
            for text in english:
                text.format(**values)
        except (ValueError, KeyError, IndexError):
            continue  # not a format string (a literal `{% if %}`): printed as is
        for chinese in _strings(message.string):
            try:
                chinese.format(**values)
            except (ValueError, KeyError, IndexError) as exc:
                broken.append((message.id, chinese, exc))
    assert not broken, broken[:5]


def test_a_plural_message_in_chinese_has_one_form(catalogue):
    assert catalogue.num_plurals == 1
    assert all(len(message.string) == 1 for message in catalogue if message.pluralizable)


def test_a_merge_conflict_in_the_catalogue_keeps_both_sides(tmp_path):
    """Two branches each add a message at the same place: the tool reads the
    conflicted file (markers and all) and keeps both translations."""
    ours = 'msgid "one apple"\nmsgstr "一个苹果"\n'
    theirs = 'msgid "two pears"\nmsgstr "两个梨"\n\nmsgid "one apple"\nmsgstr "一个苹果"\n'
    conflicted = tmp_path / "sopc.po"
    conflicted.write_text(tool.PO.read_text(encoding="utf-8") + "\n<<<<<<< HEAD\n" + ours + "=======\n" + theirs
                          + ">>>>>>> i10-other\n", encoding="utf-8")
    catalog = tool.read_existing(conflicted)
    assert catalog["one apple"].string == "一个苹果" and catalog["two pears"].string == "两个梨"
    assert catalog["no problems found"].string == "没有发现问题"


# ---- the language of a message --------------------------------------------------------


def test_a_message_is_looked_up_when_it_is_made():
    i18n.set_language("zh")
    try:
        assert i18n.language() == "zh"
        assert i18n._("no problems found") != "no problems found"
        assert i18n.ngettext("{count} error", "{count} errors", 3).format(count=3).startswith("3")
    finally:
        i18n.set_language("en")
    assert i18n._("no problems found") == "no problems found"
    assert i18n.ngettext("{count} error", "{count} errors", 2) == "{count} errors"


@pytest.mark.parametrize("option, env, expected", [
    ("en", {"SOPC_LANG": "zh", "LANG": "zh_CN.UTF-8"}, "en"),
    (None, {"SOPC_LANG": "en", "LANG": "zh_CN.UTF-8"}, "en"),
    (None, {"SOPC_LANG": "zh_CN.UTF-8"}, "zh"),
    (None, {"LANG": "zh_CN.UTF-8"}, "zh"),
    (None, {"LANG": "zh_TW.UTF-8"}, "zh"),
    (None, {"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
    (None, {"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "C"}, "zh"),
    (None, {"LANG": "C.UTF-8"}, "en"),
    (None, {}, "en"),
])
def test_the_language_comes_from_the_option_then_sopc_lang_then_the_locale(option, env, expected):
    assert i18n.resolve_language(option, env) == expected


def test_an_unknown_language_is_refused():
    with pytest.raises(ValueError):
        i18n.set_language("fr")


def test_english_reads_no_catalogue():
    """A cold start in English imports no gettext and reads no .mo (issue 8 measures it)."""
    code = ("import sys; from sopc.core import i18n; i18n.set_language(i18n.resolve_language());"
            "print('gettext' in sys.modules, bool(i18n._loaded))")
    env = {**os.environ, "SOPC_LANG": "en"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.split() == ["False", "False"]


# ---- sopc check in a real process ---------------------------------------------------------

BROKEN = {
    "sopc.toml": 'timezone = "Asia/Shanghai"\n\n[senders.console]\nkind = "console"\n',
    "groups.csv": "id,name,tags\nhz_001,西湖店福利群,福利群\n",
    "main.sop": 'playbook welfare\n  to groups tagged 福利群\n  sender console\n  周一 10:00 morning "hi"\n'
                '  周二 morning_hi "hi"\n',
}


def _check(folder: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("SOPC_LANG", "LC_ALL", "LC_MESSAGES", "LANG")}
    environ.update(env, NO_COLOR="1")
    sopc = Path(sys.executable).with_name("sopc")
    return subprocess.run([str(sopc), *args, "check", str(folder)], capture_output=True, text=True,
                          env=environ, encoding="utf-8")


def test_sopc_check_speaks_the_language_it_is_asked_for(project):
    folder = project(BROKEN)
    chinese = _check(folder, LANG="zh_CN.UTF-8")
    assert chinese.returncode == 1 and "错误[E0001]: 此处应为时间（如 `10:00`）" in chinese.stderr, chinese.stderr
    assert "= 提示: 时间写成 HH:MM" in chinese.stderr and chinese.stderr.endswith("错误: 1 个错误\n")
    english = [_check(folder, "--lang", "en", LANG="zh_CN.UTF-8"),
               _check(folder, LANG="zh_CN.UTF-8", SOPC_LANG="en"),
               _check(folder, LANG="en_US.UTF-8")]
    for done in english:
        assert done.returncode == 1 and "error[E0001]: expected a time like `10:00`" in done.stderr, done.stderr
        assert "= help: write times as HH:MM" in done.stderr and done.stderr.endswith("error: 1 error\n")
    assert english[0].stderr == english[1].stderr == english[2].stderr
    forced = _check(folder, "--lang", "zh", LANG="en_US.UTF-8", SOPC_LANG="en")
    assert forced.stderr == chinese.stderr


def test_tests_speak_english_on_a_chinese_machine(monkeypatch, project, run_sopc):
    """conftest.py sets SOPC_LANG=en for every test, so the English goldens
    and assertions hold where the machine's locale is Chinese."""
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    monkeypatch.setenv("LC_ALL", "zh_CN.UTF-8")
    result = run_sopc("check", ".", cwd=project(BROKEN), env={"SOPC_LANG": os.environ["SOPC_LANG"]})
    assert "error[E0001]: expected a time like `10:00`" in result.stderr
    chinese = run_sopc("check", ".", cwd=project(BROKEN, "again"), env={"SOPC_LANG": None})
    assert "错误[E0001]" in chinese.stderr


# ---- the lint: diagnostics are built from catalogue messages --------------------------------

CODE = re.compile(r"^[EW]\d{4}$")
BUILDERS = {"error", "warning", "Diagnostic"}
TRANSLATORS = {"_", "ngettext"}


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _is_code(node: ast.AST, constants: dict[str, ast.AST]) -> bool:
    if isinstance(node, ast.Name) and node.id in constants:
        node = constants[node.id]
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and bool(CODE.match(node.value))


def _untranslated(node: ast.AST | None, constants: dict[str, ast.AST]) -> bool:
    """Text a person reads, built without the catalogue: a literal, an
    f-string, a literal's .format()/concatenation, or a module constant
    holding one (an ``N_()`` constant too: it is translated by ``_(NAME)``)."""
    if node is None:
        return False
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and bool(node.value.strip())
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _untranslated(node.left, constants) or _untranslated(node.right, constants)
    if isinstance(node, ast.IfExp):
        return _untranslated(node.body, constants) or _untranslated(node.orelse, constants)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("format", "join"):
        return _untranslated(node.func.value, constants)
    if isinstance(node, ast.Call) and _name(node.func) == "N_":
        return True
    if isinstance(node, ast.Name) and node.id in constants:
        return _untranslated(constants[node.id], constants)
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in constants:
        table = constants[node.value.id]
        return isinstance(table, ast.Dict) and any(_untranslated(v, constants) for v in table.values)
    return False


def _module_constants(tree: ast.Module) -> dict[str, ast.AST]:
    constants = {}
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name):
            constants[statement.targets[0].id] = statement.value
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name) and statement.value:
            constants[statement.target.id] = statement.value
    return constants


def _message_and_hint(call: ast.Call) -> tuple[ast.AST | None, ast.AST | None]:
    """A diagnostic's text arguments: error(code, message, span, hint), and
    any builder called as ``report(code, message, span, hint)``."""
    keywords = {k.arg: k.value for k in call.keywords}
    message = call.args[1] if len(call.args) > 1 else keywords.get("message")
    hint = call.args[3] if len(call.args) > 3 else keywords.get("hint")
    return message, hint


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name


def untranslated_diagnostics(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    constants = _module_constants(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        builder = _name(node.func) in BUILDERS and (node.args[:1] or any(k.arg == "code" for k in node.keywords))
        if not builder and not (node.args and _is_code(node.args[0], constants)):
            continue
        for what, argument in zip(("message", "hint"), _message_and_hint(node)):
            if _untranslated(argument, constants):
                found.append(f"{_shown(path)}:{argument.lineno}: the {what} is not a _()/ngettext() message")
    return found


def _binds_underscore(tree: ast.Module) -> list[int]:
    """Lines where `_` is assigned (``x, _ = ...``, ``for _ in``) outside a
    comprehension: in a module that imports ``_``, that makes ``_()`` in the
    same function something else."""
    lines = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, (ast.Assign, ast.For, ast.AsyncFor, ast.With)):
            targets = node.targets if isinstance(node, ast.Assign) else (
                [node.target] if not isinstance(node, ast.With) else [i.optional_vars for i in node.items if i.optional_vars])
        for target in targets:
            if any(isinstance(n, ast.Name) and n.id == "_" for n in ast.walk(target)):
                lines.append(node.lineno)
    return lines


def _imports_underscore(tree: ast.Module) -> bool:
    return any(isinstance(node, ast.ImportFrom) and node.module == "sopc.core.i18n" and
               any(alias.name == "_" and alias.asname is None for alias in node.names) for node in ast.walk(tree))


SOURCES = sorted(SOPC.rglob("*.py"))


def test_diagnostics_are_built_from_catalogue_messages():
    found = [problem for path in SOURCES for problem in untranslated_diagnostics(path)]
    assert not found, "wrap the text in _() (placeholders by .format after it):\n" + "\n".join(found)


def test_the_lint_sees_an_untranslated_diagnostic(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('HINT = "write it again"\nWORDS = {"a": "b"}\n'
                      'def f(x):\n'
                      '    error("E0001", f"bad {x}", None, "fix it")\n'
                      '    self.report("E0101", _("fine {x}").format(x=x), None, HINT)\n'
                      '    warning("W0302", message, None, hint=WORDS[x])\n'
                      '    error("E0002", _("fine"), None, _("fine too"))\n', encoding="utf-8")
    found = untranslated_diagnostics(sample)
    assert [line.split(":")[1] for line in found] == ["4", "4", "5", "6"]


def _hidden_from_extraction(path: Path) -> list[str]:
    """``_()`` calls Babel cannot extract: inside an f-string, or around an
    f-string (whose text differs per call, so no msgid matches it)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.JoinedStr):
            found += [f"{_shown(path)}:{c.lineno}: _() inside an f-string" for c in ast.walk(node)
                      if isinstance(c, ast.Call) and _name(c.func) in TRANSLATORS]
        elif isinstance(node, ast.Call) and _name(node.func) in TRANSLATORS and node.args and \
                isinstance(node.args[0], ast.JoinedStr):
            found.append(f"{_shown(path)}:{node.lineno}: an f-string in _(): use .format() after it")
    return found


def test_every_translated_message_can_be_extracted():
    found = [problem for path in SOURCES for problem in _hidden_from_extraction(path)]
    assert not found, "\n".join(found)


def test_a_module_that_translates_does_not_rebind_underscore():
    found = [f"{path.relative_to(ROOT)}:{line}" for path in SOURCES
             for tree in [ast.parse(path.read_text(encoding="utf-8"))] if _imports_underscore(tree)
             for line in _binds_underscore(tree)]
    assert not found, "`_` is the translation function here: name the throwaway value (`unused`): " + ", ".join(found)


def test_a_recorded_reason_is_read_in_chinese_unless_it_is_too_long_to_match():
    """A reason is matched back to its template to say it in Chinese; one
    longer than MAX_MATCHED (a roster id of thousands of characters that
    repeats the template's words made matching cost the cube of its length:
    35 s for 20,000 characters) is shown as recorded."""
    from sopc.core import reasons

    said = reasons.CAP.format(group="g1", posts=4, cap=3)
    crafted = reasons.CAP.format(group="x` already had 1 posts today (cap 1/day)" * 500, posts=4, cap=3)
    i18n.set_language("zh")
    try:
        assert reasons.shown(said) == "上限：群 `g1` 今天已发 4 条（上限每天 3 条）"
        assert reasons.shown(crafted) == crafted
    finally:
        i18n.set_language("en")
