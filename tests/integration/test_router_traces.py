"""The router continues the event's trace: a consumer span per sampled event (child of the
context the producer put in the event), a client span per delivery attempt (child of that
consumer span, or of the event's context for a retry), and the attempt's own context sent to
the subscriber as ``traceparent``. Spans reach the test through the router's real OTLP exporter
and an OTLP collector on loopback; the router and the subscriber are processes of their own."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import TracerProvider

from keten_core.testing import CollectedSpan, OtlpCollector, span_tree
from tests.router_support import AMSTERDAM, Router, event, publish, router_process
from tests.webhook_subscriber import SubscriberProcess

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

TERMIJN = "nl.inburgering.termijn.vastgesteld.v1"


@pytest.fixture(scope="module")
def collector() -> Iterator[OtlpCollector]:
    with OtlpCollector() as running:
        yield running


@pytest.fixture(scope="module")
def router(
    router_db: str,
    kafka_bootstrap_servers: str,
    collector: OtlpCollector,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Router]:
    with router_process(
        database=router_db,
        kafka_bootstrap_servers=kafka_bootstrap_servers,
        log_path=tmp_path_factory.mktemp("router") / "router.log",
        extra_env=collector.env(),
    ) as running:
        yield running


def traceparent_parts(value: str) -> tuple[str, str, bool]:
    """(trace id, parent span id, sampled) of a W3C ``traceparent``."""
    version, trace_id, span_id, flags = value.split("-")
    assert version == "00"
    return trace_id, span_id, bool(int(flags, 16) & 1)


async def test_a_delivery_and_its_retry_continue_the_producers_trace(
    router: Router, collector: OtlpCollector, kafka_bootstrap_servers: str, tmp_path: Path
) -> None:
    with SubscriberProcess() as subscriber:
        subscriber.behave(fail_first=1)  # the first attempt fails: a retry follows
        router.subscribe(AMSTERDAM, subscriber.hook_url, types=[TERMIJN])

        # The producer's side: a sampled span of this process's own SDK provider, current
        # while the event is made, so the event carries its context (ce_traceparent).
        tracer = TracerProvider().get_tracer("test-producer")
        with tracer.start_as_current_span("dossier-bron PUT") as producer_span:
            sent = event(TERMIJN, partitionkey="dos-trace-1")
        context = producer_span.get_span_context()
        trace_id, producer_id = f"{context.trace_id:032x}", f"{context.span_id:016x}"
        assert traceparent_parts(sent["traceparent"]) == (trace_id, producer_id, True)
        # And one unsampled event: it must cost no spans at all.
        unsampled = event(TERMIJN, partitionkey="dos-trace-2")
        assert "traceparent" not in unsampled
        # The sampled event first, alone: its first attempt must be the one that fails (two
        # keys' deliveries run side by side, so the unsampled one could otherwise take it).
        await publish(kafka_bootstrap_servers, router.prefix, [sent])
        await asyncio.to_thread(subscriber.wait_for, 1, 20)
        await publish(kafka_bootstrap_servers, router.prefix, [unsampled])

        posts = await asyncio.to_thread(subscriber.wait_for, 3, 20)

    def complete(spans: list[CollectedSpan]) -> bool:
        return sum(s.kind == "CLIENT" for s in spans) >= 2

    spans = collector.wait_for(complete, trace_id=trace_id)
    consumer = [s for s in spans if s.kind == "CONSUMER"]
    clients = [s for s in spans if s.kind == "CLIENT"]
    tree = "\n".join(span_tree(spans, consumer[0])) if consumer else str(spans)

    # The router's consumer span is the producer span's child.
    assert len(consumer) == 1, tree
    assert consumer[0].service == "notificatie-router"
    assert consumer[0].parent_span_id == producer_id
    assert consumer[0].attributes["messaging.message.id"] == str(sent["id"])
    assert consumer[0].attributes["cloudevents.event_type"] == TERMIJN

    # Two attempts: the failed one on the fast path under the consumer span, the retry from
    # the schedule under the event's own context (the consumer span is long gone by then).
    assert len(clients) == 2, tree
    failed = next(s for s in clients if s.attributes["http.response.status_code"] == 500)
    retried = next(s for s in clients if s.attributes["http.response.status_code"] == 200)
    assert failed.parent_span_id == consumer[0].span_id, tree
    assert failed.status == "ERROR" and retried.status != "ERROR"
    assert retried.parent_span_id == producer_id, tree
    for span in clients:
        assert span.name == "POST"
        assert span.attributes["url.full"] == subscriber.hook_url
        assert span.attributes["cloudevents.event_id"] == str(sent["id"])

    # Each attempt told the subscriber its own span: the trace runs on into its system.
    traced = [p for p in posts if p["headers"]["webhook-id"] == str(sent["id"])]
    assert len(traced) == 2
    sent_spans = {traceparent_parts(p["headers"]["traceparent"]) for p in traced}
    assert sent_spans == {(trace_id, failed.span_id, True), (trace_id, retried.span_id, True)}

    # The unsampled event: delivered without a trace header, and no span anywhere for it.
    plain = [p for p in posts if p["headers"]["webhook-id"] == str(unsampled["id"])]
    assert len(plain) == 1 and "traceparent" not in plain[0]["headers"]
    assert not [
        s
        for s in collector.spans()
        if s.attributes.get("messaging.message.id") == str(unsampled["id"])
        or s.attributes.get("cloudevents.event_id") == str(unsampled["id"])
    ]
