"""The AST built during the parse (sopc.lang.transform.parse_ast) is the AST
the tree walk builds (build_ast over a parsed tree): the same nodes, spans and
diagnostics, for every .sop file in the repository and for broken copies of
them (syntax errors send the parse back to a line break before them)."""

from __future__ import annotations

import random
import sys
import threading
from pathlib import Path

import pytest

from sopc.lang.parser import parse
from sopc.lang.transform import build_ast, parse_ast

ROOT = Path(__file__).resolve().parents[1]
SOP_FILES = sorted(p for p in ROOT.rglob("*.sop") if ".venv" not in p.parts and "_data" not in p.parts)
BREAKS = ("", "(", " 25:00", ")", ' "x', "T+", " to", "\t", " and", "@")


def walked(text: str, path: str):
    tree, diagnostics = parse(text, path)
    if tree is None:
        return None, diagnostics
    source_file, more = build_ast(tree, path)
    return source_file, diagnostics + more


def broken_copies(text: str, seed: int, count: int = 5):
    """``text`` with a few lines broken at random places."""
    rng = random.Random(seed)
    lines = text.split("\n")
    for _ in range(count):
        copy = list(lines)
        for _ in range(rng.randint(1, 3)):
            index = rng.randrange(len(copy))
            cut = rng.randrange(len(copy[index]) + 1)
            copy[index] = copy[index][:cut] + rng.choice(BREAKS) + copy[index][cut:]
        yield "\n".join(copy)


def test_there_are_files_to_compare():
    assert len(SOP_FILES) >= 40


@pytest.mark.parametrize("path", SOP_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_built_during_the_parse_as_by_the_walk(path):
    text = path.read_text(encoding="utf-8")
    shown = str(path.relative_to(ROOT))
    for number, variant in enumerate([text, *broken_copies(text, seed=len(text))]):
        assert parse_ast(variant, shown) == walked(variant, shown), f"variant {number}"


def test_a_bad_literal_on_a_line_recovery_drops_is_not_reported():
    # `25:00` is read (and found wrong) before the parse meets `((` on the
    # same line; recovery blanks the line, so the literal was never there.
    text = 'playbook p "x"\n  to all groups\n  周一 25:00 a "x" ((\n  周二 10:00 b "y"\n'
    source_file, diagnostics = parse_ast(text, "t.sop")
    assert [(d.code, d.span.line) for d in diagnostics] == [("E0001", 3)]
    assert [s.name.value for s in source_file.playbooks[0].steps] == ["b"]


def test_a_bad_literal_before_a_broken_line_is_still_reported():
    text = 'playbook p "x"\n  to all groups\n  周一 25:00 a "x"\n  周二 10:00 b "y" ((\n'
    _source_file, diagnostics = parse_ast(text, "t.sop")
    assert [(d.code, d.span.line) for d in diagnostics] == [("E0001", 4), ("E0101", 3)]


def test_a_broken_audience_line_marks_its_playbook():
    text = 'playbook p "x"\n  to groups tagged 福利群 and stage 成熟期\n  周一 10:00 coupon "福利"\n'
    source_file, diagnostics = parse_ast(text, "t.sop")
    assert [d.code for d in diagnostics] == ["E0001"]
    (pb,) = source_file.playbooks
    assert pb.audience is None and pb.audience_unreadable


def test_nothing_parsed_is_none():
    source_file, diagnostics = parse_ast("(((\n", "t.sop")
    assert source_file is None or source_file.playbooks == ()
    assert diagnostics and diagnostics[0].code.startswith("E0")


def test_threads_building_at_once_keep_their_own_files():
    # `sopc serve` builds in threads; each parse's nodes are its own file's.
    texts = {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in SOP_FILES[:16]}
    expected = {shown: walked(text, shown) for shown, text in texts.items()}
    results: dict[str, list] = {shown: [] for shown in texts}
    errors: list[BaseException] = []

    def work(shown: str, text: str) -> None:
        try:
            for _ in range(5):
                results[shown].append(parse_ast(text, shown))
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=work, args=item) for item in texts.items()]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns mid-parse
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert not errors
    for shown, got in results.items():
        assert got == [expected[shown]] * 5, shown


@pytest.mark.parametrize("path", SOP_FILES[::4], ids=lambda p: str(p.relative_to(ROOT)))
def test_recovery_from_a_checkpoint_lines_back_is_recovery_from_the_line_before(path, monkeypatch):
    """The parse keeps a checkpoint every few line breaks (_Parse.EVERY), so
    recovery may parse a few unchanged lines again: the same nodes and
    diagnostics as with a checkpoint at every line break."""
    from sopc.lang.parser import _Parse

    text = path.read_text(encoding="utf-8")
    variants = [text, *broken_copies(text, seed=len(text) + 1, count=8)]
    sparse = [parse_ast(variant, "t.sop") for variant in variants]
    monkeypatch.setattr(_Parse, "EVERY", 1)
    assert [parse_ast(variant, "t.sop") for variant in variants] == sparse


ODD_TEXTS = (
    'playbook p "x"\r\n  to all groups\r\n  周一 10:00 a "早上好"\r\n',
    'playbook p "x"\n\tto all groups\n  周一 10:00 a "x"\n',
    'playbook p "x"\n\u3000\u3000to all groups\n  周一 10:00 a """\n  两行\n  文本"""\n',
    'playbook p "x"  # 注释\n  # 一行注释\n\n  to all groups\n  周一 10:00 a "x" €\n  周二 10:00 b "y"\n',
    'playbook p "x\n  to all groups\n',
    'playbook playbook "x"\n  to groups tagged playbook\n  周一 10:00 to "x"\n',
    '',
    '   \n\n',
    '#',
)


def _tokens(text: str) -> tuple[list[tuple], list]:
    tokens: list = []
    _tree, diagnostics = parse(text, "t.sop", tokens=tokens)
    return [(t.type, t.value, t.start_pos, t.line, t.column, t.end_line, t.end_column, t.end_pos)
            for t in tokens], diagnostics


@pytest.mark.parametrize("path", [None, *SOP_FILES[::2]], ids=lambda p: "odd texts" if p is None else str(p.relative_to(ROOT)))
def test_the_parses_own_lexer_makes_larks_tokens(path, monkeypatch):
    """_Parse._lex is Lark's contextual lexer in one loop: the same tokens
    (kinds, values, offsets, lines and columns, ends), and so the same
    diagnostics and nodes, as ``ContextualLexer.lex``, for texts broken
    anywhere (Lark's lexer still says what cannot be read)."""
    from sopc.lang.parser import _Parse

    if path is None:
        variants = list(ODD_TEXTS)
    else:
        text = path.read_text(encoding="utf-8")
        variants = [text, *broken_copies(text, seed=len(text) + 2, count=4)]
    ours = [(_tokens(variant), parse_ast(variant, "t.sop")) for variant in variants]
    monkeypatch.setattr(_Parse, "_lex", lambda self, lexer_state, parser_state: self._lexer.lex(lexer_state, parser_state))
    assert [(_tokens(variant), parse_ast(variant, "t.sop")) for variant in variants] == ours


def test_a_lark_without_the_lexer_internals_lexes_with_its_own_loop(monkeypatch):
    """Lark's lexers are read for their patterns (_Parse._lex); a Lark that
    makes them otherwise is not an error: its own lexer runs instead."""
    from sopc.lang import parser as parser_module

    text = SOP_FILES[0].read_text(encoding="utf-8")
    expected = (_tokens(text), parse_ast(text, "t.sop"))

    def no_internals(lexer):
        raise AttributeError("scanner")

    monkeypatch.setattr(parser_module, "_lex_plan", no_internals)
    monkeypatch.setattr(parser_module, "_lex_plans", lambda contextual: {})  # no plans kept from before
    assert (_tokens(text), parse_ast(text, "t.sop")) == expected


def test_the_parse_is_larks_own_parse():
    """_Parse feeds the tokens to Lark's tables itself (and lexes itself):
    for every .sop file Lark's own parser reads without error, the nodes are
    those built from Lark's own tree (``Lark.parse``, its lexer, parser and
    tree builder). (Lark's parser stops at a file's first error, and sopc
    reads a tab in the indentation on after reporting it: such files are
    the recovery tests' to compare.)"""
    from lark.exceptions import UnexpectedInput

    from sopc.lang.parser import lark_parser

    compared = []
    for path in SOP_FILES:
        text = path.read_text(encoding="utf-8")
        if "\t" in text:
            continue
        try:
            tree = lark_parser().parse(text.replace("\r\n", "\n") + ("" if text.endswith("\n") else "\n"))
        except UnexpectedInput:
            continue
        assert parse_ast(text, "t.sop") == build_ast(tree, "t.sop"), path
        compared.append(path)
    assert len(compared) >= 40, len(compared)
