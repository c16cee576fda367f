"""The event catalogue and the event data models."""

from keten_contracts.events.catalogue import (
    DOMAINS,
    SCHEMA_BASE_URL,
    TOPICS,
    EventType,
    all_event_types,
    get_event_type,
    topic_for,
)

__all__ = [
    "DOMAINS",
    "SCHEMA_BASE_URL",
    "TOPICS",
    "EventType",
    "all_event_types",
    "get_event_type",
    "topic_for",
]
