"""Opdrachten to aanbieders and the reports the aanbieders submit on them (issue 10, step 3).

- **Opdracht verstrekken** (gemeente staff, ``Doel.UITVOERING_INBURGERING``): the soort must be
  a task the aanbieder's kind carries out (``parties.OPDRACHTTAKEN``), else 422 with a reason
  code. The opdracht follows the current PIP version. It holds no copy of the person's data:
  the contact data and the BSN are the dossier's, put in at every read, and the BSN only where
  the task allows it (``parties.bsn_past_bij_taak``; seed 001: "Taalaanbieders mogen dus het
  BSN van de inburgeringsplichtige gebruiken bij de uitvoering van hun taak. Voor alle andere
  taken mogen de aanbieders bij de uitvoering hun taken niet het BSN gebruiken."). The thin
  ``opdracht.verstrekt`` is routed to that one aanbieder (``aanbiedersoort``,
  ``aanbiederoin``).
- **Opdracht lezen**: through the read kit, per role under its own purpose; an aanbieder
  (``Doel.OPDRACHT_UITVOERING``) reads only its own opdracht and only its kind's fields.
- **Rapport indienen** (the aanbieder, on the opdracht it holds): one ``POST`` per report kind
  of the contracts (``/opdrachten/{opdrachtId}/<collection>``). The ids, the gemeente, the
  opdracht's soort and the aanbieder's kind come from the opdracht and the caller, never from
  the body (contracts, "thin reports"). Refusals store nothing and echo nothing of the body:
  an opdracht the aanbieder does not hold is 404 (as an unknown one); a kind that does not
  submit this report, or a BSN where the task forbids one, is 422 with a reason code. The
  ``Idempotency-Key`` header the aanbieder chooses makes a retry return the first answer and
  store (and so count the hours of) the report once; the same key with another body is 409.
  An accepted report is followed by the thin ``<kind>.ontvangen`` to the gemeente.
- **Lifecycle** (the gemeente only): ``opdracht.gewijzigd`` (what it stated; the opdracht
  then follows the current PIP version) and ``opdracht.beeindigd`` (a ``RedenNietAfgerond``
  code), both routed to the one aanbieder. An ended opdracht takes no report or correction
  (409 ``opdracht-beeindigd``). A start report on the language part of a leerroute announces
  ``leerroute.gestart``, a completed end report ``leerroute.afgerond``.
- **Corrections**: ``POST /<collection>/{id}/correcties`` by the aanbieder that submitted the
  report (another one gets 404): a new report with the next ``versie`` that names the one it
  supersedes; the original is kept, a report is corrected once (409), and only the last of a
  chain counts (``uren``). A voortgang period already reported is refused (409): correct it.
- **Hours** (``uren``): ``GET /dossiers/{id}/uren`` sums the voortgang reports as the read kit
  serves them to the gemeente; ``taaluren`` feeds the afschaling (``beschikkingen``) and the
  ``urenverantwoording`` delivered on DUO's request (``urenverantwoording.aangeleverd``; DUO
  reads it under its own purpose).
- **MB and LBT return flows**: ``PUT`` on the opdracht by its holder of that kind, registered
  on the opdracht (``mb-rapportage.ontvangen``, ``lbt-resultaat.ontvangen``); the same content
  again announces nothing.
"""

# No ``from __future__ import annotations``: the report routes are built in a loop and their
# body models are closure variables, which FastAPI can only see as evaluated annotations.

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Header, Path
from fastapi.responses import JSONResponse, Response
from pydantic import Field, ValidationError, create_model
from sqlalchemy import select

from keten_contracts.access import Rij, mag_wijzigen
from keten_contracts.clients import Doel
from keten_contracts.common import (
    MAX_UREN,
    OPAQUE_ID_PATTERN,
    ContractModel,
    Doelgroep,
    Opdrachtsoort,
    RedenNietAfgerond,
)
from keten_contracts.parties import AANBIEDER_ROLLEN, Rol, bsn_past_bij_taak, opdrachttaak
from keten_contracts.policy import view_model
from keten_contracts.resources import get_resource
from keten_contracts.resources.gemeente import (
    AdviesRapport,
    Contactgegevens,
    LbtUitkomst,
    MbOnderdeel,
    Opdracht,
    Opdrachtstatus,
    ResultaatRapport,
    TrajectBeeindigdRapport,
    TrajectGestartRapport,
    Urenreden,
    Urenverantwoording,
    VoortgangRapport,
    ZRouteResultaatRapport,
)
from keten_core import clock
from keten_core.problems import Problem
from keten_core.service import ServiceRuntime, runtime
from keten_core.source_read import (
    BronLezing,
    bron_lezing,
    gedocumenteerde_views,
    served_json,
)
from keten_core.uow import UnitOfWork
from keten_core.verwerkingslog import VerwerkingslogOnbeschikbaar

from . import domain, uren
from .api import (
    API_PREFIX,
    PROBLEM_RESPONSES,
    Bron,
    _betrokkene,
    eigen_dossier,
    lezing_per_rol,
    met_dossier,
    weigering,
)
from .domain import Gemeenten
from .models import (
    AanbiederRapportRij,
    DossierRij,
    OpdrachtRij,
    PipVersieRij,
    UrenverantwoordingRij,
)

__all__ = [
    "RAPPORTSOORTEN",
    "Ontvangst",
    "OpdrachtVerstrekking",
    "als_opdracht",
    "build_router",
    "taaluren",
]


Runtime = Annotated[ServiceRuntime, Depends(runtime)]
_ERRORS: Final = {s: PROBLEM_RESPONSES[s] for s in (401, 403, 404, 422, 503)}

# The report kinds of the contracts (resource name -> model), each with its own POST.
RAPPORTSOORTEN: Final[dict[str, type[ContractModel]]] = {
    "traject-gestart-rapport": TrajectGestartRapport,
    "voortgang-rapport": VoortgangRapport,
    "resultaat-rapport": ResultaatRapport,
    "advies-rapport": AdviesRapport,
    "z-route-resultaat-rapport": ZRouteResultaatRapport,
    "traject-beeindigd-rapport": TrajectBeeindigdRapport,
}
# Set by the source from the opdracht and the caller, never taken from the aanbieder's body
# (the aanbieder cannot steer where its report goes); ``versie`` 1 is a new report.
_BRONVELDEN: Final = (
    "rapport_id",
    "versie",
    "opdracht_id",
    "dossier_id",
    "gemeentecode",
    "opdrachtsoort",
    "aanbiedersoort",
)
_BRON_ALIASSEN: Final = frozenset(
    TrajectGestartRapport.model_fields[n].alias or n for n in _BRONVELDEN
)

OpdrachtView: Any = view_model("opdracht", Rol.GEMEENTE, same_gemeente=True)
# Read by the gemeente, DUO and the aanbieder that holds it, each its own view.
OpdrachtViews: Any = gedocumenteerde_views(
    "opdracht", Rol.GEMEENTE, Rol.DUO, Rol.CBS, *sorted(AANBIEDER_ROLLEN)
)
UrenverantwoordingView: Any = gedocumenteerde_views("urenverantwoording", Rol.GEMEENTE, Rol.DUO)
# An opdracht in these states is closed: the gemeente changes or ends it no more.
_GESLOTEN: Final = frozenset({Opdrachtstatus.BEEINDIGD.value, Opdrachtstatus.AFGEROND.value})

# What the gemeente states in an opdracht; the rest comes from the dossier and the PIP.
_OPDRACHT_INHOUD: Final = (
    "aanbieder_naam",
    "beoogde_start",
    "beoogde_einddatum",
    "uiterste_datum",
    "cursusnaam",
    "onderdelen",
    "uren",
    "intensiteit_uren",
    "doelen",
    "afspraken",
)
OpdrachtVerstrekking: Any = create_model(
    "OpdrachtVerstrekking",
    __base__=ContractModel,
    __doc__="An opdracht to one aanbieder (its kind must carry out the soort).",
    soort=(Opdrachtsoort, Opdracht.model_fields["soort"]),
    aanbiedersoort=(Rol, Opdracht.model_fields["aanbiedersoort"]),
    aanbieder_oin=(str, Opdracht.model_fields["aanbieder_oin"]),
    **{
        n: (Opdracht.model_fields[n].annotation, Opdracht.model_fields[n]) for n in _OPDRACHT_INHOUD
    },
)


OpdrachtWijziging: Any = create_model(
    "OpdrachtWijziging",
    __base__=ContractModel,
    __doc__="A change of what the gemeente stated in the opdracht: only the fields sent change "
    "(null clears an optional one); the opdracht then follows the current PIP version.",
    **{
        n: (
            Opdracht.model_fields[n].annotation | None,
            Field(default=None, description=Opdracht.model_fields[n].description),
        )
        for n in _OPDRACHT_INHOUD
    },
)


class OpdrachtBeeindiging(ContractModel):
    """The gemeente ends the opdracht (switch, move, plicht ended), with a reason code."""

    datum: date = Field(description="Date the opdracht ends.")
    reden: RedenNietAfgerond = Field(description="Why it ends (a code, never free text).")


class MbRapportage(ContractModel):
    """The maatschappelijke-begeleiding provider's report on its opdracht: the parts given, as
    codes (no conversation report: seed 001 keeps the "gespreksverslag" out of the chain)."""

    onderdelen: list[MbOnderdeel] = Field(min_length=1, max_length=20)


class LbtResultaat(ContractModel):
    """The LBT taker's result on its opdracht: seed 004 section 4.4.1, "Datum toets Uitslag
    toets", as the intake's code list (no free text)."""

    toetsdatum: date = Field(description="Date the leerbaarheidstoets was taken.")
    uitslag: LbtUitkomst = Field(description="Result of the test.")


class OpdrachtUren(ContractModel):
    """The hours reported on one opdracht (voortgang reports, corrections superseding)."""

    opdracht_id: str = Field(description="The opdracht.")
    soort: Opdrachtsoort = Field(description="Soort of the opdracht.")
    taaldeel: bool = Field(description="The language part of a leerroute (counts as taaluren).")
    uren_aanwezig: int = Field(ge=0, description="Hours attended.")
    uren_afwezig_geoorloofd: int = Field(ge=0, description="Hours of excused absence.")
    uren_afwezig_ongeoorloofd: int = Field(ge=0, description="Hours of unexcused absence.")
    rapporten: list[str] = Field(description="The voortgang reports counted.")


class UrenOverzicht(ContractModel):
    """The hours the aanbieders reported on a dossier, summed per opdracht and for the
    language part of the leerroute (what the afschaling rests on)."""

    dossier_id: str = Field(description="The dossier.")
    taaluren_aanwezig: int = Field(ge=0, description="Language hours attended, all opdrachten.")
    opdrachten: list[OpdrachtUren] = Field(description="Per opdracht that has reports.")


class UrenverantwoordingVraag(ContractModel):
    """DUO asked for the hours (signaal ``urenverantwoording-aanleveren``): up to which date
    and why. The hours themselves are not the caller's to state: the source counts what the
    aanbieders reported."""

    peildatum: date = Field(description="Hours up to this date.")
    reden: Urenreden = Field(description="Why DUO needs them.")


class Ontvangst(ContractModel):
    """The receipt of a report: ids only (the aanbieder reads no report back; the gemeente
    does). A retry with the same ``Idempotency-Key`` gets this same receipt."""

    rapport_id: str = Field(description="The report at the gemeente's source.")
    opdracht_id: str = Field(description="The opdracht reported on.")
    versie: int = Field(ge=1, description="Version of the report.")
    corrigeert: str | None = Field(
        default=None, description="The report this correction supersedes (kept, not counted)."
    )


def _indiening(resource: str, model: type[ContractModel]) -> Any:
    """The body of a report of ``resource``: the contract's fields minus those the source
    sets. The contract's own validators run on the full report afterwards."""
    return create_model(
        "".join(p.capitalize() for p in resource.split("-")) + "Indiening",
        __base__=ContractModel,
        __doc__=f"A {resource} as the aanbieder submits it (ids and routing are the source's).",
        **{n: (f.annotation, f) for n, f in model.model_fields.items() if n not in _BRONVELDEN},
    )


def _opdracht_rij(opdracht: OpdrachtRij, dossier: DossierRij) -> Rij:
    doelgroep = Doelgroep(dossier.doelgroep) if dossier.doelgroep else None
    return Rij(
        gemeentecode=dossier.gemeentecode,
        doelgroep=doelgroep,
        opdrachtsoort=opdracht.soort,
        aanbieder_oin=opdracht.aanbieder_oin,
    )


def als_opdracht(opdracht: OpdrachtRij, dossier: DossierRij) -> Opdracht:
    """The opdracht as the contract: the person's contact data from the dossier (current),
    the BSN only for the language part of a leerroute (the contract refuses it elsewhere)."""
    bsn = dossier.bsn if bsn_past_bij_taak(opdracht.aanbiedersoort, opdracht.soort) else None
    return Opdracht.model_validate(
        {
            **opdracht.gegevens,
            "opdrachtId": opdracht.opdracht_id,
            "dossierId": opdracht.dossier_id,
            "gemeentecode": dossier.gemeentecode,
            "soort": opdracht.soort,
            "aanbiedersoort": opdracht.aanbiedersoort,
            "aanbiederOin": opdracht.aanbieder_oin,
            "status": opdracht.status,
            "bsn": bsn,
            "doelgroep": dossier.doelgroep,
            "contactgegevens": Contactgegevens(
                voornamen=dossier.voornamen or "",
                geslachtsnaam=dossier.geslachtsnaam or "",
                adres=dossier.adres,
                telefoon=dossier.telefoon,
                email=dossier.email,
            ).model_dump(mode="json", by_alias=True, exclude_none=True),
        }
    )


def _opdracht_lezing(activiteit: str) -> Callable[..., Awaitable[BronLezing]]:
    """A read of an opdracht under the caller's own purpose: an aanbieder for the opdracht's
    execution, DUO for plicht and termijnen, CBS's reader for the SWI, the gemeente for its
    regie."""
    return bron_lezing(
        "opdracht",
        Doel.UITVOERING_INBURGERING,
        activiteit=activiteit,
        per_rol={
            Rol.DUO: Doel.PLICHT_EN_TERMIJNEN,
            Rol.CBS: Doel.STATISTIEK_SWI,
            **dict.fromkeys(AANBIEDER_ROLLEN, Doel.OPDRACHT_UITVOERING),
        },
    )


async def _huidige_pip(uow: UnitOfWork, dossier_id: str) -> list[PipVersieRij]:
    result = await uow.session.execute(
        select(PipVersieRij)
        .where(PipVersieRij.dossier_id == dossier_id)
        .order_by(PipVersieRij.versie)
    )
    return list(result.scalars())


def _ontvangst(rij: AanbiederRapportRij) -> dict[str, Any]:
    return served_json(
        Ontvangst(
            rapport_id=rij.rapport_id,
            opdracht_id=rij.opdracht_id,
            versie=rij.versie,
            corrigeert=rij.corrigeert,
        )
    )


IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=100,
        pattern=r"^[A-Za-z0-9._:\-]+$",
        description="Chosen by the aanbieder per report: a retry with the same key returns "
        "the first answer and stores the report once.",
    ),
]


async def _gecorrigeerd_door(uow: UnitOfWork, rapport_id: str) -> str | None:
    """The correction that supersedes ``rapport_id``, if any."""
    return (
        await uow.session.execute(
            select(AanbiederRapportRij.rapport_id).where(
                AanbiederRapportRij.corrigeert == rapport_id
            )
        )
    ).scalar_one_or_none()


async def _voortgang(uow: UnitOfWork, opdracht_ids: list[str]) -> list[AanbiederRapportRij]:
    """Every voortgang report on these opdrachten, corrected ones included, oldest first."""
    if not opdracht_ids:
        return []
    result = await uow.session.execute(
        select(AanbiederRapportRij)
        .where(
            AanbiederRapportRij.opdracht_id.in_(opdracht_ids),
            AanbiederRapportRij.soort == "voortgang-rapport",
        )
        .order_by(AanbiederRapportRij.ontvangen_op, AanbiederRapportRij.rapport_id)
    )
    return list(result.scalars())


def _urenmelding(
    rij: AanbiederRapportRij, gegevens: dict[str, Any] | None = None
) -> uren.Urenmelding:
    """A stored voortgang report (or the caller's view of it, ``gegevens``) as a melding."""
    g = rij.gegevens if gegevens is None else gegevens
    return uren.Urenmelding(
        rapport_id=rij.rapport_id,
        opdracht_id=rij.opdracht_id,
        periode_van=date.fromisoformat(g["periodeVan"]),
        periode_tot=date.fromisoformat(g["periodeTot"]),
        uren_aanwezig=g.get("urenAanwezig", 0),
        uren_afwezig_geoorloofd=g.get("urenAfwezigGeoorloofd", 0),
        uren_afwezig_ongeoorloofd=g.get("urenAfwezigOngeoorloofd", 0),
        corrigeert=rij.corrigeert,
    )


def _taaldeel(soort: str) -> bool:
    taak = opdrachttaak(soort)
    return taak is not None and taak.taaldeel


async def taaluren(
    uow: UnitOfWork, dossier_id: str, peildatum: date | None = None
) -> uren.Urentelling:
    """The language hours the aanbieders reported on the dossier's language opdrachten (the
    language part of a leerroute, ``Opdrachttaak.taaldeel``), corrections superseding: what
    the afschaling rests on (seed 002 section 4.4: "tenminste 600 uur aan taalles")."""
    opdrachten = (
        await uow.session.execute(select(OpdrachtRij).where(OpdrachtRij.dossier_id == dossier_id))
    ).scalars()
    ids = [o.opdracht_id for o in opdrachten if _taaldeel(o.soort)]
    return uren.tel((_urenmelding(r) for r in await _voortgang(uow, ids)), peildatum)


def _verwerk_op_opdracht(
    keten: ServiceRuntime,
    uow: UnitOfWork,
    bron: Bron,
    opdracht: OpdrachtRij,
    dossier: DossierRij,
    resource: str,
    inhoud: dict[str, Any],
    origineel: AanbiederRapportRij | None,
) -> None:
    """What a start or end report changes on the opdracht. The realised start is an item DUO
    gets for the language part of a leerroute (seed 001, row "Minister van SZW/DUO": "start
    [...] en geplande einddatum" of the course), so a first start on such an opdracht is
    announced as ``leerroute.gestart``, a completion as ``leerroute.afgerond``."""
    gegevens = dict(opdracht.gegevens)
    soort: str | None = None
    if resource == "traject-gestart-rapport":
        gegevens["gerealiseerdeStart"] = inhoud["gerealiseerdeStartdatum"]
        if "beoogdeEinddatum" in inhoud:
            gegevens["beoogdeEinddatum"] = inhoud["beoogdeEinddatum"]
        if opdracht.status == Opdrachtstatus.VERSTREKT.value:
            opdracht.status = Opdrachtstatus.GESTART.value
        soort = "leerroute.gestart" if origineel is None else None
    elif resource == "traject-beeindigd-rapport" and inhoud.get("afgerond"):
        opdracht.status = Opdrachtstatus.AFGEROND.value
        soort = "leerroute.afgerond" if origineel is None else None
    else:
        return
    opdracht.gegevens = gegevens
    if soort is not None and _taaldeel(opdracht.soort):
        bron.emit(
            keten,
            uow,
            soort,
            dossier,
            "opdracht",
            opdracht.opdracht_id,
            {"opdrachtId": opdracht.opdracht_id},
        )


async def _log_vastgelegd(
    lezing: BronLezing, resource: str, resource_id: str, dossier: DossierRij, velden: list[str]
) -> None:
    """A write of the person's data by a chain party, logged like a read (before the commit:
    no unlogged change)."""
    try:
        await lezing.verwerkingslog.schrijf(
            lezing.verwerkingslog.record(
                activiteit=lezing.activiteit,
                resource=resource,
                caller=lezing.caller,
                doel=lezing.doel.value,
                uitkomst="vastgelegd",
                resource_id=resource_id,
                betrokkene=_betrokkene(dossier),
                velden=sorted(velden),
            )
        )
    except VerwerkingslogOnbeschikbaar:
        raise Problem(
            503,
            detail="The processing log cannot be written; nothing is stored.",
            headers={"Retry-After": "5"},
        ) from None


def build_router(gemeenten: Gemeenten) -> APIRouter:
    """Opdrachten (give, read) and the aanbieder reports (submit, and the gemeente's reads)."""
    router = APIRouter(prefix=API_PREFIX, tags=["bron"])
    bron = Bron(gemeenten)

    @router.post(
        "/dossiers/{dossierId}/opdrachten",
        operation_id="opdracht-verstrekken",
        summary="Give an opdracht to one aanbieder (its kind must carry out the soort)",
        status_code=201,
        responses={201: {"model": OpdrachtView}, 409: PROBLEM_RESPONSES[409], **_ERRORS},
    )
    async def opdracht_verstrekken(
        dossier_id: Annotated[str, Path(alias="dossierId", pattern=OPAQUE_ID_PATTERN)],
        body: OpdrachtVerstrekking,
        keten: Runtime,
        lezing: Annotated[
            BronLezing,
            Depends(
                bron_lezing(
                    "opdracht", Doel.UITVOERING_INBURGERING, activiteit="opdracht verstrekken"
                )
            ),
        ],
    ) -> Response:
        taak = opdrachttaak(body.soort)
        if taak is None or body.aanbiedersoort not in taak.uitvoerders:
            # Seed 001: each task has its kind of aanbieder (a MAP is no taalaanbieder's).
            raise weigering(
                "aanbieder-past-niet-bij-opdracht",
                f"An opdracht of soort {body.soort.value} is not for a "
                f"{body.aanbiedersoort.value}.",
            )
        async with keten.unit_of_work() as uow:
            dossier = await eigen_dossier(uow, lezing, dossier_id, wijzigen=True)
            versies = await _huidige_pip(uow, dossier_id)
            if not versies:
                # The opdracht carries out the PIP (seed 001 taak 8 follows taak 7).
                raise Problem(409, detail="This dossier has no PIP yet.")
            gegevens = body.model_dump(
                mode="json", by_alias=True, exclude_none=True, include=set(_OPDRACHT_INHOUD)
            )
            eerste = versies[0].als_contract()
            gegevens["pipVersie"] = versies[-1].versie
            if eerste.taalniveau_eerste_pip is not None:
                gegevens["taalniveauEerstePip"] = eerste.taalniveau_eerste_pip.value
            opdracht = OpdrachtRij(
                opdracht_id=domain.nieuw_id("opd"),
                dossier_id=dossier_id,
                soort=body.soort.value,
                aanbiedersoort=body.aanbiedersoort.value,
                aanbieder_oin=body.aanbieder_oin,
                status=Opdrachtstatus.VERSTREKT.value,
                gegevens=gegevens,
                vastgelegd_op=clock.now(),
                vastgelegd_door=lezing.caller.client_id,
            )
            rij = _opdracht_rij(opdracht, dossier)
            velden = ["soort", "aanbiedersoort", "aanbieder_oin", *body.model_fields_set]
            if not all(mag_wijzigen(lezing.toegang, "opdracht", v, rij) for v in velden):
                raise Problem(403, detail="This client may not give this opdracht.")
            try:
                contract = als_opdracht(opdracht, dossier)
            except ValidationError as exc:
                plekken = sorted({".".join(map(str, e["loc"])) or "opdracht" for e in exc.errors()})
                raise Problem(
                    422, detail=f"The opdracht breaks its contract at: {', '.join(plekken)}."
                ) from None
            uow.session.add(opdracht)
            bron.emit(
                keten,
                uow,
                "opdracht.verstrekt",
                dossier,
                "opdracht",
                opdracht.opdracht_id,
                {"opdrachtId": opdracht.opdracht_id},
                # Routed to that one aanbieder (catalogue: aanbiedersoort, aanbiederoin).
                aanbiedersoort=Rol(opdracht.aanbiedersoort),
                aanbiederoin=opdracht.aanbieder_oin,
            )
            await uow.session.flush()
            view = await lezing.lever(contract, rij=rij, betrokkene=_betrokkene(dossier))
        return JSONResponse(served_json(view), status_code=201)

    @router.get(
        "/opdrachten/{opdrachtId}",
        operation_id="opdracht-lezen",
        summary="One opdracht (the caller's view: an aanbieder only its own, its kind's fields)",
        responses={200: {"model": OpdrachtViews}, **_ERRORS},
    )
    async def opdracht_lezen(
        opdracht_id: Annotated[str, Path(alias="opdrachtId", pattern=OPAQUE_ID_PATTERN)],
        keten: Runtime,
        lezing: Annotated[BronLezing, Depends(_opdracht_lezing("opdracht lezen"))],
    ) -> Response:
        opdracht, dossier = await met_dossier(keten, lezing, OpdrachtRij, opdracht_id)
        # The read kit decides: another aanbieder's opdracht answers 404, like an unknown id.
        view = await lezing.lever(
            als_opdracht(opdracht, dossier),
            rij=_opdracht_rij(opdracht, dossier),
            betrokkene=_betrokkene(dossier),
        )
        return JSONResponse(served_json(view))

    gemeente_opdracht_lezing = bron_lezing(
        "opdracht", Doel.UITVOERING_INBURGERING, activiteit="opdracht wijzigen"
    )

    async def _gemeente_opdracht(
        uow: UnitOfWork, lezing: BronLezing, opdracht_id: str
    ) -> tuple[OpdrachtRij, DossierRij]:
        """The opdracht, locked, of the caller's gemeente (another gemeente's: 404, logged)."""
        opdracht = await uow.session.get(OpdrachtRij, opdracht_id, with_for_update=True)
        dossier = (
            None if opdracht is None else await uow.session.get(DossierRij, opdracht.dossier_id)
        )
        if (
            opdracht is None
            or dossier is None
            or dossier.gemeentecode != lezing.caller.gemeentecode
        ):
            await lezing.niet_gevonden(opdracht_id)
        return opdracht, dossier

    def _routing(opdracht: OpdrachtRij) -> dict[str, Any]:
        # Routed to that one aanbieder (catalogue: aanbiedersoort, aanbiederoin).
        return {
            "aanbiedersoort": Rol(opdracht.aanbiedersoort),
            "aanbiederoin": opdracht.aanbieder_oin,
        }

    @router.post(
        "/opdrachten/{opdrachtId}/wijzigingen",
        operation_id="opdracht-wijzigen",
        summary="Change what the gemeente stated in an opdracht (the gemeente; not once ended)",
        responses={200: {"model": OpdrachtView}, 409: PROBLEM_RESPONSES[409], **_ERRORS},
    )
    async def opdracht_wijzigen(
        opdracht_id: Annotated[str, Path(alias="opdrachtId", pattern=OPAQUE_ID_PATTERN)],
        body: OpdrachtWijziging,
        keten: Runtime,
        lezing: Annotated[BronLezing, Depends(gemeente_opdracht_lezing)],
    ) -> Response:
        gezet = sorted(body.model_fields_set)
        if not gezet:
            raise weigering("geen-wijziging", "The change names no field of the opdracht.")
        async with keten.unit_of_work() as uow:
            opdracht, dossier = await _gemeente_opdracht(uow, lezing, opdracht_id)
            rij = _opdracht_rij(opdracht, dossier)
            if not all(mag_wijzigen(lezing.toegang, "opdracht", v, rij) for v in gezet):
                raise Problem(403, detail="This client may not change this opdracht.")
            if opdracht.status in _GESLOTEN:
                raise Problem(
                    409,
                    detail="This opdracht has ended; it is not changed any more.",
                    reden=f"opdracht-{opdracht.status}",
                )
            gegevens = dict(opdracht.gegevens)
            for k, v in body.model_dump(mode="json", by_alias=True, include=set(gezet)).items():
                if v is None:
                    gegevens.pop(k, None)
                else:
                    gegevens[k] = v
            # Opdracht.pip_versie: "PIP version the opdracht follows; raised on PIP changes".
            versies = await _huidige_pip(uow, opdracht.dossier_id)
            gegevens["pipVersie"] = versies[-1].versie
            opdracht.gegevens = gegevens
            try:
                contract = als_opdracht(opdracht, dossier)
            except ValidationError as exc:
                plekken = sorted({".".join(map(str, e["loc"])) or "opdracht" for e in exc.errors()})
                raise Problem(
                    422, detail=f"The opdracht breaks its contract at: {', '.join(plekken)}."
                ) from None
            bron.emit(
                keten,
                uow,
                "opdracht.gewijzigd",
                dossier,
                "opdracht",
                opdracht.opdracht_id,
                {"opdrachtId": opdracht.opdracht_id},
                **_routing(opdracht),
            )
            await uow.session.flush()
            view = await lezing.lever(contract, rij=rij, betrokkene=_betrokkene(dossier))
        return JSONResponse(served_json(view))

    @router.post(
        "/opdrachten/{opdrachtId}/beeindiging",
        operation_id="opdracht-beeindigen",
        summary="End an opdracht with a reason code (the gemeente): it takes no more reports",
        responses={200: {"model": OpdrachtView}, 409: PROBLEM_RESPONSES[409], **_ERRORS},
    )
    async def opdracht_beeindigen(
        opdracht_id: Annotated[str, Path(alias="opdrachtId", pattern=OPAQUE_ID_PATTERN)],
        body: OpdrachtBeeindiging,
        keten: Runtime,
        lezing: Annotated[
            BronLezing,
            Depends(
                bron_lezing(
                    "opdracht", Doel.UITVOERING_INBURGERING, activiteit="opdracht beeindigen"
                )
            ),
        ],
    ) -> Response:
        async with keten.unit_of_work() as uow:
            opdracht, dossier = await _gemeente_opdracht(uow, lezing, opdracht_id)
            rij = _opdracht_rij(opdracht, dossier)
            if not mag_wijzigen(lezing.toegang, "opdracht", "status", rij):
                raise Problem(403, detail="This client may not end this opdracht.")
            if opdracht.status in _GESLOTEN:
                raise Problem(
                    409,
                    detail="This opdracht has ended already.",
                    reden=f"opdracht-{opdracht.status}",
                )
            opdracht.status = Opdrachtstatus.BEEINDIGD.value
            opdracht.einde_reden = body.reden.value
            opdracht.beeindigd_op = body.datum
            bron.emit(
                keten,
                uow,
                "opdracht.beeindigd",
                dossier,
                "opdracht",
                opdracht.opdracht_id,
                {"opdrachtId": opdracht.opdracht_id},
                **_routing(opdracht),
            )
            await uow.session.flush()
            view = await lezing.lever(
                als_opdracht(opdracht, dossier), rij=rij, betrokkene=_betrokkene(dossier)
            )
        return JSONResponse(served_json(view))

    async def _terugmelding(
        keten: ServiceRuntime,
        lezing: BronLezing,
        opdracht_id: str,
        rol: Rol,
        soort: Opdrachtsoort,
        velden: dict[str, Any],
        gebeurtenis: str,
    ) -> Response:
        """An MB or LBT aanbieder's return flow, registered on the opdracht it holds (those
        kinds have no report resource: the catalogue's ``mb-rapportage.ontvangen`` and
        ``lbt-resultaat.ontvangen`` point at the opdracht). ``access.mag_wijzigen`` lets no
        aanbieder write an opdracht, so the rule is here: only the holder, of that kind, on an
        opdracht of that soort. The same content again changes and announces nothing."""
        caller = lezing.caller
        async with keten.unit_of_work() as uow:
            opdracht = await uow.session.get(OpdrachtRij, opdracht_id, with_for_update=True)
            dossier = (
                None if opdracht is None else await uow.session.get(DossierRij, opdracht.dossier_id)
            )
            if opdracht is None or dossier is None or opdracht.aanbieder_oin != caller.party.oin:
                await lezing.niet_gevonden(opdracht_id)
            if caller.rol is not rol or opdracht.soort != soort.value:
                raise weigering(
                    "rapportsoort-niet-voor-aanbieder",
                    f"This is reported by a {rol.value} on a {soort.value} opdracht.",
                )
            if opdracht.status == Opdrachtstatus.BEEINDIGD.value:
                raise Problem(
                    409,
                    detail="The gemeente ended this opdracht; it takes no more reports.",
                    reden="opdracht-beeindigd",
                )
            if any(opdracht.gegevens.get(k) != v for k, v in velden.items()):
                opdracht.gegevens = {**opdracht.gegevens, **velden}
                als_opdracht(opdracht, dossier)  # the contract's own rules hold
                bron.emit(
                    keten,
                    uow,
                    gebeurtenis,
                    dossier,
                    "opdracht",
                    opdracht.opdracht_id,
                    {"opdrachtId": opdracht.opdracht_id},
                )
                await uow.session.flush()
                await _log_vastgelegd(lezing, "opdracht", opdracht_id, dossier, list(velden))
            view = await lezing.lever(
                als_opdracht(opdracht, dossier),
                rij=_opdracht_rij(opdracht, dossier),
                betrokkene=_betrokkene(dossier),
            )
        return JSONResponse(served_json(view))

    @router.put(
        "/opdrachten/{opdrachtId}/mb-rapportage",
        operation_id="mb-rapportage-vastleggen",
        summary="The MB provider reports the parts of maatschappelijke begeleiding given",
        responses={200: {"model": OpdrachtViews}, 409: PROBLEM_RESPONSES[409], **_ERRORS},
    )
    async def mb_rapportage(
        opdracht_id: Annotated[str, Path(alias="opdrachtId", pattern=OPAQUE_ID_PATTERN)],
        body: MbRapportage,
        keten: Runtime,
        lezing: Annotated[BronLezing, Depends(_opdracht_lezing("mb-rapportage vastleggen"))],
    ) -> Response:
        onderdelen = [
            o.model_dump(mode="json", by_alias=True, exclude_none=True) for o in body.onderdelen
        ]
        return await _terugmelding(
            keten,
            lezing,
            opdracht_id,
            Rol.MB_AANBIEDER,
            Opdrachtsoort.MAATSCHAPPELIJKE_BEGELEIDING,
            {"mbOnderdelen": onderdelen},
            "mb-rapportage.ontvangen",
        )

    @router.put(
        "/opdrachten/{opdrachtId}/lbt-resultaat",
        operation_id="lbt-resultaat-vastleggen",
        summary="The LBT taker reports the date and result of the leerbaarheidstoets",
        responses={200: {"model": OpdrachtViews}, 409: PROBLEM_RESPONSES[409], **_ERRORS},
    )
    async def lbt_resultaat(
        opdracht_id: Annotated[str, Path(alias="opdrachtId", pattern=OPAQUE_ID_PATTERN)],
        body: LbtResultaat,
        keten: Runtime,
        lezing: Annotated[BronLezing, Depends(_opdracht_lezing("lbt-resultaat vastleggen"))],
    ) -> Response:
        return await _terugmelding(
            keten,
            lezing,
            opdracht_id,
            Rol.LBT_AFNEMER,
            Opdrachtsoort.LEERBAARHEIDSTOETS,
            {"lbtToetsdatum": body.toetsdatum.isoformat(), "lbtUitslag": body.uitslag.value},
            "lbt-resultaat.ontvangen",
        )

    @router.get(
        "/dossiers/{dossierId}/uren",
        operation_id="dossier-uren",
        summary="The hours the aanbieders reported, per opdracht and for the language part "
        "(corrections superseding; the gemeente)",
        responses={200: {"model": UrenOverzicht}, **_ERRORS},
    )
    async def dossier_uren(
        dossier_id: Annotated[str, Path(alias="dossierId", pattern=OPAQUE_ID_PATTERN)],
        keten: Runtime,
        lezing: Annotated[
            BronLezing,
            Depends(
                bron_lezing(
                    "voortgang-rapport",
                    Doel.UITVOERING_INBURGERING,
                    activiteit="gerapporteerde uren tellen",
                )
            ),
        ],
    ) -> Response:
        async with keten.unit_of_work() as uow:
            dossier = await uow.session.get(DossierRij, dossier_id)
            if (
                dossier is None
                or not dossier.volledig
                or dossier.gemeentecode != lezing.caller.gemeentecode
            ):
                await lezing.niet_gevonden(dossier_id)
            opdrachten = {
                o.opdracht_id: o
                for o in (
                    await uow.session.execute(
                        select(OpdrachtRij)
                        .where(OpdrachtRij.dossier_id == dossier_id)
                        .order_by(OpdrachtRij.vastgelegd_op, OpdrachtRij.opdracht_id)
                    )
                ).scalars()
            }
            rijen = await _voortgang(uow, list(opdrachten))
        # Summed from the reports as the read kit serves them to the caller (projected and
        # logged per report), never from rows it did not deliver.
        doelgroep = Doelgroep(dossier.doelgroep) if dossier.doelgroep else None
        views = await lezing.lever_alle(
            (
                VoortgangRapport.model_validate(r.gegevens),
                Rij(gemeentecode=dossier.gemeentecode, doelgroep=doelgroep),
                _betrokkene(dossier),
            )
            for r in rijen
        )
        geleverd = {v["rapportId"]: v for v in served_json(views)}
        totalen = uren.per_opdracht(
            _urenmelding(r, geleverd[r.rapport_id]) for r in rijen if r.rapport_id in geleverd
        )
        per_opdracht = [
            OpdrachtUren(
                opdracht_id=oid,
                soort=Opdrachtsoort(opdrachten[oid].soort),
                taaldeel=_taaldeel(opdrachten[oid].soort),
                uren_aanwezig=t.aanwezig,
                uren_afwezig_geoorloofd=t.afwezig_geoorloofd,
                uren_afwezig_ongeoorloofd=t.afwezig_ongeoorloofd,
                rapporten=list(t.rapporten),
            )
            for oid in opdrachten
            if (t := totalen.get(oid)) is not None
        ]
        overzicht = UrenOverzicht(
            dossier_id=dossier_id,
            taaluren_aanwezig=sum(o.uren_aanwezig for o in per_opdracht if o.taaldeel),
            opdrachten=per_opdracht,
        )
        return JSONResponse(served_json(overzicht))

    @router.post(
        "/dossiers/{dossierId}/urenverantwoordingen",
        operation_id="urenverantwoording-aanleveren",
        summary="Deliver the language hours the aanbieders reported, on DUO's request (the "
        "gemeente; asielstatushouders only)",
        status_code=201,
        responses={201: {"model": UrenverantwoordingView}, 409: PROBLEM_RESPONSES[409], **_ERRORS},
    )
    async def urenverantwoording_aanleveren(
        dossier_id: Annotated[str, Path(alias="dossierId", pattern=OPAQUE_ID_PATTERN)],
        body: UrenverantwoordingVraag,
        keten: Runtime,
        lezing: Annotated[
            BronLezing,
            Depends(
                bron_lezing(
                    "urenverantwoording",
                    Doel.UITVOERING_INBURGERING,
                    activiteit="urenverantwoording aanleveren",
                )
            ),
        ],
    ) -> Response:
        async with keten.unit_of_work() as uow:
            dossier = await eigen_dossier(uow, lezing, dossier_id, wijzigen=True)
            if dossier.doelgroep != Doelgroep.ASIELSTATUSHOUDER.value:
                # Seed 002 section 3.4.4: "Bij gezinsmigranten geven de instellingen de uren
                # taal door aan DUO. Gemeenten zijn bij asielmigranten verantwoordelijk voor
                # het doorgeven van taaluren aan DUO."
                raise weigering(
                    "geen-taaluren-voor-doelgroep",
                    "The gemeente delivers language hours for asielstatushouders only.",
                )
            rij = Rij(gemeentecode=dossier.gemeentecode, doelgroep=Doelgroep(dossier.doelgroep))
            velden = ("uren_taal", "uren_aanwezig", "peildatum", "reden")
            if not all(mag_wijzigen(lezing.toegang, "urenverantwoording", v, rij) for v in velden):
                raise Problem(403, detail="This client may not deliver hours.")
            telling = await taaluren(uow, dossier_id, body.peildatum)
            uv = UrenverantwoordingRij(
                urenverantwoording_id=domain.nieuw_id("uv"),
                dossier_id=dossier_id,
                gegevens={},
                gebaseerd_op={"rapporten": list(telling.rapporten)},
                vastgelegd_op=clock.now(),
                vastgelegd_door=lezing.caller.client_id,
            )
            if (
                max(
                    telling.aanwezig,
                    telling.aanwezig + telling.afwezig_geoorloofd + telling.afwezig_ongeoorloofd,
                )
                > MAX_UREN
            ):
                # Each report fits its period (uren.past_in_periode), yet the sum of years of
                # them could pass what the contract can carry: said, not a 500.
                raise weigering(
                    "uren-boven-maximum",
                    f"The reported hours add up to more than {MAX_UREN}; correct the reports.",
                )
            contract = Urenverantwoording(
                urenverantwoording_id=uv.urenverantwoording_id,
                dossier_id=dossier_id,
                peildatum=body.peildatum,
                # Seed 002 section 3.4.7 (Z-route): "Aantal uren taalonderwijs [...] inclusief
                # geoorloofd en ongeoorloofd verzuim en aanwezige uren"; the parts beside it
                # (B1-route: "verzuim naast aanwezige uren"), so DUO can weigh attendance.
                uren_taal=telling.aanwezig
                + telling.afwezig_geoorloofd
                + telling.afwezig_ongeoorloofd,
                uren_aanwezig=telling.aanwezig,
                uren_verzuim_geoorloofd=telling.afwezig_geoorloofd,
                uren_verzuim_ongeoorloofd=telling.afwezig_ongeoorloofd,
                reden=body.reden,
                doelgroep=Doelgroep(dossier.doelgroep),
            )
            uv.gegevens = contract.model_dump(mode="json", by_alias=True, exclude_none=True)
            uow.session.add(uv)
            bron.emit(
                keten,
                uow,
                "urenverantwoording.aangeleverd",
                dossier,
                "urenverantwoording",
                uv.urenverantwoording_id,
                {"urenverantwoordingId": uv.urenverantwoording_id, "dossierId": dossier_id},
            )
            await uow.session.flush()
            view = await lezing.lever(contract, rij=rij, betrokkene=_betrokkene(dossier))
        return JSONResponse(served_json(view), status_code=201)

    @router.get(
        "/urenverantwoordingen/{urenverantwoordingId}",
        operation_id="urenverantwoording-lezen",
        summary="Hours delivered (the gemeente, or DUO under its own purpose)",
        responses={200: {"model": UrenverantwoordingView}, **_ERRORS},
    )
    async def urenverantwoording_lezen(
        uv_id: Annotated[str, Path(alias="urenverantwoordingId", pattern=OPAQUE_ID_PATTERN)],
        keten: Runtime,
        lezing: Annotated[BronLezing, Depends(lezing_per_rol("urenverantwoording"))],
    ) -> Response:
        uv, dossier = await met_dossier(keten, lezing, UrenverantwoordingRij, uv_id)
        doelgroep = Doelgroep(dossier.doelgroep) if dossier.doelgroep else None
        view = await lezing.lever(
            Urenverantwoording.model_validate(uv.gegevens),
            rij=Rij(gemeentecode=dossier.gemeentecode, doelgroep=doelgroep),
            betrokkene=_betrokkene(dossier),
        )
        return JSONResponse(served_json(view))

    for resource, model in RAPPORTSOORTEN.items():
        _rapport_routes(router, bron, resource, model)
    return router


def _rapport_routes(
    router: APIRouter, bron: Bron, resource: str, model: type[ContractModel]
) -> None:
    """``POST /opdrachten/{id}/<collection>`` (the aanbieder submits), ``POST
    /<collection>/{id}/correcties`` (it corrects its own report), ``GET`` of the list and ``GET
    /<collection>/{id}`` (the gemeente reads)."""
    collection = get_resource(resource).collection
    Indiening: Any = _indiening(resource, model)
    RapportView: Any = view_model(resource, Rol.GEMEENTE, same_gemeente=True)
    rapporteurs: frozenset[Rol] = getattr(model, "RAPPORTEURS", frozenset())
    indienen_lezing = bron_lezing(
        resource, Doel.OPDRACHT_UITVOERING, activiteit=f"{resource} indienen"
    )
    corrigeren_lezing = bron_lezing(
        resource, Doel.OPDRACHT_UITVOERING, activiteit=f"{resource} corrigeren"
    )
    gemeente_lezing = bron_lezing(resource, Doel.UITVOERING_INBURGERING)

    async def ontvang(
        keten: ServiceRuntime,
        lezing: BronLezing,
        opdracht_id: str | None,
        body: Any,
        idempotency_key: str,
        origineel_id: str | None = None,
    ) -> Response:
        """Store one report (``origineel_id``: the correction of that report) or, for a retry
        with the same key and body, answer the first receipt."""
        caller = lezing.caller
        async with keten.unit_of_work() as uow:
            origineel: AanbiederRapportRij | None = None
            if origineel_id is not None:
                origineel = await uow.session.get(AanbiederRapportRij, origineel_id)
                if (
                    origineel is None
                    or origineel.soort != resource
                    or origineel.aanbieder_oin != caller.party.oin
                ):
                    # Only the aanbieder that submitted it corrects a report; another one's
                    # report answers as an unknown one (logged).
                    await lezing.niet_gevonden(origineel_id)
                opdracht_id = origineel.opdracht_id
            assert opdracht_id is not None
            # Locked: a retry racing the first POST waits and then finds its report.
            opdracht = await uow.session.get(OpdrachtRij, opdracht_id, with_for_update=True)
            dossier = (
                None if opdracht is None else await uow.session.get(DossierRij, opdracht.dossier_id)
            )
            if opdracht is None or dossier is None or opdracht.aanbieder_oin != caller.party.oin:
                # Another aanbieder's opdracht: the answer of an unknown one (logged).
                await lezing.niet_gevonden(opdracht_id)
            if caller.rol not in rapporteurs:
                raise weigering(
                    "rapportsoort-niet-voor-aanbieder",
                    f"A {resource} is not submitted by a {caller.rol.value}.",
                )
            rij = _opdracht_rij(opdracht, dossier)
            gezet = sorted(body.model_fields_set)
            if "bsn" in gezet:
                # Seed 001, row "Aanbieder MAP": "Uitwisseling/gebruik van het BSN is niet in
                # een wettelijke bepaling geregeld en daardoor verboden." Refused before
                # anything is stored, and the answer does not repeat it.
                if not mag_wijzigen(lezing.toegang, resource, "bsn", rij):
                    raise weigering(
                        "bsn-niet-toegestaan",
                        "This opdracht's task allows no BSN; nothing of the report is stored.",
                    )
                if body.bsn != dossier.bsn:
                    raise weigering(
                        "bsn-past-niet-bij-opdracht",
                        "The BSN is not the opdracht's person; nothing is stored.",
                    )
            if not all(mag_wijzigen(lezing.toegang, resource, v, rij) for v in gezet):
                raise Problem(403, detail=f"This client may not submit a {resource} here.")
            inhoud = body.model_dump(mode="json", by_alias=True, exclude_none=True)
            rapport_id = domain.nieuw_id("rap")
            # _Rapport.versie: "a correction raises it".
            versie = 1 if origineel is None else origineel.versie + 1
            bronvelden = {
                "rapportId": rapport_id,
                "versie": versie,
                "opdrachtId": opdracht.opdracht_id,
                "dossierId": opdracht.dossier_id,
                "gemeentecode": dossier.gemeentecode,
                "opdrachtsoort": opdracht.soort,
                "aanbiedersoort": caller.rol.value,
            }
            try:
                model.model_validate({**inhoud, **bronvelden})
            except ValidationError as exc:
                # Names the fields, never their values (the body may hold personal data).
                plekken = sorted({".".join(map(str, e["loc"])) or resource for e in exc.errors()})
                raise weigering(
                    "rapport-ongeldig",
                    f"The {resource} breaks its contract at: {', '.join(plekken)}.",
                ) from None
            eerder = (
                await uow.session.execute(
                    select(AanbiederRapportRij).where(
                        AanbiederRapportRij.aanbieder_oin == caller.party.oin,
                        AanbiederRapportRij.idempotentiesleutel == idempotency_key,
                    )
                )
            ).scalar_one_or_none()
            if eerder is not None:
                zelfde = (
                    eerder.soort == resource
                    and eerder.opdracht_id == opdracht.opdracht_id
                    and eerder.corrigeert == origineel_id
                    and {k: v for k, v in eerder.gegevens.items() if k not in _BRON_ALIASSEN}
                    == inhoud
                )
                if not zelfde:
                    raise Problem(
                        409,
                        detail="This Idempotency-Key was used for another report.",
                        reden="idempotency-key-hergebruikt",
                    )
                # The retry: the first answer, nothing stored or counted again.
                return JSONResponse(_ontvangst(eerder), status_code=201)
            if opdracht.status == Opdrachtstatus.BEEINDIGD.value:
                # The gemeente ended the opdracht (switch, move, plicht ended): the aanbieder
                # no longer carries it out, so nothing more is reported or corrected on it.
                raise Problem(
                    409,
                    detail="The gemeente ended this opdracht; it takes no more reports.",
                    reden="opdracht-beeindigd",
                )
            if origineel is not None and await _gecorrigeerd_door(uow, origineel.rapport_id):
                raise Problem(
                    409,
                    detail="This report was corrected already; correct the latest correction.",
                    reden="rapport-al-gecorrigeerd",
                )
            if resource == "voortgang-rapport":
                van = date.fromisoformat(inhoud["periodeVan"])
                tot = date.fromisoformat(inhoud["periodeTot"])
                if not uren.past_in_periode(
                    van,
                    tot,
                    inhoud["urenGepland"],
                    inhoud["urenAanwezig"]
                    + inhoud["urenAfwezigGeoorloofd"]
                    + inhoud["urenAfwezigOngeoorloofd"],
                ):
                    raise weigering(
                        "uren-passen-niet-in-periode",
                        "The hours reported exceed the hours in the period.",
                    )
                # The same hours reported twice would count twice (uren.overlappende).
                meldingen = [_urenmelding(r) for r in await _voortgang(uow, [opdracht_id])]
                if uren.overlappende(van, tot, meldingen, behalve=origineel_id):
                    raise Problem(
                        409,
                        detail="This period was reported already; correct that report instead.",
                        reden="periode-al-gerapporteerd",
                    )
            rapport = AanbiederRapportRij(
                rapport_id=rapport_id,
                soort=resource,
                opdracht_id=opdracht.opdracht_id,
                versie=versie,
                aanbieder_oin=caller.party.oin,
                idempotentiesleutel=idempotency_key,
                gegevens={**inhoud, **bronvelden},
                ontvangen_op=clock.now(),
                corrigeert=origineel_id,
            )
            uow.session.add(rapport)
            bron.emit(
                keten,
                uow,
                f"{resource}.ontvangen",
                dossier,
                resource,
                rapport_id,
                {
                    "rapportId": rapport_id,
                    "opdrachtId": opdracht.opdracht_id,
                    "dossierId": opdracht.dossier_id,
                    "versie": versie,
                },
            )
            _verwerk_op_opdracht(keten, uow, bron, opdracht, dossier, resource, inhoud, origineel)
            await uow.session.flush()
            # The aanbieder changed the person's data: logged like a read (velden written);
            # if the log fails, the report is not stored either (rolled back).
            await _log_vastgelegd(lezing, resource, rapport_id, dossier, list(inhoud))
            antwoord = _ontvangst(rapport)
        return JSONResponse(antwoord, status_code=201)

    async def indienen(
        opdracht_id: Annotated[str, Path(alias="opdrachtId", pattern=OPAQUE_ID_PATTERN)],
        body: Indiening,  # type: ignore[valid-type]
        idempotency_key: IdempotencyKey,
        keten: Runtime,
        lezing: Annotated[BronLezing, Depends(indienen_lezing)],
    ) -> Response:
        return await ontvang(keten, lezing, opdracht_id, body, idempotency_key)

    router.add_api_route(
        f"/opdrachten/{{opdrachtId}}/{collection}",
        indienen,
        methods=["POST"],
        operation_id=f"{resource}-indienen",
        summary=f"Submit a {resource} on the opdracht the aanbieder holds (Idempotency-Key)",
        status_code=201,
        responses={201: {"model": Ontvangst}, 409: PROBLEM_RESPONSES[409], **_ERRORS},
    )

    async def corrigeren(
        rapport_id: Annotated[str, Path(alias="rapportId", pattern=OPAQUE_ID_PATTERN)],
        body: Indiening,  # type: ignore[valid-type]
        idempotency_key: IdempotencyKey,
        keten: Runtime,
        lezing: Annotated[BronLezing, Depends(corrigeren_lezing)],
    ) -> Response:
        return await ontvang(keten, lezing, None, body, idempotency_key, rapport_id)

    router.add_api_route(
        f"/{collection}/{{rapportId}}/correcties",
        corrigeren,
        methods=["POST"],
        operation_id=f"{resource}-corrigeren",
        summary=f"Correct a {resource} the aanbieder submitted: a new version that supersedes "
        "it (the original is kept)",
        status_code=201,
        responses={201: {"model": Ontvangst}, 409: PROBLEM_RESPONSES[409], **_ERRORS},
    )

    async def _lever(
        lezing: BronLezing, rijen: list[AanbiederRapportRij], dossier: DossierRij | None
    ) -> list[Any]:
        if dossier is None:
            return []
        doelgroep = Doelgroep(dossier.doelgroep) if dossier.doelgroep else None
        views = await lezing.lever_alle(
            (
                model.model_validate(r.gegevens),
                Rij(gemeentecode=dossier.gemeentecode, doelgroep=doelgroep),
                _betrokkene(dossier),
            )
            for r in rijen
        )
        return list(served_json(views))

    async def lijst(
        opdracht_id: Annotated[str, Path(alias="opdrachtId", pattern=OPAQUE_ID_PATTERN)],
        keten: Runtime,
        lezing: Annotated[BronLezing, Depends(gemeente_lezing)],
    ) -> Response:
        async with keten.unit_of_work() as uow:
            opdracht = await uow.session.get(OpdrachtRij, opdracht_id)
            dossier = (
                None if opdracht is None else await uow.session.get(DossierRij, opdracht.dossier_id)
            )
            if dossier is None or dossier.gemeentecode != lezing.caller.gemeentecode:
                await lezing.niet_gevonden(opdracht_id)
            rijen = list(
                (
                    await uow.session.execute(
                        select(AanbiederRapportRij)
                        .where(
                            AanbiederRapportRij.opdracht_id == opdracht_id,
                            AanbiederRapportRij.soort == resource,
                        )
                        .order_by(AanbiederRapportRij.ontvangen_op)
                    )
                ).scalars()
            )
        return JSONResponse(await _lever(lezing, rijen, dossier))

    router.add_api_route(
        f"/opdrachten/{{opdrachtId}}/{collection}",
        lijst,
        methods=["GET"],
        operation_id=f"{resource}-lijst",
        summary=f"The {collection} on one opdracht (the ordering gemeente)",
        responses={200: {"model": list[RapportView]}, **_ERRORS},
    )

    async def lezen(
        rapport_id: Annotated[str, Path(alias="rapportId", pattern=OPAQUE_ID_PATTERN)],
        keten: Runtime,
        lezing: Annotated[BronLezing, Depends(gemeente_lezing)],
    ) -> Response:
        async with keten.unit_of_work() as uow:
            rapport = await uow.session.get(AanbiederRapportRij, rapport_id)
            if rapport is not None and rapport.soort != resource:
                rapport = None
            opdracht = (
                None if rapport is None else await uow.session.get(OpdrachtRij, rapport.opdracht_id)
            )
            dossier = (
                None if opdracht is None else await uow.session.get(DossierRij, opdracht.dossier_id)
            )
        if rapport is None or dossier is None:
            await lezing.niet_gevonden(rapport_id)
        doelgroep = Doelgroep(dossier.doelgroep) if dossier.doelgroep else None
        view = await lezing.lever(
            model.model_validate(rapport.gegevens),
            rij=Rij(gemeentecode=dossier.gemeentecode, doelgroep=doelgroep),
            betrokkene=_betrokkene(dossier),
        )
        return JSONResponse(served_json(view))

    router.add_api_route(
        f"/{collection}/{{rapportId}}",
        lezen,
        methods=["GET"],
        operation_id=f"{resource}-lezen",
        summary=f"One {resource} (the ordering gemeente)",
        responses={200: {"model": RapportView}, **_ERRORS},
    )
