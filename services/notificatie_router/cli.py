"""``keten notificatie-router ...``: the router's operator commands (a ``keten.commands`` entry
point in pyproject.toml).

- ``keten notificatie-router bench``: webhook fan-out through the router next to raw aiohttp
  (``notificatie_router.bench``).
"""

from __future__ import annotations

import argparse
import logging
import os
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "notificatie-router",
        help="notificatie-router's operator commands (benchmark)",
        description="Runs against KETEN_KAFKA_BOOTSTRAP_SERVERS / KETEN_DATABASE_URL, or the "
        "local servers (started when not running).",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    bench = commands.add_parser(
        "bench",
        help="webhook deliveries/s and append-to-receipt p50/p99 for 1, 10 and 100 subscribers,"
        " next to raw aiohttp (prints figures, asserts nothing)",
    )
    from .bench import register_arguments

    register_arguments(bench)
    bench.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    bench.set_defaults(handler=_bench)


def _bench(args: argparse.Namespace) -> int:
    from keten_core.infra import LocalKafka, LocalPostgres, local_servers
    from keten_core.logging import configure_logging
    from keten_core.settings import KetenSettings

    from .bench import run

    configure_logging("WARNING", json=False)
    logging.getLogger("aiokafka").setLevel(logging.ERROR)
    local = [s.name for s in (LocalKafka, LocalPostgres) if s.env_var not in os.environ]
    for server in local_servers(local):
        server.start()
    settings = KetenSettings()
    return run(args, settings.kafka_bootstrap_servers, settings.database_url)
