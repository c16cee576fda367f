"""The subject-access report for the gemeente's privacy officer: who read or changed one
person's data at this source, when, and for which purpose.

Art. 15 AVG gives the person the right to know who processed their data; seed 000 (DPIA,
"Fundamentele principes") asks "Hoe kunnen betrokkenen hun recht op toegang [...]
uitoefenen?", and names logging and traceability of processing among the measures. The answer
comes from the processing log (``keten_core.verwerkingslog``), which stores the person only as
an HMAC pseudonym: the report computes the pseudonym from the BSN in the POST body (never in a
URL, an access log line or a span) and reads the records with it.

- **Who asks**: a gemeente client in the functie ``privacyfunctionaris``, registered for
  ``Doel.INZAGEVERZOEK`` (the read kit refuses anyone else with 403, logged). That purpose
  opens no field of any resource: the officer sees the log, not the dossier.
- **Only the gemeente's own lines**: one dossier-bron may serve several gemeenten (an SSC), and
  after a move a person has a dossier in each. The report holds the records about the rows of
  the caller's gemeente's dossier of this person (the dossier and everything hanging on it),
  whoever read them: its own staff, DUO, an aanbieder, or another gemeente (refused, or reading
  a hand-over package). Another gemeente's officer gets 404, as for a person it has no dossier
  of.
- **The report is itself a processing**: it is logged (``inzageverzoek beantwoorden``) on the
  person's dossier before it leaves, so the next report shows it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from pydantic import Field
from sqlalchemy import select

from keten_contracts.clients import Doel
from keten_contracts.common import Bsn, ContractModel, Gemeentecode
from keten_core.db import Base
from keten_core.problems import Problem
from keten_core.service import ServiceRuntime, runtime
from keten_core.source_read import GELEVERD, BronLezing, bron_lezing
from keten_core.verwerkingslog import Betrokkene, VerwerkingslogOnbeschikbaar

from .api import API_PREFIX, PROBLEM_RESPONSES
from .bewaartermijnen import hoort_bij_dossier, te_wissen_tabellen
from .models import DossierRij

__all__ = ["Inzagerapport", "Inzagevraag", "Verwerkingsregel", "router"]

Runtime = Annotated[ServiceRuntime, Depends(runtime)]

INZAGE: Final = bron_lezing("dossier", Doel.INZAGEVERZOEK, activiteit="inzageverzoek beantwoorden")

router = APIRouter(prefix=API_PREFIX, tags=["privacy"])


class Inzagevraag(ContractModel):
    """Whose report, in the body (never in the URL), optionally for a period."""

    bsn: Bsn = Field(description="Burgerservicenummer of the person.")
    van: datetime | None = Field(default=None, description="From this instant (inclusive).")
    tot: datetime | None = Field(default=None, description="Until this instant (exclusive).")


class Verwerkingsregel(ContractModel):
    """One processing of the person's data: no BSN, no pseudonym."""

    tijdstip: datetime
    dienst: str
    activiteit: str
    doel: str | None = Field(description="The purpose the endpoint served it for.")
    uitkomst: str = Field(description="geleverd, geweigerd or niet-gevonden.")
    oin: str = Field(description="OIN of the organisation that asked.")
    rol: str
    functie: str
    namens: str | None = Field(default=None, description="The gemeente a gemeente client acts for.")
    client_id: str
    gebruiker: str | None = Field(default=None, description="The user within the organisation.")
    resource: str
    resource_id: str | None = None
    velden: list[str] = Field(default_factory=list, description="The fields served.")


class Inzagerapport(ContractModel):
    gemeentecode: Gemeentecode
    verwerkingen: list[Verwerkingsregel]


async def _eigen_resource_ids(keten: ServiceRuntime, gemeentecode: str, bsn: str) -> list[str]:
    """The ids of the gemeente's rows of this person: its dossier and every row hanging on it
    (what a log record names as ``resource_id``)."""
    async with keten.unit_of_work() as uow:
        dossiers = list(
            (
                await uow.session.execute(
                    select(DossierRij.dossier_id).where(
                        DossierRij.gemeentecode == gemeentecode, DossierRij.bsn == bsn
                    )
                )
            ).scalars()
        )
        ids = list(dossiers)
        if dossiers:
            for tabel in te_wissen_tabellen(list(Base.metadata.sorted_tables)):
                [sleutel] = tabel.primary_key.columns
                rows = await uow.session.execute(
                    select(sleutel).where(hoort_bij_dossier(tabel, dossiers))
                )
                ids.extend(str(v) for v in rows.scalars())
    return ids


@router.post(
    "/inzageverzoeken",
    operation_id="inzageverzoek-beantwoorden",
    summary="The privacy officer's report of who processed one person's data, when and why "
    "(BSN in the body, never in the URL)",
    responses={
        200: {"model": Inzagerapport},
        **{s: PROBLEM_RESPONSES[s] for s in (401, 403, 404, 422, 503)},
    },
)
async def inzageverzoek_beantwoorden(
    vraag: Inzagevraag, keten: Runtime, lezing: Annotated[BronLezing, Depends(INZAGE)]
) -> Response:
    gemeentecode = lezing.caller.gemeentecode
    ids = [] if gemeentecode is None else await _eigen_resource_ids(keten, gemeentecode, vraag.bsn)
    if gemeentecode is None or not ids:
        # No dossier of this person in the caller's gemeente: the answer of an unknown person.
        await lezing.niet_gevonden("-")
    betrokkene = Betrokkene("bsn", vraag.bsn)
    logboek = lezing.verwerkingslog
    try:
        records = await logboek.van_betrokkene(
            betrokkene, van=vraag.van, tot=vraag.tot, resource_ids=ids
        )
        # The report is a processing of the person's data too: logged before it leaves.
        await logboek.schrijf(
            logboek.record(
                activiteit=lezing.activiteit,
                resource=lezing.resource,
                caller=lezing.caller,
                doel=lezing.doel.value,
                uitkomst=GELEVERD,
                resource_id=ids[0],
                betrokkene=betrokkene,
                velden=["verwerkingen"],
            )
        )
    except VerwerkingslogOnbeschikbaar as exc:
        raise Problem(
            503,
            detail="The processing log cannot be read or written.",
            headers={"Retry-After": "5"},
        ) from exc
    rapport = Inzagerapport(
        gemeentecode=gemeentecode,
        verwerkingen=[
            Verwerkingsregel(
                tijdstip=r.tijdstip,
                dienst=r.dienst,
                activiteit=r.activiteit,
                doel=r.doel,
                uitkomst=r.uitkomst,
                oin=r.oin,
                rol=r.rol,
                functie=r.functie,
                namens=r.namens,
                client_id=r.client_id,
                gebruiker=r.gebruiker,
                resource=r.resource,
                resource_id=r.resource_id,
                velden=list(r.velden or ()),
            )
            for r in records
        ],
    )
    return JSONResponse(rapport.model_dump(mode="json", by_alias=True, exclude_none=True))
