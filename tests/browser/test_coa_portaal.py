"""COA's emulated portal (TVS) in a real Chromium (issue #13): coa-adapter as its own process
(``keten run coa-adapter``, sandbox on) on the session's Kafka and PostgreSQL, test data made
through its control API. A gemeente user lists the koppelingen to its gemeente, opens one and
the klantprofiel in the gemeente's view, downloads the PDF (the API's own PDF), and cannot
open another gemeente's koppeling or person. The COA casemanager edits a klantprofiel while
the person is in the AZC (``klantprofiel.gewijzigd`` on Kafka); after vertrek the form is gone
and a forged form is refused by the API's rule. Every page: no axe-core WCAG 2.1 A/AA
violation, and a screenshot in docs/screenshots/coa-*.png."""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from confluent_kafka import Consumer
from pypdf import PdfReader
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import Select, WebDriverWait

from keten_contracts.clients import Doel, Functie
from keten_contracts.parties import Rol
from keten_core.auth import Party, ZGWTokenAuth
from keten_core.envelope import decode_binary
from tests.browser import support
from tests.browser.support import ControlClient, check_page, click_and_load, log_rows
from tests.schemathesis_support import service_process

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.browser]

SERVICE = "coa-adapter"
COA_OIN = "00000001801118390000"
SLEUTEL = "verwerkingslog-sleutel-coa-0123456789abcdef-0123"
T = "nl.inburgering."


def party(client_id: str, oin: str, rol: Rol, doel: Doel, **extra: Any) -> Party:
    return support.party(SERVICE, client_id, oin, rol, doel, **extra)


CASEMANAGER = party("coa-tvs", COA_OIN, Rol.COA, Doel.KOPPELING_EN_KLANTPROFIEL)
AMSTERDAM = party(
    "amsterdam-coa",
    "00000001002564440000",
    Rol.GEMEENTE,
    Doel.UITVOERING_INBURGERING,
    namens="0363",
    functie=Functie.MEDEWERKER_INBURGERING,
)
UTRECHT = party(
    "utrecht-coa",
    "00000001002220647000",
    Rol.GEMEENTE,
    Doel.UITVOERING_INBURGERING,
    namens="0344",
    functie=Functie.MEDEWERKER_INBURGERING,
)
CONTACTPERSOON = {"naam": "Jannie de Vries", "telefoon": "088-7157000", "email": "jdv@coa.example"}


@pytest.fixture
def coa_adapter(database: str, kafka_bootstrap_servers: str, tmp_path: Path) -> Iterator[str]:
    with service_process(
        SERVICE,
        database=database,
        kafka_bootstrap_servers=kafka_bootstrap_servers,
        oin=COA_OIN,
        parties=[CASEMANAGER, AMSTERDAM, UTRECHT],
        sleutel=SLEUTEL,
        log_path=tmp_path / "service.log",
        extra_env={"KETEN_SANDBOX": "true"},
    ) as url:
        yield url


class Control(ControlClient):
    """COA's control API, as chain testers script the casemanager's application."""

    def __init__(self, url: str) -> None:
        super().__init__(url, CASEMANAGER, "/control/v1")

    def gekoppeld(self, bsn: str, voornamen: str, naam: str, gemeentecode: str) -> dict[str, Any]:
        """A statushouder in the AZC, linked to ``gemeentecode``: its ``Stand``."""
        sh = self.post(
            "/statushouders",
            {
                "bsn": bsn,
                "voornamen": voornamen,
                "geslachtsnaam": naam,
                "geboortedatum": "1994-05-17",
                "taalvaardigheid": "A2",
                "trainingen": ["Werken in de financiele administratie"],
                "coaContactpersoon": CONTACTPERSOON,
            },
        )
        return self.post(
            f"/statushouders/{sh['statushouderId']}/koppeling",
            {"gemeentecode": gemeentecode, "azcLocatie": "AZC Budel-Cranendonck"},
        )


def gewijzigd_on_kafka(bootstrap: str, topic: str, klantprofiel_id: str) -> dict[str, Any]:
    """Waits for COA's ``klantprofiel.gewijzigd`` of ``klantprofiel_id`` (from the start)."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"browser-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None or message.error():
                continue
            envelope, data = decode_binary(message.headers(), message.key(), message.value())
            if (
                envelope.type == T + "klantprofiel.gewijzigd.v1"
                and data["klantprofielId"] == klantprofiel_id
            ):
                return dict(data)
        raise AssertionError(f"no klantprofiel.gewijzigd for {klantprofiel_id} on {topic}")
    finally:
        consumer.close()


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def as_browser(driver: webdriver.Chrome) -> httpx.Client:
    """An HTTP client holding the browser's session cookie: what a download link fetches."""
    return httpx.Client(cookies={c["name"]: c["value"] for c in driver.get_cookies()}, timeout=30)


def aanmelden(driver: webdriver.Chrome, portaal: str, client_id: str) -> None:
    driver.get(portaal + "/aanmelden")
    driver.find_element(By.CSS_SELECTOR, f"input[value='{client_id}']").click()
    click_and_load(driver, driver.find_element(By.CSS_SELECTOR, "main form button"))


def heading(driver: webdriver.Chrome) -> str:
    return driver.find_element(By.TAG_NAME, "h1").text


def main_text(driver: webdriver.Chrome) -> str:
    return driver.find_element(By.TAG_NAME, "main").text


def post_forged(driver: webdriver.Chrome, action: str, fields: dict[str, str]) -> None:
    """Post a form the page does not offer, with the session's CSRF token (from the sign-out
    form): only the server's own rule can refuse it."""
    script = """
        const [action, fields] = arguments;
        const form = document.createElement('form');
        form.method = 'post';
        form.action = action;
        const token = document.querySelector('input[name=csrf_token]').value;
        for (const [name, value] of Object.entries({...fields, csrf_token: token})) {
            const input = document.createElement('input');
            input.type = 'hidden';
            input.name = name;
            input.value = value;
            form.appendChild(input);
        }
        document.body.appendChild(form);
        return form;
    """
    form = driver.execute_script(script, action, fields)
    page = driver.find_element(By.TAG_NAME, "html")
    driver.execute_script("arguments[0].submit()", form)
    WebDriverWait(driver, 15).until(staleness_of(page))


def test_gemeente_and_casemanager_in_the_coa_portal(
    database: str, coa_adapter: str, kafka_bootstrap_servers: str, chromium: webdriver.Chrome
):
    control = Control(coa_adapter)
    # A fixed sandbox time: the same dates in every run's screenshots.
    moved = control.http.put(
        "/sandbox/clock", json={"now": "2026-03-02T09:30:00+01:00", "frozen": True}
    )
    assert moved.status_code == 200, moved.text
    amal = control.gekoppeld("111222333", "Amal", "Haddad", "0363")
    utrecht = control.gekoppeld("123456782", "Yonas", "Tesfaye", "0344")
    kp = amal["klantprofielId"]
    portaal = coa_adapter + "/portaal"

    chromium.get(portaal + "/")
    assert chromium.current_url == portaal + "/aanmelden"  # not signed in
    assert chromium.find_element(By.TAG_NAME, "html").get_attribute("lang") == "nl"
    choices = [e.get_attribute("value") for e in chromium.find_elements(By.NAME, "partij")]
    assert sorted(choices) == ["amsterdam-coa", "coa-tvs", "utrecht-coa"]
    check_page(chromium, "coa-aanmelden")

    # --- the gemeente ---------------------------------------------------------------------
    aanmelden(chromium, portaal, AMSTERDAM.client_id)
    assert chromium.current_url == portaal + "/koppelingen"
    rows = chromium.find_elements(By.CSS_SELECTOR, "#koppelingen tbody tr")
    assert [r.get_attribute("data-koppeling") for r in rows] == [amal["koppelingId"]]
    assert "02-03-2026" in main_text(chromium)  # Dutch dates
    check_page(chromium, "coa-koppelingen")

    chromium.find_element(By.LINK_TEXT, amal["koppelingId"]).click()
    assert heading(chromium) == f"Koppeling {amal['koppelingId']}"
    assert "AZC Budel-Cranendonck" in main_text(chromium)
    check_page(chromium, "coa-koppeling")

    chromium.find_element(By.LINK_TEXT, "Klantprofiel bekijken").click()
    assert heading(chromium) == f"Klantprofiel {kp}"
    text = main_text(chromium)
    assert "Haddad" in text and "Jannie de Vries" in text and "A2" in text
    assert not chromium.find_elements(By.ID, "bewerken")  # a gemeente does not edit
    check_page(chromium, "coa-klantprofiel")

    # The PDF behind the link: the API's own PDF of Amsterdam's view, the same text.
    href = chromium.find_element(By.ID, "pdf").get_attribute("href")
    assert href == f"{portaal}/klantprofielen/{kp}/pdf"
    with as_browser(chromium) as browser:
        download = browser.get(href)
        assert download.status_code == 200
        assert download.headers["content-type"] == "application/pdf"
        assert download.content.startswith(b"%PDF-")
        assert f'filename="klantprofiel-{kp}.pdf"' in download.headers["content-disposition"]
        api_pdf = httpx.get(
            f"{coa_adapter}/api/v1/klantprofielen/{kp}/pdf",
            auth=ZGWTokenAuth(AMSTERDAM.client_id, AMSTERDAM.secret, user_id="usr-1"),
        )
        assert api_pdf.status_code == 200
        assert pdf_text(download.content) == pdf_text(api_pdf.content)
        assert "Haddad" in pdf_text(download.content)
        # Another gemeente's PDF: the same 404 as the API's, no PDF.
        other = browser.get(f"{portaal}/klantprofielen/{utrecht['klantprofielId']}/pdf")
        assert other.status_code == 404 and "Niet gevonden" in other.text
        # Not signed in: no PDF at all.
        anonymous = httpx.get(href, follow_redirects=False)
        assert anonymous.status_code == 303

    # Another gemeente's koppeling and person: not found, as in the API (and logged).
    chromium.get(f"{portaal}/koppelingen/{utrecht['koppelingId']}")
    assert heading(chromium) == "Niet gevonden"
    assert "AZC" not in main_text(chromium)
    check_page(chromium, "coa-niet-gevonden")
    chromium.get(f"{portaal}/klantprofielen/{utrecht['klantprofielId']}")
    assert heading(chromium) == "Niet gevonden"
    assert "Tesfaye" not in main_text(chromium)

    # A gemeente may not change the profile, whatever it posts.
    chromium.get(f"{portaal}/klantprofielen/{kp}")
    post_forged(chromium, f"{portaal}/klantprofielen/{kp}", {"ambities": "Piloot"})
    assert heading(chromium) == "Geen toegang"
    click_and_load(chromium, chromium.find_element(By.CSS_SELECTOR, ".afmelden button"))

    # --- the casemanager, while the person is in the AZC ---------------------------------
    aanmelden(chromium, portaal, CASEMANAGER.client_id)
    assert chromium.current_url == portaal + "/statushouders"
    rows = chromium.find_elements(By.CSS_SELECTOR, "#statushouders tbody tr")
    # Every linked person, whichever gemeente (the sandbox clock is frozen: same koppeldatum).
    listed = {r.get_attribute("data-klantprofiel") for r in rows}
    assert listed == {kp, utrecht["klantprofielId"]}, listed
    check_page(chromium, "coa-statushouders")

    chromium.find_element(By.LINK_TEXT, kp).click()
    assert chromium.find_element(By.ID, "bewerken")
    check_page(chromium, "coa-klantprofiel-bewerken")
    # A required field emptied: refused with the field named, nothing saved.
    chromium.execute_script("document.getElementById('veld-voornamen').removeAttribute('required')")
    chromium.find_element(By.ID, "veld-voornamen").clear()
    click_and_load(chromium, chromium.find_element(By.ID, "opslaan"))
    assert "Voornamen" in chromium.find_element(By.ID, "fouten").text
    check_page(chromium, "coa-klantprofiel-fout")

    chromium.get(f"{portaal}/klantprofielen/{kp}")
    chromium.find_element(By.ID, "veld-ambities").send_keys("Boekhouder worden")
    chromium.find_element(By.ID, "veld-competenties").send_keys("Plannen\nRekenen")
    Select(chromium.find_element(By.ID, "veld-taalvaardigheid")).select_by_value("B1")
    Select(chromium.find_element(By.ID, "veld-cvGemaakt")).select_by_value("ja")
    click_and_load(chromium, chromium.find_element(By.ID, "opslaan"))
    status = chromium.find_element(By.CSS_SELECTOR, "[role=status]").text
    assert "Het klantprofiel is opgeslagen (versie 2)." in status
    # The control API's write path: a new version and its event through the outbox.
    data = gewijzigd_on_kafka(
        kafka_bootstrap_servers, f"st{coa_adapter.rsplit(':', 1)[1]}.{T}coa", kp
    )
    assert data["versie"] == 2 and data["koppelingId"] == amal["koppelingId"]
    served = httpx.get(
        f"{coa_adapter}/api/v1/klantprofielen/{kp}",
        auth=ZGWTokenAuth(AMSTERDAM.client_id, AMSTERDAM.secret, user_id="usr-1"),
    ).json()
    assert served["ambities"] == "Boekhouder worden"
    assert served["competenties"] == ["Plannen", "Rekenen"]
    assert served["taalvaardigheid"] == "B1" and served["cvGemaakt"] is True
    assert served["trainingen"] == ["Werken in de financiele administratie"]  # untouched

    # --- after vertrek: read-only ---------------------------------------------------------
    control.post(f"/statushouders/{amal['statushouderId']}/vertrek", {})
    chromium.get(f"{portaal}/klantprofielen/{kp}")
    assert not chromium.find_elements(By.ID, "bewerken")
    assert chromium.find_element(By.ID, "alleen-lezen")
    assert "Boekhouder worden" in main_text(chromium)
    check_page(chromium, "coa-klantprofiel-bevroren")
    # A forged form with a valid CSRF token: the control API's rule refuses it.
    post_forged(chromium, f"{portaal}/klantprofielen/{kp}", {"ambities": "Piloot"})
    assert heading(chromium) == "Niet meer te wijzigen"
    check_page(chromium, "coa-niet-wijzigbaar")
    served = httpx.get(
        f"{coa_adapter}/api/v1/klantprofielen/{kp}",
        auth=ZGWTokenAuth(AMSTERDAM.client_id, AMSTERDAM.secret, user_id="usr-1"),
    ).json()
    assert served["versie"] == 2 and served["ambities"] == "Boekhouder worden"

    # The API's processing log holds the portal's reads, the PDF and the refusals.
    log = log_rows(database)
    assert ("amsterdam-coa", "koppeling lezen", "koppeling", amal["koppelingId"], "geleverd") in log
    assert ("amsterdam-coa", "klantprofiel als PDF lezen", "klantprofiel", kp, "geleverd") in log
    assert (
        "amsterdam-coa",
        "koppeling lezen",
        "koppeling",
        utrecht["koppelingId"],
        "geweigerd",
    ) in log
    assert ("coa-tvs", "klantprofiel lezen casemanager", "klantprofiel", kp, "geleverd") in log
