"""Checks of the browser tests: axe-core (pinned in ``dev/axe``, injected by
axe-selenium-python) and the screenshots the README shows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from axe_selenium_python import Axe
from selenium import webdriver

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
AXE_CORE = ROOT / "dev" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
# axe-core's tags for WCAG 2.0 and 2.1, levels A and AA (2.1 includes 2.0's criteria).
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTH = 1280


def axe_violations(driver: webdriver.Chrome) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA violations on the current page. The axe-core is the one
    ``dev/setup`` installs from npm (``dev/axe``), injected by axe-selenium-python: the copy
    that package ships on Python 3.11 is axe-core 3.1.1 (2018), which has no WCAG 2.1 A rules."""
    if not AXE_CORE.exists():
        raise AssertionError(f"{AXE_CORE} is missing: ./dev/setup installs it (npm, dev/axe)")
    axe = Axe(driver, script_url=str(AXE_CORE))
    axe.inject()
    known = set(
        driver.execute_script("return axe.getRules().flatMap(function (r) { return r.tags; })")
    )
    assert set(WCAG_21_AA) <= known, f"axe-core {driver.execute_script('return axe.version')}"
    options = {"runOnly": {"type": "tag", "values": WCAG_21_AA}}
    results: dict[str, Any] = axe.run(options=json.dumps(options))
    return list(results["violations"])


def check_page(driver: webdriver.Chrome, name: str) -> None:
    """No WCAG 2.1 A/AA violation on the page, and its screenshot as ``docs/screenshots/
    <name>.png`` (the whole page: the window is sized to the document first)."""
    violations = axe_violations(driver)
    assert not violations, json.dumps(
        [
            {"id": v["id"], "help": v["help"], "nodes": [n["html"] for n in v["nodes"]][:3]}
            for v in violations
        ],
        indent=2,
        ensure_ascii=False,
    )
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(WIDTH, max(600, min(int(height) + 140, 2400)))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
    driver.set_window_size(WIDTH, 900)
