"""The gemeente's work list of DUO signalen: read at DUO's source, ticked off there.

Seed 002 section 3.1: "DUO zet in de portal gedetailleerde signalen klaar" and "Doel is dat
signalen kunnen worden afgevinkt en daarmee op afgehandeld worden gezet". A signaal lives at
duo-adapter, which records who ticked it off and when and announces it
(``signaal.afgehandeld``).

**A proxy, no local copy.** dossier-bron keeps no table of signalen built from
``signaal.aangemaakt`` events: each read of the list fetches the caller's gemeente's open
signalen from duo-adapter (``GET /signalen``), and a tick-off is duo-adapter's
``POST /signalen/{id}/afhandelen``. The data stays at its source (Common Ground, domain primer
section 7, plateau 3): there is one state of a signaal, DUO's, so a signaal ticked off anywhere
(DUO's portal, another screen) leaves this list at once, with no event to wait for, no copy to
reconcile and no second place that holds it for the retention rules. The price is that the
list needs duo-adapter up; when it is not, the answer is 503 (nothing stale is shown).

dossier-bron calls with the gemeente's credential at duo-adapter (``KETEN_BRONNEN``, the same
as for the datarefs of DUO's events) and puts the staff member's user reference in the token,
so DUO records which user ticked a signaal off. Each signaal is served to the staff member
through the read kit (the wall between gemeenten: a signaal of another gemeente than the
caller's mandate is left out of the list and answers 404; the processing log), with the
gemeente's dossier id filled in when DUO did not know it.

duo-adapter's API root is ``KETEN_DUO_BRON_URL`` (e.g. ``https://duo-adapter.example/api/v1``);
without it the work list answers 503.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any, Final

import httpx
import structlog
from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import select

from keten_contracts.access import Rij, mag_wijzigen
from keten_contracts.clients import Doel
from keten_contracts.common import OPAQUE_ID_PATTERN, tolerant
from keten_contracts.parties import Rol
from keten_contracts.policy import view_model
from keten_contracts.resources import get_resource
from keten_contracts.resources.duo import Signaal, Signaalstatus
from keten_core.auth import ZGWTokenAuth
from keten_core.dataref import DatarefLezer
from keten_core.problems import Problem
from keten_core.service import ServiceRuntime, runtime
from keten_core.source_read import BronLezing, bron_lezing, served_json
from keten_core.verwerkingslog import Betrokkene

from .api import API_PREFIX, PROBLEM_RESPONSES
from .models import DossierRij

__all__ = ["SignalenSettings", "build_router"]

log = structlog.get_logger(__name__)

Runtime = Annotated[ServiceRuntime, Depends(runtime)]
SignaalId = Annotated[str, Path(alias="signaalId", pattern=OPAQUE_ID_PATTERN)]

_ERRORS: Final = {s: PROBLEM_RESPONSES[s] for s in (401, 403, 404, 409, 422, 503)}
_TIMEOUT_S: Final = 10.0

SignaalView: Any = view_model("signaal", Rol.GEMEENTE, same_gemeente=True)
_Lezer: Final = tolerant(Signaal)

WERKVOORRAAD_LEZEN = bron_lezing(
    "signaal", Doel.UITVOERING_INBURGERING, activiteit="duo-signalen werkvoorraad lezen"
)
AFHANDELEN = bron_lezing("signaal", Doel.UITVOERING_INBURGERING, activiteit="signaal afhandelen")


class SignalenSettings(BaseSettings):
    """``KETEN_DUO_BRON_URL``: duo-adapter's API root (its credential is in
    ``KETEN_BRONNEN``)."""

    model_config = SettingsConfigDict(env_prefix="KETEN_", extra="ignore")

    duo_bron_url: str | None = None


def _onbereikbaar() -> Problem:
    return Problem(503, detail="DUO's source cannot be reached; try again later.")


class _DuoBron:
    """Calls at duo-adapter with the gemeente's credential and the staff member's user
    reference."""

    def __init__(self, lezer: DatarefLezer, root: str | None) -> None:
        self.lezer = lezer
        self.root = root.rstrip("/") if root else None

    def url(self, pad: str) -> str:
        if self.root is None:
            raise Problem(503, detail="The DUO source is not configured (KETEN_DUO_BRON_URL).")
        return self.root + pad

    async def vraag(self, methode: str, pad: str, gebruiker: str, **kw: Any) -> httpx.Response:
        url = self.url(pad)
        credential = self.lezer.credential_for(url)
        if credential is None:
            raise Problem(503, detail="No credential at the DUO source is configured.")
        auth = ZGWTokenAuth(credential.client_id, credential.secret, user_id=gebruiker)
        try:
            # A client per call: a staff member's click, not a stream (the read kit's log
            # write dominates anyway).
            async with httpx.AsyncClient(
                timeout=_TIMEOUT_S, headers={"Accept": "application/json"}
            ) as client:
                answer = await client.request(methode, url, auth=auth, **kw)
        except httpx.HTTPError as exc:
            log.warning("duo_bron_onbereikbaar", error=type(exc).__name__)
            raise _onbereikbaar() from None
        if answer.status_code >= 500 or answer.status_code in (401, 403, 429):
            # Our credential or DUO's side: not the staff member's doing.
            log.warning("duo_bron_fout", status=answer.status_code)
            raise _onbereikbaar()
        return answer


def _signaal(data: Any) -> Signaal | None:
    try:
        parsed: Signaal = _Lezer.model_validate(data)
    except ValidationError:
        # E.g. a code of a newer code list: left out, not a broken list.
        log.warning("duo_signaal_onleesbaar")
        return None
    return parsed


async def _dossiers(
    keten: ServiceRuntime, gemeentecode: str | None, plicht_ids: Sequence[str]
) -> dict[str, DossierRij]:
    """The caller's gemeente's dossiers by inburgeringsplicht id."""
    if gemeentecode is None or not plicht_ids:
        return {}
    async with keten.unit_of_work() as uow:
        rows = await uow.session.execute(
            select(DossierRij).where(
                DossierRij.gemeentecode == gemeentecode,
                DossierRij.inburgeringsplicht_id.in_(set(plicht_ids)),
            )
        )
        return {d.inburgeringsplicht_id or "": d for d in rows.scalars()}


def _met_dossier(signaal: Signaal, dossier: DossierRij | None) -> Signaal:
    if dossier is None or signaal.dossier_id is not None:
        return signaal
    return signaal.model_copy(update={"dossier_id": dossier.dossier_id})


def _betrokkene(dossier: DossierRij | None) -> Betrokkene | None:
    return None if dossier is None else Betrokkene("bsn", dossier.bsn)


def build_router(lezer: DatarefLezer, duo_url: str | None = None) -> APIRouter:
    """The work list; ``duo_url`` defaults to ``KETEN_DUO_BRON_URL``."""
    router = APIRouter(prefix=API_PREFIX, tags=["werkvoorraad"])
    duo = _DuoBron(lezer, duo_url if duo_url is not None else SignalenSettings().duo_bron_url)
    collectie = "/" + get_resource("signaal").collection

    @router.get(
        "/duo-signalen",
        operation_id="duo-signalen-werkvoorraad",
        summary="The caller's gemeente's open DUO signalen, oldest first (read at DUO's source)",
        responses={200: {"model": list[SignaalView]}, **_ERRORS},
    )
    async def werkvoorraad(
        keten: Runtime, lezing: Annotated[BronLezing, Depends(WERKVOORRAAD_LEZEN)]
    ) -> Response:
        answer = await duo.vraag(
            "GET",
            collectie,
            lezing.caller.user_id,
            params={"status": Signaalstatus.OPEN.value},
        )
        if answer.status_code != 200:
            raise _onbereikbaar()
        signalen = [s for s in map(_signaal, answer.json()) if s is not None]
        dossiers = await _dossiers(
            keten, lezing.caller.gemeentecode, [s.inburgeringsplicht_id for s in signalen]
        )
        # The kit leaves out what the caller may not read (another gemeente's signaal) and
        # logs each one served.
        views = await lezing.lever_alle(
            (
                _met_dossier(s, dossiers.get(s.inburgeringsplicht_id)),
                Rij(gemeentecode=s.gemeentecode),
                _betrokkene(dossiers.get(s.inburgeringsplicht_id)),
            )
            for s in signalen
            if s.status is Signaalstatus.OPEN
        )
        return JSONResponse(served_json(views))

    @router.post(
        "/duo-signalen/{signaalId}/afhandelen",
        operation_id="duo-signaal-afhandelen",
        summary="Tick a DUO signaal off at DUO's source (it leaves the work list; DUO "
        "announces signaal.afgehandeld)",
        responses={200: {"model": SignaalView}, **_ERRORS},
    )
    async def afhandelen(
        signaal_id: SignaalId,
        keten: Runtime,
        lezing: Annotated[BronLezing, Depends(AFHANDELEN)],
    ) -> Response:
        gebruiker = lezing.caller.user_id
        pad = f"{collectie}/{signaal_id}"
        gelezen = await duo.vraag("GET", pad, gebruiker)
        signaal = _signaal(gelezen.json()) if gelezen.status_code == 200 else None
        if signaal is None:
            await lezing.niet_gevonden(signaal_id)
        rij = Rij(gemeentecode=signaal.gemeentecode)
        if not mag_wijzigen(lezing.toegang, "signaal", "status", rij):
            if signaal.gemeentecode != lezing.caller.gemeentecode:
                # Another gemeente's: the same answer as an unknown id (logged by the kit).
                await lezing.lever(signaal, rij=rij, betrokkene=None)
            raise Problem(403, detail="This client may not tick signalen off.")
        if not gebruiker or not re.fullmatch(OPAQUE_ID_PATTERN, gebruiker):
            # DUO records who ticked it off: a call without a user names nobody.
            raise Problem(422, detail="A tick-off needs the user (user_id in the token).")
        answer = await duo.vraag("POST", f"{pad}/afhandelen", gebruiker)
        if answer.status_code == 404:
            await lezing.niet_gevonden(signaal_id)
        if answer.status_code == 409:
            raise Problem(409, detail="This signaal was ticked off already.")
        afgehandeld = _signaal(answer.json()) if answer.status_code == 200 else None
        if afgehandeld is None:
            raise _onbereikbaar()
        dossiers = await _dossiers(
            keten, lezing.caller.gemeentecode, [afgehandeld.inburgeringsplicht_id]
        )
        dossier = dossiers.get(afgehandeld.inburgeringsplicht_id)
        view = await lezing.lever(
            _met_dossier(afgehandeld, dossier), rij=rij, betrokkene=_betrokkene(dossier)
        )
        return JSONResponse(served_json(view))

    return router
