"""The browser the HTML tests use (tests/browser.py): it reports what a
page's console says, saves screenshots, and is never silently absent in CI."""

from __future__ import annotations

import pytest

import browser as browser_module
from browser import browser, page  # noqa: F401  (pytest fixtures)

NOISY_PAGE = """<!doctype html><meta charset="utf-8"><title>t</title>
<body><h1>周视图 plan</h1>
<script>console.log("fine"); console.error("something broke");</script>
<script>undefinedFunction();</script></body>"""


def test_console_errors_and_uncaught_exceptions_are_reported(page, tmp_path):
    html = tmp_path / "noisy.html"
    html.write_text(NOISY_PAGE, encoding="utf-8")
    page.open(html)
    errors = page.console_errors()
    assert any("something broke" in message for message in errors)
    assert any("undefinedFunction" in message for message in errors)
    assert not any('"fine"' in message for message in errors)  # info is not an error
    assert page.js("return document.querySelector('h1').textContent") == "周视图 plan"
    assert page.resources_requested() == []


def test_a_screenshot_is_a_png_under_the_artifacts_folder(page, tmp_path, monkeypatch):
    monkeypatch.setenv("SOPC_ARTIFACTS", str(tmp_path / "shots"))
    html = tmp_path / "p.html"
    html.write_text(NOISY_PAGE, encoding="utf-8")
    page.open(html)
    shot = page.screenshot("noisy")
    assert shot.parent == tmp_path / "shots"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_missing_browser_fails_when_ci_requires_one(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing on it
    monkeypatch.setenv("SOPC_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="SOPC_REQUIRE_BROWSER=1"):
        browser_module.find_chromium()
    monkeypatch.delenv("SOPC_REQUIRE_BROWSER")
    with pytest.raises(pytest.skip.Exception, match="no Chromium"):
        browser_module.find_chromium()
