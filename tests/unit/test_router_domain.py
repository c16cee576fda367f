"""notificatie-router's rules without I/O: subscribing, matching with the policy, the retry
schedule, Retry-After, and what of a sink's answer the log keeps."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from keten_contracts.parties import Rol
from notificatie_router.domain import (
    Ontvanger,
    Ontvangers,
    RetrySchema,
    abonnement_bezwaren,
    fragment,
    retry_after_s,
)
from notificatie_router.filters import compile_filters, parse_filters

NU = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
TERMIJN = "nl.inburgering.termijn.vastgesteld.v1"
OPDRACHT = "nl.inburgering.opdracht.verstrekt.v1"
MAP_OIN = "00000003273280410000"


def ontvanger(rol: Rol, *, gemeentecode: str | None = None, oin: str = MAP_OIN, **kw) -> Ontvanger:
    return Ontvanger(
        id=uuid.uuid4(),
        rol=rol,
        oin=oin,
        gemeentecode=gemeentecode,
        types=kw.get("types"),
        source=kw.get("source"),
        filter=compile_filters(parse_filters(kw.get("filters", []))),
        protocol="HTTP",
        sink="https://example.org/hook",
        rate_per_minuut=None,
    )


def attrs(type: str = TERMIJN, **extra: str) -> dict[str, str]:
    return {
        "type": type,
        "source": "urn:nld:oin:00000001800866472000:systeem:duo-adapter",
        "gemeentecode": "0363",
        "partitionkey": "ibpg-1",
        **extra,
    }


def test_a_party_subscribes_only_to_what_its_role_may_receive() -> None:
    assert abonnement_bezwaren(Rol.GEMEENTE, "0363", [TERMIJN]) == []
    assert abonnement_bezwaren(Rol.MAP_AANBIEDER, None, [OPDRACHT]) == []
    (bezwaar,) = abonnement_bezwaren(Rol.MAP_AANBIEDER, None, [TERMIJN])
    assert "map-aanbieder" in bezwaar and TERMIJN in bezwaar
    (onbekend,) = abonnement_bezwaren(Rol.GEMEENTE, "0363", ["nl.inburgering.x.y.v1"])
    assert "not in the catalogue" in onbekend


def test_a_gemeente_subscribes_only_for_itself() -> None:
    assert abonnement_bezwaren(Rol.GEMEENTE, "0363", [], ["0363"]) == []
    assert abonnement_bezwaren(Rol.GEMEENTE, "0363", [], ["0344"])
    assert abonnement_bezwaren(Rol.GEMEENTE, None, [])


def test_the_policy_applies_to_every_event_whatever_the_subscription_asks() -> None:
    amsterdam = ontvanger(Rol.GEMEENTE, gemeentecode="0363")
    assert amsterdam.ontvangt(attrs())
    # A dossier that moved: its events carry the new gemeente, which alone receives them.
    assert not amsterdam.ontvangt(attrs(gemeentecode="0344"))
    assert not amsterdam.ontvangt({k: v for k, v in attrs().items() if k != "gemeentecode"})
    map_aanbieder = ontvanger(Rol.MAP_AANBIEDER)
    opdracht = attrs(OPDRACHT, aanbiedersoort="map-aanbieder", aanbiederoin=MAP_OIN)
    assert map_aanbieder.ontvangt(opdracht)
    assert not map_aanbieder.ontvangt({**opdracht, "aanbiederoin": "00000003273280420000"})
    assert not map_aanbieder.ontvangt({**opdracht, "aanbiedersoort": "pvt-aanbieder"})
    assert not map_aanbieder.ontvangt(attrs())


def test_types_source_and_filters_narrow_a_subscription() -> None:
    alleen = ontvanger(Rol.GEMEENTE, gemeentecode="0363", types=frozenset({TERMIJN}))
    assert alleen.ontvangt(attrs())
    assert not alleen.ontvangt(attrs("nl.inburgering.signaal.aangemaakt.v1"))
    bron = ontvanger(Rol.GEMEENTE, gemeentecode="0363", source="urn:nld:oin:1:systeem:x")
    assert not bron.ontvangt(attrs())
    gefilterd = ontvanger(
        Rol.GEMEENTE, gemeentecode="0363", filters=[{"prefix": {"partitionkey": "dos-"}}]
    )
    assert not gefilterd.ontvangt(attrs())
    assert gefilterd.ontvangt(attrs(partitionkey="dos-1"))


def test_the_index_offers_an_event_only_to_subscriptions_that_may_get_it() -> None:
    amsterdam = ontvanger(Rol.GEMEENTE, gemeentecode="0363")
    utrecht = ontvanger(Rol.GEMEENTE, gemeentecode="0344")
    map_aanbieder = ontvanger(Rol.MAP_AANBIEDER)
    index = Ontvangers([amsterdam, utrecht, map_aanbieder])
    assert index.voor(attrs()) == [amsterdam]
    assert index.voor(attrs(gemeentecode="0344")) == [utrecht]


def test_the_retry_schedule_ends_dead_after_the_last_stage() -> None:
    schema = RetrySchema((5, 30, 300))
    assert schema.volgende(1, NU) == NU + timedelta(seconds=5)
    assert schema.volgende(3, NU) == NU + timedelta(seconds=300)
    assert schema.volgende(4, NU) is None
    assert schema.venster == timedelta(seconds=335)


def test_retry_after_moves_the_next_attempt_later_but_not_past_the_window() -> None:
    schema = RetrySchema((5, 30, 300))
    assert schema.volgende(1, NU, retry_after=60) == NU + timedelta(seconds=60)
    assert schema.volgende(1, NU, retry_after=1) == NU + timedelta(seconds=5)
    assert schema.volgende(3, NU, retry_after=10_000) == NU + timedelta(seconds=300)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        ("Mon, 30 Nov 2026 12:01:00 GMT", 60.0),
        ("Mon, 30 Nov 2026 11:00:00 GMT", 0.0),
        ("soon", None),
        (None, None),
    ],
)
def test_retry_after_is_seconds_or_an_http_date(value: str | None, expected: float | None) -> None:
    assert retry_after_s(value, NU) == expected


def test_the_log_keeps_no_personal_data_from_a_sinks_answer() -> None:
    answer = b'{"error": "bsn 111222333 unknown", "contact": "jan.jansen@example.org"}' * 10
    kept = fragment(answer)
    assert kept is not None and len(kept) <= 200
    assert "111222333" not in kept and "jan.jansen" not in kept
    assert "#########" in kept and "[e-mail]" in kept
    assert fragment(b"") is None
