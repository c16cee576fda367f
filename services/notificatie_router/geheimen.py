"""Subscription secrets: made here, shown to the owner once, kept encrypted at rest (Fernet,
keys from ``KETEN_ROUTER_SLEUTELS``), and used to sign every attempt per Standard Webhooks."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from standardwebhooks.webhooks import Webhook

__all__ = ["Kluis", "Ondertekenaar", "nieuw_geheim"]

# Standard Webhooks: "secrets SHOULD be 24 to 64 bytes"; prefixed whsec_ as its libraries
# expect.
_SECRET_BYTES = 32


def nieuw_geheim() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode()


class Kluis:
    """Encrypts secrets for the database; the first key encrypts, every key decrypts (key
    rotation: put the new key first, re-encrypt at leisure, then drop the old one)."""

    def __init__(self, sleutels: str) -> None:
        keys = [k.strip() for k in sleutels.split(",") if k.strip()]
        if not keys:
            raise ValueError("KETEN_ROUTER_SLEUTELS holds no key")
        try:
            self._fernet = MultiFernet([Fernet(k) for k in keys])
        except ValueError as exc:
            raise ValueError(
                "KETEN_ROUTER_SLEUTELS: each key is 32 url-safe base64-encoded bytes"
                " (Fernet.generate_key())"
            ) from exc

    def versleutel(self, geheim: str) -> bytes:
        return self._fernet.encrypt(geheim.encode())

    def ontsleutel(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(token).decode()
        except InvalidToken as exc:
            raise ValueError("a subscription secret does not decrypt with any key") from exc


class Ondertekenaar:
    """Signs one body for one attempt with every secret in force (newest first): during a
    rotation's overlap a subscriber verifying with either secret accepts the request
    (``webhook-signature`` holds space-delimited signatures, as the spec allows)."""

    __slots__ = ("_webhooks",)

    def __init__(self, geheimen: Sequence[str]) -> None:
        self._webhooks = tuple(Webhook(g) for g in geheimen)

    def handtekening(self, webhook_id: str, moment: datetime, body: str) -> str:
        return " ".join(w.sign(webhook_id, moment, body) for w in self._webhooks)
