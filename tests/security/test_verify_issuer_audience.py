"""Attack: a token from, or addressed to, another party (issuer and audience confusion).

A submission meant for one insurer replayed to another, or a receipt for another exporter, must
not verify. When the caller names the expected ``issuer`` or ``audience``, the claim must equal
it exactly: no prefix, suffix, substring, case, whitespace or Unicode look-alike match, and a
list-valued claim (which some libraries accept if any member matches) is refused outright.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gateway.errors import VerificationError
from tests.security.verify_kit import Target

NEAR_MISSES: dict[str, Callable[[str], str]] = {
    "another_party": lambda v: "party-other",
    "prefix": lambda v: v[: len(v) // 2],
    "suffix": lambda v: v[len(v) // 2 :],
    "substring": lambda v: v[2:-2],
    "superstring": lambda v: v + "2",
    "extended_before": lambda v: "x" + v,
    "upper_case": str.upper,
    "trailing_space": lambda v: v + " ",
    "leading_space": lambda v: " " + v,
    "trailing_newline": lambda v: v + "\n",
    "fullwidth_first_letter": lambda v: chr(ord(v[0]) + 0xFEE0) + v[1:],
    "cyrillic_lookalike": lambda v: v.replace("e", "\u0435", 1),
    "empty": lambda v: "",
}


@pytest.mark.parametrize("claim", ["iss", "aud"])
@pytest.mark.parametrize("case", sorted(NEAR_MISSES))
def test_verify_wrong_or_partially_matching_issuer_or_audience_is_refused(
    verify_target: Target, claim: str, case: str
) -> None:
    option = {"iss": "issuer", "aud": "audience"}[claim]
    actual = verify_target.payload[claim]
    token = verify_target.sign()
    verify_target.verify(token, **{option: actual})
    expected = NEAR_MISSES[case](actual)
    assert expected != actual
    with pytest.raises(VerificationError, match=f"{claim} does not equal the expected {option}"):
        verify_target.verify(token, **{option: expected})


@pytest.mark.parametrize("claim", ["iss", "aud"])
@pytest.mark.parametrize("shape", ["alone", "with_another", "another_first"])
def test_verify_list_valued_issuer_or_audience_is_refused(
    verify_target: Target, claim: str, shape: str
) -> None:
    actual = verify_target.payload[claim]
    value = {
        "alone": [actual],
        "with_another": [actual, "party-other"],
        "another_first": ["party-other", actual],
    }[shape]
    body = verify_target.body({**verify_target.payload, claim: value})
    token = verify_target.forge(verify_target.header(), body)
    option = {"iss": "issuer", "aud": "audience"}[claim]
    with pytest.raises(VerificationError, match=f"payload does not match its schema: {claim}"):
        verify_target.verify(token, **{option: actual})


@pytest.mark.parametrize("option", ["issuer", "audience"])
def test_verify_expected_party_given_as_a_collection_is_refused(
    verify_target: Target, option: str
) -> None:
    claim = {"issuer": "iss", "audience": "aud"}[option]
    actual = verify_target.payload[claim]
    expected: Any = [actual, "party-other"]
    with pytest.raises(VerificationError, match=f"expected {option} must be a string"):
        verify_target.verify(verify_target.sign(), **{option: expected})
