"""Issue 8, rule 11: readers narrowed to what the sources name.

DUO reads only the opdrachten of a leerroute (seed 002_774eb578c0679392.txt, 3.4.6 on
maatschappelijke begeleiding: "Melding naar DUO is niet nodig"); CBS reads of the intake only
the SWI items (seed 001_6bf09e723ef6bb05.txt, row "Centraal Bureau voor de Statistiek").
"""

from __future__ import annotations

import pytest

from keten_contracts.common import Opdrachtsoort
from keten_contracts.parties import OPDRACHTTAKEN, Rol
from keten_contracts.policy import DUO_OPDRACHTSOORTEN, may_read, project, readable_fields
from keten_contracts.resources import get_resource

OPDRACHT_FIELDS = list(get_resource("opdracht").model.model_fields)


@pytest.mark.parametrize("soort", [s.value for s in Opdrachtsoort])
def test_duo_reads_only_leerroute_opdrachten(soort):
    readable = readable_fields("opdracht", Rol.DUO, opdrachtsoort=soort)
    if soort in ("b1-cursus", "onderwijsroute", "taalschakeltraject", "z-route"):
        assert "gerealiseerde_start" in readable and "resultaat_behaald" in readable
    else:
        assert readable == []
    assert (soort in DUO_OPDRACHTSOORTEN) == bool(readable)


def test_duo_reads_no_opdracht_without_its_soort():
    assert readable_fields("opdracht", Rol.DUO) == []
    assert not any(may_read(Rol.DUO, "opdracht", f) for f in OPDRACHT_FIELDS)


@pytest.mark.parametrize("soort", ["maatschappelijke-begeleiding", "leerbaarheidstoets", "map"])
def test_the_source_serves_duo_no_mb_lbt_or_map_opdracht(soort):
    rd = get_resource("opdracht")
    (rol,) = OPDRACHTTAKEN[soort].uitvoerders
    instance = rd.model.model_validate(
        {**rd.example, "soort": soort, "aanbiedersoort": rol.value, "bsn": None}
    )
    assert project("opdracht", Rol.DUO, instance) is None
    assert project("opdracht", Rol.DUO, rd.model.model_validate(dict(rd.example))) is not None


# Seed 001, CBS row: "De deelname aan [...] de brede intake", "De leerbaarheidstoets: afname;
# uitslag", "Het opleidingsniveau van de inburgeraar", "Analfabetisme en anders- alfabetisme".
SWI_INTAKE_ITEMS = {
    "intake_id",
    "dossier_id",
    "eerste_gesprek_op",
    "afgerond_op",
    "afgerond_zonder_medewerking",
    "lbt_afgenomen",
    "lbt_uitkomst",
    "opleidingsniveau",
    "alfabetisering",
}


def test_cbs_reads_only_swi_items_of_the_intake():
    readable = set(readable_fields("intake", Rol.CBS))
    assert readable <= SWI_INTAKE_ITEMS
    assert "uitnodigingen" not in readable
    assert {"lbt_afgenomen", "opleidingsniveau", "alfabetisering"} <= readable
