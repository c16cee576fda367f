"""The portal kit's OpenID Connect sign-in (issue #13, the router console): http only on
loopback, the console off unless configured, and the sandbox portals' pages unchanged."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from keten_core.portaal import OidcAanmelding
from notificatie_router.console import console_router
from notificatie_router.settings import RouterSettings


def aanmelding(issuer: str, redirect: str) -> OidcAanmelding:
    return OidcAanmelding(
        issuer=issuer, client_id="c", client_secret=SecretStr("s"), redirect_uri=redirect
    )


def test_http_is_accepted_on_loopback_only() -> None:
    assert not aanmelding("http://127.0.0.1:9", "http://localhost:8/console/callback").https
    assert aanmelding("https://idp.example", "https://router.example/console/callback").https
    with pytest.raises(ValueError, match="issuer must be https"):
        aanmelding("http://idp.example", "https://router.example/console/callback")
    with pytest.raises(ValueError, match="redirect_uri must be https"):
        aanmelding("https://idp.example", "http://router.example/console/callback")


def settings(**extra: object) -> RouterSettings:
    return RouterSettings(sandbox=False, router_sleutels=Fernet.generate_key().decode(), **extra)


def test_the_console_is_off_unless_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KETEN_PORTAAL_SESSIE_SLEUTEL", raising=False)
    assert console_router(settings()).routes == []
    configured = {
        "router_console_oidc_issuer": "https://idp.example",
        "router_console_oidc_client_secret": "geheim",
        "router_console_basis_url": "https://router.example",
    }
    # Which SSC's credentials the operators act with is not guessed.
    with pytest.raises(ValueError, match="KETEN_ROUTER_CONSOLE_OIN"):
        console_router(settings(**configured))
    # Outside the sandbox the session key is required, as for every portal.
    with pytest.raises(ValueError, match="KETEN_PORTAAL_SESSIE_SLEUTEL"):
        console_router(settings(**configured, router_console_oin="00000001823288444000"))
