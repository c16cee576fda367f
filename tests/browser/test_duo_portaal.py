"""DUO's emulated portal in a real Chromium (issue #13): duo-adapter as its own process
(``keten run duo-adapter``, sandbox on) on the session's Kafka and PostgreSQL, test data made
through its control API. The person's termijnen come the chain's way: Amsterdam's source,
played by the test stand-in (``tests/integration/gemeente_standin.py``, its own process on the
same topics), publishes ``pip.vastgesteld``; DUO fetches the PIP there and sets them. A
gemeente user signs in by picking its party, filters its open signalen, opens one and ticks it
off (gone from the open list, ``signaal.afgehandeld`` on Kafka), sees a person's plicht,
termijnen, exams and fines, and cannot open another gemeente's person nor post a form without
the session's CSRF token. Every page: no axe-core WCAG 2.1 A/AA violation, and a screenshot in
docs/screenshots/."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from keten_contracts.clients import Doel, Functie
from keten_contracts.parties import Rol
from keten_core.auth import Party, ZGWTokenAuth
from tests.browser import support
from tests.browser.support import ControlClient, check_page, click_and_load, log_rows
from tests.integration.test_service import free_port
from tests.schemathesis_support import service_process

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.browser]

SERVICE = "duo-adapter"
DUO_OIN = "00000001800866472000"
SLEUTEL = "verwerkingslog-sleutel-duo-0123456789abcdef-0123"
T = "nl.inburgering."
# The fixed sandbox time of the test (DUO's and the gemeente's clock): the same dates in every
# run's screenshots.
NU = "2026-03-02T09:30:00+01:00"


def party(client_id: str, oin: str, rol: Rol, doel: Doel, **extra: Any) -> Party:
    return support.party(SERVICE, client_id, oin, rol, doel, **extra)


DUO_TESTER = party("duo-control", DUO_OIN, Rol.DUO, Doel.PLICHT_EN_TERMIJNEN)
AMSTERDAM = party(
    "amsterdam-duo",
    "00000001002564440000",
    Rol.GEMEENTE,
    Doel.UITVOERING_INBURGERING,
    namens="0363",
    functie=Functie.MEDEWERKER_INBURGERING,
)
UTRECHT = party(
    "utrecht-duo",
    "00000001002220647000",
    Rol.GEMEENTE,
    Doel.UITVOERING_INBURGERING,
    namens="0344",
    functie=Functie.MEDEWERKER_INBURGERING,
)
# Amsterdam's own system at its source (the stand-in's control operations), and DUO's
# credential there (the source DUO fetches the PIP from).
AMSTERDAM_SYSTEEM = support.party(
    "dossier-bron",
    "amsterdam-systeem",
    AMSTERDAM.oin,
    Rol.GEMEENTE,
    Doel.UITVOERING_INBURGERING,
    namens="0363",
    functie=Functie.MEDEWERKER_INBURGERING,
)
DUO_BIJ_BRON = support.party(
    "dossier-bron", "duo-bij-dossier-bron", DUO_OIN, Rol.DUO, Doel.PLICHT_EN_TERMIJNEN
)


@pytest.fixture
def duo_port() -> int:
    return free_port()


@pytest.fixture
def topic_prefix(duo_port: int) -> str:
    """The one prefix of the topics duo-adapter and the gemeente's source share."""
    return f"st{duo_port}."


@pytest.fixture
def gemeente_bron(kafka_bootstrap_servers: str, topic_prefix: str, tmp_path: Path) -> Iterator[str]:
    """Amsterdam's source, played by the test stand-in as its own process."""
    with support.gemeente_standin(
        tmp_path,
        kafka_bootstrap_servers=kafka_bootstrap_servers,
        topic_prefix=topic_prefix,
        oin=AMSTERDAM.oin,
        clients=[AMSTERDAM_SYSTEEM, DUO_BIJ_BRON],
    ) as url:
        yield url


@pytest.fixture
def duo_adapter(
    database: str,
    kafka_bootstrap_servers: str,
    duo_port: int,
    topic_prefix: str,
    gemeente_bron: str,
    tmp_path: Path,
) -> Iterator[str]:
    # KETEN_BRONNEN: DUO's credential at the gemeente's source, the only datarefs it fetches.
    bronnen = [
        {
            "base_url": gemeente_bron + "/api/v1",
            "client_id": DUO_BIJ_BRON.client_id,
            "secret": DUO_BIJ_BRON.secret.get_secret_value(),
        }
    ]
    with service_process(
        SERVICE,
        database=database,
        kafka_bootstrap_servers=kafka_bootstrap_servers,
        oin=DUO_OIN,
        parties=[DUO_TESTER, AMSTERDAM, UTRECHT],
        sleutel=SLEUTEL,
        log_path=tmp_path / "service.log",
        port=duo_port,
        extra_env={
            "KETEN_SANDBOX": "true",
            "KETEN_TOPIC_PREFIX": topic_prefix,
            "KETEN_BRONNEN": json.dumps(bronnen),
        },
    ) as url:
        yield url


class Control(ControlClient):
    """DUO's control API, as chain testers script the emulated DUO."""

    def __init__(self, url: str) -> None:
        super().__init__(url, DUO_TESTER, "/control")

    def plicht(self, bsn: str, gemeentecode: str) -> tuple[str, str]:
        person = self.post(
            "/inburgeringsplichtigen",
            {"bsn": bsn, "doelgroep": "asielstatushouder", "gemeentecode": gemeentecode},
        )
        ibpg = person["inburgeringsplichtigeId"]
        return ibpg, self.post(f"/inburgeringsplichtigen/{ibpg}/plicht", {})["inburgeringsplichtId"]


class Gemeente(ControlClient):
    """Amsterdam's system at its source (the stand-in's control operations)."""

    def __init__(self, url: str) -> None:
        super().__init__(url, AMSTERDAM_SYSTEEM, "/control/v1")

    def pip_vaststellen(self, bsn: str, plicht_id: str) -> dict[str, Any]:
        """A dossier for the person, then its PIP (today): ``pip.vastgesteld`` on the gemeente
        topic, its dataref pointing at the stand-in's source."""
        dossier = self.post(
            "/dossiers",
            {
                "gemeentecode": "0363",
                "bsn": bsn,
                "voornamen": "Amal",
                "geslachtsnaam": "Haddad",
                "geboortedatum": "1994-05-17",
                "adres": {
                    "straat": "Stationsplein",
                    "huisnummer": "1",
                    "postcode": "1012AB",
                    "woonplaats": "Amsterdam",
                },
                "doelgroep": "asielstatushouder",
                "inburgeringsplichtId": plicht_id,
            },
        )
        return self.post(
            f"/dossiers/{dossier['dossierId']}/pip",
            {"leerroute": "b1-route", "intensiteitUren": 1200},
        )


def log_tails(logs: Path, lines: int = 40) -> str:
    """The last lines of the processes' logs in ``logs``, without the stand-in's inbox waiting
    for COA's topic (no COA here)."""
    tails: list[str] = []
    for log in sorted(logs.glob("*.log")):
        text = log.read_text(errors="replace").splitlines()
        kept = [line for line in text if "not found in cluster metadata" not in line]
        tails.append(f"===== {log.name}\n" + "\n".join(kept[-lines:]))
    return "\n".join(tails)


def termijnen_at_duo(
    duo_url: str, plicht_id: str, count: int, logs: Path, timeout_s: float = 60
) -> list[dict[str, Any]]:
    """Polls DUO's API as Amsterdam until the plicht has ``count`` termijnen (DUO consumed the
    PIP and fetched it at the gemeente's source), within ``timeout_s``."""
    auth = ZGWTokenAuth(AMSTERDAM.client_id, AMSTERDAM.secret, user_id="usr-1")
    deadline = time.monotonic() + timeout_s
    while True:
        answer = httpx.get(
            f"{duo_url}/api/v1/inburgeringsplichten/{plicht_id}/termijnen", auth=auth, timeout=10
        )
        assert answer.status_code == 200, answer.text
        termijnen: list[dict[str, Any]] = answer.json()
        if len(termijnen) >= count:
            return termijnen
        if time.monotonic() > deadline:
            raise AssertionError(
                f"DUO has {termijnen} for {plicht_id} after {timeout_s:.0f} s, not {count} "
                f"termijnen\n{log_tails(logs)}"
            )
        time.sleep(0.5)


def termijn_rows(driver: webdriver.Chrome) -> list[dict[str, str]]:
    """The person page's termijnen table: one {column heading: cell text} per row."""
    table = driver.find_element(
        By.XPATH, "//table[caption[normalize-space()='Termijnen van deze plicht']]"
    )
    headings = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    return [
        dict(zip(headings, [td.text for td in row.find_elements(By.TAG_NAME, "td")], strict=True))
        for row in table.find_elements(By.CSS_SELECTOR, "tbody tr")
    ]


def open_signalen(driver: webdriver.Chrome) -> list[str]:
    rows = driver.find_elements(By.CSS_SELECTOR, "#signalen tbody tr")
    return [row.get_attribute("data-signaal") or "" for row in rows]


def test_a_gemeente_ticks_off_a_signaal_in_the_portal(
    database: str,
    duo_adapter: str,
    gemeente_bron: str,
    topic_prefix: str,
    kafka_bootstrap_servers: str,
    chromium: webdriver.Chrome,
    tmp_path: Path,
):
    control = Control(duo_adapter)
    gemeente = Gemeente(gemeente_bron)
    # A fixed sandbox time, at DUO and at the gemeente's source: the same dates in every run's
    # screenshots, and a PIP the gemeente registers the day it sets it.
    for clock in (control, gemeente):
        moved = clock.http.put("/sandbox/clock", json={"now": NU, "frozen": True})
        assert moved.status_code == 200, moved.text
    ibpg, plicht = control.plicht("111222333", "0363")
    base = f"/inburgeringsplichtigen/{ibpg}"
    control.post(
        base + "/examenresultaten",
        {"onderdeel": "lezen", "niveau": "B1", "examendatum": "2026-02-01", "uitslag": "behaald"},
    )
    control.post(base + "/boetes", {"grond": "termijn-overschreden", "bedragInCenten": 50000})
    pip = control.post(base + "/signalen", {"code": "pip-aanleveren"})
    _, utrecht_plicht = control.plicht("123456782", "0344")
    # Amsterdam sets the PIP today; DUO consumes pip.vastgesteld, fetches the PIP at Amsterdam's
    # source and sets the plicht's termijn and the MAP and PVT deadlines: PIP date + 3 years.
    vastgesteld = gemeente.pip_vaststellen("111222333", plicht)
    assert vastgesteld["vaststellingsdatum"] == "2026-03-02"
    termijnen = termijnen_at_duo(duo_adapter, plicht, 3, tmp_path)
    assert sorted((t["soort"], t["einddatum"]) for t in termijnen) == [
        ("inburgeringsplicht", "2029-03-02"),
        ("map", "2029-03-02"),
        ("pvt", "2029-03-02"),
    ]

    portaal = duo_adapter + "/portaal"
    chromium.get(portaal + "/")
    assert chromium.current_url == portaal + "/aanmelden"  # not signed in
    assert chromium.find_element(By.TAG_NAME, "html").get_attribute("lang") == "nl"
    choices = [e.get_attribute("value") for e in chromium.find_elements(By.NAME, "partij")]
    # The gemeenten only: DUO's own credential is no portal user.
    assert sorted(choices) == ["amsterdam-duo", "utrecht-duo"]
    check_page(chromium, "duo-aanmelden")
    chromium.find_element(By.CSS_SELECTOR, "input[value='amsterdam-duo']").click()
    click_and_load(chromium, chromium.find_element(By.CSS_SELECTOR, "main form button"))

    # The open signalen of Amsterdam: the plicht's own (plicht vastgesteld, ...) and ours.
    assert chromium.current_url.startswith(portaal + "/signalen")
    signaal_id = pip["signaalId"]
    assert signaal_id in open_signalen(chromium)
    check_page(chromium, "duo-signalen")
    Select(chromium.find_element(By.ID, "code")).select_by_value("pip-aanleveren")
    click_and_load(chromium, chromium.find_element(By.CSS_SELECTOR, "form.filters button"))
    assert open_signalen(chromium) == [signaal_id]
    chromium.find_element(By.ID, "persoon").send_keys("een-ander")
    click_and_load(chromium, chromium.find_element(By.CSS_SELECTOR, "form.filters button"))
    assert open_signalen(chromium) == []

    chromium.get(f"{portaal}/signalen/{signaal_id}")
    assert "pip-aanleveren" in chromium.find_element(By.TAG_NAME, "main").text
    check_page(chromium, "duo-signaal")
    # A form without the session's CSRF token is refused, and nothing is ticked off.
    chromium.execute_script(
        "document.querySelector('main form input[name=csrf_token]').value = 'vervalst'"
    )
    click_and_load(chromium, chromium.find_element(By.ID, "afvinken"))
    assert chromium.find_element(By.TAG_NAME, "h1").text == "Geen toegang"
    chromium.get(f"{portaal}/signalen")
    assert signaal_id in open_signalen(chromium)

    # Ticked off: gone from the open list, announced on Kafka through the outbox.
    chromium.get(f"{portaal}/signalen/{signaal_id}")
    click_and_load(chromium, chromium.find_element(By.ID, "afvinken"))
    assert chromium.current_url == portaal + "/signalen"
    assert (
        f"Signaal {signaal_id} is afgehandeld."
        in chromium.find_element(By.CSS_SELECTOR, "[role=status]").text
    )
    assert signaal_id not in open_signalen(chromium)
    data = support.wait_for_event(
        kafka_bootstrap_servers,
        f"{topic_prefix}{T}duo",
        T + "signaal.afgehandeld.v1",
        signaalId=signaal_id,
    )
    assert data["inburgeringsplichtId"] == plicht
    # Read back through the API: the user reference of the portal's party did it.
    api = httpx.get(
        f"{duo_adapter}/api/v1/signalen/{signaal_id}",
        auth=ZGWTokenAuth(AMSTERDAM.client_id, AMSTERDAM.secret, user_id="usr-1"),
    )
    assert api.json()["status"] == "afgehandeld"
    assert api.json()["afgehandeldDoor"] == "portaal-amsterdam-duo"

    # The person: plicht, termijnen, exams and fines in Amsterdam's view.
    chromium.get(f"{portaal}/personen/{plicht}")
    main = chromium.find_element(By.TAG_NAME, "main").text
    assert "Examenresultaten" in main and "termijn-overschreden" in main and "lezen" in main
    assert "02-03-2026" in main  # Dutch dates
    assert "Geen termijnen." not in main
    # The termijnen DUO set from the PIP, with their end dates in Dutch (dd-mm-jjjj).
    assert sorted((r["Soort"], r["Einddatum"]) for r in termijn_rows(chromium)) == [
        ("inburgeringsplicht", "02-03-2029"),
        ("map", "02-03-2029"),
        ("pvt", "02-03-2029"),
    ]
    check_page(chromium, "duo-persoon")

    # Another gemeente's person: not found, as in the API (and logged as refused).
    chromium.get(f"{portaal}/personen/{utrecht_plicht}")
    assert chromium.find_element(By.TAG_NAME, "h1").text == "Niet gevonden"
    assert utrecht_plicht not in chromium.find_element(By.TAG_NAME, "main").text
    check_page(chromium, "duo-niet-gevonden")

    # The API's processing log holds the portal's reads, tick-off and refusal.
    log = log_rows(database)
    assert ("amsterdam-duo", "signaal afhandelen", "signaal", signaal_id, "geleverd") in log
    assert (
        "amsterdam-duo",
        "inburgeringsplicht lezen",
        "inburgeringsplicht",
        utrecht_plicht,
        "geweigerd",
    ) in log
    assert ("amsterdam-duo", "duo-boete lezen", "duo-boete") in {r[:3] for r in log}
