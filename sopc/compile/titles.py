"""What a step is called where members read it: the welcome's
``schedule_summary`` ("周一 10:00 新人券包"), never its internal name
(``coupon_pack``).

A step's title, first that applies:

1. its ``title=`` variable: ``周一 10:00 coupon_pack template "coupon.j2" title=新人券包``;
2. its name, when the operator named it in words (anything but ASCII:
   ``周三 10:00 五折日 "..."``);
3. the first words of its text (inline, a named ``template`` or a template
   file): up to the first punctuation, template expressions left out, at
   most :data:`MAX_TITLE` characters: ``"💳 周三五折日:今天..."`` -> ``周三五折日``.

A step with none of these (an ASCII name and a text of variables only) has
no title: the summary leaves it out rather than show its name to members.
"""

from __future__ import annotations

import re
import unicodedata

from sopc.compile.jinja_tags import without_tags
from sopc.compile.templates import TemplateStore
from sopc.core.memo import kept_for_short_texts
from sopc.lang import ast

TITLE_KEY = "title"
MAX_TITLE = 16
_STOP = re.compile(r"[:：,，。!！?？;；、\n(（)）【】「」]")
_SPACES = re.compile(r"\s+")


def step_title(name: ast.Name, body: ast.StepBody, templates: TemplateStore | None = None) -> str | None:
    """The step's title for members, or None if it has no words for them
    (an action is not sent to members: None)."""
    if not isinstance(body, ast.Message):
        return None
    for assignment in body.variables:
        if assignment.key == TITLE_KEY and str(assignment.value).strip():
            return str(assignment.value).strip()
    if not name.value.isascii():
        return name.value
    source = _source(body.content, templates)
    return first_words(source) if source else None


@kept_for_short_texts(maxsize=1024)  # a project's texts repeat across its playbooks' summaries
def first_words(source: str) -> str | None:
    """The first phrase of a template's text, without its expressions, tags,
    emoji and symbols; None if no words are left."""
    text = without_tags(source)
    start = next((i for i, char in enumerate(text) if _is_word(char)), None)
    if start is None:
        return None
    phrase = _STOP.split(text[start:], maxsplit=1)[0]
    phrase = "".join(char for char in phrase if _is_word(char) or char == " ").strip()
    phrase = _SPACES.sub(" ", phrase)
    if not phrase:
        return None
    return phrase if len(phrase) <= MAX_TITLE else phrase[:MAX_TITLE] + "…"


def _is_word(char: str) -> bool:
    """A letter or a digit (Chinese characters are letters): not an emoji, a symbol or punctuation."""
    return unicodedata.category(char)[0] in "LN"


def _source(content: ast.Content, templates: TemplateStore | None) -> str | None:
    if isinstance(content, ast.InlineText):
        return content.text
    if templates is None:
        return None
    return templates.source_of(content)
