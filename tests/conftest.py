"""Shared helpers: a small project on disk, and sopc as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from projects import write_project


def run_sopc(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """``python -m sopc ARGS`` in ``cwd``: no colour, no injected clock, no debug."""
    env = {k: v for k, v in os.environ.items() if k not in ("SOPC_NOW", "SOPC_DEBUG")}
    env.update(NO_COLOR="1", PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "sopc", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=timeout)


@pytest.fixture(name="run_sopc")
def run_sopc_fixture():
    """``run_sopc("check", ".", cwd=folder)``: see :func:`run_sopc`."""
    return run_sopc


@pytest.fixture
def project(tmp_path):
    """``project({"main.sop": "..."})`` -> the folder, written under tmp_path."""
    return lambda files, name="proj": write_project(tmp_path / name, files)
