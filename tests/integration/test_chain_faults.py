"""Faults: the two reference journeys through the whole chain while it is hurt (issue #12, 6).

A fresh chain of five services, the sample webhook subscriber (the gemeente) and the sample
aanbieder run on a throwaway Kafka and PostgreSQL of this test's own (never the shared
servers: those are killed here). Right after a step whose HTTP call returned, while what it set
off is still in flight, one fault is injected: each service is killed with SIGKILL in turn and
relaunched at once (it must go on at the sandbox time the journey set: a service keeps its
moved clock in its database), the broker is killed and started again on its data, PostgreSQL
is shut down immediately (crash recovery) and started again. The journeys must still
complete.

Afterwards, once the chain has settled, independent sources are compared (not the router's
matching code): every event on the chain's domain topics (read from the beginning, by
CloudEvent id), each subscriber's subscriptions as the router's API shows them to that
subscriber, the contracts' ``may_receive`` for the subscriber's party, and the subscribers' own
receipts. Every entitled event must have reached its subscriber, none it may not see, nothing
may be left in an outbox or dead (dead-letter topic, the router's delivery log). A summary
table goes to stdout.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from keten_contracts.envelope import (
    EXT_AANBIEDEROIN,
    EXT_AANBIEDERSOORT,
    EXT_ABONNEEOIN,
    EXT_GEMEENTECODE,
)
from keten_contracts.events.catalogue import TOPICS
from keten_contracts.parties import Rol
from keten_contracts.policy import may_receive
from keten_core.auth import Party, ZGWTokenAuth
from keten_core.chain import (
    CHAIN,
    ChainConfig,
    ChainState,
    Infra,
    free_port,
    launch,
    process_env,
    ready,
    service_env,
    wait_ready,
)
from keten_core.demo_keten import (
    AANBIEDER,
    REIZEN_OP_VOLGORDE,
    Bronnen,
    Reis,
    Stap,
    Uitslag,
    Voortgang,
    Waarnemer,
    scenario_env,
    stop_keten,
    verse_keten,
    voer_reis_uit,
    voorbeelden,
)
from keten_core.infra import LocalKafka, LocalPostgres
from keten_core.infra.common import signal_process, wait_until_gone

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(480)]

KAFKA: Final = "kafka"
POSTGRES: Final = "postgres"
# A server stays down this long: the relays and consumers poll faster, so each one meets the
# outage instead of slipping past it.
DOWN_S: Final = 2.0
SETTLE_S: Final = 120.0
POLL_S: Final = 2.0


@dataclass(frozen=True)
class Storing:
    """One fault: after step ``stap`` (which calls ``operatie``) of journey ``reis``, hit
    ``doel`` (a service of the chain, ``kafka`` or ``postgres``)."""

    reis: str
    stap: int
    operatie: str
    doel: str


# Each right after a call whose events the next steps depend on; PostgreSQL's right before a
# call to dossier-bron (step 28), so a service that cannot use its database at once fails it.
PLAN: Final = (
    Storing("asielstatushouder", 3, "koppelen", "coa-adapter"),
    Storing("asielstatushouder", 9, "plicht-vaststellen", "duo-adapter"),
    Storing("asielstatushouder", 13, "intake-uitnodigen", "dossier-bron"),
    Storing("asielstatushouder", 16, "pip-vaststellen", "notificatie-router"),
    Storing("asielstatushouder", 19, "opdracht-verstrekken", KAFKA),
    Storing("asielstatushouder", 27, "map-starten", POSTGRES),
    Storing("gezinsmigrant", 11, "pip-vaststellen", "cbs-leverancier"),
)


@dataclass(frozen=True)
class Abonnee:
    naam: str
    client_id: str  # its credential at the router
    url: Callable[[Bronnen], str]
    receipts: Callable[[Mapping[str, Any]], list[str]]  # CloudEvent ids from its GET /status


ABONNEES: Final = (
    Abonnee(
        "gemeente (webhook-ontvanger)",
        "amsterdam-notificaties",
        lambda bronnen: bronnen.ontvanger_url,
        lambda status: [str(m["id"]) for m in status["ontvangen"]],
    ),
    Abonnee(
        f"aanbieder {AANBIEDER}",
        f"{AANBIEDER}-bij-router",
        lambda bronnen: bronnen.aanbieder_url,
        # The webhook-id is the CloudEvent id (Standard Webhooks, as the router signs it).
        lambda status: [str(e["webhookId"]) for e in status["received"]],
    ),
)


@dataclass
class Ingezet:
    storing: Storing
    hersteld_s: float  # from the fault until the target served again


# -- the chain on servers of its own -----------------------------------------------------------


@dataclass
class Keten:
    state: ChainState
    kafka: LocalKafka
    postgres: LocalPostgres
    config: ChainConfig | None = None
    ingezet: list[Ingezet] = field(default_factory=list)

    @property
    def servers(self) -> Infra:
        sasl = (self.kafka.sasl_bootstrap_servers, self.kafka.router_user,
                self.kafka.router_password)  # fmt: skip
        # Named servers, none managed: the chain code never starts or stops them; this test does.
        return Infra(self.kafka.bootstrap_servers, self.postgres.database_url, [], sasl)

    def databases(self) -> dict[str, str]:
        assert self.config is not None
        db = make_url(self.postgres.database_url)
        return {
            s.name: db.set(database=self.config.database(s.name)).render_as_string(
                hide_password=False
            )
            for s in CHAIN
        }

    def relaunch(self, service: str) -> None:
        """Start ``service`` again as ``verse_keten`` did, and wait until it is ready."""
        assert self.config is not None
        servers = self.servers
        env = service_env(
            service,
            self.config,
            self.state.secrets(),
            self.state.parties(),
            parties_file=self.state.parties_file,
            kafka_bootstrap=servers.kafka_bootstrap,
            database_url=servers.database_url,
            kafka_sasl=servers.kafka_sasl,
        )
        port = self.config.ports[service]
        started = launch(self.state, service, port, process_env(env, os.environ))
        wait_ready(self.state, started, self.config.url(service), 120)

    def kill(self, service: str) -> None:
        assert self.config is not None
        pid = self.state.pid(service, self.config.ports[service])
        assert pid is not None, f"{service} is not running before its fault"
        signal_process(pid, signal.SIGKILL)
        assert wait_until_gone(pid, 10), f"{service} (pid {pid}) outlived SIGKILL"

    def clock(self, service: str) -> dict[str, Any]:
        assert self.config is not None
        answer = httpx.get(self.config.url(service) + "/sandbox/clock", timeout=10)
        return dict(answer.raise_for_status().json())

    def assert_clock_kept(self, service: str, before: Mapping[str, Any], read_at: float) -> None:
        """A journey moved (and froze) the sandbox clock; the restarted service must go on at
        that time (``keten_core.clock_store``), not at wall-clock time: it would date what it
        registers years away from the rest of the chain."""
        after = self.clock(service)
        assert (after["moved"], after["frozen"]) == (before["moved"], before["frozen"]), after
        if not before["moved"]:
            return
        expected = datetime.fromisoformat(before["now"])
        if not before["frozen"]:
            expected += timedelta(seconds=time.monotonic() - read_at)
        drift = abs(datetime.fromisoformat(after["now"]) - expected)
        assert drift < timedelta(seconds=5), f"{service}'s clock after its restart: {after}"

    def na_stap(self, reis: Reis, stap: Stap) -> None:
        """The journeys' per-step hook: inject the fault planned after this step, if any."""
        storing = next((s for s in PLAN if (s.reis, s.stap) == (reis.naam, stap.nummer)), None)
        if storing is None:
            return
        # A journey file that changed its steps must move the plan, not hit another step.
        assert storing.operatie in stap.wat, f"{reis.naam} step {stap.nummer} is {stap.wat!r}"
        begin = time.monotonic()
        if storing.doel == KAFKA:
            self.kafka.kill()
            time.sleep(DOWN_S)
            self.kafka.start(timeout=180)
        elif storing.doel == POSTGRES:
            self.postgres.kill()  # immediate shutdown: the next start runs crash recovery
            time.sleep(DOWN_S)
            self.postgres.start(timeout=120)
        else:
            clock, read_at = self.clock(storing.doel), time.monotonic()
            self.kill(storing.doel)
            self.relaunch(storing.doel)
            self.assert_clock_kept(storing.doel, clock, read_at)
        self.ingezet.append(Ingezet(storing, time.monotonic() - begin))
        print(f"fault: {storing.doel} after {reis.naam} step {stap.nummer} ({storing.operatie}); "
              f"serving again after {time.monotonic() - begin:.1f} s", file=sys.stderr)  # fmt: skip


@pytest.fixture
def keten(tmp_path: Path) -> Iterator[Keten]:
    kafka = LocalKafka(
        tmp_path / "kafka", free_port(), free_port(), sasl_port=free_port(), heap="512m"
    )
    # Under root the cluster belongs to the postgres user and lives in /var/tmp (LocalPostgres):
    # pytest's tmp_path is not readable for that user. destroy() removes it.
    postgres = LocalPostgres(port=free_port())
    state = ChainState(tmp_path / "state")
    state.dir.mkdir(parents=True)
    keten = Keten(state, kafka, postgres)
    try:
        kafka.start(timeout=180)
        postgres.start(timeout=120)
        yield keten
    finally:
        if state.exists():  # also when the chain failed to start half way
            stop_keten(state, state.config())
        kafka.destroy()
        postgres.destroy()


# -- what the chain did, from independent sources ------------------------------------------------


@dataclass
class Event:
    id: str
    type: str
    attributes: dict[str, str]
    copies: int = 1


@dataclass
class Telling:
    """One subscriber's account."""

    abonnee: Abonnee
    abonnementen: list[dict[str, Any]]
    verwacht: set[str]  # ids of the events it is entitled to
    verboden: int  # events on the topics its party may not see (the policy's walls at work)
    ontvangen: list[str]  # its receipts, in order (repeats kept)
    router_herhaald: int  # successful router attempts beyond the first per event
    router_status: Counter[str]

    @property
    def verloren(self) -> set[str]:
        return self.verwacht - set(self.ontvangen)

    @property
    def ongevraagd(self) -> set[str]:
        return set(self.ontvangen) - self.verwacht

    @property
    def dubbel(self) -> int:
        return len(self.ontvangen) - len(set(self.ontvangen))


@dataclass
class Stand:
    events: dict[str, Event]
    outbox: dict[str, int]  # service -> rows not yet published (or parked)
    dead_letters: int
    tellingen: list[Telling]
    down: list[str]  # services that do not answer ready

    def rustig(self) -> bool:
        return (
            not any(self.outbox.values())
            and not self.down
            and all(not t.verloren and not t.router_status["wacht"] for t in self.tellingen)
        )


def ce_attributes(headers: Sequence[tuple[str, bytes | None]]) -> dict[str, str]:
    """The CloudEvent attributes of a binary-mode Kafka record (``ce_<name>`` headers)."""
    return {k[3:]: v.decode() for k, v in headers if k.startswith("ce_") and v is not None}


async def read_topics(bootstrap: str, topics: Sequence[str]) -> list[Any]:
    """Every record of ``topics`` (those that exist) up to their ends, from the beginning."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        wanted = [t for t in topics if t in set(await admin.list_topics())]
        # No names would describe every topic of the cluster.
        described = await admin.describe_topics(wanted) if wanted else []
    finally:
        await admin.close()
    tps = [TopicPartition(d["topic"], p["partition"]) for d in described for p in d["partitions"]]
    if not tps:
        return []
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        records: list[Any] = []
        async with asyncio.timeout(60):
            while True:
                behind = [tp for tp in tps if await consumer.position(tp) < ends[tp]]
                if not behind:
                    return records
                for batch in (await consumer.getmany(*behind, timeout_ms=500)).values():
                    records.extend(batch)
    finally:
        await consumer.stop()


async def outbox_rows(databases: Mapping[str, str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for service, url in databases.items():
        engine = create_async_engine(url, poolclass=NullPool)
        try:
            async with engine.connect() as connection:
                counts[service] = int(
                    await connection.scalar(text("SELECT count(*) FROM keten_outbox")) or 0
                )
        finally:
            await engine.dispose()
    return counts


def matches_filter(expression: Mapping[str, Any], attributes: Mapping[str, str]) -> bool:
    """The CloudEvents Subscriptions API filter dialects (spec 3.2.4), written here again on
    purpose: the check must not borrow the router's matcher."""
    [(dialect, value)] = expression.items()
    if dialect == "exact":
        return all(attributes.get(k) == v for k, v in value.items())
    if dialect == "prefix":
        return all(attributes.get(k, "").startswith(v) and k in attributes
                   for k, v in value.items())  # fmt: skip
    if dialect == "suffix":
        return all(attributes.get(k, "").endswith(v) and k in attributes
                   for k, v in value.items())  # fmt: skip
    if dialect == "all":
        return all(matches_filter(e, attributes) for e in value)
    if dialect == "any":
        return any(matches_filter(e, attributes) for e in value)
    if dialect == "not":
        return not matches_filter(value, attributes)
    raise AssertionError(f"a filter dialect this check does not know: {dialect}")


def subscribed(abonnement: Mapping[str, Any], event: Event) -> bool:
    types = abonnement.get("types") or []
    if types and event.type not in types:
        return False
    if abonnement.get("source") and event.attributes.get("source") != abonnement["source"]:
        return False
    return all(matches_filter(f, event.attributes) for f in abonnement.get("filters") or [])


def allowed(party: Party, event: Event) -> bool:
    a = event.attributes
    return may_receive(
        Rol(party.rol),
        event.type,
        recipient_gemeentecode=party.namens,
        event_gemeentecode=a.get(EXT_GEMEENTECODE),
        recipient_oin=party.oin,
        event_aanbiedersoort=a.get(EXT_AANBIEDERSOORT),
        event_aanbiederoin=a.get(EXT_AANBIEDEROIN),
        event_abonneeoin=a.get(EXT_ABONNEEOIN),
    )


def router_log(
    http: httpx.Client, abonnement_id: str, auth: httpx.Auth
) -> tuple[Counter[str], int]:
    """The router's delivery log of one subscription: rows per status, and successful
    attempts beyond the first per event (repeats the subscriber had to drop)."""
    status: Counter[str] = Counter()
    successes: Counter[str] = Counter()
    na = 0
    while True:
        answer = http.get(
            f"/api/v1/subscriptions/{abonnement_id}/deliveries",
            params={"aantal": 1000, "na": na},
            auth=auth,
        )
        answer.raise_for_status()
        page = answer.json()["afleveringen"]
        for row in page:
            status[row["status"]] += 1
            ok = [p for p in row["geschiedenis"] if 200 <= int(p.get("status") or 0) < 300]
            successes[str(row["gebeurtenisId"])] += len(ok)
        if len(page) < 1000:
            break
        na = page[-1]["volgnummer"]
    return status, sum(max(0, n - 1) for n in successes.values())


def stand(keten: Keten, bronnen: Bronnen) -> Stand:
    assert keten.config is not None
    prefix = keten.config.topic_prefix
    bootstrap = keten.kafka.bootstrap_servers
    events: dict[str, Event] = {}
    for record in asyncio.run(read_topics(bootstrap, [prefix + t for t in TOPICS.values()])):
        attributes = ce_attributes(record.headers)
        found = events.get(attributes["id"])
        if found is not None:
            found.copies += 1  # published again after a kill: at least once
        else:
            events[attributes["id"]] = Event(attributes["id"], attributes["type"], attributes)
    dead_letters = len(asyncio.run(read_topics(bootstrap, [f"{prefix}keten.deadletter"])))
    outbox = asyncio.run(outbox_rows(keten.databases()))
    parties = {p.client_id: p for p in keten.state.parties()}
    tellingen = []
    with httpx.Client(base_url=keten.config.url("notificatie-router"), timeout=30) as http:
        for abonnee in ABONNEES:
            party = parties[abonnee.client_id]
            auth = ZGWTokenAuth(party.client_id, party.secret)
            abonnementen = http.get("/api/v1/subscriptions", auth=auth).raise_for_status().json()
            toegestaan = [e for e in events.values() if allowed(party, e)]
            verwacht = {e.id for e in toegestaan if any(subscribed(a, e) for a in abonnementen)}
            status = httpx.get(abonnee.url(bronnen) + "/status", timeout=10).raise_for_status()
            router_status: Counter[str] = Counter()
            herhaald = 0
            for abonnement in abonnementen:
                s, h = router_log(http, str(abonnement["id"]), auth)
                router_status += s
                herhaald += h
            tellingen.append(
                Telling(
                    abonnee,
                    abonnementen,
                    verwacht,
                    len(events) - len(toegestaan),
                    abonnee.receipts(status.json()),
                    herhaald,
                    router_status,
                )
            )
    down = [s.name for s in CHAIN if not ready(keten.config.url(s.name))]
    return Stand(events, outbox, dead_letters, tellingen, down)


def settle(keten: Keten, bronnen: Bronnen) -> Stand:
    """Poll until nothing is unpublished, waiting or missing, or until ``SETTLE_S``; the
    caller asserts on what it returns."""
    deadline = time.monotonic() + SETTLE_S
    while True:
        try:
            current = stand(keten, bronnen)
        except (httpx.HTTPError, DBAPIError, OSError) as error:
            if time.monotonic() > deadline:
                raise
            print(f"settling: {type(error).__name__}: {error}", file=sys.stderr)
        else:
            if current.rustig() or time.monotonic() > deadline:
                return current
        time.sleep(POLL_S)


def tabel(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
            for r in rows]  # fmt: skip


def summary(ingezet: Sequence[Ingezet], eind: Stand, duur_s: float) -> list[str]:
    regels = [f"== chain faults: {len(ingezet)} faults; chain, journeys and settling in "
              f"{duur_s:.0f} s ==", ""]  # fmt: skip
    rows = [["JOURNEY", "STEP", "CALL", "FAULT", "SERVING AGAIN"]]
    for i in ingezet:
        s = i.storing
        fault = {KAFKA: "broker killed, restarted", POSTGRES: "PostgreSQL crashed, restarted"}
        rows.append([s.reis, str(s.stap), s.operatie, fault.get(s.doel, f"SIGKILL {s.doel}"),
                     f"{i.hersteld_s:.1f} s"])  # fmt: skip
    regels += [*tabel(rows), ""]
    # DUPLICATES: events the router delivered again after a success (the sample subscribers
    # drop a repeat by its id, so their receipts hold each event once; RECORDED TWICE checks
    # that they did).
    # MAY NOT SEE: events on the topics the subscriber's party may not receive (policy);
    # NOT ENTITLED: how many of those, or of types it did not subscribe to, it received anyway.
    rows = [["SUBSCRIBER", "MAY NOT SEE", "EXPECTED", "DELIVERED", "DUPLICATES", "LOST",
             "NOT ENTITLED", "RECORDED TWICE", "WAITING", "DEAD"]]  # fmt: skip
    for t in eind.tellingen:
        rows.append([t.abonnee.naam, str(t.verboden), str(len(t.verwacht)),
                     str(len(set(t.ontvangen))),
                     str(t.router_herhaald), str(len(t.verloren)), str(len(t.ongevraagd)),
                     str(t.dubbel), str(t.router_status["wacht"]),
                     str(t.router_status["dood"])])  # fmt: skip
    regels += [*tabel(rows), ""]
    copies = sum(e.copies - 1 for e in eind.events.values())
    regels += [
        f"  events on the domain topics: {len(eind.events)} (plus {copies} copies published again)",
        f"  unpublished outbox rows: {sum(eind.outbox.values())}; "
        f"dead letters: {eind.dead_letters}; services not ready: {eind.down or 'none'}",
    ]
    return regels


# -- the test ------------------------------------------------------------------------------------


def test_the_journeys_survive_killed_services_a_restarted_broker_and_database(
    keten: Keten, capsys: pytest.CaptureFixture[str]
) -> None:
    begin = time.monotonic()
    voortgang = Voortgang(sys.stderr)
    naam = f"f{uuid.uuid4().hex[:8]}"
    keten.config = verse_keten(keten.state, keten.servers, naam, voortgang)
    secrets = {p.client_id: p.secret.get_secret_value() for p in keten.state.parties()}
    with voorbeelden(keten.state, keten.state.dir.parent, keten.databases(), voortgang) as bronnen:
        urls = {s.name: keten.config.url(s.name) for s in CHAIN}
        urls["gemeente-inbox"] = bronnen.ontvanger_url
        waarnemer = Waarnemer(bronnen)
        waarnemer.start()
        try:
            for reis in REIZEN_OP_VOLGORDE:
                voer_reis_uit(reis, urls, scenario_env(secrets), waarnemer, voortgang, Uitslag(),
                              na_stap=keten.na_stap)  # fmt: skip
        finally:
            waarnemer.stop()
            voortgang.sluit()
        assert [i.storing for i in keten.ingezet] == list(PLAN), "a planned fault was not reached"
        eind = settle(keten, bronnen)
    duur = time.monotonic() - begin

    # Past pytest's capture: the table belongs in every CI log, also when the test passes.
    with capsys.disabled():
        print()
        print("\n".join(summary(keten.ingezet, eind, duur)))

    assert eind.events, "no events on the domain topics: the check would prove nothing"
    assert not eind.down, f"not ready at the end: {eind.down}"
    assert eind.outbox == dict.fromkeys(eind.outbox, 0), f"left unpublished: {eind.outbox}"
    assert eind.dead_letters == 0, f"{eind.dead_letters} dead letters"
    for t in eind.tellingen:
        wie = t.abonnee.naam
        assert t.verwacht, f"{wie}: entitled to nothing; the check would prove nothing"
        lost = sorted(f"{eind.events[i].type} {i}" for i in t.verloren)
        assert not lost, f"{wie}: {len(lost)} entitled events never arrived: {lost}"
        foreign = sorted(t.ongevraagd)
        forbidden = [i for i in foreign if i not in eind.events
                     or not allowed(_party(keten, t.abonnee), eind.events[i])]  # fmt: skip
        assert not forbidden, f"{wie} received events its party may not see: {forbidden}"
        assert not foreign, f"{wie} received events it did not subscribe to: {foreign}"
        assert t.dubbel == 0, f"{wie} recorded {t.dubbel} repeats as new receipts"
        assert not t.router_status["wacht"], f"{wie}: deliveries still waiting {t.router_status}"
        assert not t.router_status["dood"], f"{wie}: dead deliveries {t.router_status}"


def _party(keten: Keten, abonnee: Abonnee) -> Party:
    return next(p for p in keten.state.parties() if p.client_id == abonnee.client_id)
