"""Shared runtime of the chain's services: settings, CloudEvents codec, Kafka I/O, outbox and
inbox, telemetry, authentication, problem details and health."""
