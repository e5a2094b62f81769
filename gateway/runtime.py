"""Composition root: turns validated :class:`~gateway.settings.Settings` into live parts.

Everything that can be wrong with a configuration is found here, at start-up, before a single
record is read: keys are loaded and checked, the policy is compiled, operator parameters are
validated, and the insurer's Paillier key must match its pinned fingerprint.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import itertools
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from gateway.account import SourceAccount
from gateway.adapters.customs import (
    CustomsCsvSource,
    CustomsJsonSource,
    UnipassXmlSource,
    builtin_customs_mapping,
    customs_mapping_from_file,
    customs_mapping_names,
)
from gateway.adapters.erp import CsvSource, JsonLinesSource, SqlSource
from gateway.adapters.erp.mapping_file import (
    builtin_mapping,
    builtin_mapping_names,
    from_mapping_file,
)
from gateway.adapters.erp.receivables import (
    ReceivablesCsvSource,
    builtin_receivables_mapping,
    receivables_mapping_from_file,
)
from gateway.adapters.insurer.client import InsurerClient, make_http_client
from gateway.adapters.policy_files import builtin_policy, load_policy_dir
from gateway.adapters.policy_opa import OpaEngine
from gateway.booking import ReconcileSetup
from gateway.crypto import PseudonymKey
from gateway.encryption import obfuscators_for
from gateway.errors import ConfigError, KeyMaterialError, SourceError
from gateway.guard import Receivable
from gateway.ingest import ColumnMapping, Quarantined, SourceItem
from gateway.keys import (
    load_paillier_public_key_file,
    load_pseudonym_key_file,
    load_signing_key_file,
    public_jwks,
)
from gateway.keys.consortium_key import load_consortium_key_file
from gateway.pipeline import CustomsItem, Runtime
from gateway.policy.bundle import PolicyBundle
from gateway.policy.engine import PolicyEngine, RegoEngine
from gateway.policy.lifecycle import active_bundle
from gateway.settings import CustomsSourceSettings, Settings, SourceSettings
from gateway.store import Checkpoint, SqliteStore, Store
from gateway.store.lock import StoreLock
from gateway.transform import OperatorContext, build_operators


def load_policy(settings: Settings) -> PolicyBundle:
    """The configured policy directory, or the built-in default policy."""
    if settings.policy.path is None:
        return builtin_policy()
    return load_policy_dir(settings.policy.path)


def in_force_policy(settings: Settings, store: Store | None) -> PolicyBundle:
    """The policy a sync uses: the version last activated in the store, or, when none ever
    was, the configured one (docs/policy-lifecycle.md)."""
    active = active_bundle(store) if store is not None else None
    return active if active is not None else load_policy(settings)


def build_runtime(
    settings: Settings, store: Store | None = None, *, bundle: PolicyBundle | None = None
) -> Runtime:
    """Load keys, compile the policy and validate operators; fail before any record is read.

    The policy is ``bundle`` when given, else the one in force for ``store``.
    """
    bundle = bundle or in_force_policy(settings, store)
    engine = policy_engine(settings, bundle)
    pseudonym_key = load_pseudonym_key_file(settings.keys.pseudonym_key)
    operators = build_operators(
        engine.operators(),
        OperatorContext(pseudonym_key=pseudonym_key),
        clear_allowed=engine.exceptions(),
    )
    paillier = load_paillier_public_key_file(
        settings.insurer.paillier_public_key, settings.insurer.paillier_fingerprint
    )
    try:
        receipt_jwks = json.loads(settings.insurer.receipt_jwks.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{settings.insurer.receipt_jwks}: cannot read insurer JWKS") from exc
    return Runtime(
        exporter_id=settings.exporter_id,
        insurer_id=settings.insurer.id,
        policy_name=bundle.name,
        engine=engine,
        operators=operators,
        signing_key=load_signing_key_file(
            settings.keys.signing_key, settings.keys.signing_key_passphrase_env
        ),
        published_jwks=public_jwks(
            settings.keys.signing_key, settings.keys.signing_key_passphrase_env
        ),
        pseudonym_key=pseudonym_key,
        paillier_public_key=paillier,
        receipt_jwks=receipt_jwks,
        limits=settings.limits,
        reconcile=reconcile_setup(settings),
        consortium_key=consortium_key(settings, pseudonym_key),
        obfuscators=obfuscators_for(paillier.n, settings.encryption),
    )


def consortium_key(settings: Settings, pseudonym_key: PseudonymKey) -> PseudonymKey | None:
    """The hub consortium's shared key when ``[hub] consortium_key`` is set; the gateway's own
    pseudonymisation key is refused there (its tokens would become linkable by the hub)."""
    if settings.hub is None or settings.hub.consortium_key is None:
        return None
    key = load_consortium_key_file(settings.hub.consortium_key)
    if key.secret == pseudonym_key.secret:
        raise KeyMaterialError(
            f"{settings.hub.consortium_key}: holds the gateway's own pseudonymisation key; "
            "the consortium key must be a separate key shared by the consortium"
        )
    return key


def policy_engine(settings: Settings, bundle: PolicyBundle) -> PolicyEngine:
    """The configured engine: embedded regopy, or a remote OPA checked to serve ``bundle``."""
    policy, batch_size = settings.policy, settings.limits.policy_batch_size
    if policy.engine == "embedded":
        return RegoEngine(bundle, batch_size=batch_size)
    assert policy.opa_url is not None  # checked by PolicySettings
    token = None
    if policy.opa_token_env is not None:
        token = os.environ.get(policy.opa_token_env)
        if not token:
            raise ConfigError(f"environment variable {policy.opa_token_env} is not set")
    timeout_s = policy.opa_timeout_s or settings.limits.policy_timeout_s
    return OpaEngine(
        bundle, policy.opa_url, timeout_s=timeout_s, token=token, batch_size=batch_size
    )


def reconcile_setup(settings: Settings) -> ReconcileSetup | None:
    """The reconciliation setup when a customs source is configured; the calendar must cover the
    years it will be asked about, so it is built (and checked) here, at start-up."""
    if not settings.customs:
        return None
    rule, calendar = settings.deadlines.build()
    return ReconcileSetup(
        config=settings.reconcile,
        rule=rule,
        calendar=calendar,
        warn_business_days=settings.deadlines.warn_business_days,
        overdue_days=settings.receivables.overdue_days if settings.receivables else 30,
    )


def load_mapping_for(name: str) -> ColumnMapping:
    """A shipped mapping by name (``generic``, ``sap_billing``) or a mapping file by path."""
    if name in builtin_mapping_names():
        return builtin_mapping(name)
    return from_mapping_file(Path(name))


def open_source(
    source: SourceSettings, settings: Settings, *, watermark: str | None = None
) -> Iterable[SourceItem]:
    """A streaming iterator over one configured source (SQL: rows above ``watermark``)."""
    mapping = load_mapping_for(source.mapping)
    if source.kind == "csv":
        assert source.path is not None
        return CsvSource(
            source.path,
            mapping,
            encoding=source.encoding,
            delimiter=source.delimiter,
            limits=settings.limits,
        )
    if source.kind == "jsonl":
        assert source.path is not None
        return JsonLinesSource(source.path, mapping, limits=settings.limits)
    url = source.url or os.environ.get(source.url_env or "", "")
    if not url:
        raise ConfigError(f"source {source.name}: environment variable {source.url_env} is not set")
    assert source.query is not None
    params = {} if source.watermark_column is None else {"watermark": watermark}
    return SqlSource(
        url, source.query, mapping, params=params, name=source.name,
        watermark_column=source.watermark_column, limits=settings.limits,
    )


def open_sources(settings: Settings) -> dict[str, Iterable[SourceItem]]:
    """Every configured source by name."""
    if not settings.sources:
        raise ConfigError("no sources configured: add a [[sources]] table to the configuration")
    return {s.name: open_source(s, settings) for s in settings.sources}


def file_sha256(path: Path) -> str:
    """The SHA-256 of a source file, read in blocks."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
    except OSError as exc:
        raise SourceError(f"{path}: cannot be read ({exc.strerror})") from exc
    return digest.hexdigest()


def reading_sha256(source: SourceSettings) -> str:
    """A hash of how a source is read: its settings and its mapping (a fixed mapping file
    changes it, so the next sync reads the unchanged export again)."""
    mapping = load_mapping_for(source.mapping)
    basis = source.model_dump_json() + "\x00" + mapping.model_dump_json()
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()


@dataclass
class SourcePlan:
    """What one sync reads: the sources to open, those skipped as unchanged, and how each
    source's checkpoint is written when the run finishes."""

    sources: dict[str, Iterable[SourceItem]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # source -> run that read it
    _basis: dict[str, Checkpoint] = field(default_factory=dict)

    def checkpoints(self, accounts: Mapping[str, SourceAccount]) -> list[Checkpoint]:
        out = []
        for name, basis in self._basis.items():
            source = self.sources.get(name)
            mark = getattr(source, "high_water", None) or basis.watermark
            rows = accounts[name].read if name in accounts else 0
            out.append(dataclasses.replace(basis, rows=rows, watermark=mark))
        return out


def plan_sources(
    settings: Settings,
    store: Store,
    policy_version: str,
    replay: Mapping[str, Iterable[SourceItem]] | None = None,
) -> SourcePlan:
    """Open every configured source, using the checkpoints of earlier runs (docs/reliability.md).

    A file whose content hash and policy version equal its last checkpoint is skipped when
    nothing else can change its outcome (no customs, no open items, nothing replayed into it):
    every row would be found unchanged or decided exactly as before. An SQL source with a
    ``watermark_column`` reads only rows above the last high-water mark.
    """
    if not settings.sources:
        raise ConfigError("no sources configured: add a [[sources]] table to the configuration")
    replay = replay or {}
    plan = SourcePlan()
    settled = not settings.customs and settings.receivables is None
    for src in settings.sources:
        previous = store.get_checkpoint(src.name)
        if src.kind == "sql":
            mark = previous.watermark if previous and previous.watermark else src.watermark_start
            plan._basis[src.name] = Checkpoint(src.name, "sql", 0, policy_version, watermark=mark)
            plan.sources[src.name] = open_source(src, settings, watermark=mark)
            continue
        assert src.path is not None
        digest = file_sha256(src.path)
        reading = reading_sha256(src)
        if (
            settled
            and src.name not in replay
            and previous is not None
            and (previous.content_sha256, previous.policy_version, previous.reading_sha256)
            == (digest, policy_version, reading)
        ):
            plan.skipped[src.name] = previous.run_id
            continue
        plan._basis[src.name] = Checkpoint(
            src.name, src.kind, 0, policy_version, content_sha256=digest, reading_sha256=reading
        )
        plan.sources[src.name] = open_source(src, settings)
    for name, items in replay.items():
        plan.sources[name] = itertools.chain(plan.sources.get(name, ()), items)
    return plan


@contextmanager
def open_store(settings: Settings, *, lock: str | None = None) -> Iterator[SqliteStore]:
    """The local store under ``data_dir`` (created with owner-only permissions).

    With ``lock`` (the command's name) the store is held exclusively for the command: a second
    ``gateway sync`` or ``serve`` on the same store is refused instead of racing.
    """
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        if lock is not None:
            stack.enter_context(StoreLock(settings.store_path, lock))
        store = SqliteStore(settings.store_path)
        try:
            yield store
        finally:
            store.close()


@contextmanager
def insurer_client(settings: Settings) -> Iterator[InsurerClient]:
    """An HTTP client for the insurer's attachment API with the configured timeouts."""
    with make_http_client(settings.limits) as http:
        yield InsurerClient(settings.insurer.url, client=http)


def open_customs(settings: Settings) -> dict[str, Iterable[CustomsItem]]:
    """Every configured customs declaration source by name (empty when none is configured)."""
    return {c.name: _customs_source(c, settings) for c in settings.customs}


def _customs_source(source: CustomsSourceSettings, settings: Settings) -> Iterable[CustomsItem]:
    if source.kind == "json":
        return CustomsJsonSource(source.path, limits=settings.limits)
    if source.kind == "unipass_xml":
        return UnipassXmlSource(source.path, limits=settings.limits)
    if source.mapping in customs_mapping_names():
        mapping = builtin_customs_mapping(source.mapping)
    else:
        mapping = customs_mapping_from_file(Path(source.mapping))
    return CustomsCsvSource(
        source.path,
        mapping,
        encoding=source.encoding,
        delimiter=source.delimiter,
        limits=settings.limits,
    )


def open_receivables(settings: Settings) -> Iterable[Receivable | Quarantined]:
    """The ERP's open items for the continuing-export guard (empty when not configured)."""
    rec = settings.receivables
    if rec is None:
        return ()
    mapping = (
        builtin_receivables_mapping()
        if rec.mapping == "receivables"
        else receivables_mapping_from_file(Path(rec.mapping))
    )
    return ReceivablesCsvSource(rec.path, mapping, rec.encoding, limits=settings.limits)
