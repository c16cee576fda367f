"""The policy decision for one call, from its resolved context (rules 13 and 14).

A source answers every read and write with these functions, never with the keyword functions
of ``keten_contracts.policy`` directly: here a forgotten fact is a refusal, not a default.

- ``Toegang``: who calls and why. The ``Client`` comes from the client registry (by the token's
  ``client_id``): organisation, rol, functie inside the organisation and the one gemeente it
  acts for; the ``Doel`` comes from the endpoint called. Never from token claims.
- ``Rij``: the facts of the row read or written (its gemeente, the person's doelgroep, the
  opdracht's soort and aanbieder, the BSN policy, and the request or hand-over package a
  purpose-bound read rests on). ``Rij.van`` takes the facts an instance carries itself.
- ``mag_lezen``/``projecteer``: the read, built on ``policy.may_read_doelgroep``,
  ``project_doelgroep``, ``project_op_verzoek`` and ``project_voor_overdracht``.
- ``mag_wijzigen``: the write, with the wall inside the gemeente.

Fail closed everywhere: no context, no row, a row without gemeentecode, a gemeente row of
another gemeente than the client's mandate, a purpose the client is not registered for or that
does not open the data, an unknown resource or field: no.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

from pydantic import BaseModel

from keten_contracts.clients import Client, Doel, Functie, toegestane_doelen
from keten_contracts.common import ContractModel, Doelgroep
from keten_contracts.parties import Rol, is_gemeentecode, opdrachttaak
from keten_contracts.policy import (
    WETTELIJK_MAXIMUM,
    BsnBeleid,
    doelgroep_allows,
    may_read,
    may_read_doelgroep,
    project_doelgroep,
    project_op_verzoek,
    project_voor_overdracht,
    veldnaam,
    verberg_taalinspanning,
)
from keten_contracts.resources import RESOURCES, get_resource
from keten_contracts.resources.gemeente import (
    DUO_OP_VERZOEK_VELDEN,
    Handhavingsmaatregel,
    Handhavingsverzoek,
    Onderdeelsoort,
    Opdracht,
    Overdracht,
    Overdrachtsverzoek,
)

__all__ = [
    "GEGEVENSDOMEIN",
    "SCHRIJVERS",
    "STAANDE_LEESDOELEN",
    "Rij",
    "Toegang",
    "Wet",
    "mag_lezen",
    "mag_wijzigen",
    "projecteer",
    "toegang",
]


@dataclass(frozen=True)
class Toegang:
    """The resolved context of one call: the registered client and the endpoint's purpose.
    A purpose the client is not registered for cannot be constructed."""

    client: Client
    doel: Doel

    def __post_init__(self) -> None:
        if not isinstance(self.client, Client):
            raise TypeError("client must be a registered Client")
        doel = Doel(self.doel)
        object.__setattr__(self, "doel", doel)
        if doel not in self.client.doelen:
            raise ValueError(
                f"client {self.client.client_id!r} is not registered for doel {doel.value!r}"
            )

    def kenmerken(self) -> dict[str, str]:
        """Who processed for what, for the processing log (no personal data)."""
        out = {
            "clientId": self.client.client_id,
            "oin": self.client.oin,
            "rol": self.client.rol.value,
            "functie": self.client.functie.value,
            "doel": self.doel.value,
        }
        if self.client.namens is not None:
            out["namens"] = self.client.namens
        return out


def toegang(client: Client | None, doel: Doel | None) -> Toegang | None:
    """The context of a call, or None (a refusal downstream) when the client is unknown, the
    endpoint states no purpose, or the client is not registered for it."""
    if client is None or doel is None or doel not in client.doelen:
        return None
    return Toegang(client, doel)


@dataclass(frozen=True)
class Rij:
    """The facts of the row read or written. Every read and write needs ``gemeentecode`` (the
    gemeente the person or dossier belongs to); the other facts are needed where a rule asks
    for them, and missing there means no."""

    gemeentecode: str | None = None
    doelgroep: Doelgroep | None = None
    opdrachtsoort: str | None = None
    aanbieder_oin: str | None = None
    inburgeringsplicht_id: str | None = None
    bsn_beleid: BsnBeleid = WETTELIJK_MAXIMUM
    # Purpose-bound reads: DUO's request (fetched from DUO), the hand-over request and package.
    handhavingsverzoek: Handhavingsverzoek | None = None
    overdrachtsverzoek: Overdrachtsverzoek | None = None
    overdracht: Overdracht | None = None

    def __post_init__(self) -> None:
        if self.doelgroep is not None:
            object.__setattr__(self, "doelgroep", Doelgroep(self.doelgroep))
        if self.opdrachtsoort is not None:
            object.__setattr__(self, "opdrachtsoort", str(self.opdrachtsoort))

    @classmethod
    def van(cls, instance: BaseModel, **feiten: Any) -> Rij:
        """The facts ``instance`` carries itself plus ``feiten`` the source knows besides
        (e.g. the dossier's gemeentecode and doelgroep); a contradiction is an error."""
        rij = _met_eigen_feiten(cls(**feiten), instance)
        if rij is None:
            raise ValueError("the row facts contradict the instance")
        return rij


def _eigen_feiten(instance: BaseModel) -> dict[str, Any]:
    """The row facts an instance states itself (``soort`` is an opdracht's soort only)."""
    eigen: dict[str, Any] = {}
    for naam in ("gemeentecode", "doelgroep", "aanbieder_oin", "inburgeringsplicht_id"):
        waarde = getattr(instance, naam, None)
        if waarde is not None:
            eigen[naam] = waarde
    soort = instance.soort if isinstance(instance, Opdracht) else None
    soort = getattr(instance, "opdrachtsoort", None) if soort is None else soort
    if soort is not None:
        eigen["opdrachtsoort"] = str(soort)
    return eigen


def _met_eigen_feiten(rij: Rij, instance: BaseModel) -> Rij | None:
    """``rij`` completed with the instance's own facts; None when they contradict it."""
    aanvulling: dict[str, Any] = {}
    for naam, waarde in _eigen_feiten(instance).items():
        huidig = getattr(rij, naam)
        if huidig is None:
            aanvulling[naam] = waarde
        elif str(huidig) != str(waarde):
            return None
    return replace(rij, **aanvulling) if aanvulling else rij


def _compleet(toegang: Toegang | None, rij: Rij | None) -> tuple[Toegang, Rij] | None:
    """Both parts of the context when every part is there and consistent, else None (checked
    again here: a ``Client`` built with ``model_construct`` skips its validators)."""
    if not isinstance(toegang, Toegang) or not isinstance(rij, Rij):
        return None
    if rij.gemeentecode is None or not is_gemeentecode(rij.gemeentecode):
        return None
    client = toegang.client
    if toegang.doel not in client.doelen:
        return None
    if toegang.doel not in toegestane_doelen(client.rol, client.functie):
        return None
    if client.rol is Rol.GEMEENTE and client.namens is None:
        return None
    return toegang, rij


def _veldvraag(
    toegang: Toegang | None, rij: Rij | None, resource: str, field: str
) -> tuple[Client, Doel, Rij, str] | None:
    """The complete context of a question about one field, or None (a refusal)."""
    context = _compleet(toegang, rij)
    naam = veldnaam(resource, field)
    if context is None or naam is None:
        return None
    return context[0].client, context[0].doel, context[1], naam


def _eigen_gemeente(client: Client, rij: Rij) -> bool:
    """The schotten: a gemeente client reads and writes only rows of its mandated gemeente."""
    return client.rol is Rol.GEMEENTE and client.namens == rij.gemeentecode


def _staande_rij_past(client: Client, rij: Rij) -> bool:
    """The row rules of a standing read: a gemeente's own rows, an aanbieder's own opdracht."""
    if client.rol is Rol.GEMEENTE:
        return _eigen_gemeente(client, rij)
    if client.rol.is_aanbieder:
        return rij.aanbieder_oin is not None and rij.aanbieder_oin == client.oin
    return True


def _context(client: Client, rij: Rij) -> dict[str, Any]:
    return {
        "same_gemeente": _eigen_gemeente(client, rij),
        "opdrachtsoort": rij.opdrachtsoort,
        "gemeentecode": rij.gemeentecode,
        "bsn_beleid": rij.bsn_beleid,
    }


# Purposes that open a standing read (what ``policy.may_read`` gives the client's rol). The
# other two are purpose-bound: they open one read, resting on a request or package in the row.
STAANDE_LEESDOELEN: Final = frozenset(
    {
        Doel.UITVOERING_INBURGERING,
        Doel.UITVOERING_PARTICIPATIEWET,
        Doel.PLICHT_EN_TERMIJNEN,
        Doel.KOPPELING_EN_KLANTPROFIEL,
        Doel.STATISTIEK_SWI,
        Doel.OPDRACHT_UITVOERING,
    }
)

_OVERDRACHT_ONDERDELEN: Final = frozenset(s.value for s in Onderdeelsoort)


def _op_verzoek_gericht(resource: str, rij: Rij) -> bool:
    """DUO's request is addressed to the row's gemeente and names the row's person."""
    verzoek = rij.handhavingsverzoek
    return (
        resource == "handhavingsmaatregel"
        and verzoek is not None
        and verzoek.gemeentecode == rij.gemeentecode
        and rij.inburgeringsplicht_id is not None
        and verzoek.inburgeringsplicht_id == rij.inburgeringsplicht_id
    )


def _overdracht_gericht(client: Client, resource: str, rij: Rij) -> bool:
    """The hand-over facts in the row are addressed to the caller's gemeente (whether the
    package links this very part is ``project_voor_overdracht``'s check, per instance)."""
    code = client.namens
    verzoek, pakket = rij.overdrachtsverzoek, rij.overdracht
    if resource == "overdrachtsverzoek":
        # The old gemeente reads the new gemeente's request.
        return (
            verzoek is not None
            and verzoek.vorige_gemeentecode == code
            and verzoek.gemeentecode == rij.gemeentecode
        )
    if resource != "overdracht" and resource not in _OVERDRACHT_ONDERDELEN:
        return False
    if pakket is None or pakket.nieuwe_gemeentecode != code:
        return False
    if pakket.gemeentecode != rij.gemeentecode:
        return False
    if resource == "overdracht":
        # The package answers the caller's own request.
        return (
            verzoek is not None
            and verzoek.gemeentecode == code
            and verzoek.overdrachtsverzoek_id == pakket.overdrachtsverzoek_id
        )
    return True


def mag_lezen(toegang: Toegang | None, resource: str, field: str, rij: Rij | None) -> bool:
    """May the caller read ``field`` (Python or wire name) of ``resource`` in this row?

    For the field in this row as far as the row's facts go; which instance a purpose-bound
    request or package names is decided by ``projecteer``. The target-group rule applies
    (rule 14): a gemeente reads language efforts only of a row stated to be an
    asielstatushouder's (``rij.doelgroep``).
    """
    vraag = _veldvraag(toegang, rij, resource, field)
    if vraag is None:
        return False
    client, doel, rij, naam = vraag
    if doel is Doel.HANDHAVINGSVERZOEK:
        # Rules 3, 4: DUO reads a fine's DUO_OP_VERZOEK_VELDEN for its request, nothing else.
        return (
            client.rol is Rol.DUO
            and naam in DUO_OP_VERZOEK_VELDEN
            and _op_verzoek_gericht(resource, rij)
        )
    if doel is Doel.VERHUIZING_OVERDRACHT:
        if client.rol is not Rol.GEMEENTE or not _overdracht_gericht(client, resource, rij):
            return False
        # Read as the (newly) linked gemeente.
        return may_read_doelgroep(
            Rol.GEMEENTE,
            resource,
            naam,
            doelgroep=rij.doelgroep,
            **{**_context(client, rij), "same_gemeente": True},
        )
    if doel not in STAANDE_LEESDOELEN or not _staande_rij_past(client, rij):
        return False
    return may_read_doelgroep(
        client.rol, resource, naam, doelgroep=rij.doelgroep, **_context(client, rij)
    )


def projecteer(
    toegang: Toegang | None, resource: str, instance: BaseModel, rij: Rij | None
) -> ContractModel | None:
    """What the source returns to the caller for ``instance`` of ``resource``; None when
    nothing. The instance's own facts complete ``rij``; a contradiction is a refusal."""
    context = _compleet(toegang, rij)
    if context is None:
        return None
    toegang, rij = context
    if resource not in RESOURCES or not isinstance(instance, get_resource(resource).model):
        return None
    volledig = _met_eigen_feiten(rij, instance)
    if volledig is None:
        return None
    client, doel = toegang.client, toegang.doel
    if doel is Doel.HANDHAVINGSVERZOEK:
        if client.rol is not Rol.DUO or not isinstance(instance, Handhavingsmaatregel):
            return None
        if not _op_verzoek_gericht(resource, volledig):
            return None
        return project_op_verzoek(
            instance,
            volledig.handhavingsverzoek,
            gemeentecode=volledig.gemeentecode,
            inburgeringsplicht_id=volledig.inburgeringsplicht_id,
        )
    if doel is Doel.VERHUIZING_OVERDRACHT:
        if client.rol is not Rol.GEMEENTE or not _overdracht_gericht(client, resource, volledig):
            return None
        shown = project_voor_overdracht(
            resource,
            instance,
            gemeentecode=client.namens,
            verzoek=volledig.overdrachtsverzoek,
            pakket=volledig.overdracht,
        )
        if shown is None:
            return None
        # Rule 14 holds in a hand-over too.
        return verberg_taalinspanning(resource, Rol.GEMEENTE, shown, volledig.doelgroep)
    if doel not in STAANDE_LEESDOELEN or not _staande_rij_past(client, volledig):
        return None
    return project_doelgroep(
        resource,
        client.rol,
        instance,
        doelgroep=volledig.doelgroep,
        same_gemeente=_eigen_gemeente(client, volledig),
        bsn_beleid=volledig.bsn_beleid,
    )


# rule 13 -- the wall inside the gemeente ------------------------------------------------------
class Wet(StrEnum):
    """The law a gemeente registered data under."""

    INBURGERING = "wet-inburgering"
    PARTICIPATIEWET = "participatiewet"


# Every resource of the gemeente's source, by the law it is registered under. Listed, not
# derived: a new gemeente resource is written by no one until it is classified here.
GEGEVENSDOMEIN: Final = MappingProxyType(
    {
        **{
            naam: Wet.INBURGERING
            for naam in (
                "dossier",
                "intake",
                "pip",
                "inburgeringsaanbod",
                "opdracht",
                "map",
                "pvt",
                "handhavingsmaatregel",
                "voortgang",
                "overdrachtsverzoek",
                "overdracht",
                "verlengingsinformatie",
                "urenverantwoording",
                "begeleiding",
                "traject-gestart-rapport",
                "voortgang-rapport",
                "resultaat-rapport",
                "advies-rapport",
                "z-route-resultaat-rapport",
                "traject-beeindigd-rapport",
                "termijnoverschrijding",
            )
        },
        "participatiewet-maatregel": Wet.PARTICIPATIEWET,
    }
)

# Seed 002_774eb578c0679392.txt (section 4.2): "de medewerker inburgering mag gegevens
# betreffende de Participatiewet raadplegen, maar niet wijzigen. Andersom mag de klantmanager
# Participatiewet geen gegevens wijzigen die zijn vastgelegd in het kader van de nieuwe Wet
# inburgering." Reading is open to both (art. 35 lid 5 Wet, art. 67a Participatiewet); writing
# is for the one functie, under its own law's purpose.
SCHRIJVERS: Final = MappingProxyType(
    {
        Wet.INBURGERING: (Functie.MEDEWERKER_INBURGERING, Doel.UITVOERING_INBURGERING),
        Wet.PARTICIPATIEWET: (
            Functie.KLANTMANAGER_PARTICIPATIEWET,
            Doel.UITVOERING_PARTICIPATIEWET,
        ),
    }
)
# end rule 13

# The fields of an aanbieder report the source sets from the opdracht, never from the body
# (resources/gemeente.py, "thin reports": the aanbieder cannot steer the routing).
_RAPPORT_BRONVELDEN: Final = frozenset(
    {"rapport_id", "opdracht_id", "dossier_id", "gemeentecode", "opdrachtsoort", "aanbiedersoort"}
)
# The fields of a DUO signaal the linked gemeente writes: it ticks the signaal off.
_SIGNAAL_AFHANDELING: Final = frozenset({"status", "afgehandeld_door", "afgehandeld_op"})
# The purpose under which each other owner writes its own resources.
_EIGENAAR_SCHRIJFDOEL: Final = MappingProxyType(
    {
        Rol.DUO: Doel.PLICHT_EN_TERMIJNEN,
        Rol.COA: Doel.KOPPELING_EN_KLANTPROFIEL,
        Rol.CBS: Doel.STATISTIEK_SWI,
    }
)


def _rapport_schrijfbaar(client: Client, resource: str, naam: str, rij: Rij) -> bool:
    """An aanbieder submits a report on its own opdracht, of a soort its kind carries out."""
    rapporteurs = getattr(get_resource(resource).model, "RAPPORTEURS", frozenset())
    taak = opdrachttaak(rij.opdrachtsoort)
    if client.rol not in rapporteurs or taak is None or client.rol not in taak.uitvoerders:
        return False
    if rij.aanbieder_oin is None or rij.aanbieder_oin != client.oin:
        return False
    if naam in _RAPPORT_BRONVELDEN:
        return False
    if naam == "bsn":
        # The BSN only where the aanbieder may hold the opdracht's BSN (task and BsnBeleid).
        return may_read(
            client.rol,
            "opdracht",
            "bsn",
            opdrachtsoort=rij.opdrachtsoort,
            gemeentecode=rij.gemeentecode,
            bsn_beleid=rij.bsn_beleid,
        )
    return True


def mag_wijzigen(toegang: Toegang | None, resource: str, field: str, rij: Rij | None) -> bool:
    """May the caller create or change ``field`` of ``resource`` in this row?

    - The gemeente's data: only of its mandated gemeente, and only by the functie of the law
      the data is registered under (``GEGEVENSDOMEIN``, ``SCHRIJVERS``). A language-effort
      field only of a row stated to be an asielstatushouder's (rule 14: what the gemeente may
      not receive it does not register either).
    - Aanbieder reports: only by an aanbieder of a kind that reports, on its own opdracht; the
      gemeente does not change them (seed 002 section 4.2: "belangrijk dat gegevens
      'onderweg' niet wijzigen, zodat alle partijen met dezelfde gegevens werken").
    - A DUO signaal: DUO raises it, the linked gemeente's medewerker inburgering ticks it off.
    - Everything else: its owner (DUO, COA, CBS) under its own purpose; DUO's request under
      ``handhavingsverzoek``. Purpose-bound reads (``verhuizing-overdracht``) never write.
    """
    vraag = _veldvraag(toegang, rij, resource, field)
    if vraag is None:
        return False
    client, doel, rij, naam = vraag
    if client.rol is Rol.GEMEENTE and not _eigen_gemeente(client, rij):
        return False
    eigenaar = get_resource(resource).owner
    if eigenaar is Rol.GEMEENTE:
        wet = GEGEVENSDOMEIN.get(resource)
        if wet is None:
            return False
        if hasattr(get_resource(resource).model, "RAPPORTEURS"):
            return doel is Doel.OPDRACHT_UITVOERING and _rapport_schrijfbaar(
                client, resource, naam, rij
            )
        if client.rol is not Rol.GEMEENTE or (client.functie, doel) != SCHRIJVERS[wet]:
            return False
        return doelgroep_allows(Rol.GEMEENTE, resource, naam, rij.doelgroep)
    if resource == "signaal" and naam in _SIGNAAL_AFHANDELING:
        return client.rol is Rol.GEMEENTE and (client.functie, doel) == SCHRIJVERS[Wet.INBURGERING]
    if client.rol is not eigenaar:
        return False
    if resource == "handhavingsverzoek":
        return doel is Doel.HANDHAVINGSVERZOEK
    return doel is _EIGENAAR_SCHRIJFDOEL.get(eigenaar)
