"""A real webhook subscriber in its own process, for the notificatie-router's integration tests
and benchmark: it records what the router POSTs, answers with a behaviour the test sets, and
answers the CloudEvents webhook validation handshake (HTTP 1.1 Web Hooks for Event Delivery,
section 4 "Abuse Protection").

Server: ``python -m tests.webhook_subscriber --port N [--host 127.0.0.1] [--light]``, run from
the repository root.

- ``POST`` on any path not starting with ``/_``: recorded, answered per the behaviour.
- ``OPTIONS`` with ``WebHook-Request-Origin``: the validation handshake, recorded too.
- ``PUT /_gedrag`` (partial JSON update; ``GET`` reads it), ``GET``/``DELETE /_ontvangen``
  (``?method=POST`` or ``OPTIONS`` filters), ``GET /_gezond`` (readiness).

Test side: :class:`SubscriberProcess` and :func:`subscriber_process`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from aiohttp import web

REPO_ROOT = Path(__file__).resolve().parent.parent

HANDSHAKE_MODES = ("echo", "star", "refuse", "silent")

DEFAULT_BEHAVIOUR: dict[str, Any] = {
    "status": 200,
    "retry_after": None,
    "delay_ms": 0,
    "handshake": "echo",
    "allowed_rate": None,
    "fail_first": 0,
    # Bytes of body in a POST's answer (many real subscribers answer 200 with a JSON body).
    "body_bytes": 0,
}

# How long a "silent" handshake holds the request when the client does not give up first.
SILENT_MAX_S = 60.0


# --- server ---------------------------------------------------------------------------------


def _check_behaviour(update: Any) -> dict[str, Any]:
    """The update if every field is known and well typed; ValueError (-> 400) otherwise."""
    if not isinstance(update, dict):
        raise ValueError("body must be a JSON object")
    unknown = set(update) - set(DEFAULT_BEHAVIOUR)
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    for name in ("status", "delay_ms", "fail_first", "body_bytes"):
        # bool is an int subclass; True as a status is a mistake, not 1.
        value = update.get(name, 0)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{name} must be a non-negative integer")
    if "status" in update and not 100 <= update["status"] <= 599:
        raise ValueError("status must be an HTTP status code")
    for name in ("retry_after", "allowed_rate"):
        if update.get(name) is not None and not isinstance(update[name], str):
            raise ValueError(f"{name} must be a string or null")
    if "handshake" in update and update["handshake"] not in HANDSHAKE_MODES:
        raise ValueError(f"handshake must be one of {HANDSHAKE_MODES}")
    return update


class Subscriber:
    """The server's state: the behaviour and the records, POSTs and handshakes apart (so a
    filtered read needs no scan and light records need no method field)."""

    def __init__(self, *, light: bool = False) -> None:
        self.light = light
        self.behaviour = dict(DEFAULT_BEHAVIOUR)
        self.fail_remaining = 0
        self.posts: list[dict[str, Any]] = []
        self.handshakes: list[dict[str, Any]] = []

    def app(self) -> web.Application:
        app = web.Application()
        # Control routes first: the catch-all below would otherwise take them.
        app.router.add_get("/_gezond", self.gezond)
        app.router.add_get("/_gedrag", self.lees_gedrag)
        app.router.add_put("/_gedrag", self.zet_gedrag)
        app.router.add_get("/_ontvangen", self.ontvangen)
        app.router.add_delete("/_ontvangen", self.wis)
        app.router.add_route("*", "/{tail:.*}", self.hook)
        return app

    async def gezond(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "light": self.light})

    async def lees_gedrag(self, request: web.Request) -> web.Response:
        return web.json_response({**self.behaviour, "fail_remaining": self.fail_remaining})

    async def zet_gedrag(self, request: web.Request) -> web.Response:
        try:
            update = _check_behaviour(await request.json())
        except ValueError as exc:  # json.JSONDecodeError is a ValueError too
            return web.json_response({"error": str(exc)}, status=400)
        self.behaviour.update(update)
        if "fail_first" in update:
            self.fail_remaining = update["fail_first"]
        return await self.lees_gedrag(request)

    async def ontvangen(self, request: web.Request) -> web.Response:
        method = request.query.get("method", "").upper()
        if method == "POST":
            records = self.posts
        elif method == "OPTIONS":
            records = self.handshakes
        elif not method:
            records = sorted([*self.posts, *self.handshakes], key=lambda r: r["at"])
        else:
            return web.json_response({"error": f"unknown method {method}"}, status=400)
        return web.json_response(records)

    async def wis(self, request: web.Request) -> web.Response:
        self.posts.clear()
        self.handshakes.clear()
        return web.Response(status=204)

    async def hook(self, request: web.Request) -> web.StreamResponse:
        at = time.time()
        if request.path.startswith("/_"):
            raise web.HTTPNotFound()
        if request.method == "POST":
            return await self._post(request, at)
        if request.method == "OPTIONS":
            return await self._handshake(request, at)
        raise web.HTTPMethodNotAllowed(request.method, ["POST", "OPTIONS"])

    async def _post(self, request: web.Request, at: float) -> web.Response:
        body = await request.read()  # read even in light mode: drains the keep-alive stream
        behaviour = self.behaviour
        if self.fail_remaining > 0:
            self.fail_remaining -= 1
            status = 500
        else:
            status = behaviour["status"]
        if self.light:
            self.posts.append({"id": request.headers.get("webhook-id"), "at": at, "status": status})
        else:
            self.posts.append(
                {
                    "method": "POST",
                    "path": request.path,
                    "headers": {k.lower(): v for k, v in request.headers.items()},
                    "body": body.decode("utf-8", "replace"),
                    "status": status,
                    "at": at,
                    # The client's port: the same port again is a reused keep-alive connection.
                    "peer": (request.transport.get_extra_info("peername") or (None, None))[1]
                    if request.transport
                    else None,
                }
            )
        if behaviour["delay_ms"]:
            await asyncio.sleep(behaviour["delay_ms"] / 1000)
        headers = {}
        if behaviour["retry_after"] is not None:
            headers["Retry-After"] = behaviour["retry_after"]
        return web.Response(status=status, headers=headers)

    async def _handshake(self, request: web.Request, at: float) -> web.Response:
        behaviour = self.behaviour
        origin = request.headers.get("WebHook-Request-Origin")
        # The spec's OPTIONS answer names the methods the resource takes (POST).
        headers = {"Allow": "POST, OPTIONS"}
        if origin is None:
            status = 400  # not a validation request: the origin header is mandatory
        elif behaviour["handshake"] == "refuse":
            status = 403
        elif behaviour["handshake"] == "silent":
            status = 0  # recorded as never answered
        else:
            status = 200
            headers["WebHook-Allowed-Origin"] = origin if behaviour["handshake"] == "echo" else "*"
            if behaviour["allowed_rate"] is not None:
                headers["WebHook-Allowed-Rate"] = behaviour["allowed_rate"]
        self.handshakes.append(
            {
                "method": "OPTIONS",
                "path": request.path,
                "headers": {k.lower(): v for k, v in request.headers.items()},
                "body": (await request.read()).decode("utf-8", "replace"),
                "status": status,
                "at": at,
            }
        )
        if status == 0:
            await _hold_until_gone(request)
            # Still connected after SILENT_MAX_S: answer without consent.
            return web.Response(status=504, headers={"Allow": "POST, OPTIONS"})
        return web.Response(status=status, headers=headers, body=b"k" * behaviour["body_bytes"])


async def _hold_until_gone(request: web.Request) -> None:
    """Sleep until the client closes the connection or SILENT_MAX_S passes (aiohttp does not
    cancel handlers on disconnect unless told to, so watch the transport)."""
    deadline = time.monotonic() + SILENT_MAX_S
    while time.monotonic() < deadline:
        transport = request.transport
        if transport is None or transport.is_closing():
            return
        await asyncio.sleep(0.05)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--light", action="store_true", help="keep only id, at, status")
    args = parser.parse_args(argv)
    web.run_app(
        Subscriber(light=args.light).app(),
        host=args.host,
        port=args.port,
        # The benchmark opens many connections at once; per-request logging costs throughput.
        backlog=1024,
        access_log=None,
        print=None,
        # SIGTERM must not wait for a held ("silent") handshake.
        shutdown_timeout=0.5,
    )


# --- test side ------------------------------------------------------------------------------


class SubscriberProcess:
    """The subscriber server as a child process, with its control API as methods."""

    def __init__(self, port: int | None = None, *, host: str = "127.0.0.1", light: bool = False):
        if port is None:
            # Imported here: the integration module is heavy and only needed without a port.
            from tests.integration.test_service import free_port

            port = free_port()
        self.host = host
        self.port = port
        self.light = light
        self._process: subprocess.Popen[bytes] | None = None
        self._output: Any = None
        self._client: httpx.Client | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def hook_url(self) -> str:
        return self.url + "/hook"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def returncode(self) -> int | None:
        """The exit code of the last process (None while it runs): 0 after SIGTERM, -9 after
        SIGKILL."""
        return None if self._process is None else self._process.poll()

    def start(self, timeout_s: float = 10.0) -> SubscriberProcess:
        """Spawn the server and wait until ``/_gezond`` answers; RuntimeError with the
        process output if it does not within ``timeout_s``."""
        if self.running:
            raise RuntimeError(f"subscriber already running on {self.url}")
        command = [sys.executable, "-m", "tests.webhook_subscriber"]
        command += ["--port", str(self.port), "--host", self.host]
        if self.light:
            command.append("--light")
        # A file, not a pipe: nobody reads while it runs, and a full pipe would block the server.
        self._output = tempfile.TemporaryFile()  # closed in _reap
        self._process = subprocess.Popen(
            command, cwd=REPO_ROOT, stdout=self._output, stderr=subprocess.STDOUT
        )
        self._client = httpx.Client(base_url=self.url, timeout=5.0, trust_env=False)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            try:
                if self._client.get("/_gezond", timeout=0.5).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        output = self._read_output()
        self.kill()
        raise RuntimeError(f"subscriber on {self.url} did not become ready:\n{output}")

    def stop(self, timeout_s: float = 5.0) -> None:
        """SIGTERM, then SIGKILL if it has not exited within ``timeout_s``."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._reap()

    def kill(self) -> None:
        """SIGKILL: the subscriber vanishes mid-whatever, as a crashed one would."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._reap()

    def restart(self) -> SubscriberProcess:
        """Stop (if running) and start again on the same port; records start empty."""
        self.stop()
        return self.start()

    def behave(self, **fields: Any) -> dict[str, Any]:
        """Set behaviour fields (see ``DEFAULT_BEHAVIOUR``); returns the whole behaviour."""
        response = self._control().put("/_gedrag", json=fields)
        if response.status_code != 200:
            raise ValueError(f"behaviour {fields} refused: {response.text}")
        return response.json()

    def reset(self) -> None:
        """Default behaviour and no records, as after a fresh start."""
        self.behave(**DEFAULT_BEHAVIOUR)
        self.clear()

    def received(self, method: str | None = "POST") -> list[dict[str, Any]]:
        """Records of ``method`` requests (None: all), in order of receipt."""
        params = {"method": method} if method else {}
        response = self._control().get("/_ontvangen", params=params)
        response.raise_for_status()
        return response.json()

    def clear(self) -> None:
        self._control().delete("/_ontvangen").raise_for_status()

    def wait_for(
        self, count: int, timeout_s: float = 10.0, method: str = "POST"
    ) -> list[dict[str, Any]]:
        """At least ``count`` records of ``method``; AssertionError listing what did arrive."""
        deadline = time.monotonic() + timeout_s
        while True:
            records = self.received(method)
            if len(records) >= count:
                return records
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"expected {count} {method} requests within {timeout_s} s, "
                    f"got {len(records)}: {json.dumps(records, indent=1)[:4000]}"
                )
            time.sleep(0.02)

    def output(self) -> str:
        """What the server process printed so far (stdout and stderr)."""
        return self._read_output()

    def _control(self) -> httpx.Client:
        if self._client is None:
            raise RuntimeError("subscriber not started")
        return self._client

    def _read_output(self) -> str:
        if self._output is None:
            return ""
        self._output.seek(0)
        return self._output.read().decode("utf-8", "replace")

    def _reap(self) -> None:
        # A pooled connection to the dead server is useless after a restart.
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._output is not None:
            self._output.close()
            self._output = None

    def __enter__(self) -> SubscriberProcess:
        if not self.running:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


@contextmanager
def subscriber_process(**kwargs: Any) -> Iterator[SubscriberProcess]:
    """A started :class:`SubscriberProcess` (``port``, ``host``, ``light``), stopped after."""
    subscriber = SubscriberProcess(**kwargs)
    subscriber.start()
    try:
        yield subscriber
    finally:
        subscriber.stop()


if __name__ == "__main__":
    main()
