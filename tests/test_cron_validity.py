"""A cron step's expression is valid exactly where croniter takes it: the
plain form sopc tells by itself (sopc.lang.transform._valid_cron) gives
croniter's answer on random expressions around its edges."""

from __future__ import annotations

import random

import pytest
from croniter import croniter

from sopc.lang.transform import _plain_cron_field, _valid_cron, _CRON_FIELD_BOUNDS


def _croniter_says(expression: str) -> bool:
    try:
        return len(expression.split()) == 5 and croniter.is_valid(expression)
    except Exception:  # noqa: BLE001 (as _valid_cron: an error is a no)
        return False


def _item(rng: random.Random, low: int, high: int) -> str:
    """One item of a field bounded by [low, high]: mostly inside, sometimes
    just outside them or of a form croniter reads otherwise."""
    def number() -> str:
        if rng.random() < 0.8:
            return str(rng.randint(low, high))
        return rng.choice((str(low - 1), str(high + 1), "99", "100", f"0{rng.randint(low, high)}"))
    if rng.random() < 0.85:  # the plain form, mostly
        a, b = sorted((rng.randint(low, high), rng.randint(low, high)))
        return rng.choice(("*", f"*/{rng.randint(1, 99)}", str(a), f"{a}-{b}"))
    kind = rng.randrange(6)
    if kind == 0:
        return f"*/{rng.choice((0, 1, 2, 7, 15, 31, 59, 60, 61, 99, 100, 1000))}"
    if kind == 1:
        return number()
    if kind == 2:
        return f"{number()}-{number()}"
    if kind == 3:
        return f"{number()}-{number()}/{rng.choice((0, 1, 2, 5))}"
    if kind == 4:
        return rng.choice(("?", "L", "mon", "MON-FRI", "1#2", "15W", "", "-1", "H", "*/", "1-", "-"))
    return f"{number()}/{rng.choice((1, 2, 5))}"


def _expression(rng: random.Random) -> str:
    bounds = list(_CRON_FIELD_BOUNDS) + [(1970, 2099)]
    fields = [",".join(_item(rng, *bounds[i]) for _ in range(rng.choice((1, 1, 1, 2, 3))))
              for i in range(rng.choice((5, 5, 5, 5, 4, 6)))]
    return " ".join(fields)


@pytest.mark.parametrize("seed", range(8))
def test_valid_cron_gives_croniters_answer(seed):
    rng = random.Random(seed)
    for _ in range(2_500):
        expression = _expression(rng)
        assert _valid_cron(expression) == _croniter_says(expression), expression


def test_the_random_expressions_reach_both_answers_and_the_plain_form():
    rng = random.Random(99)
    expressions = [_expression(rng) for _ in range(5_000)]
    plain = [e for e in expressions if len(e.split()) == 5 and all(map(_plain_cron_field, e.split(), _CRON_FIELD_BOUNDS))]
    assert len(plain) > 500
    assert any(_croniter_says(e) for e in expressions) and not all(_croniter_says(e) for e in expressions)


@pytest.mark.parametrize("expression, valid", [
    ("30 9 * * 1-5", True), ("*/15 9-18 * * *", True), ("0 10 1,15 * *", True), ("0 0 * * 7", True),
    ("0 24 * * *", False), ("60 0 * * *", False), ("0 0 0 * *", False), ("0 0 * 13 *", False), ("0 0 * * 8", False),
    ("*/0 * * * *", False), ("0 9 * *", False), ("0 9 * * * *", False), ("5-1 * * * *", True), ("0 9 * * MON", True),
])
def test_written_forms(expression, valid):
    assert _valid_cron(expression) is valid
    assert _croniter_says(expression) is valid
