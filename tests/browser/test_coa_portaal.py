"""COA's emulated portal (TVS) in a real Chromium (issue #13): coa-adapter as its own process
(``keten run coa-adapter``, sandbox on) on the session's Kafka and PostgreSQL, test data made
through its control API. A gemeente user lists the koppelingen to its gemeente, opens one and
the klantprofiel in the gemeente's view, downloads the PDF (the API's own PDF), and cannot
open another gemeente's koppeling or person. The COA casemanager edits a klantprofiel while
the person is in the AZC (``klantprofiel.gewijzigd`` on Kafka), the nested data too (fieldsets
for the nested objects, tables with "Verwijderen" and "toevoegen" for the lists of objects);
after vertrek the forms are gone and a forged form is refused by the API's rule. The
casemanager plans a warme overdracht, marks it held and reports the vertrek (the control API's
functions: events on Kafka), with Dutch refusals (409) and validation errors (422); the
gemeente sees the warme overdracht on its koppeling, another gemeente gets "Niet gevonden".
Every page: no axe-core WCAG 2.1 A/AA violation, and a screenshot in
docs/screenshots/coa-*.png."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypdf import PdfReader
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from coa_adapter import api, portaal
from coa_adapter.main import build_service
from keten_contracts.clients import Doel, Functie
from keten_contracts.parties import Rol
from keten_core.auth import AuthenticatedCaller, Party, PartyRegistry, ZGWTokenAuth
from keten_core.settings import KetenSettings
from tests.browser import support
from tests.browser.support import ControlClient, check_page, click_and_load, log_rows
from tests.integration.test_service import free_port, serving
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

    def twee_personen(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Amal, linked to Amsterdam, and Yonas, linked to Utrecht, at a fixed sandbox time (the
        same dates in every run's screenshots)."""
        moved = self.http.put(
            "/sandbox/clock", json={"now": "2026-03-02T09:30:00+01:00", "frozen": True}
        )
        assert moved.status_code == 200, moved.text
        return (
            self.gekoppeld("111222333", "Amal", "Haddad", "0363"),
            self.gekoppeld("123456782", "Yonas", "Tesfaye", "0344"),
        )


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
    WebDriverWait(driver, 15).until(support.gone(page))


def test_gemeente_and_casemanager_in_the_coa_portal(
    database: str, coa_adapter: str, kafka_bootstrap_servers: str, chromium: webdriver.Chrome
):
    control = Control(coa_adapter)
    amal, utrecht = control.twee_personen()
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
    data = support.wait_for_event(
        kafka_bootstrap_servers,
        f"st{coa_adapter.rsplit(':', 1)[1]}.{T}coa",
        T + "klantprofiel.gewijzigd.v1",
        klantprofielId=kp,
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


def events_on_kafka(bootstrap: str, topic: str, key: str, count: int) -> list[str]:
    """The first ``count`` events of one statushouder (the partition key) on COA's topic, from
    the start, as ``type`` or ``type(aanbiedmoment)``."""

    def van_persoon(events: list[support.Gebeurtenis]) -> list[support.Gebeurtenis]:
        return [e for e in events if e.key == key]

    gelezen = support.kafka_events(bootstrap, topic, lambda es: len(van_persoon(es)) >= count)
    seen = []
    for e in van_persoon(gelezen)[:count]:
        kind = e.type.removeprefix(T).removesuffix(".v1")
        moment = e.data.get("aanbiedmoment")
        seen.append(f"{kind}({moment})" if moment else kind)
    return seen


def csrf_token(driver: webdriver.Chrome) -> str:
    token = driver.find_element(By.CSS_SELECTOR, "input[name=csrf_token]").get_attribute("value")
    assert token
    return token


def set_value(driver: webdriver.Chrome, element_id: str, value: str) -> None:
    """Fill a date or time input as its picker does (typing into one depends on the locale)."""
    driver.execute_script(
        "const e = document.getElementById(arguments[0]); e.value = arguments[1];",
        element_id,
        value,
    )


def forms_in_main(driver: webdriver.Chrome) -> list[str]:
    return [
        f.get_attribute("action") or "" for f in driver.find_elements(By.CSS_SELECTOR, "main form")
    ]


def test_warme_overdracht_and_vertrek_in_the_coa_portal(
    database: str, coa_adapter: str, kafka_bootstrap_servers: str, chromium: webdriver.Chrome
):
    control = Control(coa_adapter)
    amal, utrecht = control.twee_personen()
    kp, sh = amal["klantprofielId"], amal["statushouderId"]
    portaal = coa_adapter + "/portaal"
    pagina = f"{portaal}/klantprofielen/{kp}"
    plannen = f"{pagina}/warme-overdrachten"
    amsterdam_api = ZGWTokenAuth(AMSTERDAM.client_id, AMSTERDAM.secret, user_id="usr-1")

    # --- the casemanager, while the person is in the AZC ---------------------------------
    aanmelden(chromium, portaal, CASEMANAGER.client_id)
    chromium.get(pagina)
    assert "Er is nog geen warme overdracht gepland." in main_text(chromium)
    assert chromium.find_element(By.ID, "plannen") and chromium.find_element(By.ID, "vertrek")

    with as_browser(chromium) as browser:
        velden = {"geplandDatum": "2026-03-12", "geplandTijd": "10:00", "locatie": "AZC Budel"}
        # A forged form without the session's CSRF token (or with another): refused, no plan.
        for token in ({}, {"csrf_token": "niet-van-dit-portaal"}):
            forged = browser.post(plannen, data={**velden, **token}, follow_redirects=False)
            assert forged.status_code == 403 and "Geen toegang" in forged.text
        # Validation with the session's token: 422, the fields named (and linked), no plan.
        token = {"csrf_token": csrf_token(chromium)}
        leeg = browser.post(plannen, data={**velden, "locatie": " ", **token})
        assert leeg.status_code == 422 and 'href="#veld-locatie"' in leeg.text
        # 02:30 on the night the clocks go forward does not exist in Dutch time.
        zomertijd = {**velden, "geplandDatum": "2026-03-29", "geplandTijd": "02:30", **token}
        gat = browser.post(plannen, data=zomertijd)
        assert gat.status_code == 422 and "bestaat niet" in gat.text
        verkeerd = browser.post(
            f"{pagina}/vertrek", data={"vestigingsdatum": "02-03-2026", **token}
        )
        assert verkeerd.status_code == 422 and 'href="#veld-vestigingsdatum"' in verkeerd.text
    chromium.get(pagina)
    assert "Er is nog geen warme overdracht gepland." in main_text(chromium)

    # The form in the browser: an impossible date and no locatie, both named in the summary.
    chromium.execute_script("document.getElementById('veld-locatie').removeAttribute('required')")
    chromium.execute_script(
        "const e = document.getElementById('veld-geplandDatum');"
        "e.removeAttribute('required'); e.type = 'text'; e.value = '2026-02-30';"
    )
    set_value(chromium, "veld-geplandTijd", "10:00")
    click_and_load(chromium, chromium.find_element(By.ID, "plannen-knop"))
    fouten = chromium.find_element(By.ID, "fouten")
    assert "De warme overdracht is niet gepland" in fouten.text
    links = [a.get_dom_attribute("href") for a in fouten.find_elements(By.TAG_NAME, "a")]
    assert links == ["#veld-geplandDatum", "#veld-locatie"], links
    assert chromium.find_element(By.ID, "veld-locatie").get_attribute("aria-invalid") == "true"
    check_page(chromium, "coa-warme-overdracht-fout")

    # Planned in Dutch time: 10:00 in Amsterdam on 12 March is 09:00 UTC.
    chromium.get(pagina)
    set_value(chromium, "veld-geplandDatum", "2026-03-12")
    set_value(chromium, "veld-geplandTijd", "10:00")
    chromium.find_element(By.ID, "veld-locatie").send_keys("AZC Budel-Cranendonck, spreekkamer 2")
    click_and_load(chromium, chromium.find_element(By.ID, "plannen-knop"))
    status = chromium.find_element(By.CSS_SELECTOR, "[role=status]").text
    assert "is gepland op 12-03-2026 om 10:00" in status, status
    rows = chromium.find_elements(By.CSS_SELECTOR, "#overdrachten tbody tr")
    assert len(rows) == 1
    wo = rows[0].get_attribute("data-warme-overdracht")
    assert wo and wo in status
    assert "12-03-2026 10:00" in rows[0].text and "nog niet gehouden" in rows[0].text
    served = httpx.get(f"{coa_adapter}/api/v1/warme-overdrachten/{wo}", auth=amsterdam_api)
    assert served.status_code == 200, served.text
    assert served.json()["geplandOp"].startswith("2026-03-12T09:00:00")
    assert served.json()["locatie"] == "AZC Budel-Cranendonck, spreekkamer 2"
    # Held: the date defaults to today on the sandbox clock.
    gehouden = chromium.find_element(By.ID, f"veld-gehoudenOp-{wo}")
    assert gehouden.get_attribute("value") == "2026-03-02"
    check_page(chromium, "coa-klantprofiel-warme-overdracht")
    click_and_load(chromium, chromium.find_element(By.ID, f"houden-{wo}"))
    status = chromium.find_element(By.CSS_SELECTOR, "[role=status]").text
    assert f"De warme overdracht {wo} is gehouden op 02-03-2026." in status, status
    assert "02-03-2026" in chromium.find_element(By.CSS_SELECTOR, "#overdrachten tbody tr").text
    assert not chromium.find_elements(By.ID, f"veld-gehoudenOp-{wo}")  # held once
    # Held twice (a forged form with a valid token): the rule's 409, in Dutch on the page.
    houden = f"{plannen}/{wo}/gehouden"
    post_forged(chromium, houden, {"gehoudenOp": "2026-03-03"})
    assert "al gehouden, op 02-03-2026" in chromium.find_element(By.ID, "weigering").text
    assert chromium.find_element(By.ID, "weigering").get_attribute("role") == "alert"
    check_page(chromium, "coa-warme-overdracht-geweigerd")
    with as_browser(chromium) as browser:
        twice = browser.post(houden, data={"gehoudenOp": "2026-03-03", **token})
        assert twice.status_code == 409 and "al gehouden" in twice.text
        assert "application/problem+json" not in twice.headers["content-type"]
        # Another person's warme overdracht through this person's page: not found.
        other = browser.post(
            f"{portaal}/klantprofielen/{utrecht['klantprofielId']}/warme-overdrachten/{wo}/gehouden",
            data={"gehoudenOp": "2026-03-03", **token},
        )
        assert other.status_code == 404

    # Vertrek: the date defaults to today; afterwards the page has no form at all.
    chromium.get(pagina)
    assert (
        chromium.find_element(By.ID, "veld-vestigingsdatum").get_attribute("value") == "2026-03-02"
    )
    click_and_load(chromium, chromium.find_element(By.ID, "vertrek-knop"))
    status = chromium.find_element(By.CSS_SELECTOR, "[role=status]").text
    assert "Het vertrek uit het AZC is gemeld (vestigingsdatum 02-03-2026)." in status, status
    assert forms_in_main(chromium) == []
    assert chromium.find_element(By.ID, "alleen-lezen")
    assert "02-03-2026" in chromium.find_element(By.CSS_SELECTOR, "#overdrachten tbody tr").text
    check_page(chromium, "coa-vertrek-gemeld")
    # Forged forms after vertrek: the rules refuse them, the page stays read-only.
    post_forged(chromium, f"{pagina}/vertrek", {"vestigingsdatum": "2026-03-05"})
    assert "de persoon heeft het AZC al verlaten" in chromium.find_element(By.ID, "weigering").text
    assert forms_in_main(chromium) == []
    post_forged(
        chromium,
        plannen,
        {"geplandDatum": "2026-03-20", "geplandTijd": "09:00", "locatie": "Gemeentehuis"},
    )
    assert "De warme overdracht is niet gepland" in chromium.find_element(By.ID, "weigering").text
    assert forms_in_main(chromium) == []
    with as_browser(chromium) as browser:
        again = browser.post(f"{pagina}/vertrek", data={"vestigingsdatum": "2026-03-05", **token})
        assert again.status_code == 409

    # The control API's write path: the events through the outbox, in order, on Kafka.
    topic = f"st{coa_adapter.rsplit(':', 1)[1]}.{T}coa"
    assert events_on_kafka(kafka_bootstrap_servers, topic, sh, 7) == [
        "koppeling.vastgesteld",
        "klantprofiel.aangeboden(koppeling)",
        "warme-overdracht.gepland",
        "warme-overdracht.gehouden",
        "klantprofiel.aangeboden(warme-overdracht)",
        "vestiging.gemeld",
        "klantprofiel.aangeboden(vestiging)",
    ]
    koppeling = httpx.get(
        f"{coa_adapter}/api/v1/koppelingen/{amal['koppelingId']}", auth=amsterdam_api
    ).json()
    assert koppeling["status"] == "gevestigd" and koppeling["vestigingsdatum"] == "2026-03-02"
    served = httpx.get(f"{coa_adapter}/api/v1/warme-overdrachten/{wo}", auth=amsterdam_api)
    assert served.json()["gehoudenOp"] == "2026-03-02" and served.json()["klantprofielVersie"] == 1
    click_and_load(chromium, chromium.find_element(By.CSS_SELECTOR, ".afmelden button"))

    # --- the gemeente ---------------------------------------------------------------------
    aanmelden(chromium, portaal, AMSTERDAM.client_id)
    chromium.get(f"{portaal}/koppelingen/{amal['koppelingId']}")
    rows = chromium.find_elements(By.CSS_SELECTOR, "#overdrachten tbody tr")
    assert [r.get_attribute("data-warme-overdracht") for r in rows] == [wo]
    assert "12-03-2026 10:00" in rows[0].text and "02-03-2026" in rows[0].text
    assert "AZC Budel-Cranendonck, spreekkamer 2" in rows[0].text
    check_page(chromium, "coa-koppeling-warme-overdracht")
    chromium.find_element(By.LINK_TEXT, wo).click()
    assert heading(chromium) == f"Warme overdracht {wo}"
    text = main_text(chromium)
    assert "Gehouden op 02-03-2026" in text and "Jannie de Vries" in text
    check_page(chromium, "coa-warme-overdracht")
    # A gemeente plans nothing, whatever it posts.
    post_forged(chromium, plannen, velden)
    assert heading(chromium) == "Geen toegang"
    click_and_load(chromium, chromium.find_element(By.CSS_SELECTOR, ".afmelden button"))

    # Another gemeente: "Niet gevonden", as the API answers; its own koppeling has none.
    aanmelden(chromium, portaal, UTRECHT.client_id)
    chromium.get(f"{portaal}/warme-overdrachten/{wo}")
    assert heading(chromium) == "Niet gevonden"
    assert "Budel" not in main_text(chromium) and "Jannie" not in main_text(chromium)
    with as_browser(chromium) as browser:
        assert browser.get(f"{portaal}/warme-overdrachten/{wo}").status_code == 404
    api_answer = httpx.get(
        f"{coa_adapter}/api/v1/warme-overdrachten/{wo}",
        auth=ZGWTokenAuth(UTRECHT.client_id, UTRECHT.secret, user_id="usr-1"),
    )
    assert api_answer.status_code == 404
    chromium.get(f"{portaal}/koppelingen/{utrecht['koppelingId']}")
    assert "Het COA heeft nog geen warme overdracht gepland." in main_text(chromium)
    assert not chromium.find_elements(By.ID, "overdrachten")

    # The reads are the API's: each delivery and refusal is in the processing log.
    log = log_rows(database)
    resource = "warme-overdracht"
    assert ("amsterdam-coa", "warme-overdracht lezen", resource, wo, "geleverd") in log
    assert ("utrecht-coa", "warme-overdracht lezen", resource, wo, "geweigerd") in log
    assert ("coa-tvs", "warme-overdracht lezen casemanager", resource, wo, "geleverd") in log
    assert all(r[0] != "utrecht-coa" or r[4] != "geleverd" for r in log if r[2] == resource)


async def test_the_warme_overdrachten_list_reads_through_the_api_kit(
    database: str, kafka_bootstrap_servers: str
):
    """``api.zoek_warme_overdrachten`` (the portal's list; the API has no list route): the
    caller's views through the API's BronLezing, earliest planned first; another gemeente gets
    nothing, a re-link withdraws the old koppeling's; each row served is logged."""
    port = free_port()
    settings = KetenSettings(
        database_url=database,
        kafka_bootstrap_servers=kafka_bootstrap_servers,
        oin=COA_OIN,
        topic_prefix=f"t{uuid.uuid4().hex[:8]}.",
        http_port=port,
        log_json=False,
        verwerkingslog_sleutel=SLEUTEL,
        control_api=True,
    )
    service = build_service(settings, parties=PartyRegistry([CASEMANAGER, AMSTERDAM, UTRECHT]))
    app = service.app()
    service.app = lambda: app  # type: ignore[method-assign]  # serving() runs this very app

    async def lees(party: Party, **waar: str) -> list[str]:
        caller = AuthenticatedCaller(party=party, user_id="usr-1", user_representation="test")
        factory = (
            portaal.CASEMANAGER_WARME_OVERDRACHT_LEZEN
            if party is CASEMANAGER
            else api.WARME_OVERDRACHT_LEZEN
        )
        lezing = await factory(caller=caller, verwerkingslog=app.state.verwerkingslog)
        assert service.runtime is not None
        views = await api.zoek_warme_overdrachten(service.runtime, lezing, **waar)
        return [v.warme_overdracht_id for v in views]  # type: ignore[attr-defined]

    async with serving(service, port) as client:
        token = ZGWTokenAuth(CASEMANAGER.client_id, CASEMANAGER.secret, user_id="")

        async def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            answer = await client.post(f"/control/v1{path}", json=body, auth=token)
            assert answer.status_code in (200, 201), answer.text
            result: dict[str, Any] = answer.json()
            return result

        persoon = {
            "bsn": "111222333",
            "voornamen": "Amal",
            "geslachtsnaam": "Haddad",
            "geboortedatum": "1994-05-17",
            "coaContactpersoon": CONTACTPERSOON,
        }
        sh = (await post("/statushouders", persoon))["statushouderId"]
        koppeling = (
            await post(
                f"/statushouders/{sh}/koppeling",
                {"gemeentecode": "0363", "azcLocatie": "AZC Budel"},
            )
        )["koppelingId"]
        laat, vroeg = [
            (
                await post(
                    f"/statushouders/{sh}/warme-overdrachten",
                    {"geplandOp": moment, "locatie": "AZC Budel"},
                )
            )["warmeOverdrachtId"]
            for moment in ("2026-03-20T10:00:00+01:00", "2026-03-12T10:00:00+01:00")
        ]

        assert await lees(AMSTERDAM, koppeling_id=koppeling) == [vroeg, laat]
        assert await lees(UTRECHT, koppeling_id=koppeling) == []
        assert await lees(CASEMANAGER, statushouder_id=sh) == [vroeg, laat]
        with pytest.raises(ValueError, match="either"):
            await lees(AMSTERDAM)
        # Re-linked to Utrecht: the old koppeling's meetings are nobody's to read any more.
        await post(
            f"/statushouders/{sh}/koppeling", {"gemeentecode": "0344", "azcLocatie": "AZC Budel"}
        )
        assert await lees(AMSTERDAM, koppeling_id=koppeling) == []
        assert await lees(UTRECHT, koppeling_id=koppeling) == []

    log = log_rows(database)
    rows = [(r[0], r[1], r[3], r[4]) for r in log if r[2] == "warme-overdracht"]
    assert rows == [
        ("amsterdam-coa", "warme-overdracht lezen", vroeg, "geleverd"),
        ("amsterdam-coa", "warme-overdracht lezen", laat, "geleverd"),
        ("coa-tvs", "warme-overdracht lezen casemanager", vroeg, "geleverd"),
        ("coa-tvs", "warme-overdracht lezen casemanager", laat, "geleverd"),
    ]


def served_klantprofiel(coa_adapter: str, klantprofiel_id: str) -> dict[str, Any]:
    """The klantprofiel as the API serves it to the linked gemeente (Amsterdam)."""
    answer = httpx.get(
        f"{coa_adapter}/api/v1/klantprofielen/{klantprofiel_id}",
        auth=ZGWTokenAuth(AMSTERDAM.client_id, AMSTERDAM.secret, user_id="usr-1"),
    )
    assert answer.status_code == 200, answer.text
    served: dict[str, Any] = answer.json()
    return served


def fill(driver: webdriver.Chrome, element_id: str, value: str) -> None:
    element = driver.find_element(By.ID, element_id)
    element.clear()
    element.send_keys(value)


def choose(driver: webdriver.Chrome, element_id: str, value: str) -> None:
    Select(driver.find_element(By.ID, element_id)).select_by_value(value)


def table_rows(driver: webdriver.Chrome, lijst: str) -> list[list[str]]:
    """The entries of a list's table, as their cells' text (without "Verwijderen")."""
    return [
        [cell.text for cell in row.find_elements(By.TAG_NAME, "td")][:-1]
        for row in driver.find_elements(By.CSS_SELECTOR, f"#tabel-{lijst} tbody tr")
    ]


def submit(driver: webdriver.Chrome, element_id: str) -> None:
    """Click the submit button ``element_id`` and wait for the next page."""
    click_and_load(driver, driver.find_element(By.ID, element_id))


def test_nested_klantprofiel_data_in_the_coa_portal(
    database: str, coa_adapter: str, kafka_bootstrap_servers: str, chromium: webdriver.Chrome
):
    """The casemanager edits the klantprofiel's nested data: the nested objects (contact
    person, voorinburgering, ...) as fieldsets of the edit form, the lists of objects
    (opleidingen, werkervaring, ...) as tables with "Verwijderen" and a "toevoegen" sub-form,
    each action its own POST through the control API's write path."""
    control = Control(coa_adapter)
    amal, _ = control.twee_personen()
    kp, sh = amal["klantprofielId"], amal["statushouderId"]
    portaal = coa_adapter + "/portaal"
    pagina = f"{portaal}/klantprofielen/{kp}"
    werkervaring = f"{pagina}/lijsten/werkervaring"

    aanmelden(chromium, portaal, CASEMANAGER.client_id)
    chromium.get(pagina)
    # Derived from the contract: every nested object a fieldset, every list a table section.
    for groep in ("coaContactpersoon", "statusgegevens", "voorinburgering", "diplomawaardering"):
        assert chromium.find_element(By.ID, f"groep-{groep}")
    for lijst in ("gezinssamenstelling", "gevolgdeOpleidingen", "werkervaring"):
        assert chromium.find_element(By.ID, f"toevoegen-{lijst}")
    # A list inside an empty object: nothing to add to yet.
    assert not chromium.find_elements(By.ID, "toevoegen-voorinburgering-introductiemodules")
    # Required subfields are marked: in a form of their own the browser enforces them.
    assert chromium.find_element(By.ID, "veld-werkervaring-nieuw-beroep").get_attribute("required")
    assert chromium.find_element(By.ID, "veld-coaContactpersoon-naam").get_attribute("required")
    instemming = chromium.find_element(By.ID, "veld-voorinburgering-instemming")
    assert instemming.get_attribute("aria-required") == "true"

    # An opleiding and two werkervaringen, each its own POST.
    fill(chromium, "veld-gevolgdeOpleidingen-nieuw-niveau", "hbo")
    fill(chromium, "veld-gevolgdeOpleidingen-nieuw-richting", "Bedrijfseconomie")
    fill(chromium, "veld-gevolgdeOpleidingen-nieuw-land", "SY")
    choose(chromium, "veld-gevolgdeOpleidingen-nieuw-afgerond", "ja")
    submit(chromium, "toevoegen-gevolgdeOpleidingen-knop")
    status = chromium.find_element(By.CSS_SELECTOR, "[role=status]").text
    assert "De opleiding is toegevoegd (versie 2)." in status, status
    assert table_rows(chromium, "gevolgdeOpleidingen") == [["hbo", "Bedrijfseconomie", "SY", "ja"]]
    for beroep, jaren in (("Boekhouder", "6"), ("Kassamedewerker", "2")):
        fill(chromium, "veld-werkervaring-nieuw-beroep", beroep)
        fill(chromium, "veld-werkervaring-nieuw-jaren", jaren)
        submit(chromium, "toevoegen-werkervaring-knop")
    assert (
        "De werkervaring is toegevoegd (versie 4)."
        in chromium.find_element(By.CSS_SELECTOR, "[role=status]").text
    )
    assert table_rows(chromium, "werkervaring") == [["Boekhouder", "6"], ["Kassamedewerker", "2"]]

    # A forged form without the session's CSRF token: refused, nothing changed.
    with as_browser(chromium) as browser:
        for pad, velden in (
            (werkervaring, {"beroep": "Piloot", "jaren": "1"}),
            (f"{werkervaring}/verwijderen", {"index": "0", "versie": "4"}),
        ):
            forged = browser.post(pad, data=velden, follow_redirects=False)
            assert forged.status_code == 403 and "Geen toegang" in forged.text
        # A removal from a page made before the last change: refused (the place may hold
        # another entry by now), nothing removed.
        token = {"csrf_token": csrf_token(chromium)}
        stale = browser.post(
            f"{werkervaring}/verwijderen", data={"index": "0", "versie": "3", **token}
        )
        assert stale.status_code == 409 and "intussen gewijzigd" in stale.text
    assert served_klantprofiel(coa_adapter, kp)["versie"] == 4

    # The second werkervaring removed.
    submit(chromium, "verwijderen-werkervaring-1")
    status = chromium.find_element(By.CSS_SELECTOR, "[role=status]").text
    assert "De werkervaring is verwijderd (versie 5)." in status, status
    assert table_rows(chromium, "werkervaring") == [["Boekhouder", "6"]]
    button = chromium.find_element(By.ID, "verwijderen-werkervaring-0")
    assert button.accessible_name == "Verwijderen werkervaring 1 (Boekhouder)"

    # The nested objects, in the edit form: another contact person (e-mail emptied), the
    # voorinburgering and the diploma valuation filled in.
    fill(chromium, "veld-coaContactpersoon-naam", "Pieter Bakker")
    fill(chromium, "veld-coaContactpersoon-telefoon", "088-7157001")
    chromium.find_element(By.ID, "veld-coaContactpersoon-email").clear()
    choose(chromium, "veld-voorinburgering-instemming", "ja")
    choose(chromium, "veld-voorinburgering-spreekvaardigheidNt2", "A2")
    choose(chromium, "veld-voorinburgering-deelnameTaalactiviteiten", "ja")
    choose(chromium, "veld-voorinburgering-afgerond", "nee")
    choose(chromium, "veld-diplomawaardering-aangevraagd", "ja")
    set_value(chromium, "veld-diplomawaardering-startdatum", "2026-02-16")
    submit(chromium, "opslaan")
    status = chromium.find_element(By.CSS_SELECTOR, "[role=status]").text
    assert "Het klantprofiel is opgeslagen (versie 6)." in status, status
    # Now the voorinburgering holds its list: an introductiemodule added to it.
    choose(
        chromium,
        "veld-voorinburgering-introductiemodules-nieuw-module",
        "kennis-nederlandse-maatschappij",
    )
    choose(chromium, "veld-voorinburgering-introductiemodules-nieuw-afgerond", "ja")
    submit(chromium, "toevoegen-voorinburgering-introductiemodules-knop")
    assert "De introductiemodule is toegevoegd (versie 7)." in main_text(chromium)
    # Saving the form again keeps the list (the fieldset sends the object whole).
    fill(chromium, "veld-voorinburgering-toetsresultaat", "Voldoende")
    submit(chromium, "opslaan")
    assert "Het klantprofiel is opgeslagen (versie 8)." in main_text(chromium)

    # The API serves exactly the new data.
    served = served_klantprofiel(coa_adapter, kp)
    assert served["versie"] == 8
    assert served["gevolgdeOpleidingen"] == [
        {"niveau": "hbo", "richting": "Bedrijfseconomie", "land": "SY", "afgerond": True}
    ]
    assert served["werkervaring"] == [{"beroep": "Boekhouder", "jaren": 6}]
    assert served["coaContactpersoon"] == {"naam": "Pieter Bakker", "telefoon": "088-7157001"}
    assert served["voorinburgering"] == {
        "instemming": True,
        "toetsresultaat": "Voldoende",
        "spreekvaardigheidNt2": "A2",
        "introductiemodules": [{"module": "kennis-nederlandse-maatschappij", "afgerond": True}],
        "deelnameTaalactiviteiten": True,
        "afgerond": False,
    }
    assert served["diplomawaardering"] == {"aangevraagd": True, "startdatum": "2026-02-16"}
    assert served["gezinssamenstelling"] == []
    assert "statusgegevens" not in served and "adres" not in served  # left empty
    assert served["trainingen"] == ["Werken in de financiele administratie"]  # untouched
    # The screenshot from the nested forms on (the page is longer than one screenshot).
    chromium.execute_script("document.getElementById('groep-voorinburgering').scrollIntoView()")
    check_page(chromium, "coa-klantprofiel-genest")

    # Invalid entries: the error summary names (and links) the fields, nothing is saved.
    chromium.execute_script(
        "document.getElementById('veld-werkervaring-nieuw-beroep').removeAttribute('required')"
    )
    fill(chromium, "veld-werkervaring-nieuw-jaren", "3")
    submit(chromium, "toevoegen-werkervaring-knop")
    fouten = chromium.find_element(By.ID, "fouten")
    assert fouten.get_attribute("role") == "alert"
    assert "De werkervaring is niet toegevoegd" in fouten.text
    links = [a.get_dom_attribute("href") for a in fouten.find_elements(By.TAG_NAME, "a")]
    assert links == ["#veld-werkervaring-nieuw-beroep"], links
    assert "Werkervaring toevoegen: Beroep: vul dit veld in" in fouten.text
    beroep = chromium.find_element(By.ID, "veld-werkervaring-nieuw-beroep")
    assert beroep.get_attribute("aria-invalid") == "true"
    assert (
        chromium.find_element(By.ID, "veld-werkervaring-nieuw-jaren").get_attribute("value") == "3"
    )
    check_page(chromium, "coa-klantprofiel-genest-fout")
    with as_browser(chromium) as browser:
        token = {"csrf_token": csrf_token(chromium)}
        te_veel = browser.post(werkervaring, data={"beroep": "Piloot", "jaren": "99", **token})
        assert (
            te_veel.status_code == 422 and 'href="#veld-werkervaring-nieuw-jaren"' in te_veel.text
        )
        assert "ten hoogste 80" in te_veel.text
    chromium.get(pagina)
    chromium.execute_script(
        "document.getElementById('veld-coaContactpersoon-naam').removeAttribute('required')"
    )
    chromium.find_element(By.ID, "veld-coaContactpersoon-naam").clear()
    submit(chromium, "opslaan")
    links = [
        a.get_dom_attribute("href")
        for a in chromium.find_element(By.ID, "fouten").find_elements(By.TAG_NAME, "a")
    ]
    assert links == ["#veld-coaContactpersoon-naam"], links
    assert served_klantprofiel(coa_adapter, kp) == served

    # Each change: a new version and its klantprofiel.gewijzigd through the outbox, on Kafka.
    topic = f"st{coa_adapter.rsplit(':', 1)[1]}.{T}coa"
    assert events_on_kafka(kafka_bootstrap_servers, topic, sh, 9) == [
        "koppeling.vastgesteld",
        "klantprofiel.aangeboden(koppeling)",
        *["klantprofiel.gewijzigd"] * 7,
    ]

    # After vertrek: no form at all; forged forms (with the CSRF token) get the rule's 409.
    control.post(f"/statushouders/{sh}/vertrek", {})
    chromium.get(pagina)
    assert forms_in_main(chromium) == []
    assert "Boekhouder" in main_text(chromium)
    post_forged(chromium, werkervaring, {"beroep": "Piloot", "jaren": "1"})
    assert heading(chromium) == "Niet meer te wijzigen"
    chromium.get(pagina)
    post_forged(chromium, f"{werkervaring}/verwijderen", {"index": "0", "versie": "8"})
    assert heading(chromium) == "Niet meer te wijzigen"
    chromium.get(pagina)
    post_forged(chromium, pagina, {"coaContactpersoon.naam": "Piloot"})
    assert heading(chromium) == "Niet meer te wijzigen"
    assert served_klantprofiel(coa_adapter, kp) == {
        **served,
        "aanbiedmoment": "vestiging",
        "bevroren": True,
    }
    click_and_load(chromium, chromium.find_element(By.CSS_SELECTOR, ".afmelden button"))

    # A gemeente changes nothing, whatever it posts.
    aanmelden(chromium, portaal, AMSTERDAM.client_id)
    chromium.get(pagina)
    post_forged(chromium, f"{werkervaring}/verwijderen", {"index": "0", "versie": "8"})
    assert heading(chromium) == "Geen toegang"
