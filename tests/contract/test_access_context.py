"""Rules 13 and 14: the policy decision from the resolved context of a call.

Seed 002_774eb578c0679392.txt (section 4.2): "de medewerker inburgering mag gegevens
betreffende de Participatiewet raadplegen, maar niet wijzigen. Andersom mag de klantmanager
Participatiewet geen gegevens wijzigen die zijn vastgelegd in het kader van de nieuwe Wet
inburgering." and "een inburgeringsplichtige kan geen bestuurlijke boete krijgen in het kader
van de Wet inburgering, wanneer zijn of haar uitkering al voor dezelfde gedrag is verlaagd".
Section 4.7: "De gemeente ontvangt geen informatie over de taal inspanningen van de gezins- of
overige migrant."
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from keten_contracts.access import (
    GEGEVENSDOMEIN,
    SCHRIJVERS,
    Rij,
    Toegang,
    Wet,
    mag_lezen,
    mag_wijzigen,
    projecteer,
    toegang,
)
from keten_contracts.clients import Client, Doel, Functie, toegestane_doelen
from keten_contracts.common import Doelgroep
from keten_contracts.parties import AANBIEDER_ROLLEN, Rol
from keten_contracts.policy import TAALINSPANNING_VELDEN, BsnBeleid, may_read_doelgroep
from keten_contracts.resources import all_resources, get_resource
from keten_contracts.resources.gemeente import (
    Handhavingsmaatregel,
    Handhavingsverzoek,
    Overdracht,
    Overdrachtsverzoek,
)

A, B = "0363", "0599"
SSC_OIN = "00000009876543210000"
AANBIEDER_OIN = get_resource("opdracht").example["aanbiederOin"]
ANDERE_OIN = "00000001111111110000"
ASIEL, GEZIN = Doelgroep.ASIELSTATUSHOUDER, Doelgroep.GEZINSMIGRANT


def _client(rol: Rol, *, functie: Functie = Functie.ORGANISATIE, **kw: Any) -> Client:
    namens = kw.pop("namens", A if rol is Rol.GEMEENTE else None)
    oin = kw.pop("oin", AANBIEDER_OIN if rol.is_aanbieder else SSC_OIN)
    return Client(
        client_id=kw.pop("client_id", f"{rol.value}-{functie.value}-{namens}"),
        service="dossier-bron",
        oin=oin,
        rol=rol,
        functie=functie,
        namens=namens,
        doelen=kw.pop("doelen", toegestane_doelen(rol, functie)),
    )


# One SSC, two mandates: a client_id per gemeente (and per functie).
SSC_A = _client(Rol.GEMEENTE, functie=Functie.MEDEWERKER_INBURGERING, namens=A)
SSC_B = _client(Rol.GEMEENTE, functie=Functie.MEDEWERKER_INBURGERING, namens=B)
KLANTMANAGER_A = _client(Rol.GEMEENTE, functie=Functie.KLANTMANAGER_PARTICIPATIEWET, namens=A)
DUO = _client(Rol.DUO)
CBS = _client(Rol.CBS)
TAAL = _client(Rol.TAALAANBIEDER)

INBURGERING = Doel.UITVOERING_INBURGERING
PARTICIPATIEWET = Doel.UITVOERING_PARTICIPATIEWET


def _example(resource: str, **kw: Any) -> BaseModel:
    rd = get_resource(resource)
    return rd.model.model_validate({**rd.example, **kw})


def _t(client: Client, doel: Doel) -> Toegang:
    return Toegang(client, doel)


def _fields(resource: str) -> list[str]:
    return list(get_resource(resource).model.model_fields)


PW = "participatiewet-maatregel"
INBURGERINGSDATA = sorted(
    r
    for r, wet in GEGEVENSDOMEIN.items()
    if wet is Wet.INBURGERING and not hasattr(get_resource(r).model, "RAPPORTEURS")
)


# --- the SSC and the mandate ----------------------------------------------------------------


def test_an_ssc_client_reads_its_mandated_gemeente_only():
    dossier_a, dossier_b = _example("dossier"), _example("dossier", gemeentecode=B)
    ta, tb = _t(SSC_A, INBURGERING), _t(SSC_B, INBURGERING)
    assert SSC_A.oin == SSC_B.oin  # one organisation, two mandates
    assert mag_lezen(ta, "dossier", "bsn", Rij(gemeentecode=A))
    assert not mag_lezen(ta, "dossier", "bsn", Rij(gemeentecode=B))
    assert projecteer(ta, "dossier", dossier_a, Rij.van(dossier_a)) is not None
    assert projecteer(ta, "dossier", dossier_b, Rij.van(dossier_b)) is None
    # The second client_id of the same SSC, mandated by B, reads B and not A.
    assert mag_lezen(tb, "dossier", "bsn", Rij(gemeentecode=B))
    assert not mag_lezen(tb, "dossier", "bsn", Rij(gemeentecode=A))
    assert projecteer(tb, "dossier", dossier_b, Rij.van(dossier_b)) is not None
    assert projecteer(tb, "dossier", dossier_a, Rij.van(dossier_a)) is None
    # Writes keep to the mandate too.
    assert mag_wijzigen(ta, "pip", "doelen", Rij(gemeentecode=A))
    assert not mag_wijzigen(ta, "pip", "doelen", Rij(gemeentecode=B))


def test_an_instance_that_contradicts_the_row_is_refused():
    dossier_b = _example("dossier", gemeentecode=B)
    # The source said A, the instance says B: no read for A's client.
    assert projecteer(_t(SSC_A, INBURGERING), "dossier", dossier_b, Rij(gemeentecode=A)) is None
    uren = _example("urenverantwoording", doelgroep="gezinsmigrant")
    rij = Rij(gemeentecode=A, doelgroep=ASIEL)
    assert projecteer(_t(SSC_A, INBURGERING), "urenverantwoording", uren, rij) is None
    with pytest.raises(ValueError, match="contradict"):
        Rij.van(dossier_b, gemeentecode=A)


# --- the wall inside the gemeente -----------------------------------------------------------


@pytest.mark.parametrize("field", _fields(PW))
def test_the_medewerker_inburgering_reads_but_cannot_change_participatiewet_data(field):
    rij = Rij(gemeentecode=A)
    medewerker, klantmanager = _t(SSC_A, INBURGERING), _t(KLANTMANAGER_A, PARTICIPATIEWET)
    assert mag_lezen(medewerker, PW, field, rij)
    assert not mag_wijzigen(medewerker, PW, field, rij)
    assert mag_lezen(klantmanager, PW, field, rij)
    assert mag_wijzigen(klantmanager, PW, field, rij)
    assert projecteer(medewerker, PW, _example(PW), rij) is not None


@pytest.mark.parametrize("resource", INBURGERINGSDATA)
def test_the_klantmanager_reads_but_cannot_change_inburgering_data(resource):
    rij = Rij(gemeentecode=A, doelgroep=ASIEL, opdrachtsoort="b1-cursus")
    medewerker, klantmanager = _t(SSC_A, INBURGERING), _t(KLANTMANAGER_A, PARTICIPATIEWET)
    for field in _fields(resource):
        assert not mag_wijzigen(klantmanager, resource, field, rij), field
        assert mag_wijzigen(medewerker, resource, field, rij), field
        assert mag_lezen(klantmanager, resource, field, rij) == mag_lezen(
            medewerker, resource, field, rij
        )
    assert any(mag_lezen(klantmanager, resource, f, rij) for f in _fields(resource))


def test_every_gemeente_resource_is_classified_by_law():
    # The gemeente's source registration; the router's subscriptions are no registration of it.
    gemeente = {rd.name for rd in all_resources() if rd.bron == "dossier-bron"}
    assert set(GEGEVENSDOMEIN) == gemeente
    assert all(get_resource(naam).owner is Rol.GEMEENTE for naam in gemeente)
    assert GEGEVENSDOMEIN[PW] is Wet.PARTICIPATIEWET
    assert SCHRIJVERS[Wet.PARTICIPATIEWET][0] is Functie.KLANTMANAGER_PARTICIPATIEWET


def test_a_fine_for_conduct_the_participatiewet_already_sanctioned_is_refused():
    with pytest.raises(ValidationError, match="already sanctioned"):
        _example("handhavingsmaatregel", participatiewetMaatregelId="pwm-5d20")
    # A warning is no punishment: it records the marker (no fine may follow).
    waarschuwing = _example(
        "handhavingsmaatregel",
        soort="waarschuwing",
        bedragInCenten=None,
        participatiewetMaatregelId="pwm-5d20",
    )
    assert isinstance(waarschuwing, Handhavingsmaatregel)
    assert waarschuwing.participatiewet_maatregel_id == "pwm-5d20"
    assert _example("handhavingsmaatregel").participatiewet_maatregel_id is None
    # The marker is gemeente-only and the medewerker inburgering sets it.
    rij = Rij(gemeentecode=A)
    field = "participatiewet_maatregel_id"
    assert mag_wijzigen(_t(SSC_A, INBURGERING), "handhavingsmaatregel", field, rij)
    assert not mag_lezen(_t(CBS, Doel.STATISTIEK_SWI), "handhavingsmaatregel", field, rij)


# --- the purpose ------------------------------------------------------------------------------


def test_a_purpose_the_client_is_not_registered_for_is_refused():
    with pytest.raises(ValueError, match="not registered for doel"):
        Toegang(KLANTMANAGER_A, INBURGERING)
    assert toegang(KLANTMANAGER_A, INBURGERING) is None
    assert toegang(KLANTMANAGER_A, None) is None
    assert toegang(None, PARTICIPATIEWET) is None
    assert toegang(KLANTMANAGER_A, PARTICIPATIEWET) == Toegang(KLANTMANAGER_A, PARTICIPATIEWET)
    # A client that skipped its validators (model_construct) still gets no unfit purpose.
    cbs_plus = Client.model_construct(
        **{**CBS.model_dump(), "doelen": frozenset({Doel.STATISTIEK_SWI, INBURGERING})}
    )
    rij = Rij(gemeentecode=A)
    assert mag_lezen(_t(CBS, Doel.STATISTIEK_SWI), "intake", "opleidingsniveau", rij)
    assert not mag_lezen(_t(cbs_plus, INBURGERING), "intake", "opleidingsniveau", rij)


def test_duo_reads_a_fine_only_for_its_request():
    boete = _example("handhavingsmaatregel")
    waarschuwing = _example("handhavingsmaatregel", soort="waarschuwing", bedragInCenten=None)
    verzoek = Handhavingsverzoek.model_validate(get_resource("handhavingsverzoek").example)
    rij = Rij(gemeentecode=A, inburgeringsplicht_id=verzoek.inburgeringsplicht_id)
    op_verzoek = replace(rij, handhavingsverzoek=verzoek)
    td, staand = _t(DUO, Doel.HANDHAVINGSVERZOEK), _t(DUO, Doel.PLICHT_EN_TERMIJNEN)
    shown = projecteer(td, "handhavingsmaatregel", boete, op_verzoek)
    assert shown is not None and shown.bedrag_in_centen == 25000
    assert mag_lezen(td, "handhavingsmaatregel", "bedragInCenten", op_verzoek)
    assert not mag_lezen(td, "handhavingsmaatregel", "dossier_id", op_verzoek)
    assert projecteer(td, "handhavingsmaatregel", waarschuwing, op_verzoek) is None
    # No request, a request to another gemeente, or the standing purpose: nothing.
    assert projecteer(td, "handhavingsmaatregel", boete, rij) is None
    assert not mag_lezen(td, "handhavingsmaatregel", "bedrag_in_centen", rij)
    assert (
        projecteer(td, "handhavingsmaatregel", boete, replace(op_verzoek, gemeentecode=B)) is None
    )
    assert projecteer(staand, "handhavingsmaatregel", boete, op_verzoek) is None
    assert not mag_lezen(staand, "handhavingsmaatregel", "bedrag_in_centen", op_verzoek)
    # The request opens the fines, nothing else.
    assert not mag_lezen(td, "pip", "leerroute", op_verzoek)
    assert mag_lezen(staand, "pip", "leerroute", rij)


# --- rule 14 folded in --------------------------------------------------------------------------


@pytest.mark.parametrize("field", sorted(TAALINSPANNING_VELDEN["urenverantwoording"]))
def test_the_gemeente_reads_no_language_efforts_of_a_gezinsmigrant(field):
    tg = _t(SSC_A, INBURGERING)
    assert mag_lezen(tg, "urenverantwoording", field, Rij(gemeentecode=A, doelgroep=ASIEL))
    assert not mag_lezen(tg, "urenverantwoording", field, Rij(gemeentecode=A, doelgroep=GEZIN))
    assert not mag_lezen(tg, "urenverantwoording", field, Rij(gemeentecode=A))
    # The same for the klantmanager, and for what the gemeente registers.
    tk = _t(KLANTMANAGER_A, PARTICIPATIEWET)
    assert not mag_lezen(tk, "urenverantwoording", field, Rij(gemeentecode=A, doelgroep=GEZIN))
    assert not mag_wijzigen(tg, "urenverantwoording", field, Rij(gemeentecode=A, doelgroep=GEZIN))
    # DUO reads them of everyone.
    td = _t(DUO, Doel.PLICHT_EN_TERMIJNEN)
    assert mag_lezen(td, "urenverantwoording", field, Rij(gemeentecode=A, doelgroep=GEZIN))


def test_projecteer_applies_the_target_group_rule():
    tg = _t(SSC_A, INBURGERING)
    gezin = _example("urenverantwoording", doelgroep="gezinsmigrant")
    assert projecteer(tg, "urenverantwoording", gezin, Rij(gemeentecode=A)) is None
    asiel = _example("urenverantwoording")  # no doelgroep of its own: the dossier's counts
    assert projecteer(tg, "urenverantwoording", asiel, Rij(gemeentecode=A)) is None
    shown = projecteer(tg, "urenverantwoording", asiel, Rij(gemeentecode=A, doelgroep=ASIEL))
    assert shown is not None and shown.uren_taal == 940
    resultaat = {"soort": "taalschakeltraject", "uren": None, "resultaatBehaald": True}
    opdracht = _example("opdracht", doelgroep="gezinsmigrant", **resultaat)
    shown = projecteer(tg, "opdracht", opdracht, Rij(gemeentecode=A))
    assert shown is not None and shown.resultaat_behaald is None


# --- aanbieders and the hand-over ---------------------------------------------------------


def test_an_aanbieder_reads_and_reports_on_its_own_opdracht_only():
    tt = _t(TAAL, Doel.OPDRACHT_UITVOERING)
    opdracht = _example("opdracht")
    eigen = Rij.van(opdracht)
    assert mag_lezen(tt, "opdracht", "bsn", eigen)
    assert projecteer(tt, "opdracht", opdracht, eigen) is not None
    vreemd = _client(Rol.TAALAANBIEDER, oin=ANDERE_OIN)
    assert not mag_lezen(_t(vreemd, Doel.OPDRACHT_UITVOERING), "opdracht", "bsn", eigen)
    assert projecteer(_t(vreemd, Doel.OPDRACHT_UITVOERING), "opdracht", opdracht, eigen) is None
    assert not mag_lezen(tt, "opdracht", "bsn", replace(eigen, aanbieder_oin=None))
    # Its report: the body's own fields, not what the source takes from the opdracht; the
    # BSN only where the gemeente gives it.
    rapport = "voortgang-rapport"
    assert mag_wijzigen(tt, rapport, "urenAanwezig", eigen)
    assert mag_wijzigen(tt, rapport, "bsn", eigen)
    geen_bsn = replace(eigen, bsn_beleid=BsnBeleid(frozenset({A})))
    assert not mag_wijzigen(tt, rapport, "bsn", geen_bsn)
    assert not mag_wijzigen(tt, rapport, "gemeentecode", eigen)
    assert not mag_wijzigen(_t(vreemd, Doel.OPDRACHT_UITVOERING), rapport, "urenAanwezig", eigen)
    # The gemeente does not change what the aanbieder reported.
    assert not mag_wijzigen(_t(SSC_A, INBURGERING), rapport, "urenAanwezig", eigen)


def test_duo_raises_a_signaal_and_the_medewerker_inburgering_ticks_it_off():
    rij = Rij(gemeentecode=A)
    assert mag_wijzigen(_t(SSC_A, INBURGERING), "signaal", "status", rij)
    assert not mag_wijzigen(_t(SSC_A, INBURGERING), "signaal", "code", rij)
    assert not mag_wijzigen(_t(KLANTMANAGER_A, PARTICIPATIEWET), "signaal", "status", rij)
    assert not mag_wijzigen(_t(SSC_B, INBURGERING), "signaal", "status", rij)
    assert mag_wijzigen(_t(DUO, Doel.PLICHT_EN_TERMIJNEN), "signaal", "code", rij)
    assert not mag_wijzigen(_t(DUO, Doel.PLICHT_EN_TERMIJNEN), "signaal", "status", rij)
    assert mag_wijzigen(_t(DUO, Doel.HANDHAVINGSVERZOEK), "handhavingsverzoek", "datum", rij)
    assert not mag_wijzigen(_t(DUO, Doel.PLICHT_EN_TERMIJNEN), "handhavingsverzoek", "datum", rij)


def test_the_hand_over_opens_the_old_gemeentes_parts_for_that_purpose_only():
    verzoek = Overdrachtsverzoek.model_validate(get_resource("overdrachtsverzoek").example)
    pakket = Overdracht.model_validate(get_resource("overdracht").example)
    intake = _example("intake")  # linked in the package
    nieuw = SSC_B  # the new gemeente B (the SSC's B mandate)
    th, tg = _t(nieuw, Doel.VERHUIZING_OVERDRACHT), _t(nieuw, INBURGERING)
    rij = Rij(gemeentecode=A, overdrachtsverzoek=verzoek, overdracht=pakket)
    assert mag_lezen(th, "intake", "taalniveau", rij)
    assert projecteer(th, "intake", intake, rij) is not None
    assert projecteer(th, "overdracht", pakket, rij) is not None
    # Without the package, under the regie purpose, or the dossier itself: the wall holds.
    assert projecteer(th, "intake", intake, replace(rij, overdracht=None)) is None
    assert not mag_lezen(th, "intake", "taalniveau", replace(rij, overdracht=None))
    assert projecteer(tg, "intake", intake, rij) is None
    assert projecteer(th, "dossier", _example("dossier"), rij) is None
    assert not mag_wijzigen(th, "intake", "taalniveau", Rij(gemeentecode=B))
    # The old gemeente reads the request addressed to it.
    oud = _t(SSC_A, Doel.VERHUIZING_OVERDRACHT)
    assert (
        projecteer(
            oud,
            "overdrachtsverzoek",
            verzoek,
            Rij(gemeentecode=B, overdrachtsverzoek=verzoek),
        )
        is not None
    )


def test_the_hand_over_keeps_the_target_group_rule():
    resultaat = {"soort": "taalschakeltraject", "uren": None, "resultaatBehaald": True}
    opdracht = _example("opdracht", opdrachtId="opd-3a91", doelgroep="gezinsmigrant", **resultaat)
    pakket = Overdracht.model_validate(
        {
            **get_resource("overdracht").example,
            "onderdelen": [{"soort": "opdracht", "resourceId": "opd-3a91"}],
        }
    )
    verzoek = Overdrachtsverzoek.model_validate(get_resource("overdrachtsverzoek").example)
    rij = Rij(gemeentecode=A, overdrachtsverzoek=verzoek, overdracht=pakket)
    shown = projecteer(_t(SSC_B, Doel.VERHUIZING_OVERDRACHT), "opdracht", opdracht, rij)
    assert shown is not None and shown.resultaat_behaald is None and shown.soort is not None


# --- property: every missing part of the context is a refusal ------------------------------

ALLE_ROLLEN = [Rol.GEMEENTE, Rol.DUO, Rol.COA, Rol.CBS, *sorted(AANBIEDER_ROLLEN)]
RESOURCE_NAMEN = [rd.name for rd in all_resources()]
DEFECTEN = ["geen-toegang", "geen-rij", "geen-gemeentecode", "ander-mandaat", "verkeerd-doel"]
AANBIEDER_RESOURCES = [
    "opdracht",
    *(rd.name for rd in all_resources() if hasattr(rd.model, "RAPPORTEURS")),
]


def _functies(rol: Rol) -> list[Functie]:
    if rol is Rol.GEMEENTE:
        return [Functie.MEDEWERKER_INBURGERING, Functie.KLANTMANAGER_PARTICIPATIEWET]
    return [Functie.ORGANISATIE]


@st.composite
def contexten(draw: st.DrawFn) -> tuple[Toegang | None, str, str, BaseModel, Rij | None, str]:
    defect = draw(st.sampled_from(DEFECTEN))
    if defect == "ander-mandaat":
        # Only a gemeente acts for a mandated gemeente, only an aanbieder is bound to its OIN.
        rol = draw(st.sampled_from([Rol.GEMEENTE, *sorted(AANBIEDER_ROLLEN)]))
    else:
        rol = draw(st.sampled_from(ALLE_ROLLEN))
    if rol.is_aanbieder and defect == "ander-mandaat":
        resource = draw(st.sampled_from(AANBIEDER_RESOURCES))  # all an aanbieder touches
    else:
        resource = draw(st.sampled_from(RESOURCE_NAMEN))
    field = draw(st.sampled_from(_fields(resource)))
    instance = _example(resource)
    # A complete, consistent row for this instance; then one part is broken.
    code = getattr(instance, "gemeentecode", None) or A
    rij = Rij.van(
        instance,
        gemeentecode=code,
        doelgroep=ASIEL,
        opdrachtsoort=getattr(instance, "opdrachtsoort", None) or "b1-cursus",
        aanbieder_oin=getattr(instance, "aanbieder_oin", None) or AANBIEDER_OIN,
        inburgeringsplicht_id="ibp-5c7d21",
    )
    functie = draw(st.sampled_from(_functies(rol)))
    namens = (B if code == A else A) if defect == "ander-mandaat" else code
    oin = ANDERE_OIN if defect == "ander-mandaat" else AANBIEDER_OIN
    if defect == "verkeerd-doel":
        doel = draw(st.sampled_from(sorted(set(Doel) - toegestane_doelen(rol, functie))))
        client = Client.model_construct(
            **_client(rol, functie=functie, namens=namens if rol is Rol.GEMEENTE else None)
            .model_copy(update={"doelen": frozenset({doel})})
            .model_dump()
        )
    else:
        client = _client(
            rol,
            functie=functie,
            namens=namens if rol is Rol.GEMEENTE else None,
            oin=oin if rol.is_aanbieder else SSC_OIN,
        )
        doel = draw(st.sampled_from(sorted(client.doelen)))
    t: Toegang | None = Toegang(client, doel)
    if defect == "geen-toegang":
        t = None
    if defect == "geen-rij":
        return t, resource, field, instance, None, defect
    if defect == "geen-gemeentecode":
        rij = replace(rij, gemeentecode=None)
    return t, resource, field, instance, rij, defect


@settings(max_examples=400)
@given(contexten())
def test_any_missing_part_of_the_context_is_a_refusal(context):
    t, resource, field, instance, rij, _defect = context
    assert not mag_lezen(t, resource, field, rij)
    assert not mag_wijzigen(t, resource, field, rij)
    assert projecteer(t, resource, instance, rij) is None


@given(
    st.sampled_from(ALLE_ROLLEN),
    st.sampled_from(RESOURCE_NAMEN),
    st.data(),
    st.sampled_from([None, *Doelgroep]),
)
def test_a_complete_standing_context_reads_what_the_policy_gives_the_rol(
    rol, resource, data, doelgroep
):
    functie = data.draw(st.sampled_from(_functies(rol)))
    field = data.draw(st.sampled_from(_fields(resource)))
    client = _client(rol, functie=functie)
    doelen = sorted(client.doelen - {Doel.HANDHAVINGSVERZOEK, Doel.VERHUIZING_OVERDRACHT})
    doel = data.draw(st.sampled_from(doelen))
    rij = Rij(
        gemeentecode=A, doelgroep=doelgroep, opdrachtsoort="b1-cursus", aanbieder_oin=AANBIEDER_OIN
    )
    expected = may_read_doelgroep(
        rol,
        resource,
        field,
        doelgroep=doelgroep,
        same_gemeente=True,
        opdrachtsoort="b1-cursus",
        gemeentecode=A,
    )
    assert mag_lezen(Toegang(client, doel), resource, field, rij) == expected


def test_unknown_resource_or_field_is_a_refusal():
    rij = Rij(gemeentecode=A)
    t = _t(SSC_A, INBURGERING)
    assert not mag_lezen(t, "geheim", "bsn", rij)
    assert not mag_lezen(t, "dossier", "geheim", rij)
    assert not mag_wijzigen(t, "dossier", "geheim", rij)
    assert projecteer(t, "geheim", _example("dossier"), rij) is None
    assert projecteer(t, "intake", _example("dossier"), rij) is None  # wrong model
    assert t.kenmerken() == {
        "clientId": SSC_A.client_id,
        "oin": SSC_OIN,
        "rol": "gemeente",
        "functie": "medewerker-inburgering",
        "doel": "uitvoering-inburgering",
        "namens": A,
    }


def test_an_unclassified_gemeente_resource_is_written_by_no_one(monkeypatch):
    import keten_contracts.access as access

    zonder_pip = {r: wet for r, wet in GEGEVENSDOMEIN.items() if r != "pip"}
    monkeypatch.setattr(access, "GEGEVENSDOMEIN", zonder_pip)
    rij = Rij(gemeentecode=A)
    assert not mag_wijzigen(_t(SSC_A, INBURGERING), "pip", "doelen", rij)
    assert not mag_wijzigen(_t(KLANTMANAGER_A, PARTICIPATIEWET), "pip", "doelen", rij)
    assert mag_lezen(_t(SSC_A, INBURGERING), "pip", "doelen", rij)  # reading is not affected
