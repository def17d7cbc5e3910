"""Stage 5, plan: two plans compared, message by message (`sopc diff`).

Messages are matched by their stable id (a hash of playbook, step, group,
member and the local time the playbook asks for). A message whose id is
gone is then paired, in time order, with a new one of the same playbook,
step, group and member (a step moved from 10:00 to 11:00 changes its ids).
A matched pair may be:

* ``retimed``: it goes out at another time (moved, or deferred otherwise);
* ``retexted``: its text (or kind) changed, shown as a word diff;
* ``retargeted``: its sender, mentions or privacy changed;

and an unmatched message is ``added`` or ``removed``. A pair can be more
than one of these, and counts in each.

Changes that are alike (same playbook, step and kind of change, the same
time shift, the same words replaced) are one :class:`Change` with a count:
a step edited in 1,000 groups is one line, "x1000". A group's own values in
the words replaced (its name, a store no other group has, its owner as a
mention) count as the variable they come from (:class:`GroupWords`), so a
text gaining `{{ group.store }}` changes alike in every group. Comparing is done a
share of the groups at a time if need be (:meth:`PlanDiff.merge` adds the
shares up): messages of different groups never pair.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from sopc.core.diagnostics import Diagnostic
from sopc.core.messages import PlannedMessage
from sopc.core.timeutil import WEEKDAY_CN, format_duration
from sopc.project.roster import Group

KINDS = ("added", "removed", "retimed", "retexted", "retargeted")
TEXT_MEMO_LIMIT = 20_000  # word diffs kept (a text per group and step: bounded all the same)
MOMENT_MEMO_LIMIT = 100_000
MIN_OWN_VALUE = 2  # characters: a one-letter roster value is too likely to be a word of any text

# A word of Latin letters or digits (`9.9`, `don't`, `1+1` is three), a run of
# spaces, or any other single character: Chinese has no spaces, so each
# character is a word of its own.
_TOKEN = re.compile(r"[A-Za-z0-9_]+(?:[.'][A-Za-z0-9_]+)*|\s+|.", re.S)


def tokens(text: str) -> list[str]:
    """``text`` cut into words for a word diff: Latin words and numbers whole,
    spaces as runs, every other character (a Chinese one, punctuation) alone."""
    return _TOKEN.findall(text)


Hunks = tuple[tuple[str, str], ...]  # (old words, new words) of each replaced, dropped or inserted run
Segments = tuple[tuple[str, str], ...]  # ("=", text) | ("-", old) | ("+", new), in order


def word_diff(old: str, new: str) -> tuple[Hunks, Segments]:
    """The words of ``old`` replaced to make ``new``: the hunks alone (alike
    edits in different texts have the same hunks) and the whole text as
    segments."""
    a, b = tokens(old), tokens(new)
    hunks, segments = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        gone, came = "".join(a[i1:i2]), "".join(b[j1:j2])
        if op == "equal":
            segments.append(("=", gone))
            continue
        hunks.append((gone, came))
        if gone:
            segments.append(("-", gone))
        if came:
            segments.append(("+", came))
    return tuple(hunks), tuple(segments)


@dataclass(frozen=True, slots=True)
class GroupWords:
    """What a rendered text or a mention may say of one group, so that an
    edit reads alike in every group: a text gaining `{{ group.store }}` gains
    a different store name in each, and `@owner` a different owner."""

    values: Mapping[str, tuple[tuple[str, str], ...]]  # group id -> (its own value, "{{ group.x }}"), longest first
    owners: Mapping[str, str]                          # group id -> its owner's id

    def alike(self, group: str, text: str) -> str:
        """``text`` with the group's own values written as the variables they come from."""
        for value, name in self.values.get(group, ()):
            if value in text:
                text = text.replace(value, name)
        return text

    def mentions(self, group: str, mentions: tuple[str, ...]) -> tuple[str, ...]:
        owner = self.owners.get(group)
        return tuple(OWNER_WORD if owner is not None and m == owner else m for m in mentions) if owner else mentions


OWNER_WORD = "{{ group.owner }}"
NO_WORDS = GroupWords({}, {})


def group_words(groups: Iterable[Group]) -> GroupWords:
    """:class:`GroupWords` of a roster (or two: BASE's and HEAD's). A value
    is a group's own when no other group has it (its id, its name, a store):
    a city that many groups share is left as it is, as a text may say it
    without a variable."""
    seen: dict[str, dict[str, str]] = {}
    owners: dict[str, str] = {}
    for group in groups:
        if group.owner:
            owners.setdefault(group.id, group.owner)
        mine = seen.setdefault(group.id, {})
        for column, value in (("id", group.id), ("name", group.name), *group.variables.items()):
            if value and len(value) >= MIN_OWN_VALUE:
                mine.setdefault(value, "{{ group.%s }}" % column)
    counts = Counter(value for mine in seen.values() for value in mine)
    values = {gid: tuple(sorted(((v, n) for v, n in mine.items() if counts[v] == 1), key=lambda p: -len(p[0])))
              for gid, mine in seen.items()}
    return GroupWords(values, owners)


def example_key(old: PlannedMessage | None, new: PlannedMessage | None) -> tuple:
    """Which message of a change is its example: the earliest (HEAD's time,
    then BASE's), then by group and member, however the groups were shared out."""
    m, other = new or old, old or new
    return (m.at, other.at, m.group, m.member or "")


@dataclass(slots=True)
class Change:
    """Messages that changed alike: one line of the diff."""

    kind: str                 # one of KINDS
    playbook: str
    step: str
    detail: tuple             # what makes them alike (see PlanDiff._detail_*)
    count: int = 0
    groups: set = field(default_factory=set)
    days: set = field(default_factory=set)
    old: PlannedMessage | None = None   # the example: the earliest such message (by time, group, member)
    new: PlannedMessage | None = None

    @property
    def key(self) -> tuple:
        return (self.kind, self.playbook, self.step, self.detail)

    def example_key(self) -> tuple:
        return example_key(self.old, self.new)

    def take(self, other: "Change") -> None:
        self.count += other.count
        self.groups |= other.groups
        self.days |= other.days
        if other.example_key() < self.example_key():
            self.old, self.new = other.old, other.new


@dataclass
class PlanDiff:
    """Two plans compared (or a share of their groups)."""

    zone: dt.tzinfo                                 # local times, days and time shifts are told in
    words: GroupWords = NO_WORDS                    # the groups' own values, so that alike edits key alike
    old_count: int = 0
    new_count: int = 0
    changes: dict[tuple, Change] = field(default_factory=dict)
    _texts: dict = field(default_factory=dict, repr=False)
    _moments: dict = field(default_factory=dict, repr=False)

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def merge(self, other: "PlanDiff") -> None:
        """Add the diff of other groups to this one."""
        self.old_count += other.old_count
        self.new_count += other.new_count
        for key, change in other.changes.items():
            mine = self.changes.get(key)
            if mine is None:
                self.changes[key] = change
            else:
                mine.take(change)

    def totals(self) -> dict[str, int]:
        counts = dict.fromkeys(KINDS, 0)
        for change in self.changes.values():
            counts[change.kind] += change.count
        return counts

    def by_step(self) -> dict[tuple[str, str], dict[str, int]]:
        """(playbook, step) -> messages per kind of change, sorted."""
        steps: dict[tuple[str, str], dict[str, int]] = {}
        for change in self.changes.values():
            steps.setdefault((change.playbook, change.step), dict.fromkeys(KINDS, 0))[change.kind] += change.count
        return dict(sorted(steps.items()))

    def ordered(self) -> list[Change]:
        """The changes by playbook, step, kind (in :data:`KINDS` order), then time."""
        return sorted(self.changes.values(), key=lambda c: (c.playbook, c.step, KINDS.index(c.kind), c.example_key()))

    # ---- comparing ----------------------------------------------------------------

    def compare(self, old: Iterable[PlannedMessage], new: Iterable[PlannedMessage]) -> "PlanDiff":
        """Add the differences between ``old`` and ``new`` (messages of the
        same groups), matched as the module says."""
        before: dict[str, PlannedMessage] = {}
        for message in old:
            before[message.id] = message
        self.old_count += len(before)
        came: list[PlannedMessage] = []
        for message in new:
            self.new_count += 1
            was = before.pop(message.id, None)
            if was is None:
                came.append(message)
            elif (was.at != message.at or was.text != message.text or was.kind != message.kind
                  or was.sender != message.sender or was.mentions != message.mentions or was.private != message.private):
                self._pair(was, message)
        self._pair_leftovers(list(before.values()), came)
        return self

    def _pair_leftovers(self, gone: list[PlannedMessage], came: list[PlannedMessage]) -> None:
        """Messages with no match by id, paired by playbook, step, group and
        member in time order; the rest are removed or added."""
        by_key: dict[tuple, tuple[list, list]] = {}
        for message in gone:
            by_key.setdefault(_who(message), ([], []))[0].append(message)
        for message in came:
            by_key.setdefault(_who(message), ([], []))[1].append(message)
        for olds, news in by_key.values():
            olds.sort(key=_when)
            news.sort(key=_when)
            for was, now in zip(olds, news):
                self._pair(was, now)
            for was in olds[len(news):]:
                self._add("removed", was, None, (self._local(was.at)[1], was.kind))
            for now in news[len(olds):]:
                self._add("added", None, now, (self._local(now.at)[1], now.kind))

    def _pair(self, was: PlannedMessage, now: PlannedMessage) -> None:
        if was.at != now.at:
            shift = int((now.at - was.at).total_seconds())
            self._add("retimed", was, now, (self._local(was.at)[1], self._local(now.at)[1], shift))
        if was.text != now.text or was.kind != now.kind:
            alike = self.words.alike
            hunks = tuple((alike(now.group, a), alike(now.group, b)) for a, b in self.text_change(was.text, now.text)[0])
            self._add("retexted", was, now, (hunks, was.kind, now.kind))
        if (was.sender, was.mentions, was.private) != (now.sender, now.mentions, now.private):
            mentions = self.words.mentions
            self._add("retargeted", was, now, ((was.sender, mentions(was.group, was.mentions), was.private),
                                               (now.sender, mentions(now.group, now.mentions), now.private)))

    def travel_light(self) -> None:
        """Drop what only comparing needs (remembered word diffs and times,
        the groups' words) before this diff goes to another process."""
        self._texts, self._moments, self.words = {}, {}, NO_WORDS

    def text_change(self, old: str, new: str) -> tuple[Hunks, Segments]:
        """:func:`word_diff`, remembered (the same pair of texts comes back
        day after day)."""
        found = self._texts.get((old, new))
        if found is None:
            if len(self._texts) >= TEXT_MEMO_LIMIT:
                self._texts.clear()
            found = self._texts[(old, new)] = word_diff(old, new)
        return found

    def _add(self, kind: str, was: PlannedMessage | None, now: PlannedMessage | None, detail: tuple) -> None:
        m = now or was
        key = (kind, m.playbook, m.step, detail)
        change = self.changes.get(key)
        if change is None:
            change = self.changes[key] = Change(kind, m.playbook, m.step, detail, old=was, new=now)
        elif m.at <= (change.new or change.old).at and example_key(was, now) < change.example_key():
            change.old, change.new = was, now
        change.count += 1
        change.groups.add(m.group)
        change.days.add(self._local(m.at)[2])

    def _local(self, moment: dt.datetime) -> tuple[dt.datetime, str, dt.date]:
        """(``moment``, its local HH:MM, its local day). The messages of one
        slot share their ``at`` object, so this is worked out once a slot."""
        found = self._moments.get(id(moment))
        if found is None or found[0] is not moment:
            if len(self._moments) >= MOMENT_MEMO_LIMIT:
                self._moments.clear()
            local = moment.astimezone(self.zone)
            found = self._moments[id(moment)] = (moment, local.strftime("%H:%M"), local.date())
        return found


@dataclass
class DiffReport:
    """What `sopc diff` tells: the plan compared over a window, and the
    diagnostics new in HEAD (paths as in the user's project)."""

    base: str                  # how each side is named (`main (1a2b3c4)`, `working tree`, a folder)
    head: str
    project: str               # the project folder, as the user names it
    start: dt.datetime         # the window compared: [start, end)
    end: dt.datetime
    zone: dt.tzinfo            # HEAD's: local times are told in it
    plan: PlanDiff | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # file texts for the diagnostics' snippets
    problem: str | None = None  # why the plans could not be compared (then ``plan`` is None)

    @property
    def title(self) -> str:
        """The project's folder, by name when it is the current folder (`.`)."""
        return Path.cwd().name if self.project == "." else self.project

    @property
    def changed(self) -> bool:
        """Anything to show: a changed plan or a new diagnostic."""
        return bool(self.diagnostics) or (self.plan is not None and self.plan.changed)


def _who(m: PlannedMessage) -> tuple:
    return (m.playbook, m.step, m.group, m.member)


def _when(m: PlannedMessage) -> dt.datetime:
    return m.at


def day_and_time(moment: dt.datetime, zone) -> str:
    """``2026-11-23 周一 10:00`` in ``zone``."""
    local = moment.astimezone(zone)
    return f"{local:%Y-%m-%d} {WEEKDAY_CN[local.weekday()]} {local:%H:%M}"


def shift_text(seconds: int) -> str:
    """``+1h``, ``-30m``, ``+1d2h``."""
    sign = "-" if seconds < 0 else "+"
    return sign + format_duration(dt.timedelta(seconds=abs(seconds)))

