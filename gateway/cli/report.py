"""Rendering of a sync's final account for people (rich) and machines (JSON)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from gateway.account import ReconcileSummary, SyncResult


def account_table(result: SyncResult) -> Table:
    """read / attached / withheld / quarantined / pending / unchanged per source, and a total."""
    table = Table(title=f"Account of {result.run_id}", show_lines=False)
    columns = ("source", "read", "attached", "withheld", "quarantined", "pending", "unchanged")
    for column in columns:
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
            str(acc.unchanged),
            style="bold" if name == "total" else None,
        )
    return table


def reconcile_table(summary: ReconcileSummary) -> Table:
    """matched / auto-attached from customs / pending / conflicting / deadline at risk."""
    c = summary.counts
    table = Table(title=f"Reconciliation with customs as of {summary.as_of.isoformat()}")
    table.add_column("outcome")
    table.add_column("count", justify="right")
    table.add_column("what it means")
    rows = [
        ("matched", c.get("matched", 0), "ERP invoice and export declaration agree; attached"),
        (
            "auto-attached from customs",
            c.get("auto_attached", 0),
            "cleared exports the ERP feed never notified; attached, origin customs",
        ),
        (
            "already attached",
            c.get("already_attached", 0),
            "declarations whose shipment an earlier sync attached; not sent again",
        ),
        ("pending", c.get("erp_only", 0), f"notified, not cleared yet ({c.get('stale', 0)} stale)"),
        ("not shipped", c.get("not_shipped", 0), "declared but not loaded yet; pending"),
        ("conflicting", c.get("conflict", 0), "held for review, not attached"),
        ("deadline at risk", c.get("deadline_at_risk", 0), "not notified and the deadline is near"),
        ("deadline missed", c.get("deadline_missed", 0), "the notification deadline has passed"),
        (
            "continuing-export warnings",
            c.get("continuing_export_warnings", 0),
            "shipment to a buyer with an invoice overdue beyond the limit (local only)",
        ),
    ]
    for name, count, meaning in rows:
        style = (
            "bold red"
            if count and name in ("conflicting", "deadline at risk", "deadline missed")
            else None
        )
        table.add_row(name, str(count), meaning, style=style)
    return table


def print_reconciliation(console: Console, summary: ReconcileSummary) -> None:
    console.print(reconcile_table(summary))
    for item in summary.auto_attached:
        console.print(
            f"  [green]auto-attached[/] declaration {item['declaration_number']} "
            f"({escape(item['source_ref'])}), shipped {item['shipment_date']}: no ERP invoice"
        )
    for item in summary.conflicts:
        refs = ", ".join([*item["erp"], *item["declarations"]])
        console.print(f"  [red]conflict[/] {item['reason']}: {escape(refs)}")
    for item in summary.deadlines:
        console.print(
            f"  [yellow]deadline {item['state']}[/] {escape(item['ref'])}: shipped "
            f"{item['shipment_date']}, deadline {item['deadline']} "
            f"({item['business_days_left']} business days left)"
        )
    for item in summary.guard:
        overdue = len(item["overdue_invoices"])
        console.print(
            f"  [yellow]continuing export[/] {escape(item['ref'])} shipped "
            f"{item['shipment_date']}: {overdue} invoice(s) up to "
            f"{item['max_days_overdue']} days overdue"
        )


def print_account(console: Console, result: SyncResult) -> None:
    if result.reconciliation is not None:
        print_reconciliation(console, result.reconciliation)
    console.print(account_table(result))
    for name, run_id in sorted(result.skipped.items()):
        console.print(
            f"  source [cyan]{escape(name)}[/]: skipped, same file and policy as {run_id}"
        )
    total = result.totals()
    for reason, count in sorted(total.withheld.items()):
        console.print(f"  withheld [cyan]{reason}[/]: {count}")
    console.print(
        f"submissions written: {len(result.submissions)} "
        f"(already submitted earlier: {len(result.already_submitted)}), "
        f"exposure buckets: {result.buckets}, "
        f"records suppressed below k: {result.suppressed_records}"
    )
    console.print(
        f"delivered: {result.delivered}, failed: {len(result.failed)}, "
        f"dead-lettered: {len(result.dead)}"
    )
    for label, entries in (("failed", result.failed), ("dead-lettered", result.dead)):
        for sub_id, why in entries.items():
            console.print(
                f"  [red]{label}[/] {sub_id}: {escape(why)}", highlight=False, soft_wrap=True
            )
    if result.failed:
        console.print("  failed entries are retried by the next sync (see 'gateway outbox list')")
    if result.breaker_open_until is not None:
        console.print(
            "  [yellow]circuit breaker open[/]: the insurer kept failing; nothing is sent until "
            f"{result.breaker_open_until.isoformat(timespec='seconds')}"
        )


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
        "dead": result.dead,
        "skipped": result.skipped,
        "breaker_open_until": (
            result.breaker_open_until.isoformat() if result.breaker_open_until else None
        ),
        "reconciliation": result.reconciliation.as_dict() if result.reconciliation else None,
    }
