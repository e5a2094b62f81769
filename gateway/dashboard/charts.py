"""Inline SVG charts for the dashboard: pure functions from numbers to markup.

A :class:`StackedChart` is one stacked bar per point in time (a sync run or a day), one segment
per series (a buyer, a country, the merged remainder, what was suppressed). Amounts are integer
minor units of one currency; they are formatted with integer arithmetic and never pass
through ``float``. Coordinates are computed from those integers with ``Decimal`` too.

Every chart comes with what a screen reader or a careful reader needs: a ``<title>`` and
``<desc>``, a ``<title>`` tooltip on every segment, a legend, and a table with exactly the
numbers the bars are drawn from. Colours are SVG presentation attributes (no ``style``), so the
page works under a Content-Security-Policy without ``'unsafe-inline'``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Literal

from markupsafe import Markup, escape

from gateway.model.currency import MINOR_UNITS

SeriesKind = Literal["bucket", "merged", "suppressed", "other"]

WIDTH: Final = 600
PLOT_HEIGHT: Final = 220
LEFT: Final = 96
RIGHT: Final = 16
TOP: Final = 16
AXIS_LABELS: Final = 76  # room under the plot for rotated point labels
FLAT_LABELS: Final = 32  # ... and for labels written flat (up to ROTATE_AFTER points)
ROTATE_AFTER: Final = 6
LEGEND_ROW: Final = 20
LEGEND_COLUMNS: Final = 2
LABEL_CHARS: Final = 34
PALETTE: Final = (
    "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9",
    "#d55e00", "#332288", "#117733", "#882255", "#44aa99",
)
KIND_FILL: Final = {"merged": "#8c8c8c", "other": "#5f5f5f"}
_TWO_PLACES: Final = Decimal("0.01")


@dataclass(frozen=True)
class Series:
    """One stacked segment across the points: ``values[i]`` minor units at point ``i``.

    ``kind`` tells the bucket of one buyer or country apart from a merged remainder, from
    what the k rule suppressed and from the sum of the smaller series; ``title`` is the full
    name shown in tooltips when ``label`` is shortened.
    """

    label: str
    values: tuple[int, ...]
    kind: SeriesKind = "bucket"
    title: str | None = None


@dataclass(frozen=True)
class StackedChart:
    """Everything one chart shows. ``points`` are the x-axis labels, oldest first."""

    chart_id: str
    title: str
    description: str
    currency: str
    dimension: str  # what a series is: "Buyer", "Country"
    points: tuple[str, ...]
    series: tuple[Series, ...]

    def totals(self) -> tuple[int, ...]:
        """The height of each bar: the sum of every series at that point."""
        return tuple(sum(s.values[i] for s in self.series) for i in range(len(self.points)))


def format_minor(minor: int, currency: str) -> str:
    """``123456, "USD"`` -> ``"1,234.56"``: exact, grouped, with the currency's minor digits."""
    digits = MINOR_UNITS.get(currency, 2)
    sign = "-" if minor < 0 else ""
    whole, fraction = divmod(abs(minor), 10**digits)
    # Integer arithmetic: Decimal contexts round beyond 28 significant digits.
    return f"{sign}{whole:,}" + (f".{fraction:0{digits}d}" if digits else "")


def format_money(minor: int, currency: str) -> str:
    """``format_minor`` followed by the currency code."""
    return f"{format_minor(minor, currency)} {currency}"


def axis_label(minor: int, currency: str) -> str:
    """A tick label: grouped major units, decimals only when the tick is not whole."""
    digits = MINOR_UNITS.get(currency, 2)
    if minor % 10**digits == 0:
        return f"{minor // 10**digits:,}"
    return format_minor(minor, currency).rstrip("0")


def nice_ticks(maximum: int, count: int = 4) -> list[int]:
    """Tick values from 0 to at least ``maximum``, spaced by 1, 2 or 5 times a power of ten."""
    if maximum <= 0:
        return [0, 1]
    raw = -(-maximum // count)
    magnitude = 10 ** (len(str(raw)) - 1)
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    top = step * -(-maximum // step)
    return list(range(0, top + 1, step))


def _num(value: Decimal | int) -> str:
    """An SVG coordinate: at most two decimals, no exponent, no trailing zeros."""
    text = format(Decimal(value).quantize(_TWO_PLACES), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _label_room(chart: StackedChart) -> int:
    return AXIS_LABELS if len(chart.points) > ROTATE_AFTER else FLAT_LABELS


def _fill(chart: StackedChart, index: int, series: Series) -> str:
    if series.kind == "suppressed":
        return f"url(#{chart.chart_id}-hatch)"
    return KIND_FILL.get(series.kind, PALETTE[index % len(PALETTE)])


def _scale(value: int, top: int) -> Decimal:
    return Decimal(PLOT_HEIGHT) * Decimal(value) / Decimal(top)


def _axes(chart: StackedChart, ticks: Sequence[int]) -> list[str]:
    top, bottom = ticks[-1], TOP + PLOT_HEIGHT
    out = ['<g class="axis axis-y" aria-hidden="true">']
    for tick in ticks:
        y = _num(bottom - _scale(tick, top))
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y}" y2="{y}" stroke="#d0d0d0"/>'
            f'<text x="{LEFT - 8}" y="{y}" text-anchor="end" dominant-baseline="middle">'
            f"{escape(axis_label(tick, chart.currency))}</text>"
        )
    out.append(
        f'<text x="12" y="{TOP + PLOT_HEIGHT // 2}" text-anchor="middle" '
        f'transform="rotate(-90 12 {TOP + PLOT_HEIGHT // 2})">{escape(chart.currency)}</text>'
    )
    out.append(
        f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{bottom}" stroke="#333333"/>'
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{bottom}" y2="{bottom}" stroke="#333333"/>'
        "</g>"
    )
    return out


def _bars(chart: StackedChart, top: int) -> list[str]:
    n = len(chart.points)
    band = Decimal(WIDTH - LEFT - RIGHT) / Decimal(n)
    bar = min(band * Decimal("0.6"), Decimal(64))
    bottom = Decimal(TOP + PLOT_HEIGHT)
    out = ['<g class="bars">']
    for i, point in enumerate(chart.points):
        x = Decimal(LEFT) + band * i + (band - bar) / 2
        base = Decimal(0)
        for index, series in enumerate(chart.series):
            value = series.values[i]
            if value <= 0:
                continue
            height = _scale(value, top)
            tip = f"{series.title or series.label} — {point}: {format_money(value, chart.currency)}"
            out.append(
                f'<rect class="segment segment-{series.kind}" x="{_num(x)}" '
                f'y="{_num(bottom - base - height)}" width="{_num(bar)}" height="{_num(height)}" '
                f'fill="{_fill(chart, index, series)}" stroke="#ffffff" stroke-width="0.5">'
                f"<title>{escape(tip)}</title></rect>"
            )
            base += height
        cx, ly = _num(x + bar / 2), TOP + PLOT_HEIGHT + 14
        turn = f' transform="rotate(-40 {cx} {ly})"' if n > ROTATE_AFTER else ""
        anchor = "end" if n > ROTATE_AFTER else "middle"
        out.append(
            f'<text class="point-label" x="{cx}" y="{ly}" text-anchor="{anchor}"{turn}>'
            f"{escape(point)}</text>"
        )
    out.append("</g>")
    return out


def _legend(chart: StackedChart) -> list[str]:
    y0 = TOP + PLOT_HEIGHT + _label_room(chart)
    column = (WIDTH - LEFT) // LEGEND_COLUMNS
    out = ['<g class="legend">']
    for index, series in enumerate(chart.series):
        row, col = divmod(index, LEGEND_COLUMNS)
        x, y = LEFT + col * column, y0 + row * LEGEND_ROW
        out.append(
            f'<g class="legend-item legend-{series.kind}">'
            f"<title>{escape(series.title or series.label)}</title>"
            f'<rect x="{x}" y="{y}" width="12" height="12" fill="{_fill(chart, index, series)}" '
            f'stroke="#333333" stroke-width="0.5"/>'
            f'<text x="{x + 18}" y="{y + 10}">{escape(_short(series.label))}</text></g>'
        )
    out.append("</g>")
    return out


def _defs(chart: StackedChart) -> str:
    return (
        f'<defs><pattern id="{chart.chart_id}-hatch" width="6" height="6" '
        'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect width="6" height="6" fill="#f2f2f2"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#6b6b6b" stroke-width="2"/></pattern></defs>'
    )


def render_svg(chart: StackedChart) -> Markup:
    """The chart as an inline ``<svg>`` element whose id is ``chart.chart_id``."""
    rows = -(-len(chart.series) // LEGEND_COLUMNS)
    height = TOP + PLOT_HEIGHT + _label_room(chart) + rows * LEGEND_ROW + 8
    cid = escape(chart.chart_id)
    parts = [
        f'<svg id="{cid}" class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'aria-labelledby="{cid}-title {cid}-desc" font-size="12" fill="#222222">',
        f'<title id="{cid}-title">{escape(chart.title)}</title>',
        f'<desc id="{cid}-desc">{escape(chart.description)}</desc>',
        _defs(chart),
    ]
    if chart.points:
        ticks = nice_ticks(max(chart.totals(), default=0))
        parts += _axes(chart, ticks)
        parts += _bars(chart, ticks[-1])
        parts += _legend(chart)
    else:
        parts.append(f'<text x="{LEFT}" y="{TOP + 20}">No exposure recorded yet.</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text part above is escaped


def render_table(chart: StackedChart) -> Markup:
    """The numbers behind the chart: one row per series, one column per point, and totals."""
    cur = escape(chart.currency)
    head = "".join(f'<th scope="col">{escape(p)}</th>' for p in chart.points)
    parts = [
        f'<table class="chart-data" id="{escape(chart.chart_id)}-table">',
        f"<caption>{escape(chart.title)}: the numbers behind the chart"
        f"{', in ' + cur if chart.currency else ''}</caption>",
        f'<thead><tr><th scope="col">{escape(chart.dimension)}</th>{head}</tr></thead><tbody>',
    ]
    for series in chart.series:
        cells = "".join(
            f'<td class="amount">{escape(format_minor(v, chart.currency))}</td>'
            for v in series.values
        )
        name = escape(series.title or series.label)
        parts.append(
            f'<tr class="series-row series-{series.kind}"><th scope="row">{name}</th>{cells}</tr>'
        )
    totals = "".join(
        f'<td class="amount">{escape(format_minor(v, chart.currency))}</td>'
        for v in chart.totals()
    )
    parts.append(f'</tbody><tfoot><tr><th scope="row">Total</th>{totals}</tr></tfoot></table>')
    return Markup("".join(parts))  # noqa: S704 - every text part above is escaped


def render_chart(chart: StackedChart) -> Markup:
    """The SVG and, under it, the table with the same numbers, in one ``<figure>``."""
    return Markup(  # noqa: S704 - both parts are built from escaped text
        f'<figure class="chart-figure">{render_svg(chart)}{render_table(chart)}</figure>'
    )
