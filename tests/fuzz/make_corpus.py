"""The seed corpora of the fuzz targets, generated here: ``python tests/fuzz/make_corpus.py``.

Writes ``tests/fuzz/corpus/csv/*`` and ``tests/fuzz/corpus/jws/*``. Every value is invented for
the purpose (no real buyer, invoice or key); the JWS seeds are signed with the public fuzzing
key of ``tests/fuzz/jws_target.py``, so the files are the same on every run (Ed25519 is
deterministic), which ``tests/fuzz/test_fuzz_replay.py`` checks.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

if __name__ == "__main__":  # run as a script from a checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from gateway.canonical import canonical_json
from gateway.sign import sign_receipt, sign_submission
from tests.fuzz.jws_target import b64url, fuzz_signing_key

CORPUS = Path(__file__).resolve().parent / "corpus"
_HEADER = (
    "invoice_no,invoice_date,ship_date,buyer_name,buyer_country,currency,amount,"
    "payment_terms,hs_code,tenor_days,description,unit_price,quantity\n"
)
_ROW = (
    'INV-1,2026-01-05,2026-01-07,Acme Trading Ltd,US,USD,"12,500.00",L/C,8504.40,90,Pumps,'
    "125.00,100\n"
)

# The first byte picks the encoding: 0 auto, 1 utf-8, 2 cp949, 3 euc-kr (csv_target.ENCODINGS).
CSV_SEEDS: dict[str, bytes] = {
    "valid_row": b"\x00" + (_HEADER + _ROW).encode(),
    "valid_two_rows_crlf": b"\x01" + (_HEADER + _ROW + _ROW.replace("INV-1", "INV-2")).replace(
        "\n", "\r\n"
    ).encode(),
    "quoted_newline": b"\x00"
    + (_HEADER + _ROW.replace("Acme Trading Ltd", '"Acme\nTrading"')).encode(),
    "semicolon": b"\x00" + (_HEADER + _ROW.replace('"12,500.00"', "12500.00")).replace(
        ",", ";"
    ).encode(),
    "cp949_buyer": b"\x02"
    + (_HEADER + _ROW.replace("Acme Trading Ltd", "한국무역")).encode("cp949"),
    "utf8_bom": b"\x00\xef\xbb\xbf" + (_HEADER + _ROW).encode(),
    "invalid_utf8_byte": b"\x00" + (_HEADER + _ROW.replace("Acme", "Ac\xffme")).encode("latin-1"),
    "replacement_char_in_file": b"\x00" + (_HEADER + _ROW.replace("Acme", "Ac\ufffdme")).encode(),
    "bad_values": b"\x00" + (_HEADER + _ROW.replace(",US,USD,", ",Narnia,XXQ,")).encode(),
    "short_row": b"\x00" + (_HEADER + "INV-3,2026-01-05\n").encode(),
    "missing_column": b"\x00" + _HEADER.replace("currency,", "").encode(),
    "repeated_column": b"\x00" + _HEADER.replace("hs_code", "amount").encode(),
    "header_only": b"\x00" + _HEADER.encode(),
    "utf16_bom": b"\x00\xff\xfei\x00n\x00",
}

_KEY_HEADER = '{"alg":"EdDSA","kid":"@KID@","typ":"ecg-submission+jws"}'
_SUBMISSION: dict[str, Any] = {
    "schema": "ecg.submission/1",
    "jti": "sub_" + "0123456789abcdef" * 2,
    "iss": "exporter-kr-001",
    "aud": "insurer-ksure",
    "iat": 1_767_225_600,
    "policy": {"version": "ab" * 32, "name": "default"},
    "batch": {"run_id": "run_" + "fedcba9876543210" * 2, "sequence": 0, "final": True},
    "attachments": [{"invoice_number": "INV-1", "buyer.country": "US", "tenor_days": 90}],
    "exposure": None,
    "ledger": {"seq": 1, "hash": "7e" * 32},
}
_EXPOSURE = {
    "key_fingerprint": "@FP@",
    "encoding": {"unit": "minor", "exponent": 0},
    "buckets": [
        {
            "key": {"buyer": "*", "country": "US", "currency": "USD", "maturity_month": "2026-04"},
            "records": 1,
            "ciphertext": "@CT@",
        }
    ],
    "suppressed_records": 0,
}
_RECEIPT = {
    "schema": "ecg.receipt/1",
    "jti": "rcpt_" + "00112233445566778899aabbccddeeff",
    "iss": "insurer-ksure",
    "aud": "exporter-kr-001",
    "iat": 1_767_225_600,
    "submission_id": "sub_" + "0123456789abcdef" * 2,
    "payload_sha256": "5a" * 32,
    "status": "accepted",
    "attachments": 1,
    "buckets": 0,
    "ledger": None,
}


def jws_seeds() -> dict[str, bytes]:
    """Seeds for ``jws_target`` (first byte: the mode, see its module docstring)."""

    key = fuzz_signing_key()
    submission = sign_submission(_SUBMISSION, key)
    receipt = sign_receipt({**_RECEIPT, "aud": "insurer-ksure", "iss": "exporter-kr-001"}, key)
    body = submission.split(".")[1]
    none_header = b64url(b'{"alg":"none","kid":"x","typ":"ecg-submission+jws"}')
    return {
        "m0_valid_submission": b"\x00" + submission.encode(),
        "m0_alg_none": b"\x00" + f"{none_header}.{body}.".encode(),
        "m0_trailing_segment": b"\x00" + f"{submission}.{body}".encode(),
        "m0_three_letters": b"\x00a.b.c",
        "m1_valid_receipt": b"\x01" + receipt.encode(),
        "m1_submission_as_receipt": b"\x01" + submission.encode(),
        "m2_regular_header": b"\x02" + _KEY_HEADER.encode() + b"\x00" + canonical_json(_SUBMISSION),
        "m2_jku_header": b"\x02"
        + _KEY_HEADER.replace('"typ"', '"jku":"http://127.0.0.1/k","typ"').encode()
        + b"\x00"
        + canonical_json(_SUBMISSION),
        "m2_duplicate_payload_key": b"\x02"
        + canonical_json(_SUBMISSION).replace(b'"aud":', b'"aud":"x","aud":'),
        "m3_header_not_object": b"\x03[]\x00{}",
        "m4_submission_with_exposure": b"\x04"
        + json.dumps({**_SUBMISSION, "exposure": _EXPOSURE}).encode(),
        "m4_zero_ciphertext": b"\x04"
        + json.dumps({**_SUBMISSION, "exposure": _EXPOSURE}).replace("@CT@", "AA").encode(),
        "m4_future_iat": b"\x04" + json.dumps({**_SUBMISSION, "iat": 1_900_000_000}).encode(),
        "m5_receipt": b"\x05"
        + json.dumps({**_RECEIPT, "aud": "insurer-ksure", "iss": "exporter-kr-001"}).encode(),
        "m5_wrong_submission": b"\x05"
        + json.dumps({**_RECEIPT, "submission_id": "sub_" + "f" * 32}).encode(),
    }


def write(corpus: Path = CORPUS) -> None:
    """(Re)write both corpora under ``corpus``."""
    for name, seeds in (("csv", CSV_SEEDS), ("jws", jws_seeds())):
        directory = corpus / name
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.iterdir():
            old.unlink()
        for seed_name, data in seeds.items():
            (directory / seed_name).write_bytes(data)


if __name__ == "__main__":
    write()
