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


PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture(autouse=True)
def no_proxy_from_the_machine(monkeypatch):
    """Senders honour HTTP(S)_PROXY; the tests talk to 127.0.0.1 directly
    whatever the machine running them has set (subprocesses inherit this)."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture(name="run_sopc")
def run_sopc_fixture():
    """``run_sopc("check", ".", cwd=folder)``: see :func:`run_sopc`."""
    return run_sopc


@pytest.fixture
def project(tmp_path):
    """``project({"main.sop": "..."})`` -> the folder, written under tmp_path."""
    return lambda files, name="proj": write_project(tmp_path / name, files)
