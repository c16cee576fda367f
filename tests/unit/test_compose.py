"""docker-compose.yml: Kafka, PostgreSQL and the five services from the project's one image.

No Docker engine runs here, so `docker-compose config` (Debian's docker-compose, installed by
dev/setup: missing, this fails) validates and normalises the file; then each service's
environment is checked against the settings the service reads, and each service's composition
root is built from it (settings, party registry, credentials and keys parsed as at start-up)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url

from keten_core.auth import check_unique_credentials, load_parties_file
from keten_core.run import load_service
from keten_core.settings import SERVICES, KetenSettings, service_database
from tests.unit.test_helm_chart import KNOWN

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
PARTIES_IN_IMAGE = "/etc/keten/parties.json"


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    compose = shutil.which("docker-compose")
    if compose is None:
        pytest.fail("docker-compose is missing: ./dev/setup installs it (Debian's package)")
    done = subprocess.run(
        [compose, "--file", str(COMPOSE), "--project-directory", str(ROOT), "config"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


def test_the_file_runs_kafka_postgres_and_every_service_from_one_image(config):
    services = config["services"]
    assert set(services) == {"kafka", "postgres", "demo", *SERVICES}
    images = {services[name]["image"] for name in (*SERVICES, "demo")}
    assert images == {"keten:local"}, "one image for every service"
    for name in SERVICES:
        service = services[name]
        assert Path(service["build"]["context"]) == ROOT
        assert service["command"] == ["run", name]
        assert service["depends_on"] == {
            "kafka": {"condition": "service_healthy"},
            "postgres": {"condition": "service_healthy"},
        }
        assert "/health/ready" in " ".join(service["healthcheck"]["test"])
        # Reachable from this machine only.
        for port in service["ports"]:
            assert port.startswith("127.0.0.1:"), (name, port)
    for port in (*services["kafka"]["ports"], *services["postgres"]["ports"]):
        assert port.startswith("127.0.0.1:")


def test_every_variable_is_a_setting_the_service_reads(config):
    for name in SERVICES:
        environment = config["services"][name]["environment"]
        for variable in environment:
            assert variable in KNOWN, f"{name}: {variable} is no setting of the kit or service"
        # The same shape the Helm chart gives (deploy/helm): the party registry as a file.
        assert environment["KETEN_PARTIES_FILE"] == PARTIES_IN_IMAGE


def test_each_service_has_its_own_database_made_by_the_init_script(config):
    created = set(
        re.findall(
            r"^CREATE DATABASE (\w+);",
            (ROOT / "deploy/compose/init-databases.sql").read_text(),
            re.MULTILINE,
        )
    )
    for name in SERVICES:
        url = make_url(config["services"][name]["environment"]["KETEN_DATABASE_URL"])
        assert url.drivername == "postgresql+asyncpg"
        assert url.host == "postgres"
        assert url.database == service_database(name)
        assert url.database in created


def test_credentials_match_the_registry_and_the_public_urls(config):
    parties = load_parties_file(ROOT / "deploy/compose/parties.json")
    check_unique_credentials(parties)
    by_id = {p.client_id: p for p in parties}
    services = config["services"]
    public = {
        name: services[name]["environment"]["KETEN_PUBLIC_URL"].rstrip("/") for name in SERVICES
    }
    for name, url in public.items():
        # Datarefs point at the service's name on the compose network, where the others are.
        assert urlsplit(url).hostname == name, (name, url)
    for name in SERVICES:
        environment = services[name]["environment"]
        for bron in json.loads(environment.get("KETEN_BRONNEN", "[]")):
            target = urlsplit(bron["base_url"]).hostname
            assert bron["base_url"].startswith(public[target] + "/"), (name, bron["base_url"])
            party = by_id[bron["client_id"]]
            assert party.service == target, (name, bron["client_id"])
            assert party.secret.get_secret_value() == bron["secret"], (name, bron["client_id"])
        for variable in ("KETEN_ROUTER_SLEUTELS", "KETEN_CBS_SLEUTELS"):
            if variable in environment:
                for key in environment[variable].split(","):
                    Fernet(key)  # a valid key
        sleutel = environment.get("KETEN_VERWERKINGSLOG_SLEUTEL")
        assert sleutel is None or len(sleutel.encode()) >= 32, name
    assert {p.service for p in parties} == set(SERVICES), "every service has its clients"


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_builds_from_its_compose_environment(config, name, monkeypatch):
    """The composition root, from exactly the file's environment (the parties file at its path
    in this checkout): what `keten run` parses at start-up is accepted. Nothing connects."""
    for variable in list(os.environ):
        if variable.startswith("KETEN_"):
            monkeypatch.delenv(variable)
    environment = dict(config["services"][name]["environment"])
    environment["KETEN_PARTIES_FILE"] = str(ROOT / "deploy/compose/parties.json")
    for variable, value in environment.items():
        monkeypatch.setenv(variable, str(value))
    settings = KetenSettings().model_copy(update={"service_name": name})
    service = load_service(name, settings)
    assert service.settings.base_url == f"http://{name}:8000"
