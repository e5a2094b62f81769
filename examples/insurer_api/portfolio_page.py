"""The portfolio page (``GET /portfolio``): the report as HTML with inline SVG bar charts.

One self-contained document: no script, no external asset, one fixed stylesheet allowed by its
hash in :data:`PORTFOLIO_CSP`, colours as SVG presentation attributes. Every text that comes
from data (buyer ids, countries, currencies, periods) is escaped. Each chart has a ``<title>``
and ``<desc>`` and a table beside it with exactly the numbers it draws. Amounts are formatted
from integer minor units with :class:`~decimal.Decimal`; bar lengths are integer arithmetic.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from decimal import Decimal
from html import escape
from typing import Final

from gateway.examples.insurer_api.portfolio import Change, CurrencyReport, PortfolioReport
from gateway.model.currency import MINOR_UNITS

_STYLE: Final = (
    "body{font-family:sans-serif;margin:1.5rem;color:#222}"
    "section{margin-bottom:2rem}.pair{display:flex;flex-wrap:wrap;gap:1.5rem}"
    "table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:.2rem .5rem}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}.breach{color:#a00}"
)
PORTFOLIO_CSP: Final = (
    "default-src 'none'; style-src 'sha256-"
    + base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
    + "'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
"""Nothing but the one stylesheet above; no script, image, font or connection."""

WIDTH: Final = 640
LABEL: Final = 220
BAR_AREA: Final = 300
ROW: Final = 22
PALETTE: Final = {"now": "#0072b2", "before": "#e69f00", "other": "#8c8c8c"}
_GREY_KINDS: Final = {"other_buyers", "remainder"}


def e(text: object) -> str:
    """HTML-escape (quotes too) any value shown on the page."""
    return escape(str(text), quote=True)


def money(minor: int, currency: str) -> str:
    """``123456, "EUR"`` -> ``1,234.56``: exact integer arithmetic, at any magnitude."""
    digits = MINOR_UNITS.get(currency, 2)
    whole, fraction = divmod(abs(minor), 10**digits)
    sign = "-" if minor < 0 else ""
    return f"{sign}{whole:,}" + (f".{fraction:0{digits}d}" if digits else "")


def _pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value}%"


def _change_text(change: Change | None, currency: str) -> str:
    if change is None:
        return "—"
    if change.status == "new" or change.change_minor is None:
        return "new"
    sign = "+" if change.change_minor > 0 else ""
    pct = "" if change.change_pct is None else f" ({sign}{change.change_pct}%)"
    return f"{sign}{money(change.change_minor, currency)}{pct}"


def _length(value: int, top: int) -> int:
    return 0 if top <= 0 or value <= 0 else max(1, value * BAR_AREA // top)


def bar_chart(chart_id: str, title: str, desc: str, currency: str,
              bars: Sequence[tuple[str, Sequence[tuple[int, str]]]]) -> str:
    """Horizontal bars: ``bars`` is ``[(label, [(minor, colour), ...]), ...]`` (a group of
    one or more bars per label, drawn one under the other)."""
    top = max((v for _, group in bars for v, _ in group), default=0)
    rows = sum(len(group) for _, group in bars) + len(bars)
    height = 16 + rows * ROW
    cid = e(chart_id)
    out = [
        f'<svg id="{cid}" xmlns="http://www.w3.org/2000/svg" role="img" width="{WIDTH}" '
        f'height="{height}" viewBox="0 0 {WIDTH} {height}" font-size="12" fill="#222222" '
        f'aria-labelledby="{cid}-t {cid}-d"><title id="{cid}-t">{e(title)}</title>'
        f'<desc id="{cid}-d">{e(desc)}</desc>'
    ]
    y = 8
    for label, group in bars:
        out.append(f'<text x="{LABEL - 8}" y="{y + 15}" text-anchor="end">{e(label)}</text>')
        for value, colour in group:
            length = _length(value, top)
            out.append(
                f'<rect x="{LABEL}" y="{y + 3}" width="{length}" height="{ROW - 6}" '
                f'fill="{e(colour)}"><title>{e(label)}: {e(money(value, currency))} '
                f"{e(currency)}</title></rect>"
                f'<text x="{LABEL + length + 6}" y="{y + 15}">{e(money(value, currency))}</text>'
            )
            y += ROW
        y += ROW // 2
    out.append("</svg>")
    return "".join(out)


def _table(caption: str, head: Sequence[str], rows: Sequence[Sequence[tuple[str, bool]]]) -> str:
    """A table: ``rows`` of ``(text, numeric)`` cells, the first cell a row header."""
    out = [f"<table><caption>{e(caption)}</caption><thead><tr>"]
    out += [f'<th scope="col">{e(h)}</th>' for h in head]
    out.append("</tr></thead><tbody>")
    for row in rows:
        (first, _), *cells = row
        out.append(f'<tr><th scope="row">{e(first)}</th>')
        out += [f'<td class="n">{e(t)}</td>' if num else f"<td>{e(t)}</td>" for t, num in cells]
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _buyers(cur: CurrencyReport) -> str:
    c = cur.currency
    bars = [(line.label, [(line.exposure_minor,
                           PALETTE["other" if line.kind in _GREY_KINDS else "now"])])
            for line in cur.buyers]
    chart = bar_chart(f"buyers-{c}", f"Top buyers, {c}",
                      f"Exposure per buyer in {c}; remainders of small buckets in grey.", c, bars)
    rows = [[(line.label, False), (line.key, False), (", ".join(line.countries), False),
             (money(line.exposure_minor, c), True), (_pct(line.share_pct), True),
             (_change_text(line.change, c), True)] for line in cur.buyers]
    table = _table(f"Top buyers, {c}", ["Buyer", "Id", "Countries", f"Exposure ({c})",
                                        "Share", "Change"], rows)
    return f'<h3>Top buyers</h3><div class="pair">{chart}{table}</div>'


def _countries(cur: CurrencyReport) -> str:
    c = cur.currency
    bars = [(line.country, [(line.exposure_minor, PALETTE["now"])]) for line in cur.countries]
    chart = bar_chart(f"countries-{c}", f"Top countries, {c}",
                      f"Exposure per country in {c}, remainders included.", c, bars)
    rows = [[(line.country, False), (money(line.exposure_minor, c), True),
             (f"{money(line.remainder_minor, c)} ({line.remainder_buckets} buckets)", True),
             (_pct(line.share_pct), True), (_change_text(line.change, c), True)]
            for line in cur.countries]
    table = _table(f"Top countries, {c}", ["Country", f"Exposure ({c})", "Of which other",
                                           "Share", "Change"], rows)
    return f'<h3>Top countries</h3><div class="pair">{chart}{table}</div>'


def _month_on_month(cur: CurrencyReport, previous: str | None, period: str) -> str:
    c = cur.currency
    if previous is None:
        return f"<h3>Month on month</h3><p>No earlier release to compare {e(period)} with.</p>"
    pairs = [(line.country, line.change.previous_minor or 0, line.exposure_minor)
             for line in cur.countries] + [(country, before, 0)
                                           for country, before in cur.countries_gone]
    bars = [(country, [(before, PALETTE["before"]), (now, PALETTE["now"])])
            for country, before, now in pairs]
    chart = bar_chart(f"mom-{c}", f"Month on month, {c}",
                      f"Exposure per country in {c}: {previous} (orange) and {period} (blue).",
                      c, bars)
    rows = [[(country, False), (money(before, c), True), (money(now, c), True)]
            for country, before, now in pairs]
    table = _table(f"Month on month, {c}", ["Country", previous, period], rows)
    return f'<h3>Month on month</h3><div class="pair">{chart}{table}</div>'


def _breaches(cur: CurrencyReport) -> str:
    c = cur.currency
    if not cur.breaches:
        return "<h3>Limit breaches</h3><p>None.</p>"
    rows = [[(b.label, False), (b.scope, False), (money(b.exposure_minor, c), True),
             (money(b.limit_minor, c), True), (money(b.excess_minor, c), True)]
            for b in cur.breaches]
    table = _table(f"Limit breaches, {c}", ["Over the limit", "Scope", f"Exposure ({c})",
                                            "Limit", "Excess"], rows)
    return f'<h3 class="breach">Limit breaches</h3>{table}'


def _selector(periods: Sequence[str], current: str) -> str:
    options = "".join(
        f'<option value="{e(p)}"{" selected" if p == current else ""}>{e(p)}</option>'
        for p in periods
    )
    return (f'<form method="get" action="/portfolio"><label for="period">Period</label> '
            f'<select id="period" name="period">{options}</select> '
            f'<button type="submit">Show</button></form>')


def _document(title: str, body: str) -> str:
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{e(title)}</title><style>{_STYLE}</style></head><body>{body}</body></html>")


def render_report(report: PortfolioReport, periods: Sequence[str]) -> str:
    """The page of ``report``; ``periods`` (released, newest first) fill the period selector."""
    selector = _selector(periods, report.period)
    head = (f"<h1>Portfolio concentration, {e(report.period)}</h1>{selector}"
            f"<p>From hub release {e(report.release_id)} of {e(report.hub_id)} (k = "
            f"{e(report.k)}; {e(report.suppressed_buckets)} buckets suppressed). Buyers are "
            "insurer codes or pseudonymous buyers (consortium pseudonyms, shortened).</p>")
    sections = [
        f'<section aria-labelledby="cur-{e(c.currency)}"><h2 id="cur-{e(c.currency)}">'
        f"{e(c.currency)}: {e(money(c.total_minor, c.currency))} "
        f"({e(_change_text(c.change, c.currency))})</h2>"
        + _buyers(c) + _countries(c) + _month_on_month(c, report.previous_period, report.period)
        + _breaches(c) + "</section>"
        for c in report.currencies
    ]
    return _document(f"Portfolio {report.period}", head + "".join(sections))


def render_empty(periods: Sequence[str], asked: str | None) -> str:
    """The page when the asked period (or any period) has no release yet."""
    what = f"No hub release for {e(asked)}." if asked else "No hub release received yet."
    selector = _selector(periods, "") if periods else ""
    return _document("Portfolio", f"<h1>Portfolio concentration</h1><p>{what}</p>{selector}")
