"""Issue 8, item V: versioning that matches the code. Routing (recipients and routing
extensions) is part of the released snapshot, so a routing change is detected."""

from __future__ import annotations

import copy

from keten_contracts.versioning import (
    ANNOUNCED_ROUTING_CHANGES,
    ROUTING_FILE,
    TYPE_RENAMES,
    current_routing,
    released_routing,
    released_schemas,
    routing_changes,
    unannounced_breaking_changes,
    unannounced_routing_changes,
)

PIP_VASTGESTELD = "nl.inburgering.pip.vastgesteld.v1"


def _released() -> dict:
    routing = released_routing()
    assert routing is not None, "released/routing.json is missing"
    return routing


def _released_name(current_type: str) -> str:
    """The name the release gave a type (0.1.0 named organisations; TYPE_RENAMES maps them)."""
    released = _released()
    if current_type in released:
        return current_type
    return next(old for old, new in TYPE_RENAMES.items() if new == current_type and old in released)


def test_released_routing_snapshot_covers_the_released_types():
    routing = _released()
    released_types = {
        rel.removeprefix("events/").removesuffix(".json")
        for rel in released_schemas()
        if rel.startswith("events/")
    }
    assert set(routing) == released_types
    pip = routing[_released_name(PIP_VASTGESTELD)]
    assert pip["recipients"] == sorted(pip["recipients"])
    assert ROUTING_FILE not in released_schemas()  # the snapshot is no schema


def test_current_routing_matches_the_release_or_is_announced():
    assert unannounced_routing_changes() == {}


def test_adding_a_recipient_without_announcement_is_breaking():
    current = copy.deepcopy(current_routing())
    assert "taalaanbieder" not in current[PIP_VASTGESTELD]["recipients"]
    current[PIP_VASTGESTELD]["recipients"] = sorted(
        [*current[PIP_VASTGESTELD]["recipients"], "taalaanbieder"]
    )
    problems = unannounced_routing_changes(current=current)
    released_pip = _released_name(PIP_VASTGESTELD)
    assert problems == {f"routing/{released_pip}": ["routing: recipient 'taalaanbieder' added"]}
    # and `keten-contracts check` sees it (it calls unannounced_breaking_changes).
    assert f"routing/{released_pip}" in unannounced_breaking_changes(current_routes=current)
    # An announcement allows it.
    announced = {**ANNOUNCED_ROUTING_CHANGES, released_pip: "announced for the test"}
    assert unannounced_routing_changes(current=current, announced=announced) == {}


def test_removing_a_recipient_or_changing_extensions_is_breaking():
    old = {"recipients": ["duo", "gemeente"], "routingExtensions": ["gemeentecode"]}
    assert routing_changes(old, old) == []
    assert routing_changes(old, {**old, "recipients": ["gemeente"]}) == [
        "routing: recipient 'duo' removed"
    ]
    assert routing_changes(
        old, {**old, "routingExtensions": ["aanbiedersoort", "gemeentecode"]}
    ) == ["routing: routing extension 'aanbiedersoort' added"]


def test_new_type_is_compatible_and_a_missing_snapshot_fails(tmp_path):
    current = {**current_routing(), "nl.inburgering.x.y.nieuw.v1": {"recipients": ["gemeente"]}}
    assert "routing/nl.inburgering.x.y.nieuw.v1" not in unannounced_routing_changes(current=current)
    assert released_routing(tmp_path) is None


def test_release_writes_the_routing_snapshot(tmp_path, monkeypatch):
    from keten_contracts import versioning

    root = versioning.release(tmp_path / "released")
    assert released_routing(root) == current_routing()
    assert ROUTING_FILE not in released_schemas(root)
    assert (root / "VERSION").exists()


def test_a_renamed_type_keeps_its_routing_and_data_promise():
    # NL GOV CloudEvents 1.1 renames (TYPE_RENAMES) are announced as renames only: the successor
    # is compared with the released type, so a rename cannot smuggle in a routing change or a
    # breaking data change.
    old = "nl.inburgering.gemeente.pip.vastgesteld.v1"
    new = TYPE_RENAMES[old]
    released_routes = {old: {"recipients": ["cbs", "duo"], "routingExtensions": ["gemeentecode"]}}
    current = {new: {"recipients": ["cbs", "duo"], "routingExtensions": ["gemeentecode"]}}
    assert unannounced_routing_changes(released=released_routes, current=current) == {}
    current[new]["recipients"] = ["cbs", "duo", "taalaanbieder"]
    assert unannounced_routing_changes(released=released_routes, current=current) == {
        f"routing/{old}": ["routing: recipient 'taalaanbieder' added"]
    }
    schema = {"type": "object", "properties": {"pipId": {"type": "string"}}, "required": ["pipId"]}
    released = {f"events/{old}.json": schema}
    assert (
        unannounced_breaking_changes(
            released, {f"events/{new}.json": schema}, released_routes={}, current_routes={}
        )
        == {}
    )
    narrowed = {**schema, "additionalProperties": False}
    assert (
        unannounced_breaking_changes(
            released, {f"events/{new}.json": narrowed}, released_routes={}, current_routes={}
        )
        != {}
    )
    # A removed type that is no rename is still reported.
    assert unannounced_breaking_changes(
        {"events/nl.inburgering.x.weg.v1.json": schema}, {}, released_routes={}, current_routes={}
    ) == {
        "events/nl.inburgering.x.weg.v1.json": [
            "removed (announce it, or keep it next to its successor)"
        ]
    }
