"""An example aanbieder: the smallest program that takes part in the chain as a vendor would.

1. It serves a webhook endpoint and answers the CloudEvents validation handshake (``OPTIONS``
   with ``WebHook-Request-Origin``), so the router may deliver to it.
2. It subscribes at the notificatie-router for ``opdracht.verstrekt`` with its router
   credential; the answer holds the signing secret (``whsec_...``), shown only then.
3. Each delivery is verified with the ``standardwebhooks`` library before anything else; a
   request that does not verify is refused with 401 and otherwise ignored.
4. The event is thin: it says which opdracht, not what is in it. The example fetches the
   ``dataref`` at dossier-bron with its dossier-bron credential (a ZGW token per request).
5. It submits a report on that opdracht (``traject-gestart-rapport``) at dossier-bron, with
   an ``Idempotency-Key`` so that a repeated delivery stores the report only once.

Only public libraries: aiohttp (server), httpx (client), PyJWT (ZGW tokens), standardwebhooks.
See README.md beside this file for the walk-through.
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
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt
from aiohttp import web
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

log = logging.getLogger("aanbieder")

OPDRACHT_VERSTREKT = "nl.inburgering.opdracht.verstrekt.v1"
# How long a delivery waits for the subscription's secret: the router may deliver the first
# event before the answer to our POST /subscriptions has been read.
SECRET_WAIT_S = 10.0


# -- configuration ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Credential:
    """A client registered at one service: the ZGW client_id and its secret."""

    client_id: str
    secret: str

    def token(self, lifetime_s: int = 60) -> str:
        """A ZGW JWT (HS256): what every service of the chain accepts. One short-lived token
        per request, so a leaked token is worthless a minute later."""
        now = int(time.time())
        claims = {
            "iss": self.client_id,
            "client_id": self.client_id,
            "iat": now,
            "exp": now + lifetime_s,
            "user_id": "",  # a machine, not a person
            "user_representation": "",
        }
        return jwt.encode(claims, self.secret, algorithm="HS256")

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}"}


@dataclass(frozen=True)
class Config:
    router_url: str  # the router's root, e.g. http://127.0.0.1:18104
    router: Credential
    bron_url: str  # dossier-bron's API root, e.g. http://127.0.0.1:18103/api/v1
    bron: Credential
    host: str = "127.0.0.1"
    port: int = 8090
    sink_url: str | None = None  # where the router reaches us; default http://host:port/webhook

    @property
    def sink(self) -> str:
        return self.sink_url or f"http://{self.host}:{self.port}/webhook"


def config_from_keten_up(state_dir: Path, naam: str, port: int) -> Config:
    """The credentials that ``keten up`` generated for the example aanbieder ``naam``
    (``taalschool`` or ``map-bureau``): ``<state>/chain/parties.json`` and ``chain.json``."""
    chain = state_dir / "chain"
    ports = json.loads((chain / "chain.json").read_text())["ports"]
    parties = {p["client_id"]: p for p in json.loads((chain / "parties.json").read_text())}

    def credential(client_id: str) -> Credential:
        return Credential(client_id, parties[client_id]["secret"])

    return Config(
        router_url=f"http://127.0.0.1:{ports['notificatie-router']}",
        router=credential(f"{naam}-bij-router"),
        bron_url=f"http://127.0.0.1:{ports['dossier-bron']}/api/v1",
        bron=credential(f"{naam}-bij-bron"),
        port=port,
    )


# -- what happened (GET /status): no personal data, only what a monitor needs ----------------


@dataclass
class Journal:
    subscription: str | None = None
    received: list[dict[str, Any]] = field(default_factory=list)
    rejected: int = 0
    handshakes: int = 0

    def record(self, webhook_id: str) -> dict[str, Any]:
        entry: dict[str, Any] = {"webhookId": webhook_id, "verified": True}
        self.received.append(entry)
        return entry


# -- the application ---------------------------------------------------------------------------


class Aanbieder:
    """The webhook receiver and what it does with each opdracht (steps 1 to 5 above)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.journal = Journal()
        self.webhook: Webhook | None = None
        self.secret_known = asyncio.Event()
        self.seen: set[str] = set()  # webhook-ids handled: the router delivers at least once
        self.tasks: set[asyncio.Task[None]] = set()
        self.http = httpx.AsyncClient(timeout=10.0)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("OPTIONS", "/webhook", self.handshake)
        app.router.add_post("/webhook", self.deliver)
        app.router.add_get("/status", self.status)
        app.on_cleanup.append(self._close)
        return app

    async def _close(self, app: web.Application) -> None:
        for task in list(self.tasks):
            task.cancel()
        await self.http.aclose()

    # Step 1: the CloudEvents webhook validation handshake.
    async def handshake(self, request: web.Request) -> web.Response:
        origin = request.headers.get("WebHook-Request-Origin")
        if origin is None:
            return web.Response(status=400, text="WebHook-Request-Origin is missing")
        self.journal.handshakes += 1
        log.info("handshake from %s: agreed", origin)
        # Echoing the origin is our consent to receive events from it. A production receiver
        # would compare it with the router it subscribed at.
        return web.Response(
            status=200,
            headers={"WebHook-Allowed-Origin": origin, "WebHook-Allowed-Rate": "*"},
        )

    # Step 2: subscribe.
    async def subscribe(self) -> str:
        body = {"sink": self.config.sink, "protocol": "HTTP", "types": [OPDRACHT_VERSTREKT]}
        answer = await self.http.post(
            self.config.router_url + "/api/v1/subscriptions",
            json=body,
            headers=self.config.router.headers(),
        )
        if answer.status_code != 201:
            raise RuntimeError(f"subscribing failed: {answer.status_code} {answer.text}")
        subscription = answer.json()
        # The secret is shown only in this answer: a real vendor stores it (encrypted) now.
        self.webhook = Webhook(subscription["secret"])
        self.secret_known.set()
        self.journal.subscription = subscription["id"]
        log.info("subscribed: %s -> %s", subscription["id"], self.config.sink)
        return str(subscription["id"])

    # Step 3: verify, then answer quickly; the work happens after the answer.
    async def deliver(self, request: web.Request) -> web.Response:
        body = await request.read()  # the exact bytes: the signature covers them
        try:
            await asyncio.wait_for(self.secret_known.wait(), SECRET_WAIT_S)
        except TimeoutError:
            return web.Response(status=503, text="not subscribed yet")
        assert self.webhook is not None
        try:
            # Returns the parsed body: a structured CloudEvent (application/cloudevents+json).
            event = self.webhook.verify(body, dict(request.headers))
        except WebhookVerificationError as error:
            # Wrong secret, changed body or a timestamp out of tolerance (a replayed request).
            self.journal.rejected += 1
            log.warning("delivery refused: %s", error)
            return web.Response(status=401, text="signature does not verify")
        webhook_id = request.headers["webhook-id"]  # the CloudEvent id, the same on retries
        if webhook_id in self.seen:
            return web.Response(status=204)
        self.seen.add(webhook_id)
        entry = self.journal.record(webhook_id)
        entry["type"] = event.get("type")
        log.info("event %s: %s", webhook_id, event.get("type"))
        if event.get("type") == OPDRACHT_VERSTREKT:
            # The router waits at most a few seconds for our answer: fetch and report after it.
            task = asyncio.create_task(self.handle_opdracht(event, entry))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return web.Response(status=204)

    # Steps 4 and 5: fetch the opdracht, submit a report on it.
    async def handle_opdracht(self, event: dict[str, Any], entry: dict[str, Any]) -> None:
        try:
            dataref = str(event["dataref"])
            # Our token goes only to the dossier-bron we know, whatever URL an event names.
            if not dataref.startswith(self.config.bron_url.rstrip("/") + "/"):
                raise ValueError(f"dataref {dataref} is not at {self.config.bron_url}")
            answer = await self.http.get(dataref, headers=self.config.bron.headers())
            answer.raise_for_status()
            opdracht = answer.json()
            entry["opdrachtId"] = opdracht["opdrachtId"]
            # Only field names: the opdracht holds the person's contact data.
            entry["opdrachtVelden"] = sorted(opdracht)
            log.info("opdracht %s fetched (%s)", opdracht["opdrachtId"], opdracht.get("soort"))

            start = opdracht.get("beoogdeStart") or date.today().isoformat()
            rapport = await self.http.post(
                f"{self.config.bron_url}/opdrachten/{opdracht['opdrachtId']}"
                "/traject-gestart-rapporten",
                json={"gerealiseerdeStartdatum": start},
                headers={
                    **self.config.bron.headers(),
                    # One key per report we mean to make: a retry after a lost answer stores
                    # (and counts) it once.
                    "Idempotency-Key": f"gestart-{opdracht['opdrachtId']}",
                },
            )
            rapport.raise_for_status()
            entry["rapportId"] = rapport.json()["rapportId"]
            log.info("report %s submitted", entry["rapportId"])
        except (httpx.HTTPError, KeyError, ValueError) as error:
            entry["fout"] = f"{type(error).__name__}: {error}"
            log.error("opdracht not handled: %s", error)

    async def unsubscribe(self) -> None:
        """End the subscription. The example does so on exit to leave a sandbox clean; a real
        receiver keeps its subscription (and its stored secret) across restarts: the router
        retries what it could not deliver for about a day, and replays on request."""
        if self.journal.subscription is None:
            return
        answer = await self.http.delete(
            f"{self.config.router_url}/api/v1/subscriptions/{self.journal.subscription}",
            headers=self.config.router.headers(),
        )
        log.info("unsubscribed: %s (%s)", self.journal.subscription, answer.status_code)

    async def status(self, request: web.Request) -> web.Response:
        j = self.journal
        return web.json_response(
            {
                "subscription": j.subscription,
                "received": j.received,
                "rejected": j.rejected,
                "handshakes": j.handshakes,
            }
        )


async def serve(config: Config) -> None:
    aanbieder = Aanbieder(config)
    runner = web.AppRunner(aanbieder.app())
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port)
    await site.start()
    log.info("listening on http://%s:%d", config.host, config.port)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    try:
        # The router calls our webhook during the subscription (the handshake): serve first.
        await aanbieder.subscribe()
        await stop.wait()
        await aanbieder.unsubscribe()
    finally:
        await runner.cleanup()


# -- command line ------------------------------------------------------------------------------


def parse_config(argv: list[str] | None = None) -> Config:
    env = os.environ
    parser = argparse.ArgumentParser(
        prog="python -m examples.aanbieder",
        description="An example aanbieder: subscribe, verify, fetch the opdracht, report.",
    )
    parser.add_argument("--port", type=int, default=int(env.get("AANBIEDER_PORT", "8090")))
    parser.add_argument("--host", default=env.get("AANBIEDER_HOST", "127.0.0.1"))
    parser.add_argument("--sink-url", default=env.get("AANBIEDER_SINK_URL"))
    parser.add_argument(
        "--keten-up",
        metavar="NAAM",
        help="use the credentials `keten up` made for this example aanbieder "
        "(taalschool or map-bureau) instead of the AANBIEDER_* variables",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=Path(
            env.get("KETEN_STATE_DIR")
            or Path(env.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "keten"
        ),
        help="the state directory of `keten up` (default as keten: KETEN_STATE_DIR)",
    )
    args = parser.parse_args(argv)
    if args.keten_up:
        config = config_from_keten_up(args.state_dir, args.keten_up, args.port)
    else:
        missing = [
            name
            for name in (
                "AANBIEDER_ROUTER_URL",
                "AANBIEDER_ROUTER_CLIENT_ID",
                "AANBIEDER_ROUTER_SECRET",
                "AANBIEDER_BRON_URL",
                "AANBIEDER_BRON_CLIENT_ID",
                "AANBIEDER_BRON_SECRET",
            )
            if not env.get(name)
        ]
        if missing:
            parser.error(f"set {', '.join(missing)} (or use --keten-up NAAM)")
        config = Config(
            router_url=env["AANBIEDER_ROUTER_URL"].rstrip("/"),
            router=Credential(env["AANBIEDER_ROUTER_CLIENT_ID"], env["AANBIEDER_ROUTER_SECRET"]),
            bron_url=env["AANBIEDER_BRON_URL"].rstrip("/"),
            bron=Credential(env["AANBIEDER_BRON_CLIENT_ID"], env["AANBIEDER_BRON_SECRET"]),
        )
    updates: dict[str, Any] = {"host": args.host, "port": args.port, "sink_url": args.sink_url}
    if urlsplit(config.router_url).scheme not in ("http", "https"):
        parser.error(f"router URL {config.router_url!r} is not http(s)")
    return Config(**{**config.__dict__, **updates})


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        stream=sys.stdout,
    )
    asyncio.run(serve(parse_config(argv)))
    return 0
