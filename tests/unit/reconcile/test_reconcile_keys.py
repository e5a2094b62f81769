"""Match keys: buyer names, invoice numbers and declaration numbers in comparable form."""

from __future__ import annotations

import pytest

from gateway.reconcile import buyer_key, declaration_key, invoice_key


def _fullwidth(text: str) -> str:
    """The full-width forms (U+FF01..U+FF5E) of the printable ASCII characters in ``text``."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.mark.parametrize(
    ("erp_name", "customs_name"),
    [
        ("Acme Trading GmbH", "ACME TRADING G.M.B.H."),
        ("Acme Trading Co., Ltd.", "ACME TRADING CO LTD"),
        ("Acme Trading Co.,Ltd", "acme trading"),
        ("Acme Trading, Inc.", "ACMETRADING INC"),
        ("Acme Trading JSC", "Acme  Trading"),
        (_fullwidth("Acme Trading"), "acme trading"),
        ("Smith & Sons Ltd", "SMITH AND SONS LIMITED"),
        ("Nordic Steel S.A.", "NORDIC STEEL SA"),
        ("Polska Sp. z o.o.", "POLSKA"),
        ("(주)한빛무역", "한빛무역 주식회사"),
        ("한빛무역(주)", "주식회사 한빛무역"),
        ("한빛무역주식회사", "한빛무역"),
        ("㈜한빛무역", "한빛무역"),  # U+321C, NFKC "(주)"
        ("トヨタ株式会社", "トヨタ"),
    ],
)
def test_legal_forms_case_and_punctuation_do_not_separate_one_buyer(
    erp_name: str, customs_name: str
) -> None:
    assert buyer_key(erp_name) == buyer_key(customs_name)
    assert buyer_key(erp_name) != ""


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Acme Trading GmbH", "Acme Textiles GmbH"),
        ("Acme Trading 1", "Acme Trading 2"),
        ("한빛무역", "한빛상사"),
        ("Acme Trading GmbH", "Acme Trading Gmbh Holding"),
    ],
)
def test_different_buyers_keep_different_keys(one: str, other: str) -> None:
    assert buyer_key(one) != buyer_key(other)


def test_legal_forms_are_only_cut_at_the_ends_of_a_name() -> None:
    assert buyer_key("Inc Solutions Co Ltd") == "solutions"
    assert buyer_key("Global Co Investment Ltd") == "globalcoinvestment"


def test_a_name_made_only_of_legal_forms_keeps_its_words() -> None:
    assert buyer_key("Company Ltd.") == "companyltd"
    assert buyer_key("---") == ""


@pytest.mark.parametrize(
    "spelling",
    [
        "INV-2026-0001",
        "inv 2026 0001",
        "Inv2026-0001",
        "INV\u20102026\u20130001",  # hyphen and en dash
        _fullwidth("INV-2026-0001"),
    ],
)
def test_invoice_numbers_compare_without_case_spaces_or_dashes(spelling: str) -> None:
    assert invoice_key(spelling) == "inv20260001"


def test_invoice_numbers_keep_other_separators_and_absence_is_empty() -> None:
    assert invoice_key("INV/2026/1") != invoice_key("INV20261")
    assert invoice_key(None) == ""


def test_declaration_numbers_compare_without_dashes_and_case() -> None:
    assert declaration_key("43017-26-836211x") == "4301726836211X"
    assert declaration_key(None) == ""
