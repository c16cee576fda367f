"""Subscription filters: the CloudEvents Subscriptions API dialects the router supports."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from notificatie_router.filters import (
    MAX_DEPTH,
    AllOf,
    AnyOf,
    Exact,
    FilterError,
    Filters,
    Not,
    Prefix,
    Suffix,
    compile_filters,
    dump_filters,
    parse_filters,
)

EVENT = {
    "specversion": "1.0",
    "id": "5a1f0c1e-0000-4000-8000-000000000001",
    "source": "urn:nld:oin:00000001002220647000:systeem:dossier-bron",
    "type": "nl.inburgering.pip.vastgesteld.v1",
    "subject": "pip-7f3c2a",
    "gemeentecode": "GM0363",
}


def matches(raw: Any, attributes: dict[str, str] = EVENT) -> bool:
    return compile_filters(parse_filters(raw))(attributes)


# --- each dialect --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ([{"exact": {"type": "nl.inburgering.pip.vastgesteld.v1"}}], True),
        ([{"exact": {"type": "nl.inburgering.pip"}}], False),
        # Several entries: "the values of the matching CloudEvents attributes MUST all ... match".
        (
            [{"exact": {"type": "nl.inburgering.pip.vastgesteld.v1", "gemeentecode": "GM0363"}}],
            True,
        ),
        (
            [{"exact": {"type": "nl.inburgering.pip.vastgesteld.v1", "gemeentecode": "GM0014"}}],
            False,
        ),
        ([{"prefix": {"type": "nl.inburgering.pip."}}], True),
        ([{"prefix": {"type": "nl.inburgering.dossier."}}], False),
        ([{"prefix": {"type": "nl.", "gemeentecode": "GM03"}}], True),
        ([{"prefix": {"type": "nl.", "gemeentecode": "GM00"}}], False),
        ([{"suffix": {"type": ".vastgesteld.v1"}}], True),
        ([{"suffix": {"type": ".gewijzigd.v1"}}], False),
        ([{"suffix": {"type": ".v1", "subject": "7f3c2a"}}], True),
        ([{"suffix": {"type": ".v1", "subject": "7f3c2b"}}], False),
        ([{"all": [{"prefix": {"type": "nl."}}, {"exact": {"gemeentecode": "GM0363"}}]}], True),
        ([{"all": [{"prefix": {"type": "nl."}}, {"exact": {"gemeentecode": "GM0014"}}]}], False),
        ([{"any": [{"prefix": {"type": "xx."}}, {"exact": {"gemeentecode": "GM0363"}}]}], True),
        ([{"any": [{"prefix": {"type": "xx."}}, {"exact": {"gemeentecode": "GM0014"}}]}], False),
        ([{"not": {"exact": {"gemeentecode": "GM0014"}}}], True),
        ([{"not": {"exact": {"gemeentecode": "GM0363"}}}], False),
    ],
)
def test_each_dialect_matches_and_does_not(raw: Any, expected: bool) -> None:
    assert matches(raw) is expected


def test_comparisons_are_case_sensitive() -> None:
    # "... exactly match with the associated value String specified (case sensitive)."
    assert not matches([{"exact": {"gemeentecode": "gm0363"}}])
    assert not matches([{"prefix": {"gemeentecode": "gm"}}])
    assert not matches([{"suffix": {"type": ".V1"}}])


def test_extension_attributes_are_matched_like_context_attributes() -> None:
    assert matches([{"exact": {"aanbiedersoort": "taalschool"}}], {"aanbiedersoort": "taalschool"})


def test_nesting() -> None:
    raw = [
        {
            "any": [
                {
                    "all": [
                        {"prefix": {"type": "nl.inburgering.dossier."}},
                        {"not": {"suffix": {"type": ".v1"}}},
                    ]
                },
                {
                    "all": [
                        {"exact": {"gemeentecode": "GM0363"}},
                        {"not": {"not": {"prefix": {"subject": "pip-"}}}},
                    ]
                },
            ]
        }
    ]
    assert matches(raw)
    assert not matches(raw, {**EVENT, "subject": "dossier-1"})
    assert matches(raw, {"type": "nl.inburgering.dossier.aangemaakt.v2"})


# --- top-level list and missing attributes -------------------------------------------------


def test_top_level_list_is_a_conjunction_and_empty_or_absent_matches_everything() -> None:
    # "If any filter expression in the array evaluates to false, the event MUST NOT be sent";
    # "Absence of a filter or empty array implies a value of true."
    assert matches([{"prefix": {"type": "nl."}}, {"exact": {"gemeentecode": "GM0363"}}])
    assert not matches([{"prefix": {"type": "nl."}}, {"exact": {"gemeentecode": "GM0014"}}])
    assert parse_filters([]) == ()
    assert parse_filters(None) == ()
    assert compile_filters(())({})
    assert compile_filters(())(EVENT)


TYPE_MATCH = {"exact": EVENT["type"], "prefix": "nl.", "suffix": ".v1"}


@pytest.mark.parametrize("dialect", ["exact", "prefix", "suffix"])
def test_an_absent_attribute_matches_nothing_and_its_negation_matches(dialect: str) -> None:
    # No value to compare: false even where the same filter on an empty-ish value could match.
    assert not matches([{dialect: {"aanbiederoin": "0"}}])
    assert matches([{"not": {dialect: {"aanbiederoin": "0"}}}])
    # One absent attribute among several entries makes the whole expression false.
    assert matches([{dialect: {"type": TYPE_MATCH[dialect]}}])
    assert not matches([{dialect: {"type": TYPE_MATCH[dialect], "nope": "x"}}])


def test_a_non_string_attribute_value_does_not_match_and_does_not_raise() -> None:
    attributes: dict[str, Any] = {"sequence": 7}
    assert not matches([{"exact": {"sequence": "7"}}], attributes)
    assert not matches([{"prefix": {"sequence": "7"}}], attributes)
    assert not matches([{"suffix": {"sequence": "7"}}], attributes)


# --- refused dialects and malformed expressions -------------------------------------------


@pytest.mark.parametrize("dialect", ["sql", "regex", "Exact", "ce:exact"])
def test_unsupported_dialects_are_refused(dialect: str) -> None:
    with pytest.raises(
        FilterError, match=rf"filters\[1\]: filter dialect '{dialect}' is not supported"
    ):
        parse_filters([{"exact": {"type": "a"}}, {dialect: "source LIKE '%x%'"}])


def test_an_unsupported_dialect_is_refused_when_nested() -> None:
    with pytest.raises(FilterError, match=r"filters\[0\]\.any\[1\]\.not: filter dialect 'sql'"):
        parse_filters([{"any": [{"exact": {"type": "a"}}, {"not": {"sql": "TRUE"}}]}])


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {"exact": {"type": "a"}},
            r"^filters: must be an array of filter expressions, not an object",
        ),
        ("exact", r"^filters: must be an array"),
        (["exact"], r"^filters\[0\]: a filter expression must be an object, not a string"),
        (
            [{}],
            r"^filters\[0\]: a filter expression must have exactly one key, .* \(got none\)",
        ),
        (
            [{"exact": {"type": "a"}, "prefix": {"type": "b"}}],
            r"^filters\[0\]: .* exactly one key, its dialect \(got 'exact', 'prefix'\)",
        ),
        ([{"exact": {}}], r"^filters\[0\]\.exact: dialect 'exact' takes a non-empty object"),
        ([{"prefix": "type"}], r"^filters\[0\]\.prefix: dialect 'prefix' takes a non-empty object"),
        (
            [{"suffix": [{"type": "a"}]}],
            r"^filters\[0\]\.suffix: dialect 'suffix' takes a non-empty object",
        ),
        (
            [{"exact": {"type": 1}}],
            r"^filters\[0\]\.exact\.type: the value must be a non-empty string",
        ),
        (
            [{"exact": {"type": None}}],
            r"^filters\[0\]\.exact\.type: the value must be a non-empty string",
        ),
        (
            [{"exact": {"type": True}}],
            r"^filters\[0\]\.exact\.type: the value must be a non-empty string",
        ),
        (
            [{"prefix": {"type": ["a"]}}],
            r"^filters\[0\]\.prefix\.type: the value must be a non-empty string",
        ),
        (
            [{"suffix": {"type": ""}}],
            r"^filters\[0\]\.suffix\.type: the value must be a non-empty string",
        ),
        ([{"exact": {"": "a"}}], r"^filters\[0\]\.exact: '' is not a CloudEvents attribute name"),
        (
            [{"exact": {"Type": "a"}}],
            r"^filters\[0\]\.exact: 'Type' is not a CloudEvents attribute name",
        ),
        (
            [{"exact": {"gemeente_code": "a"}}],
            r"'gemeente_code' is not a CloudEvents attribute name",
        ),
        (
            [{"exact": {"gemeente-code": "a"}}],
            r"'gemeente-code' is not a CloudEvents attribute name",
        ),
        ([{"exact": {"ty pe": "a"}}], r"'ty pe' is not a CloudEvents attribute name"),
        ([{"exact": {"typé": "a"}}], r"'typé' is not a CloudEvents attribute name"),
        ([{"exact": {"type\n": "a"}}], r"is not a CloudEvents attribute name"),
        # "MUST NOT use the name `data`".
        ([{"exact": {"data": "a"}}], r"'data' is not a CloudEvents attribute name"),
        ([{"all": []}], r"^filters\[0\]\.all: dialect 'all' takes a non-empty array"),
        ([{"any": []}], r"^filters\[0\]\.any: dialect 'any' takes a non-empty array"),
        (
            [{"any": {"exact": {"type": "a"}}}],
            r"^filters\[0\]\.any: dialect 'any' takes a non-empty array",
        ),
        (
            [{"all": [{"exact": {"type": "a"}}, 3]}],
            r"^filters\[0\]\.all\[1\]: a filter expression must be an object, not int",
        ),
        (
            [{"not": [{"exact": {"type": "a"}}]}],
            r"^filters\[0\]\.not: dialect 'not' takes one filter expression",
        ),
        ([{"not": None}], r"^filters\[0\]\.not: dialect 'not' takes one filter expression"),
        ([{"not": {}}], r"^filters\[0\]\.not: a filter expression must have exactly one key"),
    ],
)
def test_malformed_expressions_are_refused_with_their_path(raw: Any, message: str) -> None:
    with pytest.raises(FilterError, match=message):
        parse_filters(raw)


def test_attribute_names_follow_the_must_rules_only() -> None:
    # Digits first and more than 20 characters are SHOULD NOTs of the naming convention: an
    # event may carry such an extension, so a filter may name it.
    (expression,) = parse_filters([{"exact": {"9lives": "a", "averyverylongextensionname": "b"}}])
    assert expression == Exact((("9lives", "a"), ("averyverylongextensionname", "b")))


def test_nesting_deeper_than_the_bound_is_refused() -> None:
    raw: Any = {"exact": {"type": "a"}}
    for _ in range(MAX_DEPTH - 1):
        raw = {"not": raw}
    assert parse_filters([raw])
    with pytest.raises(FilterError, match=f"nest deeper than {MAX_DEPTH} levels"):
        parse_filters([{"not": raw}])


def test_filter_error_is_a_value_error() -> None:
    assert issubclass(FilterError, ValueError)


# --- round trip and the pydantic field -----------------------------------------------------

ROUND_TRIP = [
    {"exact": {"type": "nl.inburgering.pip.vastgesteld.v1", "gemeentecode": "GM0363"}},
    {"prefix": {"source": "urn:nld:oin:"}},
    {"suffix": {"subject": "-7f3c2a"}},
    {
        "all": [
            {"exact": {"type": "a"}},
            {"any": [{"prefix": {"type": "b"}}, {"not": {"suffix": {"type": "c"}}}]},
        ]
    },
]


def test_parse_dump_parse_round_trips() -> None:
    parsed = parse_filters(ROUND_TRIP)
    assert dump_filters(parsed) == ROUND_TRIP
    assert parse_filters(dump_filters(parsed)) == parsed
    any_of = AnyOf((Prefix((("type", "b"),)), Not(Suffix((("type", "c"),)))))
    assert parsed[3] == AllOf((Exact((("type", "a"),)), any_of))


class Subscription(BaseModel):
    filters: Filters = ()


def test_the_pydantic_field_parses_refuses_and_dumps() -> None:
    subscription = Subscription.model_validate({"filters": ROUND_TRIP})
    assert subscription.filters == parse_filters(ROUND_TRIP)
    assert subscription.model_dump() == {"filters": ROUND_TRIP}
    assert Subscription.model_validate_json(subscription.model_dump_json()) == subscription
    assert Subscription().filters == ()
    assert Subscription(filters=subscription.filters) == subscription
    with pytest.raises(
        ValidationError, match=r"filters\[0\]: filter dialect 'sql' is not supported"
    ):
        Subscription.model_validate({"filters": [{"sql": "TRUE"}]})
    assert Subscription.model_json_schema()["properties"]["filters"]["type"] == "array"


# --- property: the compiled predicate agrees with a plain interpreter of the JSON ----------

NAMES = ["type", "source", "subject", "gemeentecode", "x1"]
VALUES = ["a", "ab", "ba", "aba", "b"]


def reference(expression: dict[str, Any], attributes: dict[str, str]) -> bool:
    """The spec read literally, over the raw JSON: no parsing, no closures."""
    ((dialect, value),) = expression.items()
    if dialect == "exact":
        return all(n in attributes and attributes[n] == v for n, v in value.items())
    if dialect == "prefix":
        return all(n in attributes and attributes[n].startswith(v) for n, v in value.items())
    if dialect == "suffix":
        return all(n in attributes and attributes[n].endswith(v) for n, v in value.items())
    if dialect == "all":
        return all(reference(e, attributes) for e in value)
    if dialect == "any":
        return any(reference(e, attributes) for e in value)
    if dialect == "not":
        return not reference(value, attributes)
    raise AssertionError(dialect)


attribute_maps = st.dictionaries(
    st.sampled_from(NAMES), st.sampled_from(VALUES), min_size=1, max_size=3
)
leaves = st.one_of(
    st.builds(lambda m: {"exact": m}, attribute_maps),
    st.builds(lambda m: {"prefix": m}, attribute_maps),
    st.builds(lambda m: {"suffix": m}, attribute_maps),
)
expressions = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.builds(lambda es: {"all": es}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda es: {"any": es}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda e: {"not": e}, children),
    ),
    max_leaves=12,
)
events = st.dictionaries(st.sampled_from(NAMES), st.sampled_from(VALUES), max_size=len(NAMES))


@settings(max_examples=400, deadline=None)
@given(raw=st.lists(expressions, max_size=3), attributes=st.lists(events, min_size=1, max_size=5))
def test_compiled_predicate_agrees_with_the_reference(
    raw: list[dict[str, Any]], attributes: list[dict[str, str]]
) -> None:
    parsed = parse_filters(raw)
    assert dump_filters(parsed) == raw
    predicate = compile_filters(parsed)
    for event in attributes:
        assert predicate(event) is all(reference(e, event) for e in raw)
