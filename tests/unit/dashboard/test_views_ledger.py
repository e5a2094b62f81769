"""The ledger and submission read models against the real book (book.py): search by buyer name
and invoice number through their pseudonyms, by date and policy version, pagination, and what
one submission shows. Expected sets are computed from the signed JWS payloads themselves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gateway.dashboard.ledger_views import (
    BUYER_DOMAIN,
    INVOICE_DOMAIN,
    LedgerFilter,
    SearchError,
    ledger_page,
    search_token,
)
from gateway.dashboard.submission_views import cell, fingerprint, submission_detail
from gateway.ledger import receipt_digest
from tests.unit.dashboard.book import BUYERS, Book


def ids(book: Book, flt: LedgerFilter, size: int = 100) -> list[str]:
    return [r.submission_id for r in ledger_page(book.store, flt, page=1, size=size).rows]


def test_without_filter_every_submission_is_listed_newest_first(book: Book) -> None:
    assert ids(book, LedgerFilter()) == list(reversed(book.all_submissions()))


@pytest.mark.parametrize("buyer", sorted(BUYERS))
def test_a_buyer_name_finds_exactly_the_submissions_attaching_that_buyer(
    book: Book, buyer: str
) -> None:
    token = search_token(book.runtime.pseudonym_key, BUYER_DOMAIN, BUYERS[buyer][0])
    found = ids(book, LedgerFilter(buyer_token=token))
    assert found and set(found) == book.carrying("buyer.name", book.token(buyer))


def test_the_buyer_name_is_canonicalised_as_the_transform_does(book: Book) -> None:
    key = book.runtime.pseudonym_key
    typed = search_token(key, BUYER_DOMAIN, "  ACME   trading co. ")
    assert typed == book.token("acme")
    assert search_token(key, BUYER_DOMAIN, "Acme Trading") != book.token("acme")


def test_an_unknown_buyer_finds_nothing(book: Book) -> None:
    token = search_token(book.runtime.pseudonym_key, BUYER_DOMAIN, "Nobody Ltd")
    assert ids(book, LedgerFilter(buyer_token=token)) == []


def test_an_invoice_number_finds_every_version_of_that_invoice(book: Book) -> None:
    token = search_token(book.runtime.pseudonym_key, INVOICE_DOMAIN, "B-1")
    found = set(ids(book, LedgerFilter(invoice_token=token)))
    assert found == book.carrying("invoice_number", book.invoice_token("B-1"))
    assert len(found) == 2  # version 1 in the first sync, version 2 in the second


def test_empty_or_overlong_search_text_is_refused_without_echoing_it(book: Book) -> None:
    key = book.runtime.pseudonym_key
    with pytest.raises(SearchError, match="empty"):
        search_token(key, BUYER_DOMAIN, " \u200b ")
    with pytest.raises(SearchError) as refused:
        search_token(key, BUYER_DOMAIN, "Secret Buyer " * 30)
    assert "Secret" not in str(refused.value)


def test_date_range_filters_on_the_day_recorded(book: Book) -> None:
    today = datetime.now(UTC).date()
    everything = set(book.all_submissions())
    assert set(ids(book, LedgerFilter(date_from=today, date_to=today))) == everything
    assert ids(book, LedgerFilter(date_to=today - timedelta(days=1))) == []
    assert ids(book, LedgerFilter(date_from=today + timedelta(days=1))) == []


def test_policy_version_prefix(book: Book) -> None:
    version = book.runtime.engine.version
    assert len(ids(book, LedgerFilter(policy_prefix=version[:6]))) == len(book.all_submissions())
    other = "0" if version[0] != "0" else "1"
    assert ids(book, LedgerFilter(policy_prefix=other + version[1:6])) == []


def test_filters_combine(book: Book) -> None:
    token = book.token("delta")
    assert set(ids(book, LedgerFilter(buyer_token=token, policy_prefix="f" * 64))) == set()
    combined = ids(book, LedgerFilter(buyer_token=token,
                                      policy_prefix=book.runtime.engine.version[:4]))
    assert set(combined) == book.carrying("buyer.name", token)


def test_pages_partition_the_list_and_out_of_range_pages_are_clamped(book: Book) -> None:
    everything = ids(book, LedgerFilter())
    pages = [ledger_page(book.store, LedgerFilter(), page=p, size=2) for p in (1, 2, 3, 4)]
    assert [r.submission_id for p in pages for r in p.rows] == everything
    assert {p.pages for p in pages} == {4} and {p.total for p in pages} == {len(everything)}
    beyond = ledger_page(book.store, LedgerFilter(), page=99, size=2)
    assert beyond.page == 4 and beyond.rows == pages[3].rows


def test_rows_carry_counts_ledger_entry_and_receipt(book: Book) -> None:
    rows = {r.submission_id: r for r in ledger_page(book.store, LedgerFilter(), page=1,
                                                    size=100).rows}
    entries = {e.submission_id: e for e in book.store.ledger_entries()}
    for sid, row in rows.items():
        payload = book.payload(sid)
        assert row.attachments == len(payload["attachments"])
        exposure = payload["exposure"]
        assert row.buckets == (None if exposure is None else len(exposure["buckets"]))
        if sid in book.submissions[2]:
            assert (row.status, row.seq, row.receipt_id) == ("pending", None, None)
        else:
            assert row.status == "delivered"
            assert (row.seq, row.receipt_id) == (entries[sid].seq, entries[sid].receipt_id)


def test_a_submission_shows_every_field_that_left_and_only_those(book: Book) -> None:
    sid = book.submissions[0][0]
    detail = submission_detail(book.store, sid)
    assert detail is not None
    attachments = book.payload(sid)["attachments"]
    assert set(detail.fields) == {name for a in attachments for name in a}
    assert detail.fields[0] == "invoice_number"
    assert len(detail.rows) == len(attachments) == detail.attachments
    for row, attachment in zip(detail.rows, attachments, strict=True):
        assert list(row) == [cell(attachment[f]) if f in attachment else "—"
                             for f in detail.fields]
    text = " ".join(" ".join(r) for r in detail.rows)
    for name, _, _ in BUYERS.values():
        assert name not in text
    assert "1000.00" not in text and "A-1" not in text  # no exact amount, no invoice in clear


def test_a_submission_shows_its_buckets_as_fingerprints_and_its_receipt(book: Book) -> None:
    sid = book.submissions[0][-1]  # the run's last submission carries the snapshot
    detail = submission_detail(book.store, sid)
    assert detail is not None
    buckets = book.payload(sid)["exposure"]["buckets"]
    assert [b.fingerprint for b in detail.buckets] == [fingerprint(b["ciphertext"])
                                                       for b in buckets]
    assert all(len(b.fingerprint) == len("sha256:") + 16 for b in detail.buckets)
    entry = next(e for e in book.store.ledger_entries() if e.submission_id == sid)
    assert detail.entry == entry
    receipt = book.store.get_receipt(sid)
    assert detail.receipt is not None and receipt is not None
    assert detail.receipt.receipt_id == receipt.receipt_id
    assert detail.receipt.receipt_sha256 == receipt_digest(receipt.receipt_jws)
    assert detail.receipt.receipt_sha256 == entry.receipt_sha256
    assert detail.receipt.matches and detail.receipt.acknowledged_sha256 == entry.payload_sha256
    head = book.payload(sid)["ledger"]
    assert (detail.receipt.anchor_seq, detail.receipt.anchor_hash) == (
        (head["seq"], head["hash"]) if head else (None, None))


def test_a_pending_submission_has_no_entry_or_receipt_and_an_unknown_id_is_none(
    book: Book,
) -> None:
    detail = submission_detail(book.store, book.submissions[2][0])
    assert detail is not None and detail.entry is None and detail.receipt is None
    assert submission_detail(book.store, "sub_" + "0" * 32) is None


def test_bands_and_empty_values_read_plainly() -> None:
    band = {"currency": "USD", "lower": "10000", "upper": "50000"}
    assert cell(band) == "10000 to 50000 USD"
    assert cell({**band, "upper": None}) == "10000 and above USD"
    assert (cell(None), cell(True), cell(7)) == ("(empty)", "yes", "7")
