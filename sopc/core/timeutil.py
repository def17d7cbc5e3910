"""Time helpers shared by the transform, check and plan stages.

Leaf module: durations (``90s``, ``1d12h``), time-zone lookup, and the rule
that turns a playbook's local wall-clock time into a real instant.

Wall-clock rule (part of the .sop language semantics):

* A local time that does not exist because the clocks jump forward (the
  spring-forward gap, e.g. 02:30 on 2026-03-08 in America/New_York) is moved
  forward by the length of the jump: 02:30 becomes 03:30 EDT.
* A local time that happens twice because the clocks go back (e.g. 01:30 on
  2026-11-01 in America/New_York) means the first of the two, i.e. the one
  still on summer time (01:30 EDT, -04:00).
* Every other local time means exactly what it says.

Time range: every date and time that enters sopc lies between
:data:`~sopc.core.limits.FIRST_DAY` and :data:`~sopc.core.limits.LAST_DAY`
(2000-01-01 to 2099-12-31); :func:`range_problem` says why one does not, and
each reader refuses it with that message.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from typing import Iterable, Iterator

from sopc.core.i18n import _
from sopc.core.memo import forgotten_with_the_rest
from sopc.core.limits import FIRST_DAY, LAST_DAY, MAX_DIGITS, day_range_text
from sopc.core.vocabulary import DEFAULT_ZONE, WEEKDAY_CN

__all__ = [
    "WEEKDAY_CN",
    "format_duration",
    "is_ambiguous",
    "is_nonexistent",
    "known_zone_names",
    "load_zone",
    "localize",
    "zone_or_default",
    "parse_duration",
    "range_problem",
    "weekday_cn",
]

# ---- durations -----------------------------------------------------------------

# [0-9] rather than \d: \d also matches non-ASCII digits such as "٣".
_DURATION_RE = re.compile(
    r"(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?"
)
_UNIT_SECONDS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def parse_duration(text: str) -> dt.timedelta | None:
    """Parse ``90s``, ``10m``, ``1d12h``, ``1h30m`` or a bare ``0``.

    Units are d, h, m, s; each may appear once, in that order. Anything else
    (``5x``, ``1m1d``, ``3 h``, ``""``, a sign) gives None.
    """
    if not isinstance(text, str):
        return None
    return _parsed_duration(text)


@functools.lru_cache(maxsize=1024)  # a project writes a dozen durations, each hundreds of times (`T+15m`)
def _parsed_duration(text: str) -> dt.timedelta | None:
    if text == "0":
        return dt.timedelta(0)
    match = _DURATION_RE.fullmatch(text)
    # The all-optional pattern also matches "": require at least one unit.
    if match is None or not text:
        return None
    if any(g and len(g) > MAX_DIGITS for g in match.groups()):  # int() of 4,301 digits raises; no timedelta holds 31
        return None
    days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    try:
        return dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    except OverflowError:
        return None


forgotten_with_the_rest(_parsed_duration.cache_clear)


def format_duration(delta: dt.timedelta) -> str:
    """Canonical text for a duration: ``1d12h``, ``0``, ``-3h``.

    The inverse of :func:`parse_duration` for non-negative whole-second
    values. Sub-second parts are dropped (sopc durations are whole seconds).
    """
    total = delta.days * 86400 + delta.seconds  # floors toward -infinity
    if delta.microseconds and total < 0:
        total += 1  # drop the fraction toward zero, so -1.5s is "-1s"
    if total == 0:
        return "0"
    sign = "-" if total < 0 else ""
    remaining = abs(total)
    parts = []
    for unit, size in _UNIT_SECONDS:
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count}{unit}")
    return sign + "".join(parts)


# ---- the time range ----------------------------------------------------------------

def range_problem(value: dt.date | dt.datetime) -> str | None:
    """Why ``value`` is outside the days sopc plans in, or None when it is
    inside. A datetime is judged by its own date as written (its offset
    moves it by less than a day, far from datetime's limits), so this never
    does the arithmetic that would overflow near year 1 or 9999."""
    day = value.date() if isinstance(value, dt.datetime) else value
    if FIRST_DAY <= day <= LAST_DAY:
        return None
    return _("{day} is outside the dates sopc plans ({years})").format(day=day.isoformat(), years=day_range_text())


# ---- zones -----------------------------------------------------------------------

@functools.lru_cache(maxsize=1024)
def zone_or_default(name: str | None) -> dt.tzinfo:
    """The zone ``name``, or the default zone when it is missing or unknown
    (sopc.toml's own check reports an unknown name)."""
    return (load_zone(name) if name else None) or load_zone(DEFAULT_ZONE)


def load_zone(name: str) -> zoneinfo.ZoneInfo | None:
    """The IANA zone called ``name``, or None if there is no such zone.

    Never raises: path tricks (``../etc``), directories (``Asia``), non-zone
    data files (``zone.tab``) and malformed names all give None.
    """
    if not isinstance(name, str) or not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    # ValueError: malformed key or not a TZif file; LookupError: not found;
    # OSError: a directory, a too-long name and similar file-system refusals.
    except (ValueError, LookupError, OSError):
        return None


@functools.lru_cache(maxsize=1)
def _zone_names() -> tuple[str, ...]:
    # available_timezones() walks the tz database on disk: do it once.
    return tuple(sorted(zoneinfo.available_timezones()))


def known_zone_names() -> list[str]:
    """All zone names this machine knows, sorted (for did-you-mean hints)."""
    return list(_zone_names())


# ---- wall clock to instant ---------------------------------------------------------

_DAY = dt.timedelta(days=1)


@functools.lru_cache(maxsize=4096)
def _transition_ordinals(zone: dt.tzinfo, year: int) -> frozenset[int]:
    """Ordinals of the local dates around ``year`` on which ``zone``'s UTC
    offset changes (empty for zones like Asia/Shanghai).

    Compares the offset at local noon of each day with the next day's: a
    change in between marks both days. Computed once per zone and year so
    that :func:`localize` can skip the gap/overlap tests on all other days.
    """
    # One day either side: a jump just after midnight on January 1 shows
    # only against December 31. Years 1 and 9999 have no neighbour.
    first = dt.date(year - 1, 12, 31) if year > dt.MINYEAR else dt.date(year, 1, 1)
    last = dt.date(year + 1, 1, 1) if year < dt.MAXYEAR else dt.date(year, 12, 31)
    marked: set[int] = set()
    day = first
    offset = _noon_offset(day, zone)
    while day < last:
        following = day + _DAY
        following_offset = _noon_offset(following, zone)
        if following_offset != offset:
            marked.update((day.toordinal(), following.toordinal()))
        day, offset = following, following_offset
    return frozenset(marked)


def _noon_offset(day: dt.date, zone: dt.tzinfo) -> dt.timedelta | None:
    return dt.datetime(day.year, day.month, day.day, 12, tzinfo=zone).utcoffset()


def _check_naive(wall: dt.datetime) -> None:
    if wall.tzinfo is not None:
        raise ValueError(f"expected a naive wall-clock time, got {wall.isoformat()}")


def _fold_offsets(aware: dt.datetime) -> tuple[dt.timedelta, dt.timedelta]:
    """UTC offsets of ``aware`` (fold=0) read with fold=0 and fold=1.

    They differ only around a transition: in a gap fold=0 gives the smaller
    offset from before the jump; in an overlap fold=0 gives the larger offset
    of the first occurrence.
    """
    return aware.utcoffset(), aware.replace(fold=1).utcoffset()


def _near_transition(wall: dt.datetime, zone: dt.tzinfo) -> bool:
    return wall.toordinal() in _transition_ordinals(zone, wall.year)


def localize(wall: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """Turn a naive local wall-clock time into an aware datetime in ``zone``.

    Follows the module's rule: a time in a spring-forward gap moves forward by
    the gap; a time that happens twice means the first occurrence.
    """
    _check_naive(wall)
    # fold=0 is already the answer for ordinary times and overlaps.
    aware = wall.replace(tzinfo=zone, fold=0)
    if not _near_transition(wall, zone):
        return aware
    offset_first, offset_second = _fold_offsets(aware)
    if offset_first >= offset_second:
        return aware
    # Gap. fold=0 read the wall time with the pre-jump offset; that instant,
    # shown in the zone, is the wall time plus the length of the gap.
    return aware.astimezone(dt.timezone.utc).astimezone(zone)


def localize_each(walls: Iterable[dt.datetime], zone: dt.tzinfo) -> Iterator[dt.datetime]:
    """:func:`localize` of each of ``walls`` (a schedule's firing times, a
    window's worth): the zone's transition days are looked up once a year
    of them, not once a time."""
    year, near = None, frozenset()
    for wall in walls:
        if wall.year != year:
            year, near = wall.year, _transition_ordinals(zone, wall.year)
        if wall.tzinfo is None and wall.toordinal() not in near:
            yield wall.replace(tzinfo=zone, fold=0)
        else:
            yield localize(wall, zone)


def is_nonexistent(wall: dt.datetime, zone: dt.tzinfo) -> bool:
    """True if ``wall`` never shows on clocks in ``zone`` (spring-forward gap)."""
    _check_naive(wall)
    if not _near_transition(wall, zone):
        return False
    offset_first, offset_second = _fold_offsets(wall.replace(tzinfo=zone, fold=0))
    return offset_first < offset_second


def is_ambiguous(wall: dt.datetime, zone: dt.tzinfo) -> bool:
    """True if ``wall`` shows twice on clocks in ``zone`` (fall-back overlap)."""
    _check_naive(wall)
    if not _near_transition(wall, zone):
        return False
    offset_first, offset_second = _fold_offsets(wall.replace(tzinfo=zone, fold=0))
    return offset_first > offset_second


def clock_text(moment: dt.datetime | dt.time) -> str:
    """``HH:MM``, as ``strftime("%H:%M")`` writes it at a fraction of its cost
    (it runs once per render of a plan)."""
    return f"{moment.hour:02d}:{moment.minute:02d}"


def weekday_cn(day: dt.date) -> str:
    """Chinese weekday name: 周一 .. 周日."""
    return WEEKDAY_CN[day.weekday()]
