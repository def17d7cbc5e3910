"""Groups that are planned alike, for checks over the plan of a big roster.

Two groups reached by the same schedules and launches (the same playbooks,
the same `run` lines), through the same sender and with no events of their
own, get their posts at exactly the same moments. Whatever the timing rules
say of one (too many posts in a day, two too close together, too many
企业群发 sends) they say of the other. The cadence check therefore walks the
plan for one group of each class, its representative, and counts what it
finds there once for every group of the class: with 100,000 groups on a few
playbooks, a few classes instead of 100,000 timelines.

Texts are another matter (a template reading `group` differs per group):
see :mod:`sopc.checks.group_texts`.
"""

from __future__ import annotations

from typing import Callable, Iterable, Sequence

from sopc.compile.resolve import Program
from sopc.project.roster import Group


class Alike:
    """Every group of the program's audiences, sorted into classes; each class
    is represented by its first group in id order (the order groups have in
    every slot), so the first finding the representatives give is the first
    all the groups would give."""

    def __init__(self, program: Program, events: Sequence = (), alone: frozenset[str] = frozenset(),
                 stages: Callable[[str], tuple] | None = None, staged: frozenset[str] = frozenset()):
        """``alone``: ids of groups each in a class of its own (besides those
        with events). ``stages``: a group id -> its stages over the window
        (:meth:`~sopc.plan.lifecycle_state.LifecycleState.stages_between`),
        asked for the ``staged`` groups (those `in stage` steps reach): they
        are alike only if their stages are, whatever their `created` day."""
        keys: dict[int, list] = {}
        groups: dict[int, Group] = {}
        for playbook in program.playbooks:
            if playbook.schedule:
                _note(keys, groups, playbook.groups, ("schedule", playbook.name))
            for launch in playbook.launches:
                _note(keys, groups, launch.groups, ("launch", id(launch)))
        with_events = {getattr(event, "group", None) for event in events} | alone
        classes: dict[tuple, list[Group]] = {}
        for key, sources in keys.items():
            group = groups[key]
            alone = (group.id,) if group.id in with_events else ()  # events plan for one group
            timeline = stages(group.id) if stages is not None and group.id in staged and not alone else ()
            classes.setdefault((tuple(sources), group.sender, alone, timeline), []).append(group)
        self._size: dict[int, int] = {}      # id(representative) -> groups in its class
        self._rep_of: dict[int, Group] = {}  # id(group) -> its class's representative
        for members in classes.values():
            members.sort(key=lambda g: g.id)
            representative = members[0]
            self._size[id(representative)] = len(members)
            for member in members:
                self._rep_of[id(member)] = representative
        self._reps_in: dict[int, tuple[tuple[Group, ...], tuple]] = {}

    def size(self, group: Group) -> int:
        """How many groups ``group`` stands for (1 for a group outside every class)."""
        return self._size.get(id(group), 1)

    @property
    def representative_ids(self) -> set[int] | dict[int, int]:
        """``id(group) in representative_ids``: whether a group of some class represents it."""
        return self._size

    def is_representative(self, group: Group) -> bool:
        return id(group) in self._size or id(group) not in self._rep_of

    def representatives(self, groups: tuple[Group, ...]) -> tuple[Group, ...]:
        """The representatives among a slot's groups, in their order; worked
        out once per groups tuple (a playbook's or a launch's, shared by all
        its slots), not once per slot."""
        cached = self._reps_in.get(id(groups))
        if cached is None or cached[1] is not groups:
            cached = self._reps_in[id(groups)] = (tuple(g for g in groups if self.is_representative(g)), groups)
        return cached[0]


def _note(keys: dict[int, list], groups: dict[int, Group], reached: Iterable[Group], source: tuple) -> None:
    for group in reached:
        key = id(group)
        if key not in keys:
            keys[key] = []
            groups[key] = group
        keys[key].append(source)
