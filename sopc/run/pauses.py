"""`sopc pause` / `sopc resume`: a playbook paused or resumed from outside
the runner, in the project's state file.

The runner reads pauses from the store; waking it (SIGUSR1) makes a pause
take effect at once instead of at its next wake.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sopc import pipeline
from sopc.core.diagnostics import did_you_mean
from sopc.core.i18n import _
from sopc.run.runlock import notify_runner, open_state


class UnknownPlaybook(LookupError):
    """The project has no playbook of that name (the message says which it has)."""


def set_paused(project_dir: Path, playbook: str, *, paused: bool, at: dt.datetime,
               state_file: Path | None = None) -> bool:
    """Pause (``paused=True``) or resume ``playbook`` as of ``at``, and wake a
    running runner. False if it already was so."""
    names = [p.name for p in pipeline.build([project_dir]).program.playbooks]
    if playbook not in names:
        hint = did_you_mean(playbook, names) or (_("the playbooks are {names}").format(names=", ".join(names))
                                                 if names else _("the project has no playbooks"))
        raise UnknownPlaybook(_("no playbook `{name}` in {folder}; {hint}").format(name=playbook, folder=project_dir,
                                                                                 hint=hint))
    state, store = open_state(project_dir, state_file, must_exist=False)
    try:
        changed = (store.pause if paused else store.resume)(playbook, at)
    finally:
        store.close()
    notify_runner(state)
    return changed
