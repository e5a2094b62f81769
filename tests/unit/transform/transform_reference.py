"""The straightforward transform, kept as the reference the compiled fast path must equal
(imported as ``tests.unit.transform.transform_reference``).

This is the stage as first written: the decision resolved field by field for every record, a
read-only copy of the record, each built-in operator spelled out step by step from its
documented behaviour (docs/pseudonyms.md for tokens: zero-width removal, NFKC, case fold, NFKC,
whitespace runs; the length-prefixed MAC input; base64url without padding), no memo of any kind.
Operators of any other class are applied through their own ``apply``.
"""

from __future__ import annotations

import base64
import copy
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from gateway.model.currency import MINOR_UNITS, from_minor
from gateway.policy.protected import in_clear
from gateway.transform import DROP, Exposure, OperatorError, OperatorSet, RecordContext
from gateway.transform.operators import (
    Band,
    Drop,
    Encrypt,
    Keep,
    Month,
    Operator,
    Pseudonymise,
    Truncate,
)

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def canonical(text: str) -> str:
    """Canonical form ``c1``, step by step."""
    folded = unicodedata.normalize("NFKC", text.translate(_ZERO_WIDTH))
    folded = unicodedata.normalize("NFKC", folded.casefold())
    return re.sub(r"\s+", " ", folded).strip()


def _part(data: bytes) -> bytes:
    if len(data) > 2**32 - 1:
        raise ValueError("part too long")
    return len(data).to_bytes(4, "big") + data


def token(op: Pseudonymise, *canonicals: str) -> str:
    key = op._key  # the operator's own key: the reference must MAC with the same secret
    mac_input = b"ecg-pseudonym\x00c1\x00" + _part(op.domain.encode("ascii"))
    mac_input += b"".join(_part(c.encode("utf-8")) for c in canonicals)
    mac = key.mac(mac_input)[:16]
    return f"p1.{key.kid}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode('ascii')}"


def _fail(op: Operator, ctx: RecordContext, reason: str) -> Any:
    raise OperatorError(op.type_name, ctx.field, reason)


def _keep(op: Any, value: Any, ctx: RecordContext) -> Any:
    return copy.deepcopy(value) if isinstance(value, (list, dict)) else value


def _drop(op: Any, value: Any, ctx: RecordContext) -> Any:
    return DROP


def _month(op: Month, value: Any, ctx: RecordContext) -> Any:
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value, re.ASCII):
        return _fail(op, ctx, "not an ISO date (YYYY-MM-DD)")
    try:
        date.fromisoformat(value)
    except ValueError:
        return _fail(op, ctx, "not a valid calendar date")
    return value[:7]


def _truncate(op: Truncate, value: Any, ctx: RecordContext) -> Any:
    if value is None:
        return None
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        return _fail(op, ctx, "not a digit string")
    if len(value) < op.digits:
        return _fail(op, ctx, f"fewer than {op.digits} digits")
    return value[: op.digits]


def _band(op: Band, value: Any, ctx: RecordContext) -> Any:
    if value is None:
        return None
    if not isinstance(value, str):
        return _fail(op, ctx, "amount must be a decimal string")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return _fail(op, ctx, "amount is not a decimal number")
    if not amount.is_finite():
        return _fail(op, ctx, "amount is not finite")
    currency = ctx.get("currency")
    edges = op.edges.get(currency) if isinstance(currency, str) else None
    if edges is None:
        return _fail(op, ctx, "no band edges for the record's currency")
    index = bisect_right(edges, amount) - 1
    if index < 0:
        return _fail(op, ctx, "amount is below the lowest band edge")
    upper = format(edges[index + 1], "f") if index + 1 < len(edges) else None
    return {"currency": currency, "lower": format(edges[index], "f"), "upper": upper}


def _encrypt(op: Encrypt, value: Any, ctx: RecordContext) -> Any:
    if ctx.field != "amount":
        return _fail(op, ctx, "only the amount field can be encrypted")
    minor = ctx.get("amount_minor")
    if type(minor) is not int or minor < 0:
        return _fail(op, ctx, "amount_minor must be a non-negative integer")
    currency = ctx.get("currency")
    if not isinstance(currency, str) or currency not in MINOR_UNITS:
        return _fail(op, ctx, "record has no valid currency")
    try:
        consistent = isinstance(value, str) and Decimal(value) == from_minor(minor, currency)
    except InvalidOperation:
        consistent = False
    if not consistent:
        return _fail(op, ctx, "amount and amount_minor disagree")
    return Exposure(minor)


def _text(op: Pseudonymise, value: Any, ctx: RecordContext, what: str) -> str:
    if not isinstance(value, str):
        _fail(op, ctx, f"only text values can be pseudonymised ({what})")
    form = canonical(value)
    if not form:
        _fail(op, ctx, f"{what} is empty after canonicalisation")
    return form


def _pseudonymise(op: Pseudonymise, value: Any, ctx: RecordContext) -> Any:
    if value is None:
        return None
    first = _text(op, value, ctx, "value")
    more = [_text(op, ctx.get(f), ctx, f"field {f}") for f in op.with_fields]
    try:
        return token(op, first, *more)
    except ValueError as exc:
        raise OperatorError(op.type_name, ctx.field, "value too long") from exc


_BY_CLASS: dict[type[Operator], Callable[[Any, Any, RecordContext], Any]] = {
    Keep: _keep,
    Drop: _drop,
    Month: _month,
    Truncate: _truncate,
    Band: _band,
    Encrypt: _encrypt,
    Pseudonymise: _pseudonymise,
}


def _apply(op: Operator, value: Any, ctx: RecordContext) -> Any:
    by_class = _BY_CLASS.get(type(op))
    return by_class(op, value, ctx) if by_class else op.apply(value, ctx)


def _resolve(field: str, names: Sequence[str], operators: OperatorSet) -> list[Operator]:
    resolved: list[Operator] = []
    for name in dict.fromkeys(names):
        operator = operators.get(name) if isinstance(name, str) else None
        if operator is None:
            raise OperatorError("unknown_operator", field, "the decision names an unknown operator")
        if in_clear(field, operator.type_name) and field not in operators.clear_allowed:
            raise OperatorError(
                "protected", field, "a protected field would leave in clear without an exception"
            )
        resolved.append(operator)
    if sum(not isinstance(op, Encrypt) for op in resolved) > 1:
        raise OperatorError("operator_conflict", field, "more than one operator for one field")
    return resolved


def reference_transform(
    policy_input: Mapping[str, Any], fields: Mapping[str, Sequence[str]], operators: OperatorSet
) -> tuple[dict[str, Any], int | None]:
    """The attachment and exposure, the straightforward way."""
    record = MappingProxyType(dict(policy_input))
    attachment: dict[str, Any] = {}
    exposure: int | None = None
    for field in sorted(fields):
        if field not in record:
            raise OperatorError("unknown_field", field, "the decision names an unknown field")
        ctx = RecordContext(record, field)
        for operator in _resolve(field, fields[field], operators):
            result = _apply(operator, record[field], ctx)
            if isinstance(result, Exposure):
                exposure = result.minor
            elif result is not DROP:
                attachment[field] = result
    return attachment, exposure
