"""``keten up | status | logs | down``: the whole chain on this machine, as local processes.

``keten up`` starts the infrastructure (``keten infra up``, for the servers this command
manages), generates a local chain's configuration once, and starts each service with ``keten
run SERVICE`` as a detached process; it waits until every service answers ``/health/ready``
and prints where each one runs. A second ``keten up`` finds them running and changes nothing.

Everything lives under ``<KETEN_STATE_DIR>/chain/`` (default ``~/.local/state/keten/chain``):

==================  ======================================================================
``chain.json``      the chain's shape: its name, topic prefix and one port per service
``parties.json``    the party registry of every service (``KETEN_PARTIES_FILE``), with
                    secrets; it is also where a developer finds client credentials
``secrets.json``    the router's Fernet keys, each service's processing-log key
``<service>.pid``   the pid of the running ``keten run <service>``
``<service>.log``   its output (``keten logs SERVICE``)
==================  ======================================================================

Both secret files are written once with mode 0600: a router started again with a new Fernet
key could not read the subscription secrets it stored, and new processing-log keys would
break the pseudonyms of earlier records.

Ports: fixed and documented (``DEFAULT_PORT_BASE`` + 1 .. + 5, e.g. coa-adapter on 18101),
or ``--port-base 0`` for free ports chosen at the first ``keten up``; either way they are kept
in ``chain.json`` so the URLs do not change between runs.

Servers: as ``keten demo`` does, a server named in the environment (``KETEN_KAFKA_BOOTSTRAP_
SERVERS``, ``KETEN_DATABASE_URL``) is the operator's: it is used, never started or stopped.
``--naam`` gives a chain its own databases (``keten_<naam>_<service>``) and topic prefix
(``<naam>.``), so a second chain (a test's, a sandbox) can share those servers with the first.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from keten_contracts.clients import Doel, Functie
from keten_contracts.parties import Rol
from keten_core.auth import Party, check_unique_credentials, load_parties_file
from keten_core.dlq import RETRY_TOPIC_PREFIX
from keten_core.infra import (
    InfraError,
    InfraSettings,
    LocalKafka,
    LocalPostgres,
    LocalServer,
    local_servers,
)
from keten_core.infra.common import (
    LOOPBACK,
    file_lock,
    port_open,
    process_alive,
    process_cmdline,
    signal_process,
    tail,
    wait_until_gone,
)

if TYPE_CHECKING:
    from keten_core.cli import Subparsers

__all__ = [
    "DEFAULT_PORT_BASE",
    "ChainConfig",
    "ChainSecrets",
    "ChainService",
    "ChainState",
    "build_parties",
    "register",
    "service_env",
]

DEFAULT_PORT_BASE: Final = 18100
DEFAULT_READY_TIMEOUT_S: Final = 120.0
STOP_TIMEOUT_S: Final = 30.0
NAAM_PATTERN: Final = re.compile(r"^[a-z][a-z0-9]{0,19}$")
# Variables a developer may still set for every service; every other KETEN_* of the calling
# shell is dropped, so that a stray KETEN_PARTIES or KETEN_DATABASE_URL cannot mix into the
# chain's own configuration.
PASSED_THROUGH: Final = ("KETEN_LOG_LEVEL", "KETEN_OTEL_EXPORTER", "KETEN_JWT_EXPIRY")

# The organisations of the local chain. Fictitious OINs (20 digits) and one gemeente,
# Amsterdam (0363): dossier-bron fetches at COA and DUO with one credential per source, so
# one dossier-bron here serves one gemeente.
GEMEENTECODE: Final = "0363"
GEMEENTE_NAAM: Final = "amsterdam"
OINS: Final[Mapping[str, str]] = {
    "gemeente": "00000001002564440000",
    "coa": "00000001003214345000",
    "duo": "00000001800866472000",
    "cbs": "00000001003000000000",
    "router": "00000001003000000001",
    "taalaanbieder": "00000003000000000101",
    "map-aanbieder": "00000003000000000102",
}
# The example aanbieders (examples/aanbieder): one credential at the router (subscribing) and
# one at dossier-bron (reading the opdracht, submitting reports) each.
VOORBEELD_AANBIEDERS: Final[Mapping[str, Rol]] = {
    "taalschool": Rol.TAALAANBIEDER,
    "map-bureau": Rol.MAP_AANBIEDER,
}


@dataclass(frozen=True, slots=True)
class ChainService:
    """One service of the chain: its name, its organisation and its fixed port offset."""

    name: str
    oin: str
    offset: int

    @property
    def module(self) -> str:
        return self.name.replace("-", "_")

    def installed(self) -> bool:
        """Whether its package is importable; one that is not (yet) is skipped, with a
        message, so the rest of the chain still runs."""
        return importlib.util.find_spec(self.module) is not None


CHAIN: Final[tuple[ChainService, ...]] = (
    ChainService("coa-adapter", OINS["coa"], 1),
    ChainService("duo-adapter", OINS["duo"], 2),
    ChainService("dossier-bron", OINS["gemeente"], 3),
    ChainService("notificatie-router", OINS["router"], 4),
    # The gemeente's own system for the SWI delivery: its events carry the gemeente's OIN.
    ChainService("cbs-leverancier", OINS["gemeente"], 5),
)
BY_NAME: Final[Mapping[str, ChainService]] = {s.name: s for s in CHAIN}


# -- configuration (pure) --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class ChainConfig:
    """``chain.json``: what stays the same between runs of one local chain."""

    naam: str = ""
    ports: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def new(cls, naam: str = "", port_base: int = DEFAULT_PORT_BASE) -> ChainConfig:
        if naam and not NAAM_PATTERN.match(naam):
            raise InfraError(f"--naam {naam!r}: 1-20 of a-z 0-9, starting with a letter")
        if port_base == 0:
            ports = {s.name: free_port() for s in CHAIN}
        elif 1024 <= port_base <= 65535 - len(CHAIN):
            ports = {s.name: port_base + s.offset for s in CHAIN}
        else:
            raise InfraError(f"--port-base {port_base}: 0 (free ports) or 1024..65530")
        return cls(naam, ports)

    @property
    def topic_prefix(self) -> str:
        return f"{self.naam}." if self.naam else ""

    def database(self, service: str) -> str:
        """``keten_dossier_bron`` (as ``keten infra`` creates it) or ``keten_<naam>_...``."""
        middle = f"{self.naam}_" if self.naam else ""
        return f"keten_{middle}{service.replace('-', '_')}"

    def url(self, service: str) -> str:
        return f"http://{LOOPBACK}:{self.ports[service]}"

    def api(self, service: str) -> str:
        return self.url(service) + "/api/v1"

    def to_json(self) -> dict[str, Any]:
        return {"naam": self.naam, "ports": dict(self.ports)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChainConfig:
        ports = {str(k): int(v) for k, v in data["ports"].items()}
        # A service added to the chain after this file was written gets a free port.
        for service in CHAIN:
            ports.setdefault(service.name, free_port())
        return cls(str(data.get("naam", "")), ports)


def _secret() -> str:
    # 48 hex characters: above the 32 bytes HS256 keys need (auth.MIN_SECRET_BYTES).
    return secrets.token_hex(24)


def new_party(
    client_id: str,
    service: str,
    rol: Rol,
    doelen: Iterable[Doel],
    *,
    oin: str,
    functie: Functie = Functie.ORGANISATIE,
    namens: str | None = None,
) -> Party:
    return Party(
        client_id=client_id,
        service=service,
        oin=oin,
        rol=rol,
        functie=functie,
        namens=namens,
        doelen=frozenset(doelen),
        secret=f"{client_id}-{_secret()}",
    )


def build_parties() -> list[Party]:
    """A fresh registry for the local chain: one credential per (application, service), each
    with its own secret. Who calls whom, and why:

    - coa-adapter, duo-adapter: the simulators' own control clients (``coa-beheer``,
      ``duo-beheer``) and dossier-bron's credential for the gemeente (it fetches what COA's
      and DUO's events point at);
    - dossier-bron: the gemeente's staff, DUO (fetches the PIP), CBS (the SWI view) and the
      example aanbieders (their opdrachten and reports);
    - notificatie-router: the gemeente and the example aanbieders, to subscribe;
    - cbs-leverancier: CBS (reads the quarterly file) and the gemeente (composes it).
    """
    gemeente = {
        "oin": OINS["gemeente"],
        "functie": Functie.MEDEWERKER_INBURGERING,
        "namens": GEMEENTECODE,
    }
    uitvoering = [Doel.UITVOERING_INBURGERING]
    g = GEMEENTE_NAAM
    parties = [
        new_party("coa-beheer", "coa-adapter", Rol.COA, [Doel.KOPPELING_EN_KLANTPROFIEL],
               oin=OINS["coa"]),
        new_party(f"dossier-bron-{g}-bij-coa", "coa-adapter", Rol.GEMEENTE, uitvoering, **gemeente),
        new_party("duo-beheer", "duo-adapter", Rol.DUO, [Doel.PLICHT_EN_TERMIJNEN],
               oin=OINS["duo"]),
        new_party(f"dossier-bron-{g}-bij-duo", "duo-adapter", Rol.GEMEENTE, uitvoering, **gemeente),
        new_party(f"{g}-medewerker", "dossier-bron", Rol.GEMEENTE, uitvoering, **gemeente),
        new_party("duo-bij-dossier-bron", "dossier-bron", Rol.DUO,
               [Doel.PLICHT_EN_TERMIJNEN, Doel.HANDHAVINGSVERZOEK], oin=OINS["duo"]),
        new_party("cbs-bij-dossier-bron", "dossier-bron", Rol.CBS, [Doel.STATISTIEK_SWI],
               oin=OINS["cbs"]),
        new_party(f"{g}-notificaties", "notificatie-router", Rol.GEMEENTE, uitvoering, **gemeente),
        new_party("cbs-beheer", "cbs-leverancier", Rol.CBS, [Doel.STATISTIEK_SWI], oin=OINS["cbs"]),
        new_party(f"{g}-bij-cbs-leverancier", "cbs-leverancier", Rol.GEMEENTE, uitvoering,
               **gemeente),
    ]  # fmt: skip
    for naam, rol in VOORBEELD_AANBIEDERS.items():
        for service, suffix in (("notificatie-router", "router"), ("dossier-bron", "bron")):
            parties.append(
                new_party(
                    f"{naam}-bij-{suffix}",
                    service,
                    rol,
                    [Doel.OPDRACHT_UITVOERING],
                    oin=OINS[rol.value],
                )
            )
    check_unique_credentials(parties)
    return parties


def party_json(party: Party) -> dict[str, Any]:
    return {**party.model_dump(mode="json"), "secret": party.secret.get_secret_value()}


@dataclass(frozen=True)
class ChainSecrets:
    """``secrets.json``: keys that must survive restarts (see the module docstring)."""

    router_sleutels: str
    verwerkingslog: Mapping[str, str]
    # cbs-leverancier keeps its history and delivery files encrypted with these.
    cbs_sleutels: str = field(default_factory=lambda: Fernet.generate_key().decode())

    @classmethod
    def new(cls) -> ChainSecrets:
        return cls(
            Fernet.generate_key().decode(),
            {s.name: f"verwerkingslog-{s.name}-{_secret()}" for s in CHAIN},
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "router_sleutels": self.router_sleutels,
            "verwerkingslog": dict(self.verwerkingslog),
            "cbs_sleutels": self.cbs_sleutels,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChainSecrets:
        """Keys already made are kept; keys of what is new since are made now."""
        keys = dict(data["verwerkingslog"])
        for service in CHAIN:
            keys.setdefault(service.name, f"verwerkingslog-{service.name}-{_secret()}")
        if "cbs_sleutels" in data:
            return cls(str(data["router_sleutels"]), keys, str(data["cbs_sleutels"]))
        return cls(str(data["router_sleutels"]), keys)


def _bron(config: ChainConfig, source: str, party: Party) -> dict[str, str]:
    return {
        "base_url": config.api(source),
        "client_id": party.client_id,
        "secret": party.secret.get_secret_value(),
    }


def service_env(
    service: str,
    config: ChainConfig,
    chain_secrets: ChainSecrets,
    parties: Sequence[Party],
    *,
    parties_file: Path,
    kafka_bootstrap: str,
    database_url: str,
    kafka_sasl: tuple[str, str, str] | None = None,
) -> dict[str, str]:
    """The ``KETEN_*`` variables of one service of the chain (pure: no I/O).

    ``database_url`` is the server's URL (any database); the service gets its own database
    on it. ``kafka_sasl`` is (SASL bootstrap, user, password) of the router's super user,
    for subscriptions with Kafka sinks."""
    by_id = {p.client_id: p for p in parties}
    prefix = config.topic_prefix
    env = {
        "KETEN_SERVICE_NAME": service,
        "KETEN_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "KETEN_DATABASE_URL": make_url(database_url)
        .set(database=config.database(service))
        .render_as_string(hide_password=False),
        "KETEN_TOPIC_PREFIX": prefix,
        "KETEN_DEAD_LETTER_TOPIC": f"{prefix}keten.deadletter",
        "KETEN_HTTP_HOST": LOOPBACK,
        "KETEN_HTTP_PORT": str(config.ports[service]),
        "KETEN_OIN": BY_NAME[service].oin,
        "KETEN_PARTIES_FILE": str(parties_file),
        "KETEN_VERWERKINGSLOG_SLEUTEL": chain_secrets.verwerkingslog[service],
        # A local chain is a sandbox: the simulators' control APIs are on (chain testers and
        # `keten scenario run` script COA and DUO through them) and the clock may be moved.
        "KETEN_CONTROL_API": "true",
        "KETEN_SANDBOX": "true",
        # Read by people through `keten logs`, not by a log shipper.
        "KETEN_LOG_JSON": "false",
    }
    g = GEMEENTE_NAAM
    if service == "dossier-bron":
        env["KETEN_GEMEENTEN"] = json.dumps({GEMEENTECODE: OINS["gemeente"]})
        env["KETEN_BRONNEN"] = json.dumps(
            [
                _bron(config, "coa-adapter", by_id[f"dossier-bron-{g}-bij-coa"]),
                _bron(config, "duo-adapter", by_id[f"dossier-bron-{g}-bij-duo"]),
            ]
        )
        env["KETEN_DUO_BRON_URL"] = config.api("duo-adapter")
    elif service == "duo-adapter":
        env["KETEN_BRONNEN"] = json.dumps(
            [_bron(config, "dossier-bron", by_id["duo-bij-dossier-bron"])]
        )
    elif service == "cbs-leverancier":
        env["KETEN_BRONNEN"] = json.dumps(
            [_bron(config, "dossier-bron", by_id["cbs-bij-dossier-bron"])]
        )
        env["KETEN_CBS_SLEUTELS"] = chain_secrets.cbs_sleutels
        env["KETEN_CBS_GEMEENTEN"] = json.dumps({GEMEENTECODE: OINS["gemeente"]})
    elif service == "notificatie-router":
        env["KETEN_ROUTER_SLEUTELS"] = chain_secrets.router_sleutels
        if kafka_sasl is not None:
            bootstrap, user, password = kafka_sasl
            env["KETEN_ROUTER_KAFKA_BOOTSTRAP"] = bootstrap
            env["KETEN_ROUTER_KAFKA_GEBRUIKER"] = user
            env["KETEN_ROUTER_KAFKA_WACHTWOORD"] = password
    return env


def process_env(env: Mapping[str, str], inherited: Mapping[str, str]) -> dict[str, str]:
    """The child's environment: the caller's without its KETEN_* (but ``PASSED_THROUGH``),
    then the chain's."""
    kept = {k: v for k, v in inherited.items() if not k.startswith("KETEN_") or k in PASSED_THROUGH}
    return {**kept, **env}


def run_command(service: str, port: int) -> list[str]:
    """``keten run SERVICE --port N`` with this interpreter; the tail identifies the process
    (``is_chain_process``)."""
    return [sys.executable, "-m", "keten_core.cli", "run", service, "--port", str(port)]


def is_chain_process(cmdline: str | None, service: str, port: int) -> bool:
    """Whether a command line is this chain's ``keten run`` of ``service`` on ``port``; a pid
    in a stale pid file may belong to an unrelated process by now (after a reboot)."""
    if cmdline is None:
        return True  # /proc cannot tell: trust the pid file
    return f"keten_core.cli run {service} --port {port}" in cmdline


# -- state on disk ---------------------------------------------------------------------------


class ChainState:
    """The chain's directory: configuration, secrets, pid and log files."""

    def __init__(self, state_dir: Path) -> None:
        self.dir = state_dir / "chain"
        self.config_file = self.dir / "chain.json"
        self.secrets_file = self.dir / "secrets.json"
        self.parties_file = self.dir / "parties.json"
        self.lock_file = self.dir / ".lock"

    @classmethod
    def from_settings(cls, settings: InfraSettings | None = None) -> ChainState:
        return cls((settings or InfraSettings()).state_dir)

    def pid_file(self, service: str) -> Path:
        return self.dir / f"{service}.pid"

    def log_file(self, service: str) -> Path:
        return self.dir / f"{service}.log"

    def exists(self) -> bool:
        return self.config_file.is_file()

    def config(self) -> ChainConfig:
        try:
            return ChainConfig.from_json(json.loads(self.config_file.read_text()))
        except FileNotFoundError:
            raise InfraError(f"no chain in {self.dir}: run `keten up` first") from None

    def ensure(self, naam: str | None, port_base: int | None) -> ChainConfig:
        """The configuration and secrets, written at the first call; later calls keep them
        and refuse options that would change them."""
        self.dir.mkdir(parents=True, exist_ok=True)
        if self.exists():
            config = self.config()
            if naam is not None and naam != config.naam:
                raise InfraError(
                    f"the chain in {self.dir} is named {config.naam!r}, not {naam!r}; "
                    "`keten down --purge` removes it first"
                )
            if port_base is not None and port_base != 0:
                wanted = ChainConfig.new(config.naam, port_base).ports
                if dict(wanted) != dict(config.ports):
                    raise InfraError(
                        f"the chain in {self.dir} uses other ports ({self._ports(config)}); "
                        "`keten down --purge` removes it first"
                    )
        else:
            config = ChainConfig.new(
                naam or "", DEFAULT_PORT_BASE if port_base is None else port_base
            )
        self._write(self.config_file, config.to_json())  # also adds services new since
        if self.secrets_file.is_file():
            chain_secrets = ChainSecrets.from_json(json.loads(self.secrets_file.read_text()))
        else:
            chain_secrets = ChainSecrets.new()
        self._write(self.secrets_file, chain_secrets.to_json(), secret=True)
        self._ensure_parties()
        return config

    def _ensure_parties(self) -> None:
        """Write the registry, or add the entries that are new since it was written (a
        service joined the chain); existing credentials never change."""
        existing: list[dict[str, Any]] = []
        if self.parties_file.is_file():
            existing = json.loads(self.parties_file.read_text())
        known = {p["client_id"] for p in existing}
        new = [party_json(p) for p in build_parties() if p.client_id not in known]
        if new or not self.parties_file.is_file():
            self._write(self.parties_file, [*existing, *new], secret=True)

    @staticmethod
    def _ports(config: ChainConfig) -> str:
        return ", ".join(f"{name} {port}" for name, port in config.ports.items())

    @staticmethod
    def _write(path: Path, data: Any, *, secret: bool = False) -> None:
        # Written aside and renamed: an interrupted `keten up` never leaves half a file.
        partial = path.with_name(path.name + ".partial")
        partial.write_text(json.dumps(data, indent=2) + "\n")
        if secret:
            partial.chmod(0o600)
        partial.replace(path)

    def secrets(self) -> ChainSecrets:
        return ChainSecrets.from_json(json.loads(self.secrets_file.read_text()))

    def parties(self) -> list[Party]:
        return load_parties_file(self.parties_file)

    def pid(self, service: str, port: int) -> int | None:
        """The pid of the running service, or None (a stale pid file is ignored)."""
        try:
            pid = int(self.pid_file(service).read_text().strip())
        except (OSError, ValueError):
            return None
        if not process_alive(pid) or not is_chain_process(process_cmdline(pid), service, port):
            return None
        return pid


# -- servers ---------------------------------------------------------------------------------


def chain_topic(state_dir: Path) -> Callable[[str], bool]:
    """Whether a topic belongs to the chain of ``keten up`` or ``keten demo`` under ``state_dir``
    (by the chain's prefix). Pruning idle topics keeps those: a chain that waited overnight
    must still find its topics, which its running services do not create again."""
    prefixes: set[str] = set()
    for state in (ChainState(state_dir), ChainState(state_dir / "demo")):
        if state.exists():
            with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
                prefixes.add(state.config().topic_prefix)

    def belongs(topic: str) -> bool:
        for prefix in prefixes:
            if prefix and topic.startswith((prefix, RETRY_TOPIC_PREFIX + prefix)):
                return True
            # Without a prefix: the domain topics, the dead letters, the router's Kafka sinks,
            # and retry topics of groups without a (test's) prefix.
            retry_group = topic.removeprefix(RETRY_TOPIC_PREFIX)
            if not prefix and (
                topic.startswith(("nl.inburgering.", "abonnement."))
                or topic == "keten.deadletter"
                or (retry_group != topic and "." not in retry_group)
            ):
                return True
        return False

    return belongs


@dataclass(frozen=True)
class Infra:
    """The servers the chain uses; ``managed`` are those this command starts and stops."""

    kafka_bootstrap: str
    database_url: str
    managed: Sequence[LocalServer]
    kafka_sasl: tuple[str, str, str] | None


def infra(settings: InfraSettings | None = None, environ: Mapping[str, str] = os.environ) -> Infra:
    settings = settings or InfraSettings()
    # As `keten demo`: a server named in the environment is the operator's.
    names = [s.name for s in (LocalKafka, LocalPostgres) if s.env_var not in environ]
    sasl: tuple[str, str, str] | None = None
    try:
        kafka = LocalKafka.from_settings(settings)
        sasl = (
            kafka.sasl_bootstrap_servers,
            settings.kafka_router_user,
            settings.kafka_router_password.get_secret_value(),
        )
    except InfraError:
        pass  # a remote cluster: its SASL listener is the operator's to configure
    return Infra(
        settings.kafka_bootstrap_servers,
        settings.database_url,
        local_servers(names, settings) if names else [],
        sasl,
    )


def _admin_engine(server_url: str) -> AsyncEngine:
    url = make_url(server_url).set(drivername="postgresql+asyncpg")
    # CREATE and DROP DATABASE cannot run inside a transaction.
    return create_async_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)


async def ensure_databases(server_url: str, names: Sequence[str]) -> list[str]:
    """Create the databases that are missing; returns those it created."""
    admin = _admin_engine(server_url)
    created: list[str] = []
    try:
        async with admin.connect() as connection:
            existing = set(
                (await connection.execute(text("SELECT datname FROM pg_database"))).scalars()
            )
            for name in names:
                if name not in existing:
                    # The names come from ChainConfig.database (NAAM_PATTERN): no quoting issue.
                    await connection.execute(text(f'CREATE DATABASE "{name}"'))
                    created.append(name)
    finally:
        await admin.dispose()
    return created


async def drop_databases(server_url: str, names: Sequence[str]) -> None:
    admin = _admin_engine(server_url)
    try:
        async with admin.connect() as connection:
            for name in names:
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


# -- services --------------------------------------------------------------------------------


@dataclass
class Started:
    service: str
    pid: int
    process: subprocess.Popen[bytes] | None  # None: it was already running


def ready(url: str, timeout: float = 2.0) -> bool:
    try:
        return httpx.get(url + "/health/ready", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def launch(state: ChainState, service: str, port: int, env: Mapping[str, str]) -> Started:
    log_file = state.log_file(service)
    with log_file.open("ab") as log:
        log.write(f"\n=== keten up: {time.strftime('%Y-%m-%dT%H:%M:%S%z')} ===\n".encode())
        log.flush()
        process = subprocess.Popen(  # noqa: S603 - fixed argument list, no shell
            run_command(service, port),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env),
            cwd=state.dir,
            # Own session: Ctrl-C in the terminal that ran `keten up` does not reach it, and it
            # outlives this command (as the infra servers do).
            start_new_session=True,
        )
    state.pid_file(service).write_text(f"{process.pid}\n")
    return Started(service, process.pid, process)


def wait_ready(state: ChainState, started: Started, url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not ready(url):
        process = started.process
        if process is not None and process.poll() is not None:
            state.pid_file(started.service).unlink(missing_ok=True)
            raise InfraError(
                f"{started.service} exited with status {process.returncode} while starting; "
                f"{state.log_file(started.service)}:\n{tail(state.log_file(started.service))}"
            )
        if process is None and not process_alive(started.pid):
            raise InfraError(f"{started.service} (pid {started.pid}) is gone")
        if time.monotonic() > deadline:
            raise InfraError(
                f"{started.service} (pid {started.pid}) is not ready at {url}/health/ready "
                f"after {timeout:.0f} s; {state.log_file(started.service)}:\n"
                f"{tail(state.log_file(started.service))}"
            )
        time.sleep(0.3)


def stop(state: ChainState, service: str, port: int, timeout: float = STOP_TIMEOUT_S) -> bool:
    """SIGTERM (uvicorn drains requests, the lifespan stops consumers and the relay), SIGKILL
    after ``timeout``. Returns whether it was running."""
    pid = state.pid(service, port)
    if pid is None:
        state.pid_file(service).unlink(missing_ok=True)
        return False
    signal_process(pid, signal.SIGTERM)
    if not wait_until_gone(pid, timeout):
        signal_process(pid, signal.SIGKILL)
        wait_until_gone(pid, 10)
    state.pid_file(service).unlink(missing_ok=True)
    return True


def _selected(names: Sequence[str]) -> list[ChainService]:
    unknown = sorted(set(names) - set(BY_NAME))
    if unknown:
        raise InfraError(f"unknown service {', '.join(unknown)}; choose from {', '.join(BY_NAME)}")
    return [s for s in CHAIN if not names or s.name in names]


def _table(rows: Iterable[Sequence[str]]) -> str:
    """Aligned columns, one row per line: people read it, scripts split it on whitespace."""
    lines = [list(r) for r in rows]
    widths = [max(len(r[i]) for r in lines) for i in range(len(lines[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in lines
    )


# -- commands --------------------------------------------------------------------------------


def register(subparsers: Subparsers) -> None:
    services = ", ".join(BY_NAME)
    up = subparsers.add_parser(
        "up",
        help="start the infrastructure and the chain's services as local processes",
        description="Start Kafka and PostgreSQL (unless KETEN_KAFKA_BOOTSTRAP_SERVERS and "
        "KETEN_DATABASE_URL name servers of your own) and the chain's services as local "
        "processes; wait until each is ready and show where it runs. Idempotent. Configuration, "
        "credentials, pids and logs live in $KETEN_STATE_DIR/chain.",
        epilog="Ports by default: "
        + ", ".join(f"{s.name} {DEFAULT_PORT_BASE + s.offset}" for s in CHAIN)
        + ". The services' client credentials (for you, the example aanbieders and `keten "
        "scenario run`) are in chain/parties.json.",
    )
    up.add_argument(
        "--naam",
        help="a chain of its own on shared servers: databases keten_<naam>_<service>, topic "
        "prefix <naam>. (only at the first `keten up`)",
    )
    up.add_argument(
        "--port-base",
        type=int,
        help=f"service ports base+1..base+5 (default {DEFAULT_PORT_BASE}; 0: free ports); "
        "only at the first `keten up`",
    )
    up.add_argument(
        "--timeout", type=float, default=DEFAULT_READY_TIMEOUT_S, help="seconds per service"
    )
    up.add_argument("services", nargs="*", metavar="SERVICE", help=f"any of {services}")
    up.set_defaults(handler=up_command)

    status = subparsers.add_parser(
        "status", help="infrastructure and services; exit 1 when one is down"
    )
    status.set_defaults(handler=status_command)

    logs = subparsers.add_parser("logs", help="a service's log (or kafka's, postgres')")
    logs.add_argument("service", metavar="SERVICE", help=f"any of {services}, kafka, postgres")
    logs.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
    logs.add_argument("-n", "--lines", type=int, default=50, help="last N lines (default 50)")
    logs.set_defaults(handler=logs_command)

    down = subparsers.add_parser("down", help="stop the chain's services (--all: infra too)")
    down.add_argument("services", nargs="*", metavar="SERVICE", help=f"any of {services}")
    down.add_argument(
        "--all", action="store_true", help="also stop the Kafka and PostgreSQL `keten up` started"
    )
    down.add_argument(
        "--purge",
        action="store_true",
        help="also drop the chain's databases and delete its configuration and secrets",
    )
    down.set_defaults(handler=down_command)


def up_command(args: argparse.Namespace) -> int:
    settings = InfraSettings()
    state = ChainState.from_settings(settings)
    servers = infra(settings)
    wanted = _selected(args.services)
    for server in servers.managed:
        began = time.monotonic()
        started = server.start()
        how = f"started in {time.monotonic() - began:.1f} s" if started else "already running"
        print(f"{server.name:<9} {how:<20} {server.address}")
    state.dir.mkdir(parents=True, exist_ok=True)
    with file_lock(state.lock_file):
        config = state.ensure(args.naam, args.port_base)
        chain_secrets = state.secrets()
        parties = state.parties()
        installed = [s for s in wanted if s.installed()]
        created = asyncio.run(
            ensure_databases(servers.database_url, [config.database(s.name) for s in installed])
        )
        if created:
            print(f"databases created: {', '.join(created)}")
        started: list[Started] = []
        rows = [["SERVICE", "STATE", "URL", "PID", "LOG"]]
        for service in wanted:
            port = config.ports[service.name]
            if not service.installed():
                # The package lands later (or is not installed here): the rest still runs.
                rows.append(
                    [service.name, "skipped", "", "", f"package {service.module} is not installed"]
                )
                continue
            pid = state.pid(service.name, port)
            if pid is not None:
                started.append(Started(service.name, pid, None))
                continue
            if port_open(port):
                raise InfraError(
                    f"port {port} of {service.name} is taken by a process that is not this "
                    f"chain's; stop it, or start a chain on other ports (`keten down --purge`, "
                    "then `keten up --port-base N`)"
                )
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
            started.append(launch(state, service.name, port, process_env(env, os.environ)))
        # Launched together, waited for in turn: their start-ups (migrations, topics) overlap.
        # One service failing does not stop the others from being reported (or running).
        failures: list[str] = []
        for item in started:
            url = config.url(item.service)
            log = str(state.log_file(item.service))
            try:
                wait_ready(state, item, url, args.timeout)
            except InfraError as error:
                failures.append(str(error))
                rows.append([item.service, "failed", url, "", log])
                continue
            how = "started" if item.process is not None else "already running"
            rows.append([item.service, how, url, str(item.pid), log])
    order = {s.name: i for i, s in enumerate(CHAIN)}
    rows[1:] = sorted(rows[1:], key=lambda r: order[r[0]])
    print(_table(rows))
    print(f"credentials: {state.parties_file}")
    for failure in failures:
        print(f"keten: {failure}", file=sys.stderr)
    return 1 if failures else 0


def status_command(args: argparse.Namespace) -> int:
    settings = InfraSettings()
    state = ChainState.from_settings(settings)
    servers = infra(settings)
    down = 0
    rows = [["NAME", "STATE", "ADDRESS", "PID", "LOG"]]
    managed = {s.name: s for s in servers.managed}
    for name, address in (("kafka", servers.kafka_bootstrap), ("postgres", servers.database_url)):
        server = managed.get(name)
        if server is not None:
            running = server.is_running()
            log = str(server.log_file)
        else:
            running = _reachable(name, address)
            log = "(external)"
        down += not running
        shown = address if name == "kafka" else _hide_password(address)
        rows.append([name, "up" if running else "down", shown, "", log])
    if not state.exists():
        rows.append(["(services)", "down", "no chain: run `keten up`", "", ""])
        down += 1
    else:
        config = state.config()
        for service in CHAIN:
            port = config.ports[service.name]
            log = str(state.log_file(service.name))
            if not service.installed():
                rows.append(
                    [service.name, "skipped", "", "", f"package {service.module} not installed"]
                )
                continue
            pid = state.pid(service.name, port)
            url = config.url(service.name)
            if pid is None:
                how = "down"
            elif ready(url):
                how = "up"
            else:
                how = "not-ready"
            down += how != "up"
            rows.append([service.name, how, url, str(pid or ""), log])
    print(_table(rows))
    return 1 if down else 0


def _reachable(name: str, address: str) -> bool:
    if name == "kafka":
        host, _, port = address.split(",")[0].strip().rpartition(":")
    else:
        url = make_url(address)
        host, port = url.host or LOOPBACK, str(url.port or 5432)
    return port.isdigit() and port_open(int(port), host)


def _hide_password(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def logs_command(args: argparse.Namespace) -> int:
    settings = InfraSettings()
    if args.service in BY_NAME:
        path = ChainState.from_settings(settings).log_file(args.service)
    else:
        found = [s for s in local_servers(settings=settings) if s.name == args.service]
        if not found:
            names = ", ".join([*BY_NAME, "kafka", "postgres"])
            raise InfraError(f"unknown service {args.service}; choose from {names}")
        path = found[0].log_file
    if not path.is_file():
        raise InfraError(f"no log at {path}: has `keten up` started {args.service}?")
    for line in last_lines(path, args.lines):
        sys.stdout.write(line)
    sys.stdout.flush()
    if args.follow:
        for chunk in follow(path):
            sys.stdout.write(chunk)
            sys.stdout.flush()
    return 0


def last_lines(path: Path, count: int) -> list[str]:
    """The last ``count`` lines of ``path`` with their newlines (reads from the end, so a
    log of months costs no more than one of minutes)."""
    if count <= 0:
        return []
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        end = handle.tell()
        block = 64 * 1024
        data = b""
        position = end
        while position > 0 and data.count(b"\n") <= count:
            position = max(0, position - block)
            handle.seek(position)
            data = handle.read(end - position)
    lines = data.decode(errors="replace").splitlines(keepends=True)
    return lines[-count:]


def follow(path: Path, poll_s: float = 0.3) -> Iterator[str]:
    """What is appended to ``path`` from now on, until interrupted (Ctrl-C: exit 130)."""
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        while True:
            chunk = handle.read()
            if chunk:
                yield chunk.decode(errors="replace")
            else:
                time.sleep(poll_s)


def down_command(args: argparse.Namespace) -> int:
    settings = InfraSettings()
    state = ChainState.from_settings(settings)
    if args.purge and args.services:
        raise InfraError("--purge removes the whole chain; name no services with it")
    if state.exists():
        config = state.config()
        with file_lock(state.lock_file):
            for service in reversed(_selected(args.services)):
                was = stop(state, service.name, config.ports[service.name])
                print(f"{service.name:<20} {'stopped' if was else 'was not running'}")
            if args.purge:
                servers = infra(settings)
                names = [config.database(s.name) for s in CHAIN]
                if _reachable("postgres", servers.database_url):
                    asyncio.run(drop_databases(servers.database_url, names))
                    print(f"databases dropped: {', '.join(names)}")
                else:
                    print("PostgreSQL is down: databases not dropped", file=sys.stderr)
                for path in state.dir.glob("*"):
                    if path.is_file() and path != state.lock_file:
                        path.unlink()
                print(f"chain configuration, secrets and logs deleted from {state.dir}")
    else:
        print(f"no chain in {state.dir}")
    if args.all:
        for server in reversed(infra(settings).managed):
            print(f"{server.name:<20} {'stopped' if server.stop() else 'was not running'}")
    return 0
