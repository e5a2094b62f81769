"""Attack: an unsecured token (``alg: none``, any casing) offered as a submission or a receipt.

A verifier that lets the token choose its algorithm skips the signature check altogether. The
header must say ``EdDSA`` exactly; ``none`` is refused with an empty, a junk or even a real
Ed25519 signature, by both verifiers.
"""

from __future__ import annotations

import json

import pytest

from gateway.errors import VerificationError
from tests.security.verify_kit import Target, b64

CASINGS = ["none", "None", "NONE", "nOnE", "NoNe", "nonE"]
REASONS = {
    "empty": "segments must be non-empty",
    "junk": "is not accepted; only EdDSA",
    "real_ed25519": "is not accepted; only EdDSA",
}


@pytest.mark.parametrize("alg", CASINGS)
@pytest.mark.parametrize("signature", sorted(REASONS))
def test_verify_alg_none_in_any_casing_is_refused(
    verify_target: Target, alg: str, signature: str
) -> None:
    verify_target.verify(verify_target.sign())  # the untouched token is accepted
    header = verify_target.header(alg=alg)
    if signature == "real_ed25519":
        token = verify_target.forge(header, verify_target.body())
    else:
        unsigned = f"{b64(json.dumps(header).encode())}.{b64(verify_target.body())}"
        token = f"{unsigned}.{'' if signature == 'empty' else b64(b'x' * 64)}"
    with pytest.raises(VerificationError, match=REASONS[signature]):
        verify_target.verify(token)
