"""Subscription filters: the CloudEvents Subscriptions API filter dialects (spec 3.2.4).

A subscription's ``filters`` is a list of expressions, each a JSON object with exactly one key,
its dialect: ``{ "dialect URI-Reference" : { <dialect-specific-properties> } }``. The router
supports the six dialects the spec makes REQUIRED (``exact``, ``prefix``, ``suffix``, ``all``,
``any``, ``not``) and refuses every other one, the OPTIONAL ``sql`` included: "If a filter
dialect is specified in a subscription that is unsupported by the subscription manager,
creation or update of the subscription MUST be rejected with an error."

``parse_filters`` validates a request body's ``filters`` into immutable expression values,
``dump_filters`` turns them back into JSON (storage, responses), and ``compile_filters``
builds the predicate the router runs for every event and subscription: closures built once,
so the hot path does no parsing and no validation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Final, TypeAlias

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

__all__ = [
    "SUPPORTED_DIALECTS",
    "AllOf",
    "AnyOf",
    "Exact",
    "FilterError",
    "FilterExpression",
    "Filters",
    "Not",
    "Predicate",
    "Prefix",
    "Suffix",
    "compile_filters",
    "dump_filters",
    "parse_filters",
]

SUPPORTED_DIALECTS: Final = ("exact", "prefix", "suffix", "all", "any", "not")

# CloudEvents 1.0 naming conventions: attribute names "MUST consist of lower-case letters [a-z]
# or digits [0-9] from the ASCII character set", "MUST be at least one character in length" and
# "MUST NOT use the name `data`". The length limit ("SHOULD NOT exceed 20 characters") and
# "SHOULD start with a letter" are SHOULDs for whoever names an attribute, not validity rules:
# an event may carry such an attribute, so a filter may name it.
_ATTRIBUTE_NAME: Final = re.compile(r"[a-z0-9]+")
_RESERVED_NAMES: Final = frozenset({"data"})

# Expressions nest; a bound keeps a hostile body from exhausting the parser's recursion (and
# the compiled predicate's call depth). No real subscription comes near it.
MAX_DEPTH: Final = 32


class FilterError(ValueError):
    """A filter expression the router refuses; the message names the path and the dialect."""


Predicate: TypeAlias = Callable[[Mapping[str, str]], bool]


@dataclass(frozen=True, slots=True)
class Exact:
    """``exact``: "the values of the matching CloudEvents attributes MUST all exactly match with
    the associated value String specified (case sensitive)"."""

    attributes: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Prefix:
    """``prefix``: the attributes' values "MUST all start with the associated value String
    specified (case sensitive)"."""

    attributes: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Suffix:
    """``suffix``: the attributes' values "MUST all end with the associated value String
    specified (case sensitive)"."""

    attributes: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class AllOf:
    """``all``: "all nested filter expressions MUST evaluate to true"; at least one."""

    filters: tuple[FilterExpression, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    """``any``: "at least one nested filter expressions MUST evaluate to true"; at least one."""

    filters: tuple[FilterExpression, ...]


@dataclass(frozen=True, slots=True)
class Not:
    """``not``: "the inverse of the result of the nested expression"."""

    filter: FilterExpression


FilterExpression: TypeAlias = Exact | Prefix | Suffix | AllOf | AnyOf | Not

_ATTRIBUTE_DIALECTS: Final[dict[str, type[Exact | Prefix | Suffix]]] = {
    "exact": Exact,
    "prefix": Prefix,
    "suffix": Suffix,
}


# --- parsing -------------------------------------------------------------------------------


def parse_filters(raw: Any) -> tuple[FilterExpression, ...]:
    """Validate a subscription's ``filters`` (decoded JSON) into expressions.

    ``None`` is an absent property: "Absence of a filter or empty array implies a value of
    true." Raises ``FilterError`` naming the offending path (``filters[0].all[1].exact``).
    """
    if raw is None:
        return ()
    if not isinstance(raw, list | tuple):
        raise FilterError(f"filters: must be an array of filter expressions, not {_kind(raw)}")
    return tuple(_parse(item, f"filters[{i}]", 1) for i, item in enumerate(raw))


def _parse(raw: Any, path: str, depth: int) -> FilterExpression:
    if depth > MAX_DEPTH:
        raise FilterError(f"{path}: filter expressions nest deeper than {MAX_DEPTH} levels")
    # { "dialect URI-Reference" : { <dialect-specific-properties> } }: one key, the dialect.
    if not isinstance(raw, dict):
        raise FilterError(f"{path}: a filter expression must be an object, not {_kind(raw)}")
    if len(raw) != 1:
        keys = ", ".join(repr(k) for k in raw) or "none"
        raise FilterError(
            f"{path}: a filter expression must have exactly one key, its dialect (got {keys})"
        )
    ((dialect, value),) = raw.items()
    where = f"{path}.{dialect}"
    if dialect in _ATTRIBUTE_DIALECTS:
        return _ATTRIBUTE_DIALECTS[dialect](_parse_attributes(value, where, dialect))
    if dialect in ("all", "any"):
        # "Note: there MUST be at least one filter expression in the array."
        if not isinstance(value, list | tuple) or not value:
            raise FilterError(
                f"{where}: dialect '{dialect}' takes a non-empty array of filter expressions"
            )
        nested = tuple(_parse(item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value))
        return AllOf(nested) if dialect == "all" else AnyOf(nested)
    if dialect == "not":
        # "Use of this MUST include one nested filter expression": an object, not an array.
        if not isinstance(value, dict):
            raise FilterError(f"{where}: dialect 'not' takes one filter expression (an object)")
        return Not(_parse(value, where, depth + 1))
    supported = ", ".join(SUPPORTED_DIALECTS)
    raise FilterError(
        f"{path}: filter dialect {dialect!r} is not supported (supported: {supported})"
    )


def _parse_attributes(raw: Any, where: str, dialect: str) -> tuple[tuple[str, str], ...]:
    # "The keys are the names of the CloudEvents attributes to be matched, and their values are
    # the String values to use in the comparison." Several keys are allowed (the spec's own
    # examples have two) and all must match. An empty map names nothing to match: refused.
    if not isinstance(raw, dict) or not raw:
        raise FilterError(
            f"{where}: dialect '{dialect}' takes a non-empty object of attribute names to"
            " string values"
        )
    pairs: list[tuple[str, str]] = []
    for name, value in raw.items():
        if (
            not isinstance(name, str)
            or _ATTRIBUTE_NAME.fullmatch(name) is None
            or name in _RESERVED_NAMES
        ):
            raise FilterError(
                f"{where}: {name!r} is not a CloudEvents attribute name (lower-case a-z and"
                " 0-9, at least one character, not 'data')"
            )
        # "The attribute name and value specified in the filter expression MUST NOT be empty
        # strings." Non-strings are refused, not coerced: the comparison is on Strings.
        if not isinstance(value, str) or not value:
            raise FilterError(f"{where}.{name}: the value must be a non-empty string")
        pairs.append((name, value))
    return tuple(pairs)


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else type(value).__name__
    )


# --- dumping -------------------------------------------------------------------------------


def dump_filters(filters: Sequence[FilterExpression]) -> list[dict[str, Any]]:
    """The JSON form of parsed filters; ``parse_filters`` of it gives them back unchanged."""
    return [_dump(f) for f in filters]


def _dump(expression: FilterExpression) -> dict[str, Any]:
    match expression:
        case Exact(attributes):
            return {"exact": dict(attributes)}
        case Prefix(attributes):
            return {"prefix": dict(attributes)}
        case Suffix(attributes):
            return {"suffix": dict(attributes)}
        case AllOf(nested):
            return {"all": [_dump(f) for f in nested]}
        case AnyOf(nested):
            return {"any": [_dump(f) for f in nested]}
        case Not(nested):
            return {"not": _dump(nested)}
    raise TypeError(f"not a filter expression: {expression!r}")  # pragma: no cover


# --- compiling -----------------------------------------------------------------------------


def compile_filters(filters: Sequence[FilterExpression]) -> Predicate:
    """A predicate over an event's attributes (context attributes and extensions by name, in
    their canonical string encoding; an absent attribute is a missing key).

    "If any of the filter expressions in the set evaluate to false, the event MUST NOT be sent
    to the sink"; an empty list is true. An absent attribute has no value to match, so
    ``exact``/``prefix``/``suffix`` on it are false (as the CESQL TCK's recreations of these
    dialects have it) and ``not`` of those true.
    """
    return _conjunction(tuple(_compile(f) for f in filters))


def _always(attributes: Mapping[str, str]) -> bool:
    return True


def _compile(expression: FilterExpression) -> Predicate:
    match expression:
        case Exact(attributes):
            return _conjunction(tuple(_exact(n, v) for n, v in attributes))
        case Prefix(attributes):
            return _conjunction(tuple(_prefix(n, v) for n, v in attributes))
        case Suffix(attributes):
            return _conjunction(tuple(_suffix(n, v) for n, v in attributes))
        case AllOf(nested):
            return _conjunction(tuple(_compile(f) for f in nested))
        case AnyOf(nested):
            return _disjunction(tuple(_compile(f) for f in nested))
        case Not(nested):
            return _negation(_compile(nested))
    raise TypeError(f"not a filter expression: {expression!r}")  # pragma: no cover


# Leaves read one attribute with ``get``: a missing key yields None, which equals no string
# and is no str to call startswith on. The isinstance check also keeps a caller's non-string
# value from raising in the hot path; it just does not match.


def _exact(name: str, value: str) -> Predicate:
    def exact(attributes: Mapping[str, str]) -> bool:
        return attributes.get(name) == value

    return exact


def _prefix(name: str, value: str) -> Predicate:
    def prefix(attributes: Mapping[str, str]) -> bool:
        actual = attributes.get(name)
        return isinstance(actual, str) and actual.startswith(value)

    return prefix


def _suffix(name: str, value: str) -> Predicate:
    def suffix(attributes: Mapping[str, str]) -> bool:
        actual = attributes.get(name)
        return isinstance(actual, str) and actual.endswith(value)

    return suffix


def _conjunction(predicates: tuple[Predicate, ...]) -> Predicate:
    # One predicate needs no wrapper: each level of closure costs a call per event.
    if not predicates:
        return _always
    if len(predicates) == 1:
        return predicates[0]

    def all_of(attributes: Mapping[str, str]) -> bool:
        for predicate in predicates:
            if not predicate(attributes):
                return False
        return True

    return all_of


def _disjunction(predicates: tuple[Predicate, ...]) -> Predicate:
    # The parser guarantees at least one ("there MUST be at least one filter expression").
    if len(predicates) == 1:
        return predicates[0]

    def any_of(attributes: Mapping[str, str]) -> bool:
        for predicate in predicates:
            if predicate(attributes):
                return True
        return False

    return any_of


def _negation(predicate: Predicate) -> Predicate:
    def not_(attributes: Mapping[str, str]) -> bool:
        return not predicate(attributes)

    return not_


# --- pydantic ------------------------------------------------------------------------------

_ATTRIBUTE_MAP_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "minProperties": 1,
    "propertyNames": {"pattern": "^[a-z0-9]+$"},
    "additionalProperties": {"type": "string", "minLength": 1},
}
_EXPRESSION_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "description": "A filter expression: one key, its dialect (CloudEvents Subscriptions API"
    " 3.2.4.1.1). Nested expressions (all, any, not) have the same shape.",
    "minProperties": 1,
    "maxProperties": 1,
    "additionalProperties": False,
    "properties": {
        "exact": _ATTRIBUTE_MAP_SCHEMA,
        "prefix": _ATTRIBUTE_MAP_SCHEMA,
        "suffix": _ATTRIBUTE_MAP_SCHEMA,
        "all": {"type": "array", "minItems": 1, "items": {"type": "object"}},
        "any": {"type": "array", "minItems": 1, "items": {"type": "object"}},
        "not": {"type": "object"},
    },
}

_EXPRESSION_TYPES: Final = (Exact, Prefix, Suffix, AllOf, AnyOf, Not)


def _validate(raw: Any) -> tuple[FilterExpression, ...]:
    # Already parsed (a model built from stored values, model_copy): kept as it is.
    if isinstance(raw, tuple) and all(isinstance(f, _EXPRESSION_TYPES) for f in raw):
        return raw
    return parse_filters(raw)


# A subscription model's field: ``filters: Filters = ()``. Validation is ``parse_filters`` (its
# FilterError becomes a pydantic "Value error, ..."), serialisation is ``dump_filters``.
Filters: TypeAlias = Annotated[
    tuple[FilterExpression, ...],
    PlainValidator(_validate),
    PlainSerializer(dump_filters, return_type=list[dict[str, Any]]),
    WithJsonSchema({"type": "array", "items": _EXPRESSION_SCHEMA}),
]
