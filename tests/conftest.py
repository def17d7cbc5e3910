"""Shared fixtures: a small project on disk, and sopc's command line run in
process (see inprocess.py)."""

from __future__ import annotations

import pytest

from inprocess import run_sopc
from projects import write_project

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture(autouse=True)
def english_whatever_the_machine_speaks(monkeypatch):
    """The English goldens and message assertions hold on a machine with
    LANG=zh_CN.UTF-8 too: every test starts in English (subprocesses inherit
    SOPC_LANG=en); a test about Chinese asks for it (--lang zh, SOPC_LANG=zh)."""
    from sopc.terminal import speak  # sopc's language and click's (a Chinese run in process sets both)

    monkeypatch.setenv("SOPC_LANG", "en")
    speak("en")
    yield
    speak("en")


@pytest.fixture(autouse=True)
def no_proxy_from_the_machine(monkeypatch):
    """Senders honour HTTP(S)_PROXY; the tests talk to 127.0.0.1 directly
    whatever the machine running them has set (subprocesses inherit this)."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture(name="run_sopc")
def run_sopc_fixture():
    """``run_sopc("check", ".", cwd=folder)`` -> click's Result (exit_code,
    stdout, stderr): see :func:`inprocess.run_sopc`."""
    return run_sopc


@pytest.fixture
def project(tmp_path):
    """``project({"main.sop": "..."})`` -> the folder, written under tmp_path."""
    return lambda files, name="proj": write_project(tmp_path / name, files)
