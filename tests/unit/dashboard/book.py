"""A real exporter book for the dashboard tests: the real pipeline (default policy, regopy)
writing to a real SQLite store, delivering over loopback HTTP to the reference insurer, which
verifies each submission and signs a receipt. Keys are generated here (the insurer's Paillier
key is the session's 2048-bit key).

Three syncs, two submissions at most per outbox entry (so one sync writes several):

1. Acme (US, USD) x3, Beta (DE, EUR) x3, Gamma (US, USD) x1, one unreadable row; delivered.
2. Acme x1 more, Beta's invoice B-1 edited (version 2), Delta (FR, EUR) x1; delivered.
3. Acme x1 more; signed and kept in the outbox (not delivered).

With k = 3, Gamma and Delta are under k even after merging: suppressed, never sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from gateway.adapters.insurer import InsurerClient, make_http_client
from gateway.crypto import PaillierPrivateKey, generate_signing_key
from gateway.examples.insurer_api import InsurerConfig, create_app, serve_in_thread
from gateway.ingest import Quarantined
from gateway.limits import Limits
from gateway.model import Buyer, ExportRecord, PaymentMethod
from gateway.pipeline import Pipeline, Runtime
from gateway.sign import build_jwks
from gateway.store import SqliteStore
from gateway.transform.pseudonyms import pseudonym
from tests.support import default_policy_runtime, jws_payload

EXPORTER = "exporter-dash"
INSURER = "insurer-dash"
SHIPPED = date(2026, 5, 4)
DUE = date(2026, 7, 3)
BUYERS = {
    "acme": ("Acme Trading Co.", "US", "USD"),
    "beta": ("Beta Maschinen GmbH", "DE", "EUR"),
    "gamma": ("Gamma Ltd", "US", "USD"),
    "delta": ("Delta SA", "FR", "EUR"),
}


def record(invoice: str, buyer: str, amount: str) -> ExportRecord:
    """An open-account invoice of ``buyer`` (a key of :data:`BUYERS`), all due in July 2026."""
    name, country, currency = BUYERS[buyer]
    return ExportRecord(
        source_ref=f"erp.csv:{invoice}",
        invoice_number=invoice,
        invoice_date=SHIPPED,
        shipment_date=SHIPPED,
        buyer=Buyer(name=name, country=country),
        currency=currency,
        amount=Decimal(amount),
        payment_method=PaymentMethod.OA,
        due_date=DUE,
        hs_code="850440",
    )


RUN_1 = [
    record("A-1", "acme", "1000.00"), record("A-2", "acme", "2000.00"),
    record("A-3", "acme", "3000.00"), record("B-1", "beta", "500.00"),
    record("B-2", "beta", "600.00"), record("B-3", "beta", "700.00"),
    record("G-1", "gamma", "40.00"),
]
RUN_2 = [record("A-4", "acme", "4000.00"), record("B-1", "beta", "550.00"),
         record("D-1", "delta", "90.00")]
RUN_3 = [record("A-5", "acme", "5000.00")]


@dataclass
class Book:
    store: SqliteStore
    runtime: Runtime
    insurer_key: PaillierPrivateKey
    runs: list[str] = field(default_factory=list)
    submissions: list[list[str]] = field(default_factory=list)  # per run, in order

    def token(self, buyer: str) -> str:
        """The pseudonym ``buyer`` (a key of BUYERS) leaves under."""
        return pseudonym(self.runtime.pseudonym_key, "buyer", BUYERS[buyer][0])

    def invoice_token(self, invoice: str) -> str:
        return pseudonym(self.runtime.pseudonym_key, "invoice", invoice)

    def payload(self, submission_id: str) -> dict[str, Any]:
        sub = self.store.get_submission(submission_id)
        assert sub is not None
        return jws_payload(sub.jws)

    def all_submissions(self) -> list[str]:
        return [sid for run in self.submissions for sid in run]

    def carrying(self, field_name: str, token: str) -> set[str]:
        """Submissions with an attachment whose ``field_name`` is ``token`` (from the JWS)."""
        return {
            sid for sid in self.all_submissions()
            if any(a.get(field_name) == token for a in self.payload(sid)["attachments"])
        }

    def decrypted_snapshot(self) -> list[tuple[dict[str, str], int]]:
        """The last exposure snapshot sent, decrypted with the insurer's private key."""
        for sid in reversed(self.all_submissions()):
            exposure = self.payload(sid)["exposure"]
            if exposure is not None:
                return [(b["key"], self.insurer_key.decrypt(b["ciphertext"]))
                        for b in exposure["buckets"]]
        raise AssertionError("no snapshot was sent")


def latest_amounts() -> dict[str, ExportRecord]:
    """The latest version of every invoice across the three runs."""
    latest: dict[str, ExportRecord] = {}
    for r in [*RUN_1, *RUN_2, *RUN_3]:
        latest[r.invoice_number] = r
    return latest


@contextmanager
def build_book(root: Path, insurer_key: PaillierPrivateKey) -> Iterator[Book]:
    """The three syncs above, in a store under ``root``."""
    signing, receipt = generate_signing_key(), generate_signing_key()
    insurer = serve_in_thread(create_app(InsurerConfig(
        insurer_id=INSURER, receipt_key=receipt, gateways={EXPORTER: build_jwks([signing])},
        paillier_private_key=insurer_key, state_path=root / "insurer.sqlite3",
    )))
    try:
        base = default_policy_runtime(
            exporter_id=EXPORTER, insurer_id=INSURER, signing_key=signing,
            paillier_public_key=insurer_key.public_key, receipt_key=receipt,
        )
        runtime = Runtime(**{**base.__dict__,
                             "limits": Limits(max_attachments_per_submission=2)})
        store = SqliteStore(root / "gateway.sqlite3")
        book = Book(store, runtime, insurer_key)
        bad = Quarantined("erp", 99, "amount", "ingest.amount.invalid", {"amount": "x"})
        with make_http_client(Limits()) as http:
            client = InsurerClient(insurer.base_url, client=http)
            for items, deliver in (([*RUN_1, bad], True), (RUN_2, True), (RUN_3, False)):
                pipeline = Pipeline(runtime, store)
                result = pipeline.process({"erp": items})
                book.runs.append(result.run_id)
                book.submissions.append(list(result.submissions))
                if deliver:
                    report = pipeline.deliver(client)
                    assert report.delivered == len(result.submissions)
        yield book
    finally:
        insurer.stop()
