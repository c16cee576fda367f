"""``keten dossier-bron ...``: dossier-bron's operator commands (declared as a ``keten.commands``
entry point in pyproject.toml, so ``keten`` finds them without the core knowing the service).

- ``keten dossier-bron bench``: a PIP change through the API to its event on Kafka, next to
  raw aiokafka (``dossier_bron.bench``).
- ``keten dossier-bron termijnbewaking``: the deadline watch, once (a CronJob;
  ``dossier_bron.bewaking``).
- ``keten dossier-bron bewaartermijnen [--uitvoeren]``: the retention job, a dry run unless told
  (a CronJob; ``dossier_bron.bewaartermijnen``).
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "dossier-bron",
        help="dossier-bron's operator commands (jobs, benchmark)",
        description="Runs against KETEN_KAFKA_BOOTSTRAP_SERVERS / KETEN_DATABASE_URL, or the "
        "local servers (started when not running).",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    bench = commands.add_parser(
        "bench",
        help="PIP change via the API to its event on Kafka: writes/s and p50/p99 latency, next "
        "to raw aiokafka (prints figures, asserts nothing)",
    )
    from .bench import register_arguments

    register_arguments(bench)
    bench.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    bench.set_defaults(handler=_bench)
    # The jobs, also runnable as ``python -m dossier_bron.<module>``.
    from . import bewaartermijnen, bewaking

    for name, module in (("termijnbewaking", bewaking), ("bewaartermijnen", bewaartermijnen)):
        job = commands.add_parser(name, help=module.DOEL, description=module.DOEL)
        module.arguments(job)
        job.set_defaults(handler=module.run)


def _bench(args: argparse.Namespace) -> int:
    from keten_core.bench import bench_servers

    from .bench import run

    settings = bench_servers()
    return run(args, settings.kafka_bootstrap_servers, settings.database_url)
