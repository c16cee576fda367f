"""The notificatie-router as its own process for the tests, its clients, and events for the
domain topics it consumes (built from the catalogue, published with the kit's producer)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet

from keten_contracts.clients import Functie, toegestane_doelen
from keten_contracts.envelope import source_urn
from keten_contracts.events.catalogue import get_event_type
from keten_contracts.parties import Rol
from keten_contracts.resources import get_resource
from keten_core.auth import Party, encode_zgw_token
from keten_core.envelope import new_event
from keten_core.kafka import EventProducer
from tests.schemathesis_support import ServiceProcess

SERVICE = "notificatie-router"
ROUTER_OIN = "00000001002220647000"
DUO_OIN = "00000001800866472000"
GEMEENTE_OIN = "00000001002564440000"
ANDERE_GEMEENTE_OIN = "00000001001589623000"
MAP_OIN = "00000003273280410000"
ANDERE_MAP_OIN = "00000003273280420000"
SLEUTEL = "verwerkingslog-sleutel-router-0123456789abcdef-01"


def client(
    client_id: str,
    oin: str,
    rol: Rol,
    *,
    namens: str | None = None,
    functie: Functie | None = None,
) -> Party:
    if functie is None:
        functie = Functie.MEDEWERKER_INBURGERING if rol is Rol.GEMEENTE else Functie.ORGANISATIE
    doel = sorted(toegestane_doelen(rol, functie))[0]
    return Party(
        client_id=client_id,
        service=SERVICE,
        oin=oin,
        rol=rol,
        functie=functie,
        namens=namens,
        doelen=frozenset({doel}),
        secret=f"{client_id}-secret-0123456789abcdef-0123456789",
    )


AMSTERDAM = client("router-amsterdam", GEMEENTE_OIN, Rol.GEMEENTE, namens="0363")
UTRECHT = client("router-utrecht", ANDERE_GEMEENTE_OIN, Rol.GEMEENTE, namens="0344")
MAP = client("router-map", MAP_OIN, Rol.MAP_AANBIEDER)
ANDERE_MAP = client("router-map-2", ANDERE_MAP_OIN, Rol.MAP_AANBIEDER)
SSC_OIN = "00000001823288444000"
# An SSC's operator of notification subscriptions, one credential per mandated gemeente.
BEHEERDER_AMSTERDAM = client(
    "ssc-beheer-0363", SSC_OIN, Rol.GEMEENTE, namens="0363", functie=Functie.NOTIFICATIEBEHEERDER
)
BEHEERDER_UTRECHT = client(
    "ssc-beheer-0344", SSC_OIN, Rol.GEMEENTE, namens="0344", functie=Functie.NOTIFICATIEBEHEERDER
)
CLIENTS = (AMSTERDAM, UTRECHT, MAP, ANDERE_MAP, BEHEERDER_AMSTERDAM, BEHEERDER_UTRECHT)


def headers(party: Party) -> dict[str, str]:
    token = encode_zgw_token(
        party.client_id, party.secret, user_id="test", lifetime=timedelta(hours=1)
    )
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Router:
    """A running router process and what a test needs to talk to it."""

    process: ServiceProcess
    prefix: str
    dead_letter_topic: str

    @property
    def url(self) -> str:
        return self.process.url

    def api(self, party: Party) -> httpx.Client:
        return httpx.Client(base_url=self.url + "/api/v1", headers=headers(party), timeout=30.0)

    def subscribe(self, party: Party, sink: str, **body: Any) -> dict[str, Any]:
        with self.api(party) as api:
            response = api.post("/subscriptions", json={"sink": sink, "protocol": "HTTP", **body})
        assert response.status_code == 201, response.text
        found: dict[str, Any] = response.json()
        return found


@contextmanager
def router_process(
    *,
    database: str,
    kafka_bootstrap_servers: str,
    log_path: Path,
    retry_stages_s: Sequence[float] = (1, 1, 1),
    extra_env: dict[str, str] | None = None,
    clients: Sequence[Party] = CLIENTS,
) -> Iterator[Router]:
    env = {
        "KETEN_ROUTER_SLEUTELS": Fernet.generate_key().decode(),
        "KETEN_ROUTER_RETRY_STAGES_S": "[" + ",".join(str(s) for s in retry_stages_s) + "]",
        "KETEN_ROUTER_PLANNER_S": "0.2",
        "KETEN_ROUTER_LEASE_S": "5",
        "KETEN_ROUTER_TIMEOUT_S": "3",
        **(extra_env or {}),
    }
    process = ServiceProcess(
        SERVICE,
        database=database,
        kafka_bootstrap_servers=kafka_bootstrap_servers,
        oin=ROUTER_OIN,
        parties=clients,
        sleutel=SLEUTEL,
        log_path=log_path,
        extra_env=env,
    )
    process.start()
    try:
        yield Router(process, f"st{process.port}.", f"st{process.port}.deadletter")
    finally:
        process.stop()


def event(
    type: str,
    *,
    partitionkey: str,
    gemeentecode: str = "0363",
    aanbiederoin: str | None = None,
    nummer: int = 0,
    id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """A valid event of ``type`` from its producing domain's example source: its attributes
    (``id``, ``type``, ``partitionkey``, ...) and, under ``cloudevent``, the event itself."""
    et = get_event_type(type)
    producer = sorted(et.producers)[0]
    systeem = {Rol.DUO: "duo-adapter", Rol.COA: "coa-adapter"}.get(producer, "dossier-bron")
    oin = {Rol.DUO: DUO_OIN}.get(producer, GEMEENTE_OIN)
    resource = get_resource(et.resource)
    resource_id = f"r-{partitionkey}-{nummer}"
    data = dict(et.example_data)
    data[resource.id_alias] = resource_id  # subject = the resource's id in the data
    cloudevent = new_event(
        type=type,
        source=source_urn(oin, systeem),
        subject=resource_id,
        partitionkey=partitionkey,
        dataref=resource.dataref("http://bron.example/api/v1", resource_id),
        data=data,
        gemeentecode=gemeentecode,
        aanbiedersoort=Rol.MAP_AANBIEDER if aanbiederoin else None,
        aanbiederoin=aanbiederoin,
        id=id,
    )
    return {**cloudevent.get_attributes(), "cloudevent": cloudevent}


async def publish(bootstrap: str, prefix: str, events: Sequence[dict[str, Any]]) -> None:
    """Publish in the given order (one send at a time, so per-key order is the list's)."""
    async with EventProducer(bootstrap, client_id="router-test") as producer:
        for e in events:
            await producer.publish(prefix + get_event_type(e["type"]).topic, e["cloudevent"])
