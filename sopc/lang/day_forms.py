"""Weekdays written almost as the grammar reads them: what to write instead.

The grammar (``grammar/sop.lark``) reads days the way operators write them:
``周一``, ``每周一``, ``周一到周五`` (also ``至``, ``-``, ``~``, ``..``),
``周一三五``, ``周一、周三、周五``. A line that comes close (``周一到五``,
``周1``, ``星期八``, ``周一到``, ``每周八``, ``周一至至周五``, ``每周一、三``)
fails to parse; :func:`day_form_problem` turns that syntax error into E0140,
at the words that are off, with the form to write instead. It reads only the
failing token, what the parser expected there and the text before it on the
line.
"""

from __future__ import annotations

import re

from lark import Token

from sopc.core.diagnostics import Diagnostic, Span, error
from sopc.core.i18n import N_, _

CODE = "E0140"
LOOK_BACK = 64  # characters before the failing token: more than any day form needs
NUMERALS = "一二三四五六日天"
ARABIC = {"1": "一", "2": "二", "3": "三", "4": "四", "5": "五", "6": "六", "7": "日", "0": "日"}
SEPARATORS = ("..", "到", "至", "-", "~", "～", "－")

# A weekday, a range's first day and its separator, right before the failing token.
_RANGE_OPEN = re.compile(r"(?P<first>(?P<prefix>每?(?:周|星期|礼拜))[一二三四五六日天]|[a-z]+)[ \t\u3000]*"
                         r"(?P<sep>\.\.|到|至|-|~|～|－)[ \t\u3000]*$")
# A whole range, right before the failing token.
_RANGE_CLOSED = re.compile(r"(每?(?:周|星期|礼拜)[一二三四五六日天]|[a-z]+)[ \t\u3000]*(\.\.|到|至|-|~|～|－)"
                           r"[ \t\u3000]*(每?(?:周|星期|礼拜)[一二三四五六日天]|[a-z]+)[ \t\u3000]*$")
# A day list's last item and separator, right before the failing token.
_LIST_OPEN = re.compile(r"(?P<prefix>每?(?:周|星期|礼拜))(?P<days>[一二三四五六日天]+)[ \t\u3000]*(?P<sep>[,、])"
                        r"[ \t\u3000]*$")
# The weekday-like word at the start of a token.
_DAY_WORD = re.compile(r"(?P<prefix>每?(?:周|星期|礼拜))(?P<rest>[^\s,、，\"#@]*)")
_STARTS_WITH_DAY = re.compile(r"每?(周|星期|礼拜)[一二三四五六日天]|(mon|tue|wed|thu|fri|sat|sun)")
NOT_A_DAY = "七八九十零〇89"
_SEVEN = N_("a week has seven days: 周一 … 周六, and 周日 (or 周天)")


def day_form_problem(token: Token, expected: set[str], lines: list[str], path: str) -> Diagnostic | None:
    """E0140 for a day written in a form close to one the grammar reads, or
    None when the syntax error is about something else. ``expected``: the
    names of the terminals the parser expected, and the words of the
    anonymous ones (`、`)."""
    line = lines[token.line - 1] if 0 < token.line <= len(lines) else ""
    before = line[:token.column - 1] if token.type not in ("_NL", "$END") else line.rstrip(" \t\u3000#")
    # what comes right before is all these forms look at: a bounded tail, so a long line costs no more
    skipped = max(0, len(before) - LOOK_BACK)
    line, before = line[skipped:], before[skipped:]
    value = "" if token.type in ("_NL", "$END") else str(token.value)
    if "、" in expected and "TIME" in expected:
        return _range_goes_on(token, value, before, path)
    if not expected & {"WEEKDAY", "WEEKDAY_RUN"}:
        return None
    opened = _RANGE_OPEN.search(before) if expected <= {"WEEKDAY", "_DEDENT"} else None
    if opened:
        return _range_end(opened, token, value, line, skipped, path)
    listed = _LIST_OPEN.search(before)
    if listed and _bare_day(token, value):
        day, prefix, written = ARABIC.get(value[0], value[0]), listed.group("prefix"), listed.group().strip()
        bare = prefix.lstrip("每")
        return error(CODE, _("`{day}` after `{written}` is not a weekday on its own").format(day=value[0], written=written),
                     _token_span(token, path, 1),
                     _("write the day in full, `{full}`, or the days after one `{prefix}`: `{run}`").format(
                         full=f"{written}{bare}{day}", prefix=bare, run=f"{prefix}{listed.group('days')}{day}"))
    word = _DAY_WORD.match(value)
    if word:
        return _unknown_weekday(word, token, path)
    return None


def _range_goes_on(token: Token, value: str, before: str, path: str) -> Diagnostic | None:
    """`周一到周五到周日`: a second separator after a whole range."""
    closed = _RANGE_CLOSED.search(before)
    separator = next((s for s in SEPARATORS if value.startswith(s)), None)
    if closed is None or separator is None:
        return None
    rest = value[len(separator):]
    if _STARTS_WITH_DAY.match(rest):
        hint = _("to add more days, join them with `、`: `{fixed}`").format(fixed=f"{closed.group().strip()}、{rest}")
    else:
        hint = _("to add more days, join them with `、`, e.g. `周一到周五、周日`")
    return error(CODE, _("`{written}`: a range has two ends").format(written=f"{closed.group().strip()}{separator}"),
                 _token_span(token, path, len(separator)), hint)


def _range_end(opened: re.Match, token: Token, value: str, line: str, skipped: int, path: str) -> Diagnostic:
    """The token after `周一到`: not a weekday."""
    first, separator, prefix = opened.group("first"), opened.group("sep"), opened.group("prefix") or ""
    written = opened.group().strip()
    if _bare_day(token, value) and prefix:
        last = prefix.lstrip("每") + ARABIC.get(value[0], value[0])
        return error(CODE, _("`{written}`: the last day of a range is written in full, like the first").format(
                         written=f"{written}{value[0]}"),
                     _token_span(token, path, 1), _("write `{fixed}`").format(fixed=f"{first}{separator}{last}"))
    doubled = next((s for s in SEPARATORS if value.startswith(s)), None)
    if doubled:
        rest = value[len(doubled):]
        if _STARTS_WITH_DAY.match(rest):
            fix = _("write `{fixed}`").format(fixed=f"{first}{separator}{rest}")
        else:
            fix = _("write one word between the days, e.g. `{example}`").format(
                example=f"{first}{separator}{_example_last(first, prefix)}")
        return error(CODE, _("`{written}`: `{doubled}` after `{separator}`; a range has one word between "
                             "its days").format(written=f"{written}{doubled}", doubled=doubled, separator=separator),
                     _token_span(token, path, len(doubled)), fix)
    if value and value[0] in NOT_A_DAY:
        return error(CODE, _("`{written}`: `{day}` is not a day of the week").format(
                         written=f"{written}{value[0]}", day=value[0]),
                     _token_span(token, path, 1), _("{seven}: write e.g. `{example}`").format(
                         seven=_(_SEVEN), example=f"{first}{separator}{_example_last(first, prefix)}"))
    if _DAY_WORD.match(value) and not value.startswith("每"):
        return _unknown_weekday(_DAY_WORD.match(value), token, path)
    start = skipped + opened.start("first") + 1
    span = Span(path=path, line=token.line, column=start, end_line=token.line,
                end_column=start + len(line[opened.start("first"):opened.end("sep")]))
    example = _example_last(first, prefix)
    return error(CODE, _("the range `{written}` has no last day").format(written=written), span,
                 _("write the day it runs to after `{separator}`, e.g. `{example}`").format(
                     separator=separator, example=f"{first}{separator}{example}"))


def _example_last(first: str, prefix: str) -> str:
    """A last day to show after ``first`` in an example range: Friday, or Sunday after Friday."""
    if prefix:
        return prefix.lstrip("每") + ("日" if first.endswith("五") else "五")
    return "sun" if first.startswith("fri") else "fri"  # mon..


def _bare_day(token: Token, value: str) -> bool:
    """Whether the token starts with a day's numeral alone (`五`, `5`), not a time (`10:00`)."""
    return bool(value) and token.type != "TIME" and (value[0] in NUMERALS or value[0] in ARABIC) \
        and not re.match(r"\d+:", value)


def _unknown_weekday(word: re.Match, token: Token, path: str) -> Diagnostic:
    text, prefix, rest = word.group(), word.group("prefix"), word.group("rest")
    span = _token_span(token, path, len(text))
    if rest and all(c in ARABIC for c in rest):
        fixed = prefix + "".join(ARABIC[c] for c in rest)
        return error(CODE, _("unknown weekday `{text}`: weekdays are written with Chinese numerals").format(text=text),
                     span, _("write `{fixed}`").format(fixed=fixed))
    wrong = next((c for c in rest if c not in NUMERALS), None)
    if wrong is None and rest:
        return error(CODE, _("unknown weekday `{text}`").format(text=text), span, _(_SEVEN))
    if wrong is None:
        return error(CODE, _("`{text}` names no day").format(text=text), span,
                     _("write the day after `{prefix}`, e.g. `{example}`").format(prefix=prefix, example=f"{prefix}一"))
    return error(CODE, _("unknown weekday `{text}`").format(text=text), span,
                 _("`{wrong}` is not a day of the week; {seven}: write e.g. `{example}`, `周一到周五` or `每周一三五`").format(
                     wrong=wrong, seven=_(_SEVEN), example=f"{prefix}一"))


def _token_span(token: Token, path: str, width: int) -> Span:
    width = max(1, width)
    return Span(path=path, line=token.line, column=token.column, end_line=token.line, end_column=token.column + width)
