"""ZGW JWT authentication: tokens minted by ``ZGWTokenAuth`` and checked by the FastAPI
dependencies of a real app (the service ``dossier-bron``), reached through
``httpx.ASGITransport``. Tokens made by the Common Ground clients' own code:
``test_auth_zgw_consumers.py``."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import jwt
import pytest
from fastapi import Depends, FastAPI
from pydantic import ValidationError
from structlog.testing import capture_logs

from keten_contracts.parties import Rol
from keten_core.auth import (
    AuthenticatedCaller,
    AuthenticationError,
    PartiesSettings,
    Party,
    PartyRegistry,
    TokenSettings,
    TokenVerifier,
    ZGWTokenAuth,
    authenticated_party,
    encode_zgw_token,
    require_party,
)
from keten_core.problems import PROBLEM_JSON, install_problem_handlers

SERVICE = "dossier-bron"
OTHER_SERVICE = "duo-adapter"
JWT_EXPIRY = timedelta(hours=1)

GEMEENTE_SECRET = "gemeente-amsterdam-secret-0123456789abcdef"
DUO_SECRET = "duo-secret-0123456789abcdef-0123456789abcdef"
GEMEENTE_AT_OTHER_SERVICE_SECRET = "gemeente-amsterdam-at-duo-adapter-secret-0123456789"

AMSTERDAM = {
    "client_id": "gemeente-amsterdam",
    "service": SERVICE,
    "oin": "00000001002564440000",
    "rol": "gemeente",
    "functie": "medewerker-inburgering",
    "namens": "0363",
    "doelen": ["uitvoering-inburgering"],
    "secret": GEMEENTE_SECRET,
}
DUO = {
    "client_id": "duo",
    "service": SERVICE,
    "oin": "00000001003214345000",
    "rol": "duo",
    "doelen": ["plicht-en-termijnen"],
    "secret": DUO_SECRET,
}
# The same gemeente's credential for another service: its own client_id and secret.
AMSTERDAM_AT_OTHER_SERVICE = {
    **AMSTERDAM,
    "client_id": "gemeente-amsterdam-duo-adapter",
    "service": OTHER_SERVICE,
    "secret": GEMEENTE_AT_OTHER_SERVICE_SECRET,
}
ALL_ENTRIES = [AMSTERDAM, DUO, AMSTERDAM_AT_OTHER_SERVICE]


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": "gemeente-amsterdam",
        "iat": now,
        "exp": now + 60,
        "client_id": "gemeente-amsterdam",
        "user_id": "medewerker-17",
        "user_representation": "M. de Vries",
    }
    base.update(overrides)
    return base


def token(payload: dict[str, Any], secret: str = GEMEENTE_SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(payload, secret, algorithm=algorithm)


def parties(entries: list[dict[str, Any]]) -> list[Party]:
    return [Party.model_validate(entry) for entry in entries]


def verifier_for(service: str, registry: PartyRegistry | None = None) -> TokenVerifier:
    registry = registry if registry is not None else PartyRegistry(parties(ALL_ENTRIES))
    return TokenVerifier(registry, service=service, jwt_expiry=JWT_EXPIRY)


@pytest.fixture
def registry() -> PartyRegistry:
    return PartyRegistry(parties(ALL_ENTRIES), service=SERVICE)


@pytest.fixture
def app(registry: PartyRegistry) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.state.token_verifier = TokenVerifier(registry, service=SERVICE, jwt_expiry=JWT_EXPIRY)

    @app.get("/whoami")
    async def whoami(
        caller: Annotated[AuthenticatedCaller, Depends(authenticated_party)],
    ) -> dict[str, Any]:
        return {
            "client_id": caller.client_id,
            "oin": caller.oin,
            "rol": caller.rol,
            "gemeentecode": caller.gemeentecode,
            "user_id": caller.user_id,
            "user_representation": caller.user_representation,
        }

    @app.get("/gemeente-only")
    async def gemeente_only(
        caller: Annotated[AuthenticatedCaller, Depends(require_party(Rol.GEMEENTE))],
    ) -> dict[str, str]:
        return {"client_id": caller.client_id}

    @app.get("/duo-or-coa")
    async def duo_or_coa(
        caller: Annotated[AuthenticatedCaller, Depends(require_party(Rol.DUO, Rol.COA))],
    ) -> dict[str, str]:
        return {"client_id": caller.client_id}

    return app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://dossier-bron.test"
    ) as client:
        yield client


async def get_with_token(
    client: httpx.AsyncClient, bearer: str, path: str = "/whoami"
) -> httpx.Response:
    return await client.get(path, headers={"Authorization": f"Bearer {bearer}"})


def assert_unauthorized(response: httpx.Response, detail_part: str) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    body = response.json()
    assert body["status"] == 401
    assert body["title"] == "Unauthorized"
    assert detail_part in body["detail"]


# --- the round trip ------------------------------------------------------------------------


async def test_httpx_auth_round_trip(app: FastAPI) -> None:
    auth = ZGWTokenAuth(
        "gemeente-amsterdam",
        GEMEENTE_SECRET,
        user_id="medewerker-17",
        user_representation="M. de Vries",
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://dossier-bron.test", auth=auth
    ) as client:
        response = await client.get("/whoami")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "client_id": "gemeente-amsterdam",
        "oin": "00000001002564440000",
        "rol": "gemeente",
        "gemeentecode": "0363",
        "user_id": "medewerker-17",
        "user_representation": "M. de Vries",
    }


async def test_httpx_auth_signs_each_request_with_a_short_lived_token(app: FastAPI) -> None:
    seen: list[str] = []

    async def record(request: httpx.Request) -> None:
        seen.append(request.headers["Authorization"])

    auth = ZGWTokenAuth("duo", DUO_SECRET, lifetime=timedelta(seconds=45))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://dossier-bron.test",
        auth=auth,
        event_hooks={"request": [record]},
    ) as client:
        first = await client.get("/duo-or-coa")
        second = await client.get("/duo-or-coa")
    assert first.status_code == second.status_code == 200
    assert len(seen) == 2
    for header in seen:
        scheme, raw = header.split(" ", 1)
        assert scheme == "Bearer"
        payload = jwt.decode(raw, DUO_SECRET, algorithms=["HS256"])
        assert payload["exp"] - payload["iat"] == 45
        assert abs(payload["iat"] - time.time()) < 5
        assert payload["iss"] == payload["client_id"] == "duo"
        assert payload["user_id"] == payload["user_representation"] == ""


def test_sync_auth_flow_sets_bearer_header(registry: PartyRegistry) -> None:
    request = httpx.Request("GET", "http://dossier-bron.test/whoami")
    flow = ZGWTokenAuth("duo", DUO_SECRET).sync_auth_flow(request)
    signed = next(flow)
    bearer = signed.headers["Authorization"].removeprefix("Bearer ")
    assert TokenVerifier(registry, service=SERVICE).verify(bearer).client_id == "duo"


async def test_role_allowed(client: httpx.AsyncClient) -> None:
    response = await get_with_token(client, token(claims()), "/gemeente-only")
    assert response.status_code == 200
    assert response.json() == {"client_id": "gemeente-amsterdam"}


async def test_wrong_role_is_forbidden(client: httpx.AsyncClient) -> None:
    response = await get_with_token(client, token(claims()), "/duo-or-coa")
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["www-authenticate"] == 'Bearer error="insufficient_scope"'
    body = response.json()
    assert body["status"] == 403
    assert body["title"] == "Forbidden"
    assert "gemeente" in body["detail"]
    assert body["instance"] == "/duo-or-coa"


# --- rejections ---------------------------------------------------------------------------


async def test_missing_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/whoami")
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM_JSON
    # RFC 6750 3.1: no error code when no credentials were sent.
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["type"] == "about:blank"


async def test_not_a_bearer_scheme(client: httpx.AsyncClient) -> None:
    response = await client.get("/whoami", headers={"Authorization": "Basic Zm9vOmJhcg=="})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_garbage_token(client: httpx.AsyncClient) -> None:
    assert_unauthorized(await get_with_token(client, "not.a.jwt"), "malformed")


async def test_expired_token(client: httpx.AsyncClient) -> None:
    now = int(time.time())
    expired = token(claims(iat=now - 200, exp=now - 100))
    assert_unauthorized(await get_with_token(client, expired), "expired")


async def test_expiry_within_leeway_is_accepted(client: httpx.AsyncClient) -> None:
    now = int(time.time())
    response = await get_with_token(client, token(claims(iat=now - 70, exp=now - 10)))
    assert response.status_code == 200


async def test_token_from_the_future(client: httpx.AsyncClient) -> None:
    now = int(time.time())
    future = token(claims(iat=now + 600, exp=now + 660))
    assert_unauthorized(await get_with_token(client, future), "future")


async def test_token_hours_old_is_accepted_until_its_exp(client: httpx.AsyncClient) -> None:
    # zgw-consumers signs one token with exp = iat + 12 h and reuses it: an old iat alone is
    # no reason to refuse, and JWT_EXPIRY (1 h here) applies only to tokens without exp.
    now = int(time.time())
    reused = token(claims(iat=now - 3 * 3600, exp=now + 9 * 3600))
    response = await get_with_token(client, reused)
    assert response.status_code == 200, response.text


async def test_wrong_secret(client: httpx.AsyncClient) -> None:
    forged = token(claims(), secret="an-attacker-guess-0123456789abcdefghij")
    assert_unauthorized(await get_with_token(client, forged), "signature or client")


async def test_another_partys_secret(client: httpx.AsyncClient) -> None:
    # DUO signing as Amsterdam: the secret must belong to the claimed client_id.
    impersonation = token(claims(), secret=DUO_SECRET)
    assert_unauthorized(await get_with_token(client, impersonation), "signature or client")


async def test_unknown_client(client: httpx.AsyncClient) -> None:
    unknown = token(claims(client_id="gemeente-nergenshuizen", iss="gemeente-nergenshuizen"))
    assert_unauthorized(await get_with_token(client, unknown), "signature or client")


async def test_alg_none_is_rejected(client: httpx.AsyncClient) -> None:
    unsigned = jwt.encode(claims(), None, algorithm="none")
    assert_unauthorized(await get_with_token(client, unsigned), "HS256")


async def test_hs256_header_without_signature_is_rejected(client: httpx.AsyncClient) -> None:
    def segment(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    stripped = f"{segment({'alg': 'HS256', 'typ': 'JWT'})}.{segment(claims())}."
    assert_unauthorized(await get_with_token(client, stripped), "signature or client")


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
async def test_other_algorithm_is_rejected(client: httpx.AsyncClient) -> None:
    # Right secret, other HMAC: only the configured algorithm counts (no algorithm confusion).
    hs512 = token(claims(), algorithm="HS512")
    assert_unauthorized(await get_with_token(client, hs512), "HS256")


# Spelled out, not taken from the module: exp and aud are optional, everything else is not.
@pytest.mark.parametrize("claim", ["iss", "iat", "client_id", "user_id", "user_representation"])
async def test_missing_claim(client: httpx.AsyncClient, claim: str) -> None:
    payload = claims()
    del payload[claim]
    assert_unauthorized(await get_with_token(client, token(payload)), f"claim {claim} is missing")


async def test_claim_of_wrong_type(client: httpx.AsyncClient) -> None:
    response = await get_with_token(client, token(claims(user_id=17)))
    assert_unauthorized(response, "user_id")


async def test_failures_never_log_token_or_secret(client: httpx.AsyncClient) -> None:
    forged = token(claims(), secret="an-attacker-guess-0123456789abcdefghij")
    with capture_logs() as logs:
        await get_with_token(client, forged)
    assert [entry["event"] for entry in logs] == ["authentication_failed"]
    assert logs[0]["client_id"] == "gemeente-amsterdam"
    dumped = repr(logs)
    assert forged not in dumped
    assert GEMEENTE_SECRET not in dumped


async def test_missing_verifier_is_a_server_error() -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/whoami")
    async def whoami(caller: Annotated[AuthenticatedCaller, Depends(authenticated_party)]) -> str:
        return caller.client_id

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://x.test") as client:
        response = await get_with_token(client, token(claims()))
    assert response.status_code == 500


# --- parties and their configuration -----------------------------------------------------


def test_party_secret_is_not_in_repr() -> None:
    party = Party.model_validate(AMSTERDAM)
    assert GEMEENTE_SECRET not in repr(party)
    assert GEMEENTE_SECRET not in str(party.model_dump())


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"namens": None}, "needs namens"),
        ({"namens": "363"}, "namens"),
        ({"functie": "organisatie"}, "medewerker-inburgering"),
        ({"doelen": ["statistiek-swi"]}, "do not fit"),
        ({"doelen": []}, "doelen"),
        ({"gemeentecode": "0363"}, "gemeentecode"),
        ({"oin": "0000000100256444000"}, "oin"),
        ({"oin": "0000000100256444000X"}, "oin"),
        ({"secret": "too-short"}, "at least 32 bytes"),
        ({"rol": "burgemeester"}, "rol"),
        ({"client_id": ""}, "client_id"),
        ({"service": ""}, "service"),
    ],
)
def test_invalid_gemeente_party(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Party.model_validate({**AMSTERDAM, **changes})


def test_party_names_its_service() -> None:
    entry = {key: value for key, value in AMSTERDAM.items() if key != "service"}
    with pytest.raises(ValidationError, match="service"):
        Party.model_validate(entry)


def test_namens_is_forbidden_for_other_roles() -> None:
    with pytest.raises(ValidationError, match="namens is for gemeente clients only"):
        Party.model_validate({**DUO, "namens": "0363"})


def test_registry_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KETEN_PARTIES", json.dumps(ALL_ENTRIES))
    monkeypatch.delenv("KETEN_PARTIES_FILE", raising=False)
    registry = PartyRegistry.from_settings(SERVICE)
    assert len(registry) == 2
    amsterdam = registry.get("gemeente-amsterdam")
    assert amsterdam is not None
    assert amsterdam.rol is Rol.GEMEENTE
    assert amsterdam.gemeentecode == "0363"
    assert amsterdam.secret.get_secret_value() == GEMEENTE_SECRET
    assert "duo" in registry
    assert registry.get("coa") is None
    # The gemeente's credential for the other service is not this service's business.
    assert "gemeente-amsterdam-duo-adapter" not in registry


def test_registry_from_json_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "parties.json"
    path.write_text(json.dumps({"parties": [AMSTERDAM]}), encoding="utf-8")
    monkeypatch.delenv("KETEN_PARTIES", raising=False)
    monkeypatch.setenv("KETEN_PARTIES_FILE", str(path))
    registry = PartyRegistry.from_settings(SERVICE)
    assert [party.client_id for party in registry] == ["gemeente-amsterdam"]


def test_registry_from_yaml_file_merged_with_env(tmp_path: Path) -> None:
    path = tmp_path / "parties.yaml"
    path.write_text(
        "- client_id: coa\n"
        f"  service: {SERVICE}\n"
        "  oin: '00000001003214345001'\n"
        "  rol: coa\n"
        "  doelen: [koppeling-en-klantprofiel]\n"
        f"  secret: {DUO_SECRET}-coa\n",
        encoding="utf-8",
    )
    settings = PartiesSettings(parties=[Party.model_validate(DUO)], parties_file=path)
    registry = PartyRegistry.from_settings(SERVICE, settings)
    assert sorted(party.client_id for party in registry) == ["coa", "duo"]
    coa = registry.get("coa")
    assert coa is not None and coa.rol is Rol.COA


def test_registry_rejects_duplicate_client_ids() -> None:
    party = Party.model_validate(DUO)
    with pytest.raises(ValueError, match="configured twice"):
        PartyRegistry([party, party])


def test_encode_zgw_token_claims() -> None:
    raw = encode_zgw_token(
        "duo", DUO_SECRET, user_id="u1", user_representation="U. Een", now=1_700_000_000
    )
    assert jwt.get_unverified_header(raw)["alg"] == "HS256"
    payload = jwt.decode(raw, DUO_SECRET, algorithms=["HS256"], options={"verify_exp": False})
    assert payload == {
        "iss": "duo",
        "iat": 1_700_000_000,
        "exp": 1_700_000_060,
        "client_id": "duo",
        "user_id": "u1",
        "user_representation": "U. Een",
    }


def test_encode_zgw_token_with_audience() -> None:
    raw = encode_zgw_token("duo", DUO_SECRET, audience=SERVICE)
    assert jwt.decode(raw, DUO_SECRET, algorithms=["HS256"], audience=SERVICE)["aud"] == SERVICE


async def test_httpx_auth_with_audience(app: FastAPI) -> None:
    for audience, status in [(SERVICE, 200), (OTHER_SERVICE, 401)]:
        auth = ZGWTokenAuth("duo", DUO_SECRET, audience=audience)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://dossier-bron.test", auth=auth
        ) as client:
            response = await client.get("/whoami")
        assert response.status_code == status, (audience, response.text)


# --- one credential per (application, service) -------------------------------------------


def test_token_for_one_service_is_refused_by_another(monkeypatch: pytest.MonkeyPatch) -> None:
    # One configuration for the whole chain; each service keeps its own entries.
    monkeypatch.setenv("KETEN_PARTIES", json.dumps(ALL_ENTRIES))
    monkeypatch.delenv("KETEN_PARTIES_FILE", raising=False)
    dossier_bron = TokenVerifier(PartyRegistry.from_settings(SERVICE), service=SERVICE)
    duo_adapter = TokenVerifier(PartyRegistry.from_settings(OTHER_SERVICE), service=OTHER_SERVICE)
    for_dossier_bron = encode_zgw_token("gemeente-amsterdam", GEMEENTE_SECRET)
    for_duo_adapter = encode_zgw_token(
        "gemeente-amsterdam-duo-adapter", GEMEENTE_AT_OTHER_SERVICE_SECRET
    )
    assert dossier_bron.verify(for_dossier_bron).gemeentecode == "0363"
    assert duo_adapter.verify(for_duo_adapter).gemeentecode == "0363"
    for verifier, foreign in [(dossier_bron, for_duo_adapter), (duo_adapter, for_dossier_bron)]:
        with pytest.raises(AuthenticationError, match="signature or client not recognised"):
            verifier.verify(foreign)


def test_registry_keeps_only_its_services_entries() -> None:
    registry = PartyRegistry(parties(ALL_ENTRIES), service=OTHER_SERVICE)
    assert [party.client_id for party in registry] == ["gemeente-amsterdam-duo-adapter"]
    assert registry.service == OTHER_SERVICE


def test_verifier_refuses_an_entry_for_another_service() -> None:
    # Even when handed a registry that holds every service's entries.
    verifier = verifier_for(SERVICE, PartyRegistry(parties(ALL_ENTRIES)))
    foreign = encode_zgw_token("gemeente-amsterdam-duo-adapter", GEMEENTE_AT_OTHER_SERVICE_SECRET)
    with pytest.raises(AuthenticationError, match="signature or client not recognised"):
        verifier.verify(foreign)


def test_verifier_and_registry_must_be_for_one_service(registry: PartyRegistry) -> None:
    with pytest.raises(ValueError, match="duo-adapter"):
        TokenVerifier(registry, service=OTHER_SERVICE)


def test_registry_refuses_a_shared_secret() -> None:
    shared = {**AMSTERDAM_AT_OTHER_SERVICE, "secret": GEMEENTE_SECRET}
    with pytest.raises(ValueError, match="same secret") as refused:
        PartyRegistry(parties([AMSTERDAM, DUO, shared]))
    message = str(refused.value)
    assert "'gemeente-amsterdam'" in message
    assert "'gemeente-amsterdam-duo-adapter'" in message
    assert GEMEENTE_SECRET not in message


def test_shared_secret_across_services_is_refused_at_load(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # dossier-bron keeps only one of the two entries, but the configuration is still wrong:
    # whoever holds dossier-bron's copy of the secret could sign for duo-adapter.
    shared = {**AMSTERDAM_AT_OTHER_SERVICE, "secret": GEMEENTE_SECRET}
    monkeypatch.setenv("KETEN_PARTIES", json.dumps([AMSTERDAM, shared]))
    monkeypatch.delenv("KETEN_PARTIES_FILE", raising=False)
    with pytest.raises(ValueError, match="same secret") as refused:
        PartyRegistry.from_settings(SERVICE)
    assert GEMEENTE_SECRET not in str(refused.value)


# --- the claims: iss, aud, exp -----------------------------------------------------------


async def test_iss_must_equal_client_id(client: httpx.AsyncClient) -> None:
    forged = token(claims(iss="duo"))
    assert_unauthorized(await get_with_token(client, forged), "iss must equal client_id")


@pytest.mark.parametrize("aud", [SERVICE, [SERVICE], [OTHER_SERVICE, SERVICE]])
async def test_aud_naming_this_service_is_accepted(client: httpx.AsyncClient, aud: Any) -> None:
    response = await get_with_token(client, token(claims(aud=aud)))
    assert response.status_code == 200, response.text


async def test_no_aud_is_accepted(client: httpx.AsyncClient) -> None:
    payload = claims()
    assert "aud" not in payload
    response = await get_with_token(client, token(payload))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "aud", [OTHER_SERVICE, [OTHER_SERVICE], [OTHER_SERVICE, "coa-adapter"], [], ""]
)
async def test_aud_naming_another_service_is_refused(client: httpx.AsyncClient, aud: Any) -> None:
    response = await get_with_token(client, token(claims(aud=aud)))
    assert_unauthorized(response, f"aud does not name this service ({SERVICE})")


async def test_aud_of_the_wrong_type_is_refused(client: httpx.AsyncClient) -> None:
    assert_unauthorized(await get_with_token(client, token(claims(aud=17))), "aud")


def without_exp(**overrides: Any) -> dict[str, Any]:
    payload = claims(**overrides)
    del payload["exp"]
    return payload


async def test_no_exp_is_accepted_within_the_lifetime(client: httpx.AsyncClient) -> None:
    now = int(time.time())
    response = await get_with_token(client, token(without_exp(iat=now - 3000)))
    assert response.status_code == 200, response.text


async def test_no_exp_is_refused_after_the_lifetime(client: httpx.AsyncClient) -> None:
    now = int(time.time())
    stale = token(without_exp(iat=now - 3600 - 60))
    assert_unauthorized(await get_with_token(client, stale), "expired")


async def test_no_exp_lifetime_has_the_leeway(client: httpx.AsyncClient) -> None:
    now = int(time.time())
    response = await get_with_token(client, token(without_exp(iat=now - 3600 - 10)))
    assert response.status_code == 200, response.text


async def test_no_exp_from_the_future_is_refused(client: httpx.AsyncClient) -> None:
    now = int(time.time())
    assert_unauthorized(await get_with_token(client, token(without_exp(iat=now + 600))), "future")


def test_jwt_expiry_setting(registry: PartyRegistry, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KETEN_JWT_EXPIRY", raising=False)
    assert TokenVerifier(registry, service=SERVICE).jwt_expiry == timedelta(seconds=3600)
    monkeypatch.setenv("KETEN_JWT_EXPIRY", "120")
    verifier = TokenVerifier(registry, service=SERVICE)
    assert verifier.jwt_expiry == timedelta(seconds=120)
    now = int(time.time())
    assert verifier.verify(token(without_exp(iat=now - 100))).client_id == "gemeente-amsterdam"
    with pytest.raises(AuthenticationError, match="expired"):
        verifier.verify(token(without_exp(iat=now - 200)))
    monkeypatch.setenv("KETEN_JWT_EXPIRY", "0")
    with pytest.raises(ValidationError, match="jwt_expiry"):
        TokenSettings()
