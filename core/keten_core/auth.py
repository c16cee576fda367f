"""Authentication between parties with the ZGW JWT scheme (Common Ground / Open Zaak APIs).

Credentials are per (application, service): each entry of the party configuration names the
service it is for (``dossier-bron``, ``duo-adapter``, ...) and has its own ``client_id`` and
secret. A service keeps only its own entries (``PartyRegistry.from_settings(service)``), and
loading refuses two entries with one ``client_id`` or one secret, across all services, so a
token made for one service is worthless at the other four and a shared secret cannot be
configured.

A client signs an HS256 token with the claims ``iss``, ``iat``, ``client_id``, ``user_id`` and
``user_representation``, usually ``exp``, and optionally ``aud``. This is the token that
Common Ground clients send (zgw-consumers: ``exp`` = ``iat`` + 12 hours by default, one token
reused for hours; older clients built on gemma-zds-client: no ``exp``). The receiving
service's ``TokenVerifier`` accepts it when:

- the algorithm is HS256 (nothing else, never ``none``);
- ``client_id`` is one of this service's entries and the signature checks out with that
  entry's secret;
- ``iss`` equals ``client_id``;
- ``aud``, when present (a string or a list), names this service; it is never required;
- with ``exp``: now is before ``exp``; without ``exp``: now is before ``iat`` +
  ``KETEN_JWT_EXPIRY`` (seconds, default 3600 as in Open Zaak); ``iat`` is required and may
  not lie in the future; every time check allows ``leeway`` (30 s) of clock drift.

It then knows who calls, from the client registry entry of the ``client_id`` and never from
other claims (ZGW tokens carry none): organisation (OIN), rol, functie, the gemeente it acts
for (``namens``) and the purposes it is registered for. What that party may then see is the
policy's business (``keten_contracts.access``, through ``keten_core.source_read``). Every
refusal is a 401 problem+json answer with a ``WWW-Authenticate: Bearer
error="invalid_token"`` challenge.

Wiring: the service's lifespan sets ``app.state.token_verifier = TokenVerifier(registry,
service=settings.service_name)`` (``create_service_app`` does that); routes depend on
``authenticated_party`` or ``require_party(Rol.GEMEENTE, ...)``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import jwt
import structlog
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    TypeAdapter,
    ValidationError,
    field_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from keten_contracts.clients import Client, Functie
from keten_contracts.parties import Rol
from keten_core.problems import Problem

log = structlog.get_logger(__name__)

ALGORITHM = "HS256"
# An explicit list: PyJWT then refuses ``alg: none`` and any other algorithm, whatever the
# token's header claims (no algorithm confusion).
ALGORITHMS = [ALGORITHM]
# ``exp`` and ``aud`` are checked when present, never required (see the module docstring).
REQUIRED_CLAIMS = ("iss", "iat", "client_id", "user_id", "user_representation")
# RFC 7518 section 3.2: an HS256 key must be at least as long as the hash output (256 bits).
MIN_SECRET_BYTES = 32
# Lifetime of the tokens our own clients mint (one per request).
DEFAULT_TOKEN_LIFETIME = timedelta(minutes=1)
DEFAULT_LEEWAY = timedelta(seconds=30)
# How long a token without ``exp`` is accepted after its ``iat``. 3600 s is the default of
# ``JWT_EXPIRY`` in Open Zaak and Open Notificaties (their API layer, commonground-api-common,
# refuses a token once ``iat`` + ``JWT_EXPIRY`` has passed), so a client that works against
# those components works here too; it is short enough that a token which never expires by
# itself does not stay usable for long.
DEFAULT_JWT_EXPIRY_SECONDS = 3600


class Party(Client):
    """One credential: a registered client of the client registry (contracts 0.2, rule 13:
    organisation, rol, functie, the one gemeente it acts for and its purposes) with the secret
    with which it signs its tokens for one service. An application that calls three services
    has three entries, each with its own ``client_id`` and secret; an SSC acting for three
    gemeenten has one per gemeente (``namens``)."""

    # SecretStr keeps the secret out of repr(), logs and tracebacks.
    secret: SecretStr
    # Where this party's own resources live (the API root its events' ``dataref`` URLs start
    # with): the router accepts an event published over HTTP only with a ``dataref`` below it,
    # so a forged one cannot send subscribers' credentials to a host of the publisher's choice.
    bron: str | None = Field(default=None, pattern=r"^https?://[^\s/?#]+(/\S*)?$")

    @field_validator("secret")
    @classmethod
    def _long_enough(cls, secret: SecretStr) -> SecretStr:
        if len(secret.get_secret_value().encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"secret must be at least {MIN_SECRET_BYTES} bytes for HS256")
        return secret

    @property
    def gemeentecode(self) -> str | None:
        """The gemeente this credential acts for (``namens``); None for other roles."""
        return self.namens


_PARTY_LIST = TypeAdapter(list[Party])


class PartiesSettings(BaseSettings):
    """``KETEN_PARTIES`` (a JSON list of parties) and/or ``KETEN_PARTIES_FILE`` (JSON or YAML
    file holding such a list, or a mapping with a ``parties`` key); both are merged. Each entry
    is one (application, service) credential: ``client_id``, ``service``, ``oin``, ``rol``,
    ``functie`` and ``namens`` (gemeenten: the functie inside the gemeente and the gemeentecode
    it acts for), ``doelen`` (the purposes it is registered for) and ``secret``."""

    model_config = SettingsConfigDict(env_prefix="KETEN_", extra="ignore")

    parties: list[Party] = Field(default_factory=list)
    parties_file: Path | None = None


def load_parties_file(path: Path) -> list[Party]:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in {".yaml", ".yml"}:
        try:
            import yaml
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise RuntimeError(f"{path} is YAML: install PyYAML, or use a JSON file") from exc
        data: Any = yaml.safe_load(text)
    else:
        data = json.loads(text)
    if isinstance(data, dict):
        data = data.get("parties", [])
    return _PARTY_LIST.validate_python(data)


class TokenSettings(BaseSettings):
    """``KETEN_JWT_EXPIRY``: seconds a token without ``exp`` is accepted after its ``iat``
    (as Open Zaak's ``JWT_EXPIRY``)."""

    model_config = SettingsConfigDict(env_prefix="KETEN_", extra="ignore")

    jwt_expiry: int = Field(default=DEFAULT_JWT_EXPIRY_SECONDS, gt=0)


def check_unique_credentials(parties: Iterable[Party]) -> None:
    """Refuse a configuration in which two entries share a ``client_id`` or a secret.

    A secret shared by two entries (the same application at two services, say) would let
    whoever holds one service's copy sign tokens that the other accepts. The message names
    the ``client_id`` values, never the secret."""
    client_ids: set[str] = set()
    owner_of_secret: dict[str, str] = {}
    for party in parties:
        if party.client_id in client_ids:
            raise ValueError(f"client_id {party.client_id!r} is configured twice")
        client_ids.add(party.client_id)
        secret = party.secret.get_secret_value()
        other = owner_of_secret.setdefault(secret, party.client_id)
        if other != party.client_id:
            raise ValueError(
                f"client_ids {other!r} and {party.client_id!r} use the same secret; every "
                "(application, service) needs a secret of its own"
            )


class PartyRegistry:
    """The credentials a service accepts, by ``client_id``.

    All ``parties`` are checked (``check_unique_credentials``); with ``service`` only the
    entries for that service are kept."""

    def __init__(self, parties: Iterable[Party] = (), *, service: str | None = None) -> None:
        parties = list(parties)
        check_unique_credentials(parties)
        self.service = service
        self._by_client_id: dict[str, Party] = {
            party.client_id: party
            for party in parties
            if service is None or party.service == service
        }

    @classmethod
    def from_settings(cls, service: str, settings: PartiesSettings | None = None) -> PartyRegistry:
        """The entries for ``service`` from ``KETEN_PARTIES``/``KETEN_PARTIES_FILE``; the
        whole configuration is checked, not only those entries."""
        settings = settings if settings is not None else PartiesSettings()
        parties = list(settings.parties)
        if settings.parties_file is not None:
            parties.extend(load_parties_file(settings.parties_file))
        return cls(parties, service=service)

    def get(self, client_id: str) -> Party | None:
        return self._by_client_id.get(client_id)

    def __contains__(self, client_id: object) -> bool:
        return client_id in self._by_client_id

    def __iter__(self) -> Iterator[Party]:
        return iter(self._by_client_id.values())

    def __len__(self) -> int:
        return len(self._by_client_id)


def encode_zgw_token(
    client_id: str,
    secret: str | SecretStr,
    *,
    user_id: str = "",
    user_representation: str = "",
    lifetime: timedelta = DEFAULT_TOKEN_LIFETIME,
    audience: str | None = None,
    issuer: str | None = None,
    now: float | None = None,
) -> str:
    """A signed ZGW token. Machine-to-machine calls leave ``user_id`` empty; ``audience``
    (the name of the service called) adds an ``aud`` claim."""
    key = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    issued_at = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "iss": issuer or client_id,
        "iat": issued_at,
        "exp": issued_at + int(lifetime.total_seconds()),
        "client_id": client_id,
        "user_id": user_id,
        "user_representation": user_representation,
    }
    if audience is not None:
        claims["aud"] = audience
    return jwt.encode(claims, key, algorithm=ALGORITHM)


class ZGWTokenAuth(httpx.Auth):
    """httpx authentication that signs a fresh short-lived token for every request, so a token
    never outlives the call it was made for (sync and async clients alike)."""

    def __init__(
        self,
        client_id: str,
        secret: str | SecretStr,
        *,
        user_id: str = "",
        user_representation: str = "",
        lifetime: timedelta = DEFAULT_TOKEN_LIFETIME,
        audience: str | None = None,
    ) -> None:
        self.client_id = client_id
        self._secret = secret if isinstance(secret, SecretStr) else SecretStr(secret)
        self.user_id = user_id
        self.user_representation = user_representation
        self.lifetime = lifetime
        self.audience = audience

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = encode_zgw_token(
            self.client_id,
            self._secret,
            user_id=self.user_id,
            user_representation=self.user_representation,
            lifetime=self.lifetime,
            audience=self.audience,
        )
        request.headers["Authorization"] = f"Bearer {token}"
        yield request


class ZGWClaims(BaseModel):
    """The claims after the signature checked out; types are enforced here."""

    model_config = ConfigDict(extra="allow", strict=True)

    iss: str
    iat: int
    exp: int | None = None
    aud: str | list[str] | None = None
    client_id: str = Field(min_length=1)
    user_id: str
    user_representation: str


@dataclass(frozen=True, slots=True)
class AuthenticatedCaller:
    """Who calls: the organisation, and the person acting for it (empty for machines)."""

    party: Party
    user_id: str
    user_representation: str

    @property
    def client_id(self) -> str:
        return self.party.client_id

    @property
    def rol(self) -> Rol:
        return self.party.rol

    @property
    def oin(self) -> str:
        return self.party.oin

    @property
    def gemeentecode(self) -> str | None:
        """The gemeente the caller acts for (its credential's mandate)."""
        return self.party.namens

    @property
    def functie(self) -> Functie:
        return self.party.functie


class AuthenticationError(Exception):
    """The token is missing or not acceptable; ``reason`` is safe to show the client."""

    def __init__(self, reason: str, *, client_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.client_id = client_id


class TokenVerifier:
    """Checks ZGW tokens for one service against its entries' secrets (rules: module
    docstring). ``jwt_expiry`` defaults to ``KETEN_JWT_EXPIRY``."""

    def __init__(
        self,
        registry: PartyRegistry,
        *,
        service: str,
        leeway: timedelta = DEFAULT_LEEWAY,
        jwt_expiry: timedelta | None = None,
    ) -> None:
        if registry.service is not None and registry.service != service:
            raise ValueError(
                f"the registry holds the entries of {registry.service!r}, not of {service!r}"
            )
        self.registry = registry
        self.service = service
        self.leeway = leeway
        self.jwt_expiry = (
            jwt_expiry if jwt_expiry is not None else timedelta(seconds=TokenSettings().jwt_expiry)
        )

    def verify(self, token: str) -> AuthenticatedCaller:
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") not in ALGORITHMS:
                # The header's own value is not echoed: it is the attacker's text.
                raise AuthenticationError(f"only algorithm {ALGORITHM} is accepted")
            # Unverified read of client_id only, to choose the secret; nothing else is trusted
            # before the signature is checked below.
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.InvalidTokenError as exc:
            raise AuthenticationError("malformed token") from exc
        client_id = unverified.get("client_id")
        if not isinstance(client_id, str) or not client_id:
            raise AuthenticationError("claim client_id is missing")
        party = self.registry.get(client_id)
        if party is None or party.service != self.service:
            # Same wording as a bad signature: do not help anyone enumerate client ids, nor
            # tell which of them another service knows.
            raise AuthenticationError("signature or client not recognised", client_id=client_id)
        try:
            payload = jwt.decode(
                token,
                party.secret.get_secret_value(),
                algorithms=ALGORITHMS,
                # PyJWT checks exp, nbf and iat (not in the future) when present. It would
                # refuse any aud when given no audience, and require aud when given one:
                # aud is checked below instead.
                options={"require": list(REQUIRED_CLAIMS), "verify_aud": False},
                leeway=self.leeway,
            )
            claims = ZGWClaims.model_validate(payload)
        except jwt.ExpiredSignatureError as exc:
            raise AuthenticationError("token expired", client_id=client_id) from exc
        except jwt.ImmatureSignatureError as exc:
            raise AuthenticationError("token issued in the future", client_id=client_id) from exc
        except jwt.MissingRequiredClaimError as exc:
            raise AuthenticationError(f"claim {exc.claim} is missing", client_id=client_id) from exc
        except jwt.InvalidSignatureError as exc:
            raise AuthenticationError(
                "signature or client not recognised", client_id=client_id
            ) from exc
        except jwt.InvalidTokenError as exc:
            raise AuthenticationError("invalid token", client_id=client_id) from exc
        except ValidationError as exc:
            fields = ", ".join(str(e["loc"][0]) for e in exc.errors() if e["loc"])
            raise AuthenticationError(
                f"claims of the wrong type: {fields}", client_id=client_id
            ) from exc
        if claims.iss != claims.client_id:
            raise AuthenticationError("claim iss must equal client_id", client_id=client_id)
        if claims.aud is not None:
            audiences = [claims.aud] if isinstance(claims.aud, str) else claims.aud
            if self.service not in audiences:
                # The token's aud is not echoed: it is the caller's text.
                raise AuthenticationError(
                    f"claim aud does not name this service ({self.service})",
                    client_id=client_id,
                )
        if claims.exp is None:
            valid_for = self.jwt_expiry + self.leeway
            if time.time() - claims.iat > valid_for.total_seconds():
                raise AuthenticationError(
                    f"token expired (no exp; valid {int(self.jwt_expiry.total_seconds())} s "
                    "after iat)",
                    client_id=client_id,
                )
        return AuthenticatedCaller(
            party=party, user_id=claims.user_id, user_representation=claims.user_representation
        )


bearer_scheme = HTTPBearer(
    auto_error=False,  # we answer 401 ourselves, as problem+json
    scheme_name="ZGW-JWT",
    bearerFormat="JWT",
    description="ZGW JWT: HS256, signed with the secret of your credential for this service",
)


def _unauthorized(reason: str | None) -> Problem:
    # RFC 6750 section 3.1: no error code when the request carried no credentials at all.
    challenge = (
        "Bearer"
        if reason is None
        else f'Bearer error="invalid_token", error_description="{reason}"'
    )
    return Problem(
        401,
        detail=reason or "a Bearer token (ZGW JWT) is required",
        headers={"WWW-Authenticate": challenge},
    )


async def get_token_verifier(request: Request) -> TokenVerifier:
    verifier = getattr(request.app.state, "token_verifier", None)
    if not isinstance(verifier, TokenVerifier):
        raise RuntimeError("app.state.token_verifier is not set; the lifespan must set it")
    return verifier


async def authenticated_party(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    verifier: Annotated[TokenVerifier, Depends(get_token_verifier)],
) -> AuthenticatedCaller:
    """FastAPI dependency: the verified caller, or a 401 problem."""
    if credentials is None:
        raise _unauthorized(None)
    try:
        caller = verifier.verify(credentials.credentials)
    except AuthenticationError as exc:
        # Never the token itself: it is a credential until it expires.
        log.info("authentication_failed", reason=exc.reason, client_id=exc.client_id)
        raise _unauthorized(exc.reason) from exc
    return caller


def require_party(*roles: Rol) -> Callable[..., Awaitable[AuthenticatedCaller]]:
    """FastAPI dependency factory: an authenticated caller with one of ``roles`` (any role when
    none are given), else 403."""
    allowed = frozenset(roles)

    async def dependency(
        caller: Annotated[AuthenticatedCaller, Depends(authenticated_party)],
    ) -> AuthenticatedCaller:
        if allowed and caller.rol not in allowed:
            log.info("authorisation_refused", client_id=caller.client_id, rol=caller.rol)
            raise Problem(
                403,
                detail=f"rol {caller.rol} may not use this endpoint",
                headers={"WWW-Authenticate": 'Bearer error="insufficient_scope"'},
            )
        return caller

    return dependency
