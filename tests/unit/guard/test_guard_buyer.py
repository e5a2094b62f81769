"""The guard's buyer key is reconciliation's name key; a code is used only for nameless rows."""

from __future__ import annotations

import pytest

from gateway.guard import buyer_key
from gateway.reconcile.keys import buyer_key as reconcile_key


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Hanoi Precision Parts JSC", "HANOI  PRECISION PARTS"),
        ("Müller Maschinenbau GmbH", "MÜLLER MASCHINENBAU G.m.b.H."),
        ("\uff21\uff23\uff2d\uff25 Trading Co., Ltd.", "acme trading"),  # full-width ACME
        ("코리아텍 베트남 유한회사", "코리아텍 베트남"),
    ],
)
def test_name_variants_agree(a: str, b: str) -> None:
    assert buyer_key(a) == buyer_key(b) == reconcile_key(a)


def test_codes_do_not_split_a_buyer() -> None:
    assert buyer_key("Pacific Rim Traders LLC", "US-7731020") == buyer_key("Pacific Rim Traders")


def test_different_buyers_differ() -> None:
    assert buyer_key("Pacific Rim Traders LLC") != buyer_key("Pacific Rim Trading LLC")


def test_a_name_without_letters_falls_back_to_the_code() -> None:
    assert buyer_key("---", "VN-0043127") == "#vn-0043127"
    assert buyer_key("---", "VN-0043127") != buyer_key("---", "VN-0051880")
    assert buyer_key("---") == "---"
