"""Diagnostics: problems found in a project, as values.

Every stage (parse, transform, load, checks, plan) reports problems by
appending :class:`Diagnostic` values to a list instead of raising, so one run
shows every problem at once. :mod:`sopc.core.render` prints them.
"""

from __future__ import annotations

import enum
from typing import Iterable

from sopc.core.i18n import _
from sopc.core.records import dataclass


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, slots=True, kw_only=True)
class Span:
    """A range of source text. Lines and columns are 1-based; columns count
    characters (not bytes, not display cells); ``end_column`` is exclusive."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def point(cls, path: str, line: int = 1, column: int = 1) -> "Span":
        return cls(path=path, line=line, column=column, end_line=line, end_column=column + 1)

    def sort_key(self) -> tuple:
        return (self.path, self.line, self.column)


@dataclass(frozen=True, slots=True, kw_only=True)
class Diagnostic:
    severity: Severity
    code: str
    message: str
    span: Span | None = None
    hint: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple:
        span_key = self.span.sort_key() if self.span else ("", 0, 0)
        return (*span_key, self.code, self.message)


def error(code: str, message: str, span: Span | None = None, hint: str | None = None) -> Diagnostic:
    return Diagnostic(severity=Severity.ERROR, code=code, message=message, span=span, hint=hint)


def warning(code: str, message: str, span: Span | None = None, hint: str | None = None) -> Diagnostic:
    return Diagnostic(severity=Severity.WARNING, code=code, message=message, span=span, hint=hint)


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """``"did you mean `x`?"`` for the closest candidate, or None."""
    import difflib  # here: only a mistake needs it, and a clean check's start is shorter without it

    pool = sorted(set(candidates))
    close = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    if not close and word:
        # CJK names are short; a shared character is already a strong hint.
        close = [c for c in pool if len(c) == len(word) and sum(a == b for a, b in zip(c, word)) >= max(1, len(word) - 1)][:1]
    return _("did you mean `{name}`?").format(name=close[0]) if close else None


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)


def sorted_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Stable, de-duplicated order for output."""
    unique = dict.fromkeys(diagnostics)
    return sorted(unique, key=Diagnostic.sort_key)
