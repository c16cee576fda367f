"""The access policy of the chain: who may receive which event, who may read which field.

One declarative source (the catalogue's recipients and the fields' ``x-lezers`` tags) with the
law's rules applied on top, so the router (``may_receive``) and every source API
(``may_read``, ``view_model``, ``project``) enforce the same thing (architecture.md
principle 3). Every answer fails closed: missing context means no (a gemeente that does
not state ``same_gemeente=True`` reads nothing).

Rules that hold whatever a tag says (domain.md section 6):
- MAP, PVT and maatschappelijke-begeleiding providers and the LBT taker never get a BSN.
- Schotten: a gemeente receives and reads only what concerns its own gemeentecode (the linked
  gemeente; after a verhuizing hand-over that is the new gemeente).
- No special-category field (health, religion) is readable by anyone.
- Aanbieder progress reports (personal data) go only to the ordering gemeente.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel, create_model

from keten_contracts.classification import Classificatie, FieldTags, tags_of
from keten_contracts.common import ContractModel
from keten_contracts.events.catalogue import get_event_type
from keten_contracts.parties import GEEN_BSN_ROLLEN, Rol
from keten_contracts.resources import RESOURCES, get_resource

__all__ = [
    "may_produce",
    "may_read",
    "may_receive",
    "project",
    "readable_fields",
    "recipients_of",
    "view_model",
]


def recipients_of(event_type: str) -> frozenset[Rol]:
    """The roles that may in principle receive ``event_type`` (before the per-event walls)."""
    return get_event_type(event_type).recipients


def may_produce(rol: Rol, event_type: str) -> bool:
    """May an organisation in ``rol`` emit ``event_type``? (ingest and validation check it)."""
    try:
        return rol in get_event_type(event_type).producers
    except KeyError:
        return False


def may_receive(
    rol: Rol,
    event_type: str,
    *,
    recipient_gemeentecode: str | None = None,
    event_gemeentecode: str | None = None,
    recipient_oin: str | None = None,
    event_aanbiedersoort: Rol | str | None = None,
    event_aanbiederoin: str | None = None,
) -> bool:
    """May an organisation in ``rol`` be notified of one event of ``event_type``?

    A gemeente must state its code and the event must carry one, and they must match (this is
    also what keeps the fat aanbieder reports with the one ordering gemeente). An aanbieder
    receives only events routed to its kind and, where the event names one, to its OIN.
    """
    try:
        et = get_event_type(event_type)
    except KeyError:
        return False
    if rol not in et.recipients:
        return False
    if rol is Rol.GEMEENTE:
        return (
            recipient_gemeentecode is not None
            and event_gemeentecode is not None
            and recipient_gemeentecode == event_gemeentecode
        )
    if et.personal_data:
        # Fat events have only the ordering gemeente as recipient; guard against a future
        # catalogue edit widening that without a policy decision.
        return False
    if rol.is_aanbieder:
        if event_aanbiedersoort is None or event_aanbiedersoort not in {r.value for r in Rol}:
            return False
        if Rol(event_aanbiedersoort) is not rol:
            return False
        # Opdracht events are for one aanbieder: its OIN must match (catalogue requires it).
        return recipient_oin is not None and recipient_oin == event_aanbiederoin
    return True


def _tags(resource: str, field: str) -> FieldTags | None:
    model = get_resource(resource).model
    info = model.model_fields.get(field)
    if info is None:
        # Accept the wire name (camelCase) too.
        for name, candidate in model.model_fields.items():
            if candidate.alias == field:
                info = model.model_fields[name]
                break
    return None if info is None else tags_of(info)


def _gemeente_wall(rol: Rol, same_gemeente: bool | None) -> bool:
    """True when the wall between gemeenten closes for this call.

    ``same_gemeente`` is a tri-state: True (the caller's gemeentecode is the one the person is
    linked to), False (another gemeente) or None (not stated). Only an explicit True opens the
    wall: a missing context is a refusal, so forgetting to pass it cannot grant access.
    """
    return rol is Rol.GEMEENTE and same_gemeente is not True


def may_read(rol: Rol, resource: str, field: str, *, same_gemeente: bool | None = None) -> bool:
    """May an organisation in ``rol`` read ``field`` (Python or wire name) of ``resource``?

    ``same_gemeente``: the caller's gemeentecode is the one the person is linked to (for the
    source to decide). It only matters for gemeenten, and for them it must be stated: None
    (unknown) is treated as another gemeente. An aanbieder's restriction to its own opdrachten
    is a row rule the source applies by OIN.
    """
    try:
        tags = _tags(resource, field)
    except KeyError:
        return False
    if tags is None or tags.lezers is None:
        return False
    if tags.classificatie is Classificatie.BIJZONDER:
        return False
    if tags.bsn and rol in GEEN_BSN_ROLLEN:
        return False
    if _gemeente_wall(rol, same_gemeente):
        return False
    return rol in tags.lezers


def readable_fields(resource: str, rol: Rol, *, same_gemeente: bool | None = None) -> list[str]:
    """Python names of the fields ``rol`` may read, in model order (none for a gemeente whose
    context is not stated as the linked one)."""
    model = get_resource(resource).model
    return [
        name
        for name in model.model_fields
        if may_read(rol, resource, name, same_gemeente=same_gemeente)
    ]


@cache
def _view(resource: str, rol: Rol) -> type[ContractModel] | None:
    # The wall is applied by the caller (``view_model``); the cached view is the linked
    # gemeente's.
    rd = get_resource(resource)
    names = readable_fields(resource, rol, same_gemeente=True)
    if not names:
        return None
    fields: dict[str, Any] = {
        name: (rd.model.model_fields[name].annotation, rd.model.model_fields[name])
        for name in names
    }
    suffix = "".join(part.capitalize() for part in rol.value.split("-"))
    view = create_model(
        f"{rd.model.__name__}{suffix}View",
        __base__=ContractModel,
        __doc__=f"What a {rol.value} may read of a {resource}.",
        **fields,
    )
    view.__module__ = __name__
    return view


def view_model(
    resource: str, rol: Rol, *, same_gemeente: bool | None = None
) -> type[ContractModel] | None:
    """The pydantic model of what ``rol`` may read of ``resource``; None if nothing.

    For a gemeente, None unless ``same_gemeente=True`` is stated (see ``may_read``).
    """
    if resource not in RESOURCES:
        raise KeyError(f"unknown resource {resource!r}")
    if _gemeente_wall(rol, same_gemeente):
        return None
    return _view(resource, rol)


def project(
    resource: str, rol: Rol, instance: BaseModel, *, same_gemeente: bool | None = None
) -> ContractModel | None:
    """The view of ``instance`` for ``rol``: what a source API returns to that caller (None
    for a gemeente unless ``same_gemeente=True`` is stated)."""
    view = view_model(resource, rol, same_gemeente=same_gemeente)
    if view is None:
        return None
    values = {name: getattr(instance, name) for name in view.model_fields}
    return view.model_validate(values)
