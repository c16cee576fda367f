"""notificatie-router against a real broker, a real PostgreSQL and real webhook subscribers in
their own processes: subscribing (policy, handshake), signed delivery in order, retries, dead
deliveries and resend, replay, the pull endpoint, and a router killed mid-stream."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from keten_core.dlq import DeadLetterFilter, replay, retry_topic_for
from keten_core.testing import fresh_database
from tests.router_support import (
    AMSTERDAM,
    ANDERE_MAP,
    BEHEERDER_AMSTERDAM,
    BEHEERDER_UTRECHT,
    MAP,
    MAP_OIN,
    UTRECHT,
    Router,
    event,
    publish,
    router_process,
)
from tests.webhook_subscriber import SubscriberProcess

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]

TERMIJN = "nl.inburgering.termijn.vastgesteld.v1"
SIGNAAL = "nl.inburgering.signaal.aangemaakt.v1"
OPDRACHT = "nl.inburgering.opdracht.verstrekt.v1"
UITGESCHAKELD = "nl.inburgering.abonnement.uitgeschakeld.v1"
OVERLAP_S = 4


@pytest.fixture(scope="module")
def router(
    router_db: str, kafka_bootstrap_servers: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Router]:
    log_path = tmp_path_factory.mktemp("router") / "router.log"
    with router_process(
        database=router_db,
        kafka_bootstrap_servers=kafka_bootstrap_servers,
        log_path=log_path,
        # A rotated-out secret signs for 4 s more (24 h by default).
        extra_env={"KETEN_ROUTER_GEHEIM_OVERLAP_S": str(OVERLAP_S)},
    ) as running:
        yield running


@pytest.fixture
def subscriber() -> Iterator[SubscriberProcess]:
    with SubscriberProcess() as process:
        yield process


@pytest.fixture
def second_subscriber() -> Iterator[SubscriberProcess]:
    with SubscriberProcess() as process:
        yield process


def verified(record: dict[str, Any], secret: str) -> dict[str, Any]:
    """The body, after the signature checked out with the standardwebhooks library."""
    payload: dict[str, Any] = Webhook(secret).verify(record["body"], record["headers"])
    return payload


async def eventually(probe: Callable[[], Any], timeout_s: float = 10) -> Any:
    """``probe()``'s first truthy answer (the delivery log is written every 100 ms)."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = probe()
        if found:
            return found
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.2)


def key() -> str:
    return f"dos-{uuid.uuid4().hex[:8]}"


async def test_signed_delivery_in_order_only_for_the_own_gemeente(
    router: Router, subscriber: SubscriberProcess, kafka_bootstrap_servers: str
) -> None:
    created = router.subscribe(AMSTERDAM, subscriber.hook_url, types=[TERMIJN])
    assert created["secret"].startswith("whsec_")
    handshakes = subscriber.received(method="OPTIONS")
    assert handshakes and "webhook-request-origin" in handshakes[0]["headers"]

    person = key()
    events = [event(TERMIJN, partitionkey=person, nummer=n) for n in range(5)]
    other = [event(TERMIJN, partitionkey=key(), gemeentecode="0344") for _ in range(2)]
    await publish(kafka_bootstrap_servers, router.prefix, [*events, *other])

    received = await asyncio.to_thread(subscriber.wait_for, 5)
    await asyncio.sleep(1.0)  # anything more would be a leak
    received = subscriber.received()
    assert [r["headers"]["webhook-id"] for r in received] == [str(e["id"]) for e in events]
    for record, sent in zip(received, events, strict=True):
        body = verified(record, created["secret"])
        assert body["id"] == str(sent["id"]) and body["type"] == TERMIJN
        assert body["gemeentecode"] == "0363"
        assert record["headers"]["content-type"].startswith("application/cloudevents+json")

    with router.api(AMSTERDAM) as api:
        url = f"/subscriptions/{created['id']}/deliveries"
        log = await eventually(
            lambda: len(found := api.get(url).json()["afleveringen"]) == 5 and found
        )
    assert [d["status"] for d in log] == ["afgeleverd"] * 5
    assert [d["volgnummer"] for d in log] == [1, 2, 3, 4, 5]
    assert all(d["geschiedenis"][0]["status"] == 200 for d in log)


async def test_a_success_with_a_body_keeps_the_connection(
    router: Router, subscriber: SubscriberProcess, kafka_bootstrap_servers: str
) -> None:
    """A subscriber answering 200 with a body (many do: a JSON acknowledgement) gets every
    delivery of a key on one keep-alive connection: the router's client does not open a
    connection per delivery (aiohttp buffers an answer of this size, so it is not dropped
    unread)."""
    subscriber.behave(body_bytes=48_000)
    router.subscribe(AMSTERDAM, subscriber.hook_url, types=[TERMIJN])
    person = key()
    events = [event(TERMIJN, partitionkey=person, nummer=n) for n in range(6)]
    await publish(kafka_bootstrap_servers, router.prefix, events)
    received = await asyncio.to_thread(subscriber.wait_for, 6)
    assert [r["headers"]["webhook-id"] for r in received] == [str(e["id"]) for e in events]
    assert len({r["peer"] for r in received}) == 1, [r["peer"] for r in received]


async def test_subscription_refused_by_policy_and_by_handshake(
    router: Router, subscriber: SubscriberProcess
) -> None:
    with router.api(MAP) as api:
        refused = api.post(
            "/subscriptions",
            json={"sink": subscriber.hook_url, "protocol": "HTTP", "types": [TERMIJN]},
        )
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert TERMIJN in refused.json()["detail"]

    with router.api(AMSTERDAM) as api:
        other_gemeente = api.post(
            "/subscriptions",
            json={
                "sink": subscriber.hook_url,
                "protocol": "HTTP",
                "filters": [{"exact": {"gemeentecode": "0344"}}],
            },
        )
        assert other_gemeente.status_code == 403

        sql = api.post(
            "/subscriptions",
            json={"sink": subscriber.hook_url, "protocol": "HTTP", "filters": [{"sql": "1=1"}]},
        )
        assert sql.status_code == 422
        assert "sql" in json.dumps(sql.json())

        subscriber.behave(handshake="refuse")
        no_consent = api.post(
            "/subscriptions", json={"sink": subscriber.hook_url, "protocol": "HTTP"}
        )
        assert no_consent.status_code == 422
        assert no_consent.json()["type"].endswith("/webhook-handshake")

        dead = api.post(
            "/subscriptions", json={"sink": "http://127.0.0.1:9/hook", "protocol": "HTTP"}
        )
        assert dead.status_code == 422
        assert "handshake" in dead.json()["detail"]


async def test_an_aanbieder_gets_only_its_own_opdrachten(
    router: Router,
    subscriber: SubscriberProcess,
    second_subscriber: SubscriberProcess,
    kafka_bootstrap_servers: str,
) -> None:
    mine = router.subscribe(MAP, subscriber.hook_url, types=[OPDRACHT])
    router.subscribe(ANDERE_MAP, second_subscriber.hook_url, types=[OPDRACHT])
    for_me = event(OPDRACHT, partitionkey=key(), aanbiederoin=MAP_OIN)
    for_other = event(OPDRACHT, partitionkey=key(), aanbiederoin=ANDERE_MAP.oin)
    await publish(kafka_bootstrap_servers, router.prefix, [for_me, for_other])
    got = await asyncio.to_thread(subscriber.wait_for, 1)
    got_other = await asyncio.to_thread(second_subscriber.wait_for, 1)
    await asyncio.sleep(1.0)
    assert [r["headers"]["webhook-id"] for r in subscriber.received()] == [str(for_me["id"])]
    assert [r["headers"]["webhook-id"] for r in second_subscriber.received()] == [
        str(for_other["id"])
    ]
    assert verified(got[0], mine["secret"])["aanbiederoin"] == MAP_OIN
    assert got_other


async def test_down_subscriber_gets_everything_in_order_and_others_are_not_delayed(
    router: Router,
    subscriber: SubscriberProcess,
    second_subscriber: SubscriberProcess,
    kafka_bootstrap_servers: str,
) -> None:
    down = router.subscribe(AMSTERDAM, subscriber.hook_url, types=[SIGNAAL])
    up = router.subscribe(UTRECHT, second_subscriber.hook_url, types=[SIGNAAL])
    subscriber.behave(status=503, retry_after="1")
    people = [key() for _ in range(3)]
    amsterdam = [event(SIGNAAL, partitionkey=p, nummer=n) for n in range(4) for p in people]
    utrecht = [event(SIGNAAL, partitionkey=key(), gemeentecode="0344") for _ in range(5)]
    await publish(kafka_bootstrap_servers, router.prefix, [*amsterdam, *utrecht])

    started = time.monotonic()
    await asyncio.to_thread(second_subscriber.wait_for, 5)
    assert time.monotonic() - started < 5, "the healthy subscriber waited for the failing one"
    await asyncio.to_thread(subscriber.wait_for, 1)  # attempted, answered 503

    # The failed attempt reaches the delivery log with its next flush (every 100 ms).
    with router.api(AMSTERDAM) as api:
        url = f"/subscriptions/{down['id']}/deliveries?status=wacht"
        waiting = await eventually(lambda: api.get(url).json()["afleveringen"])
    assert waiting, "failed deliveries wait in the schedule"

    subscriber.clear()
    subscriber.behave(status=200, retry_after=None)
    received = await asyncio.to_thread(subscriber.wait_for, len(amsterdam), 30)
    ids = [r["headers"]["webhook-id"] for r in received]
    for person in people:
        expected = [str(e["id"]) for e in amsterdam if e["partitionkey"] == person]
        assert [i for i in ids if i in expected] == expected, "order per dossier"
    assert set(ids) == {str(e["id"]) for e in amsterdam}
    assert up["id"] != down["id"]


async def test_dead_after_the_last_stage_then_resend_delivers_everything_once(
    router: Router, subscriber: SubscriberProcess, kafka_bootstrap_servers: str, router_db: str
) -> None:
    sub = router.subscribe(
        AMSTERDAM,
        subscriber.hook_url,
        types=[TERMIJN],
        filters=[{"prefix": {"partitionkey": "dead-"}}],
    )
    subscriber.behave(status=500)
    person = f"dead-{uuid.uuid4().hex[:6]}"
    events = [event(TERMIJN, partitionkey=person, nummer=n) for n in range(3)]
    await publish(kafka_bootstrap_servers, router.prefix, events)
    # Stages (1, 1, 1): the first attempt and three retries, then dead.
    await asyncio.to_thread(subscriber.wait_for, 4, 30)
    with router.api(AMSTERDAM) as api:
        deadline = time.monotonic() + 30
        while True:
            dead = api.get(f"/subscriptions/{sub['id']}/deliveries?status=dood").json()
            if len(dead["afleveringen"]) == 3:
                break
            assert time.monotonic() < deadline, dead
            await asyncio.sleep(0.3)
        head = dead["afleveringen"][0]
        assert head["pogingen"] == 4
        assert [a.get("status") for a in head["geschiedenis"][:4]] == [500] * 4
        assert "dood" in head["geschiedenis"][-1]

    subscriber.clear()
    subscriber.behave(status=200)
    # The SSC's operator for Amsterdam may resend; Utrecht's operator does not even see it.
    with router.api(BEHEERDER_UTRECHT) as api:
        assert api.get(f"/subscriptions/{sub['id']}/deliveries").status_code == 404
        refused = api.post(f"/subscriptions/{sub['id']}/resends", json={"alleMislukte": True})
        assert refused.status_code == 404
    with router.api(BEHEERDER_AMSTERDAM) as api:
        assert sub["id"] in [s["id"] for s in api.get("/subscriptions").json()]
        resend = api.post(f"/subscriptions/{sub['id']}/resends", json={"alleMislukte": True})
        assert resend.status_code == 202 and resend.json()["aantal"] == 3
    received = await asyncio.to_thread(subscriber.wait_for, 3, 20)
    await asyncio.sleep(1.0)
    assert [r["headers"]["webhook-id"] for r in subscriber.received()] == [
        str(e["id"]) for e in events
    ]
    for r in received:
        verified(r, sub["secret"])
    connection = await asyncpg.connect(router_db.replace("+asyncpg", ""))
    try:
        audit = await connection.fetch(
            "SELECT client_id, actie FROM router_audit WHERE abonnement_id = $1 ORDER BY id",
            uuid.UUID(sub["id"]),
        )
    finally:
        await connection.close()
    assert [(a["client_id"], a["actie"]) for a in audit] == [
        (AMSTERDAM.client_id, "aangemaakt"),
        (BEHEERDER_AMSTERDAM.client_id, "herzonden"),
    ]


async def test_replay_and_pull(
    router: Router, subscriber: SubscriberProcess, kafka_bootstrap_servers: str
) -> None:
    sub = router.subscribe(
        AMSTERDAM,
        subscriber.hook_url,
        types=[TERMIJN],
        filters=[{"prefix": {"partitionkey": "replay-"}}],
    )
    person = f"replay-{uuid.uuid4().hex[:6]}"
    before = [event(TERMIJN, partitionkey=person, nummer=n) for n in range(2)]
    await publish(kafka_bootstrap_servers, router.prefix, before)
    await asyncio.to_thread(subscriber.wait_for, 2)
    await asyncio.sleep(1.5)

    since = datetime.now(UTC)
    after = [event(TERMIJN, partitionkey=person, nummer=n) for n in range(2, 5)]
    # In the window, matching the subscription's filter, but another gemeente's: the policy
    # keeps it out of the delivery and of the replay.
    utrecht = event(TERMIJN, partitionkey=f"{person}-u", gemeentecode="0344")
    await publish(kafka_bootstrap_servers, router.prefix, [*after[:1], utrecht, *after[1:]])
    await asyncio.to_thread(subscriber.wait_for, 5)

    with router.api(AMSTERDAM) as api:
        url = f"/subscriptions/{sub['id']}/events"
        pulled = await eventually(
            lambda: (p := api.get(url, params={"na": 2}).json())["volgende"] == 5 and p
        )
        assert [i["event"]["id"] for i in pulled["items"]] == [str(e["id"]) for e in after]
        assert pulled["volgende"] == 5
        assert api.get(f"/subscriptions/{sub['id']}/events", params={"na": 5}).json()["items"] == []

        subscriber.clear()
        replay = api.post(f"/subscriptions/{sub['id']}/replays", json={"vanaf": since.isoformat()})
        assert replay.status_code == 202, replay.text
        assert replay.json()["aantal"] == 3
        old = api.post(
            f"/subscriptions/{sub['id']}/replays", json={"vanaf": "2020-01-01T00:00:00Z"}
        )
        assert old.status_code == 410
    replayed = await asyncio.to_thread(subscriber.wait_for, 3)
    await asyncio.sleep(1.0)
    assert [r["headers"]["webhook-id"] for r in subscriber.received()] == [
        str(e["id"]) for e in after
    ]
    assert replayed


async def test_secret_rotation_overlap(
    router: Router, subscriber: SubscriberProcess, kafka_bootstrap_servers: str
) -> None:
    sub = router.subscribe(
        AMSTERDAM,
        subscriber.hook_url,
        types=[TERMIJN],
        filters=[{"prefix": {"partitionkey": "rot-"}}],
    )
    with router.api(AMSTERDAM) as api:
        rotated = api.post(f"/subscriptions/{sub['id']}/secret").json()
    await asyncio.sleep(1.5)  # the engine reloads subscriptions every second
    await publish(kafka_bootstrap_servers, router.prefix, [event(TERMIJN, partitionkey="rot-1")])
    (record,) = await asyncio.to_thread(subscriber.wait_for, 1)
    verified(record, rotated["secret"])
    verified(record, sub["secret"])  # still within the overlap
    assert len(record["headers"]["webhook-signature"].split(" ")) == 2

    await asyncio.sleep(OVERLAP_S + 1.5)  # past the overlap (and the next reload)
    subscriber.clear()
    await publish(kafka_bootstrap_servers, router.prefix, [event(TERMIJN, partitionkey="rot-2")])
    (record,) = await asyncio.to_thread(subscriber.wait_for, 1)
    verified(record, rotated["secret"])
    with pytest.raises(WebhookVerificationError):
        verified(record, sub["secret"])


async def test_gone_disables_the_subscription(
    router: Router,
    subscriber: SubscriberProcess,
    second_subscriber: SubscriberProcess,
    kafka_bootstrap_servers: str,
) -> None:
    sub = router.subscribe(
        AMSTERDAM,
        subscriber.hook_url,
        types=[TERMIJN],
        filters=[{"prefix": {"partitionkey": "gone-"}}],
    )
    # The owner watches its subscriptions with another one; so does another party, which must
    # not hear about Amsterdam's.
    over_deze = [{"exact": {"subject": sub["id"]}}]
    eigen = router.subscribe(
        AMSTERDAM, second_subscriber.hook_url, types=[UITGESCHAKELD], filters=over_deze
    )
    router.subscribe(UTRECHT, second_subscriber.hook_url, types=[UITGESCHAKELD], filters=over_deze)
    subscriber.behave(status=410)
    await publish(kafka_bootstrap_servers, router.prefix, [event(TERMIJN, partitionkey="gone-1")])
    await asyncio.to_thread(subscriber.wait_for, 1)
    with router.api(AMSTERDAM) as api:
        state = await eventually(
            lambda: not (found := api.get(f"/subscriptions/{sub['id']}").json())["actief"] and found
        )
    assert "410" in state["uitgeschakeldReden"]
    (melding,) = await asyncio.to_thread(second_subscriber.wait_for, 1)
    notice = verified(melding, eigen["secret"])
    assert notice["type"] == UITGESCHAKELD and notice["data"] == {"id": sub["id"]}
    assert notice["abonneeoin"] == AMSTERDAM.oin
    assert notice["dataref"].endswith(f"/api/v1/subscriptions/{sub['id']}")
    await asyncio.sleep(1.5)
    await publish(kafka_bootstrap_servers, router.prefix, [event(TERMIJN, partitionkey="gone-2")])
    await asyncio.sleep(1.5)
    assert len(subscriber.received()) == 1, "a disabled subscription gets nothing more"
    assert len(second_subscriber.received()) == 1, "the notice reached its owner only"

    # The owner enables it again: the sink must consent again (handshake), then it gets new
    # events; what came meanwhile comes with a replay.
    subscriber.behave(status=200, handshake="refuse")
    with router.api(AMSTERDAM) as api:
        refused = api.patch(f"/subscriptions/{sub['id']}", json={"actief": True})
        assert refused.status_code == 422
        assert refused.json()["type"].endswith("/webhook-handshake")
        subscriber.behave(handshake="echo")
        enabled = api.patch(f"/subscriptions/{sub['id']}", json={"actief": True})
        assert enabled.status_code == 200, enabled.text
        assert enabled.json()["actief"] and enabled.json()["uitgeschakeldReden"] is None
    subscriber.clear()
    await publish(kafka_bootstrap_servers, router.prefix, [event(TERMIJN, partitionkey="gone-3")])
    (record,) = await asyncio.to_thread(subscriber.wait_for, 1)
    assert verified(record, sub["secret"])["partitionkey"] == "gone-3"


async def test_retry_after_and_the_handshake_rate_limit(
    router: Router, subscriber: SubscriberProcess, kafka_bootstrap_servers: str
) -> None:
    subscriber.behave(allowed_rate="120")  # 2 requests per second
    sub = router.subscribe(
        AMSTERDAM,
        subscriber.hook_url,
        types=[TERMIJN],
        filters=[{"prefix": {"partitionkey": "rate-"}}],
    )
    assert sub["rateLimitPerMinuut"] == 120
    events = [event(TERMIJN, partitionkey=f"rate-{n}") for n in range(6)]
    await publish(kafka_bootstrap_servers, router.prefix, events)
    received = await asyncio.to_thread(subscriber.wait_for, 6, 15)
    spread = received[-1]["at"] - received[0]["at"]
    assert spread >= 1.9, f"6 requests at 2/s took only {spread:.2f} s"

    subscriber.clear()
    subscriber.behave(status=503, retry_after="3")
    await publish(kafka_bootstrap_servers, router.prefix, [event(TERMIJN, partitionkey="rate-x")])
    (first,) = await asyncio.to_thread(subscriber.wait_for, 1, 15)
    subscriber.behave(status=200, retry_after=None)
    first, second = await asyncio.to_thread(subscriber.wait_for, 2, 15)
    waited = second["at"] - first["at"]
    assert waited >= 2.9, f"Retry-After: 3 honoured? the retry came after {waited:.2f} s"
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"]
    assert first["headers"]["webhook-signature"] != second["headers"]["webhook-signature"]


async def test_an_event_of_an_unknown_type_is_parked_not_dropped(
    router: Router, kafka_bootstrap_servers: str
) -> None:
    from keten_core.kafka import EventProducer

    known = event(TERMIJN, partitionkey="unknown-1")["cloudevent"]
    from keten_core.envelope import event_to_kafka

    record = event_to_kafka(known)
    headers = [
        (name, b"nl.inburgering.iets.nieuws.v1" if name == "ce_type" else value)
        for name, value in record.headers
    ]
    async with EventProducer(kafka_bootstrap_servers) as producer:
        await producer.send_raw(
            router.prefix + "nl.inburgering.duo", record.key, record.value, headers
        )
    (letter,) = await dead_letters(router, kafka_bootstrap_servers, 1)
    assert letter.reason == "unknown-type"
    assert "iets.nieuws" in (letter.error or "")
    assert letter.group == router.prefix + "notificatie-router"

    # `keten dlq replay` gives it back to the router (its retry topic), which reads it again:
    # after a contracts upgrade it would be delivered; this router still does not know it.
    replayed = await replay(
        kafka_bootstrap_servers, router.dead_letter_topic, DeadLetterFilter(group=letter.group)
    )
    assert replayed == 1
    letters = await dead_letters(router, kafka_bootstrap_servers, 2)
    assert [x.reason for x in letters] == ["unknown-type", "unknown-type"]
    assert letters[1].original_topic == retry_topic_for(letter.group)


async def dead_letters(router: Router, bootstrap: str, count: int) -> list[Any]:
    from aiokafka import AIOKafkaConsumer

    from keten_core.dlq import DeadLetter

    consumer = AIOKafkaConsumer(
        router.dead_letter_topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        group_id=f"dlq-{uuid.uuid4().hex[:6]}",
    )
    await consumer.start()
    try:
        letters: list[DeadLetter] = []
        deadline = time.monotonic() + 20
        while len(letters) < count and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            letters += [DeadLetter.from_record(r) for rs in batch.values() for r in rs]
    finally:
        await consumer.stop()
    return letters


async def test_a_router_killed_mid_stream_loses_nothing(
    router_db: str,
    kafka_bootstrap_servers: str,
    subscriber: SubscriberProcess,
    tmp_path: Path,
    postgres_server_url: str,
) -> None:
    async with fresh_database(postgres_server_url) as database:
        with router_process(
            database=database,
            kafka_bootstrap_servers=kafka_bootstrap_servers,
            log_path=tmp_path / "killed.log",
        ) as killed:
            sub = killed.subscribe(AMSTERDAM, subscriber.hook_url, types=[TERMIJN])
            # A slow subscriber: at the kill, most events are consumed but not yet delivered.
            subscriber.behave(delay_ms=30)
            people = [key() for _ in range(10)]
            events = [event(TERMIJN, partitionkey=p, nummer=n) for n in range(40) for p in people]
            publishing = asyncio.create_task(
                publish(kafka_bootstrap_servers, killed.prefix, events)
            )
            await asyncio.to_thread(subscriber.wait_for, 50, 30)
            killed.process.kill()
            await publishing
            killed.process.start()
            await asyncio.to_thread(subscriber.wait_for, len(events), 60)
            await asyncio.sleep(2)
    received = subscriber.received()
    ids = [r["headers"]["webhook-id"] for r in received]
    assert set(ids) == {str(e["id"]) for e in events}, "every event at least once"
    for record in received:
        assert verified(record, sub["secret"])["id"] == record["headers"]["webhook-id"]
    first_seen = list(dict.fromkeys(ids))
    for person in people:
        expected = [str(e["id"]) for e in events if e["partitionkey"] == person]
        assert [i for i in first_seen if i in expected] == expected, "order per dossier"
    print(f"killed mid-stream: {len(events)} events, {len(ids) - len(set(ids))} copies, lost 0")


async def test_a_broker_restart_mid_stream_loses_nothing(
    subscriber: SubscriberProcess,
    tmp_path: Path,
    postgres_server_url: str,
    free_tcp_port_factory: Callable[[], int],
) -> None:
    """The router's own broker (a throwaway one) is killed and started again while events flow:
    every event reaches the subscriber, in order per dossier."""
    from keten_core.infra.kafka import LocalKafka

    broker = LocalKafka(
        tmp_path / "kafka",
        free_tcp_port_factory(),
        free_tcp_port_factory(),
        sasl_port=free_tcp_port_factory(),
        heap="512m",
    )
    broker.start(timeout=180)
    try:
        async with fresh_database(postgres_server_url) as database:
            with router_process(
                database=database,
                kafka_bootstrap_servers=broker.bootstrap_servers,
                log_path=tmp_path / "router.log",
            ) as restarted:
                sub = restarted.subscribe(AMSTERDAM, subscriber.hook_url, types=[TERMIJN])
                people = [key() for _ in range(5)]
                first = [
                    event(TERMIJN, partitionkey=p, nummer=n) for n in range(10) for p in people
                ]
                later = [
                    event(TERMIJN, partitionkey=p, nummer=n) for n in range(10, 20) for p in people
                ]
                await publish(broker.bootstrap_servers, restarted.prefix, first)
                await asyncio.to_thread(subscriber.wait_for, 10, 30)
                broker.kill()
                await asyncio.sleep(2)
                broker.start(timeout=180)
                await publish(broker.bootstrap_servers, restarted.prefix, later)
                await asyncio.to_thread(subscriber.wait_for, len(first) + len(later), 120)
    finally:
        broker.kill()
    received = subscriber.received()
    ids = [r["headers"]["webhook-id"] for r in received]
    events = [*first, *later]
    assert set(ids) == {str(e["id"]) for e in events}
    first_seen = list(dict.fromkeys(ids))
    for person in people:
        expected = [str(e["id"]) for e in events if e["partitionkey"] == person]
        assert [i for i in first_seen if i in expected] == expected, "order per dossier"
    for record in received:
        assert verified(record, sub["secret"])["id"] == record["headers"]["webhook-id"]


async def test_a_subscription_failing_for_too_long_is_disabled_with_the_reason(
    subscriber: SubscriberProcess,
    kafka_bootstrap_servers: str,
    tmp_path: Path,
    postgres_server_url: str,
) -> None:
    subscriber.behave(status=500)
    async with fresh_database(postgres_server_url) as database:
        with router_process(
            database=database,
            kafka_bootstrap_servers=kafka_bootstrap_servers,
            log_path=tmp_path / "router.log",
            retry_stages_s=(60, 60),
            # Failing for days in production (3 days); 2 seconds here.
            extra_env={"KETEN_ROUTER_UITSCHAKELEN_NA_S": "2"},
        ) as failing:
            sub = failing.subscribe(AMSTERDAM, subscriber.hook_url, types=[TERMIJN])
            await publish(
                kafka_bootstrap_servers, failing.prefix, [event(TERMIJN, partitionkey=key())]
            )
            await asyncio.to_thread(subscriber.wait_for, 1)
            with failing.api(AMSTERDAM) as api:
                state = await eventually(
                    lambda: (
                        not (found := api.get(f"/subscriptions/{sub['id']}").json())["actief"]
                        and found
                    ),
                    timeout_s=30,
                )
                metrics = api.get(failing.url + "/metrics").text
    assert "every delivery failed since" in state["uitgeschakeldReden"]
    assert state["falendSinds"] is not None
    assert f'keten_router_subscription_disabled{{abonnement="{sub["id"]}"}} 1.0' in metrics
