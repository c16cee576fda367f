"""The vendor command validates structured events and Kafka dumps with precise errors."""

from __future__ import annotations

import copy
import io
import json

import pytest

from keten_contracts.cli import main
from keten_contracts.events import get_event_type
from keten_contracts.validation import validate_document, validate_kafka, validate_structured

PIP = "nl.inburgering.pip.vastgesteld.v1"
OPDRACHT = "nl.inburgering.opdracht.verstrekt.v1"
VOORTGANG = "nl.inburgering.voortgang-rapport.ontvangen.v1"


def kafka_dump(type_str: str) -> dict:
    example = get_event_type(type_str).example()
    headers = {
        f"ce_{k}": str(v) for k, v in example.items() if k not in ("data", "datacontenttype")
    }
    headers["content-type"] = "application/json"
    return {
        "topic": get_event_type(type_str).topic,
        "headers": headers,
        "key": example["partitionkey"],
        "value": json.dumps(example["data"]),
    }


def run(tmp_path, capsys, document, name="event.json") -> tuple[int, str]:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    code = main(["validate", str(path)])
    return code, capsys.readouterr().out


@pytest.mark.parametrize("type_str", [PIP, OPDRACHT, VOORTGANG])
def test_valid_examples_pass_in_both_modes(tmp_path, capsys, type_str):
    code, out = run(tmp_path, capsys, get_event_type(type_str).example())
    assert code == 0 and f"OK ({type_str})" in out
    code, out = run(tmp_path, capsys, kafka_dump(type_str), "dump.json")
    assert code == 0, out


def test_malformed_event_is_rejected_naming_the_field(tmp_path, capsys):
    event = get_event_type(PIP).example()
    event["data"]["versie"] = 0
    code, out = run(tmp_path, capsys, event)
    assert code == 1
    assert "INVALID" in out and "data.versie: Input should be greater than or equal to 1" in out


def test_each_kind_of_mistake_names_its_field():
    event = get_event_type(PIP).example()
    bad = copy.deepcopy(event)
    del bad["gemeentecode"]
    bad["time"] = "2025-07-15T09:30:00"
    bad["data"]["leerroute"] = "b1-route"
    bad["subject"] = "pip-anders"
    errors = "\n".join(validate_structured(bad).errors)
    assert "attribute gemeentecode: required for " + PIP in errors
    assert "attribute time: Input should have timezone info" in errors
    assert "data.leerroute: Extra inputs are not permitted" in errors
    assert "attribute subject: must equal data.pipId" in errors


def test_personal_data_and_bsn_are_refused_anywhere():
    bad = get_event_type(PIP).example()
    bad["subject"] = "111222333"
    bad["data"]["pipId"] = "111222333"
    errors = "\n".join(validate_structured(bad).errors)
    assert "attribute subject: Value error, must not contain a BSN" in errors
    assert "data.pipId: contains a number that passes the BSN elfproef" in errors


def test_unknown_type_gets_a_suggestion():
    bad = get_event_type(PIP).example()
    bad["type"] = "nl.inburgering.pip.vastgesteldd.v1"
    errors = validate_structured(bad).errors
    assert any(f"did you mean '{PIP}'" in e for e in errors)


def test_opdracht_needs_aanbieder_routing_and_a_kind_that_may_receive_it():
    bad = get_event_type(OPDRACHT).example()
    del bad["aanbiederoin"]
    bad["aanbiedersoort"] = "map-aanbieder"
    assert validate_structured(bad).errors == [
        f"attribute aanbiederoin: required for {OPDRACHT} (routing)"
    ]
    wrong_place = get_event_type(PIP).example()
    wrong_place["aanbiedersoort"] = "taalaanbieder"
    assert any("not used by" in e for e in validate_structured(wrong_place).errors)


def test_kafka_dump_errors_name_headers_key_and_topic():
    dump = kafka_dump(PIP)
    dump["key"] = "iets-anders"
    dump["topic"] = "nl.inburgering.duo"
    del dump["headers"]["content-type"]
    dump["headers"]["ce_gemeentecode"] = "363"
    errors = "\n".join(validate_kafka(dump).errors)
    assert "header content-type: missing" in errors
    assert "header ce_gemeentecode: String should match pattern" in errors
    assert "key: must equal header ce_partitionkey" in errors
    assert f"topic: {PIP} belongs on 'nl.inburgering.gemeente'" in errors


def test_kafka_headers_as_pairs_and_batches(tmp_path, capsys):
    dump = kafka_dump(PIP)
    dump["headers"] = [[k, v] for k, v in dump["headers"].items()]
    reports = validate_document([dump, get_event_type(PIP).example()], "batch")
    assert [r.ok for r in reports] == [True, True]
    assert [r.label for r in reports] == ["batch[0]", "batch[1]"]


def test_not_json_is_reported(tmp_path, capsys):
    path = tmp_path / "broken.json"
    path.write_text("{nope")
    assert main(["validate", str(path)]) == 1
    assert "not JSON" in capsys.readouterr().out


def test_types_command_lists_the_catalogue(capsys):
    assert main(["types"]) == 0
    out = capsys.readouterr().out
    assert f"{VOORTGANG}\tnl.inburgering.gemeente" in out and "[personal data]" not in out


def test_a_run_ends_with_a_summary_of_what_was_checked(tmp_path, capsys):
    good = get_event_type(PIP).example()
    code, out = run(tmp_path, capsys, [good, kafka_dump(PIP)], "batch.json")
    assert code == 0
    assert out.splitlines()[-1] == "checked 2 event(s)/message(s) in 1 file(s): 0 failed"
    bad = copy.deepcopy(good)
    bad["data"]["versie"] = 0
    code, out = run(tmp_path, capsys, [good, bad, kafka_dump(PIP)], "mixed.json")
    assert code == 1
    assert out.splitlines()[-1] == "checked 3 event(s)/message(s) in 1 file(s): 1 failed"


def test_quiet_prints_only_failures_and_the_summary(tmp_path, capsys):
    path = tmp_path / "event.json"
    path.write_text(json.dumps(get_event_type(PIP).example()))
    assert main(["validate", "-q", str(path)]) == 0
    assert capsys.readouterr().out == "checked 1 event(s)/message(s) in 1 file(s): 0 failed\n"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[]", "empty batch"),
        ("[]\n", "empty batch"),
        ("", "empty file"),
        ("  \n", "empty file"),
    ],
)
def test_nothing_to_check_fails_and_says_so(tmp_path, capsys, text, reason):
    path = tmp_path / "dump.json"
    path.write_text(text)
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}: nothing to check ({reason}" in out
    assert out.splitlines()[-1].startswith("checked 0 event(s)/message(s) in 1 file(s)")
    assert out.splitlines()[-1].endswith("nothing to check")


def test_empty_stdin_is_nothing_to_check(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["validate", "-"]) == 1
    assert "-: nothing to check (empty file)" in capsys.readouterr().out


def test_an_empty_file_next_to_a_valid_one_still_fails(tmp_path, capsys):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(get_event_type(PIP).example()))
    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    assert main(["validate", str(good), str(empty)]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == (
        "checked 1 event(s)/message(s) in 2 file(s): 0 failed, 1 file(s) not checked"
    )
