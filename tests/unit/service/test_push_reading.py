"""Reading a pushed body into pipeline items (``gateway.service.push``) and the strict body
checks it relies on (``gateway.service.body``).

Real parts: the shipped ``generic`` mapping and the real ingest stage; no server is needed here
(tests/integration/test_service_push_path.py drives the same code over HTTP).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from gateway.account import SourceAccount, SyncResult
from gateway.ingest import Quarantined
from gateway.limits import Limits
from gateway.model import ExportRecord
from gateway.runtime import load_mapping_for
from gateway.service.body import MAX_DEPTH, MAX_INT, BodyError, parse_body
from gateway.service.push import PushRefused, push_account, read_push

CANARY = "Quillon Canary Exports Ltd"
ROW = {
    "invoice_no": "EX26-00001",
    "invoice_date": "2026-02-01",
    "ship_date": "2026-02-04",
    "buyer_name": CANARY,
    "buyer_country": "DE",
    "currency": "EUR",
    "amount": "1000.00",
    "payment_terms": "L/C",
    "due_date": "2026-04-05",
    "hs_code": "8504.40",
}
MAPPING = load_mapping_for("generic")


def _body(records: list[dict[str, Any]], **extra: Any) -> bytes:
    return json.dumps({"records": records, **extra}).encode()


def _nested(depth: int) -> bytes:
    """A push whose extra member nests ``depth`` containers (lists) below the top object."""
    return b'{"records": [], "x": ' + b"[" * depth + b"]" * depth + b"}"


def test_every_record_becomes_an_item_in_order_with_its_row_number() -> None:
    rows = [{**ROW, "invoice_no": f"EX26-{n:05d}", "amount": f"{n}00.00"} for n in range(1, 6)]
    read = read_push(_body(rows, source="erp-push"), MAPPING, Limits())
    assert read.source == "erp-push"
    assert all(isinstance(item, ExportRecord) for item in read.items)
    records = [item for item in read.items if isinstance(item, ExportRecord)]
    assert [r.invoice_number for r in records] == [row["invoice_no"] for row in rows]
    assert [r.source_ref for r in records] == [f"erp-push:{n}" for n in range(1, 6)]


def test_the_source_defaults_to_webhook() -> None:
    assert read_push(_body([ROW]), MAPPING, Limits()).source == "webhook"


def test_a_bad_record_is_quarantined_in_place_not_refused() -> None:
    rows = [ROW, {**ROW, "invoice_no": "EX26-00002", "amount": "12x.00"}, ROW]
    items = read_push(_body(rows), MAPPING, Limits()).items
    assert [type(item).__name__ for item in items] == ["ExportRecord", "Quarantined",
                                                       "ExportRecord"]
    bad = items[1]
    assert isinstance(bad, Quarantined)
    assert (bad.row, bad.field) == (2, "amount")
    assert "12x" not in bad.reason


@pytest.mark.parametrize("body", [
    json.dumps({"records": []}).encode(),
    json.dumps({"records": [{**ROW, "amount": 1000}]}).encode(),
    json.dumps({"records": [ROW], "source": "Bad Source"}).encode(),
    json.dumps({"records": [ROW], "buyer": CANARY}).encode(),
    json.dumps([ROW]).encode(),
])
def test_a_body_outside_the_schema_is_refused_without_its_content(body: bytes) -> None:
    with pytest.raises(PushRefused) as caught:
        read_push(body, MAPPING, Limits())
    assert str(caught.value) == "schema"
    assert CANARY not in repr(caught.value.__cause__)


def test_a_body_that_is_not_strict_json_is_refused_with_the_parsers_reason() -> None:
    row = json.dumps(ROW)[:-1] + f', "buyer_name": "{CANARY} II"' + "}"
    with pytest.raises(PushRefused, match="duplicate object key") as caught:
        read_push(b'{"records": [' + row.encode() + b"]}", MAPPING, Limits())
    assert CANARY not in str(caught.value)


def test_the_account_answers_with_the_sources_counts_and_the_runs_submissions() -> None:
    account = SourceAccount(read=5, attached=2, withheld=Counter({"tenor.beyond": 2}),
                            quarantined=1)
    result = SyncResult(run_id="run_1", sources={"erp": account, "other": SourceAccount(read=9)},
                        submissions=["sub_a", "sub_b"])
    answer = push_account(result, "erp")
    assert answer.model_dump() == {
        "run_id": "run_1", "read": 5, "attached": 2, "withheld": {"tenor.beyond": 2},
        "quarantined": 1, "pending": 0, "unchanged": 0, "submissions": ["sub_a", "sub_b"],
    }


def test_nesting_is_allowed_up_to_the_limit_and_refused_beyond() -> None:
    # The top object is level 1; MAX_DEPTH levels of containers in all are allowed.
    assert parse_body(_nested(MAX_DEPTH - 1))["records"] == []
    with pytest.raises(BodyError, match=f"nested deeper than {MAX_DEPTH} levels"):
        parse_body(_nested(MAX_DEPTH))


def test_the_first_problem_in_document_order_is_the_one_reported() -> None:
    deep = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    big = str(MAX_INT + 1).encode()
    with pytest.raises(BodyError, match="nested deeper"):
        parse_body(b'{"a": ' + deep + b', "b": ' + big + b"}")
    with pytest.raises(BodyError, match="integer beyond"):
        parse_body(b'{"a": ' + big + b', "b": ' + deep + b"}")


def test_integers_are_bounded_wherever_they_are_even_as_the_whole_body() -> None:
    assert parse_body(str(MAX_INT).encode()) == MAX_INT
    assert parse_body(str(-MAX_INT).encode()) == -MAX_INT
    for body in (str(MAX_INT + 1).encode(), str(-MAX_INT - 1).encode(),
                 b'{"records": [[[' + str(MAX_INT + 1).encode() + b"]]]}"):
        with pytest.raises(BodyError, match="integer beyond"):
            parse_body(body)


def test_every_kind_of_json_leaf_passes_the_checks_unchanged() -> None:
    document = {"s": "text", "n": None, "t": True, "f": False, "i": -7, "l": [1, "x", None],
                "o": {"k": [False, {"deeper": 0}]}}
    assert parse_body(json.dumps(document).encode()) == document
