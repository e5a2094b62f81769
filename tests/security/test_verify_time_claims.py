"""Attack: tokens outside their time window (pre-dated, far-future, or carrying their own rules).

The wire format has one time claim, ``iat`` (docs/submission-format.md); there is no ``exp`` or
``nbf``, and old submissions and receipts stay verifiable on purpose. So: an ``iat`` beyond the
allowed clock skew is "not yet valid" and refused, however generous the skew; a token carrying
``exp``/``nbf`` (expired, or not valid before some time) is refused as a whole rather than
having those claims silently ignored; ``iat`` must be a non-negative integer.
"""

from __future__ import annotations

from typing import Any

import pytest

from gateway.errors import VerificationError
from tests.security.verify_kit import IAT, Target


@pytest.mark.parametrize("ahead", [301, 3_600, 86_400 * 365])
def test_verify_not_yet_valid_iat_is_refused(verify_target: Target, ahead: int) -> None:
    verify_target.verify(verify_target.sign(), now=IAT - 300)  # within the default 300 s skew
    payload = {**verify_target.payload, "iat": IAT + ahead}
    with pytest.raises(VerificationError, match=f"iat is {ahead} s in the future"):
        verify_target.verify(verify_target.sign(payload))


def test_verify_far_future_iat_is_refused_even_with_a_day_of_skew(verify_target: Target) -> None:
    payload = {**verify_target.payload, "iat": 2**53 - 1}
    with pytest.raises(VerificationError, match="in the future"):
        verify_target.verify(verify_target.sign(payload), max_clock_skew_s=86_400)


@pytest.mark.parametrize(
    "claims",
    [{"exp": IAT - 1}, {"nbf": IAT + 86_400}, {"exp": IAT + 60, "nbf": IAT}],
    ids=["expired_exp", "future_nbf", "exp_and_nbf"],
)
def test_verify_exp_and_nbf_claims_are_refused(
    verify_target: Target, claims: dict[str, int]
) -> None:
    body = verify_target.body({**verify_target.payload, **claims})
    with pytest.raises(VerificationError, match="Extra inputs are not permitted"):
        verify_target.verify(verify_target.forge(verify_target.header(), body))


@pytest.mark.parametrize(
    "iat", [-1, str(IAT), True, None], ids=["negative", "string", "boolean", "null"]
)
def test_verify_iat_that_is_not_a_unix_time_is_refused(verify_target: Target, iat: Any) -> None:
    body = verify_target.body({**verify_target.payload, "iat": iat})
    with pytest.raises(VerificationError, match="payload does not match its schema: iat"):
        verify_target.verify(verify_target.forge(verify_target.header(), body))


def test_verify_negative_clock_skew_is_refused(verify_target: Target) -> None:
    with pytest.raises(VerificationError, match="must not be negative"):
        verify_target.verify(verify_target.sign(), max_clock_skew_s=-(10**9))
