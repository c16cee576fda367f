"""The source read kit: the one way a source (coa-adapter, duo-adapter, dossier-bron) serves
personal data.

A route declares what it serves and why; the kit does the rest, the same way everywhere:

    @router.get("/klantprofielen/{id}")
    async def klantprofiel(
        id: str, lezing: Annotated[BronLezing, Depends(bron_lezing("klantprofiel", LEZEN))]
    ) -> dict[str, Any]:
        profiel = await laad(id)                      # None when it does not exist
        if profiel is None:
            await lezing.niet_gevonden(id)            # logged, then 404
        return await lezing.lever(profiel, rij=Rij.van(profiel), betrokkene=...)

1. **Who calls** (``bron_lezing``): the ZGW token is verified and its ``client_id`` resolved in
   the client registry (``keten_core.auth.Party``: organisation, rol, functie, the gemeente it
   acts for, its registered purposes). The **purpose** is the endpoint's, never the caller's:
   a client not registered for it gets 403 and the attempt is logged.
2. **May it read this row** (``BronLezing.lever``): ``keten_contracts.access.projecteer`` with
   the row's facts: the wall between gemeenten (a row of another gemeente than the client's
   mandate), the walls inside the gemeente, the BSN per task, the target groups. What it may
   not read at all is answered 404, exactly like a row that does not exist, so the answer does
   not tell another gemeente that the person exists.
3. **The view**: only the fields of the caller's view of the resource, per row.
4. **The processing log** (``keten_core.verwerkingslog``): a record of every delivery and every
   refused attempt, committed before the answer leaves; if it cannot be written the read is
   refused (503), so no read goes unlogged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Final, NoReturn, Union

import structlog
from fastapi import Depends, Request
from pydantic import BaseModel

from keten_contracts.access import Rij, Toegang, projecteer, toegang
from keten_contracts.clients import Doel
from keten_contracts.common import ContractModel
from keten_contracts.parties import Rol
from keten_contracts.policy import view_model
from keten_core.auth import AuthenticatedCaller, authenticated_party
from keten_core.problems import Problem
from keten_core.verwerkingslog import Betrokkene, Verwerkingslog, VerwerkingslogOnbeschikbaar

__all__ = [
    "GELEVERD",
    "GEWEIGERD",
    "NIET_GEVONDEN",
    "BronLezing",
    "bron_lezing",
    "gedocumenteerde_views",
    "get_verwerkingslog",
    "served_json",
]

log = structlog.get_logger(__name__)

# The outcomes a log record can have.
GELEVERD: Final = "geleverd"
GEWEIGERD: Final = "geweigerd"
NIET_GEVONDEN: Final = "niet-gevonden"


def gedocumenteerde_views(resource: str, *rollen: Rol) -> Any:
    """The documented answer of a read open to several roles: any one of their views (the kit
    projects each call to its caller's). Documenting only the first role's view made every
    other role's answer fail its schema (found by schemathesis against dossier-bron)."""
    views: list[type[ContractModel]] = []
    for rol in rollen:
        view = view_model(resource, rol, same_gemeente=True)
        if view is not None and view not in views:
            views.append(view)
    if not views:
        raise ValueError(f"no role of {rollen} reads anything of {resource}")
    return views[0] if len(views) == 1 else Union[tuple(views)]  # noqa: UP007


async def get_verwerkingslog(request: Request) -> Verwerkingslog:
    """The service's processing log (``app.state.verwerkingslog``, set by the lifespan)."""
    found = getattr(request.app.state, "verwerkingslog", None)
    if not isinstance(found, Verwerkingslog):
        raise RuntimeError("app.state.verwerkingslog is not set; the lifespan must set it")
    return found


def _log_unavailable(exc: VerwerkingslogOnbeschikbaar) -> Problem:
    return Problem(
        503,
        detail="The processing log cannot be written, so no personal data is served.",
        headers={"Retry-After": "5"},
    )


def _served_fields(view: BaseModel) -> list[str]:
    """Wire names of the fields a view actually carries (a hidden field is None)."""
    return sorted(
        info.alias or name
        for name, info in type(view).model_fields.items()
        if getattr(view, name) is not None
    )


@dataclass
class BronLezing:
    """One request's read: the caller, the endpoint's purpose and activity, and the log."""

    caller: AuthenticatedCaller
    toegang: Toegang
    resource: str
    activiteit: str
    verwerkingslog: Verwerkingslog

    @property
    def doel(self) -> Doel:
        return self.toegang.doel

    async def _schrijf(self, **record: Any) -> None:
        try:
            entry = self.verwerkingslog.record(
                activiteit=self.activiteit,
                resource=self.resource,
                caller=self.caller,
                doel=self.doel.value,
                **record,
            )
            await self.verwerkingslog.schrijf(entry)
        except VerwerkingslogOnbeschikbaar as exc:
            raise _log_unavailable(exc) from exc

    async def lever(
        self,
        instance: BaseModel,
        *,
        rij: Rij | None,
        betrokkene: Betrokkene | None,
        resource_id: str | None = None,
    ) -> ContractModel:
        """The caller's view of ``instance``, logged; 404 (logged as refused) when the caller
        may not read this row, 503 when the log cannot be written."""
        view = projecteer(self.toegang, self.resource, instance, rij)
        rid = resource_id if resource_id is not None else _resource_id(instance)
        if view is None:
            await self._schrijf(
                uitkomst=GEWEIGERD, resource_id=rid, betrokkene=betrokkene, velden=()
            )
            log.info(
                "bron_lezing_geweigerd",
                resource=self.resource,
                client_id=self.caller.client_id,
                doel=self.doel.value,
            )
            raise Problem(404, detail=f"No {self.resource} {rid!r} for this caller.")
        await self._schrijf(
            uitkomst=GELEVERD, resource_id=rid, betrokkene=betrokkene, velden=_served_fields(view)
        )
        return view

    async def lever_alle(
        self, rijen: Iterable[tuple[BaseModel, Rij | None, Betrokkene | None]]
    ) -> list[ContractModel]:
        """A list read: the views the caller may read, one log record per row served (rows it
        may not read are left out silently: a list reveals no other gemeente's persons)."""
        served: list[ContractModel] = []
        records = []
        for instance, rij, betrokkene in rijen:
            view = projecteer(self.toegang, self.resource, instance, rij)
            if view is None:
                continue
            served.append(view)
            records.append(
                self.verwerkingslog.record(
                    activiteit=self.activiteit,
                    resource=self.resource,
                    caller=self.caller,
                    doel=self.doel.value,
                    uitkomst=GELEVERD,
                    resource_id=_resource_id(instance),
                    betrokkene=betrokkene,
                    velden=_served_fields(view),
                )
            )
        if records:
            try:
                await self.verwerkingslog.schrijf(*records)
            except VerwerkingslogOnbeschikbaar as exc:
                raise _log_unavailable(exc) from exc
        return served

    async def niet_gevonden(self, resource_id: str) -> NoReturn:
        """Log the attempt on a row that does not exist, then answer 404 (the same answer as
        a row the caller may not read)."""
        await self._schrijf(uitkomst=NIET_GEVONDEN, resource_id=resource_id, velden=())
        raise Problem(404, detail=f"No {self.resource} {resource_id!r} for this caller.")


def _resource_id(instance: BaseModel) -> str | None:
    from keten_contracts.resources import RESOURCES

    for rd in RESOURCES.values():
        if isinstance(instance, rd.model):
            value = getattr(instance, rd.id_field, None)
            return None if value is None else str(value)
    return None


def bron_lezing(
    resource: str,
    doel: Doel,
    *,
    activiteit: str | None = None,
    per_rol: Mapping[Rol, Doel] | None = None,
) -> Callable[..., Awaitable[BronLezing]]:
    """FastAPI dependency factory for a route that serves ``resource`` for ``doel``.

    ``per_rol`` gives the purpose of callers in other roles where one endpoint serves several
    parties each under its own purpose (DUO reads a PIP for plicht-en-termijnen, an aanbieder
    its opdracht for opdracht-uitvoering); a role not listed reads under ``doel``. The purpose
    still comes from the endpoint, never from the caller.

    ``activiteit`` names the processing activity in the log (default ``"<resource> lezen"``).
    A caller whose registry entry does not list the purpose gets 403, and the attempt is logged.
    """
    from keten_contracts.resources import RESOURCES

    if resource not in RESOURCES:
        raise KeyError(f"unknown resource {resource!r}")
    naam = activiteit or f"{resource} lezen"
    doelen: Mapping[Rol, Doel] = dict(per_rol or {})

    async def dependency(
        caller: Annotated[AuthenticatedCaller, Depends(authenticated_party)],
        verwerkingslog: Annotated[Verwerkingslog, Depends(get_verwerkingslog)],
    ) -> BronLezing:
        gekozen = doelen.get(caller.rol, doel)
        context = toegang(caller.party, gekozen)
        if context is None:
            try:
                record = verwerkingslog.record(
                    activiteit=naam,
                    resource=resource,
                    caller=caller,
                    doel=gekozen.value,
                    uitkomst=GEWEIGERD,
                )
                await verwerkingslog.schrijf(record)
            except VerwerkingslogOnbeschikbaar as exc:
                raise _log_unavailable(exc) from exc
            raise Problem(
                403,
                detail=(
                    f"client {caller.client_id!r} is not registered for purpose {gekozen.value!r}"
                ),
                headers={"WWW-Authenticate": 'Bearer error="insufficient_scope"'},
            )
        return BronLezing(caller, context, resource, naam, verwerkingslog)

    return dependency


def served_json(view: BaseModel | Sequence[BaseModel]) -> Any:
    """A view (or list of views) as the JSON a source answers: wire names, no empty fields."""
    if isinstance(view, BaseModel):
        return view.model_dump(mode="json", by_alias=True, exclude_none=True)
    return [v.model_dump(mode="json", by_alias=True, exclude_none=True) for v in view]
