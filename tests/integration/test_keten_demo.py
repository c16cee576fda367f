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
from pathlib import Path

import pytest

from tests.integration.test_keten_up import databases

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(600)]

KETEN = str(Path(sys.executable).with_name("keten"))
ROOT = Path(__file__).resolve().parents[2]
# The journeys' fictitious persons' BSNs (demo_reizen/*.yaml): never in the output.
BSNS = ("111222333", "123456782")


def rows_with(output: str, *parts: str) -> list[str]:
    return [line for line in output.splitlines() if all(p in line for p in parts)]


def test_keten_demo_runs_both_journeys_and_prints_the_timeline(
    tmp_path: Path, kafka_bootstrap_servers: str, postgres_server_url: str
) -> None:
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
    run = subprocess.run(
        [KETEN, "demo", "--naam", naam, "--opruimen"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )
    chain = tmp_path / "state" / "demo" / "chain"
    if run.returncode != 0:
        for log in sorted(chain.glob("*.log")):
            print(f"===== {log.name} =====\n{log.read_text(errors='replace')[-8000:]}")
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
