"""Private topics on the chain's cluster: a topic that one authenticated party alone may read.

The notificatie-router delivers a subscription to its own topic; the router (a super user on the
SASL listener) creates the topic, the subscriber's SCRAM user and the ACLs that let only that
user read it. aiokafka 0.14 has no admin calls for ACLs or SCRAM credentials, so these three
calls go through confluent-kafka's ``AdminClient`` (librdkafka: ``CreateTopics``, ``CreateAcls``
and ``AlterUserScramCredentials`` of KIP-554); producing and consuming stay on aiokafka. That
needs no Java and no Kafka distribution in the router's image.

Callers pass aiokafka-style client options (``sasl_client_options``); they are translated to
librdkafka configuration here. The admin calls return ``concurrent.futures`` that are awaited on
a worker thread, never on the event loop, and give up after ``ADMIN_TIMEOUT`` seconds.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Hashable, Mapping
from typing import Any, TypeVar

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import (
    AclBinding,
    AclOperation,
    AclPermissionType,
    AdminClient,
    NewTopic,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialUpsertion,
)

__all__ = [
    "SCRAM_MECHANISM",
    "ensure_private_topic",
    "ensure_scram_user",
    "sasl_client_options",
]

SCRAM_MECHANISM = "SCRAM-SHA-256"
# Kafka's minimum (and kafka-configs' default); more only slows every SASL handshake.
SCRAM_ITERATIONS = 4096
# Seconds one admin call may take, broker lookup and authentication included.
ADMIN_TIMEOUT = 30.0

# aiokafka client keyword -> librdkafka configuration property.
_LIBRDKAFKA_OPTION = {
    "security_protocol": "security.protocol",
    "sasl_mechanism": "sasl.mechanism",
    "sasl_plain_username": "sasl.username",
    "sasl_plain_password": "sasl.password",
    "client_id": "client.id",
}

_Key = TypeVar("_Key", bound=Hashable)


def sasl_client_options(user: str, password: str) -> dict[str, str]:
    """aiokafka keyword arguments for the SASL_PLAINTEXT listener with SCRAM-SHA-256."""
    return {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": SCRAM_MECHANISM,
        "sasl_plain_username": user,
        "sasl_plain_password": password,
    }


def _admin(bootstrap_servers: str, client_options: Mapping[str, Any]) -> AdminClient:
    unknown = sorted(set(client_options) - set(_LIBRDKAFKA_OPTION))
    if unknown:
        raise TypeError(f"unsupported Kafka client options for the admin client: {unknown}")
    config = {"bootstrap.servers": bootstrap_servers}
    config.update({_LIBRDKAFKA_OPTION[key]: value for key, value in client_options.items()})
    return AdminClient(config)


async def _outcomes(
    futures: Mapping[_Key, concurrent.futures.Future[Any]],
) -> dict[_Key, BaseException | None]:
    """Wait (on a worker thread) for every future; each key's exception, or None on success."""
    _done, pending = await asyncio.to_thread(
        concurrent.futures.wait, futures.values(), ADMIN_TIMEOUT + 5
    )
    for future in pending:
        future.cancel()
    if pending:
        raise TimeoutError(f"Kafka admin call unanswered after {ADMIN_TIMEOUT + 5:.0f} s")
    return {key: future.exception() for key, future in futures.items()}


def _error_code(error: BaseException) -> int | None:
    if isinstance(error, KafkaException) and error.args and isinstance(error.args[0], KafkaError):
        return error.args[0].code()
    return None


async def ensure_scram_user(
    bootstrap_servers: str,
    user: str,
    password: str,
    *,
    iterations: int = SCRAM_ITERATIONS,
    **client_options: Any,
) -> None:
    """Create or replace ``user``'s SCRAM-SHA-256 credential (idempotent: an upsert; librdkafka
    salts and hashes the password). The connecting principal needs ALTER on the cluster (a super
    user)."""
    admin = _admin(bootstrap_servers, client_options)
    upsertion = UserScramCredentialUpsertion(
        user, ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, iterations), password.encode()
    )
    futures = admin.alter_user_scram_credentials([upsertion], request_timeout=ADMIN_TIMEOUT)
    for name, error in (await _outcomes(futures)).items():
        if error is not None:
            raise KafkaException(f"SCRAM credential of {name}: {error}") from error


def _principal_name(principal: str) -> str:
    kind, _, name = principal.partition(":")
    if kind != "User" or not name:
        raise ValueError(f"expected a principal like 'User:abonnee-x', got {principal!r}")
    return name


async def ensure_private_topic(
    bootstrap_servers: str,
    topic: str,
    *,
    reader_principal: str,
    partitions: int = 3,
    replication_factor: int = 1,
    group_prefix: str | None = None,
    **client_options: Any,
) -> None:
    """Create ``topic`` when missing and allow ``reader_principal`` (``User:<name>``) to READ
    and DESCRIBE it and to READ consumer groups whose id starts with ``group_prefix`` (default:
    the user name). Nobody else gets an ACL: with ``allow.everyone.if.no.acl.found=false`` only
    super users (the router) can use the topic otherwise. Idempotent: an existing topic is left
    as it is and Kafka ignores a binding that exists already. ``client_options`` are aiokafka
    client arguments, e.g. ``sasl_client_options(...)``."""
    prefix = group_prefix if group_prefix is not None else _principal_name(reader_principal)
    if not prefix:
        raise ValueError("an empty group prefix would open every consumer group to the reader")
    admin = _admin(bootstrap_servers, client_options)

    created = admin.create_topics(
        [NewTopic(topic, num_partitions=partitions, replication_factor=replication_factor)],
        operation_timeout=ADMIN_TIMEOUT,
        request_timeout=ADMIN_TIMEOUT,
    )
    error = (await _outcomes(created))[topic]
    # Exists already: an earlier call, or another router instance at the same moment.
    if error is not None and _error_code(error) != KafkaError.TOPIC_ALREADY_EXISTS:
        raise KafkaException(f"cannot create topic {topic}: {error}") from error

    def allow(
        kind: ResourceType, name: str, pattern: ResourcePatternType, op: AclOperation
    ) -> AclBinding:
        return AclBinding(kind, name, pattern, reader_principal, "*", op, AclPermissionType.ALLOW)

    bindings = [
        allow(ResourceType.TOPIC, topic, ResourcePatternType.LITERAL, AclOperation.READ),
        allow(ResourceType.TOPIC, topic, ResourcePatternType.LITERAL, AclOperation.DESCRIBE),
        allow(ResourceType.GROUP, prefix, ResourcePatternType.PREFIXED, AclOperation.READ),
    ]
    outcomes = await _outcomes(admin.create_acls(bindings, request_timeout=ADMIN_TIMEOUT))
    for binding, error in outcomes.items():
        if error is not None:
            raise KafkaException(f"ACL {binding} for {reader_principal}: {error}") from error
