"""Personal data encrypted at rest: Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``)
with key rotation, for services that keep files or copies holding personal data in their
database (the cbs-leverancier's snapshots and delivery files; seed 000, the DPIA's measures:
"encryptie").

Keys come from a setting holding a comma-separated list of Fernet keys. The FIRST key encrypts;
EVERY key decrypts, so a rotation is: put the new key first, re-encrypt at leisure
(``Sleutelring.herversleutel``), then drop the old key. The router's subscription secrets
(``notificatie_router.geheimen.Kluis``) use it too.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr

__all__ = ["NietTeOntsleutelen", "Sleutelring", "nieuwe_sleutel"]


class NietTeOntsleutelen(ValueError):
    """A token decrypts with none of the configured keys (or was altered)."""


def nieuwe_sleutel() -> str:
    """A fresh key for the setting (32 url-safe base64-encoded bytes)."""
    return Fernet.generate_key().decode()


class Sleutelring:
    """Encrypts with the first key, decrypts with any; ``naam`` is the setting (for errors)."""

    def __init__(self, sleutels: SecretStr | str, *, naam: str = "sleutels") -> None:
        raw = sleutels.get_secret_value() if isinstance(sleutels, SecretStr) else sleutels
        keys = [k.strip() for k in raw.split(",") if k.strip()]
        if not keys:
            raise ValueError(f"{naam} holds no key")
        try:
            self._fernet = MultiFernet([Fernet(k) for k in keys])
        except ValueError as exc:
            raise ValueError(
                f"{naam}: each key is 32 url-safe base64-encoded bytes (Fernet.generate_key())"
            ) from exc

    def __repr__(self) -> str:
        return "Sleutelring(<keys>)"

    def versleutel(self, data: bytes) -> bytes:
        return self._fernet.encrypt(data)

    def ontsleutel(self, token: bytes) -> bytes:
        try:
            return self._fernet.decrypt(token)
        except InvalidToken as exc:
            raise NietTeOntsleutelen("the data decrypts with none of the configured keys") from exc

    def herversleutel(self, token: bytes) -> bytes:
        """``token`` encrypted again with the first key (after a rotation)."""
        try:
            return self._fernet.rotate(token)
        except InvalidToken as exc:
            raise NietTeOntsleutelen("the data decrypts with none of the configured keys") from exc
