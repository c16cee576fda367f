"""The browser harness (issue #13): Debian's Chromium driven by selenium through Debian's
chromedriver, headless, with a fresh profile per test; axe-core (axe-selenium-python) checks
each page against WCAG 2.1 A/AA, and each page is kept as a screenshot for the README."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from tests.browser.support import WIDTH

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    """A headless Chromium with a profile of its own. Without the background-networking flags
    Chromium's own connections (updates, sync, QUIC) are refused on build machines and slow or
    break the page loads."""
    # The project's own tools (dev/setup installs them): missing is a failure, not a skip.
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.fail(
            "chromium or chromedriver is missing: ./dev/setup installs them "
            "(apt-get install chromium chromium-driver)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--window-size={WIDTH},900",
        "--lang=nl-NL",
        f"--user-data-dir={tmp_path / 'chromium-profiel'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
