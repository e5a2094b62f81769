"""Attack: a ``crit`` header naming extensions the verifier must understand (RFC 7515 §4.1.11).

``crit`` can demand processing the verifier does not do (``b64: false`` changes what was signed;
an unknown name must make the token invalid). The verifier understands no extension, so any
``crit`` is refused, whatever it lists, without touching the network.
"""

from __future__ import annotations

from typing import Any

import pytest

from gateway.errors import VerificationError
from tests.security.verify_kit import Target

CRIT_VALUES: dict[str, tuple[dict[str, Any], str]] = {
    "unknown_name": ({"crit": ["x-ecg-policy"], "x-ecg-policy": 1}, "'crit'"),
    "names_a_registered_claim": ({"crit": ["exp"]}, "'crit'"),
    "b64_false": ({"crit": ["b64"], "b64": False}, "'crit'"),
    "empty_list": ({"crit": []}, "'crit'"),
    "not_a_list": ({"crit": "x-ecg-policy"}, "'crit'"),
    "names_itself": ({"crit": ["crit"]}, "'crit'"),
}


@pytest.mark.parametrize("case", sorted(CRIT_VALUES))
def test_verify_unknown_crit_is_refused(
    verify_target: Target, no_network: list[Any], case: str
) -> None:
    extra, name = CRIT_VALUES[case]
    token = verify_target.forge(verify_target.header(**extra), verify_target.body())
    with pytest.raises(VerificationError, match=f"parameter {name} is not accepted"):
        verify_target.verify(token)
