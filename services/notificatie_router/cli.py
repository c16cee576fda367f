"""``keten notificatie-router ...``: the router's operator commands (a ``keten.commands`` entry
point in pyproject.toml).

- ``keten notificatie-router bench``: webhook fan-out through the router next to raw aiohttp
  (``notificatie_router.bench``).
"""

from __future__ import annotations

import argparse
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
    from keten_core.bench import bench_servers

    from .bench import run

    settings = bench_servers()
    return run(args, settings.kafka_bootstrap_servers, settings.database_url)
