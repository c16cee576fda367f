"""``keten notificatie-router bench``: webhook fan-out through the router, next to raw aiohttp
POSTs of the same signed bodies in the same run. It prints figures; it asserts nothing (a
benchmark is not a test).

The router runs as its own process (``keten run notificatie-router``, as deployed, with its
delivery log, metrics and tracing as shipped) on a fresh database and topic prefix whose topics
stamp records with ``LogAppendTime``; the receivers are one aiohttp server in another process
(``python -m notificatie_router.bench --ontvanger PORT``), one path per subscriber. Per number
of subscribers (1, 10, 100):

- **max**: events published as fast as the producer goes; deliveries/s from the first append
  to the last receipt;
- **latency at half load**: events at half the measured maximum event rate; from the Kafka
  append timestamp to the receiver's receipt, p50/p99 per delivery; beside it raw aiohttp at
  the same pattern (per event a burst of one POST per subscriber), due time to response;
- **raw aiohttp**: the same number of POSTs of signed bodies of the same size, through one
  connection pool at the router's concurrency (its worker count), to the same receiver;
- **stages**: microseconds per item in consume, match and policy, sign, send and log, from the
  router's own ``keten_router_stage_*`` counters;
- **Kafka sink**: one KAFKA subscription draining a backlog (see ``RouterBench.kafka_sink``),
  next to a raw aiokafka relay draining the same backlog in a process of its own (consume,
  produce with the sink's settings, commit after the acknowledgement: the same delivery with
  nothing of the router) and a raw aiokafka producer alone; median of three rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import aiohttp
import httpx
from aiohttp import web
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from cryptography.fernet import Fernet

from keten_contracts.clients import Doel, Functie
from keten_contracts.envelope import source_urn
from keten_contracts.events.catalogue import TOPICS, get_event_type
from keten_contracts.parties import Rol
from keten_core.auth import Party, encode_zgw_token
from keten_core.bench import Figure, format_table
from keten_core.envelope import event_to_kafka, new_event
from keten_core.kafka import TopicSpec, ensure_topics, topic_partitions
from keten_core.testing import fresh_database

from .geheimen import Ondertekenaar, nieuw_geheim
from .kafka_sink import PRODUCER_OPTIES

__all__ = ["register_arguments", "run"]

TYPE: Final = "nl.inburgering.termijn.vastgesteld.v1"
GEMEENTECODE: Final = "0363"
DUO_OIN: Final = "00000001800866472000"
BENCH_PARTY: Final = Party(
    client_id="router-bench-0363",
    service="notificatie-router",
    oin="00000001002564440000",
    rol=Rol.GEMEENTE,
    doelen=frozenset({Doel.UITVOERING_INBURGERING}),
    namens=GEMEENTECODE,
    functie=Functie.MEDEWERKER_INBURGERING,
    secret=f"bench-{uuid.uuid4().hex}-{uuid.uuid4().hex}",
)
# The router's defaults (settings.py): the raw baseline runs at the concurrency the router may
# use for the same number of subscribers.
# The Kafka sink's producer settings, for the raw baselines.
SINK_PRODUCER: Final = PRODUCER_OPTIES
WORKERS: Final = 256
PER_SUBSCRIBER: Final = 64
KEYS: Final = 500
# Every topic the bench times: the broker stamps a record when it appends it.
APPEND_TIME: Final = (("message.timestamp.type", "LogAppendTime"),)


# -- the receiver (its own process) -----------------------------------------------------------


def ontvanger(port: int) -> None:
    """One aiohttp server for every subscriber: POST /hook/{n} is recorded (webhook-id and the
    receipt time), OPTIONS answers the CloudEvents handshake."""
    received: list[tuple[str, float]] = []

    async def post(request: web.Request) -> web.Response:
        await request.read()
        received.append((request.headers.get("webhook-id", ""), time.time()))
        return web.Response(status=204)

    async def options(request: web.Request) -> web.Response:
        origin = request.headers.get("WebHook-Request-Origin", "*")
        return web.Response(headers={"WebHook-Allowed-Origin": origin, "Allow": "POST"})

    async def count(request: web.Request) -> web.Response:
        return web.json_response({"n": len(received)})

    async def dump(request: web.Request) -> web.Response:
        return web.json_response(received)

    async def clear(request: web.Request) -> web.Response:
        received.clear()
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook/{n}", post)
    app.router.add_route("OPTIONS", "/hook/{n}", options)
    app.router.add_get("/_n", count)
    app.router.add_get("/_ontvangen", dump)
    app.router.add_delete("/_ontvangen", clear)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def relay(bootstrap: str, bron: str, doel: str, count: int) -> None:
    """The raw baseline's relay process (``_raw_relay``)."""

    async def run() -> None:
        consumer = AIOKafkaConsumer(
            bron,
            bootstrap_servers=bootstrap,
            group_id=f"relay-{uuid.uuid4().hex[:6]}",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            max_poll_records=1000,
        )
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **SINK_PRODUCER)
        await consumer.start()
        await producer.start()
        try:
            relayed = 0
            while relayed < count:
                batches = await consumer.getmany(timeout_ms=100, max_records=1000)
                for records in batches.values():
                    for record in records:
                        await producer.send(
                            doel, record.value, key=record.key, headers=list(record.headers)
                        )
                    relayed += len(records)
                if batches:
                    await producer.flush()
                    await consumer.commit()
            await asyncio.Event().wait()  # until terminated: the parent reads its CPU time
        finally:
            await producer.stop()
            await consumer.stop()

    asyncio.run(run())


# -- the run ------------------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"{url} died:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer:\n{log.read_text()[-3000:]}")


def _events(count: int) -> list[tuple[bytes, list[tuple[str, bytes]], bytes, str]]:
    et = get_event_type(TYPE)
    out = []
    for n in range(count):
        key = f"ibpg-{n % KEYS}"
        resource_id = f"trm-{uuid.uuid4().hex[:12]}"
        data = {**et.example_data, "termijnId": resource_id}
        event = new_event(
            type=TYPE,
            source=source_urn(DUO_OIN, "duo-adapter"),
            subject=resource_id,
            partitionkey=key,
            dataref=f"http://duo.example/api/v1/termijnen/{resource_id}",
            data=data,
            gemeentecode=GEMEENTECODE,
        )
        record = event_to_kafka(event)
        out.append((record.key, record.headers, record.value, str(event.get_id())))
    return out


class RouterBench:
    def __init__(self, bootstrap: str, database: str, workdir: Path) -> None:
        self.bootstrap = bootstrap
        self.database = database
        self.workdir = workdir
        self.prefix = f"rbench{uuid.uuid4().hex[:8]}."
        self.topic = self.prefix + get_event_type(TYPE).topic
        self.receiver_port = _free_port()
        self.router_port = _free_port()
        self.receiver_url = f"http://127.0.0.1:{self.receiver_port}"
        self.router_url = f"http://127.0.0.1:{self.router_port}"
        self.processes: list[subprocess.Popen[bytes]] = []
        self.sasl_bootstrap: str | None = None
        self.router: subprocess.Popen[bytes] | None = None
        self.sleutel = Fernet.generate_key().decode()  # the same across restarts
        self.router_pid = 0

    @property
    def headers(self) -> dict[str, str]:
        """A fresh token per use: a ZGW token lives a minute, a bench run much longer."""
        token = encode_zgw_token(BENCH_PARTY.client_id, BENCH_PARTY.secret, user_id="bench")
        return {"Authorization": f"Bearer {token}"}

    def start(self) -> None:
        log = self.workdir / "ontvanger.log"
        # Our own interpreter and module: no untrusted input.
        receiver = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "notificatie_router.bench",
                "--ontvanger",
                str(self.receiver_port),
            ],
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        self.processes.append(receiver)
        _wait_http(self.receiver_url + "/_n", receiver, log)
        self.start_router()

    def start_router(self) -> None:
        env = {
            **os.environ,
            "KETEN_DATABASE_URL": self.database,
            "KETEN_KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            "KETEN_TOPIC_PREFIX": self.prefix,
            "KETEN_DEAD_LETTER_TOPIC": self.prefix + "deadletter",
            "KETEN_OIN": "00000001002220647000",
            "KETEN_ROUTER_SLEUTELS": self.sleutel,
            "KETEN_ROUTER_WORKERS": str(WORKERS),
            "KETEN_ROUTER_PER_ABONNEMENT": str(PER_SUBSCRIBER),
            "KETEN_PARTIES": json.dumps(
                [
                    {
                        **BENCH_PARTY.model_dump(mode="json"),
                        "secret": BENCH_PARTY.secret.get_secret_value(),
                    }
                ]
            ),
            "KETEN_LOG_LEVEL": "WARNING",
            **self.kafka_sink_env(),
        }
        log = self.workdir / "router.log"
        self.router = router = subprocess.Popen(  # noqa: S603
            [
                str(Path(sys.executable).parent / "keten"),
                "run",
                "notificatie-router",
                "--port",
                str(self.router_port),
            ],
            env=env,
            stdout=log.open("a"),
            stderr=subprocess.STDOUT,
        )
        self.router_pid = router.pid
        _wait_http(self.router_url + "/health/ready", router, log)

    def kafka_sink_env(self) -> dict[str, str]:
        """The local broker's SASL listener and the router's user there (Kafka sinks)."""
        from keten_core.infra import LocalKafka
        from keten_core.infra.common import InfraSettings, port_open

        settings = InfraSettings()
        local = LocalKafka.from_settings(settings)
        if local.bootstrap_servers != self.bootstrap or not port_open(local.sasl_port):
            return {}
        self.sasl_bootstrap = local.sasl_bootstrap_servers
        return {
            "KETEN_ROUTER_KAFKA_BOOTSTRAP": local.sasl_bootstrap_servers,
            "KETEN_ROUTER_KAFKA_GEBRUIKER": settings.kafka_router_user,
            "KETEN_ROUTER_KAFKA_WACHTWOORD": settings.kafka_router_password.get_secret_value(),
        }

    async def kafka_sink(self, count: int, rounds: int) -> list[Figure]:
        """One KAFKA subscription draining a backlog, next to raw aiokafka in the same run.

        Throughput is a drain rate read from the broker: the router is stopped, ``count``
        events are published to its domain topic, the router is started again, and the rate
        is the spread of the sink topic's ``LogAppendTime`` stamps (10th to 90th percentile).
        The bench process publishes and reads only while nothing is measured: an earlier
        version published and consumed during the run and, on two cores, timed itself (a
        profile showed the router idle). The raw baselines are measured the same way: a raw
        relay process draining the same backlog (consume, produce with the sink's settings,
        commit after the acknowledgement: the delivery a Kafka sink makes, with nothing of the
        router), and a raw aiokafka producer alone (defaults, and the sink's idempotent
        settings). Each path runs ``rounds`` times, interleaved; the figures are the medians."""
        async with httpx.AsyncClient(
            base_url=self.router_url + "/api/v1", headers=self.headers
        ) as api:
            listed = await api.get("/subscriptions")
            if listed.is_error:
                raise RuntimeError(f"listing subscriptions: {listed.status_code} {listed.text}")
            for existing in listed.json():
                await api.delete(f"/subscriptions/{existing['id']}")
            created = await api.post("/subscriptions", json={"protocol": "KAFKA", "types": [TYPE]})
            created.raise_for_status()
        sink = created.json()["kafka"]["topic"]
        await _append_time(self.bootstrap, sink)
        await asyncio.sleep(1.5)  # every replica's cache has the subscription
        runs: dict[str, list[tuple[float, float]]] = {}
        for n in range(rounds):
            runs.setdefault("router", []).append(await self._router_drain(sink, count, n))
            runs.setdefault("relay", []).append(await self._raw_relay(count))
            for name, options in (
                ("defaults", {"acks": "all", "linger_ms": 2}),
                ("idempotent", SINK_PRODUCER),
            ):
                runs.setdefault(name, []).append((await self._raw_kafka(count, options), 0.0))
        rate, cpu = _medians(runs["router"])
        relay_rate, relay_cpu = _medians(runs["relay"])
        spread = ", ".join(f"{r:,.0f}" for r, _ in runs["router"])
        figures = [
            Figure(
                "router, Kafka sink: drain",
                rate,
                # The router process's own CPU per record: what the sink costs, whatever else
                # the two cores were doing (its start-up is before the first reading).
                cpu_us_per_event=cpu,
                note=f"{count} records x {rounds}: {spread}",
            ),
            Figure(
                "raw aiokafka relay (consume -> produce as the sink): drain",
                relay_rate,
                cpu_us_per_event=relay_cpu,
                note=f"router = {rate / relay_rate:.0%} of raw (the same hop)",
            ),
        ]
        for name, label in (
            ("defaults", "raw aiokafka producer alone (defaults)"),
            ("idempotent", "raw aiokafka producer alone (idempotent, as the sink)"),
        ):
            raw_rate, _ = _medians(runs[name])
            figures.append(Figure(label, raw_rate, note=f"router = {rate / raw_rate:.0%} of raw"))
        return figures

    async def _router_drain(self, sink: str, count: int, done: int) -> tuple[float, float]:
        """(records/s, the router's CPU per record in us) of one drain of ``count`` events;
        ``done`` earlier drains are on the sink topic already."""
        self.stop_router()
        await self.publish(count, None)
        self.start_router()
        cpu_before = _cpu_seconds(self.router_pid)
        await _wait_for_records(self.bootstrap, sink, (done + 1) * count)
        cpu = _cpu_seconds(self.router_pid) - cpu_before
        stamps = await _append_times(self.bootstrap, sink, (done + 1) * count)
        return _steady_rate(sorted(stamps)[done * count :]), 1e6 * cpu / count

    async def _raw_relay(self, count: int) -> tuple[float, float]:
        """The relay process drains a backlog of ``count`` records from one topic to another.
        Returns (records/s, the relay process's CPU per record in us)."""
        bron = f"{self.prefix}relay-in-{uuid.uuid4().hex[:6]}"
        doel = f"{self.prefix}relay-out-{uuid.uuid4().hex[:6]}"
        await ensure_topics(
            self.bootstrap, [TopicSpec(bron, 3, 1, APPEND_TIME), TopicSpec(doel, 3, 1, APPEND_TIME)]
        )
        await self.publish(count, None, topic=bron)
        relay = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "notificatie_router.bench",
            "--relay",
            bron,
            doel,
            str(count),
            "--bootstrap",
            self.bootstrap,
            stdout=(self.workdir / "relay.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        try:
            await asyncio.sleep(1)  # its imports are not the relay's work
            cpu_before = _cpu_seconds(relay.pid)
            await _wait_for_records(self.bootstrap, doel, count)
            cpu = _cpu_seconds(relay.pid) - cpu_before
        finally:
            relay.terminate()
            await relay.wait()
        rate = _steady_rate(await _append_times(self.bootstrap, doel, count))
        return rate, 1e6 * cpu / count

    async def _raw_kafka(self, count: int, options: dict[str, Any]) -> float:
        """Records/s of one raw producer sending pre-built records as fast as it goes."""
        raw_topic = f"{self.prefix}raw-{uuid.uuid4().hex[:6]}"
        await ensure_topics(self.bootstrap, [TopicSpec(raw_topic, 3, 1, APPEND_TIME)])
        events = _events(count)
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, **options)
        await producer.start()
        try:
            for key, headers, value, _ in events:
                await producer.send(raw_topic, value, key=key, headers=headers)
            await producer.flush()
        finally:
            await producer.stop()
        return _steady_rate(await _append_times(self.bootstrap, raw_topic, count))

    def stop_router(self) -> None:
        """A graceful stop: the router commits what it delivered."""
        if self.router is not None:
            self.router.terminate()
            self.router.wait(timeout=60)
            self.router = None

    def stop(self) -> None:
        processes = [*self.processes, *([self.router] if self.router else [])]
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()

    async def topics(self) -> None:
        await ensure_topics(
            self.bootstrap,
            [TopicSpec(self.prefix + t, 3, 1, APPEND_TIME) for t in TOPICS.values()],
        )

    def subscribe(self, count: int) -> list[str]:
        ids = []
        with httpx.Client(base_url=self.router_url + "/api/v1", headers=self.headers) as api:
            for existing in api.get("/subscriptions").json():
                api.delete(f"/subscriptions/{existing['id']}")
            for n in range(count):
                response = api.post(
                    "/subscriptions",
                    json={
                        "sink": f"{self.receiver_url}/hook/{n}",
                        "protocol": "HTTP",
                        "types": [TYPE],
                    },
                )
                response.raise_for_status()
                ids.append(response.json()["id"])
        time.sleep(1.5)  # every replica's engine has them
        return ids

    async def publish(
        self, count: int, rate: float | None, topic: str | None = None
    ) -> dict[str, float]:
        """Append times (s) per event id; at ``rate`` events/s, or as fast as possible."""
        topic = topic or self.topic
        events = _events(count)
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, linger_ms=2, acks="all")
        await producer.start()
        appended: dict[str, float] = {}
        try:
            start = time.monotonic()
            futures = []
            for n, (key, headers, value, event_id) in enumerate(events):
                if rate is not None:
                    due = start + n / rate
                    if due > time.monotonic():
                        await asyncio.sleep(due - time.monotonic())
                futures.append(
                    (event_id, await producer.send(topic, value, key=key, headers=headers))
                )
            for event_id, future in futures:
                metadata = await future
                appended[event_id] = metadata.timestamp / 1000
        finally:
            await producer.stop()
        return appended

    def received(self) -> list[tuple[str, float]]:
        return [tuple(x) for x in httpx.get(self.receiver_url + "/_ontvangen", timeout=60).json()]

    def clear(self) -> None:
        httpx.delete(self.receiver_url + "/_ontvangen")

    def wait_for(self, count: int, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if httpx.get(self.receiver_url + "/_n").json()["n"] >= count:
                return
            time.sleep(0.2)
        raise RuntimeError(f"only {httpx.get(self.receiver_url + '/_n').json()} of {count}")

    def stages(self) -> dict[str, tuple[float, float]]:
        text = httpx.get(self.router_url + "/metrics").text
        out: dict[str, list[float]] = {}
        for kind, stage, value in re.findall(
            r'^keten_router_stage_(seconds|items)_total\{stage="(\w+)"\} (\S+)$', text, re.M
        ):
            out.setdefault(stage, [0.0, 0.0])[0 if kind == "seconds" else 1] = float(value)
        return {k: (v[0], v[1]) for k, v in out.items()}

    async def raw_posts(self, total: int, subscribers: int) -> float:
        """POSTs/s of signed bodies of the router's size through one pool, at the concurrency
        the router may use for ``subscribers``."""
        concurrency = min(WORKERS, PER_SUBSCRIBER * subscribers)
        queue: asyncio.Queue[int] = asyncio.Queue()
        for n in range(total):
            queue.put_nowait(n)
        async with _RawPoster(self.receiver_url) as poster:

            async def worker() -> None:
                while not queue.empty():
                    await poster.post(queue.get_nowait() % subscribers)

            start = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return total / (time.perf_counter() - start)

    async def raw_half_load(
        self, subscribers: int, event_rate: float, seconds: float
    ) -> list[float]:
        """Latencies (ms) of raw aiohttp at the router's half-load pattern: per event, a burst
        of one signed POST per subscriber, ``event_rate`` events a second, through one pool at
        the router's concurrency; from the event's due time to the response. A second of the
        same load first warms the pool, as the router's maximum run warmed its own."""
        concurrency = min(WORKERS, PER_SUBSCRIBER * subscribers)
        queue: asyncio.Queue[tuple[float, int, bool]] = asyncio.Queue()
        latencies: list[float] = []
        async with _RawPoster(self.receiver_url) as poster:

            async def worker() -> None:
                while True:
                    due, n, measured = await queue.get()
                    await poster.post(n)
                    if measured:
                        latencies.append(1000 * (time.perf_counter() - due))
                    queue.task_done()

            workers = [asyncio.create_task(worker()) for _ in range(concurrency)]
            warm = max(1, int(event_rate))
            start = time.perf_counter()
            for event in range(warm + max(1, int(event_rate * seconds))):
                due = start + event / event_rate
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                for n in range(subscribers):
                    queue.put_nowait((due, n, event >= warm))
            await queue.join()
            for task in workers:
                task.cancel()
        return latencies


class _RawPoster:
    """The raw baseline's client: signed POSTs of a body of the router's size, as the router
    sends them, through one aiohttp pool."""

    def __init__(self, receiver_url: str) -> None:
        self.receiver_url = receiver_url
        self.body = json.dumps({"id": str(uuid.uuid4()), "data": "x" * 600})
        self.signer = Ondertekenaar([nieuw_geheim()])
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=WORKERS * 2))

    async def __aenter__(self) -> _RawPoster:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.session.close()

    async def post(self, path: int) -> None:
        now = datetime.now(UTC)
        webhook_id = str(uuid.uuid4())
        headers = {
            "content-type": "application/cloudevents+json; charset=utf-8",
            "webhook-id": webhook_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": self.signer.handtekening(webhook_id, now, self.body),
        }
        url = f"{self.receiver_url}/hook/{path}"
        async with self.session.post(url, data=self.body.encode(), headers=headers) as r:
            await r.read()


async def _receive(
    bootstrap: str,
    topic: str,
    count: int,
    group: str,
    options: dict[str, str],
    *,
    stamp: bool = False,
) -> list[tuple[str, float]]:
    """(event id, receipt time) of ``count`` records read from ``topic``; with ``stamp`` the
    record's own timestamp instead of the receipt time."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"{group}-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        **options,
    )
    await consumer.start()
    got: list[tuple[str, float]] = []
    try:
        deadline = time.monotonic() + 300
        while len(got) < count and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            now = time.time()
            for records in batch.values():
                for record in records:
                    ids = [v for k, v in record.headers if k == "ce_id"]
                    at = record.timestamp / 1000 if stamp else now
                    got.append((ids[0].decode() if ids else "", at))
    finally:
        await consumer.stop()
    return got


async def _append_time(bootstrap: str, topic: str) -> None:
    """The broker stamps ``topic``'s records when it appends them (the plaintext listener is a
    super user of the local broker, so it may alter the router's private topic)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.alter_configs(
            [
                ConfigResource(
                    ConfigResourceType.TOPIC,
                    topic,
                    configs=dict(APPEND_TIME),
                )
            ]
        )
    finally:
        await admin.close()


async def _wait_for_records(bootstrap: str, topic: str, count: int) -> None:
    """Until ``topic``'s partitions hold ``count`` records (end offsets, polled lightly)."""
    partitions = await topic_partitions(bootstrap, topic)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        deadline = time.monotonic() + 600
        while sum((await consumer.end_offsets(partitions)).values()) < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{topic} did not reach {count} records")
            await asyncio.sleep(0.25)
    finally:
        await consumer.stop()


async def _append_times(bootstrap: str, topic: str, count: int) -> list[float]:
    """The broker's append time (s) of the first ``count`` records of ``topic``."""
    return [t for _, t in await _receive(bootstrap, topic, count, "times", {}, stamp=True)]


def _cpu_seconds(pid: int) -> float:
    """User and system CPU of a process so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _stages(before: dict[str, tuple[float, float]], after: dict[str, tuple[float, float]]) -> str:
    parts = []
    for stage in ("kafka", "consume", "match", "queue", "sign", "send", "produce", "log"):
        s0, n0 = before.get(stage, (0.0, 0.0))
        s1, n1 = after.get(stage, (0.0, 0.0))
        if n1 > n0:
            parts.append(f"{stage} {1e6 * (s1 - s0) / (n1 - n0):,.0f}")
    return ", ".join(parts) + " (us per item)"


def _steady_rate(receipts: list[float]) -> float:
    """Deliveries/s between the 10th and the 90th percentile of receipts: the start (the
    producer still filling the topic) and the tail (the last chains) are not the rate."""
    ordered = sorted(receipts)
    low, high = int(0.1 * len(ordered)), int(0.9 * len(ordered))
    return (high - low) / max(1e-9, ordered[high] - ordered[low])


def _medians(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(r for r, _ in runs), statistics.median(c for _, c in runs)


def _latencies(name: str, latencies: list[float], seconds: float, note: str) -> Figure:
    return Figure(
        name,
        len(latencies) / seconds,
        p50_ms=statistics.median(latencies),
        p99_ms=_pct(latencies, 0.99),
        note=note,
    )


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def bench(
    bootstrap: str,
    server_url: str,
    subscribers: list[int],
    deliveries: int,
    seconds: float,
    kafka_records: int = 100_000,
    kafka_rounds: int = 3,
) -> tuple[list[Figure], list[str]]:
    figures: list[Figure] = []
    breakdown: list[str] = []
    async with fresh_database(server_url) as database:
        workdir = Path(tempfile.mkdtemp(prefix="keten-router-bench-"))
        run = RouterBench(bootstrap, database, workdir)
        await run.topics()
        run.start()
        try:
            for count in subscribers:
                run.subscribe(count)
                events = max(200, deliveries // count)
                # warm-up: connections, caches
                await run.publish(min(200, events), None)
                run.wait_for(min(200, events) * count)
                run.clear()
                before = run.stages()
                appended = await run.publish(events, None)
                run.wait_for(events * count)
                got = run.received()
                after = run.stages()
                rate = _steady_rate([t for _, t in got])
                figures.append(
                    Figure(
                        f"router, {count} subscriber(s): max", rate, note=f"{len(got)} deliveries"
                    )
                )
                raw = await run.raw_posts(len(got), count)
                figures.append(
                    Figure(
                        f"raw aiohttp POST, {count} path(s)",
                        raw,
                        note=f"router = {rate / raw:.0%} of raw",
                    )
                )
                breakdown.append(f"{count} subscriber(s), max: " + _stages(before, after))
                # latency at half the measured maximum
                run.clear()
                event_rate = rate / count / 2
                before = run.stages()
                appended = await run.publish(max(50, int(event_rate * seconds)), event_rate)
                run.wait_for(len(appended) * count)
                breakdown.append(
                    f"{count} subscriber(s), half load: " + _stages(before, run.stages())
                )
                latencies = [1000 * (t - appended[i]) for i, t in run.received() if i in appended]
                figures.append(
                    _latencies(
                        f"router, {count} subscriber(s): at half load",
                        latencies,
                        seconds,
                        f"{event_rate:,.1f} events a second; append -> receipt",
                    )
                )
                figures.append(
                    _latencies(
                        f"raw aiohttp POST, {count} path(s): at half load",
                        await run.raw_half_load(count, event_rate, seconds),
                        seconds,
                        "the same bursts; due time -> response",
                    )
                )
                run.clear()
            if kafka_records <= 0:
                pass  # asked for the webhook figures only
            elif run.sasl_bootstrap:
                figures.extend(await run.kafka_sink(kafka_records, kafka_rounds))
                # The router restarts for each drain: its counters hold the last drain only.
                breakdown.append("Kafka sink, last drain: " + _stages({}, run.stages()))
            else:
                figures.append(Figure("router, Kafka sink", note="no SASL listener: not measured"))
        finally:
            run.stop()
    return figures, breakdown


def register_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--subscribers", default="1,10,100", help="comma-separated counts")
    parser.add_argument("--deliveries", type=int, default=20_000, help="per max-rate run")
    parser.add_argument("--seconds", type=float, default=10.0, help="half-load duration")
    parser.add_argument(
        "--kafka-records", type=int, default=100_000, help="Kafka sink drain (0: skip it)"
    )
    parser.add_argument("--kafka-rounds", type=int, default=3, help="Kafka sink drains (median)")


def run(args: argparse.Namespace, bootstrap: str, server_url: str) -> int:
    counts = [int(c) for c in args.subscribers.split(",") if c]
    figures, breakdown = asyncio.run(
        bench(
            bootstrap,
            server_url,
            counts,
            args.deliveries,
            args.seconds,
            args.kafka_records,
            args.kafka_rounds,
        )
    )
    if getattr(args, "json", False):
        print(json.dumps({"figures": [f.__dict__ for f in figures], "stages": breakdown}))
    else:
        print(format_table(figures).replace("events/s", "deliveries/s"))
        print("stages:")
        for line in breakdown:
            print("  " + line)
    return 0


if __name__ == "__main__":
    main_parser = argparse.ArgumentParser(prog="python -m notificatie_router.bench")
    main_parser.add_argument("--ontvanger", type=int, help="run the receiver on this port")
    main_parser.add_argument(
        "--relay", nargs=3, metavar=("BRON", "DOEL", "AANTAL"), help="run the raw relay"
    )
    main_parser.add_argument("--bootstrap", help="with --relay: the broker")
    main_args = main_parser.parse_args()
    if main_args.ontvanger:
        ontvanger(main_args.ontvanger)
    elif main_args.relay:
        bron_topic, doel_topic, aantal = main_args.relay
        relay(main_args.bootstrap, bron_topic, doel_topic, int(aantal))
