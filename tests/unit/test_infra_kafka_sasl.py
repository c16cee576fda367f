"""The local broker's rendered server.properties: a SASL/SCRAM listener beside the unchanged
plaintext one, and the standard authorizer with the plaintext principal as a super user."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from keten_core.infra import InfraSettings, LocalKafka


def rendered(broker: LocalKafka) -> dict[str, str]:
    broker._write_config()
    lines = broker.config_file.read_text().splitlines()
    pairs = [line.split("=", 1) for line in lines if line and not line.startswith("#")]
    return {key: value for key, value in pairs}


def test_listeners_authorizer_and_super_users(tmp_path: Path) -> None:
    config = rendered(LocalKafka(tmp_path, 29092, cache_dir=tmp_path))
    assert config["listeners"] == (
        "PLAINTEXT://127.0.0.1:29092,CONTROLLER://127.0.0.1:29093,SASL_PLAINTEXT://127.0.0.1:29094"
    )
    assert config["advertised.listeners"] == (
        "PLAINTEXT://127.0.0.1:29092,SASL_PLAINTEXT://127.0.0.1:29094"
    )
    assert config["inter.broker.listener.name"] == "PLAINTEXT"
    assert "SASL_PLAINTEXT:SASL_PLAINTEXT" in config["listener.security.protocol.map"].split(",")
    assert config["sasl.enabled.mechanisms"] == "SCRAM-SHA-256"
    assert (
        "ScramLoginModule" in config["listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config"]
    )
    assert config["authorizer.class.name"] == (
        "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    )
    assert config["super.users"] == "User:ANONYMOUS;User:keten-router"
    assert config["allow.everyone.if.no.acl.found"] == "false"


def test_settings_choose_sasl_port_and_router(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KETEN_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("KETEN_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("KETEN_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:39092")
    monkeypatch.setenv("KETEN_KAFKA_SASL_PORT", "39100")
    monkeypatch.setenv("KETEN_KAFKA_ROUTER_USER", "router-x")
    monkeypatch.setenv("KETEN_KAFKA_ROUTER_PASSWORD", "geheim-genoeg")
    broker = LocalKafka.from_settings(InfraSettings())
    assert broker.sasl_bootstrap_servers == "127.0.0.1:39100"
    assert (broker.router_user, broker.router_password) == ("router-x", "geheim-genoeg")
    config = rendered(broker)
    assert config["super.users"] == "User:ANONYMOUS;User:router-x"
    assert "SASL_PLAINTEXT://127.0.0.1:39100" in config["listeners"]


def test_a_password_that_would_break_the_format_argument_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KETEN_KAFKA_ROUTER_PASSWORD", "a,b]=c")
    with pytest.raises(ValidationError):
        InfraSettings()
