"""``keten demo``: the reference journeys through the whole chain, with a readable timeline.

What it does, in order:

1. the servers: Kafka and PostgreSQL as ``keten up`` starts them (a server named in the
   environment is the operator's and is only used);
2. a chain of its own (``keten_core.chain``, ``--naam demo``, free ports, state under
   ``$KETEN_STATE_DIR/demo/chain``), so a developer's ``keten up`` chain is not touched. It
   starts fresh every run: DUO refuses a second registration of one BSN, so the journeys need
   empty databases; the chain's services are stopped and its databases dropped first;
3. the sample aanbieder (``examples/aanbieder``, as ``map-bureau``) and a sample webhook
   subscriber for the gemeente (``examples/webhook_ontvanger``), each its own process,
   subscribed at the notificatie-router;
4. the two journeys (``demo_reizen/*.yaml``, the reference journeys of ``scenarios/`` against
   the real dossier-bron; see their headers) with ``keten_core.scenario``. After each step the
   demo waits until the chain is quiet, so what the step set off is shown under it;
5. the timeline per journey step, from the real sources: the subscribers' receipts (who was
   notified), the services' processing logs (``keten_verwerkingslog``: who read what, with
   which role, function and purpose), DUO's signalen as its API answered them;
6. the CBS delivery: cbs-leverancier freezes the quarter the journeys ended in and its manifest
   is printed; the router's delivery logs are summed up per subscriber.

Nothing of a person beyond the journeys' fictitious names is printed, and never a BSN: the
processing log stores subjects as pseudonyms and the timeline shows resource ids only.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Final, TextIO

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from keten_contracts.clients import Doel, Functie
from keten_contracts.parties import Rol
from keten_core.auth import ZGWTokenAuth
from keten_core.chain import (
    CHAIN,
    GEMEENTECODE,
    OINS,
    ChainConfig,
    ChainState,
    Infra,
    Started,
    drop_databases,
    ensure_databases,
    free_port,
    infra,
    launch,
    party_json,
    process_env,
    ready,
    service_env,
    stop,
    wait_ready,
)
from keten_core.chain import new_party as chain_party
from keten_core.clock import AMSTERDAM
from keten_core.infra import InfraError, InfraSettings
from keten_core.infra.common import file_lock, tail
from keten_core.scenario import ScenarioFout, StapMislukt, laad_scenario, voer_uit

ROOT: Final = Path(__file__).resolve().parents[2]
REIZEN: Final = Path(__file__).with_name("demo_reizen")
TYPE_PREFIX: Final = "nl.inburgering."
ROTTERDAM: Final = ("0599", "00000001002220647000")
AANBIEDER: Final = "map-bureau"
# After each step: the chain counts as quiet when nothing new was seen for this long (an event
# crosses up to three consumers, each polling Kafka), but a step never waits longer than the cap.
STIL_S: Final = 0.7
STIL_MAX_S: Final = 6.0
PEIL_S: Final = 0.12


@dataclass(frozen=True)
class Reis:
    bestand: str
    naam: str


REIZEN_OP_VOLGORDE: Final = (
    Reis("asielstatushouder.yaml", "asielstatushouder"),
    Reis("gezinsmigrant.yaml", "gezinsmigrant"),
)


class DemoFout(Exception):
    """A step of the demo failed; the message says which and where to look."""


# -- the demo's parties ------------------------------------------------------------------------


def demo_parties() -> list[dict[str, Any]]:
    """Clients the journeys need beyond ``keten up``'s registry: each gemeente's medewerkers
    at COA's and DUO's source APIs (their own clients, not dossier-bron's system credential),
    and Rotterdam's, the gemeente the gezinsmigrant moves to."""
    uitvoering = [Doel.UITVOERING_INBURGERING]
    amsterdam = {
        "oin": OINS["gemeente"],
        "functie": Functie.MEDEWERKER_INBURGERING,
        "namens": GEMEENTECODE,
    }
    code, oin = ROTTERDAM
    rotterdam = {"oin": oin, "functie": Functie.MEDEWERKER_INBURGERING, "namens": code}
    return [
        party_json(chain_party("amsterdam-bij-coa", "coa-adapter", Rol.GEMEENTE, uitvoering,
                               **amsterdam)),
        party_json(chain_party("amsterdam-bij-duo", "duo-adapter", Rol.GEMEENTE, uitvoering,
                               **amsterdam)),
        party_json(chain_party("rotterdam-bij-duo", "duo-adapter", Rol.GEMEENTE, uitvoering,
                               **rotterdam)),
    ]  # fmt: skip


def add_parties(state: ChainState, extra: Sequence[dict[str, Any]]) -> None:
    """Add ``extra`` to the chain's registry (before the services start: they read it once)."""
    existing: list[dict[str, Any]] = json.loads(state.parties_file.read_text())
    known = {p["client_id"] for p in existing}
    new = [p for p in extra if p["client_id"] not in known]
    if new:
        partial = state.parties_file.with_name("parties.json.partial")
        partial.write_text(json.dumps([*existing, *new], indent=2) + "\n")
        partial.chmod(0o600)
        partial.replace(state.parties_file)


def scenario_env(secrets: Mapping[str, str]) -> dict[str, str]:
    """The SCENARIO_* variables the journey files name, from the chain's registry."""
    clients = {
        "COA": "coa-beheer",
        "DUO": "duo-beheer",
        "GEMEENTE": "amsterdam-medewerker",
        "AMSTERDAM_COA": "amsterdam-bij-coa",
        "AMSTERDAM_DUO": "amsterdam-bij-duo",
        "ROTTERDAM_DUO": "rotterdam-bij-duo",
    }
    env: dict[str, str] = {}
    for name, client_id in clients.items():
        env[f"SCENARIO_{name}_CLIENT_ID"] = client_id
        env[f"SCENARIO_{name}_SECRET"] = secrets[client_id]
    return env


# -- progress (stderr) -------------------------------------------------------------------------


class Voortgang:
    """A step counter with a spinner on a terminal, plain lines otherwise (CI logs)."""

    def __init__(self, stream: TextIO = sys.stderr, totaal: int = 0) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.totaal = totaal
        self.gedaan = 0
        self.tekst = ""
        self._spinner = itertools.cycle("|/-\\")
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        if self.tty:
            self._thread = threading.Thread(target=self._draai, daemon=True)
            self._thread.start()

    def _regel(self) -> str:
        teller = f"[{self.gedaan}/{self.totaal}] " if self.totaal else ""
        return f"{teller}{self.tekst}"

    def _draai(self) -> None:
        while not self._stop.wait(0.1):
            with self._lock:
                width = shutil.get_terminal_size((100, 20)).columns - 4
                self.stream.write(f"\r\033[K{next(self._spinner)} {self._regel()[:width]}")
                self.stream.flush()

    def meld(self, tekst: str, *, stap: bool = False) -> None:
        with self._lock:
            if stap:
                self.gedaan += 1
            self.tekst = tekst
            if not self.tty:
                self.stream.write(self._regel() + "\n")
                self.stream.flush()

    def wis(self) -> None:
        """Clear the progress line before stdout prints (both may share the terminal)."""
        if self.tty:
            with self._lock:
                self.stream.write("\r\033[K")
                self.stream.flush()

    def sluit(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1)
        self.wis()


# -- what the chain did: observed from the real sources ------------------------------------------


@dataclass
class Waarneming:
    """One thing the chain did, with the wall-clock moment the demo first saw it."""

    soort: str  # melding | lezing | rapport
    wie: str
    wat: str  # event type or resource
    id: str  # subject or resource id
    gezien: float
    waar: str = ""
    view: str = ""
    doel: str = ""
    gebruiker: str = ""
    uitkomst: str = ""

    def kolommen(self) -> tuple[str, ...]:
        return (self.wie, self.wat, kort_id(self.id), self.waar, self.view, self.doel,
                self.gebruiker, self.uitkomst)  # fmt: skip


@dataclass(frozen=True)
class Bronnen:
    ontvanger_url: str
    aanbieder_url: str
    databases: Mapping[str, str]  # service -> database URL (postgresql+asyncpg)


class Waarnemer:
    """Polls the subscribers' receipts and the services' processing logs in a thread of its
    own (its own event loop), so the journey's thread can block on ``rust`` between steps."""

    def __init__(self, bronnen: Bronnen) -> None:
        self.bronnen = bronnen
        self.waarnemingen: list[Waarneming] = []
        self.laatste_nieuw = time.monotonic()
        self.peilingen = 0
        self.fout: str | None = None
        self.storing: str | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._gezien_ontvanger: set[str] = set()
        self._gezien_aanbieder: set[str] = set()
        self._rapporten: set[str] = set()
        self._laatste_id: dict[str, int] = {}
        self._thread = threading.Thread(target=self._run, daemon=True, name="waarnemer")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        asyncio.run(self._loop())

    async def _loop(self) -> None:
        engines = {
            dienst: create_async_engine(url, poolclass=NullPool)
            for dienst, url in self.bronnen.databases.items()
        }
        try:
            async with httpx.AsyncClient(timeout=5) as http:
                # Rows logged before the journeys (start-up, an earlier run) are not theirs.
                for dienst, engine in engines.items():
                    self._laatste_id[dienst] = await self._max_id(engine)
                while not self._stop.is_set():
                    nieuw: list[Waarneming] = []
                    try:
                        nieuw += await self._ontvanger(http)
                        nieuw += await self._aanbieder(http)
                        for dienst, engine in engines.items():
                            nieuw += await self._verwerkingen(dienst, engine)
                    except (httpx.HTTPError, DBAPIError, OSError) as error:
                        # Passing (a busy subscriber); the next poll tries again.
                        self.storing = f"{type(error).__name__}: {error}"
                    with self._lock:
                        if nieuw:
                            self.waarnemingen.extend(nieuw)
                            self.laatste_nieuw = time.monotonic()
                        self.peilingen += 1
                    await asyncio.sleep(PEIL_S)
        finally:
            for engine in engines.values():
                await engine.dispose()

    @staticmethod
    async def _max_id(engine: AsyncEngine) -> int:
        try:
            async with engine.connect() as connection:
                found = await connection.scalar(text("SELECT max(id) FROM keten_verwerkingslog"))
        except DBAPIError:
            return 0  # no processing log in this database (yet)
        return int(found or 0)

    async def _ontvanger(self, http: httpx.AsyncClient) -> list[Waarneming]:
        status = (await http.get(self.bronnen.ontvanger_url + "/status")).json()
        nieuw = []
        for m in status["ontvangen"]:
            if m["id"] in self._gezien_ontvanger:
                continue
            self._gezien_ontvanger.add(m["id"])
            nieuw.append(
                Waarneming(
                    "melding",
                    "gemeente (webhook-ontvanger)",
                    kort_type(str(m["type"])),
                    str(m.get("subject") or "-"),
                    time.time(),
                    waar="router",
                )
            )
        return nieuw

    async def _aanbieder(self, http: httpx.AsyncClient) -> list[Waarneming]:
        status = (await http.get(self.bronnen.aanbieder_url + "/status")).json()
        nieuw = []
        for entry in status["received"]:
            if entry["webhookId"] not in self._gezien_aanbieder:
                self._gezien_aanbieder.add(entry["webhookId"])
                wat = kort_type(str(entry.get("type")))
                nieuw.append(
                    Waarneming(
                        "melding", f"aanbieder {AANBIEDER}", wat, "-", time.time(), waar="router"
                    )
                )
            rapport = entry.get("rapportId")
            if rapport and rapport not in self._rapporten:
                self._rapporten.add(rapport)
                nieuw.append(
                    Waarneming(
                        "rapport",
                        f"aanbieder {AANBIEDER}",
                        "traject-gestart-rapport",
                        rapport,
                        time.time(),
                        waar="dossier-bron",
                        uitkomst=f"on opdracht {kort_id(str(entry.get('opdrachtId')))}",
                    )
                )
            if entry.get("fout"):
                self.fout = f"the sample aanbieder failed: {entry['fout']}"
        return nieuw

    async def _verwerkingen(self, dienst: str, engine: AsyncEngine) -> list[Waarneming]:
        try:
            async with engine.connect() as connection:
                rows = (
                    await connection.execute(
                        text(
                            "SELECT id, client_id, rol, functie, namens, doel, gebruiker, "
                            "resource, resource_id, uitkomst, velden FROM keten_verwerkingslog "
                            "WHERE id > :na ORDER BY id"
                        ),
                        {"na": self._laatste_id.get(dienst, 0)},
                    )
                ).all()
        except DBAPIError:
            return []
        nieuw = []
        for row in rows:
            self._laatste_id[dienst] = max(self._laatste_id.get(dienst, 0), int(row.id))
            nieuw.append(lezing(dienst, row))
        return nieuw

    def rust(self) -> list[Waarneming]:
        """Block until the chain has been quiet for ``STIL_S`` (at most ``STIL_MAX_S``), then
        hand over what was seen since the previous call."""
        begin = time.monotonic()
        with self._lock:
            peiling = self.peilingen
        while time.monotonic() - begin < STIL_MAX_S:
            with self._lock:
                stil = time.monotonic() - self.laatste_nieuw
                # Two polls after the step ended: what it set off at once has been seen.
                if self.peilingen >= peiling + 2 and stil >= STIL_S:
                    break
            time.sleep(PEIL_S / 2)
        return self.neem()

    def neem(self) -> list[Waarneming]:
        with self._lock:
            genomen, self.waarnemingen = self.waarnemingen, []
        return genomen


def kort_type(volledig: str) -> str:
    """``nl.inburgering.termijn.vastgesteld.v1`` -> ``termijn.vastgesteld``."""
    kort = volledig.removeprefix(TYPE_PREFIX)
    stuk, _, versie = kort.rpartition(".")
    return stuk if versie[1:].isdigit() else kort


def kort_id(waarde: str) -> str:
    """``kop-4ec3cc33abac42c4b11a1be7937e0666`` -> ``kop-4ec3cc33…``: enough to follow one
    resource through the timeline."""
    return waarde if len(waarde) <= 20 else waarde[:12] + "…"


def lezing(dienst: str, row: Any) -> Waarneming:
    """A processing-log record: the resource and id read (never the subject: it is a pseudonym
    there, and the timeline has no use for it), the view (the caller's role and function
    decide it), the purpose, the user and the outcome."""
    view = row.rol if row.functie in (None, "", "organisatie") else f"{row.rol}/{row.functie}"
    if row.namens:
        view += f" {row.namens}"
    velden = f" ({len(row.velden)} fields)" if row.velden else ""
    return Waarneming(
        "lezing",
        str(row.client_id),
        str(row.resource),
        str(row.resource_id or "-"),
        time.time(),
        waar=dienst,
        view=view,
        doel=str(row.doel or "-"),
        gebruiker=str(row.gebruiker or "-"),
        uitkomst=f"{row.uitkomst}{velden}",
    )


# -- the timeline ----------------------------------------------------------------------------


@dataclass
class Stap:
    nummer: int
    naam: str
    wat: str
    klok: str
    waarnemingen: list[Waarneming] = field(default_factory=list)


def tabel(rows: Sequence[Sequence[str]], inspringen: str = "    ") -> list[str]:
    """Aligned columns (the last one not padded)."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        (inspringen + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True))).rstrip()
        for r in rows
    ]


KOPJES: Final = ("", "WHO", "WHAT", "ID", "AT", "VIEW", "DOEL", "USER", "OUTCOME")
SOORTEN: Final = {"melding": "notified", "rapport": "reported", "lezing": "read by"}
CALL_BREEDTE: Final = 120


def waarnemingen_tabel(waarnemingen: Sequence[Waarneming]) -> list[str]:
    """One row per distinct observation; a repeat (a source fetched twice, once per event
    that pointed at it) is counted, not listed again."""
    tellingen: dict[tuple[str, ...], int] = {}
    volgorde = {"melding": 0, "rapport": 1, "lezing": 2}
    for w in sorted(waarnemingen, key=lambda w: (volgorde[w.soort], w.gezien)):
        sleutel = (SOORTEN[w.soort], *w.kolommen())
        tellingen[sleutel] = tellingen.get(sleutel, 0) + 1
    if not tellingen:
        return []
    rows = [list(KOPJES)]
    for sleutel, aantal in tellingen.items():
        row = list(sleutel)
        if aantal > 1:
            row[-1] = f"{row[-1]} ×{aantal}"
        rows.append(row)
    return tabel(rows, "      ")


def toon_reis(naam: str, stappen: Sequence[Stap]) -> list[str]:
    regels = [f"== {naam} journey ({len(stappen)} steps) " + "=" * max(0, 60 - len(naam)), ""]
    for stap in stappen:
        regels.append(f"  {stap.nummer:>2}. {stap.naam}   [{stap.klok}]")
        call = stap.wat if len(stap.wat) <= CALL_BREEDTE else stap.wat[: CALL_BREEDTE - 1] + "…"
        regels.append(f"      call: {call}")
        regels += waarnemingen_tabel(stap.waarnemingen)
        regels.append("")
    return regels


def stap_tekst(regel: str) -> str:
    """The runner's step line without its number, line and name: what was called, and how it
    answered."""
    _, sep, rest = regel.partition("]  ")
    wat = rest if sep else regel
    return wat.removesuffix("  ok").strip()


# -- processes ---------------------------------------------------------------------------------


@dataclass
class Proces:
    naam: str
    process: subprocess.Popen[bytes]
    log: Path


def start_voorbeeld(naam: str, argv: list[str], log: Path) -> Proces:
    if not (ROOT / "examples").is_dir():
        raise DemoFout(f"no examples/ beside {ROOT}: run `keten demo` from a clone")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KETEN_")}
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 - fixed argument list, no shell
            [sys.executable, "-m", *argv],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Proces(naam, process, log)


def wacht_op(proces: Proces, probe: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proces.process.poll() is not None:
            raise DemoFout(
                f"{proces.naam} exited with status {proces.process.returncode}; "
                f"{proces.log}:\n{tail(proces.log)}"
            )
        try:
            if probe():
                return
        except (httpx.HTTPError, ValueError, KeyError):
            pass
        if time.monotonic() > deadline:
            raise DemoFout(f"{proces.naam} not ready after {timeout:.0f} s; {proces.log}")
        time.sleep(0.2)


def stop_proces(proces: Proces) -> None:
    if proces.process.poll() is None:
        proces.process.terminate()
        try:
            proces.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proces.process.kill()
            proces.process.wait(timeout=5)


# -- the chain -----------------------------------------------------------------------------------


def verse_keten(state: ChainState, servers: Infra, naam: str, voortgang: Voortgang) -> ChainConfig:
    """Stop the demo chain's services, drop its databases and start it again, empty."""
    with file_lock(state.lock_file):
        if state.exists():
            oud = state.config()
            for service in reversed(CHAIN):
                if stop(state, service.name, oud.ports[service.name]):
                    voortgang.meld(f"stopped the previous demo's {service.name}")
            asyncio.run(drop_databases(servers.database_url, [oud.database(s.name) for s in CHAIN]))
            for path in state.dir.glob("*"):
                if path.is_file() and path != state.lock_file:
                    path.unlink()
        config = state.ensure(naam, 0)
        add_parties(state, demo_parties())
        chain_secrets = state.secrets()
        parties = state.parties()
        missing = [s.name for s in CHAIN if not s.installed()]
        if missing:
            raise DemoFout(f"not installed: {', '.join(missing)}; run ./dev/setup")
        asyncio.run(
            ensure_databases(servers.database_url, [config.database(s.name) for s in CHAIN])
        )
        started: list[Started] = []
        for service in CHAIN:
            env = service_env(
                service.name,
                config,
                chain_secrets,
                parties,
                parties_file=state.parties_file,
                kafka_bootstrap=servers.kafka_bootstrap,
                database_url=servers.database_url,
                kafka_sasl=servers.kafka_sasl,
            )
            port = config.ports[service.name]
            started.append(launch(state, service.name, port, process_env(env, os.environ)))
        for item in started:
            voortgang.meld(f"waiting for {item.service}")
            try:
                wait_ready(state, item, config.url(item.service), 120)
            except InfraError as error:
                raise DemoFout(str(error)) from error
    return config


def stop_keten(state: ChainState, config: ChainConfig) -> None:
    with file_lock(state.lock_file):
        for service in reversed(CHAIN):
            stop(state, service.name, config.ports[service.name])


# -- the run -------------------------------------------------------------------------------------


@dataclass
class Uitslag:
    reizen: list[tuple[str, list[Stap]]] = field(default_factory=list)
    signalen: dict[str, dict[str, Any]] = field(default_factory=dict)
    einddatum: date | None = None


def voer_reizen_uit(
    urls: Mapping[str, str],
    omgeving: Mapping[str, str],
    waarnemer: Waarnemer,
    voortgang: Voortgang,
    uitslag: Uitslag,
    echo: Callable[[str], None],
) -> None:
    for reis in REIZEN_OP_VOLGORDE:
        naam, stappen = voer_reis_uit(reis, urls, omgeving, waarnemer, voortgang, uitslag)
        uitslag.reizen.append((naam, stappen))
        voortgang.wis()
        for regel in toon_reis(naam, stappen):
            echo(regel)
        klokken = [s.klok for s in stappen if s.klok not in ("-", "wall clock")]
        if klokken:
            einde = date.fromisoformat(max(klokken)[:10])
            uitslag.einddatum = max(uitslag.einddatum or einde, einde)


def voer_reis_uit(
    reis: Reis,
    urls: Mapping[str, str],
    omgeving: Mapping[str, str],
    waarnemer: Waarnemer,
    voortgang: Voortgang,
    uitslag: Uitslag,
    na_stap: Callable[[Reis, Stap], None] | None = None,
) -> tuple[str, list[Stap]]:
    """One journey with the scenario runner; after each step, what the chain did meanwhile.
    ``na_stap`` (if given) runs right after a step succeeded, before the wait for quiet: what
    the step set off is still in flight then (the fault-injection test kills servers there)."""
    scenario = laad_scenario(REIZEN / reis.bestand)
    stappen: list[Stap] = []
    klok = "-"
    nummer = iter(range(1, len(scenario.stappen) + 1))
    waarnemer.rust()  # what came before the journey is not its

    def schrijf(regel: str) -> None:
        nonlocal klok
        n = next(nummer)
        stap = scenario.stappen[n - 1]
        if regel.endswith("FAILED"):
            return
        tekst = stap_tekst(regel)
        if tekst.startswith("klok "):
            klok = sandbox_tijd(tekst, klok)
        stappen.append(Stap(n, stap.naam or tekst, tekst, klok))
        voortgang.meld(f"{scenario.naam}: {stap.naam or tekst}", stap=True)
        if na_stap is not None:
            na_stap(reis, stappen[-1])
        # Blocks the runner until the chain is quiet: the next step starts after this one's
        # effects, so each effect shows under the step that set it off.
        stappen[-1].waarnemingen = waarnemer.rust()

    def verzoek(record: dict[str, Any]) -> None:
        # DUO's signalen as its API answered the medewerker (search and tick-off alike).
        if record.get("dienst") != "duo-adapter" or record.get("status") != 200:
            return
        antwoord = record.get("antwoord")
        for rij in antwoord if isinstance(antwoord, list) else [antwoord]:
            if isinstance(rij, dict) and "signaalId" in rij:
                uitslag.signalen[str(rij["signaalId"])] = {**rij, "reis": scenario.naam}

    try:
        asyncio.run(
            voer_uit(
                scenario,
                {d: urls[d] for d in scenario.diensten},
                omgeving=omgeving,
                schrijf=schrijf,
                verzoeken=verzoek,
            )
        )
    except StapMislukt as error:
        raise DemoFout(f"{scenario.naam} journey ({reis.bestand}): {error}") from error
    except ScenarioFout as error:
        raise DemoFout(f"{reis.bestand} is not valid:\n{error}") from error
    if waarnemer.fout is not None:
        raise DemoFout(waarnemer.fout)
    return scenario.naam, stappen


def sandbox_tijd(klok_tekst: str, vorige: str) -> str:
    """The sandbox time a klok step set, from the runner's line (``... : dienst 2026-01-15T09:00
    :00+01:00, ...``), as ``2026-01-15 09:00``; ``wall clock`` after a herstel."""
    if "herstel" in klok_tekst:
        return "wall clock"
    _, _, standen = klok_tekst.partition(": ")
    for stand in standen.split(", "):
        _, _, moment = stand.rpartition(" ")
        try:
            return datetime.fromisoformat(moment).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            continue
    return vorige


def kwartaal(dag: date) -> str:
    return f"{dag.year}-Q{(dag.month - 1) // 3 + 1}"


def afsluitmoment(kw: str) -> datetime:
    """00:00 Europe/Amsterdam on the next quarter's first day (cbs-leverancier's cut-off)."""
    jaar, q = int(kw[:4]), int(kw[-1])
    if q == 4:
        return datetime(jaar + 1, 1, 1, tzinfo=AMSTERDAM)
    return datetime(jaar, 3 * q + 1, 1, tzinfo=AMSTERDAM)


def cbs_levering(
    config: ChainConfig, secrets: Mapping[str, str], kw: str, voortgang: Voortgang
) -> dict[str, Any]:
    """Freeze ``kw`` at cbs-leverancier as the gemeente and return its manifest. The freeze is
    refused before the cut-off by cbs-leverancier's own clock: if that clock is before it (a
    demo run inside the quarter), it is moved just past the cut-off for the freeze only."""
    gemeente = ZGWTokenAuth(
        "amsterdam-bij-cbs-leverancier",
        secrets["amsterdam-bij-cbs-leverancier"],
        user_id="mdw-ams-0001",
        user_representation="M. de Wit (Amsterdam)",
    )
    with httpx.Client(base_url=config.url("cbs-leverancier"), timeout=30) as http:
        nu = datetime.fromisoformat(http.get("/sandbox/clock").json()["now"])
        verzet = nu < afsluitmoment(kw)
        if verzet:
            moment = (afsluitmoment(kw) + timedelta(hours=1)).isoformat()
            http.put("/sandbox/clock", json={"now": moment, "frozen": True}).raise_for_status()
        try:
            voortgang.meld(f"cbs-leverancier freezes {kw}", stap=True)
            antwoord = http.post("/api/v1/leveringen", json={"kwartaal": kw}, auth=gemeente)
            if antwoord.status_code != 201:
                raise DemoFout(
                    f"cbs-leverancier did not freeze {kw}: {antwoord.status_code} {antwoord.text}"
                )
            levering = antwoord.json()
            manifest = http.get(
                f"/api/v1/leveringen/{levering['leveringId']}/manifest", auth=gemeente
            )
            if manifest.status_code != 200:
                raise DemoFout(f"manifest: {manifest.status_code} {manifest.text}")
            result: dict[str, Any] = manifest.json()
            return result
        finally:
            if verzet:
                http.delete("/sandbox/clock")


def afleveringen(config: ChainConfig, secrets: Mapping[str, str]) -> list[list[str]]:
    """The router's delivery log per subscription of the two subscribers (each reads its own)."""
    rows = [["SUBSCRIBER", "SUBSCRIPTION", "AFGELEVERD", "WACHT", "DOOD"]]
    with httpx.Client(base_url=config.api("notificatie-router"), timeout=30) as http:
        for wie, client_id in (
            ("gemeente (webhook-ontvanger)", "amsterdam-notificaties"),
            (f"aanbieder {AANBIEDER}", f"{AANBIEDER}-bij-router"),
        ):
            auth = ZGWTokenAuth(client_id, secrets[client_id])
            for abonnement in http.get("/subscriptions", auth=auth).json():
                telling = {"afgeleverd": 0, "wacht": 0, "dood": 0}
                na: int | None = None
                while True:
                    params: dict[str, Any] = {"aantal": 500} | ({"na": na} if na else {})
                    pagina = http.get(
                        f"/subscriptions/{abonnement['id']}/deliveries", params=params, auth=auth
                    ).json()["afleveringen"]
                    for a in pagina:
                        telling[a["status"]] += 1
                    if len(pagina) < 500:
                        break
                    na = pagina[-1]["volgnummer"]
                rows.append([wie, str(abonnement["id"])[:8]] + [str(telling[k]) for k in telling])
    return rows


def toon_signalen(signalen: Mapping[str, Mapping[str, Any]]) -> list[str]:
    rows = [["JOURNEY", "SIGNAAL", "CODE", "KLASSE", "STATUS", "BETREFT", "AFGEHANDELD DOOR"]]
    for sid, s in signalen.items():
        rows.append(
            [
                str(s.get("reis", "")),
                sid,
                str(s.get("code", "")),
                str(s.get("klasse", "")),
                str(s.get("status", "")),
                str(s.get("betreftId") or "-"),
                str(s.get("afgehandeldDoor") or "-"),
            ]
        )
    return tabel(rows, "  ")


MANIFEST_VELDEN: Final = (
    "kwartaal",
    "gemeentecode",
    "leveringVersie",
    "layoutVersie",
    "bestandsnaam",
    "sha256",
    "aangemaaktOp",
    "aantallen",
)


def toon_manifest(manifest: Mapping[str, Any]) -> list[str]:
    """The manifest field by field (it holds counts and a checksum, no personal data); the
    counts one per line."""
    namen = [k for k in MANIFEST_VELDEN if k in manifest]
    namen += [k for k in manifest if k not in MANIFEST_VELDEN]
    regels = []
    for naam in namen:
        waarde = manifest[naam]
        if isinstance(waarde, Mapping):
            regels.append(f"  {naam}")
            regels += [f"    {k:<36} {v}" for k, v in waarde.items()]
        else:
            regels.append(f"  {naam:<38} {waarde}")
    return regels


@contextmanager
def voorbeelden(
    state: ChainState, state_dir: Path, databases: Mapping[str, str], voortgang: Voortgang
) -> Iterator[Bronnen]:
    """The sample webhook subscriber and the sample aanbieder, each its own process with the
    credentials the chain generated for it, running until the block ends."""
    with ExitStack() as stack:
        port_o, port_a = free_port(), free_port()
        voortgang.meld("starting the sample webhook subscriber and the sample aanbieder")
        ontvanger = start_voorbeeld(
            "webhook-ontvanger",
            ["examples.webhook_ontvanger", "--keten-up", "--state-dir", str(state_dir),
             "--port", str(port_o)],
            state.dir / "webhook-ontvanger.log",
        )  # fmt: skip
        stack.callback(stop_proces, ontvanger)
        aanbieder = start_voorbeeld(
            "aanbieder",
            ["examples.aanbieder", "--keten-up", AANBIEDER, "--state-dir", str(state_dir),
             "--port", str(port_a)],
            state.dir / "aanbieder.log",
        )  # fmt: skip
        stack.callback(stop_proces, aanbieder)
        o_url, a_url = f"http://127.0.0.1:{port_o}", f"http://127.0.0.1:{port_a}"
        wacht_op(ontvanger, lambda: httpx.get(o_url + "/health/ready").status_code == 200)
        wacht_op(aanbieder, lambda: bool(httpx.get(a_url + "/status").json()["subscription"]))
        yield Bronnen(o_url, a_url, databases)


def run_keten_demo(args: argparse.Namespace, echo: Callable[[str], None] = print) -> int:
    settings = InfraSettings()
    state_dir = settings.state_dir / "demo"
    state = ChainState(state_dir)
    totaal = sum(len(laad_scenario(REIZEN / r.bestand).stappen) for r in REIZEN_OP_VOLGORDE) + 1
    voortgang = Voortgang(sys.stderr, totaal)
    begin = time.monotonic()
    config: ChainConfig | None = None
    try:
        servers = infra(settings)
        for server in servers.managed:
            voortgang.meld(f"starting {server.name}")
            server.start()
        state.dir.mkdir(parents=True, exist_ok=True)
        voortgang.meld(f"starting a fresh chain '{args.naam}' (five services)")
        config = verse_keten(state, servers, args.naam, voortgang)
        secrets = {p.client_id: p.secret.get_secret_value() for p in state.parties()}
        db = make_url(servers.database_url).set(drivername="postgresql+asyncpg")
        databases = {
            s.name: db.set(database=config.database(s.name)).render_as_string(hide_password=False)
            for s in CHAIN
        }
        uitslag = Uitslag()
        with voorbeelden(state, state_dir, databases, voortgang) as bronnen:
            urls = {s.name: config.url(s.name) for s in CHAIN}
            urls["gemeente-inbox"] = bronnen.ontvanger_url
            waarnemer = Waarnemer(bronnen)
            waarnemer.start()
            try:
                echo(
                    f"keten demo: chain '{args.naam}' (five services), the sample aanbieder "
                    f"{AANBIEDER} and the gemeente's webhook subscriber; state in {state.dir}"
                )
                echo("")
                voer_reizen_uit(urls, scenario_env(secrets), waarnemer, voortgang, uitslag, echo)
                kw = kwartaal(uitslag.einddatum or date.today())
                manifest = cbs_levering(config, secrets, kw, voortgang)
                na_levering = waarnemer.rust()
            finally:
                waarnemer.stop()
            voortgang.wis()
            echo("== DUO signalen (as duo-adapter's API answered the medewerkers) " + "=" * 16)
            echo("")
            for regel in toon_signalen(uitslag.signalen):
                echo(regel)
            echo("")
            echo(f"== CBS delivery: cbs-leverancier froze {kw} " + "=" * 34)
            echo("")
            for regel in toon_manifest(manifest):
                echo(regel)
            echo("")
            for regel in waarnemingen_tabel(na_levering):
                echo(regel)
            echo("")
            echo("== the router's delivery logs " + "=" * 48)
            echo("")
            for regel in tabel(afleveringen(config, secrets), "  "):
                echo(regel)
        echo("")
        echo(
            f"keten demo: both journeys ran end to end in {time.monotonic() - begin:.0f} s; "
            f"logs in {state.dir}"
        )
        return 0
    except (DemoFout, httpx.HTTPError, DBAPIError, OSError, KeyError, ValueError) as error:
        voortgang.sluit()
        uitleg = str(error) if isinstance(error, DemoFout) else f"{type(error).__name__}: {error}"
        print(f"keten demo: FAILED: {uitleg}", file=sys.stderr)
        if config is not None:
            # A step that failed because a service died says so, with the end of its log.
            for service in CHAIN:
                if not ready(config.url(service.name)):
                    log = state.log_file(service.name)
                    print(f"keten demo: {service.name} is not running; {log}:", file=sys.stderr)
                    print(tail(log), file=sys.stderr)
        print(f"keten demo: logs in {state.dir}", file=sys.stderr)
        return 1
    finally:
        voortgang.sluit()
        if config is not None and not args.laat_draaien:
            stop_keten(state, config)
            if args.opruimen:
                asyncio.run(
                    drop_databases(
                        infra(settings).database_url, [config.database(s.name) for s in CHAIN]
                    )
                )
        elif config is not None:
            print(f"keten demo: the chain keeps running; `KETEN_STATE_DIR={state_dir} keten "
                  "status` shows it", file=sys.stderr)  # fmt: skip
