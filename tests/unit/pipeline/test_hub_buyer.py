"""The pipeline stores each attached version's common buyer id (schema 7) for hub contributions.

Real parts: the embedded Rego engine with the default policy (and one-line variants of it), an
SQLite store in tmp_path, generated keys.
"""

from __future__ import annotations

import dataclasses
import os
from collections import Counter
from pathlib import Path

import pytest

from gateway.adapters.policy_files import builtin_policy
from gateway.crypto import PaillierPrivateKey, PseudonymKey, SigningKey, generate_signing_key
from gateway.hub.common_id import consortium_id
from gateway.model import Buyer, ExportRecord
from gateway.pipeline import Pipeline, Runtime
from gateway.policy.bundle import PolicyBundle
from gateway.policy.engine import RegoEngine
from gateway.store import SqliteStore
from gateway.transform import OperatorContext, build_operators
from tests.support import default_policy_runtime, unit_record

CONSORTIUM = PseudonymKey("csk-20260501-c0ffee", os.urandom(32))


@pytest.fixture
def runtime(signing_key: SigningKey, paillier_keypair: PaillierPrivateKey) -> Runtime:
    return default_policy_runtime(
        exporter_id="exporter-unit", insurer_id="insurer-unit", signing_key=signing_key,
        paillier_public_key=paillier_keypair.public_key, receipt_key=generate_signing_key(),
    )


def _records() -> list[ExportRecord]:
    coded = unit_record(0, buyer="Acme")
    coded = coded.model_copy(
        update={"buyer": Buyer(name="Acme", country="US", insurer_code="us-0042")}
    )
    return [coded, unit_record(1, buyer="Bolt Inc"), unit_record(2, buyer="Bolt Inc")]


def _book(runtime: Runtime, path: Path) -> dict[str, str | None]:
    store = SqliteStore(path)
    Pipeline(runtime, store).process({"erp": iter(_records())})
    return {e.record_id: e.hub_buyer for e in store.hub_book()}


def test_attached_versions_carry_the_insurer_code_or_the_consortium_pseudonym(
    runtime: Runtime, tmp_path: Path
) -> None:
    with_key = dataclasses.replace(runtime, consortium_key=CONSORTIUM)
    ids = Counter(_book(with_key, tmp_path / "a.db").values())
    assert ids == Counter({"ic:US-0042": 1, consortium_id(CONSORTIUM, "Bolt Inc", "US"): 2})


def test_without_a_consortium_key_only_insurer_codes_are_stored(
    runtime: Runtime, tmp_path: Path
) -> None:
    ids = Counter(_book(runtime, tmp_path / "b.db").values())
    assert ids == Counter({"ic:US-0042": 1, None: 2})


def _variant(runtime: Runtime, old: str, new: str) -> Runtime:
    """The runtime on the default policy with one line of its Rego changed."""
    path = "redaction/export_record.rego"
    text = builtin_policy().modules[path]
    assert old in text
    engine = RegoEngine(PolicyBundle({path: text.replace(old, new)}, name="variant"))
    operators = build_operators(
        engine.operators(), OperatorContext(pseudonym_key=runtime.pseudonym_key)
    )
    return dataclasses.replace(
        runtime, engine=engine, operators=operators, consortium_key=CONSORTIUM
    )


def test_a_code_the_policy_drops_is_not_used_as_common_id(
    runtime: Runtime, tmp_path: Path
) -> None:
    dropping = _variant(runtime, '"buyer.insurer_code", ', "")
    ids = Counter(_book(dropping, tmp_path / "c.db").values())
    assert ids == Counter({
        consortium_id(CONSORTIUM, "Acme", "US"): 1, consortium_id(CONSORTIUM, "Bolt Inc", "US"): 2,
    })


def test_a_policy_that_merges_buyers_gives_no_common_id(runtime: Runtime, tmp_path: Path) -> None:
    merging = _variant(
        runtime, '"bucket": ["buyer", "country",', '"bucket": ["country",'
    )
    assert Counter(_book(merging, tmp_path / "d.db").values()) == Counter({None: 3})
