"""Issue 8, item V: versioning that matches the code. Routing (recipients and routing
extensions) is part of the released snapshot, so a routing change is detected."""

from __future__ import annotations

import copy

from keten_contracts.versioning import (
    ANNOUNCED_ROUTING_CHANGES,
    ROUTING_FILE,
    current_routing,
    released_routing,
    released_schemas,
    routing_changes,
    unannounced_breaking_changes,
    unannounced_routing_changes,
)

PIP_VASTGESTELD = "nl.inburgering.gemeente.pip.vastgesteld.v1"


def _released() -> dict:
    routing = released_routing()
    assert routing is not None, "released/routing.json is missing"
    return routing


def test_released_routing_snapshot_is_the_0_1_0_catalogue():
    routing = _released()
    assert len(routing) == 58  # the 58 types of release 0.1.0
    assert routing[PIP_VASTGESTELD]["recipients"] == sorted(routing[PIP_VASTGESTELD]["recipients"])
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
    assert problems == {f"routing/{PIP_VASTGESTELD}": ["routing: recipient 'taalaanbieder' added"]}
    # and `keten-contracts check` sees it (it calls unannounced_breaking_changes).
    assert f"routing/{PIP_VASTGESTELD}" in unannounced_breaking_changes(current_routes=current)
    # An announcement allows it.
    announced = {**ANNOUNCED_ROUTING_CHANGES, PIP_VASTGESTELD: "announced for the test"}
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
