"""When Python's cyclic garbage collector runs, for what sopc makes.

Stage: core (stdlib only). sopc makes many objects that live long and form
no cycles: its modules at start-up, a build's syntax nodes, spans and
groups. CPython's collector rescans every live object each time the oldest
generation grows by a quarter, so its passes over that growing heap cost
more the more there is: ~40% of a 10,000-playbook build, ~10% of checking a
10,000-line project once built (3% with the build left out of the passes;
none now: the checks, which make next to no cycles, run paused too), ~8% of
a small `sopc check` from start to exit. Reference counting frees
everything else as usual meanwhile.
"""

from __future__ import annotations

import contextlib
import gc


@contextlib.contextmanager
def paused():
    """No collection during the block (a build, a parse): what it makes
    lives on and holds no garbage cycles. Afterwards it goes straight to the
    oldest generation (:func:`_promoted`)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            _promoted()
            gc.enable()


def _promoted() -> None:
    """Every object the collector tracks moves to its oldest generation, in
    one step (``gc.freeze`` and ``gc.unfreeze`` move lists, not objects).
    Without it, all a paused block made is the youngest generation, and the
    first allocation after it starts a pass over every one of them (~6% of a
    10,000-line build). Where objects are set aside for good already (the
    `sopc` command's modules), these join them: unfreezing would take those
    back, and the command exits after one build."""
    if gc.get_freeze_count():
        gc.freeze()
    else:
        gc.freeze()
        gc.unfreeze()


_COMMAND = False  # this process is the `sopc` command (sopc.launch), not a library's user


def starting() -> None:
    """The `sopc` command begins: from now on :func:`loading` pauses the
    collector while modules load, and sets them aside for good."""
    global _COMMAND
    _COMMAND = True


@contextlib.contextmanager
def loading():
    """Modules loading in the `sopc` command (the CLI's at its start; those a
    command loads late, so that `sopc --help` stays quick): no collection
    meanwhile, and afterwards they are set aside for good, as ``gc.freeze``
    is meant for (they live as long as the process), and collection resumes
    for what the command makes. Elsewhere (a test, a library's user) it
    changes nothing: a freeze there would keep that process's garbage."""
    if not _COMMAND:
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()
