"""Properties of canonical JSON (RFC 8785) and the strict parser, over generated JSON values.

The oracle for the exact bytes is the standard library: for object keys in the Basic
Multilingual Plane, RFC 8785's UTF-16 key order is code-point order and its string escapes are
``json.dumps``'s with ``ensure_ascii=False``, so the two must agree byte for byte.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.canonical import CanonicalJSONError, canonical_json
from gateway.crypto.strict_json import loads_strict
from gateway.errors import VerificationError

SAFE_INT = 2**53 - 1
PROPERTY = settings(max_examples=300, deadline=None)
BMP_TEXT = st.text(st.characters(max_codepoint=0xFFFF, exclude_categories=["Cs"]), max_size=12)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-SAFE_INT, max_value=SAFE_INT)
    | st.text(max_size=20)
)
VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(BMP_TEXT, children, max_size=4)
    ),
    max_leaves=25,
)


def _reference(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@PROPERTY
@given(VALUES)
def test_canonical_json_round_trips_and_matches_the_reference(value: Any) -> None:
    out = canonical_json(value)
    assert out == _reference(value)
    assert loads_strict(out, what="canonical", error=VerificationError) == value


@PROPERTY
@given(VALUES)
def test_canonical_json_is_idempotent(value: Any) -> None:
    once = canonical_json(value)
    assert canonical_json(loads_strict(once, what="canonical", error=VerificationError)) == once
    assert canonical_json(json.loads(json.dumps(value, indent=3))) == once


@PROPERTY
@given(st.dictionaries(BMP_TEXT, SCALARS, min_size=2, max_size=8))
def test_member_order_does_not_change_the_bytes(value: dict[str, Any]) -> None:
    reordered = dict(reversed(list(value.items())))
    assert canonical_json(reordered) == canonical_json(value)


@PROPERTY
@given(
    st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3),
    st.text(max_size=5),
    st.booleans(),
)
def test_a_lone_surrogate_anywhere_is_refused(surrogate: str, other: str, as_key: bool) -> None:
    text = other + surrogate
    value = {"k": [{text: 1}]} if as_key else {"k": [other, text]}
    with pytest.raises(CanonicalJSONError, match="lone surrogate"):
        canonical_json(value)


@PROPERTY
@given(
    st.floats(allow_nan=True, allow_infinity=True)
    | st.integers(min_value=SAFE_INT + 1)
    | st.integers(max_value=-SAFE_INT - 1)
)
def test_floats_and_unsafe_integers_are_refused(number: Any) -> None:
    with pytest.raises(CanonicalJSONError):
        canonical_json({"a": [number]})


@PROPERTY
@given(
    st.binary(max_size=200)
    | st.text(max_size=200).map(str.encode)
    | st.integers(min_value=1, max_value=6000).map(lambda digits: b"[" + b"7" * digits + b"]")
    | VALUES.map(lambda v: json.dumps(v).encode())
)
def test_the_strict_parser_raises_only_its_error(data: bytes) -> None:
    with contextlib.suppress(VerificationError):
        loads_strict(data, what="input", error=VerificationError)
