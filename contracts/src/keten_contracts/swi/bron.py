"""Where each item of the SWI record comes from, and how the resources' values become codes.

Every item of the layout is read from a resource field that the contracts let CBS read
(``x-lezers`` with ``cbs``; ``keten_contracts.policy.may_read(Rol.CBS, ...)``): the layout adds
no item CBS may not have. tests/contract/test_swi_layout.py checks both directions of that, and
that every value of a resource's code list has its SWI code.

Not imported by ``keten_contracts.swi`` itself: it needs the resources, which need the layout.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from types import MappingProxyType
from typing import Final

from keten_contracts.common import Doelgroep, Leerroute, Opdrachtsoort
from keten_contracts.resources.gemeente import (
    Alfabetisering,
    Begeleidingsoort,
    LbtUitkomst,
    Maatregelreden,
    Opdrachtstatus,
    Opleidingsniveau,
    PipWijzigingsoort,
)
from keten_contracts.swi.codelijsten import (
    Cursusdeelname,
    Cursussoort,
    Handhavingsreden,
    IntakeAfronding,
    PipWijzigingCode,
    SwiAlfabetisering,
    SwiDoelgroep,
    SwiLeerroute,
    Trajectstatus,
)
from keten_contracts.swi.codelijsten import LbtUitkomst as SwiLbtUitkomst
from keten_contracts.swi.codelijsten import Opleidingsniveau as SwiOpleidingsniveau

# SWI item (path of Python field names in SwiRecord) -> the (resource, field) it is read from.
BRONVELDEN: Final[Mapping[str, tuple[tuple[str, str], ...]]] = MappingProxyType(
    {
        "dossier_id": (("dossier", "dossier_id"),),
        "persoon.bsn": (("dossier", "bsn"),),
        "persoon.doelgroep": (("dossier", "doelgroep"),),
        "persoon.vestigingsdatum": (("dossier", "vestigingsdatum"),),
        "kenmerken.opleidingsniveau": (("intake", "opleidingsniveau"),),
        "kenmerken.alfabetisering": (("intake", "alfabetisering"),),
        "brede_intake.eerste_gesprek_op": (("intake", "eerste_gesprek_op"),),
        "brede_intake.afgerond_op": (("intake", "afgerond_op"),),
        "brede_intake.afronding": (
            ("intake", "afgerond_op"),
            ("intake", "afgerond_zonder_medewerking"),
        ),
        "lbt.afgenomen": (("intake", "lbt_afgenomen"),),
        "lbt.uitkomst": (("intake", "lbt_uitkomst"),),
        "pip.vaststellingsdatum": (("pip", "vaststellingsdatum"), ("pip", "versie")),
        "pip.leerroute": (("pip", "leerroute"),),
        "pip.wijzigingen.soort": (("pip", "wijziging"),),
        "pip.wijzigingen.datum": (("pip", "wijziging"),),
        "pip.wijzigingen.vorige_leerroute": (("pip", "wijziging"),),
        "cursussen.soort": (("opdracht", "soort"),),
        "cursussen.instelling": (("opdracht", "aanbieder_naam"),),
        "cursussen.deelname": (("opdracht", "status"),),
        "cursussen.startdatum": (("opdracht", "gerealiseerde_start"),),
        "map.status": (("map", "start_gerealiseerd"), ("map", "afgerond")),
        "map.startdatum": (("map", "start_gerealiseerd"),),
        "pvt.status": (("pvt", "start_gerealiseerd"), ("pvt", "afgerond")),
        "pvt.startdatum": (("pvt", "start_gerealiseerd"),),
        **{
            f"begeleiding.{soort}.{veld}": (
                ("begeleiding", "soort"),
                ("begeleiding", veld),
            )
            for soort in (
                "maatschappelijke_begeleiding",
                "financieel_ontzorgen",
                "stimuleren_financiele_zelfredzaamheid",
            )
            for veld in ("startdatum", "einddatum")
        },
        "begeleiding.voortgangsgesprekken": (
            ("begeleiding", "soort"),
            ("begeleiding", "startdatum"),
        ),
        "handhaving.waarschuwingen.datum": (
            ("handhavingsmaatregel", "soort"),
            ("handhavingsmaatregel", "datum"),
        ),
        "handhaving.waarschuwingen.reden": (
            ("handhavingsmaatregel", "soort"),
            ("handhavingsmaatregel", "reden"),
        ),
        "handhaving.boetes.datum": (
            ("handhavingsmaatregel", "soort"),
            ("handhavingsmaatregel", "datum"),
        ),
        "handhaving.boetes.reden": (
            ("handhavingsmaatregel", "soort"),
            ("handhavingsmaatregel", "reden"),
        ),
        "handhaving.boetes.bedrag_in_centen": (
            ("handhavingsmaatregel", "soort"),
            ("handhavingsmaatregel", "bedrag_in_centen"),
        ),
    }
)

# The Begeleiding soort -> the SWI begeleiding field it fills.
BEGELEIDING_VELD: Final[Mapping[Begeleidingsoort, str]] = MappingProxyType(
    {
        Begeleidingsoort.MAATSCHAPPELIJKE_BEGELEIDING: "maatschappelijke_begeleiding",
        Begeleidingsoort.FINANCIEEL_ONTZORGEN: "financieel_ontzorgen",
        Begeleidingsoort.STIMULEREN_FINANCIELE_ZELFREDZAAMHEID: (
            "stimuleren_financiele_zelfredzaamheid"
        ),
        Begeleidingsoort.VOORTGANGSGESPREK: "voortgangsgesprekken",
    }
)

DOELGROEP: Final[Mapping[Doelgroep, SwiDoelgroep]] = MappingProxyType(
    {
        Doelgroep.ASIELSTATUSHOUDER: SwiDoelgroep.ASIELSTATUSHOUDER,
        Doelgroep.GEZINSMIGRANT: SwiDoelgroep.GEZINSMIGRANT,
        Doelgroep.OVERIGE_MIGRANT: SwiDoelgroep.OVERIGE_MIGRANT,
    }
)
ALFABETISERING: Final[Mapping[Alfabetisering, SwiAlfabetisering]] = MappingProxyType(
    {
        Alfabetisering.GEALFABETISEERD: SwiAlfabetisering.GEALFABETISEERD,
        Alfabetisering.ANALFABEET: SwiAlfabetisering.ANALFABEET,
        Alfabetisering.ANDERS_GEALFABETISEERD: SwiAlfabetisering.ANDERS_GEALFABETISEERD,
    }
)
OPLEIDINGSNIVEAU: Final[Mapping[Opleidingsniveau, SwiOpleidingsniveau]] = MappingProxyType(
    {n: SwiOpleidingsniveau(n.value.removeprefix("isced-")) for n in Opleidingsniveau}
)
LBT_UITKOMST: Final[Mapping[LbtUitkomst, SwiLbtUitkomst]] = MappingProxyType(
    {
        LbtUitkomst.B1_HAALBAAR: SwiLbtUitkomst.B1_HAALBAAR,
        LbtUitkomst.B1_NIET_HAALBAAR: SwiLbtUitkomst.B1_NIET_HAALBAAR,
    }
)
LEERROUTE: Final[Mapping[Leerroute, SwiLeerroute]] = MappingProxyType(
    {
        Leerroute.B1: SwiLeerroute.B1_ROUTE,
        Leerroute.ONDERWIJSROUTE: SwiLeerroute.ONDERWIJSROUTE,
        Leerroute.Z_ROUTE: SwiLeerroute.Z_ROUTE,
    }
)
PIP_WIJZIGING: Final[Mapping[PipWijzigingsoort, PipWijzigingCode]] = MappingProxyType(
    {
        PipWijzigingsoort.LEERROUTE_GEWISSELD: PipWijzigingCode.LEERROUTE_GEWISSELD,
        PipWijzigingsoort.AFGESCHAALD: PipWijzigingCode.AFGESCHAALD,
        PipWijzigingsoort.INTENSITEIT_GEWIJZIGD: PipWijzigingCode.INTENSITEIT_GEWIJZIGD,
        PipWijzigingsoort.VRIJSTELLING_VERWERKT: PipWijzigingCode.VRIJSTELLING_VERWERKT,
        PipWijzigingsoort.OVERIG: PipWijzigingCode.OVERIG,
    }
)
# Only the opdrachten that are a course of the leerroute (seed 001 item e); the other soorten
# (MAP, PVT, maatschappelijke begeleiding, LBT) have sections of their own or none.
CURSUSSOORT: Final[Mapping[Opdrachtsoort, Cursussoort]] = MappingProxyType(
    {
        Opdrachtsoort.B1_CURSUS: Cursussoort.B1_CURSUS,
        Opdrachtsoort.ONDERWIJSROUTE: Cursussoort.ONDERWIJSROUTE,
        Opdrachtsoort.TAALSCHAKELTRAJECT: Cursussoort.TAALSCHAKELTRAJECT,
        Opdrachtsoort.Z_ROUTE: Cursussoort.Z_ROUTE,
    }
)
CURSUSDEELNAME: Final[Mapping[Opdrachtstatus, Cursusdeelname]] = MappingProxyType(
    {
        Opdrachtstatus.VERSTREKT: Cursusdeelname.AANGEMELD,
        Opdrachtstatus.GESTART: Cursusdeelname.GESTART,
        Opdrachtstatus.AFGEROND: Cursusdeelname.AFGEROND,
        Opdrachtstatus.BEEINDIGD: Cursusdeelname.BEEINDIGD,
    }
)
HANDHAVINGSREDEN: Final[Mapping[Maatregelreden, Handhavingsreden]] = MappingProxyType(
    {
        Maatregelreden.NIET_VERSCHENEN_INTAKE: Handhavingsreden.NIET_VERSCHENEN_INTAKE,
        Maatregelreden.NIET_MEEWERKEN_INTAKE: Handhavingsreden.NIET_MEEWERKEN_INTAKE,
        Maatregelreden.PIP_AFSPRAKEN_NIET_NAGEKOMEN: Handhavingsreden.PIP_AFSPRAKEN_NIET_NAGEKOMEN,
        Maatregelreden.MAP_NIET_MEEWERKEN: Handhavingsreden.MAP_NIET_MEEWERKEN,
        Maatregelreden.PVT_NIET_MEEWERKEN: Handhavingsreden.PVT_NIET_MEEWERKEN,
    }
)


def intake_afronding(
    afgerond_op: date | None, afgerond_zonder_medewerking: bool
) -> IntakeAfronding | None:
    """The intake's completion code (None while not completed)."""
    if afgerond_op is None:
        return None
    if afgerond_zonder_medewerking:
        return IntakeAfronding.ZONDER_INBURGERAAR
    return IntakeAfronding.MET_INBURGERAAR


def trajectstatus(start_gerealiseerd: date | None, afgerond: bool | None) -> Trajectstatus:
    """A MAP's or PVT's status from CBS's view of it (``afgerond`` None: still running)."""
    if afgerond is True:
        return Trajectstatus.AFGEROND
    if afgerond is False:
        return Trajectstatus.NIET_AFGEROND
    return Trajectstatus.GEPLAND if start_gerealiseerd is None else Trajectstatus.LOPEND
