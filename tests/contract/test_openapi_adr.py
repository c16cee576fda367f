"""Every service's committed OpenAPI document passes our NL API Design Rules ruleset
(``dev/spectral/adr.yaml``, run by the Spectral that ``./dev/setup`` installs), and the ruleset
catches each rule it claims: a document that breaks one rule gets that rule's finding.

By hand: ``dev/spectral/node_modules/.bin/spectral lint -r dev/spectral/adr.yaml
services/*/openapi.json``.
"""

from __future__ import annotations

import copy
import json
import subprocess
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parents[2]
SPECTRAL = ROOT / "dev" / "spectral" / "node_modules" / ".bin" / "spectral"
RULESET = ROOT / "dev" / "spectral" / "adr.yaml"
SERVICES = ("coa_adapter", "duo_adapter", "dossier_bron", "notificatie_router", "cbs_leverancier")
SEVERITY = ("error", "warn", "info", "hint")  # Spectral's numeric severities, in order

Finding = tuple[str, str, str, str]  # rule, severity, JSON path, message


def lint(*documents: Path) -> dict[Path, list[Finding]]:
    """Spectral's findings per document, from one run (Node starts once)."""
    # Not a skip: ./dev/setup installs Spectral, so a missing one is a broken setup.
    assert SPECTRAL.exists(), f"{SPECTRAL} is missing; run ./dev/setup"
    command = [SPECTRAL, "lint", "--ruleset", RULESET, "--format", "json", "--quiet"]
    run = subprocess.run(
        [*command, "--fail-severity", "error", *map(str, documents)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    # 0: no errors, 1: errors found; anything else is Spectral failing (e.g. the ruleset).
    assert run.returncode in (0, 1), f"spectral failed ({run.returncode}): {run.stderr}"
    findings: dict[Path, list[Finding]] = {document.resolve(): [] for document in documents}
    for result in json.loads(run.stdout or "[]"):
        findings[Path(result["source"]).resolve()].append(
            (
                result["code"],
                SEVERITY[result["severity"]],
                ".".join(map(str, result["path"])),
                result["message"],
            )
        )
    return findings


def errors(findings: list[Finding]) -> list[Finding]:
    return [finding for finding in findings if finding[1] == "error"]


def report(findings: list[Finding]) -> str:
    return "\n".join(f"  {rule} at {path}: {message}" for rule, _, path, message in findings)


@cache
def committed_findings() -> dict[Path, list[Finding]]:
    return lint(*(ROOT / "services" / service / "openapi.json" for service in SERVICES))


@pytest.mark.parametrize("service", SERVICES)
def test_the_committed_openapi_document_follows_the_api_design_rules(service: str) -> None:
    document = (ROOT / "services" / service / "openapi.json").resolve()
    found = errors(committed_findings()[document])
    assert not found, f"services/{service}/openapi.json breaks the ruleset:\n{report(found)}"


# --- the ruleset catches each rule ---------------------------------------------------------

_API_VERSION = {"API-Version": {"$ref": "#/components/headers/API-Version"}}
_PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}

# Follows every rule, and has what the rules exempt: the API's root resource (`/api/v1/`), a
# `_operation` last segment, /contracts/ file names, a /health/ 503 without a problem body,
# /control/ paths.
GOOD: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "proef",
        "version": "1.2.0",
        "description": "Een API die elke regel volgt.",
        "contact": {"name": "Team keten", "url": "https://example.org/keten/issues"},
    },
    "servers": [{"url": "https://api.example.org"}],
    "tags": [{"name": "proef", "description": "Alles."}],
    "paths": {
        "/api/v1/": {"get": {"operationId": "root", "responses": {}}},
        "/api/v1/financiele-claims/{claimId}": {
            "get": {
                "operationId": "claim-lezen",
                "parameters": [
                    {
                        "name": "claimId",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    {"name": "typeClaim", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": {},
            }
        },
        "/api/v1/financiele-claims/_zoek": {"post": {"operationId": "claims-zoeken"}},
        "/contracts/asyncapi.yaml": {"get": {"operationId": "asyncapi"}},
        "/control/v1/claims": {"post": {"operationId": "claim-aanmaken"}},
        "/health/ready": {
            "get": {
                "operationId": "gereed",
                "responses": {
                    "200": {"description": "Gereed", "headers": _API_VERSION},
                    "503": {"description": "Niet gereed", "headers": _API_VERSION},
                },
            }
        },
    },
    "components": {
        "headers": {"API-Version": {"schema": {"type": "string"}}},
        "schemas": {
            "Problem": {
                "type": "object",
                "properties": {
                    "type": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                },
                "required": ["type", "title", "status"],
            }
        },
    },
}
_OK = {"description": "OK", "headers": _API_VERSION}
_NOT_FOUND = {"description": "Niet gevonden", "content": _PROBLEM, "headers": _API_VERSION}
for _path, _item in GOOD["paths"].items():
    for _operation in _item.values():
        _operation.setdefault("tags", ["proef"])
        _operation.setdefault("description", "Doet wat het zegt.")
        if not _path.startswith("/health/"):
            _operation["responses"] = {"200": _OK, "404": _NOT_FOUND}


def _set(keys: tuple[str | int, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    """A change to the good document: ``value`` at ``keys``."""

    def change(document: dict[str, Any]) -> None:
        *parents, last = keys
        node: Any = document
        for key in parents:
            node = node[key]
        node[last] = value

    return change


def _rename_path(old: str, new: str) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        document["paths"][new] = document["paths"].pop(old)

    return change


def _drop_openapi(document: dict[str, Any]) -> None:
    del document["openapi"]
    document["swagger"] = "2.0"


CLAIM = "/api/v1/financiele-claims/{claimId}"
RESPONSES = ("paths", CLAIM, "get", "responses")

# (case, change, the one rule it breaks, that rule's severity)
BAD: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    ("swagger-2", _drop_openapi, "/core/doc-openapi", "error"),
    ("openapi-2", _set(("openapi",), "2.0"), "/core/doc-openapi", "error"),
    ("trailing-slash", _rename_path(CLAIM, CLAIM + "/"), "/core/no-trailing-slash", "error"),
    ("camel-case-segment", _rename_path(CLAIM, "/api/v1/financieleClaims/{claimId}"),
     "/core/path-segments-kebab-case", "error"),
    ("snake-case-segment", _rename_path(CLAIM, "/api/v1/financiele_claims/{claimId}"),
     "/core/path-segments-kebab-case", "error"),
    ("file-extension", _rename_path(CLAIM, "/api/v1/financiele-claims.json"),
     "/core/path-segments-kebab-case", "error"),
    ("trailing-hyphen", _rename_path(CLAIM, "/api/v1/financiele-/{claimId}"),
     "/core/path-segments-kebab-case", "error"),
    ("snake-case-query-key", _set(("paths", CLAIM, "get", "parameters", 1, "name"), "type_"),
     "/core/query-keys-camel-case", "error"),
    ("head-method", _set(("paths", CLAIM, "head"), {"operationId": "kop", "responses": {}}),
     "/core/http-methods", "error"),
    ("no-version-in-path", _rename_path(CLAIM, "/api/financiele-claims/{claimId}"),
     "/core/uri-version", "error"),
    ("outside-the-api", _rename_path(CLAIM, "/financiele-claims/{claimId}"),
     "/core/uri-version", "error"),
    ("path-major-is-not-info-major", _set(("info", "version"), "2.0.0"),
     "/core/uri-version/info-version", "error"),
    ("version-without-patch", _set(("info", "version"), "1.2"), "/core/semver", "error"),
    ("version-with-v", _set(("info", "version"), "v1.2.0"), "/core/semver", "error"),
    ("response-without-api-version",
     _set((*RESPONSES, "200"), {"description": "OK"}),
     "/core/version-header", "error"),
    ("no-contact", _set(("info", "contact"), None), "/core/doc-openapi-contact", "warn"),
    ("error-as-plain-json",
     _set((*RESPONSES, "404", "content"), {"application/json": {"schema": {}}}),
     "/core/error-handling/problem-details", "error"),
    ("error-without-body",
     _set((*RESPONSES, "500"), {"description": "Stuk", "headers": _API_VERSION}),
     "/core/error-handling/problem-details", "error"),
    ("problem-without-title",
     _set(("components", "schemas", "Problem", "required"), ["type", "status"]),
     "/core/error-handling/problem-details", "error"),
]  # fmt: skip


def ruleset_findings(directory: Path) -> dict[str, list[Finding]]:
    documents = {"good": GOOD}
    for case, change, _, _ in BAD:
        documents[case] = copy.deepcopy(GOOD)
        change(documents[case])
        if documents[case]["info"].get("contact") is None:
            del documents[case]["info"]["contact"]
    paths = {case: directory / f"{case}.json" for case in documents}
    for case, document in documents.items():
        paths[case].write_text(json.dumps(document), encoding="utf-8")
    found = lint(*paths.values())
    return {case: found[path.resolve()] for case, path in paths.items()}


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Finding]]:
    return ruleset_findings(tmp_path_factory.mktemp("adr"))


def test_the_good_document_passes_every_rule(findings: dict[str, list[Finding]]) -> None:
    # Else a bad case could be caught for something other than its change.
    assert not findings["good"], f"the good document has findings:\n{report(findings['good'])}"


@pytest.mark.parametrize(
    ("case", "rule", "severity"), [(case, rule, severity) for case, _, rule, severity in BAD]
)
def test_the_ruleset_catches_a_document_that_breaks_the_rule(
    findings: dict[str, list[Finding]], case: str, rule: str, severity: str
) -> None:
    ours = {(code, level) for code, level, _, _ in findings[case] if code.startswith("/core/")}
    assert ours == {(rule, severity)}, f"{case}:\n{report(findings[case])}"
