"""Validate one event against the profile and the catalogue, with errors that name the field.

Accepts a CloudEvent in structured content mode (``application/cloudevents+json``) or a Kafka
message dump in binary content mode: ``{"topic": ..., "headers": {...} | [[name, value], ...],
"key": ..., "value": ...}``. A JSON array validates each element.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from keten_contracts.envelope import (
    EXT_AANBIEDEROIN,
    EXT_AANBIEDERSOORT,
    EXT_ABONNEEOIN,
    EXT_GEMEENTECODE,
    EnvelopeAttributes,
    contains_bsn,
)
from keten_contracts.events.catalogue import EventType, all_event_types, get_event_type
from keten_contracts.parties import Rol

__all__ = [
    "ValidationReport",
    "check_event",
    "routing_errors",
    "validate_document",
    "validate_kafka",
    "validate_structured",
]

_ROUTING_EXTENSIONS = (EXT_GEMEENTECODE, EXT_AANBIEDERSOORT, EXT_AANBIEDEROIN, EXT_ABONNEEOIN)
_ROLLEN = frozenset(r.value for r in Rol)


@dataclass
class ValidationReport:
    label: str
    event_type: str | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _loc(parts: tuple[int | str, ...]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _pydantic_errors(exc: ValidationError, prefix: str, naming: str) -> list[str]:
    messages = []
    for err in exc.errors():
        where = _loc(tuple(err["loc"]))
        if naming == "header" and where:
            head, _, rest = where.partition(".")
            where = f"ce_{head}" + (f".{rest}" if rest else "")
        name = f"{prefix}{where}" if where else prefix.rstrip(".") or "event"
        shown = (
            ""
            if err["type"] == "missing"
            else f" (got {json.dumps(err.get('input'), default=str)[:80]})"
        )
        messages.append(f"{name}: {err['msg']}{shown}")
    return messages


def _scan_bsn(value: Any, where: str) -> list[str]:
    """Anything in the event that passes the elfproef is treated as a BSN and refused."""
    if isinstance(value, Mapping):
        return [e for k, v in value.items() for e in _scan_bsn(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [e for i, v in enumerate(value) for e in _scan_bsn(v, f"{where}[{i}]")]
    if isinstance(value, str | int) and not isinstance(value, bool) and contains_bsn(str(value)):
        return [f"{where}: contains a number that passes the BSN elfproef; events carry no BSN"]
    return []


def _check_event(
    attributes: dict[str, Any], data: Any, naming: str, report: ValidationReport
) -> None:
    """Shared checks; ``naming`` is 'attribute' (structured) or 'header' (Kafka)."""

    def attr(name: str) -> str:
        return f"header ce_{name}" if naming == "header" else f"attribute {name}"

    errors = report.errors
    type_str = attributes.get("type")
    et: EventType | None = None
    if isinstance(type_str, str):
        try:
            et = get_event_type(type_str)
            report.event_type = type_str
        except KeyError:
            close = difflib.get_close_matches(type_str, [t.type for t in all_event_types()], n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            errors.append(f"{attr('type')}: unknown event type {type_str!r}{hint}")
    try:
        EnvelopeAttributes.model_validate(attributes)
    except ValidationError as exc:
        errors.extend(_pydantic_errors(exc, f"{naming} ", naming))
    for name, value in attributes.items():
        errors.extend(_scan_bsn(value, attr(name)))
    if not isinstance(data, Mapping):
        errors.append("data: must be a JSON object")
        return
    errors.extend(_scan_bsn(data, "data"))
    if et is None:
        return
    errors.extend(routing_errors(attributes, et, attr))
    dataschema = str(attributes.get("dataschema", ""))
    if dataschema and not dataschema.endswith(f"/{et.schema_file}"):
        errors.append(f"{attr('dataschema')}: must be the schema of the type, {et.dataschema}")
    try:
        et.data_model.model_validate(data)
    except ValidationError as exc:
        errors.extend(_pydantic_errors(exc, "data.", "data"))
    subject = attributes.get("subject")
    if et.subject_field in data and subject is not None and data[et.subject_field] != subject:
        errors.append(
            f"{attr('subject')}: must equal data.{et.subject_field} "
            f"({data[et.subject_field]!r}), the resource at dataref"
        )
    dataref = str(attributes.get("dataref", ""))
    if subject is not None and dataref:
        expected_tail = et.resource_def.path_template.format(id=subject)
        if not dataref.endswith(expected_tail):
            errors.append(
                f"{attr('dataref')}: must point to the {et.resource} at the source, ending in "
                f"{expected_tail!r}"
            )


def routing_errors(
    attributes: Mapping[str, Any],
    et: EventType,
    attr: Callable[[str], str] = lambda name: f"attribute {name}",
) -> list[str]:
    """How the routing extensions break the type's entry: required ones missing, others present,
    an aanbiedersoort that may not receive the type. Consumers check this strictly too."""
    errors = []
    for ext in _ROUTING_EXTENSIONS:
        present = attributes.get(ext) is not None
        if ext in et.routing_extensions and not present:
            errors.append(f"{attr(ext)}: required for {et.type} (routing)")
        if ext not in et.routing_extensions and present:
            errors.append(f"{attr(ext)}: not used by {et.type}; leave it out")
    soort = attributes.get(EXT_AANBIEDERSOORT)
    if isinstance(soort, str) and soort in _ROLLEN:
        if Rol(soort) not in et.recipients:
            errors.append(f"{attr(EXT_AANBIEDERSOORT)}: {soort!r} may not receive {et.type}")
    return errors


def check_event(attributes: Mapping[str, Any], data: Any) -> list[str]:
    """Every way an event (context attributes as a mapping, data as parsed JSON) breaks the
    catalogue; empty when it conforms. The runtime codec and the command share this."""
    report = ValidationReport("event")
    _check_event(dict(attributes), data, "attribute", report)
    return report.errors


def validate_structured(event: Any, label: str = "event") -> ValidationReport:
    report = ValidationReport(label)
    if not isinstance(event, Mapping):
        report.errors.append("event: must be a JSON object (structured content mode)")
        return report
    if "data_base64" in event:
        report.errors.append(
            "data_base64: not allowed; data is JSON (datacontenttype application/json)"
        )
    if "data" not in event:
        report.errors.append("data: missing")
    attributes = {k: v for k, v in event.items() if k not in ("data", "data_base64")}
    _check_event(attributes, event.get("data"), "attribute", report)
    return report


def _header_text(name: str, value: Any, report: ValidationReport) -> str | None:
    if isinstance(value, str):
        return value
    report.errors.append(f"header {name}: must be a string")
    return None


def validate_kafka(message: Any, label: str = "message") -> ValidationReport:
    """A Kafka record in binary content mode, as dumped by a consumer."""
    report = ValidationReport(label)
    if not isinstance(message, Mapping):
        report.errors.append("message: must be a JSON object with headers, key and value")
        return report
    raw_headers = message.get("headers")
    if isinstance(raw_headers, list):
        pairs = [
            tuple(pair) for pair in raw_headers if isinstance(pair, list | tuple) and len(pair) == 2
        ]
        if len(pairs) != len(raw_headers):
            report.errors.append("headers: a list must hold [name, value] pairs")
        names = [p[0] for p in pairs]
        for dup in sorted({n for n in names if names.count(n) > 1}):
            report.errors.append(f"header {dup}: appears more than once")
        headers = dict(pairs)
    elif isinstance(raw_headers, Mapping):
        headers = dict(raw_headers)
    else:
        report.errors.append(
            "headers: missing (binary content mode puts attributes in ce_* headers)"
        )
        headers = {}
    attributes: dict[str, Any] = {}
    for name, value in headers.items():
        text = _header_text(str(name), value, report)
        if text is None:
            continue
        if name.startswith("ce_"):
            attributes[name[3:]] = text
        elif name.lower() == "content-type":
            attributes["datacontenttype"] = text
    if "datacontenttype" not in attributes:
        report.errors.append("header content-type: missing (must be application/json)")
    value = message.get("value")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            report.errors.append(f"value: not JSON ({exc.msg} at {exc.pos})")
            value = None
    _check_event(attributes, value, "header", report)
    key = message.get("key")
    if key != attributes.get("partitionkey"):
        report.errors.append(
            f"key: must equal header ce_partitionkey, the person-level id (got {key!r})"
        )
    topic = message.get("topic")
    if topic is not None and report.event_type is not None:
        expected = get_event_type(report.event_type).topic
        if topic != expected:
            report.errors.append(
                f"topic: {report.event_type} belongs on {expected!r}, not {topic!r}"
            )
    return report


def validate_document(document: Any, label: str = "event") -> list[ValidationReport]:
    """Detect the shape (structured event, Kafka dump, or a list of them) and validate."""
    if isinstance(document, list):
        return [
            report
            for i, item in enumerate(document)
            for report in validate_document(item, f"{label}[{i}]")
        ]
    if isinstance(document, Mapping) and "headers" in document and "specversion" not in document:
        return [validate_kafka(document, label)]
    return [validate_structured(document, label)]
