"""Protected fields: what may leave in clear only under an exception the policy justifies.

Buyer names, invoice references and line items (with their unit prices) are the exporter's
trade secrets. A policy may let one of them leave in clear (an operator of type ``keep`` or
``truncate``) only when it declares the exception, with a written justification, in its
``disclosure_exceptions`` rule::

    disclosure_exceptions := {
        "line_items": "Insurer requires unit prices for goods over 1M USD (cover terms, art. 7).",
    }

The transform stage refuses an undeclared clear disclosure record by record (withheld as
``transform.protected``), and ``gateway policy activate`` refuses such a version before it is
ever used. Pure: no IO.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from gateway.errors import PolicyError

#: Protected fields and what they are, in words a compliance officer uses.
PROTECTED_FIELDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "buyer.name": "buyer name",
        "invoice_number": "invoice reference",
        "source_ref": "invoice reference (export file and row)",
        "line_items": "line items with their unit prices",
    }
)
#: Operator types that let a value (or part of it) leave as written.
CLEAR_TYPES: Final = frozenset({"keep", "truncate"})
EXCEPTIONS_RULE: Final = "disclosure_exceptions"
MIN_JUSTIFICATION_CHARS: Final = 20
MAX_JUSTIFICATION_CHARS: Final = 2000
_PLACEHOLDERS: Final = frozenset({"todo", "tbd", "n/a", "na", "none", "-", "justification"})


def in_clear(field: str, operator_type: str) -> bool:
    """Whether ``operator_type`` on ``field`` lets a protected value leave in clear."""
    return field in PROTECTED_FIELDS and operator_type in CLEAR_TYPES


def check_exceptions(value: Any, *, where: str) -> dict[str, str]:
    """The policy's declared exceptions, checked: protected field names to a real justification.

    ``None`` (the rule is undefined) means none. Anything else that is not an object of
    protected field names to justifications of at least :data:`MIN_JUSTIFICATION_CHARS`
    characters is a :class:`PolicyError` (the justification's text is never echoed).
    """
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise PolicyError(f"{where} must be an object of field name to justification")
    checked: dict[str, str] = {}
    for field, text in value.items():
        if field not in PROTECTED_FIELDS:
            raise PolicyError(
                f"{where}: {field!r} is not a protected field "
                f"(protected: {', '.join(PROTECTED_FIELDS)})"
            )
        if not isinstance(text, str):
            raise PolicyError(f"{where}.{field}: the justification must be text")
        stripped = " ".join(text.split())
        if stripped.lower() in _PLACEHOLDERS or len(stripped) < MIN_JUSTIFICATION_CHARS:
            raise PolicyError(
                f"{where}.{field}: write the justification out "
                f"(at least {MIN_JUSTIFICATION_CHARS} characters saying why it must leave)"
            )
        if len(stripped) > MAX_JUSTIFICATION_CHARS:
            raise PolicyError(f"{where}.{field}: longer than {MAX_JUSTIFICATION_CHARS} characters")
        checked[field] = stripped
    return checked


@dataclass(frozen=True)
class ProtectedFinding:
    """A protected field the policy lets leave in clear on ``records`` sample records."""

    field: str
    label: str
    operator: str
    records: int


def clear_findings(
    decisions: Sequence[Mapping[str, Sequence[str]]], operator_types: Mapping[str, str]
) -> list[ProtectedFinding]:
    """Every (protected field, operator) pair the attach ``decisions`` use to disclose in clear.

    ``decisions`` are the field-action maps of attached records; ``operator_types`` maps each
    operator name to its type. Unknown operator names are not findings (the transform stage
    withholds such records).
    """
    counts: dict[tuple[str, str], int] = {}
    for fields in decisions:
        for field, names in fields.items():
            for name in dict.fromkeys(names):
                if in_clear(field, operator_types.get(name, "")):
                    counts[(field, name)] = counts.get((field, name), 0) + 1
    return [
        ProtectedFinding(field, PROTECTED_FIELDS[field], operator, n)
        for (field, operator), n in sorted(counts.items())
    ]
