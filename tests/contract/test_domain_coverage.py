"""Every exchange of domain.md (sections 3-5) has an event type with the right parties.

The table below is the map from domain.md to the catalogue; a test also reads domain.md itself
(when the shared/ folder sits beside the repo, as in CI) so a new row there fails here until it
is mapped.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from keten_contracts.events import all_event_types, get_event_type
from keten_contracts.parties import AANBIEDER_ROLLEN, Rol

G, DUO, COA, CBS = Rol.GEMEENTE, Rol.DUO, Rol.COA, Rol.CBS
AANB = AANBIEDER_ROLLEN
T = "nl.inburgering."

# (domain.md section, row, producing roles, receiving roles, event types)
COVERAGE: list[tuple[str, str, frozenset[Rol], frozenset[Rol], list[str]]] = [
    # --- section 3: the journey ---------------------------------------------------------------
    (
        "3",
        "koppeling",
        frozenset({COA}),
        frozenset({G}),
        [T + "koppeling.vastgesteld.v1", T + "klantprofiel.aangeboden.v1"],
    ),
    (
        "3",
        "inburgeringsplicht",
        frozenset({DUO}),
        frozenset({G}),
        [
            T + "inburgeringsplicht.vastgesteld.v1",
            T + "doelgroep.gewijzigd.v1",
            T + "recht-maatschappelijke-begeleiding.vastgesteld.v1",
            T + "vrijstelling.verleend.v1",
            T + "ontheffing.verleend.v1",
        ],
    ),
    (
        "3",
        "klantprofiel updates",
        frozenset({COA}),
        frozenset({G}),
        [T + "klantprofiel.gewijzigd.v1"],
    ),
    (
        "3",
        "warme overdracht",
        frozenset({COA}),
        frozenset({G}),
        [
            T + "warme-overdracht.gepland.v1",
            T + "warme-overdracht.gehouden.v1",
            T + "klantprofiel.aangeboden.v1",
        ],
    ),
    (
        "3",
        "vestiging",
        frozenset({COA, DUO}),
        frozenset({G}),
        [
            T + "vestiging.gemeld.v1",
            T + "klantprofiel.aangeboden.v1",
            T + "vestiging.geconstateerd.v1",
        ],
    ),
    (
        "3",
        "brede intake + LBT",
        frozenset({DUO, G}),
        frozenset({G, CBS, *AANB}),
        [
            T + "lbt-uitslag.vastgesteld.v1",
            T + "intake-uitnodiging.verstuurd.v1",
            T + "intake.afgerond.v1",
            T + "opdracht.verstrekt.v1",
            T + "inspanningsverplichting.waarschuwing.gegeven.v1",
            T + "inspanningsverplichting.boete.opgelegd.v1",
        ],
    ),
    ("3", "PIP vastgesteld", frozenset({G}), frozenset({DUO}), [T + "pip.vastgesteld.v1"]),
    (
        "3",
        "inburgeringsaanbod",
        frozenset({G}),
        frozenset({DUO}),
        [T + "inburgeringsaanbod.gedaan.v1"],
    ),
    (
        "3",
        "termijn",
        frozenset({DUO}),
        frozenset({G}),
        [T + "termijn.vastgesteld.v1", T + "termijn.gewijzigd.v1"],
    ),
    (
        "3",
        "course",
        frozenset({G}),
        AANB,
        [
            T + "opdracht.verstrekt.v1",
            T + "opdracht.gewijzigd.v1",
            T + "opdracht.beeindigd.v1",
        ],
    ),
    (
        "3",
        "progress",
        frozenset({G}),  # thin reports: the gemeente's source emits
        frozenset({G}),
        [
            T + "traject-gestart-rapport.ontvangen.v1",
            T + "voortgang-rapport.ontvangen.v1",
            T + "resultaat-rapport.ontvangen.v1",
            T + "advies-rapport.ontvangen.v1",
            T + "z-route-resultaat-rapport.ontvangen.v1",
            T + "traject-beeindigd-rapport.ontvangen.v1",
        ],
    ),
    (
        "3",
        "PIP change",
        frozenset({G}),
        frozenset({DUO}),
        [
            T + "pip.gewijzigd.v1",
            T + "leerroute.gewisseld.v1",
            T + "leerroute.afgeschaald.v1",
        ],
    ),
    (
        "3",
        "MAP / PVT done",
        frozenset({G}),
        frozenset({DUO}),
        [
            T + "map.gestart.v1",
            T + "map.afgerond.v1",
            T + "map.niet-afgerond.v1",
            T + "pvt.gestart.v1",
            T + "pvt.afgerond.v1",
            T + "pvt.niet-afgerond.v1",
        ],
    ),
    (
        "3",
        "exams",
        frozenset({DUO}),
        frozenset({G}),
        [
            T + "examenresultaat.vastgesteld.v1",
            T + "diploma.uitgereikt.v1",
            T + "certificaat.toegekend.v1",
        ],
    ),
    (
        "3",
        "extension request",
        frozenset({G, DUO}),
        frozenset({G, DUO}),
        [
            T + "verlenging.aangevraagd.v1",
            T + "verlenging.besloten.v1",
            T + "verlengingsinformatie.aangeleverd.v1",
            T + "urenverantwoording.aangeleverd.v1",
        ],
    ),
    (
        "3",
        "enforcement",
        frozenset({G, DUO}),
        frozenset({CBS, G}),
        [
            T + "inspanningsverplichting.waarschuwing.gegeven.v1",
            T + "inspanningsverplichting.boete.opgelegd.v1",
            T + "resultaatsverplichting.boete.opgelegd.v1",
        ],
    ),
    (
        "3",
        "verhuizing",
        frozenset({G, DUO}),
        frozenset({G}),
        [T + "verhuizing.overgedragen.v1", T + "verhuizing.gemeld.v1"],
    ),
    (
        "3",
        "monitoring",
        frozenset({G, CBS}),
        frozenset({CBS, G}),
        [
            T + "intake.afgerond.v1",
            T + "swi-levering.aangemaakt.v1",
            # The end of the plicht and the hand-over bound who is in a quarter.
            T + "dossier.gewijzigd.v1",
        ],
    ),
    # --- section 2: group change, opt-out --------------------------------------------------
    (
        "2",
        "person changes group / opts out of asielstatushouder rights",
        frozenset({DUO, G}),
        frozenset({G, DUO}),
        [T + "doelgroep.gewijzigd.v1", T + "doelgroepkeuze.vastgelegd.v1"],
    ),
    # --- section 4: data sets per exchange -------------------------------------------------
    (
        "4",
        "COA -> gemeente",
        frozenset({COA}),
        frozenset({G}),
        [T + "klantprofiel.aangeboden.v1", T + "klantprofiel.gewijzigd.v1"],
    ),
    (
        "4",
        "DUO -> gemeente",
        frozenset({DUO}),
        frozenset({G}),
        [
            T + "inburgeringsplicht.vastgesteld.v1",
            T + "inburgeringsplicht.gewijzigd.v1",
            T + "inburgeringsplicht.beeindigd.v1",
            T + "termijn.vastgesteld.v1",
            T + "termijn.gewijzigd.v1",
            T + "vrijstelling.verleend.v1",
            T + "ontheffing.verleend.v1",
            T + "examenresultaat.vastgesteld.v1",
            T + "diploma.uitgereikt.v1",
            T + "certificaat.toegekend.v1",
            T + "verlenging.aangevraagd.v1",
            T + "verlenging.besloten.v1",
            T + "resultaatsverplichting.boete.opgelegd.v1",
            T + "lbt-uitslag.vastgesteld.v1",
        ],
    ),
    (
        "4",
        "gemeente -> DUO",
        frozenset({G}),
        frozenset({DUO}),
        [
            T + "pip.vastgesteld.v1",
            T + "pip.gewijzigd.v1",
            T + "map.gestart.v1",
            T + "map.afgerond.v1",
            T + "map.niet-afgerond.v1",
            T + "pvt.gestart.v1",
            T + "pvt.afgerond.v1",
            T + "pvt.niet-afgerond.v1",
            T + "leerroute.gewisseld.v1",
            T + "leerroute.afgeschaald.v1",
            T + "leerroute.gestart.v1",
            T + "leerroute.afgerond.v1",
            T + "verlengingsinformatie.aangeleverd.v1",
            T + "inburgeringsaanbod.gedaan.v1",
        ],
    ),
    (
        "4",
        "gemeente -> aanbieder",
        frozenset({G}),
        AANB,
        [T + "opdracht.verstrekt.v1", T + "opdracht.gewijzigd.v1"],
    ),
    (
        "4",
        "aanbieder -> gemeente",
        frozenset({G}),  # thin reports: the gemeente's source emits
        frozenset({G}),
        [
            T + "traject-gestart-rapport.ontvangen.v1",
            T + "voortgang-rapport.ontvangen.v1",
            T + "resultaat-rapport.ontvangen.v1",
            T + "advies-rapport.ontvangen.v1",
            T + "z-route-resultaat-rapport.ontvangen.v1",
            T + "traject-beeindigd-rapport.ontvangen.v1",
        ],
    ),
    (
        "4",
        "gemeente -> next gemeente",
        frozenset({G}),
        frozenset({G}),
        [T + "verhuizing.overgedragen.v1"],
    ),
    # --- section 5: CBS delivery items (gemeente events the cbs-leverancier consumes) -------
    (
        "5",
        "maatschappelijke begeleiding, ontzorgen",
        frozenset({G}),
        frozenset({CBS}),
        [T + "begeleiding.gestart.v1", T + "begeleiding.beeindigd.v1"],
    ),
    (
        "5",
        "brede intake, LBT taken/result, education level, illiteracy",
        frozenset({G}),
        frozenset({CBS}),
        [T + "intake.afgerond.v1"],
    ),
    (
        "5",
        "PVT, MAP",
        frozenset({G}),
        frozenset({CBS}),
        [
            T + "pvt.gestart.v1",
            T + "pvt.afgerond.v1",
            T + "map.gestart.v1",
            T + "map.afgerond.v1",
        ],
    ),
    (
        "5",
        "PIP decided, changed",
        frozenset({G}),
        frozenset({CBS}),
        [T + "pip.vastgesteld.v1", T + "pip.gewijzigd.v1"],
    ),
    (
        "5",
        "leerroutes: route, participation, switch, scale-down",
        frozenset({G}),
        frozenset({CBS}),
        [
            T + "leerroute.gestart.v1",
            T + "leerroute.gewisseld.v1",
            T + "leerroute.afgeschaald.v1",
        ],
    ),
    (
        "5",
        "courses: provider, participation, kind",
        frozenset({G}),
        frozenset({CBS}),
        [T + "opdracht.verstrekt.v1", T + "opdracht.beeindigd.v1"],
    ),
    (
        "5",
        "warnings, fines",
        frozenset({G}),
        frozenset({CBS}),
        [
            T + "inspanningsverplichting.waarschuwing.gegeven.v1",
            T + "inspanningsverplichting.boete.opgelegd.v1",
        ],
    ),
    (
        "5",
        "voortgangsgesprekken gezinsmigranten",
        frozenset({G}),
        frozenset({CBS}),
        [T + "voortgangsgesprek.gehouden.v1"],
    ),
    (
        "5",
        "CBS delivery produced",
        frozenset({G}),  # the cbs-leverancier delivers on behalf of the gemeente
        frozenset({CBS}),
        [T + "swi-levering.aangemaakt.v1"],
    ),
    # --- issue 8 items 8 and 10 (contracts 0.2) ---------------------------------------------
    (
        "4",
        "COA -> gemeente: nareisprofiel (seed 002 section 2.2)",
        frozenset({COA}),
        frozenset({G}),
        [T + "nareisprofiel.aangeboden.v1"],
    ),
    (
        "4",
        "aanbieder -> gemeente: MB and LBT reports, registered at the gemeente's source",
        frozenset({G}),
        frozenset({G}),
        [T + "mb-rapportage.ontvangen.v1", T + "lbt-resultaat.ontvangen.v1"],
    ),
    # --- issue 8 items 3 and 4 (contracts 0.2, rules 3, 4) ---------------------------------
    (
        "3",
        "enforcement: DUO asks the gemeente for its fines (seed 002 section 4.7)",
        frozenset({DUO}),
        frozenset({G}),
        [T + "handhavingsverzoek.ingediend.v1"],
    ),
    (
        "3",
        "verhuizing: the new gemeente asks the old one to hand over (seed 002 section 4.5)",
        frozenset({G}),
        frozenset({G}),
        [T + "overdracht.aangevraagd.v1"],
    ),
    # --- issue 8 item 6 (rules 5, 6): DUO signalen (seed 002 section 3.1) -------------------
    (
        "1",
        "DUO: signalen that a clerk can tick off",
        frozenset({DUO}),
        frozenset({G}),
        [T + "signaal.aangemaakt.v1", T + "signaal.afgehandeld.v1"],
    ),
    # --- issue 10: the gemeente's deadline watch over the deadlines of section 8 -------------
    (
        "8",
        "deadlines the software checks (PIP, inburgeringsaanbod, registration at DUO)",
        frozenset({G}),
        frozenset({G}),
        [T + "termijnoverschrijding.geconstateerd.v1"],
    ),
]


@pytest.mark.parametrize(
    ("section", "row", "producers", "recipients", "types"),
    COVERAGE,
    ids=[f"{c[0]}:{c[1]}" for c in COVERAGE],
)
def test_each_domain_row_has_types_between_the_right_parties(
    section, row, producers, recipients, types
):
    assert types, f"section {section} row {row!r} has no event type"
    for type_str in types:
        et = get_event_type(type_str)
        assert et.producers & producers, f"{type_str} is not produced by {row!r}'s sender"
        assert et.recipients & recipients, f"{type_str} reaches none of {row!r}'s receivers"


def test_every_event_type_serves_some_domain_row():
    mapped = {t for *_, types in COVERAGE for t in types}
    # The router's notices about subscriptions are the chain's operations, no data flow of
    # domain.md.
    unmapped = sorted(
        et.type for et in all_event_types() if et.type not in mapped and not et.beheer
    )
    assert unmapped == [], "types without a domain.md row: " + ", ".join(unmapped)


def _domain_md() -> Path:
    # /work/<repo>/tests/contract/this.py -> /work/shared/domain.md (CI checks out shared/ beside)
    return Path(__file__).resolve().parents[3] / "shared" / "domain.md"


def test_every_row_of_domain_md_sections_3_and_4_is_mapped():
    path = _domain_md()
    if not path.exists():
        pytest.skip("shared/domain.md is not beside the repository")
    text = path.read_text()
    section3 = text.split("## 3.", 1)[1].split("## 4.", 1)[0]
    steps = [
        line.split("|")[1].strip()
        for line in section3.splitlines()
        if line.startswith("| ") and not line.startswith("| step") and "---" not in line
    ]
    section4 = text.split("## 4.", 1)[1].split("## 5.", 1)[0]
    exchanges = [
        re.sub(r"\s*\(.*", "", m).strip() for m in re.findall(r"^\*\*(.+?)\*\*", section4, re.M)
    ]
    assert len(steps) >= 15 and len(exchanges) >= 5, "domain.md layout changed; adapt the parser"
    mapped = {(section, row) for section, row, *_ in COVERAGE}
    missing = [("3", s) for s in steps if ("3", s) not in mapped]
    missing += [("4", e) for e in exchanges if ("4", e) not in mapped]
    assert missing == []


def test_both_target_groups_have_their_vestiging_moment():
    # asielstatushouder: COA reports vestiging; gezinsmigrant: DUO notices the BRP registration.
    assert get_event_type(T + "vestiging.gemeld.v1").recipients == {G}
    assert get_event_type(T + "vestiging.geconstateerd.v1").recipients == {G}
