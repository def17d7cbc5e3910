"""Editor support for .sop files: a Pygments lexer (`pygmentize -l sop`,
Sphinx, MkDocs) beside the TextMate grammar in editors/.

Nothing in sopc's pipeline imports this package, and it imports nothing of
sopc's: Pygments loads it without the compiler. Its word lists and regexes
(grammar_words.py) are generated from grammar/sop.lark by tools/gen_editors.py.
"""
