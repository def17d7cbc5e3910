"""A real headless Chromium for the tests that open sopc's HTML pages
(`sopc plan --format html`, `sopc report`).

Use it from a test module::

    from browser import browser, page  # noqa: F401  (pytest fixtures)

    def test_it(page, tmp_path):
        page.open(tmp_path / "plan.html")
        assert page.console_errors() == []
        page.screenshot("plan-week")

`browser` is one Chromium per test module (starting one costs seconds on a
loaded machine); `page` is that browser for one test, its console log
drained first so each test sees only its own errors.

The browser is Debian's ``chromium`` driven through its own
``chromium-driver`` (the two come from one source package, so their versions
always match) with Selenium; nothing is downloaded. Without them the tests
skip with the reason, except under ``SOPC_REQUIRE_BROWSER=1`` (set by .ci/run,
which installs them), where a missing browser is a failure: CI must never
pass by skipping the browser tests.

Screenshots go to ``$SOPC_ARTIFACTS`` if set, else ``tests/artifacts/``
(gitignored).
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

# Without the background-networking flags Chromium opens connections (updates,
# sync, field trials) that hang on a closed network and stall page loads.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--lang=zh-CN",
)
WINDOW = (1400, 900)
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome")
DRIVER_NAMES = ("chromedriver", "chromium-driver")
INSTALL_HINT = ("apt-get install -y --no-install-recommends chromium chromium-driver "
                "fonts-noto-cjk fonts-noto-color-emoji (as .ci/run does)")


def artifacts_dir() -> Path:
    """Where screenshots go: $SOPC_ARTIFACTS, else tests/artifacts/."""
    folder = Path(os.environ.get("SOPC_ARTIFACTS") or Path(__file__).parent / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _first_on_path(names) -> str | None:
    return next((found for name in names if (found := shutil.which(name))), None)


def _missing_browser(reason: str):
    """Skip, or fail when CI said a browser must be there."""
    if os.environ.get("SOPC_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}; SOPC_REQUIRE_BROWSER=1 says the browser tests must run. "
                    f"Install: {INSTALL_HINT}")
    pytest.skip(f"{reason}: browser tests need {INSTALL_HINT}")


def find_chromium() -> tuple[str, str]:
    """(browser, driver) paths, or skip/fail saying what to install."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        _missing_browser("selenium is not installed (pip install -e '.[test]')")
    browser_path = _first_on_path(BROWSER_NAMES)
    driver_path = _first_on_path(DRIVER_NAMES)
    if browser_path is None:
        _missing_browser("no Chromium on PATH")
    if driver_path is None:
        _missing_browser("no chromedriver on PATH")
    return browser_path, driver_path


def start_chromium(profile: Path):
    """A headless Chromium under Selenium, logging the console at every level."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser_path, driver_path = find_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = browser_path
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument("--window-size={},{}".format(*WINDOW))
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path: Selenium Manager would otherwise try to download one.
    return webdriver.Chrome(service=Service(executable_path=driver_path), options=options)


class Page:
    """The browser for one test: open a file, read the console, take screenshots."""

    def __init__(self, driver, test_name: str):
        self.driver = driver
        self.test_name = re.sub(r"[^\w.-]+", "_", test_name)
        self.console: list[dict] = []

    def open(self, path: Path) -> None:
        self.driver.get(Path(path).resolve().as_uri())

    def _drain_log(self) -> None:
        self.console.extend(self.driver.get_log("browser"))

    def console_errors(self) -> list[str]:
        """Console errors and uncaught exceptions (level SEVERE) so far."""
        self._drain_log()
        return [entry["message"] for entry in self.console if entry["level"] == "SEVERE"]

    def resources_requested(self) -> list[str]:
        """Every URL the page fetched beyond itself: a self-contained page has none."""
        return self.driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)")

    def js(self, script: str, *args):
        return self.driver.execute_script(script, *args)

    def screenshot(self, view: str, full_page: bool = True) -> Path:
        """Save a PNG named after the test and the view; returns its path.
        ``full_page``: the whole page from its top (scrolled there for the
        shot, so sticky bars sit where they belong, then scrolled back); the
        window keeps its size, so the page is laid out as a user sees it."""
        target = artifacts_dir() / f"{self.test_name}-{view}.png"
        if not full_page:
            self.driver.save_screenshot(str(target))
            return target
        scrolled = self.js("const at = [window.scrollX, window.scrollY]; window.scrollTo(0, 0); return at")
        size = self.js("return [document.documentElement.clientWidth,"
                       " Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0)]")
        shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size[0], "height": min(size[1], 8000), "scale": 1}})
        target.write_bytes(base64.b64decode(shot["data"]))
        self.js("window.scrollTo(arguments[0], arguments[1])", *scrolled)
        return target


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the test module (a fresh profile each time)."""
    profile = Path(tempfile.mkdtemp(prefix="sopc-chromium-"))
    driver = start_chromium(profile)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser, request):
    """The module's browser for this test, its console log drained first."""
    browser.set_window_size(*WINDOW)
    browser.get_log("browser")  # what earlier tests left behind is theirs
    return Page(browser, request.node.name)
