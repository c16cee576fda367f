"""A TEST STAND-IN for the gemeente's side of the chain, until dossier-bron exists.

It plays dossier-bron for the reference scenarios (``scenarios/``), as its own process::

    python -m tests.integration.gemeente_standin      # from the repository root

1. **The gemeente's source**: control operations (called by the scenario runner as service
   ``dossier-bron``) store a dossier, a PIP, an inburgeringsaanbod or a MAP traject and publish
   the gemeente's thin event on the (prefixed) gemeente topic, with the ``dataref`` pointing
   here. ``GET /api/v1/<collection>/<id>`` serves the resource (the contracts' model) to DUO's
   credential only.
2. **The gemeente's inbox**, in place of the notificatie-router that does not exist yet: it
   reads COA's and DUO's topics and lists the thin notifications (ids and datarefs, no personal
   data) per gemeente and person (``meldingen-zoeken``), so a journey learns an id it was only
   told in a notification (a termijn, a verlenging). It reads nothing at COA or DUO: the
   scenario does that itself, with the gemeente's own clients, at the adapters' source APIs.

Everything is in memory; nothing here is production code. Configuration (environment):

- ``KETEN_KAFKA_BOOTSTRAP_SERVERS``, ``KETEN_TOPIC_PREFIX``, ``KETEN_HTTP_HOST``,
  ``KETEN_HTTP_PORT``, ``KETEN_PUBLIC_URL``, ``KETEN_SANDBOX`` (the sandbox clock) and
  ``KETEN_OIN`` (the gemeente organisation whose system emits the events), as for a service;
- ``GEMEENTE_STANDIN_CLIENTS``: JSON list of ``{"client_id", "secret", "rol"}`` that may call
  it: rol ``gemeente`` the control operations, rol ``duo`` the source.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, Literal

import jwt
import structlog
import uvicorn
from aiokafka import AIOKafkaConsumer
from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic.alias_generators import to_camel
from pydantic_settings import BaseSettings, SettingsConfigDict

from keten_contracts.common import Doelgroep, Leerroute
from keten_contracts.envelope import source_urn
from keten_contracts.events.catalogue import TOPICS
from keten_contracts.resources import get_resource
from keten_core import clock
from keten_core.envelope import InvalidEvent, decode_binary, new_event
from keten_core.kafka import EventProducer
from keten_core.settings import KetenSettings

log = structlog.get_logger(__name__)

T = "nl.inburgering."
API = "/api/v1"


class Aanroeper(BaseModel):
    client_id: str
    secret: SecretStr
    rol: Literal["gemeente", "duo"]


class StandinSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GEMEENTE_STANDIN_", extra="ignore")

    clients: list[Aanroeper] = Field(default_factory=list)


class Body(BaseModel):
    """Request bodies in the chain's camelCase."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class Adres(Body):
    straat: str
    huisnummer: str
    postcode: str
    woonplaats: str


class NieuwDossier(Body):
    gemeentecode: str
    bsn: str
    voornamen: str
    geslachtsnaam: str
    geboortedatum: date
    adres: Adres
    doelgroep: Doelgroep
    inburgeringsplicht_id: str | None = None
    koppeling_id: str | None = None


class PipVaststellen(Body):
    vaststellingsdatum: date | None = Field(default=None, description="Default: today.")
    leerroute: Leerroute
    intensiteit_uren: int | None = None


class AanbodDoen(Body):
    datum_aanbod: date | None = Field(default=None, description="Default: today.")


class MapAfronden(Body):
    start_gepland: date
    uiterste_datum_gepland: date
    datum_afgerond: date


@dataclass
class Melding:
    """A notification as the gemeente received it (thin: no personal data)."""

    type: str
    subject: str
    sleutel: str
    gemeentecode: str | None
    dataref: str
    data: dict[str, Any]


@dataclass
class Standin:
    settings: KetenSettings
    config: StandinSettings
    resources: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    meldingen: list[Melding] = field(default_factory=list)
    producer: EventProducer | None = None

    @property
    def base_url(self) -> str:
        return self.settings.base_url + API

    def bewaar(self, resource: str, instance: dict[str, Any]) -> dict[str, Any]:
        rd = get_resource(resource)
        body = rd.model.model_validate(instance).model_dump(
            mode="json", by_alias=True, exclude_none=True
        )
        self.resources[(rd.collection, body[rd.id_alias])] = body
        return body

    def haal(self, resource: str, resource_id: str) -> dict[str, Any]:
        found = self.resources.get((get_resource(resource).collection, resource_id))
        if found is None:
            raise _Antwoord(404, f"no {resource} {resource_id!r}")
        return found

    async def meld(self, soort: str, resource: str, body: dict[str, Any], dossier: Any) -> None:
        """Publish the gemeente's thin event for ``body`` (a resource kept here)."""
        rd = get_resource(resource)
        rid = body[rd.id_alias]
        data = {rd.id_alias: rid}
        if "dossierId" in body and rd.id_alias != "dossierId":
            data["dossierId"] = body["dossierId"]
        if resource == "pip":
            data["versie"] = body["versie"]
        if resource == "inburgeringsaanbod":
            data["pipId"] = body["pipId"]
        assert self.settings.oin is not None, "KETEN_OIN is required"
        event = new_event(
            type=f"{T}{soort}.v1",
            source=source_urn(self.settings.oin, "dossier-bron"),
            subject=rid,
            partitionkey=dossier["dossierId"],
            dataref=rd.dataref(self.base_url, rid),
            data=data,
            gemeentecode=dossier["gemeentecode"],
        )
        assert self.producer is not None
        await self.producer.publish(self.settings.topic_prefix + TOPICS["gemeente"], event)

    async def ontvang(self) -> None:
        """Keep the notifications of COA and DUO for the gemeenten it plays (in place of the
        notificatie-router)."""
        prefix = self.settings.topic_prefix
        consumer = AIOKafkaConsumer(
            prefix + TOPICS["coa"],
            prefix + TOPICS["duo"],
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            auto_offset_reset="earliest",
            group_id=None,
            metadata_max_age_ms=1000,
        )
        await consumer.start()
        try:
            while True:
                for batch in (await consumer.getmany(timeout_ms=200)).values():
                    for record in batch:
                        try:
                            envelope, data = decode_binary(record.headers, record.key, record.value)
                        except InvalidEvent:
                            continue
                        self.meldingen.append(
                            Melding(
                                envelope.type,
                                str(envelope.subject),
                                str(envelope.partitionkey),
                                envelope.gemeentecode,
                                str(envelope.dataref),
                                data,
                            )
                        )
        finally:
            await consumer.stop()


class _Antwoord(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _nieuw_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(6)}"


def build_app(settings: KetenSettings | None = None, config: StandinSettings | None = None) -> Any:
    settings = settings or KetenSettings(service_name="dossier-bron")
    standin = Standin(settings, config or StandinSettings())
    clock.use_clock(clock.Clock.from_settings(settings))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        standin.producer = EventProducer(settings.kafka_bootstrap_servers, client_id="standin")
        await standin.producer.start()
        ontvanger = asyncio.create_task(standin.ontvang())
        try:
            yield
        finally:
            ontvanger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ontvanger
            await standin.producer.stop()

    app = FastAPI(title="dossier-bron (test stand-in)", lifespan=lifespan)
    app.include_router(clock.sandbox_clock_router())

    @app.exception_handler(_Antwoord)
    async def antwoord(request: Request, exc: _Antwoord) -> JSONResponse:
        return JSONResponse(
            {"status": exc.status, "detail": exc.detail},
            status_code=exc.status,
            media_type="application/problem+json",
        )

    def caller(rol: str) -> Any:
        def check(request: Request) -> str:
            token = request.headers.get("authorization", "").removeprefix("Bearer ")
            try:
                client_id = jwt.decode(token, options={"verify_signature": False})["client_id"]
            except (jwt.PyJWTError, KeyError) as exc:
                raise _Antwoord(401, "no valid token") from exc
            client = next((c for c in standin.config.clients if c.client_id == client_id), None)
            if client is None:
                raise _Antwoord(401, "unknown client")
            try:
                jwt.decode(token, client.secret.get_secret_value(), algorithms=["HS256"])
            except jwt.PyJWTError as exc:
                raise _Antwoord(401, "bad signature") from exc
            if client.rol != rol:
                raise _Antwoord(403, f"only rol {rol}")
            return client_id

        return Depends(check)

    gemeente = [caller("gemeente")]

    @app.get("/health/live")
    @app.get("/health/ready")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    # --- the source, for DUO ------------------------------------------------------------

    @app.get(API + "/{collection}/{resource_id}", dependencies=[caller("duo")])
    async def bron(collection: str, resource_id: str) -> Any:
        found = standin.resources.get((collection, resource_id))
        if found is None:
            raise _Antwoord(404, f"no {collection}/{resource_id}")
        return found

    # --- control: the gemeente registers ------------------------------------------------

    @app.post(
        "/control/v1/dossiers",
        operation_id="dossier-aanmaken",
        status_code=201,
        dependencies=gemeente,
    )
    async def dossier_aanmaken(body: NieuwDossier) -> dict[str, Any]:
        dossier = standin.bewaar(
            "dossier",
            {
                **body.model_dump(mode="json", by_alias=True, exclude_none=True),
                "dossierId": _nieuw_id("dos"),
                "status": "actief",
            },
        )
        return {"dossierId": dossier["dossierId"], "gemeentecode": dossier["gemeentecode"]}

    @app.post(
        "/control/v1/dossiers/{dossierId}/pip",
        operation_id="pip-vaststellen",
        status_code=201,
        dependencies=gemeente,
    )
    async def pip_vaststellen(
        dossier_id: Annotated[str, Path(alias="dossierId")], body: PipVaststellen
    ) -> dict[str, Any]:
        dossier = standin.haal("dossier", dossier_id)
        pip = standin.bewaar(
            "pip",
            {
                "pipId": _nieuw_id("pip"),
                "dossierId": dossier_id,
                "versie": 1,
                "vaststellingsdatum": str(body.vaststellingsdatum or clock.today()),
                "leerroute": body.leerroute.value,
                "doelgroep": dossier["doelgroep"],
                "intensiteitUren": body.intensiteit_uren,
            },
        )
        await standin.meld("pip.vastgesteld", "pip", pip, dossier)
        return {k: pip[k] for k in ("pipId", "dossierId", "versie", "vaststellingsdatum")}

    @app.post(
        "/control/v1/pips/{pipId}/inburgeringsaanbod",
        operation_id="inburgeringsaanbod-doen",
        status_code=201,
        dependencies=gemeente,
    )
    async def inburgeringsaanbod_doen(
        pip_id: Annotated[str, Path(alias="pipId")], body: AanbodDoen
    ) -> dict[str, Any]:
        pip = standin.haal("pip", pip_id)
        dossier = standin.haal("dossier", pip["dossierId"])
        aanbod = standin.bewaar(
            "inburgeringsaanbod",
            {
                "inburgeringsaanbodId": _nieuw_id("ia"),
                "pipId": pip_id,
                "datumAanbod": str(body.datum_aanbod or clock.today()),
            },
        )
        await standin.meld("inburgeringsaanbod.gedaan", "inburgeringsaanbod", aanbod, dossier)
        return aanbod

    @app.post(
        "/control/v1/dossiers/{dossierId}/map",
        operation_id="map-afronden",
        status_code=201,
        dependencies=gemeente,
    )
    async def map_afronden(
        dossier_id: Annotated[str, Path(alias="dossierId")], body: MapAfronden
    ) -> dict[str, Any]:
        dossier = standin.haal("dossier", dossier_id)
        traject = standin.bewaar(
            "map",
            {
                **body.model_dump(mode="json", by_alias=True),
                "mapId": _nieuw_id("map"),
                "dossierId": dossier_id,
                "afgerond": True,
            },
        )
        await standin.meld("map.afgerond", "map", traject, dossier)
        return {k: traject[k] for k in ("mapId", "dossierId", "datumAfgerond")}

    # --- the gemeente's inbox (in place of the notificatie-router) -------------------------

    @app.get(
        "/control/v1/meldingen",
        operation_id="meldingen-zoeken",
        dependencies=gemeente,
        summary="The thin notifications of a type for one person that reached a gemeente, in "
        "order of arrival (type without prefix and version, e.g. termijn.vastgesteld)",
    )
    async def meldingen_zoeken(
        type_: Annotated[str, Query(alias="type")],
        sleutel: Annotated[str, Query(description="The partitionkey: the person at the source")],
        gemeentecode: str,
    ) -> list[dict[str, Any]]:
        # Ids and datarefs only: what the gemeente then reads, it reads itself at the source.
        return [
            {
                "type": type_,
                "subject": m.subject,
                "gemeentecode": m.gemeentecode,
                "dataref": m.dataref,
                "data": m.data,
            }
            for m in standin.meldingen
            if m.type == f"{T}{type_}.v1"
            and m.sleutel == sleutel
            and m.gemeentecode == gemeentecode
        ]

    return app


def main() -> None:
    settings = KetenSettings(service_name="dossier-bron")
    uvicorn.run(
        build_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_level="info",
    )


if __name__ == "__main__":
    main()
