"""The JSON Schema of the policy input, derived from the record model.

The policy sees ``{"records": [ExportRecord.policy_input(), ...]}``: flat dotted field names,
every field present (``null`` when the record has no value), decimals and dates as strings.
:func:`input_schema` builds the schema of that document from ``ExportRecord``'s own JSON Schema,
so constraints (lengths, enumerations) cannot drift from the model. ``policies/input.schema.json``
is this function's output, committed for policy authors and editors; a test keeps them equal.
Regenerate it with::

    python -c "from gateway.policy.schema import input_schema_json as s; print(s(), end='')" \\
        > policies/input.schema.json
"""

from __future__ import annotations

import json
from typing import Any, Final

from gateway.model import POLICY_FIELDS, ExportRecord

_DROP_KEYS: Final = frozenset({"title", "default"})

# Fields of policy_input() that are computed rather than stored on the model.
_COMPUTED: Final[dict[str, dict[str, Any]]] = {
    "amount_minor": {
        "type": "integer",
        "minimum": 1,
        "description": "The amount in integer ISO 4217 minor units of the currency.",
    },
    "maturity_date": {
        "type": "string",
        "format": "date",
        "description": "The due date, or the shipment date plus the tenor.",
    },
    "credit_days": {
        "type": "integer",
        "description": (
            "Days from the shipment date to the maturity date (negative when payment falls due "
            "before shipment)."
        ),
    },
    "guard.max_days_overdue": {
        "anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}],
        "description": (
            "Set by the continuing-export guard: how many days the buyer's oldest unpaid invoice "
            "was overdue on the shipment date, beyond the configured threshold; null otherwise."
        ),
    },
}
_DESCRIPTIONS: Final = {
    "amount": "Decimal amount in the currency's major unit, as a string (exact; no floats).",
}
_PATTERNS: Final = {
    "buyer.country": ("^[A-Z]{2}$", "ISO 3166-1 alpha-2 country code."),
    "currency": ("^[A-Z]{3}$", "ISO 4217 currency code."),
    "hs_code": ("^[0-9]{4,12}$", "Harmonized System code, digits only."),
}


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """``node`` with every ``$ref`` replaced by its definition and titles/defaults removed."""
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _inline(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
    return {key: _inline(value, defs) for key, value in node.items() if key not in _DROP_KEYS}


def _field_schema(name: str, model: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    if name in _COMPUTED:
        return dict(_COMPUTED[name])
    if name.startswith("buyer."):
        schema = _inline(defs["Buyer"]["properties"][name.removeprefix("buyer.")], defs)
    else:
        schema = _inline(model["properties"][name], defs)
    if name in _DESCRIPTIONS:
        schema = {**schema, "description": _DESCRIPTIONS[name]}
    if name in _PATTERNS:
        pattern, description = _PATTERNS[name]
        schema = {**schema, "pattern": pattern, "description": description}
    return dict(schema)


def record_schema() -> dict[str, Any]:
    """The schema of one ``ExportRecord.policy_input()`` object."""
    model = ExportRecord.model_json_schema(mode="serialization")
    defs = model.get("$defs", {})
    return {
        "type": "object",
        "description": "One export record as the policy sees it.",
        "additionalProperties": False,
        "required": list(POLICY_FIELDS),
        "properties": {name: _field_schema(name, model, defs) for name in POLICY_FIELDS},
    }


def input_schema() -> dict[str, Any]:
    """The schema of the whole input document of ``data.redaction.export_record.decisions``."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Policy input for data.redaction.export_record",
        "description": "Generated from gateway.model.ExportRecord; do not edit by hand.",
        "type": "object",
        "additionalProperties": False,
        "required": ["records"],
        "properties": {"records": {"type": "array", "items": record_schema()}},
    }


def input_schema_json() -> str:
    """:func:`input_schema` as the exact text committed in ``policies/input.schema.json``."""
    return json.dumps(input_schema(), indent=2, ensure_ascii=False) + "\n"
