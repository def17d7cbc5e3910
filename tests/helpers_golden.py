"""Golden-file comparison shared by tests that pin exact output.

``assert_golden(path, actual)`` compares ``actual`` (bytes) with the file at
``path`` byte for byte. With the environment variable ``SOPC_UPDATE_GOLDEN=1``
it writes ``actual`` to ``path`` instead (creating folders as needed), so after
an intended change to the output::

    SOPC_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_examples.py
    git diff tests/golden/        # review every changed line before committing
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

UPDATE_ENV = "SOPC_UPDATE_GOLDEN"
MAX_DIFF_LINES = 60


def updating() -> bool:
    return os.environ.get(UPDATE_ENV, "") not in ("", "0")


def assert_golden(path: Path, actual: bytes) -> None:
    if updating():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_bytes() != actual:
            path.write_bytes(actual)
        return
    if not path.exists():
        pytest.fail(f"golden file {path} is missing; create it with {UPDATE_ENV}=1 and review it")
    expected = path.read_bytes()
    if expected == actual:
        return
    diff = list(difflib.unified_diff(
        expected.decode("utf-8", "replace").splitlines(), actual.decode("utf-8", "replace").splitlines(),
        fromfile=f"{path} (golden)", tofile="actual", lineterm=""))
    shown = "\n".join(diff[:MAX_DIFF_LINES]) + ("\n..." if len(diff) > MAX_DIFF_LINES else "")
    pytest.fail(f"output differs from {path}; if the change is intended, rerun with {UPDATE_ENV}=1 "
                f"and review the diff\n{shown}", pytrace=False)
