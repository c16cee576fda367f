"""Checks of the browser tests: axe-core (pinned in ``dev/axe``, injected by
axe-selenium-python) and the screenshots the README shows."""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from axe_selenium_python import Axe
from confluent_kafka import Consumer
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from keten_core.auth import Party, ZGWTokenAuth
from keten_core.envelope import decode_binary

# A client of a service's registry with one purpose: the integration tests' own helper.
from tests.integration.test_dossier_bron import party as party
from tests.integration.test_reference_scenarios import process
from tests.integration.test_service import free_port

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


class ControlClient:
    """A simulator's control API as a chain tester's script calls it (the test's data)."""

    def __init__(self, url: str, party: Party, prefix: str) -> None:
        self.http = httpx.Client(
            base_url=url, auth=ZGWTokenAuth(party.client_id, party.secret, user_id=""), timeout=30
        )
        self.prefix = prefix

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.http.post(f"{self.prefix}{path}", json=body)
        assert answer.status_code in (200, 201), answer.text
        result: dict[str, Any] = answer.json()
        return result


def log_rows(database: str) -> list[tuple[str, str, str, str, str]]:
    """The processing log (client, activity, resource, id, outcome), read on a thread of its
    own: the test is synchronous, the session's event loop belongs to pytest-asyncio."""

    async def read() -> list[tuple[str, str, str, str, str]]:
        engine = create_async_engine(database)
        try:
            async with engine.connect() as connection:
                result = await connection.execute(
                    text(
                        "SELECT client_id, activiteit, resource, resource_id, uitkomst "
                        "FROM keten_verwerkingslog ORDER BY id"
                    )
                )
                return [tuple(row) for row in result]
        finally:
            await engine.dispose()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, read()).result(timeout=30)


def gone(page: WebElement) -> Callable[[webdriver.Chrome], bool]:
    """Wait condition: ``page`` (the old document's root) is gone. Chromium (134 and later)
    sometimes answers "Node with given id does not belong to the document" for an element of a
    document that was replaced, instead of a stale element (selenium's ``staleness_of`` then
    raises, an occasional failure): both mean gone."""

    def check(_driver: webdriver.Chrome) -> bool:
        try:
            page.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as exc:
            if "does not belong to the document" in str(exc):
                return True
            raise
        return False

    return check


def click_and_load(driver: webdriver.Chrome, element: WebElement) -> None:
    """Click what submits a form and wait for the next page (a click does not wait for a
    form's navigation)."""
    page = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, 15).until(gone(page))


@contextmanager
def gemeente_standin(
    logs: Path,
    *,
    kafka_bootstrap_servers: str,
    topic_prefix: str,
    oin: str,
    clients: Sequence[Party],
) -> Iterator[str]:
    """The test stand-in of the gemeente's source (``tests/integration/gemeente_standin.py``)
    as its own process, with the sandbox clock, on the topics of ``topic_prefix`` (the one the
    services under test use): it plays the system of the gemeente with OIN ``oin``, and
    ``clients`` may call it in their rol (gemeente: its control operations; duo: its source).
    Yields its base URL; its source is below ``/api/v1`` (the ``base_url`` of DUO's
    ``KETEN_BRONNEN`` entry). Its output goes to ``logs/gemeente-standin.log``."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        "KETEN_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap_servers,
        "KETEN_TOPIC_PREFIX": topic_prefix,
        "KETEN_DEAD_LETTER_TOPIC": f"{topic_prefix}deadletter",
        "KETEN_SANDBOX": "true",
        "KETEN_LOG_JSON": "false",
        "KETEN_OIN": oin,
        "KETEN_HTTP_HOST": "127.0.0.1",
        "KETEN_HTTP_PORT": str(port),
        "KETEN_PUBLIC_URL": url,
        "GEMEENTE_STANDIN_CLIENTS": json.dumps(
            [
                {
                    "client_id": c.client_id,
                    "secret": c.secret.get_secret_value(),
                    "rol": c.rol.value,
                }
                for c in clients
            ]
        ),
    }
    argv = [sys.executable, "-m", "tests.integration.gemeente_standin"]
    with process("gemeente-standin", argv, env, logs, url + "/health/ready"):
        yield url


@dataclass(frozen=True)
class Gebeurtenis:
    """An event as a test reads it back from Kafka: type, data and partition key."""

    type: str
    data: dict[str, Any]
    key: str | None


def kafka_events(
    bootstrap: str,
    topic: str,
    klaar: Callable[[list[Gebeurtenis]], bool],
    timeout_s: float = 30,
) -> list[Gebeurtenis]:
    """The events on ``topic`` from its start, read until ``klaar`` holds for those read (or
    the time is up: the caller's assertion then says what is missing)."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"browser-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    gelezen: list[Gebeurtenis] = []
    try:
        deadline = time.monotonic() + timeout_s
        while not klaar(gelezen) and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None or message.error():
                continue
            envelope, data = decode_binary(message.headers(), message.key(), message.value())
            key = message.key()
            gelezen.append(Gebeurtenis(envelope.type, dict(data), key.decode() if key else None))
        return gelezen
    finally:
        consumer.close()


def wait_for_event(bootstrap: str, topic: str, type_: str, **velden: str) -> dict[str, Any]:
    """The data of the first ``type_`` event on ``topic`` whose data has ``velden``."""

    def past(e: Gebeurtenis) -> bool:
        return e.type == type_ and all(e.data.get(k) == v for k, v in velden.items())

    gevonden = [e for e in kafka_events(bootstrap, topic, lambda es: any(map(past, es))) if past(e)]
    assert gevonden, f"no {type_} with {velden} on {topic}"
    return gevonden[0].data
