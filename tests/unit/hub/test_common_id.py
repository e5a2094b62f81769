"""The buyer id exporters share in hub contributions (gateway.hub.common_id).

Keys are real: consortium key files written by ``generate_consortium_key`` and loaded the way
each exporter's gateway loads them.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from gateway.crypto import PseudonymKey
from gateway.hub.common_id import hub_buyer_id as _hub_buyer_id
from gateway.hub.common_id import insurer_code_id
from gateway.hub.contribution_wire import HUB_BUYER_PATTERN
from gateway.keys.consortium_key import generate_consortium_key, load_consortium_key_file
from gateway.transform.pseudonyms import pseudonym

NAME = "Müller Maschinenbau GmbH"


def _input(name: str = NAME, country: str = "DE", code: str | None = None) -> dict[str, Any]:
    return {"buyer.name": name, "buyer.country": country, "buyer.insurer_code": code}


def hub_buyer_id(policy_input: dict[str, Any], key: PseudonymKey | None) -> str | None:
    """As the default policy leaves a record: the insurer code kept, exposure per buyer."""
    kept = {"buyer.insurer_code": policy_input["buyer.insurer_code"], "buyer.country": "DE"}
    return _hub_buyer_id(policy_input, key, attachment=kept, per_buyer=True)


@pytest.fixture
def consortium(tmp_path: Path) -> Path:
    return generate_consortium_key(tmp_path / "consortium.key").path


def test_the_insurer_code_is_preferred_over_the_consortium_pseudonym(consortium: Path) -> None:
    key = load_consortium_key_file(consortium)
    assert hub_buyer_id(_input(code="DE-1180442"), key) == "ic:DE-1180442"
    assert hub_buyer_id(_input(code="DE-1180442"), None) == "ic:DE-1180442"


FULL_WIDTH = "".join(chr(0xFEE0 + ord(c)) for c in "DE-1180442")  # U+FF24 U+FF25 U+FF0D ...


@pytest.mark.parametrize(  # lower case, spaces, full-width forms (NFKC), a tab
    "written", ["de-1180442", "  DE-1180442 ", FULL_WIDTH, "De-1180442\t"]
)
def test_insurer_codes_written_differently_name_the_same_buyer(written: str) -> None:
    assert insurer_code_id(written) == "ic:DE-1180442"


@pytest.mark.parametrize("code", ["", "   ", "DE 1180442", "한국-001", "x" * 65, "-DE1"])
def test_an_unusable_insurer_code_falls_back_to_the_consortium_pseudonym(
    code: str, consortium: Path
) -> None:
    key = load_consortium_key_file(consortium)
    assert insurer_code_id(code) is None
    assert hub_buyer_id(_input(code=code), key) == hub_buyer_id(_input(), key)
    assert hub_buyer_id(_input(code=code), None) is None


def test_without_code_or_consortium_key_there_is_no_common_id() -> None:
    assert hub_buyer_id(_input(), None) is None


def test_two_exporters_sharing_the_key_file_get_the_same_id(
    consortium: Path, tmp_path: Path
) -> None:
    """Each exporter holds its own copy of the file the consortium handed out."""
    copy = tmp_path / "exporter-b" / "consortium.key"
    copy.parent.mkdir()
    copy.write_bytes(consortium.read_bytes())
    os.chmod(copy, 0o600)
    a = hub_buyer_id(_input(), load_consortium_key_file(consortium))
    b = hub_buyer_id(_input(), load_consortium_key_file(copy))
    assert a == b and a is not None
    assert re.fullmatch(HUB_BUYER_PATTERN, a)


def test_another_consortium_key_gives_another_id(consortium: Path, tmp_path: Path) -> None:
    other = generate_consortium_key(tmp_path / "other.key").path
    mine = hub_buyer_id(_input(), load_consortium_key_file(consortium))
    theirs = hub_buyer_id(_input(), load_consortium_key_file(other))
    assert mine is not None and theirs is not None
    assert mine.split(".")[-1] != theirs.split(".")[-1]


@pytest.mark.parametrize(
    ("name", "country"),
    [
        (unicodedata.normalize("NFD", NAME), "DE"),
        (NAME.upper(), "DE"),
        ("  müller   maschinenbau\u00a0GMBH ", "de"),
        ("Mu\u0308ller Maschinen\u200bbau GmbH", "DE"),
    ],
    ids=["nfd", "upper", "spaces-case", "combining-zero-width"],
)
def test_spelling_variants_of_a_name_map_to_the_same_id(
    name: str, country: str, consortium: Path
) -> None:
    key = load_consortium_key_file(consortium)
    assert hub_buyer_id(_input(name, country), key) == hub_buyer_id(_input(), key)


def test_the_country_is_part_of_the_id(consortium: Path) -> None:
    key = load_consortium_key_file(consortium)
    assert hub_buyer_id(_input(country="AT"), key) != hub_buyer_id(_input(), key)
    assert hub_buyer_id(_input(name="Müller Maschinenbau"), key) != hub_buyer_id(_input(), key)


def test_the_hub_id_is_not_the_exporters_own_buyer_token() -> None:
    """Domain separation: even under one secret, the hub id and the insurer-facing token
    differ, so a hub id cannot be matched with what an exporter's submissions carry."""
    key = PseudonymKey("csk-20260101-abcdef", os.urandom(32))
    hub_id = hub_buyer_id(_input(), key)
    assert hub_id is not None
    assert hub_id.removeprefix("cp:") != pseudonym(key, "buyer", NAME, "DE")
    assert hub_id.removeprefix("cp:") != pseudonym(key, "buyer", NAME)


def test_an_insurer_code_the_policy_does_not_let_out_is_not_used(consortium: Path) -> None:
    key = load_consortium_key_file(consortium)
    record = _input(code="DE-1180442")
    for attachment in ({}, {"buyer.insurer_code": "p1.psk-x.tokenofthecode"}):
        assert _hub_buyer_id(record, None, attachment=attachment, per_buyer=True) is None
        assert _hub_buyer_id(record, key, attachment=attachment, per_buyer=True) == (
            hub_buyer_id(_input(), key)
        )


def test_a_record_whose_bucket_merges_buyers_gets_no_common_id(consortium: Path) -> None:
    key = load_consortium_key_file(consortium)
    record = _input(code="DE-1180442")
    kept = {"buyer.insurer_code": "DE-1180442"}
    assert _hub_buyer_id(record, key, attachment=kept, per_buyer=False) is None
    assert _hub_buyer_id(_input(), key, attachment={}, per_buyer=False) is None
