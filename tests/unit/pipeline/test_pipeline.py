"""The pipeline module chaining the stages: chunking, accounting, fail-closed paths, delivery.

Real parts throughout (embedded Rego engine with the default policy, SQLite store in tmp_path,
generated keys); two small stand-ins are named where they are used.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from gateway.crypto import PaillierPrivateKey, SigningKey, generate_signing_key
from gateway.errors import DeliveryError
from gateway.ingest import Quarantined
from gateway.pipeline import Pipeline, Runtime
from gateway.policy.engine import RegoEngine
from gateway.sign import build_jwks, sign_receipt
from gateway.store import SqliteStore
from gateway.verify import verify_submission
from tests.support import default_policy_runtime, unit_record

EXPORTER, INSURER = "exporter-unit", "insurer-unit"


_record = unit_record


@pytest.fixture
def runtime(signing_key: SigningKey, paillier_keypair: PaillierPrivateKey) -> Runtime:
    return default_policy_runtime(
        exporter_id=EXPORTER,
        insurer_id=INSURER,
        signing_key=signing_key,
        paillier_public_key=paillier_keypair.public_key,
        receipt_key=_RECEIPT_KEY,
    )


_RECEIPT_KEY = generate_signing_key()


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    return SqliteStore(tmp_path / "store.sqlite3")


def test_attachments_are_chunked_and_only_the_final_submission_carries_exposure(
    runtime: Runtime,
    store: SqliteStore,
    signing_key: SigningKey,
    paillier_keypair: PaillierPrivateKey,
) -> None:
    small = Runtime(
        **{
            **runtime.__dict__,
            "limits": runtime.limits.model_copy(update={"max_attachments_per_submission": 5}),
        }
    )
    result = Pipeline(small, store).process({"unit": [_record(i) for i in range(12)]})
    assert len(result.submissions) == 3
    payloads = [
        verify_submission(
            store.get_submission(s).jws,
            build_jwks([signing_key]),  # type: ignore[union-attr]
            paillier_keypair.public_key,
            audience=INSURER,
        ).payload
        for s in result.submissions
    ]
    assert [len(p.attachments) for p in payloads] == [5, 5, 2]
    assert [p.batch.sequence for p in payloads] == [0, 1, 2]
    assert [p.batch.final for p in payloads] == [False, False, True]
    assert [p.exposure is None for p in payloads] == [True, True, False]
    total = sum(paillier_keypair.decrypt(b.ciphertext) for b in payloads[2].exposure.buckets)  # type: ignore[union-attr]
    assert total == sum(_record(i).amount_minor for i in range(12))


def test_account_counts_withheld_by_reason_and_quarantine(
    runtime: Runtime, store: SqliteStore
) -> None:
    items: list[Any] = [_record(i) for i in range(3)]
    items.append(_record(3, currency="CHF"))  # no amount bands for CHF in the default policy
    items.append(_record(4, country="KR"))  # domestic: the policy quarantines it
    items.append(Quarantined("unit.csv", 9, "amount", "amount (column 'amount'): missing", {}))
    result = Pipeline(runtime, store).process({"unit": items})
    acc = result.sources["unit"]
    assert (acc.read, acc.attached, acc.quarantined) == (6, 3, 2)
    assert dict(acc.withheld) == {"currency.not_banded": 1}
    assert acc.balanced()
    reasons = {(q.row, q.field, q.reason) for q in store.list_quarantine()}
    assert (9, "amount", "amount (column 'amount'): missing") in reasons
    assert (6, "<policy>", "buyer.domestic") in reasons


class _WrongLengthEngine:
    """Stand-in for a broken engine that returns fewer decisions than inputs (regopy cannot be made
    to do this on purpose); the pipeline must not shift decisions onto the wrong records."""

    def __init__(self, real: RegoEngine) -> None:
        self._real = real
        self.version = real.version

    def decide(self, inputs: Sequence[Any]) -> list[Any]:
        return self._real.decide(inputs)[:-1]

    def operators(self) -> dict[str, Any]:
        return self._real.operators()

    def settings(self) -> Any:
        return self._real.settings()


def test_a_decision_count_mismatch_withholds_the_whole_batch(
    runtime: Runtime, store: SqliteStore
) -> None:
    broken = Runtime(**{**runtime.__dict__, "engine": _WrongLengthEngine(runtime.engine)})  # type: ignore[arg-type]
    result = Pipeline(broken, store).process({"unit": [_record(i) for i in range(4)]})
    assert result.sources["unit"].attached == 0
    assert dict(result.sources["unit"].withheld) == {"policy.error": 4}
    assert result.submissions == []


def test_preview_shows_what_leaves_and_writes_nothing(runtime: Runtime, store: SqliteStore) -> None:
    rows = Pipeline(runtime, store).preview([_record(0, buyer="Preview Canary Ltd")])
    assert rows[0].attachment is not None
    assert "Preview Canary Ltd" not in repr(rows[0].attachment)
    assert rows[0].attachment["buyer.name"].startswith("p1.psk-test.")
    assert rows[0].exposure_minor == _record(0).amount_minor
    assert store.list_submissions() == [] and store.list_quarantine() == []


class _Sink:
    """Stand-in insurer answering with a chosen receipt or error, to drive delivery outcomes the
    reference insurer never produces (a receipt for another payload, a permanent refusal)."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer

    def submit(self, submission_id: str, jws: str) -> str:
        if isinstance(self.answer, Exception):
            raise self.answer
        return str(self.answer(submission_id))


def _receipt(submission_id: str, payload_sha256: str) -> str:
    return sign_receipt(
        {
            "schema": "ecg.receipt/1",
            "jti": "rcpt_" + "a" * 32,
            "iss": INSURER,
            "aud": EXPORTER,
            "iat": 1_790_000_000,
            "submission_id": submission_id,
            "payload_sha256": payload_sha256,
            "status": "accepted",
            "attachments": 1,
            "buckets": 0,
            "ledger": None,
        },
        _RECEIPT_KEY,
    )


def test_delivery_refuses_a_receipt_for_another_payload(
    runtime: Runtime, store: SqliteStore
) -> None:
    now = [1_790_000_000.0]
    pipeline = Pipeline(runtime, store, clock=lambda: now[0])
    pipeline.process({"unit": [_record(i) for i in range(3)]})
    report = pipeline.deliver(_Sink(lambda sid: _receipt(sid, "0" * 64)))
    assert report.delivered == 0 and len(report.failed) == 1
    (sub,) = store.list_submissions()
    assert sub.status.value == "failed" and store.get_receipt(sub.submission_id) is None
    good = _Sink(lambda sid: _receipt(sid, store.get_submission(sid).payload_sha256))  # type: ignore[union-attr]
    assert pipeline.deliver(good).delivered == 0  # not due yet: the retry waits its backoff
    now[0] += 3  # past the first backoff ceiling (base_delay_s = 2)
    report = pipeline.deliver(good)
    assert (report.delivered, report.failed, report.dead) == (1, {}, {})
    assert store.get_receipt(sub.submission_id) is not None


def test_a_permanent_refusal_is_dead_lettered_not_retried(
    runtime: Runtime, store: SqliteStore
) -> None:
    pipeline = Pipeline(runtime, store)
    pipeline.process({"unit": [_record(i) for i in range(3)]})
    pipeline.deliver(
        _Sink(DeliveryError("insurer refused: bad_request", status_code=400, retryable=False))
    )
    (sub,) = store.list_submissions()
    assert sub.status.value == "dead"
    assert store.pending_submissions() == []


def test_delivery_refuses_a_receipt_countersigning_another_ledger_head(
    runtime: Runtime, store: SqliteStore
) -> None:
    pipeline = Pipeline(runtime, store, clock=lambda: 1_790_000_000)
    pipeline.process({"unit": [_record(i) for i in range(3)]})

    def forged(sid: str) -> str:
        sub = store.get_submission(sid)
        assert sub is not None
        return sign_receipt(
            {
                "schema": "ecg.receipt/1",
                "jti": "rcpt_" + "b" * 32,
                "iss": INSURER,
                "aud": EXPORTER,
                "iat": 1_790_000_000,
                "submission_id": sid,
                "payload_sha256": sub.payload_sha256,
                "status": "accepted",
                "attachments": 3,
                "buckets": 0,
                "ledger": {"seq": 7, "hash": "ab" * 32},
            },
            _RECEIPT_KEY,
        )

    report = pipeline.deliver(_Sink(forged))
    assert report.delivered == 0 and "different ledger head" in next(iter(report.failed.values()))
    assert store.ledger_entries() == []


# -- record versions: re-reads, edits, resumption ---------------------------------------------


def _payloads(store: SqliteStore, ids: Sequence[str]) -> list[Any]:
    from gateway.crypto import b64url_decode

    return [json.loads(b64url_decode(store.get_submission(s).jws.split(".")[1])) for s in ids]  # type: ignore[union-attr]


def test_reading_the_same_export_three_times_yields_one_set_of_submissions(
    runtime: Runtime, store: SqliteStore
) -> None:
    export = [_record(i) for i in range(6)]
    first = Pipeline(runtime, store).process({"unit": export})
    again = [Pipeline(runtime, store).process({"unit": list(export)}) for _ in range(2)]
    assert len(first.submissions) == 1 and first.sources["unit"].attached == 6
    for result in again:
        acc = result.sources["unit"]
        assert result.submissions == []
        assert (acc.read, acc.attached, acc.unchanged) == (6, 0, 6) and acc.balanced()
    assert len(store.list_submissions()) == 1


def test_the_same_row_twice_in_one_export_is_attached_once(
    runtime: Runtime, store: SqliteStore
) -> None:
    result = Pipeline(runtime, store).process({"unit": [_record(0), _record(0), _record(1)]})
    acc = result.sources["unit"]
    assert (acc.attached, acc.unchanged) == (2, 1)
    (payload,) = _payloads(store, result.submissions)
    assert len(payload["attachments"]) == 2


def _exposure(payload: dict[str, Any], key: PaillierPrivateKey) -> list[Any]:
    return sorted(
        (sorted(b["key"].items()), b["records"], key.decrypt(b["ciphertext"]))
        for b in payload["exposure"]["buckets"]
    )


def test_an_edited_row_is_a_new_version_and_the_book_keeps_only_the_latest(
    runtime: Runtime, store: SqliteStore, paillier_keypair: PaillierPrivateKey, tmp_path: Path
) -> None:
    export = [_record(i) for i in range(6)]
    Pipeline(runtime, store).process({"unit": export})
    # record 4 falls in a bucket with three others, so the k rule lets its total be disclosed
    edited = [*export[:4], export[4].model_copy(update={"amount": Decimal("99999.00")}), export[5]]
    result = Pipeline(runtime, store).process({"unit": edited})
    acc = result.sources["unit"]
    assert (acc.attached, acc.unchanged) == (1, 5)
    (payload,) = _payloads(store, result.submissions)
    (attachment,) = payload["attachments"]
    assert attachment["revision"] == 2
    # The exposure is the book as it is now: what a gateway that only ever saw the edited export
    # reports, so the edited amount replaces the first version's instead of adding to it.
    fresh = SqliteStore(tmp_path / "fresh.sqlite3")
    (baseline,) = _payloads(fresh, Pipeline(runtime, fresh).process({"unit": edited}).submissions)
    assert _exposure(payload, paillier_keypair) == _exposure(baseline, paillier_keypair)
    assert sum(t for *_, t in _exposure(payload, paillier_keypair)) > 9_999_900
    third = Pipeline(runtime, store).process({"unit": list(edited)})
    assert third.submissions == [] and third.sources["unit"].unchanged == 6


def test_a_new_row_sends_only_itself_and_the_changed_exposure(
    runtime: Runtime, store: SqliteStore, paillier_keypair: PaillierPrivateKey, tmp_path: Path
) -> None:
    Pipeline(runtime, store).process({"unit": [_record(i) for i in range(5)]})
    result = Pipeline(runtime, store).process({"unit": [_record(i) for i in range(6)]})
    (payload,) = _payloads(store, result.submissions)
    (attachment,) = payload["attachments"]  # only the new row; invoice numbers are pseudonyms
    assert "revision" not in attachment
    fresh = SqliteStore(tmp_path / "fresh.sqlite3")
    whole = Pipeline(runtime, fresh).process({"unit": [_record(i) for i in range(6)]})
    (baseline,) = _payloads(fresh, whole.submissions)
    assert _exposure(payload, paillier_keypair) == _exposure(baseline, paillier_keypair)
    assert payload["exposure"]["suppressed_records"] == baseline["exposure"]["suppressed_records"]


def test_a_sync_that_died_after_its_first_chunk_resumes_without_duplicates(
    runtime: Runtime, store: SqliteStore, paillier_keypair: PaillierPrivateKey, tmp_path: Path
) -> None:
    small = Runtime(
        **{
            **runtime.__dict__,
            "limits": runtime.limits.model_copy(
                update={"max_attachments_per_submission": 4, "chunk_records": 2}
            ),
        }
    )
    export = [_record(i) for i in range(10)]

    def dies_after_four() -> Any:
        yield from export[:5]
        raise KeyboardInterrupt  # the process is interrupted mid-read

    with pytest.raises(KeyboardInterrupt):
        Pipeline(small, store).process({"unit": dies_after_four()})
    (committed,) = store.list_submissions()
    result = Pipeline(small, store).process({"unit": export})
    assert result.sources["unit"].unchanged == 4 and result.sources["unit"].attached == 6
    payloads = _payloads(store, [committed.submission_id, *result.submissions])
    refs = [a["invoice_number"] for p in payloads for a in p["attachments"]]
    assert len(refs) == len(set(refs)) == 10
    fresh = SqliteStore(tmp_path / "fresh.sqlite3")
    (baseline,) = _payloads(fresh, Pipeline(runtime, fresh).process({"unit": export}).submissions)
    assert _exposure(payloads[-1], paillier_keypair) == _exposure(baseline, paillier_keypair)


def test_tomorrows_export_under_another_file_name_names_the_same_invoices(
    runtime: Runtime, store: SqliteStore
) -> None:
    today = [_record(i) for i in range(4)]
    tomorrow = [r.model_copy(update={"source_ref": "export-0522.csv:" + str(n + 2)})
                for n, r in enumerate(today)]
    Pipeline(runtime, store).process({"erp": today})
    result = Pipeline(runtime, store).process({"erp": tomorrow})
    assert result.submissions == [] and result.sources["erp"].unchanged == 4
    other = Pipeline(runtime, store).process({"erp-branch": tomorrow})
    assert other.sources["erp-branch"].attached == 4  # another source's invoice numbers are its own


def test_a_book_that_returns_to_an_earlier_state_sends_that_snapshot_again(
    runtime: Runtime, store: SqliteStore, paillier_keypair: PaillierPrivateKey
) -> None:
    export = [_record(i) for i in range(6)]
    edited = [*export[:4], export[4].model_copy(update={"amount": Decimal("99999.00")}), export[5]]
    runs = [Pipeline(runtime, store).process({"unit": e}) for e in (export, edited, export)]
    assert [len(r.submissions) for r in runs] == [1, 1, 1] and not runs[2].already_submitted
    first, _, third = (_payloads(store, r.submissions)[0] for r in runs)
    assert _exposure(third, paillier_keypair) == _exposure(first, paillier_keypair)
    assert third["attachments"][0]["revision"] == 3
