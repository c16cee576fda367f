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


@contextmanager
def service_process(
    service: str,
    *,
    database: str,
    kafka_bootstrap_servers: str,
    oin: str,
    parties: Sequence[Any],
    sleutel: str,
    log_path: Path,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """``keten run SERVICE`` as its own process with the control API on, configured by KETEN_*;
    yields its base URL once it is ready, and stops it afterwards."""
    port = free_port()
    env = {
        **os.environ,
        "KETEN_DATABASE_URL": database,
        "KETEN_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap_servers,
        "KETEN_TOPIC_PREFIX": f"st{port}.",
        "KETEN_DEAD_LETTER_TOPIC": f"st{port}.deadletter",
        "KETEN_OIN": oin,
        "KETEN_CONTROL_API": "true",
        "KETEN_VERWERKINGSLOG_SLEUTEL": sleutel,
        "KETEN_PARTIES": json.dumps(
            [{**p.model_dump(mode="json"), "secret": p.secret.get_secret_value()} for p in parties]
        ),
        "KETEN_LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(BIN / "keten"), "run", service, "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{url}/health/ready", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert process.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, f"{service} did not become ready"
                time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
