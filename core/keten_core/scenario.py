"""Scenario files: ``keten scenario run FILE`` drives the services' control APIs from a YAML file,
so a journey through the chain (and its deadlines: 3 months, 10 workdays, 3 years) can be
replayed without waiting; ``keten scenario check FILE`` only validates it.

A scenario file (validated against ``scenario.schema.json``; every error names its line)::

    naam: Gezinsmigrant, korte reis
    diensten:                       # service name -> base URL (null: give it at run time)
      dossier-bron: http://127.0.0.1:8001
    client:                         # client name -> names of environment variables, never secrets
      dossier-bron:                 # named like a service: that service's default client
        {client_id_env: SCENARIO_DOSSIER_CLIENT_ID, secret_env: SCENARIO_DOSSIER_SECRET}
      medewerker:                   # any other name: only for steps that name it
        client_id_env: SCENARIO_MEDEWERKER_CLIENT_ID
        secret_env: SCENARIO_MEDEWERKER_SECRET
        user_id: mdw-0001           # or user_id_env: VARIABLE; optional, as user_representation
    stappen:
      - dienst: dossier-bron
        operatie: maakPersoon        # an operationId of the service's /openapi.json
        met: {naam: Amal}            # path/query/header parameters by name, the rest is the body
        als: persoon                 # keep the response JSON under this name
        verwacht: {status: 201}      # optional; without it any 2xx passes
      - dienst: dossier-bron
        als_client: medewerker       # this step's token: that client's (and its user)
        operatie: leesSignalen
        verwacht:
          json: {bevat: {code: x}}   # a list with at least one element that matches {code: x}
      - klok: {vooruit: P3M}         # or {naar: 2026-06-01T09:00:00+02:00}, or {herstel: true}
      - wacht:                       # poll a GET operation until the condition holds
          dienst: dossier-bron
          operatie: leesPersoon
          met:
            persoon_id: ${persoon.id}   # a placeholder: an earlier result's field
          tot: {json: {status: termijn-verstreken}}
          binnen: PT30S

URLs: ``--dienst NAME=URL`` beats ``KETEN_<NAME>_URL`` (``dossier-bron`` ->
``KETEN_DOSSIER_BRON_URL``) beats the file.

Clients: every request of a step carries a fresh ZGW JWT (``keten_core.auth.ZGWTokenAuth``) of
the client the step names with ``als_client`` (in a ``wacht``: inside ``wacht``), else of the
client named like the step's service, else none. So one file acts as several parties at one
service (a DUO control client and a gemeente medewerker at duo-adapter). ``user_id`` (or
``user_id_env``) and ``user_representation`` go into the token's claims of the same name: the
user on whose behalf the client acts. ``klok`` steps use each service's default client.

A ``klok`` step moves the sandbox clock (``keten_core.clock.sandbox_clock_router``) of every
service in ``diensten``, or of those in its own ``diensten`` list. A duration with years or
months is calendar arithmetic in Europe/Amsterdam (``P1M`` from 31 January is 30 April ... 28
February; 09:00 stays 09:00 across the change to summer time), so the runner reads each clock
and sets it to the computed instant, keeping it frozen if it was; any other duration is exact
and is the clock's own ``advance``.

Placeholders ``${name}`` / ``${name.field.0.sub}`` may stand in ``met``, ``verwacht`` and
``tot``; a string that is one placeholder becomes the value itself (a number stays a number).
In YAML flow style (``{...}``) quote them: ``met: {id: "${persoon.id}"}``.

``json`` under ``verwacht``/``tot`` is a subset of the response: an object may have more
members; a list must match in length, item by item, except ``{bevat: X}`` (a mapping with the
one key ``bevat``), which holds for a list with at least one element that contains ``X``.

``--json`` prints one JSON object per line instead of text: ``{"soort": "verzoek", ...}`` for
every HTTP request a call or wacht step made (each poll; the client, its user, the status and
the response body) and ``{"soort": "stap", ...}`` per step, so a test can check what was read.

Exit status: 0 all steps passed, 1 a step failed (the message names the step and its line), 2 the
file or the configuration is not valid.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias
from urllib.parse import quote

import httpx
import isodate
import jsonschema
import yaml
from jsonschema.exceptions import best_match
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from keten_core.auth import ZGWTokenAuth
from keten_core.clock import AMSTERDAM

if TYPE_CHECKING:
    from keten_core.cli import Subparsers

# Where sandbox_clock_router() serves the clock (its prefix "/sandbox", path "/clock").
CLOCK_PATH = "/sandbox/clock"
DEFAULT_BINNEN = timedelta(seconds=30)
DEFAULT_INTERVAL = timedelta(seconds=0.25)
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

# ${name} or ${name.field.0}: the name of an earlier step's ``als``, then a path into its JSON.
_PLAATSHOUDER = re.compile(r"\$\{([^{}]*)\}")
_PAD_IN_PLAATSHOUDER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[^.]+)*")


# --- findings and failures -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bevinding:
    """One thing wrong with a scenario file, at a line (1-based) and, when known, a step."""

    regel: int | None
    melding: str
    stap: int | None = None

    def __str__(self) -> str:
        waar = f"step {self.stap}: " if self.stap is not None else ""
        return f"{waar}{self.melding}"


class ScenarioFout(Exception):
    """The scenario file or its configuration is not valid; nothing was run."""

    def __init__(self, bron: str, bevindingen: Sequence[Bevinding]) -> None:
        self.bron = bron
        self.bevindingen = sorted(bevindingen, key=lambda b: (b.regel or 0, b.melding))
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(
            f"{self.bron}:{b.regel}: {b}" if b.regel is not None else f"{self.bron}: {b}"
            for b in self.bevindingen
        )


class StapMislukt(Exception):
    """A step did not do what the scenario expects; the scenario stops there."""

    def __init__(self, stap: Stap, melding: str) -> None:
        self.stap = stap
        self.melding = melding
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"step {self.stap.nummer} (line {self.stap.regel}) failed: {self.melding}"


# --- the scenario model --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verwachting:
    """Expected status (``None``: any 2xx) and, when ``heeft_json``, a subset of the JSON."""

    status: int | None = None
    json: Any = None
    heeft_json: bool = False


@dataclass(frozen=True, slots=True)
class Aanroep:
    nummer: int
    regel: int
    naam: str | None
    dienst: str
    operatie: str
    met: dict[str, Any]
    als: str | None
    verwacht: Verwachting
    # The name of the client whose token the requests carry; None: no token.
    client: str | None = None


@dataclass(frozen=True, slots=True)
class Klok:
    nummer: int
    regel: int
    naam: str | None
    diensten: tuple[str, ...]
    vooruit: timedelta | isodate.Duration | None = None
    vooruit_tekst: str | None = None
    naar: datetime | None = None
    bevroren: bool = False
    herstel: bool = False


@dataclass(frozen=True, slots=True)
class Wacht:
    nummer: int
    regel: int
    naam: str | None
    dienst: str
    operatie: str
    met: dict[str, Any]
    tot: Verwachting
    binnen: timedelta
    interval: timedelta
    als: str | None
    client: str | None = None


Stap: TypeAlias = Aanroep | Klok | Wacht


@dataclass(frozen=True, slots=True)
class Client:
    client_id_env: str
    secret_env: str
    audience: str | None = None
    # The user the client acts for (the token's user_id): a literal, or read from user_id_env.
    user_id: str | None = None
    user_id_env: str | None = None
    user_representation: str | None = None


@dataclass(frozen=True, slots=True)
class Scenario:
    naam: str
    bron: str
    diensten: dict[str, str | None]
    clients: dict[str, Client]
    stappen: tuple[Stap, ...]
    # Line of each service's entry under ``diensten``, for configuration errors.
    dienst_regels: dict[str, int]

    def standaard_client(self, dienst: str) -> str | None:
        """The client a step at ``dienst`` uses when it names none: the one named like it."""
        return dienst if dienst in self.clients else None


# --- reading: YAML with line numbers, the schema, the semantic checks ----------------------


class _Loader(yaml.SafeLoader):
    """JSON's data model only: a timestamp stays the string the file holds, so the schema
    checks what was written (``naar: 2026-06-01T09:00:00+02:00``) and nothing is lost."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@cache
def schema() -> dict[str, Any]:
    """The scenario JSON Schema (draft 2020-12) shipped next to this module."""
    tekst = resources.files("keten_core").joinpath("scenario.schema.json").read_text("utf-8")
    document: dict[str, Any] = json.loads(tekst)
    return document


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema())


def laad_scenario(pad: Path | str) -> Scenario:
    """Read and check a scenario file; ``ScenarioFout`` lists every problem with its line."""
    pad = Path(pad)
    try:
        tekst = pad.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioFout(str(pad), [Bevinding(None, f"cannot read: {exc.strerror}")]) from exc
    return lees_scenario(tekst, bron=str(pad))


def lees_scenario(tekst: str, *, bron: str = "<scenario>") -> Scenario:
    """``laad_scenario`` for text in hand."""
    wortel, data = _lees_yaml(tekst, bron)
    bevindingen = [*_dubbele_sleutels(wortel), *_schema_bevindingen(data, wortel)]
    if bevindingen:
        raise ScenarioFout(bron, bevindingen)
    return _bouw(data, wortel, bron)


def _lees_yaml(tekst: str, bron: str) -> tuple[Node, Any]:
    loader = _Loader(tekst)
    try:
        wortel = loader.get_single_node()
        if wortel is None:
            raise ScenarioFout(bron, [Bevinding(1, "the file is empty")])
        return wortel, loader.construct_document(wortel)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        regel = mark.line + 1 if mark is not None else None
        raise ScenarioFout(bron, [Bevinding(regel, f"not valid YAML: {exc.problem}")]) from exc
    except yaml.YAMLError as exc:
        raise ScenarioFout(bron, [Bevinding(None, f"not valid YAML: {exc}")]) from exc
    finally:
        loader.dispose()


def _regel(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _node_op(wortel: Node, pad: Sequence[str | int]) -> Node:
    """The node at a JSON path, or the deepest one that exists on the way."""
    node = wortel
    for stuk in pad:
        if isinstance(node, MappingNode):
            gevonden = next((v for k, v in node.value if k.value == str(stuk)), None)
        elif isinstance(node, SequenceNode) and isinstance(stuk, int) and stuk < len(node.value):
            gevonden = node.value[stuk]
        else:
            gevonden = None
        if gevonden is None:
            break
        node = gevonden
    return node


def _sleutel_node(wortel: Node, pad: Sequence[str | int], sleutel: str) -> Node:
    node = _node_op(wortel, pad)
    if isinstance(node, MappingNode):
        for k, _ in node.value:
            if k.value == sleutel:
                return k
    return node


def _pad_tekst(pad: Sequence[str | int]) -> str:
    tekst = ""
    for stuk in pad:
        tekst += f"[{stuk}]" if isinstance(stuk, int) else (f".{stuk}" if tekst else stuk)
    return tekst or "(top level)"


def _stapnummer(pad: Sequence[str | int]) -> int | None:
    if len(pad) >= 2 and pad[0] == "stappen" and isinstance(pad[1], int):
        return pad[1] + 1
    return None


def _dubbele_sleutels(node: Node) -> Iterator[Bevinding]:
    # PyYAML keeps the last of two equal keys without a word; in a scenario that hides a typo.
    if isinstance(node, MappingNode):
        gezien: set[str] = set()
        for k, v in node.value:
            if isinstance(k, ScalarNode) and k.value in gezien:
                yield Bevinding(_regel(k), f"key {k.value!r} appears twice in this mapping")
            gezien.add(k.value)
            yield from _dubbele_sleutels(v)
    elif isinstance(node, SequenceNode):
        for item in node.value:
            yield from _dubbele_sleutels(item)


def _schema_bevindingen(data: Any, wortel: Node) -> list[Bevinding]:
    gevonden: dict[tuple[int, str], Bevinding] = {}
    for fout in _validator().iter_errors(data):
        pad = list(fout.absolute_path)
        stap = _stapnummer(pad)
        if fout.validator == "additionalProperties" and isinstance(fout.instance, dict):
            # Point at the unknown key itself, not at the mapping that holds it.
            bekend = list(fout.schema.get("properties", {}))
            for sleutel in fout.instance:
                if sleutel not in bekend:
                    node = _sleutel_node(wortel, pad, str(sleutel))
                    hint = difflib.get_close_matches(str(sleutel), bekend, n=1)
                    uitleg = (
                        f"did you mean {hint[0]!r}?" if hint else f"allowed: {', '.join(bekend)}"
                    )
                    melding = f"{_pad_tekst([*pad, sleutel])}: unknown key ({uitleg})"
                    bevinding = Bevinding(_regel(node), melding, stap)
                    gevonden.setdefault((bevinding.regel or 0, melding), bevinding)
            continue
        if fout.validator in ("oneOf", "anyOf", "not") and "description" in fout.schema:
            # jsonschema's own text for these repeats the whole instance; say what is allowed.
            melding = f"{_pad_tekst(pad)}: expected {fout.schema['description']}"
        else:
            melding = f"{_pad_tekst(pad)}: {fout.message}"
        bevinding = Bevinding(_regel(_node_op(wortel, pad)), melding, stap)
        gevonden.setdefault((bevinding.regel or 0, melding), bevinding)
    return list(gevonden.values())


def _duur(tekst: str) -> timedelta | isodate.Duration:
    duur: timedelta | isodate.Duration = isodate.parse_duration(tekst)
    return duur


def _strings(waarde: Any, pad: list[str | int]) -> Iterator[tuple[list[str | int], str]]:
    if isinstance(waarde, str):
        yield pad, waarde
    elif isinstance(waarde, dict):
        for sleutel, item in waarde.items():
            yield from _strings(item, [*pad, sleutel])
    elif isinstance(waarde, list):
        for index, item in enumerate(waarde):
            yield from _strings(item, [*pad, index])


def _bouw(data: dict[str, Any], wortel: Node, bron: str) -> Scenario:
    """The schema has passed: the checks it cannot express (declared services, durations,
    instants, placeholders to earlier results), then the model."""
    bevindingen: list[Bevinding] = []

    def fout(pad: Sequence[str | int], melding: str) -> None:
        node = _node_op(wortel, pad)
        bevindingen.append(Bevinding(_regel(node), melding, _stapnummer(pad)))

    diensten: dict[str, str | None] = dict(data["diensten"])
    dienst_regels = {naam: _regel(_sleutel_node(wortel, ["diensten"], naam)) for naam in diensten}

    def gedeclareerd(naam: str, pad: Sequence[str | int]) -> None:
        if naam not in diensten:
            fout(pad, f"service {naam!r} is not declared under diensten ({', '.join(diensten)})")

    clients: dict[str, Client] = {
        naam: Client(
            waarde["client_id_env"],
            waarde["secret_env"],
            waarde.get("audience"),
            user_id=waarde.get("user_id"),
            user_id_env=waarde.get("user_id_env"),
            user_representation=waarde.get("user_representation"),
        )
        for naam, waarde in (data.get("client") or {}).items()
    }

    def client_van(ruw: Mapping[str, Any], dienst: str, pad: Sequence[str | int]) -> str | None:
        """The step's client: its ``als_client`` (which must be declared), else the default."""
        naam = ruw.get("als_client")
        if naam is None:
            return dienst if dienst in clients else None
        if naam not in clients:
            weet = ", ".join(clients) if clients else "none"
            fout([*pad, "als_client"], f"client {naam!r} is not declared under client ({weet})")
        return str(naam)

    bekend: list[str] = []  # the ``als`` names of the steps so far, in order

    def plaatshouders(waarde: Any, pad: list[str | int], nummer: int) -> None:
        for strpad, tekst in _strings(waarde, pad):
            for gevonden in _PLAATSHOUDER.finditer(tekst):
                inhoud = gevonden.group(1)
                if not _PAD_IN_PLAATSHOUDER.fullmatch(inhoud):
                    fout(strpad, f"malformed placeholder {gevonden.group(0)!r}")
                    continue
                naam = inhoud.split(".", 1)[0]
                if naam not in bekend:
                    weet = ", ".join(bekend) if bekend else "none yet"
                    fout(
                        strpad,
                        f"{gevonden.group(0)} refers to {naam!r}, which no earlier step keeps "
                        f"with 'als' (known: {weet})",
                    )

    stappen: list[Stap] = []
    for index, ruw in enumerate(data["stappen"]):
        nummer, pad = index + 1, ["stappen", index]
        regel = _regel(_node_op(wortel, pad))
        naam = ruw.get("naam")
        if "klok" in ruw:
            klok = ruw["klok"]
            for i, dienst in enumerate(klok.get("diensten", [])):
                gedeclareerd(dienst, [*pad, "klok", "diensten", i])
            vooruit: timedelta | isodate.Duration | None = None
            naar: datetime | None = None
            if "vooruit" in klok:
                try:
                    vooruit = _duur(klok["vooruit"])
                except isodate.ISO8601Error:
                    fout(
                        [*pad, "klok", "vooruit"],
                        f"not an ISO 8601 duration: {klok['vooruit']!r} (e.g. P3M, P10D, PT2H)",
                    )
            if "naar" in klok:
                try:
                    naar = datetime.fromisoformat(klok["naar"])
                except ValueError:
                    naar = None
                if naar is None or naar.utcoffset() is None:
                    fout(
                        [*pad, "klok", "naar"],
                        f"not an ISO 8601 instant with offset: {klok['naar']!r} "
                        "(e.g. 2026-06-01T09:00:00+02:00)",
                    )
            stappen.append(
                Klok(
                    nummer,
                    regel,
                    naam,
                    diensten=tuple(klok.get("diensten") or diensten),
                    vooruit=vooruit,
                    vooruit_tekst=klok.get("vooruit"),
                    naar=naar,
                    bevroren=klok.get("bevroren", False),
                    herstel=klok.get("herstel", False),
                )
            )
            continue
        if "wacht" in ruw:
            wacht = ruw["wacht"]
            gedeclareerd(wacht["dienst"], [*pad, "wacht", "dienst"])
            plaatshouders(wacht.get("met", {}), [*pad, "wacht", "met"], nummer)
            plaatshouders(wacht["tot"], [*pad, "wacht", "tot"], nummer)
            tijden: dict[str, timedelta] = {"binnen": DEFAULT_BINNEN, "interval": DEFAULT_INTERVAL}
            for sleutel in tijden:
                if sleutel not in wacht:
                    continue
                try:
                    duur = _duur(wacht[sleutel])
                except isodate.ISO8601Error:
                    duur = None
                if not isinstance(duur, timedelta) or duur <= timedelta(0):
                    fout(
                        [*pad, "wacht", sleutel],
                        f"{sleutel}: {wacht[sleutel]!r} is not a positive ISO 8601 duration "
                        "without years or months (e.g. PT30S)",
                    )
                else:
                    tijden[sleutel] = duur
            stappen.append(
                Wacht(
                    nummer,
                    regel,
                    naam,
                    dienst=wacht["dienst"],
                    operatie=wacht["operatie"],
                    met=wacht.get("met", {}),
                    tot=_verwachting(wacht["tot"]),
                    binnen=tijden["binnen"],
                    interval=tijden["interval"],
                    als=ruw.get("als"),
                    client=client_van(wacht, wacht["dienst"], [*pad, "wacht"]),
                )
            )
        else:
            gedeclareerd(ruw["dienst"], [*pad, "dienst"])
            plaatshouders(ruw.get("met", {}), [*pad, "met"], nummer)
            plaatshouders(ruw.get("verwacht", {}), [*pad, "verwacht"], nummer)
            stappen.append(
                Aanroep(
                    nummer,
                    regel,
                    naam,
                    dienst=ruw["dienst"],
                    operatie=ruw["operatie"],
                    met=ruw.get("met", {}),
                    als=ruw.get("als"),
                    verwacht=_verwachting(ruw.get("verwacht", {})),
                    client=client_van(ruw, ruw["dienst"], pad),
                )
            )
        if ruw.get("als"):
            bekend.append(ruw["als"])
    if bevindingen:
        raise ScenarioFout(bron, bevindingen)
    return Scenario(
        naam=data["naam"],
        bron=bron,
        diensten=diensten,
        clients=clients,
        stappen=tuple(stappen),
        dienst_regels=dienst_regels,
    )


def _verwachting(ruw: Mapping[str, Any]) -> Verwachting:
    return Verwachting(status=ruw.get("status"), json=ruw.get("json"), heeft_json="json" in ruw)


# --- configuration: URLs and credentials ---------------------------------------------------


def url_variabele(dienst: str) -> str:
    """The environment variable that overrides a service's URL: ``KETEN_DUO_ADAPTER_URL``."""
    return f"KETEN_{dienst.upper().replace('-', '_')}_URL"


def dienst_urls(
    scenario: Scenario, opgegeven: Mapping[str, str], omgeving: Mapping[str, str]
) -> dict[str, str]:
    """Each service's base URL: ``opgegeven`` (``--dienst``) first, then the environment, then
    the file."""
    bevindingen = [
        Bevinding(None, f"--dienst {naam}: the scenario declares no service {naam!r}")
        for naam in opgegeven
        if naam not in scenario.diensten
    ]
    urls: dict[str, str] = {}
    for naam, uit_bestand in scenario.diensten.items():
        url = opgegeven.get(naam) or omgeving.get(url_variabele(naam)) or uit_bestand
        if not url:
            bevindingen.append(
                Bevinding(
                    scenario.dienst_regels[naam],
                    f"no URL for service {naam!r}: give --dienst {naam}=URL or set "
                    f"{url_variabele(naam)}",
                )
            )
        elif not url.startswith(("http://", "https://")):
            bevindingen.append(Bevinding(None, f"URL of {naam!r} is not http(s): {url!r}"))
        else:
            urls[naam] = url
    if bevindingen:
        raise ScenarioFout(scenario.bron, bevindingen)
    return urls


def _authenticatie(scenario: Scenario, omgeving: Mapping[str, str]) -> dict[str, ZGWTokenAuth]:
    """Every declared client's token signer, by client name; a missing variable of any of them
    stops the run before the first request (a half-run journey is worse than none)."""
    bevindingen: list[Bevinding] = []
    auth: dict[str, ZGWTokenAuth] = {}
    for naam, client in scenario.clients.items():
        client_id = omgeving.get(client.client_id_env)
        secret = omgeving.get(client.secret_env)
        nodig = [(client.client_id_env, client_id), (client.secret_env, secret)]
        user_id = client.user_id
        if client.user_id_env is not None:
            user_id = omgeving.get(client.user_id_env)
            nodig.append((client.user_id_env, user_id))
        for variabele, waarde in nodig:
            if not waarde:
                bevindingen.append(
                    Bevinding(None, f"client {naam!r}: environment variable {variabele} is not set")
                )
        if client_id and secret:
            auth[naam] = ZGWTokenAuth(
                client_id,
                secret,
                user_id=user_id or "",
                user_representation=client.user_representation or "",
                audience=client.audience,
            )
    if bevindingen:
        raise ScenarioFout(scenario.bron, bevindingen)
    return auth


# --- OpenAPI operations --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Parameter:
    naam: str
    plaats: str  # path, query, header or cookie
    verplicht: bool


@dataclass(frozen=True, slots=True)
class Operatie:
    operation_id: str
    methode: str
    pad: str
    parameters: tuple[Parameter, ...]
    heeft_body: bool
    body_verplicht: bool

    def verzoek(self, met: Mapping[str, Any]) -> tuple[str, dict[str, Any], dict[str, str], Any]:
        """(path, query, headers, body) for ``met``: members named like a parameter go there,
        the rest is the JSON body (``None``: no body). ``ValueError`` says what does not fit."""
        rest = dict(met)
        pad, query, headers = self.pad, {}, {}
        for parameter in self.parameters:
            if parameter.naam not in rest:
                if parameter.verplicht:
                    raise ValueError(
                        f"{self.operation_id} needs {parameter.plaats} parameter "
                        f"{parameter.naam!r} in 'met'"
                    )
                continue
            waarde = rest.pop(parameter.naam)
            if parameter.plaats == "path":
                pad = pad.replace(f"{{{parameter.naam}}}", quote(_als_tekst(waarde), safe=""))
            elif parameter.plaats == "query":
                query[parameter.naam] = waarde
            elif parameter.plaats == "header":
                headers[parameter.naam] = _als_tekst(waarde)
        if not self.heeft_body:
            if rest:
                namen = ", ".join(p.naam for p in self.parameters) or "none"
                raise ValueError(
                    f"{self.operation_id} takes no body; unknown in 'met': {', '.join(rest)} "
                    f"(parameters: {namen})"
                )
            return pad, query, headers, None
        if not rest and not self.body_verplicht:
            return pad, query, headers, None
        return pad, query, headers, rest


def _deref(document: Mapping[str, Any], waarde: Any) -> Any:
    # FastAPI inlines parameters; other generators may point into components with a local $ref.
    while isinstance(waarde, Mapping) and isinstance(waarde.get("$ref"), str):
        doel: Any = document
        for stuk in waarde["$ref"].removeprefix("#/").split("/"):
            doel = doel[stuk.replace("~1", "/").replace("~0", "~")]
        waarde = doel
    return waarde


def operaties(openapi: Mapping[str, Any]) -> dict[str, Operatie]:
    """The operations of an OpenAPI 3 document by operationId."""
    gevonden: dict[str, Operatie] = {}
    for pad, item in (openapi.get("paths") or {}).items():
        item = _deref(openapi, item)
        gedeeld = [_deref(openapi, p) for p in item.get("parameters", [])]
        for methode in HTTP_METHODS:
            operatie = item.get(methode)
            if not isinstance(operatie, Mapping) or "operationId" not in operatie:
                continue
            eigen = [_deref(openapi, p) for p in operatie.get("parameters", [])]
            # An operation's parameter overrides a path-level one of the same name and place.
            per_sleutel = {(p["name"], p["in"]): p for p in [*gedeeld, *eigen]}
            body = _deref(openapi, operatie.get("requestBody"))
            gevonden[operatie["operationId"]] = Operatie(
                operation_id=operatie["operationId"],
                methode=methode.upper(),
                pad=pad,
                parameters=tuple(
                    Parameter(p["name"], p["in"], bool(p.get("required")) or p["in"] == "path")
                    for p in per_sleutel.values()
                ),
                heeft_body=body is not None,
                body_verplicht=bool(body and body.get("required")),
            )
    return gevonden


# --- running -------------------------------------------------------------------------------


def _als_tekst(waarde: Any) -> str:
    return waarde if isinstance(waarde, str) else json.dumps(waarde)


def _zoek(inhoud: str, resultaten: Mapping[str, Any], stap: Stap) -> Any:
    naam, *velden = inhoud.split(".")
    if naam not in resultaten:
        raise StapMislukt(stap, f"${{{inhoud}}}: no result named {naam!r}")
    waarde, pad = resultaten[naam], naam
    for veld in velden:
        if isinstance(waarde, Mapping) and veld in waarde:
            waarde = waarde[veld]
        elif isinstance(waarde, list) and veld.isdigit() and int(veld) < len(waarde):
            waarde = waarde[int(veld)]
        else:
            hier = ", ".join(waarde) if isinstance(waarde, Mapping) else type(waarde).__name__
            raise StapMislukt(stap, f"${{{inhoud}}}: {pad} has no field {veld!r} ({hier})")
        pad = f"{pad}.{veld}"
    return waarde


def vul_in(waarde: Any, resultaten: Mapping[str, Any], stap: Stap) -> Any:
    """``waarde`` with its placeholders replaced by the results of earlier steps."""
    if isinstance(waarde, str):
        enkel = _PLAATSHOUDER.fullmatch(waarde)
        if enkel:
            return _zoek(enkel.group(1), resultaten, stap)
        return _PLAATSHOUDER.sub(lambda m: _als_tekst(_zoek(m.group(1), resultaten, stap)), waarde)
    if isinstance(waarde, dict):
        return {sleutel: vul_in(item, resultaten, stap) for sleutel, item in waarde.items()}
    if isinstance(waarde, list):
        return [vul_in(item, resultaten, stap) for item in waarde]
    return waarde


# ``{bevat: X}``: a list with an element that contains X. A one-key mapping, so that a journey
# need not know a list's length or order (DUO's open signalen grow as the rules do).
BEVAT = "bevat"


def _deelschema(verwacht: Any) -> dict[str, Any]:
    """A JSON Schema that holds when the instance contains ``verwacht``: objects may have more
    members; arrays have as many items, each matched the same way; ``{bevat: X}`` is an array
    with at least one item that contains X; values are equal (JSON equality: ``true`` is not
    ``1``)."""
    if isinstance(verwacht, dict) and list(verwacht) == [BEVAT]:
        # The pattern rides along (an unknown keyword, ignored by the validator) for the message.
        return {
            "type": "array",
            "contains": _deelschema(verwacht[BEVAT]),
            "x-bevat": verwacht[BEVAT],
        }
    if isinstance(verwacht, dict):
        return {
            "type": "object",
            "required": list(verwacht),
            "properties": {sleutel: _deelschema(item) for sleutel, item in verwacht.items()},
        }
    if isinstance(verwacht, list):
        return {
            "type": "array",
            "prefixItems": [_deelschema(item) for item in verwacht],
            "minItems": len(verwacht),
            "maxItems": len(verwacht),
        }
    return {"const": verwacht}


def json_verschil(verwacht: Any, echt: Any) -> str | None:
    """Where ``echt`` does not contain ``verwacht`` (see ``_deelschema``), or ``None``."""
    fout = best_match(jsonschema.Draft202012Validator(_deelschema(verwacht)).iter_errors(echt))
    if fout is None:
        return None
    if fout.validator == "const":
        return (
            f"{fout.json_path}: expected {json.dumps(fout.validator_value)}, "
            f"got {json.dumps(fout.instance)}"
        )
    if fout.validator == "contains":
        return (
            f"{fout.json_path}: no element contains {json.dumps(fout.schema['x-bevat'])} "
            f"(got {_kort(fout.instance)})"
        )
    return f"{fout.json_path}: {fout.message}"


def _inhoud(antwoord: httpx.Response) -> Any:
    if not antwoord.content:
        return None
    if "json" in antwoord.headers.get("content-type", ""):
        try:
            return antwoord.json()
        except ValueError:
            pass
    return antwoord.text


def _kort(inhoud: Any, lengte: int = 300) -> str:
    tekst = _als_tekst(inhoud)
    return tekst if len(tekst) <= lengte else tekst[:lengte] + "..."


def verschil(verwachting: Verwachting, antwoord: httpx.Response, inhoud: Any) -> str | None:
    """What in the response does not meet ``verwachting``, or ``None``."""
    if verwachting.status is not None:
        if antwoord.status_code != verwachting.status:
            return (
                f"expected status {verwachting.status}, got {antwoord.status_code}: {_kort(inhoud)}"
            )
    elif not antwoord.is_success:
        return f"expected a 2xx status, got {antwoord.status_code}: {_kort(inhoud)}"
    if verwachting.heeft_json:
        return json_verschil(verwachting.json, inhoud)
    return None


@dataclass
class _Sessie:
    scenario: Scenario
    urls: Mapping[str, str]
    http: dict[str, httpx.AsyncClient]
    operaties: dict[tuple[str, str], Operatie]
    resultaten: dict[str, Any]
    auth: Mapping[str, ZGWTokenAuth]
    # Gets every request a call or wacht step made (``--json``); None: nobody listens.
    verzoeken: Callable[[dict[str, Any]], None] | None = None


async def _los_operaties_op(
    scenario: Scenario, http: Mapping[str, httpx.AsyncClient]
) -> dict[tuple[str, str], Operatie]:
    """Resolve every step's operationId before the first step runs, so a typo costs no half-run
    scenario."""
    nodig = {s.dienst for s in scenario.stappen if isinstance(s, Aanroep | Wacht)}
    per_dienst: dict[str, dict[str, Operatie]] = {}
    bevindingen: list[Bevinding] = []
    for dienst in sorted(nodig):
        try:
            antwoord = await http[dienst].get("/openapi.json")
            antwoord.raise_for_status()
            per_dienst[dienst] = operaties(antwoord.json())
        except (httpx.HTTPError, ValueError) as exc:
            bevindingen.append(
                Bevinding(
                    scenario.dienst_regels[dienst],
                    f"cannot read the OpenAPI document of {dienst!r} at "
                    f"{http[dienst].base_url.join('openapi.json')}: {exc}",
                )
            )
    gevonden: dict[tuple[str, str], Operatie] = {}
    for stap in scenario.stappen:
        if not isinstance(stap, Aanroep | Wacht) or stap.dienst not in per_dienst:
            continue
        bekend = per_dienst[stap.dienst]
        operatie = bekend.get(stap.operatie)
        if operatie is None:
            hint = difflib.get_close_matches(stap.operatie, list(bekend), n=3)
            bevindingen.append(
                Bevinding(
                    stap.regel,
                    f"{stap.dienst} has no operation {stap.operatie!r}"
                    + (f" (did you mean {', '.join(hint)}?)" if hint else ""),
                    stap.nummer,
                )
            )
            continue
        if isinstance(stap, Wacht) and operatie.methode != "GET":
            bevindingen.append(
                Bevinding(
                    stap.regel,
                    f"wacht polls a GET operation; {stap.operatie} is {operatie.methode}",
                    stap.nummer,
                )
            )
        gevonden[(stap.dienst, stap.operatie)] = operatie
    if bevindingen:
        raise ScenarioFout(scenario.bron, bevindingen)
    return gevonden


async def _roep_aan(sessie: _Sessie, stap: Aanroep | Wacht) -> tuple[str, httpx.Response, Any]:
    operatie = sessie.operaties[(stap.dienst, stap.operatie)]
    met = vul_in(stap.met, sessie.resultaten, stap)
    try:
        pad, query, headers, body = operatie.verzoek(met)
    except ValueError as exc:
        raise StapMislukt(stap, str(exc)) from exc
    auth = sessie.auth.get(stap.client) if stap.client is not None else None
    try:
        antwoord = await sessie.http[stap.dienst].request(
            operatie.methode, pad, params=query, headers=headers, json=body, auth=auth
        )
    except httpx.HTTPError as exc:
        raise StapMislukt(
            stap, f"{stap.dienst} at {sessie.urls[stap.dienst]} did not answer: {exc!r}"
        ) from exc
    inhoud = _inhoud(antwoord)
    if sessie.verzoeken is not None:
        sessie.verzoeken(
            {
                "soort": "verzoek",
                "stap": stap.nummer,
                "regel": stap.regel,
                "dienst": stap.dienst,
                "operatie": stap.operatie,
                "client": stap.client,
                "client_id": auth.client_id if auth is not None else None,
                "gebruiker": (auth.user_id or None) if auth is not None else None,
                "methode": operatie.methode,
                "pad": pad,
                "query": query,
                "status": antwoord.status_code,
                "antwoord": inhoud,
            }
        )
    wat = f"{stap.dienst} {stap.operatie}: {operatie.methode} {pad} -> {antwoord.status_code}"
    return wat, antwoord, inhoud


async def _aanroep(sessie: _Sessie, stap: Aanroep) -> str:
    wat, antwoord, inhoud = await _roep_aan(sessie, stap)
    verwachting = vul_in_verwachting(stap.verwacht, sessie.resultaten, stap)
    afwijking = verschil(verwachting, antwoord, inhoud)
    if afwijking is not None:
        raise StapMislukt(stap, f"{wat}: {afwijking}")
    if stap.als:
        sessie.resultaten[stap.als] = inhoud
    return wat


def vul_in_verwachting(
    verwachting: Verwachting, resultaten: Mapping[str, Any], stap: Stap
) -> Verwachting:
    if not verwachting.heeft_json:
        return verwachting
    return Verwachting(verwachting.status, vul_in(verwachting.json, resultaten, stap), True)


async def _wacht(sessie: _Sessie, stap: Wacht) -> str:
    # Polling runs on wall-clock time: the sandbox clock says nothing about how long a
    # consumer takes.
    verwachting = vul_in_verwachting(stap.tot, sessie.resultaten, stap)
    begin = time.monotonic()
    einde = begin + stap.binnen.total_seconds()
    pogingen = 0
    while True:
        pogingen += 1
        try:
            wat, antwoord, inhoud = await _roep_aan(sessie, stap)
            laatste = verschil(verwachting, antwoord, inhoud)
        except StapMislukt as exc:  # not answering yet is one more reason to poll again
            laatste = exc.melding
        if laatste is None:
            break
        over = einde - time.monotonic()
        if over <= 0:
            raise StapMislukt(
                stap,
                f"wacht {stap.dienst} {stap.operatie}: not within "
                f"{isodate.duration_isoformat(stap.binnen)} ({pogingen} polls); last: {laatste}",
            )
        await asyncio.sleep(min(stap.interval.total_seconds(), over))
    if stap.als:
        sessie.resultaten[stap.als] = inhoud
    return f"wacht {wat} after {pogingen} poll(s), {time.monotonic() - begin:.1f} s"


async def _klok(sessie: _Sessie, stap: Klok) -> str:
    if stap.herstel:
        wat = "herstel"
    elif stap.naar is not None:
        wat = f"naar {stap.naar.isoformat()}" + (" (bevroren)" if stap.bevroren else "")
    else:
        wat = f"vooruit {stap.vooruit_tekst}"
    standen: list[str] = []
    for dienst in stap.diensten:
        client = sessie.http[dienst]
        standaard = sessie.scenario.standaard_client(dienst)
        try:
            antwoord = await _verzet(client, stap, sessie.auth.get(standaard or ""))
        except httpx.HTTPError as exc:
            raise StapMislukt(
                stap, f"klok {wat}: {dienst} at {sessie.urls[dienst]} did not answer: {exc!r}"
            ) from exc
        if antwoord.status_code in (404, 405, 409):
            raise StapMislukt(
                stap,
                f"klok {wat}: {dienst} answered {antwoord.status_code} on {CLOCK_PATH}: "
                "is it running in sandbox mode (KETEN_SANDBOX=true)?",
            )
        if antwoord.status_code != 200:
            raise StapMislukt(
                stap,
                f"klok {wat}: {dienst} answered {antwoord.status_code}: {_kort(_inhoud(antwoord))}",
            )
        nu = datetime.fromisoformat(antwoord.json()["now"]).astimezone(AMSTERDAM)
        standen.append(f"{dienst} {nu.isoformat(timespec='seconds')}")
    return f"klok {wat}: {', '.join(standen)}"


async def _verzet(client: httpx.AsyncClient, stap: Klok, auth: httpx.Auth | None) -> httpx.Response:
    if stap.herstel:
        return await client.delete(CLOCK_PATH, auth=auth)
    if stap.naar is not None:
        return await client.put(
            CLOCK_PATH, json={"now": stap.naar.isoformat(), "frozen": stap.bevroren}, auth=auth
        )
    assert stap.vooruit is not None
    if isinstance(stap.vooruit, timedelta):
        return await client.put(
            CLOCK_PATH, json={"advance": stap.vooruit.total_seconds()}, auth=auth
        )
    # Years or months: the clock's timedelta cannot say "a month", so compute the instant.
    huidig = await client.get(CLOCK_PATH, auth=auth)
    if huidig.status_code != 200:
        return huidig
    stand = huidig.json()
    doel = datetime.fromisoformat(stand["now"]).astimezone(AMSTERDAM) + stap.vooruit
    return await client.put(
        CLOCK_PATH, json={"now": doel.isoformat(), "frozen": bool(stand.get("frozen"))}, auth=auth
    )


def _stapregel(stap: Stap, wat: str, uitslag: str) -> str:
    naam = f" [{stap.naam}]" if stap.naam else ""
    return f"step {stap.nummer:>2}  line {stap.regel:>3}{naam}  {wat}  {uitslag}"


async def voer_uit(
    scenario: Scenario,
    urls: Mapping[str, str],
    *,
    omgeving: Mapping[str, str] | None = None,
    schrijf: Callable[[str], None] = print,
    verzoeken: Callable[[dict[str, Any]], None] | None = None,
    http_timeout: float = 30.0,
) -> dict[str, Any]:
    """Run the steps in order; ``schrijf`` gets one line per step, ``verzoeken`` (if given) a
    record of every request a call or wacht step made. Returns the kept results.
    ``ScenarioFout`` before the first step (credentials, unknown operations), ``StapMislukt``
    at the first step that fails."""
    auth = _authenticatie(scenario, os.environ if omgeving is None else omgeving)
    async with AsyncExitStack() as stapel:
        http: dict[str, httpx.AsyncClient] = {}
        for dienst, url in urls.items():
            # No client-wide auth: each request carries the token of its step's client.
            http[dienst] = await stapel.enter_async_context(
                httpx.AsyncClient(base_url=url, timeout=http_timeout)
            )
        sessie = _Sessie(
            scenario,
            urls,
            http,
            await _los_operaties_op(scenario, http),
            {},
            auth,
            verzoeken,
        )
        for stap in scenario.stappen:
            try:
                if isinstance(stap, Klok):
                    wat = await _klok(sessie, stap)
                elif isinstance(stap, Wacht):
                    wat = await _wacht(sessie, stap)
                else:
                    wat = await _aanroep(sessie, stap)
            except StapMislukt as exc:
                schrijf(_stapregel(stap, exc.melding, "FAILED"))
                raise
            schrijf(_stapregel(stap, wat, "ok"))
        return sessie.resultaten


# --- the command ---------------------------------------------------------------------------


def _dienst_url(tekst: str) -> tuple[str, str]:
    naam, is_, url = tekst.partition("=")
    if not is_ or not naam or not url:
        raise argparse.ArgumentTypeError(f"expected NAME=URL, got {tekst!r}")
    return naam, url


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "scenario",
        help="run or check a scenario file against the services' control APIs",
        description=(
            "Scenario files (YAML, checked against keten_core/scenario.schema.json) call the "
            "services' control APIs by operationId, move their sandbox clocks and wait for "
            "asynchronous effects. Exit status: 0 passed, 1 a step failed, 2 invalid file."
        ),
    )
    acties = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    run = acties.add_parser("run", help="run the steps in order; stop at the first failure")
    run.add_argument("bestand", metavar="FILE", type=Path)
    run.add_argument(
        "--dienst",
        metavar="NAME=URL",
        type=_dienst_url,
        action="append",
        default=[],
        help="base URL of a service (beats KETEN_<NAME>_URL and the file); repeatable",
    )
    run.add_argument("--timeout", type=float, default=30.0, help="seconds per HTTP request")
    run.add_argument(
        "--json",
        action="store_true",
        help="print JSON lines: every request (client, user, status, response body) and step",
    )
    run.set_defaults(handler=run_command)
    check = acties.add_parser("check", help="validate the file only (no service is called)")
    check.add_argument("bestand", metavar="FILE", type=Path)
    check.set_defaults(handler=check_command)


def check_command(args: argparse.Namespace) -> int:
    try:
        scenario = laad_scenario(args.bestand)
    except ScenarioFout as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"{args.bestand}: ok ({scenario.naam!r}, {len(scenario.stappen)} steps)")
    return 0


def run_command(args: argparse.Namespace) -> int:
    try:
        scenario = laad_scenario(args.bestand)
        urls = dienst_urls(scenario, dict(args.dienst), os.environ)
        if args.json:
            # Machine-readable: the step lines become records too; the verdict is the exit
            # status (and stderr on failure).
            def schrijf(regel: str) -> None:
                print(json.dumps({"soort": "stap", "tekst": regel}), flush=True)

            def verzoek(record: dict[str, Any]) -> None:
                print(json.dumps(record, default=str), flush=True)

            asyncio.run(
                voer_uit(
                    scenario, urls, schrijf=schrijf, verzoeken=verzoek, http_timeout=args.timeout
                )
            )
            return 0
        print(f"scenario {scenario.naam!r} ({args.bestand}): {len(scenario.stappen)} steps")
        asyncio.run(
            voer_uit(
                scenario,
                urls,
                schrijf=lambda regel: print(regel, flush=True),
                http_timeout=args.timeout,
            )
        )
    except ScenarioFout as exc:
        print(exc, file=sys.stderr)
        return 2
    except StapMislukt as exc:
        print(f"keten scenario: {exc}", file=sys.stderr)
        return 1
    print(f"all {len(scenario.stappen)} steps passed")
    return 0
