"""The code lists of the SWI record layout: every countable item is a code, never free text.

CBS's own record layout and code lists are not public (seed 002_774eb578c0679392.txt, section
2: "De wijze van aanleveren van gegevens aan het CBS is beschreven in de (nog te verschijnen)
Richtlijnen van het CBS"), so these are the project's own. Each list has a version; the layout
version pins the versions of its lists. Changing a list (a code added, dropped or re-described)
raises the list's version and the layout version, and the XSD changes with it
(tests/contract/test_swi_layout.py fails when one side changes alone).

Codes are short numbers, independent of the spelling of the contracts' enums: a renamed enum
value in a resource must not change what a delivered file means. ``keten_contracts.swi.bron``
maps the resources' values onto these codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final


@dataclass(frozen=True)
class Codelijst:
    """One code list: its name (the XSD simple type), version, codes and their omschrijving."""

    naam: str
    versie: int
    codes: type[StrEnum]
    omschrijvingen: Mapping[StrEnum, str]

    def __post_init__(self) -> None:
        if set(self.omschrijvingen) != set(self.codes):
            raise ValueError(f"code list {self.naam}: every code needs one omschrijving")
        if self.versie < 1:
            raise ValueError(f"code list {self.naam}: versions start at 1")

    def omschrijving(self, code: StrEnum | str) -> str:
        return self.omschrijvingen[self.codes(code)]


def _lijst(naam: str, versie: int, codes: type[StrEnum], **omschrijving: str) -> Codelijst:
    # Keyed by member name, so a typo in a name is an error here, not a missing description.
    return Codelijst(
        naam, versie, codes, MappingProxyType({codes[k]: v for k, v in omschrijving.items()})
    )


class SwiDoelgroep(StrEnum):
    ASIELSTATUSHOUDER = "1"
    GEZINSMIGRANT = "2"
    OVERIGE_MIGRANT = "3"


# Seed 001_6bf09e723ef6bb05.txt (row "Centraal Bureau voor de Statistiek"): "h. Het
# opleidingsniveau van de inburgeraar". Most education was followed abroad, so the
# international ISCED 2011 levels (which CBS also uses) rather than Dutch school types.
class Opleidingsniveau(StrEnum):
    ISCED_0 = "0"
    ISCED_1 = "1"
    ISCED_2 = "2"
    ISCED_3 = "3"
    ISCED_4 = "4"
    ISCED_5 = "5"
    ISCED_6 = "6"
    ISCED_7 = "7"
    ISCED_8 = "8"


# "i. Analfabetisme en anders- alfabetisme van de inburgeraar" (seed 001, row CBS).
class SwiAlfabetisering(StrEnum):
    GEALFABETISEERD = "1"
    ANALFABEET = "2"
    ANDERS_GEALFABETISEERD = "3"


# The brede intake is completed with the person, or without after 3 missed invitations.
class IntakeAfronding(StrEnum):
    MET_INBURGERAAR = "1"
    ZONDER_INBURGERAAR = "2"


# Seed 002_774eb578c0679392.txt (section 3.4.2): "De leerbaarheidstoets geeft antwoord op de
# vraag of de inburgeringsplichtige in staat is binnen de inburgeringstermijn het taalniveau te
# behalen dat nodig is voor de leerroute (B1)."
class LbtUitkomst(StrEnum):
    B1_HAALBAAR = "1"
    B1_NIET_HAALBAAR = "2"


class SwiLeerroute(StrEnum):
    B1_ROUTE = "1"
    ONDERWIJSROUTE = "2"
    Z_ROUTE = "3"


# "b. Het persoonlijk plan inburgering en participatie: de vaststelling; indien van
# toepassing, de wijziging" and "d. Leerroutes: [...] wisseling van route; afschaling".
class PipWijzigingCode(StrEnum):
    LEERROUTE_GEWISSELD = "1"
    AFGESCHAALD = "2"
    INTENSITEIT_GEWIJZIGD = "3"
    VRIJSTELLING_VERWERKT = "4"
    OVERIG = "9"


# "e. De cursussen: naam cursusinstelling; deelname; soort cursus": the language part of a
# leerroute (MAP, PVT, maatschappelijke begeleiding and the LBT have sections of their own).
class Cursussoort(StrEnum):
    B1_CURSUS = "1"
    ONDERWIJSROUTE = "2"
    TAALSCHAKELTRAJECT = "3"
    Z_ROUTE = "4"


class Cursusdeelname(StrEnum):
    AANGEMELD = "1"
    GESTART = "2"
    AFGEROND = "3"
    BEEINDIGD = "4"


# MAP and PVT ("a. De deelname aan trajectonderdelen").
class Trajectstatus(StrEnum):
    GEPLAND = "1"
    LOPEND = "2"
    AFGEROND = "3"
    NIET_AFGEROND = "4"


# Seed 002 section 4.7: "waarschuwingen (aantal en reden) en boetes (aantal, reden en hoogte)".
class Handhavingsreden(StrEnum):
    NIET_VERSCHENEN_INTAKE = "1"
    NIET_MEEWERKEN_INTAKE = "2"
    PIP_AFSPRAKEN_NIET_NAGEKOMEN = "3"
    MAP_NIET_MEEWERKEN = "4"
    PVT_NIET_MEEWERKEN = "5"


DOELGROEP: Final = _lijst(
    "Doelgroep",
    1,
    SwiDoelgroep,
    ASIELSTATUSHOUDER="Asielstatushouder",
    GEZINSMIGRANT="Gezinsmigrant",
    OVERIGE_MIGRANT="Overige migrant",
)
OPLEIDINGSNIVEAU: Final = _lijst(
    "Opleidingsniveau",
    1,
    Opleidingsniveau,
    ISCED_0="ISCED 0: geen of minder dan lager onderwijs",
    ISCED_1="ISCED 1: lager (basis)onderwijs",
    ISCED_2="ISCED 2: lager voortgezet onderwijs",
    ISCED_3="ISCED 3: hoger voortgezet onderwijs",
    ISCED_4="ISCED 4: post-secundair, niet-tertiair onderwijs",
    ISCED_5="ISCED 5: kort tertiair onderwijs",
    ISCED_6="ISCED 6: bachelor of gelijkwaardig",
    ISCED_7="ISCED 7: master of gelijkwaardig",
    ISCED_8="ISCED 8: doctoraat of gelijkwaardig",
)
ALFABETISERING: Final = _lijst(
    "Alfabetisering",
    1,
    SwiAlfabetisering,
    GEALFABETISEERD="Gealfabetiseerd in het Latijnse schrift",
    ANALFABEET="Analfabeet",
    ANDERS_GEALFABETISEERD="Anders gealfabetiseerd (ander schrift dan het Latijnse)",
)
INTAKE_AFRONDING: Final = _lijst(
    "IntakeAfronding",
    1,
    IntakeAfronding,
    MET_INBURGERAAR="Afgerond met de inburgeraar",
    ZONDER_INBURGERAAR="Afgerond zonder de inburgeraar (drie keer niet verschenen)",
)
LBT_UITKOMST: Final = _lijst(
    "LbtUitkomst",
    1,
    LbtUitkomst,
    B1_HAALBAAR="B1 haalbaar binnen de inburgeringstermijn",
    B1_NIET_HAALBAAR="B1 niet haalbaar binnen de inburgeringstermijn",
)
LEERROUTE: Final = _lijst(
    "Leerroute",
    1,
    SwiLeerroute,
    B1_ROUTE="B1-route",
    ONDERWIJSROUTE="Onderwijsroute",
    Z_ROUTE="Zelfredzaamheidsroute (Z-route)",
)
PIP_WIJZIGING: Final = _lijst(
    "PipWijziging",
    1,
    PipWijzigingCode,
    LEERROUTE_GEWISSELD="Wisseling van leerroute",
    AFGESCHAALD="Afschaling van B1 naar A2",
    INTENSITEIT_GEWIJZIGD="Intensiteit gewijzigd",
    VRIJSTELLING_VERWERKT="Vrijstelling verwerkt",
    OVERIG="Overige wijziging",
)
CURSUSSOORT: Final = _lijst(
    "Cursussoort",
    1,
    Cursussoort,
    B1_CURSUS="Cursus B1-route",
    ONDERWIJSROUTE="Onderwijsroute",
    TAALSCHAKELTRAJECT="Taalschakeltraject",
    Z_ROUTE="Z-route (taal en participatie)",
)
CURSUSDEELNAME: Final = _lijst(
    "Cursusdeelname",
    1,
    Cursusdeelname,
    AANGEMELD="Aangemeld (opdracht verstrekt, niet gestart)",
    GESTART="Gestart",
    AFGEROND="Afgerond",
    BEEINDIGD="Beëindigd zonder afronding",
)
TRAJECTSTATUS: Final = _lijst(
    "Trajectstatus",
    1,
    Trajectstatus,
    GEPLAND="Gepland, niet gestart",
    LOPEND="Gestart, loopt",
    AFGEROND="Afgerond",
    NIET_AFGEROND="Niet afgerond",
)
HANDHAVINGSREDEN: Final = _lijst(
    "Handhavingsreden",
    1,
    Handhavingsreden,
    NIET_VERSCHENEN_INTAKE="Niet verschenen op de brede intake",
    NIET_MEEWERKEN_INTAKE="Niet meewerken aan de brede intake (incl. de leerbaarheidstoets)",
    PIP_AFSPRAKEN_NIET_NAGEKOMEN="Afspraken uit het PIP niet nagekomen",
    MAP_NIET_MEEWERKEN="Niet meewerken aan de MAP",
    PVT_NIET_MEEWERKEN="Niet meewerken aan het PVT",
)

# Every code list of the layout, by name (= the XSD simple type).
CODELIJSTEN: Final[Mapping[str, Codelijst]] = MappingProxyType(
    {
        c.naam: c
        for c in (
            DOELGROEP,
            OPLEIDINGSNIVEAU,
            ALFABETISERING,
            INTAKE_AFRONDING,
            LBT_UITKOMST,
            LEERROUTE,
            PIP_WIJZIGING,
            CURSUSSOORT,
            CURSUSDEELNAME,
            TRAJECTSTATUS,
            HANDHAVINGSREDEN,
        )
    }
)
