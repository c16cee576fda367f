"""``keten demo`` (the journeys: ``keten_core.demo_keten``) and the smoke round trip behind
``keten demo --smoke``: a gemeente records a PIP decision, the outbox
relay publishes the thin CloudEvent to Kafka, a consumer receives it and prints it."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cloudevents.core.formats.json import JSONFormat

from keten_contracts.envelope import source_urn
from keten_contracts.events import get_event_type
from keten_core.consumer import ConsumedEvent, EventConsumer
from keten_core.db import create_engine, migrate, session_factory
from keten_core.envelope import CloudEvent, new_event
from keten_core.kafka import EventProducer, TopicSpec, ensure_topics
from keten_core.outbox import OutboxRelay
from keten_core.settings import KetenSettings
from keten_core.uow import UnitOfWork

if TYPE_CHECKING:
    from keten_core.cli import Subparsers

DEMO_TYPE = "nl.inburgering.pip.vastgesteld.v1"
DEMO_GROUP = "keten-demo"
# A fictitious gemeente OIN and CBS code; the demo's dossier id is an opaque random id.
DEMO_OIN = "00000001001234567000"
DEMO_GEMEENTECODE = "0363"


def demo_event() -> CloudEvent:
    pip_id = f"pip-{uuid.uuid4().hex[:12]}"
    dossier_id = f"dos-{uuid.uuid4().hex[:12]}"
    return new_event(
        type=DEMO_TYPE,
        source=source_urn(DEMO_OIN, "dossier-bron"),
        subject=pip_id,
        partitionkey=dossier_id,
        dataref=f"http://127.0.0.1:8000/api/v1/pips/{pip_id}",
        data={"pipId": pip_id, "dossierId": dossier_id, "versie": 1},
        gemeentecode=DEMO_GEMEENTECODE,
    )


async def run_demo(settings: KetenSettings, echo: Callable[[str], None] = print) -> CloudEvent:
    """Write, relay, consume; returns the event as the consumer received it."""
    bootstrap = settings.kafka_bootstrap_servers
    topic = get_event_type(DEMO_TYPE).topic
    dead_letter_topic = f"{DEMO_GROUP}.deadletter"
    await ensure_topics(
        bootstrap,
        [
            TopicSpec(topic, settings.kafka_partitions, settings.kafka_replication_factor),
            TopicSpec(dead_letter_topic, 1, settings.kafka_replication_factor),
        ],
    )
    engine = create_engine(settings.database_url)
    try:
        await migrate(engine)
        sessions = session_factory(engine)

        sent = demo_event()
        async with UnitOfWork(sessions, source=None, now=lambda: datetime.now(UTC)) as uow:
            uow.emit_event(sent)
        echo(f"outbox: stored {sent.get_type()} id={sent.get_id()}")

        received: asyncio.Future[CloudEvent] = asyncio.get_running_loop().create_future()

        async def handler(events: Sequence[ConsumedEvent]) -> None:
            async with UnitOfWork(
                sessions, source=None, now=lambda: datetime.now(UTC), consumer=DEMO_GROUP
            ) as uow:
                for event in await uow.claim(events):
                    if event.id == sent.get_id() and not received.done():
                        received.set_result(
                            CloudEvent(event.envelope.as_cloudevent_attributes(), event.data)
                        )

        async with EventProducer(bootstrap, client_id="keten-demo") as producer:
            relay = OutboxRelay(engine, producer, service=DEMO_GROUP)
            relayed, _ = await relay.relay_on_own_connection()
            echo(f"relay: published {relayed} event(s) to {topic} on {bootstrap}")
            consumer = EventConsumer(
                bootstrap,
                [topic],
                group_id=DEMO_GROUP,
                handler=handler,
                dead_letters=producer,
                dead_letter_topic=dead_letter_topic,
            )
            async with consumer.running():
                event = await asyncio.wait_for(received, timeout=60)
    finally:
        await engine.dispose()

    echo("consumer: received (structured JSON rendering of the binary-mode record):")
    echo(json.dumps(json.loads(JSONFormat().write(event)), indent=2, ensure_ascii=False))
    return event


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="the reference journeys through the whole chain, with a timeline (--smoke: the "
        "outbox -> Kafka -> consumer round trip)",
        description="Starts Kafka and PostgreSQL (unless KETEN_KAFKA_BOOTSTRAP_SERVERS and "
        "KETEN_DATABASE_URL point at servers of your own), a fresh chain of its own (the five "
        "services, state in $KETEN_STATE_DIR/demo), a sample aanbieder and a sample webhook "
        "subscriber; runs the asielstatushouder and gezinsmigrant journeys and prints what "
        "happened per step: notifications, reads from the processing logs, DUO's signalen "
        "and the CBS delivery. Exit status 0: both journeys ran end to end.",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="only the smoke round trip: a PIP event through the outbox, Kafka and a consumer",
    )
    parser.add_argument(
        "--naam",
        default="demo",
        help="the demo chain's name: databases keten_<naam>_<service>, topic prefix <naam>. "
        "(default demo; never the chain of `keten up`)",
    )
    parser.add_argument(
        "--laat-draaien",
        action="store_true",
        help="keep the demo chain running afterwards (default: its services are stopped)",
    )
    parser.add_argument(
        "--opruimen",
        action="store_true",
        help="drop the demo chain's databases afterwards (default: kept until the next run)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if not getattr(args, "smoke", False):
        from keten_core.demo_keten import run_keten_demo

        return run_keten_demo(args)

    from keten_core.infra import LocalKafka, LocalPostgres, local_servers

    # A server named in the environment is the operator's; only the others are started here.
    local = [s.name for s in (LocalKafka, LocalPostgres) if s.env_var not in os.environ]
    for server in local_servers(local):
        started = server.start()
        print(f"{server.name}: {'started' if started else 'running'} at {server.address}")
    asyncio.run(run_demo(KetenSettings()))
    return 0
