"""Building a version of a quarter's delivery from the history, without servers: the file is
canonical XML valid against the XSD, the same history gives the same bytes, the snapshot
rebuilds the file, and the keys at rest rotate."""

from __future__ import annotations

from datetime import datetime

import pytest
from lxml import etree

from cbs_leverancier import levering
from keten_contracts.swi import NAMESPACE, validate_levering
from keten_core.versleuteling import NietTeOntsleutelen, Sleutelring, nieuwe_sleutel
from tests.unit.test_cbs_leverancier_domain import BSN_A, BSN_B, at, dossier, versie, waarschuwing


def history() -> list:
    return [
        dossier("dos-b", BSN_B, at("2026-01-05")),
        dossier("dos-a", BSN_A, at("2026-01-06")),
        waarschuwing("hm-1", "2026-03-10", at("2026-03-10")),
        versie(
            "intake",
            "int-1",
            at("2026-02-01"),
            intakeId="int-1",
            dossierId="dos-a",
            eersteGesprekOp="2026-02-01",
            lbtAfgenomen=True,
            lbtUitkomst="b1-haalbaar",
            opleidingsniveau="isced-3",
            alfabetisering="gealfabetiseerd",
            afgerondZonderMedewerking=False,
        ),
        waarschuwing("hm-2", "2026-03-25", at("2026-04-08")),  # a late correction
    ]


def build(versie_nr: int, moment: datetime) -> tuple:
    return levering.bouw(
        history(), gemeentecode="0363", kwartaal="2026-Q1", versie=versie_nr, moment=moment
    )


def test_the_file_is_valid_canonical_xml_in_the_stated_order_without_a_clock():
    header, records, xml = build(1, at("2026-05-01"))
    assert validate_levering(xml) == []
    assert etree.tostring(etree.fromstring(xml), method="c14n2") == xml
    root = etree.fromstring(xml)
    bsns = [e.text for e in root.iter(f"{{{NAMESPACE}}}bsn")]
    assert bsns == [BSN_A, BSN_B]
    assert b"2026-05-01" not in xml  # no build time in the file
    assert header.levering_versie == 1 and len(records) == 2


def test_the_same_history_gives_the_same_bytes_and_a_correction_only_adds_the_late_fact():
    _, _, v1 = build(1, at("2026-05-01"))
    _, _, v1_later = build(1, at("2026-09-01"))
    assert v1 == v1_later
    _, records_v2, v2 = build(2, at("2026-05-01"))
    assert v2 != v1
    [a, _] = records_v2
    assert [str(w.datum) for w in a.handhaving.waarschuwingen] == ["2026-03-10", "2026-03-25"]
    assert b"2026-03-25" in v2 and b"2026-03-25" not in v1


def test_the_frozen_snapshot_rebuilds_the_file():
    header, records, xml = build(1, at("2026-05-01"))
    terug = levering.records_uit_snapshot(levering.snapshot_bytes(records))
    from keten_contracts.swi import render_levering

    assert render_levering(header, terug) == xml


def test_keys_rotate_the_first_encrypts_every_one_decrypts():
    oud, nieuw = nieuwe_sleutel(), nieuwe_sleutel()
    token = Sleutelring(oud).versleutel(b"<levering/>")
    assert b"levering" not in token
    ring = Sleutelring(f"{nieuw},{oud}")
    assert ring.ontsleutel(token) == b"<levering/>"
    herversleuteld = ring.herversleutel(token)
    assert Sleutelring(nieuw).ontsleutel(herversleuteld) == b"<levering/>"
    with pytest.raises(NietTeOntsleutelen):
        Sleutelring(oud).ontsleutel(herversleuteld)
    with pytest.raises(ValueError, match="holds no key"):
        Sleutelring(" , ")


def test_levering_ids_name_gemeente_quarter_and_version():
    assert levering.levering_id("0363", "2026-Q1", 2) == "lev-0363-2026-q1-v2"


def test_the_handlers_follow_every_gemeente_event_about_a_resource_of_the_record():
    from cbs_leverancier.handlers import gevolgde_types

    gevolgd = {t.removeprefix("nl.inburgering.").removesuffix(".v1") for t in gevolgde_types()}
    assert {
        "pip.vastgesteld",
        "leerroute.gewisseld",
        "intake.afgerond",
        "map.afgerond",
        "pvt.niet-afgerond",
        "opdracht.verstrekt",
        "begeleiding.beeindigd",
        "voortgangsgesprek.gehouden",
        "inspanningsverplichting.boete.opgelegd",
        "doelgroepkeuze.vastgelegd",
        "dossier.gewijzigd",  # the end of the plicht, the hand-over
    } <= gevolgd
    # Not about the record: deadlines, offers, hand-overs, and its own event.
    assert not gevolgd & {
        "termijnoverschrijding.geconstateerd",
        "inburgeringsaanbod.gedaan",
        "verhuizing.overgedragen",
        "swi-levering.aangemaakt",
    }
