"""Subscription secrets: made here, shown to the owner once, kept encrypted at rest (Fernet,
keys from ``KETEN_ROUTER_SLEUTELS``), and used to sign every attempt per Standard Webhooks."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from datetime import datetime

from standardwebhooks.webhooks import Webhook

from keten_core.versleuteling import Sleutelring

__all__ = ["Kluis", "Ondertekenaar", "nieuw_geheim"]

# Standard Webhooks: "secrets SHOULD be 24 to 64 bytes"; prefixed whsec_ as its libraries
# expect.
_SECRET_BYTES = 32


def nieuw_geheim() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode()


class Kluis:
    """Subscription secrets encrypted for the database (``keten_core.versleuteling``: the first
    key encrypts, every key decrypts, so keys rotate)."""

    def __init__(self, sleutels: str) -> None:
        self._ring = Sleutelring(sleutels, naam="KETEN_ROUTER_SLEUTELS")

    def versleutel(self, geheim: str) -> bytes:
        return self._ring.versleutel(geheim.encode())

    def ontsleutel(self, token: bytes) -> str:
        """Raises ``NietTeOntsleutelen`` (a ``ValueError``) when no key fits."""
        return self._ring.ontsleutel(token).decode()


class Ondertekenaar:
    """Signs one body for one attempt with every secret in force (newest first): during a
    rotation's overlap a subscriber verifying with either secret accepts the request
    (``webhook-signature`` holds space-delimited signatures, as the spec allows)."""

    __slots__ = ("_webhooks",)

    def __init__(self, geheimen: Sequence[str]) -> None:
        self._webhooks = tuple(Webhook(g) for g in geheimen)

    def handtekening(self, webhook_id: str, moment: datetime, body: str) -> str:
        return " ".join(w.sign(webhook_id, moment, body) for w in self._webhooks)
