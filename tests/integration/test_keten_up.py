"""``keten up | status | logs | down`` as a developer runs them: real subprocesses of the
``keten`` command, against the session's Kafka and PostgreSQL (named in the environment, so
they are the operator's: never started or stopped here), in a temporary state directory, as
a chain of its own (``--naam``: fresh databases and topic prefix) on free ports."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from keten_core.auth import Party, ZGWTokenAuth, load_parties_file
from keten_core.chain import CHAIN, ChainConfig, free_port
from tests.integration.test_example_aanbieder import OPDRACHT, dossier_met_pip, until

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(600)]

KETEN = str(Path(sys.executable).with_name("keten"))
ROOT = Path(__file__).resolve().parents[2]


def keten(
    env: dict[str, str], *args: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KETEN, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def rows(output: str) -> dict[str, list[str]]:
    """The table `keten up`/`keten status` print: first column -> the other columns."""
    found: dict[str, list[str]] = {}
    for line in output.splitlines()[1:]:
        cells = line.split()
        if cells:
            found[cells[0]] = cells[1:]
    return found


async def databases(server_url: str, like: str) -> set[str]:
    engine = create_async_engine(server_url)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(
                text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": like}
            )
            return set(result.scalars())
    finally:
        await engine.dispose()


def chain_flow(config: ChainConfig, parties: dict[str, Party], state_dir: Path, log: Path) -> None:
    def auth(client_id: str) -> ZGWTokenAuth:
        return ZGWTokenAuth(client_id, parties[client_id].secret, user_id="medewerker-1")

    port = free_port()
    with log.open("ab") as out:
        example = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "examples.aanbieder",
                "--keten-up",
                "map-bureau",
                "--state-dir",
                str(state_dir),
                "--port",
                str(port),
            ],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:

        def status() -> dict[str, Any] | None:
            assert example.poll() is None, log.read_text()
            try:
                found: dict[str, Any] = httpx.get(f"http://127.0.0.1:{port}/status").json()
            except httpx.TransportError:
                return None
            return found

        until(lambda: (s := status()) and s["subscription"], "the example's subscription")
        with (
            httpx.Client(base_url=config.url("coa-adapter"), timeout=30) as coa,
            httpx.Client(base_url=config.url("dossier-bron"), timeout=30) as bron,
        ):
            did = dossier_met_pip(
                coa,
                bron,
                casemanager=auth("coa-beheer"),
                medewerker=auth("amsterdam-medewerker"),
            )
            opdracht = {**OPDRACHT, "aanbiederOin": parties["map-bureau-bij-bron"].oin}
            given = bron.post(
                f"/api/v1/dossiers/{did}/opdrachten",
                json=opdracht,
                auth=auth("amsterdam-medewerker"),
            )
            assert given.status_code == 201, given.text

            def reported() -> str | None:
                for entry in (status() or {}).get("received", []):
                    assert "fout" not in entry, entry
                    if entry.get("opdrachtId") == given.json()["opdrachtId"]:
                        return entry.get("rapportId")  # type: ignore[no-any-return]
                return None

            rapport_id = until(reported, "the example's report", timeout_s=90)
            rapporten = bron.get(
                f"/api/v1/opdrachten/{given.json()['opdrachtId']}/traject-gestart-rapporten",
                auth=auth("amsterdam-medewerker"),
            )
            assert [r["rapportId"] for r in rapporten.json()] == [rapport_id], rapporten.text
    finally:
        example.terminate()
        example.wait(timeout=10)


@pytest.fixture
def chain_env(
    tmp_path: Path, kafka_bootstrap_servers: str, postgres_server_url: str
) -> Iterator[dict[str, str]]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("KETEN_") and k != "XDG_STATE_HOME"
    }
    env.update(
        {
            "KETEN_STATE_DIR": str(tmp_path / "state"),
            "KETEN_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap_servers,
            "KETEN_DATABASE_URL": postgres_server_url,
            "KETEN_LOG_LEVEL": "INFO",
        }
    )
    try:
        yield env
    finally:
        # Whatever the test left running or created goes, even when it failed half-way.
        keten(env, "down", "--purge")


def test_keten_up_runs_the_chain_and_down_stops_it(
    chain_env: dict[str, str], postgres_server_url: str, tmp_path: Path
) -> None:
    naam = f"t{uuid.uuid4().hex[:8]}"
    up = keten(chain_env, "up", "--naam", naam, "--port-base", "0")
    assert up.returncode == 0, up.stdout + up.stderr
    table = rows(up.stdout)
    state = tmp_path / "state" / "chain"
    config = ChainConfig.from_json(json.loads((state / "chain.json").read_text()))
    assert config.naam == naam
    installed = [s for s in CHAIN if s.installed()]
    assert {s.name for s in installed} >= {
        "coa-adapter",
        "duo-adapter",
        "dossier-bron",
        "notificatie-router",
    }
    for service in CHAIN:
        if not service.installed():
            assert table[service.name][0] == "skipped", up.stdout
            continue
        how, url, pid, log = table[service.name]
        assert how == "started" and url == config.url(service.name), up.stdout
        assert Path(log).is_file() and (state / f"{service.name}.pid").read_text().strip() == pid
        # A real HTTP call to its readiness endpoint, on the port the table names.
        answer = httpx.get(url + "/health/ready", timeout=5)
        assert answer.status_code == 200 and answer.json()["status"] == "ok", answer.text

    # Its own databases on the shared server, none of the default chain's.
    ours = asyncio.run(databases(postgres_server_url, f"keten_{naam}_%"))
    assert ours == {config.database(s.name) for s in installed}

    # The generated registry works: a gemeente's credential is accepted at dossier-bron, and
    # a credential made for dossier-bron is refused at coa-adapter (one per service).
    parties = {p.client_id: p for p in load_parties_file(state / "parties.json")}
    medewerker = parties["amsterdam-medewerker"]
    auth = ZGWTokenAuth(medewerker.client_id, medewerker.secret, user_id="test")
    bron = httpx.get(config.api("dossier-bron") + "/dossiers", auth=auth, timeout=10)
    assert bron.status_code == 200, bron.text
    coa = httpx.get(config.api("coa-adapter") + "/koppelingen", auth=auth, timeout=10)
    assert coa.status_code == 401, coa.text
    assert oct((state / "parties.json").stat().st_mode & 0o777) == "0o600"
    assert oct((state / "secrets.json").stat().st_mode & 0o777) == "0o600"

    # The services reach each other with the generated credentials: COA's koppeling opens a
    # dossier at dossier-bron, whose opdracht reaches the example aanbieder (run with the
    # credentials `keten up` made for it) through the router; its report lands at the source.
    chain_flow(config, parties, tmp_path / "state", tmp_path / "example.log")

    # Idempotent: a second `keten up` finds every service running, same pids, same secrets.
    secrets_before = (state / "secrets.json").read_text()
    again = keten(chain_env, "up")
    assert again.returncode == 0, again.stdout + again.stderr
    for service in installed:
        assert rows(again.stdout)[service.name][:3] == [
            "already",
            "running",
            table[service.name][1],
        ]
        assert rows(again.stdout)[service.name][3] == table[service.name][2]
    assert (state / "secrets.json").read_text() == secrets_before

    status = keten(chain_env, "status")
    assert status.returncode == 0, status.stdout + status.stderr
    shown = rows(status.stdout)
    assert shown["kafka"][0] == "up" and shown["postgres"][0] == "up"
    assert all(shown[s.name][0] == "up" for s in installed), status.stdout

    logs = keten(chain_env, "logs", "dossier-bron", "-n", "3")
    assert logs.returncode == 0, logs.stderr
    assert len(logs.stdout.splitlines()) == 3
    assert "/health/ready" in (state / "dossier-bron.log").read_text()
    assert keten(chain_env, "logs", "geen-dienst").returncode != 0

    # One service down: status says so and fails.
    down_one = keten(chain_env, "down", "duo-adapter")
    assert down_one.returncode == 0 and "stopped" in down_one.stdout
    status = keten(chain_env, "status")
    assert status.returncode == 1
    assert rows(status.stdout)["duo-adapter"][0] == "down"
    assert rows(status.stdout)["dossier-bron"][0] == "up"
    with pytest.raises(httpx.TransportError):
        httpx.get(config.url("duo-adapter") + "/health/live", timeout=2)

    # All down; the operator's servers stay up.
    down = keten(chain_env, "down")
    assert down.returncode == 0, down.stdout + down.stderr
    status = keten(chain_env, "status")
    assert status.returncode == 1
    shown = rows(status.stdout)
    assert all(shown[s.name][0] == "down" for s in installed), status.stdout
    assert shown["kafka"][0] == "up" and shown["postgres"][0] == "up"
    for service in installed:
        assert not (state / f"{service.name}.pid").exists()
        with pytest.raises(httpx.TransportError):
            httpx.get(config.url(service.name) + "/health/live", timeout=2)

    # Purge: the chain's databases and files go.
    purge = keten(chain_env, "down", "--purge")
    assert purge.returncode == 0, purge.stdout + purge.stderr
    assert asyncio.run(databases(postgres_server_url, f"keten_{naam}_%")) == set()
    assert not (state / "parties.json").exists()
