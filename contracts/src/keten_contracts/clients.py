"""The client registry: who a ``client_id`` is, for whom it acts and for which purposes.

Rule 13 (seed 002_774eb578c0679392.txt, section 4.2, "Toegang tot gegevens Participatiewet en
vice versa"): inside one gemeente "de medewerker inburgering mag gegevens betreffende de
Participatiewet raadplegen, maar niet wijzigen. Andersom mag de klantmanager Participatiewet
geen gegevens wijzigen die zijn vastgelegd in het kader van de nieuwe Wet inburgering." So the
policy must know the caller's role inside its organisation (``Functie``), the gemeente it acts
for (``namens``: a regional shared-service centre acts for several gemeenten, domain.md
section 1) and the purpose of the call (``Doel``, doelbinding).

None of this comes from the token: ZGW tokens carry ``client_id`` and a user, nothing else, and
a claim the caller writes itself proves nothing. Function and mandate come from this registry
(one ``client_id`` per application x gemeente mandate x functie), the purpose from the endpoint
called; ``keten_contracts.access`` combines them and refuses when any part is missing.

This is the contract only: the core's credential model adds the secret.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final, Self

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from keten_contracts.parties import AANBIEDER_ROLLEN, GEMEENTECODE_PATTERN, OIN_PATTERN, Rol

__all__ = [
    "GEMEENTEFUNCTIES",
    "TOEGESTANE_DOELEN",
    "Client",
    "ClientRegistry",
    "Doel",
    "Functie",
    "toegestane_doelen",
]


class Functie(StrEnum):
    """The role of a user or application inside its organisation.

    Only a gemeente is split: seed 002 section 4.2 separates the medewerker inburgering (the
    regie inburgering) from the klantmanager Participatiewet. Every other organisation has the
    one implicit functie ``organisatie``.
    """

    MEDEWERKER_INBURGERING = "medewerker-inburgering"
    KLANTMANAGER_PARTICIPATIEWET = "klantmanager-participatiewet"
    # The gemeente's privacy officer (functionaris gegevensbescherming, art. 37-39 AVG): answers
    # a person's request for access to the processing log; reads no inburgering data itself.
    PRIVACYFUNCTIONARIS = "privacyfunctionaris"
    # The operator of the gemeente's notification subscriptions at the router (often an SSC's,
    # one credential per mandated gemeente): sees their delivery logs, resends and replays;
    # reads no inburgering data.
    NOTIFICATIEBEHEERDER = "notificatiebeheerder"
    ORGANISATIE = "organisatie"


GEMEENTEFUNCTIES: Final = frozenset(
    {
        Functie.MEDEWERKER_INBURGERING,
        Functie.KLANTMANAGER_PARTICIPATIEWET,
        Functie.PRIVACYFUNCTIONARIS,
        Functie.NOTIFICATIEBEHEERDER,
    }
)


class Doel(StrEnum):
    """The purpose of one call (doelbinding). Set by the endpoint, never by the caller."""

    # The gemeente's regie (art. 35 Wet); it may also use Participatiewet data "wanneer dat
    # nodig is" (seed 002 section 4.2, art. 35 lid 5 Wet: the "spiegelbepaling").
    UITVOERING_INBURGERING = "uitvoering-inburgering"
    # Seed 002 section 4.2: "het college is bevoegd de gegevens die het heeft verkregen bij de
    # uitvoering van de nieuwe Wet inburgering, ook te verwerken [...] voor de uitvoering van
    # Participatiewet" (art. 67a Participatiewet).
    UITVOERING_PARTICIPATIEWET = "uitvoering-participatiewet"
    # The hand-over after a move (art. 9.4 lid 4 Besluit; seed 002 section 4.5).
    VERHUIZING_OVERDRACHT = "verhuizing-overdracht"
    # DUO's standing reads: plicht, termijnen, PIP, MAP, PVT, leerroute (seed 001, row
    # "Minister van SZW/DUO").
    PLICHT_EN_TERMIJNEN = "plicht-en-termijnen"
    # DUO's incidental request for gemeente fines (seed 002 section 4.7: "Dit zijn incidentele
    # verzoeken").
    HANDHAVINGSVERZOEK = "handhavingsverzoek"
    # COA: koppeling and klantprofiel (domain.md section 1).
    KOPPELING_EN_KLANTPROFIEL = "koppeling-en-klantprofiel"
    # CBS: the Statistiek Wet Inburgering (domain.md section 5).
    STATISTIEK_SWI = "statistiek-swi"
    # An aanbieder on its own opdracht (art. 35 lid 3 Wet).
    OPDRACHT_UITVOERING = "opdracht-uitvoering"
    # The right of access (art. 15 AVG): who processed a person's data, when and what for
    # (seed 000, DPIA: "Hoe kunnen betrokkenen hun recht op toegang [...] uitoefenen?"). It
    # opens the processing log of the gemeente's own data, never the data itself.
    INZAGEVERZOEK = "inzageverzoek"
    # Operating the gemeente's subscriptions at the router: delivery logs (thin: ids, states,
    # attempts), resend and replay. Opens no resource.
    BEHEER_NOTIFICATIES = "beheer-notificaties"


_AANBIEDER_DOELEN: Final = frozenset({Doel.OPDRACHT_UITVOERING})

# The purposes a client of (rol, functie) may be registered for. The klantmanager
# Participatiewet has no inburgering purpose (it reads inburgering data for the
# Participatiewet, seed 002 section 4.2) and, like the medewerker, never DUO's request.
TOEGESTANE_DOELEN: Final[Mapping[tuple[Rol, Functie], frozenset[Doel]]] = MappingProxyType(
    {
        (Rol.GEMEENTE, Functie.MEDEWERKER_INBURGERING): frozenset(
            {Doel.UITVOERING_INBURGERING, Doel.VERHUIZING_OVERDRACHT}
        ),
        (Rol.GEMEENTE, Functie.KLANTMANAGER_PARTICIPATIEWET): frozenset(
            {Doel.UITVOERING_PARTICIPATIEWET}
        ),
        (Rol.GEMEENTE, Functie.PRIVACYFUNCTIONARIS): frozenset({Doel.INZAGEVERZOEK}),
        (Rol.GEMEENTE, Functie.NOTIFICATIEBEHEERDER): frozenset({Doel.BEHEER_NOTIFICATIES}),
        (Rol.DUO, Functie.ORGANISATIE): frozenset(
            {Doel.PLICHT_EN_TERMIJNEN, Doel.HANDHAVINGSVERZOEK}
        ),
        (Rol.COA, Functie.ORGANISATIE): frozenset({Doel.KOPPELING_EN_KLANTPROFIEL}),
        (Rol.CBS, Functie.ORGANISATIE): frozenset({Doel.STATISTIEK_SWI}),
        **{(rol, Functie.ORGANISATIE): _AANBIEDER_DOELEN for rol in AANBIEDER_ROLLEN},
    }
)


def toegestane_doelen(rol: Rol, functie: Functie) -> frozenset[Doel]:
    """The purposes open to (rol, functie); empty for a combination that does not exist."""
    return TOEGESTANE_DOELEN.get((rol, functie), frozenset())


class Client(BaseModel):
    """One registered client: an application of one organisation, calling one service, for
    one gemeente (gemeenten and SSCs) in one functie, for a fixed set of purposes.

    ``oin`` is the caller's own OIN: for an SSC that of the SSC, never of the gemeente.
    ``namens`` is the ONE gemeente the client acts for: required for rol gemeente (the gemeente
    itself, or the mandating gemeente of an SSC; an SSC working for three gemeenten has three
    client_ids), forbidden for every other rol. No secrets here.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    client_id: str = Field(min_length=1, max_length=200)
    service: str = Field(
        min_length=1, max_length=100, description="the service called, e.g. dossier-bron"
    )
    oin: str = Field(pattern=OIN_PATTERN, description="OIN of the calling organisation")
    rol: Rol
    functie: Functie = Functie.ORGANISATIE
    namens: str | None = Field(
        default=None,
        pattern=GEMEENTECODE_PATTERN,
        description="gemeentecode of the one gemeente this client acts for (gemeenten only)",
    )
    doelen: frozenset[Doel] = Field(min_length=1)

    @model_validator(mode="after")
    def _past_bij_rol(self) -> Self:
        if self.rol is Rol.GEMEENTE:
            if self.namens is None:
                raise ValueError("a gemeente client needs namens (the mandating gemeentecode)")
            if self.functie not in GEMEENTEFUNCTIES:
                raise ValueError(
                    "a gemeente client is a medewerker-inburgering or a "
                    "klantmanager-participatiewet (or the privacyfunctionaris)"
                )
        else:
            if self.namens is not None:
                raise ValueError(f"namens is for gemeente clients only, not for rol {self.rol}")
            if self.functie is not Functie.ORGANISATIE:
                raise ValueError(f"functie {self.functie} is for gemeente clients only")
        extra = self.doelen - toegestane_doelen(self.rol, self.functie)
        if extra:
            raise ValueError(
                f"doel(en) {sorted(d.value for d in extra)} do not fit rol {self.rol} with "
                f"functie {self.functie}"
            )
        return self


_CLIENT_LIST: Final = TypeAdapter(list[Client])


class ClientRegistry:
    """All registered clients by ``client_id``; loading refuses a ``client_id`` twice (it
    would make the mandate or functie of a call ambiguous)."""

    def __init__(self, clients: Iterable[Client] = ()) -> None:
        by_id: dict[str, Client] = {}
        for client in clients:
            if client.client_id in by_id:
                raise ValueError(f"client_id {client.client_id!r} is registered twice")
            by_id[client.client_id] = client
        self._by_id: Mapping[str, Client] = MappingProxyType(by_id)

    @classmethod
    def from_config(cls, data: Any) -> ClientRegistry:
        """From configuration: a JSON text, a list of entries, or ``{"clients": [...]}``."""
        if isinstance(data, str | bytes):
            data = json.loads(data)
        if isinstance(data, Mapping):
            unknown = set(data) - {"clients"}
            if unknown:
                raise ValueError(f"unknown registry key(s): {sorted(unknown)!r}")
            data = data.get("clients", [])
        return cls(_CLIENT_LIST.validate_python(data))

    def resolve(self, client_id: str | None, *, service: str | None = None) -> Client | None:
        """The client registered as ``client_id`` (for ``service``, when given); None when
        unknown or registered for another service."""
        if not client_id:
            return None
        client = self._by_id.get(client_id)
        if client is None or (service is not None and client.service != service):
            return None
        return client

    def __contains__(self, client_id: object) -> bool:
        return client_id in self._by_id

    def __iter__(self) -> Iterator[Client]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)
