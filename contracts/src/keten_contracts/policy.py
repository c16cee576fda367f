"""The access policy of the chain: who may receive which event, who may read which field.

One declarative source (the catalogue's recipients and the fields' ``x-lezers`` tags) with the
law's rules applied on top, so the router (``may_receive``) and every source API
(``may_read``, ``view_model``, ``project``) enforce the same thing (architecture.md
principle 3). Every answer fails closed: missing context means no (a gemeente that does
not state ``same_gemeente=True`` reads nothing).

Rules that hold whatever a tag says (domain.md section 6):
- MAP, PVT and maatschappelijke-begeleiding providers and the LBT taker never get a BSN.
- The BSN follows the task: an aanbieder reads an opdracht's BSN only when the opdracht's soort
  is the language part of a leerroute and its kind may carry that out, and only when the
  gemeente's ``BsnBeleid`` does not switch the BSN off for its aanbieders.
- DUO reads an opdracht only when its soort is part of a leerroute (a row rule).
- Schotten: a gemeente receives and reads only what concerns its own gemeentecode (the linked
  gemeente; after a verhuizing hand-over that is the new gemeente).
- No special-category field (health, religion) is readable by anyone.
- Aanbieder progress reports (personal data) go only to the ordering gemeente.

Sources serve reads through ``keten_contracts.access`` (rules 13, 14): ``mag_lezen``,
``mag_wijzigen`` and ``projecteer`` take the resolved context of the call (client registry
entry and the endpoint's purpose) and the row's facts, and apply everything below, the
target-group rule included, so that no source can forget a keyword. The keyword functions here
stay the building blocks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

from pydantic import BaseModel, create_model

from keten_contracts.classification import Classificatie, FieldTags, tags_of
from keten_contracts.common import ContractModel, Doelgroep
from keten_contracts.envelope import EXT_ABONNEEOIN
from keten_contracts.events.catalogue import get_event_type
from keten_contracts.parties import (
    GEEN_BSN_ROLLEN,
    OPDRACHTTAKEN,
    Rol,
    bsn_past_bij_taak,
    is_gemeentecode,
    opdrachttaak,
)
from keten_contracts.resources import RESOURCES, get_resource
from keten_contracts.resources.gemeente import (
    DUO_OP_VERZOEK_VELDEN,
    Handhavingsmaatregel,
    Handhavingsverzoek,
    Maatregelsoort,
    Onderdeelsoort,
    Overdracht,
    Overdrachtsverzoek,
)

__all__ = [
    "DUO_OPDRACHTSOORTEN",
    "TAALINSPANNING_VELDEN",
    "WETTELIJK_MAXIMUM",
    "BsnBeleid",
    "doelgroep_allows",
    "may_produce",
    "may_read",
    "may_read_doelgroep",
    "may_receive",
    "project",
    "project_doelgroep",
    "project_op_verzoek",
    "project_voor_overdracht",
    "readable_fields",
    "recipients_of",
    "veldnaam",
    "verberg_taalinspanning",
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
    event_abonneeoin: str | None = None,
) -> bool:
    """May an organisation in ``rol`` be notified of one event of ``event_type``?

    A notice about a subscription (``abonneeoin``) reaches only the organisation with that OIN.
    A gemeente must state its code and the event must carry one, and they must match (this is
    what keeps a gemeente's events with that gemeente). An aanbieder receives only events routed
    to its kind and, where the event names one, to its OIN. No event carries personal data; a
    type marked so would reach no one (fail-closed).
    """
    try:
        et = get_event_type(event_type)
    except KeyError:
        return False
    if rol not in et.recipients:
        return False
    # thin reports -- no exception to principle 2: a type with personal data reaches no one.
    if et.personal_data:
        return False
    if EXT_ABONNEEOIN in et.routing_extensions:
        # A notice about one subscription (the router's) reaches the organisation that owns
        # it, whatever its role: its OIN must be the one the notice names.
        return recipient_oin is not None and recipient_oin == event_abonneeoin
    if rol is Rol.GEMEENTE:
        return (
            recipient_gemeentecode is not None
            and event_gemeentecode is not None
            and recipient_gemeentecode == event_gemeentecode
        )
    if rol.is_aanbieder:
        if event_aanbiedersoort is None or event_aanbiedersoort not in {r.value for r in Rol}:
            return False
        if Rol(event_aanbiedersoort) is not rol:
            return False
        # Opdracht events are for one aanbieder: its OIN must match (catalogue requires it).
        return recipient_oin is not None and recipient_oin == event_aanbiederoin
    return True


# rules 1, 11, 14 -----------------------------------------------------------------------------
@dataclass(frozen=True)
class BsnBeleid:
    """A gemeente's own choice on the BSN towards its aanbieders: it can only be stricter.

    Seed 003 (003_eca6f978cb863c1e.txt, "6.3.3 Gebruik van Burgerservicenummer (BSN)") is a
    gemeente that gives none: "Instellingen die cursussen voor inburgeringsplichtigen verzorgen
    mogen dus niet het BSN van de inburgeringsplichtige gebruiken. We mogen het BSN dus ook niet
    richting deze instellingen gebruiken." The policy only ever ANDs this with the law's rule,
    so no configuration can grant a BSN the law does not allow.
    """

    geen_bsn_voor_aanbieders: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        codes = frozenset(self.geen_bsn_voor_aanbieders)
        bad = sorted(c for c in codes if not (isinstance(c, str) and is_gemeentecode(c)))
        if bad:
            raise ValueError(f"not a gemeentecode: {bad!r}")
        object.__setattr__(self, "geen_bsn_voor_aanbieders", codes)

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> BsnBeleid:
        """From configuration, e.g. ``{"geenBsnVoorAanbieders": ["0363"]}``. None or ``{}`` is
        the law's maximum; an unknown key is an error (a typo must not go unnoticed)."""
        if not config:
            return cls()
        unknown = set(config) - {"geenBsnVoorAanbieders", "geen_bsn_voor_aanbieders"}
        if unknown:
            raise ValueError(f"unknown BSN policy setting(s): {sorted(unknown)!r}")
        codes: Iterable[str] = config.get(
            "geenBsnVoorAanbieders", config.get("geen_bsn_voor_aanbieders", ())
        )
        if isinstance(codes, str):
            raise ValueError("geenBsnVoorAanbieders is a list of gemeentecodes")
        return cls(frozenset(codes))

    def geeft_bsn_aan_aanbieders(self, gemeentecode: str | None) -> bool:
        """Does this gemeente give the BSN to its aanbieders at all? Unknown gemeente: no."""
        return (
            gemeentecode is not None
            and is_gemeentecode(gemeentecode)
            and gemeentecode not in self.geen_bsn_voor_aanbieders
        )


# Default: the law's maximum (no gemeente switched the BSN off).
WETTELIJK_MAXIMUM: Final = BsnBeleid()

# The opdrachten DUO reads: the leerroute's courses. Domain.md section 4 ("gemeente -> DUO"):
# course/taalschakeltraject start and planned end, results, realised start of the route,
# certificate received (seed 001, row "Minister van SZW/DUO", items l, m, o, p). Not
# maatschappelijke begeleiding (seed 002_774eb578c0679392.txt, 3.4.6: "Melding naar DUO is
# niet nodig"), not the LBT (DUO's own platform), not MAP or PVT (DUO gets those as the map
# and pvt resources, items e-j).
DUO_OPDRACHTSOORTEN: Final = frozenset(
    {"b1-cursus", "onderwijsroute", "taalschakeltraject", "z-route"}
)


def _row_allows(
    rol: Rol,
    resource: str,
    tags: FieldTags,
    opdrachtsoort: str | None,
    gemeentecode: str | None,
    bsn_beleid: BsnBeleid | None,
) -> bool:
    """The rules that depend on the row (the opdracht's soort and gemeente); fail closed."""
    if resource != "opdracht":
        return True
    if rol is Rol.DUO:
        return opdrachtsoort is not None and str(opdrachtsoort) in DUO_OPDRACHTSOORTEN
    if rol.is_aanbieder:
        if opdrachtsoort is not None and not _kind_fits(rol, opdrachtsoort):
            return False
        if tags.bsn:
            beleid = WETTELIJK_MAXIMUM if bsn_beleid is None else bsn_beleid
            return bsn_past_bij_taak(rol, opdrachtsoort) and beleid.geeft_bsn_aan_aanbieders(
                gemeentecode
            )
    return True


def _kind_fits(rol: Rol, opdrachtsoort: str) -> bool:
    taak = opdrachttaak(opdrachtsoort)
    return taak is not None and rol in taak.uitvoerders


# rule 14 -- target groups ---------------------------------------------------------------------
# The language efforts of a person, per resource (Python field names). Seed
# 002_774eb578c0679392.txt (section 4.7): "De gemeente ontvangt geen informatie over de taal
# inspanningen van de gezins- of overige migrant. De instelling levert deze informatie
# rechtstreeks aan DUO die dit betrekt in het handhavingsproces." So a gemeente reads these
# fields only of a person it knows to be an asielstatushouder: ``doelgroep`` must be stated
# (or be on the instance, for ``project``), and a missing one is a no. DUO reads them for
# everyone; participation hours are no language effort.
TAALINSPANNING_VELDEN: Final[Mapping[str, frozenset[str]]] = {
    "urenverantwoording": frozenset(
        {"uren_taal", "uren_aanwezig", "uren_verzuim_geoorloofd", "uren_verzuim_ongeoorloofd"}
    ),
    "opdracht": frozenset({"resultaat_datum", "resultaat_behaald"}),
}


def _python_name(resource: str, field: str) -> str:
    model = get_resource(resource).model
    if field in model.model_fields:
        return field
    for name, info in model.model_fields.items():
        if info.alias == field:
            return name
    return field


def veldnaam(resource: str, field: str) -> str | None:
    """The Python name of ``field`` (Python or wire name) of ``resource``; None when the
    resource or the field is unknown (callers refuse then)."""
    if resource not in RESOURCES:
        return None
    naam = _python_name(resource, field)
    return naam if naam in get_resource(resource).model.model_fields else None


def doelgroep_allows(
    rol: Rol, resource: str, field: str, doelgroep: Doelgroep | str | None
) -> bool:
    """The target-group rule (fail closed): a gemeente reads a language-effort field only
    when the person is stated to be an asielstatushouder."""
    if rol is not Rol.GEMEENTE:
        return True
    velden = TAALINSPANNING_VELDEN.get(resource)
    if not velden or _python_name(resource, field) not in velden:
        return True
    return doelgroep is not None and str(doelgroep) == Doelgroep.ASIELSTATUSHOUDER.value


def may_read_doelgroep(
    rol: Rol,
    resource: str,
    field: str,
    *,
    doelgroep: Doelgroep | str | None,
    **context: Any,
) -> bool:
    """``may_read`` (same ``context`` keywords) with the target-group rule on top: a gemeente
    reads a language-effort field (``TAALINSPANNING_VELDEN``) only of a person stated to be an
    asielstatushouder; ``doelgroep=None`` (unknown) is a no. ``project`` applies the same rule.
    ``may_read`` alone answers for the field in general (the most open row)."""
    return may_read(rol, resource, field, **context) and doelgroep_allows(
        rol, resource, field, doelgroep
    )


def project_doelgroep(
    resource: str,
    rol: Rol,
    instance: BaseModel,
    *,
    doelgroep: Doelgroep | str | None = None,
    **context: Any,
) -> ContractModel | None:
    """``project`` (same ``context`` keywords) with the target-group rule on top: what a
    source serves of a resource with language efforts. The person's doelgroep is the
    instance's own when it carries one, else ``doelgroep``; for a gemeente, the language
    efforts of a gezins- or overige migrant, or of a person whose doelgroep is unknown, are
    left empty, and a row whose hidden field is required (``urenTaal``) is not served (None)."""
    eigen = getattr(instance, "doelgroep", None)
    if eigen is not None:
        doelgroep = eigen
    shown = project(resource, rol, instance, **context)
    return None if shown is None else verberg_taalinspanning(resource, rol, shown, doelgroep)


def verberg_taalinspanning(
    resource: str, rol: Rol, shown: ContractModel, doelgroep: Doelgroep | str | None
) -> ContractModel | None:
    """The target-group rule on a projected view ``shown`` (of ``project`` or the hand-over
    projection): the language-effort fields ``rol`` may not see of this ``doelgroep`` left
    empty, or None when such a field is required (the row is then not for ``rol``)."""
    fields = type(shown).model_fields
    hidden = [name for name in fields if not doelgroep_allows(rol, resource, name, doelgroep)]
    if not hidden:
        return shown
    if any(fields[name].is_required() for name in hidden):
        return None
    values = {name: getattr(shown, name) for name in fields}
    # As in ``project``: the projected values as they are, not decoded a second time.
    return type(shown).model_construct(**{**values, **dict.fromkeys(hidden)})


# end rule 14


# ------------------------------------------------------------------------------------------


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


def may_read(
    rol: Rol,
    resource: str,
    field: str,
    *,
    same_gemeente: bool | None = None,
    opdrachtsoort: str | None = None,
    gemeentecode: str | None = None,
    bsn_beleid: BsnBeleid | None = None,
) -> bool:
    """May an organisation in ``rol`` read ``field`` (Python or wire name) of ``resource``?

    ``same_gemeente``: the caller's gemeentecode is the one the person is linked to (for the
    source to decide). It only matters for gemeenten, and for them it must be stated: None
    (unknown) is treated as another gemeente. An aanbieder's restriction to its own opdrachten
    is a row rule the source applies by OIN.

    For an opdracht the row matters too: ``opdrachtsoort`` and ``gemeentecode`` (the ordering
    gemeente) of the opdracht read, and the ``bsn_beleid`` of the gemeenten (default: the
    law's maximum). DUO reads an opdracht only of a soort in ``DUO_OPDRACHTSOORTEN``; an
    aanbieder reads its BSN only for the language part of a leerroute its kind carries out,
    of a gemeente that gives the BSN to aanbieders. A missing soort or gemeente is a no.

    Rule 14: the target group is checked on top by ``may_read_doelgroep`` and ``project``.
    """
    try:
        tags = _tags(resource, field)
    except KeyError:
        return False
    if tags is None or tags.lezers is None:
        return False
    if not _row_allows(rol, resource, tags, opdrachtsoort, gemeentecode, bsn_beleid):
        return False
    if tags.classificatie is Classificatie.BIJZONDER:
        return False
    if tags.bsn and rol in GEEN_BSN_ROLLEN:
        return False
    if _gemeente_wall(rol, same_gemeente):
        return False
    return rol in tags.lezers


def readable_fields(
    resource: str,
    rol: Rol,
    *,
    same_gemeente: bool | None = None,
    opdrachtsoort: str | None = None,
    gemeentecode: str | None = None,
    bsn_beleid: BsnBeleid | None = None,
) -> list[str]:
    """Python names of the fields ``rol`` may read, in model order (none for a gemeente whose
    context is not stated as the linked one; row context as for ``may_read``)."""
    model = get_resource(resource).model
    return [
        name
        for name in model.model_fields
        if may_read(
            rol,
            resource,
            name,
            same_gemeente=same_gemeente,
            opdrachtsoort=opdrachtsoort,
            gemeentecode=gemeentecode,
            bsn_beleid=bsn_beleid,
        )
    ]


def _shape_fields(resource: str, rol: Rol) -> list[str]:
    """The fields of ``rol``'s view (its shape): what it reads in the most open row it may
    read at all (for an opdracht: a soort its kind carries out, in a gemeente that gives the
    BSN). What a given row shows is decided by ``project``."""
    model = get_resource(resource).model
    if resource != "opdracht":
        return readable_fields(resource, rol, same_gemeente=True)
    names: set[str] = set()
    for soort in OPDRACHTTAKEN:
        # Any valid gemeentecode: under the law's maximum every gemeente gives the BSN.
        names.update(
            readable_fields(
                resource, rol, same_gemeente=True, opdrachtsoort=soort, gemeentecode="0000"
            )
        )
    return [name for name in model.model_fields if name in names]


@cache
def _view(resource: str, rol: Rol) -> type[ContractModel] | None:
    # The wall is applied by the caller (``view_model``); the cached view is the linked
    # gemeente's.
    rd = get_resource(resource)
    names = _shape_fields(resource, rol)
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
    resource: str,
    rol: Rol,
    instance: BaseModel,
    *,
    same_gemeente: bool | None = None,
    bsn_beleid: BsnBeleid | None = None,
) -> ContractModel | None:
    """The view of ``instance`` for ``rol``: what a source API returns to that caller (None
    for a gemeente unless ``same_gemeente=True`` is stated).

    The row rules apply with the instance's own soort and gemeentecode: a row ``rol`` may not
    read is None (DUO and a maatschappelijke-begeleiding opdracht), and a field of the view the
    row does not show (the BSN of a non-language opdracht, or of a gemeente whose
    ``bsn_beleid`` gives none) is left empty.

    Rule 14: the target group is applied on top by ``project_doelgroep``.
    """
    view = view_model(resource, rol, same_gemeente=same_gemeente)
    if view is None:
        return None
    soort = getattr(instance, "soort", None) if resource == "opdracht" else None
    code = getattr(instance, "gemeentecode", None) if resource == "opdracht" else None
    readable = set(
        readable_fields(
            resource,
            rol,
            same_gemeente=same_gemeente,
            opdrachtsoort=None if soort is None else str(soort),
            gemeentecode=code,
            bsn_beleid=bsn_beleid,
        )
    )
    if not readable:
        return None
    values: dict[str, Any] = {}
    for name, info in view.model_fields.items():
        if name in readable:
            values[name] = getattr(instance, name)
        elif info.is_required() or info.default is not None:
            # Fail closed: a required field the row hides means the row is not for ``rol``.
            return None
        else:
            values[name] = None
    # Built, not validated again: the values are the validated instance's own, of the same
    # types, and validating them again would decode a ``Base64Bytes`` field a second time.
    return view.model_construct(**values)


# rules 3, 4 ----------------------------------------------------------------------------------
# Purpose-bound reads: nobody holds these as a standing read; the purpose (a request) opens them.


@cache
def _duo_op_verzoek_view() -> type[ContractModel]:
    model = Handhavingsmaatregel
    fields: dict[str, Any] = {
        name: (model.model_fields[name].annotation, model.model_fields[name])
        for name in model.model_fields
        if name in DUO_OP_VERZOEK_VELDEN
    }
    view = create_model(
        "HandhavingsmaatregelDuoOpVerzoekView",
        __base__=ContractModel,
        __doc__="What DUO reads of a gemeente fine named in its request (never a warning).",
        **fields,
    )
    view.__module__ = __name__
    return view


def verzoek_noemt(
    verzoek: Handhavingsverzoek,
    maatregel: Handhavingsmaatregel,
    *,
    gemeentecode: str | None,
    inburgeringsplicht_id: str | None,
) -> bool:
    """Does DUO's ``verzoek`` name this ``maatregel`` of this gemeente? Fail closed.

    ``gemeentecode`` is the serving gemeente (the request must be addressed to it),
    ``inburgeringsplicht_id`` the person reference of the maatregel's dossier (it must be the
    request's). The maatregel must be a fine (seed 001, row "Minister van SZW/DUO": "Door
    gemeente opgelegde boetes, informatie over bezwaar en beroep"; warnings are not listed),
    and either the request lists its id or the request lists no ids (all the person's fines).
    """
    if gemeentecode is None or gemeentecode != verzoek.gemeentecode:
        return False
    if inburgeringsplicht_id is None or inburgeringsplicht_id != verzoek.inburgeringsplicht_id:
        return False
    if maatregel.soort is not Maatregelsoort.BOETE:
        return False
    ids = verzoek.handhavingsmaatregel_ids
    return not ids or maatregel.handhavingsmaatregel_id in ids


def project_op_verzoek(
    maatregel: Handhavingsmaatregel,
    verzoek: Handhavingsverzoek | None,
    *,
    gemeentecode: str | None,
    inburgeringsplicht_id: str | None,
) -> ContractModel | None:
    """What the gemeente's source returns to DUO for ``maatregel`` under ``verzoek``: the fine
    with its objection and appeal data when the request names it (``verzoek_noemt``), else
    None. Without a request DUO reads nothing (``may_read``/``project`` give DUO no field of a
    handhavingsmaatregel at all); a warning is never served."""
    if verzoek is None or not verzoek_noemt(
        verzoek, maatregel, gemeentecode=gemeentecode, inburgeringsplicht_id=inburgeringsplicht_id
    ):
        return None
    view = _duo_op_verzoek_view()
    return view.model_validate({name: getattr(maatregel, name) for name in view.model_fields})


def project_voor_overdracht(
    resource: str,
    instance: BaseModel,
    *,
    gemeentecode: str | None,
    verzoek: Overdrachtsverzoek | None = None,
    pakket: Overdracht | None = None,
) -> ContractModel | None:
    """A read between two gemeenten for a verhuizing hand-over (the caller is ``gemeentecode``);
    None unless the hand-over's purpose covers it. Fail closed.

    - ``overdrachtsverzoek`` (at the new gemeente): the old gemeente it is addressed to reads it.
    - ``overdracht`` (the old gemeente's package): the new gemeente reads it when it answers the
      caller's own request (``verzoek``, fetched from the caller's source).
    - a part of the old dossier (``Onderdeelsoort``: intake, pip, opdracht,
      handhavingsmaatregel, voortgang): the new gemeente reads it as a gemeente when the
      package (``pakket``) addressed to it links it.
    - anything else, the old ``dossier`` above all, is not handed over (the old gemeente keeps
      it: retention, objection and appeal on its fines).
    """
    if gemeentecode is None:
        return None
    if resource == "overdrachtsverzoek":
        if not isinstance(instance, Overdrachtsverzoek):
            return None
        if gemeentecode != instance.vorige_gemeentecode:
            return None
        return project(resource, Rol.GEMEENTE, instance, same_gemeente=True)
    if resource == "overdracht":
        if not isinstance(instance, Overdracht) or verzoek is None:
            return None
        if not (
            gemeentecode == instance.nieuwe_gemeentecode == verzoek.gemeentecode
            and verzoek.vorige_gemeentecode == instance.gemeentecode
            and verzoek.overdrachtsverzoek_id == instance.overdrachtsverzoek_id
            and verzoek.inburgeringsplicht_id == instance.inburgeringsplicht_id
        ):
            return None
        return project(resource, Rol.GEMEENTE, instance, same_gemeente=True)
    if resource not in {s.value for s in Onderdeelsoort} or pakket is None:
        return None
    if gemeentecode != pakket.nieuwe_gemeentecode:
        return None
    rd = get_resource(resource)
    if not isinstance(instance, rd.model):
        return None
    resource_id = getattr(instance, rd.id_field)
    if not any(
        link.soort.value == resource and link.resource_id == resource_id
        for link in pakket.onderdelen
    ):
        return None
    return project(resource, Rol.GEMEENTE, instance, same_gemeente=True)
