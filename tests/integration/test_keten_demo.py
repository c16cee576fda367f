"""``keten demo`` as a developer runs it after ``./dev/setup``: the ``keten`` command in a
subprocess, against the session's Kafka and PostgreSQL (named in the environment, so they are
the operator's and never started or stopped here), with a temporary state directory and a demo
chain of its own name (its databases are dropped afterwards with ``--opruimen``).

Both reference journeys must run end to end through the five services, the sample aanbieder
and the sample webhook subscriber, and the timeline must show what happened: notifications to
the gemeente's subscriber and to the aanbieder, reads from the processing logs with their view
and purpose, DUO's signalen and the CBS delivery's manifest; never a BSN."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from keten_core.testing import CollectedSpan, OtlpCollector, span_tree
from tests.integration.test_keten_up import databases

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(600)]

KETEN = str(Path(sys.executable).with_name("keten"))
ROOT = Path(__file__).resolve().parents[2]
# The journeys' fictitious persons' BSNs (demo_reizen/*.yaml): never in the output.
BSNS = ("111222333", "123456782")


def rows_with(output: str, *parts: str) -> list[str]:
    return [line for line in output.splitlines() if all(p in line for p in parts)]


@dataclass(frozen=True)
class DemoRun:
    run: subprocess.CompletedProcess[str]
    chain: Path  # the demo chain's state directory
    naam: str
    spans: list[CollectedSpan]  # what the five services exported over OTLP


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory, kafka_bootstrap_servers: str, postgres_server_url: str
) -> DemoRun:
    """One ``keten demo`` run for the module, with the services exporting their spans to an
    OTLP collector on loopback (the kit's ``KETEN_OTEL_EXPORTER`` and the SDK's own
    ``OTEL_*`` variables reach them through the chain's environment)."""
    tmp_path = tmp_path_factory.mktemp("demo")
    naam = f"d{uuid.uuid4().hex[:8]}"
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("KETEN_") and k != "XDG_STATE_HOME"
    }
    env.update(
        {
            "KETEN_STATE_DIR": str(tmp_path / "state"),
            "KETEN_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap_servers,
            "KETEN_DATABASE_URL": postgres_server_url,
        }
    )
    with OtlpCollector() as collector:
        env.update(collector.env())
        run = subprocess.run(
            [KETEN, "demo", "--naam", naam, "--opruimen"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=540,
            check=False,
        )
        assert not collector.errors, collector.errors
        spans = collector.spans()
    chain = tmp_path / "state" / "demo" / "chain"
    if run.returncode != 0:
        for log in sorted(chain.glob("*.log")):
            print(f"===== {log.name} =====\n{log.read_text(errors='replace')[-8000:]}")
    return DemoRun(run, chain, naam, spans)


def test_keten_demo_runs_both_journeys_and_prints_the_timeline(
    demo: DemoRun, postgres_server_url: str
) -> None:
    run, chain, naam = demo.run, demo.chain, demo.naam
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout

    # Both journeys, every step of each.
    assert rows_with(out, "== Asielstatushouder journey (31 steps)"), out
    assert rows_with(out, "== Gezinsmigrant journey (22 steps)"), out
    assert "both journeys ran end to end" in out

    # Who was notified: the gemeente's webhook subscriber and the sample aanbieder.
    assert rows_with(out, "notified", "gemeente (webhook-ontvanger)", "koppeling.vastgesteld")
    assert rows_with(out, "notified", "gemeente (webhook-ontvanger)", "termijn.vastgesteld")
    assert rows_with(out, "notified", "aanbieder map-bureau", "opdracht.verstrekt"), out
    assert rows_with(out, "reported", "aanbieder map-bureau", "traject-gestart-rapport"), out

    # Who read what, with the view and purpose the processing log recorded.
    assert rows_with(
        out,
        "read by",
        "amsterdam-bij-duo",
        "inburgeringsplicht",
        "gemeente/medewerker-inburgering 0363",
        "uitvoering-inburgering",
        "mdw-ams-0001",
        "geleverd",
    ), out
    assert rows_with(out, "read by", "map-bureau-bij-bron", "opdracht", "map-aanbieder"), out
    assert rows_with(out, "read by", "cbs-bij-dossier-bron", "cbs", "statistiek-swi"), out
    assert rows_with(out, "read by", "rotterdam-bij-duo", "0599", "geleverd"), out
    assert rows_with(out, "read by", "amsterdam-bij-duo", "geweigerd"), out

    # DUO's signalen, ticked off by the medewerkers.
    assert rows_with(out, "map-te-laat-geregistreerd", "afgehandeld", "mdw-ams-0001"), out
    assert rows_with(out, "inburgeringsaanbod-te-laat-geregistreerd", "afgehandeld"), out

    # The CBS delivery of the quarter the journeys ended in, with its manifest.
    assert rows_with(out, "CBS delivery: cbs-leverancier froze 2026-Q2"), out
    assert rows_with(out, "bestandsnaam", "swi-1.0_0363_2026-Q2_v1.xml"), out
    assert rows_with(out, "sha256"), out

    # The router's delivery logs agree: everything delivered, nothing waiting or dead.
    router = out.split("== the router's delivery logs", 1)[1].split("keten demo:", 1)[0]
    gemeente = rows_with(router, "gemeente (webhook-ontvanger)")[0].split()
    assert int(gemeente[-3]) > 0 and gemeente[-2:] == ["0", "0"], router
    aanbieder = rows_with(router, "aanbieder map-bureau")[0].split()
    assert aanbieder[-3:] == ["1", "0", "0"], router

    # The progress display went to stderr (plain lines: not a terminal here).
    assert "[1/54]" in run.stderr and "cbs-leverancier freezes 2026-Q2" in run.stderr

    # Never a BSN, in the timeline or the progress.
    for bsn in BSNS:
        assert bsn not in out and bsn not in run.stderr

    # Afterwards: the demo chain's processes stopped, its databases dropped (--opruimen).
    assert not list(chain.glob("*.pid")), list(chain.glob("*.pid"))
    assert asyncio.run(databases(postgres_server_url, f"keten_{naam}_%")) == set()


class Trace:
    """One trace's spans, by id, with the questions the test asks of its tree."""

    def __init__(self, spans: list[CollectedSpan], trace_id: str) -> None:
        self.spans = {s.span_id: s for s in spans if s.trace_id == trace_id}

    def under(self, span: CollectedSpan, ancestor: CollectedSpan) -> bool:
        while span.parent_span_id in self.spans:
            span = self.spans[span.parent_span_id]
            if span == ancestor:
                return True
        return False

    def find(
        self, service: str, kind: str, event_type: str = "", under: CollectedSpan | None = None
    ) -> list[CollectedSpan]:
        return [
            s
            for s in self.spans.values()
            if s.service == service
            and s.kind == kind
            and str(s.attributes.get("cloudevents.event_type", "")).startswith(event_type)
            and (under is None or self.under(s, under))
        ]

    def parent(self, span: CollectedSpan) -> CollectedSpan | None:
        return self.spans.get(span.parent_span_id)


def test_a_pip_change_is_one_trace_through_the_chain(demo: DemoRun) -> None:
    """The journey step "Amsterdam sets the PIP" is one trace: the API call at dossier-bron,
    its event through the outbox and Kafka to the router and to DUO's consumer, DUO's fetch of
    the PIP back at dossier-bron, and what DUO set off in turn: its termijn event through its
    outbox, the router, and the webhook delivery to the gemeente's subscriber."""
    assert demo.run.returncode == 0, demo.run.stderr
    roots = [
        s
        for s in demo.spans
        if s.service == "dossier-bron"
        and s.kind == "SERVER"
        and s.attributes.get("http.route") == "/api/v1/dossiers/{dossierId}/pip"
        and s.attributes.get("http.request.method", s.attributes.get("http.method")) == "POST"
    ]
    # One PIP per journey: the asielstatushouder's and the gezinsmigrant's.
    assert len(roots) == 2, sorted({(s.service, s.name) for s in demo.spans})
    pip, termijn = "nl.inburgering.pip.vastgesteld", "nl.inburgering.termijn.vastgesteld"
    for root in roots:
        t = Trace(demo.spans, root.trace_id)
        tree = "\n".join(span_tree(list(t.spans.values()), root))
        assert root.parent_span_id == "", tree  # the scenario runner sends no trace context
        # dossier-bron's outbox published the event in the request's trace.
        assert t.find("dossier-bron", "PRODUCER", under=root), tree
        # The router consumed it (no subscriber of the demo takes pip.vastgesteld: the gemeente
        # made it, and DUO reads the gemeente's topic itself).
        assert t.find("notificatie-router", "CONSUMER", pip, under=root), tree
        # DUO consumed it and fetched the PIP at dossier-bron: that request's server span is
        # the child of DUO's client span.
        duo = t.find("duo-adapter", "CONSUMER", pip, under=root)
        assert duo, tree
        fetches = [
            s
            for s in t.find("dossier-bron", "SERVER", under=duo[0])
            if (client := t.parent(s))
            and (client.service, client.kind) == ("duo-adapter", "CLIENT")
        ]
        assert fetches, tree
        # DUO's own event (the termijn it set from the PIP) continues the same trace, through
        # DUO's outbox and the router to the gemeente's subscriber.
        assert t.find("duo-adapter", "PRODUCER", under=duo[0]), tree
        webhooks = t.find("notificatie-router", "CLIENT", termijn, under=duo[0])
        assert webhooks, tree
        assert all(200 <= w.attributes["http.response.status_code"] < 300 for w in webhooks), tree
        # No span carries a BSN (spans leave the processing log's protection).
        for span in t.spans.values():
            for value in span.attributes.values():
                assert not any(bsn in str(value) for bsn in BSNS), (span.name, value)
