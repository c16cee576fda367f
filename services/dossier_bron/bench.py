"""``keten dossier-bron bench``: a PIP change through dossier-bron's API to its event on Kafka,
next to raw aiokafka in the same run. It prints figures; it asserts nothing (a benchmark is not
a test).

dossier-bron runs as its own process (``keten run dossier-bron``, as deployed) on a fresh
database and topic prefix; this process is the load and the consumer. Dossiers are inserted as
COA's koppeling would have opened them (the bench measures the PIP, not the intake), then each
gets its brede intake and a first PIP through the API. Measured:

- **writes/s**: ``POST /dossiers/{id}/pip/wijzigingen`` by ``--concurrency`` clients at once,
  each on its own dossiers, until ``--writes`` changes are committed; and the rate at which
  their ``pip.gewijzigd`` events reached a consumer (the relay included);
- **latency** at a steady ``--rate``: from the API call returning (201) to the event's arrival
  at a consumer, p50/p99 (negative when the event arrived before the answer: the relay is woken
  at commit, before the response is written);
- **raw aiokafka** at the same rate and record size: from ``send_and_wait`` returning to the
  record's arrival, the transport's own floor; and the HTTP round trip of ``/health/live``,
  the API's floor.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from itertools import count as count_from
from itertools import islice
from pathlib import Path
from typing import Any, Final

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from keten_contracts.clients import Doel, Functie
from keten_contracts.envelope import is_bsn
from keten_contracts.events.catalogue import TOPICS
from keten_contracts.parties import Rol
from keten_core.auth import Party, encode_zgw_token
from keten_core.bench import Figure, format_table
from keten_core.db import create_engine, session_factory
from keten_core.kafka import TopicSpec, ensure_topics
from keten_core.testing import fresh_database

from .domain import nieuw_id
from .models import DossierRij

__all__ = ["register_arguments", "run"]

OIN: Final = "00000001002564440000"
GEMEENTECODE: Final = "0363"
PIP_GEWIJZIGD: Final = "nl.inburgering.pip.gewijzigd.v1"
BENCH_PARTY: Final = Party(
    client_id="bench-0363",
    service="dossier-bron",
    oin=OIN,
    rol=Rol.GEMEENTE,
    doelen=frozenset({Doel.UITVOERING_INBURGERING}),
    namens=GEMEENTECODE,
    functie=Functie.MEDEWERKER_INBURGERING,
    secret=f"bench-{uuid.uuid4().hex}-{uuid.uuid4().hex}",
)
INTAKE: Final = {
    "afgerondOp": "2026-01-12",
    "lbtAfgenomen": True,
    "lbtUitkomst": "b1-haalbaar",
    "opleidingsniveau": "isced-3",
    "alfabetisering": "gealfabetiseerd",
    "taalniveau": "A1",
    "zelfredzaamheid": "grotendeels-zelfredzaam",
    "gezinssituatie": "alleenstaand",
    "sociaalNetwerk": "beperkt",
}
PIP: Final = {
    "vaststellingsdatum": "2026-01-15",
    "leerroute": "b1-route",
    "taalniveauEerstePip": "B1",
    "doelen": ["B1 behalen"],
    "intensiteitUren": 600,
}


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Arrivals:
    """A consumer of the gemeente topic that notes when each PIP version's event arrived."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
        self.bootstrap = bootstrap
        self.topic = topic
        self.at: dict[str, float] = {}  # pipId -> arrival (perf_counter)
        self.changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.consumer.start()
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            [described] = await admin.describe_topics([self.topic])
        finally:
            await admin.close()
        tps = [TopicPartition(self.topic, p["partition"]) for p in described["partitions"]]
        self.consumer.assign(tps)
        await self.consumer.seek_to_end(*tps)
        for tp in tps:  # resolve the positions now, not at the first fetch
            await self.consumer.position(tp)
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            batches = await self.consumer.getmany(timeout_ms=100)
            now = time.perf_counter()
            for records in batches.values():
                for record in records:
                    headers = dict(record.headers)
                    if headers.get("ce_type") == PIP_GEWIJZIGD.encode():
                        self.at[json.loads(record.value)["pipId"]] = now
            if batches:
                self.changed.set()

    async def wait_for(self, pip_ids: list[str], timeout_s: float = 120) -> None:
        async with asyncio.timeout(timeout_s):
            while any(p not in self.at for p in pip_ids):
                self.changed.clear()
                await self.changed.wait()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.consumer.stop()


class Dossierbron:
    """dossier-bron as its own process."""

    def __init__(self, database: str, bootstrap: str, prefix: str, log: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        party = {
            **BENCH_PARTY.model_dump(mode="json"),
            "secret": BENCH_PARTY.secret.get_secret_value(),
        }
        self.env = {
            **os.environ,
            "KETEN_DATABASE_URL": database,
            "KETEN_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "KETEN_TOPIC_PREFIX": prefix,
            "KETEN_DEAD_LETTER_TOPIC": f"{prefix}deadletter",
            "KETEN_GEMEENTEN": json.dumps({GEMEENTECODE: OIN}),
            "KETEN_PARTIES": json.dumps([party]),
            "KETEN_VERWERKINGSLOG_SLEUTEL": uuid.uuid4().hex * 2,
            "KETEN_LOG_LEVEL": "WARNING",
            "KETEN_OTEL_EXPORTER": "none",
        }
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    async def __aenter__(self) -> Dossierbron:
        keten = Path(sys.executable).parent / "keten"
        with self.log.open("w") as out:
            # Started once, before any load: nothing waits on it in this loop.
            self.process = subprocess.Popen(  # noqa: ASYNC220, S603
                [str(keten), "run", "dossier-bron", "--port", str(self.port)],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        async with httpx.AsyncClient() as client, asyncio.timeout(120):
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"dossier-bron exited; see {self.log}")
                try:
                    if (await client.get(f"{self.url}/health/ready")).status_code == 200:
                        return self
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)

    async def __aexit__(self, failed: type[BaseException] | None, *_: object) -> None:
        if failed is not None:  # what the service said is the first thing an operator needs
            lines = self.log.read_text(errors="replace").splitlines()
            print("\n".join(lines[-40:]), file=sys.stderr)
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


async def dossiers_openen(database: str, count: int) -> list[str]:
    """Dossiers as COA's koppeling opens them (complete personal data, asielstatushouder)."""
    engine = create_engine(database)
    ids = [nieuw_id() for _ in range(count)]
    # Numbers that pass the elfproef: the contract serves no dossier with another.
    bsns = islice((b for n in count_from(100_000_000) if is_bsn(b := f"{n:09d}")), count)
    now = datetime.now(UTC)
    try:
        async with session_factory(engine)() as session, session.begin():
            for dossier_id, bsn in zip(ids, bsns, strict=True):
                session.add(
                    DossierRij(
                        dossier_id=dossier_id,
                        gemeentecode=GEMEENTECODE,
                        bsn=bsn,
                        doelgroep="asielstatushouder",
                        status="actief",
                        voornamen="Amal",
                        geslachtsnaam="Haddad",
                        geboortedatum=date(1994, 5, 17),
                        adres={
                            "straat": "Dam",
                            "huisnummer": "1",
                            "postcode": "1012JS",
                            "woonplaats": "Amsterdam",
                        },
                        geopend_op=now,
                        gewijzigd_op=now,
                    )
                )
    finally:
        await engine.dispose()
    return ids


async def _gather_limited(calls: list[Callable[[], Awaitable[Any]]], limit: int) -> list[Any]:
    semaphore = asyncio.Semaphore(limit)

    async def one(call: Callable[[], Awaitable[Any]]) -> Any:
        async with semaphore:
            return await call()

    return await asyncio.gather(*(one(c) for c in calls))


class Bench:
    def __init__(self, client: httpx.AsyncClient, arrivals: Arrivals, dossiers: list[str]) -> None:
        self.client = client
        self.arrivals = arrivals
        self.dossiers = dossiers
        self.figures: list[Figure] = []
        self._n = 0

    async def _post(self, path: str, body: Any, expect: int = 201) -> dict[str, Any]:
        answer = await self.client.post(f"/api/v1{path}", json=body)
        if answer.status_code != expect:
            raise RuntimeError(f"{path}: {answer.status_code} {answer.text[:300]}")
        result: dict[str, Any] = answer.json()
        return result

    async def prepare(self, dossier_id: str) -> None:
        invited = await self._post(
            f"/dossiers/{dossier_id}/intake/uitnodigingen", {"datum": "2026-01-05"}
        )
        intake = invited["intakeId"]
        came = await self.client.put(
            f"/api/v1/intakes/{intake}/uitnodigingen/1/aanwezigheid", json={"verschenen": True}
        )
        came.raise_for_status()
        await self._post(f"/intakes/{intake}/afronding", INTAKE, expect=200)
        await self._post(f"/dossiers/{dossier_id}/pip", PIP)

    async def change(self, dossier_id: str) -> tuple[str, float, float]:
        """One PIP change: (the new version's pipId, call started, answer returned)."""
        self._n += 1
        started = time.perf_counter()
        pip = await self._post(
            f"/dossiers/{dossier_id}/pip/wijzigingen",
            {"datum": "2026-02-01", "doelen": [f"doel {self._n}"]},
        )
        return str(pip["pipId"]), started, time.perf_counter()

    async def throughput(self, writes: int, concurrency: int) -> None:
        # Each client keeps to its own dossiers: concurrent changes of one dossier wait for
        # its row lock, which measures the lock, not the service.
        per_client = [self.dossiers[i::concurrency] for i in range(concurrency)]

        async def client(mine: list[str], count: int) -> list[str]:
            return [(await self.change(mine[n % len(mine)]))[0] for n in range(count)]

        counts = [writes // concurrency + (i < writes % concurrency) for i in range(concurrency)]
        started = time.perf_counter()
        clients = zip(per_client, counts, strict=True)
        done = await asyncio.gather(*(client(m, c) for m, c in clients))
        committed = time.perf_counter()
        pip_ids = [p for ids in done for p in ids]
        await self.arrivals.wait_for(pip_ids)
        last = max(self.arrivals.at[p] for p in pip_ids)
        self.figures.append(
            Figure(
                f"PIP change via API, {concurrency} clients",
                per_second=writes / (committed - started),
                note=f"{writes} writes; events on Kafka at {writes / (last - started):,.0f}/s",
            )
        )

    async def latency(self, rate: float, seconds: float) -> None:
        count = int(rate * seconds)
        interval = 1 / rate
        first = time.perf_counter()

        async def at(n: int) -> tuple[str, float, float]:
            await asyncio.sleep(max(0.0, first + n * interval - time.perf_counter()))
            return await self.change(self.dossiers[n % len(self.dossiers)])

        results = await asyncio.gather(*(at(n) for n in range(count)))
        await self.arrivals.wait_for([p for p, _, _ in results])
        api = sorted((returned - started) * 1000 for _, started, returned in results)
        event = sorted((self.arrivals.at[p] - returned) * 1000 for p, _, returned in results)
        self.figures.append(_latency(f"PIP change: API call ({rate:g}/s)", api))
        self.figures.append(_latency(f"PIP change: API return -> event ({rate:g}/s)", event))

    async def http_floor(self, rate: float, seconds: float) -> None:
        count = int(rate * seconds)
        interval = 1 / rate
        first = time.perf_counter()

        async def at(n: int) -> float:
            await asyncio.sleep(max(0.0, first + n * interval - time.perf_counter()))
            started = time.perf_counter()
            (await self.client.get("/health/live")).raise_for_status()
            return (time.perf_counter() - started) * 1000

        rounds = sorted(await asyncio.gather(*(at(n) for n in range(count))))
        self.figures.append(_latency(f"raw: HTTP GET /health/live ({rate:g}/s)", rounds))


def _latency(name: str, millis: list[float]) -> Figure:
    return Figure(
        name,
        p50_ms=statistics.median(millis),
        p99_ms=statistics.quantiles(millis, n=100)[98],
        note=f"{len(millis)} samples, max {max(millis):.1f} ms",
    )


async def raw_kafka(bootstrap: str, topic: str, rate: float, seconds: float, size: int) -> Figure:
    """Raw aiokafka at the same rate and record size: ``send_and_wait`` returning to the record's
    arrival at a consumer (idempotent producer, acks=all, as the relay)."""
    await ensure_topics(bootstrap, [TopicSpec(topic, 3)])
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await producer.start()
    await consumer.start()
    sent: dict[bytes, float] = {}
    received: dict[bytes, float] = {}
    try:
        await producer.send_and_wait(topic, b"warm-up", key=b"warm-up")
        tps = [TopicPartition(topic, p) for p in sorted(await producer.partitions_for(topic))]
        consumer.assign(tps)
        await consumer.seek_to_end(*tps)
        for tp in tps:
            await consumer.position(tp)
        count = int(rate * seconds)
        all_in = asyncio.Event()

        async def consume() -> None:
            while len(received) < count:
                for records in (await consumer.getmany(timeout_ms=100)).values():
                    now = time.perf_counter()
                    for record in records:
                        if record.key is not None and record.key != b"warm-up":
                            received[record.key] = now
            all_in.set()

        task = asyncio.create_task(consume())
        first = time.perf_counter()
        payload = b"x" * size

        async def at(n: int) -> None:
            await asyncio.sleep(max(0.0, first + n * (1 / rate) - time.perf_counter()))
            key = f"k{n}".encode()
            await producer.send_and_wait(topic, payload, key=key)
            sent[key] = time.perf_counter()

        await asyncio.gather(*(at(n) for n in range(count)))
        async with asyncio.timeout(60):
            await all_in.wait()
        await task
    finally:
        await producer.stop()
        await consumer.stop()
    delays = sorted((received[k] - sent[k]) * 1000 for k in sent)
    return _latency(f"raw aiokafka: send_and_wait return -> receipt ({rate:g}/s)", delays)


async def _delete_topics(bootstrap: str, prefix: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        # The run's topics and its consumer group's retry topic (keten.retry.<prefix>...).
        names = [t for t in await admin.list_topics() if prefix in t]
        if names:
            await admin.delete_topics(names)
    finally:
        await admin.close()


async def bench(
    bootstrap: str, server_url: str, args: argparse.Namespace, log_dir: Path
) -> list[Figure]:
    prefix = f"bench{uuid.uuid4().hex[:8]}."
    token = encode_zgw_token(
        BENCH_PARTY.client_id, BENCH_PARTY.secret, user_id="bench", lifetime=timedelta(hours=2)
    )
    try:
        async with (
            fresh_database(server_url) as database,
            Dossierbron(database, bootstrap, prefix, log_dir / "dossier-bron.log") as bron,
            httpx.AsyncClient(
                base_url=bron.url,
                headers={"Authorization": f"Bearer {token}"},
                limits=httpx.Limits(max_connections=args.concurrency * 2),
                timeout=60,
            ) as client,
        ):
            dossiers = await dossiers_openen(database, args.dossiers)
            arrivals = Arrivals(bootstrap, prefix + TOPICS["gemeente"])
            await arrivals.start()
            try:
                run = Bench(client, arrivals, dossiers)
                await _gather_limited(
                    [lambda d=d: run.prepare(d) for d in dossiers], args.concurrency
                )
                await run.throughput(args.writes, args.concurrency)
                await run.latency(args.rate, args.seconds)
                await run.http_floor(args.rate, args.seconds)
                size = len(json.dumps({"pipId": "pip-0123456789abcdef", "dossierId": dossiers[0]}))
                run.figures.append(
                    await raw_kafka(bootstrap, prefix + "raw", args.rate, args.seconds, size)
                )
                return run.figures
            finally:
                await arrivals.stop()
    finally:
        await _delete_topics(bootstrap, prefix)


def register_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("dossier-bron")
    group.add_argument("--dossiers", type=int, default=200, help="dossiers with a PIP")
    group.add_argument("--writes", type=int, default=4000, help="PIP changes, throughput part")
    group.add_argument("--concurrency", type=int, default=16, help="clients at once")
    group.add_argument(
        "--rate", type=float, default=50.0, help="changes/s, latency part (below capacity)"
    )
    group.add_argument("--seconds", type=float, default=20.0, help="length of the latency part")


def run(args: argparse.Namespace, bootstrap: str, server_url: str) -> int:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="keten-bench-") as log_dir:
        figures = asyncio.run(bench(bootstrap, server_url, args, Path(log_dir)))
    if args.json:
        print(json.dumps({"target": "dossier-bron", "figures": [vars(f) for f in figures]}))
    else:
        print(
            f"keten dossier-bron bench: {args.dossiers} dossiers, {args.writes} writes by "
            f"{args.concurrency} clients; latency at {args.rate:g}/s for {args.seconds:g} s"
        )
        print(format_table(figures))
    return 0
