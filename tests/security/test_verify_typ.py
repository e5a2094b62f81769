"""Attack: a token of another kind (or with a decorated ``typ``) presented to a verifier.

Without an exact ``typ`` a receipt could be replayed as a submission or any JWT signed by a
trusted key passed off as either. ``typ`` must equal the verifier's own media type exactly:
case variants, ``application/`` prefixes, whitespace and the other kind's type are refused.
"""

from __future__ import annotations

from typing import Any

import pytest

from gateway.errors import VerificationError
from gateway.sign import RECEIPT_TYP, SUBMISSION_TYP
from tests.security.verify_kit import Target

WRONG_TYPS = {
    "other_kind": lambda typ: RECEIPT_TYP if typ == SUBMISSION_TYP else SUBMISSION_TYP,
    "upper_case": str.upper,
    "title_case": str.title,
    "one_letter_case": lambda typ: typ[0].upper() + typ[1:],
    "media_type_prefix": lambda typ: "application/" + typ,
    "trailing_space": lambda typ: typ + " ",
    "leading_space": lambda typ: " " + typ,
    "without_suffix": lambda typ: typ.removesuffix("+jws"),
    "plain_jwt": lambda typ: "JWT",
    "jose": lambda typ: "JOSE",
    "list": lambda typ: [typ],
    "null": lambda typ: None,
}


@pytest.mark.parametrize("case", sorted(WRONG_TYPS))
def test_verify_wrong_typ_is_refused(verify_target: Target, case: str) -> None:
    typ: Any = WRONG_TYPS[case](verify_target.typ)
    assert typ != verify_target.typ
    token = verify_target.forge(verify_target.header(typ=typ), verify_target.body())
    with pytest.raises(VerificationError, match="typ must be"):
        verify_target.verify(token)
