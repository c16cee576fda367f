"""The router's operations console in a real Chromium (issue #13): the router as its own process
(``keten run notificatie-router``, not a sandbox) with the console configured against a real
OpenID Connect provider on loopback (panva's oidc-provider, ``dev/oidc``), a webhook subscriber
as its own process. The SSC's operator for Amsterdam signs in at the provider's login form, sees
the subscription with its health, makes nothing up: a delivery goes dead for real (the
subscriber answers 500 through short retry stages), is resent from the console and arrives;
the resend is in the audit log with the operator's identity. Utrecht's operator does not see
the subscription, and a form with a forged CSRF token is refused. Every page: no axe-core WCAG
2.1 A/AA violation, and a screenshot in docs/screenshots/router-console-*.png."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from cryptography.fernet import Fernet
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from keten_core.clock import AMSTERDAM
from tests.browser.conftest import OidcProvider
from tests.browser.support import check_page
from tests.router_support import (
    AMSTERDAM as AMSTERDAM_GEMEENTE,
)
from tests.router_support import (
    BEHEERDER_AMSTERDAM,
    CLIENTS,
    ROUTER_OIN,
    SERVICE,
    SLEUTEL,
    SSC_OIN,
    Router,
    event,
    publish,
)
from tests.schemathesis_support import ServiceProcess
from tests.webhook_subscriber import SubscriberProcess

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.browser]

TERMIJN = "nl.inburgering.termijn.vastgesteld.v1"


@pytest.fixture
def subscriber() -> Iterator[SubscriberProcess]:
    with SubscriberProcess() as process:
        yield process


@pytest.fixture
def router(
    database: str, kafka_bootstrap_servers: str, oidc_provider: OidcProvider, tmp_path: Path
) -> Iterator[Router]:
    process = ServiceProcess(
        SERVICE,
        database=database,
        kafka_bootstrap_servers=kafka_bootstrap_servers,
        oin=ROUTER_OIN,
        parties=CLIENTS,
        sleutel=SLEUTEL,
        log_path=tmp_path / "router.log",
        port=oidc_provider.console_port,
        extra_env={
            "KETEN_ROUTER_SLEUTELS": Fernet.generate_key().decode(),
            # The first attempt and three retries a second apart, then dead.
            "KETEN_ROUTER_RETRY_STAGES_S": "[1,1,1]",
            "KETEN_ROUTER_PLANNER_S": "0.2",
            "KETEN_ROUTER_LEASE_S": "5",
            "KETEN_ROUTER_TIMEOUT_S": "3",
            "KETEN_PORTAAL_SESSIE_SLEUTEL": "console-sessie-sleutel-0123456789abcdef",
            "KETEN_ROUTER_CONSOLE_OIDC_ISSUER": oidc_provider.issuer,
            "KETEN_ROUTER_CONSOLE_OIDC_CLIENT_ID": oidc_provider.client_id,
            "KETEN_ROUTER_CONSOLE_OIDC_CLIENT_SECRET": oidc_provider.client_secret,
            "KETEN_ROUTER_CONSOLE_BASIS_URL": oidc_provider.console_url,
            "KETEN_ROUTER_CONSOLE_OIN": SSC_OIN,
            "KETEN_ROUTER_CONSOLE_SCOPE": "openid profile keten",
        },
    )
    process.start()
    try:
        yield Router(process, f"st{process.port}.", f"st{process.port}.deadletter")
    finally:
        process.stop()


def wait(driver: webdriver.Chrome, condition: object, timeout_s: float = 15) -> None:
    WebDriverWait(driver, timeout_s).until(condition)  # type: ignore[arg-type]


def sign_in(driver: webdriver.Chrome, router: Router, login: str, *, screenshot: bool) -> None:
    """From the console's sign-in page through the provider's login form and back."""
    driver.delete_all_cookies()
    driver.get(router.url + "/console/")
    wait(driver, lambda d: d.current_url.endswith("/console/aanmelden"))
    if screenshot:
        check_page(driver, "router-console-aanmelden")
    driver.find_element(By.XPATH, "//button[contains(., 'Aanmelden via')]").click()
    wait(driver, lambda d: d.find_elements(By.NAME, "login"))
    driver.find_element(By.NAME, "login").send_keys(login)
    driver.find_element(By.NAME, "password").send_keys("willekeurig")
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(driver, lambda d: d.current_url.rstrip("/").endswith("/console"), 20)
    assert "Abonnementen" in driver.find_element(By.TAG_NAME, "h1").text


async def dead_deliveries(
    router: Router, subscriber: SubscriberProcess, bootstrap: str, aantal: int
) -> tuple[dict[str, object], list[dict[str, object]]]:
    """A subscription of Amsterdam's with ``aantal`` deliveries dead after the last stage, each
    of its own partition key (so none waits behind another)."""
    sub = router.subscribe(
        AMSTERDAM_GEMEENTE,
        subscriber.hook_url,
        types=[TERMIJN],
        filters=[{"prefix": {"partitionkey": "console-"}}],
    )
    subscriber.behave(status=500)
    events = [event(TERMIJN, partitionkey=f"console-{uuid.uuid4().hex[:6]}") for _ in range(aantal)]
    await publish(bootstrap, router.prefix, events)
    with router.api(AMSTERDAM_GEMEENTE) as api:
        deadline = time.monotonic() + 40
        while True:
            dead = api.get(f"/subscriptions/{sub['id']}/deliveries?status=dood").json()
            if len(dead["afleveringen"]) >= aantal:
                break
            assert time.monotonic() < deadline, dead
            await asyncio.sleep(0.3)
    return sub, events


async def dead_delivery(
    router: Router, subscriber: SubscriberProcess, bootstrap: str
) -> tuple[dict[str, object], dict[str, object]]:
    """A subscription of Amsterdam's with one delivery dead after the last stage."""
    sub, events = await dead_deliveries(router, subscriber, bootstrap, 1)
    return sub, events[0]


async def audit_rows(database: str, abonnement_id: object) -> list[asyncpg.Record]:
    """The subscription's 'herzonden' rows of the audit log, oldest first."""
    connection = await asyncpg.connect(database.replace("+asyncpg", ""))
    try:
        return await connection.fetch(
            "SELECT client_id, actie, details FROM router_audit"
            " WHERE abonnement_id = $1 AND actie = 'herzonden' ORDER BY id",
            uuid.UUID(str(abonnement_id)),
        )
    finally:
        await connection.close()


async def test_operator_resends_a_dead_delivery_from_the_console(
    chromium: webdriver.Chrome,
    router: Router,
    subscriber: SubscriberProcess,
    kafka_bootstrap_servers: str,
    database: str,
) -> None:
    driver = chromium
    sub, e = await dead_delivery(router, subscriber, kafka_bootstrap_servers)

    # Amsterdam's operator: the subscription, its health, the chart.
    sign_in(driver, router, "beheerder-0363", screenshot=True)
    body = driver.find_element(By.TAG_NAME, "main").text
    assert subscriber.hook_url in body and "Ans Beheerder" in driver.page_source
    assert AMSTERDAM_GEMEENTE.client_id in body  # grouped per owning party
    # The router's backlog from the cluster (all replicas), beside each subscription's lag.
    assert re.search(
        r"\d+ gebeurtenis\(sen\) op de domeintopics nog niet verwerkt",
        driver.find_element(By.ID, "achterstand").text,
    )
    # The chart: two bars an hour for a day, the dead delivery in the last hour's failures.
    assert len(driver.find_elements(By.CSS_SELECTOR, "figure.grafiek rect")) == 48
    assert ": 1 mislukt</title>" in driver.page_source
    check_page(driver, "router-console-abonnementen")

    driver.find_element(By.LINK_TEXT, subscriber.hook_url).click()
    wait(driver, lambda d: "Dode afleveringen" in d.page_source)
    assert len(driver.find_elements(By.NAME, "aflevering")) == 1
    check_page(driver, "router-console-abonnement")

    # The subscriber recovers; one click resends the dead delivery, and it arrives.
    subscriber.clear()
    subscriber.behave(status=200)
    driver.find_element(By.CSS_SELECTOR, "button[name=een]").click()
    wait(driver, lambda d: "opnieuw ingepland" in d.page_source)
    assert "1 aflevering(en) opnieuw ingepland." in driver.page_source
    received = subscriber.wait_for(1, 20)
    assert received[0]["headers"]["webhook-id"] == str(e["id"])

    # In the audit log: the SSC's credential for Amsterdam, and the operator from the ID token.
    rows = await audit_rows(database, sub["id"])
    assert len(rows) == 1
    details = json.loads(rows[0]["details"])
    assert rows[0]["client_id"] == BEHEERDER_AMSTERDAM.client_id
    assert details["gebruiker"] == "beheerder-0363"
    assert details["gebruikersnaam"] == "Ans Beheerder (SSC, Amsterdam)"
    assert len(details["afleveringen"]) == 1

    driver.find_element(By.LINK_TEXT, "Auditlog").click()
    wait(driver, lambda d: "Handelingen" in d.page_source)
    assert "herzonden" in driver.page_source and "Ans Beheerder" in driver.page_source
    check_page(driver, "router-console-audit")

    # A replay from the console, through the same form kind.
    driver.get(f"{router.url}/console/abonnementen/{sub['id']}")
    vanaf = (datetime.now(AMSTERDAM) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    driver.execute_script("document.getElementById('vanaf').value = arguments[0];", vanaf)
    driver.find_element(By.XPATH, "//button[contains(., 'Replay starten')]").click()
    wait(driver, lambda d: "Replay vanaf" in d.page_source)
    assert "1 gebeurtenis(sen) opnieuw ingepland" in driver.page_source
    subscriber.wait_for(2, 20)

    # A forged CSRF token: refused with the Dutch error page, nothing resent.
    subscriber.clear()
    driver.execute_script(
        "document.querySelectorAll('input[name=csrf_token]')"
        ".forEach(function (i) { i.value = 'vervalst'; });"
    )
    driver.find_element(By.XPATH, "//button[contains(., 'Replay starten')]").click()
    wait(driver, lambda d: "Geen toegang" in d.page_source)
    check_page(driver, "router-console-fout")

    # Signing out ends the provider's session too (RP-Initiated Logout): after the provider's
    # confirmation the browser is back at the sign-in page, and a new sign-in asks for the
    # login again instead of passing straight through on the provider's session.
    driver.get(router.url + "/console/")
    driver.find_element(By.CSS_SELECTOR, "form.afmelden button").click()
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "button[name=logout]"))
    driver.find_element(By.CSS_SELECTOR, "button[name=logout]").click()
    wait(driver, lambda d: d.current_url.endswith("/console/aanmelden"))
    assert "U bent afgemeld." in driver.find_element(By.CSS_SELECTOR, "[role=status]").text
    driver.get(router.url + "/console/")
    assert driver.current_url.endswith("/console/aanmelden")  # the console's session is gone
    driver.find_element(By.XPATH, "//button[contains(., 'Aanmelden via')]").click()
    wait(driver, lambda d: d.find_elements(By.NAME, "login"))

    # Utrecht's operator does not see Amsterdam's subscription, nor open it by its address.
    sign_in(driver, router, "beheerder-0344", screenshot=False)
    assert subscriber.hook_url not in driver.page_source
    assert "gemeente 0344" in driver.page_source
    driver.get(f"{router.url}/console/abonnementen/{sub['id']}")
    assert "Niet gevonden" in driver.page_source
    # Nor resend by posting the form with its own (valid) token.
    token = driver.find_element(By.NAME, "csrf_token").get_attribute("value")
    driver.execute_script(
        "var f = document.createElement('form'); f.method = 'post';"
        f" f.action = '/console/abonnementen/{sub['id']}/herzenden';"
        " [['csrf_token', arguments[0]], ['alle', 'ja']].forEach(function (p) {"
        " var i = document.createElement('input'); i.type = 'hidden'; i.name = p[0];"
        " i.value = p[1]; f.appendChild(i); }); document.body.appendChild(f); f.submit();",
        token,
    )
    wait(driver, lambda d: "Niet gevonden" in d.page_source)
    await asyncio.sleep(1.0)
    assert subscriber.received() == []


async def test_operator_resends_a_selection_then_all_dead_deliveries(
    chromium: webdriver.Chrome,
    router: Router,
    subscriber: SubscriberProcess,
    kafka_bootstrap_servers: str,
    database: str,
) -> None:
    """Three dead deliveries: two ticked and resent arrive, and only those two; then "all"
    resends the third. Both actions are in the audit log with the operator."""
    driver = chromium
    sub, events = await dead_deliveries(router, subscriber, kafka_bootstrap_servers, 3)
    gekozen, rest = events[:2], events[2:]

    sign_in(driver, router, "beheerder-0363", screenshot=False)
    # An unknown path of the console is its Dutch page, not the API's problem+json.
    driver.get(f"{router.url}/console/bestaat-niet")
    assert "Niet gevonden" in driver.find_element(By.TAG_NAME, "h1").text
    driver.get(f"{router.url}/console/abonnementen/{sub['id']}")
    wait(driver, lambda d: "Dode afleveringen" in d.page_source)
    assert len(driver.find_elements(By.NAME, "aflevering")) == 3

    # Tick the rows of the first two events (by the event id shown in the row).
    subscriber.clear()
    subscriber.behave(status=200)
    for e in gekozen:
        driver.find_element(
            By.XPATH, f"//tr[td[normalize-space()='{e['id']}']]//input[@name='aflevering']"
        ).click()
    driver.find_element(By.XPATH, "//button[contains(., 'Selectie herzenden')]").click()
    wait(driver, lambda d: "opnieuw ingepland" in d.page_source)
    assert "2 aflevering(en) opnieuw ingepland." in driver.page_source
    subscriber.wait_for(2, 20)
    await asyncio.sleep(2.0)  # time for a wrongly resent third delivery to arrive too
    received = subscriber.received()
    assert sorted(r["headers"]["webhook-id"] for r in received) == sorted(
        str(e["id"]) for e in gekozen
    )
    # Only the third is still dead.
    driver.get(f"{router.url}/console/abonnementen/{sub['id']}")
    wait(driver, lambda d: "Dode afleveringen" in d.page_source)
    assert len(driver.find_elements(By.NAME, "aflevering")) == 1
    assert (
        str(rest[0]["id"])
        in driver.find_element(By.ID, "dood").find_element(By.XPATH, "following-sibling::form").text
    )

    # "All": the rest, the one still dead, arrives.
    subscriber.clear()
    driver.find_element(
        By.XPATH, "//button[contains(., 'Alle dode afleveringen herzenden')]"
    ).click()
    wait(driver, lambda d: "opnieuw ingepland" in d.page_source)
    assert "1 aflevering(en) opnieuw ingepland." in driver.page_source
    subscriber.wait_for(1, 20)
    await asyncio.sleep(1.0)
    received = subscriber.received()
    assert [r["headers"]["webhook-id"] for r in received] == [str(rest[0]["id"])]
    assert "Geen dode afleveringen." in driver.page_source

    # The audit log: the selection, then all, both with the operator.
    rows = await audit_rows(database, sub["id"])
    assert len(rows) == 2
    selectie, alle = (json.loads(r["details"]) for r in rows)
    assert len(selectie["afleveringen"]) == 2 and selectie["alle"] is False
    assert len(alle["afleveringen"]) == 1 and alle["alle"] is True
    assert not set(selectie["afleveringen"]) & set(alle["afleveringen"])
    for row, details in zip(rows, (selectie, alle), strict=True):
        assert row["client_id"] == BEHEERDER_AMSTERDAM.client_id
        assert details["gebruiker"] == "beheerder-0363"
        assert details["gebruikersnaam"] == "Ans Beheerder (SSC, Amsterdam)"

    driver.find_element(By.LINK_TEXT, "Auditlog").click()
    wait(driver, lambda d: "Handelingen" in d.page_source)
    regels = [
        r.text
        for r in driver.find_elements(By.CSS_SELECTOR, "tbody tr")
        if " herzonden " in f" {r.text} "
    ]
    assert len(regels) == 2, regels
    assert all("Ans Beheerder" in r for r in regels)
    # Newest first: "all", then the selection.
    assert "alle: ja" in regels[0] and "alle: nee" in regels[1]
