"""A bounded memo for the results of pure functions of a text (a parsed
.sop file, a compiled template): kept for the process up to a number of
characters of text, the least recently used going first.

Stage: core (stdlib only).
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from typing import Callable, Generic, Hashable, TypeVar

Value = TypeVar("Value")


class TextMemo(Generic[Value]):
    def __init__(self, limit_chars: int) -> None:
        self.limit_chars = limit_chars
        self.chars = 0  # of the texts kept
        self._kept: OrderedDict[Hashable, tuple[int, Value]] = OrderedDict()
        _MEMOS.append(self)

    def clear(self) -> None:
        self._kept.clear()
        self.chars = 0

    def __len__(self) -> int:
        return len(self._kept)

    def get(self, key: Hashable) -> Value | None:
        kept = self._kept.get(key)
        if kept is None:
            return None
        self._kept.move_to_end(key)
        return kept[1]

    def put(self, key: Hashable, chars: int, value: Value) -> Value:
        """Keep ``value``, made from ``chars`` characters of text; returns it."""
        self._kept[key] = (chars, value)
        self.chars += chars
        while self.chars > self.limit_chars and len(self._kept) > 1:
            _key, (dropped, _value) = self._kept.popitem(last=False)
            self.chars -= dropped
        return value


_MEMOS: list[TextMemo] = []
_OTHER_MEMOS: list[Callable[[], None]] = []


def forgotten_with_the_rest(clear: Callable[[], None]) -> Callable[[], None]:
    """Register ``clear`` (a memo's emptying: of schedules' firing times,
    of the words in texts) to be called by :func:`forget_all`; returns it."""
    _OTHER_MEMOS.append(clear)
    return clear


SHORT_TEXT_CHARS = 1_000  # longer texts are not held by a memo of short texts


def kept_for_short_texts(maxsize: int) -> Callable[[Callable[[str], Value]], Callable[[str], Value]]:
    """A pure function of one text, remembered for the last ``maxsize``
    texts of at most SHORT_TEXT_CHARS (a project's texts repeat across its
    steps and days); a longer text is worked out each time, so the memo
    never holds ``maxsize`` long ones. Emptied by :func:`forget_all`; the
    memo itself is the result's ``memo`` (an ``lru_cache``)."""
    def decorate(function: Callable[[str], Value]) -> Callable[[str], Value]:
        memo = functools.lru_cache(maxsize=maxsize)(function)
        forgotten_with_the_rest(memo.cache_clear)

        @functools.wraps(function)
        def kept(text: str) -> Value:
            return memo(text) if len(text) <= SHORT_TEXT_CHARS else function(text)
        kept.memo = memo  # type: ignore[attr-defined]
        return kept
    return decorate


def forget_all() -> None:
    """Empty every memo of what the process worked out from a project (its
    texts, templates, schedules): a benchmark's next run then costs what a
    fresh `sopc check` does. (Memos of fixed data, such as the holiday
    calendar's days, are kept: a fresh process reads those the same way.)"""
    for memo in _MEMOS:
        memo.clear()
    for clear in _OTHER_MEMOS:
        clear()
