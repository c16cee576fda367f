"""Webhook delivery on the fast path: every event's deliveries go into chains, one per
(subscription, partitionkey), worked through by a fixed pool of workers.

Why chains and a pool, and not a task per delivery: order must hold per subscriber per person
key (a chain is worked one delivery at a time), one failing dossier must not stall a
subscriber (other keys are other chains), and one slow or dead sink must not delay the others:
at most ``per_abonnement`` of the pool's workers serve one subscription, and after
``BREKER_DREMPEL`` failures in a row its new deliveries go straight to the retry schedule
(``herhaling``) instead of waiting for a worker. A task per delivery cost a third of the
throughput in the prototype (issue 11).

A delivery leaves the fast path at its first outcome: delivered, or handed to the retry
schedule (``wacht``) with the rest of its chain behind it, or dead. Each outcome is a row for
the delivery log (``logboek``), written in bulk; only once that row is written does the event's
Kafka offset count as settled (``stroom``).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
import structlog
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind, StatusCode

from keten_contracts.envelope import EnvelopeAttributes
from keten_core.envelope import KafkaRecord, event_to_kafka, is_sampled, trace_context_of
from keten_core.logging import without_query
from keten_core.telemetry import inject_trace_headers
from notificatie_router.domain import Ontvanger, RetrySchema, fragment, retry_after_s
from notificatie_router.metrics import RouterMetrics
from notificatie_router.models import KAFKA
from notificatie_router.notificaties import naar_notificatie

if TYPE_CHECKING:
    from notificatie_router.logboek import Logboek

log = structlog.get_logger(__name__)
tracer = trace.get_tracer("notificatie_router.bezorging")

__all__ = ["Bezorger", "Gebeurtenis", "Poging", "Taak", "WebhookZender"]

Sleutel = tuple[uuid.UUID, str]  # (subscription, partitionkey): one chain

# Failures in a row after which a subscription's new deliveries skip the fast path, and for how
# long (then one attempt again: a success closes it).
BREKER_DREMPEL = 5
BREKER_OPEN_S = 30.0

_FORMAT = JSONFormat()
CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
NOTIFICATIE_CONTENT_TYPE = "application/json"


@dataclass(slots=True, eq=False)
class Gebeurtenis:
    """One consumed event: its attributes for matching (the strings as they came), its data,
    where it came from (for the offset commit), and the forms subscribers get, each built once
    and only when one needs it: the structured CloudEvent (webhooks), the 1.0 notificatie, the
    Kafka record (Kafka sinks get the record as consumed)."""

    id: uuid.UUID
    attributes: dict[str, str]
    envelope: EnvelopeAttributes
    payload: dict[str, Any]
    value: bytes  # the data as JSON, as it came
    ontvangen_op: datetime
    topic: str
    partitie: int
    positie: int
    # The event's own log row plus each delivery whose first outcome is not yet written.
    open: int = 1
    # The record as consumed (headers, key, value): a Kafka sink gets it unchanged.
    record: tuple[list[tuple[str, bytes]], bytes, bytes] | None = field(default=None, repr=False)
    # The router's span for this event (``stroom``), parent of its deliveries' spans; None when
    # the event's trace is not sampled or the event came from the log (a retry, resend, replay).
    trace_context: Context | None = field(default=None, repr=False)
    _body: str | None = field(default=None, repr=False)
    _data: bytes | None = field(default=None, repr=False)
    _notificatie: str | None = field(default=None, repr=False)

    @property
    def tijd(self) -> datetime:
        return self.envelope.time

    @property
    def body(self) -> str:
        """The structured-mode CloudEvent (the SDK's JSON format), as every webhook gets it."""
        if self._body is None:
            event = CloudEvent(self.envelope.as_cloudevent_attributes(), self.payload)
            self._data = _FORMAT.write(event)
            self._body = self._data.decode()
        return self._body

    @property
    def data(self) -> bytes:
        if self._data is None:
            self._data = self.body.encode()
        return self._data

    @property
    def notificatie(self) -> str:
        """The event as a Notificaties API 1.0 message (built once, for 1.0 abonnees)."""
        if self._notificatie is None:
            self._notificatie = naar_notificatie(self.attributes).model_dump_json(
                by_alias=True, exclude_none=True
            )
        return self._notificatie

    @property
    def partitionkey(self) -> str:
        return self.attributes["partitionkey"]

    def kafka_record(self) -> KafkaRecord:
        """The event in Kafka's binary content mode, key = partitionkey (for Kafka sinks)."""
        if self.record is not None:
            headers, key, value = self.record
            return KafkaRecord(headers, key, value)
        return event_to_kafka(CloudEvent(self.envelope.as_cloudevent_attributes(), self.payload))


@dataclass(slots=True, eq=False)
class Taak:
    """One delivery of one event to one subscription on the fast path."""

    ontvanger: Ontvanger
    gebeurtenis: Gebeurtenis
    geplaatst: float = field(default_factory=time.perf_counter)

    @property
    def sleutel(self) -> Sleutel:
        return (self.ontvanger.id, self.gebeurtenis.partitionkey)


@dataclass(slots=True)
class Poging:
    """One attempt, as the delivery log keeps it."""

    op: datetime
    ms: float
    status: int | None = None
    fout: str | None = None
    fragment: str | None = None
    retry_after: float | None = None

    @property
    def gelukt(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def weg(self) -> bool:
        """410 Gone: the subscriber says the endpoint is gone for good."""
        return self.status == 410

    def als_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"op": self.op.isoformat(), "ms": round(self.ms, 2)}
        if self.status is not None:
            out["status"] = self.status
        if self.fout is not None:
            out["fout"] = self.fout
        if self.fragment is not None:
            out["fragment"] = self.fragment
        return out


class WebhookZender:
    """Sends one structured CloudEvent to one webhook, signed per Standard Webhooks: the
    ``webhook-id`` is the CloudEvent id (the same on every retry, resend and replay), the
    timestamp and signature are made for this attempt. Binary mode is not offered: the
    signature covers the body only, and binary mode puts the attributes in headers."""

    def __init__(self, session: aiohttp.ClientSession, metrics: RouterMetrics) -> None:
        self._session = session
        self._metrics = metrics

    async def stuur(self, ontvanger: Ontvanger, gebeurtenis: Gebeurtenis) -> Poging:
        nu = datetime.now(UTC)
        webhook_id = str(gebeurtenis.id)
        if ontvanger.soort == "notificaties":
            # A Notificaties API 1.0 abonnee gets the 1.0 message with its own credential
            # (as from Open Notificaties), signed as well for those that verify.
            body = gebeurtenis.notificatie
            data = body.encode()
            content_type = NOTIFICATIE_CONTENT_TYPE
        else:
            body, data, content_type = gebeurtenis.body, gebeurtenis.data, CONTENT_TYPE
        start = time.perf_counter()
        headers = {
            "content-type": content_type,
            "webhook-id": webhook_id,
            "webhook-timestamp": str(int(nu.timestamp())),
            "webhook-signature": ontvanger.tekenaar.handtekening(webhook_id, nu, body),
        }
        if ontvanger.autorisatie is not None:
            headers["authorization"] = ontvanger.autorisatie
        signed = time.perf_counter()
        self._metrics.stage("sign", signed - start)
        if is_sampled(gebeurtenis.envelope.traceparent):
            return await self._stuur_traced(ontvanger, gebeurtenis, nu, data, headers)
        return await self._post(ontvanger, nu, data, headers)

    async def _stuur_traced(
        self,
        ontvanger: Ontvanger,
        gebeurtenis: Gebeurtenis,
        nu: datetime,
        data: bytes,
        headers: dict[str, str],
    ) -> Poging:
        """The attempt as an HTTP client span in the event's trace, its context sent on as
        ``traceparent``. Only for sampled traces, and by hand rather than with aiohttp's
        instrumentation, which would make a span for every POST of an unsampled stream too
        (the fast path's cost per delivery is a few microseconds)."""
        parent = gebeurtenis.trace_context or trace_context_of(gebeurtenis.envelope)
        sink = without_query(ontvanger.sink)  # a query string may hold a token
        with tracer.start_as_current_span(
            "POST",
            context=parent,
            kind=SpanKind.CLIENT,
            attributes={
                "http.request.method": "POST",
                "url.full": sink,
                "cloudevents.event_id": str(gebeurtenis.id),
                "cloudevents.event_type": gebeurtenis.envelope.type,
                "keten.abonnement_id": str(ontvanger.id),
            },
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            headers.update(inject_trace_headers())
            poging = await self._post(ontvanger, nu, data, headers)
            if poging.status is not None:
                span.set_attribute("http.response.status_code", poging.status)
            if not poging.gelukt:
                span.set_status(StatusCode.ERROR, poging.fout or f"HTTP {poging.status}")
            return poging

    async def _post(
        self, ontvanger: Ontvanger, nu: datetime, data: bytes, headers: dict[str, str]
    ) -> Poging:
        start = time.perf_counter()
        try:
            async with self._session.post(
                ontvanger.sink, data=data, headers=headers, allow_redirects=False
            ) as response:
                status = response.status
                if 200 <= status < 300:
                    ms = (time.perf_counter() - start) * 1000
                    self._metrics.stage("send", ms / 1000)
                    return Poging(nu, ms, status)
                excerpt = await response.content.read(1024)
                return Poging(
                    nu,
                    (time.perf_counter() - start) * 1000,
                    status,
                    fragment=fragment(excerpt),
                    retry_after=retry_after_s(response.headers.get("Retry-After"), nu)
                    if status in (429, 503)
                    else None,
                )
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return Poging(nu, (time.perf_counter() - start) * 1000, fout=_describe(exc))


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timeout"
    return f"{type(exc).__name__}: {exc}"[:300]


@dataclass(slots=True)
class _Breker:
    fouten: int = 0
    open_tot: float = 0.0  # monotonic


class Bezorger:
    """The fast path's chains and workers (see the module docstring)."""

    def __init__(
        self,
        zender: WebhookZender,
        logboek: Logboek,
        schema: RetrySchema,
        *,
        workers: int,
        per_abonnement: int,
        bij_weg: Callable[[Ontvanger, str], None],
        bij_succes: Callable[[Ontvanger], None] = lambda o: None,
    ) -> None:
        self._zender = zender
        self._logboek = logboek
        self._schema = schema
        self._aantal_workers = workers
        self._per_abonnement = min(per_abonnement, workers)
        self._bij_weg = bij_weg
        self._bij_succes = bij_succes
        self._metrics = RouterMetrics.shared()
        self._ketens: dict[Sleutel, deque[Taak]] = {}
        self._klaar: asyncio.Queue[Sleutel] = asyncio.Queue()
        self._bezig: Counter[uuid.UUID] = Counter()
        self._wachtrij: dict[uuid.UUID, deque[Sleutel]] = {}
        self._brekers: dict[uuid.UUID, _Breker] = {}
        self._tempo: dict[uuid.UUID, float] = {}
        # Chains with deliveries in the retry schedule: new ones queue behind them there.
        self.geblokkeerd: set[Sleutel] = set()
        self.open_taken = 0
        self._workers: list[asyncio.Task[None]] = []
        # Kafka sinks' deliveries (kafka_sink.KafkaSink), when the router has Kafka sinks.
        self.kafka: Any = None

    def start(self) -> None:
        self._workers = [
            asyncio.create_task(self._werker(), name=f"bezorger-{n}")
            for n in range(self._aantal_workers)
        ]

    async def stop(self) -> None:
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers = []

    def plaats(self, taak: Taak) -> None:
        """Take one delivery: onto its chain, or behind a chain already in the schedule."""
        sleutel = taak.sleutel
        if sleutel not in self.geblokkeerd and taak.ontvanger.protocol == KAFKA and self.kafka:
            self.kafka.plaats(taak)  # counts the delivery itself
            return
        taak.gebeurtenis.open += 1
        if sleutel in self.geblokkeerd:
            # Behind the chain's head in the schedule; due as soon as it becomes the head.
            self._logboek.wacht(taak, [], 0, datetime.now(UTC))
            return
        keten = self._ketens.get(sleutel)
        if keten is not None:
            keten.append(taak)
            self.open_taken += 1
            return
        breker = self._brekers.get(taak.ontvanger.id)
        if breker is not None and breker.open_tot > time.monotonic():
            self._naar_schema([taak], self._breker_moment(breker), pogingen=0)
            return
        self._ketens[sleutel] = deque((taak,))
        self.open_taken += 1
        self._klaar.put_nowait(sleutel)

    def per_abonnement(self) -> Counter[uuid.UUID]:
        """Deliveries on the fast path per subscription (a gauge, every few seconds)."""
        tally: Counter[uuid.UUID] = Counter()
        for (abonnement_id, _), keten in self._ketens.items():
            tally[abonnement_id] += len(keten)
        return tally

    def vrijgeven(self, sleutels: set[Sleutel]) -> None:
        """The schedule holds nothing more for these chains: new deliveries go fast again."""
        self.geblokkeerd -= sleutels

    def herstel(self, abonnement_id: uuid.UUID) -> None:
        """A scheduled attempt succeeded: the sink is back."""
        self._brekers.pop(abonnement_id, None)

    # -- the workers ----------------------------------------------------------------------

    async def _werker(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            sleutel = await self._klaar.get()
            keten = self._ketens.get(sleutel)
            if not keten:
                continue
            taak = keten[0]
            ontvanger = taak.ontvanger
            if self._bezig[ontvanger.id] >= self._per_abonnement:
                self._wachtrij.setdefault(ontvanger.id, deque()).append(sleutel)
                continue
            breker = self._brekers.get(ontvanger.id)
            if breker is not None and breker.open_tot > time.monotonic():
                del self._ketens[sleutel]
                self.open_taken -= len(keten)
                self._naar_schema(list(keten), self._breker_moment(breker), pogingen=0)
                continue
            wacht = self._tempo_wacht(ontvanger)
            if wacht > 0:
                loop.call_later(wacht, self._klaar.put_nowait, sleutel)
                continue
            self._bezig[ontvanger.id] += 1
            self._metrics.stage("queue", time.perf_counter() - taak.geplaatst)
            try:
                poging = await self._zender.stuur(ontvanger, taak.gebeurtenis)
            except Exception as exc:  # a bug in sending must not lose the delivery
                log.exception("bezorging_fout", abonnement=str(ontvanger.id))
                poging = Poging(datetime.now(UTC), 0.0, fout=f"router: {exc!r}"[:300])
            finally:
                self._bezig[ontvanger.id] -= 1
                self._volgende_uit_wachtrij(ontvanger.id)
            self._uitkomst(sleutel, keten, taak, poging)

    def _uitkomst(self, sleutel: Sleutel, keten: deque[Taak], taak: Taak, poging: Poging) -> None:
        ontvanger = taak.ontvanger
        if poging.gelukt:
            keten.popleft()
            self.open_taken -= 1
            self._logboek.afgeleverd(taak, poging)
            if self._brekers.pop(ontvanger.id, None) is not None:
                self._bij_succes(ontvanger)
            if keten:
                self._klaar.put_nowait(sleutel)  # at the back: fair to the other chains
            else:
                del self._ketens[sleutel]
            return
        del self._ketens[sleutel]
        if poging.weg:
            reden = "the sink answered 410 Gone"
            self._bij_weg(ontvanger, reden)
            self.open_taken -= len(keten)
            self._logboek.dood(taak, [poging], 1, reden)
            for achter in list(keten)[1:]:
                self._logboek.dood(achter, [], 0, reden)
            return
        breker = self._brekers.setdefault(ontvanger.id, _Breker())
        breker.fouten += 1
        if breker.fouten >= BREKER_DREMPEL:
            breker.open_tot = time.monotonic() + BREKER_OPEN_S
            self._wachtrij_naar_schema(ontvanger.id, breker)
        volgende = self._schema.volgende(1, poging.op, poging.retry_after)
        keten.popleft()
        self.open_taken -= 1 + len(keten)
        if volgende is None:
            self._logboek.dood(taak, [poging], 1, "no retry stages configured")
            for achter in keten:
                self._logboek.dood(achter, [], 0, "no retry stages configured")
            return
        self.geblokkeerd.add(sleutel)
        self._logboek.wacht(taak, [poging], 1, volgende)
        # The rest of the chain waits behind its head, in order.
        self._naar_schema(list(keten), poging.op, pogingen=0)

    def _naar_schema(self, taken: list[Taak], moment: datetime, *, pogingen: int) -> None:
        """Hand deliveries over to the retry schedule, in chain order; their keys then queue
        behind them there (the fast path counts them out itself)."""
        for taak in taken:
            self.geblokkeerd.add(taak.sleutel)
            self._logboek.wacht(taak, [], pogingen, moment)

    def _wachtrij_naar_schema(self, abonnement_id: uuid.UUID, breker: _Breker) -> None:
        wachtend = self._wachtrij.pop(abonnement_id, deque())
        moment = self._breker_moment(breker)
        for sleutel in wachtend:
            keten = self._ketens.pop(sleutel, None)
            if keten:
                self.open_taken -= len(keten)
                self._naar_schema(list(keten), moment, pogingen=0)

    def _volgende_uit_wachtrij(self, abonnement_id: uuid.UUID) -> None:
        wachtend = self._wachtrij.get(abonnement_id)
        if wachtend:
            self._klaar.put_nowait(wachtend.popleft())
            if not wachtend:
                del self._wachtrij[abonnement_id]

    def _tempo_wacht(self, ontvanger: Ontvanger) -> float:
        """Seconds until the subscription's rate limit allows the next request (GCRA: one
        request per 60/rate seconds, with a burst of one second's worth)."""
        rate = ontvanger.rate_per_minuut
        if rate is None:
            return 0.0
        interval = 60.0 / rate
        nu = time.monotonic()
        vrij = self._tempo.get(ontvanger.id, nu)
        burst = max(interval, 1.0)
        if vrij - nu > burst - interval:
            return vrij - nu - (burst - interval)
        self._tempo[ontvanger.id] = max(vrij, nu) + interval
        return 0.0

    @staticmethod
    def _breker_moment(breker: _Breker) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=max(0.0, breker.open_tot - time.monotonic()))
