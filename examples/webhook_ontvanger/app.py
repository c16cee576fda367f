"""A sample webhook subscriber: the gemeente's inbox for the chain's thin notifications.

It subscribes at the notificatie-router with the gemeente's router credential (the types the
policy lets a gemeente receive: no ``types`` in the subscription), answers the CloudEvents
validation handshake, verifies each delivery with ``standardwebhooks`` and records it. It keeps
only the envelope (type, subject, partitionkey, dataref, time and the ids in ``data``): the
events are thin, the data stays at the source.

What it recorded is served for the gemeente's own system, the way the reference scenarios'
test stand-in serves its ``meldingen-zoeken`` (a journey learns the id of a termijn or a
verlenging only from a notification):

- ``GET /meldingen?type=termijn.vastgesteld&sleutel=<partitionkey>&gemeentecode=0363``;
- ``GET /status``: the subscription and every receipt with its wall-clock arrival;
- ``GET /openapi.json``: those operations, so ``keten scenario run`` can call them.

Run against a local chain: ``python -m examples.webhook_ontvanger --keten-up
[--state-dir DIR] [--port N]`` (the credentials ``keten up`` generated for the gemeente).
Only public libraries (aiohttp, httpx, PyJWT, standardwebhooks), no project code.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
from aiohttp import web
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

log = logging.getLogger("webhook_ontvanger")

TYPE_PREFIX = "nl.inburgering."
# The router may deliver the first event before the answer to our POST /subscriptions is read.
SECRET_WAIT_S = 10.0
# The gemeente's router credential in the registry `keten up` writes (chain.GEMEENTE_NAAM).
KETEN_UP_CLIENT = "amsterdam-notificaties"

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "webhook-ontvanger (sample gemeente inbox)", "version": "1.0.0"},
    "paths": {
        "/meldingen": {
            "get": {
                "operationId": "meldingen-zoeken",
                "summary": "The notifications received, filtered; oldest first.",
                "parameters": [
                    {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
                    for name in ("type", "sleutel", "gemeentecode")
                ],
                "responses": {"200": {"description": "a list of notifications"}},
            }
        },
        "/status": {
            "get": {
                "operationId": "status-lezen",
                "responses": {"200": {"description": "the subscription and all receipts"}},
            }
        },
    },
}


@dataclass(frozen=True)
class Config:
    router_url: str
    client_id: str
    secret: str
    host: str = "127.0.0.1"
    port: int = 8091

    @property
    def sink(self) -> str:
        return f"http://{self.host}:{self.port}/webhook"

    def headers(self) -> dict[str, str]:
        now = int(time.time())
        claims = {
            "iss": self.client_id,
            "client_id": self.client_id,
            "iat": now,
            "exp": now + 60,
            "user_id": "",
            "user_representation": "",
        }
        return {"Authorization": f"Bearer {jwt.encode(claims, self.secret, algorithm='HS256')}"}


def config_from_keten_up(state_dir: Path, port: int) -> Config:
    chain = state_dir / "chain"
    ports = json.loads((chain / "chain.json").read_text())["ports"]
    parties = {p["client_id"]: p for p in json.loads((chain / "parties.json").read_text())}
    return Config(
        router_url=f"http://127.0.0.1:{ports['notificatie-router']}",
        client_id=KETEN_UP_CLIENT,
        secret=parties[KETEN_UP_CLIENT]["secret"],
        port=port,
    )


def melding(event: dict[str, Any], ontvangen_op: float) -> dict[str, Any]:
    """What is kept of a delivery: the envelope, and of ``data`` only the identifiers (a thin
    event carries nothing else, but a receiver should not rely on a sender for that)."""
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    return {
        "id": event.get("id"),
        "type": event.get("type"),
        "source": event.get("source"),
        "subject": event.get("subject"),
        "partitionkey": event.get("partitionkey"),
        "gemeentecode": event.get("gemeentecode"),
        "dataref": event.get("dataref"),
        "time": event.get("time"),
        "data": {k: v for k, v in data.items() if k.endswith("Id") or k == "versie"},
        "ontvangenOp": ontvangen_op,
    }


def _kort_type(volledig: str) -> str:
    """``nl.inburgering.termijn.vastgesteld.v1`` -> ``termijn.vastgesteld``."""
    kort = volledig.removeprefix(TYPE_PREFIX)
    stuk, _, versie = kort.rpartition(".")
    return stuk if versie.startswith("v") and versie[1:].isdigit() else kort


class Ontvanger:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.subscription: str | None = None
        self.webhook: Webhook | None = None
        self.secret_known = asyncio.Event()
        self.ontvangen: list[dict[str, Any]] = []
        self.seen: set[str] = set()
        self.geweigerd = 0
        self.http = httpx.AsyncClient(timeout=10.0)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("OPTIONS", "/webhook", self.handshake)
        app.router.add_post("/webhook", self.deliver)
        app.router.add_get("/meldingen", self.meldingen)
        app.router.add_get("/status", self.status)
        app.router.add_get("/openapi.json", self.openapi)
        app.router.add_get("/health/ready", self.ready)
        app.on_cleanup.append(self._close)
        return app

    async def _close(self, app: web.Application) -> None:
        await self.http.aclose()

    async def handshake(self, request: web.Request) -> web.Response:
        origin = request.headers.get("WebHook-Request-Origin")
        if origin is None:
            return web.Response(status=400, text="WebHook-Request-Origin is missing")
        return web.Response(
            status=200, headers={"WebHook-Allowed-Origin": origin, "WebHook-Allowed-Rate": "*"}
        )

    async def subscribe(self) -> None:
        answer = await self.http.post(
            self.config.router_url + "/api/v1/subscriptions",
            json={"sink": self.config.sink, "protocol": "HTTP"},
            headers=self.config.headers(),
        )
        if answer.status_code != 201:
            raise RuntimeError(f"subscribing failed: {answer.status_code} {answer.text}")
        body = answer.json()
        self.webhook = Webhook(body["secret"])
        self.subscription = str(body["id"])
        self.secret_known.set()
        log.info("subscribed: %s -> %s", self.subscription, self.config.sink)

    async def unsubscribe(self) -> None:
        if self.subscription is not None:
            await self.http.delete(
                f"{self.config.router_url}/api/v1/subscriptions/{self.subscription}",
                headers=self.config.headers(),
            )

    async def deliver(self, request: web.Request) -> web.Response:
        body = await request.read()  # the exact bytes: the signature covers them
        try:
            await asyncio.wait_for(self.secret_known.wait(), SECRET_WAIT_S)
        except TimeoutError:
            return web.Response(status=503, text="not subscribed yet")
        assert self.webhook is not None
        try:
            event = self.webhook.verify(body, dict(request.headers))
        except WebhookVerificationError as error:
            self.geweigerd += 1
            log.warning("delivery refused: %s", error)
            return web.Response(status=401, text="signature does not verify")
        webhook_id = request.headers["webhook-id"]
        if webhook_id not in self.seen:  # at least once: a repeat is recorded once
            self.seen.add(webhook_id)
            self.ontvangen.append(melding(event, time.time()))
            log.info("event %s: %s", webhook_id, event.get("type"))
        return web.Response(status=204)

    async def meldingen(self, request: web.Request) -> web.Response:
        soort = request.query.get("type")
        sleutel = request.query.get("sleutel")
        gemeentecode = request.query.get("gemeentecode")
        gevonden = [
            m
            for m in self.ontvangen
            if (soort is None or soort in (m["type"], _kort_type(str(m["type"]))))
            and (sleutel is None or m["partitionkey"] == sleutel)
            and (gemeentecode is None or m["gemeentecode"] == gemeentecode)
        ]
        return web.json_response(gevonden)

    async def status(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "subscription": self.subscription,
                "ontvangen": self.ontvangen,
                "geweigerd": self.geweigerd,
            }
        )

    async def openapi(self, request: web.Request) -> web.Response:
        return web.json_response(OPENAPI)

    async def ready(self, request: web.Request) -> web.Response:
        status = 200 if self.subscription else 503
        return web.json_response({"subscription": self.subscription}, status=status)


async def serve(config: Config) -> None:
    ontvanger = Ontvanger(config)
    runner = web.AppRunner(ontvanger.app())
    await runner.setup()
    await web.TCPSite(runner, config.host, config.port).start()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    try:
        # The router calls our webhook during the subscription (the handshake): serve first.
        await ontvanger.subscribe()
        await stop.wait()
        await ontvanger.unsubscribe()
    finally:
        await runner.cleanup()


def parse_config(argv: list[str] | None = None) -> Config:
    env = os.environ
    parser = argparse.ArgumentParser(
        prog="python -m examples.webhook_ontvanger",
        description="A sample webhook subscriber: the gemeente's inbox of notifications.",
    )
    parser.add_argument("--port", type=int, default=int(env.get("ONTVANGER_PORT", "8091")))
    parser.add_argument("--host", default=env.get("ONTVANGER_HOST", "127.0.0.1"))
    parser.add_argument(
        "--keten-up",
        action="store_true",
        help="use the gemeente's router credential from `keten up`'s state directory",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=Path(
            env.get("KETEN_STATE_DIR")
            or Path(env.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "keten"
        ),
    )
    args = parser.parse_args(argv)
    if args.keten_up:
        config = config_from_keten_up(args.state_dir, args.port)
    else:
        missing = [
            n
            for n in ("ONTVANGER_ROUTER_URL", "ONTVANGER_CLIENT_ID", "ONTVANGER_SECRET")
            if not env.get(n)
        ]
        if missing:
            parser.error(f"set {', '.join(missing)} (or use --keten-up)")
        config = Config(
            env["ONTVANGER_ROUTER_URL"].rstrip("/"),
            env["ONTVANGER_CLIENT_ID"],
            env["ONTVANGER_SECRET"],
        )
    return Config(config.router_url, config.client_id, config.secret, args.host, args.port)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        stream=sys.stdout,
    )
    asyncio.run(serve(parse_config(argv)))
    return 0
