"""SVG charts: structure, exact money formatting, tooltips, the table under the chart, escaping.

The SVG is parsed with the standard library's XML parser, so a chart that is not well-formed
XML fails here before a browser could render it wrongly.
"""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from html.parser import HTMLParser

import pytest

from gateway.dashboard.charts import (
    Series,
    StackedChart,
    axis_label,
    format_minor,
    nice_ticks,
    render_chart,
    render_svg,
    render_table,
)

SVG = "{http://www.w3.org/2000/svg}"


def chart(series: tuple[Series, ...], points: tuple[str, ...] = ("run 1", "run 2", "run 3"),
          currency: str = "USD") -> StackedChart:
    return StackedChart("chart-test", "Exposure per buyer (USD)", "A test chart.", currency,
                        "Buyer", points, series)


SERIES = (
    Series("p1.k.alpha", (100_000, 150_050, 0)),
    Series("p1.k.beta", (0, 20_000, 35_000)),
    Series("Merged: buyers under k", (5_000, 5_000, 7_500), "merged"),
    Series("Suppressed", (1_234, 0, 99), "suppressed"),
)


class TableReader(HTMLParser):
    """Rows of cell texts of the first table in some HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table_rows(html: str) -> list[list[str]]:
    reader = TableReader()
    reader.feed(html)
    return reader.rows


def minor_of(text: str, digits: int = 2) -> int:
    """Parse a formatted amount back to minor units, independently of the formatter."""
    return int(Decimal(text.replace(",", "")).scaleb(digits))


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (123_456, "USD", "1,234.56"),
        (5, "USD", "0.05"),
        (0, "EUR", "0.00"),
        (10_565_319, "JPY", "10,565,319"),
        (1_234_567, "KWD", "1,234.567"),
        (12_345_678_901_234_567_891, "USD", "123,456,789,012,345,678.91"),
    ],
)
def test_amounts_are_formatted_exactly_with_the_currency_minor_unit(
    minor: int, currency: str, text: str
) -> None:
    assert format_minor(minor, currency) == text


def test_ticks_start_at_zero_cover_the_maximum_and_use_round_steps() -> None:
    for maximum in (1, 7, 99, 100, 101, 187_005, 12_345_678_901):
        ticks = nice_ticks(maximum)
        step = ticks[1] - ticks[0]
        assert ticks[0] == 0 and ticks[-1] >= maximum > ticks[-2]
        assert all(b - a == step for a, b in itertools.pairwise(ticks))
        assert re.fullmatch(r"[125]0*", str(step)), step
    assert nice_ticks(0) == [0, 1]


def test_axis_labels_are_major_units() -> None:
    assert axis_label(50_000_000, "USD") == "500,000"
    assert axis_label(150, "USD") == "1.5"
    assert axis_label(2_000, "JPY") == "2,000"


def test_the_svg_has_its_id_title_description_axes_and_a_legend_entry_per_series() -> None:
    root = ET.fromstring(render_svg(chart(SERIES)))
    assert root.tag == f"{SVG}svg" and root.get("id") == "chart-test"
    assert root.get("role") == "img"
    labelled = (root.get("aria-labelledby") or "").split()
    assert labelled == ["chart-test-title", "chart-test-desc"]
    assert root.find(f"{SVG}title").text == "Exposure per buyer (USD)"  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text == "A test chart."  # type: ignore[union-attr]
    axis = root.find(f".//{SVG}g[@class='axis axis-y']")
    assert axis is not None
    assert [t.text for t in axis.iter(f"{SVG}text")][:2] == ["0", "500"]
    legend = root.findall(f".//{SVG}g[@class='legend']/{SVG}g")
    assert [g.find(f"{SVG}title").text for g in legend] == [s.label for s in SERIES]  # type: ignore[union-attr]
    labels = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "point-label"]
    assert labels == ["run 1", "run 2", "run 3"]


def test_one_segment_per_nonzero_value_with_a_tooltip_naming_series_point_and_amount() -> None:
    root = ET.fromstring(render_svg(chart(SERIES)))
    rects = [r for r in root.iter(f"{SVG}rect") if "segment" in (r.get("class") or "")]
    expected = [(s, p, v) for s in SERIES for p, v in zip(("run 1", "run 2", "run 3"), s.values,
                                                          strict=True) if v]
    assert len(rects) == len(expected)
    tips = sorted(r.find(f"{SVG}title").text or "" for r in rects)  # type: ignore[union-attr]
    assert tips == sorted(f"{s.label} — {p}: {format_minor(v, 'USD')} USD" for s, p, v in expected)
    kinds = {r.get("class") for r in rects}
    assert kinds == {"segment segment-bucket", "segment segment-merged",
                     "segment segment-suppressed"}


def test_segment_heights_are_proportional_to_the_amounts() -> None:
    only = (Series("a", (100, 300)), Series("b", (200, 0)))
    root = ET.fromstring(render_svg(chart(only, ("x", "y"))))
    heights = [Decimal(r.get("height") or "0") for r in root.iter(f"{SVG}rect")
               if "segment" in (r.get("class") or "")]
    assert len(heights) == 3
    a_x, b_x, a_y = heights  # drawn point by point: a@x, b@x, a@y
    assert abs(a_x * 2 - b_x) <= Decimal("0.02") and abs(a_x * 3 - a_y) <= Decimal("0.03")
    assert a_x > 0


def test_the_table_holds_the_chart_numbers_and_their_totals() -> None:
    rows = table_rows(render_table(chart(SERIES)))
    assert rows[0] == ["Buyer", "run 1", "run 2", "run 3"]
    body, total = rows[1:-1], rows[-1]
    assert [r[0] for r in body] == [s.label for s in SERIES]
    for row, series in zip(body, SERIES, strict=True):
        assert [minor_of(c) for c in row[1:]] == list(series.values)
    sums = [sum(s.values[i] for s in SERIES) for i in range(3)]
    assert total[0] == "Total" and [minor_of(c) for c in total[1:]] == sums


def test_hostile_labels_are_escaped_in_svg_and_table() -> None:
    evil = Series('<script>alert(1)</script>"&', (5, 5, 5))
    html = render_chart(chart((evil,)))
    assert "<script>" not in html and "&lt;script&gt;" in html
    ET.fromstring(render_svg(chart((evil,))))  # still well-formed XML


def test_a_chart_without_points_says_so() -> None:
    root = ET.fromstring(render_svg(chart((), ())))
    assert any("No exposure" in (t.text or "") for t in root.iter(f"{SVG}text"))
    assert not [r for r in root.iter(f"{SVG}rect") if "segment" in (r.get("class") or "")]


def test_no_inline_style_or_script_in_the_markup() -> None:
    html = str(render_chart(chart(SERIES)))
    assert "style=" not in html and "<script" not in html and "javascript:" not in html


def test_amounts_beyond_28_digits_are_formatted_exactly() -> None:
    """Decimal's default context rounds at 28 significant digits; money must not."""
    from gateway.dashboard.charts import axis_label, format_minor

    huge = 10**30 + 5
    assert format_minor(huge, "USD") == "10,000,000,000,000,000,000,000,000,000.05"
    assert format_minor(-5, "EUR") == "-0.05" and format_minor(1234, "JPY") == "1,234"
    assert axis_label(10**29, "USD") == f"{10**27:,}" and axis_label(150, "USD") == "1.5"
