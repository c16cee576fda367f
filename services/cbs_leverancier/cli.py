"""``keten cbs-leverancier ...``: the service's operator commands (a ``keten.commands`` entry
point in pyproject.toml).

- ``keten cbs-leverancier bewaartermijnen [--uitvoeren]``: the retention job, a dry run unless
  told (a daily CronJob; ``cbs_leverancier.bewaartermijnen``).
- ``keten cbs-leverancier herversleutelen``: after a key rotation, everything at rest encrypted
  again with the first key of ``KETEN_CBS_SLEUTELS`` (``cbs_leverancier.sleutels``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "cbs-leverancier",
        help="cbs-leverancier's operator commands (jobs)",
        description="Runs against KETEN_DATABASE_URL (the service's own database).",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    from . import bewaartermijnen, sleutels

    for name, module in (("bewaartermijnen", bewaartermijnen), ("herversleutelen", sleutels)):
        job = commands.add_parser(name, help=module.DOEL, description=module.DOEL)
        module.arguments(job)
        job.set_defaults(handler=module.run)
