"""transform stage: the policy's field actions applied to one record at a time.

:func:`build_operators` validates the policy's operators config at start-up;
:func:`transform` applies one decision to one record's policy input and returns the attachment
(allowlist: unnamed fields are absent) and the exposure routed to aggregation.
"""

from gateway.transform.apply import FieldActions, Transformed, transform
from gateway.transform.context import (
    DROP,
    Exposure,
    JSONValue,
    OperatorContext,
    RecordContext,
)
from gateway.transform.errors import OperatorError
from gateway.transform.pseudonyms import CANONICAL_VERSION, canonicalise, mac_input, pseudonym
from gateway.transform.registry import BUILTIN_NAMES, REGISTRY, OperatorSet, build_operators

__all__ = [
    "BUILTIN_NAMES",
    "CANONICAL_VERSION",
    "DROP",
    "REGISTRY",
    "Exposure",
    "FieldActions",
    "JSONValue",
    "OperatorContext",
    "OperatorError",
    "OperatorSet",
    "RecordContext",
    "Transformed",
    "build_operators",
    "canonicalise",
    "mac_input",
    "pseudonym",
    "transform",
]
