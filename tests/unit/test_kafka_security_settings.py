"""``KETEN_KAFKA_SECURITY_PROTOCOL`` and friends become the aiokafka options every client of
the kit gets; an incomplete configuration is refused at start-up, not at the first publish.
TLS is checked here (the project's broker has no TLS listener): the context verifies the
brokers against the configured CA, or the system's, and carries a client certificate."""

from __future__ import annotations

import datetime
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import ValidationError

from keten_core.kafka import client_options
from keten_core.settings import KetenSettings


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A CA certificate and its key, as PEM files (the CA doubles as a client certificate)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "keten-test-ca")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "ca.crt", directory / "client.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def test_plaintext_adds_nothing() -> None:
    assert KetenSettings().kafka_client_options() == {}
    assert client_options({}) == {}


def test_sasl_ssl_with_the_clusters_ca_and_a_client_certificate(tmp_path: Path) -> None:
    ca, key = self_signed(tmp_path)
    options = KetenSettings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_username="dossier-bron",
        kafka_sasl_password="geheim",
        kafka_ssl_cafile=ca,
        kafka_ssl_certfile=ca,
        kafka_ssl_keyfile=key,
    ).kafka_client_options()
    context = options.pop("ssl_context")
    assert options == {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "dossier-bron",
        "sasl_plain_password": "geheim",
    }
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert [c["subject"] for c in context.get_ca_certs()] == [((("commonName", "keten-test-ca"),),)]


def test_ssl_without_a_ca_file_verifies_with_the_systems_cas() -> None:
    options = KetenSettings(kafka_security_protocol="SSL").kafka_client_options()
    assert set(options) == {"security_protocol", "ssl_context"}
    context = options["ssl_context"]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"kafka_security_protocol": "SASL_SSL"}, "needs KETEN_KAFKA_SASL_USERNAME"),
        (
            {"kafka_security_protocol": "SASL_PLAINTEXT", "kafka_sasl_username": "u"},
            "KETEN_KAFKA_SASL_PASSWORD",
        ),
        (
            {"kafka_security_protocol": "SSL", "kafka_ssl_certfile": "/etc/client.crt"},
            "KETEN_KAFKA_SSL_CERTFILE and KETEN_KAFKA_SSL_KEYFILE go together",
        ),
        ({"kafka_security_protocol": "TLS"}, "PLAINTEXT"),
    ],
)
def test_an_incomplete_configuration_is_refused(settings: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        KetenSettings(**settings)  # type: ignore[arg-type]


def test_the_password_never_shows_in_the_settings_repr() -> None:
    settings = KetenSettings(
        kafka_security_protocol="SASL_SSL", kafka_sasl_username="u", kafka_sasl_password="geheim"
    )
    assert "geheim" not in repr(settings)
