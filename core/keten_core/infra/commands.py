"""``keten infra``: start, inspect and stop the local Kafka and PostgreSQL."""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from typing import TYPE_CHECKING

from keten_core.chain import chain_topic
from keten_core.infra import (
    KAFKA_VERSION,
    SERVER_NAMES,
    InfraError,
    InfraSettings,
    LocalKafka,
    LocalPostgres,
    LocalServer,
    fetch_kafka,
    local_servers,
)
from keten_core.infra.common import port_open
from keten_core.kafka_acl import SCRAM_MECHANISM
from keten_core.settings import SERVICES

if TYPE_CHECKING:
    from keten_core.cli import Subparsers


def register(subparsers: Subparsers) -> None:
    infra = subparsers.add_parser(
        "infra",
        help="local Kafka and PostgreSQL for development and tests",
        description=(
            "Real servers on 127.0.0.1 at the addresses in KETEN_KAFKA_BOOTSTRAP_SERVERS and "
            "KETEN_DATABASE_URL (defaults 127.0.0.1:19092 and port 55432). Files live in "
            "KETEN_STATE_DIR, the Kafka jars in KETEN_CACHE_DIR."
        ),
    )
    actions = infra.add_subparsers(title="actions", metavar="ACTION", required=True)

    up = actions.add_parser("up", help="start the servers (those already running are kept)")
    up.add_argument(
        "--env",
        action="store_true",
        help='print only `export KETEN_...=...` lines, for `eval "$(keten infra up --env)"`',
    )
    _servers_argument(up)
    up.set_defaults(handler=up_command)

    status = actions.add_parser("status", help="show each server; exit 1 when one is down")
    _servers_argument(status)
    status.set_defaults(handler=status_command)

    down = actions.add_parser("down", help="stop the servers")
    down.add_argument("--purge", action="store_true", help="also delete their data and logs")
    _servers_argument(down)
    down.set_defaults(handler=down_command)

    fetch = actions.add_parser("fetch", help=f"download the Kafka {KAFKA_VERSION} jars only")
    fetch.set_defaults(handler=fetch_command)


def _servers_argument(parser: argparse.ArgumentParser) -> None:
    # No `choices=`: argparse rejects an empty list for nargs="*" with choices (Python 3.11).
    names = ", ".join(SERVER_NAMES)
    parser.add_argument(
        "servers", nargs="*", metavar="SERVER", help=f"any of {names} (default all)"
    )


def _selected(args: argparse.Namespace) -> list[LocalServer]:
    unknown = sorted(set(args.servers) - set(SERVER_NAMES))
    if unknown:
        names = ", ".join(SERVER_NAMES)
        raise InfraError(f"unknown server {', '.join(unknown)}; choose from {names}")
    return local_servers(args.servers or SERVER_NAMES, InfraSettings())


def up_command(args: argparse.Namespace) -> int:
    settings = InfraSettings()
    servers = _selected(args)
    # With --env stdout is for the shell to eval; the report goes to stderr.
    report = sys.stderr if args.env else sys.stdout
    for server in servers:
        began = time.monotonic()
        if server.start():
            state = f"started in {time.monotonic() - began:.1f} s"
        else:
            state = "already running"
        print(f"{server.name:<9} {state:<20} {server.address}", file=report)
        if isinstance(server, LocalKafka) and settings.kafka_prune_idle_hours:
            pruned = server.prune_topics(
                settings.kafka_prune_idle_hours * 3600, keep=chain_topic(settings.state_dir)
            )
            if pruned:
                print(
                    f"{'':<9} deleted {len(pruned)} topics idle for "
                    f"{settings.kafka_prune_idle_hours:g} h (KETEN_KAFKA_PRUNE_IDLE_HOURS)",
                    file=report,
                )
        if isinstance(server, LocalPostgres):
            for service in SERVICES:
                print(f"{'':<9} {service:<20} {server.service_url(service)}", file=report)
    if args.env:
        for server in servers:
            print(f"export {server.env_var}={shlex.quote(server.address)}")
    return 0


def status_command(args: argparse.Namespace) -> int:
    down = 0
    for server in _selected(args):
        running = server.is_running()
        down += not running
        state = "up" if running else "down"
        sasl = ""
        if isinstance(server, LocalKafka):
            # Not part of the exit status: a broker started before the listener existed lacks it
            # until its next start, and plaintext clients do not need it.
            listening = "up" if running and port_open(server.sasl_port) else "down"
            sasl = f"  sasl: {server.sasl_bootstrap_servers} ({SCRAM_MECHANISM}, {listening})"
        # One line per server: scripts and tests split it on whitespace.
        print(f"{server.name:<9} {state:<5} {server.address}{sasl}  log: {server.log_file}")
    return 1 if down else 0


def down_command(args: argparse.Namespace) -> int:
    for server in reversed(_selected(args)):
        was_running = server.is_running()
        if args.purge:
            server.destroy()
            state = "stopped, data deleted" if was_running else "data deleted"
        else:
            state = "stopped" if server.stop() else "was not running"
        print(f"{server.name:<9} {state}")
    return 0


def fetch_command(args: argparse.Namespace) -> int:
    libs = fetch_kafka(InfraSettings().cache_dir)
    jars = list(libs.glob("*.jar"))
    size = sum(jar.stat().st_size for jar in jars) / 1e6
    print(f"Kafka {KAFKA_VERSION}: {len(jars)} jars, {size:.0f} MB in {libs}")
    return 0
