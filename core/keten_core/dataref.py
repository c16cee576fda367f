"""Fetching what a thin event points at: the ``dataref``, with this service's credential at
that source, parsed as this service's view of the resource.

Events carry no data; a consumer that needs it fetches it at the source (architecture.md
principle 2). Every service that does (duo-adapter reads the gemeente's PIP, dossier-bron reads
COA's klantprofiel and DUO's termijn, cbs-leverancier reads the CBS view) uses this one reader:

- **Credentials per source**, from configuration (``KETEN_BRONNEN``: a JSON list of
  ``{"base_url", "client_id", "secret"}``, issued by each source's client registry). The
  credential whose ``base_url`` is the longest prefix of the ``dataref`` signs the request (a
  fresh short-lived ZGW token per call); a ``dataref`` outside every configured source is not
  fetched at all, so a forged ``dataref`` cannot make a service send its token elsewhere.
- **Errors sorted for the consumer** (``keten_core.errors``): 403/404/410 are permanent (the
  record goes to the dead-letter topic), 5xx/429/transport errors transient (retried); no
  credential for the source is transient (an operator configures it; the event is fine); an
  answer that is not the expected view is permanent.
- **Tolerant reader**: the answer is parsed with the reader's view model with unknown fields
  ignored, so a source on a newer minor release of the contracts does not break its readers.
- **One connection pool** per reader (not a client per call), closed with the service.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from keten_contracts.common import ContractModel, tolerant
from keten_contracts.parties import Rol
from keten_contracts.policy import view_model
from keten_core.auth import ZGWTokenAuth
from keten_core.errors import PermanentError, TransientError

__all__ = ["BronCredential", "BronnenSettings", "DatarefLezer"]

DEFAULT_TIMEOUT_S: Final = 10.0


class BronCredential(BaseModel):
    """This service's client at one source: where the source lives and how to sign for it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str = Field(pattern=r"^https?://[^\s]+$", description="the source's API root")
    client_id: str = Field(min_length=1)
    secret: SecretStr


class BronnenSettings(BaseSettings):
    """``KETEN_BRONNEN``: a JSON list of ``BronCredential``."""

    model_config = SettingsConfigDict(env_prefix="KETEN_", extra="ignore")

    bronnen: list[BronCredential] = Field(default_factory=list)
    bron_timeout_s: float = Field(default=DEFAULT_TIMEOUT_S, gt=0)


class DatarefLezer:
    """Fetches ``dataref`` URLs as ``rol``'s view of a resource."""

    def __init__(
        self,
        credentials: Iterable[BronCredential],
        *,
        rol: Rol,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        # Longest prefix first: a source mounted below another's root gets its own credential.
        self._credentials = sorted(credentials, key=lambda c: len(c.base_url), reverse=True)
        self.rol = rol
        self._client = httpx.AsyncClient(
            timeout=timeout_s, transport=transport, headers={"Accept": "application/json"}
        )

    @classmethod
    def from_settings(cls, rol: Rol, settings: BronnenSettings | None = None) -> DatarefLezer:
        settings = settings if settings is not None else BronnenSettings()
        return cls(settings.bronnen, rol=rol, timeout_s=settings.bron_timeout_s)

    def credential_for(self, url: str) -> BronCredential | None:
        for credential in self._credentials:
            root = credential.base_url.rstrip("/")
            if url == root or url.startswith(root + "/"):
                return credential
        return None

    async def haal(self, url: str, resource: str) -> ContractModel:
        """``rol``'s view of ``resource`` at ``url`` (unknown fields ignored)."""
        credential = self.credential_for(url)
        if credential is None:
            # Not sent anywhere: the token would go to whoever the dataref names.
            raise TransientError(f"no credential configured for the source of {url}")
        view = view_model(resource, self.rol, same_gemeente=True)
        if view is None:
            raise PermanentError(f"a {self.rol} reads nothing of a {resource}")
        answer = await self._client.get(
            url, auth=ZGWTokenAuth(credential.client_id, credential.secret)
        )
        answer.raise_for_status()
        try:
            parsed: ContractModel = tolerant(view).model_validate(answer.json())
        except (ValidationError, ValueError) as exc:
            raise PermanentError(f"{url} is not a {resource} view: {exc}") from exc
        return parsed

    async def json(self, url: str) -> Any:
        """The raw JSON at ``url`` (for a source's own documents, e.g. a list), same rules."""
        credential = self.credential_for(url)
        if credential is None:
            raise TransientError(f"no credential configured for the source of {url}")
        answer = await self._client.get(
            url, auth=ZGWTokenAuth(credential.client_id, credential.secret)
        )
        answer.raise_for_status()
        return answer.json()

    async def aclose(self) -> None:
        await self._client.aclose()
