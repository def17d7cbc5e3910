"""The garbage collector's settings (sopc.core.collector): what sopc pauses
or sets aside for speed must never leave a process without collection, or
holding a build's objects for good."""

from __future__ import annotations

import datetime as dt
import gc
import shutil
import subprocess
import sys
from pathlib import Path

from sopc import pipeline
from sopc.core import collector

ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def test_a_check_in_a_library_process_leaves_nothing_set_aside_and_collection_on():
    """A long-running user of the library (a runner that rebuilds on every
    edit) keeps collecting all of a check's objects afterwards."""
    assert gc.get_freeze_count() == 0 and gc.isenabled()
    result = pipeline.check([ROOT / "examples" / "burger"], now=NOW)
    assert not result.failed
    assert gc.get_freeze_count() == 0
    assert gc.isenabled()


def test_what_a_pause_made_is_in_the_oldest_generation_not_frozen():
    """No pass over all of a build right after it: the youngest generation
    does not hold what the block made. Nothing is left set aside, and a
    garbage cycle made in the block is still collected."""
    assert gc.get_freeze_count() == 0
    with collector.paused():
        made = [[index] for index in range(50_000)]
        cycle = []
        cycle.append(cycle)
    oldest = {id(item) for item in gc.get_objects(generation=2)}
    assert all(id(item) in oldest for item in made[::5_000])
    assert gc.get_freeze_count() == 0 and gc.isenabled()
    assert made[0] == [0]
    del cycle
    assert gc.collect() >= 1


def test_a_pause_ends_with_its_block_even_when_it_fails():
    try:
        with collector.paused():
            assert not gc.isenabled()
            raise ValueError("a failing build")
    except ValueError:
        pass
    assert gc.isenabled()


def test_the_sopc_command_collects_while_it_works():
    """The command's start-up runs without collection; what it then does (a
    `sopc run` for weeks) is collected as usual."""
    code = ("import atexit, gc\n"
            "atexit.register(lambda: print('enabled' if gc.isenabled() else 'disabled', gc.get_freeze_count() > 0))\n"
            "from sopc.launch import main\n"
            "main()\n")
    done = subprocess.run([sys.executable, "-c", code, "check", "examples/burger", "--now", "2026-11-23T09:00"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["enabled", "True"], done.stdout


def test_the_cli_run_in_a_test_process_sets_nothing_aside():
    """Only the `sopc` command sets its late-loaded modules aside: a process
    that runs the CLI as a library (tests, tools) would keep its garbage."""
    from click.testing import CliRunner

    from sopc.cli import cli

    assert gc.get_freeze_count() == 0
    result = CliRunner().invoke(cli, ["check", str(ROOT / "examples" / "burger"), "--now", "2026-11-23T09:00"])
    assert result.exit_code == 0, result.output
    assert gc.get_freeze_count() == 0 and gc.isenabled()


def test_a_check_makes_next_to_no_garbage_cycles(tmp_path):
    """The checks run with the collector paused (pipeline.check_build), which
    is only sound while they make (next to) no garbage cycles: nothing
    else would free those until the check is over. Also where every
    render fails (errors and their tracebacks are the usual makers of cycles)."""
    project = tmp_path / "failing"
    shutil.copytree(ROOT / "examples" / "burger", project)
    weekly = project / "playbooks" / "weekly.sop"
    weekly.write_text(weekly.read_text(encoding="utf-8").replace("{{ brand }}", "{{ brand.missing.deeper }}"),
                      encoding="utf-8")
    for path in (ROOT / "examples" / "burger", ROOT / "examples" / "flash_sale", project):
        built = pipeline.build([path])
        gc.collect()
        gc.disable()
        try:
            pipeline.check_build(built, now=NOW)
            cycles = gc.collect()
        finally:
            gc.enable()
        assert cycles < 200, (path.name, cycles)
    assert any(d.code == "E0406" for d in built.diagnostics)  # the failing copy's renders did fail
