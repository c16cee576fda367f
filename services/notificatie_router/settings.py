"""notificatie-router's settings (environment, prefix ``KETEN_ROUTER_``... on top of the kit's
``KETEN_`` settings)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from keten_core.settings import KetenSettings

# Svix's schedule, shortened at the end to stay near 24 hours (23 h 36 min in total): most
# outages are over in minutes, a few last a working day.
DEFAULT_RETRY_STAGES_S: tuple[float, ...] = (
    5,
    30,
    5 * 60,
    30 * 60,
    2 * 3600,
    5 * 3600,
    10 * 3600,
    6 * 3600,
)


class RouterSettings(KetenSettings):
    # Fernet keys (urlsafe base64 of 32 bytes), comma-separated, newest first: the first
    # encrypts, all decrypt, so the key can be rotated without re-encrypting at once.
    router_sleutels: SecretStr | None = None
    # Seconds between the attempts of one delivery after its first failure; after the last
    # stage the delivery is dead.
    router_retry_stages_s: tuple[float, ...] = DEFAULT_RETRY_STAGES_S
    # A subscription whose every attempt failed for this long is disabled (3 days).
    router_uitschakelen_na_s: float = Field(default=3 * 86400, gt=0)
    # How long a rotated-out secret still signs, next to the new one.
    router_geheim_overlap_s: float = Field(default=24 * 3600, ge=0)
    # Replay and pull window: events older than this are removed (and asked for: 410).
    router_bewaartermijn_s: float = Field(default=7 * 86400, gt=0)
    # A first attempt's budget (connect, send, answer); a slower sink counts as failed.
    router_timeout_s: float = Field(default=10.0, gt=0)
    # Fixed pool of delivery workers (coroutines: cheap), and at most this many in flight per
    # subscription, so that one slow sink cannot occupy the pool. A single subscriber needs
    # tens of requests in flight to reach the throughput of raw POSTs (`keten
    # notificatie-router bench`): at 16 it reached 34 %.
    router_workers: int = Field(default=256, ge=1, le=4096)
    router_per_abonnement: int = Field(default=64, ge=1, le=1024)
    # The delivery log is written in bulk this often (and offsets committed after it).
    router_flush_s: float = Field(default=0.1, gt=0)
    # A scheduler that took a retry holds it this long; a crashed one's rows come free after.
    router_lease_s: float = Field(default=30.0, gt=0)
    # How often the retry scheduler looks for due deliveries.
    router_planner_s: float = Field(default=0.5, gt=0)
    # Kafka sinks: the chain cluster's SASL listener and the router's SCRAM user there (a super
    # user: it creates each subscription's topic, user and ACLs). Without them, KAFKA
    # subscriptions are refused.
    router_kafka_bootstrap: str | None = None
    router_kafka_gebruiker: str = "keten-router"
    router_kafka_wachtwoord: SecretStr | None = None
    # The WebHook-Request-Origin this router announces in the handshake (default: its host).
    router_origin: str | None = None
    # The operations console (/console/, console.py): off unless the OpenID Connect provider,
    # the console's client secret there and the console's public base URL are set. Operators act
    # with the notificatiebeheerder credentials of the SSC with this OIN, for the gemeenten the
    # ID token's claim lists (http only on loopback: the tests' provider).
    router_console_oidc_issuer: str | None = None
    router_console_oidc_client_id: str = "router-console"
    router_console_oidc_client_secret: SecretStr | None = None
    router_console_basis_url: str | None = None
    router_console_oin: str | None = None
    router_console_claim: str = "gemeentecodes"
    # The scopes asked for; the provider must put the claim in the ID token for them.
    router_console_scope: str = "openid profile"
