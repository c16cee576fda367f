"""The browser harness (issue #13): Debian's Chromium driven by selenium through Debian's
chromedriver, headless, with a fresh profile per test; axe-core (axe-selenium-python) checks
each page against WCAG 2.1 A/AA, and each page is kept as a screenshot for the README."""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from keten_core.testing import fresh_database
from tests.browser.support import WIDTH

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# Debian's chromium-l10n: without it (or without LANGUAGE) Chromium's own controls, the date
# fields among them, are en-US (mm/dd/yyyy) whatever --lang says.
DUTCH = Path("/usr/lib/chromium/locales/nl.pak")


@pytest.fixture
async def database(postgres_server_url: str) -> AsyncIterator[str]:
    """A fresh database of the session's PostgreSQL for the service under test."""
    async with fresh_database(postgres_server_url) as url:
        yield url


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    """A headless Chromium with a profile of its own. Without the background-networking flags
    Chromium's own connections (updates, sync, QUIC) are refused on build machines and slow or
    break the page loads."""
    # The project's own tools (dev/setup installs them): missing is a failure, not a skip.
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists() and DUTCH.exists()):
        pytest.fail(
            "chromium, chromedriver or Chromium's Dutch is missing: ./dev/setup installs them "
            "(apt-get install chromium chromium-driver chromium-l10n)"
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
    service = Service(str(CHROMEDRIVER), env={**os.environ, "LANGUAGE": "nl"})
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


OIDC_SERVER = Path(__file__).resolve().parents[2] / "dev" / "oidc" / "server.mjs"


@dataclass
class OidcProvider:
    """panva's oidc-provider (dev/oidc) as a process on loopback, with one client whose
    redirect URI is ``/console/callback`` on ``console_port`` (where the test runs the router)."""

    issuer: str
    client_id: str
    client_secret: str
    console_port: int

    @property
    def console_url(self) -> str:
        return f"http://127.0.0.1:{self.console_port}"


@pytest.fixture
def oidc_provider(tmp_path: Path) -> Iterator[OidcProvider]:
    """A real OpenID Connect provider (its discovery, JWKS, login form and token endpoint), so
    the console's sign-in is tested end to end; stopped after the test."""
    from tests.integration.test_service import free_port

    if not (OIDC_SERVER.parent / "node_modules" / "oidc-provider").exists():
        pytest.fail("dev/oidc/node_modules is missing: ./dev/setup installs it (npm)")
    port, console_port = free_port(), free_port()
    secret = secrets.token_urlsafe(32)
    log = (tmp_path / "oidc-provider.log").open("w")
    process = subprocess.Popen(
        [
            "node",
            str(OIDC_SERVER),
            str(port),
            f"http://127.0.0.1:{console_port}/console/callback",
            secret,
        ],
        cwd=OIDC_SERVER.parent,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    issuer = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                if httpx.get(issuer + "/.well-known/openid-configuration").is_success:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError((tmp_path / "oidc-provider.log").read_text())
            time.sleep(0.1)
        yield OidcProvider(issuer, "router-console", secret, console_port)
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
