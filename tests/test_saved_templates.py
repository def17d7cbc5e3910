"""Compiled templates saved between processes (sopc.compile.saved_templates):
a template loaded from the cache folder is the one compiling makes, and a
damaged, foreign or unwritable cache only ever means compiling again."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import sopc.compile.templates as templates
from sopc.compile import saved_templates
from sopc.compile.templates import TemplateStore
from sopc.core.diagnostics import Span
from sopc.core.memo import forget_all
from sopc.lang import ast

ROOT = Path(__file__).resolve().parent.parent
ORIGIN = Span(path="playbooks/p.sop", line=3, column=5, end_line=3, end_column=25)
TEXT = ("{% set who = group.name %}{% if amount > 10 %}{{ who }}:{{ amount | yuan }}券{% endif %}\n"
        "{% include 'footer.j2' ignore missing %}{{ date }}")
FOOTER = "—— 店长小葵"  # an included file is compiled (and saved) as a text of its own; left out of `parses`
CONTEXT = {"group": {"name": "南京东路店福利群"}, "amount": 20, "date": "2026-11-23"}


def inline(text: str) -> ast.InlineText:
    return ast.InlineText(text=text, span=ORIGIN, body_line=3, body_column=20)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("SOPC_CACHE_DIR", str(folder))
    forget_all()  # the process memo in front of the folder
    yield folder / "templates"
    saved_templates.flush()
    forget_all()


@pytest.fixture
def parses(monkeypatch):
    """The texts Jinja parsed and sopc read since the fixture began."""
    seen: list[str] = []
    real = templates._parse_text
    monkeypatch.setattr(templates, "_parse_text",
                        lambda env, text: (text == FOOTER or seen.append(text)) and None or real(env, text))
    return seen


def compiled(tmp_path: Path, text: str = TEXT):
    folder = tmp_path / "templates"
    folder.mkdir(exist_ok=True)
    (folder / "footer.j2").write_text(FOOTER, encoding="utf-8")
    template, diagnostics = TemplateStore(folder).compile(inline(text), origin_span=ORIGIN)
    return template, diagnostics


def reading(template) -> tuple:
    return (template.render(CONTEXT), template.variables, template.attribute_uses(),
            {name: template.variable_span(name) for name in template.variables})


def test_a_template_saved_by_one_compile_is_loaded_by_the_next_and_reads_the_same(tmp_path, cache, parses):
    first, diagnostics = compiled(tmp_path)
    assert not diagnostics and parses == [TEXT]
    saved_templates.flush()  # written by the writer thread
    # The text; not the file it includes: words only, read without Jinja's compiler, quicker than loading.
    assert len(list(cache.iterdir())) == 1
    assert {path.stat().st_mode & 0o777 for path in cache.iterdir()} == {0o600}  # this user's only
    forget_all()  # as a new process: only the folder remembers
    second, diagnostics = compiled(tmp_path)
    assert not diagnostics
    assert parses == [TEXT]  # not parsed again
    assert reading(second) == reading(first)
    assert second.render(CONTEXT) == "南京东路店福利群:20元券—— 店长小葵2026-11-23"


def test_another_process_loads_what_this_one_saved(tmp_path, cache):
    compiled(tmp_path)
    saved_templates.flush()  # as at this process's exit
    code = ("import sys; from pathlib import Path\n"
            "import sopc.compile.templates as t\n"
            "def no_parse(env, text): raise AssertionError('parsed, not loaded')\n"
            "t._parse_text = no_parse\n"
            "from sopc.lang import ast\n"
            "from sopc.core.diagnostics import Span\n"
            "span = Span(path='p.sop', line=3, column=5, end_line=3, end_column=25)\n"
            f"text = {TEXT!r}\n"
            "tpl, d = t.TemplateStore(Path(sys.argv[1])).compile(ast.InlineText(text=text, span=span, body_line=3, "
            "body_column=20), origin_span=span)\n"
            f"print(tpl.render({CONTEXT!r}))\n")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "templates")], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "SOPC_CACHE_DIR": str(cache.parent)})
    assert done.returncode == 0, done.stderr
    assert done.stdout == "南京东路店福利群:20元券—— 店长小葵2026-11-23\n"


@pytest.mark.parametrize("damage", ["truncated", "flipped", "empty", "not marshal"])
def test_a_damaged_file_is_compiled_again_not_read(tmp_path, cache, parses, damage):
    first, _ = compiled(tmp_path)
    saved_templates.flush()
    forget_all()
    saved = templates._saved_templates(templates._make_environment(tmp_path / "templates"))._path(TEXT)
    data = saved.read_bytes()
    saved.write_bytes({"truncated": data[:len(data) // 2], "flipped": data[:-5] + bytes([data[-5] ^ 0xFF]) + data[-4:],
                       "empty": b"", "not marshal": data[:16] + b"\x00junk"}[damage])
    forget_all()
    second, diagnostics = compiled(tmp_path)
    assert not diagnostics and parses == [TEXT, TEXT]
    assert reading(second) == reading(first)


def test_a_template_with_an_error_is_not_saved_and_says_it_in_the_readers_language(tmp_path, cache, parses):
    from sopc.terminal import speak

    broken = "{% if amount %}满减"
    _template, english = compiled(tmp_path, broken)
    assert english and "endif" in english[0].message
    saved_templates.flush()
    assert not cache.exists() or not list(cache.iterdir())
    forget_all()
    speak("zh")
    try:
        _template, chinese = compiled(tmp_path, broken)
    finally:
        speak("en")
    assert chinese[0].message != english[0].message and parses == [broken, broken]


def test_an_empty_cache_setting_saves_nothing(tmp_path, monkeypatch, parses):
    monkeypatch.setenv("SOPC_CACHE_DIR", "")
    forget_all()
    compiled(tmp_path)
    forget_all()
    compiled(tmp_path)
    assert parses == [TEXT, TEXT]


def test_an_unwritable_cache_folder_only_means_compiling(tmp_path, monkeypatch, parses):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("SOPC_CACHE_DIR", str(blocker))
    forget_all()
    template, diagnostics = compiled(tmp_path)
    assert not diagnostics and template.render(CONTEXT).startswith("南京东路店福利群")


def test_another_environment_does_not_read_this_ones_files(tmp_path, cache, monkeypatch, parses):
    """The key holds the environment's names: with a filter gone, a saved
    template using it would render where it should fail to compile."""
    compiled(tmp_path)
    forget_all()
    monkeypatch.setitem(templates.FILTERS, "extra_filter_for_a_test", lambda value: value)
    compiled(tmp_path)
    assert parses == [TEXT, TEXT]
    saved_templates.flush()
    assert len(list(cache.iterdir())) == 2  # the text for each environment (the footer only prints: not saved)


def test_the_folder_keeps_at_most_its_limit(tmp_path, cache, monkeypatch):
    monkeypatch.setattr(saved_templates, "MAX_FILES", 4)
    folder = tmp_path / "templates"
    folder.mkdir()
    one_process = TemplateStore(folder)
    for number in range(6):
        one_process.compile(inline(f"第 {number} 条 {{{{ amount ~ '元' }}}}"), origin_span=ORIGIN)
    saved_templates.flush()
    assert len(list(cache.iterdir())) == 6  # looked at once a process, when it first saves
    forget_all()
    TemplateStore(folder).compile(inline("第 6 条 {{ amount ~ '元' }}"), origin_span=ORIGIN)  # as the next process
    saved_templates.flush()
    assert len(list(cache.iterdir())) == 4  # the older 3 of 6 went, the new one came


def test_threads_saving_the_same_text_at_once_leave_one_whole_file(tmp_path, cache):
    """`sopc serve` compiles in threads: each writer has its own temporary
    file, so the one renamed into place last is whole (with one temporary
    file for all, one writer's bytes ran into another's)."""
    saved = saved_templates.SavedTemplates(templates._make_environment(tmp_path), Path(templates.__file__))
    values = [(compile("x = 1", "<template>", "exec"), frozenset({"amount"}), {}, (), {"amount": 1}, str(n) * 200_000)
              for n in range(8)]
    barrier = threading.Barrier(len(values))
    found = []

    def write(value):
        barrier.wait()
        for _ in range(20):
            saved.save("同一段文字", value)
            found.append(saved.load("同一段文字"))

    threads = [threading.Thread(target=write, args=(value,)) for value in values]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(value in values for value in found)  # never a file half one writer's, half another's
    saved_templates.flush()
    assert [path.name for path in cache.iterdir() if path.name.endswith(".tmp")] == []


def test_a_saved_compile_is_read_before_its_file_is_written(tmp_path, cache, parses, monkeypatch):
    """The writer thread writes the files; until then the process reads
    what it saved from memory, and its exit waits for the writes."""
    gate = threading.Event()
    real = saved_templates._write_private
    monkeypatch.setattr(saved_templates, "_write_private", lambda path, data: gate.wait(10) and real(path, data))
    first, _ = compiled(tmp_path)
    assert not cache.exists() or not [p for p in cache.iterdir() if not p.name.endswith(".tmp")]
    forget_all()
    second, _ = compiled(tmp_path)
    assert parses == [TEXT]  # loaded, not compiled again
    assert reading(second) == reading(first)
    gate.set()
    assert saved_templates.flush(timeout=10)
    assert len(list(cache.iterdir())) == 1


def test_a_process_exits_only_when_its_saves_are_written(tmp_path):
    folder = tmp_path / "cache"
    code = ("import sys; from pathlib import Path\n"
            "import sopc.compile.templates as t\n"
            "from sopc.lang import ast\n"
            "from sopc.core.diagnostics import Span\n"
            "span = Span(path='p.sop', line=1, column=1, end_line=1, end_column=2)\n"
            "for n in range(50):\n"
            "    t.TemplateStore(Path(sys.argv[1])).compile(ast.InlineText(text=f'第 {n} 条 {{{{ x ~ 1 }}}}', span=span, "
            "body_line=1, body_column=1), origin_span=span)\n")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "SOPC_CACHE_DIR": str(folder)})
    assert done.returncode == 0, done.stderr
    assert len([p for p in (folder / "templates").iterdir() if not p.name.endswith(".tmp")]) == 50
