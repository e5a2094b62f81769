"""The dashboard's read pages through real HTTP: the service as ``gateway serve`` builds it,
with its dashboard, on a loopback port (tests/unit/dashboard/served.py), syncing a CSV export to
the reference insurer on another port. Two syncs are run through the "Sync now" form; what the
pages show is compared with the signed submissions in the store and with the export itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.dashboard.submission_views import cell
from tests.support import jws_payload
from tests.unit.dashboard.served import (
    FIRST_EXPORT,
    HOSTILE_BUYER,
    SECOND_EXPORT,
    Dashboard,
    Node,
    parse,
    post_form,
    served_dashboard,
    sync,
)


@dataclass
class Synced:
    dash: Dashboard
    client: httpx.Client  # signed in as the compliance officer
    after_first_sync: Node  # the overview the "Sync now" redirect led to

    def page(self, path: str, **params: Any) -> Node:
        answer = self.client.get(path, params=params, headers={"Accept": "text/html"})
        assert answer.status_code == 200, answer.text
        return parse(answer.text)

    def payloads(self) -> dict[str, dict[str, Any]]:
        subs = self.dash.store.list_submissions(limit=1000)
        return {s.submission_id: jws_payload(s.jws) for s in subs}

    def carrying(self, field: str, tokens: set[str]) -> set[str]:
        return {sid for sid, p in self.payloads().items()
                if any(a.get(field) in tokens for a in p["attachments"])}


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synced]:
    root: Path = tmp_path_factory.mktemp("dashboard")
    with served_dashboard(root) as dash, dash.sign_in("officer") as client:
        sync(client)
        first = parse(client.get("/ui/", headers={"Accept": "text/html"}).text)
        dash.write_export(SECOND_EXPORT)
        sync(client)
        yield Synced(dash, client, first)


def ledger_ids(node: Node) -> list[str]:
    return [tr.attrs["data-submission-id"] for tr in node.all("tr", class_="ledger-row")]


def search(synced: Synced, **form: str) -> Node:
    answer = post_form(synced.client, "/ui/ledger", form)
    assert answer.status_code == 200, answer.text
    return parse(answer.text)


def test_sync_now_flashes_the_account_of_the_run_it_started(synced: Synced) -> None:
    flash = synced.after_first_sync.one(id="flash").text()
    assert f"{len(FIRST_EXPORT)} records read, {len(FIRST_EXPORT)} attached" in flash
    runs = synced.dash.store.list_runs()
    assert len(runs) == 2
    assert synced.after_first_sync.one("tr", class_="run-row").attrs["data-run-id"] == \
        runs[1].run_id


def test_overview_counts_are_the_last_runs_account(synced: Synced) -> None:
    page = synced.page("/ui/")
    counts = {n.attrs["data-count"]: int(n.text().replace(",", ""))
              for n in page.all(data_count="")}
    account = synced.dash.store.list_runs()[0].account
    assert account is not None
    erp = account["erp"]
    assert counts == {"read": erp["read"], "attached": erp["attached"],
                      "withheld": sum(erp["withheld"].values()),
                      "quarantined": erp["quarantined"], "pending": erp["pending"],
                      "unchanged": erp["unchanged"]}
    assert (counts["read"], counts["attached"], counts["unchanged"]) == (
        len(SECOND_EXPORT), 2, len(SECOND_EXPORT) - 2)
    delivered = page.one(data_outbox="delivered").text()
    assert int(delivered) == len(synced.payloads())
    assert page.one(id="sync-now").tag == "button"
    assert page.one(id="signed-in-as").text() == "officer (compliance)"


def test_the_ledger_lists_every_submission_newest_first_with_links(synced: Synced) -> None:
    page = synced.page("/ui/ledger")
    expected = [s.submission_id for s in synced.dash.store.list_submissions(limit=1000)]
    assert ledger_ids(page) == expected
    for tr in page.all("tr", class_="ledger-row"):
        links = [a.attrs["href"] for a in tr.all("a")]
        assert links == [f"/ui/ledger/{tr.attrs['data-submission-id']}"]


@pytest.mark.parametrize("typed", ["Acme Trading Co.", "  acme   TRADING co. "])
def test_searching_a_buyer_name_finds_exactly_that_buyers_submissions(
    synced: Synced, typed: str
) -> None:
    invoices = {r["invoice_no"] for r in SECOND_EXPORT if r["buyer_name"] == "Acme Trading Co."}
    expected = synced.carrying("invoice_number",
                               {synced.dash.invoice_token(n) for n in invoices})
    page = search(synced, buyer=typed)
    assert expected and set(ledger_ids(page)) == expected
    token = synced.dash.buyer_token("Acme Trading Co.")
    assert token in page.one(id="search-summary").text()
    assert page.one("input", id="search-buyer").attrs["value"] == typed


def test_searching_an_invoice_number_finds_both_versions_of_it(synced: Synced) -> None:
    expected = synced.carrying("invoice_number", {synced.dash.invoice_token("EX-201")})
    assert len(expected) == 2
    assert set(ledger_ids(search(synced, invoice="EX-201"))) == expected
    assert ledger_ids(search(synced, invoice="EX-999")) == []


def test_searching_by_date_range(synced: Synced) -> None:
    today = datetime.now(UTC).date()
    everything = set(synced.payloads())
    found = search(synced, date_from=today.isoformat(), date_to=today.isoformat())
    assert set(ledger_ids(found)) == everything
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert ledger_ids(search(synced, date_from=tomorrow)) == []
    assert ledger_ids(synced.page("/ui/ledger", date_to=(today - timedelta(days=1))
                                  .isoformat())) == []


def test_searching_by_policy_version_prefix(synced: Synced) -> None:
    version = synced.dash.ctx.runtime.current.engine.version
    assert set(ledger_ids(search(synced, policy_version=version[:8].upper()))) == \
        set(synced.payloads())
    other = ("1" if version[0] == "0" else "0") + version[1:8]
    assert ledger_ids(search(synced, policy_version=other)) == []


def test_combined_search_and_its_pages_carry_the_pseudonym_not_the_name(synced: Synced) -> None:
    page = search(synced, buyer="Acme Trading Co.", size="1")
    first = ledger_ids(page)
    assert len(first) == 1
    next_href = page.one("a", id="ledger-next").attrs["href"]
    assert "Acme" not in next_href and "buyer_token=" in next_href
    seen = list(first)
    while True:
        answer = synced.client.get(next_href)
        assert answer.status_code == 200
        node = parse(answer.text)
        seen += ledger_ids(node)
        nexts = node.all("a", id="ledger-next")
        if not nexts:
            break
        next_href = nexts[0].attrs["href"]
    assert set(seen) == set(ledger_ids(search(synced, buyer="Acme Trading Co.")))
    assert len(seen) == len(set(seen))


def test_a_submission_page_shows_what_left_and_nothing_else(synced: Synced) -> None:
    for sid, payload in synced.payloads().items():
        answer = synced.client.get(f"/ui/ledger/{sid}")
        assert answer.status_code == 200
        html = answer.text
        for r in FIRST_EXPORT:
            assert r["invoice_no"] not in html and r["buyer_name"] not in html
        assert "Acme" not in html and "Beta" not in html and "Söhne" not in html
        assert "Static converters" not in html and "1000.00" not in html
        page = parse(html)
        attachments = payload["attachments"]
        if not attachments:
            continue
        table = page.one("table", id="submission-fields")
        fields = [th.attrs["data-field"] for th in table.all("th", data_field="")]
        assert set(fields) == {k for a in attachments for k in a}
        body = [[td.text() for td in tr.all("td")] for tr in table.all("tr",
                                                                        class_="attachment-row")]
        assert body == [[" ".join(cell(a[f]).split()) if f in a else "—" for f in fields]
                        for a in attachments]


def test_the_receipt_section_shows_ledger_entry_and_receipt(synced: Synced) -> None:
    entries = {e.submission_id: e for e in synced.dash.store.ledger_entries()}
    assert entries
    for sid, entry in entries.items():
        receipt = synced.dash.store.get_receipt(sid)
        assert receipt is not None
        section = synced.page(f"/ui/ledger/{sid}").one("section", id="receipt")
        assert section.one(data_ledger="seq").text() == str(entry.seq)
        assert section.one(data_ledger="hash").text() == entry.hash
        assert section.one(data_ledger="prev").text() == entry.prev_hash
        assert section.one(data_receipt="id").text() == receipt.receipt_id
        assert section.one(data_receipt="digest").text() == entry.receipt_sha256
        anchor = section.one(data_receipt="anchor").text()
        head = jws_payload(receipt.receipt_jws)["ledger"]
        assert (head is None and anchor.startswith("none")) or \
            (head is not None and head["hash"] in anchor)


def test_an_unknown_submission_is_a_404_page(synced: Synced) -> None:
    answer = synced.client.get("/ui/ledger/sub_" + "f" * 32, headers={"Accept": "text/html"})
    assert answer.status_code == 404
    page = parse(answer.text)
    assert page.one(id="error-heading").text() == "No such submission"
    assert page.one("a", id="nav-ledger").attrs.get("aria-current") == "page"


def test_exposure_charts_hold_the_exact_sums_of_the_export(synced: Synced) -> None:
    latest = {r["invoice_no"]: r for r in SECOND_EXPORT}
    for currency in ("EUR", "GBP", "USD"):
        page = synced.page("/ui/exposure", currency=currency)
        svgs = {svg.attrs["id"] for svg in page.all("svg")}
        assert svgs == {"chart-buyer-insurer", "chart-buyer-exporter", "chart-country-insurer",
                        "chart-country-exporter"}
        expected: Counter[str] = Counter()
        for r in latest.values():
            if r["currency"] == currency:
                expected[synced.dash.buyer_token(r["buyer_name"])] += int(
                    Decimal(r["amount"]) * 100)
        table = page.one("table", id="chart-buyer-exporter-table")
        shown = {tr.one("th").text(): int(Decimal(tr.all("td")[-1].text().replace(",", ""))
                                          * 100)
                 for tr in table.all("tr", class_="series-row")}
        assert shown == dict(expected)


def test_the_insurer_view_never_shows_a_buyer_under_k(synced: Synced) -> None:
    page = synced.page("/ui/exposure", currency="GBP")  # one invoice: suppressed under k = 3
    insurer = page.one("table", id="chart-buyer-insurer-table")
    labels = [tr.one("th").text() for tr in insurer.all("tr", class_="series-row")]
    assert labels == ["Suppressed: under k even merged, not sent"]
    assert synced.dash.buyer_token(HOSTILE_BUYER) in page.one(
        "table", id="chart-buyer-exporter-table").text()


def test_an_auditor_reads_but_cannot_sync(synced: Synced) -> None:
    with synced.dash.sign_in("auditor") as auditor:
        page = parse(auditor.get("/ui/").text)
        assert page.all(id="sync-now") == [] and page.all(id="sync-form") == []
        assert post_form(auditor, "/ui/sync", {}).status_code == 403
        assert auditor.get("/ui/ledger").status_code == 200
    assert len(synced.dash.store.list_runs()) == 2


def test_the_style_sheet_is_served_by_the_gateway(synced: Synced) -> None:
    page = synced.page("/ui/")
    hrefs = [link.attrs["href"] for link in page.all("link", rel="stylesheet")]
    assert hrefs == ["/ui/static/dashboard.css"]
    answer = synced.client.get(hrefs[0])
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/css")
