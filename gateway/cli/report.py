"""Rendering of a sync's final account for people (rich) and machines (JSON)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from gateway.pipeline import SyncResult


def account_table(result: SyncResult) -> Table:
    """read / attached / withheld by reason / quarantined / pending per source, with a total row."""
    table = Table(title=f"Account of {result.run_id}", show_lines=False)
    for column in ("source", "read", "attached", "withheld", "quarantined", "pending"):
        table.add_column(column, justify="left" if column == "source" else "right")
    rows = [*result.sources.items(), ("total", result.totals())]
    for name, acc in rows:
        withheld = sum(acc.withheld.values())
        table.add_row(
            name,
            str(acc.read),
            str(acc.attached),
            str(withheld),
            str(acc.quarantined),
            str(acc.pending),
            style="bold" if name == "total" else None,
        )
    return table


def print_account(console: Console, result: SyncResult) -> None:
    console.print(account_table(result))
    total = result.totals()
    for reason, count in sorted(total.withheld.items()):
        console.print(f"  withheld [cyan]{reason}[/]: {count}")
    console.print(
        f"submissions written: {len(result.submissions)} "
        f"(already submitted earlier: {len(result.already_submitted)}), "
        f"exposure buckets: {result.buckets}, "
        f"records suppressed below k: {result.suppressed_records}"
    )
    console.print(f"delivered: {result.delivered}, failed: {len(result.failed)}")
    for sub_id, why in result.failed.items():
        console.print(f"  [red]failed[/] {sub_id}: {escape(why)}", highlight=False, soft_wrap=True)


def result_json(result: SyncResult) -> dict[str, Any]:
    return {
        "run_id": result.run_id,
        "sources": {name: acc.as_dict() for name, acc in result.sources.items()},
        "total": result.totals().as_dict(),
        "submissions": result.submissions,
        "already_submitted": result.already_submitted,
        "buckets": result.buckets,
        "suppressed_records": result.suppressed_records,
        "delivered": result.delivered,
        "failed": result.failed,
    }
