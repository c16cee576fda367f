"""Renderings generated from the models: JSON Schema per event data, resource and view; the
AsyncAPI 3.0 document of the Kafka channels; the human-readable CATALOGUE.md.

The rendered files are committed; ``keten-contracts check`` (and a test) fails when they are
stale, so the models stay the one source of truth (architecture.md principle 5).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Final

import yaml

from keten_contracts.classification import (
    X_BEWAARTERMIJN,
    X_CLASSIFICATIE,
    Bewaartermijn,
    tags_of,
)
from keten_contracts.envelope import (
    EXT_AANBIEDERSOORT,
    EXT_ABONNEEOIN,
    SOURCE_PATTERN,
    TRACEPARENT_PATTERN,
    TYPE_PATTERN,
)
from keten_contracts.events.catalogue import (
    DOMAINS,
    SCHEMA_BASE_URL,
    TOPICS,
    EventType,
    all_event_types,
)
from keten_contracts.parties import GEMEENTECODE_PATTERN, OIN_PATTERN, Rol
from keten_contracts.policy import may_read, view_model
from keten_contracts.resources import ResourceDef, all_resources

PACKAGE_DIR: Final = Path(__file__).resolve().parent
SCHEMAS_DIR: Final = PACKAGE_DIR / "schemas"
ASYNCAPI_FILE: Final = PACKAGE_DIR / "asyncapi.yaml"
JSON_SCHEMA_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
KAFKA_BINDING_VERSION: Final = "0.5.0"


def contracts_dir() -> Path | None:
    """The ``contracts/`` source directory when running from a checkout, else None."""
    candidate = PACKAGE_DIR.parents[1]
    pyproject = candidate / "pyproject.toml"
    if pyproject.is_file() and 'name = "keten-contracts"' in pyproject.read_text():
        return candidate
    return None


def package_version() -> str:
    try:
        return version("keten-contracts")
    except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
        return "0.0.0"


def _dump_json(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


# --- JSON Schema -------------------------------------------------------------------------------


def event_schema(et: EventType) -> dict[str, Any]:
    body = et.data_model.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": et.dataschema,
        "title": et.type,
        "description": et.description,
        "x-resource": et.resource,
        "x-personal-data": et.personal_data,
        **{k: v for k, v in body.items() if k not in ("title", "description")},
    }


def resource_schema(rd: ResourceDef) -> dict[str, Any]:
    body = rd.model.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": f"{SCHEMA_BASE_URL}/resources/{rd.name}.json",
        "x-owner": rd.owner.value,
        "x-path": rd.path_template,
        **body,
    }


def view_schema(rd: ResourceDef, rol: Rol) -> dict[str, Any] | None:
    # What the role reads of a person linked to it (for a gemeente: its own persons).
    view = view_model(rd.name, rol, same_gemeente=True)
    if view is None:
        return None
    body = view.model_json_schema(by_alias=True, mode="serialization")
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": f"{SCHEMA_BASE_URL}/views/{rd.name}/{rol.value}.json",
        "x-resource": rd.name,
        "x-rol": rol.value,
        **body,
    }


def view_file(rd: ResourceDef, rol: Rol) -> str:
    return f"views/{rd.name}/{rol.value}.json"


def json_schemas() -> dict[str, dict[str, Any]]:
    """Every JSON Schema keyed by its path below ``schemas/``."""
    out: dict[str, dict[str, Any]] = {}
    for et in all_event_types():
        out[et.schema_file] = event_schema(et)
    for rd in all_resources():
        out[f"resources/{rd.name}.json"] = resource_schema(rd)
        for rol in Rol:
            schema = view_schema(rd, rol)
            if schema is not None:
                out[view_file(rd, rol)] = schema
    return out


# --- AsyncAPI 3.0 -------------------------------------------------------------------------------

_HEADER_DOC: Final[Mapping[str, tuple[dict[str, Any], str]]] = {
    "ce_specversion": ({"type": "string", "const": "1.0"}, "CloudEvents version."),
    "ce_id": ({"type": "string", "format": "uuid"}, "Unique event id (consumers deduplicate)."),
    "ce_source": (
        {"type": "string", "pattern": SOURCE_PATTERN},
        "urn:nld:oin:<OIN>:systeem:<name>.",
    ),
    "ce_type": (
        {"type": "string", "pattern": TYPE_PATTERN},
        "Event type (reverse-DNS, versioned).",
    ),
    "ce_time": (
        {"type": "string", "format": "date-time"},
        "When the source committed the change (RFC 3339, with zone); never a legal date, "
        "which is in the resource. Per type: x-time.",
    ),
    "ce_dataschema": ({"type": "string", "format": "uri"}, "URL of the data's JSON Schema."),
    "ce_subject": (
        {"type": "string", "minLength": 1, "maxLength": 200},
        "The source's opaque id of the resource at ce_dataref. Never a BSN.",
    ),
    "ce_partitionkey": (
        {"type": "string", "minLength": 1, "maxLength": 200},
        "The producing source's opaque person-level id (x-key per type); equals the Kafka "
        "key, so one person's events from one source stay in order. Never a BSN.",
    ),
    "ce_sequence": (
        {"type": "string", "minLength": 1},
        "Optional (CloudEvents sequence extension): order within the producer.",
    ),
    "ce_sequencetype": (
        {"type": "string"},
        "Optional: how ce_sequence is ordered (`Integer`).",
    ),
    "ce_dataref": (
        {"type": "string", "format": "uri"},
        "Where an authorised party fetches the resource.",
    ),
    "ce_gemeentecode": (
        {"type": "string", "pattern": GEMEENTECODE_PATTERN},
        "CBS code of the gemeente the event concerns (routing, schotten).",
    ),
    "ce_aanbiedersoort": (
        {"type": "string", "enum": sorted(r.value for r in Rol if r.is_aanbieder)},
        "Kind of aanbieder an opdracht event is for (routing).",
    ),
    "ce_aanbiederoin": (
        {"type": "string", "pattern": OIN_PATTERN},
        "OIN of the one aanbieder an opdracht event is for (routing).",
    ),
    "ce_abonneeoin": (
        {"type": "string", "pattern": OIN_PATTERN},
        "OIN of the one subscriber a notice about its own subscription is for (routing).",
    ),
    "ce_traceparent": ({"type": "string", "pattern": TRACEPARENT_PATTERN}, "W3C trace context."),
    "ce_tracestate": ({"type": "string"}, "W3C trace state."),
    "content-type": (
        {"type": "string", "const": "application/json"},
        "datacontenttype in binary mode.",
    ),
}
_ALWAYS_REQUIRED: Final = (
    "ce_specversion",
    "ce_id",
    "ce_source",
    "ce_type",
    "ce_time",
    "ce_dataschema",
    "ce_subject",
    "ce_dataref",
    "ce_partitionkey",
    "content-type",
)


def _hoist_defs(schema: dict[str, Any], into: dict[str, Any]) -> dict[str, Any]:
    """Move ``$defs`` into AsyncAPI ``components.schemas`` and point the refs there."""
    schema = copy.deepcopy(schema)
    for name, definition in schema.pop("$defs", {}).items():
        if name in into and into[name] != definition:
            raise ValueError(f"two different definitions named {name!r}")
        into[name] = definition

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                k: (
                    v.replace("#/$defs/", "#/components/schemas/")
                    if k == "$ref" and isinstance(v, str)
                    else rewrite(v)
                )
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [rewrite(v) for v in node]
        return node

    for name in list(into):
        into[name] = rewrite(into[name])
    return rewrite(schema)


def _headers_example(et: EventType) -> dict[str, str]:
    example = et.example()
    headers = {
        f"ce_{k}": str(v) for k, v in example.items() if k not in ("data", "datacontenttype")
    }
    headers["content-type"] = example["datacontenttype"]
    return headers


def asyncapi_document() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    by_domain: dict[str, list[EventType]] = {domain: [] for domain in DOMAINS}
    for et in all_event_types():
        by_domain[et.domain].append(et)
        payload = event_schema(et)
        payload.pop("$schema")
        payload.pop("$id")
        schemas[et.type] = _hoist_defs(payload, schemas)
        required = list(_ALWAYS_REQUIRED) + sorted(f"ce_{e}" for e in et.routing_extensions)
        messages[et.type] = {
            "name": et.type,
            "title": et.type,
            "summary": et.description,
            "contentType": "application/json",
            "traits": [{"$ref": "#/components/messageTraits/cloudEventsKafkaBinary"}],
            "headers": {
                "type": "object",
                "required": required,
                "properties": {"ce_type": {"type": "string", "const": et.type}},
            },
            "payload": {"$ref": f"#/components/schemas/{et.type}"},
            "bindings": {
                "kafka": {
                    "key": {
                        "type": "string",
                        "description": "ce_partitionkey: " + et.sleutel.omschrijving,
                    },
                    "bindingVersion": KAFKA_BINDING_VERSION,
                }
            },
            "x-producers": sorted(r.value for r in et.producers),
            "x-recipients": sorted(r.value for r in et.recipients),
            "x-resource": et.resource,
            "x-dataref": et.dataref_template,
            "x-personal-data": et.personal_data,
            "x-time": et.time_meaning,
            "x-key": et.sleutel.omschrijving,
            "examples": [
                {
                    "name": "example",
                    "headers": _headers_example(et),
                    "payload": et.example()["data"],
                }
            ],
        }
    for domain, types in by_domain.items():
        if not types:
            continue
        topic = TOPICS[domain]
        channel_messages = {et.type: {"$ref": f"#/components/messages/{et.type}"} for et in types}
        channels[domain] = {
            "address": topic,
            "title": topic,
            "description": (
                f"All events produced by the {domain} domain. Key: ce_partitionkey, the "
                "producer's person-level id (x-key per message)."
            ),
            "messages": channel_messages,
            "bindings": {"kafka": {"topic": topic, "bindingVersion": KAFKA_BINDING_VERSION}},
        }
        refs = [{"$ref": f"#/channels/{domain}/messages/{et.type}"} for et in types]
        operations[f"{domain}.publish"] = {
            "action": "send",
            "title": f"Publish on {topic}",
            "summary": f"A {domain} producer publishes (through its transactional outbox).",
            "channel": {"$ref": f"#/channels/{domain}"},
            "messages": refs,
        }
        operations[f"{domain}.consume"] = {
            "action": "receive",
            "title": f"Consume {topic}",
            "summary": "The notificatie-router and allowed recipients consume; see x-recipients.",
            "channel": {"$ref": f"#/channels/{domain}"},
            "messages": refs,
        }
    trait_headers = {
        "type": "object",
        "required": list(_ALWAYS_REQUIRED),
        "properties": {
            name: {**schema, "description": doc} for name, (schema, doc) in _HEADER_DOC.items()
        },
    }
    return {
        "asyncapi": "3.0.0",
        "id": "urn:nl:inburgering:keten",
        "info": {
            "title": "Wet inburgering chain events",
            "version": package_version(),
            "description": (
                "CloudEvents (NL GOV profile) exchanged between gemeenten, DUO, COA, CBS and "
                "aanbieders over Kafka, binary content mode: attributes as `ce_*` headers, data "
                "as the JSON value, key = ce_partitionkey (the producer's person-level id). "
                "Events are thin: they carry no personal data and point to the resource at the "
                "source (`ce_dataref`). "
                "Generated from keten_contracts; do not edit."
            ),
            "license": {"name": "EUPL-1.2", "url": "https://eupl.eu/1.2/en/"},
        },
        "defaultContentType": "application/json",
        "servers": {
            "keten": {
                "host": "kafka.inburgering.example:9093",
                "protocol": "kafka",
                "description": "The chain's Kafka cluster (host is configuration).",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "messages": messages,
            "messageTraits": {
                "cloudEventsKafkaBinary": {
                    "name": "CloudEvents Kafka binary content mode",
                    "summary": "NL GOV CloudEvents attributes as Kafka headers.",
                    "headers": trait_headers,
                }
            },
        },
    }


def asyncapi_yaml() -> str:
    header = "# Generated by `keten-contracts render` from keten_contracts. Do not edit.\n"
    return header + yaml.safe_dump(
        asyncapi_document(), sort_keys=False, allow_unicode=True, width=100
    )


# --- CATALOGUE.md --------------------------------------------------------------------------------


def _roles(rollen: Iterable[Rol]) -> str:
    return ", ".join(f"`{r.value}`" for r in sorted(rollen, key=lambda r: list(Rol).index(r)))


def _anchor(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum() or c in "-_ ").replace(" ", "-")


def _type_of(prop: Mapping[str, Any]) -> str:
    if "$ref" in prop:
        return prop["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in prop:
        return " or ".join(_type_of(p) for p in prop["anyOf"])
    if prop.get("type") == "array":
        return f"list of {_type_of(prop.get('items', {}))}"
    kind = str(prop.get("type", "any"))
    if "format" in prop:
        kind += f" ({prop['format']})"
    return kind


def _field_table(
    schema: Mapping[str, Any], *, with_readers: ResourceDef | None = None
) -> list[str]:
    required = set(schema.get("required", []))
    head = "| field | type | required | classificatie | bewaartermijn | description |"
    rule = "| --- | --- | --- | --- | --- | --- |"
    if with_readers is not None:
        head += " readers |"
        rule += " --- |"
    lines = [head, rule]
    model = with_readers.model if with_readers else None
    for name, prop in schema.get("properties", {}).items():
        row = (
            f"| `{name}` | {_type_of(prop)} | {'yes' if name in required else 'no'} "
            f"| {prop.get(X_CLASSIFICATIE, '')} | {prop.get(X_BEWAARTERMIJN, '')} "
            f"| {prop.get('description', '')} |"
        )
        if with_readers is not None and model is not None:
            py_name = next(n for n, f in model.model_fields.items() if (f.alias or n) == name)
            readers = [
                r for r in Rol if may_read(r, with_readers.name, py_name, same_gemeente=True)
            ]
            tags = tags_of(model.model_fields[py_name])
            note = " (BSN)" if tags.bsn else ""
            row += f" {_roles(readers)}{note} |"
        lines.append(row)
    return lines


def catalogue_markdown() -> str:
    types = all_event_types()
    out: list[str] = [
        "# Event catalogue of the Wet inburgering chain",
        "",
        "<!-- Generated by `keten-contracts render` from keten_contracts. Do not edit. -->",
        "",
        f"Contracts version {package_version()}. Every message that crosses an organisation "
        "boundary in the chain, who may receive it, and what each role may read at the source.",
        "",
        "## How to read this",
        "",
        "- **Envelope**: CloudEvents 1.0, NL GOV profile. `source` is "
        "`urn:nld:oin:<OIN>:systeem:<name>`; `type` names no organisation (NL GOV profile "
        "1.1); `subject` is the source's opaque resource id (never a BSN); `partitionkey` is "
        "the producing source's opaque person-level id (per type: **Key** below) and the Kafka "
        "key; `dataref` is where an authorised party fetches the resource; `dataschema` is the "
        "URL of the data schema, served by every service of the chain under "
        "`/contracts/schemas/`; `time` is when the source committed the change (per type: "
        "**Time** below), with a zone; `sequence`/`sequencetype` are accepted, never required; "
        "`traceparent` carries W3C trace context. Routing extensions: `gemeentecode` (CBS "
        "code), `aanbiedersoort` and `aanbiederoin` for opdracht events, `abonneeoin` for the "
        "router's notices about a subscription (to its owner only).",
        "- **Kafka**: one topic per producing domain "
        + ", ".join(f"`{t}`" for t in TOPICS.values())
        + "; binary content mode (`ce_*` headers, `content-type: application/json`, the data as "
        "value); key = `partitionkey`: order holds per producer per person, never across "
        "topics. The AsyncAPI 3.0 document is `keten_contracts/asyncapi.yaml`.",
        "- **Thin events**: data holds only opaque ids, versions and process codes: no personal "
        "data, no domain facts, no domain dates. Fetch the resource at `dataref`; the source "
        "returns the view for your role (below). Exception: the `aanbieder` reports are "
        "personal data and go only to the ordering gemeente.",
        "- **Schotten**: a gemeente receives only events whose `gemeentecode` is its own.",
        "- **Bewaartermijn** (retention, per field, nested fields included): "
        + "; ".join(f"`{term.value}`: {term.beschrijving}" for term in Bewaartermijn)
        + ".",
        "- **Validate** an event: `keten-contracts validate event.json` (structured mode) or a "
        'Kafka dump `{"headers": {...}, "key": ..., "value": ...}`.',
        "- **Versioning**: see `VERSIONING.md`.",
        "",
        "## Event types",
        "",
        "| type | producer | recipients | resource | personal data |",
        "| --- | --- | --- | --- | --- |",
    ]
    for et in types:
        out.append(
            f"| [`{et.type}`](#{_anchor(et.type)}) | {_roles(et.producers)} "
            f"| {_roles(et.recipients)} | [{et.resource}](#resource-{_anchor(et.resource)}) "
            f"| {'**yes**' if et.personal_data else 'no'} |"
        )
    out.append("")
    for domain in DOMAINS:
        out += [f"## Topic `{TOPICS[domain]}`", ""]
        for et in (t for t in types if t.domain == domain):
            schema = event_schema(et)
            required_ext = ", ".join(f"`{e}`" for e in sorted(et.routing_extensions))
            out += [
                f"### {et.type}",
                "",
                et.description,
                "",
                f"- **Producer**: {_roles(et.producers)}",
                f"- **Recipients**: {_roles(et.recipients)}"
                + (
                    " (only the organisation whose OIN `abonneeoin` names)"
                    if EXT_ABONNEEOIN in et.routing_extensions
                    else " (only the gemeente whose `gemeentecode` the event carries)"
                    if Rol.GEMEENTE in et.recipients
                    else ""
                )
                + (
                    "; aanbieders only when `aanbiedersoort` and `aanbiederoin` are theirs"
                    if EXT_AANBIEDERSOORT in et.routing_extensions
                    else ""
                ),
                f"- **Topic**: `{et.topic}`",
                f"- **Key** (`partitionkey`): {et.sleutel.omschrijving}",
                f"- **Time** (`time`): {et.time_meaning}",
                f"- **Subject**: data field `{et.subject_field}`",
                f"- **Resource**: [{et.resource}](#resource-{_anchor(et.resource)}), "
                f"`dataref` = `{et.dataref_template}`",
                f"- **Routing extensions (required)**: {required_ext}",
                f"- **Data schema**: `schemas/{et.schema_file}` (`{et.dataschema}`)",
                "- **Personal data in the event**: "
                + ("yes: ordering gemeente only" if et.personal_data else "no"),
            ]
            if et.deprecated:
                out.append(f"- **Deprecated**: {et.deprecated}")
            out += ["", *(_field_table(schema)), "", "Example (structured mode):", "", "```json"]
            out += [json.dumps(et.example(), indent=2, ensure_ascii=False), "```", ""]
    out += ["## Resources and views", ""]
    out += [
        "Each source serves its resources at `<source API root><path>`. A caller gets the view "
        "for its role: only the fields whose readers include it. Gemeenten read only persons "
        "linked to them; aanbieders only their own opdrachten. MAP, PVT, "
        "maatschappelijke-begeleiding aanbieders and the LBT afnemer never get a BSN. No field "
        "holds health data or religion.",
        "",
    ]
    for rd in all_resources():
        schema = resource_schema(rd)
        views = [r for r in Rol if view_model(rd.name, r, same_gemeente=True) is not None]
        out += [
            f"### Resource {rd.name}",
            "",
            rd.description,
            "",
            f"- **Source**: `{rd.bron}`, path `{rd.path_template}`, owner `{rd.owner.value}`",
            f"- **Schema**: `schemas/resources/{rd.name}.json`",
            "- **Views**: "
            + ", ".join(f"`{r.value}` (`schemas/{view_file(rd, r)}`)" for r in views),
            "",
            *_field_table(schema, with_readers=rd),
            "",
        ]
    out += ["## Per role", "", "| role | receives | reads |", "| --- | --- | --- |"]
    for rol in Rol:
        receives = [et.type for et in types if rol in et.recipients]
        reads = [
            rd.name
            for rd in all_resources()
            if view_model(rd.name, rol, same_gemeente=True) is not None
        ]
        out.append(
            f"| `{rol.value}` | {', '.join(f'`{t}`' for t in receives) or '-'} "
            f"| {', '.join(reads) or '-'} |"
        )
    out.append("")
    # Imported here: the table of seed rows reads the views this module renders.
    from keten_contracts.grondslagen import render_grondslagen_markdown

    out += [render_grondslagen_markdown(), ""]
    return "\n".join(out)


# --- files ------------------------------------------------------------------------------------


def rendered_files() -> dict[Path, str]:
    """Every rendered file with its content, by absolute path."""
    files: dict[Path, str] = {
        SCHEMAS_DIR / rel: _dump_json(schema) for rel, schema in json_schemas().items()
    }
    files[ASYNCAPI_FILE] = asyncapi_yaml()
    root = contracts_dir()
    if root is not None:
        files[root / "CATALOGUE.md"] = catalogue_markdown()
    return files


def write_rendered() -> list[Path]:
    """Write every rendered file, remove schema files no model renders any more."""
    files = rendered_files()
    changed: list[Path] = []
    for path, content in files.items():
        if not path.exists() or path.read_text() != content:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
            changed.append(path)
    for path in SCHEMAS_DIR.rglob("*.json"):
        if path not in files:
            path.unlink()
            changed.append(path)
    return changed


def stale_files() -> list[str]:
    """Human-readable list of rendered files that differ from the models (empty = fresh)."""
    files = rendered_files()
    problems = [
        f"{path}: {'missing' if not path.exists() else 'differs from the models'}"
        for path, content in files.items()
        if not path.exists() or path.read_text() != content
    ]
    problems += [
        f"{path}: no model renders it any more"
        for path in (SCHEMAS_DIR.rglob("*.json") if SCHEMAS_DIR.exists() else [])
        if path not in files
    ]
    return problems


__all__ = [
    "asyncapi_document",
    "asyncapi_yaml",
    "catalogue_markdown",
    "event_schema",
    "json_schemas",
    "rendered_files",
    "resource_schema",
    "stale_files",
    "view_schema",
    "write_rendered",
]
