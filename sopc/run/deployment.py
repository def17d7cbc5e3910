"""Stage 7, run: the project as the runner runs it right now.

A :class:`Deployment` is one compiled build with the senders built for it.
The runner makes a new one at start and after each sound edit and hands it to
the planner, the worker and the confirmation poller; none of them compiles or
builds senders itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import field
from typing import Mapping

from sopc import pipeline
from sopc.compile.resolve import CompiledPlaybook
from sopc.core.records import dataclass
from sopc.project.roster import Group
from sopc.senders.base import Sender, SenderRuntime
from sopc.senders.pool import SenderPool

DEFAULT_GRACE = dt.timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Deployment:
    build: pipeline.Build
    pool: SenderPool
    playbooks: Mapping[str, CompiledPlaybook] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "playbooks", {p.name: p for p in self.build.program.playbooks})

    @property
    def groups(self) -> Mapping[str, Group]:
        """The roster's groups by id."""
        return self.build.project.roster.by_id

    def grace(self) -> dt.timedelta:
        """The longest grace of any playbook: how far back the plan window reaches."""
        return max([p.policy.grace for p in self.playbooks.values()], default=DEFAULT_GRACE)

    def local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(self.build.zone)

    def sender_names(self) -> set[str]:
        """Every sender a playbook of this build sends through."""
        program = self.build.program
        posts = {program.sender_for(p, g) for p in program.playbooks for g in p.groups}
        return posts | {p.staff_sender for p in program.playbooks if p.staff_sender and p.groups}


def deploy(build: pipeline.Build, previous: Deployment | None, *, env: Mapping[str, str],
           runtime: SenderRuntime | None, override: Sender | None) -> Deployment:
    """``build`` ready to run. The senders are built anew only when
    sopc.toml's sender settings changed: an edit to a playbook keeps the
    open connections (and the rate limits' memory)."""
    if previous is not None and _sender_settings(previous.pool.config) == _sender_settings(build.project.config):
        return Deployment(build, previous.pool)
    addresses = [g.address for g in build.project.roster.groups if g.address]
    pool = SenderPool(build.project.config, env, runtime=runtime, override=override, group_addresses=addresses)
    return Deployment(build, pool)


def _sender_settings(config) -> dict:
    return {name: (s.kind, repr(sorted(s.settings.items()))) for name, s in config.senders.items()}
