"""Running a service as its own process and schemathesis against it, the same way for every
service (issue 9: fixed seed, at least 50 examples per operation, every phase including the
stateful one, a valid token per role; checks not_a_server_error, response_schema_conformance,
status_code_conformance)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, Final

import httpx

from keten_core.auth import encode_zgw_token
from tests.integration.test_service import free_port

SEED: Final = 20261130
EXAMPLES: Final = 50
CHECKS: Final = "not_a_server_error,response_schema_conformance,status_code_conformance"
BIN: Final = Path(sys.executable).parent


def token(party: Any) -> str:
    return encode_zgw_token(
        party.client_id, party.secret, user_id="schemathesis", lifetime=timedelta(hours=2)
    )


def schemathesis(
    url: str, party: Any, tag: str, report: Path, config: Path, *, timeout_s: int = 1200
) -> subprocess.CompletedProcess[str]:
    """One schemathesis run over the operations tagged ``tag``, as ``party``."""
    return subprocess.run(
        [
            str(BIN / "schemathesis"),
            "--config-file",
            str(config),
            "run",
            f"{url}/openapi.json",
            "--include-tag",
            tag,
            "--checks",
            CHECKS,
            "--seed",
            str(SEED),
            "--max-examples",
            str(EXAMPLES),
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--header",
            f"Authorization: Bearer {token(party)}",
            "--workers",
            "1",
            "--report",
            "ndjson",
            "--report-ndjson-path",
            str(report),
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        cwd=report.parent,  # its cache directory stays out of the work tree
        check=False,
    )


def statuses_per_operation(report: Path) -> dict[str, set[int]]:
    """ "METHOD /path/template" -> every status it answered, from the ndjson event stream (each
    finished scenario records its cases and the interaction of each case)."""
    found: dict[str, set[int]] = defaultdict(set)
    for line in report.read_text(encoding="utf-8").splitlines():
        finished = json.loads(line).get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished["recorder"]
        for case_id, interaction in recorder.get("interactions", {}).items():
            case = recorder["cases"][case_id]["value"]
            if interaction.get("response"):
                label = f"{case['method']} {case['path']}"
                found[label].add(int(interaction["response"]["status_code"]))
    return found


class ServiceProcess:
    """``keten run SERVICE`` as its own process, configured by KETEN_*: started, killed
    (SIGKILL: no shutdown of any kind, as a crashed pod) and started again on the same port."""

    def __init__(
        self,
        service: str,
        *,
        database: str,
        kafka_bootstrap_servers: str,
        oin: str,
        parties: Sequence[Any],
        sleutel: str,
        log_path: Path,
        extra_env: Mapping[str, str] | None = None,
        port: int | None = None,
    ) -> None:
        self.service = service
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.env = {
            **os.environ,
            "KETEN_DATABASE_URL": database,
            "KETEN_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap_servers,
            "KETEN_TOPIC_PREFIX": f"st{self.port}.",
            "KETEN_DEAD_LETTER_TOPIC": f"st{self.port}.deadletter",
            "KETEN_OIN": oin,
            "KETEN_CONTROL_API": "true",
            "KETEN_VERWERKINGSLOG_SLEUTEL": sleutel,
            "KETEN_PARTIES": json.dumps(
                [
                    {**p.model_dump(mode="json"), "secret": p.secret.get_secret_value()}
                    for p in parties
                ]
            ),
            "KETEN_LOG_LEVEL": "WARNING",
            **(extra_env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *, wait_ready: bool = True) -> None:
        log = self.log_path.open("a")
        self.process = subprocess.Popen(
            [str(BIN / "keten"), "run", self.service, "--port", str(self.port)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()  # the child holds its own descriptor
        if wait_ready:
            self.wait_ready()

    def wait_ready(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if httpx.get(f"{self.url}/health/ready", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert self.process is not None and self.process.poll() is None, (
                self.log_path.read_text()
            )
            assert time.monotonic() < deadline, f"{self.service} did not become ready"
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to flush, commit or close anything."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.kill()


@contextmanager
def service_process(service: str, **options: Any) -> Iterator[str]:
    """A ``ServiceProcess`` started and ready; yields its base URL, and stops it afterwards."""
    process = ServiceProcess(service, **options)
    try:
        process.start()
        yield process.url
    finally:
        process.stop()
