"""The webhook subscriber test server (tests/webhook_subscriber.py) as a real process: what it
records, the behaviours it answers with, the CloudEvents validation handshake, surviving a
SIGKILL and a restart on the same port, and the benchmark's light mode."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.webhook_subscriber import SubscriberProcess, subscriber_process

pytestmark = pytest.mark.slow

ORIGIN = "router.inburgering.example.nl"


@pytest.fixture(scope="module")
def shared() -> Iterator[SubscriberProcess]:
    """One process for the module: starting one costs a few hundred milliseconds."""
    with subscriber_process() as subscriber:
        yield subscriber


@pytest.fixture
def subscriber(shared: SubscriberProcess) -> SubscriberProcess:
    shared.reset()
    return shared


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0, trust_env=False) as c:
        yield c


def test_post_is_recorded_with_headers_and_body(subscriber, client):
    event = {"specversion": "1.0", "id": "e-1", "type": "nl.inburgering.test"}
    before = time.time()
    response = client.post(
        subscriber.hook_url,
        content=json.dumps(event),
        headers={"Content-Type": "application/cloudevents+json", "Webhook-Id": "msg_1"},
    )
    assert response.status_code == 200

    [record] = subscriber.wait_for(1)
    assert record["method"] == "POST"
    assert record["path"] == "/hook"
    assert record["status"] == 200
    assert record["headers"]["webhook-id"] == "msg_1"
    assert record["headers"]["content-type"] == "application/cloudevents+json"
    assert json.loads(record["body"]) == event
    assert before <= record["at"] <= time.time()

    subscriber.clear()
    assert subscriber.received() == []


def test_status_and_retry_after_reach_the_client(subscriber, client):
    behaviour = subscriber.behave(status=503, retry_after="7")
    assert behaviour["handshake"] == "echo"  # a partial update keeps the other fields

    response = client.post(subscriber.url + "/elders", content="{}")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "7"
    assert [r["status"] for r in subscriber.received()] == [503]


def test_fail_first_answers_500_then_the_configured_status(subscriber, client):
    subscriber.behave(fail_first=2, status=202)

    statuses = [client.post(subscriber.hook_url, content="{}").status_code for _ in range(4)]

    assert statuses == [500, 500, 202, 202]
    assert [r["status"] for r in subscriber.received()] == statuses


def test_delay_holds_the_answer(subscriber, client):
    subscriber.behave(delay_ms=300)

    started = time.monotonic()
    response = client.post(subscriber.hook_url, content="{}")

    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3


def test_invalid_behaviour_is_refused(subscriber):
    with pytest.raises(ValueError, match="handshake"):
        subscriber.behave(handshake="maybe")
    with pytest.raises(ValueError, match="unknown"):
        subscriber.behave(stauts=500)


def handshake(client: httpx.Client, url: str, **kwargs) -> httpx.Response:
    return client.options(url, headers={"WebHook-Request-Origin": ORIGIN}, **kwargs)


@pytest.mark.parametrize(
    ("mode", "allowed_origin"), [("echo", ORIGIN), ("star", "*")], ids=["echo", "star"]
)
def test_handshake_grants(subscriber, client, mode, allowed_origin):
    subscriber.behave(handshake=mode, allowed_rate="120")

    response = handshake(client, subscriber.hook_url)

    assert response.status_code == 200
    assert response.headers["WebHook-Allowed-Origin"] == allowed_origin
    assert response.headers["WebHook-Allowed-Rate"] == "120"
    assert "POST" in response.headers["Allow"]
    [record] = subscriber.wait_for(1, method="OPTIONS")
    assert record["headers"]["webhook-request-origin"] == ORIGIN
    assert subscriber.received() == []  # a handshake is no delivery


def test_handshake_without_rate_omits_the_header(subscriber, client):
    response = handshake(client, subscriber.hook_url)

    assert response.headers["WebHook-Allowed-Origin"] == ORIGIN
    assert "WebHook-Allowed-Rate" not in response.headers


def test_handshake_refuse(subscriber, client):
    subscriber.behave(handshake="refuse")

    response = handshake(client, subscriber.hook_url)

    assert response.status_code == 403
    assert "WebHook-Allowed-Origin" not in response.headers
    assert [r["status"] for r in subscriber.received("OPTIONS")] == [403]


def test_handshake_silent_never_answers(subscriber, client):
    subscriber.behave(handshake="silent")

    with pytest.raises(httpx.ReadTimeout):
        handshake(client, subscriber.hook_url, timeout=0.3)

    [record] = subscriber.received("OPTIONS")
    assert record["status"] == 0


def test_kill_and_restart_on_the_same_port(client):
    with subscriber_process() as subscriber:
        port = subscriber.port
        subscriber.behave(status=204)
        subscriber.kill()

        assert subscriber.returncode == -9
        with pytest.raises(httpx.ConnectError):
            client.post(subscriber.hook_url, content="{}")

        subscriber.restart()
        assert subscriber.port == port
        # A fresh process: default behaviour, nothing recorded.
        assert client.post(subscriber.hook_url, content="{}").status_code == 200
        assert len(subscriber.wait_for(1)) == 1

    assert subscriber.returncode == 0  # SIGTERM: a clean exit


def test_sigterm_does_not_wait_for_a_held_handshake():
    with subscriber_process() as held:
        held.behave(handshake="silent")
        # A client that keeps waiting: the handshake is still held when SIGTERM comes.
        with socket.create_connection((held.host, held.port)) as waiting:
            request = (
                f"OPTIONS /hook HTTP/1.1\r\nHost: x\r\nWebHook-Request-Origin: {ORIGIN}\r\n\r\n"
            )
            waiting.sendall(request.encode())
            held.wait_for(1, method="OPTIONS")
            started = time.monotonic()
            held.stop()
            assert time.monotonic() - started < 3
        assert held.returncode == 0


def test_light_mode_keeps_id_at_and_status(client):
    with subscriber_process(light=True) as subscriber:
        response = client.post(
            subscriber.hook_url, content="x" * 1000, headers={"webhook-id": "msg_7"}
        )
        assert response.status_code == 200

        [record] = subscriber.wait_for(1)
        assert set(record) == {"id", "at", "status"}
        assert (record["id"], record["status"]) == ("msg_7", 200)
