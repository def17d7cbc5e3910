"""sopc's command line run inside the test process, with click's CliRunner.

The same ``sopc.cli.cli`` a user's ``sopc`` runs, with its exit code, stdout
and stderr kept apart (click 8.2+), but without a new interpreter importing
everything again for each command. A few tests still start real processes
where only a process shows the behaviour (the installed command, SIGKILL,
signals, a runner running beside the commands).

A bug in sopc raises here instead of becoming exit 70 (as ``sopc.cli.main``
makes it for users): the test fails showing the traceback.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Mapping

from click.testing import CliRunner, Result

from sopc.cli import cli

# What a user's shell would not set for these tests: no injected clock, no
# debug, no other state file, no colour.
CLEAN_ENV: dict[str, str | None] = {"SOPC_NOW": None, "SOPC_DEBUG": None, "SOPC_STATE": None, "NO_COLOR": "1"}


def run_sopc(*args: str, cwd: Path, env: Mapping[str, str | None] | None = None) -> Result:
    """``sopc ARGS`` run in ``cwd``: ``.exit_code``, ``.stdout``, ``.stderr``
    (and ``.stdout_bytes``, ``.stderr_bytes``). ``env`` adds to (None
    removes from) the environment for this run only."""
    with contextlib.chdir(cwd):
        return CliRunner().invoke(cli, list(args), env={**CLEAN_ENV, **(env or {})}, prog_name="sopc",
                                  catch_exceptions=False)
