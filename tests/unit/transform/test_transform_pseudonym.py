"""Pseudonyms: the c1 canonical form, the MAC input, the token (docs/pseudonyms.md)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import unicodedata
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.crypto.pseudonym_key import PseudonymKey
from gateway.transform import (
    OperatorContext,
    OperatorError,
    RecordContext,
    build_operators,
    canonicalise,
    mac_input,
    pseudonym,
)

NAME = "Acme Trading GmbH"


def fullwidth(text: str) -> str:
    """``text`` with printable ASCII (except space) replaced by its full-width forms."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _independent_token(key: PseudonymKey, domain: str, canonical: str) -> str:
    """The token computed from the spec in docs/pseudonyms.md, without the gateway's code."""
    d, c = domain.encode(), canonical.encode("utf-8")
    message = b"ecg-pseudonym\x00c1\x00" + struct.pack(">I", len(d)) + d
    message += struct.pack(">I", len(c)) + c
    mac = hmac.new(key.secret, message, hashlib.sha256).digest()[:16]
    return f"p1.{key.kid}." + base64.urlsafe_b64encode(mac).decode().rstrip("=")


@pytest.mark.parametrize(
    "variant",
    [
        NAME,
        "acme trading gmbh",
        "ACME TRADING GMBH",
        "  Acme   Trading\tGmbH \n",
        "Acme\u00a0Trading\u3000GmbH",
        fullwidth("Acme Trading GmbH"),
        "Ac\u200bme Tra\u200cding Gm\u200db\u2060H\ufeff",
    ],
)
def test_spelling_variants_share_one_canonical_form(variant: str) -> None:
    assert canonicalise(variant) == "acme trading gmbh"


def test_nfc_and_nfd_merge() -> None:
    nfc = unicodedata.normalize("NFC", "Société Générale Müller")
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfc != nfd
    assert canonicalise(nfc) == canonicalise(nfd) == "société générale müller"


def test_zero_width_cannot_block_composition() -> None:
    assert canonicalise("Caf" + "e\u200b\u0301") == canonicalise("Café")


def test_case_folding_is_full_folding() -> None:
    assert canonicalise("STRASSE") == canonicalise("Straße") == "strasse"
    assert canonicalise("ΣΊΣΥΦΟΣ") == canonicalise("σίσυφος")


def test_cross_script_confusables_are_not_merged() -> None:
    latin, cyrillic = "Acme", "\u0410cme"  # CYRILLIC CAPITAL A
    assert canonicalise(latin) != canonicalise(cyrillic)
    assert canonicalise("\u0430") != canonicalise("a")


def test_token_matches_an_independent_hmac_computation(pseudonym_key: PseudonymKey) -> None:
    expected = _independent_token(pseudonym_key, "buyer", "acme trading gmbh")
    assert pseudonym(pseudonym_key, "buyer", "  ACME  Trading GmbH") == expected


def test_known_answer_vector_pins_the_c1_format() -> None:
    """A fixed key (bytes 0..31) and value. The expected token was computed once with the
    OpenSSL command line (``openssl dgst -sha256 -mac HMAC``) over the documented MAC input, so
    any change to the c1 form or the p1 token format shows up here."""
    key = PseudonymKey("kav-1", bytes(range(32)))
    derived = _independent_token(key, "buyer", "acme trading gmbh")
    assert pseudonym(key, "buyer", "ACME Trading GmbH") == derived
    assert derived == "p1.kav-1.gtewWyyEIodq70-m6I_jhA"


def test_token_format_carries_the_key_id(pseudonym_key: PseudonymKey) -> None:
    version, kid, mac = pseudonym(pseudonym_key, "buyer", NAME).split(".")
    assert (version, kid) == ("p1", pseudonym_key.kid)
    assert len(base64.urlsafe_b64decode(mac + "==")) == 16 and "=" not in mac


def test_rotation_gives_a_different_token_and_kid(
    pseudonym_key: PseudonymKey, rotated_key: PseudonymKey
) -> None:
    old, new = pseudonym(pseudonym_key, "buyer", NAME), pseudonym(rotated_key, "buyer", NAME)
    assert old.split(".")[1] != new.split(".")[1]
    assert old.split(".")[2] != new.split(".")[2]


def test_domains_separate_token_spaces(pseudonym_key: PseudonymKey) -> None:
    assert pseudonym(pseudonym_key, "buyer", NAME) != pseudonym(pseudonym_key, "consignee", NAME)


def test_mac_input_boundaries_cannot_shift() -> None:
    assert mac_input("ab", "c") != mac_input("a", "bc")
    assert mac_input("a", "a|b" + "c") != mac_input("a", "a" + "b|c")
    assert mac_input("a", "b") == b"ecg-pseudonym\x00c1\x00\x00\x00\x00\x01a\x00\x00\x00\x01b"
    with pytest.raises(ValueError, match="domain"):
        mac_input("a\x00b", "c")


def _parse_mac_input(data: bytes) -> tuple[str, str]:
    prefix = b"ecg-pseudonym\x00c1\x00"
    assert data.startswith(prefix)
    rest = data[len(prefix) :]
    (n,) = struct.unpack(">I", rest[:4])
    domain, rest = rest[4 : 4 + n], rest[4 + n :]
    (m,) = struct.unpack(">I", rest[:4])
    assert len(rest) == 4 + m
    return domain.decode(), rest[4:].decode("utf-8")


domains = st.from_regex(r"\A[a-z][a-z0-9_]{0,31}\Z")


@given(st.text())
def test_canonicalisation_is_idempotent(text: str) -> None:
    once = canonicalise(text)
    assert canonicalise(once) == once


@given(st.text(min_size=1), domains)
def test_token_is_deterministic_and_canonical(text: str, domain: str) -> None:
    key = PseudonymKey("prop-key", bytes(range(32, 64)))
    canonical = canonicalise(text)
    assert pseudonym(key, domain, text) == pseudonym(key, domain, canonical)
    assert pseudonym(key, domain, text) == _independent_token(key, domain, canonical)


@given(domains, st.text(), domains, st.text())
def test_mac_input_is_injective(d1: str, c1: str, d2: str, c2: str) -> None:
    assert _parse_mac_input(mac_input(d1, c1)) == (d1, c1)
    if (d1, c1) != (d2, c2):
        assert mac_input(d1, c1) != mac_input(d2, c2)


def _operator_apply(key: PseudonymKey, value: Any) -> Any:
    ops = build_operators(
        {"tok": {"type": "pseudonymise", "domain": "buyer"}}, OperatorContext(key)
    )
    operator = ops.get("tok")
    assert operator is not None
    return operator.apply(value, RecordContext({"buyer.name": value}, "buyer.name"))


def test_operator_tokenises_and_keeps_none(pseudonym_key: PseudonymKey) -> None:
    assert _operator_apply(pseudonym_key, NAME) == pseudonym(pseudonym_key, "buyer", NAME)
    assert _operator_apply(pseudonym_key, None) is None


@pytest.mark.parametrize(("value", "reason"), [(42, "only text"), ("\u200b \t", "empty")])
def test_operator_refuses_non_text_and_blank(
    pseudonym_key: PseudonymKey, value: Any, reason: str
) -> None:
    with pytest.raises(OperatorError, match=reason) as info:
        _operator_apply(pseudonym_key, value)
    assert info.value.reason_code == "transform.pseudonymise"


def test_overlong_parts_are_refused_not_truncated(
    pseudonym_key: PseudonymKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real bound (2**32 - 1 bytes) cannot be reached in a test; a lowered bound exercises
    the same refusal and its wrapping into OperatorError."""
    monkeypatch.setattr("gateway.transform.pseudonyms._MAX_PART", 8)
    with pytest.raises(ValueError, match="too long"):
        mac_input("buyer", "x" * 9)
    with pytest.raises(OperatorError, match="too long") as info:
        _operator_apply(pseudonym_key, "y" * 9)
    assert info.value.reason_code == "transform.pseudonymise"
    assert "yyyyyyyyy" not in str(info.value)
