"""``keten run SERVICE``: one service of the chain as its own process.

Every service package (``services/<package>/``) has a ``main`` module with
``build_service(settings: KetenSettings | None = None) -> KetenService``: the composition root.
This command builds it from the environment (``KETEN_*``) and serves it with uvicorn on
``KETEN_HTTP_HOST``/``KETEN_HTTP_PORT``; the container image runs the same command.
"""

from __future__ import annotations

import argparse
import importlib
from typing import Any

from keten_core.settings import SERVICES, KetenSettings

__all__ = ["load_service", "register"]


def load_service(name: str, settings: KetenSettings | None = None) -> Any:
    """The ``KetenService`` of ``name`` (``coa-adapter`` -> ``coa_adapter.main``)."""
    module = importlib.import_module(f"{name.replace('-', '_')}.main")
    return module.build_service(settings)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run one service of the chain (HTTP API, outbox relay, consumers)",
        description="Run one service as its own process, configured by KETEN_* variables.",
    )
    parser.add_argument("service", choices=SERVICES)
    parser.add_argument("--host", help="overrides KETEN_HTTP_HOST")
    parser.add_argument("--port", type=int, help="overrides KETEN_HTTP_PORT")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    import uvicorn

    update: dict[str, Any] = {"service_name": args.service}
    if args.host:
        update["http_host"] = args.host
    if args.port:
        update["http_port"] = args.port
    settings = KetenSettings().model_copy(update=update)
    service = load_service(args.service, settings)
    uvicorn.run(
        service.app(),
        host=service.settings.http_host,
        port=service.settings.http_port,
        log_config=None,  # structlog (keten_core.logging) owns the log output
        proxy_headers=True,
    )
    return 0
