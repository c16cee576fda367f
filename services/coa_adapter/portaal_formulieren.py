"""The COA portal's forms for the klantprofiel's nested data (issue #13), derived from the
contract's models: each nested object (``coaContactpersoon``, ``voorinburgering``, ...) is a
fieldset of the portal's edit form (a ``Groep``), each list of objects (``gevolgdeOpleidingen``,
``werkervaring``, ``gezinssamenstelling``, and ``introductiemodules`` inside the
voorinburgering) a table with "Verwijderen" per entry and a "toevoegen" sub-form (a ``Lijst``).

A field added to the contract's klantprofiel (or to one of its nested models) gets its input
here without a change: str is a text input, date a date input, bool a ja/nee select, an enum a
select, int a number input; anything else is left as it is (kept, not editable). The Dutch
labels of the known fields are in ``LABELS``; an unknown field gets the ``label`` filter's.

Everything is still written through the control API's ``werk_klantprofiel_bij`` with its
``KlantprofielWijziging`` (a JSON merge patch): a nested object is sent whole, a list as the
whole new list (RFC 7396 replaces arrays).
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any, Final, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo

from . import control

__all__ = [
    "GROEPEN",
    "LIJSTEN",
    "ONGELDIGE_DATUM",
    "Groep",
    "Invoerfout",
    "Lijst",
    "Veld",
    "foutlabels",
    "foutmelding",
    "groepveld",
    "groepwaarden",
    "groepwijziging",
    "huidige_lijst",
    "lees_datum",
    "lijst_van",
    "lijstwijziging",
    "nieuwe_regel",
    "regelfouten",
]

Soort = Literal["tekst", "datum", "janee", "keuze", "getal"]

# Dutch labels: a nested field by its path ("voorinburgering.afgerond") first, then by its
# wire name; a field without one gets the template's ``label`` filter (``naamInCamel`` ->
# "Naam in camel").
LABELS: Final[Mapping[str, str]] = {
    # nested objects (fieldsets) and lists of objects (tables)
    "coaContactpersoon": "Contactpersoon van het COA",
    "statusgegevens": "Statusgegevens (verblijf)",
    "voorinburgering": "Voorinburgering",
    "diplomawaardering": "Internationale diplomawaardering",
    "adres": "Adres",
    "nareisprofiel": "Nareisprofiel",
    "gezinssamenstelling": "Gezinssamenstelling",
    "gevolgdeOpleidingen": "Gevolgde opleidingen",
    "werkervaring": "Werkervaring",
    "voorinburgering.introductiemodules": "Introductiemodules (voorinburgering)",
    # their fields
    "naam": "Naam",
    "telefoon": "Telefoonnummer",
    "email": "E-mailadres",
    "soortVerblijfsvergunning": "Soort verblijfsvergunning",
    "datumVerleend": "Datum verleend",
    "instemming": "Instemming met voorinburgering",
    "toetsresultaat": "Toetsresultaat",
    "spreekvaardigheidNt2": "Spreekvaardigheid NT2",
    "deelnameTaalactiviteiten": "Neemt deel aan taalactiviteiten",
    "voortgangTaalactiviteiten": "Voortgang in de taalactiviteiten",
    "voorinburgering.afgerond": "Voorinburgering afgerond",
    "module": "Module",
    "afgerond": "Afgerond",
    "aangevraagd": "Waardering aangevraagd",
    "startdatum": "Startdatum van de aanvraag",
    "straat": "Straat",
    "huisnummer": "Huisnummer (met toevoeging)",
    "postcode": "Postcode (1234AB)",
    "woonplaats": "Woonplaats",
    "referentKoppelingId": "Koppeling van de referent",
    "relatieTotReferent": "Relatie tot de referent",
    "verwachteAankomstdatum": "Verwachte aankomstdatum",
    "aankomstdatum": "Aankomstdatum",
    "relatie": "Relatie (bijvoorbeeld partner, kind)",
    "geboortejaar": "Geboortejaar",
    "gezinssamenstelling.koppelingId": "Koppeling (als het gezinslid ook statushouder is)",
    "niveau": "Niveau",
    "richting": "Richting",
    "land": "Land (landcode, twee letters)",
    "beroep": "Beroep",
    "jaren": "Aantal jaren",
}
# One entry of a list, for the buttons and messages ("Opleiding toevoegen").
ENKELVOUD: Final[Mapping[str, str]] = {
    "gezinssamenstelling": "gezinslid",
    "gevolgdeOpleidingen": "opleiding",
    "werkervaring": "werkervaring",
    "voorinburgering.introductiemodules": "introductiemodule",
}
HET_WOORDEN: Final = frozenset({"gezinslid"})
# Dutch names of enum values a select offers (others show the value itself).
KEUZELABELS: Final[Mapping[str, str]] = {
    "lager-dan-a1": "lager dan A1",
    "nt2": "NT2",
    "kennis-nederlandse-maatschappij": "Kennis van de Nederlandse maatschappij",
    "arbeidsmarkt-en-participatie": "Arbeidsmarkt en participatie",
    "participatieverklaringstraject": "Participatieverklaringstraject",
}

_DATUM: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
ONGELDIGE_DATUM: Final = "vul een geldige datum in"


def lees_datum(tekst: str) -> date | None:
    """A date input's value (``jjjj-mm-dd``, what a browser sends), or None."""
    tekst = tekst.strip()
    if not _DATUM.fullmatch(tekst):
        return None
    try:
        return date.fromisoformat(tekst)
    except ValueError:
        return None


@dataclass(frozen=True)
class Veld:
    """One input: a scalar field of a nested model."""

    naam: str  # wire name
    label: str | None  # None: the template's ``label`` filter
    soort: Soort
    verplicht: bool
    keuzes: tuple[tuple[str, str], ...] = ()  # (value, Dutch label)
    max_lengte: int | None = None
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class Lijst:
    """A list of objects: a table, "Verwijderen" per entry, one "toevoegen" sub-form."""

    pad: tuple[str, ...]  # wire names: ("werkervaring",), ("voorinburgering", "introductiemodules")
    model: type[BaseModel]
    velden: tuple[Veld, ...]

    @property
    def id(self) -> str:
        """In URLs and element ids: ``voorinburgering-introductiemodules``."""
        return "-".join(self.pad)

    @property
    def label(self) -> str | None:
        return LABELS.get(".".join(self.pad))

    @property
    def enkelvoud(self) -> str:
        """One entry, without article: "opleiding"."""
        return ENKELVOUD.get(".".join(self.pad), "regel")

    @property
    def met_lidwoord(self) -> str:
        """One entry with its article: "de opleiding", "het gezinslid"."""
        return f"{'het' if self.enkelvoud in HET_WOORDEN else 'de'} {self.enkelvoud}"

    def veldid(self, naam: str) -> str:
        """The add sub-form's input of ``naam`` (after ``veld-``)."""
        return f"{self.id}-nieuw-{naam}"


@dataclass(frozen=True)
class Groep:
    """A nested object: a fieldset of the edit form, sent whole in the merge patch."""

    naam: str  # wire name
    model: type[BaseModel]
    verplicht: bool  # the klantprofiel requires it: it may be changed, never emptied
    velden: tuple[Veld, ...]
    lijsten: tuple[Lijst, ...]  # its lists of objects: edited in their own tables

    @property
    def label(self) -> str | None:
        return LABELS.get(self.naam)

    def veldnaam(self, veld: Veld) -> str:
        """The form's name of a field (``coaContactpersoon.naam``)."""
        return f"{self.naam}.{veld.naam}"

    def veldid(self, veld: Veld) -> str:
        """The input's id after ``veld-`` (``coaContactpersoon-naam``)."""
        return f"{self.naam}-{veld.naam}"


def _zonder_none(annotation: Any) -> Any:
    """``X | None`` -> ``X``, ``Annotated[X, ...]`` -> ``X``."""
    if get_origin(annotation) in (Union, types.UnionType):
        andere = [a for a in get_args(annotation) if a is not type(None)]
        if len(andere) == 1:
            annotation = andere[0]
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _model(annotation: Any) -> type[BaseModel] | None:
    return (
        annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    )


def _lijstmodel(annotation: Any) -> type[BaseModel] | None:
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        return _model(_zonder_none(item))
    return None


def _label(pad: Sequence[str]) -> str | None:
    return LABELS.get(".".join(pad)) or LABELS.get(pad[-1])


def _veld(pad: Sequence[str], info: FieldInfo, annotation: Any) -> Veld | None:
    """The input of a scalar field, or None for a type the form does not offer."""
    soort: Soort
    keuzes: tuple[tuple[str, str], ...] = ()
    if annotation is bool:
        soort = "janee"
    elif annotation is int:
        soort = "getal"
    elif isinstance(annotation, type) and issubclass(annotation, datetime):
        return None  # an instant: no nested field has one
    elif annotation is date:
        soort = "datum"
    elif isinstance(annotation, type) and issubclass(annotation, Enum):
        soort = "keuze"
        keuzes = tuple(
            (str(e.value), KEUZELABELS.get(str(e.value), str(e.value))) for e in annotation
        )
    elif annotation is str:
        soort = "tekst"
    else:
        return None
    beperkingen = list(info.metadata)
    return Veld(
        naam=pad[-1],
        label=_label(pad),
        soort=soort,
        verplicht=info.is_required(),
        keuzes=keuzes,
        max_lengte=next(
            (m.max_length for m in beperkingen if isinstance(m, annotated_types.MaxLen)), None
        ),
        minimum=next((int(m.ge) for m in beperkingen if isinstance(m, annotated_types.Ge)), None),
        maximum=next((int(m.le) for m in beperkingen if isinstance(m, annotated_types.Le)), None),
    )


def _wire(naam: str, info: FieldInfo) -> str:
    return info.alias or to_camel(naam)


def _velden(
    pad: tuple[str, ...], model: type[BaseModel]
) -> tuple[tuple[Veld, ...], tuple[Lijst, ...]]:
    """The inputs of a nested model's scalar fields, and its lists of objects."""
    velden: list[Veld] = []
    lijsten: list[Lijst] = []
    for naam, info in model.model_fields.items():
        sub = (*pad, _wire(naam, info))
        annotation = _zonder_none(info.annotation)
        if (item := _lijstmodel(annotation)) is not None:
            lijsten.append(Lijst(pad=sub, model=item, velden=_velden(sub, item)[0]))
        elif (veld := _veld(sub, info, annotation)) is not None:
            velden.append(veld)
    return tuple(velden), tuple(lijsten)


def _afleiden() -> tuple[tuple[Groep, ...], tuple[Lijst, ...]]:
    """The klantprofiel's nested objects and lists of objects, in the contract's order."""
    groepen: list[Groep] = []
    lijsten: list[Lijst] = []
    for naam, info in control.INHOUD.items():
        wire = _wire(naam, info)
        annotation = _zonder_none(info.annotation)
        if (item := _lijstmodel(annotation)) is not None:
            lijsten.append(Lijst(pad=(wire,), model=item, velden=_velden((wire,), item)[0]))
        elif (model := _model(annotation)) is not None:
            velden, binnen = _velden((wire,), model)
            groepen.append(Groep(wire, model, info.is_required(), velden, binnen))
            lijsten.extend(binnen)
    return tuple(groepen), tuple(lijsten)


GROEPEN, LIJSTEN = _afleiden()
_LIJSTEN_PER_ID: Final = {lijst.id: lijst for lijst in LIJSTEN}


def lijst_van(lijst_id: str) -> Lijst | None:
    return _LIJSTEN_PER_ID.get(lijst_id)


# --- from the profile to the form, from the form to the patch -------------------------------


def _tekst(waarde: Any) -> str:
    if waarde is None:
        return ""
    if isinstance(waarde, bool):
        return "ja" if waarde else "nee"
    return str(waarde)


def groepwaarden(profiel: Mapping[str, Any]) -> dict[str, str]:
    """The nested objects' values as the form's text, by the form's names."""
    waarden: dict[str, str] = {}
    for groep in GROEPEN:
        object_ = profiel.get(groep.naam) or {}
        for veld in groep.velden:
            waarden[groep.veldnaam(veld)] = _tekst(object_.get(veld.naam))
    return waarden


class Invoerfout(Exception):
    """A value the form cannot even give to the model (a date that does not exist)."""

    def __init__(self, fouten: Mapping[str, str]) -> None:
        super().__init__(dict(fouten))
        self.fouten = dict(fouten)


def _objectwaarden(
    velden: Sequence[Veld],
    formulier: Mapping[str, str],
    naam: Callable[[Veld], str],
    veldid: Callable[[Veld], str],
) -> dict[str, Any]:
    """The inputs' text as the model's values (empty: left out); ``naam`` and ``veldid`` give
    a field's form name and its id after ``veld-``."""
    waarden: dict[str, Any] = {}
    fouten: dict[str, str] = {}
    for veld in velden:
        tekst = formulier.get(naam(veld), "").strip()
        if not tekst:
            continue
        if veld.soort == "janee":
            if tekst in ("ja", "nee"):
                waarden[veld.naam] = tekst == "ja"
            else:
                fouten[veldid(veld)] = "kies ja of nee"
        elif veld.soort == "datum":
            if (datum := lees_datum(tekst)) is not None:
                waarden[veld.naam] = datum.isoformat()
            else:
                fouten[veldid(veld)] = ONGELDIGE_DATUM
        else:  # text, a choice, a number: the model checks them
            waarden[veld.naam] = tekst
    if fouten:
        raise Invoerfout(fouten)
    return waarden


def groepwijziging(formulier: Mapping[str, str], profiel: Mapping[str, Any]) -> dict[str, Any]:
    """The nested objects the form sent, whole, for the merge patch: an object whose fields
    are all empty is emptied (null; a required one stays, so the model names its fields); its
    lists are kept as the profile holds them (they have their own tables). An object the form
    did not send stays as it is. Raises ``Invoerfout`` for a date that does not exist."""
    patch: dict[str, Any] = {}
    fouten: dict[str, str] = {}
    for groep in GROEPEN:
        if not any(groep.veldnaam(veld) in formulier for veld in groep.velden):
            continue
        try:
            waarden = _objectwaarden(groep.velden, formulier, groep.veldnaam, groep.veldid)
        except Invoerfout as exc:
            fouten.update(exc.fouten)
            continue
        if not waarden and not groep.verplicht:
            patch[groep.naam] = None
            continue
        huidig = profiel.get(groep.naam) or {}
        for lijst in groep.lijsten:
            if lijst.pad[-1] in huidig:
                waarden[lijst.pad[-1]] = huidig[lijst.pad[-1]]
        patch[groep.naam] = waarden
    if fouten:
        raise Invoerfout(fouten)
    return patch


def nieuwe_regel(lijst: Lijst, formulier: Mapping[str, str]) -> dict[str, Any]:
    """The add sub-form's entry, checked by the list's own model (``ValidationError`` with the
    sub-form's fields, ``Invoerfout`` for a date that does not exist), as wire JSON."""
    waarden = _objectwaarden(
        lijst.velden, formulier, lambda v: v.naam, lambda v: lijst.veldid(v.naam)
    )
    regel = lijst.model.model_validate(waarden)
    gedumpt: dict[str, Any] = regel.model_dump(mode="json", by_alias=True, exclude_none=True)
    return gedumpt


def huidige_lijst(lijst: Lijst, profiel: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """The entries the profile holds; None when the object that holds the list is empty."""
    if len(lijst.pad) == 1:
        return list(profiel.get(lijst.pad[0]) or [])
    houder = profiel.get(lijst.pad[0])
    if not houder:
        return None
    return list(houder.get(lijst.pad[1]) or [])


def lijstwijziging(
    lijst: Lijst, profiel: Mapping[str, Any], regels: list[dict[str, Any]]
) -> dict[str, Any]:
    """The merge patch that replaces the list by ``regels`` (RFC 7396 replaces arrays); a list
    inside an object: the object, whole, with the new list."""
    if len(lijst.pad) == 1:
        return {lijst.pad[0]: regels}
    houder, naam = lijst.pad
    return {houder: {**profiel[houder], naam: regels}}


# --- validation errors as the form's fields, in Dutch ---------------------------------------


def foutmelding(fout: Mapping[str, Any]) -> str:
    """A pydantic error in Dutch, for the error summary."""
    soort = fout["type"]
    ctx = fout.get("ctx") or {}
    if soort == "missing":
        return "vul dit veld in"
    if soort == "string_too_long":
        return f"gebruik ten hoogste {ctx.get('max_length')} tekens"
    if soort == "string_too_short":
        return "vul dit veld in"
    if soort == "string_pattern_mismatch":
        return "dit heeft niet de juiste vorm"
    if soort in ("int_parsing", "int_from_float", "int_type"):
        return "vul een heel getal in"
    if soort == "greater_than_equal":
        return f"vul een getal van ten minste {ctx.get('ge')} in"
    if soort == "less_than_equal":
        return f"vul een getal van ten hoogste {ctx.get('le')} in"
    if soort == "enum":
        return "kies een van de mogelijkheden"
    if soort.startswith("bool"):
        return "kies ja of nee"
    if soort.startswith("date"):
        return ONGELDIGE_DATUM
    return "deze waarde kan niet worden opgeslagen"


def regelfouten(lijst: Lijst, exc: ValidationError) -> dict[str, str]:
    """The add sub-form's fields an entry got wrong (by id after ``veld-``), in Dutch."""
    fouten: dict[str, str] = {}
    namen = {veld.naam for veld in lijst.velden}
    for fout in exc.errors():
        loc = [deel for deel in fout["loc"] if isinstance(deel, str)]
        naam = to_camel(loc[0]) if loc else ""
        sleutel = lijst.veldid(naam) if naam in namen else f"{lijst.id}-nieuw"
        fouten.setdefault(sleutel, foutmelding(fout))
    return fouten


def groepveld(loc: Sequence[str]) -> str | None:
    """A nested object's field by an error's location (``coaContactpersoon``, ``naam``): its
    id after ``veld-``; None when the location is no field of a fieldset."""
    if len(loc) < 2:
        return None
    groep = next((g for g in GROEPEN if g.naam == to_camel(loc[0])), None)
    if groep is None:
        return None
    veld = next((v for v in groep.velden if v.naam == to_camel(loc[1])), None)
    return groep.veldid(veld) if veld is not None else None


def foutlabels(label: Callable[[str], str]) -> dict[str, str]:
    """The Dutch label of every nested input, by its id after ``veld-``, for the error
    summary's links; ``label``: the template's filter, for a field without a Dutch label."""
    labels: dict[str, str] = {}
    for groep in GROEPEN:
        kop = groep.label or label(groep.naam)
        for veld in groep.velden:
            labels[groep.veldid(veld)] = f"{kop}: {veld.label or label(veld.naam)}"
    for lijst in LIJSTEN:
        nieuw = f"{lijst.enkelvoud.capitalize()} toevoegen"
        for veld in lijst.velden:
            labels[lijst.veldid(veld.naam)] = f"{nieuw}: {veld.label or label(veld.naam)}"
        labels[f"{lijst.id}-nieuw"] = nieuw
    return labels
