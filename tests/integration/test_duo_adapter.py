"""duo-adapter against the real broker and database: the gemeente's events in, DUO's rules
applied, DUO's events out through the outbox, DUO's data read back at its source by the linked
gemeente (and refused to another one, logged), signalen raised and ticked off, the control
API's guard, and two replicas on one database.

Until dossier-bron exists, a small FastAPI app on a loopback port plays the gemeente's source:
it serves the contracts' resources to DUO's credential only.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
import uvicorn
from aiokafka import AIOKafkaConsumer
from dateutil.relativedelta import relativedelta
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from duo_adapter.main import build_service
from keten_contracts.clients import Doel, Functie
from keten_contracts.envelope import EnvelopeAttributes, source_urn
from keten_contracts.parties import Rol
from keten_contracts.resources import get_resource
from keten_core.auth import Party, PartyRegistry, ZGWTokenAuth
from keten_core.clock import AMSTERDAM as NL_TIJD
from keten_core.clock import get_clock, use_clock
from keten_core.dataref import BronCredential, DatarefLezer
from keten_core.envelope import decode_binary, new_event
from keten_core.kafka import EventProducer
from keten_core.service import KetenService
from keten_core.settings import KetenSettings
from keten_core.testing import fresh_database
from tests.integration.test_service import free_port, serving
from tests.support import migration_differences

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

SERVICE = "duo-adapter"
DUO_OIN = "00000001800866472000"
GEMEENTE_OIN = "00000001002564440000"
SLEUTEL = "verwerkingslog-sleutel-duo-0123456789abcdef-0123"
BSN = "111222333"
T = "nl.inburgering."


def party(client_id: str, oin: str, rol: Rol, doelen: set[Doel], **extra: Any) -> Party:
    return Party(
        client_id=client_id,
        service=SERVICE,
        oin=oin,
        rol=rol,
        doelen=frozenset(doelen),
        secret=f"{client_id}-secret-0123456789abcdef-0123456789",
        **extra,
    )


MEDEWERKER = {"functie": Functie.MEDEWERKER_INBURGERING}
DUO_TESTER = party("duo-control", DUO_OIN, Rol.DUO, {Doel.PLICHT_EN_TERMIJNEN})
AMSTERDAM = party(
    "amsterdam-duo",
    GEMEENTE_OIN,
    Rol.GEMEENTE,
    {Doel.UITVOERING_INBURGERING},
    namens="0363",
    **MEDEWERKER,
)
UTRECHT = party(
    "utrecht-duo",
    "00000001002220647000",
    Rol.GEMEENTE,
    {Doel.UITVOERING_INBURGERING},
    namens="0344",
    **MEDEWERKER,
)
PARTIES = [DUO_TESTER, AMSTERDAM, UTRECHT]
# The gemeente's source (a test app) listens here in every test of this module, so DUO's
# credential for it (issued by that source, not by duo-adapter) can name its base URL.
BRON_PORT = free_port()
BRON_URL = f"http://127.0.0.1:{BRON_PORT}"
BRON = BronCredential(
    base_url=f"{BRON_URL}/api/v1",
    client_id="duo-bij-dossier-bron",
    secret=SecretStr("duo-bij-dossier-bron-secret-0123456789abcdef"),
)


def auth(p: Party, user: str = "usr-0363-4471") -> ZGWTokenAuth:
    return ZGWTokenAuth(p.client_id, p.secret, user_id=user)


# --- the gemeente's source, played by a test app -------------------------------------------


@dataclass
class GemeenteBronApp:
    """Serves resources by collection and id to DUO's credential; counts the reads."""

    resources: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    reads: list[str] = field(default_factory=list)
    url: str = ""

    def zet(self, resource: str, instance: Mapping[str, Any]) -> str:
        rd = get_resource(resource)
        model = rd.model.model_validate(dict(instance))  # the contract's own checks
        body = model.model_dump(mode="json", by_alias=True, exclude_none=True)
        rid = body[rd.id_alias]
        self.resources[(rd.collection, rid)] = body
        return rd.dataref(self.url + "/api/v1", rid)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/api/v1/{collection}/{rid}")
        async def lees(collection: str, rid: str, request: Request) -> Any:
            header = request.headers.get("authorization", "")
            try:
                claims = jwt.decode(
                    header.removeprefix("Bearer "),
                    BRON.secret.get_secret_value(),
                    algorithms=["HS256"],
                )
            except jwt.PyJWTError:
                return JSONResponse({"status": 401}, status_code=401)
            if claims["client_id"] != BRON.client_id:
                return JSONResponse({"status": 403}, status_code=403)
            self.reads.append(f"{collection}/{rid}")
            found = self.resources.get((collection, rid))
            if found is None:
                return JSONResponse({"status": 404}, status_code=404)
            return found

        return app


@asynccontextmanager
async def gemeente_bron() -> AsyncIterator[GemeenteBronApp]:
    bron = GemeenteBronApp()
    port = BRON_PORT
    bron.url = BRON_URL
    server = uvicorn.Server(
        uvicorn.Config(bron.app(), host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(30):
            while not server.started:  # noqa: ASYNC110 - uvicorn offers no event
                await asyncio.sleep(0.05)
        yield bron
    finally:
        server.should_exit = True
        await task


# --- DUO's events on Kafka ------------------------------------------------------------------


@dataclass
class Ontvangen:
    envelope: EnvelopeAttributes
    data: dict[str, Any]
    partition: int
    offset: int


class DuoTopic:
    """Reads DUO's topic from the start in the background, for the whole test."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.bootstrap, self.topic = bootstrap, topic
        self.events: list[Ontvangen] = []
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> DuoTopic:
        self._consumer = AIOKafkaConsumer(
            self.topic,
            bootstrap_servers=self.bootstrap,
            auto_offset_reset="earliest",
            group_id=None,
            metadata_max_age_ms=1000,
        )
        await self._consumer.start()
        self._task = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        while True:
            for batch in (await self._consumer.getmany(timeout_ms=200)).values():
                for r in batch:
                    envelope, data = decode_binary(r.headers, r.key, r.value)
                    self.events.append(Ontvangen(envelope, data, r.partition, r.offset))

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self._consumer.stop()

    def of(self, type_: str, **data: str) -> list[Ontvangen]:
        return [
            e
            for e in self.events
            if e.envelope.type == T + type_ and all(e.data.get(k) == v for k, v in data.items())
        ]

    async def wait(
        self, type_: str, count: int = 1, timeout_s: float = 30, **data: str
    ) -> list[Ontvangen]:
        async with asyncio.timeout(timeout_s):
            while len(found := self.of(type_, **data)) < count:  # noqa: ASYNC110
                await asyncio.sleep(0.1)
        return found


def prefix() -> str:
    return f"t{uuid.uuid4().hex[:8]}."


def settings(
    database: str, bootstrap: str, topic_prefix: str, port: int, **extra: Any
) -> KetenSettings:
    values: dict[str, Any] = {
        "database_url": database,
        "kafka_bootstrap_servers": bootstrap,
        "oin": DUO_OIN,
        "topic_prefix": topic_prefix,
        "dead_letter_topic": f"{topic_prefix}deadletter",
        "log_json": False,
        "verwerkingslog_sleutel": SLEUTEL,
        "http_port": port,
        "control_api": True,
        "sandbox": True,
        **extra,
    }
    return KetenSettings(**values)


def duo(database: str, bootstrap: str, topic_prefix: str, port: int, **extra: Any) -> KetenService:
    return build_service(
        settings(database, bootstrap, topic_prefix, port, **extra),
        parties=PartyRegistry(PARTIES),
        bronnen=DatarefLezer([BRON], rol=Rol.DUO),
    )


@pytest.fixture(autouse=True)
def restore_the_process_clock() -> Iterator[None]:
    """A service installs its (sandbox) clock as the process's clock; later tests get theirs
    back."""
    previous = get_clock()
    yield
    use_clock(previous)


@pytest.fixture
async def database(postgres_server_url: str) -> AsyncIterator[str]:
    async with fresh_database(postgres_server_url) as url:
        yield url


@pytest.fixture
async def producer(kafka_bootstrap_servers: str) -> AsyncIterator[EventProducer]:
    async with EventProducer(kafka_bootstrap_servers, client_id="gemeente-test") as p:
        yield p


GEMEENTE_SOURCE = source_urn(GEMEENTE_OIN, "dossier-bron")


async def gemeente_event(
    producer: EventProducer,
    topic_prefix: str,
    type_: str,
    dataref: str,
    data: dict[str, Any],
    *,
    dossier_id: str,
    registered: datetime,
    event_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """The gemeente's source announces a change it committed at ``registered``."""
    rd_alias = next(iter(data))
    event = new_event(
        type=T + type_,
        source=GEMEENTE_SOURCE,
        subject=data[rd_alias],
        partitionkey=dossier_id,
        dataref=dataref,
        data=data,
        gemeentecode="0363",
        time=registered,
        id=event_id,
    )
    await producer.publish(topic_prefix + "nl.inburgering.gemeente", event)
    return uuid.UUID(str(event.get_id()))


def om(dag: date, hour: int = 10) -> datetime:
    return datetime(dag.year, dag.month, dag.day, hour, tzinfo=NL_TIJD)


async def rows(database: str, sql: str) -> list[dict[str, Any]]:
    engine = create_async_engine(database)
    try:
        async with engine.connect() as connection:
            return [dict(r._mapping) for r in await connection.execute(text(sql))]
    finally:
        await engine.dispose()


async def control(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> Any:
    answer = await client.post(f"/control{path}", json=body, auth=auth(DUO_TESTER, ""))
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


async def new_plicht(client: httpx.AsyncClient, bsn: str = BSN, **body: Any) -> tuple[str, str]:
    person = await control(
        client,
        "/inburgeringsplichtigen",
        {"bsn": bsn, "doelgroep": "asielstatushouder", "gemeentecode": "0363", **body},
    )
    ibpg = person["inburgeringsplichtigeId"]
    plicht = await control(client, f"/inburgeringsplichtigen/{ibpg}/plicht", {})
    return ibpg, plicht["inburgeringsplichtId"]


def the_dossier(bron: GemeenteBronApp, dossier_id: str, plicht_id: str, bsn: str = BSN) -> None:
    bron.zet(
        "dossier",
        {
            "dossierId": dossier_id,
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
            "status": "actief",
            "inburgeringsplichtId": plicht_id,
        },
    )


def a_pip(bron: GemeenteBronApp, pip_id: str, dossier_id: str, datum: date) -> str:
    return bron.zet(
        "pip",
        {
            "pipId": pip_id,
            "dossierId": dossier_id,
            "versie": 1,
            "vaststellingsdatum": datum.isoformat(),
            "leerroute": "b1-route",
            "doelgroep": "asielstatushouder",
            "intensiteitUren": 1200,
            "doelen": ["B1 behalen"],
        },
    )


def a_traject(bron: GemeenteBronApp, soort: str, tid: str, dossier_id: str, klaar: date) -> str:
    return bron.zet(
        soort,
        {
            f"{soort}Id": tid,
            "dossierId": dossier_id,
            "startGepland": "2025-09-01",
            "uitersteDatumGepland": "2028-07-15",
            "afgerond": True,
            "datumAfgerond": klaar.isoformat(),
        },
    )


async def get(client: httpx.AsyncClient, url: str, who: Party) -> httpx.Response:
    return await client.get(url.replace(str(client.base_url), ""), auth=auth(who))


# --- the tests ------------------------------------------------------------------------------

PIP_DATUM = date(2026, 1, 15)


async def test_pip_to_termijn_late_offer_late_registration_and_tick_off(
    database, kafka_bootstrap_servers, producer
):
    topic_prefix, port = prefix(), free_port()
    service = duo(database, kafka_bootstrap_servers, topic_prefix, port)
    async with (
        gemeente_bron() as bron,
        serving(service, port) as client,
        DuoTopic(kafka_bootstrap_servers, topic_prefix + "nl.inburgering.duo") as duo_topic,
    ):
        ibpg, ibp = await new_plicht(client)
        await duo_topic.wait("inburgeringsplicht.vastgesteld.v1", inburgeringsplichtId=ibp)
        the_dossier(bron, "dos-1", ibp)

        # 1. PIP vastgesteld, registered two days later (in time): DUO fetches it and sets the
        # termijn PIP date + 3 years, and the MAP and PVT deadlines.
        pip_ref = a_pip(bron, "pip-1", "dos-1", PIP_DATUM)
        await gemeente_event(
            producer,
            topic_prefix,
            "pip.vastgesteld.v1",
            pip_ref,
            {"pipId": "pip-1", "dossierId": "dos-1", "versie": 1},
            dossier_id="dos-1",
            registered=om(PIP_DATUM + timedelta(days=2)),
        )
        vastgesteld = await duo_topic.wait("termijn.vastgesteld.v1", 3, inburgeringsplichtId=ibp)
        assert {"pips/pip-1", "dossiers/dos-1"} <= set(bron.reads)
        termijnen = {}
        for event in vastgesteld:
            assert event.envelope.partitionkey == ibpg and event.envelope.gemeentecode == "0363"
            assert BSN not in str(event.data) and BSN not in str(event.envelope)
            read = await get(client, str(event.envelope.dataref), AMSTERDAM)
            assert read.status_code == 200, read.text
            termijnen[read.json()["soort"]] = read.json()
        plicht_termijn = termijnen["inburgeringsplicht"]
        assert plicht_termijn["begindatum"] == "2026-01-15"
        assert plicht_termijn["einddatum"] == "2029-01-15"  # PIP date + 3 years
        assert termijnen["map"]["einddatum"] == termijnen["pvt"]["einddatum"] == "2029-01-15"
        # The gemeente also finds them by the plicht, without its notifications; another
        # gemeente gets 404 for the plicht.
        listed = await client.get(
            f"/api/v1/inburgeringsplichten/{ibp}/termijnen", auth=auth(AMSTERDAM)
        )
        assert listed.status_code == 200, listed.text
        assert {t["soort"]: t["einddatum"] for t in listed.json()} == {
            soort: t["einddatum"] for soort, t in termijnen.items()
        }
        other = await client.get(
            f"/api/v1/inburgeringsplichten/{ibp}/termijnen", auth=auth(UTRECHT)
        )
        assert other.status_code == 404
        assert not duo_topic.of("signaal.aangemaakt.v1")  # registered in time

        # 2. The offer came four months after the PIP (one month late): DUO extends the termijn
        # ex officio by the delay and says so (verlenging, termijn.gewijzigd, a signaal).
        aanbod_datum = PIP_DATUM + relativedelta(months=4)
        aanbod_ref = bron.zet(
            "inburgeringsaanbod",
            {
                "inburgeringsaanbodId": "ia-1",
                "pipId": "pip-1",
                "datumAanbod": str(aanbod_datum),
            },
        )
        await gemeente_event(
            producer,
            topic_prefix,
            "inburgeringsaanbod.gedaan.v1",
            aanbod_ref,
            {"inburgeringsaanbodId": "ia-1", "pipId": "pip-1"},
            dossier_id="dos-1",
            registered=om(aanbod_datum + timedelta(days=1)),
        )
        # The plicht's termijn and the MAP and PVT deadlines that end with it.
        gewijzigd = await duo_topic.wait("termijn.gewijzigd.v1", 3, inburgeringsplichtId=ibp)
        moved_termijnen = {}
        for event in gewijzigd:
            body = (await get(client, str(event.envelope.dataref), AMSTERDAM)).json()
            moved_termijnen[body["soort"]] = body
        assert set(moved_termijnen) == {"inburgeringsplicht", "map", "pvt"}
        read = moved_termijnen["inburgeringsplicht"]
        assert read["laatsteWijziging"] == "ambtshalve-verlenging"
        assert moved_termijnen["map"]["einddatum"] == read["einddatum"]
        delay = aanbod_datum - (PIP_DATUM + relativedelta(months=3))
        assert read["einddatum"] == str(date(2029, 1, 15) + delay) == "2029-02-14"
        [besluit] = await duo_topic.wait("verlenging.besloten.v1", inburgeringsplichtId=ibp)
        verlenging = (await get(client, str(besluit.envelope.dataref), AMSTERDAM)).json()
        assert verlenging["ambtshalve"] is True and verlenging["besluit"] == "gehonoreerd"
        assert verlenging["nieuweEinddatum"] == "2029-02-14"
        assert verlenging["ingangsdatum"] == "2029-01-15"
        await duo_topic.wait("signaal.aangemaakt.v1", inburgeringsplichtId=ibp)

        # A changed PIP (new version) is registered, but does not move the termijn (seed 002
        # section 4.4: "De vastgestelde inburgeringstermijn wijzigt hierdoor niet").
        pip2_ref = bron.zet("pip", {
            "pipId": "pip-2", "dossierId": "dos-1", "versie": 2,
            "vaststellingsdatum": "2026-06-01", "leerroute": "z-route",
            "wijziging": {"soort": "leerroute-gewisseld", "datum": "2026-06-01",
                          "vorigeLeerroute": "b1-route"},
        })  # fmt: skip
        await gemeente_event(
            producer,
            topic_prefix,
            "leerroute.gewisseld.v1",
            pip2_ref,
            {"pipId": "pip-2", "dossierId": "dos-1", "versie": 2},
            dossier_id="dos-1",
            registered=om(date(2026, 6, 2)),
        )
        async with asyncio.timeout(30):
            while "pips/pip-2" not in bron.reads:  # noqa: ASYNC110
                await asyncio.sleep(0.1)
        await asyncio.sleep(1)
        assert len(duo_topic.of("termijn.gewijzigd.v1")) == 3
        assert len(duo_topic.of("termijn.vastgesteld.v1")) == 3

        # 3. The chain clock is moved to 19 May 2026. The MAP was completed on 30 April and
        # registered now: 11 workdays later (5 May and Hemelvaartsdag 14 May do not count), so
        # too late; the PVT, completed the same day and registered on 18 May (10th workday),
        # is in time.
        moved = await client.put("/sandbox/clock", json={"now": "2026-05-19T09:00:00+02:00"})
        assert moved.status_code == 200, moved.text
        pvt_ref = a_traject(bron, "pvt", "pvt-1", "dos-1", date(2026, 4, 30))
        await gemeente_event(
            producer,
            topic_prefix,
            "pvt.afgerond.v1",
            pvt_ref,
            {"pvtId": "pvt-1", "dossierId": "dos-1"},
            dossier_id="dos-1",
            registered=om(date(2026, 5, 18)),
        )
        map_ref = a_traject(bron, "map", "map-1", "dos-1", date(2026, 4, 30))
        await gemeente_event(
            producer,
            topic_prefix,
            "map.afgerond.v1",
            map_ref,
            {"mapId": "map-1", "dossierId": "dos-1"},
            dossier_id="dos-1",
            registered=om(date(2026, 5, 19)),
        )
        signalen = await duo_topic.wait("signaal.aangemaakt.v1", 2, inburgeringsplichtId=ibp)
        open_ = await client.get(
            "/api/v1/signalen", params={"code": "map-te-laat-geregistreerd"}, auth=auth(AMSTERDAM)
        )
        assert open_.status_code == 200, open_.text
        [signaal] = open_.json()
        assert signaal["klasse"] == "informatief" and signaal["betreft"] == "map"
        assert signaal["betreftId"] == "map-1" and signaal["dossierId"] == "dos-1"
        assert signaal["status"] == "open" and signaal["codelijstVersie"] == 2
        assert signaal["aangemaaktOp"].startswith("2026-05-19")  # DUO's (moved) clock
        assert signaal["signaalId"] in {s.data["signaalId"] for s in signalen}
        pvt_signalen = await client.get(
            "/api/v1/signalen", params={"code": "pvt-te-laat-geregistreerd"}, auth=auth(AMSTERDAM)
        )
        assert pvt_signalen.json() == []
        # Another gemeente sees none of them.
        assert (await client.get("/api/v1/signalen", auth=auth(UTRECHT))).json() == []

        # 4. The gemeente ticks it off: who and when are recorded, and announced.
        sid = signaal["signaalId"]
        refused = await client.post(f"/api/v1/signalen/{sid}/afhandelen", auth=auth(UTRECHT))
        assert refused.status_code == 404
        assert refused.headers["content-type"] == "application/problem+json"
        done = await client.post(f"/api/v1/signalen/{sid}/afhandelen", auth=auth(AMSTERDAM))
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "afgehandeld"
        assert done.json()["afgehandeldDoor"] == "usr-0363-4471"
        assert done.json()["afgehandeldOp"].startswith("2026-05-19")
        [afgehandeld] = await duo_topic.wait("signaal.afgehandeld.v1", signaalId=sid)
        assert afgehandeld.envelope.gemeentecode == "0363"
        again = await client.post(f"/api/v1/signalen/{sid}/afhandelen", auth=auth(AMSTERDAM))
        assert again.status_code == 409
        assert again.headers["content-type"] == "application/problem+json"
        still_open = await client.get(
            "/api/v1/signalen", params={"code": "map-te-laat-geregistreerd"}, auth=auth(AMSTERDAM)
        )
        assert still_open.json() == []

        # 5. Another gemeente gets 404 on the person (as for one that does not exist), and the
        # attempt is in the processing log.
        plicht_url = f"/api/v1/inburgeringsplichten/{ibp}"
        assert (await client.get(plicht_url, auth=auth(AMSTERDAM))).json()["bsn"] == BSN
        other = await client.get(plicht_url, auth=auth(UTRECHT))
        assert other.status_code == 404 and BSN not in other.text
        missing = await client.get("/api/v1/inburgeringsplichten/ibp-onbekend", auth=auth(UTRECHT))
        assert missing.status_code == 404 and missing.json()["title"] == other.json()["title"]

    log = await rows(database, "SELECT * FROM keten_verwerkingslog ORDER BY id")
    refusals = [(r["client_id"], r["resource"], r["resource_id"], r["uitkomst"]) for r in log]
    assert ("utrecht-duo", "inburgeringsplicht", ibp, "geweigerd") in refusals
    assert ("utrecht-duo", "signaal", sid, "geweigerd") in refusals
    assert ("amsterdam-duo", "signaal", sid, "geleverd") in refusals
    assert all(BSN not in str(r.values()) for r in log)
    ticked = await rows(database, f"SELECT * FROM duo_signaal WHERE signaal_id = '{sid}'")
    assert ticked[0]["afgehandeld_door_client"] == "amsterdam-duo"


async def test_a_dataref_that_answers_404_is_dead_lettered_not_retried(
    database, kafka_bootstrap_servers, producer
):
    topic_prefix, port = prefix(), free_port()
    service = duo(database, kafka_bootstrap_servers, topic_prefix, port)
    async with gemeente_bron() as bron, serving(service, port) as client:
        await new_plicht(client)
        await gemeente_event(
            producer,
            topic_prefix,
            "pip.vastgesteld.v1",
            f"{bron.url}/api/v1/pips/pip-weg",
            {"pipId": "pip-weg", "dossierId": "dos-1", "versie": 1},
            dossier_id="dos-1",
            registered=om(PIP_DATUM),
        )
        dead = AIOKafkaConsumer(
            f"{topic_prefix}deadletter",
            bootstrap_servers=kafka_bootstrap_servers,
            auto_offset_reset="earliest",
            group_id=None,
            metadata_max_age_ms=1000,
        )
        await dead.start()
        try:
            async with asyncio.timeout(30):
                records = []
                while not records:
                    for batch in (await dead.getmany(timeout_ms=300)).values():
                        records.extend(batch)
        finally:
            await dead.stop()
        headers = dict(records[0].headers)
        assert headers["keten_dlq_reason"] == b"rejected"  # permanent: no retries
        assert bron.reads == ["pips/pip-weg"]  # once: a 404 is not retried


async def test_the_control_api_is_off_unless_enabled_and_duo_only(
    database, kafka_bootstrap_servers
):
    body = {"bsn": BSN, "doelgroep": "gezinsmigrant", "gemeentecode": "0363"}
    topic_prefix, port = prefix(), free_port()
    off = duo(database, kafka_bootstrap_servers, topic_prefix, port, control_api=False)
    async with serving(off, port) as client:
        answer = await client.post(
            "/control/inburgeringsplichtigen", json=body, auth=auth(DUO_TESTER)
        )
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "application/problem+json"
    port = free_port()
    on = duo(database, kafka_bootstrap_servers, topic_prefix, port)
    async with serving(on, port) as client:
        gemeente = await client.post(
            "/control/inburgeringsplichtigen", json=body, auth=auth(AMSTERDAM)
        )
        assert gemeente.status_code == 403
        assert gemeente.headers["content-type"] == "application/problem+json"
        anonymous = await client.post("/control/inburgeringsplichtigen", json=body)
        assert anonymous.status_code == 401
        no_bsn = await client.post(
            "/control/inburgeringsplichtigen",
            json={"doelgroep": "gezinsmigrant", "gemeentecode": "0363"},
            auth=auth(DUO_TESTER),
        )
        assert no_bsn.status_code == 422
        assert no_bsn.headers["content-type"] == "application/problem+json"
        ibpg = (await control(client, "/inburgeringsplichtigen", body))["inburgeringsplichtigeId"]
        assert ibpg.startswith("ibpg-")
        twice = await client.post(
            "/control/inburgeringsplichtigen", json=body, auth=auth(DUO_TESTER)
        )
        assert twice.status_code == 409


async def test_control_api_decisions_emit_their_events_and_moves_notify_the_new_gemeente(
    database, kafka_bootstrap_servers
):
    topic_prefix, port = prefix(), free_port()
    service = duo(database, kafka_bootstrap_servers, topic_prefix, port)
    async with (
        serving(service, port) as client,
        DuoTopic(kafka_bootstrap_servers, topic_prefix + "nl.inburgering.duo") as duo_topic,
    ):
        ibpg, ibp = await new_plicht(client, doelgroep="gezinsmigrant")
        base = f"/inburgeringsplichtigen/{ibpg}"
        await control(client, base + "/brp-inschrijving", {"gemeentecode": "0363"})
        lbt = await control(
            client,
            base + "/lbt-uitslagen",
            {"afnamedatum": "2026-02-01", "uitkomst": "B1 haalbaar"},
        )
        await control(
            client, base + "/vrijstellingen", {"omvang": "gedeeltelijk", "onderdelen": ["spreken"]}
        )
        await control(
            client,
            base + "/ontheffingen",
            {"omvang": "aangepaste-examenomstandigheden", "onderdelen": ["lezen"]},
        )
        ex1 = await control(
            client,
            base + "/examenresultaten",
            {
                "onderdeel": "lezen",
                "niveau": "B1",
                "examendatum": "2026-06-01",
                "uitslag": "niet-behaald",
            },
        )
        ex2 = await control(
            client,
            base + "/examenresultaten",
            {
                "onderdeel": "lezen",
                "niveau": "B1",
                "examendatum": "2026-08-01",
                "uitslag": "behaald",
            },
        )
        assert (ex1["poging"], ex2["poging"]) == (1, 2)
        await control(
            client, base + "/boetes", {"grond": "termijn-overschreden", "bedragInCenten": 50000}
        )
        await control(client, base + "/doelgroep", {"doelgroep": "overige-migrant"})
        aanvraag = await control(client, base + "/verlengingen", {"aangevraagdOp": "2026-08-10"})
        assert aanvraag["besluit"] == "in-behandeling" and aanvraag["ambtshalve"] is False
        besluit = await control(
            client, f"/verlengingen/{aanvraag['verlengingId']}/besluit", {"besluit": "afgewezen"}
        )
        assert besluit["besluit"] == "afgewezen" and "nieuweEinddatum" not in besluit
        verzoek = await control(
            client, base + "/handhavingsverzoeken", {"handhavingsmaatregelIds": ["hm-2b77"]}
        )
        await control(client, base + "/signalen", {"code": "pip-aanleveren"})
        moved = await control(client, base + "/verhuizing", {"gemeentecode": "0344"})
        assert moved["gemeentecode"] == "0344"
        diploma = await control(
            client, base + "/diplomas", {"soort": "inburgeringsdiploma", "datum": "2026-09-01"}
        )

        expected = [
            "inburgeringsplicht.vastgesteld",
            "recht-maatschappelijke-begeleiding.vastgesteld",
            "vestiging.geconstateerd",
            "lbt-uitslag.vastgesteld",
            "signaal.aangemaakt",
            "vrijstelling.verleend",
            "signaal.aangemaakt",
            "ontheffing.verleend",
            "signaal.aangemaakt",
            "examenresultaat.vastgesteld",
            "signaal.aangemaakt",
            "examenresultaat.vastgesteld",
            "signaal.aangemaakt",
            "resultaatsverplichting.boete.opgelegd",
            "signaal.aangemaakt",
            "doelgroep.gewijzigd",
            "signaal.aangemaakt",
            "verlenging.aangevraagd",
            "signaal.aangemaakt",
            "signaal.aangemaakt",
            "verlenging.besloten",
            "signaal.aangemaakt",
            "handhavingsverzoek.ingediend",
            "signaal.aangemaakt",  # handhavingsgegevens-aanleveren (code list version 2)
            "signaal.aangemaakt",
            "verhuizing.gemeld",
            "diploma.uitgereikt",
            "signaal.aangemaakt",
            "inburgeringsplicht.beeindigd",
        ]
        async with asyncio.timeout(30):
            while len(duo_topic.events) < len(expected):  # noqa: ASYNC110
                await asyncio.sleep(0.1)
        seen = [e.envelope.type.removeprefix(T).removesuffix(".v1") for e in duo_topic.events]
        assert seen == expected  # one person, one key: in commit order
        assert {e.envelope.partitionkey for e in duo_topic.events} == {ibpg}
        gemeenten = [e.envelope.gemeentecode for e in duo_topic.events]
        # The move notifies the NEW gemeente; from then on DUO's events go there.
        assert gemeenten[expected.index("verhuizing.gemeld")] == "0344"
        assert set(gemeenten[: expected.index("verhuizing.gemeld")]) == {"0363"}
        assert set(gemeenten[expected.index("verhuizing.gemeld") :]) == {"0344"}

        # After the move only the new gemeente reads the person's data.
        lbt_url = f"/api/v1/lbt-uitslagen/{lbt['lbtUitslagId']}"
        assert (await client.get(lbt_url, auth=auth(AMSTERDAM))).status_code == 404
        assert (await client.get(lbt_url, auth=auth(UTRECHT, "usr-0344-1"))).status_code == 200
        plicht = (
            await client.get(
                f"/api/v1/inburgeringsplichten/{ibp}", auth=auth(UTRECHT, "usr-0344-1")
            )
        ).json()
        assert plicht["status"] == "beeindigd" and plicht["beeindigingsreden"] == "voldaan"
        assert plicht["wijzeVoldaan"] == "inburgeringsdiploma"
        assert plicht["datumVoldaan"] == diploma["datum"] == "2026-09-01"
        # The request for fines stays with the gemeente asked (which imposed them).
        verzoek_url = f"/api/v1/handhavingsverzoeken/{verzoek['handhavingsverzoekId']}"
        assert verzoek["gemeentecode"] == "0363"
        assert (await client.get(verzoek_url, auth=auth(AMSTERDAM))).status_code == 200
        assert (await client.get(verzoek_url, auth=auth(UTRECHT))).status_code == 404
        # The action signalen of the extension request, open for the gemeente of that time.
        codes = {
            s["code"]
            for s in (
                await client.get(
                    "/api/v1/signalen", params={"klasse": "actie-vereist"}, auth=auth(AMSTERDAM)
                )
            ).json()
        }
        assert codes == {
            "verlengingsinformatie-aanleveren",
            "urenverantwoording-aanleveren",
            "pip-aanleveren",
            # The handhavingsverzoek asks the gemeente that imposed the fines for them.
            "handhavingsgegevens-aanleveren",
        }
        # An asielstatushouder's vestiging is COA's to report.
        asiel, _ = await new_plicht(client, bsn="123456782")
        refused = await client.post(
            f"/control/inburgeringsplichtigen/{asiel}/brp-inschrijving",
            json={"gemeentecode": "0363"},
            auth=auth(DUO_TESTER),
        )
        assert refused.status_code == 409


async def test_two_replicas_publish_at_least_once_in_order_and_apply_a_gemeente_event_once(
    database, kafka_bootstrap_servers, producer
):
    topic_prefix = prefix()
    port_a, port_b = free_port(), free_port()
    public = {"public_url": f"http://127.0.0.1:{port_a}"}
    a = duo(database, kafka_bootstrap_servers, topic_prefix, port_a, **public)
    b = duo(database, kafka_bootstrap_servers, topic_prefix, port_b, **public)
    bsns = ["111222333", "123456782", "999999990"]
    async with (
        gemeente_bron() as bron,
        serving(a, port_a) as client_a,
        serving(b, port_b) as client_b,
        DuoTopic(kafka_bootstrap_servers, topic_prefix + "nl.inburgering.duo") as duo_topic,
    ):
        personen: dict[str, list[str]] = {}
        plichten: dict[str, str] = {}
        for n, bsn in enumerate(bsns):
            client = (client_a, client_b)[n % 2]
            ibpg, ibp = await new_plicht(client, bsn=bsn)
            plichten[ibpg] = ibp
            personen[ibpg] = [
                "inburgeringsplicht.vastgesteld",
                "recht-maatschappelijke-begeleiding.vastgesteld",
            ]
        # Alternate the replicas per write, so both stage rows for one person.
        for round_ in range(3):
            for n, ibpg in enumerate(personen):
                client = (client_a, client_b)[(n + round_) % 2]
                await control(
                    client,
                    f"/inburgeringsplichtigen/{ibpg}/examenresultaten",
                    {
                        "onderdeel": "lezen",
                        "examendatum": "2026-06-01",
                        "uitslag": "niet-behaald",
                    },
                )
                personen[ibpg] += ["examenresultaat.vastgesteld", "signaal.aangemaakt"]

        # One gemeente event, delivered twice (the same id): applied once by the two replicas.
        ibpg0 = next(iter(personen))
        the_dossier(bron, "dos-r", plichten[ibpg0])
        pip_ref = a_pip(bron, "pip-r", "dos-r", PIP_DATUM)
        event_id = uuid.uuid4()
        for _ in range(2):
            await gemeente_event(
                producer,
                topic_prefix,
                "pip.vastgesteld.v1",
                pip_ref,
                {"pipId": "pip-r", "dossierId": "dos-r", "versie": 1},
                dossier_id="dos-r",
                registered=om(PIP_DATUM),
                event_id=event_id,
            )
        personen[ibpg0] += ["termijn.vastgesteld"] * 3
        total = sum(len(types) for types in personen.values())
        async with asyncio.timeout(60):
            while len({e.envelope.id for e in duo_topic.events}) < total:  # noqa: ASYNC110
                await asyncio.sleep(0.1)
        await asyncio.sleep(2)  # stragglers: a second copy, a second application

    by_id: dict[uuid.UUID, list[Ontvangen]] = {}
    for event in duo_topic.events:
        by_id.setdefault(event.envelope.id, []).append(event)
    assert len(by_id) == total  # every event published (at least once), nothing extra
    for copies in by_id.values():  # every copy carries the same id and the same event
        assert len({(c.envelope.type, c.envelope.subject, str(c.data)) for c in copies}) == 1
    for ibpg, types in personen.items():
        first_copies: list[Ontvangen] = []
        for event in sorted(duo_topic.events, key=lambda e: (e.partition, e.offset)):
            if (
                event.envelope.partitionkey == ibpg
                and event not in first_copies
                and not any(f.envelope.id == event.envelope.id for f in first_copies)
            ):
                first_copies.append(event)
        assert len({e.partition for e in first_copies}) == 1  # one key, one partition
        seen = [e.envelope.type.removeprefix(T).removesuffix(".v1") for e in first_copies]
        assert seen == types, ibpg  # in commit order per person
    assert len(duo_topic.of("termijn.vastgesteld.v1")) == 3
    inbox = await rows(database, f"SELECT * FROM keten_inbox WHERE consumer = '{SERVICE}'")
    assert [str(r["event_id"]) for r in inbox].count(str(event_id)) == 1
    assert len(await rows(database, "SELECT * FROM duo_termijn")) == 3


async def test_the_migration_creates_exactly_what_the_models_declare(postgres_server_url):
    from duo_adapter.main import MIGRATIONS

    differences, heads = await migration_differences(
        postgres_server_url, MIGRATIONS, "duo_adapter.models"
    )
    assert differences == []
    # keten_core_0003 is an ancestor of the branch (depends_on), so the only head is ours.
    assert heads == {"duo_adapter_0001"}
