"""The rendered files are fresh, valid, and agree with the models."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from keten_contracts.events import all_event_types
from keten_contracts.render import (
    ASYNCAPI_FILE,
    SCHEMAS_DIR,
    asyncapi_document,
    contracts_dir,
    json_schemas,
    stale_files,
)
from keten_contracts.resources import all_resources

ASYNCAPI_SPEC = Path(__file__).parent / "data" / "asyncapi-3.0.0.schema.json"


def test_rendered_files_are_not_stale():
    assert stale_files() == [], "run `keten-contracts render` and commit the result"
    assert contracts_dir() is not None and (contracts_dir() / "CATALOGUE.md").exists()


@pytest.fixture(scope="module")
def asyncapi_validator() -> jsonschema.Draft7Validator:
    spec = json.loads(ASYNCAPI_SPEC.read_text())
    return jsonschema.Draft7Validator(spec)


def test_asyncapi_document_validates_against_the_official_3_0_0_schema(asyncapi_validator):
    document = yaml.safe_load(ASYNCAPI_FILE.read_text())
    errors = [
        f"{list(e.absolute_path)}: {e.message}" for e in asyncapi_validator.iter_errors(document)
    ]
    assert errors == []


def test_the_asyncapi_check_does_catch_errors(asyncapi_validator):
    # Negative control: the validator resolves the bundled definitions and really checks.
    document = asyncapi_document()
    broken = copy.deepcopy(document)
    broken["operations"]["gemeente.publish"]["action"] = "publish"  # AsyncAPI 2 wording
    assert list(asyncapi_validator.iter_errors(broken))
    broken = copy.deepcopy(document)
    broken["channels"]["duo"]["bindings"]["kafka"]["partitions"] = -1
    assert list(asyncapi_validator.iter_errors(broken))


def test_asyncapi_has_a_channel_per_domain_and_every_type_once():
    document = asyncapi_document()
    addresses = {c["address"] for c in document["channels"].values()}
    assert addresses == {et.topic for et in all_event_types()}
    messages = document["components"]["messages"]
    assert set(messages) == {et.type for et in all_event_types()}
    trait = document["components"]["messageTraits"]["cloudEventsKafkaBinary"]["headers"]
    assert {"ce_type", "ce_subject", "ce_dataref", "ce_gemeentecode", "content-type"} <= set(
        trait["properties"]
    )
    for et in all_event_types():
        headers = messages[et.type]["headers"]
        assert headers["properties"]["ce_type"]["const"] == et.type
        for ext in et.routing_extensions:
            assert f"ce_{ext}" in headers["required"]


@pytest.mark.parametrize("rel", sorted(json_schemas()))
def test_every_rendered_json_schema_is_valid_2020_12(rel):
    schema = json.loads((SCHEMAS_DIR / rel).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("et", all_event_types(), ids=lambda et: et.type)
def test_examples_validate_against_the_rendered_schema(et):
    schema = json.loads((SCHEMAS_DIR / et.schema_file).read_text())
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(
        et.example()["data"]
    )
    invalid = {**et.example()["data"], "bsn": "111222333"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(invalid)


@pytest.mark.parametrize("rd", all_resources(), ids=lambda rd: rd.name)
def test_resource_examples_validate_against_the_rendered_schema(rd):
    schema = json.loads((SCHEMAS_DIR / f"resources/{rd.name}.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(dict(rd.example))


def test_catalogue_gives_type_schema_example_and_recipients_in_one_section():
    root = contracts_dir()
    assert root is not None
    text = (root / "CATALOGUE.md").read_text()
    for et in all_event_types():
        section = text.split(f"\n### {et.type}\n", 1)[1].split("\n### ", 1)[0]
        assert "**Recipients**" in section and "**Data schema**" in section
        assert f"schemas/{et.schema_file}" in section
        assert '"type": "' + et.type + '"' in section  # the example
        assert f"`{et.topic}`" in section
