"""The fuzz targets without atheris: the committed seeds, then seeded random mutations of them.

A crash is any exception other than the gateway's own (``GatewayError`` for CSV ingest,
``VerificationError`` for JWS verification) or a broken property (:class:`FuzzFailure`); either
fails the test with the input that caused it. The seeds' outcomes are pinned, so the corpus
keeps reaching records, quarantine, refusals and successful verifications; the oracles are
shown to fire on inputs built to break them.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.crypto import PaillierPublicKey
from gateway.ingest import Quarantined
from tests.fuzz import csv_target, jws_target, make_corpus

CORPUS = Path(__file__).resolve().parent / "corpus"
RANDOM_INPUTS = 2000
_TOKENS = (b'"', b"\n", b"\r\n", b",", b";", b"\xff", b"\x00", b"\xef\xbb\xbf", b".", b"=", b"{",
           b"}", b"[]", b"@FP@", b"@CT@", b"@KID@", b"\\u0000", b"1e309", b"-", b"\xb0\xa1")


def _seeds(name: str) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((CORPUS / name).iterdir())}


def _mutate(rng: random.Random, data: bytes, others: list[bytes]) -> bytes:
    """One to four libFuzzer-like mutations: bit flip, insert, erase, copy, splice, token."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        at = rng.randint(0, len(out))
        op = rng.randrange(6)
        if op == 0 and out:
            out[min(at, len(out) - 1)] ^= 1 << rng.randrange(8)
        elif op == 1:
            out[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif op == 2:
            del out[at : at + rng.randint(1, 64)]
        elif op == 3 and out:
            start = rng.randrange(len(out))
            out[at:at] = out[start : start + rng.randint(1, 32)]
        elif op == 4:
            other = rng.choice(others)
            out = out[:at] + other[rng.randint(0, len(other)) :]
        else:
            out[at:at] = rng.choice(_TOKENS)
    return bytes(out)


def _random_inputs(seeds: dict[str, bytes], count: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    pool = list(seeds.values())
    inputs = [bytes(rng.randrange(256) for _ in range(rng.randint(0, 64))) for _ in range(20)]
    inputs += [_mutate(rng, rng.choice(pool), pool) for _ in range(count - len(inputs))]
    return inputs


def _replay(target: Callable[[bytes], str], inputs: list[bytes]) -> Counter[str]:
    outcomes: Counter[str] = Counter()
    for i, data in enumerate(inputs):
        try:
            outcomes[target(data).split(":")[0]] += 1
        except Exception as exc:
            raise AssertionError(f"input {i} crashed the target: {data!r}") from exc
    return outcomes


@pytest.fixture
def csv_fuzz(tmp_path: Path) -> csv_target.CsvTarget:
    return csv_target.CsvTarget(tmp_path / "export.csv")


@pytest.fixture(scope="module")
def jws_fuzz(paillier_public_key: PaillierPublicKey) -> jws_target.JwsTarget:
    return jws_target.JwsTarget(paillier_public_key)


CSV_OUTCOMES = {
    "bad_values": "read:0:1",
    "cp949_buyer": "read:1:0",
    "header_only": "read:0:0",
    "invalid_utf8_byte": "read:0:1",
    "missing_column": "refused:SourceError",
    "quoted_newline": "read:1:0",
    "repeated_column": "refused:SourceError",
    "replacement_char_in_file": "read:0:1",
    "semicolon": "read:1:0",
    "short_row": "read:0:1",
    "utf16_bom": "refused:SourceError",
    "utf8_bom": "read:1:0",
    "valid_row": "read:1:0",
    "valid_two_rows_crlf": "read:2:0",
}

JWS_OUTCOMES = {
    "m0_alg_none": "rejected",
    "m0_three_letters": "rejected",
    "m0_trailing_segment": "rejected",
    "m0_valid_submission": "verified",
    "m1_submission_as_receipt": "rejected",
    "m1_valid_receipt": "verified",
    "m2_duplicate_payload_key": "rejected",
    "m2_jku_header": "rejected",
    "m2_regular_header": "verified",
    "m3_header_not_object": "rejected",
    "m4_future_iat": "rejected",
    "m4_submission_with_exposure": "verified",
    "m4_zero_ciphertext": "rejected",
    "m5_receipt": "verified",
    "m5_wrong_submission": "rejected",
}


def test_committed_corpora_are_what_make_corpus_generates() -> None:
    assert _seeds("csv") == make_corpus.CSV_SEEDS
    assert _seeds("jws") == make_corpus.jws_seeds()


def test_csv_seeds_reach_records_quarantine_and_refusals(csv_fuzz: csv_target.CsvTarget) -> None:
    got = {name: csv_fuzz(data) for name, data in _seeds("csv").items()}
    assert got == CSV_OUTCOMES


def test_jws_seeds_reach_verification_and_each_rejection(jws_fuzz: jws_target.JwsTarget) -> None:
    got = {name: jws_fuzz(data) for name, data in _seeds("jws").items()}
    assert got == JWS_OUTCOMES


def test_csv_target_survives_random_inputs(csv_fuzz: csv_target.CsvTarget) -> None:
    outcomes = _replay(csv_fuzz, _random_inputs(_seeds("csv"), RANDOM_INPUTS, seed=5))
    assert sum(outcomes.values()) == RANDOM_INPUTS
    assert outcomes["read"] > 0 and outcomes["refused"] > 0, outcomes


def test_jws_target_survives_random_inputs(jws_fuzz: jws_target.JwsTarget) -> None:
    outcomes = _replay(jws_fuzz, _random_inputs(_seeds("jws"), RANDOM_INPUTS, seed=6))
    assert sum(outcomes.values()) == RANDOM_INPUTS
    # Mutations of signed seeds are rejected; most inputs must reach the verifier, not be skipped.
    assert outcomes["rejected"] + outcomes["verified"] >= RANDOM_INPUTS // 2, outcomes


def test_csv_oracle_fires_on_a_reason_that_quotes_a_cell(csv_fuzz: csv_target.CsvTarget) -> None:
    leaky = Quarantined(
        "export.csv", 2, "buyer.name", "bad name Hidden Buyer Corporation",
        {"buyer_name": "Hidden Buyer Corporation"},
    )
    with pytest.raises(csv_target.FuzzFailure, match="quotes a cell"):
        csv_fuzz._check([leaky], b"", "auto")
    named = Quarantined(
        "export.csv", 2, "invoice_date", "invoice_date (column 'invoice_date'): bad",
        {"invoice_date": "invoice_date"},
    )
    csv_fuzz._check([named], b"", "auto")  # a cell spelling a column name is not a leak


def test_csv_oracle_fires_on_a_replacement_character(csv_fuzz: csv_target.CsvTarget) -> None:
    replaced = Quarantined("export.csv", 2, "amount", "bad", {"amount": "1\ufffd0"})
    with pytest.raises(csv_target.FuzzFailure, match="replacement character"):
        csv_fuzz._check([replaced], b"amount\n1\xff0\n", "auto")
    csv_fuzz._check([replaced], "amount\n1\ufffd0\n".encode(), "auto")  # the file held one


def test_csv_oracle_fires_on_rows_out_of_order(csv_fuzz: csv_target.CsvTarget) -> None:
    rows = [Quarantined("export.csv", 3, "amount", "bad"), Quarantined("export.csv", 3, "x", "y")]
    with pytest.raises(csv_target.FuzzFailure, match="does not follow"):
        csv_fuzz._check(rows, b"", "auto")
