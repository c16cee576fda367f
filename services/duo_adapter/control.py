"""The control API of the DUO simulator: chain testers script what DUO's own processes would do
(decide a plicht, grant a vrijstelling, register an exam, notice a BRP registration, ...).

Mounted only when ``KETEN_CONTROL_API`` is on; callers are DUO's own registry entries (rol
duo). Every call is one unit of work: the state change and DUO's events (staged in the outbox)
commit together. The scenario runner calls the routes by their operationId.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Depends, Path
from pydantic import Field, model_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from keten_contracts.common import (
    BedragInCenten,
    Bsn,
    ContractModel,
    Doelgroep,
    Examenonderdeel,
    Gemeentecode,
    OpaqueId,
    Taalniveau,
)
from keten_contracts.parties import Rol
from keten_contracts.resources import duo as contract
from keten_contracts.resources import gemeente
from keten_core import clock
from keten_core.auth import require_party
from keten_core.problems import Problem, problem_responses
from keten_core.service import ServiceRuntime, runtime
from keten_core.uow import UnitOfWork

from . import domain, models
from .handlers import (
    Persoon,
    beslissing_melden,
    emit,
    persoon_van_plicht,
    signaal_afgeven,
    termijn_verlengen,
    termijnen_van,
)

__all__ = ["router"]

ERRORS: Final = problem_responses(400, 401, 403, 404, 409, 422)

router = APIRouter(
    prefix="/control",
    tags=["control"],
    dependencies=[Depends(require_party(Rol.DUO))],
    responses=ERRORS,
)

Keten = Annotated[ServiceRuntime, Depends(runtime)]
PersoonId = Annotated[str, Path(alias="inburgeringsplichtigeId", max_length=100)]


# --- request and answer bodies --------------------------------------------------------------


class NieuweInburgeringsplichtige(ContractModel):
    bsn: Bsn = Field(description="Burgerservicenummer (DUO decides a plicht only with one).")
    doelgroep: Doelgroep
    gemeentecode: Gemeentecode = Field(description="The (future) vestigingsgemeente.")


class InburgeringsplichtigeAangemaakt(ContractModel):
    inburgeringsplichtige_id: OpaqueId


class PlichtVaststellen(ContractModel):
    vastgesteld_op: date | None = Field(default=None, description="Default: today.")
    recht_maatschappelijke_begeleiding: bool | None = Field(
        default=None,
        description="Default: true for asielstatushouders (seed 002 section 3.4.6: 'In de "
        "meeste gevallen valt dit samen met de inburgeringsplicht en is dit van toepassing op "
        "asielstatushouders').",
    )


class VrijstellingVerlenen(ContractModel):
    omvang: contract.Omvang
    onderdelen: list[Examenonderdeel] = Field(default_factory=list, max_length=10)
    besluitdatum: date | None = None


class OntheffingVerlenen(ContractModel):
    omvang: contract.Ontheffingsomvang
    onderdelen: list[Examenonderdeel] = Field(default_factory=list, max_length=10)
    besluitdatum: date | None = None


class ExamenresultaatVastleggen(ContractModel):
    onderdeel: Examenonderdeel
    niveau: Taalniveau | None = None
    examendatum: date
    poging: int | None = Field(default=None, ge=1, le=100, description="Default: next attempt.")
    uitslag: contract.Uitslag


class LbtUitslagVastleggen(ContractModel):
    afnamedatum: date
    uitkomst: str = Field(min_length=1, max_length=100)


class DiplomaUitreiken(ContractModel):
    soort: contract.Diplomasoort
    datum: date


class Verhuizen(ContractModel):
    gemeentecode: Gemeentecode = Field(description="The new gemeente.")


class BrpInschrijving(ContractModel):
    gemeentecode: Gemeentecode = Field(description="The gemeente of the BRP registration.")


class BoeteOpleggen(ContractModel):
    grond: contract.DuoBoetegrond
    bedrag_in_centen: BedragInCenten
    opgelegd_op: date | None = None


class SignaalAanmaken(ContractModel):
    code: contract.Signaalcode
    betreft_id: OpaqueId | None = None
    dossier_id: OpaqueId | None = None


class VerlengingAanvragen(ContractModel):
    aangevraagd_op: date | None = Field(default=None, description="Default: today.")


class VerlengingBesluiten(ContractModel):
    besluit: Literal[contract.Verlengingsbesluit.GEHONOREERD, contract.Verlengingsbesluit.AFGEWEZEN]
    nieuwe_einddatum: date | None = None

    @model_validator(mode="after")
    def _einddatum_bij_honoreren(self) -> VerlengingBesluiten:
        if (self.besluit is contract.Verlengingsbesluit.GEHONOREERD) != (
            self.nieuwe_einddatum is not None
        ):
            raise ValueError("nieuweEinddatum goes with besluit gehonoreerd, and only with it")
        return self


class HandhavingsverzoekIndienen(ContractModel):
    gemeentecode: Gemeentecode | None = Field(
        default=None,
        description="The gemeente that imposed the fines; default: the linked gemeente.",
    )
    handhavingsmaatregel_ids: list[OpaqueId] = Field(
        default_factory=list, max_length=50, description="Empty: all fines of the person."
    )
    datum: date | None = None


class DoelgroepWijzigen(ContractModel):
    doelgroep: Doelgroep


# --- helpers -------------------------------------------------------------------------------


async def _persoon(uow: UnitOfWork, persoon_id: str) -> models.Inburgeringsplichtige:
    persoon = await uow.session.get(models.Inburgeringsplichtige, persoon_id, with_for_update=True)
    if persoon is None:
        raise Problem(404, detail=f"no inburgeringsplichtige {persoon_id!r}")
    return persoon


async def _met_plicht(uow: UnitOfWork, persoon_id: str, *, lopend: bool = True) -> Persoon:
    persoon = await _persoon(uow, persoon_id)
    plicht = (
        await uow.session.execute(
            select(models.Inburgeringsplicht).where(
                models.Inburgeringsplicht.inburgeringsplichtige_id == persoon_id
            )
        )
    ).scalar_one_or_none()
    if plicht is None:
        raise Problem(409, detail=f"inburgeringsplichtige {persoon_id!r} has no plicht yet")
    if lopend and plicht.status != contract.Plichtstatus.VASTGESTELD.value:
        raise Problem(409, detail=f"the plicht of {persoon_id!r} has ended")
    return Persoon(persoon, plicht)


def _beeindigen(
    uow: UnitOfWork,
    base_url: str,
    wie: Persoon,
    reden: contract.Beeindigingsreden,
    op: date,
    *,
    wijze: contract.WijzeVoldaan | None = None,
) -> None:
    """End the plicht (``inburgeringsplicht.beeindigd``): the 5-year retention of art. 9.9
    Besluit starts here; the way and date it was met are kept 50 years."""
    plicht = wie.plicht
    plicht.status = contract.Plichtstatus.BEEINDIGD.value
    plicht.beeindigd_op, plicht.beeindigingsreden = op, reden.value
    if wijze is not None:
        plicht.datum_voldaan, plicht.wijze_voldaan = op, wijze.value
    plicht.to_contract(wie.persoon)
    emit(
        uow,
        base_url,
        "inburgeringsplicht.beeindigd.v1",
        "inburgeringsplicht",
        plicht.inburgeringsplicht_id,
        wie.persoon,
        plicht.inburgeringsplicht_id,
    )


def _aangemaakt(instance: ContractModel) -> Any:
    return instance.model_dump(mode="json", by_alias=True, exclude_none=True)


# --- routes --------------------------------------------------------------------------------


@router.post(
    "/inburgeringsplichtigen",
    operation_id="inburgeringsplichtige-aanmaken",
    status_code=201,
    summary="Register a person at DUO (from IND's information): BSN, doelgroep, gemeente",
)
async def inburgeringsplichtige_aanmaken(
    body: NieuweInburgeringsplichtige, keten: Keten
) -> InburgeringsplichtigeAangemaakt:
    persoon = models.Inburgeringsplichtige(
        id=domain.nieuw_id("ibpg"),
        bsn=body.bsn,
        doelgroep=body.doelgroep.value,
        gemeentecode=body.gemeentecode,
        aangemaakt_op=clock.now(),
    )
    try:
        async with keten.unit_of_work() as uow:
            uow.session.add(persoon)
    except IntegrityError as exc:
        raise Problem(409, detail="a person with this BSN is already registered") from exc
    return InburgeringsplichtigeAangemaakt(inburgeringsplichtige_id=persoon.id)


@router.post(
    "/inburgeringsplichtigen/{inburgeringsplichtigeId}/plicht",
    operation_id="plicht-vaststellen",
    status_code=201,
    response_model=contract.Inburgeringsplicht,
    response_model_exclude_none=True,
    summary="DUO decides the inburgeringsplicht (needs a BSN); notifies the gemeente",
)
async def plicht_vaststellen(
    inburgeringsplichtige_id: PersoonId, body: PlichtVaststellen, keten: Keten
) -> Any:
    base = keten.settings.base_url
    async with keten.unit_of_work() as uow:
        persoon = await _persoon(uow, inburgeringsplichtige_id)
        domain.vereist_bsn(persoon.bsn)  # seed 002 section 3.2, see domain.GeenBsn
        bestaand = (
            await uow.session.execute(
                select(models.Inburgeringsplicht).where(
                    models.Inburgeringsplicht.inburgeringsplichtige_id == persoon.id
                )
            )
        ).scalar_one_or_none()
        if bestaand is not None:
            raise Problem(409, detail=f"{inburgeringsplichtige_id!r} already has a plicht")
        doelgroep = Doelgroep(persoon.doelgroep)
        recht = body.recht_maatschappelijke_begeleiding
        if recht is None:
            recht = doelgroep is Doelgroep.ASIELSTATUSHOUDER
        plicht = models.Inburgeringsplicht(
            inburgeringsplicht_id=domain.nieuw_id("ibp"),
            inburgeringsplichtige_id=persoon.id,
            status=contract.Plichtstatus.VASTGESTELD.value,
            vastgesteld_op=body.vastgesteld_op or clock.today(),
            recht_maatschappelijke_begeleiding=recht,
        )
        instance = plicht.to_contract(persoon)
        uow.session.add(plicht)
        await uow.session.flush()
        pid = plicht.inburgeringsplicht_id
        # Seed 002 section 3.2: DUO "laat diezelfde vestigingsgemeente na koppeling weten dat de
        # asielstatushouder inburgeringsplichtig is" and "eveneens weten of maatschappelijke
        # begeleiding nodig is".
        emit(
            uow, base, "inburgeringsplicht.vastgesteld.v1", "inburgeringsplicht", pid, persoon, pid
        )
        emit(
            uow,
            base,
            "recht-maatschappelijke-begeleiding.vastgesteld.v1",
            "inburgeringsplicht",
            pid,
            persoon,
            pid,
        )
    return _aangemaakt(instance)


@router.post(
    "/inburgeringsplichtigen/{inburgeringsplichtigeId}/vrijstellingen",
    operation_id="vrijstelling-verlenen",
    status_code=201,
    response_model=contract.Vrijstelling,
    response_model_exclude_none=True,
    summary="DUO grants a vrijstelling (outcome only); a full one ends the plicht",
)
async def vrijstelling_verlenen(
    inburgeringsplichtige_id: PersoonId, body: VrijstellingVerlenen, keten: Keten
) -> Any:
    base = keten.settings.base_url
    async with keten.unit_of_work() as uow:
        wie = await _met_plicht(uow, inburgeringsplichtige_id)
        pid = wie.plicht.inburgeringsplicht_id
        row = models.Vrijstelling(
            vrijstelling_id=domain.nieuw_id("vst"),
            inburgeringsplicht_id=pid,
            omvang=body.omvang.value,
            onderdelen=[o.value for o in body.onderdelen],
            besluitdatum=body.besluitdatum or clock.today(),
        )
        instance = row.to_contract()
        uow.session.add(row)
        await uow.session.flush()
        beslissing_melden(
            uow,
            base,
            wie.persoon,
            pid,
            "vrijstelling.verleend.v1",
            "vrijstelling",
            row.vrijstelling_id,
            contract.Signaalcode.VRIJSTELLING_VERLEEND,
        )
        if domain.beeindigt_plicht(body.omvang):
            _beeindigen(uow, base, wie, contract.Beeindigingsreden.VRIJSTELLING, row.besluitdatum)
    return _aangemaakt(instance)


@router.post(
    "/inburgeringsplichtigen/{inburgeringsplichtigeId}/ontheffingen",
    operation_id="ontheffing-verlenen",
    status_code=201,
    response_model=contract.Ontheffing,
    response_model_exclude_none=True,
    summary="DUO grants an ontheffing (outcome only, never its ground); a full one ends the plicht",
)
async def ontheffing_verlenen(
    inburgeringsplichtige_id: PersoonId, body: OntheffingVerlenen, keten: Keten
) -> Any:
    base = keten.settings.base_url
    async with keten.unit_of_work() as uow:
        wie = await _met_plicht(uow, inburgeringsplichtige_id)
        pid = wie.plicht.inburgeringsplicht_id
        row = models.Ontheffing(
            ontheffing_id=domain.nieuw_id("onth"),
            inburgeringsplicht_id=pid,
            omvang=body.omvang.value,
            onderdelen=[o.value for o in body.onderdelen],
            besluitdatum=body.besluitdatum or clock.today(),
        )
        instance = row.to_contract()
        uow.session.add(row)
        await uow.session.flush()
        # Seed 002 section 4.4: "DUO informeert de gemeente over de uitkomst van de aanvraag om
        # een ontheffing, niet dat er een aanvraag is ingediend."
        beslissing_melden(
            uow,
            base,
            wie.persoon,
            pid,
            "ontheffing.verleend.v1",
            "ontheffing",
            row.ontheffing_id,
            contract.Signaalcode.ONTHEFFING_VERLEEND,
        )
        if domain.beeindigt_plicht(body.omvang):
            _beeindigen(uow, base, wie, contract.Beeindigingsreden.ONTHEFFING, row.besluitdatum)
    return _aangemaakt(instance)


@router.post(
    "/inburgeringsplichtigen/{inburgeringsplichtigeId}/examenresultaten",
    operation_id="examenresultaat-vastleggen",
    status_code=201,
    response_model=contract.Examenresultaat,
    response_model_exclude_none=True,
    summary="Record an exam attempt and its result",
)
async def examenresultaat_vastleggen(
    inburgeringsplichtige_id: PersoonId, body: ExamenresultaatVastleggen, keten: Keten
) -> Any:
    base = keten.settings.base_url
    async with keten.unit_of_work() as uow:
        wie = await _met_plicht(uow, inburgeringsplichtige_id, lopend=False)
        pid = wie.plicht.inburgeringsplicht_id
        poging = body.poging
        if poging is None:
            eerdere = (
                await uow.session.execute(
                    select(models.Examenresultaat.poging).where(
                        models.Examenresultaat.inburgeringsplicht_id == pid,
                        models.Examenresultaat.onderdeel == body.onderdeel.value,
                    )
                )
            ).scalars()
            poging = max(eerdere, default=0) + 1
        row = models.Examenresultaat(
            examenresultaat_id=domain.nieuw_id("ex"),
            inburgeringsplicht_id=pid,
            onderdeel=body.onderdeel.value,
            niveau=body.niveau.value if body.niveau else None,
            examendatum=body.examendatum,
            poging=poging,
            uitslag=body.uitslag.value,
        )
        instance = row.to_contract()
        uow.session.add(row)
        await uow.session.flush()
        beslissing_melden(
            uow,
            base,
            wie.persoon,
            pid,
            "examenresultaat.vastgesteld.v1",
            "examenresultaat",
            row.examenresultaat_id,
            contract.Signaalcode.NIEUW_EXAMENRESULTAAT,
        )
    return _aangemaakt(instance)


@router.post(
    "/inburgeringsplichtigen/{inburgeringsplichtigeId}/lbt-uitslagen",
    operation_id="lbt-uitslag-vastleggen",
    status_code=201,
    response_model=contract.LbtUitslag,
    response_model_exclude_none=True,
    summary="Record the result of the leerbaarheidstoets taken on DUO's platform",
)
async def lbt_uitslag_vastleggen(
    inburgeringsplichtige_id: PersoonId, body: LbtUitslagVastleggen, keten: Keten
) -> Any:
    base = keten.settings.base_url
    async with keten.unit_of_work() as uow:
        wie = await _met_plicht(uow, inburgeringsplichtige_id)
        pid = wie.plicht.inburgeringsplicht_id
        row = models.LbtUitslag(
            lbt_uitslag_id=domain.nieuw_id("lbt"),
            inburgeringsplicht_id=pid,
            afnamedatum=body.afnamedatum,
            uitkomst=body.uitkomst,
        )
        instance = row.to_contract()
        uow.session.add(row)
        await uow.session.flush()
        # Seed 002 section 3.4.2: "DUO koppelt het resultaat van de toets via het portaal terug
        # aan de gemeente."
        beslissing_melden(
            uow,
            base,
            wie.persoon,
            pid,
            "lbt-uitslag.vastgesteld.v1",
            "lbt-uitslag",
            row.lbt_uitslag_id,
            contract.Signaalcode.NIEUWE_LBT_UITSLAG,
        )
    return _aangemaakt(instance)


@router.post(
    "/inburgeringsplichtigen/{inburgeringsplichtigeId}/diplomas",
    operation_id="diploma-uitreiken",
    status_code=201,
    response_model=contract.Diploma,
    response_model_exclude_none=True,
    summary="Issue the inburgeringsdiploma or grant the certificaat; the plicht is met",
)
async def diploma_uitreiken(
    inburgeringsplichtige_id: PersoonId, body: DiplomaUitreiken, keten: Keten
) -> Any:
    base = keten.settings.base_url
    async with keten.unit_of_work() as uow:
        wie = await _met_plicht(uow, inburgeringsplichtige_id)
        pid = wie.plicht.inburgeringsplicht_id
        row = models.Diploma(
            diploma_id=domain.nieuw_id("dip"),
            inburgeringsplicht_id=pid,
            soort=body.soort.value,
            datum=body.datum,
        )
        instance = row.to_contract()
        uow.session.add(row)
        await uow.session.flush()
        certificaat = body.soort is contract.Diplomasoort.CERTIFICAAT
        event = "certificaat.toegekend.v1" if certificaat else "diploma.uitgereikt.v1"
        beslissing_melden(
            uow,
            base,
            wie.persoon,
            pid,
            event,
            "diploma",
            row.diploma_id,
            contract.Signaalcode.DIPLOMA_OF_CERTIFICAAT,
        )
        wijze = (
            contract.WijzeVoldaan.CERTIFICAAT
            if certificaat
            else (contract.WijzeVoldaan.INBURGERINGSDIPLOMA)
        )
        _beeindigen(uow, base, wie, contract.Beeindigingsreden.VOLDAAN, body.datum, wijze=wijze)
    return _aangemaakt(instance)


@router.post(
    "/inburgeringsplichtigen/{inburgeringsplichtigeId}/verhuizing",
    operation_id="verhuizen",
    status_code=200,
    response_model=contract.Inburgeringsplicht,
    response_model_exclude_none=True,
    summary="The person moved to another gemeente: DUO notifies the new gemeente",
)
async def verhuizen(inburgeringsplichtige_id: PersoonId, body: Verhuizen, keten: Keten) -> Any:
    """Seed 002 section 4.5: "De inschrijving Basisregistratie Personen in de nieuwe gemeente is
    voor DUO een signaal om de gemeente van vestiging te informeren over de
    inburgeringsplicht." From now on only the new gemeente reads DUO's data of the person."""
    base = keten.settings.base_url
    async with keten.unit_of_work() as uow:
        wie = await _met_plicht(uow, inburgeringsplichtige_id)
        if wie.persoon.gemeentecode == body.gemeentecode:
            raise Problem(409, detail="the person already lives in that gemeente")
        wie.persoon.gemeentecode = body.gemeentecode
        pid = wie.plicht.inburgeringsplicht_id
        emit(
            uow,
            base,
            "verhuizing.gemeld.v1",
            "inburgeringsplicht",
            pid,
            wie.persoon,
            pid,
            gemeentecode=body.gemeentecode,
        )
        instance = wie.plicht.to_contract(wie.persoon)
    return _aangemaakt(instance)


@router.post(
    "/inburgeringsplichtigen/{inburgeringsplichtigeId}/brp-inschrijving",
    operation_id="brp-inschrijving",
    status_code=200,
    response_model=contract.Inburgeringsplicht,
    response_model_exclude_none=True,
    summary="DUO's daily BRP check found a gezins- or overige migrant registered in a "
    "gemeente: DUO notifies it (vestiging.geconstateerd)",
)
async def brp_inschrijving(
    inburgeringsplichtige_id: PersoonId, body: BrpInschrijving, keten: Keten
) -> Any:
    """Seed 002 section 3.3: "Op basis van deze inschrijving weet DUO welke gemeente zij moet
    informeren over de inburgeringsplicht van de betreffende gezinsmigrant" and "DUO stuurt de
    gemeente een notificatie hierover zodat zij in de portal de informatie kunnen ophalen"."""
    base = keten.settings.base_url
    async with keten.unit_of_work() as uow:
        wie = await _met_plicht(uow, inburgeringsplichtige_id)
        if not domain.meldt_vestiging(Doelgroep(wie.persoon.doelgroep)):
            raise Problem(
                409, detail="an asielstatushouder's vestiging is reported by COA, not by DUO"
            )
        wie.persoon.gemeentecode = body.gemeentecode
        pid = wie.plicht.inburgeringsplicht_id
        emit(uow, base, "vestiging.geconstateerd.v1", "inburgeringsplicht", pid, wie.persoon, pid)
        instance = wie.plicht.to_contract(wie.persoon)
    return _aangemaakt(instance)


@router.post(
    "/inburgeringsplichtigen/{inburgeringsplichtigeId}/boetes",
    operation_id="boete-opleggen",
    status_code=201,
    response_model=contract.DuoBoete,
    response_model_exclude_none=True,
    summary="DUO fines the person for the resultaatsverplichting",
)
async def boete_opleggen(
    inburgeringsplichtige_id: PersoonId, body: BoeteOpleggen, keten: Keten
) -> Any:
    base = keten.settings.base_url
    async with keten.unit_of_work() as uow:
        wie = await _met_plicht(uow, inburgeringsplichtige_id, lopend=False)
        pid = wie.plicht.inburgeringsplicht_id
        row = models.DuoBoete(
            duo_boete_id=domain.nieuw_id("dboe"),
            inburgeringsplicht_id=pid,
            opgelegd_op=body.opgelegd_op or clock.today(),
            grond=body.grond.value,
            bedrag_in_centen=body.bedrag_in_centen,
        )
        instance = row.to_contract()
        uow.session.add(row)
        await uow.session.flush()
        beslissing_melden(
            uow,
            base,
            wie.persoon,
            pid,
            "resultaatsverplichting.boete.opgelegd.v1",
            "duo-boete",
            row.duo_boete_id,
            contract.Signaalcode.BOETE_OPGELEGD,
        )
    return _aangemaakt(instance)


@router.post(
    "/inburgeringsplichtigen/{inburgeringsplichtigeId}/verlengingen",
    operation_id="verlenging-aanvragen",
    status_code=201,
    response_model=contract.Verlenging,
    response_model_exclude_none=True,
    summary="The person asks DUO to extend the termijn; DUO asks the gemeente for the "
    "circumstances and the hours",
)
async def verlenging_aanvragen(
    inburgeringsplichtige_id: PersoonId, body: VerlengingAanvragen, keten: Keten
) -> Any:
    """domain.md section 3, extension request: "circumstances, missing offer; DUO's decision,
    new end date | gemeente <-> DUO"; seed 002 section 4.5: the hours, "omdat bij een aanvraag
    om verlenging van de inburgeringstermijn, DUO deze kan opvragen". DUO raises both
    actie-vereist signalen for the linked gemeente."""
    base = keten.settings.base_url
    async with keten.unit_of_work() as uow:
        wie = await _met_plicht(uow, inburgeringsplichtige_id)
        pid = wie.plicht.inburgeringsplicht_id
        row = models.Verlenging(
            verlenging_id=domain.nieuw_id("vl"),
            inburgeringsplicht_id=pid,
            ambtshalve=False,
            aangevraagd_op=body.aangevraagd_op or clock.today(),
            besluit=contract.Verlengingsbesluit.IN_BEHANDELING.value,
        )
        instance = row.to_contract()
        uow.session.add(row)
        await uow.session.flush()
        emit(
            uow,
            base,
            "verlenging.aangevraagd.v1",
            "verlenging",
            row.verlenging_id,
            wie.persoon,
            pid,
        )
        for code in (
            contract.Signaalcode.VERLENGINGSINFORMATIE_AANLEVEREN,
            contract.Signaalcode.URENVERANTWOORDING_AANLEVEREN,
        ):
            signaal_afgeven(uow, base, wie.persoon, pid, code)
    return _aangemaakt(instance)


@router.post(
    "/verlengingen/{verlengingId}/besluit",
    operation_id="verlenging-besluiten",
    status_code=200,
    response_model=contract.Verlenging,
    response_model_exclude_none=True,
    summary="DUO decides on an extension request (granted: the termijn moves)",
)
async def verlenging_besluiten(
    verlenging_id: Annotated[str, Path(alias="verlengingId", max_length=100)],
    body: VerlengingBesluiten,
    keten: Keten,
) -> Any:
    base = keten.settings.base_url
    async with keten.unit_of_work() as uow:
        row = await uow.session.get(models.Verlenging, verlenging_id, with_for_update=True)
        if row is None:
            raise Problem(404, detail=f"no verlenging {verlenging_id!r}")
        if row.besluit != contract.Verlengingsbesluit.IN_BEHANDELING.value:
            raise Problem(409, detail=f"verlenging {verlenging_id!r} was already decided")
        wie = await persoon_van_plicht(uow, row.inburgeringsplicht_id)
        assert wie is not None  # the foreign key
        pid = row.inburgeringsplicht_id
        termijn = (await termijnen_van(uow, pid)).get(
            contract.Termijnsoort.INBURGERINGSPLICHT.value
        )
        if body.nieuwe_einddatum is not None:
            if termijn is None:
                raise Problem(409, detail="there is no termijn to extend yet (no PIP at DUO)")
            if body.nieuwe_einddatum <= termijn.einddatum:
                raise Problem(409, detail="an extension ends after the current end")
            row.ingangsdatum = termijn.einddatum
        row.besluit, row.besluitdatum = body.besluit.value, clock.today()
        row.nieuwe_einddatum = body.nieuwe_einddatum
        instance = row.to_contract()
        emit(uow, base, "verlenging.besloten.v1", "verlenging", row.verlenging_id, wie.persoon, pid)
        if body.nieuwe_einddatum is not None:
            await termijn_verlengen(
                uow, base, wie, body.nieuwe_einddatum, contract.Termijnwijziging.VERLENGING
            )
        signaal_afgeven(
            uow,
            base,
            wie.persoon,
            pid,
            contract.Signaalcode.VERLENGING_BESLOTEN,
            betreft_id=row.verlenging_id,
        )
    return _aangemaakt(instance)


@router.post(
    "/inburgeringsplichtigen/{inburgeringsplichtigeId}/doelgroep",
    operation_id="doelgroep-wijzigen",
    status_code=200,
    response_model=contract.Inburgeringsplicht,
    response_model_exclude_none=True,
    summary="The person's residence changed their doelgroep; DUO informs the gemeente",
)
async def doelgroep_wijzigen(
    inburgeringsplichtige_id: PersoonId, body: DoelgroepWijzigen, keten: Keten
) -> Any:
    """Seed 002 section 3.4: "DUO informeert de gemeente over deze wijziging van doelgroep,
    waarna de gemeente in gesprek gaat met de inburgeringsplichtige." """
    base = keten.settings.base_url
    async with keten.unit_of_work() as uow:
        wie = await _met_plicht(uow, inburgeringsplichtige_id)
        if wie.persoon.doelgroep == body.doelgroep.value:
            raise Problem(409, detail=f"the doelgroep already is {body.doelgroep.value}")
        wie.persoon.doelgroep = body.doelgroep.value
        pid = wie.plicht.inburgeringsplicht_id
        beslissing_melden(
            uow,
            base,
            wie.persoon,
            pid,
            "doelgroep.gewijzigd.v1",
            "inburgeringsplicht",
            pid,
            contract.Signaalcode.INBURGERINGSPLICHT_GEWIJZIGD,
        )
        instance = wie.plicht.to_contract(wie.persoon)
    return _aangemaakt(instance)


@router.post(
    "/inburgeringsplichtigen/{inburgeringsplichtigeId}/handhavingsverzoeken",
    operation_id="handhavingsverzoek-indienen",
    status_code=201,
    response_model=gemeente.Handhavingsverzoek,
    response_model_exclude_none=True,
    summary="DUO asks a gemeente for the fines it imposed (never warnings)",
)
async def handhavingsverzoek_indienen(
    inburgeringsplichtige_id: PersoonId, body: HandhavingsverzoekIndienen, keten: Keten
) -> Any:
    """Seed 002 section 4.7: "Indien het nodig is om deze gegevens te delen, neemt DUO contact
    op met de gemeente en kan de gemeente deze alsnog delen." The event goes to the gemeente
    asked, with an actie-vereist signaal (code list version 2) naming the request."""
    base = keten.settings.base_url
    async with keten.unit_of_work() as uow:
        wie = await _met_plicht(uow, inburgeringsplichtige_id, lopend=False)
        pid = wie.plicht.inburgeringsplicht_id
        row = models.Handhavingsverzoek(
            handhavingsverzoek_id=domain.nieuw_id("hvz"),
            inburgeringsplicht_id=pid,
            gemeentecode=body.gemeentecode or wie.persoon.gemeentecode,
            handhavingsmaatregel_ids=list(body.handhavingsmaatregel_ids),
            datum=body.datum or clock.today(),
        )
        instance = row.to_contract()
        uow.session.add(row)
        await uow.session.flush()
        emit(
            uow,
            base,
            "handhavingsverzoek.ingediend.v1",
            "handhavingsverzoek",
            row.handhavingsverzoek_id,
            wie.persoon,
            pid,
            gemeentecode=row.gemeentecode,
        )
        signaal_afgeven(
            uow,
            base,
            wie.persoon,
            pid,
            contract.Signaalcode.HANDHAVINGSGEGEVENS_AANLEVEREN,
            # The fines are the gemeente's, named in the request (handhavingsverzoek.ingediend).
            betreft_id=(
                row.handhavingsmaatregel_ids[0] if len(row.handhavingsmaatregel_ids) == 1 else None
            ),
            gemeentecode=row.gemeentecode,
        )
    return _aangemaakt(instance)


@router.post(
    "/inburgeringsplichtigen/{inburgeringsplichtigeId}/signalen",
    operation_id="signaal-aanmaken",
    status_code=201,
    response_model=contract.Signaal,
    response_model_exclude_none=True,
    summary="Raise a signaal for the linked gemeente (any code of the code list)",
)
async def signaal_aanmaken(
    inburgeringsplichtige_id: PersoonId, body: SignaalAanmaken, keten: Keten
) -> Any:
    base = keten.settings.base_url
    async with keten.unit_of_work() as uow:
        wie = await _met_plicht(uow, inburgeringsplichtige_id, lopend=False)
        signaal = signaal_afgeven(
            uow,
            base,
            wie.persoon,
            wie.plicht.inburgeringsplicht_id,
            body.code,
            betreft_id=body.betreft_id,
            dossier_id=body.dossier_id,
        )
        instance = signaal.to_contract()
    return _aangemaakt(instance)
