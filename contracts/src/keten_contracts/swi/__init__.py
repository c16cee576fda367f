"""The record layout of the quarterly Statistiek Wet Inburgering (SWI) delivery, gemeente -> CBS.

CBS's own layout is not public (seed 002_774eb578c0679392.txt: "De wijze van aanleveren van
gegevens aan het CBS is beschreven in de (nog te verschijnen) Richtlijnen van het CBS"), so this
is the project's one versioned definition (domain.md section 5): the pydantic models
(``records``), the code lists (``codelijsten``), the hand-written XSD ``swi-<version>.xsd`` in
this package, and the functions that build, validate and describe a delivery file
(``levering``). ``keten_contracts.swi.bron`` maps the resources onto the layout.
"""

from keten_contracts.swi.codelijsten import CODELIJSTEN, Codelijst
from keten_contracts.swi.levering import (
    NAMESPACE,
    XSD_BESTAND,
    bestandsnaam,
    build_manifest,
    check_records,
    render_levering,
    sectieaantallen,
    validate_levering,
    xsd_path,
)
from keten_contracts.swi.records import (
    LAYOUT_VERSION,
    Begeleiding,
    Boete,
    BredeIntake,
    Cursus,
    Handhaving,
    Kenmerken,
    Lbt,
    Periode,
    Persoon,
    Pip,
    PipWijziging,
    Sectieaantallen,
    SwiHeader,
    SwiManifest,
    SwiRecord,
    Traject,
    Waarschuwing,
    kwartaal_einde,
)

__all__ = [
    "CODELIJSTEN",
    "LAYOUT_VERSION",
    "NAMESPACE",
    "XSD_BESTAND",
    "Begeleiding",
    "Boete",
    "BredeIntake",
    "Codelijst",
    "Cursus",
    "Handhaving",
    "Kenmerken",
    "Lbt",
    "Periode",
    "Persoon",
    "Pip",
    "PipWijziging",
    "Sectieaantallen",
    "SwiHeader",
    "SwiManifest",
    "SwiRecord",
    "Traject",
    "Waarschuwing",
    "bestandsnaam",
    "build_manifest",
    "check_records",
    "kwartaal_einde",
    "render_levering",
    "sectieaantallen",
    "validate_levering",
    "xsd_path",
]
