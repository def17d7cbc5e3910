"""The greeting words a text says (W0302 reads them): the first of the
morning words and the first of the night words, as the text writes them.
"First" is the leftmost place any of them is at, and there the least
word (sopc.checks.cadence._first_of, one regular-expression search)."""

from __future__ import annotations

import random

from sopc.checks import cadence


def _first_by_finding_each(text: str, words: tuple[str, ...]) -> str | None:
    """The rule as written out: every word's first place, the least (place, word)."""
    lowered = text.lower()
    found = [(at, word) for word in words if (at := lowered.find(word)) >= 0]
    if not found:
        return None
    at, word = min(found)
    return text[at:at + len(word)] if len(lowered) == len(text) else word


def test_the_first_greeting_word_is_the_leftmost_and_there_the_least():
    rng = random.Random(7)
    pieces = ["早", "上", "好", "安", "呀", "晚", "good", " ", "morning", "night", "Good ", "NIGHT", "İ", "x",
              "GOOD MORNING", "早安", "早上好"]
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        lowered = text.lower()
        assert cadence._first_of(cadence._MORNING, text, lowered) == _first_by_finding_each(text, cadence.MORNING_WORDS)
        assert cadence._first_of(cadence._NIGHT, text, lowered) == _first_by_finding_each(text, cadence.NIGHT_WORDS)


def test_greeting_words_keep_the_texts_case():
    assert cadence._find_greeting_words("Good Morning, 各位") == ("Good Morning", None)
    assert cadence._find_greeting_words("晚安,早安") == ("早安", "晚安")
    assert cadence._find_greeting_words("福利来啦") is None
