"""The ``keten`` command.

Each subcommand comes from a *registrar*: a function ``register(subparsers) -> None`` that adds
one parser to ``subparsers`` and binds its handler with ``parser.set_defaults(handler=...)``.
A handler takes the parsed ``argparse.Namespace`` and returns the exit status. Example::

    # keten_core/demo.py
    def register(subparsers: Subparsers) -> None:
        parser = subparsers.add_parser("demo", help="run the reference chain scenario")
        parser.add_argument("--gemeente", default="0363")
        parser.set_defaults(handler=run)

    def run(args: argparse.Namespace) -> int:
        ...
        return 0

Then either add ``"keten_core.demo:register"`` to ``COMMANDS`` below, or (for a command that
lives in another installable package, such as a service) declare an entry point and reinstall::

    [project.entry-points."keten.commands"]
    demo = "keten_core.demo:register"
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Iterable, Sequence
from importlib.metadata import entry_points
from typing import TypeAlias

from keten_core.infra import InfraError

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
Registrar: TypeAlias = Callable[[Subparsers], None]
Handler: TypeAlias = Callable[[argparse.Namespace], int]

ENTRY_POINT_GROUP = "keten.commands"

# "module:function" of the registrars of the built-in subcommands, in help order.
COMMANDS: tuple[str, ...] = (
    "keten_core.infra.commands:register",
    "keten_core.chain:register",
    "keten_core.demo:register",
    "keten_core.dlq:register",
    "keten_core.bench:register",
    "keten_core.verwerkingslog:register",
    "keten_core.run:register",
    "keten_core.scenario:register",
)


def load_registrar(spec: str) -> Registrar:
    module, _, attribute = spec.partition(":")
    registrar: Registrar = getattr(importlib.import_module(module), attribute)
    return registrar


def registrars() -> list[Registrar]:
    """The built-in registrars, then those that installed packages declare as entry points."""
    found = [load_registrar(spec) for spec in COMMANDS]
    found.extend(entry.load() for entry in entry_points(group=ENTRY_POINT_GROUP))
    return found


def build_parser(extra: Iterable[Registrar] = ()) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="keten", description="Inburgering chain data hub: development and operations."
    )
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for register in (*registrars(), *extra):
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except InfraError as error:
        print(f"keten: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
