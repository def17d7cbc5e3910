"""The `sopc` command's entry point: the collector set for a command-line
start (:mod:`sopc.core.collector`), then :func:`sopc.cli.main`.

A module of its own because the setting must come before the CLI's modules
load, and importing :mod:`sopc.cli` as a library (tests, tools) must not
change the collector of the process that does it.
"""

from __future__ import annotations

from sopc.core import collector


def main() -> None:
    collector.starting()
    with collector.loading():
        from sopc.cli import main as cli_main
    cli_main()
