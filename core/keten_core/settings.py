"""Settings from the environment. Every service extends ``KetenSettings``; hosts and secrets
come from variables (prefix ``KETEN_``), never from module-level constants."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

# The services of the chain; each has its own database (see ``service_database``).
SERVICES = ("coa-adapter", "duo-adapter", "dossier-bron", "notificatie-router", "cbs-leverancier")

DEFAULT_KAFKA_BOOTSTRAP = "127.0.0.1:19092"
DEFAULT_DATABASE_URL = "postgresql+asyncpg://keten:keten@127.0.0.1:55432/keten"


def service_database(service: str) -> str:
    """The name of a service's own database on a shared server: ``keten_dossier_bron``."""
    return "keten_" + service.replace("-", "_")


class KetenSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="KETEN_", env_nested_delimiter="__", extra="ignore"
    )

    service_name: str = "keten"
    kafka_bootstrap_servers: str = DEFAULT_KAFKA_BOOTSTRAP
    database_url: str = DEFAULT_DATABASE_URL
    # Connections kept open per process. Above it, SQLAlchemy opens an overflow connection per
    # checkout and closes it on return: under more concurrent requests than this, every request
    # paid a new connection (TCP, TLS attempt, authentication); `keten dossier-bron bench`
    # showed the churn in its profile.
    database_pool_size: int = Field(default=20, ge=1, le=200)
    database_max_overflow: int = Field(default=10, ge=0, le=200)
    # How every Kafka client of the service connects (producer, consumers, admin, health):
    # a production cluster asks SASL (SCRAM) over TLS. With SSL or SASL_SSL and no CA file the
    # system's CAs verify the brokers; a client certificate is for clusters that ask one.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = None
    kafka_ssl_certfile: Path | None = None
    kafka_ssl_keyfile: Path | None = None
    # Created at start-up when missing; 1 suits a single-node broker, production sets 3.
    kafka_replication_factor: int = 1
    kafka_partitions: int = 3
    dead_letter_topic: str = "keten.deadletter"
    # Put before every domain topic name: sandboxes (and test runs) sharing one cluster.
    topic_prefix: str = Field(default="", pattern=r"^[a-zA-Z0-9._-]*$")
    # The organisation's OIN: the CloudEvents source of what the service emits is
    # urn:nld:oin:<oin>:systeem:<service name>.
    oin: str | None = Field(default=None, pattern=r"^\d{20}$")
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    # The URL at which the chain reaches this service (behind its ingress in Kubernetes); the
    # base of the ``dataschema`` URLs of what it emits. Default: http://<http_host>:<http_port>.
    public_url: str | None = Field(default=None, pattern=r"^https?://[^\s]+$")
    log_level: str = "INFO"
    log_json: bool = True
    otel_exporter: str = Field(
        default="none",
        description="none | console | otlp (OTLP/HTTP, OTEL_EXPORTER_OTLP_*)",
    )
    # Key of the processing log's subject pseudonyms (HMAC-SHA256, at least 32 bytes). Without
    # it a source serves no personal data (keten_core.source_read refuses every read).
    verwerkingslog_sleutel: SecretStr | None = None
    # The control API of a simulator (coa-adapter, duo-adapter): chain testers script the
    # emulated portal through it. Off unless enabled; only the service's own organisation's
    # clients (its registry entries with the owner's rol) may call it.
    control_api: bool = False
    # Sandbox mode: the chain's clock (keten_core.clock) may be moved, by scenario tests.
    sandbox: bool = False

    @model_validator(mode="after")
    def _kafka_security_complete(self) -> Self:
        if self.kafka_security_protocol.startswith("SASL_") and not (
            self.kafka_sasl_username and self.kafka_sasl_password
        ):
            raise ValueError(
                f"KETEN_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs "
                "KETEN_KAFKA_SASL_USERNAME and KETEN_KAFKA_SASL_PASSWORD"
            )
        if (self.kafka_ssl_certfile is None) != (self.kafka_ssl_keyfile is None):
            raise ValueError("KETEN_KAFKA_SSL_CERTFILE and KETEN_KAFKA_SSL_KEYFILE go together")
        return self

    def kafka_client_options(self) -> dict[str, Any]:
        """The keyword arguments every aiokafka client of the service gets (``keten_core.kafka
        .client_options``): empty for PLAINTEXT, so a client is built as before."""
        protocol = self.kafka_security_protocol
        if protocol == "PLAINTEXT":
            return {}
        # Imported here: settings are read by processes that never open a Kafka client.
        from aiokafka.helpers import create_ssl_context

        options: dict[str, Any] = {"security_protocol": protocol}
        if protocol.startswith("SASL_"):
            assert self.kafka_sasl_password is not None  # the validator saw to it
            options |= {
                "sasl_mechanism": self.kafka_sasl_mechanism,
                "sasl_plain_username": self.kafka_sasl_username,
                "sasl_plain_password": self.kafka_sasl_password.get_secret_value(),
            }
        if protocol.endswith("SSL"):
            options["ssl_context"] = create_ssl_context(
                cafile=str(self.kafka_ssl_cafile) if self.kafka_ssl_cafile else None,
                certfile=str(self.kafka_ssl_certfile) if self.kafka_ssl_certfile else None,
                keyfile=str(self.kafka_ssl_keyfile) if self.kafka_ssl_keyfile else None,
            )
        return options

    def database_url_for(self, service: str) -> str:
        """``KETEN_DATABASE_URL`` when it is set; else ``service``'s own database on the
        configured server, never a shared one (outbox, inbox, migrations and the relay lock are
        per database)."""
        if "database_url" in self.model_fields_set:
            return self.database_url
        url = make_url(self.database_url).set(database=service_database(service))
        return url.render_as_string(hide_password=False)

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.http_host}:{self.http_port}").rstrip("/")

    @property
    def schema_base_url(self) -> str:
        """Where this service serves the contracts' schemas (``keten_core.schemas``)."""
        return self.base_url + "/contracts/schemas"
