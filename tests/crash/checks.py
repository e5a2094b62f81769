"""What a crash test checks after each recovery, and where each kill landed.

Identity of a record at the insurer: the attachment member ``invoice_number``, which the default
policy pseudonymises (domain ``invoice``). The pseudonym is a deterministic keyed token, so the
test computes each invoice's token with the gateway's own pseudonymisation key and maps tokens
back to invoices. A version is the attachment member ``revision`` (absent means version 1).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.crypto import PseudonymKey
from gateway.transform import pseudonym

from .export import Export, Intent
from .stores import GatewayView, InsurerView

IDENTITY_MEMBER = "invoice_number"
IDENTITY_DOMAIN = "invoice"
REVISION_MEMBER = "revision"
ACCOUNT_PARTS = ("attached", "quarantined", "pending", "unchanged")

PHASES = (
    "startup",  # no run begun: imports, configuration, keys, policy compilation
    "ingest-policy",  # run begun, nothing in the outbox yet
    "outbox-write",  # submissions committed, run not finished
    "pre-delivery",  # run finished, none of its submissions delivered yet
    "delivery",  # some of the run's submissions delivered, some still pending
    "receipt",  # the insurer stored a submission the gateway has not closed
    "done",  # everything closed: the kill came after the work (or the process had exited)
)


def classify(before: GatewayView, after: GatewayView, at_insurer: set[str]) -> str:
    """The phase a kill landed in, from the store before the sync started and after the kill."""
    new_runs = [r for r in after.runs if r.run_id not in before.run_ids()]
    if not new_runs:
        return "startup"
    run = new_runs[-1]
    open_ids = after.with_status("pending", "failed")
    if open_ids & at_insurer:
        return "receipt"
    mine = {sid for sid, (run_id, _) in after.submissions.items() if run_id == run.run_id}
    if run.finished_at is None:
        return "outbox-write" if mine else "ingest-policy"
    if not (mine & open_ids):
        return "done"
    return "delivery" if mine - open_ids else "pre-delivery"


@dataclass
class Findings:
    """The failures found after one recovery (all zero when the gateway kept its promise)."""

    lost: int = 0
    lost_invoices: list[str] = field(default_factory=list)
    duplicates: int = 0
    version_errors: int = 0
    ledger_failures: int = 0
    account_failures: int = 0
    outbox_left: int = 0
    recovery_failures: int = 0
    notes: list[str] = field(default_factory=list)

    def failed(self) -> bool:
        return any(
            (self.lost, self.duplicates, self.version_errors, self.ledger_failures,
             self.account_failures, self.outbox_left, self.recovery_failures)
        )


def tokens(key: PseudonymKey, invoices: Iterable[str]) -> dict[str, str]:
    """Identity value at the insurer -> invoice number (token, and the plain number too, in case
    a policy keeps it)."""
    out: dict[str, str] = {}
    for invoice in invoices:
        out[pseudonym(key, IDENTITY_DOMAIN, invoice)] = invoice
        out[invoice] = invoice
    return out


def revision_of(attachment: Mapping[str, Any]) -> int:
    value = attachment.get(REVISION_MEMBER, 1)
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


def _held(
    insurer: InsurerView, identity: Mapping[str, str], findings: Findings
) -> dict[str, dict[int, set[str]]]:
    """invoice -> revision -> maturity dates attached at the insurer; counts duplicates."""
    seen: Counter[tuple[str, int]] = Counter()
    held: dict[str, dict[int, set[str]]] = {}
    strangers = 0
    for _, attachment in insurer.attachments():
        invoice = identity.get(str(attachment.get(IDENTITY_MEMBER)))
        if invoice is None:
            strangers += 1
            continue
        revision = revision_of(attachment)
        seen[(invoice, revision)] += 1
        dates = held.setdefault(invoice, {}).setdefault(revision, set())
        dates.add(str(attachment.get("maturity_date")))
    duplicates = sum(n - 1 for n in seen.values() if n > 1)
    findings.duplicates += duplicates
    if duplicates:
        findings.notes.append(f"{duplicates} duplicate attachments at the insurer")
    if strangers:
        findings.notes.append(f"{strangers} attachments at the insurer name no known invoice")
    return held


def check_insurer(
    export: Export, insurer: InsurerView, gateway: GatewayView, source: str,
    identity: Mapping[str, str], findings: Findings,
) -> None:
    """(a) nothing lost, (b) no duplicate version, and each row's latest version attached under
    the revision the gateway should have given it."""
    held = _held(insurer, identity, findings)
    # Ingest names a quarantined row by the file it came from, the account by the source's
    # name: accept either.
    quarantined = gateway.quarantined_lines.get(source, set()) | gateway.quarantined_lines.get(
        export.path.name, set()
    )
    unaccounted = []
    for index, row in enumerate(export.rows):
        versions = held.get(row.invoice, {})
        due = row.values["due_date"]
        if any(due in dates for dates in versions.values()):
            findings.version_errors += due not in versions.get(row.revisions, set())
        elif export.line_of(index) not in quarantined:
            unaccounted.append(row.invoice)
    if findings.version_errors:
        findings.notes.append(f"{findings.version_errors} rows arrived under the wrong revision")
    lost = len(unaccounted) - _withheld(gateway.last_account(source))
    if lost > 0:  # name the likeliest culprits: rows not meant to be withheld
        findings.lost += lost
        meant = {r.invoice for r in export.rows if r.intent is not Intent.WITHHOLD}
        findings.lost_invoices.extend([i for i in unaccounted if i in meant][:20])
        findings.notes.append(f"{lost} records lost")


def _withheld(account: Mapping[str, Any] | None) -> int:
    withheld = (account or {}).get("withheld", {})
    return sum(withheld.values()) if isinstance(withheld, dict) else int(withheld or 0)


def check_account(gateway: GatewayView, source: str, rows: int, findings: Findings) -> None:
    """(d) the source's account in the last run that read it balances, and covers every row."""
    account = gateway.last_account(source)
    if account is None:
        findings.account_failures += 1
        findings.notes.append(f"source {source}: no finished run has an account for it")
        return
    parts = _withheld(account) + sum(int(account.get(part, 0)) for part in ACCOUNT_PARTS)
    if int(account.get("read", -1)) != parts:
        findings.account_failures += 1
        findings.notes.append(f"source {source}: account does not balance")
    elif int(account["read"]) != rows:
        findings.account_failures += 1
        findings.notes.append(f"source {source}: read {account['read']} of {rows} rows")


def check_outbox(gateway: GatewayView, findings: Findings) -> None:
    """(e) nothing left pending, failed or dead."""
    left = gateway.with_status("pending", "failed", "dead")
    findings.outbox_left += len(left)
    if left:
        findings.notes.append(f"{len(left)} outbox entries not delivered")
