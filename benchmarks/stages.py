"""One benchmark stage per process: ``python -m benchmarks.stages STAGE --manifest FILE``.

``benchmarks/suite.py`` starts one process per stage, so each process's peak resident memory
belongs to its stage alone. A stage has three parts:

1. *setup*, not timed: read the configuration and load the stage's inputs (the export files,
   or the artefacts the ``prepare`` process pickled into the suite's own temporary directory:
   reconciled records, their policy inputs, the decisions and the transformed attachments);
2. *the timed region*: the stage's public functions over all of its inputs. The peak-RSS mark
   is reset just before it (``/proc/self/clear_refs``), so ``peak_rss_mib`` is the peak of the
   timed region and ``rss_growth_mib`` that peak minus the resident size at its start;
3. *after*, not timed: correctness checks, and the naive baselines (per-record policy query,
   per-record textbook ``phe`` encryption) on a sample of the stage's inputs.

The process prints one JSON object as its last line on stdout. ``children_peak_rss_mib`` is the
largest child process it waited for (helpers run at import time included; the Paillier
obfuscator worker when the stage encrypts): it is not part of the stage's own peak.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import inspect
import json
import pickle
import resource
import secrets
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from gateway.account import ReconcileSummary, SourceAccount
from gateway.aggregate import ANY, AggregationError, Aggregator, BucketKey, bucket_key
from gateway.booking import Booking
from gateway.canonical import canonical_json, sha256_hex
from gateway.cli.sync import run_sync
from gateway.crypto import encrypt_bucket_totals
from gateway.hub.common_id import hub_buyer_id
from gateway.ingest import Quarantined
from gateway.ingest.customs import DeclarationStatus, apply_statuses
from gateway.keys import load_paillier_private_key_file
from gateway.pipeline import SCHEMA, Pipeline, Runtime
from gateway.policy.decision import Outcome
from gateway.reconcile import reconcile
from gateway.runtime import (
    build_runtime,
    in_force_policy,
    insurer_client,
    open_customs,
    open_source,
    policy_engine,
)
from gateway.settings import Settings, load_settings
from gateway.sign import sign_submission
from gateway.store import SqliteStore
from gateway.transform import OperatorError, transform
from gateway.verify import verify_submission
from gateway.versions import VersionTracker

Manifest = dict[str, Any]


@dataclass
class Timed:
    """What a timed region did: ``seconds`` only when it timed itself (excluding some work)."""

    records: int
    seconds: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Stage:
    setup: Callable[[Manifest], Any]
    run: Callable[[Any], Timed]
    after: Callable[[Manifest, Any, Timed], dict[str, Any]] | None = None


class Watch:
    """A stopwatch that runs only inside ``with watch:`` blocks."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __enter__(self) -> None:
        self._start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.seconds += time.perf_counter() - self._start


# -- memory and the measuring frame ----------------------------------------------------------
def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return _maxrss_mib()


def _reset_peak() -> bool:
    """Reset the peak-RSS mark to the current resident size (Linux 4.0 and later)."""
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
    except OSError:
        return False
    return True


def measure(stage: Stage, manifest: Manifest) -> dict[str, Any]:
    """Set up, time and check one stage; its figures as a JSON-ready dict."""
    state = stage.setup(manifest)
    gc.collect()
    setup_peak = _maxrss_mib()
    reset = _reset_peak()
    base = _rss_mib()
    started = time.perf_counter()
    timed = stage.run(state)
    elapsed = time.perf_counter() - started
    # The reset mark is taken a moment before ``base`` is read: a few KiB allocated in between
    # may put ``base`` above the mark, and the peak is at least what was resident.
    peak = max(_maxrss_mib(), base)
    seconds = timed.seconds if timed.seconds is not None else elapsed
    growth = max(0.0, peak - base)
    out: dict[str, Any] = {
        "records": timed.records,
        "seconds": seconds,
        "wall_seconds": elapsed,
        "records_per_s": timed.records / seconds if seconds > 0 else None,
        "peak_rss_mib": peak,
        "rss_after_setup_mib": base,
        "setup_peak_rss_mib": setup_peak,
        "peak_reset": reset,
        "rss_growth_mib": growth,
        "rss_growth_mib_per_m": growth / timed.records * 1e6 if timed.records else None,
        "children_peak_rss_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "extra": timed.extra,
        "checks": {},
    }
    if stage.after is not None:
        more = stage.after(manifest, state, timed)
        out["checks"].update(more.pop("checks", {}))
        out.update(more)
    return out


# -- shared setup ----------------------------------------------------------------------------
def _settings(manifest: Manifest, name: str) -> Settings:
    return load_settings(Path(manifest["configs"][name]))


def _load(manifest: Manifest, name: str) -> Any:
    with (Path(manifest["artefacts"]) / f"{name}.pkl").open("rb") as handle:
        return pickle.load(handle)  # noqa: S301 - written by the suite's own prepare process


def _dump(manifest: Manifest, name: str, value: Any) -> None:
    with (Path(manifest["artefacts"]) / f"{name}.pkl").open("wb") as handle:
        pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)


def _batches(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _sources(settings: Settings) -> Iterator[tuple[str, bool, Iterable[Any]]]:
    """(name, is customs, items) of every configured source, opened as ``gateway sync`` does."""
    for source in settings.sources:
        yield source.name, False, open_source(source, settings)
    for name, items in open_customs(settings).items():
        yield name, True, items


@dataclass
class Ingested:
    erp: list[Any] = field(default_factory=list)
    erp_accounts: dict[int, SourceAccount] = field(default_factory=dict)
    declarations: list[Any] = field(default_factory=list)
    decl_accounts: dict[str, SourceAccount] = field(default_factory=dict)
    source_names: dict[str, str] = field(default_factory=dict)


def _ingest_all(settings: Settings) -> Ingested:
    """Every good record and declaration, with the accounts the pipeline would keep."""
    out, statuses = Ingested(), []
    for name, customs, items in _sources(settings):
        account = SourceAccount()
        for item in items:
            if isinstance(item, Quarantined):
                continue
            out.source_names[item.source_ref.rpartition(":")[0]] = name
            if isinstance(item, DeclarationStatus):
                statuses.append(item)
            elif customs:
                out.declarations.append(item)
                out.decl_accounts[item.source_ref] = account
            else:
                out.erp.append(item)
                out.erp_accounts[id(item)] = account
    if statuses:
        out.declarations = list(apply_statuses(out.declarations, statuses))
    return out


# -- ingest, reconcile, and the untimed prepare step -----------------------------------------
def ingest_run(settings: Settings) -> Timed:
    counts, bad = {}, 0
    for name, _, items in _sources(settings):
        n = 0
        for item in items:
            n += 1
            bad += isinstance(item, Quarantined)
        counts[name] = n
    return Timed(sum(counts.values()), extra={"items": counts, "quarantined": bad})


def ingest_after(manifest: Manifest, _: Any, timed: Timed) -> dict[str, Any]:
    exp, items = manifest["expected"], timed.extra["items"]
    return {"checks": {
        "ingest_erp_rows_as_generated": items.get("erp") == exp["erp_rows"],
        "ingest_customs_rows_as_generated": items.get("customs") == exp["customs_rows"],
        "ingest_nothing_quarantined": timed.extra["quarantined"] == 0,
    }}


@dataclass
class ReconcileState:
    manifest: Manifest
    runtime: Runtime
    ingested: Ingested
    as_of: date
    outcome: Any = None


def reconcile_setup(manifest: Manifest) -> ReconcileState:
    settings = _settings(manifest, "files")
    return ReconcileState(manifest, build_runtime(settings), _ingest_all(settings),
                          date.fromisoformat(manifest["as_of"]))


def reconcile_run(state: ReconcileState) -> Timed:
    erp, decls = state.ingested.erp, state.ingested.declarations
    assert state.runtime.reconcile is not None
    state.outcome = reconcile(erp, decls, state.runtime.reconcile.config, as_of=state.as_of)
    return Timed(len(erp) + len(decls), extra={"erp": len(erp), "declarations": len(decls)})


def unlinked_pairs(expected: Manifest, erp_only: int, customs_only: int) -> int | None:
    """How many of the generator's ERP-only invoices reconciliation paired with one of its
    customs-only declarations (same buyer, currency and country, dates and amounts within the
    tolerances: a fuzzy match of two shipments the generator did not link); ``None`` when the
    counts do not conserve (an ERP-only or customs-only shipment lost or invented)."""
    pairs = expected["erp_only"] - erp_only
    return pairs if pairs == expected["customs_only"] - customs_only and pairs >= 0 else None


def reconcile_after(manifest: Manifest, state: ReconcileState, _: Timed) -> dict[str, Any]:
    exp = manifest["expected"]
    counts = {k.value: n for k, n in state.outcome.counts().items()}
    pairs = unlinked_pairs(exp, counts["erp_only"], counts["customs_only"])
    both = exp["shipments"] - exp["erp_only"] - exp["customs_only"]
    return {"reconcile_counts": counts, "fuzzy_pairs_of_unlinked_shipments": pairs, "checks": {
        "reconcile_counts_conserve_generated_shipments": pairs is not None
        and counts["matched"] == both + pairs,
        "reconcile_fuzzy_pairs_under_0.1_percent": pairs is not None
        and pairs * 1000 <= exp["shipments"],
        "reconcile_no_conflicts": counts["conflict"] == 0,
    }}


def prepare_run(state: ReconcileState) -> Timed:
    """The pipeline up to the outbox, once, untimed for the table: the later stages' inputs."""
    reconcile_run(state)
    rt, ing = state.runtime, state.ingested
    assert rt.reconcile is not None
    booking = Booking(rt.reconcile, ReconcileSummary(as_of=state.as_of))
    booking.route_all(state.outcome, ing.erp_accounts, ing.decl_accounts)
    extra = booking.guard([])
    records = [r for r, _ in booking.attachable]
    inputs = [r.policy_input() for r in records]
    for inp in inputs:
        inp.update(extra.get(inp["source_ref"], {}))
    decisions = rt.engine.decide(inputs)
    dims = tuple(rt.engine.settings().bucket)
    index, attachments, buckets, exposures = [], [], [], []
    for i, (inp, decision) in enumerate(zip(inputs, decisions, strict=True)):
        if decision.outcome is not Outcome.ATTACH:
            continue
        try:
            out = transform(inp, decision, rt.operators)
            key = bucket_key(out.attachment, dims) if out.exposure_minor is not None else None
        except (OperatorError, AggregationError):
            continue
        index.append(i)
        attachments.append(out.attachment)
        buckets.append(key.as_dict() if key else None)
        exposures.append(out.exposure_minor if key else None)
    manifest = state.manifest
    _dump(manifest, "records", (records, ing.source_names, booking.declarations_of))
    _dump(manifest, "inputs", inputs)
    _dump(manifest, "decisions", decisions)
    _dump(manifest, "transformed", (index, attachments, buckets, exposures))
    return Timed(len(inputs), extra={"attachable": len(inputs), "attached": len(index)})


# -- policy, with the per-record baseline ----------------------------------------------------
@dataclass
class PolicyState:
    settings: Settings
    runtime: Runtime
    inputs: list[dict[str, Any]]
    decided: list[Any] = field(default_factory=list)


def policy_setup(manifest: Manifest) -> PolicyState:
    settings = _settings(manifest, "files")
    return PolicyState(settings, build_runtime(settings), _load(manifest, "inputs"))


def policy_run(state: PolicyState) -> Timed:
    engine = state.runtime.engine
    for batch in _batches(state.inputs, state.settings.limits.policy_batch_size):
        state.decided += engine.decide(batch)
    return Timed(len(state.inputs), extra={"batch_size": state.settings.limits.policy_batch_size})


def _naive_decider(engine: Any) -> tuple[Callable[[list[dict[str, Any]]], list[Any]], str]:
    """The engine's uncached path when it has one (``decide_whole``: no projection, no
    decision cache), else ``decide``, with a note on what the baseline could not switch off."""
    if callable(getattr(engine, "decide_whole", None)):
        return engine.decide_whole, "decide_whole: no projection, no decision cache"
    held = sorted(k for k, v in vars(engine).items() if "cache" in k.lower() and v is not None)
    if held:
        return engine.decide, f"engine holds {', '.join(held)}; nothing disables it"
    return engine.decide, "no decision cache in the engine"


def policy_after(manifest: Manifest, state: PolicyState, timed: Timed) -> dict[str, Any]:
    limits = state.settings.limits.model_copy(update={"policy_batch_size": 1})
    naive_settings = state.settings.model_copy(update={"limits": limits})
    engine = policy_engine(naive_settings, in_force_policy(naive_settings, None))
    decide, note = _naive_decider(engine)
    sample = state.inputs[: manifest["naive_sample"]]
    started = time.perf_counter()
    naive = [decide([inp])[0] for inp in sample]
    seconds = time.perf_counter() - started
    return {
        "naive": _figures("per-record policy query (batch size 1)", len(sample), seconds,
                          note=note),
        "checks": {"policy_naive_decisions_equal_batched": naive == state.decided[: len(sample)],
                   "policy_one_decision_per_input": len(state.decided) == timed.records},
    }


def _figures(what: str, records: int, seconds: float, *, note: str = "") -> dict[str, Any]:
    return {"what": what, "records": records, "seconds": seconds,
            "records_per_s": records / seconds if seconds > 0 else None, "note": note}


# -- transform, aggregate and encrypt, sign ---------------------------------------------------
def transform_setup(manifest: Manifest) -> tuple[Runtime, list[tuple[Any, Any]]]:
    runtime = build_runtime(_settings(manifest, "files"))
    inputs, decisions = _load(manifest, "inputs"), _load(manifest, "decisions")
    pairs = [(i, d) for i, d in zip(inputs, decisions, strict=True)
             if d.outcome is Outcome.ATTACH]
    return runtime, pairs


def transform_run(state: tuple[Runtime, list[tuple[Any, Any]]]) -> Timed:
    runtime, pairs = state
    dims, operators, withheld = tuple(runtime.engine.settings().bucket), runtime.operators, 0
    for inp, decision in pairs:
        try:
            out = transform(inp, decision, operators)
            if out.exposure_minor is not None:
                bucket_key(out.attachment, dims)
        except (OperatorError, AggregationError):
            withheld += 1
    return Timed(len(pairs), extra={"withheld": withheld})


@dataclass
class AggregateState:
    runtime: Runtime
    items: list[tuple[dict[str, str], int]]
    ciphertexts: list[str] = field(default_factory=list)
    totals: list[int] = field(default_factory=list)


def aggregate_setup(manifest: Manifest) -> AggregateState:
    _, _, buckets, exposures = _load(manifest, "transformed")
    items = [(b, e) for b, e in zip(buckets, exposures, strict=True) if b is not None]
    return AggregateState(build_runtime(_settings(manifest, "files")), items)


def aggregate_run(state: AggregateState) -> Timed:
    aggregator = Aggregator(state.runtime.engine.settings().k)
    for key, amount in state.items:
        aggregator.add(BucketKey(**key), amount)
    result = aggregator.finish()
    state.totals = [b.total_minor for b in result.buckets]
    state.ciphertexts = encrypt_bucket_totals(state.runtime.paillier_public_key, state.totals)
    return Timed(len(state.items), extra={"buckets": len(result.buckets),
                                          "suppressed_records": result.suppressed_records})


def aggregate_after(manifest: Manifest, state: AggregateState, _: Timed) -> dict[str, Any]:
    from phe import paillier  # the textbook baseline: python-paillier as it comes

    public = paillier.PaillierPublicKey(state.runtime.paillier_public_key.n)
    sample = [amount for _, amount in state.items[: manifest["naive_sample"]]]
    started = time.perf_counter()
    naive = [public.encrypt(amount) for amount in sample]
    seconds = time.perf_counter() - started
    private = load_paillier_private_key_file(manifest["insurer_private_key"])
    probe = range(min(5, len(state.ciphertexts)))
    return {
        "naive": _figures("per-record textbook phe encryption", len(sample), seconds),
        "checks": {"aggregate_ciphertexts_decrypt_to_totals": all(
            private.decrypt(state.ciphertexts[i]) == state.totals[i] for i in probe
        ), "aggregate_naive_ciphertexts_count": len(naive) == len(sample)},
    }


def _payloads(runtime: Runtime, run_id: str, chunks: list[list[dict[str, Any]]]) -> Iterator[
        dict[str, Any]]:
    policy = {"version": runtime.engine.version, "name": runtime.policy_name}
    for sequence, chunk in enumerate(chunks):
        yield {
            "schema": SCHEMA, "jti": "sub_" + secrets.token_hex(16),
            "iss": runtime.exporter_id, "aud": runtime.insurer_id, "iat": int(time.time()),
            "policy": policy,
            "batch": {"run_id": run_id, "sequence": sequence, "final": sequence == len(chunks) - 1},
            "attachments": chunk, "exposure": None, "ledger": None,
        }


def sign_setup(manifest: Manifest) -> tuple[Runtime, list[dict[str, Any]], list[str]]:
    runtime = build_runtime(_settings(manifest, "files"))
    attachments = _load(manifest, "transformed")[1]
    limit = runtime.limits.max_attachments_per_submission
    chunks = [attachments[i : i + limit] for i in range(0, len(attachments), limit)]
    return runtime, list(_payloads(runtime, "run_" + secrets.token_hex(16), chunks)), []


def sign_run(state: tuple[Runtime, list[dict[str, Any]], list[str]]) -> Timed:
    runtime, payloads, signed = state
    for payload in payloads:
        signed.append(sign_submission(payload, runtime.signing_key))
    return Timed(sum(len(p["attachments"]) for p in payloads), extra={"submissions": len(signed)})


def sign_after(_: Manifest, state: tuple[Runtime, Any, list[str]], __: Timed) -> dict[str, Any]:
    runtime, _, signed = state
    ok = bool(signed) and verify_submission(
        signed[0], runtime.published_jwks or {}, runtime.paillier_public_key,
        issuer=runtime.exporter_id, audience=runtime.insurer_id,
    ).payload.jti.startswith("sub_")
    return {"checks": {"sign_first_submission_verifies": ok}}


# -- store: record versions and the outbox, as Pipeline._attach and _emit do -----------------
@dataclass
class StoreState:
    manifest: Manifest
    runtime: Runtime
    store: SqliteStore
    records: list[Any]
    inputs: list[dict[str, Any]]
    transformed: tuple[list[int], list[dict[str, Any]], list[Any], list[Any]]
    source_names: dict[str, str]
    declarations_of: dict[str, tuple[str, ...]]
    run_id: str = "run_" + secrets.token_hex(16)
    emitted: list[tuple[str, int]] = field(default_factory=list)


def store_setup(manifest: Manifest) -> StoreState:
    settings = _settings(manifest, "outbox")
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    store = SqliteStore(settings.store_path)
    records, names, declarations_of = _load(manifest, "records")
    state = StoreState(manifest, build_runtime(settings, store), store, records,
                       _load(manifest, "inputs"), _load(manifest, "transformed"), names,
                       declarations_of)
    store.begin_run(state.run_id, sorted(set(names.values())))
    return state


def store_run(state: StoreState) -> Timed:
    """Versions per policy batch, then outbox entries of ``max_attachments_per_submission``
    each. Signing the payload is the sign stage's work and is not timed here; the submission
    id (a MAC over the canonical disclosure) and the payload hash are."""
    rt, watch = state.runtime, Watch()
    index, attachments, buckets, exposures = state.transformed
    limit, pending = rt.limits.max_attachments_per_submission, []
    with watch:
        tracker = VersionTracker(state.store, state.source_names, state.declarations_of)
    for batch in _batches(range(len(index)), rt.limits.policy_batch_size):
        with watch:
            picked = [(state.records[index[j]], state.inputs[index[j]]) for j in batch]
            for j, identity, (_, inp) in zip(batch, tracker.identify(picked), picked,
                                              strict=True):
                bucket, attachment = buckets[j], attachments[j]
                version = tracker.attach(identity, bucket, exposures[j], hub_buyer=hub_buyer_id(
                    inp, rt.consortium_key, attachment=attachment,
                    per_buyer=bucket is not None and bucket["buyer"] != ANY))
                pending.append((attachment, version))
        while len(pending) >= limit:
            _emit(state, pending[:limit], watch, final=False)
            pending = pending[limit:]
    if pending:
        _emit(state, pending, watch, final=True)
    records = sum(n for _, n in state.emitted)
    return Timed(records, watch.seconds, extra={"submissions": len(state.emitted)})


def _emit(state: StoreState, chunk: list[tuple[dict[str, Any], Any]], watch: Watch, *,
          final: bool) -> None:
    rt = state.runtime
    attachments = [a for a, _ in chunk]
    policy = {"version": rt.engine.version, "name": rt.policy_name}
    with watch:
        content = {"iss": rt.exporter_id, "aud": rt.insurer_id, "policy": policy,
                   "attachments": attachments, "exposure": [], "replaces": None}
        mac = rt.pseudonym_key.mac(b"ecg-submission-id\x00" + canonical_json(content))
        submission_id = "sub_" + mac[:16].hex()
        assert state.store.get_submission(submission_id) is None
    payload = {
        "schema": SCHEMA, "jti": submission_id, "iss": rt.exporter_id, "aud": rt.insurer_id,
        "iat": int(time.time()), "policy": policy,
        "batch": {"run_id": state.run_id, "sequence": len(state.emitted), "final": final},
        "attachments": attachments, "exposure": None, "ledger": None,
    }
    jws = sign_submission(payload, rt.signing_key)
    with watch:
        state.store.put_submission(
            submission_id, run_id=state.run_id, sequence=len(state.emitted), jws=jws,
            payload_sha256=sha256_hex(canonical_json(payload)), policy_version=rt.engine.version,
            records=[v for _, v in chunk],
        )
    state.emitted.append((submission_id, len(chunk)))


def store_after(_: Manifest, state: StoreState, timed: Timed) -> dict[str, Any]:
    queued = state.store.pending_submissions(limit=10_000)
    state.store.close()
    outbox = Path(state.manifest["artefacts"]) / "outbox.json"
    outbox.write_text(json.dumps({"submissions": len(state.emitted), "records": timed.records}))
    return {"checks": {
        "store_every_submission_queued": len(queued) == len(state.emitted),
        "store_every_attachment_stored": timed.records == len(state.transformed[0]),
    }}


# -- deliver: the store stage's outbox to the reference insurer on loopback ------------------
@dataclass
class DeliverState:
    settings: Settings
    pipeline: Pipeline
    client: Any
    closing: ExitStack
    outbox: dict[str, int]
    report: Any = None


def deliver_setup(manifest: Manifest) -> DeliverState:
    settings = _settings(manifest, "outbox")
    closing = ExitStack()
    store = closing.enter_context(SqliteStore(settings.store_path))
    client = closing.enter_context(insurer_client(settings))
    outbox = json.loads((Path(manifest["artefacts"]) / "outbox.json").read_text())
    return DeliverState(settings, Pipeline(build_runtime(settings, store), store), client,
                        closing, outbox)


def deliver_run(state: DeliverState) -> Timed:
    state.report = state.pipeline.deliver(state.client, settings=state.settings.delivery,
                                          wait=True)
    return Timed(state.outbox["records"], extra={"submissions": state.report.delivered})


def deliver_after(manifest: Manifest, state: DeliverState, _: Timed) -> dict[str, Any]:
    state.closing.close()
    report, wanted = state.report, state.outbox["submissions"]
    health = httpx.get(f"{manifest['insurer_url']}/healthz", timeout=60).json()
    return {"checks": {
        "deliver_every_submission_receipted": report.delivered == wanted and not report.failed
        and not report.dead,
        "deliver_insurer_holds_every_submission": health.get("submissions") == wanted,
    }}


# -- end to end: gateway sync ----------------------------------------------------------------
@dataclass
class E2eState:
    settings: Settings
    as_of: date
    shipments: int
    result: Any = None


def e2e_setup(manifest: Manifest) -> E2eState:
    return E2eState(_settings(manifest, "e2e"), date.fromisoformat(manifest["as_of"]),
                    manifest["size"])


def e2e_run(state: E2eState) -> Timed:
    """``gateway sync`` with delivery; a record is a shipment of the generated book."""
    state.result = run_sync(state.settings, show_progress=False, as_of=state.as_of)
    return Timed(state.shipments, extra={"submissions": len(state.result.submissions)})


def _plain_sums(settings: Settings) -> tuple[list[str], int, int]:
    """The k-rule buckets of what the sync attached, from its store, in plaintext."""
    with SqliteStore(settings.store_path) as store:
        runtime = build_runtime(settings, store)
        book = [(v.bucket, v.exposure_minor) for v in store.exposure_book()
                if v.bucket is not None and v.exposure_minor is not None]
    aggregator = Aggregator(runtime.engine.settings().k)
    for bucket, amount in book:
        aggregator.add(BucketKey(**bucket), amount)
    result = aggregator.finish()
    plain = ((b.key.as_dict(), b.records, b.total_minor) for b in result.buckets)
    return _sorted_buckets(plain), sum(b.records for b in result.buckets), len(book)


def _staged_sums(manifest: Manifest) -> list[str]:
    """The same buckets from the prepare process's stage-by-stage transform, in plaintext."""
    _, _, buckets, exposures = _load(manifest, "transformed")
    runtime = build_runtime(_settings(manifest, "files"))
    aggregator = Aggregator(runtime.engine.settings().k)
    for key, amount in zip(buckets, exposures, strict=True):
        if key is not None:
            aggregator.add(BucketKey(**key), amount)
    result = aggregator.finish()
    return _sorted_buckets((b.key.as_dict(), b.records, b.total_minor) for b in result.buckets)


def _sorted_buckets(buckets: Iterable[tuple[dict[str, str], int, int]]) -> list[str]:
    """Buckets as comparable text, in one order."""
    return sorted(json.dumps(list(b), sort_keys=True) for b in buckets)


def e2e_after(manifest: Manifest, state: E2eState, _: Timed) -> dict[str, Any]:
    result, exp = state.result, manifest["expected"]
    accounts = {name: a.as_dict() for name, a in result.sources.items()}
    counts = dict(result.reconciliation.counts) if result.reconciliation else {}
    url = manifest["insurer_url"]
    seen = httpx.get(f"{url}/v1/exposure", timeout=3600).json()
    held = httpx.get(f"{url}/healthz", timeout=60).json().get("submissions")
    decrypted = _sorted_buckets((b["key"], b["records"], b["total_minor"]) for b in seen)
    plain, in_buckets, exposures = _plain_sums(state.settings)
    staged = _staged_sums(manifest)
    return {"account": accounts, "reconcile_counts": counts, "checks": {
        "e2e_accounts_balance": all(a.balanced() for a in result.sources.values())
        and result.totals().balanced(),
        "e2e_rows_read_as_generated": accounts.get("erp", {}).get("read") == exp["erp_rows"]
        and accounts.get("customs", {}).get("read") == exp["customs_rows"],
        "e2e_pending_and_customs_only_conserve_generated": accounts.get("erp", {}).get("pending")
        == counts.get("erp_only") and unlinked_pairs(
            exp, counts.get("erp_only", -1), counts.get("customs_only", -1)) is not None,
        "e2e_every_submission_delivered": result.delivered == len(result.submissions) == held
        and not result.failed and not result.dead,
        "e2e_insurer_decrypted_totals_equal_attached_sums": bool(plain) and decrypted == plain,
        "e2e_insurer_decrypted_totals_equal_stage_by_stage_sums": decrypted == staged,
        "e2e_buckets_cover_every_attached_exposure":
            in_buckets + result.suppressed_records == exposures,
    }}


# -- the process -----------------------------------------------------------------------------
STAGES: dict[str, Stage] = {
    "prepare": Stage(reconcile_setup, prepare_run),
    "ingest": Stage(lambda m: _settings(m, "files"), ingest_run, ingest_after),
    "reconcile": Stage(reconcile_setup, reconcile_run, reconcile_after),
    "policy": Stage(policy_setup, policy_run, policy_after),
    "transform": Stage(transform_setup, transform_run),
    "aggregate": Stage(aggregate_setup, aggregate_run, aggregate_after),
    "sign": Stage(sign_setup, sign_run, sign_after),
    "store": Stage(store_setup, store_run, store_after),
    "deliver": Stage(deliver_setup, deliver_run, deliver_after),
    "e2e": Stage(e2e_setup, e2e_run, e2e_after),
}


def jsonable(value: Any) -> Any:
    """A benchmark module's result as JSON-ready data (dataclasses and mappings unpacked)."""
    if is_dataclass(value) and not isinstance(value, type):
        value = asdict(value)
    return json.loads(json.dumps(value, default=str))


def optional_bench(module: str, args: Sequence[Any], workdir: Path | None) -> dict[str, Any]:
    """``benchmarks.<module>.run(*args)`` when that module exists, else "not measured"
    (``workdir`` is passed when its ``run`` takes one)."""
    try:
        bench = importlib.import_module(f"benchmarks.{module}")
    except ModuleNotFoundError as exc:
        if exc.name != f"benchmarks.{module}":
            raise
        return {"measured": False, "why": f"benchmarks/{module}.py does not exist"}
    kwargs = {}
    if workdir is not None and "workdir" in inspect.signature(bench.run).parameters:
        kwargs["workdir"] = workdir
    return {"measured": True, "args": list(args), "result": jsonable(bench.run(*args, **kwargs))}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.stages")
    parser.add_argument("stage", choices=[*STAGES, "paillier_bench", "webhook_latency"])
    parser.add_argument("--manifest", type=Path, help="the size's manifest (pipeline stages)")
    parser.add_argument("--workdir", type=Path, help="scratch directory for webhook_latency")
    parser.add_argument("args", nargs="*", type=int,
                        help="paillier_bench: SECONDS BITS...; webhook_latency: PUSHES RECORDS")
    args = parser.parse_args(argv)
    if args.stage in STAGES:
        manifest = json.loads(args.manifest.read_text(encoding="utf-8"))
        out = measure(STAGES[args.stage], manifest)
    elif args.stage == "paillier_bench":
        out = optional_bench(args.stage, [args.args[1:], args.args[0]], None)
    else:
        out = optional_bench(args.stage, args.args, args.workdir)
    print(json.dumps(out, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
