"""dossier-bron as its own process (``keten run dossier-bron``) killed with SIGKILL at the two
moments the outbox exists for, on the real broker and database, with coa-adapter and
duo-adapter running:

- **between commit and publish**: the PIP's commit is in the database, its event is not on
  Kafka yet. The relay is kept from publishing by holding its advisory lock (so the kill lands
  exactly there, not by luck). After a restart the event arrives.
- **between publish and the outbox row's delete**: the broker acknowledged the event but the
  relay's DELETE waits behind a table lock held by the test; the process dies there. After a
  restart the relay sends the row again: a second copy with the same CloudEvents id, which
  duo-adapter's inbox applies once (one termijn).

And two replicas on one database, both taking PIP changes of one dossier at the same time, one
of them killed half way: the dossier's events arrive in the order of its PIP versions. And more
concurrent writes than the database pool has connections all succeed."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from coa_adapter.main import build_service as build_coa
from dossier_bron.bench import dossiers_openen
from duo_adapter.main import build_service as build_duo
from keten_contracts.events.catalogue import TOPICS
from keten_contracts.parties import Rol
from keten_core.auth import PartyRegistry
from keten_core.dataref import BronCredential, DatarefLezer
from keten_core.outbox import RELAY_LOCK_KEY
from keten_core.testing import fresh_database
from tests.integration.test_dossier_bron import (
    AMSTERDAM,
    AMSTERDAM_OIN,
    BRON_BIJ_COA,
    BRON_BIJ_DUO,
    BSN,
    CASEMANAGER,
    COA_OIN,
    DUO_OIN,
    DUO_TESTER,
    SLEUTEL,
    Keten,
    auth,
    settings,
    until,
)
from tests.integration.test_dossier_bron_intake_pip import (
    DUO_BIJ_BRON,
    PIP,
    _afgeronde_intake,
    _dossier,
    _post,
)
from tests.integration.test_service import free_port, serving
from tests.schemathesis_support import ServiceProcess
from tests.support import read_all, read_to_end

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]

PIP_VASTGESTELD = "nl.inburgering.pip.vastgesteld.v1"


@dataclass
class Opstelling:
    """coa-adapter and duo-adapter in this process, dossier-bron's replicas as processes."""

    keten: Keten
    replicas: list[ServiceProcess]
    bron_dsn: str
    bootstrap: str

    def client(self, replica: ServiceProcess) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=replica.url, timeout=30)

    async def gemeente_records(self, count: int, timeout_s: float = 60) -> list[Any]:
        topic = self.keten.prefix + TOPICS["gemeente"]
        return await read_all(self.bootstrap, topic, count, timeout_s=timeout_s)


def _header(record: Any, name: str) -> str:
    return str(dict(record.headers)[name].decode())


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@asynccontextmanager
async def opstelling(
    postgres_server_url: str, bootstrap: str, tmp_path: Path, replicas: int
) -> AsyncIterator[Opstelling]:
    prefix = f"t{uuid.uuid4().hex[:8]}."
    ports = {name: free_port() for name in ("coa", "duo")}
    bron_ports = [free_port() for _ in range(replicas)]
    async with AsyncExitStack() as stack:
        db = {
            name: await stack.enter_async_context(fresh_database(postgres_server_url))
            for name in ("coa", "duo", "bron")
        }
        coa = build_coa(
            settings(db["coa"], bootstrap, ports["coa"], prefix, oin=COA_OIN, control_api=True),
            parties=PartyRegistry([CASEMANAGER, BRON_BIJ_COA]),
        )
        # DUO fetches the PIP at the first replica (one address, as behind a Service).
        duo = build_duo(
            settings(db["duo"], bootstrap, ports["duo"], prefix, oin=DUO_OIN, control_api=True),
            parties=PartyRegistry([DUO_TESTER, BRON_BIJ_DUO]),
            bronnen=DatarefLezer(
                [
                    BronCredential(
                        base_url=f"http://127.0.0.1:{bron_ports[0]}/api/v1",
                        client_id=DUO_BIJ_BRON.client_id,
                        secret=DUO_BIJ_BRON.secret,
                    )
                ],
                rol=Rol.DUO,
            ),
        )
        bronnen = [
            {
                "base_url": f"http://127.0.0.1:{ports[name]}/api/v1",
                "client_id": p.client_id,
                "secret": p.secret.get_secret_value(),
            }
            for name, p in (("coa", BRON_BIJ_COA), ("duo", BRON_BIJ_DUO))
        ]
        processes = [
            ServiceProcess(
                "dossier-bron",
                database=db["bron"],
                kafka_bootstrap_servers=bootstrap,
                oin=AMSTERDAM_OIN,
                parties=[AMSTERDAM, DUO_BIJ_BRON],
                sleutel=SLEUTEL,
                log_path=tmp_path / f"bron-{port}.log",
                port=port,
                extra_env={
                    "KETEN_TOPIC_PREFIX": prefix,
                    "KETEN_DEAD_LETTER_TOPIC": f"{prefix}deadletter",
                    "KETEN_CONTROL_API": "false",
                    "KETEN_GEMEENTEN": json.dumps({"0363": AMSTERDAM_OIN}),
                    "KETEN_BRONNEN": json.dumps(bronnen),
                },
            )
            for port in bron_ports
        ]
        for process in processes:
            stack.callback(process.stop)
        clients = {
            name: await stack.enter_async_context(serving(service, ports[name]))
            for name, service in (("coa", coa), ("duo", duo))
        }
        bron = await stack.enter_async_context(
            httpx.AsyncClient(base_url=processes[0].url, timeout=30)
        )
        yield Opstelling(
            Keten(clients["coa"], clients["duo"], bron, db, prefix),
            processes,
            _dsn(db["bron"]),
            bootstrap,
        )


async def _migrated(bron: ServiceProcess, dsn: str) -> asyncpg.Connection:
    """A connection to dossier-bron's database once its first start migrated it (then the
    process is stopped again: the test decides when the service runs)."""
    bron.start()
    bron.stop()
    return await asyncpg.connect(dsn)


async def test_a_crash_between_commit_and_publish_or_before_the_delete_loses_nothing(
    postgres_server_url: str, kafka_bootstrap_servers: str, tmp_path: Path
):
    async with opstelling(postgres_server_url, kafka_bootstrap_servers, tmp_path, 1) as o:
        chain, [bron] = o.keten, o.replicas
        test_db = await _migrated(bron, o.bron_dsn)
        try:
            # 1. The relay stands by behind the lock this test holds: commits stay unpublished.
            await test_db.execute("SELECT pg_advisory_lock($1)", RELAY_LOCK_KEY)
            bron.start()
            await chain.plicht(BSN, "asielstatushouder")
            did = await _dossier(chain)
            await until(
                lambda: chain.query(
                    "bron", "SELECT 1 FROM dossier WHERE inburgeringsplicht_id IS NOT NULL"
                )
            )
            await _afgeronde_intake(chain, did)
            v1 = await _post(chain, f"/dossiers/{did}/pip", {**PIP, "intensiteitUren": 600})
            assert v1.status_code == 201, v1.text
            bron.kill()  # the commit is done; nothing was published

            staged = await test_db.fetch("SELECT event_id, headers FROM keten_outbox ORDER BY id")
            pip = [r for r in staged if PIP_VASTGESTELD in str(r["headers"])]
            assert len(pip) == 1, staged
            event_id = str(pip[0]["event_id"])
            count = len(staged)
            await test_db.execute("SELECT pg_advisory_unlock($1)", RELAY_LOCK_KEY)

            # 2. The relay publishes, the broker acknowledges, and its DELETE waits behind this
            # table lock: the process dies between publish and delete.
            blocking = test_db.transaction()
            await blocking.start()
            await test_db.execute("LOCK TABLE keten_outbox IN SHARE MODE")
            bron.start()
            first = await o.gemeente_records(count)
            assert event_id in {_header(r, "ce_id") for r in first}
            bron.kill()
            await blocking.rollback()
            left = await test_db.fetch("SELECT event_id FROM keten_outbox")
            assert event_id in {str(r["event_id"]) for r in left}  # the DELETE never committed

            # 3. Restarted, the relay sends what it could not mark: the same ids again.
            bron.start()
            records = await o.gemeente_records(2 * count)
            copies = [r for r in records if _header(r, "ce_id") == event_id]
            assert len(copies) >= 2
            assert {_header(r, "ce_type") for r in copies} == {PIP_VASTGESTELD}
            assert {r.key.decode() for r in copies} == {did}
            assert {r.value for r in copies} == {copies[0].value}
            await until(
                lambda: test_db.fetch("SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM keten_outbox)")
            )

            # 4. duo-adapter applied the PIP once: one termijn, the event once in its inbox.
            await until(
                lambda: chain.query(
                    "duo", "SELECT 1 FROM duo_termijn WHERE soort = 'inburgeringsplicht'"
                ),
                timeout_s=120,
            )
            await asyncio.sleep(3)  # let every copy (and any retry of the first) be consumed
            termijnen = await chain.query(
                "duo", "SELECT begindatum FROM duo_termijn WHERE soort = 'inburgeringsplicht'"
            )
            assert [str(t["begindatum"]) for t in termijnen] == ["2026-01-15"]
            inbox = await chain.query(
                "duo",
                "SELECT consumer FROM keten_inbox WHERE event_id = CAST(:e AS uuid)",
                e=event_id,
            )
            assert len(inbox) == 1
        finally:
            await test_db.close()


async def test_two_replicas_on_one_database_keep_the_order_of_a_dossiers_events(
    postgres_server_url: str, kafka_bootstrap_servers: str, tmp_path: Path
):
    async with opstelling(postgres_server_url, kafka_bootstrap_servers, tmp_path, 2) as o:
        chain = o.keten
        for replica in o.replicas:
            replica.start()
        did = await _dossier(chain)
        await _afgeronde_intake(chain, did)
        v1 = await _post(chain, f"/dossiers/{did}/pip", {**PIP, "intensiteitUren": 600})
        assert v1.status_code == 201, v1.text

        async def wijzig(replica: ServiceProcess, n: int) -> int:
            async with o.client(replica) as client:
                answer = await client.post(
                    f"/api/v1/dossiers/{did}/pip/wijzigingen",
                    json={"datum": "2026-02-01", "doelen": [f"doel {n}"]},
                    auth=auth(AMSTERDAM),
                )
            assert answer.status_code == 201, answer.text
            return int(answer.json()["versie"])

        pip_types = {PIP_VASTGESTELD, "nl.inburgering.pip.gewijzigd.v1"}

        async def aangekomen() -> list[tuple[str, int]]:
            """(id, versie) of the dossier's PIP events, in the order they are on Kafka."""
            topic = o.keten.prefix + TOPICS["gemeente"]
            found = []
            for record in await read_to_end(o.bootstrap, topic):
                if _header(record, "ce_type") in pip_types:
                    assert record.key.decode() == did
                    found.append((_header(record, "ce_id"), json.loads(record.value)["versie"]))
            return found

        async def volgorde(aantal: int) -> list[int]:
            """The versions in arrival order, once ``aantal`` distinct events arrived; a copy
            sent again after a kill repeats an id already seen and is skipped, as a consumer's
            inbox does."""

            async def compleet() -> list[int] | None:
                seen: dict[str, int] = {}
                for event_id, versie in await aangekomen():
                    seen.setdefault(event_id, versie)
                order = list(seen.values())
                # Complete, or out of order already: either way the caller's assertion tells.
                return order if len(order) >= aantal or order != sorted(order) else None

            return await until(compleet, timeout_s=60)

        # Both replicas take changes at once: one relay is active, so each event is sent once.
        eerste = await asyncio.gather(*(wijzig(o.replicas[n % 2], n) for n in range(10)))
        assert sorted([1, *eerste]) == list(range(1, 12))
        assert await volgorde(11) == list(range(1, 12))
        assert len(await aangekomen()) == 11  # no copies while both replicas live

        # The first replica dies (holding the relay or not); the other carries on alone.
        o.replicas[0].kill()
        tweede = await asyncio.gather(*(wijzig(o.replicas[1], n) for n in range(10, 16)))
        assert sorted(tweede) == list(range(12, 18))
        assert await volgorde(17) == list(range(1, 18))


async def test_many_concurrent_writes_each_logging_a_read_never_exhaust_the_pool(
    postgres_server_url: str, kafka_bootstrap_servers: str, tmp_path: Path
):
    """A write route holds its unit of work's connection while the read kit logs what it
    delivers on another: from one pool, more concurrent writes than connections each held one
    and waited for a second until the pool timed out (500s after 30 s). The processing log has
    a pool of its own."""
    async with opstelling(postgres_server_url, kafka_bootstrap_servers, tmp_path, 1) as o:
        [bron] = o.replicas
        bron.start()
        dossiers = await dossiers_openen(o.keten.databases["bron"], 40)

        async def uitnodigen(dossier_id: str) -> int:
            async with o.client(bron) as client:
                answer = await client.post(
                    f"/api/v1/dossiers/{dossier_id}/intake/uitnodigingen",
                    json={"datum": "2026-01-05"},
                    auth=auth(AMSTERDAM),
                )
            return answer.status_code

        assert await asyncio.gather(*(uitnodigen(d) for d in dossiers)) == [201] * 40
