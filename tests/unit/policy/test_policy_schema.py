"""The committed policy input schema is the generated one, and real records conform to it."""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib import resources
from typing import Any

import pytest

from gateway.model import POLICY_FIELDS, ExportRecord
from gateway.policy import input_schema
from gateway.policy.schema import input_schema_json

_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "null": lambda v: v is None,
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
}


def _violations(value: Any, schema: dict[str, Any], path: str = "$") -> list[str]:
    """The subset of JSON Schema the generated schema uses; enough to tell good from bad."""
    if "anyOf" in schema:
        if any(not _violations(value, option, path) for option in schema["anyOf"]):
            return []
        return [f"{path}: matches no alternative"]
    if "type" in schema and not _TYPES[schema["type"]](value):
        return [f"{path}: not {schema['type']}"]
    found: list[str] = []
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{path}: not in enum")
    if isinstance(value, str):
        if len(value) > schema.get("maxLength", len(value)) or len(value) < schema.get(
            "minLength", 0
        ):
            found.append(f"{path}: length")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            found.append(f"{path}: pattern")
        if schema.get("format") == "date" and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            found.append(f"{path}: date")
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if is_int and not schema.get("minimum", value) <= value <= schema.get("maximum", value):
        found.append(f"{path}: range")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        found += [f"{path}.{k}: missing" for k in schema.get("required", []) if k not in value]
        if schema.get("additionalProperties") is False:
            found += [f"{path}.{k}: not allowed" for k in value if k not in properties]
        for key, item in value.items():
            if key in properties:
                found += _violations(item, properties[key], f"{path}.{key}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            found += _violations(item, schema["items"], f"{path}[{i}]")
    return found


def test_committed_schema_file_equals_the_generated_one() -> None:
    committed = resources.files("gateway.policies").joinpath("input.schema.json").read_text("utf-8")
    assert committed == input_schema_json(), "regenerate policies/input.schema.json (see schema.py)"


def test_record_schema_lists_every_policy_field_as_required() -> None:
    record = input_schema()["properties"]["records"]["items"]
    assert record["required"] == list(POLICY_FIELDS)
    assert list(record["properties"]) == list(POLICY_FIELDS)
    assert record["additionalProperties"] is False


def test_schema_carries_the_model_constraints() -> None:
    properties = input_schema()["properties"]["records"]["items"]["properties"]
    assert properties["payment_method"]["enum"] == [
        "LC",
        "DP",
        "DA",
        "OA",
        "CAD",
        "TT",
        "CONSIGNMENT",
        "OTHER",
    ]
    assert properties["buyer.name"]["maxLength"] == 256
    assert properties["amount"]["type"] == "string"
    assert properties["amount_minor"]["type"] == "integer"
    assert {"type": "null"} in properties["tenor_days"]["anyOf"]


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"buyer": {"insurer_code": "KS-1"}, "due_date": None, "tenor_days": 30, "incoterms": None},
        {"currency": "KRW", "amount": "150000000", "line_items": [], "description": None},
        {"payment_method": "LC", "declaration_number": None, "hs_code": "850440"},
    ],
    ids=["full", "tenor-only", "krw-no-lines", "lc"],
)
def test_real_policy_inputs_conform(
    record: Callable[..., ExportRecord], changes: dict[str, Any]
) -> None:
    buyer = changes.pop("buyer", None)
    document = {"records": [record(buyer=buyer, **changes).policy_input()]}
    assert _violations(document, input_schema()) == []


def test_the_checker_used_above_does_reject_bad_documents(
    record: Callable[..., ExportRecord],
) -> None:
    good = record().policy_input()
    bad = [
        {**good, "extra": 1},
        {**good, "payment_method": "BARTER"},
        {**good, "buyer.country": "kr"},
        {**good, "tenor_days": "90"},
        {k: v for k, v in good.items() if k != "currency"},
    ]
    for document in bad:
        assert _violations({"records": [document]}, input_schema()) != []
