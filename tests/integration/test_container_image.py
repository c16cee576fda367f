"""The project's one container image, built and run as chain testers run the simulators.

No Docker engine runs here and containers cannot be started (the OCI runtime's setrlimit is
refused in this sandbox), so the test does what it can do for real:

1. a Debian bookworm base (``debootstrap --variant=minbase``, the tarball cached under
   ``${XDG_CACHE_HOME:-~/.cache}/keten``), imported with ``podman import``, since no base image
   can be pulled;
2. the image built from the project's Dockerfile with ``podman build --isolation chroot`` on
   that base (``BASE_IMAGE`` build argument; python3 comes from apt inside the build);
3. the image's filesystem exported (``podman create`` + ``podman export``) and coa-adapter and
   duo-adapter started from it with chroot, as the image would start them: its entrypoint, its
   environment, its user, on the host's loopback;
4. the reference journeys (``scenarios/*.yaml``) run against those two, with the gemeente
   stand-in from this checkout and the project's Kafka and PostgreSQL, and every read of
   personal data found in the adapters' processing logs (as
   ``tests/integration/test_reference_scenarios.py`` does with ``keten run``);
5. dossier-bron, notificatie-router and cbs-leverancier started from it the same way, each with
   its environment from docker-compose.yml (hosts and ports moved to this machine), until their
   migrations have run and they serve their API.

podman and debootstrap are the project's own tools (``dev/setup`` installs them), so their
absence fails this test instead of skipping it. Building needs root (debootstrap, chroot).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from keten_core.settings import SERVICES
from keten_core.testing import fresh_database
from tests.integration.test_reference_scenarios import (
    ADAPTERS,
    assert_every_read_logged,
    print_logs,
    process,
    run_journeys,
)
from tests.integration.test_service import free_port

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(1500)]

ROOT = Path(__file__).resolve().parents[2]
SUITE = "bookworm"
# Any Debian mirror reachable from here; the base tarball is cached per suite and mirror.
MIRROR = os.environ.get("KETEN_DEBIAN_MIRROR", "http://deb.debian.org/debian")
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "keten"
IMAGE = "localhost/keten:test"


def tool(name: str) -> str:
    """A tool dev/setup installs: missing is a failure, not a reason to skip."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if found is None:
        pytest.fail(f"{name} is missing: ./dev/setup installs it (apt-get install {name})")
    return found


def run(argv: list[str], *, timeout: float, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=timeout, check=False, **kwargs
    )
    if done.returncode != 0:
        pytest.fail(
            f"{' '.join(argv[:4])} ... exited {done.returncode}:\n"
            f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        )
    return done


def base_tarball() -> Path:
    """The minimal Debian root filesystem as a tarball, made once (about 20-40 s)."""
    key = hashlib.sha256(f"{SUITE} {MIRROR}".encode()).hexdigest()[:10]
    tarball = CACHE / f"debian-{SUITE}-minbase-{key}.tar"
    if tarball.exists():
        return tarball
    CACHE.mkdir(parents=True, exist_ok=True)
    rootfs = CACHE / f"debootstrap-{os.getpid()}"
    shutil.rmtree(rootfs, ignore_errors=True)
    try:
        started = time.monotonic()
        run(
            [tool("debootstrap"), "--variant=minbase", SUITE, str(rootfs), MIRROR],
            timeout=900,
        )
        # Downloaded packages are no part of a base (debootstrap usually removes them).
        for package in (rootfs / "var/cache/apt/archives").glob("*.deb"):
            package.unlink()
        partial = tarball.with_suffix(".partial")
        run(["tar", "-C", str(rootfs), "-cf", str(partial), "."], timeout=300)
        partial.rename(tarball)
        print(f"debootstrap {SUITE} minbase: {time.monotonic() - started:.0f} s")
    finally:
        shutil.rmtree(rootfs, ignore_errors=True)
    return tarball


def base_image(podman: str) -> str:
    """The tarball as a local image, named by its content: imported once, so the build's layer
    cache (keyed by the base image) keeps working across runs."""
    tarball = base_tarball()
    digest = hashlib.sha256()
    with tarball.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    name = f"localhost/keten-base:{SUITE}-{digest.hexdigest()[:12]}"
    exists = subprocess.run([podman, "image", "exists", name], check=False, timeout=60)
    if exists.returncode != 0:
        run([podman, "import", str(tarball), name], timeout=300)
    return name


def ca_bundle() -> str | None:
    """The CA bundle pip trusts here (a network whose TLS is inspected needs it in the build)."""
    for candidate in (
        os.environ.get("PIP_CERT"),
        os.environ.get("SSL_CERT_FILE"),
        os.environ.get("REQUESTS_CA_BUNDLE"),
        "/etc/ssl/certs/ca-certificates.crt",
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def build_image(podman: str) -> None:
    before = subprocess.run(
        [podman, "image", "inspect", "--format", "{{.Id}}", IMAGE],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    ).stdout.strip()
    argv = [podman, "build", "--isolation", "chroot", "--layers", "-t", IMAGE]
    argv += ["--build-arg", f"BASE_IMAGE={base_image(podman)}"]
    if os.environ.get("PIP_INDEX_URL"):
        argv += ["--build-arg", f"PIP_INDEX_URL={os.environ['PIP_INDEX_URL']}"]
    if bundle := ca_bundle():
        argv += ["--secret", f"id=ca,src={bundle}"]
    started = time.monotonic()
    run([*argv, str(ROOT)], timeout=1200)
    print(f"podman build: {time.monotonic() - started:.0f} s")
    after = subprocess.run(
        [podman, "image", "inspect", "--format", "{{.Id}}", IMAGE],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    ).stdout.strip()
    if before and before != after:
        # The image this run replaced (its layers are not the build cache): free the disk.
        subprocess.run([podman, "rmi", before], capture_output=True, check=False, timeout=120)


@pytest.fixture(scope="module")
def image_root(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Path, dict[str, Any]]]:
    """The image's filesystem, exported, and its configuration (entrypoint, env, user); removed
    afterwards (half a gigabyte)."""
    if os.geteuid() != 0:
        pytest.fail("building the image needs root (debootstrap, podman, chroot)")
    podman = tool("podman")
    tool("debootstrap")  # needed whenever the cached base is gone: its absence is a failure now
    build_image(podman)
    config = json.loads(
        run([podman, "image", "inspect", "--format", "{{json .Config}}", IMAGE], timeout=60).stdout
    )
    root = tmp_path_factory.mktemp("image") / "rootfs"
    root.mkdir()
    container = run([podman, "create", IMAGE], timeout=120).stdout.strip()
    try:
        with subprocess.Popen([podman, "export", container], stdout=subprocess.PIPE) as export:
            assert export.stdout is not None
            subprocess.run(["tar", "-C", str(root), "-x"], stdin=export.stdout, check=True)
        assert export.returncode == 0
    finally:
        subprocess.run([podman, "rm", container], capture_output=True, check=False, timeout=120)
    try:
        yield root, config
    finally:
        shutil.rmtree(root, ignore_errors=True)


def image_command(root: Path, config: Mapping[str, Any], *args: str) -> list[str]:
    """What the container runtime would execute for ``podman run IMAGE args``: the image's
    entrypoint (found on the image's PATH), as the image's user, inside its filesystem."""
    env = dict(item.split("=", 1) for item in config["Env"])
    entrypoint = list(config["Entrypoint"])
    if "/" not in entrypoint[0]:
        for directory in env["PATH"].split(":"):
            if (root / directory.lstrip("/") / entrypoint[0]).exists():
                entrypoint[0] = f"{directory}/{entrypoint[0]}"
                break
    user = config["User"]
    userspec = user if ":" in user else f"{user}:{user}"
    return [tool("chroot"), f"--userspec={userspec}", str(root), *entrypoint, *args]


def image_process(
    name: str,
    root: Path,
    config: Mapping[str, Any],
    args: list[str],
    env: Mapping[str, str],
    logs: Path,
    ready: str,
) -> Any:
    """``args`` run from the image's filesystem with the image's environment plus ``env`` (and
    nothing of this process's own), ready when ``ready`` answers 200."""
    image_env = dict(item.split("=", 1) for item in config["Env"])
    return process(
        name,
        image_command(root, config, *args),
        env,
        logs,
        ready,
        base_env=image_env,
        timeout_s=120,
    )


def test_the_image_runs_every_service_command_as_its_user(image_root):
    root, config = image_root
    assert config["Entrypoint"] == ["keten"]
    assert config["User"] == "10001", "the image runs as an unprivileged user"
    image_env = dict(item.split("=", 1) for item in config["Env"])
    helped = run(image_command(root, config, "run", "--help"), timeout=120, env=image_env)
    for service in ("coa-adapter", "duo-adapter", "dossier-bron", "notificatie-router"):
        assert service in helped.stdout
    # Every service's composition root imports from the installed image (no source checkout).
    probe = (
        "import importlib;"
        "[importlib.import_module(s + '.main').build_service for s in "
        "('coa_adapter', 'duo_adapter', 'dossier_bron', 'notificatie_router')];"
        "import keten_contracts, coa_adapter; print(coa_adapter.__file__)"
    )
    python = [*image_command(root, config)[:3], "/opt/keten/bin/python", "-c", probe]
    located = run(python, timeout=120, env=image_env)
    assert located.stdout.startswith("/opt/keten/lib/"), located.stdout


def run_journeys_from_the_image(
    root: Path,
    config: Mapping[str, Any],
    databases: Mapping[str, str],
    kafka_bootstrap_servers: str,
    logs: Path,
) -> list[dict[str, Any]]:
    """coa-adapter and duo-adapter from the image, the stand-in from this checkout, both
    reference scenarios; every request the runner sent (``--json``)."""

    def from_image(service: str, env: dict[str, str], logs: Path, ready: str) -> Any:
        # Loopback only: the image's default (0.0.0.0) is for a container's own network.
        env = {**env, "KETEN_HTTP_HOST": "127.0.0.1"}
        return image_process(service, root, config, ["run", service], env, logs, ready)

    return run_journeys(databases, kafka_bootstrap_servers, logs, start=from_image, naam="img")


async def test_the_simulators_from_the_image_pass_the_reference_journeys(
    image_root, postgres_server_url: str, kafka_bootstrap_servers: str, tmp_path: Path
) -> None:
    root, config = image_root
    logs = tmp_path / "logs"
    logs.mkdir()
    failed = True
    async with (
        fresh_database(postgres_server_url) as coa_db,
        fresh_database(postgres_server_url) as duo_db,
    ):
        databases = {"coa-adapter": coa_db, "duo-adapter": duo_db}
        try:
            verzoeken = await asyncio.to_thread(
                run_journeys_from_the_image,
                root,
                config,
                databases,
                kafka_bootstrap_servers,
                logs,
            )
            # The adapters ran from the image: their logs say so (not from this checkout).
            for service in ADAPTERS:
                assert (logs / f"{service}.log").stat().st_size > 0
            await assert_every_read_logged(verzoeken, databases)
            failed = False
        finally:
            if failed:
                print_logs(logs)


# The services the journeys above do not start: each from the image with its docker-compose.yml
# environment, as `docker compose up` would run it (hosts and ports moved to this machine).
OTHERS = [s for s in SERVICES if s not in ADAPTERS]


@pytest.mark.parametrize("service", OTHERS)
async def test_the_other_services_start_from_the_image_with_their_compose_settings(
    image_root,
    service: str,
    postgres_server_url: str,
    kafka_bootstrap_servers: str,
    tmp_path: Path,
) -> None:
    if not (ROOT / "services" / service.replace("-", "_") / "main.py").exists():
        pytest.skip(f"{service} is not in this checkout yet")
    root, config = image_root
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    env = {k: str(v) for k, v in compose["services"][service]["environment"].items()}
    # The compose file mounts the party registry there.
    (root / "etc" / "keten").mkdir(exist_ok=True)
    shutil.copy(ROOT / "deploy" / "compose" / "parties.json", root / "etc/keten/parties.json")
    port = free_port()
    prefix = f"img{secrets.token_hex(4)}."
    logs = tmp_path / "logs"
    logs.mkdir()
    async with fresh_database(postgres_server_url) as database:
        env |= {
            "KETEN_DATABASE_URL": database,
            "KETEN_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap_servers,
            "KETEN_TOPIC_PREFIX": prefix,
            "KETEN_DEAD_LETTER_TOPIC": f"{prefix}deadletter",
            "KETEN_HTTP_HOST": "127.0.0.1",
            "KETEN_HTTP_PORT": str(port),
            "KETEN_PUBLIC_URL": f"http://127.0.0.1:{port}",
        }
        url = f"http://127.0.0.1:{port}"

        def start_and_ask() -> tuple[int, dict[str, Any]]:
            with image_process(
                service, root, config, ["run", service], env, logs, url + "/health/ready"
            ):
                document = httpx.get(url + "/openapi.json", timeout=10)
                live = httpx.get(url + "/health/live", timeout=10)
                return live.status_code, document.json()

        try:
            live, document = await asyncio.to_thread(start_and_ask)
        except BaseException:
            print_logs(logs)
            raise
    assert live == 200
    # Migrated and serving its own API (not a stub): its document has its operations.
    assert len(document["paths"]) > 3, sorted(document["paths"])
