"""The portfolio page: self-contained HTML, its one stylesheet allowed by hash, exact numbers."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser

from gateway.examples.insurer_api.portfolio import ExposureLimits, build_report
from gateway.examples.insurer_api.portfolio_page import (
    PORTFOLIO_CSP,
    money,
    render_empty,
    render_report,
)
from tests.unit.insurer.release_kit import BUYER_A, BUYER_B, decrypted

APRIL = decrypted("2026-04", [(BUYER_A, "DE", "EUR", 90_000), (BUYER_B, "IT", "EUR", 5_000)])
MAY = decrypted(
    "2026-05",
    [(BUYER_A, "DE", "EUR", 123_456_789), (BUYER_B, "FR", "EUR", 1_000)],
    [("DE", "EUR", 3, 44)],
)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)
            self._in_style = False


def _page() -> str:
    report = build_report(MAY, APRIL, ExposureLimits(per_buyer={"EUR": 1_000_000_00}))
    return render_report(report, ["2026-05", "2026-04"])


def test_the_only_stylesheet_is_the_one_the_csp_allows_by_hash() -> None:
    parser = _Tags()
    parser.feed(_page())
    (style,) = parser.styles
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in PORTFOLIO_CSP
    assert "default-src 'none'" in PORTFOLIO_CSP and "script-src" not in PORTFOLIO_CSP


def test_no_script_no_external_asset_no_inline_style_attribute() -> None:
    parser = _Tags()
    parser.feed(_page())
    names = {tag for tag, _ in parser.tags}
    assert "script" not in names and "img" not in names and "link" not in names
    for _, attrs in parser.tags:
        assert not {"src", "href", "style"} & set(attrs)
        assert not any(name.startswith("on") for name in attrs)


def test_each_chart_has_a_title_a_description_and_a_table_with_its_numbers() -> None:
    page = _page()
    for chart in ("buyers-EUR", "countries-EUR", "mom-EUR"):
        svg = re.search(rf'<svg id="{chart}".*?</svg>', page, re.S)
        assert svg is not None
        assert f'aria-labelledby="{chart}-t {chart}-d"' in svg.group(0)
        drawn = re.findall(r"<text x=\"\d+\" y=\"\d+\">([0-9,.]+)</text>", svg.group(0))
        assert drawn, chart
        after = page[svg.end():].split("</table>", 1)[0]
        for amount in drawn:
            assert f'<td class="n">{amount}' in after, (chart, amount)
    assert "1,234,567.89" in page and "pseudonymous buyer AAAAAAAA" in page
    assert "other (3 buckets)" in page


def test_breaches_and_month_on_month_are_shown() -> None:
    page = _page()
    assert '<h3 class="breach">Limit breaches</h3>' in page
    assert "234,567.89" in page  # the excess of 1,234,567.89 over 1,000,000.00
    assert "+1,233,668.33" in page  # DE: 1,234,568.33 now, 900.00 in April
    fr = re.search(r'<th scope="row">FR</th>(.*?)</tr>', page)
    assert fr is not None and fr.group(1).endswith('<td class="n">new</td>')


def test_without_a_previous_release_there_is_nothing_to_compare() -> None:
    page = render_report(build_report(MAY, None, ExposureLimits()), ["2026-05"])
    assert "No earlier release to compare 2026-05 with." in page and "mom-EUR" not in page


def test_money_uses_the_currency_minor_digits_exactly() -> None:
    assert money(123_456, "EUR") == "1,234.56"
    assert money(123_456, "JPY") == "123,456"
    assert money(123_456, "KWD") == "123.456"
    assert money(-5, "USD") == "-0.05"
    assert money(10**30 + 1, "USD") == "10,000,000,000,000,000,000,000,000,000.01"


def test_empty_page_escapes_the_asked_period() -> None:
    page = render_empty([], "<b>")
    assert "&lt;b&gt;" in page and "<b>" not in page
