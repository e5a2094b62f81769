"""The auditor's bundle: the ledger with the submissions and receipts it records, offline.

``ecg.ledger-bundle/1`` is a JSON object ``{"format", "entries", "submissions", "receipts"}``:
``entries`` the ledger entries in order, ``submissions`` submission id → compact JWS,
``receipts`` receipt id → compact JWS. Verification checks the chain, then binds each entry to
its evidence: the SHA-256 of the submission's signed payload, the SHA-256 of the receipt's bytes,
and the receipt's own claims (submission id, payload hash, receipt id and the ledger head it
countersigned). With JWKS given, signatures are checked too. Pure: no IO.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from gateway.canonical import sha256_hex
from gateway.crypto.strict_json import loads_strict
from gateway.errors import VerificationError
from gateway.ledger.chain import LedgerVerdict, first_of, verify_chain
from gateway.ledger.entry import LedgerAnchor, LedgerEntry, receipt_digest
from gateway.sign.jws import RECEIPT_TYP, SUBMISSION_TYP
from gateway.verify.compact import parse_compact
from gateway.verify.core import verify_signature

BUNDLE_FORMAT = "ecg.ledger-bundle/1"
_BUNDLE_KEYS = frozenset({"format", "entries", "submissions", "receipts"})
_ENTRY_KEYS = frozenset(LedgerEntry.__dataclass_fields__)


def export_bundle(
    entries: Sequence[LedgerEntry],
    submissions: Mapping[str, str],
    receipts: Mapping[str, str],
) -> dict[str, Any]:
    """A JSON-ready bundle of ``entries`` with the submissions and receipts they name."""
    return {
        "format": BUNDLE_FORMAT,
        "entries": [entry.to_json() for entry in entries],
        "submissions": {
            e.submission_id: submissions[e.submission_id]
            for e in entries if e.submission_id in submissions
        },
        "receipts": {
            e.receipt_id: receipts[e.receipt_id] for e in entries if e.receipt_id in receipts
        },
    }


def entry_from_json(value: Any) -> LedgerEntry:
    """A :class:`LedgerEntry` from its JSON form; :class:`VerificationError` on a wrong shape."""
    if not isinstance(value, dict) or set(value) != _ENTRY_KEYS:
        raise VerificationError("not an object with exactly the ledger entry fields")
    anchor = value["ledger_anchor"]
    if anchor is not None:
        if not isinstance(anchor, dict) or set(anchor) != {"seq", "hash"}:
            raise VerificationError("ledger_anchor is neither null nor {seq, hash}")
        anchor = LedgerAnchor(anchor["seq"], anchor["hash"])
    return LedgerEntry(**{**value, "ledger_anchor": anchor})


def _payload(jws: str, typ: str, jwks: Mapping[str, Any] | None) -> bytes:
    if jwks is not None:
        return verify_signature(jws, jwks, typ=typ).payload_bytes
    return parse_compact(jws, typ=typ).payload_bytes


def _receipt_problem(entry: LedgerEntry, receipt: str, jwks: Mapping[str, Any] | None) -> str:
    if receipt_digest(receipt) != entry.receipt_sha256:
        return "receipt_sha256 does not match the receipt in the bundle"
    claims = loads_strict(_payload(receipt, RECEIPT_TYP, jwks), what="receipt payload",
                          error=VerificationError)
    if not isinstance(claims, dict):
        return "the receipt payload is not a JSON object"
    head = claims.get("ledger")
    expected = None if entry.ledger_anchor is None else entry.ledger_anchor._asdict()
    checks = (
        (claims.get("jti") == entry.receipt_id, "receipt_id"),
        (claims.get("submission_id") == entry.submission_id, "submission_id"),
        (claims.get("payload_sha256") == entry.payload_sha256, "payload_sha256"),
        (head == expected, "ledger_anchor"),
    )
    for ok, name in checks:
        if not ok:
            return f"{name} differs from the receipt's claim"
    return ""


def _evidence_problem(
    entry: LedgerEntry,
    bundle: Mapping[str, Any],
    gateway_jwks: Mapping[str, Any] | None,
    receipt_jwks: Mapping[str, Any] | None,
) -> str:
    submission = bundle["submissions"].get(entry.submission_id)
    receipt = bundle["receipts"].get(entry.receipt_id)
    if not isinstance(submission, str) or not isinstance(receipt, str):
        return "its submission or receipt is missing from the bundle"
    try:
        if not submission.isascii() or not receipt.isascii():
            return "its submission or receipt is not a compact JWS"
        if sha256_hex(_payload(submission, SUBMISSION_TYP, gateway_jwks)) != entry.payload_sha256:
            return "payload_sha256 does not match the submission's signed payload"
        return _receipt_problem(entry, receipt, receipt_jwks)
    except VerificationError as exc:
        return f"its evidence does not verify: {exc}"


def _entries(raw: list[Any]) -> tuple[list[LedgerEntry], LedgerVerdict | None]:
    entries: list[LedgerEntry] = []
    for position, value in enumerate(raw):
        try:
            entries.append(entry_from_json(value))
        except (VerificationError, TypeError) as exc:
            return entries, LedgerVerdict.bad(position, f"malformed: {exc}")
    return entries, None


def verify_bundle(
    bundle: Any,
    *,
    gateway_jwks: Mapping[str, Any] | None = None,
    receipt_jwks: Mapping[str, Any] | None = None,
    anchors: Iterable[tuple[int, str]] = (),
) -> LedgerVerdict:
    """The chain (with ``anchors``) and every entry's evidence; names the first bad entry.

    A document that is not a bundle at all gives ``first_bad_seq=None``.
    """
    if not isinstance(bundle, dict) or set(bundle) != _BUNDLE_KEYS:
        return LedgerVerdict(False, None, "not an ecg.ledger-bundle/1 document")
    if bundle["format"] != BUNDLE_FORMAT or not isinstance(bundle["entries"], list) or not all(
        isinstance(bundle[k], dict) for k in ("submissions", "receipts")
    ):
        return LedgerVerdict(False, None, "not an ecg.ledger-bundle/1 document")
    entries, malformed = _entries(bundle["entries"])
    chain = verify_chain(entries, anchors=anchors)
    evidence = None
    for entry in entries[: len(entries) if chain.ok else chain.first_bad_seq]:
        problem = _evidence_problem(entry, bundle, gateway_jwks, receipt_jwks)
        if problem:
            evidence = LedgerVerdict.bad(entry.seq, problem)
            break
    return first_of(chain, evidence, malformed) or LedgerVerdict.good(len(entries))
