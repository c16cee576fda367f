"""Rule 16: the SWI record layout (models, code lists, XSD) is one versioned definition; a
delivery is canonical XML valid against it, carries the BSN and no build time; the delivery is
personal data."""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
import types
import typing
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

import pytest
from lxml import etree
from pydantic import BaseModel, ValidationError

from keten_contracts.classification import Bewaartermijn, Classificatie, field_tags, tags_of
from keten_contracts.parties import Rol
from keten_contracts.policy import may_read, project, view_model
from keten_contracts.resources import get_resource
from keten_contracts.resources.cbs import CbsLevering
from keten_contracts.resources.gemeente import Begeleiding as BegeleidingResource
from keten_contracts.resources.gemeente import Begeleidingsoort
from keten_contracts.swi import (
    CODELIJSTEN,
    LAYOUT_VERSION,
    NAMESPACE,
    XSD_BESTAND,
    Begeleiding,
    Persoon,
    SwiHeader,
    SwiManifest,
    SwiRecord,
    bron,
    build_manifest,
    render_levering,
    validate_levering,
    xsd_path,
)
from keten_contracts.swi.records import Instellingsnaam

XS = "{http://www.w3.org/2001/XMLSchema}"
SWI = f"{{{NAMESPACE}}}"
HEADER = SwiHeader(gemeentecode="0363", kwartaal="2026-Q3", levering_versie=1)
GEBOUWD = datetime(2026, 10, 5, 6, 7, 8, tzinfo=UTC)


def _cbs(resource: str) -> typing.Any:
    """CBS's view of a resource example (resources/__init__.py): what a builder may use."""
    rd = get_resource(resource)
    return project(resource, Rol.CBS, rd.model.model_validate(dict(rd.example)))


def _record(bsn: str = "111222333", dossier_id: str = "dos-2e4f6a", **changes: object) -> SwiRecord:
    """The example person of the resources, as CBS reads them, coded through ``bron``. The
    PIP changes, a second course and the financial periods are added."""
    dossier, intake, pip = _cbs("dossier"), _cbs("intake"), _cbs("pip")
    opdracht, map_, pvt = _cbs("opdracht"), _cbs("map"), _cbs("pvt")
    boete, mb = _cbs("handhavingsmaatregel"), _cbs("begeleiding")
    assert boete.soort.value == "boete" and mb.soort.value == "maatschappelijke-begeleiding"
    data: dict[str, object] = {
        "dossierId": dossier_id,
        "persoon": {
            "bsn": bsn,
            "doelgroep": bron.DOELGROEP[dossier.doelgroep],
            "vestigingsdatum": dossier.vestigingsdatum,
        },
        "kenmerken": {
            "opleidingsniveau": bron.OPLEIDINGSNIVEAU[intake.opleidingsniveau],
            "alfabetisering": bron.ALFABETISERING[intake.alfabetisering],
        },
        "bredeIntake": {
            "eersteGesprekOp": intake.eerste_gesprek_op,
            "afgerondOp": intake.afgerond_op,
            "afronding": bron.intake_afronding(
                intake.afgerond_op, intake.afgerond_zonder_medewerking
            ),
        },
        "lbt": {
            "afgenomen": intake.lbt_afgenomen,
            "uitkomst": bron.LBT_UITKOMST[intake.lbt_uitkomst],
        },
        "pip": {
            "vaststellingsdatum": pip.vaststellingsdatum,
            "leerroute": bron.LEERROUTE[pip.leerroute],
            "wijzigingen": [
                {"soort": "2", "datum": "2026-03-01"},
                {"soort": "1", "datum": "2026-02-01", "vorigeLeerroute": "2"},
            ],
        },
        "cursussen": [
            {
                "soort": bron.CURSUSSOORT[opdracht.soort],
                "instelling": opdracht.aanbieder_naam,
                "deelname": bron.CURSUSDEELNAME[opdracht.status],
                "startdatum": opdracht.gerealiseerde_start,
            },
            {"soort": "3", "instelling": "ROC van Amsterdam", "deelname": "2"}
            | {"startdatum": "2025-09-08"},
        ],
        "map": {
            "status": bron.trajectstatus(map_.start_gerealiseerd, map_.afgerond),
            "startdatum": map_.start_gerealiseerd,
        },
        "pvt": {
            "status": bron.trajectstatus(pvt.start_gerealiseerd, pvt.afgerond),
            "startdatum": pvt.start_gerealiseerd,
        },
        "begeleiding": {
            "maatschappelijkeBegeleiding": {"startdatum": mb.startdatum, "einddatum": mb.einddatum},
            "financieelOntzorgen": {"startdatum": "2025-06-01", "einddatum": "2025-12-01"},
            "stimulerenFinancieleZelfredzaamheid": {
                "startdatum": "2025-08-01",
                "einddatum": "2026-06-30",
            },
        },
        "handhaving": {
            "waarschuwingen": [{"datum": "2025-06-20", "reden": "1"}],
            "boetes": [
                {
                    "datum": boete.datum,
                    "reden": bron.HANDHAVINGSREDEN[boete.reden],
                    "bedragInCenten": boete.bedrag_in_centen,
                },
                {"datum": "2025-07-20", "reden": "2", "bedragInCenten": 25000},
            ],
        },
    }
    return SwiRecord.model_validate(data | changes)


def _minimal(bsn: str, dossier_id: str) -> SwiRecord:
    return SwiRecord.model_validate(
        {"dossierId": dossier_id, "persoon": {"bsn": bsn, "doelgroep": "2"}}
    )


RECORDS = [
    _record(),
    _minimal("123456782", "dos-9"),
    # A gezinsmigrant with registered voortgangsgesprekken (seed 002 section 3.4.7).
    SwiRecord.model_validate(
        {
            "dossierId": "dos-1a",
            "persoon": {"bsn": "100000009", "doelgroep": "2"},
            "begeleiding": {"voortgangsgesprekken": ["2026-06-01", "2026-01-05"]},
        }
    ),
]


def _xsd() -> etree._ElementTree:
    return etree.parse(str(xsd_path()))


def _xsd_codelijsten() -> dict[str, tuple[int, dict[str, str]]]:
    """XSD simple types marked as a code list: name -> (version, code -> omschrijving)."""
    found: dict[str, tuple[int, dict[str, str]]] = {}
    for simple in _xsd().iter(f"{XS}simpleType"):
        marker = simple.find(f"{XS}annotation/{XS}appinfo/codelijst")
        codes = {
            e.get("value"): e.findtext(f"{XS}annotation/{XS}documentation")
            for e in simple.iter(f"{XS}enumeration")
        }
        if marker is None:
            assert not codes, f"{simple.get('name')}: an enumeration outside a code list"
            continue
        assert marker.get("naam") == simple.get("name")
        found[simple.get("name")] = (int(marker.get("versie")), codes)
    return found


def _leaves(model: type[BaseModel], prefix: str = "") -> dict[str, object]:
    """Every leaf field of ``model`` (path of Python names) -> its leaf annotation."""
    out: dict[str, object] = {}
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        inner = _unwrap(info.annotation)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            out.update(_leaves(inner, path + "."))
        else:
            out[path] = info
    return out


def _unwrap(annotation: object) -> object:
    """``X | None`` and ``list[X]`` -> X."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _unwrap(inner)
    if origin is list:
        return _unwrap(typing.get_args(annotation)[0])
    return annotation


# --- the file ---------------------------------------------------------------------------------


def test_a_record_from_example_data_validates_against_the_xsd():
    xml = render_levering(HEADER, RECORDS)
    assert validate_levering(xml) == []
    assert validate_levering(render_levering(HEADER, [])) == []
    root = etree.fromstring(xml)
    assert root.tag == f"{SWI}levering"
    assert len(root.findall(f"{SWI}record")) == len(RECORDS)


def test_the_xml_is_byte_identical_whatever_the_order():
    first = render_levering(HEADER, RECORDS)
    for order in itertools.permutations(RECORDS):
        assert render_levering(HEADER, list(order)) == first
    # Lists inside a record too: the models keep them in canonical order.
    shuffled = _record().model_dump(by_alias=True)
    for path in (("pip", "wijzigingen"), ("cursussen",), ("handhaving", "boetes")):
        node = shuffled
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = list(reversed(node[path[-1]]))
    assert render_levering(HEADER, [SwiRecord.model_validate(shuffled), *RECORDS[1:]]) == first


def test_records_are_sorted_by_bsn_then_dossier_id():
    root = etree.fromstring(render_levering(HEADER, RECORDS))
    keys = [
        (r.findtext(f"{SWI}persoon/{SWI}bsn"), r.findtext(f"{SWI}dossierId"))
        for r in root.iter(f"{SWI}record")
    ]
    assert keys == sorted(keys)


def test_the_xml_is_canonical_c14n2():
    xml = render_levering(HEADER, RECORDS)
    assert etree.canonicalize(xml.decode("utf-8")).encode("utf-8") == xml
    assert not xml.startswith(b"<?xml")
    assert b"> <" not in xml and b">\n<" not in xml


def test_the_file_holds_no_build_time():
    xml = render_levering(HEADER, RECORDS)
    manifest = build_manifest(HEADER, RECORDS, xml, aangemaakt_op=GEBOUWD)
    text = xml.decode("utf-8")
    assert GEBOUWD.date().isoformat() not in text
    assert not re.search(r"\d{2}:\d{2}", text), "a clock time in the file"
    assert manifest.aangemaakt_op == GEBOUWD
    # Built a day later: same bytes, another manifest time.
    later = build_manifest(HEADER, RECORDS, xml, aangemaakt_op=GEBOUWD + timedelta(days=1))
    assert later.sha256 == manifest.sha256
    assert "dateTime" not in xsd_path().read_text() and "xs:time" not in xsd_path().read_text()
    assert not any(_unwrap(info.annotation) is datetime for info in SwiHeader.model_fields.values())


def test_the_manifest_checksum_and_counts_match():
    xml = render_levering(HEADER, RECORDS)
    manifest = build_manifest(HEADER, RECORDS, xml, aangemaakt_op=GEBOUWD)
    assert manifest.sha256 == hashlib.sha256(xml).hexdigest()
    assert (manifest.kwartaal, manifest.gemeentecode) == ("2026-Q3", "0363")
    assert (manifest.levering_versie, manifest.layout_versie) == (1, LAYOUT_VERSION)
    assert manifest.bestandsnaam == f"swi-{LAYOUT_VERSION}_0363_2026-Q3_v1.xml"
    counts = manifest.aantallen
    assert (counts.records, counts.pip, counts.pip_wijzigingen, counts.cursussen) == (3, 1, 2, 2)
    assert (counts.waarschuwingen, counts.boetes, counts.financieel_ontzorgen) == (1, 2, 1)
    assert counts.stimuleren_financiele_zelfredzaamheid == 1
    with pytest.raises(ValidationError):
        SwiManifest.model_validate(
            {**manifest.model_dump(by_alias=True), "aangemaaktOp": "2026-10-05T06:07:08"}
        )
    # The resource the cbs-leverancier serves: manifest fields plus the file for CBS.
    levering = CbsLevering.model_validate(
        {
            **manifest.model_dump(by_alias=True, exclude={"levering_versie"}),
            "leveringVersie": manifest.levering_versie,
            "leveringId": "lev-2026q3-0363-v1",
            "aantalRecords": counts.records,
            "bestand": base64.b64encode(xml).decode("ascii"),
        }
    )
    assert levering.bestand == xml
    assert hashlib.sha256(levering.bestand).hexdigest() == levering.sha256


def test_a_correction_is_a_new_version_of_the_quarter():
    v1 = render_levering(HEADER, RECORDS)
    v2 = render_levering(HEADER.model_copy(update={"levering_versie": 2}), RECORDS)
    assert v1 != v2 and validate_levering(v2) == []
    assert b"<swi:leveringVersie>2</swi:leveringVersie>" in v2


def test_no_date_after_the_quarter_and_one_record_per_bsn():
    late = _record(pip={"vaststellingsdatum": "2026-10-01", "leerroute": "1"})
    with pytest.raises(ValueError, match="after 2026-09-30"):
        render_levering(HEADER, [late])
    with pytest.raises(ValueError, match="BSN repeats"):
        render_levering(HEADER, [_record(), _record(dossier_id="dos-other")])
    # The XSD says the same (xs:unique), for a file built elsewhere.
    xml = render_levering(HEADER, [_record(), _minimal("123456782", "dos-9")])
    twice = xml.replace(b"123456782", b"111222333")
    assert any("eenRecordPerBsn" in e or "unique" in e.lower() for e in validate_levering(twice))


# --- code lists -------------------------------------------------------------------------------


def test_every_code_is_an_xs_enumeration_and_back():
    in_xsd = _xsd_codelijsten()
    assert set(in_xsd) == set(CODELIJSTEN)
    for naam, lijst in CODELIJSTEN.items():
        versie, codes = in_xsd[naam]
        assert versie == lijst.versie, naam
        assert set(codes) == {c.value for c in lijst.codes}, naam
        for code, omschrijving in codes.items():
            assert omschrijving == lijst.omschrijving(code), f"{naam} {code}"


def test_every_countable_item_is_a_code_no_free_text():
    code_types = {lijst.codes for lijst in CODELIJSTEN.values()}
    strings = set()
    for path, info in _leaves(SwiRecord).items():
        leaf = _unwrap(info.annotation)
        if isinstance(leaf, type) and issubclass(leaf, StrEnum):
            assert leaf in code_types, f"{path}: {leaf.__name__} is no code list of the layout"
        elif leaf is str or typing.get_origin(leaf) is typing.Annotated:
            strings.add(path)
        else:
            assert leaf in (date, bool, int), f"{path}: {leaf}"
    # The only strings: the BSN, the record id and the name of the cursusinstelling.
    assert strings == {"dossier_id", "persoon.bsn", "cursussen.instelling"}
    assert SwiRecord.model_fields["dossier_id"].annotation is not Instellingsnaam


@pytest.mark.parametrize(
    ("section", "field", "bad"),
    [
        ("persoon", "doelgroep", "7"),
        ("persoon", "doelgroep", "asielstatushouder"),
        ("lbt", "uitkomst", "B1 haalbaar"),
        ("kenmerken", "opleidingsniveau", "hbo"),
        ("kenmerken", "opleidingsniveau", "9"),
    ],
)
def test_a_code_outside_its_list_is_refused_by_model_and_xsd(section, field, bad):
    record = _record().model_dump(by_alias=True)
    record[section][field] = bad
    with pytest.raises(ValidationError):
        SwiRecord.model_validate(record)
    xml = render_levering(HEADER, [_record()])
    good = getattr(getattr(_record(), section), field).value
    tag = f"<swi:{field}>".encode()
    broken = xml.replace(tag + good.encode(), tag + bad.encode(), 1)
    assert broken != xml
    assert validate_levering(broken), f"the XSD accepts {field}={bad!r}"


def test_free_text_and_unknown_elements_are_refused_by_the_xsd():
    xml = render_levering(HEADER, [_record()])
    extra = xml.replace(b"</swi:persoon>", b"<swi:naam>Amal Haddad</swi:naam></swi:persoon>")
    assert validate_levering(extra)
    assert validate_levering(b"<not-xml")
    other_version = xml.replace(NAMESPACE.encode(), b"urn:nl:inburgering:swi:0.9")
    assert validate_levering(other_version)


def test_resource_values_all_have_their_swi_code():
    for mapping in (
        bron.DOELGROEP,
        bron.ALFABETISERING,
        bron.OPLEIDINGSNIVEAU,
        bron.LBT_UITKOMST,
        bron.LEERROUTE,
        bron.PIP_WIJZIGING,
        bron.CURSUSDEELNAME,
        bron.HANDHAVINGSREDEN,
    ):
        source = type(next(iter(mapping)))
        assert set(mapping) == set(source), source.__name__
        assert len(set(mapping.values())) == len(mapping), f"{source.__name__}: two share a code"
        target = type(next(iter(mapping.values())))
        assert set(mapping.values()) == set(target), f"{target.__name__}: a code unused"
    assert set(bron.CURSUSSOORT.values()) == set(type(next(iter(bron.CURSUSSOORT.values()))))
    assert set(bron.BEGELEIDING_VELD) == set(Begeleidingsoort)


# --- what CBS may have ------------------------------------------------------------------------


def test_every_swi_item_comes_from_a_field_cbs_may_read():
    leaves = set(_leaves(SwiRecord))
    assert leaves == set(bron.BRONVELDEN), "an SWI item without a source, or a stale source"
    for item, sources in bron.BRONVELDEN.items():
        for resource, field in sources:
            assert may_read(Rol.CBS, resource, field), (
                f"{item}: CBS may not read {resource}.{field}"
            )


def test_the_bsn_is_in_the_layout():
    tags = field_tags(Persoon)["bsn"]
    assert tags.bsn and tags.classificatie is Classificatie.IDENTIFICEREND
    assert tags.bewaartermijn is Bewaartermijn.VIJFTIG_JAAR  # art. 9.9 item a
    root = etree.fromstring(render_levering(HEADER, RECORDS))
    assert [r.findtext(f"{SWI}persoon/{SWI}bsn") for r in root.iter(f"{SWI}record")] == sorted(
        r.persoon.bsn for r in RECORDS
    )
    xsd_persoon = _xsd().find(f"{XS}complexType[@name='Persoon']/{XS}sequence")
    bsn = xsd_persoon.find(f"{XS}element[@name='bsn']")
    assert bsn is not None and bsn.get("minOccurs") is None  # required
    with pytest.raises(ValidationError, match="elfproef"):
        _record(bsn="123456789")


def test_stimuleren_financiele_zelfredzaamheid_and_ontzorgen_are_separate():
    # Resource: two kinds, each with its own start and end.
    assert Begeleidingsoort.FINANCIEEL_ONTZORGEN != (
        Begeleidingsoort.STIMULEREN_FINANCIELE_ZELFREDZAAMHEID
    )
    stimuleren = BegeleidingResource.model_validate(
        {
            **get_resource("begeleiding").example,
            "soort": "stimuleren-financiele-zelfredzaamheid",
            "einddatum": "2026-06-30",
        }
    )
    assert view_model("begeleiding", Rol.CBS).model_validate(stimuleren.model_dump()).einddatum
    with pytest.raises(ValidationError, match="before"):
        BegeleidingResource.model_validate(
            {**get_resource("begeleiding").example, "einddatum": "2025-01-01"}
        )
    # Layout: two periods, two elements, mapped from the two kinds.
    assert bron.BEGELEIDING_VELD[Begeleidingsoort.FINANCIEEL_ONTZORGEN] == "financieel_ontzorgen"
    assert (
        bron.BEGELEIDING_VELD[Begeleidingsoort.STIMULEREN_FINANCIELE_ZELFREDZAAMHEID]
        == "stimuleren_financiele_zelfredzaamheid"
    )
    assert {"financieel_ontzorgen", "stimuleren_financiele_zelfredzaamheid"} <= set(
        Begeleiding.model_fields
    )
    root = etree.fromstring(render_levering(HEADER, [_record()]))
    beg = root.find(f"{SWI}record/{SWI}begeleiding")
    assert beg.findtext(f"{SWI}financieelOntzorgen/{SWI}einddatum") == "2025-12-01"
    assert beg.findtext(f"{SWI}stimulerenFinancieleZelfredzaamheid/{SWI}einddatum") == (
        "2026-06-30"
    )
    # Seed 002 section 4.1: "Het ontzorgen geldt alleen voor asielstatushouders".
    with pytest.raises(ValidationError, match="asielstatushouders only"):
        _record(persoon={"bsn": "111222333", "doelgroep": "2"})
    _record(
        persoon={"bsn": "111222333", "doelgroep": "2"},
        begeleiding={"stimulerenFinancieleZelfredzaamheid": {"startdatum": "2025-08-01"}},
    )


def test_the_layout_version_is_in_the_namespace_and_file_name():
    assert NAMESPACE == f"urn:nl:inburgering:swi:{LAYOUT_VERSION}"
    assert XSD_BESTAND == f"swi-{LAYOUT_VERSION}.xsd" == xsd_path().name
    assert xsd_path().is_file()
    schema = _xsd().getroot()
    assert schema.get("targetNamespace") == NAMESPACE
    assert schema.get("version") == LAYOUT_VERSION
    fixed = schema.find(f"{XS}complexType[@name='Header']//{XS}element[@name='layoutVersie']")
    assert fixed.get("fixed") == LAYOUT_VERSION
    assert typing.get_args(SwiHeader.model_fields["layout_versie"].annotation) == (LAYOUT_VERSION,)
    assert typing.get_args(SwiManifest.model_fields["layout_versie"].annotation) == (
        LAYOUT_VERSION,
    )
    assert etree.fromstring(render_levering(HEADER, [])).nsmap["swi"] == NAMESPACE


# --- the delivery is personal data ------------------------------------------------------------


def test_the_delivery_is_personal_data_for_cbs_only():
    tags = field_tags(CbsLevering)
    bestand = tags["bestand"]
    assert bestand.classificatie is Classificatie.IDENTIFICEREND
    assert bestand.lezers == frozenset({Rol.CBS})
    # It nests a BSN (item a) with data that is no item of art. 9.9: the field takes the
    # shorter class, the BSN inside keeps its own (Persoon.bsn, 50 years).
    assert bestand.bewaartermijn is Bewaartermijn.VIJF_JAAR_NA_EINDE_PLICHT
    manifest = {name for name, t in tags.items() if name != "bestand"}
    assert all(tags[n].classificatie is Classificatie.GEEN for n in manifest)
    assert "bestand" in view_model("cbs-levering", Rol.CBS).model_fields
    gemeente = view_model("cbs-levering", Rol.GEMEENTE, same_gemeente=True)
    assert "bestand" not in gemeente.model_fields
    assert manifest <= set(gemeente.model_fields)
    for rol in Rol:
        if rol is not Rol.CBS:
            assert not may_read(rol, "cbs-levering", "bestand", same_gemeente=True), rol


def test_every_record_field_is_classified_and_only_the_bsn_is_kept_fifty_years():
    models = {SwiRecord}
    todo = [SwiRecord]
    while todo:
        for info in todo.pop().model_fields.values():
            inner = _unwrap(info.annotation)
            if isinstance(inner, type) and issubclass(inner, BaseModel) and inner not in models:
                models.add(inner)
                todo.append(inner)
    fifty = set()
    for model in models:
        for name, info in model.model_fields.items():
            tag = tags_of(info)  # raises for an untagged field
            assert tag.classificatie is not Classificatie.BIJZONDER
            assert (name == "bsn") == tag.bsn
            if tag.bewaartermijn is Bewaartermijn.VIJFTIG_JAAR:
                fifty.add((model.__name__, name))
    assert fifty == {("Persoon", "bsn")}
