"""Compatibility of the current schemas with the released ones (rules in VERSIONING.md).

The released snapshot lives in ``released/`` (event data schemas and role views: what other
organisations depend on). A change is breaking when an event or response valid for a consumer
of the released schema could now fail it, or a field it relies on could be gone:
- a type or view removed;
- a property removed, made required, or made optional (consumers relied on it);
- a type narrowed: JSON types or enum values dropped, a const, pattern or format added or
  changed, bounds tightened, additional properties newly forbidden.
Breaking changes go into a new major type (``...v2``) next to the old one; removing the old
one is itself breaking and must be announced in ``ANNOUNCED_BREAKING_CHANGES``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from keten_contracts.render import PACKAGE_DIR, json_schemas, package_version

RELEASED_DIR: Final = PACKAGE_DIR / "released"
ROUTING_FILE: Final = "routing.json"

# Released schema path (below released/) -> the announcement that allows breaking it, e.g.
# "events/nl.inburgering.x.y.gewijzigd.v1.json": "removed in 2.0.0, announced 2026-01-05 ...".
ANNOUNCED_BREAKING_CHANGES: Final[Mapping[str, str]] = {
    # Release 0.2.0 carried out every change announced for the 0.2 line (VERSIONING.md,
    # sections '0.2: ...'); none is pending.
}

_LOWER_BOUNDS: Final = ("minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties")
_UPPER_BOUNDS: Final = ("maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties")
_EXACT: Final = ("pattern", "format", "const", "multipleOf")


def compared_schemas() -> dict[str, dict[str, Any]]:
    """The current schemas that fall under the compatibility promise."""
    return {
        rel: schema
        for rel, schema in json_schemas().items()
        if rel.startswith(("events/", "views/"))
    }


def released_schemas(root: Path = RELEASED_DIR) -> dict[str, dict[str, Any]]:
    """The released schemas (the routing snapshot is no schema)."""
    return {
        path.relative_to(root).as_posix(): json.loads(path.read_text())
        for path in sorted(root.rglob("*.json"))
        if path.relative_to(root).as_posix() != ROUTING_FILE
    }


def released_version(root: Path = RELEASED_DIR) -> str | None:
    marker = root / "VERSION"
    return marker.read_text().strip() if marker.exists() else None


def release(root: Path = RELEASED_DIR) -> Path:
    """Snapshot the current schemas and routing as the released ones (cutting a release)."""
    if root.exists():
        shutil.rmtree(root)
    for rel, schema in compared_schemas().items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
    (root / ROUTING_FILE).write_text(
        json.dumps(current_routing(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    )
    (root / "VERSION").write_text(package_version() + "\n")
    return root


def _inline(node: Any, defs: Mapping[str, Any], depth: int = 0) -> Any:
    if depth > 50:
        raise ValueError("schema too deep or recursive")
    if isinstance(node, dict):
        if "$ref" in node and str(node["$ref"]).startswith("#/$defs/"):
            target = defs[str(node["$ref"]).removeprefix("#/$defs/")]
            merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
            return _inline(merged, defs, depth + 1)
        return {k: _inline(v, defs, depth + 1) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(v, defs, depth + 1) for v in node]
    return node


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _branches(node: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    for key in ("anyOf", "oneOf"):
        if key in node:
            return [b for branch in node[key] for b in _branches(branch)]
    return [node]


def _values(branch: Mapping[str, Any]) -> set[str] | None:
    """What a branch accepts, as 'type:<t>' or 'value:<json>' tokens; None = anything."""
    if "const" in branch:
        return {f"value:{json.dumps(branch['const'], sort_keys=True)}"}
    if "enum" in branch:
        return {f"value:{json.dumps(v, sort_keys=True)}" for v in branch["enum"]}
    kind = branch.get("type")
    if kind is None:
        return None
    return {f"type:{t}" for t in (kind if isinstance(kind, list) else [kind])}


def _covered(item: str, accepted: set[str]) -> bool:
    if item in accepted:
        return True
    if item == "type:integer":
        return "type:number" in accepted
    if item.startswith("value:"):
        kind = _json_type(json.loads(item.removeprefix("value:")))
        return f"type:{kind}" in accepted or (kind == "integer" and "type:number" in accepted)
    return False


def _primary(branch: Mapping[str, Any]) -> str | None:
    kind = branch.get("type")
    if isinstance(kind, str):
        return kind
    for key in ("const", "enum"):
        if key in branch:
            sample = branch[key] if key == "const" else (branch[key] or [None])[0]
            return _json_type(sample)
    return None


def _compare(old: Mapping[str, Any], new: Mapping[str, Any], path: str, out: list[str]) -> None:
    old_accepts: set[str] | None = set()
    for branch in _branches(old):
        values = _values(branch)
        old_accepts = None if values is None or old_accepts is None else old_accepts | values
    new_accepts: set[str] | None = set()
    for branch in _branches(new):
        values = _values(branch)
        new_accepts = None if values is None or new_accepts is None else new_accepts | values
    if new_accepts is not None:
        lost = (
            ["anything"]
            if old_accepts is None
            else sorted(t for t in old_accepts if not _covered(t, new_accepts))
        )
        if lost:
            out.append(f"{path}: type narrowed, no longer accepts {', '.join(lost)}")
    for old_branch in _branches(old):
        kind = _primary(old_branch)
        for new_branch in _branches(new):
            if _primary(new_branch) == kind:
                _compare_branch(old_branch, new_branch, path, out)


def _compare_branch(
    old: Mapping[str, Any], new: Mapping[str, Any], path: str, out: list[str]
) -> None:
    for key in _EXACT:
        if key in new and new.get(key) != old.get(key):
            out.append(f"{path}: {key} added or changed ({old.get(key)!r} -> {new[key]!r})")
    for key in _LOWER_BOUNDS:
        if key in new and (key not in old or new[key] > old[key]):
            out.append(f"{path}: {key} tightened ({old.get(key)!r} -> {new[key]!r})")
    for key in _UPPER_BOUNDS:
        if key in new and (key not in old or new[key] < old[key]):
            out.append(f"{path}: {key} tightened ({old.get(key)!r} -> {new[key]!r})")
    if new.get("additionalProperties") is False and old.get("additionalProperties") is not False:
        out.append(f"{path}: additional properties newly forbidden")
    old_props: Mapping[str, Any] = old.get("properties", {})
    new_props: Mapping[str, Any] = new.get("properties", {})
    old_required = set(old.get("required", []))
    new_required = set(new.get("required", []))
    for name, old_prop in old_props.items():
        where = f"{path}.{name}" if path else name
        if name not in new_props:
            out.append(f"{where}: property removed")
            continue
        if name in old_required and name not in new_required:
            out.append(f"{where}: no longer required (consumers rely on it)")
        _compare(old_prop, new_props[name], where, out)
    for name in sorted(new_required - old_required):
        where = f"{path}.{name}" if path else name
        out.append(f"{where}: {'became' if name in old_props else 'new'} required property")
    if "items" in old and "items" in new:
        _compare(old["items"], new["items"], f"{path}[]", out)


def breaking_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Every breaking difference from ``old`` to ``new`` (two JSON Schemas)."""
    out: list[str] = []
    _compare(_inline(old, old.get("$defs", {})), _inline(new, new.get("$defs", {})), "", out)
    return out


def _schema_changes(
    released: Mapping[str, Mapping[str, Any]] | None = None,
    current: Mapping[str, Mapping[str, Any]] | None = None,
    announced: Mapping[str, str] = ANNOUNCED_BREAKING_CHANGES,
    renames: Mapping[str, str] | None = None,
) -> dict[str, list[str]]:
    """Released schema path -> breaking changes that no announcement covers. A renamed type
    is compared with its successor: the rename is announced, its data is not thereby free to
    break."""
    released = released_schemas() if released is None else released
    current = compared_schemas() if current is None else current
    renames = TYPE_RENAMES if renames is None else renames
    problems: dict[str, list[str]] = {}
    for rel, old in released.items():
        if rel in announced:
            continue
        successor = _renamed_schema(rel, renames)
        if rel not in current and successor not in current:
            problems[rel] = ["removed (announce it, or keep it next to its successor)"]
            continue
        changes = breaking_changes(old, current[rel if rel in current else successor])
        if changes:
            problems[rel] = changes
    return problems


# NL GOV profile for CloudEvents 1.1 (issue 8): "Names of organizations SHOULD NOT be used" in
# `type`. Release 0.2.0 renamed without publishing old and new side by side (VERSIONING.md,
# section '0.2: NL GOV CloudEvents 1.1'). Old type -> new type: vendors map their 0.1 names
# with it, and a release whose snapshot still has old names compares each successor with it.
TYPE_RENAMES: Final[Mapping[str, str]] = {
    **{
        f"nl.inburgering.{org}.{rest}.v1": f"nl.inburgering.{rest}.v1"
        for org, rest in (
            ("coa", "klantprofiel.aangeboden"),
            ("coa", "klantprofiel.gewijzigd"),
            ("coa", "koppeling.vastgesteld"),
            ("coa", "vestiging.gemeld"),
            ("coa", "warme-overdracht.gehouden"),
            ("coa", "warme-overdracht.gepland"),
            ("duo", "certificaat.toegekend"),
            ("duo", "diploma.uitgereikt"),
            ("duo", "doelgroep.gewijzigd"),
            ("duo", "examenresultaat.vastgesteld"),
            ("duo", "inburgeringsplicht.beeindigd"),
            ("duo", "inburgeringsplicht.gewijzigd"),
            ("duo", "inburgeringsplicht.vastgesteld"),
            ("duo", "lbt-uitslag.vastgesteld"),
            ("duo", "ontheffing.verleend"),
            ("duo", "recht-maatschappelijke-begeleiding.vastgesteld"),
            ("duo", "termijn.gewijzigd"),
            ("duo", "termijn.vastgesteld"),
            ("duo", "verhuizing.gemeld"),
            ("duo", "verlenging.aangevraagd"),
            ("duo", "verlenging.besloten"),
            ("duo", "vestiging.geconstateerd"),
            ("duo", "vrijstelling.verleend"),
            ("gemeente", "begeleiding.beeindigd"),
            ("gemeente", "begeleiding.gestart"),
            ("gemeente", "doelgroepkeuze.vastgelegd"),
            ("gemeente", "inburgeringsaanbod.gedaan"),
            ("gemeente", "intake-uitnodiging.verstuurd"),
            ("gemeente", "intake.afgerond"),
            ("gemeente", "leerroute.afgerond"),
            ("gemeente", "leerroute.afgeschaald"),
            ("gemeente", "leerroute.gestart"),
            ("gemeente", "leerroute.gewisseld"),
            ("gemeente", "map.afgerond"),
            ("gemeente", "map.gestart"),
            ("gemeente", "map.niet-afgerond"),
            ("gemeente", "opdracht.beeindigd"),
            ("gemeente", "opdracht.gewijzigd"),
            ("gemeente", "opdracht.verstrekt"),
            ("gemeente", "pip.gewijzigd"),
            ("gemeente", "pip.vastgesteld"),
            ("gemeente", "pvt.afgerond"),
            ("gemeente", "pvt.gestart"),
            ("gemeente", "pvt.niet-afgerond"),
            ("gemeente", "urenverantwoording.aangeleverd"),
            ("gemeente", "verhuizing.overgedragen"),
            ("gemeente", "verlengingsinformatie.aangeleverd"),
            ("gemeente", "voortgangsgesprek.gehouden"),
        )
    },
    # Two fines would collide without the organisation: named by the obligation they enforce.
    "nl.inburgering.duo.boete.opgelegd.v1": (
        "nl.inburgering.resultaatsverplichting.boete.opgelegd.v1"
    ),
    "nl.inburgering.gemeente.boete.opgelegd.v1": (
        "nl.inburgering.inspanningsverplichting.boete.opgelegd.v1"
    ),
    "nl.inburgering.gemeente.waarschuwing.gegeven.v1": (
        "nl.inburgering.inspanningsverplichting.waarschuwing.gegeven.v1"
    ),
    "nl.inburgering.cbs.levering.aangemaakt.v1": "nl.inburgering.swi-levering.aangemaakt.v1",
}


def _renamed_schema(rel: str, renames: Mapping[str, str]) -> str | None:
    prefix, suffix = "events/", ".json"
    if not (rel.startswith(prefix) and rel.endswith(suffix)):
        return None
    new = renames.get(rel[len(prefix) : -len(suffix)])
    return None if new is None else f"{prefix}{new}{suffix}"


# rule 14 -- routing is part of the released snapshot ----------------------------------------
# Who receives a type (recipients) and which routing extensions it carries is a promise like
# its schema (VERSIONING.md): the released routing is ``released/routing.json`` (event type ->
# ``recipients`` and ``routingExtensions``, sorted), and a change of either for a released type
# is breaking unless ``ANNOUNCED_ROUTING_CHANGES`` names the type. A removed type is reported
# by the schema comparison (its schema file), a new type is compatible.

# Event type -> the announcement that allows changing its routing (none pending).
ANNOUNCED_ROUTING_CHANGES: Final[Mapping[str, str]] = {}

Routing = dict[str, dict[str, list[str]]]


def current_routing() -> Routing:
    """The routing of every event type of the current catalogue."""
    from keten_contracts.events.catalogue import all_event_types

    return {
        et.type: {
            "recipients": sorted(r.value for r in et.recipients),
            "routingExtensions": sorted(et.routing_extensions),
        }
        for et in all_event_types()
    }


def released_routing(root: Path = RELEASED_DIR) -> Routing | None:
    path = root / ROUTING_FILE
    return json.loads(path.read_text()) if path.exists() else None


def routing_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Every routing difference of one type (any change is breaking: a recipient added widens
    who sees the data, one removed loses a consumer its events, an extension changes routing)."""
    out: list[str] = []
    for key, label in (("recipients", "recipient"), ("routingExtensions", "routing extension")):
        before, after = set(old.get(key, [])), set(new.get(key, []))
        out += [f"routing: {label} {v!r} added" for v in sorted(after - before)]
        out += [f"routing: {label} {v!r} removed" for v in sorted(before - after)]
    return out


def unannounced_routing_changes(
    released: Mapping[str, Mapping[str, Any]] | None = None,
    current: Mapping[str, Mapping[str, Any]] | None = None,
    announced: Mapping[str, str] = ANNOUNCED_ROUTING_CHANGES,
) -> dict[str, list[str]]:
    """Event type -> routing changes against the release that no announcement covers. A
    release without a routing snapshot fails: the routing promise cannot be checked."""
    if released is None:
        released = released_routing()
        if released is None:
            return {ROUTING_FILE: ["no released routing snapshot (run keten-contracts release)"]}
    current = current_routing() if current is None else current
    problems: dict[str, list[str]] = {}
    for event_type, old in released.items():
        now = current.get(event_type) or current.get(TYPE_RENAMES.get(event_type, ""))
        if event_type in announced or now is None:
            continue
        changes = routing_changes(old, now)
        if changes:
            problems[f"routing/{event_type}"] = changes
    return problems


def unannounced_breaking_changes(
    released: Mapping[str, Mapping[str, Any]] | None = None,
    current: Mapping[str, Mapping[str, Any]] | None = None,
    announced: Mapping[str, str] = ANNOUNCED_BREAKING_CHANGES,
    *,
    released_routes: Mapping[str, Mapping[str, Any]] | None = None,
    current_routes: Mapping[str, Mapping[str, Any]] | None = None,
    announced_routes: Mapping[str, str] = ANNOUNCED_ROUTING_CHANGES,
) -> dict[str, list[str]]:
    """Released schema path (or ``routing/<type>``) -> breaking changes no announcement covers."""
    problems = _schema_changes(released, current, announced)
    problems.update(unannounced_routing_changes(released_routes, current_routes, announced_routes))
    return problems


# end rule 14
