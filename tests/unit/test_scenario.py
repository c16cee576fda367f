"""Scenario files without servers: the schema and its line numbers, the checks the schema cannot
make (placeholders, services, durations), operation resolution from an OpenAPI document,
placeholders and JSON subset expectations, URLs and credentials, the `keten scenario` command."""

from __future__ import annotations

import json
import textwrap
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import isodate
import jsonschema
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from keten_core import cli
from keten_core.scenario import (
    Aanroep,
    Klok,
    ScenarioFout,
    StapMislukt,
    Verwachting,
    Wacht,
    dienst_urls,
    json_verschil,
    laad_scenario,
    lees_scenario,
    operaties,
    schema,
    verschil,
    voer_uit,
    vul_in,
    vul_in_verwachting,
)

VOORBEELD = Path(__file__).parents[1] / "data" / "scenario_voorbeeld.yaml"

KOP = """\
naam: test
diensten:
  demo: http://127.0.0.1:9
stappen:
"""


def regel_van(tekst: str, merk: str) -> int:
    """The 1-based line of the only line holding ``merk``."""
    regels = [n for n, regel in enumerate(tekst.splitlines(), 1) if merk in regel]
    assert len(regels) == 1, regels
    return regels[0]


def fout_van(tekst: str) -> ScenarioFout:
    with pytest.raises(ScenarioFout) as info:
        lees_scenario(tekst, bron="t.yaml")
    return info.value


def test_the_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(schema())


def test_the_example_file_reads_into_steps():
    scenario = laad_scenario(VOORBEELD)
    assert scenario.naam == "Voorbeeld, termijn van drie maanden"
    assert scenario.diensten == {"testdienst": None}
    assert [type(s) for s in scenario.stappen] == [Aanroep, Klok, Wacht, Aanroep]
    maak, klok, wacht, lees = scenario.stappen
    assert (maak.nummer, maak.regel, maak.als) == (1, 11, "persoon")
    assert maak.verwacht == Verwachting(status=201)
    assert klok.vooruit == isodate.Duration(months=3)
    assert klok.diensten == ("testdienst",)  # every declared service by default
    assert wacht.binnen == timedelta(seconds=10)
    assert wacht.interval == timedelta(seconds=0.1)
    assert lees.verwacht.json == {"id": "${persoon.id}", "status": "termijn-verstreken"}


def test_a_wrong_type_names_its_line():
    tekst = KOP + textwrap.dedent(
        """\
          - dienst: demo
            operatie: maak
            verwacht:
              status: "201"
        """
    )
    fout = fout_van(tekst)
    [bevinding] = fout.bevindingen
    assert bevinding.regel == 8 == regel_van(tekst, 'status: "201"')
    assert bevinding.stap == 1
    assert "stappen[0].verwacht.status" in bevinding.melding
    assert "is not of type 'integer'" in bevinding.melding
    assert str(fout).startswith("t.yaml:8: step 1: ")


def test_every_error_is_reported_each_at_its_own_line():
    tekst = KOP + textwrap.dedent(
        """\
          - dienst: demo
            operatie: maak
            verwahct: {status: 201}  # typo
          - dienst: demo  # no operatie
          - klok: {vooruit: P1D, naar: "2026-01-01T00:00:00Z"}  # two at once
          - dienst: Demo  # not a service name
            operatie: x
        """
    )
    fout = fout_van(tekst)
    per_regel = {b.regel: b.melding for b in fout.bevindingen}
    assert "unknown key (did you mean 'verwacht'?)" in per_regel[regel_van(tekst, "# typo")]
    assert "'operatie' is a required property" in per_regel[regel_van(tekst, "# no operatie")]
    assert "exactly one of vooruit" in per_regel[regel_van(tekst, "# two at once")]
    assert "does not match" in per_regel[regel_van(tekst, "# not a service name")]
    assert [b.stap for b in fout.bevindingen] == [1, 2, 3, 4]


def test_a_top_level_mistake_names_its_line():
    fout = fout_van("naam: x\ndiensten: {}\nstappen: []\nextra: 1\n")
    assert {b.regel for b in fout.bevindingen} == {2, 3, 4}


def test_yaml_syntax_errors_and_duplicate_keys_name_their_line():
    fout = fout_van(KOP + "  - dienst: demo\n    operatie: [x\n")
    assert fout.bevindingen[0].melding.startswith("not valid YAML")
    assert fout.bevindingen[0].regel in (6, 7)
    tekst = KOP + "  - dienst: demo\n    operatie: a\n    operatie: b  # twice\n"
    [bevinding] = fout_van(tekst).bevindingen
    assert bevinding.regel == regel_van(tekst, "# twice")
    assert "appears twice" in bevinding.melding


def test_a_placeholder_to_an_unknown_result_names_the_step_and_line():
    tekst = KOP + textwrap.dedent(
        """\
          - dienst: demo
            operatie: maak
            als: persoon
          - dienst: demo
            operatie: lees
            met:
              id: ${persoon.id}
              pip: ${pip.id}  # unknown
        """
    )
    [bevinding] = fout_van(tekst).bevindingen
    assert bevinding.stap == 2
    assert bevinding.regel == regel_van(tekst, "# unknown")
    assert "${pip.id} refers to 'pip', which no earlier step keeps" in bevinding.melding
    assert "known: persoon" in bevinding.melding


def test_a_placeholder_to_a_later_result_is_an_error_too():
    tekst = KOP + textwrap.dedent(
        """\
          - dienst: demo
            operatie: lees
            verwacht:
              json: {id: "${later.id}"}
          - dienst: demo
            operatie: maak
            als: later
        """
    )
    [bevinding] = fout_van(tekst).bevindingen
    assert (bevinding.stap, bevinding.regel) == (1, 8)
    assert "known: none yet" in bevinding.melding


def test_services_durations_and_instants_are_checked_with_their_line():
    tekst = textwrap.dedent(
        """\
        naam: test
        diensten:
          demo: http://127.0.0.1:9
        stappen:
          - dienst: elders  # undeclared service
            operatie: x
          - klok: {vooruit: P3X}  # bad duration
          - klok: {naar: "2026-06-01T09:00:00"}  # no offset
          - klok: {herstel: true, diensten: [demo, weg]}  # undeclared in klok
          - wacht: {dienst: demo, operatie: x, tot: {status: 200}, binnen: P1M}  # months
        """
    )
    per_regel = {b.regel: b.melding for b in fout_van(tekst).bevindingen}
    assert "service 'elders' is not declared" in per_regel[regel_van(tekst, "# undeclared service")]
    assert "not an ISO 8601 duration" in per_regel[regel_van(tekst, "# bad duration")]
    assert "with offset" in per_regel[regel_van(tekst, "# no offset")]
    assert "'weg' is not declared" in per_regel[regel_van(tekst, "# undeclared in klok")]
    assert "without years or months" in per_regel[regel_van(tekst, "# months")]


CLIENTS = """\
naam: test
diensten:
  demo: http://127.0.0.1:9
  ander: http://127.0.0.1:9
client:
  demo: {client_id_env: DEMO_ID, secret_env: DEMO_SECRET}
  medewerker:
    client_id_env: MDW_ID
    secret_env: MDW_SECRET
    user_id: mdw-0001
    user_representation: M. de Wit
stappen:
"""


def test_a_step_uses_the_client_it_names_else_the_one_named_like_its_service():
    tekst = CLIENTS + textwrap.dedent(
        """\
          - {dienst: demo, operatie: a}
          - {dienst: demo, operatie: b, als_client: medewerker}
          - {dienst: ander, operatie: c}
          - wacht: {dienst: ander, operatie: d, als_client: demo, tot: {status: 200}}
        """
    )
    scenario = lees_scenario(tekst)
    assert [s.client for s in scenario.stappen] == ["demo", "medewerker", None, "demo"]
    assert scenario.clients["medewerker"].user_id == "mdw-0001"
    assert scenario.clients["medewerker"].user_representation == "M. de Wit"


def test_an_unknown_client_names_its_line_in_a_call_and_in_a_wacht():
    tekst = CLIENTS + textwrap.dedent(
        """\
          - dienst: demo
            als_client: medewerkr  # typo
            operatie: a
          - wacht:
              dienst: demo
              operatie: b
              als_client: niemand  # unknown
              tot: {status: 200}
        """
    )
    fout = fout_van(tekst)
    per_regel = {b.regel: b for b in fout.bevindingen}
    typo = per_regel[regel_van(tekst, "# typo")]
    assert typo.stap == 1
    assert typo.melding == ("client 'medewerkr' is not declared under client (demo, medewerker)")
    assert per_regel[regel_van(tekst, "# unknown")].stap == 2
    assert f"t.yaml:{regel_van(tekst, '# typo')}: step 1: client 'medewerkr'" in str(fout)


def test_a_client_has_a_literal_user_or_a_variable_not_both():
    tekst = textwrap.dedent(
        """\
        naam: test
        diensten: {demo: null}
        client:
          demo:
            client_id_env: A
            secret_env: B
            user_id: mdw-1  # both
            user_id_env: USER
            user: x  # unknown key
        stappen:
          - klok: {herstel: true}
        """
    )
    per_regel = {b.regel: b.melding for b in fout_van(tekst).bevindingen}
    # The schema error of the mapping lands on its first key's line.
    assert "at most one of user_id and user_id_env" in per_regel[regel_van(tekst, "client_id_env")]
    assert (
        "client.demo.user: unknown key (did you mean 'user_id'?)"
        in (per_regel[regel_van(tekst, "# unknown key")])
    )


def test_timestamps_stay_strings_until_the_runner_reads_them():
    tekst = KOP + "  - klok:\n      naar: 2026-06-01T09:00:00+02:00\n      bevroren: true\n"
    [klok] = lees_scenario(tekst).stappen
    assert isinstance(klok, Klok)
    assert klok.naar == datetime.fromisoformat("2026-06-01T09:00:00+02:00")
    assert klok.bevroren


class Nieuw(BaseModel):
    naam: str


def openapi_document() -> dict:
    app = FastAPI()

    @app.post("/dossiers/{dossier_id}/personen", operation_id="maakPersoon", status_code=201)
    async def maak(dossier_id: str, body: Nieuw, bron: str | None = None) -> dict:
        return {}

    @app.get("/personen/{persoon_id}", operation_id="leesPersoon")
    async def lees(persoon_id: str) -> dict:
        return {}

    return app.openapi()


def test_operations_come_from_the_openapi_document():
    gevonden = operaties(openapi_document())
    maak, lees = gevonden["maakPersoon"], gevonden["leesPersoon"]
    assert (maak.methode, maak.pad, maak.heeft_body, maak.body_verplicht) == (
        "POST",
        "/dossiers/{dossier_id}/personen",
        True,
        True,
    )
    # Path and query parameters by name, the rest is the body; path values are escaped.
    assert maak.verzoek({"dossier_id": "d/1", "bron": "coa", "naam": "Amal"}) == (
        "/dossiers/d%2F1/personen",
        {"bron": "coa"},
        {},
        {"naam": "Amal"},
    )
    assert lees.verzoek({"persoon_id": 7}) == ("/personen/7", {}, {}, None)
    with pytest.raises(ValueError, match="needs path parameter 'persoon_id'"):
        lees.verzoek({})
    with pytest.raises(ValueError, match="takes no body; unknown in 'met': naam"):
        lees.verzoek({"persoon_id": "p", "naam": "x"})


def stap() -> Aanroep:
    return Aanroep(3, 12, None, "demo", "x", {}, None, Verwachting())


def test_placeholders_keep_the_type_of_a_whole_value_and_fail_naming_the_step():
    resultaten = {"persoon": {"id": 7, "adres": [{"plaats": "Ede"}]}}
    assert vul_in(
        {"id": "${persoon.id}", "tekst": "p-${persoon.id}", "plaats": "${persoon.adres.0.plaats}"},
        resultaten,
        stap(),
    ) == {"id": 7, "tekst": "p-7", "plaats": "Ede"}
    with pytest.raises(StapMislukt, match=r"step 3 \(line 12\) failed: .*has no field 'bsn'"):
        vul_in("${persoon.bsn}", resultaten, stap())


def test_json_expectations_are_subsets():
    echt = {"id": 1, "status": "actief", "extra": True, "lijst": [{"a": 1, "b": 2}]}
    assert json_verschil({"status": "actief", "lijst": [{"a": 1}]}, echt) is None
    assert json_verschil({"status": "klaar"}, echt) == '$.status: expected "klaar", got "actief"'
    assert "'ontbreekt' is a required property" in json_verschil({"ontbreekt": 1}, echt)
    assert json_verschil({"extra": 1}, echt) == "$.extra: expected 1, got true"  # JSON, not Python
    assert json_verschil({"lijst": []}, echt) is not None  # arrays match in length


def test_bevat_holds_for_a_list_with_one_element_that_contains_the_pattern():
    signalen = [
        {"code": "termijn-gewijzigd", "status": "open"},
        {"code": "map-te-laat-geregistreerd", "status": "open", "betreftId": "map-1"},
    ]
    assert json_verschil({"bevat": {"code": "map-te-laat-geregistreerd"}}, signalen) is None
    assert json_verschil({"bevat": {"status": "open"}}, signalen) is None
    # Nested: a list inside an object, a placeholder-free subset of one element.
    assert json_verschil({"lijst": {"bevat": {"betreftId": "map-1"}}}, {"lijst": signalen}) is None
    # Not there: the message names the pattern and what came.
    assert json_verschil({"bevat": {"code": "pip-aanleveren"}}, signalen) == (
        f'$: no element contains {{"code": "pip-aanleveren"}} (got {json.dumps(signalen)})'
    )
    assert json_verschil({"bevat": {"code": "x"}}, []).startswith("$: no element contains")
    # Only a list contains: an object is not one, whatever its members.
    assert "is not of type 'array'" in json_verschil({"bevat": {"a": 1}}, {"a": 1})
    # {bevat: ...} with another key beside it is an ordinary object expectation.
    assert json_verschil({"bevat": 1, "x": 2}, {"bevat": 1, "x": 2}) is None


def test_bevat_holds_placeholders_like_any_expectation():
    verwachting = Verwachting(json={"bevat": {"id": "${p.id}"}}, heeft_json=True)
    ingevuld = vul_in_verwachting(verwachting, {"p": {"id": 7}}, stap())
    assert ingevuld.json == {"bevat": {"id": 7}}
    assert json_verschil(ingevuld.json, [{"id": 6}, {"id": 7}]) is None


def test_without_an_expected_status_any_2xx_passes():
    ok = httpx.Response(204)
    fout = httpx.Response(404, json={"detail": "weg"})
    assert verschil(Verwachting(), ok, None) is None
    assert "expected a 2xx status, got 404" in verschil(Verwachting(), fout, {"detail": "weg"})
    assert verschil(Verwachting(status=404), fout, None) is None


def test_urls_come_from_the_command_line_then_the_environment_then_the_file():
    scenario = lees_scenario(
        "naam: t\ndiensten:\n  duo-adapter: http://file\n  coa-adapter: null\n"
        "stappen:\n  - klok: {herstel: true}\n"
    )
    omgeving = {"KETEN_DUO_ADAPTER_URL": "http://env", "KETEN_COA_ADAPTER_URL": "http://coa"}
    assert dienst_urls(scenario, {}, omgeving) == {
        "duo-adapter": "http://env",
        "coa-adapter": "http://coa",
    }
    assert dienst_urls(scenario, {"duo-adapter": "http://cli"}, omgeving)["duo-adapter"] == (
        "http://cli"
    )
    with pytest.raises(ScenarioFout, match=r"<scenario>:4: no URL for service 'coa-adapter'"):
        dienst_urls(scenario, {}, {})
    with pytest.raises(ScenarioFout, match="declares no service 'cbs'"):
        dienst_urls(scenario, {"cbs": "http://x"}, omgeving)


async def test_a_missing_user_variable_stops_the_run_before_any_request():
    scenario = lees_scenario(
        "naam: t\ndiensten: {demo: null}\nclient:\n"
        "  mdw: {client_id_env: A, secret_env: B, user_id_env: MDW_USER}\n"
        "stappen:\n  - klok: {herstel: true}\n"
    )
    with pytest.raises(ScenarioFout, match="client 'mdw': environment variable MDW_USER is not"):
        await voer_uit(scenario, {"demo": "http://127.0.0.1:9"}, omgeving={"A": "a", "B": "b"})


async def test_missing_credentials_stop_the_run_before_any_request():
    scenario = laad_scenario(VOORBEELD)
    with pytest.raises(ScenarioFout, match="SCENARIO_TEST_SECRET is not set"):
        # Port 9 (discard) is never asked: the check comes first.
        await voer_uit(
            scenario,
            {"testdienst": "http://127.0.0.1:9"},
            omgeving={"SCENARIO_TEST_CLIENT_ID": "x"},
        )


def test_the_check_command(capsys, tmp_path):
    assert cli.main(["scenario", "check", str(VOORBEELD)]) == 0
    assert "ok ('Voorbeeld, termijn van drie maanden', 4 steps)" in capsys.readouterr().out
    slecht = tmp_path / "slecht.yaml"
    slecht.write_text(KOP + "  - dienst: demo\n    operatie: 5\n")
    assert cli.main(["scenario", "check", str(slecht)]) == 2
    assert f"{slecht}:6: step 1: stappen[0].operatie: 5 is not of type 'string'" in (
        capsys.readouterr().err
    )
