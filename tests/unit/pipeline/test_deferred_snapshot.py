"""A run without its exposure snapshot, and the snapshot planned, sealed and written later.

The webhook defers the snapshot (gateway.service.snapshots); these are the pipeline steps it
uses. Real parts: the embedded Rego engine with the default policy, an SQLite store in tmp_path,
generated keys; totals are checked by decrypting with the test's Paillier private key.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.crypto import PaillierPrivateKey, SigningKey, generate_signing_key
from gateway.pipeline import EXPOSURE_META, Pipeline, Runtime
from gateway.sign import build_jwks
from gateway.sign.payload import SubmissionPayload
from gateway.store import SqliteStore
from gateway.verify import verify_submission
from tests.support import default_policy_runtime, unit_record

EXPORTER, INSURER = "exporter-unit", "insurer-unit"
_RECEIPT_KEY = generate_signing_key()


@pytest.fixture
def runtime(signing_key: SigningKey, paillier_keypair: PaillierPrivateKey) -> Runtime:
    return default_policy_runtime(
        exporter_id=EXPORTER, insurer_id=INSURER, signing_key=signing_key,
        paillier_public_key=paillier_keypair.public_key, receipt_key=_RECEIPT_KEY,
    )


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    return SqliteStore(tmp_path / "store.sqlite3")


def _payload(
    store: SqliteStore, submission_id: str, key: SigningKey, priv: PaillierPrivateKey
) -> SubmissionPayload:
    entry = store.get_submission(submission_id)
    assert entry is not None
    verified = verify_submission(entry.jws, build_jwks([key]), priv.public_key, audience=INSURER)
    return verified.payload


def _send(pipeline: Pipeline) -> str | None:
    plan = pipeline.plan_snapshot()
    if plan is None:
        return None
    written = pipeline.write_snapshot(plan, pipeline.seal_snapshot(plan))
    assert written is not None
    [submission] = written.submissions
    return submission


def test_a_run_without_snapshot_attaches_and_leaves_the_snapshot_due(
    runtime: Runtime, store: SqliteStore, signing_key: SigningKey,
    paillier_keypair: PaillierPrivateKey,
) -> None:
    records = [unit_record(5 * i) for i in range(6)]  # one bucket, above the policy's k
    result = Pipeline(runtime, store).process({"unit": records}, snapshot=False)
    [only] = result.submissions
    payload = _payload(store, only, signing_key, paillier_keypair)
    assert len(payload.attachments) == len(records) and payload.batch.final
    assert payload.exposure is None
    assert store.get_meta(EXPOSURE_META) is None

    snapshot = _send(Pipeline(runtime, store))
    assert snapshot is not None
    sent = _payload(store, snapshot, signing_key, paillier_keypair)
    assert sent.attachments == [] and sent.exposure is not None
    total = sum(paillier_keypair.decrypt(b.ciphertext) for b in sent.exposure.buckets)
    assert total == sum(r.amount_minor for r in records)
    # Sent once: the book has not changed since.
    assert Pipeline(runtime, store).plan_snapshot() is None


def test_deferred_snapshots_equal_the_one_an_inline_run_sends(
    runtime: Runtime, tmp_path: Path, signing_key: SigningKey,
    paillier_keypair: PaillierPrivateKey,
) -> None:
    batches = [[unit_record(i) for i in range(n, n + 4)] for n in (0, 4, 8)]
    inline, deferred = SqliteStore(tmp_path / "a.sqlite3"), SqliteStore(tmp_path / "b.sqlite3")
    for batch in batches:
        Pipeline(runtime, inline).process({"unit": batch})
        Pipeline(runtime, deferred).process({"unit": batch}, snapshot=False)
    _send(Pipeline(runtime, deferred))
    assert deferred.get_meta(EXPOSURE_META) == inline.get_meta(EXPOSURE_META)


def test_a_snapshot_planned_before_another_was_written_is_not_written(
    runtime: Runtime, store: SqliteStore,
) -> None:
    Pipeline(runtime, store).process(
        {"unit": [unit_record(5 * i) for i in range(6)]}, snapshot=False)
    first, second = Pipeline(runtime, store), Pipeline(runtime, store)
    plan_a, plan_b = first.plan_snapshot(), second.plan_snapshot()
    assert plan_a is not None and plan_b is not None
    assert first.write_snapshot(plan_a, first.seal_snapshot(plan_a)) is not None
    before = len(store.list_submissions(limit=100))
    assert second.write_snapshot(plan_b, second.seal_snapshot(plan_b)) is None
    assert len(store.list_submissions(limit=100)) == before


def test_an_unchanged_bucket_keeps_its_ciphertext_in_the_next_deferred_snapshot(
    runtime: Runtime, store: SqliteStore, signing_key: SigningKey,
    paillier_keypair: PaillierPrivateKey,
) -> None:
    Pipeline(runtime, store).process(
        {"unit": [unit_record(5 * i) for i in range(6)]}, snapshot=False)
    one = _send(Pipeline(runtime, store))
    Pipeline(runtime, store).process(
        {"unit": [unit_record(5 * i, country="JP") for i in range(6, 12)]}, snapshot=False)
    two = _send(Pipeline(runtime, store))
    assert one is not None and two is not None
    a = _payload(store, one, signing_key, paillier_keypair).exposure
    b = _payload(store, two, signing_key, paillier_keypair).exposure
    assert a is not None and b is not None
    before = {str(x.key): x.ciphertext for x in a.buckets}
    kept = [x for x in b.buckets if before.get(str(x.key)) == x.ciphertext]
    assert kept, "no bucket kept its ciphertext"
    assert len(kept) < len(b.buckets), "the new record's bucket was not encrypted afresh"
