"""Settings from the environment. Every service extends ``KetenSettings``; hosts and secrets
come from variables (prefix ``KETEN_``), never from module-level constants."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_KAFKA_BOOTSTRAP = "127.0.0.1:19092"
DEFAULT_DATABASE_URL = "postgresql+asyncpg://keten:keten@127.0.0.1:55432/keten"


class KetenSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="KETEN_", env_nested_delimiter="__", extra="ignore"
    )

    service_name: str = "keten"
    kafka_bootstrap_servers: str = DEFAULT_KAFKA_BOOTSTRAP
    database_url: str = DEFAULT_DATABASE_URL
    # Created at start-up when missing; 1 suits a single-node broker, production sets 3.
    kafka_replication_factor: int = 1
    kafka_partitions: int = 3
    dead_letter_topic: str = "keten.deadletter"
    log_level: str = "INFO"
    log_json: bool = True
    otel_exporter: str = Field(
        default="none", description="none | console | otlp (OTLP needs the exporter package)"
    )
