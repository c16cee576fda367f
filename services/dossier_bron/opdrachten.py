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
"""

# No ``from __future__ import annotations``: the report routes are built in a loop and their
# body models are closure variables, which FastAPI can only see as evaluated annotations.

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Header, Path
from fastapi.responses import JSONResponse, Response
from pydantic import Field, ValidationError, create_model
from sqlalchemy import select

from keten_contracts.access import Rij, mag_wijzigen
from keten_contracts.clients import Doel
from keten_contracts.common import OPAQUE_ID_PATTERN, ContractModel, Doelgroep, Opdrachtsoort
from keten_contracts.parties import AANBIEDER_ROLLEN, Rol, bsn_past_bij_taak, opdrachttaak
from keten_contracts.policy import view_model
from keten_contracts.resources import get_resource
from keten_contracts.resources.gemeente import (
    AdviesRapport,
    Contactgegevens,
    Opdracht,
    Opdrachtstatus,
    ResultaatRapport,
    TrajectBeeindigdRapport,
    TrajectGestartRapport,
    VoortgangRapport,
    ZRouteResultaatRapport,
)
from keten_core import clock
from keten_core.problems import Problem
from keten_core.service import ServiceRuntime, runtime
from keten_core.source_read import (
    BronLezing,
    bron_lezing,
    served_json,
)
from keten_core.uow import UnitOfWork
from keten_core.verwerkingslog import VerwerkingslogOnbeschikbaar

from . import domain
from .api import API_PREFIX, PROBLEM_RESPONSES, Bron, _betrokkene, weigering
from .domain import Gemeenten
from .models import AanbiederRapportRij, DossierRij, OpdrachtRij, PipVersieRij

__all__ = ["RAPPORTSOORTEN", "Ontvangst", "OpdrachtVerstrekking", "als_opdracht", "build_router"]


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


class Ontvangst(ContractModel):
    """The receipt of a report: ids only (the aanbieder reads no report back; the gemeente
    does). A retry with the same ``Idempotency-Key`` gets this same receipt."""

    rapport_id: str = Field(description="The report at the gemeente's source.")
    opdracht_id: str = Field(description="The opdracht reported on.")
    versie: int = Field(ge=1, description="Version of the report.")


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
    execution, DUO for plicht and termijnen, the gemeente for its regie."""
    return bron_lezing(
        "opdracht",
        Doel.UITVOERING_INBURGERING,
        activiteit=activiteit,
        per_rol={
            Rol.DUO: Doel.PLICHT_EN_TERMIJNEN,
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
        Ontvangst(rapport_id=rij.rapport_id, opdracht_id=rij.opdracht_id, versie=rij.versie)
    )


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
            dossier = await uow.session.get(DossierRij, dossier_id, with_for_update=True)
            if (
                dossier is None
                or not dossier.volledig
                or dossier.gemeentecode != lezing.caller.gemeentecode
            ):
                await lezing.niet_gevonden(dossier_id)
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
        responses={200: {"model": OpdrachtView}, **_ERRORS},
    )
    async def opdracht_lezen(
        opdracht_id: Annotated[str, Path(alias="opdrachtId", pattern=OPAQUE_ID_PATTERN)],
        keten: Runtime,
        lezing: Annotated[BronLezing, Depends(_opdracht_lezing("opdracht lezen"))],
    ) -> Response:
        async with keten.unit_of_work() as uow:
            opdracht = await uow.session.get(OpdrachtRij, opdracht_id)
            dossier = (
                None if opdracht is None else await uow.session.get(DossierRij, opdracht.dossier_id)
            )
        if opdracht is None or dossier is None:
            await lezing.niet_gevonden(opdracht_id)
        # The read kit decides: another aanbieder's opdracht answers 404, like an unknown id.
        view = await lezing.lever(
            als_opdracht(opdracht, dossier),
            rij=_opdracht_rij(opdracht, dossier),
            betrokkene=_betrokkene(dossier),
        )
        return JSONResponse(served_json(view))

    for resource, model in RAPPORTSOORTEN.items():
        _rapport_routes(router, bron, resource, model)
    return router


def _rapport_routes(
    router: APIRouter, bron: Bron, resource: str, model: type[ContractModel]
) -> None:
    """``POST /opdrachten/{id}/<collection>`` (the aanbieder submits), ``GET`` of that list and
    ``GET /<collection>/{id}`` (the gemeente reads)."""
    collection = get_resource(resource).collection
    Indiening: Any = _indiening(resource, model)
    RapportView: Any = view_model(resource, Rol.GEMEENTE, same_gemeente=True)
    rapporteurs: frozenset[Rol] = getattr(model, "RAPPORTEURS", frozenset())
    indienen_lezing = bron_lezing(
        resource, Doel.OPDRACHT_UITVOERING, activiteit=f"{resource} indienen"
    )
    gemeente_lezing = bron_lezing(resource, Doel.UITVOERING_INBURGERING)

    async def indienen(
        opdracht_id: Annotated[str, Path(alias="opdrachtId", pattern=OPAQUE_ID_PATTERN)],
        body: Indiening,  # type: ignore[valid-type]
        idempotency_key: Annotated[
            str,
            Header(
                alias="Idempotency-Key",
                min_length=8,
                max_length=100,
                pattern=r"^[A-Za-z0-9._:\-]+$",
                description="Chosen by the aanbieder per report: a retry with the same key "
                "returns the first answer and stores the report once.",
            ),
        ],
        keten: Runtime,
        lezing: Annotated[BronLezing, Depends(indienen_lezing)],
    ) -> Response:
        caller = lezing.caller
        async with keten.unit_of_work() as uow:
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
            try:
                model.model_validate(
                    {
                        **inhoud,
                        "rapportId": rapport_id,
                        "versie": 1,
                        "opdrachtId": opdracht.opdracht_id,
                        "dossierId": opdracht.dossier_id,
                        "gemeentecode": dossier.gemeentecode,
                        "opdrachtsoort": opdracht.soort,
                        "aanbiedersoort": caller.rol.value,
                    }
                )
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
            rapport = AanbiederRapportRij(
                rapport_id=rapport_id,
                soort=resource,
                opdracht_id=opdracht.opdracht_id,
                versie=1,
                aanbieder_oin=caller.party.oin,
                idempotentiesleutel=idempotency_key,
                gegevens={
                    **inhoud,
                    "rapportId": rapport_id,
                    "versie": 1,
                    "opdrachtId": opdracht.opdracht_id,
                    "dossierId": opdracht.dossier_id,
                    "gemeentecode": dossier.gemeentecode,
                    "opdrachtsoort": opdracht.soort,
                    "aanbiedersoort": caller.rol.value,
                },
                ontvangen_op=clock.now(),
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
                    "versie": 1,
                },
            )
            await uow.session.flush()
            # The aanbieder changed the person's data: logged like a read (velden written).
            try:
                await lezing.verwerkingslog.schrijf(
                    lezing.verwerkingslog.record(
                        activiteit=lezing.activiteit,
                        resource=resource,
                        caller=caller,
                        doel=lezing.doel.value,
                        uitkomst="vastgelegd",
                        resource_id=rapport_id,
                        betrokkene=_betrokkene(dossier),
                        velden=sorted(inhoud),
                    )
                )
            except VerwerkingslogOnbeschikbaar:
                # No unlogged change: the report is not stored either (rolled back).
                raise Problem(
                    503,
                    detail="The processing log cannot be written; nothing is stored.",
                    headers={"Retry-After": "5"},
                ) from None
            antwoord = _ontvangst(rapport)
        return JSONResponse(antwoord, status_code=201)

    router.add_api_route(
        f"/opdrachten/{{opdrachtId}}/{collection}",
        indienen,
        methods=["POST"],
        operation_id=f"{resource}-indienen",
        summary=f"Submit a {resource} on the opdracht the aanbieder holds (Idempotency-Key)",
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
