"""The committed OpenAPI document of dossier-bron matches what the code serves.

Regenerate after an intended change:
    .venv/bin/python -m dossier_bron.main --openapi > services/dossier_bron/openapi.json
"""

from __future__ import annotations

import json
from pathlib import Path

from dossier_bron.main import openapi_document
from dossier_bron.opdrachten import RAPPORTSOORTEN

COMMITTED = Path(__file__).parents[2] / "services" / "dossier_bron" / "openapi.json"


def test_the_committed_openapi_document_has_not_drifted():
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert committed == json.loads(json.dumps(openapi_document())), (
        "services/dossier_bron/openapi.json is stale; regenerate it with "
        "`python -m dossier_bron.main --openapi > services/dossier_bron/openapi.json`"
    )
    assert committed["openapi"].startswith("3.1")


def test_every_operation_has_an_explicit_operation_id_and_problem_responses():
    document = openapi_document()
    ids = {
        op["operationId"]: (path, method)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if path.startswith("/api/")
    }
    assert set(ids) == {
        "dossiers-lijst",
        "dossiers-zoeken",
        "dossier-lezen",
        "persoonsgegevens-vastleggen",
        "intake-uitnodigen",
        "intake-aanwezigheid-vastleggen",
        "intake-uitnodigingsbrief",
        "intake-afronden",
        "intake-lezen",
        "pip-vaststellen",
        "pip-wijzigen",
        "leerroute-wisselen",
        "leerroute-afschalen",
        "pip-lezen",
        "pip-versies",
        "opdracht-verstrekken",
        "opdracht-lezen",
        *(
            f"{kind}-{op}"
            for kind in RAPPORTSOORTEN
            for op in ("indienen", "corrigeren", "lijst", "lezen")
        ),
        "opdracht-wijzigen",
        "opdracht-beeindigen",
        "mb-rapportage-vastleggen",
        "lbt-resultaat-vastleggen",
        "dossier-uren",
        "inburgeringsaanbod-doen",
        "inburgeringsaanbod-lezen",
        "urenverantwoording-aanleveren",
        "urenverantwoording-lezen",
        "handhavingsmaatregel-vastleggen",
        "handhavingsmaatregel-lezen",
        "handhavingsmaatregelen-lijst",
        "handhavingsmaatregelen-besluiten",
        "participatiewet-maatregel-vastleggen",
        "participatiewet-maatregel-lezen",
        "handhavingsverzoek-beantwoorden",
        "rechtsmiddel-vastleggen",
        *(f"{soort}-{op}" for soort in ("map", "pvt") for op in ("starten", "afronden", "lezen")),
        "begeleiding-starten",
        "begeleiding-beeindigen",
        "begeleiding-lezen",
        "begeleidingen-van-dossier",
        "voortgangsgesprek-vastleggen",
        "doelgroepkeuze-vastleggen",
        "duo-signalen-werkvoorraad",
        "duo-signaal-afhandelen",
        "termijnoverschrijdingen-lijst",
        "termijnoverschrijding-lezen",
        "termijnbewaking-uitvoeren",
        "inzageverzoek-beantwoorden",
        "overdracht-aanvragen",
        "overdrachtsverzoek-lezen",
        "overdragen",
        "overdracht-lezen",
        *(
            f"overdracht-{soort}-lezen"
            for soort in ("intake", "pip", "opdracht", "handhavingsmaatregel")
        ),
        "overnemen",
    }
    for path, method in ids.values():
        responses = document["paths"][path][method]["responses"]
        for status in ("401", "403", "404", "422"):
            assert "application/problem+json" in responses[status]["content"]


def test_no_bsn_travels_in_a_url():
    """Issue 10: "A search by BSN goes in a POST body only: never in a URL"."""
    document = openapi_document()
    for path, item in document["paths"].items():
        assert "bsn" not in path.lower()
        for op in item.values():
            for parameter in op.get("parameters", []):
                assert "bsn" not in parameter["name"].lower(), (path, parameter)
    zoeken = document["paths"]["/api/v1/dossiers/zoeken"]
    assert set(zoeken) == {"post"}
    assert set(document["paths"]["/api/v1/inzageverzoeken"]) == {"post"}
